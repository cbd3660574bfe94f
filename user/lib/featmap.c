// SPDX-License-Identifier: GPL-2.0
/*
 * Reading the per-device behaviour features of the XDP program. (Not
 * features.h: that name is glibc's, and user/lib is on the include path.)
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <iotguard/maps.h>
#include "batchread.h"
#include "featmap.h"
#include "pins.h"

struct iotguard_features {
	int features_fd;
	int dests_fd;		/* -1: no destinations map */
	uint32_t entries;
	uint32_t dests_entries;
	bool dests_percpu;
	unsigned int nr_cpus;
	struct iotguard_batch_reader reader;	/* of features_fd */
	struct iotguard_dest_val *dest_values;
};

static _Thread_local char features_error[256];

const char *iotguard_features_error(void)
{
	return features_error;
}

static void set_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(features_error, sizeof(features_error), fmt, ap);
	va_end(ap);
}

uint32_t iotguard_sketch_estimate(const uint64_t words[IOTGUARD_SKETCH_WORDS])
{
	const double m = IOTGUARD_SKETCH_BITS;
	unsigned int i, ones = 0, zeros;

	for (i = 0; i < IOTGUARD_SKETCH_WORDS; i++)
		ones += __builtin_popcountll(words[i]);
	zeros = IOTGUARD_SKETCH_BITS - ones;
	/* Saturated: report what one zero bit would mean, a lower bound. */
	if (!zeros)
		zeros = 1;
	return (uint32_t)lround(-m * log(zeros / m));
}

uint64_t iotguard_features_epoch_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec) >>
	       IOTGUARD_EPOCH_SHIFT;
}

uint64_t iotguard_features_window(uint64_t epoch)
{
	return ((epoch + 1) >> IOTGUARD_WINDOW_SHIFT) - 1;
}

/* ORs into addrs, ports the slot of sketches that holds number n, if any. */
static void or_slot(const struct iotguard_sketch sk[2], uint64_t n,
		    uint64_t addrs[IOTGUARD_SKETCH_WORDS],
		    uint64_t ports[IOTGUARD_SKETCH_WORDS])
{
	const struct iotguard_sketch *s = &sk[n & 1];
	unsigned int i;

	/* A slot last written in another epoch says nothing of ours. */
	if (s->epoch != n)
		return;
	for (i = 0; i < IOTGUARD_SKETCH_WORDS; i++) {
		addrs[i] |= s->dst_addr[i];
		ports[i] |= s->dst_port[i];
	}
}

void iotguard_features_merge(const struct iotguard_dev_features *percpu,
			     unsigned int nr_cpus, uint32_t cookie,
			     uint64_t epoch, struct iotguard_feature_sum *out)
{
	uint64_t addrs[IOTGUARD_SKETCH_WORDS] = { 0 };
	uint64_t ports[IOTGUARD_SKETCH_WORDS] = { 0 };
	uint64_t waddrs[IOTGUARD_SKETCH_WORDS] = { 0 };
	uint64_t wports[IOTGUARD_SKETCH_WORDS] = { 0 };
	unsigned int cpu, i;

	memset(out, 0, sizeof(*out));
	out->epoch = epoch;
	out->window = iotguard_features_window(epoch);
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		const struct iotguard_dev_features *v = &percpu[cpu];

		/* Another CPU may still count the index's last device. */
		if (v->cookie != cookie)
			continue;
		out->packets += v->packets;
		out->bytes += v->bytes;
		out->tcp_syn += v->tcp_syn;
		out->icmp += v->icmp;
		out->arp += v->arp;
		out->neigh_foreign += v->neigh_foreign;
		out->tcp_odd += v->tcp_odd;
		for (i = 0; i < IOTGUARD_SIZE_BUCKETS; i++)
			out->size_hist[i] += v->size_hist[i];
		if (v->last_seen_ns > out->last_seen_ns)
			out->last_seen_ns = v->last_seen_ns;
		or_slot(v->sketch, epoch, addrs, ports);
		or_slot(v->window, out->window, waddrs, wports);
	}
	out->dst_addrs = iotguard_sketch_estimate(addrs);
	out->dst_ports = iotguard_sketch_estimate(ports);
	out->win_addrs = iotguard_sketch_estimate(waddrs);
	out->win_ports = iotguard_sketch_estimate(wports);
}

static int open_map(const char *dir, const char *name, uint32_t key_size,
		    uint32_t value_size, struct bpf_map_info *info)
{
	uint32_t len = sizeof(*info);
	char path[PATH_MAX + NAME_MAX];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		ret = -errno;
		set_error(ret == -ENOENT ?
			  "no map %s (program without features, or never attached)" :
			  "cannot open %s", path);
		return ret;
	}
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len)) {
		ret = -errno;
		set_error("cannot get the map information of %s", path);
		goto fail;
	}
	if (info->key_size != key_size || info->value_size != value_size) {
		ret = -EPROTO;
		set_error("%s has %u/%u byte keys/values, not %u/%u: built from another version?",
			  path, info->key_size, info->value_size, key_size,
			  value_size);
		goto fail;
	}
	return fd;

fail:
	close(fd);
	return ret;
}

int iotguard_features_open(struct iotguard_features **featp)
{
	struct iotguard_features *feat;
	struct bpf_map_info info;
	char dir[PATH_MAX];
	int ret, nr_cpus;

	features_error[0] = '\0';
	*featp = NULL;
	feat = calloc(1, sizeof(*feat));
	if (!feat)
		return -ENOMEM;
	feat->features_fd = feat->dests_fd = -1;
	ret = iotguard_pin_dir(dir, sizeof(dir));
	if (ret) {
		set_error("cannot find this network namespace's pin directory");
		goto cleanup;
	}
	nr_cpus = libbpf_num_possible_cpus();
	if (nr_cpus <= 0) {
		ret = nr_cpus ? nr_cpus : -EINVAL;
		set_error("cannot count the possible CPUs");
		goto cleanup;
	}
	feat->nr_cpus = nr_cpus;
	feat->dest_values = calloc(nr_cpus, sizeof(*feat->dest_values));
	if (!feat->dest_values) {
		ret = -ENOMEM;
		goto cleanup;
	}
	ret = feat->features_fd = open_map(dir, IOTGUARD_MAP_FEATURES,
					    sizeof(uint32_t),
					    sizeof(struct iotguard_dev_features),
					    &info);
	if (ret < 0)
		goto cleanup;
	feat->entries = info.max_entries;
	ret = iotguard_batch_init(&feat->reader, feat->features_fd,
				  feat->entries,
				  nr_cpus * sizeof(struct iotguard_dev_features),
				  0);
	if (ret)
		goto cleanup;
	/* The destinations are optional: the counters are useful alone. */
	feat->dests_fd = open_map(dir, IOTGUARD_MAP_DESTS,
				  sizeof(struct iotguard_dest_key),
				  sizeof(struct iotguard_dest_val), &info);
	if (feat->dests_fd >= 0) {
		feat->dests_entries = info.max_entries;
		feat->dests_percpu =
			info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
			info.type == BPF_MAP_TYPE_PERCPU_HASH;
	}
	features_error[0] = '\0';
	*featp = feat;
	return 0;

cleanup:
	iotguard_features_close(feat);
	return ret;
}

void iotguard_features_close(struct iotguard_features *feat)
{
	if (!feat)
		return;
	if (feat->features_fd >= 0)
		close(feat->features_fd);
	if (feat->dests_fd >= 0)
		close(feat->dests_fd);
	iotguard_batch_fini(&feat->reader);
	free(feat->dest_values);
	free(feat);
}

uint32_t iotguard_features_entries(const struct iotguard_features *feat)
{
	return feat->entries;
}

void iotguard_features_batch_begin(struct iotguard_features *feat)
{
	iotguard_batch_begin(&feat->reader);
}

void iotguard_features_batch_end(struct iotguard_features *feat)
{
	iotguard_batch_end(&feat->reader);
}

bool iotguard_features_batched(const struct iotguard_features *feat)
{
	return !feat->reader.no_batch;
}

int iotguard_features_device(struct iotguard_features *feat, uint32_t index,
			     uint32_t cookie, uint64_t epoch,
			     struct iotguard_feature_sum *out)
{
	const void *values;
	int ret;

	features_error[0] = '\0';
	if (index >= feat->entries) {
		set_error("device index %u beyond %s (%u entries)", index,
			  IOTGUARD_MAP_FEATURES, feat->entries);
		return -ERANGE;
	}
	ret = iotguard_batch_lookup(&feat->reader, index, &values);
	if (ret) {
		set_error("cannot read %s", IOTGUARD_MAP_FEATURES);
		return ret;
	}
	iotguard_features_merge(values, feat->nr_cpus, cookie, epoch, out);
	return 0;
}

/* Folds per-CPU values of one destination into values[0]. */
static void merge_dest(struct iotguard_dest_val *values, unsigned int nr)
{
	unsigned int cpu;

	for (cpu = 1; cpu < nr; cpu++) {
		const struct iotguard_dest_val *v = &values[cpu];

		if (!v->last_ns)
			continue;
		if (!values[0].last_ns || v->first_ns < values[0].first_ns)
			values[0].first_ns = v->first_ns;
		if (v->last_ns > values[0].last_ns)
			values[0].last_ns = v->last_ns;
		values[0].epochs += v->epochs;
	}
}

int iotguard_features_dests(struct iotguard_features *feat,
			    iotguard_dest_cb cb, void *data)
{
	struct iotguard_dest_key key, next;
	uint64_t visited = 0;
	void *prev = NULL;
	int ret = 0;

	features_error[0] = '\0';
	if (feat->dests_fd < 0) {
		set_error("no map %s", IOTGUARD_MAP_DESTS);
		return -ENOENT;
	}
	/* The program inserts and evicts while we walk: bound the walk. */
	while (visited++ < 2ULL * feat->dests_entries + 1) {
		if (bpf_map_get_next_key(feat->dests_fd, prev, &next)) {
			if (errno != ENOENT) {
				ret = -errno;
				set_error("cannot walk %s", IOTGUARD_MAP_DESTS);
			}
			break;
		}
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(feat->dests_fd, &key,
					feat->dest_values))
			continue;
		if (feat->dests_percpu)
			merge_dest(feat->dest_values, feat->nr_cpus);
		ret = cb(&key, &feat->dest_values[0], data);
		if (ret)
			break;
	}
	return ret;
}
