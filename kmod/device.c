// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The iotguard authors.
 *
 * The per-network-namespace device table. Readers (the data path, dumps)
 * use RCU only; changes are serialised by a per-namespace mutex and publish
 * new device versions rather than editing published ones.
 *
 * Anyone may own a network namespace (unshare -Urn), so the table's memory
 * is charged to the memory cgroup of whoever enrolls or changes a device:
 * the devices (SLAB_ACCOUNT) and the index's nodes (XA_FLAGS_ACCOUNT). Not
 * charged on 6.1, because the kernel allocates them for us without
 * __GFP_ACCOUNT: the rhashtable's bucket array (a pointer per bucket, a
 * few buckets per device; resized in a worker) and struct iotguard_net
 * (allocated by the netns core, once per namespace). The per-namespace
 * device limits bound the first; the netns itself is charged.
 */

#include "device.h"
#include "cred.h"
#include "enroll.h"
#include "lease.h"

#include <linux/etherdevice.h>
#include <linux/math64.h>
#include <linux/netlink.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/time64.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>
#include <net/ipv6.h>
#include <net/netns/generic.h>

static unsigned int iotguard_net_id __read_mostly;
static struct kmem_cache *device_cache __read_mostly;

static const struct rhashtable_params device_params = {
	.key_len = sizeof(struct iotguard_devkey),
	.key_offset = offsetof(struct iotguard_device, key),
	.head_offset = offsetof(struct iotguard_device, node),
	.automatic_shrinking = true,
};

static const struct rhashtable_params mac_params = {
	.key_len = ETH_ALEN,
	.key_offset = offsetof(struct iotguard_device, mac),
	.head_offset = offsetof(struct iotguard_device, mac_node),
	.automatic_shrinking = true,
};

struct iotguard_net *iotguard_net(const struct net *net)
{
	return net_generic(net, iotguard_net_id);
}

/* The cache is SLAB_ACCOUNT: every device is charged to the caller's memcg. */
struct iotguard_device *iotguard_device_alloc(void)
{
	return kmem_cache_zalloc(device_cache, GFP_KERNEL);
}

struct iotguard_device *iotguard_device_clone(const struct iotguard_device *dev)
{
	struct iotguard_device *copy;

	copy = kmem_cache_alloc(device_cache, GFP_KERNEL);
	if (copy) {
		memcpy(copy, dev, sizeof(*copy));
		iotguard_cred_get(copy->cred);
	}
	return copy;
}

/* For devices that were never published. */
void iotguard_device_free(struct iotguard_device *dev)
{
	iotguard_cred_put(dev->cred);
	kmem_cache_free(device_cache, dev);
}

/* The last version of a device takes its credential's key with it. */
static void device_free_rcu(struct rcu_head *rcu)
{
	struct iotguard_device *dev = container_of(rcu, struct iotguard_device,
						   rcu);

	iotguard_cred_put(dev->cred);
	kmem_cache_free(device_cache, dev);
}

/*
 * GCRA: a packet passes while the theoretical arrival time after it is at
 * most the tolerance ahead of now. The divisions happen here, once per
 * change, so that the data path only adds, compares and shifts.
 */
void iotguard_rates_init(struct iotguard_rates *rates, u32 rate_pps,
			 u32 burst_pkts, u64 rate_bps, u32 burst_bytes)
{
	memset(rates, 0, sizeof(*rates));
	if (rate_pps) {
		rates->pkt_interval_ns = div_u64(NSEC_PER_SEC, rate_pps);
		rates->pkt_tolerance_ns = (u64)burst_pkts *
					  rates->pkt_interval_ns;
	}
	if (rate_bps) {
		rates->byte_cost_fp = div64_u64(IOTGUARD_SEC_FP, rate_bps);
		rates->byte_tolerance_ns = div64_u64((u64)burst_bytes *
						     NSEC_PER_SEC, rate_bps);
	}
}

/* A burst of 0 means a tenth of a second of the rate. */
void iotguard_device_set_rates(struct iotguard_device *dev, u32 rate_pps,
			       u32 burst_pkts, u64 rate_bps, u32 burst_bytes)
{
	if (!burst_pkts)
		burst_pkts = max_t(u32, rate_pps / 10, 1);
	if (!burst_bytes)
		burst_bytes = clamp_t(u64, div_u64(rate_bps, 10),
				      IOTGUARD_MIN_BURST_BYTES, U32_MAX);
	dev->rate_pps = rate_pps;
	dev->burst_pkts = burst_pkts;
	dev->rate_bps = rate_bps;
	dev->burst_bytes = burst_bytes;
	iotguard_rates_init(&dev->rates, rate_pps, burst_pkts, rate_bps,
			    burst_bytes);
}

/*
 * Safe in any context; the device stays valid while the caller holds
 * rcu_read_lock() or in->lock.
 */
struct iotguard_device *iotguard_device_lookup(struct iotguard_net *in,
					       const struct iotguard_devkey *key)
{
	return rhashtable_lookup_fast(&in->devices, key, device_params);
}

/*
 * The data path's lookup, in the table of net: one call per frame, and for
 * callers inside an RCU read-side critical section already, so that it does
 * not enter a nested one.
 */
struct iotguard_device *
iotguard_device_lookup_rcu(const struct net *net,
			   const struct iotguard_devkey *key)
{
	return rhashtable_lookup(&iotguard_net(net)->devices, key,
				 device_params);
}

/*
 * The device whose IPv6 prefix holds addr, longest prefix first, as a
 * route lookup would choose: one hash lookup per prefix length in use.
 * Caller is in an RCU read-side critical section.
 */
struct iotguard_device *
iotguard_device_lookup_prefix_rcu(const struct net *net,
				  const struct in6_addr *addr)
{
	struct iotguard_net *in = iotguard_net(net);
	struct iotguard_device *dev;
	struct iotguard_devkey key;
	struct in6_addr prefix;
	int word, bit;
	u64 lens;

	memset(&key, 0, sizeof(key));
	key.family = AF_INET6;
	for (word = IOTGUARD_PREFIX_WORDS - 1; word >= 0; word--) {
		lens = READ_ONCE(in->prefix_lens[word]);
		while (lens) {
			bit = fls64(lens) - 1;
			lens &= ~BIT_ULL(bit);
			key.plen = word * 64 + bit;
			ipv6_addr_prefix(&prefix, addr, key.plen);
			memcpy(key.addr, &prefix, sizeof(prefix));
			dev = rhashtable_lookup(&in->devices, &key,
						device_params);
			if (dev)
				return dev;
		}
	}
	return NULL;
}

/* A device enrolled by MAC is found by its key: only the others are here. */
static bool in_by_mac(const struct iotguard_device *dev)
{
	return dev->mac_bound && dev->key.family != AF_PACKET;
}

/*
 * The device that sends from mac: enrolled by it, else enrolled by address
 * with mac bound (the first found, where several bind it). Caller is in an
 * RCU read-side critical section.
 */
struct iotguard_device *
iotguard_device_by_mac_rcu(const struct net *net, const u8 *mac)
{
	struct iotguard_net *in = iotguard_net(net);
	struct iotguard_device *dev;
	struct iotguard_devkey key;
	struct rhlist_head *list;

	memset(&key, 0, sizeof(key));
	key.family = AF_PACKET;
	ether_addr_copy(key.addr, mac);
	dev = rhashtable_lookup(&in->devices, &key, device_params);
	if (dev)
		return dev;
	list = rhltable_lookup(&in->by_mac, mac, mac_params);
	return list ? container_of(list, struct iotguard_device, mac_node) :
		      NULL;
}

/* Caller holds in->lock; a device enrolled by a prefix comes or goes. */
static void prefix_ref(struct iotguard_net *in, u8 plen, bool get)
{
	u64 *word = &in->prefix_lens[plen / 64];
	u64 bit = BIT_ULL(plen % 64);

	if (get && !in->prefix_refs[plen]++)
		WRITE_ONCE(*word, *word | bit);
	else if (!get && !--in->prefix_refs[plen])
		WRITE_ONCE(*word, *word & ~bit);
}

static void bump_generation(struct iotguard_net *in)
{
	u32 gen = in->generation + 1;

	WRITE_ONCE(in->generation, gen ?: 1);
}

/*
 * Fails when in holds as many devices as its limit, the lowest of
 * max_devices, netns_max_devices and, for a namespace that a non-initial
 * user namespace owns, userns_max_devices; says which.
 */
static int check_limit(const struct iotguard_net *in,
		       struct netlink_ext_ack *extack)
{
	/* The limits may be written at any time: each is read once. */
	unsigned int netns = min(READ_ONCE(iotguard_netns_max_devices),
				 iotguard_max_devices);
	unsigned int userns = READ_ONCE(iotguard_userns_max_devices);

	if (in->user_owned && userns < netns && in->count >= userns) {
		NL_SET_ERR_MSG(extack,
			       "Device limit of a network namespace that a non-initial user namespace owns reached (module parameter userns_max_devices)");
		return -ENOSPC;
	}
	if (in->count < netns)
		return 0;
	if (netns < iotguard_max_devices)
		NL_SET_ERR_MSG(extack,
			       "Device limit of the network namespace reached (module parameter netns_max_devices)");
	else
		NL_SET_ERR_MSG(extack,
			       "Device table full (module parameter max_devices)");
	return -ENOSPC;
}

/* Caller holds in->lock. Never 0, so that 0 means "none seen" to programs. */
u32 iotguard_device_next_rate_seq(struct iotguard_net *in)
{
	lockdep_assert_held(&in->lock);

	in->next_rate_seq = in->next_rate_seq + 1 ?: 1;
	return in->next_rate_seq;
}

/* Caller holds in->lock. Assigns the index, the cookie and the rate_seq. */
int iotguard_device_insert(struct iotguard_net *in,
			   struct iotguard_device *dev,
			   struct netlink_ext_ack *extack)
{
	u32 index;
	int ret;

	lockdep_assert_held(&in->lock);

	if (iotguard_device_lookup(in, &dev->key)) {
		NL_SET_ERR_MSG(extack, "Device already enrolled");
		return -EEXIST;
	}
	ret = check_limit(in, extack);
	if (ret)
		return ret;

	/*
	 * Reserved (NULL), not published: a dump and the kfuncs read
	 * by_index under RCU alone, and must not find the device before its
	 * index and cookie are set, nor after a failed insert frees it.
	 */
	ret = xa_alloc(&in->by_index, &index, NULL,
		       XA_LIMIT(0, iotguard_max_devices - 1),
		       GFP_KERNEL_ACCOUNT);
	if (ret == -EBUSY) {
		NL_SET_ERR_MSG(extack,
			       "Device table full (module parameter max_devices)");
		return -ENOSPC;
	}
	if (ret) {
		NL_SET_ERR_MSG(extack, "Unable to allocate a device index");
		return ret;
	}

	dev->index = index;
	in->next_cookie = in->next_cookie + 1 ?: 1;
	dev->cookie = in->next_cookie;
	dev->rate_seq = iotguard_device_next_rate_seq(in);

	ret = rhashtable_insert_fast(&in->devices, &dev->node, device_params);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Unable to insert the device");
		goto err_index;
	}
	if (in_by_mac(dev)) {
		ret = rhltable_insert(&in->by_mac, &dev->mac_node, mac_params);
		if (ret) {
			NL_SET_ERR_MSG(extack, "Unable to index the device's MAC");
			goto err_devices;
		}
	}
	/* The slot is reserved: storing in it allocates nothing. */
	xa_store(&in->by_index, index, dev, GFP_KERNEL_ACCOUNT);
	if (dev->key.plen)
		prefix_ref(in, dev->key.plen, true);
	in->count++;
	bump_generation(in);
	return 0;

err_devices:
	rhashtable_remove_fast(&in->devices, &dev->node, device_params);
	/* Looked up since it was inserted: wait before the caller frees it. */
	synchronize_rcu();
err_index:
	xa_erase(&in->by_index, index);
	return ret;
}

/*
 * Caller holds in->lock. Publishes new in place of old (same key, index and
 * cookie) and frees old after a grace period.
 */
int iotguard_device_replace(struct iotguard_net *in,
			    struct iotguard_device *old,
			    struct iotguard_device *new)
{
	int ret;

	lockdep_assert_held(&in->lock);

	/* For a moment both versions are in by_mac: either is the device. */
	if (in_by_mac(new)) {
		ret = rhltable_insert(&in->by_mac, &new->mac_node, mac_params);
		if (ret)
			return ret;
	}
	ret = rhashtable_replace_fast(&in->devices, &old->node, &new->node,
				      device_params);
	if (ret)
		goto err_by_mac;
	if (in_by_mac(old))
		rhltable_remove(&in->by_mac, &old->mac_node, mac_params);
	/* The slot exists: storing over it allocates nothing. */
	xa_store(&in->by_index, old->index, new, GFP_KERNEL_ACCOUNT);
	bump_generation(in);
	call_rcu(&old->rcu, device_free_rcu);
	return 0;

err_by_mac:
	if (in_by_mac(new)) {
		rhltable_remove(&in->by_mac, &new->mac_node, mac_params);
		synchronize_rcu();
	}
	return ret;
}

/* Caller holds in->lock. Frees dev after a grace period. */
void iotguard_device_remove(struct iotguard_net *in,
			    struct iotguard_device *dev)
{
	lockdep_assert_held(&in->lock);

	rhashtable_remove_fast(&in->devices, &dev->node, device_params);
	if (in_by_mac(dev))
		rhltable_remove(&in->by_mac, &dev->mac_node, mac_params);
	xa_erase(&in->by_index, dev->index);
	iotguard_lease_forget(in, dev);
	if (dev->key.plen)
		prefix_ref(in, dev->key.plen, false);
	in->count--;
	bump_generation(in);
	call_rcu(&dev->rcu, device_free_rcu);
}

static int __net_init iotguard_net_init(struct net *net)
{
	struct iotguard_net *in = iotguard_net(net);
	int ret;

	xa_init_flags(&in->by_index, XA_FLAGS_ALLOC | XA_FLAGS_ACCOUNT);
	mutex_init(&in->lock);
	iotguard_enroll_net_init(in);
	in->user_owned = net->user_ns != &init_user_ns;
	in->generation = 1;
	/*
	 * A device enrolled again after a reload gets another cookie, so that
	 * a daemon tells it from the one it remembers (UAPI).
	 */
	in->next_cookie = get_random_u32();
	ret = rhashtable_init(&in->devices, &device_params);
	if (ret)
		return ret;
	ret = rhltable_init(&in->by_mac, &mac_params);
	if (ret)
		goto err_devices;
	ret = iotguard_lease_net_init(in);
	if (ret)
		goto err_by_mac;
	return 0;

err_by_mac:
	rhltable_destroy(&in->by_mac);
err_devices:
	rhashtable_destroy(&in->devices);
	return ret;
}

static void __net_exit iotguard_net_exit(struct net *net)
{
	struct iotguard_net *in = iotguard_net(net);
	struct iotguard_device *dev;
	unsigned long index;

	mutex_lock(&in->lock);
	xa_for_each(&in->by_index, index, dev)
		iotguard_device_remove(in, dev);
	iotguard_enroll_net_exit(in);
	mutex_unlock(&in->lock);
	iotguard_lease_net_exit(in);
	rhltable_destroy(&in->by_mac);
	rhashtable_destroy(&in->devices);
	xa_destroy(&in->by_index);
}

static struct pernet_operations iotguard_net_ops = {
	.init = iotguard_net_init,
	.exit = iotguard_net_exit,
	.id = &iotguard_net_id,
	.size = sizeof(struct iotguard_net),
};

int iotguard_device_init(void)
{
	int ret;

	device_cache = KMEM_CACHE(iotguard_device, SLAB_ACCOUNT);
	if (!device_cache)
		return -ENOMEM;

	ret = register_pernet_subsys(&iotguard_net_ops);
	if (ret)
		goto err_cache;
	return 0;

err_cache:
	kmem_cache_destroy(device_cache);
	return ret;
}

void iotguard_device_exit(void)
{
	unregister_pernet_subsys(&iotguard_net_ops);
	/* Wait for device_free_rcu() callbacks before the cache goes. */
	rcu_barrier();
	kmem_cache_destroy(device_cache);
}
