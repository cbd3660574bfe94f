// SPDX-License-Identifier: GPL-2.0
/*
 * libiotguard-device (device/), with the host's backend: what a device
 * sends, and the edge's check of it (iotguard_dev_open()) rejecting every
 * change an attacker on the segment could make. The wire format's test
 * vectors are tests/unit/wire_vectors.sh's.
 */
#include <string.h>
#include "kselftest_harness.h"
#include "crypto.h"
#include "iotguard_device.h"

static const uint8_t root_a[32] = { 1, 2, 3 };
static const uint8_t root_b[32] = { 9, 9, 9 };

static void flow4(struct iotguard_dev_flow *f)
{
	static const uint8_t s[4] = { 198, 18, 1, 10 }, d[4] = { 198, 18, 0, 1 };

	memset(f, 0, sizeof(*f));
	f->family = 4;
	f->sport = 40000;
	f->dport = 5683;
	memcpy(f->saddr, s, 4);
	memcpy(f->daddr, d, 4);
}

static void flow6(struct iotguard_dev_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->family = 6;
	f->sport = 40000;
	f->dport = 5683;
	f->saddr[0] = 0x20;
	f->saddr[1] = 0x01;
	f->saddr[3] = 2;
	f->saddr[15] = 0x10;
	memcpy(f->daddr, f->saddr, 15);
	f->daddr[15] = 1;
}

FIXTURE(dev) {
	struct iotguard_dev dev;
	struct iotguard_dev_flow flow;
	uint8_t buf[256];
	size_t len;
};

FIXTURE_SETUP(dev)
{
	flow4(&self->flow);
	memcpy(self->buf, "{\"t\":21.5}", 10);
	self->len = 10;
}

FIXTURE_TEARDOWN(dev)
{
	iotguard_dev_wipe(&self->dev);
}

/* Opens payload (len bytes) as the edge would, with dev's epoch key. */
static int edge_open(const struct iotguard_dev *dev,
		     const struct iotguard_dev_flow *flow, uint8_t *payload,
		     size_t len, size_t *body_len)
{
	return iotguard_dev_open(dev->epoch_key, dev->mode, flow, payload, len,
				 body_len, NULL, NULL);
}

TEST_F(dev, auth_and_seal_round_trip)
{
	static const uint8_t modes[] = { IOTGUARD_WIRE_MODE_AUTH,
					 IOTGUARD_WIRE_MODE_SEAL };
	uint8_t payload[256];
	uint64_t counter;
	uint32_t epoch;
	size_t out, body, m, fam;

	for (fam = 0; fam < 2; fam++) {
		if (fam)
			flow6(&self->flow);
		for (m = 0; m < 2; m++) {
			ASSERT_EQ(0, iotguard_dev_init(&self->dev, root_a, modes[m],
						       5, 41));
			memcpy(payload, self->buf, self->len);
			ASSERT_EQ(0, iotguard_dev_protect(&self->dev, &self->flow,
							  payload, self->len,
							  sizeof(payload), &out));
			EXPECT_EQ(self->len + IOTGUARD_WIRE_TRAILER_LEN, out);
			EXPECT_EQ(42, self->dev.counter);
			/* auth sends the body in the clear, seal does not */
			EXPECT_EQ(modes[m] == IOTGUARD_WIRE_MODE_AUTH,
				  !memcmp(payload, self->buf, self->len));
			ASSERT_EQ(0, iotguard_dev_open(self->dev.epoch_key,
						       modes[m], &self->flow,
						       payload, out, &body,
						       &epoch, &counter));
			EXPECT_EQ(self->len, body);
			EXPECT_EQ(0, memcmp(payload, self->buf, self->len));
			EXPECT_EQ(5, epoch);
			EXPECT_EQ(41, counter);
		}
	}
}

/*
 * Every bit an attacker could flip, in the body or the trailer, and every
 * field of the flow it could forge: rejected; and a sealed body is left
 * as it came when its tag fails.
 */
TEST_F(dev, any_change_rejected)
{
	static const uint8_t modes[] = { IOTGUARD_WIRE_MODE_AUTH,
					 IOTGUARD_WIRE_MODE_SEAL };
	uint8_t payload[256], copy[256];
	struct iotguard_dev_flow f;
	size_t out, body, i, m;

	for (m = 0; m < 2; m++) {
		ASSERT_EQ(0, iotguard_dev_init(&self->dev, root_a, modes[m], 0,
					       0));
		memcpy(payload, self->buf, self->len);
		ASSERT_EQ(0, iotguard_dev_protect(&self->dev, &self->flow,
						  payload, self->len,
						  sizeof(payload), &out));
		for (i = 0; i < out * 8; i++) {
			memcpy(copy, payload, out);
			copy[i / 8] ^= 1 << (i % 8);
			EXPECT_EQ(-IOTGUARD_DEV_EBADMSG,
				  edge_open(&self->dev, &self->flow, copy, out,
					    &body));
			copy[i / 8] ^= 1 << (i % 8);
			/* unchanged by a failed open */
			EXPECT_EQ(0, memcmp(copy, payload, out));
		}
		f = self->flow;
		f.sport++;
		EXPECT_EQ(-IOTGUARD_DEV_EBADMSG,
			  edge_open(&self->dev, &f, copy, out, &body));
		f = self->flow;
		f.dport++;
		EXPECT_EQ(-IOTGUARD_DEV_EBADMSG,
			  edge_open(&self->dev, &f, copy, out, &body));
		f = self->flow;
		f.saddr[3]++;
		EXPECT_EQ(-IOTGUARD_DEV_EBADMSG,
			  edge_open(&self->dev, &f, copy, out, &body));
		f = self->flow;
		f.daddr[0]++;
		EXPECT_EQ(-IOTGUARD_DEV_EBADMSG,
			  edge_open(&self->dev, &f, copy, out, &body));
		/* truncated: a byte short, or less than a trailer */
		EXPECT_EQ(-IOTGUARD_DEV_EBADMSG,
			  edge_open(&self->dev, &self->flow, copy, out - 1,
				    &body));
		EXPECT_EQ(-IOTGUARD_DEV_EINVAL,
			  edge_open(&self->dev, &self->flow, copy,
				    IOTGUARD_WIRE_TRAILER_LEN - 1, &body));
		/* the other mode: no downgrade, and no upgrade either */
		EXPECT_EQ(-IOTGUARD_DEV_EBADMSG,
			  iotguard_dev_open(self->dev.epoch_key,
					    modes[1 - m], &self->flow, copy,
					    out, &body, NULL, NULL));
		ASSERT_EQ(0, edge_open(&self->dev, &self->flow, copy, out,
				       &body));
	}
}

/* Another device's key, or another epoch's, does not open it. */
TEST_F(dev, other_keys_rejected)
{
	struct iotguard_dev other;
	uint8_t payload[256];
	size_t out, body;

	ASSERT_EQ(0, iotguard_dev_init(&self->dev, root_a,
				       IOTGUARD_WIRE_MODE_AUTH, 3, 0));
	memcpy(payload, self->buf, self->len);
	ASSERT_EQ(0, iotguard_dev_protect(&self->dev, &self->flow, payload,
					  self->len, sizeof(payload), &out));
	ASSERT_EQ(0, iotguard_dev_init(&other, root_b, IOTGUARD_WIRE_MODE_AUTH,
				       3, 0));
	EXPECT_EQ(-IOTGUARD_DEV_EBADMSG,
		  edge_open(&other, &self->flow, payload, out, &body));
	ASSERT_EQ(0, iotguard_dev_init(&other, root_a, IOTGUARD_WIRE_MODE_AUTH,
				       4, 0));
	EXPECT_EQ(-IOTGUARD_DEV_EBADMSG,
		  edge_open(&other, &self->flow, payload, out, &body));
	EXPECT_NE(0, memcmp(other.epoch_key, self->dev.epoch_key, 32));
	iotguard_dev_wipe(&other);
}

/* Epochs: a new key and counter 0; a counter never wraps. */
TEST_F(dev, epochs_and_counters)
{
	uint8_t key[32], payload[256];
	size_t out;

	ASSERT_EQ(0, iotguard_dev_init(&self->dev, root_a,
				       IOTGUARD_WIRE_MODE_SEAL, 0,
				       IOTGUARD_WIRE_COUNTER_MAX));
	memcpy(key, self->dev.epoch_key, sizeof(key));
	ASSERT_EQ(0, iotguard_dev_protect(&self->dev, &self->flow, payload, 0,
					  sizeof(payload), &out));
	EXPECT_EQ(-IOTGUARD_DEV_EOVERFLOW,
		  iotguard_dev_protect(&self->dev, &self->flow, payload, 0,
				       sizeof(payload), &out));
	ASSERT_EQ(0, iotguard_dev_next_epoch(&self->dev));
	EXPECT_EQ(1, self->dev.epoch);
	EXPECT_EQ(0, self->dev.counter);
	EXPECT_NE(0, memcmp(key, self->dev.epoch_key, sizeof(key)));
	iotguard_dev_epoch_key(key, root_a, 1);
	EXPECT_EQ(0, memcmp(key, self->dev.epoch_key, sizeof(key)));
	EXPECT_EQ(-IOTGUARD_DEV_EINVAL,
		  iotguard_dev_init(&self->dev, root_a, IOTGUARD_WIRE_MODE_AUTH,
				    0, IOTGUARD_WIRE_COUNTER_MAX + 1));
}

TEST_F(dev, bad_arguments)
{
	uint8_t payload[64];
	size_t out;

	EXPECT_EQ(-IOTGUARD_DEV_EINVAL,
		  iotguard_dev_init(&self->dev, root_a, 0, 0, 0));
	EXPECT_EQ(-IOTGUARD_DEV_EINVAL,
		  iotguard_dev_init(&self->dev, root_a, 3, 0, 0));
	ASSERT_EQ(0, iotguard_dev_init(&self->dev, root_a,
				       IOTGUARD_WIRE_MODE_AUTH, 0, 0));
	/* no room for the trailer: nothing used */
	EXPECT_EQ(-IOTGUARD_DEV_ENOSPC,
		  iotguard_dev_protect(&self->dev, &self->flow, payload, 40,
				       sizeof(payload), &out));
	EXPECT_EQ(-IOTGUARD_DEV_ENOSPC,
		  iotguard_dev_protect(&self->dev, &self->flow, payload, 0,
				       IOTGUARD_WIRE_TRAILER_LEN - 1, &out));
	EXPECT_EQ(0, self->dev.counter);
	self->flow.family = 5;
	EXPECT_EQ(-IOTGUARD_DEV_EINVAL,
		  iotguard_dev_protect(&self->dev, &self->flow, payload, 0,
				       sizeof(payload), &out));
	/* wiped: no key left */
	iotguard_dev_wipe(&self->dev);
	EXPECT_EQ(0, self->dev.root[0] | self->dev.root[1] |
		     self->dev.epoch_key[0] | self->dev.mode);
}

/* The router's side of a welcome, for the tests: counter, mode byte. */
static size_t welcome(const struct iotguard_dev_code *code,
		      const struct iotguard_dev_flow *hello_flow,
		      const uint8_t *nonce, uint64_t counter, uint8_t mode,
		      uint8_t *buf)
{
	struct iotguard_dev_flow back = *hello_flow;
	struct iotguard_dev router;
	size_t i, out = 0;

	back.sport = hello_flow->dport;
	back.dport = hello_flow->sport;
	memcpy(back.saddr, hello_flow->daddr, 16);
	memcpy(back.daddr, hello_flow->saddr, 16);
	memset(buf, 0, IOTGUARD_WIRE_WELCOME_LEN);
	for (i = 0; i < 32; i++)
		buf[i] = 0x40 + i;
	buf[39] = 7;		/* expires 7 */
	buf[40] = mode;
	buf[47] = 60;		/* epochs of 60 s */
	memcpy(buf + 48, nonce, 16);
	memset(&router, 0, sizeof(router));
	iotguard_dev_code_key(router.epoch_key, code);
	router.mode = IOTGUARD_WIRE_MODE_SEAL;
	router.epoch = code->id;
	router.counter = counter;
	iotguard_dev_protect(&router, &back, buf, IOTGUARD_WIRE_WELCOME_LEN,
			     256, &out);
	return out;
}

/*
 * Enrollment: the code read; the welcome to this hello opens to the
 * router's key and terms; one to another nonce, with another counter, a
 * mode the device does not know, or changed, does not.
 */
TEST_F(dev, enrollment)
{
	static const uint8_t nonce[16] = { 0xa0, 1, 2 }, other[16] = { 0xa1 };
	struct iotguard_dev_code code;
	struct iotguard_dev_welcome w;
	uint8_t hello[256], reply[256];
	size_t out, len;

	EXPECT_EQ(-IOTGUARD_DEV_EINVAL,
		  iotguard_dev_code_parse(&code, "IGE1-0a0b0c0d"));
	EXPECT_EQ(-IOTGUARD_DEV_EINVAL,
		  iotguard_dev_code_parse(&code, "IGE2-0a0b0c0d-000102030405060708090a0b0c0d0e0f"));
	EXPECT_EQ(-IOTGUARD_DEV_EINVAL,
		  iotguard_dev_code_parse(&code, "IGE1-0a0b0c0d-000102030405060708090a0b0c0d0e0fff"));
	EXPECT_EQ(-IOTGUARD_DEV_EINVAL,
		  iotguard_dev_code_parse(&code, "IGE1-0a0b0c0g-000102030405060708090a0b0c0d0e0f"));
	ASSERT_EQ(0, iotguard_dev_code_parse(&code,
		  "IGE1-0a0b0c0d-000102030405060708090a0b0c0d0e0f"));
	EXPECT_EQ(0x0a0b0c0d, code.id);
	EXPECT_EQ(0x0f, code.secret[15]);

	self->flow.dport = IOTGUARD_WIRE_ENROLL_PORT;
	ASSERT_EQ(0, iotguard_dev_hello(&code, &self->flow, nonce, hello,
					sizeof(hello), &out));
	EXPECT_EQ(16 + IOTGUARD_WIRE_TRAILER_LEN, out);

	len = welcome(&code, &self->flow, nonce, 1, IOTGUARD_WIRE_MODE_SEAL,
		      reply);
	ASSERT_EQ(0, iotguard_dev_welcome_open(&code, &self->flow, nonce,
					       reply, len, &w));
	EXPECT_EQ(0x40, w.root[0]);
	EXPECT_EQ(0x5f, w.root[31]);
	EXPECT_EQ(7, w.expires);
	EXPECT_EQ(60, w.epoch_seconds);
	EXPECT_EQ(IOTGUARD_WIRE_MODE_SEAL, w.mode);

	len = welcome(&code, &self->flow, nonce, 1, IOTGUARD_WIRE_MODE_SEAL,
		      reply);
	EXPECT_EQ(-IOTGUARD_DEV_EBADMSG,
		  iotguard_dev_welcome_open(&code, &self->flow, other, reply,
					    len, &w));
	len = welcome(&code, &self->flow, nonce, 2, IOTGUARD_WIRE_MODE_SEAL,
		      reply);
	EXPECT_EQ(-IOTGUARD_DEV_EBADMSG,
		  iotguard_dev_welcome_open(&code, &self->flow, nonce, reply,
					    len, &w));
	len = welcome(&code, &self->flow, nonce, 1, 3, reply);
	EXPECT_EQ(-IOTGUARD_DEV_EBADMSG,
		  iotguard_dev_welcome_open(&code, &self->flow, nonce, reply,
					    len, &w));
	len = welcome(&code, &self->flow, nonce, 1, IOTGUARD_WIRE_MODE_AUTH,
		      reply);
	reply[5] ^= 1;
	EXPECT_EQ(-IOTGUARD_DEV_EBADMSG,
		  iotguard_dev_welcome_open(&code, &self->flow, nonce, reply,
					    len, &w));
}

TEST_HARNESS_MAIN
