// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: iotguardd's configuration file. The daemon reads a path, so
 * each input is written to a memfd read through /proc/self/fd. A bad file
 * is refused with its error, never a crash or an out-of-bounds access, and
 * a file taken gives a configuration in its ranges.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "iotguardd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[512];
	struct config cfg;
	int fd;

	fd = memfd_create("iotguardd.conf", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (!config_load(path, true, &cfg, err, sizeof(err)) &&
	    (!(cfg.interval >= 0.05 && cfg.interval <= 60) ||
	     cfg.listen[sizeof(cfg.listen) - 1] ||
	     cfg.enroll[sizeof(cfg.enroll) - 1]))
		abort();
	close(fd);
	return 0;
}
