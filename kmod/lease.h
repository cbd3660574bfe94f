/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The iotguard authors.
 */

#ifndef _IOTGUARD_LEASE_H
#define _IOTGUARD_LEASE_H

#include "device.h"

#include <linux/rhashtable-types.h>
#include <linux/types.h>

/*
 * The address a device enrolled by MAC leased over DHCP: its IP traffic
 * passes from that address only, until the lease ends or is released. A
 * lease is immutable once published but for its end (@expires, read and
 * written once): a new address publishes a new lease and frees the old one
 * after a grace period. It names its device by index and cookie, which
 * stay the same across the device's versions.
 */
struct iotguard_lease {
	struct rhash_head node;
	struct iotguard_devkey key;	/* the leased address */
	u32 index;
	u32 cookie;
	unsigned long expires;		/* jiffies; unused if @forever */
	u32 seq;			/* IPv6: its set's bind order */
	bool forever;			/* an infinite lease (RFC 2131) */
	struct rcu_head rcu;
};

/*
 * The IPv6 addresses a device enrolled by MAC configured itself (SLAAC,
 * temporary addresses), bound to it first come, first served, as RFC 6620
 * does: its neighbour discovery for an address nobody holds binds it. The
 * bindings are leases of family AF_INET6 in the same table, each for
 * iotguard_bind6_seconds from its last use, at most IOTGUARD_BIND6_MAX per
 * device (a new one takes the place of the one least recently used).
 */
#define IOTGUARD_BIND6_MAX 8

struct iotguard_bind6_set {
	u32 index;			/* the device's */
	u32 cookie;
	u32 next_seq;
	struct iotguard_lease *addr[IOTGUARD_BIND6_MAX];
	struct rcu_head rcu;
};

extern unsigned int iotguard_bind6_seconds;

int iotguard_lease_net_init(struct iotguard_net *in);
void iotguard_lease_net_exit(struct iotguard_net *in);

struct iotguard_lease *
iotguard_lease_lookup_rcu(struct iotguard_net *in,
			  const struct iotguard_devkey *key);
const struct iotguard_lease *
iotguard_lease_of_rcu(struct iotguard_net *in,
		      const struct iotguard_device *dev);
u32 iotguard_lease_seconds_left(const struct iotguard_lease *lease);

int iotguard_lease_begin(struct net *net, const u8 *mac, __be32 addr,
			 u32 seconds);
int iotguard_lease_end(struct net *net, const u8 *mac, __be32 addr);
void iotguard_lease_forget(struct iotguard_net *in,
			   const struct iotguard_device *dev);

int iotguard_bind6(struct net *net, const u8 *mac,
		   const struct in6_addr *addr);
void iotguard_bind6_touch(struct iotguard_lease *bind);

#endif /* _IOTGUARD_LEASE_H */
