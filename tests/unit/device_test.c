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

TEST_HARNESS_MAIN
