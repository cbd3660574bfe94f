/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hand-built Ethernet frames for the XDP program's tests.
 *
 * A frame is built front to back: fr_eth(), then any fr_vlan(), an IP
 * header, extension headers, an L4 header and payload, then fr_finish()
 * fills in the length fields. Each layer writes the protocol number of the
 * layer after it into the previous header, so layers compose freely.
 * Checksums are left 0: XDP does not look at them.
 */
#ifndef IOTGUARD_TESTS_FRAMES_H
#define IOTGUARD_TESTS_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#define FR_MAX 2048

struct frame {
	uint8_t buf[FR_MAX];
	size_t len;
	size_t type_off;	/* ethertype field the next layer fills */
	size_t proto_off;	/* IP protocol / next header field */
	size_t l3_off;		/* IP header */
	size_t l4_off;		/* L4 header, if any */
	int family;
};

static const uint8_t fr_router_mac[6] = { 0x02, 0x52, 0x00, 0x00, 0x00, 0xfe };

static inline void fr_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline uint16_t fr_get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static inline uint8_t *fr_put(struct frame *f, size_t n)
{
	uint8_t *p = f->buf + f->len;

	memset(p, 0, n);
	f->len += n;
	return p;
}

static inline void fr_eth(struct frame *f, const uint8_t src[6])
{
	uint8_t *p;

	memset(f, 0, sizeof(*f));
	p = fr_put(f, 14);
	memcpy(p, fr_router_mac, 6);
	memcpy(p + 6, src, 6);
	f->type_off = 12;
}

/* Sets the ethertype of the last Ethernet header or tag, for raw payloads. */
static inline void fr_ethertype(struct frame *f, uint16_t type)
{
	fr_put16(f->buf + f->type_off, type);
}

static inline void fr_vlan(struct frame *f, uint16_t tpid, uint16_t vid)
{
	uint8_t *p;

	fr_ethertype(f, tpid);
	p = fr_put(f, 4);
	fr_put16(p, vid & 0xfff);
	f->type_off = p + 2 - f->buf;
}

/* optlen: bytes of IPv4 options, a multiple of 4 (NOPs, then an end). */
static inline void fr_ipv4(struct frame *f, const uint8_t src[4],
			   const uint8_t dst[4], size_t optlen)
{
	uint8_t *p;

	fr_ethertype(f, 0x0800);
	f->l3_off = f->len;
	f->family = AF_INET;
	p = fr_put(f, 20 + optlen);
	p[0] = 0x40 | (uint8_t)((20 + optlen) / 4);
	p[8] = 64;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	if (optlen) {
		memset(p + 20, 1, optlen - 1);	/* NOP */
		p[20 + optlen - 1] = 0;		/* end of options */
	}
	f->proto_off = f->l3_off + 9;
}

/* Offset in 8-byte units and more-fragments flag. */
static inline void fr_ipv4_frag(struct frame *f, uint16_t off8, int more)
{
	fr_put16(f->buf + f->l3_off + 6, (off8 & 0x1fff) | (more ? 0x2000 : 0));
}

static inline void fr_ipv6(struct frame *f, const uint8_t src[16],
			   const uint8_t dst[16])
{
	uint8_t *p;

	fr_ethertype(f, 0x86dd);
	f->l3_off = f->len;
	f->family = AF_INET6;
	p = fr_put(f, 40);
	p[0] = 0x60;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	f->proto_off = f->l3_off + 6;
}

/*
 * An IPv6 options header (hop-by-hop 0 or destination 60) or routing header
 * (43) of len bytes (a multiple of 8), padded with a PadN option.
 */
static inline void fr_ip6_opts(struct frame *f, uint8_t type, size_t len)
{
	uint8_t *p;

	f->buf[f->proto_off] = type;
	f->proto_off = f->len;
	p = fr_put(f, len);
	p[1] = len / 8 - 1;
	if (type != 43) {
		p[2] = 1;		/* PadN */
		p[3] = len - 4;
	} else {
		p[2] = 4;		/* segment routing type, 0 left */
	}
}

/* An authentication header of len bytes (a multiple of 4, at least 12). */
static inline void fr_ip6_ah(struct frame *f, size_t len)
{
	uint8_t *p;

	f->buf[f->proto_off] = 51;
	f->proto_off = f->len;
	p = fr_put(f, len);
	p[1] = len / 4 - 2;
	p[7] = 1;			/* SPI */
}

static inline void fr_ip6_frag(struct frame *f, uint16_t off8, int more)
{
	uint8_t *p;

	f->buf[f->proto_off] = 44;
	f->proto_off = f->len;
	p = fr_put(f, 8);
	fr_put16(p + 2, (uint16_t)(off8 << 3) | (more ? 1 : 0));
	p[7] = 0x2a;			/* identification */
}

static inline void fr_udp(struct frame *f, size_t payload)
{
	uint8_t *p;

	f->buf[f->proto_off] = 17;
	f->l4_off = f->len;
	p = fr_put(f, 8 + payload);
	fr_put16(p, 40000);
	fr_put16(p + 2, 5683);		/* CoAP */
	fr_put16(p + 4, 8 + payload);
}

static inline void fr_tcp(struct frame *f, size_t optlen)
{
	uint8_t *p;

	f->buf[f->proto_off] = 6;
	f->l4_off = f->len;
	p = fr_put(f, 20 + optlen);
	fr_put16(p, 40001);
	fr_put16(p + 2, 1883);		/* MQTT */
	p[12] = (uint8_t)((20 + optlen) / 4) << 4;
	p[13] = 0x02;			/* SYN */
	memset(p + 20, 1, optlen);	/* NOP */
}

static inline void fr_icmp6(struct frame *f, uint8_t type, size_t payload)
{
	uint8_t *p;

	f->buf[f->proto_off] = 58;
	f->l4_off = f->len;
	p = fr_put(f, 8 + payload);
	p[0] = type;
}

/* The IPv6 hop limit (64 unless set): NDP needs 255, MLD 1. */
static inline void fr_hoplimit(struct frame *f, uint8_t hops)
{
	f->buf[f->l3_off + 7] = hops;
}

/* An ARP message for IPv4 over Ethernet; the target MAC is left 0. */
static inline void fr_arp(struct frame *f, uint16_t op, const uint8_t sha[6],
			  const uint8_t sip[4], const uint8_t tip[4])
{
	uint8_t *p;

	fr_ethertype(f, 0x0806);
	p = fr_put(f, 28);
	fr_put16(p, 1);			/* Ethernet */
	fr_put16(p + 2, 0x0800);
	p[4] = 6;
	p[5] = 4;
	fr_put16(p + 6, op);
	memcpy(p + 8, sha, 6);
	memcpy(p + 14, sip, 4);
	memcpy(p + 24, tip, 4);
}

/*
 * An NDP message of type (133 RS, 135 NS, 136 NA...) after fr_ipv6(): the
 * target for NS and NA (ignored for RS), then a link-layer address option
 * of opt_type (1 source, 2 target; 0 for none) carrying lla.
 */
static inline void fr_ndp(struct frame *f, uint8_t type,
			  const uint8_t target[16], uint8_t opt_type,
			  const uint8_t lla[6])
{
	uint8_t *p;

	f->buf[f->proto_off] = 58;
	f->l4_off = f->len;
	p = fr_put(f, 8);
	p[0] = type;
	if (type == 135 || type == 136)
		memcpy(fr_put(f, 16), target, 16);
	if (opt_type) {
		p = fr_put(f, 8);
		p[0] = opt_type;
		p[1] = 1;
		memcpy(p + 2, lla, 6);
	}
}

/* Raw bytes after the last header (fragment payloads, ARP, LLDP...). */
static inline void fr_payload(struct frame *f, size_t n)
{
	uint8_t *p = fr_put(f, n);
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)i;
}

/* Fills in the IP length field for a frame of f->len bytes. */
static inline void fr_fix_len(struct frame *f, size_t len)
{
	uint8_t *ip = f->buf + f->l3_off;

	if (f->family == AF_INET)
		fr_put16(ip + 2, len - f->l3_off);
	else if (f->family == AF_INET6)
		fr_put16(ip + 4, len - f->l3_off - 40);
}

static inline void fr_finish(struct frame *f)
{
	fr_fix_len(f, f->len);
}

#endif /* IOTGUARD_TESTS_FRAMES_H */
