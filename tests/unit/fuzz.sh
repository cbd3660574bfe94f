#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The userspace parsers under libFuzzer with ASan and UBSan (tests/fuzz/):
# words and buffers (addresses, MACs, counts, rates, expiries, key files,
# enrollment codes, the device library's datagrams and welcomes, captured
# frames for every link type), the device file and the inventory CSV, and
# iotguardd's configuration. Each runs a fixed number of inputs from seeds
# of the repository's own files (IOTGUARD_FUZZ_RUNS multiplies them, for a
# longer run by hand); a crash, a leak or a sanitizer report fails, with
# the input that did it. Host only; emits TAP.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SCALE=${IOTGUARD_FUZZ_RUNS:-1}

tap_plan 4

if make -C "$REPO" -s fuzz >"$TMP/build.log" 2>&1; then
	ok "the harnesses build (clang, libFuzzer, ASan, UBSan)"
else
	sed 's/^/# /' "$TMP/build.log" | tail -20
	not_ok "the harnesses build (clang, libFuzzer, ASan, UBSan)"
fi

mkdir -p "$TMP/parse" "$TMP/devfile" "$TMP/config"
printf '198.18.1.10' >"$TMP/parse/addr"
printf '2001:2:0:1::/64' >"$TMP/parse/prefix"
printf '02:00:5e:10:20:30' >"$TMP/parse/mac"
printf '12.5k/s' >"$TMP/parse/rate"
printf '+30d' >"$TMP/parse/expires"
printf 'IGE1-0a0b0c0d-000102030405060708090a0b0c0d0e0f' >"$TMP/parse/code"
printf '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n' \
	>"$TMP/parse/key"
{ printf '\0'; cat "$REPO/etc/devices.conf.example"; } >"$TMP/devfile/conf"
printf '\001address,mac,name,class,rate,cred,key\n198.18.1.10,02:00:5e:10:20:30,lamp,light,20/s,,\n' \
	>"$TMP/devfile/csv"
cp "$REPO/etc/iotguardd.conf" "$TMP/config/shipped"

# fuzz NAME RUNS MAX_LEN: one harness; its last line says how many ran.
fuzz() {
	local name=$1 runs=$(($2 * SCALE)) bin=$REPO/build/fuzz/$1_fuzz done

	if [ ! -x "$bin" ]; then
		not_ok "$name: $runs inputs # not built"
		return
	fi
	if (cd "$TMP" && "$bin" -runs="$runs" -max_len="$3" \
		-detect_leaks=1 -print_final_stats=0 "$TMP/$name") \
		>"$TMP/$name.log" 2>&1; then
		done=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$TMP/$name.log")
		if [ "${done:-0}" -ge "$runs" ]; then
			ok "$name: $done inputs, no crash, leak or sanitizer report"
			return
		fi
	fi
	grep -E 'ERROR|SUMMARY|Test unit written|^#0|^    #[0-9]' \
		"$TMP/$name.log" | head -20 | sed 's/^/# /'
	not_ok "$name: $runs inputs, no crash, leak or sanitizer report"
}

fuzz parse 300000 1600
fuzz devfile 60000 4096
fuzz config 60000 4096

tap_end
