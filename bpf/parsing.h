/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bounds-checked header parsers for the iotguard XDP program.
 *
 * Each parser takes a cursor at the start of its header, checks the header
 * lies wholly before data_end, moves the cursor past it and returns what the
 * next parser needs (an ethertype or an IP protocol), or IOTG_MALFORMED.
 * Nothing is read before its bounds check, so that any frame, however
 * short or crafted, is safe to feed in.
 */
#ifndef IOTGUARD_BPF_PARSING_H
#define IOTGUARD_BPF_PARSING_H

#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Parsers return this for a truncated or inconsistent header. */
#define IOTG_MALFORMED		(-1)

#define IOTG_VLAN_MAX		2	/* 802.1Q and/or 802.1ad tags */
#define IOTG_IPV6_EXT_MAX	8	/* extension headers before giving up */

/*
 * Not in the UAPI headers usable here (linux/icmp.h pulls in libc's
 * socket headers, which do not build for the BPF target).
 */
struct iotg_icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 rest;
};

struct iotg_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct iotg_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;	/* offset in 8-byte units << 3, M flag in bit 0 */
	__be32 identification;
};

#define IOTG_IP_OFFMASK		0x1fff		/* IPv4 fragment offset */
#define IOTG_IP_MF		0x2000		/* IPv4 more fragments */
#define IOTG_IP6_OFFMASK	0xfff8		/* IPv6 fragment offset */

/*
 * Where the parse is: pos, and, once an IP header is parsed, the bytes
 * left of the IP packet from pos on (its length field says where it ends:
 * what follows is Ethernet padding, not headers). The checks against
 * data_end keep the verifier content; those against left, a scalar, keep
 * every header the packet carries inside it.
 */
struct hdr_cursor {
	void *pos;
	__u32 left;
};

/* Takes len bytes of the IP packet at the cursor; false if it has fewer. */
static __always_inline bool iotg_take(struct hdr_cursor *nh, __u32 len)
{
	if (len > nh->left)
		return false;
	nh->left -= len;
	return true;
}

/*
 * A 16-bit length field in host order, with bounds the verifier can see:
 * 6.1 forgets them across a byte swap (and clang drops a plain mask, as it
 * knows the swap's result fits), so the mask is applied behind a barrier.
 */
static __always_inline __u32 iotg_len16(__be16 field)
{
	__u32 len = bpf_ntohs(field);

	barrier_var(len);
	return len & 0xffff;
}

static __always_inline bool iotg_is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) ||
	       proto == bpf_htons(ETH_P_8021AD);
}

/*
 * Ethernet and up to IOTG_VLAN_MAX tags, in any order. Returns the ethertype
 * after the tags, in network byte order; with more tags than that, the last
 * TPID, which the caller sees as just another ethertype it does not handle.
 */
static __always_inline int parse_eth(struct hdr_cursor *nh, void *data_end,
				     struct ethhdr **ethp)
{
	struct ethhdr *eth = nh->pos;
	struct iotg_vlan_hdr *tag;
	__be16 proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return IOTG_MALFORMED;
	*ethp = eth;
	proto = eth->h_proto;
	tag = (void *)(eth + 1);

#pragma unroll
	for (i = 0; i < IOTG_VLAN_MAX; i++) {
		if (!iotg_is_vlan(proto))
			break;
		if ((void *)(tag + 1) > data_end)
			return IOTG_MALFORMED;
		proto = tag->encap_proto;
		tag++;
	}
	nh->pos = tag;
	return proto;
}

/*
 * IPv4 header including its options. The total length must cover the header
 * and fit in the frame (Ethernet padding may follow it). Returns the
 * protocol; *l4 says whether the L4 header follows, which it does only in a
 * first (or the only) fragment.
 */
static __always_inline int parse_ipv4(struct hdr_cursor *nh, void *data_end,
				      struct iphdr **iphp, bool *l4)
{
	struct iphdr *iph = nh->pos;
	__u32 hlen, tot_len;

	if ((void *)(iph + 1) > data_end)
		return IOTG_MALFORMED;
	if (iph->version != 4)
		return IOTG_MALFORMED;
	hlen = iph->ihl * 4;
	if (hlen < sizeof(*iph))
		return IOTG_MALFORMED;
	if (nh->pos + hlen > data_end)
		return IOTG_MALFORMED;
	tot_len = iotg_len16(iph->tot_len);
	if (tot_len < hlen || nh->pos + tot_len > data_end)
		return IOTG_MALFORMED;

	*iphp = iph;
	*l4 = !(iph->frag_off & bpf_htons(IOTG_IP_OFFMASK));
	nh->pos += hlen;
	nh->left = tot_len - hlen;
	return iph->protocol;
}

/*
 * The fixed IPv6 header; the payload length must fit in the frame. A
 * payload length of 0 (jumbogram) cannot: such frames do not fit in XDP.
 */
static __always_inline int parse_ipv6(struct hdr_cursor *nh, void *data_end,
				      struct ipv6hdr **ip6hp)
{
	struct ipv6hdr *ip6h = nh->pos;
	__u32 payload_len;

	if ((void *)(ip6h + 1) > data_end)
		return IOTG_MALFORMED;
	if (ip6h->version != 6)
		return IOTG_MALFORMED;
	payload_len = iotg_len16(ip6h->payload_len);
	if ((void *)(ip6h + 1) + payload_len > data_end)
		return IOTG_MALFORMED;

	*ip6hp = ip6h;
	nh->pos = ip6h + 1;
	nh->left = payload_len;
	return ip6h->nexthdr;
}

/*
 * Walks the IPv6 extension headers starting with next header nexthdr and
 * returns the upper-layer protocol. Hop-by-hop options are only valid first.
 * A chain longer than IOTG_IPV6_EXT_MAX, or one running past the frame, is
 * malformed. *l4 is cleared for a non-first fragment, which carries no
 * upper-layer header: the walk stops at its fragment header. *frag is set
 * when the chain holds a fragment header at all.
 */
static __always_inline bool iotg_ipv6_is_ext(int nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_AH ||
	       nexthdr == IPPROTO_FRAGMENT;
}

static __always_inline int parse_ipv6_ext(struct hdr_cursor *nh,
					  void *data_end, int nexthdr,
					  bool *l4, bool *frag)
{
	struct iotg_frag_hdr *fh;
	struct ipv6_opt_hdr *opt;
	__u32 len;
	int i;

	*l4 = true;
	*frag = false;

#pragma unroll
	for (i = 0; i < IOTG_IPV6_EXT_MAX; i++) {
		opt = nh->pos;
		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
			if (i)
				return IOTG_MALFORMED;
			/* fallthrough */
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if ((void *)(opt + 1) > data_end)
				return IOTG_MALFORMED;
			nexthdr = opt->nexthdr;
			len = (opt->hdrlen + 1) * 8;
			if (!iotg_take(nh, len))
				return IOTG_MALFORMED;
			nh->pos += len;
			break;
		case IPPROTO_AH:
			if ((void *)(opt + 1) > data_end)
				return IOTG_MALFORMED;
			nexthdr = opt->nexthdr;
			len = (opt->hdrlen + 2) * 4;
			if (!iotg_take(nh, len))
				return IOTG_MALFORMED;
			nh->pos += len;
			break;
		case IPPROTO_FRAGMENT:
			fh = nh->pos;
			if ((void *)(fh + 1) > data_end ||
			    !iotg_take(nh, sizeof(*fh)))
				return IOTG_MALFORMED;
			*frag = true;
			nexthdr = fh->nexthdr;
			nh->pos = fh + 1;
			if (fh->frag_off & bpf_htons(IOTG_IP6_OFFMASK)) {
				*l4 = false;
				return nexthdr;
			}
			break;
		default:
			return nexthdr;
		}
		/* The whole extension header, not just its first bytes. */
		if (nh->pos > data_end)
			return IOTG_MALFORMED;
	}
	return iotg_ipv6_is_ext(nexthdr) ? IOTG_MALFORMED : nexthdr;
}

static __always_inline int parse_udp(struct hdr_cursor *nh, void *data_end,
				     struct udphdr **udphp)
{
	struct udphdr *udph = nh->pos;

	if ((void *)(udph + 1) > data_end || !iotg_take(nh, sizeof(*udph)))
		return IOTG_MALFORMED;
	*udphp = udph;
	nh->pos = udph + 1;
	return 0;
}

/* TCP header with its options, as long as doff says. */
static __always_inline int parse_tcp(struct hdr_cursor *nh, void *data_end,
				     struct tcphdr **tcphp)
{
	struct tcphdr *tcph = nh->pos;
	__u32 hlen;

	if ((void *)(tcph + 1) > data_end)
		return IOTG_MALFORMED;
	hlen = tcph->doff * 4;
	if (hlen < sizeof(*tcph))
		return IOTG_MALFORMED;
	if (nh->pos + hlen > data_end || !iotg_take(nh, hlen))
		return IOTG_MALFORMED;
	*tcphp = tcph;
	nh->pos += hlen;
	return 0;
}

/* Returns the ICMP type. */
static __always_inline int parse_icmp(struct hdr_cursor *nh, void *data_end,
				      struct iotg_icmphdr **icmphp)
{
	struct iotg_icmphdr *icmph = nh->pos;

	if ((void *)(icmph + 1) > data_end || !iotg_take(nh, sizeof(*icmph)))
		return IOTG_MALFORMED;
	*icmphp = icmph;
	nh->pos = icmph + 1;
	return icmph->type;
}

/* Returns the ICMPv6 type. */
static __always_inline int parse_icmp6(struct hdr_cursor *nh, void *data_end,
				       struct icmp6hdr **icmp6hp)
{
	struct icmp6hdr *icmp6h = nh->pos;

	if ((void *)(icmp6h + 1) > data_end ||
	    !iotg_take(nh, sizeof(*icmp6h)))
		return IOTG_MALFORMED;
	*icmp6hp = icmp6h;
	nh->pos = icmp6h + 1;
	return icmp6h->icmp6_type;
}

/* What the parser saw of a frame beyond its sender. */
struct iotg_flow {
	__u64 daddr[2];		/* destination; IPv4 in the first 4 bytes */
	__be16 dport;		/* TCP or UDP destination port */
	__u8 l4proto;		/* of a parsed L4 header; 0: none (fragment) */
	__u8 tcp_flags;		/* byte 13 of the TCP header */
	__u8 ndp_unicast;	/* NDP to daddr, unicast: the router's? */
	__u8 ndp_dad;		/* DAD of a global address (in the key) */
	__u8 arp_request;	/* an ARP request (in the key's name) */
	__u8 pad;
	__be16 sport;		/* UDP source port */
	__u16 l3_off;		/* IP header, from the frame's start */
	__u16 l4_off;		/* UDP header: where a credential's trailer is */
};

static __always_inline void iotg_flow_udp(struct iotg_flow *fl,
					  const struct udphdr *udph)
{
	fl->l4proto = IPPROTO_UDP;
	fl->dport = udph->dest;
	fl->sport = udph->source;
}

static __always_inline void iotg_flow_tcp(struct iotg_flow *fl,
					  const struct tcphdr *tcph)
{
	fl->l4proto = IPPROTO_TCP;
	fl->dport = tcph->dest;
	fl->tcp_flags = ((const __u8 *)tcph)[13];
}

#endif /* IOTGUARD_BPF_PARSING_H */
