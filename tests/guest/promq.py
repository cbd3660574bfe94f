#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The Prometheus HTTP API for the guest tests, run inside the namespace of
the Prometheus server the test started.

  promq.py ready URL TIMEOUT           wait for URL/-/ready
  promq.py wait URL QUERY COND TIMEOUT  poll until COND holds
  promq.py grows URL QUERY TIMEOUT      the one series' value increases
  promq.py checks URL <LINES            each "DESC<tab>QUERY<tab>COND" holds

COND is a Python expression over r, the query's result as a list of
(labels, value) pairs, e.g. "len(r) == 1 and r[0][1] > 0". Exits 0 when
the condition held; otherwise prints what the query returned, as TAP
comments, and exits 1. Every wait is bounded by TIMEOUT seconds. checks
(one process for many queries: Python starts slowly under TCG) prints
"ok<tab>DESC" or "not ok<tab>DESC" and comments for each line."""

import json
import sys
import time
import urllib.parse
import urllib.request


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
        time.sleep(0.2)
    say("%s/-/ready: not ready after %ss" % (url, timeout))
    return 1


def wait(url, promql, cond, timeout):
    start = time.monotonic()
    r, err = None, None
    while True:
        try:
            r, err = query(url, promql), None
            if holds(cond, r):
                print("%.1f" % (time.monotonic() - start))
                return 0
        except (OSError, RuntimeError, ValueError) as e:
            err = e
        if time.monotonic() - start >= timeout:
            break
        time.sleep(0.5)
    say("%s -> %s (wanted %s, waited %ss)" % (promql, err or r, cond,
                                              timeout))
    return 1


def grows(url, promql, timeout):
    first = query(url, promql)
    if len(first) != 1:
        say("%s -> %s (wanted one series)" % (promql, first))
        return 1
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        time.sleep(0.5)
        now = query(url, promql)
        if len(now) == 1 and now[0][1] > first[0][1]:
            print("%g to %g in %.1fs" % (first[0][1], now[0][1],
                                         time.monotonic() - start))
            return 0
    say("%s stayed %s for %ss" % (promql, first, timeout))
    return 1


def main():
    cmd, url = sys.argv[1], sys.argv[2]
    if cmd == "ready":
        return ready(url, float(sys.argv[3]))
    if cmd == "wait":
        return wait(url, sys.argv[3], sys.argv[4], float(sys.argv[5]))
    if cmd == "grows":
        return grows(url, sys.argv[3], float(sys.argv[4]))
    if cmd == "checks":
        for line in sys.stdin:
            desc, promql, cond = line.rstrip("\n").split("\t")
            try:
                r = query(url, promql)
                if holds(cond, r):
                    print("ok\t" + desc)
                    continue
                why = "%s -> %s (wanted %s)" % (promql, r, cond)
            except (OSError, RuntimeError, ValueError) as e:
                why = "%s: %s" % (promql, e)
            print("not ok\t" + desc)
            say(why)
        return 0
    print("unknown command " + cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
