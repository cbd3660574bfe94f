#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS's build of iotguard.ko (kmod/dkms.conf): for any installed kernel,
# with module BTF, or a failed build that says what is missing.
#
# Usage: scripts/dkms-build.sh KERNELVER KERNEL_SOURCE_DIR
#        scripts/dkms-build.sh --clean
#
# Run in the module's source tree (DKMS's build dir). Without module BTF
# the kfuncs vanish and the XDP program cannot load, so nothing is built
# for a kernel without CONFIG_DEBUG_INFO_BTF_MODULES. Kbuild generates
# module BTF only when the build dir has a `vmlinux`: a copy of the
# headers gets the kernel's BTF under that name (scripts/prepare-kdir.sh,
# from scripts/vmlinux-btf.sh), and the kfunc ids are filled in by the
# kernel's resolve_btfids or, where the headers lack it, by iotguard's own
# (iotguard package: /usr/libexec/iotguard/btfids).
set -euo pipefail

here=$(pwd)

die() {
	echo "iotguard-dkms: $*" >&2
	exit 1
}

if [ "${1:-}" = --clean ]; then
	rm -rf "$here/kdir" "$here/vmlinux.btf"
	rm -f kmod/*.o kmod/*.ko kmod/*.mod kmod/*.mod.c kmod/.*.cmd \
		kmod/modules.order kmod/Module.symvers modules.order \
		Module.symvers .*.cmd
	exit 0
fi
[ $# -eq 2 ] || die "usage: $0 KERNELVER KERNEL_SOURCE_DIR | --clean"
kver=$1
src=$2

[ -f "$src/Makefile" ] ||
	die "Unable to find the headers of kernel $kver in $src (apt-get install linux-headers-$kver)"
config=$src/include/config/auto.conf
[ -f "$config" ] || config=$src/.config
grep -qx 'CONFIG_DEBUG_INFO_BTF_MODULES=y' "$config" ||
	die "kernel $kver has no module BTF (CONFIG_DEBUG_INFO_BTF_MODULES): iotguard's kfuncs cannot be called on it"
command -v pahole >/dev/null ||
	die "Unable to find pahole: module BTF needs it (apt-get install pahole)"

resolver=${RESOLVE_BTFIDS:-}
if [ -z "$resolver" ]; then
	for tool in "$src/tools/bpf/resolve_btfids/resolve_btfids" \
		/usr/libexec/iotguard/btfids \
		/usr/local/libexec/iotguard/btfids; do
		if [ -x "$tool" ]; then
			resolver=$tool
			break
		fi
	done
fi
[ -n "$resolver" ] ||
	die "Unable to find resolve_btfids or iotguard's btfids (apt-get install iotguard)"

bash scripts/vmlinux-btf.sh "$kver" "$here/vmlinux.btf"
bash scripts/prepare-kdir.sh "$src" "$here/vmlinux.btf" "$here/kdir"
make -C "$here/kdir" M="$here" RESOLVE_BTFIDS="$resolver" modules

readelf -SW kmod/iotguard.ko | grep -E '\] \.BTF +PROGBITS' >/dev/null ||
	die "kmod/iotguard.ko came out without BTF: kfuncs would not load"
echo "iotguard-dkms: kmod/iotguard.ko for $kver has BTF (resolver $resolver)"
