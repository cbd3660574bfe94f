// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard XDP program, attached to the device-facing ports of a router.
 *
 * Only enrolled devices may send: the program parses each frame down to its
 * source address, asks iotguard.ko (kfunc iotguard_xdp_lookup) what it knows
 * of the sender, and drops frames of unknown, denied and spoofing senders
 * and frames over the sender's rate (GCRA, shared across CPUs). ARP, NDP
 * and MLD are inspected (bpf/neigh.h), DHCP server messages from the
 * device side dropped, link control frames passed or dropped by the port's
 * policy. Every frame is counted under the reason for its verdict
 * (include/iotguard/maps.h); Documentation/iotguard.rst, "What passes and
 * why", has the table.
 */
#include "parsing.h"
#include "neigh.h"
#include "dhcp.h"
#include <linux/iotguard.h>
#include <iotguard/kfunc.h>
#include <iotguard/maps.h>
#include <iotguard/wire.h>
#include <iotguard/features.h>

/* No libc headers on the BPF side. */
#define IOTG_AF_INET	2
#define IOTG_AF_INET6	10
#define IOTG_AF_PACKET	17
#define IOTG_TC_ACT_OK	0
#define IOTG_ENOENT	2

#define IOTG_DHCP_SERVER_PORT		67
#define IOTG_DHCP_CLIENT_PORT		68
#define IOTG_DHCP6_CLIENT_PORT		546
#define IOTG_DHCP6_SERVER_PORT		547

/*
 * Compare-and-swap attempts on a rate state before giving up. Each failure
 * means another CPU charged a frame of the same device meanwhile.
 */
#define IOTG_CAS_TRIES		4

#define IOTG_READ_ONCE(x)	(*(volatile typeof(x) *)&(x))

/* Monitor mode: count every frame as usual but let all of them pass. */
const volatile bool monitor = false;

/* The port's policy for link control frames (IOTGUARD_R_LINK): pass them. */
const volatile bool link_frames = true;

/*
 * The port's neighbour budget: ARP and NDP of senders no device accounts
 * for (ARP probes, DAD, link-local sources, MLD), in frames per second and
 * frames back to back. 0 frames per second: no limit.
 */
const volatile __u32 neigh_pps = IOTGUARD_NEIGH_PPS;
const volatile __u32 neigh_burst = IOTGUARD_NEIGH_BURST;

/*
 * The program's clock is bpf_ktime_get_coarse_ns(): a read of the time of
 * the last timer tick, where bpf_ktime_get_ns() reads the clocksource (up
 * to ~20 ns with a TSC, several hundred with an emulated HPET). It lags the
 * true time by less than a tick and never runs backwards, so a GCRA fed
 * with it admits at the configured rate over any span longer than a tick;
 * within a tick, frames see the same time. A tolerance below one tick would
 * then admit only one burst per tick: the tolerance counts as at least a
 * tick. The loader sets the tick (clock_getres(CLOCK_MONOTONIC_COARSE));
 * 4 ms is Debian's HZ=250.
 */
const volatile __u64 clock_tick_ns = 4000000;

/* New unknown sources each CPU records per tick (include/iotguard/maps.h). */
const volatile __u32 unknown_new_per_tick = IOTGUARD_UNKNOWN_NEW_PER_TICK;

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IOTGUARD_R_MAX);
	__type(key, __u32);
	__type(value, struct iotguard_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} iotguard_global SEC(".maps");

/*
 * Loaders resize this, iotguard_features and iotguard_rate to the module's
 * max_devices. The per-CPU maps are hashes without preallocation: a
 * device's entry is made on its first counted frame (iotg_dev_entry()), so
 * their memory follows the devices that sent, not the slots.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct iotguard_dev_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} iotguard_devstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct iotguard_rate_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} iotguard_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IOTGUARD_UNKNOWN_MAX);
	__type(key, struct iotguard_unknown_key);
	__type(value, struct iotguard_unknown_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} iotguard_unknown SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IOTGUARD_UNKNOWN_CPU_SLOTS);
	__type(key, __u32);
	__type(value, struct iotguard_unknown_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} iotguard_unknown_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iotguard_unknown_budget);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} iotguard_unknown_budget SEC(".maps");

/* Behaviour features (bpf/features.h); made and sized as iotguard_devstats. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct iotguard_dev_features);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} iotguard_features SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IOTGUARD_DESTS_MAX);
	__type(key, struct iotguard_dest_key);
	__type(value, struct iotguard_dest_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} iotguard_dests SEC(".maps");

/*
 * The port's neighbour budget's GCRA state. Not pinned: each attach loads
 * its own program and so each port gets its own budget.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iotguard_rate_state);
} iotguard_port_neigh SEC(".maps");

/*
 * The first value of a device's entry in a per-device hash: zeros, on
 * every CPU (the kernel zeroes the other CPUs' values of an entry a
 * program makes). Cookie 0 is no device's, so the cookie check of the
 * counting function then starts this CPU's value as the device's.
 */
static const struct iotguard_dev_features iotg_zero_entry;

_Static_assert(sizeof(iotg_zero_entry) >= sizeof(struct iotguard_dev_stats),
	       "iotg_zero_entry is the first value of both hashes");

/*
 * The entry of device index idx in a per-device hash, made on its first
 * counted frame. NULL only if the kernel could not allocate it: the frame
 * then goes uncounted there (the global counters still have it).
 */
#define iotg_dev_entry(map, idx)					\
	({								\
		void *__e = bpf_map_lookup_elem(map, idx);		\
		if (!__e) {						\
			/* Another CPU may make it first: either is it. */ \
			bpf_map_update_elem(map, idx, &iotg_zero_entry,	\
					    BPF_NOEXIST);		\
			__e = bpf_map_lookup_elem(map, idx);		\
		}							\
		__e;							\
	})

#include "features.h"

/* bench/standin.bpf.c defines its own, for hosts without the module. */
#ifndef IOTGUARD_LOOKUP_STANDIN
extern int iotguard_xdp_lookup(struct xdp_md *ctx,
			       const struct iotguard_key *key, __u32 key__sz,
			       struct iotguard_verdict *verdict,
			       __u32 verdict__sz) __ksym;
extern int iotguard_xdp_lookup_mac(struct xdp_md *ctx, const __u8 *mac,
				   __u32 mac__sz,
				   struct iotguard_verdict *verdict,
				   __u32 verdict__sz) __ksym;
extern int iotguard_xdp_lease_end(struct xdp_md *ctx,
				  const struct iotguard_lease_msg *msg,
				  __u32 msg__sz) __ksym;
extern int iotguard_skb_lease_begin(struct __sk_buff *skb,
				    const struct iotguard_lease_msg *msg,
				    __u32 msg__sz) __ksym;
extern int iotguard_xdp_local_addr(struct xdp_md *ctx, const __u8 *addr,
				   __u32 addr__sz) __ksym;
extern int iotguard_xdp_bind(struct xdp_md *ctx,
			     const struct iotguard_key *key,
			     __u32 key__sz) __ksym;
extern int iotguard_xdp_cred_open(struct xdp_md *ctx,
				  const struct iotguard_cred_req *req,
				  __u32 req__sz) __ksym;
#endif

/*
 * A DHCP client message (UDP 68 to 67) whose BOOTP header starts at bootp,
 * with left bytes of the IP packet from there on.
 * From 0.0.0.0, a request in the name of its client hardware address, when
 * that is the frame's source, speaks for the device enrolled by that MAC;
 * any other is judged by its source address as usual.
 */
static __always_inline void iotg_dhcp_client(void *bootp, __u32 left,
					     void *data, void *data_end,
					     const struct ethhdr *eth,
					     const struct iphdr *iph,
					     struct iotguard_key *key,
					     __u32 *dhcp, __u32 *dhcp_off)
{
	struct iotg_bootp *b = bootp;

	if ((void *)(b + 1) > data_end || left < sizeof(*b))
		return;
	*dhcp_off = (void *)b - data;
	if (iph->saddr) {
		*dhcp = IOTG_DHCP_BOUND;
		return;
	}
	if (b->op != IOTG_BOOTREQUEST || b->htype != 1 ||
	    b->hlen != ETH_ALEN || !iotg_mac_equal(b->chaddr, eth->h_source))
		return;
	*dhcp = IOTG_DHCP_UNBOUND;
	key->family = IOTG_AF_PACKET;
	/* So that the unknown sources show who asked. */
	__builtin_memcpy(key->addr, eth->h_source, ETH_ALEN);
}

/*
 * Parses the frame. Returns the reason when parsing alone decides the
 * verdict; IOTG_V_PORT for neighbour traffic held to the port's budget; or
 * IOTG_V_LOOKUP with *key filled in for the sender to look up. For ARP and
 * NDP, *neigh is then the reason to drop with if the lookup does not back
 * the frame (IOTGUARD_R_ARP or _NDP), and the key's address the one the
 * frame speaks for; for IP, *neigh is 0. *dhcp says what kind of DHCP
 * client message an IPv4 frame carries (its BOOTP header at *dhcp_off);
 * one from 0.0.0.0 in its own client hardware address's name gets the key
 * of the device enrolled by that MAC (AF_PACKET).
 */
static __always_inline __u32 iotg_parse(void *data, void *data_end,
					struct iotguard_key *key,
					struct iotg_flow *fl, __u32 *neigh,
					__u32 *dhcp, __u32 *dhcp_off)
{
	struct hdr_cursor nh = { .pos = data };
	struct icmp6hdr *icmp6h;
	struct ipv6hdr *ip6h;
	struct iotg_icmphdr *icmph;
	struct tcphdr *tcph;
	struct udphdr *udph;
	struct ethhdr *eth;
	struct iphdr *iph;
	int proto, l4proto;
	bool l4, frag;

	proto = parse_eth(&nh, data_end, &eth);
	if (proto < 0)
		return IOTGUARD_R_PARSE;
	__builtin_memcpy(key->mac, eth->h_source, ETH_ALEN);

	if (proto == bpf_htons(ETH_P_ARP)) {
		key->family = IOTG_AF_INET;
		*neigh = IOTGUARD_R_ARP;
		return iotg_arp(&nh, data_end, eth, key, fl);
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		l4proto = parse_ipv4(&nh, data_end, &iph, &l4);
		if (l4proto < 0)
			return IOTGUARD_R_PARSE;
		fl->l3_off = (void *)iph - data;
		if (l4) {
			switch (l4proto) {
			case IPPROTO_UDP:
				if (parse_udp(&nh, data_end, &udph) < 0)
					return IOTGUARD_R_PARSE;
				fl->l4_off = (void *)udph - data;
				if (udph->source ==
				    bpf_htons(IOTG_DHCP_SERVER_PORT) &&
				    udph->dest == bpf_htons(IOTG_DHCP_CLIENT_PORT))
					return IOTGUARD_R_DHCP_SERVER;
				if (udph->source ==
				    bpf_htons(IOTG_DHCP_CLIENT_PORT) &&
				    udph->dest == bpf_htons(IOTG_DHCP_SERVER_PORT))
					iotg_dhcp_client(udph + 1, nh.left,
							 data, data_end, eth,
							 iph, key, dhcp,
							 dhcp_off);
				iotg_flow_udp(fl, udph);
				break;
			case IPPROTO_TCP:
				if (parse_tcp(&nh, data_end, &tcph) < 0)
					return IOTGUARD_R_PARSE;
				iotg_flow_tcp(fl, tcph);
				break;
			case IPPROTO_ICMP:
				if (parse_icmp(&nh, data_end, &icmph) < 0)
					return IOTGUARD_R_PARSE;
				fl->l4proto = IPPROTO_ICMP;
				break;
			}
		}
		__builtin_memcpy(fl->daddr, &iph->daddr, sizeof(iph->daddr));
		if (*dhcp != IOTG_DHCP_UNBOUND) {
			key->family = IOTG_AF_INET;
			__builtin_memcpy(key->addr, &iph->saddr,
					 sizeof(iph->saddr));
		}
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		l4proto = parse_ipv6(&nh, data_end, &ip6h);
		if (l4proto < 0)
			return IOTGUARD_R_PARSE;
		fl->l3_off = (void *)ip6h - data;
		l4proto = parse_ipv6_ext(&nh, data_end, l4proto, &l4, &frag);
		if (l4proto < 0)
			return IOTGUARD_R_PARSE;
		if (l4) {
			switch (l4proto) {
			case IPPROTO_UDP:
				if (parse_udp(&nh, data_end, &udph) < 0)
					return IOTGUARD_R_PARSE;
				fl->l4_off = (void *)udph - data;
				if (udph->source ==
				    bpf_htons(IOTG_DHCP6_SERVER_PORT) &&
				    udph->dest ==
				    bpf_htons(IOTG_DHCP6_CLIENT_PORT))
					return IOTGUARD_R_DHCP_SERVER;
				iotg_flow_udp(fl, udph);
				break;
			case IPPROTO_TCP:
				if (parse_tcp(&nh, data_end, &tcph) < 0)
					return IOTGUARD_R_PARSE;
				iotg_flow_tcp(fl, tcph);
				break;
			case IPPROTO_ICMPV6:
				l4proto = parse_icmp6(&nh, data_end, &icmp6h);
				if (l4proto < 0)
					return IOTGUARD_R_PARSE;
				key->family = IOTG_AF_INET6;
				if ((l4proto >= IOTG_MLD_QUERY &&
				     l4proto <= IOTG_MLD_DONE) ||
				    l4proto == IOTG_MLD2_REPORT)
					return iotg_mld(ip6h, l4proto, frag);
				if (l4proto >= IOTG_NDISC_RS &&
				    l4proto <= IOTG_NDISC_REDIRECT) {
					*neigh = IOTGUARD_R_NDP;
					return iotg_ndp(ip6h, icmp6h, data_end,
							nh.left, frag, eth,
							key, fl);
				}
				fl->l4proto = IPPROTO_ICMPV6;
				break;
			}
		}
		__builtin_memcpy(fl->daddr, &ip6h->daddr, sizeof(ip6h->daddr));
		key->family = IOTG_AF_INET6;
		__builtin_memcpy(key->addr, &ip6h->saddr, sizeof(ip6h->saddr));
	} else {
		/*
		 * A tag still after IOTG_VLAN_MAX: three or more tags, which
		 * no link control frame has; whatever the destination (an
		 * IP packet inside would otherwise pass as a link frame).
		 */
		return !iotg_is_vlan(proto) && iotg_link_frame(eth, proto) ?
		       IOTGUARD_R_LINK : IOTGUARD_R_NON_IP;
	}
	return IOTG_V_LOOKUP;
}

/*
 * A device that passed sends a DHCP message from its address: a RELEASE
 * in its own name ends its lease.
 */
static __always_inline void iotg_dhcp_release(struct xdp_md *ctx, __u32 off,
					      const struct iotguard_key *key)
{
	struct iotguard_lease_msg msg = {};
	struct iotg_dhcp_opts opts;
	struct iotg_bootp bootp;

	if (iotg_dhcp_read(ctx, true, off, &bootp, &opts) ||
	    bootp.op != IOTG_BOOTREQUEST || opts.type != IOTG_DHCPRELEASE ||
	    !iotg_mac_equal(bootp.chaddr, key->mac))
		return;
	__builtin_memcpy(msg.mac, bootp.chaddr, ETH_ALEN);
	msg.addr = bootp.ciaddr;
	iotguard_xdp_lease_end(ctx, &msg, sizeof(msg));
}

/* May this CPU add one more source to the LRU? Else counts add's frames. */
static __always_inline bool
iotg_unknown_budget(const struct iotguard_unknown_val *add, __u64 now)
{
	struct iotguard_unknown_budget *b;
	__u32 zero = 0;

	b = bpf_map_lookup_elem(&iotguard_unknown_budget, &zero);
	if (!b)
		return false;
	/* The coarse clock moves by ticks: a new time is a new tick. */
	if (b->tick_ns != now) {
		b->tick_ns = now;
		b->left = unknown_new_per_tick;
	}
	if (b->left) {
		b->left--;
		return true;
	}
	b->unrecorded += add->packets;
	return false;
}

/* Adds frames counted elsewhere to a source's LRU entry. */
static __always_inline void
iotg_unknown_fold(const struct iotguard_unknown_key *ukey,
		  const struct iotguard_unknown_val *add, __u64 now)
{
	struct iotguard_unknown_val *val;

	val = bpf_map_lookup_elem(&iotguard_unknown, ukey);
	if (!val) {
		if (!iotg_unknown_budget(add, now))
			return;
		if (!bpf_map_update_elem(&iotguard_unknown, ukey, add,
					 BPF_NOEXIST))
			return;
		/* Another CPU inserted it first: count on its entry. */
		val = bpf_map_lookup_elem(&iotguard_unknown, ukey);
		if (!val)
			return;
	}
	if (add->last_ns >= val->last_ns) {
		val->last_ns = add->last_ns;
		__builtin_memcpy(val->mac, add->mac, ETH_ALEN);
	}
	__sync_fetch_and_add(&val->packets, add->packets);
}

/*
 * Remembers an unknown sender, for the operator to enroll or investigate.
 * Counted in this CPU's cache slot of the source (struct
 * iotguard_unknown_slot): a flood from one source then costs an array
 * lookup and a compare per frame, not a shared hash lookup and an atomic.
 */
static __always_inline void iotg_record_unknown(const struct iotguard_key *key,
						__u64 now)
{
	struct iotguard_unknown_slot *slot;
	__u32 w[4], held[4], hash;

	__builtin_memcpy(w, key->addr, sizeof(w));
	hash = (w[0] ^ w[1] ^ w[2] ^ w[3] ^ key->family) * 0x9e3779b1U;
	hash >>= 32 - __builtin_ctz(IOTGUARD_UNKNOWN_CPU_SLOTS);
	slot = bpf_map_lookup_elem(&iotguard_unknown_cpu, &hash);
	if (!slot)
		return;

	__builtin_memcpy(held, slot->key.addr, sizeof(held));
	if (slot->val.packets && held[0] == w[0] && held[1] == w[1] &&
	    held[2] == w[2] && held[3] == w[3] &&
	    slot->key.family == key->family) {
		slot->val.packets++;
		slot->val.last_ns = now;
		__builtin_memcpy(slot->val.mac, key->mac, ETH_ALEN);
		return;
	}

	/* The slot's source makes way: its frames go to the LRU. */
	if (slot->val.packets)
		iotg_unknown_fold(&slot->key, &slot->val, now);
	__builtin_memcpy(slot->key.addr, key->addr, sizeof(w));
	slot->key.family = key->family;
	slot->val.first_ns = now;
	slot->val.last_ns = now;
	slot->val.packets = 1;
	__builtin_memcpy(slot->val.mac, key->mac, ETH_ALEN);
}

/* Would a frame costing cost conform, given the current TAT? */
static __always_inline bool iotg_gcra_conforms(__u64 tat, __u64 now,
					       __u64 cost, __u64 tolerance)
{
	__u64 tat_eff = tat > now ? tat : now;

	return tat_eff + cost - now <= tolerance;
}

/*
 * Charges a frame to a GCRA: advances *tatp by cost if the frame conforms.
 * Lock-free; a CAS lost to another CPU is retried with the TAT that CPU
 * left. After IOTG_CAS_TRIES lost races the frame is refused as
 * IOTGUARD_R_CONTENDED, not as over its rate: the device is sending on
 * several CPUs at once, and refusing can only keep it below its rate,
 * never above.
 */
static __always_inline __u32 iotg_gcra_charge(__u64 *tatp, __u64 now,
					      __u64 cost, __u64 tolerance)
{
	__u64 tat, tat_eff;
	int i;

#pragma unroll
	for (i = 0; i < IOTG_CAS_TRIES; i++) {
		tat = IOTG_READ_ONCE(*tatp);
		tat_eff = tat > now ? tat : now;
		if (tat_eff + cost - now > tolerance)
			return IOTGUARD_R_RATE;
		if (__sync_val_compare_and_swap(tatp, tat, tat_eff + cost) == tat)
			return IOTGUARD_R_PASS;
	}
	return IOTGUARD_R_CONTENDED;
}

/* Who a rate state is for: struct iotguard_rate_state's cookie, rate_seq. */
struct iotg_rate_owner {
	__u32 cookie;
	__u32 rate_seq;
};

/*
 * Starts rs afresh, from a full burst, when a new device holds its index
 * or the device's state or rates changed (a released device must not pay
 * for what it sent in quarantine). The owner is swapped as one word, so
 * that only one CPU resets; a frame another CPU charged in between may be
 * forgotten.
 */
static __always_inline void iotg_rate_own(struct iotguard_rate_state *rs,
					  const struct iotguard_verdict *v)
{
	struct iotg_rate_owner want = {
		.cookie = v->cookie,
		.rate_seq = v->rate_seq,
	};
	__u64 *ownp = (__u64 *)&rs->cookie;
	__u64 want_word, held;

	__builtin_memcpy(&want_word, &want, sizeof(want_word));
	held = IOTG_READ_ONCE(*ownp);
	if (held != want_word &&
	    __sync_val_compare_and_swap(ownp, held, want_word) == held) {
		rs->pkt_tat = 0;
		rs->byte_tat = 0;
	}
}

/*
 * Charges a frame to the device's rates. Returns IOTGUARD_R_PASS, _RATE
 * or _CONTENDED.
 */
static __always_inline __u32 iotg_rate(const struct iotguard_verdict *v,
				       __u64 len, __u64 now)
{
	struct iotguard_rate_state *rs;
	__u64 pkt_tol = v->pkt_tolerance_ns, byte_tol = v->byte_tolerance_ns;
	__u64 byte_cost = 0;
	__u32 idx = v->index;
	__u32 ret;

	if (!v->pkt_interval_ns && !v->byte_cost_fp)
		return IOTGUARD_R_PASS;

	rs = bpf_map_lookup_elem(&iotguard_rate, &idx);
	if (!rs)
		/* Map smaller than max_devices: fail closed, not open. */
		return IOTGUARD_R_RATE;
	iotg_rate_own(rs, v);

	/* See clock_tick_ns. */
	if (pkt_tol < clock_tick_ns)
		pkt_tol = clock_tick_ns;
	if (byte_tol < clock_tick_ns)
		byte_tol = clock_tick_ns;

	if (v->byte_cost_fp) {
		byte_cost = (len * v->byte_cost_fp) >> IOTGUARD_BYTE_COST_SHIFT;
		/*
		 * Look at the byte limit before charging the packet limit, so
		 * that a frame dropped for its size costs no packet credit.
		 */
		if (!iotg_gcra_conforms(IOTG_READ_ONCE(rs->byte_tat), now,
					byte_cost, byte_tol))
			return IOTGUARD_R_RATE;
	}
	if (v->pkt_interval_ns) {
		ret = iotg_gcra_charge(&rs->pkt_tat, now, v->pkt_interval_ns,
				       pkt_tol);
		if (ret != IOTGUARD_R_PASS)
			return ret;
	}
	/* Fails only if other CPUs used the byte credit since the look. */
	if (v->byte_cost_fp)
		return iotg_gcra_charge(&rs->byte_tat, now, byte_cost,
					byte_tol);
	return IOTGUARD_R_PASS;
}

/* The port's neighbour budget (neigh_pps, neigh_burst). */
static __always_inline __u32 iotg_port_neigh(__u64 now)
{
	struct iotguard_rate_state *rs;
	__u64 interval, tolerance;
	__u32 zero = 0, ret;

	if (!neigh_pps)
		return IOTGUARD_R_NEIGH;
	rs = bpf_map_lookup_elem(&iotguard_port_neigh, &zero);
	if (!rs)
		return IOTGUARD_R_NEIGH_RATE;
	interval = 1000000000ULL / neigh_pps;
	tolerance = interval * (neigh_burst ?: 1);
	if (tolerance < clock_tick_ns)
		tolerance = clock_tick_ns;
	ret = iotg_gcra_charge(&rs->pkt_tat, now, interval, tolerance);
	return ret == IOTGUARD_R_RATE ? IOTGUARD_R_NEIGH_RATE :
	       ret == IOTGUARD_R_PASS ? IOTGUARD_R_NEIGH : ret;
}

static __always_inline void iotg_count_dev(const struct iotguard_verdict *v,
					   __u32 reason, __u64 len, __u64 now)
{
	struct iotguard_dev_stats *ds;
	struct iotguard_counter *c;
	__u32 idx = v->index;

	ds = iotg_dev_entry(&iotguard_devstats, &idx);
	if (!ds)
		return;
	/* This CPU's entry still counts for an earlier holder of the index. */
	if (ds->cookie != v->cookie) {
		__builtin_memset(ds, 0, sizeof(*ds));
		ds->cookie = v->cookie;
	}

	switch (reason) {
	case IOTGUARD_R_PASS:
		c = &ds->pass;
		break;
	case IOTGUARD_R_DENIED:
		c = &ds->denied;
		break;
	case IOTGUARD_R_SPOOFED:
		c = &ds->spoofed;
		break;
	case IOTGUARD_R_BAD_TAG:
		c = &ds->bad_tag;
		break;
	case IOTGUARD_R_REPLAY:
		c = &ds->replay;
		break;
	case IOTGUARD_R_EXPIRED:
		c = &ds->expired;
		break;
	case IOTGUARD_R_REVOKED:
		c = &ds->revoked;
		break;
	default:
		c = &ds->rate;
		break;
	}
	c->packets++;
	c->bytes += len;
	ds->last_seen_ns = now;
}

static __always_inline void iotg_count(__u32 reason, __u64 len)
{
	struct iotguard_counter *c;

	c = bpf_map_lookup_elem(&iotguard_global, &reason);
	if (c) {
		c->packets++;
		c->bytes += len;
	}
}

/*
 * The verdict on ARP or NDP that speaks for an enrolled device's address:
 * the device must be let in and must send from its bound MAC (else the
 * frame is drop_reason's, a forgery). Its neighbour traffic is charged to
 * its rates like the rest of what it sends. The device's counters keep to
 * its IP traffic, but for what says most about it: neighbour frames denied
 * to it, and forged in its name. Its ARP requests, passed or held back,
 * are a feature of it (a sweep); forged ones are not.
 */
static __always_inline __u32
iotg_neigh_verdict(const struct iotguard_verdict *v, __u32 drop_reason,
		   const struct iotg_flow *fl, __u64 len, __u64 now)
{
	__u32 ret;

	if (fl->arp_request && !(v->flags & IOTGUARD_VERDICT_F_SPOOFED))
		iotg_features_arp(v, false);
	if (v->flags & IOTGUARD_VERDICT_F_REVOKED) {
		iotg_count_dev(v, IOTGUARD_R_REVOKED, len, now);
		return IOTGUARD_R_REVOKED;
	}
	if (v->state != IOTGUARD_STATE_ALLOW &&
	    v->state != IOTGUARD_STATE_QUARANTINE) {
		iotg_count_dev(v, IOTGUARD_R_DENIED, len, now);
		return IOTGUARD_R_DENIED;
	}
	if (v->flags & IOTGUARD_VERDICT_F_SPOOFED) {
		iotg_count_dev(v, IOTGUARD_R_SPOOFED, len, now);
		return drop_reason;
	}
	ret = iotg_rate(v, len, now);
	return ret == IOTGUARD_R_PASS ? IOTGUARD_R_NEIGH : ret;
}

/*
 * ARP or NDP in the name of an address that is not the sender's: another
 * device's, or for ARP nobody's (the router's own, the gateway a poisoner
 * claims to be). It is dropped in any case; if its Ethernet source is an
 * enrolled device's (enrolled by that MAC, or bound to it), it is that
 * device's behaviour and a feature of it. Not NDP for an address nobody
 * holds: a device enrolled by its IPv4 address configures SLAAC ones too.
 * Not IPv4 link-local (RFC 3927): a device without a lease announces one.
 */
static __always_inline bool iotg_ipv4_linklocal(const __u8 *addr)
{
	return addr[0] == 169 && addr[1] == 254;
}

static __always_inline void iotg_neigh_foreign(struct xdp_md *ctx,
					       void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iotguard_verdict v;

	if ((void *)(eth + 1) > data_end)
		return;
	__builtin_memset(&v, 0, sizeof(v));
	if (!iotguard_xdp_lookup_mac(ctx, eth->h_source, ETH_ALEN, &v,
				     sizeof(v)))
		iotg_features_arp(&v, true);
}

/*
 * A device with a credential, within its rate: its UDP datagrams must
 * carry a valid trailer (Documentation/protocol.rst), which the module
 * checks and the program then cuts off. Its DHCP client messages go as
 * they are (it needs an address before it proves anything); its other IP
 * traffic is refused: a trailer cannot ride on TCP segments.
 */
static __always_inline __u32 iotg_cred(struct xdp_md *ctx,
				       const struct iotguard_verdict *v,
				       const struct iotg_flow *fl, __u32 dhcp)
{
	struct iotguard_cred_req req;
	int ret;

	if (dhcp != IOTG_DHCP_NONE ||
	    (fl->l4proto == IPPROTO_UDP &&
	     fl->sport == bpf_htons(IOTG_DHCP6_CLIENT_PORT) &&
	     fl->dport == bpf_htons(IOTG_DHCP6_SERVER_PORT)))
		return IOTGUARD_R_PASS;
	if (fl->l4proto != IPPROTO_UDP)
		return IOTGUARD_R_BAD_TAG;

	req.index = v->index;
	req.cookie = v->cookie;
	req.l3_off = fl->l3_off;
	req.l4_off = fl->l4_off;
	ret = iotguard_xdp_cred_open(ctx, &req, sizeof(req));
	switch (ret) {
	case IOTGUARD_CRED_OK:
		/* The module shortened the headers: the frame follows. */
		if (bpf_xdp_adjust_tail(ctx, -IOTGUARD_WIRE_TRAILER_LEN))
			return IOTGUARD_R_BAD_TAG;
		return IOTGUARD_R_PASS;
	case IOTGUARD_CRED_REPLAY:
		return IOTGUARD_R_REPLAY;
	case IOTGUARD_CRED_EXPIRED:
		return IOTGUARD_R_EXPIRED;
	case IOTGUARD_CRED_REVOKED:
		return IOTGUARD_R_REVOKED;
	default:
		return IOTGUARD_R_BAD_TAG;
	}
}

SEC("xdp")
int iotguard_xdp(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct iotguard_verdict v;
	struct iotguard_key key;
	__u32 reason, neigh = 0, dhcp = IOTG_DHCP_NONE, dhcp_off = 0;
	struct iotg_flow fl;
	__u64 len, now;
	int err;

	/* A helper rather than data_end - data: that needs CAP_PERFMON. */
	len = bpf_xdp_get_buff_len(ctx);
	now = bpf_ktime_get_coarse_ns();	/* see clock_tick_ns */

	__builtin_memset(&key, 0, sizeof(key));
	__builtin_memset(&fl, 0, sizeof(fl));
	reason = iotg_parse(data, data_end, &key, &fl, &neigh, &dhcp,
			    &dhcp_off);
	/* NDP may go to a unicast address only if it goes no further. */
	if (fl.ndp_unicast &&
	    (reason == IOTG_V_PORT || reason == IOTG_V_LOOKUP) &&
	    iotguard_xdp_local_addr(ctx, (__u8 *)fl.daddr,
				    sizeof(fl.daddr)) != 1)
		reason = IOTGUARD_R_NDP;
	if (reason == IOTG_V_PORT) {
		reason = iotg_port_neigh(now);
		if (reason == IOTGUARD_R_NEIGH && fl.ndp_dad)
			iotguard_xdp_bind(ctx, &key, sizeof(key));
		goto out;
	}
	if (reason != IOTG_V_LOOKUP)
		goto out;

	__builtin_memset(&v, 0, sizeof(v));
	err = iotguard_xdp_lookup(ctx, &key, sizeof(key), &v, sizeof(v));
	/*
	 * NDP for an IPv6 address nobody holds: the device enrolled by the
	 * frame's MAC, if any, claims it first come, first served.
	 */
	if (err == -IOTG_ENOENT && neigh == IOTGUARD_R_NDP &&
	    !iotguard_xdp_bind(ctx, &key, sizeof(key)))
		err = iotguard_xdp_lookup(ctx, &key, sizeof(key), &v,
					  sizeof(v));
	if (err) {
		if (err == -IOTG_ENOENT)
			iotg_record_unknown(&key, now);
		reason = neigh ?: IOTGUARD_R_UNKNOWN;
		if (neigh == IOTGUARD_R_ARP && err == -IOTG_ENOENT &&
		    !iotg_ipv4_linklocal(key.addr))
			iotg_neigh_foreign(ctx, data, data_end);
		goto out;
	}
	if (neigh) {
		reason = iotg_neigh_verdict(&v, neigh, &fl, len, now);
		if (v.flags & IOTGUARD_VERDICT_F_SPOOFED)
			iotg_neigh_foreign(ctx, data, data_end);
		goto out;
	}

	if (v.flags & IOTGUARD_VERDICT_F_REVOKED)
		reason = IOTGUARD_R_REVOKED;
	else if (v.state != IOTGUARD_STATE_ALLOW &&
		 v.state != IOTGUARD_STATE_QUARANTINE)
		reason = IOTGUARD_R_DENIED;
	else if (v.flags & IOTGUARD_VERDICT_F_SPOOFED)
		reason = IOTGUARD_R_SPOOFED;
	else
		reason = iotg_rate(&v, len, now);
	/* The rate first: a flood of bogus trailers costs no more. */
	if (reason == IOTGUARD_R_PASS && (v.flags & IOTGUARD_VERDICT_F_CRED))
		reason = iotg_cred(ctx, &v, &fl, dhcp);
	iotg_count_dev(&v, reason, len, now);
	/*
	 * What the device offers, passed or held back (over its rate, in
	 * quarantine, denied), so that an attack stays visible to the scorer
	 * while it is stopped; never what is forged in its name. Asking for
	 * an address is setting up, not behaviour.
	 */
	if ((reason == IOTGUARD_R_PASS || reason == IOTGUARD_R_RATE ||
	     reason == IOTGUARD_R_DENIED) &&
	    !(v.flags & IOTGUARD_VERDICT_F_SPOOFED) &&
	    dhcp != IOTG_DHCP_UNBOUND)
		iotg_features(&v, &key, &fl, len, now);
	if (reason == IOTGUARD_R_PASS && dhcp == IOTG_DHCP_BOUND)
		iotg_dhcp_release(ctx, dhcp_off, &key);

out:
	iotg_count(reason, len);
	if (reason == IOTGUARD_R_PASS || reason == IOTGUARD_R_NEIGH ||
	    (reason == IOTGUARD_R_LINK && link_frames) || monitor)
		return XDP_PASS;
	return XDP_DROP;
}

/*
 * On the guarded port's egress: a DHCP ACK leaving towards a device begins
 * (or renews) the lease of the device enrolled by its client hardware
 * address. Never drops anything.
 */
SEC("tc")
int iotguard_tc_egress(struct __sk_buff *skb)
{
	struct iotguard_lease_msg msg = {};
	struct iotg_vlan_hdr tag;
	struct iotg_dhcp_opts opts;
	struct iotg_bootp bootp;
	struct udphdr udph;
	struct iphdr iph;
	__be16 proto;
	__u32 off;
	int i;

	if (bpf_skb_load_bytes(skb, offsetof(struct ethhdr, h_proto), &proto,
			       sizeof(proto)))
		return IOTG_TC_ACT_OK;
	off = sizeof(struct ethhdr);
#pragma unroll
	for (i = 0; i < IOTG_VLAN_MAX && iotg_is_vlan(proto); i++) {
		if (bpf_skb_load_bytes(skb, off, &tag, sizeof(tag)))
			return IOTG_TC_ACT_OK;
		proto = tag.encap_proto;
		off += sizeof(tag);
	}
	if (proto != bpf_htons(ETH_P_IP) ||
	    bpf_skb_load_bytes(skb, off, &iph, sizeof(iph)) ||
	    iph.protocol != IPPROTO_UDP || iph.ihl < 5 ||
	    (iph.frag_off & bpf_htons(IOTG_IP_OFFMASK | IOTG_IP_MF)))
		return IOTG_TC_ACT_OK;
	off += iph.ihl * 4;
	if (bpf_skb_load_bytes(skb, off, &udph, sizeof(udph)) ||
	    udph.source != bpf_htons(IOTG_DHCP_SERVER_PORT) ||
	    udph.dest != bpf_htons(IOTG_DHCP_CLIENT_PORT))
		return IOTG_TC_ACT_OK;
	off += sizeof(udph);

	if (iotg_dhcp_read(skb, false, off, &bootp, &opts) ||
	    bootp.op != IOTG_BOOTREPLY || opts.type != IOTG_DHCPACK ||
	    !bootp.yiaddr || !opts.lease)
		return IOTG_TC_ACT_OK;
	__builtin_memcpy(msg.mac, bootp.chaddr, ETH_ALEN);
	msg.addr = bootp.yiaddr;
	msg.seconds = opts.lease;
	iotguard_skb_lease_begin(skb, &msg, sizeof(msg));
	return IOTG_TC_ACT_OK;
}
