#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: every test, on the host then in the guest VM.
#
#   1. build/tests/unit/* binaries and tests/unit/*.sh, on the host;
#   2. one boot of the test VM running tests/guest/run-all.sh (the module's
#      tests need the guest kernel: the host kernel has no modules).
#
# All output is streamed and kept in build/test-results/*.tap. The verdict
# counts the top-level (unindented) TAP result lines of everything:
# `ok N ...` passes, `not ok N ...` failures, `ok N ... # SKIP ...` skips.
# A program that dies, prints no plan or fewer results than its plan counts
# as a failure, as does a guest that fails to boot or report a status.
#
# The last line is `N passed, N failed[, N skipped]`; the exit status is 0
# only if nothing failed and something passed.
#
# Environment:
#	IOTGUARD_UNIT_TIMEOUT  seconds per unit test program (default 300)
#	IOTGUARD_VM_TIMEOUT    seconds for the whole guest run (default 1800)
#	IOTGUARD_SKIP_VM=1     host tests only (the guest counts as one skip)
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1
RESULTS=$REPO/build/test-results
UNIT_TIMEOUT=${IOTGUARD_UNIT_TIMEOUT:-300}
VM_TIMEOUT=${IOTGUARD_VM_TIMEOUT:-1800}

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
# Our own verdicts on programs (crashes, boot failures): TAP lines too.
HARNESS=$RESULTS/run.tap
: >"$HARNESS"
HNUM=0

harness() {
	HNUM=$((HNUM + 1))
	echo "$1 $HNUM run.sh: $2" | tee -a "$HARNESS"
}

# check_tap NAME RC LOG: a program's exit status and output as a whole.
check_tap() {
	local name=$1 rc=$2 log=$3 plan results fails
	plan=$(tr -d '\r' <"$log" | grep -m1 -oE '^1\.\.[0-9]+' | cut -d. -f3)
	results=$(tr -d '\r' <"$log" | grep -cE '^(not )?ok [0-9]+')
	fails=$(tr -d '\r' <"$log" | grep -cE '^not ok [0-9]+')
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		harness "not ok" "$name: timed out"
	elif [ "$rc" -gt 128 ]; then
		harness "not ok" "$name: killed by signal $((rc - 128))"
	elif [ -z "$plan" ]; then
		harness "not ok" "$name: exited $rc without a TAP plan"
	elif [ "$results" -lt "$plan" ]; then
		harness "not ok" "$name: exited $rc after $results of $plan results"
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$fails" -eq 0 ]; then
		harness "not ok" "$name: exited $rc with no failing test"
	fi
}

run_unit() {
	local name=$1 log rc
	shift
	log=$RESULTS/unit-$name.tap
	echo "# ======== unit: $name"
	timeout -k 10 "$UNIT_TIMEOUT" "$@" </dev/null 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	check_tap "unit $name" "$rc" "$log"
}

# ---------------------------------------------------------------- host
for bin in build/tests/unit/*; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	run_unit "$(basename "$bin")" "$bin"
done
for script in tests/unit/*.sh; do
	[ -f "$script" ] || continue
	run_unit "$(basename "$script" .sh)" bash "$script"
done

# ---------------------------------------------------------------- guest
if [ "${IOTGUARD_SKIP_VM:-0}" = 1 ]; then
	harness "ok" "guest suite # SKIP IOTGUARD_SKIP_VM=1"
else
	echo "# ======== guest: tests/guest/run-all.sh in the VM"
	log=$RESULTS/guest.tap
	bash tests/vm/run.sh --timeout "$VM_TIMEOUT" -- bash tests/guest/run-all.sh \
		2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	gresults=$(tr -d '\r' <"$log" | grep -cE '^(not )?ok [0-9]+')
	gfails=$(tr -d '\r' <"$log" | grep -cE '^not ok [0-9]+')
	case $rc in
	0) ;;
	124) harness "not ok" "guest: the VM timed out after ${VM_TIMEOUT}s" ;;
	125) harness "not ok" "guest: the VM failed (build/vm/console.log)" ;;
	*)
		# run-all.sh reports its failures as TAP; a failure it did not
		# report is one of its own.
		[ "$gfails" -gt 0 ] ||
			harness "not ok" "guest: exited $rc with no failing test"
		;;
	esac
	[ "$gresults" -gt 0 ] || harness "not ok" "guest: no test result at all"
fi

# ---------------------------------------------------------------- verdict
# Top-level lines only: nested TAP is indented. A SKIP directive (any case)
# makes an `ok` a skip; a `not ok ... # SKIP` stays a failure. A plan of
# 1..0 with SKIP is a skipped program. "Bail out!" is a failure.
read -r pass fail skip < <(
	cat "$RESULTS"/*.tap | tr -d '\r' | awk '
		/^ok [0-9]+/ {
			if (tolower($0) ~ /#[ \t]*skip/) skip++; else pass++
			next
		}
		/^not ok [0-9]+/ { fail++; next }
		/^1\.\.0( |$)/ { skip++; next }
		/^Bail out!/ { fail++; next }
		END { printf "%d %d %d\n", pass, fail, skip }'
)

if [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ]; then
	echo "# no test ran" | tee -a "$HARNESS"
	fail=1
fi
summary="$pass passed, $fail failed"
[ "$skip" -eq 0 ] || summary+=", $skip skipped"
echo "$summary"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
