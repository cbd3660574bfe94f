# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The /metrics text of tests/unit/metrics_test.c's sample daemon (a device
# in each state, an interface in each mode), for the host tests that hold
# contrib/'s PromQL to the names the daemon really serves. Source it with
# REPO set.

# prom_sample FILE: writes the sample to FILE; fails, saying why on
# stdout as TAP comments, when the test program is not built, fails, or
# writes nothing.
prom_sample() {
	local bin=$REPO/build/tests/unit/metrics_test out

	if [ ! -x "$bin" ]; then
		echo "# $bin is not built (make tests)"
		return 1
	fi
	if ! out=$(IOTGUARD_METRICS_SAMPLE=$1 "$bin" 2>&1); then
		grep -E '^(not ok|#)' <<<"$out" | sed -n '1,20s/^/# /p'
		return 1
	fi
	if [ ! -s "$1" ]; then
		echo "# $bin wrote no sample to $1"
		return 1
	fi
}
