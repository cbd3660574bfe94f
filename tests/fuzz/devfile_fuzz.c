// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the device file and the inventory CSV, as `iotguard apply`
 * and `device import` read them. The first byte chooses the reader; the
 * rest is the file. Every bad line is reported and counted, never a crash,
 * a leak or an out-of-bounds access (ASan, LSan, UBSan); each device read
 * is formatted back as its line.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "devfile.h"

static void ignore(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iotguard_devfile df;
	char line[1024];
	size_t i;
	FILE *f;

	if (!size)
		return 0;
	f = fmemopen((void *)(data + 1), size - 1 ? size - 1 : 1, "r");
	if (!f)
		return 0;
	iotguard_devfile_init(&df, ignore, NULL);
	if (data[0] & 1)
		iotguard_devfile_read_csv(&df, f, "fuzz.csv");
	else
		iotguard_devfile_read(&df, f, "fuzz.conf");
	fclose(f);
	iotguard_devfile_check_duplicates(&df);
	for (i = 0; i < df.count; i++)
		iotguard_devspec_format(&df.specs[i], line, sizeof(line));
	iotguard_devfile_free(&df);
	return 0;
}
