#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The long-running units hold only the capabilities they need and
# systemd's sandbox: `systemd-analyze security' (offline, on the file)
# must rate each one's exposure 2.5 or better, and the figures are
# printed. etc/iotguardd.service (the daemon), etc/iotguard-sync.service
# (a router's agent of the city) and etc/iotguard-gate.service (the
# operators' gate). Host only; systemd-analyze is Debian's systemd
# package. Emits TAP.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# key UNIT NAME: the value of NAME= in etc/UNIT (the last one).
key() {
	sed -n "s/^$2=//p" "$REPO/etc/$1" | tail -1
}

# exposure UNIT: systemd-analyze's rating of etc/UNIT, 2.5 or better.
exposure() {
	local rc=0 level

	systemd-analyze security --offline=true --no-pager "$REPO/etc/$1" \
		>"$TMP/out" 2>&1 || rc=$?
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' \
		"$TMP/out")
	echo "# systemd-analyze security $1: exposure ${level:-none} (status $rc)"
	if [ -n "$level" ] &&
	   python3 -c "import sys; sys.exit(not float(sys.argv[1]) <= 2.5)" \
		"$level"; then
		ok "$1: exposure $level, 2.5 or better"
	else
		not_ok "$1: exposure ${level:-unknown}, wanted 2.5 or better"
		sed 's/^/# /' "$TMP/out" | grep '✗' | head -30
	fi
}

tap_plan 10
exposure iotguardd.service
expect "iotguardd: CAP_NET_ADMIN, CAP_BPF, CAP_SYS_ADMIN only" \
	"'$(key iotguardd.service CapabilityBoundingSet)' == \
	 'CAP_NET_ADMIN CAP_BPF CAP_SYS_ADMIN'"
expect "iotguardd writes only its state directory" \
	"'$(key iotguardd.service ProtectSystem)' == 'strict' and \
	 '$(key iotguardd.service ReadWritePaths)' == '/var/lib/iotguard'"
expect "iotguardd's system calls: the service set and bpf(2)" \
	"'$(key iotguardd.service SystemCallFilter)' == '@system-service bpf'"
expect "iotguardd is watched by systemd (Type=notify, WatchdogSec)" \
	"'$(key iotguardd.service Type)' == 'notify' and \
	 '$(key iotguardd.service WatchdogSec)' != ''"

# The agent: a user of its own, CAP_NET_ADMIN for the iotguard family, a
# copy of the router's key handed over by systemd.
exposure iotguard-sync.service
expect "iotguard-sync: a dynamic user with CAP_NET_ADMIN alone" \
	"'$(key iotguard-sync.service DynamicUser)' == 'yes' and \
	 '$(key iotguard-sync.service CapabilityBoundingSet)' == 'CAP_NET_ADMIN' \
	 and '$(key iotguard-sync.service AmbientCapabilities)' == 'CAP_NET_ADMIN'"
creds=$(sed -n 's/^LoadCredential=//p' "$REPO/etc/iotguard-sync.service" |
	paste -sd' ')
expect "iotguard-sync reads its certificates and key as systemd's credentials" \
	"'$creds' == 'ca.pem:/etc/iotguard/city/ca.pem \
router.pem:/etc/iotguard/city/router.pem \
router.key:/etc/iotguard/city/router.key' and \
	 '--ca %d/ca.pem --cert %d/router.pem --key %d/router.key' in \
	 '''$(sed -n '/^ExecStart=/,/[^\\]$/p' \
		"$REPO/etc/iotguard-sync.service")'''"

# The gate: root's files (the operators file, the key), no capability.
exposure iotguard-gate.service
expect "iotguard-gate: no capability, writes only its state directory" \
	"'$(key iotguard-gate.service CapabilityBoundingSet)' == '' and \
	 '$(key iotguard-gate.service ProtectSystem)' == 'strict' and \
	 '$(key iotguard-gate.service ReadWritePaths)' == '/var/lib/iotguard-gate'"
tap_end
