#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of `make bench` (bench/run.sh boots the VM and runs this in
# it as root, cwd = the repo). Runs every measurement of
# Documentation/performance.rst in one boot and writes
#
#	OUTDIR/raw.jsonl      one JSON object per figure (build/bench/bench,
#	                      build/bench/daemon-bench)
#	OUTDIR/results.json   the figures, goals, ratios and verdicts
#	OUTDIR/table.txt      the same as a table, also printed
#
# Usage: bench/guest.sh [--smoke] OUTDIR
#
#	--smoke   a tiny configuration (seconds): small repeat, 1 and 1000
#	          devices, one run each, and the module as it is loaded (the
#	          guest test suite's, max_devices=65536); no scenario. Without
#	          it the module is (re)loaded with max_devices=1048576, and
#	          with 131072 after the per-packet figures.
#
# Environment (full run only): IOTGUARD_BENCH_RUNS (5), _REPEAT (10^6),
# _TIERS (1,1000,100000,1000000), _DEVICES (10^6), _SET (10^4),
# _LIVE_FRAMES (frames per live run, 50000), _DAEMON_DEVICES (devices of
# the daemon's intervals and the scorer, 10^5: under TCG an interval of
# 10^6 takes most of a minute), _READ_DEVICES (devices whose maps are read
# alone, 10^5), _READ_SINGLE (non-empty: also read them one lookup at a
# time, the "before" of the batched reads), _SINGLES (frames from unknown
# sources run one per test_run, 10^4), _GUEST_FLEET_ROUTERS (routers of
# the fleet's city in the guest, 40: a city of 100 is measured on the
# host, bench/fleet.sh), _GUEST_FLEET_DEVICES (enrollments over them,
# 4000).
# IOTGUARD_BENCH_HOST_RAW:
# figures measured on the host (bench/run.sh: the scorer with 10^6
# devices), added to the table.
#
# Detection delays: when tests/guest/scenario_test.sh exists, it runs last
# with IOTGUARD_SCENARIO_JSON=OUTDIR/scenario.json, a list of
# {"attack", "detector", "delay_s"} that the table shows beside the goal.
#
# Traffic stays inside the network namespaces made here; addresses are
# 198.18.0.0/15 and 2001:2::/48 only.
set -euo pipefail

REPO=$(pwd)
BENCH=$REPO/build/bench/bench
KO=$REPO/kmod/iotguard.ko
SMOKE=0
if [ "${1:-}" = --smoke ]; then
	SMOKE=1
	shift
fi
[ $# -eq 1 ] || {
	echo "usage: $0 [--smoke] OUTDIR" >&2
	exit 2
}
OUT=$1
mkdir -p "$OUT"
RAW=$OUT/raw.jsonl
: >"$RAW"

if [ "$SMOKE" = 1 ]; then
	RUNS=1 REPEAT=20000 TIERS=1,1000 DEVICES=2000 SET=100
	LIVE_FRAMES=20000 LIVE_DEVICES=1000 DAEMON_DEVICES=1000
	READ_DEVICES=1000 READ_SINGLE=1 SINGLES=500
else
	RUNS=${IOTGUARD_BENCH_RUNS:-5}
	REPEAT=${IOTGUARD_BENCH_REPEAT:-1000000}
	TIERS=${IOTGUARD_BENCH_TIERS:-1,1000,100000,1000000}
	DEVICES=${IOTGUARD_BENCH_DEVICES:-1000000}
	SET=${IOTGUARD_BENCH_SET:-10000}
	LIVE_FRAMES=${IOTGUARD_BENCH_LIVE_FRAMES:-50000}
	LIVE_DEVICES=1000
	DAEMON_DEVICES=${IOTGUARD_BENCH_DAEMON_DEVICES:-100000}
	READ_DEVICES=${IOTGUARD_BENCH_READ_DEVICES:-100000}
	READ_SINGLE=${IOTGUARD_BENCH_READ_SINGLE:-}
	SINGLES=${IOTGUARD_BENCH_SINGLES:-10000}
fi
FLEET_ROUTERS=${IOTGUARD_BENCH_GUEST_FLEET_ROUTERS:-40}
FLEET_DEVICES=${IOTGUARD_BENCH_GUEST_FLEET_DEVICES:-4000}
DAEMON_BENCH=$REPO/build/bench/daemon-bench

NETNS=(iotgb-xf iotgb-gen iotgb-dut)

# Each line with the seconds since the start: where a run's time goes.
log() {
	echo "# bench: [${SECONDS}s] $*" >&2
}

in_ns() {
	local ns=$1
	shift
	# Not `ip netns exec`: it remounts /sys, hiding bpffs.
	nsenter --net="/run/netns/$ns" "$@"
}

cleanup() {
	local ns
	in_ns iotgb-xf xdp-filter unload xf0 >/dev/null 2>&1 || true
	for ns in "${NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
}
trap cleanup EXIT

run() {
	log "$*"
	"$@" >>"$RAW"
}

# ---------------------------------------------------------------- module
if [ "$SMOKE" = 0 ]; then
	for _ in $(seq 60); do
		[ -d /sys/module/iotguard ] || break
		rmmod iotguard 2>/dev/null || sleep 0.05
	done
	insmod "$KO" max_devices=1048576
fi
[ -d /sys/module/iotguard ] || {
	echo "bench: iotguard.ko is not loaded" >&2
	exit 1
}
MAX_DEVICES=$(cat /sys/module/iotguard/parameters/max_devices)
log "$(uname -r), max_devices $MAX_DEVICES, $(nproc) CPUs"
for ns in "${NETNS[@]}"; do
	ip netns del "$ns" 2>/dev/null || true
	ip netns add "$ns"
	in_ns "$ns" ip link set dev lo up
done

# ---------------------------------------------------------------- 3. control plane
# First, while the guest's memory is unfragmented and nothing else is loaded.
run "$BENCH" ctl --devices "$DEVICES" --set "$SET" --runs "$RUNS"

# ---------------------------------------------------------------- 1. XDP per packet
run "$BENCH" xdp --repeat "$REPEAT" --runs "$RUNS" --tiers "$TIERS" \
	--singles "$SINGLES"
# The program with a map for the kfunc: bench/run.sh times it on the host,
# where it is the figure; here only in the smoke run, so that it keeps
# passing the 6.1 verifier.
if [ "$SMOKE" = 1 ]; then
	run "$BENCH" standin --repeat "$REPEAT" --runs "$RUNS" \
		--singles "$SINGLES"
fi

# xdp-filter, deny policy, the same addresses allowed by source. It holds
# a limited number of addresses: the bench stops at the tiers that fit.
in_ns iotgb-xf ip link add xf0 type veth peer name xf1
in_ns iotgb-xf ip link set dev xf0 up
in_ns iotgb-xf ip link set dev xf1 up
if in_ns iotgb-xf xdp-filter load --policy deny --features ipv4,ipv6 \
	--mode native xf0 >"$OUT/xdp-filter.log" 2>&1; then
	run "$BENCH" xdpfilter --netns /run/netns/iotgb-xf --ifname xf0 \
		--repeat "$REPEAT" --runs "$RUNS" --tiers "$TIERS"
	in_ns iotgb-xf xdp-filter unload xf0 >>"$OUT/xdp-filter.log" 2>&1 || true
else
	log "xdp-filter load failed: $(tail -n 3 "$OUT/xdp-filter.log")"
fi

# ---------------------------------------------------------------- module again
# What follows enrolls at most DAEMON_DEVICES and READ_DEVICES: a table of
# 2^17 slots, whose per-CPU maps each load allocates in a few seconds
# rather than the 2^20 slots' half a minute.
if [ "$SMOKE" = 0 ]; then
	for _ in $(seq 60); do
		rmmod iotguard 2>/dev/null && break
		sleep 0.5
	done
	if [ -d /sys/module/iotguard ]; then
		log "iotguard.ko still in use: the rest with max_devices $MAX_DEVICES"
	else
		insmod "$KO" max_devices=131072
		log "module reloaded, max_devices 131072"
	fi
fi

# ---------------------------------------------------------------- 2. live frames
# gen:g0 <-> dut:d0. The generator sends from g0 with XDP_TX; d0 needs GRO
# (or an XDP program) for veth to deliver such frames at all.
ip link add g0 netns iotgb-gen type veth peer name d0 netns iotgb-dut
for ns in iotgb-gen iotgb-dut; do
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	in_ns "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
in_ns iotgb-gen ip link set dev g0 up
in_ns iotgb-dut ip link set dev d0 up
in_ns iotgb-dut ethtool -K d0 gro on >/dev/null

live() {
	run "$BENCH" live --gen-netns /run/netns/iotgb-gen --gen-if g0 \
		--netns /run/netns/iotgb-dut --ifname d0 --count "$LIVE_FRAMES" \
		--runs "$RUNS" --mode "$1"
}

live none

# iotguard: the same 1000 devices as the nft sets below. The bench
# attaches the program itself (native), with maps of its own: the pinned
# ones under /sys/fs/bpf/iotguard are left alone.
in_ns iotgb-dut "$BENCH" enroll "$LIVE_DEVICES"
live iotguard

# nftables as a user would write the same policy: a set of allowed
# addresses and a per-source rate meter at the netdev ingress hook.
modprobe -q nf_tables 2>/dev/null || true
modprobe -q nft_limit 2>/dev/null || true
elements4=$("$BENCH" nft-elements "$LIVE_DEVICES" 4)
elements6=$("$BENCH" nft-elements "$LIVE_DEVICES" 6)
{
	echo "table netdev iotg {"
	echo "	counter passed { }"
	echo "	counter dropped { }"
	echo "	set allowed4 { type ipv4_addr; elements = { $elements4 } }"
	if [ -n "$elements6" ]; then
		echo "	set allowed6 { type ipv6_addr; elements = { $elements6 } }"
	else
		echo "	set allowed6 { type ipv6_addr; }"
	fi
	echo "	set meter4 { type ipv4_addr; size 65535; flags dynamic,timeout; timeout 60s; }"
	echo "	set meter6 { type ipv6_addr; size 65535; flags dynamic,timeout; timeout 60s; }"
	echo "	chain ingress {"
	echo "		type filter hook ingress device \"d0\" priority filter; policy drop;"
	echo "		meta protocol arp counter name \"passed\" accept"
	echo "		icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect } counter name \"passed\" accept"
	echo "		ip saddr @allowed4 update @meter4 { ip saddr limit rate 1000000000/second burst 100000000 packets } counter name \"passed\" accept"
	echo "		ip6 saddr @allowed6 update @meter6 { ip6 saddr limit rate 1000000000/second burst 100000000 packets } counter name \"passed\" accept"
	echo "		counter name \"dropped\" drop"
	echo "	}"
	echo "}"
} >"$OUT/nft.rules"
if in_ns iotgb-dut nft -f "$OUT/nft.rules" 2>"$OUT/nft.log"; then
	live nft
	in_ns iotgb-dut nft delete table netdev iotg
else
	log "nft -f failed: $(head -n 5 "$OUT/nft.log")"
fi

# ---------------------------------------------------------------- 4. daemon
# iotguardd's interval over a table and maps of its own (namespaces of its
# own), then the scorer alone. Last of the module's users: the kernel
# memory it measures is not disturbed by earlier runs being freed.
# The single lookups are the "before" of optimisation 4 in
# Documentation/performance.rst: two minutes, so only when asked.
run "$DAEMON_BENCH" read --devices "$READ_DEVICES" --runs "$RUNS" \
	${READ_SINGLE:+--single}
run "$DAEMON_BENCH" interval --devices "$DAEMON_DEVICES" --runs "$RUNS"
run "$DAEMON_BENCH" score --devices "$DAEMON_DEVICES" --runs "$RUNS"
if [ -n "${IOTGUARD_BENCH_HOST_RAW:-}" ] && [ -f "$IOTGUARD_BENCH_HOST_RAW" ]; then
	cat "$IOTGUARD_BENCH_HOST_RAW" >>"$RAW"
fi

# ---------------------------------------------------------------- 5. scenario
# Detection delay per attack, from the scenario test when there is one.
SCENARIO=$REPO/tests/guest/scenario_test.sh
scenario=absent
if [ "$SMOKE" = 1 ]; then
	scenario=skipped
elif [ -f "$SCENARIO" ]; then
	log "scenario_test.sh"
	rm -f "$OUT/scenario.json"
	if IOTGUARD_SCENARIO_JSON=$OUT/scenario.json bash "$SCENARIO" \
		>"$OUT/scenario.log" 2>&1; then
		scenario=ran
	else
		scenario="failed (exit $?)"
	fi
fi

# ---------------------------------------------------------------- 6. fleet
# A city of routers (tests/guest/fleet_test.sh): a revocation's way to
# every router's table, enrollments spread over them, the agents' memory
# per device. Its figures go to RAW.
FLEET=$REPO/tests/guest/fleet_test.sh
if [ "$SMOKE" = 0 ] && [ -f "$FLEET" ]; then
	log "fleet_test.sh: $FLEET_ROUTERS routers, $FLEET_DEVICES enrollments"
	if ! IOTGUARD_FLEET_ROUTERS=$FLEET_ROUTERS \
		IOTGUARD_FLEET_DEVICES=$FLEET_DEVICES IOTGUARD_FLEET_JSON=$RAW \
		bash "$FLEET" >"$OUT/fleet.log" 2>&1; then
		log "fleet_test.sh failed: $(grep -m 3 '^not ok' "$OUT/fleet.log")"
	fi
fi

# ---------------------------------------------------------------- report
meta=$(printf '{"kernel": "%s", "cpus": %s, "smoke": %s, "runs": %s, "repeat": %s, "live_frames": %s, "max_devices": %s}' \
	"$(uname -r)" "$(nproc)" "$([ "$SMOKE" = 1 ] && echo true || echo false)" \
	"$RUNS" "$REPEAT" "$LIVE_FRAMES" \
	"$MAX_DEVICES")
python3 "$REPO/bench/report.py" --meta "$meta" --json "$OUT/results.json" \
	--scenario "$OUT/scenario.json" --scenario-status "$scenario" \
	"$RAW" | tee "$OUT/table.txt"
