#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iotguardd's SIGHUP: a lamp learns in a dry run, floods, and the daemon
# only decides to quarantine it. A reload then turns the dry run off and
# moves /metrics to another port: the lamp must be quarantined for real,
# /metrics answer on the new port only, and the lamp's baseline stay learnt.
# A reload of a file with an error, or with a listen address that cannot
# be bound, must keep what runs and say why. Runs in the guest, as root,
# with iotguard.ko loaded. Prints TAP. (SIGTERM: daemon_test.sh.)
#
#  lamp 198.18.1.10 ── sw: br0 ── rtr: iot0 (XDP), iotguardd, /metrics

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igr$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/daemon.sh
. "$repo/tests/lib/daemon.sh"
conf=$tmp/iotguardd.conf
log=$tmp/daemon.log
daemon_pid=

# has PORT REGEX: /metrics on PORT has a line matching REGEX.
has() {
	local text

	text=$(metrics "$1") || return 1
	grep -qE "$2" <<<"$text"
}

# refused PORT: nothing listens on PORT (curl: "Failed to connect").
refused() {
	local rc=0

	topo_rtr curl -s --max-time 5 -o /dev/null \
		"http://127.0.0.1:$1/metrics" || rc=$?
	[ "$rc" = 7 ]
}

# lamp_send RATE: datagrams to the router until the test ends (or 5
# minutes have passed).
lamp_send() {
	ip netns exec "$TOPO-lamp" python3 "$traffic" send --dst 198.18.1.1 \
		--count $(($1 * 300)) --rate "$1" >/dev/null 2>&1 &
	track $!
}

# lamp_heard N: the module has passed N of the lamp's frames or more.
lamp_heard() {
	local n

	n=$(passed 198.18.1.10 2>/dev/null) && [ "$n" -ge "$1" ]
}

lamp_state_is() {
	[ "$(state 198.18.1.10)" = "$1" ]
}

in_log() {
	grep -qF -- "$1" "$log"
}

# write_conf DRY_RUN LISTEN INTERVAL [EXTRA]: the daemon's configuration.
write_conf() {
	cat >"$conf.new" <<-CONF
	interval = $3
	learn = 6
	release_after = 600
	dry_run = $1
	listen = $2
	state_dir = $tmp/state
	[class light]
	policy = quarantine
	${4:-}
	CONF
	mv "$conf.new" "$conf"
}

lamp='name="lamp-1",class="light",address="198.18.1.10"'

run() {
	local before after

	if ! topo_init || ! topo_add_device lamp 198.18.1.10 ||
		! ig attach iot0 --mode native ||
		! ig device add 198.18.1.10 --name lamp-1 --class light; then
		not_ok "set up a router, a lamp, iotguard on iot0"
		return 1
	fi
	ok "set up a router, a lamp, iotguard on iot0"

	write_conf yes 127.0.0.1:9477 1
	# Steady, 10 a second; the daemon starts once a second of the lamp
	# has passed, so that it learns the lamp's rate, not its silence.
	lamp_send 10
	check "the lamp's steady frames pass" tap_wait 600 0.2 lamp_heard 10
	nsenter --net="/run/netns/$TOPO-rtr" "$iotguardd" --foreground \
		--config "$conf" >"$log" 2>&1 &
	daemon_pid=$!
	track "$daemon_pid"

	if within 60 has 9477 "^iotguard_device_learning\{$lamp\} 0$"; then
		ok "dry run: the steady lamp's baseline is learnt (interval $(intervals 9477 || echo ?))"
	else
		not_ok "dry run: the steady lamp's baseline is learnt"
	fi
	check "dry run: iotguard_daemon_dry_run 1" has 9477 \
		'^iotguard_daemon_dry_run 1$'

	# Flood: 40x its rate (4.5x is anomalous: margin for a loaded
	# machine's slow sender), until the test ends.
	lamp_send 400
	if within 60 has 9477 "^iotguard_device_state\{$lamp,state=\"allow\",action=\"quarantine\"\} 1$"; then
		ok "dry run: quarantine decided for the flooding lamp (interval $(intervals 9477 || echo ?))"
	else
		not_ok "dry run: quarantine decided for the flooding lamp"
		metrics 9477 | grep 'name="lamp-1"' | sed 's/^/# /' || true
	fi
	# A quarantine done would be in the module by the interval's end:
	# one more interval leaves no doubt.
	wait_intervals 1 9477 || true
	check "dry run: not done, the module still allows the lamp" \
		lamp_state_is allow
	before=$(intervals 9477) || before=

	# Dry run off, /metrics elsewhere, another interval (refused).
	write_conf no 127.0.0.1:9480 2
	kill -HUP "$daemon_pid"
	metrics_port=9480
	if within 10 lamp_state_is quarantine; then
		ok "SIGHUP, dry run off: the flooding lamp is quarantined"
	else
		not_ok "SIGHUP, dry run off: the flooding lamp is quarantined (state $(state 198.18.1.10 || true))"
	fi
	check "SIGHUP: iotguardd still runs" kill -0 "$daemon_pid"
	check "SIGHUP: /metrics answers on the new address" has 9480 \
		'^iotguard_daemon_dry_run 0$'
	check "SIGHUP: nothing answers on the old address" refused 9477
	check "SIGHUP: the lamp's baseline stayed learnt" has 9480 \
		"^iotguard_device_learning\{$lamp\} 0$"
	after=$(intervals 9480) || after=
	expect "SIGHUP: the intervals go on counting ($before, then $after)" \
		"${after:-0} > ${before:-0} > 0"
	check "SIGHUP: the interval change waits for the next start, and says so" \
		in_log "interval = 2 takes effect at the next start"
	check "the log says the configuration was reloaded" \
		in_log "Reloaded $conf"

	# An error on line 9: nothing of that file may apply.
	write_conf yes 127.0.0.1:9481 1 "policy = maybe"
	kill -HUP "$daemon_pid"
	check "SIGHUP with an error: the log says which line is wrong and why" \
		within 10 in_log "Unable to reload the configuration: $conf:9: policy: \`maybe' is not alert, quarantine or deny (the running one stays)"
	check "SIGHUP with an error: iotguardd still runs" kill -0 "$daemon_pid"
	check "SIGHUP with an error: /metrics stays where it was, dry run off" \
		has 9480 '^iotguard_daemon_dry_run 0$'
	check "SIGHUP with an error: the file's new address is not used" \
		refused 9481

	# An address no interface has: binding fails, the old one stays.
	write_conf no 198.51.100.7:9482 1
	kill -HUP "$daemon_pid"
	check "SIGHUP with an address that cannot be bound: the log says so" \
		within 10 in_log "Unable to listen on 198.51.100.7:9482 for /metrics"
	check "... iotguardd still runs" kill -0 "$daemon_pid"
	check "... and /metrics still answers on the old address" has 9480 \
		'^iotguard_daemon_dry_run 0$'
	check "the quarantine held through the reloads" lamp_state_is quarantine

	if [ "$failed" -gt 0 ]; then
		sed 's/^/# daemon: /' "$log" | tail -30
	fi
}

tap_plan 22
run
tap_end
