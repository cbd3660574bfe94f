#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The table of `make bench`: figures beside their goals.

Reads the JSON lines of build/bench/bench, writes results.json (the figures
with their samples, and one row per figure with its goal, ratio and verdict)
and prints the same rows as a table. A goal is met (PASS) or not (MISS);
rows without a goal are for reading only. See Documentation/performance.rst.

Usage: report.py [--meta JSON] [--json OUT] [--scenario JSON
                 --scenario-status STATUS] RAW.jsonl
"""
import argparse
import json
import sys

CASES = [("pass", 3.0), ("unknown", 1.5), ("rate", 1.5)]
CASE_TEXT = {"pass": "pass", "unknown": "drop, unknown source",
             "rate": "drop, over rate"}
FLAT = 1.20
NFT_RATIO = 5.0
ENROLL_S = 10.0
KMEM_B = 256.0
MAP_SLOT_B = 256.0
FEATURES_NS = 15.0
# test_run's floor on the project's hosts (no TCG): 15 ns is this share of it.
HOST_FLOOR_NS = 21.0
SCORE_S = 1.0
REVOKE_P99_S = 1.0
DETECT_S = 5.0


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "ns":
        return "%.1f ns" % v
    if unit == "pps":
        return "%.3f Mpps" % (v / 1e6)
    if unit == "s":
        return "%.2f s" % v
    if unit == "B":
        return "%.0f B" % v
    if unit == "+ns":
        return "%+.1f ns" % v
    if unit == "x":
        return "%.3fx" % v
    return "%.4g %s" % (v, unit)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meta", default="{}")
    ap.add_argument("--json")
    ap.add_argument("--scenario")
    ap.add_argument("--scenario-status", default="absent")
    ap.add_argument("raw")
    args = ap.parse_args()

    figs = {}
    with open(args.raw) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                d = json.loads(line)
                figs[d["name"]] = d
    rows = []

    def row(section, label, value, unit, goal, ratio, ok, note=""):
        rows.append({"section": section, "figure": label, "value": value,
                     "unit": unit, "goal": goal, "ratio": ratio,
                     "verdict": None if ok is None else
                     ("PASS" if ok else "MISS"), "note": note})

    def med(name):
        return figs[name]["median"] if name in figs else None

    # 1. XDP per packet
    sec = "XDP per packet (BPF_PROG_TEST_RUN, 64 B)"
    floor = med("xdp.floor")
    row(sec, "floor: empty XDP program", floor, "ns", "", 1.0 if floor else None,
        None, "test_run's own cost per frame")
    tiers = sorted({figs[n]["devices"] for n in figs
                    if n.startswith("xdp.iotguard.")})
    for fam in ("v4", "v6"):
        for case, limit in CASES:
            for n in tiers:
                v = med("xdp.iotguard.%s.%s.%d" % (fam, case, n))
                if v is None or not floor:
                    continue
                r = v / floor
                row(sec, "iotguard %s %s, %d dev" % (fam, CASE_TEXT[case], n),
                    v, "ns", "<= %.1fx floor" % limit, r, r <= limit)
    for fam in ("v4", "v6"):
        for case in ("pass", "unknown"):
            for n in tiers:
                v = med("xdp.xdpfilter.%s.%s.%d" % (fam, case, n))
                if v is None or not floor:
                    continue
                ig = med("xdp.iotguard.%s.%s.%d" % (fam, case, n))
                note = ("iotguard/xdp-filter %.2fx" % (ig / v)) if ig else ""
                row(sec, "xdp-filter %s %s, %d addr" %
                    (fam, "pass" if case == "pass" else "drop, unknown source", n),
                    v, "ns", "(peer)", v / floor, None, note)

    # What the features collection adds to the pass path.
    for fam in ("v4", "v6"):
        d = figs.get("xdp.features.%s.delta" % fam)
        on = med("xdp.features.%s.on" % fam)
        off = med("xdp.features.%s.off" % fam)
        if d is None or on is None or off is None or not floor:
            continue
        n = d["devices"]
        row(sec, "iotguard %s pass, features off, %d dev" % (fam, n), off,
            "ns", "", off / floor, None)
        row(sec, "iotguard %s pass, features on, %d dev" % (fam, n), on,
            "ns", "", on / floor, None)
        delta = d["median"]
        row(sec, "features cost %s: %+.1f ns (goal <= %.0f ns)" %
            (fam, delta, FEATURES_NS), delta, "+ns",
            "<= %.0f ns" % FEATURES_NS, delta / FEATURES_NS,
            delta <= FEATURES_NS,
            "median of paired on-off runs; as measured, under TCG")
        goal_r = FEATURES_NS / HOST_FLOOR_NS
        row(sec, "features cost %s / floor" % fam, delta / floor, "x",
            "<= %.2fx floor" % goal_r, delta / floor / goal_r,
            delta / floor <= goal_r,
            "15 ns is %.2fx the %.0f ns floor of a real core" %
            (goal_r, HOST_FLOOR_NS))

    # The same on the host's own kernel and core, the kfunc replaced by
    # a map (bench/standin.bpf.c): the figure to judge the 15 ns by.
    for prefix, where in (("host.", "host"), ("", "guest")):
        hfloor = med(prefix + "standin.floor")
        for fam in ("v4", "v6"):
            d = figs.get(prefix + "standin.features.%s.delta" % fam)
            on = med(prefix + "standin.features.%s.on" % fam)
            off = med(prefix + "standin.features.%s.off" % fam)
            if d is None or on is None or off is None or not hfloor:
                continue
            delta = d["median"]
            row(sec, "features cost %s, %s, kfunc stand-in" % (fam, where),
                delta, "+ns", "<= %.0f ns" % FEATURES_NS,
                delta / FEATURES_NS, delta <= FEATURES_NS,
                "pass on %.0f / off %.0f ns, floor %.1f ns; pairs %s..%s" %
                (on, off, hfloor, min(d["samples"]), max(d["samples"])))

    # The whole program on the host's core, the kfunc stood in by a map:
    # what the verdicts cost beside a real floor (the module's lookup is
    # not in it: indicative of the ratios, not a verdict on them).
    hsec = "XDP per packet on the host (kfunc stood in by a map)"
    for prefix, where in (("host.", "host"), ("", "guest")):
        hfloor = med(prefix + "standin.floor")
        if not hfloor or med(prefix + "standin.v4.pass") is None:
            continue
        row(hsec, "floor: empty XDP program (%s)" % where, hfloor, "ns", "",
            1.0, None, "test_run's own cost per frame")
        for fam in ("v4", "v6"):
            for case, limit in CASES:
                v = med(prefix + "standin.%s.%s" % (fam, case))
                if v is None:
                    continue
                r = v / hfloor
                row(hsec, "stand-in %s %s (%s)" % (fam, CASE_TEXT[case], where),
                    v, "ns", "<= %.1fx floor" % limit, r, r <= limit,
                    "a hash map for the module's lookup")

    # Unknown sources one frame per test_run: one source (its slot of the
    # per-CPU cache holds it) against a new source every frame (a spoofed
    # flood: a slot changes hands for each frame, the LRU is asked, and
    # only the CPU's budget of new sources is added to it).
    ssec = "Unknown sources, one frame per test_run (spoofed flood)"
    for prefix, where in (("host.standin", "host, stand-in"),
                          ("standin", "guest, stand-in"),
                          ("xdp", "guest")):
        for fam in ("v4", "v6"):
            f1 = med("%s.singles.%s.floor" % (prefix, fam))
            same = med("%s.singles.%s.same" % (prefix, fam))
            dist = med("%s.singles.%s.distinct" % (prefix, fam))
            if not f1 or same is None or dist is None:
                continue
            n = figs["%s.singles.%s.same" % (prefix, fam)].get("frames", 0)
            row(ssec, "floor, one frame per run, %s (%s)" % (fam, where), f1,
                "ns", "", 1.0, None, "the empty program; %d frames a run" % n)
            row(ssec, "%s drop, one unknown source (%s)" % (fam, where), same,
                "ns", "", same / f1, None, "each frame finds its slot")
            row(ssec, "%s drop, a new source each frame (%s)" % (fam, where),
                dist, "ns", "", dist / f1, None,
                "%.2fx one source's cost" % (dist / same))

    # Device credentials: the tag check, repeated (a bogus tag never moves
    # the window, so each frame is a whole check), beside a plain device's
    # pass; one valid datagram per run (verified, opened, cut), beside a
    # plain device's single; and a flood of bogus tags at a held device.
    csec = "Device credentials (BPF_PROG_TEST_RUN, kernel's ChaCha20-Poly1305)"
    for size in (64, 1400):
        plain = med("xdp.cred.plain.%d" % size)
        if plain is None:
            continue
        row(csec, "plain device, pass, %d B" % size, plain, "ns", "",
            plain / floor if floor else None, None, "no credential")
        for mode in ("auth", "seal"):
            v = med("xdp.cred.%s.bad.%d" % (mode, size))
            if v is not None:
                row(csec, "%s, a bad tag checked and dropped, %d B" %
                    (mode, size), v, "ns", "", v / plain, None,
                    "%+.0f ns over the plain pass" % (v - plain))
        one = med("xdp.cred.single.plain.%d" % size)
        for mode in ("auth", "seal"):
            v = med("xdp.cred.single.%s.%d" % (mode, size))
            if v is None or not one:
                continue
            row(csec, "%s, valid: verified%s, cut, passed, %d B (1/run)" %
                (mode, " and opened" if mode == "seal" else "", size), v,
                "ns", "", v / one, None,
                "%+.0f ns over a plain single (%.0f ns)" % (v - one, one))
        fl = figs.get("xdp.cred.flood.%d" % size)
        if fl:
            n, checks = fl["frames"], fl["tag_checks"]
            row(csec, "flood of bogus tags at 1000/s, %d B" % size,
                fl["median"], "ns", "tag checks <= admitted",
                None, checks + fl["rate_drops"] == n,
                "%d tag checks of %d frames, %d dropped by the rate first" %
                (checks, n, fl["rate_drops"]))

    # Flatness from the smallest to the largest table.
    sec = "Per-packet cost vs table size"
    for fam in ("v4", "v6"):
        for case, _ in CASES:
            vals = [med("xdp.iotguard.%s.%s.%d" % (fam, case, n)) for n in tiers]
            vals = [v for v in vals if v]
            if len(vals) < 2:
                continue
            r = max(vals) / min(vals)
            row(sec, "iotguard %s %s, %d..%d dev" %
                (fam, CASE_TEXT[case], tiers[0], tiers[-1]),
                max(vals), "ns", "max/min <= %.2f" % FLAT, r, r <= FLAT,
                "min %.1f ns" % min(vals))

    # 2. live frames through a veth
    sec = "Packets/s through a veth (live frames)"
    for kind in ("pass", "drop"):
        for mode in ("none", "iotguard", "nft"):
            name = "live.%s.%s" % (mode, kind)
            if name not in figs:
                continue
            d = figs[name]
            note = "passed %.3f, dropped %.3f Mpps (offered %.3f)" % (
                d["passed_pps"] / 1e6, d["dropped_pps"] / 1e6,
                d["offered_pps"] / 1e6)
            label = {"none": "no filter", "iotguard": "iotguard",
                     "nft": "nftables"}[mode]
            traffic = ("enrolled source" if kind == "pass"
                       else "unknown source")
            nft = med("live.nft.%s" % kind)
            if mode == "iotguard" and nft:
                r = d["median"] / nft
                row(sec, "%s, %s" % (label, traffic), d["median"], "pps",
                    ">= %.0fx nftables" % NFT_RATIO, r, r >= NFT_RATIO, note)
            else:
                row(sec, "%s, %s" % (label, traffic), d["median"], "pps", "",
                    None, None, note)

    # 3. control plane
    sec = "Control plane (netlink)"
    if "ctl.enroll" in figs:
        d = figs["ctl.enroll"]
        row(sec, "enroll %d devices (batched)" % d["devices"], d["median"], "s",
            "< %.0f s" % ENROLL_S, d["median"] / ENROLL_S,
            d["median"] < ENROLL_S,
            "%.0f devices/s" % med("ctl.enroll_rate"))
    if "ctl.set_state" in figs:
        d = figs["ctl.set_state"]
        row(sec, "change the state of %d devices" % d["devices"], d["median"],
            "s", "", None, None, "%.0f changes/s" % (d["devices"] / d["median"]))
    if "ctl.dump" in figs:
        d = figs["ctl.dump"]
        row(sec, "dump %d devices" % d["devices"], d["median"], "s", "", None,
            None, "%.0f devices/s" % (d["devices"] / d["median"]))
    if "ctl.kmem_per_device" in figs:
        d = figs["ctl.kmem_per_device"]
        row(sec, "kernel memory per device", d["median"], "B",
            "<= %.0f B" % KMEM_B, d["median"] / KMEM_B, d["median"] <= KMEM_B,
            "slab+vmalloc+percpu delta; object %s B" % d.get("slab_object_bytes"))

    # 4. the daemon. The goal is per 10^6 devices; smaller runs are scaled.
    sec = "Daemon (iotguardd, one core)"
    def per_m(d):
        return d["median"] * 1e6 / d["devices"]

    def scaled(d):
        if d["devices"] == 1000000:
            return ""
        return "; x%g for 10^6: %.2f s" % (1e6 / d["devices"], per_m(d))

    for prefix, where in (("host.", "host"), ("", "guest, TCG")):
        d = figs.get(prefix + "score.interval")
        if d is None:
            continue
        row(sec, "score %d devices, one interval (%s)" % (d["devices"], where),
            d["median"], "s", "< %.0f s per 10^6" % SCORE_S,
            per_m(d) / SCORE_S, per_m(d) < SCORE_S,
            "wall; %.0f ns/device, %d of %d scored anomalous%s" %
            (med(prefix + "score.per_device"), d["anomalous"], d["scored"],
             scaled(d)))
        c = figs.get(prefix + "score.interval_cpu")
        if c is not None:
            row(sec, "score %d devices, CPU time (%s)" % (c["devices"], where),
                c["median"], "s", "< %.0f s per 10^6" % SCORE_S,
                per_m(c) / SCORE_S, per_m(c) < SCORE_S,
                "the thread's CPU time: without other processes' turns%s" %
                scaled(c))
    d = figs.get("daemon.interval")
    if d is not None:
        work = med("daemon.interval_work")
        row(sec, "daemon interval, %d devices (guest, TCG)" % d["devices"],
            d["median"], "s", "< %.0f s per 10^6" % SCORE_S,
            per_m(d) / SCORE_S, per_m(d) < SCORE_S,
            "maps + scoring %.2f s%s" % (work, scaled(d)))
    d = figs.get("daemon.scrape")
    if d is not None:
        row(sec, "a /metrics scrape, %d devices (guest, TCG)" % d["devices"],
            d["median"], "s", "", None, None,
            "%.1f MB, rendered by the HTTP thread, not in the interval%s" %
            (d["bytes"] / 1e6, scaled(d)))
    single = figs.get("daemon.read.single")
    batch = figs.get("daemon.read.batch")
    if single:
        row(sec, "read the maps of %d devices, a lookup each (before)" %
            single["devices"], single["median"], "s", "", None, None,
            "iotguard_devstats + iotguard_features, as the daemon did")
    if batch:
        note = "as the daemon reads them"
        if single:
            note = "%.1fx faster" % (single["median"] / batch["median"])
        if not batch["batched"]:
            note += " (kernel refused batches: single reads)"
        row(sec, "read the maps of %d devices, batched" % batch["devices"],
            batch["median"], "s", "", None, None, note + scaled(batch))
    sc = figs.get("host.score.rss_per_device") or figs.get(
        "score.rss_per_device")
    if sc is not None:
        note = "resident growth; struct iotguard_score_dev %d B" % \
            sc["struct_bytes"]
        # The destinations are touched only by devices that have some.
        if "slot_bytes" in sc:
            note += ", %d B with the destinations" % sc["slot_bytes"]
        row(sec, "scorer memory per device (%d devices)" % sc["devices"],
            sc["median"], "B", "", None, None, note)
    d = figs.get("daemon.start_rss_per_device")
    if d is not None:
        row(sec, "daemon memory per device, started (%d devices)" %
            d["devices"], d["median"], "B", "", None, None,
            "resident growth of monitor_start(); struct dstate %d B" %
            d["dstate_bytes"])
    d = figs.get("daemon.rss_per_device")
    if d is not None:
        row(sec, "daemon memory per device, running (%d devices)" %
            d["devices"], d["median"], "B", "", None, None,
            "%.0f B after start; then /metrics label sets, alerts" %
            d["after_start_bytes"])
    for what, note in (("per_slot", "per slot of max_devices, sent or not"),
                       ("per_device", "per device that sent")):
        d = figs.get("host.standin.mem." + what) or figs.get(
            "standin.mem." + what)
        if d is None:
            continue
        row(sec, "per-device maps' memory %s (host)" % note.split(",")[0],
            d["median"], "B", "<= %d B" % MAP_SLOT_B if what == "per_slot"
            else "", d["median"] / MAP_SLOT_B if what == "per_slot"
            else None,
            d["median"] <= MAP_SLOT_B if what == "per_slot" else None,
            "memlock of iotguard_devstats + _features + _rate: %d slots, "
            "%d devices, %d CPUs; %s" % (d["slots"], d["devices"], d["cpus"],
                                         note))
    d = figs.get("daemon.kmaps_per_device")
    if d is not None:
        row(sec, "kernel memory of the BPF maps, per device slot",
            d["median"], "B", "<= %.0f B" % MAP_SLOT_B,
            d["median"] / MAP_SLOT_B, d["median"] <= MAP_SLOT_B,
            "max_devices %d, %d CPUs, at attach: hash buckets and the "
            "%d B rate state" % (d["max_devices"], d["cpus"],
                                 d["rate_bytes"]))
    d = figs.get("daemon.kmaps_per_sent_device")
    if d is not None:
        row(sec, "kernel memory of the BPF maps, per device that sent",
            d["median"], "B", "", None, None,
            "%d devices, %d CPUs: (%d + %d) B x CPUs of values, and the "
            "hash entries" % (d["devices"], d["cpus"], d["devstats_bytes"],
                              d["features_bytes"]))

    # 6. the fleet (Documentation/fleet.rst): a revocation on every router,
    # at the host's speed (bench/fleet.sh: agents recording what they
    # would apply) and in the guest (agents and modules in namespaces)
    for prefix, sec, applier in (
            ("host.", "Fleet (bench/fleet.sh: a 3-node cluster and the "
             "agents, host)", "recorded, not the module"),
            ("", "Fleet (tests/guest/fleet_test.sh: routers in namespaces, "
             "TCG)", "the module of its namespace")):
        d = figs.get(prefix + "fleet.revoke")
        if d is not None:
            row(sec, "revocation to %d routers, p99" % d["routers"], d["p99"],
                "s", "<= %.0f s" % REVOKE_P99_S, d["p99"] / REVOKE_P99_S,
                d["p99"] <= REVOKE_P99_S,
                "p50 %.3f s, max %.3f s; from the revision's timestamp to "
                "each agent's apply (%s)" % (d["median"], d["max"], applier))
        d = figs.get(prefix + "fleet.enroll")
        if d is not None:
            row(sec, "%d enrollments over %d routers" %
                (d["devices"], d["routers"]), d["median"], "s", "", None,
                None, "%.0f/s, from the first put to the last agent's "
                "apply; one client putting; an agent's RSS then %d KiB" %
                (d["devices"] / d["median"], d.get("rss_kib", 0)))
        d = figs.get(prefix + "fleet.agent_memory")
        if d is not None:
            row(sec, "an agent's table, per identity", d["median"], "B", "",
                None, None, "%d identities over %d agents, by their own "
                "count" % (d["devices"], d["routers"]))

    # 5. detection delay per attack
    sec = "Detection delay per attack (tests/guest/scenario_test.sh)"
    delays = None
    if args.scenario_status not in ("absent", "skipped") and args.scenario:
        try:
            with open(args.scenario) as f:
                delays = json.load(f)
        except (OSError, ValueError) as e:
            args.scenario_status = "ran, but no delays: %s" % e
    if delays is not None:
        figs["scenario"] = delays
        for a in delays:
            v = a.get("delay_s")
            label = "%s (%s)" % (a.get("attack"), a.get("detector"))
            note = "" if args.scenario_status == "ran" else \
                "scenario_test.sh " + args.scenario_status
            if v is None:
                row(sec, label, None, "s", "<= %.0f s" % DETECT_S, None,
                    False, note or "not detected")
            else:
                row(sec, label, v, "s", "<= %.0f s" % DETECT_S, v / DETECT_S,
                    v <= DETECT_S, note)
    else:
        note = {"absent": "scenario_test.sh not present",
                "skipped": "not run in --smoke"}.get(
                    args.scenario_status, args.scenario_status)
        row(sec, "detection delays", None, "s", "<= %.0f s" % DETECT_S, None,
            None, note)

    meta = json.loads(args.meta)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "figures": figs, "rows": rows}, f, indent=1)
            f.write("\n")

    w = max(len(r["figure"]) for r in rows) if rows else 10
    print("iotguard bench: %s" % ", ".join("%s %s" % kv for kv in meta.items()))
    section = None
    for r in rows:
        if r["section"] != section:
            section = r["section"]
            print("\n%s" % section)
            print("  %-*s %14s  %-18s %7s  %-4s  %s" %
                  (w, "figure", "value", "goal", "ratio", "", "note"))
        ratio = "" if r["ratio"] is None else "%.2fx" % r["ratio"]
        print("  %-*s %14s  %-18s %7s  %-4s  %s" %
              (w, r["figure"], fmt(r["value"], r["unit"]), r["goal"], ratio,
               r["verdict"] or "", r["note"]))
    met = sum(r["verdict"] == "PASS" for r in rows)
    missed = sum(r["verdict"] == "MISS" for r in rows)
    print("\ngoals: %d met, %d missed" % (met, missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
