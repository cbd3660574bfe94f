// SPDX-License-Identifier: GPL-2.0
/*
 * The XDP program's verdicts, run with BPF_PROG_TEST_RUN against the real
 * iotguard.ko (which must be loaded): devices are enrolled over netlink,
 * frames are built by hand, and each test checks the XDP action and the
 * counters that moved, globally and per device.
 *
 * test_run gives the program the loopback device of the caller's network
 * namespace, so the module looks senders up in this namespace's table.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

/*
 * The harness is not -Wextra clean, and its EXPECT_EQ(1, counter) idiom
 * compares int with unsigned by design.
 */
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
#include <iotguard/maps.h>
#include <iotguard/kfunc.h>
#include <linux/iotguard.h>
#include "nl.h"
#include "maps.h"
#include "iotguard.skel.h"
#include "testlib.h"
#include "reset_maps.h"
#include "frames.h"
#include "envnum.h"


/* Documentation ranges only: 198.18.0.0/15 and 2001:2::/48. */
static const uint8_t dst4[4] = { 198, 19, 0, 1 };
static const uint8_t dst6[16] = { 0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0,
				   0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t mac_a[6] = { 0x02, 0x10, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0x10, 0, 0, 0, 0x0b };

static void ip4(uint8_t out[4], uint8_t host)
{
	out[0] = 198;
	out[1] = 18;
	out[2] = 0;
	out[3] = host;
}

static void ip6(uint8_t out[16], uint8_t host)
{
	static const uint8_t pfx[6] = { 0x20, 0x01, 0x00, 0x02, 0x00, 0x00 };

	memset(out, 0, 16);
	memcpy(out, pfx, sizeof(pfx));
	out[15] = host;
}

static const char *reason_name(unsigned int r)
{
	static const char * const names[] = {
		"PASS", "UNKNOWN", "DENIED", "SPOOFED", "RATE", "PARSE",
		"NON_IP", "NEIGH", "ARP", "NDP", "NEIGH_RATE", "LINK",
		"DHCP_SERVER", "CONTENDED",
	};

	return r < IOTGUARD_R_MAX ? names[r] : "?";
}

/*
 * Loads the program as the loader does, except for pinning: tests must not
 * share maps with each other or with a running iotguard. unknown_new: new
 * unknown sources per CPU and tick, 0 for the default.
 */
typedef void (*skel_tweak)(struct iotguard *skel, const void *arg);

static struct iotguard *load_skel(bool monitor, uint32_t unknown_new,
				  skel_tweak tweak, const void *arg, int *errp)
{
	struct iotguard *skel;
	int err;

	skel = iotguard__open();
	if (!skel) {
		*errp = -errno;
		return NULL;
	}
	skel->rodata->monitor = monitor;
	if (unknown_new)
		skel->rodata->unknown_new_per_tick = unknown_new;
	if (tweak)
		tweak(skel, arg);
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

/*
 * The program as most cases load it (the default tunables, monitoring or
 * not), loaded once before the cases fork, its maps emptied for each
 * (reset_maps): the cases that change a tunable load their own.
 */
static struct iotguard *loaded[2];

static void __attribute__((constructor)) load_once(void)
{
	int err, monitor;

	if (access("/sys/module/iotguard", F_OK))
		return;
	for (monitor = 0; monitor < 2; monitor++)
		loaded[monitor] = load_skel(monitor, 0, NULL, NULL, &err);
}

static void dev_init(struct iotguard_device *d, int family, uint8_t host)
{
	memset(d, 0, sizeof(*d));
	d->id.family = family;
	if (family == AF_INET)
		ip4(d->id.addr, host);
	else
		ip6(d->id.addr, host);
}

static void dev_mac(struct iotguard_device *d, const uint8_t mac[6])
{
	memcpy(d->mac, mac, 6);
	d->present |= IOTGUARD_DEV_MAC;
}

static void dev_state(struct iotguard_device *d, uint8_t state)
{
	d->state = state;
	d->present |= IOTGUARD_DEV_STATE;
}

static void dev_pps(struct iotguard_device *d, uint32_t pps, uint32_t burst)
{
	d->rate_pps = pps;
	d->burst_pkts = burst;
	d->present |= IOTGUARD_DEV_RATE_PPS | IOTGUARD_DEV_BURST_PKTS;
}

static void dev_bps(struct iotguard_device *d, uint64_t bps, uint32_t burst)
{
	d->rate_bps = bps;
	d->burst_bytes = burst;
	d->present |= IOTGUARD_DEV_RATE_BPS | IOTGUARD_DEV_BURST_BYTES;
}

/* A frame from a device's address: Ethernet, IP, UDP with payload bytes. */
static void frame_from(struct frame *f, const struct iotguard_device *d,
		       const uint8_t mac[6], size_t payload)
{
	fr_eth(f, mac);
	if (d->id.family == AF_INET)
		fr_ipv4(f, d->id.addr, dst4, 0);
	else
		fr_ipv6(f, d->id.addr, dst6);
	fr_udp(f, payload);
	fr_finish(f);
}

/* Runs len bytes of f repeat times in one call; *action is the last's. */
static int run_many(int prog_fd, const struct frame *f, size_t len,
		    uint32_t repeat, uint32_t *action)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = f->buf,
		.data_size_in = len,
		.repeat = repeat,
	);
	int err;

	err = bpf_prog_test_run_opts(prog_fd, &opts);
	*action = opts.retval;
	return err;
}

static int run_len(int prog_fd, const struct frame *f, size_t len,
		   uint32_t *action)
{
	return run_many(prog_fd, f, len, 1, action);
}

static int read_global(struct iotguard *skel,
		       struct iotguard_counter out[IOTGUARD_R_MAX])
{
	int ncpus = libbpf_num_possible_cpus();
	struct iotguard_counter vals[ncpus];
	uint32_t r;
	int cpu, err;

	for (r = 0; r < IOTGUARD_R_MAX; r++) {
		err = bpf_map__lookup_elem(skel->maps.iotguard_global, &r,
					   sizeof(r), vals, sizeof(vals), 0);
		if (err)
			return err;
		out[r].packets = 0;
		out[r].bytes = 0;
		for (cpu = 0; cpu < ncpus; cpu++) {
			out[r].packets += vals[cpu].packets;
			out[r].bytes += vals[cpu].bytes;
		}
	}
	return 0;
}

/* A device's counters, as readers sum them: CPUs with its cookie only. */
static int read_dev(struct iotguard *skel, const struct iotguard_device *d,
		    struct iotguard_dev_stats *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	struct iotguard_dev_stats vals[ncpus];
	uint32_t idx = d->index;
	int cpu, err;

	memset(sum, 0, sizeof(*sum));
	err = bpf_map__lookup_elem(skel->maps.iotguard_devstats, &idx,
				   sizeof(idx), vals, sizeof(vals), 0);
	/* No entry: the device has sent nothing counted yet. */
	if (err == -ENOENT)
		memset(vals, 0, sizeof(vals));
	else if (err)
		return err;
	sum->cookie = d->cookie;
	for (cpu = 0; cpu < ncpus; cpu++) {
		const struct iotguard_dev_stats *s = &vals[cpu];

		if (s->cookie != d->cookie)
			continue;
		sum->pass.packets += s->pass.packets;
		sum->pass.bytes += s->pass.bytes;
		sum->denied.packets += s->denied.packets;
		sum->denied.bytes += s->denied.bytes;
		sum->spoofed.packets += s->spoofed.packets;
		sum->spoofed.bytes += s->spoofed.bytes;
		sum->rate.packets += s->rate.packets;
		sum->rate.bytes += s->rate.bytes;
		if (s->last_seen_ns > sum->last_seen_ns)
			sum->last_seen_ns = s->last_seen_ns;
	}
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The program's clock, bpf_ktime_get_coarse_ns(): the same time as
 * CLOCK_MONOTONIC_COARSE, which advances once per timer tick.
 */
static uint64_t prog_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* How often the program's clock advances. */
static uint64_t prog_clock_tick_ns(void)
{
	struct timespec res;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res))
		return 10000000;	/* HZ=100, the coarsest */
	return res.tv_sec * 1000000000ULL + res.tv_nsec;
}

static uint64_t module_param(const char *name)
{
	char path[128];
	unsigned int v = 0;

	snprintf(path, sizeof(path), MOD_PARAMS "%s", name);
	if (read_u32_file(path, &v))
		return 0;
	return v;
}

FIXTURE(verdict) {
	struct iotguard *skel;
	struct iotguard_nl *nl;
	int prog_fd;
};

static void fixture_load_with(struct __test_metadata *_metadata,
			      FIXTURE_DATA(verdict) *self, bool monitor,
			      uint32_t unknown_new, skel_tweak tweak,
			      const void *arg)
{
	cpu_set_t cpus;
	int err = 0;

	/* One CPU: per-CPU counters then move where we look. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	ASSERT_EQ(0, access("/sys/module/iotguard", F_OK)) {
		TH_LOG("iotguard.ko is not loaded");
	}
	if (!unknown_new && !tweak && loaded[monitor]) {
		/* The child's copy: its destroy leaves the parent's. */
		self->skel = loaded[monitor];
		ASSERT_EQ(0, reset_maps(self->skel->obj));
	} else {
		self->skel = load_skel(monitor, unknown_new, tweak, arg, &err);
	}
	ASSERT_NE(NULL, self->skel) {
		TH_LOG("loading the program: %s", strerror(-err));
	}
	self->prog_fd = bpf_program__fd(self->skel->progs.iotguard_xdp);
	ASSERT_LE(0, self->prog_fd);
	if (!self->nl)
		ASSERT_EQ(0, iotguard_nl_open(&self->nl));
	ASSERT_EQ(0, delete_all(self->nl));
}

static void fixture_load(struct __test_metadata *_metadata,
			 FIXTURE_DATA(verdict) *self, bool monitor,
			 uint32_t unknown_new)
{
	fixture_load_with(_metadata, self, monitor, unknown_new, NULL, NULL);
}

FIXTURE_SETUP(verdict)
{
	fixture_load(_metadata, self, false, 0);
}

/* The program again, with another budget of new unknown sources. */
static void fixture_reload(struct __test_metadata *_metadata,
			   FIXTURE_DATA(verdict) *self, uint32_t unknown_new)
{
	iotguard__destroy(self->skel);
	self->skel = NULL;
	fixture_load(_metadata, self, false, unknown_new);
}

/* The program again, its read-only data changed by tweak. */
static void fixture_reload_with(struct __test_metadata *_metadata,
				FIXTURE_DATA(verdict) *self, skel_tweak tweak,
				const void *arg)
{
	iotguard__destroy(self->skel);
	self->skel = NULL;
	fixture_load_with(_metadata, self, false, 0, tweak, arg);
}

FIXTURE_TEARDOWN(verdict)
{
	if (self->nl) {
		EXPECT_EQ(0, delete_all(self->nl));
		iotguard_nl_close(self->nl);
	}
	iotguard__destroy(self->skel);
}

/* Enrolls d and reads back its index and cookie. */
static void enroll(struct __test_metadata *_metadata,
		   FIXTURE_DATA(verdict) *self, struct iotguard_device *d)
{
	struct iotguard_device got;
	int err;

	err = iotguard_nl_device_new(self->nl, d);
	ASSERT_EQ(0, err) {
		TH_LOG("DEVICE_NEW: %s (%s)", strerror(-err),
		       iotguard_nl_extack(self->nl));
	}
	ASSERT_EQ(0, iotguard_nl_device_get(self->nl, &d->id, &got));
	ASSERT_TRUE(got.present & IOTGUARD_DEV_INDEX);
	ASSERT_TRUE(got.present & IOTGUARD_DEV_COOKIE);
	d->index = got.index;
	d->cookie = got.cookie;
}

/*
 * Runs len bytes of f and checks the action and that exactly one global
 * counter moved: reason's, by one frame of len bytes.
 */
static void expect_len(struct __test_metadata *_metadata,
		       FIXTURE_DATA(verdict) *self, const struct frame *f,
		       size_t len, uint32_t action, unsigned int reason)
{
	struct iotguard_counter before[IOTGUARD_R_MAX], after[IOTGUARD_R_MAX];
	uint32_t got;
	unsigned int r;

	ASSERT_EQ(0, read_global(self->skel, before));
	ASSERT_EQ(0, run_len(self->prog_fd, f, len, &got));
	ASSERT_EQ(0, read_global(self->skel, after));
	for (r = 0; r < IOTGUARD_R_MAX; r++) {
		uint64_t dp = after[r].packets - before[r].packets;
		uint64_t db = after[r].bytes - before[r].bytes;

		EXPECT_EQ(r == reason ? 1 : 0, dp) {
			TH_LOG("len %zu: counter %s moved by %llu, expected %s",
			       len, reason_name(r), (unsigned long long)dp,
			       reason_name(reason));
		}
		EXPECT_EQ(r == reason ? len : 0, db);
	}
	ASSERT_EQ(action, got) {
		TH_LOG("len %zu: action %u, expected %u (%s)", len, got,
		       action, reason_name(reason));
	}
}

static void expect_frame(struct __test_metadata *_metadata,
			 FIXTURE_DATA(verdict) *self, const struct frame *f,
			 uint32_t action, unsigned int reason)
{
	expect_len(_metadata, self, f, f->len, action, reason);
}

#define EXPECT_FRAME(f, action, reason) \
	expect_frame(_metadata, self, f, action, reason)
#define EXPECT_PASS(f, reason) EXPECT_FRAME(f, XDP_PASS, reason)
#define EXPECT_DROP(f, reason) EXPECT_FRAME(f, XDP_DROP, reason)

struct unknown_find {
	struct iotguard_unknown_key key;
	struct iotguard_unknown_val val;
	int found;
	uint64_t sources;
	uint64_t packets;
};

static int find_unknown(const struct iotguard_unknown_key *key,
			const struct iotguard_unknown_val *val, void *data)
{
	struct unknown_find *find = data;

	if (!memcmp(key, &find->key, sizeof(*key))) {
		find->val = *val;
		find->found++;
	}
	find->sources++;
	find->packets += val->packets;
	return 0;
}

/*
 * Reads what the tools read of an unknown source: its LRU entry and its
 * per-CPU cache slots added up. -ENOENT if it is in neither.
 */
static int read_unknown(struct iotguard *skel, struct unknown_find *find,
			int family, const uint8_t *addr)
{
	int ret;

	memset(find, 0, sizeof(*find));
	find->key.family = family;
	if (addr)
		memcpy(find->key.addr, addr, family == AF_INET ? 4 : 16);
	ret = iotguard_unknown_walk(bpf_map__fd(skel->maps.iotguard_unknown),
				    bpf_map__fd(skel->maps.iotguard_unknown_cpu),
				    find_unknown, find);
	if (ret)
		return ret;
	return find->found ? 0 : -ENOENT;
}

static void expect_unknown(struct __test_metadata *_metadata,
			   FIXTURE_DATA(verdict) *self, int family,
			   const uint8_t *addr, const uint8_t mac[6],
			   uint64_t packets)
{
	struct unknown_find find;

	ASSERT_EQ(0, read_unknown(self->skel, &find, family, addr));
	EXPECT_EQ(1, find.found);
	EXPECT_EQ(packets, find.val.packets);
	EXPECT_EQ(0, memcmp(find.val.mac, mac, 6));
	EXPECT_NE(0, find.val.first_ns);
	EXPECT_LE(find.val.first_ns, find.val.last_ns);
	EXPECT_LE(find.val.last_ns, mono_ns());
}

/*
 * The skeleton's load resolves the program's call to iotguard_xdp_lookup
 * against iotguard.ko's BTF: it only succeeds with module BTF and the kfunc
 * set registered. Make that explicit, and show the call runs.
 */
TEST_F(verdict, kfunc_program_loads)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct iotguard_device d;
	struct frame f;

	EXPECT_EQ(0, access("/sys/kernel/btf/iotguard", F_OK));
	ASSERT_EQ(0, bpf_obj_get_info_by_fd(self->prog_fd, &info, &len));
	EXPECT_EQ(BPF_PROG_TYPE_XDP, info.type);
	EXPECT_STREQ("iotguard_xdp", info.name);

	/* Unknown, then enrolled: both answers come from the module. */
	dev_init(&d, AF_INET, 1);
	frame_from(&f, &d, mac_a, 16);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
	enroll(_metadata, self, &d);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
}

TEST_F(verdict, ipv4_enrolled_passes)
{
	struct iotguard_dev_stats st;
	struct iotguard_device d;
	uint64_t t0, t1;
	struct frame f;

	dev_init(&d, AF_INET, 2);
	enroll(_metadata, self, &d);
	frame_from(&f, &d, mac_a, 32);
	t0 = prog_clock_ns();
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	t1 = prog_clock_ns();

	ASSERT_EQ(0, read_dev(self->skel, &d, &st));
	EXPECT_EQ(2, st.pass.packets);
	EXPECT_EQ(2 * f.len, st.pass.bytes);
	EXPECT_EQ(0, st.denied.packets + st.spoofed.packets + st.rate.packets);
	EXPECT_LE(t0, st.last_seen_ns);
	EXPECT_GE(t1, st.last_seen_ns);
}

TEST_F(verdict, ipv6_enrolled_passes)
{
	struct iotguard_dev_stats st;
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET6, 2);
	enroll(_metadata, self, &d);
	frame_from(&f, &d, mac_a, 32);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);

	ASSERT_EQ(0, read_dev(self->skel, &d, &st));
	EXPECT_EQ(1, st.pass.packets);
	EXPECT_EQ(f.len, st.pass.bytes);
}

/* TCP too: its header (with options) is parsed, not just UDP's. */
TEST_F(verdict, tcp_with_options_passes)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET, 3);
	enroll(_metadata, self, &d);
	fr_eth(&f, mac_a);
	fr_ipv4(&f, d.id.addr, dst4, 0);
	fr_tcp(&f, 12);
	fr_finish(&f);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
}

TEST_F(verdict, ipv4_unknown_dropped_and_recorded)
{
	struct iotguard_device d, other;
	struct unknown_find find;
	struct frame f;
	uint64_t first;

	/* Something else is enrolled: the table is not simply empty. */
	dev_init(&other, AF_INET, 4);
	enroll(_metadata, self, &other);

	dev_init(&d, AF_INET, 5);
	frame_from(&f, &d, mac_a, 16);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
	expect_unknown(_metadata, self, AF_INET, d.id.addr, mac_a, 1);
	ASSERT_EQ(0, read_unknown(self->skel, &find, AF_INET, d.id.addr));
	first = find.val.first_ns;

	/*
	 * A second frame, from another MAC, a clock tick later: counted,
	 * MAC and last time updated. Until the clock has moved, not for a
	 * tick's time: a busy guest's ticks come late.
	 */
	while (prog_clock_ns() <= first)
		usleep(1000);
	frame_from(&f, &d, mac_b, 16);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
	expect_unknown(_metadata, self, AF_INET, d.id.addr, mac_b, 2);
	ASSERT_EQ(0, read_unknown(self->skel, &find, AF_INET, d.id.addr));
	EXPECT_EQ(first, find.val.first_ns);
	EXPECT_LT(first, find.val.last_ns);

	/* The enrolled neighbour is not recorded. */
	EXPECT_EQ(-ENOENT, read_unknown(self->skel, &find, AF_INET,
					other.id.addr));
	EXPECT_EQ(1, find.sources);
}

/* Entries of an unknown sources LRU, read directly. */
static unsigned int lru_entries(struct iotguard *skel)
{
	struct iotguard_unknown_key key, next;
	int fd = bpf_map__fd(skel->maps.iotguard_unknown);
	unsigned int n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

/*
 * A flood of spoofed sources, each new: each CPU adds at most its budget of
 * them to the LRU per clock tick, the others' frames are counted as
 * unrecorded, and no frame goes uncounted.
 */
TEST_F(verdict, unknown_new_sources_budget)
{
	const unsigned int sources = 12 * IOTGUARD_UNKNOWN_CPU_SLOTS;
	uint64_t t0, t1, ticks, unrecorded;
	struct iotguard_device d;
	struct unknown_find find;
	unsigned int i, entries;
	struct frame f;

	t0 = prog_clock_ns();
	for (i = 0; i < sources; i++) {
		dev_init(&d, AF_INET, i & 0xff);
		d.id.addr[1] = 19;
		d.id.addr[2] = i >> 8;
		frame_from(&f, &d, mac_a, 16);
		EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
	}
	t1 = prog_clock_ns();
	ticks = (t1 - t0) / prog_clock_tick_ns() + 1;

	entries = lru_entries(self->skel);
	EXPECT_LE(entries, ticks * IOTGUARD_UNKNOWN_NEW_PER_TICK) {
		TH_LOG("%u sources in the LRU after %llu ticks", entries,
		       (unsigned long long)ticks);
	}
	EXPECT_LT(0, entries);
	ASSERT_EQ(0, iotguard_unknown_unrecorded(
		bpf_map__fd(self->skel->maps.iotguard_unknown_budget),
		&unrecorded));
	ASSERT_EQ(-ENOENT, read_unknown(self->skel, &find, AF_INET, NULL));
	/* The LRU's, the slots' and the unrecorded: every frame, once. */
	EXPECT_EQ(sources, find.packets + unrecorded);
	EXPECT_LE(sources - entries - IOTGUARD_UNKNOWN_CPU_SLOTS, unrecorded);
}

/*
 * More unknown sources than a CPU's cache has slots, twice each: the
 * sources that made way were folded into the LRU, the others are still in
 * their slots, and every source adds up to its two frames either way.
 */
TEST_F(verdict, unknown_sources_beyond_the_cache)
{
	struct iotguard_counter before[IOTGUARD_R_MAX], after[IOTGUARD_R_MAX];
	const unsigned int sources = 4 * IOTGUARD_UNKNOWN_CPU_SLOTS;
	struct iotguard_device d;
	struct unknown_find find;
	unsigned int round, i;
	struct frame f;

	/* Room in the LRU for every source whenever it makes way. */
	fixture_reload(_metadata, self, 2 * sources);
	ASSERT_EQ(0, read_global(self->skel, before));
	for (round = 0; round < 2; round++) {
		/*
		 * mac_b, the last MAC, is the one of the later time: let the
		 * program's clock move first. In the same tick (a busy
		 * guest's ticks come late) the two are not ordered.
		 */
		if (round) {
			uint64_t t = prog_clock_ns();

			while (prog_clock_ns() <= t)
				usleep(1000);
		}
		for (i = 0; i < sources; i++) {
			dev_init(&d, AF_INET, i & 0xff);
			d.id.addr[2] = i >> 8;
			frame_from(&f, &d, round ? mac_b : mac_a, 16);
			EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
		}
	}
	ASSERT_EQ(0, read_global(self->skel, after));
	EXPECT_EQ(2 * sources, after[IOTGUARD_R_UNKNOWN].packets -
			       before[IOTGUARD_R_UNKNOWN].packets);

	for (i = 0; i < sources; i += 97) {
		dev_init(&d, AF_INET, i & 0xff);
		d.id.addr[2] = i >> 8;
		expect_unknown(_metadata, self, AF_INET, d.id.addr, mac_b, 2);
	}
	ASSERT_EQ(-ENOENT, read_unknown(self->skel, &find, AF_INET, NULL));
	EXPECT_EQ(sources, find.sources);
	EXPECT_EQ(2 * sources, find.packets);
}

TEST_F(verdict, ipv6_unknown_dropped_and_recorded)
{
	struct iotguard_device d, v4;
	struct frame f;

	dev_init(&d, AF_INET6, 6);
	frame_from(&f, &d, mac_a, 16);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
	expect_unknown(_metadata, self, AF_INET6, d.id.addr, mac_a, 1);

	/* The family is part of the key: 198.18.0.6 is another sender. */
	dev_init(&v4, AF_INET, 6);
	enroll(_metadata, self, &v4);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
	expect_unknown(_metadata, self, AF_INET6, d.id.addr, mac_a, 2);
}

TEST_F(verdict, denied_dropped)
{
	struct iotguard_dev_stats st;
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET, 7);
	dev_state(&d, IOTGUARD_STATE_DENY);
	enroll(_metadata, self, &d);
	frame_from(&f, &d, mac_a, 16);
	EXPECT_DROP(&f, IOTGUARD_R_DENIED);

	ASSERT_EQ(0, read_dev(self->skel, &d, &st));
	EXPECT_EQ(1, st.denied.packets);
	EXPECT_EQ(f.len, st.denied.bytes);
	EXPECT_EQ(0, st.pass.packets);
	EXPECT_NE(0, st.last_seen_ns);
}

/* DEVICE_SET takes effect on the next frame, both ways. */
TEST_F(verdict, state_change_applies)
{
	struct iotguard_dev_stats st;
	struct iotguard_device d, s;
	struct frame f;

	dev_init(&d, AF_INET6, 8);
	enroll(_metadata, self, &d);
	frame_from(&f, &d, mac_a, 16);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);

	dev_init(&s, AF_INET6, 8);
	dev_state(&s, IOTGUARD_STATE_DENY);
	ASSERT_EQ(0, iotguard_nl_device_set(self->nl, &s));
	EXPECT_DROP(&f, IOTGUARD_R_DENIED);

	dev_state(&s, IOTGUARD_STATE_ALLOW);
	ASSERT_EQ(0, iotguard_nl_device_set(self->nl, &s));
	EXPECT_PASS(&f, IOTGUARD_R_PASS);

	ASSERT_EQ(0, read_dev(self->skel, &d, &st));
	EXPECT_EQ(2, st.pass.packets);
	EXPECT_EQ(1, st.denied.packets);

	/* Deleted: unknown again. */
	ASSERT_EQ(0, iotguard_nl_device_del(self->nl, &d.id));
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
}

TEST_F(verdict, spoofed_mac_dropped_right_mac_passes)
{
	struct iotguard_dev_stats st;
	struct iotguard_device d;
	struct frame good, bad;

	dev_init(&d, AF_INET, 9);
	dev_mac(&d, mac_a);
	enroll(_metadata, self, &d);

	frame_from(&bad, &d, mac_b, 16);
	EXPECT_DROP(&bad, IOTGUARD_R_SPOOFED);
	frame_from(&good, &d, mac_a, 20);
	EXPECT_PASS(&good, IOTGUARD_R_PASS);

	ASSERT_EQ(0, read_dev(self->skel, &d, &st));
	EXPECT_EQ(1, st.spoofed.packets);
	EXPECT_EQ(bad.len, st.spoofed.bytes);
	EXPECT_EQ(1, st.pass.packets);
	EXPECT_EQ(good.len, st.pass.bytes);
}

/* A deny beats a spoof: the device is dropped for what it is. */
TEST_F(verdict, denied_before_spoofed)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET6, 10);
	dev_mac(&d, mac_a);
	dev_state(&d, IOTGUARD_STATE_DENY);
	enroll(_metadata, self, &d);
	frame_from(&f, &d, mac_b, 16);
	EXPECT_DROP(&f, IOTGUARD_R_DENIED);
}

TEST_F(verdict, unbound_mac_any_mac_passes)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET6, 11);
	enroll(_metadata, self, &d);
	frame_from(&f, &d, mac_a, 16);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	frame_from(&f, &d, mac_b, 16);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
}

/* 1 pps (a second between packets: no timing flakes), burst 3. */
TEST_F(verdict, over_packet_rate_dropped)
{
	struct iotguard_dev_stats st;
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET, 12);
	dev_pps(&d, 1, 3);
	enroll(_metadata, self, &d);
	frame_from(&f, &d, mac_a, 16);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	EXPECT_DROP(&f, IOTGUARD_R_RATE);
	EXPECT_DROP(&f, IOTGUARD_R_RATE);

	ASSERT_EQ(0, read_dev(self->skel, &d, &st));
	EXPECT_EQ(3, st.pass.packets);
	EXPECT_EQ(2, st.rate.packets);
	EXPECT_EQ(2 * f.len, st.rate.bytes);
}

/*
 * 1 B/s, burst 1536 bytes: 500-byte frames cost 500 s each, so three fit
 * the burst and the fourth does not. A byte a second leaves the frames
 * tens of seconds to arrive in; at 1000 B/s the last frame had to come
 * within 26 ms of the first, which a busy guest missed.
 */
TEST_F(verdict, over_byte_rate_dropped)
{
	struct iotguard_dev_stats st;
	struct iotguard_device d;
	struct frame f, small;

	dev_init(&d, AF_INET6, 13);
	dev_bps(&d, 1, 1536);
	enroll(_metadata, self, &d);
	frame_from(&f, &d, mac_a, 500 - 62);
	ASSERT_EQ(500, f.len);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	EXPECT_DROP(&f, IOTGUARD_R_RATE);

	/* 1500 s of the 1536 s burst are used: 62 bytes need 62 s. */
	frame_from(&small, &d, mac_a, 0);
	EXPECT_DROP(&small, IOTGUARD_R_RATE);

	ASSERT_EQ(0, read_dev(self->skel, &d, &st));
	EXPECT_EQ(3, st.pass.packets);
	EXPECT_EQ(3 * f.len, st.pass.bytes);
	EXPECT_EQ(2, st.rate.packets);
}

/*
 * A frame dropped for its size costs no packet credit: with a burst of 2
 * packets, a big frame over the byte limit leaves both for small ones.
 */
TEST_F(verdict, byte_drop_costs_no_packet_credit)
{
	struct iotguard_device d;
	struct frame big, small;

	dev_init(&d, AF_INET, 14);
	dev_pps(&d, 1, 2);
	dev_bps(&d, 1000, 1536);
	enroll(_metadata, self, &d);
	frame_from(&big, &d, mac_a, 1600);
	frame_from(&small, &d, mac_a, 0);
	EXPECT_DROP(&big, IOTGUARD_R_RATE);
	EXPECT_PASS(&small, IOTGUARD_R_PASS);
	EXPECT_PASS(&small, IOTGUARD_R_PASS);
	EXPECT_DROP(&small, IOTGUARD_R_RATE);
}

/* Quarantine applies the module's quarantine rate, not the device's. */
TEST_F(verdict, quarantine_rate_applies)
{
	uint64_t pps = module_param("quarantine_pps");
	uint64_t burst = module_param("quarantine_burst");
	struct iotguard_dev_stats st;
	struct iotguard_device d;
	struct frame f;
	uint64_t i;

	ASSERT_NE(0, pps);
	ASSERT_NE(0, burst);
	if (pps > 50 || burst > 1000)
		SKIP(return, "quarantine rate %llu/s burst %llu: too fast to time",
		     (unsigned long long)pps, (unsigned long long)burst);

	dev_init(&d, AF_INET, 15);
	dev_state(&d, IOTGUARD_STATE_QUARANTINE);
	dev_pps(&d, 1000, 1000);	/* ignored while quarantined */
	enroll(_metadata, self, &d);
	frame_from(&f, &d, mac_a, 16);
	for (i = 0; i < burst; i++)
		EXPECT_PASS(&f, IOTGUARD_R_PASS);
	EXPECT_DROP(&f, IOTGUARD_R_RATE);

	ASSERT_EQ(0, read_dev(self->skel, &d, &st));
	EXPECT_EQ(burst, st.pass.packets);
	EXPECT_EQ(1, st.rate.packets);
}

TEST_F(verdict, vlan_single_tag)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET, 16);
	enroll(_metadata, self, &d);
	fr_eth(&f, mac_a);
	fr_vlan(&f, 0x8100, 42);
	fr_ipv4(&f, d.id.addr, dst4, 0);
	fr_udp(&f, 16);
	fr_finish(&f);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);

	/* The source behind the tag is what is looked up. */
	f.buf[f.l3_off + 15] = 99;
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
}

TEST_F(verdict, qinq)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET6, 17);
	enroll(_metadata, self, &d);
	fr_eth(&f, mac_a);
	fr_vlan(&f, 0x88a8, 100);
	fr_vlan(&f, 0x8100, 42);
	fr_ipv6(&f, d.id.addr, dst6);
	fr_udp(&f, 16);
	fr_finish(&f);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);

	/* Any order of TPIDs. */
	fr_eth(&f, mac_a);
	fr_vlan(&f, 0x8100, 100);
	fr_vlan(&f, 0x88a8, 42);
	fr_ipv6(&f, d.id.addr, dst6);
	fr_udp(&f, 16);
	fr_finish(&f);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);

	/* ARP behind two tags is still ARP: a probe passes. */
	fr_eth(&f, mac_b);
	fr_vlan(&f, 0x88a8, 100);
	fr_vlan(&f, 0x8100, 42);
	fr_arp(&f, 1, mac_b, (const uint8_t[4]){ 0 }, dst4);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
}

/* Two tags is the limit: a third TPID is an ethertype we do not route. */
TEST_F(verdict, three_tags_not_ip)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET, 18);
	enroll(_metadata, self, &d);
	fr_eth(&f, mac_a);
	fr_vlan(&f, 0x88a8, 1);
	fr_vlan(&f, 0x8100, 2);
	fr_vlan(&f, 0x8100, 3);
	fr_ipv4(&f, d.id.addr, dst4, 0);
	fr_udp(&f, 16);
	fr_finish(&f);
	EXPECT_DROP(&f, IOTGUARD_R_NON_IP);
}

TEST_F(verdict, ipv4_options)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET, 19);
	enroll(_metadata, self, &d);

	/* IHL 15: 40 bytes of options, the most there can be. */
	fr_eth(&f, mac_a);
	fr_ipv4(&f, d.id.addr, dst4, 40);
	fr_udp(&f, 16);
	fr_finish(&f);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);

	fr_eth(&f, mac_a);
	fr_ipv4(&f, d.id.addr, dst4, 8);
	fr_tcp(&f, 0);
	fr_finish(&f);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);

	/* The UDP header is found after the options, not at offset 20. */
	fr_eth(&f, mac_a);
	fr_ipv4(&f, d.id.addr, dst4, 12);
	fr_udp(&f, 0);
	fr_fix_len(&f, f.len - 4);
	f.len -= 4;
	EXPECT_DROP(&f, IOTGUARD_R_PARSE);
}

TEST_F(verdict, ipv4_malformed)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET, 20);
	enroll(_metadata, self, &d);
	frame_from(&f, &d, mac_a, 16);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);

	f.buf[f.l3_off] = 0x44;			/* IHL 4 */
	EXPECT_DROP(&f, IOTGUARD_R_PARSE);
	f.buf[f.l3_off] = 0x65;			/* version 6 */
	EXPECT_DROP(&f, IOTGUARD_R_PARSE);
	f.buf[f.l3_off] = 0x45;
	fr_put16(f.buf + f.l3_off + 2, 19);	/* total length < header */
	EXPECT_DROP(&f, IOTGUARD_R_PARSE);
	fr_put16(f.buf + f.l3_off + 2, f.len - f.l3_off + 1);	/* > frame */
	EXPECT_DROP(&f, IOTGUARD_R_PARSE);

	/* Ethernet padding after the datagram is fine. */
	fr_put16(f.buf + f.l3_off + 2, f.len - f.l3_off - 4);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);

	/* TCP data offset below 5. */
	fr_eth(&f, mac_a);
	fr_ipv4(&f, d.id.addr, dst4, 0);
	fr_tcp(&f, 0);
	fr_finish(&f);
	f.buf[f.l4_off + 12] = 4 << 4;
	EXPECT_DROP(&f, IOTGUARD_R_PARSE);
}

TEST_F(verdict, ipv6_hbh_and_dstopts_before_udp)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET6, 21);
	enroll(_metadata, self, &d);
	fr_eth(&f, mac_a);
	fr_ipv6(&f, d.id.addr, dst6);
	fr_ip6_opts(&f, 0, 8);
	fr_ip6_opts(&f, 60, 24);
	fr_udp(&f, 16);
	fr_finish(&f);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
}

TEST_F(verdict, ipv6_routing_and_ah)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET6, 22);
	enroll(_metadata, self, &d);
	fr_eth(&f, mac_a);
	fr_ipv6(&f, d.id.addr, dst6);
	fr_ip6_opts(&f, 43, 24);
	fr_ip6_ah(&f, 24);
	fr_tcp(&f, 4);
	fr_finish(&f);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
}

TEST_F(verdict, ipv6_fragments)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET6, 23);
	enroll(_metadata, self, &d);

	/* First fragment: the UDP header follows. */
	fr_eth(&f, mac_a);
	fr_ipv6(&f, d.id.addr, dst6);
	fr_ip6_frag(&f, 0, 1);
	fr_udp(&f, 64);
	fr_finish(&f);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);

	/* A later one has no L4 header, however short its payload. */
	fr_eth(&f, mac_a);
	fr_ipv6(&f, d.id.addr, dst6);
	fr_ip6_frag(&f, 9, 0);
	f.buf[f.proto_off] = 17;
	fr_payload(&f, 3);
	fr_finish(&f);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);

	/* A first fragment too short for its UDP header is malformed. */
	fr_eth(&f, mac_a);
	fr_ipv6(&f, d.id.addr, dst6);
	fr_ip6_frag(&f, 0, 1);
	f.buf[f.proto_off] = 17;
	fr_payload(&f, 3);
	fr_finish(&f);
	EXPECT_DROP(&f, IOTGUARD_R_PARSE);

	/* IPv4 likewise: a later fragment is just payload. */
	dev_init(&d, AF_INET, 23);
	enroll(_metadata, self, &d);
	fr_eth(&f, mac_a);
	fr_ipv4(&f, d.id.addr, dst4, 0);
	fr_ipv4_frag(&f, 9, 0);
	f.buf[f.proto_off] = 17;
	fr_payload(&f, 3);
	fr_finish(&f);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	fr_eth(&f, mac_a);
	fr_ipv4(&f, d.id.addr, dst4, 0);
	fr_ipv4_frag(&f, 0, 1);
	f.buf[f.proto_off] = 17;
	fr_payload(&f, 3);
	fr_finish(&f);
	EXPECT_DROP(&f, IOTGUARD_R_PARSE);
}

/* Eight extension headers are walked; a ninth is too many. */
TEST_F(verdict, ipv6_ext_chain_limit)
{
	struct iotguard_device d;
	struct frame f;
	int i;

	dev_init(&d, AF_INET6, 24);
	enroll(_metadata, self, &d);

	fr_eth(&f, mac_a);
	fr_ipv6(&f, d.id.addr, dst6);
	fr_ip6_opts(&f, 0, 8);
	for (i = 1; i < 8; i++)
		fr_ip6_opts(&f, 60, 8);
	fr_udp(&f, 8);
	fr_finish(&f);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);

	fr_eth(&f, mac_a);
	fr_ipv6(&f, d.id.addr, dst6);
	fr_ip6_opts(&f, 0, 8);
	for (i = 1; i < 9; i++)
		fr_ip6_opts(&f, 60, 8);
	fr_udp(&f, 8);
	fr_finish(&f);
	EXPECT_DROP(&f, IOTGUARD_R_PARSE);
}

TEST_F(verdict, ipv6_malformed)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET6, 25);
	enroll(_metadata, self, &d);

	/* Hop-by-hop options anywhere but first. */
	fr_eth(&f, mac_a);
	fr_ipv6(&f, d.id.addr, dst6);
	fr_ip6_opts(&f, 60, 8);
	fr_ip6_opts(&f, 0, 8);
	fr_udp(&f, 8);
	fr_finish(&f);
	EXPECT_DROP(&f, IOTGUARD_R_PARSE);

	/* Version 4 in an IPv6 ethertype. */
	frame_from(&f, &d, mac_a, 8);
	f.buf[f.l3_off] = 0x40;
	EXPECT_DROP(&f, IOTGUARD_R_PARSE);

	/* An options header longer than the frame. */
	fr_eth(&f, mac_a);
	fr_ipv6(&f, d.id.addr, dst6);
	fr_ip6_opts(&f, 60, 16);
	fr_udp(&f, 8);
	fr_finish(&f);
	f.buf[f.proto_off + 1] = 255;	/* 2048 bytes */
	EXPECT_DROP(&f, IOTGUARD_R_PARSE);
}

/* Link-local fe80::host and the solicited-node group of an address. */
static void ip6_ll(uint8_t out[16], uint8_t host)
{
	memset(out, 0, 16);
	out[0] = 0xfe;
	out[1] = 0x80;
	out[15] = host;
}

static void ip6_snm(uint8_t out[16], const uint8_t addr[16])
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
					 0, 0, 0, 1, 0xff };

	memcpy(out, pfx, sizeof(pfx));
	memcpy(out + 13, addr + 13, 3);
}

static const uint8_t any4[4];
static const uint8_t any6[16];
static const uint8_t mld2_group[16] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
					0, 0, 0, 0, 0, 0, 0, 0x16 };

/*
 * ARP passes only when it speaks for its sender: sender MAC the frame's
 * source, sender IP an enrolled device's, sent from the MAC bound to it.
 */
TEST_F(verdict, arp_inspection)
{
	struct iotguard_device d, denied, unbound;
	struct iotguard_dev_stats st;
	uint8_t unknown[4];
	struct frame f;

	dev_init(&d, AF_INET, 50);
	dev_mac(&d, mac_a);
	enroll(_metadata, self, &d);
	dev_init(&denied, AF_INET, 51);
	dev_state(&denied, IOTGUARD_STATE_DENY);
	enroll(_metadata, self, &denied);
	dev_init(&unbound, AF_INET, 52);
	enroll(_metadata, self, &unbound);
	ip4(unknown, 53);

	/* The device asks for the router, and answers for itself. */
	fr_eth(&f, mac_a);
	fr_arp(&f, 1, mac_a, d.id.addr, dst4);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	fr_eth(&f, mac_a);
	fr_arp(&f, 2, mac_a, d.id.addr, dst4);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);

	/* Behind two tags, still inspected. */
	fr_eth(&f, mac_a);
	fr_vlan(&f, 0x88a8, 100);
	fr_vlan(&f, 0x8100, 42);
	fr_arp(&f, 1, mac_a, d.id.addr, dst4);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	fr_eth(&f, mac_b);
	fr_vlan(&f, 0x8100, 42);
	fr_arp(&f, 2, mac_b, d.id.addr, dst4);
	EXPECT_DROP(&f, IOTGUARD_R_ARP);

	/* A forged sender IP: the device's address from another MAC. */
	fr_eth(&f, mac_b);
	fr_arp(&f, 2, mac_b, d.id.addr, dst4);
	EXPECT_DROP(&f, IOTGUARD_R_ARP);
	/* Gratuitous ARP for the device's address from another MAC. */
	fr_eth(&f, mac_b);
	fr_arp(&f, 1, mac_b, d.id.addr, d.id.addr);
	EXPECT_DROP(&f, IOTGUARD_R_ARP);
	/* A forged sender MAC: not the frame's source. */
	fr_eth(&f, mac_b);
	fr_arp(&f, 2, mac_a, d.id.addr, dst4);
	EXPECT_DROP(&f, IOTGUARD_R_ARP);
	/* An address nobody enrolled, and a denied device's. */
	fr_eth(&f, mac_a);
	fr_arp(&f, 1, mac_a, unknown, dst4);
	EXPECT_DROP(&f, IOTGUARD_R_ARP);
	fr_eth(&f, mac_b);
	fr_arp(&f, 1, mac_b, denied.id.addr, dst4);
	EXPECT_DROP(&f, IOTGUARD_R_DENIED);
	/* With no MAC bound, there is no binding to contradict. */
	fr_eth(&f, mac_b);
	fr_arp(&f, 2, mac_b, unbound.id.addr, dst4);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);

	/* Forgeries in the device's name count as its spoofed frames. */
	ASSERT_EQ(0, read_dev(self->skel, &d, &st));
	EXPECT_EQ(3, st.spoofed.packets);
	EXPECT_EQ(0, st.pass.packets);
	ASSERT_EQ(0, read_dev(self->skel, &denied, &st));
	EXPECT_EQ(1, st.denied.packets);

	/* A probe speaks for nobody; a reply from 0.0.0.0 is no ARP. */
	fr_eth(&f, mac_b);
	fr_arp(&f, 1, mac_b, any4, unknown);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	fr_eth(&f, mac_b);
	fr_arp(&f, 2, mac_b, any4, unknown);
	EXPECT_DROP(&f, IOTGUARD_R_ARP);

	/* Not IPv4 over Ethernet; an unknown operation; truncated. */
	fr_eth(&f, mac_a);
	fr_arp(&f, 1, mac_a, d.id.addr, dst4);
	f.buf[15] = 6;			/* IEEE 802 hardware */
	EXPECT_DROP(&f, IOTGUARD_R_ARP);
	fr_eth(&f, mac_a);
	fr_arp(&f, 3, mac_a, d.id.addr, dst4);	/* RARP request */
	EXPECT_DROP(&f, IOTGUARD_R_ARP);
	fr_eth(&f, mac_a);
	fr_arp(&f, 1, mac_a, d.id.addr, dst4);
	f.len -= 1;
	EXPECT_DROP(&f, IOTGUARD_R_PARSE);
}

/* A device's ARP is charged to its rate and counted only globally. */
TEST_F(verdict, arp_charged_to_the_device)
{
	struct iotguard_dev_stats st;
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET, 54);
	dev_mac(&d, mac_a);
	dev_pps(&d, 1, 2);
	enroll(_metadata, self, &d);
	fr_eth(&f, mac_a);
	fr_arp(&f, 1, mac_a, d.id.addr, dst4);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	EXPECT_DROP(&f, IOTGUARD_R_RATE);
	ASSERT_EQ(0, read_dev(self->skel, &d, &st));
	EXPECT_EQ(0, st.pass.packets + st.rate.packets);
}

/*
 * An NDP message from the link as a device sends it: hop limit 255, its
 * link-layer address option (source for NS and RS, target for NA) carrying
 * lla, or none if lla is NULL.
 */
static void ndp(struct frame *f, const uint8_t mac[6], const uint8_t src[16],
		const uint8_t dst[16], uint8_t type, const uint8_t target[16],
		const uint8_t *lla)
{
	fr_eth(f, mac);
	fr_ipv6(f, src, dst);
	fr_hoplimit(f, 255);
	fr_ndp(f, type, target, !lla ? 0 : type == 136 ? 2 : 1, lla);
	fr_finish(f);
}

/* RA, redirect, MLD query: a device's to receive, never to send. */
TEST_F(verdict, ndp_router_messages_dropped)
{
	static const uint8_t types[] = { 134, 137, 130 };
	uint8_t ll[16];
	struct frame f;
	size_t i;

	ip6_ll(ll, 1);
	for (i = 0; i < sizeof(types); i++) {
		fr_eth(&f, mac_a);
		fr_ipv6(&f, ll, mld2_group);
		fr_hoplimit(&f, types[i] == 130 ? 1 : 255);
		fr_icmp6(&f, types[i], 16);
		fr_finish(&f);
		EXPECT_DROP(&f, IOTGUARD_R_NDP);
	}
}

TEST_F(verdict, ndp_form)
{
	uint8_t ll[16], snm[16], target[16];
	struct frame f;

	ip6_ll(ll, 2);
	ip6(target, 60);
	ip6_snm(snm, target);

	/* From the link, whole, to the link: passes. */
	ndp(&f, mac_a, ll, snm, 135, target, mac_a);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);

	/* Hop limit 254: routed here from elsewhere. */
	fr_eth(&f, mac_a);
	fr_ipv6(&f, ll, snm);
	fr_hoplimit(&f, 254);
	fr_ndp(&f, 135, target, 1, mac_a);
	fr_finish(&f);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);

	/* A first fragment, and a whole message behind a fragment header. */
	fr_eth(&f, mac_a);
	fr_ipv6(&f, ll, snm);
	fr_hoplimit(&f, 255);
	fr_ip6_frag(&f, 0, 1);
	fr_ndp(&f, 135, target, 1, mac_a);
	fr_finish(&f);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);
	fr_eth(&f, mac_a);
	fr_ipv6(&f, ll, snm);
	fr_hoplimit(&f, 255);
	fr_ip6_frag(&f, 0, 0);
	fr_ndp(&f, 135, target, 1, mac_a);
	fr_finish(&f);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);

	/* To a global destination: it would be routed on. */
	ndp(&f, mac_a, ll, dst6, 135, target, mac_a);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);

	/* A source link-layer address that is not the frame's source. */
	ndp(&f, mac_a, ll, snm, 135, target, mac_b);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);

	/* A non-zero code; a truncated target. */
	fr_eth(&f, mac_a);
	fr_ipv6(&f, ll, snm);
	fr_hoplimit(&f, 255);
	fr_ndp(&f, 135, target, 0, NULL);
	f.buf[f.l4_off + 1] = 1;
	fr_finish(&f);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);
	fr_eth(&f, mac_a);
	fr_ipv6(&f, ll, snm);
	fr_hoplimit(&f, 255);
	fr_ndp(&f, 135, target, 0, NULL);
	f.len -= 1;
	fr_finish(&f);
	EXPECT_DROP(&f, IOTGUARD_R_PARSE);

	/* DAD, and a router solicitation before the device has an address. */
	ndp(&f, mac_b, any6, snm, 135, target, NULL);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	ndp(&f, mac_b, any6, mld2_group, 133, NULL, NULL);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
}

/*
 * NDP that speaks for a global address (an advertisement's target, any
 * other message's source) must be backed by the device table.
 */
TEST_F(verdict, ndp_speaks_for_enrolled_devices)
{
	uint8_t ll[16], snm[16], unknown[16];
	struct iotguard_device d, denied;
	struct frame f;

	dev_init(&d, AF_INET6, 61);
	dev_mac(&d, mac_a);
	enroll(_metadata, self, &d);
	dev_init(&denied, AF_INET6, 62);
	dev_state(&denied, IOTGUARD_STATE_DENY);
	enroll(_metadata, self, &denied);
	ip6(unknown, 63);
	ip6_ll(ll, 3);
	ip6_snm(snm, dst6);

	/* The device resolves the router and advertises itself. */
	ndp(&f, mac_a, d.id.addr, snm, 135, dst6, mac_a);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	ndp(&f, mac_a, ll, ll, 136, d.id.addr, mac_a);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);

	/* Another MAC advertising the device's address. */
	ndp(&f, mac_b, ll, ll, 136, d.id.addr, mac_b);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);
	/* ... or soliciting from it. */
	ndp(&f, mac_b, d.id.addr, snm, 135, dst6, mac_b);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);
	/* An address nobody enrolled; a denied device's. */
	ndp(&f, mac_b, ll, ll, 136, unknown, mac_b);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);
	ndp(&f, mac_b, denied.id.addr, snm, 135, dst6, mac_b);
	EXPECT_DROP(&f, IOTGUARD_R_DENIED);

	/* Other ICMPv6 is IP traffic like any other. */
	fr_eth(&f, mac_a);
	fr_ipv6(&f, unknown, dst6);
	fr_icmp6(&f, 128, 16);		/* echo request */
	fr_finish(&f);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
	fr_eth(&f, mac_a);
	fr_ipv6(&f, unknown, dst6);
	fr_icmp6(&f, 138, 16);		/* router renumbering */
	fr_finish(&f);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
}

/* 2001:2:0:<net>::/plen, enrolled. */
static void dev_prefix(struct iotguard_device *d, uint8_t net, uint8_t plen)
{
	dev_init(d, AF_INET6, 0);
	d->id.addr[7] = net;
	d->id.plen = plen;
}

/* An address of 2001:2:0:<net>::/64 with an interface id from iid. */
static void addr_in(struct iotguard_device *a, uint8_t net, uint64_t iid)
{
	dev_init(a, AF_INET6, 0);
	a->id.addr[7] = net;
	for (int i = 0; i < 8; i++)
		a->id.addr[15 - i] = iid >> (8 * i);
}

/*
 * SLAAC and temporary (privacy) addresses of a device enrolled by its
 * prefix: one device, one rate budget, one MAC binding.
 */
TEST_F(verdict, ipv6_prefix_is_one_device)
{
	struct iotguard_device d, slaac, privacy, outside;
	struct iotguard_dev_stats st;
	struct frame f;

	dev_prefix(&d, 5, 64);
	dev_mac(&d, mac_a);
	dev_pps(&d, 1, 3);
	enroll(_metadata, self, &d);
	addr_in(&slaac, 5, 0x001000fffe00000aULL);
	addr_in(&privacy, 5, 0x9a3cdeadbeef1234ULL);
	addr_in(&outside, 6, 0x001000fffe00000aULL);

	frame_from(&f, &slaac, mac_a, 16);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	frame_from(&f, &privacy, mac_a, 16);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	/* the burst of 3 is the device's, whichever address spends it */
	frame_from(&f, &slaac, mac_a, 16);
	EXPECT_DROP(&f, IOTGUARD_R_RATE);
	frame_from(&f, &privacy, mac_b, 16);
	EXPECT_DROP(&f, IOTGUARD_R_SPOOFED);
	frame_from(&f, &outside, mac_a, 16);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);

	ASSERT_EQ(0, read_dev(self->skel, &d, &st));
	EXPECT_EQ(3, st.pass.packets);
	EXPECT_EQ(1, st.rate.packets);
}

/* An address is its exact device's, else its longest prefix's. */
TEST_F(verdict, ipv6_prefix_longest_match)
{
	struct iotguard_device wide, p64, p64b, exact, a, b, c;
	struct iotguard_dev_stats st;
	uint8_t snm[16];
	struct frame f;

	dev_prefix(&wide, 0, 48);	/* 2001:2::/48 */
	enroll(_metadata, self, &wide);
	dev_prefix(&p64, 5, 64);	/* 2001:2:0:5::/64 */
	dev_mac(&p64, mac_a);
	enroll(_metadata, self, &p64);
	dev_prefix(&p64b, 7, 64);	/* another /64: the length's count */
	enroll(_metadata, self, &p64b);
	addr_in(&exact, 5, 9);		/* 2001:2:0:5::9 */
	enroll(_metadata, self, &exact);
	addr_in(&a, 5, 0xa);
	addr_in(&b, 6, 0xa);
	addr_in(&c, 7, 0xa);

	frame_from(&f, &a, mac_a, 16);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	frame_from(&f, &b, mac_b, 16);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	frame_from(&f, &exact, mac_b, 16);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	ASSERT_EQ(0, read_dev(self->skel, &p64, &st));
	EXPECT_EQ(1, st.pass.packets);
	ASSERT_EQ(0, read_dev(self->skel, &wide, &st));
	EXPECT_EQ(1, st.pass.packets);
	ASSERT_EQ(0, read_dev(self->skel, &exact, &st));
	EXPECT_EQ(1, st.pass.packets);

	/* NDP in the prefix's name: its bound MAC only */
	ip6_snm(snm, dst6);
	ndp(&f, mac_a, a.id.addr, snm, 135, dst6, mac_a);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	ndp(&f, mac_b, a.id.addr, snm, 135, dst6, mac_b);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);

	/* One /64 gone: its addresses fall to the /48; the other /64 stays. */
	ASSERT_EQ(0, iotguard_nl_device_del(self->nl, &p64.id));
	frame_from(&f, &a, mac_b, 16);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	ASSERT_EQ(0, read_dev(self->skel, &wide, &st));
	EXPECT_EQ(2, st.pass.packets);
	frame_from(&f, &c, mac_b, 16);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	ASSERT_EQ(0, read_dev(self->skel, &p64b, &st));
	EXPECT_EQ(1, st.pass.packets);
	/* and without the /48, 2001:2:0:6::a is nobody's */
	ASSERT_EQ(0, iotguard_nl_device_del(self->nl, &wide.id));
	frame_from(&f, &b, mac_b, 16);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
}

/*
 * Unicast NDP goes no further than the router: a NUD probe of its global
 * address, an answer to its solicitation from that address. ::1 is an
 * address of the test's namespace (the router's own); dst6 is not.
 */
TEST_F(verdict, ndp_unicast_to_the_router_only)
{
	static const uint8_t local[16] = { [15] = 1 };
	struct iotguard_device d;
	uint8_t ll[16];
	struct frame f;

	dev_init(&d, AF_INET6, 64);
	dev_mac(&d, mac_a);
	enroll(_metadata, self, &d);
	ip6_ll(ll, 4);

	/* NUD: the device probes the router's global address. */
	ndp(&f, mac_a, d.id.addr, local, 135, local, mac_a);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	/* It answers the router's solicitation from that address. */
	ndp(&f, mac_a, ll, local, 136, d.id.addr, mac_a);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	ndp(&f, mac_a, ll, local, 135, local, NULL);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	/* The same to an address beyond the router: routed on, dropped. */
	ndp(&f, mac_a, d.id.addr, dst6, 135, dst6, mac_a);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);
	ndp(&f, mac_a, ll, dst6, 136, d.id.addr, mac_a);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);
	ndp(&f, mac_a, ll, dst6, 135, local, NULL);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);
	/* To the router, but in another's name: still forged. */
	ndp(&f, mac_b, ll, local, 136, d.id.addr, mac_b);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);
}

TEST_F(verdict, mld_reports_pass)
{
	uint8_t ll[16], global[16];
	struct frame f;

	ip6_ll(ll, 4);
	ip6(global, 64);

	/* An MLDv2 report behind its router alert, from link-local. */
	fr_eth(&f, mac_a);
	fr_ipv6(&f, ll, mld2_group);
	fr_hoplimit(&f, 1);
	fr_ip6_opts(&f, 0, 8);
	fr_icmp6(&f, 143, 20);
	fr_finish(&f);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	/* ... and from :: before the device has an address. */
	fr_eth(&f, mac_a);
	fr_ipv6(&f, any6, mld2_group);
	fr_hoplimit(&f, 1);
	fr_icmp6(&f, 143, 20);
	fr_finish(&f);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);

	/* From a global source, or with a hop limit to be routed: no. */
	fr_eth(&f, mac_a);
	fr_ipv6(&f, global, mld2_group);
	fr_hoplimit(&f, 1);
	fr_icmp6(&f, 143, 20);
	fr_finish(&f);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);
	fr_eth(&f, mac_a);
	fr_ipv6(&f, ll, mld2_group);
	fr_hoplimit(&f, 2);
	fr_icmp6(&f, 131, 20);
	fr_finish(&f);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);
}

static void set_neigh_budget(struct iotguard *skel, const void *arg)
{
	const uint32_t *pps_burst = arg;

	skel->rodata->neigh_pps = pps_burst[0];
	skel->rodata->neigh_burst = pps_burst[1];
}

/*
 * The port's budget holds the ARP and NDP of senders no device accounts
 * for: at 1 frame a second with a burst of 3, a run of 1000 probes gets 3
 * through, plus one per second the run took.
 */
TEST_F(verdict, neigh_port_budget)
{
	static const uint32_t pps_burst[2] = { 1, 3 };
	struct iotguard_counter before[IOTGUARD_R_MAX], after[IOTGUARD_R_MAX];
	uint64_t passed, limited, start, secs;
	uint8_t tip[4];
	struct frame f;
	uint32_t got;

	fixture_reload_with(_metadata, self, set_neigh_budget, pps_burst);
	ip4(tip, 70);
	fr_eth(&f, mac_b);
	fr_arp(&f, 1, mac_b, any4, tip);

	ASSERT_EQ(0, read_global(self->skel, before));
	start = prog_clock_ns();
	ASSERT_EQ(0, run_many(self->prog_fd, &f, f.len, 1000, &got));
	secs = (prog_clock_ns() - start) / 1000000000ULL + 1;
	ASSERT_EQ(0, read_global(self->skel, after));
	passed = after[IOTGUARD_R_NEIGH].packets -
		 before[IOTGUARD_R_NEIGH].packets;
	limited = after[IOTGUARD_R_NEIGH_RATE].packets -
		  before[IOTGUARD_R_NEIGH_RATE].packets;
	EXPECT_EQ(1000, passed + limited);
	EXPECT_LE(3, passed);
	EXPECT_GE(3 + secs, passed) {
		TH_LOG("%llu of 1000 probes passed in %llu s",
		       (unsigned long long)passed, (unsigned long long)secs);
	}
	EXPECT_EQ(XDP_DROP, got);
}

/* STP, LLDP and EAPOL pass by default, counted as link frames. */
TEST_F(verdict, link_frames_pass)
{
	static const uint8_t stp_dst[6] = { 0x01, 0x80, 0xc2, 0, 0, 0 };
	struct frame f;

	fr_eth(&f, mac_a);
	memcpy(f.buf, stp_dst, 6);
	fr_ethertype(&f, 39);		/* 802.3 length: an STP BPDU */
	fr_payload(&f, 39);
	EXPECT_PASS(&f, IOTGUARD_R_LINK);

	fr_eth(&f, mac_a);
	fr_ethertype(&f, 0x88cc);	/* LLDP */
	fr_payload(&f, 46);
	EXPECT_PASS(&f, IOTGUARD_R_LINK);

	fr_eth(&f, mac_a);
	fr_vlan(&f, 0x8100, 7);
	fr_ethertype(&f, 0x888e);	/* EAPOL */
	fr_payload(&f, 46);
	EXPECT_PASS(&f, IOTGUARD_R_LINK);

	/* An 802.3 length field to anyone: LLC. */
	fr_eth(&f, mac_a);
	fr_ethertype(&f, 46);
	fr_payload(&f, 46);
	EXPECT_PASS(&f, IOTGUARD_R_LINK);

	/* Just an Ethernet header. */
	fr_eth(&f, mac_a);
	fr_ethertype(&f, 0x88cc);
	EXPECT_PASS(&f, IOTGUARD_R_LINK);
}

static void set_link_frames(struct iotguard *skel, const void *arg)
{
	skel->rodata->link_frames = *(const bool *)arg;
}

TEST_F(verdict, link_frames_policy_drop)
{
	static const bool drop = false;
	struct frame f;

	fixture_reload_with(_metadata, self, set_link_frames, &drop);
	fr_eth(&f, mac_a);
	fr_ethertype(&f, 0x88cc);	/* LLDP */
	fr_payload(&f, 46);
	EXPECT_DROP(&f, IOTGUARD_R_LINK);
}

TEST_F(verdict, non_ip_dropped)
{
	struct frame f;

	fr_eth(&f, mac_a);
	fr_ethertype(&f, 0x8035);	/* RARP */
	fr_payload(&f, 28);
	EXPECT_DROP(&f, IOTGUARD_R_NON_IP);

	fr_eth(&f, mac_a);
	fr_ethertype(&f, 0x88b5);	/* local experimental */
	fr_payload(&f, 46);
	EXPECT_DROP(&f, IOTGUARD_R_NON_IP);
}

/* Sets a UDP frame's ports. */
static void fr_ports(struct frame *f, uint16_t sport, uint16_t dport)
{
	fr_put16(f->buf + f->l4_off, sport);
	fr_put16(f->buf + f->l4_off + 2, dport);
}

/* A DHCP server on the device side is rogue, even an enrolled device. */
TEST_F(verdict, dhcp_server_dropped)
{
	struct iotguard_device d4, d6;
	struct frame f;

	dev_init(&d4, AF_INET, 65);
	enroll(_metadata, self, &d4);
	dev_init(&d6, AF_INET6, 65);
	enroll(_metadata, self, &d6);

	frame_from(&f, &d4, mac_a, 300);
	fr_ports(&f, 67, 68);
	EXPECT_DROP(&f, IOTGUARD_R_DHCP_SERVER);
	frame_from(&f, &d6, mac_a, 100);
	fr_ports(&f, 547, 546);
	EXPECT_DROP(&f, IOTGUARD_R_DHCP_SERVER);

	/* The client's side of it is the device's own traffic. */
	frame_from(&f, &d4, mac_a, 300);
	fr_ports(&f, 68, 67);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	frame_from(&f, &d6, mac_a, 100);
	fr_ports(&f, 546, 547);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
}

/*
 * A DHCP message after fr_ipv4(): a client's request (op 1) or a server's
 * reply (op 2), with option 53 type and, if lease, option 51.
 */
static void fr_dhcp(struct frame *f, bool reply, const uint8_t ciaddr[4],
		    const uint8_t yiaddr[4], const uint8_t chaddr[6],
		    uint8_t type, uint32_t lease)
{
	static const uint8_t magic[4] = { 0x63, 0x82, 0x53, 0x63 };
	uint8_t *p, *opt;

	fr_udp(f, 240 + 3 + (lease ? 6 : 0) + 1);
	fr_ports(f, reply ? 67 : 68, reply ? 68 : 67);
	p = f->buf + f->l4_off + 8;
	p[0] = reply ? 2 : 1;
	p[1] = 1;			/* Ethernet */
	p[2] = 6;
	memcpy(p + 12, ciaddr, 4);
	memcpy(p + 16, yiaddr, 4);
	memcpy(p + 28, chaddr, 6);
	memcpy(p + 236, magic, 4);
	opt = p + 240;
	*opt++ = 53;
	*opt++ = 1;
	*opt++ = type;
	if (lease) {
		*opt++ = 51;
		*opt++ = 4;
		fr_put16(opt, lease >> 16);
		fr_put16(opt + 2, lease);
		opt += 4;
	}
	*opt = 255;
}

/* A client's message from src, sent from mac, in chaddr's name. */
static void dhcp_request(struct frame *f, const uint8_t mac[6],
			 const uint8_t src[4], const uint8_t chaddr[6],
			 uint8_t type)
{
	static const uint8_t bcast[4] = { 255, 255, 255, 255 };

	fr_eth(f, mac);
	fr_ipv4(f, src, bcast, 0);
	fr_dhcp(f, false, src, any4, chaddr, type, 0);
	fr_finish(f);
}

/* The server's ACK of addr to chaddr for lease seconds, through TC. */
static void dhcp_ack(struct __test_metadata *_metadata,
		     FIXTURE_DATA(verdict) *self, const uint8_t chaddr[6],
		     const uint8_t addr[4], uint32_t lease)
{
	struct frame f;
	int fd = bpf_program__fd(self->skel->progs.iotguard_tc_egress);
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = f.buf,
		.repeat = 1,
	);

	fr_eth(&f, fr_router_mac);
	fr_ipv4(&f, dst4, addr, 0);
	fr_dhcp(&f, true, any4, addr, chaddr, 5, lease);
	fr_finish(&f);
	opts.data_size_in = f.len;
	ASSERT_EQ(0, bpf_prog_test_run_opts(fd, &opts));
	EXPECT_EQ(0, opts.retval);	/* TC_ACT_OK: never dropped */
}

static void dev_by_mac(struct iotguard_device *d, const uint8_t mac[6])
{
	memset(d, 0, sizeof(*d));
	d->id.family = AF_PACKET;
	memcpy(d->id.addr, mac, 6);
}

/* The device's lease as GET shows it: 0 and the address, or -1 for none. */
static int lease_of(FIXTURE_DATA(verdict) *self,
		    const struct iotguard_device *d, uint8_t addr[4],
		    uint32_t *seconds)
{
	struct iotguard_device got;

	if (iotguard_nl_device_get(self->nl, &d->id, &got))
		return -2;
	if (!(got.present & IOTGUARD_DEV_LEASE))
		return -1;
	memcpy(addr, got.lease_addr, 4);
	*seconds = got.lease_seconds;
	return 0;
}

/*
 * A device enrolled by MAC asks for an address from 0.0.0.0 in its own
 * name: that passes as the device's; in another MAC's name it does not.
 */
TEST_F(verdict, dhcp_request_by_mac)
{
	struct iotguard_dev_stats st;
	struct iotguard_device d;
	struct frame f;

	dev_by_mac(&d, mac_a);
	dev_pps(&d, 100, 10);
	enroll(_metadata, self, &d);

	dhcp_request(&f, mac_a, any4, mac_a, 1);	/* DISCOVER */
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	dhcp_request(&f, mac_a, any4, mac_a, 3);	/* REQUEST */
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	ASSERT_EQ(0, read_dev(self->skel, &d, &st));
	EXPECT_EQ(2, st.pass.packets);

	/* chaddr not the frame's source; a MAC nobody enrolled. */
	dhcp_request(&f, mac_a, any4, mac_b, 1);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
	dhcp_request(&f, mac_b, any4, mac_b, 1);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);

	/* Without a lease, its IP traffic is nobody's. */
	fr_eth(&f, mac_a);
	fr_ipv4(&f, dst4, dst4, 0);
	ip4(f.buf + f.l3_off + 12, 70);
	fr_udp(&f, 16);
	fr_finish(&f);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
}

/*
 * The server's ACK binds the address to the device: from it, and from the
 * device's MAC only, its traffic passes; its RELEASE ends that.
 */
TEST_F(verdict, dhcp_lease_binds_until_release)
{
	struct iotguard_device d, other;
	uint8_t addr[4], got[4];
	uint32_t seconds = 0;
	struct frame f;

	dev_by_mac(&d, mac_a);
	enroll(_metadata, self, &d);
	ip4(addr, 71);
	EXPECT_EQ(-1, lease_of(self, &d, got, &seconds));

	/* An ACK to a MAC nobody enrolled changes nothing. */
	dhcp_ack(_metadata, self, mac_b, addr, 3600);
	frame_from(&f, &(struct iotguard_device){ .id.family = AF_INET },
		   mac_a, 16);
	memcpy(f.buf + f.l3_off + 12, addr, 4);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);

	dhcp_ack(_metadata, self, mac_a, addr, 3600);
	ASSERT_EQ(0, lease_of(self, &d, got, &seconds));
	EXPECT_EQ(0, memcmp(got, addr, 4));
	EXPECT_LE(3590, seconds);
	EXPECT_GE(3600, seconds);

	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	memcpy(f.buf + 6, mac_b, 6);	/* the same packet, another MAC */
	EXPECT_DROP(&f, IOTGUARD_R_SPOOFED);
	fr_eth(&f, mac_a);
	fr_arp(&f, 2, mac_a, addr, dst4);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	fr_eth(&f, mac_b);
	fr_arp(&f, 2, mac_b, addr, dst4);
	EXPECT_DROP(&f, IOTGUARD_R_ARP);

	/* A RELEASE in another MAC's name ends nothing. */
	dhcp_request(&f, mac_a, addr, mac_b, 7);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	ASSERT_EQ(0, lease_of(self, &d, got, &seconds));

	dhcp_request(&f, mac_a, addr, mac_a, 7);	/* RELEASE */
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	EXPECT_EQ(-1, lease_of(self, &d, got, &seconds));
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);

	/* A lease given to another device moves with the address. */
	dev_by_mac(&other, mac_b);
	enroll(_metadata, self, &other);
	dhcp_ack(_metadata, self, mac_a, addr, 3600);
	dhcp_ack(_metadata, self, mac_b, addr, 3600);
	EXPECT_EQ(-1, lease_of(self, &d, got, &seconds));
	ASSERT_EQ(0, lease_of(self, &other, got, &seconds));
	dhcp_request(&f, mac_a, addr, mac_a, 3);
	EXPECT_DROP(&f, IOTGUARD_R_SPOOFED);

	/* A device deleted takes its lease with it. */
	ASSERT_EQ(0, iotguard_nl_device_del(self->nl, &other.id));
	dhcp_request(&f, mac_b, addr, mac_b, 3);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
}

/* A lease ends when its time has passed, without a message. */
TEST_F(verdict, dhcp_lease_expires)
{
	struct iotguard_device d;
	uint8_t addr[4], got[4];
	uint32_t seconds;
	struct frame f;

	dev_by_mac(&d, mac_a);
	enroll(_metadata, self, &d);
	ip4(addr, 72);
	dhcp_ack(_metadata, self, mac_a, addr, 1);
	dhcp_request(&f, mac_a, addr, mac_a, 3);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	/* Time must pass: however long this takes, the lease is over. */
	usleep(2500000);
	EXPECT_EQ(-1, lease_of(self, &d, got, &seconds));
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
}

/*
 * A device released from quarantine starts its own rate afresh: it does
 * not inherit the quarantine's debt (the module changes the verdict's
 * rate_seq when the state or rates change).
 */
TEST_F(verdict, release_starts_the_rate_afresh)
{
	uint64_t burst = module_param("quarantine_burst");
	struct iotguard_device d, s;
	struct frame f;
	uint64_t i;

	ASSERT_NE(0, burst);
	dev_init(&d, AF_INET, 66);
	dev_state(&d, IOTGUARD_STATE_QUARANTINE);
	dev_pps(&d, 1000, 1);
	enroll(_metadata, self, &d);
	frame_from(&f, &d, mac_a, 16);
	for (i = 0; i < burst; i++)
		EXPECT_PASS(&f, IOTGUARD_R_PASS);
	EXPECT_DROP(&f, IOTGUARD_R_RATE);

	dev_init(&s, AF_INET, 66);
	dev_state(&s, IOTGUARD_STATE_ALLOW);
	ASSERT_EQ(0, iotguard_nl_device_set(self->nl, &s));
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
}

/*
 * Every prefix of a frame. Shorter than an Ethernet header, test_run
 * refuses it (EINVAL) and the program does not run; every other prefix
 * short of the whole frame is malformed: the IP length field says more.
 */
static void truncate_all(struct __test_metadata *_metadata,
			 FIXTURE_DATA(verdict) *self, const struct frame *f)
{
	struct iotguard_counter before[IOTGUARD_R_MAX], after[IOTGUARD_R_MAX];
	uint32_t action;
	size_t len;

	for (len = 0; len < 14; len++) {
		ASSERT_EQ(0, read_global(self->skel, before));
		EXPECT_EQ(-EINVAL, run_len(self->prog_fd, f, len, &action));
		ASSERT_EQ(0, read_global(self->skel, after));
		EXPECT_EQ(0, memcmp(before, after, sizeof(before)));
	}
	for (; len < f->len; len++)
		expect_len(_metadata, self, f, len, XDP_DROP,
			   IOTGUARD_R_PARSE);
	expect_len(_metadata, self, f, len, XDP_PASS, IOTGUARD_R_PASS);
}

TEST_F(verdict, truncated_vlan_ipv4_udp)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET, 27);
	enroll(_metadata, self, &d);
	fr_eth(&f, mac_a);
	fr_vlan(&f, 0x8100, 5);
	fr_ipv4(&f, d.id.addr, dst4, 8);
	fr_udp(&f, 10);
	fr_finish(&f);
	truncate_all(_metadata, self, &f);
}

TEST_F(verdict, truncated_ipv6_ext_udp)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET6, 28);
	enroll(_metadata, self, &d);
	fr_eth(&f, mac_a);
	fr_vlan(&f, 0x88a8, 5);
	fr_ipv6(&f, d.id.addr, dst6);
	fr_ip6_opts(&f, 0, 8);
	fr_ip6_opts(&f, 43, 16);
	fr_ip6_frag(&f, 0, 1);
	fr_ip6_opts(&f, 60, 8);
	fr_udp(&f, 10);
	fr_finish(&f);
	truncate_all(_metadata, self, &f);
}

/*
 * Every prefix again, but with the IP length field rewritten to match, so
 * that the header, extension header and L4 bounds checks are what stand
 * between the program and data_end. A prefix passes once it holds the
 * whole L4 header.
 */
static void relength_all(struct __test_metadata *_metadata,
			 FIXTURE_DATA(verdict) *self, const struct frame *orig)
{
	size_t hdr = orig->family == AF_INET ? 20 : 40;
	struct frame f;
	size_t len;

	for (len = 14; len <= orig->len; len++) {
		f = *orig;
		if (len >= orig->l3_off + hdr)
			fr_fix_len(&f, len);
		expect_len(_metadata, self, &f, len,
			   len >= orig->l4_off + 8 ? XDP_PASS : XDP_DROP,
			   len >= orig->l4_off + 8 ? IOTGUARD_R_PASS :
						     IOTGUARD_R_PARSE);
	}
}

TEST_F(verdict, relengthed_ipv4_options_udp)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET, 29);
	enroll(_metadata, self, &d);
	fr_eth(&f, mac_a);
	fr_ipv4(&f, d.id.addr, dst4, 16);
	fr_udp(&f, 6);
	fr_finish(&f);
	relength_all(_metadata, self, &f);
}

TEST_F(verdict, relengthed_ipv6_ext_udp)
{
	struct iotguard_device d;
	struct frame f;

	dev_init(&d, AF_INET6, 30);
	enroll(_metadata, self, &d);
	fr_eth(&f, mac_a);
	fr_vlan(&f, 0x8100, 5);
	fr_ipv6(&f, d.id.addr, dst6);
	fr_ip6_opts(&f, 0, 16);
	fr_ip6_ah(&f, 16);
	fr_ip6_frag(&f, 0, 1);
	fr_ip6_opts(&f, 60, 8);
	fr_udp(&f, 6);
	fr_finish(&f);
	relength_all(_metadata, self, &f);
}

/*
 * A deleted device's index goes to the next enrolled one: its counters and
 * its rate state start afresh although the map entries held the old
 * device's.
 */
TEST_F(verdict, index_reuse_resets_counters)
{
	struct iotguard_dev_stats st;
	struct iotguard_device a, b;
	struct frame fa, fb;

	dev_init(&a, AF_INET, 31);
	enroll(_metadata, self, &a);
	frame_from(&fa, &a, mac_a, 16);
	EXPECT_PASS(&fa, IOTGUARD_R_PASS);
	EXPECT_PASS(&fa, IOTGUARD_R_PASS);
	ASSERT_EQ(0, read_dev(self->skel, &a, &st));
	EXPECT_EQ(2, st.pass.packets);

	ASSERT_EQ(0, iotguard_nl_device_del(self->nl, &a.id));
	dev_init(&b, AF_INET6, 32);
	dev_state(&b, IOTGUARD_STATE_DENY);
	enroll(_metadata, self, &b);
	ASSERT_EQ(a.index, b.index);
	ASSERT_NE(a.cookie, b.cookie);

	/* Before any frame: the entries are still a's, so b has nothing. */
	ASSERT_EQ(0, read_dev(self->skel, &b, &st));
	EXPECT_EQ(0, st.pass.packets + st.denied.packets);

	frame_from(&fb, &b, mac_b, 40);
	EXPECT_DROP(&fb, IOTGUARD_R_DENIED);
	ASSERT_EQ(0, read_dev(self->skel, &b, &st));
	EXPECT_EQ(0, st.pass.packets);
	EXPECT_EQ(0, st.pass.bytes);
	EXPECT_EQ(1, st.denied.packets);
	EXPECT_EQ(fb.len, st.denied.bytes);
}

TEST_F(verdict, index_reuse_resets_rate)
{
	struct iotguard_device a, b;
	struct frame fa, fb;

	dev_init(&a, AF_INET, 33);
	dev_pps(&a, 1, 1);
	enroll(_metadata, self, &a);
	frame_from(&fa, &a, mac_a, 16);
	EXPECT_PASS(&fa, IOTGUARD_R_PASS);
	EXPECT_DROP(&fa, IOTGUARD_R_RATE);

	ASSERT_EQ(0, iotguard_nl_device_del(self->nl, &a.id));
	dev_init(&b, AF_INET, 34);
	dev_pps(&b, 1, 1);
	enroll(_metadata, self, &b);
	ASSERT_EQ(a.index, b.index);

	/* a's exhausted burst is not b's. */
	frame_from(&fb, &b, mac_a, 16);
	EXPECT_PASS(&fb, IOTGUARD_R_PASS);
	EXPECT_DROP(&fb, IOTGUARD_R_RATE);
}

/* Frames each CPU sends in the tests that run on two CPUs at once. */
#define BLAST_FRAMES 2000

struct blaster {
	int prog_fd;
	int cpu;
	const struct frame *f;
	int err;
};

static void *blast(void *arg)
{
	struct blaster *b = arg;
	cpu_set_t cpus;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = b->f->buf,
		.data_size_in = b->f->len,
		.repeat = BLAST_FRAMES,
	);

	CPU_ZERO(&cpus);
	CPU_SET(b->cpu, &cpus);
	b->err = sched_setaffinity(0, sizeof(cpus), &cpus) ? -errno : 0;
	if (!b->err)
		b->err = bpf_prog_test_run_opts(b->prog_fd, &opts);
	return NULL;
}

/* BLAST_FRAMES of f on CPU 0 and as many on CPU 1, at once. */
static void blast_two(struct __test_metadata *_metadata,
		      FIXTURE_DATA(verdict) *self, const struct frame *f)
{
	struct blaster b[2];
	pthread_t th[2];
	int i;

	for (i = 0; i < 2; i++) {
		b[i] = (struct blaster){ .prog_fd = self->prog_fd, .cpu = i,
					 .f = f };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, blast, &b[i]));
	}
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, b[i].err);
	}
}

/*
 * Two CPUs hammer one device at once: the shared GCRA state must not let
 * more through than the burst plus what the rate earned meanwhile, and the
 * per-CPU device counters must add up to the global ones.
 */
TEST_F(verdict, rate_across_cpus)
{
	struct iotguard_counter before[IOTGUARD_R_MAX], after[IOTGUARD_R_MAX];
	struct iotguard_dev_stats st;
	struct iotguard_device d;
	uint64_t t0, t1, passed, limit;
	struct frame f;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");

	dev_init(&d, AF_INET, 35);
	dev_pps(&d, 10, 50);
	enroll(_metadata, self, &d);
	frame_from(&f, &d, mac_a, 16);

	ASSERT_EQ(0, read_global(self->skel, before));
	t0 = prog_clock_ns();
	blast_two(_metadata, self, &f);
	t1 = prog_clock_ns();
	ASSERT_EQ(0, read_global(self->skel, after));

	passed = after[IOTGUARD_R_PASS].packets - before[IOTGUARD_R_PASS].packets;
	EXPECT_EQ(2 * BLAST_FRAMES, passed + after[IOTGUARD_R_RATE].packets -
			before[IOTGUARD_R_RATE].packets);
	/*
	 * The burst, plus one packet per 100 ms elapsed on the program's own
	 * clock: read there, the frames' times lie between t0 and t1 however
	 * late a busy guest's ticks come.
	 */
	limit = 50 + (t1 - t0) / 100000000;
	EXPECT_LE(passed, limit) {
		TH_LOG("%llu passed in %llu ms, at most %llu allowed",
		       (unsigned long long)passed,
		       (unsigned long long)(t1 - t0) / 1000000,
		       (unsigned long long)limit);
	}
	EXPECT_LT(0, passed);

	ASSERT_EQ(0, read_dev(self->skel, &d, &st));
	EXPECT_EQ(passed, st.pass.packets);
	EXPECT_EQ(2 * BLAST_FRAMES - passed, st.rate.packets);
}

/* One unknown source from two CPUs at once: each CPU's slot adds up. */
TEST_F(verdict, unknown_source_across_cpus)
{
	struct iotguard_device d;
	struct unknown_find find;
	struct frame f;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");

	dev_init(&d, AF_INET, 36);
	frame_from(&f, &d, mac_a, 16);
	blast_two(_metadata, self, &f);
	ASSERT_EQ(0, read_unknown(self->skel, &find, AF_INET, d.id.addr));
	EXPECT_EQ(2 * BLAST_FRAMES, find.val.packets);
	EXPECT_EQ(1, find.sources);
}

/* Monitor mode: the same counters, but every frame passes. */
/* A datagram from addr, from mac. */
static void frame_from6(struct frame *f, const uint8_t addr[16],
			const uint8_t mac[6])
{
	fr_eth(f, mac);
	fr_ipv6(f, addr, dst6);
	fr_udp(f, 16);
	fr_finish(f);
}

/*
 * A device enrolled by MAC binds the IPv6 addresses it configures, first
 * come, first served: by DAD, or by NDP from or for an address nobody
 * holds; never one another device holds; at most 8, the least recently
 * used making way.
 */
TEST_F(verdict, ipv6_bound_to_mac_device)
{
	static const uint8_t mac_c[6] = { 0x02, 0x10, 0, 0, 0, 0x0c };
	uint8_t x[16], y[16], many[10][16], snm[16], ll[16];
	struct iotguard_device a, b;
	struct iotguard_dev_stats st;
	struct frame f;
	uint32_t action;
	unsigned int i;

	dev_by_mac(&a, mac_a);
	enroll(_metadata, self, &a);
	dev_by_mac(&b, mac_b);
	enroll(_metadata, self, &b);
	ip6(x, 0x70);
	ip6(y, 0x71);
	ip6_ll(ll, 7);
	ip6_snm(snm, x);

	/* Before any NDP: nobody's. */
	frame_from6(&f, x, mac_a);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
	/* Its DAD binds x to it (and passes within the port's budget). */
	ndp(&f, mac_a, any6, snm, 135, x, NULL);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	frame_from6(&f, x, mac_a);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	ASSERT_EQ(0, read_dev(self->skel, &a, &st));
	EXPECT_EQ(1, st.pass.packets);
	/* x is a's: b's DAD, data and NA for it gain b nothing. */
	ndp(&f, mac_b, any6, snm, 135, x, NULL);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	frame_from6(&f, x, mac_b);
	EXPECT_DROP(&f, IOTGUARD_R_SPOOFED);
	ndp(&f, mac_b, ll, ll, 136, x, mac_b);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);
	/* An unenrolled MAC binds nothing. */
	ndp(&f, mac_c, ll, ll, 136, y, mac_c);
	EXPECT_DROP(&f, IOTGUARD_R_NDP);
	frame_from6(&f, y, mac_c);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
	/* A solicitation from an address nobody holds binds it too. */
	ip6_snm(snm, dst6);
	ndp(&f, mac_b, y, snm, 135, dst6, mac_b);
	EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	frame_from6(&f, y, mac_b);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
	ASSERT_EQ(0, read_dev(self->skel, &b, &st));
	EXPECT_EQ(1, st.pass.packets);

	/* Ten more of a's: x and the first two make way for the rest. */
	for (i = 0; i < 10; i++) {
		ip6(many[i], 0x80 + i);
		ip6_snm(snm, many[i]);
		ndp(&f, mac_a, any6, snm, 135, many[i], NULL);
		EXPECT_PASS(&f, IOTGUARD_R_NEIGH);
	}
	frame_from6(&f, x, mac_a);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
	for (i = 0; i < 10; i++) {
		frame_from6(&f, many[i], mac_a);
		ASSERT_EQ(0, run_len(self->prog_fd, &f, f.len, &action));
		EXPECT_EQ(i < 2 ? XDP_DROP : XDP_PASS, action)
			TH_LOG("address %u of 10", i + 1);
	}

	/* Deleted, a's addresses are nobody's; b's stay b's. */
	ASSERT_EQ(0, iotguard_nl_device_del(self->nl, &a.id));
	frame_from6(&f, many[9], mac_a);
	EXPECT_DROP(&f, IOTGUARD_R_UNKNOWN);
	frame_from6(&f, y, mac_b);
	EXPECT_PASS(&f, IOTGUARD_R_PASS);
}

/* ------------------------------------------------------------ bounds */

#define BOUNDS_DEVICES 32

/* Slab and per-CPU memory of the kernel, in KiB (/proc/meminfo). */
static long kernel_kb(void)
{
	char line[128];
	long v, kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &v) == 1 ||
		    sscanf(line, "Percpu: %ld kB", &v) == 1)
			kb += v;
	fclose(f);
	return kb;
}

static int count_cb(const struct iotguard_device *dev, void *data)
{
	(void)dev;
	(*(unsigned int *)data)++;
	return 0;
}

/* Entries of the destinations LRU that belong to device d. */
static unsigned int dest_entries(struct iotguard *skel,
				 const struct iotguard_device *d)
{
	struct iotguard_dest_key key, next;
	int fd = bpf_map__fd(skel->maps.iotguard_dests);
	unsigned int n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n += key.index == d->index && key.cookie == d->cookie;
	}
	return n;
}

/* A device's behaviour features, every CPU's value, as bytes. */
static int read_features_raw(struct iotguard *skel,
			     const struct iotguard_device *d, void *out,
			     size_t len)
{
	uint32_t idx = d->index;

	return bpf_map__lookup_elem(skel->maps.iotguard_features, &idx,
				    sizeof(idx), out, len, 0);
}

/*
 * The i-th spoofed source: IPv6 addresses of 2001:2:0:ff::/64 and IPv4
 * addresses of 198.19.0.0/16 by turns, each from a MAC of its own.
 */
static void spoofed_frame(struct frame *f, unsigned long i)
{
	struct iotguard_device d;
	uint8_t mac[6] = { 0x02, 0x5f, i >> 24, i >> 16, i >> 8, i };

	memset(f, 0, sizeof(*f));
	if (i & 1) {
		dev_init(&d, AF_INET6, 0);
		d.id.addr[7] = 0xff;
		d.id.addr[12] = i >> 24;
		d.id.addr[13] = i >> 16;
		d.id.addr[14] = i >> 8;
		d.id.addr[15] = i;
	} else {
		dev_init(&d, AF_INET, 0);
		d.id.addr[1] = 19;
		d.id.addr[2] = i >> 9;
		d.id.addr[3] = i >> 1;
	}
	frame_from(f, &d, mac, 16);
}

/*
 * A flood from distinct spoofed sources, IOTGUARD_BOUNDS_SOURCES of them
 * (default 2^16; `make stress` sends 10^6): every frame is dropped and
 * counted as unknown, the unknown sources' LRU holds at most its
 * IOTGUARD_UNKNOWN_MAX entries, the kernel's slab and per-CPU memory grow
 * by less than 4 MiB (10^6 sources held would take some 100 MiB), and the
 * enrolled devices keep all their state: the table, their counters, their
 * behaviour features and destinations, and their frames still pass.
 */
TEST_F_TIMEOUT(verdict, spoofed_sources_flood_is_bounded, 7200)
{
	struct iotguard_counter before[IOTGUARD_R_MAX], after[IOTGUARD_R_MAX];
	int ncpus = libbpf_num_possible_cpus();
	size_t flen = ncpus * sizeof(struct iotguard_dev_features);
	struct iotguard_device devs[BOUNDS_DEVICES];
	struct iotguard_dev_stats stats[BOUNDS_DEVICES], st;
	unsigned int dests[BOUNDS_DEVICES];
	unsigned long sources = env_u64("IOTGUARD_BOUNDS_SOURCES", 65536);
	unsigned long i, passed = 0;
	uint8_t *features, *now;
	unsigned int lru, n = 0;
	long kb0, kb1;
	uint32_t action;
	struct frame f;
	double t0, t1;

	features = calloc(BOUNDS_DEVICES, flen);
	now = calloc(1, flen);
	ASSERT_NE(NULL, features);
	ASSERT_NE(NULL, now);

	for (i = 0; i < BOUNDS_DEVICES; i++) {
		dev_init(&devs[i], i & 1 ? AF_INET6 : AF_INET, 100 + i);
		if (i & 2)
			dev_mac(&devs[i], mac_a);
		enroll(_metadata, self, &devs[i]);
		/* A few frames, to two destinations: state to keep. */
		frame_from(&f, &devs[i], mac_a, 16);
		EXPECT_PASS(&f, IOTGUARD_R_PASS);
		EXPECT_PASS(&f, IOTGUARD_R_PASS);
	}
	for (i = 0; i < BOUNDS_DEVICES; i++) {
		ASSERT_EQ(0, read_dev(self->skel, &devs[i], &stats[i]));
		ASSERT_EQ(2, stats[i].pass.packets);
		ASSERT_EQ(0, read_features_raw(self->skel, &devs[i],
					       features + i * flen, flen));
		dests[i] = dest_entries(self->skel, &devs[i]);
	}
	ASSERT_EQ(0, read_global(self->skel, before));
	kb0 = kernel_kb();
	ASSERT_LT(0, kb0);

	t0 = mono_ns() / 1e9;
	for (i = 0; i < sources; i++) {
		spoofed_frame(&f, i);
		ASSERT_EQ(0, run_len(self->prog_fd, &f, f.len, &action));
		passed += action != XDP_DROP;
	}
	t1 = mono_ns() / 1e9;
	kb1 = kernel_kb();
	ASSERT_EQ(0, read_global(self->skel, after));
	lru = lru_entries(self->skel);
	TH_LOG("%lu spoofed sources, %.0f frames/s; unknown LRU %u of %u entries; slab + per-CPU %+ld KiB",
	       sources, sources / (t1 - t0), lru, IOTGUARD_UNKNOWN_MAX,
	       kb1 - kb0);

	EXPECT_EQ(0, passed);
	EXPECT_EQ(sources, after[IOTGUARD_R_UNKNOWN].packets -
			   before[IOTGUARD_R_UNKNOWN].packets);
	EXPECT_EQ(0, after[IOTGUARD_R_PASS].packets -
		     before[IOTGUARD_R_PASS].packets);
	EXPECT_LE(lru, IOTGUARD_UNKNOWN_MAX);
	EXPECT_LT(kb1 - kb0, 4096);

	ASSERT_EQ(0, iotguard_nl_device_dump(self->nl, count_cb, &n));
	EXPECT_EQ(BOUNDS_DEVICES, n);
	for (i = 0; i < BOUNDS_DEVICES; i++) {
		ASSERT_EQ(0, read_dev(self->skel, &devs[i], &st));
		EXPECT_EQ(0, memcmp(&st, &stats[i], sizeof(st)))
			TH_LOG("device %lu's counters changed", i);
		ASSERT_EQ(0, read_features_raw(self->skel, &devs[i], now,
					       flen));
		EXPECT_EQ(0, memcmp(now, features + i * flen, flen))
			TH_LOG("device %lu's features changed", i);
		EXPECT_EQ(dests[i], dest_entries(self->skel, &devs[i]));
		frame_from(&f, &devs[i], mac_a, 16);
		EXPECT_PASS(&f, IOTGUARD_R_PASS);
		ASSERT_EQ(0, read_dev(self->skel, &devs[i], &st));
		EXPECT_EQ(3, st.pass.packets);
	}
	free(features);
	free(now);
}

FIXTURE(monitor) {
	FIXTURE_DATA(verdict) v;
};

FIXTURE_SETUP(monitor)
{
	fixture_load(_metadata, &self->v, true, 0);
}

FIXTURE_TEARDOWN(monitor)
{
	verdict_teardown(_metadata, &self->v, NULL);
}

TEST_F(monitor, counts_reason_passes_all)
{
	FIXTURE_DATA(verdict) *v = &self->v;
	struct iotguard_dev_stats st;
	struct iotguard_device d, denied, bound;
	uint8_t unknown[4];
	struct frame f;

	ASSERT_TRUE(v->skel->rodata->monitor);

	dev_init(&d, AF_INET, 40);
	dev_pps(&d, 1, 1);
	enroll(_metadata, v, &d);
	dev_init(&denied, AF_INET6, 41);
	dev_state(&denied, IOTGUARD_STATE_DENY);
	enroll(_metadata, v, &denied);
	dev_init(&bound, AF_INET6, 42);
	dev_mac(&bound, mac_a);
	enroll(_metadata, v, &bound);

	frame_from(&f, &d, mac_a, 16);
	expect_frame(_metadata, v, &f, XDP_PASS, IOTGUARD_R_PASS);
	expect_frame(_metadata, v, &f, XDP_PASS, IOTGUARD_R_RATE);
	ASSERT_EQ(0, read_dev(v->skel, &d, &st));
	EXPECT_EQ(1, st.pass.packets);
	EXPECT_EQ(1, st.rate.packets);

	frame_from(&f, &denied, mac_a, 16);
	expect_frame(_metadata, v, &f, XDP_PASS, IOTGUARD_R_DENIED);
	frame_from(&f, &bound, mac_b, 16);
	expect_frame(_metadata, v, &f, XDP_PASS, IOTGUARD_R_SPOOFED);
	ASSERT_EQ(0, read_dev(v->skel, &bound, &st));
	EXPECT_EQ(1, st.spoofed.packets);

	ip4(unknown, 43);
	fr_eth(&f, mac_a);
	fr_ipv4(&f, unknown, dst4, 0);
	fr_udp(&f, 16);
	fr_finish(&f);
	expect_frame(_metadata, v, &f, XDP_PASS, IOTGUARD_R_UNKNOWN);
	expect_unknown(_metadata, v, AF_INET, unknown, mac_a, 1);

	expect_len(_metadata, v, &f, f.len - 1, XDP_PASS, IOTGUARD_R_PARSE);

	fr_eth(&f, mac_a);
	fr_ethertype(&f, 0x8035);	/* RARP */
	fr_payload(&f, 46);
	expect_frame(_metadata, v, &f, XDP_PASS, IOTGUARD_R_NON_IP);

	/* Forged ARP and a router advertisement: counted, let through. */
	fr_eth(&f, mac_b);
	fr_arp(&f, 2, mac_b, unknown, dst4);
	expect_frame(_metadata, v, &f, XDP_PASS, IOTGUARD_R_ARP);
	fr_eth(&f, mac_b);
	fr_ipv6(&f, bound.id.addr, dst6);
	fr_hoplimit(&f, 255);
	fr_icmp6(&f, 134, 16);
	fr_finish(&f);
	expect_frame(_metadata, v, &f, XDP_PASS, IOTGUARD_R_NDP);
	frame_from(&f, &bound, mac_a, 300);
	fr_ports(&f, 547, 546);
	expect_frame(_metadata, v, &f, XDP_PASS, IOTGUARD_R_DHCP_SERVER);
}

/* Monitoring does not spend rate credit on frames enforcement would drop. */
TEST_F(monitor, rate_state_as_if_enforcing)
{
	FIXTURE_DATA(verdict) *v = &self->v;
	struct iotguard_device d;
	struct frame big, small;

	dev_init(&d, AF_INET, 44);
	dev_pps(&d, 1, 2);
	dev_bps(&d, 1000, 1536);
	enroll(_metadata, v, &d);
	frame_from(&big, &d, mac_a, 1600);
	frame_from(&small, &d, mac_a, 0);
	expect_frame(_metadata, v, &big, XDP_PASS, IOTGUARD_R_RATE);
	expect_frame(_metadata, v, &small, XDP_PASS, IOTGUARD_R_PASS);
	expect_frame(_metadata, v, &small, XDP_PASS, IOTGUARD_R_PASS);
	expect_frame(_metadata, v, &small, XDP_PASS, IOTGUARD_R_RATE);
}

TEST_HARNESS_MAIN
