/* SPDX-License-Identifier: GPL-2.0 */
/* Growable arrays for the tools' listings. */
#ifndef IOTGUARD_USER_ARRAY_H
#define IOTGUARD_USER_ARRAY_H

#include <stddef.h>

/*
 * Makes room for one more element in *items (count used of *size), doubling
 * from 64. Returns 0 or -ENOMEM, leaving *items as it was.
 */
int iotguard_array_reserve(void **items, size_t *size, size_t count,
			   size_t elem_size);

#endif /* IOTGUARD_USER_ARRAY_H */
