#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-debug`: the guest suite under the debug guest kernel (KASAN,
# lockdep, kmemleak), in one boot of tests/guest/run-all.sh: every guest
# test of tests/tests.list, or those whose name contains one of the NAMEs.
# scripts/debug-kernel.sh builds the kernel (cached per machine) and the
# module for it first. A kernel report in dmesg during a test fails that
# test; kmemleak's last scan fails the run if it finds a leak. `make
# stress`'s second boot is this script with its own list.
#
# Usage: scripts/debug-check.sh [--built] [NAME...]
#	--built   the kernel and module are built already (make stress builds
#	          them beside its first boot)
#
# The TAP output is streamed and kept in $IOTGUARD_RESULTS/debug.tap; the
# last line is `N passed, N failed[, N skipped]`, the exit status 0 only if
# nothing failed.
#
# Environment:
#	IOTGUARD_RESULTS       where debug.tap goes (build/debug-results)
#	IOTGUARD_VM_DIR        the VM's directory (build/vm-debug); two runs
#	                       at once need two
#	IOTGUARD_VM_TIMEOUT    seconds for the boot (default 14400: the whole
#	                       suite runs some five times slower than under
#	                       the cloud kernel)
#	IOTGUARD_TEST_TIMEOUT  seconds per test program (default 3600)
#	IOTGUARD_VM_MEM        the guest's memory (default 3G: KASAN's shadow
#	                       takes an eighth)
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1
# shellcheck source=../tests/lib/tapsum.sh
. "$REPO/tests/lib/tapsum.sh"
KDIR=$REPO/build/debug-kernel
RESULTS=${IOTGUARD_RESULTS:-$REPO/build/debug-results}
VM_TIMEOUT=${IOTGUARD_VM_TIMEOUT:-14400}
TAP=$RESULTS/debug.tap
build=1

if [ "${1:-}" = --built ]; then
	build=0
	shift
fi
mkdir -p "$RESULTS"
: >"$TAP"
t0=$SECONDS

if [ "$build" = 1 ] &&
   ! bash scripts/debug-kernel.sh "$KDIR" >"$RESULTS/debug-kernel.log" 2>&1; then
	tail -n 30 "$RESULTS/debug-kernel.log" | sed 's/^/# /'
	echo "not ok 1 debug: the debug kernel and its module build" | tee "$TAP"
	tap_summary "$TAP"
	exit 1
fi

# Under KASAN and TCG the ACPI interpreter's loops outlast their timeout
# evaluating the PCI interrupt routing (_PRT), and the boot stalls:
# acpi=noirq (virtio uses MSI-X). The RCU stall detector waits its
# longest, 300 s: emulation, not the code under test, makes a CPU that
# slow. A test's own timeout grows with the kernel's slowness.
echo "# ======== debug kernel: ${*:-every guest test}"
IOTGUARD_VM_APPEND="acpi=noirq rcupdate.rcu_cpu_stall_timeout=300" \
IOTGUARD_VM_MEM="${IOTGUARD_VM_MEM:-3G}" \
IOTGUARD_KERNEL_DIR="$KDIR" IOTGUARD_KO="$KDIR/iotguard.ko" \
IOTGUARD_VM_DIR="${IOTGUARD_VM_DIR:-$REPO/build/vm-debug}" \
IOTGUARD_EXPECT_DEBUG_KERNEL=1 \
IOTGUARD_TEST_TIMEOUT="${IOTGUARD_TEST_TIMEOUT:-3600}" \
	bash tests/vm/run.sh --timeout "$VM_TIMEOUT" -- \
	bash tests/guest/run-all.sh "$@" 2>&1 | tee -a "$TAP"
rc=${PIPESTATUS[0]}
case $rc in
0 | 1) ;;
124) echo "not ok 1000 debug: the VM timed out after ${VM_TIMEOUT}s" | tee -a "$TAP" ;;
*) echo "not ok 1000 debug: the VM failed ($rc)" | tee -a "$TAP" ;;
esac
echo "# debug: $((SECONDS - t0)) s"
tap_summary "$TAP"
