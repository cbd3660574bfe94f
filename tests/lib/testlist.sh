# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tests/tests.list, read the same way by tests/run.sh (host) and
# tests/guest/run-all.sh (guest). Source it with REPO set.

TESTLIST=$REPO/tests/tests.list

# testlist_sources DIR: the listed sources under tests/DIR (unit, guest,
# system),
# in order, one per line.
testlist_sources() {
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$TESTLIST" |
		grep "^tests/$1/" || true
}

# testlist_name SOURCE: the test's name (file name without .c or .sh).
testlist_name() {
	local base=${1##*/}

	echo "${base%.*}"
}

# testlist_command SOURCE: how it runs, as words, relative to the repo:
# the built binary of a .c, bash and the script for a .sh.
testlist_command() {
	case $1 in
	*.c) echo "build/${1%.c}" ;;
	*.sh) echo "bash $1" ;;
	*) return 1 ;;
	esac
}

# testlist_unlisted: test sources in the tree that the list does not name.
testlist_unlisted() {
	local f

	for f in tests/unit/*.c tests/unit/*.sh tests/guest/*.c \
		tests/guest/*_test.sh tests/system/*_test.sh; do
		[ -e "$REPO/$f" ] || continue
		grep -qxF "$f" <(testlist_sources unit; testlist_sources guest
			testlist_sources system) ||
			echo "$f"
	done
}
