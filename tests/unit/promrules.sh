#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# contrib/prometheus/iotguard.rules.yml: promtool accepts it, its unit
# tests (iotguard.rules.test.yml) pass and give every alert a time it must
# fire and one it must not, and every metric, label and label value it
# selects on is one iotguardd serves (the sample exposition of
# tests/unit/metrics_test.c). tests/guest/prometheus_test.sh has a real
# Prometheus evaluate the rules against a real daemon. Host only; promtool
# is Debian's prometheus package. Emits TAP.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"
# shellcheck source=../lib/promsample.sh
. "$REPO/tests/lib/promsample.sh"
RULES=$REPO/contrib/prometheus/iotguard.rules.yml
TESTS=$REPO/contrib/prometheus/iotguard.rules.test.yml
PROMCHECK=$REPO/tests/lib/promcheck.py
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# result DESCRIPTION COMMAND...: ok when COMMAND succeeds, else not ok
# with its output as comments.
result() {
	local desc=$1 out

	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		not_ok "$desc"
		sed -n '1,40s/^/# /p' <<<"$out"
	fi
}

# The alerts of the rules file, and of the tests those that are expected
# to fire at some time and not to at another: the same two lists.
coverage() {
	python3 - "$RULES" "$TESTS" <<-'PY'
	import sys, yaml
	rules = yaml.safe_load(open(sys.argv[1]))
	tests = yaml.safe_load(open(sys.argv[2]))
	alerts = {r["alert"] for g in rules["groups"] for r in g["rules"]
	          if "alert" in r}
	fires, quiet = set(), set()
	for t in tests["tests"]:
	    for a in t.get("alert_rule_test", []):
	        (fires if a.get("exp_alerts") else quiet).add(a["alertname"])
	print("# %d alerts" % len(alerts))
	for name in sorted(alerts - fires):
	    print("never tested firing: " + name)
	for name in sorted(alerts - quiet):
	    print("never tested quiet: " + name)
	sys.exit(0 if alerts and fires >= alerts and quiet >= alerts else 1)
	PY
}

tap_plan 6
if ! command -v promtool >/dev/null; then
	not_ok "promtool is installed (Debian's prometheus package)"
	exit 1
fi

result "promtool check rules accepts iotguard.rules.yml" \
	promtool check rules "$RULES"
result "promtool test rules: iotguard.rules.test.yml passes" \
	promtool test rules "$TESTS"
result "every alert is tested firing and not firing" coverage

if prom_sample "$TMP/metrics.txt"; then
	result "metrics_test's sample passes promtool check metrics" \
		promtool check metrics <"$TMP/metrics.txt"
else
	not_ok "metrics_test writes a sample exposition"
fi

# promcheck.py reports on stdout, ok or not ok; it fails only when it
# cannot read its input.
python3 "$PROMCHECK" names "$TMP/metrics.txt" rules "$RULES" \
	>"$TMP/names.out" 2>&1 || echo "not ok	promcheck.py failed" \
	>>"$TMP/names.out"
tap_results "$TMP/names.out" 1 "metric names check"

# The check itself can fail: a misspelled metric, label and value each.
sed -e 's/iotguard_daemon_maps_up == 0/iotguard_daemon_map_up == 0/' \
	-e 's/reason="rate"/reason="rates"/' \
	-e 's/sum by (job, instance)/sum by (job, instanze)/' \
	"$RULES" >"$TMP/bad.yml"
out=$(python3 "$PROMCHECK" names "$TMP/metrics.txt" rules "$TMP/bad.yml" \
	2>&1 || true)
found=$(echo "$out" | grep -cE \
	'no metric iotguard_daemon_map_up|never "rates"|label instanze' ||
	true)
if [ "$found" -eq 3 ] && echo "$out" | grep '^not ok' >/dev/null; then
	ok "the names check finds a wrong metric, value and label"
else
	not_ok "the names check finds a wrong metric, value and label"
	echo "$out" | sed 's/^/# /'
fi
tap_end
