# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# A simulated city for the tests and the demo, on top of topology.sh: device
# namespaces of several classes on the street's switch, each with a
# behaviour process (tests/lib/behave.py: sensors, cameras, meters, street
# lights on a compressed day), servers on the router to talk to, and
# attacks with real tools (nmap, hping3) or by changing a device's ways.
#
#  devices ── switch ── iot0 router (XDP)  198.18.1.1, 2001:2:0:1::1: the
#                                          usual servers (behave.py sink)
#                                   lo     198.19.0.10, 2001:2:0:2::10: a
#                                          second server, for "talks to
#                                          somewhere new"
#
# Source it (it sources topology.sh), set TOPO first if you like, then:
#
#	city_init                       router, switch, servers
#	city_add NAME CLASS IPV4 [IPV6] a device; CLASS: sensor camera meter
#	                                light; IPV6: it speaks IPv6 only
#	city_populate N                 N devices of all classes (≥ 20 fine)
#	city_enroll [IOTGUARD-ARGS...]  enroll every device, MAC bound
#	city_start                      start every device's behaviour
#	city_silence NAME               the device goes silent
#	city_new_destination NAME ADDR  it sends to ADDR from now on
#	city_nmap NAME TARGET [ARGS...] nmap from the device (SYN scan)
#	city_hping NAME TARGET [ARGS...] hping3 from the device (SYN flood)
#	city_cleanup                    stop everything, delete namespaces
#
# Every process is started here and killed by its PID. Addresses come from
# 198.18.0.0/15 and 2001:2::/48 only.

CITY_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=topology.sh
. "$CITY_LIB/topology.sh"

CITY_BEHAVE=$CITY_LIB/behave.py
CITY_IOTGUARD=${CITY_IOTGUARD:-$CITY_LIB/../../build/iotguard}
CITY_SERVER4=198.18.1.1
CITY_SERVER6=2001:2:0:1::1
CITY_ALT4=198.19.0.10
CITY_ALT6=2001:2:0:2::10
# Real seconds per simulated day of the street lights.
CITY_DAY=${CITY_DAY:-120}
CITY_DIR=

CITY_NAMES=()
declare -A CITY_CLASS CITY_ADDR CITY_PID
CITY_SINK_PID=
CITY_RUNNER_PID=
CITY_EXTRA_PIDS=()

city_ns() {
	echo "/run/netns/$TOPO-$1"
}

city_dev() {
	local name=$1

	shift
	nsenter --net="$(city_ns "$name")" "$@"
}

city_init() {
	CITY_DIR=$(mktemp -d "${TMPDIR:-/tmp}/city.XXXXXX") || return 1
	topo_init || return 1
	topo_exec "$TOPO-rtr" ip addr add "$CITY_ALT4/32" dev lo || return 1
	topo_exec "$TOPO-rtr" ip addr add "$CITY_ALT6/128" dev lo || return 1
	python3 "$CITY_BEHAVE" sink --netns "$(city_ns rtr)" \
		</dev/null >>"$CITY_DIR/sink.log" 2>&1 &
	CITY_SINK_PID=$!
}

# city_add NAME CLASS ADDR: ADDR is IPv4 or IPv6; the device talks to the
# router's address of that family, through it to anything else.
city_add() {
	local name=$1 class=$2 addr=$3

	case $class in
	sensor | camera | meter | light) ;;
	*)
		echo "city: unknown class $class" >&2
		return 1
		;;
	esac
	if [[ $addr == *:* ]]; then
		topo_add_device "$name" "198.18.1.$((200 + ${#CITY_NAMES[@]}))" \
			"$addr" || return 1
		topo_exec "$TOPO-$name" ip -6 route add default via "$CITY_SERVER6"
	else
		topo_add_device "$name" "$addr" || return 1
		topo_exec "$TOPO-$name" ip route add default via "$CITY_SERVER4"
	fi
	CITY_NAMES+=("$name")
	CITY_CLASS[$name]=$class
	CITY_ADDR[$name]=$addr
}

# city_populate N: sensors, cameras, meters and lights in a 8:3:4:5 mix
# (two sensors on IPv6), named s1 c1 m1 l1 ...
city_populate() {
	local n=$1 i class mix=(sensor sensor camera meter light sensor light meter
		sensor light camera sensor meter light sensor sensor light camera meter
		sensor)
	local -A count=()

	for ((i = 0; i < n; i++)); do
		class=${mix[i % ${#mix[@]}]}
		count[$class]=$((${count[$class]:-0} + 1))
		if [ "$class" = sensor ] && [ $((count[$class] % 4)) -eq 0 ]; then
			city_add "${class:0:1}${count[$class]}" "$class" \
				"2001:2:0:1::$((100 + i))" || return 1
		else
			city_add "${class:0:1}${count[$class]}" "$class" \
				"198.18.1.$((10 + i))" || return 1
		fi
	done
}

# ip netns exec: its own /sys shows the namespace's interfaces.
city_mac() {
	topo_exec "$TOPO-$1" cat /sys/class/net/eth0/address
}

# city_enroll [ARGS...]: each device under its name and class, bound to
# its MAC; ARGS go to every `iotguard device add`.
city_enroll() {
	local name

	for name in "${CITY_NAMES[@]}"; do
		topo_rtr "$CITY_IOTGUARD" device add "${CITY_ADDR[$name]}" \
			--name "$name" --class "${CITY_CLASS[$name]}" \
			--mac "$(city_mac "$name")" "$@" >/dev/null || return 1
	done
}

city_server_of() {
	if [[ ${CITY_ADDR[$1]} == *:* ]]; then
		echo "$CITY_SERVER6"
	else
		echo "$CITY_SERVER4"
	fi
}

# A device's behave.py options (OPTION=VALUE words): its own random seed;
# for lights, the day's length and where in it they start: the first, third
# ... light at midnight (on), the others at noon (off).
declare -A CITY_OPTS

city_options() {
	local name i=0 lights=0 phase

	for name in "${CITY_NAMES[@]}"; do
		i=$((i + 1))
		CITY_OPTS[$name]="seed=$i"
		[ "${CITY_CLASS[$name]}" = light ] || continue
		lights=$((lights + 1))
		phase=0.5
		[ $((lights % 2)) -eq 0 ] || phase=0
		CITY_OPTS[$name]+=" day=$CITY_DAY phase=$phase"
	done
}

# Starts every device's behaviour; one interpreter forks them all.
city_start() {
	local name spec=$CITY_DIR/spec pids=$CITY_DIR/pids pid

	city_options
	: >"$spec"
	for name in "${CITY_NAMES[@]}"; do
		echo "$name $(city_ns "$name") ${CITY_CLASS[$name]}" \
			"$(city_server_of "$name") ${CITY_OPTS[$name]}" >>"$spec"
	done
	rm -f "$pids"
	python3 "$CITY_BEHAVE" city --spec "$spec" --pids "$pids" \
		</dev/null >>"$CITY_DIR/behave.log" 2>&1 &
	CITY_RUNNER_PID=$!
	for _ in $(seq 300); do
		[ -f "$pids" ] && break
		kill -0 "$CITY_RUNNER_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	[ -f "$pids" ] || return 1
	while read -r name pid; do
		CITY_PID[$name]=$pid
	done <"$pids"
}

# The behaviour's PID, our grandchild, is killed only while it is still
# the runner's child (a reaped PID may be someone else's by now).
city_kill_behaviour() {
	local pid=${CITY_PID[$1]:-}

	[ -n "$pid" ] || return 0
	if [ "$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" = \
	     "$CITY_RUNNER_PID" ] || [ "$(ps -o ppid= -p "$pid" 2>/dev/null |
	     tr -d ' ')" = "$$" ]; then
		kill "$pid" 2>/dev/null
	fi
	unset "CITY_PID[$1]"
}

city_silence() {
	city_kill_behaviour "$1"
}

# city_new_destination NAME ADDR: the same behaviour, towards ADDR.
city_new_destination() {
	local name=$1 opt args=()

	city_kill_behaviour "$name"
	for opt in ${CITY_OPTS[$name]}; do
		args+=("--${opt%%=*}" "${opt#*=}")
	done
	python3 "$CITY_BEHAVE" run "${CITY_CLASS[$name]}" \
		--netns "$(city_ns "$name")" --dst "$2" "${args[@]}" \
		</dev/null >>"$CITY_DIR/behave.log" 2>&1 &
	CITY_PID[$name]=$!
	CITY_EXTRA_PIDS+=($!)
}

# city_nmap NAME TARGET [ARGS...]: a TCP SYN scan of TARGET's first 1000
# ports from the device, fast (ARGS replace the defaults).
city_nmap() {
	local name=$1 target=$2

	shift 2
	[ $# -gt 0 ] || set -- -sS -p 1-1000 --min-rate 1000 --max-retries 0
	city_dev "$name" nmap -n -Pn "$@" "$target"
}

# city_hping NAME TARGET [ARGS...]: TCP SYNs to TARGET's port 80 (ARGS
# replace the default of 1500 at 2 kHz).
city_hping() {
	local name=$1 target=$2

	shift 2
	[ $# -gt 0 ] || set -- -S -p 80 -i u500 -c 1500
	city_dev "$name" hping3 -q "$@" "$target"
}

city_stop() {
	local pid

	for pid in "$CITY_RUNNER_PID" "${CITY_EXTRA_PIDS[@]}" "$CITY_SINK_PID"; do
		[ -n "$pid" ] || continue
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	CITY_RUNNER_PID=
	CITY_SINK_PID=
	CITY_EXTRA_PIDS=()
	CITY_PID=()
}

city_cleanup() {
	city_stop
	topo_cleanup
	[ -z "$CITY_DIR" ] || rm -rf "$CITY_DIR"
	CITY_DIR=
}
