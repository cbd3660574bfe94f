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
#
# The stranger also forges ARP (tests/lib/arpsend.py): for itself, and in
# the lamp's name, whose MAC is bound.
#
# Every step waits for events, not for a time: a receiver is bound before
# its sender starts; traffic that must arrive is waited for at the
# receiver; traffic that must not arrive is waited for in the guard's own
# counters (every datagram sent accounted for), then the receiver is
# stopped and judged. The waits' bounds are safety nets against a hang.

repo=$(cd "$(dirname "$0")/../.." && pwd)
# The module run-all.sh loads: the debug kernel's under it.
KO=${IOTGUARD_KO:-$repo/kmod/iotguard.ko}
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=ige2e$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/guard.sh
. "$repo/tests/lib/guard.sh"

iotguard=$repo/build/iotguard
traffic=$repo/tests/guest/traffic.py
arpsend=$repo/tests/lib/arpsend.py
tmp=$(mktemp -d)
declare -A recv_pid=()

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

# ready_or_gone PID FILE: FILE exists, or process PID ended without it.
ready_or_gone() {
	[ -e "$2" ] || ! kill -0 "$1" 2>/dev/null
}

# The router's namespace, for the servers started in the background.
rtr_ns=/run/netns/$TOPO-rtr

# recv_start NAME [BIND [PORT [EXPECT]]]: a UDP receiver on the router that
# keeps its counts per source in $tmp/NAME.json and stops by itself once
# it has EXPECT datagrams. Returns once it is bound.
recv_start() {
	local name=$1 expect=()

	[ -z "${4:-}" ] || expect=(--expect "$4")
	# nsenter execs python3 (no fork for a net namespace): $! is the
	# receiver itself, not a subshell, so that TERM reaches it.
	nsenter --net="$rtr_ns" python3 "$traffic" recv \
		--bind "${2:-0.0.0.0}" --port "${3:-5000}" "${expect[@]}" \
		--out "$tmp/$name.json" --ready "$tmp/$name.ready" &
	recv_pid[$name]=$!
	tap_wait 1200 0.1 ready_or_gone "$!" "$tmp/$name.ready"
	[ -e "$tmp/$name.ready" ]
}

# recv_stop NAME: stops receiver NAME if it has not stopped by itself
# (what it had queued still counts) and waits for it to exit cleanly.
recv_stop() {
	local pid=${recv_pid[$1]}

	kill "$pid" 2>/dev/null || true
	wait "$pid"
}

# The waits poll often: they read the one-line JSON of iotguard -j and of
# the receivers with bash alone, as a python3 start takes seconds in a
# loaded guest.

# received NAME SOURCE: datagrams receiver NAME got from SOURCE so far.
received() {
	num_after "$(<"$tmp/$1.json")" "\"$2\": " || echo 0
}

# mac_of NAME: the MAC of device NAME's eth0 (ip netns exec: its own /sys).
mac_of() {
	dev "$1" cat /sys/class/net/eth0/address
}

# rtr_lladdr ADDR: the MAC the router's neighbour table has for ADDR, or
# nothing.
rtr_lladdr() {
	local out

	out=$(topo_exec "$TOPO-rtr" ip -4 neigh show "$1" dev iot0)
	[[ $out =~ lladdr\ ([0-9a-f:]+) ]] && echo "${BASH_REMATCH[1]}"
	return 0
}

# unknown_seen ADDR: frames the guard counted from the unknown source ADDR.
unknown_seen() {
	local out

	out=$(ig -j unknown) || return 1
	if [[ $out =~ "\"address\":\"$1\""[^}]*"\"packets\":"([0-9]+) ]]; then
		echo "${BASH_REMATCH[1]}"
	else
		echo 0
	fi
}

# jget EXPR: evaluates EXPR on the JSON document d read from stdin.
jget() {
	python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

# send DEVICE ARGS...: traffic.py send from DEVICE; prints its JSON.
send() {
	dev "$1" python3 "$traffic" send "${@:2}"
}

setup() {
	topo_init && topo_add_device lamp 198.18.1.10 2001:2:0:1::10 &&
	topo_add_device stranger 198.18.1.20 &&
	topo_add_device flood 198.18.1.30
}

# The meter's burst is a second of its rate, so that a pause of the guest
# under load (frames held between the sender and XDP, or the program's
# coarse clock behind) costs it no credit unless longer than that.
enroll() {
	ig device add 198.18.1.10 --name lamp-1 --class light \
		--mac "$(mac_of lamp)" &&
	ig device add 2001:2:0:1::10 --name lamp-1-v6 --class light &&
	ig device add 198.18.1.30 --name meter-9 --class meter \
		--rate 50 --burst 50
}

# gcra_passes FILE RATE BURST: how many of the datagrams sent at the times
# in FILE (traffic.py send --times) a meter of RATE/s and BURST passes, by
# the GCRA the guard documents: a frame passes while the theoretical
# arrival time after it is at most BURST intervals ahead of its time.
gcra_passes() {
	python3 - "$@" <<'EOF'
import json, sys
times = json.load(open(sys.argv[1]))["times"]
interval = 1.0 / float(sys.argv[2])
tolerance = int(sys.argv[3]) * interval
tat, passed = 0.0, 0
for now in times:
    after = max(tat, now) + interval
    # 1e-9: the float sums must not turn an exact fit into a miss.
    if after - now <= tolerance + 1e-9:
        tat = after
        passed += 1
print(passed)
EOF
}

run() {
	local rx rx6 echoed seen sent secs want naive pass rate before after
	local unknown tcp_pid desc entry lamp_entry stranger_mac lamp_mac

	if ! setup; then
		not_ok "set up router, switch and three device namespaces"
		echo "# the test stops here"
		exit 1
	fi
	ok "set up router, switch and three device namespaces"

	check "attach iotguard natively to iot0" ig attach iot0 --mode native
	if rmmod iotguard 2>"$tmp/rmmod.err"; then
		not_ok "rmmod while the attached program uses the kfunc succeeded"
		insmod "$KO"
	else
		ok "rmmod refused while the program uses the kfunc ($(cat "$tmp/rmmod.err"))"
	fi
	ig status >"$tmp/status.txt" 2>&1 || true
	check "status lists iot0" grep -q iot0 "$tmp/status.txt"
	check "enroll the lamp (IPv4 with its MAC, IPv6) and the meter (50/s, burst 50)" \
		enroll

	# Traffic that must arrive: wait until it has (or the net gives up).
	recv_start lamp 0.0.0.0 5000 40
	recv_start lamp6 :: 5002 10
	send lamp --dst 198.18.1.1 --count 40 --rate 100 >/dev/null
	send lamp --dst 2001:2:0:1::1 --port 5002 --count 10 --rate 100 \
		>/dev/null
	tap_wait 300 0.2 at_least 40 received lamp 198.18.1.10 || true
	tap_wait 300 0.2 at_least 10 received lamp6 2001:2:0:1::10 || true
	recv_stop lamp
	recv_stop lamp6
	rx=$(received lamp 198.18.1.10)
	expect "enrolled device: $rx of 40 UDP datagrams arrive" "$rx == 40"
	rx6=$(received lamp6 2001:2:0:1::10)
	expect "enrolled IPv6 device: $rx6 of 10 datagrams arrive" \
		"$rx6 == 10"

	nsenter --net="$rtr_ns" python3 "$traffic" tcp-recv \
		--bind 198.18.1.1 --timeout 120 --ready "$tmp/tcp.ready" &
	tcp_pid=$!
	tap_wait 1200 0.1 ready_or_gone "$tcp_pid" "$tmp/tcp.ready"
	if ! echoed=$(dev lamp python3 "$traffic" tcp-send --src 198.18.1.10 \
	     --dst 198.18.1.1 --bytes 100000 --timeout 120 \
	     2>"$tmp/tcp-send.err"); then
		sed 's/^/# /' "$tmp/tcp-send.err"
		kill "$tcp_pid" 2>/dev/null || true
	fi
	wait "$tcp_pid" || true
	expect "enrolled device: TCP carries '$echoed' of 100000 bytes" \
		"'$echoed' == '100000'"

	# The stranger's ARP speaks for an address nobody enrolled: dropped,
	# and so the router never learns the stranger.
	stranger_mac=$(mac_of stranger)
	lamp_mac=$(mac_of lamp)
	before=$(gstat arp)
	dev stranger python3 "$arpsend" eth0 --sha "$stranger_mac" \
		--sip 198.18.1.20 --tip 198.18.1.1 --count 3 >/dev/null
	tap_wait 300 0.2 at_least $((before + 3)) gstat arp || true
	after=$(gstat arp)
	entry=$(rtr_lladdr 198.18.1.20)
	desc="unknown device's ARP dropped (arp +$((after - before)) of 3),"
	expect "$desc the router has no entry for it ('$entry')" \
		"$after - $before == 3 and '$entry' == ''"

	# ARP spoofing in the lamp's name: a forged reply, a gratuitous ARP
	# and a reply whose sender MAC is not the frame's source. Without the
	# guard the first two would repoint the router's entry for the lamp.
	lamp_entry=$(rtr_lladdr 198.18.1.10)
	before=$(gstat arp)
	dev stranger python3 "$arpsend" eth0 --op reply --sha "$stranger_mac" \
		--sip 198.18.1.10 --tip 198.18.1.1 >/dev/null
	dev stranger python3 "$arpsend" eth0 --sha "$stranger_mac" \
		--sip 198.18.1.10 --tip 198.18.1.10 >/dev/null
	dev stranger python3 "$arpsend" eth0 --op reply --src "$stranger_mac" \
		--sha "$lamp_mac" --sip 198.18.1.10 --tip 198.18.1.1 >/dev/null
	tap_wait 300 0.2 at_least $((before + 3)) gstat arp || true
	after=$(gstat arp)
	entry=$(rtr_lladdr 198.18.1.10)
	desc="ARP spoofing of the lamp dropped (arp +$((after - before)) of 3),"
	desc+=" the router's entry stays the lamp's ($entry, was $lamp_entry)"
	expect "$desc" "$after - $before == 3 and '$entry' == '$lamp_mac' \
		and '$lamp_entry' == '$lamp_mac'"

	# An unknown device that knows the router's MAC sends all the same.
	dev stranger ip neigh replace 198.18.1.1 dev eth0 nud permanent \
		lladdr "$(topo_exec "$TOPO-rtr" cat /sys/class/net/iot0/address)"

	# Traffic that must not arrive: wait until the guard counted all of
	# it, then judge what the receiver got.
	recv_start stranger
	sent=$(send stranger --dst 198.18.1.1 --count 20 --rate 100 |
		jget "d['sent']")
	tap_wait 300 0.2 at_least "$sent" unknown_seen 198.18.1.20 || true
	recv_stop stranger
	rx=$(received stranger 198.18.1.20)
	expect "unknown device: $rx of $sent datagrams arrive" "$rx == 0"
	# Its three ARP requests above asked in under the same address.
	seen=$(unknown_seen 198.18.1.20)
	desc="unknown lists 198.18.1.20 with $seen packets, as sent ($sent)"
	expect "$desc and its 3 ARP requests" "$seen == $sent + 3"

	# The meter: the guard accounts for every datagram as passed or over
	# the rate, the receiver gets those passed, and how many passed is
	# what the meter's rate and burst give over the real send times. Not
	# more (3% for the ends' timing); fewer only by what pauses longer
	# than its burst cost it in a loaded guest, seen to be under 10%.
	recv_start flood
	send flood --dst 198.18.1.1 --count 1000 --rate 250 --times \
		>"$tmp/flood-send.json"
	sent=$(jget "d['sent']" <"$tmp/flood-send.json")
	secs=$(jget "round(d['duration'], 2)" <"$tmp/flood-send.json")
	tap_wait 300 0.2 at_least "$sent" devstat 198.18.1.30 \
		pass rate || true
	pass=$(devstat 198.18.1.30 pass)
	rate=$(devstat 198.18.1.30 rate)
	tap_wait 300 0.2 at_least "$pass" received flood 198.18.1.30 || true
	recv_stop flood
	rx=$(received flood 198.18.1.30)
	want=$(gcra_passes "$tmp/flood-send.json" 50 50)
	naive=$(python3 -c "print(round(50 + 50 * $secs))")
	desc="over-rate device: $rx of $sent pass in ${secs}s, $want by"
	desc+=" the send times ($naive at an even pace), -25% +3%"
	expect "$desc" \
		"0.75 * $want <= $rx <= $want + max(3, 0.03 * $want)"
	desc="stats -j: meter passed $pass (received $rx), dropped $rate,"
	expect "$desc sent $sent" "$pass == $rx and $pass + $rate == $sent"
	pass=$(devstat 198.18.1.10 pass)
	expect "stats -j: lamp passed $pass packets (40 UDP + the TCP segments)" \
		"$pass > 40"

	ig device set 198.18.1.10 --state deny
	before=$(devstat 198.18.1.10 denied)
	recv_start deny
	send lamp --dst 198.18.1.1 --count 1 >/dev/null
	tap_wait 300 0.2 at_least $((before + 1)) devstat 198.18.1.10 \
		denied || true
	recv_stop deny
	after=$(devstat 198.18.1.10 denied)
	rx=$(received deny 198.18.1.10)
	# The lamp's ARP (a probe of a stale entry) is denied too, and would
	# count: at least the packet.
	desc="state deny drops the next packet: received $rx,"
	expect "$desc denied +$((after - before))" \
		"$rx == 0 and $after - $before >= 1"

	ig device set 198.18.1.10 --state allow
	recv_start allow 0.0.0.0 5000 5
	send lamp --dst 198.18.1.1 --count 5 >/dev/null
	tap_wait 300 0.2 at_least 5 received allow 198.18.1.10 || true
	recv_stop allow
	rx=$(received allow 198.18.1.10)
	expect "state allow again: $rx of 5 arrive" "$rx == 5"

	unknown=$(ig -j stats | jget "d['global']['unknown']['packets']")
	expect "stats -j: global unknown counter $unknown >= 20" \
		"$unknown >= 20"

	check "detach iot0" ig detach iot0
	recv_start detached 0.0.0.0 5000 5
	send stranger --dst 198.18.1.1 --count 5 >/dev/null
	tap_wait 300 0.2 at_least 5 received detached 198.18.1.20 || true
	recv_stop detached
	rx=$(received detached 198.18.1.20)
	expect "detached: the unknown device passes again ($rx of 5)" \
		"$rx == 5"

	# The last program using the kfunc is gone: the module may go once an
	# RCU grace period or so has passed, and comes back for the next test.
	if tap_wait 600 0.1 rmmod iotguard 2>/dev/null; then
		ok "rmmod succeeds once the program is detached"
		insmod "$KO"
	else
		not_ok "rmmod succeeds once the program is detached"
	fi
}

tap_plan 21
run
tap_end
