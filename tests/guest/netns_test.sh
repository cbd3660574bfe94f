#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One network namespace, its own state: two routers, each in a namespace
# of its own, each guarding its port iot0 with a device of the same index,
# address and MAC (each table starts its cookies at random: theirs differ).
# A flood from one router's device must leave the other's counters, rate
# state, features and pins exactly as they were: a map shared by the two
# would restart the other's entry at every frame (another cookie).
# Runs in the guest, as root, with iotguard.ko loaded. Prints TAP.
#
#  ┌──────────────────┐        ┌─────────────────────────┐
#  │ da: eth0         ├────────┤ ra: iot0 (XDP)          │
#  │ 198.18.1.10      │        │ 198.18.1.1/24           │
#  └──────────────────┘        └─────────────────────────┘
#  ┌──────────────────┐        ┌─────────────────────────┐
#  │ db: eth0         ├────────┤ rb: iot0 (XDP)          │
#  │ 198.18.1.10      │        │ 198.18.1.1/24           │
#  └──────────────────┘        └─────────────────────────┘
#
# Both devices may send 10 frames back to back, then 1 a second. Every
# neighbour entry is static and IPv6 is off, so that the frames the guard
# sees are the test's datagrams and nothing else: the counts are exact.
# Each step waits for the guard to have counted every datagram sent.

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=ignet$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"

iotguard=$repo/build/iotguard
traffic=$repo/tests/guest/traffic.py
featsnap=$repo/tests/lib/featsnap.py
tmp=$(mktemp -d)

DEV4=198.18.1.10
RTR4=198.18.1.1
DEV_MAC=02:00:00:00:01:0a
RTR_MAC=02:00:00:00:01:01
FLOOD=200

# ig X ARGS: the CLI in router X's namespace (a or b).
ig() { topo_net "$TOPO-r$1" "$iotguard" "${@:2}"; }

cleanup() {
	set +e
	ig a detach iot0 >/dev/null 2>&1
	ig b detach iot0 >/dev/null 2>&1
	topo_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

# num_after TEXT KEY: the number right after the literal KEY in TEXT.
num_after() {
	[[ $1 =~ "$2"([0-9]+) ]] || return 1
	echo "${BASH_REMATCH[1]}"
}

# devstat X REASON: the packets of router X's device's counter REASON
# (pass, denied, spoofed, rate).
devstat() {
	local out

	out=$(ig "$1" -j stats "$DEV4") || return 1
	out=${out#*\"devices\":}	# past the global counters
	num_after "$out" "\"$2\":{\"packets\":"
}

# gstat X REASON: the packets of router X's global counter REASON.
gstat() {
	local out

	out=$(ig "$1" -j stats) || return 1
	out=${out%%\"devices\":*}	# the global counters alone
	num_after "$out" "\"$2\":{\"packets\":"
}

# counted X N: router X's device has N frames counted, passed or over rate.
counted() {
	local pass rate

	pass=$(devstat "$1" pass) && rate=$(devstat "$1" rate) &&
		[ $((pass + rate)) -ge "$2" ]
}

# pins X: router X's pin directory, as iotguard status names it.
# pins X: router X's pin directory (X "init": this, the initial namespace).
pins() {
	local out

	# exit 4: nothing attached yet, which is no error here
	if [ "$1" = init ]; then
		out=$("$iotguard" -j status) || [ $? = 4 ] || return 1
	else
		out=$(ig "$1" -j status) || [ $? = 4 ] || return 1
	fi
	[[ $out =~ \"pins\":\"([^\"]+)\" ]] && echo "${BASH_REMATCH[1]}"
}

# send X COUNT: COUNT datagrams from router X's device, at once.
send() {
	topo_exec "$TOPO-d$1" python3 "$traffic" send --dst "$RTR4" \
		--count "$2" >/dev/null
}

# features X: the packets in router X's features of its device, read from
# its namespace's maps (tests/lib/featsnap.py).
features() {
	ig "$1" -j device list >"$tmp/devices-$1.json" &&
		topo_net "$TOPO-r$1" python3 "$featsnap" \
			"$tmp/devices-$1.json" "$tmp/features-$1.json" &&
		python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["devices"][sys.argv[2]]["packets"])' \
			"$tmp/features-$1.json" "dev-$1"
}

setup_pair() {
	local r=$TOPO-r$1 d=$TOPO-d$1 ns

	topo_add_ns "$r"
	topo_add_ns "$d"
	for ns in "$r" "$d"; do
		topo_exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	done
	ip link add eth0 netns "$d" address "$DEV_MAC" type veth \
		peer name iot0 netns "$r" address "$RTR_MAC"
	topo_exec "$r" ip addr add "$RTR4/24" dev iot0
	topo_exec "$d" ip addr add "$DEV4/24" dev eth0
	topo_exec "$r" ip link set iot0 up
	topo_exec "$d" ip link set eth0 up
	# No ARP: it would be charged to the device's rate.
	topo_exec "$r" ip neigh replace "$DEV4" lladdr "$DEV_MAC" dev iot0 \
		nud permanent
	topo_exec "$d" ip neigh replace "$RTR4" lladdr "$RTR_MAC" dev eth0 \
		nud permanent
	ig "$1" device add "$DEV4" --name "dev-$1" --mac "$DEV_MAC" \
		--rate 1 --burst 10 >/dev/null
}

tap_plan 16

setup_pair a
setup_pair b

pins_a=$(pins a)
pins_b=$(pins b)
expect "each router's namespace has a pin directory of its own" \
	"'$pins_a' != '$pins_b' and all(p.startswith('/sys/fs/bpf/iotguard/netns/') for p in ('$pins_a', '$pins_b'))"
same "the initial namespace's pin directory is the top one" \
	/sys/fs/bpf/iotguard "$(pins init)"
check "attach to router a's iot0" ig a attach iot0 --mode native
check "attach to router b's iot0 (the same name)" \
	ig b attach iot0 --mode native
check "each link pinned in its namespace's directory" \
	test -e "$pins_a/links/iot0" -a -e "$pins_b/links/iot0" \
	-a -e "$pins_a/iotguard_devstats" -a -e "$pins_b/iotguard_devstats"

show_a=$(ig a -j device show "$DEV4")
show_b=$(ig b -j device show "$DEV4")
expect "the two devices hold the same index" \
	"'$(num_after "$show_a" '"index":')' == '$(num_after "$show_b" '"index":')'"

# b's device: 4 of its burst of 10.
send b 4
tap_wait 600 0.2 counted b 4 || true
expect "router b counts its device's 4 frames as passed" \
	"$(devstat b pass) == 4 and $(devstat b rate) == 0"

# a's device floods: all but its burst (and a frame a second) over rate.
send a "$FLOOD"
tap_wait 600 0.2 counted a "$FLOOD" || true
pass_a=$(devstat a pass)
rate_a=$(devstat a rate)
expect "router a counts the flood, most of it over rate" \
	"$pass_a + $rate_a == $FLOOD and $rate_a >= $FLOOD / 2"
expect "router b's counters untouched by a's flood" \
	"$(devstat b pass) == 4 and $(devstat b rate) == 0 and $(devstat b denied) == 0"

# b's rate state is its own: 5 more of its burst still pass.
send b 5
tap_wait 600 0.2 counted b 9 || true
expect "router b's device still has its burst: 5 more pass" \
	"$(devstat b pass) == 9 and $(devstat b rate) == 0"
expect "router b's global counters are its device's alone" \
	"$(gstat b pass) == 9 and $(gstat b rate) == 0"
expect "router b's features count its 9 frames alone" \
	"$(features b) == 9"
expect "router a's features count what its device offered alone" \
	"$(features a) == $(devstat a pass) + $(devstat a rate) + $(devstat a denied)"

check "detach router a's iot0" ig a detach iot0
status_b=$(ig b -j status)
expect "router b's iot0 is still attached" \
	"'\"interface\":\"iot0\",\"state\":\"attached\"' in '''$status_b''' and __import__('os').path.exists('$pins_b/links/iot0')"
send b 1
tap_wait 600 0.2 counted b 10 || true
expect "router b still guards and counts its device" \
	"$(devstat b pass) == 10 and $(devstat b rate) == 0"

tap_end
