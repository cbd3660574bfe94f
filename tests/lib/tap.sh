# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# TAP for the shell tests. Source it, declare the plan, report with
# ok/not_ok/check/expect/same, finish with tap_end:
#
#	. "$repo/tests/lib/tap.sh"
#	tap_plan 12             # "TAP version 13" and "1..12", before any result
#	check "attach" ig attach iot0
#	...
#	tap_end                 # fails unless exactly 12 results, none failing
#
# Sourcing it turns on strict mode (set -Eeuo pipefail): an unset variable
# or a command that fails outside a condition (if, while, ||, &&, check,
# expect) ends the test with a `not ok` that names the line and the command,
# and the missing results then fail the plan. A command that may fail on
# purpose says so: `cmd || true`, `if ! cmd; then ...`, or `check`; code
# that turns errexit off (an EXIT trap's cleanup starting with `set +e`)
# is left alone.
#
# Wait for events, never for a fixed time: tap_wait polls a condition.

testno=0
failed=0
TAP_PLAN=
TAP_PID=$BASHPID

set -Eeuo pipefail

# The ERR trap: only the test's own shell reports; a subshell or command
# substitution passes its status up to the shell that runs it.
tap_unexpected() {
	local rc=$1 line=$2 cmd=$3

	# Code that turned errexit off (a cleanup's `set +e`) expects failures.
	[[ $- == *e* ]] || return 0
	[ "$BASHPID" = "$TAP_PID" ] || exit "$rc"
	trap - ERR
	set +e
	not_ok "unexpected failure (exit $rc) at ${BASH_SOURCE[1]:-?}:$line: $cmd"
	echo "# the test stops here: $testno of ${TAP_PLAN:-?} results"
	exit 1
}
trap 'tap_unexpected $? $LINENO "$BASH_COMMAND"' ERR

tap_plan() {
	[ -z "$TAP_PLAN" ] || {
		echo "tap_plan: a second plan" >&2
		exit 1
	}
	[ "$testno" -eq 0 ] || {
		echo "tap_plan: the plan must come before any result" >&2
		exit 1
	}
	TAP_PLAN=$1
	echo "TAP version 13"
	echo "1..$TAP_PLAN"
}

ok() {
	testno=$((testno + 1))
	echo "ok $testno - $1"
}

not_ok() {
	testno=$((testno + 1))
	failed=$((failed + 1))
	echo "not ok $testno - $1"
}

# skip DESCRIPTION REASON: a result that did not run (counts as a skip).
skip() {
	testno=$((testno + 1))
	echo "ok $testno - $1 # SKIP $2"
}

# check DESCRIPTION COMMAND...: one result from a command's status.
check() {
	local desc=$1

	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# expect DESCRIPTION PYTHON-CONDITION: one result from a comparison. A
# condition that does not evaluate (an empty value, a typo) fails.
expect() {
	local out

	if out=$(python3 -c "import sys; sys.exit(0 if ($2) else 3)" 2>&1); then
		ok "$1"
	else
		not_ok "$1 [failed: $2]"
		[ -z "$out" ] || echo "$out" | sed 's/^/# /'
	fi
}

# same DESCRIPTION WANT GOT: one result from two texts, their difference
# as diagnostics when they differ.
same() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diff <(echo "$2") <(echo "$3") | sed 's/^/# /' || true
	fi
}

# tap_results FILE COUNT WHAT: COUNT results from the lines a helper
# program wrote to FILE ("ok<TAB>desc", "not ok<TAB>desc"; other lines
# become diagnostics). A result it did not write fails as "WHAT N of COUNT
# ran", so a helper that stopped early cannot shrink the plan.
tap_results() {
	local file=$1 count=$2 what=$3 line n=0

	while IFS= read -r line; do
		case $line in
		"ok	"*) ok "${line#ok	}"; n=$((n + 1)) ;;
		"not ok	"*) not_ok "${line#not ok	}"; n=$((n + 1)) ;;
		"#"*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done <"$file"
	while [ "$n" -lt "$count" ]; do
		n=$((n + 1))
		not_ok "$what $n of $count ran"
	done
}

# tap_wait TRIES INTERVAL COMMAND...: runs COMMAND every INTERVAL seconds
# until it succeeds; fails after TRIES attempts. TRIES is a safety net
# against a hang, not a judgement: make it generous.
tap_wait() {
	local tries=$1 interval=$2 i

	shift 2
	for ((i = 0; i < tries; i++)); do
		if "$@"; then
			return 0
		fi
		sleep "$interval"
	done
	return 1
}

# tap_end: the plan checked against what was printed; fails if anything
# failed.
tap_end() {
	trap - ERR
	if [ -z "$TAP_PLAN" ]; then
		not_ok "the test declared a plan (tap_plan N)"
		echo "1..$testno"
		return 1
	fi
	if [ "$testno" -ne "$TAP_PLAN" ]; then
		echo "# planned $TAP_PLAN results, printed $testno"
		return 1
	fi
	[ "$failed" -eq 0 ]
}
