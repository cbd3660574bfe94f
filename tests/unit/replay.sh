#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iotguardd --replay on deterministic captures (tests/lib/pcapgen.py): a
# flood, a scan and a silence are reported for the right device at the
# right time, steady devices are not, broken captures and frames give
# clear errors or counts, and the options behave. Host only: a replay
# needs no module. Emits TAP.
#
# Usage: tests/unit/replay.sh [PATH-TO-IOTGUARDD]

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BIN=${1:-$REPO/build/iotguardd}
GEN=$REPO/tests/lib/pcapgen.py
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"

# Every result below, loops included, counted by hand.
tap_plan 86
if [ ! -x "$BIN" ]; then
	not_ok "$BIN is not built (make user)"
	exit 1
fi

# The tests' configuration: learn in 20 s; act after 2 intervals.
cat >"$TMP/t.conf" <<EOF
interval = 1
learn = 20
act_after = 2
listen = none
state_dir = $TMP/state
[class light]
policy = quarantine
EOF
INTERVAL=1
ACT_AFTER=2

cat >"$TMP/devices" <<'EOF'
# the surge scenario's devices
198.18.1.10  lamp-1   light
198.18.1.11  meter-1  meter   # a comment
EOF

# gen SCENARIO NAME [--link L]: writes $TMP/NAME.pcap and $TMP/NAME.json.
gen() {
	python3 "$GEN" "$1" "$TMP/$2.pcap" "${@:3}" >"$TMP/$2.json"
}

# replay ARGS...: runs the replay, output in $TMP/out, $TMP/err, $TMP/rc.
replay() {
	local rc=0

	"$BIN" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	echo "$rc" >"$TMP/rc"
}

rc() { cat "$TMP/rc"; }

# info NAME KEY: a value the generator printed.
info() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$TMP/$1.json" "$2"
}

# alerts: "OFFSET ADDRESS EVENT ACTION DETECTORS" per alert of a -j run.
alerts() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] == "alert":
        print("%.3f %s %s %s %s" % (o["offset"], o["address"], o["event"],
              o["action"], ",".join(o["detectors"])))' "$TMP/out"
}

# alert_lines FILE: the -j run's alert lines, as they are (none: empty).
alert_lines() {
	grep '"type":"alert"' "$TMP/out" >"$1" || true
}

# same_alerts A B: the same alert lines, and some.
same_alerts() {
	[ -s "$1" ] && cmp -s "$1" "$2"
}

# field TYPE KEY [ADDRESS]: a field of the -j run's capture or device line.
field() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] == sys.argv[2] and (len(sys.argv) < 5 or
                                     o.get("address") == sys.argv[4]):
        print(o[sys.argv[3]])' "$TMP/out" "$@"
}

# score_sum FIELD ADDRESS: FIELD of the device's scores, summed.
score_sum() {
	python3 -c '
import json, sys
print(sum(o[sys.argv[2]] for o in map(json.loads, open(sys.argv[1]))
          if o["type"] == "score" and o["address"] == sys.argv[3]))' \
		"$TMP/out" "$1" "$2"
}

# near VALUE WANT TOLERANCE: |VALUE - WANT| <= TOLERANCE
near() {
	python3 -c 'import sys; v, w, t = map(float, sys.argv[1:]); sys.exit(abs(v - w) > t)' \
		"$1" "$2" "$3"
}

expect_rc() {
	if [ "$(rc)" = "$1" ]; then
		ok "$2"
	else
		not_ok "$2 (exit $(rc), wanted $1: $(head -c 300 "$TMP/err"))"
	fi
}

grep_in() {
	if grep -qE -- "$2" "$TMP/$1"; then
		ok "$3"
	else
		not_ok "$3 (no /$2/ in: $(head -c 300 "$TMP/$1"))"
	fi
}

# ------------------------------------------------------------- options
replay --help
expect_rc 0 "--help: exit 0"
grep_in out "--replay FILE" "--help documents --replay"
replay --devices "$TMP/devices"
expect_rc 1 "--devices without --replay: usage error, exit 1"
grep_in err "go with --replay" "... and it says why"
replay --replay "$TMP/none.pcap" -c "$TMP/t.conf" --max-devices 0
expect_rc 1 "--max-devices 0: exit 1"
replay --replay "$TMP/none.pcap" -c "$TMP/none.conf"
expect_rc 1 "a missing -c file: exit 1"

# --------------------------------------------------------------- surge
gen surge surge
flood=$(info surge flood_start)
lamp=198.18.1.10
meter=198.18.1.11
replay -c "$TMP/t.conf" --replay "$TMP/surge.pcap" --devices "$TMP/devices" -j
expect_rc 0 "surge: exit 0"
check "surge: every line is JSON" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)' "$TMP/out"
alerts >"$TMP/alerts"
# The first frame is at 0.05 s: offsets count from it.
first=0.05
want=$(python3 -c "print($flood - $first + $ACT_AFTER * $INTERVAL)")
read -r off addr event action dets < <(grep " $lamp " "$TMP/alerts" |
	head -1) || true
if [ "${addr:-}" = "$lamp" ] && [ "$event" = act ] &&
   [ "$action" = quarantine ] && [[ ,$dets, == *,surge,* ]]; then
	ok "surge: the lamp's flood is a surge, quarantine ($dets)"
else
	not_ok "surge: the lamp's flood is a surge (got: $(head -3 "$TMP/alerts"))"
fi
if [ -n "${off:-}" ] && near "$off" "$want" "$INTERVAL"; then
	ok "surge: at +$off s, the flood's start + act_after intervals ($want) ± 1 interval"
else
	not_ok "surge: at +${off:-none} s, wanted $want ± $INTERVAL"
fi
check "surge: nothing for the steady meter" \
	test -z "$(grep " $meter " "$TMP/alerts")"
check "surge: no alert before the flood" test -z "$(awk -v f="$flood" \
	'$1 < f - 0.05' "$TMP/alerts")"
when=$(python3 -c '
import datetime, sys
t = float(sys.argv[1]) + float(sys.argv[2]) + float(sys.argv[3])
print(datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
      .strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z")' \
	"$(info surge base)" "$first" "${off:-0}")
check "surge: the alert's time is the capture's ($when)" \
	grep -q "\"type\":\"alert\",\"time\":\"$when\",\"name\":\"lamp-1\"" \
	"$TMP/out"
check "surge: the lamp's name and class are the devices file's" \
	grep -q '"name":"lamp-1","address":"198.18.1.10","class":"light"' \
	"$TMP/out"
expect "surge: summary counts the lamp's 4600 packets" \
	"'$(field device packets $lamp)' == '4600'"
expect "surge: summary counts the meter's 700 packets, 0 alerts" \
	"'$(field device packets $meter) $(field device alerts $meter)' == '700 0'"
expect "surge: 69 whole intervals of 70 s are scored" \
	"'$(field capture intervals)' == '69'"
expect "surge: all $(info surge frames) frames are the devices'" \
	"'$(field capture frames) $(field capture device_frames)' == '$(info surge frames) $(info surge frames)'"
check "surge: a replay writes nothing to state_dir" test ! -e "$TMP/state"
alert_lines "$TMP/alerts.eth.json"

replay -c "$TMP/t.conf" --replay "$TMP/surge.pcap" --devices "$TMP/devices"
expect_rc 0 "surge, text: exit 0"
grep_in out "^2025-11-25T10:01:0[0-9]\.[0-9]{3}Z \+6[0-9]\.[0-9]{3} anomaly lamp-1 \(198\.18\.1\.10\): state none -> quarantine: surge: .*\[surge\]$" \
	"surge, text: time, offset, device, action, explanation, detectors"
grep_in out "^lamp-1 +198\.18\.1\.10 +light +4600 +69 +[0-9.]+ +\+[0-9.]+ +1$" \
	"surge, text: the lamp's summary row"
grep_in out "^meter-1 +198\.18\.1\.11 +meter +700 +69 +[0-9.]+ +\+[0-9.]+ +0$" \
	"surge, text: the meter's summary row"

replay -c "$TMP/t.conf" --replay - --devices "$TMP/devices" -j \
	<"$TMP/surge.pcap"
alert_lines "$TMP/alerts.json"
# Not empty: two empty lists of alerts would compare equal.
check "surge from standard input: the same alerts" \
	same_alerts "$TMP/alerts.json" "$TMP/alerts.eth.json"

for link in sll sll2 raw; do
	gen surge "surge-$link" --link "$link"
	replay -c "$TMP/t.conf" --replay "$TMP/surge-$link.pcap" \
		--devices "$TMP/devices" -j
	alert_lines "$TMP/alerts.json"
	# The whole alerts, bytes seen included: cooked and raw frames
	# count as the Ethernet frames the XDP program would see.
	if [ "$(rc)" = 0 ] &&
	   same_alerts "$TMP/alerts.json" "$TMP/alerts.eth.json"; then
		ok "surge, $link link: the same alerts as on Ethernet"
	else
		not_ok "surge, $link link: exit $(rc), alerts: $(head -c 300 "$TMP/alerts.json")"
	fi
done

# Every source a device of class 0, without a devices file.
replay -c "$TMP/t.conf" --replay "$TMP/surge.pcap" -j
alerts >"$TMP/alerts"
expect "surge, no devices file: both sources are devices of class generic" \
	"'$(field device class | sort -u | tr '\n' ' ')' == 'generic '"
check "surge, no devices file: the lamp's surge still" \
	grep -q " $lamp act quarantine .*surge" "$TMP/alerts"

replay -c "$TMP/t.conf" --replay "$TMP/surge.pcap" -j --max-devices 1
expect "--max-devices 1: the meter's 700 frames are over the limit" \
	"'$(field capture over_limit)' == '700'"

echo "$lamp lamp-1 light" >"$TMP/lamp-only"
replay -c "$TMP/t.conf" --replay "$TMP/surge.pcap" --devices "$TMP/lamp-only" -j
expect "a devices file without the meter: its 700 frames are unlisted" \
	"'$(field capture unlisted)' == '700' and '$(field device address)' == '$lamp'"

# mac=: the meter bound to another MAC than its frames' (pcapgen's one
# MAC): the program drops them as spoofed, and so does the replay.
{
	echo "$lamp lamp-1 light mac=02:00:00:00:00:0a"
	echo "$meter mac=02:00:00:00:00:99 meter-1"
} >"$TMP/macs"
for link in eth sll sll2 raw; do
	[ "$link" = eth ] || gen surge "surge-$link" --link "$link"
	pcap=$TMP/surge.pcap
	[ "$link" = eth ] || pcap=$TMP/surge-$link.pcap
	replay -c "$TMP/t.conf" --replay "$pcap" --devices "$TMP/macs" -j
	spoofed=700 counted=0
	# Raw IP carries no MAC: matched by address alone.
	[ "$link" != raw ] || spoofed=0 counted=700
	expect "mac=, $link link: $spoofed of the meter's frames spoofed" \
		"'$(field capture spoofed)' == '$spoofed' and \
		 '$(field device packets "$meter")' == '$counted' and \
		 '$(field device packets "$lamp")' == '4600'"
done

# -c is honoured: a threshold nothing reaches.
sed 's/^\[class light\]$/threshold = 1000\n&/' "$TMP/t.conf" >"$TMP/high.conf"
replay -c "$TMP/high.conf" --replay "$TMP/surge.pcap" --devices "$TMP/devices" -j
alerts >"$TMP/alerts"
check "-c: with threshold = 1000 the flood raises no alert" \
	test "$(rc)" = 0 -a ! -s "$TMP/alerts"

replay -c "$TMP/t.conf" --replay "$TMP/surge.pcap" --devices "$TMP/devices" \
	-j --scores
expect "--scores: one score per device and interval (2 x 69)" \
	"'$(grep -c '"type":"score"' "$TMP/out")' == '138'"

gen ipv6 ipv6
replay -c "$TMP/t.conf" --replay "$TMP/ipv6.pcap" -j
alerts >"$TMP/alerts"
check "ipv6: the lamp's flood is a surge" \
	grep -q " 2001:2:0:1::10 act quarantine .*surge" "$TMP/alerts"
check "ipv6: nothing for the meter" \
	test -z "$(grep " 2001:2:0:1::11 " "$TMP/alerts")"

# ---------------------------------------------------------------- scan
gen scan scan
replay -c "$TMP/t.conf" --replay "$TMP/scan.pcap" -j
alerts >"$TMP/alerts"
read -r off addr event action dets < <(head -1 "$TMP/alerts") || true
if [ "${addr:-}" = 198.18.1.20 ] && [[ ,$dets, == *,scan,* ]] &&
   [[ ,$dets, != *,surge,* ]]; then
	ok "scan: the camera's scan at the same rate: $dets, no surge"
else
	not_ok "scan: wanted scan without surge (got: $(head -3 "$TMP/alerts"))"
fi
want=$(python3 -c "print($(info scan scan_start) - 0.025 + $ACT_AFTER * $INTERVAL)")
if [ -n "${off:-}" ] && near "$off" "$want" "$INTERVAL"; then
	ok "scan: at +$off s, wanted $want ± 1 interval"
else
	not_ok "scan: at +${off:-none} s, wanted $want ± $INTERVAL"
fi

# ------------------------------------------------------------ slowscan
# 3 new ports a second, each second like the last: the window (64
# epochs) sees ~190 ports; a server's replies to ephemeral ports are none.
gen slowscan slowscan
replay -c "$TMP/t.conf" --replay "$TMP/slowscan.pcap" -j
alerts >"$TMP/alerts"
read -r off addr event action dets < <(head -1 "$TMP/alerts") || true
start=$(info slowscan scan_start)
if [ "${addr:-}" = 198.18.1.20 ] && [ "${dets:-}" = scan ] &&
   [ "${action:-}" = quarantine ] &&
   python3 -c "import sys; sys.exit(not $start < ${off:-0} <= $start + 2 * 68.8)"; then
	ok "slowscan: the camera quarantined at +$off s, within 2 windows of $start s"
else
	not_ok "slowscan: wanted the camera's scan within 2 windows of $start s (got: $(head -3 "$TMP/alerts"))"
fi
check "slowscan: by its window's ports" grep -q \
	'"explanation":"scan: ports [0-9]* in a window of 64 epochs, over the class' \
	"$TMP/out"
check "slowscan: nothing for the web server's replies" \
	test -z "$(grep " 198.18.1.10 " "$TMP/alerts")"

# --------------------------------------------------------- fingerprint
# nmap -O's probes: 3 segments with flags no stack sends among 8 SYNs (under
# the class's limit of 10) are a scan at once; a connection's own segments
# (ACK, PSH+ACK, FIN+ACK, RST) are none.
gen fingerprint fingerprint
replay -c "$TMP/t.conf" --replay "$TMP/fingerprint.pcap" -j --scores
alerts >"$TMP/alerts"
read -r off addr event action dets < <(head -1 "$TMP/alerts") || true
want=$(python3 -c "print($(info fingerprint probe_start) + $INTERVAL)")
if [ "${addr:-}" = 198.18.1.20 ] && [[ ,${dets:-}, == *,scan,* ]] &&
   [ "${action:-}" = quarantine ] && near "$off" "$want" "$INTERVAL"; then
	ok "fingerprint: the camera's probes a scan, quarantined at +$off s"
else
	not_ok "fingerprint: wanted the camera's scan at +$want s (got: $(head -3 "$TMP/alerts"))"
fi
check "fingerprint: explained by the segments' flags" grep -q \
	'"explanation":"scan: 3 TCP segments with flags no stack sends' \
	"$TMP/out"
expect "fingerprint: the camera's $(info fingerprint odd) odd segments counted, the lamp's none" \
	"'$(score_sum tcp_odd 198.18.1.20)' == '$(info fingerprint odd)' and \
	 '$(score_sum tcp_odd 198.18.1.10)' == '0'"
check "fingerprint: nothing for the lamp's connection" \
	test -z "$(grep " 198.18.1.10 " "$TMP/alerts")"

# ----------------------------------------------------------------- arp
# ARP requests in a device's name are its arp feature, as the program
# counts them: a sweep is a scan; a setup's announcements and requests,
# replies, a probe from 0.0.0.0 and requests forged in its name are not.
# ARP from a device's MAC in another's name (the router's, the lamp's) is
# poisoning: its spoof detector; a link-local announcement is not.
gen arp arp
lamp=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["devices"]["lamp"])' "$TMP/arp.json")
plug=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["devices"]["plug"])' "$TMP/arp.json")
meter=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["devices"]["meter"])' "$TMP/arp.json")
{
	echo "$lamp lamp-1 light mac=02:00:00:00:01:10"
	echo "$plug plug-1 mac=02:00:00:00:01:40"
	echo "$meter meter-1 mac=02:00:00:00:01:30"
} >"$TMP/arp-devices"
replay -c "$TMP/t.conf" --replay "$TMP/arp.pcap" --devices "$TMP/arp-devices" \
	-j --scores
alerts >"$TMP/alerts"
read -r off addr event action dets < <(head -1 "$TMP/alerts") || true
want=$(python3 -c "print($(info arp sweep_start) + $INTERVAL)")
if [ "${addr:-}" = "$plug" ] && [ "${dets:-}" = scan ] &&
   [ "${action:-}" = quarantine ] && near "$off" "$want" "$INTERVAL"; then
	ok "arp: the plug's sweep is a scan, quarantined at +$off s"
else
	not_ok "arp: wanted the plug's scan at +$want s (got: $(head -3 "$TMP/alerts"))"
fi
check "arp: nothing for the lamp's setup, replies or forgeries" \
	test -z "$(grep " $lamp " "$TMP/alerts")"
expect "arp: the lamp's 3 requests counted, not its replies or probe" \
	"'$(score_sum arp "$lamp")' == '$(info arp lamp_requests)'"
expect "arp: the plug's $(info arp sweep_requests) requests counted" \
	"'$(score_sum arp "$plug")' == '$(info arp sweep_requests)'"
expect "arp: the $(info arp forged) forged requests and the meter's reply spoofed, the probe other" \
	"$(field capture spoofed) == $(info arp forged) + 1 and \
	 '$(field capture other)' == '1'"
read -r off addr event action dets < <(grep " $meter " "$TMP/alerts") || true
want=$(python3 -c "print($(info arp poison_start) + $INTERVAL)")
if [ "${dets:-}" = spoof ] && [ "${action:-}" = quarantine ] &&
   near "$off" "$want" "$INTERVAL"; then
	ok "arp: the meter's poisoning is a spoof, quarantined at +$off s"
else
	not_ok "arp: wanted the meter's spoof at +$want s (got: $(grep " $meter " "$TMP/alerts"))"
fi
expect "arp: the meter's $(info arp poisoned) replies in another's name counted" \
	"'$(score_sum neigh_foreign "$meter")' == '$(info arp poisoned)'"
expect "arp: none for the plug's link-local announcement or the lamp" \
	"'$(score_sum neigh_foreign "$plug")' == '0' and '$(score_sum neigh_foreign "$lamp")' == '0'"

# ------------------------------------------------------------- silence
gen silence silence
replay -c "$TMP/t.conf" --replay "$TMP/silence.pcap" -j
alerts >"$TMP/alerts"
read -r off addr event action dets < <(head -1 "$TMP/alerts") || true
if [ "${addr:-}" = 198.18.1.30 ] && [ "$dets" = silence ] &&
   [ "$action" = alert ]; then
	ok "silence: the sensor that stopped reporting: silence, alert only"
else
	not_ok "silence: wanted a silence alert (got: $(head -3 "$TMP/alerts"))"
fi
# Reports every 5 intervals: tolerated for 10, anomalous from 11 quiet.
last=$(python3 -c "print(round($(info silence last_report) - 0.1, 3))")
if [ -n "${off:-}" ] && python3 -c "import sys; sys.exit(not ($last + 10 < $off <= $last + 12 + $ACT_AFTER))"; then
	ok "silence: at +$off s, 10-14 intervals after the last report (+$last)"
else
	not_ok "silence: at +${off:-none} s, last report at +$last"
fi
check "silence: nothing for the meter that went on" \
	test -z "$(grep " 198.18.1.31 " "$TMP/alerts")"

# --------------------------------------------------------- bad captures
gen garbage garbage
replay -c "$TMP/t.conf" --replay "$TMP/garbage.pcap" -j
expect_rc 0 "garbage frames: exit 0"
expect "garbage: $(info garbage garbage) bad frames counted (malformed, not IP, cut)" \
	"$(field capture malformed) + $(field capture other) + $(field capture truncated) == $(info garbage garbage) and $(field capture malformed) > 0 and $(field capture truncated) == 30"
expect "garbage: the devices' 600 frames and the lamp's $(info garbage arp) ARP requests counted" \
	"'$(field capture device_frames)' == '$((600 + $(info garbage arp)))'"
alerts >"$TMP/alerts"
check "garbage: no alert for the steady devices" test ! -s "$TMP/alerts"

for link in eth sll raw; do
	gen fuzz "fuzz-$link" --link "$link"
	replay -c "$TMP/t.conf" --replay "$TMP/fuzz-$link.pcap" -j
	expect "fuzz, $link: 20000 mangled frames, exit 0, all accounted for" \
		"$(rc) == 0 and $(field capture frames) == 20000 == $(field capture device_frames) + $(field capture malformed) + $(field capture other) + $(field capture truncated) + $(field capture over_limit)"
done

size=$(stat -c %s "$TMP/surge.pcap")
head -c $((size / 2 + 7)) "$TMP/surge.pcap" >"$TMP/cut.pcap"
replay -c "$TMP/t.conf" --replay "$TMP/cut.pcap"
expect_rc 2 "a capture cut mid-frame: exit 2"
grep_in err "^Unable to read $TMP/cut.pcap: .*truncated.*after [0-9]+ frames" \
	"... saying it is truncated and after how many frames"
grep_in out "^Replay of " "... and still summing up what it read"

printf 'this is not a capture at all, just some text\n' >"$TMP/text.pcap"
replay -c "$TMP/t.conf" --replay "$TMP/text.pcap"
expect_rc 2 "not a capture: exit 2"
grep_in err "^Unable to read $TMP/text.pcap: " "... with a clear error"

replay -c "$TMP/t.conf" --replay "$TMP/none.pcap"
expect_rc 2 "a missing capture: exit 2"

head -c 24 "$TMP/surge.pcap" >"$TMP/empty.pcap"
replay -c "$TMP/t.conf" --replay "$TMP/empty.pcap" -j
expect "an empty capture: exit 0, 0 frames, 0 intervals" \
	"$(rc) == 0 and '$(field capture frames) $(field capture intervals)' == '0 0'"

python3 - "$TMP/surge.pcap" "$TMP/dlt.pcap" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[20:24] = (105).to_bytes(4, "little")  # IEEE 802.11
open(sys.argv[2], "wb").write(data)
PY
replay -c "$TMP/t.conf" --replay "$TMP/dlt.pcap"
expect_rc 2 "an 802.11 capture: exit 2"
grep_in err "link type IEEE802_11 is not Ethernet" "... naming the link type"

# -------------------------------------------------------- devices file
bad_devices() {
	printf "$1" >"$TMP/bad-devices"
	replay -c "$TMP/t.conf" --replay "$TMP/surge.pcap" \
		--devices "$TMP/bad-devices"
	if [ "$(rc)" = 1 ] && [ ! -s "$TMP/out" ] &&
	   grep -qE -- "^Unable to parse $TMP/bad-devices: $2" "$TMP/err"; then
		ok "devices file: $3"
	else
		not_ok "devices file: $3 (exit $(rc): $(head -c 200 "$TMP/err"))"
	fi
}
bad_devices '198.18.1.10 a\n198.18.1.300 b\n' "line 2: \`198.18.1.300'" \
	"a bad address: line 2, exit 1"
bad_devices '# x\n198.18.1.10 a\n\n198.18.1.10 b\n' \
	"line 4: the address of line 2 again" "a duplicate: both lines named"
bad_devices '198.18.1.10 a toaster\n' "line 1: class \`toaster'" \
	"an unknown class"
bad_devices '198.18.1.10 a light pinned extra\n' "line 1: \`extra'" \
	"too many fields"
bad_devices '198.18.1.10 a light loud\n' "line 1: \`loud': only \`pinned'" \
	"not pinned"
bad_devices '198.18.1.10 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n' \
	"line 1: name .* longer than 31 bytes" "a name too long"
bad_devices '198.18.1.10 a mac=02:00:00:00:00:zz\n' \
	"line 1: \`mac=02:00:00:00:00:zz'" "a bad MAC"
bad_devices '198.18.1.10 mac=02:00:00:00:00:01 a mac=02:00:00:00:00:02\n' \
	"line 1: \`mac=02:00:00:00:00:02': a second MAC" "two MACs"
bad_devices '# nothing\n\n' "no device in it" "an empty file"
replay -c "$TMP/t.conf" --replay "$TMP/surge.pcap" --devices "$TMP/none"
expect_rc 1 "a missing devices file: exit 1"

printf '198.18.1.10 lamp-1 light pinned\n' >"$TMP/pinned"
replay -c "$TMP/t.conf" --replay "$TMP/surge.pcap" --devices "$TMP/pinned" -j
alerts >"$TMP/alerts"
check "a pinned device: alert only" grep -q " $lamp act alert .*surge" \
	"$TMP/alerts"

tap_end
