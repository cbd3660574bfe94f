// SPDX-License-Identifier: MIT
/*
 * libiotguard-device: Documentation/protocol.rst, in a device's terms.
 * Freestanding: no libc, no allocation; crypto.h's backend does the
 * cryptography.
 */
#include "iotguard_device.h"
#include "crypto.h"

static void copy(uint8_t *dst, const uint8_t *src, size_t n)
{
	while (n--)
		*dst++ = *src++;
}

static int valid_mode(uint8_t mode)
{
	return mode == IOTGUARD_WIRE_MODE_AUTH ||
	       mode == IOTGUARD_WIRE_MODE_SEAL;
}

static int valid_flow(const struct iotguard_dev_flow *flow)
{
	return flow && (flow->family == 4 || flow->family == 6);
}

int iotguard_dev_epoch_key(uint8_t *key, const uint8_t *root,
			   uint32_t epoch)
{
	uint8_t msg[IOTGUARD_WIRE_EPOCH_LABEL_LEN + 4];

	copy(msg, (const uint8_t *)IOTGUARD_WIRE_EPOCH_LABEL,
	     IOTGUARD_WIRE_EPOCH_LABEL_LEN);
	msg[IOTGUARD_WIRE_EPOCH_LABEL_LEN] = epoch;
	msg[IOTGUARD_WIRE_EPOCH_LABEL_LEN + 1] = epoch >> 8;
	msg[IOTGUARD_WIRE_EPOCH_LABEL_LEN + 2] = epoch >> 16;
	msg[IOTGUARD_WIRE_EPOCH_LABEL_LEN + 3] = epoch >> 24;
	return iotguard_dev_blake2s(key, root, IOTGUARD_WIRE_KEY_LEN, msg,
				    sizeof(msg)) ?
	       -IOTGUARD_DEV_EINVAL : 0;
}

int iotguard_dev_init(struct iotguard_dev *dev, const uint8_t *root,
		      uint8_t mode, uint32_t epoch, uint64_t counter)
{
	if (!dev || !root || !valid_mode(mode) ||
	    counter > IOTGUARD_WIRE_COUNTER_MAX)
		return -IOTGUARD_DEV_EINVAL;
	copy(dev->root, root, sizeof(dev->root));
	dev->mode = mode;
	dev->epoch = epoch;
	dev->counter = counter;
	return iotguard_dev_epoch_key(dev->epoch_key, dev->root, epoch);
}

int iotguard_dev_next_epoch(struct iotguard_dev *dev)
{
	if (!dev || dev->epoch == UINT32_MAX)
		return -IOTGUARD_DEV_EINVAL;
	dev->epoch++;
	dev->counter = 0;
	return iotguard_dev_epoch_key(dev->epoch_key, dev->root, dev->epoch);
}

/* The trailer's first 8 bytes. */
static void prefix(uint8_t *p, uint8_t mode, uint32_t epoch)
{
	p[0] = IOTGUARD_WIRE_VERSION;
	p[1] = mode;
	p[2] = 0;
	p[3] = 0;
	p[4] = epoch >> 24;
	p[5] = epoch >> 16;
	p[6] = epoch >> 8;
	p[7] = epoch;
}

/* The pseudo-header after a prefix; returns its length. */
static size_t pseudo(uint8_t *p, const uint8_t *pfx,
		     const struct iotguard_dev_flow *flow)
{
	size_t alen = flow->family == 4 ? 4 : 16;

	copy(p, pfx, IOTGUARD_WIRE_PREFIX_LEN);
	p += IOTGUARD_WIRE_PREFIX_LEN;
	p[0] = flow->family;
	p[1] = 0;
	p[2] = flow->sport >> 8;
	p[3] = flow->sport;
	p[4] = flow->dport >> 8;
	p[5] = flow->dport;
	copy(p + 6, flow->saddr, alen);
	copy(p + 6 + alen, flow->daddr, alen);
	return IOTGUARD_WIRE_PREFIX_LEN + 6 + 2 * alen;
}

int iotguard_dev_protect(struct iotguard_dev *dev,
			 const struct iotguard_dev_flow *flow, uint8_t *buf,
			 size_t len, size_t cap, size_t *out_len)
{
	uint8_t ph[IOTGUARD_WIRE_PSEUDO_MAX], *trailer;
	struct iotguard_dev_ad ad[2];
	uint64_t counter;
	size_t nad = 1, i;
	int sealed;

	if (!dev || !valid_mode(dev->mode) || !valid_flow(flow) || !buf ||
	    !out_len)
		return -IOTGUARD_DEV_EINVAL;
	if (cap < IOTGUARD_WIRE_TRAILER_LEN ||
	    len > cap - IOTGUARD_WIRE_TRAILER_LEN)
		return -IOTGUARD_DEV_ENOSPC;
	if (dev->counter > IOTGUARD_WIRE_COUNTER_MAX)
		return -IOTGUARD_DEV_EOVERFLOW;

	counter = dev->counter;
	trailer = buf + len;
	prefix(trailer, dev->mode, dev->epoch);
	ad[0].data = ph;
	ad[0].len = pseudo(ph, trailer, flow);
	sealed = dev->mode == IOTGUARD_WIRE_MODE_SEAL;
	if (!sealed) {
		ad[1].data = buf;
		ad[1].len = len;
		nad = 2;
	}
	if (iotguard_dev_aead_seal(dev->epoch_key, counter, ad, nad, buf,
				   sealed ? len : 0, trailer + 16))
		return -IOTGUARD_DEV_EINVAL;
	for (i = 0; i < 8; i++)
		trailer[8 + i] = counter >> (8 * i);
	/* Used, even if the caller never sends it: a nonce is used once. */
	dev->counter++;
	*out_len = len + IOTGUARD_WIRE_TRAILER_LEN;
	return 0;
}

int iotguard_dev_open(const uint8_t *key, uint8_t mode,
		      const struct iotguard_dev_flow *flow, uint8_t *buf,
		      size_t len, size_t *body_len, uint32_t *epoch,
		      uint64_t *counter)
{
	uint8_t ph[IOTGUARD_WIRE_PSEUDO_MAX], *trailer;
	struct iotguard_dev_ad ad[2];
	size_t nad = 1, blen, i;
	uint64_t ctr = 0;
	int sealed;

	if (!key || !valid_mode(mode) || !valid_flow(flow) || !buf ||
	    !body_len || len < IOTGUARD_WIRE_TRAILER_LEN)
		return -IOTGUARD_DEV_EINVAL;
	blen = len - IOTGUARD_WIRE_TRAILER_LEN;
	trailer = buf + blen;
	/* A trailer of another version or mode is a downgrade, or noise. */
	if (trailer[0] != IOTGUARD_WIRE_VERSION || trailer[1] != mode ||
	    trailer[2] || trailer[3])
		return -IOTGUARD_DEV_EBADMSG;
	for (i = 0; i < 8; i++)
		ctr |= (uint64_t)trailer[8 + i] << (8 * i);
	ad[0].data = ph;
	ad[0].len = pseudo(ph, trailer, flow);
	sealed = mode == IOTGUARD_WIRE_MODE_SEAL;
	if (!sealed) {
		ad[1].data = buf;
		ad[1].len = blen;
		nad = 2;
	}
	if (iotguard_dev_aead_open(key, ctr, ad, nad, buf, sealed ? blen : 0,
				   trailer + 16))
		return -IOTGUARD_DEV_EBADMSG;
	*body_len = blen;
	if (epoch)
		*epoch = (uint32_t)trailer[4] << 24 | (uint32_t)trailer[5] << 16 |
			 (uint32_t)trailer[6] << 8 | trailer[7];
	if (counter)
		*counter = ctr;
	return 0;
}

void iotguard_dev_wipe(struct iotguard_dev *dev)
{
	if (dev)
		iotguard_dev_memzero(dev, sizeof(*dev));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* n bytes from 2n hex digits. */
static int unhex(uint8_t *out, const char *s, size_t n)
{
	int hi, lo;

	while (n--) {
		hi = hexval(*s++);
		lo = hi < 0 ? -1 : hexval(*s++);
		if (lo < 0)
			return -1;
		*out++ = hi << 4 | lo;
	}
	return 0;
}

int iotguard_dev_code_parse(struct iotguard_dev_code *code, const char *text)
{
	static const char prefix[] = IOTGUARD_WIRE_CODE_PREFIX;
	uint8_t id[4];
	size_t i;

	if (!code || !text)
		return -IOTGUARD_DEV_EINVAL;
	for (i = 0; i < sizeof(prefix) - 1; i++)
		if (text[i] != prefix[i])
			return -IOTGUARD_DEV_EINVAL;
	text += i;
	if (unhex(id, text, 4) || text[8] != '-' ||
	    unhex(code->secret, text + 9, sizeof(code->secret)) ||
	    text[9 + 2 * sizeof(code->secret)])
		return -IOTGUARD_DEV_EINVAL;
	code->id = (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 |
		   (uint32_t)id[2] << 8 | id[3];
	return 0;
}

int iotguard_dev_code_key(uint8_t *key, const struct iotguard_dev_code *code)
{
	uint8_t msg[IOTGUARD_WIRE_CODE_LABEL_LEN + 4];

	copy(msg, (const uint8_t *)IOTGUARD_WIRE_CODE_LABEL,
	     IOTGUARD_WIRE_CODE_LABEL_LEN);
	msg[IOTGUARD_WIRE_CODE_LABEL_LEN] = code->id >> 24;
	msg[IOTGUARD_WIRE_CODE_LABEL_LEN + 1] = code->id >> 16;
	msg[IOTGUARD_WIRE_CODE_LABEL_LEN + 2] = code->id >> 8;
	msg[IOTGUARD_WIRE_CODE_LABEL_LEN + 3] = code->id;
	return iotguard_dev_blake2s(key, code->secret, sizeof(code->secret),
				    msg, sizeof(msg)) ? -IOTGUARD_DEV_EINVAL : 0;
}

int iotguard_dev_hello(const struct iotguard_dev_code *code,
		       const struct iotguard_dev_flow *flow,
		       const uint8_t *nonce, uint8_t *buf, size_t cap,
		       size_t *out_len)
{
	struct iotguard_dev dev;
	int ret;

	if (!code || !nonce || !buf || cap < IOTGUARD_WIRE_NONCE_LEN)
		return -IOTGUARD_DEV_EINVAL;
	dev.mode = IOTGUARD_WIRE_MODE_AUTH;
	dev.epoch = code->id;
	dev.counter = 0;
	ret = iotguard_dev_code_key(dev.epoch_key, code);
	if (!ret) {
		copy(buf, nonce, IOTGUARD_WIRE_NONCE_LEN);
		ret = iotguard_dev_protect(&dev, flow, buf,
					   IOTGUARD_WIRE_NONCE_LEN, cap,
					   out_len);
	}
	iotguard_dev_memzero(&dev, sizeof(dev));
	return ret;
}

static uint64_t be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

int iotguard_dev_welcome_open(const struct iotguard_dev_code *code,
			      const struct iotguard_dev_flow *flow,
			      const uint8_t *nonce, uint8_t *payload,
			      size_t len,
			      struct iotguard_dev_welcome *welcome)
{
	uint8_t key[IOTGUARD_WIRE_KEY_LEN];
	struct iotguard_dev_flow back;
	uint64_t counter;
	uint32_t epoch;
	size_t blen, i;
	int ret, diff = 0;

	if (!code || !valid_flow(flow) || !nonce || !welcome)
		return -IOTGUARD_DEV_EINVAL;
	back = *flow;
	back.sport = flow->dport;
	back.dport = flow->sport;
	copy(back.saddr, flow->daddr, sizeof(back.saddr));
	copy(back.daddr, flow->saddr, sizeof(back.daddr));
	ret = iotguard_dev_code_key(key, code);
	if (!ret)
		ret = iotguard_dev_open(key, IOTGUARD_WIRE_MODE_SEAL, &back,
					payload, len, &blen, &epoch, &counter);
	iotguard_dev_memzero(key, sizeof(key));
	if (ret)
		return ret == -IOTGUARD_DEV_EINVAL ? -IOTGUARD_DEV_EBADMSG : ret;
	if (blen != IOTGUARD_WIRE_WELCOME_LEN || epoch != code->id ||
	    counter != 1)
		return -IOTGUARD_DEV_EBADMSG;
	for (i = 0; i < IOTGUARD_WIRE_NONCE_LEN; i++)
		diff |= payload[48 + i] ^ nonce[i];
	if (diff || payload[41] || payload[42] || payload[43] ||
	    (payload[40] != IOTGUARD_WIRE_MODE_AUTH &&
	     payload[40] != IOTGUARD_WIRE_MODE_SEAL))
		return -IOTGUARD_DEV_EBADMSG;
	copy(welcome->root, payload, IOTGUARD_WIRE_KEY_LEN);
	welcome->expires = be(payload + 32, 8);
	welcome->mode = payload[40];
	welcome->epoch_seconds = be(payload + 44, 4);
	iotguard_dev_memzero(payload, len);
	return 0;
}
