// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The iotguard authors.
 *
 * The kfunc the XDP program calls per packet, in the manner of
 * bpf_xdp_ct_lookup(): the program parses, the module decides who is who.
 * include/iotguard/kfunc.h documents the ABI.
 */

#include "kfunc.h"
#include "cred.h"
#include "device.h"
#include "lease.h"

#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/etherdevice.h>
#include <linux/filter.h>
#include <linux/netdevice.h>
#include <net/addrconf.h>
#include <net/xdp.h>
#include <iotguard/kfunc.h>

/* 6.9 and later want kfunc sets marked as such. */
#ifdef BTF_KFUNCS_START
#define IOTGUARD_KFUNCS_START BTF_KFUNCS_START
#define IOTGUARD_KFUNCS_END BTF_KFUNCS_END
#else
#define IOTGUARD_KFUNCS_START BTF_SET8_START
#define IOTGUARD_KFUNCS_END BTF_SET8_END
#endif

__diag_push();
__diag_ignore_all("-Wmissing-prototypes",
		  "Global functions as their definitions will be in iotguard BTF");

/*
 * The device a frame speaks for: enrolled by its address; for IPv6, else
 * by the longest prefix holding it; else by MAC, with a live lease (IPv4)
 * or binding (IPv6) of it; for AF_PACKET, enrolled by its MAC.
 */
static const struct iotguard_device *
lookup_sender(struct net *net, const struct iotguard_key *key)
{
	struct iotguard_net *in = iotguard_net(net);
	const struct iotguard_device *dev;
	struct iotguard_lease *lease;
	struct iotguard_devkey devkey;

	memset(&devkey, 0, sizeof(devkey));
	devkey.family = key->family;
	if (key->family == AF_PACKET) {
		ether_addr_copy(devkey.addr, key->mac);
		return iotguard_device_lookup_rcu(net, &devkey);
	}
	memcpy(devkey.addr, key->addr, sizeof(devkey.addr));
	dev = iotguard_device_lookup_rcu(net, &devkey);
	if (dev)
		return dev;
	if (key->family == AF_INET6) {
		struct in6_addr addr;

		memcpy(&addr, key->addr, sizeof(addr));
		dev = iotguard_device_lookup_prefix_rcu(net, &addr);
		if (dev)
			return dev;
	}

	lease = iotguard_lease_lookup_rcu(in, &devkey);
	if (!lease)
		return NULL;
	dev = xa_load(&in->by_index, lease->index);
	if (!dev || dev->cookie != lease->cookie)
		return NULL;
	if (key->family == AF_INET6)
		iotguard_bind6_touch(lease);
	return dev;
}

/* What the program needs of dev, for a frame from mac. */
static void fill_verdict(const struct iotguard_device *dev, const u8 *mac,
			 struct iotguard_verdict *verdict)
{
	const struct iotguard_rates *rates;

	verdict->index = dev->index;
	verdict->cookie = dev->cookie;
	verdict->state = dev->state;
	verdict->flags = 0;
	if (dev->mac_bound && !ether_addr_equal_unaligned(dev->mac, mac))
		verdict->flags |= IOTGUARD_VERDICT_F_SPOOFED;
	if (dev->cred)
		verdict->flags |= IOTGUARD_VERDICT_F_CRED;
	if (dev->cred_revoked)
		verdict->flags |= IOTGUARD_VERDICT_F_REVOKED;
	verdict->class = dev->class;
	verdict->rate_seq = dev->rate_seq;

	rates = dev->state == IOTGUARD_STATE_QUARANTINE ?
		&iotguard_quarantine_rates : &dev->rates;
	verdict->pkt_interval_ns = rates->pkt_interval_ns;
	verdict->pkt_tolerance_ns = rates->pkt_tolerance_ns;
	verdict->byte_cost_fp = rates->byte_cost_fp;
	verdict->byte_tolerance_ns = rates->byte_tolerance_ns;
}

/**
 * iotguard_xdp_lookup - look up the sender of a frame
 * @xdp_ctx: the program's context; names the receiving device's namespace
 * @key: the frame's source address, family and MAC
 * @key__sz: sizeof(struct iotguard_key)
 * @verdict: filled when the source is enrolled
 * @verdict__sz: sizeof(struct iotguard_verdict)
 *
 * Runs under RCU only: no lock, no allocation.
 *
 * Return: 0 if enrolled, -ENOENT if not, -EINVAL for a bad size or family.
 */
__used noinline int iotguard_xdp_lookup(struct xdp_md *xdp_ctx,
					const struct iotguard_key *key,
					u32 key__sz,
					struct iotguard_verdict *verdict,
					u32 verdict__sz)
{
	struct xdp_buff *ctx = (struct xdp_buff *)xdp_ctx;
	const struct iotguard_device *dev;
	int ret = 0;

	if (key__sz != sizeof(*key) || verdict__sz != sizeof(*verdict))
		return -EINVAL;
	if (key->family != AF_INET && key->family != AF_INET6 &&
	    key->family != AF_PACKET)
		return -EINVAL;

	rcu_read_lock();
	dev = lookup_sender(dev_net(ctx->rxq->dev), key);
	if (!dev) {
		ret = -ENOENT;
		goto out_unlock;
	}

	fill_verdict(dev, key->mac, verdict);

out_unlock:
	rcu_read_unlock();
	return ret;
}

/**
 * iotguard_xdp_lookup_mac - look up the device a frame's MAC belongs to
 * @xdp_ctx: the program's context; names the receiving device's namespace
 * @mac: the frame's Ethernet source
 * @mac__sz: ETH_ALEN
 * @verdict: filled when a device sends from @mac
 * @verdict__sz: sizeof(struct iotguard_verdict)
 *
 * For ARP and NDP in the name of an address that is not the sender's own:
 * the device enrolled by @mac, else one enrolled by address with @mac
 * bound, whose behaviour that message is. A MAC nobody bound names no
 * one: anyone may send from it. Under RCU only.
 *
 * Return: 0 if found, -ENOENT if not, -EINVAL for a bad size.
 */
__used noinline int iotguard_xdp_lookup_mac(struct xdp_md *xdp_ctx,
					    const u8 *mac, u32 mac__sz,
					    struct iotguard_verdict *verdict,
					    u32 verdict__sz)
{
	struct xdp_buff *ctx = (struct xdp_buff *)xdp_ctx;
	const struct iotguard_device *dev;
	int ret = 0;

	if (mac__sz != ETH_ALEN || verdict__sz != sizeof(*verdict))
		return -EINVAL;

	rcu_read_lock();
	dev = iotguard_device_by_mac_rcu(dev_net(ctx->rxq->dev), mac);
	if (dev)
		fill_verdict(dev, mac, verdict);
	else
		ret = -ENOENT;
	rcu_read_unlock();
	return ret;
}

/**
 * iotguard_xdp_cred_open - check a datagram against its device's credential
 * @xdp_ctx: the program's context: the frame
 * @req: the device (its verdict's index and cookie) and the datagram's
 *	header offsets
 * @req__sz: sizeof(struct iotguard_cred_req)
 *
 * See iotguard_cred_open(): on success the headers are those of the
 * datagram without its trailer, which the program then cuts off.
 *
 * Return: enum iotguard_cred_result; -ENOENT if the device is gone or has
 * no credential, -EINVAL for a bad size.
 */
__used noinline int iotguard_xdp_cred_open(struct xdp_md *xdp_ctx,
					   const struct iotguard_cred_req *req,
					   u32 req__sz)
{
	struct xdp_buff *ctx = (struct xdp_buff *)xdp_ctx;
	const struct iotguard_device *dev;
	struct iotguard_net *in;
	int ret;

	if (req__sz != sizeof(*req))
		return -EINVAL;

	rcu_read_lock();
	in = iotguard_net(dev_net(ctx->rxq->dev));
	dev = xa_load(&in->by_index, req->index);
	if (!dev || dev->cookie != req->cookie)
		ret = -ENOENT;
	else if (dev->cred_revoked)
		ret = IOTGUARD_CRED_REVOKED;
	else if (!dev->cred)
		ret = -ENOENT;
	else
		ret = iotguard_cred_open(dev->cred, ctx, req->l3_off,
					 req->l4_off);
	rcu_read_unlock();
	return ret;
}

/**
 * iotguard_xdp_local_addr - is an address the router's own
 * @xdp_ctx: the program's context; names the receiving device's namespace
 * @addr: an IPv6 address
 * @addr__sz: 16
 *
 * NDP from a device to a unicast destination is a NUD probe of the router,
 * or an answer to the router's solicitation: it may pass only when it goes
 * no further than the router, to one of its addresses.
 *
 * Return: 1 if @addr is an address of the namespace, 0 if not, -EINVAL
 * for a bad size.
 */
__used noinline int iotguard_xdp_local_addr(struct xdp_md *xdp_ctx,
					    const u8 *addr, u32 addr__sz)
{
	struct xdp_buff *ctx = (struct xdp_buff *)xdp_ctx;
	struct in6_addr a;

	if (addr__sz != sizeof(a))
		return -EINVAL;
	memcpy(&a, addr, sizeof(a));
	return ipv6_chk_addr(dev_net(ctx->rxq->dev), &a, NULL, 0) ? 1 : 0;
}

/**
 * iotguard_xdp_bind - neighbour discovery for an IPv6 address nobody holds
 * @xdp_ctx: the program's context; names the receiving device's namespace
 * @key: the address (family AF_INET6) and the frame's source MAC
 * @key__sz: sizeof(struct iotguard_key)
 *
 * The program calls it for a DAD solicitation, a solicitation from the
 * address or an advertisement of it, when the address is nobody's: a
 * device enrolled by MAC that configured it binds it (iotguard_bind6()).
 *
 * Return: see iotguard_bind6(); -EINVAL for a bad size or family.
 */
__used noinline int iotguard_xdp_bind(struct xdp_md *xdp_ctx,
				      const struct iotguard_key *key,
				      u32 key__sz)
{
	struct xdp_buff *ctx = (struct xdp_buff *)xdp_ctx;
	struct in6_addr addr;
	int ret;

	if (key__sz != sizeof(*key) || key->family != AF_INET6 || key->pad)
		return -EINVAL;
	memcpy(&addr, key->addr, sizeof(addr));
	rcu_read_lock();
	ret = iotguard_bind6(dev_net(ctx->rxq->dev), key->mac, &addr);
	rcu_read_unlock();
	return ret;
}

static bool lease_msg_ok(const struct iotguard_lease_msg *msg, u32 msg__sz)
{
	return msg__sz == sizeof(*msg) && !msg->pad &&
	       is_valid_ether_addr(msg->mac);
}

/**
 * iotguard_skb_lease_begin - a DHCP ACK leaves the guarded port
 * @skb_ctx: the TC program's context: the ACK, on its way out
 * @msg: the client's MAC, the address and the lease time
 * @msg__sz: sizeof(struct iotguard_lease_msg)
 *
 * Return: see iotguard_lease_begin(); -EINVAL for a bad size or MAC.
 */
__used noinline int iotguard_skb_lease_begin(struct __sk_buff *skb_ctx,
					     const struct iotguard_lease_msg *msg,
					     u32 msg__sz)
{
	struct sk_buff *skb = (struct sk_buff *)skb_ctx;
	int ret;

	if (!lease_msg_ok(msg, msg__sz) || !skb->dev)
		return -EINVAL;
	rcu_read_lock();
	ret = iotguard_lease_begin(dev_net(skb->dev), msg->mac, msg->addr,
				   msg->seconds);
	rcu_read_unlock();
	return ret;
}

/**
 * iotguard_xdp_lease_end - a device releases its lease
 * @xdp_ctx: the XDP program's context: the RELEASE, arriving
 * @msg: the client's MAC and the address it releases
 * @msg__sz: sizeof(struct iotguard_lease_msg)
 *
 * Return: see iotguard_lease_end(); -EINVAL for a bad size or MAC.
 */
__used noinline int iotguard_xdp_lease_end(struct xdp_md *xdp_ctx,
					   const struct iotguard_lease_msg *msg,
					   u32 msg__sz)
{
	struct xdp_buff *ctx = (struct xdp_buff *)xdp_ctx;
	int ret;

	if (!lease_msg_ok(msg, msg__sz))
		return -EINVAL;
	rcu_read_lock();
	ret = iotguard_lease_end(dev_net(ctx->rxq->dev), msg->mac, msg->addr);
	rcu_read_unlock();
	return ret;
}

__diag_pop();

IOTGUARD_KFUNCS_START(iotguard_xdp_kfunc_ids)
BTF_ID_FLAGS(func, iotguard_xdp_lookup)
BTF_ID_FLAGS(func, iotguard_xdp_lookup_mac)
BTF_ID_FLAGS(func, iotguard_xdp_lease_end)
BTF_ID_FLAGS(func, iotguard_xdp_local_addr)
BTF_ID_FLAGS(func, iotguard_xdp_bind)
BTF_ID_FLAGS(func, iotguard_xdp_cred_open)
IOTGUARD_KFUNCS_END(iotguard_xdp_kfunc_ids)

IOTGUARD_KFUNCS_START(iotguard_tc_kfunc_ids)
BTF_ID_FLAGS(func, iotguard_skb_lease_begin)
IOTGUARD_KFUNCS_END(iotguard_tc_kfunc_ids)

static const struct btf_kfunc_id_set iotguard_xdp_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &iotguard_xdp_kfunc_ids,
};

static const struct btf_kfunc_id_set iotguard_tc_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &iotguard_tc_kfunc_ids,
};

/* There is no unregister: the sets go with the module's BTF. */
int __init iotguard_kfunc_init(void)
{
	int ret;

	ret = register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP,
					&iotguard_xdp_kfunc_set);
	if (ret)
		return ret;
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_SCHED_CLS,
					 &iotguard_tc_kfunc_set);
}
