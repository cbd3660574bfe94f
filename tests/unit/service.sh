#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# etc/iotguardd.service: the daemon's unit holds only the capabilities it
# needs and systemd's sandbox; `systemd-analyze security' (offline, on the
# file) must rate its exposure 2.5 or better, and the figure is printed.
# Host only; systemd-analyze is Debian's systemd package. Emits TAP.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"
UNIT=$REPO/etc/iotguardd.service
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# key NAME: the value of NAME= in the unit (the last one).
key() {
	sed -n "s/^$1=//p" "$UNIT" | tail -1
}

tap_plan 5
rc=0
systemd-analyze security --offline=true --no-pager "$UNIT" \
	>"$TMP/out" 2>&1 || rc=$?
exposure=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' \
	"$TMP/out")
echo "# systemd-analyze security: exposure ${exposure:-none} (status $rc)"
if [ -n "$exposure" ] &&
   python3 -c "import sys; sys.exit(not float(sys.argv[1]) <= 2.5)" \
	"$exposure"; then
	ok "exposure $exposure, 2.5 or better"
else
	not_ok "exposure ${exposure:-unknown}, wanted 2.5 or better"
	sed 's/^/# /' "$TMP/out" | grep '✗' | head -30
fi
expect "capabilities: CAP_NET_ADMIN, CAP_BPF, CAP_SYS_ADMIN only" \
	"'$(key CapabilityBoundingSet)' == 'CAP_NET_ADMIN CAP_BPF CAP_SYS_ADMIN'"
expect "writes only its state directory" \
	"'$(key ProtectSystem)' == 'strict' and \
	 '$(key ReadWritePaths)' == '/var/lib/iotguard'"
expect "system calls: the service set and bpf(2)" \
	"'$(key SystemCallFilter)' == '@system-service bpf'"
expect "watched by systemd (Type=notify, WatchdogSec)" \
	"'$(key Type)' == 'notify' and '$(key WatchdogSec)' != ''"
tap_end
