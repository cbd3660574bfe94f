#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo's second part (demo/city.sh runs it last): two streets of the
# city, each behind its own router with iotguard on iot0 and an
# iotguard-sync agent, and the city's policy in a 3-node NATS JetStream
# cluster (TLS everywhere, certificates made here). Operator alice logs
# in at the operator gate with her password and a TOTP code, enrolls a
# repair van on both streets, and revokes it when it is stolen: on both
# routers its frames stop passing. Needs root, kmod/iotguard.ko loadable,
# nats-server and oathtool (scripts/setup-dev.sh).
#
#   street a: van-1 198.18.1.77 ── switch ── iot0 router a ─┐
#   street b: van-1 198.18.1.77 ── switch ── iot0 router b ─┤ 198.18.254.0/24
#   root namespace: nats-server n1 n2 n3, the gate, alice's console ─┘

repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../tests/lib/nats.sh
. "$repo/tests/lib/nats.sh"
iotguard=$repo/build/iotguard
sync=$repo/build/iotguard-sync
city=$repo/build/iotguard-city
gate=$repo/build/iotguard-gate
traffic=$repo/tests/guest/traffic.py
tmp=$(mktemp -d)
pids=()
BR=igdemo
HOST=198.18.254.1

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# on R CMD...: in router R's namespace (a or b).
on() { topo_net "street$1-rtr" "${@:2}"; }

cleanup() {
	local pid

	set +e
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	nats_stop "$tmp" 3
	on a "$iotguard" detach iot0 >/dev/null 2>&1
	on b "$iotguard" detach iot0 >/dev/null 2>&1
	topo_cleanup
	ip link del "$BR" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

for tool in nats-server oathtool; do
	if ! command -v "$tool" >/dev/null; then
		echo "demo/fleet.sh: $tool is not installed (scripts/setup-dev.sh)"
		exit 1
	fi
done
if ! grep -qw '^iotguard' /proc/modules; then
	modprobe -q libchacha20poly1305 || true
	insmod "$repo/kmod/iotguard.ko"
fi

say "A second street: two routers, each guarding its street with iotguard"
ip link add "$BR" type bridge
ip addr add "$HOST/24" dev "$BR"
ip link set "$BR" up
n=11
for r in a b; do
	TOPO=street$r
	topo_init
	topo_add_device van1 198.18.1.77
	on "$r" "$iotguard" attach iot0 --mode native
	# The router's uplink to the city's servers.
	ip link add "up-$r" type veth peer name up0 netns "$TOPO-rtr"
	ip link set "up-$r" master "$BR" up
	on "$r" ip addr add "198.18.254.$n/24" dev up0
	on "$r" ip link set up0 up
	n=$((n + 1))
done

say "The city: a 3-node NATS JetStream cluster, TLS on every connection"
export NATS_PORT=24322 NATS_HOST=$HOST NATS_SAN=IP:$HOST NATS_CONSOLES=tab1
nats_certs "$tmp" operator router-a router-b gate console-tab1
nats_cluster_config "$tmp" 3 iotguard-city a b
nats_start "$tmp" 3
for _ in $(seq 480); do
	nats_ready "$tmp" 3 && break
	sleep 0.25
done
C=$tmp/certs
S=$(nats_urls 3)
adm=(--server "$S" --cert "$C/operator.pem" --key "$C/operator.key"
	--ca "$C/ca.pem")
for _ in $(seq 60); do
	"$sync" create "${adm[@]}" --replicas 3 a b 2>/dev/null && break
	sleep 0.5
done
echo "buckets: the city-wide lists, the reports, street a, street b"

for r in a b; do
	on "$r" "$sync" run --server "$S" --cert "$C/router-$r.pem" \
		--key "$C/router-$r.key" --ca "$C/ca.pem" --router "$r" \
		2>"$tmp/agent-$r.log" &
	pids+=($!)
done
echo "iotguard-sync runs on each router, applying its street's policy"

say "The operator gate: alice logs in with her password and a TOTP code"
password="lamp posts at dawn"
secret=$(echo "$password" | "$gate" adduser --operators "$tmp/operators" alice |
	sed -n 's/^secret //p')
echo "alice's authenticator app holds the secret the gate made for her"
"$gate" run --server "$S" --cert "$C/gate.pem" --key "$C/gate.key" \
	--ca "$C/ca.pem" --operators "$tmp/operators" 2>"$tmp/gate.log" &
pids+=($!)
until grep -q "serving" "$tmp/gate.log"; do sleep 0.2; done
con=(--server "$S" --cert "$C/console-tab1.pem" --key "$C/console-tab1.key"
	--ca "$C/ca.pem")
ses=("${con[@]}" --session "$tmp/alice.session")
printf '%s\n%s\n' "$password" "$(oathtool --totp -b "$secret")" |
	"$city" login "${con[@]}" --console tab1 --session "$tmp/alice.session" \
		alice

say "alice enrolls the repair van van-1 on street a and on street b"
for r in a b; do
	"$city" enroll "${ses[@]}" --router "$r" --name van-1 \
		--rate-pps 50 198.18.1.77
done
until on a "$iotguard" device show 198.18.1.77 >/dev/null 2>&1 &&
	on b "$iotguard" device show 198.18.1.77 >/dev/null 2>&1; do
	sleep 0.2
done
# van R COUNT: van-1 on street R sends COUNT datagrams to its router.
van() {
	topo_exec "street$1-van1" python3 "$traffic" send --dst 198.18.1.1 \
		--rate 50 --count "$2" --size 64 >/dev/null
}
for r in a b; do
	van "$r" 20
	echo "router $r, van-1's verdicts:"
	on "$r" "$iotguard" stats 198.18.1.77 | sed -n 's/^ADDRESS/&/p; s/^198/&/p' |
		sed 's/^/    /'
done

say "van-1 is stolen: alice revokes it on her console, once, for the city"
"$city" revoke "${ses[@]}" --reason "stolen from the depot" 198.18.1.77
rev=$("$city" history "${ses[@]}" 198.18.1.77 |
	sed -n 's/^city\.revoke\.198-18-1-77 rev \([0-9]*\) put.*/\1/p' | tail -n 1)
until "$city" applied "${adm[@]}" city.revoke.198-18-1-77 "${rev:-0}" \
	>"$tmp/applied" 2>&1; do
	sleep 0.2
done
sed 's/^/    /' "$tmp/applied"
for r in a b; do
	van "$r" 20
	echo "router $r, van-1's verdicts after the revocation:"
	on "$r" "$iotguard" stats 198.18.1.77 | sed -n 's/^ADDRESS/&/p; s/^198/&/p' |
		sed 's/^/    /'
done
echo "What the city recorded, and who did it:"
"$city" history "${ses[@]}" 198.18.1.77 | sed 's/^/    /'
echo "What the gate logged:"
sed 's/^/    /' "$tmp/gate.log"
