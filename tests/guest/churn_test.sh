#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load with churn: live frames flood a veth into the XDP program while
# devices are enrolled, changed and deleted (`bench churn`: each device
# once, a window of 1024 enrolled at a time). Every frame the veth delivered
# must be counted exactly once in the program's per-CPU counters, and no
# frame sent after its device's delete returned may pass: the sender tags
# each frame with what it knew of the device (the first payload byte), and
# an nftables counter behind the program counts the tagged frames that
# passed. The operations per second and frames per second are figures,
# printed, not judged. Runs in the guest, as root, with iotguard.ko loaded.
#
#  gen: g0 ── bench's live frames (XDP_TX) ──> dut: d0 (XDP: iotguard,
#                                                  then nft ingress counters)
#
# Environment: IOTGUARD_CHURN_OPS (operations, default 6000; `make stress`
# runs 120000), IOTGUARD_CHURN_FRAMES (frames per test_run, default 256;
# `make stress` runs 16384, the guest's highest rate: 28,000 frames/s).

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"

OPS=${IOTGUARD_CHURN_OPS:-6000}
FRAMES=${IOTGUARD_CHURN_FRAMES:-256}
BENCH=$repo/build/bench/bench
GEN=iotgc-gen$$
DUT=iotgc-dut$$
tmp=$(mktemp -d)

cleanup() {
	set +e
	ip netns del "$GEN" 2>/dev/null
	ip netns del "$DUT" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

in_ns() {
	local ns=$1

	shift
	ip netns exec "$ns" "$@"
}

# stat NS IF NAME: the sum of one per-queue veth statistic over its queues.
stat() {
	in_ns "$1" ethtool -S "$2" |
		awk -v n="$3" '$1 ~ "^(rx|tx)_queue_[0-9]+_" n ":$" { s += $2 }
			END { print s + 0 }'
}

# nft_count NAME: packets of a named counter of table netdev churn.
nft_count() {
	in_ns "$DUT" nft list counter netdev churn "$1" |
		awk '$1 == "packets" { print $2 }'
}

# field NAME: one number from bench's JSON line.
field() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$tmp/churn.json" "$1"
}

tap_plan 8

ip netns add "$GEN"
ip netns add "$DUT"
ip link add g0 netns "$GEN" type veth peer name d0 netns "$DUT"
for ns in "$GEN" "$DUT"; do
	# No router solicitations or MLD reports among the counted frames.
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	in_ns "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
in_ns "$GEN" ip link set dev g0 up
in_ns "$DUT" ip link set dev d0 up

modprobe -q nf_tables 2>/dev/null || true
in_ns "$DUT" nft -f - <<'EOF'
table netdev churn {
	counter passed { }
	counter passed_deleted { }
	counter passed_enrolled { }
	chain ingress {
		type filter hook ingress device "d0" priority filter; policy accept;
		counter name "passed"
		meta l4proto udp @th,64,8 1 counter name "passed_deleted"
		meta l4proto udp @th,64,8 2 counter name "passed_enrolled"
	}
}
EOF

if "$BENCH" churn --netns "/run/netns/$DUT" --ifname d0 \
	--gen-netns "/run/netns/$GEN" --gen-if g0 --set "$OPS" \
	--count "$FRAMES" >"$tmp/churn.json" 2>"$tmp/churn.err"; then
	ok "bench churn: $(field ops) operations on $(field devices) devices while $(field runs) runs of $FRAMES frames went out"
else
	sed 's/^/# /' "$tmp/churn.err"
	not_ok "bench churn ran"
fi
cat "$tmp/churn.json" | sed 's/^/# /'
echo "# figures: $(field ops_per_s) operations/s, $(field sent_pps) frames/s offered"

ops=$(field ops)
devs=$(field devices)
expect "every device enrolled, changed and deleted: $ops operations" \
	"$ops == 3 * $devs and $ops >= $OPS"

sent=$(field sent)
counted=$(field counted)
xmit=$(stat "$GEN" g0 xdp_xmit)
xmit_err=$(stat "$GEN" g0 xdp_xmit_errors)
judged=$(stat "$DUT" d0 xdp_packets)
echo "# sent $sent, into d0's rings $xmit, ring full $xmit_err, run through XDP on d0 $judged, counted $counted"
expect "every frame sent went into d0's ring or was refused there ($xmit + $xmit_err of $sent)" \
	"$xmit + $xmit_err == $sent"
expect "every frame in d0's ring ran through the program ($judged of $xmit)" \
	"$judged == $xmit"
expect "the per-CPU counters add up to the frames judged ($counted of $judged)" \
	"$counted == $judged and $counted > 0"

passed=$(nft_count passed)
pass=$(field pass)
neigh=$(field neigh)
expect "every frame the program passed reached the stack ($passed, counters $pass + $neigh)" \
	"$passed == $pass + $neigh and $passed > 0"

deleted_sent=$(field sent_tagged_deleted)
deleted_passed=$(nft_count passed_deleted)
expect "no frame sent after its device's delete returned passed ($deleted_passed of $deleted_sent)" \
	"$deleted_sent > 0 and $deleted_passed == 0"

enrolled_sent=$(field sent_tagged_enrolled)
enrolled_passed=$(nft_count passed_enrolled)
expect "frames of enrolled churn devices passed ($enrolled_passed of $enrolled_sent): the tags are read" \
	"$enrolled_passed > 0"

tap_end
