#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of tests/system/package_test.sh, run by pkgtest.service at
# each boot of a clean Debian 12 system. Boot 1 installs the packages as
# README.md's "Install from packages" says, checks the guard and reboots;
# boot 2 checks that the guard came back with the same table, upgrades to
# the rebuilt packages, restarts onto the new module, installs the city's
# packages (a NATS JetStream server on the machine itself, the router's
# agent and the operators' gate under their systemd units), has an
# operator deny lamp-1 through the gate, purges everything, and powers
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
# frames (or, once the city denies it, its denied ones: LAMP_COUNTER), the
# stranger's dropped as unknown.
LAMP_COUNTER=pass
counted() {
	if [ "$1" = "$LAMP" ]; then
		stat_of device "$LAMP" "$LAMP_COUNTER" packets
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
	dropped "$STRANGER" "$1: the stranger's 20 are dropped as unknown"
}

# dropped SRC DESCRIPTION: none of SRC's 20 datagrams arrives, and the
# XDP counter of its frames (counted) takes all 20. One result.
dropped() {
	local got

	mark "$1"
	got=$(send_from "$1" 20)
	if [ "$got" = 0 ] && accounted "$1" 20; then
		ok "$2"
	else
		not_ok "$2 (got $got)"
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
	city

	start=$SECONDS
	if apt-get purge -y iotguard iotguard-dkms iotguard-sync iotguard-city \
		>"$STATE/purge.log" 2>&1
	then
		ok "apt-get purge iotguard iotguard-dkms iotguard-sync iotguard-city ($((SECONDS - start)) s)"
	else
		not_ok "apt-get purge iotguard iotguard-dkms iotguard-sync iotguard-city"
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

# ------------------------------------------------------------------ the city
# city: the packages of Documentation/fleet.rst on this router. Its city is
# one nats-server on the machine itself (TLS, certificates made here by
# tests/lib/nats.sh, as the fleet tests make theirs); iotguard-sync.service
# and iotguard-gate.service run as their units say (a dynamic user with
# CAP_NET_ADMIN; root without capabilities). Operator alice logs in at the
# gate with her password and a TOTP code and denies lamp-1 for the city:
# the agent applies it and lamp-1's datagrams stop. 11 results.
city() {
	local start secret rev password="lamp posts at dawn"
	local n=$PKG/nats c s adm con ses

	cd "$PKG/v2" || return
	start=$SECONDS
	if apt-get install -y ./iotguard-sync_*.deb ./iotguard-city_*.deb \
		>"$STATE/city-install.log" 2>&1; then
		ok "apt-get install ./iotguard-sync ./iotguard-city ($((SECONDS - start)) s)"
	else
		not_ok "apt-get install ./iotguard-sync ./iotguard-city"
		show "$STATE/city-install.log"
	fi
	check "their units are installed, not enabled" \
		test "$(systemctl is-enabled iotguard-sync.service \
			iotguard-gate.service)" = "$(printf 'disabled\ndisabled')"

	# shellcheck source=../lib/nats.sh
	. "$PKG/nats.sh"
	NATS_PORT=24222
	mkdir -p "$n"
	nats_certs "$n" operator router-r1 gate console-tab1
	NATS_CONSOLES=tab1 nats_cluster_config "$n" 1 iotguard-city r1
	nats_start "$n" 1
	c=$n/certs
	s=tls://127.0.0.1:$NATS_PORT
	adm=(--server "$s" --cert "$c/operator.pem" --key "$c/operator.key"
		--ca "$c/ca.pem")
	if wait_for 120 nats_ready "$n" 1 &&
		wait_for 60 iotguard-sync create "${adm[@]}" --replicas 1 r1; then
		ok "the city: nats-server with JetStream and TLS, its buckets"
	else
		not_ok "the city: nats-server with JetStream and TLS, its buckets"
		show "$n/n1.log"
	fi

	# As fleet.rst says: the certificates in /etc/iotguard/city, the
	# servers in the units' settings, the first operator.
	install -d -m 0700 /etc/iotguard/city
	install -m 0644 "$c/ca.pem" /etc/iotguard/city/ca.pem
	install -m 0644 "$c/router-r1.pem" /etc/iotguard/city/router.pem
	install -m 0600 "$c/router-r1.key" /etc/iotguard/city/router.key
	install -m 0644 "$c/gate.pem" /etc/iotguard/city/gate.pem
	install -m 0600 "$c/gate.key" /etc/iotguard/city/gate.key
	sed -i -e "s|^IOTGUARD_CITY_SERVERS=.*|IOTGUARD_CITY_SERVERS=$s|" \
		-e "s|^IOTGUARD_ROUTER=.*|IOTGUARD_ROUTER=r1|" \
		/etc/iotguard/iotguard-sync.conf
	sed -i "s|^IOTGUARD_CITY_SERVERS=.*|IOTGUARD_CITY_SERVERS=$s|" \
		/etc/iotguard/iotguard-gate.conf
	secret=$(echo "$password" | iotguard-gate adduser \
		--operators /var/lib/iotguard-gate/operators alice \
		2>>"$STATE/log" | sed -n 's/^secret //p')
	check "systemctl enable --now iotguard-sync iotguard-gate" \
		systemctl enable --now iotguard-sync iotguard-gate
	if wait_for 60 city_serving; then
		ok "both run: the agent in step with the city, the gate serving"
	else
		not_ok "both run: the agent in step with the city, the gate serving"
		journalctl -b --no-pager -n 30 -o short-monotonic \
			-u iotguard-sync.service -u iotguard-gate.service \
			>"$STATE/journal" 2>&1
		show "$STATE/journal"
	fi

	con=(--server "$s" --cert "$c/console-tab1.pem"
		--key "$c/console-tab1.key" --ca "$c/ca.pem")
	ses=("${con[@]}" --session "$n/alice.session")
	check "alice logs in at the gate: password and TOTP code" alice_login
	check "through the gate, alice denies lamp-1 for the city" \
		iotguard-city deny "${ses[@]}" --reason "package test" "$LAMP"
	rev=$(iotguard-city history "${ses[@]}" "$LAMP" 2>>"$STATE/log" |
		sed -n 's/^city\.deny\.[^ ]* rev \([0-9]*\) put.*/\1/p' | tail -n 1)
	if wait_for 120 iotguard-city applied "${adm[@]}" \
		"city.deny.${LAMP//./-}" "${rev:-0}" &&
		iotguard -j device show "$LAMP" 2>&1 |
		grep -E '"state": *"deny"' >/dev/null; then
		ok "the agent applied it (rev ${rev:-none}): lamp-1 denied in the table"
	else
		not_ok "the agent applied it (rev ${rev:-none}): lamp-1 denied in the table"
		journalctl -b --no-pager -n 30 -u iotguard-sync.service \
			>"$STATE/journal" 2>&1
		show "$STATE/journal"
	fi
	LAMP_COUNTER=denied
	dropped "$LAMP" "lamp-1's 20 datagrams are dropped as denied"
	LAMP_COUNTER=pass
	check "the city recorded who: operator:alice" recorded_by_alice
	check "the agent's state is in its dynamic user's directory" \
		test -s /var/lib/private/iotguard-sync/applied

	# The operator's own files go by hand: purge keeps certificates.
	systemctl stop iotguard-sync iotguard-gate
	nats_stop "$n" 1
	rm -rf /etc/iotguard/city "$n"
}

# alice_login: alice's password and her authenticator's code, as she
# types them at the console (city()'s variables).
alice_login() {
	printf '%s\n%s\n' "$password" "$(oathtool --totp -b "$secret")" |
		iotguard-city login "${con[@]}" --console tab1 \
			--session "$n/alice.session" alice
}

recorded_by_alice() {
	iotguard-city history "${ses[@]}" "$LAMP" | grep "operator:alice"
}

# city_serving: the agent has said it is in step, the gate that it serves.
city_serving() {
	journalctl -b --no-pager -u iotguard-sync.service | grep "in step" &&
		journalctl -b --no-pager -u iotguard-gate.service | grep "serving"
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
