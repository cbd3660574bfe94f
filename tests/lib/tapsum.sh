# SPDX-License-Identifier: GPL-2.0
#
# tap_summary FILE...: the verdict of TAP files, as `make check`, `make
# stress` and `make check-debug` print it. Top-level lines only: nested TAP
# is indented. A SKIP directive (any case) makes an `ok` a skip; a
# `not ok ... # SKIP` stays a failure. A plan of 1..0 is a skipped program.
# "Bail out!" is a failure. Prints what failed and what was skipped, by
# file and name, then `N passed, N failed[, N skipped]` as the last line.
# Returns 0 only if something passed and nothing failed.

tap_summary() {
	local f pass fail skip summary

	read -r pass fail skip < <(cat "$@" | tr -d '\r' | awk '
		/^ok [0-9]+/ {
			if (tolower($0) ~ /#[ \t]*skip/) skip++; else pass++
			next
		}
		/^not ok [0-9]+/ { fail++; next }
		/^1\.\.0( |$)/ { skip++; next }
		/^Bail out!/ { fail++; next }
		END { printf "%d %d %d\n", pass, fail, skip }')
	for f in "$@"; do
		tr -d '\r' <"$f" |
			grep -E '^not ok [0-9]+|^ok [0-9]+.*#[ \t]*[Ss][Kk][Ii][Pp]' |
			sed "s|^|# $(basename "$f" .tap): |" || true
	done
	if [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ]; then
		echo "# no test ran"
		fail=1
	fi
	summary="$pass passed, $fail failed"
	[ "$skip" -eq 0 ] || summary+=", $skip skipped"
	echo "$summary"
	[ "$fail" -eq 0 ]
}
