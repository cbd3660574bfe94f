#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The iotguard demo: a street of a simulated city network (lamps, an air
# sensor, a camera, a meter gone rogue, a stranger and a spoofer) behind a
# router whose device-facing port iot0 runs iotguard. Needs root and a
# kernel that can load kmod/iotguard.ko: `make demo` runs it in the guest VM.
#
#  lamp-1 198.18.1.11   lamp-2 198.18.1.12   air-1 2001:2:0:1::21
#  cam-1  198.18.1.31   meter-1 198.18.1.41  stranger 198.18.1.99
#          all on a switch (bridge) ── uplink ── router iot0 (XDP)
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
TOPO=city
# shellcheck source=../tests/lib/topology.sh
. "$repo/tests/lib/topology.sh"
iotguard=$repo/build/iotguard
traffic=$repo/tests/guest/traffic.py
secs=${DEMO_SECONDS:-8}

ig() { topo_rtr "$iotguard" "$@"; }
dev() { topo_exec "$TOPO-$1" "${@:2}"; }
mac_of() { dev "$1" cat /sys/class/net/eth0/address; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# send DEVICE DST RATE SECONDS [SIZE]: paced UDP, in the background.
send() {
	dev "$1" python3 "$traffic" send --dst "$2" --rate "$3" \
		--count "$(python3 -c "print(int($3 * $4))")" \
		--size "${5:-64}" >/dev/null &
}

cleanup() {
	set +e
	for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	ig detach iot0 >/dev/null 2>&1
	topo_cleanup
}
trap cleanup EXIT

if ! grep -qw '^iotguard' /proc/modules; then
	insmod "$repo/kmod/iotguard.ko"
fi

say "Building the street: router, switch, six devices"
topo_init
topo_add_device lamp1 198.18.1.11
topo_add_device lamp2 198.18.1.12
topo_add_device air1 198.18.1.21 2001:2:0:1::21
topo_add_device cam1 198.18.1.31
topo_add_device meter1 198.18.1.41
topo_add_device stranger 198.18.1.99

say "iotguard attach iot0 (XDP, native) and enroll the known devices"
ig attach iot0 --mode native
ig device add 198.18.1.11 --name lamp-1 --class light --rate 20 \
	--mac "$(mac_of lamp1)"
ig device add 198.18.1.12 --name lamp-2 --class light --rate 20 \
	--mac "$(mac_of lamp2)"
ig device add 2001:2:0:1::21 --name air-1 --class sensor --rate 10 \
	--mac "$(mac_of air1)"
ig device add 198.18.1.31 --name cam-1 --class camera --rate 400 \
	--byte-rate 400k
ig device add 198.18.1.41 --name meter-1 --class meter --rate 20 --burst 5
ig status
ig device list

say "Traffic for ${secs}s: telemetry, a video stream, a meter flooding at 500/s,"
echo "a stranger knocking, and a spoofer using lamp-2's address from its own MAC"
topo_rtr python3 "$traffic" recv --bind 0.0.0.0 --duration $((secs + 2)) \
	--out /dev/null &
dev stranger ip addr add 198.18.1.12/32 dev eth0
send lamp1 198.18.1.1 5 "$secs"
send lamp2 198.18.1.1 5 "$secs"
send air1 2001:2:0:1::1 2 "$secs"
send cam1 198.18.1.1 200 "$secs" 1000
send meter1 198.18.1.1 500 "$secs"
send stranger 198.18.1.1 10 "$secs"
dev stranger python3 "$traffic" send --src 198.18.1.12 --dst 198.18.1.1 \
	--rate 10 --count $((secs * 10)) >/dev/null &
wait

say "iotguard stats: what the edge saw"
ig stats
say "iotguard unknown: who knocked without being enrolled"
ig unknown

say "The operator quarantines meter-1: it may now send 1 packet/s"
ig device set 198.18.1.41 --state quarantine
ig device show 198.18.1.41
before=$(ig -j stats 198.18.1.41 | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["devices"][0]["pass"]["packets"])')
dev meter1 python3 "$traffic" send --dst 198.18.1.1 --rate 500 \
	--count 1500 >/dev/null
after=$(ig -j stats 198.18.1.41 | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["devices"][0]["pass"]["packets"])')
echo "meter-1 sent 1500 packets in ~3 s under quarantine; $((after - before)) passed"

say "Final counters"
ig stats
