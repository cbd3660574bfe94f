/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The iotguard authors.
 */

#ifndef _IOTGUARD_ENROLL_H
#define _IOTGUARD_ENROLL_H

#include <linux/time64.h>
#include <linux/types.h>
#include <iotguard/wire.h>

struct iotguard_device;
struct iotguard_net;
struct netlink_ext_ack;

/* A hello's flow, as it arrived at the router: addresses 4 or 16 bytes. */
struct iotguard_enroll_flow {
	u8 saddr[16];
	u8 daddr[16];
	u8 alen;
	__be16 sport;
	__be16 dport;
};

#define IOTGUARD_ENROLL_HELLO_LEN \
	(IOTGUARD_WIRE_NONCE_LEN + IOTGUARD_WIRE_TRAILER_LEN)
#define IOTGUARD_ENROLL_WELCOME_LEN \
	(IOTGUARD_WIRE_WELCOME_LEN + IOTGUARD_WIRE_TRAILER_LEN)
/* "IGE1-" id "-" secret, and a NUL. */
#define IOTGUARD_ENROLL_CODE_SIZE (IOTGUARD_WIRE_CODE_TEXT_LEN + 1)

/* What a code gives the device that presents it. */
struct iotguard_enroll_grant {
	u8 mode;
	u32 epoch_seconds;
	time64_t expires;
	u32 ttl;
};

void iotguard_enroll_net_init(struct iotguard_net *in);
void iotguard_enroll_net_exit(struct iotguard_net *in);
int iotguard_enroll_new(struct iotguard_net *in,
			const struct iotguard_device *dev,
			const struct iotguard_enroll_grant *grant, char *text,
			u32 *id, struct netlink_ext_ack *extack);
int iotguard_enroll_hello(struct iotguard_net *in,
			  const struct iotguard_enroll_flow *flow,
			  const u8 *hello, u8 *welcome,
			  struct iotguard_device **devp,
			  struct netlink_ext_ack *extack);

#endif /* _IOTGUARD_ENROLL_H */
