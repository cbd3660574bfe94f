/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading an array map indexed by device (the per-CPU iotguard_devstats and
 * iotguard_features) many entries per system call.
 *
 * One bpf_map_lookup_elem() per device costs a system call, a lookup of the
 * fd and a buffer allocation in the kernel each time; for a million devices
 * a reader pays that a million times. Between iotguard_batch_begin() and
 * iotguard_batch_end(), iotguard_batch_lookup() instead reads a window of
 * entries starting at the index asked for with BPF_MAP_LOOKUP_BATCH (Linux
 * 5.6 and later, array and per-CPU array maps) and serves the following
 * indexes from it: a caller walking the devices in index order reads the
 * map once. Values are as of their window's read. Outside begin/end, and
 * when the kernel has no batch operations for the map, every lookup is one
 * bpf_map_lookup_elem().
 */
#ifndef IOTGUARD_USER_BATCHREAD_H
#define IOTGUARD_USER_BATCHREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iotguard_batch_reader {
	int fd;
	uint32_t entries;	/* the map's max_entries */
	size_t stride;		/* bytes of one entry: value × CPUs if per CPU */
	uint32_t window;	/* entries per batch read */
	uint32_t first;		/* the window holds [first, first + count) */
	uint32_t count;
	bool active;		/* between begin and end */
	bool no_batch;		/* the kernel said no: one lookup each */
	uint64_t syscalls;	/* reads so far, for tests and the bench */
	uint32_t *keys;
	void *values;		/* window entries, then one more for a lookup */
};

/*
 * Up to window_bytes of values per batch (at least one entry); 0 for the
 * default (2 MiB). stride is what bpf_map_lookup_elem() fills for one key.
 */
int iotguard_batch_init(struct iotguard_batch_reader *r, int fd,
			uint32_t entries, size_t stride, size_t window_bytes);
void iotguard_batch_fini(struct iotguard_batch_reader *r);

void iotguard_batch_begin(struct iotguard_batch_reader *r);
void iotguard_batch_end(struct iotguard_batch_reader *r);

/*
 * Points *values at the entry of index (stride bytes, valid until the next
 * call). Returns 0, -ERANGE beyond the map, or the read's -errno.
 */
int iotguard_batch_lookup(struct iotguard_batch_reader *r, uint32_t index,
			  const void **values);

#endif /* IOTGUARD_USER_BATCHREAD_H */
