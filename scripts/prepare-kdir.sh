#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make a writable copy of a kernel headers/build directory in which an
# external module build also generates module BTF.
#
# Usage: scripts/prepare-kdir.sh SRC_KDIR BTF_FILE OUT_KDIR
#
#	SRC_KDIR  e.g. /usr/src/linux-headers-6.1.0-56-cloud-amd64 (Debian) or
#		  /lib/modules/$(uname -r)/build on a real router
#	BTF_FILE  BTF of the exact kernel that will load the module: the raw
#		  .BTF section of its vmlinux, or /sys/kernel/btf/vmlinux when
#		  building for the running kernel
#	OUT_KDIR  the copy; build with
#		  make -C OUT_KDIR M=$PWD RESOLVE_BTFIDS=<resolve_btfids> modules
#
# Why: kbuild only runs pahole/resolve_btfids on a module when a file named
# `vmlinux` sits at the root of the build dir ("Skipping BTF generation ...
# unavailability of vmlinux" otherwise), and without module BTF
# register_btf_kfunc_id_set() "succeeds" in 6.1 but no program can call the
# kfuncs.  The distro tree is read-only and shared, hence the copy.
#
# Idempotent: skipped when the stamp matches the same source and BTF.
set -euo pipefail

die() {
	echo "prepare-kdir: $*" >&2
	exit 1
}

[ $# -eq 3 ] || die "usage: $0 SRC_KDIR BTF_FILE OUT_KDIR"
[ -d "$1" ] || die "$1: not a directory"
[ -r "$2" ] || die "$2: not readable"
[ -f "$1/Makefile" ] || die "$1: no Makefile, not a kernel build dir"

# /lib/modules/*/build is itself a symlink: work on the real directory, so
# relative links inside it resolve the way they do for the original.
SRC=$(realpath "$1")
BTF=$2
mkdir -p "$(dirname "$3")"
OUT=$(realpath -m "$3")
case "$OUT/" in
"$SRC/"*) die "OUT_KDIR must not be inside SRC_KDIR" ;;
esac

# Identity of the inputs: the source dir and the files a rebuild or a
# package upgrade changes, plus the BTF content (the kernel that boots).
# /sys/kernel/btf/vmlinux is a sysfs file: hash its content, not its stat.
btf_sum=$(sha256sum <"$BTF" | cut -d' ' -f1)
src_id=$(stat -L -c '%n %s %Y' "$SRC/Makefile" "$SRC/.config" \
	"$SRC/Module.symvers" 2>/dev/null || true)
want="src=$SRC
$src_id
btf=$btf_sum"
STAMP=$OUT/.prepare-kdir.stamp
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] &&
	[ -f "$OUT/vmlinux" ]; then
	exit 0
fi

# Build next to the target and rename at the end, so an interrupted run
# never leaves a half-made tree that a later stamp check would trust.
TMP=$OUT.tmp.$$
trap 'rm -rf "$TMP"' EXIT
rm -rf "$TMP"
mkdir -p "$TMP"
# -a keeps symlinks as symlinks (and modes); a dereferencing copy would
# drag in the whole kbuild tree and break objtool's relative helpers.
cp -a "$SRC/." "$TMP/"

# Relative links that leave the tree (Debian: scripts -> ../../lib/
# linux-kbuild-6.1/scripts, tools -> ../../lib/linux-kbuild-6.1/tools;
# Ubuntu links most of the flavour dir into the common dir) are dangling in
# the copy ("objtool: not found").  Re-point them at the absolute target
# they had in the original; links that stay inside the tree are fine as is.
while IFS= read -r -d '' link; do
	rel=${link#"$TMP"/}
	target=$(readlink "$link")
	case "$target" in
	/*) continue ;;
	esac
	abs=$(realpath -m "$SRC/$rel")
	case "$abs/" in
	"$SRC/"*) continue ;;
	esac
	ln -sfn "$abs" "$link"
done < <(find "$TMP" -type l -print0)

# The BTF goes in as `vmlinux`: Makefile.modfinal passes it to
# `pahole --btf_base vmlinux` and `resolve_btfids -b vmlinux`, both of
# which accept a raw BTF blob as well as an ELF file.  cat, not cp: sysfs.
cat "$BTF" >"$TMP/vmlinux"

echo "$want" >"$TMP/.prepare-kdir.stamp"
rm -rf "$OUT"
mv "$TMP" "$OUT"
trap - EXIT
echo "prepare-kdir: $OUT ready (BTF from $BTF)"
