// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The iotguard authors.
 *
 * One-time enrollment (Documentation/protocol.rst, "Enrollment"): the codes
 * an operator hands to devices, and the router's answer to a device's
 * hello, the welcome, which carries the device's new root key sealed under
 * the code's key. The router's daemon only carries the datagrams: the
 * checks, the codes' keys and the root keys stay in the module. All of it
 * runs from netlink, under the namespace's table lock.
 */

#include "enroll.h"
#include "cred.h"
#include "device.h"

#include <crypto/algapi.h>
#include <crypto/chacha20poly1305.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/netlink.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <uapi/linux/iotguard.h>

/*
 * An expired code is kept this long, so that a late hello is told (and
 * alerted on) as late rather than unknown.
 */
#define KEEP_EXPIRED_NS (3600ULL * NSEC_PER_SEC)

struct code {
	struct list_head node;		/* in iotguard_net.codes */
	u32 id;
	u32 index;			/* the device's, with its cookie */
	u32 cookie;
	u64 expires_ns;			/* boottime */
	struct iotguard_enroll_grant grant;
	bool used;
	/* The hello that used it, and the answer, for a retransmit. */
	struct iotguard_enroll_flow flow;
	u8 nonce[IOTGUARD_WIRE_NONCE_LEN];
	u8 welcome[IOTGUARD_ENROLL_WELCOME_LEN];
	u8 key[IOTGUARD_WIRE_KEY_LEN];	/* the code's: its secret is not kept */
};

void iotguard_enroll_net_init(struct iotguard_net *in)
{
	INIT_LIST_HEAD(&in->codes);
	in->enroll_window = jiffies;
}

static void code_free(struct iotguard_net *in, struct code *code)
{
	list_del(&code->node);
	in->ncodes--;
	kfree_sensitive(code);
}

void iotguard_enroll_net_exit(struct iotguard_net *in)
{
	struct code *code, *tmp;

	list_for_each_entry_safe(code, tmp, &in->codes, node)
		code_free(in, code);
}

/* Frees the codes expired for longer than keep_ns. */
static void expire(struct iotguard_net *in, u64 keep_ns)
{
	u64 now = ktime_get_boottime_ns();
	struct code *code, *tmp;

	list_for_each_entry_safe(code, tmp, &in->codes, node)
		if (now >= code->expires_ns + keep_ns)
			code_free(in, code);
}

static struct code *find(struct iotguard_net *in, u32 id)
{
	struct code *code;

	list_for_each_entry(code, &in->codes, node)
		if (code->id == id)
			return code;
	return NULL;
}

/* code_key = BLAKE2s-256(key = secret, "iotguard-v1 code" || BE32(id)) */
static void derive_code_key(u8 *key, const u8 *secret, u32 id)
{
	__be32 be = cpu_to_be32(id);

	iotguard_cred_derive(key, secret, IOTGUARD_WIRE_CODE_SECRET_LEN,
			     IOTGUARD_WIRE_CODE_LABEL,
			     IOTGUARD_WIRE_CODE_LABEL_LEN, (const u8 *)&be);
}

/**
 * iotguard_enroll_new - make a one-time code for a device
 * @in: the device's table, whose lock the caller holds
 * @dev: the device
 * @grant: the credential the code gives, and how long it is good for
 * @text: IOTGUARD_ENROLL_CODE_SIZE bytes: the code, as the device takes it
 * @id: the code's id
 * @extack: why it failed
 *
 * Return: 0, -ENOSPC when IOTGUARD_ENROLL_CODES_MAX codes wait, -ENOMEM.
 */
int iotguard_enroll_new(struct iotguard_net *in,
			const struct iotguard_device *dev,
			const struct iotguard_enroll_grant *grant, char *text,
			u32 *id, struct netlink_ext_ack *extack)
{
	u8 secret[IOTGUARD_WIRE_CODE_SECRET_LEN];
	struct code *code;

	lockdep_assert_held(&in->lock);

	expire(in, KEEP_EXPIRED_NS);
	if (in->ncodes >= IOTGUARD_ENROLL_CODES_MAX)
		expire(in, 0);
	if (in->ncodes >= IOTGUARD_ENROLL_CODES_MAX) {
		NL_SET_ERR_MSG(extack,
			       "Too many enrollment codes waiting (IOTGUARD_ENROLL_CODES_MAX)");
		return -ENOSPC;
	}
	code = kzalloc(sizeof(*code), GFP_KERNEL_ACCOUNT);
	if (!code)
		return -ENOMEM;
	do
		code->id = get_random_u32();
	while (find(in, code->id));
	get_random_bytes(secret, sizeof(secret));
	derive_code_key(code->key, secret, code->id);
	snprintf(text, IOTGUARD_ENROLL_CODE_SIZE,
		 IOTGUARD_WIRE_CODE_PREFIX "%08x-%*phN", code->id,
		 (int)sizeof(secret), secret);
	memzero_explicit(secret, sizeof(secret));
	code->index = dev->index;
	code->cookie = dev->cookie;
	code->grant = *grant;
	code->expires_ns = ktime_get_boottime_ns() +
			   (u64)grant->ttl * NSEC_PER_SEC;
	list_add(&code->node, &in->codes);
	in->ncodes++;
	*id = code->id;
	return 0;
}

/* The associated data of the hello (back: of the welcome, the other way). */
static unsigned int put_pseudo(u8 *out, const struct iotguard_wire_trailer *tr,
			       const struct iotguard_enroll_flow *flow,
			       bool back)
{
	u8 ipver = flow->alen == 4 ? 4 : 6;

	if (back)
		return iotguard_cred_pseudo(out, tr, ipver, flow->dport,
					    flow->sport, flow->daddr,
					    flow->saddr);
	return iotguard_cred_pseudo(out, tr, ipver, flow->sport, flow->dport,
				    flow->saddr, flow->daddr);
}

static bool same_flow(const struct iotguard_enroll_flow *a,
		      const struct iotguard_enroll_flow *b)
{
	return a->alen == b->alen && a->sport == b->sport &&
	       a->dport == b->dport && !memcmp(a->saddr, b->saddr, a->alen) &&
	       !memcmp(a->daddr, b->daddr, a->alen);
}

/*
 * The welcome: a seal datagram, counter 1, whose body is the root key,
 * the credential's expiry, mode and epoch length, and the device's nonce.
 */
static void make_welcome(struct code *code, const u8 *root)
{
	struct iotguard_wire_trailer *tr = (struct iotguard_wire_trailer *)
		(code->welcome + IOTGUARD_WIRE_WELCOME_LEN);
	u8 sealed[IOTGUARD_WIRE_WELCOME_LEN + IOTGUARD_WIRE_TAG_LEN];
	u8 body[IOTGUARD_WIRE_WELCOME_LEN] = {};
	u8 ad[IOTGUARD_WIRE_PSEUDO_MAX];
	__be64 expires = cpu_to_be64(code->grant.expires);
	__be32 seconds = cpu_to_be32(code->grant.epoch_seconds);
	unsigned int ad_len;

	memcpy(body, root, IOTGUARD_WIRE_KEY_LEN);
	memcpy(body + 32, &expires, sizeof(expires));
	body[40] = code->grant.mode;
	memcpy(body + 44, &seconds, sizeof(seconds));
	memcpy(body + 48, code->nonce, IOTGUARD_WIRE_NONCE_LEN);

	memset(tr, 0, sizeof(*tr));
	tr->version = IOTGUARD_WIRE_VERSION;
	tr->mode = IOTGUARD_WIRE_MODE_SEAL;
	tr->epoch = cpu_to_be32(code->id);
	tr->counter = cpu_to_le64(1);
	ad_len = put_pseudo(ad, tr, &code->flow, true);
	chacha20poly1305_encrypt(sealed, body, sizeof(body), ad, ad_len, 1,
				 code->key);
	memcpy(code->welcome, sealed, IOTGUARD_WIRE_WELCOME_LEN);
	memcpy(tr->tag, sealed + IOTGUARD_WIRE_WELCOME_LEN,
	       IOTGUARD_WIRE_TAG_LEN);
	memzero_explicit(body, sizeof(body));
	memzero_explicit(sealed, sizeof(sealed));
}

/*
 * Failed hellos are held to IOTGUARD_ENROLL_FAILS_PER_SEC a second: a
 * guesser gets that many tries, however fast it sends.
 */
static bool over_budget(struct iotguard_net *in)
{
	if (time_after(jiffies, in->enroll_window + HZ)) {
		in->enroll_window = jiffies;
		in->enroll_fails = 0;
	}
	return in->enroll_fails >= IOTGUARD_ENROLL_FAILS_PER_SEC;
}

static int fail(struct iotguard_net *in, int err)
{
	in->enroll_fails++;
	return err;
}

/* A credential with a fresh root key, in place of the device's. */
static int give_credential(struct iotguard_net *in, struct code *code,
			   struct iotguard_device *old,
			   struct iotguard_device **devp)
{
	u8 root[IOTGUARD_WIRE_KEY_LEN];
	struct iotguard_device *new;
	struct iotguard_cred *cred;
	int ret;

	new = iotguard_device_clone(old);
	if (!new)
		return -ENOMEM;
	get_random_bytes(root, sizeof(root));
	cred = iotguard_cred_new(code->grant.mode, root, 0,
				 code->grant.expires,
				 code->grant.epoch_seconds);
	if (!cred) {
		ret = -ENOMEM;
		goto err_free;
	}
	iotguard_cred_put(new->cred);
	new->cred = cred;
	new->cred_revoked = false;
	ret = iotguard_device_replace(in, old, new);
	if (ret)
		goto err_free;
	make_welcome(code, root);
	memzero_explicit(root, sizeof(root));
	*devp = new;
	return 0;

err_free:
	memzero_explicit(root, sizeof(root));
	iotguard_device_free(new);
	return ret;
}

/**
 * iotguard_enroll_hello - answer a device's hello
 * @in: the table, whose lock the caller holds
 * @flow: where the hello came from and went to
 * @hello: its UDP payload, IOTGUARD_ENROLL_HELLO_LEN bytes
 * @welcome: IOTGUARD_ENROLL_WELCOME_LEN bytes: the answer's UDP payload
 * @devp: the code's device, when the code names one still enrolled (for
 *	the caller's event or alert); NULL else
 * @extack: why it failed
 *
 * Return: 0 when the device got a new credential, 1 when the same hello
 * came again and gets the same welcome, or a negative error (UAPI).
 */
int iotguard_enroll_hello(struct iotguard_net *in,
			  const struct iotguard_enroll_flow *flow,
			  const u8 *hello, u8 *welcome,
			  struct iotguard_device **devp,
			  struct netlink_ext_ack *extack)
{
	const struct iotguard_wire_trailer *tr =
		(const void *)(hello + IOTGUARD_WIRE_NONCE_LEN);
	u8 ad[IOTGUARD_WIRE_PSEUDO_MAX + IOTGUARD_WIRE_NONCE_LEN];
	u8 tag[IOTGUARD_WIRE_TAG_LEN];
	struct iotguard_device *dev;
	unsigned int ad_len;
	struct code *code;
	int ret;

	lockdep_assert_held(&in->lock);
	*devp = NULL;

	if (over_budget(in)) {
		NL_SET_ERR_MSG(extack,
			       "Too many failed hellos this second: try again later");
		return -EBUSY;
	}
	expire(in, KEEP_EXPIRED_NS);
	if (tr->version != IOTGUARD_WIRE_VERSION ||
	    tr->mode != IOTGUARD_WIRE_MODE_AUTH || tr->zero[0] ||
	    tr->zero[1] || tr->counter) {
		NL_SET_ERR_MSG(extack, "Not a hello of protocol version 1");
		return fail(in, -EBADMSG);
	}
	code = find(in, be32_to_cpu(tr->epoch));
	if (!code) {
		NL_SET_ERR_MSG(extack, "No such enrollment code");
		return fail(in, -ENOENT);
	}
	dev = xa_load(&in->by_index, code->index);
	if (dev && dev->cookie == code->cookie)
		*devp = dev;
	if (ktime_get_boottime_ns() >= code->expires_ns) {
		NL_SET_ERR_MSG(extack, "The enrollment code expired");
		return fail(in, -ETIMEDOUT);
	}

	ad_len = put_pseudo(ad, tr, flow, false);
	memcpy(ad + ad_len, hello, IOTGUARD_WIRE_NONCE_LEN);
	ad_len += IOTGUARD_WIRE_NONCE_LEN;
	memcpy(tag, tr->tag, sizeof(tag));
	if (!chacha20poly1305_decrypt(tag, tag, sizeof(tag), ad, ad_len, 0,
				      code->key)) {
		NL_SET_ERR_MSG(extack,
			       "The hello does not verify: a mistyped or forged code");
		return fail(in, -EBADMSG);
	}

	if (code->used) {
		/* The welcome was lost: the same hello gets it again. */
		if (!crypto_memneq(code->nonce, hello, IOTGUARD_WIRE_NONCE_LEN) &&
		    same_flow(&code->flow, flow)) {
			memcpy(welcome, code->welcome, sizeof(code->welcome));
			return 1;
		}
		NL_SET_ERR_MSG(extack, "The enrollment code was used already");
		return fail(in, -EALREADY);
	}
	if (!*devp) {
		NL_SET_ERR_MSG(extack, "The code's device is no longer enrolled");
		return fail(in, -ENODEV);
	}

	memcpy(code->nonce, hello, IOTGUARD_WIRE_NONCE_LEN);
	code->flow = *flow;
	ret = give_credential(in, code, *devp, devp);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Unable to give the device its credential");
		return ret;
	}
	code->used = true;
	memcpy(welcome, code->welcome, sizeof(code->welcome));
	return 0;
}
