#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Device credentials end to end: the operator's one-time code, the lamp's
# enrollment with iotguardd's enrollment port, its sealed datagrams opened
# at the edge (the backend gets the bytes the lamp meant), and what the
# guard drops: a replayed datagram, a thief in the lamp's name (its address
# and MAC, no key or a key of its own), a second use of the code, and the
# lamp's datagrams once revoked. Runs in the guest, as root, with
# iotguard.ko loaded. Prints TAP.
#
#  ┌──────────────────────┐
#  │ lamp 198.18.1.20     ├──┐  ┌──────────┐        ┌──────────────────────┐
#  │ iotguard-device      │  ├──┤ sw: br0  ├────────┤ rtr: iot0 (XDP)      │
#  └──────────────────────┘  │  └──────────┘ uplink │ 198.18.1.1/24        │
#  ┌──────────────────────┐  │                      │ iotguardd, enroll    │
#  │ meter 198.18.1.22    ├──┤                      │ port 7783; backend   │
#  └──────────────────────┘  │                      │ UDP 5683             │
#  ┌──────────────────────┐  │                      └──────────────────────┘
#  │ thief 198.18.1.21    ├──┘
#  └──────────────────────┘
#
# Every step waits for an event (the daemon's port open, a datagram at the
# backend, a counter moved), never for a time.

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igenr$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/guard.sh
. "$repo/tests/lib/guard.sh"

iotguard=$repo/build/iotguard
iotguardd=$repo/build/iotguardd
device=$repo/build/iotguard-device
tmp=$(mktemp -d)
pids=()

ig() { topo_rtr "$iotguard" "$@"; }
dev() { topo_exec "$TOPO-$1" "${@:2}"; }

cleanup() {
	set +e
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	ig detach iot0 >/dev/null 2>&1
	topo_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

# The backend: each datagram's payload, in hex, a line of $tmp/backend.
backend() {
	nsenter --net="/run/netns/$TOPO-rtr" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.1.1", 5683))
open(sys.argv[2], "w").close()
with open(sys.argv[1], "a", buffering=1) as out:
    while True:
        data, _ = s.recvfrom(65536)
        out.write(data.hex() + "\n")
' "$tmp/backend" "$tmp/backend.ready" &
	pids+=($!)
}

# jget EXPR: EXPR of the JSON document d on stdin (a device: d itself).
jget() {
	python3 -c "import json,sys; d=json.load(sys.stdin)
d=(d.get('devices') or [d])[0]; print($1)"
}

hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
got() { grep -cx "$(hex "$1")" "$tmp/backend" || true; }
got_any() { [ "$(got "$1")" -ge 1 ]; }
has() { [ -e "$1" ]; }
open_port() { topo_rtr ss -Hlun "sport = :7783" | grep -q 7783; }

# marker WORD: the meter (no credential) sends WORD and it arrives: what
# the lamp and the thief sent before it has been judged by then.
marker() {
	dev meter python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(sys.argv[1].encode(), ("198.18.1.1", 5683))' "$1"
	tap_wait 600 0.1 got_any "$1"
}

# lamp_send COUNTER MESSAGE
lamp_send() {
	dev lamp "$device" send --key "$tmp/lamp.key" --mode seal \
		--counter "$1" 198.18.1.1 5683 "$2" >/dev/null
}

tap_plan 18

topo_init
topo_add_device lamp 198.18.1.20
topo_add_device thief 198.18.1.21
topo_add_device meter 198.18.1.22
lamp_mac=$(dev lamp cat /sys/class/net/eth0/address)
ig device add 198.18.1.20 --mac "$lamp_mac" --name lamp
ig device add 198.18.1.22 --name meter
ig attach iot0 --mode native
backend
tap_wait 600 0.1 has "$tmp/backend.ready"

# /metrics's port taken by another program: the daemon goes on without.
# nsenter execs: $! is the program itself, which the cleanup kills (a
# shell's job would leave it holding the test's output open).
nsenter --net="/run/netns/$TOPO-rtr" python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 9488))
s.listen()
open(sys.argv[1], "w").close()
time.sleep(3600)' "$tmp/squatter.ready" >/dev/null 2>&1 &
pids+=($!)
tap_wait 600 0.1 has "$tmp/squatter.ready"
cat >"$tmp/iotguardd.conf" <<EOF
listen = 127.0.0.1:9488
enroll = 198.18.1.1:7783
state_dir = $tmp/state
EOF
mkdir -p "$tmp/state"
nsenter --net="/run/netns/$TOPO-rtr" "$iotguardd" \
	--config "$tmp/iotguardd.conf" --foreground >"$tmp/iotguardd.log" 2>&1 &
pids+=($!)
check "iotguardd answers on the enrollment port" tap_wait 600 0.2 open_port
check "with its /metrics port taken, logged, it goes on" \
	grep -q "Unable to listen on 127.0.0.1:9488" "$tmp/iotguardd.log"

code=$(ig device enroll 198.18.1.20 --ttl 10m --cred seal)
check "device enroll prints a one-time code" \
	grep -qE '^IGE1-[0-9a-f]{8}-[0-9a-f]{32}$' <<<"$code"

rc=0
dev lamp "$device" enroll --code "$code" --out "$tmp/lamp.key" 198.18.1.1 \
	>"$tmp/enroll.out" 2>&1 || rc=$?
check "the lamp enrolls with the code and keeps its key" \
	test "$rc" -eq 0 -a -s "$tmp/lamp.key"
show=$(ig -j device show 198.18.1.20)
check "the module holds a seal credential, its key not shown" \
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
d = (d.get("devices") or [d])[0]
key = open(sys.argv[2]).read().strip()
sys.exit(0 if d["cred"] == "seal" and key not in sys.argv[1] else 1)' \
	"$show" "$tmp/lamp.key"

lamp_send 0 "lux=312"
check "a sealed datagram reaches the backend as the lamp meant it" \
	tap_wait 600 0.1 got_any "lux=312"

# The same datagram again (counter 0), then a new one (counter 1).
lamp_send 0 "lux=312"
lamp_send 1 "lux=313"
tap_wait 600 0.1 got_any "lux=313"
same "a replayed datagram is dropped, the next one passes" "1 1" \
	"$(got "lux=312") $(got "lux=313")"
check "the replay is counted as replay" \
	tap_wait 600 0.1 at_least 1 devstat 198.18.1.20 replay

# The thief takes the lamp's address and MAC.
dev thief ip link set eth0 down
dev thief ip link set eth0 address "$lamp_mac"
dev thief ip addr flush dev eth0
dev thief ip addr add 198.18.1.20/24 dev eth0
dev thief ip link set eth0 up
dev thief python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"unlock", ("198.18.1.1", 5683))'
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/thief.key"
dev thief "$device" send --key "$tmp/thief.key" --mode seal --counter 9 \
	198.18.1.1 5683 "unlock2" >/dev/null
marker "after-thief"
same "the thief's datagrams, plain and with its own key, never arrive" \
	"0 0" "$(got unlock) $(got unlock2)"
check "both are counted as bad tags in the lamp's name" \
	at_least 2 devstat 198.18.1.20 bad_tag
dev thief ip link set eth0 down
forged_alert() { grep -q '"forged"' "$tmp/state/alerts.jsonl" 2>/dev/null; }
check "iotguardd alerts on the forgeries in the lamp's name" \
	tap_wait 1200 0.2 forged_alert
same "and leaves the lamp allowed: a forger cannot have it cut off" allow \
	"$(ig -j device show 198.18.1.20 | jget 'd["state"]')"

# A second device with the lamp's code: no welcome.
rc=0
dev meter "$device" enroll --code "$code" --out "$tmp/meter.key" \
	198.18.1.1 >"$tmp/reuse.out" 2>&1 || rc=$?
check "the code used once gets no second welcome" \
	test "$rc" -ne 0 -a ! -e "$tmp/meter.key"
check "the daemon logs the refusal with the module's reason" \
	grep -q "was used already" "$tmp/iotguardd.log"

ig device revoke 198.18.1.20
lamp_send 2 "lux=314"
marker "after-revoke"
same "after revoke the lamp's next datagram never arrives" "0" \
	"$(got "lux=314")"
check "it is counted as revoked" at_least 1 devstat 198.18.1.20 revoked
show=$(ig -j device show 198.18.1.20)
check "the device shows revoked, no key id" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
d = (d.get("devices") or [d])[0]
sys.exit(0 if d["revoked"] and d.get("key_id") is None else 1)' "$show"
all_reasons() {
	local r

	for r in bad_tag replay revoked; do
		at_least 1 gstat "$r" || return 1
	done
}
check "the global counters have each reason" all_reasons

tap_end
