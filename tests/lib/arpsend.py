#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sends hand-made ARP frames on an interface, as a spoofer would.

The kernel's ARP always tells the truth about its own interface; to test
that the guard drops forgeries, the frames are built here and sent on a
packet socket: any Ethernet source, sender MAC, sender IP and target IP.
Prints the number of frames sent.
"""
import argparse
import socket
import struct


def mac(text):
    return bytes(int(part, 16) for part in text.split(":"))


def ipv4(text):
    return socket.inet_aton(text)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("iface")
    p.add_argument("--op", choices=["request", "reply"], default="request")
    p.add_argument("--src", type=mac, help="Ethernet source (default: "
                   "the sender MAC)")
    p.add_argument("--sha", type=mac, required=True, help="sender MAC")
    p.add_argument("--sip", type=ipv4, required=True, help="sender IP")
    p.add_argument("--tip", type=ipv4, required=True, help="target IP")
    p.add_argument("--count", type=int, default=1)
    args = p.parse_args()

    src = args.src or args.sha
    op = 1 if args.op == "request" else 2
    eth = b"\xff" * 6 + src + struct.pack("!H", 0x0806)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op)
    arp += args.sha + args.sip + b"\x00" * 6 + args.tip
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((args.iface, 0))
        for _ in range(args.count):
            s.send(eth + arp)
    print(args.count)


if __name__ == "__main__":
    main()
