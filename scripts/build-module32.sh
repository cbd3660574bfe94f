#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the module for a 32-bit kernel, Debian's i386 686-pae flavour, so
# that 64-bit-only arithmetic (a u64 division without div_u64(), a long
# that overflows) cannot creep in: many routers are 32-bit. Fails on any
# warning, the compiler's or modpost's.
#
# Usage: scripts/build-module32.sh [KDIR]
#
#	no KDIR   the newest /usr/src/linux-headers-*-686-pae, which
#		  scripts/setup-dev.sh installs (i386 through multiarch)
#	KDIR      any 32-bit kernel's build dir
#
# The result is build/module32/kmod/iotguard.ko (or under
# $IOTGUARD_MODULE32_DIR), never kmod/: the 64-bit build's objects live
# there. It has no BTF and is not loaded anywhere: this is a build check.
# Every run builds afresh, so that every warning is printed again.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${IOTGUARD_MODULE32_DIR:-$repo/build/module32}
kdir=${1:-}

die() {
	echo "build-module32: $*" >&2
	exit 1
}

if [ -z "$kdir" ]; then
	kdir=$(find /usr/src -maxdepth 1 -name 'linux-headers-*-686-pae' |
		sort -V | tail -n1)
	[ -n "$kdir" ] ||
		die "no i386 kernel headers (/usr/src/linux-headers-*-686-pae): run scripts/setup-dev.sh"
fi
if [ ! -f "$kdir/Makefile" ] || [ ! -f "$kdir/.config" ]; then
	die "$kdir: not a kernel build dir"
fi
grep -qx 'CONFIG_64BIT=y' "$kdir/.config" && die "$kdir: a 64-bit kernel"

# kbuild puts its objects next to the sources of M=: a tree of links to
# ours, shaped like the repository (kmod/Kbuild includes ../include).
rm -rf "$out"
mkdir -p "$out/kmod"
ln -s "$repo/Kbuild" "$out/Kbuild"
ln -s "$repo/include" "$out/include"
for f in "$repo"/kmod/Kbuild "$repo"/kmod/*.[ch]; do
	case $f in
	*.mod.c) continue ;;
	esac
	ln -s "$f" "$out/kmod/"
done

log=$out/build.log
rc=0
make -C "$kdir" M="$out" KCFLAGS=-Werror modules >"$log" 2>&1 || rc=$?
cat "$log"
[ "$rc" -eq 0 ] || die "the build failed against $kdir"
if grep -qi 'warning' "$log"; then
	die "warnings against $kdir (above)"
fi
readelf -h "$out/kmod/iotguard.ko" | grep -E 'Class: +ELF32' >/dev/null ||
	die "$out/kmod/iotguard.ko is not a 32-bit object"
echo "build-module32: $out/kmod/iotguard.ko built warning-free against $kdir"
