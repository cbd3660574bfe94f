#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The packages on a clean Debian 12 system, the way an operator rolls them
# out to a router: a Debian 12 root file system made by mmdebstrap from
# Debian's archive (the packages of a cloud image, its kernel and headers,
# and what iotguard's packages depend on; no iotguard), on a virtio disk,
# booted by qemu with that system's own kernel and initrd. In it,
# tests/system/package_guest.sh installs the packages as README.md says,
# checks the guard, reboots the machine (a real reboot: qemu resets it and
# systemd boots it again), checks the guard came back enforcing with the
# same table, upgrades to a rebuilt package, restarts onto the new module
# and purges.
#
# Host only, as root: needs scripts/setup-dev.sh (mmdebstrap, qemu, the
# package build) and Debian's archive (the mirrors apt uses here, or
# IOTGUARD_DEBIAN_MIRROR). The root file system is cached in
# build/system/ by what it holds. Emits TAP.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"
# shellcheck source=../lib/tree.sh
. "$REPO/tests/lib/tree.sh"
# shellcheck source=../lib/qemu.sh
. "$REPO/tests/lib/qemu.sh"

CACHE=$REPO/build/system
# The guest's own results, in the order package_guest.sh prints them.
GUEST_RESULTS=43
# A safety net against a hung guest, not a judgement: two boots, two DKMS
# builds and three apt runs take 4-8 minutes under TCG on 2 cores.
BOOT_TIMEOUT=${IOTGUARD_SYSTEM_TIMEOUT:-3600}
mkdir -p "$CACHE"
TMP=$(mktemp -d "$CACHE/package.XXXXXX")
QEMU_PID=

cleanup() {
	set +e
	[ -z "$QEMU_PID" ] || kill "$QEMU_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# build SRC: the packages of the tree SRC, in SRC's parent.
build() {
	(cd "$1" && DEB_BUILD_OPTIONS=noautodbgsym \
		dpkg-buildpackage -us -uc -b) >"$1.log" 2>&1
}

# depends DEB...: the packages the .debs depend on, from Debian.
depends() {
	local deb

	for deb in "$@"; do
		dpkg-deb -f "$deb" Depends
	done | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/ //g' |
		grep -v '^iotguard' | sort -u
}

# mirror: where mmdebstrap takes Debian from.
mirror() {
	if [ -n "${IOTGUARD_DEBIAN_MIRROR:-}" ]; then
		echo "$IOTGUARD_DEBIAN_MIRROR"
	elif [ -f /etc/apt/sources.list.d/debian.sources ]; then
		echo /etc/apt/sources.list.d/debian.sources
	else
		echo http://deb.debian.org/debian
	fi
}

# rootfs DEB...: a cached Debian 12 root file system (a tar) for the .debs.
rootfs() {
	local pkgs key tar

	pkgs=systemd-sysv,udev,kmod,linux-image-cloud-amd64
	pkgs+=,linux-headers-cloud-amd64,iproute2,python3,curl
	# The city on the router itself: a NATS server, its certificates,
	# the operator's TOTP codes.
	pkgs+=,nats-server,openssl,oathtool
	pkgs+=,$(depends "$@" | paste -sd,)
	key=$( (echo "$pkgs"; mirror; cat "$(mirror)" 2>/dev/null) |
		sha256sum | cut -c1-16)
	tar=$CACHE/bookworm-$key.tar
	# Two suites at once (make check-busy) make it once: the second
	# waits for the first.
	(
		flock 9
		[ -s "$tar" ] && exit 0
		rm -f "$CACHE"/bookworm-*.tar
		mmdebstrap --variant=important --format=tar \
			--include="$pkgs" bookworm "$tar.tmp" "$(mirror)" \
			>"$TMP/mmdebstrap.log" 2>&1 &&
			mv "$tar.tmp" "$tar"
	) 9>"$CACHE/rootfs.lock" || return 1
	echo "$tar"
}

# unit NAME WANTEDBY: enables /etc/systemd/system/NAME in the image.
enable_unit() {
	mkdir -p "$ROOT/etc/systemd/system/$2.wants"
	ln -sf "/etc/systemd/system/$1" "$ROOT/etc/systemd/system/$2.wants/$1"
}

# image TAR: the disk, with the packages and the guest's test in it.
image() {
	local t

	ROOT=$TMP/root
	mkdir -p "$ROOT"
	tar -C "$ROOT" --numeric-owner -xpf "$1" || return 1
	mkdir -p "$ROOT/root/pkgtest/v1" "$ROOT/root/pkgtest/v2"
	cp "$TMP"/v1/*.deb "$ROOT/root/pkgtest/v1/"
	cp "$TMP"/v2/*.deb "$ROOT/root/pkgtest/v2/"
	cp "$REPO/tests/guest/traffic.py" "$REPO/tests/lib/nats.sh" \
		"$ROOT/root/pkgtest/"
	install -m 0755 "$REPO/tests/system/package_guest.sh" \
		"$ROOT/root/pkgtest/guest.sh"
	install -m 0755 "$REPO/tests/system/street.sh" \
		"$ROOT/root/pkgtest/street.sh"
	cp "$REPO/tests/system/pkgtest.service" \
		"$REPO/tests/system/pkgtest-street.service" \
		"$ROOT/etc/systemd/system/"
	enable_unit pkgtest-street.service sysinit.target
	enable_unit pkgtest.service multi-user.target
	# Nothing else runs apt or waits for a network the guest lacks.
	for t in apt-daily.timer apt-daily-upgrade.timer man-db.timer \
		e2scrub_all.timer fstrim.timer dpkg-db-backup.timer \
		systemd-timesyncd.service systemd-networkd-wait-online.service; do
		ln -sf /dev/null "$ROOT/etc/systemd/system/$t"
	done
	echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$ROOT/etc/fstab"
	echo router >"$ROOT/etc/hostname"
	mkfs.ext4 -q -F -L root -d "$ROOT" "$TMP/disk.raw" 6G >/dev/null ||
		return 1
	KERNEL=$(find "$ROOT/boot" -name 'vmlinuz-*' | sort | tail -n 1)
	INITRD=$(find "$ROOT/boot" -name 'initrd.img-*' | sort | tail -n 1)
	cp "$KERNEL" "$INITRD" "$TMP/"
	KERNEL=$TMP/${KERNEL##*/}
	INITRD=$TMP/${INITRD##*/}
	rm -rf "$ROOT"
}

tap_plan $((4 + GUEST_RESULTS))
version=$(make -s --no-print-directory -C "$REPO" version)
upgrade=$version+pkgtest1

# The packages of this tree, and a rebuild of it one version up (what an
# operator's next release looks like to dpkg and DKMS).
tree_copy "$REPO" "$TMP/v1/src"
tree_copy "$REPO" "$TMP/v2/src"
sed -i "s/^#define IOTGUARD_VERSION \".*\"/#define IOTGUARD_VERSION \"$upgrade\"/" \
	"$TMP/v2/src/kmod/version.h"
{
	printf 'iotguard (%s) unstable; urgency=medium\n\n' "$upgrade"
	printf '  * A rebuild for the package test.\n\n'
	printf ' -- %s  %s\n\n' "$(sed -n 's/^ -- \(.*>\)  .*/\1/p;T;q' \
		"$REPO/debian/changelog")" "$(date -R)"
	cat "$REPO/debian/changelog"
} >"$TMP/v2/src/debian/changelog"
start=$SECONDS
if build "$TMP/v1/src" && build "$TMP/v2/src"; then
	ok "dpkg-buildpackage: $version and $upgrade ($((SECONDS - start)) s)"
else
	not_ok "dpkg-buildpackage: $version and $upgrade"
	tail -n 20 "$TMP"/v*/src.log | sed 's/^/# /'
fi

start=$SECONDS
if tar=$(rootfs "$TMP"/v1/*.deb) && image "$tar"; then
	ok "a Debian 12 system on a disk, kernel ${KERNEL#*vmlinuz-} ($((SECONDS - start)) s)"
else
	not_ok "a Debian 12 system on a disk"
	tail -n 20 "$TMP/mmdebstrap.log" 2>/dev/null | sed 's/^/# /'
fi

# Two serial ports: the console on the first, the guest's results alone
# on the second. No -no-reboot: the guest's reboot resets the machine and
# it boots again from the disk's kernel; its poweroff ends qemu.
qemu_accel
: >"$TMP/tap.log"
start=$SECONDS
timeout -k 10 "$BOOT_TIMEOUT" qemu-system-x86_64 "${ACCEL[@]}" \
	-m 2G -smp 2 -nodefaults -nographic -monitor none -nic none \
	-serial file:"$TMP/console.log" -serial file:"$TMP/tap.log" \
	-kernel "${KERNEL:-/nonexistent}" -initrd "${INITRD:-/nonexistent}" \
	-append "root=/dev/vda rw console=ttyS0 quiet mitigations=off no_timer_check" \
	-drive file="$TMP/disk.raw",format=raw,if=virtio \
	</dev/null >"$TMP/qemu.log" 2>&1 &
QEMU_PID=$!
rc=0
wait "$QEMU_PID" || rc=$?
QEMU_PID=
boots=$(grep -c '^# boot [12] done' "$TMP/tap.log" || true)
if [ "$rc" -eq 0 ] && [ "$boots" -eq 2 ]; then
	ok "the guest booted, rebooted and powered off ($((SECONDS - start)) s)"
else
	not_ok "the guest booted, rebooted and powered off (qemu exit $rc, $boots boots done)"
	sed 's/^/# qemu: /' "$TMP/qemu.log"
	if [ -f "$TMP/console.log" ]; then
		tr -d '\r' <"$TMP/console.log" | tail -n 40 |
			sed 's/^/# console: /'
	fi
fi
ids=$(sed -n 's/^# boot [12] done .*, boot id \([0-9a-f-]*\).*/\1/p' \
	"$TMP/tap.log" | tr -d '\r' | sort -u | grep -c . || true)
if [ "$ids" -eq 2 ]; then
	ok "the kernel booted twice (two boot ids: a reboot, not a restart)"
else
	not_ok "the kernel booted twice (two boot ids: a reboot, not a restart): $ids"
fi
tr -d '\r' <"$TMP/tap.log" >"$TMP/results"
tap_results "$TMP/results" "$GUEST_RESULTS" "guest result"
tap_end
