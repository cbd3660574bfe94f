#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The iotguard demo: a street of a simulated city network (lamps, an air
# sensor, a parking sensor that takes its address from DHCP, a camera, a
# meter gone rogue, a stranger and an IP and ARP spoofer) behind a
# router whose device-facing port iot0 runs iotguard. Then the anomaly
# daemon iotguardd learns the street, lamp-2 is hijacked to flood the
# router with SYNs, and iotguardd detects, explains and quarantines it,
# live. Last, gauge-1 enrolls with a one-time code and sends sealed
# readings; a replay, a spoofer with its address and MAC, and the gauge
# itself once revoked are dropped. Then demo/fleet.sh: two streets under
# one city policy, an operator who logs in with two factors and revokes a
# stolen van on both routers at once. Needs root and a kernel that can
# load kmod/iotguard.ko: `make demo` runs it in the guest VM.
#
#  lamp-1 198.18.1.11   lamp-2 198.18.1.12   air-1 2001:2:0:1::21
#  cam-1  198.18.1.31   meter-1 198.18.1.41  stranger 198.18.1.99
#  park-1 (by MAC, DHCP from the router: 198.18.1.100-150)
#          all on a switch (bridge) ── uplink ── router iot0 (XDP)
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
TOPO=city
# shellcheck source=../tests/lib/topology.sh
. "$repo/tests/lib/topology.sh"
iotguard=$repo/build/iotguard
iotguardd=$repo/build/iotguardd
device=$repo/build/iotguard-device
traffic=$repo/tests/guest/traffic.py
secs=${DEMO_SECONDS:-8}
tmp=$(mktemp -d)
daemon_pid=

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
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! grep -qw '^iotguard' /proc/modules; then
	modprobe -q libchacha20poly1305 || true
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
topo_add_device park1 198.18.1.250
dev park1 ip -4 addr flush dev eth0	# it will ask DHCP

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
ig device add --mac "$(mac_of park1)" --name park-1 --class sensor --rate 10
ig status
ig device list

say "park-1, enrolled by MAC alone, asks the router's DHCP server for an address"
cat >"$tmp/udhcpd.conf" <<CONF
start 198.18.1.100
end 198.18.1.150
interface iot0
lease_file $tmp/udhcpd.leases
pidfile $tmp/udhcpd.pid
option subnet 255.255.255.0
option lease 3600
CONF
touch "$tmp/udhcpd.leases"
topo_exec "$TOPO-rtr" busybox udhcpd -f "$tmp/udhcpd.conf" >/dev/null 2>&1 &
udhcpd_pid=$!
cat >"$tmp/udhcpc.sh" <<'SCRIPT'
#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
ip -4 addr flush dev "$interface"
ip addr add "$ip/24" dev "$interface"
echo "park-1: DHCP gave me $ip for $lease s"
SCRIPT
chmod +x "$tmp/udhcpc.sh"
dev park1 busybox udhcpc -q -f -B -i eth0 -s "$tmp/udhcpc.sh" -t 20 -T 1 \
	2>/dev/null || echo "park-1: no lease"
park_addr=$(dev park1 ip -4 -o addr show dev eth0 | awk '{print $4}')
park_addr=${park_addr%/*}
echo "iotguard saw the server's ACK leave iot0 and bound it to park-1:"
ig device show "$(mac_of park1)"
# The lease outlasts the demo: the server may go (the waits below are for
# every job of this shell).
kill "$udhcpd_pid"
wait "$udhcpd_pid" 2>/dev/null || true

say "Traffic for ${secs}s: telemetry, a video stream, a meter flooding at 500/s,"
echo "a stranger knocking, and a spoofer using lamp-2's address from its own MAC"
topo_rtr python3 "$traffic" recv --bind 0.0.0.0 --duration $((secs + 2)) \
	--out /dev/null &
# The guard drops the stranger's ARP (it speaks for no enrolled address):
# it knows the router's MAC all the same, as an attacker would.
dev stranger ip neigh replace 198.18.1.1 dev eth0 nud permanent \
	lladdr "$(topo_exec "$TOPO-rtr" cat /sys/class/net/iot0/address)"
dev stranger ip addr add 198.18.1.12/32 dev eth0
send lamp1 198.18.1.1 5 "$secs"
send lamp2 198.18.1.1 5 "$secs"
send air1 2001:2:0:1::1 2 "$secs"
send cam1 198.18.1.1 200 "$secs" 1000
send meter1 198.18.1.1 500 "$secs"
[ -z "$park_addr" ] || send park1 198.18.1.1 2 "$secs"
send stranger 198.18.1.1 10 "$secs"
dev stranger python3 "$traffic" send --src 198.18.1.12 --dst 198.18.1.1 \
	--rate 10 --count $((secs * 10)) >/dev/null &
wait

say "iotguard stats: what the edge saw"
ig stats
say "iotguard unknown: who knocked without being enrolled"
ig unknown

say "An ARP spoofer claims lamp-2's address for its own MAC"
rtr_entry() { topo_exec "$TOPO-rtr" ip -4 neigh show 198.18.1.12 dev iot0; }
echo "router's entry for lamp-2 before: $(rtr_entry)"
dev stranger python3 "$repo/tests/lib/arpsend.py" eth0 --op reply \
	--sha "$(mac_of stranger)" --sip 198.18.1.12 --tip 198.18.1.1 \
	--count 3 >/dev/null
dev stranger python3 "$repo/tests/lib/arpsend.py" eth0 \
	--sha "$(mac_of stranger)" --sip 198.18.1.12 --tip 198.18.1.12 \
	>/dev/null
echo "router's entry for lamp-2 after:  $(rtr_entry)"
echo "(lamp-2 is $(mac_of lamp2), the spoofer $(mac_of stranger))"
ig stats 198.18.1.12

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

say "Counters so far"
ig stats

# Realtime in tenths of seconds, without a process.
now_ds() {
	local t=${EPOCHREALTIME/,/.}

	echo $((10#${t%.*}${t#*.} / 100000))
}

say "iotguardd, the anomaly daemon, learns how the lamps and air-1 behave"
cat >"$tmp/iotguardd.conf" <<CONF
# learn for 10 s (a router would take 5 min), judge every 0.5 s
interval = 0.5
learn = 10
release_after = 600
state_dir = $tmp/state
listen = 127.0.0.1:9477
[class light]
policy = quarantine
CONF
sed 's/^/    /' "$tmp/iotguardd.conf"
learn=14
send lamp1 198.18.1.1 20 $((learn + 20))
send lamp2 198.18.1.1 20 $((learn + 20))
send air1 2001:2:0:1::1 4 $((learn + 20))
# Learning starts once they talk: quiet intervals first would teach a
# short baseline that they are erratic.
sleep 3
nsenter --net="/run/netns/$TOPO-rtr" "$iotguardd" --foreground \
	--config "$tmp/iotguardd.conf" 2>"$tmp/daemon.log" &
daemon_pid=$!
sleep "$learn"
ig device show 198.18.1.12

say "lamp-2 is hijacked: it floods the router with TCP SYNs (hping3)"
dev lamp2 hping3 -q -S -p 80 -i u1000 -c 4000 198.18.1.1 \
	>/dev/null 2>&1 &
hping_pid=$!
start=$(now_ds)
state=
while [ $(($(now_ds) - start)) -lt 150 ]; do
	if [ -s "$tmp/state/alerts.jsonl" ] &&
	   [[ $(<"$tmp/state/alerts.jsonl") == *'"name":"lamp-2"'*'"action":"quarantine"'* ]]; then
		state=quarantine
		break
	fi
	sleep 0.2
done
took=$(($(now_ds) - start))
if [ -n "$state" ]; then
	echo "iotguardd quarantined lamp-2 $((took / 10)).$((took % 10)) s after the flood began"
else
	echo "iotguardd did not quarantine lamp-2 within 15 s"
fi

say "iotguard alerts: what iotguardd saw, and why"
ig alerts -f "$tmp/state/alerts.jsonl"
say "iotguard device show lamp-2: held to 1 packet/s"
ig device show 198.18.1.12
wait "$hping_pid" || true

say "Final counters: lamp-2's flood dropped over its quarantine rate"
ig stats
kill "$daemon_pid" 2>/dev/null
wait "$daemon_pid" 2>/dev/null
daemon_pid=
echo
echo "iotguardd's log:"
sed 's/^/    /' "$tmp/daemon.log"

say "Device credentials: gauge-1 proves itself on every datagram"
echo "(Documentation/protocol.rst). The operator enrolls it and makes a"
echo "one-time code; the gauge presents it to iotguardd's enrollment port."
topo_add_device gauge1 198.18.1.51
ig device add 198.18.1.51 --name gauge-1 --class meter --mac "$(mac_of gauge1)"
cat >"$tmp/enroll.conf" <<CONF
listen = none
enroll = 198.18.1.1:7783
state_dir = $tmp/state2
CONF
mkdir -p "$tmp/state2"
nsenter --net="/run/netns/$TOPO-rtr" "$iotguardd" --foreground \
	--config "$tmp/enroll.conf" 2>"$tmp/enroll.log" &
daemon_pid=$!
until topo_rtr ss -Hlun "sport = :7783" | grep -q 7783; do sleep 0.2; done
code=$(ig device enroll 198.18.1.51 --ttl 10m --cred seal)
echo "iotguard device enroll 198.18.1.51 --ttl 10m --cred seal: $code"
dev gauge1 "$device" enroll --code "$code" --out "$tmp/gauge.key" 198.18.1.1
echo "gauge-1 holds its key; the kernel shows its id, never the key:"
ig device show 198.18.1.51
# The backend prints what reaches it.
nsenter --net="/run/netns/$TOPO-rtr" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.1.1", 5683))
while True:
    data, src = s.recvfrom(65536)
    print("    backend got from %s: %s" % (src[0], data.decode(errors="replace")),
          flush=True)' &
backend_pid=$!
sleep 0.5
gauge() {
	dev gauge1 "$device" send --key "$tmp/gauge.key" --mode seal \
		--counter "$1" 198.18.1.1 5683 "$2" >/dev/null
}
gauge 0 "flow=12.5 m3/h"
sleep 0.5

say "A replayer sends gauge-1's datagram again; a spoofer takes its address and MAC"
gauge 0 "flow=12.5 m3/h"
dev stranger ip link set eth0 down
dev stranger ip link set eth0 address "$(mac_of gauge1)"
dev stranger ip addr add 198.18.1.51/32 dev eth0
dev stranger ip link set eth0 up
dev stranger python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.1.51", 0))
s.sendto(b"flow=0 m3/h (forged)", ("198.18.1.1", 5683))'
dev stranger ip link set eth0 down
gauge 1 "flow=12.7 m3/h"
sleep 1
echo "The backend got gauge-1's two readings only. The edge's verdicts:"
ig stats 198.18.1.51

say "iotguard device revoke 198.18.1.51: the gauge was stolen"
ig device revoke 198.18.1.51
gauge 2 "flow=99 m3/h (stolen)"
sleep 1
ig stats 198.18.1.51
kill "$backend_pid" "$daemon_pid" 2>/dev/null
wait "$backend_pid" "$daemon_pid" 2>/dev/null || true
daemon_pid=
echo "iotguardd's enrollment log:"
sed 's/^/    /' "$tmp/enroll.log"

# The city of routers: its own streets, after this one.
bash "$repo/demo/fleet.sh"
