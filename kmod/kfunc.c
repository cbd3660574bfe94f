// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The iotguard authors.
 *
 * The kfunc the XDP program calls per packet, in the manner of
 * bpf_xdp_ct_lookup(): the program parses, the module decides who is who.
 * include/iotguard/kfunc.h documents the ABI.
 */

#include "kfunc.h"
#include "device.h"

#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/etherdevice.h>
#include <linux/filter.h>
#include <linux/netdevice.h>
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
	const struct iotguard_rates *rates;
	const struct iotguard_device *dev;
	struct iotguard_devkey devkey;
	int ret = 0;

	if (key__sz != sizeof(*key) || verdict__sz != sizeof(*verdict))
		return -EINVAL;
	if (key->family != AF_INET && key->family != AF_INET6)
		return -EINVAL;

	memcpy(devkey.addr, key->addr, sizeof(devkey.addr));
	devkey.family = key->family;
	memset(devkey.pad, 0, sizeof(devkey.pad));

	rcu_read_lock();
	dev = iotguard_device_lookup_rcu(dev_net(ctx->rxq->dev), &devkey);
	if (!dev) {
		ret = -ENOENT;
		goto out_unlock;
	}

	verdict->index = dev->index;
	verdict->cookie = dev->cookie;
	verdict->state = dev->state;
	verdict->flags = 0;
	if (dev->mac_bound && !ether_addr_equal_unaligned(dev->mac, key->mac))
		verdict->flags |= IOTGUARD_VERDICT_F_SPOOFED;
	verdict->class = dev->class;
	verdict->rate_seq = dev->rate_seq;

	rates = dev->state == IOTGUARD_STATE_QUARANTINE ?
		&iotguard_quarantine_rates : &dev->rates;
	verdict->pkt_interval_ns = rates->pkt_interval_ns;
	verdict->pkt_tolerance_ns = rates->pkt_tolerance_ns;
	verdict->byte_cost_fp = rates->byte_cost_fp;
	verdict->byte_tolerance_ns = rates->byte_tolerance_ns;

out_unlock:
	rcu_read_unlock();
	return ret;
}

__diag_pop();

IOTGUARD_KFUNCS_START(iotguard_kfunc_ids)
BTF_ID_FLAGS(func, iotguard_xdp_lookup)
IOTGUARD_KFUNCS_END(iotguard_kfunc_ids)

static const struct btf_kfunc_id_set iotguard_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &iotguard_kfunc_ids,
};

/* There is no unregister: the set goes with the module's BTF. */
int __init iotguard_kfunc_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP,
					 &iotguard_kfunc_set);
}
