// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of `make bench`: an XDP program that does nothing. What it
 * costs under BPF_PROG_TEST_RUN is test_run's own overhead per frame, which
 * every other per-packet figure is compared with.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int bench_empty(struct xdp_md *ctx)
{
	return XDP_PASS;
}
