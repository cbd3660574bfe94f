#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Traffic for the end-to-end tests and the demo: paced UDP senders, a
receiver that counts what arrived, per source, a TCP echo of a byte count
and a capture to pcap. Only ever used inside network namespaces the test
made, towards addresses of its own.

The receivers tell when they are ready (--ready FILE, written once bound),
so that a test starts its sender after them instead of sleeping. The UDP
receiver keeps its counts in --out as they grow, and stops once it has
--expect datagrams, after --duration seconds, or on SIGTERM or SIGINT,
whichever comes first; what was already queued when told to stop counts."""

import argparse
import json
import os
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
    times = []
    for i in range(args.count):
        if interval:
            # Pace against the start so that slow iterations catch up.
            delay = start + i * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        try:
            port = args.port + (i % args.ports if args.ports else 0)
            sock.sendto(payload, (args.dst, port))
            sent += 1
            if args.times:
                times.append(time.monotonic())
        except OSError:
            pass
    duration = time.monotonic() - start
    result = {"sent": sent, "duration": duration, "size": args.size}
    if args.times:
        # CLOCK_MONOTONIC, the kernel's clock: when each datagram left.
        result["times"] = times
    json.dump(result, sys.stdout)
    print()


def write_file(path, text):
    """Writes path whole: a reader sees the old or the new text, never a
    part (renamed into place, unless path is not a regular file, such as
    /dev/null)."""
    if os.path.exists(path) and not os.path.isfile(path):
        with open(path, "w") as out:
            out.write(text)
        return
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as out:
        out.write(text)
    os.replace(tmp, path)


def stop_on_signals():
    """A list that becomes true on SIGTERM or SIGINT."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    return stop


def drain(sock, counts):
    """Counts the datagrams already queued on sock, without waiting."""
    got = 0
    sock.setblocking(False)
    try:
        while True:
            try:
                _, peer = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                break
            counts[peer[0]] = counts.get(peer[0], 0) + 1
            got += 1
    finally:
        sock.settimeout(0.2)
    return got


def recv(args):
    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((args.bind, args.port))
    stop = stop_on_signals()
    counts = {}
    total = 0
    deadline = None
    if args.duration is not None:
        deadline = time.monotonic() + args.duration
    if args.out:
        write_file(args.out, json.dumps(counts))
    if args.ready:
        write_file(args.ready, "ready\n")
    sock.settimeout(0.2)
    while not stop and (args.expect is None or total < args.expect):
        if deadline is not None and time.monotonic() >= deadline:
            break
        try:
            _, peer = sock.recvfrom(65535)
        except (socket.timeout, InterruptedError):
            continue
        counts[peer[0]] = counts.get(peer[0], 0) + 1
        # One write per batch of what arrived, not per datagram.
        total += 1 + drain(sock, counts)
        if args.out:
            write_file(args.out, json.dumps(counts))
    # Stopping anyway: a SIGTERM from now on must not find the default
    # action that the interpreter's exit puts back for Python handlers.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    drain(sock, counts)
    if args.out:
        write_file(args.out, json.dumps(counts))


def tcp_send(args):
    family = socket.AF_INET6 if ":" in args.dst else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(args.timeout)
        sock.bind((args.src, 0))
        # A server not waited for (tcp-recv --ready) may not listen yet:
        # retry refusals a while.
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
        if args.ready:
            write_file(args.ready, "ready\n")
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
    stop = stop_on_signals()
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
    p.add_argument("--ports", type=int, default=0,
                   help="sweep: datagram i to port PORT + i %% PORTS")
    p.add_argument("--times", action="store_true",
                   help="list when each datagram left")
    p.set_defaults(func=send)
    p = sub.add_parser("recv")
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--expect", type=int,
                   help="stop once this many datagrams arrived")
    p.add_argument("--duration", type=float,
                   help="stop after this many seconds")
    p.add_argument("--out", help="the counts per source, kept current")
    p.add_argument("--ready", help="written once the socket is bound")
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
    p.add_argument("--ready", help="written once the socket listens")
    p.set_defaults(func=tcp_recv)
    p = sub.add_parser("capture")
    p.add_argument("--dev", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=capture)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
