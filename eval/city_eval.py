#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge iotguardd --replay on a city: who attacked, what the daemon did.

    city_eval.py CITY [--iotguardd BIN] [-c CONFIG] [--grace S]
                 [--live DIR] [--format text|json|tsv]

CITY holds city.pcap, devices.tsv and truth.tsv, as make-city writes them
(../shared/corpus/city, or another seed's). The devices whose role is
benign or hijacked are enrolled by their IPv4 address, bound to their MAC
(the replay's --devices file); the unknown hosts are not. The replay runs
with the configuration given (-c), once, with every score (-s -j); this
script only reads its output and the capture.

Per attack of truth.tsv:
  hijacked  (from an enrolled device) the alert and the quarantine delay:
            the first decision on the device that raises its state to
            alert or more (quarantine or more) at an offset in (start,
            end + grace], minus the attack's start (its first frame). MISS
            when none; "held" when the device was already quarantined by
            an earlier decision as the attack began (not counted as
            caught); the note says why a miss is one (state already
            raised, highest score, frames the scorer never sees). A
            decision by the silence or drop detector alone is not a
            detection: no attack of the corpus silences its device.
  unknown   (from a host not enrolled) no delay: the XDP program drops its
            frames before the daemon sees any. They are counted by the
            verdict the table gives them: unknown (IP from an address not
            enrolled), spoofed (an enrolled address from another MAC), arp
            (ARP whose sender is not enrolled with that MAC).

Where an attack capture begins with its attacker's ordinary traffic,
eval/onsets.tsv gives the attack's onset (seconds from its first frame to
the first frame of the attack proper); the quarantine delay is also given
from it (ON-QUAR), and the summary counts quarantines within the goal of
both. No detector can act on an attack before it begins.
A silence alert outside the attack windows that the capture bears out
(the device sent no IP frame in its name for as long as the alert says,
less an interval at each end; live, that span is the wall clock's, placed
on the capture's as the frames left) is a confirmed silence, counted
apart: a benign
device of the city does fall silent between its setups. Any other raising
decision outside the device's attack windows is a false alarm
(a false quarantine if it raises to quarantine or more); both are per
device-hour of the enrolled devices' time outside their attack windows.

--live DIR also judges what the live daemon decided when eval/live.sh sent
the same capture at its own speed through the XDP program in the guest
(DIR: its alerts.jsonl, sent.pcap, stats.json), by the same rules, at
their times on the capture's clock as the frames really left; then prints
both side by side. They agree on an attack when both act on it or neither does, with
quarantine delays within one interval plus act_after of each other.
Exit status: 0, 1 on a missing or broken input, 2 if the replay fails.
"""
import argparse
import bisect
import copy
import datetime
import ipaddress
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

NAME_MAX = 31  # IOTGUARD_DEVICE_NAME_LEN - 1
ETH_IPV4, ETH_IPV6, ETH_ARP = 0x0800, 0x86DD, 0x0806
# "raise": another detector's alert, the action in force staying.
RAISING = ("act", "escalate", "raise")
ACTING = ("quarantine", "deny")


def quarantines(e):
    """A decision that quarantines or denies (a raise keeps the state)."""
    return e["event"] in ("act", "escalate") and e["action"] in ACTING
# Detectors of a device gone quiet: never the detection of an attack here.
QUIET = {"silence", "drop"}
# An attack is "acted on in time" within this many seconds (issue 13's goal).
GOAL_S = 2.0
# Where attacks begin, when their captures begin with ordinary traffic.
ONSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "onsets.tsv")


class InputError(Exception):
    pass


def read_tsv(path, columns):
    """Rows of a TSV file with a header, as dicts; the columns must exist."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = [l.rstrip("\n") for l in f
                     if l.strip() and not l.startswith("#")]
    except OSError as e:
        raise InputError("Unable to read %s: %s" % (path, e.strerror))
    if not lines:
        raise InputError("Unable to parse %s: it is empty" % path)
    header = lines[0].split("\t")
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError("Unable to parse %s: no column %s" %
                         (path, ", ".join(missing)))
    rows = []
    for n, line in enumerate(lines[1:], 2):
        cells = line.split("\t")
        if len(cells) != len(header):
            raise InputError("Unable to parse %s: line %d has %d cells, "
                             "the header %d" % (path, n, len(cells),
                                                len(header)))
        rows.append(dict(zip(header, cells)))
    return rows


def read_city(city):
    hosts = read_tsv(os.path.join(city, "devices.tsv"),
                     ("name", "ipv4", "mac", "role"))
    truth = read_tsv(os.path.join(city, "truth.tsv"),
                     ("attack", "src_ip", "src_mac", "start_s", "end_s",
                      "src_name", "role"))
    for h in hosts:
        h["mac"] = h["mac"].lower()
        if h["role"] not in ("benign", "hijacked", "unknown"):
            raise InputError("Unable to parse devices.tsv: %s has role %s" %
                             (h["name"], h["role"]))
        if len(h["name"]) > NAME_MAX or not h["name"].isprintable() \
           or " " in h["name"]:
            raise InputError("Unable to parse devices.tsv: the name `%s' is "
                             "not one word of up to %d bytes" %
                             (h["name"], NAME_MAX))
    names = [h["name"] for h in hosts]
    if len(set(names)) != len(names):
        raise InputError("Unable to parse devices.tsv: a name twice (the "
                         "replay's alerts name the devices)")
    for a in truth:
        a["src_mac"] = a["src_mac"].lower()
        a["start"] = float(a["start_s"])
        a["end"] = float(a["end_s"])
        if a["role"] not in ("hijacked", "unknown"):
            raise InputError("Unable to parse truth.tsv: %s has role %s" %
                             (a["attack"], a["role"]))
    onsets = {o["attack"]: o for o in
              read_tsv(ONSETS, ("attack", "onset_s", "begins_with"))}
    for a in truth:
        o = onsets.get(a["attack"])
        a["onset"] = float(o["onset_s"]) if o else 0.0
        a["onset_what"] = o["begins_with"] if o else None
    enrolled = {h["ipv4"]: h for h in hosts if h["role"] != "unknown"}
    for a in truth:
        if a["role"] == "hijacked" and a["src_ip"] not in enrolled:
            raise InputError("Unable to parse truth.tsv: %s comes from %s, "
                             "which devices.tsv does not enroll" %
                             (a["attack"], a["src_ip"]))
    return hosts, truth


# ------------------------------------------------------------- capture

def pcap_frames(path):
    """(seconds, frame) of a classic pcap, either byte order, us or ns."""
    try:
        f = open(path, "rb")
    except OSError as e:
        raise InputError("Unable to read %s: %s" % (path, e.strerror))
    with f:
        head = f.read(24)
        if len(head) < 24:
            raise InputError("Unable to read %s: not a pcap" % path)
        for order in "<>":
            magic, = struct.unpack(order + "I", head[:4])
            if magic in (0xA1B2C3D4, 0xA1B23C4D):
                break
        else:
            raise InputError("Unable to read %s: not a classic pcap "
                             "(pcapng is not read here)" % path)
        scale = 1e-9 if magic == 0xA1B23C4D else 1e-6
        if struct.unpack(order + "I", head[20:24])[0] != 1:
            raise InputError("Unable to read %s: not Ethernet" % path)
        rec = struct.Struct(order + "IIII")
        while True:
            h = f.read(16)
            if len(h) < 16:
                return
            sec, frac, incl, _ = rec.unpack(h)
            yield sec + frac * scale, f.read(incl)


def frame_kind(frame):
    """(source MAC, kind, source address) of an Ethernet frame."""
    if len(frame) < 14:
        return None, "other", None
    mac = frame[6:12].hex(":")
    ethertype, = struct.unpack("!H", frame[12:14])
    off = 14
    while ethertype in (0x8100, 0x88A8) and len(frame) >= off + 4:
        ethertype, = struct.unpack("!H", frame[off + 2:off + 4])
        off += 4
    if ethertype == ETH_IPV4 and len(frame) >= off + 20:
        return mac, "ipv4", str(ipaddress.IPv4Address(
            frame[off + 12:off + 16]))
    if ethertype == ETH_IPV6 and len(frame) >= off + 40:
        return mac, "ipv6", str(ipaddress.IPv6Address(
            frame[off + 8:off + 24]))
    if ethertype == ETH_ARP and len(frame) >= off + 28:
        return mac, "arp", str(ipaddress.IPv4Address(
            frame[off + 14:off + 18]))
    return mac, "other", None


def xdp_verdict(kind, src, mac, enrolled):
    """What the table makes of a frame (Documentation/iotguard.rst)."""
    dev = enrolled.get(src)
    if kind in ("ipv4", "ipv6"):
        if dev is None:
            return "unknown"
        return "pass" if dev["mac"] == mac else "spoofed"
    if kind == "arp":
        return "arp" if dev is None or dev["mac"] != mac else "pass"
    return "other"


def scan_capture(path, truth, enrolled, grace):
    """Per attack: frames of its source MAC in its window, by verdict and
    kind, and the source's first frame from the attack's start on. Per
    enrolled device: the offsets of the IP frames it sent in its name
    (ip_times)."""
    hosts_by_mac = {}
    for h in enrolled.values():
        h["ip_times"] = []
        hosts_by_mac[h["mac"]] = h
    by_mac = {}
    for a in truth:
        a["frames"] = {}
        a["first"] = None
        a["onset_seen"] = not a["onset"]
        by_mac.setdefault(a["src_mac"], []).append(a)
    t0 = None
    for t, frame in pcap_frames(path):
        if t0 is None:
            t0 = t
        mac, kind, src = frame_kind(frame)
        # The frames its features count: IP in its name, from its MAC.
        h = hosts_by_mac.get(mac)
        if h is not None and kind in ("ipv4", "ipv6") and \
           enrolled.get(src) is h:
            h["ip_times"].append(t - t0)
        for a in by_mac.get(mac, ()):
            off = t - t0
            # truth.tsv gives milliseconds: its end is rounded.
            if off < a["start"] - 5e-4 or off > a["end"] + 5e-4:
                continue
            if a["first"] is None:
                a["first"] = off
            # truth.tsv's start is in ms, onsets.tsv's too.
            if abs(off - a["start"] - a["onset"]) <= 1.5e-3:
                a["onset_seen"] = True
            v = xdp_verdict(kind, src, mac, enrolled)
            key = "%s %s" % (v, kind)
            a["frames"][key] = a["frames"].get(key, 0) + 1
    if t0 is None:
        raise InputError("Unable to read %s: no frame in it" % path)
    for a in truth:
        if not a["onset_seen"]:
            raise InputError("Unable to use %s: %s's source sent no frame "
                             "at its onset, +%.3f s (this city's capture "
                             "is not the one the table was read from)" %
                             (ONSETS, a["attack"], a["start"] + a["onset"]))


# -------------------------------------------------------------- replay

def run_replay(binary, pcap, devices, config):
    cmd = [binary, "--replay", pcap, "--devices", devices, "-j", "-s"]
    if config:
        cmd += ["-c", config]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    except OSError as e:
        raise InputError("Unable to run %s: %s" % (binary, e.strerror))
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        print("Unable to replay %s: %s exited with %d" %
              (pcap, binary, p.returncode), file=sys.stderr)
        sys.exit(2)
    out = {"alert": [], "score": [], "device": [], "capture": []}
    for line in p.stdout.splitlines():
        o = json.loads(line)
        out.setdefault(o["type"], []).append(o)
    if len(out["capture"]) != 1:
        print("Unable to replay %s: no capture summary" % pcap,
              file=sys.stderr)
        sys.exit(2)
    return out


def read_config(path):
    """KEY = VALUE lines of an iotguardd.conf, as strings."""
    conf = {}
    if not path:
        return conf
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if "=" in line:
                    k, v = line.split("=", 1)
                    conf[k.strip()] = v.strip()
    except OSError as e:
        raise InputError("Unable to read %s: %s" % (path, e.strerror))
    return conf


def wall_time(text):
    """Seconds since the epoch of an alert's "time" (UTC, ms)."""
    t = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


# How far ahead in the capture a frame of sent.pcap is looked for: frames
# tcpdump dropped are skipped.
LOOKAHEAD = 20000


def sent_clock(pcap, sent):
    """The capture's clock as the frames really left: (wall-clock times,
    capture offsets) of the frames of sent.pcap (eval/live.sh: the first
    bytes of each frame as it left), each matched in order to the frame of
    the capture it is."""
    orig = [(t, f) for t, f in pcap_frames(pcap)]
    t0 = orig[0][0]
    walls, offsets = [], []
    i = 0
    for wall, frame in pcap_frames(sent):
        j = i
        end = min(len(orig), i + LOOKAHEAD)
        while j < end and orig[j][1][:len(frame)] != frame:
            j += 1
        if j == end:
            continue
        walls.append(wall)
        offsets.append(orig[j][0] - t0)
        i = j + 1
    if not walls:
        raise InputError("Unable to match any frame of %s to the capture" %
                         sent)
    return walls, offsets, len(orig)


def capture_time(clock, wall):
    """A wall-clock time on the capture's clock: the offset of the last
    frame that had left by then, plus the time since it left."""
    walls, offsets = clock[0], clock[1]
    k = max(bisect.bisect_right(walls, wall) - 1, 0)
    return offsets[k] + (wall - walls[k])


def read_live(d, cap, pcap):
    """eval/live.sh's results as run_replay's: the decisions at their
    offsets on the capture's clock as the frames left (sent.pcap), the
    capture's figures with the XDP program's counters."""
    try:
        clock = sent_clock(pcap, os.path.join(d, "sent.pcap"))
        lag = max((w - clock[0][0]) - (o - clock[1][0])
                  for w, o in zip(clock[0], clock[1]))
        matched = (len(clock[0]), clock[2], lag)
        alerts = []
        with open(os.path.join(d, "alerts.jsonl"), encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                o = json.loads(line)
                wall = wall_time(o["time"])
                o["offset"] = capture_time(clock, wall)
                # A silence's span, from the wall clock: the sender's lag
                # within it would shorten it on the capture's.
                m = QUIET_FOR.match(o.get("explanation", ""))
                if m:
                    quiet = int(m.group(1)) * cap["interval"]
                    o["quiet_span"] = (
                        capture_time(clock, wall - quiet + cap["interval"]),
                        capture_time(clock, wall - cap["interval"]))
                alerts.append(o)
        with open(os.path.join(d, "stats.json"), encoding="utf-8") as f:
            stats = json.load(f)
        xdp = {k: stats["global"][k]["packets"]
               for k in ("pass", "unknown", "spoofed", "arp")}
    except OSError as e:
        raise InputError("Unable to read the live run in %s: %s" %
                         (d, e.strerror))
    except (ValueError, KeyError) as e:
        raise InputError("Unable to parse the live run in %s: %s" % (d, e))
    live = dict(cap, spoofed=xdp["spoofed"], xdp=xdp, matched=matched)
    return {"alert": alerts, "score": [], "device": [], "capture": [live]}


def window(a, grace):
    return a["start"], a["end"] + grace


def judge_hijacked(a, alerts, scores, grace):
    lo, hi = window(a, grace)
    mine = [e for e in alerts if e["name"] == a["src_name"]]
    # A decision at the start itself read only frames before it.
    inside = [e for e in mine if e["event"] in RAISING and
              lo < e["offset"] <= hi]
    # No attack of the corpus silences a device: a silence or drop alert
    # is about its own traffic having ended, not about the attack.
    raised = [e for e in inside if set(e["detectors"]) - QUIET]
    quiet = [e for e in inside if e not in raised]
    acted = [e for e in raised if quarantines(e)]
    a["alert"] = raised[0]["offset"] - a["start"] if raised else None
    a["quarantine"] = acted[0]["offset"] - a["start"] if acted else None
    a["alert_by"] = raised[0]["detectors"] if raised else []
    a["quarantine_onset"] = a["quarantine"] - a["onset"] \
        if acted else None
    # The state in force as the attack began, and since when.
    before = [e for e in mine if e["offset"] <= lo]
    a["state_before"] = before[-1]["action"] if before else "none"
    a["held"] = a["quarantine"] is None and a["state_before"] in ACTING
    notes = []
    if raised:
        e = raised[0]
        notes.append("%s %s: %s" % (e["event"], e["action"],
                                    e["explanation"]))
    if a["state_before"] != "none":
        e = before[-1]
        notes.append("%s since +%.0f (%s)" % (e["action"], e["offset"],
                                               ",".join(e["detectors"])))
    for e in quiet:
        notes.append("%s alert at +%.0f not counted" %
                     (",".join(e["detectors"]), e["offset"]))
    if not raised:
        scored = [s for s in scores if s["name"] == a["src_name"] and
                  lo < s["offset"] <= hi]
        if scored:
            top = max(scored, key=lambda s: s["score"])
            notes.append("top score %.1f (%s) at +%.0f%s" %
                         (top["score"], top["feature"], top["offset"],
                          ", learning" if top["learning"] else ""))
    a["notes"] = notes


def judge_unknown(a):
    a["alert"] = a["quarantine"] = a["quarantine_onset"] = None
    a["alert_by"] = []
    a["state_before"] = None
    a["held"] = False
    a["notes"] = []


def dropped(a):
    """Frames of the attack's source the XDP program drops, by reason."""
    out = {}
    for key, n in a["frames"].items():
        verdict = key.split()[0]
        if verdict != "pass":
            out[verdict] = out.get(verdict, 0) + n
    return out


def frame_notes(a):
    total = sum(a["frames"].values())
    notes = []
    arp = sum(n for k, n in a["frames"].items() if k.endswith(" arp"))
    if a["role"] == "hijacked" and arp:
        notes.append("%d of %d frames ARP" % (arp, total))
    if a["role"] == "unknown" and a.get("packets", "").isdigit() and \
       int(a["packets"]) != total:
        notes.append("%d frames of the source in its window, truth.tsv "
                     "says %s" % (total, a["packets"]))
    if a["first"] is None:
        notes.append("no frame of the source in its window")
    elif abs(a["first"] - a["start"]) > 1e-3:
        notes.append("first frame at +%.3f, not at the start" % a["first"])
    return notes


QUIET_FOR = re.compile(r"^silence: quiet for (\d+) intervals")


def confirmed_silence(e, host, interval):
    """Whether e is a silence alert the capture bears out: no IP frame of
    the device in the span it says it was quiet, less an interval at each
    end (the live clock and the intervals' edges)."""
    m = QUIET_FOR.match(e.get("explanation", ""))
    if set(e["detectors"]) != {"silence"} or not m or host is None:
        return False
    if "quiet_span" in e:
        lo, hi = e["quiet_span"]
    else:
        lo = e["offset"] - (int(m.group(1)) - 1) * interval
        hi = e["offset"] - interval
    if hi <= lo:
        return False
    times = host.get("ip_times", [])
    k = bisect.bisect_right(times, lo)
    return k == len(times) or times[k] >= hi


def false_alarms(hosts, truth, alerts, grace, duration, interval):
    """The raising decisions outside the attack windows, less the
    confirmed silences (returned apart), and the device-hours."""
    windows = {}
    for a in truth:
        if a["role"] == "hijacked":
            windows.setdefault(a["src_name"], []).append(window(a, grace))
    by_name = {h["name"]: h for h in hosts}
    outside = [e for e in alerts if e["event"] in RAISING and
               not any(lo < e["offset"] <= hi
                       for lo, hi in windows.get(e["name"], ()))]
    silences = [e for e in outside
                if confirmed_silence(e, by_name.get(e["name"]), interval)]
    false = [e for e in outside if e not in silences]
    seconds = 0.0
    for h in hosts:
        if h["role"] == "unknown":
            continue
        seconds += duration
        for lo, hi in windows.get(h["name"], ()):
            seconds -= max(0.0, min(hi, duration) - max(lo, 0.0))
    return false, silences, seconds / 3600


# -------------------------------------------------------------- output

def fmt_delay(a, key):
    if a["role"] == "unknown":
        return "-"
    if a[key] is None:
        return "held" if key == "quarantine" and a["held"] else "MISS"
    return "%.2f" % a[key]


def fmt_onset_delay(a):
    if a["role"] == "unknown" or a["quarantine_onset"] is None:
        return fmt_delay(a, "quarantine")
    return "%.2f" % a["quarantine_onset"]


def fmt_dropped(a):
    d = dropped(a)
    if not d:
        return "0"
    return "%d (%s)" % (sum(d.values()),
                        ", ".join("%s %d" % kv for kv in sorted(d.items())))


def per_hour(n, hours):
    return n / hours if hours else 0


def summary(truth, hosts, false, hours, cap):
    hij = [a for a in truth if a["role"] == "hijacked"]
    benign = {h["name"] for h in hosts if h["role"] == "benign"}
    bfalse = [e for e in false if e["name"] in benign]
    bhours = len(benign) * cap["duration"] / 3600
    fq_devices = {e["name"] for e in false if quarantines(e)}
    unk = [a for a in truth if a["role"] == "unknown"]
    fq = [e for e in false if quarantines(e)]
    s = {
        "hijacked": len(hij),
        "alerted": sum(a["alert"] is not None for a in hij),
        "quarantined": sum(a["quarantine"] is not None for a in hij),
        "quarantined_within_goal": sum(a["quarantine"] is not None and
                                       a["quarantine"] <= GOAL_S
                                       for a in hij),
        # From the attack proper's first frame (onsets.tsv).
        "quarantined_within_goal_onset": sum(
            a["quarantine_onset"] is not None and
            a["quarantine_onset"] <= GOAL_S for a in hij),
        "held": sum(a["held"] for a in hij),
        "missed": sum(a["alert"] is None for a in hij),
        "unknown": len(unk),
        "unknown_dropped": sum(bool(dropped(a)) for a in unk),
        "unknown_frames_dropped": sum(sum(dropped(a).values())
                                      for a in unk),
        "unknown_frames_passed": sum(sum(n for k, n in a["frames"].items()
                                         if k.startswith("pass "))
                                     for a in unk),
        # Frames the replay dropped as spoofed, as the program would.
        "replay_spoofed": cap["spoofed"],
        "false_alarms": len(false),
        "false_quarantines": len(fq),
        "false_quarantine_devices": len(fq_devices),
        "device_hours": hours,
        "false_alarms_per_device_hour": per_hour(len(false), hours),
        "false_quarantines_per_device_hour": per_hour(len(fq), hours),
        # The benign devices alone: the hijacked ones' other time aside.
        "benign_devices": len(benign),
        "benign_device_hours": bhours,
        "benign_false_alarms": len(bfalse),
        "benign_false_quarantines": sum(quarantines(e)
                                        for e in bfalse),
    }
    s["benign_false_alarms_per_device_hour"] = per_hour(
        s["benign_false_alarms"], bhours)
    s["benign_false_quarantines_per_device_hour"] = per_hour(
        s["benign_false_quarantines"], bhours)
    s["line"] = (
        "%(alerted)d of %(hijacked)d attacks from enrolled devices alerted, "
        "%(quarantined)d quarantined (%(quarantined_within_goal)d within "
        "%(goal)g s of the first frame, %(quarantined_within_goal_onset)d "
        "of the onset), %(held)d held by an earlier quarantine, %(missed)d "
        "missed; %(unknown_dropped)d of %(unknown)d from unknown hosts "
        "dropped by XDP (%(unknown_frames_dropped)d frames); "
        "%(false_alarms)d false alarms, %(false_quarantines)d false "
        "quarantines on %(false_quarantine_devices)d devices "
        "(%(fa).2f and %(fq).2f per device-hour)" %
        dict(s, goal=GOAL_S, fa=s["false_alarms_per_device_hour"],
             fq=s["false_quarantines_per_device_hour"]))
    return s


def print_text(args, cap, hosts, truth, false, hours, s):
    hijacked = {h["name"] for h in hosts if h["role"] == "hijacked"}
    roles = {}
    for h in hosts:
        roles[h["role"]] = roles.get(h["role"], 0) + 1
    print("City %s: %.1f s, %d enrolled devices (%d benign, %d hijacked), "
          "%d unknown hosts; %d intervals of %g s; configuration %s; "
          "%d spoofed frames dropped" %
          (args.city, cap["duration"], roles.get("benign", 0) +
           roles.get("hijacked", 0), roles.get("benign", 0),
           roles.get("hijacked", 0), roles.get("unknown", 0),
           cap["intervals"], cap["interval"], args.config or "(built in)",
           cap["spoofed"]))
    print()
    fmt = "%-29s %-18s %-8s %7s %5s %5s %5s %7s  %s"
    print(fmt % ("ATTACK", "SOURCE", "ROLE", "START", "ALERT", "QUAR",
                 "ONSET", "ON-QUAR", "DROPPED BY XDP / NOTE"))
    for a in truth:
        notes = a["notes"] + frame_notes(a)
        extra = fmt_dropped(a) if a["role"] == "unknown" or dropped(a) \
            else ""
        if extra and notes:
            extra += "; "
        print(fmt % (a["attack"][:29], a["src_name"][:18], a["role"],
                     "%.3f" % a["start"], fmt_delay(a, "alert"),
                     fmt_delay(a, "quarantine"), "%.2f" % a["onset"],
                     fmt_onset_delay(a), extra + "; ".join(notes)))
    print()
    print("False alarms outside attack windows (%.2f device-hours):" % hours)
    per = {}
    for e in false:
        per.setdefault(e["name"], []).append(e)
    for name in sorted(per, key=lambda n: -len(per[n])):
        es = per[name]
        dets = sorted({d for e in es for d in e["detectors"]})
        print("  %-19s %-9s %d (%d quarantine) at %s: %s" %
              (name, "hijacked" if name in hijacked else "benign",
               len(es), sum(quarantines(e) for e in es),
               " ".join("+%.0f" % e["offset"] for e in es),
               ",".join(dets)))
    if not per:
        print("  none")
    print("The %(benign_devices)d benign devices alone "
          "(%(benign_device_hours).2f device-hours): "
          "%(benign_false_alarms)d false alarms, "
          "%(benign_false_quarantines)d false quarantines (%(a).2f and "
          "%(q).2f per device-hour)" %
          dict(s, a=s["benign_false_alarms_per_device_hour"],
               q=s["benign_false_quarantines_per_device_hour"]))
    print()
    print("Summary: " + s["line"])


def row(a):
    return {
        "attack": a["attack"], "source": a["src_name"], "role": a["role"],
        "start": a["start"], "end": a["end"], "alert": a["alert"],
        "quarantine": a["quarantine"], "held": a["held"],
        "detectors": a["alert_by"], "state_before": a["state_before"],
        "dropped": dropped(a), "frames": a["frames"],
        "first_frame": a["first"], "notes": a["notes"] + frame_notes(a),
        "onset": a["onset"], "onset_begins_with": a["onset_what"],
        "quarantine_from_onset": a["quarantine_onset"],
    }


def print_tsv(truth, s):
    cols = ("attack", "source", "role", "start", "alert", "quarantine",
            "dropped")
    print("\t".join(cols))
    for a in truth:
        print("\t".join((a["attack"], a["src_name"], a["role"],
                         "%.3f" % a["start"],
                         fmt_delay(a, "alert"), fmt_delay(a, "quarantine"),
                         str(sum(dropped(a).values())))))
    print("# " + s["line"])


def judge(hosts, truth, out, grace):
    """The rows of truth judged on one run's decisions (a copy), its false
    alarms, device-hours and summary."""
    truth = copy.deepcopy(truth)
    cap = out["capture"][0]
    for a in truth:
        if a["role"] == "hijacked":
            judge_hijacked(a, out["alert"], out["score"], grace)
        else:
            judge_unknown(a)
    false, silences, hours = false_alarms(hosts, truth, out["alert"], grace,
                                          cap["duration"], cap["interval"])
    s = summary(truth, hosts, false, hours, cap)
    s["confirmed_silences"] = len(silences)
    s["line"] += "; %d silence alerts the capture confirms" % len(silences)
    return truth, false, hours, s


def agree(r, l, slack):
    """Whether the replay's row r and the live row l decide alike."""
    if r["role"] != "hijacked":
        return True
    if (r["quarantine"] is None) != (l["quarantine"] is None):
        return False
    if r["quarantine"] is None:
        return (r["alert"] is None) == (l["alert"] is None)
    return abs(r["quarantine"] - l["quarantine"]) <= slack


def print_side_by_side(replay, live, slack, xdp, matched):
    rt, _, _, rs = replay
    lt, _, _, ls = live
    print("Replay and live side by side (delays in s from the attack's "
          "first frame, ON-Q from its onset; alike: both act or neither, "
          "quarantines within %g s):" % slack)
    fmt = "%-29s %-18s %8s %5s  %6s %6s %6s  %6s %6s %6s  %s"
    print(fmt % ("ATTACK", "SOURCE", "START", "ONSET", "REPLAY", "", "",
                 "LIVE", "", "", "ALIKE"))
    print(fmt % ("", "", "", "", "ALERT", "QUAR", "ON-Q", "ALERT", "QUAR",
                 "ON-Q", ""))
    alike = 0
    for r, l in zip(rt, lt):
        if r["role"] != "hijacked":
            continue
        same = agree(r, l, slack)
        alike += same
        note = "yes" if same else "NO"
        if not same and l["notes"]:
            note += ": live " + l["notes"][0]
        print(fmt % (r["attack"][:29], r["src_name"][:18],
                     "%.3f" % r["start"], "%.2f" % r["onset"],
                     fmt_delay(r, "alert"), fmt_delay(r, "quarantine"),
                     fmt_onset_delay(r), fmt_delay(l, "alert"),
                     fmt_delay(l, "quarantine"), fmt_onset_delay(l), note))
    fq = (rs["false_quarantines"], ls["false_quarantines"])
    print()
    print("Alike: %d of %d attacks from enrolled devices; false "
          "quarantines replay %d, live %d (%s). The XDP program live: "
          "%d frames passed, dropped %d unknown, %d spoofed, %d ARP" %
          (alike, rs["hijacked"], fq[0], fq[1],
           "within one" if abs(fq[0] - fq[1]) <= 1 else "NOT within one",
           xdp["pass"], xdp["unknown"], xdp["spoofed"], xdp["arp"]))
    print("Live times are on the capture's clock as the frames left "
          "(%d of %d frames seen leaving; the sender fell behind the "
          "capture by up to %.2f s)." % matched)
    return alike


def main():
    p = argparse.ArgumentParser(
        description="Judge iotguardd --replay on a city (make-city).")
    p.add_argument("city", help="directory with city.pcap, devices.tsv, "
                   "truth.tsv")
    p.add_argument("--iotguardd", default="build/iotguardd")
    p.add_argument("-c", "--config", help="iotguardd.conf for the replay")
    p.add_argument("--grace", type=float, default=3.0,
                   help="seconds after an attack's last frame in which a "
                   "decision is still its (default 3)")
    p.add_argument("--live", metavar="DIR",
                   help="also judge the live run eval/live.sh left in DIR")
    p.add_argument("--format", choices=("text", "json", "tsv"),
                   default="text")
    args = p.parse_args()

    try:
        if not os.path.isdir(args.city):
            raise InputError("Unable to read the city %s: no such directory "
                             "(make-city makes one; see the corpus's "
                             "README.md)" % args.city)
        hosts, truth = read_city(args.city)
        pcap = os.path.join(args.city, "city.pcap")
        enrolled = {h["ipv4"]: h for h in hosts if h["role"] != "unknown"}
        scan_capture(pcap, truth, enrolled, args.grace)
        conf = read_config(args.config)
    except InputError as e:
        print(e, file=sys.stderr)
        return 1
    with tempfile.NamedTemporaryFile("w", prefix="devices.",
                                     suffix=".txt") as devs:
        for h in enrolled.values():
            devs.write("%s %s mac=%s\n" % (h["ipv4"], h["name"], h["mac"]))
        devs.flush()
        out = run_replay(args.iotguardd, pcap, devs.name, args.config)
    cap = out["capture"][0]
    runs = [("replay", judge(hosts, truth, out, args.grace))]
    if args.live:
        try:
            live = read_live(args.live, cap, pcap)
        except InputError as e:
            print(e, file=sys.stderr)
            return 1
        runs.append(("live", judge(hosts, truth, live, args.grace)))
    slack = cap["interval"] * (1 + float(conf.get("act_after", 0)))
    if args.format == "json":
        doc = {"city": args.city, "config": args.config,
               "duration": cap["duration"], "interval": cap["interval"],
               "grace": args.grace}
        for name, (rows, false, _, s) in runs:
            doc[name] = {
                "attacks": [row(a) for a in rows],
                "false_alarms": [{k: e[k] for k in
                                  ("name", "offset", "event", "action",
                                   "detectors", "explanation")}
                                 for e in false],
                "summary": s}
        # The replay's, where a single run's were before --live.
        doc.update(doc["replay"])
        if args.live:
            doc["live"]["xdp"] = live["capture"][0]["xdp"]
            doc["live"]["clock"] = live["capture"][0]["matched"]
            doc["alike"] = sum(agree(r, l, slack) for r, l in
                               zip(runs[0][1][0], runs[1][1][0])
                               if r["role"] == "hijacked")
        json.dump(doc, sys.stdout, indent=1)
        print()
    elif args.format == "tsv":
        for name, (rows, _, _, s) in runs:
            if args.live:
                print("# " + name)
            print_tsv(rows, s)
    else:
        for name, (rows, false, hours, s) in runs:
            if args.live:
                print("==== %s%s" % (name, ": the capture sent at its "
                                     "own speed through XDP, the live "
                                     "daemon" if name == "live" else
                                     ": iotguardd --replay"))
                print()
            c = cap if name == "replay" else dict(
                cap, spoofed=s["replay_spoofed"])
            print_text(args, c, hosts, rows, false, hours, s)
            print()
        if args.live:
            print_side_by_side(runs[0][1], runs[1][1], slack,
                               live["capture"][0]["xdp"],
                               live["capture"][0]["matched"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
