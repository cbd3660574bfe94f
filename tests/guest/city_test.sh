#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The simulated city (tests/lib/city.sh) behind iotguard's XDP program: 20
# devices of four classes live for ~20 s while one is used to scan the
# router (nmap), one floods it with SYNs (hping3), one goes silent and one
# starts talking to a new server. The features map must show each class's
# shape and each of those changes. Runs in the guest, as root, with
# iotguard.ko loaded. Prints TAP.
set -u

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igc$$
# shellcheck source=../lib/city.sh
. "$repo/tests/lib/city.sh"

iotguard=$repo/build/iotguard
featsnap=$repo/tests/lib/featsnap.py
tmp=$(mktemp -d)

# Who plays which part (names from city_populate).
SCANNER=s3
FLOODER=s5
SILENT="m4"
MOVER=s6
ATTACKED="$SCANNER $FLOODER $SILENT $MOVER"

ig() { topo_rtr "$iotguard" "$@"; }

# The attach pins maps; leave none behind for the next test to count on.
pins=/sys/fs/bpf/iotguard
had_pins=0
[ ! -e "$pins" ] || had_pins=1

cleanup() {
	set +e
	ig detach iot0 >/dev/null 2>&1
	city_cleanup
	[ "$had_pins" = 1 ] || rm -rf "$pins"
	rm -rf "$tmp"
}
trap cleanup EXIT

# snap NAME [SECONDS]: the features of every device, as $tmp/NAME.json.
snap() {
	python3 "$featsnap" "$tmp/devices.json" "$tmp/$1.json" ${2:+"$2"}
}

# expect DESCRIPTION PYTHON-CONDITION: one TAP result from the snapshots,
# loaded as dicts of devices (a, b, ...: $tmp/a.json ...). d(s, n, k) is
# device n's feature k in snapshot s; delta(n, k) is b's minus a's.
expect() {
	local desc=$1 cond=$2 out

	out=$(cd "$tmp" && python3 - "$cond" "$ATTACKED" <<'EOF'
import glob, json, os, sys
snaps = {os.path.basename(f)[:-5]: json.load(open(f))
         for f in glob.glob("*.json") if f != "devices.json"}
g = {k: v["devices"] for k, v in snaps.items()}
g["now"] = {k: v["now_ns"] for k, v in snaps.items()}
attacked = sys.argv[2].split()
classes = {}
for dev in json.load(open("devices.json"))["devices"]:
    classes.setdefault(dev["class"], []).append(dev["name"])
g["benign"] = {c: [n for n in ns if n not in attacked]
               for c, ns in classes.items()}
g["d"] = lambda s, n, k: g[s][n][k]
g["delta"] = lambda n, k, s0="a", s1="b": g[s1][n][k] - g[s0][n][k]
try:
    ok = eval(sys.argv[1], g)
except Exception as e:
    print(f"{type(e).__name__}: {e}")
    sys.exit(1)
sys.exit(0 if ok else 1)
EOF
	) && { ok "$desc"; return; }
	not_ok "$desc${out:+ [$out]} [failed: $cond]"
}

# show EXPR: a diagnostic line (TAP comment) from the snapshots.
show() {
	(cd "$tmp" && python3 -c '
import glob, json, os, sys
g = {os.path.basename(f)[:-5]: json.load(open(f)).get("devices")
     for f in glob.glob("*.json")}
print("#", eval(sys.argv[1], g))' "$1")
}

run() {
	local t0

	if ! city_init || ! city_populate 20; then
		not_ok "build a city of 20 devices"
		return
	fi
	ok "build a city of 20 devices (8 sensors, 3 cameras, 4 meters, 5 lights)"
	check "attach iotguard natively to iot0" \
		ig attach iot0 --mode native
	check "enroll the 20 devices, MAC bound" city_enroll
	ig -j device list >"$tmp/devices.json"
	if ! city_start; then
		not_ok "start the 20 behaviours"
		return
	fi
	ok "start the 20 behaviours"

	# Warm up: every meter uploads within its first period (<= 5 s).
	sleep 7
	snap a

	# The attacks, all at once: a new server, a silence, a scan, a flood.
	t0=$(date +%s.%N)
	city_new_destination "$MOVER" "$CITY_ALT4"
	city_silence "$SILENT"
	snap scan 6 &
	local watcher=$!
	city_nmap "$SCANNER" "$CITY_SERVER4" >"$tmp/nmap.log" 2>&1
	check "nmap scanned from $SCANNER" grep -q "Nmap done" "$tmp/nmap.log"
	city_hping "$FLOODER" "$CITY_SERVER4" >"$tmp/hping.log" 2>&1
	check "hping3 flooded from $FLOODER" \
		grep -q "packets transmitted" "$tmp/hping.log"
	wait "$watcher"
	snap silent

	# The rest of the ~20 s.
	sleep "$(python3 -c "print(max(0, 13 - ($(date +%s.%N) - $t0)))")"
	snap b

	show "{n: (b[n]['packets'] - a[n]['packets'], b[n]['bytes'] - a[n]['bytes']) for n in sorted(b)}"
	show "{n: (scan[n]['max_addrs'], scan[n]['max_ports'], b[n]['tcp_syn']) for n in sorted(b)}"

	expect "all 20 devices are in the features map" \
		"len(b) == 20 and sum(map(len, benign.values())) == 16"
	expect "every benign device passed frames" \
		"all(delta(n, 'packets') > 0 for c in benign for n in benign[c])"
	expect "cameras send >20x the bytes of any sensor" \
		"min(delta(n, 'bytes') for n in benign['camera']) > 20 * max(delta(n, 'bytes') for n in benign['sensor'])"
	expect "camera frames are mostly over 1024 bytes" \
		"all(b[n]['size_hist'][5] > 0.8 * b[n]['packets'] for n in benign['camera'])"
	expect "sensor frames are all at most 256 bytes" \
		"all(sum(b[n]['size_hist'][:3]) == b[n]['packets'] for n in benign['sensor'])"
	expect "sensors report every ~2 s (3-15 frames in 13 s)" \
		"all(3 <= delta(n, 'packets') <= 15 for n in benign['sensor'])"
	expect "meters upload in bursts: a TCP SYN and >= 16 kB in full frames" \
		"all(delta(n, 'tcp_syn') >= 1 and delta(n, 'bytes') >= 16384 and b[n]['size_hist'][5] >= 10 for n in benign['meter'])"
	expect "lights at night send >2x what lights by day send" \
		"min(delta(n, 'packets') for n in benign['light'][0::2]) > 2 * max(delta(n, 'packets') for n in benign['light'][1::2])"
	expect "no TCP SYNs from sensors, cameras or lights" \
		"all(delta(n, 'tcp_syn') == 0 for c in ('sensor', 'camera', 'light') for n in benign[c])"
	expect "no ICMP from any device" \
		"all(b[n]['icmp'] == 0 for n in b)"
	expect "benign devices talk to one destination, their server" \
		"all(len(b[n]['dests']) == 1 and b[n]['dests'][0]['addr'] in ('198.18.1.1', '2001:2:0:1::1') for c in benign for n in benign[c])"
	expect "benign devices' distinct ports estimate <= 2" \
		"all(b[n]['max_ports'] <= 2.1 and b[n]['max_addrs'] <= 1.1 for c in benign for n in benign[c])"

	expect "$SCANNER's distinct ports estimate was low before nmap" \
		"a['$SCANNER']['max_ports'] <= 2.1"
	expect "$SCANNER's distinct ports estimate jumps > 100 during nmap" \
		"scan['$SCANNER']['max_ports'] > 100"
	expect "$SCANNER scanned one address" \
		"scan['$SCANNER']['max_addrs'] <= 1.1"
	expect "$SCANNER's TCP SYN counter jumps by hundreds" \
		"delta('$SCANNER', 'tcp_syn', 'a', 'silent') >= 500"
	expect "$FLOODER's TCP SYN counter jumps by >= 1000 (hping3)" \
		"delta('$FLOODER', 'tcp_syn', 'a', 'silent') >= 1000"
	expect "$SILENT sent before it went silent" \
		"a['$SILENT']['packets'] > 0"
	expect "$SILENT sends nothing once silent" \
		"delta('$SILENT', 'packets', 'silent', 'b') == 0"
	expect "$SILENT's last_seen stays behind (> 3 s old at the end)" \
		"now['b'] - b['$SILENT']['last_seen_ns'] > 3e9"
	expect "$MOVER talked only to its server before" \
		"[x['addr'] for x in a['$MOVER']['dests']] == ['198.18.1.1']"
	expect "$MOVER has a new entry in iotguard_dests: $CITY_ALT4" \
		"any(x['addr'] == '$CITY_ALT4' and x['first_ns'] > now['a'] for x in b['$MOVER']['dests'])"
	expect "$MOVER's new destination passes, on the router's second address" \
		"delta('$MOVER', 'packets') > 0"
}

run
tap_end
