# SPDX-License-Identifier: GPL-2.0
#
# A simulated street of a city network, shared by the end-to-end tests and
# the demo: device namespaces on a switch (a bridge), the switch's uplink
# into the router's device-facing port iot0.
#
#  ┌──────────────┐
#  │ $TOPO-<dev>  ├──┐  ┌──────────────┐        ┌──────────────────────┐
#  │ eth0         │  ├──┤ $TOPO-sw     │ uplink │ $TOPO-rtr            │
#  └──────────────┘  │  │ br0          ├────────┤ iot0 198.18.1.1/24   │
#        ...       ──┘  └──────────────┘        │ 2001:2:0:1::1/64     │
#                                               └──────────────────────┘
#
# Source it, set TOPO to a short unique prefix, then call topo_init,
# topo_add_device for each device and topo_cleanup at exit.

TOPO=${TOPO:-ig$$}
TOPO_NS=()

topo_exec() {
	local ns=$1

	shift
	ip netns exec "$ns" "$@"
}

# bpffs and its pins stay visible when only the net namespace is entered
# (ip netns exec remounts /sys).
topo_net() {
	local ns=$1

	shift
	nsenter --net=/run/netns/"$ns" "$@"
}

topo_rtr() {
	topo_net "$TOPO-rtr" "$@"
}

# No router solicitations, no DAD, no autoconf: they would show in counters.
topo_quiet_ns() {
	topo_exec "$1" sysctl -qw net.ipv6.conf.all.accept_ra=0 \
		net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.autoconf=0 net.ipv6.conf.default.autoconf=0 \
		net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null
	topo_exec "$1" ip link set lo up
}

topo_add_ns() {
	ip netns add "$1" || return 1
	TOPO_NS+=("$1")
	topo_quiet_ns "$1"
}

topo_init() {
	topo_add_ns "$TOPO-rtr" || return 1
	topo_add_ns "$TOPO-sw" || return 1
	topo_exec "$TOPO-sw" ip link add br0 type bridge || return 1
	topo_exec "$TOPO-sw" ip link set br0 up
	ip link add uplink netns "$TOPO-sw" type veth peer name iot0 \
		netns "$TOPO-rtr" || return 1
	topo_exec "$TOPO-sw" ip link set uplink master br0 up
	topo_exec "$TOPO-rtr" ip addr add 198.18.1.1/24 dev iot0
	topo_exec "$TOPO-rtr" ip addr add 2001:2:0:1::1/64 dev iot0 nodad
	topo_exec "$TOPO-rtr" ip link set iot0 up
}

# topo_add_device NAME IPV4 [IPV6]: namespace $TOPO-NAME on the switch.
topo_add_device() {
	local ns=$TOPO-$1 port=p-$1

	topo_add_ns "$ns" || return 1
	ip link add eth0 netns "$ns" type veth peer name "$port" \
		netns "$TOPO-sw" || return 1
	topo_exec "$TOPO-sw" ip link set "$port" master br0 up
	topo_exec "$ns" ip addr add "$2/24" dev eth0
	[ -z "${3:-}" ] || topo_exec "$ns" ip addr add "$3/64" dev eth0 nodad
	topo_exec "$ns" ip link set eth0 up
}

topo_cleanup() {
	local ns

	for ns in "${TOPO_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	TOPO_NS=()
}
