#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build kmod/iotguard.ko with module BTF, and fail when it has none: without
# module BTF the kfuncs silently vanish and the XDP program cannot load.
#
# Usage: scripts/build-module.sh [KDIR]
#
#	no KDIR   the Debian bookworm cloud kernel the tests boot in the guest
#		  (scripts/guest-kernel.sh prepares it under build/kernel)
#	KDIR      any kernel build dir, e.g. /lib/modules/$(uname -r)/build on a
#		  router. If it has no vmlinux, a writable copy is made with the
#		  BTF of the running kernel (/sys/kernel/btf/vmlinux) or of
#		  $BTF; build/iotguard-btfids (or $RESOLVE_BTFIDS) fills in the kfunc
#		  ids, so no kernel source is needed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
kernel_dir=${IOTGUARD_KERNEL_DIR:-$repo/build/kernel}
kdir=${1:-}

die() {
	echo "build-module: $*" >&2
	exit 1
}

if [ -z "$kdir" ]; then
	bash "$repo/scripts/guest-kernel.sh" "$kernel_dir"
	kdir=$kernel_dir/kdir
else
	[ -d "$kdir" ] || die "Unable to find kernel build dir $kdir"
	if [ ! -e "$kdir/vmlinux" ]; then
		# Debian's kernel.release says 6.1.x; UTS_RELEASE is uname -r.
		krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
			"$kdir/include/generated/utsrelease.h" 2>/dev/null ||
		       true)
		btf=${BTF:-}
		if [ -z "$btf" ]; then
			[ "$krel" = "$(uname -r)" ] ||
				die "$kdir is for '$krel', not the running kernel: pass BTF=<its vmlinux or .BTF>"
			btf=/sys/kernel/btf/vmlinux
		fi
		[ -r "$btf" ] || die "Unable to read BTF $btf"
		bash "$repo/scripts/prepare-kdir.sh" "$kdir" "$btf" \
			"$repo/build/kdir-${krel:-custom}"
		kdir=$repo/build/kdir-${krel:-custom}
	fi
fi

# The kfunc ids: for the guest kernel the kernel's own resolve_btfids,
# built from linux-source; elsewhere iotguard's (make user), which needs
# no kernel source.
if [ -z "${1:-}" ]; then
	bash "$repo/scripts/linux-source.sh" "$kernel_dir" >/dev/null
	resolver=$kernel_dir/bin/resolve_btfids
else
	resolver=${RESOLVE_BTFIDS:-$repo/build/iotguard-btfids}
	[ -x "$resolver" ] ||
		die "Unable to find $resolver: make build/iotguard-btfids first"
fi
make -C "$kdir" M="$repo" RESOLVE_BTFIDS="$resolver" modules

readelf -SW "$repo/kmod/iotguard.ko" | grep -E '\] \.BTF +PROGBITS' >/dev/null ||
	die "kmod/iotguard.ko has no .BTF section: kfuncs would not load"
echo "build-module: kmod/iotguard.ko has BTF (built against $kdir)"
