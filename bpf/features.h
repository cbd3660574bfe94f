/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-device behaviour features (include/iotguard/features.h), collected by
 * the iotguard XDP program for the frames a device offers: passed or held
 * back (rate, quarantine, deny), never forged in its name.
 *
 * iotguard.bpf.c includes this after defining the maps iotguard_features
 * and iotguard_dests, and iotg_dev_entry(). The parser fills a struct
 * iotg_flow as it goes (a few stores, on every path), and iotg_features()
 * turns it into per-CPU counters and sketches: no locks, no atomics on the
 * common path, and the shared destinations LRU only when a destination
 * sets a new sketch bit. ARP requests in a device's name count apart
 * (iotg_features_arp()), from the neighbour verdict.
 */
#ifndef IOTGUARD_BPF_FEATURES_H
#define IOTGUARD_BPF_FEATURES_H

#include <iotguard/features.h>

/* Off only to measure what the features cost (the bench). */
const volatile bool features = true;

/* log2 of the epoch length in ns: tests shorten it to see rotations. */
const volatile __u32 epoch_shift = IOTGUARD_EPOCH_SHIFT;

#define IOTG_TCP_FLAG_SYN	0x02
#define IOTG_TCP_FLAG_ACK	0x10

/* struct iotg_flow: bpf/parsing.h. */

/* include/iotguard/features.h; tests/guest/features_test.c has its own. */
_Static_assert(IOTGUARD_SKETCH_BITS == 256,
	       "iotguard_sketch_bit() returns 8 bits");

static __always_inline __u32 iotg_sketch_bit(__u64 x, __u64 seed)
{
	return iotguard_sketch_bit(x, seed);
}

static __always_inline __u32 iotg_size_bucket(__u64 len)
{
	return iotguard_size_bucket(len);
}

/*
 * A destination set a new bit of this CPU's sketch: the first frame to it in
 * this epoch on this CPU (or one sharing its bit), so at most a few updates
 * per destination and epoch. last_ns is therefore the start of the latest
 * epoch the destination was seen in, not its last frame.
 */
static __always_inline void iotg_dest_seen(const struct iotguard_verdict *v,
					   __u8 family,
					   const struct iotg_flow *fl,
					   __u64 epoch, __u64 now)
{
	struct iotguard_dest_val *val, init = {};
	struct iotguard_dest_key dkey = {};

	dkey.index = v->index;
	dkey.cookie = v->cookie;
	__builtin_memcpy(dkey.addr, fl->daddr, sizeof(dkey.addr));
	dkey.family = family;

	val = bpf_map_lookup_elem(&iotguard_dests, &dkey);
	if (!val) {
		init.first_ns = now;
		init.last_ns = now;
		init.epochs = 1;
		if (!bpf_map_update_elem(&iotguard_dests, &dkey, &init,
					 BPF_NOEXIST))
			return;
		/* Another CPU inserted it first. */
		val = bpf_map_lookup_elem(&iotguard_dests, &dkey);
		if (!val)
			return;
	}
	/* Other CPUs' sketches see it too: count its epoch once (mostly). */
	if (val->last_ns >> epoch_shift != epoch)
		__sync_fetch_and_add(&val->epochs, 1);
	val->last_ns = now;
}

/*
 * This CPU's entry of the device v (made on its first counted frame),
 * restarted if it still describes an earlier holder of the index; NULL
 * if the kernel could not make it.
 */
static __always_inline struct iotguard_dev_features *
iotg_features_entry(const struct iotguard_verdict *v)
{
	struct iotguard_dev_features *f;
	__u32 idx = v->index;

	f = iotg_dev_entry(&iotguard_features, &idx);
	if (f && f->cookie != v->cookie) {
		__builtin_memset(f, 0, sizeof(*f));
		f->cookie = v->cookie;
	}
	return f;
}

/*
 * An ARP request in the name of device v, from its own MAC; or (foreign)
 * ARP or NDP that device v sent in another's name: features of their own,
 * apart from the IP counters and the destination sketches.
 */
static __always_inline void iotg_features_arp(const struct iotguard_verdict *v,
					      bool foreign)
{
	struct iotguard_dev_features *f;

	if (!features)
		return;
	f = iotg_features_entry(v);
	if (!f)
		return;
	if (foreign)
		f->neigh_foreign++;
	else
		f->arp++;
}

/*
 * The window's sketches (IOTGUARD_WINDOW_SHIFT): every destination
 * address, and the ports of connection attempts: UDP, and TCP SYNs
 * without ACK. A server's replies go to its clients' ephemeral ports,
 * hundreds a minute for a busy one: no scan.
 */
static __always_inline void iotg_window(struct iotguard_dev_features *f,
					const struct iotg_flow *fl,
					__u64 window, bool attempt)
{
	iotguard_window_add(&f->window[window & 1], window,
			    fl->daddr[0] ^ fl->daddr[1], fl->l4proto,
			    fl->dport, attempt);
}

/* Features of an IP frame: v is its sender, now the program's clock. */
static __always_inline void iotg_features(const struct iotguard_verdict *v,
					  const struct iotguard_key *key,
					  const struct iotg_flow *fl,
					  __u64 len, __u64 now)
{
	struct iotguard_dev_features *f;
	struct iotguard_sketch *s;
	__u32 abit, pbit;
	__u64 epoch, seed, amask;
	bool syn;

	if (!features)
		return;
	f = iotg_features_entry(v);
	if (!f)
		return;

	f->packets++;
	f->bytes += len;
	f->last_seen_ns = now;
	f->size_hist[iotg_size_bucket(len)]++;
	syn = fl->l4proto == IPPROTO_TCP &&
	      (fl->tcp_flags & (IOTG_TCP_FLAG_SYN | IOTG_TCP_FLAG_ACK)) ==
	      IOTG_TCP_FLAG_SYN;
	/* A SYN with FIN or RST is both: an attempt, and odd. */
	if (fl->l4proto == IPPROTO_TCP && iotguard_tcp_flags_odd(fl->tcp_flags))
		f->tcp_odd++;
	if (syn)
		f->tcp_syn++;
	/* Neighbour discovery never gets here: it passes before the lookup. */
	else if (fl->l4proto == IPPROTO_ICMP || fl->l4proto == IPPROTO_ICMPV6)
		f->icmp++;

	/*
	 * The program's clock, read once per frame already: a call to
	 * bpf_ktime_get_coarse_ns() here cost 15-20 ns a frame on the 6.18
	 * host, more than all the rest of the features together.
	 */
	epoch = now >> epoch_shift;
	iotg_window(f, fl, epoch >> IOTGUARD_WINDOW_SHIFT,
		    syn || fl->l4proto == IPPROTO_UDP);
	s = &f->sketch[epoch & 1];
	if (s->epoch != epoch) {
		__builtin_memset(s, 0, sizeof(*s));
		s->epoch = epoch;
	}
	seed = epoch * IOTGUARD_SKETCH_M1;
	if (fl->l4proto == IPPROTO_TCP || fl->l4proto == IPPROTO_UDP) {
		/* TCP and UDP ports are different services. */
		pbit = iotg_sketch_bit((__u64)fl->l4proto << 16 | fl->dport,
				       seed);
		s->dst_port[pbit >> 6] |= 1ULL << (pbit & 63);
	}
	abit = iotg_sketch_bit(fl->daddr[0] ^ fl->daddr[1], seed);
	amask = 1ULL << (abit & 63);
	if (s->dst_addr[abit >> 6] & amask)
		return;
	s->dst_addr[abit >> 6] |= amask;
	iotg_dest_seen(v, key->family, fl, epoch, now);
}

#endif /* IOTGUARD_BPF_FEATURES_H */
