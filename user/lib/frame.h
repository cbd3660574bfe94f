/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Captured frames parsed as the XDP program parses them (bpf/parsing.h,
 * bpf/neigh.h, bpf/iotguard.bpf.c): Ethernet with up to two VLAN tags,
 * IPv4 with options, IPv6 with up to eight extension headers, TCP, UDP,
 * ICMP and ICMPv6, and ARP. For iotguardd --replay; pure, no libpcap.
 *
 * A capture may hold less of a frame than the wire carried (the snap
 * length): consistency checks (lengths, header sizes) are against the
 * wire length, as the program sees the whole frame, and reads are against
 * the captured bytes.
 */
#ifndef IOTGUARD_USER_FRAME_H
#define IOTGUARD_USER_FRAME_H

#include <stdbool.h>
#include <stdint.h>

/* The link layers a capture may have. */
enum iotguard_link {
	IOTGUARD_LINK_ETHERNET,
	IOTGUARD_LINK_SLL,	/* Linux cooked v1 (tcpdump -i any) */
	IOTGUARD_LINK_SLL2,	/* Linux cooked v2 */
	IOTGUARD_LINK_RAW,	/* IPv4 or IPv6 by the version nibble */
};

enum iotguard_frame_kind {
	IOTGUARD_FRAME_IP,	/* a device's frame: src and the rest set */
	/*
	 * ARP in the name of src (its sender address, AF_INET), sent from
	 * its sender hardware address (mac, if has_mac); arp_request set.
	 */
	IOTGUARD_FRAME_ARP,
	/* neighbour discovery, ARP the program drops or holds to the
	 * port's budget (a probe, from 0.0.0.0), not IP */
	IOTGUARD_FRAME_OTHER,
	IOTGUARD_FRAME_MALFORMED,	/* the program would drop it unparsed */
	IOTGUARD_FRAME_TRUNCATED,	/* cut before the source address */
};

struct iotguard_frame {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t l4proto;	/* of a parsed L4 header; 0: none (fragment) */
	uint8_t tcp_flags;	/* byte 13 of the TCP header */
	bool cut;		/* the capture ended before the L4 header */
	uint16_t dport;		/* network order, as the program reads it */
	uint8_t src[16];	/* IPv4 in the first 4 bytes */
	uint8_t dst[16];
	uint64_t len;		/* the frame's length at the XDP hook */
	bool has_mac;		/* raw IP and odd cooked headers have none */
	uint8_t mac[6];		/* the source MAC */
	bool arp_request;	/* IOTGUARD_FRAME_ARP: a request, not a reply */
};

/*
 * Parses one captured frame of caplen bytes out of wirelen. For the
 * cooked and raw link types, len is what the frame would measure with an
 * untagged Ethernet header instead. cut frames are IOTGUARD_FRAME_IP with
 * l4proto 0: counted by what is known.
 */
enum iotguard_frame_kind iotguard_frame_parse(enum iotguard_link link,
					      const uint8_t *data,
					      uint32_t caplen,
					      uint32_t wirelen,
					      struct iotguard_frame *out);

#endif /* IOTGUARD_USER_FRAME_H */
