// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The iotguard authors.
 *
 * Device credentials at the edge: the check of a protected datagram's
 * trailer (Documentation/protocol.rst, "What the edge checks"), its epochs
 * and its replay window, and the removal of the trailer. The XDP program
 * calls iotguard_cred_open() through the kfunc iotguard_xdp_cred_open(),
 * after the device's lookup and rate limit: a flood of bogus trailers
 * costs one tag check per frame the device's rate lets through.
 */

#include "cred.h"

#include <crypto/algapi.h>
#include <crypto/blake2s.h>
#include <crypto/chacha20poly1305.h>
#include <linux/bottom_half.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip6_checksum.h>
#include <net/xdp.h>
#include <iotguard/kfunc.h>
#include <uapi/linux/iotguard.h>

#define KEY_ID_LABEL "iotguard-v1 key id"

/*
 * Each CPU's room for the associated data (the pseudo-header, and an auth
 * body) or a sealed body and its tag: the AEAD of the kernel's library
 * takes each in one piece. An XDP frame's linear part is smaller.
 */
#define SCRATCH_LEN 4096
#define BODY_MAX (SCRATCH_LEN - IOTGUARD_WIRE_PSEUDO_MAX - \
		  IOTGUARD_WIRE_TAG_LEN)

struct scratch {
	u8 buf[SCRATCH_LEN];
};

static struct scratch __percpu *scratch;

int __init iotguard_cred_init(void)
{
	scratch = alloc_percpu(struct scratch);
	return scratch ? 0 : -ENOMEM;
}

void iotguard_cred_exit(void)
{
	free_percpu(scratch);
}

/* Newer kernels renamed the BLAKE2s context (Kbuild checks); calls stayed. */
#ifdef IOTGUARD_HAVE_BLAKE2S_CTX
#define blake2s_context blake2s_ctx
#else
#define blake2s_context blake2s_state
#endif

/**
 * iotguard_cred_derive - a key of the protocol's: keyed BLAKE2s-256
 * @out: IOTGUARD_WIRE_KEY_LEN bytes
 * @key: the key it is derived from, keylen bytes (at most 32)
 * @keylen: its length
 * @label: the protocol's label for it, label_len bytes, no NUL
 * @label_len: its length
 * @suffix: 4 bytes after the label (an epoch, a code's id), or NULL
 */
void iotguard_cred_derive(u8 *out, const u8 *key, size_t keylen,
			  const char *label, size_t label_len,
			  const u8 *suffix)
{
	struct blake2s_context ctx;

	blake2s_init_key(&ctx, IOTGUARD_WIRE_KEY_LEN, key, keylen);
	blake2s_update(&ctx, label, label_len);
	if (suffix)
		blake2s_update(&ctx, suffix, 4);
	blake2s_final(&ctx, out);
}

/* protocol.rst, "Keys and epochs": the epoch in little endian. */
static void derive_epoch_key(u8 *out, const u8 *root, u32 epoch)
{
	__le32 e = cpu_to_le32(epoch);

	iotguard_cred_derive(out, root, IOTGUARD_WIRE_KEY_LEN,
			     IOTGUARD_WIRE_EPOCH_LABEL,
			     IOTGUARD_WIRE_EPOCH_LABEL_LEN, (const u8 *)&e);
}

/* Tells keys apart in dumps without a way back to them (UAPI). */
static u32 key_id(const u8 *root)
{
	u8 hash[BLAKE2S_HASH_SIZE];
	u32 id;

	iotguard_cred_derive(hash, root, IOTGUARD_WIRE_KEY_LEN, KEY_ID_LABEL,
			     sizeof(KEY_ID_LABEL) - 1, NULL);
	id = (u32)hash[0] << 24 | (u32)hash[1] << 16 | (u32)hash[2] << 8 |
	     hash[3];
	memzero_explicit(hash, sizeof(hash));
	return id;
}

/* Charged to the memory cgroup of whoever sets it, as the device is. */
struct iotguard_cred *iotguard_cred_new(u8 mode, const u8 *root, u32 epoch,
					time64_t expires, u32 epoch_seconds)
{
	struct iotguard_cred *cred;

	cred = kzalloc(sizeof(*cred), GFP_KERNEL_ACCOUNT);
	if (!cred)
		return NULL;
	refcount_set(&cred->refs, 1);
	spin_lock_init(&cred->lock);
	cred->mode = mode;
	cred->expires = expires;
	cred->epoch_seconds = epoch_seconds;
	memcpy(cred->root, root, sizeof(cred->root));
	cred->key_id = key_id(root);
	cred->epoch = epoch;
	derive_epoch_key(cred->key, root, epoch);
	return cred;
}

void iotguard_cred_get(struct iotguard_cred *cred)
{
	if (cred)
		refcount_inc(&cred->refs);
}

/* From an RCU callback too: the last put frees without sleeping. */
void iotguard_cred_put(struct iotguard_cred *cred)
{
	if (cred && refcount_dec_and_test(&cred->refs))
		kfree_sensitive(cred);
}

/*
 * The keys go at once, not after the grace period that frees the
 * credential: a datagram checked from now on finds them gone.
 */
void iotguard_cred_revoke(struct iotguard_cred *cred)
{
	spin_lock_bh(&cred->lock);
	cred->revoked = true;
	memzero_explicit(cred->root, sizeof(cred->root));
	memzero_explicit(cred->key, sizeof(cred->key));
	memzero_explicit(cred->next_key, sizeof(cred->next_key));
	spin_unlock_bh(&cred->lock);
}

/* For dumps: a moment's value is all they need. */
u32 iotguard_cred_epoch(const struct iotguard_cred *cred)
{
	return READ_ONCE(cred->epoch);
}

/* Caller holds cred->lock. Seen already, or older than the window? */
static bool window_refuses(const struct iotguard_cred *cred, u64 counter)
{
	if (!cred->started || counter > cred->counter_max)
		return false;
	if (cred->counter_max - counter >= IOTGUARD_REPLAY_WINDOW)
		return true;
	return cred->window[(counter >> 6) & (IOTGUARD_REPLAY_WORDS - 1)] &
	       BIT_ULL(counter & 63);
}

/* Caller holds cred->lock and checked window_refuses(). */
static void window_accept(struct iotguard_cred *cred, u64 counter)
{
	u64 top = cred->counter_max >> 6, word = counter >> 6, i, gap;

	if (!cred->started) {
		memset(cred->window, 0, sizeof(cred->window));
		cred->counter_max = counter;
		cred->started = true;
		cred->epoch_start_ns = ktime_get_boottime_ns();
	} else if (counter > cred->counter_max) {
		/* The words the top moves over are forgotten. */
		gap = min_t(u64, word - top, IOTGUARD_REPLAY_WORDS);
		for (i = 1; i <= gap; i++)
			cred->window[(top + i) & (IOTGUARD_REPLAY_WORDS - 1)] = 0;
		cred->counter_max = counter;
	}
	cred->window[word & (IOTGUARD_REPLAY_WORDS - 1)] |=
		BIT_ULL(counter & 63);
}

/* Caller holds cred->lock. Has the current epoch lasted its time? */
static bool epoch_expired(const struct iotguard_cred *cred)
{
	return cred->started &&
	       ktime_get_boottime_ns() - cred->epoch_start_ns >
	       (u64)cred->epoch_seconds * NSEC_PER_SEC;
}

/*
 * Steps 3 and 4 of the check: copies the key of @epoch to @key, or says
 * why the datagram is refused before any tag is checked.
 */
static int choose_key(struct iotguard_cred *cred, u32 epoch, u64 counter,
		      u8 *key)
{
	int ret = IOTGUARD_CRED_OK;

	spin_lock_bh(&cred->lock);
	if (cred->revoked) {
		ret = IOTGUARD_CRED_REVOKED;
	} else if (epoch == cred->epoch) {
		if (epoch_expired(cred))
			ret = IOTGUARD_CRED_EXPIRED;
		else if (window_refuses(cred, counter))
			ret = IOTGUARD_CRED_REPLAY;
		else
			memcpy(key, cred->key, IOTGUARD_WIRE_KEY_LEN);
	} else if (epoch == cred->epoch + 1 && epoch) {
		if (!cred->have_next) {
			derive_epoch_key(cred->next_key, cred->root, epoch);
			cred->have_next = true;
		}
		memcpy(key, cred->next_key, IOTGUARD_WIRE_KEY_LEN);
	} else {
		ret = IOTGUARD_CRED_BAD_TAG;
	}
	spin_unlock_bh(&cred->lock);
	return ret;
}

/*
 * Step 6, once the tag verified: the first datagram of the next epoch makes
 * it current. Checked again, as another CPU may have accepted the same
 * counter, or moved the epoch on, since choose_key().
 */
static int accept(struct iotguard_cred *cred, u32 epoch, u64 counter)
{
	int ret = IOTGUARD_CRED_OK;

	spin_lock_bh(&cred->lock);
	if (cred->revoked) {
		ret = IOTGUARD_CRED_REVOKED;
	} else if (epoch == cred->epoch + 1 && epoch && cred->have_next) {
		cred->epoch = epoch;
		memcpy(cred->key, cred->next_key, sizeof(cred->key));
		memzero_explicit(cred->next_key, sizeof(cred->next_key));
		cred->have_next = false;
		cred->started = false;
		window_accept(cred, counter);
	} else if (epoch != cred->epoch) {
		ret = IOTGUARD_CRED_BAD_TAG;
	} else if (window_refuses(cred, counter)) {
		ret = IOTGUARD_CRED_REPLAY;
	} else {
		window_accept(cred, counter);
	}
	spin_unlock_bh(&cred->lock);
	return ret;
}

/* Where a datagram is in a frame, checked against the frame. */
struct datagram {
	u8 *l3;
	struct udphdr *udp;
	u8 *body;
	unsigned int body_len;
	u8 ipver;
};

/*
 * The datagram must be whole and end the frame, so that the trailer is
 * the frame's last bytes. The program parsed the headers; the module does
 * not trust offsets it is given.
 */
static bool find_datagram(struct xdp_buff *xdp, unsigned int l3_off,
			  unsigned int l4_off, struct datagram *dg)
{
	u8 *data = xdp->data, *end = xdp->data_end;
	unsigned int len = end - data, ulen;

	if (xdp_buff_has_frags(xdp) || l3_off >= l4_off ||
	    l4_off + sizeof(struct udphdr) > len)
		return false;
	dg->l3 = data + l3_off;
	dg->udp = (struct udphdr *)(data + l4_off);
	dg->ipver = dg->l3[0] >> 4;
	if (dg->ipver == 4) {
		const struct iphdr *iph = (const struct iphdr *)dg->l3;

		if (l4_off - l3_off < sizeof(*iph) ||
		    iph->ihl * 4 != l4_off - l3_off ||
		    iph->protocol != IPPROTO_UDP ||
		    (iph->frag_off & htons(IP_MF | IP_OFFSET)) ||
		    l3_off + ntohs(iph->tot_len) != len)
			return false;
	} else if (dg->ipver == 6) {
		const struct ipv6hdr *ip6h = (const struct ipv6hdr *)dg->l3;

		if (l4_off - l3_off < sizeof(*ip6h) ||
		    l3_off + sizeof(*ip6h) + ntohs(ip6h->payload_len) != len)
			return false;
	} else {
		return false;
	}
	ulen = ntohs(dg->udp->len);
	if (l4_off + ulen != len ||
	    ulen < sizeof(struct udphdr) + IOTGUARD_WIRE_TRAILER_LEN)
		return false;
	dg->body = (u8 *)(dg->udp + 1);
	dg->body_len = ulen - sizeof(struct udphdr) - IOTGUARD_WIRE_TRAILER_LEN;
	return dg->body_len <= BODY_MAX;
}

/**
 * iotguard_cred_pseudo - the associated data of a datagram's tag
 * @out: IOTGUARD_WIRE_PSEUDO_MAX bytes
 * @tr: the trailer, whose first IOTGUARD_WIRE_PREFIX_LEN bytes lead it
 * @ipver: 4 or 6
 * @sport: source port, as on the wire
 * @dport: destination port
 * @saddr: source address, 4 or 16 bytes by @ipver
 * @daddr: destination address
 *
 * protocol.rst, "A protected datagram". Return: its length.
 */
unsigned int iotguard_cred_pseudo(u8 *out,
				  const struct iotguard_wire_trailer *tr,
				  u8 ipver, __be16 sport, __be16 dport,
				  const u8 *saddr, const u8 *daddr)
{
	unsigned int alen = ipver == 4 ? 4 : 16, n = IOTGUARD_WIRE_PREFIX_LEN;

	memcpy(out, tr, IOTGUARD_WIRE_PREFIX_LEN);
	out[n++] = ipver;
	out[n++] = 0;
	memcpy(out + n, &sport, sizeof(sport));
	memcpy(out + n + 2, &dport, sizeof(dport));
	n += 4;
	memcpy(out + n, saddr, alen);
	memcpy(out + n + alen, daddr, alen);
	return n + 2 * alen;
}

static unsigned int put_pseudo(u8 *out, const struct datagram *dg,
			       const struct iotguard_wire_trailer *tr)
{
	const u8 *saddr, *daddr;

	if (dg->ipver == 4) {
		saddr = (const u8 *)&((const struct iphdr *)dg->l3)->saddr;
		daddr = (const u8 *)&((const struct iphdr *)dg->l3)->daddr;
	} else {
		saddr = (const u8 *)&((const struct ipv6hdr *)dg->l3)->saddr;
		daddr = (const u8 *)&((const struct ipv6hdr *)dg->l3)->daddr;
	}
	return iotguard_cred_pseudo(out, tr, dg->ipver, dg->udp->source,
				    dg->udp->dest, saddr, daddr);
}

/* The datagram without its trailer: lengths and checksums. */
static void shorten(const struct datagram *dg)
{
	unsigned int ulen = ntohs(dg->udp->len) - IOTGUARD_WIRE_TRAILER_LEN;
	bool had_csum = dg->udp->check;
	__wsum sum;

	dg->udp->len = htons(ulen);
	dg->udp->check = 0;
	if (dg->ipver == 4) {
		struct iphdr *iph = (struct iphdr *)dg->l3;

		iph->tot_len = htons(ntohs(iph->tot_len) -
				     IOTGUARD_WIRE_TRAILER_LEN);
		iph->check = 0;
		iph->check = ip_fast_csum(iph, iph->ihl);
		/* An IPv4 datagram sent without a checksum stays so. */
		if (!had_csum)
			return;
		sum = csum_partial(dg->udp, ulen, 0);
		dg->udp->check = csum_tcpudp_magic(iph->saddr, iph->daddr,
						   ulen, IPPROTO_UDP, sum);
	} else {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)dg->l3;

		ip6h->payload_len = htons(ntohs(ip6h->payload_len) -
					  IOTGUARD_WIRE_TRAILER_LEN);
		sum = csum_partial(dg->udp, ulen, 0);
		dg->udp->check = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr,
						 ulen, IPPROTO_UDP, sum);
	}
	if (!dg->udp->check)
		dg->udp->check = CSUM_MANGLED_0;
}

/*
 * The tag (step 5), in this CPU's scratch: auth takes the pseudo-header
 * and the body as associated data and an empty plaintext; seal the
 * pseudo-header alone, and opens the body into the scratch, where *plain
 * points then. Bottom halves off: a test run is not in softirq, and the
 * scratch is this CPU's.
 */
static bool check_tag(struct iotguard_cred *cred, const struct datagram *dg,
		      const struct iotguard_wire_trailer *tr, u64 counter,
		      const u8 *key, u8 *buf, const u8 **plain)
{
	unsigned int ad_len = put_pseudo(buf, dg, tr);
	u8 *src;

	if (cred->mode == IOTGUARD_CRED_AUTH) {
		memcpy(buf + ad_len, dg->body, dg->body_len);
		ad_len += dg->body_len;
		src = buf + ad_len;
		memcpy(src, tr->tag, IOTGUARD_WIRE_TAG_LEN);
		return chacha20poly1305_decrypt(src, src, IOTGUARD_WIRE_TAG_LEN,
						buf, ad_len, counter, key);
	}
	src = buf + ad_len;
	memcpy(src, dg->body, dg->body_len);
	memcpy(src + dg->body_len, tr->tag, IOTGUARD_WIRE_TAG_LEN);
	*plain = src;
	return chacha20poly1305_decrypt(src, src,
					dg->body_len + IOTGUARD_WIRE_TAG_LEN,
					buf, ad_len, counter, key);
}

/**
 * iotguard_cred_open - check, open and strip a protected datagram
 * @cred: its device's credential
 * @xdp: the frame
 * @l3_off: offset of its IP header
 * @l4_off: offset of its UDP header
 *
 * Under RCU, in any context but hard interrupts. On success the IP and UDP
 * headers say the datagram is IOTGUARD_WIRE_TRAILER_LEN bytes shorter and
 * a sealed body is in the clear; the caller cuts the frame's end. On
 * failure nothing in the frame changed.
 *
 * Return: enum iotguard_cred_result.
 */
int iotguard_cred_open(struct iotguard_cred *cred, struct xdp_buff *xdp,
		       unsigned int l3_off, unsigned int l4_off)
{
	struct iotguard_wire_trailer tr;
	u8 key[IOTGUARD_WIRE_KEY_LEN];
	const u8 *plain = NULL;
	struct datagram dg;
	u32 epoch;
	u64 counter;
	bool valid;
	int ret;

	if (!find_datagram(xdp, l3_off, l4_off, &dg))
		return IOTGUARD_CRED_BAD_TAG;
	memcpy(&tr, dg.body + dg.body_len, sizeof(tr));
	if (tr.version != IOTGUARD_WIRE_VERSION || tr.mode != cred->mode ||
	    tr.zero[0] || tr.zero[1])
		return IOTGUARD_CRED_BAD_TAG;
	counter = le64_to_cpu(tr.counter);
	epoch = be32_to_cpu(tr.epoch);
	if (counter > IOTGUARD_WIRE_COUNTER_MAX)
		return IOTGUARD_CRED_BAD_TAG;
	if (cred->expires && ktime_get_real_seconds() >= cred->expires)
		return IOTGUARD_CRED_EXPIRED;

	ret = choose_key(cred, epoch, counter, key);
	if (ret)
		return ret;

	local_bh_disable();
	valid = check_tag(cred, &dg, &tr, counter, key,
			  this_cpu_ptr(scratch)->buf, &plain);
	memzero_explicit(key, sizeof(key));
	if (!valid) {
		ret = IOTGUARD_CRED_BAD_TAG;
		goto out;
	}
	ret = accept(cred, epoch, counter);
	if (ret)
		goto out;
	if (plain)
		memcpy(dg.body, plain, dg.body_len);
	shorten(&dg);
out:
	local_bh_enable();
	return ret;
}
