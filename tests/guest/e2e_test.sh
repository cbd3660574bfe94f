#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end: real UDP and TCP from device namespaces through a switch into
# the router's device-facing port iot0, where iotguard's XDP program runs
# natively. Runs in the guest, as root, with iotguard.ko loaded. Prints TAP.
#
#  ┌────────────────────┐
#  │ lamp  198.18.1.10  ├──┐
#  │       2001:2:0:1::10  │  ┌──────────┐        ┌──────────────────────┐
#  └────────────────────┘  ├──┤ sw: br0  ├────────┤ rtr: iot0 (XDP)      │
#  ┌────────────────────┐  │  └──────────┘ uplink │ 198.18.1.1/24        │
#  │ stranger 198.18.1.20  ┤                      │ 2001:2:0:1::1/64     │
#  └────────────────────┘  │                      └──────────────────────┘
#  ┌────────────────────┐  │
#  │ flood 198.18.1.30  ├──┘
#  └────────────────────┘
set -u

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=ige2e$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"

iotguard=$repo/build/iotguard
traffic=$repo/tests/guest/traffic.py
tmp=$(mktemp -d)

ig() { topo_rtr "$iotguard" "$@"; }
dev() { topo_exec "$TOPO-$1" "${@:2}"; }

cleanup() {
	set +e
	ig detach iot0 >/dev/null 2>&1
	for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	topo_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

# recv_start SECONDS NAME [BIND [PORT]]: a UDP receiver on the router.
recv_start() {
	topo_rtr python3 "$traffic" recv --bind "${3:-0.0.0.0}" \
		--port "${4:-5000}" --duration "$1" --out "$tmp/$2.json" &
	sleep 0.5
}

# received NAME SOURCE: datagrams receiver NAME got from SOURCE.
received() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], 0))' \
		"$tmp/$1.json" "$2"
}

# jget EXPR: evaluates EXPR on the JSON document d read from stdin.
jget() {
	python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

# devstat ADDR COUNTER: packets of a per-device counter, from stats -j.
devstat() {
	ig -j stats "$1" | jget "d['devices'][0]['$2']['packets']"
}

enroll() {
	ig device add 198.18.1.10 --name lamp-1 --class light &&
	ig device add 2001:2:0:1::10 --name lamp-1-v6 --class light &&
	ig device add 198.18.1.30 --name meter-9 --class meter \
		--rate 50 --burst 5
}

run() {
	if ! topo_init || ! topo_add_device lamp 198.18.1.10 2001:2:0:1::10 ||
	   ! topo_add_device stranger 198.18.1.20 ||
	   ! topo_add_device flood 198.18.1.30; then
		not_ok "set up the namespaces"
		return
	fi
	ok "set up router, switch and three device namespaces"

	check "attach iotguard natively to iot0" ig attach iot0 --mode native
	if rmmod iotguard 2>"$tmp/rmmod.err"; then
		not_ok "rmmod while the attached program uses the kfunc succeeded"
		insmod "$repo/kmod/iotguard.ko"
	else
		ok "rmmod refused while the program uses the kfunc ($(cat "$tmp/rmmod.err"))"
	fi
	ig status >"$tmp/status.txt" 2>&1
	check "status lists iot0" grep -q iot0 "$tmp/status.txt"
	check "enroll the lamp (IPv4, IPv6) and the meter (50/s, burst 5)" \
		enroll

	recv_start 4 lamp
	recv_start 4 lamp6 :: 5002
	dev lamp python3 "$traffic" send --dst 198.18.1.1 --count 40 \
		--rate 100 >/dev/null
	dev lamp python3 "$traffic" send --dst 2001:2:0:1::1 --port 5002 \
		--count 10 --rate 100 >/dev/null
	wait
	rx=$(received lamp 198.18.1.10)
	expect "enrolled device: $rx of 40 UDP datagrams arrive" "$rx == 40"
	rx=$(received lamp6 2001:2:0:1::10)
	expect "enrolled IPv6 device: $rx of 10 datagrams arrive" "$rx == 10"

	topo_rtr python3 "$traffic" tcp-recv --bind 198.18.1.1 &
	sleep 0.5
	echoed=$(dev lamp python3 "$traffic" tcp-send --src 198.18.1.10 \
		--dst 198.18.1.1 --bytes 100000 2>/dev/null)
	wait
	expect "enrolled device: TCP carries '$echoed' of 100000 bytes" \
		"'$echoed' == '100000'"

	recv_start 3 stranger
	dev stranger python3 "$traffic" send --dst 198.18.1.1 --count 20 \
		--rate 100 >/dev/null
	wait
	rx=$(received stranger 198.18.1.20)
	expect "unknown device: $rx of 20 datagrams arrive" "$rx == 0"
	seen=$(ig -j unknown | jget \
		"sum(u['packets'] for u in d['unknown'] if u['address'] == '198.18.1.20')")
	expect "unknown lists 198.18.1.20 with ${seen:-?} packets (>= 20)" \
		"${seen:-0} >= 20"

	recv_start 6 flood
	dev flood python3 "$traffic" send --dst 198.18.1.1 --count 1000 \
		--rate 250 >"$tmp/flood-send.json"
	wait
	rx=$(received flood 198.18.1.30)
	sent=$(jget "d['sent']" <"$tmp/flood-send.json")
	secs=$(jget "d['duration']" <"$tmp/flood-send.json")
	want=$(python3 -c "print(round(5 + 50 * $secs))")
	expect "over-rate device: $rx of $sent pass in ${secs}s, $want expected (±10%)" \
		"abs($rx - $want) <= 0.1 * $want"

	pass=$(devstat 198.18.1.30 pass)
	rate=$(devstat 198.18.1.30 rate)
	expect "stats -j: meter passed $pass (received $rx), dropped $rate, sent $sent" \
		"$pass == $rx and $pass + $rate == $sent"
	pass=$(devstat 198.18.1.10 pass)
	expect "stats -j: lamp passed $pass packets (40 UDP + the TCP segments)" \
		"$pass > 40"

	ig device set 198.18.1.10 --state deny
	before=$(devstat 198.18.1.10 denied)
	recv_start 2 deny
	dev lamp python3 "$traffic" send --dst 198.18.1.1 --count 1 >/dev/null
	wait
	after=$(devstat 198.18.1.10 denied)
	rx=$(received deny 198.18.1.10)
	expect "state deny drops the next packet: received $rx, denied +$((after - before))" \
		"$rx == 0 and $after - $before == 1"

	ig device set 198.18.1.10 --state allow
	recv_start 2 allow
	dev lamp python3 "$traffic" send --dst 198.18.1.1 --count 5 >/dev/null
	wait
	rx=$(received allow 198.18.1.10)
	expect "state allow again: $rx of 5 arrive" "$rx == 5"

	unknown=$(ig -j stats | jget "d['global']['unknown']['packets']")
	expect "stats -j: global unknown counter $unknown >= 20" \
		"$unknown >= 20"

	check "detach iot0" ig detach iot0
	recv_start 2 detached
	dev stranger python3 "$traffic" send --dst 198.18.1.1 --count 5 \
		>/dev/null
	wait
	rx=$(received detached 198.18.1.20)
	expect "detached: the unknown device passes again ($rx of 5)" \
		"$rx == 5"

	# The last program using the kfunc is gone: the module may go (after
	# an RCU grace period or so), and comes back for whoever runs next.
	unloaded=no
	for _ in $(seq 30); do
		if rmmod iotguard 2>/dev/null; then
			unloaded=yes
			break
		fi
		sleep 0.1
	done
	expect "rmmod succeeds once the program is detached" \
		"'$unloaded' == 'yes'"
	[ "$unloaded" = no ] || insmod "$repo/kmod/iotguard.ko"
}

echo "TAP version 13"
run
tap_end
