#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make eval's short form: eval/city_eval.py on a tiny generated city
# (tests/lib/pcapgen.py city) with the shipped configuration. A row per
# attack of truth.tsv, delays from the attack's first frame as the replay
# decided them, a MISS for the attack nothing can tell apart (its device's
# drop alert, once learnt, not counted), unknown hosts'
# frames counted by the XDP verdict, false alarms outside the attack
# windows, clear errors for a missing or inconsistent city. Host only; the
# corpus is not needed. Emits TAP.
#
# Usage: tests/unit/eval.sh [PATH-TO-IOTGUARDD]

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BIN=${1:-$REPO/build/iotguardd}
EVAL=$REPO/eval/city_eval.py
CONF=$REPO/etc/iotguardd.conf
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"

tap_plan 23
if [ ! -x "$BIN" ]; then
	not_ok "$BIN is not built (make user)"
	exit 1
fi

mkdir "$TMP/city"
python3 "$REPO/tests/lib/pcapgen.py" city "$TMP/city/city.pcap" >/dev/null

# judge DIR FORMAT: the evaluation's output in $TMP/out, status in $TMP/rc.
judge() {
	local rc=0

	python3 "$EVAL" "$1" --iotguardd "$BIN" -c "$CONF" --format "$2" \
		>"$TMP/out" 2>"$TMP/err" || rc=$?
	echo "$rc" >"$TMP/rc"
}

# field EXPR: a value of the JSON output as a Python literal; r(NAME) is
# an attack's row.
field() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
def r(name):
    return [a for a in d["attacks"] if a["attack"] == name][0]
print(repr(eval(sys.argv[2])))' "$TMP/json" "$1"
}

judge "$TMP/city" json
cp "$TMP/out" "$TMP/json"
expect "the evaluation of the tiny city succeeds" "$(cat "$TMP/rc") == 0"
expect "a row per attack of truth.tsv, in its order" \
	"$(field '[a["attack"] for a in d["attacks"]]') == \
	 ['flood', 'spoof', 'scan', 'beacon']"

# The replay's own decision on the camera, read apart from the evaluation.
awk -F'\t' 'NR > 1 && $4 != "unknown" { print $2, $1 }' \
	"$TMP/city/devices.tsv" >"$TMP/devices"
"$BIN" --replay "$TMP/city/city.pcap" --devices "$TMP/devices" -c "$CONF" \
	-j >"$TMP/replay"
decided() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] == "alert" and o["name"] == "cam-1" and \
       o["event"] in ("act", "escalate") and o["action"] in sys.argv[2:]:
        print(o["offset"])
        break' "$TMP/replay" "$@"
}
alerted=$(decided alert quarantine deny)
acted=$(decided quarantine deny)
# The scan's first frame is at 60.25 s, inside an interval: the delay is
# the decision's offset minus it, not minus the interval's start.
expect "the scan's alert delay is from its first frame (+${alerted:-none})" \
	"abs($(field 'r("scan")["alert"]') - (${alerted:-None} - 60.25)) < 1e-6"
expect "the scan's quarantine delay is from its first frame (+${acted:-none})" \
	"abs($(field 'r("scan")["quarantine"]') - (${acted:-None} - 60.25)) < 1e-6"
# The meter falls quiet during it: that drop or silence alert is no
# detection.
expect "the beacon, the meter's usual traffic, is a miss" \
	"$(field '[r("beacon")[k] for k in ("alert", "quarantine", "held")]') \
	 == [None, None, False]"
expect "the unknown flood is counted as dropped, not detected" \
	"$(field '[r("flood")["dropped"], r("flood")["alert"]]') == \
	 [{'arp': 2, 'unknown': 300}, None]"
expect "the frames in the lamp's name from another MAC are spoofed" \
	"$(field 'r("spoof")["dropped"]') == {'spoofed': 3}"
expect "... and the replay, the lamp bound to its MAC, drops them too" \
	"$(field 'd["summary"]["replay_spoofed"]') == 3"
expect "the camera's quarantine during its scan is no false alarm" \
	"'cam-1' not in $(field '[e["name"] for e in d["false_alarms"]]')"
# Enrolled device time, less the two attack windows (end + 3 s grace).
expect "device-hours are the enrolled devices' time outside attacks" \
	"abs($(field 'd["summary"]["device_hours"]') - \
	     (3 * $(field 'd["duration"]') - (65.245 + 3 - 60.25) - \
	      (99.9 + 3 - 70.1)) / 3600) < 1e-9"

# A silence alert the capture bears out (no frame of the device in its
# name for as long as it says) is no false alarm; one it contradicts is.
silence() {
	python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import city_eval
host = {"ip_times": [float(t) for t in sys.argv[2].split()]}
e = {"detectors": ["silence"], "offset": 100.0,
     "explanation": "silence: quiet for 20 intervals, usually every 2.0"}
print(city_eval.confirmed_silence(e, host, 1.0))' "$REPO/eval" "$1"
}
expect "a silence the capture confirms (frames at 10 s and 100 s)" \
	"'$(silence "10 80.5 100")' == 'True'"
expect "... and one it contradicts (a frame at 90 s)" \
	"'$(silence "10 90 100")' == 'False'"
expect "the summary counts the confirmed silences apart" \
	"$(field 'd["summary"]["confirmed_silences"]') == 0 and \
	 '; 0 silence alerts the capture confirms' in $(field 'd["summary"]["line"]')"

judge "$TMP/city" text
row='^beacon +meter-1 +hijacked +70.100 +MISS +MISS '
check "the text table says MISS for the beacon, and why" \
	grep -Eq "$row.*top score [0-9.]+ \(packets\) at \+[0-9]+, learning" \
	"$TMP/out"
# Learning, the meter is judged against no baseline of its own, so its
# drop only shows once it has learnt: then the alert is no detection.
sed 's/^learn = .*/learn = 20/' "$CONF" >"$TMP/learn20.conf"
CONF=$TMP/learn20.conf judge "$TMP/city" text
check "learnt, the meter's drop or silence alert is noted, not counted" \
	grep -Eq "$row.*(silence|drop) alert at \+[0-9]+ not counted" "$TMP/out"
judge "$TMP/city" tsv
expect "TSV: a header, a row per attack, the summary line" \
	"$(wc -l <"$TMP/out") == 6 and \
	 $(grep -c $'^scan\tcam-1\thijacked\t60.250\t' "$TMP/out") == 1"

# Without the scan in truth.tsv, its quarantine is a false one.
cp -r "$TMP/city" "$TMP/noscan"
grep -v '^scan' "$TMP/city/truth.tsv" >"$TMP/noscan/truth.tsv"
judge "$TMP/noscan" json
cp "$TMP/out" "$TMP/json"
# A raise (another detector's alert under the quarantine) is none.
expect "a decision outside every attack window is a false quarantine" \
	"$(field '[e["name"] for e in d["false_alarms"]
		  if e["event"] in ("act", "escalate") and
		     e["action"] == "quarantine"]') == ['cam-1']"
expect "... but not one of the benign devices: the lamp's whole capture" \
	"$(field '[d["summary"][k] for k in ("benign_false_quarantines",
		  "benign_device_hours")]') == [0, $(field 'd["duration"]') / 3600]"

# The scan as if it began at 63 s, after the quarantine of +62: held, not
# caught again.
cp -r "$TMP/city" "$TMP/late"
sed -i 's/^scan\t\([^\t]*\t[^\t]*\t\)60.250/scan\t\163.000/' \
	"$TMP/late/truth.tsv"
judge "$TMP/late" json
cp "$TMP/out" "$TMP/json"
expect "an attack that begins under an earlier quarantine is held, no catch" \
	"$(field '[r("scan")[k] for k in ("alert", "quarantine", "held",
		  "state_before")] + [d["summary"]["held"]]') == \
	 [None, None, True, 'quarantine', 1]"

# A truth.tsv that puts the flood a second early: its first frame says so.
cp -r "$TMP/city" "$TMP/early"
sed -i 's/^flood\t\([^\t]*\t[^\t]*\t\)30.000/flood\t\129.000/' \
	"$TMP/early/truth.tsv"
judge "$TMP/early" text
check "an attack whose first frame is not at its start is flagged" \
	grep -q 'first frame at +30.000, not at the start' "$TMP/out"

judge "$TMP/nothere" text
expect "a missing city fails with status 1" "$(cat "$TMP/rc") == 1"
check "... and says which" grep -q "Unable to read the city $TMP/nothere" \
	"$TMP/err"

# A hijacked source that devices.tsv does not enroll.
cp -r "$TMP/city" "$TMP/orphan"
sed -i '/^cam-1/d' "$TMP/orphan/devices.tsv"
judge "$TMP/orphan" text
expect "an attack from a device not enrolled fails with status 1 and why" \
	"$(cat "$TMP/rc") == 1 and \
	 $(grep -c 'scan comes from 198.18.1.20, which devices.tsv does not' \
	   "$TMP/err") == 1"

tap_end
