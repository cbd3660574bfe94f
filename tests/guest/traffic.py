#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Traffic for the end-to-end tests and the demo: paced UDP senders, a
receiver that counts what arrived, per source, and a capture to pcap. Only
ever used inside network namespaces the test made, towards addresses of
its own."""

import argparse
import json
import signal
import socket
import struct
import sys
import time


def send(args):
    family = socket.AF_INET6 if ":" in args.dst else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    if args.src:
        sock.bind((args.src, 0))
    payload = b"x" * args.size
    interval = 1.0 / args.rate if args.rate else 0.0
    start = time.monotonic()
    sent = 0
    for i in range(args.count):
        if interval:
            # Pace against the start so that slow iterations catch up.
            delay = start + i * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        try:
            sock.sendto(payload, (args.dst, args.port))
            sent += 1
        except OSError:
            pass
    duration = time.monotonic() - start
    json.dump({"sent": sent, "duration": duration, "size": args.size},
              sys.stdout)
    print()


def recv(args):
    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((args.bind, args.port))
    sock.settimeout(0.2)
    counts = {}
    deadline = time.monotonic() + args.duration
    while time.monotonic() < deadline:
        try:
            _, peer = sock.recvfrom(65535)
        except socket.timeout:
            continue
        counts[peer[0]] = counts.get(peer[0], 0) + 1
    with open(args.out, "w") as out:
        json.dump(counts, out)


def tcp_send(args):
    family = socket.AF_INET6 if ":" in args.dst else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(args.timeout)
        sock.bind((args.src, 0))
        # Under TCG the receiver may not listen yet: retry refusals a while.
        deadline = time.monotonic() + args.timeout
        while True:
            try:
                sock.connect((args.dst, args.port))
                break
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        sock.sendall(b"t" * args.bytes)
        sock.shutdown(socket.SHUT_WR)
        echoed = sock.recv(64)
    print(echoed.decode())


def tcp_recv(args):
    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((args.bind, args.port))
        srv.listen(4)
        srv.settimeout(args.timeout)
        conn, _ = srv.accept()
        with conn:
            total = 0
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                total += len(data)
            conn.sendall(str(total).encode())


def capture(args):
    """Every frame of a device, both ways, to a pcap with the kernel's
    nanosecond timestamps, until SIGTERM or SIGINT."""
    so_timestampns = 35  # SO_TIMESTAMPNS (SCM_TIMESTAMPNS), x86-64
    eth_p_all = 0x0003
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                         socket.htons(eth_p_all))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.setsockopt(socket.SOL_SOCKET, so_timestampns, 1)
    sock.bind((args.dev, eth_p_all))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    sock.settimeout(0.2)
    frames = 0
    with open(args.out, "wb") as out:
        # nanosecond pcap, snap length 65535, Ethernet
        out.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1))
        out.flush()
        print("capturing", flush=True)
        while not stop:
            try:
                data, anc, _, _ = sock.recvmsg(65535, 64)
            except socket.timeout:
                continue
            except InterruptedError:
                continue
            ns = time.time_ns()
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == so_timestampns:
                    sec, nsec = struct.unpack("qq", value[:16])
                    ns = sec * 10**9 + nsec
            out.write(struct.pack("<IIII", ns // 10**9, ns % 10**9,
                                  len(data), len(data)) + data)
            frames += 1
    json.dump({"frames": frames}, sys.stdout)
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("send")
    p.add_argument("--src")
    p.add_argument("--dst", required=True)
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--rate", type=float, default=0)
    p.add_argument("--size", type=int, default=32)
    p.set_defaults(func=send)
    p = sub.add_parser("recv")
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=recv)
    p = sub.add_parser("tcp-send")
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--port", type=int, default=5001)
    p.add_argument("--bytes", type=int, default=100000)
    p.add_argument("--timeout", type=float, default=5)
    p.set_defaults(func=tcp_send)
    p = sub.add_parser("tcp-recv")
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, default=5001)
    p.add_argument("--timeout", type=float, default=10)
    p.set_defaults(func=tcp_recv)
    p = sub.add_parser("capture")
    p.add_argument("--dev", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=capture)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
