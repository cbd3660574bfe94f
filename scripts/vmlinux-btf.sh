#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Write the raw BTF of an installed kernel: the base a module's BTF is split
# on, byte for byte that kernel's /sys/kernel/btf/vmlinux.
#
# Usage: scripts/vmlinux-btf.sh KERNELVER OUT
#
# Where it comes from, first found:
#	$IOTGUARD_BTF                        a file given by hand
#	/sys/kernel/btf/vmlinux               KERNELVER is the running kernel
#	/usr/lib/debug/boot/vmlinux-KERNELVER, /boot/vmlinux-KERNELVER
#	/boot/vmlinuz-KERNELVER               the image a kernel package
#	                                      installs, before its first boot
# An image is searched for its compressed payload (gzip, xz, lz4, zstd,
# bzip2, lzma, by their magic), and the payload, an ELF or a raw Image, for
# the BTF header. IOTGUARD_BOOT_DIR stands for /boot (tests). Exits 1 with
# a message when the kernel has no BTF (CONFIG_DEBUG_INFO_BTF): iotguard's
# kfuncs cannot work on such a kernel.
set -euo pipefail
export LC_ALL=C

die() {
	echo "vmlinux-btf: $*" >&2
	exit 1
}

[ $# -eq 2 ] || die "usage: $0 KERNELVER OUT"
kver=$1
out=$2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A little-endian BTF header: magic 0xeb9f, version 1, flags 0, hdr_len 24,
# type_off 0; then type_len, str_off (== type_len) and str_len. Copies
# the first such blob whose lengths hold together into $2.
copy_btf() {
	local file=$1 dest=$2 off type_len str_off str_len size total

	total=$(stat -c %s "$file")
	while read -r off; do
		read -r type_len str_off str_len < <(od -An -tu4 -v \
			-j $((off + 12)) -N 12 "$file")
		if [ -z "${str_len:-}" ] || [ "$str_off" != "$type_len" ]; then
			continue
		fi
		size=$((24 + type_len + str_len))
		[ $((off + size)) -le "$total" ] || continue
		dd if="$file" of="$dest" bs=64K iflag=skip_bytes,count_bytes \
			skip="$off" count="$size" status=none
		return 0
	done < <(grep -obUaP \
		'\x9f\xeb\x01\x00\x18\x00\x00\x00\x00\x00\x00\x00' "$file" |
		cut -d: -f1)
	return 1
}

# Decompresses the payload of IMAGE into $tmp/payload: every offset where
# a known magic starts is tried until one gives something with BTF.
from_image() {
	local image=$1 magic tool off n

	for magic in \
		'\x1f\x8b\x08:gzip -dc' \
		'\xfd7zXZ\x00:xz -dc' \
		'\x02\x21\x4c\x18:lz4 -dc' \
		'\x28\xb5\x2f\xfd:zstd -dcq' \
		'BZh:bzip2 -dc' \
		'\x5d\x00\x00\x00:xz -dc --format=lzma'; do
		tool=${magic#*:}
		command -v "${tool%% *}" >/dev/null || continue
		n=0
		while read -r off; do
			n=$((n + 1))
			# A payload is near the start; give up on noise.
			[ "$n" -le 16 ] || break
			tail -c +$((off + 1)) "$image" |
				$tool >"$tmp/payload" 2>/dev/null || true
			[ -s "$tmp/payload" ] || continue
			copy_btf "$tmp/payload" "$out" && return 0
		done < <(grep -obUaP "${magic%%:*}" "$image" | cut -d: -f1)
	done
	return 1
}

if [ -n "${IOTGUARD_BTF:-}" ]; then
	copy_btf "$IOTGUARD_BTF" "$out" ||
		die "$IOTGUARD_BTF holds no BTF"
	exit 0
fi
if [ "$kver" = "$(uname -r)" ] && [ -r /sys/kernel/btf/vmlinux ]; then
	cat /sys/kernel/btf/vmlinux >"$out"
	exit 0
fi
boot=${IOTGUARD_BOOT_DIR:-/boot}
for vmlinux in "/usr/lib/debug/boot/vmlinux-$kver" "$boot/vmlinux-$kver"; do
	if [ -r "$vmlinux" ] && copy_btf "$vmlinux" "$out"; then
		exit 0
	fi
done
image=$boot/vmlinuz-$kver
[ -r "$image" ] || die "Unable to find the image of kernel $kver ($image)"
copy_btf "$image" "$out" && exit 0
from_image "$image" && exit 0
die "kernel $kver has no BTF (CONFIG_DEBUG_INFO_BTF) in $image, or in a" \
	"compression this cannot read: iotguard's kfuncs need it" \
	"(IOTGUARD_BTF=FILE names it by hand)"
