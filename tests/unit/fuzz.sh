#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The userspace parsers under libFuzzer with ASan and UBSan (tests/fuzz/):
# words and buffers (addresses, MACs, counts, rates, expiries, key files,
# enrollment codes, the device library's datagrams and welcomes, captured
# frames for every link type), the device file and the inventory CSV,
# iotguardd's configuration, what the netlink client reads from the kernel
# (replies, ACKs, dumps, events), and the command lines of iotguard and
# iotguardd. Each runs a fixed number of inputs from seeds of the
# repository's own files, or built by the harness (nl: replies as the
# module sends them), or written here (args: a command line of each
# subcommand); IOTGUARD_FUZZ_RUNS multiplies the counts, for a longer run
# by hand. A crash, a hang, a leak or a sanitizer report fails, with the
# input that did it. Host only; emits TAP.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SCALE=${IOTGUARD_FUZZ_RUNS:-1}

tap_plan 6

if make -C "$REPO" -s fuzz >"$TMP/build.log" 2>&1; then
	ok "the harnesses build (clang, libFuzzer, ASan, UBSan)"
else
	sed 's/^/# /' "$TMP/build.log" | tail -20
	not_ok "the harnesses build (clang, libFuzzer, ASan, UBSan)"
fi

mkdir -p "$TMP/parse" "$TMP/devfile" "$TMP/config" "$TMP/nl" "$TMP/args"
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
# args: a byte (1: iotguardd), then argv, each argument ended by a NUL.
args() {
	local name=$1 daemon=$2

	shift 2
	{ printf "\\$daemon"; printf '%s\0' "$@"; } >"$TMP/args/$name"
}
args add 0 iotguard device add 198.18.1.10 --name lamp --class light \
	--rate 100/s --burst 10 --byte-rate 12.5M/s --byte-burst 1k --pin
args add-mac 0 iotguard device add --mac 02:00:5e:10:20:30 --cred seal \
	--key key --expires +30d --epoch-seconds 3600
args set 0 iotguard device set 2001:2:0:1::/64 --state quarantine --unpin \
	--cred none
args enroll 0 iotguard device enroll 198.18.1.11 --ttl 10m --cred auth \
	--expires never --epoch-seconds 600 -j
args del 0 iotguard device del 02:00:5e:10:20:31
args revoke 0 iotguard device revoke 198.18.1.12
args show 0 iotguard -j device show 198.18.1.10
args list 0 iotguard device list --state deny --class camera --by daemon \
	--alerts alerts.jsonl -j
args release 0 iotguard device release --all-by-daemon --dry-run
args import 0 iotguard device import devices.csv --dry-run --replace -v -j
args attach 0 iotguard attach eth0 --monitor --mode generic \
	--link-frames drop --neigh-rate 100/s --neigh-burst 200
args detach 0 iotguard detach eth0
args status 0 iotguard --json status
args stats 0 iotguard stats 198.18.1.10 -j
args apply 0 iotguard apply devices.conf --dry-run
args export 0 iotguard export devices.conf
args unknown 0 iotguard unknown -j
args alerts 0 iotguard alerts -j
args monitor 0 iotguard monitor -j
args help 0 iotguard --version
args no-argv 0
args daemon 1 iotguardd -c iotguardd.conf -n -f
args replay 1 iotguardd --replay capture.pcap --devices devices \
	--max-devices 1000 -j --scores
args daemon-no-argv 1
# nl: the harness writes its seeds before it starts.
export IOTGUARD_FUZZ_SEED_DIR=$TMP/nl

# fuzz NAME RUNS MAX_LEN [FLAGS...]: one harness; its last line says how
# many ran.
fuzz() {
	local name=$1 runs=$(($2 * SCALE)) max_len=$3 done
	local bin=$REPO/build/fuzz/$1_fuzz

	shift 3
	if [ ! -x "$bin" ]; then
		not_ok "$name: $runs inputs # not built"
		return
	fi
	if (cd "$TMP" && "$bin" -runs="$runs" -max_len="$max_len" \
		-detect_leaks=1 -print_final_stats=0 -timeout=10 \
		-artifact_prefix="$TMP/" "$@" "$TMP/$name") \
		>"$TMP/$name.log" 2>&1; then
		done=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$TMP/$name.log")
		if [ "${done:-0}" -ge "$runs" ]; then
			echo "# $name: $(sed -n 's/^INFO: seed corpus: files: \([0-9]*\).*/\1/p' \
				"$TMP/$name.log") seeds, $(sed -n \
				's/^Done .* in \([0-9]*\) second.*/\1/p' \
				"$TMP/$name.log") s"
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
fuzz nl 300000 4096
# args: the CLI's and iotguardd's output goes to /dev/null.
fuzz args 100000 512 -close_fd_mask=3

tap_end
