/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DHCP snooping for the iotguard programs (RFC 2131). A device enrolled by
 * MAC asks for its address from 0.0.0.0: the XDP program lets such a
 * request through when its client hardware address is the frame's source,
 * in the device's name. The server's ACK, leaving the guarded port towards
 * the device, begins the lease in the module (the TC program below); the
 * device's RELEASE ends it. Options are read with the load-bytes helpers,
 * so that a walk of any length stays simple for the verifier.
 */
#ifndef IOTGUARD_BPF_DHCP_H
#define IOTGUARD_BPF_DHCP_H

#include "parsing.h"
#include <iotguard/kfunc.h>

#define IOTG_BOOTREQUEST	1
#define IOTG_BOOTREPLY		2
#define IOTG_DHCP_MAGIC		0x63825363
#define IOTG_DHCP_OPT_OFF	240	/* options, after the magic cookie */
#define IOTG_DHCP_OPTS_MAX	32	/* options looked at, at most */

#define IOTG_DHCP_OPT_PAD	0
#define IOTG_DHCP_OPT_LEASE	51
#define IOTG_DHCP_OPT_TYPE	53
#define IOTG_DHCP_OPT_END	255

#define IOTG_DHCPACK		5
#define IOTG_DHCPRELEASE	7

/* What the XDP program's parse found of a DHCP client message. */
enum iotg_dhcp_kind {
	IOTG_DHCP_NONE,
	IOTG_DHCP_UNBOUND,	/* from 0.0.0.0, in its chaddr's name */
	IOTG_DHCP_BOUND,	/* from an address: maybe a RELEASE */
};

/* The fixed BOOTP header, up to the client hardware address. */
struct iotg_bootp {
	__u8 op;
	__u8 htype;
	__u8 hlen;
	__u8 hops;
	__be32 xid;
	__be16 secs;
	__be16 flags;
	__be32 ciaddr;
	__be32 yiaddr;
	__be32 siaddr;
	__be32 giaddr;
	__u8 chaddr[16];
};

struct iotg_dhcp_opts {
	__u8 type;		/* option 53; 0 if absent */
	__u32 lease;		/* option 51, seconds; 0 if absent */
};

/*
 * Reads len bytes at off of the frame (xdp: an XDP context, else a TC
 * one). Inlined with a constant xdp, only one helper is ever called.
 */
static __always_inline int iotg_load(void *ctx, bool xdp, __u32 off,
				     void *to, __u32 len)
{
	if (xdp)
		return bpf_xdp_load_bytes(ctx, off, to, len);
	return bpf_skb_load_bytes(ctx, off, to, len);
}

/*
 * The BOOTP header at off, and the DHCP options after it that the guard
 * needs. Returns 0, or -1 for a message that is not DHCP over Ethernet.
 */
static __always_inline int iotg_dhcp_read(void *ctx, bool xdp, __u32 off,
					  struct iotg_bootp *bootp,
					  struct iotg_dhcp_opts *opts)
{
	__u8 opt[2];
	__be32 word;
	int i;

	opts->type = 0;
	opts->lease = 0;
	if (iotg_load(ctx, xdp, off, bootp, sizeof(*bootp)) ||
	    bootp->htype != 1 || bootp->hlen != ETH_ALEN)
		return -1;
	if (iotg_load(ctx, xdp, off + IOTG_DHCP_OPT_OFF - 4, &word,
		      sizeof(word)) || word != bpf_htonl(IOTG_DHCP_MAGIC))
		return -1;

	off += IOTG_DHCP_OPT_OFF;
	for (i = 0; i < IOTG_DHCP_OPTS_MAX; i++) {
		if (iotg_load(ctx, xdp, off, opt, 1) ||
		    opt[0] == IOTG_DHCP_OPT_END)
			break;
		if (opt[0] == IOTG_DHCP_OPT_PAD) {
			off++;
			continue;
		}
		if (iotg_load(ctx, xdp, off, opt, 2))
			break;
		if (opt[0] == IOTG_DHCP_OPT_TYPE && opt[1] == 1) {
			if (iotg_load(ctx, xdp, off + 2, &opts->type, 1))
				break;
		} else if (opt[0] == IOTG_DHCP_OPT_LEASE && opt[1] == 4) {
			if (iotg_load(ctx, xdp, off + 2, &word, sizeof(word)))
				break;
			opts->lease = bpf_ntohl(word);
		}
		off += 2 + opt[1];
	}
	return 0;
}

#endif /* IOTGUARD_BPF_DHCP_H */
