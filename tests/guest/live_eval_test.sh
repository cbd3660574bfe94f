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
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
city=$tmp/city
out=$tmp/live

# decided NAME DETECTOR: NAME was quarantined live by DETECTOR, or (no
# DETECTOR) by anything.
decided() {
	python3 - "$out/alerts.jsonl" "$1" "${2:-}" <<-'PY'
	import json, sys
	path, name, det = sys.argv[1:]
	for line in open(path):
	    a = json.loads(line)
	    if a["name"] == name and a["event"] in ("act", "escalate") and \
	       a["action"] in ("quarantine", "deny") and \
	       (not det or det in a["detectors"]):
	        sys.exit(0)
	sys.exit(1)
	PY
}

never_decided() {
	! decided "$1"
}

tap_plan 8

mkdir -p "$city"
python3 "$repo/tests/lib/pcapgen.py" city "$city/city.pcap" >/dev/null
frames=$(python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import city_eval
print(sum(1 for _ in city_eval.pcap_frames(sys.argv[2])))
' "$repo/eval" "$city/city.pcap")

check "eval/live.sh sends the city through XDP to the live daemon" \
	bash "$repo/eval/live.sh" "$city" "$out" "$repo/etc/iotguardd.conf"
sent=$(sed -n 's/^[[:space:]]*Successful packets:[[:space:]]*\([0-9]*\)/\1/p' \
	"$out/tcpreplay.log" 2>/dev/null || true)
same "tcpreplay sent every frame of the capture" "$frames" "${sent:-none}"

if python3 "$repo/eval/city_eval.py" "$city" --iotguardd \
	"$repo/build/iotguardd" -c "$repo/etc/iotguardd.conf" --live "$out" \
	--format json >"$tmp/eval.json" 2>"$tmp/eval.err"; then
	ok "city_eval.py judges the live run beside the replay"
else
	not_ok "city_eval.py judges the live run beside the replay"
	sed 's/^/# /' "$tmp/eval.err"
fi
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
	decided cam-1 scan
check "the meter, whose attack is its usual traffic, is not quarantined" \
	never_decided meter-1
check "the benign lamp is not quarantined" \
	never_decided lamp-1
tap_end
