// SPDX-License-Identifier: GPL-2.0
/*
 * The module's kfunc alone, for tests/guest/kfunc_test.c: looks up the key
 * the test put in probe_key and hands back what iotguard_xdp_lookup() said,
 * so that the test sees the verdict (rate_seq included) without the
 * guard's program around it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <iotguard/kfunc.h>

extern int iotguard_xdp_lookup(struct xdp_md *ctx,
			       const struct iotguard_key *key, __u32 key__sz,
			       struct iotguard_verdict *verdict,
			       __u32 verdict__sz) __ksym;

struct iotguard_key probe_key;
struct iotguard_verdict probe_verdict;
int probe_ret;

SEC("xdp")
int kfunc_probe(struct xdp_md *ctx)
{
	struct iotguard_key key = probe_key;
	struct iotguard_verdict v = {};

	probe_ret = iotguard_xdp_lookup(ctx, &key, sizeof(key), &v, sizeof(v));
	probe_verdict = v;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
