#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Cross builds (scripts/cross-build.sh) for arm64 and armhf, in a build
# dir of their own: the tools come out as executables for that machine and
# the module builds warning-free against Debian's kernel headers for it;
# and dpkg-buildpackage -a arm64 cross-builds the packages (iotguard and
# iotguard-sync checked).
# Host only; needs scripts/setup-dev.sh (cross compilers, the -dev
# packages of both architectures) and fetches the two headers packages.
# Emits TAP.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"
# shellcheck source=../lib/tree.sh
. "$REPO/tests/lib/tree.sh"
mkdir -p "$REPO/build"
TMP=$(mktemp -d "$REPO/build/cross-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export IOTGUARD_CROSS_OUT=${TMP#"$REPO"/}

# machine FILE: what file(1) says the ELF is for, e.g. "ARM aarch64".
machine() {
	file -b "$1" | cut -d, -f1,2
}

# The router's tools and the city's (libnats, liboath for that machine).
TOOLS="iotguard iotguardd iotguard-btfids iotguard-sync iotguard-city
	iotguard-gate"

tap_plan 7
for arch in arm64 armhf; do
	case $arch in
	arm64) exe="ELF 64-bit LSB pie executable, ARM aarch64"
		rel="ELF 64-bit LSB relocatable, ARM aarch64" ;;
	armhf) exe="ELF 32-bit LSB pie executable, ARM"
		rel="ELF 32-bit LSB relocatable, ARM" ;;
	esac
	start=$SECONDS
	if bash "$REPO/scripts/cross-build.sh" "$arch" >"$TMP/$arch.log" 2>&1
	then
		ok "cross-build.sh $arch ($((SECONDS - start)) s)"
	else
		not_ok "cross-build.sh $arch"
		grep -v '^\(clang\|bpftool\|[a-z0-9_-]*-g\(cc\|ar\)\) ' \
			"$TMP/$arch.log" | tail -n 20 | sed 's/^/# /'
	fi
	got=
	for tool in $TOOLS; do
		got+="$tool: $(machine "$TMP/$arch/$tool" 2>&1)"$'\n'
	done
	want=
	for tool in $TOOLS; do
		want+="$tool: $exe"$'\n'
	done
	if [ "$got" = "$want" ]; then
		ok "$arch: the tools are $exe"
	else
		not_ok "$arch: the tools are $exe"
		echo "$got" | sed 's/^/# /'
	fi
	got=$(machine "$TMP/cross/$arch/module/kmod/iotguard.ko" 2>&1)
	if [ "$got" = "$rel" ]; then
		ok "$arch: iotguard.ko is $rel"
	else
		not_ok "$arch: iotguard.ko is $rel"
		echo "# $got"
	fi
done

# The package, cross-built as Debian does it (armhf builds the same way).
tree_copy "$REPO" "$TMP/pkg/src"
start=$SECONDS
version=$(make -s --no-print-directory -C "$REPO" version)
deb=$TMP/pkg/iotguard_${version}_arm64.deb
sync_deb=$TMP/pkg/iotguard-sync_${version}_arm64.deb
if (cd "$TMP/pkg/src" && DEB_BUILD_OPTIONS=noautodbgsym \
	dpkg-buildpackage -aarm64 -us -uc -b) >"$TMP/deb.log" 2>&1 &&
	dpkg-deb -x "$deb" "$TMP/pkg/root" &&
	dpkg-deb -x "$sync_deb" "$TMP/pkg/root" &&
	[ "$(dpkg-deb -f "$deb" Architecture)" = arm64 ] &&
	[ "$(dpkg-deb -f "$sync_deb" Architecture)" = arm64 ] &&
	[ "$(machine "$TMP/pkg/root/usr/sbin/iotguardd")" = \
		"ELF 64-bit LSB pie executable, ARM aarch64" ] &&
	[ "$(machine "$TMP/pkg/root/usr/sbin/iotguard-sync")" = \
		"ELF 64-bit LSB pie executable, ARM aarch64" ]; then
	ok "dpkg-buildpackage -aarm64 ($((SECONDS - start)) s)"
else
	not_ok "dpkg-buildpackage -aarm64"
	tail -n 20 "$TMP/deb.log" | sed 's/^/# /'
fi
tap_end
