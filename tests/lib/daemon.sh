# SPDX-License-Identifier: GPL-2.0
#
# What the iotguardd tests share. Source it after tests/lib/topology.sh
# (TOPO set): it sets iotguard, iotguardd, traffic and tmp, defines ig,
# state, metrics, lamp_setup, track and stop, and traps EXIT to stop every
# tracked process and the script's other jobs, detach iot0 and remove the
# topology.

iotguard=$repo/build/iotguard
iotguardd=$repo/build/iotguardd
traffic=$repo/tests/guest/traffic.py
tmp=$(mktemp -d)
TRACKED=()

ig() { topo_rtr "$iotguard" "$@"; }

# state ADDR: the device's state in the module.
state() {
	ig -j device show "$1" 2>/dev/null | python3 -c \
		'import json,sys; d=json.load(sys.stdin); print((d.get("devices") or [d])[0]["state"])' 2>/dev/null
}

# metrics [PORT]: /metrics from inside the router's namespace.
metrics() {
	topo_rtr curl -sf --max-time 5 "http://127.0.0.1:${1:-9477}/metrics"
}

# lamp_setup: router, switch and lamp-1 (198.18.1.10, class light, no rate
# limit) enrolled, iotguard attached to iot0; results for each step. Fails
# when the namespaces cannot be made.
lamp_setup() {
	if ! topo_init || ! topo_add_device lamp 198.18.1.10; then
		not_ok "set up the namespaces"
		return 1
	fi
	ok "set up router, switch and a lamp"
	check "attach iotguard to iot0" ig attach iot0 --mode native
	check "enroll lamp-1 (class light, no rate limit)" \
		ig device add 198.18.1.10 --name lamp-1 --class light
}

# track PID: stopped at exit. Started through nsenter or `ip netns exec`,
# which exec, $! is the process itself.
track() {
	TRACKED+=("$1")
}

# stop PID: SIGTERM, then SIGKILL if it is still there after 10 s; reaped.
# Returns its exit status (1 when it had to be killed or was gone).
stop() {
	local pid=$1 i

	for i in "${!TRACKED[@]}"; do
		[ "${TRACKED[$i]}" != "$pid" ] || unset 'TRACKED[i]'
	done
	kill "$pid" 2>/dev/null || return 1
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -KILL "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		return 1
	fi
	wait "$pid"
}

daemon_cleanup() {
	local pid

	set +e
	for pid in "${TRACKED[@]}"; do
		stop "$pid" >/dev/null 2>&1
	done
	for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	ig detach iot0 >/dev/null 2>&1
	topo_cleanup
	rm -rf "$tmp"
}
trap daemon_cleanup EXIT
