# SPDX-License-Identifier: GPL-2.0
#
# Reading the guard from a shell test, without a python3 start per poll (a
# loaded guest takes seconds for one): source it, and define ig() to run
# the iotguard CLI where the guarded port is.
#
#	num_after TEXT KEY     the number right after the literal KEY in TEXT
#	gstat REASON           the packets of the global counter REASON
#	devstat ID REASON...   the packets of device ID's counters for the
#	                       REASONs (pass, denied, spoofed, rate), added up
#	at_least N CMD...      CMD prints a number, N or more (for tap_wait)

num_after() {
	[[ $1 =~ "$2"([0-9]+) ]] || return 1
	echo "${BASH_REMATCH[1]}"
}

gstat() {
	num_after "$(ig -j stats)" "\"$1\":{\"packets\":"
}

devstat() {
	local out sum=0 reason n

	out=$(ig -j stats "$1") || return 1
	out=${out#*\"devices\":}	# past the global counters
	for reason in "${@:2}"; do
		n=$(num_after "$out" "\"$reason\":{\"packets\":") || return 1
		sum=$((sum + n))
	done
	echo "$sum"
}

at_least() {
	local want=$1 got

	shift
	got=$("$@") || return 1
	[ "$got" -ge "$want" ]
}
