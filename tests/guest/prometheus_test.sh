#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iotguardd's /metrics as a real Prometheus server sees it: Debian's
# prometheus scrapes the daemon every 3 s, and its query API must return
# each device's counters under its name and class (growing while the device
# talks), the states set by the operator, drops by reason, the guarded
# interface and its mode, the daemon's health and up == 1. promtool must
# accept the exposition as it is, device names with a quote, a backslash
# and a byte that is not UTF-8 included. The server loads contrib/'s
# alerting rules, and the Grafana dashboard's expressions as recording
# rules: every one must evaluate healthy against the daemon's series, and
# the quarantine alert must fire for the quarantined gateway alone. Runs
# in the guest, as root, with iotguard.ko loaded. Prints TAP.
#
#  lamp     .10 allow       ─┐
#  sensor   .11 allow, name q"uo\te
#  cam      .13 deny         ├─ sw: br0 ── rtr: iot0 (XDP), iotguardd :9477,
#  gw       .14 quarantine   │                  prometheus :9479 (loopback)
#  meter    .15 allow, name not UTF-8
#  stranger .99 not enrolled─┘
#
# Every wait is for an event (the server ready, /metrics answering, a
# series present or moving); the time limits are safety nets only.

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igp$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/daemon.sh
. "$repo/tests/lib/daemon.sh"
promq=$repo/tests/guest/promq.py
prometheus=/usr/bin/prometheus
promtool=/usr/bin/promtool
prom_url=http://127.0.0.1:9479
rules=$repo/contrib/prometheus/iotguard.rules.yml
dashboard=$repo/contrib/grafana/iotguard.json
daemon_pid=
prom_pid=

# Names the exposition must escape: a quote and a backslash; and bytes that
# are not UTF-8, which the daemon must replace (U+FFFD) rather than break
# the whole scrape.
quoted='q"uo\te'
not_utf8=$'met\xffer-1'

pq() { topo_rtr python3 "$promq" "$1" "$prom_url" "${@:2}"; }

# Seconds any one wait may take before the test gives up on it.
NET=180

# The results, counted by hand: setup, prometheus ready, iotguardd serves,
# up, two counters grow, the queries of CHECKS below, the rules loaded and
# healthy, the quarantine alert, promtool, escaping.
QUERIES=23
tap_plan $((6 + QUERIES + 3 + 2))

# send DEVICE ADDR RATE: datagrams to the router until the test ends (it
# stops the senders; an hour's worth, so that a slow run does not outlast
# them).
send() {
	ip netns exec "$TOPO-$1" python3 "$traffic" send --src "$2" \
		--dst 198.18.1.1 --count $(($3 * 3600)) --rate "$3" \
		>/dev/null 2>&1 &
	track $!
}

setup() {
	topo_init &&
	topo_add_device lamp 198.18.1.10 &&
	topo_add_device sensor 198.18.1.11 &&
	topo_add_device cam 198.18.1.13 &&
	topo_add_device gw 198.18.1.14 &&
	topo_add_device meter 198.18.1.15 &&
	topo_add_device stranger 198.18.1.99 &&
	# Its ARP is dropped (it speaks for nobody enrolled): the stranger
	# knows the router's MAC, as an attacker would.
	ip netns exec "$TOPO-stranger" ip neigh replace 198.18.1.1 dev eth0 \
		nud permanent lladdr "$(ip netns exec "$TOPO-rtr" \
		cat /sys/class/net/iot0/address)" &&
	ig attach iot0 --mode native &&
	ig device add 198.18.1.10 --name lamp-1 --class light &&
	ig device add 198.18.1.11 --name "$quoted" --class sensor &&
	ig device add 198.18.1.13 --name cam-1 --class camera --state deny &&
	ig device add 198.18.1.14 --name gw-1 --class gateway \
		--state quarantine &&
	ig device add 198.18.1.15 --name "$not_utf8" --class meter
}

# serves: iotguardd answers /metrics.
serves() {
	metrics >/dev/null
}

run() {
	local out took

	if ! setup >"$tmp/setup.log" 2>&1; then
		sed 's/^/# /' "$tmp/setup.log"
		not_ok "set up a router, six devices, iotguard on iot0"
		return
	fi
	ok "set up a router, six devices, iotguard on iot0"

	# Alert only and never done learning: nothing the daemon does may
	# change a state during the test; the states are the operator's.
	cat >"$tmp/iotguardd.conf" <<-CONF
	interval = 1
	learn = 3600
	policy = alert
	listen = 127.0.0.1:9477
	state_dir = $tmp/state
	CONF
	# A scrape waits for the lock an interval holds: under TCG, on a busy
	# machine, it took over the 1 s Prometheus once allowed, and the
	# target went down. Waits are for values, so slower scrapes only wait.
	# The dashboard's expressions (Grafana's variables replaced), each a
	# recording rule: the server evaluates them as it does the alerts.
	python3 "$repo/tests/lib/promcheck.py" recording "$dashboard" \
		"$tmp/dashboard.rules.yml" | sed 's/^/# /'
	cat >"$tmp/prometheus.yml" <<-YML
	global:
	  scrape_interval: 3s
	  scrape_timeout: 3s
	  evaluation_interval: 3s
	rule_files:
	  - $rules
	  - $tmp/dashboard.rules.yml
	scrape_configs:
	  - job_name: iotguardd
	    static_configs:
	      - targets: ['127.0.0.1:9477']
	YML

	send lamp 198.18.1.10 10
	send sensor 198.18.1.11 5
	send cam 198.18.1.13 10
	send gw 198.18.1.14 10
	send meter 198.18.1.15 5
	send stranger 198.18.1.99 10

	# nsenter execs: $! are the daemon's and the server's own pids.
	nsenter --net="/run/netns/$TOPO-rtr" "$iotguardd" --foreground \
		--config "$tmp/iotguardd.conf" >"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!
	track "$daemon_pid"
	# Everything it writes goes to the temporary directory; the root
	# file system is read-only here.
	nsenter --net="/run/netns/$TOPO-rtr" "$prometheus" \
		--config.file="$tmp/prometheus.yml" \
		--storage.tsdb.path="$tmp/prometheus" \
		--web.listen-address=127.0.0.1:9479 \
		>"$tmp/prometheus.log" 2>&1 &
	prom_pid=$!
	track "$prom_pid"

	if took=$(pq ready "$NET"); then
		ok "prometheus is ready (${took}s)"
	else
		not_ok "prometheus is ready"
		echo "$took"
		tail -5 "$tmp/prometheus.log" | sed 's/^/# prometheus: /'
		return
	fi
	if tap_wait $((NET * 2)) 0.5 serves; then
		ok "iotguardd serves /metrics"
	else
		not_ok "iotguardd serves /metrics"
		tail -5 "$tmp/daemon.log" | sed 's/^/# daemon: /'
	fi

	# The scrape manager takes its targets some seconds after the start.
	if took=$(pq wait 'up{job="iotguardd"}' \
		'len(r) == 1 and r[0][1] == 1' "$NET"); then
		ok "up{job=\"iotguardd\"} == 1 (after ${took}s)"
	else
		not_ok "up{job=\"iotguardd\"} == 1"
		echo "$took"
		topo_rtr curl -s "$prom_url/api/v1/targets" | sed "s/^/# /" ||
			true
	fi

	# Each waits for its series, then for a scrape with a higher value.
	if out=$(pq grows 'iotguard_device_packets_total{name="lamp-1"}' \
		"$NET"); then
		ok "lamp-1's packet counter grows: $out"
	else
		not_ok "lamp-1's packet counter grows"
		echo "$out"
	fi
	if out=$(pq grows 'iotguard_device_bytes_total{address="198.18.1.11"}' \
		"$NET"); then
		ok "sensor's byte counter grows: $out"
	else
		not_ok "sensor's byte counter grows"
		echo "$out"
	fi

	# The rest in one go: DESCRIPTION, query, condition over its result
	# r; each polled until it holds, in order (a "> 0" of traffic before
	# an "== 0" of the same source, so that a zero is not the zero of a
	# source that has not sent yet).
	pq checks "$NET" >"$tmp/checks.out" 2>&1 <<-'CHECKS'
	lamp-1's packets carry its name, class and address	iotguard_device_packets_total{name="lamp-1",class="light",address="198.18.1.10",job="iotguardd"}	len(r) == 1 and r[0][1] > 0
	a name with a quote and a backslash comes through as it is	iotguard_device_packets_total{address="198.18.1.11"}	len(r) == 1 and r[0][0]["name"] == "q\"uo\\te" and r[0][0]["class"] == "sensor"
	... and selects by its escaped PromQL form	iotguard_device_packets_total{name="q\"uo\\te"}	len(r) == 1
	a name that is not UTF-8 comes with U+FFFD	iotguard_device_packets_total{address="198.18.1.15"}	len(r) == 1 and r[0][0]["name"] == "met\ufffder-1" and r[0][0]["class"] == "meter"
	the denied camera's state series says deny	iotguard_device_state{name="cam-1",class="camera"}	len(r) == 1 and r[0][0]["state"] == "deny" and r[0][1] == 1
	the quarantined gateway's state series says quarantine	iotguard_device_state{name="gw-1",class="gateway"}	len(r) == 1 and r[0][0]["state"] == "quarantine" and r[0][1] == 1
	lamp-1's state series says allow (policy alert changes none)	iotguard_device_state{name="lamp-1"}	len(r) == 1 and r[0][0]["state"] == "allow" and r[0][1] == 1
	the denied camera's drops, reason denied, > 0	iotguard_device_dropped_packets_total{name="cam-1",reason="denied"}	len(r) == 1 and r[0][1] > 0
	the denied camera passed nothing	iotguard_device_packets_total{name="cam-1"}	len(r) == 1 and r[0][1] == 0
	the quarantined gateway's drops, reason rate, > 0	iotguard_device_dropped_packets_total{name="gw-1",reason="rate"}	len(r) == 1 and r[0][1] > 0
	the stranger's drops: iotguard_packets_total{reason="unknown"} > 0	iotguard_packets_total{reason="unknown"}	len(r) == 1 and r[0][1] > 0
	iotguard_packets_total has a series per reason	iotguard_packets_total	{"pass", "unknown", "denied", "spoofed", "rate", "parse", "non_ip", "neigh", "arp", "ndp", "neigh_rate", "link", "dhcp_server", "contended", "bad_tag", "replay", "expired", "revoked"} == {m["reason"] for m, v in r}
	the stranger was recorded: iotguard_unknown_unrecorded_packets_total == 0	iotguard_unknown_unrecorded_packets_total	len(r) == 1 and r[0][1] == 0
	health: iotguard_daemon_maps_up == 1	iotguard_daemon_maps_up	len(r) == 1 and r[0][1] == 1
	health: iotguard_daemon_features_up == 1	iotguard_daemon_features_up	len(r) == 1 and r[0][1] == 1
	health: iotguard_daemon_devices == 5	iotguard_daemon_devices	len(r) == 1 and r[0][1] == 5
	health: iotguard_daemon_intervals_total > 0	iotguard_daemon_intervals_total	len(r) == 1 and r[0][1] > 0
	health: no map or netlink errors	sum(iotguard_daemon_errors_total)	len(r) == 1 and r[0][1] == 0
	health: iotguard_daemon_dry_run == 0	iotguard_daemon_dry_run	len(r) == 1 and r[0][1] == 0
	health: iotguard_daemon_interval_seconds == 1, as configured	iotguard_daemon_interval_seconds	len(r) == 1 and r[0][1] == 1
	iot0 is attached, enforcing, in the driver	iotguard_interface_attached	len(r) == 1 and r[0][0]["interface"] == "iot0" and r[0][0]["mode"] == "enforce" and r[0][0]["xdp"] == "native" and r[0][1] == 1
	iotguard_interfaces: one enforcing, none monitoring	iotguard_interfaces	{m["mode"]: v for m, v in r} == {"enforce": 1, "monitor": 0, "unknown": 0}
	iotguard_daemon_overruns_total is served	iotguard_daemon_overruns_total	len(r) == 1 and r[0][1] >= 0
	CHECKS
	tap_results "$tmp/checks.out" "$QUERIES" query

	# contrib/'s alerting rules and the dashboard's expressions,
	# evaluated by the server against the series the checks above saw:
	# each healthy (a rule whose matching fails on the real labels says so
	# in its health), then the one quarantined device alerted on, the
	# allowed and denied ones not.
	pq rules "$(grep -c '^ *- alert:' "$rules")" \
		"$(grep -c '^ *- record:' "$tmp/dashboard.rules.yml" || true)" \
		"$NET" >"$tmp/rules.out" 2>&1 || true
	tap_results "$tmp/rules.out" 2 "rules check"
	if took=$(pq wait \
		'ALERTS{alertname="IotguardDeviceQuarantined",alertstate="firing"}' \
		'len(r) == 1 and r[0][0]["name"] == "gw-1" and r[0][0]["address"] == "198.18.1.14"' \
		"$NET"); then
		ok "IotguardDeviceQuarantined fires for gw-1 alone (${took}s)"
	else
		not_ok "IotguardDeviceQuarantined fires for gw-1 alone"
		echo "$took"
		topo_rtr curl -s "$prom_url/api/v1/alerts" | sed "s/^/# /" ||
			true
	fi

	# The exposition itself, as the daemon serves it. promtool accepts
	# an empty one: it must not be.
	if ! metrics >"$tmp/metrics.txt"; then
		not_ok "promtool check metrics accepts /metrics (no /metrics)"
	elif [ ! -s "$tmp/metrics.txt" ]; then
		not_ok "promtool check metrics accepts /metrics (empty)"
	elif out=$("$promtool" check metrics <"$tmp/metrics.txt" 2>&1); then
		ok "promtool check metrics accepts /metrics ($(wc -l <"$tmp/metrics.txt") lines)"
	else
		not_ok "promtool check metrics accepts /metrics"
		echo "$out" | sed 's/^/# /'
	fi
	check "/metrics escapes the quote and the backslash" grep -qF \
		'name="q\"uo\\te"' "$tmp/metrics.txt"

	if [ "$failed" -gt 0 ]; then
		sed 's/^/# daemon: /' "$tmp/daemon.log" | tail -20
		grep -E 'level=(warn|error)' "$tmp/prometheus.log" |
			sed 's/^/# prometheus: /' | tail -20 || true
	fi
}

run
tap_end
