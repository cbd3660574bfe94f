#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live scoring and replay agree: a lamp sends steadily, then floods on top
# of it; iotguardd watches it live while the lamp's frames are captured,
# and iotguardd --replay of that capture with the same configuration must
# report the same anomaly (device, event, action, detectors) within two
# intervals of the live alert. Runs in the guest, as root, with
# iotguard.ko loaded. Prints TAP.
#
#  lamp 198.18.1.10 (capture on eth0) ── sw: br0 ── rtr: iot0 (XDP), iotguardd

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igp$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/daemon.sh
. "$repo/tests/lib/daemon.sh"
daemon_pid=
capture_pid=
steady_pid=
lamp='name="lamp-1",class="light",address="198.18.1.10"'

dev() { topo_exec "$TOPO-$1" "${@:2}"; }

# first_act FILE TYPE: "ACTION DETECTORS TIME" of lamp-1's first act.
first_act() {
	python3 - "$1" "$2" <<-'PY'
	import json, sys
	for line in open(sys.argv[1]):
	    a = json.loads(line)
	    if a.get("type", "alert") == sys.argv[2] and \
	       a["name"] == "lamp-1" and a["event"] == "act":
	        print(a["action"], ",".join(a["detectors"]), a["time"])
	        break
	PY
}

# lamp_heard N: the module has passed N of the lamp's frames or more.
lamp_heard() {
	local n

	n=$(passed 198.18.1.10 2>/dev/null) && [ "$n" -ge "$1" ]
}

capturing() {
	grep -q capturing "$tmp/capture.out"
}

# json_field FILE TYPE FIELD: FIELD of the first record of TYPE in FILE.
json_field() {
	python3 - "$@" <<-'PY'
	import json, sys
	for line in open(sys.argv[1]):
	    r = json.loads(line)
	    if r.get("type", "") == sys.argv[2]:
	        print(r[sys.argv[3]])
	        break
	PY
}

run() {
	local live replayed first rc sent packets

	lamp_setup || return 1

	# /metrics, which the replay does not use, tells the live daemon's
	# intervals.
	cat >"$tmp/iotguardd.conf" <<-CONF
	interval = 1
	learn = 6
	act_after = 2
	release_after = 600
	listen = 127.0.0.1:9477
	state_dir = $tmp/state
	[class light]
	policy = quarantine
	CONF
	echo "198.18.1.10 lamp-1 light" >"$tmp/devices"

	# nsenter execs: $! is the capture's own pid, for its SIGTERM.
	nsenter --net="/run/netns/$TOPO-lamp" python3 "$traffic" capture \
		--dev eth0 --out "$tmp/lamp.pcap" >"$tmp/capture.out" 2>&1 &
	capture_pid=$!
	track "$capture_pid"
	check "the capture of the lamp's eth0 runs" tap_wait 600 0.2 capturing
	# Steady 10/s until the capture ends, so that the flood is the only
	# change: no gap between two senders for the drop detector to see.
	# The daemon starts once a second of it has passed, so that it
	# learns no empty interval before the sender runs (nor does the
	# replay, which starts at the first frame).
	nsenter --net="/run/netns/$TOPO-lamp" python3 "$traffic" send \
		--dst 198.18.1.1 --count 6000 --rate 10 >/dev/null 2>&1 &
	steady_pid=$!
	track "$steady_pid"
	check "the lamp's steady frames pass" tap_wait 600 0.2 lamp_heard 10
	nsenter --net="/run/netns/$TOPO-rtr" "$iotguardd" --foreground \
		--config "$tmp/iotguardd.conf" >"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!
	track "$daemon_pid"
	check "iotguardd answers on /metrics" wait_listening
	# Learning, then 3 intervals of the steady rate found normal.
	if within 60 lamp_learnt && wait_intervals 3 &&
		[ ! -s "$tmp/state/alerts.jsonl" ]; then
		ok "live: the steady lamp is learnt, no alert 3 intervals later"
	else
		not_ok "live: the steady lamp is learnt, no alert 3 intervals later"
		sed 's/^/# alert: /' "$tmp/state/alerts.jsonl" || true
	fi

	# Full frames: on a busy machine the steady sender comes in bursts
	# and its learnt packet rate is wide; the flood's bytes stand out
	# whatever the bursts (the test is of agreement, not sensitivity).
	dev lamp python3 "$traffic" send --dst 198.18.1.1 --count 2000 \
		--rate 200 --size 1200 >"$tmp/flood.out"
	live=
	if within 10 has_output first_act "$tmp/state/alerts.jsonl" \
		alert; then
		live=$(first_act "$tmp/state/alerts.jsonl" alert)
	fi
	case $live in
	"quarantine "*surge*)
		ok "live: the flood quarantined the lamp: ${live% *}" ;;
	*)
		not_ok "live: the flood quarantined the lamp (got '${live:-nothing}')"
		sed 's/^/# daemon: /' "$tmp/daemon.log" | tail -20
		;;
	esac
	stop "$daemon_pid" || true
	# The capture ends while the steady sender still runs: the replay
	# sees no drop.
	stop "$capture_pid" || true
	stop "$steady_pid" || true

	rc=0
	"$iotguardd" --config "$tmp/iotguardd.conf" --replay "$tmp/lamp.pcap" \
		--devices "$tmp/devices" --json >"$tmp/replay.jsonl" \
		2>"$tmp/replay.err" || rc=$?
	check "replay of the capture: exit 0 (status $rc) $(head -c 200 "$tmp/replay.err")" \
		[ "$rc" = 0 ]
	sent=$(json_field "$tmp/flood.out" "" sent 2>/dev/null) || sent=
	packets=$(json_field "$tmp/replay.jsonl" device packets 2>/dev/null) ||
		packets=
	expect "replay: the lamp's frames in the capture hold the flood's ($packets frames, the flood sent $sent)" \
		"${packets:-0} >= ${sent:-1} >= 2000"
	replayed=$(first_act "$tmp/replay.jsonl" alert 2>/dev/null) || replayed=
	if [ -n "$live" ] && [ "${live% *}" = "${replayed% *}" ]; then
		ok "replay: the same event, action and detectors: ${replayed% *}"
	else
		not_ok "replay: the same as live (live '$live', replay '${replayed:-nothing}')"
		grep '"type":"alert"' "$tmp/replay.jsonl" |
			sed -n '1,5s/^/# /p' || true
	fi
	# The live intervals start when the daemon does, the replay's at the
	# first frame, and the live daemon's first reading is only a base:
	# the two grids differ by up to an interval either way. Both times
	# are clocks of the guest: the daemon's and the capture's kernel
	# timestamps.
	if [ -n "$live" ] && [ -n "$replayed" ] &&
	   python3 - "${live##* }" "${replayed##* }" <<-'PY'
	import datetime, sys
	t = [datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
	     for s in sys.argv[1:]]
	sys.exit(abs((t[0] - t[1]).total_seconds()) > 2)
	PY
	then
		ok "replay: at the live alert's time ± 2 intervals (live ${live##* }, replay ${replayed##* })"
	else
		not_ok "replay: at the live alert's time ± 2 intervals (live ${live##* }, replay ${replayed##* })"
	fi
	first=$(python3 - "$tmp/replay.jsonl" <<-'PY'
	import json, sys
	for line in open(sys.argv[1]):
	    a = json.loads(line)
	    if a["type"] == "alert":
	        print(a["event"], a["action"], ",".join(a["detectors"]))
	        break
	PY
	) || first=
	check "replay: nothing before the flood ($first)" \
		test -n "$replayed" -a "$first" = "act ${replayed% *}"
}

tap_plan 13
run
tap_end
