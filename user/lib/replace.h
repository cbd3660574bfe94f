/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replacing a file whole: readers see the old file or the new one, never
 * half of it, and a crash leaves the old one.
 */
#ifndef IOTGUARD_USER_REPLACE_H
#define IOTGUARD_USER_REPLACE_H

#include <stdio.h>
#include <sys/types.h>

/*
 * Calls write(f, data) on a new temporary file beside path (mode mode),
 * makes it durable and renames it over path, then fsyncs path's directory
 * so that the rename is too. write returns 0 or a negative errno; so does
 * this, and on a failure before the rename path is as it was (after it,
 * an error of the directory's fsync: the new file, maybe not yet durable).
 */
int iotguard_replace_file(const char *path, mode_t mode,
			  int (*write)(FILE *f, void *data), void *data);

#endif /* IOTGUARD_USER_REPLACE_H */
