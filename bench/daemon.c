// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's part of `make bench` (bench/guest.sh and bench/run.sh run
 * it; Documentation/performance.rst explains the figures):
 *
 *	daemon-bench score [--devices N] [--runs K]
 *		The scorer alone (user/lib/score.c), pinned to one CPU: N
 *		devices of four classes, each interval's counters drawn
 *		around each device's own baseline; the figure is one interval,
 *		from the first device's iotguard_scorer_score() to
 *		iotguard_scorer_interval_end(), in wall and in the thread's
 *		CPU time. And the scorer's memory per device (resident set
 *		growth).
 *	daemon-bench interval [--devices N] [--runs K]
 *		iotguardd's interval itself (monitor_interval(): the maps read,
 *		scoring, actions) over N enrolled devices, and a /metrics
 *		scrape after it (rendered as the HTTP thread renders it),
 *		whose maps hold such counters, pinned to one CPU, in network
 *		and mount namespaces of its own (its own device table and
 *		bpffs; the program attached to lo); the daemon's memory per
 *		device then. Needs iotguard.ko.
 *	daemon-bench read [--devices N] [--runs K] [--single]
 *		The same set-up; the per-device maps read alone as the daemon
 *		reads them (batched), and with --single also one lookup per
 *		device and map, as it read them before; the daemon's memory
 *		per device after its start; the kernel memory of the
 *		maps per device slot (at attach) and per device that sent
 *		(once every device has its entries).
 *
 * Timed intervals follow warm-up ones (the first reading of cumulative
 * counters is only a base; learning is shortened to LEARN intervals so
 * that the timed ones are the steady state: devices learnt, class priors
 * in use). Figures are JSON lines (figures.h), medians of K runs.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <iotguard/features.h>
#include <iotguard/maps.h>
#include "../user/iotguardd/iotguardd.h"
#include "figures.h"
#include "pins.h"

#define MAX_RUNS	64
#define LEARN		2
/* Intervals before the timed ones: a base reading, learning, priors. */
#define WARMUP		(LEARN + 2)
#define NCLASSES	4

static struct {
	unsigned long devices;
	int runs;
	bool single;	/* read: also one lookup per device, as before */
} opt = {
	.devices = 1000000,
	.runs = 5,
};

/*
 * Per interval: packets, mean frame size, distinct destinations and ports,
 * share of frames that are TCP SYNs, ICMP frames. Each device's rates are
 * its class's times a factor of its own, e^-1 .. e.
 */
static const struct dclass {
	double packets, size, addrs, ports, syn, icmp;
} classes[NCLASSES] = {
	{ 2, 120, 1, 1, 0, 0.05 },		/* sensor */
	{ 20, 200, 2, 1, 0.05, 0 },		/* plug */
	{ 800, 1100, 2, 2, 0.01, 0 },		/* camera */
	{ 100, 400, 6, 4, 0.05, 0.2 },		/* hub */
};

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Uniform in [0, 1) from (device, interval, what). */
static double unif(uint64_t dev, uint64_t k, unsigned int what)
{
	return (mix(dev * 0x100000001b3ULL ^ k << 40 ^ what) >> 11) * 0x1p-53;
}

/*
 * Cumulative counters of device i after interval k: rate * k plus a noise
 * of +-30% of a rate, new each interval, so an interval's count is the
 * rate * 0.4 .. 1.6 and the counters never go back.
 */
struct traffic {
	uint64_t packets, bytes, syn, icmp;
	uint64_t hist[IOTGUARD_SIZE_BUCKETS];
	uint32_t addrs, ports;	/* distinct, in interval k */
};

static uint64_t cum(double rate, uint64_t i, uint64_t k, unsigned int what)
{
	double noise = 0.3 * rate * (2 * unif(i, k, what) - 1);

	return k ? (uint64_t)(rate * k + noise + 0.5 * rate) : 0;
}

static unsigned int size_bucket(double len)
{
	return (len > 64) + (len > 128) + (len > 256) + (len > 512) +
	       (len > 1024);
}

static void traffic(uint64_t i, uint64_t k, struct traffic *t)
{
	const struct dclass *c = &classes[i % NCLASSES];
	double f = exp(2 * unif(i, 0, 99) - 1), pk = c->packets * f;
	uint64_t small;

	memset(t, 0, sizeof(*t));
	t->packets = cum(pk, i, k, 1);
	t->bytes = cum(pk * c->size, i, k, 2);
	t->syn = cum(pk * c->syn, i, k, 3);
	t->icmp = cum(c->icmp * f, i, k, 4);
	/* A tenth of the frames small (acknowledgements), the rest sized. */
	small = t->packets / 10;
	t->hist[0] = small;
	t->hist[size_bucket(c->size)] += t->packets - small;
	t->addrs = 1 + (uint32_t)(c->addrs * (0.5 + unif(i, k, 5)));
	t->ports = 1 + (uint32_t)(c->ports * (0.5 + unif(i, k, 6)));
}

static uint64_t delta(uint64_t a, uint64_t b)
{
	return a >= b ? a - b : 0;
}

static void score_input(uint64_t i, uint64_t k, struct iotguard_score_input *in)
{
	struct traffic now, before;
	unsigned int b;

	traffic(i, k, &now);
	traffic(i, k ? k - 1 : 0, &before);
	memset(in, 0, sizeof(*in));
	in->packets = delta(now.packets, before.packets);
	in->bytes = delta(now.bytes, before.bytes);
	in->syn = delta(now.syn, before.syn);
	in->icmp = delta(now.icmp, before.icmp);
	for (b = 0; b < IOTGUARD_SIZE_BUCKETS; b++)
		in->size_hist[b] = delta(now.hist[b], before.hist[b]);
	in->dst_addrs = now.addrs;
	in->dst_ports = now.ports;
	in->have = IOTGUARD_HAVE_SKETCH | IOTGUARD_HAVE_PROTO |
		   IOTGUARD_HAVE_SIZE | IOTGUARD_HAVE_DESTS;
}

/* One CPU: the one we run on, so that nothing moves us mid-interval. */
static int pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		die("sched_getcpu", errno);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity", errno);
	return cpu;
}

/* This thread's CPU time: what the core spent, not what others took. */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double rss_bytes(void)
{
	unsigned long size, resident;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		die("/proc/self/statm", errno);
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		die("/proc/self/statm", EINVAL);
	fclose(f);
	return (double)resident * sysconf(_SC_PAGESIZE);
}

/* 198.19.0.0/16 for the first 65536, then 2001:2:0:1::/64, as bench.c. */
static void device_addr(uint64_t i, struct iotguard_addr *id)
{
	memset(id, 0, sizeof(*id));
	if (i < 65536) {
		id->family = AF_INET;
		id->addr[0] = 198;
		id->addr[1] = 19;
		id->addr[2] = i >> 8;
		id->addr[3] = i;
	} else {
		id->family = AF_INET6;
		id->addr[0] = 0x20;
		id->addr[1] = 0x01;
		id->addr[3] = 0x02;
		id->addr[7] = 0x01;
		id->addr[12] = i >> 24;
		id->addr[13] = i >> 16;
		id->addr[14] = i >> 8;
		id->addr[15] = i;
	}
}

/* An envelope over a feature's busiest device (e times its class's): 2x. */
static void raise_limit(float *limit, double busiest)
{
	if (*limit && *limit < 2 * M_E * busiest)
		*limit = 2 * M_E * busiest;
}

/*
 * As an operator would configure these classes: each class's envelope
 * above what its busiest device sends, so that the steady state is calm.
 */
static void score_config(struct iotguard_score_config *cfg)
{
	unsigned int c;

	iotguard_score_config_default(cfg);
	cfg->learn = LEARN;
	cfg->min_samples = LEARN;
	for (c = 0; c < NCLASSES; c++) {
		const struct dclass *k = &classes[c];
		float *limit = cfg->policy[1 + c].limit;

		raise_limit(&limit[IOTGUARD_FEAT_PACKETS], k->packets);
		raise_limit(&limit[IOTGUARD_FEAT_BYTES], k->packets * k->size);
		raise_limit(&limit[IOTGUARD_FEAT_SYN], k->packets * k->syn);
		raise_limit(&limit[IOTGUARD_FEAT_ICMP], k->icmp);
		raise_limit(&limit[IOTGUARD_FEAT_DST_ADDRS], k->addrs);
		raise_limit(&limit[IOTGUARD_FEAT_DST_PORTS], k->ports);
	}
}

/* ------------------------------------------------------------ score */

struct tally {
	unsigned long anomalous, events, learning;
};

static void score_all(struct iotguard_scorer *sc,
		      const struct iotguard_score_input *in, unsigned long n,
		      struct tally *t)
{
	struct iotguard_score_result res;
	unsigned long i;

	for (i = 0; i < n; i++) {
		iotguard_scorer_score(sc, i, &in[i], &res);
		t->anomalous += res.anomalous;
		t->events += res.event != IOTGUARD_EV_NONE;
		t->learning += res.learning;
	}
	iotguard_scorer_interval_end(sc);
}

static int cmd_score(void)
{
	double secs[MAX_RUNS], cpu_secs[MAX_RUNS], per_dev[MAX_RUNS];
	double rss[MAX_RUNS], rss0, rss1;
	struct iotguard_score_config cfg;
	struct iotguard_score_input *in;
	struct iotguard_scorer *sc;
	struct tally t = { 0 };
	unsigned long i, n = opt.devices;
	char extra[512];
	int cpu, k, ret;

	cpu = pin_cpu();
	in = calloc(n, sizeof(*in));
	if (!in)
		die("calloc", ENOMEM);
	/* Written before the memory baseline: it is the caller's, not ours. */
	for (i = 0; i < n; i++)
		score_input(i, 1, &in[i]);
	score_config(&cfg);
	rss0 = rss_bytes();
	ret = iotguard_scorer_new(&cfg, n, &sc);
	if (ret)
		die("iotguard_scorer_new", ret);
	for (i = 0; i < n; i++) {
		struct iotguard_score_key key = { 0 };
		struct iotguard_addr id;

		device_addr(i, &id);
		key.family = id.family;
		memcpy(key.addr, id.addr, sizeof(key.addr));
		ret = iotguard_scorer_device(sc, i, i + 1, &key,
					     1 + i % NCLASSES, false);
		if (ret)
			die("iotguard_scorer_device", ret);
	}
	rss1 = rss_bytes();

	for (k = 0; k < WARMUP + opt.runs; k++) {
		struct tally w = { 0 };
		double t0, c0;

		for (i = 0; i < n; i++)
			score_input(i, k + 1, &in[i]);
		t0 = now_s();
		c0 = cpu_s();
		score_all(sc, in, n, k < WARMUP ? &w : &t);
		if (k < WARMUP)
			continue;
		secs[k - WARMUP] = now_s() - t0;
		cpu_secs[k - WARMUP] = cpu_s() - c0;
		per_dev[k - WARMUP] = secs[k - WARMUP] * 1e9 / n;
		rss[k - WARMUP] = (rss_bytes() - rss0) / n;
	}
	snprintf(extra, sizeof(extra),
		 ", \"devices\": %lu, \"cpu\": %d, \"classes\": %d, \"warmup\": %d, \"anomalous\": %lu, \"events\": %lu, \"learning\": %lu, \"scored\": %lu",
		 n, cpu, NCLASSES, WARMUP, t.anomalous, t.events, t.learning,
		 n * opt.runs);
	emit("score.interval", "s", secs, opt.runs, extra);
	emit("score.interval_cpu", "s", cpu_secs, opt.runs, extra);
	emit("score.per_device", "ns", per_dev, opt.runs, extra);
	snprintf(extra, sizeof(extra),
		 ", \"devices\": %lu, \"after_devices_bytes\": %.0f, \"struct_bytes\": %zu, \"slot_bytes\": %zu",
		 n, (rss1 - rss0) / n, sizeof(struct iotguard_score_dev),
		 iotguard_scorer_slot_bytes());
	emit("score.rss_per_device", "B", rss, opt.runs, extra);
	iotguard_scorer_free(sc);
	free(in);
	return 0;
}

/* ------------------------------------------------------------ interval */

static long kmem_kb(void)
{
	long slab = 0, vmalloc = 0, percpu = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("/proc/meminfo", errno);
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "Slab: %ld", &slab);
		sscanf(line, "VmallocUsed: %ld", &vmalloc);
		sscanf(line, "Percpu: %ld", &percpu);
	}
	fclose(f);
	return slab + vmalloc + percpu;
}

static int enroll_all(struct iotguard_nl *nl, unsigned long n)
{
	struct iotguard_device *d;
	unsigned int failed = 0;
	unsigned long i;
	int ret;

	d = calloc(n, sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		device_addr(i, &d[i].id);
		snprintf(d[i].name, sizeof(d[i].name), "d%lu", i);
		d[i].class = 1 + i % NCLASSES;
		d[i].rate_pps = 10000;
		d[i].present = IOTGUARD_DEV_NAME | IOTGUARD_DEV_CLASS |
			       IOTGUARD_DEV_RATE_PPS;
	}
	ret = iotguard_nl_device_new_batch(nl, d, n, &failed);
	free(d);
	if (!ret && failed)
		ret = -EIO;
	return ret;
}

/*
 * Writes interval k's counters of every present device into the maps, as
 * the program would have counted them: all on one CPU (the device's
 * receive queue), the other CPUs' entries never used.
 */
struct writer {
	int devstats_fd, features_fd, ncpus;
	uint32_t *keys;
	struct iotguard_dev_stats *stats;
	struct iotguard_dev_features *feats;
};

#define WRITE_CHUNK 1024

static void set_bits(__u64 *words, unsigned int n, uint64_t seed)
{
	unsigned int j, bit;

	for (j = 0; j < n; j++) {
		bit = mix(seed + j) >> 56;
		words[bit / 64] |= 1ULL << (bit % 64);
	}
}

/*
 * Writes count entries of a per-device hash. A new entry's per-CPU values
 * come from the kernel's atomic reserve, which thousands of new entries
 * at once exhaust (ENOMEM) until its refill has run: then wait for it and
 * write the rest.
 */
static void write_entries(int fd, const uint32_t *keys, const void *values,
			  size_t stride, uint32_t count, const char *what)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	const struct timespec pause = { .tv_nsec = 1000000 };
	uint32_t done = 0, c;
	int tries = 0;

	while (done < count) {
		c = count - done;
		if (!bpf_map_update_batch(fd, keys + done,
					  (const char *)values + done * stride,
					  &c, &opts)) {
			done += c;
			continue;
		}
		done += c;
		if (errno != ENOMEM || ++tries > 10000)
			die(what, errno);
		nanosleep(&pause, NULL);
	}
}

static void write_chunk(struct writer *w, uint32_t count)
{
	write_entries(w->devstats_fd, w->keys, w->stats,
		      w->ncpus * sizeof(*w->stats), count,
		      "write iotguard_devstats");
	write_entries(w->features_fd, w->keys, w->feats,
		      w->ncpus * sizeof(*w->feats), count,
		      "write iotguard_features");
}

static void write_interval(struct writer *w, const struct daemon *d,
			   uint64_t k)
{
	uint64_t epoch = iotguard_features_epoch_now() - 1;
	struct timespec ts;
	uint64_t now;
	uint32_t i, count = 0;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	for (i = 0; i < d->max_devices; i++) {
		struct iotguard_dev_features *f;
		struct iotguard_dev_stats *s;
		struct iotguard_sketch *sk;
		struct traffic t;
		int cpu = i % w->ncpus;

		if (!d->devs[i].present)
			continue;
		traffic(i, k, &t);
		s = &w->stats[count * w->ncpus];
		f = &w->feats[count * w->ncpus];
		memset(s, 0, w->ncpus * sizeof(*s));
		memset(f, 0, w->ncpus * sizeof(*f));
		s[cpu].pass.packets = t.packets;
		s[cpu].pass.bytes = t.bytes;
		s[cpu].last_seen_ns = now;
		s[cpu].cookie = d->devs[i].dev.cookie;
		f[cpu].packets = t.packets;
		f[cpu].bytes = t.bytes;
		f[cpu].tcp_syn = t.syn;
		f[cpu].icmp = t.icmp;
		memcpy(f[cpu].size_hist, t.hist, sizeof(t.hist));
		f[cpu].last_seen_ns = now;
		f[cpu].cookie = d->devs[i].dev.cookie;
		sk = &f[cpu].sketch[epoch & 1];
		sk->epoch = epoch;
		set_bits(sk->dst_addr, t.addrs, i * 1000);
		set_bits(sk->dst_port, t.ports, i * 1000 + 500);
		w->keys[count++] = i;
		if (count == WRITE_CHUNK) {
			write_chunk(w, count);
			count = 0;
		}
	}
	if (count)
		write_chunk(w, count);
}

static double read_all(struct daemon *d, bool batched)
{
	struct iotguard_feature_sum fs;
	struct iotguard_dev_stats st;
	uint64_t epoch = iotguard_features_epoch_now() - 1;
	double t0 = now_s();
	uint32_t i;

	if (batched) {
		iotguard_maps_batch_begin(d->maps);
		iotguard_features_batch_begin(d->feat);
	}
	for (i = 0; i < d->max_devices; i++) {
		const struct dstate *ds = &d->devs[i];

		if (!ds->present)
			continue;
		if (iotguard_maps_device(d->maps, i, ds->dev.cookie, &st) ||
		    iotguard_features_device(d->feat, i, ds->dev.cookie, epoch,
					     &fs))
			die("read the maps", EIO);
	}
	if (batched) {
		iotguard_maps_batch_end(d->maps);
		iotguard_features_batch_end(d->feat);
	}
	return now_s() - t0;
}

/* The daemon over n enrolled devices, in namespaces of its own. */
struct setup {
	struct daemon d;
	struct writer w;
	char dir[32];
	double rss0, rss1;	/* before and after monitor_start() */
	long kb0, kb1;		/* kernel memory before and after attach */
	int cpu;
};

/* A map of the program attached in this network namespace. */
static int pinned_map(const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX + NAME_MAX];
	int ret = iotguard_pin_dir(dir, sizeof(dir));

	if (ret)
		die("the pin directory", -ret);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bpf_obj_get(path);
}

static void setup(struct setup *s, unsigned long n)
{
	struct iotguard_port_policy policy;
	struct iotguard_nl *nl;
	unsigned long present = 0;
	char err[256];
	uint32_t i;
	int ret;

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/iotgb-daemon.XXXXXX");
	/* A device table and a bpffs of our own. */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS))
		die("unshare", errno);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		die("make / private", errno);
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		die("mount bpffs", errno);
	if (!mkdtemp(s->dir))
		die("mkdtemp", errno);
	s->cpu = pin_cpu();

	ret = iotguard_nl_open(&nl);
	if (ret)
		die("iotguard_nl_open", ret);
	ret = enroll_all(nl, n);
	if (ret)
		die("enroll", ret);
	iotguard_nl_close(nl);

	s->kb0 = kmem_kb();
	iotguard_port_policy_init(&policy);
	ret = iotguard_attach("lo", &policy, IOTGUARD_XDP_GENERIC);
	if (ret) {
		fprintf(stderr, "bench: attach: %s\n", iotguard_maps_error());
		die("iotguard_attach", ret);
	}
	s->kb1 = kmem_kb();

	log_init(true);
	if (config_load("/dev/null", true, &s->d.cfg, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		die("config", EINVAL);
	}
	snprintf(s->d.cfg.state_dir, sizeof(s->d.cfg.state_dir), "%s", s->dir);
	s->d.cfg.save_every = 1e9;
	score_config(&s->d.cfg.score);
	pthread_mutex_init(&s->d.lock, NULL);
	s->rss0 = rss_bytes();
	ret = monitor_start(&s->d);
	if (ret)
		die("monitor_start", ret);
	s->rss1 = rss_bytes();
	for (i = 0; i < s->d.max_devices; i++)
		present += s->d.devs[i].present;
	if (present != n)
		die("the daemon's table", ENOENT);

	s->w.ncpus = libbpf_num_possible_cpus();
	s->w.devstats_fd = pinned_map(IOTGUARD_MAP_DEVSTATS);
	s->w.features_fd = pinned_map(IOTGUARD_MAP_FEATURES);
	s->w.keys = calloc(WRITE_CHUNK, sizeof(*s->w.keys));
	s->w.stats = calloc(WRITE_CHUNK * s->w.ncpus, sizeof(*s->w.stats));
	s->w.feats = calloc(WRITE_CHUNK * s->w.ncpus, sizeof(*s->w.feats));
	if (s->w.devstats_fd < 0 || s->w.features_fd < 0 || !s->w.keys ||
	    !s->w.stats || !s->w.feats)
		die("the pinned maps", errno);
}

static void teardown(struct setup *s)
{
	char path[PATH_MAX];

	monitor_stop(&s->d);
	snprintf(path, sizeof(path), "%s/alerts.jsonl", s->dir);
	unlink(path);
	rmdir(s->dir);
	close(s->w.devstats_fd);
	close(s->w.features_fd);
	free(s->w.keys);
	free(s->w.stats);
	free(s->w.feats);
}

/* One whole /metrics scrape, rendered as the HTTP thread renders it. */
static double scrape(struct daemon *d, size_t *bytes)
{
	struct metrics_scrape *s = metrics_scrape_new(d);
	static char buf[64 * 1024];
	double t0 = now_s();
	ssize_t n;

	if (!s)
		die("metrics_scrape_new", ENOMEM);
	*bytes = 0;
	while ((n = metrics_scrape_read(s, buf, sizeof(buf))) > 0)
		*bytes += n;
	if (n < 0)
		die("metrics_scrape_read", (int)-n);
	metrics_scrape_free(s);
	return now_s() - t0;
}

static int cmd_interval(void)
{
	double wall[MAX_RUNS], work[MAX_RUNS], rss[MAX_RUNS], t0;
	double scr[MAX_RUNS];
	size_t bytes = 0;
	unsigned long n = opt.devices;
	struct setup s;
	char extra[768];
	int k;

	setup(&s, n);
	for (k = 0; k < WARMUP + opt.runs; k++) {
		write_interval(&s.w, &s.d, k + 1);
		t0 = now_s();
		monitor_interval(&s.d, 1.0);
		if (k < WARMUP)
			continue;
		wall[k - WARMUP] = now_s() - t0;
		work[k - WARMUP] = s.d.last_run_seconds;
		scr[k - WARMUP] = scrape(&s.d, &bytes);
		rss[k - WARMUP] = (rss_bytes() - s.rss0) / n;
		fprintf(stderr, "bench: interval %d: %.2f s, maps and scoring %.2f s, a scrape %.2f s\n",
			k + 1 - WARMUP, wall[k - WARMUP], work[k - WARMUP],
			scr[k - WARMUP]);
	}
	if (!s.d.feat || s.d.map_errors)
		die("the daemon read no features", EIO);
	snprintf(extra, sizeof(extra),
		 ", \"devices\": %lu, \"cpu\": %d, \"warmup\": %d, \"intervals\": %llu, \"map_errors\": %llu, \"actions\": %llu, \"alerts\": %llu, \"batched\": %s",
		 n, s.cpu, WARMUP, (unsigned long long)s.d.intervals,
		 (unsigned long long)s.d.map_errors,
		 (unsigned long long)(s.d.actions[IOTGUARD_ACT_QUARANTINE] +
				      s.d.actions[IOTGUARD_ACT_DENY]),
		 (unsigned long long)s.d.actions[IOTGUARD_ACT_ALERT],
		 iotguard_features_batched(s.d.feat) ? "true" : "false");
	emit("daemon.interval", "s", wall, opt.runs, extra);
	emit("daemon.interval_work", "s", work, opt.runs, extra);
	snprintf(extra, sizeof(extra), ", \"devices\": %lu, \"bytes\": %zu",
		 n, bytes);
	emit("daemon.scrape", "s", scr, opt.runs, extra);
	snprintf(extra, sizeof(extra),
		 ", \"devices\": %lu, \"after_start_bytes\": %.0f, \"dstate_bytes\": %zu, \"scorer_struct_bytes\": %zu",
		 n, (s.rss1 - s.rss0) / n, sizeof(struct dstate),
		 sizeof(struct iotguard_score_dev));
	emit("daemon.rss_per_device", "B", rss, opt.runs, extra);
	teardown(&s);
	return 0;
}

static int cmd_read(void)
{
	double single[MAX_RUNS], batch[MAX_RUNS], kmaps[1], kdev[1], start[1];
	unsigned long n = opt.devices;
	struct setup s;
	char extra[768];
	long kb2;
	int k;

	setup(&s, n);
	/* Every device's entries made: the per-device hashes' share. */
	write_interval(&s.w, &s.d, 1);
	kb2 = kmem_kb();
	/*
	 * The maps as the daemon opens them; not its interval, whose /metrics
	 * text alone would take minutes for 10^6 devices under TCG.
	 */
	if (iotguard_maps_open(&s.d.maps) || iotguard_features_open(&s.d.feat))
		die("open the maps", EIO);
	for (k = 0; k < opt.runs; k++) {
		if (!opt.single) {
			batch[k] = read_all(&s.d, true);
		} else if (k % 2) {
			batch[k] = read_all(&s.d, true);
			single[k] = read_all(&s.d, false);
		} else {
			single[k] = read_all(&s.d, false);
			batch[k] = read_all(&s.d, true);
		}
	}
	kmaps[0] = (s.kb1 - s.kb0) * 1024.0 / s.d.max_devices;
	kdev[0] = (kb2 - s.kb1) * 1024.0 / n;
	start[0] = (s.rss1 - s.rss0) / n;

	snprintf(extra, sizeof(extra), ", \"devices\": %lu, \"batched\": %s",
		 n, iotguard_features_batched(s.d.feat) ? "true" : "false");
	if (opt.single)
		emit("daemon.read.single", "s", single, opt.runs, extra);
	emit("daemon.read.batch", "s", batch, opt.runs, extra);
	snprintf(extra, sizeof(extra),
		 ", \"devices\": %lu, \"max_devices\": %u, \"dstate_bytes\": %zu",
		 n, s.d.max_devices, sizeof(struct dstate));
	emit("daemon.start_rss_per_device", "B", start, 1, extra);
	snprintf(extra, sizeof(extra),
		 ", \"max_devices\": %u, \"devices\": %lu, \"cpus\": %d, \"devstats_bytes\": %zu, \"features_bytes\": %zu, \"rate_bytes\": %zu",
		 s.d.max_devices, n, s.w.ncpus,
		 sizeof(struct iotguard_dev_stats),
		 sizeof(struct iotguard_dev_features),
		 sizeof(struct iotguard_rate_state));
	emit("daemon.kmaps_per_device", "B", kmaps, 1, extra);
	emit("daemon.kmaps_per_sent_device", "B", kdev, 1, extra);
	teardown(&s);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "devices", required_argument, NULL, 'd' },
		{ "runs", required_argument, NULL, 'k' },
		{ "single", no_argument, NULL, 's' },
		{ }
	};
	const char *cmd;
	int c;

	if (argc < 2) {
		fprintf(stderr, "usage: daemon-bench score|interval|read [--devices N] [--runs K] [--single]\n");
		return 2;
	}
	cmd = argv[1];
	argv++;
	argc--;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': opt.devices = strtoul(optarg, NULL, 0); break;
		case 'k': opt.runs = atoi(optarg); break;
		case 's': opt.single = true; break;
		default: return 2;
		}
	}
	if (opt.runs < 1 || opt.runs > MAX_RUNS || !opt.devices ||
	    opt.devices > UINT32_MAX) {
		fprintf(stderr, "daemon-bench: --runs 1..%d, --devices > 0\n",
			MAX_RUNS);
		return 2;
	}
	libbpf_set_print(NULL);
	if (!strcmp(cmd, "score"))
		return cmd_score();
	if (!strcmp(cmd, "interval"))
		return cmd_interval();
	if (!strcmp(cmd, "read"))
		return cmd_read();
	fprintf(stderr, "daemon-bench: unknown command %s\n", cmd);
	return 2;
}
