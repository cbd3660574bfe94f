#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The router's device-facing port in the package test's guest, made at
# every boot before iotguard.service attaches to it: iot0, a veth whose
# other end dev0 is the street (a network namespace) with lamp-1's address
# and a stranger's (tests/system/package_guest.sh).
set -eu

ip netns add street
ip link add iot0 address 02:00:00:00:00:01 type veth \
	peer name dev0 address 02:00:00:00:01:0b netns street
ip addr add 198.18.0.1/24 dev iot0
ip link set iot0 up
ip -n street link set lo up
ip -n street addr add 198.18.0.10/24 dev dev0
ip -n street addr add 198.18.0.66/24 dev dev0
ip -n street link set dev0 up
# The stranger's ARP would be dropped (it is unknown): the street knows
# the router already.
ip -n street neigh replace 198.18.0.1 lladdr 02:00:00:00:00:01 dev dev0 \
	nud permanent
