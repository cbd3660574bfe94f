// SPDX-License-Identifier: GPL-2.0
/*
 * Differential test of the XDP program: random and mutated frames, each
 * run through the real program (BPF_PROG_TEST_RUN) with the real
 * iotguard.ko, and each verdict and counter checked against the reference
 * classifier (tests/lib/refclass.c), which is Documentation/iotguard.rst's
 * table "What passes and why" written out.
 *
 * Checked for every frame: the XDP action, every global counter (packets
 * and bytes, by reason), every counter of the device the reference says
 * the frame is counted for, and the behaviour features' counters of the
 * devices it says they move for (packets, bytes, SYNs, ICMP, ARP
 * requests, neighbour frames in another's name; not the sketches nor the
 * size histogram). Every CHECK_EVERY frames and at the end: every
 * device's counters and features, and the frames remembered as unknown
 * (the LRU, the per-CPU cache and the unrecorded count together). Three
 * ways of attaching: enforcing, monitor mode, link frames dropped.
 *
 * Environment:
 *	IOTGUARD_XDP_DIFF_FRAMES  frames to send (default 100000; the long
 *	                          form, make stress, sends 10^6)
 *	IOTGUARD_XDP_DIFF_SEED    the PRNG's seed (default: from the clock);
 *	                          printed, so that a failure can be replayed
 *
 * The module must be loaded with a quarantine rate no frame reaches
 * (tests/guest/run-all.sh does: quarantine_pps and quarantine_burst of
 * 10^6): the GCRA follows the clock, which the reference does not see.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#include "envnum.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wsign-compare"
/* A net against a hang only: 10^6 frames take a long time under TCG. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 7200

#include <iotguard/maps.h>
#include <iotguard/kfunc.h>
#include <iotguard/features.h>
#include <linux/iotguard.h>
#include "nl.h"
#include "iotguard.skel.h"
#include "testlib.h"
#include "frames.h"
#include "../lib/refclass.h"

#define FRAMES_DEFAULT	100000
#define CHECK_EVERY	10000
/* The quarantine rate and burst the module must allow, at least */
#define QUARANTINE_MIN	1000000

/* The PRNG: splitmix64, so that a seed names a run. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int below(unsigned int n)
{
	return rnd() % n;
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

static const char *reason_name(unsigned int r)
{
	static const char * const names[] = {
		"pass", "unknown", "denied", "spoofed", "rate", "parse",
		"non_ip", "neigh", "arp", "ndp", "neigh_rate", "link",
		"dhcp_server", "contended", "bad_tag", "replay", "expired",
		"revoked",
	};

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

/* The table the test enrolls ----------------------------------------------- */

static const uint8_t mac_pool[][6] = {
	{ 0x02, 0x20, 0, 0, 0, 0x01 },	/* 0..5: bound to devices */
	{ 0x02, 0x20, 0, 0, 0, 0x02 },
	{ 0x02, 0x20, 0, 0, 0, 0x03 },
	{ 0x02, 0x20, 0, 0, 0, 0x04 },
	{ 0x02, 0x20, 0, 0, 0, 0x05 },
	{ 0x02, 0x20, 0, 0, 0, 0x06 },
	{ 0x02, 0x20, 0, 0, 0, 0xe1 },	/* 6, 7: enrolled by MAC */
	{ 0x02, 0x20, 0, 0, 0, 0xe2 },
	{ 0x02, 0x20, 0, 0, 0, 0x99 },	/* 8: nobody's */
	{ 0x02, 0x20, 0, 0, 0, 0x07 },	/* 9: bound to a device */
};
#define MAC_POOL (sizeof(mac_pool) / sizeof(mac_pool[0]))

struct test_dev {
	enum ref_kind kind;
	uint8_t host;		/* last byte of the address */
	uint8_t net;		/* IPv6: 2001:2:0:<net>:: */
	uint8_t plen;		/* IPv6: 128, or a prefix */
	int mac;		/* index in mac_pool, -1: none bound */
	uint8_t state;
	bool rated;		/* rates enrolled (never reached) */
};

static const struct test_dev test_devs[] = {
	{ REF_BY_IPV4, 1, 0, 0, 0, IOTGUARD_STATE_ALLOW, true },
	{ REF_BY_IPV4, 2, 0, 0, -1, IOTGUARD_STATE_ALLOW, false },
	{ REF_BY_IPV4, 3, 0, 0, 1, IOTGUARD_STATE_DENY, false },
	{ REF_BY_IPV4, 4, 0, 0, 2, IOTGUARD_STATE_QUARANTINE, false },
	{ REF_BY_IPV4, 5, 0, 0, -1, IOTGUARD_STATE_DENY, true },
	{ REF_BY_IPV4, 6, 0, 0, -1, IOTGUARD_STATE_QUARANTINE, true },
	{ REF_BY_IPV6, 1, 0, 128, 3, IOTGUARD_STATE_ALLOW, true },
	{ REF_BY_IPV6, 2, 0, 128, -1, IOTGUARD_STATE_ALLOW, false },
	{ REF_BY_IPV6, 3, 0, 128, 9, IOTGUARD_STATE_DENY, false },
	{ REF_BY_IPV6, 4, 0, 128, -1, IOTGUARD_STATE_QUARANTINE, false },
	{ REF_BY_IPV6, 0, 1, 64, 4, IOTGUARD_STATE_ALLOW, true },
	{ REF_BY_IPV6, 0, 1, 80, 5, IOTGUARD_STATE_DENY, false },
	{ REF_BY_IPV6, 0, 2, 64, -1, IOTGUARD_STATE_QUARANTINE, false },
	{ REF_BY_MAC, 0, 0, 0, 6, IOTGUARD_STATE_ALLOW, false },
	{ REF_BY_MAC, 0, 0, 0, 7, IOTGUARD_STATE_DENY, true },
};
#define TEST_DEVS (sizeof(test_devs) / sizeof(test_devs[0]))

static void addr4(uint8_t out[4], uint8_t host)
{
	out[0] = 198;
	out[1] = 18;
	out[2] = 0;
	out[3] = host;
}

static void addr6(uint8_t out[16], uint8_t net, uint64_t iid)
{
	int i;

	memset(out, 0, 16);
	out[0] = 0x20;
	out[1] = 0x01;
	out[3] = 0x02;
	out[7] = net;
	for (i = 0; i < 8; i++)
		out[15 - i] = iid >> (8 * i);
}

/* The router's own address, on the namespace's loopback. */
#define LOCAL6_NET 0xff

/* Expected and actual counters --------------------------------------------- */

struct expect_dev {
	struct iotguard_counter pass, denied, spoofed;
	/* features */
	uint64_t packets, bytes, tcp_syn, icmp, arp, neigh_foreign;
};

FIXTURE(diff) {
	struct iotguard *skel;
	struct iotguard_nl *nl;
	int prog_fd;
	int ncpus;
	struct ref_table table;
	uint32_t index[REF_DEVS_MAX];
	uint32_t cookie[REF_DEVS_MAX];
	struct iotguard_counter global[IOTGUARD_R_MAX];
	struct expect_dev dev[REF_DEVS_MAX];
	uint64_t remembered;
	bool lru_full;		/* the unknown sources' LRU may evict */
	/* figures */
	uint64_t frames, short_frames, undetermined, by_reason[IOTGUARD_R_MAX];
};

FIXTURE_VARIANT(diff) {
	bool monitor;
	bool link_frames;
	unsigned int percent;	/* of IOTGUARD_XDP_DIFF_FRAMES */
};

FIXTURE_VARIANT_ADD(diff, enforce) {
	.monitor = false,
	.link_frames = true,
	.percent = 100,
};

FIXTURE_VARIANT_ADD(diff, monitor) {
	.monitor = true,
	.link_frames = true,
	.percent = 10,
};

FIXTURE_VARIANT_ADD(diff, link_frames_dropped) {
	.monitor = false,
	.link_frames = false,
	.percent = 10,
};

static void set_up_netns(struct __test_metadata *_metadata)
{
	cpu_set_t cpus;

	/* One CPU: per-CPU counters then move where we look. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	/* A table of our own, and a router address for unicast NDP. */
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, system("ip link set lo up && "
			    "ip -6 addr add 2001:2:0:ff::1/128 dev lo nodad"));
}

static void load_program(struct __test_metadata *_metadata,
			 FIXTURE_DATA(diff) *self,
			 const FIXTURE_VARIANT(diff) *variant)
{
	int err;

	self->skel = iotguard__open();
	ASSERT_NE(NULL, self->skel);
	/* The port's budget follows the clock: none. */
	self->skel->rodata->neigh_pps = 0;
	self->skel->rodata->monitor = variant->monitor;
	self->skel->rodata->link_frames = variant->link_frames;
	err = prepare_skel(self->skel);
	ASSERT_EQ(0, err);
	err = iotguard__load(self->skel);
	ASSERT_EQ(0, err) {
		TH_LOG("Unable to load the program: %s", strerror(-err));
	}
	self->prog_fd = bpf_program__fd(self->skel->progs.iotguard_xdp);
	ASSERT_LE(0, self->prog_fd);
}

static void enroll_one(struct __test_metadata *_metadata,
		       FIXTURE_DATA(diff) *self, int i)
{
	const struct test_dev *td = &test_devs[i];
	struct ref_dev *rd = &self->table.dev[i];
	struct iotguard_device d, got;
	int err;

	memset(&d, 0, sizeof(d));
	memset(rd, 0, sizeof(*rd));
	rd->kind = td->kind;
	rd->state = td->state;
	switch (td->kind) {
	case REF_BY_IPV4:
		d.id.family = AF_INET;
		addr4(d.id.addr, td->host);
		break;
	case REF_BY_IPV6:
		d.id.family = AF_INET6;
		addr6(d.id.addr, td->net, td->host);
		d.id.plen = td->plen == 128 ? 0 : td->plen;
		rd->plen = td->plen;
		break;
	case REF_BY_MAC:
		d.id.family = AF_PACKET;
		memcpy(d.id.addr, mac_pool[td->mac], 6);
		break;
	}
	memcpy(rd->addr, d.id.addr, 16);
	if (td->mac >= 0) {
		memcpy(rd->mac, mac_pool[td->mac], 6);
		rd->mac_bound = true;
		if (td->kind != REF_BY_MAC) {
			memcpy(d.mac, mac_pool[td->mac], 6);
			d.present |= IOTGUARD_DEV_MAC;
		}
	}
	d.state = td->state;
	d.present |= IOTGUARD_DEV_STATE;
	if (td->rated) {
		/* 1 us and 1 ns a byte: no frame under TCG comes near. */
		d.rate_pps = 1000000;
		d.burst_pkts = 1000000;
		d.rate_bps = 1000000000ULL;
		d.burst_bytes = 4000000000U;
		d.present |= IOTGUARD_DEV_RATE_PPS | IOTGUARD_DEV_BURST_PKTS |
			     IOTGUARD_DEV_RATE_BPS | IOTGUARD_DEV_BURST_BYTES;
	}
	err = iotguard_nl_device_new(self->nl, &d);
	ASSERT_EQ(0, err) {
		TH_LOG("Unable to enroll device %d: %s (%s)", i,
		       strerror(-err), iotguard_nl_extack(self->nl));
	}
	ASSERT_EQ(0, iotguard_nl_device_get(self->nl, &d.id, &got));
	self->index[i] = got.index;
	self->cookie[i] = got.cookie;
}

static unsigned int param(const char *name)
{
	unsigned int v = 0;
	char path[128];

	snprintf(path, sizeof(path), MOD_PARAMS "%s", name);
	read_u32_file(path, &v);
	return v;
}

FIXTURE_SETUP(diff)
{
	unsigned int i;

	ASSERT_EQ(0, access("/sys/module/iotguard", F_OK)) {
		TH_LOG("iotguard.ko is not loaded");
	}
	ASSERT_LE(QUARANTINE_MIN, param("quarantine_pps")) {
		TH_LOG("load iotguard.ko with quarantine_pps=%u "
		       "quarantine_burst=%u", QUARANTINE_MIN, QUARANTINE_MIN);
	}
	ASSERT_LE(QUARANTINE_MIN, param("quarantine_burst"));
	set_up_netns(_metadata);
	self->ncpus = libbpf_num_possible_cpus();
	ASSERT_LT(0, self->ncpus);
	load_program(_metadata, self, variant);
	ASSERT_EQ(0, iotguard_nl_open(&self->nl));
	for (i = 0; i < TEST_DEVS; i++)
		enroll_one(_metadata, self, i);
	self->table.ndev = TEST_DEVS;
	addr6(self->table.local6[0], LOCAL6_NET, 1);
	memset(self->table.local6[1], 0, 16);
	self->table.local6[1][15] = 1;	/* ::1, lo's */
	self->table.nlocal = 2;
	self->table.link_frames = variant->link_frames;
	self->table.monitor = variant->monitor;
}

FIXTURE_TEARDOWN(diff)
{
	if (self->nl) {
		EXPECT_EQ(0, delete_all(self->nl));
		iotguard_nl_close(self->nl);
	}
	iotguard__destroy(self->skel);
}

/* Reading the program's counters ------------------------------------------- */

static int read_global(FIXTURE_DATA(diff) *self,
		       struct iotguard_counter out[IOTGUARD_R_MAX])
{
	int fd = bpf_map__fd(self->skel->maps.iotguard_global);
	struct iotguard_counter vals[IOTGUARD_R_MAX * self->ncpus];
	uint32_t keys[IOTGUARD_R_MAX], count = IOTGUARD_R_MAX, out_batch;
	uint32_t r;
	int cpu, err;

	err = bpf_map_lookup_batch(fd, NULL, &out_batch, keys, vals, &count,
				   NULL);
	if (err && errno != ENOENT)
		return -errno;
	if (count != IOTGUARD_R_MAX)
		return -EIO;
	for (r = 0; r < IOTGUARD_R_MAX; r++) {
		out[keys[r]].packets = 0;
		out[keys[r]].bytes = 0;
		for (cpu = 0; cpu < self->ncpus; cpu++) {
			const struct iotguard_counter *c =
				&vals[r * self->ncpus + cpu];

			out[keys[r]].packets += c->packets;
			out[keys[r]].bytes += c->bytes;
		}
	}
	return 0;
}

/* A device's counters, as the tools sum them: CPUs with its cookie. */
static int read_dev(FIXTURE_DATA(diff) *self, int i,
		    struct iotguard_dev_stats *sum)
{
	struct iotguard_dev_stats vals[self->ncpus];
	uint32_t idx = self->index[i];
	int cpu, err, k;

	memset(sum, 0, sizeof(*sum));
	err = bpf_map__lookup_elem(self->skel->maps.iotguard_devstats, &idx,
				   sizeof(idx), vals, sizeof(vals), 0);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	for (cpu = 0; cpu < self->ncpus; cpu++) {
		struct iotguard_counter *from = &vals[cpu].pass;
		struct iotguard_counter *to = &sum->pass;

		if (vals[cpu].cookie != self->cookie[i])
			continue;
		for (k = 0; k < 8; k++) {
			to[k].packets += from[k].packets;
			to[k].bytes += from[k].bytes;
		}
	}
	return 0;
}

/* A device's features, as the tools sum them: CPUs with its cookie. */
static int read_feat(FIXTURE_DATA(diff) *self, int i,
		     struct iotguard_dev_features *sum)
{
	struct iotguard_dev_features *vals;
	uint32_t idx = self->index[i];
	size_t size = sizeof(*vals) * self->ncpus;
	int cpu, err;

	memset(sum, 0, sizeof(*sum));
	vals = malloc(size);
	if (!vals)
		return -ENOMEM;
	err = bpf_map__lookup_elem(self->skel->maps.iotguard_features, &idx,
				   sizeof(idx), vals, size, 0);
	if (err == -ENOENT)
		err = 0;
	else if (!err)
		for (cpu = 0; cpu < self->ncpus; cpu++) {
			const struct iotguard_dev_features *f = &vals[cpu];

			if (f->cookie != self->cookie[i])
				continue;
			sum->packets += f->packets;
			sum->bytes += f->bytes;
			sum->tcp_syn += f->tcp_syn;
			sum->icmp += f->icmp;
			sum->arp += f->arp;
			sum->neigh_foreign += f->neigh_foreign;
		}
	free(vals);
	return err;
}

/* Frames of unknown sources: the LRU, the per-CPU slots, the unrecorded. */
static int read_remembered(FIXTURE_DATA(diff) *self, uint64_t *total,
			   uint32_t *entries)
{
	struct iotguard_unknown_slot slots[self->ncpus];
	struct iotguard_unknown_budget budget[self->ncpus];
	struct iotguard_unknown_key key, next, *prev = NULL;
	struct iotguard_unknown_val val;
	int fd, cpu, err;
	uint32_t i;

	*total = 0;
	*entries = 0;
	fd = bpf_map__fd(self->skel->maps.iotguard_unknown);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		(*entries)++;
		if (!bpf_map_lookup_elem(fd, &key, &val))
			*total += val.packets;
	}
	fd = bpf_map__fd(self->skel->maps.iotguard_unknown_cpu);
	for (i = 0; i < IOTGUARD_UNKNOWN_CPU_SLOTS; i++) {
		err = bpf_map_lookup_elem(fd, &i, slots);
		if (err)
			return -errno;
		for (cpu = 0; cpu < self->ncpus; cpu++)
			*total += slots[cpu].val.packets;
	}
	fd = bpf_map__fd(self->skel->maps.iotguard_unknown_budget);
	i = 0;
	if (bpf_map_lookup_elem(fd, &i, budget))
		return -errno;
	for (cpu = 0; cpu < self->ncpus; cpu++)
		*total += budget[cpu].unrecorded;
	return 0;
}

/* Frame generators --------------------------------------------------------- */

struct gen {
	struct frame f;
	const char *kind;
};

static const uint8_t *some_mac(void)
{
	static uint8_t random_mac[6];
	unsigned int i;

	if (chance(85))
		return mac_pool[below(MAC_POOL)];
	for (i = 0; i < 6; i++)
		random_mac[i] = rnd();
	if (chance(50))
		random_mac[0] &= 0xfe;
	return random_mac;
}

/* An IPv4 source: mostly an enrolled device's, else 0.0.0.0 or nobody's. */
static void some_src4(uint8_t out[4])
{
	unsigned int k = below(10);

	if (k < 7)
		addr4(out, 1 + below(6));
	else if (k < 8)
		memset(out, 0, 4);
	else if (k < 9)
		addr4(out, 100 + below(50));
	else
		addr4(out, rnd());
}

/* An IPv6 address of one of the kinds the rules tell apart. */
static void some_addr6(uint8_t out[16])
{
	switch (below(12)) {
	case 0:
	case 1:
	case 2:
		addr6(out, 0, 1 + below(4));	/* enrolled exactly */
		break;
	case 3:
		addr6(out, 1, rnd());		/* the /64, or the /80 */
		if (chance(40))
			out[8] = out[9] = 0;
		break;
	case 4:
		addr6(out, 2, rnd());		/* the quarantined /64 */
		break;
	case 5:
	case 6:
		addr6(out, 5, 1 + below(6));	/* for devices by MAC */
		break;
	case 7:
		addr6(out, 9, below(100));	/* nobody's */
		break;
	case 8:
		addr6(out, 0, 0);		/* link-local */
		out[0] = 0xfe;
		out[1] = 0x80;
		out[3] = 0;
		out[15] = below(8);
		out[14] = chance(10) ? below(256) : 0;
		break;
	case 9:
		memset(out, 0, 16);		/* :: */
		break;
	case 10:
		addr6(out, LOCAL6_NET, 1);	/* the router's */
		break;
	default:
		memset(out, 0, 16);		/* multicast */
		out[0] = 0xff;
		out[1] = 0x02;
		out[15] = 1 + below(2);
		if (chance(30)) {
			out[11] = 1;
			out[12] = 0xff;
			out[15] = below(8);
		}
		break;
	}
}

static void some_tags(struct frame *f)
{
	unsigned int n = below(100), i;

	n = n < 70 ? 0 : n < 85 ? 1 : n < 95 ? 2 : 3 + below(2);
	for (i = 0; i < n; i++)
		fr_vlan(f, chance(50) ? 0x8100 : 0x88a8, below(4096));
}

static void some_dst_mac(struct frame *f)
{
	static const uint8_t group[6] = { 0x01, 0x80, 0xc2, 0, 0, 0 };

	if (chance(5)) {
		memcpy(f->buf, group, 6);
		f->buf[5] = below(32);
	}
}

static void fr_ports(struct frame *f, uint16_t sport, uint16_t dport)
{
	fr_put16(f->buf + f->l4_off, sport);
	fr_put16(f->buf + f->l4_off + 2, dport);
}

/* L4 of an IPv4 or IPv6 packet: UDP, TCP, ICMP, or something else. */
static void some_l4(struct frame *f, bool v6)
{
	switch (below(6)) {
	case 0:
	case 1:
		fr_udp(f, below(64));
		if (chance(20))
			fr_ports(f, chance(50) ? 67 : 547,
				 chance(50) ? 68 : 546);
		break;
	case 2:
		fr_tcp(f, 4 * below(11));
		break;
	case 3:
		if (v6) {
			fr_icmp6(f, chance(50) ? 128 : below(256), below(32));
		} else {
			f->buf[f->proto_off] = 1;
			f->l4_off = f->len;
			fr_put(f, 8 + below(32))[0] = 8;
		}
		break;
	case 4:
		/* ESP, or no next header */
		f->buf[f->proto_off] = chance(50) ? 50 : 59;
		fr_payload(f, below(40));
		break;
	default:
		f->buf[f->proto_off] = below(256);
		fr_payload(f, below(40));
		break;
	}
}

static void gen_ipv4(struct gen *g)
{
	uint8_t src[4], dst[4] = { 198, 19, 0, 1 };

	g->kind = "ipv4";
	fr_eth(&g->f, some_mac());
	some_dst_mac(&g->f);
	some_tags(&g->f);
	some_src4(src);
	fr_ipv4(&g->f, src, dst, chance(20) ? 4 * (1 + below(10)) : 0);
	if (chance(15))
		fr_ipv4_frag(&g->f, chance(50) ? 0 : 1 + below(100),
			     chance(50));
	some_l4(&g->f, false);
	fr_finish(&g->f);
}

/* A DHCP client message, from 0.0.0.0 or an address. */
static void gen_dhcp(struct gen *g)
{
	const uint8_t *mac = some_mac();
	uint8_t src[4], dst[4] = { 255, 255, 255, 255 };
	uint8_t *b;

	g->kind = "dhcp";
	fr_eth(&g->f, mac);
	some_tags(&g->f);
	if (chance(60))
		memset(src, 0, 4);
	else
		some_src4(src);
	fr_ipv4(&g->f, src, dst, 0);
	fr_udp(&g->f, 0);
	fr_ports(&g->f, 68, 67);
	b = fr_put(&g->f, 240 + 8);
	b[0] = chance(90) ? 1 : 2;
	b[1] = chance(95) ? 1 : 6;
	b[2] = chance(95) ? 6 : 16;
	memcpy(b + 28, chance(80) ? mac : some_mac(), 6);
	if (chance(30))
		addr4(b + 12, 1 + below(6));	/* ciaddr */
	b[236] = 0x63;
	b[237] = 0x82;
	b[238] = 0x53;
	b[239] = 0x63;
	b[240] = 53;
	b[241] = 1;
	b[242] = chance(20) ? 7 : 1 + below(8);	/* RELEASE, or another */
	b[243] = 255;
	fr_finish(&g->f);
}

/* Extension headers: up to 10, in any order, sometimes a fragment. */
static void some_ext(struct frame *f, bool *non_first)
{
	unsigned int n = chance(40) ? 0 : chance(80) ? 1 + below(4) :
				   5 + below(6), i;

	*non_first = false;
	for (i = 0; i < n && !*non_first; i++) {
		switch (below(6)) {
		case 0:
			fr_ip6_opts(f, 0, 8 * (1 + below(3)));
			break;
		case 1:
			fr_ip6_opts(f, 43, 8 * (1 + below(3)));
			break;
		case 2:
		case 3:
			fr_ip6_opts(f, 60, 8 * (1 + below(3)));
			break;
		case 4:
			fr_ip6_ah(f, 12 + 4 * below(4));
			break;
		default:
			*non_first = chance(50);
			fr_ip6_frag(f, *non_first ? 1 + below(100) : 0,
				    chance(50));
			break;
		}
	}
}

static void gen_ipv6(struct gen *g)
{
	uint8_t src[16], dst[16];
	bool non_first;

	g->kind = "ipv6";
	fr_eth(&g->f, some_mac());
	some_dst_mac(&g->f);
	some_tags(&g->f);
	some_addr6(src);
	addr6(dst, 7, 1);
	fr_ipv6(&g->f, src, dst);
	some_ext(&g->f, &non_first);
	if (non_first) {
		g->f.buf[g->f.proto_off] = chance(50) ? 17 : 58;
		fr_payload(&g->f, below(40));
	} else if (chance(15)) {
		fr_udp(&g->f, below(64));
		fr_ports(&g->f, chance(70) ? 546 : 547,
			 chance(70) ? 547 : 546);
	} else {
		some_l4(&g->f, true);
	}
	fr_finish(&g->f);
}

static void gen_arp(struct gen *g)
{
	const uint8_t *mac = some_mac();
	uint8_t sip[4], tip[4];
	uint8_t *p;

	g->kind = "arp";
	fr_eth(&g->f, mac);
	some_tags(&g->f);
	some_src4(sip);
	if (chance(20))
		memcpy(tip, sip, 4);		/* gratuitous */
	else
		addr4(tip, below(256));
	if (chance(5)) {
		sip[0] = 169;
		sip[1] = 254;
	}
	fr_arp(&g->f, chance(5) ? below(4) : 1 + below(2),
	       chance(85) ? mac : some_mac(), sip, tip);
	p = g->f.buf + g->f.len - 28;
	if (chance(5))
		p[below(6)] ^= 1 << below(8);	/* hrd, pro, hln, pln */
	if (chance(30))
		fr_payload(&g->f, 18);		/* Ethernet padding */
}

/* NS, NA, RS, RA or redirect, mostly of the right form. */
static void gen_ndp(struct gen *g)
{
	static const uint8_t types[] = { 133, 134, 135, 135, 136, 136, 137 };
	const uint8_t *mac = some_mac();
	uint8_t src[16], dst[16], target[16];
	unsigned int type = types[below(sizeof(types))];
	bool non_first = false;

	g->kind = "ndp";
	fr_eth(&g->f, mac);
	some_tags(&g->f);
	some_addr6(src);
	some_addr6(dst);
	some_addr6(target);
	if (chance(40)) {
		/* Multicast, the usual destination. */
		memset(dst, 0, 16);
		dst[0] = 0xff;
		dst[1] = 0x02;
		dst[15] = 1;
	}
	fr_ipv6(&g->f, src, dst);
	fr_hoplimit(&g->f, chance(90) ? 255 : below(256));
	if (chance(10))
		some_ext(&g->f, &non_first);
	if (non_first) {
		g->f.buf[g->f.proto_off] = 58;
		fr_payload(&g->f, 24);
	} else {
		fr_ndp(&g->f, type, target,
		       chance(70) ? 1 + below(2) : chance(50) ? 0 : below(8),
		       chance(80) ? mac : some_mac());
		if (chance(5))
			g->f.buf[g->f.l4_off + 1] = below(4);	/* code */
		if (chance(5))	/* the option's length */
			g->f.buf[g->f.len - 7] = below(3);
	}
	fr_finish(&g->f);
}

static void gen_mld(struct gen *g)
{
	static const uint8_t types[] = { 130, 131, 132, 143 };
	uint8_t src[16], dst[16];

	g->kind = "mld";
	fr_eth(&g->f, some_mac());
	some_tags(&g->f);
	some_addr6(src);
	memset(dst, 0, 16);
	dst[0] = 0xff;
	dst[1] = 0x02;
	dst[15] = 0x16;
	if (chance(10))
		some_addr6(dst);
	fr_ipv6(&g->f, src, dst);
	fr_hoplimit(&g->f, chance(85) ? 1 : below(256));
	if (chance(15)) {
		fr_ip6_opts(&g->f, 0, 8);	/* router alert, as usual */
		if (chance(30))
			fr_ip6_frag(&g->f, 0, 1);
	}
	fr_icmp6(&g->f, types[below(4)], 16 + below(16));
	fr_finish(&g->f);
}

static void gen_non_ip(struct gen *g)
{
	static const uint16_t types[] = { 0x8035, 0x8137, 0x88cc, 0x888e,
					  0x88f7, 0x9100, 0x8847, 0x0026 };

	g->kind = "non-ip";
	fr_eth(&g->f, some_mac());
	some_dst_mac(&g->f);
	some_tags(&g->f);
	fr_ethertype(&g->f, chance(80) ? types[below(8)] : rnd());
	fr_payload(&g->f, below(64));
}

/* Mutations of a whole frame ----------------------------------------------- */

static void mutate(struct gen *g)
{
	struct frame *f = &g->f;
	size_t n;

	switch (below(9)) {
	case 0:		/* truncated */
		if (f->len > 14)
			f->len = 14 + below(f->len - 14);
		break;
	case 1:		/* truncated, the IP length made to match */
		if (f->len > 14) {
			f->len = 14 + below(f->len - 14);
			if (f->l3_off && f->len >= f->l3_off +
			    (f->family == AF_INET ? 20 : 40))
				fr_fix_len(f, f->len);
		}
		break;
	case 2:		/* a byte of the headers changed */
		n = below(f->len < 96 ? f->len : 96);
		f->buf[n] = rnd();
		break;
	case 3:		/* a bit flipped anywhere */
		n = below(f->len);
		f->buf[n] ^= 1 << below(8);
		break;
	case 4:		/* IPv4 ihl, or IPv6 version */
		if (f->family == AF_INET)
			f->buf[f->l3_off] = 0x40 | below(16);
		else if (f->family == AF_INET6)
			f->buf[f->l3_off] = below(16) << 4;
		break;
	case 5:		/* the IP length field */
		if (f->l3_off)
			fr_put16(f->buf + f->l3_off +
				 (f->family == AF_INET ? 2 : 4),
				 chance(50) ? rnd() : f->len - f->l3_off -
				 below(48));
		break;
	case 6:		/* Ethernet padding after the packet */
		n = below(48);
		fr_payload(f, n);
		break;
	case 7:		/* an extension header's length or next header */
		if (f->family == AF_INET6 && f->len > f->l3_off + 42) {
			n = f->l3_off + 40 + below(2);
			f->buf[n] = n & 1 ? below(8) : rnd();
		}
		break;
	default:	/* a few bytes changed */
		for (n = 0; n < 3; n++)
			f->buf[below(f->len)] = rnd();
		break;
	}
}

static void generate(struct gen *g)
{
	unsigned int k = below(100);

	if (k < 18)
		gen_ipv4(g);
	else if (k < 26)
		gen_dhcp(g);
	else if (k < 46)
		gen_ipv6(g);
	else if (k < 60)
		gen_arp(g);
	else if (k < 82)
		gen_ndp(g);
	else if (k < 90)
		gen_mld(g);
	else
		gen_non_ip(g);
	if (chance(45)) {
		mutate(g);
		while (chance(30))
			mutate(g);
	}
}

/* Running and checking ----------------------------------------------------- */

static void print_frame(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fprintf(stderr, "%02x%s", buf[i],
			i % 32 == 31 || i == len - 1 ? "\n# " : "");
	fprintf(stderr, "\n");
}

static void report(FIXTURE_DATA(diff) *self, const uint8_t *buf, size_t len,
		   const char *kind, const struct ref_verdict *v,
		   const char *what)
{
	fprintf(stderr, "# MISMATCH after %" PRIu64 " frames: %s\n"
		"# frame (%s, %zu bytes):\n# ", self->frames, what, kind, len);
	print_frame(buf, len);
	fprintf(stderr, "# expected: action %u, reason %s (%s), device %d; "
		"features of %d, ARP of %d, foreign of %d\n",
		v->action, reason_name(v->reason), v->why, v->dev, v->feat_dev,
		v->arp_dev, v->foreign_dev);
}

static bool same(const struct iotguard_counter *a,
		 const struct iotguard_counter *b)
{
	return a->packets == b->packets && a->bytes == b->bytes;
}

/* The device's counters as expected; *why says which differs. */
static bool check_dev(FIXTURE_DATA(diff) *self, int i, char *why, size_t n)
{
	struct iotguard_dev_stats got;
	const struct expect_dev *e = &self->dev[i];
	static const struct iotguard_counter zero;
	int err;

	err = read_dev(self, i, &got);
	if (err) {
		snprintf(why, n, "Unable to read device %d's counters: %s", i,
			 strerror(-err));
		return false;
	}
	if (same(&got.pass, &e->pass) && same(&got.denied, &e->denied) &&
	    same(&got.spoofed, &e->spoofed) && same(&got.rate, &zero) &&
	    same(&got.bad_tag, &zero) && same(&got.replay, &zero) &&
	    same(&got.expired, &zero) && same(&got.revoked, &zero))
		return true;
	snprintf(why, n, "device %d: pass %llu/%llu denied %llu/%llu "
		 "spoofed %llu/%llu rate %llu (actual/expected packets)", i,
		 got.pass.packets, e->pass.packets, got.denied.packets,
		 e->denied.packets, got.spoofed.packets, e->spoofed.packets,
		 got.rate.packets);
	return false;
}

/* The device's features as expected; *why says which differ. */
static bool check_feat(FIXTURE_DATA(diff) *self, int i, char *why, size_t n)
{
	const struct expect_dev *e = &self->dev[i];
	struct iotguard_dev_features got;
	int err;

	err = read_feat(self, i, &got);
	if (err) {
		snprintf(why, n, "Unable to read device %d's features: %s", i,
			 strerror(-err));
		return false;
	}
	if (got.packets == e->packets && got.bytes == e->bytes &&
	    got.tcp_syn == e->tcp_syn && got.icmp == e->icmp &&
	    got.arp == e->arp && got.neigh_foreign == e->neigh_foreign)
		return true;
	snprintf(why, n, "device %d features: packets %llu/%" PRIu64
		 " bytes %llu/%" PRIu64 " syn %llu/%" PRIu64 " icmp %llu/%"
		 PRIu64 " arp %llu/%" PRIu64 " foreign %llu/%" PRIu64
		 " (actual/expected)", i, got.packets, e->packets, got.bytes,
		 e->bytes, got.tcp_syn, e->tcp_syn, got.icmp, e->icmp,
		 got.arp, e->arp, got.neigh_foreign, e->neigh_foreign);
	return false;
}

static void expect_features(FIXTURE_DATA(diff) *self,
			    const struct ref_verdict *v, size_t len)
{
	if (v->feat_dev >= 0) {
		struct expect_dev *e = &self->dev[v->feat_dev];

		e->packets++;
		e->bytes += len;
		e->tcp_syn += v->feat_syn;
		e->icmp += v->feat_icmp;
	}
	if (v->arp_dev >= 0)
		self->dev[v->arp_dev].arp++;
	if (v->foreign_dev >= 0)
		self->dev[v->foreign_dev].neigh_foreign++;
}

static void expect_counts(FIXTURE_DATA(diff) *self,
			  const struct ref_verdict *v, size_t len)
{
	struct iotguard_counter *c = NULL;

	expect_features(self, v, len);
	self->global[v->reason].packets++;
	self->global[v->reason].bytes += len;
	self->by_reason[v->reason]++;
	if (v->remembered)
		self->remembered++;
	if (v->dev < 0)
		return;
	switch (v->counter) {
	case REF_DEV_PASS:
		c = &self->dev[v->dev].pass;
		break;
	case REF_DEV_DENIED:
		c = &self->dev[v->dev].denied;
		break;
	case REF_DEV_SPOOFED:
		c = &self->dev[v->dev].spoofed;
		break;
	case REF_DEV_NONE:
		return;
	}
	c->packets++;
	c->bytes += len;
}

/*
 * Sends len bytes of g's frame and checks the verdict, the global counters
 * and the counters of the device the reference names. Returns false after
 * reporting a mismatch.
 */
static bool send_one(struct __test_metadata *_metadata,
		     FIXTURE_DATA(diff) *self, const struct gen *g, size_t len)
{
	struct iotguard_counter got[IOTGUARD_R_MAX];
	struct ref_verdict v;
	char why[256];
	unsigned int r;
	int err;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = g->f.buf,
		.data_size_in = len,
		.repeat = 1,
	);

	ref_classify(&self->table, g->f.buf, len, &v);
	if (v.undetermined) {
		self->undetermined++;
		return true;
	}
	err = bpf_prog_test_run_opts(self->prog_fd, &opts);
	self->frames++;
	if (len < 14) {
		/* The kernel refuses to run less than an Ethernet header. */
		self->short_frames++;
		if (err == -EINVAL)
			return true;
		report(self, g->f.buf, len, g->kind, &v, "a short frame ran");
		return false;
	}
	if (err) {
		report(self, g->f.buf, len, g->kind, &v, "test_run failed");
		TH_LOG("Unable to run the program: %s", strerror(-err));
		return false;
	}
	expect_counts(self, &v, len);
	ref_commit(&self->table, &v);

	if (opts.retval != v.action) {
		snprintf(why, sizeof(why), "action %u, expected %u",
			 opts.retval, v.action);
		report(self, g->f.buf, len, g->kind, &v, why);
		read_global(self, got);
		for (r = 0; r < IOTGUARD_R_MAX; r++)
			if (got[r].packets > self->global[r].packets)
				fprintf(stderr, "# actual reason: %s\n",
					reason_name(r));
		return false;
	}
	err = read_global(self, got);
	if (err) {
		TH_LOG("Unable to read the global counters: %s",
		       strerror(-err));
		return false;
	}
	for (r = 0; r < IOTGUARD_R_MAX; r++) {
		if (same(&got[r], &self->global[r]))
			continue;
		snprintf(why, sizeof(why),
			 "global %s: %llu packets %llu bytes, "
			 "expected %llu %llu",
			 reason_name(r), got[r].packets, got[r].bytes,
			 self->global[r].packets, self->global[r].bytes);
		report(self, g->f.buf, len, g->kind, &v, why);
		return false;
	}
	if (v.dev >= 0 && !check_dev(self, v.dev, why, sizeof(why))) {
		report(self, g->f.buf, len, g->kind, &v, why);
		return false;
	}
	for (r = 0; r < 3; r++) {
		int d = r == 0 ? v.feat_dev : r == 1 ? v.arp_dev :
			v.foreign_dev;

		if (d >= 0 && !check_feat(self, d, why, sizeof(why))) {
			report(self, g->f.buf, len, g->kind, &v, why);
			return false;
		}
	}
	return true;
}

/* Every device, and the unknown sources: what per-frame checks miss. */
static bool check_all(struct __test_metadata *_metadata,
		      FIXTURE_DATA(diff) *self)
{
	uint64_t remembered;
	uint32_t entries;
	char why[256];
	int i, err;

	for (i = 0; i < self->table.ndev; i++) {
		if (!check_dev(self, i, why, sizeof(why)) ||
		    !check_feat(self, i, why, sizeof(why))) {
			TH_LOG("after %" PRIu64 " frames: %s", self->frames,
			       why);
			return false;
		}
	}
	err = read_remembered(self, &remembered, &entries);
	if (err) {
		TH_LOG("Unable to read the unknown sources: %s",
		       strerror(-err));
		return false;
	}
	/*
	 * Entries leave the LRU only to make room, and the kernel's LRU
	 * evicts only once its free nodes are used up (or held in the CPUs'
	 * local free lists, 128 each): below that, no frame has been
	 * forgotten. Past it, the frames of evicted sources are gone, but
	 * none is ever counted that was not sent.
	 */
	if (!self->lru_full &&
	    entries >= IOTGUARD_UNKNOWN_MAX - 128 * (self->ncpus + 1)) {
		self->lru_full = true;
		TH_LOG("after %" PRIu64 " frames: %u unknown sources, the LRU "
		       "may evict: remembered frames checked as at most those "
		       "expected from now on", self->frames, entries);
	}
	if (self->lru_full ? remembered > self->remembered :
	    remembered != self->remembered) {
		TH_LOG("after %" PRIu64 " frames: %" PRIu64
		       " frames remembered as unknown, expected %" PRIu64,
		       self->frames, remembered, self->remembered);
		return false;
	}
	return true;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The frames: generated, mostly mutated; one in 500 also sent at every
 * length from 0 to its own (truncations at every length).
 */
TEST_F(diff, random_and_mutated_frames)
{
	uint64_t want = env_u64("IOTGUARD_XDP_DIFF_FRAMES", FRAMES_DEFAULT) *
			variant->percent / 100;
	uint64_t seed = env_u64("IOTGUARD_XDP_DIFF_SEED", 0);
	uint64_t next_check = CHECK_EVERY;
	struct expect_dev feat = {};
	double start;
	int i;
	struct gen g;
	size_t len;
	unsigned int r;

	if (!seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	rng_state = seed;
	TH_LOG("seed %" PRIu64 " (IOTGUARD_XDP_DIFF_SEED), %" PRIu64
	       " frames (IOTGUARD_XDP_DIFF_FRAMES)", seed, want);

	start = now_s();
	while (self->frames < want) {
		generate(&g);
		if (below(500) == 0) {
			for (len = 0; len <= g.f.len; len++)
				ASSERT_TRUE(send_one(_metadata, self, &g, len));
		} else {
			ASSERT_TRUE(send_one(_metadata, self, &g, g.f.len));
		}
		if (self->frames >= next_check) {
			ASSERT_TRUE(check_all(_metadata, self));
			next_check += CHECK_EVERY;
		}
	}
	ASSERT_TRUE(check_all(_metadata, self));

	TH_LOG("%" PRIu64 " frames in %.0f s: %.0f frames/s; %" PRIu64
	       " shorter than Ethernet, %" PRIu64 " undetermined (not sent)",
	       self->frames, now_s() - start,
	       self->frames / (now_s() - start), self->short_frames,
	       self->undetermined);
	for (r = 0; r < IOTGUARD_R_MAX; r++)
		if (self->by_reason[r])
			TH_LOG("  %-12s %" PRIu64, reason_name(r),
			       self->by_reason[r]);
	TH_LOG("%" PRIu64 " remembered as unknown", self->remembered);
	for (i = 0; i < self->table.ndev; i++) {
		feat.packets += self->dev[i].packets;
		feat.arp += self->dev[i].arp;
		feat.neigh_foreign += self->dev[i].neigh_foreign;
		feat.tcp_syn += self->dev[i].tcp_syn;
		feat.icmp += self->dev[i].icmp;
	}
	TH_LOG("features: %" PRIu64 " packets, %" PRIu64 " SYNs, %" PRIu64
	       " ICMP, %" PRIu64 " ARP requests, %" PRIu64 " in another's "
	       "name", feat.packets, feat.tcp_syn, feat.icmp, feat.arp,
	       feat.neigh_foreign);
}

TEST_HARNESS_MAIN
