#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make eval's live half, in the guest VM: a city's capture sent at its own
# speed into a router guarded by iotguard, with the live iotguardd and the
# shipped configuration deciding. eval/city_eval.py --live OUT judges what
# it decided as it judges the replay.
#
#   street (netns)                         router (netns)
#   dev0  -- tcpreplay city.pcap -->       iot0, XDP (enforce)
#         every host of the capture,       the enrolled devices of
#         at the capture's times           devices.tsv; iotguardd
#
# Usage: eval/live.sh CITY OUT [CONFIG]     (root, in the VM: make eval)
#
# CITY holds city.pcap and devices.tsv (make-city). OUT gets:
#   alerts.jsonl   the daemon's decisions, each with its wall-clock time
#   sent.pcap      the first 96 bytes of every frame as it left dev0, with
#                  the wall-clock time it left (tcpreplay falls behind the
#                  capture's clock under load: city_eval.py maps decisions
#                  onto the capture's time through it)
#   stats.json     iotguard -j stats at the end (spoofed frames and all)
#   tcpreplay.log  what tcpreplay sent, and how fast
#   daemon.log     iotguardd's own log
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CITY=${1:?usage: eval/live.sh CITY OUT [CONFIG]}
OUT=${2:?usage: eval/live.sh CITY OUT [CONFIG]}
CONFIG=${3:-$REPO/etc/iotguardd.conf}
IOTGUARD=$REPO/build/iotguard
SNIFFER=
IOTGUARDD=$REPO/build/iotguardd
RTR=evr$$
STREET=evs$$
TMP=$(mktemp -d)
DAEMON=

say() {
	echo "live: $*" >&2
}

cleanup() {
	set +e
	for pid in "$DAEMON" "$SNIFFER"; do
		[ -n "$pid" ] || continue
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	nsenter --net=/run/netns/$RTR "$IOTGUARD" detach iot0 >/dev/null 2>&1
	ip netns del $RTR 2>/dev/null
	ip netns del $STREET 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

rtr() {
	nsenter --net=/run/netns/$RTR "$@"
}

for f in city.pcap devices.tsv; do
	[ -f "$CITY/$f" ] || { say "Unable to find $CITY/$f"; exit 1; }
done
for tool in tcpreplay tcpdump; do
	command -v $tool >/dev/null ||
		{ say "Unable to find $tool (scripts/setup-dev.sh)"; exit 1; }
done
mkdir -p "$OUT"
[ -d /sys/module/iotguard ] || insmod "$REPO/kmod/iotguard.ko"

# The router and the street. No address on iot0: the router's stack does
# not answer the city's frames; XDP sees them first all the same.
ip netns add $RTR
ip netns add $STREET
for ns in $RTR $STREET; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 \
		net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null
	ip -n "$ns" link set lo up
done
ip link add iot0 netns $RTR type veth peer name dev0 netns $STREET
ip -n $RTR link set iot0 up
ip -n $STREET link set dev0 up

# The enrolled devices, as the replay's --devices file has them: by IPv4
# address, bound to their MAC, class generic.
awk -F'\t' 'NR > 1 && $4 != "unknown" {
	printf "%s name %s mac %s\n", $2, $1, $3
}' "$CITY/devices.tsv" >"$TMP/devices.conf"
rtr "$IOTGUARD" apply "$TMP/devices.conf" >/dev/null
rtr "$IOTGUARD" attach iot0 --mode native >/dev/null
say "$(grep -c . "$TMP/devices.conf") devices enrolled, iot0 guarded"

# The shipped configuration, its state in the guest's RAM.
sed "s|^state_dir *=.*|state_dir = $TMP/state|" "$CONFIG" >"$TMP/iotguardd.conf"
mkdir -p "$TMP/state"
rtr "$IOTGUARDD" --foreground --config "$TMP/iotguardd.conf" \
	>"$OUT/daemon.log" 2>&1 &
DAEMON=$!
# intervals: how many intervals the daemon has scored (its /metrics).
intervals() {
	local text

	text=$(rtr curl -sf --max-time 5 http://127.0.0.1:9477/metrics) ||
		return 1
	awk '$1 == "iotguard_daemon_intervals_total" { print $2; found = 1 }
		END { exit !found }' <<<"$text"
}

# wait_intervals N: until the daemon has scored N intervals more than now.
wait_intervals() {
	local from=${2:-0} now

	for _ in $(seq 3000); do
		if now=$(intervals); then
			[ "$from" -gt 0 ] || from=$now
			[ "$now" -lt $((from + $1)) ] || return 0
		fi
		kill -0 "$DAEMON" 2>/dev/null || { say "iotguardd exited"; exit 1; }
		sleep 0.2
	done
	say "iotguardd scored no interval in 10 minutes"
	exit 1
}

wait_intervals 1
# The capture at its own speed, and when each frame really left.
ip netns exec $STREET tcpdump -i dev0 -Q out -s 96 -B 32768 -U -n \
	-w "$OUT/sent.pcap" 2>"$OUT/tcpdump.log" &
SNIFFER=$!
for _ in $(seq 300); do
	grep 'listening on' "$OUT/tcpdump.log" >/dev/null && break
	sleep 0.2
done
say "replaying $CITY/city.pcap at its own speed"
ip netns exec $STREET tcpreplay --intf1=dev0 --preload-pcap \
	"$CITY/city.pcap" >"$OUT/tcpreplay.log" 2>&1
sed 's/^/live: tcpreplay: /' "$OUT/tcpreplay.log" >&2
kill -INT "$SNIFFER"
wait "$SNIFFER" || true
SNIFFER=
sed -n 's/^/live: tcpdump: /p' "$OUT/tcpdump.log" >&2

# The judgement's grace (3 s) after the last frame, and an interval more.
wait_intervals 5
rtr "$IOTGUARD" -j stats >"$OUT/stats.json"
kill "$DAEMON"
wait "$DAEMON" || true
DAEMON=
cp "$TMP/state/alerts.jsonl" "$OUT/alerts.jsonl" 2>/dev/null ||
	: >"$OUT/alerts.jsonl"
say "$(grep -c . "$OUT/alerts.jsonl" || true) decisions in $OUT/alerts.jsonl"
