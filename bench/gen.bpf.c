// SPDX-License-Identifier: GPL-2.0
/*
 * The traffic generator of `make bench`: run with BPF_PROG_TEST_RUN and
 * BPF_F_TEST_XDP_LIVE_FRAMES on a veth, it sends every frame of the run out
 * of that veth (XDP_TX) to its peer, where the filter under test sits.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int bench_gen(struct xdp_md *ctx)
{
	return XDP_TX;
}
