#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: boots the test VM once and runs bench/guest.sh in it, then
# keeps the results in build/bench/ (results.json, table.txt, raw.jsonl).
# Documentation/performance.rst says how to read them.
#
# Environment: IOTGUARD_VM_MEM (default 8G here: a million devices, and
# the per-device BPF maps sized for them, twice), IOTGUARD_BENCH_* (see
# bench/guest.sh), IOTGUARD_BENCH_SCORE_DEVICES (the scorer on the host,
# 10^6), IOTGUARD_BENCH_FLEET_ROUTERS and _FLEET_DEVICES (the fleet on
# the host, bench/fleet.sh: 100 routers, 10^4 enrollments).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
DEST=$REPO/build/bench
export IOTGUARD_VM_MEM=${IOTGUARD_VM_MEM:-8G}

start=$(date +%s)
rc=0
# The scorer on the host too: pure computation, where TCG's emulation of
# floating point says little about a real core. The guest adds it to
# its table (it sees the host's files read-only).
mkdir -p "$DEST"
HOST_RAW=$DEST/host.jsonl
rm -f "$HOST_RAW"
if build/bench/daemon-bench score \
	--devices "${IOTGUARD_BENCH_SCORE_DEVICES:-1000000}" \
	--runs "${IOTGUARD_BENCH_RUNS:-5}" >"$HOST_RAW.tmp"; then
	sed 's/"name": "/"name": "host./' "$HOST_RAW.tmp" >"$HOST_RAW"
fi
# The features' cost on this kernel and core: the program with a map for
# the kfunc, as the host cannot load the module.
if build/bench/bench standin --repeat "${IOTGUARD_BENCH_REPEAT:-1000000}" \
	--runs "${IOTGUARD_BENCH_RUNS:-5}" >"$HOST_RAW.tmp"; then
	sed 's/"name": "/"name": "host./' "$HOST_RAW.tmp" >>"$HOST_RAW"
fi
# The fleet's propagation at the host's speed: a cluster and its agents,
# recording what they would apply (the guest's form has the modules).
if bash bench/fleet.sh "${IOTGUARD_BENCH_FLEET_ROUTERS:-100}" \
	"${IOTGUARD_BENCH_FLEET_DEVICES:-10000}" >"$HOST_RAW.tmp"; then
	cat "$HOST_RAW.tmp" >>"$HOST_RAW"
fi
rm -f "$HOST_RAW.tmp"
export IOTGUARD_BENCH_HOST_RAW=$HOST_RAW
# shellcheck disable=SC2016 # expanded in the guest
bash tests/vm/run.sh --timeout 2400 -- \
	sh -c 'exec bash bench/guest.sh "$IOTGUARD_VM_OUT/bench"' || rc=$?
for f in results.json table.txt raw.jsonl nft.rules scenario.json \
	scenario.log fleet.log; do
	if [ -f "build/vm/out/bench/$f" ]; then
		cp "build/vm/out/bench/$f" "$DEST/$f"
	fi
done
echo "bench: $(($(date +%s) - start)) s wall; results in $DEST/results.json"
exit "$rc"
