// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard's XDP program with a stand-in for the module's kfunc: a hash map
 * from the source address to a verdict. Only for `make bench` on a host
 * that cannot load iotguard.ko (modules off), where it measures what the
 * program itself costs on a real core: the behaviour features' share of
 * the pass path above all. Never attached anywhere.
 */
#include "../bpf/parsing.h"
#include <linux/iotguard.h>
#include <iotguard/kfunc.h>

struct standin_key {
	__u8 addr[16];
	__u32 family;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct standin_key);
	__type(value, struct iotguard_verdict);
} standin_devices SEC(".maps");

static __always_inline int iotguard_xdp_lookup(struct xdp_md *ctx,
					       const struct iotguard_key *key,
					       __u32 key__sz,
					       struct iotguard_verdict *verdict,
					       __u32 verdict__sz)
{
	struct standin_key k = {};
	struct iotguard_verdict *v;

	__builtin_memcpy(k.addr, key->addr, sizeof(k.addr));
	k.family = key->family;
	v = bpf_map_lookup_elem(&standin_devices, &k);
	if (!v)
		return -2;	/* -ENOENT, as the kfunc says it */
	*verdict = *v;
	return 0;
}

/* No leases on a host without the module: nobody is enrolled by MAC. */
static __always_inline int
iotguard_xdp_lease_end(struct xdp_md *ctx, const struct iotguard_lease_msg *msg,
		       __u32 msg__sz)
{
	return -2;
}

static __always_inline int
iotguard_skb_lease_begin(struct __sk_buff *skb,
			 const struct iotguard_lease_msg *msg, __u32 msg__sz)
{
	return -2;
}

/* The router's addresses: none, as far as the bench's frames go. */
static __always_inline int iotguard_xdp_local_addr(struct xdp_md *ctx,
						   const __u8 *addr,
						   __u32 addr__sz)
{
	return 0;
}

static __always_inline int iotguard_xdp_bind(struct xdp_md *ctx,
					     const struct iotguard_key *key,
					     __u32 key__sz)
{
	return -2;
}

/* No device sends from a MAC: the bench's frames speak for their own. */
static __always_inline int
iotguard_xdp_lookup_mac(struct xdp_md *ctx, const __u8 *mac, __u32 mac__sz,
			struct iotguard_verdict *verdict, __u32 verdict__sz)
{
	return -2;
}

/* The stand-in's devices have no credential: never called. */
static __always_inline int
iotguard_xdp_cred_open(struct xdp_md *ctx, const struct iotguard_cred_req *req,
		       __u32 req__sz)
{
	return -2;
}

#define IOTGUARD_LOOKUP_STANDIN
#include "../bpf/iotguard.bpf.c"
