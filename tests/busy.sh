#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-busy`: two whole suites (tests/run.sh) at once on this machine,
# ROUNDS times in a row. Each suite boots its own guest and writes its own
# results, so the pair loads the machine the way two developers' `make
# check` on one 2-core box would; every test must still pass.
#
# Usage: tests/busy.sh [ROUNDS]      (default 1; the issue's proof is 10)
#
# Per round and suite, the log is build/busy/round<R>-<a|b>.log and the
# results build/busy/<a|b>/results/. Prints each suite's summary line per
# round, then the sum of all of them as the last line,
# `N passed, N failed`. Exits 0 only if every suite of every round passed.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1
ROUNDS=${1:-1}
case $ROUNDS in
'' | *[!0-9]* | 0)
	echo "usage: $0 [ROUNDS]" >&2
	exit 1
	;;
esac
BUSY=$REPO/build/busy
mkdir -p "$BUSY"
PIDS=()

cleanup() {
	local pid

	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# suite NAME LOG: one tests/run.sh with its own results and VM dirs.
suite() {
	IOTGUARD_RESULTS=$BUSY/$1/results IOTGUARD_VM_DIR=$BUSY/$1/vm \
		bash tests/run.sh >"$2" 2>&1
}

pass=0
fail=0
status=0
for ((round = 1; round <= ROUNDS; round++)); do
	PIDS=()
	for s in a b; do
		suite "$s" "$BUSY/round$round-$s.log" &
		PIDS+=($!)
	done
	for i in 0 1; do
		s=$([ "$i" -eq 0 ] && echo a || echo b)
		rc=0
		wait "${PIDS[$i]}" || rc=$?
		log=$BUSY/round$round-$s.log
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
		if [ -z "$line" ]; then
			line="0 passed, 1 failed (no summary: $log)"
		fi
		echo "# round $round/$ROUNDS suite $s: $line (exit $rc)"
		[ "$rc" -eq 0 ] || {
			status=1
			grep -E '^# .*: not ok ' "$log" | sed 's/^/#   /' || true
		}
		read -r p f < <(echo "$line" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
		pass=$((pass + p))
		fail=$((fail + f))
	done
	PIDS=()
done
echo "$pass passed, $fail failed"
[ "$status" -eq 0 ] && [ "$fail" -eq 0 ]
