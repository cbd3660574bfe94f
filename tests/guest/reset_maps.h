/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One load of the XDP program for many BPF_PROG_TEST_RUN cases: loaded
 * before the harness forks them, its maps emptied for each.
 */
#ifndef IOTGUARD_RESET_MAPS_H
#define IOTGUARD_RESET_MAPS_H

#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/*
 * Every map of obj but its read-only data emptied, as a freshly loaded
 * program has them, so that one load serves many cases: a load is slow
 * under a debug kernel (the verifier's allocations are all tracked).
 * Arrays are zeroed in one batch, the hashes' keys deleted. 0 or -errno.
 */
static int reset_maps(struct bpf_object *obj)
{
	int ncpus = libbpf_num_possible_cpus(), fd, err = 0;
	size_t ksize, vsize, n, i, count;
	char *keys = NULL, *values = NULL;
	struct bpf_map *map;
	__u32 batch;

	if (ncpus < 0)
		return ncpus;
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map))
			continue;
		fd = bpf_map__fd(map);
		ksize = bpf_map__key_size(map);
		vsize = bpf_map__value_size(map);
		n = bpf_map__max_entries(map);
		switch (bpf_map__type(map)) {
		case BPF_MAP_TYPE_PERCPU_ARRAY:
			vsize = ((vsize + 7) & ~(size_t)7) * ncpus;
			/* fall through */
		case BPF_MAP_TYPE_ARRAY:
			keys = calloc(n, sizeof(__u32));
			values = calloc(n, vsize);
			if (!keys || !values) {
				err = -ENOMEM;
				break;
			}
			for (i = 0; i < n; i++)
				((__u32 *)keys)[i] = i;
			batch = n;
			if (bpf_map_update_batch(fd, keys, values, &batch,
						 NULL))
				err = -errno;
			break;
		default:
			/* Every key first: a delete changes the walk. */
			keys = malloc(n * ksize);
			if (!keys) {
				err = -ENOMEM;
				break;
			}
			for (count = 0; count < n &&
			     !bpf_map_get_next_key(fd, count ?
						   keys + (count - 1) * ksize :
						   NULL, keys + count * ksize);
			     count++)
				;
			for (i = 0; i < count && !err; i++)
				if (bpf_map_delete_elem(fd, keys + i * ksize) &&
				    errno != ENOENT)
					err = -errno;
			break;
		}
		free(keys);
		free(values);
		keys = values = NULL;
		if (err)
			return err;
	}
	return 0;
}

#endif /* IOTGUARD_RESET_MAPS_H */
