#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build iotguard for another architecture with Debian's cross toolchains:
# the tools (`make user sync`), then the module's kbuild against Debian's own
# kernel headers for that architecture, warnings fatal.
#
# Usage: scripts/cross-build.sh ARCH [--btf]      (ARCH: arm64 or armhf)
#
#	build/ARCH/{iotguard,iotguardd,iotguard-btfids}   the tools
#	build/ARCH/{iotguard-sync,iotguard-city,iotguard-gate}   the city's
#	build/cross/ARCH/module/kmod/iotguard.ko          the module
#	--btf   also the module BTF, as DKMS makes it on such a router: the
#		kernel image is fetched (60 MB for arm64) and its BTF taken
#		out (scripts/vmlinux-btf.sh); the ids are filled in by the
#		host's build/iotguard-btfids (make user first)
#
# IOTGUARD_CROSS_OUT=DIR (inside the repository, relative to it) puts all
# of it under DIR instead of build/: DIR/ARCH, DIR/cross/ARCH.
#
# Needs (scripts/setup-dev.sh): gcc-aarch64-linux-gnu or
# gcc-arm-linux-gnueabihf, the architecture added to dpkg, and the -dev
# packages the tools link with for it (libbpf-dev:ARCH ...). The kernel
# headers are fetched and unpacked, not installed: linux-headers-*-arm64
# depends on gcc-12:arm64, which cannot be installed beside the host's
# gcc-12; the host's linux-kbuild (same version) runs their scripts.
#
# The headers are those of the kernel ABI whose linux-headers-*-common the
# host has (the guest kernel's). Debian's armhf kernel (armmp) has no BTF,
# so the module builds for it but cannot work there: --btf refuses it.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)

die() {
	echo "cross-build: $*" >&2
	exit 1
}

arch=${1:-}
btf=0
[ "${2:-}" = --btf ] && btf=1
case $arch in
arm64) triplet=aarch64-linux-gnu flavour=arm64 karch=arm64
	machine=AArch64 ;;
armhf) triplet=arm-linux-gnueabihf flavour=armmp karch=arm machine=ARM ;;
*) die "usage: $0 arm64|armhf [--btf]" ;;
esac
# `make cross ARCH=armhf` must not hand its ARCH to kbuild.
unset MAKEFLAGS MFLAGS MAKELEVEL ARCH

command -v "$triplet-gcc" >/dev/null ||
	die "Unable to find $triplet-gcc: run scripts/setup-dev.sh"
dpkg --print-foreign-architectures | grep -x "$arch" >/dev/null ||
	die "architecture $arch is not added to dpkg: run scripts/setup-dev.sh"

# Relative: the Makefile puts $(CURDIR)/$(O)/include on the include path.
rel=${IOTGUARD_CROSS_OUT:-build}
echo "cross-build: the tools for $arch"
make -C "$repo" --no-print-directory O="$rel/$arch" CC="$triplet-gcc" \
	AR="$triplet-ar" user sync

# Debian's headers for ARCH, unpacked with their links re-pointed at the
# host's linux-kbuild (the same version: its host programs run here).
common=$(find /usr/src -maxdepth 1 -name 'linux-headers-*-common' |
	sort -V | tail -n1)
[ -n "$common" ] || die "no linux-headers-*-common: run scripts/setup-dev.sh"
abi=${common#/usr/src/linux-headers-}
abi=${abi%-common}
pkg=linux-headers-$abi-$flavour
out=$repo/$rel/cross/$arch
hdrs=$out/headers/usr/src/$pkg
mkdir -p "$out"
if [ ! -f "$hdrs/Makefile" ]; then
	echo "cross-build: fetching $pkg:$arch"
	rm -rf "$out/headers" "$out"/*.deb
	(cd "$out" && apt-get download -qq -o APT::Sandbox::User=root \
		"$pkg:$arch")
	dpkg-deb -x "$out"/"$pkg"_*.deb "$out/headers"
	rm -f "$out"/*.deb
	for link in "$hdrs"/*; do
		[ -L "$link" ] || continue
		target=$(readlink "$link")
		case $target in
		/*) ;;
		*) ln -sfn "$(realpath -m "/usr/src/$pkg/$target")" "$link" ;;
		esac
	done
fi
kdir=$hdrs

if [ "$btf" -eq 1 ]; then
	grep -qx 'CONFIG_DEBUG_INFO_BTF_MODULES=y' "$hdrs/.config" ||
		die "Debian's $flavour kernel has no module BTF: iotguard cannot work on it"
	[ -x "$repo/build/iotguard-btfids" ] ||
		die "build/iotguard-btfids missing: make user"
	image=linux-image-$abi-$flavour-unsigned
	if [ ! -f "$out/boot/vmlinuz-$abi-$flavour" ]; then
		echo "cross-build: fetching $image:$arch"
		rm -rf "${out:?}/boot"
		(cd "$out" && apt-get download -qq \
			-o APT::Sandbox::User=root "$image:$arch")
		dpkg-deb --fsys-tarfile "$out"/"$image"_*.deb |
			tar xf - -C "$out" ./boot
		rm -f "$out"/"$image"_*.deb
	fi
	IOTGUARD_BOOT_DIR=$out/boot bash "$repo/scripts/vmlinux-btf.sh" \
		"$abi-$flavour" "$out/vmlinux.btf"
	bash "$repo/scripts/prepare-kdir.sh" "$hdrs" "$out/vmlinux.btf" \
		"$out/kdir"
	kdir=$out/kdir
fi

# kbuild writes next to the sources of M=: a tree of links to ours.
mod=$out/module
rm -rf "$mod"
mkdir -p "$mod/kmod"
ln -s "$repo/Kbuild" "$mod/Kbuild"
ln -s "$repo/include" "$mod/include"
for f in "$repo"/kmod/Kbuild "$repo"/kmod/*.[ch]; do
	case $f in
	*.mod.c) continue ;;
	esac
	ln -s "$f" "$mod/kmod/"
done
echo "cross-build: the module for $pkg ($arch)"
log=$mod/build.log
rc=0
make -C "$kdir" M="$mod" ARCH="$karch" CROSS_COMPILE="$triplet-" \
	RESOLVE_BTFIDS="$repo/build/iotguard-btfids" KCFLAGS=-Werror \
	modules >"$log" 2>&1 || rc=$?
cat "$log"
[ "$rc" -eq 0 ] || die "the module's build failed for $arch"
grep -qi 'warning' "$log" && die "warnings for $arch (above)"
readelf -h "$mod/kmod/iotguard.ko" | grep -E "Machine: +$machine\$" >/dev/null ||
	die "$mod/kmod/iotguard.ko is not for $machine"
if [ "$btf" -eq 1 ]; then
	readelf -SW "$mod/kmod/iotguard.ko" | grep -E '\] \.BTF +PROGBITS' >/dev/null ||
		die "$mod/kmod/iotguard.ko has no BTF"
fi
echo "cross-build: $arch done: $rel/$arch/ and $mod/kmod/iotguard.ko"
