// SPDX-License-Identifier: GPL-2.0
/*
 * Array maps read in windows of entries (batchread.h).
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
	r->keys = calloc(window, sizeof(*r->keys));
	/* One more entry: the buffer of single lookups. */
	r->values = calloc(window + 1, stride);
	if (!r->keys || !r->values) {
		iotguard_batch_fini(r);
		return -ENOMEM;
	}
	return 0;
}

void iotguard_batch_fini(struct iotguard_batch_reader *r)
{
	free(r->keys);
	free(r->values);
	r->keys = NULL;
	r->values = NULL;
}

void iotguard_batch_begin(struct iotguard_batch_reader *r)
{
	r->active = true;
	r->count = 0;
}

void iotguard_batch_end(struct iotguard_batch_reader *r)
{
	r->active = false;
	r->count = 0;
}

/* Reads [index, index + window) into the window; 0 or -errno. */
static int fill(struct iotguard_batch_reader *r, uint32_t index)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t prev = index - 1, out, count;
	int ret;

	count = r->entries - index;
	if (count > r->window)
		count = r->window;
	r->syscalls++;
	/* The batch starts after in_batch's key: index - 1, or the start. */
	ret = bpf_map_lookup_batch(r->fd, index ? &prev : NULL, &out, r->keys,
				   r->values, &count, &opts);
	/* -ENOENT: the end of the map, with count entries read. */
	if (ret && errno != ENOENT)
		return -errno;
	/* An array has every key: anything else is not the map we think. */
	if (!count || r->keys[0] != index || r->keys[count - 1] !=
	    index + count - 1)
		return -EPROTO;
	r->first = index;
	r->count = count;
	return 0;
}

int iotguard_batch_lookup(struct iotguard_batch_reader *r, uint32_t index,
			  const void **values)
{
	void *one = (char *)r->values + (size_t)r->window * r->stride;
	int ret;

	if (index >= r->entries)
		return -ERANGE;
	if (r->active && !r->no_batch) {
		if (r->count && index >= r->first &&
		    index - r->first < r->count) {
			*values = (char *)r->values +
				  (size_t)(index - r->first) * r->stride;
			return 0;
		}
		ret = fill(r, index);
		if (!ret) {
			*values = r->values;
			return 0;
		}
		/* Before 5.6, or a map type without batch operations. */
		if (ret != -EINVAL && ret != -ENOTSUPP_KERNEL &&
		    ret != -EOPNOTSUPP)
			return ret;
		r->no_batch = true;
		r->count = 0;
	}
	r->syscalls++;
	if (bpf_map_lookup_elem(r->fd, &index, one))
		return -errno;
	*values = one;
	return 0;
}
