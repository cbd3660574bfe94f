#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iotguardd as a service. Its systemd watchdog has a timer of its own:
# with an interval of 10 s and a watchdog of 1 s (WATCHDOG_USEC, as systemd
# sets it), the daemon must ping WATCHDOG=1 several times before its first
# interval ends (its first STATUS=), and never only with its status. A
# listener on the notification socket (NOTIFY_SOCKET) records what the
# daemon sends, in order; the test judges by that order, not by time.
# A netlink message sent to the daemon's sockets by a process, not the
# kernel, is ignored and counted (iotguard_daemon_foreign_events_total).
# Runs in the guest, as root, with iotguard.ko loaded. Prints TAP.
#
#  rtr: iotguardd ── NOTIFY_SOCKET ── notify listener (python3)
#                 └─ netlink ports ── a forger (python3)

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
TOPO=igw$$
# shellcheck source=../lib/topology.sh
. "$repo/tests/lib/topology.sh"
# shellcheck source=../lib/daemon.sh
. "$repo/tests/lib/daemon.sh"

# The datagrams sent to the socket $1, one line each (newlines as |),
# until one has STOPPING=1.
listener() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "w", buffering=1) as out:
    while True:
        msg = s.recv(4096).decode(errors="replace")
        out.write(msg.replace("\n", "|") + "\n")
        if "STOPPING=1" in msg:
            break' "$1" "$2"
}

# forge PID: a netlink message (a generic netlink header, command 3, type
# 0x20) to every generic netlink socket of process PID in the router's
# namespace; prints how many it reached.
forge() {
	topo_rtr python3 -c '
import os, socket, struct, sys
pid = sys.argv[1]
inodes = {os.readlink("/proc/%s/fd/%s" % (pid, fd))[8:-1]
          for fd in os.listdir("/proc/%s/fd" % pid)
          if os.readlink("/proc/%s/fd/%s" % (pid, fd)).startswith("socket:[")}
ports = [int(f[2]) for f in (l.split() for l in open("/proc/net/netlink"))
         if f[0] != "sk" and f[-1] in inodes and f[1] == "16"]
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
msg = struct.pack("=IHHII", 20, 0x20, 0, 0xdeadbeef, 0) + \
    struct.pack("=BBH", 3, 1, 0)
n = 0
for port in ports:
    try:
        s.sendto(msg, (port, 0))
        n += 1
    except OSError:
        pass
print(n)' "$1"
}

# foreign_seen: /metrics counts a foreign event.
foreign_seen() {
	local n

	n=$(metric iotguard_daemon_foreign_events_total) && [ "$n" -ge 1 ]
}

# status_seen: the daemon sent its first STATUS= (its first interval).
status_seen() {
	grep -q 'STATUS=' "$tmp/notify.log" 2>/dev/null
}

tap_plan 8
check "a namespace for the router" topo_add_ns "$TOPO-rtr"
cat >"$tmp/iotguardd.conf" <<CONF
interval = 10
listen = 127.0.0.1:$metrics_port
state_dir = $tmp/state
CONF

listener "$tmp/notify.sock" "$tmp/notify.log" &
track $!
check "the notification socket is bound" \
	tap_wait 300 0.1 test -S "$tmp/notify.sock"
# nsenter execs the daemon: $! is the daemon's own pid.
NOTIFY_SOCKET=$tmp/notify.sock WATCHDOG_USEC=1000000 \
	nsenter --net="/run/netns/$TOPO-rtr" "$iotguardd" --foreground \
	--config "$tmp/iotguardd.conf" >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!
track "$daemon_pid"
# Safety net only: 10 s an interval, 20 times over.
tap_wait 2000 0.1 status_seen || true
pings=$(sed -n '/STATUS=/q;p' "$tmp/notify.log" | grep -c '^WATCHDOG=1$' ||
	true)
expect "3 or more watchdog pings before the first interval's status ($pings)" \
	"${pings:-0} >= 3"
check "READY=1 before them" test "$(sed -n 1p "$tmp/notify.log")" = READY=1
check "the status carries no ping of its own" \
	test -z "$(grep 'STATUS=' "$tmp/notify.log" | grep WATCHDOG)"

check "iotguardd answers on /metrics" wait_listening
reached=$(forge "$daemon_pid")
expect "a forged message reached the daemon's netlink sockets (${reached:-0})" \
	"${reached:-0} >= 1"
# Read as they come; the wait is a safety net.
tap_wait 600 0.1 foreign_seen || true
forged=$(metric iotguard_daemon_foreign_events_total)
expect "... ignored and counted: $forged foreign events" \
	"${forged:-0} >= 1 and $(kill -0 "$daemon_pid" 2>/dev/null && echo 1 || echo 0) == 1"
st=0
stop "$daemon_pid" || st=$?
if [ "$failed" -gt 0 ]; then
	sed 's/^/# notify: /' "$tmp/notify.log" | head -20
	sed 's/^/# daemon: /' "$tmp/daemon.log" | tail -20
fi
tap_end
