#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: every test of tests/tests.list, on the host then in the
# guest VM.
#
#   1. the list's tests/unit/* programs, on the host;
#   2. one boot of the test VM running tests/guest/run-all.sh, which runs the
#      list's tests/guest/* programs (the module's tests need the guest
#      kernel: the host kernel has no modules);
#   3. the list's tests/system/* programs, on the host: each boots a whole
#      Debian system of its own (the package test).
#
# A listed test that is missing or unbuilt fails under its name; so does a
# test source that the list does not name. All output is streamed and kept
# in build/test-results/*.tap. The verdict counts the top-level (unindented)
# TAP result lines of everything: `ok N ...` passes, `not ok N ...`
# failures, `ok N ... # SKIP ...` skips. Each program's plan is held
# against what it printed: a program that dies, prints no plan, a plan of
# 1..0, more or fewer results than its plan counts as a failure, as does a
# guest that fails to boot or report a status.
#
# The last line is `N passed, N failed[, N skipped]`; the exit status is 0
# only if nothing failed and something passed.
#
# Environment:
#	IOTGUARD_UNIT_TIMEOUT  seconds per unit test program (default 300)
#	IOTGUARD_VM_TIMEOUT    seconds for the whole guest run (default 4200)
#	IOTGUARD_SYSTEM_TIMEOUT  seconds per system test (default 3600)
#	IOTGUARD_RESULTS       where the .tap files go (default
#	                       build/test-results; make check-busy gives each
#	                       suite its own)
#	IOTGUARD_SKIP_VM=1     host tests only (the guest and each system test
#	                       count as one skip)
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1
RESULTS=${IOTGUARD_RESULTS:-$REPO/build/test-results}
UNIT_TIMEOUT=${IOTGUARD_UNIT_TIMEOUT:-300}
VM_TIMEOUT=${IOTGUARD_VM_TIMEOUT:-4200}
SYSTEM_TIMEOUT=${IOTGUARD_SYSTEM_TIMEOUT:-3600}
# shellcheck source=lib/testlist.sh
. "$REPO/tests/lib/testlist.sh"
# shellcheck source=lib/tapsum.sh
. "$REPO/tests/lib/tapsum.sh"

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
	local name=$1 rc=$2 log=$3 plan plans results fails

	plans=$(tr -d '\r' <"$log" | grep -cE '^1\.\.[0-9]+' || true)
	plan=$(tr -d '\r' <"$log" | grep -m1 -oE '^1\.\.[0-9]+' | cut -d. -f3 || true)
	results=$(tr -d '\r' <"$log" | grep -cE '^(not )?ok [0-9]+' || true)
	fails=$(tr -d '\r' <"$log" | grep -cE '^not ok [0-9]+' || true)
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		harness "not ok" "$name: timed out"
	elif [ "$rc" -gt 128 ]; then
		harness "not ok" "$name: killed by signal $((rc - 128))"
	elif [ -z "$plan" ]; then
		harness "not ok" "$name: exited $rc without a TAP plan"
	elif [ "$plans" -gt 1 ]; then
		harness "not ok" "$name: printed $plans plans"
	elif [ "$plan" -eq 0 ]; then
		harness "not ok" "$name: ran nothing (plan 1..0)"
	elif [ "$results" -ne "$plan" ]; then
		harness "not ok" "$name: exited $rc after $results of $plan results"
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$fails" -eq 0 ]; then
		harness "not ok" "$name: exited $rc with no failing test"
	fi
}

# run_host KIND TIMEOUT NAME COMMAND...: a unit or system test on the host.
run_host() {
	local kind=$1 limit=$2 name=$3 log rc
	shift 3
	log=$RESULTS/$kind-$name.tap
	echo "# ======== $kind: $name"
	timeout -k 10 "$limit" "$@" </dev/null 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	check_tap "$kind $name" "$rc" "$log"
}

# run_listed KIND TIMEOUT: every listed test under tests/KIND, on the host.
run_listed() {
	local kind=$1 limit=$2 src name ran=0 cmd

	while read -r src; do
		name=$(testlist_name "$src")
		read -ra cmd < <(testlist_command "$src")
		ran=$((ran + 1))
		if [ ! -f "$src" ]; then
			harness "not ok" "$kind $name: $src is listed but missing"
		elif [ "${cmd[0]}" != bash ] && [ ! -x "${cmd[0]}" ]; then
			harness "not ok" "$kind $name: ${cmd[0]} is not built (make tests)"
		elif [ "$kind" = system ] && [ "${IOTGUARD_SKIP_VM:-0}" = 1 ]; then
			harness "ok" "$kind $name # SKIP IOTGUARD_SKIP_VM=1"
		else
			run_host "$kind" "$limit" "$name" "${cmd[@]}"
		fi
	done < <(testlist_sources "$kind")
	[ "$ran" -gt 0 ] || harness "not ok" "tests/tests.list names no $kind test"
}

# ---------------------------------------------------------------- host
while read -r f; do
	harness "not ok" "$f is a test that tests/tests.list does not name"
done < <(testlist_unlisted)

run_listed unit "$UNIT_TIMEOUT"

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

# ---------------------------------------------------------------- system
run_listed system "$SYSTEM_TIMEOUT"

# ---------------------------------------------------------------- verdict
tap_summary "$RESULTS"/*.tap
