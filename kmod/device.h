/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The iotguard authors.
 */

#ifndef _IOTGUARD_DEVICE_H
#define _IOTGUARD_DEVICE_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/time64.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <iotguard/kfunc.h>
#include <uapi/linux/iotguard.h>

struct iotguard_cred;
struct net;
struct netlink_ext_ack;

/*
 * What the module keys devices by: an IPv4 or IPv6 address (family AF_INET,
 * AF_INET6), an IPv6 prefix (AF_INET6, plen 1 to 127, the address's host
 * bits 0), or for a device enrolled by MAC the MAC in the first 6 bytes
 * (AF_PACKET). plen is 0 for an address; pad is always 0 so that the key
 * hashes whole.
 */
struct iotguard_devkey {
	u8 addr[16];
	u8 family;
	u8 plen;
	u8 pad[2];
};

#define IOTGUARD_PREFIX_WORDS (128 / 64)

/*
 * An IPv4 address a device may send from: not in 0.0.0.0/8 (whole: 6.1's
 * ipv4_is_zeronet() is 0.0.0.0 alone), not multicast, not 255.255.255.255.
 */
static inline bool iotguard_ipv4_is_unicast(__be32 addr)
{
	return (addr & htonl(IN_CLASSA_NET)) && !ipv4_is_multicast(addr) &&
	       !ipv4_is_lbcast(addr);
}

/*
 * A second in the data path's byte cost unit, 1/1024 ns: also the fastest
 * byte rate it can express (1/1024 ns per byte). A u64 constant: on 32-bit
 * NSEC_PER_SEC is a long, which the shift would overflow.
 */
#define IOTGUARD_SEC_FP ((u64)NSEC_PER_SEC << IOTGUARD_BYTE_COST_SHIFT)

/* GCRA parameters handed to the data path, derived once per change. */
struct iotguard_rates {
	u64 pkt_interval_ns;
	u64 pkt_tolerance_ns;
	u64 byte_cost_fp;
	u64 byte_tolerance_ns;
};

/*
 * A device is immutable once published: a change publishes a modified copy
 * and frees the old one after a grace period, so the data path always sees
 * one consistent version without taking a lock.
 */
struct iotguard_device {
	struct rhash_head node;
	struct rhlist_head mac_node;	/* in by_mac: iotguard_device_by_mac() */
	struct iotguard_devkey key;
	u8 mac[ETH_ALEN];
	bool mac_bound;
	u8 state;
	u16 class;
	u32 flags;
	u32 index;
	u32 cookie;
	u32 rate_seq;		/* see struct iotguard_verdict */
	u32 rate_pps;
	u32 burst_pkts;
	u32 burst_bytes;
	u64 rate_bps;
	time64_t state_since;	/* boottime seconds: its state last changed */
	struct iotguard_rates rates;
	/*
	 * Shared by the device's versions (cred.h); NULL when it has none.
	 * Revoked: it had one, and until a new one every frame is dropped.
	 */
	struct iotguard_cred *cred;
	bool cred_revoked;
	char name[IOTGUARD_DEVICE_NAME_LEN];
	struct rcu_head rcu;
};

/* The device table of one network namespace. */
struct iotguard_net {
	struct rhashtable devices;	/* by key: the data path's view */
	/*
	 * Devices enrolled by address with a bound MAC, by that MAC: whose
	 * frame an ARP or NDP message in another's name is. Several devices
	 * may bind one MAC (a host's IPv4 and IPv6 addresses).
	 */
	struct rhltable by_mac;
	struct xarray by_index;		/* by index: allocation and dumps */
	struct mutex lock;		/* serialises changes */
	struct rhashtable leases;	/* by address: lease.c */
	struct xarray lease_by_index;	/* by device index */
	struct xarray bind6_by_index;	/* IPv6 bindings, by device index */
	spinlock_t lease_lock;		/* serialises lease changes */
	/*
	 * Bit n: a device is enrolled by an IPv6 prefix of length n. The
	 * data path reads it without the lock; prefix_refs, under the lock,
	 * counts the devices per length.
	 */
	u64 prefix_lens[IOTGUARD_PREFIX_WORDS];
	u32 prefix_refs[128];
	/* Enrollment codes (enroll.c), and failed hellos this second. */
	struct list_head codes;
	unsigned int ncodes;
	unsigned long enroll_window;	/* jiffies: the second began */
	unsigned int enroll_fails;
	unsigned int count;		/* devices enrolled */
	bool user_owned;		/* owned by a non-initial user ns */
	u32 next_cookie;
	u32 next_rate_seq;
	u32 generation;			/* changes with every change, never 0 */
};

extern unsigned int iotguard_max_devices;
extern unsigned int iotguard_netns_max_devices;
extern unsigned int iotguard_userns_max_devices;
extern struct iotguard_rates iotguard_quarantine_rates;

int iotguard_device_init(void);
void iotguard_device_exit(void);
struct iotguard_net *iotguard_net(const struct net *net);

struct iotguard_device *iotguard_device_alloc(void);
struct iotguard_device *iotguard_device_clone(const struct iotguard_device *dev);
void iotguard_device_free(struct iotguard_device *dev);
void iotguard_device_set_rates(struct iotguard_device *dev, u32 rate_pps,
			       u32 burst_pkts, u64 rate_bps, u32 burst_bytes);
void iotguard_rates_init(struct iotguard_rates *rates, u32 rate_pps,
			 u32 burst_pkts, u64 rate_bps, u32 burst_bytes);

struct iotguard_device *iotguard_device_lookup(struct iotguard_net *in,
					       const struct iotguard_devkey *key);
struct iotguard_device *
iotguard_device_lookup_rcu(const struct net *net,
			   const struct iotguard_devkey *key);
struct iotguard_device *
iotguard_device_lookup_prefix_rcu(const struct net *net,
				  const struct in6_addr *addr);
struct iotguard_device *
iotguard_device_by_mac_rcu(const struct net *net, const u8 *mac);
int iotguard_device_insert(struct iotguard_net *in,
			   struct iotguard_device *dev,
			   struct netlink_ext_ack *extack);
u32 iotguard_device_next_rate_seq(struct iotguard_net *in);
int iotguard_device_replace(struct iotguard_net *in,
			    struct iotguard_device *old,
			    struct iotguard_device *new);
void iotguard_device_remove(struct iotguard_net *in,
			    struct iotguard_device *dev);

#endif /* _IOTGUARD_DEVICE_H */
