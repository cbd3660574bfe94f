// SPDX-License-Identifier: GPL-2.0
/*
 * The reference classifier (refclass.h): Documentation/iotguard.rst's table
 * "What passes and why", rule by rule. A frame is read as a sequence of
 * headers, each of which must lie wholly inside what contains it: the
 * Ethernet header and tags inside the frame, the IP header inside the
 * frame, and everything the IP packet carries inside the IP packet (its
 * length field says where it ends; what follows is Ethernet padding).
 */
#include "refclass.h"

#include <string.h>
#include <linux/bpf.h>
#include <iotguard/maps.h>
#include <linux/iotguard.h>

/* A window on the frame: bytes [off, end) may be read. */
struct win {
	const uint8_t *p;
	size_t off;
	size_t end;
};

static bool has(const struct win *w, size_t n)
{
	return w->off + n <= w->end;
}

static unsigned int be16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static const uint8_t *at(const struct win *w, size_t n)
{
	return w->p + w->off + n;
}

/* What the frame says of itself, beyond its headers. */
struct frame_info {
	const uint8_t *src_mac;
	const uint8_t *dst_mac;
};

/* The rule that decided: returns its reason, and keeps its name. */
static unsigned int rule(struct ref_verdict *v, unsigned int reason,
			 const char *why)
{
	v->why = why;
	return reason;
}

/* The lookup: devices by address ------------------------------------------- */

static bool prefix_holds(const uint8_t *pfx, unsigned int plen,
			 const uint8_t *addr)
{
	unsigned int bytes = plen / 8, bits = plen % 8;

	if (memcmp(pfx, addr, bytes))
		return false;
	if (!bits)
		return true;
	return !((pfx[bytes] ^ addr[bytes]) & (0xff00 >> bits));
}

static int find4(const struct ref_table *t, const uint8_t *addr)
{
	int i;

	for (i = 0; i < t->ndev; i++)
		if (t->dev[i].kind == REF_BY_IPV4 &&
		    !memcmp(t->dev[i].addr, addr, 4))
			return i;
	return -1;	/* no leases: nothing else holds an IPv4 address */
}

/* Enrolled by the address, or by the longest prefix holding it. */
static int find6_enrolled(const struct ref_table *t, const uint8_t *addr)
{
	int i, best = -1;

	for (i = 0; i < t->ndev; i++) {
		const struct ref_dev *d = &t->dev[i];

		if (d->kind != REF_BY_IPV6 ||
		    !prefix_holds(d->addr, d->plen, addr))
			continue;
		if (best < 0 || d->plen > t->dev[best].plen)
			best = i;
	}
	return best;
}

static int find_binding(const struct ref_table *t, const uint8_t *addr)
{
	int i, j;

	for (i = 0; i < t->ndev; i++)
		for (j = 0; j < t->dev[i].nbound; j++)
			if (!memcmp(t->dev[i].bound[j], addr, 16))
				return i;
	return -1;
}

int ref_find6(const struct ref_table *t, const uint8_t addr[16])
{
	int d = find6_enrolled(t, addr);

	return d >= 0 ? d : find_binding(t, addr);
}

static int find_mac(const struct ref_table *t, const uint8_t *mac)
{
	int i;

	for (i = 0; i < t->ndev; i++)
		if (t->dev[i].kind == REF_BY_MAC &&
		    !memcmp(t->dev[i].mac, mac, 6))
			return i;
	return -1;
}

/*
 * Whose MAC it is (iotguard_xdp_lookup_mac()): the device enrolled by it,
 * else one enrolled by address with it bound (the test binds a MAC to one
 * device at most).
 */
static int owner_of_mac(const struct ref_table *t, const uint8_t *mac)
{
	int i = find_mac(t, mac);

	if (i >= 0)
		return i;
	for (i = 0; i < t->ndev; i++)
		if (t->dev[i].mac_bound && !memcmp(t->dev[i].mac, mac, 6))
			return i;
	return -1;
}

/* IPv6 address kinds ------------------------------------------------------- */

static bool ip6_any(const uint8_t *a)
{
	static const uint8_t zero[16];

	return !memcmp(a, zero, 16);
}

static bool ip6_multicast(const uint8_t *a)
{
	return a[0] == 0xff;
}

static bool ip6_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static bool ip6_loopback(const uint8_t *a)
{
	static const uint8_t one[16] = { [15] = 1 };

	return !memcmp(a, one, 16);
}

static bool ip6_local(const struct ref_table *t, const uint8_t *a)
{
	int i;

	for (i = 0; i < t->nlocal; i++)
		if (!memcmp(t->local6[i], a, 16))
			return true;
	return false;
}

/*
 * "An address nobody holds is first bound to the device enrolled by the
 * frame's MAC" (iotguard.rst, "DHCP snooping and IP source guard"): not
 * :: , multicast, loopback nor link-local; not one enrolled, in an
 * enrolled prefix or bound to another device. Returns the device it is
 * bound to (again, or anew), or -1.
 */
static int try_bind(const struct ref_table *t, const uint8_t *mac,
		    const uint8_t *addr, struct ref_verdict *v)
{
	int d = find_mac(t, mac), holder;

	if (d < 0 || ip6_any(addr) || ip6_multicast(addr) ||
	    ip6_loopback(addr) || ip6_linklocal(addr))
		return -1;
	if (find6_enrolled(t, addr) >= 0)
		return -1;
	holder = find_binding(t, addr);
	if (holder >= 0 && holder != d)
		return -1;
	if (holder < 0 && t->dev[d].nbound == REF_BIND_MAX)
		v->undetermined = true;
	v->bind_dev = d;
	memcpy(v->bind_addr, addr, 16);
	return d;
}

/* What an enrolled device may send ----------------------------------------- */

static bool dev_denied(const struct ref_dev *d)
{
	return d->state != IOTGUARD_STATE_ALLOW &&
	       d->state != IOTGUARD_STATE_QUARANTINE;
}

static bool dev_spoofed(const struct ref_dev *d, const uint8_t *mac)
{
	return d->mac_bound && memcmp(d->mac, mac, 6);
}

/*
 * IP from device d: denied, else spoofed, else pass (the rates are out of
 * reach). Every outcome is the device's.
 */
static unsigned int judge_ip(const struct ref_table *t, int d,
			     const uint8_t *mac, struct ref_verdict *v)
{
	v->dev = d;
	/* What it offers from its own MAC: its behaviour, even held back. */
	if (!dev_spoofed(&t->dev[d], mac))
		v->feat_dev = d;
	if (dev_denied(&t->dev[d])) {
		v->counter = REF_DEV_DENIED;
		return rule(v, IOTGUARD_R_DENIED, "IP of a denied device");
	} else if (dev_spoofed(&t->dev[d], mac)) {
		v->counter = REF_DEV_SPOOFED;
		return rule(v, IOTGUARD_R_SPOOFED, "IP from another MAC");
	} else {
		v->counter = REF_DEV_PASS;
		return rule(v, IOTGUARD_R_PASS, "IP of an enrolled device");
	}
}

static unsigned int unknown_ip(struct ref_verdict *v, const char *why)
{
	v->remembered = true;
	return rule(v, IOTGUARD_R_UNKNOWN, why);
}

/*
 * ARP or NDP speaking for device d: denied (its counter), forged from
 * another MAC (its spoofed counter, the global forged reason), else it
 * passes within its rate, counted in the global reasons only.
 */
static unsigned int judge_neigh(const struct ref_table *t, int d,
				const uint8_t *mac, unsigned int forged,
				struct ref_verdict *v)
{
	bool spoofed = dev_spoofed(&t->dev[d], mac);

	/* Forged in d's name: the forger's behaviour, if it is a device. */
	if (spoofed)
		v->foreign_dev = owner_of_mac(t, mac);
	if (dev_denied(&t->dev[d])) {
		v->dev = d;
		v->counter = REF_DEV_DENIED;
		return rule(v, IOTGUARD_R_DENIED,
			    "neighbour frame of a denied device");
	} else if (spoofed) {
		v->dev = d;
		v->counter = REF_DEV_SPOOFED;
		return rule(v, forged, "neighbour frame in another's name");
	} else {
		return rule(v, IOTGUARD_R_NEIGH,
			    "neighbour frame of its device");
	}
}

/* ARP ---------------------------------------------------------------------- */

static unsigned int classify_arp(const struct ref_table *t,
				 const struct frame_info *fi, struct win *w,
				 struct ref_verdict *v)
{
	const uint8_t *sha, *sip;
	unsigned int op;
	int d;

	if (!has(w, 28))
		return rule(v, IOTGUARD_R_PARSE, "ARP truncated");
	if (be16(at(w, 0)) != 1 || be16(at(w, 2)) != 0x0800 ||
	    *at(w, 4) != 6 || *at(w, 5) != 4)
		return rule(v, IOTGUARD_R_ARP, "ARP not IPv4 over Ethernet");
	op = be16(at(w, 6));
	if (op != 1 && op != 2)
		return rule(v, IOTGUARD_R_ARP, "ARP neither request nor reply");
	sha = at(w, 8);
	sip = at(w, 14);
	if (memcmp(sha, fi->src_mac, 6))
		return rule(v, IOTGUARD_R_ARP, "ARP sender MAC not the source");
	if (!sip[0] && !sip[1] && !sip[2] && !sip[3]) {
		if (op == 1)
			return rule(v, IOTGUARD_R_NEIGH, "ARP probe");
		return rule(v, IOTGUARD_R_ARP, "ARP reply from 0.0.0.0");
	}
	d = find4(t, sip);
	if (d < 0) {
		v->remembered = true;
		/* Nobody's but link-local: a poisoner's, if a device's MAC. */
		if (!(sip[0] == 169 && sip[1] == 254))
			v->foreign_dev = owner_of_mac(t, fi->src_mac);
		return rule(v, IOTGUARD_R_ARP,
			    "ARP for an address not enrolled");
	}
	/* A request in its own name: its behaviour, passed or held back. */
	if (op == 1 && !dev_spoofed(&t->dev[d], fi->src_mac))
		v->arp_dev = d;
	return judge_neigh(t, d, fi->src_mac, IOTGUARD_R_ARP, v);
}

/* IPv4 --------------------------------------------------------------------- */

/* A TCP header with its options; a SYN without ACK is an attempt. */
static bool tcp_header(const struct win *l4, struct ref_verdict *v)
{
	unsigned int hlen;

	if (!has(l4, 20))
		return false;
	hlen = (*at(l4, 12) >> 4) * 4;
	if (hlen < 20 || !has(l4, hlen))
		return false;
	v->feat_syn = (*at(l4, 13) & 0x12) == 0x02;
	return true;
}

/* A DHCP client message from 0.0.0.0 in the name of the frame's source. */
static bool dhcp_request_of_source(const struct frame_info *fi,
				   const struct win *bootp)
{
	/* op, htype, hlen, hops, xid, secs, flags, 4 addresses, chaddr */
	if (!has(bootp, 44))
		return false;
	return *at(bootp, 0) == 1 && *at(bootp, 1) == 1 && *at(bootp, 2) == 6 &&
	       !memcmp(at(bootp, 28), fi->src_mac, 6);
}

/*
 * A DHCP request from 0.0.0.0 in its own client hardware address's name
 * (dhcp_request_of_source()) speaks for the device enrolled by that MAC:
 * judged as its IP, but setting up is not behaviour (no features).
 */
static unsigned int dhcp_by_mac(const struct ref_table *t,
				const struct frame_info *fi,
				struct ref_verdict *v)
{
	int d = find_mac(t, fi->src_mac);
	unsigned int reason;

	if (d < 0) {
		v->remembered = true;
		return rule(v, IOTGUARD_R_UNKNOWN, "DHCP, MAC not enrolled");
	}
	reason = judge_ip(t, d, fi->src_mac, v);
	v->feat_dev = -1;
	return reason;
}

static unsigned int classify_ipv4(const struct ref_table *t,
				  const struct frame_info *fi, struct win *w,
				  struct ref_verdict *v)
{
	const uint8_t *ip = at(w, 0);
	static const uint8_t any4[4];
	unsigned int hlen, tot_len, proto;
	struct win l4, bootp;
	bool l4_there;
	int d;

	if (!has(w, 20))
		return rule(v, IOTGUARD_R_PARSE, "IPv4 header truncated");
	hlen = (ip[0] & 0x0f) * 4;
	tot_len = be16(ip + 2);
	if (ip[0] >> 4 != 4)
		return rule(v, IOTGUARD_R_PARSE, "IPv4 version not 4");
	if (hlen < 20 || !has(w, hlen))
		return rule(v, IOTGUARD_R_PARSE, "IPv4 header length");
	if (tot_len < hlen || !has(w, tot_len))
		return rule(v, IOTGUARD_R_PARSE, "IPv4 total length");
	proto = ip[9];

	/* What the packet carries ends where its total length says. */
	l4.p = w->p;
	l4.off = w->off + hlen;
	l4.end = w->off + tot_len;

	/* Only a first fragment (or a whole packet) has an L4 header. */
	l4_there = !(be16(ip + 6) & 0x1fff);
	if (l4_there && proto == 17) {
		if (!has(&l4, 8))
			return rule(v, IOTGUARD_R_PARSE, "UDP truncated");
		if (be16(at(&l4, 0)) == 67 && be16(at(&l4, 2)) == 68)
			return rule(v, IOTGUARD_R_DHCP_SERVER,
				    "DHCP server message");
		bootp = l4;
		bootp.off += 8;
		if (be16(at(&l4, 0)) == 68 && be16(at(&l4, 2)) == 67 &&
		    !memcmp(ip + 12, any4, 4) &&
		    dhcp_request_of_source(fi, &bootp))
			return dhcp_by_mac(t, fi, v);
	} else if (l4_there && proto == 6) {
		if (!tcp_header(&l4, v))
			return rule(v, IOTGUARD_R_PARSE, "TCP header");
	} else if (l4_there && proto == 1) {
		if (!has(&l4, 8))
			return rule(v, IOTGUARD_R_PARSE, "ICMP truncated");
		v->feat_icmp = true;
	}
	d = find4(t, ip + 12);
	if (d < 0)
		return unknown_ip(v, "IPv4 from an address not enrolled");
	return judge_ip(t, d, fi->src_mac, v);
}

/* IPv6: NDP and MLD -------------------------------------------------------- */

/* MLD: reports and dones from the link, to a group; nothing else. */
static unsigned int classify_mld(const uint8_t *ip6, unsigned int type,
				 bool frag, struct ref_verdict *v)
{
	const uint8_t *src = ip6 + 8, *dst = ip6 + 24;

	if (type == 130)
		return rule(v, IOTGUARD_R_NDP, "MLD query");
	if (frag || ip6[7] != 1 || !ip6_multicast(dst))
		return rule(v, IOTGUARD_R_NDP, "MLD of the wrong form");
	if (ip6_linklocal(src) || (type == 143 && ip6_any(src)))
		return rule(v, IOTGUARD_R_NEIGH, "MLD report or done");
	return rule(v, IOTGUARD_R_NDP, "MLD from a routable source");
}

/* The address an NS, NA or RS speaks for, after its form passed. */
static unsigned int ndp_speaks_for(const struct ref_table *t,
				   const struct frame_info *fi,
				   unsigned int type, const uint8_t *src,
				   const uint8_t *target, struct ref_verdict *v)
{
	const uint8_t *addr = src;
	int d;

	if (type == 136 && !ip6_linklocal(target))
		addr = target;
	if (ip6_any(addr) || ip6_linklocal(addr)) {
		/* DAD of a global address binds it to the MAC's device. */
		if (type == 135 && ip6_any(src) && !ip6_linklocal(target))
			try_bind(t, fi->src_mac, target, v);
		return rule(v, IOTGUARD_R_NEIGH,
			       "NDP from link-local or ::");
	}
	d = ref_find6(t, addr);
	if (d < 0)
		d = try_bind(t, fi->src_mac, addr, v);
	if (d < 0) {
		v->remembered = true;
		return rule(v, IOTGUARD_R_NDP,
			    "NDP for an address nobody holds");
	}
	return judge_neigh(t, d, fi->src_mac, IOTGUARD_R_NDP, v);
}

static unsigned int classify_ndp(const struct ref_table *t,
				 const struct frame_info *fi,
				 const uint8_t *ip6, const struct win *icmp,
				 bool frag, struct ref_verdict *v)
{
	const uint8_t *src = ip6 + 8, *dst = ip6 + 24, *target = NULL;
	unsigned int type = *at(icmp, 0);
	struct win opt = *icmp;

	if (type == 134 || type == 137)
		return rule(v, IOTGUARD_R_NDP, "RA or redirect");
	if (frag || ip6[7] != 255 || *at(icmp, 1))
		return rule(v, IOTGUARD_R_NDP,
			       "NDP fragmented, hop limit, code");
	if (ip6_multicast(src))
		return rule(v, IOTGUARD_R_NDP, "NDP from a multicast source");
	opt.off += 8;
	if (type != 133) {
		if (!has(&opt, 16))
			return rule(v, IOTGUARD_R_PARSE,
				    "NDP target truncated");
		target = at(&opt, 0);
		if (ip6_multicast(target) || ip6_any(target))
			return rule(v, IOTGUARD_R_NDP,
				       "NDP target multicast or ::");
		opt.off += 16;
	}
	if (has(&opt, 8) && (*at(&opt, 0) == 1 || *at(&opt, 0) == 2) &&
	    *at(&opt, 1) == 1 && memcmp(at(&opt, 2), fi->src_mac, 6))
		return rule(v, IOTGUARD_R_NDP,
			       "NDP link-layer address not the source");
	/* Last: a message whole and of the right form, but routed on. */
	if (!ip6_linklocal(dst) && !ip6_multicast(dst) && !ip6_local(t, dst))
		return rule(v, IOTGUARD_R_NDP, "NDP to be routed on");
	return ndp_speaks_for(t, fi, type, src, target, v);
}

/* IPv6 --------------------------------------------------------------------- */

static bool ip6_is_ext(unsigned int nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 44;
}

static unsigned int classify_ipv6(const struct ref_table *t,
				  const struct frame_info *fi, struct win *w,
				  struct ref_verdict *v)
{
	const uint8_t *ip6 = at(w, 0);
	bool frag = false, l4 = true;
	unsigned int nh, n, len;
	struct win pkt;
	int d;

	if (!has(w, 40))
		return rule(v, IOTGUARD_R_PARSE, "IPv6 header truncated");
	if (ip6[0] >> 4 != 6)
		return rule(v, IOTGUARD_R_PARSE, "IPv6 version not 6");
	if (!has(w, 40 + be16(ip6 + 4)))
		return rule(v, IOTGUARD_R_PARSE, "IPv6 payload length");
	pkt.p = w->p;
	pkt.off = w->off + 40;
	pkt.end = pkt.off + be16(ip6 + 4);

	/* Up to 8 extension headers, hop-by-hop only first. */
	nh = ip6[6];
	for (n = 0; ip6_is_ext(nh); n++) {
		if (n == 8)
			return rule(v, IOTGUARD_R_PARSE,
				       "more than 8 extension headers");
		if (nh == 0 && n)
			return rule(v, IOTGUARD_R_PARSE,
				       "hop-by-hop options not first");
		if (nh == 44) {
			if (!has(&pkt, 8))
				return rule(v, IOTGUARD_R_PARSE,
					       "fragment header truncated");
			frag = true;
			nh = *at(&pkt, 0);
			len = 8;
			if (be16(at(&pkt, 2)) & 0xfff8) {
				/* Not the first: no upper-layer header. */
				pkt.off += len;
				l4 = false;
				break;
			}
		} else {
			if (!has(&pkt, 2))
				return rule(v, IOTGUARD_R_PARSE,
					       "extension header truncated");
			len = nh == 51 ? (*at(&pkt, 1) + 2) * 4 :
					 (*at(&pkt, 1) + 1) * 8;
			nh = *at(&pkt, 0);
			if (!has(&pkt, len))
				return rule(v, IOTGUARD_R_PARSE,
					       "extension header truncated");
		}
		pkt.off += len;
	}

	if (l4 && nh == 17) {
		if (!has(&pkt, 8))
			return rule(v, IOTGUARD_R_PARSE, "UDP truncated");
		if (be16(at(&pkt, 0)) == 547 && be16(at(&pkt, 2)) == 546)
			return rule(v, IOTGUARD_R_DHCP_SERVER,
				       "DHCPv6 server message");
	} else if (l4 && nh == 6) {
		if (!tcp_header(&pkt, v))
			return rule(v, IOTGUARD_R_PARSE, "TCP header");
	} else if (l4 && nh == 58) {
		unsigned int type;

		if (!has(&pkt, 8))
			return rule(v, IOTGUARD_R_PARSE, "ICMPv6 truncated");
		type = *at(&pkt, 0);
		if ((type >= 130 && type <= 132) || type == 143)
			return classify_mld(ip6, type, frag, v);
		if (type >= 133 && type <= 137)
			return classify_ndp(t, fi, ip6, &pkt, frag, v);
		v->feat_icmp = true;
	}
	d = ref_find6(t, ip6 + 8);
	if (d < 0)
		return unknown_ip(v, "IPv6 from an address nobody holds");
	return judge_ip(t, d, fi->src_mac, v);
}

/* Ethernet ----------------------------------------------------------------- */

static bool is_vlan_tpid(unsigned int type)
{
	return type == 0x8100 || type == 0x88a8;
}

/* STP and other 802.1 link control, LLDP, EAPOL, 802.3 with a length. */
static bool link_frame(const struct frame_info *fi, unsigned int type)
{
	static const uint8_t group[5] = { 0x01, 0x80, 0xc2, 0, 0 };

	return type < 0x0600 || type == 0x88cc || type == 0x888e ||
	       (!memcmp(fi->dst_mac, group, 5) && !(fi->dst_mac[5] & 0xf0));
}

static unsigned int classify_eth(const struct ref_table *t,
				 const uint8_t *frame, size_t len,
				 struct ref_verdict *v)
{
	struct win w = { .p = frame, .off = 0, .end = len };
	struct frame_info fi;
	unsigned int type, tags;

	if (!has(&w, 14))
		return rule(v, IOTGUARD_R_PARSE, "Ethernet truncated");
	fi.dst_mac = frame;
	fi.src_mac = frame + 6;
	type = be16(frame + 12);
	w.off = 14;
	for (tags = 0; is_vlan_tpid(type); tags++) {
		if (tags == 2)
			return rule(v, IOTGUARD_R_NON_IP, "three VLAN tags");
		if (!has(&w, 4))
			return rule(v, IOTGUARD_R_PARSE, "VLAN tag truncated");
		type = be16(at(&w, 2));
		w.off += 4;
	}

	if (type == 0x0806)
		return classify_arp(t, &fi, &w, v);
	if (type == 0x0800)
		return classify_ipv4(t, &fi, &w, v);
	if (type == 0x86dd)
		return classify_ipv6(t, &fi, &w, v);
	if (link_frame(&fi, type))
		return rule(v, IOTGUARD_R_LINK, "link control frame");
	return rule(v, IOTGUARD_R_NON_IP, "another ethertype");
}

void ref_classify(const struct ref_table *t, const uint8_t *frame, size_t len,
		  struct ref_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->dev = -1;
	v->bind_dev = -1;
	v->feat_dev = -1;
	v->arp_dev = -1;
	v->foreign_dev = -1;
	v->reason = classify_eth(t, frame, len, v);
	if (t->monitor || v->reason == IOTGUARD_R_PASS ||
	    v->reason == IOTGUARD_R_NEIGH ||
	    (v->reason == IOTGUARD_R_LINK && t->link_frames))
		v->action = XDP_PASS;
	else
		v->action = XDP_DROP;
}

void ref_commit(struct ref_table *t, const struct ref_verdict *v)
{
	struct ref_dev *d;
	int i;

	if (v->bind_dev < 0 || v->undetermined)
		return;
	d = &t->dev[v->bind_dev];
	/* Bound again: its life starts again, it is the newest. */
	for (i = 0; i < d->nbound; i++)
		if (!memcmp(d->bound[i], v->bind_addr, 16))
			break;
	if (i < d->nbound) {
		memmove(d->bound[i], d->bound[i + 1],
			(d->nbound - i - 1) * sizeof(d->bound[0]));
		d->nbound--;
	}
	memcpy(d->bound[d->nbound++], v->bind_addr, 16);
}
