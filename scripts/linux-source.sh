#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Extract the few pieces of the Debian linux-source-6.1 tarball the project
# uses, and build resolve_btfids (Debian's linux-kbuild-6.1 does not ship it,
# but kbuild needs it to generate module BTF).
#
# Usage: scripts/linux-source.sh OUTDIR
#
# Result:
#	OUTDIR/linux-source-6.1/scripts/{checkpatch.pl,spelling.txt,
#		const_structs.checkpatch,extract-vmlinux}
#	OUTDIR/linux-source-6.1/tools/testing/selftests/{kselftest_harness.h,
#		kselftest.h}
#	OUTDIR/bin/resolve_btfids
#
# Idempotent: a stamp file records a finished run for this tarball.
set -euo pipefail

TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
TOP=linux-source-6.1

die() {
	echo "linux-source: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
[ -r "$TARBALL" ] || die "$TARBALL missing (apt-get install linux-source-6.1)"
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
STAMP=$OUT/.linux-source.stamp

# The stamp carries the tarball's identity, so a new linux-source-6.1
# upload (security update) re-extracts and rebuilds.
want="$(stat -c '%s %Y' "$TARBALL") $TARBALL"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] &&
	[ -x "$OUT/bin/resolve_btfids" ]; then
	exit 0
fi

# Only what we need: decompressing the whole tree would take minutes and
# ~1.4 GB; this selection is a few MB and takes ~10 s (xz is the cost).
# resolve_btfids needs libbpf + libsubcmd + the tools build system, and
# libbpf's build runs scripts/bpf_doc.py to generate bpf_helper_defs.h.
paths=(
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
	scripts/extract-vmlinux
	scripts/bpf_doc.py
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	tools/bpf/resolve_btfids
	tools/build
	tools/include
	tools/lib
	tools/scripts
	tools/arch
)
rm -rf "${OUT:?}/$TOP" "${OUT:?}/resolve_btfids" "${OUT:?}/bin" "$STAMP"
echo "linux-source: extracting from $TARBALL"
tar -xJf "$TARBALL" -C "$OUT" "${paths[@]/#/$TOP/}"

# Out-of-tree build so the extracted source stays pristine.  Host tools
# only: no cross compiler, whatever CC/ARCH the caller has exported.
echo "linux-source: building resolve_btfids"
mkdir -p "$OUT/resolve_btfids" "$OUT/bin"
log=$OUT/resolve_btfids/build.log
if ! env -u ARCH -u CROSS_COMPILE -u CC -u LLVM \
	make -C "$OUT/$TOP/tools/bpf/resolve_btfids" -j"$(nproc)" \
		OUTPUT="$OUT/resolve_btfids/" >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "resolve_btfids build failed (full log: $log)"
fi
install -m 0755 "$OUT/resolve_btfids/resolve_btfids" "$OUT/bin/resolve_btfids"

echo "$want" >"$STAMP"
echo "linux-source: done: $OUT/bin/resolve_btfids"
