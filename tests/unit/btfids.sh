#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build/iotguard-btfids on its own: its command line, a module it resolves
# again unchanged, and the failures that must stop a DKMS build (a kfunc
# the BTF lacks, a module without BTF). The ids it writes are held against
# the kernel's resolve_btfids in tests/unit/package.sh. Host only; needs
# make all (the guest kernel's module and BTF). Emits TAP.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"
BIN=$REPO/build/iotguard-btfids
KO=$REPO/kmod/iotguard.ko
BASE=${IOTGUARD_KERNEL_DIR:-$REPO/build/kernel}/vmlinux.btf
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# printed WANT: WANT (a grep pattern) in the output, or no output at all.
printed() {
	if [ -z "$1" ]; then
		[ ! -s "$TMP/out" ]
	else
		grep -q -- "$1" "$TMP/out"
	fi
}

# runs RC WANT DESC -- ARGS...: exit status RC and WANT (a grep pattern)
# in what it printed; an empty WANT: it printed nothing.
runs() {
	local rc=$1 want=$2 desc=$3 got=0

	shift 4
	"$BIN" "$@" >"$TMP/out" 2>&1 || got=$?
	if [ "$got" = "$rc" ] && printed "$want"; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "# exit $got, wanted $rc: $(head -c 300 "$TMP/out")"
	fi
}

tap_plan 6
if "$BIN" --help 2>"$TMP/err" | grep '^Usage: ' >/dev/null && [ ! -s "$TMP/err" ]
then
	ok "--help: usage on stdout, exit 0"
else
	not_ok "--help: usage on stdout, exit 0"
fi
runs 1 '^Usage: ' "no module: usage error, exit 1" -- -b "$BASE"

# The module make all built: resolved already, resolved the same again.
cp "$KO" "$TMP/a.ko"
runs 0 '' "resolves the built module" -- -b "$BASE" "$TMP/a.ko"
check "which it leaves byte for byte as it was" cmp -s "$KO" "$TMP/a.ko"

# A kfunc the BTF does not have: the name in the symbol table changed,
# the same length, so nothing else moves.
sed 's/__BTF_ID__func__iotguard_xdp_bind__/__BTF_ID__func__iotguard_xdp_bixd__/' \
	"$KO" >"$TMP/b.ko"
runs 2 "Unable to resolve BTF id of __BTF_ID__func__iotguard_xdp_bixd__" \
	"a name not in the BTF fails, naming it" -- -b "$BASE" "$TMP/b.ko"

objcopy --remove-section=.BTF "$KO" "$TMP/c.ko"
runs 2 "Unable to read the BTF of" "a module without BTF fails" \
	-- -b "$BASE" "$TMP/c.ko"
tap_end
