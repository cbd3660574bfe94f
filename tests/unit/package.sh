#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages, built from a copy of the tree as a router's admin
# would (dpkg-buildpackage -us -uc -b): lintian finds no error or warning,
# each package holds exactly its files and depends on what it needs only,
# and DKMS builds the packaged module for the guest kernel, as a kernel
# package's hook would before that kernel first boots (its BTF from its
# /boot image), with the kfunc ids filled in by the packaged helper. A
# kernel without BTF fails the build, with a message. Host only; needs
# scripts/setup-dev.sh and the guest kernel (make module); root, as dkms
# signs the module with its key (made on first use in /var/lib/dkms).
# Emits TAP.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"
# shellcheck source=../lib/tree.sh
. "$REPO/tests/lib/tree.sh"
KERNEL=${IOTGUARD_KERNEL_DIR:-$REPO/build/kernel}
mkdir -p "$REPO/build"
TMP=$(mktemp -d "$REPO/build/package-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# files DEB: the files and links a package holds, "MODE PATH", sorted.
files() {
	dpkg-deb -c "$1" | awk '$1 !~ /^d/ { print $1, $6 }' | LC_ALL=C sort
}

# field DEB NAME: a control field.
field() {
	dpkg-deb -f "$1" "$2"
}

version=$(make -s --no-print-directory -C "$REPO" version)

tap_plan 15

# The package is built the way a fresh clone would build it.
tree_copy "$REPO" "$TMP/src"
start=$SECONDS
if (cd "$TMP/src" && DEB_BUILD_OPTIONS=noautodbgsym \
	dpkg-buildpackage -us -uc -b) >"$TMP/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($((SECONDS - start)) s)"
else
	not_ok "dpkg-buildpackage -us -uc -b"
	tail -n 30 "$TMP/build.log" | sed 's/^/# /'
fi
arch=$(dpkg --print-architecture)
TOOLS=$TMP/iotguard_${version}_$arch.deb
DKMS=$TMP/iotguard-dkms_${version}_all.deb
SYNC=$TMP/iotguard-sync_${version}_$arch.deb
CITY=$TMP/iotguard-city_${version}_$arch.deb
CHANGES=$TMP/iotguard_${version}_$arch.changes

lintian "$CHANGES" >"$TMP/lintian.log" 2>&1 || true
if [ -f "$CHANGES" ] && ! grep -qE '^[EW]: ' "$TMP/lintian.log" &&
	! grep -q 'internal error\|^Unable\|No such file' "$TMP/lintian.log"
then
	ok "lintian: no error, no warning"
else
	not_ok "lintian: no error, no warning"
	grep -v 'root privileges' "$TMP/lintian.log" | sed 's/^/# /' || true
fi

want_tools=$( {
	echo "-rw-r--r-- ./etc/iotguard/iotguard.conf"
	echo "-rw-r--r-- ./etc/iotguard/iotguardd.conf"
	echo "-rw-r--r-- ./lib/systemd/system/iotguard.service"
	echo "-rw-r--r-- ./lib/systemd/system/iotguardd.service"
	echo "-rwxr-xr-x ./usr/libexec/iotguard/btfids"
	echo "-rwxr-xr-x ./usr/libexec/iotguard/iotguard-boot"
	echo "-rwxr-xr-x ./usr/sbin/iotguard"
	echo "-rwxr-xr-x ./usr/sbin/iotguardd"
	echo "-rw-r--r-- ./usr/share/doc/iotguard/changelog.gz"
	echo "-rw-r--r-- ./usr/share/doc/iotguard/copyright"
	echo "-rw-r--r-- ./usr/share/man/man8/iotguard-boot.8.gz"
	echo "-rw-r--r-- ./usr/share/man/man8/iotguard.8.gz"
	echo "-rw-r--r-- ./usr/share/man/man8/iotguardd.8.gz"
} | LC_ALL=C sort)
same "iotguard: the tools, helper, units, man pages, config" \
	"$want_tools" "$(files "$TOOLS" 2>&1)"

# Shared libraries only (lib*, and zlib1g for the baselines' CRC-32): no
# compiler, no test or demo package.
deps=$(field "$TOOLS" Depends 2>&1 | tr ',' '\n' | sed 's/^ *//; s/ .*//')
if [ -n "$deps" ] && ! grep -qvE '^(lib.*|zlib1g)$' <<<"$deps" &&
	[ "$(field "$TOOLS" Recommends)" = iotguard-dkms ]; then
	ok "iotguard depends on shared libraries, recommends iotguard-dkms"
else
	not_ok "iotguard depends on shared libraries, recommends iotguard-dkms"
	echo "# Depends: $deps" | tr '\n' ' '
	echo
fi
same "iotguard's conffiles are /etc/iotguard/iotguard{,d}.conf" \
	"$(printf '%s\n' /etc/iotguard/iotguard.conf /etc/iotguard/iotguardd.conf)" \
	"$(dpkg-deb --ctrl-tarfile "$TOOLS" 2>&1 | tar xOf - ./conffiles |
	   LC_ALL=C sort)"

# The city's: a router's agent, and the operations centre's tools.
want_sync=$( {
	echo "-rw-r--r-- ./etc/iotguard/iotguard-sync.conf"
	echo "-rw-r--r-- ./lib/systemd/system/iotguard-sync.service"
	echo "-rwxr-xr-x ./usr/sbin/iotguard-sync"
	echo "-rw-r--r-- ./usr/share/doc/iotguard-sync/changelog.gz"
	echo "-rw-r--r-- ./usr/share/doc/iotguard-sync/copyright"
	echo "-rw-r--r-- ./usr/share/man/man8/iotguard-sync.8.gz"
} | LC_ALL=C sort)
same "iotguard-sync: the agent, its unit, man page and settings" \
	"$want_sync" "$(files "$SYNC" 2>&1)"
want_city=$( {
	echo "-rw-r--r-- ./etc/iotguard/iotguard-gate.conf"
	echo "-rw-r--r-- ./lib/systemd/system/iotguard-gate.service"
	echo "-rwxr-xr-x ./usr/sbin/iotguard-city"
	echo "-rwxr-xr-x ./usr/sbin/iotguard-gate"
	echo "-rw-r--r-- ./usr/share/doc/iotguard-city/changelog.gz"
	echo "-rw-r--r-- ./usr/share/doc/iotguard-city/copyright"
	echo "-rw-r--r-- ./usr/share/man/man8/iotguard-city.8.gz"
	echo "-rw-r--r-- ./usr/share/man/man8/iotguard-gate.8.gz"
} | LC_ALL=C sort)
same "iotguard-city: the operators' tool, the gate, its unit and settings" \
	"$want_city" "$(files "$CITY" 2>&1)"

# depends_of DEB: the packages DEB depends on, by name, one line.
depends_of() {
	field "$1" Depends 2>&1 | tr ',' '\n' | sed 's/^ *//; s/ .*//' |
		LC_ALL=C sort | tr '\n' ' '
}
# The C client of NATS, liboath and libcrypt are the gate's, the agent
# needs only libnats of them; the agent goes with the iotguard it drives.
sync_deps=$(depends_of "$SYNC")
city_deps=$(depends_of "$CITY")
if grep -qE "^iotguard .*libnats3\.[0-9]+ " <<<"$sync_deps" &&
	! grep -qE "liboath|libcrypt" <<<"$sync_deps" &&
	grep -qE "libcrypt1 .*libnats3\.[0-9]+ liboath0 " <<<"$city_deps" &&
	! grep -q "iotguard" <<<"$city_deps"; then
	ok "iotguard-sync needs iotguard and libnats, iotguard-city liboath too"
else
	not_ok "iotguard-sync needs iotguard and libnats, iotguard-city liboath too"
	echo "# iotguard-sync: $sync_deps"
	echo "# iotguard-city: $city_deps"
fi
same "their conffiles: the two units' settings" \
	"/etc/iotguard/iotguard-sync.conf /etc/iotguard/iotguard-gate.conf " \
	"$(for deb in "$SYNC" "$CITY"; do
		dpkg-deb --ctrl-tarfile "$deb" 2>&1 | tar xOf - ./conffiles
	   done | tr '\n' ' ')"

src=usr/src/iotguard-$version
want_dkms=$( {
	echo "-rw-r--r-- ./usr/share/doc/iotguard-dkms/changelog.gz"
	echo "-rw-r--r-- ./usr/share/doc/iotguard-dkms/copyright"
	dkms_sources "$REPO" | sed "s|^|-rw-r--r-- ./$src/|"
} | LC_ALL=C sort)
same "iotguard-dkms: the module's source and dkms.conf" \
	"$want_dkms" "$(files "$DKMS" 2>&1)"

deps=$(field "$DKMS" Depends 2>&1 | tr ',' '\n' | sed 's/^ *//; s/ .*//' |
	LC_ALL=C sort | tr '\n' ' ')
same "iotguard-dkms: all, depends on dkms, pahole, iotguard, decompressors" \
	"all: dkms iotguard lz4 pahole xz-utils zstd " \
	"$(field "$DKMS" Architecture): $deps"

mkdir -p "$TMP/root"
dpkg-deb -x "$TOOLS" "$TMP/root" 2>/dev/null || true
dpkg-deb -x "$DKMS" "$TMP/root" 2>/dev/null || true
same "dkms.conf is for iotguard $version, as debian/changelog" \
	"iotguard $version $version" \
	"$(sed -n 's/^PACKAGE_\(NAME\|VERSION\)="\(.*\)"$/\2/p' \
	   "$TMP/root/$src/dkms.conf" 2>&1 | tr '\n' ' ')$(cd "$REPO" &&
	   dpkg-parsechangelog -S Version)"

# DKMS itself, on a tree of its own: the packaged dkms.conf, build
# script and btfids, for the guest kernel, before that kernel boots.
kver=$(cat "$KERNEL/kver" 2>/dev/null || echo missing)
headers=/usr/src/linux-headers-$kver
boot=$KERNEL/image/boot
export RESOLVE_BTFIDS=$TMP/root/usr/libexec/iotguard/btfids
mkdir "$TMP/dkms"
dkms_build() {
	dkms build -m iotguard -v "$version" --sourcetree "$TMP/root/usr/src" \
		--dkmstree "$TMP/dkms" -k "$kver" --kernelsourcedir "$headers"
}
start=$SECONDS
ko=$TMP/dkms/iotguard/$version/$kver/$(uname -m)/module/iotguard.ko
if IOTGUARD_BOOT_DIR=$boot dkms_build >"$TMP/dkms.log" 2>&1 &&
	[ -f "$ko" ] && readelf -SW "$ko" | grep -E '\] \.BTF +PROGBITS' >/dev/null; then
	ok "dkms build for $kver: iotguard.ko with BTF ($((SECONDS - start)) s)"
else
	not_ok "dkms build for $kver: iotguard.ko with BTF"
	tail -n 20 "$TMP/dkms.log" | sed 's/^/# /'
	find "$TMP/dkms" -name make.log -exec tail -n 20 {} + | sed 's/^/# /'
fi

# The kernel's own resolve_btfids, run again on the module, changes
# nothing: btfids wrote the same ids and counts, sorted the same way.
ids() {
	objcopy -O binary --only-section=.BTF_ids "$1" "$TMP/ids" &&
		od -An -tu4 -v "$TMP/ids" | tr -s ' \n' ' '
}
mine=$(ids "$ko" 2>&1 || true)
cp "$ko" "$TMP/ref.ko" 2>/dev/null || true
"$KERNEL/bin/resolve_btfids" -b "$KERNEL/vmlinux.btf" "$TMP/ref.ko" \
	>/dev/null 2>&1 || true
if [ "$mine" != "$(ids "$TMP/ref.ko" 2>&1 || true)" ] ||
	! grep -qE '^ [1-9][0-9]* 0 [1-9]' <<<"$mine"; then
	not_ok "the module's kfunc ids are those resolve_btfids writes"
	echo "# btfids: $mine"
else
	ok "the module's kfunc ids are those resolve_btfids writes"
fi

# Kernels without BTF: a build dir whose config lacks module BTF, and an
# image with no BTF in it.
mkdir -p "$TMP/nobtf/include/config" "$TMP/noboot"
cp "$headers/Makefile" "$TMP/nobtf/" 2>/dev/null || true
echo "CONFIG_DEBUG_INFO_BTF=n" >"$TMP/nobtf/include/config/auto.conf"
head -c 65536 /dev/urandom >"$TMP/noboot/vmlinuz-$kver"
(cd "$TMP/root/$src" && bash scripts/dkms-build.sh "$kver" "$TMP/nobtf") \
	>"$TMP/nobtf.log" 2>&1 && rc=0 || rc=$?
if [ "$rc" -ne 0 ] && grep -q "has no module BTF" "$TMP/nobtf.log" &&
	(cd "$TMP/root/$src" && ! IOTGUARD_BOOT_DIR=$TMP/noboot \
		bash scripts/dkms-build.sh "$kver" "$headers") \
		>"$TMP/noboot.log" 2>&1 &&
	grep -q "has no BTF" "$TMP/noboot.log"; then
	ok "a kernel without BTF fails the build, saying so"
else
	not_ok "a kernel without BTF fails the build, saying so"
	cat "$TMP/nobtf.log" "$TMP/noboot.log" | sed 's/^/# /'
fi
tap_end
