#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make eval's live half in short: a small generated city (tests/lib/
# pcapgen.py city: a benign lamp, a camera that scans, a meter whose
# "attack" is its usual traffic, an unknown host's flood, three spoofed
# frames) sent at its own speed by eval/live.sh through the XDP program,
# the live iotguardd with the shipped configuration deciding. Judged by
# what was decided and counted, never by when: the XDP program drops
# exactly the frames the capture's model says, the scanning camera is
# quarantined for its scan, no other device is, and eval/city_eval.py
# reads the run beside the replay. Runs in the guest, as root, with
# iotguard.ko loaded. Prints TAP.

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
# shellcheck source=../lib/live.sh
. "$repo/tests/lib/live.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
city=$tmp/city
out=$tmp/live

never_quarantined() {
	! quarantined live "$1"
}

tap_plan 8

mkdir -p "$city"
python3 "$repo/tests/lib/pcapgen.py" city "$city/city.pcap" >/dev/null
live_city "$city"
# model_vs_live REASON: "MODEL == LIVE and MODEL > 0", the frames of the
# attacks the capture's model (replay rows) drops for REASON and those the
# XDP program dropped for it live, for expect.
model_vs_live() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
model = sum(r["dropped"].get(sys.argv[2], 0) for r in d["replay"]["attacks"])
print(model, "==", d["live"]["xdp"][sys.argv[2]], "and", model, "> 0")
' "$tmp/eval.json" "$1" 2>/dev/null || echo False
}

expect "XDP dropped the stranger's frames as unknown, as the model says" \
	"$(model_vs_live unknown)"
expect "XDP dropped the spoofer's frames as spoofed, as the model says" \
	"$(model_vs_live spoofed)"
check "the scanning camera is quarantined live for its scan" \
	quarantined live cam-1 scan
check "the meter, whose attack is its usual traffic, is not quarantined" \
	never_quarantined meter-1
check "the benign lamp is not quarantined" \
	never_quarantined lamp-1
tap_end
