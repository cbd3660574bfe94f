#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install / uninstall / install-dkms / uninstall-dkms and the city's
# install-sync / install-city (and their uninstalls) under a DESTDIR:
# exactly the expected files with their modes, the unit naming the
# installed daemon, the operator's changed config kept, and nothing left
# after an uninstall. Host only, needs the tools built (make user sync).
# Emits TAP.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"
# shellcheck source=../lib/tree.sh
. "$REPO/tests/lib/tree.sh"
mkdir -p "$REPO/build"
TMP=$(mktemp -d "$REPO/build/install-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$REPO" || exit 1

mk() {
	make -s --no-print-directory "$@" >>"$TMP/make.log" 2>&1
}

# listing DIR: "MODE PATH" of every file and link under DIR, sorted.
listing() {
	(cd "$1" && find . ! -type d -printf '%m %P\n' | LC_ALL=C sort)
}

# expected PREFIX UNITDIR: the file list make install must produce.
expected() {
	local unit

	{
		echo "644 etc/iotguard/iotguard.conf"
		echo "644 etc/iotguard/iotguardd.conf"
		echo "644 ${2#/}/iotguard.service"
		echo "644 ${2#/}/iotguardd.service"
		echo "755 ${1#/}/libexec/iotguard/btfids"
		echo "755 ${1#/}/libexec/iotguard/iotguard-boot"
		echo "755 ${1#/}/sbin/iotguard"
		echo "755 ${1#/}/sbin/iotguardd"
		echo "644 ${1#/}/share/man/man8/iotguard-boot.8"
		echo "644 ${1#/}/share/man/man8/iotguard.8"
		echo "644 ${1#/}/share/man/man8/iotguardd.8"
	} | LC_ALL=C sort
}

version=$(make -s --no-print-directory version)
CONF=/etc/iotguard/iotguardd.conf

tap_plan 17

# The packages' layout.
D=$TMP/usr
check "make install PREFIX=/usr" mk install DESTDIR="$D" PREFIX=/usr
same "PREFIX=/usr: exactly the tools, helper, man pages, units, config" \
	"$(expected /usr /lib/systemd/system)" "$(listing "$D")"
same "the unit starts /usr/sbin/iotguardd with the installed config" \
	"ExecStart=/usr/sbin/iotguardd --config $CONF" \
	"$(grep '^ExecStart=' "$D/lib/systemd/system/iotguardd.service")"
# The daemon's default is where the config goes.
check "iotguardd's default config is the installed one" \
	grep -q "default /etc/iotguard/iotguardd.conf" \
	<("$D/usr/sbin/iotguardd" --help)

echo "threshold = 9" >>"$D/etc/iotguard/iotguardd.conf"
mk install DESTDIR="$D" PREFIX=/usr
check "a second install keeps the operator's changed config" \
	grep -qx "threshold = 9" "$D/etc/iotguard/iotguardd.conf"
mk uninstall DESTDIR="$D" PREFIX=/usr
same "uninstall keeps only the changed config" \
	"644 etc/iotguard/iotguardd.conf" "$(listing "$D")"
rm "$D/etc/iotguard/iotguardd.conf"
mk install DESTDIR="$D" PREFIX=/usr
same "iotguard.service runs the installed iotguard-boot" \
	"ExecStart=/usr/libexec/iotguard/iotguard-boot start" \
	"$(grep '^ExecStart=' "$D/lib/systemd/system/iotguard.service")"
mk uninstall DESTDIR="$D" PREFIX=/usr
mk install DESTDIR="$D" PREFIX=/usr
check "make uninstall PREFIX=/usr" mk uninstall DESTDIR="$D" PREFIX=/usr
same "uninstall leaves no file" "" "$(listing "$D")"

# The default PREFIX, /usr/local, with the unit following it.
L=$TMP/local
mk install DESTDIR="$L"
same "default PREFIX: the same files under /usr/local" \
	"$(expected /usr/local /usr/local/lib/systemd/system)" \
	"$(listing "$L")"
same "the unit starts /usr/local/sbin/iotguardd" \
	"ExecStart=/usr/local/sbin/iotguardd --config $CONF" \
	"$(grep '^ExecStart=' \
		"$L/usr/local/lib/systemd/system/iotguardd.service")"
mk uninstall DESTDIR="$L"
same "uninstall with the default PREFIX leaves no file" "" "$(listing "$L")"

# The city's: a router's agent, the operations centre's tools.
C=$TMP/city
check "make install-sync install-city PREFIX=/usr" \
	mk install-sync install-city DESTDIR="$C" PREFIX=/usr
same "the agent, the operators' tool, the gate: units, man pages, settings" \
	"$(printf '%s\n' "644 etc/iotguard/iotguard-gate.conf" \
		"644 etc/iotguard/iotguard-sync.conf" \
		"644 lib/systemd/system/iotguard-gate.service" \
		"644 lib/systemd/system/iotguard-sync.service" \
		"644 usr/share/man/man8/iotguard-city.8" \
		"644 usr/share/man/man8/iotguard-gate.8" \
		"644 usr/share/man/man8/iotguard-sync.8" \
		"755 usr/sbin/iotguard-city" "755 usr/sbin/iotguard-gate" \
		"755 usr/sbin/iotguard-sync")" "$(listing "$C")"
check "iotguard-sync.service starts the installed agent" \
	grep -q '^ExecStart=/usr/sbin/iotguard-sync run ' \
	"$C/lib/systemd/system/iotguard-sync.service"
mk uninstall-sync uninstall-city DESTDIR="$C" PREFIX=/usr
same "uninstall-sync uninstall-city leave no file" "" "$(listing "$C")"

# The module's source for DKMS.
S=$TMP/src
mk install-dkms DESTDIR="$S"
want=$(dkms_sources "$REPO" | sed "s|^|644 usr/src/iotguard-$version/|" |
	LC_ALL=C sort)
got=$(listing "$S")
mk uninstall-dkms DESTDIR="$S"
if [ "$want" = "$got" ] &&
	grep -qx "PACKAGE_VERSION=\"$version\"" \
		<(mk install-dkms DESTDIR="$S" &&
		  cat "$S/usr/src/iotguard-$version/dkms.conf") &&
	mk uninstall-dkms DESTDIR="$S" && [ -z "$(listing "$S")" ]; then
	ok "install-dkms: the module's source, dkms.conf $version; uninstall"
else
	not_ok "install-dkms: the module's source, dkms.conf $version; uninstall"
	diff <(echo "$want") <(echo "$got") | sed 's/^/# /' || true
fi
sed 's/^/# make: /' "$TMP/make.log"
tap_end
