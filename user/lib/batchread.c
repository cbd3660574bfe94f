// SPDX-License-Identifier: GPL-2.0
/*
 * Maps keyed by device index read in one snapshot (batchread.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "batchread.h"

#define DEFAULT_WINDOW_BYTES	(2U << 20)
/* Not in the UAPI headers: the kernel's "operation not supported". */
#define ENOTSUPP_KERNEL		524

int iotguard_batch_init(struct iotguard_batch_reader *r, int fd,
			uint32_t entries, size_t stride, size_t window_bytes)
{
	size_t window;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->entries = entries;
	r->stride = stride;
	if (!window_bytes)
		window_bytes = DEFAULT_WINDOW_BYTES;
	window = stride ? window_bytes / stride : 1;
	if (window < 1)
		window = 1;
	if (window > entries)
		window = entries ? entries : 1;
	r->window = window;
	r->pos = calloc(entries ? entries : 1, sizeof(*r->pos));
	r->keys = calloc(window, sizeof(*r->keys));
	r->one = calloc(1, stride);
	r->zero = calloc(1, stride);
	if (!r->pos || !r->keys || !r->one || !r->zero) {
		iotguard_batch_fini(r);
		return -ENOMEM;
	}
	return 0;
}

void iotguard_batch_fini(struct iotguard_batch_reader *r)
{
	free(r->pos);
	free(r->keys);
	free(r->values);
	free(r->one);
	free(r->zero);
	r->pos = r->keys = NULL;
	r->values = r->one = r->zero = NULL;
}

void iotguard_batch_begin(struct iotguard_batch_reader *r)
{
	r->active = true;
	r->filled = false;
}

void iotguard_batch_end(struct iotguard_batch_reader *r)
{
	r->active = false;
	r->filled = false;
}

/* Room in values for count + one more window of entries. */
static int reserve(struct iotguard_batch_reader *r, size_t count)
{
	size_t want = count + r->window, size = r->size ? r->size : want;
	void *values;

	if (want <= r->size)
		return 0;
	while (size < want)
		size *= 2;
	values = realloc(r->values, size * r->stride);
	if (!values)
		return -ENOMEM;
	r->values = values;
	r->size = size;
	return 0;
}

/* Reads the whole map into the snapshot; 0 or -errno. */
static int fill(struct iotguard_batch_reader *r)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t batch, n, i;
	size_t count = 0;
	void *values;
	bool first = true;
	int ret;

	memset(r->pos, 0, (size_t)r->entries * sizeof(*r->pos));
	for (;;) {
		ret = reserve(r, count);
		if (ret)
			return ret;
		n = r->window;
		r->syscalls++;
		/* batch: where the last read stopped, opaque (a bucket). */
		values = (char *)r->values + count * r->stride;
		ret = bpf_map_lookup_batch(r->fd, first ? NULL : &batch,
					   &batch, r->keys, values, &n, &opts);
		/* -ENOENT: the end of the map, with n entries read. */
		if (ret && errno != ENOENT)
			return -errno;
		for (i = 0; i < n; i++)
			if (r->keys[i] < r->entries)
				r->pos[r->keys[i]] = count + i + 1;
		count += n;
		if (ret)
			break;
		first = false;
	}
	r->filled = true;
	return 0;
}

int iotguard_batch_lookup(struct iotguard_batch_reader *r, uint32_t index,
			  const void **values)
{
	uint32_t pos;
	int ret;

	if (index >= r->entries)
		return -ERANGE;
	if (r->active && !r->no_batch) {
		ret = r->filled ? 0 : fill(r);
		if (!ret) {
			pos = r->pos[index];
			*values = pos ? (char *)r->values +
					(size_t)(pos - 1) * r->stride :
					r->zero;
			return 0;
		}
		/*
		 * Before 5.6, or a map type without batch operations; or a
		 * hash bucket holding more entries than a window.
		 */
		if (ret != -EINVAL && ret != -ENOTSUPP_KERNEL &&
		    ret != -EOPNOTSUPP && ret != -ENOSPC)
			return ret;
		r->no_batch = true;
	}
	r->syscalls++;
	if (bpf_map_lookup_elem(r->fd, &index, r->one)) {
		if (errno != ENOENT)
			return -errno;
		*values = r->zero;
		return 0;
	}
	*values = r->one;
	return 0;
}
