/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The iotguard authors.
 */

#ifndef _IOTGUARD_NETLINK_H
#define _IOTGUARD_NETLINK_H

struct net;
struct iotguard_device;

int iotguard_genetlink_init(void);
void iotguard_genetlink_uninit(void);
void iotguard_genetlink_notify_lease(struct net *net,
				     const struct iotguard_device *dev);

#endif /* _IOTGUARD_NETLINK_H */
