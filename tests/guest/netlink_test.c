// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the iotguard generic netlink API (include/uapi/linux/iotguard.h),
 * speaking raw netlink: every command with good and bad input, the error
 * code and extended ACK of each rejection, dumps, events, permissions and
 * network namespaces.
 *
 * Runs as root in the test VM with iotguard.ko loaded. Addresses come from
 * 198.18.0.0/15 and 2001:2::/48 only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/*
 * The harness is written for the selftests' flags, not -Wextra: its
 * ASSERT_EQ(0, some_u32) compares signed with unsigned by design.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#include "nltest.h"
/*
 * The harness gives each test 30 s of wall time: loading the program (its
 * per-CPU maps sized to max_devices) took longer than that in a TCG guest
 * on a busy machine. A net against a hang, not a judgement: generous.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#define ID_STR(d) nlt_id_str((d), (char[64]){ 0 }, 64)

FIXTURE(iotguard)
{
	struct nlt nl;
};

FIXTURE_SETUP(iotguard)
{
	int err = nlt_open(&self->nl);

	ASSERT_EQ(0, err)
		TH_LOG("cannot resolve generic netlink family \"%s\": %s (is iotguard.ko loaded?)",
		       IOTGUARD_GENL_NAME, strerror(-err));
	err = nlt_flush(&self->nl);
	ASSERT_EQ(0, err) TH_LOG("flush: %s (%s)", strerror(-err), self->nl.extack);
	ASSERT_EQ(0, nlt_count(&self->nl));
}

FIXTURE_TEARDOWN(iotguard)
{
	if (self->nl.sock)
		nlt_flush(&self->nl);
	nlt_close(&self->nl);
}

/* The last request failed with err and said why. */
#define ASSERT_REJECTED(t, code) do {					\
	ASSERT_EQ(-(code), (t)->err)					\
		TH_LOG("expected %s, got %s (extack \"%s\")",		\
		       strerror(code), strerror(-(t)->err), (t)->extack); \
	ASSERT_NE(0, (t)->extack[0])					\
		TH_LOG("%s rejection without an extack message",	\
		       strerror(code));					\
} while (0)

/*
 * Rejected by attribute validation: the kernel's policy checks answer
 * EINVAL, or ERANGE for a length or value out of the policy's range.
 */
#define ASSERT_INVALID(t) do {						\
	ASSERT_TRUE((t)->err == -EINVAL || (t)->err == -ERANGE)		\
		TH_LOG("expected EINVAL or ERANGE, got %s (extack \"%s\")", \
		       strerror(-(t)->err), (t)->extack);		\
	ASSERT_NE(0, (t)->extack[0])					\
		TH_LOG("rejection (%s) without an extack message",	\
		       strerror(-(t)->err));				\
} while (0)

#define ASSERT_OK(t, expr) do {						\
	int __e = (expr);						\
	ASSERT_EQ(0, __e)						\
		TH_LOG("%s: %s (extack \"%s\")", #expr, strerror(-__e),	\
		       (t)->extack);					\
	ASSERT_EQ(0, (t)->bad[0]) TH_LOG("malformed reply: %s", (t)->bad); \
} while (0)

static void full_dev(struct nlt_dev *d, uint32_t n)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };

	nlt_dev4(d, n);
	snprintf(d->name, sizeof(d->name), "thermostat-%u", n);
	memcpy(d->mac, mac, 6);
	d->state = IOTGUARD_STATE_QUARANTINE;
	d->class = 4242;
	d->rate_pps = 250;
	d->burst_pkts = 77;
	d->rate_bps = 12345678901ULL;
	d->burst_bytes = 65000;
	d->flags = IOTGUARD_DEVICE_F_PINNED;
	d->present = (1U << IOTGUARD_A_DEVICE_NAME) | (1U << IOTGUARD_A_DEVICE_MAC) |
		     (1U << IOTGUARD_A_DEVICE_STATE) | (1U << IOTGUARD_A_DEVICE_CLASS) |
		     (1U << IOTGUARD_A_DEVICE_RATE_PPS) |
		     (1U << IOTGUARD_A_DEVICE_BURST_PKTS) |
		     (1U << IOTGUARD_A_DEVICE_RATE_BPS) |
		     (1U << IOTGUARD_A_DEVICE_BURST_BYTES) |
		     (1U << IOTGUARD_A_DEVICE_FLAGS);
}

/* Every attribute a GET reply / event must carry. */
static const int reply_attrs[] = {
	IOTGUARD_A_DEVICE_NAME, IOTGUARD_A_DEVICE_MAC, IOTGUARD_A_DEVICE_STATE,
	IOTGUARD_A_DEVICE_CLASS, IOTGUARD_A_DEVICE_RATE_PPS,
	IOTGUARD_A_DEVICE_BURST_PKTS, IOTGUARD_A_DEVICE_RATE_BPS,
	IOTGUARD_A_DEVICE_BURST_BYTES, IOTGUARD_A_DEVICE_FLAGS,
	IOTGUARD_A_DEVICE_INDEX, IOTGUARD_A_DEVICE_COOKIE,
	IOTGUARD_A_DEVICE_STATE_SECONDS,
};

/* "" if got carries every attribute of want, equal; else what differs. */
static const char *dev_diff(const struct nlt_dev *want, const struct nlt_dev *got)
{
	static char msg[256];
	size_t i;

	msg[0] = 0;
	if (!nlt_same_id(want, got)) {
		snprintf(msg, sizeof(msg), "identity %s, want %s",
			 ID_STR(got), ID_STR(want));
		return msg;
	}
	for (i = 0; i < sizeof(reply_attrs) / sizeof(reply_attrs[0]); i++)
		if (!NLT_HAS(got, reply_attrs[i])) {
			snprintf(msg, sizeof(msg), "attribute %d missing",
				 reply_attrs[i]);
			return msg;
		}
#define CMP(attr, m) \
	if (NLT_HAS(want, attr) && want->m != got->m) { \
		snprintf(msg, sizeof(msg), #m " is %llu, want %llu", \
			 (unsigned long long)got->m, \
			 (unsigned long long)want->m); \
		return msg; \
	}
	CMP(IOTGUARD_A_DEVICE_STATE, state)
	CMP(IOTGUARD_A_DEVICE_CLASS, class)
	CMP(IOTGUARD_A_DEVICE_RATE_PPS, rate_pps)
	CMP(IOTGUARD_A_DEVICE_BURST_PKTS, burst_pkts)
	CMP(IOTGUARD_A_DEVICE_RATE_BPS, rate_bps)
	CMP(IOTGUARD_A_DEVICE_BURST_BYTES, burst_bytes)
	CMP(IOTGUARD_A_DEVICE_FLAGS, flags)
	CMP(IOTGUARD_A_DEVICE_INDEX, index)
	CMP(IOTGUARD_A_DEVICE_COOKIE, cookie)
#undef CMP
	if (NLT_HAS(want, IOTGUARD_A_DEVICE_NAME) && strcmp(want->name, got->name)) {
		snprintf(msg, sizeof(msg), "name \"%s\", want \"%s\"", got->name,
			 want->name);
		return msg;
	}
	if (NLT_HAS(want, IOTGUARD_A_DEVICE_MAC) && memcmp(want->mac, got->mac, 6)) {
		snprintf(msg, sizeof(msg), "MAC differs");
		return msg;
	}
	return msg;
}

/* A request whose attributes are given raw: type, length, payload. */
struct raw_attr {
	uint16_t type;
	uint16_t len;
	const void *data;
};

static int raw_req(struct nlt *t, uint8_t cmd, uint16_t flags,
		   const struct raw_attr *attrs, int n, struct nlt_dev *out)
{
	char buf[2048];
	struct nlmsghdr *nlh = nlt_req(t, buf, cmd, flags);
	int i;

	for (i = 0; i < n; i++)
		mnl_attr_put(nlh, attrs[i].type, attrs[i].len, attrs[i].data);
	if ((flags & NLM_F_DUMP) == NLM_F_DUMP) {
		int cnt;

		return nlt_dump_ex(t, nlh, NULL, 0, &cnt, NULL, NULL);
	}
	return nlt_do(t, nlh, out);
}

static const uint8_t ip4_a[4] = { 198, 18, 0, 1 };
static const uint8_t ip6_a[16] = { 0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0,
				   0, 0, 0, 0, 0, 0, 0, 0x01 };

/* ---------------------------------------------------------------- family */

TEST_F(iotguard, family_registered)
{
	struct nlt *t = &self->nl;
	int cmd;

	ASSERT_NE(0, t->family);
	ASSERT_EQ(IOTGUARD_GENL_VERSION, t->version);
	ASSERT_EQ(0, t->hdrsize);
	ASSERT_NE(0, t->events_grp) TH_LOG("no \"%s\" multicast group",
					   IOTGUARD_MCGRP_EVENTS);
	for (cmd = IOTGUARD_CMD_DEVICE_NEW; cmd <= IOTGUARD_CMD_ALERT; cmd++) {
		ASSERT_TRUE(t->op_present[cmd]) TH_LOG("command %d missing", cmd);
		/* CAP_NET_ADMIN in the netns's owning user namespace */
		ASSERT_TRUE(t->op_flags[cmd] & (GENL_ADMIN_PERM | GENL_UNS_ADMIN_PERM))
			TH_LOG("command %d flags %#x: no permission check", cmd,
			       t->op_flags[cmd]);
	}
	for (cmd = IOTGUARD_CMD_DEVICE_REVOKE; cmd <= IOTGUARD_CMD_MAX; cmd++) {
		ASSERT_TRUE(t->op_present[cmd]) TH_LOG("command %d missing", cmd);
		ASSERT_TRUE(t->op_flags[cmd] & (GENL_ADMIN_PERM | GENL_UNS_ADMIN_PERM))
			TH_LOG("command %d flags %#x: no permission check", cmd,
			       t->op_flags[cmd]);
	}
	/* An event only: the data path begins and ends leases. */
	ASSERT_FALSE(t->op_present[IOTGUARD_CMD_LEASE]);
	ASSERT_FALSE(t->op_present[IOTGUARD_CMD_UNSPEC]);
	ASSERT_FALSE(t->op_present[IOTGUARD_CMD_MAX + 1]);
	ASSERT_TRUE(t->op_flags[IOTGUARD_CMD_DEVICE_GET] & GENL_CMD_CAP_DUMP);
	ASSERT_TRUE(t->op_flags[IOTGUARD_CMD_DEVICE_GET] & GENL_CMD_CAP_DO);
}

TEST_F(iotguard, reply_header_version)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, got;

	nlt_dev4(&d, 1);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(t->family, got.nltype);
	ASSERT_EQ(IOTGUARD_GENL_VERSION, got.version);
}

TEST_F(iotguard, unsupported_commands)
{
	struct nlt *t = &self->nl;
	const uint8_t cmds[] = { IOTGUARD_CMD_UNSPEC, IOTGUARD_CMD_MAX + 1, 200, 255 };
	size_t i;

	for (i = 0; i < sizeof(cmds); i++) {
		struct raw_attr a = { IOTGUARD_A_DEVICE_IPV4, 4, ip4_a };

		raw_req(t, cmds[i], 0, &a, 1, NULL);
		ASSERT_EQ(-EOPNOTSUPP, t->err)
			TH_LOG("command %u: %s", cmds[i], strerror(-t->err));
	}
	ASSERT_EQ(0, nlt_count(t));
}

/* ------------------------------------------------------------------- NEW */

TEST_F(iotguard, new_ipv4)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, got;

	nlt_dev4(&d, 0x0101);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(AF_INET, got.af);
	ASSERT_TRUE(NLT_HAS(&got, IOTGUARD_A_DEVICE_IPV4));
	ASSERT_FALSE(NLT_HAS(&got, IOTGUARD_A_DEVICE_IPV6));
	ASSERT_EQ(0, memcmp(got.addr, d.addr, 4));
	ASSERT_EQ(1, nlt_count(t));
}

TEST_F(iotguard, new_ipv6)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, got, d4;

	nlt_dev6(&d, 0xabcd1234);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(AF_INET6, got.af);
	ASSERT_TRUE(NLT_HAS(&got, IOTGUARD_A_DEVICE_IPV6));
	ASSERT_FALSE(NLT_HAS(&got, IOTGUARD_A_DEVICE_IPV4));
	ASSERT_EQ(0, memcmp(got.addr, d.addr, 16));
	/* an IPv4 device whose address equals the v6 one's last 4 bytes */
	nlt_dev4(&d4, 0);
	memcpy(d4.addr, d.addr + 12, 4);
	d4.addr[0] = 198;
	d4.addr[1] = 18;
	ASSERT_EQ(-ENOENT, nlt_get(t, &d4, &got));
	ASSERT_OK(t, nlt_new(t, &d4));
	ASSERT_EQ(2, nlt_count(t));
}

/* 2001:2:0:N::/plen */
static void prefix_dev(struct nlt_dev *d, uint8_t n, uint8_t plen)
{
	nlt_dev6(d, 0);
	d->addr[7] = n;
	d->plen = plen;
}

TEST_F(iotguard, ipv6_prefix_identity)
{
	static const uint8_t plen_bad[] = { 129, 255 };	/* 0: below */
	static const uint8_t plen64 = 64;
	struct nlt *t = &self->nl;
	struct nlt_dev d, got, exact, wide, bad;
	const struct raw_attr v4_plen[] = {
		{ IOTGUARD_A_DEVICE_IPV4, 4, ip4_a },
		{ IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN, 1, &plen64 },
	};

	prefix_dev(&d, 1, 64);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(AF_INET6, got.af);
	EXPECT_TRUE(NLT_HAS(&got, IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN));
	EXPECT_EQ(64, got.plen);
	EXPECT_EQ(0, memcmp(got.addr, d.addr, 16));
	ASSERT_EQ(-EEXIST, nlt_new(t, &d));

	/* host bits set: 2001:2:0:1::5/64 */
	bad = d;
	bad.addr[15] = 5;
	ASSERT_EQ(-EINVAL, nlt_new(t, &bad));
	ASSERT_NE(0, t->extack[0]);
	/* 2001:2:0:1::/48 has the 1 beyond its 48 bits */
	bad = d;
	bad.plen = 48;
	ASSERT_EQ(-EINVAL, nlt_new(t, &bad));
	ASSERT_NE(0, t->extack[0]);
	for (size_t i = 0; i < sizeof(plen_bad); i++) {
		bad = d;
		bad.plen = plen_bad[i];
		bad.addr[7] = 9;
		nlt_new(t, &bad);
		ASSERT_INVALID(t);
	}
	/* a prefix length goes with IPv6 only, and never alone */
	raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, v4_plen, 2, NULL);
	ASSERT_REJECTED(t, EINVAL);
	raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, &v4_plen[1], 1, NULL);
	ASSERT_REJECTED(t, EINVAL);

	/* /128 is the address 2001:2:0:1::, another device than the /64 */
	exact = d;
	exact.plen = 128;
	ASSERT_OK(t, nlt_new(t, &exact));
	exact.plen = 0;
	ASSERT_OK(t, nlt_get(t, &exact, &got));
	EXPECT_FALSE(NLT_HAS(&got, IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN));
	/* a shorter prefix holding the /64 is a device of its own */
	prefix_dev(&wide, 0, 48);
	ASSERT_OK(t, nlt_new(t, &wide));
	ASSERT_EQ(3, nlt_count(t));

	ASSERT_OK(t, nlt_del(t, &d));
	ASSERT_EQ(-ENOENT, nlt_get(t, &d, &got));
	ASSERT_OK(t, nlt_get(t, &wide, &got));
	EXPECT_EQ(48, got.plen);
	ASSERT_EQ(2, nlt_count(t));
}

TEST_F(iotguard, ipv6_prefix_len_zero_rejected)
{
	static const uint8_t zero;
	struct nlt *t = &self->nl;
	const struct raw_attr v6_zero[] = {
		{ IOTGUARD_A_DEVICE_IPV6, 16, ip6_a },
		{ IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN, 1, &zero },
	};

	raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, v6_zero, 2, NULL);
	ASSERT_INVALID(t);
	ASSERT_EQ(0, nlt_count(t));
}

TEST_F(iotguard, new_defaults)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, got;
	static const uint8_t zero[6];

	nlt_dev6(&d, 7);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_STREQ("", dev_diff(&d, &got));
	ASSERT_STREQ("", got.name);
	ASSERT_EQ(0, memcmp(zero, got.mac, 6));
	ASSERT_EQ(IOTGUARD_STATE_ALLOW, got.state);
	ASSERT_EQ(0, got.class);
	ASSERT_EQ(0, got.rate_pps);
	ASSERT_EQ(0, got.rate_bps);
	ASSERT_EQ(0, got.flags);
}

TEST_F(iotguard, new_all_attributes)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, got;

	full_dev(&d, 0x42);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_STREQ("", dev_diff(&d, &got));
	ASSERT_STREQ("thermostat-66", got.name);
	ASSERT_EQ(IOTGUARD_STATE_QUARANTINE, got.state);
	ASSERT_EQ(4242, got.class);
	ASSERT_EQ(250, got.rate_pps);
	ASSERT_EQ(77, got.burst_pkts);
	ASSERT_EQ(12345678901ULL, got.rate_bps);
	ASSERT_EQ(65000, got.burst_bytes);
	ASSERT_EQ(IOTGUARD_DEVICE_F_PINNED, got.flags);
	ASSERT_EQ(0x5e, got.mac[2]);

	/* the same through IPv6, with state DENY */
	full_dev(&d, 0x43);
	nlt_dev6(&got, 0x43);
	d.af = AF_INET6;
	memcpy(d.addr, got.addr, 16);
	d.state = IOTGUARD_STATE_DENY;
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_STREQ("", dev_diff(&d, &got));
}

/*
 * NEW with NLM_F_ECHO answers with the new device as GET gives it (index
 * and cookie included), before the ACK; without it, or when NEW fails,
 * nothing but the ACK comes.
 */
TEST_F(iotguard, new_echo)
{
	struct nlt *t = &self->nl;
	struct nlt_dev a, b, d, got, echo;
	struct nlmsghdr *nlh;
	char buf[1024];

	nlt_dev4(&a, 0x50);
	nlt_dev6(&b, 0x51);
	ASSERT_OK(t, nlt_new(t, &a));
	ASSERT_OK(t, nlt_new(t, &b));
	ASSERT_EQ(0, t->replies) TH_LOG("NEW without NLM_F_ECHO replied");

	full_dev(&d, 0x52);
	nlh = nlt_req(t, buf, IOTGUARD_CMD_DEVICE_NEW, NLM_F_ECHO);
	nlt_put_dev(nlh, &d);
	memset(&echo, 0, sizeof(echo));
	ASSERT_OK(t, nlt_do(t, nlh, &echo));
	ASSERT_EQ(1, t->replies);
	ASSERT_EQ(IOTGUARD_CMD_DEVICE_NEW, echo.cmd);
	ASSERT_EQ(2, echo.index) TH_LOG("not the lowest free index");
	ASSERT_STREQ("", dev_diff(&d, &echo));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_STREQ("", dev_diff(&got, &echo));

	/* a rejected NEW echoes nothing */
	nlh = nlt_req(t, buf, IOTGUARD_CMD_DEVICE_NEW, NLM_F_ECHO);
	nlt_put_dev(nlh, &d);
	nlt_do(t, nlh, NULL);
	ASSERT_REJECTED(t, EEXIST);
	ASSERT_EQ(0, t->replies);
	ASSERT_EQ(3, nlt_count(t));
}

TEST_F(iotguard, name_max_length)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, got;

	nlt_dev4(&d, 9);
	memset(d.name, 'n', IOTGUARD_DEVICE_NAME_LEN - 1);
	d.name[IOTGUARD_DEVICE_NAME_LEN - 1] = 0;
	NLT_SET(&d, IOTGUARD_A_DEVICE_NAME);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(IOTGUARD_DEVICE_NAME_LEN - 1, strlen(got.name));
	ASSERT_STREQ(d.name, got.name);
}

TEST_F(iotguard, name_too_long)
{
	struct nlt *t = &self->nl;
	char name[IOTGUARD_DEVICE_NAME_LEN + 16];
	struct nlt_dev d, got;

	memset(name, 'x', sizeof(name));
	/* 32 and 40 characters, plus the NUL */
	for (int len = IOTGUARD_DEVICE_NAME_LEN; len <= IOTGUARD_DEVICE_NAME_LEN + 8; len += 8) {
		struct raw_attr a[2] = {
			{ IOTGUARD_A_DEVICE_IPV4, 4, ip4_a },
			{ IOTGUARD_A_DEVICE_NAME, len + 1, name },
		};

		name[len] = 0;
		raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, a, 2, NULL);
		name[len] = 'x';
		ASSERT_INVALID(t);
	}
	ASSERT_EQ(0, nlt_count(t));

	/* nor through SET */
	nlt_dev4(&d, 1);
	ASSERT_OK(t, nlt_new(t, &d));
	{
		struct raw_attr a[2] = {
			{ IOTGUARD_A_DEVICE_IPV4, 4, ip4_a },
			{ IOTGUARD_A_DEVICE_NAME, IOTGUARD_DEVICE_NAME_LEN + 1, name },
		};

		name[IOTGUARD_DEVICE_NAME_LEN] = 0;
		raw_req(t, IOTGUARD_CMD_DEVICE_SET, 0, a, 2, NULL);
		ASSERT_INVALID(t);
	}
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_STREQ("", got.name);
}

TEST_F(iotguard, burst_derivation_pkts)
{
	struct nlt *t = &self->nl;
	/* rate, burst given (0: absent), expected burst */
	static const struct { uint32_t rate, burst, want; bool give; } c[] = {
		{ 1000, 0, 100, false },
		{ 1000, 0, 100, true },	/* explicit 0 */
		{ 25, 0, 2, false },
		{ 9, 0, 1, false },	/* at least 1 */
		{ 1, 0, 1, true },
		{ 100000000u, 0, 10000000u, false },
		{ 1000, 7, 7, true },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct nlt_dev d, got;

		nlt_dev4(&d, 100 + i);
		d.rate_pps = c[i].rate;
		NLT_SET(&d, IOTGUARD_A_DEVICE_RATE_PPS);
		if (c[i].give) {
			d.burst_pkts = c[i].burst;
			NLT_SET(&d, IOTGUARD_A_DEVICE_BURST_PKTS);
		}
		ASSERT_OK(t, nlt_new(t, &d));
		ASSERT_OK(t, nlt_get(t, &d, &got));
		ASSERT_EQ(c[i].rate, got.rate_pps);
		ASSERT_EQ(c[i].want, got.burst_pkts)
			TH_LOG("rate_pps %u burst %u%s", c[i].rate, c[i].burst,
			       c[i].give ? " (given)" : "");
	}
}

TEST_F(iotguard, burst_derivation_bytes)
{
	struct nlt *t = &self->nl;
	static const struct { uint64_t rate; uint32_t burst, want; bool give; } c[] = {
		{ 1000000, 0, 100000, false },
		{ 1000000, 0, 100000, true },
		{ 20000, 0, 2000, false },
		{ 15370, 0, 1537, false },
		{ 15350, 0, IOTGUARD_MIN_BURST_BYTES, false },
		{ 1000, 0, IOTGUARD_MIN_BURST_BYTES, true },
		{ 1000000, 3000, 3000, true },
		{ 1000000, 100, 100, true },	/* an explicit burst is kept */
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct nlt_dev d, got;

		nlt_dev6(&d, 200 + i);
		d.rate_bps = c[i].rate;
		NLT_SET(&d, IOTGUARD_A_DEVICE_RATE_BPS);
		if (c[i].give) {
			d.burst_bytes = c[i].burst;
			NLT_SET(&d, IOTGUARD_A_DEVICE_BURST_BYTES);
		}
		ASSERT_OK(t, nlt_new(t, &d));
		ASSERT_OK(t, nlt_get(t, &d, &got));
		ASSERT_EQ(c[i].rate, got.rate_bps);
		ASSERT_EQ(c[i].want, got.burst_bytes)
			TH_LOG("rate_bps %llu burst %u%s",
			       (unsigned long long)c[i].rate, c[i].burst,
			       c[i].give ? " (given)" : "");
	}
}

/*
 * No rate: the header's rule still gives a tenth of 0, raised to the
 * minimum: 1 packet and IOTGUARD_MIN_BURST_BYTES bytes.
 */
TEST_F(iotguard, burst_defaults_without_rate)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, got;

	nlt_dev4(&d, 300);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(0, got.rate_pps);
	ASSERT_EQ(0, got.rate_bps);
	EXPECT_EQ(1, got.burst_pkts);
	EXPECT_EQ(IOTGUARD_MIN_BURST_BYTES, got.burst_bytes);
}

TEST_F(iotguard, new_duplicate)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, dup, got;

	full_dev(&d, 5);
	ASSERT_OK(t, nlt_new(t, &d));
	nlt_dev4(&dup, 5);
	strcpy(dup.name, "impostor");
	NLT_SET(&dup, IOTGUARD_A_DEVICE_NAME);
	nlt_new(t, &dup);
	ASSERT_REJECTED(t, EEXIST);
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_STREQ("", dev_diff(&d, &got));

	nlt_dev6(&d, 5);
	ASSERT_OK(t, nlt_new(t, &d));
	nlt_new(t, &d);
	ASSERT_REJECTED(t, EEXIST);
	ASSERT_EQ(2, nlt_count(t));
}

TEST_F(iotguard, new_missing_identity)
{
	struct nlt *t = &self->nl;
	struct raw_attr a[] = {
		{ IOTGUARD_A_DEVICE_NAME, 5, "lamp" },
		{ IOTGUARD_A_DEVICE_STATE, 1, (uint8_t[]){ IOTGUARD_STATE_DENY } },
	};

	raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, a, 2, NULL);
	ASSERT_REJECTED(t, EINVAL);
	raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, NULL, 0, NULL);
	ASSERT_REJECTED(t, EINVAL);
	ASSERT_EQ(0, nlt_count(t));
}

TEST_F(iotguard, new_both_identities)
{
	struct nlt *t = &self->nl;
	struct raw_attr a[] = {
		{ IOTGUARD_A_DEVICE_IPV4, 4, ip4_a },
		{ IOTGUARD_A_DEVICE_IPV6, 16, ip6_a },
	};

	raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, a, 2, NULL);
	ASSERT_REJECTED(t, EINVAL);
	ASSERT_EQ(0, nlt_count(t));
	/* nor to SET, DEL, GET */
	raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, a, 1, NULL);
	ASSERT_EQ(0, t->err);
	raw_req(t, IOTGUARD_CMD_DEVICE_SET, 0, a, 2, NULL);
	ASSERT_REJECTED(t, EINVAL);
	raw_req(t, IOTGUARD_CMD_DEVICE_DEL, 0, a, 2, NULL);
	ASSERT_REJECTED(t, EINVAL);
	raw_req(t, IOTGUARD_CMD_DEVICE_GET, 0, a, 2, NULL);
	ASSERT_REJECTED(t, EINVAL);
	ASSERT_EQ(1, nlt_count(t));
}

/*
 * An identity is an address a device sends from (UAPI): not in 0.0.0.0/8
 * (all of it: 0.1.2.3 was enrolled, 6.1's ipv4_is_zeronet() being
 * 0.0.0.0 alone), not multicast, not the limited broadcast, not :: or
 * IPv6 multicast; refused by every command that names a device.
 */
TEST_F(iotguard, identity_not_unicast)
{
	static const uint8_t v4[][4] = {
		{ 0, 0, 0, 0 }, { 0, 0, 0, 1 }, { 0, 1, 2, 3 },
		{ 0, 255, 255, 255 }, { 224, 0, 0, 1 }, { 239, 1, 2, 3 },
		{ 255, 255, 255, 255 },
	};
	static const uint8_t v6[][16] = {
		{ 0 }, { 0xff, 0x02, [15] = 1 }, { 0xff, 0x0e, [15] = 9 },
	};
	static const uint8_t cmds[] = {
		IOTGUARD_CMD_DEVICE_NEW, IOTGUARD_CMD_DEVICE_SET,
		IOTGUARD_CMD_DEVICE_DEL, IOTGUARD_CMD_DEVICE_GET,
		IOTGUARD_CMD_DEVICE_REVOKE,
	};
	struct raw_attr unicast = { IOTGUARD_A_DEVICE_IPV4, 4, ip4_a };
	struct nlt *t = &self->nl;

	for (size_t c = 0; c < sizeof(cmds); c++) {
		for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
			struct raw_attr a = { IOTGUARD_A_DEVICE_IPV4, 4, v4[i] };

			raw_req(t, cmds[c], 0, &a, 1, NULL);
			ASSERT_EQ(-EINVAL, t->err)
				TH_LOG("cmd %u, %u.%u.%u.%u: %s", cmds[c],
				       v4[i][0], v4[i][1], v4[i][2], v4[i][3],
				       strerror(-t->err));
			ASSERT_NE(0, t->extack[0]);
		}
		for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
			struct raw_attr a = { IOTGUARD_A_DEVICE_IPV6, 16, v6[i] };

			raw_req(t, cmds[c], 0, &a, 1, NULL);
			ASSERT_EQ(-EINVAL, t->err)
				TH_LOG("cmd %u, IPv6 %zu: %s", cmds[c], i,
				       strerror(-t->err));
			ASSERT_NE(0, t->extack[0]);
		}
	}
	ASSERT_EQ(0, nlt_count(t));
	raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, &unicast, 1, NULL);
	ASSERT_EQ(0, t->err) TH_LOG("%s", t->extack);
	ASSERT_EQ(1, nlt_count(t));
}

/* A device enrolled by MAC: the MAC alone names it everywhere. */
TEST_F(iotguard, mac_identity)
{
	static const uint8_t mac[6] = { 0x02, 0x10, 0, 0, 0, 0x61 };
	static const uint8_t mcast[6] = { 0x01, 0x10, 0, 0, 0, 0x61 };
	static const uint8_t zero[6];
	static const uint8_t state_deny = IOTGUARD_STATE_DENY;
	static const uint32_t lease = 0;
	struct nlt *t = &self->nl;
	struct raw_attr by_mac[] = {
		{ IOTGUARD_A_DEVICE_MAC, 6, mac },
		{ IOTGUARD_A_DEVICE_STATE, 1, &state_deny },
	};
	const struct raw_attr bad[] = {
		{ IOTGUARD_A_DEVICE_MAC, 6, mcast },
		{ IOTGUARD_A_DEVICE_MAC, 6, zero },
	};
	const struct raw_attr with_lease[] = {
		{ IOTGUARD_A_DEVICE_MAC, 6, mac },
		{ IOTGUARD_A_DEVICE_LEASE_IPV4, 4, &lease },
	};
	struct nlt_dev got;

	raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, by_mac, 1, NULL);
	ASSERT_EQ(0, t->err) TH_LOG("%s", t->extack);
	raw_req(t, IOTGUARD_CMD_DEVICE_GET, 0, by_mac, 1, &got);
	ASSERT_EQ(0, t->err) TH_LOG("%s", t->extack);
	EXPECT_FALSE(NLT_HAS(&got, IOTGUARD_A_DEVICE_IPV4));
	EXPECT_FALSE(NLT_HAS(&got, IOTGUARD_A_DEVICE_IPV6));
	EXPECT_FALSE(NLT_HAS(&got, IOTGUARD_A_DEVICE_LEASE_IPV4));
	ASSERT_TRUE(NLT_HAS(&got, IOTGUARD_A_DEVICE_MAC));
	EXPECT_EQ(0, memcmp(got.mac, mac, 6));

	raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, by_mac, 1, NULL);
	ASSERT_REJECTED(t, EEXIST);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, &bad[i], 1, NULL);
		ASSERT_REJECTED(t, EINVAL);
	}
	/* The module's to tell, never a request's. */
	raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, with_lease, 2, NULL);
	ASSERT_REJECTED(t, EINVAL);
	raw_req(t, IOTGUARD_CMD_DEVICE_SET, 0, with_lease, 2, NULL);
	ASSERT_REJECTED(t, EINVAL);

	raw_req(t, IOTGUARD_CMD_DEVICE_SET, 0, by_mac, 2, NULL);
	ASSERT_EQ(0, t->err) TH_LOG("%s", t->extack);
	raw_req(t, IOTGUARD_CMD_DEVICE_GET, 0, by_mac, 1, &got);
	ASSERT_EQ(0, t->err);
	EXPECT_EQ(IOTGUARD_STATE_DENY, got.state);
	ASSERT_EQ(1, nlt_count(t));
	raw_req(t, IOTGUARD_CMD_DEVICE_DEL, 0, by_mac, 1, NULL);
	ASSERT_EQ(0, t->err) TH_LOG("%s", t->extack);
	ASSERT_EQ(0, nlt_count(t));
}

TEST_F(iotguard, identity_wrong_length)
{
	struct nlt *t = &self->nl;
	static const uint8_t big[20] = { 198, 18, 0, 1 };
	const struct raw_attr bad[] = {
		{ IOTGUARD_A_DEVICE_IPV6, 15, ip6_a },
		{ IOTGUARD_A_DEVICE_IPV6, 17, big },
		{ IOTGUARD_A_DEVICE_IPV6, 4, ip4_a },
		{ IOTGUARD_A_DEVICE_IPV6, 0, NULL },
		{ IOTGUARD_A_DEVICE_IPV4, 3, ip4_a },
		{ IOTGUARD_A_DEVICE_IPV4, 8, big },
		{ IOTGUARD_A_DEVICE_IPV4, 16, ip6_a },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, &bad[i], 1, NULL);
		ASSERT_INVALID(t);
		raw_req(t, IOTGUARD_CMD_DEVICE_GET, 0, &bad[i], 1, NULL);
		ASSERT_INVALID(t);
	}
	ASSERT_EQ(0, nlt_count(t));
}

TEST_F(iotguard, mac_wrong_length)
{
	struct nlt *t = &self->nl;
	static const uint8_t mac[8] = { 0x02, 1, 2, 3, 4, 5, 6, 7 };
	struct nlt_dev d, got;

	for (int len = 5; len <= 7; len += 2) {
		struct raw_attr a[] = {
			{ IOTGUARD_A_DEVICE_IPV4, 4, ip4_a },
			{ IOTGUARD_A_DEVICE_MAC, len, mac },
		};

		raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, a, 2, NULL);
		ASSERT_INVALID(t);
	}
	ASSERT_EQ(0, nlt_count(t));
	/* SET with a bad MAC leaves the bound one */
	nlt_dev4(&d, 1);
	memcpy(d.mac, mac, 6);
	NLT_SET(&d, IOTGUARD_A_DEVICE_MAC);
	ASSERT_OK(t, nlt_new(t, &d));
	{
		struct raw_attr a[] = {
			{ IOTGUARD_A_DEVICE_IPV4, 4, ip4_a },
			{ IOTGUARD_A_DEVICE_MAC, 5, "\0\0\0\0\0" },
		};

		raw_req(t, IOTGUARD_CMD_DEVICE_SET, 0, a, 2, NULL);
		ASSERT_INVALID(t);
	}
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(0, memcmp(mac, got.mac, 6));
}

TEST_F(iotguard, scalar_wrong_length)
{
	struct nlt *t = &self->nl;
	static const uint8_t zeros[8];
	static const uint8_t one32[4] = { 1 };
	const struct raw_attr bad[] = {
		{ IOTGUARD_A_DEVICE_STATE, 4, one32 },	/* u8 as u32 */
		{ IOTGUARD_A_DEVICE_CLASS, 4, zeros },	/* u16 as u32 */
		{ IOTGUARD_A_DEVICE_CLASS, 1, zeros },
		{ IOTGUARD_A_DEVICE_RATE_PPS, 2, zeros },
		{ IOTGUARD_A_DEVICE_RATE_PPS, 8, zeros },
		{ IOTGUARD_A_DEVICE_BURST_PKTS, 2, zeros },
		{ IOTGUARD_A_DEVICE_RATE_BPS, 4, zeros },	/* u64 as u32 */
		{ IOTGUARD_A_DEVICE_BURST_BYTES, 8, zeros },
		{ IOTGUARD_A_DEVICE_FLAGS, 1, zeros },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct raw_attr a[] = { { IOTGUARD_A_DEVICE_IPV4, 4, ip4_a }, bad[i] };

		raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, a, 2, NULL);
		ASSERT_INVALID(t);
	}
	ASSERT_EQ(0, nlt_count(t));
}

TEST_F(iotguard, unknown_attribute_type)
{
	struct nlt *t = &self->nl;
	static const uint8_t four[4];
	const uint16_t types[] = { IOTGUARD_A_MAX + 1, IOTGUARD_A_MAX + 2, 100, 0x3fff };
	const struct raw_attr b[] = {
		{ IOTGUARD_A_DEVICE_IPV4, 4, ip4_a },
		{ IOTGUARD_A_MAX + 1, 4, four },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct raw_attr a[] = {
			{ IOTGUARD_A_DEVICE_IPV4, 4, ip4_a },
			{ types[i], 4, four },
		};

		raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, a, 2, NULL);
		ASSERT_REJECTED(t, EINVAL);
	}
	ASSERT_EQ(0, nlt_count(t));
	/* unknown types in SET and DEL too */
	ASSERT_EQ(0, raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, b, 1, NULL));
	raw_req(t, IOTGUARD_CMD_DEVICE_SET, 0, b, 2, NULL);
	ASSERT_REJECTED(t, EINVAL);
	raw_req(t, IOTGUARD_CMD_DEVICE_DEL, 0, b, 2, NULL);
	ASSERT_REJECTED(t, EINVAL);
	ASSERT_EQ(1, nlt_count(t));
}

/* INDEX and COOKIE are reply attributes: NEW and SET do not take them. */
TEST_F(iotguard, new_set_reject_reply_attributes)
{
	struct nlt *t = &self->nl;
	static const uint32_t v = 3;
	struct nlt_dev d, got;

	static const int reply_only[] = {
		IOTGUARD_A_DEVICE_INDEX, IOTGUARD_A_DEVICE_COOKIE,
		IOTGUARD_A_DEVICE_STATE_SECONDS,
	};

	for (size_t i = 0; i < sizeof(reply_only) / sizeof(reply_only[0]); i++) {
		struct raw_attr a[] = {
			{ IOTGUARD_A_DEVICE_IPV4, 4, ip4_a },
			{ reply_only[i], 4, &v },
		};

		raw_req(t, IOTGUARD_CMD_DEVICE_NEW, 0, a, 2, NULL);
		ASSERT_REJECTED(t, EINVAL);
		ASSERT_EQ(0, nlt_count(t));
	}
	nlt_dev4(&d, 1);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	for (int type = IOTGUARD_A_DEVICE_INDEX; type <= IOTGUARD_A_DEVICE_COOKIE; type++) {
		uint32_t other = (type == IOTGUARD_A_DEVICE_INDEX ? got.index : got.cookie) + 1;
		struct raw_attr a[] = {
			{ IOTGUARD_A_DEVICE_IPV4, 4, ip4_a },
			{ type, 4, &other },
		};
		struct nlt_dev after;

		raw_req(t, IOTGUARD_CMD_DEVICE_SET, 0, a, 2, NULL);
		ASSERT_REJECTED(t, EINVAL);
		ASSERT_OK(t, nlt_get(t, &d, &after));
		ASSERT_EQ(got.index, after.index);
		ASSERT_EQ(got.cookie, after.cookie);
	}
}

TEST_F(iotguard, del_get_take_identity_only)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d;
	const struct raw_attr extra[] = {
		{ IOTGUARD_A_DEVICE_NAME, 5, "lamp" },
		{ IOTGUARD_A_DEVICE_STATE, 1, (uint8_t[]){ IOTGUARD_STATE_ALLOW } },
		{ IOTGUARD_A_DEVICE_FLAGS, 4, (uint32_t[]){ 0 } },
		{ IOTGUARD_A_DEVICE_INDEX, 4, (uint32_t[]){ 0 } },
	};

	nlt_dev4(&d, 1);
	ASSERT_OK(t, nlt_new(t, &d));
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		struct raw_attr a[] = { { IOTGUARD_A_DEVICE_IPV4, 4, ip4_a }, extra[i] };

		raw_req(t, IOTGUARD_CMD_DEVICE_DEL, 0, a, 2, NULL);
		ASSERT_REJECTED(t, EINVAL);
		ASSERT_EQ(1, nlt_count(t)) TH_LOG("DEL with attribute %u deleted",
						  extra[i].type);
		raw_req(t, IOTGUARD_CMD_DEVICE_GET, 0, a, 2, NULL);
		ASSERT_REJECTED(t, EINVAL);
	}
	ASSERT_OK(t, nlt_del(t, &d));
	ASSERT_EQ(0, nlt_count(t));
}

TEST_F(iotguard, state_values)
{
	struct nlt *t = &self->nl;
	const uint8_t bad[] = { IOTGUARD_STATE_UNSPEC, IOTGUARD_STATE_MAX + 1, 255 };
	struct nlt_dev d, got;

	for (size_t i = 0; i < sizeof(bad); i++) {
		nlt_dev4(&d, 1);
		d.state = bad[i];
		NLT_SET(&d, IOTGUARD_A_DEVICE_STATE);
		nlt_new(t, &d);
		ASSERT_INVALID(t);
	}
	ASSERT_EQ(0, nlt_count(t));
	for (uint8_t s = IOTGUARD_STATE_ALLOW; s <= IOTGUARD_STATE_MAX; s++) {
		nlt_dev4(&d, s);
		d.state = s;
		NLT_SET(&d, IOTGUARD_A_DEVICE_STATE);
		ASSERT_OK(t, nlt_new(t, &d));
		ASSERT_OK(t, nlt_get(t, &d, &got));
		ASSERT_EQ(s, got.state);
	}
	/* SET to an invalid state is rejected and changes nothing */
	nlt_dev4(&d, IOTGUARD_STATE_DENY);
	d.state = IOTGUARD_STATE_MAX + 1;
	NLT_SET(&d, IOTGUARD_A_DEVICE_STATE);
	nlt_set(t, &d);
	ASSERT_INVALID(t);
	d.state = IOTGUARD_STATE_UNSPEC;
	nlt_set(t, &d);
	ASSERT_INVALID(t);
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(IOTGUARD_STATE_DENY, got.state);
}

TEST_F(iotguard, flags_values)
{
	struct nlt *t = &self->nl;
	const uint32_t bad[] = { 2, 3, 0x80000000u, ~0u, ~(uint32_t)__IOTGUARD_DEVICE_F_ALL };
	struct nlt_dev d, got;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nlt_dev6(&d, 1);
		d.flags = bad[i];
		NLT_SET(&d, IOTGUARD_A_DEVICE_FLAGS);
		nlt_new(t, &d);
		ASSERT_INVALID(t);
	}
	ASSERT_EQ(0, nlt_count(t));
	d.flags = IOTGUARD_DEVICE_F_PINNED;
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(IOTGUARD_DEVICE_F_PINNED, got.flags);
	d.flags = IOTGUARD_DEVICE_F_PINNED | 4;
	nlt_set(t, &d);
	ASSERT_INVALID(t);
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(IOTGUARD_DEVICE_F_PINNED, got.flags);
	d.flags = 0;
	ASSERT_OK(t, nlt_set(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(0, got.flags);
}

/* A daemon's change: the state, with exactly IOTGUARD_DEVICE_F_AUTO. */
static int set_auto(struct nlt *t, uint32_t n, uint8_t state)
{
	struct nlt_dev d;

	nlt_dev4(&d, n);
	d.state = state;
	d.flags = IOTGUARD_DEVICE_F_AUTO;
	NLT_SET(&d, IOTGUARD_A_DEVICE_STATE);
	NLT_SET(&d, IOTGUARD_A_DEVICE_FLAGS);
	return nlt_set(t, &d);
}

TEST_F(iotguard, automatic_change_sets_the_state_only)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, got;

	nlt_dev4(&d, 1);
	d.flags = IOTGUARD_DEVICE_F_AUTO;
	NLT_SET(&d, IOTGUARD_A_DEVICE_FLAGS);
	nlt_new(t, &d);
	ASSERT_REJECTED(t, EINVAL);
	ASSERT_EQ(0, nlt_count(t));

	nlt_dev4(&d, 1);
	ASSERT_OK(t, nlt_new(t, &d));
	/* without the state, with more, pinning: refused, nothing changed */
	nlt_dev4(&d, 1);
	d.flags = IOTGUARD_DEVICE_F_AUTO;
	NLT_SET(&d, IOTGUARD_A_DEVICE_FLAGS);
	nlt_set(t, &d);
	ASSERT_REJECTED(t, EINVAL);
	d.state = IOTGUARD_STATE_QUARANTINE;
	NLT_SET(&d, IOTGUARD_A_DEVICE_STATE);
	d.class = 3;
	NLT_SET(&d, IOTGUARD_A_DEVICE_CLASS);
	nlt_set(t, &d);
	ASSERT_REJECTED(t, EINVAL);
	d.present &= ~(1U << IOTGUARD_A_DEVICE_CLASS);
	d.rate_pps = 10;
	NLT_SET(&d, IOTGUARD_A_DEVICE_RATE_PPS);
	nlt_set(t, &d);
	ASSERT_REJECTED(t, EINVAL);
	d.present &= ~(1U << IOTGUARD_A_DEVICE_RATE_PPS);
	NLT_SET(&d, IOTGUARD_A_DEVICE_MAC);
	nlt_set(t, &d);
	ASSERT_REJECTED(t, EINVAL);
	d.present &= ~(1U << IOTGUARD_A_DEVICE_MAC);
	d.flags = IOTGUARD_DEVICE_F_AUTO | IOTGUARD_DEVICE_F_PINNED;
	nlt_set(t, &d);
	ASSERT_REJECTED(t, EINVAL);
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(IOTGUARD_STATE_ALLOW, got.state);
	ASSERT_EQ(0, got.flags);

	ASSERT_OK(t, set_auto(t, 1, IOTGUARD_STATE_QUARANTINE));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(IOTGUARD_STATE_QUARANTINE, got.state);
	ASSERT_EQ(IOTGUARD_DEVICE_F_AUTO, got.flags);
}

TEST_F(iotguard, automatic_state_is_the_operators_once_changed)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, got;

	nlt_dev4(&d, 1);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, set_auto(t, 1, IOTGUARD_STATE_QUARANTINE));
	/* a change that leaves the state keeps who set it */
	nlt_dev4(&d, 1);
	strcpy(d.name, "lamp");
	NLT_SET(&d, IOTGUARD_A_DEVICE_NAME);
	d.flags = 0;
	NLT_SET(&d, IOTGUARD_A_DEVICE_FLAGS);
	ASSERT_OK(t, nlt_set(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(IOTGUARD_DEVICE_F_AUTO, got.flags);
	/* the operator's state, even the same one, is theirs */
	nlt_dev4(&d, 1);
	d.state = IOTGUARD_STATE_QUARANTINE;
	NLT_SET(&d, IOTGUARD_A_DEVICE_STATE);
	ASSERT_OK(t, nlt_set(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(0, got.flags);
	/* and so is a pin over a daemon's state */
	ASSERT_OK(t, set_auto(t, 1, IOTGUARD_STATE_DENY));
	nlt_dev4(&d, 1);
	d.flags = IOTGUARD_DEVICE_F_PINNED;
	NLT_SET(&d, IOTGUARD_A_DEVICE_FLAGS);
	ASSERT_OK(t, nlt_set(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(IOTGUARD_DEVICE_F_PINNED, got.flags);
	ASSERT_EQ(IOTGUARD_STATE_DENY, got.state);
}

/* The operator's pin wins over any automatic change after it. */
TEST_F(iotguard, automatic_change_of_a_pinned_device)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, got;

	nlt_dev4(&d, 1);
	d.flags = IOTGUARD_DEVICE_F_PINNED;
	NLT_SET(&d, IOTGUARD_A_DEVICE_FLAGS);
	ASSERT_OK(t, nlt_new(t, &d));
	set_auto(t, 1, IOTGUARD_STATE_QUARANTINE);
	ASSERT_REJECTED(t, EPERM);
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(IOTGUARD_STATE_ALLOW, got.state);
	ASSERT_EQ(IOTGUARD_DEVICE_F_PINNED, got.flags);
}

/*
 * Seconds since the state changed: they count, a change of anything else
 * keeps them, a change of the state starts them again. Judged against the
 * table's own count, not a clock: a reset count is below one that ran.
 */
TEST_F(iotguard, state_seconds)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, got;
	uint32_t ran;

	nlt_dev4(&d, 1);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_TRUE(NLT_HAS(&got, IOTGUARD_A_DEVICE_STATE_SECONDS));
	for (int i = 0; i < 3000 && got.state_seconds < 3; i++) {
		usleep(20000);
		ASSERT_OK(t, nlt_get(t, &d, &got));
	}
	ASSERT_LE(3, got.state_seconds);
	ran = got.state_seconds;
	nlt_dev4(&d, 1);
	d.class = 9;
	NLT_SET(&d, IOTGUARD_A_DEVICE_CLASS);
	ASSERT_OK(t, nlt_set(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_LE(ran, got.state_seconds);
	ran = got.state_seconds;
	ASSERT_OK(t, set_auto(t, 1, IOTGUARD_STATE_QUARANTINE));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_GT(ran, got.state_seconds);
}

/* A table starts its cookies at random: a reload is told from a restart. */
TEST_F(iotguard, cookies_start_at_random)
{
	struct nlt *t = &self->nl;
	uint32_t first[3];
	struct nlt_dev d, got;

	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, unshare(CLONE_NEWNET));
		nlt_close(t);
		ASSERT_EQ(0, nlt_open(t));
		nlt_dev4(&d, 1);
		ASSERT_OK(t, nlt_new(t, &d));
		ASSERT_OK(t, nlt_get(t, &d, &got));
		first[i] = got.cookie;
	}
	/* equal by chance once in 2^32 */
	ASSERT_TRUE(first[0] != first[1] || first[1] != first[2])
		TH_LOG("three new tables began with cookie %#x", first[0]);
}

/* ------------------------------------------------------------------- SET */

TEST_F(iotguard, set_absent)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d;

	nlt_dev4(&d, 1);
	d.state = IOTGUARD_STATE_DENY;
	NLT_SET(&d, IOTGUARD_A_DEVICE_STATE);
	nlt_set(t, &d);
	ASSERT_REJECTED(t, ENOENT);
	nlt_dev6(&d, 1);
	nlt_set(t, &d);
	ASSERT_REJECTED(t, ENOENT);
	ASSERT_EQ(0, nlt_count(t));
}

TEST_F(iotguard, set_missing_identity)
{
	struct nlt *t = &self->nl;
	struct raw_attr a[] = {
		{ IOTGUARD_A_DEVICE_STATE, 1, (uint8_t[]){ IOTGUARD_STATE_DENY } },
	};
	struct nlt_dev d, got;

	nlt_dev4(&d, 1);
	ASSERT_OK(t, nlt_new(t, &d));
	raw_req(t, IOTGUARD_CMD_DEVICE_SET, 0, a, 1, NULL);
	ASSERT_REJECTED(t, EINVAL);
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(IOTGUARD_STATE_ALLOW, got.state);
}

TEST_F(iotguard, set_changes_only_given)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, orig, ch, got;

	full_dev(&d, 11);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &orig));

	/* state only */
	nlt_dev4(&ch, 11);
	ch.state = IOTGUARD_STATE_DENY;
	NLT_SET(&ch, IOTGUARD_A_DEVICE_STATE);
	ASSERT_OK(t, nlt_set(t, &ch));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	orig.state = IOTGUARD_STATE_DENY;
	orig.present |= 1U << IOTGUARD_A_DEVICE_INDEX | 1U << IOTGUARD_A_DEVICE_COOKIE;
	ASSERT_STREQ("", dev_diff(&orig, &got));

	/* name and class only */
	nlt_dev4(&ch, 11);
	strcpy(ch.name, "renamed");
	ch.class = 7;
	NLT_SET(&ch, IOTGUARD_A_DEVICE_NAME);
	NLT_SET(&ch, IOTGUARD_A_DEVICE_CLASS);
	ASSERT_OK(t, nlt_set(t, &ch));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	strcpy(orig.name, "renamed");
	orig.class = 7;
	ASSERT_STREQ("", dev_diff(&orig, &got));

	/* nothing but the identity: a no-op */
	nlt_dev4(&ch, 11);
	ASSERT_OK(t, nlt_set(t, &ch));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_STREQ("", dev_diff(&orig, &got));

	/* MAC to all zeroes unbinds; rates and bursts stay */
	nlt_dev4(&ch, 11);
	NLT_SET(&ch, IOTGUARD_A_DEVICE_MAC);
	ASSERT_OK(t, nlt_set(t, &ch));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	memset(orig.mac, 0, 6);
	ASSERT_STREQ("", dev_diff(&orig, &got));
}

TEST_F(iotguard, set_all_attributes)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, ch, got;

	nlt_dev6(&d, 12);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	full_dev(&ch, 0);
	ch.af = AF_INET6;
	memcpy(ch.addr, d.addr, 16);
	ASSERT_OK(t, nlt_set(t, &ch));
	ch.index = got.index;
	ch.cookie = got.cookie;
	NLT_SET(&ch, IOTGUARD_A_DEVICE_INDEX);
	NLT_SET(&ch, IOTGUARD_A_DEVICE_COOKIE);
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_STREQ("", dev_diff(&ch, &got));
}

/* ------------------------------------------------------------ DEL / GET */

TEST_F(iotguard, del_absent)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d;

	nlt_dev4(&d, 1);
	nlt_del(t, &d);
	ASSERT_REJECTED(t, ENOENT);
	nlt_dev6(&d, 1);
	nlt_del(t, &d);
	ASSERT_REJECTED(t, ENOENT);
}

TEST_F(iotguard, del_then_get)
{
	struct nlt *t = &self->nl;
	struct nlt_dev a, b, got;

	nlt_dev4(&a, 1);
	nlt_dev4(&b, 2);
	ASSERT_OK(t, nlt_new(t, &a));
	ASSERT_OK(t, nlt_new(t, &b));
	ASSERT_OK(t, nlt_del(t, &a));
	nlt_get(t, &a, &got);
	ASSERT_REJECTED(t, ENOENT);
	ASSERT_EQ(0, t->replies);
	nlt_del(t, &a);
	ASSERT_REJECTED(t, ENOENT);
	/* the other one is untouched */
	ASSERT_OK(t, nlt_get(t, &b, &got));
	ASSERT_EQ(1, nlt_count(t));
	/* and the deleted identity can be enrolled again */
	ASSERT_OK(t, nlt_new(t, &a));
	ASSERT_EQ(2, nlt_count(t));
}

TEST_F(iotguard, get_absent_and_missing_identity)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, got;

	nlt_dev6(&d, 99);
	nlt_get(t, &d, &got);
	ASSERT_REJECTED(t, ENOENT);
	raw_req(t, IOTGUARD_CMD_DEVICE_GET, 0, NULL, 0, NULL);
	ASSERT_REJECTED(t, EINVAL);
	raw_req(t, IOTGUARD_CMD_DEVICE_DEL, 0, NULL, 0, NULL);
	ASSERT_REJECTED(t, EINVAL);
}

/* ----------------------------------------------------- index and cookie */

TEST_F(iotguard, index_reuse)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d[4], got[4];

	for (int i = 0; i < 3; i++) {
		nlt_dev4(&d[i], 10 + i);
		ASSERT_OK(t, nlt_new(t, &d[i]));
		ASSERT_OK(t, nlt_get(t, &d[i], &got[i]));
		if (i) {
			ASSERT_EQ(got[0].index + i, got[i].index)
				TH_LOG("not the lowest free index");
		}
	}
	/* delete the middle one: the next new device gets its index */
	ASSERT_OK(t, nlt_del(t, &d[1]));
	nlt_dev6(&d[3], 13);
	ASSERT_OK(t, nlt_new(t, &d[3]));
	ASSERT_OK(t, nlt_get(t, &d[3], &got[3]));
	ASSERT_EQ(got[1].index, got[3].index);
	ASSERT_NE(got[1].cookie, got[3].cookie);
	/* the others kept theirs */
	for (int i = 0; i < 3; i += 2) {
		struct nlt_dev now;

		ASSERT_OK(t, nlt_get(t, &d[i], &now));
		ASSERT_EQ(got[i].index, now.index);
		ASSERT_EQ(got[i].cookie, now.cookie);
	}
	/* the table is full up to 3: the next gets the next index */
	nlt_dev4(&d[1], 14);
	ASSERT_OK(t, nlt_new(t, &d[1]));
	ASSERT_OK(t, nlt_get(t, &d[1], &got[1]));
	ASSERT_EQ(got[0].index + 3, got[1].index);
}

TEST_F(iotguard, index_lowest_free)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d[5], got[5], n;

	for (int i = 0; i < 5; i++) {
		nlt_dev6(&d[i], 0x100 + i);
		ASSERT_OK(t, nlt_new(t, &d[i]));
		ASSERT_OK(t, nlt_get(t, &d[i], &got[i]));
	}
	ASSERT_OK(t, nlt_del(t, &d[3]));
	ASSERT_OK(t, nlt_del(t, &d[1]));
	nlt_dev4(&n, 0x200);
	ASSERT_OK(t, nlt_new(t, &n));
	ASSERT_OK(t, nlt_get(t, &n, &got[1]));
	ASSERT_EQ(got[0].index + 1, got[1].index);
	nlt_dev4(&n, 0x201);
	ASSERT_OK(t, nlt_new(t, &n));
	ASSERT_OK(t, nlt_get(t, &n, &got[3]));
	ASSERT_EQ(got[0].index + 3, got[3].index);
}

/* The same index held by successive devices never shows the same cookie. */
TEST_F(iotguard, cookie_differs_on_reuse)
{
	struct nlt *t = &self->nl;
	uint32_t cookies[16], idx = 0;
	struct nlt_dev d, got;

	for (int i = 0; i < 16; i++) {
		/* the same address each second round, a new one otherwise */
		if (i % 2)
			nlt_dev4(&d, 0x300);
		else
			nlt_dev6(&d, 0x300 + i);
		ASSERT_OK(t, nlt_new(t, &d));
		ASSERT_OK(t, nlt_get(t, &d, &got));
		if (i == 0)
			idx = got.index;
		ASSERT_EQ(idx, got.index);
		cookies[i] = got.cookie;
		for (int j = 0; j < i; j++) {
			ASSERT_NE(cookies[j], cookies[i])
				TH_LOG("cookie %#x of device %d repeats device %d's",
				       cookies[i], i, j);
		}
		ASSERT_OK(t, nlt_del(t, &d));
	}
}

/* SET changes neither the index nor the cookie. */
TEST_F(iotguard, set_keeps_index_and_cookie)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, before, after;

	nlt_dev4(&d, 1);
	ASSERT_OK(t, nlt_new(t, &d));
	nlt_dev4(&d, 2);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &before));
	full_dev(&d, 2);
	ASSERT_OK(t, nlt_set(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &after));
	ASSERT_EQ(before.index, after.index);
	ASSERT_EQ(before.cookie, after.cookie);
}

/* ------------------------------------------------------------------ dump */

TEST_F(iotguard, dump_empty)
{
	struct nlt *t = &self->nl;
	bool intr;
	int n;

	ASSERT_EQ(0, nlt_dump(t, NULL, 0, &n, &intr));
	ASSERT_EQ(0, n);
	ASSERT_FALSE(intr);
}

TEST_F_TIMEOUT(iotguard, dump_all_in_index_order, 180)
{
	struct nlt *t = &self->nl;
	const int N = 500;
	struct nlt_dev *devs = calloc(N, sizeof(*devs));
	struct nlt_dev *got = calloc(N + 8, sizeof(*got));
	char *seen = calloc(N, 1);
	int n, first_err, i;
	bool intr;

	ASSERT_NE(NULL, devs);
	ASSERT_NE(NULL, got);
	ASSERT_NE(NULL, seen);
	for (i = 0; i < N; i++) {
		if (i % 3 == 2)
			nlt_dev6(&devs[i], 0x10000 + i);
		else
			nlt_dev4(&devs[i], 0x1000 + i);
		snprintf(devs[i].name, sizeof(devs[i].name), "dev%d", i);
		NLT_SET(&devs[i], IOTGUARD_A_DEVICE_NAME);
	}
	ASSERT_EQ(0, nlt_new_many(t, devs, N, &first_err))
		TH_LOG("first error %s", strerror(-first_err));
	/* delete a few so that indexes have holes */
	for (i = 17; i < N; i += 97) {
		ASSERT_OK(t, nlt_del(t, &devs[i]));
	}

	ASSERT_EQ(0, nlt_dump(t, got, N + 8, &n, &intr));
	ASSERT_EQ(0, t->bad[0]) TH_LOG("%s", t->bad);
	ASSERT_FALSE(intr);
	ASSERT_EQ(N - (N - 17 + 96) / 97, n);
	for (i = 0; i < n; i++) {
		int k = -1;

		if (i) {
			ASSERT_LT(got[i - 1].index, got[i].index)
				TH_LOG("message %d: index %u after %u", i,
				       got[i].index, got[i - 1].index);
		}
		ASSERT_EQ(1, sscanf(got[i].name, "dev%d", &k))
			TH_LOG("name \"%s\"", got[i].name);
		ASSERT_TRUE(k >= 0 && k < N);
		ASSERT_TRUE(nlt_same_id(&devs[k], &got[i]));
		ASSERT_EQ(0, seen[k]);
		ASSERT_NE(17, k % 97);
		seen[k] = 1;
	}
	free(devs);
	free(got);
	free(seen);
}

TEST_F(iotguard, dump_rejects_attributes)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d;
	const struct raw_attr a[] = {
		{ IOTGUARD_A_DEVICE_IPV4, 4, ip4_a },
		{ IOTGUARD_A_DEVICE_NAME, 5, "lamp" },
		{ IOTGUARD_A_DEVICE_INDEX, 4, (uint32_t[]){ 0 } },
	};

	nlt_dev4(&d, 1);
	ASSERT_OK(t, nlt_new(t, &d));
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		raw_req(t, IOTGUARD_CMD_DEVICE_GET, NLM_F_DUMP, &a[i], 1, NULL);
		TH_LOG("dump with attribute %u: %s, extack \"%s\"", a[i].type,
		       strerror(-t->err), t->extack);
		ASSERT_REJECTED(t, EINVAL);
		ASSERT_EQ(0, t->replies) TH_LOG("attribute %u: the dump ran",
						 a[i].type);
	}
}

/* Only GET dumps. */
TEST_F(iotguard, dump_of_other_commands)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d;

	nlt_dev4(&d, 1);
	ASSERT_OK(t, nlt_new(t, &d));
	for (int cmd = IOTGUARD_CMD_DEVICE_NEW; cmd <= IOTGUARD_CMD_DEVICE_DEL; cmd++) {
		raw_req(t, cmd, NLM_F_DUMP, NULL, 0, NULL);
		ASSERT_EQ(-EOPNOTSUPP, t->err) TH_LOG("cmd %d: %s", cmd,
						     strerror(-t->err));
	}
	ASSERT_EQ(1, nlt_count(t));
}

static void yield_a_bit(void)
{
	usleep(300);
}

/* What dump_intr_on_change does between two reads of the dump. */
static struct {
	struct nlt *other;
	int reads;
	int change_after;	/* change the table after this many reads */
	bool del;
	int err;
} between;

static void change_table(void)
{
	struct nlt_dev d;

	if (++between.reads != between.change_after)
		return;
	nlt_dev6(&d, 0x5555);
	between.err = between.del ? nlt_del(between.other, &d) :
				    nlt_new(between.other, &d);
}

/*
 * Deterministic: a change between two parts of a dump marks the dump
 * interrupted; the same dump without a change is not.
 */
TEST_F_TIMEOUT(iotguard, dump_intr_on_change, 120)
{
	/* ~150 bytes per device, parts of at most 32 KiB: 5+ parts */
	const int N = 1000;
	struct nlt *t = &self->nl, other;
	struct nlt_dev *devs = calloc(N, sizeof(*devs));
	int first_err, n, round;
	bool intr;

	ASSERT_NE(NULL, devs);
	ASSERT_EQ(0, nlt_open(&other));
	for (int i = 0; i < N; i++) {
		nlt_dev4(&devs[i], 0x6000 + i);
		strcpy(devs[i].name, "a-fairly-long-device-name");
		NLT_SET(&devs[i], IOTGUARD_A_DEVICE_NAME);
	}
	ASSERT_EQ(0, nlt_new_many(t, devs, N, &first_err))
		TH_LOG("%s", strerror(-first_err));
	for (round = 0; round < 3; round++) {
		char buf[256];

		memset(&between, 0, sizeof(between));
		between.other = &other;
		between.change_after = round ? 1 : -1;	/* round 0: no change */
		between.del = round == 2;
		ASSERT_EQ(0, nlt_dump_ex(t, nlt_req(t, buf, IOTGUARD_CMD_DEVICE_GET,
						     NLM_F_DUMP),
					 NULL, 0, &n, &intr, change_table));
		ASSERT_EQ(0, t->bad[0]) TH_LOG("%s", t->bad);
		ASSERT_LE(3, between.reads) TH_LOG("the dump came in %d reads",
						   between.reads);
		ASSERT_EQ(0, between.err) TH_LOG("change: %s", strerror(-between.err));
		if (round == 0) {
			ASSERT_FALSE(intr);
			ASSERT_EQ(N, n);
		} else {
			ASSERT_TRUE(intr) TH_LOG("round %d: %s between parts, no NLM_F_DUMP_INTR",
						 round, between.del ? "DEL" : "NEW");
		}
	}
	nlt_close(&other);
	free(devs);
}

/*
 * A child keeps adding and deleting devices while the parent dumps. Every
 * message must be well formed; a dump that does not carry NLM_F_DUMP_INTR
 * must be a consistent snapshot: indexes increasing, no identity twice,
 * every stable device present.
 */
TEST_F_TIMEOUT(iotguard, dump_during_changes, 240)
{
	struct nlt *t = &self->nl;
	const int STABLE = 400, CHURN = 64, MAXDEV = STABLE + CHURN + 16;
	struct nlt_dev *devs = calloc(STABLE, sizeof(*devs));
	struct nlt_dev *got = calloc(MAXDEV, sizeof(*got));
	int first_err, dumps = 0, intrs = 0, complete = 0, status;
	pid_t child;
	int ready[2];
	char c;

	ASSERT_NE(NULL, devs);
	ASSERT_NE(NULL, got);
	for (int i = 0; i < STABLE; i++) {
		nlt_dev4(&devs[i], 0x4000 + i);
		snprintf(devs[i].name, sizeof(devs[i].name), "stable%d", i);
		NLT_SET(&devs[i], IOTGUARD_A_DEVICE_NAME);
	}
	ASSERT_EQ(0, nlt_new_many(t, devs, STABLE, &first_err))
		TH_LOG("%s", strerror(-first_err));
	ASSERT_EQ(0, pipe(ready));

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		struct nlt c;
		unsigned int k = 0, errors = 0;

		close(ready[0]);
		if (nlt_open(&c))
			_exit(2);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		/*
		 * Runs until killed: bursts of adds and deletes (with index
		 * reuse), then a pause, so dumps see both a changing and a
		 * quiet table.
		 */
		for (;;) {
			if (k % 64 == 63)
				usleep(100 * 1000);
			struct nlt_dev d;

			if (k % 2 == 0) {
				nlt_dev6(&d, 0x7000 + (k / 2) % CHURN);
				strcpy(d.name, "churn");
				NLT_SET(&d, IOTGUARD_A_DEVICE_NAME);
				if (nlt_new(&c, &d) && c.err != -EEXIST)
					errors++;
			} else {
				nlt_dev6(&d, 0x7000 + ((k / 2) * 7) % CHURN);
				if (nlt_del(&c, &d) && c.err != -ENOENT)
					errors++;
			}
			if (errors > 10)
				_exit(4);
			k++;
		}
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1)) TH_LOG("child did not start");
	close(ready[0]);

	/*
	 * In dumps, not seconds: 100 of them, and on until both kinds were
	 * seen (a slow guest makes fewer dumps a second, not fewer changes
	 * between parts); 2000 is only a net against a child that never
	 * gets to run.
	 */
	do {
		char buf[256];
		bool intr;
		int n, err, stable_seen = 0;

		err = nlt_dump_ex(t, nlt_req(t, buf, IOTGUARD_CMD_DEVICE_GET, NLM_F_DUMP),
				  got, MAXDEV, &n, &intr, yield_a_bit);
		dumps++;
		if (err || t->bad[0] || n > MAXDEV) {
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			ASSERT_EQ(0, err) TH_LOG("dump %d: %s", dumps, strerror(-err));
			ASSERT_EQ(0, t->bad[0]) TH_LOG("dump %d: %s", dumps, t->bad);
			ASSERT_LE(n, MAXDEV);
		}
		if (intr) {
			intrs++;
		} else {
			complete++;
			for (int i = 0; i < n; i++) {
				if (i && got[i - 1].index >= got[i].index) {
					kill(child, SIGKILL);
					waitpid(child, NULL, 0);
					ASSERT_LT(got[i - 1].index, got[i].index)
						TH_LOG("uninterrupted dump %d: index %u after %u",
						       dumps, got[i].index, got[i - 1].index);
				}
				if (!strncmp(got[i].name, "stable", 6))
					stable_seen++;
			}
			if (stable_seen != STABLE) {
				kill(child, SIGKILL);
				waitpid(child, NULL, 0);
				ASSERT_EQ(STABLE, stable_seen)
					TH_LOG("uninterrupted dump %d lacks stable devices",
					       dumps);
			}
		}
	} while (dumps < 100 || (dumps < 2000 && (!intrs || !complete)));

	ASSERT_EQ(0, waitpid(child, &status, WNOHANG))
		TH_LOG("the changing child died early: status %#x", status);
	kill(child, SIGKILL);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	TH_LOG("%d dumps: %d complete, %d interrupted", dumps, complete, intrs);
	ASSERT_EQ(dumps, complete + intrs);
	/* multi-part dumps of 400+ devices under bursts of churn get interrupted */
	ASSERT_LT(0, intrs) TH_LOG("no dump was ever marked NLM_F_DUMP_INTR");
	/* and the consistency checks above ran on some */
	ASSERT_LT(0, complete) TH_LOG("every dump was interrupted");
	/* and then a quiet table dumps consistently again */
	{
		bool intr;
		int n;

		ASSERT_EQ(0, nlt_dump(t, got, MAXDEV, &n, &intr));
		ASSERT_FALSE(intr);
		ASSERT_LE(STABLE, n);
	}
	free(devs);
	free(got);
}

/* ---------------------------------------------------------------- ENOSPC */

TEST_F_TIMEOUT(iotguard, table_full, 240)
{
	struct nlt *t = &self->nl;
	unsigned long max = 0;
	struct nlt_dev *devs, extra;
	int first_err;
	FILE *f;

	f = fopen("/sys/module/iotguard/parameters/max_devices", "r");
	if (!f)
		SKIP(return, "no readable max_devices module parameter");
	ASSERT_EQ(1, fscanf(f, "%lu", &max));
	fclose(f);
	if (max > 20000)
		SKIP(return, "max_devices %lu: too many to fill here", max);
	devs = calloc(max, sizeof(*devs));
	ASSERT_NE(NULL, devs);
	for (unsigned long i = 0; i < max; i++)
		nlt_dev4(&devs[i], 0x10000 + i);
	ASSERT_EQ(0, nlt_new_many(t, devs, max, &first_err))
		TH_LOG("%s", strerror(-first_err));
	nlt_dev6(&extra, 1);
	nlt_new(t, &extra);
	ASSERT_REJECTED(t, ENOSPC);
	/* a duplicate in a full table is still a duplicate */
	nlt_new(t, &devs[0]);
	ASSERT_EQ(-EEXIST, t->err);
	ASSERT_OK(t, nlt_del(t, &devs[max / 2]));
	ASSERT_OK(t, nlt_new(t, &extra));
	free(devs);
}

/* ---------------------------------------------------------------- events */

static int open_events(struct nlt *ev)
{
	int err = nlt_open(ev);

	if (!err)
		err = nlt_join_events(ev);
	return err;
}

TEST_F(iotguard, events_new_set_del)
{
	struct nlt *t = &self->nl, ev;
	struct nlt_dev d, got, e, ch;

	ASSERT_EQ(0, open_events(&ev));
	full_dev(&d, 21);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));

	ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000)) TH_LOG("no NEW event");
	ASSERT_EQ(0, ev.bad[0]) TH_LOG("%s", ev.bad);
	ASSERT_EQ(IOTGUARD_CMD_DEVICE_NEW, e.cmd);
	ASSERT_EQ(t->family, e.nltype);
	ASSERT_EQ(IOTGUARD_GENL_VERSION, e.version);
	ASSERT_STREQ("", dev_diff(&got, &e));	/* as GET gives them */

	nlt_dev4(&ch, 21);
	ch.state = IOTGUARD_STATE_DENY;
	ch.rate_pps = 999;
	ch.burst_pkts = 33;
	NLT_SET(&ch, IOTGUARD_A_DEVICE_STATE);
	NLT_SET(&ch, IOTGUARD_A_DEVICE_RATE_PPS);
	NLT_SET(&ch, IOTGUARD_A_DEVICE_BURST_PKTS);
	ASSERT_OK(t, nlt_set(t, &ch));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(IOTGUARD_STATE_DENY, got.state);
	ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000)) TH_LOG("no SET event");
	ASSERT_EQ(0, ev.bad[0]) TH_LOG("%s", ev.bad);
	ASSERT_EQ(IOTGUARD_CMD_DEVICE_SET, e.cmd);
	ASSERT_STREQ("", dev_diff(&got, &e));	/* after the change */

	ASSERT_OK(t, nlt_del(t, &d));
	ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000)) TH_LOG("no DEL event");
	ASSERT_EQ(0, ev.bad[0]) TH_LOG("%s", ev.bad);
	ASSERT_EQ(IOTGUARD_CMD_DEVICE_DEL, e.cmd);
	ASSERT_STREQ("", dev_diff(&got, &e));	/* before the delete */

	ASSERT_EQ(0, nlt_recv_event(&ev, &e, 200)) TH_LOG("an extra event, cmd %u",
							   e.cmd);
	nlt_close(&ev);
}

TEST_F(iotguard, events_ipv6_device)
{
	struct nlt *t = &self->nl, ev;
	struct nlt_dev d, got, e;

	ASSERT_EQ(0, open_events(&ev));
	nlt_dev6(&d, 0x2222);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000));
	ASSERT_EQ(0, ev.bad[0]) TH_LOG("%s", ev.bad);
	ASSERT_EQ(IOTGUARD_CMD_DEVICE_NEW, e.cmd);
	ASSERT_EQ(AF_INET6, e.af);
	ASSERT_STREQ("", dev_diff(&got, &e));
	nlt_close(&ev);
}

/* One event per change, in the order of the changes, none lost. */
TEST_F(iotguard, events_in_order)
{
	struct nlt *t = &self->nl, ev;
	struct nlt_dev devs[60], e;
	int first_err;

	ASSERT_EQ(0, open_events(&ev));
	for (int i = 0; i < 60; i++)
		nlt_dev4(&devs[i], 0xa00 + i);
	ASSERT_EQ(0, nlt_new_many(t, devs, 60, &first_err));
	for (int i = 59; i >= 0; i -= 2)
		ASSERT_OK(t, nlt_del(t, &devs[i]));
	for (int i = 0; i < 60; i++) {
		ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000)) TH_LOG("NEW event %d", i);
		ASSERT_EQ(0, ev.bad[0]) TH_LOG("%s", ev.bad);
		ASSERT_EQ(IOTGUARD_CMD_DEVICE_NEW, e.cmd);
		ASSERT_TRUE(nlt_same_id(&devs[i], &e)) TH_LOG("NEW event %d is for %s",
							      i, ID_STR(&e));
	}
	for (int i = 59; i >= 0; i -= 2) {
		ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000)) TH_LOG("DEL event %d", i);
		ASSERT_EQ(IOTGUARD_CMD_DEVICE_DEL, e.cmd);
		ASSERT_TRUE(nlt_same_id(&devs[i], &e));
	}
	ASSERT_EQ(0, nlt_recv_event(&ev, &e, 200));
	nlt_close(&ev);
}

/* Rejected requests change nothing, so announce nothing. */
TEST_F(iotguard, events_not_sent_for_rejections)
{
	struct nlt *t = &self->nl, ev;
	struct nlt_dev d, bad, e;

	nlt_dev4(&d, 31);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_EQ(0, open_events(&ev));

	nlt_new(t, &d);
	ASSERT_EQ(-EEXIST, t->err);
	nlt_dev4(&bad, 32);
	nlt_set(t, &bad);
	ASSERT_EQ(-ENOENT, t->err);
	nlt_del(t, &bad);
	ASSERT_EQ(-ENOENT, t->err);
	bad.state = 9;
	NLT_SET(&bad, IOTGUARD_A_DEVICE_STATE);
	nlt_new(t, &bad);
	ASSERT_INVALID(t);
	d.flags = 0x100;
	NLT_SET(&d, IOTGUARD_A_DEVICE_FLAGS);
	nlt_set(t, &d);
	ASSERT_EQ(-EINVAL, t->err);
	nlt_get(t, &d, &e);
	ASSERT_EQ(0, t->err);
	ASSERT_EQ(1, nlt_count(t));

	ASSERT_OK(t, nlt_del(t, &d));
	ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000));
	ASSERT_EQ(IOTGUARD_CMD_DEVICE_DEL, e.cmd) TH_LOG("first event: cmd %u", e.cmd);
	ASSERT_TRUE(nlt_same_id(&d, &e));
	nlt_close(&ev);
}

/* ------------------------------------------------------------ NEW lists */

/*
 * NEW with IOTGUARD_A_DEVICES holding n device nests (extra, if not NULL,
 * is put after the list). offs[i] is where nest i starts in the request,
 * offs[n] where the list ends: the extack offset of a failure must fall
 * into the failing nest.
 */
static int new_list_flags(struct nlt *t, const struct nlt_dev *devs, int n,
			  uint32_t *offs, const struct raw_attr *extra,
			  uint16_t flags)
{
	char *buf = malloc(128 * 1024);
	struct nlattr *list, *nest;
	struct nlmsghdr *nlh;
	int i, ret;

	if (!buf)
		return -ENOMEM;
	nlh = nlt_req(t, buf, IOTGUARD_CMD_DEVICE_NEW, flags);
	list = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICES);
	for (i = 0; i < n; i++) {
		if (offs)
			offs[i] = nlh->nlmsg_len;
		nest = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICE);
		nlt_put_dev(nlh, &devs[i]);
		mnl_attr_nest_end(nlh, nest);
	}
	if (offs)
		offs[n] = nlh->nlmsg_len;
	mnl_attr_nest_end(nlh, list);
	if (extra)
		mnl_attr_put(nlh, extra->type, extra->len, extra->data);
	ret = nlt_do(t, nlh, NULL);
	free(buf);
	return ret;
}

static int new_list(struct nlt *t, const struct nlt_dev *devs, int n,
		    uint32_t *offs, const struct raw_attr *extra)
{
	return new_list_flags(t, devs, n, offs, extra, 0);
}

/* The last request's extack offset points into nest k. */
#define ASSERT_BLAMES(t, offs, k) do {					\
	ASSERT_TRUE((t)->has_offs) TH_LOG("no extack offset");		\
	ASSERT_TRUE((t)->offs >= (offs)[k] && (t)->offs < (offs)[(k) + 1]) \
		TH_LOG("extack offset %u, nest %d is %u..%u", (t)->offs, \
		       (k), (offs)[k], (offs)[(k) + 1]);		\
} while (0)

TEST_F(iotguard, new_list)
{
	struct nlt *t = &self->nl, ev;
	struct nlt_dev devs[3], got, e;

	ASSERT_EQ(0, open_events(&ev));
	full_dev(&devs[0], 90);
	nlt_dev6(&devs[1], 0x4444);
	nlt_dev4(&devs[2], 92);
	strcpy(devs[2].name, "third");
	NLT_SET(&devs[2], IOTGUARD_A_DEVICE_NAME);
	ASSERT_OK(t, new_list(t, devs, 3, NULL, NULL));
	ASSERT_EQ(3, nlt_count(t));
	for (int i = 0; i < 3; i++) {
		ASSERT_OK(t, nlt_get(t, &devs[i], &got));
		ASSERT_EQ(i, got.index) TH_LOG("device %d", i);
		devs[i].index = got.index;
		NLT_SET(&devs[i], IOTGUARD_A_DEVICE_INDEX);
		ASSERT_STREQ("", dev_diff(&devs[i], &got));
		/* one NEW event per device, in list order */
		ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000)) TH_LOG("event %d", i);
		ASSERT_EQ(0, ev.bad[0]) TH_LOG("%s", ev.bad);
		ASSERT_EQ(IOTGUARD_CMD_DEVICE_NEW, e.cmd);
		ASSERT_STREQ("", dev_diff(&got, &e));
	}
	ASSERT_EQ(0, nlt_recv_event(&ev, &e, 200));
	nlt_close(&ev);
}

/*
 * All or nothing: a list with one bad device leaves nothing behind, sends
 * no event, and the extack points into the bad device's nest.
 */
TEST_F(iotguard, new_list_bad_device)
{
	struct nlt *t = &self->nl, ev;
	struct nlt_dev old, devs[5], e;
	uint32_t offs[6];

	nlt_dev4(&old, 100);
	ASSERT_OK(t, nlt_new(t, &old));
	ASSERT_EQ(0, open_events(&ev));
	for (int i = 0; i < 5; i++)
		nlt_dev4(&devs[i], 101 + i);

	/* enrolled already: found at insert time, after two inserted */
	devs[2] = old;
	new_list(t, devs, 5, offs, NULL);
	ASSERT_REJECTED(t, EEXIST);
	ASSERT_BLAMES(t, offs, 2);
	ASSERT_EQ(1, nlt_count(t));

	/* twice in the list */
	nlt_dev4(&devs[2], 103);
	devs[4] = devs[1];
	new_list(t, devs, 5, offs, NULL);
	ASSERT_REJECTED(t, EEXIST);
	ASSERT_BLAMES(t, offs, 4);
	ASSERT_EQ(1, nlt_count(t));

	/* a bad value: the policy points at the attribute, inside the nest */
	nlt_dev4(&devs[4], 105);
	devs[3].state = IOTGUARD_STATE_MAX + 1;
	NLT_SET(&devs[3], IOTGUARD_A_DEVICE_STATE);
	new_list(t, devs, 5, offs, NULL);
	ASSERT_INVALID(t);
	ASSERT_BLAMES(t, offs, 3);
	ASSERT_EQ(1, nlt_count(t));

	/* no identity; a multicast MAC (checked in the module, not the policy) */
	nlt_dev4(&devs[3], 104);
	devs[1].af = 0;
	new_list(t, devs, 5, offs, NULL);
	ASSERT_REJECTED(t, EINVAL);
	ASSERT_BLAMES(t, offs, 1);
	nlt_dev4(&devs[1], 102);
	devs[0].mac[0] = 0x01;
	NLT_SET(&devs[0], IOTGUARD_A_DEVICE_MAC);
	new_list(t, devs, 5, offs, NULL);
	ASSERT_REJECTED(t, EINVAL);
	ASSERT_BLAMES(t, offs, 0);
	ASSERT_EQ(1, nlt_count(t));
	ASSERT_EQ(0, nlt_recv_event(&ev, &e, 200))
		TH_LOG("a rejected list sent an event: cmd %u", e.cmd);

	/* the same list, repaired, goes in whole, at the lowest indexes */
	nlt_dev4(&devs[0], 101);
	ASSERT_OK(t, new_list(t, devs, 5, NULL, NULL));
	ASSERT_EQ(6, nlt_count(t));
	for (int i = 0; i < 5; i++) {
		ASSERT_OK(t, nlt_get(t, &devs[i], &e));
		ASSERT_EQ(i + 1, e.index);
	}
	nlt_close(&ev);
}

TEST_F(iotguard, new_list_limits)
{
	struct nlt *t = &self->nl;
	struct nlt_dev *devs = calloc(IOTGUARD_DEVICES_MAX + 1, sizeof(*devs));
	const struct raw_attr ip4 = { IOTGUARD_A_DEVICE_IPV4, 4, ip4_a };
	const struct raw_attr name = { IOTGUARD_A_DEVICE_NAME, 2, "x" };
	uint32_t offs[3];

	ASSERT_NE(NULL, devs);
	for (int i = 0; i <= IOTGUARD_DEVICES_MAX; i++)
		nlt_dev4(&devs[i], 0x2000 + i);
	/* empty, too long */
	new_list(t, devs, 0, NULL, NULL);
	ASSERT_REJECTED(t, EINVAL);
	new_list(t, devs, IOTGUARD_DEVICES_MAX + 1, NULL, NULL);
	ASSERT_REJECTED(t, EINVAL);
	ASSERT_EQ(0, nlt_count(t));
	/* a list goes alone */
	new_list(t, devs, 2, NULL, &ip4);
	ASSERT_REJECTED(t, EINVAL);
	new_list(t, devs, 2, NULL, &name);
	ASSERT_REJECTED(t, EINVAL);
	ASSERT_EQ(0, nlt_count(t));
	/* reply attributes inside a device nest */
	devs[1].index = 7;
	NLT_SET(&devs[1], IOTGUARD_A_DEVICE_INDEX);
	new_list(t, devs, 2, offs, NULL);
	ASSERT_REJECTED(t, EINVAL);
	ASSERT_BLAMES(t, offs, 1);
	devs[1].present = 0;
	ASSERT_EQ(0, nlt_count(t));
	/* the longest list */
	ASSERT_OK(t, new_list(t, devs, IOTGUARD_DEVICES_MAX, NULL, NULL));
	ASSERT_EQ(IOTGUARD_DEVICES_MAX, nlt_count(t));
	free(devs);
}

/* A list's answers could overrun the socket: NLM_F_ECHO is refused. */
TEST_F(iotguard, new_list_echo_refused)
{
	struct nlt *t = &self->nl;
	struct nlt_dev devs[2];

	nlt_dev4(&devs[0], 0x2100);
	nlt_dev6(&devs[1], 0x2101);
	new_list_flags(t, devs, 2, NULL, NULL, NLM_F_ECHO);
	ASSERT_REJECTED(t, EINVAL);
	ASSERT_EQ(0, t->replies);
	ASSERT_EQ(0, nlt_count(t));
	ASSERT_OK(t, new_list(t, devs, 2, NULL, NULL));
	ASSERT_EQ(2, nlt_count(t));
}

/* What may and may not be inside IOTGUARD_A_DEVICES, and where it goes. */
TEST_F(iotguard, new_list_shape)
{
	struct nlt *t = &self->nl;
	char buf[512];
	struct nlmsghdr *nlh;
	struct nlattr *list, *nest;
	struct nlt_dev d;

	nlt_dev4(&d, 110);
	/* an identity straight in the list, not in a device nest */
	nlh = nlt_req(t, buf, IOTGUARD_CMD_DEVICE_NEW, 0);
	list = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICES);
	nlt_put_id(nlh, &d);
	mnl_attr_nest_end(nlh, list);
	nlt_do(t, nlh, NULL);
	ASSERT_REJECTED(t, EINVAL);
	/* a list in a list */
	nlh = nlt_req(t, buf, IOTGUARD_CMD_DEVICE_NEW, 0);
	list = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICES);
	nest = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICE);
	nlt_put_id(nlh, &d);
	mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICES));
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, list);
	nlt_do(t, nlh, NULL);
	ASSERT_REJECTED(t, EINVAL);
	/* without NLA_F_NESTED */
	nlh = nlt_req(t, buf, IOTGUARD_CMD_DEVICE_NEW, 0);
	list = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICES);
	nest = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICE);
	nlt_put_id(nlh, &d);
	mnl_attr_nest_end(nlh, nest);
	nest->nla_type &= ~NLA_F_NESTED;
	mnl_attr_nest_end(nlh, list);
	nlt_do(t, nlh, NULL);
	ASSERT_REJECTED(t, EINVAL);
	/* SET takes no list */
	ASSERT_OK(t, nlt_new(t, &d));
	nlh = nlt_req(t, buf, IOTGUARD_CMD_DEVICE_SET, 0);
	list = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICES);
	nest = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICE);
	nlt_put_id(nlh, &d);
	mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_STATE, IOTGUARD_STATE_DENY);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, list);
	nlt_do(t, nlh, NULL);
	ASSERT_REJECTED(t, EINVAL);
	ASSERT_EQ(1, nlt_count(t));
}

/* A list that does not fit the table leaves nothing behind. */
TEST_F_TIMEOUT(iotguard, new_list_table_full, 240)
{
	struct nlt *t = &self->nl;
	unsigned long max = 0, i, done = 0;
	struct nlt_dev *devs;
	uint32_t offs[IOTGUARD_DEVICES_MAX + 1];
	FILE *f;

	f = fopen("/sys/module/iotguard/parameters/max_devices", "r");
	if (!f)
		SKIP(return, "no readable max_devices module parameter");
	ASSERT_EQ(1, fscanf(f, "%lu", &max));
	fclose(f);
	if (max > 20000 || max < 8)
		SKIP(return, "max_devices %lu: not a table to fill here", max);
	devs = calloc(max + 8, sizeof(*devs));
	ASSERT_NE(NULL, devs);
	for (i = 0; i < max + 8; i++)
		nlt_dev4(&devs[i], 0x10000 + i);
	/* all but 3 free slots */
	while (done < max - 3) {
		unsigned long n = max - 3 - done;

		if (n > IOTGUARD_DEVICES_MAX)
			n = IOTGUARD_DEVICES_MAX;
		ASSERT_OK(t, new_list(t, devs + done, n, NULL, NULL));
		done += n;
	}
	/* 5 more: the fourth does not fit */
	new_list(t, devs + done, 5, offs, NULL);
	ASSERT_REJECTED(t, ENOSPC);
	ASSERT_BLAMES(t, offs, 3);
	ASSERT_EQ(max - 3, nlt_count(t));
	ASSERT_OK(t, new_list(t, devs + done, 3, NULL, NULL));
	ASSERT_EQ(max, nlt_count(t));
	free(devs);
}

/* ---------------------------------------------------------------- alerts */

#define ALERT_ATTRS ((1U << IOTGUARD_A_DEVICE_INDEX) |			\
		     (1U << IOTGUARD_A_DEVICE_COOKIE) |			\
		     (1U << IOTGUARD_A_ALERT_DETECTOR) |		\
		     (1U << IOTGUARD_A_ALERT_SCORE) |			\
		     (1U << IOTGUARD_A_ALERT_ACTION) |			\
		     (1U << IOTGUARD_A_ALERT_TEXT))

/* An alert about dev (as GET gave it), every required attribute set. */
static void alert_for(struct nlt_dev *a, const struct nlt_dev *dev)
{
	memset(a, 0, sizeof(*a));
	a->index = dev->index;
	a->cookie = dev->cookie;
	a->alert_detector = IOTGUARD_ALERT_DET_SURGE;
	a->alert_score = 12345;
	a->alert_action = IOTGUARD_ALERT_ACT_QUARANTINE;
	snprintf(a->alert_text, sizeof(a->alert_text),
		 "surge: packets 1000 per interval, expected 20 (up to 90)");
	a->present = ALERT_ATTRS;
}

/* "" if the alert event e carries want's alert and dev as GET gives it. */
static const char *alert_diff(const struct nlt_dev *want,
			      const struct nlt_dev *dev, const struct nlt_dev *e)
{
	static char msg[300];
	const char *d = dev_diff(dev, e);

	if (*d)
		return d;
	msg[0] = 0;
	if (e->cmd != IOTGUARD_CMD_ALERT)
		snprintf(msg, sizeof(msg), "cmd %u, not ALERT", e->cmd);
	else if ((e->present & ALERT_ATTRS) != ALERT_ATTRS ||
		 !NLT_HAS(e, IOTGUARD_A_ALERT_FLAGS))
		snprintf(msg, sizeof(msg), "attributes %#llx: some missing",
			 (unsigned long long)e->present);
	else if (e->alert_detector != want->alert_detector ||
		 e->alert_score != want->alert_score ||
		 e->alert_action != want->alert_action ||
		 e->alert_flags != (NLT_HAS(want, IOTGUARD_A_ALERT_FLAGS) ?
				    want->alert_flags : 0))
		snprintf(msg, sizeof(msg),
			 "detector %u score %u action %u flags %#x, want %u %u %u %#x",
			 e->alert_detector, e->alert_score, e->alert_action,
			 e->alert_flags, want->alert_detector,
			 want->alert_score, want->alert_action,
			 want->alert_flags);
	else if (strcmp(e->alert_text, want->alert_text))
		snprintf(msg, sizeof(msg), "text \"%s\"", e->alert_text);
	return msg;
}

TEST_F(iotguard, alert_event)
{
	struct nlt *t = &self->nl, ev;
	struct nlt_dev d, got, a, e;

	full_dev(&d, 80);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(0, open_events(&ev));

	alert_for(&a, &got);
	a.alert_flags = IOTGUARD_ALERT_F_DRY_RUN;
	NLT_SET(&a, IOTGUARD_A_ALERT_FLAGS);
	ASSERT_OK(t, nlt_alert(t, &a));
	ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000)) TH_LOG("no ALERT event");
	ASSERT_EQ(0, ev.bad[0]) TH_LOG("%s", ev.bad);
	ASSERT_EQ(t->family, e.nltype);
	ASSERT_EQ(IOTGUARD_GENL_VERSION, e.version);
	ASSERT_STREQ("", alert_diff(&a, &got, &e));

	/* without FLAGS, a release with no detector: flags 0 in the event */
	alert_for(&a, &got);
	a.alert_detector = IOTGUARD_ALERT_DET_NONE;
	a.alert_action = IOTGUARD_ALERT_ACT_RELEASE;
	a.alert_score = 0;
	strcpy(a.alert_text, "calm again (score 0.4)");
	ASSERT_OK(t, nlt_alert(t, &a));
	ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000)) TH_LOG("no ALERT event");
	ASSERT_EQ(0, ev.bad[0]) TH_LOG("%s", ev.bad);
	ASSERT_STREQ("", alert_diff(&a, &got, &e));

	/* the longest text, every flag, the highest values */
	alert_for(&a, &got);
	memset(a.alert_text, 'x', IOTGUARD_ALERT_TEXT_LEN - 1);
	a.alert_text[IOTGUARD_ALERT_TEXT_LEN - 1] = 0;
	a.alert_detector = IOTGUARD_ALERT_DET_MAX;
	a.alert_action = IOTGUARD_ALERT_ACT_MAX;
	a.alert_score = UINT32_MAX;
	a.alert_flags = IOTGUARD_ALERT_F_DRY_RUN | IOTGUARD_ALERT_F_FAILED;
	NLT_SET(&a, IOTGUARD_A_ALERT_FLAGS);
	ASSERT_OK(t, nlt_alert(t, &a));
	ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000)) TH_LOG("no ALERT event");
	ASSERT_EQ(0, ev.bad[0]) TH_LOG("%s", ev.bad);
	ASSERT_STREQ("", alert_diff(&a, &got, &e));

	/* an alert changes nothing, and comes before its device's DEL */
	ASSERT_OK(t, nlt_alert(t, &a));
	ASSERT_OK(t, nlt_get(t, &d, &e));
	ASSERT_STREQ("", dev_diff(&got, &e));
	ASSERT_OK(t, nlt_del(t, &d));
	ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000));
	ASSERT_EQ(IOTGUARD_CMD_ALERT, e.cmd);
	ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000));
	ASSERT_EQ(IOTGUARD_CMD_DEVICE_DEL, e.cmd);
	ASSERT_EQ(0, nlt_recv_event(&ev, &e, 200)) TH_LOG("an extra event, cmd %u",
							   e.cmd);
	nlt_close(&ev);
}

TEST_F(iotguard, alert_ipv6_device)
{
	struct nlt *t = &self->nl, ev;
	struct nlt_dev d, got, a, e;

	nlt_dev6(&d, 0x3333);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(0, open_events(&ev));
	alert_for(&a, &got);
	ASSERT_OK(t, nlt_alert(t, &a));
	ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000));
	ASSERT_EQ(0, ev.bad[0]) TH_LOG("%s", ev.bad);
	ASSERT_EQ(AF_INET6, e.af);
	ASSERT_STREQ("", alert_diff(&a, &got, &e));
	nlt_close(&ev);
}

/* Each required attribute left out: EINVAL, a message and its type. */
TEST_F(iotguard, alert_missing_attributes)
{
	struct nlt *t = &self->nl, ev;
	const int required[] = {
		IOTGUARD_A_DEVICE_INDEX, IOTGUARD_A_DEVICE_COOKIE,
		IOTGUARD_A_ALERT_DETECTOR, IOTGUARD_A_ALERT_SCORE,
		IOTGUARD_A_ALERT_ACTION, IOTGUARD_A_ALERT_TEXT,
	};
	struct nlt_dev d, got, a, e;

	nlt_dev4(&d, 81);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(0, open_events(&ev));
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		alert_for(&a, &got);
		a.present &= ~(1U << required[i]);
		nlt_alert(t, &a);
		ASSERT_REJECTED(t, EINVAL);
		ASSERT_NE(NULL, strstr(t->extack, "Missing"))
			TH_LOG("attribute %d: extack \"%s\"", required[i],
			       t->extack);
		ASSERT_TRUE(t->has_miss_type)
			TH_LOG("attribute %d: no NLMSGERR_ATTR_MISS_TYPE",
			       required[i]);
		ASSERT_EQ(required[i], t->miss_type);
	}
	/* nothing at all */
	memset(&a, 0, sizeof(a));
	nlt_alert(t, &a);
	ASSERT_REJECTED(t, EINVAL);
	ASSERT_EQ(0, nlt_recv_event(&ev, &e, 200))
		TH_LOG("a rejected alert was sent: cmd %u", e.cmd);
	nlt_close(&ev);
}

/*
 * The device must be enrolled with that index and cookie: a device deleted
 * and replaced at its index is not blamed for its predecessor's alert.
 */
TEST_F(iotguard, alert_unknown_device)
{
	struct nlt *t = &self->nl, ev;
	struct nlt_dev d, other, got, again, a, e;

	nlt_dev4(&d, 82);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(0, open_events(&ev));

	alert_for(&a, &got);
	a.cookie = got.cookie + 1;
	nlt_alert(t, &a);
	ASSERT_REJECTED(t, ENOENT);
	alert_for(&a, &got);
	a.index = got.index + 1;
	nlt_alert(t, &a);
	ASSERT_REJECTED(t, ENOENT);
	a.index = UINT32_MAX;
	nlt_alert(t, &a);
	ASSERT_REJECTED(t, ENOENT);

	/* same index, another device */
	ASSERT_OK(t, nlt_del(t, &d));
	ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000));
	ASSERT_EQ(IOTGUARD_CMD_DEVICE_DEL, e.cmd);
	nlt_dev4(&other, 83);
	ASSERT_OK(t, nlt_new(t, &other));
	ASSERT_OK(t, nlt_get(t, &other, &again));
	ASSERT_EQ(got.index, again.index);
	ASSERT_NE(got.cookie, again.cookie);
	ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000));
	ASSERT_EQ(IOTGUARD_CMD_DEVICE_NEW, e.cmd);
	alert_for(&a, &got);
	nlt_alert(t, &a);
	ASSERT_REJECTED(t, ENOENT);
	ASSERT_EQ(0, nlt_recv_event(&ev, &e, 200))
		TH_LOG("a rejected alert was sent: cmd %u", e.cmd);
	nlt_close(&ev);
}

/* Checked the same with no listener: nothing is sent, errors stay. */
TEST_F(iotguard, alert_without_listeners)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, got, a;

	nlt_dev4(&d, 84);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	alert_for(&a, &got);
	ASSERT_OK(t, nlt_alert(t, &a));
	a.cookie++;
	nlt_alert(t, &a);
	ASSERT_REJECTED(t, ENOENT);
	alert_for(&a, &got);
	a.present &= ~(1U << IOTGUARD_A_ALERT_TEXT);
	nlt_alert(t, &a);
	ASSERT_REJECTED(t, EINVAL);
}

TEST_F(iotguard, alert_text_limits)
{
	struct nlt *t = &self->nl;
	char text[IOTGUARD_ALERT_TEXT_LEN + 1];
	struct nlt_dev d, got;
	uint8_t score[4] = { 0 }, det = 1, act = 1;
	uint32_t index, cookie;

	nlt_dev4(&d, 85);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	index = got.index;
	cookie = got.cookie;
	memset(text, 'y', sizeof(text));
	text[IOTGUARD_ALERT_TEXT_LEN] = 0;
	/* 256 bytes and a NUL; 256 bytes without one; a NUL alone */
	const uint16_t lens[] = { IOTGUARD_ALERT_TEXT_LEN + 1,
				  IOTGUARD_ALERT_TEXT_LEN, 1, 0 };
	const int codes[] = { 0, 0, EINVAL, 0 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		const char *payload = lens[i] == 1 ? "" : text;
		struct raw_attr a[] = {
			{ IOTGUARD_A_DEVICE_INDEX, 4, &index },
			{ IOTGUARD_A_DEVICE_COOKIE, 4, &cookie },
			{ IOTGUARD_A_ALERT_DETECTOR, 1, &det },
			{ IOTGUARD_A_ALERT_SCORE, 4, score },
			{ IOTGUARD_A_ALERT_ACTION, 1, &act },
			{ IOTGUARD_A_ALERT_TEXT, lens[i], payload },
		};

		raw_req(t, IOTGUARD_CMD_ALERT, 0, a, 6, NULL);
		if (codes[i])
			ASSERT_REJECTED(t, codes[i]);
		else
			ASSERT_INVALID(t);
	}
	/* a text that ends early is taken up to its NUL */
	text[10] = 0;
	{
		struct raw_attr a[] = {
			{ IOTGUARD_A_DEVICE_INDEX, 4, &index },
			{ IOTGUARD_A_DEVICE_COOKIE, 4, &cookie },
			{ IOTGUARD_A_ALERT_DETECTOR, 1, &det },
			{ IOTGUARD_A_ALERT_SCORE, 4, score },
			{ IOTGUARD_A_ALERT_ACTION, 1, &act },
			{ IOTGUARD_A_ALERT_TEXT, 12, text },
		};

		ASSERT_EQ(0, raw_req(t, IOTGUARD_CMD_ALERT, 0, a, 6, NULL))
			TH_LOG("%s", t->extack);
	}
}

/* Strict: unknown and device attributes, bad values, bad sizes. */
TEST_F(iotguard, alert_strict_attributes)
{
	struct nlt *t = &self->nl, ev;
	struct nlt_dev d, got, a, e;
	static const uint32_t four;
	uint32_t index, cookie, score = 1, flags;
	uint8_t det = 1, act = 1;

	nlt_dev4(&d, 86);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(0, open_events(&ev));
	index = got.index;
	cookie = got.cookie;

	/* another attribute besides the good ones */
	const struct raw_attr extra[] = {
		{ IOTGUARD_A_MAX + 1, 4, &four },
		{ 0x3fff, 4, &four },
		{ IOTGUARD_A_DEVICE_IPV4, 4, ip4_a },
		{ IOTGUARD_A_DEVICE_NAME, 5, "lamp" },
		{ IOTGUARD_A_DEVICE_STATE, 1, (uint8_t[]){ IOTGUARD_STATE_DENY } },
	};
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		struct raw_attr r[] = {
			{ IOTGUARD_A_DEVICE_INDEX, 4, &index },
			{ IOTGUARD_A_DEVICE_COOKIE, 4, &cookie },
			{ IOTGUARD_A_ALERT_DETECTOR, 1, &det },
			{ IOTGUARD_A_ALERT_SCORE, 4, &score },
			{ IOTGUARD_A_ALERT_ACTION, 1, &act },
			{ IOTGUARD_A_ALERT_TEXT, 3, "hi" },
			extra[i],
		};

		raw_req(t, IOTGUARD_CMD_ALERT, 0, r, 7, NULL);
		ASSERT_EQ(-EINVAL, t->err)
			TH_LOG("with attribute %u: %s", extra[i].type,
			       strerror(-t->err));
		ASSERT_NE(0, t->extack[0]);
	}

	/* values out of range */
	alert_for(&a, &got);
	a.alert_detector = IOTGUARD_ALERT_DET_MAX + 1;
	nlt_alert(t, &a);
	ASSERT_INVALID(t);
	alert_for(&a, &got);
	a.alert_action = IOTGUARD_ALERT_ACT_MAX + 1;
	nlt_alert(t, &a);
	ASSERT_INVALID(t);
	alert_for(&a, &got);
	a.alert_action = 255;
	nlt_alert(t, &a);
	ASSERT_INVALID(t);
	for (flags = __IOTGUARD_ALERT_F_ALL + 1; flags; flags <<= 1) {
		if (flags & __IOTGUARD_ALERT_F_ALL)
			continue;
		alert_for(&a, &got);
		a.alert_flags = flags;
		NLT_SET(&a, IOTGUARD_A_ALERT_FLAGS);
		nlt_alert(t, &a);
		ASSERT_INVALID(t);
	}

	/* sizes */
	{
		uint64_t wide = 1;
		struct raw_attr r[] = {
			{ IOTGUARD_A_DEVICE_INDEX, 4, &index },
			{ IOTGUARD_A_DEVICE_COOKIE, 4, &cookie },
			{ IOTGUARD_A_ALERT_DETECTOR, 1, &det },
			{ IOTGUARD_A_ALERT_SCORE, 4, &score },
			{ IOTGUARD_A_ALERT_ACTION, 1, &act },
			{ IOTGUARD_A_ALERT_TEXT, 3, "hi" },
		};

		for (int i = 0; i < 5; i++) {
			struct raw_attr save = r[i];

			r[i].len = r[i].len == 1 ? 4 : 2;
			r[i].data = &wide;
			raw_req(t, IOTGUARD_CMD_ALERT, 0, r, 6, NULL);
			ASSERT_INVALID(t);
			r[i] = save;
		}
		/* and the same request with the sizes right goes through */
		ASSERT_EQ(0, raw_req(t, IOTGUARD_CMD_ALERT, 0, r, 6, NULL))
			TH_LOG("%s", t->extack);
	}
	ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000));
	ASSERT_EQ(IOTGUARD_CMD_ALERT, e.cmd);
	ASSERT_STREQ("hi", e.alert_text);
	ASSERT_EQ(0, nlt_recv_event(&ev, &e, 200))
		TH_LOG("a rejected alert was sent: text \"%s\"", e.alert_text);
	nlt_close(&ev);
}

/* ---------------------------------------------------------- permissions */

#define CHILD_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "# child: " __VA_ARGS__);		\
		fprintf(stderr, "\n");					\
		_exit(1);						\
	}								\
} while (0)

/* In a child without CAP_NET_ADMIN: every command is refused. */
static void check_all_eperm(void)
{
	struct nlt c;
	struct nlt_dev d, got;
	char buf[256];
	int n, err;

	err = nlt_open(&c);
	CHILD_CHECK(!err, "open: %s", strerror(-err));
	nlt_dev4(&d, 41);
	nlt_new(&c, &d);
	CHILD_CHECK(c.err == -EPERM, "NEW: %s", strerror(-c.err));
	nlt_dev4(&d, 40);
	d.state = IOTGUARD_STATE_DENY;
	NLT_SET(&d, IOTGUARD_A_DEVICE_STATE);
	nlt_set(&c, &d);
	CHILD_CHECK(c.err == -EPERM, "SET: %s", strerror(-c.err));
	nlt_get(&c, &d, &got);
	CHILD_CHECK(c.err == -EPERM, "GET: %s", strerror(-c.err));
	CHILD_CHECK(c.replies == 0, "GET replied");
	nlt_del(&c, &d);
	CHILD_CHECK(c.err == -EPERM, "DEL: %s", strerror(-c.err));
	nlt_dump_ex(&c, nlt_req(&c, buf, IOTGUARD_CMD_DEVICE_GET, NLM_F_DUMP),
		    NULL, 0, &n, NULL, NULL);
	CHILD_CHECK(c.err == -EPERM, "dump: %s", strerror(-c.err));
	CHILD_CHECK(n == 0, "dump gave %d devices", n);
	err = nlt_join_events(&c);
	CHILD_CHECK(err == -EPERM, "join events: %s", strerror(-err));
	/* the parent enrolled device 40 first: index 0, cookie 1 or more */
	for (uint32_t cookie = 1; cookie < 64; cookie++) {
		struct nlt_dev a = { .cookie = cookie };

		a.alert_detector = IOTGUARD_ALERT_DET_SURGE;
		a.alert_action = IOTGUARD_ALERT_ACT_ALERT;
		strcpy(a.alert_text, "from a child without CAP_NET_ADMIN");
		a.present = (1U << IOTGUARD_A_DEVICE_INDEX) |
			    (1U << IOTGUARD_A_DEVICE_COOKIE) |
			    (1U << IOTGUARD_A_ALERT_DETECTOR) |
			    (1U << IOTGUARD_A_ALERT_SCORE) |
			    (1U << IOTGUARD_A_ALERT_ACTION) |
			    (1U << IOTGUARD_A_ALERT_TEXT);
		nlt_alert(&c, &a);
		CHILD_CHECK(c.err == -EPERM, "ALERT: %s", strerror(-c.err));
	}
	nlt_close(&c);
	_exit(0);
}

static void assert_untouched(struct __test_metadata *_metadata, struct nlt *t)
{
	struct nlt_dev d, got;

	nlt_dev4(&d, 40);
	ASSERT_OK(t, nlt_get(t, &d, &got));
	ASSERT_EQ(IOTGUARD_STATE_ALLOW, got.state);
	ASSERT_EQ(1, nlt_count(t));
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

TEST_F(iotguard, unprivileged_setuid)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d;
	pid_t pid;

	nlt_dev4(&d, 40);
	ASSERT_OK(t, nlt_new(t, &d));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_CHECK(!prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "keepcaps");
		CHILD_CHECK(!setgroups(0, NULL), "setgroups");
		CHILD_CHECK(!setgid(65534), "setgid");
		CHILD_CHECK(!setuid(65534), "setuid");
		check_all_eperm();
	}
	ASSERT_EQ(0, wait_child(pid));
	assert_untouched(_metadata, t);
}

TEST_F(iotguard, unprivileged_capset)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d;
	pid_t pid;

	nlt_dev4(&d, 40);
	ASSERT_OK(t, nlt_new(t, &d));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct __user_cap_header_struct h = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct c[2];

		/* still uid 0, but without CAP_NET_ADMIN */
		CHILD_CHECK(!syscall(SYS_capget, &h, c), "capget");
		c[0].effective &= ~(1U << CAP_NET_ADMIN);
		c[0].permitted &= ~(1U << CAP_NET_ADMIN);
		c[0].inheritable &= ~(1U << CAP_NET_ADMIN);
		CHILD_CHECK(!syscall(SYS_capset, &h, c), "capset: %s",
			    strerror(errno));
		CHILD_CHECK(getuid() == 0, "not root");
		check_all_eperm();
	}
	ASSERT_EQ(0, wait_child(pid));
	assert_untouched(_metadata, t);
}

/*
 * CAP_NET_ADMIN counts in the user namespace owning the socket's network
 * namespace: full capabilities in a new user namespace grant nothing over
 * the initial netns, but everything over a netns that namespace owns.
 */
TEST_F(iotguard, user_namespace_owner)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d;
	pid_t pid;
	int rc;

	nlt_dev4(&d, 40);
	ASSERT_OK(t, nlt_new(t, &d));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (unshare(CLONE_NEWUSER))
			_exit(42);
		check_all_eperm();
	}
	rc = wait_child(pid);
	if (rc == 42)
		SKIP(return, "unshare(CLONE_NEWUSER): no user namespaces");
	ASSERT_EQ(0, rc);
	assert_untouched(_metadata, t);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct nlt c;
		int err;

		if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
			_exit(42);
		err = nlt_open(&c);
		CHILD_CHECK(!err, "open: %s", strerror(-err));
		CHILD_CHECK(nlt_count(&c) == 0, "the new netns is not empty");
		CHILD_CHECK(!nlt_new(&c, &d), "NEW in own netns: %s (%s)",
			    strerror(-c.err), c.extack);
		CHILD_CHECK(nlt_count(&c) == 1, "count");
		err = nlt_join_events(&c);
		CHILD_CHECK(!err, "join events in own netns: %s", strerror(-err));
		CHILD_CHECK(!nlt_del(&c, &d), "DEL: %s", strerror(-c.err));
		nlt_close(&c);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
	assert_untouched(_metadata, t);
}

/* ---------------------------------------------------- network namespaces */

TEST_F(iotguard, netns_isolation)
{
	struct nlt *t = &self->nl;
	struct nlt_dev a, b, got;
	int to_parent[2], to_child[2];
	char c;
	pid_t pid;

	nlt_dev4(&a, 50);
	strcpy(a.name, "parent");
	NLT_SET(&a, IOTGUARD_A_DEVICE_NAME);
	ASSERT_OK(t, nlt_new(t, &a));
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct nlt cn;
		struct nlt_dev ca, cb, cg;
		int err;

		CHILD_CHECK(!unshare(CLONE_NEWNET), "unshare: %s", strerror(errno));
		err = nlt_open(&cn);
		CHILD_CHECK(!err, "open: %s", strerror(-err));
		CHILD_CHECK(nlt_count(&cn) == 0, "sees the parent's devices");
		nlt_get(&cn, &a, &cg);
		CHILD_CHECK(cn.err == -ENOENT, "GET parent's device: %s",
			    strerror(-cn.err));
		nlt_dev4(&ca, 50);
		strcpy(ca.name, "child");
		NLT_SET(&ca, IOTGUARD_A_DEVICE_NAME);
		CHILD_CHECK(!nlt_new(&cn, &ca), "NEW same address: %s (%s)",
			    strerror(-cn.err), cn.extack);
		nlt_dev6(&cb, 51);
		CHILD_CHECK(!nlt_new(&cn, &cb), "NEW: %s", strerror(-cn.err));
		CHILD_CHECK(write(to_parent[1], "1", 1) == 1, "write");
		CHILD_CHECK(read(to_child[0], &c, 1) == 1, "read");
		/* the parent deleted its own a and enrolled b */
		CHILD_CHECK(!nlt_get(&cn, &ca, &cg), "GET: %s", strerror(-cn.err));
		CHILD_CHECK(!strcmp(cg.name, "child"), "name %s", cg.name);
		CHILD_CHECK(nlt_count(&cn) == 2, "count %d", nlt_count(&cn));
		CHILD_CHECK(!nlt_del(&cn, &cb), "DEL: %s", strerror(-cn.err));
		nlt_close(&cn);
		/* devices left in a dying netns must be freed by the module */
		_exit(0);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1)) TH_LOG("child failed early");
	ASSERT_OK(t, nlt_get(t, &a, &got));
	ASSERT_STREQ("parent", got.name);
	nlt_dev6(&b, 51);
	nlt_get(t, &b, &got);
	ASSERT_EQ(-ENOENT, t->err);
	ASSERT_EQ(1, nlt_count(t));
	ASSERT_OK(t, nlt_del(t, &a));
	ASSERT_OK(t, nlt_new(t, &b));
	ASSERT_EQ(1, write(to_child[1], "2", 1));
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(1, nlt_count(t));
}

TEST_F(iotguard, netns_events_isolation)
{
	struct nlt *t = &self->nl, ev;
	struct nlt_dev d, e;
	int sync[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, open_events(&ev));
	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct nlt cn, cev;
		struct nlt_dev cd, ce;
		int err;

		CHILD_CHECK(!unshare(CLONE_NEWNET), "unshare: %s", strerror(errno));
		err = open_events(&cev);
		CHILD_CHECK(!err, "events: %s", strerror(-err));
		err = nlt_open(&cn);
		CHILD_CHECK(!err, "open: %s", strerror(-err));
		nlt_dev4(&cd, 60);
		strcpy(cd.name, "inner");
		NLT_SET(&cd, IOTGUARD_A_DEVICE_NAME);
		CHILD_CHECK(!nlt_new(&cn, &cd), "NEW: %s", strerror(-cn.err));
		CHILD_CHECK(!nlt_del(&cn, &cd), "DEL: %s", strerror(-cn.err));
		CHILD_CHECK(write(sync[1], "1", 1) == 1, "write");
		/* its own events, and none of the parent's */
		CHILD_CHECK(nlt_recv_event(&cev, &ce, 3000) == 1, "no NEW event");
		CHILD_CHECK(ce.cmd == IOTGUARD_CMD_DEVICE_NEW &&
			    !strcmp(ce.name, "inner"), "NEW event: cmd %u name %s",
			    ce.cmd, ce.name);
		CHILD_CHECK(nlt_recv_event(&cev, &ce, 3000) == 1, "no DEL event");
		CHILD_CHECK(ce.cmd == IOTGUARD_CMD_DEVICE_DEL, "DEL event: cmd %u",
			    ce.cmd);
		CHILD_CHECK(nlt_recv_event(&cev, &ce, 500) == 0,
			    "got an outer event: cmd %u name %s", ce.cmd, ce.name);
		_exit(0);
	}
	ASSERT_EQ(1, read(sync[0], &c, 1));
	nlt_dev4(&d, 60);
	strcpy(d.name, "outer");
	NLT_SET(&d, IOTGUARD_A_DEVICE_NAME);
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_EQ(1, nlt_recv_event(&ev, &e, 3000));
	ASSERT_EQ(IOTGUARD_CMD_DEVICE_NEW, e.cmd);
	ASSERT_STREQ("outer", e.name) TH_LOG("got the inner netns's event");
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, nlt_recv_event(&ev, &e, 200));
	nlt_close(&ev);
}

/* ------------------------------------------------------- misc protocol */

/* Many requests in one sendmsg: each gets its own ACK, in order. */
TEST_F(iotguard, batched_requests)
{
	struct nlt *t = &self->nl;
	struct nlt_dev devs[40];
	int first_err;

	for (int i = 0; i < 40; i++)
		nlt_dev6(&devs[i], 0x900 + (i % 20));	/* 20 duplicates */
	ASSERT_EQ(20, nlt_new_many(t, devs, 40, &first_err));
	ASSERT_EQ(-EEXIST, first_err);
	ASSERT_EQ(20, nlt_count(t));
}

/*
 * The family checks the reserved header fields of every command: a
 * non-zero genlmsghdr.reserved, or an nlmsg_flags bit that means nothing
 * to generic netlink (NLM_F_CREATE, NLM_F_EXCL...), is refused.
 */
TEST_F(iotguard, reserved_header_fields)
{
	static const uint8_t cmds[] = {
		IOTGUARD_CMD_DEVICE_NEW, IOTGUARD_CMD_DEVICE_SET,
		IOTGUARD_CMD_DEVICE_DEL, IOTGUARD_CMD_DEVICE_GET,
		IOTGUARD_CMD_ALERT,
	};
	static const uint16_t bad_flags[] = {
		NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_APPEND,
	};
	struct nlt *t = &self->nl;
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	struct nlt_dev d;
	char buf[1024];

	nlt_dev4(&d, 0x60);
	for (size_t i = 0; i < sizeof(cmds); i++) {
		nlh = nlt_req(t, buf, cmds[i], 0);
		g = mnl_nlmsg_get_payload(nlh);
		g->reserved = 1;
		nlt_put_dev(nlh, &d);
		nlt_do(t, nlh, NULL);
		ASSERT_EQ(-EINVAL, t->err) TH_LOG("command %u: %s", cmds[i],
						  strerror(-t->err));
		ASSERT_NE(0, t->extack[0]) TH_LOG("command %u", cmds[i]);
		for (size_t j = 0; j < sizeof(bad_flags) / sizeof(bad_flags[0]);
		     j++) {
			nlh = nlt_req(t, buf, cmds[i], bad_flags[j]);
			nlt_put_dev(nlh, &d);
			nlt_do(t, nlh, NULL);
			ASSERT_EQ(-EINVAL, t->err)
				TH_LOG("command %u, flag %#x: %s", cmds[i],
				       bad_flags[j], strerror(-t->err));
			ASSERT_NE(0, t->extack[0])
				TH_LOG("command %u, flag %#x", cmds[i],
				       bad_flags[j]);
		}
	}
	ASSERT_EQ(0, nlt_count(t));
	/* and the same NEW with a clean header goes through */
	ASSERT_OK(t, nlt_new(t, &d));
	ASSERT_EQ(1, nlt_count(t));
}

/* A GET reply goes to the asking socket only, with its sequence number. */
TEST_F(iotguard, get_reply_addressing)
{
	struct nlt *t = &self->nl, other;
	struct nlt_dev d, got;
	char buf[256];
	struct nlmsghdr *nlh;

	ASSERT_EQ(0, nlt_open(&other));
	nlt_dev4(&d, 70);
	ASSERT_OK(t, nlt_new(t, &d));
	nlh = nlt_req(t, buf, IOTGUARD_CMD_DEVICE_GET, 0);
	nlt_put_id(nlh, &d);
	ASSERT_OK(t, nlt_do(t, nlh, &got));
	ASSERT_EQ(1, t->replies);
	ASSERT_TRUE(nlt_same_id(&d, &got));
	/* nothing arrived at the other socket */
	ASSERT_EQ(0, nlt_recv_event(&other, &got, 100));
	nlt_close(&other);
}

/*
 * Helper modes for tests/guest/run-all.sh (not tests):
 *   --enroll N   enroll N IPv4 devices in the caller's netns, verify by dump
 *   --count      print the number of devices in the caller's netns
 */
static int helper_main(int argc, char **argv)
{
	struct nlt t;
	int err, n;

	err = nlt_open(&t);
	if (err) {
		fprintf(stderr, "netlink_test: %s\n", strerror(-err));
		return 1;
	}
	if (!strcmp(argv[1], "--count")) {
		n = nlt_count(&t);
		if (n < 0) {
			fprintf(stderr, "netlink_test: dump: %s\n", strerror(-n));
			return 1;
		}
		printf("%d\n", n);
		return 0;
	}
	if (!strcmp(argv[1], "--enroll") && argc == 3) {
		int want = atoi(argv[2]), i;

		for (i = 0; i < want; i++) {
			struct nlt_dev d;

			nlt_dev4(&d, 0x8000 + i);
			strcpy(d.name, "leftover");
			NLT_SET(&d, IOTGUARD_A_DEVICE_NAME);
			if (nlt_new(&t, &d)) {
				fprintf(stderr, "netlink_test: NEW: %s (%s)\n",
					strerror(-t.err), t.extack);
				return 1;
			}
		}
		n = nlt_count(&t);
		if (n != want) {
			fprintf(stderr, "netlink_test: %d devices, want %d\n", n, want);
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "usage: %s [--count | --enroll N]\n", argv[0]);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strncmp(argv[1], "--", 2))
		return helper_main(argc, argv);
	return test_harness_run(argc, argv);
}
