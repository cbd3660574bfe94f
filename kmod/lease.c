// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The iotguard authors.
 *
 * DHCP snooping for devices enrolled by MAC: the leases the guarded port's
 * DHCP traffic shows (an ACK leaving towards the device begins or renews
 * one, a RELEASE from the device ends it), and the IP source guard's view
 * of them. Leases begin and end in softirq context, from the programs'
 * kfuncs, so a spinlock rather than the table's mutex serialises them;
 * the data path reads them under RCU only.
 */

#include "lease.h"
#include "netlink.h"

#include <linux/etherdevice.h>
#include <linux/in.h>
#include <linux/jiffies.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>

static const struct rhashtable_params lease_params = {
	.key_len = sizeof(struct iotguard_devkey),
	.key_offset = offsetof(struct iotguard_lease, key),
	.head_offset = offsetof(struct iotguard_lease, node),
	.automatic_shrinking = true,
};

/* An infinite lease, and the longest a finite one may be. */
#define LEASE_INFINITE	U32_MAX
#define LEASE_MAX_SECS	(MAX_JIFFY_OFFSET / HZ / 2)

unsigned int iotguard_bind6_seconds = 3600;

static void bind6_set_free(struct iotguard_net *in,
			   struct iotguard_bind6_set *set);

int iotguard_lease_net_init(struct iotguard_net *in)
{
	spin_lock_init(&in->lease_lock);
	xa_init(&in->lease_by_index);
	xa_init(&in->bind6_by_index);
	return rhashtable_init(&in->leases, &lease_params);
}

/* No kfunc runs for a namespace that is going away: no lock needed. */
void iotguard_lease_net_exit(struct iotguard_net *in)
{
	struct iotguard_lease *lease;
	unsigned long index;

	struct iotguard_bind6_set *set;

	xa_for_each(&in->lease_by_index, index, lease) {
		rhashtable_remove_fast(&in->leases, &lease->node, lease_params);
		kfree_rcu(lease, rcu);
	}
	xa_destroy(&in->lease_by_index);
	xa_for_each(&in->bind6_by_index, index, set)
		bind6_set_free(in, set);
	xa_destroy(&in->bind6_by_index);
	rhashtable_destroy(&in->leases);
}

static bool lease_live(const struct iotguard_lease *lease)
{
	return lease->forever ||
	       time_before(jiffies, READ_ONCE(lease->expires));
}

/* The live lease of an address, for the data path (under RCU). */
struct iotguard_lease *
iotguard_lease_lookup_rcu(struct iotguard_net *in,
			  const struct iotguard_devkey *key)
{
	struct iotguard_lease *lease;

	lease = rhashtable_lookup(&in->leases, key, lease_params);
	return lease && lease_live(lease) ? lease : NULL;
}

/* The live lease of a device, for replies and events (under RCU). */
const struct iotguard_lease *
iotguard_lease_of_rcu(struct iotguard_net *in,
		      const struct iotguard_device *dev)
{
	const struct iotguard_lease *lease;

	lease = xa_load(&in->lease_by_index, dev->index);
	if (!lease || lease->cookie != dev->cookie || !lease_live(lease))
		return NULL;
	return lease;
}

/* Seconds until the lease ends; U32_MAX for an infinite one. */
u32 iotguard_lease_seconds_left(const struct iotguard_lease *lease)
{
	long left;

	if (lease->forever)
		return LEASE_INFINITE;
	left = (long)(READ_ONCE(lease->expires) - jiffies);
	return left > 0 ? DIV_ROUND_UP(left, HZ) : 0;
}

/* Caller holds in->lease_lock. */
static void unpublish(struct iotguard_net *in, struct iotguard_lease *lease)
{
	rhashtable_remove_fast(&in->leases, &lease->node, lease_params);
	xa_erase(&in->lease_by_index, lease->index);
	kfree_rcu(lease, rcu);
}

static void lease_key(struct iotguard_devkey *key, __be32 addr)
{
	memset(key, 0, sizeof(*key));
	memcpy(key->addr, &addr, sizeof(addr));
	key->family = AF_INET;
}

static void mac_key(struct iotguard_devkey *key, const u8 *mac)
{
	memset(key, 0, sizeof(*key));
	ether_addr_copy(key->addr, mac);
	key->family = AF_PACKET;
}

static void set_expiry(struct iotguard_lease *lease, u32 seconds)
{
	lease->forever = seconds == LEASE_INFINITE;
	if (!lease->forever)
		WRITE_ONCE(lease->expires,
			   jiffies + min_t(unsigned long, seconds,
					   LEASE_MAX_SECS) * HZ);
}

/*
 * Caller holds in->lease_lock. Publishes dev's lease of addr, in place of
 * any other lease of dev and of any other device's lease of addr (the
 * server gave it to dev since). Returns the lease, or an ERR_PTR.
 */
static struct iotguard_lease *publish(struct iotguard_net *in,
				      const struct iotguard_device *dev,
				      __be32 addr, u32 seconds)
{
	struct iotguard_lease *lease, *old, *holder;
	const struct iotguard_device *cur;
	struct iotguard_devkey key;
	int ret;

	/*
	 * A device deleted since the caller found it has forgotten its
	 * lease already (iotguard_device_remove() unpublishes it from the
	 * index first), or will once this lock is free: a lease is never
	 * left behind for it.
	 */
	cur = xa_load(&in->by_index, dev->index);
	if (!cur || cur->cookie != dev->cookie)
		return ERR_PTR(-ENOENT);

	lease_key(&key, addr);
	old = xa_load(&in->lease_by_index, dev->index);
	if (old && old->cookie == dev->cookie &&
	    !memcmp(&old->key, &key, sizeof(key))) {
		set_expiry(old, seconds);	/* a renewal */
		return old;
	}

	lease = kzalloc(sizeof(*lease), GFP_ATOMIC | __GFP_NOWARN);
	if (!lease)
		return ERR_PTR(-ENOMEM);
	lease->key = key;
	lease->index = dev->index;
	lease->cookie = dev->cookie;
	set_expiry(lease, seconds);

	holder = rhashtable_lookup_fast(&in->leases, &key, lease_params);
	if (holder)
		unpublish(in, holder);
	old = xa_load(&in->lease_by_index, dev->index);
	if (old)
		unpublish(in, old);
	ret = rhashtable_insert_fast(&in->leases, &lease->node, lease_params);
	if (ret)
		goto err_free;
	ret = xa_err(xa_store(&in->lease_by_index, dev->index, lease,
			      GFP_ATOMIC | __GFP_NOWARN));
	if (ret)
		goto err_remove;
	return lease;

err_remove:
	rhashtable_remove_fast(&in->leases, &lease->node, lease_params);
err_free:
	kfree_rcu(lease, rcu);
	return ERR_PTR(ret);
}

/**
 * iotguard_lease_begin - a DHCP server acknowledged a lease to a device
 * @net: the namespace of the guarded port the ACK left through
 * @mac: the client's hardware address (chaddr)
 * @addr: the address leased (yiaddr)
 * @seconds: the lease time; U32_MAX for an infinite lease
 *
 * Called with RCU held, in any context.
 *
 * Return: 0 if a device is enrolled by @mac (its lease begins or is
 * renewed), -ENOENT if none is, -EINVAL for an address no device may send
 * from, -ENOMEM.
 */
int iotguard_lease_begin(struct net *net, const u8 *mac, __be32 addr,
			 u32 seconds)
{
	struct iotguard_net *in = iotguard_net(net);
	const struct iotguard_lease *lease;
	const struct iotguard_device *dev;
	struct iotguard_devkey key;

	if (!iotguard_ipv4_is_unicast(addr) || !seconds)
		return -EINVAL;
	mac_key(&key, mac);
	dev = iotguard_device_lookup(in, &key);
	if (!dev)
		return -ENOENT;

	spin_lock_bh(&in->lease_lock);
	lease = publish(in, dev, addr, seconds);
	spin_unlock_bh(&in->lease_lock);
	if (IS_ERR(lease))
		return PTR_ERR(lease);
	iotguard_genetlink_notify_lease(net, dev);
	return 0;
}

/**
 * iotguard_lease_end - a device released its lease
 * @net: the namespace of the guarded port the RELEASE arrived on
 * @mac: the client's hardware address (chaddr)
 * @addr: the address it releases (ciaddr)
 *
 * Called with RCU held, in any context. Only the device that holds the
 * lease of @addr may end it.
 *
 * Return: 0 if the lease ended, -ENOENT if @mac's device holds none of
 * @addr.
 */
int iotguard_lease_end(struct net *net, const u8 *mac, __be32 addr)
{
	struct iotguard_net *in = iotguard_net(net);
	const struct iotguard_device *dev;
	struct iotguard_lease *lease;
	struct iotguard_devkey key;
	int ret = -ENOENT;

	mac_key(&key, mac);
	dev = iotguard_device_lookup(in, &key);
	if (!dev)
		return -ENOENT;
	lease_key(&key, addr);

	spin_lock_bh(&in->lease_lock);
	lease = rhashtable_lookup_fast(&in->leases, &key, lease_params);
	if (lease && lease->index == dev->index &&
	    lease->cookie == dev->cookie) {
		unpublish(in, lease);
		ret = 0;
	}
	spin_unlock_bh(&in->lease_lock);
	if (!ret)
		iotguard_genetlink_notify_lease(net, dev);
	return ret;
}

/* A device goes: its lease with it. Process context. */
void iotguard_lease_forget(struct iotguard_net *in,
			   const struct iotguard_device *dev)
{
	struct iotguard_lease *lease;

	struct iotguard_bind6_set *set;

	spin_lock_bh(&in->lease_lock);
	lease = xa_load(&in->lease_by_index, dev->index);
	if (lease && lease->cookie == dev->cookie)
		unpublish(in, lease);
	set = xa_load(&in->bind6_by_index, dev->index);
	if (set && set->cookie == dev->cookie)
		bind6_set_free(in, set);
	spin_unlock_bh(&in->lease_lock);
}

static unsigned long bind6_life(void)
{
	return max_t(unsigned long, 1,
		     min_t(unsigned long, READ_ONCE(iotguard_bind6_seconds),
			   LEASE_MAX_SECS)) * HZ;
}

/*
 * Used again: a binding lives iotguard_bind6_seconds from its last use,
 * with one store per half of that rather than one per packet.
 */
void iotguard_bind6_touch(struct iotguard_lease *bind)
{
	unsigned long life = bind6_life();

	if (time_before(READ_ONCE(bind->expires), jiffies + life / 2))
		WRITE_ONCE(bind->expires, jiffies + life);
}

/* Caller holds in->lease_lock. */
static void bind6_unpublish(struct iotguard_net *in,
			    struct iotguard_bind6_set *set, int slot)
{
	rhashtable_remove_fast(&in->leases, &set->addr[slot]->node,
			       lease_params);
	kfree_rcu(set->addr[slot], rcu);
	set->addr[slot] = NULL;
}

/* Caller holds in->lease_lock, or the namespace is going away. */
static void bind6_set_free(struct iotguard_net *in,
			   struct iotguard_bind6_set *set)
{
	int slot;

	for (slot = 0; slot < IOTGUARD_BIND6_MAX; slot++)
		if (set->addr[slot])
			bind6_unpublish(in, set, slot);
	xa_cmpxchg(&in->bind6_by_index, set->index, set, NULL, 0);
	kfree_rcu(set, rcu);
}

/* Caller holds in->lease_lock: an expired binding, whoever held it. */
static void bind6_release(struct iotguard_net *in, struct iotguard_lease *bind)
{
	struct iotguard_bind6_set *set;
	int slot;

	set = xa_load(&in->bind6_by_index, bind->index);
	for (slot = 0; set && slot < IOTGUARD_BIND6_MAX; slot++) {
		if (set->addr[slot] == bind) {
			bind6_unpublish(in, set, slot);
			return;
		}
	}
}

/* Caller holds in->lease_lock. The device's set, made if it has none. */
static struct iotguard_bind6_set *
bind6_set_of(struct iotguard_net *in, const struct iotguard_device *dev)
{
	struct iotguard_bind6_set *set;
	int ret;

	set = xa_load(&in->bind6_by_index, dev->index);
	if (set && set->cookie == dev->cookie)
		return set;
	if (set)	/* a deleted device's: forgotten with it, normally */
		bind6_set_free(in, set);
	set = kzalloc(sizeof(*set), GFP_ATOMIC | __GFP_NOWARN);
	if (!set)
		return ERR_PTR(-ENOMEM);
	set->index = dev->index;
	set->cookie = dev->cookie;
	ret = xa_err(xa_store(&in->bind6_by_index, dev->index, set,
			      GFP_ATOMIC | __GFP_NOWARN));
	if (ret) {
		kfree(set);
		return ERR_PTR(ret);
	}
	return set;
}

/* Used less recently: ends sooner, or as soon and bound before. */
static bool bind6_older(const struct iotguard_lease *a,
			const struct iotguard_lease *b)
{
	unsigned long ea = READ_ONCE(a->expires), eb = READ_ONCE(b->expires);

	return time_before(ea, eb) || (ea == eb && (s32)(a->seq - b->seq) < 0);
}

/* Caller holds in->lease_lock. A free slot: empty, expired, or the LRU's. */
static int bind6_slot(struct iotguard_net *in, struct iotguard_bind6_set *set)
{
	int slot, lru = 0;

	for (slot = 0; slot < IOTGUARD_BIND6_MAX; slot++) {
		if (!set->addr[slot])
			return slot;
		if (!lease_live(set->addr[slot]))
			goto free;
		if (bind6_older(set->addr[slot], set->addr[lru]))
			lru = slot;
	}
	slot = lru;
free:
	bind6_unpublish(in, set, slot);
	return slot;
}

static bool bind6_addr_ok(const struct in6_addr *addr)
{
	return !ipv6_addr_any(addr) && !ipv6_addr_is_multicast(addr) &&
	       !ipv6_addr_loopback(addr) &&
	       !(ipv6_addr_type(addr) & IPV6_ADDR_LINKLOCAL);
}

/**
 * iotguard_bind6 - a device enrolled by MAC speaks for an IPv6 address
 * @net: the namespace of the guarded port
 * @mac: the frame's source
 * @addr: the address its neighbour discovery is for
 *
 * First come, first served (RFC 6620): the address is bound to the device
 * enrolled by @mac unless another device holds it, by a live binding or as
 * its enrolled address or prefix. Called with RCU held, in any context.
 *
 * Return: 0 if @addr is bound to @mac's device (now, or already: its life
 * starts again), -ENOENT if no device is enrolled by @mac, -EADDRINUSE if
 * another device holds @addr, -EINVAL for an address no device may bind
 * (link-local ones are never bound), -ENOMEM.
 */
int iotguard_bind6(struct net *net, const u8 *mac, const struct in6_addr *addr)
{
	struct iotguard_net *in = iotguard_net(net);
	const struct iotguard_device *dev, *cur;
	struct iotguard_lease *bind, *held;
	struct iotguard_bind6_set *set;
	struct iotguard_devkey key;
	int slot, ret = 0;

	if (!bind6_addr_ok(addr))
		return -EINVAL;
	mac_key(&key, mac);
	dev = iotguard_device_lookup(in, &key);
	if (!dev)
		return -ENOENT;
	memset(&key, 0, sizeof(key));
	key.family = AF_INET6;
	memcpy(key.addr, addr, sizeof(*addr));
	if (iotguard_device_lookup(in, &key) ||
	    iotguard_device_lookup_prefix_rcu(net, addr))
		return -EADDRINUSE;

	spin_lock_bh(&in->lease_lock);
	/* Deleted since it was found: its bindings are gone or going. */
	cur = xa_load(&in->by_index, dev->index);
	if (!cur || cur->cookie != dev->cookie) {
		ret = -ENOENT;
		goto out_unlock;
	}
	held = rhashtable_lookup_fast(&in->leases, &key, lease_params);
	if (held && lease_live(held)) {
		if (held->index != dev->index || held->cookie != dev->cookie)
			ret = -EADDRINUSE;
		else
			WRITE_ONCE(held->expires, jiffies + bind6_life());
		goto out_unlock;
	}
	set = bind6_set_of(in, dev);
	if (IS_ERR(set)) {
		ret = PTR_ERR(set);
		goto out_unlock;
	}
	if (held)
		bind6_release(in, held);
	bind = kzalloc(sizeof(*bind), GFP_ATOMIC | __GFP_NOWARN);
	if (!bind) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	bind->key = key;
	bind->index = dev->index;
	bind->cookie = dev->cookie;
	bind->expires = jiffies + bind6_life();
	bind->seq = set->next_seq++;
	slot = bind6_slot(in, set);
	ret = rhashtable_insert_fast(&in->leases, &bind->node, lease_params);
	if (ret) {
		kfree(bind);
		goto out_unlock;
	}
	set->addr[slot] = bind;

out_unlock:
	spin_unlock_bh(&in->lease_lock);
	return ret;
}
