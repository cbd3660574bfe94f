#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug guest kernel from Debian's linux-source-6.1: KASAN,
# lockdep (PROVE_LOCKING, PROVE_RCU), DEBUG_ATOMIC_SLEEP, kmemleak,
# DEBUG_OBJECTS_RCU_HEAD, BPF with module BTF.  allnoconfig plus
# scripts/debug-kernel.config: only what the test guest uses, so the build
# takes minutes on two cores.  Then iotguard.ko against it, in a copy of the
# module's source (the cloud kernel's kmod/iotguard.ko stays as it is).
#
# Usage: scripts/debug-kernel.sh [OUTDIR]     (default build/debug-kernel)
#
# Result, laid out like scripts/guest-kernel.sh's so tests/vm/run.sh boots
# it with IOTGUARD_KERNEL_DIR=OUTDIR:
#	OUTDIR/image/boot/vmlinuz-<kver>, OUTDIR/image/lib/modules/<kver>/
#	OUTDIR/kver, OUTDIR/kdir (the build tree), OUTDIR/bin/resolve_btfids
#	OUTDIR/iotguard.ko      the module for this kernel (IOTGUARD_KO)
#
# The kernel is built once per machine, in a cache shared by every clone
# (IOTGUARD_DEBUG_KERNEL_CACHE, default ~/.cache/iotguard/debug-kernel:
# its source, build tree, image), and rebuilt there when the tarball or the
# config fragment changes (make's own dependencies do the rest); one build
# at a time (flock). OUTDIR links to it. The module is built every run,
# from this clone's sources.
set -euo pipefail

TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
FRAGMENT=$HERE/debug-kernel.config
# Tells a debug kernel apart in uname -r and in the modules' vermagic.
LOCALVERSION=-iotguard-debug

die() {
	echo "debug-kernel: $*" >&2
	exit 1
}

[ $# -le 1 ] || die "usage: $0 [OUTDIR]"
[ -r "$TARBALL" ] || die "$TARBALL missing (apt-get install linux-source-6.1)"
command -v pahole >/dev/null || die "pahole missing (apt-get install dwarves)"
mkdir -p "${1:-$REPO/build/debug-kernel}"
OUT=$(cd "${1:-$REPO/build/debug-kernel}" && pwd)
CACHE=${IOTGUARD_DEBUG_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iotguard/debug-kernel}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
[ "$(cd "$CACHE" && pwd -P)" != "$(cd "$OUT" && pwd -P)" ] ||
	die "OUTDIR must not be the cache ($CACHE)"
SRC=$CACHE/linux-source-6.1
OBJ=$CACHE/obj
STAMP=$CACHE/.source.stamp
JOBS=${JOBS:-$(nproc)}

# One build of the shared kernel at a time; the lock goes with the script.
exec 9>"$CACHE/.lock"
flock 9

want="$(stat -c '%s %Y' "$TARBALL") $TARBALL"
if ! [ -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
	echo "debug-kernel: extracting $TARBALL"
	rm -rf "$SRC" "$OBJ" "$STAMP"
	tar -xJf "$TARBALL" -C "$CACHE"
	echo "$want" >"$STAMP"
fi

# The config: allnoconfig + the fragment, then a check that each of the
# fragment's lines survived (a dependency left out turns an option off
# without a word from olddefconfig).
cfgkey=$( (cat "$FRAGMENT"; echo "$LOCALVERSION") | sha256sum | cut -d' ' -f1)
if ! [ -f "$OBJ/.config" ] || [ "$(cat "$CACHE/.config.key" 2>/dev/null)" != "$cfgkey" ]; then
	mkdir -p "$OBJ"
	make -s -C "$SRC" O="$OBJ" allnoconfig >/dev/null
	"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" \
		"$FRAGMENT" >/dev/null
	"$SRC/scripts/config" --file "$OBJ/.config" \
		--set-str LOCALVERSION "$LOCALVERSION" -d LOCALVERSION_AUTO
	make -s -C "$SRC" O="$OBJ" olddefconfig >/dev/null
	missing=$(grep '^CONFIG_' "$FRAGMENT" | while read -r line; do
		grep -qxF "$line" "$OBJ/.config" || echo "$line"
	done)
	[ -z "$missing" ] || die "options lost in olddefconfig: $missing"
	echo "$cfgkey" >"$CACHE/.config.key"
fi

echo "debug-kernel: building in $OBJ ($JOBS jobs)"
make -s -C "$SRC" O="$OBJ" -j"$JOBS" bzImage modules
kver=$(make -s -C "$SRC" O="$OBJ" kernelrelease)

# Laid out like the cloud image: run.sh reads image/boot and
# image/lib/modules, build-module.sh's make -C wants the build tree.
rm -rf "$CACHE/image.tmp"
mkdir -p "$CACHE/image.tmp/boot"
make -s -C "$SRC" O="$OBJ" INSTALL_MOD_PATH="$CACHE/image.tmp" \
	INSTALL_MOD_STRIP=1 DEPMOD=/sbin/depmod modules_install
cp "$OBJ/arch/x86/boot/bzImage" "$CACHE/image.tmp/boot/vmlinuz-$kver"
cp "$OBJ/.config" "$CACHE/image.tmp/boot/config-$kver"
rm -f "$CACHE/image.tmp/lib/modules/$kver/build" \
	"$CACHE/image.tmp/lib/modules/$kver/source"
rm -rf "$CACHE/image"
mv "$CACHE/image.tmp" "$CACHE/image"
mkdir -p "$CACHE/bin"
cp "$OBJ/tools/bpf/resolve_btfids/resolve_btfids" "$CACHE/bin/resolve_btfids"
# This clone's view of it (an older layout had them as directories).
rm -rf "$OUT/image" "$OUT/bin" "$OUT/obj" "$OUT/linux-source-6.1"
ln -sfn "$CACHE/image" "$OUT/image"
ln -sfn "$CACHE/bin" "$OUT/bin"
ln -sfn "$OBJ" "$OUT/kdir"
ln -sfn "image/boot/vmlinuz-$kver" "$OUT/vmlinuz"
echo "$kver" >"$OUT/kver"

# The module, built in a copy of its source: an external module is built
# in place, and kmod/iotguard.ko must stay the cloud kernel's.
# Afresh every time: objects of another kernel must not be linked in.
MOD=$OUT/module
rm -rf "$MOD"
mkdir -p "$MOD"
cp "$REPO/Kbuild" "$MOD/"
rsync -a --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	--exclude='*.mod' --exclude='*.mod.c' --exclude=modules.order \
	"$REPO/kmod" "$REPO/include" "$MOD/"
make -s -C "$OBJ" M="$MOD" RESOLVE_BTFIDS="$OUT/bin/resolve_btfids" modules
readelf -SW "$MOD/kmod/iotguard.ko" | grep -E '\] \.BTF +PROGBITS' >/dev/null ||
	die "$MOD/kmod/iotguard.ko has no .BTF section: kfuncs would not load"
cp "$MOD/kmod/iotguard.ko" "$OUT/iotguard.ko"
echo "debug-kernel: $kver ready in $OUT (module: $OUT/iotguard.ko)"
