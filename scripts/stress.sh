#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make stress`: the long forms of the reliability tests, under the debug
# guest kernel (KASAN, lockdep, kmemleak: scripts/debug-kernel.sh builds it
# and iotguard.ko for it, cached under build/debug-kernel). One boot runs
# tests/guest/run-all.sh on the tests below, each with a fresh module; a
# kernel report in dmesg during a test fails it, and kmemleak's last scan
# fails the run if it finds a leak. Documentation/reliability.rst has the
# figures.
#
# The last line is `N passed, N failed`, as `make check` prints it; the
# exit status is 0 only if nothing failed.
#
# Environment: the long forms' sizes, each with its default here:
#	IOTGUARD_CHURN_OPS        device operations under the flood (120000)
#	IOTGUARD_BOUNDS_SOURCES   distinct spoofed sources (1000000)
#	IOTGUARD_XDP_DIFF_FRAMES  frames against the reference (1000000)
#	IOTGUARD_NLFUZZ_MSGS      netlink messages to the module (100000)
#	IOTGUARD_STRESS_TESTS     the guest tests to run (names, as run-all.sh
#	                          takes them; default: the list below)
#	IOTGUARD_VM_TIMEOUT       seconds for the whole guest run (2700)
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1
RESULTS=${IOTGUARD_RESULTS:-$REPO/build/stress-results}
KDIR=$REPO/build/debug-kernel
VM_TIMEOUT=${IOTGUARD_VM_TIMEOUT:-2700}
# The module's own tests, the packet path, the control plane and the
# daemon's faults; run-all.sh's own rmmod and BTF checks last.
TESTS=(${IOTGUARD_STRESS_TESTS:-netlink_test limits_test verdict_test \
	kfunc_test cred_test features_test xdp_diff nlfuzz churn_test \
	daemon_test daemon_state faults rmmod btf})

export IOTGUARD_CHURN_OPS=${IOTGUARD_CHURN_OPS:-120000}
export IOTGUARD_BOUNDS_SOURCES=${IOTGUARD_BOUNDS_SOURCES:-1000000}
export IOTGUARD_XDP_DIFF_FRAMES=${IOTGUARD_XDP_DIFF_FRAMES:-1000000}
export IOTGUARD_NLFUZZ_MSGS=${IOTGUARD_NLFUZZ_MSGS:-100000}

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
start=$SECONDS

summary() {
	local pass fail

	read -r pass fail < <(cat "$RESULTS"/*.tap | tr -d '\r' | awk '
		/^ok [0-9]+/ { pass++; next }
		/^not ok [0-9]+/ { fail++; next }
		END { printf "%d %d\n", pass, fail }')
	tr -d '\r' <"$RESULTS/stress.tap" | grep -E '^not ok [0-9]+' |
		sed 's/^/# failed: /' || true
	echo "# stress: $((SECONDS - start)) s in all"
	[ "$pass" -gt 0 ] || [ "$fail" -gt 0 ] || fail=1
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

if ! bash scripts/debug-kernel.sh "$KDIR" >"$RESULTS/debug-kernel.log" 2>&1; then
	tail -n 30 "$RESULTS/debug-kernel.log" | sed 's/^/# /'
	echo "not ok 1 stress: the debug kernel and its module build" |
		tee "$RESULTS/stress.tap"
	summary
	exit 1
fi
tail -n 1 "$RESULTS/debug-kernel.log" | sed 's/^/# /'
echo "# stress: debug kernel ready after $((SECONDS - start)) s"

# KASAN's shadow memory takes an eighth of the guest's. Under KASAN and
# TCG the ACPI interpreter's loops outlast their timeout evaluating the PCI
# interrupt routing (_PRT), and the boot stalls: acpi=noirq (virtio uses
# MSI-X). The RCU stall detector waits its longest, 300 s: emulation, not
# the code under test, makes a CPU that slow.
IOTGUARD_VM_APPEND="acpi=noirq rcupdate.rcu_cpu_stall_timeout=300" \
IOTGUARD_VM_MEM=${IOTGUARD_VM_MEM:-3G} \
IOTGUARD_KERNEL_DIR=$KDIR IOTGUARD_KO=$KDIR/iotguard.ko \
IOTGUARD_VM_DIR=$REPO/build/vm-debug IOTGUARD_EXPECT_DEBUG_KERNEL=1 \
	bash tests/vm/run.sh --timeout "$VM_TIMEOUT" -- \
	bash tests/guest/run-all.sh "${TESTS[@]}" 2>&1 | tee "$RESULTS/stress.tap"
rc=${PIPESTATUS[0]}
case $rc in
0 | 1) ;;
124) echo "not ok 1000 stress: the VM timed out after ${VM_TIMEOUT}s" >>"$RESULTS/stress.tap" ;;
*) echo "not ok 1000 stress: the VM failed ($rc: build/vm-debug/console.log)" >>"$RESULTS/stress.tap" ;;
esac
summary
