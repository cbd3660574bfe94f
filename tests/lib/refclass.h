/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A reference classifier of the XDP program's verdicts, for the
 * differential test (tests/guest/xdp_diff_test.c): what
 * Documentation/iotguard.rst, "What passes and why", says happens to a
 * frame arriving on a guarded port, written for a reader and not for
 * speed, without looking at bpf/. It predicts the verdict, the reason the
 * frame is counted under, which device's counter moves, whether the
 * frame's source is remembered as unknown, and which of the behaviour
 * features' counters move (Documentation/detection.rst, "What each
 * detector sees"; the sketches and the size histogram are left out).
 *
 * Left out: credentials (no device of the table has one), the rates (the
 * test enrolls rates no frame reaches; GCRA depends on the clock), the
 * port's neighbour budget (the test loads the program without one) and
 * DHCP leases (they begin on the port's egress, which the test never
 * sends to). Monitor mode and the link-frame policy are parameters.
 */
#ifndef IOTGUARD_TESTS_REFCLASS_H
#define IOTGUARD_TESTS_REFCLASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REF_DEVS_MAX	32
#define REF_LOCAL_MAX	4
/* The IPv6 addresses a device enrolled by MAC holds at most */
#define REF_BIND_MAX	8

enum ref_kind {
	REF_BY_IPV4,		/* enrolled by its IPv4 address */
	REF_BY_IPV6,		/* by its IPv6 address, or prefix */
	REF_BY_MAC,		/* by its MAC (DHCP, SLAAC) */
};

struct ref_dev {
	enum ref_kind kind;
	uint8_t addr[16];	/* IPv4 in the first 4 bytes */
	uint8_t plen;		/* IPv6: 128 for an address */
	uint8_t mac[6];		/* REF_BY_MAC: its identity */
	bool mac_bound;		/* frames must come from mac */
	uint8_t state;		/* IOTGUARD_STATE_* */
	/* REF_BY_MAC: the IPv6 addresses bound to it, oldest first */
	uint8_t bound[REF_BIND_MAX][16];
	int nbound;
};

struct ref_table {
	struct ref_dev dev[REF_DEVS_MAX];
	int ndev;
	uint8_t local6[REF_LOCAL_MAX][16];	/* the router's addresses */
	int nlocal;
	bool link_frames;	/* iotguard attach: link frames pass */
	bool monitor;		/* iotguard attach --monitor */
};

/* Which counter of a device moves; REF_DEV_NONE: none. */
enum ref_dev_counter {
	REF_DEV_NONE,
	REF_DEV_PASS,
	REF_DEV_DENIED,
	REF_DEV_SPOOFED,
};

struct ref_verdict {
	uint32_t action;	/* XDP_PASS or XDP_DROP */
	unsigned int reason;	/* IOTGUARD_R_* */
	int dev;		/* the device whose counter moves, or -1 */
	enum ref_dev_counter counter;
	bool remembered;	/* counted among the unknown sources */
	/*
	 * Features: an IP frame the device offers from its own address and
	 * MAC, passed or held back (feat_dev; a TCP SYN without ACK, an
	 * ICMP or ICMPv6 message); an ARP request in its own name
	 * (arp_dev); ARP or NDP its MAC sent in another's name (foreign_dev).
	 */
	int feat_dev;
	bool feat_syn;
	bool feat_icmp;
	int arp_dev;
	int foreign_dev;
	/*
	 * A side effect on the table, for ref_commit(): bind bind_addr to
	 * device bind_dev (-1: none). The neighbour discovery of a device
	 * enrolled by MAC for an address nobody holds binds it.
	 */
	int bind_dev;
	uint8_t bind_addr[16];
	/*
	 * The documentation does not say what happens: the frame would bind
	 * a ninth address to a device, which replaces the one "used least
	 * recently" (by a clock the test does not see).
	 */
	bool undetermined;
	const char *why;	/* the rule that decided, for a failure */
};

/* Judges frame (len bytes, from its Ethernet header) against t. */
void ref_classify(const struct ref_table *t, const uint8_t *frame, size_t len,
		  struct ref_verdict *v);

/* Applies v's side effect on the table, once the frame has been sent. */
void ref_commit(struct ref_table *t, const struct ref_verdict *v);

/* The device an IPv6 address is, as lookups find it; -1: nobody's. */
int ref_find6(const struct ref_table *t, const uint8_t addr[16]);

#endif /* IOTGUARD_TESTS_REFCLASS_H */
