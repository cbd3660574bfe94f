/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a network namespace's BPF objects are pinned (include/iotguard/
 * maps.h): one directory per namespace, because device indexes and cookies
 * are the module's per-namespace table's, and so are the maps indexed by
 * them.
 */
#ifndef IOTGUARD_USER_PINS_H
#define IOTGUARD_USER_PINS_H

#include <stddef.h>

/*
 * Writes the pin directory of the calling thread's network namespace to
 * buf: IOTGUARD_PIN_DIR in the initial namespace, else IOTGUARD_NETNS_DIR/
 * <cookie>. Returns 0, -ENAMETOOLONG, or the -errno of the look at the
 * namespace.
 */
int iotguard_pin_dir(char *buf, size_t len);

#endif /* IOTGUARD_USER_PINS_H */
