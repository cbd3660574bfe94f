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
#	city_new_destination NAME ADDR  it sends to ADDR from now on (in
#	                                place when ADDR is the second server)
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
# Seconds per simulated day of the street lights.
CITY_DAY=${CITY_DAY:-120}
# Simulated seconds per real second: every cadence runs this much faster
# (behave.py --scale).
CITY_SCALE=${CITY_SCALE:-1}
# Frames per (simulated) second of the cameras.
CITY_CAMERA_FPS=${CITY_CAMERA_FPS:-25}
CITY_DIR=

CITY_NAMES=()
declare -A CITY_CLASS CITY_ADDR CITY_MAC CITY_V4 CITY_PID
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
	city_register "$@" && city_build "$1"
}

city_register() {
	local name=$1 class=$2 addr=$3 n=${#CITY_NAMES[@]}

	case $class in
	sensor | camera | meter | light) ;;
	*)
		echo "city: unknown class $class" >&2
		return 1
		;;
	esac
	CITY_NAMES+=("$name")
	CITY_CLASS[$name]=$class
	CITY_ADDR[$name]=$addr
	# Set, not read back: a read is one more process per device.
	CITY_MAC[$name]=$(printf '02:00:c6:12:%02x:%02x' $((n / 256)) $((n % 256)))
	# An IPv6 device still has an IPv4 address, unused.
	CITY_V4[$name]=198.18.1.$((200 + n))
}

# city_build NAME...: the registered devices' namespaces, as topology.sh's
# topo_add_device makes them, in a few batches: every process costs ~0.4 s
# under TCG, so one per command would cost minutes for a city.
city_build() {
	local name

	{
		for name in "$@"; do
			echo "netns add $TOPO-$name"
		done
	} | ip -batch - || return 1
	for name in "$@"; do
		TOPO_NS+=("$TOPO-$name")
	done
	# topo_quiet_ns's sysctls, before eth0 exists to inherit them.
	python3 - "$@" <<-PY || return 1
	import ctypes, sys
	libc = ctypes.CDLL(None, use_errno=True)
	for name in sys.argv[1:]:
	    with open("/run/netns/$TOPO-" + name) as ns:
	        if libc.setns(ns.fileno(), 0x40000000):
	            sys.exit("city: setns %s failed" % name)
	    for conf in ("all", "default"):
	        for key in ("accept_ra", "autoconf", "accept_dad"):
	            with open(f"/proc/sys/net/ipv6/conf/{conf}/{key}", "w") as f:
	                f.write("0")
	PY
	{
		for name in "$@"; do
			echo "link add eth0 address ${CITY_MAC[$name]} netns" \
				"$TOPO-$name type veth peer name p-$name netns $TOPO-sw"
		done
	} | ip -batch - || return 1
	{
		for name in "$@"; do
			echo "link set p-$name master br0 up"
		done
	} | ip -n "$TOPO-sw" -batch - || return 1
	for name in "$@"; do
		if [[ ${CITY_ADDR[$name]} == *:* ]]; then
			printf '%s\n' "addr add ${CITY_V4[$name]}/24 dev eth0" \
				"addr add ${CITY_ADDR[$name]}/64 dev eth0 nodad" \
				"link set lo up" "link set eth0 up" \
				"route add default via $CITY_SERVER6"
		else
			printf '%s\n' "addr add ${CITY_ADDR[$name]}/24 dev eth0" \
				"link set lo up" "link set eth0 up" \
				"route add default via $CITY_SERVER4"
		fi | ip -n "$TOPO-$name" -batch - || return 1
	done
}

# city_populate N: sensors, cameras, meters and lights in a 8:3:4:5 mix
# (two sensors on IPv6), named s1 c1 m1 l1 ...
city_populate() {
	local n=$1 i class mix=(sensor sensor camera meter light sensor light meter
		sensor light camera sensor meter light sensor sensor light camera meter
		sensor) names=()
	local -A count=()

	for ((i = 0; i < n; i++)); do
		class=${mix[i % ${#mix[@]}]}
		count[$class]=$((${count[$class]:-0} + 1))
		names+=("${class:0:1}${count[$class]}")
		if [ "$class" = sensor ] && [ $((count[$class] % 4)) -eq 0 ]; then
			city_register "${names[-1]}" "$class" \
				"2001:2:0:1::$((100 + i))" || return 1
		else
			city_register "${names[-1]}" "$class" \
				"198.18.1.$((10 + i))" || return 1
		fi
	done
	city_build "${names[@]}"
}

city_mac() {
	echo "${CITY_MAC[$1]}"
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

# A device's behave.py options (OPTION=VALUE words): its own random seed,
# the time scale, the second server of its family to turn to (SIGUSR1);
# for lights, the day's length and where in it they start: the first, third
# ... light at midnight (on), the others at noon (off).
declare -A CITY_OPTS

city_alt_of() {
	if [[ ${CITY_ADDR[$1]} == *:* ]]; then
		echo "$CITY_ALT6"
	else
		echo "$CITY_ALT4"
	fi
}

city_options() {
	local name i=0 lights=0 phase

	for name in "${CITY_NAMES[@]}"; do
		i=$((i + 1))
		CITY_OPTS[$name]="seed=$i scale=$CITY_SCALE alt=$(city_alt_of "$name")"
		[ "${CITY_CLASS[$name]}" != camera ] ||
			CITY_OPTS[$name]+=" fps=$CITY_CAMERA_FPS"
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

# city_signal NAME [SIGNAL]: the behaviour's PID, our grandchild, is
# signalled only while it is still the runner's child or ours (a reaped PID
# may be someone else's by now). Fails if it was not.
city_signal() {
	local pid=${CITY_PID[$1]:-} ppid

	[ -n "$pid" ] || return 1
	ppid=$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')
	[ "$ppid" = "$CITY_RUNNER_PID" ] || [ "$ppid" = "$$" ] || return 1
	kill "-${2:-TERM}" "$pid" 2>/dev/null
}

city_kill_behaviour() {
	city_signal "$1" TERM
	unset "CITY_PID[$1]"
}

city_silence() {
	city_kill_behaviour "$1"
}

# city_new_destination NAME ADDR: the same behaviour, towards ADDR: the
# running one turns there at once when ADDR is its second server, else a
# new one starts (an interpreter's start: ~1 s of CPU under TCG).
city_new_destination() {
	local name=$1 opt args=()

	if [ "$2" = "$(city_alt_of "$name")" ] &&
	   city_signal "$name" USR1; then
		return 0
	fi
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
