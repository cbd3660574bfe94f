#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The PromQL of contrib/ held to what iotguardd really serves, for the
host tests tests/unit/promrules.sh and tests/unit/grafana.sh.

  promcheck.py names SAMPLE rules RULES.yml
  promcheck.py names SAMPLE dashboard DASHBOARD.json
      Every metric an expression selects is one of SAMPLE's (a /metrics
      text: metrics_test writes one, see IOTGUARD_METRICS_SAMPLE) or up;
      every label it matches on is one of that metric's (or job, instance);
      every label value it matches with =, != or a =~ of plain
      alternatives (a|b) is one the daemon gives; every label of a
      by/without/on/ignoring list is one some metric has.
  promcheck.py recording DASHBOARD.json OUT.yml
      Writes each of the dashboard's expressions, Grafana's variables
      replaced, as a recording rule of OUT.yml, for `promtool check rules`
      (promtool 2.42 parses PromQL only in rules).
  promcheck.py lint DASHBOARD.json
      What Grafana needs of the dashboard: a schemaVersion, a datasource
      variable every panel and query uses, unique panel ids, every panel
      titled and placed, every query's refId unique in its panel.

Each prints "ok<TAB>what" or "not ok<TAB>what" and "# why" lines, and exits
0 (the results say the verdict) or 2 for bad usage or unreadable input.

The tokenizer knows the PromQL the files use: selectors, functions,
aggregations with by/without, binary operators with on/ignoring and
group_left/group_right, ranges, offset. It is no full parser: promtool
checks the syntax."""

import json
import re
import sys

TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<num>0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<op>=~|!~|!=|==|>=|<=|[-+*/%^<>=(){}\[\],@])
""", re.X)

KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
# Followed by by/without as often as by their parenthesis.
AGGREGATIONS = {"sum", "avg", "min", "max", "count", "stddev", "stdvar",
                "topk", "bottomk", "quantile", "count_values", "group"}
# Series Prometheus makes itself: the labels of each (ALERTS: those of
# every alert too, so only its own are held to it); their values are not
# checked.
BUILTIN = {"up": {"job", "instance"},
           "ALERTS": {"alertname", "alertstate", "severity"}}
TARGET_LABELS = {"job", "instance"}
RATE_VARS = {"__rate_interval", "__interval", "__range"}


def tokens(expr):
    out, pos = [], 0
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise ValueError("cannot read %r at %d" % (expr[pos:pos + 20],
                                                       pos))
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return out


def unquote(s):
    if s[0] == "`":
        return s[1:-1]
    return json.loads('"' + s[1:-1].replace("\\'", "'") + '"')


def matchers(toks, i):
    """The matchers of the {...} at toks[i]: ([(label, op, value)], the
    index after the closing brace)."""
    out = []
    i += 1
    while toks[i][1] != "}":
        if toks[i][1] == ",":
            i += 1
            continue
        label, op, value = toks[i][1], toks[i + 1][1], toks[i + 2]
        if value[0] != "str":
            raise ValueError("matcher %s%s without a string" % (label, op))
        out.append((label, op, unquote(value[1])))
        i += 3
    return out, i + 1


def analyse(expr):
    """(selectors, grouping labels) of expr: selectors as (metric or None,
    [(label, op, value)])."""
    toks = tokens(expr)
    selectors, grouping = [], set()
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        nxt = toks[i + 1][1] if i + 1 < len(toks) else None
        if text == "[":
            while toks[i][1] != "]":
                i += 1
            i += 1
        elif kind == "ident" and text in GROUPING:
            i += 1
            if nxt == "(":
                i += 1
                while toks[i][1] != ")":
                    if toks[i][0] == "ident":
                        grouping.add(toks[i][1])
                    i += 1
                i += 1
        elif kind == "ident" and text == "offset":
            # A duration: a number, then its unit.
            i += 3 if toks[i + 2][0] == "ident" else 2
        elif kind == "ident" and text in KEYWORDS:
            i += 1
        elif kind == "ident" and (nxt == "(" or text in AGGREGATIONS):
            i += 1		# a function or an aggregation
        elif kind == "ident":
            if nxt == "{":
                found, i = matchers(toks, i + 1)
            else:
                found, i = [], i + 1
            selectors.append((text, found))
        elif text == "{":
            found, i = matchers(toks, i)
            name = [v for label, op, v in found
                    if label == "__name__" and op == "="]
            selectors.append((name[0] if name else None, found))
        else:
            i += 1
    return selectors, grouping


SAMPLE_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$')
LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def read_sample(path):
    """{metric: {label: {values}}} of a /metrics text."""
    families = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            m = SAMPLE_LINE.match(line)
            if not m:
                raise ValueError("not a sample line: %r" % line)
            labels = families.setdefault(m.group(1), {})
            for name, value in LABEL_PAIR.findall(m.group(2) or ""):
                labels.setdefault(name, set()).add(value)
    for name, labels in BUILTIN.items():
        families.setdefault(name, {label: set() for label in labels})
    return families


def check_selector(families, metric, found):
    """Why the selector cannot select what the daemon serves; [] if it
    can."""
    if metric is None:
        return ["a selector without a metric name: %r" % (found,)]
    if metric not in families:
        return ["no metric %s in the daemon's /metrics" % metric]
    labels = families[metric]
    why = []
    for label, op, value in found:
        if label == "__name__" or label in TARGET_LABELS:
            continue
        if label not in labels:
            why.append("%s has no label %s" % (metric, label))
            continue
        if op in ("=", "!="):
            wanted = [value]
        elif op == "=~" and re.fullmatch(r"[a-zA-Z0-9_]+(\|[a-zA-Z0-9_]+)*",
                                         value):
            wanted = value.split("|")
        else:
            continue
        if metric in BUILTIN:
            continue
        for v in wanted:
            if v not in labels[label]:
                why.append('%s{%s} is never "%s" (the daemon gives %s)' %
                           (metric, label, v, sorted(labels[label])))
    return why


def check_expr(families, expr):
    try:
        selectors, grouping = analyse(expr)
    except (ValueError, IndexError) as e:
        return ["cannot read the expression: %s" % e]
    why = []
    for metric, found in selectors:
        why += check_selector(families, metric, found)
    every = set(TARGET_LABELS)
    for labels in families.values():
        every |= set(labels)
    for label in sorted(grouping - every):
        why.append("no metric has the label %s (by/on/...)" % label)
    if not selectors:
        why.append("selects no series")
    return why


def rules_exprs(path):
    import yaml
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    for group in doc["groups"]:
        for rule in group["rules"]:
            yield rule.get("alert") or rule.get("record"), rule["expr"]


def panels(dash):
    for panel in dash.get("panels", []):
        yield panel
        for inner in panel.get("panels", []):
            yield inner


def variables(dash):
    """{name: value} to put in place of each of Grafana's variables."""
    out = {name: "5m" for name in RATE_VARS}
    for var in dash.get("templating", {}).get("list", []):
        if var["type"] in ("custom", "interval", "constant", "textbox"):
            current = var.get("current", {}).get("value")
            if current is None:
                current = var["query"].split(",")[0]
            out[var["name"]] = current
        else:
            out[var["name"]] = ".*"
    return out


VAR = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")
LABEL_VALUES = re.compile(r"^\s*label_values\((?:(.*),)?\s*(\w+)\s*\)\s*$")


def substitute(expr, values):
    def one(m):
        name = m.group(1) or m.group(2)
        if name not in values:
            raise KeyError(name)
        return values[name]
    return VAR.sub(one, expr)


def dashboard_exprs(dash):
    """(where, expr) of every query: panel targets, then the query
    variables (label_values(SELECTOR, LABEL) as SELECTOR, the label
    checked apart)."""
    for panel in panels(dash):
        for target in panel.get("targets", []):
            if "expr" in target:
                yield ("panel %s (%s) %s" % (panel.get("id"),
                                             panel.get("title"),
                                             target.get("refId")),
                       target["expr"])
    for var in dash.get("templating", {}).get("list", []):
        if var["type"] != "query":
            continue
        query = var["query"]
        if isinstance(query, dict):
            query = query.get("query", "")
        yield "variable %s" % var["name"], query


def names(sample, kind, path):
    families = read_sample(sample)
    if kind == "rules":
        exprs = list(rules_exprs(path))
        values = {}
    else:
        with open(path, encoding="utf-8") as f:
            dash = json.load(f)
        exprs = list(dashboard_exprs(dash))
        values = variables(dash)
    bad = []
    for where, expr in exprs:
        try:
            expr = substitute(expr, values)
        except KeyError as e:
            bad.append("%s: no variable %s" % (where, e))
            continue
        m = LABEL_VALUES.match(expr)
        if m:
            expr, label = m.group(1) or "up", m.group(2)
            every = set(TARGET_LABELS)
            for labels in families.values():
                every |= set(labels)
            if label not in every:
                bad.append("%s: no metric has the label %s" % (where, label))
        bad += ["%s: %s" % (where, why) for why in check_expr(families,
                                                              expr)]
    what = ("every metric, label and value of the %d expressions of %s "
            "is the daemon's" % (len(exprs), path))
    print(("not ok\t" if bad or not exprs else "ok\t") + what)
    for why in bad:
        print("# " + why)
    return 0


def recording(path, out):
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    values = variables(dash)
    lines = ["groups:", "  - name: dashboard", "    rules:"]
    n = 0
    for where, expr in dashboard_exprs(dash):
        m = LABEL_VALUES.match(expr)
        if m:
            expr = m.group(1) or "up"
        try:
            expr = substitute(expr, values)
        except KeyError as e:
            print("not ok\t%s: no variable %s" % (where, e))
            return 0
        n += 1
        lines.append("      - record: dashboard:expr_%d" % n)
        lines.append("        expr: %s" % json.dumps(expr))
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("ok\t%d expressions of %s written as recording rules" % (n, path))
    return 0


def lint(path):
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    bad = []
    if not isinstance(dash.get("schemaVersion"), int):
        bad.append("no schemaVersion")
    ds = [v for v in dash.get("templating", {}).get("list", [])
          if v.get("type") == "datasource"]
    if len(ds) != 1 or ds[0].get("query") != "prometheus":
        bad.append("wants one datasource variable of type prometheus")
        ds_ref = None
    else:
        ds_ref = "${%s}" % ds[0]["name"]
    ids = set()
    for panel in panels(dash):
        pid = panel.get("id")
        where = "panel %s (%s)" % (pid, panel.get("title"))
        if pid in ids:
            bad.append("%s: a second panel of that id" % where)
        ids.add(pid)
        if not panel.get("title"):
            bad.append("%s: no title" % where)
        pos = panel.get("gridPos", {})
        if not all(isinstance(pos.get(k), int) for k in "hwxy"):
            bad.append("%s: no gridPos h, w, x, y" % where)
        elif pos["x"] + pos["w"] > 24:
            bad.append("%s: wider than the grid's 24 columns" % where)
        if panel.get("type") == "row":
            continue
        refs = [t.get("refId") for t in panel.get("targets", [])]
        if not refs:
            bad.append("%s: no query" % where)
        if len(set(refs)) != len(refs) or None in refs:
            bad.append("%s: refIds missing or repeated" % where)
        for thing in [panel] + panel.get("targets", []):
            uid = thing.get("datasource", {}).get("uid")
            if uid != ds_ref:
                bad.append("%s: datasource %r, not %s" % (where, uid,
                                                          ds_ref))
    for var in dash.get("templating", {}).get("list", []):
        if var.get("type") == "query" and \
                var.get("datasource", {}).get("uid") != ds_ref:
            bad.append("variable %s: datasource not %s" % (var["name"],
                                                           ds_ref))
    print(("not ok\t" if bad else "ok\t") +
          "%s has what Grafana needs (%d panels)" % (path, len(ids)))
    for why in bad:
        print("# " + why)
    return 0


def main(argv):
    try:
        if len(argv) == 5 and argv[1] == "names" and \
                argv[3] in ("rules", "dashboard"):
            return names(argv[2], argv[3], argv[4])
        if len(argv) == 4 and argv[1] == "recording":
            return recording(argv[2], argv[3])
        if len(argv) == 3 and argv[1] == "lint":
            return lint(argv[2])
    except (OSError, ValueError, KeyError) as e:
        print("promcheck: %s" % e, file=sys.stderr)
        return 2
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
