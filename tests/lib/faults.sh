# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What the fault tests of iotguardd share (tests/guest/faults_test.sh,
# faults_module_test.sh). Source it after tests/lib/daemon.sh: a swarm of
# three devices in one namespace, the daemon's configuration, starting and
# stopping it, and the judges of what it and the module show.
#
# intervals is redefined here: the daemon's ticks, scored or paused, so
# that within and wait_intervals (tests/lib/daemon.sh) keep counting while
# scoring is paused; scored counts the scored ones alone.

conf=$tmp/iotguardd.conf
sdir=$tmp/state
LAMP=198.18.1.10	# sensor: passes
CAM=198.18.1.12		# camera: denied when it floods
BULB=198.18.1.21	# light: quarantined when it floods
EXTRA_CONF=${EXTRA_CONF:-}
daemon_pid=

# faults_config STATE_DIR: the daemon's configuration. The envelope of
# lights and cameras is 20 frames a second: a flood of 60 crosses it
# learning or not. Nothing is released (release_after an hour). Sensors
# are only alerted on: the lamp, paced by a busy guest, may burst, and
# must pass whatever the daemon thinks of it.
faults_config() {
	cat <<-CONF
	interval = 1
	learn = 5
	act_after = 2
	release_after = 3600
	save_every = 1
	alerts_max = 100000
	listen = 127.0.0.1:$metrics_port
	state_dir = $1
	$EXTRA_CONF
	[class sensor]
	policy = alert
	[class light]
	policy = quarantine
	limit_packets = 20
	[class camera]
	policy = deny
	limit_packets = 20
	CONF
}

intervals() {
	local text

	text=$(metrics "$@") || return 1
	awk '/^iotguard_daemon_(paused_)?intervals_total / { n += $2; found++ }
	     END { if (found != 2) exit 1; print n }' <<<"$text"
}

# scored: the intervals the daemon scored.
scored() {
	metric iotguard_daemon_intervals_total
}

# reached SERIES N: the series is N or more.
reached() {
	local v

	v=$(metric "$1") && [ "${v%.*}" -ge "$2" ]
}

# swarm_setup: the router, the switch, the swarm's namespace with the
# three addresses (the router's MAC address permanent: a held-back device
# resolves nothing), iotguard attached, the three enrolled. Results.
swarm_setup() {
	local mac

	if ! topo_init || ! topo_add_device swarm "$LAMP"; then
		not_ok "set up a router, a switch and the swarm's namespace"
		return 1
	fi
	topo_exec "$TOPO-swarm" ip addr add "$CAM/24" dev eth0
	topo_exec "$TOPO-swarm" ip addr add "$BULB/24" dev eth0
	mac=$(topo_exec "$TOPO-rtr" cat /sys/class/net/iot0/address)
	topo_exec "$TOPO-swarm" ip neigh replace 198.18.1.1 lladdr "$mac" \
		nud permanent dev eth0
	ok "set up a router, a switch and the swarm's namespace"
	check "attach iotguard to iot0" ig attach iot0 --mode native
	check "enroll lamp-1, cam-1 and bulb-1" enroll
}

enroll() {
	ig device add "$LAMP" --name lamp-1 --class sensor &&
		ig device add "$CAM" --name cam-1 --class camera &&
		ig device add "$BULB" --name bulb-1 --class light
}

# send ADDR RATE: datagrams from ADDR to the router, in the background,
# until the test ends.
send() {
	ip netns exec "$TOPO-swarm" python3 "$traffic" send --src "$1" \
		--dst 198.18.1.1 --count 100000000 --rate "$2" >/dev/null 2>&1 &
	track $!
}

# send_all: the lamp 10 frames a second, the camera and the bulb 60;
# returns once the module has passed frames of all three (the baselines
# learn them sending, not silent).
send_all() {
	send "$LAMP" 10
	send "$CAM" 60
	send "$BULB" 60
	tap_wait 600 0.2 sending
}

# sending: the module has passed frames of the three.
sending() {
	local s

	s=$(snapshot) || return 1
	[[ " $s" != *_pass=0\ * ]]
}

# start_daemon N: iotguardd with $conf, its log in $tmp/dN.log, its pid in
# daemon_pid; returns once /metrics answers (it dumps the devices and
# reads the baselines before it listens).
start_daemon() {
	nsenter --net="/run/netns/$TOPO-rtr" "$iotguardd" --foreground \
		--config "$conf" >"$tmp/d$1.log" 2>&1 &
	daemon_pid=$!
	track "$daemon_pid"
	tap_wait 600 0.2 metric iotguard_daemon_intervals_total >/dev/null
}

# daemon_acts: four results, the first daemon started and its acts on
# the steady lamp, the flooding camera and the flooding bulb; fails when
# the daemon does not answer.
daemon_acts() {
	if ! start_daemon 1; then
		not_ok "iotguardd answers on /metrics"
		return 1
	fi
	check "the daemon denies the flooding camera" \
		within 60 in_state deny "$CAM"
	check "... and quarantines the flooding bulb" \
		within 60 in_state quarantine "$BULB"
	check "the lamp's baseline is learnt" within 60 learnt "$LAMP"
}

# stopped N: one result, SIGTERM makes daemon N exit 0.
stopped() {
	if stop "$daemon_pid"; then
		ok "SIGTERM: daemon $1 exits 0"
	else
		not_ok "SIGTERM: daemon $1 exits 0"
		return 1
	fi
}

# stop_all: every process the test started, stopped.
stop_all() {
	local pid

	for pid in "${TRACKED[@]}"; do
		stop "$pid" >/dev/null 2>&1
	done
}

# quiet COMMAND...: without its output (TAP's lines are ours).
quiet() {
	"$@" >/dev/null
}

# in_log N TEXT: daemon N logged TEXT.
in_log() {
	grep -qF -- "$2" "$tmp/d$1.log"
}

dead() {
	! kill -0 "$1" 2>/dev/null
}

# in_state STATE ADDR: the module has the device in STATE.
in_state() {
	[ "$(state "$2")" = "$1" ]
}

# module_has ADDR STATE [ADDR STATE]...: each device in its state.
module_has() {
	local st

	while [ $# -ge 2 ]; do
		st=$(state "$1")
		if [ "$st" != "$2" ]; then
			echo "# $1 is ${st:-unknown}, not $2"
			return 1
		fi
		shift 2
	done
}

# learnt ADDR: /metrics shows the device's baseline learnt.
learnt() {
	metrics | grep -E >/dev/null \
		"^iotguard_device_learning\{[^}]*address=\"$1\"[^}]*\} 0$"
}

# shown STATE ACTION ADDR: /metrics shows the device in the module's STATE
# with the daemon's ACTION.
shown() {
	metrics | grep -E "^iotguard_device_state\{[^}]*address=\"$3\",state=\"$1\",action=\"$2\"\} 1$" >/dev/null
}

# paused_is 0|1: iotguard_daemon_paused.
paused_is() {
	[ "$(metric iotguard_daemon_paused)" = "$1" ]
}

# quiet_alerts: the silence and drop alerts raised so far.
quiet_alerts() {
	local text

	text=$(metrics) || return 1
	echo "silence $(awk '/^iotguard_alerts_total\{detector="silence"\} / { print $2 }' <<<"$text")" \
		"drop $(awk '/^iotguard_alerts_total\{detector="drop"\} / { print $2 }' <<<"$text")"
}

# counter ADDR KIND: the device's frames of KIND (pass, rate, denied) in
# the module.
counter() {
	ig -j stats "$1" | python3 -c 'import json, sys
print(json.load(sys.stdin)["devices"][0][sys.argv[1]]["packets"])' "$2"
}

counter_reached() {
	local n

	n=$(counter "$1" "$2" 2>/dev/null) && [ "$n" -ge "$3" ]
}

# snapshot: the three devices' pass, rate and denied frames, as
# "lamp_pass=N ..." words (one `iotguard stats': a busy guest starts
# programs slowly).
snapshot() {
	ig -j stats | python3 -c 'import json, sys
names = dict(zip(sys.argv[1::2], sys.argv[2::2]))
for d in json.load(sys.stdin)["devices"]:
    if d["address"] in names:
        for kind in ("pass", "rate", "denied"):
            print("%s_%s=%d" % (names[d["address"]], kind,
                                d[kind]["packets"]), end=" ")
print()' "$LAMP" lamp "$CAM" cam "$BULB" bulb
}

# delta_of S0 S1 DEV KIND: how much DEV's KIND grew from S0 to S1.
delta_of() {
	local k=$3_$4 a b

	a=$(tr ' ' '\n' <<<"$1" | sed -n "s/^$k=//p")
	b=$(tr ' ' '\n' <<<"$2" | sed -n "s/^$k=//p")
	echo $((b - a))
}

# delta S0 S1 DEV: "pass +N, rate +N, denied +N".
delta() {
	echo "pass +$(delta_of "$1" "$2" "$3" pass)," \
		"rate +$(delta_of "$1" "$2" "$3" rate)," \
		"denied +$(delta_of "$1" "$2" "$3" denied)"
}

# full DIR: the file system of DIR has less than a page free.
full() {
	local avail

	avail=$(df -k --output=avail "$1" | sed -n 2p)
	[ "$avail" -lt 4 ]
}
