// SPDX-License-Identifier: GPL-2.0
/*
 * Captured frames, parsed as the XDP program parses them: the same
 * headers, the same limits and the same verdicts on malformed frames, so
 * that a replay counts what the program would count.
 */
#include <string.h>
#include <netinet/in.h>
#include "frame.h"

#define ETH_HLEN	14
#define SLL_HLEN	16
#define SLL2_HLEN	20
#define VLAN_HLEN	4
#define VLAN_MAX	2	/* IOTG_VLAN_MAX */
#define IPV6_EXT_MAX	8	/* IOTG_IPV6_EXT_MAX */
#define IP_OFFMASK	0x1fff
#define IP6_OFFMASK	0xfff8
#define NDISC_FIRST	133	/* router solicitation */
#define NDISC_LAST	137	/* redirect */

struct cursor {
	const uint8_t *data;
	uint32_t off;
	uint32_t caplen;
	uint32_t wirelen;
};

/* Whether n more bytes lie within the frame on the wire. */
static bool on_wire(const struct cursor *c, uint32_t n)
{
	return (uint64_t)c->off + n <= c->wirelen;
}

/* Whether n more bytes were captured. */
static bool captured(const struct cursor *c, uint32_t n)
{
	return (uint64_t)c->off + n <= c->caplen;
}

static uint16_t get16(const struct cursor *c, uint32_t at)
{
	return (uint16_t)(c->data[c->off + at] << 8 | c->data[c->off + at + 1]);
}

static bool is_vlan(uint16_t proto)
{
	return proto == 0x8100 || proto == 0x88a8;
}

/* The ethertype after up to VLAN_MAX tags; -1 malformed, -2 truncated. */
static int vlan_tags(struct cursor *c, uint16_t proto)
{
	int i;

	for (i = 0; i < VLAN_MAX && is_vlan(proto); i++) {
		if (!on_wire(c, VLAN_HLEN))
			return -1;
		if (!captured(c, VLAN_HLEN))
			return -2;
		proto = get16(c, 2);
		c->off += VLAN_HLEN;
	}
	return proto;
}

static bool ipv6_is_ext(int nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_AH ||
	       nexthdr == IPPROTO_FRAGMENT;
}

/*
 * The extension headers from nexthdr on: the upper-layer protocol, or -1
 * for a malformed chain. *l4 is cleared for a non-first fragment, *cut
 * set when the capture ends within the chain.
 */
static int ipv6_ext(struct cursor *c, int nexthdr, bool *l4, bool *cut)
{
	int i;

	*l4 = true;
	for (i = 0; i < IPV6_EXT_MAX; i++) {
		uint32_t len;

		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
			if (i)
				return -1;
			/* fallthrough */
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_AH:
			if (!on_wire(c, 2))
				return -1;
			if (!captured(c, 2)) {
				*cut = true;
				return nexthdr;
			}
			len = c->data[c->off + 1];
			len = nexthdr == IPPROTO_AH ? (len + 2) * 4 :
						      (len + 1) * 8;
			nexthdr = c->data[c->off];
			break;
		case IPPROTO_FRAGMENT:
			if (!on_wire(c, 8))
				return -1;
			if (!captured(c, 8)) {
				*cut = true;
				return nexthdr;
			}
			*l4 = !(get16(c, 2) & IP6_OFFMASK);
			nexthdr = c->data[c->off];
			c->off += 8;
			if (!*l4)
				return nexthdr;
			continue;
		default:
			return nexthdr;
		}
		/* The whole extension header, not just its first bytes. */
		if (!on_wire(c, len))
			return -1;
		c->off += len;
	}
	return ipv6_is_ext(nexthdr) ? -1 : nexthdr;
}

/* The L4 header of proto at c; a kind other than IP to give up. */
static enum iotguard_frame_kind l4(struct cursor *c, int proto,
				   struct iotguard_frame *out)
{
	uint32_t hlen;

	switch (proto) {
	case IPPROTO_UDP:
		if (!on_wire(c, 8))
			return IOTGUARD_FRAME_MALFORMED;
		if (!captured(c, 4)) {
			out->cut = true;
			break;
		}
		out->l4proto = IPPROTO_UDP;
		memcpy(&out->dport, c->data + c->off + 2, 2);
		break;
	case IPPROTO_TCP:
		if (!on_wire(c, 20))
			return IOTGUARD_FRAME_MALFORMED;
		if (!captured(c, 20)) {
			out->cut = true;
			break;
		}
		hlen = (c->data[c->off + 12] >> 4) * 4;
		if (hlen < 20 || !on_wire(c, hlen))
			return IOTGUARD_FRAME_MALFORMED;
		out->l4proto = IPPROTO_TCP;
		out->tcp_flags = c->data[c->off + 13];
		memcpy(&out->dport, c->data + c->off + 2, 2);
		break;
	case IPPROTO_ICMP:
		if (!on_wire(c, 8))
			return IOTGUARD_FRAME_MALFORMED;
		out->l4proto = IPPROTO_ICMP;
		break;
	case IPPROTO_ICMPV6:
		if (!on_wire(c, 8))
			return IOTGUARD_FRAME_MALFORMED;
		if (!captured(c, 1)) {
			out->cut = true;
			break;
		}
		/* Neighbour discovery passes before any device is looked up. */
		if (c->data[c->off] >= NDISC_FIRST &&
		    c->data[c->off] <= NDISC_LAST)
			return IOTGUARD_FRAME_OTHER;
		out->l4proto = IPPROTO_ICMPV6;
		break;
	}
	return IOTGUARD_FRAME_IP;
}

static enum iotguard_frame_kind ipv4(struct cursor *c,
				     struct iotguard_frame *out)
{
	uint32_t hlen, tot_len;
	bool first;
	int proto;

	if (!on_wire(c, 20))
		return IOTGUARD_FRAME_MALFORMED;
	if (!captured(c, 20))
		return IOTGUARD_FRAME_TRUNCATED;
	hlen = (c->data[c->off] & 0xf) * 4;
	tot_len = get16(c, 2);
	if (c->data[c->off] >> 4 != 4 || hlen < 20 || !on_wire(c, hlen) ||
	    tot_len < hlen || !on_wire(c, tot_len))
		return IOTGUARD_FRAME_MALFORMED;
	out->family = AF_INET;
	memcpy(out->src, c->data + c->off + 12, 4);
	memcpy(out->dst, c->data + c->off + 16, 4);
	first = !(get16(c, 6) & IP_OFFMASK);
	proto = c->data[c->off + 9];
	if (!captured(c, hlen)) {
		out->cut = true;
		return IOTGUARD_FRAME_IP;
	}
	c->off += hlen;
	return first ? l4(c, proto, out) : IOTGUARD_FRAME_IP;
}

static enum iotguard_frame_kind ipv6(struct cursor *c,
				     struct iotguard_frame *out)
{
	bool first, cut = false;
	int proto;

	if (!on_wire(c, 40))
		return IOTGUARD_FRAME_MALFORMED;
	if (!captured(c, 40))
		return IOTGUARD_FRAME_TRUNCATED;
	/* A payload length of 0 (jumbogram) cannot fit in XDP either. */
	if (c->data[c->off] >> 4 != 6 || !on_wire(c, 40 + get16(c, 4)))
		return IOTGUARD_FRAME_MALFORMED;
	out->family = AF_INET6;
	memcpy(out->src, c->data + c->off + 8, 16);
	memcpy(out->dst, c->data + c->off + 24, 16);
	proto = c->data[c->off + 6];
	c->off += 40;
	proto = ipv6_ext(c, proto, &first, &cut);
	if (proto < 0)
		return IOTGUARD_FRAME_MALFORMED;
	if (cut) {
		out->cut = true;
		return IOTGUARD_FRAME_IP;
	}
	return first ? l4(c, proto, out) : IOTGUARD_FRAME_IP;
}

/*
 * ARP as iotg_arp() (bpf/neigh.h) judges it: Ethernet and IPv4, a request
 * or a reply, its sender hardware address the frame's source (where the
 * link header has one). One from 0.0.0.0 (a probe) speaks for no device.
 */
static enum iotguard_frame_kind arp(struct cursor *c,
				    struct iotguard_frame *out)
{
	const uint8_t *a = c->data + c->off;
	uint16_t op;

	if (!on_wire(c, 28))
		return IOTGUARD_FRAME_MALFORMED;
	if (!captured(c, 28))
		return IOTGUARD_FRAME_TRUNCATED;
	op = get16(c, 6);
	if (get16(c, 0) != 1 || get16(c, 2) != 0x0800 || a[4] != 6 ||
	    a[5] != 4 || (op != 1 && op != 2) ||
	    (out->has_mac && memcmp(a + 8, out->mac, 6)) ||
	    !memcmp(a + 14, "\0\0\0\0", 4))
		return IOTGUARD_FRAME_OTHER;
	out->family = AF_INET;
	memcpy(out->src, a + 14, 4);
	out->arp_request = op == 1;
	return IOTGUARD_FRAME_ARP;
}

/*
 * The sender's MAC, where the link header holds one: Ethernet's source;
 * a cooked header's address when its length is 6 (SLL: a 16-bit length
 * at 4, the address at 6; SLL2: an 8-bit length at 11, the address at 12).
 */
static void source_mac(enum iotguard_link link, const uint8_t *data,
		       struct iotguard_frame *out)
{
	const uint8_t *mac;

	switch (link) {
	case IOTGUARD_LINK_ETHERNET:
		mac = data + 6;
		break;
	case IOTGUARD_LINK_SLL:
		if (data[4] || data[5] != 6)
			return;
		mac = data + 6;
		break;
	case IOTGUARD_LINK_SLL2:
		if (data[11] != 6)
			return;
		mac = data + 12;
		break;
	default:
		return;
	}
	memcpy(out->mac, mac, sizeof(out->mac));
	out->has_mac = true;
}

enum iotguard_frame_kind iotguard_frame_parse(enum iotguard_link link,
					      const uint8_t *data,
					      uint32_t caplen,
					      uint32_t wirelen,
					      struct iotguard_frame *out)
{
	struct cursor c = {
		.data = data,
		.caplen = caplen < wirelen ? caplen : wirelen,
		.wirelen = wirelen,
	};
	uint32_t hlen = 0;
	int proto;

	memset(out, 0, sizeof(*out));
	switch (link) {
	case IOTGUARD_LINK_ETHERNET:
		hlen = ETH_HLEN;
		proto = 12;
		break;
	case IOTGUARD_LINK_SLL:
		hlen = SLL_HLEN;
		proto = 14;
		break;
	case IOTGUARD_LINK_SLL2:
		hlen = SLL2_HLEN;
		proto = 0;
		break;
	case IOTGUARD_LINK_RAW:
		if (!on_wire(&c, 1))
			return IOTGUARD_FRAME_MALFORMED;
		if (!captured(&c, 1))
			return IOTGUARD_FRAME_TRUNCATED;
		proto = data[0] >> 4 == 4 ? 0x0800 :
			data[0] >> 4 == 6 ? 0x86dd : -1;
		if (proto < 0)
			return IOTGUARD_FRAME_MALFORMED;
		break;
	default:
		return IOTGUARD_FRAME_MALFORMED;
	}
	if (hlen) {
		if (!on_wire(&c, hlen))
			return IOTGUARD_FRAME_MALFORMED;
		if (!captured(&c, hlen))
			return IOTGUARD_FRAME_TRUNCATED;
		source_mac(link, data, out);
		proto = get16(&c, proto);
		c.off = hlen;
		proto = vlan_tags(&c, proto);
		if (proto == -1)
			return IOTGUARD_FRAME_MALFORMED;
		if (proto == -2)
			return IOTGUARD_FRAME_TRUNCATED;
	}
	/* The program sees an Ethernet frame: cooked and raw ones get one. */
	out->len = (uint64_t)wirelen - (link == IOTGUARD_LINK_ETHERNET ?
					0 : hlen) +
		   (link == IOTGUARD_LINK_ETHERNET ? 0 : ETH_HLEN);
	switch (proto) {
	case 0x0800:
		return ipv4(&c, out);
	case 0x86dd:
		return ipv6(&c, out);
	case 0x0806:
		return arp(&c, out);
	}
	/* Everything else that is not IP. */
	return IOTGUARD_FRAME_OTHER;
}
