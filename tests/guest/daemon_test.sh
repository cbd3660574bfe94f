#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iotguardd end to end: a lamp learns a steady rate, then floods on top of
# it; the daemon must quarantine it within 3 of its intervals of the flood
# showing in /metrics, say why in an alert, announce the alert through the
# module (`iotguard monitor -j` records it), show it in /metrics, and stop
# cleanly on SIGTERM with its baselines saved. Runs in the guest, as root,
# with iotguard.ko loaded. Prints TAP.
#
#  lamp 198.18.1.10 ── sw: br0 ── rtr: iot0 (XDP), iotguardd, /metrics

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
lamp='name="lamp-1",class="light",address="198.18.1.10"'

# lamp_send RATE COUNT: datagrams to the router, in the background.
lamp_send() {
	ip netns exec "$TOPO-lamp" python3 "$traffic" send --dst 198.18.1.1 \
		--count "$2" --rate "$1" >/dev/null 2>&1 &
	track $!
}

# lamp_heard N: the module has passed N of the lamp's frames or more.
lamp_heard() {
	local n

	n=$(passed 198.18.1.10 2>/dev/null) && [ "$n" -ge "$1" ]
}

# monitor_hears: the monitor prints the module's events. The lamp's name,
# set again, changes nothing but makes an event.
monitor_hears() {
	ig device set 198.18.1.10 --name lamp-1 >/dev/null
	grep -q '"event":"set"' "$tmp/monitor.jsonl"
}

# sample: "INTERVALS FRAMES STATE SCORE" from one scrape of /metrics: the
# intervals scored, the lamp's frames (passed or dropped: what it sent),
# its state and score, as one rendering shows them.
sample() {
	local text

	text=$(metrics) || return 1
	awk -v lamp="$lamp" '
	$1 == "iotguard_daemon_intervals_total" { i = $2 }
	index($0, "iotguard_device_packets_total{" lamp "} ") == 1 ||
	index($0, "iotguard_device_dropped_packets_total{" lamp ",") == 1 {
		p += $NF
	}
	index($0, "iotguard_device_score{" lamp "} ") == 1 { sc = $2 }
	index($0, "iotguard_device_state{" lamp ",state=\"") == 1 {
		s = substr($0, length("iotguard_device_state{" lamp) + 9)
		s = substr(s, 1, index(s, "\"") - 1)
	}
	END { if (i == "" || p == "" || s == "") exit 1; print i, p, s, sc }
	' <<<"$text"
}

# lamp_alert FILE: lamp-1's first act as alerts.jsonl records it.
lamp_alert() {
	python3 - "$1" <<-'PY'
	import json, sys
	for line in open(sys.argv[1]):
	    a = json.loads(line)
	    if a["name"] == "lamp-1" and a["action"] == "quarantine" and \
	            a["event"] in ("act", "escalate"):
	        print("%s %s %s: %s" % (a["action"], a["done"],
	              ",".join(a["detectors"]), a["explanation"]))
	        break
	PY
}

# monitor_alert: the quarantine's alert event as the monitor printed it.
monitor_alert() {
	python3 - "$tmp/monitor.jsonl" <<-'PY'
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
}

in_log() {
	grep -q -- "$1" "$tmp/daemon.log"
}

run() {
	local st alert learnt f0 f1 q0 q1 prev_i prev_p start deadline
	local i=- p=- s=- sc=-

	lamp_setup || return 1

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
	# the flood would read as a drop).
	lamp_send 20 6000
	# The alerts, as any listener of the module's events sees them.
	nsenter --net="/run/netns/$TOPO-rtr" "$iotguard" monitor -j \
		>"$tmp/monitor.jsonl" 2>"$tmp/monitor.err" &
	monitor_pid=$!
	track "$monitor_pid"
	check "iotguard monitor -j prints the module's events" \
		tap_wait 600 0.2 monitor_hears
	# The daemon starts once a second of the lamp has passed, so that
	# its intervals learn the lamp's rate, not the sender's start.
	check "the lamp's steady frames pass" tap_wait 600 0.2 lamp_heard 20

	# nsenter execs the daemon: $! is the daemon's own pid.
	nsenter --net="/run/netns/$TOPO-rtr" "$iotguardd" --foreground \
		--config "$tmp/iotguardd.conf" >"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!
	track "$daemon_pid"
	check "iotguardd answers on /metrics" wait_listening
	same "a method other than GET or HEAD gets 405" 405 \
		"$(topo_rtr curl -s -o /dev/null -w '%{http_code}' -X POST \
			--max-time 10 "http://127.0.0.1:$metrics_port/metrics")"
	# One client holds at most 4 connections: a fifth is closed unanswered,
	# and once the four are gone the client is served again.
	same "one client gets 4 connections to /metrics, not a fifth" \
		"fifth refused, then served" \
		"$(topo_rtr python3 - "$metrics_port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def get():
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    try:
        data = s.recv(12)
    except ConnectionResetError:
        data = b""
    s.close()
    return data
held = [socket.create_connection(("127.0.0.1", port), timeout=60)
        for _ in range(4)]
for h in held:
    h.sendall(b"GET /metrics HTTP/1.0\r\n")
fifth = get()
for h in held:
    h.close()
# The server may take a moment to see the four go.
for _ in range(300):
    after = get()
    if after:
        break
    time.sleep(0.1)
print("fifth refused, then served" if not fifth and after.startswith(b"HTTP/1")
      else "fifth %r, after %r" % (fifth, after))
PY
)"

	# Learning ends after 6 intervals found normal; then 10 more of the
	# steady rate must be (and a young baseline's weights are 1/age: 10
	# more keep a flood slowed by a loaded machine from being learnt as
	# it ramps up).
	if within 60 lamp_learnt; then
		learnt=$(intervals)
		ok "the steady lamp's baseline is learnt ($learnt intervals)"
	else
		not_ok "the steady lamp's baseline is learnt"
	fi
	wait_intervals 10 || true
	st=$(state 198.18.1.10) || true
	if [ "$st" = allow ] && [ ! -s "$tmp/state/alerts.jsonl" ]; then
		ok "steady lamp: no alert, still allowed 10 intervals after learning"
	else
		not_ok "steady lamp: no alert, still allowed 10 intervals after learning (state $st)"
		sed 's/^/# alert: /' "$tmp/state/alerts.jsonl" || true
	fi

	# Flood: 50x its rate on top. Under a loaded TCG guest python takes
	# seconds to start: the count starts at the interval whose scrape
	# first shows 200 frames or more an interval (the steady pace makes
	# 20), passed or dropped, i.e. when the daemon has seen the flood.
	# Scrapes are slow on a loaded machine: the flood came after the
	# scrape before (f0) and by the one that shows it (f1), the
	# quarantine likewise (q0, q1); it is late when it came more than 3
	# intervals after the flood even at best (q0 + 1 - f1). The safety
	# net: 60 intervals, or 20 minutes for a daemon that stops counting.
	lamp_send 1000 20000
	f0='' f1='' q0='' q1='' prev_i='' prev_p='' start=''
	deadline=$((SECONDS + 1200))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if read -r i p s sc < <(sample); then
			echo "$i $p $s $sc" >>"$tmp/samples"
			start=${start:-$i}
			if [ -z "$f1" ] && [ -n "$prev_i" ] &&
				[ "$i" -gt "$prev_i" ] &&
				[ $((p - prev_p)) -ge $((200 * (i - prev_i))) ]
			then
				f0=$prev_i
				f1=$i
			fi
			if [ "$s" = quarantine ]; then
				q0=$prev_i
				q1=$i
				break
			fi
			[ "$i" -lt $((start + 60)) ] || break
			prev_i=$i
			prev_p=$p
		fi
		sleep 0.2
	done
	if [ -z "$f1" ] || [ -z "$q1" ]; then
		not_ok "the flood shows in /metrics (by ${f1:-no interval}), then the quarantine (by ${q1:-no interval})"
		uniq "$tmp/samples" |
			sed 's/^/# interval, frames, state, score: /' | tail -40
		# Late ticks collapse into one interval: fewer intervals
		# than seconds say the daemon ran late.
		echo "# iotguardd: $(intervals || echo ?) intervals in" \
			"$(ps -o etimes= -p "$daemon_pid" || echo ?) s"
	else
		expect "flooding lamp quarantined within 3 intervals of the flood showing (the flood in intervals $((f0 + 1))-$f1, the quarantine in $((q0 + 1))-$q1)" \
			"$q0 + 1 - $f1 <= 3"
	fi

	alert=
	if within 10 has_output lamp_alert "$tmp/state/alerts.jsonl"; then
		alert=$(lamp_alert "$tmp/state/alerts.jsonl")
	fi
	case $alert in
	"quarantine True surge"*": "*"expected"*)
		ok "alert explains it: $alert" ;;
	*)
		not_ok "alert with an explanation (got '${alert:-nothing}')" ;;
	esac
	check "the log says why" within 10 \
		in_log "anomaly lamp-1 (198.18.1.10).*quarantine.*surge"

	# The daemon sends the alert right after setting the state.
	alert=
	if within 10 has_output monitor_alert; then
		alert=$(monitor_alert)
	fi
	case $alert in
	"surge quarantine False 198.18.1.10: surge: "*"expected"*)
		ok "iotguard monitor -j: the alert event: $alert" ;;
	*)
		not_ok "iotguard monitor -j: the alert event (got '${alert:-nothing}')"
		sed 's/^/# monitor: /' "$tmp/monitor.jsonl" "$tmp/monitor.err" |
			tail -10
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
	st=0
	stop "$monitor_pid" INT || st=$?
	check "SIGINT: iotguard monitor exits 0 (status $st)" [ "$st" = 0 ]

	metrics >"$tmp/metrics.txt" 2>&1 || true
	check "/metrics: the lamp's state is quarantine" grep -q \
		"^iotguard_device_state{$lamp,state=\"quarantine\",action=\"quarantine\"} 1$" \
		"$tmp/metrics.txt"
	check "/metrics: the lamp's score and passed frames" grep -qE \
		"^iotguard_device_score\{$lamp\} [0-9.]+$" "$tmp/metrics.txt"
	check "/metrics: drops by reason" grep -qE \
		"^iotguard_device_dropped_packets_total\{$lamp,reason=\"rate\"\} [1-9][0-9]*$" \
		"$tmp/metrics.txt"
	check "/metrics: daemon health" grep -q \
		'^iotguard_daemon_maps_up 1$' "$tmp/metrics.txt"
	if ! grep -q '^iotguard_device_state' "$tmp/metrics.txt"; then
		sed -n '1,20s/^/# /p' "$tmp/metrics.txt"
	fi

	# The periodic save may have written the file: only the one written
	# on the way out may be found.
	rm -f "$tmp/state/baselines.bin"
	st=0
	stop "$daemon_pid" || st=$?
	check "SIGTERM: iotguardd exits 0 (status $st)" [ "$st" = 0 ]
	check "baselines saved on the way out" \
		test -s "$tmp/state/baselines.bin"
	check "quarantine outlives the daemon" \
		[ "$(state 198.18.1.10)" = quarantine ]
	if [ "$failed" -gt 0 ]; then
		sed 's/^/# daemon: /' "$tmp/daemon.log" | tail -30
	fi
}

tap_plan 23
run
tap_end
