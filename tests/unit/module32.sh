#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module builds for a 32-bit kernel (Debian's i386 686-pae headers)
# without a single warning: 64-bit-only arithmetic shows there, as a
# modpost "undefined __udivdi3" or a compiler warning. Host only: the
# build is not loaded. Emits TAP.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# A build dir of its own: make check-busy runs two suites at once.
mkdir -p "$REPO/build"
DIR=$(mktemp -d "$REPO/build/module32-test.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"

tap_plan 1
if out=$(IOTGUARD_MODULE32_DIR=$DIR bash "$REPO/scripts/build-module32.sh" \
	2>&1); then
	ok "module builds warning-free for i386 (686-pae) headers"
else
	echo "$out" | tail -n 40 | sed 's/^/# /'
	not_ok "module builds warning-free for i386 (686-pae) headers"
fi
tap_end
