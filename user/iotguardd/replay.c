// SPDX-License-Identifier: GPL-2.0
/*
 * iotguardd --replay: the live daemon's scoring on a capture, in capture
 * time, for tuning and evaluation. Needs no module, no BPF and no root.
 *
 * Each device's frames go into a struct iotguard_dev_features exactly as
 * the XDP program fills its entry (iotg_features() in bpf/features.h: the
 * same counters, size buckets, sketch hash and epochs of 2^30 ns, here of
 * capture time), and at the end of every interval the daemon's own path
 * reads it: iotguard_features_merge(), monitor_input(), the destinations
 * that set a new sketch bit, iotguard_scorer_score(). So distinct
 * destinations and ports are the same linear-counting estimate of the last
 * complete epoch that the live daemon scores (saturating near 1400), not
 * exact counts: baselines and thresholds tuned here mean the same live.
 *
 * Every frame of a listed source is offered load, as nothing is dropped
 * for rate or state; a frame in a MAC-bound device's address from another
 * MAC is dropped, as the program drops it (spoofed). ARP in a device's
 * name (its sender address) counts as the program counts it
 * (iotg_features_arp()): a request is one in arp, and nothing else; ARP
 * in another's name (or nobody's) from a listed device's MAC is one in its
 * neigh_foreign (iotg_neigh_foreign()). NDP is not replayed. The replay
 * never acts: it prints what the class policy would do.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <pcap/pcap.h>
#include "frame.h"
#include "iotguardd.h"
#include "json.h"
#include "parse.h"

#define NSEC_PER_SEC 1000000000ULL
/* A jump in time further than this many intervals is a broken capture. */
#define MAX_GAP_INTERVALS 1000000ULL

struct rdev {
	struct dstate ds;	/* what monitor_input() keeps; the identity */
	struct iotguard_dev_features feat;	/* as one CPU's map entry */
	uint32_t *dests;	/* destinations that set a sketch bit */
	size_t ndests, dests_cap;
	uint64_t intervals;	/* scored */
	uint64_t alerts;
	float max_score;
	uint64_t max_score_ns;
};

struct replay {
	const struct replay_opts *opts;
	const struct config *cfg;
	struct iotguard_scorer *scorer;
	struct rdev *devs;
	uint32_t ndevs, slots;
	uint32_t *table;	/* open addressing: slot + 1, 0 empty */
	uint32_t table_mask;
	enum iotguard_link link;
	const char *link_name;
	struct iotguard_json json;
	uint64_t interval_ns;
	uint64_t start_ns, end_ns, next_ns, last_ns;
	uint64_t intervals;
	/* frames */
	uint64_t frames, device_frames, other, malformed, truncated, cut;
	uint64_t unlisted, over_limit, backwards;
	uint64_t spoofed;	/* a listed address from another MAC */
};

static uint32_t addr_hash(uint8_t family, const uint8_t *addr)
{
	struct iotguard_dest_key key = { .family = family };

	memcpy(key.addr, addr, family == AF_INET ? 4 : 16);
	return monitor_dest_hash(&key);
}

/* The slot of an address, or -1 if unknown. */
static int64_t lookup(const struct replay *r, uint8_t family,
		      const uint8_t *addr)
{
	uint32_t i = addr_hash(family, addr) & r->table_mask, slot;
	unsigned int len = family == AF_INET ? 4 : 16;

	while ((slot = r->table[i])) {
		const struct iotguard_addr *id = &r->devs[slot - 1].ds.dev.id;

		if (id->family == family && !memcmp(id->addr, addr, len))
			return slot - 1;
		i = (i + 1) & r->table_mask;
	}
	return -1;
}

static void table_insert(struct replay *r, uint32_t slot)
{
	const struct iotguard_addr *id = &r->devs[slot].ds.dev.id;
	uint32_t i = addr_hash(id->family, id->addr) & r->table_mask;

	while (r->table[i])
		i = (i + 1) & r->table_mask;
	r->table[i] = slot + 1;
}

static int alloc_devices(struct replay *r, uint32_t slots)
{
	uint32_t size = 16;

	while (size < 2 * (uint64_t)slots)
		size <<= 1;
	r->slots = slots;
	r->devs = calloc(slots ? slots : 1, sizeof(*r->devs));
	r->table = calloc(size, sizeof(*r->table));
	r->table_mask = size - 1;
	if (!r->devs || !r->table)
		return -ENOMEM;
	return 0;
}

/* ---------------------------------------------------------- devices */

static int parse_fail(const char *path, unsigned int line, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

static int parse_fail(const char *path, unsigned int line, const char *fmt,
		      ...)
{
	va_list ap;

	fprintf(stderr, "Unable to parse %s: line %u: ", path, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* "mac=MAC" binds the device to its MAC, as `iotguard device add --mac`. */
static int mac_token(const char *path, unsigned int line, const char *s,
		     struct iotguard_device *dev)
{
	const char *why;

	if (dev->present & IOTGUARD_DEV_MAC)
		return parse_fail(path, line, "`%s': a second MAC", s);
	if (iotguard_parse_mac(s + 4, dev->mac, &why))
		return parse_fail(path, line, "`%s': %s", s, why);
	dev->present |= IOTGUARD_DEV_MAC;
	return 0;
}

/*
 * One line: ADDRESS [NAME [CLASS [pinned]]] [mac=MAC]; "-" for no name.
 * The MAC may come anywhere after the address.
 */
static int device_line(const char *path, unsigned int line, char *text,
		       struct iotguard_device *dev)
{
	char *tok[5] = { NULL }, *save = NULL, *s;
	unsigned int n = 0;
	const char *why;

	memset(dev, 0, sizeof(*dev));
	for (s = strtok_r(text, " \t\r\n", &save); s && n < 5;
	     s = strtok_r(NULL, " \t\r\n", &save)) {
		if (n && !strncmp(s, "mac=", 4)) {
			if (mac_token(path, line, s, dev))
				return -1;
			continue;
		}
		tok[n++] = s;
	}
	if (n > 4)
		return parse_fail(path, line, "`%s': want ADDRESS [NAME [CLASS [pinned]]] [mac=MAC]",
				  tok[4]);
	if (iotguard_parse_addr(tok[0], &dev->id, &why))
		return parse_fail(path, line, "`%s': %s", tok[0], why);
	if (n > 1 && strcmp(tok[1], "-")) {
		if (strlen(tok[1]) >= sizeof(dev->name))
			return parse_fail(path, line, "name `%s' is longer than %zu bytes",
					  tok[1], sizeof(dev->name) - 1);
		snprintf(dev->name, sizeof(dev->name), "%s", tok[1]);
	}
	if (n > 2 && iotguard_parse_class(tok[2], &dev->class, &why))
		return parse_fail(path, line, "class `%s': %s", tok[2], why);
	if (n > 3) {
		if (strcmp(tok[3], "pinned"))
			return parse_fail(path, line, "`%s': only `pinned' may follow the class",
					  tok[3]);
		dev->flags |= IOTGUARD_DEVICE_F_PINNED;
	}
	/* The line number, for the duplicate check. */
	dev->index = line;
	return 0;
}

/* The devices file into *list; 0, or -1 after printing why. */
static int read_devices(const char *path, struct iotguard_device **list,
			uint32_t *count)
{
	struct iotguard_device *devs = NULL;
	size_t n = 0, cap = 0, size = 0;
	unsigned int line = 0;
	char *buf = NULL;
	int ret = -1;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "Unable to open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	while (getline(&buf, &size, f) >= 0) {
		char *hash = strchr(buf, '#');

		line++;
		if (hash)
			*hash = '\0';
		if (!buf[strspn(buf, " \t\r\n")])
			continue;
		if (n == cap) {
			void *bigger;

			cap = cap ? 2 * cap : 64;
			bigger = realloc(devs, cap * sizeof(*devs));
			if (!bigger) {
				fprintf(stderr, "Unable to read %s: %s\n",
					path, strerror(ENOMEM));
				goto cleanup;
			}
			devs = bigger;
		}
		if (device_line(path, line, buf, &devs[n]))
			goto cleanup;
		n++;
	}
	if (ferror(f)) {
		fprintf(stderr, "Unable to read %s: %s\n", path,
			strerror(errno));
		goto cleanup;
	}
	if (!n) {
		fprintf(stderr, "Unable to parse %s: no device in it\n", path);
		goto cleanup;
	}
	*list = devs;
	*count = n;
	devs = NULL;
	ret = 0;

cleanup:
	free(devs);
	free(buf);
	fclose(f);
	return ret;
}

static void add_device(struct replay *r, const struct iotguard_device *dev)
{
	uint32_t slot = r->ndevs++;
	struct rdev *rd = &r->devs[slot];
	struct iotguard_score_input in;
	struct iotguard_score_key key = { .family = dev->id.family };

	rd->ds.dev = *dev;
	rd->ds.dev.index = slot;
	rd->ds.dev.cookie = slot + 1;
	rd->ds.dev.present = IOTGUARD_DEV_INDEX | IOTGUARD_DEV_COOKIE |
			     (dev->present & IOTGUARD_DEV_MAC);
	rd->ds.present = true;
	rd->feat.cookie = rd->ds.dev.cookie;
	memcpy(key.addr, dev->id.addr, dev->id.family == AF_INET ? 4 : 16);
	iotguard_scorer_device(r->scorer, slot, rd->ds.dev.cookie, &key,
			       dev->class,
			       dev->flags & IOTGUARD_DEVICE_F_PINNED);
	/* Enrolled now, with nothing counted yet: the base reading. */
	monitor_input(&rd->ds, 0, 0, NULL, 0, &in);
	table_insert(r, slot);
}

/* ----------------------------------------------------------- output */

static double offset_of(const struct replay *r, uint64_t ns)
{
	return (double)(ns - r->start_ns) / NSEC_PER_SEC;
}

static const char *time_of(uint64_t ns, char *buf, size_t len)
{
	struct timespec ts = {
		.tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC,
	};

	return alert_time(&ts, buf, len);
}

static const char *class_of(const struct rdev *rd, char *buf, size_t len)
{
	const char *name = iotguard_class_name(rd->ds.dev.class);

	if (name)
		return name;
	snprintf(buf, len, "%u", rd->ds.dev.class);
	return buf;
}

static void detectors_of(uint32_t detectors, char *buf, size_t len)
{
	unsigned int det;
	size_t used = 0;

	buf[0] = '\0';
	for (det = 0; det < IOTGUARD_DET_MAX && used < len; det++)
		if (detectors & (1U << det))
			used += snprintf(buf + used, len - used, "%s%s",
					 used ? "," : "",
					 iotguard_detector_name(det));
}

static void print_alert(struct replay *r, const struct rdev *rd,
			const struct iotguard_score_result *res, uint64_t ns)
{
	char when[64], why[256], line[512], dets[128];
	const char *note = "";

	alert_why(res, why, sizeof(why));
	time_of(ns, when, sizeof(when));
	if (r->opts->json) {
		iotguard_json_object_start(&r->json);
		iotguard_json_kv_string(&r->json, "type", "alert");
		/* Never done: a replay only says what would be. */
		alert_json_members(&r->json, when, &rd->ds, res, why, false);
		iotguard_json_kv_double(&r->json, "offset",
					offset_of(r, ns));
		iotguard_json_kv_u64(&r->json, "interval", r->intervals);
		iotguard_json_object_end(&r->json);
		return;
	}
	if (res->dry_run && res->action > IOTGUARD_ACT_ALERT)
		note = " (dry run)";
	else if (res->pinned)
		note = " (pinned: alert only)";
	detectors_of(res->detectors, dets, sizeof(dets));
	printf("%s +%.3f %s%s%s%s\n", when, offset_of(r, ns),
	       alert_line(&rd->ds, res, note, why, line, sizeof(line)),
	       *dets ? " [" : "", dets, *dets ? "]" : "");
}

static void print_score(struct replay *r, const struct rdev *rd,
			const struct iotguard_score_input *in,
			const struct iotguard_score_result *res, uint64_t ns)
{
	char when[64], addr[IOTGUARD_ADDR_STRLEN], dets[128];

	time_of(ns, when, sizeof(when));
	format_addr(&rd->ds.dev.id, addr, sizeof(addr));
	detectors_of(res->detectors, dets, sizeof(dets));
	if (!r->opts->json) {
		printf("%s +%.3f score %s (%s) %.2f %s%s%s%s\n", when,
		       offset_of(r, ns),
		       rd->ds.dev.name[0] ? rd->ds.dev.name : "-", addr,
		       res->score, iotguard_feature_name(res->top.feature),
		       res->learning ? " learning" : "",
		       *dets ? " " : "", dets);
		return;
	}
	iotguard_json_object_start(&r->json);
	iotguard_json_kv_string(&r->json, "type", "score");
	iotguard_json_kv_string(&r->json, "time", when);
	iotguard_json_kv_double(&r->json, "offset", offset_of(r, ns));
	iotguard_json_kv_u64(&r->json, "interval", r->intervals);
	iotguard_json_kv_string(&r->json, "name", rd->ds.dev.name);
	iotguard_json_kv_string(&r->json, "address", addr);
	iotguard_json_kv_double(&r->json, "score", res->score);
	iotguard_json_kv_string(&r->json, "feature",
				iotguard_feature_name(res->top.feature));
	iotguard_json_kv_bool(&r->json, "learning", res->learning);
	iotguard_json_kv_bool(&r->json, "anomalous", res->anomalous);
	iotguard_json_kv_string(&r->json, "action",
				iotguard_action_name(res->action));
	/* What the scorer read: the envelopes are tuned on these. */
	iotguard_json_kv_u64(&r->json, "packets", in->packets);
	iotguard_json_kv_u64(&r->json, "bytes", in->bytes);
	iotguard_json_kv_u64(&r->json, "syn", in->syn);
	iotguard_json_kv_u64(&r->json, "icmp", in->icmp);
	iotguard_json_kv_u64(&r->json, "arp", in->arp);
	iotguard_json_kv_u64(&r->json, "neigh_foreign", in->neigh_foreign);
	iotguard_json_kv_u64(&r->json, "tcp_odd", in->tcp_odd);
	iotguard_json_kv_u64(&r->json, "dst_addrs", in->dst_addrs);
	iotguard_json_kv_u64(&r->json, "dst_ports", in->dst_ports);
	/* A window's, in the interval that read it; else null. */
	if (in->have & IOTGUARD_HAVE_WINDOW) {
		iotguard_json_kv_u64(&r->json, "window_addrs", in->win_addrs);
		iotguard_json_kv_u64(&r->json, "window_ports", in->win_ports);
	} else {
		iotguard_json_kv_null(&r->json, "window_addrs");
		iotguard_json_kv_null(&r->json, "window_ports");
	}
	iotguard_json_object_end(&r->json);
}

static void summary_text(const struct replay *r)
{
	char start[64], addr[IOTGUARD_ADDR_STRLEN], num[16], at[32];
	uint32_t i;

	printf("\nReplay of %s (%s): %" PRIu64 " frames", r->opts->path,
	       r->link_name, r->frames);
	if (r->frames)
		printf(" over %.3f s from %s", offset_of(r, r->end_ns),
		       time_of(r->start_ns, start, sizeof(start)));
	printf(", %" PRIu64 " intervals of %g s scored\n", r->intervals,
	       r->cfg->interval);
	printf("Frames: %" PRIu64 " of devices, %" PRIu64
	       " not IP or neighbour discovery, %" PRIu64 " malformed, %"
	       PRIu64 " cut before the source address, %" PRIu64
	       " from unlisted sources, %" PRIu64
	       " spoofed (a listed address from another MAC), %" PRIu64
	       " over --max-devices; %" PRIu64
	       " cut short (counted), %" PRIu64 " out of time order\n",
	       r->device_frames, r->other, r->malformed, r->truncated,
	       r->unlisted, r->spoofed, r->over_limit, r->cut, r->backwards);
	printf("%-20s %-26s %-8s %10s %9s %9s %10s %6s\n", "DEVICE", "ADDRESS",
	       "CLASS", "PACKETS", "INTERVALS", "MAX-SCORE", "AT", "ALERTS");
	for (i = 0; i < r->ndevs; i++) {
		const struct rdev *rd = &r->devs[i];

		if (rd->intervals)
			snprintf(at, sizeof(at), "+%.3f",
				 offset_of(r, rd->max_score_ns));
		else
			snprintf(at, sizeof(at), "-");
		printf("%-20s %-26s %-8s %10" PRIu64 " %9" PRIu64
		       " %9.1f %10s %6" PRIu64 "\n",
		       rd->ds.dev.name[0] ? rd->ds.dev.name : "-",
		       format_addr(&rd->ds.dev.id, addr, sizeof(addr)),
		       class_of(rd, num, sizeof(num)),
		       (uint64_t)rd->feat.packets,
		       rd->intervals, rd->max_score, at, rd->alerts);
	}
}

static void summary_json(struct replay *r)
{
	char when[64], addr[IOTGUARD_ADDR_STRLEN], num[16];
	struct iotguard_json *json = &r->json;
	uint32_t i;

	for (i = 0; i < r->ndevs; i++) {
		const struct rdev *rd = &r->devs[i];

		iotguard_json_object_start(json);
		iotguard_json_kv_string(json, "type", "device");
		iotguard_json_kv_string(json, "name", rd->ds.dev.name);
		iotguard_json_kv_string(json, "address",
					format_addr(&rd->ds.dev.id, addr,
						    sizeof(addr)));
		iotguard_json_kv_string(json, "class",
					class_of(rd, num, sizeof(num)));
		iotguard_json_kv_u64(json, "packets", rd->feat.packets);
		iotguard_json_kv_u64(json, "bytes", rd->feat.bytes);
		iotguard_json_kv_u64(json, "intervals", rd->intervals);
		iotguard_json_kv_double(json, "max_score", rd->max_score);
		if (rd->intervals) {
			iotguard_json_kv_string(json, "max_score_time",
						time_of(rd->max_score_ns, when,
							sizeof(when)));
			iotguard_json_kv_double(json, "max_score_offset",
						offset_of(r, rd->max_score_ns));
		} else {
			iotguard_json_kv_null(json, "max_score_time");
			iotguard_json_kv_null(json, "max_score_offset");
		}
		iotguard_json_kv_u64(json, "alerts", rd->alerts);
		iotguard_json_object_end(json);
	}
	iotguard_json_object_start(json);
	iotguard_json_kv_string(json, "type", "capture");
	iotguard_json_kv_string(json, "file", r->opts->path);
	iotguard_json_kv_string(json, "link", r->link_name);
	if (r->frames) {
		iotguard_json_kv_string(json, "start",
					time_of(r->start_ns, when,
						sizeof(when)));
		iotguard_json_kv_double(json, "duration",
					offset_of(r, r->end_ns));
	} else {
		iotguard_json_kv_null(json, "start");
		iotguard_json_kv_double(json, "duration", 0);
	}
	iotguard_json_kv_double(json, "interval", r->cfg->interval);
	iotguard_json_kv_u64(json, "intervals", r->intervals);
	iotguard_json_kv_u64(json, "frames", r->frames);
	iotguard_json_kv_u64(json, "device_frames", r->device_frames);
	iotguard_json_kv_u64(json, "other", r->other);
	iotguard_json_kv_u64(json, "malformed", r->malformed);
	iotguard_json_kv_u64(json, "truncated", r->truncated);
	iotguard_json_kv_u64(json, "unlisted", r->unlisted);
	iotguard_json_kv_u64(json, "spoofed", r->spoofed);
	iotguard_json_kv_u64(json, "over_limit", r->over_limit);
	iotguard_json_kv_u64(json, "cut", r->cut);
	iotguard_json_kv_u64(json, "out_of_order", r->backwards);
	iotguard_json_object_end(json);
}

/* ----------------------------------------------------------- replay */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The scoring of one interval ending at ns, as monitor_interval() does. */
static void end_interval(struct replay *r, uint64_t ns)
{
	/* The daemon reads the last complete epoch. */
	uint64_t epoch = (ns >> IOTGUARD_EPOCH_SHIFT) - 1;
	uint32_t i;
	size_t k;

	for (i = 0; i < r->ndevs; i++) {
		struct rdev *rd = &r->devs[i];

		/* Each destination once, as one entry of the LRU map. */
		qsort(rd->dests, rd->ndests, sizeof(*rd->dests), cmp_u32);
		for (k = 0; k < rd->ndests; k++)
			if (!k || rd->dests[k] != rd->dests[k - 1])
				iotguard_scorer_observe_dest(r->scorer, i,
							     rd->dests[k]);
		rd->ndests = 0;
	}
	for (i = 0; i < r->ndevs; i++) {
		struct rdev *rd = &r->devs[i];
		struct iotguard_score_result res;
		struct iotguard_feature_sum fs;
		struct iotguard_score_input in;

		iotguard_features_merge(&rd->feat, 1, rd->ds.dev.cookie, epoch,
					&fs);
		if (!monitor_input(&rd->ds, fs.packets, fs.bytes, &fs, epoch,
				   &in))
			continue;
		iotguard_scorer_score(r->scorer, i, &in, &res);
		if (!rd->intervals || res.score > rd->max_score) {
			rd->max_score = res.score;
			rd->max_score_ns = ns;
		}
		rd->intervals++;
		if (r->opts->scores)
			print_score(r, rd, &in, &res, ns);
		if (res.event != IOTGUARD_EV_NONE) {
			rd->alerts++;
			print_alert(r, rd, &res, ns);
		}
	}
	iotguard_scorer_interval_end(r->scorer);
	r->intervals++;
}

/* What iotg_features() does with a frame that passed, at time now. */
static int count_frame(struct rdev *rd, const struct iotguard_frame *fr,
		       uint64_t now)
{
	struct iotguard_dev_features *f = &rd->feat;
	uint64_t epoch = now >> IOTGUARD_EPOCH_SHIFT, seed, amask, window;
	uint64_t daddr[2];
	struct iotguard_sketch *s;
	uint32_t abit, pbit;
	bool syn = fr->l4proto == IPPROTO_TCP &&
		   (fr->tcp_flags & 0x12) == 0x02;	/* SYN without ACK */

	f->packets++;
	f->bytes += fr->len;
	f->last_seen_ns = now;
	f->size_hist[iotguard_size_bucket(fr->len)]++;
	if (fr->l4proto == IPPROTO_TCP && iotguard_tcp_flags_odd(fr->tcp_flags))
		f->tcp_odd++;
	if (syn)
		f->tcp_syn++;
	else if (fr->l4proto == IPPROTO_ICMP ||
		 fr->l4proto == IPPROTO_ICMPV6)
		f->icmp++;

	memcpy(daddr, fr->dst, sizeof(daddr));
	/* iotg_window(): the window's sketch, ports of attempts only. */
	window = epoch >> IOTGUARD_WINDOW_SHIFT;
	iotguard_window_add(&f->window[window & 1], window,
			    daddr[0] ^ daddr[1], fr->l4proto, fr->dport,
			    syn || fr->l4proto == IPPROTO_UDP);
	s = &f->sketch[epoch & 1];
	if (s->epoch != epoch) {
		memset(s, 0, sizeof(*s));
		s->epoch = epoch;
	}
	seed = epoch * IOTGUARD_SKETCH_M1;
	if (fr->l4proto == IPPROTO_TCP || fr->l4proto == IPPROTO_UDP) {
		pbit = iotguard_sketch_bit((uint64_t)fr->l4proto << 16 |
					   fr->dport, seed);
		s->dst_port[pbit >> 6] |= 1ULL << (pbit & 63);
	}
	abit = iotguard_sketch_bit(daddr[0] ^ daddr[1], seed);
	amask = 1ULL << (abit & 63);
	if (s->dst_addr[abit >> 6] & amask)
		return 0;
	s->dst_addr[abit >> 6] |= amask;
	/* A new bit: the program would update the destinations map. */
	if (rd->ndests == rd->dests_cap) {
		size_t cap = rd->dests_cap ? 2 * rd->dests_cap : 16;
		uint32_t *bigger = realloc(rd->dests, cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		rd->dests = bigger;
		rd->dests_cap = cap;
	}
	rd->dests[rd->ndests++] = addr_hash(fr->family, fr->dst);
	return 0;
}

/*
 * ARP in the name of an address not the sender's, as iotg_neigh_foreign()
 * counts it: a feature of the device whose bound MAC sent it. Not for an
 * IPv4 link-local address (RFC 3927), which a device without a lease
 * announces. The program asks the module which device binds the MAC; a
 * MAC bound twice is the first device listed with it here.
 */
static void neigh_foreign(struct replay *r, const struct iotguard_frame *fr)
{
	uint32_t i;

	if (!fr->has_mac || (fr->src[0] == 169 && fr->src[1] == 254))
		return;
	for (i = 0; i < r->ndevs; i++) {
		const struct iotguard_device *dev = &r->devs[i].ds.dev;

		if ((dev->present & IOTGUARD_DEV_MAC) &&
		    !memcmp(dev->mac, fr->mac, sizeof(fr->mac))) {
			r->devs[i].feat.neigh_foreign++;
			return;
		}
	}
}

static int frame(struct replay *r, const struct pcap_pkthdr *hdr,
		 const uint8_t *data)
{
	uint64_t now = (uint64_t)hdr->ts.tv_sec * NSEC_PER_SEC +
		       (uint64_t)hdr->ts.tv_usec;	/* ns: nano precision */
	enum iotguard_frame_kind kind;
	struct iotguard_device dev;
	struct iotguard_frame fr;
	int64_t slot;

	if (!r->frames++) {
		r->start_ns = r->last_ns = now;
		r->next_ns = now + r->interval_ns;
	}
	/* Late frames of a capture on several CPUs: now is the latest seen. */
	if (now < r->last_ns) {
		r->backwards++;
		now = r->last_ns;
	}
	if (now >= r->next_ns &&
	    (now - r->next_ns) / r->interval_ns > MAX_GAP_INTERVALS) {
		fprintf(stderr, "Unable to replay %s: frame %" PRIu64
			" is %.0f s after the one before it (more than %llu intervals)\n",
			r->opts->path, r->frames,
			(double)(now - r->last_ns) / NSEC_PER_SEC,
			MAX_GAP_INTERVALS);
		return -ERANGE;
	}
	r->last_ns = r->end_ns = now;
	/* Every interval that ended before this frame, silent ones too. */
	while (now >= r->next_ns) {
		end_interval(r, r->next_ns);
		r->next_ns += r->interval_ns;
	}

	kind = iotguard_frame_parse(r->link, data, hdr->caplen, hdr->len,
				    &fr);
	switch (kind) {
	case IOTGUARD_FRAME_IP:
	case IOTGUARD_FRAME_ARP:
		break;
	case IOTGUARD_FRAME_OTHER:
		r->other++;
		return 0;
	case IOTGUARD_FRAME_MALFORMED:
		r->malformed++;
		return 0;
	case IOTGUARD_FRAME_TRUNCATED:
		r->truncated++;
		return 0;
	}
	slot = lookup(r, fr.family, fr.src);
	if (slot < 0) {
		if (r->opts->devices) {
			r->unlisted++;
			if (kind == IOTGUARD_FRAME_ARP)
				neigh_foreign(r, &fr);
			return 0;
		}
		if (r->ndevs == r->slots) {
			r->over_limit++;
			return 0;
		}
		memset(&dev, 0, sizeof(dev));
		dev.id.family = fr.family;
		memcpy(dev.id.addr, fr.src, sizeof(fr.src));
		slot = r->ndevs;
		add_device(r, &dev);
	}
	/* The program drops it as spoofed: never the device's behaviour. */
	if ((r->devs[slot].ds.dev.present & IOTGUARD_DEV_MAC) && fr.has_mac &&
	    memcmp(fr.mac, r->devs[slot].ds.dev.mac, sizeof(fr.mac))) {
		r->spoofed++;
		if (kind == IOTGUARD_FRAME_ARP)
			neigh_foreign(r, &fr);
		return 0;
	}
	r->device_frames++;
	if (kind == IOTGUARD_FRAME_ARP) {
		/* iotg_features_arp(): a count of its own, no more. */
		r->devs[slot].feat.arp += fr.arp_request;
		return 0;
	}
	r->cut += fr.cut;
	return count_frame(&r->devs[slot], &fr, now);
}

static const char *link_name(int dlt)
{
	const char *name = pcap_datalink_val_to_name(dlt);

	return name ? name : "unknown";
}

static int open_capture(struct replay *r, pcap_t **out)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	int dlt;
	pcap_t *p;

	p = pcap_open_offline_with_tstamp_precision(r->opts->path,
						    PCAP_TSTAMP_PRECISION_NANO,
						    errbuf);
	if (!p) {
		fprintf(stderr, "Unable to read %s: %s\n", r->opts->path,
			errbuf);
		return -1;
	}
	dlt = pcap_datalink(p);
	switch (dlt) {
	case DLT_EN10MB:
		r->link = IOTGUARD_LINK_ETHERNET;
		break;
	case DLT_LINUX_SLL:
		r->link = IOTGUARD_LINK_SLL;
		break;
	case DLT_LINUX_SLL2:
		r->link = IOTGUARD_LINK_SLL2;
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		r->link = IOTGUARD_LINK_RAW;
		break;
	default:
		fprintf(stderr, "Unable to read %s: link type %s is not Ethernet, Linux cooked (SLL, SLL2) or raw IP\n",
			r->opts->path, link_name(dlt));
		pcap_close(p);
		return -1;
	}
	r->link_name = link_name(dlt);
	*out = p;
	return 0;
}

int replay_run(const struct replay_opts *opts, const struct config *cfg)
{
	struct replay r = { .opts = opts, .cfg = cfg };
	struct iotguard_device *listed = NULL;
	struct pcap_pkthdr *hdr;
	uint32_t nlisted = 0, i;
	const uint8_t *data;
	pcap_t *pcap = NULL;
	int ret = 1, rc, err = 0;

	iotguard_json_init(&r.json, stdout);
	r.interval_ns = (uint64_t)(cfg->interval * NSEC_PER_SEC + 0.5);
	if (opts->devices && read_devices(opts->devices, &listed, &nlisted))
		goto cleanup;
	ret = 2;
	if (open_capture(&r, &pcap))
		goto cleanup;
	if (alloc_devices(&r, opts->devices ? nlisted : opts->max_devices) ||
	    iotguard_scorer_new(&cfg->score, r.slots, &r.scorer)) {
		fprintf(stderr, "Unable to replay %s: %s\n", opts->path,
			strerror(ENOMEM));
		goto cleanup;
	}
	for (i = 0; i < nlisted; i++) {
		int64_t dup = lookup(&r, listed[i].id.family,
				     listed[i].id.addr);

		if (dup >= 0) {
			/* index holds the line number (read_devices()). */
			fprintf(stderr, "Unable to parse %s: line %u: the address of line %u again\n",
				opts->devices, listed[i].index,
				listed[dup].index);
			ret = 1;
			goto cleanup;
		}
		add_device(&r, &listed[i]);
	}
	while ((rc = pcap_next_ex(pcap, &hdr, &data)) == 1) {
		err = frame(&r, hdr, data);
		if (err)
			break;
	}
	/* The last interval is incomplete: not scored. */
	if (opts->json)
		summary_json(&r);
	else
		summary_text(&r);
	fflush(stdout);
	if (err == -ENOMEM)
		fprintf(stderr, "Unable to replay %s: %s\n", opts->path,
			strerror(ENOMEM));
	else if (!err && rc == PCAP_ERROR)
		fprintf(stderr, "Unable to read %s: %s (after %" PRIu64 " frames)\n",
			opts->path, pcap_geterr(pcap), r.frames);
	/* Otherwise frame() said why. */
	if (!err && rc == PCAP_ERROR_BREAK)
		ret = 0;

cleanup:
	if (pcap)
		pcap_close(pcap);
	for (i = 0; i < r.ndevs; i++)
		free(r.devs[i].dests);
	iotguard_scorer_free(r.scorer);
	free(r.devs);
	free(r.table);
	free(listed);
	return ret;
}
