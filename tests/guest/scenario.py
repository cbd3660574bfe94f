#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The watcher of tests/guest/scenario_test.sh: one process that measures
what the test needs while the city runs, so that no poll costs a process
start (~0.4 s each under TCG).

    scenario.py --devices DEVICES.json --alerts ALERTS.jsonl
                --control FILE --out RESULTS.json --ticks FILE [options]

Run it in the router's network namespace (nsenter --net: the pinned maps
stay in view). Every --poll seconds (five times that until the test says
the devices learnt) it scrapes the daemon's /metrics
(--metrics) for iotguard_daemon_intervals_total, the daemon's own clock,
and writes the count to --ticks (the test schedules its attacks by it);
then it reads the daemon's new alerts (noting when it saw each,
CLOCK_MONOTONIC) and the features of the attacked devices from the pinned
maps. The test appends lines to --control:

    launch KIND DEVICE REALTIME   an attack started (KIND: scan, flood,
                                  silence, newdest); REALTIME: the epoch
                                  seconds just before the test started it
    learnt                        snapshot the packet counters now
    end DEVICES.json              the module's devices now; finish

Per attack it measures when the attack's first frame reached the router
(scan, flood: the first poll where the device's TCP SYN counter moved, the
poll before it as the bound; newdest: the destination's first_ns in the
iotguard_dests map), and for a silence the device's last frame
(last_seen_ns), and in which of the daemon's intervals that frame was
counted: no earlier than the count of the last scrape answered before it,
no later than that of the first scrape asked after it (an interval reads
and scores under the lock a scrape renders under). The delay in intervals
is the alert's "interval" (the ones scored before the one that decided it)
less the frame's, plus one for the interval that counted the frame: the
interval ends from the frame up to the alert's; for a silence, from the
moment the learnt gap (the alert's "expected") after the last frame was
over. Judged is the upper bound, from the earliest the frame can have been
counted in ("delay_intervals"; the lower bound is "delay_intervals_min").
Real seconds are kept for the record ("delay_s").

--out gets {"attacks": [...], "alerts": [...], "benign": [...],
"intervals", "watcher_cpu_s"}: each attack with its first alert (or none)
and the delays, each alert with the time it was seen, per class the benign
devices' verdict (quarantined or denied before their attack, final state,
still sending), and the daemon's interval count at the end.
"""

import argparse
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import featsnap  # noqa: E402


def args_parse():
    p = argparse.ArgumentParser(prog="scenario.py")
    p.add_argument("--devices", required=True)
    p.add_argument("--alerts", required=True)
    p.add_argument("--control", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--ticks", required=True,
                   help="gets the daemon's interval count, every poll")
    p.add_argument("--metrics", default="127.0.0.1:9477",
                   help="the daemon's /metrics, HOST:PORT")
    p.add_argument("--interval", type=float, required=True,
                   help="the daemon's nominal interval, seconds")
    p.add_argument("--alt", action="append", default=[],
                   help="the new destinations (addresses)")
    p.add_argument("--poll", type=float, default=0.1)
    p.add_argument("--timeout", type=float, default=120,
                   help="seconds to wait for an attack's alert after its "
                   "launch: a safety net, not a judgement")
    return p.parse_args()


# The program stamps frames with the coarse clock, up to a tick (4 ms at
# HZ 250) behind CLOCK_MONOTONIC.
COARSE = 0.01


def scrape_intervals(host, port):
    """iotguard_daemon_intervals_total from /metrics, or None."""
    try:
        with socket.create_connection((host, port), timeout=5) as s:
            s.sendall(b"GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n"
                      % host.encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    for line in data.decode(errors="replace").split("\n"):
        if line.startswith("iotguard_daemon_intervals_total "):
            return int(float(line.split()[1]))
    return None


def answers(kind, alert):
    """Whether an alert is the one an attack of kind calls for: a silence
    alerts, the others quarantine (or deny); other alerts of the device
    (a silence of a device about to scan) are not the answer."""
    if kind == "silence":
        return "silence" in alert["detectors"]
    return alert["action"] in ("quarantine", "deny")


class Watch:
    def __init__(self, a):
        self.a = a
        with open(a.devices) as f:
            self.devices = {d["name"]: d for d in json.load(f)["devices"]}
        self.ncpus = featsnap.possible_cpus()
        self.ffd = featsnap.obj_get(featsnap.pin_dir() + "/iotguard_features")
        self.dfd = featsnap.obj_get(featsnap.pin_dir() + "/iotguard_dests")
        # realtime = monotonic + offset (no NTP in the guest)
        self.offset = time.time() - time.monotonic()
        self.alerts = []
        self.alert_pos = 0
        self.alert_buf = ""
        self.attacks = []
        self.learnt = None
        self.control_pos = 0
        self.end_devices = None
        self.learnt_syn = {}
        # (asked, answered, count) of every scrape, CLOCK_MONOTONIC
        self.samples = []
        self.polls = 0
        self.learnt_at = None
        self.scrape_cpu = 0.0
        host, _, port = a.metrics.rpartition(":")
        self.metrics = (host, int(port))

    def mono(self, realtime):
        return realtime - self.offset

    def scrape(self):
        cpu = time.process_time()
        asked = time.monotonic()
        n = scrape_intervals(*self.metrics)
        self.scrape_cpu += time.process_time() - cpu
        if n is None:
            return
        self.samples.append((asked, time.monotonic(), n))
        tmp = self.a.ticks + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % n)
        os.replace(tmp, self.a.ticks)

    def ticks(self):
        return self.samples[-1][2] if self.samples else None

    def counted_in(self, lo, hi):
        """The daemon's intervals that can have counted a frame that
        reached the router between lo and hi (monotonic seconds): [the
        count of the last scrape answered by lo, that of the first asked
        after hi], None where there is no such scrape."""
        first = last = None
        for asked, answered, n in self.samples:
            if answered <= lo:
                first = n
            if asked >= hi and last is None:
                last = n
        return first, last

    def feat(self, name):
        d = self.devices[name]
        return featsnap.features(self.ffd, self.ncpus, d["index"], d["cookie"])

    def counters(self, key="packets"):
        return {n: self.feat(n)[key] for n in self.devices}

    def read_alerts(self, now):
        try:
            with open(self.a.alerts) as f:
                f.seek(self.alert_pos)
                data = f.read()
                self.alert_pos = f.tell()
        except FileNotFoundError:
            return
        self.alert_buf += data
        *lines, self.alert_buf = self.alert_buf.split("\n")
        for line in lines:
            if line.strip():
                alert = json.loads(line)
                alert["seen"] = now
                self.alerts.append(alert)

    def read_control(self):
        with open(self.a.control) as f:
            f.seek(self.control_pos)
            data = f.read()
        # whole lines only
        cut = data.rfind("\n") + 1
        self.control_pos += cut
        return data[:cut].split("\n")[:-1]

    def dest_first(self, name, addrs):
        """The first_ns of the device's first entry for one of addrs."""
        d = self.devices[name]
        first = None
        for key in featsnap.keys(self.dfd, featsnap.DEST_KEY.size):
            index, cookie, addr, family = featsnap.DEST_KEY.unpack(key)
            if index != d["index"] or cookie != d["cookie"]:
                continue
            if family == socket.AF_INET:
                text = socket.inet_ntop(socket.AF_INET, addr[:4])
            else:
                text = socket.inet_ntop(socket.AF_INET6, addr)
            if text not in addrs:
                continue
            val = featsnap.lookup(self.dfd, key, featsnap.DEST_VAL.size)
            if val is None:
                continue
            ns = featsnap.DEST_VAL.unpack(val)[0]
            first = ns if first is None else min(first, ns)
        return None if first is None else first / 1e9

    def launch(self, kind, name, realtime):
        att = {"kind": kind, "device": name, "launch": self.mono(realtime),
               "launch_interval": self.ticks(), "first": None, "last": None,
               "alert": None}
        if kind in ("scan", "flood"):
            # A SYN beyond those of learning is the attack's; the last
            # poll that saw none and the first that saw one bound its
            # first frame.
            att["syn0"] = self.learnt_syn.get(name, 0)
            att["t_none"] = att["launch"]
        self.attacks.append(att)

    def poll_attack(self, att, now):
        name = att["device"]
        if att["kind"] in ("scan", "flood") and att["first"] is None:
            t = time.monotonic()
            if self.feat(name)["tcp_syn"] > att["syn0"]:
                att["first"] = att["t_none"]
                att["first_hi"] = t
            else:
                att["t_none"] = t
        if att["alert"] is None:
            for alert in self.alerts:
                if (alert["name"] == name and
                        alert["event"] in ("act", "escalate") and
                        alert["seen"] >= att["launch"] and
                        answers(att["kind"], alert)):
                    att["alert"] = alert
                    break
            # Exact times from the maps, read once.
            if att["alert"] and att["kind"] == "silence":
                att["last"] = self.feat(name)["last_seen_ns"] / 1e9
            if att["alert"] and att["kind"] == "newdest":
                att["first"] = self.dest_first(name, self.a.alt)
            if att["alert"] and att["kind"] in ("silence", "newdest"):
                t = att["last"] if att["kind"] == "silence" else att["first"]
                att["first_hi"] = None if t is None else t + COARSE

    def poll(self):
        self.scrape()
        self.polls += 1
        now = time.monotonic()
        self.read_alerts(now)
        for line in self.read_control():
            words = line.split()
            if words[0] == "launch":
                self.launch(words[1], words[2], float(words[3]))
            elif words[0] == "learnt":
                self.learnt_at = time.monotonic()
                self.learnt = self.counters()
                self.learnt_syn = self.counters("tcp_syn")
            elif words[0] == "end":
                with open(words[1]) as f:
                    self.end_devices = {d["name"]: d for d in
                                        json.load(f)["devices"]}
        for att in self.attacks:
            self.poll_attack(att, now)

    def pending(self):
        now = time.monotonic()
        return any(att["alert"] is None and now - att["launch"] <
                   self.a.timeout for att in self.attacks)

    def delay_intervals(self, att, out):
        """The delay in the daemon's intervals, both bounds."""
        alert = att["alert"]
        frame = att["last"] if att["kind"] == "silence" else att["first"]
        hi = att.get("first_hi")
        if frame is None or hi is None or "interval" not in alert:
            return
        first, last = self.counted_in(frame, hi)
        # Nothing alerts before the interval that counted what it saw.
        if last is None or last > alert["interval"]:
            last = alert["interval"]
        out["frame_intervals"] = [first, last]
        gap = float(alert["expected"]) if att["kind"] == "silence" else 0
        if first is not None:
            out["delay_intervals"] = round(
                alert["interval"] - first + 1 - gap, 1)
        if last is not None:
            out["delay_intervals_min"] = round(
                alert["interval"] - last + 1 - gap, 1)

    def result(self):
        a = self.a

        def rt(t):
            return None if t is None else round(t + self.offset, 3)
        attacks = []
        for att in self.attacks:
            alert = att["alert"]
            out = {"kind": att["kind"], "device": att["device"],
                   "launch": rt(att["launch"]),
                   "launch_interval": att["launch_interval"],
                   "first_frame": rt(att["first"]), "alert": alert}
            if alert:
                seen = alert["seen"]
                out["seen"] = rt(seen)
                out["after_launch_s"] = round(seen - att["launch"], 2)
                if att["kind"] == "silence" and att["last"]:
                    gap = float(alert["expected"]) * a.interval
                    out["last_frame"] = rt(att["last"])
                    out["overdue"] = rt(att["last"] + gap)
                    out["delay_s"] = round(seen - att["last"] - gap, 2)
                elif att["first"] is not None:
                    out["delay_s"] = round(seen - att["first"], 2)
                self.delay_intervals(att, out)
            attacks.append(out)

        rogue = {att["device"]: att["launch"] for att in self.attacks}
        end = self.counters()
        classes = {}
        for name, d in self.devices.items():
            classes.setdefault(d["class"], []).append(name)
        benign = []
        for cls in sorted(classes):
            names = classes[cls]
            bad, noted, quiet = [], [], []
            for n in names:
                until = rogue.get(n, float("inf"))
                for alert in self.alerts:
                    if (alert["name"] != n or alert["event"] == "release" or
                            alert["seen"] >= until):
                        continue
                    msg = "%s %s at interval %s: %s" % (
                        n, alert["action"], alert.get("interval"),
                        alert["explanation"])
                    if alert["action"] in ("quarantine", "deny"):
                        bad.append(msg)
                    else:
                        noted.append(msg)
                if n in rogue:
                    continue
                st = (self.end_devices or {}).get(n, {}).get("state")
                if st != "allow":
                    bad.append("%s is in state %s at the end" % (n, st))
                if self.learnt is None or end[n] <= self.learnt[n]:
                    quiet.append(n)
            benign.append({"class": cls,
                           "benign": [n for n in names if n not in rogue],
                           "rogue": [n for n in names if n in rogue],
                           "bad": bad, "alerts": noted, "quiet": quiet})
        for alert in self.alerts:
            alert["seen"] = rt(alert["seen"])
        usage = os.times()
        return {"attacks": attacks, "alerts": self.alerts, "benign": benign,
                "intervals": self.ticks(),
                "watcher_cpu_s": round(usage.user + usage.system, 2),
                "polls": self.polls, "scrapes": len(self.samples),
                "scrape_cpu_s": round(self.scrape_cpu, 2),
                "scrape_gap_s": round(max(
                    (b[0] - a[1] for a, b in zip(self.samples,
                                                 self.samples[1:])
                     if self.learnt_at is not None and
                     a[0] >= self.learnt_at), default=0), 2)}


def main():
    a = args_parse()
    w = Watch(a)
    while w.end_devices is None or w.pending():
        w.poll()
        # While the devices learn only the test's schedule reads the
        # count: two polls a second leave the guest's CPU to the city.
        time.sleep(a.poll if w.learnt is not None else 5 * a.poll)
    w.poll()
    # The count after every alert read: none can be of a later interval.
    w.scrape()
    with open(a.out, "w") as f:
        json.dump(w.result(), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
