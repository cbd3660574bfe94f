# SPDX-License-Identifier: GPL-2.0
#
# What the iotguardd tests share. Source it after tests/lib/tap.sh and
# tests/lib/topology.sh (TOPO set): it sets iotguard, iotguardd, traffic and
# tmp, defines ig, state, passed, metrics, metric, intervals,
# wait_listening, wait_intervals, within, lamp_setup, lamp_learnt,
# has_output, track and stop, and traps EXIT to stop every tracked process
# and the script's other jobs, detach iot0 and remove the topology.
#
# The daemon's time is its own: tests wait for its intervals (counted on
# /metrics, port metrics_port unless given), never for seconds.

iotguard=$repo/build/iotguard
iotguardd=$repo/build/iotguardd
traffic=$repo/tests/guest/traffic.py
tmp=$(mktemp -d)
TRACKED=()
metrics_port=9477

ig() { topo_rtr "$iotguard" "$@"; }

# state ADDR: the device's state in the module.
state() {
	ig -j device show "$1" 2>/dev/null | python3 -c \
		'import json,sys; d=json.load(sys.stdin); print((d.get("devices") or [d])[0]["state"])' 2>/dev/null
}

# passed ADDR: the device's frames that passed, as the module counts them.
passed() {
	ig -j stats "$1" | python3 -c 'import json, sys
print(json.load(sys.stdin)["devices"][0]["pass"]["packets"])'
}

# metrics [PORT]: /metrics from inside the router's namespace.
metrics() {
	topo_rtr curl -sf --max-time 10 \
		"http://127.0.0.1:${1:-$metrics_port}/metrics"
}

# metric SERIES [PORT]: the value of one series, written as /metrics
# writes it (NAME or NAME{LABELS}); fails when /metrics does not answer or
# has no such series.
metric() {
	local text

	text=$(metrics "${2:-$metrics_port}") || return 1
	awk -v s="$1 " 'index($0, s) == 1 {
		print substr($0, length(s) + 1); found = 1; exit
	} END { exit !found }' <<<"$text"
}

# intervals [PORT]: the intervals the daemon has scored.
intervals() {
	metric iotguard_daemon_intervals_total "$@"
}

# wait_listening [PORT]: until the daemon answers on /metrics.
wait_listening() {
	tap_wait 600 0.2 intervals "$@" >/dev/null
}

# intervals_reached N [PORT]: the daemon has scored N intervals or more.
intervals_reached() {
	local now

	now=$(intervals "${2:-$metrics_port}") && [ "$now" -ge "$1" ]
}

# wait_intervals N [PORT]: until the daemon has scored N more intervals
# than now. The safety net allows 20 s an interval.
wait_intervals() {
	local from

	from=$(intervals "${2:-$metrics_port}") || return 1
	tap_wait $((($1 * 20 + 60) * 5)) 0.2 \
		intervals_reached $((from + $1)) "${2:-$metrics_port}"
}

# within N COMMAND...: runs COMMAND until it succeeds; fails when it has
# not once the daemon has scored N more intervals than now. A loaded
# machine slows the daemon and the command alike: the bound holds. The
# safety net for a daemon that stops counting allows 20 s an interval.
within() {
	local n=$1 from now deadline=$((SECONDS + $1 * 20 + 60))

	shift
	from=$(intervals) || from=
	while [ "$SECONDS" -lt "$deadline" ]; do
		if "$@"; then
			return 0
		fi
		now=$(intervals) || now=
		if [ -z "$from" ]; then
			from=$now
		elif [ -n "$now" ] && [ "$now" -ge $((from + n)) ]; then
			# The condition may have come with that last interval.
			"$@"
			return
		fi
		sleep 0.2
	done
	return 1
}

# lamp_setup: router, switch and lamp-1 (198.18.1.10, class light, no rate
# limit) enrolled, iotguard attached to iot0; results for each step. Fails
# when the namespaces cannot be made.
lamp_setup() {
	if ! topo_init || ! topo_add_device lamp 198.18.1.10; then
		not_ok "set up the namespaces"
		return 1
	fi
	ok "set up router, switch and a lamp"
	check "attach iotguard to iot0" ig attach iot0 --mode native
	check "enroll lamp-1 (class light, no rate limit)" \
		ig device add 198.18.1.10 --name lamp-1 --class light
}

# lamp_learnt: the daemon has learnt the device whose /metrics labels are
# $lamp (each test's lamp-1).
lamp_learnt() {
	[ "$(metric "iotguard_device_learning{$lamp}")" = 0 ]
}

# has_output COMMAND...: the command prints something.
has_output() {
	local out

	out=$("$@" 2>/dev/null) && [ -n "$out" ]
}

# track PID: stopped at exit. Started through nsenter or `ip netns exec`,
# which exec, $! is the process itself.
track() {
	TRACKED+=("$1")
}

# stop PID [SIGNAL]: SIGNAL (TERM), then SIGKILL if it is still there
# after 60 s (a safety net, not a judgement); reaped. Returns its exit
# status (1 when it had to be killed or was gone): call it as a condition.
stop() {
	local pid=$1 sig=${2:-TERM} i

	for i in "${!TRACKED[@]}"; do
		[ "${TRACKED[$i]}" != "$pid" ] || unset 'TRACKED[i]'
	done
	kill -"$sig" "$pid" 2>/dev/null || return 1
	for _ in $(seq 600); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -KILL "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null || true
		return 1
	fi
	wait "$pid"
}

daemon_cleanup() {
	local pid

	set +e
	for pid in "${TRACKED[@]}"; do
		stop "$pid" >/dev/null 2>&1
	done
	for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	ig detach iot0 >/dev/null 2>&1
	topo_cleanup
	rm -rf "$tmp"
}
trap daemon_cleanup EXIT
