/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The iotguard authors.
 */

#ifndef _IOTGUARD_CRED_H
#define _IOTGUARD_CRED_H

#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/time64.h>
#include <linux/types.h>
#include <iotguard/wire.h>

struct xdp_buff;

/*
 * The replay window: a ring of 64-bit words over the counters below the
 * highest accepted, in the manner of WireGuard's. One word is the one the
 * next counters fall into, so the window proper is a word shorter.
 */
#define IOTGUARD_REPLAY_WORDS 32
#define IOTGUARD_REPLAY_BITS (IOTGUARD_REPLAY_WORDS * 64)
#define IOTGUARD_REPLAY_WINDOW (IOTGUARD_REPLAY_BITS - 64)

/*
 * A device's credential. The device's versions (struct iotguard_device is
 * copied on change) share it, counted by @refs; the last one's grace period
 * frees it, zeroed. The first fields never change once published; the rest
 * is the data path's, under @lock.
 */
struct iotguard_cred {
	refcount_t refs;
	u8 mode;		/* enum iotguard_cred_mode, never NONE */
	u32 key_id;
	u32 epoch_seconds;
	time64_t expires;	/* CLOCK_REALTIME seconds; 0: never */

	spinlock_t lock;	/* the data path's: what follows */
	bool revoked;		/* keys wiped: nothing verifies any more */
	bool started;		/* a datagram of @epoch verified */
	bool have_next;		/* @next_key is the key of @epoch + 1 */
	u32 epoch;		/* the device's current epoch */
	u64 epoch_start_ns;	/* boottime of its first verified datagram */
	u64 counter_max;	/* the highest counter of @epoch accepted */
	u64 window[IOTGUARD_REPLAY_WORDS];
	u8 root[IOTGUARD_WIRE_KEY_LEN];
	u8 key[IOTGUARD_WIRE_KEY_LEN];		/* of @epoch */
	u8 next_key[IOTGUARD_WIRE_KEY_LEN];
};

void iotguard_cred_derive(u8 *out, const u8 *key, size_t keylen,
			  const char *label, size_t label_len,
			  const u8 *suffix);
unsigned int iotguard_cred_pseudo(u8 *out,
				  const struct iotguard_wire_trailer *tr,
				  u8 ipver, __be16 sport, __be16 dport,
				  const u8 *saddr, const u8 *daddr);
int iotguard_cred_init(void);
void iotguard_cred_exit(void);

struct iotguard_cred *iotguard_cred_new(u8 mode, const u8 *root, u32 epoch,
					time64_t expires, u32 epoch_seconds);
void iotguard_cred_get(struct iotguard_cred *cred);
void iotguard_cred_put(struct iotguard_cred *cred);
void iotguard_cred_revoke(struct iotguard_cred *cred);
u32 iotguard_cred_epoch(const struct iotguard_cred *cred);
int iotguard_cred_open(struct iotguard_cred *cred, struct xdp_buff *xdp,
		       unsigned int l3_off, unsigned int l4_off);

#endif /* _IOTGUARD_CRED_H */
