#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The device file: `iotguard apply' of 600 devices (three batches of
# DEVICE_NEW lists), the table checked, a second apply that changes nothing
# and sends nothing (the events group hears no NEW, SET or DEL), an edit
# (20 added, 30 changed, 50 removed) as a dry run that changes nothing and
# for real, a state set at run time as iotguardd sets it that an apply of a
# file without `state' keeps, the export round trip, an inventory CSV
# imported, and exit code 3 for a device enrolled already. Runs in the
# guest, as root, with iotguard.ko loaded (tests/guest/run-all.sh loads a
# fresh one), in a network namespace of its own, whose table starts empty.
# Prints TAP.

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"

iotguard=$repo/build/iotguard
NS=igdevfile$$
tmp=$(mktemp -d)
monitor_pid=

ig() { ip netns exec "$NS" "$iotguard" "$@"; }

cleanup() {
	set +e
	[ -z "$monitor_pid" ] || kill "$monitor_pid" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

classes=(generic light sensor camera meter gateway)

# line I VARIANT: device I's line. Variant 1 is the first file; 2 changes
# the rates of devices 0-29; 3 is 2 with device 303's state given.
line() {
	local i=$1 v=$2 id rate='' extra=''

	if ((i % 3 == 0)); then
		id="198.18.$((i / 250 + 10)).$((i % 250 + 1))"
		((i % 2)) || extra+=" mac $(printf '02:00:00:01:%02x:%02x' \
			$((i >> 8)) $((i & 255)))"
	elif ((i % 3 == 1)); then
		if ((i % 2)); then
			id=$(printf '2001:2:1::%x' "$i")
		else
			id=$(printf '2001:2:0:%x::/64' "$i")
		fi
	else
		id=$(printf 'mac 02:00:00:00:%02x:%02x' $((i >> 8)) $((i & 255)))
	fi
	((i % 4 == 0)) || rate=$((10 + i))
	((v == 1 || i >= 30)) || rate=$((1000 + i))
	[ -z "$rate" ] || extra+=" rate $rate"
	((i % 10)) || extra+=" burst $((i + 5))"
	((i % 7)) || extra+=" byte-rate 1M"
	((i % 50)) || extra+=" pin"
	((i % 97)) || extra+=" state deny"
	((v != 3 || i != 303)) || extra+=" state allow"
	if ((i % 100 == 1)); then
		echo "$id name \"dev $i\" class ${classes[i % 6]}$extra"
	elif ((i % 100 == 2)); then
		# a line continued, with a comment on the way
		echo "$id name dev-$i \\  # the name"
		echo "	class ${classes[i % 6]}$extra"
	else
		echo "$id name dev-$i class ${classes[i % 6]}$extra"
	fi
}

# devices VARIANT FIRST LAST: a device file of devices FIRST to LAST.
devices() {
	local i

	echo "# devices $2 to $3, variant $1"
	for ((i = $2; i <= $3; i++)); do
		((i % 100)) || printf '\n# devices %d-\n' "$i"
		line "$i" "$1"
	done
}

# run CMD...: the CLI with its exit code in $rc, its output in $tmp/out
# and $tmp/err.
run() {
	rc=0
	ig "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
}

# said TEXT: the last run's last line of output is TEXT.
said() {
	local last

	last=$(tail -n 1 "$tmp/out")
	[ "$last" = "$1" ] && return 0
	echo "# said \"$last\"; stderr: $(head -c 300 "$tmp/err")"
	return 1
}

# dev_is ID CONDITION: `device show ID -j' as d satisfies the Python
# CONDITION.
dev_is() {
	local json

	json=$(ig device show "$1" -j) || return 1
	python3 -c "import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if ($2) else 1)" "$json" && return 0
	echo "# $1: $json"
	return 1
}

# table_json: `device list -j' without the seconds since each state
# changed, which count on by themselves.
table_json() {
	ig device list -j | sed 's/"state_seconds":[0-9]*,\{0,1\}//g'
}

# count: the devices `device list -j' lists.
count() {
	ig device list -j |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["devices"]))'
}

# ops SIGN: the lines of the last run's report that start with SIGN.
ops() {
	grep -c "^$1 " "$tmp/out" || true
}

# state_event N STATE: the monitor printed a SET of the sentinel to STATE
# at its line N or later.
state_event() {
	# grep reads it all (no -q): tail never dies of SIGPIPE (pipefail).
	tail -n +"$1" "$tmp/monitor.txt" |
		grep "^set $SENTINEL .* state $2" >/dev/null
}

# sentinel_heard: the monitor has printed the sentinel's SET to deny (sent
# again until it has: the monitor may not have joined the group yet).
sentinel_heard() {
	ig device set "$SENTINEL" --state deny && state_event 1 deny
}

SENTINEL=198.18.11.51		# device 300, in every variant
QUARANTINED=198.18.11.54	# device 303
IMPORTED=198.18.11.57		# device 306: rate 316, MAC 02:00:00:01:01:32

tap_plan 60
if [ ! -d /sys/module/iotguard ]; then
	not_ok "iotguard.ko is loaded"
	exit 1
fi
ip netns add "$NS"

devices 1 0 599 >"$tmp/v1.conf"
devices 2 0 549 >"$tmp/v2.conf"
devices 2 600 619 >>"$tmp/v2.conf"
devices 3 0 549 >"$tmp/v3.conf"
devices 3 600 619 >>"$tmp/v3.conf"

# 1. 600 devices, three batches.
run apply "$tmp/v1.conf"
check "apply of 600 devices: exit 0" [ "$rc" = 0 ]
check "apply reports 600 added" \
	said "added 600, changed 0, removed 0, unchanged 0"
expect "the table holds 600 devices" "$(count) == 600"
ig device list -j >"$tmp/list.json"
expect "200 by MAC, 12 pinned, 7 denied, 86 with a byte rate, 150 no rate" \
	"$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))["devices"]
print([sum(x["family"] == "mac" for x in d), sum(x["pinned"] for x in d),
       sum(x["state"] == "deny" for x in d),
       sum(x["rate_bps"] == 1000000 for x in d),
       sum(x["rate_pps"] == 0 for x in d)])' "$tmp/list.json") == [200, 12, 7, 86, 150]"
check "device 0 as declared (the MAC bound, burst, byte rate, pin, deny)" \
	dev_is 198.18.10.1 "d['name'] == 'dev-0' and
		d['class'] == 'generic' and d['mac'] == '02:00:00:01:00:00' and
		d['state'] == 'deny' and d['rate_pps'] == 0 and
		d['burst_pkts'] == 5 and d['rate_bps'] == 1000000 and
		d['pinned']"
check "device 1, an IPv6 address, with a quoted name" \
	dev_is 2001:2:1::1 "d['name'] == 'dev 1' and d['class'] == 'light'
		and d['rate_pps'] == 11 and d['state'] == 'allow' and
		d['mac'] is None and not d['pinned']"
check "device 2, enrolled by MAC, its line continued" \
	dev_is 02:00:00:00:00:02 "d['family'] == 'mac' and
		d['name'] == 'dev-2' and d['class'] == 'sensor' and
		d['rate_pps'] == 12"
check "device 10, an IPv6 prefix, its burst as given" \
	dev_is 2001:2:0:a::/64 "d['class'] == 'meter' and
		d['rate_pps'] == 20 and d['burst_pkts'] == 15"
check "device 599, the last, with the kernel's default burst" \
	dev_is 02:00:00:00:02:57 "d['rate_pps'] == 609 and
		d['burst_pkts'] == 60"

# 2. Again: nothing changes, nothing is sent. The monitor hears every
# change of the table; the sentinel's state (which no line gives) marks
# where the apply starts and ends in its output.
# nsenter execs the CLI: $! is the monitor itself.
nsenter --net="/run/netns/$NS" "$iotguard" monitor >"$tmp/monitor.txt" 2>&1 &
monitor_pid=$!
check "the monitor hears the sentinel's state" \
	tap_wait 600 0.1 sentinel_heard
ig device set "$SENTINEL" --state quarantine
tap_wait 600 0.1 state_event 1 quarantine
before=$(wc -l <"$tmp/monitor.txt")
run apply "$tmp/v1.conf"
check "the same file again: exit 0" [ "$rc" = 0 ]
check "it reports nothing changed" \
	said "added 0, changed 0, removed 0, unchanged 600"
ig device set "$SENTINEL" --state allow
tap_wait 600 0.1 state_event "$((before + 1))" allow
after=$(tail -n +"$((before + 1))" "$tmp/monitor.txt")
check "it sent no NEW, SET or DEL (the monitor heard the sentinel only)" \
	[ "$(wc -l <<<"$after")" = 1 ]
[ "$(wc -l <<<"$after")" = 1 ] || sed -n '1,5s/^/# /p' <<<"$after"
kill "$monitor_pid"
wait "$monitor_pid" 2>/dev/null || true
monitor_pid=

# 3. The same devices from a directory of two files.
mkdir "$tmp/conf.d"
devices 1 0 299 >"$tmp/conf.d/10-first.conf"
devices 1 300 599 >"$tmp/conf.d/20-second.conf"
echo "198.18.99.1 frob" >"$tmp/conf.d/30-ignored.conf.orig"
run apply "$tmp/conf.d"
check "the directory's *.conf files are the same table" \
	said "added 0, changed 0, removed 0, unchanged 600"

# 4. The edit as a dry run: reported, not done.
table_json >"$tmp/list.before"
run apply --dry-run "$tmp/v2.conf"
check "dry run: exit 0" [ "$rc" = 0 ]
check "dry run reports 20 added, 30 changed, 50 removed" \
	said "dry run: added 20, changed 30, removed 50, unchanged 520"
check "dry run lists 20 +, 30 ~ and 50 - lines" \
	[ "$(ops +)/$(ops '~')/$(ops -)" = 20/30/50 ]
table_json >"$tmp/list.after"
check "dry run changed nothing (indexes and cookies included)" \
	cmp -s "$tmp/list.before" "$tmp/list.after"
run -j apply --dry-run "$tmp/v2.conf"
expect "dry run -j: the counts and 100 devices in JSON" "$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print((r["dry_run"], r["added"], r["changed"], r["removed"],
       r["unchanged"], len(r["devices"])) == (True, 20, 30, 50, 520, 100))
' "$tmp/out")"

# 5. The edit for real.
run apply -v "$tmp/v2.conf"
check "the edit: exit 0" [ "$rc" = 0 ]
check "the edit reports 20 added, 30 changed, 50 removed" \
	said "added 20, changed 30, removed 50, unchanged 520"
expect "the table holds 570 devices" "$(count) == 570"
check "device 5's new rate, the default burst of it" \
	dev_is 02:00:00:00:00:05 "d['rate_pps'] == 1005 and
		d['burst_pkts'] == 100"
check "device 10's new rate with the burst its line gives" \
	dev_is 2001:2:0:a::/64 "d['rate_pps'] == 1010 and
		d['burst_pkts'] == 15"
run device show 198.18.12.53
check "device 552 was removed" [ "$rc" = 2 ]
check "device 607 was added" \
	dev_is 2001:2:1::25f "d['name'] == 'dev-607' and d['rate_pps'] == 617"
run apply "$tmp/v2.conf"
check "the edit again changes nothing" \
	said "added 0, changed 0, removed 0, unchanged 570"

# 6. A state set at run time: iotguardd quarantines with a DEVICE_SET of
# the state alone, as `device set --state' sends it.
ig device set "$QUARANTINED" --state quarantine
run apply "$tmp/v2.conf"
check "a file without state leaves a quarantine: nothing changed" \
	said "added 0, changed 0, removed 0, unchanged 570"
check "device 303 is still quarantined" \
	dev_is "$QUARANTINED" "d['state'] == 'quarantine'"
run apply "$tmp/v3.conf"
check "a line with state allow lifts it" \
	said "added 0, changed 1, removed 0, unchanged 569"
check "device 303 is allowed again" \
	dev_is "$QUARANTINED" "d['state'] == 'allow'"

# 7. Export and back.
run export "$tmp/export.conf"
check "export to a file: exit 0" [ "$rc" = 0 ]
check "export to a file prints nothing" [ ! -s "$tmp/out" ]
check "the export starts with a header comment" \
	[ "$(head -c 1 "$tmp/export.conf")" = "#" ]
check "the export has 570 devices" \
	[ "$(grep -cv '^#' "$tmp/export.conf")" = 570 ]
run apply "$tmp/export.conf"
check "apply of the export changes nothing" \
	said "added 0, changed 0, removed 0, unchanged 570"
run export "$tmp/export2.conf"
check "a second export is the same file" \
	cmp -s "$tmp/export.conf" "$tmp/export2.conf"
run export
check "export to stdout is the same text" cmp -s "$tmp/export.conf" "$tmp/out"
run apply "$tmp/v2.conf"
check "and the file it came from changes nothing either" \
	said "added 0, changed 0, removed 0, unchanged 570"

# 8. A file with any error changes nothing.
table_json >"$tmp/list.before"
{ cat "$tmp/v1.conf"; echo "198.18.99.1 rate fast"; } >"$tmp/bad.conf"
run apply "$tmp/bad.conf"
check "a bad line: exit 1" [ "$rc" = 1 ]
check "its FILE:LINE is named" \
	grep -q "bad.conf:$(wc -l <"$tmp/bad.conf"): invalid rate" "$tmp/err"
{ cat "$tmp/v1.conf"; line 7 1; } >"$tmp/twice.conf"
run apply "$tmp/twice.conf"
check "a device twice: exit 1" [ "$rc" = 1 ]
table_json >"$tmp/list.after"
check "neither changed the table" cmp -s "$tmp/list.before" "$tmp/list.after"

# 9. An inventory CSV: three new devices, one enrolled as the CSV says.
cat >"$tmp/inventory.csv" <<-'EOF'
	address,mac,name,class,rate,burst,byte_rate,byte_burst,state,pin
	198.18.20.1,02:00:00:02:00:01,"cam, north",camera,100,,,,,yes
	2001:2:9::1,,"air ""9""",sensor,,,,,,
	,02:00:00:02:00:03,lamp-csv,light,5,,,,,no
	198.18.11.57,02:00:00:01:01:32,dev-306,generic,316,,,,,
EOF
run device import "$tmp/inventory.csv"
check "import: exit 0" [ "$rc" = 0 ]
check "import reports 3 added, 1 unchanged" \
	said "added 3, changed 0, removed 0, unchanged 1, differing 0"
check "the CSV's quoted name and pin" \
	dev_is 198.18.20.1 "d['name'] == 'cam, north' and d['pinned'] and
		d['mac'] == '02:00:00:02:00:01' and d['class'] == 'camera'"
check "a record without an address is enrolled by its MAC" \
	dev_is 02:00:00:02:00:03 "d['family'] == 'mac' and
		d['name'] == 'lamp-csv'"
run device import "$tmp/inventory.csv"
check "import again: exit 0" [ "$rc" = 0 ]
check "import again: nothing added" \
	said "added 0, changed 0, removed 0, unchanged 4, differing 0"

cat >"$tmp/differs.csv" <<-'EOF'
	address,name,rate
	198.18.11.57,dev-306,999
	198.18.20.9,new-one,
EOF
run device import "$tmp/differs.csv"
check "import of a device that differs: exit 3" [ "$rc" = 3 ]
check "the difference is named" \
	grep -q "198.18.11.57 .*its mac, rate differ" "$tmp/err"
check "the differing device is left alone" \
	dev_is "$IMPORTED" "d['rate_pps'] == 316 and
		d['mac'] == '02:00:00:01:01:32'"
check "the new one is enrolled all the same" \
	dev_is 198.18.20.9 "d['name'] == 'new-one'"
run device import --replace "$tmp/differs.csv"
check "import --replace: exit 0" [ "$rc" = 0 ]
check "import --replace: the CSV's rate, and no MAC (no column)" \
	dev_is "$IMPORTED" "d['rate_pps'] == 999 and d['mac'] is None"

# 10. device add of an enrolled device.
run device add "$SENTINEL" --name again
check "device add of an enrolled device: exit 3" [ "$rc" = 3 ]
check "it says why" grep -q "File exists" "$tmp/err"
run device add 198.18.99.2 --name fresh
check "device add of a new one: exit 0" [ "$rc" = 0 ]

# 11. The file again: what the CSV and device add brought goes, device 306
# gets its rate back.
run apply "$tmp/v2.conf"
check "apply after the import: 1 changed, 5 removed" \
	said "added 0, changed 1, removed 5, unchanged 569"
expect "the table holds 570 devices again" "$(count) == 570"

tap_end
