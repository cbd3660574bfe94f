#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DHCP snooping and IP source guard, end to end, with real DHCP: busybox's
# udhcpd on the router serves the guarded port, busybox's udhcpc on a
# device enrolled by MAC alone asks for its address. Runs in the guest, as
# root, with iotguard.ko loaded. Prints TAP.
#
#  ┌─────────────────────┐
#  │ sensor (by MAC)     ├──┐  ┌──────────┐        ┌──────────────────────┐
#  │ udhcpc              │  ├──┤ sw: br0  ├────────┤ rtr: iot0 (XDP, TC)  │
#  └─────────────────────┘  │  └──────────┘ uplink │ 198.18.1.1/24        │
#  ┌─────────────────────┐  │                      │ udhcpd .100 - .150   │
#  │ rogue 198.18.1.60   ├──┘                      └──────────────────────┘
#  │ udhcpd (a rogue)    │
#  └─────────────────────┘
#
# Every step waits for an event: the lease in `iotguard device show`, the
# client's script having run, the guard's counters having moved.

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igdhcp$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/guard.sh
. "$repo/tests/lib/guard.sh"

iotguard=$repo/build/iotguard
traffic=$repo/tests/guest/traffic.py
tmp=$(mktemp -d)
pids=()

ig() { topo_rtr "$iotguard" "$@"; }
dev() { topo_exec "$TOPO-$1" "${@:2}"; }

cleanup() {
	set +e
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	ig detach iot0 >/dev/null 2>&1
	topo_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

# lease: the sensor's lease as the module shows it, or "null".
lease() {
	local out

	out=$(ig -j device show "$sensor_mac") || return 1
	if [[ $out =~ \"lease\":\"([0-9.]+)\" ]]; then
		echo "${BASH_REMATCH[1]}"
	else
		echo null
	fi
}

# lease_is WANT: the sensor's lease is WANT ("null": none).
lease_is() {
	[ "$(lease)" = "$1" ]
}

# The client's script: the address it is given on eth0, and in $MARK.
cat >"$tmp/udhcpc.sh" <<'EOF'
#!/bin/sh
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	rm -f "$MARK"
	;;
bound|renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/24" dev "$interface"
	echo "$ip" >"$MARK.new" && mv "$MARK.new" "$MARK"
	;;
esac
EOF
chmod +x "$tmp/udhcpc.sh"

# udhcpd_conf NAME IFACE FIRST LAST [LEASE]: a server's configuration.
udhcpd_conf() {
	cat >"$tmp/$1.conf" <<-EOF
	start $3
	end $4
	interface $2
	lease_file $tmp/$1.leases
	pidfile $tmp/$1.pid
	option subnet 255.255.255.0
	option lease ${5:-600}
	EOF
	touch "$tmp/$1.leases"
}

# The sensor's client, in the background (answers broadcast, -B, so that
# the switch floods them to every port): releases on SIGUSR2, asks again
# on SIGUSR1, as a device that reboots does.
client_start() {
	ip netns exec "$TOPO-sensor" env MARK="$tmp/sensor.addr" \
		busybox udhcpc -f -R -B -i eth0 -s "$tmp/udhcpc.sh" -t 20 -T 1 \
		-A 1 >"$tmp/udhcpc.log" 2>&1 &
	client_pid=$!
	pids+=("$client_pid")
}

# server_start NAME: the router's server, with NAME's configuration (not
# through a function: $! must be the server's own PID, to stop it).
server_start() {
	ip netns exec "$TOPO-rtr" busybox udhcpd -f "$tmp/$1.conf" \
		>"$tmp/$1.log" 2>&1 &
	server_pid=$!
	pids+=("$server_pid")
}

# lease_seconds: the seconds left of the sensor's lease, as the module says.
lease_seconds() {
	local out

	out=$(ig -j device show "$sensor_mac") || return 1
	[[ $out =~ \"lease_seconds\":([0-9]+) ]] || return 1
	echo "${BASH_REMATCH[1]}"
}

# lease_events ADDR: the module's lease events for ADDR as the monitor
# printed them, one per line: the seconds left, or "ended".
lease_events() {
	python3 - "$tmp/monitor.jsonl" "$1" <<-'PY'
	import json, sys
	for line in open(sys.argv[1]):
	    ev = json.loads(line)
	    d = ev["device"]
	    if ev["event"] != "lease" or d.get("name") != "sensor-1":
	        continue
	    if d["lease"] is None:
	        print("ended")
	    elif d["lease"] == sys.argv[2]:
	        print(d["lease_seconds"])
	PY
}

# lease_began ADDR: the monitor has printed a lease of ADDR beginning.
lease_began() {
	lease_events "$1" | grep -q '^[0-9]'
}

# rogue_seen BEFORE: the guard dropped a rogue server's answer since the
# dhcp_server counter was BEFORE; if not yet, the sensor asks again (the
# rogue may not have been listening when it last asked).
rogue_seen() {
	at_least $(($1 + 1)) gstat dhcp_server && return 0
	kill -USR2 "$client_pid"
	kill -USR1 "$client_pid"
	return 1
}

# judge_unknown ADDR WHAT: 5 datagrams from the sensor's ADDR, all of them
# counted as from an unknown source.
judge_unknown() {
	local before after

	before=$(gstat unknown)
	sent_from "$1" 5
	tap_wait 300 0.2 at_least $((before + 5)) gstat unknown || true
	after=$(gstat unknown)
	expect "$2 are unknown (+$((after - before)) of 5)" \
		"$after - $before == 5"
}

# knows_router: the sensor has the router's MAC without asking, as an
# attacker would: its ARP from an address it holds no lease of is dropped.
knows_router() {
	dev sensor ip neigh replace 198.18.1.1 dev eth0 nud permanent \
		lladdr "$(topo_exec "$TOPO-rtr" cat /sys/class/net/iot0/address)"
}

# sent_from ADDR COUNT: COUNT datagrams from the sensor's ADDR to the router.
sent_from() {
	dev sensor python3 "$traffic" send --src "$1" --dst 198.18.1.1 \
		--count "$2" >/dev/null
}

setup() {
	topo_init && topo_add_device sensor 198.18.1.99 &&
	dev sensor ip -4 addr flush dev eth0 &&
	topo_add_device rogue 198.18.1.60 &&
	ig attach iot0 --mode native
}

run() {
	local before after addr desc

	if ! setup; then
		not_ok "set up router, switch, a sensor and a rogue"
		echo "# the test stops here"
		exit 1
	fi
	ok "set up router, switch, a sensor and a rogue"
	sensor_mac=$(dev sensor cat /sys/class/net/eth0/address)
	check "enroll the sensor by its MAC alone" \
		ig device add --mac "$sensor_mac" --name sensor-1 \
		--class sensor

	# Before any lease: its IP traffic is nobody's.
	dev sensor ip addr add 198.18.1.120/24 dev eth0
	knows_router
	judge_unknown 198.18.1.120 "before its lease, the sensor's datagrams"
	dev sensor ip -4 addr flush dev eth0
	dev sensor ip neigh flush dev eth0

	udhcpd_conf server iot0 198.18.1.100 198.18.1.150
	server_start server
	client_start
	if tap_wait 600 0.2 test -s "$tmp/sensor.addr"; then
		addr=$(<"$tmp/sensor.addr")
		ok "the sensor's DISCOVER and REQUEST pass: it leased $addr"
	else
		addr=none
		not_ok "the sensor leased an address"
		sed 's/^/# udhcpc: /' "$tmp/udhcpc.log"
	fi
	tap_wait 300 0.2 lease_is "$addr" || true
	expect "device show lists the lease: '$(lease)'" "'$(lease)' == '$addr'"

	before=$(gstat pass)
	sent_from "$addr" 10
	tap_wait 300 0.2 at_least $((before + 10)) gstat pass || true
	after=$(gstat pass)
	expect "from its leased address, 10 datagrams pass (+$((after - before)))" \
		"$after - $before >= 10"

	# IP source guard: another address on the same device is not its.
	# Outside every pool of the test: the server may lease any in its.
	dev sensor ip addr add 198.18.1.190/24 dev eth0
	judge_unknown 198.18.1.190 "from an address it did not lease, datagrams"
	dev sensor ip addr del 198.18.1.190/24 dev eth0

	# Its RELEASE ends the lease; the address is nobody's again.
	kill -USR2 "$client_pid"
	if tap_wait 300 0.2 lease_is null; then
		ok "its RELEASE ends the lease"
	else
		not_ok "its RELEASE ends the lease (still '$(lease)')"
	fi
	# Once the client has let the address go (its script ran), the
	# device sends from it all the same. Its last address gone, the
	# kernel forgot the router's MAC too.
	tap_wait 300 0.2 test ! -e "$tmp/sensor.addr" || true
	dev sensor ip addr replace "$addr/24" dev eth0
	knows_router
	judge_unknown "$addr" "after the release, its old address's datagrams"
	dev sensor ip -4 addr flush dev eth0

	# A device that reboots asks again from 0.0.0.0 and gets its lease.
	rm -f "$tmp/sensor.addr"
	kill -USR1 "$client_pid"
	if tap_wait 600 0.2 test -s "$tmp/sensor.addr" &&
	   tap_wait 300 0.2 lease_is "$(<"$tmp/sensor.addr")"; then
		ok "asking again, it leases $(<"$tmp/sensor.addr") again"
	else
		not_ok "asking again, it leases an address again ('$(lease)')"
	fi

	# A DHCP server on the device side: its answers never pass the port.
	udhcpd_conf rogue eth0 198.18.1.200 198.18.1.210
	before=$(gstat dhcp_server)
	ip netns exec "$TOPO-rogue" busybox udhcpd -f "$tmp/rogue.conf" \
		>"$tmp/rogue.log" 2>&1 &
	rogue_pid=$!
	pids+=("$rogue_pid")
	tap_wait 60 2 rogue_seen "$before" || true
	after=$(gstat dhcp_server)
	desc="a rogue server's answers are dropped at the port"
	expect "$desc (dhcp_server +$((after - before)))" "$after - $before >= 1"
	kill "$rogue_pid"

	# A lease ends when its time is up: a server that leases for 4 s,
	# a client that dies without a RELEASE (and never renews). Judged by
	# the module's events, not by reading the lease in time: under a slow
	# kernel 4 s may be over before `device show` runs.
	kill -USR2 "$client_pid"
	tap_wait 300 0.2 lease_is null || true
	kill "$server_pid"
	wait "$server_pid" 2>/dev/null || true
	udhcpd_conf short iot0 198.18.1.160 198.18.1.170 4
	server_start short
	# nsenter execs the monitor: $! is its own pid, to stop it.
	nsenter --net="/run/netns/$TOPO-rtr" "$iotguard" monitor -j \
		>"$tmp/monitor.jsonl" 2>"$tmp/monitor.err" &
	pids+=("$!")
	# The monitor is listening once an event of ours reaches it.
	ig device set "$sensor_mac" --class sensor >/dev/null || true
	tap_wait 300 0.2 grep -q '"event":"set"' "$tmp/monitor.jsonl" || true
	rm -f "$tmp/sensor.addr"
	kill -USR1 "$client_pid"
	if tap_wait 600 0.2 test -s "$tmp/sensor.addr" &&
	   tap_wait 300 0.2 lease_began "$(<"$tmp/sensor.addr")"; then
		addr=$(<"$tmp/sensor.addr")
		left=$(lease_events "$addr" | grep -m1 '^[0-9]')
		expect "a 4 s lease of $addr begins with $left s left" \
			"0 <= $left <= 4"
	else
		not_ok "a 4 s lease begins ($(lease_events "$(cat \
			"$tmp/sensor.addr" 2>/dev/null)" | tr '\n' ' '))"
		sed 's/^/# udhcpc: /' "$tmp/udhcpc.log"
		not_ok "the lease ends in its time (it never began)"
		not_ok "after the lease ended, its old address's datagrams are unknown"
		return 0
	fi
	kill -KILL "$client_pid"
	wait "$client_pid" 2>/dev/null || true
	# Ended with no event: its time ran out, nobody released it.
	if tap_wait 600 0.2 lease_is null &&
	   ! lease_events "$addr" | grep -q '^ended$'; then
		ok "with no RELEASE and no renewal, the lease ends in its time"
	else
		not_ok "the lease ends in its time ('$(lease)'," \
			"events: $(lease_events "$addr" | tr '\n' ' '))"
	fi
	dev sensor ip addr replace "$addr/24" dev eth0
	knows_router
	judge_unknown "$addr" "after the lease ended, its old address's datagrams"
}

tap_plan 14
run
tap_end
