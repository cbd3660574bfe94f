#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch and prepare the kernel the test VM boots: Debian bookworm's current
# linux-image-<abi>-cloud-amd64 (BTF, module BTF, BPF JIT, XDP, netns, veth
# as a module, PVH boot), without touching the host's /boot.
#
# Usage: scripts/guest-kernel.sh OUTDIR        (default OUTDIR in the repo:
#	build/kernel, see tests/vm/run.sh and IOTGUARD_KERNEL_DIR)
#
# Result:
#	OUTDIR/image/          the unpacked .deb (boot/vmlinuz-*, lib/modules/*
#	                       with a fresh modules.dep so modprobe works)
#	OUTDIR/vmlinuz         symlink to image/boot/vmlinuz-<kver>
#	OUTDIR/kver            the kernel release string, e.g. 6.1.0-56-cloud-amd64
#	OUTDIR/vmlinux         the uncompressed kernel ELF (debugging, PVH boot)
#	OUTDIR/vmlinux.btf     its raw .BTF section (== guest /sys/kernel/btf/vmlinux)
#	OUTDIR/kdir/           headers copy that generates module BTF
#	OUTDIR/bin/resolve_btfids, OUTDIR/linux-source-6.1/  (scripts/linux-source.sh)
#
# Build a module for the guest with module BTF:
#	make -C OUTDIR/kdir M=$PWD RESOLVE_BTFIDS=OUTDIR/bin/resolve_btfids modules
#
# Idempotent: the stamp names the ABI and package version; when the
# meta-package moves to a new ABI (security update) everything is redone.
set -euo pipefail

META=linux-image-cloud-amd64
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
	echo "guest-kernel: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
STAMP=$OUT/.guest-kernel.stamp

# Never hard-code the ABI: security updates bump it and the old packages
# leave the mirror.  The meta-package names the current one.
abi=$(apt-cache depends "$META" 2>/dev/null |
	sed -n 's/^ *|\{0,1\}Depends: linux-image-\(.*\)-cloud-amd64$/\1/p' |
	head -n1 || true)
if [ -z "$abi" ]; then
	# Offline or no package lists: keep a previous result rather than fail.
	if [ -f "$STAMP" ] && [ -f "$OUT/kver" ]; then
		echo "guest-kernel: cannot resolve $META, keeping $(cat "$OUT/kver")" >&2
		exit 0
	fi
	die "cannot resolve the ABI of $META (run scripts/setup-dev.sh)"
fi
pkg=linux-image-$abi-cloud-amd64
ver=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: *//p')
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	die "no candidate for $pkg"
fi
hdrs=/usr/src/linux-headers-$abi-cloud-amd64
[ -d "$hdrs" ] || die "$hdrs missing: run scripts/setup-dev.sh (as root)"

# extract-vmlinux and resolve_btfids come from linux-source-6.1.
"$HERE/linux-source.sh" "$OUT"

want="$pkg=$ver"
if ! { [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] &&
	[ -f "$OUT/vmlinux.btf" ] && [ -f "$OUT/kver" ]; }; then
	echo "guest-kernel: preparing $pkg $ver"
	rm -f "$STAMP"

	# apt-get download writes to the cwd.  As root it warns that the
	# _apt sandbox user cannot write here; downloading as root is fine.
	rm -f "$OUT"/linux-image-*.deb
	(cd "$OUT" && apt-get download -qq -o APT::Sandbox::User=root \
		"$pkg=$ver")
	deb=$(ls "$OUT"/linux-image-"$abi"-cloud-amd64_*.deb)

	rm -rf "$OUT/image" "$OUT/image.tmp"
	dpkg-deb -x "$deb" "$OUT/image.tmp"
	mv "$OUT/image.tmp" "$OUT/image"
	rm -f "$deb"

	# The release string is the name of the modules dir the package ships
	# (Debian 12 still ships /lib/modules; accept usr/lib too).
	moddir=
	for d in "$OUT"/image/lib/modules/*/ "$OUT"/image/usr/lib/modules/*/; do
		[ -d "$d" ] && moddir=$d && break
	done
	[ -n "$moddir" ] || die "no modules dir in $deb"
	kver=$(basename "$moddir")
	vmlinuz=$OUT/image/boot/vmlinuz-$kver
	[ -f "$vmlinuz" ] || die "$vmlinuz missing"

	# The package's postinst would run depmod; dpkg-deb -x does not.
	# Without modules.dep, modprobe (and kernel autoload) fail in the guest.
	depmod -b "$OUT/image" "$kver"

	# The raw .BTF section is byte-identical to the guest's
	# /sys/kernel/btf/vmlinux: the base for module BTF.
	"$OUT/linux-source-6.1/scripts/extract-vmlinux" "$vmlinuz" >"$OUT/vmlinux.tmp"
	objcopy -O binary --only-section=.BTF "$OUT/vmlinux.tmp" "$OUT/vmlinux.btf.tmp"
	[ -s "$OUT/vmlinux.btf.tmp" ] || die "no .BTF section in $vmlinuz"
	mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
	mv "$OUT/vmlinux.btf.tmp" "$OUT/vmlinux.btf"

	ln -sfn "image/boot/vmlinuz-$kver" "$OUT/vmlinuz"
	echo "$kver" >"$OUT/kver"
	# kdir must be rebuilt against the new BTF and headers.
	rm -rf "$OUT/kdir"
	echo "$want" >"$STAMP"
fi

kver=$(cat "$OUT/kver")
[ "$kver" = "$abi-cloud-amd64" ] ||
	die "image release $kver does not match headers $hdrs"
"$HERE/prepare-kdir.sh" "$hdrs" "$OUT/vmlinux.btf" "$OUT/kdir"
echo "guest-kernel: $kver ready in $OUT"
