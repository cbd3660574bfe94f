#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sends an IPv6 Router Advertisement on an interface, to all nodes.

From the router's namespace it is the router's own advertisement, from
which a device configures its addresses (SLAAC, temporary ones); from a
device's namespace it is a rogue router's. The kernel fills in the
source (the interface's link-local address) and the checksum. Prints the
number of advertisements sent.
"""
import argparse
import ipaddress
import socket
import struct

ND_OPT_SLLA = 1
ND_OPT_PREFIX = 3


def mac_of(iface):
    with open(f"/sys/class/net/{iface}/address") as f:
        return bytes(int(part, 16) for part in f.read().strip().split(":"))


def advertisement(mac, prefix, lifetime):
    # cur hop limit 64, no flags, router lifetime, reachable, retrans
    ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, lifetime, 0, 0)
    ra += struct.pack("!BB", ND_OPT_SLLA, 1) + mac
    if prefix:
        net = ipaddress.IPv6Network(prefix)
        # on-link and autonomous; valid 1 h, preferred 30 min
        ra += struct.pack("!BBBBIII", ND_OPT_PREFIX, 4, net.prefixlen,
                          0xc0, 3600, 1800, 0)
        ra += net.network_address.packed
    return ra


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("iface")
    p.add_argument("--prefix", help="a prefix to advertise, ADDR/LEN")
    p.add_argument("--lifetime", type=int, default=0,
                   help="router lifetime in seconds (0: not a default "
                   "router)")
    p.add_argument("--count", type=int, default=1)
    args = p.parse_args()

    msg = advertisement(mac_of(args.iface), args.prefix, args.lifetime)
    with socket.socket(socket.AF_INET6, socket.SOCK_RAW,
                       socket.IPPROTO_ICMPV6) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE,
                     args.iface.encode())
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF,
                     socket.if_nametoindex(args.iface))
        for _ in range(args.count):
            s.sendto(msg, ("ff02::1", 0, 0,
                           socket.if_nametoindex(args.iface)))
    print(args.count)


if __name__ == "__main__":
    main()
