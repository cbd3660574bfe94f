#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iotguardd while the module under it changes (issue 16), a fault at a
# time, each its own results. The daemon denies a flooding camera and
# quarantines a flooding bulb, then the floods stop (nothing is released:
# release_after is an hour); the lamp sends on.
#
#  1. rmmod while the program is attached fails (in use), the module and
#     the daemon go on; after `iotguard detach' it succeeds.
#  2. The module loaded again, the devices enrolled anew (new cookies),
#     the program attached again: the daemon notices both (the log,
#     iotguard_daemon_module_up, _module_reloads_total), keeps running,
#     restores the baselines it saved when the module went (the lamp does
#     not learn anew) and sets again the deny and the quarantine it had
#     set.
#  3. Events lost: the events socket's buffer made small (event_buffer),
#     the daemon stopped (SIGSTOP) while 1000 devices are enrolled, then
#     deleted: it reads the table again (the log, resyncs_total) and its
#     view matches the module's.
#  4. A resync that fails: events lost again while the module is unloaded
#     under the stopped daemon, so that it never hears of it; each attempt
#     fails, and is tried again after 1, 2, 4 ... intervals, until the
#     module is back: then it succeeds, and what the daemon had set is
#     set again.
#
# Judged in the daemon's intervals and events, never in seconds. Runs in
# the guest, as root, with iotguard.ko loaded (it unloads and loads it).
# Prints TAP.
#
#  swarm: lamp-1 198.18.1.10 (sensor: alert), cam-1 .12 (camera: deny),
#         bulb-1 .21 (light: quarantine)
#    ── sw: br0 ── rtr: iot0 (XDP), iotguardd, /metrics

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igm$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/daemon.sh
. "$repo/tests/lib/daemon.sh"
EXTRA_CONF="event_buffer = 4096"
# shellcheck source=../lib/faults.sh
. "$repo/tests/lib/faults.sh"

KO=${IOTGUARD_KO:-$repo/kmod/iotguard.ko}
MANY=1000
maxdev=

# unload: rmmod, retrying while the last program that called the kfunc is
# freed (RCU): some tens of ms after the detach (as run-all.sh does).
unload() {
	local i

	for i in $(seq 100); do
		rmmod iotguard 2>/dev/null && return 0
		sleep 0.05
	done
	rmmod iotguard
}

# many N: a device file of the three and N more.
many() {
	local i

	echo "$LAMP name lamp-1 class sensor"
	echo "$CAM name cam-1 class camera"
	echo "$BULB name bulb-1 class light"
	for ((i = 0; i < $1; i++)); do
		echo "198.18.$((16 + i / 250)).$((1 + i % 250)) name x-$i class sensor"
	done
}

# module_count: the devices the module holds.
module_count() {
	ig device list -j |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["devices"]))'
}

# views_match N: the daemon and the module both hold N devices.
views_match() {
	[ "$(metric iotguard_daemon_devices)" = "$1" ] &&
		[ "$(module_count)" = "$1" ]
}

metric_is() {
	[ "$(metric "$1")" = "$2" ]
}

# 1. rmmod while attached.
fault_busy() {
	local out rc=0 n

	out=$(rmmod iotguard 2>&1) || rc=$?
	expect "rmmod while attached fails ($rc: $out)" \
		"$rc != 0 and 'in use' in '''$out'''"
	check "the module is still loaded" test -d /sys/module/iotguard
	n=$(counter "$LAMP" pass)
	check "the lamp's frames still pass (20 more)" \
		tap_wait 600 0.2 counter_reached "$LAMP" pass $((n + 20))
	check "... and the module answers" quiet ig device show "$LAMP"
	check "the daemon scores on (2 more intervals)" wait_intervals 2
	check "the daemon saw no unload" metric_is iotguard_daemon_module_up 1
}

# 2. Detach, rmmod, insmod, enroll, attach.
fault_reload() {
	check "detach iot0" quiet ig detach iot0
	check "... the daemon pauses" within 10 paused_is 1
	check "rmmod after the detach succeeds" unload
	check "the daemon notices the module gone" \
		within 10 metric_is iotguard_daemon_module_up 0
	check "... and logs it" in_log 1 "The iotguard module was unloaded"
	check "insmod again" insmod "$KO" "max_devices=$maxdev"
	check "the daemon notices the module back" \
		within 10 metric_is iotguard_daemon_module_reloads_total 1
	check "... up" metric_is iotguard_daemon_module_up 1
	check "enroll the three anew" enroll
	check "attach iot0 again" quiet ig attach iot0 --mode native
	check "the daemon resumes scoring" within 10 paused_is 0
	check "it restores the 3 baselines saved when the module went" \
		within 10 in_log 1 "Restored the baselines of 3 devices from $sdir/baselines.bin"
	check "it sets again what it had set on the 2 devices enrolled anew" \
		in_log 1 "Set again what the daemon had set on 2 devices enrolled anew"
	check "the module has the camera denied, the bulb quarantined again" \
		module_has "$CAM" deny "$BULB" quarantine "$LAMP" allow
	check "the daemon holds them as its own" shown deny deny "$CAM"
	check "the lamp does not learn anew" learnt "$LAMP"
	check "the daemon is running" kill -0 "$daemon_pid"
	check "the daemon's view: 3 devices, as the module's" views_match 3
}

# 3. Events lost, twice: 1000 devices enrolled, then deleted.
fault_overrun() {
	local r0 n

	many "$MANY" >"$tmp/many.conf"
	many 0 >"$tmp/three.conf"
	r0=$(metric iotguard_daemon_resyncs_total)
	kill -STOP "$daemon_pid"
	check "SIGSTOP: $MANY devices enrolled" quiet ig apply "$tmp/many.conf"
	kill -CONT "$daemon_pid"
	check "SIGCONT: the daemon says it lost events" \
		within 10 in_log 1 "Lost device events: reading the table again"
	check "... reads the table again (resyncs_total)" \
		within 10 reached iotguard_daemon_resyncs_total $((r0 + 1))
	check "... and its view matches the module's: $((MANY + 3)) devices" \
		within 10 views_match $((MANY + 3))
	r0=$(metric iotguard_daemon_resyncs_total)
	kill -STOP "$daemon_pid"
	check "SIGSTOP: $MANY devices deleted" quiet ig apply "$tmp/three.conf"
	kill -CONT "$daemon_pid"
	check "SIGCONT: it reads the table again" \
		within 10 reached iotguard_daemon_resyncs_total $((r0 + 1))
	check "... and its view matches the module's: 3 devices" \
		within 10 views_match 3
	n=$(grep -c "Lost device events" "$tmp/d1.log" || true)
	expect "two losses logged ($n)" "$n == 2"
}

# 4. Events lost while the module goes: every resync fails until it is
# back.
fault_resync_fails() {
	local e0 n

	e0=$(metric 'iotguard_daemon_errors_total{kind="resync"}')
	kill -STOP "$daemon_pid"
	check "SIGSTOP: $MANY devices enrolled" quiet ig apply "$tmp/many.conf"
	check "... detach" quiet ig detach iot0
	check "... rmmod" unload
	kill -CONT "$daemon_pid"
	check "SIGCONT: 3 attempts to read the table fail" \
		within 20 reached 'iotguard_daemon_errors_total{kind="resync"}' \
		$((e0 + 3))
	for n in 1 2 4; do
		check "... the next tried again in $n intervals" \
			in_log 1 "trying again in $n intervals"
	done
	check "the daemon is running" kill -0 "$daemon_pid"
	check "insmod again" insmod "$KO" "max_devices=$maxdev"
	check "the next attempt succeeds" \
		within 70 in_log 1 "Read the device table again after"
	n=$(metric iotguard_daemon_module_reloads_total)
	expect "a second reload counted ($n)" "$n == 2"
	check "enroll the three anew, attach" \
		eval 'enroll && quiet ig attach iot0 --mode native'
	check "the daemon resumes scoring" within 10 paused_is 0
	check "it sets again the deny and the quarantine (a second time)" \
		within 10 eval '[ "$(grep -c "Set again what the daemon had set on 2 devices" "$tmp/d1.log")" -ge 2 ]'
	check "the module has the camera denied, the bulb quarantined" \
		module_has "$CAM" deny "$BULB" quarantine "$LAMP" allow
	check "the daemon's view: 3 devices, as the module's" \
		within 10 views_match 3
}

run() {
	local cam_pid bulb_pid

	maxdev=$(cat /sys/module/iotguard/parameters/max_devices)
	if ! swarm_setup; then
		return 1
	fi
	faults_config "$sdir" >"$conf"
	send "$LAMP" 10
	send "$CAM" 60
	cam_pid=$!
	send "$BULB" 60
	bulb_pid=$!
	check "the lamp, the camera and the bulb send" \
		tap_wait 600 0.2 sending
	daemon_acts || return 1
	stop "$cam_pid" || true
	stop "$bulb_pid" || true
	fault_busy
	fault_reload || return 1
	fault_overrun
	fault_resync_fails
	stopped 1 || true
}

tap_plan 56
if ! run || [ "$failed" -gt 0 ]; then
	tail -n 40 "$tmp"/d1.log 2>/dev/null | sed 's/^/# daemon: /' || true
fi
echo "# $SECONDS s"
tap_end
