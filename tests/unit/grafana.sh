#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# contrib/grafana/iotguard.json: what Grafana needs of it (a datasource
# variable every panel uses, unique ids, placed panels), every PromQL
# expression of its panels and variables parsed by promtool (as a
# recording rule: promtool 2.42 parses PromQL nowhere else), and every
# metric, label and label value they select on one that iotguardd serves
# (the sample exposition of tests/unit/metrics_test.c). Host only; promtool
# is Debian's prometheus package. Emits TAP.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"
# shellcheck source=../lib/promsample.sh
. "$REPO/tests/lib/promsample.sh"
DASH=$REPO/contrib/grafana/iotguard.json
PROMCHECK=$REPO/tests/lib/promcheck.py
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# promcheck NAME ARGS...: promcheck.py's results into $TMP/NAME.out; a
# failure to run it at all becomes a failing result.
promcheck() {
	local name=$1

	shift
	python3 "$PROMCHECK" "$@" >"$TMP/$name.out" 2>&1 ||
		echo "not ok	promcheck.py $1 failed" >>"$TMP/$name.out"
}

# parses DASHBOARD: promtool check rules accepts every expression of it;
# "N rules found" must count them all.
parses() {
	local n out

	promcheck rec recording "$1" "$TMP/rec.yml"
	if ! grep -q '^ok' "$TMP/rec.out"; then
		cat "$TMP/rec.out"
		return 1
	fi
	n=$(grep -c '^      - record:' "$TMP/rec.yml")
	out=$(promtool check rules "$TMP/rec.yml" 2>&1) || {
		echo "$out"
		return 1
	}
	echo "$out" | grep "SUCCESS: $n rules found" >/dev/null || {
		echo "$out (wanted $n)"
		return 1
	}
	echo "$n"
}

tap_plan 5
if ! command -v promtool >/dev/null; then
	not_ok "promtool is installed (Debian's prometheus package)"
	exit 1
fi

promcheck lint lint "$DASH"
tap_results "$TMP/lint.out" 1 "lint"

if out=$(parses "$DASH"); then
	ok "promtool parses the dashboard's $out expressions"
else
	not_ok "promtool parses the dashboard's expressions"
	sed -n '1,40s/^/# /p' <<<"$out"
fi

if prom_sample "$TMP/metrics.txt"; then
	promcheck names names "$TMP/metrics.txt" dashboard "$DASH"
	tap_results "$TMP/names.out" 1 "metric names check"
else
	not_ok "metrics_test writes a sample exposition"
fi

# Both checks can fail: a dashboard with a misspelled metric and a label
# value the daemon never gives, and one with an expression cut short.
python3 - "$DASH" "$TMP/bad-names.json" "$TMP/bad-syntax.json" <<-'PY'
import json, sys
dash = json.load(open(sys.argv[1]))
t = [t for p in dash["panels"] for t in p.get("targets", [])]
t[0]["expr"] = t[0]["expr"].replace("iotguard_", "iotguard_x_", 1)
t[1]["expr"] = t[1]["expr"].replace("{", '{reason="rates",', 1)
json.dump(dash, open(sys.argv[2], "w"))
t[0]["expr"] = "sum by (reason) (rate(iotguard_packets_total[5m])"
json.dump(dash, open(sys.argv[3], "w"))
PY
promcheck bad names "$TMP/metrics.txt" dashboard "$TMP/bad-names.json"
if grep -q '^not ok' "$TMP/bad.out" &&
	[ "$(grep -cE 'no metric iotguard_x_|no label reason|never "rates"' \
		"$TMP/bad.out")" -eq 2 ]; then
	ok "the names check finds a wrong metric and label"
else
	not_ok "the names check finds a wrong metric and label"
	sed 's/^/# /' "$TMP/bad.out"
fi
if out=$(parses "$TMP/bad-syntax.json"); then
	not_ok "promtool rejects an expression cut short"
	echo "# accepted: $out"
else
	ok "promtool rejects an expression cut short"
fi
tap_end
