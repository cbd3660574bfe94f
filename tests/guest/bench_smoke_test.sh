#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench` in a tiny configuration (bench/guest.sh --smoke: a small
# repeat, 1 and 1000 devices, one run of each figure), so that the bench
# cannot rot: it must run, write every figure, and its counters must show
# the verdicts the figures claim to measure (the features off must not
# count, the daemon must have read and scored every device, batched).
# Speed is not judged here: no figure is held against another.
# Runs in the guest under tests/guest/run-all.sh (module loaded with the
# default max_devices), cwd = the repo. TAP.

REPO=$(pwd)
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/bench-smoke.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

# The run, then the checks of results.json below.
CHECKS=11
tap_plan $((1 + CHECKS))

if bash "$REPO/bench/guest.sh" --smoke "$OUT" >"$OUT/log" 2>&1; then
	ok "bench/guest.sh --smoke runs"
else
	sed 's/^/# /' "$OUT/log"
	not_ok "bench/guest.sh --smoke runs"
fi

# The rest judges results.json: a line "ok<tab>WHAT" or "not ok<tab>WHAT"
# per check, comments between.
python3 - "$OUT/results.json" >"$OUT/checks.out" 2>&1 <<'EOF' || true
import json
import sys


def check(ok, what, detail=""):
    print("%s\t%s" % ("ok" if ok else "not ok", what))
    if detail and not ok:
        print("# " + detail)


try:
    res = json.load(open(sys.argv[1]))
    figs = res["figures"]
except Exception as e:  # noqa: BLE001 - any failure to read is a failure
    for what in ("results.json has every figure", "every figure is > 0",
                 "the stand-in gives each case its verdict",
                 "the XDP counters moved as each case expects",
                 "xdp-filter passes the allowed source and drops the other",
                 "live frames: iotguard passed the enrolled and dropped the unknown source",
                 "live frames: nftables and no filter saw the traffic",
                 "features on count every frame, features off none",
                 "the daemon read every device's maps, batched, and scored",
                 "the table has the daemon and detection delay rows",
                 "credentials: bad tags checked and dropped, valid datagrams passed, a flood held to the rate"):
        check(False, what, "no results: %s" % e)
    sys.exit(0)

want = ["xdp.floor", "ctl.enroll", "ctl.enroll_rate", "ctl.set_state",
        "ctl.dump", "ctl.kmem_per_device", "daemon.interval",
        "daemon.interval_work", "daemon.scrape", "daemon.read.single",
        "daemon.read.batch",
        "daemon.rss_per_device", "daemon.start_rss_per_device",
        "daemon.kmaps_per_device", "daemon.kmaps_per_sent_device",
        "score.interval", "score.interval_cpu",
        "score.per_device", "score.rss_per_device"]
for fam in ("v4", "v6"):
    for what in ("on", "off", "delta"):
        want.append("xdp.features.%s.%s" % (fam, what))
        want.append("standin.features.%s.%s" % (fam, what))
want.append("standin.floor")
for fam in ("v4", "v6"):
    for case in ("pass", "unknown", "rate"):
        want.append("standin.%s.%s" % (fam, case))
for fam in ("v4", "v6"):
    for n_dev in (1, 1000):
        for case in ("pass", "unknown", "rate"):
            want.append("xdp.iotguard.%s.%s.%d" % (fam, case, n_dev))
        for case in ("pass", "unknown"):
            want.append("xdp.xdpfilter.%s.%s.%d" % (fam, case, n_dev))
for mode in ("none", "iotguard", "nft"):
    for kind in ("pass", "drop"):
        want.append("live.%s.%s" % (mode, kind))
for prefix in ("xdp", "standin"):
    for fam in ("v4", "v6"):
        for kind in ("floor", "same", "distinct"):
            want.append("%s.singles.%s.%s" % (prefix, fam, kind))
for size in (64, 1400):
    for what in ("plain", "auth.bad", "seal.bad", "single.plain",
                 "single.auth", "single.seal", "flood"):
        want.append("xdp.cred.%s.%d" % (what, size))
missing = [w for w in want if w not in figs]
check(not missing, "results.json has every figure", "missing %s" % missing)

# A difference may be <= 0; everything else is a time, a rate or a size.
bad = [k for k, v in figs.items()
       if not k.endswith(".delta") and not v["median"] > 0]
check(not bad, "every figure is > 0", "not > 0: %s" % bad)

# XDP_DROP 1, XDP_PASS 2: the stand-in's verdicts, which its figures
# claim to time.
want_rv = {"pass": 2, "unknown": 1, "rate": 1}
wrong = ["%s: action %s" % (k, figs.get(k, {}).get("retval"))
         for k in ("standin.%s.%s" % (fam, case) for fam in ("v4", "v6")
                   for case in want_rv)
         if figs.get(k, {}).get("retval") != want_rv[k.split(".")[2]]]
check(not wrong, "the stand-in gives each case its verdict", "; ".join(wrong))

# Each of these checks needs its figures: with none, nothing would be wrong.
cases = [k for k in figs if k.startswith("xdp.iotguard.")]
wrong = []
for k in cases:
    v = figs[k]
    # The over-rate device earns a frame a second (1/s, no burst): over a
    # run that a busy guest makes last seconds, a few frames pass. A
    # broken limiter would pass most: 1 % is the line between the two.
    slack = v["frames"] // 100 if v["expect"] == "RATE" else 0
    if not v["frames"] - slack <= v["hits"] <= v["frames"] or \
       v["retval"] != v["want_retval"]:
        wrong.append("%s: %s %d of %d, action %d" %
                     (k, v["expect"], v["hits"], v["frames"], v["retval"]))
check(cases and not wrong, "the XDP counters moved as each case expects",
      "; ".join(wrong) or "no xdp.iotguard figure")

cases = [k for k in figs if k.startswith("xdp.xdpfilter.")]
wrong = [k for k in cases if figs[k]["retval"] != figs[k]["want_retval"]]
check(cases and not wrong,
      "xdp-filter passes the allowed source and drops the other",
      "wrong action: %s" % (wrong or "no xdp.xdpfilter figure"))

p, d = figs.get("live.iotguard.pass", {}), figs.get("live.iotguard.drop", {})
check(p.get("passed_pps", 0) > 0 and p.get("dropped_pps", 1) == 0 and
      d.get("dropped_pps", 0) > 0 and d.get("passed_pps", 1) == 0,
      "live frames: iotguard passed the enrolled and dropped the unknown source",
      "pass %s, drop %s" % (p, d))

nft_p, nft_d = figs.get("live.nft.pass", {}), figs.get("live.nft.drop", {})
none = figs.get("live.none.pass", {})
check(nft_p.get("passed_pps", 0) > 0 and nft_d.get("dropped_pps", 0) > 0 and
      none.get("passed_pps", 0) > 0,
      "live frames: nftables and no filter saw the traffic",
      "nft %s / %s, none %s" % (nft_p, nft_d, none))

wrong = []
for fam in ("v4", "v6"):
    on = figs.get("xdp.features.%s.on" % fam, {})
    off = figs.get("xdp.features.%s.off" % fam, {})
    if not (on.get("feature_packets") == on.get("frames", -1) and
            off.get("feature_packets", -1) == 0 and
            on.get("retval") == on.get("want_retval", -1) and
            off.get("retval") == off.get("want_retval", -1)):
        wrong.append("%s: on %s, off %s" % (fam, on, off))
check(not wrong, "features on count every frame, features off none",
      "; ".join(wrong))

iv = figs.get("daemon.interval", {})
rb = figs.get("daemon.read.batch", {})
sc = figs.get("score.interval", {})
check(iv.get("map_errors", 1) == 0 and
      iv.get("intervals", 0) == iv.get("warmup", -9) + len(iv.get("samples", [])) and
      rb.get("batched") is True and sc.get("learning", 1) == 0 and
      sc.get("scored", 0) == sc.get("devices", -1) * len(sc.get("samples", [])),
      "the daemon read every device's maps, batched, and scored",
      "interval %s, read %s, score %s" % (iv, rb, sc))

# XDP_DROP 1, XDP_PASS 2. A bad tag never moves the window: every frame
# of its runs is a whole tag check, dropped as bad_tag. The flood's device
# earns 1000 tag checks a second (and a burst of 100): frames beyond that
# are rate drops, without cryptography.
wrong = []
for size in (64, 1400):
    p = figs.get("xdp.cred.plain.%d" % size, {})
    if p.get("retval") != 2 or p.get("hits") != p.get("frames", -1):
        wrong.append("plain %d: %s" % (size, p))
    for mode in ("auth", "seal"):
        b = figs.get("xdp.cred.%s.bad.%d" % (mode, size), {})
        if b.get("retval") != 1 or b.get("hits") != b.get("frames", -1):
            wrong.append("%s bad %d: %s" % (mode, size, b))
    fl = figs.get("xdp.cred.flood.%d" % size, {})
    checks, drops = fl.get("tag_checks", -1), fl.get("rate_drops", -1)
    runs = len(fl.get("samples", []))
    # The runs' own time, as the kernel measured it: 1000 checks a
    # second of it, and the burst (100) once per run at most.
    seconds = sum(fl.get("samples", [])) * fl.get("frames", 0) / \
        max(runs, 1) / 1e9
    if checks < 1 or checks + drops != fl.get("frames", -1) or \
       checks > 101 * runs + 1000 * seconds:
        wrong.append("flood %d: %s" % (size, fl))
check(not wrong,
      "credentials: bad tags checked and dropped, valid datagrams passed, a flood held to the rate",
      "; ".join(wrong))

labels = [r["figure"] for r in res["rows"]]
check(any(l.startswith("daemon interval,") for l in labels) and
      any(l.startswith("features cost v4") for l in labels) and
      any(r["section"].startswith("Detection delay") for r in res["rows"]),
      "the table has the daemon and detection delay rows", str(labels))
EOF

tap_results "$OUT/checks.out" "$CHECKS" check
tap_end
