# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# A city sent live for the guest tests: eval/live.sh through the XDP
# program to the live iotguardd, judged by eval/city_eval.py --live beside
# the replay. Source it after tap.sh, with repo, out (live.sh's output)
# and tmp (city_eval's JSON is $tmp/eval.json) set.

# quarantined WHO NAME [DETECTOR [WORDS [LEARNING]]]: NAME was quarantined
# (WHO: live, from alerts.jsonl; replay, from city_eval's JSON), by
# DETECTOR if given, with WORDS in its explanation if given, while
# learning if LEARNING is "learning".
quarantined() {
	python3 - "$out/alerts.jsonl" "$tmp/eval.json" "$@" <<-'PY'
	import json, sys
	alerts, evaljson, who, name = sys.argv[1:5]
	det, words, learning = (sys.argv[5:] + ["", "", ""])[:3]
	if who == "live":
	    rows = [json.loads(line) for line in open(alerts)]
	else:
	    d = json.load(open(evaljson))["replay"]
	    rows = [{"name": a["source"], "event": "act",
	             "action": "quarantine", "detectors": a["detectors"],
	             "explanation": " ".join(a["notes"]), "learning": None}
	            for a in d["attacks"] if a["quarantine"] is not None]
	    rows += [f for f in d["false_alarms"] if f["action"] != "alert"]
	for a in rows:
	    if a["name"] == name and a["event"] in ("act", "escalate") and \
	       a["action"] in ("quarantine", "deny") and \
	       (not det or det in a["detectors"]) and \
	       words in a.get("explanation", "") and \
	       (learning != "learning" or a["learning"] in (True, None)):
	        sys.exit(0)
	sys.exit(1)
	PY
}

# live_city CITY: sends CITY (city.pcap, devices.tsv, truth.tsv) with the
# shipped configuration, into $out, and writes city_eval.py's JSON. Three
# results: the run, every frame sent, the judgement.
live_city() {
	local city=$1 json=$tmp/eval.json frames sent

	frames=$(python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import city_eval
print(sum(1 for _ in city_eval.pcap_frames(sys.argv[2])))
' "$repo/eval" "$city/city.pcap")
	check "eval/live.sh sends the city through XDP to the live daemon" \
		bash "$repo/eval/live.sh" "$city" "$out" \
		"$repo/etc/iotguardd.conf"
	sent=$(sed -n 's/^[[:space:]]*Successful packets:[[:space:]]*\([0-9]*\)/\1/p' \
		"$out/tcpreplay.log" 2>/dev/null || true)
	same "tcpreplay sent every frame of the capture" "$frames" \
		"${sent:-none}"
	if python3 "$repo/eval/city_eval.py" "$city" --iotguardd \
		"$repo/build/iotguardd" -c "$repo/etc/iotguardd.conf" \
		--live "$out" --format json >"$json" 2>"$json.err"; then
		ok "city_eval.py judges the live run beside the replay"
	else
		not_ok "city_eval.py judges the live run beside the replay"
		sed 's/^/# /' "$json.err"
	fi
}
