/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The iotguard authors.
 */

#ifndef _IOTGUARD_NETLINK_H
#define _IOTGUARD_NETLINK_H

int iotguard_genetlink_init(void);
void iotguard_genetlink_uninit(void);

#endif /* _IOTGUARD_NETLINK_H */
