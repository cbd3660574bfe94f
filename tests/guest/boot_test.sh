#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guard after a restart and after a reboot, as iotguard.service brings
# it up (user/iotguard-boot with a configuration of the test's). Runs in
# the guest, as root, with iotguard.ko loaded (it unloads and loads it).
# Prints TAP.
#
#  lamp 198.18.1.10, cam 198.18.1.12, stranger 198.18.1.99
#    ── sw: br0 ── rtr: iot0 (XDP, enforce), iotguardd
#
# 1. start: the module loaded, the devices file enrolled, iot0 enforced: the
#    lamp passes, the stranger is dropped.
# 2. restart (stop, start): the table comes back as it was, the operator's
#    changes since the devices file included; counters start at zero;
#    enforcing again.
# 3. a reboot without a stop (power lost: the module and pins gone, the run
#    directory empty): the devices file again; enforcing.
# 4. iotguardd quarantines the flooding lamp; the router loses power and
#    comes back: the daemon, started again on its saved state, quarantines
#    the lamp again (the module gave it another cookie), and says so.
#
# Every step waits for an event (a counter, a state, a log line).

repo=$(cd "$(dirname "$0")/../.." && pwd)
# The module run-all.sh loads: the debug kernel's under it.
KO=${IOTGUARD_KO:-$repo/kmod/iotguard.ko}
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igboot$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/daemon.sh
. "$repo/tests/lib/daemon.sh"
# shellcheck source=../lib/guard.sh
. "$repo/tests/lib/guard.sh"

rundir=$tmp/run
daemon_pid=

# boot start|stop|reload: iotguard-boot as the unit runs it, in the router.
boot() {
	IOTGUARD_CONF=$tmp/iotguard.conf IOTGUARD=$iotguard \
		IOTGUARD_RUNDIR=$rundir IOTGUARD_MODULE=$KO \
		topo_rtr bash "$repo/user/iotguard-boot" "$@" \
		>>"$tmp/boot.log" 2>&1
}

loaded() {
	[ -d /sys/module/iotguard ]
}

# power_loss: what a reboot leaves: no module, no pins, no run directory.
power_loss() {
	ig detach iot0 >/dev/null 2>&1 || true
	for _ in $(seq 100); do
		rmmod iotguard 2>/dev/null || true
		loaded || break
		sleep 0.05
	done
	rm -rf "$rundir"
	! loaded
}

# send NS COUNT: COUNT datagrams from NS to the router, waited for.
send() {
	ip netns exec "$TOPO-$1" python3 "$traffic" send --dst 198.18.1.1 \
		--count "$2" --rate 200 >/dev/null 2>&1
}

# names: the enrolled devices' names, sorted, on one line.
names() {
	ig -j device list | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(" ".join(sorted(x["name"] for x in (d.get("devices") or d))))'
}

# enforcing: attached to iot0 in enforce mode.
enforcing() {
	local out

	out=$(ig -j status) || return 1
	python3 -c 'import json, sys
links = json.loads(sys.argv[1])["links"]
sys.exit(0 if any(l["interface"] == "iot0" and l["state"] == "attached"
		  and l["monitor"] is False for l in links) else 1)' "$out" && return
	echo "# status: $out"
	return 1
}

unknown_at_least() {
	at_least "$1" gstat unknown
}

lamp_passed_at_least() {
	at_least "$1" devstat 198.18.1.10 pass
}

lamp_quarantined() {
	[ "$(state 198.18.1.10)" = quarantine ]
}

# status_rc: iotguard status's exit code.
status_rc() {
	local rc=0

	ig status >/dev/null || rc=$?
	echo "$rc"
}

released_all() {
	ig device release --all-by-daemon >"$tmp/released" &&
		grep -q '^released 1 device$' "$tmp/released"
}

in_log() {
	grep -q "$1" "$tmp/daemon.log"
}

start_daemon() {
	nsenter --net="/run/netns/$TOPO-rtr" "$iotguardd" --foreground \
		--config "$tmp/iotguardd.conf" >>"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!
	track "$daemon_pid"
	wait_listening
}

tap_plan 34

if ! topo_init || ! topo_add_device lamp 198.18.1.10 ||
   ! topo_add_device cam 198.18.1.12 ||
   ! topo_add_device stranger 198.18.1.99; then
	not_ok "set up the namespaces"
	exit 1
fi
ok "set up router, switch, lamp, cam and a stranger"
# The stranger's ARP speaks for an address nobody enrolled, and is dropped:
# it knows the router's MAC, so that its datagrams leave all the same.
rtr_mac=$(ip netns exec "$TOPO-rtr" cat /sys/class/net/iot0/address)
ip netns exec "$TOPO-stranger" ip neigh replace 198.18.1.1 dev eth0 \
	lladdr "$rtr_mac" nud permanent

cat >"$tmp/devices.conf" <<EOF
# the test's devices file
198.18.1.10 name lamp-1 class light
198.18.1.12 name cam-1 class camera
EOF
cat >"$tmp/iotguard.conf" <<EOF
module max_devices=4096
devices $tmp/devices.conf
interface iot0 enforce mode=native
wait 10
EOF

# 1. start
check "the module unloads (as after a reboot)" power_loss
check "iotguard-boot start exits 0" boot start
check "the module is loaded" loaded
check "iot0 is guarded, enforcing" enforcing
expect "the devices file is enrolled" "'$(names)' == 'cam-1 lamp-1'"
send lamp 20
send stranger 20
check "the lamp's datagrams pass" tap_wait 300 0.2 lamp_passed_at_least 20
check "the stranger's are dropped as unknown" \
	tap_wait 300 0.2 unknown_at_least 20

# 2. restart: the operator's changes since the file stay
check "the operator denies cam-1" ig device set 198.18.1.12 --state deny
check "and enrolls a device the file does not have" \
	ig device add 198.18.1.13 --name extra-1
ig export >"$tmp/before.conf"
check "iotguard-boot stop exits 0" boot stop
check "the module is unloaded" bash -c '! [ -d /sys/module/iotguard ]'
pins=$(ig -j status | sed -n 's/.*"pins":"\([^"]*\)".*/\1/p' || true)
check "and the router's maps unpinned ($pins)" \
	bash -c "[ -n '$pins' ] && ! [ -e '$pins' ]"
expect "status says nothing is guarded (exit 4)" "$(status_rc) == 4"
check "iotguard-boot start exits 0 again" boot start
ig export >"$tmp/after.conf"
check "the restart kept the table, the operator's changes included" \
	diff -u "$tmp/before.conf" "$tmp/after.conf"
check "the saved table is used once" [ ! -e "$rundir/table.conf" ]
expect "the lamp's counters start at zero" "$(devstat 198.18.1.10 pass) == 0"
check "enforcing again" enforcing
send stranger 10
check "the stranger is dropped again" tap_wait 300 0.2 unknown_at_least 10

# 3. power lost: the devices file, not the table
check "power lost: module and pins gone" power_loss
check "iotguard-boot start after the power came back" boot start
expect "the table is the devices file's" "'$(names)' == 'cam-1 lamp-1'"
expect "cam-1 is allowed, as the file says" "'$(state 198.18.1.12)' == 'allow'"

# 4. the daemon's quarantine survives the power loss
cat >"$tmp/iotguardd.conf" <<EOF
# the test's: the lamp's envelope is low, release never during the test
interval = 1
learn = 6
release_after = 600
listen = 127.0.0.1:$metrics_port
state_dir = $tmp/state
[class light]
policy = quarantine
limit_packets = 50
EOF
start_daemon
ip netns exec "$TOPO-lamp" python3 "$traffic" send --dst 198.18.1.1 \
	--count 100000 --rate 400 >/dev/null 2>&1 &
flood_pid=$!
track "$flood_pid"
check "iotguardd quarantines the flooding lamp" \
	within 20 lamp_quarantined
stop "$flood_pid" || true
check "iotguardd stops and saves its state" stop "$daemon_pid"
power_loss
boot start
check "after the power loss the lamp is allowed (the devices file)" \
	[ "$(state 198.18.1.10)" = allow ]
start_daemon
check "iotguardd quarantines the lamp again, from its saved state" \
	tap_wait 300 0.2 lamp_quarantined
check "and says why" in_log "Set again what the daemon had set on 1 devices"

# 5. the operator sees the daemon's quarantines, and rolls them back
ig device list --by daemon --alerts "$tmp/state/alerts.jsonl" >"$tmp/held"
check "device list --by daemon: the lamp, with the daemon's reason" \
	grep -q '^198.18.1.10 .*lamp-1 .*quarantine .*[a-z_]*: ' "$tmp/held"
check "device list --by daemon: nothing else" \
	[ "$(grep -c '^198' "$tmp/held")" = 1 ]
expect "device list --state quarantine -j: the lamp, set by the daemon" \
	"$(ig -j device list --state quarantine | python3 -c 'import json, sys
print([(d["name"], d["set_by"]) for d in json.load(sys.stdin)["devices"]] == [("lamp-1", "daemon")])')"
check "device release --all-by-daemon" released_all
check "the lamp is allowed, by the operator" \
	[ "$(ig -j device show 198.18.1.10 | grep -o '"set_by":"[a-z]*"')" = '"set_by":"operator"' ]

if [ "$failed" -gt 0 ]; then
	sed 's/^/# boot: /' "$tmp/boot.log"
	tail -n 20 "$tmp/daemon.log" | sed 's/^/# daemon: /'
fi
tap_end
