#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: boots the test VM once and runs bench/guest.sh in it, then
# keeps the results in build/bench/ (results.json, table.txt, raw.jsonl).
# Documentation/performance.rst says how to read them.
#
# Environment: IOTGUARD_VM_MEM (default 8G here: a million devices, and
# the per-device BPF maps sized for them, twice), IOTGUARD_BENCH_* (see
# bench/guest.sh).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
DEST=$REPO/build/bench
export IOTGUARD_VM_MEM=${IOTGUARD_VM_MEM:-8G}

start=$(date +%s)
rc=0
# shellcheck disable=SC2016 # expanded in the guest
bash tests/vm/run.sh --timeout 1500 -- \
	sh -c 'exec bash bench/guest.sh "$IOTGUARD_VM_OUT/bench"' || rc=$?
mkdir -p "$DEST"
for f in results.json table.txt raw.jsonl nft.rules; do
	if [ -f "build/vm/out/bench/$f" ]; then
		cp "build/vm/out/bench/$f" "$DEST/$f"
	fi
done
echo "bench: $(($(date +%s) - start)) s wall; results in $DEST/results.json"
exit "$rc"
