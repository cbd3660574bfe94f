#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The helpers of daemon_state_test.sh: a sender for many source addresses,
the end of a sender timed in the daemon's intervals, and the judges of
what iotguardd and `iotguard alerts` wrote. A judge exits 0 when its
condition holds, 1 when it does not (saying why on lines starting with
'#')."""

import json
import os
import re
import sys
import time

# Each judge is a python start in a busy guest: the modules only some need
# are imported where they are.

METRICS = "http://127.0.0.1:9477/metrics"


def say(*args):
    print("#", *args)


def read_lines(path):
    """The lines of one alerts file (none if it is missing): each alert
    as an object, a line that is not one (cut short) as its text."""
    if not os.path.exists(path):
        return []
    lines = []
    with open(path) as f:
        for line in f:
            try:
                lines.append(json.loads(line))
            except ValueError:
                lines.append(line.rstrip("\n"))
    return lines


def read_alerts(path):
    """The alerts of one alerts file."""
    return [a for a in read_lines(path) if isinstance(a, dict)]


def both(alerts):
    """alerts.jsonl.1 then alerts.jsonl: every alert kept, oldest first."""
    return read_alerts(alerts + ".1") + read_alerts(alerts)


def send(rate, count, size, *srcs):
    """RATE rounds a second, COUNT rounds, one datagram of SIZE bytes per
    source address a round, to the router. Paced against its start; one
    that fell behind (a busy machine) starts again from now, not in a
    burst."""
    import socket

    rate, count, size = float(rate), int(count), int(size)
    socks = []
    for src in srcs:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, 0))
        socks.append(s)
    payload = b"x" * size
    start, n = time.monotonic(), 0
    for _ in range(count):
        now = time.monotonic()
        if now - (start + n / rate) > 0.25:
            start, n = now, 0
        delay = start + n / rate - now
        if delay > 0:
            time.sleep(delay)
        n += 1
        for s in socks:
            try:
                s.sendto(payload, ("198.18.1.1", 5000))
            except OSError:
                pass
    return 0


def scrape():
    """/metrics and the daemon's intervals in it; None while it does not
    answer."""
    import urllib.request

    try:
        with urllib.request.urlopen(METRICS, timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return None, None
    m = re.search(r"^iotguard_daemon_intervals_total (\d+)$", text, re.M)
    return text, int(m.group(1))


def alive(pid):
    """The process runs (a zombie does not)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def end(pid):
    """Ends process PID (SIGTERM) and prints the daemon's intervals just
    before the signal and once PID is gone: scraped from this one process,
    they are known to within a scrape (curl's start costs a busy guest
    seconds)."""
    import signal

    pid = int(pid)
    before = after = None
    while before is None:
        _, before = scrape()
    os.kill(pid, signal.SIGTERM)
    while alive(pid):
        time.sleep(0.01)
    while after is None:
        _, after = scrape()
    print(before, after)
    return 0


def quarantined(alerts, last, *addrs):
    """Each ADDR has an alert that quarantined it (an act, or an escalation
    of an alert), done, on a learnt baseline, for a surge, explained by one
    of its detectors, decided in the daemon's first LAST intervals."""
    want = set(addrs)
    for a in both(alerts):
        dets = a["detectors"]
        if (a["event"] in ("act", "escalate") and
                a["action"] == "quarantine" and a["done"] and
                not a["learning"] and "surge" in dets and
                any(a["explanation"].startswith(d + ": ") for d in dets)):
            if a["interval"] < int(last):
                want.discard(a["address"])
            else:
                say("%s quarantined in interval %d" %
                    (a["address"], a["interval"] + 1))
    if want:
        say("no such alert for", *sorted(want))
    return 1 if want else 0


def released(alerts, addr):
    """ADDR's release, quarantine -> none, done, calm again: prints the
    interval that decided it (iotguard_daemon_intervals_total after it)."""
    for a in both(alerts):
        if (a["address"] == addr and a["event"] == "release" and
                a["previous"] == "quarantine" and a["action"] == "none" and
                a["done"] and
                a["explanation"].startswith("calm again (score ")):
            print(a["interval"] + 1)
            return 0
    return 1


def kept(alerts, *addrs):
    """No release of any ADDR was done."""
    done = [a for a in both(alerts) if a["address"] in addrs and
            a["event"] == "release" and a["done"]]
    for a in done:
        say("released:", json.dumps(a))
    return 1 if done else 0


LOG_LINE = re.compile(
    r"^(?:anomaly|release) (\S+) \((\S+)\): (?:state|escalate) (\w+) -> "
    r"(\w+)(?: \((?:dry run: not done|pinned: alert only|"
    r"FAILED to apply: tried again at the next interval|"
    r"the module's state is not the daemon's: left as it is)\))?: (.*)$")
KEYS = ("name", "address", "previous", "action", "explanation")


def logged(*logs):
    """The alert lines of the daemons' logs, in order, as JSON lines with
    the members of alerts.jsonl that they say."""
    for path in logs:
        with open(path) as f:
            for line in f:
                m = LOG_LINE.match(line.rstrip("\n"))
                if m:
                    print(json.dumps(dict(zip(KEYS, m.groups()))))
    return 0


def rotation(alerts, logged_path, alerts_max, cut):
    """The line CUT short, then the N alerts logged, rotate at lines M + 1,
    2M + 1, ...: the file ends up with those after the last rotation,
    alerts.jsonl.1 with the M before."""
    m = int(alerts_max)
    with open(logged_path) as f:
        seq = [cut] + [json.loads(line) for line in f]
    r = (len(seq) - 1) // m
    want = [seq[(r - 1) * m:r * m], seq[r * m:]]
    bad = 0
    for path, exp in zip((alerts + ".1", alerts), want):
        have = [{k: a[k] for k in KEYS} if isinstance(a, dict) else a
                for a in read_lines(path)]
        if have != exp:
            say("%s: %d alerts, expected %d" % (path, len(have), len(exp)))
            for a in have:
                say(" has", json.dumps(a))
            for a in exp:
                say(" not", json.dumps(a))
            bad = 1
    return bad


def cli_json(alerts, out, last):
    """`iotguard alerts -j -n LAST`: the last LAST (0: all) alerts of both
    files, each as the daemon wrote it."""
    with open(out) as f:
        have = json.load(f)["alerts"]
    want = both(alerts)
    if int(last):
        want = want[-int(last):]
    if have != want:
        say("%d alerts shown, %d expected" % (len(have), len(want)))
        return 1
    return 0


def cli_table(alerts, out):
    """`iotguard alerts`: a row per alert of both files (fewer than the 50
    shown by default), oldest first, with its time, device, event, action
    and explanation, which starts with a detector of the alert."""
    with open(out) as f:
        lines = f.read().splitlines()
    cols = ("TIME", "NAME", "ADDRESS", "EVENT", "ACTION", "WHY")
    at = [lines[0].index(c) for c in cols] + [None]
    rows = [[line[at[i]:at[i + 1]].rstrip() for i in range(len(cols))]
            for line in lines[1:]]
    want = both(alerts)
    bad = len(rows) != len(want)
    if bad:
        say("%d rows for %d alerts" % (len(rows), len(want)))
    for row, a in zip(rows, want):
        action = a["action"] + (" (pinned)" if a["pinned"] else "")
        exp = [a["time"], a["name"], a["address"], a["event"], action,
               a["explanation"]]
        det = a["event"] == "release" or any(
            row[5].startswith(d + ": ") for d in a["detectors"])
        if row != exp or not det:
            say("row ", row)
            say("want", exp, a["detectors"])
            bad = True
    return 1 if bad else 0


def other_version(path):
    """Makes the baselines file one of the next version."""
    import struct

    with open(path, "r+b") as f:
        f.seek(8)
        version, = struct.unpack("<I", f.read(4))
        f.seek(8)
        f.write(struct.pack("<I", version + 1))
    return 0


def damage(path):
    """Flips a bit of the byte in the middle of the baselines file."""
    import os

    with open(path, "r+b") as f:
        mid = os.fstat(f.fileno()).st_size // 2
        f.seek(mid)
        byte = f.read(1)[0]
        f.seek(mid)
        f.write(bytes([byte ^ 0x10]))
    return 0


if __name__ == "__main__":
    sys.exit(globals()[sys.argv[1]](*sys.argv[2:]))
