// SPDX-License-Identifier: GPL-2.0
/*
 * The per-device behaviour features of the XDP program
 * (include/iotguard/features.h, bpf/features.h), run with BPF_PROG_TEST_RUN
 * against the real iotguard.ko (which must be loaded), as in verdict_test.c:
 * crafted frames from enrolled devices, then the features map and the
 * destinations LRU are read back as the daemon would.
 *
 *	features_test			the tests (TAP)
 *	features_test --bench [REPEAT [ROUNDS]]
 *					the per-frame cost of the features on
 *					the pass path: the program with and
 *					without them, medians of ROUNDS runs
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

/* The harness is not -Wextra clean (see verdict_test.c). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wsign-compare"
/*
 * The harness gives each test 30 s of wall time: loading the program (its
 * per-CPU maps sized to max_devices) took longer than that in a TCG guest
 * on a busy machine. A net against a hang, not a judgement: generous.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#include <iotguard/features.h>
#include <iotguard/kfunc.h>
#include <iotguard/maps.h>
#include <linux/iotguard.h>
#include "nl.h"
#include "iotguard.skel.h"
#include "testlib.h"
#include "reset_maps.h"
#include "frames.h"


/* 2^50 ns, 13 days: no rotation unless a test asks for one. */
#define LONG_EPOCH_SHIFT 50

/* The hash of bpf/features.h, computed independently of it. */
#define HASH_M1 0x9e3779b97f4a7c15ULL
#define HASH_M2 0xbf58476d1ce4e5b9ULL

static unsigned int sketch_bit(uint64_t x, uint64_t epoch)
{
	x = (x ^ epoch * HASH_M1) * HASH_M1;
	x ^= x >> 32;
	x *= HASH_M2;
	return x >> 56;
}

/* The address as the program loads it: two native-endian words, xored. */
static unsigned int addr_bit(const uint8_t addr[16], uint64_t epoch)
{
	uint64_t w[2];

	memcpy(w, addr, sizeof(w));
	return sketch_bit(w[0] ^ w[1], epoch);
}

static unsigned int port_bit(uint8_t proto, uint16_t port, uint64_t epoch)
{
	return sketch_bit((uint64_t)proto << 16 | htons(port), epoch);
}

static void set_bit64(__u64 *words, unsigned int bit)
{
	words[bit / 64] |= 1ULL << (bit % 64);
}

static unsigned int popcount_words(const __u64 *words)
{
	unsigned int i, n = 0;

	for (i = 0; i < IOTGUARD_SKETCH_WORDS; i++)
		n += __builtin_popcountll(words[i]);
	return n;
}

static const uint8_t mac_a[6] = { 0x02, 0x10, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0x10, 0, 0, 0, 0x0b };
static const uint8_t mac_c[6] = { 0x02, 0x10, 0, 0, 0, 0x0c };

/* Documentation ranges only: 198.18.0.0/15 and 2001:2::/48. */
static void dst4(uint8_t out[16], unsigned int n)
{
	memset(out, 0, 16);
	out[0] = 198;
	out[1] = 19;
	out[2] = n >> 8;
	out[3] = n;
}

static void dst6(uint8_t out[16], unsigned int n)
{
	static const uint8_t pfx[8] = { 0x20, 0x01, 0x00, 0x02, 0, 0x02, 0, 0 };

	memset(out, 0, 16);
	memcpy(out, pfx, sizeof(pfx));
	out[14] = n >> 8;
	out[15] = n;
}

/*
 * The program's clock, bpf_ktime_get_coarse_ns(): CLOCK_MONOTONIC_COARSE.
 * Reading that clock itself, a test needs no allowance for how far it lags
 * CLOCK_MONOTONIC (a tick, or more when a busy guest's ticks come late).
 */
static uint64_t prog_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

struct opts {
	bool monitor;
	bool features;
	unsigned int epoch_shift;
};

/*
 * Loads the program as the loader does (the per-device maps sized by the
 * module's table), except for pinning: tests share no maps.
 */
static struct iotguard *load_skel(const struct opts *o, int *errp)
{
	struct iotguard *skel;
	int err;

	skel = iotguard__open();
	if (!skel) {
		*errp = -errno;
		return NULL;
	}
	skel->rodata->monitor = o->monitor;
	skel->rodata->features = o->features;
	skel->rodata->epoch_shift = o->epoch_shift;
	err = prepare_skel(skel);
	if (err)
		goto fail;
	err = iotguard__load(skel);
	if (err)
		goto fail;
	return skel;

fail:
	iotguard__destroy(skel);
	*errp = err;
	return NULL;
}

static void dev_init(struct iotguard_device *d, int family, uint8_t host)
{
	static const uint8_t pfx6[6] = { 0x20, 0x01, 0x00, 0x02, 0x00, 0x00 };

	memset(d, 0, sizeof(*d));
	d->id.family = family;
	if (family == AF_INET) {
		d->id.addr[0] = 198;
		d->id.addr[1] = 18;
		d->id.addr[3] = host;
	} else {
		memcpy(d->id.addr, pfx6, sizeof(pfx6));
		d->id.addr[15] = host;
	}
}

/* Ethernet and IP from d to dst (16 bytes, IPv4 in the first 4). */
static void frame_ip(struct frame *f, const struct iotguard_device *d,
		     const uint8_t *dst)
{
	fr_eth(f, mac_a);
	if (d->id.family == AF_INET)
		fr_ipv4(f, d->id.addr, dst, 0);
	else
		fr_ipv6(f, d->id.addr, dst);
}

/* A UDP frame of exactly len bytes (at least the headers). */
static void frame_udp(struct frame *f, const struct iotguard_device *d,
		      const uint8_t *dst, uint16_t dport, size_t len)
{
	size_t hdrs = 14 + (d->id.family == AF_INET ? 20 : 40) + 8;

	frame_ip(f, d, dst);
	fr_udp(f, len > hdrs ? len - hdrs : 0);
	fr_put16(f->buf + f->l4_off + 2, dport);
	fr_finish(f);
}

static void frame_tcp(struct frame *f, const struct iotguard_device *d,
		      const uint8_t *dst, uint16_t dport, uint8_t flags)
{
	frame_ip(f, d, dst);
	fr_tcp(f, 0);
	fr_put16(f->buf + f->l4_off + 2, dport);
	f->buf[f->l4_off + 13] = flags;
	fr_finish(f);
}

/* ICMP for IPv4, ICMPv6 for IPv6, of the given type. */
static void frame_icmp(struct frame *f, const struct iotguard_device *d,
		       const uint8_t *dst, uint8_t type)
{
	uint8_t *p;

	frame_ip(f, d, dst);
	if (d->id.family == AF_INET6) {
		fr_icmp6(f, type, 8);
	} else {
		/* frames.h has no ICMPv4 builder. */
		f->buf[f->proto_off] = 1;
		f->l4_off = f->len;
		p = fr_put(f, 16);
		p[0] = type;
	}
	fr_finish(f);
}

static int run_frame(int prog_fd, const struct frame *f, uint32_t *action)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = f->buf,
		.data_size_in = f->len,
		.repeat = 1,
	);
	int err;

	err = bpf_prog_test_run_opts(prog_fd, &opts);
	*action = opts.retval;
	return err;
}

/* ORs v into sum if it is of the same epoch (or window). */
static void or_sketch(struct iotguard_sketch *sum,
		      const struct iotguard_sketch *v)
{
	int i;

	if (v->epoch != sum->epoch)
		return;
	for (i = 0; i < IOTGUARD_SKETCH_WORDS; i++) {
		sum->dst_addr[i] |= v->dst_addr[i];
		sum->dst_port[i] |= v->dst_port[i];
	}
}

/*
 * A device's features as the daemon reads them: counters summed over the
 * CPUs whose entry has the device's cookie, each sketch slot ORed over the
 * CPUs that hold the slot's newest epoch.
 */
static int read_features(struct iotguard *skel,
			 const struct iotguard_device *d,
			 struct iotguard_dev_features *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	struct iotguard_dev_features vals[ncpus];
	uint32_t idx = d->index;
	int cpu, err, i, slot;

	memset(sum, 0, sizeof(*sum));
	err = bpf_map__lookup_elem(skel->maps.iotguard_features, &idx,
				   sizeof(idx), vals, sizeof(vals), 0);
	/* No entry: nothing passed from the device yet. */
	if (err == -ENOENT)
		memset(vals, 0, sizeof(vals));
	else if (err)
		return err;
	sum->cookie = d->cookie;
	for (cpu = 0; cpu < ncpus; cpu++) {
		const struct iotguard_dev_features *v = &vals[cpu];

		if (v->cookie != d->cookie)
			continue;
		sum->packets += v->packets;
		sum->bytes += v->bytes;
		sum->tcp_syn += v->tcp_syn;
		sum->icmp += v->icmp;
		sum->arp += v->arp;
		sum->neigh_foreign += v->neigh_foreign;
		sum->tcp_odd += v->tcp_odd;
		for (i = 0; i < IOTGUARD_SIZE_BUCKETS; i++)
			sum->size_hist[i] += v->size_hist[i];
		if (v->last_seen_ns > sum->last_seen_ns)
			sum->last_seen_ns = v->last_seen_ns;
		for (slot = 0; slot < 2; slot++) {
			if (v->sketch[slot].epoch > sum->sketch[slot].epoch)
				sum->sketch[slot].epoch = v->sketch[slot].epoch;
			if (v->window[slot].epoch > sum->window[slot].epoch)
				sum->window[slot].epoch = v->window[slot].epoch;
		}
	}
	for (cpu = 0; cpu < ncpus; cpu++) {
		const struct iotguard_dev_features *v = &vals[cpu];

		if (v->cookie != d->cookie)
			continue;
		for (slot = 0; slot < 2; slot++) {
			or_sketch(&sum->sketch[slot], &v->sketch[slot]);
			or_sketch(&sum->window[slot], &v->window[slot]);
		}
	}
	return 0;
}

/* The slot written last: the epoch of the last frame. */
static const struct iotguard_sketch *
newest_slot(const struct iotguard_dev_features *f)
{
	return &f->sketch[f->sketch[1].epoch > f->sketch[0].epoch];
}

static int dest_lookup(struct iotguard *skel, const struct iotguard_device *d,
		       int family, const uint8_t *addr,
		       struct iotguard_dest_val *val)
{
	struct iotguard_dest_key key;

	memset(&key, 0, sizeof(key));
	key.index = d->index;
	key.cookie = d->cookie;
	key.family = family;
	memcpy(key.addr, addr, family == AF_INET ? 4 : 16);
	return bpf_map__lookup_elem(skel->maps.iotguard_dests, &key,
				    sizeof(key), val, sizeof(*val), 0);
}

static int dest_count(struct iotguard *skel)
{
	struct iotguard_dest_key key, next;
	void *prev = NULL;
	int n = 0;

	while (!bpf_map__get_next_key(skel->maps.iotguard_dests, prev, &next,
				      sizeof(next))) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

/*
 * The program as the cases start with it, loaded once before they fork,
 * its maps emptied for each (reset_maps): reload() loads a case's own.
 */
static struct iotguard *loaded;

static void __attribute__((constructor)) load_once(void)
{
	struct opts o = { .features = true, .epoch_shift = LONG_EPOCH_SHIFT };
	int err;

	if (!access("/sys/module/iotguard", F_OK))
		loaded = load_skel(&o, &err);
}

FIXTURE(features) {
	struct iotguard *skel;
	struct iotguard_nl *nl;
	int prog_fd;
};

static void reload(struct __test_metadata *_metadata,
		   FIXTURE_DATA(features) *self, const struct opts *o)
{
	int err = 0;

	iotguard__destroy(self->skel);
	self->skel = load_skel(o, &err);
	ASSERT_NE(NULL, self->skel) {
		TH_LOG("loading the program: %s", strerror(-err));
	}
	self->prog_fd = bpf_program__fd(self->skel->progs.iotguard_xdp);
	ASSERT_LE(0, self->prog_fd);
}

FIXTURE_SETUP(features)
{
	struct opts o = { .features = true, .epoch_shift = LONG_EPOCH_SHIFT };
	cpu_set_t cpus;

	/* One CPU: per-CPU entries then move where we look. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	ASSERT_EQ(0, access("/sys/module/iotguard", F_OK)) {
		TH_LOG("iotguard.ko is not loaded");
	}
	if (loaded) {
		/* The child's copy: its destroy leaves the parent's. */
		self->skel = loaded;
		ASSERT_EQ(0, reset_maps(self->skel->obj));
		self->prog_fd = bpf_program__fd(self->skel->progs.iotguard_xdp);
		ASSERT_LE(0, self->prog_fd);
	} else {
		reload(_metadata, self, &o);
	}
	ASSERT_EQ(0, iotguard_nl_open(&self->nl));
	ASSERT_EQ(0, delete_all(self->nl));
}

FIXTURE_TEARDOWN(features)
{
	if (self->nl) {
		EXPECT_EQ(0, delete_all(self->nl));
		iotguard_nl_close(self->nl);
	}
	iotguard__destroy(self->skel);
}

static void enroll(struct __test_metadata *_metadata,
		   FIXTURE_DATA(features) *self, struct iotguard_device *d)
{
	struct iotguard_device got;
	int err;

	err = iotguard_nl_device_new(self->nl, d);
	ASSERT_EQ(0, err) {
		TH_LOG("DEVICE_NEW: %s (%s)", strerror(-err),
		       iotguard_nl_extack(self->nl));
	}
	ASSERT_EQ(0, iotguard_nl_device_get(self->nl, &d->id, &got));
	d->index = got.index;
	d->cookie = got.cookie;
}

/* Runs f and checks its action. */
static void send_frame(struct __test_metadata *_metadata,
		       FIXTURE_DATA(features) *self, const struct frame *f,
		       uint32_t action)
{
	uint32_t got;

	ASSERT_EQ(0, run_frame(self->prog_fd, f, &got));
	ASSERT_EQ(action, got);
}

#define PASS(f) send_frame(_metadata, self, f, XDP_PASS)
#define DROP(f) send_frame(_metadata, self, f, XDP_DROP)
#define READ(d, feat) ASSERT_EQ(0, read_features(self->skel, d, feat))

TEST_F(features, packets_bytes_last_seen)
{
	struct iotguard_dev_features ft;
	struct iotguard_device d;
	uint8_t dst[16];
	uint64_t t0, t1;
	struct frame f;

	dev_init(&d, AF_INET, 1);
	enroll(_metadata, self, &d);
	dst4(dst, 1);
	frame_udp(&f, &d, dst, 5683, 100);
	ASSERT_EQ(100, f.len);
	t0 = prog_clock_ns();
	PASS(&f);
	PASS(&f);
	PASS(&f);
	t1 = prog_clock_ns();

	READ(&d, &ft);
	EXPECT_EQ(3, ft.packets);
	EXPECT_EQ(300, ft.bytes);
	EXPECT_EQ(3, ft.size_hist[1]);
	EXPECT_EQ(0, ft.tcp_syn);
	EXPECT_EQ(0, ft.icmp);
	EXPECT_LE(t0, ft.last_seen_ns);
	EXPECT_GE(t1, ft.last_seen_ns);

	/* IPv6 counts the same way. */
	dev_init(&d, AF_INET6, 1);
	enroll(_metadata, self, &d);
	dst6(dst, 1);
	frame_udp(&f, &d, dst, 5683, 200);
	PASS(&f);
	READ(&d, &ft);
	EXPECT_EQ(1, ft.packets);
	EXPECT_EQ(200, ft.bytes);
	EXPECT_EQ(1, ft.size_hist[2]);
}

/* ≤64, ≤128, ≤256, ≤512, ≤1024, >1024: each edge and the byte past it. */
TEST_F(features, size_buckets_at_edges)
{
	static const size_t lens[] = {
		60, 64, 65, 128, 129, 256, 257, 512, 513, 1024, 1025, 1514,
	};
	struct iotguard_dev_features ft;
	struct iotguard_device d;
	uint64_t bytes = 0;
	uint8_t dst[16];
	struct frame f;
	unsigned int i;

	dev_init(&d, AF_INET, 2);
	enroll(_metadata, self, &d);
	dst4(dst, 1);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		frame_udp(&f, &d, dst, 5683, lens[i]);
		ASSERT_EQ(lens[i], f.len);
		PASS(&f);
		bytes += lens[i];
	}
	READ(&d, &ft);
	for (i = 0; i < IOTGUARD_SIZE_BUCKETS; i++) {
		EXPECT_EQ(2, ft.size_hist[i]) {
			TH_LOG("bucket %u: %llu frames", i,
			       (unsigned long long)ft.size_hist[i]);
		}
	}
	EXPECT_EQ(12, ft.packets);
	EXPECT_EQ(bytes, ft.bytes);
}

/*
 * Connection attempts, SYN without ACK whatever else is set, count in
 * tcp_syn; flags no stack sends (nmap -O's probes, null, FIN and Xmas
 * scans) in tcp_odd, a SYN among them in both; a connection's own
 * segments, a RST and UDP in neither.
 */
TEST_F(features, tcp_syn_and_odd_flags)
{
	static const struct {
		uint8_t flags;
		bool odd, syn;
	} cases[] = {
		{ 0x02, false, true },	/* SYN */
		{ 0xc2, false, true },	/* SYN ECE CWR */
		{ 0x12, false, false },	/* SYN-ACK */
		{ 0x18, false, false },	/* PSH-ACK */
		{ 0x11, false, false },	/* FIN-ACK */
		{ 0x04, false, false },	/* RST */
		{ 0x14, false, false },	/* RST-ACK */
		{ 0x00, true, false },	/* null */
		{ 0x01, true, false },	/* FIN */
		{ 0x29, true, false },	/* FIN PSH URG: Xmas */
		{ 0x2b, true, true },	/* SYN FIN PSH URG */
		{ 0x06, true, true },	/* SYN RST */
		{ 0x08, true, false },	/* PSH alone */
	};
	struct iotguard_dev_features ft;
	unsigned int i, odd = 0, syns = 0;
	struct iotguard_device d, d6;
	uint8_t dst[16];
	struct frame f;

	dev_init(&d, AF_INET, 3);
	enroll(_metadata, self, &d);
	dst4(dst, 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		frame_tcp(&f, &d, dst, 135, cases[i].flags);
		PASS(&f);
		odd += cases[i].odd;
		syns += cases[i].syn;
		READ(&d, &ft);
		EXPECT_EQ(odd, ft.tcp_odd) {
			TH_LOG("flags %#x", cases[i].flags);
		}
		EXPECT_EQ(syns, ft.tcp_syn) {
			TH_LOG("flags %#x", cases[i].flags);
		}
	}
	EXPECT_EQ(i, ft.packets);

	/* UDP has no flags. */
	frame_udp(&f, &d, dst, 1883, 64);
	PASS(&f);
	READ(&d, &ft);
	EXPECT_EQ(odd, ft.tcp_odd);
	EXPECT_EQ(syns, ft.tcp_syn);
	EXPECT_EQ(0, ft.icmp);

	dev_init(&d6, AF_INET6, 3);
	enroll(_metadata, self, &d6);
	dst6(dst, 1);
	frame_tcp(&f, &d6, dst, 135, 0x29);
	PASS(&f);
	frame_tcp(&f, &d6, dst, 135, 0x18);
	PASS(&f);
	frame_tcp(&f, &d6, dst, 1883, 0x02);
	PASS(&f);
	frame_tcp(&f, &d6, dst, 1883, 0x12);
	PASS(&f);
	READ(&d6, &ft);
	EXPECT_EQ(1, ft.tcp_odd);
	EXPECT_EQ(1, ft.tcp_syn);
}

/* ICMP counts; neighbour discovery passes without being a feature. */
TEST_F(features, icmp_not_ndp)
{
	static const uint8_t all_routers[16] = { 0xff, 0x02, [15] = 2 };
	struct iotguard_dev_features ft;
	struct iotguard_device d, d6;
	uint8_t dst[16];
	struct frame f;

	dev_init(&d, AF_INET, 4);
	enroll(_metadata, self, &d);
	dst4(dst, 1);
	frame_icmp(&f, &d, dst, 8);		/* echo request */
	PASS(&f);
	frame_icmp(&f, &d, dst, 3);		/* unreachable */
	PASS(&f);
	frame_udp(&f, &d, dst, 5683, 64);
	PASS(&f);
	READ(&d, &ft);
	EXPECT_EQ(2, ft.icmp);
	EXPECT_EQ(3, ft.packets);

	dev_init(&d6, AF_INET6, 4);
	enroll(_metadata, self, &d6);
	dst6(dst, 1);
	frame_icmp(&f, &d6, dst, 128);		/* echo request */
	PASS(&f);
	/* Solicitation, advertisement, router solicitation, to the link. */
	frame_ip(&f, &d6, all_routers);
	fr_hoplimit(&f, 255);
	fr_ndp(&f, 135, dst, 0, NULL);
	fr_finish(&f);
	PASS(&f);
	frame_ip(&f, &d6, all_routers);
	fr_hoplimit(&f, 255);
	fr_ndp(&f, 136, d6.id.addr, 0, NULL);
	fr_finish(&f);
	PASS(&f);
	frame_ip(&f, &d6, all_routers);
	fr_hoplimit(&f, 255);
	fr_ndp(&f, 133, NULL, 0, NULL);
	fr_finish(&f);
	PASS(&f);
	READ(&d6, &ft);
	EXPECT_EQ(1, ft.icmp);
	EXPECT_EQ(1, ft.packets);
}

/*
 * What a device offers counts, passed or held back (denied, over its rate,
 * in quarantine): an attack stays visible while it is stopped. Frames
 * forged in its name and unknown ones are no behaviour of anyone's.
 */
TEST_F(features, held_back_frames_counted_forged_not)
{
	struct iotguard_dev_features ft;
	struct iotguard_device deny, bound, rated, stranger;
	unsigned int i, passed = 0;
	uint8_t dst[16];
	uint32_t action;
	struct frame f;

	dst4(dst, 1);
	dev_init(&deny, AF_INET, 5);
	deny.state = IOTGUARD_STATE_DENY;
	deny.present |= IOTGUARD_DEV_STATE;
	enroll(_metadata, self, &deny);
	frame_udp(&f, &deny, dst, 5683, 64);
	DROP(&f);
	READ(&deny, &ft);
	EXPECT_EQ(1, ft.packets);

	/* Bound to mac_b; the frames come from mac_a. */
	dev_init(&bound, AF_INET, 6);
	memcpy(bound.mac, mac_b, 6);
	bound.present |= IOTGUARD_DEV_MAC;
	enroll(_metadata, self, &bound);
	frame_udp(&f, &bound, dst, 5683, 64);
	DROP(&f);
	READ(&bound, &ft);
	EXPECT_EQ(0, ft.packets);

	/* 1 packet/s, burst 1: a few pass, the rest are over the rate. */
	dev_init(&rated, AF_INET, 7);
	rated.rate_pps = 1;
	rated.burst_pkts = 1;
	rated.present |= IOTGUARD_DEV_RATE_PPS | IOTGUARD_DEV_BURST_PKTS;
	enroll(_metadata, self, &rated);
	frame_tcp(&f, &rated, dst, 80, 0x02);
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, run_frame(self->prog_fd, &f, &action));
		passed += action == XDP_PASS;
	}
	EXPECT_LT(0, passed);
	EXPECT_GT(10, passed);
	READ(&rated, &ft);
	EXPECT_EQ(10, ft.packets);
	EXPECT_EQ(10, ft.tcp_syn);

	dev_init(&stranger, AF_INET, 8);
	frame_udp(&f, &stranger, dst, 6000, 64);
	DROP(&f);
	/* The denied and the rated device's destinations; no other. */
	EXPECT_EQ(2, dest_count(self->skel));
}

/* An ARP message from mac to tip (4 bytes) in the name of sip. */
static void frame_arp(struct frame *f, const uint8_t mac[6], uint16_t op,
		      const uint8_t sha[6], const uint8_t *sip,
		      const uint8_t *tip)
{
	fr_eth(f, mac);
	fr_arp(f, op, sha, sip, tip);
}

/*
 * ARP requests in a device's own name count in arp, gratuitous ones too,
 * passed or held back; never a reply, a probe (it speaks for no one), one
 * forged in its name, or anything in the IP counters.
 */
TEST_F(features, arp_requests_counted_forged_not)
{
	static const uint8_t any4[4];
	struct iotguard_dev_features ft;
	struct iotguard_device d, deny;
	uint8_t tip[16];
	unsigned int i;
	struct frame f;

	dev_init(&d, AF_INET, 11);
	memcpy(d.mac, mac_a, 6);
	d.present |= IOTGUARD_DEV_MAC;
	enroll(_metadata, self, &d);
	dst4(tip, 1);

	/* A request for the router, an announcement: two. */
	frame_arp(&f, mac_a, 1, mac_a, d.id.addr, tip);
	PASS(&f);
	frame_arp(&f, mac_a, 1, mac_a, d.id.addr, d.id.addr);
	PASS(&f);
	READ(&d, &ft);
	EXPECT_EQ(2, ft.arp);
	EXPECT_EQ(0, ft.packets);
	EXPECT_EQ(0, ft.bytes);

	/* A reply answers the router: passes, counts nothing. */
	frame_arp(&f, mac_a, 2, mac_a, d.id.addr, tip);
	PASS(&f);
	/* A probe from 0.0.0.0 speaks for no device: the port's budget. */
	frame_arp(&f, mac_a, 1, mac_a, any4, d.id.addr);
	PASS(&f);
	/* Forged: the device's address from another MAC... */
	frame_arp(&f, mac_b, 1, mac_b, d.id.addr, tip);
	DROP(&f);
	/* ...and a sender MAC that is not the frame's source. */
	frame_arp(&f, mac_b, 1, mac_a, d.id.addr, tip);
	DROP(&f);
	READ(&d, &ft);
	EXPECT_EQ(2, ft.arp);

	/* A sweep of the segment: one a target. */
	for (i = 0; i < 50; i++) {
		dst4(tip, 100 + i);
		frame_arp(&f, mac_a, 1, mac_a, d.id.addr, tip);
		PASS(&f);
	}
	READ(&d, &ft);
	EXPECT_EQ(52, ft.arp);
	EXPECT_EQ(0, ft.packets);
	/* No destination of its: ARP is not in the sketches. */
	EXPECT_EQ(0, popcount_words(newest_slot(&ft)->dst_addr));
	EXPECT_EQ(0, dest_count(self->skel));

	/* Denied, its requests are dropped and still counted. */
	dev_init(&deny, AF_INET, 12);
	deny.state = IOTGUARD_STATE_DENY;
	deny.present |= IOTGUARD_DEV_STATE;
	enroll(_metadata, self, &deny);
	dst4(tip, 1);
	frame_arp(&f, mac_b, 1, mac_b, deny.id.addr, tip);
	DROP(&f);
	READ(&deny, &ft);
	EXPECT_EQ(1, ft.arp);
}

/* An NA from mac for target, to all nodes from a link-local source. */
static void frame_na(struct frame *f, const uint8_t mac[6],
		     const uint8_t target[16])
{
	static const uint8_t ll[16] = { 0xfe, 0x80, [15] = 0x01 };
	static const uint8_t all[16] = { 0xff, 0x02, [15] = 0x01 };

	fr_eth(f, mac);
	fr_ipv6(f, ll, all);
	fr_hoplimit(f, 255);
	fr_ndp(f, 136, target, 2, mac);
	fr_finish(f);
}

/*
 * ARP and NDP in another's name from a device's bound MAC (poisoning):
 * dropped, and counted in that device's neigh_foreign, the module finding
 * it by its MAC (iotguard_xdp_lookup_mac()), whether it is enrolled by
 * address or by MAC, and after its MAC changed. Never the victim's, nor
 * anyone's from a MAC nobody bound; not an IPv4 link-local announcement,
 * nor NDP for an address nobody holds (a device's own SLAAC address).
 */
TEST_F(features, neighbour_messages_in_anothers_name_counted)
{
	struct iotguard_device d, victim, victim6, bymac;
	struct iotguard_dev_features ft;
	uint8_t tip[16], nobody[16];
	struct frame f;

	dev_init(&d, AF_INET, 21);
	memcpy(d.mac, mac_a, 6);
	d.present |= IOTGUARD_DEV_MAC;
	enroll(_metadata, self, &d);
	dev_init(&victim, AF_INET, 22);
	memcpy(victim.mac, mac_b, 6);
	victim.present |= IOTGUARD_DEV_MAC;
	enroll(_metadata, self, &victim);
	dev_init(&victim6, AF_INET6, 23);
	memcpy(victim6.mac, mac_b, 6);
	victim6.present |= IOTGUARD_DEV_MAC;
	enroll(_metadata, self, &victim6);
	dst4(tip, 1);

	/* Each has an entry: an own request. */
	frame_arp(&f, mac_a, 1, mac_a, d.id.addr, tip);
	PASS(&f);
	frame_arp(&f, mac_b, 1, mac_b, victim.id.addr, tip);
	PASS(&f);

	/* A reply in the victim's name, one in the router's (nobody's). */
	frame_arp(&f, mac_a, 2, mac_a, victim.id.addr, tip);
	DROP(&f);
	frame_arp(&f, mac_a, 2, mac_a, tip, victim.id.addr);
	DROP(&f);
	/* An advertisement of the IPv6 victim's address. */
	frame_na(&f, mac_a, victim6.id.addr);
	DROP(&f);
	READ(&d, &ft);
	EXPECT_EQ(3, ft.neigh_foreign);
	EXPECT_EQ(1, ft.arp);
	EXPECT_EQ(0, ft.packets);
	READ(&victim, &ft);
	EXPECT_EQ(0, ft.neigh_foreign);
	EXPECT_EQ(1, ft.arp);

	/* Not: link-local IPv4, NDP for nobody's address, a stranger's MAC. */
	nobody[0] = 169;
	nobody[1] = 254;
	nobody[2] = 7;
	nobody[3] = 9;
	frame_arp(&f, mac_a, 1, mac_a, nobody, nobody);
	DROP(&f);
	dev_init(&bymac, AF_INET6, 99);
	frame_na(&f, mac_a, bymac.id.addr);
	DROP(&f);
	frame_arp(&f, mac_c, 2, mac_c, victim.id.addr, tip);
	DROP(&f);
	READ(&d, &ft);
	EXPECT_EQ(3, ft.neigh_foreign);
	READ(&victim, &ft);
	EXPECT_EQ(0, ft.neigh_foreign);

	/* Its MAC changes: the index follows. */
	memcpy(d.mac, mac_c, 6);
	ASSERT_EQ(0, iotguard_nl_device_set(self->nl, &d));
	frame_arp(&f, mac_a, 2, mac_a, victim.id.addr, tip);
	DROP(&f);
	frame_arp(&f, mac_c, 2, mac_c, victim.id.addr, tip);
	DROP(&f);
	READ(&d, &ft);
	EXPECT_EQ(4, ft.neigh_foreign);
	ASSERT_EQ(0, iotguard_nl_device_del(self->nl, &d.id));
	frame_arp(&f, mac_c, 2, mac_c, victim.id.addr, tip);
	DROP(&f);

	/* A device enrolled by its MAC. */
	memset(&bymac, 0, sizeof(bymac));
	bymac.id.family = AF_PACKET;
	memcpy(bymac.id.addr, mac_c, 6);
	enroll(_metadata, self, &bymac);
	frame_arp(&f, mac_c, 2, mac_c, victim.id.addr, tip);
	DROP(&f);
	READ(&bymac, &ft);
	EXPECT_EQ(1, ft.neigh_foreign);
}

/* Monitor mode passes every frame; they count as if enforced. */
TEST_F(features, monitor_counts_as_enforced)
{
	struct opts o = { .monitor = true, .features = true,
			  .epoch_shift = LONG_EPOCH_SHIFT };
	struct iotguard_dev_features ft;
	struct iotguard_device deny, ok;
	uint8_t dst[16];
	struct frame f;

	reload(_metadata, self, &o);
	dst4(dst, 1);
	dev_init(&deny, AF_INET, 9);
	deny.state = IOTGUARD_STATE_DENY;
	deny.present |= IOTGUARD_DEV_STATE;
	enroll(_metadata, self, &deny);
	dev_init(&ok, AF_INET, 10);
	enroll(_metadata, self, &ok);

	frame_udp(&f, &deny, dst, 5683, 64);
	PASS(&f);
	frame_udp(&f, &ok, dst, 5683, 64);
	PASS(&f);
	READ(&deny, &ft);
	EXPECT_EQ(1, ft.packets);
	READ(&ok, &ft);
	EXPECT_EQ(1, ft.packets);
}

/* Off (for the bench): frames pass, nothing is collected. */
TEST_F(features, switched_off)
{
	struct opts o = { .features = false, .epoch_shift = LONG_EPOCH_SHIFT };
	struct iotguard_dev_features ft;
	struct iotguard_device d;
	uint8_t dst[16];
	struct frame f;

	reload(_metadata, self, &o);
	dev_init(&d, AF_INET, 11);
	enroll(_metadata, self, &d);
	dst4(dst, 1);
	frame_udp(&f, &d, dst, 5683, 64);
	PASS(&f);
	READ(&d, &ft);
	EXPECT_EQ(0, ft.packets);
	EXPECT_EQ(0, dest_count(self->skel));
}

/* A new device on a reused index starts from nothing, sketches included. */
TEST_F(features, index_reuse_resets)
{
	struct iotguard_dev_features ft;
	struct iotguard_device a, b;
	struct iotguard_dest_val dv;
	const struct iotguard_sketch *s;
	uint8_t dst[16], dst2[16];
	struct frame f;
	unsigned int i;

	dev_init(&a, AF_INET, 12);
	enroll(_metadata, self, &a);
	dst4(dst, 1);
	frame_tcp(&f, &a, dst, 1883, 0x02);
	for (i = 0; i < 4; i++)
		PASS(&f);
	for (i = 0; i < 20; i++) {
		dst4(dst2, 100 + i);
		frame_udp(&f, &a, dst2, 2000 + i, 1200);
		PASS(&f);
	}
	READ(&a, &ft);
	EXPECT_EQ(24, ft.packets);
	EXPECT_LT(10, popcount_words(newest_slot(&ft)->dst_addr));

	ASSERT_EQ(0, iotguard_nl_device_del(self->nl, &a.id));
	dev_init(&b, AF_INET, 13);
	enroll(_metadata, self, &b);
	ASSERT_EQ(a.index, b.index);
	ASSERT_NE(a.cookie, b.cookie);

	frame_udp(&f, &b, dst, 5683, 64);
	PASS(&f);
	READ(&b, &ft);
	EXPECT_EQ(1, ft.packets);
	EXPECT_EQ(64, ft.bytes);
	EXPECT_EQ(0, ft.tcp_syn);
	EXPECT_EQ(1, ft.size_hist[0]);
	EXPECT_EQ(0, ft.size_hist[4]);
	s = newest_slot(&ft);
	EXPECT_EQ(1, popcount_words(s->dst_addr));
	EXPECT_EQ(1, popcount_words(s->dst_port));
	EXPECT_EQ(1, popcount_words(ft.sketch[0].dst_addr) +
		     popcount_words(ft.sketch[1].dst_addr));

	/* dst was a's destination already; it is b's first. */
	ASSERT_EQ(0, dest_lookup(self->skel, &a, AF_INET, dst, &dv));
	ASSERT_EQ(0, dest_lookup(self->skel, &b, AF_INET, dst, &dv));
	EXPECT_EQ(1, dv.epochs);
}

/* Each destination and port sets the bit the hash says, and only those. */
TEST_F(features, sketch_bits)
{
	__u64 want_addr[IOTGUARD_SKETCH_WORDS], want_port[IOTGUARD_SKETCH_WORDS];
	struct iotguard_dev_features ft;
	const struct iotguard_sketch *s;
	struct iotguard_device d;
	uint8_t dst[16];
	uint64_t epoch;
	struct frame f;
	unsigned int i;

	dev_init(&d, AF_INET, 14);
	enroll(_metadata, self, &d);
	for (i = 0; i < 40; i++) {
		dst4(dst, 200 + i);
		/* Each destination twice, on one port each. */
		frame_udp(&f, &d, dst, 6000 + i, 80);
		PASS(&f);
		PASS(&f);
	}
	/* The same port over TCP and UDP: two services. */
	frame_tcp(&f, &d, dst, 6000, 0x02);
	PASS(&f);
	/* ICMP has no port. */
	frame_icmp(&f, &d, dst, 8);
	PASS(&f);
	READ(&d, &ft);
	/* One epoch only (13 days long). */
	ASSERT_EQ(ft.sketch[0].epoch, ft.sketch[1].epoch);
	s = newest_slot(&ft);
	epoch = s->epoch;

	memset(want_addr, 0, sizeof(want_addr));
	memset(want_port, 0, sizeof(want_port));
	for (i = 0; i < 40; i++) {
		dst4(dst, 200 + i);
		set_bit64(want_addr, addr_bit(dst, epoch));
		set_bit64(want_port, port_bit(17, 6000 + i, epoch));
	}
	set_bit64(want_port, port_bit(6, 6000, epoch));
	for (i = 0; i < IOTGUARD_SKETCH_WORDS; i++) {
		EXPECT_EQ(want_addr[i], s->dst_addr[i]) {
			TH_LOG("address word %u: %#llx, expected %#llx", i,
			       (unsigned long long)s->dst_addr[i],
			       (unsigned long long)want_addr[i]);
		}
		EXPECT_EQ(want_port[i], s->dst_port[i]) {
			TH_LOG("port word %u: %#llx, expected %#llx", i,
			       (unsigned long long)s->dst_port[i],
			       (unsigned long long)want_port[i]);
		}
	}
	/* 40 values in 256 bits: ~3 collisions expected of a random hash. */
	EXPECT_LE(33, popcount_words(s->dst_addr));
	EXPECT_LE(34, popcount_words(s->dst_port));

	/* IPv6 destinations: all 16 bytes count. */
	dev_init(&d, AF_INET6, 14);
	enroll(_metadata, self, &d);
	memset(want_addr, 0, sizeof(want_addr));
	for (i = 0; i < 30; i++) {
		dst6(dst, 0x100 * i + 1);
		frame_udp(&f, &d, dst, 5683, 100);
		PASS(&f);
	}
	READ(&d, &ft);
	s = newest_slot(&ft);
	for (i = 0; i < 30; i++) {
		dst6(dst, 0x100 * i + 1);
		set_bit64(want_addr, addr_bit(dst, s->epoch));
	}
	for (i = 0; i < IOTGUARD_SKETCH_WORDS; i++)
		EXPECT_EQ(want_addr[i], s->dst_addr[i]);
	EXPECT_EQ(1, popcount_words(s->dst_port));
}

/*
 * Short epochs (2^26 ns, 67 ms): each new epoch's slot holds only that
 * epoch's destinations, the previous epoch's slot stays as it was, and a
 * destination seen again in a later epoch counts one more epoch.
 */
#define SHORT_EPOCH_SHIFT 26
/* Sleeps until the program's clock is in an epoch after last. */
static void wait_epoch_after(uint64_t last)
{
	while (prog_clock_ns() >> SHORT_EPOCH_SHIFT <= last)
		usleep(5000);
}

TEST_F(features, epoch_rotation)
{
	struct opts o = { .features = true, .epoch_shift = SHORT_EPOCH_SHIFT };
	struct iotguard_dev_features ft, prev_ft;
	const struct iotguard_sketch *s, *other;
	struct iotguard_dest_val dv;
	struct iotguard_device d;
	uint64_t epoch, last = 0;
	unsigned int k, bit;
	uint8_t dst[16];
	struct frame f;

	reload(_metadata, self, &o);
	dev_init(&d, AF_INET, 15);
	enroll(_metadata, self, &d);
	memset(&prev_ft, 0, sizeof(prev_ft));

	/* Four epochs: each slot is reused once. */
	for (k = 0; k < 4; k++) {
		if (k)
			wait_epoch_after(last);
		dst4(dst, 300 + k);
		frame_udp(&f, &d, dst, 7000 + k, 64);
		PASS(&f);
		READ(&d, &ft);
		epoch = newest_slot(&ft)->epoch;
		if (k)
			ASSERT_LT(last, epoch);
		s = &ft.sketch[epoch & 1];
		other = &ft.sketch[!(epoch & 1)];
		bit = addr_bit(dst, epoch);
		EXPECT_EQ(1, popcount_words(s->dst_addr)) {
			TH_LOG("epoch %llu: stale bits in slot %llu",
			       (unsigned long long)epoch,
			       (unsigned long long)(epoch & 1));
		}
		EXPECT_EQ(1ULL << (bit % 64), s->dst_addr[bit / 64]);
		EXPECT_EQ(1, popcount_words(s->dst_port));
		/* The previous epoch's slot is left as it was, for the daemon. */
		if (k && epoch == last + 1) {
			EXPECT_EQ(last, other->epoch);
			EXPECT_EQ(0, memcmp(&prev_ft.sketch[last & 1], other,
					    sizeof(*other)));
		}
		prev_ft = ft;
		last = epoch;
	}
	EXPECT_EQ(4, ft.packets);

	/* Back to the first destination, in a fresh epoch. */
	wait_epoch_after(last);
	dst4(dst, 300);
	frame_udp(&f, &d, dst, 7000, 64);
	PASS(&f);
	ASSERT_EQ(0, dest_lookup(self->skel, &d, AF_INET, dst, &dv));
	EXPECT_EQ(2, dv.epochs);
	EXPECT_LT(dv.first_ns, dv.last_ns);
	EXPECT_EQ(4, dest_count(self->skel));
}

/*
 * The window's sketches (IOTGUARD_WINDOW_SHIFT epochs): hashed with the
 * window's seed, so that a port is one bit all window long; every
 * address, and the ports of connection attempts only (UDP, SYN without
 * ACK): a server's replies to its clients' ephemeral ports are no scan.
 */
TEST_F(features, window_sketch_of_connection_attempts)
{
	struct iotguard_dev_features ft;
	const struct iotguard_sketch *w;
	struct iotguard_device d;
	__u64 want_addr[IOTGUARD_SKETCH_WORDS] = { 0 };
	__u64 want_port[IOTGUARD_SKETCH_WORDS] = { 0 };
	uint64_t window;
	uint8_t dst[16], cli[16];
	struct frame f;

	dev_init(&d, AF_INET, 17);
	enroll(_metadata, self, &d);
	dst4(dst, 500);
	dst4(cli, 501);
	frame_udp(&f, &d, dst, 5683, 64);
	PASS(&f);
	frame_tcp(&f, &d, dst, 8883, 0x02);		/* SYN */
	PASS(&f);
	frame_tcp(&f, &d, cli, 51000, 0x12);		/* SYN-ACK: a reply */
	PASS(&f);
	frame_tcp(&f, &d, cli, 51001, 0x10);		/* ACK: a reply */
	PASS(&f);
	READ(&d, &ft);
	window = newest_slot(&ft)->epoch >> IOTGUARD_WINDOW_SHIFT;
	w = &ft.window[window & 1];
	ASSERT_EQ(window, w->epoch);
	set_bit64(want_addr, addr_bit(dst, window));
	set_bit64(want_addr, addr_bit(cli, window));
	set_bit64(want_port, port_bit(IPPROTO_UDP, 5683, window));
	set_bit64(want_port, port_bit(IPPROTO_TCP, 8883, window));
	EXPECT_EQ(0, memcmp(want_addr, w->dst_addr, sizeof(want_addr)));
	EXPECT_EQ(0, memcmp(want_port, w->dst_port, sizeof(want_port)));
	/* The epoch's sketch has every port, replies' too. */
	EXPECT_EQ(4, popcount_words(newest_slot(&ft)->dst_port));
}

/*
 * A new destination gets an entry; more frames to it in the same epoch do
 * not touch it (the LRU is only written on a new sketch bit).
 */
TEST_F(features, dests_new_destination_once)
{
	struct iotguard_dest_val dv, dv2;
	struct iotguard_device d, d6;
	uint8_t x[16], y[16];
	uint64_t t0, t1, epoch;
	struct frame f;
	unsigned int i;
	struct iotguard_dev_features ft;

	dev_init(&d, AF_INET, 16);
	enroll(_metadata, self, &d);
	EXPECT_EQ(0, dest_count(self->skel));
	dst4(x, 400);
	frame_udp(&f, &d, x, 5683, 64);
	t0 = prog_clock_ns();
	PASS(&f);
	t1 = prog_clock_ns();
	ASSERT_EQ(0, dest_lookup(self->skel, &d, AF_INET, x, &dv));
	EXPECT_EQ(1, dv.epochs);
	EXPECT_EQ(dv.first_ns, dv.last_ns);
	EXPECT_LE(t0, dv.first_ns);
	EXPECT_GE(t1, dv.first_ns);

	/* Other ports, sizes, protocols: same destination, no write. */
	for (i = 0; i < 50; i++) {
		frame_udp(&f, &d, x, 1000 + i, 64 + i * 20);
		PASS(&f);
	}
	frame_tcp(&f, &d, x, 443, 0x02);
	PASS(&f);
	ASSERT_EQ(0, dest_lookup(self->skel, &d, AF_INET, x, &dv2));
	EXPECT_EQ(0, memcmp(&dv, &dv2, sizeof(dv)));
	EXPECT_EQ(1, dest_count(self->skel));

	/* A second destination, on another bit of this epoch's sketch. */
	READ(&d, &ft);
	epoch = newest_slot(&ft)->epoch;
	for (i = 401; i < 500; i++) {
		dst4(y, i);
		if (addr_bit(y, epoch) != addr_bit(x, epoch))
			break;
	}
	frame_udp(&f, &d, y, 5683, 64);
	PASS(&f);
	EXPECT_EQ(2, dest_count(self->skel));
	ASSERT_EQ(0, dest_lookup(self->skel, &d, AF_INET, y, &dv2));
	EXPECT_EQ(1, dv2.epochs);
	EXPECT_LE(dv.first_ns, dv2.first_ns);

	/* IPv6: the whole address and the family are in the key. */
	dev_init(&d6, AF_INET6, 16);
	enroll(_metadata, self, &d6);
	dst6(y, 0x1234);
	frame_udp(&f, &d6, y, 5683, 100);
	PASS(&f);
	PASS(&f);
	EXPECT_EQ(3, dest_count(self->skel));
	ASSERT_EQ(0, dest_lookup(self->skel, &d6, AF_INET6, y, &dv2));
	EXPECT_EQ(1, dv2.epochs);
	EXPECT_NE(0, dest_lookup(self->skel, &d6, AF_INET, y, &dv2));
}

/* ------------------------------------------------------------ the bench */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The pass path of one enrolled device without a rate (64-byte UDP frames
 * to one destination: a sensor's steady state), with the features and
 * without, runs alternating so that drifts hit both alike.
 */
static int bench(int argc, char **argv)
{
	unsigned long repeat = argc > 2 ? strtoul(argv[2], NULL, 0) : 1000000;
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	struct iotguard *skel[2] = { NULL, NULL };
	struct iotguard_device d;
	struct iotguard_nl *nl;
	uint32_t *ns[2];
	uint8_t dst[16];
	struct frame f;
	cpu_set_t cpus;
	int i, r, err = 0, ret = 1;

	if (rounds < 1 || !repeat) {
		fprintf(stderr, "usage: %s --bench [REPEAT [ROUNDS]]\n",
			argv[0]);
		return 2;
	}
	ns[0] = calloc(rounds, sizeof(uint32_t));
	ns[1] = calloc(rounds, sizeof(uint32_t));
	if (!ns[0] || !ns[1])
		return 1;
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	if (iotguard_nl_open(&nl)) {
		fprintf(stderr, "bench: no iotguard module\n");
		return 1;
	}
	delete_all(nl);
	for (i = 0; i < 2; i++) {
		struct opts o = { .features = i,
				  .epoch_shift = IOTGUARD_EPOCH_SHIFT };

		skel[i] = load_skel(&o, &err);
		if (!skel[i]) {
			fprintf(stderr, "bench: load: %s\n", strerror(-err));
			goto out;
		}
	}
	dev_init(&d, AF_INET, 1);
	if (iotguard_nl_device_new(nl, &d)) {
		fprintf(stderr, "bench: enroll failed\n");
		goto out;
	}
	dst4(dst, 1);
	frame_udp(&f, &d, dst, 5683, 64);

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < 2; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, opts,
				.data_in = f.buf,
				.data_size_in = f.len,
				.repeat = repeat,
			);

			if (bpf_prog_test_run_opts(
				bpf_program__fd(skel[i]->progs.iotguard_xdp),
				&opts) || opts.retval != XDP_PASS) {
				fprintf(stderr, "bench: run failed (%d)\n",
					opts.retval);
				goto out;
			}
			ns[i][r] = opts.duration;
		}
	}
	qsort(ns[0], rounds, sizeof(uint32_t), cmp_u32);
	qsort(ns[1], rounds, sizeof(uint32_t), cmp_u32);
	printf("features off: %u ns/frame (median of %d x %lu)\n",
	       ns[0][rounds / 2], rounds, repeat);
	printf("features on:  %u ns/frame\n", ns[1][rounds / 2]);
	printf("features cost: %d ns/frame, ratio %.3f\n",
	       (int)ns[1][rounds / 2] - (int)ns[0][rounds / 2],
	       ns[0][rounds / 2] ?
	       (double)ns[1][rounds / 2] / ns[0][rounds / 2] : 0.0);
	ret = 0;
out:
	delete_all(nl);
	iotguard_nl_close(nl);
	iotguard__destroy(skel[0]);
	iotguard__destroy(skel[1]);
	free(ns[0]);
	free(ns[1]);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--bench"))
		return bench(argc, argv);
	return test_harness_run(argc, argv);
}
