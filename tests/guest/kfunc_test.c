// SPDX-License-Identifier: GPL-2.0
/*
 * The module's kfunc, iotguard_xdp_lookup(), seen from a program that only
 * calls it (tests/bpf/kfunc_probe.bpf.c, run with BPF_PROG_TEST_RUN): the
 * verdict of an enrolled device as include/iotguard/kfunc.h documents it,
 * and rate_seq, which changes with the device's state or rates and with
 * nothing else.
 *
 * Runs as root in the test VM with iotguard.ko loaded. Addresses come from
 * 198.18.0.0/15 and 2001:2::/48 only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <iotguard/kfunc.h>

#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#include "nltest.h"
#include "kfunc_probe.skel.h"
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x31 };

FIXTURE(kfunc)
{
	struct nlt nl;
	struct kfunc_probe *skel;
	int prog_fd;
};

FIXTURE_SETUP(kfunc)
{
	int err = nlt_open(&self->nl);

	ASSERT_EQ(0, err) TH_LOG("open: %s (is iotguard.ko loaded?)",
				 strerror(-err));
	ASSERT_EQ(0, nlt_flush(&self->nl));
	self->skel = kfunc_probe__open_and_load();
	ASSERT_NE(NULL, self->skel)
		TH_LOG("cannot load the probe: no kfunc in the module's BTF?");
	self->prog_fd = bpf_program__fd(self->skel->progs.kfunc_probe);
}

FIXTURE_TEARDOWN(kfunc)
{
	kfunc_probe__destroy(self->skel);
	if (self->nl.sock)
		nlt_flush(&self->nl);
	nlt_close(&self->nl);
}

/*
 * Runs the probe on a frame (its content does not matter: the key is the
 * probe's) for d's identity sent from mac. The kfunc's return value goes
 * to *ret, its verdict to *v; returns the test run's error.
 */
static int lookup(FIXTURE_DATA(kfunc) *self, const struct nlt_dev *d,
		  const uint8_t mac[6], int *ret, struct iotguard_verdict *v)
{
	struct iotguard_key *key = &self->skel->bss->probe_key;
	uint8_t frame[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = frame,
		    .data_size_in = sizeof(frame),
		    .repeat = 1,
	);
	int err;

	memset(key, 0, sizeof(*key));
	memcpy(key->addr, d->addr, d->af == AF_INET ? 4 : 16);
	key->family = d->af;
	memcpy(key->mac, mac, 6);
	self->skel->bss->probe_ret = 1;
	err = bpf_prog_test_run_opts(self->prog_fd, &opts);
	if (err)
		return err;
	*ret = self->skel->bss->probe_ret;
	*v = self->skel->bss->probe_verdict;
	return 0;
}

/* The verdict of d as the program sees it now, or a failed test. */
#define VERDICT(d, mac, v) do {						\
	int __ret = 1;							\
	ASSERT_EQ(0, lookup(self, (d), (mac), &__ret, (v)));		\
	ASSERT_EQ(0, __ret) TH_LOG("lookup: %s", strerror(-__ret));	\
} while (0)

#define ASSERT_NL(t, expr) do {						\
	int __e = (expr);						\
	ASSERT_EQ(0, __e) TH_LOG("%s: %s (extack \"%s\")", #expr,	\
				 strerror(-__e), (t)->extack);		\
} while (0)

static void set_attr(struct nlt_dev *d, int attr)
{
	d->present = 0;
	NLT_SET(d, attr);
}

TEST_F(kfunc, verdict_of_enrolled_device)
{
	struct nlt *t = &self->nl;
	struct iotguard_verdict v;
	struct nlt_dev d, got;
	int ret = 0;

	nlt_dev4(&d, 0x70);
	ASSERT_EQ(0, lookup(self, &d, mac_a, &ret, &v));
	ASSERT_EQ(-ENOENT, ret) TH_LOG("unknown source: %d", ret);

	memcpy(d.mac, mac_a, 6);
	d.class = 7;
	d.rate_pps = 250;
	d.burst_pkts = 10;
	d.rate_bps = 1000000;
	d.burst_bytes = 3000;
	d.present = (1U << IOTGUARD_A_DEVICE_MAC) |
		    (1U << IOTGUARD_A_DEVICE_CLASS) |
		    (1U << IOTGUARD_A_DEVICE_RATE_PPS) |
		    (1U << IOTGUARD_A_DEVICE_BURST_PKTS) |
		    (1U << IOTGUARD_A_DEVICE_RATE_BPS) |
		    (1U << IOTGUARD_A_DEVICE_BURST_BYTES);
	ASSERT_NL(t, nlt_new(t, &d));
	ASSERT_NL(t, nlt_get(t, &d, &got));
	VERDICT(&d, mac_a, &v);
	ASSERT_EQ(got.index, v.index);
	ASSERT_EQ(got.cookie, v.cookie);
	ASSERT_EQ(IOTGUARD_STATE_ALLOW, v.state);
	ASSERT_EQ(0, v.flags);
	ASSERT_EQ(7, v.class);
	ASSERT_NE(0, v.rate_seq);
	ASSERT_EQ(4000000, v.pkt_interval_ns);
	ASSERT_EQ(40000000, v.pkt_tolerance_ns);
	ASSERT_EQ((1000000000ULL << IOTGUARD_BYTE_COST_SHIFT) / 1000000,
		  v.byte_cost_fp);
	ASSERT_EQ(3000ULL * 1000000000ULL / 1000000, v.byte_tolerance_ns);

	/* from another MAC: the same device, flagged */
	VERDICT(&d, mac_b, &v);
	ASSERT_EQ(IOTGUARD_VERDICT_F_SPOOFED, v.flags);
	ASSERT_EQ(got.cookie, v.cookie);
}

/* The fastest byte rate: its cost is one unit, 1/1024 ns per byte. */
TEST_F(kfunc, fastest_byte_rate)
{
	struct nlt *t = &self->nl;
	struct iotguard_verdict v;
	struct nlt_dev d;

	nlt_dev6(&d, 0x71);
	d.rate_bps = 1000000000ULL << IOTGUARD_BYTE_COST_SHIFT;
	set_attr(&d, IOTGUARD_A_DEVICE_RATE_BPS);
	ASSERT_NL(t, nlt_new(t, &d));
	VERDICT(&d, mac_a, &v);
	ASSERT_EQ(1, v.byte_cost_fp);
}

/*
 * A change of the state, a rate or a burst gives the device a new rate_seq
 * (the program restarts its limiter); a change of the name, class, MAC or
 * flags, or a SET that changes nothing, keeps it.
 */
TEST_F(kfunc, rate_seq_follows_state_and_rates)
{
	struct nlt *t = &self->nl;
	struct iotguard_verdict v;
	struct nlt_dev d;
	uint32_t seq;

	nlt_dev4(&d, 0x72);
	ASSERT_NL(t, nlt_new(t, &d));
	VERDICT(&d, mac_a, &v);
	seq = v.rate_seq;
	ASSERT_NE(0, seq);

	/* what the limiter does not depend on */
	strcpy(d.name, "renamed");
	set_attr(&d, IOTGUARD_A_DEVICE_NAME);
	ASSERT_NL(t, nlt_set(t, &d));
	d.class = 9;
	set_attr(&d, IOTGUARD_A_DEVICE_CLASS);
	ASSERT_NL(t, nlt_set(t, &d));
	memcpy(d.mac, mac_b, 6);
	set_attr(&d, IOTGUARD_A_DEVICE_MAC);
	ASSERT_NL(t, nlt_set(t, &d));
	d.flags = IOTGUARD_DEVICE_F_PINNED;
	set_attr(&d, IOTGUARD_A_DEVICE_FLAGS);
	ASSERT_NL(t, nlt_set(t, &d));
	d.state = IOTGUARD_STATE_ALLOW;
	set_attr(&d, IOTGUARD_A_DEVICE_STATE);
	ASSERT_NL(t, nlt_set(t, &d));
	VERDICT(&d, mac_b, &v);
	ASSERT_EQ(9, v.class) TH_LOG("the SETs did not arrive");
	ASSERT_EQ(seq, v.rate_seq) TH_LOG("changed without a rate change");

	/* the state, then each rate and burst */
	d.state = IOTGUARD_STATE_QUARANTINE;
	set_attr(&d, IOTGUARD_A_DEVICE_STATE);
	ASSERT_NL(t, nlt_set(t, &d));
	VERDICT(&d, mac_b, &v);
	ASSERT_EQ(IOTGUARD_STATE_QUARANTINE, v.state);
	ASSERT_NE(seq, v.rate_seq) TH_LOG("quarantine kept rate_seq");
	ASSERT_NE(0, v.rate_seq);
	seq = v.rate_seq;
	d.state = IOTGUARD_STATE_ALLOW;
	ASSERT_NL(t, nlt_set(t, &d));
	VERDICT(&d, mac_b, &v);
	ASSERT_NE(seq, v.rate_seq) TH_LOG("release kept rate_seq");
	seq = v.rate_seq;

	{
		static const int attrs[] = {
			IOTGUARD_A_DEVICE_RATE_PPS,
			IOTGUARD_A_DEVICE_BURST_PKTS,
			IOTGUARD_A_DEVICE_RATE_BPS,
			IOTGUARD_A_DEVICE_BURST_BYTES,
		};

		d.rate_pps = 100;
		d.burst_pkts = 3;
		d.rate_bps = 50000;
		d.burst_bytes = 9000;
		for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
			set_attr(&d, attrs[i]);
			ASSERT_NL(t, nlt_set(t, &d));
			VERDICT(&d, mac_b, &v);
			ASSERT_NE(seq, v.rate_seq)
				TH_LOG("attribute %d kept rate_seq", attrs[i]);
			seq = v.rate_seq;
			/* the same value again changes nothing */
			ASSERT_NL(t, nlt_set(t, &d));
			VERDICT(&d, mac_b, &v);
			ASSERT_EQ(seq, v.rate_seq)
				TH_LOG("attribute %d unchanged, rate_seq changed",
				       attrs[i]);
		}
	}
}

/* Each enrollment gets a rate_seq of its own, a re-enrollment too. */
TEST_F(kfunc, rate_seq_per_enrollment)
{
	struct nlt *t = &self->nl;
	struct iotguard_verdict va, vb, vc;
	struct nlt_dev a, b;

	nlt_dev4(&a, 0x73);
	nlt_dev6(&b, 0x74);
	ASSERT_NL(t, nlt_new(t, &a));
	ASSERT_NL(t, nlt_new(t, &b));
	VERDICT(&a, mac_a, &va);
	VERDICT(&b, mac_a, &vb);
	ASSERT_NE(0, va.rate_seq);
	ASSERT_NE(0, vb.rate_seq);
	ASSERT_NE(va.rate_seq, vb.rate_seq);
	ASSERT_NL(t, nlt_del(t, &a));
	ASSERT_NL(t, nlt_new(t, &a));
	VERDICT(&a, mac_a, &vc);
	ASSERT_EQ(va.index, vc.index);
	ASSERT_NE(va.cookie, vc.cookie);
	ASSERT_NE(va.rate_seq, vc.rate_seq);
	ASSERT_NE(vb.rate_seq, vc.rate_seq);
}

TEST_HARNESS_MAIN
