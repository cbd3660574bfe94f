/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sizes a guest test takes from its environment (make stress sets the
 * long forms'): a number, or the test's default when unset or empty. Any
 * other value stops the test with a message, rather than run it at a size
 * nobody asked for (strtoul("1e6") is 1).
 */
#ifndef IOTGUARD_ENVNUM_H
#define IOTGUARD_ENVNUM_H

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	unsigned long long val;
	char *end;

	if (!s || !*s)
		return dflt;
	errno = 0;
	val = strtoull(s, &end, 0);
	if (errno || *end || *s == '-') {
		fprintf(stderr, "Unable to read %s: '%s' is not a number\n",
			name, s);
		exit(1);
	}
	return val;
}

#endif /* IOTGUARD_ENVNUM_H */
