// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: what the netlink client reads from the kernel. nl.c is
 * included whole, so that its parsers of one received buffer (the replies
 * to a request, a bulk enrollment's ACKs, the events) run on the input
 * without a socket: the family's resolution with its multicast groups,
 * ACKs and NLMSG_DONE with their extended ACK, a device, a dump, an
 * enrollment's code and welcome, a batch's ACKs naming the device that
 * failed, and device changes and alerts. Each must return with what it
 * found or an error, never read or write out of bounds (ASan, UBSan), and
 * what it hands on must be in range.
 *
 * An input: a byte choosing the parser, then the buffers recvfrom would
 * give it, each a 16-bit little-endian length and that many bytes (the last
 * takes what is left). Well-formed replies the harness builds with libmnl,
 * as the module sends them, are checked to parse as built at every start,
 * and with IOTGUARD_FUZZ_SEED_DIR set written there first, as seeds.
 */
#include "../../user/lib/nl.c"

#include <fcntl.h>
#include <unistd.h>

#define FAMILY_ID 0x1f
#define SEQ 1000
/* The devices of the batch whose ACKs are parsed: three requests. */
#define BATCH_DEVS (2 * IOTGUARD_DEVICES_MAX + 1)

enum parser {
	P_FAMILY,	/* resolve_family(): CTRL_CMD_GETFAMILY's reply */
	P_ACK,		/* a change: the ACK alone */
	P_GET,		/* IOTGUARD_CMD_DEVICE_GET */
	P_DUMP,		/* a dump of the device table */
	P_ENROLL,	/* ENROLL_NEW or ENROLL_HELLO */
	P_BATCH,	/* bulk enrollment's ACKs */
	P_EVENTS,	/* the events group */
	P_COUNT
};

static struct iotguard_device batch_devs[BATCH_DEVS];
static struct batch batch;

static void check_extack(const struct iotguard_nl *nl)
{
	if (!memchr(nl->extack, '\0', sizeof(nl->extack)))
		abort();
}

static void check_device_of(const struct iotguard_device *dev)
{
	if (dev->id.family != AF_INET && dev->id.family != AF_INET6 &&
	    dev->id.family != AF_PACKET)
		abort();
	if (!memchr(dev->name, '\0', sizeof(dev->name)) ||
	    (dev->present & IOTGUARD_DEV_CRED_KEY) || dev->cred_key)
		abort();
}

static int event_cb(uint8_t cmd, const struct iotguard_device *dev,
		    const struct iotguard_alert *alert, void *data)
{
	static const struct iotguard_device none;
	unsigned int *events = data;

	/* The family's own coming and going: no device, all zeroes. */
	if (cmd == IOTGUARD_NL_FAMILY_NEW || cmd == IOTGUARD_NL_FAMILY_DEL) {
		if (alert || memcmp(dev, &none, sizeof(none)))
			abort();
		return ++*events == 8;
	}
	check_device_of(dev);
	if ((cmd == IOTGUARD_CMD_ALERT) != !!alert ||
	    (alert && !memchr(alert->text, '\0', sizeof(alert->text))))
		abort();
	/* The first few only: a non-zero return stops the reader. */
	return ++*events == 8;
}

/* The next buffer of the input, in a copy of its exact size. */
static void *next_buffer(const uint8_t **data, size_t *size, size_t *len)
{
	void *buf;

	*len = *size;
	if (*size >= 2) {
		*len = (*data)[0] | (*data)[1] << 8;
		*data += 2;
		*size -= 2;
		if (*len > *size)
			*len = *size;
	}
	buf = malloc(*len ? *len : 1);
	if (!buf)
		abort();
	memcpy(buf, *data, *len);
	*data += *len;
	*size -= *len;
	return buf;
}

static void replies(struct iotguard_nl *nl, enum parser p,
		    const uint8_t *data, size_t size)
{
	struct device_list list = { 0 };
	struct iotguard_device dev;
	struct iotguard_enroll out;
	struct enroll_result enroll = { .dev = &dev, .out = &out };
	struct get_result get = { .dev = &dev };
	bool interrupted = false;
	struct replies r = { .seq = SEQ };
	size_t i;

	memset(&dev, 0, sizeof(dev));
	memset(&out, 0, sizeof(out));
	if (p == P_FAMILY) {
		r.cb = family_cb;
	} else if (p == P_GET) {
		r.cb = get_cb;
		r.data = &get;
	} else if (p == P_DUMP) {
		r.cb = dump_cb;
		r.data = &list;
		r.interrupted = &interrupted;
	} else if (p == P_ENROLL) {
		r.cb = enroll_cb;
		r.data = &enroll;
	}
	while (size && !r.done) {
		size_t len;
		void *buf = next_buffer(&data, &size, &len);

		handle_replies(nl, buf, len, &r);
		free(buf);
	}
	check_extack(nl);
	/* An errno, that strerror(-ret) can take. */
	if (r.done && (r.ret > 0 || r.ret < -4095))
		abort();
	if ((get.found && p != P_GET) || (enroll.found && p != P_ENROLL))
		abort();
	/* What a caller takes: the device of a request that succeeded. */
	if (r.done && !r.ret && (get.found || enroll.found))
		check_device_of(&dev);
	if (!memchr(out.code, '\0', sizeof(out.code)))
		abort();
	for (i = 0; i < list.count; i++)
		check_device_of(&list.devs[i]);
	free(list.devs);
}

static void acks(struct iotguard_nl *nl, const uint8_t *data, size_t size)
{
	unsigned int failed = 0;
	int first_error = 0;
	bool done = false;

	while (size && !done) {
		size_t len;
		void *buf = next_buffer(&data, &size, &len);

		done = handle_acks(nl, &batch, batch_devs, buf, len, &failed,
				   &first_error);
		free(buf);
	}
	check_extack(nl);
	if (first_error > 0 || first_error < -4095 || failed > BATCH_DEVS)
		abort();
}

static void events(struct iotguard_nl *nl, const uint8_t *data, size_t size)
{
	unsigned int count = 0;
	int ret = 0;

	while (size && !ret) {
		size_t len;
		void *buf = next_buffer(&data, &size, &len);

		ret = handle_events(nl, buf, len, event_cb, &count);
		free(buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iotguard_nl nl = { .family_id = FAMILY_ID, .seq = SEQ - 1 };
	enum parser p;

	if (!size)
		return 0;
	p = data[0] % P_COUNT;
	if (p == P_FAMILY)
		nl.family_id = 0;
	if (p == P_BATCH)
		acks(&nl, data + 1, size - 1);
	else if (p == P_EVENTS)
		events(&nl, data + 1, size - 1);
	else
		replies(&nl, p, data + 1, size - 1);
	return 0;
}

/* Seeds: messages as the kernel builds them, with libmnl. */

static struct nlmsghdr *put_msg(char *buf, size_t *off, uint16_t type,
				uint16_t flags, uint32_t seq, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + *off);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = IOTGUARD_GENL_VERSION;
	return nlh;
}

static void end_msg(size_t *off, struct nlmsghdr *nlh)
{
	*off += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* A device as DEVICE_GET gives it; i varies the identity and the rest. */
static void put_reply_device(struct nlmsghdr *nlh, unsigned int i)
{
	uint8_t v4[4] = { 198, 18, 1, 10 + i };
	uint8_t mac[6] = { 2, 0, 0x5e, 0, 0, i };
	uint8_t v6[16] = { 0x20, 0x01, 0, 2, 0, 1 };

	if (i % 3 == 0) {
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_IPV4, 4, v4);
	} else if (i % 3 == 1) {
		v6[15] = i;
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_IPV6, 16, v6);
		mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN, 64);
	} else {
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_LEASE_IPV4, 4, v4);
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_LEASE_SECONDS, 3600);
	}
	mnl_attr_put_strz(nlh, IOTGUARD_A_DEVICE_NAME, "lamp");
	mnl_attr_put(nlh, IOTGUARD_A_DEVICE_MAC, 6, mac);
	mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_STATE, IOTGUARD_STATE_ALLOW);
	mnl_attr_put_u16(nlh, IOTGUARD_A_DEVICE_CLASS, 1);
	mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_RATE_PPS, 20);
	mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_BURST_PKTS, 2);
	mnl_attr_put_u64(nlh, IOTGUARD_A_DEVICE_RATE_BPS, 125000);
	mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_BURST_BYTES, 12500);
	mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_FLAGS,
			 IOTGUARD_DEVICE_F_PINNED);
	mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_INDEX, i);
	mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_COOKIE, 0x1000 + i);
	mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_STATE_SECONDS, 60);
	if (i % 2) {
		mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_CRED_MODE,
				IOTGUARD_CRED_SEAL);
		mnl_attr_put_u64(nlh, IOTGUARD_A_DEVICE_CRED_EXPIRES,
				 1900000000);
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS,
				 86400);
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_CRED_KEY_ID, 7);
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_CRED_EPOCH, 3);
		if (i % 4 == 3)
			mnl_attr_put(nlh, IOTGUARD_A_DEVICE_CRED_REVOKED, 0,
				     NULL);
	}
}

/* An ACK, capped, with an extended ACK's message and offset. */
static void put_ack(char *buf, size_t *off, uint32_t seq, int error,
		    const char *msg, uint32_t offs)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + *off);
	struct nlmsgerr *err;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED | (msg ? NLM_F_ACK_TLVS : 0);
	nlh->nlmsg_seq = seq;
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	err->error = error;
	err->msg.nlmsg_len = 64;
	err->msg.nlmsg_type = FAMILY_ID;
	err->msg.nlmsg_seq = seq;
	if (msg)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	if (offs)
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, offs);
	end_msg(off, nlh);
}

/* An ACK as without NETLINK_CAP_ACK: the request echoed, then the TLVs. */
static void put_uncapped_ack(char *buf, size_t *off, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + *off), *req;
	struct nlmsgerr *err;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_ACK_TLVS;
	nlh->nlmsg_seq = seq;
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	err->error = -EINVAL;
	req = put_msg((char *)&err->msg, &(size_t){ 0 }, FAMILY_ID,
		      NLM_F_REQUEST | NLM_F_ACK, seq, IOTGUARD_CMD_DEVICE_SET);
	mnl_attr_put_u8(req, IOTGUARD_A_DEVICE_STATE, 9);
	nlh->nlmsg_len += req->nlmsg_len - sizeof(*req);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "invalid device state");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, IOTGUARD_A_DEVICE_IPV4);
	end_msg(off, nlh);
}

static void put_done(char *buf, size_t *off, uint32_t seq, int error)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + *off);

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI | (error ? NLM_F_ACK_TLVS : 0);
	nlh->nlmsg_seq = seq;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(error)), &error,
	       sizeof(error));
	if (error)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "dump failed");
	end_msg(off, nlh);
}

static void write_seed(const char *dir, const char *name, enum parser p,
		       const char *buf, size_t len)
{
	char path[4096];
	uint8_t head[3] = { p, len & 0xff, len >> 8 };
	int fd;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	if (write(fd, head, sizeof(head)) != sizeof(head) ||
	    write(fd, buf, len) != (ssize_t)len)
		fprintf(stderr, "Unable to write the seed %s\n", path);
	close(fd);
}

/* What a seed gave its parser, for seeds() to hold it to what it built. */
struct outcome {
	bool done;
	int ret;
	uint16_t family_id;
	uint32_t events_group;
	bool found, interrupted;
	size_t devices;
	char code[64], extack[EXTACK_LEN];
	unsigned int failed, events;
	int first_error;
};

static struct outcome run_seed(enum parser p, const char *buf, size_t len)
{
	struct iotguard_nl nl = { .family_id = FAMILY_ID, .seq = SEQ - 1 };
	struct outcome o = { 0 };
	struct device_list list = { 0 };
	struct iotguard_device dev;
	struct iotguard_enroll out = { 0 };
	struct enroll_result enroll = { .dev = &dev, .out = &out };
	struct get_result get = { .dev = &dev };
	struct replies r = { .seq = SEQ, .interrupted = &o.interrupted };

	if (p == P_FAMILY) {
		nl.family_id = 0;
		r.cb = family_cb;
	} else if (p == P_GET) {
		r.cb = get_cb;
		r.data = &get;
	} else if (p == P_DUMP) {
		r.cb = dump_cb;
		r.data = &list;
	} else if (p == P_ENROLL) {
		r.cb = enroll_cb;
		r.data = &enroll;
	}
	if (p == P_BATCH) {
		o.done = handle_acks(&nl, &batch, batch_devs, buf, len,
				     &o.failed, &o.first_error);
		memset(batch.answered, 0, sizeof(batch.answered));
	} else if (p == P_EVENTS) {
		handle_events(&nl, buf, len, event_cb, &o.events);
	} else {
		handle_replies(&nl, buf, len, &r);
	}
	o.done |= r.done;
	o.ret = r.ret;
	o.family_id = nl.family_id;
	o.events_group = nl.events_group;
	o.found = get.found || enroll.found;
	o.devices = list.count;
	memcpy(o.code, out.code, sizeof(o.code));
	memcpy(o.extack, nl.extack, sizeof(o.extack));
	free(list.devs);
	return o;
}

static void expect(bool ok, const char *seed)
{
	if (!ok) {
		fprintf(stderr, "The seed %s does not parse as built\n", seed);
		abort();
	}
}

/*
 * Builds the seeds, writes them to dir (if any), and checks that each
 * parses as what it was built to be.
 */
static void seeds(const char *dir)
{
	struct outcome o;
	static char buf[8192];
	struct nlattr *groups, *group;
	struct nlmsghdr *nlh;
	uint8_t welcome[IOTGUARD_ENROLL_WELCOME_SIZE] = { 1 };
	size_t off = 0;
	unsigned int i;

	/* The family, with two groups. */
	nlh = put_msg(buf, &off, GENL_ID_CTRL, 0, SEQ, CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, IOTGUARD_GENL_NAME);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, FAMILY_ID);
	groups = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	group = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 9);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "other");
	mnl_attr_nest_end(nlh, group);
	group = mnl_attr_nest_start(nlh, 2);
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 10);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME,
			  IOTGUARD_MCGRP_EVENTS);
	mnl_attr_nest_end(nlh, group);
	mnl_attr_nest_end(nlh, groups);
	end_msg(&off, nlh);
	put_ack(buf, &off, SEQ, 0, NULL, 0);
	write_seed(dir, "family", P_FAMILY, buf, off);
	o = run_seed(P_FAMILY, buf, off);
	expect(o.done && !o.ret && o.family_id == FAMILY_ID &&
	       o.events_group == 10, "family");

	off = 0;
	put_ack(buf, &off, SEQ - 1, -ENOENT, "stale", 0);
	put_ack(buf, &off, SEQ, -EINVAL, "invalid device state", 28);
	write_seed(dir, "ack-extack", P_ACK, buf, off);
	o = run_seed(P_ACK, buf, off);
	expect(o.done && o.ret == -EINVAL &&
	       !strcmp(o.extack, "invalid device state"), "ack-extack");
	off = 0;
	put_uncapped_ack(buf, &off, SEQ);
	write_seed(dir, "ack-uncapped", P_ACK, buf, off);
	o = run_seed(P_ACK, buf, off);
	expect(o.done && o.ret == -EINVAL &&
	       !strcmp(o.extack, "invalid device state"), "ack-uncapped");

	off = 0;
	nlh = put_msg(buf, &off, FAMILY_ID, 0, SEQ, IOTGUARD_CMD_DEVICE_GET);
	put_reply_device(nlh, 1);
	end_msg(&off, nlh);
	put_ack(buf, &off, SEQ, 0, NULL, 0);
	write_seed(dir, "get", P_GET, buf, off);
	o = run_seed(P_GET, buf, off);
	expect(o.done && !o.ret && o.found, "get");

	off = 0;
	for (i = 0; i < 6; i++) {
		nlh = put_msg(buf, &off, FAMILY_ID,
			      NLM_F_MULTI | (i == 4 ? NLM_F_DUMP_INTR : 0),
			      SEQ, IOTGUARD_CMD_DEVICE_GET);
		put_reply_device(nlh, i);
		end_msg(&off, nlh);
	}
	put_done(buf, &off, SEQ, 0);
	write_seed(dir, "dump", P_DUMP, buf, off);
	o = run_seed(P_DUMP, buf, off);
	expect(o.done && !o.ret && o.devices == 6 && o.interrupted, "dump");
	off = 0;
	put_done(buf, &off, SEQ, -EMSGSIZE);
	write_seed(dir, "dump-error", P_DUMP, buf, off);
	o = run_seed(P_DUMP, buf, off);
	expect(o.done && o.ret == -EMSGSIZE &&
	       !strcmp(o.extack, "dump failed"), "dump-error");

	off = 0;
	nlh = put_msg(buf, &off, FAMILY_ID, 0, SEQ, IOTGUARD_CMD_ENROLL_NEW);
	put_reply_device(nlh, 3);
	mnl_attr_put_strz(nlh, IOTGUARD_A_ENROLL_CODE,
			  "IGE1-0a0b0c0d-000102030405060708090a0b0c0d0e0f");
	mnl_attr_put_u32(nlh, IOTGUARD_A_ENROLL_ID, 0x0a0b0c0d);
	end_msg(&off, nlh);
	put_ack(buf, &off, SEQ, 0, NULL, 0);
	write_seed(dir, "enroll-new", P_ENROLL, buf, off);
	o = run_seed(P_ENROLL, buf, off);
	expect(o.done && !o.ret && o.found && !strncmp(o.code, "IGE1-", 5),
	       "enroll-new");
	off = 0;
	nlh = put_msg(buf, &off, FAMILY_ID, 0, SEQ, IOTGUARD_CMD_ENROLL_HELLO);
	put_reply_device(nlh, 0);
	mnl_attr_put(nlh, IOTGUARD_A_ENROLL_PAYLOAD, sizeof(welcome), welcome);
	end_msg(&off, nlh);
	put_ack(buf, &off, SEQ, 0, NULL, 0);
	write_seed(dir, "enroll-hello", P_ENROLL, buf, off);
	o = run_seed(P_ENROLL, buf, off);
	expect(o.done && !o.ret && o.found, "enroll-hello");

	/* The batch's requests: the second fails at its second device. */
	off = 0;
	nlh = (struct nlmsghdr *)(batch.buf + batch.msg_off[1]);
	group = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct genlmsghdr));
	group = mnl_attr_next(mnl_attr_get_payload(group));
	put_ack(buf, &off, batch.first_seq + 1, -EEXIST, "device exists",
		(char *)group - (char *)nlh + 4);
	put_ack(buf, &off, batch.first_seq + batch.msgs - 1, 0, NULL, 0);
	write_seed(dir, "batch", P_BATCH, buf, off);
	o = run_seed(P_BATCH, buf, off);
	expect(o.done && o.failed == IOTGUARD_DEVICES_MAX &&
	       o.first_error == -EEXIST &&
	       !strcmp(o.extack, "device 257 (198.18.3.1): device exists"),
	       "batch");

	off = 0;
	nlh = put_msg(buf, &off, FAMILY_ID, 0, 0, IOTGUARD_CMD_DEVICE_SET);
	put_reply_device(nlh, 2);
	end_msg(&off, nlh);
	nlh = put_msg(buf, &off, FAMILY_ID, 0, 0, IOTGUARD_CMD_ALERT);
	put_reply_device(nlh, 1);
	mnl_attr_put_u8(nlh, IOTGUARD_A_ALERT_DETECTOR, 1);
	mnl_attr_put_u32(nlh, IOTGUARD_A_ALERT_SCORE, 7250);
	mnl_attr_put_u8(nlh, IOTGUARD_A_ALERT_ACTION, 2);
	mnl_attr_put_strz(nlh, IOTGUARD_A_ALERT_TEXT,
			  "rate 40x the baseline");
	mnl_attr_put_u32(nlh, IOTGUARD_A_ALERT_FLAGS, 1);
	end_msg(&off, nlh);
	nlh = put_msg(buf, &off, FAMILY_ID, 0, 0, IOTGUARD_CMD_DEVICE_DEL);
	put_reply_device(nlh, 0);
	end_msg(&off, nlh);
	write_seed(dir, "events", P_EVENTS, buf, off);
	o = run_seed(P_EVENTS, buf, off);
	expect(o.events == 3, "events");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct iotguard_nl nl = { .family_id = FAMILY_ID, .seq = SEQ };
	const char *dir = getenv("IOTGUARD_FUZZ_SEED_DIR");
	unsigned int next = 0, i;

	(void)argc;
	(void)argv;
	for (i = 0; i < BATCH_DEVS; i++) {
		batch_devs[i].id.family = AF_INET;
		memcpy(batch_devs[i].id.addr,
		       (uint8_t[]){ 198, 18, 2 + i / 256, i % 256 }, 4);
		batch_devs[i].present = IOTGUARD_DEV_NAME;
		snprintf(batch_devs[i].name, sizeof(batch_devs[i].name),
			 "sensor-%u", i);
	}
	batch.buf = malloc(BATCH_SIZE);
	if (!batch.buf)
		abort();
	fill_batch(&nl, &batch, batch_devs, BATCH_DEVS, &next);
	seeds(dir);
	return 0;
}
