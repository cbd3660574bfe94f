#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fleet's propagation figures on the host (Documentation/fleet.rst,
# performance.rst): a 3-node NATS JetStream cluster on loopback with TLS,
# the city's buckets with 3 replicas, and ROUTERS agents
# (build/iotguard-sync run --record: each writes what it would apply to
# the module to a file of its own). It measures
#
#   - a revocation from the store to every agent (p50, p99, max), by the
#     delay each agent logs from the revision's timestamp to its apply;
#   - DEVICES enrollments spread over the routers, put by one client,
#     from the first put to the last agent's apply;
#   - the agents' resident memory, and their tables per identity.
#
# The guest's form (tests/guest/fleet_test.sh) puts the module behind
# each agent, in namespaces, under TCG, where the three servers and the
# agents share two emulated CPUs; this one measures the store and the
# agents at the host's speed. Prints JSON lines (bench/report.py) on
# stdout, its progress on stderr.
#
# Usage: bench/fleet.sh [ROUTERS [DEVICES]]   (100 and 10000)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../tests/lib/nats.sh
. "$REPO/tests/lib/nats.sh"
SYNC=$REPO/build/iotguard-sync
ROUTERS=${1:-100}
DEVICES=${2:-10000}
TMP=$(mktemp -d)
AGENTS=()

if ! [[ $ROUTERS =~ ^[1-9][0-9]{0,2}$ ]] || ! [[ $DEVICES =~ ^[0-9]{1,6}$ ]]; then
	echo "Usage: $0 [ROUTERS (1-999) [DEVICES]]" >&2
	exit 1
fi
if [ ! -x "$SYNC" ] || ! command -v nats-server >/dev/null; then
	echo "Unable to run the fleet bench: build/iotguard-sync or nats-server is missing" >&2
	exit 1
fi

cleanup() {
	local pid

	set +e
	for pid in "${AGENTS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	nats_stop "$TMP" 3
	rm -rf "$TMP"
}
trap cleanup EXIT

log() { echo "fleet bench: $*" >&2; }

# wait_for TRIES COMMAND...: COMMAND until it succeeds, a second apart.
wait_for() {
	local tries=$1

	shift
	while ! "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 1
	done
}

mapfile -t routers < <(seq -f 'r%g' "$ROUTERS")
certs=(operator "${routers[@]/#/router-}")
nats_pick_port
nats_certs "$TMP" "${certs[@]}"
nats_cluster_config "$TMP" 3 iotguard-city "${routers[@]}"
nats_start "$TMP" 3
wait_for 120 nats_ready "$TMP" 3 || { log "the cluster did not form"; exit 1; }

C=$TMP/certs
S=$(nats_urls 3)
op=(--server "$S" --cert "$C/operator.pem" --key "$C/operator.key"
	--ca "$C/ca.pem")
create() {
	"$SYNC" create "${op[@]}" --replicas 3 "${routers[@]}" \
		2>>"$TMP/create.err"
}
wait_for 60 create || { log "the buckets were not made"; exit 1; }
log "$((ROUTERS + 4)) buckets with 3 replicas"

# The device to revoke, enrolled on every street (where it is allowed).
for r in "${routers[@]}"; do
	echo "street.$r.dev.198-18-0-66 {\"id\":\"198.18.0.66\",\"name\":\"van\",\"state\":\"allow\",\"by\":\"operator:alice\"}"
done | "$SYNC" put "${op[@]}" - >/dev/null

# Each agent's log, each line stamped with the time it was read.
for r in "${routers[@]}"; do
	"$SYNC" run --server "$S" --cert "$C/router-$r.pem" \
		--key "$C/router-$r.key" --ca "$C/ca.pem" --router "$r" \
		--record "$TMP/rec-$r" --state "$TMP/state-$r" \
		2> >(nats_stamp >"$TMP/agent-$r.log") &
	AGENTS+=($!)
done
t0=$EPOCHREALTIME
all_in_step() {
	local r

	for r in "${routers[@]}"; do
		grep -q "in step with street\." "$TMP/agent-$r.log" 2>/dev/null &&
			grep -q "in step with city\." "$TMP/agent-$r.log" ||
			return 1
	done
}
wait_for 600 all_in_step || { log "not all agents in step"; exit 1; }
log "$ROUTERS agents in step after $(awk -v a="$t0" -v b="$EPOCHREALTIME" \
	'BEGIN { printf "%.1f", b - a }') s"

# ------------------------------------------------------------ revocation
"$SYNC" put "${op[@]}" city.revoke.198-18-0-66 \
	'{"id":"198.18.0.66","by":"operator:alice","reason":"stolen"}' \
	>/dev/null
all_revoked() {
	[ "$(grep -l "city\.revoke\.198-18-0-66 rev [0-9]*: applied" \
		"$TMP"/agent-r*.log | wc -l)" = "$ROUTERS" ]
}
wait_for 120 all_revoked || { log "the revocation did not reach all"; exit 1; }
for r in "${routers[@]}"; do
	sed -n 's/.*city\.revoke\.198-18-0-66 rev [0-9]*: applied, \([0-9.-]*\) ms after it was stored$/\1/p' \
		"$TMP/agent-$r.log"
done | sort -n >"$TMP/latency"
read -r n p50 p99 max < <(awk '{ v[NR] = $1 } END {
	if (NR) print NR, v[int((NR - 1) * 0.50) + 1],
		v[int((NR - 1) * 0.99) + 1], v[NR] }' "$TMP/latency") ||
	{ log "no agent logged the revocation's delay"; exit 1; }
log "revocation to $n agents: p50 $p50 ms, p99 $p99 ms, max $max ms"
printf '{"name": "host.fleet.revoke", "routers": %d, "median": %s, "p99": %s, "max": %s}\n' \
	"$n" "$(awk -v v="$p50" 'BEGIN { print v / 1000 }')" \
	"$(awk -v v="$p99" 'BEGIN { print v / 1000 }')" \
	"$(awk -v v="$max" 'BEGIN { print v / 1000 }')"

# ----------------------------------------------------------- enrollments
rss() {
	local pid kb total=0

	for pid in $(pgrep -f "^$SYNC run .*--record $TMP/"); do
		kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
		total=$((total + ${kb:-0}))
	done
	echo "$total"
}
if [ "$DEVICES" -gt 0 ]; then
	rss_before=$(rss)
	for ((i = 0; i < DEVICES; i++)); do
		r=$((i % ROUTERS + 1))
		j=$((i / ROUTERS))
		a="198.19.$r.$((j % 250 + 1))"
		[ "$j" -lt 250 ] || printf -v a '2001:2:0:%x::%x' "$r" "$j"
		echo "street.r$r.dev.${a//[.:]/-} {\"id\":\"$a\",\"state\":\"allow\",\"by\":\"operator:alice\"}"
	done >"$TMP/volume"
	t0=$EPOCHREALTIME
	"$SYNC" put "${op[@]}" - <"$TMP/volume" >"$TMP/volume.out"
	enrolled() {
		[ "$(cat "$TMP"/rec-r* | grep -c "^add 198\.19\.\|^add 2001:2:0:")" -ge "$DEVICES" ]
	}
	wait_for 600 enrolled || { log "the enrollments did not all arrive"; exit 1; }
	secs=$(cat "$TMP"/agent-r*.log | awk -v t0="$t0" '
		/street\.r[0-9]+\.dev\.(198-19-|2001-2-0-)[-0-9]+ rev [0-9]+: applied/ {
			if ($1 > last) last = $1 }
		END { if (last) printf "%.3f", last - t0 }')
	rss_after=$(rss)
	log "$DEVICES enrollments over $ROUTERS agents: $secs s; RSS per agent $((rss_before / ROUTERS)) -> $((rss_after / ROUTERS)) KiB"
	printf '{"name": "host.fleet.enroll", "routers": %d, "devices": %d, "median": %s, "rss_kib": %d, "rss_before_kib": %d}\n' \
		"$ROUTERS" "$DEVICES" "$secs" "$((rss_after / ROUTERS))" \
		"$((rss_before / ROUTERS))"
fi

# ------------------------------------------------------- the agents' tables
for pid in "${AGENTS[@]}"; do
	if kill "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null || true
	fi
done
AGENTS=()
all_logged() {
	[ "$(cat "$TMP"/agent-r*.log | grep -c "stopping:")" = "$ROUTERS" ]
}
wait_for 30 all_logged || true
read -r ids bytes < <(grep -h "stopping:" "$TMP"/agent-r*.log |
	sed -n 's/.*; \([0-9]*\) identities in \([0-9]*\) bytes$/\1 \2/p' |
	awk '{ n += $1; b += $2 } END { print n + 0, b + 0 }') || true
if [ "${ids:-0}" -gt 0 ]; then
	log "the agents' tables: $ids identities in $bytes bytes"
	printf '{"name": "host.fleet.agent_memory", "routers": %d, "devices": %d, "median": %d}\n' \
		"$ROUTERS" "$ids" "$((bytes / ids))"
fi
