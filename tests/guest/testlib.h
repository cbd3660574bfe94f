/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF_PROG_TEST_RUN tests share: loading the program as the loader
 * does, without pins, and emptying the device table. Include after the
 * skeleton and nl.h.
 */
#ifndef IOTGUARD_TESTLIB_H
#define IOTGUARD_TESTLIB_H

#include <errno.h>
#include <stdio.h>

#define MOD_PARAMS "/sys/module/iotguard/parameters/"

static int read_u32_file(const char *path, unsigned int *val)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%u", val) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/*
 * Before load: no pins (tests must not share maps with each other or with a
 * running iotguard), and the per-device maps sized to the module's table.
 */
static int prepare_skel(struct iotguard *skel)
{
	unsigned int max_devices;
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, skel->obj) {
		err = bpf_map__set_pin_path(map, NULL);
		if (err)
			return err;
	}
	if (read_u32_file(MOD_PARAMS "max_devices", &max_devices))
		return 0;
	err = bpf_map__set_max_entries(skel->maps.iotguard_devstats,
				       max_devices);
	err = err ?: bpf_map__set_max_entries(skel->maps.iotguard_rate,
					      max_devices);
	return err ?: bpf_map__set_max_entries(skel->maps.iotguard_features,
					       max_devices);
}

static int del_cb(const struct iotguard_device *dev, void *data)
{
	return iotguard_nl_device_del(data, &dev->id);
}

/* The table is per network namespace and tests share it: start empty. */
static int delete_all(struct iotguard_nl *nl)
{
	return iotguard_nl_device_dump(nl, del_cb, nl);
}

#endif /* IOTGUARD_TESTLIB_H */
