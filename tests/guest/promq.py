#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The Prometheus HTTP API for the guest tests, run inside the namespace of
the Prometheus server the test started.

  promq.py ready URL TIMEOUT            wait for URL/-/ready
  promq.py wait URL QUERY COND TIMEOUT  poll until COND holds
  promq.py grows URL QUERY TIMEOUT      the one series' value increases
  promq.py checks URL TIMEOUT <LINES    each "DESC<tab>QUERY<tab>COND" holds
  promq.py rules URL ALERTS RECORDS TIMEOUT  the rules loaded, healthy

COND is a Python expression over r, the query's result as a list of
(labels, value) pairs, e.g. "len(r) == 1 and r[0][1] > 0". Exits 0 when
the condition held; otherwise prints what the query returned, as TAP
comments, and exits 1.

Everything waits for an event (the server ready, a series present, a value
moved, a condition holding), polling; TIMEOUT seconds is only a safety net
against a hang, never a judgement. checks (one process for many queries:
Python starts slowly under TCG) polls its lines in order, each until it
holds, all within one TIMEOUT, and prints "ok<tab>DESC" or "not ok<tab>DESC"
and comments for each line. In order: a line may rely on the ones before
it, e.g. "passed nothing" (== 0) means something only once a line before
has seen the same device's drops (> 0).

rules waits until every rule the server loaded has been evaluated since
the command started (so against the series there are by then), and prints
two such results: ALERTS alerting and RECORDS recording rules were loaded;
every rule's health is "ok", with no error (the rules and their errors
otherwise)."""

import datetime
import json
import re
import sys
import time
import urllib.parse
import urllib.request

POLL = 0.5


def query(url, promql):
    q = urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen("%s/api/v1/query?%s" % (url, q),
                                timeout=10) as resp:
        body = json.load(resp)
    if body.get("status") != "success":
        raise RuntimeError("query %s: %s" % (promql, body))
    if body["data"]["resultType"] == "scalar":
        return [({}, float(body["data"]["result"][1]))]
    return [(s["metric"], float(s["value"][1]))
            for s in body["data"]["result"]]


def holds(cond, r):
    return bool(eval(cond, {"r": r}))  # the test's own expressions


def say(what):
    for line in str(what).splitlines():
        print("# " + line)


def poll(url, promql, cond, deadline):
    """Queries until cond holds over the result (True) or the deadline
    passes (False); at least once. Returns (held, why)."""
    why = None
    while True:
        try:
            r = query(url, promql)
            if holds(cond, r):
                return True, None
            why = "%s -> %s (wanted %s)" % (promql, r, cond)
        except (OSError, RuntimeError, ValueError) as e:
            why = "%s: %s" % (promql, e)
        if time.monotonic() >= deadline:
            return False, why
        time.sleep(POLL)


def ready(url, timeout):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(url + "/-/ready", timeout=5) as resp:
                if resp.status == 200:
                    print("%.1f" % (time.monotonic() - start))
                    return 0
        except OSError:
            pass
        time.sleep(POLL)
    say("%s/-/ready: not ready after %ss" % (url, timeout))
    return 1


def wait(url, promql, cond, timeout):
    start = time.monotonic()
    held, why = poll(url, promql, cond, start + timeout)
    if held:
        print("%.1f" % (time.monotonic() - start))
        return 0
    say("%s (waited %ss)" % (why, timeout))
    return 1


def grows(url, promql, timeout):
    """The query's one series takes a value greater than the first one
    seen: two scrapes apart at least, however long they take."""
    start = time.monotonic()
    deadline = start + timeout
    held, why = poll(url, promql, "len(r) == 1", deadline)
    if not held:
        say("%s (wanted one series, waited %ss)" % (why, timeout))
        return 1
    # A scrape that timed out in a loaded guest marks every series stale
    # until the next one: read the first value once it is back.
    first = None
    while first is None and time.monotonic() < deadline:
        r = query(url, promql)
        if len(r) == 1:
            first = r[0][1]
        else:
            time.sleep(0.5)
    if first is None:
        say("the series went away (waited %ss)" % timeout)
        return 1
    held, why = poll(url, promql, "len(r) == 1 and r[0][1] > %r" % first,
                     deadline)
    if not held:
        say("%s (stayed at %g, waited %ss)" % (why, first, timeout))
        return 1
    print("%g to %g" % (first, query(url, promql)[0][1]))
    return 0


def checks(url, timeout, lines):
    deadline = time.monotonic() + timeout
    for line in lines:
        desc, promql, cond = line.rstrip("\n").split("\t")
        held, why = poll(url, promql, cond, deadline)
        print(("ok\t" if held else "not ok\t") + desc)
        if not held:
            say(why)
    return 0


def evaluated_at(rule):
    """The rule's last evaluation (RFC 3339, nanoseconds) as an aware
    datetime; None before the first."""
    when = rule.get("lastEvaluation", "")
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[-+]\d\d:\d\d)$",
                 when)
    if not m or when.startswith("0001-"):
        return None
    frac = (m.group(2) or ".0")[:7]
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.datetime.fromisoformat(m.group(1) + frac + zone)


def rules(url, alerting, recording, timeout):
    since = datetime.datetime.now(datetime.timezone.utc)
    deadline = time.monotonic() + timeout
    loaded, why = [], None
    while True:
        try:
            with urllib.request.urlopen(url + "/api/v1/rules",
                                        timeout=10) as resp:
                body = json.load(resp)
            loaded = [r for g in body["data"]["groups"] for r in g["rules"]]
            late = [r["name"] for r in loaded
                    if (evaluated_at(r) or since) <= since]
            if loaded and not late:
                why = None
                break
            why = "not evaluated since %s: %s" % (since.isoformat(),
                                                  ", ".join(late))
        except (OSError, ValueError, KeyError) as e:
            why = "/api/v1/rules: %s" % e
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL)
    alerts = [r for r in loaded if r.get("type") == "alerting"]
    records = [r for r in loaded if r.get("type") == "recording"]
    print("%s\tprometheus loaded %d alerting and %d recording rules "
          "(%d, %d)" % ("ok" if (len(alerts), len(records)) ==
                        (alerting, recording) else "not ok",
                        alerting, recording, len(alerts), len(records)))
    bad = [r for r in loaded if r.get("health") != "ok" or r.get("lastError")]
    print("%s\tevery rule evaluates with health ok against the daemon" %
          ("ok" if loaded and not bad and why is None else "not ok"))
    if why:
        say("%s (waited %ss)" % (why, timeout))
    for r in bad:
        say("%s: health %s: %s" % (r.get("name"), r.get("health"),
                                   r.get("lastError", "")))
    return 0


def main():
    cmd, url = sys.argv[1], sys.argv[2]
    if cmd == "ready":
        return ready(url, float(sys.argv[3]))
    if cmd == "wait":
        return wait(url, sys.argv[3], sys.argv[4], float(sys.argv[5]))
    if cmd == "grows":
        return grows(url, sys.argv[3], float(sys.argv[4]))
    if cmd == "checks":
        return checks(url, float(sys.argv[3]), sys.stdin)
    if cmd == "rules":
        return rules(url, int(sys.argv[3]), int(sys.argv[4]),
                     float(sys.argv[5]))
    print("unknown command " + cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
