// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The iotguard authors.
 *
 * The generic netlink control plane: DEVICE_NEW (one device or a list),
 * _SET, _DEL and _GET, ALERT, and the events multicast group.
 * include/uapi/linux/iotguard.h documents it.
 */

#include "netlink.h"
#include "cred.h"
#include "device.h"
#include "enroll.h"
#include "lease.h"

#include <linux/etherdevice.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/stringify.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/netlink.h>

static struct genl_family genl_family;

enum {
	IOTGUARD_MCGRP_EVENTS_ID,
};

/*
 * Events carry every device's addresses, MAC and alerts: only CAP_NET_ADMIN
 * in the namespace's user namespace may listen. A kernel without
 * GENL_MCAST_CAP_NET_ADMIN (added late in 2023 and backported to the stable
 * series; Debian 12's 6.1 has it) lets anyone join a generic netlink group:
 * the module refuses to build for it rather than leak.
 */
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "iotguard needs GENL_MCAST_CAP_NET_ADMIN: else anyone may join its events group"
#endif

static const struct genl_multicast_group genl_mcgrps[] = {
	[IOTGUARD_MCGRP_EVENTS_ID] = {
		.name = IOTGUARD_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

/* 1 ns per packet and 1/1024 ns per byte are the finest the data path has. */
static struct netlink_range_validation rate_pps_range = {
	.max = NSEC_PER_SEC,
};

static struct netlink_range_validation rate_bps_range = {
	.max = IOTGUARD_SEC_FP,
};

static struct netlink_range_validation epoch_seconds_range = {
	.min = IOTGUARD_CRED_EPOCH_SECONDS_MIN,
	.max = S32_MAX,
};

#define IDENTITY_POLICY							\
	[IOTGUARD_A_DEVICE_IPV4] = { .type = NLA_BE32 },		\
	[IOTGUARD_A_DEVICE_IPV6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)), \
	[IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN] = NLA_POLICY_RANGE(NLA_U8, 1, 128)

#define DEVICE_POLICY							\
	[IOTGUARD_A_DEVICE_MAC] = NLA_POLICY_ETH_ADDR,			\
	[IOTGUARD_A_DEVICE_NAME] = { .type = NLA_NUL_STRING,		\
				     .len = IOTGUARD_DEVICE_NAME_LEN - 1 }, \
	[IOTGUARD_A_DEVICE_STATE] = NLA_POLICY_RANGE(NLA_U8,		\
						     IOTGUARD_STATE_ALLOW, \
						     IOTGUARD_STATE_MAX), \
	[IOTGUARD_A_DEVICE_CLASS] = { .type = NLA_U16 },		\
	[IOTGUARD_A_DEVICE_RATE_PPS] = NLA_POLICY_FULL_RANGE(NLA_U32,	\
							     &rate_pps_range), \
	[IOTGUARD_A_DEVICE_BURST_PKTS] = { .type = NLA_U32 },		\
	[IOTGUARD_A_DEVICE_RATE_BPS] = NLA_POLICY_FULL_RANGE(NLA_U64,	\
							     &rate_bps_range), \
	[IOTGUARD_A_DEVICE_BURST_BYTES] = { .type = NLA_U32 },		\
	[IOTGUARD_A_DEVICE_FLAGS] = NLA_POLICY_MASK(NLA_U32,		\
						    __IOTGUARD_DEVICE_F_ALL), \
	[IOTGUARD_A_DEVICE_CRED_MODE] = NLA_POLICY_MAX(NLA_U8,		\
						       IOTGUARD_CRED_MAX), \
	[IOTGUARD_A_DEVICE_CRED_KEY] =					\
		NLA_POLICY_EXACT_LEN(IOTGUARD_CRED_KEY_LEN),		\
	[IOTGUARD_A_DEVICE_CRED_EXPIRES] = { .type = NLA_U64 },		\
	[IOTGUARD_A_DEVICE_CRED_EPOCH] = { .type = NLA_U32 },		\
	[IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS] =			\
		NLA_POLICY_FULL_RANGE(NLA_U32, &epoch_seconds_range),	\
	IDENTITY_POLICY

/* SET, and each device of a NEW list. */
static const struct nla_policy device_change_policy[IOTGUARD_A_MAX + 1] = {
	DEVICE_POLICY,
};

static const struct nla_policy device_list_policy[IOTGUARD_A_DEVICE + 1] = {
	[IOTGUARD_A_DEVICE] = NLA_POLICY_NESTED(device_change_policy),
};

/* One device, or a list of them (alone: checked). */
static const struct nla_policy device_new_policy[IOTGUARD_A_MAX + 1] = {
	DEVICE_POLICY,
	[IOTGUARD_A_DEVICES] = NLA_POLICY_NESTED(device_list_policy),
};

/* DEL and GET take the identity only; a dump takes nothing (checked). */
static const struct nla_policy device_id_policy[IOTGUARD_A_MAX + 1] = {
	IDENTITY_POLICY,
	[IOTGUARD_A_DEVICE_MAC] = NLA_POLICY_ETH_ADDR,
};

/* ALERT names the device as a dump does; the rest is passed on. */
static const struct nla_policy alert_policy[IOTGUARD_A_MAX + 1] = {
	[IOTGUARD_A_DEVICE_INDEX] = { .type = NLA_U32 },
	[IOTGUARD_A_DEVICE_COOKIE] = { .type = NLA_U32 },
	[IOTGUARD_A_ALERT_DETECTOR] = NLA_POLICY_MAX(NLA_U8,
						     IOTGUARD_ALERT_DET_MAX),
	[IOTGUARD_A_ALERT_SCORE] = { .type = NLA_U32 },
	[IOTGUARD_A_ALERT_ACTION] = NLA_POLICY_MAX(NLA_U8,
						   IOTGUARD_ALERT_ACT_MAX),
	[IOTGUARD_A_ALERT_TEXT] = { .type = NLA_NUL_STRING,
				    .len = IOTGUARD_ALERT_TEXT_LEN - 1 },
	[IOTGUARD_A_ALERT_FLAGS] = NLA_POLICY_MASK(NLA_U32,
						   __IOTGUARD_ALERT_F_ALL),
};

static struct netlink_range_validation enroll_ttl_range = {
	.min = 1,
	.max = IOTGUARD_ENROLL_TTL_MAX,
};

/* ENROLL_NEW: the device, the code's life and the credential it gives. */
static const struct nla_policy enroll_new_policy[IOTGUARD_A_MAX + 1] = {
	IDENTITY_POLICY,
	[IOTGUARD_A_DEVICE_MAC] = NLA_POLICY_ETH_ADDR,
	[IOTGUARD_A_ENROLL_TTL] = NLA_POLICY_FULL_RANGE(NLA_U32,
							&enroll_ttl_range),
	[IOTGUARD_A_DEVICE_CRED_MODE] = NLA_POLICY_RANGE(NLA_U8,
							 IOTGUARD_CRED_AUTH,
							 IOTGUARD_CRED_SEAL),
	[IOTGUARD_A_DEVICE_CRED_EXPIRES] = { .type = NLA_U64 },
	[IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &epoch_seconds_range),
};

/* ENROLL_HELLO: the datagram the daemon received. */
static const struct nla_policy enroll_hello_policy[IOTGUARD_A_MAX + 1] = {
	[IOTGUARD_A_ENROLL_PAYLOAD] =
		NLA_POLICY_EXACT_LEN(IOTGUARD_ENROLL_HELLO_LEN),
	[IOTGUARD_A_ENROLL_SADDR] = NLA_POLICY_MIN_LEN(sizeof(struct in_addr)),
	[IOTGUARD_A_ENROLL_DADDR] = NLA_POLICY_MIN_LEN(sizeof(struct in_addr)),
	[IOTGUARD_A_ENROLL_SPORT] = { .type = NLA_U16 },
	[IOTGUARD_A_ENROLL_DPORT] = { .type = NLA_U16 },
};

/* An IPv6 identity's prefix length: 0 for an address (128 or none). */
static int parse_prefix_len(struct nlattr *attr, const struct in6_addr *addr,
			    struct netlink_ext_ack *extack, u8 *plen)
{
	struct in6_addr prefix;

	*plen = attr ? nla_get_u8(attr) : 128;
	if (*plen == 128) {
		*plen = 0;
		return 0;
	}
	ipv6_addr_prefix(&prefix, addr, *plen);
	if (!ipv6_addr_equal(&prefix, addr)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "The prefix has host bits set");
		return -EINVAL;
	}
	return 0;
}

static int parse_identity(struct nlattr **attrs, struct netlink_ext_ack *extack,
			  struct iotguard_devkey *key)
{
	struct nlattr *plen = attrs[IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN];
	struct nlattr *v4 = attrs[IOTGUARD_A_DEVICE_IPV4];
	struct nlattr *v6 = attrs[IOTGUARD_A_DEVICE_IPV6];
	struct nlattr *mac = attrs[IOTGUARD_A_DEVICE_MAC];

	memset(key, 0, sizeof(*key));
	if (v4 && v6) {
		NL_SET_ERR_MSG_ATTR(extack, v6,
				    "A device has one identity: IPv4 or IPv6");
		return -EINVAL;
	}
	if (plen && !v6) {
		NL_SET_ERR_MSG_ATTR(extack, plen,
				    "A prefix length goes with an IPv6 identity");
		return -EINVAL;
	}
	if (v4) {
		__be32 addr = nla_get_in_addr(v4);

		if (!iotguard_ipv4_is_unicast(addr)) {
			NL_SET_ERR_MSG_ATTR(extack, v4,
					    "Identity must be a unicast address");
			return -EINVAL;
		}
		memcpy(key->addr, &addr, sizeof(addr));
		key->family = AF_INET;
		return 0;
	}
	if (v6) {
		struct in6_addr addr = nla_get_in6_addr(v6);

		if (ipv6_addr_any(&addr) || ipv6_addr_is_multicast(&addr)) {
			NL_SET_ERR_MSG_ATTR(extack, v6,
					    "Identity must be a unicast address");
			return -EINVAL;
		}
		memcpy(key->addr, &addr, sizeof(addr));
		key->family = AF_INET6;
		return parse_prefix_len(plen, &addr, extack, &key->plen);
	}
	if (mac) {
		if (!is_valid_ether_addr(nla_data(mac))) {
			NL_SET_ERR_MSG_ATTR(extack, mac,
					    "Identity must be a unicast MAC");
			return -EINVAL;
		}
		ether_addr_copy(key->addr, nla_data(mac));
		key->family = AF_PACKET;
		return 0;
	}
	NL_SET_ERR_MSG(extack,
		       "Missing device identity (IPv4 or IPv6 address, or MAC)");
	return -EINVAL;
}

static bool is_automatic(struct nlattr **attrs)
{
	struct nlattr *flags = attrs[IOTGUARD_A_DEVICE_FLAGS];

	return flags && (nla_get_u32(flags) & IOTGUARD_DEVICE_F_AUTO);
}

/*
 * A daemon's change sets the state alone, and never a pinned device's: the
 * check runs under the table's lock, so that a pin that came first wins.
 */
static int check_automatic(const struct iotguard_device *old,
			   struct nlattr **attrs,
			   struct netlink_ext_ack *extack)
{
	static const int not_automatic[] = {
		IOTGUARD_A_DEVICE_NAME, IOTGUARD_A_DEVICE_CLASS,
		IOTGUARD_A_DEVICE_RATE_PPS, IOTGUARD_A_DEVICE_BURST_PKTS,
		IOTGUARD_A_DEVICE_RATE_BPS, IOTGUARD_A_DEVICE_BURST_BYTES,
		IOTGUARD_A_DEVICE_CRED_MODE, IOTGUARD_A_DEVICE_CRED_KEY,
		IOTGUARD_A_DEVICE_CRED_EXPIRES, IOTGUARD_A_DEVICE_CRED_EPOCH,
		IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS,
	};
	struct nlattr *flags = attrs[IOTGUARD_A_DEVICE_FLAGS];
	unsigned int i;

	if (!is_automatic(attrs))
		return 0;
	if (nla_get_u32(flags) != IOTGUARD_DEVICE_F_AUTO) {
		NL_SET_ERR_MSG_ATTR(extack, flags,
				    "An automatic change cannot pin");
		return -EINVAL;
	}
	if (!attrs[IOTGUARD_A_DEVICE_STATE]) {
		NL_SET_ERR_MSG_ATTR(extack, flags,
				    "An automatic change must set the state");
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(not_automatic); i++) {
		if (attrs[not_automatic[i]]) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[not_automatic[i]],
					    "An automatic change sets the state only");
			return -EINVAL;
		}
	}
	/* The MAC is the identity of a device enrolled by MAC only. */
	if (attrs[IOTGUARD_A_DEVICE_MAC] && old->key.family != AF_PACKET) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[IOTGUARD_A_DEVICE_MAC],
				    "An automatic change sets the state only");
		return -EINVAL;
	}
	if (old->flags & IOTGUARD_DEVICE_F_PINNED) {
		NL_SET_ERR_MSG(extack, "The operator pinned the device's state");
		return -EPERM;
	}
	return 0;
}

/*
 * A credential is set whole, with its key (UAPI): a new key starts a new
 * credential, with its own epochs and window, never one that would accept
 * again what the old one accepted. The unpublished device's reference to
 * the credential in force is dropped; the published version keeps its own.
 */
static int apply_cred(struct iotguard_device *dev, struct nlattr **attrs,
		      struct netlink_ext_ack *extack)
{
	struct nlattr *epoch_secs = attrs[IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS];
	struct nlattr *expires = attrs[IOTGUARD_A_DEVICE_CRED_EXPIRES];
	struct nlattr *epoch = attrs[IOTGUARD_A_DEVICE_CRED_EPOCH];
	struct nlattr *mode = attrs[IOTGUARD_A_DEVICE_CRED_MODE];
	struct nlattr *key = attrs[IOTGUARD_A_DEVICE_CRED_KEY];
	struct iotguard_cred *cred = NULL;

	if (!mode && !key && !expires && !epoch_secs && !epoch)
		return 0;
	if (!key) {
		if (!mode || nla_get_u8(mode) != IOTGUARD_CRED_NONE) {
			NL_SET_ERR_MSG_ATTR(extack,
					    mode ?: expires ?: epoch_secs ?: epoch,
					    "A credential is set whole, with its key");
			return -EINVAL;
		}
		if (expires || epoch_secs || epoch) {
			NL_SET_ERR_MSG_ATTR(extack, expires ?: epoch_secs ?: epoch,
					    "No credential: nothing to set");
			return -EINVAL;
		}
	} else {
		if (!mode || nla_get_u8(mode) == IOTGUARD_CRED_NONE) {
			NL_SET_ERR_MSG_ATTR(extack, mode ?: key,
					    "A key needs a credential mode: auth or seal");
			return -EINVAL;
		}
		cred = iotguard_cred_new(nla_get_u8(mode), nla_data(key),
					 epoch ? nla_get_u32(epoch) : 0,
					 expires ? nla_get_u64(expires) : 0,
					 epoch_secs ? nla_get_u32(epoch_secs) :
					 IOTGUARD_CRED_EPOCH_SECONDS_DEFAULT);
		if (!cred)
			return -ENOMEM;
	}
	iotguard_cred_put(dev->cred);
	dev->cred = cred;
	dev->cred_revoked = false;
	return 0;
}

/* Applies the optional attributes of NEW and SET to an unpublished device. */
static int apply_attrs(struct iotguard_device *dev, struct nlattr **attrs,
		       struct netlink_ext_ack *extack)
{
	u32 rate_pps = dev->rate_pps, burst_pkts = dev->burst_pkts;
	u32 burst_bytes = dev->burst_bytes;
	u64 rate_bps = dev->rate_bps;

	if (attrs[IOTGUARD_A_DEVICE_MAC]) {
		const u8 *mac = nla_data(attrs[IOTGUARD_A_DEVICE_MAC]);

		if (is_multicast_ether_addr(mac)) {
			NL_SET_ERR_MSG_ATTR(extack,
					    attrs[IOTGUARD_A_DEVICE_MAC],
					    "MAC binding must be a unicast address");
			return -EINVAL;
		}
		ether_addr_copy(dev->mac, mac);
		dev->mac_bound = !is_zero_ether_addr(mac);
	}
	if (attrs[IOTGUARD_A_DEVICE_NAME])
		nla_strscpy(dev->name, attrs[IOTGUARD_A_DEVICE_NAME],
			    sizeof(dev->name));
	if (attrs[IOTGUARD_A_DEVICE_STATE])
		dev->state = nla_get_u8(attrs[IOTGUARD_A_DEVICE_STATE]);
	if (attrs[IOTGUARD_A_DEVICE_CLASS])
		dev->class = nla_get_u16(attrs[IOTGUARD_A_DEVICE_CLASS]);
	if (attrs[IOTGUARD_A_DEVICE_FLAGS])
		dev->flags = nla_get_u32(attrs[IOTGUARD_A_DEVICE_FLAGS]) |
			     (dev->flags & IOTGUARD_DEVICE_F_AUTO);
	/* An operator's state, or pin, makes the state theirs (UAPI). */
	if (!is_automatic(attrs) &&
	    (attrs[IOTGUARD_A_DEVICE_STATE] ||
	     (dev->flags & IOTGUARD_DEVICE_F_PINNED)))
		dev->flags &= ~IOTGUARD_DEVICE_F_AUTO;

	/* A new rate without a new burst gets the new rate's default burst. */
	if (attrs[IOTGUARD_A_DEVICE_RATE_PPS]) {
		rate_pps = nla_get_u32(attrs[IOTGUARD_A_DEVICE_RATE_PPS]);
		burst_pkts = 0;
	}
	if (attrs[IOTGUARD_A_DEVICE_BURST_PKTS])
		burst_pkts = nla_get_u32(attrs[IOTGUARD_A_DEVICE_BURST_PKTS]);
	if (attrs[IOTGUARD_A_DEVICE_RATE_BPS]) {
		rate_bps = nla_get_u64(attrs[IOTGUARD_A_DEVICE_RATE_BPS]);
		burst_bytes = 0;
	}
	if (attrs[IOTGUARD_A_DEVICE_BURST_BYTES])
		burst_bytes = nla_get_u32(attrs[IOTGUARD_A_DEVICE_BURST_BYTES]);
	iotguard_device_set_rates(dev, rate_pps, burst_pkts, rate_bps,
				  burst_bytes);
	return apply_cred(dev, attrs, extack);
}

/* A device enrolled by MAC has it as its only identity: MAC carries it. */
static int put_identity(struct sk_buff *skb, const struct iotguard_devkey *key)
{
	__be32 v4;

	if (key->family == AF_PACKET)
		return 0;
	if (key->family == AF_INET6) {
		if (nla_put(skb, IOTGUARD_A_DEVICE_IPV6,
			    sizeof(struct in6_addr), key->addr))
			return -EMSGSIZE;
		if (key->plen &&
		    nla_put_u8(skb, IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN,
			       key->plen))
			return -EMSGSIZE;
		return 0;
	}
	memcpy(&v4, key->addr, sizeof(v4));
	return nla_put_in_addr(skb, IOTGUARD_A_DEVICE_IPV4, v4);
}

/* A device enrolled by MAC: the address it leased, while the lease lasts. */
static int put_lease(struct sk_buff *skb, struct iotguard_net *in,
		     const struct iotguard_device *dev)
{
	const struct iotguard_lease *lease;
	__be32 addr = 0;
	u32 left = 0;

	rcu_read_lock();
	lease = iotguard_lease_of_rcu(in, dev);
	if (lease) {
		memcpy(&addr, lease->key.addr, sizeof(addr));
		left = iotguard_lease_seconds_left(lease);
	}
	rcu_read_unlock();
	if (!addr)
		return 0;
	if (nla_put_in_addr(skb, IOTGUARD_A_DEVICE_LEASE_IPV4, addr) ||
	    nla_put_u32(skb, IOTGUARD_A_DEVICE_LEASE_SECONDS, left))
		return -EMSGSIZE;
	return 0;
}

/* Never the key: its id, so that keys can be told apart. */
static int put_credential(struct sk_buff *skb, const struct iotguard_device *dev)
{
	const struct iotguard_cred *cred = dev->cred;

	if (dev->cred_revoked &&
	    nla_put_flag(skb, IOTGUARD_A_DEVICE_CRED_REVOKED))
		return -EMSGSIZE;
	if (!cred)
		return 0;
	if (nla_put_u8(skb, IOTGUARD_A_DEVICE_CRED_MODE, cred->mode) ||
	    nla_put_u32(skb, IOTGUARD_A_DEVICE_CRED_KEY_ID, cred->key_id) ||
	    nla_put_u64_64bit(skb, IOTGUARD_A_DEVICE_CRED_EXPIRES,
			      cred->expires, IOTGUARD_A_PAD) ||
	    nla_put_u32(skb, IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS,
			cred->epoch_seconds) ||
	    nla_put_u32(skb, IOTGUARD_A_DEVICE_CRED_EPOCH,
			iotguard_cred_epoch(cred)))
		return -EMSGSIZE;
	return 0;
}

static int put_device_attrs(struct sk_buff *skb, struct iotguard_net *in,
			    const struct iotguard_device *dev)
{
	if (put_identity(skb, &dev->key) ||
	    put_lease(skb, in, dev) ||
	    nla_put_string(skb, IOTGUARD_A_DEVICE_NAME, dev->name) ||
	    nla_put(skb, IOTGUARD_A_DEVICE_MAC, ETH_ALEN, dev->mac) ||
	    nla_put_u8(skb, IOTGUARD_A_DEVICE_STATE, dev->state) ||
	    nla_put_u16(skb, IOTGUARD_A_DEVICE_CLASS, dev->class) ||
	    nla_put_u32(skb, IOTGUARD_A_DEVICE_RATE_PPS, dev->rate_pps) ||
	    nla_put_u32(skb, IOTGUARD_A_DEVICE_BURST_PKTS, dev->burst_pkts) ||
	    nla_put_u64_64bit(skb, IOTGUARD_A_DEVICE_RATE_BPS, dev->rate_bps,
			      IOTGUARD_A_PAD) ||
	    nla_put_u32(skb, IOTGUARD_A_DEVICE_BURST_BYTES, dev->burst_bytes) ||
	    nla_put_u32(skb, IOTGUARD_A_DEVICE_FLAGS, dev->flags) ||
	    nla_put_u32(skb, IOTGUARD_A_DEVICE_INDEX, dev->index) ||
	    nla_put_u32(skb, IOTGUARD_A_DEVICE_COOKIE, dev->cookie) ||
	    nla_put_u32(skb, IOTGUARD_A_DEVICE_STATE_SECONDS,
			min_t(time64_t, ktime_get_boottime_seconds() -
				  dev->state_since, U32_MAX)) ||
	    put_credential(skb, dev))
		return -EMSGSIZE;
	return 0;
}

static int fill_device(struct sk_buff *skb, struct iotguard_net *in,
		       const struct iotguard_device *dev,
		       u32 portid, u32 seq, int flags, u8 cmd,
		       struct netlink_callback *cb)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	if (put_device_attrs(skb, in, dev)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* A lost event (no memory) is not an error for the change itself. */
static void notify_gfp(struct net *net, const struct iotguard_device *dev,
		       u8 cmd, gfp_t gfp)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&genl_family, net, IOTGUARD_MCGRP_EVENTS_ID))
		return;

	skb = genlmsg_new(NLMSG_GOODSIZE, gfp);
	if (!skb)
		return;
	if (fill_device(skb, iotguard_net(net), dev, 0, 0, 0, cmd, NULL)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_multicast_netns(&genl_family, net, skb, 0,
				IOTGUARD_MCGRP_EVENTS_ID, gfp);
}

/* Caller holds in->lock, so events leave in the order of the changes. */
static void notify(struct net *net, const struct iotguard_device *dev, u8 cmd)
{
	notify_gfp(net, dev, cmd, GFP_KERNEL);
}

/**
 * iotguard_genetlink_notify_lease - announce a lease that began or ended
 * @net: the device's namespace
 * @dev: the device, as the caller's RCU read side sees it
 *
 * From the programs' kfuncs, in any context: not ordered with the changes
 * made over netlink.
 */
void iotguard_genetlink_notify_lease(struct net *net,
				     const struct iotguard_device *dev)
{
	notify_gfp(net, dev, IOTGUARD_CMD_LEASE, GFP_ATOMIC);
}

/* The device as GET shows it, then the alert as the request gave it. */
static int fill_alert(struct sk_buff *skb, struct iotguard_net *in,
		      const struct iotguard_device *dev, struct nlattr **attrs)
{
	struct nlattr *flags = attrs[IOTGUARD_A_ALERT_FLAGS];
	void *hdr;

	hdr = genlmsg_put(skb, 0, 0, &genl_family, 0, IOTGUARD_CMD_ALERT);
	if (!hdr)
		return -EMSGSIZE;
	if (put_device_attrs(skb, in, dev) ||
	    nla_put_u8(skb, IOTGUARD_A_ALERT_DETECTOR,
		       nla_get_u8(attrs[IOTGUARD_A_ALERT_DETECTOR])) ||
	    nla_put_u32(skb, IOTGUARD_A_ALERT_SCORE,
			nla_get_u32(attrs[IOTGUARD_A_ALERT_SCORE])) ||
	    nla_put_u8(skb, IOTGUARD_A_ALERT_ACTION,
		       nla_get_u8(attrs[IOTGUARD_A_ALERT_ACTION])) ||
	    nla_put_string(skb, IOTGUARD_A_ALERT_TEXT,
			   nla_data(attrs[IOTGUARD_A_ALERT_TEXT])) ||
	    nla_put_u32(skb, IOTGUARD_A_ALERT_FLAGS,
			flags ? nla_get_u32(flags) : 0)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * Under in->lock, like the changes, so that an alert never reaches the
 * listeners after the deletion of its device.
 */
static int alert_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct iotguard_net *in = iotguard_net(net);
	struct nlattr **attrs = info->attrs;
	const struct iotguard_device *dev;
	struct sk_buff *msg;
	u32 index;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, IOTGUARD_A_DEVICE_INDEX) ||
	    GENL_REQ_ATTR_CHECK(info, IOTGUARD_A_DEVICE_COOKIE)) {
		NL_SET_ERR_MSG(info->extack,
			       "Missing device index or cookie");
		return -EINVAL;
	}
	if (GENL_REQ_ATTR_CHECK(info, IOTGUARD_A_ALERT_DETECTOR) ||
	    GENL_REQ_ATTR_CHECK(info, IOTGUARD_A_ALERT_SCORE) ||
	    GENL_REQ_ATTR_CHECK(info, IOTGUARD_A_ALERT_ACTION) ||
	    GENL_REQ_ATTR_CHECK(info, IOTGUARD_A_ALERT_TEXT)) {
		NL_SET_ERR_MSG(info->extack,
			       "Missing alert detector, score, action or text");
		return -EINVAL;
	}
	/* The policy guarantees a NUL within the attribute. */
	if (!*(char *)nla_data(attrs[IOTGUARD_A_ALERT_TEXT])) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[IOTGUARD_A_ALERT_TEXT],
				    "Empty alert text");
		return -EINVAL;
	}
	index = nla_get_u32(attrs[IOTGUARD_A_DEVICE_INDEX]);

	mutex_lock(&in->lock);
	dev = xa_load(&in->by_index, index);
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[IOTGUARD_A_DEVICE_INDEX],
				    "No device at this index");
		ret = -ENOENT;
		goto err_unlock;
	}
	if (dev->cookie != nla_get_u32(attrs[IOTGUARD_A_DEVICE_COOKIE])) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    attrs[IOTGUARD_A_DEVICE_COOKIE],
				    "The device at this index has another cookie");
		ret = -ENOENT;
		goto err_unlock;
	}
	ret = 0;
	if (!genl_has_listeners(&genl_family, net, IOTGUARD_MCGRP_EVENTS_ID))
		goto err_unlock;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto err_unlock;
	}
	ret = fill_alert(msg, in, dev, attrs);
	if (ret) {
		NL_SET_ERR_MSG(info->extack, "Unable to build the alert event");
		nlmsg_free(msg);
		goto err_unlock;
	}
	/* A listener with a full socket buffer loses it, as any event. */
	genlmsg_multicast_netns(&genl_family, net, msg, 0,
				IOTGUARD_MCGRP_EVENTS_ID, GFP_KERNEL);

err_unlock:
	mutex_unlock(&in->lock);
	return ret;
}

/* A new device from the attributes of a request or of a list's nest. */
static int parse_new_device(struct nlattr **attrs,
			    struct netlink_ext_ack *extack,
			    struct iotguard_device **devp)
{
	struct iotguard_device *dev;
	int ret;

	dev = iotguard_device_alloc();
	if (!dev)
		return -ENOMEM;
	ret = parse_identity(attrs, extack, &dev->key);
	if (ret)
		goto err_free;
	if (dev->key.family == AF_PACKET) {
		ether_addr_copy(dev->mac, dev->key.addr);
		dev->mac_bound = true;
	}
	dev->state = IOTGUARD_STATE_ALLOW;
	dev->state_since = ktime_get_boottime_seconds();
	if (is_automatic(attrs)) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[IOTGUARD_A_DEVICE_FLAGS],
				    "An enrollment is never automatic");
		ret = -EINVAL;
		goto err_free;
	}
	ret = apply_attrs(dev, attrs, extack);
	if (ret)
		goto err_free;
	*devp = dev;
	return 0;

err_free:
	iotguard_device_free(dev);
	return ret;
}

/*
 * The attributes of a nest the request's policy validated already (types
 * known, sizes and ranges checked), by type, without validating again.
 */
static void index_nest(struct nlattr **tb, const struct nlattr *nest)
{
	struct nlattr *attr;
	int rem;

	memset(tb, 0, sizeof(*tb) * (IOTGUARD_A_MAX + 1));
	nla_for_each_nested(attr, nest, rem)
		if (nla_type(attr) <= IOTGUARD_A_MAX)
			tb[nla_type(attr)] = attr;
}

/* Points the extack at the failing nest unless it points inside already. */
static void blame_nest(struct netlink_ext_ack *extack,
		       const struct nlattr *nest)
{
	if (extack && !extack->bad_attr)
		NL_SET_BAD_ATTR(extack, nest);
}

struct new_entry {
	struct iotguard_device *dev;
	const struct nlattr *nest;
};

/*
 * NEW with IOTGUARD_A_DEVICES: every device is parsed before the table is
 * touched, inserted under one lock hold, and the ones inserted are removed
 * again if a later one fails. Events leave only for a whole list.
 */
static int device_new_list(struct genl_info *info)
{
	struct nlattr *list = info->attrs[IOTGUARD_A_DEVICES], *nest;
	struct net *net = genl_info_net(info);
	struct iotguard_net *in = iotguard_net(net);
	struct nlattr *tb[IOTGUARD_A_MAX + 1];
	unsigned int count = 0, done, i;
	struct new_entry *entries;
	int ret, rem;

	for (i = 0; i <= IOTGUARD_A_MAX; i++) {
		if (info->attrs[i] && i != IOTGUARD_A_DEVICES) {
			NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[i],
					    "IOTGUARD_A_DEVICES allows no other attribute in the request");
			return -EINVAL;
		}
	}
	/* Up to 256 answers could overrun the socket; a dump gives them. */
	if (info->nlhdr->nlmsg_flags & NLM_F_ECHO) {
		NL_SET_ERR_MSG(info->extack,
			       "NLM_F_ECHO answers a single device, not a list");
		return -EINVAL;
	}
	nla_for_each_nested(nest, list, rem)
		count++;
	if (!count || count > IOTGUARD_DEVICES_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack, list,
				    "A device list holds 1 to "
				    __stringify(IOTGUARD_DEVICES_MAX) " devices");
		return -EINVAL;
	}
	entries = kcalloc(count, sizeof(*entries), GFP_KERNEL_ACCOUNT);
	if (!entries)
		return -ENOMEM;

	i = 0;
	nla_for_each_nested(nest, list, rem) {
		entries[i].nest = nest;
		index_nest(tb, nest);
		ret = parse_new_device(tb, info->extack, &entries[i].dev);
		if (ret) {
			blame_nest(info->extack, nest);
			goto err_free;
		}
		i++;
	}

	mutex_lock(&in->lock);
	for (done = 0; done < count; done++) {
		ret = iotguard_device_insert(in, entries[done].dev,
					     info->extack);
		if (ret) {
			blame_nest(info->extack, entries[done].nest);
			goto err_remove;
		}
	}
	for (i = 0; i < count; i++)
		notify(net, entries[i].dev, IOTGUARD_CMD_DEVICE_NEW);
	mutex_unlock(&in->lock);
	kfree(entries);
	return 0;

err_remove:
	/* Published: freed after a grace period, not by us. */
	for (i = 0; i < done; i++) {
		iotguard_device_remove(in, entries[i].dev);
		entries[i].dev = NULL;
	}
	mutex_unlock(&in->lock);
err_free:
	for (i = 0; i < count; i++)
		if (entries[i].dev)
			iotguard_device_free(entries[i].dev);
	kfree(entries);
	return ret;
}

/*
 * With NLM_F_ECHO the new device comes back as GET shows it, before the
 * ACK. Its buffer is allocated first, so that the device is never enrolled
 * without its answer for want of memory.
 */
static int device_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct iotguard_net *in = iotguard_net(net);
	struct iotguard_device *dev;
	struct sk_buff *echo = NULL;
	int ret;

	if (info->attrs[IOTGUARD_A_DEVICES])
		return device_new_list(info);

	ret = parse_new_device(info->attrs, info->extack, &dev);
	if (ret)
		return ret;
	if (info->nlhdr->nlmsg_flags & NLM_F_ECHO) {
		echo = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
		if (!echo) {
			ret = -ENOMEM;
			goto err_free;
		}
	}

	mutex_lock(&in->lock);
	ret = iotguard_device_insert(in, dev, info->extack);
	if (ret) {
		mutex_unlock(&in->lock);
		goto err_free;
	}
	notify(net, dev, IOTGUARD_CMD_DEVICE_NEW);
	/* A device fits in NLMSG_GOODSIZE: GET and events rely on it too. */
	if (echo && WARN_ON_ONCE(fill_device(echo, in, dev, info->snd_portid,
					     info->snd_seq, 0,
					     IOTGUARD_CMD_DEVICE_NEW, NULL))) {
		nlmsg_free(echo);
		echo = NULL;
	}
	mutex_unlock(&in->lock);

	/*
	 * The device is enrolled whatever happens to the answer: a full
	 * receive buffer loses it as it would lose the ACK (ENOBUFS).
	 */
	if (echo)
		genlmsg_reply(echo, info);
	return 0;

err_free:
	nlmsg_free(echo);
	iotguard_device_free(dev);
	return ret;
}

/* What the data path's limiter depends on: a change starts it afresh. */
static bool limiter_changed(const struct iotguard_device *old,
			    const struct iotguard_device *new)
{
	return old->state != new->state ||
	       old->rate_pps != new->rate_pps ||
	       old->burst_pkts != new->burst_pkts ||
	       old->rate_bps != new->rate_bps ||
	       old->burst_bytes != new->burst_bytes;
}

static int device_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct iotguard_net *in = iotguard_net(net);
	struct iotguard_device *old, *new;
	struct iotguard_devkey key;
	int ret;

	ret = parse_identity(info->attrs, info->extack, &key);
	if (ret)
		return ret;

	mutex_lock(&in->lock);
	old = iotguard_device_lookup(in, &key);
	if (!old) {
		NL_SET_ERR_MSG(info->extack, "No such device");
		ret = -ENOENT;
		goto err_unlock;
	}
	ret = check_automatic(old, info->attrs, info->extack);
	if (ret)
		goto err_unlock;
	new = iotguard_device_clone(old);
	if (!new) {
		ret = -ENOMEM;
		goto err_unlock;
	}
	ret = apply_attrs(new, info->attrs, info->extack);
	if (ret)
		goto err_free;
	if (new->state != old->state ||
	    ((new->flags ^ old->flags) & IOTGUARD_DEVICE_F_AUTO))
		new->state_since = ktime_get_boottime_seconds();
	if (limiter_changed(old, new))
		new->rate_seq = iotguard_device_next_rate_seq(in);
	ret = iotguard_device_replace(in, old, new);
	if (ret) {
		NL_SET_ERR_MSG(info->extack, "Unable to replace the device");
		goto err_free;
	}
	notify(net, new, IOTGUARD_CMD_DEVICE_SET);
	mutex_unlock(&in->lock);
	return 0;

err_free:
	iotguard_device_free(new);
err_unlock:
	mutex_unlock(&in->lock);
	return ret;
}

static int device_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct iotguard_net *in = iotguard_net(net);
	struct iotguard_device *dev;
	struct iotguard_devkey key;
	int ret;

	ret = parse_identity(info->attrs, info->extack, &key);
	if (ret)
		return ret;

	mutex_lock(&in->lock);
	dev = iotguard_device_lookup(in, &key);
	if (!dev) {
		mutex_unlock(&in->lock);
		NL_SET_ERR_MSG(info->extack, "No such device");
		return -ENOENT;
	}
	notify(net, dev, IOTGUARD_CMD_DEVICE_DEL);
	iotguard_device_remove(in, dev);
	mutex_unlock(&in->lock);
	return 0;
}

/*
 * The key goes from the data path at once (iotguard_cred_revoke()); its
 * memory with the old version's grace period.
 */
static int device_revoke_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct iotguard_net *in = iotguard_net(net);
	struct iotguard_device *old, *new;
	struct iotguard_devkey key;
	struct iotguard_cred *cred;
	int ret;

	ret = parse_identity(info->attrs, info->extack, &key);
	if (ret)
		return ret;

	mutex_lock(&in->lock);
	old = iotguard_device_lookup(in, &key);
	if (!old) {
		NL_SET_ERR_MSG(info->extack, "No such device");
		ret = -ENOENT;
		goto err_unlock;
	}
	new = iotguard_device_clone(old);
	if (!new) {
		ret = -ENOMEM;
		goto err_unlock;
	}
	/* Ours: old may be freed once replaced. */
	cred = new->cred;
	new->cred = NULL;
	new->cred_revoked = true;
	ret = iotguard_device_replace(in, old, new);
	if (ret) {
		iotguard_cred_put(cred);
		NL_SET_ERR_MSG(info->extack, "Unable to replace the device");
		goto err_free;
	}
	if (cred) {
		iotguard_cred_revoke(cred);
		iotguard_cred_put(cred);
	}
	notify(net, new, IOTGUARD_CMD_DEVICE_REVOKE);
	mutex_unlock(&in->lock);
	return 0;

err_free:
	iotguard_device_free(new);
err_unlock:
	mutex_unlock(&in->lock);
	return ret;
}

static int device_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct iotguard_net *in = iotguard_net(genl_info_net(info));
	struct iotguard_device *dev;
	struct iotguard_devkey key;
	struct sk_buff *msg;
	int ret;

	ret = parse_identity(info->attrs, info->extack, &key);
	if (ret)
		return ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	rcu_read_lock();
	dev = iotguard_device_lookup(in, &key);
	if (dev)
		ret = fill_device(msg, in, dev, info->snd_portid,
				  info->snd_seq, 0,
				  IOTGUARD_CMD_DEVICE_GET, NULL);
	rcu_read_unlock();
	if (!dev) {
		NL_SET_ERR_MSG(info->extack, "No such device");
		ret = -ENOENT;
		goto err_free;
	}
	if (ret)
		goto err_free;
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return ret;
}

/*
 * The GET policy allows an identity, which means nothing to a dump. Checked
 * in the first dumpit call rather than in .start: 6.1 only hands .dumpit an
 * extack to explain the rejection with.
 */
static int check_dump_attrs(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	int i;

	for (i = 0; i <= IOTGUARD_A_MAX; i++) {
		if (info->attrs[i]) {
			NL_SET_ERR_MSG_ATTR(cb->extack, info->attrs[i],
					    "A device dump takes no attributes");
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Walks the index under RCU, resuming at cb->args[0]. Devices changed during
 * the dump are seen in one version or the other; the generation in cb->seq
 * flags the dump NLM_F_DUMP_INTR when the table changed meanwhile.
 */
static int device_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct iotguard_net *in = iotguard_net(sock_net(skb->sk));
	unsigned long index = cb->args[0];
	struct iotguard_device *dev;
	bool full = false;
	int ret;

	/* cb->args[1]: the request's attributes were checked. */
	if (!cb->args[1]) {
		ret = check_dump_attrs(cb);
		if (ret)
			return ret;
		cb->args[1] = 1;
	}

	rcu_read_lock();
	cb->seq = READ_ONCE(in->generation);
	xa_for_each_start(&in->by_index, index, dev, cb->args[0]) {
		if (fill_device(skb, in, dev, NETLINK_CB(cb->skb).portid,
				cb->nlh->nlmsg_seq, NLM_F_MULTI,
				IOTGUARD_CMD_DEVICE_GET, cb)) {
			full = true;
			break;
		}
	}
	rcu_read_unlock();

	cb->args[0] = full ? index : ULONG_MAX;
	if (full && !skb->len)
		return -EMSGSIZE;
	return skb->len;
}

static int enroll_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct iotguard_net *in = iotguard_net(net);
	struct nlattr **attrs = info->attrs;
	struct iotguard_enroll_grant grant = {
		.epoch_seconds = IOTGUARD_CRED_EPOCH_SECONDS_DEFAULT,
	};
	char text[IOTGUARD_ENROLL_CODE_SIZE];
	const struct iotguard_device *dev;
	struct iotguard_devkey key;
	struct sk_buff *msg;
	void *hdr;
	u32 id;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, IOTGUARD_A_ENROLL_TTL) ||
	    GENL_REQ_ATTR_CHECK(info, IOTGUARD_A_DEVICE_CRED_MODE)) {
		NL_SET_ERR_MSG(info->extack,
			       "Missing the code's time to live or the credential's mode");
		return -EINVAL;
	}
	ret = parse_identity(attrs, info->extack, &key);
	if (ret)
		return ret;
	grant.ttl = nla_get_u32(attrs[IOTGUARD_A_ENROLL_TTL]);
	grant.mode = nla_get_u8(attrs[IOTGUARD_A_DEVICE_CRED_MODE]);
	if (attrs[IOTGUARD_A_DEVICE_CRED_EXPIRES])
		grant.expires = nla_get_u64(attrs[IOTGUARD_A_DEVICE_CRED_EXPIRES]);
	if (attrs[IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS])
		grant.epoch_seconds =
			nla_get_u32(attrs[IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS]);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&in->lock);
	dev = iotguard_device_lookup(in, &key);
	if (!dev) {
		NL_SET_ERR_MSG(info->extack, "No such device");
		ret = -ENOENT;
		goto err_unlock;
	}
	ret = iotguard_enroll_new(in, dev, &grant, text, &id, info->extack);
	if (ret)
		goto err_unlock;
	hdr = genlmsg_put_reply(msg, info, &genl_family, 0,
				IOTGUARD_CMD_ENROLL_NEW);
	/* A device and a code fit in NLMSG_GOODSIZE. */
	if (WARN_ON_ONCE(!hdr || put_device_attrs(msg, in, dev) ||
			 nla_put_string(msg, IOTGUARD_A_ENROLL_CODE, text) ||
			 nla_put_u32(msg, IOTGUARD_A_ENROLL_ID, id))) {
		ret = -EMSGSIZE;
		goto err_unlock;
	}
	mutex_unlock(&in->lock);
	memzero_explicit(text, sizeof(text));
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_unlock:
	mutex_unlock(&in->lock);
	memzero_explicit(text, sizeof(text));
	nlmsg_free(msg);
	return ret;
}

/* The module's own alert on a failed hello for one of dev's codes. */
static void notify_enroll_failed(struct net *net,
				 const struct iotguard_device *dev,
				 const char *why)
{
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&genl_family, net, IOTGUARD_MCGRP_EVENTS_ID))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &genl_family, 0, IOTGUARD_CMD_ALERT);
	if (!hdr ||
	    put_device_attrs(skb, iotguard_net(net), dev) ||
	    nla_put_u8(skb, IOTGUARD_A_ALERT_DETECTOR,
		       IOTGUARD_ALERT_DET_ENROLL) ||
	    nla_put_u32(skb, IOTGUARD_A_ALERT_SCORE, 0) ||
	    nla_put_u8(skb, IOTGUARD_A_ALERT_ACTION,
		       IOTGUARD_ALERT_ACT_ALERT) ||
	    nla_put_string(skb, IOTGUARD_A_ALERT_TEXT, why) ||
	    nla_put_u32(skb, IOTGUARD_A_ALERT_FLAGS, 0)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&genl_family, net, skb, 0,
				IOTGUARD_MCGRP_EVENTS_ID, GFP_KERNEL);
}

static int parse_enroll_flow(struct nlattr **attrs,
			     struct netlink_ext_ack *extack,
			     struct iotguard_enroll_flow *flow)
{
	struct nlattr *saddr = attrs[IOTGUARD_A_ENROLL_SADDR];
	struct nlattr *daddr = attrs[IOTGUARD_A_ENROLL_DADDR];

	memset(flow, 0, sizeof(*flow));
	flow->alen = nla_len(saddr);
	if ((flow->alen != sizeof(struct in_addr) &&
	     flow->alen != sizeof(struct in6_addr)) ||
	    nla_len(daddr) != flow->alen) {
		NL_SET_ERR_MSG_ATTR(extack, saddr,
				    "Addresses are both IPv4 or both IPv6");
		return -EINVAL;
	}
	memcpy(flow->saddr, nla_data(saddr), flow->alen);
	memcpy(flow->daddr, nla_data(daddr), flow->alen);
	flow->sport = htons(nla_get_u16(attrs[IOTGUARD_A_ENROLL_SPORT]));
	flow->dport = htons(nla_get_u16(attrs[IOTGUARD_A_ENROLL_DPORT]));
	return 0;
}

static int enroll_hello_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct iotguard_net *in = iotguard_net(net);
	u8 welcome[IOTGUARD_ENROLL_WELCOME_LEN];
	struct iotguard_enroll_flow flow;
	struct iotguard_device *dev;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, IOTGUARD_A_ENROLL_PAYLOAD) ||
	    GENL_REQ_ATTR_CHECK(info, IOTGUARD_A_ENROLL_SADDR) ||
	    GENL_REQ_ATTR_CHECK(info, IOTGUARD_A_ENROLL_DADDR) ||
	    GENL_REQ_ATTR_CHECK(info, IOTGUARD_A_ENROLL_SPORT) ||
	    GENL_REQ_ATTR_CHECK(info, IOTGUARD_A_ENROLL_DPORT)) {
		NL_SET_ERR_MSG(info->extack,
			       "Missing the hello, its addresses or its ports");
		return -EINVAL;
	}
	ret = parse_enroll_flow(info->attrs, info->extack, &flow);
	if (ret)
		return ret;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&in->lock);
	ret = iotguard_enroll_hello(in, &flow,
				    nla_data(info->attrs[IOTGUARD_A_ENROLL_PAYLOAD]),
				    welcome, &dev, info->extack);
	if (ret < 0) {
		if (dev && ret != -ENOMEM && info->extack->_msg)
			notify_enroll_failed(net, dev, info->extack->_msg);
		goto err_unlock;
	}
	if (ret == 0)
		notify(net, dev, IOTGUARD_CMD_DEVICE_SET);
	hdr = genlmsg_put_reply(msg, info, &genl_family, 0,
				IOTGUARD_CMD_ENROLL_HELLO);
	if (WARN_ON_ONCE(!hdr || put_device_attrs(msg, in, dev) ||
			 nla_put(msg, IOTGUARD_A_ENROLL_PAYLOAD,
				 sizeof(welcome), welcome))) {
		ret = -EMSGSIZE;
		goto err_unlock;
	}
	mutex_unlock(&in->lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_unlock:
	mutex_unlock(&in->lock);
	nlmsg_free(msg);
	return ret;
}

static const struct genl_ops genl_ops[] = {
	{
		.cmd = IOTGUARD_CMD_DEVICE_NEW,
		.doit = device_new_doit,
		.policy = device_new_policy,
		.maxattr = IOTGUARD_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IOTGUARD_CMD_DEVICE_SET,
		.doit = device_set_doit,
		.policy = device_change_policy,
		.maxattr = IOTGUARD_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IOTGUARD_CMD_DEVICE_DEL,
		.doit = device_del_doit,
		.policy = device_id_policy,
		.maxattr = IOTGUARD_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IOTGUARD_CMD_DEVICE_GET,
		.doit = device_get_doit,
		.dumpit = device_get_dumpit,
		.policy = device_id_policy,
		.maxattr = IOTGUARD_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IOTGUARD_CMD_DEVICE_REVOKE,
		.doit = device_revoke_doit,
		.policy = device_id_policy,
		.maxattr = IOTGUARD_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IOTGUARD_CMD_ENROLL_NEW,
		.doit = enroll_new_doit,
		.policy = enroll_new_policy,
		.maxattr = IOTGUARD_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IOTGUARD_CMD_ENROLL_HELLO,
		.doit = enroll_hello_doit,
		.policy = enroll_hello_policy,
		.maxattr = IOTGUARD_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IOTGUARD_CMD_ALERT,
		.doit = alert_doit,
		.policy = alert_policy,
		.maxattr = IOTGUARD_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family genl_family __ro_after_init = {
	.name = IOTGUARD_GENL_NAME,
	.version = IOTGUARD_GENL_VERSION,
	.maxattr = IOTGUARD_A_MAX,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = genl_ops,
	.n_ops = ARRAY_SIZE(genl_ops),
	.mcgrps = genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(genl_mcgrps),
};

int __init iotguard_genetlink_init(void)
{
	return genl_register_family(&genl_family);
}

void iotguard_genetlink_uninit(void)
{
	genl_unregister_family(&genl_family);
}
