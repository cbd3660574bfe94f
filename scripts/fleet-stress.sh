#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fleet's stress form (Documentation/fleet.rst): a hundred routers in
# the guest, each a network namespace with its own iotguard table and
# iotguard-sync agent (tests/guest/fleet_test.sh), and their 3-node
# JetStream cluster here, on the host's loopback, at the host's speed:
# under TCG the guest's own servers cannot keep a hundred streets' raft
# groups. make stress runs it as its third boot.
#
#  host                                  guest (TCG)
#  nats-server n1 n2 n3    qemu user     tcpfwd.py on 198.18.255.1 ── igfbr
#  127.0.0.1:PORT..+2  <── network ───── eth0 10.0.2.15                │
#  (routes, /healthz       (guestfwd:    ──────────────────────   igf-r1 ..
#   on 127.0.0.1 too)       these ports   the routers' agents     igf-r100
#                           alone)
#
# The certificates and the configuration are made here (the servers' with
# the guest's bridge address), in the cluster's directory, which the guest
# reads over its virtiofs root; the test asks for a node to be stopped by
# writing "stop N" to fleet.request in the VM's results share, and this
# answers in fleet.done once the node has exited.
#
# Usage: scripts/fleet-stress.sh TAP-FILE
# Environment: IOTGUARD_FLEET_ROUTERS (100), IOTGUARD_VM_DIR
# (build/vm-fleet), IOTGUARD_VM_MEM (4G: a hundred agents and their
# namespaces), IOTGUARD_VM_TIMEOUT (2700 s), and the fleet test's.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1
# shellcheck source=../tests/lib/nats.sh
. "$REPO/tests/lib/nats.sh"

TAP=${1:?usage: scripts/fleet-stress.sh TAP-FILE}
ROUTERS=${IOTGUARD_FLEET_ROUTERS:-100}
VMDIR=${IOTGUARD_VM_DIR:-$REPO/build/vm-fleet}
VM_TIMEOUT=${IOTGUARD_VM_TIMEOUT:-2700}
DIR=$REPO/build/fleet-cluster
OUT=$VMDIR/out
vm=

cleanup() {
	[ -z "$vm" ] || kill "$vm" 2>/dev/null
	nats_stop "$DIR" 3
}
trap cleanup EXIT

fail() {
	echo "not ok 1 fleet stress: $*" | tee -a "$TAP"
	exit 1
}

rm -rf "$DIR"
mkdir -p "$DIR" "$VMDIR"
: >"$TAP"
mapfile -t routers < <(seq -f 'r%g' "$ROUTERS")
# The guest's clients get 60 s for their TLS handshake: a hundred agents
# starting at once under TCG take longer than the usual 5 s, and would
# only try again, all of them, until they gave up.
export NATS_SAN=IP:198.18.255.1 NATS_TLS_TIMEOUT=60
nats_certs "$DIR" operator "${routers[@]/#/router-}" || fail "certificates"
nats_cluster_config "$DIR" 3 iotguard-city "${routers[@]}" ||
	fail "the cluster's configuration"
echo "NATS_PORT=$NATS_PORT" >"$DIR/cluster.env"
nats_start "$DIR" 3
for ((i = 0; i < 240; i++)); do
	nats_ready "$DIR" 3 && break
	sleep 0.5
done
nats_ready "$DIR" 3 || fail "the host's cluster did not form"
echo "# fleet stress: the host's cluster is up on 127.0.0.1:$NATS_PORT-$((NATS_PORT + 2))"

ports=
for ((n = 0; n < 3; n++)); do
	ports+=" $((NATS_PORT + n)) $((NATS_PORT + 200 + n))"
done
IOTGUARD_VM_GUESTFWD=$ports IOTGUARD_VM_DIR=$VMDIR \
IOTGUARD_VM_MEM=${IOTGUARD_VM_MEM:-4G} \
IOTGUARD_FLEET_CLUSTER=$DIR IOTGUARD_FLEET_ROUTERS=$ROUTERS \
	bash tests/vm/run.sh --timeout "$VM_TIMEOUT" -- \
	bash tests/guest/run-all.sh fleet_test > >(tee -a "$TAP") 2>&1 &
vm=$!

# The guest's requests, until the VM is gone.
while kill -0 "$vm" 2>/dev/null; do
	if [ -f "$OUT/fleet.request" ]; then
		req=$(<"$OUT/fleet.request")
		rm -f "$OUT/fleet.request"
		case $req in
		"stop "[1-3])
			nats_stop "$DIR" 3 "${req#stop }"
			echo "# fleet stress: node ${req#stop } stopped, as the guest asked"
			echo "$req" >"$OUT/fleet.done"
			;;
		*) echo "# fleet stress: a request not understood: '$req'" ;;
		esac
	fi
	sleep 0.2
done
wait "$vm"
rc=$?
vm=
case $rc in
0 | 1) ;;
124) echo "not ok 1000 fleet stress: the VM timed out after ${VM_TIMEOUT}s" >>"$TAP" ;;
*) echo "not ok 1000 fleet stress: the VM failed ($rc)" >>"$TAP" ;;
esac
exit 0
