#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A snapshot of the pinned features maps (include/iotguard/features.h) for
the tests' assertions: not the daemon's reader, a test's independent one.

    featsnap.py DEVICES.json OUT.json [SECONDS] [--ready FILE]

DEVICES.json is `iotguard -j device list`, of the network namespace this
runs in: the maps read are that namespace's (pin_dir()). OUT.json maps each
device's name to its features, summed over the CPUs whose entry has its
cookie: packets, bytes, tcp_syn, icmp, size_hist, last_seen_ns, the
linear-counting estimates of distinct destinations and ports of its two
sketch slots (`slots`: [{epoch, addrs, ports}], newest first) and its
destinations (`dests`: [{addr, first_ns, last_ns, epochs}]). `now_ns` is
CLOCK_MONOTONIC, `realtime_ns` CLOCK_REALTIME, read together.
With SECONDS, it samples the sketches every 0.2 s for that long and adds
each device's highest estimates seen (`max_addrs`, `max_ports`): a burst is
caught before the epochs after it clear its slots. SIGTERM or SIGINT ends
the sampling early (the snapshot is still written), so a watcher can be
given a generous SECONDS and stopped once what it watches is over;
--ready FILE creates FILE once the first sample is taken. `sampled_ns`:
the CLOCK_MONOTONIC times of the first and the last sample.

Talks to the kernel with the bpf(2) syscall through ctypes: no bpftool run
per device (each exec costs ~0.15 s under TCG).
"""

import ctypes
import json
import math
import os
import signal
import socket
import struct
import sys
import time

PIN_DIR = "/sys/fs/bpf/iotguard"
NET_NS_INIT_INO = 0xEFFFFFF9    # the initial namespace's (user/lib/pins.c)
INIT_NET_COOKIE = 1             # its cookie on kernels before that inode
SO_NETNS_COOKIE = 71
SYS_BPF = 321                   # x86_64
BPF_MAP_LOOKUP_ELEM = 1
BPF_MAP_GET_NEXT_KEY = 4
BPF_OBJ_GET = 7

SKETCH_BITS = 256
SIZE_BUCKETS = 6
# struct iotguard_dev_features: 6 + 6 + 1 u64, cookie, pad, 2 sketches of
# an epoch and 2 x 4 words, 2 more of a window.
FEAT = struct.Struct("<6Q6QQII" + "Q4Q4Q" * 4)
DEST_KEY = struct.Struct("<II16sB3x")
DEST_VAL = struct.Struct("<QQQ")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    ret = _libc.syscall(SYS_BPF, cmd, buf, len(attr))
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return ret


def obj_get(path):
    cpath = ctypes.create_string_buffer(path.encode())
    return bpf(BPF_OBJ_GET, struct.pack("<QII", ctypes.addressof(cpath), 0, 0))


def pin_dir():
    """This network namespace's pin directory, as user/lib/pins.c names
    it: PIN_DIR in the initial namespace, else PIN_DIR/netns/<cookie>."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        cookie = struct.unpack("<Q", s.getsockopt(
            socket.SOL_SOCKET, SO_NETNS_COOKIE, 8))[0]
    if (os.stat("/proc/thread-self/ns/net").st_ino == NET_NS_INIT_INO or
            cookie == INIT_NET_COOKIE):
        return PIN_DIR
    return "%s/netns/%d" % (PIN_DIR, cookie)


def possible_cpus():
    n = 0
    with open("/sys/devices/system/cpu/possible") as f:
        for part in f.read().strip().split(","):
            lo, _, hi = part.partition("-")
            n += int(hi or lo) - int(lo) + 1
    return n


def lookup(fd, key, value_size):
    kbuf = ctypes.create_string_buffer(key, len(key))
    vbuf = ctypes.create_string_buffer(value_size)
    try:
        bpf(BPF_MAP_LOOKUP_ELEM, struct.pack(
            "<IIQQQ", fd, 0, ctypes.addressof(kbuf),
            ctypes.addressof(vbuf), 0))
    except OSError:
        return None
    return vbuf.raw


def keys(fd, key_size):
    prev = None
    while True:
        nbuf = ctypes.create_string_buffer(key_size)
        pbuf = ctypes.create_string_buffer(prev, key_size) if prev else None
        try:
            bpf(BPF_MAP_GET_NEXT_KEY, struct.pack(
                "<IIQQ", fd, 0, ctypes.addressof(pbuf) if pbuf else 0,
                ctypes.addressof(nbuf)))
        except OSError:
            return
        prev = nbuf.raw
        yield prev


def estimate(words):
    zero = SKETCH_BITS - sum(bin(w).count("1") for w in words)
    if zero == 0:
        return SKETCH_BITS * math.log(SKETCH_BITS)   # saturated
    return -SKETCH_BITS * math.log(zero / SKETCH_BITS)


def features(fd, ncpus, index, cookie):
    raw = lookup(fd, struct.pack("<I", index), FEAT.size * ncpus)
    out = {"packets": 0, "bytes": 0, "tcp_syn": 0, "icmp": 0, "arp": 0,
           "neigh_foreign": 0, "size_hist": [0] * SIZE_BUCKETS,
           "last_seen_ns": 0}
    slots = {}
    if raw is None:
        out["slots"] = []
        return out
    for cpu in range(ncpus):
        v = FEAT.unpack_from(raw, cpu * FEAT.size)
        if v[13] != cookie:
            continue
        out["packets"] += v[0]
        out["bytes"] += v[1]
        out["tcp_syn"] += v[2]
        out["icmp"] += v[3]
        out["arp"] += v[4]
        out["neigh_foreign"] += v[5]
        for i in range(SIZE_BUCKETS):
            out["size_hist"][i] += v[6 + i]
        out["last_seen_ns"] = max(out["last_seen_ns"], v[12])
        for s in range(2):
            base = 15 + 9 * s
            epoch = v[base]
            addrs, ports = slots.setdefault(epoch, ([0] * 4, [0] * 4))
            for w in range(4):
                addrs[w] |= v[base + 1 + w]
                ports[w] |= v[base + 5 + w]
    out["slots"] = [{"epoch": e, "addrs": estimate(a), "ports": estimate(p)}
                    for e, (a, p) in sorted(slots.items(), reverse=True)
                    if any(a) or any(p)]
    return out


def main():
    argv, ready = sys.argv[1:], None
    if "--ready" in argv:
        i = argv.index("--ready")
        ready = argv[i + 1] if i + 1 < len(argv) else None
        del argv[i:i + 2]
        if ready is None:
            print(__doc__, file=sys.stderr)
            return 2
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0]) as f:
        devices = json.load(f)["devices"]
    ncpus = possible_cpus()
    ffd = obj_get(pin_dir() + "/iotguard_features")
    dfd = obj_get(pin_dir() + "/iotguard_dests")

    stop = []

    def stop_sampling(*_):
        stop.append(True)

    signal.signal(signal.SIGTERM, stop_sampling)
    signal.signal(signal.SIGINT, stop_sampling)
    highest = {}
    end = time.monotonic() + (float(argv[2]) if len(argv) > 2 else 0)
    sampled = []
    while True:
        for d in devices:
            feat = features(ffd, ncpus, d["index"], d["cookie"])
            hi = highest.setdefault(d["name"] or d["address"], [0, 0])
            for slot in feat["slots"]:
                hi[0] = max(hi[0], slot["addrs"])
                hi[1] = max(hi[1], slot["ports"])
        t = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        sampled = [sampled[0] if sampled else t, t]
        if ready:
            open(ready, "w").close()
            ready = None
        if stop or time.monotonic() >= end:
            break
        time.sleep(0.2)

    dests = {}
    for key in keys(dfd, DEST_KEY.size):
        val = lookup(dfd, key, DEST_VAL.size)
        if val is None:
            continue
        index, cookie, addr, family = DEST_KEY.unpack(key)
        first, last, epochs = DEST_VAL.unpack(val)
        if family == socket.AF_INET:
            text = socket.inet_ntop(socket.AF_INET, addr[:4])
        else:
            text = socket.inet_ntop(socket.AF_INET6, addr)
        dests.setdefault((index, cookie), []).append(
            {"addr": text, "first_ns": first, "last_ns": last,
             "epochs": epochs})

    snap = {"now_ns": time.clock_gettime_ns(time.CLOCK_MONOTONIC),
            "realtime_ns": time.time_ns(),
            "sampled_ns": sampled,
            "devices": {}}
    for d in devices:
        feat = features(ffd, ncpus, d["index"], d["cookie"])
        feat["dests"] = dests.get((d["index"], d["cookie"]), [])
        name = d["name"] or d["address"]
        feat["max_addrs"], feat["max_ports"] = highest[name]
        snap["devices"][name] = feat
    with open(argv[1], "w") as out:
        json.dump(snap, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
