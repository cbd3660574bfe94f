#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make stress`: the long forms of the reliability tests, in three boots.
#
# 1. Volume, under the cloud kernel (build/kernel, kmod/iotguard.ko): the
#    differential test of the XDP program (10^6 frames), the bounds test
#    (10^6 spoofed sources, in verdict_test) and the churn test (120,000
#    device operations under the flood). At these sizes the debug kernel
#    would take hours: it runs the module 5 to 8 times slower under TCG,
#    and loads the XDP program slower still (the verdict test's 57 cases,
#    a load each: some 80 minutes).
# 2. The module under the debug guest kernel (KASAN, lockdep, kmemleak:
#    scripts/debug-kernel.sh builds it and iotguard.ko for it, cached):
#    the netlink fuzzer's long form (10^5 requests), the module's own
#    tests, the churn test's quick form, rmmod and BTF. The kernel builds
#    during boot 1.
# 3. The fleet's 100 routers, under the cloud kernel: namespaces in the
#    guest, each with its table and agent, their 3-node JetStream cluster
#    on the host's loopback (scripts/fleet-stress.sh;
#    Documentation/fleet.rst). It runs beside the end of the kernel's
#    build and boot 2.
#
# Each boot runs tests/guest/run-all.sh, each test with a fresh module; a
# kernel report in dmesg during a test fails it, and under the debug
# kernel kmemleak's last scan fails the run if it finds a leak.
# Documentation/reliability.rst has the figures.
#
# The last line is `N passed, N failed[, N skipped]`, as `make check`
# prints it; the exit status is 0 only if nothing failed.
#
# Environment: the long forms' sizes, each with its default here:
#	IOTGUARD_XDP_DIFF_FRAMES  frames against the reference (1000000)
#	IOTGUARD_BOUNDS_SOURCES   distinct spoofed sources (1000000)
#	IOTGUARD_CHURN_OPS        device operations under the flood (120000)
#	IOTGUARD_CHURN_FRAMES     frames per live run of the flood (16384: the
#	                          guest's highest rate, near its test_run rate)
#	IOTGUARD_NLFUZZ_MSGS      netlink requests to the module (100000)
#	IOTGUARD_STRESS_VOLUME    the tests of boot 1 (names, as run-all.sh
#	                          takes them; default: the list below)
#	IOTGUARD_STRESS_DEBUG     the tests of boot 2 (likewise)
#	IOTGUARD_STRESS_ROUTERS   the routers of boot 3 (100; 0: no boot 3)
#	IOTGUARD_VM_TIMEOUT       seconds for each boot (2700)
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1
# shellcheck source=../tests/lib/tapsum.sh
. "$REPO/tests/lib/tapsum.sh"
RESULTS=${IOTGUARD_RESULTS:-$REPO/build/stress-results}
KDIR=$REPO/build/debug-kernel
VM_TIMEOUT=${IOTGUARD_VM_TIMEOUT:-2700}
VOLUME=(${IOTGUARD_STRESS_VOLUME:-xdp_diff verdict_test churn_test})
# The module's own tests, its control plane under the fuzzer and the
# daemon's faults; run-all.sh's own rmmod and BTF checks last.
# faults_module_test passes under it too (629 s: IOTGUARD_STRESS_DEBUG adds
# it), but would take the run past its 45 minutes when the kernel is built.
DEBUG=(${IOTGUARD_STRESS_DEBUG:-netlink_test limits_test kfunc_test nlfuzz \
	churn_test rmmod btf})

XDP_DIFF_FRAMES=${IOTGUARD_XDP_DIFF_FRAMES:-1000000}
BOUNDS_SOURCES=${IOTGUARD_BOUNDS_SOURCES:-1000000}
CHURN_OPS=${IOTGUARD_CHURN_OPS:-120000}
CHURN_FRAMES=${IOTGUARD_CHURN_FRAMES:-16384}
NLFUZZ_MSGS=${IOTGUARD_NLFUZZ_MSGS:-100000}
ROUTERS=${IOTGUARD_STRESS_ROUTERS:-100}
unset IOTGUARD_XDP_DIFF_FRAMES IOTGUARD_BOUNDS_SOURCES IOTGUARD_CHURN_OPS \
	IOTGUARD_CHURN_FRAMES IOTGUARD_NLFUZZ_MSGS

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
start=$SECONDS

summary() {
	echo "# stress: $((SECONDS - start)) s in all"
	tap_summary "$RESULTS"/*.tap
}

# boot NAME TAP-FILE ENV... -- TESTS...: one boot of run-all.sh.
boot() {
	local name=$1 tap=$2 rc t0=$SECONDS
	local -a env=()
	shift 2
	while [ "$1" != -- ]; do
		env+=("$1")
		shift
	done
	shift
	echo "# ======== stress: $name: $*"
	env "${env[@]}" bash tests/vm/run.sh --timeout "$VM_TIMEOUT" -- \
		bash tests/guest/run-all.sh "$@" 2>&1 | tee "$tap"
	rc=${PIPESTATUS[0]}
	case $rc in
	0 | 1) ;;
	124) echo "not ok 1000 stress: $name: the VM timed out after ${VM_TIMEOUT}s" >>"$tap" ;;
	*) echo "not ok 1000 stress: $name: the VM failed ($rc)" >>"$tap" ;;
	esac
	echo "# stress: $name took $((SECONDS - t0)) s"
}

# The debug kernel builds (when its cache is cold: 20 minutes on two idle
# cores) while the volume boot runs: the two share the CPUs, and the whole
# takes less than one after the other. Its log is printed at the end.
t0=$SECONDS
bash scripts/debug-kernel.sh "$KDIR" >"$RESULTS/debug-kernel.log" 2>&1 &
build_pid=$!

boot "volume, cloud kernel" "$RESULTS/volume.tap" \
	IOTGUARD_XDP_DIFF_FRAMES="$XDP_DIFF_FRAMES" \
	IOTGUARD_BOUNDS_SOURCES="$BOUNDS_SOURCES" \
	IOTGUARD_CHURN_OPS="$CHURN_OPS" IOTGUARD_CHURN_FRAMES="$CHURN_FRAMES" \
	IOTGUARD_VM_DIR="$REPO/build/vm-stress" -- "${VOLUME[@]}"

# Boot 3 beside the rest of the kernel's build and boot 2: one after the
# other they would take the run past its 45 minutes. Its output is
# printed once it has ended.
fleet_pid=
if [ "$ROUTERS" != 0 ]; then
	(
		t1=$SECONDS
		IOTGUARD_FLEET_ROUTERS=$ROUTERS IOTGUARD_VM_TIMEOUT=$VM_TIMEOUT \
			bash scripts/fleet-stress.sh "$RESULTS/fleet.tap"
		echo "# stress: fleet took $((SECONDS - t1)) s"
	) >"$RESULTS/fleet.log" 2>&1 &
	fleet_pid=$!
fi
fleet_done() {
	[ -n "$fleet_pid" ] || return 0
	wait "$fleet_pid"
	fleet_pid=
	echo "# ======== stress: fleet, $ROUTERS routers, cloud kernel"
	cat "$RESULTS/fleet.log"
}

if ! wait "$build_pid"; then
	tail -n 30 "$RESULTS/debug-kernel.log" | sed 's/^/# /'
	echo "not ok 1 stress: the debug kernel and its module build" \
		>"$RESULTS/debug.tap"
	fleet_done
	summary
	exit 1
fi
tail -n 1 "$RESULTS/debug-kernel.log" | sed 's/^/# /'
echo "# stress: debug kernel ready after $((SECONDS - t0)) s"

# Boot 2 is make check-debug's, with this list (its summary line left
# out: the last line is the whole run's).
echo "# ======== stress: debug kernel: ${DEBUG[*]}"
IOTGUARD_NLFUZZ_MSGS="$NLFUZZ_MSGS" IOTGUARD_RESULTS="$RESULTS" \
	IOTGUARD_VM_TIMEOUT="$VM_TIMEOUT" \
	IOTGUARD_TEST_TIMEOUT="${IOTGUARD_TEST_TIMEOUT:-2400}" \
	bash scripts/debug-check.sh --built "${DEBUG[@]}" | grep -v '^[0-9]* passed, '
fleet_done
summary
