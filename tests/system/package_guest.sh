#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of tests/system/package_test.sh, run by pkgtest.service at
# each boot of a clean Debian 12 system. Boot 1 installs the packages as
# README.md's "Install from packages" says, checks the guard and reboots;
# boot 2 checks that the guard came back with the same table, upgrades to
# the rebuilt packages, restarts onto the new module, purges, and powers
# off.
#
# Results go to /dev/ttyS1 (the host's tap.log) and to $STATE/results, one
# a line: "ok<TAB>description", "not ok<TAB>description" or "# comment".
# The host numbers them and holds their count against its plan, so a
# guest that stops early fails there.
#
#   street (netns)                         router (this system)
#   dev0 02:00:00:00:01:0b  <-- veth -->   iot0 198.18.0.1/24, XDP
#     198.18.0.10 lamp-1 (enrolled)          UDP receiver :5000
#     198.18.0.66 a stranger (unknown)
set -u

PKG=/root/pkgtest
STATE=/var/lib/pkgtest
OUT=/dev/ttyS1
LAMP=198.18.0.10
STRANGER=198.18.0.66
ROUTER=198.18.0.1
METRICS=http://127.0.0.1:9477/metrics
mkdir -p "$STATE"

emit() {
	echo "$1" >>"$STATE/results"
	echo "$1" >"$OUT"
}

ok() { emit "ok	$1"; }
not_ok() { emit "not ok	$1"; }
note() { emit "# $1"; }

check() {
	local desc=$1

	shift
	if "$@" >>"$STATE/log" 2>&1; then ok "$desc"; else not_ok "$desc"; fi
}

# show FILE: its last lines as comments, for a failure's reader.
show() {
	tail -n 25 "$1" | while IFS= read -r line; do note "  $line"; done
}

wait_for() {
	local tries=$1 i

	shift
	for ((i = 0; i < tries; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 1
	done
	return 1
}

street() {
	ip netns exec street "$@"
}

# stat_of JSONPATH: a counter from `iotguard -j stats`, e.g.
# "global unknown packets" or "device 198.18.0.10 pass packets".
stat_of() {
	iotguard -j stats | python3 -c '
import json, sys
s = json.load(sys.stdin)
a = sys.argv[1:]
if a[0] == "global":
    print(s["global"][a[1]][a[2]])
else:
    d = [d for d in s["devices"] if d["address"] == a[1]]
    print(d[0][a[2]][a[3]] if d else "none")
' "$@"
}

# send_from SRC COUNT: COUNT datagrams from SRC to the router, 50 a second;
# prints how many the router's receiver counted from SRC.
send_from() {
	local src=$1 count=$2 out=$STATE/recv.json ready=$STATE/recv.ready
	local pid got

	rm -f "$out" "$ready"
	python3 "$PKG/traffic.py" recv --bind "$ROUTER" --port 5000 \
		--expect "$count" --out "$out" --ready "$ready" &
	pid=$!
	wait_for 60 test -e "$ready"
	street python3 "$PKG/traffic.py" send --src "$src" --dst "$ROUTER" \
		--port 5000 --count "$count" --rate 50 >/dev/null
	# The receiver stops at COUNT; a dropped datagram never comes, so
	# the count is read once the sender's last datagram had time to
	# cross a veth: once the XDP counters account for all of them.
	wait_for 60 accounted "$src" "$count"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	got=$(python3 -c '
import json, sys
try:
    print(json.load(open(sys.argv[1])).get(sys.argv[2], 0))
except (OSError, ValueError):
    print(0)
' "$out" "$src")
	echo "$got"
}

# counted SRC: the XDP counter SRC's frames go to: the lamp's passed
# frames, the stranger's dropped as unknown.
counted() {
	if [ "$1" = "$LAMP" ]; then
		stat_of device "$LAMP" pass packets
	else
		stat_of global unknown packets
	fi
}

# accounted SRC COUNT: that counter holds COUNT more frames than at the
# last mark.
accounted() {
	local now

	now=$(counted "$1")
	[ "$now" != none ] && [ $((now - MARK)) -ge "$2" ]
}

mark() {
	MARK=$(counted "$1")
}

# guard_works WHEN: the lamp's 20 datagrams arrive, the stranger's 20 are
# dropped as unknown. Two results.
guard_works() {
	local got

	mark "$LAMP"
	got=$(send_from "$LAMP" 20)
	if [ "$got" = 20 ]; then
		ok "$1: lamp-1's 20 datagrams arrive"
	else
		not_ok "$1: lamp-1's 20 datagrams arrive (got $got)"
		iotguard stats 2>&1 | while IFS= read -r l; do note "  $l"; done
	fi
	mark "$STRANGER"
	got=$(send_from "$STRANGER" 20)
	if [ "$got" = 0 ] && accounted "$STRANGER" 20; then
		ok "$1: the stranger's 20 are dropped as unknown"
	else
		not_ok "$1: the stranger's 20 are dropped as unknown (got $got)"
	fi
}

enforcing() {
	iotguard -j status >"$STATE/status.json" 2>&1 &&
		python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if any(l.get("interface") == "iot0" and
                  l.get("monitor") is False
                  for l in s.get("links", [])) else 1)
' "$STATE/status.json"
}

active() {
	systemctl is-active --quiet iotguard.service &&
		systemctl is-active --quiet iotguardd.service
}

metrics() {
	curl -sf "$METRICS" >"$STATE/metrics.txt" &&
		grep '^iotguard_interface_attached{interface="iot0",mode="enforce",.*} 1$' \
			"$STATE/metrics.txt" >/dev/null &&
		grep '^iotguard_device_state{.*lamp-1.*' "$STATE/metrics.txt" \
			>/dev/null
}

# guarding DESCRIPTION: both services active, iot0 enforced, the table
# unchanged; one result, what failed as comments.
guarding() {
	local why=

	active || why+=" services: $(systemctl is-active iotguard iotguardd |
		paste -sd/)"
	enforcing || why+=" status: $(tr -d '\n' <"$STATE/status.json")"
	if ! same_table; then
		why+=" table:"
		while IFS= read -r line; do
			why+=" $line;"
		done < <(diff "$STATE/table.before" "$STATE/table.now")
	fi
	if [ -z "$why" ]; then
		ok "$1"
		return
	fi
	not_ok "$1 ($why )"
	journalctl -b --no-pager -n 30 -o short-monotonic \
		-u iotguard.service -u iotguardd.service >"$STATE/journal" 2>&1
	show "$STATE/journal"
}

same_table() {
	iotguard export >"$STATE/table.now" &&
		cmp -s "$STATE/table.before" "$STATE/table.now"
}

# finish N: the host counts these lines, and tells the boots apart by
# their boot ids.
finish() {
	note "boot $1 done after $(cut -d' ' -f1 /proc/uptime) s of uptime, boot id $(cat /proc/sys/kernel/random/boot_id)"
	sync
}

# ------------------------------------------------------------------ boot 1
boot1() {
	local kver start version

	kver=$(uname -r)
	note "boot 1: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $kver"
	if [ ! -e /etc/iotguard ] && [ -z "$(dkms status 2>/dev/null)" ] &&
		! modinfo iotguard >/dev/null 2>&1; then
		ok "a clean system: no iotguard, no DKMS module"
	else
		not_ok "a clean system: no iotguard, no DKMS module"
	fi

	# README.md, "Install from packages", as written.
	cd "$PKG/v1" || return
	start=$SECONDS
	if apt-get install -y "linux-headers-$kver" ./iotguard_*.deb \
		./iotguard-dkms_*.deb >"$STATE/install.log" 2>&1; then
		ok "apt-get install linux-headers-$kver ./iotguard ./iotguard-dkms ($((SECONDS - start)) s)"
	else
		not_ok "apt-get install linux-headers-$kver ./iotguard ./iotguard-dkms"
		show "$STATE/install.log"
	fi
	version=$(dpkg-query -W -f='${Version}' iotguard-dkms 2>/dev/null)
	if dkms status iotguard 2>/dev/null |
		grep "^iotguard/$version, $kver, [^:]*: installed" >/dev/null &&
		[ "$(modinfo -F version iotguard 2>/dev/null)" = "$version" ]
	then
		ok "DKMS built and installed iotguard $version for $kver"
	else
		not_ok "DKMS built and installed iotguard $version for $kver"
		dkms status 2>&1 | while IFS= read -r l; do note "  $l"; done
	fi
	check "the units are installed, not enabled" \
		test "$(systemctl is-enabled iotguard.service iotguardd.service)" = \
		"$(printf 'disabled\ndisabled')"

	cat >"$PKG/inventory.csv" <<-EOF
		identity,mac,name,class,rate,burst
		$LAMP,02:00:00:00:01:0b,lamp-1,light,100,200
		198.18.0.12,02:00:00:00:01:0c,cam-1,camera,2000,4000
	EOF
	echo "interface iot0 monitor" >>/etc/iotguard/iotguard.conf
	check "systemctl enable --now iotguard iotguardd" \
		systemctl enable --now iotguard iotguardd
	check "iotguard device import inventory.csv" \
		iotguard device import "$PKG/inventory.csv"
	check "iotguard export /etc/iotguard/devices.conf" \
		iotguard export /etc/iotguard/devices.conf
	check "iotguard stats" iotguard stats
	sed -i 's/^interface iot0 monitor$/interface iot0 enforce/' \
		/etc/iotguard/iotguard.conf
	check "systemctl reload iotguard" systemctl reload iotguard
	check "iotguard device list --by daemon" \
		iotguard device list --by daemon
	check "iotguard device release --all-by-daemon" \
		iotguard device release --all-by-daemon

	check "both services are active" active
	check "iotguard status: iot0 enforced" enforcing
	guard_works "installed"
	check "iotguardd serves /metrics: iot0 attached, lamp-1's state" \
		wait_for 60 metrics
	iotguard export >"$STATE/table.before"
	note "the table: $(grep -c . "$STATE/table.before") lines"
	echo 2 >"$STATE/boot"
	finish 1
	systemctl --no-block reboot
}

# ------------------------------------------------------------------ boot 2
boot2() {
	local start old new

	note "boot 2, after a reboot: kernel $(uname -r)"
	check "both services are active after the reboot" active
	check "iotguard status: iot0 enforced after the reboot" enforcing
	check "the same table as before the reboot" same_table
	if [ "$(stat_of device "$LAMP" pass packets)" = 0 ]; then
		ok "lamp-1's counters start at zero"
	else
		not_ok "lamp-1's counters start at zero"
	fi
	guard_works "after the reboot"

	# An upgrade to the rebuilt packages: DKMS builds the new module, the
	# old one keeps guarding until the operator restarts the service.
	old=$(dpkg-query -W -f='${Version}' iotguard-dkms)
	cd "$PKG/v2" || return
	new=$(dpkg-deb -f ./iotguard-dkms_*.deb Version)
	start=$SECONDS
	if apt-get install -y ./iotguard_*.deb ./iotguard-dkms_*.deb \
		>"$STATE/upgrade.log" 2>&1; then
		ok "upgrade $old -> $new ($((SECONDS - start)) s)"
		grep -i 'iotguard\|dkms\|systemd\|restart\|stop' \
			"$STATE/upgrade.log" >"$STATE/upgrade.short" || true
		show "$STATE/upgrade.short"
	else
		not_ok "upgrade $old -> $new"
		show "$STATE/upgrade.log"
	fi
	if [ "$(modinfo -F version iotguard 2>/dev/null)" = "$new" ] &&
		! dkms status iotguard 2>/dev/null | grep "^iotguard/$old," \
			>/dev/null; then
		ok "DKMS holds $new only"
	else
		not_ok "DKMS holds $new only"
		dkms status 2>&1 | while IFS= read -r l; do note "  $l"; done
	fi
	guarding "still enforcing the same table during the upgrade"
	check "systemctl restart iotguard" systemctl restart iotguard
	# The restart of iotguardd (Requires=) is a job of its own: systemctl
	# waited for iotguard.service's alone.
	wait_for 120 active || true
	same "the new module is loaded" "$new" \
		"$(cat /sys/module/iotguard/version 2>/dev/null)"
	guarding "after the restart: enforcing the same table"
	guard_works "after the upgrade"

	start=$SECONDS
	if apt-get purge -y iotguard iotguard-dkms >"$STATE/purge.log" 2>&1
	then
		ok "apt-get purge iotguard iotguard-dkms ($((SECONDS - start)) s)"
	else
		not_ok "apt-get purge iotguard iotguard-dkms"
		show "$STATE/purge.log"
	fi
	leftovers >"$STATE/leftovers" 2>&1
	if [ ! -s "$STATE/leftovers" ]; then
		ok "purge: nothing left"
	else
		not_ok "purge: nothing left"
		show "$STATE/leftovers"
	fi
	finish 2
	systemctl --no-block poweroff
}

same() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (want $2, got $3)"; fi
}

# leftovers: whatever of iotguard a purge left, one a line.
leftovers() {
	dpkg -l 'iotguard*' 2>/dev/null | grep '^[a-z][a-z] ' || true
	find /etc /usr /var/lib /lib/modules /run /lib/systemd \
		-iname '*iotguard*' 2>/dev/null || true
	[ ! -d /sys/module/iotguard ] || echo "the module is still loaded"
	[ ! -e /sys/fs/bpf/iotguard ] || find /sys/fs/bpf/iotguard
	ip link show dev iot0 | grep -o 'xdp[a-z]*' || true
	systemctl list-unit-files --no-legend 'iotguard*' || true
}

case $(cat "$STATE/boot" 2>/dev/null || echo 1) in
1) boot1 ;;
2) boot2 ;;
*)
	note "boot $(cat "$STATE/boot"): nothing to do"
	systemctl --no-block poweroff
	;;
esac
