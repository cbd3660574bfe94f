#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iotguardd's world changing under it, a fault at a time (issue 16): each
# fault its own results. Three devices send steadily; the daemon denies
# the flooding camera and quarantines the flooding bulb, the lamp passes.
#
#  1. kill -9 of the daemon under load: the module holds the policy while
#     it is dead (the counters: the camera's frames denied, the bulb's held
#     to the quarantine rate, the lamp's passed), and a restarted daemon
#     resumes its baselines (the log says so, no device learns anew).
#  2. The XDP program detached and attached again under the daemon: it
#     pauses scoring (one log line, iotguard_daemon_paused), resumes after
#     the attach, and raises no silence or drop alert for the devices the
#     detach made quiet.
#  3. A full disk: the state directory on a small tmpfs, filled. Saves
#     fail with the reason logged, the old baselines.bin stays as it was
#     (its checksum), no temporary file is left, the daemon goes on
#     scoring; space freed, the next save succeeds, and a daemon started
#     on that file restores it.
#
# The module reloaded, rmmod while attached and lost events are
# tests/guest/faults_module_test.sh's. Judged in the daemon's intervals and
# the module's counters, never in seconds. Runs in the guest, as root,
# with iotguard.ko loaded. Prints TAP.
#
#  swarm: lamp-1 198.18.1.10 (sensor: alert), cam-1 .12 (camera: deny),
#         bulb-1 .21 (light: quarantine)
#    ── sw: br0 ── rtr: iot0 (XDP), iotguardd, /metrics

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igf$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/daemon.sh
. "$repo/tests/lib/daemon.sh"
# shellcheck source=../lib/faults.sh
. "$repo/tests/lib/faults.sh"

small=$tmp/small	# the tmpfs of the full disk
trap 'set +e; stop_all; umount -l "$small" 2>/dev/null; daemon_cleanup' EXIT

# config STATE_DIR: the daemon's configuration, to $conf.
config() {
	faults_config "$1" >"$conf"
}

# 1. kill -9 under load.
fault_kill() {
	local s0 s1 n

	check "the lamp, the camera and the bulb send" send_all
	daemon_acts || return 1
	# A save after it learnt: the file has what a restart must resume.
	n=$(metric iotguard_daemon_saves_total) || n=0
	check "a save after that (save_every = 1)" \
		within 10 reached iotguard_daemon_saves_total $((n + 1))

	kill -KILL "$daemon_pid"
	wait "$daemon_pid" 2>/dev/null || true
	check "kill -9: the daemon is gone" dead "$daemon_pid"
	s0=$(snapshot)
	# The daemon dead, the lamp's frames are the clock: 60 more passed.
	n=$(counter "$LAMP" pass)
	if ! tap_wait 600 0.2 counter_reached "$LAMP" pass $((n + 60)); then
		not_ok "the lamp's frames still pass with the daemon dead"
	else
		ok "the lamp's frames still pass with the daemon dead (60 more)"
	fi
	s1=$(snapshot)
	expect "the camera's frames are denied: $(delta "$s0" "$s1" cam)" \
		"$(delta_of "$s0" "$s1" cam denied) >= 30 and
		 $(delta_of "$s0" "$s1" cam pass) == 0"
	expect "the bulb held to the quarantine rate: $(delta "$s0" "$s1" bulb)" \
		"$(delta_of "$s0" "$s1" bulb rate) >= 30 and
		 $(delta_of "$s0" "$s1" bulb pass) * 4 < $(delta_of "$s0" "$s1" bulb rate)"
	check "the module still has the camera denied, the bulb quarantined" \
		module_has "$CAM" deny "$BULB" quarantine "$LAMP" allow

	if ! start_daemon 2; then
		not_ok "restart: iotguardd answers on /metrics"
		return 1
	fi
	check "restart: the log says the 3 baselines are restored" \
		in_log 2 "Restored the baselines of 3 devices from $sdir/baselines.bin"
	check "restart: the lamp is not learning anew" learnt "$LAMP"
	check "restart: the daemon holds the camera's deny as its own" \
		within 10 shown deny deny "$CAM"
	check "restart: ... and the bulb's quarantine" \
		within 10 shown quarantine quarantine "$BULB"
}

# 2. Detached and attached again under the daemon.
fault_detach() {
	local quiet0 quiet1 n p0

	quiet0=$(quiet_alerts)
	p0=$(metric iotguard_daemon_pauses_total)
	check "detach iot0 under the daemon" quiet ig detach iot0
	check "the daemon pauses scoring" within 10 paused_is 1
	# Quiet beyond any learnt cadence (silence_min is 3 intervals).
	n=$(metric iotguard_daemon_paused_intervals_total) || n=0
	check "10 intervals paused" \
		tap_wait 1500 0.2 reached iotguard_daemon_paused_intervals_total \
		$((n + 10))
	check "attach iot0 again" quiet ig attach iot0 --mode native
	check "the daemon resumes scoring" within 10 paused_is 0
	check "5 intervals scored since" wait_intervals 5
	n=$(metric iotguard_daemon_pauses_total)
	expect "one pause ($p0 before, $n now)" "$n == $p0 + 1"
	n=$(grep -c "scoring paused" "$tmp/d2.log" || true)
	expect "one log line for the pause ($n)" "$n == 1"
	n=$(grep -c "scoring resumed after" "$tmp/d2.log" || true)
	expect "one log line for the resumption ($n)" "$n == 1"
	grep -h "scoring resumed after" "$tmp/d2.log" | sed 's/^/# /' || true
	quiet1=$(quiet_alerts)
	same "no silence or drop alert for the devices made quiet" \
		"$quiet0" "$quiet1"
	check "the camera is still denied, the bulb quarantined" \
		module_has "$CAM" deny "$BULB" quarantine "$LAMP" allow
}

# 3. A full disk while saving.
fault_disk() {
	local sd=$small/state e0 c1 c2 n s0 i0

	if ! stopped 2; then
		return 1
	fi
	mkdir -p "$small"
	if ! mount -t tmpfs -o size=512k,mode=0755 faults "$small"; then
		not_ok "a 512 KiB tmpfs for the state directory"
		return 1
	fi
	mkdir "$sd"
	cp "$sdir/baselines.bin" "$sd/"
	ok "a 512 KiB tmpfs for the state directory, the baselines on it"
	config "$sd"
	if ! start_daemon 3; then
		not_ok "on the tmpfs: iotguardd answers on /metrics"
		return 1
	fi
	check "on the tmpfs: the 3 baselines restored" \
		in_log 3 "Restored the baselines of 3 devices from $sd/baselines.bin"
	check "a save on the tmpfs" within 10 reached iotguard_daemon_saves_total 1
	e0=$(metric 'iotguard_daemon_errors_total{kind="save"}')
	i0=$(scored)
	dd if=/dev/zero of="$small/fill" bs=4096 >/dev/null 2>&1 || true
	check "the tmpfs is full" full "$small"
	check "a save fails" within 10 reached \
		'iotguard_daemon_errors_total{kind="save"}' $((e0 + 1))
	c1=$(sha256sum <"$sd/baselines.bin")
	check "two more fail" within 10 reached \
		'iotguard_daemon_errors_total{kind="save"}' $((e0 + 3))
	c2=$(sha256sum <"$sd/baselines.bin")
	same "the old baselines.bin is intact (its checksum)" "$c1" "$c2"
	n=$(find "$sd" -name 'baselines.bin?*' | wc -l)
	expect "no temporary file left ($n)" "$n == 0"
	check "the log names the reason" in_log 3 \
		"Unable to save the baselines to $sd/baselines.bin: No space left on device"
	n=$(scored)
	expect "the daemon scored on while saves failed ($i0 to $n)" \
		"$n >= $i0 + 2"
	check "the daemon holds the camera denied, the bulb quarantined" \
		shown deny deny "$CAM"
	check "... and the module too" \
		module_has "$CAM" deny "$BULB" quarantine "$LAMP" allow
	echo "# $(grep -c "No space left on device" "$tmp/d3.log" || true) saves failed"
	rm -f "$small/fill"
	s0=$(metric iotguard_daemon_saves_total)
	check "space freed: the next save succeeds" \
		within 10 reached iotguard_daemon_saves_total $((s0 + 1))
	if ! stopped 3; then
		return 1
	fi
	if ! start_daemon 4; then
		not_ok "after the full disk: iotguardd answers on /metrics"
		return 1
	fi
	check "a daemon started on it restores the 3 baselines" \
		in_log 4 "Restored the baselines of 3 devices from $sd/baselines.bin"
	stopped 4 || true
}

run() {
	if ! swarm_setup; then
		return 1
	fi
	config "$sdir"
	fault_kill || return 1
	fault_detach || return 1
	fault_disk
}

tap_plan 45
if ! run || [ "$failed" -gt 0 ]; then
	tail -n 30 "$tmp"/d[1-4].log 2>/dev/null | sed 's/^/# daemon: /' ||
		true
fi
echo "# $SECONDS s"
tap_end
