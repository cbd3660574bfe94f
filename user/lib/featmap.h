/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Readers of the per-device behaviour features the XDP program collects
 * (include/iotguard/features.h): cumulative counters summed over the CPUs,
 * the destination sketches of the last complete epoch merged and counted,
 * and the recent destinations.
 *
 * Functions return 0 or a negative errno; iotguard_features_error() then
 * gives details when there are any (else ""), until the next call.
 */
#ifndef IOTGUARD_USER_FEATMAP_H
#define IOTGUARD_USER_FEATMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <iotguard/features.h>

const char *iotguard_features_error(void);

/* A device's features, summed over the CPUs whose entry is the device's. */
struct iotguard_feature_sum {
	uint64_t packets;
	uint64_t bytes;
	uint64_t tcp_syn;
	uint64_t icmp;
	uint64_t arp;
	uint64_t neigh_foreign;
	uint32_t tcp_odd;	/* mod 2^32, as the CPUs' counters */
	uint64_t size_hist[IOTGUARD_SIZE_BUCKETS];
	uint64_t last_seen_ns;
	uint64_t epoch;		/* the epoch the estimates are of */
	uint32_t dst_addrs;	/* distinct destination addresses, estimated */
	uint32_t dst_ports;	/* distinct destination ports, estimated */
	uint64_t window;	/* the window the next two are of */
	uint32_t win_addrs;	/* distinct over the window, estimated */
	uint32_t win_ports;
};

/*
 * Linear counting: the number of distinct values hashed into a sketch of
 * IOTGUARD_SKETCH_BITS bits, -m ln(zero bits / m), rounded. A full sketch
 * (saturated) gives the estimate of one zero bit left, m ln m (~1420):
 * "at least that many".
 */
uint32_t iotguard_sketch_estimate(const uint64_t words[IOTGUARD_SKETCH_WORDS]);

/*
 * The epoch (features.h) now, from CLOCK_MONOTONIC_COARSE as
 * bpf_ktime_get_coarse_ns() reads it. The daemon reads epoch - 1.
 */
uint64_t iotguard_features_epoch_now(void);

/*
 * The last window (IOTGUARD_WINDOW_SHIFT) complete at the end of epoch:
 * the one the daemon reads with that epoch's sketch.
 */
uint64_t iotguard_features_window(uint64_t epoch);

/*
 * Folds the per-CPU values of one index into out: counters of the entries
 * with cookie summed, their sketches of epoch and of its last complete
 * window ORed, then estimated. Pure, for the readers below and the tests.
 */
void iotguard_features_merge(const struct iotguard_dev_features *percpu,
			     unsigned int nr_cpus, uint32_t cookie,
			     uint64_t epoch, struct iotguard_feature_sum *out);

struct iotguard_features;

/* -ENOENT when the program collects no features (an older program). */
int iotguard_features_open(struct iotguard_features **featp);
void iotguard_features_close(struct iotguard_features *feat);
/* Entries of the per-device map: the module's max_devices at attach. */
uint32_t iotguard_features_entries(const struct iotguard_features *feat);

int iotguard_features_device(struct iotguard_features *feat, uint32_t index,
			     uint32_t cookie, uint64_t epoch,
			     struct iotguard_feature_sum *out);

/*
 * Between _begin() and _end(), iotguard_features_device() reads the map
 * many entries per system call (batchread.h), starting at the index asked
 * for: for a caller that reads every device once in index order, as the
 * daemon's interval does. A device's values are then as of its window's
 * read. _batched() is false once the kernel refused batch reads (before
 * Linux 5.6): every device is then one read, as outside begin/end.
 */
void iotguard_features_batch_begin(struct iotguard_features *feat);
void iotguard_features_batch_end(struct iotguard_features *feat);
bool iotguard_features_batched(const struct iotguard_features *feat);

typedef int (*iotguard_dest_cb)(const struct iotguard_dest_key *key,
				const struct iotguard_dest_val *val,
				void *data);
/*
 * Calls cb for each entry of the recent destinations LRU (per-CPU values
 * merged); a non-zero return stops the walk and is returned. -ENOENT if
 * the program keeps no such map.
 */
int iotguard_features_dests(struct iotguard_features *feat,
			    iotguard_dest_cb cb, void *data);

#endif /* IOTGUARD_USER_FEATMAP_H */
