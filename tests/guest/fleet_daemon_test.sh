#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fleet and iotguardd end to end (Documentation/fleet.rst, "What a
# router decides"): on router r1 a lamp floods and iotguardd quarantines
# it on its own; r1's agent reports the quarantine, with iotguardd's
# detector and explanation; the gate, whose policy makes a light's
# quarantine for a surge city-wide, puts it in the city's bucket; router
# r2, where the lamp is enrolled too (as the city enrolled it), holds it
# back. Runs in the guest, as root, with iotguard.ko loaded. Prints TAP.
#
#  lamp 198.18.1.10 ── sw: br0 ── rtr (router r1): iot0 (XDP), iotguardd,
#                                 │  iotguard-sync r1, igc0 198.18.254.11
#  root: nats-server, iotguard-gate ── igcbr 198.18.254.1
#                                 │
#                                 r2: eth0 198.18.254.12, iotguard-sync r2
#
# Judged by the daemon's intervals, the tables and the store's entries,
# never by the clock: the waits are nets against hangs.

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igfd$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/daemon.sh
. "$repo/tests/lib/daemon.sh"
# shellcheck source=../lib/nats.sh
. "$repo/tests/lib/nats.sh"

sync=$repo/build/iotguard-sync
gate=$repo/build/iotguard-gate
lamp='name="lamp-1",class="light",address="198.18.1.10"'
BR=igcbr
R2=$TOPO-r2
export NATS_HOST=198.18.254.1 NATS_SAN=IP:198.18.254.1

cleanup() {
	daemon_cleanup
	nats_stop "$tmp" 1
	ip netns del "$R2" 2>/dev/null
	ip link del "$BR" 2>/dev/null
}
trap cleanup EXIT

# r2 ARGS...: iotguard in router r2's namespace.
r2() { nsenter --net="/run/netns/$R2" "$iotguard" "$@"; }

# state_in ROUTER ADDR: the device's state in that router's table.
state_in() {
	local out

	if [ "$1" = r1 ]; then
		out=$(ig -j device show "$2" 2>/dev/null)
	else
		out=$(r2 -j device show "$2" 2>/dev/null)
	fi
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])
print((d.get("devices") or [d])[0]["state"])' "$out" 2>/dev/null
}

# state_is ROUTER ADDR STATE
state_is() { [ "$(state_in "$1" "$2")" = "$3" ]; }

# lamp_send RATE COUNT: datagrams to the router, in the background.
lamp_send() {
	ip netns exec "$TOPO-lamp" python3 "$traffic" send --dst 198.18.1.1 \
		--count "$2" --rate "$1" >/dev/null 2>&1 &
	track $!
}

# agent ROUTER NAMESPACE: its agent, its log in tmp/agent-ROUTER.log.
agent() {
	nsenter --net="/run/netns/$2" "$sync" run --server "$S" \
		--cert "$C/router-$1.pem" --key "$C/router-$1.key" \
		--ca "$C/ca.pem" --router "$1" --state "$tmp/state-$1" \
		2>"$tmp/agent-$1.log" &
	track $!
}

in_step() {
	grep -q "in step with street\." "$tmp/agent-$1.log" &&
		grep -q "in step with city\." "$tmp/agent-$1.log"
}

# reported: r1's report of the lamp, as the operator reads it: "STATE
# DETECTOR BY REASON".
reported() {
	"$sync" watch "${op[@]}" 'report.r1.198-18-1-10' 2>/dev/null |
		python3 -c 'import json, sys
for line in sys.stdin:
    f = line.split(" ", 3)
    if len(f) == 4 and f[1] == "put":
        v = json.loads(f[3])
        print(v.get("state"), v.get("detector"), v.get("by"),
              v.get("reason"))'
}

# citywide: the city-wide quarantine of the lamp: "rev N VALUE" or nothing.
citywide() {
	"$city" list "${op[@]}" quarantine 2>/dev/null |
		sed -n 's/^city\.quarantine\.198-18-1-10 //p'
}

setup_city() {
	ip link add "$BR" type bridge &&
	ip addr add "$NATS_HOST/24" dev "$BR" &&
	ip link set "$BR" up &&
	ip link add igcv1 type veth peer name igc0 netns "$TOPO-rtr" &&
	ip link set igcv1 master "$BR" up &&
	ip -n "$TOPO-rtr" addr add 198.18.254.11/24 dev igc0 &&
	ip -n "$TOPO-rtr" link set igc0 up &&
	ip netns add "$R2" &&
	ip link add igcv2 type veth peer name eth0 netns "$R2" &&
	ip link set igcv2 master "$BR" up &&
	ip -n "$R2" addr add 198.18.254.12/24 dev eth0 &&
	ip -n "$R2" link set eth0 up &&
	ip -n "$R2" link set lo up || return 1
	nats_certs "$tmp" operator gate router-r1 router-r2 &&
	nats_cluster_config "$tmp" 1 iotguard-city r1 r2 || return 1
	nats_start "$tmp" 1
}

run() {
	local rep st

	lamp_setup || return 1
	city=$repo/build/iotguard-city
	if ! setup_city; then
		not_ok "a city of two routers and a JetStream server with TLS"
		return 1
	fi
	check "a JetStream server with TLS answers" \
		tap_wait 600 0.2 nats_ready "$tmp" 1
	C=$tmp/certs
	S=$(nats_urls 1)
	op=(--server "$S" --cert "$C/operator.pem" --key "$C/operator.key"
		--ca "$C/ca.pem")
	check "the operator creates the city's buckets for r1 and r2" \
		"$sync" create "${op[@]}" --replicas 1 r1 r2
	# The lamp is r1's (enrolled there by hand) and, as the city has
	# it, r2's street's too.
	"$sync" put "${op[@]}" street.r2.dev.198-18-1-10 \
		'{"id":"198.18.1.10","name":"lamp-1","class":"light","state":"allow","by":"operator:alice"}' \
		>/dev/null
	agent r1 "$TOPO-rtr"
	agent r2 "$R2"
	check "both routers' agents are in step" \
		tap_wait 1200 0.2 eval 'in_step r1 && in_step r2'
	check "r2's table has the lamp from the city, allowed" \
		tap_wait 600 0.2 state_is r2 198.18.1.10 allow

	echo "$PW" | "$gate" adduser --operators "$tmp/operators" alice \
		>/dev/null
	"$gate" run --server "$S" --cert "$C/gate.pem" --key "$C/gate.key" \
		--ca "$C/ca.pem" --operators "$tmp/operators" \
		--quarantine-citywide light --quarantine-detectors surge \
		2>"$tmp/gate.log" &
	track $!
	check "the gate serves, a light's quarantine for a surge city-wide" \
		tap_wait 600 0.2 grep -q "serving iotguard-city.gate" \
		"$tmp/gate.log"

	cat >"$tmp/iotguardd.conf" <<-CONF
	# the test's: learn fast, release never during the test
	interval = 1
	learn = 6
	release_after = 600
	listen = 127.0.0.1:9477
	state_dir = $tmp/state
	[class light]
	policy = quarantine
	CONF
	lamp_send 20 6000
	nsenter --net="/run/netns/$TOPO-rtr" "$iotguardd" --foreground \
		--config "$tmp/iotguardd.conf" >"$tmp/daemon.log" 2>&1 &
	track $!
	wait_listening || true
	if within 60 lamp_learnt; then
		wait_intervals 10 || true
		ok "iotguardd on r1 learns the lamp's steady rate"
	else
		not_ok "iotguardd on r1 learns the lamp's steady rate"
	fi
	# 50 times its rate: iotguardd quarantines it on r1.
	lamp_send 1000 20000
	check "the flooding lamp: iotguardd quarantines it on r1" \
		within 60 state_is r1 198.18.1.10 quarantine

	rep=
	if tap_wait 600 0.2 has_output reported; then
		rep=$(reported)
	fi
	case $rep in
	"quarantine surge router:r1 surge: "*)
		ok "r1's agent reports it: $rep" ;;
	*)
		not_ok "r1's agent reports it, with iotguardd's detector (got '$rep')"
		tail -n 5 "$tmp/agent-r1.log" | sed 's/^/# r1: /'
		;;
	esac
	if tap_wait 600 0.2 has_output citywide; then
		ok "the gate makes it city-wide: $(citywide)"
	else
		not_ok "the gate makes it city-wide"
		tail -n 5 "$tmp/gate.log" | sed 's/^/# gate: /'
	fi
	check "the gate's log says why" grep -q \
		"policy: 198.18.1.10 quarantined on router r1: city-wide now" \
		"$tmp/gate.log"
	if tap_wait 600 0.2 state_is r2 198.18.1.10 quarantine; then
		ok "r2 holds the lamp back too: quarantine"
	else
		not_ok "r2 holds the lamp back too (state $(state_in r2 198.18.1.10))"
		tail -n 5 "$tmp/agent-r2.log" | sed 's/^/# r2: /'
	fi
	st=$(state_in r1 198.18.1.10)
	check "on r1 the lamp stays quarantined ($st)" [ "$st" = quarantine ]
	if [ "$failed" -gt 0 ]; then
		sed 's/^/# daemon: /' "$tmp/daemon.log" | tail -20
	fi
}

PW="correct horse battery staple"
tap_plan 15
run
tap_end
