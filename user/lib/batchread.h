/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading a map keyed by device index (the per-CPU hashes iotguard_devstats
 * and iotguard_features) many entries per system call.
 *
 * One bpf_map_lookup_elem() per device costs a system call, a lookup of the
 * fd and a buffer allocation in the kernel each time; for a million devices
 * a reader pays that a million times. Between iotguard_batch_begin() and
 * iotguard_batch_end(), the first iotguard_batch_lookup() instead reads
 * the whole map with BPF_MAP_LOOKUP_BATCH (Linux 5.6 and later; hashes and
 * arrays), up to a window of entries per call, and every lookup until the
 * end is served from that snapshot, in any order. A hash holds only the
 * devices that sent: an index it lacks reads as all zeros. Outside
 * begin/end, and when the kernel has no batch operations for the map,
 * every lookup is one bpf_map_lookup_elem().
 */
#ifndef IOTGUARD_USER_BATCHREAD_H
#define IOTGUARD_USER_BATCHREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iotguard_batch_reader {
	int fd;
	uint32_t entries;	/* the map's max_entries: indexes below it */
	size_t stride;		/* bytes of one entry: value × CPUs if per CPU */
	uint32_t window;	/* entries per batch read */
	bool active;		/* between begin and end */
	bool filled;		/* the snapshot is read */
	bool no_batch;		/* the kernel said no: one lookup each */
	uint64_t syscalls;	/* reads so far, for tests and the bench */
	uint32_t *pos;		/* by index: 1 + its place in values, 0 */
	uint32_t *keys;		/* one window's keys */
	void *values;		/* the snapshot's entries */
	size_t size;		/* entries values has room for */
	void *one;		/* a single lookup's entry */
	void *zero;		/* an index the map lacks */
};

/*
 * Up to window_bytes of values per batch read (at least one entry); 0 for
 * the default (2 MiB). stride is what bpf_map_lookup_elem() fills for one
 * key.
 */
int iotguard_batch_init(struct iotguard_batch_reader *r, int fd,
			uint32_t entries, size_t stride, size_t window_bytes);
void iotguard_batch_fini(struct iotguard_batch_reader *r);

void iotguard_batch_begin(struct iotguard_batch_reader *r);
void iotguard_batch_end(struct iotguard_batch_reader *r);

/*
 * Points *values at the entry of index (stride bytes, valid until the next
 * call; zeros if the map has none). Returns 0, -ERANGE beyond the map, or
 * the read's -errno.
 */
int iotguard_batch_lookup(struct iotguard_batch_reader *r, uint32_t index,
			  const void **values);

#endif /* IOTGUARD_USER_BATCHREAD_H */
