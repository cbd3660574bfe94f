#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IPv6 neighbour discovery under the guard, end to end, with the kernel's
# own NDP and SLAAC. Runs in the guest, as root, with iotguard.ko loaded.
# Prints TAP.
#
#  ┌──────────────────────┐  ┌──────────┐        ┌──────────────────────────┐
#  │ cam (by prefix)      ├──┤ sw: br0  ├────────┤ rtr: iot0 (XDP)          │
#  │ SLAAC and temporary  │  │          │ uplink │ 2001:2:0:1::1/64         │
#  │ in 2001:2:0:5::/64   │  │          │        │ 2001:2:0:5::1/64         │
#  └──────────────────────┘  │          │        │ 2001:2:0:7::1/64         │
#  ┌──────────────────────┐  │          │        │ accept_ra=2 (a router    │
#  │ air (by MAC)         ├──┤          │        │ that would take an RA)   │
#  │ SLAAC in             │  └──────────┘        └──────────────────────────┘
#  │ 2001:2:0:7::/64      │
#  └──────────────────────┘
#
# 1. A Router Advertisement from the device side (tests/lib/rasend.py):
#    in monitor mode it reaches the router and sets its default route (so
#    the check below can fail); enforced, it is dropped (ndp) and the
#    router's routes stay as they were.
# 2. The router advertises 2001:2:0:5::/64; the cam's kernel configures a
#    SLAAC address and a temporary one in it (DAD from :: passes). The cam
#    is enrolled by that prefix: the router reaches it (its NA, unicast to
#    the router's global address, passes); both addresses are one device,
#    with one rate budget; an address outside the prefix is unknown.
# 3. The air sensor, enrolled by its MAC alone, configures a SLAAC address
#    in 2001:2:0:7::/64: its DAD binds the address to it (first come, first
#    served), and its datagrams from it pass as its own.
#
# Every step waits for an event: a route, an address, a counter.

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igndp$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/guard.sh
. "$repo/tests/lib/guard.sh"

iotguard=$repo/build/iotguard
traffic=$repo/tests/guest/traffic.py
rasend=$repo/tests/lib/rasend.py
prefix=2001:2:0:5::/64

ig() { topo_rtr "$iotguard" "$@"; }
dev() { topo_exec "$TOPO-$1" "${@:2}"; }
rtr() { topo_exec "$TOPO-rtr" "$@"; }

cleanup() {
	set +e
	ig detach iot0 >/dev/null 2>&1
	topo_cleanup
}
trap cleanup EXIT

default_route() {
	rtr ip -6 route show default dev iot0 | grep . >/dev/null
}

routes() {
	rtr ip -6 route show table all
}

# cam_addrs: the cam's global addresses in $prefix, done with DAD: the
# SLAAC one, then the temporary one, one per line.
cam_addrs() {
	local out slaac temp

	out=$(dev cam ip -6 -o addr show dev eth0 scope global) || return 1
	[[ $out != *tentative* ]] || return 1
	slaac=$(grep -v temporary <<<"$out" | grep -o '2001:2:0:5:[0-9a-f:]*' |
		head -n 1)
	temp=$(grep temporary <<<"$out" | grep -o '2001:2:0:5:[0-9a-f:]*' |
		head -n 1)
	[ -n "$slaac" ] && [ -n "$temp" ] || return 1
	printf '%s\n%s\n' "$slaac" "$temp"
}

# rtr_knows ADDR: the router has a link-layer address for ADDR, from an NA.
rtr_knows() {
	rtr ip -6 neigh show "$1" dev iot0 | grep lladdr >/dev/null
}

send_from() {
	dev cam python3 "$traffic" send --src "$1" --dst 2001:2:0:5::1 \
		--count "$2" >/dev/null
}

setup() {
	topo_init && topo_add_device cam 198.18.1.30 &&
	topo_add_device air 198.18.1.31 &&
	rtr sysctl -qw net.ipv6.conf.iot0.accept_ra=2 &&
	rtr ip addr add 2001:2:0:5::1/64 dev iot0 nodad &&
	ig attach iot0 --mode native --monitor
}

rogue_ra() {
	local before after n

	cam_mac=$(dev cam cat /sys/class/net/eth0/address)
	# Monitor mode: the RA passes and the router takes it.
	dev cam python3 "$rasend" eth0 --lifetime 1800 --prefix 2001:2:0:99::/64 \
		>/dev/null
	if tap_wait 300 0.2 default_route; then
		ok "monitor mode: a device's RA reaches the router and sets its default route"
	else
		not_ok "monitor mode: a device's RA sets the router's default route"
	fi
	rtr ip -6 route flush proto ra
	rtr ip -6 route del 2001:2:0:99::/64 dev iot0 2>/dev/null || true
	check "the RA's routes are gone again" eval '! default_route'

	check "enforce: attach iot0 without --monitor" \
		eval 'ig detach iot0 && ig attach iot0 --mode native'
	before=$(routes)
	n=$(gstat ndp)
	dev cam python3 "$rasend" eth0 --lifetime 1800 --prefix 2001:2:0:99::/64 \
		>/dev/null
	tap_wait 300 0.2 at_least $((n + 1)) gstat ndp || true
	after=$(gstat ndp)
	expect "enforce: the device's RA is dropped (ndp +$((after - n)))" \
		"$after - $n == 1"
	if [ "$(routes)" = "$before" ]; then
		ok "enforce: the router's routes are unchanged"
	else
		not_ok "enforce: the router's routes are unchanged"
		diff <(echo "$before") <(routes) | sed 's/^/# /' || true
	fi
}

slaac() {
	local addrs slaac temp pass rate before n after

	check "enroll the cam by its prefix $prefix, MAC bound, 1/s burst 5" \
		ig device add "$prefix" --name cam-1 --class camera \
		--mac "$cam_mac" --rate 1 --burst 5
	dev cam sysctl -qw net.ipv6.conf.eth0.accept_ra=1 \
		net.ipv6.conf.eth0.autoconf=1 net.ipv6.conf.eth0.use_tempaddr=2 \
		net.ipv6.conf.eth0.accept_dad=1
	rtr python3 "$rasend" iot0 --prefix "$prefix" >/dev/null
	if tap_wait 600 0.2 cam_addrs; then
		addrs=$(cam_addrs)
		slaac=$(sed -n 1p <<<"$addrs")
		temp=$(sed -n 2p <<<"$addrs")
		ok "the cam configured $slaac and temporary $temp (DAD passed)"
	else
		not_ok "the cam configured a SLAAC and a temporary address"
		dev cam ip -6 addr show dev eth0 | sed 's/^/# /'
		return 0
	fi

	# The router resolves the cam from its global address: the cam's NA
	# goes unicast to it, and must pass (and so must the cam's NUD
	# probes of the router's global address).
	rtr python3 "$traffic" send --src 2001:2:0:5::1 --dst "$slaac" \
		--count 1 >/dev/null
	if tap_wait 300 0.2 rtr_knows "$slaac"; then
		ok "the router resolves the cam (its NA to the router's global address passes)"
	else
		not_ok "the router resolves the cam ($(rtr ip -6 neigh show "$slaac" dev iot0), ndp $(gstat ndp))"
	fi

	# Both sides' neighbours known from here on, so that no NDP (which
	# spends the same budget) is in the count.
	dev cam ip -6 neigh replace 2001:2:0:5::1 dev eth0 nud permanent \
		lladdr "$(rtr cat /sys/class/net/iot0/address)"
	rtr ip -6 neigh replace "$slaac" dev iot0 nud permanent \
		lladdr "$cam_mac"
	before=$(devstat "$prefix" pass rate)
	send_from "$slaac" 10
	send_from "$temp" 10
	tap_wait 300 0.2 at_least $((before + 20)) devstat "$prefix" pass rate ||
		true
	pass=$(devstat "$prefix" pass) || pass=-1
	rate=$(devstat "$prefix" rate) || rate=-1
	expect "both addresses' 20 datagrams are the cam's (pass $pass + rate $rate, $before before)" \
		"$pass + $rate - $before == 20"
	expect "one rate budget for both: some are over it (rate $rate)" \
		"$rate >= 1"

	dev cam ip addr add 2001:2:0:6::a/64 dev eth0 nodad
	n=$(gstat unknown)
	send_from 2001:2:0:6::a 3
	tap_wait 300 0.2 at_least $((n + 3)) gstat unknown || true
	after=$(gstat unknown)
	expect "from outside the prefix, datagrams are unknown (+$((after - n)) of 3)" \
		"$after - $n == 3"
}

# air_addr: the air sensor's global address in 2001:2:0:7::/64, done with
# DAD.
air_addr() {
	local out

	out=$(dev air ip -6 -o addr show dev eth0 scope global) || return 1
	[[ $out != *tentative* ]] || return 1
	grep -o -m 1 '2001:2:0:7:[0-9a-f:]*' <<<"$out"
}

# 3. A device enrolled by its MAC alone configures a SLAAC address: its
#    DAD binds the address to it, and its datagrams from it are its own.
by_mac() {
	local mac addr n

	mac=$(dev air cat /sys/class/net/eth0/address)
	check "enroll the air sensor by its MAC alone" \
		ig device add --mac "$mac" --name air-1 --class sensor
	rtr ip addr add 2001:2:0:7::1/64 dev iot0 nodad
	dev air sysctl -qw net.ipv6.conf.eth0.accept_ra=1 \
		net.ipv6.conf.eth0.autoconf=1 net.ipv6.conf.eth0.accept_dad=1
	rtr python3 "$rasend" iot0 --prefix 2001:2:0:7::/64 >/dev/null
	if tap_wait 600 0.2 air_addr; then
		addr=$(air_addr)
		ok "the air sensor configured $addr (its DAD passed)"
	else
		not_ok "the air sensor configured a SLAAC address"
		not_ok "its datagrams from it are its own"
		return 0
	fi
	dev air python3 "$traffic" send --src "$addr" --dst 2001:2:0:7::1 \
		--count 5 >/dev/null
	tap_wait 300 0.2 at_least 5 devstat "$mac" pass || true
	n=$(devstat "$mac" pass) || n=-1
	expect "its 5 datagrams from $addr pass as its own (pass $n)" \
		"$n == 5"
}

run() {
	if ! setup; then
		not_ok "set up a router that takes RAs, and a cam"
		echo "# the test stops here"
		exit 1
	fi
	ok "set up a router that takes RAs, and a cam"
	rogue_ra
	slaac
	by_mac
}

tap_plan 15
run
tap_end
