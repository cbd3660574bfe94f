#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What iotguardd keeps across intervals and restarts, and what it hands
# back. Eight devices learn; the daemon stops and starts again while seven
# of them flood, and must judge them on the saved baselines at once. The
# flood ends: the daemon must release what it quarantined after
# release_after calm intervals (not sooner, nor much later), but not a
# device the operator pinned or quarantined by hand. Its alerts.jsonl
# rotates at alerts_max lines with no alert lost or doubled, nor glued to
# a line a crash cut short, and `iotguard alerts` shows them as the
# daemon wrote them. A baselines file of another version, or one damaged on
# disk (its checksum), is ignored: the devices learn anew. Delays are
# judged in the daemon's intervals
# (iotguard_daemon_intervals_total, the interval an alert names), never in
# seconds. Runs in the guest, as root, with iotguard.ko loaded. Prints TAP.
#
#  swarm: lamp-1 198.18.1.10, cam-1 .12, sensor-1 .13, bulb-1..5 .21-.25
#    ── sw: br0 ── rtr: iot0 (XDP), iotguardd, /metrics
#
# Its helpers are its own (tests/guest/daemon_state.py and those below),
# not tests/lib/daemon.sh's: a sender for many addresses, the end of one
# timed in the daemon's intervals, /metrics values by name, the judges of
# the alerts.

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igs$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/daemon.sh
. "$repo/tests/lib/daemon.sh"

helper=$repo/tests/guest/daemon_state.py
conf=$tmp/iotguardd.conf
sdir=$tmp/state
alerts=$sdir/alerts.jsonl
LEARN=20	# intervals a baseline learns (interval = 1 s)
ACT_AFTER=2	# anomalous intervals in a row before acting
RELEASE=6	# calm intervals before a release
ALERTS_MAX=10	# lines of alerts.jsonl before it rotates
# An alert cut short, as by a crash while the daemon wrote it.
CUT='{"time":"2026-12-01T23:59:59.999Z","name":"lamp-1","addr'

# NAME ADDRESS CLASS
DEVICES=(
	"lamp-1 198.18.1.10 light"
	"cam-1 198.18.1.12 camera"
	"sensor-1 198.18.1.13 sensor"
	"bulb-1 198.18.1.21 light"
	"bulb-2 198.18.1.22 light"
	"bulb-3 198.18.1.23 light"
	"bulb-4 198.18.1.24 light"
	"bulb-5 198.18.1.25 light"
)
NDEV=${#DEVICES[@]}
BULBS=(198.18.1.21 198.18.1.22 198.18.1.23 198.18.1.24 198.18.1.25)
# All but sensor-1 flood.
FLOODERS=(198.18.1.10 198.18.1.12 "${BULBS[@]}")
LAMP=198.18.1.10
CAM=198.18.1.12
SENSOR=198.18.1.13

# judge NAME ARG...: a judge of daemon_state.py.
judge() {
	python3 "$helper" "$@"
}

# scrape: /metrics into $tmp/m.txt (headers and all); fails while nothing
# answers. Through bash's /dev/tcp: curl's start costs a busy guest
# seconds, and the test polls. HTTP/1.0: the reply is not chunked and
# ends with the connection.
GET_METRICS='GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n'
scrape() {
	topo_rtr bash -c "exec 3<>/dev/tcp/127.0.0.1/9477 &&
		printf '$GET_METRICS' >&3 && cat <&3" \
		>"$tmp/m.new" 2>/dev/null &&
		grep -q '^iotguard_daemon_intervals_total ' "$tmp/m.new" &&
		mv "$tmp/m.new" "$tmp/m.txt"
}

# value NAME: an unlabelled series of the last scrape.
value() {
	sed -n "s/^$1 //p" "$tmp/m.txt"
}

# now_intervals: the daemon's intervals so far, scraped now.
now_intervals() {
	scrape && value iotguard_daemon_intervals_total
}

# reached N: the daemon has scored N intervals, scraped now.
reached() {
	local now

	now=$(now_intervals) && [ "$now" -ge "$1" ]
}

# learning_count 0|1: the devices of the last scrape learnt (0) or
# learning (1).
learning_count() {
	grep -cE "^iotguard_device_learning\{.*\} $1$" "$tmp/m.txt" || true
}

# all_learnt: every device's baseline is learnt, scraped now.
all_learnt() {
	scrape && [ "$(learning_count 0)" -eq "$NDEV" ]
}

# shown STATE ACTION ADDR...: /metrics, scraped now, shows each device in
# the module's STATE with the daemon's ACTION.
shown() {
	local labels=",state=\"$1\",action=\"$2\"} 1$" a

	shift 2
	scrape || return 1
	for a in "$@"; do
		grep -q "^iotguard_device_state{[^}]*address=\"$a\"$labels" \
			"$tmp/m.txt" || return 1
	done
}

# module STATE ADDR...: the module (iotguard -j device list) has each
# device in STATE.
module() {
	local st=$1 list a re

	shift
	list=$(ig -j device list) || return 1
	for a in "$@"; do
		re="\"address\":\"${a//./\\.}\"[^}]*\"state\":\"$st\""
		if ! grep -qE "$re" <<<"$list"; then
			echo "# $a is not $st"
			return 1
		fi
	done
}

# flooding ADDR...: the module passed frames of each device.
flooding() {
	local list a re

	list=$(ig -j stats) || return 1
	for a in "$@"; do
		re="\"address\":\"${a//./\\.}\"[^}]*"
		re+="\"pass\":\{\"packets\":[1-9]"
		grep -qE "$re" <<<"$list" || return 1
	done
}

# start_daemon N: iotguardd with $conf, its log in $tmp/dN.log, its pid in
# daemon_pid; returns once /metrics answers (it dumps the devices and
# reads the baselines before it listens).
daemon_pid=
start_daemon() {
	nsenter --net="/run/netns/$TOPO-rtr" "$iotguardd" --foreground \
		--config "$conf" >"$tmp/d$1.log" 2>&1 &
	daemon_pid=$!
	track "$daemon_pid"
	tap_wait 300 0.2 scrape
}

# in_log N TEXT: daemon N logged TEXT.
in_log() {
	grep -qF -- "$2" "$tmp/d$1.log"
}

# stopped WHAT: one result, SIGTERM makes the daemon exit 0.
stopped() {
	if stop "$daemon_pid"; then
		ok "SIGTERM: $1 exits 0"
	else
		not_ok "SIGTERM: $1 exits 0"
	fi
}

enroll() {
	local d name addr class

	for d in "${DEVICES[@]}"; do
		read -r name addr class <<<"$d"
		ig device add "$addr" --name "$name" --class "$class" ||
			return 1
	done
}

run() {
	local a d n s_before s_after rel_at last re flood_pid

	if ! topo_init || ! topo_add_device swarm "$LAMP"; then
		not_ok "set up a router, a switch and the swarm's namespace"
		return 1
	fi
	for d in "${DEVICES[@]:1}"; do
		read -r _ a _ <<<"$d"
		topo_exec "$TOPO-swarm" ip addr add "$a/24" dev eth0
	done
	ok "set up a router, a switch and the swarm's namespace"
	check "attach iotguard to iot0" ig attach iot0 --mode native
	check "enroll $NDEV devices" enroll
	check "sensor-1 quarantined by hand (not pinned)" \
		ig device set "$SENSOR" --state quarantine

	cat >"$conf" <<-CONF
	interval = 1
	learn = $LEARN
	act_after = $ACT_AFTER
	release_after = $RELEASE
	alerts_max = $ALERTS_MAX
	save_every = 3600
	listen = 127.0.0.1:9477
	state_dir = $sdir
	CONF

	# A first start, nothing saved: every device learns. They learn
	# silence: nothing jitters on a busy machine, a flood stands out.
	if ! start_daemon 1; then
		not_ok "iotguardd answers on /metrics"
		return 1
	fi
	check "first start: the log says there are no baselines yet" \
		in_log 1 "No baselines in $sdir/baselines.bin yet: learning"
	n=$(learning_count 1)
	expect "first start: all $NDEV devices learning ($n)" "$n == $NDEV"
	if tap_wait 240 0.5 all_learnt; then
		n=$(value iotguard_daemon_intervals_total)
		ok "every baseline learnt after $n intervals"
	else
		not_ok "every baseline learnt"
		grep '^iotguard_device_learning' "$tmp/m.txt" | sed 's/^/# /'
	fi
	stopped iotguardd
	check "the baselines are saved" test -s "$sdir/baselines.bin"
	# The next daemon ends the cut line: its alerts are lines of their
	# own, which readers see whole.
	printf '%s' "$CUT" >>"$alerts"

	# A restart while seven devices flood, 20 datagrams a second each,
	# from the daemon's first interval on. Learning anew, with no class
	# prior, it would take the flood for their way; on the saved
	# baselines it is a surge.
	ip netns exec "$TOPO-swarm" python3 "$helper" send 20 12000 200 \
		"${FLOODERS[@]}" >/dev/null 2>&1 &
	flood_pid=$!
	track "$flood_pid"
	tap_wait 240 0.5 flooding "${FLOODERS[@]}" || true
	if ! start_daemon 2; then
		not_ok "restart: iotguardd answers on /metrics"
		return 1
	fi
	n="Restored the baselines of $NDEV devices from"
	check "restart: the log says the $NDEV baselines are restored" \
		tap_wait 50 0.2 in_log 2 "$n $sdir/baselines.bin"
	# Learning anew, a device has learnt at most k - 1 intervals after
	# k: learnt by interval LEARN, its baseline was restored.
	n=$(learning_count 0)
	last=$(value iotguard_daemon_intervals_total)
	expect "restart: all $NDEV learnt in interval $last (learn: $LEARN)" \
		"$n == $NDEV and $last <= $LEARN"
	if tap_wait 240 0.5 shown quarantine quarantine "${FLOODERS[@]}" &&
		module quarantine "${FLOODERS[@]}"; then
		ok "the restarted daemon quarantines the 7 flooding devices"
	else
		not_ok "the restarted daemon quarantines the 7 flooding devices"
		grep '^iotguard_device_state' "$tmp/m.txt" | sed 's/^/# /'
	fi
	# Its first interval only reads the counters; a surge acts in the
	# act_after-th anomalous one (a new destination at once).
	n=$((ACT_AFTER + 2))
	check "their alerts: quarantine, done, learnt, surge, why, by $n" \
		judge quarantined "$alerts" "$n" "${FLOODERS[@]}"

	# The operator pins cam-1 while it floods: it stays as it is.
	check "cam-1 pinned by the operator" ig device set "$CAM" --pin

	# The flood ends between the daemon's intervals s_before and
	# s_after + 1 (end scrapes them); the lamp is calm from s_before + 1
	# at the earliest, s_after + 2 at the latest, and released in the
	# RELEASE-th calm interval, which its alert names.
	check "the flood went on until stopped" kill -0 "$flood_pid"
	read -r s_before s_after < <(topo_rtr python3 "$helper" end \
		"$flood_pid")
	stop "$flood_pid" || true
	if ! tap_wait 240 0.5 shown allow none "$LAMP"; then
		not_ok "lamp-1 released by the daemon"
		grep 'lamp-1' "$tmp/m.txt" | sed 's/^/# /'
		return 1
	fi
	rel_at=$(judge released "$alerts" "$LAMP") || true
	check "lamp-1's release alert: quarantine -> none, done, calm again" \
		[ -n "$rel_at" ]
	n="lamp-1 released in interval $rel_at, the flood over"
	expect "$n after $s_before: not before $RELEASE calm ones" \
		"$rel_at >= $s_before + $RELEASE"
	expect "... over by $((s_after + 1)): not after $RELEASE calm ones" \
		"$rel_at <= $s_after + 1 + $RELEASE"
	check "the module allows lamp-1 again" module allow "$LAMP"
	if tap_wait 240 0.5 shown allow none "${BULBS[@]}" &&
		module allow "${BULBS[@]}"; then
		ok "the daemon releases the bulbs too"
	else
		not_ok "the daemon releases the bulbs too"
	fi

	# One more release period: what the daemon did not set, or was
	# pinned since, stays where the operator put it.
	tap_wait 240 0.5 reached $((rel_at + RELEASE)) || true
	last=$(now_intervals)
	check "$((last - rel_at)) intervals on, pinned cam-1 is quarantined" \
		module quarantine "$CAM"
	check "... and sensor-1, quarantined by hand, too" \
		module quarantine "$SENSOR"
	check "no release of cam-1 or sensor-1 done" \
		judge kept "$alerts" "$CAM" "$SENSOR"
	stopped "the restarted iotguardd"

	# Both daemons stopped: every alert logged is in the files.
	judge logged "$tmp/d1.log" "$tmp/d2.log" >"$tmp/logged.jsonl"
	n=$(wc -l <"$tmp/logged.jsonl")
	check "$n alerts, more than alerts_max = $ALERTS_MAX" \
		[ "$n" -gt "$ALERTS_MAX" ]
	n=$(wc -l <"$alerts.1" || true)
	check "alerts.jsonl.1 has alerts_max = $ALERTS_MAX lines ($n)" \
		[ "$n" = "$ALERTS_MAX" ]
	check "alerts.jsonl.1, alerts.jsonl: the cut line, the alerts logged" \
		judge rotation "$alerts" "$tmp/logged.jsonl" "$ALERTS_MAX" \
		"$CUT"

	# iotguard alerts: both files, oldest first, as written.
	ig alerts -j -n 0 -f "$alerts" >"$tmp/all.json" || true
	check "iotguard alerts -j -n 0: all alerts of both files, as written" \
		judge cli_json "$alerts" "$tmp/all.json" 0
	n=$(($(wc -l <"$alerts") + 2))
	ig alerts -j -n "$n" -f "$alerts" >"$tmp/last.json" || true
	check "iotguard alerts -j -n $n: the last $n, across the rotation" \
		judge cli_json "$alerts" "$tmp/last.json" "$n"
	ig alerts -f "$alerts" >"$tmp/table.txt" || true
	check "iotguard alerts: a row per alert: device, event, action, why" \
		judge cli_table "$alerts" "$tmp/table.txt"

	# A baselines file of another version: ignored, the devices learn
	# anew (iotguardd(8), FILES).
	judge other_version "$sdir/baselines.bin"
	if ! start_daemon 3; then
		not_ok "another version: iotguardd answers on /metrics"
		return 1
	fi
	n="Unable to load the baselines from $sdir/baselines.bin:"
	check "another version: the log says it is ignored" in_log 3 \
		"$n Protocol error (another version: learning anew)"
	n=$(learning_count 1)
	expect "another version: all $NDEV devices learn anew ($n)" \
		"$n == $NDEV"
	stopped iotguardd

	# The file it saved on the way out, a byte of it damaged on disk:
	# refused by its checksum, the devices learn anew.
	judge damage "$sdir/baselines.bin"
	if ! start_daemon 4; then
		not_ok "damaged: iotguardd answers on /metrics"
		return 1
	fi
	check "damaged: the log says its checksum does not match" in_log 4 \
		"$sdir/baselines.bin: its checksum does not match: learning anew"
	n=$(learning_count 1)
	expect "damaged: all $NDEV devices learn anew ($n)" "$n == $NDEV"
	stopped iotguardd
}

tap_plan 36
if ! run || [ "$failed" -gt 0 ]; then
	tail -n 30 "$tmp"/d[1-4].log 2>/dev/null | sed 's/^/# daemon: /' ||
		true
fi
echo "# $SECONDS s"
tap_end
