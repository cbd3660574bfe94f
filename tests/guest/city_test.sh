#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The simulated city (tests/lib/city.sh) behind iotguard's XDP program: 20
# devices of four classes, of which one is used to scan the router (nmap),
# one floods it with SYNs (hping3), one goes silent and one starts talking
# to a new server. The features map must show each class's shape and each
# of those changes. Runs in the guest, as root, with iotguard.ko loaded.
# Prints TAP.
#
# Time: nothing is judged against a wall-clock limit (a loaded guest runs
# 2-3x slower). The test waits for events (every device seen, the scan's
# watcher sampling) and judges each device's counts between two snapshots
# per period of its behaviour (behave.py) over the window's real length,
# by the snapshots' own CLOCK_MONOTONIC, the clock of the XDP program and
# of behave.py's schedules. It makes time pass on purpose only so that the
# window holds enough periods (>= WINDOW s) and the silence outlasts the
# silent device's longest gaps (>= SILENCE s). The lights' day is long, so
# that each stays in the phase it starts in (night or day: a quarter day)
# throughout; a result checks that from the snapshots' times. The scan's
# distinct ports per epoch are judged against nmap's own pace.

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igc$$
# Seconds per day of the lights: a real day, so that a quarter of it (the
# phase a light starts in) outlasts the test however loaded the guest (a
# guest starved by a busy host took 400 s for it).
CITY_DAY=86400
# shellcheck source=../lib/city.sh
. "$repo/tests/lib/city.sh"

iotguard=$repo/build/iotguard
featsnap=$repo/tests/lib/featsnap.py
# The features' epoch: 2^EPOCH_SHIFT ns.
EPOCH_SHIFT=$(sed -n 's/^#define IOTGUARD_EPOCH_SHIFT \([0-9]*\).*/\1/p' \
	"$repo/include/iotguard/features.h")
tmp=$(mktemp -d)

# Who plays which part (names from city_populate).
SCANNER=s3
FLOODER=s5
SILENT="m4"
MOVER=s6
ATTACKED="$SCANNER $FLOODER $SILENT $MOVER"
# The judged window's least length, and the silence's (meters upload every
# 3-7 s: two of their longest gaps and some).
WINDOW=20
SILENCE=15

tap_plan 33

ig() { topo_rtr "$iotguard" "$@"; }

# The attach pins maps; leave none behind for the next test to count on.
pins=/sys/fs/bpf/iotguard
had_pins=0
[ ! -e "$pins" ] || had_pins=1
watcher=

cleanup() {
	set +e
	[ -z "$watcher" ] || { kill "$watcher"; wait "$watcher"; } 2>/dev/null
	ig detach iot0 >/dev/null 2>&1
	city_cleanup
	[ "$had_pins" = 1 ] || rm -rf "$pins"
	rm -rf "$tmp"
}
trap cleanup EXIT

# bail DESCRIPTION: a failed step the rest cannot go on without.
bail() {
	not_ok "$1"
	exit 1
}

# snap NAME [SECONDS]: the features of every device, as $tmp/NAME.json
# (tests/lib/featsnap.py), from the router's namespace's maps.
snap() {
	local name=$1

	shift
	topo_rtr python3 "$featsnap" "$tmp/devices.json" "$tmp/$name.json" "$@"
}

# The judge of the snapshots (judge.py ATTACKED DAY EPOCH MODE ...): each
# snapshot $tmp/NAME.json is a dict NAME of devices, and a condition can
# use these:
#	now[s]                  snapshot s's CLOCK_MONOTONIC, ns
#	secs(s0, s1)            seconds from snapshot s0 to s1 (a, b)
#	delta(n, k, s0, s1)     device n's counter k from s0 to s1 (a, b)
#	cadence(n, k, shortest, longest, s0, s1)
#	                        n's count k from s0 to s1 fits a schedule of
#	                        one frame (or upload) every shortest to
#	                        longest seconds, give or take one sent late
#	                        at either end and one more
#	classes[c], benign[c]   device names of class c, all or not attacked
#	night, day              the lights that start at midnight, at noon
#	DAY                     the lights' day, s (CITY_DAY)
#	epochs(s)               how many of the features' epochs (sketches)
#	                        the sampling of snapshot s touched
# Modes: "one COND" exits 0 if COND holds; "batch FILE" judges FILE's
# NUL-separated DESCRIPTION CONDITION pairs in one go (an interpreter's
# start costs seconds in a loaded guest), printing a line for each: "ok",
# why not, or for an empty DESCRIPTION the value as a TAP comment.
cat >"$tmp/judge.py" <<'EOF'
import glob, json, math, os, sys

attacked, day, epoch_shift, mode, arg = sys.argv[1:6]
snaps = {os.path.basename(f)[:-5]: json.load(open(f))
         for f in glob.glob("*.json") if f != "devices.json"}
g = {k: v["devices"] for k, v in snaps.items()}
now = g["now"] = {k: v["now_ns"] for k, v in snaps.items()}
sampled = {k: v.get("sampled_ns") for k, v in snaps.items()}
classes = g["classes"] = {}
for dev in json.load(open("devices.json"))["devices"]:
    classes.setdefault(dev["class"], []).append(dev["name"])
g["benign"] = {c: [n for n in ns if n not in attacked.split()]
               for c, ns in classes.items()}
# city.sh: the first, third ... light (l1, l3 ...) starts at midnight.
g["night"] = [n for n in classes["light"] if int(n[1:]) % 2 == 1]
g["day"] = [n for n in classes["light"] if int(n[1:]) % 2 == 0]
g["DAY"] = float(day)


def secs(s0="a", s1="b"):
    return (now[s1] - now[s0]) / 1e9


def delta(n, k, s0="a", s1="b"):
    return g[s1][n][k] - g[s0][n][k]


def cadence(n, k, shortest, longest, s0="a", s1="b"):
    w = secs(s0, s1)
    return (math.floor(w / longest) - 2 <= delta(n, k, s0, s1)
            <= math.floor(w / shortest) + 3)


def epochs(s):
    first, last = (t >> int(epoch_shift) for t in sampled[s])
    return last - first + 1


def judge(cond):
    """The condition's value, or the exception it raised."""
    try:
        # In parentheses: a condition may span lines.
        return eval("(" + cond + "\n)", g)
    except Exception as e:
        return e


g.update(secs=secs, delta=delta, cadence=cadence, epochs=epochs,
         math=math)
if mode == "one":
    val = judge(arg)
    if isinstance(val, Exception):
        print(f"{type(val).__name__}: {val}", file=sys.stderr)
    sys.exit(0 if val is True else 1)
words = open(arg).read().split("\0")
for desc, cond in zip(words[0::2], words[1::2]):
    val = judge(cond)
    if not desc:
        print("#", val)
    elif val is True:
        print("ok")
    else:
        why = f"{type(val).__name__}: {val} " if isinstance(
            val, Exception) else ""
        print(f"{why}[failed: {' '.join(cond.split())}]")
EOF

judge() {
	(cd "$tmp" && python3 judge.py "$ATTACKED" "$CITY_DAY" "$EPOCH_SHIFT" "$@")
}

# expect DESCRIPTION PYTHON-CONDITION: one TAP result from the snapshots,
# judged with the others by expect_all.
EXPECT=()
expect() {
	EXPECT+=("$1" "$2")
}

# show EXPR: a diagnostic line (TAP comment) from the snapshots, in turn.
show() {
	EXPECT+=("" "$1")
}

# expect_all: the results of every expect (and show) so far, in order.
expect_all() {
	local i out verdicts=()

	printf '%s\0' "${EXPECT[@]}" >"$tmp/expect"
	out=$(judge batch "$tmp/expect" 2>"$tmp/judge.err") || true
	sed 's/^/# /' "$tmp/judge.err"
	mapfile -t verdicts <<<"$out"
	for ((i = 0; i < ${#EXPECT[@]}; i += 2)); do
		out=${verdicts[i / 2]:-"no verdict"}
		if [ -z "${EXPECT[i]}" ]; then
			echo "$out"
		elif [ "$out" = ok ]; then
			ok "${EXPECT[i]}"
		else
			not_ok "${EXPECT[i]} $out"
		fi
	done
	EXPECT=()
}

# seen: a fresh snapshot "warm" shows every device's frames and every
# meter's first upload (a TCP SYN).
seen() {
	snap warm && judge one "all(d['packets'] > 0 for d in warm.values())
		and all(warm[n]['tcp_syn'] > 0 for n in classes['meter'])"
}

# Seconds still to wait for a window of WINDOW s from a and a silence of
# SILENCE s from the silent snapshot, by the kernel's clock.
left() {
	(cd "$tmp" && python3 -c '
import json, sys, time
t = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
a, s = (json.load(open(f + ".json"))["now_ns"] for f in ("a", "silent"))
w, q = (float(x) * 1e9 for x in sys.argv[1:])
print(max(0, a + w - t, s + q - t) / 1e9)' "$WINDOW" "$SILENCE")
}

if ! city_init || ! city_populate 20; then
	bail "build a city of 20 devices"
fi
ok "build a city of 20 devices (8 sensors, 3 cameras, 4 meters, 5 lights)"
check "attach iotguard natively to iot0" ig attach iot0 --mode native
check "enroll the 20 devices, MAC bound" city_enroll
ig -j device list >"$tmp/devices.json"
# Before any behaviour starts: the lights' days start after it.
snap start
city_start || bail "start the 20 behaviours"
ok "start the 20 behaviours"

# Warm-up: every device has been seen (meters upload within their first
# period); that snapshot is the window's start.
tap_wait 60 1 seen ||
	bail "every device passed frames, every meter uploaded (warm-up)"
ok "every device passed frames, every meter uploaded (warm-up)"
mv "$tmp/warm.json" "$tmp/a.json"

# The attacks, all at once: a new server, a silence, a scan, a flood.
city_new_destination "$MOVER" "$CITY_ALT4"
city_silence "$SILENT"
# The scan's watcher samples the sketches from before nmap starts until
# after it ends (600 s is only a safety net); not through snap: $! must be
# the python's PID (nsenter execs it), which writes its snapshot when told
# to stop.
nsenter --net="/run/netns/$TOPO-rtr" python3 "$featsnap" \
	"$tmp/devices.json" "$tmp/scan.json" 600 \
	--ready "$tmp/scan.ready" &
watcher=$!
ready=0
if tap_wait 600 0.1 test -e "$tmp/scan.ready"; then
	ready=1
fi
if city_nmap "$SCANNER" "$CITY_SERVER4" >"$tmp/nmap.log" 2>&1 &&
   grep -q "Nmap done" "$tmp/nmap.log"; then
	ok "nmap scanned from $SCANNER"
else
	not_ok "nmap scanned from $SCANNER"
	sed 's/^/# /' "$tmp/nmap.log"
fi
# Still sampling after nmap (not timed out), stopped by us. A watcher
# that failed is left to cleanup.
desc="the watcher sampled $SCANNER's sketches all through nmap"
if [ "$ready" = 1 ] && kill -0 "$watcher" 2>/dev/null &&
   kill -TERM "$watcher" && wait "$watcher" && [ -s "$tmp/scan.json" ]; then
	ok "$desc"
	watcher=
else
	not_ok "$desc (ready before nmap: $ready)"
fi
if city_hping "$FLOODER" "$CITY_SERVER4" >"$tmp/hping.log" 2>&1 &&
   grep -q "packets transmitted" "$tmp/hping.log"; then
	ok "hping3 flooded from $FLOODER"
else
	not_ok "hping3 flooded from $FLOODER"
	sed 's/^/# /' "$tmp/hping.log"
fi
snap silent

# Time passes on purpose; what is judged is the real window.
sleep "$(left)"
snap b

show "'window a..b %.1f s, silent..b %.1f s, start..b %.1f s'
	% (secs(), secs('silent'), secs('start'))"
show "{n: (delta(n, 'packets'), delta(n, 'bytes')) for n in sorted(b)}"
show "{n: (round(scan[n]['max_addrs'], 1), round(scan[n]['max_ports']),
	b[n]['tcp_syn']) for n in sorted(b)}"
show "'the watcher sampled %d epochs' % epochs('scan')"

# The lights' phases: a light starts after the start snapshot and stays in
# its first phase (night from midnight, day from noon) for DAY/4 s.
expect "the judged window lies within every light's first phase" \
	"secs('start') < DAY / 4"
expect "all 20 devices are in the features map" \
	"len(b) == 20 and sum(map(len, benign.values())) == 16"
expect "every benign device passed frames" \
	"all(delta(n, 'packets') > 0 for c in benign for n in benign[c])"
expect "cameras send >20x the bytes of any sensor" \
	"min(delta(n, 'bytes') for n in benign['camera'])
	> 20 * max(delta(n, 'bytes') for n in benign['sensor'])"
expect "camera frames are mostly over 1024 bytes" \
	"all(b[n]['size_hist'][5] > 0.8 * b[n]['packets']
	for n in benign['camera'])"
expect "sensor frames are all at most 256 bytes" \
	"all(sum(b[n]['size_hist'][:3]) == b[n]['packets']
	for n in benign['sensor'])"
# behave.py: a sensor reports every 2 s +-30 %, on a schedule.
expect "each sensor reports every 1.4-2.6 s over the window" \
	"all(cadence(n, 'packets', 1.4, 2.6) for n in benign['sensor'])"
expect "the sensors' mean period is 2 s +-20 %" \
	"1.6 <= len(benign['sensor']) * secs()
	/ sum(delta(n, 'packets') for n in benign['sensor']) <= 2.4"
# A meter uploads 16-48 kB, then sleeps 3-7 s; 2 s for an upload.
expect "meters upload every 3-9 s, >= 16 kB a time in full frames" \
	"all(delta(n, 'tcp_syn') >= 1 and cadence(n, 'tcp_syn', 3, 9)
	and delta(n, 'bytes') >= 16384 * (delta(n, 'tcp_syn') - 1)
	and b[n]['size_hist'][5] - a[n]['size_hist'][5] >= 10
	for n in benign['meter'])"
# A light reports every 1 s at night, every 6 s by day.
expect "lights at night report every 1 s" \
	"all(cadence(n, 'packets', 1, 1) for n in night)"
expect "lights by day report every 6 s" \
	"all(cadence(n, 'packets', 6, 6) for n in day)"
expect "no TCP SYNs from sensors, cameras or lights" \
	"all(delta(n, 'tcp_syn') == 0
	for c in ('sensor', 'camera', 'light') for n in benign[c])"
expect "no ICMP from any device" \
	"all(b[n]['icmp'] == 0 for n in b)"
expect "benign devices talk to one destination, their server" \
	"all(len(b[n]['dests']) == 1
	and b[n]['dests'][0]['addr'] in ('198.18.1.1', '2001:2:0:1::1')
	for c in benign for n in benign[c])"
expect "benign devices' distinct ports estimate <= 2" \
	"all(b[n]['max_ports'] <= 2.1 and b[n]['max_addrs'] <= 1.1
	for c in benign for n in benign[c])"

expect "$SCANNER's distinct ports estimate was low before nmap" \
	"a['$SCANNER']['max_ports'] <= 2.1"
# Each SYN of nmap's goes to another port: in an epoch, the estimate of
# distinct ports follows the SYNs. The scan's pace is the guest's: judged
# against nmap's mean SYNs per epoch over the watcher's sampling, at most
# 500 (the 256-bit sketch saturates at a few hundred).
expect "$SCANNER's distinct ports estimate jumps with nmap's SYNs" \
	"scan['$SCANNER']['max_ports'] >= min(500, 0.5
	* delta('$SCANNER', 'tcp_syn', 'a', 'silent') / epochs('scan'))"
expect "$SCANNER scanned one address" \
	"scan['$SCANNER']['max_addrs'] <= 1.1"
expect "$SCANNER's TCP SYN counter jumps by hundreds" \
	"delta('$SCANNER', 'tcp_syn', 'a', 'silent') >= 500"
expect "$FLOODER's TCP SYN counter jumps by >= 1000 (hping3)" \
	"delta('$FLOODER', 'tcp_syn', 'a', 'silent') >= 1000"
# Meters' gaps are at most 7 s (and an upload): over the silence (>=
# SILENCE s), every live meter uploads.
expect "$SILENT sends nothing once silent, while the other meters upload" \
	"delta('$SILENT', 'packets', 'silent', 'b') == 0
	and all(delta(n, 'tcp_syn', 'silent', 'b') >= 1
	for n in benign['meter'])"
expect "$SILENT's last_seen stays behind by > 2 of its longest gaps (7 s)" \
	"b['$SILENT']['last_seen_ns'] == silent['$SILENT']['last_seen_ns']
	and now['b'] - b['$SILENT']['last_seen_ns'] > 2 * 7e9"
expect "$MOVER talked only to its server before" \
	"[x['addr'] for x in a['$MOVER']['dests']] == ['198.18.1.1']"
expect "$MOVER has a new entry in iotguard_dests: $CITY_ALT4" \
	"any(x['addr'] == '$CITY_ALT4' and x['first_ns'] > now['a']
	for x in b['$MOVER']['dests'])"
expect "$MOVER's new destination passes, on the router's second address" \
	"delta('$MOVER', 'packets') > 0"
expect_all

tap_end
