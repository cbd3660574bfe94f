// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>

#include "array.h"

int iotguard_array_reserve(void **items, size_t *size, size_t count,
			   size_t elem_size)
{
	size_t new_size;
	void *grown;

	if (count < *size)
		return 0;
	new_size = *size ? *size * 2 : 64;
	grown = reallocarray(*items, new_size, elem_size);
	if (!grown)
		return -ENOMEM;
	*items = grown;
	*size = new_size;
	return 0;
}
