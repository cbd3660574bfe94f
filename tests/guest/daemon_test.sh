#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iotguardd end to end: a lamp learns a steady rate, then floods on top of
# it; the daemon must quarantine it within 5 s of the flood showing in
# /metrics, say why in an alert, announce the alert through the module
# (`iotguard monitor -j` records it), show it in /metrics, and stop cleanly
# on SIGTERM with its baselines saved. Runs in the guest, as root, with
# iotguard.ko loaded.
# Prints TAP.
#
#  lamp 198.18.1.10 ── sw: br0 ── rtr: iot0 (XDP), iotguardd, /metrics
set -u

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igd$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/daemon.sh
. "$repo/tests/lib/daemon.sh"
daemon_pid=
monitor_pid=

# lamp_packets: the lamp's passed frames, as /metrics says (once a second).
lamp_packets() {
	metrics | sed -n 's/^iotguard_device_packets_total{name="lamp-1",[^}]*} //p'
}

# lamp_send RATE COUNT: datagrams to the router, in the background.
lamp_send() {
	ip netns exec "$TOPO-lamp" python3 "$traffic" send --dst 198.18.1.1 \
		--count "$2" --rate "$1" >/dev/null 2>&1 &
	track $!
}

run() {
	local start now elapsed st alert last seen

	lamp_setup || return

	cat >"$tmp/iotguardd.conf" <<-CONF
	# the test's: learn fast, release never during the test
	interval = 1
	learn = 6
	release_after = 600
	listen = 127.0.0.1:9477
	state_dir = $tmp/state
	[class light]
	policy = quarantine
	CONF
	# Steady: 20 datagrams a second until the test ends (a gap before
	# the flood would read as a drop); the daemon starts 2 s in, so that
	# its first intervals are whole ones.
	lamp_send 20 6000
	# The alerts, as any listener of the module's events sees them.
	nsenter --net="/run/netns/$TOPO-rtr" "$iotguard" monitor -j \
		>"$tmp/monitor.jsonl" 2>"$tmp/monitor.err" &
	monitor_pid=$!
	track "$monitor_pid"
	sleep 2
	# nsenter execs the daemon: $! is the daemon's own pid.
	nsenter --net="/run/netns/$TOPO-rtr" "$iotguardd" --foreground \
		--config "$tmp/iotguardd.conf" >"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!
	track "$daemon_pid"
	sleep 1
	check "iotguardd runs" kill -0 "$daemon_pid"
	sleep 11
	st=$(state 198.18.1.10)
	if [ "$st" = allow ]; then
		ok "steady lamp stays allowed after learning"
	else
		not_ok "steady lamp stays allowed after learning (state $st)"
	fi

	# Flood: 50x its rate on top. Under a loaded TCG guest python takes
	# seconds to start: the clock starts when /metrics (rendered once an
	# interval) first shows an interval of 200 frames or more (the steady
	# pace makes 20), i.e. when the daemon has seen the flood.
	last=$(lamp_packets)
	lamp_send 1000 20000
	start=
	for _ in $(seq 300); do
		seen=$(lamp_packets)
		if [ -n "$seen" ] && [ -n "$last" ] &&
			[ "$seen" -ge $((last + 200)) ]; then
			start=$(date +%s.%N)
			break
		fi
		last=${seen:-$last}
		sleep 0.1
	done
	elapsed=
	for _ in $(seq 200); do
		[ -n "$start" ] || break
		if ig device show 198.18.1.10 2>/dev/null | grep -qw quarantine; then
			now=$(date +%s.%N)
			elapsed=$(awk "BEGIN { printf \"%.1f\", $now - $start }")
			break
		fi
		sleep 0.1
	done
	if [ -z "$start" ]; then
		not_ok "the flood shows in /metrics within 30 s"
	elif [ -n "$elapsed" ] && awk "BEGIN { exit !($elapsed <= 5) }"; then
		ok "flooding lamp quarantined ${elapsed}s after the flood showed"
	else
		not_ok "flooding lamp quarantined within 5 s of the flood showing (after ${elapsed:-more than 20}s)"
	fi

	alert=$(python3 - "$tmp/state/alerts.jsonl" <<-'PY'
	import json, sys
	for line in open(sys.argv[1]):
	    a = json.loads(line)
	    if a["name"] == "lamp-1" and a["action"] == "quarantine" and \
	            a["event"] in ("act", "escalate"):
	        print("%s %s %s: %s" % (a["action"], a["done"],
	              ",".join(a["detectors"]), a["explanation"]))
	        break
	PY
	)
	case $alert in
	"quarantine True surge"*": "*"expected"*)
		ok "alert explains it: $alert" ;;
	*)
		not_ok "alert with an explanation (got '${alert:-nothing}')" ;;
	esac
	if grep -q "anomaly lamp-1 (198.18.1.10).*quarantine.*surge" \
		"$tmp/daemon.log"; then
		ok "the log says why"
	else
		not_ok "the log says why"
	fi

	# The daemon sends the alert right after setting the state.
	alert=
	for _ in $(seq 50); do
		alert=$(python3 - "$tmp/monitor.jsonl" <<-'PY'
		import json, sys
		for line in open(sys.argv[1]):
		    e = json.loads(line)
		    if (e["event"] == "alert" and e["device"]["name"] == "lamp-1"
		            and e["alert"]["action"] == "quarantine"):
		        a = e["alert"]
		        print("%s %s %s %s: %s" % (a["detector"], a["action"],
		              a["dry_run"], e["device"]["address"], a["explanation"]))
		        break
		PY
		)
		[ -n "$alert" ] && break
		sleep 0.1
	done
	case $alert in
	"surge quarantine False 198.18.1.10: surge: "*"expected"*)
		ok "iotguard monitor -j: the alert event: $alert" ;;
	*)
		not_ok "iotguard monitor -j: the alert event (got '${alert:-nothing}')"
		sed 's/^/# monitor: /' "$tmp/monitor.jsonl" "$tmp/monitor.err" | tail -10
		;;
	esac
	if python3 - "$tmp/monitor.jsonl" <<-'PY'
	import json, sys
	sys.exit(not any(e["event"] == "set" and e["device"]["name"] == "lamp-1"
	                 and e["device"]["state"] == "quarantine"
	                 for e in map(json.loads, open(sys.argv[1]))))
	PY
	then
		ok "iotguard monitor -j: the quarantine as a set event"
	else
		not_ok "iotguard monitor -j: the quarantine as a set event"
	fi
	kill -INT "$monitor_pid"
	wait "$monitor_pid"
	st=$?
	stop "$monitor_pid"
	check "SIGINT: iotguard monitor exits 0 (status $st)" [ "$st" = 0 ]

	metrics >"$tmp/metrics.txt" 2>&1
	check "/metrics: the lamp's state is quarantine" grep -q \
		'^iotguard_device_state{name="lamp-1",class="light",address="198.18.1.10",state="quarantine",action="quarantine"} 1$' \
		"$tmp/metrics.txt"
	check "/metrics: the lamp's score and counters" grep -qE \
		'^iotguard_device_score\{name="lamp-1",.*\} [0-9.]+$' \
		"$tmp/metrics.txt"
	check "/metrics: drops by reason" grep -qE \
		'^iotguard_device_dropped_packets_total\{name="lamp-1",.*reason="rate"\} [1-9][0-9]*$' \
		"$tmp/metrics.txt"
	check "/metrics: daemon health" grep -q \
		'^iotguard_daemon_maps_up 1$' "$tmp/metrics.txt"
	if ! grep -q '^iotguard_device_state' "$tmp/metrics.txt"; then
		sed 's/^/# /' "$tmp/metrics.txt" | head -20
	fi

	stop "$daemon_pid"
	st=$?
	check "SIGTERM: iotguardd exits 0 within 10 s (status $st)" \
		[ "$st" = 0 ]
	check "baselines saved" test -s "$tmp/state/baselines.bin"
	check "quarantine outlives the daemon" \
		[ "$(state 198.18.1.10)" = quarantine ]
	if [ "$failed" -gt 0 ]; then
		sed 's/^/# daemon: /' "$tmp/daemon.log" | tail -30
	fi
}

echo "TAP version 13"
run
tap_end
