#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest test suite: runs INSIDE the test VM (tests/vm/run.sh), as root,
# cwd = the repo, with the host's root file system visible read-only.
#
#	bash tests/vm/run.sh -- bash tests/guest/run-all.sh [NAME...]
#
# Runs every tests/guest/* program of tests/tests.list (or only those whose
# name contains one of the NAMEs), each with a fresh iotguard.ko (rmmod +
# insmod) and a timeout, streaming their TAP output. A listed test that is
# missing or unbuilt, or that crashes, times out, prints no plan, a plan of
# 1..0 or another number of results than its plan yields a top-level
# `not ok` line of ours, as does a kernel warning
# during a test or a module that no longer unloads after it. Ends with
# checks of its own: rmmod works with devices enrolled (in two netns).
#
# Exits 0 when nothing failed.
#
# Environment:
#	IOTGUARD_TEST_TIMEOUT   seconds per test program (default 1500: a net
#	                        for a hang, long enough for a busy machine)
#	IOTGUARD_KO             the module to test (default kmod/iotguard.ko;
#	                        the debug kernel's: build/debug-kernel/iotguard.ko)
set -uo pipefail

REPO=$(pwd)
KO=${IOTGUARD_KO:-$REPO/kmod/iotguard.ko}
TIMEOUT=${IOTGUARD_TEST_TIMEOUT:-1500}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/run-all.XXXXXX") || exit 1
NUM=0		# our own TAP lines
FAILED=0	# anything failed (theirs or ours)
HELPER_PIDS=()
# shellcheck source=../lib/testlist.sh
. "$REPO/tests/lib/testlist.sh"

# Module parameters per test program: the netlink test fills the table, so
# give it a table it can fill in a few seconds under TCG.
declare -A MODPARAMS=(
	[netlink_test]="max_devices=1024"
	[nlfuzz_test]="max_devices=64"
	# The differential test does not model the clock: a quarantine
	# rate no frame reaches.
	[xdp_diff_test]="quarantine_pps=1000000 quarantine_burst=1000000"
)

cleanup() {
	local pid
	for pid in "${HELPER_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() {
	NUM=$((NUM + 1))
	echo "ok $NUM run-all: $*"
}

not_ok() {
	NUM=$((NUM + 1))
	FAILED=1
	echo "not ok $NUM run-all: $*"
}

loaded() {
	[ -d /sys/module/iotguard ]
}

# rmmod, retrying for a while: after the last BPF program that called the
# kfunc is freed (RCU), delete_module may fail for some tens of ms.
unload() {
	loaded || return 0
	for _ in $(seq 60); do
		rmmod iotguard 2>/dev/null && return 0
		loaded || return 0
		sleep 0.05
	done
	rmmod iotguard 2>&1 | sed 's/^/# /'
	! loaded
}

# insmod the build's module, fresh.
load_fresh() {
	local out
	# Pins left by the previous test (links hold its programs, maps its
	# counters) would leak into the next one and keep the module in use.
	rm -rf /sys/fs/bpf/iotguard
	unload || {
		echo "# iotguard would not unload: refcnt $(cat /sys/module/iotguard/refcnt 2>/dev/null)"
		return 1
	}
	# shellcheck disable=SC2086 # the parameters are words
	out=$(insmod "$KO" $1 2>&1) || {
		echo "# insmod $KO $1: $out"
		return 1
	}
}

# The kernel log since the last call: oopses, warnings, lockdep, UBSAN...
kernel_trouble() {
	dmesg 2>/dev/null | grep -E 'BUG:|WARNING:|Oops|general protection|UBSAN|KASAN|kernel BUG|refcount_t:|list_(add|del) corruption|possible circular locking|sleeping function called|RCU stall|stack-protector|Call Trace|suspicious RCU usage|inconsistent lock state|ODEBUG:|kmemleak: [1-9]' |
		head -n 20
}

# Runs one test program; streams its output, then checks its TAP.
run_one() {
	local name=$1 log rc plan plans results fails trouble start
	shift
	log=$TMP/$name.log

	echo "# ======== $name"
	if ! load_fresh "${MODPARAMS[$name]:-}"; then
		not_ok "$name: could not load a fresh iotguard.ko"
		return
	fi
	dmesg -C 2>/dev/null

	# Own process group, so that timeout reaches the test's children.
	start=$SECONDS
	timeout -k 10 "$TIMEOUT" "$@" </dev/null 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	# Where the suite's time goes (the guest's clock: a figure, not a test).
	echo "# $name: $((SECONDS - start)) s"

	plans=$(grep -cE '^1\.\.[0-9]+' "$log")
	plan=$(grep -m1 -oE '^1\.\.[0-9]+' "$log" | cut -d. -f3)
	results=$(grep -cE '^(not )?ok [0-9]+' "$log")
	fails=$(grep -cE '^not ok [0-9]+' "$log")
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		not_ok "$name: timed out after ${TIMEOUT}s"
	elif [ "$rc" -gt 128 ]; then
		not_ok "$name: killed by signal $((rc - 128))"
	elif [ -z "$plan" ]; then
		not_ok "$name: exited $rc without a TAP plan"
	elif [ "$plans" -gt 1 ]; then
		not_ok "$name: printed $plans plans"
	elif [ "$plan" -eq 0 ]; then
		not_ok "$name: ran nothing (plan 1..0)"
	elif [ "$results" -ne "$plan" ]; then
		not_ok "$name: exited $rc after $results of $plan results"
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$fails" -eq 0 ]; then
		# 4: kselftest's "skipped"
		not_ok "$name: exited $rc with no failing test"
	fi
	[ "$fails" -eq 0 ] || FAILED=1

	trouble=$(kernel_trouble)
	if [ -n "$trouble" ]; then
		echo "$trouble" | sed 's/^/# kernel: /'
		not_ok "$name: the kernel log is clean"
	fi
	if ! unload; then
		not_ok "$name: iotguard.ko unloads after the test (refcnt $(cat /sys/module/iotguard/refcnt 2>/dev/null))"
	fi
}

wanted() {
	local n
	[ ${#FILTERS[@]} -eq 0 ] && return 0
	for n in "${FILTERS[@]}"; do
		[[ $1 == *"$n"* ]] && return 0
	done
	return 1
}

FILTERS=("$@")

echo "# run-all: $(uname -r), iotguard.ko $(modinfo -F vermagic "$KO" 2>/dev/null | cut -d' ' -f1)"
if [ ! -f "$KO" ]; then
	not_ok "$KO exists (make module)"
fi

# Under the debug kernel (make stress): say that it is one, and let
# kmemleak forget what it suspects of the boot, which is not ours.
KMEMLEAK=/sys/kernel/debug/kmemleak
if [ "${IOTGUARD_EXPECT_DEBUG_KERNEL:-0}" = 1 ]; then
	if [ -w "$KMEMLEAK" ] && [ -e /proc/lockdep ] &&
	   dmesg | grep -q "KernelAddressSanitizer initialized"; then
		ok "the debug kernel runs: KASAN, lockdep and kmemleak ($(uname -r))"
	else
		not_ok "the debug kernel runs: KASAN, lockdep and kmemleak ($(uname -r))"
	fi
fi
# Its own thread scans all memory every 10 minutes, a vCPU's minutes under
# KASAN and TCG: off; the scans that judge are asked for (below, nlfuzz).
if [ -w "$KMEMLEAK" ]; then
	echo scan=off >"$KMEMLEAK"
	echo clear >"$KMEMLEAK"
fi

ran=0
while read -r src; do
	name=$(testlist_name "$src")
	wanted "$name" || continue
	read -ra cmd < <(testlist_command "$src")
	ran=$((ran + 1))
	if [ ! -f "$src" ]; then
		not_ok "$name: $src is listed but missing"
	elif [ "${cmd[0]}" != bash ] && [ ! -x "${cmd[0]}" ]; then
		not_ok "$name: ${cmd[0]} is not built (make tests)"
	else
		run_one "$name" "${cmd[@]}"
	fi
done < <(testlist_sources guest)
if [ "$ran" -eq 0 ]; then
	not_ok "tests/tests.list names a guest test${FILTERS[*]:+ matching ${FILTERS[*]}}"
fi

# ---------------------------------------------------------------- our own
# rmmod succeeds while devices are enrolled, in the initial netns and in
# another one that is still alive; a new load starts empty.
if wanted rmmod; then
	echo "# ======== rmmod with devices"
	NLT=$REPO/build/tests/guest/netlink_test
	if [ ! -x "$NLT" ]; then
		not_ok "rmmod with devices enrolled # $NLT missing"
	elif ! load_fresh ""; then
		not_ok "rmmod with devices enrolled # insmod failed"
	else
		dmesg -C 2>/dev/null
		unshare --net sleep 600 </dev/null >/dev/null 2>&1 &
		holder=$!
		HELPER_PIDS+=("$holder")
		for _ in $(seq 50); do
			[ "$(readlink "/proc/$holder/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] && break
			sleep 0.1
		done
		if ! "$NLT" --enroll 5; then
			not_ok "rmmod with devices enrolled # enroll in the initial netns failed"
		elif ! nsenter --net="/proc/$holder/ns/net" "$NLT" --enroll 3; then
			not_ok "rmmod with devices enrolled # enroll in a second netns failed"
		elif ! unload; then
			not_ok "rmmod with devices enrolled"
		else
			ok "rmmod with devices enrolled"
			if ! load_fresh ""; then
				not_ok "reload after rmmod # insmod failed"
			else
				n=$("$NLT" --count)
				m=$(nsenter --net="/proc/$holder/ns/net" "$NLT" --count)
				if [ "$n" = 0 ] && [ "$m" = 0 ]; then
					ok "a reloaded module starts with empty tables"
				else
					not_ok "a reloaded module starts with empty tables # $n and $m devices"
				fi
				# and unloads again while the other netns dies
				kill "$holder" 2>/dev/null
				wait "$holder" 2>/dev/null
				if unload; then
					ok "rmmod after a netns went away"
				else
					not_ok "rmmod after a netns went away"
				fi
			fi
		fi
		kill "$holder" 2>/dev/null
		wait "$holder" 2>/dev/null
		trouble=$(kernel_trouble)
		if [ -n "$trouble" ]; then
			echo "$trouble" | sed 's/^/# kernel: /'
			not_ok "the kernel log is clean after rmmod"
		fi
	fi
fi

# A module without BTF would load on 6.1 with its kfuncs silently left
# out (the kernel only warns): it must refuse to load, saying why. And the
# kfunc ABI the loaders check is the module's.
if wanted btf; then
	echo "# ======== a module without BTF"
	unload
	nobtf=$TMP/nobtf.ko
	if ! objcopy --remove-section=.BTF "$KO" "$nobtf"; then
		not_ok "a module without BTF refuses to load # objcopy failed"
	else
		dmesg -C 2>/dev/null
		if insmod "$nobtf" 2>/dev/null; then
			not_ok "a module without BTF refuses to load"
			unload
		elif dmesg | grep -q "iotguard: the module has no BTF"; then
			ok "a module without BTF refuses to load, with a message"
		else
			not_ok "a module without BTF refuses to load, with a message # none in dmesg"
		fi
	fi
	# BTF the kernel rejects (here: zeroed) loads where the kernel allows
	# a mismatch (Debian's CONFIG_MODULE_ALLOW_BTF_MISMATCH), without
	# kfuncs: iotguard attach must refuse, saying so.
	badbtf=$TMP/badbtf.ko
	size=$(objdump -h "$KO" | awk '$2 == ".BTF" { print $3 }')
	[ -z "$size" ] || head -c "$((16#$size))" /dev/zero >"$TMP/zero.btf"
	if [ -z "$size" ] ||
	   ! objcopy --update-section .BTF="$TMP/zero.btf" "$KO" "$badbtf"; then
		not_ok "a module with BTF the kernel rejected: attach refuses # objcopy failed"
	elif ! insmod "$badbtf" 2>/dev/null; then
		ok "a module with BTF the kernel rejected refuses to load"
	else
		out=$(unshare --net bash -c 'ip link set lo up &&
			"$0" attach lo --mode generic' "$REPO/build/iotguard" 2>&1)
		rc=$?
		if [ "$rc" -ne 0 ] && [[ $out == *"rejected the iotguard module's BTF"* ]]; then
			ok "a module with BTF the kernel rejected: attach refuses, saying so"
		else
			echo "$out" | sed 's/^/# /'
			not_ok "a module with BTF the kernel rejected: attach refuses, saying so"
		fi
		unload
	fi
	if ! load_fresh ""; then
		not_ok "the module shows its kfunc ABI # insmod failed"
	else
		abi=$(cat /sys/module/iotguard/parameters/kfunc_abi 2>/dev/null)
		want=$(sed -n 's/^#define IOTGUARD_KFUNC_ABI \([0-9]*\)$/\1/p' \
			"$REPO/include/iotguard/kfunc.h")
		if [ -n "$abi" ] && [ "$abi" = "$want" ]; then
			ok "the module shows its kfunc ABI ($abi)"
		else
			not_ok "the module shows its kfunc ABI # '$abi', the header says '$want'"
		fi
		unload
	fi
fi

# kmemleak's verdict on everything since the start: a scan reports the
# objects nothing points to any more (older than its minimum age).
if [ -w "$KMEMLEAK" ]; then
	echo "# ======== kmemleak"
	unload
	echo scan >"$KMEMLEAK"
	echo scan >"$KMEMLEAK"
	leaks=$(grep -c '^unreferenced object' "$KMEMLEAK")
	if [ "$leaks" -eq 0 ]; then
		ok "kmemleak finds no leak"
	else
		head -n 60 "$KMEMLEAK" | sed 's/^/# /'
		not_ok "kmemleak finds no leak: $leaks suspected"
	fi
fi

echo "# run-all: done, $([ "$FAILED" -eq 0 ] && echo "no failures" || echo "FAILURES")"
exit "$FAILED"
