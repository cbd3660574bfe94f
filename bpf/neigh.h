/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The neighbour and link-frame guards of the iotguard XDP program.
 *
 * ARP, NDP and MLD from the device side are inspected, not waved through:
 * a forged ARP reply or neighbour advertisement would poison the router's
 * entry for an enrolled device and steal its traffic, and an NDP-typed
 * packet to a routed destination would be a channel past the guard. Each
 * message is either dropped for its form, or speaks for an address (its
 * sender's, or the target an advertisement claims) that the device table
 * must back with the Ethernet source, or comes from a sender no device
 * accounts for yet (an ARP probe, DAD, link-local NDP, MLD) and is held to
 * the port's neighbour budget. Documentation/iotguard.rst, "What passes
 * and why", has the whole table.
 */
#ifndef IOTGUARD_BPF_NEIGH_H
#define IOTGUARD_BPF_NEIGH_H

#include "parsing.h"
#include <iotguard/kfunc.h>
#include <iotguard/maps.h>

/*
 * What iotg_parse() found, beyond the reasons of enum iotguard_reason: the
 * frame speaks for key->addr, to be looked up; or its sender is held to
 * the port's neighbour budget.
 */
#define IOTG_V_LOOKUP		IOTGUARD_R_MAX
#define IOTG_V_PORT		(IOTGUARD_R_MAX + 1)

#define IOTG_ARPHRD_ETHER	1
#define IOTG_ARPOP_REQUEST	1
#define IOTG_ARPOP_REPLY	2

/* ICMPv6 types of MLD (RFC 2710, 3810) and NDP (RFC 4861) */
#define IOTG_MLD_QUERY		130
#define IOTG_MLD_REPORT		131
#define IOTG_MLD_DONE		132
#define IOTG_NDISC_RS		133
#define IOTG_NDISC_RA		134
#define IOTG_NDISC_NS		135
#define IOTG_NDISC_NA		136
#define IOTG_NDISC_REDIRECT	137
#define IOTG_MLD2_REPORT	143

/* NDP options carrying a link-layer address */
#define IOTG_ND_OPT_SLLA	1
#define IOTG_ND_OPT_TLLA	2

/* ARP for IPv4 over Ethernet, the only kind a device needs. */
struct iotg_arp_eth {
	__be16 hrd;
	__be16 pro;
	__u8 hln;
	__u8 pln;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__u8 sip[4];
	__u8 tha[ETH_ALEN];
	__u8 tip[4];
} __attribute__((packed));

struct iotg_nd_opt_lla {
	__u8 type;
	__u8 len;		/* in units of 8 bytes: 1 for Ethernet */
	__u8 addr[ETH_ALEN];
};

static __always_inline bool iotg_mac_equal(const __u8 *a, const __u8 *b)
{
	int i;

#pragma unroll
	for (i = 0; i < ETH_ALEN; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static __always_inline bool iotg_ip6_linklocal(const struct in6_addr *a)
{
	return a->in6_u.u6_addr8[0] == 0xfe &&
	       (a->in6_u.u6_addr8[1] & 0xc0) == 0x80;
}

static __always_inline bool iotg_ip6_multicast(const struct in6_addr *a)
{
	return a->in6_u.u6_addr8[0] == 0xff;
}

static __always_inline bool iotg_ip6_any(const struct in6_addr *a)
{
	return !(a->in6_u.u6_addr32[0] | a->in6_u.u6_addr32[1] |
		 a->in6_u.u6_addr32[2] | a->in6_u.u6_addr32[3]);
}

/*
 * STP, LLDP, EAPOL and other 802.1 link control (01:80:c2:00:00:0x), and
 * 802.3 frames with a length field (LLC, which STP BPDUs use).
 */
static __always_inline bool iotg_link_frame(const struct ethhdr *eth,
					    __be16 proto)
{
	const __u8 *d = eth->h_dest;

	if (iotg_len16(proto) < ETH_P_802_3_MIN)
		return true;
	if (proto == bpf_htons(ETH_P_LLDP) || proto == bpf_htons(ETH_P_PAE))
		return true;
	return d[0] == 0x01 && d[1] == 0x80 && d[2] == 0xc2 && !d[3] &&
	       !d[4] && !(d[5] & 0xf0);
}

/*
 * An ARP message: its sender hardware address must be the frame's source,
 * and its sender IP, once looked up with that MAC, an enrolled device's. A
 * probe (sender IP 0.0.0.0) speaks for no one: the port's budget. A
 * request in a sender's name sets fl->arp_request (a feature of it).
 */
static __always_inline __u32 iotg_arp(struct hdr_cursor *nh, void *data_end,
				      const struct ethhdr *eth,
				      struct iotguard_key *key,
				      struct iotg_flow *fl)
{
	struct iotg_arp_eth *arp = nh->pos;
	__u32 sip;

	if ((void *)(arp + 1) > data_end)
		return IOTGUARD_R_PARSE;
	if (arp->hrd != bpf_htons(IOTG_ARPHRD_ETHER) ||
	    arp->pro != bpf_htons(ETH_P_IP) || arp->hln != ETH_ALEN ||
	    arp->pln != 4)
		return IOTGUARD_R_ARP;
	if (arp->op != bpf_htons(IOTG_ARPOP_REQUEST) &&
	    arp->op != bpf_htons(IOTG_ARPOP_REPLY))
		return IOTGUARD_R_ARP;
	if (!iotg_mac_equal(arp->sha, eth->h_source))
		return IOTGUARD_R_ARP;

	__builtin_memcpy(&sip, arp->sip, sizeof(sip));
	if (!sip)
		return arp->op == bpf_htons(IOTG_ARPOP_REQUEST) ?
		       IOTG_V_PORT : IOTGUARD_R_ARP;
	__builtin_memcpy(key->addr, &sip, sizeof(sip));
	fl->arp_request = arp->op == bpf_htons(IOTG_ARPOP_REQUEST);
	return IOTG_V_LOOKUP;
}

/*
 * MLD from the device side: reports and dones only (a device is no
 * multicast router), from a link-local source (or :: for an MLDv2 report,
 * before the device has an address), with hop limit 1, to a multicast
 * group, whole.
 */
static __always_inline __u32 iotg_mld(const struct ipv6hdr *ip6h, __u8 type,
				      bool frag)
{
	if (type == IOTG_MLD_QUERY || frag || ip6h->hop_limit != 1 ||
	    !iotg_ip6_multicast(&ip6h->daddr))
		return IOTGUARD_R_NDP;
	if (iotg_ip6_linklocal(&ip6h->saddr) ||
	    (type == IOTG_MLD2_REPORT && iotg_ip6_any(&ip6h->saddr)))
		return IOTG_V_PORT;
	return IOTGUARD_R_NDP;
}

/*
 * NDP from the device side (RFC 4861 section 7.1.1 and 7.1.2, and RFC 6980:
 * no fragments). Router advertisements and redirects are the router's to
 * send, not a device's. Solicitations and advertisements must come from
 * the link (hop limit 255), whole, to a link-local or multicast
 * destination or, unicast, to the router itself (a NUD probe of it, an
 * answer to its solicitation: fl->ndp_unicast, for the caller to check),
 * with their link-layer address option, if first, the frame's source (the
 * target and the option within the packet: left bytes of it follow the
 * ICMPv6 header). An
 * advertisement speaks for its target; any other message for a global
 * source. Link-local and unspecified (DAD) sources go to the port's
 * budget: they are not enrolled. A DAD solicitation for a global address
 * leaves it in the key and sets fl->ndp_dad: a device enrolled by MAC
 * configuring that address binds it (iotguard_xdp_bind()).
 */
static __always_inline __u32 iotg_ndp(const struct ipv6hdr *ip6h,
				      struct icmp6hdr *icmp6h, void *data_end,
				      __u32 left, bool frag,
				      const struct ethhdr *eth,
				      struct iotguard_key *key,
				      struct iotg_flow *fl)
{
	const struct in6_addr *speaks_for = &ip6h->saddr;
	__u8 type = icmp6h->icmp6_type;
	struct in6_addr *target = NULL;
	struct iotg_nd_opt_lla *opt;

	if (type != IOTG_NDISC_RS && type != IOTG_NDISC_NS &&
	    type != IOTG_NDISC_NA)
		return IOTGUARD_R_NDP;
	if (frag || ip6h->hop_limit != 255 || icmp6h->icmp6_code)
		return IOTGUARD_R_NDP;
	if (!iotg_ip6_linklocal(&ip6h->daddr) &&
	    !iotg_ip6_multicast(&ip6h->daddr)) {
		__builtin_memcpy(fl->daddr, &ip6h->daddr,
				 sizeof(ip6h->daddr));
		fl->ndp_unicast = 1;
	}
	if (iotg_ip6_multicast(&ip6h->saddr))
		return IOTGUARD_R_NDP;

	opt = (void *)(icmp6h + 1);
	if (type != IOTG_NDISC_RS) {
		target = (void *)(icmp6h + 1);
		if ((void *)(target + 1) > data_end || left < sizeof(*target))
			return IOTGUARD_R_PARSE;
		left -= sizeof(*target);
		/* :: is no one's: as a target it would speak for none. */
		if (iotg_ip6_multicast(target) || iotg_ip6_any(target))
			return IOTGUARD_R_NDP;
		if (type == IOTG_NDISC_NA && !iotg_ip6_linklocal(target))
			speaks_for = target;
		opt = (void *)(target + 1);
	}
	if ((void *)(opt + 1) <= data_end && left >= sizeof(*opt) &&
	    (opt->type == IOTG_ND_OPT_SLLA || opt->type == IOTG_ND_OPT_TLLA) &&
	    opt->len == 1 && !iotg_mac_equal(opt->addr, eth->h_source))
		return IOTGUARD_R_NDP;

	if (iotg_ip6_any(speaks_for) || iotg_ip6_linklocal(speaks_for)) {
		/* DAD of a global address: its device may bind it. */
		if (type == IOTG_NDISC_NS && iotg_ip6_any(speaks_for) &&
		    target && !iotg_ip6_linklocal(target)) {
			__builtin_memcpy(key->addr, target, sizeof(*target));
			fl->ndp_dad = 1;
		}
		return IOTG_V_PORT;
	}
	__builtin_memcpy(key->addr, speaks_for, sizeof(*speaks_for));
	return IOTG_V_LOOKUP;
}

#endif /* IOTGUARD_BPF_NEIGH_H */
