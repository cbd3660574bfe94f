#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A city of routers in the guest (Documentation/fleet.rst): ROUTERS
# network namespaces, each a router with its own iotguard device table
# (the module keeps one per namespace) and its own iotguard-sync agent,
# applying the city's policy to that table over netlink; a 3-node NATS
# JetStream cluster with TLS everywhere in the root namespace, reached
# over a bridge. Runs in the guest, as root, with iotguard.ko loaded.
# Prints TAP.
#
#  ┌─────────────────────────────┐
#  │ root namespace              │       ┌───────────────────────────┐
#  │ nats-server n1 n2 n3        │   ┌───┤ igf-r1: eth0 198.18.255.11│
#  │ on 198.18.255.1 (igfbr)     ├───┤   │ iotguard-sync --router r1 │
#  │ routes on 127.0.0.1         │   │   └───────────────────────────┘
#  └─────────────────────────────┘   │          ... up to
#                                    │   ┌───────────────────────────┐
#                                    └───┤ igf-rN: eth0 198.18.255.N+10
#                                        └───────────────────────────┘
#
# Each street N has its device 198.19.N.10; 198.18.0.66, a device carried
# from street to street, is enrolled on all. Judged by the tables the
# module holds and the agents' logs, never by the clock: the waits are
# nets against hangs. The figures (revocation to every router: p50, p99,
# max, from the store's taking it to each agent's having applied it) are
# printed, not judged.
#
# With IOTGUARD_FLEET_CLUSTER=DIR the cluster is not the guest's: the
# host runs it on its loopback (scripts/fleet-stress.sh, make stress's 100
# routers: under TCG the guest's own servers cannot keep a hundred
# streets' raft groups), with its certificates and configuration in DIR
# and its base port in DIR/cluster.env. The guest reaches it through its
# user-network NIC (10.0.2.100: the host's 127.0.0.1, IOTGUARD_VM_GUESTFWD)
# and tests/guest/tcpfwd.py on the bridge's address, and asks the host to
# stop a node through the results share.
#
# Environment: IOTGUARD_FLEET_ROUTERS (default 10, at most 200);
# IOTGUARD_FLEET_DEVICES (default 0): that many more enrollments spread
# over the routers (at most 150 each), timed, and the agents' memory per
# device; IOTGUARD_FLEET_JSON=FILE appends the figures to FILE as make
# bench's raw lines (bench/guest.sh); IOTGUARD_FLEET_WAIT (240): tries of
# each wait for the tables, a second apart.

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
# shellcheck source=../lib/nats.sh
. "$repo/tests/lib/nats.sh"

sync=$repo/build/iotguard-sync
city=$repo/build/iotguard-city
iotguard=$repo/build/iotguard
tmp=$(mktemp -d)
BR=igfbr
HOST=198.18.255.1
AGENTS=()
# Tries of a wait for the tables, a second apart: a net against a hang.
WAIT=${IOTGUARD_FLEET_WAIT:-240}
ROUTERS=${IOTGUARD_FLEET_ROUTERS:-10}
DEVICES=${IOTGUARD_FLEET_DEVICES:-0}
JSON=${IOTGUARD_FLEET_JSON:-}
EXTERNAL=${IOTGUARD_FLEET_CLUSTER:-}
FWD=
if ! [[ $ROUTERS =~ ^[1-9][0-9]{0,2}$ ]] || [ "$ROUTERS" -gt 200 ]; then
	echo "IOTGUARD_FLEET_ROUTERS=$ROUTERS: 1 to 200" >&2
	exit 1
fi
if ! [[ $DEVICES =~ ^[0-9]{1,6}$ ]] || [ "$DEVICES" -gt $((150 * ROUTERS)) ]; then
	echo "IOTGUARD_FLEET_DEVICES=$DEVICES: 0 to 150 per router" >&2
	exit 1
fi

cleanup() {
	local pid r

	set +e
	for pid in "${AGENTS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	[ -n "$EXTERNAL" ] || nats_stop "$tmp" 3
	[ -z "$FWD" ] || kill "$FWD"
	for ((r = 1; r <= ROUTERS; r++)); do
		ip netns del "igf-r$r" 2>/dev/null
	done
	ip link del "$BR" 2>/dev/null
	# The logs, where the VM's results go, when something failed.
	if [ "${failed:-0}" != 0 ] && [ -n "${IOTGUARD_VM_OUT:-}" ]; then
		mkdir -p "$IOTGUARD_VM_OUT/fleet"
		cp "$tmp"/*.log "$tmp"/*.err "$tmp"/tables "$IOTGUARD_VM_OUT/fleet/" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

tap_plan $((12 + (DEVICES > 0)))

if [ ! -x "$sync" ] || ! command -v nats-server >/dev/null; then
	not_ok "build/iotguard-sync or nats-server is missing"
	exit 1
fi

# ----------------------------------------------------------- the network
ip link add "$BR" type bridge
ip addr add "$HOST/24" dev "$BR"
ip link set "$BR" up
for ((r = 1; r <= ROUTERS; r++)); do
	ip netns add "igf-r$r"
	ip link add "igfv$r" type veth peer name eth0 netns "igf-r$r"
	ip link set "igfv$r" master "$BR" up
	ip -n "igf-r$r" addr add "198.18.255.$((10 + r))/24" dev eth0
	ip -n "igf-r$r" link set eth0 up
	ip -n "igf-r$r" link set lo up
done

# ----------------------------------------------------------- the city
mapfile -t routers < <(seq -f 'r%g' "$ROUTERS")
export NATS_HOST=$HOST
if [ -z "$EXTERNAL" ]; then
	certs=(operator "${routers[@]/#/router-}")
	NATS_PORT=24222
	export NATS_SAN=IP:$HOST
	nats_certs "$tmp" "${certs[@]}"
	nats_cluster_config "$tmp" 3 iotguard-city "${routers[@]}"
	nats_start "$tmp" 3
	check "a 3-node cluster with TLS forms" \
		tap_wait 480 0.5 nats_ready "$tmp" 3
	C=$tmp/certs
	cluster=$tmp
else
	# shellcheck source=/dev/null
	. "$EXTERNAL/cluster.env"
	cluster=$EXTERNAL
	C=$EXTERNAL/certs
	# The host's ports: clients on the bridge's address, as if the
	# servers were here; their health checks on loopback.
	fwd=()
	for ((n = 0; n < 3; n++)); do
		fwd+=("$HOST:$((NATS_PORT + n))=10.0.2.100:$((NATS_PORT + n))"
		      "127.0.0.1:$((NATS_PORT + 200 + n))=10.0.2.100:$((NATS_PORT + 200 + n))")
	done
	if modprobe virtio_net && tap_wait 50 0.2 test -e /sys/class/net/eth0 &&
	   ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up; then
		python3 "$repo/tests/guest/tcpfwd.py" "${fwd[@]}" \
			>"$tmp/fwd.log" 2>&1 &
		FWD=$!
		tap_wait 100 0.2 grep -q '^ready$' "$tmp/fwd.log" || true
	fi
	check "the host's 3-node cluster with TLS answers through the guest's NIC" \
		tap_wait 480 0.5 nats_ready "$cluster" 3
fi

# node_stop N: node N of the cluster is killed (the host's, on request
# through the results share: it answers once the node has exited).
node_stop() {
	local out=${IOTGUARD_VM_OUT:-}

	if [ -z "$EXTERNAL" ]; then
		nats_stop "$tmp" 3 "$1"
		return
	fi
	echo "stop $1" >"$out/fleet.request.new" &&
		mv "$out/fleet.request.new" "$out/fleet.request" &&
		tap_wait 600 0.2 grep -qx "stop $1" "$out/fleet.done"
}

# clock_offset: the guest's clock minus the host's (the cluster's, which
# stamps the entries) in ms, and half the best round trip it was read in
# (/varz's "now" on node 1, five tries): the agents' delays are on the
# guest's clock, the store's stamps on the host's.
clock_offset() {
	python3 - "$(sed -n 's/^http: \(.*\)$/\1/p' "$cluster/n1.conf")" <<'EOF'
import datetime, json, sys, time, urllib.request
best = None
for _ in range(5):
    t0 = time.time()
    with urllib.request.urlopen("http://%s/varz" % sys.argv[1],
                                timeout=10) as r:
        now = json.load(r)["now"]
    t1 = time.time()
    # RFC 3339 with nanoseconds (Python 3.11 truncates them).
    host = datetime.datetime.fromisoformat(now).timestamp()
    if best is None or t1 - t0 < best[1]:
        best = ((t0 + t1) / 2 - host, t1 - t0)
print("%.1f %.1f" % (best[0] * 1000, best[1] * 500))
EOF
}

S=$(nats_urls 3)
op=(--server "$S" --cert "$C/operator.pem" --key "$C/operator.key"
	--ca "$C/ca.pem")
create() {
	"$sync" create "${op[@]}" --replicas 3 "${routers[@]}" \
		2>>"$tmp/create.err"
}
check "the operator creates the city's $((ROUTERS + 4)) buckets, 3 replicas" \
	tap_wait 80 0.5 create

# Each agent's log, each line stamped with the time it was read. They
# start in waves of ten, each once the one before has connected: a
# hundred TLS handshakes at once under TCG take the guest's two vCPUs
# longer than the agents' 10 s connect timeout, all of them, and the
# retries only renew the crowd (the host's servers are idle meanwhile).
connected() {
	local r

	for ((r = $1; r <= $2; r++)); do
		grep -q "store: connected" "$tmp/agent-r$r.log" 2>/dev/null ||
			return 1
	done
}
for ((r = 1; r <= ROUTERS; r++)); do
	nsenter --net="/run/netns/igf-r$r" "$sync" run --server "$S" \
		--cert "$C/router-r$r.pem" --key "$C/router-r$r.key" \
		--ca "$C/ca.pem" --router "r$r" --state "$tmp/state-r$r" \
		2> >(nats_stamp >"$tmp/agent-r$r.log") &
	AGENTS+=($!)
	if ((r % 10 == 0 && r < ROUTERS)); then
		tap_wait 600 0.5 connected $((r - 9)) "$r" || true
	fi
done
# in_step R: agent R has had every key's newest value on both watchers,
# its street's and the city's.
in_step() {
	grep -q "in step with street\." "$tmp/agent-$1.log" 2>/dev/null &&
		grep -q "in step with city\." "$tmp/agent-$1.log"
}
all_in_step() {
	local r

	for r in "${routers[@]}"; do
		in_step "$r" || return 1
	done
}
check "$ROUTERS routers' agents, each in its namespace, are in step" \
	tap_wait 960 0.5 all_in_step

# snapshot: every router's module table into tmp/tables, a line
# "ROUTER ADDRESS STATE revoked|-" per device (one python for them all:
# its start is slow under TCG).
snapshot() {
	python3 - "$iotguard" "${routers[@]}" >"$tmp/tables.new" <<'EOF' &&
import json, subprocess, sys
for r in sys.argv[2:]:
    out = subprocess.run(["nsenter", "--net=/run/netns/igf-" + r,
                          sys.argv[1], "-j", "device", "list"],
                         capture_output=True, text=True)
    if out.returncode:
        print(r, "error")
        continue
    for d in json.loads(out.stdout)["devices"]:
        print(r, d["address"], d["state"],
              "revoked" if d.get("revoked") else "-")
EOF
		mv "$tmp/tables.new" "$tmp/tables"
}
# judge DESCRIPTION DIAGNOSIS COMMAND...: check, and on failure runs
# DIAGNOSIS (check's own status is its output's).
judge() {
	local desc=$1 diag=$2

	shift 2
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
		"$diag"
	fi
}
# count PATTERN: lines of the snapshot matching the extended regex.
count() { grep -cE -- "$1" "$tmp/tables"; }
# show: the snapshot and router r1's agent, for a failure's diagnosis.
show() {
	head -n 40 "$tmp/tables" | sed 's/^/# tables: /'
	tail -n 20 "$tmp/agent-r1.log" | sed 's/^/# r1: /'
}

# ---------------------------------------------------------- enrollments
for ((r = 1; r <= ROUTERS; r++)); do
	echo "street.r$r.dev.198-19-$r-10 {\"id\":\"198.19.$r.10\",\"name\":\"lamp-$r\",\"state\":\"allow\",\"class\":\"light\",\"by\":\"operator:alice\"}"
	echo "street.r$r.dev.198-18-0-66 {\"id\":\"198.18.0.66\",\"name\":\"carried\",\"state\":\"allow\",\"by\":\"operator:alice\"}"
done >"$tmp/enroll"
"$sync" put "${op[@]}" - <"$tmp/enroll" >"$tmp/enroll.out" 2>&1 || true
# enrolled: each router's table is its lamp and the carried device.
enrolled() {
	snapshot || return 1
	[ "$(wc -l <"$tmp/tables")" = $((2 * ROUTERS)) ] &&
		[ "$(count "^r([0-9]+) 198\.19\.\1\.10 allow -$")" = "$ROUTERS" ] &&
		[ "$(count "^r[0-9]+ 198\.18\.0\.66 allow -$")" = "$ROUTERS" ]
}
show_put() { show; head -n 5 "$tmp/enroll.out" | sed 's/^/# put: /'; }
judge "each router's table holds its street's devices, no other street's" \
	show_put tap_wait "$WAIT" 1 enrolled

# ----------------------------------------------------------- revocation
t0=$EPOCHREALTIME
"$city" revoke "${op[@]}" --by operator:bob --reason stolen 198.18.0.66 \
	>"$tmp/revoke.out" 2>&1 || true
t1=$EPOCHREALTIME
rev66=$(sed -n 's/^city\.revoke\.198-18-0-66 rev \([0-9]*\)$/\1/p' "$tmp/revoke.out")
revoked() {
	snapshot && [ "$(count "^r[0-9]+ 198\.18\.0\.66 deny revoked$")" = "$ROUTERS" ]
}
judge "a revocation reaches all $ROUTERS tables: denied and revoked" \
	show tap_wait "$WAIT" 1 revoked
# applied KEY REV: iotguard-city applied, its words in tmp/applied.
applied() {
	"$city" applied "${op[@]}" "$1" "$2" >"$tmp/applied" 2>&1
}
show_applied() { sed 's/^/# applied: /' "$tmp/applied"; }
judge "the agents report it: every router has applied it (iotguard-city applied)" \
	show_applied tap_wait "$WAIT" 1 applied city.revoke.198-18-0-66 "${rev66:-0}"
# The figures: from the store's taking it (the time JetStream stamped
# it with) to each agent's having applied it, as each agent logged it
# (one clock here; with the host's cluster, the guest's clock less the
# host's, read just after).
skew=0
clock=
if [ -n "$EXTERNAL" ] && read -r skew err < <(clock_offset); then
	clock=", less the guest's clock's $skew ms on the host's (+-$err ms)"
fi
for r in "${routers[@]}"; do
	sed -n 's/.*city\.revoke\.198-18-0-66 rev [0-9]*: applied, \([0-9.-]*\) ms after it was stored$/\1/p' \
		"$tmp/agent-$r.log"
done | awk -v skew="$skew" '{ printf "%.1f\n", $1 - skew }' | sort -n \
	>"$tmp/latency"
read -r p50 p99 max < <(awk '{ v[NR] = $1 } END {
	if (!NR) exit
	print v[int((NR - 1) * 0.50) + 1], v[int((NR - 1) * 0.99) + 1], v[NR] }' \
	"$tmp/latency")
if [ -n "${max:-}" ]; then
	echo "# revocation to $(wc -l <"$tmp/latency") routers, from the store to each table: p50 $p50 ms, p99 $p99 ms, max $max ms (the operator's command took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }') ms$clock)"
	[ -z "$JSON" ] || printf '{"name": "fleet.revoke", "routers": %d, "median": %s, "p99": %s, "max": %s}\n' \
		"$ROUTERS" "$(awk -v v="$p50" 'BEGIN { print v / 1000 }')" \
		"$(awk -v v="$p99" 'BEGIN { print v / 1000 }')" \
		"$(awk -v v="$max" 'BEGIN { print v / 1000 }')" >>"$JSON"
fi

# --------------------------------------------------------------- volume
# DEVICES more enrollments, street rN's at 198.19.N.100 and up, in one
# client's puts: how long until the last router applied its last, and
# what they cost the agents (their resident memory, summed).
rss() {
	local pid kb total=0

	for pid in "${AGENTS[@]}"; do
		kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
		total=$((total + ${kb:-0}))
	done
	echo "$total"
}
if [ "$DEVICES" -gt 0 ]; then
	rss_before=$(rss)
	for ((i = 0; i < DEVICES; i++)); do
		r=$((i % ROUTERS + 1))
		a="198.19.$r.$((100 + i / ROUTERS))"
		echo "street.r$r.dev.${a//./-} {\"id\":\"$a\",\"state\":\"allow\",\"by\":\"operator:alice\"}"
	done >"$tmp/volume"
	t0=$EPOCHREALTIME
	"$sync" put "${op[@]}" - <"$tmp/volume" >"$tmp/volume.out" 2>&1 || true
	volume_done() {
		snapshot && [ "$(count "^r[0-9]+ 198\\.19\\.[0-9]+\\.(1[0-9][0-9]|2[0-4][0-9]) allow -$")" = "$DEVICES" ]
	}
	judge "$DEVICES more enrollments over $ROUTERS routers reach their tables" \
		show tap_wait "$WAIT" 1 volume_done
	secs=$(cat "$tmp"/agent-r*.log | awk -v t0="$t0" '
		/dev\.198-19-[0-9]+-(1[0-9][0-9]|2[0-4][0-9]) rev [0-9]+: applied/ {
			if ($1 > last) last = $1 }
		END { if (last) printf "%.3f", last - t0 }')
	rss_after=$(rss)
	echo "# $DEVICES enrollments over $ROUTERS routers: ${secs:-?} s; the agents' RSS from $((rss_before / ROUTERS)) to $((rss_after / ROUTERS)) KiB each"
	[ -z "$JSON" ] || [ -z "$secs" ] ||
		printf '{"name": "fleet.enroll", "routers": %d, "devices": %d, "median": %s, "rss_kib": %d}\n' \
			"$ROUTERS" "$DEVICES" "$secs" "$((rss_after / ROUTERS))" >>"$JSON"
fi

# ------------------------------------------------------------ partition
# Router r1 cut off: its link to the bridge down. A deny made meanwhile
# reaches every other router; r1 keeps what it had, and converges once
# its link is back.
snapshot
grep "^r1 " "$tmp/tables" >"$tmp/r1.before"
ip link set igfv1 down
rev67=$("$sync" put "${op[@]}" city.deny.198-18-0-67 \
	'{"id":"198.18.0.67","by":"operator:alice","reason":"scan"}' 2>/dev/null)
others_denied() {
	snapshot &&
		[ "$(count "^r([2-9]|[1-9][0-9]+) 198\.18\.0\.67 deny -$")" = $((ROUTERS - 1)) ]
}
tap_wait "$WAIT" 1 others_denied || true
kept() {
	cmp -s <(grep "^r1 " "$tmp/tables") "$tmp/r1.before" &&
		kill -0 "${AGENTS[0]}"
}
judge "router r1 cut off: the others get the deny, r1 keeps its table" \
	show eval 'others_denied && kept'
# The others' reports come in; r1's cannot.
others_applied() {
	applied city.deny.198-18-0-67 "${rev67:-0}"
	grep -q "^$((ROUTERS - 1)) of $ROUTERS routers have" "$tmp/applied"
}
judge "the operator sees that r1 alone has not applied the deny" \
	show_applied eval 'tap_wait "$WAIT" 1 others_applied &&
	grep -q "^r1 behind" "$tmp/applied"'
ip link set igfv1 up
r1_denied() { snapshot && [ "$(count "^r1 198\.18\.0\.67 deny -$")" = 1 ]; }
judge "when the link is back, router r1 converges, and says so" \
	show eval 'tap_wait "$WAIT" 1 r1_denied &&
	tap_wait "$WAIT" 1 applied city.deny.198-18-0-67 "${rev67:-0}"'

# ---------------------------------------------------- a node goes away
# Twenty denies, each retried until acknowledged, while node 2 is
# killed after the fifth: every acknowledged one reaches every table.
(
	for ((i = 1; i <= 20; i++)); do
		[ "$i" = 6 ] && node_stop 2
		for ((try = 0; try < 60; try++)); do
			"$sync" put "${op[@]}" "city.deny.198-18-1-$i" \
				"{\"id\":\"198.18.1.$i\",\"by\":\"operator:alice\"}" \
				>/dev/null 2>>"$tmp/load.err" && break
			sleep 0.5
		done
		echo "$i $try"
	done >"$tmp/load"
)
acked=$(awk '$2 < 60' "$tmp/load" | wc -l)
all_twenty() {
	snapshot &&
		[ "$(count "^r[0-9]+ 198\.18\.1\.[0-9]+ deny -$")" = $((20 * ROUTERS)) ]
}
judge "node 2 killed under load: all $acked acknowledged denies reach every table" \
	show tap_wait "$WAIT" 1 all_twenty
[ "$acked" = 20 ] || echo "# only $acked of 20 denies acknowledged"

# ------------------------------------------------------ a table lost
# Router r2's table loses everything (as when the module is reloaded or
# the router reboots) while its agent is stopped; the agent's state file
# still names what it applied. Started again, the agent finds its devices
# gone and applies them again: the table is as it was.
snapshot
grep "^r2 " "$tmp/tables" | sort >"$tmp/r2.before"
kill "${AGENTS[1]}"
wait "${AGENTS[1]}" || true
while read -r _ addr _; do
	nsenter --net=/run/netns/igf-r2 "$iotguard" device del "$addr" ||
		echo "# r2: unable to delete $addr"
done <"$tmp/r2.before"
snapshot
r2_empty=$(grep -c "^r2 " "$tmp/tables" || true)
nsenter --net=/run/netns/igf-r2 "$sync" run --server "$S" \
	--cert "$C/router-r2.pem" --key "$C/router-r2.key" --ca "$C/ca.pem" \
	--router r2 --state "$tmp/state-r2" 2> >(nats_stamp >"$tmp/again-r2.log") &
AGENTS[1]=$!
r2_back() {
	snapshot && cmp -s <(grep "^r2 " "$tmp/tables" | sort) "$tmp/r2.before"
}
show_r2() {
	diff "$tmp/r2.before" <(grep "^r2 " "$tmp/tables" | sort) |
		sed 's/^/# r2: /'
	tail -n 5 "$tmp/again-r2.log" | sed 's/^/# r2 agent: /'
}
r2_restored() {
	[ "$r2_empty" = 0 ] && [ -s "$tmp/r2.before" ] &&
		tap_wait "$WAIT" 1 r2_back &&
		grep -q "not in the table any more: applied again" \
			"$tmp/again-r2.log"
}
judge "router r2's table lost, its agent restarted: all $(wc -l <"$tmp/r2.before") devices back as they were" \
	show_r2 r2_restored

# ---------------------------------------------------------------- stop
for pid in "${AGENTS[@]}"; do
	kill "$pid"
done
stopped=0
for pid in "${AGENTS[@]}"; do
	wait "$pid" && stopped=$((stopped + 1))
done
AGENTS=()
# Their last lines pass through the stamping readers first.
all_logged() {
	[ "$(cat "$tmp"/agent-r*.log | grep -c "stopping:")" = "$ROUTERS" ]
}
tap_wait 100 0.1 all_logged || true
nfailed=$(grep -h "stopping:" "$tmp"/agent-r*.log | grep -vc " 0 failed;" || true)
show_stops() { grep -h "stopping:" "$tmp"/agent-r*.log | sed 's/^/# /'; }
# What the agents' tables hold per identity, by their own count.
read -r ids bytes < <(grep -h "stopping:" "$tmp"/agent-r*.log |
	sed -n 's/.*; \([0-9]*\) identities in \([0-9]*\) bytes$/\1 \2/p' |
	awk '{ n += $1; b += $2 } END { print n + 0, b + 0 }')
if [ "${ids:-0}" -gt 0 ]; then
	echo "# the agents' tables: $ids identities in $bytes bytes, $((bytes / ids)) B each"
	[ -z "$JSON" ] || printf '{"name": "fleet.agent_memory", "routers": %d, "devices": %d, "median": %d}\n' \
		"$ROUTERS" "$ids" "$((bytes / ids))" >>"$JSON"
fi
judge "the $ROUTERS agents stop cleanly, none failed to apply anything" \
	show_stops test "$stopped" = "$ROUTERS" -a "$nfailed" = 0

tap_end
