# SPDX-License-Identifier: GPL-2.0
#
# TAP for the shell tests: source it, report with ok/not_ok/check/expect,
# finish with tap_end (prints the plan, fails if anything failed).

testno=0
failed=0

ok() {
	testno=$((testno + 1))
	echo "ok $testno - $1"
}

not_ok() {
	testno=$((testno + 1))
	failed=$((failed + 1))
	echo "not ok $testno - $1"
}

# check DESCRIPTION COMMAND...: one result from a command's status.
check() {
	local desc=$1

	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# expect DESCRIPTION PYTHON-CONDITION: one result from a comparison.
expect() {
	if python3 -c "import sys; sys.exit(not ($2))"; then
		ok "$1"
	else
		not_ok "$1 [failed: $2]"
	fi
}

tap_end() {
	echo "1..$testno"
	[ "$failed" -eq 0 ]
}
