#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""How the devices of the simulated city (tests/lib/city.sh) behave.

    behave.py run CLASS --dst ADDR [--netns PATH] [options]
        one device's behaviour, in the current (or the given) network
        namespace, until killed
    behave.py city --spec FILE --pids FILE
        one process per device of FILE (lines: NAME NETNS CLASS DST
        [OPTION=VALUE...]), forked from this one so that twenty devices cost
        one interpreter start (~0.8 s of CPU each under TCG); writes
        "NAME PID" lines to --pids once all run, and kills them when killed
    behave.py sink [--netns PATH]
        the servers the devices talk to, on every address of the namespace

Time: --scale K runs a device K times faster than the cadences below say
(periods, the day and the frame interval divided by K, a camera's key frame
still every --fps frames), so that a test can compress simulated time by K
and run the daemon's interval K times shorter. SIGUSR1 sends the device to
--alt from then on, in place: it changes its ways without a restart.

Classes:
    sensor  a reading of 40-90 bytes every --period s (2), +-jitter (30 %)
    camera  a steady stream: --fps (25) frames of ~1200 bytes, a key frame
            (4 x 1400 bytes) each second
    meter   bursty uploads: a TCP connection every ~--period s (5) that
            carries 16-48 kB, silence in between
    light   a street light on a compressed day (--day s of real time per
            24 h, 120): a status every 6 s by day, every 1 s at night
            (18:00-06:00) when it is on, 3 events at dusk and dawn; --phase
            is the time of day at the start (0: midnight, 0.5: noon)

Only ever sends to addresses the test gave it, from namespaces it made.
"""

import argparse
import ctypes
import errno
import os
import random
import selectors
import signal
import socket
import sys
import time

CLONE_NEWNET = 0x40000000
UDP_PORT = 5683         # CoAP: sensors, lights
STREAM_PORT = 5004      # RTP: cameras
UPLOAD_PORT = 4443      # meters

_libc = ctypes.CDLL(None, use_errno=True)


def enter_netns(path):
    """Moves this process into the network namespace at path."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), path)
    finally:
        os.close(fd)


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def udp_socket(dst):
    return socket.socket(family_of(dst), socket.SOCK_DGRAM)


def send(sock, payload, dst, port):
    try:
        sock.sendto(payload, (dst, port))
    except OSError:
        # No route yet, or a full queue: a real device would retry later.
        pass


def sleep_until(t):
    delay = t - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def sensor(args, rng):
    period = args.period / args.scale
    sock = udp_socket(args.dst)
    nxt = time.monotonic() + rng.uniform(0, period)
    while True:
        sleep_until(nxt)
        reading = b'{"t":%.2f,"rh":%d}' % (rng.uniform(-5, 35),
                                          rng.randint(20, 90))
        send(sock, reading.ljust(rng.randint(40, 90), b" "), args.dst,
             UDP_PORT)
        nxt += period * (1 + rng.uniform(-args.jitter, args.jitter))


def camera(args, rng):
    sock = udp_socket(args.dst)
    interval = 1.0 / (args.fps * args.scale)
    start = time.monotonic() + rng.uniform(0, interval)
    frame = 0
    while True:
        sleep_until(start + frame * interval)
        if frame % args.fps == 0:
            for _ in range(4):
                send(sock, os.urandom(1400), args.dst, STREAM_PORT)
        else:
            send(sock, os.urandom(rng.randint(1100, 1300)), args.dst,
                 STREAM_PORT)
        frame += 1


def meter(args, rng):
    period = args.period / args.scale
    time.sleep(rng.uniform(0, period))
    while True:
        try:
            with socket.create_connection((args.dst, UPLOAD_PORT),
                                          timeout=3) as conn:
                conn.sendall(os.urandom(rng.randint(16, 48) * 1024))
        except OSError:
            pass
        time.sleep(period * rng.uniform(0.6, 1.4))


def light(args, rng):
    sock = udp_socket(args.dst)
    day = args.day / args.scale
    start = time.monotonic()
    was_night = None
    nxt = start + rng.uniform(0, 1) / args.scale
    while True:
        sleep_until(nxt)
        hour = ((args.phase + (time.monotonic() - start) / day) % 1) * 24
        night = hour < 6 or hour >= 18
        if was_night is not None and night != was_night:
            for _ in range(3):
                send(sock, b'{"event":"%s"}' % (b"on" if night else b"off"),
                     args.dst, UDP_PORT)
        was_night = night
        status = b'{"lamp":%d,"h":%.1f}' % (night, hour)
        send(sock, status.ljust(64, b" "), args.dst, UDP_PORT)
        nxt += (1.0 if night else 6.0) / args.scale


BEHAVIOURS = {"sensor": sensor, "camera": camera, "meter": meter,
              "light": light}


def behaviour_parser():
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("cls", choices=sorted(BEHAVIOURS))
    p.add_argument("--dst", required=True)
    p.add_argument("--netns")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--period", type=float)
    p.add_argument("--jitter", type=float, default=0.3)
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--day", type=float, default=120.0)
    p.add_argument("--phase", type=float, default=0.0)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--alt")
    return p


def run_behaviour(args):
    if args.netns:
        enter_netns(args.netns)
    if args.period is None:
        args.period = 5.0 if args.cls == "meter" else 2.0
    if args.scale <= 0:
        raise ValueError("--scale must be positive")
    if args.alt:
        def redirect(*_):
            args.dst = args.alt
        signal.signal(signal.SIGUSR1, redirect)
    rng = random.Random(args.seed)
    BEHAVIOURS[args.cls](args, rng)


def run(argv):
    args = behaviour_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        run_behaviour(args)
    except KeyboardInterrupt:
        pass


def city(argv):
    p = argparse.ArgumentParser(prog="behave.py city")
    p.add_argument("--spec", required=True)
    p.add_argument("--pids", required=True)
    args = p.parse_args(argv)

    devices = []
    with open(args.spec) as spec:
        for line in spec:
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            name, netns, cls, dst = words[:4]
            opts = ["--" + w.replace("=", " ", 1) for w in words[4:]]
            bargs = behaviour_parser().parse_args(
                [cls, "--dst", dst, "--netns", netns] +
                " ".join(opts).split())
            devices.append((name, bargs))

    children = {}

    def stop(*_):
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in list(children):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for name, bargs in devices:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                run_behaviour(bargs)
            except BaseException as e:  # noqa: BLE001 - report, then die
                print(f"behave: {name}: {e}", file=sys.stderr)
            os._exit(1)
        children[pid] = name
    tmp = args.pids + ".tmp"
    with open(tmp, "w") as out:
        for pid, name in children.items():
            out.write(f"{name} {pid}\n")
    os.rename(tmp, args.pids)
    # Reap: a device silenced by the test is just gone.
    while children:
        try:
            pid, _ = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        children.pop(pid, None)


def sink(argv):
    p = argparse.ArgumentParser(prog="behave.py sink")
    p.add_argument("--netns")
    args = p.parse_args(argv)
    if args.netns:
        enter_netns(args.netns)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    sel = selectors.DefaultSelector()
    for port in (UDP_PORT, STREAM_PORT):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind(("::", port))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, "udp")
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("::", UPLOAD_PORT))
    srv.listen(64)
    srv.setblocking(False)
    sel.register(srv, selectors.EVENT_READ, "listen")
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            try:
                if key.data == "listen":
                    conn, _ = s.accept()
                    conn.setblocking(False)
                    sel.register(conn, selectors.EVENT_READ, "conn")
                elif key.data == "udp":
                    while True:
                        s.recv(65535)
                elif not s.recv(65536):
                    sel.unregister(s)
                    s.close()
            except BlockingIOError:
                pass
            except OSError as e:
                if key.data == "conn" and e.errno != errno.EAGAIN:
                    sel.unregister(s)
                    s.close()


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "city", "sink"):
        print(__doc__, file=sys.stderr)
        return 2
    {"run": run, "city": city, "sink": sink}[sys.argv[1]](sys.argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
