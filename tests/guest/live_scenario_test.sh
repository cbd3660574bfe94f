#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iotguardd live, in real time, at the shipped 1 s interval and with the
# shipped configuration: a street's day (tests/lib/pcapgen.py life, 490 s)
# sent at its own speed by eval/live.sh through the XDP program.
#
#	benign    sensor-1, sensor-2  report every 5 s, DNS and NTP again
#	                              every minute
#	          meter-1             150 kB in a second every 30 s (bursts)
#	          lamp-1              reboots at 330, set up again at 370:
#	                              DNS, NTP, two servers it never used
#	          cam-1               30 frames a second; one new
#	                              destination at 440
#	attacks   learner-1           a SYN flood at 60, while it learns
#	          web-1               a connection every 2 s (SYNs are its
#	                              habit); a port scan at 320
#	          slow-1              3 new ports a second from 300 (low and
#	                              slow): seen by the window of 64 epochs
#
# Judged by what was decided, never by when: each attacker quarantined
# live by the detector its attack calls for, the slow scan by its window
# and while it scans, no benign device quarantined, and the replay of the
# same capture (iotguardd --replay) quarantining the same devices. The
# delays (the capture's clock, through sent.pcap) are printed, not judged:
# make eval holds them to the goal. Runs in the guest, as root, with
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

# live_delay ATTACK: the live quarantine's delay from the attack's first
# frame, in seconds of the capture's clock, or "none".
live_delay() {
	python3 -c '
import json, sys
for a in json.load(open(sys.argv[1]))["live"]["attacks"]:
    if a["attack"] == sys.argv[2]:
        print("none" if a["quarantine"] is None else a["quarantine"])
' "$tmp/eval.json" "$1" 2>/dev/null || echo none
}

tap_plan 13

mkdir -p "$city"
python3 "$repo/tests/lib/pcapgen.py" life "$city/city.pcap" >/dev/null
live_city "$city"

check "learner-1's SYN flood while it learns: quarantined for a scan" \
	quarantined live learner-1 scan "" learning
check "web-1, whose habit is SYNs, quarantined for its port scan" \
	quarantined live web-1 scan
check "slow-1's low-and-slow scan quarantined by its window" \
	quarantined live slow-1 scan "in a window of 64 epochs"
delay=$(live_delay slow-scan)
expect "... while it scans (within its 180 s; +${delay%%.*} s)" \
	"'$delay' != 'none' and 0 <= float('${delay/none/-1}') <= 180"
for name in sensor-1 sensor-2 meter-1 lamp-1 cam-1; do
	check "$name (benign) is not quarantined" \
		eval "! quarantined live $name"
done
# The replay decides as the live daemon does: the same devices.
# quarantined_of WHO: the devices WHO quarantined, in one line.
quarantined_of() {
	local n

	for n in learner-1 web-1 slow-1 sensor-1 sensor-2 meter-1 lamp-1 \
		cam-1; do
		if quarantined "$1" "$n"; then
			printf '%s ' "$n"
		fi
	done
}
same "the replay quarantines the devices the live daemon does" \
	"$(quarantined_of replay)" "$(quarantined_of live)"
for attack in learning-flood connect-scan slow-scan; do
	echo "# live quarantine of $attack: +$(live_delay "$attack") s"
done
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print("sender lag", d["live"]["clock"][2], "s")' \
	"$tmp/eval.json" 2>/dev/null | sed 's/^/# /' || true
tap_end
