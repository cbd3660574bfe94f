#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The table of `make bench`: figures beside their goals.

Reads the JSON lines of build/bench/bench, writes results.json (the figures
with their samples, and one row per figure with its goal, ratio and verdict)
and prints the same rows as a table. A goal is met (PASS) or not (MISS);
rows without a goal are for reading only. See Documentation/performance.rst.

Usage: report.py [--meta JSON] [--json OUT] RAW.jsonl
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
    return "%.4g %s" % (v, unit)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meta", default="{}")
    ap.add_argument("--json")
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
