#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A quarantined attacker stays visible: the XDP program counts the frames
# it holds back (over the rate, in quarantine) in the device's features,
# so a scan that goes on in quarantine keeps its device there, past
# release_after, and the release comes only once the scan stops. Runs in
# the guest, as root, with iotguard.ko loaded. Prints TAP.
#
#  lamp-1 198.18.1.10 ── sw: br0 ── rtr: iot0 (XDP), iotguardd
#
# The lamp learns 40 datagrams a second to one port; then sweeps 400 ports
# at the same rate (no surge: the packets are as many; the ports are
# not). In quarantine 1 frame a second passes (the module's default): the
# scan would look like one port a second if only passes counted. Judged
# in the daemon's intervals, never in seconds.

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=ighold$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/daemon.sh
. "$repo/tests/lib/daemon.sh"
# shellcheck source=../lib/guard.sh
. "$repo/tests/lib/guard.sh"

RELEASE=8	# calm intervals before a release
LEARN=6

# lamp_send RATE COUNT [PORTS]: datagrams to the router, in the
# background; the sender's pid in $sender.
lamp_send() {
	ip netns exec "$TOPO-lamp" python3 "$traffic" send --dst 198.18.1.1 \
		--rate "$1" --count "$2" --ports "${3:-0}" >/dev/null 2>&1 &
	sender=$!
	track "$sender"
}

lamp_heard() {
	at_least "$1" devstat 198.18.1.10 pass
}

lamp_is() {
	[ "$(state 198.18.1.10)" = "$1" ]
}

# held_for N: the lamp stays quarantined while the daemon scores N more
# intervals. The safety net allows 20 s an interval.
held_for() {
	local from now deadline=$((SECONDS + $1 * 20 + 60))

	from=$(intervals) || return 1
	while [ "$SECONDS" -lt "$deadline" ]; do
		lamp_is quarantine || {
			echo "# released after $(($(intervals) - from)) intervals"
			return 1
		}
		now=$(intervals) || return 1
		[ "$now" -lt $((from + $1)) ] || return 0
		sleep 0.2
	done
	return 1
}

in_log() {
	grep -q "$1" "$tmp/daemon.log"
}

tap_plan 12
lamp_setup

cat >"$tmp/iotguardd.conf" <<EOF
# the test's: learn fast, release soon
interval = 1
learn = $LEARN
release_after = $RELEASE
listen = 127.0.0.1:$metrics_port
state_dir = $tmp/state
[class light]
policy = quarantine
EOF

lamp_send 40 1000000
steady=$sender
check "the lamp's steady frames pass" tap_wait 600 0.2 lamp_heard 40
nsenter --net="/run/netns/$TOPO-rtr" "$iotguardd" --foreground \
	--config "$tmp/iotguardd.conf" >"$tmp/daemon.log" 2>&1 &
track $!
check "iotguardd answers on /metrics" wait_listening
check "the lamp learns ($LEARN intervals and more)" \
	wait_intervals $((LEARN + 6))

stop "$steady" || true
lamp_send 40 1000000 400
sweep=$sender
check "the sweep is quarantined" within 10 lamp_is quarantine
check "the sweep goes on in quarantine: held $((3 * RELEASE)) intervals" \
	held_for $((3 * RELEASE))
check "the frames held back count for the lamp" \
	at_least 200 devstat 198.18.1.10 rate
check "the quarantine is logged" in_log "anomaly lamp-1 .*-> quarantine"

stop "$sweep" || true
check "the sweep stopped: released within $((RELEASE + 6)) intervals" \
	within $((RELEASE + 6)) lamp_is allow
check "the release is logged" in_log "release lamp-1 .*quarantine -> "

if [ "$failed" -gt 0 ]; then
	tail -n 30 "$tmp/daemon.log" | sed 's/^/# daemon: /'
fi
tap_end
