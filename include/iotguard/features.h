/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Per-device behaviour features collected by the XDP program for the anomaly
 * daemon (iotguardd): the map ABI between bpf/ and user/.
 *
 * Every frame the device offers is a feature of its behaviour: those that
 * passed the verdict and those held back (over its rate, in quarantine,
 * denied), so that an attack stays visible while it is stopped; never a
 * frame forged in its name (from another MAC than its bound one).
 *
 * ARP counts apart from the IP counters (packets, bytes and the rest are
 * IP only): the requests a device sends with its own address as the
 * sender, announcements and gratuitous ARP included, for a sweep of the
 * segment. A probe (sender 0.0.0.0) speaks for no device and is the
 * port's neighbour budget's; replies answer the router and say nothing.
 * ARP and NDP that speak for an address not the device's own (another
 * device's, or nobody's), sent from the device's MAC, count in
 * neigh_foreign: poisoning the router's neighbour cache. The program drops
 * them and finds the sender by its MAC (iotguard_xdp_lookup_mac()).
 */
#ifndef _IOTGUARD_FEATURES_H
#define _IOTGUARD_FEATURES_H

#include <linux/types.h>

#define IOTGUARD_MAP_FEATURES "iotguard_features"
#define IOTGUARD_MAP_DESTS "iotguard_dests"

/*
 * Distinct destination addresses and ports are estimated per epoch with
 * linear counting: a hash of each value sets one bit of a 256-bit sketch,
 * and n ≈ -m ln(zero bits / m). With m = 256 the standard error is under 5%
 * up to ~200 distinct values and the sketch saturates near 1400, which is
 * far beyond what a sensor talks to and well within what a scan touches.
 * Cost per frame: one multiply-shift hash and one OR per sketch.
 */
#define IOTGUARD_SKETCH_BITS 256
#define IOTGUARD_SKETCH_WORDS (IOTGUARD_SKETCH_BITS / 64)

/*
 * The sketch hash: multiply, xor-shift, multiply (the splitmix64 finaliser,
 * shortened), top 8 bits. Linear counting assumes random bit positions; a
 * bare multiply-shift spreads sequential values (a port scan) more evenly
 * than random and the estimate would come out high. The seed is
 * epoch * IOTGUARD_SKETCH_M1: it changes every epoch so that two
 * destinations that share a bit in one epoch (a new one hidden behind the
 * device's usual server) do not share it in the next. Here so that the
 * program and `iotguardd --replay' set the same bits.
 */
#define IOTGUARD_SKETCH_M1 0x9e3779b97f4a7c15ULL
#define IOTGUARD_SKETCH_M2 0xbf58476d1ce4e5b9ULL

static inline __u32 iotguard_sketch_bit(__u64 x, __u64 seed)
{
	x = (x ^ seed) * IOTGUARD_SKETCH_M1;
	x ^= x >> 32;
	x *= IOTGUARD_SKETCH_M2;
	return x >> (64 - 8);
}

/*
 * Epochs are (the program's clock, the one of last_seen_ns) >>
 * IOTGUARD_EPOCH_SHIFT: 2^30 ns, ~1.07 s. The clock is CLOCK_MONOTONIC (fine
 * or coarse: a daemon may use either, they differ by less than a tick); a
 * call for a second clock cost 15-20 ns a frame. The program keeps two
 * sketch slots, epoch & 1, and clears a slot when it first writes to it in a
 * new epoch; the daemon reads the slot of the previous epoch, which no
 * longer changes. Sketches are per CPU: OR the CPUs' slots of one epoch.
 */
#define IOTGUARD_EPOCH_SHIFT 30

/*
 * Windows of 2^6 epochs (~68.7 s) for a scan too slow for one epoch's
 * sketch (a few new ports a second, for minutes): a second pair of
 * sketches, by window & 1, whose epoch field holds the window number
 * (epoch >> IOTGUARD_WINDOW_SHIFT) and whose seed is window *
 * IOTGUARD_SKETCH_M1, so that a port seen in two epochs of a window sets
 * one bit. Their ports are those of connection attempts only (UDP, TCP
 * SYN without ACK): a server's replies to its clients' ephemeral ports are
 * no scan. The daemon reads the last complete window, once.
 */
#define IOTGUARD_WINDOW_SHIFT 6

/*
 * TCP flags no stack sends, the probes of OS fingerprinting and of null,
 * FIN and Xmas scans (nmap -O, -sN, -sF, -sX): none of FIN SYN RST PSH ACK
 * URG; SYN with FIN or RST; FIN, PSH or URG without ACK (and without RST,
 * which may answer a segment without one). flags is byte 13 of the TCP
 * header; ECE and CWR are not looked at. None of the corpus's 118 benign
 * device captures has such a segment; its OS fingerprinting capture has
 * 12 in 37 frames. Here so that the program and `iotguardd --replay' agree.
 */
static inline int iotguard_tcp_flags_odd(__u8 flags)
{
	return !(flags & 0x3f) || ((flags & 0x02) && (flags & 0x05)) ||
	       (!(flags & 0x14) && (flags & 0x29));
}

/* Frame size buckets: ≤64, ≤128, ≤256, ≤512, ≤1024, >1024 bytes. */
#define IOTGUARD_SIZE_BUCKETS 6

/* The bucket of a frame of len bytes (Ethernet header included), branchless. */
static inline __u32 iotguard_size_bucket(__u64 len)
{
	return (len > 64) + (len > 128) + (len > 256) + (len > 512) +
	       (len > 1024);
}

struct iotguard_sketch {
	__u64 epoch;
	__u64 dst_addr[IOTGUARD_SKETCH_WORDS];
	__u64 dst_port[IOTGUARD_SKETCH_WORDS];
};

/*
 * A frame in the window sketch w of window number window: its address
 * (the two words of it xored, as the epoch's sketch hashes it) and, for a
 * connection attempt (attempt: UDP, TCP SYN without ACK), its protocol and
 * port (dport as the frame carries it). Here so that the program and
 * `iotguardd --replay' fill it alike.
 */
static inline void iotguard_window_add(struct iotguard_sketch *w,
				       __u64 window, __u64 addr,
				       __u8 l4proto, __u16 dport, int attempt)
{
	__u64 seed = window * IOTGUARD_SKETCH_M1;
	__u32 bit;

	if (w->epoch != window) {
		__builtin_memset(w, 0, sizeof(*w));
		w->epoch = window;
	}
	if (attempt) {
		bit = iotguard_sketch_bit((__u64)l4proto << 16 | dport, seed);
		w->dst_port[bit >> 6] |= 1ULL << (bit & 63);
	}
	bit = iotguard_sketch_bit(addr, seed);
	w->dst_addr[bit >> 6] |= 1ULL << (bit & 63);
}

/*
 * Per-CPU hash keyed by device index (IOTGUARD_MAP_FEATURES), made as
 * IOTGUARD_MAP_DEVSTATS is (maps.h): an entry on the device's first frame
 * that passed, none for an index that sent nothing. Counters are
 * cumulative: the daemon takes differences between reads. As in maps.h, a
 * CPU's value whose cookie is not the device's belongs to an earlier holder
 * of the index: the program restarts it, readers skip it.
 */
struct iotguard_dev_features {
	__u64 packets;
	__u64 bytes;
	__u64 tcp_syn;		/* TCP SYN without ACK: connection attempts */
	__u64 icmp;		/* ICMP and ICMPv6 other than neighbour discovery */
	__u64 arp;		/* ARP requests in the device's own name */
	/* ARP and NDP from its MAC in another's name (dropped) */
	__u64 neigh_foreign;
	__u64 size_hist[IOTGUARD_SIZE_BUCKETS];
	__u64 last_seen_ns;	/* bpf_ktime_get_ns() of the last frame */
	__u32 cookie;
	/* TCP segments iotguard_tcp_flags_odd(): wraps, take differences mod 2^32 */
	__u32 tcp_odd;
	struct iotguard_sketch sketch[2];	/* by epoch & 1 */
	struct iotguard_sketch window[2];	/* by window & 1 */
};

/*
 * Recent destinations per device (IOTGUARD_MAP_DESTS, an LRU hash of
 * IOTGUARD_DESTS_MAX entries): for "talks to somewhere new". To stay cheap,
 * the program only touches it when a destination sets a new bit of the
 * current epoch's address sketch, so a device talking to one server costs
 * one update per epoch.
 */
#define IOTGUARD_DESTS_MAX 65536

struct iotguard_dest_key {
	__u32 index;
	__u32 cookie;
	__u8 addr[16];		/* IPv4 in the first 4 bytes */
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 pad[3];
};

struct iotguard_dest_val {
	__u64 first_ns;
	__u64 last_ns;
	__u64 epochs;		/* epochs in which it was (first) seen */
};

#endif /* _IOTGUARD_FEATURES_H */
