// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the netlink client's parsers of one received buffer
 * (user/lib/nl.c, included whole for its static functions): what the
 * kernel's replies, ACKs and events give, spread over several buffers as
 * recvfrom gives them; and what a forged buffer must not do, which
 * tests/fuzz/nl_fuzz.c found: loop forever on a length of 2 GiB or more,
 * pass on an error no errno is, count a request's devices failed twice,
 * or read an attribute past the end of a buffer;
 * and, on a real socket of the host's kernel, that a reply another process
 * forged is not taken for the kernel's.
 */
#include "../../user/lib/nl.c"

#include <limits.h>
/*
 * The 6.1 harness is not -Wextra clean: TEST() leaves a parameter unused
 * and EXPECT_EQ() compares an int literal with what it is given.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"

#define FAMILY_ID 0x1f
#define SEQ 500

/* Messages of a buffer, built as the kernel builds them. */
struct msgs {
	char buf[8192] __attribute__((aligned(8)));
	size_t len;
};

static struct nlmsghdr *put_msg(struct msgs *m, uint16_t type, uint16_t flags,
				uint32_t seq, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->buf + m->len);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = IOTGUARD_GENL_VERSION;
	return nlh;
}

static void end_msg(struct msgs *m, struct nlmsghdr *nlh)
{
	m->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void put_device_msg(struct msgs *m, uint16_t flags, uint32_t seq,
			   uint8_t cmd, uint8_t last, const char *name)
{
	struct nlmsghdr *nlh = put_msg(m, FAMILY_ID, flags, seq, cmd);
	uint8_t v4[4] = { 198, 18, 1, last };

	mnl_attr_put(nlh, IOTGUARD_A_DEVICE_IPV4, 4, v4);
	mnl_attr_put_strz(nlh, IOTGUARD_A_DEVICE_NAME, name);
	mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_INDEX, last);
	mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_CRED_MODE, IOTGUARD_CRED_AUTH);
	mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_CRED_KEY_ID, 7);
	if (cmd == IOTGUARD_CMD_ALERT) {
		mnl_attr_put_u8(nlh, IOTGUARD_A_ALERT_DETECTOR, 1);
		mnl_attr_put_u32(nlh, IOTGUARD_A_ALERT_SCORE, 7250);
		mnl_attr_put_u8(nlh, IOTGUARD_A_ALERT_ACTION, 2);
		mnl_attr_put_strz(nlh, IOTGUARD_A_ALERT_TEXT, "a surge");
	}
	end_msg(m, nlh);
}

static void put_ack(struct msgs *m, uint32_t seq, int error, const char *msg)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->buf + m->len);
	struct nlmsgerr *err;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED | (msg ? NLM_F_ACK_TLVS : 0);
	nlh->nlmsg_seq = seq;
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	err->error = error;
	err->msg.nlmsg_len = sizeof(err->msg);
	err->msg.nlmsg_seq = seq;
	if (msg)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	end_msg(m, nlh);
}

static void put_done(struct msgs *m, uint32_t seq, int error)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->buf + m->len);

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = seq;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(error)), &error,
	       sizeof(error));
	end_msg(m, nlh);
}

FIXTURE(nl)
{
	struct iotguard_nl nl;
	struct msgs a, b;
};

FIXTURE_SETUP(nl)
{
	memset(&self->nl, 0, sizeof(self->nl));
	self->nl.family_id = FAMILY_ID;
	self->nl.seq = SEQ;
	self->a.len = 0;
	self->b.len = 0;
}

FIXTURE_TEARDOWN(nl)
{
}

/* A dump in two buffers: a stale reply skipped, DUMP_INTR seen. */
TEST_F(nl, dump_over_two_buffers)
{
	struct device_list list = { 0 };
	bool interrupted = false;
	struct replies r = {
		.seq = SEQ, .cb = dump_cb, .data = &list,
		.interrupted = &interrupted,
	};

	put_device_msg(&self->a, NLM_F_MULTI, SEQ - 1,
		       IOTGUARD_CMD_DEVICE_GET, 9, "stale");
	put_device_msg(&self->a, NLM_F_MULTI, SEQ, IOTGUARD_CMD_DEVICE_GET,
		       1, "one");
	put_device_msg(&self->a, NLM_F_MULTI, SEQ, IOTGUARD_CMD_DEVICE_GET,
		       2, "two");
	put_device_msg(&self->b, NLM_F_MULTI | NLM_F_DUMP_INTR, SEQ,
		       IOTGUARD_CMD_DEVICE_GET, 3, "three");
	put_done(&self->b, SEQ, 0);

	handle_replies(&self->nl, self->a.buf, self->a.len, &r);
	EXPECT_FALSE(r.done);
	EXPECT_FALSE(interrupted);
	handle_replies(&self->nl, self->b.buf, self->b.len, &r);
	EXPECT_TRUE(r.done);
	EXPECT_EQ(0, r.ret);
	EXPECT_TRUE(interrupted);
	ASSERT_EQ(3, list.count);
	EXPECT_STREQ("one", list.devs[0].name);
	EXPECT_STREQ("three", list.devs[2].name);
	EXPECT_EQ(AF_INET, list.devs[2].id.family);
	EXPECT_EQ(3, list.devs[2].id.addr[3]);
	EXPECT_EQ(IOTGUARD_CRED_AUTH, list.devs[1].cred_mode);
	EXPECT_EQ(7, list.devs[1].cred_key_id);
	free(list.devs);
}

/* An error ACK ends the request with its errno and its message. */
TEST_F(nl, ack_error_and_extack)
{
	struct replies r = { .seq = SEQ };

	put_ack(&self->a, SEQ, -EEXIST, "device exists");
	handle_replies(&self->nl, self->a.buf, self->a.len, &r);
	EXPECT_TRUE(r.done);
	EXPECT_EQ(-EEXIST, r.ret);
	EXPECT_STREQ("device exists", self->nl.extack);
}

/* What no errno is becomes -EPROTO: callers negate it for strerror(). */
TEST_F(nl, error_not_an_errno)
{
	static const struct {
		int error, want;
	} cases[] = {
		{ INT_MIN, -EPROTO }, { -4096, -EPROTO }, { 4096, -EPROTO },
		{ INT_MAX, -EPROTO }, { -4095, -4095 }, { ENOENT, -ENOENT },
		{ -ENOENT, -ENOENT }, { 0, 0 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct replies ack = { .seq = SEQ }, done = { .seq = SEQ };
		struct msgs *m = &self->a;

		m->len = 0;
		put_ack(m, SEQ, cases[i].error, NULL);
		handle_replies(&self->nl, m->buf, m->len, &ack);
		EXPECT_TRUE(ack.done);
		EXPECT_EQ(cases[i].want, ack.ret);
		m->len = 0;
		put_done(m, SEQ, cases[i].error);
		handle_replies(&self->nl, m->buf, m->len, &done);
		EXPECT_TRUE(done.done);
		EXPECT_EQ(cases[i].want, done.ret);
	}
}

/*
 * A message of 0xffffffff bytes: libmnl's mnl_nlmsg_ok() took the length
 * for -1 and mnl_nlmsg_next() aligned it to 0, and the loop stayed on it.
 * The harness's timeout fails a test that never returns.
 */
TEST_F(nl, huge_length_ends_the_buffer)
{
	struct replies r = { .seq = SEQ };
	struct nlmsghdr *nlh;
	uint32_t lens[] = { 0xffffffff, 0x80000000, 0xfffffffc };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		self->a.len = 0;
		nlh = put_msg(&self->a, FAMILY_ID, 0, SEQ,
			      IOTGUARD_CMD_DEVICE_GET);
		end_msg(&self->a, nlh);
		nlh->nlmsg_len = lens[i];
		put_ack(&self->a, SEQ, 0, NULL);
		handle_replies(&self->nl, self->a.buf, self->a.len, &r);
		/* The rest of the buffer cannot be found: nothing is done. */
		EXPECT_FALSE(r.done);
		EXPECT_EQ(0, handle_events(&self->nl, self->a.buf,
					   self->a.len, NULL, NULL));
	}
}

/*
 * The last message of a buffer with an unaligned length: libmnl's attribute
 * parser reads to its aligned end, so an attribute that ends in the missing
 * padding was read past the buffer (nl_fuzz found it in CI). The message
 * must not be parsed at all.
 */
TEST_F(nl, unaligned_last_message_is_not_parsed)
{
	struct device_list list = { 0 };
	struct replies r = { .seq = SEQ, .cb = dump_cb, .data = &list };
	uint8_t v6[16] = { 0x20, 0x01, 0x00, 0x02 };
	struct nlmsghdr *nlh;
	char *copy;

	nlh = put_msg(&self->a, FAMILY_ID, NLM_F_MULTI, SEQ,
		      IOTGUARD_CMD_DEVICE_GET);
	mnl_attr_put(nlh, IOTGUARD_A_DEVICE_IPV6, sizeof(v6), v6);
	end_msg(&self->a, nlh);
	/* 2 bytes short: the address's last 2 are past the end. */
	nlh->nlmsg_len -= 2;
	self->a.len -= 2;
	copy = malloc(self->a.len);
	ASSERT_NE(NULL, copy);
	memcpy(copy, self->a.buf, self->a.len);
	handle_replies(&self->nl, copy, self->a.len, &r);
	EXPECT_EQ(0, list.count);
	EXPECT_EQ(0, handle_events(&self->nl, copy, self->a.len, NULL, NULL));
	/* With its padding, the same message is a device. */
	nlh->nlmsg_len += 2;
	self->a.len += 2;
	handle_replies(&self->nl, self->a.buf, self->a.len, &r);
	EXPECT_EQ(1, list.count);
	free(copy);
	free(list.devs);
}

static int count_events(uint8_t cmd, const struct iotguard_device *dev,
			const struct iotguard_alert *alert, void *data)
{
	unsigned int *seen = data;

	if (cmd == IOTGUARD_CMD_ALERT && (!alert || strcmp(alert->text,
							    "a surge")))
		return -EPROTO;
	if (strcmp(dev->name, "cam"))
		return -EPROTO;
	seen[cmd]++;
	return 0;
}

/* Changes and alerts reach cb; a reply of another command does not. */
TEST_F(nl, events)
{
	unsigned int seen[IOTGUARD_CMD_MAX + 1] = { 0 };

	put_device_msg(&self->a, 0, 0, IOTGUARD_CMD_DEVICE_SET, 4, "cam");
	put_device_msg(&self->a, 0, 0, IOTGUARD_CMD_DEVICE_GET, 4, "cam");
	put_device_msg(&self->a, 0, 0, IOTGUARD_CMD_ALERT, 4, "cam");
	put_device_msg(&self->a, 0, 0, IOTGUARD_CMD_DEVICE_DEL, 4, "cam");
	EXPECT_EQ(0, handle_events(&self->nl, self->a.buf, self->a.len,
				   count_events, seen));
	EXPECT_EQ(1, seen[IOTGUARD_CMD_DEVICE_SET]);
	EXPECT_EQ(0, seen[IOTGUARD_CMD_DEVICE_GET]);
	EXPECT_EQ(1, seen[IOTGUARD_CMD_ALERT]);
	EXPECT_EQ(1, seen[IOTGUARD_CMD_DEVICE_DEL]);
}

/*
 * A bulk enrollment of two requests: the first fails, and its ACK comes
 * twice (the kernel sends one; anyone may send to the port): its devices
 * count once.
 */
TEST_F(nl, batch_ack_twice_counts_once)
{
	static struct iotguard_device devs[IOTGUARD_DEVICES_MAX + 1];
	unsigned int next = 0, failed = 0, i;
	int first_error = 0;
	struct batch b = { 0 };

	for (i = 0; i < ARRAY_SIZE(devs); i++) {
		devs[i].id.family = AF_INET;
		devs[i].id.addr[0] = 198;
		devs[i].id.addr[3] = i;
	}
	b.buf = malloc(BATCH_SIZE);
	ASSERT_NE(NULL, b.buf);
	fill_batch(&self->nl, &b, devs, ARRAY_SIZE(devs), &next);
	ASSERT_EQ(2, b.msgs);
	ASSERT_EQ(IOTGUARD_DEVICES_MAX, b.devs[0]);

	put_ack(&self->a, b.first_seq, -EINVAL, "bad device");
	put_ack(&self->a, b.first_seq, -EINVAL, "bad device");
	EXPECT_FALSE(handle_acks(&self->nl, &b, devs, self->a.buf,
				 self->a.len, &failed, &first_error));
	put_ack(&self->b, b.first_seq, -EINVAL, "bad device");
	put_ack(&self->b, b.first_seq + 1, 0, NULL);
	EXPECT_TRUE(handle_acks(&self->nl, &b, devs, self->b.buf,
				self->b.len, &failed, &first_error));
	EXPECT_EQ(IOTGUARD_DEVICES_MAX, failed);
	EXPECT_EQ(-EINVAL, first_error);
	EXPECT_STREQ("bad device", self->nl.extack);
	free(b.buf);
}

/*
 * A forged ACK of -EPERM with the request's sequence number, sent to our
 * port by another socket before the request: the kernel's answer counts.
 * The host's nlctrl family answers, the iotguard module is not needed.
 */
TEST(forged_reply_dropped)
{
	struct iotguard_nl nl = { .seq = SEQ };
	struct mnl_socket *forger;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	char req[MAX_REQUEST_SIZE];
	struct nlmsghdr *nlh;
	struct msgs forged;

	nl.sock = mnl_socket_open(NETLINK_GENERIC);
	forger = mnl_socket_open(NETLINK_GENERIC);
	if (!nl.sock || !forger)
		SKIP(return, "no generic netlink socket: %s", strerror(errno));
	ASSERT_EQ(0, mnl_socket_bind(nl.sock, 0, MNL_SOCKET_AUTOPID));
	ASSERT_EQ(0, mnl_socket_bind(forger, 0, MNL_SOCKET_AUTOPID));
	nl.buf = malloc(RECV_BUF_SIZE);
	ASSERT_NE(NULL, nl.buf);
	nlh = put_request(&nl, req, GENL_ID_CTRL, NLM_F_ACK,
			  CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "nlctrl");

	forged.len = 0;
	put_ack(&forged, nlh->nlmsg_seq, -EPERM, "forged");
	to.nl_pid = mnl_socket_get_portid(nl.sock);
	ASSERT_EQ((ssize_t)forged.len,
		  sendto(mnl_socket_get_fd(forger), forged.buf, forged.len,
			 0, (struct sockaddr *)&to, sizeof(to)));

	EXPECT_EQ(0, transact(&nl, nlh, family_cb, NULL, NULL));
	EXPECT_EQ(GENL_ID_CTRL, nl.family_id);
	EXPECT_STREQ("", nl.extack);
	mnl_socket_close(forger);
	mnl_socket_close(nl.sock);
	free(nl.buf);
}

TEST_HARNESS_MAIN
