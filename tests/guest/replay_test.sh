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
set -u

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igr$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/daemon.sh
. "$repo/tests/lib/daemon.sh"
daemon_pid=
capture_pid=

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

run() {
	local live replayed frames first

	lamp_setup || return

	cat >"$tmp/iotguardd.conf" <<-CONF
	interval = 1
	learn = 6
	act_after = 2
	release_after = 600
	listen = none
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
	for _ in $(seq 100); do
		grep -q capturing "$tmp/capture.out" 2>/dev/null && break
		sleep 0.1
	done
	# Steady 10/s throughout, so that the flood is the only change: no
	# gap between two senders for the drop detector to see. The daemon
	# starts 2 s in, so that it learns no empty interval before the
	# sender runs (nor does the replay, which starts at the first frame).
	dev lamp python3 "$traffic" send --dst 198.18.1.1 --count 350 \
		--rate 10 >/dev/null &
	sleep 2
	nsenter --net="/run/netns/$TOPO-rtr" "$iotguardd" --foreground \
		--config "$tmp/iotguardd.conf" >"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!
	track "$daemon_pid"
	sleep 1
	check "iotguardd runs" kill -0 "$daemon_pid"
	sleep 17
	dev lamp python3 "$traffic" send --dst 198.18.1.1 --count 2000 \
		--rate 200 >/dev/null
	sleep 3
	stop "$daemon_pid"
	stop "$capture_pid"
	frames=$(tail -n 1 "$tmp/capture.out" | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["frames"])' 2>/dev/null)
	if [ "${frames:-0}" -gt 2000 ]; then
		ok "captured the lamp's $frames frames"
	else
		not_ok "captured the lamp's frames (${frames:-none}: $(head -c 200 "$tmp/capture.out"))"
	fi

	live=$(first_act "$tmp/state/alerts.jsonl" alert 2>/dev/null)
	case $live in
	"quarantine "*surge*)
		ok "live: the flood quarantined the lamp: ${live% *}" ;;
	*)
		not_ok "live: the flood quarantined the lamp (got '${live:-nothing}')"
		sed 's/^/# daemon: /' "$tmp/daemon.log" | tail -20
		;;
	esac

	"$iotguardd" --config "$tmp/iotguardd.conf" --replay "$tmp/lamp.pcap" \
		--devices "$tmp/devices" --json >"$tmp/replay.jsonl" \
		2>"$tmp/replay.err"
	check "replay of the capture: exit 0 $(head -c 200 "$tmp/replay.err")" \
		test $? = 0
	replayed=$(first_act "$tmp/replay.jsonl" alert)
	if [ -n "$live" ] && [ "${live% *}" = "${replayed% *}" ]; then
		ok "replay: the same event, action and detectors: ${replayed% *}"
	else
		not_ok "replay: the same as live (live '$live', replay '${replayed:-nothing}')"
		grep '"type":"alert"' "$tmp/replay.jsonl" | head -5 | sed 's/^/# /'
	fi
	# The live intervals start when the daemon does, the replay's at the
	# first frame, and the live daemon's first reading is only a base:
	# the two grids differ by up to an interval either way.
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
	)
	check "replay: nothing before the flood ($first)" \
		test -n "$replayed" -a "$first" = "act ${replayed% *}"
}

echo "TAP version 13"
run
tap_end
