// SPDX-License-Identifier: GPL-2.0
/*
 * A client of the iotguard generic netlink family, with libmnl.
 *
 * iotguard_nl_open() leaves *nlp NULL when it fails; iotguard_nl_extack(NULL)
 * then says why (for instance that the module is not loaded).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <iotguard/wire.h>
#include "nl.h"
#include "array.h"
#include "parse.h"

#define EXTACK_LEN 256
/* The largest chunk a netlink dump sends at once (32 KiB). */
#define RECV_BUF_SIZE 32768
/*
 * Larger than any one request: a name, a key and a dozen small
 * attributes.
 */
#define MAX_REQUEST_SIZE 512
/*
 * One sendmsg of bulk enrollment: below the default netlink wmem (212992),
 * and its ACKs (capped, a few dozen bytes each) fit the receive buffer.
 */
#define BATCH_SIZE (64 * 1024)
#define SOCKET_BUF_SIZE (4 * 1024 * 1024)
#define DUMP_RETRIES 5

struct iotguard_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family_id;
	uint32_t events_group;	/* 0: the kernel announced none */
	char *buf;
	char extack[EXTACK_LEN];
	uint32_t extack_offset;	/* NLMSGERR_ATTR_OFFS, 0: none */
	uint64_t foreign_events;	/* on the events socket, not the kernel's */
	bool joined;		/* the events group */
};

/* Why the last iotguard_nl_open() of this thread failed. */
static _Thread_local char open_error[EXTACK_LEN];

/*
 * mnl_nlmsg_ok() as it should be: libmnl compares the length as an int, so
 * that one of 2 GiB or more passes for negative, and 0xffffffff aligns to
 * 0: mnl_nlmsg_next() then stays on the message forever. And its
 * attribute parser reads to the message's aligned end, so a last message
 * whose length is not aligned let an attribute run up to 3 bytes past the
 * buffer: the kernel pads every message, so its padding must be there too.
 * The kernel sends none such, but any local process may send to our port.
 */
static bool msg_ok(const struct nlmsghdr *nlh, int left)
{
	return left >= (int)sizeof(*nlh) &&
	       nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)left &&
	       NLMSG_ALIGN(nlh->nlmsg_len) <= (unsigned int)left;
}

typedef int (*msg_cb)(struct iotguard_nl *nl, const struct nlmsghdr *nlh,
		      void *data);

const char *iotguard_nl_extack(const struct iotguard_nl *nl)
{
	return nl ? nl->extack : open_error;
}

static struct nlmsghdr *put_request(struct iotguard_nl *nl, void *buf,
				    uint16_t type, uint16_t flags, uint8_t cmd,
				    uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type > NLMSGERR_ATTR_MAX)
		return MNL_CB_OK;
	if (type == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_OK;
	if ((type == NLMSGERR_ATTR_MISS_TYPE || type == NLMSGERR_ATTR_OFFS) &&
	    mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

/* Keeps the extended ACK message found offset bytes into nlh's payload. */
static void parse_extack(struct iotguard_nl *nl, const struct nlmsghdr *nlh,
			 unsigned int offset)
{
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { 0 };

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    offset > mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_parse(nlh, offset, extack_attr_cb, tb);
	if (tb[NLMSGERR_ATTR_OFFS])
		nl->extack_offset = mnl_attr_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(nl->extack, sizeof(nl->extack), "%s",
			 mnl_attr_get_str(tb[NLMSGERR_ATTR_MSG]));
	else if (tb[NLMSGERR_ATTR_MISS_TYPE])
		snprintf(nl->extack, sizeof(nl->extack),
			 "missing attribute %u",
			 mnl_attr_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]));
}

/* The kernel's errnos: 1 to 4095 (include/linux/err.h). */
#define MAX_ERRNO 4095

/*
 * An ACK's or NLMSG_DONE's error as a negative errno (the kernel's are
 * negative, some old ones positive); -EPROTO for what cannot be an errno,
 * for callers pass it to strerror(-ret), and INT_MIN cannot be negated.
 */
static int reply_errno(int err)
{
	if (err < -MAX_ERRNO || err > MAX_ERRNO)
		return -EPROTO;
	return err > 0 ? -err : err;
}

/* The errno of an ACK (0 for success), keeping its extack message. */
static int parse_error(struct iotguard_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	unsigned int offset = sizeof(*err);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err))
		return -EPROTO;
	/* Without NETLINK_CAP_ACK, our request is echoed before the TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += mnl_nlmsg_get_payload_len(&err->msg);
	parse_extack(nl, nlh, offset);
	return reply_errno(err->error);
}

/* NLMSG_DONE carries the dump's result, and may carry an extack too. */
static int parse_done(struct iotguard_nl *nl, const struct nlmsghdr *nlh)
{
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err))
		return 0;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	parse_extack(nl, nlh, sizeof(err));
	return reply_errno(err);
}

/* What receive() has of the replies to one request so far. */
struct replies {
	uint32_t seq;
	msg_cb cb;
	void *data;
	bool *interrupted;
	int cb_ret;	/* cb's first error */
	bool done;	/* the ACK or NLMSG_DONE came: ret is the result */
	int ret;
};

/*
 * The replies in one received buffer of len bytes: each family message of
 * request r->seq goes to r->cb, until its ACK or NLMSG_DONE. Replies to an
 * earlier, abandoned request are skipped. No socket: tests/fuzz feeds it.
 */
static void handle_replies(struct iotguard_nl *nl, const void *buf,
			   size_t len, struct replies *r)
{
	const struct nlmsghdr *nlh;
	int left = len;

	for (nlh = buf; msg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		int ret;

		if (nlh->nlmsg_seq != r->seq)
			continue;
		if (r->interrupted && (nlh->nlmsg_flags & NLM_F_DUMP_INTR))
			*r->interrupted = true;
		switch (nlh->nlmsg_type) {
		case NLMSG_ERROR:
		case NLMSG_DONE:
			ret = nlh->nlmsg_type == NLMSG_ERROR ?
			      parse_error(nl, nlh) : parse_done(nl, nlh);
			r->ret = ret ? ret : r->cb_ret;
			r->done = true;
			return;
		case NLMSG_NOOP:
		case NLMSG_OVERRUN:
			continue;
		}
		if (r->cb && !r->cb_ret)
			r->cb_ret = r->cb(nl, nlh, r->data);
	}
}

/*
 * Receives a datagram of the kernel's into nl->buf: its length, or a
 * negative errno (-ENOSPC: cut short). What another process sent to our
 * port (anyone may) is dropped: a forged reply with our sequence number
 * would pass for the kernel's, as the events reader knows too.
 */
static ssize_t recv_kernel(struct iotguard_nl *nl)
{
	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = { .iov_base = nl->buf,
				     .iov_len = RECV_BUF_SIZE };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
		};
		ssize_t len;

		len = recvmsg(mnl_socket_get_fd(nl->sock), &msg, 0);
		if (len < 0)
			return -errno;
		if (msg.msg_flags & MSG_TRUNC)
			return -ENOSPC;
		if (msg.msg_namelen == sizeof(from) &&
		    from.nl_family == AF_NETLINK && from.nl_pid == 0)
			return len;
	}
}

/*
 * Receives the replies to request seq until its ACK or NLMSG_DONE, passing
 * each family message to cb. A cb error is returned once the request is
 * complete, so that the socket stays in step.
 */
static int receive(struct iotguard_nl *nl, uint32_t seq, msg_cb cb,
		   void *data, bool *interrupted)
{
	struct replies r = {
		.seq = seq, .cb = cb, .data = data, .interrupted = interrupted,
	};

	while (!r.done) {
		ssize_t len = recv_kernel(nl);

		if (len < 0)
			return len;
		handle_replies(nl, nl->buf, len, &r);
	}
	return r.ret;
}

static int transact(struct iotguard_nl *nl, struct nlmsghdr *nlh, msg_cb cb,
		    void *data, bool *interrupted)
{
	nl->extack[0] = '\0';
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return receive(nl, nlh->nlmsg_seq, cb, data, interrupted);
}

static int mcast_group_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type == CTRL_ATTR_MCAST_GRP_NAME &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		tb[type] = attr;
	else if (type == CTRL_ATTR_MCAST_GRP_ID &&
		 mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

static void parse_mcast_groups(struct iotguard_nl *nl,
			       const struct nlattr *groups)
{
	const struct nlattr *group;

	mnl_attr_for_each_nested(group, groups) {
		const struct nlattr *tb[CTRL_ATTR_MCAST_GRP_MAX + 1] = { 0 };
		const struct nlattr *name, *id;

		mnl_attr_parse_nested(group, mcast_group_cb, tb);
		name = tb[CTRL_ATTR_MCAST_GRP_NAME];
		id = tb[CTRL_ATTR_MCAST_GRP_ID];
		if (name && id &&
		    !strcmp(mnl_attr_get_str(name), IOTGUARD_MCGRP_EVENTS))
			nl->events_group = mnl_attr_get_u32(id);
	}
}

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(attr, MNL_TYPE_U16) >= 0)
		tb[type] = attr;
	else if (type == CTRL_ATTR_MCAST_GROUPS &&
		 mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int family_cb(struct iotguard_nl *nl, const struct nlmsghdr *nlh,
		     void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { 0 };

	(void)data;
	if (nlh->nlmsg_type != GENL_ID_CTRL)
		return 0;
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb, tb);
	if (!tb[CTRL_ATTR_FAMILY_ID])
		return -EPROTO;
	nl->family_id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_MCAST_GROUPS])
		parse_mcast_groups(nl, tb[CTRL_ATTR_MCAST_GROUPS]);
	return 0;
}

static int resolve_family(struct iotguard_nl *nl)
{
	struct nlmsghdr *nlh;
	int ret;

	nlh = put_request(nl, nl->buf, GENL_ID_CTRL, NLM_F_ACK,
			  CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, IOTGUARD_GENL_NAME);
	ret = transact(nl, nlh, family_cb, NULL, NULL);
	if (ret == -ENOENT)
		snprintf(nl->extack, sizeof(nl->extack),
			 "generic netlink family \"%s\" not found (iotguard module not loaded?)",
			 IOTGUARD_GENL_NAME);
	else if (!ret && !nl->family_id)
		ret = -EPROTO;
	return ret;
}

/* Best effort: a smaller buffer only limits the size of a batch. */
static void grow_socket_buffers(struct iotguard_nl *nl)
{
	int fd = mnl_socket_get_fd(nl->sock), size = SOCKET_BUF_SIZE;

	/* The *FORCE variants pass rmem_max/wmem_max, for CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

int iotguard_nl_open(struct iotguard_nl **nlp)
{
	struct iotguard_nl *nl;
	int one = 1, ret;

	*nlp = NULL;
	open_error[0] = '\0';
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->buf = malloc(RECV_BUF_SIZE);
	if (!nl->buf) {
		ret = -ENOMEM;
		goto cleanup;
	}
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock) {
		ret = -errno;
		snprintf(nl->extack, sizeof(nl->extack),
			 "cannot open a generic netlink socket");
		goto cleanup;
	}
	/* Both only make errors more useful: old kernels work without. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	grow_socket_buffers(nl);
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto cleanup;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);
	ret = resolve_family(nl);
	if (ret)
		goto cleanup;
	*nlp = nl;
	return 0;

cleanup:
	snprintf(open_error, sizeof(open_error), "%s", nl->extack);
	iotguard_nl_close(nl);
	return ret;
}

void iotguard_nl_close(struct iotguard_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	free(nl);
}

/* Rejects what the kernel could not take, before building a request. */
static int check_device(struct iotguard_nl *nl,
			const struct iotguard_device *dev)
{
	if (dev->id.family != AF_INET && dev->id.family != AF_INET6 &&
	    dev->id.family != AF_PACKET) {
		snprintf(nl->extack, sizeof(nl->extack),
			 "device identity is neither IPv4, IPv6 nor a MAC");
		return -EAFNOSUPPORT;
	}
	if ((dev->present & IOTGUARD_DEV_NAME) &&
	    strnlen(dev->name, sizeof(dev->name)) == sizeof(dev->name)) {
		snprintf(nl->extack, sizeof(nl->extack),
			 "device name longer than %d bytes",
			 IOTGUARD_DEVICE_NAME_LEN - 1);
		return -EINVAL;
	}
	if ((dev->present & IOTGUARD_DEV_CRED_KEY) && !dev->cred_key) {
		snprintf(nl->extack, sizeof(nl->extack),
			 "credential key missing");
		return -EINVAL;
	}
	return 0;
}

static void put_identity(struct nlmsghdr *nlh, const struct iotguard_addr *id)
{
	if (id->family == AF_INET)
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_IPV4, 4, id->addr);
	else if (id->family == AF_INET6)
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_IPV6, 16, id->addr);
	else
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_MAC, 6, id->addr);
	if (id->family == AF_INET6 && id->plen)
		mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN,
				id->plen);
}

/* Puts the identity and the present fields of a checked device. */
static void put_device(struct nlmsghdr *nlh, const struct iotguard_device *dev)
{
	uint32_t present = dev->present;

	put_identity(nlh, &dev->id);
	if (present & IOTGUARD_DEV_NAME)
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_NAME,
			     strlen(dev->name) + 1, dev->name);
	/* A MAC identity is the device's MAC: put once, as the identity. */
	if ((present & IOTGUARD_DEV_MAC) && dev->id.family != AF_PACKET)
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_MAC, sizeof(dev->mac),
			     dev->mac);
	if (present & IOTGUARD_DEV_STATE)
		mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_STATE, dev->state);
	if (present & IOTGUARD_DEV_CLASS)
		mnl_attr_put_u16(nlh, IOTGUARD_A_DEVICE_CLASS, dev->class);
	if (present & IOTGUARD_DEV_RATE_PPS)
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_RATE_PPS,
				 dev->rate_pps);
	if (present & IOTGUARD_DEV_BURST_PKTS)
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_BURST_PKTS,
				 dev->burst_pkts);
	if (present & IOTGUARD_DEV_RATE_BPS)
		mnl_attr_put_u64(nlh, IOTGUARD_A_DEVICE_RATE_BPS,
				 dev->rate_bps);
	if (present & IOTGUARD_DEV_BURST_BYTES)
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_BURST_BYTES,
				 dev->burst_bytes);
	if (present & IOTGUARD_DEV_FLAGS)
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_FLAGS, dev->flags);
	if (present & IOTGUARD_DEV_CRED_MODE)
		mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_CRED_MODE,
				dev->cred_mode);
	if (present & IOTGUARD_DEV_CRED_KEY)
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_CRED_KEY,
			     IOTGUARD_CRED_KEY_LEN, dev->cred_key);
	if (present & IOTGUARD_DEV_CRED_EXPIRES)
		mnl_attr_put_u64(nlh, IOTGUARD_A_DEVICE_CRED_EXPIRES,
				 dev->cred_expires);
	if (present & IOTGUARD_DEV_CRED_EPOCH_SECONDS)
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS,
				 dev->cred_epoch_seconds);
}

/* Attribute types and their exact payload sizes (0: a string). */
static const struct {
	enum mnl_attr_data_type type;
	size_t len;
} device_policy[IOTGUARD_A_MAX + 1] = {
	[IOTGUARD_A_DEVICE_IPV4] = { MNL_TYPE_BINARY, 4 },
	[IOTGUARD_A_DEVICE_IPV6] = { MNL_TYPE_BINARY, 16 },
	[IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN] = { MNL_TYPE_U8, 1 },
	[IOTGUARD_A_DEVICE_MAC] = { MNL_TYPE_BINARY, 6 },
	[IOTGUARD_A_DEVICE_NAME] = { MNL_TYPE_NUL_STRING, 0 },
	[IOTGUARD_A_DEVICE_STATE] = { MNL_TYPE_U8, 1 },
	[IOTGUARD_A_DEVICE_CLASS] = { MNL_TYPE_U16, 2 },
	[IOTGUARD_A_DEVICE_RATE_PPS] = { MNL_TYPE_U32, 4 },
	[IOTGUARD_A_DEVICE_BURST_PKTS] = { MNL_TYPE_U32, 4 },
	[IOTGUARD_A_DEVICE_RATE_BPS] = { MNL_TYPE_U64, 8 },
	[IOTGUARD_A_DEVICE_BURST_BYTES] = { MNL_TYPE_U32, 4 },
	[IOTGUARD_A_DEVICE_FLAGS] = { MNL_TYPE_U32, 4 },
	[IOTGUARD_A_DEVICE_INDEX] = { MNL_TYPE_U32, 4 },
	[IOTGUARD_A_DEVICE_COOKIE] = { MNL_TYPE_U32, 4 },
	[IOTGUARD_A_ALERT_DETECTOR] = { MNL_TYPE_U8, 1 },
	[IOTGUARD_A_ALERT_SCORE] = { MNL_TYPE_U32, 4 },
	[IOTGUARD_A_ALERT_ACTION] = { MNL_TYPE_U8, 1 },
	[IOTGUARD_A_ALERT_TEXT] = { MNL_TYPE_NUL_STRING, 0 },
	[IOTGUARD_A_ALERT_FLAGS] = { MNL_TYPE_U32, 4 },
	[IOTGUARD_A_DEVICE_LEASE_IPV4] = { MNL_TYPE_BINARY, 4 },
	[IOTGUARD_A_DEVICE_LEASE_SECONDS] = { MNL_TYPE_U32, 4 },
	[IOTGUARD_A_DEVICE_STATE_SECONDS] = { MNL_TYPE_U32, 4 },
	[IOTGUARD_A_DEVICE_CRED_MODE] = { MNL_TYPE_U8, 1 },
	[IOTGUARD_A_DEVICE_CRED_EXPIRES] = { MNL_TYPE_U64, 8 },
	[IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS] = { MNL_TYPE_U32, 4 },
	[IOTGUARD_A_DEVICE_CRED_KEY_ID] = { MNL_TYPE_U32, 4 },
	[IOTGUARD_A_DEVICE_CRED_EPOCH] = { MNL_TYPE_U32, 4 },
	[IOTGUARD_A_DEVICE_CRED_REVOKED] = { MNL_TYPE_FLAG, 0 },
	[IOTGUARD_A_ENROLL_CODE] = { MNL_TYPE_NUL_STRING, 0 },
	[IOTGUARD_A_ENROLL_ID] = { MNL_TYPE_U32, 4 },
	[IOTGUARD_A_ENROLL_PAYLOAD] = { MNL_TYPE_BINARY,
					IOTGUARD_ENROLL_WELCOME_SIZE },
};

static int device_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	/* Attributes of a newer module are not ours to interpret. */
	if (type > IOTGUARD_A_MAX || !device_policy[type].type)
		return MNL_CB_OK;
	if (device_policy[type].type == MNL_TYPE_NUL_STRING) {
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
	} else if (mnl_attr_validate2(attr, device_policy[type].type,
				      device_policy[type].len) < 0) {
		return MNL_CB_ERROR;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

static int parse_attrs(const struct nlmsghdr *nlh,
		       const struct nlattr *tb[IOTGUARD_A_MAX + 1])
{
	memset(tb, 0, sizeof(*tb) * (IOTGUARD_A_MAX + 1));
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), device_attr_cb,
			   tb) < 0)
		return -EPROTO;
	return 0;
}

/* The credential of a parsed message: what it has of one. */
static void cred_of(const struct nlattr *const tb[IOTGUARD_A_MAX + 1],
		    struct iotguard_device *dev)
{
	const struct nlattr *attr;

	if (tb[IOTGUARD_A_DEVICE_CRED_MODE]) {
		dev->cred_mode =
			mnl_attr_get_u8(tb[IOTGUARD_A_DEVICE_CRED_MODE]);
		dev->present |= IOTGUARD_DEV_CRED_MODE;
	}
	if (tb[IOTGUARD_A_DEVICE_CRED_EXPIRES]) {
		dev->cred_expires =
			mnl_attr_get_u64(tb[IOTGUARD_A_DEVICE_CRED_EXPIRES]);
		dev->present |= IOTGUARD_DEV_CRED_EXPIRES;
	}
	if (tb[IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS]) {
		attr = tb[IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS];
		dev->cred_epoch_seconds = mnl_attr_get_u32(attr);
		dev->present |= IOTGUARD_DEV_CRED_EPOCH_SECONDS;
	}
	if (tb[IOTGUARD_A_DEVICE_CRED_KEY_ID]) {
		dev->cred_key_id =
			mnl_attr_get_u32(tb[IOTGUARD_A_DEVICE_CRED_KEY_ID]);
		dev->present |= IOTGUARD_DEV_CRED_KEY_ID;
	}
	if (tb[IOTGUARD_A_DEVICE_CRED_EPOCH]) {
		dev->cred_epoch =
			mnl_attr_get_u32(tb[IOTGUARD_A_DEVICE_CRED_EPOCH]);
		dev->present |= IOTGUARD_DEV_CRED_EPOCH;
	}
	if (tb[IOTGUARD_A_DEVICE_CRED_REVOKED])
		dev->present |= IOTGUARD_DEV_CRED_REVOKED;
}

/* The device of a parsed message. */
static int device_of(const struct nlattr *const tb[IOTGUARD_A_MAX + 1],
		     struct iotguard_device *dev)
{
	const struct nlattr *plen;

	memset(dev, 0, sizeof(*dev));
	if (tb[IOTGUARD_A_DEVICE_IPV4]) {
		dev->id.family = AF_INET;
		memcpy(dev->id.addr,
		       mnl_attr_get_payload(tb[IOTGUARD_A_DEVICE_IPV4]), 4);
	} else if (tb[IOTGUARD_A_DEVICE_IPV6]) {
		dev->id.family = AF_INET6;
		memcpy(dev->id.addr,
		       mnl_attr_get_payload(tb[IOTGUARD_A_DEVICE_IPV6]), 16);
		plen = tb[IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN];
		if (plen)
			dev->id.plen = mnl_attr_get_u8(plen);
	} else if (tb[IOTGUARD_A_DEVICE_MAC]) {
		/* Enrolled by MAC. */
		dev->id.family = AF_PACKET;
		memcpy(dev->id.addr,
		       mnl_attr_get_payload(tb[IOTGUARD_A_DEVICE_MAC]), 6);
	} else {
		return -EPROTO;
	}
	if (tb[IOTGUARD_A_DEVICE_LEASE_IPV4] &&
	    tb[IOTGUARD_A_DEVICE_LEASE_SECONDS]) {
		memcpy(dev->lease_addr,
		       mnl_attr_get_payload(tb[IOTGUARD_A_DEVICE_LEASE_IPV4]),
		       sizeof(dev->lease_addr));
		dev->lease_seconds =
			mnl_attr_get_u32(tb[IOTGUARD_A_DEVICE_LEASE_SECONDS]);
		dev->present |= IOTGUARD_DEV_LEASE;
	}
	if (tb[IOTGUARD_A_DEVICE_NAME]) {
		snprintf(dev->name, sizeof(dev->name), "%s",
			 mnl_attr_get_str(tb[IOTGUARD_A_DEVICE_NAME]));
		dev->present |= IOTGUARD_DEV_NAME;
	}
	if (tb[IOTGUARD_A_DEVICE_MAC]) {
		memcpy(dev->mac,
		       mnl_attr_get_payload(tb[IOTGUARD_A_DEVICE_MAC]),
		       sizeof(dev->mac));
		dev->present |= IOTGUARD_DEV_MAC;
	}
	if (tb[IOTGUARD_A_DEVICE_STATE]) {
		dev->state = mnl_attr_get_u8(tb[IOTGUARD_A_DEVICE_STATE]);
		dev->present |= IOTGUARD_DEV_STATE;
	}
	if (tb[IOTGUARD_A_DEVICE_CLASS]) {
		dev->class = mnl_attr_get_u16(tb[IOTGUARD_A_DEVICE_CLASS]);
		dev->present |= IOTGUARD_DEV_CLASS;
	}
	if (tb[IOTGUARD_A_DEVICE_RATE_PPS]) {
		dev->rate_pps =
			mnl_attr_get_u32(tb[IOTGUARD_A_DEVICE_RATE_PPS]);
		dev->present |= IOTGUARD_DEV_RATE_PPS;
	}
	if (tb[IOTGUARD_A_DEVICE_BURST_PKTS]) {
		dev->burst_pkts =
			mnl_attr_get_u32(tb[IOTGUARD_A_DEVICE_BURST_PKTS]);
		dev->present |= IOTGUARD_DEV_BURST_PKTS;
	}
	if (tb[IOTGUARD_A_DEVICE_RATE_BPS]) {
		dev->rate_bps =
			mnl_attr_get_u64(tb[IOTGUARD_A_DEVICE_RATE_BPS]);
		dev->present |= IOTGUARD_DEV_RATE_BPS;
	}
	if (tb[IOTGUARD_A_DEVICE_BURST_BYTES]) {
		dev->burst_bytes =
			mnl_attr_get_u32(tb[IOTGUARD_A_DEVICE_BURST_BYTES]);
		dev->present |= IOTGUARD_DEV_BURST_BYTES;
	}
	if (tb[IOTGUARD_A_DEVICE_FLAGS]) {
		dev->flags = mnl_attr_get_u32(tb[IOTGUARD_A_DEVICE_FLAGS]);
		dev->present |= IOTGUARD_DEV_FLAGS;
	}
	if (tb[IOTGUARD_A_DEVICE_STATE_SECONDS]) {
		dev->state_seconds =
			mnl_attr_get_u32(tb[IOTGUARD_A_DEVICE_STATE_SECONDS]);
		dev->present |= IOTGUARD_DEV_STATE_SECONDS;
	}
	if (tb[IOTGUARD_A_DEVICE_INDEX]) {
		dev->index = mnl_attr_get_u32(tb[IOTGUARD_A_DEVICE_INDEX]);
		dev->present |= IOTGUARD_DEV_INDEX;
	}
	if (tb[IOTGUARD_A_DEVICE_COOKIE]) {
		dev->cookie = mnl_attr_get_u32(tb[IOTGUARD_A_DEVICE_COOKIE]);
		dev->present |= IOTGUARD_DEV_COOKIE;
	}
	cred_of(tb, dev);
	return 0;
}

static int parse_device(const struct nlmsghdr *nlh,
			struct iotguard_device *dev)
{
	const struct nlattr *tb[IOTGUARD_A_MAX + 1];
	int ret = parse_attrs(nlh, tb);

	return ret ? ret : device_of(tb, dev);
}

/* The alert of a parsed IOTGUARD_CMD_ALERT event: all but FLAGS needed. */
static int alert_of(const struct nlattr *const tb[IOTGUARD_A_MAX + 1],
		    struct iotguard_alert *alert)
{
	memset(alert, 0, sizeof(*alert));
	if (!tb[IOTGUARD_A_ALERT_DETECTOR] || !tb[IOTGUARD_A_ALERT_SCORE] ||
	    !tb[IOTGUARD_A_ALERT_ACTION] || !tb[IOTGUARD_A_ALERT_TEXT])
		return -EPROTO;
	alert->detector = mnl_attr_get_u8(tb[IOTGUARD_A_ALERT_DETECTOR]);
	alert->score_milli = mnl_attr_get_u32(tb[IOTGUARD_A_ALERT_SCORE]);
	alert->action = mnl_attr_get_u8(tb[IOTGUARD_A_ALERT_ACTION]);
	snprintf(alert->text, sizeof(alert->text), "%s",
		 mnl_attr_get_str(tb[IOTGUARD_A_ALERT_TEXT]));
	if (tb[IOTGUARD_A_ALERT_FLAGS])
		alert->flags = mnl_attr_get_u32(tb[IOTGUARD_A_ALERT_FLAGS]);
	return 0;
}

/*
 * A request that carried a key: its copy, and what the kernel may have
 * echoed of it (an ACK without NETLINK_CAP_ACK), are zeroed.
 */
static void wipe_request(struct iotguard_nl *nl, void *buf, size_t len)
{
	explicit_bzero(buf, len);
	explicit_bzero(nl->buf, RECV_BUF_SIZE);
}

static int change_device(struct iotguard_nl *nl, uint8_t cmd,
			 const struct iotguard_device *dev)
{
	char buf[MAX_REQUEST_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nl->extack[0] = '\0';
	ret = check_device(nl, dev);
	if (ret)
		return ret;
	nlh = put_request(nl, buf, nl->family_id, NLM_F_ACK, cmd,
			  IOTGUARD_GENL_VERSION);
	put_device(nlh, dev);
	ret = transact(nl, nlh, NULL, NULL, NULL);
	if (dev->present & IOTGUARD_DEV_CRED_KEY)
		wipe_request(nl, buf, sizeof(buf));
	return ret;
}

int iotguard_nl_device_new(struct iotguard_nl *nl,
			   const struct iotguard_device *dev)
{
	return change_device(nl, IOTGUARD_CMD_DEVICE_NEW, dev);
}

int iotguard_nl_device_set(struct iotguard_nl *nl,
			   const struct iotguard_device *dev)
{
	return change_device(nl, IOTGUARD_CMD_DEVICE_SET, dev);
}

int iotguard_nl_device_del(struct iotguard_nl *nl,
			   const struct iotguard_addr *id)
{
	struct iotguard_device dev = { .id = *id };

	return change_device(nl, IOTGUARD_CMD_DEVICE_DEL, &dev);
}

int iotguard_nl_device_revoke(struct iotguard_nl *nl,
			      const struct iotguard_addr *id)
{
	struct iotguard_device dev = { .id = *id };

	return change_device(nl, IOTGUARD_CMD_DEVICE_REVOKE, &dev);
}

_Static_assert(IOTGUARD_ENROLL_WELCOME_SIZE ==
	       IOTGUARD_WIRE_WELCOME_LEN + IOTGUARD_WIRE_TRAILER_LEN,
	       "the welcome's size");

/* ENROLL_NEW and ENROLL_HELLO: the device, and the code or the welcome. */
struct enroll_result {
	struct iotguard_device *dev;
	struct iotguard_enroll *out;
	bool found;
};

static int enroll_cb(struct iotguard_nl *nl, const struct nlmsghdr *nlh,
		     void *data)
{
	const struct nlattr *tb[IOTGUARD_A_MAX + 1];
	struct enroll_result *result = data;
	int ret;

	if (nlh->nlmsg_type != nl->family_id)
		return 0;
	ret = parse_device(nlh, result->dev);
	if (ret)
		return ret;
	ret = parse_attrs(nlh, tb);
	if (ret)
		return ret;
	if (tb[IOTGUARD_A_ENROLL_CODE])
		snprintf(result->out->code, sizeof(result->out->code), "%s",
			 mnl_attr_get_str(tb[IOTGUARD_A_ENROLL_CODE]));
	if (tb[IOTGUARD_A_ENROLL_ID])
		result->out->id = mnl_attr_get_u32(tb[IOTGUARD_A_ENROLL_ID]);
	if (tb[IOTGUARD_A_ENROLL_PAYLOAD])
		memcpy(result->out->welcome,
		       mnl_attr_get_payload(tb[IOTGUARD_A_ENROLL_PAYLOAD]),
		       IOTGUARD_ENROLL_WELCOME_SIZE);
	result->found = true;
	return 0;
}

int iotguard_nl_enroll_new(struct iotguard_nl *nl,
			   const struct iotguard_device *dev, uint32_t ttl,
			   struct iotguard_device *out,
			   struct iotguard_enroll *code)
{
	struct enroll_result result = { .dev = out, .out = code };
	char buf[MAX_REQUEST_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nl->extack[0] = '\0';
	ret = check_device(nl, dev);
	if (ret)
		return ret;
	memset(code, 0, sizeof(*code));
	nlh = put_request(nl, buf, nl->family_id, NLM_F_ACK,
			  IOTGUARD_CMD_ENROLL_NEW, IOTGUARD_GENL_VERSION);
	put_identity(nlh, &dev->id);
	mnl_attr_put_u32(nlh, IOTGUARD_A_ENROLL_TTL, ttl);
	mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_CRED_MODE, dev->cred_mode);
	if (dev->present & IOTGUARD_DEV_CRED_EXPIRES)
		mnl_attr_put_u64(nlh, IOTGUARD_A_DEVICE_CRED_EXPIRES,
				 dev->cred_expires);
	if (dev->present & IOTGUARD_DEV_CRED_EPOCH_SECONDS)
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS,
				 dev->cred_epoch_seconds);
	ret = transact(nl, nlh, enroll_cb, &result, NULL);
	/* The reply holds the code's secret: ours is the only copy now. */
	explicit_bzero(nl->buf, RECV_BUF_SIZE);
	if (!ret && (!result.found || !code->code[0]))
		ret = -EPROTO;
	return ret;
}

int iotguard_nl_enroll_hello(struct iotguard_nl *nl,
			     const struct iotguard_enroll_flow *flow,
			     const uint8_t *hello, size_t len,
			     struct iotguard_device *dev,
			     struct iotguard_enroll *welcome)
{
	struct enroll_result result = { .dev = dev, .out = welcome };
	size_t alen = flow->family == AF_INET ? 4 : 16;
	char buf[MAX_REQUEST_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nl->extack[0] = '\0';
	memset(welcome, 0, sizeof(*welcome));
	nlh = put_request(nl, buf, nl->family_id, NLM_F_ACK,
			  IOTGUARD_CMD_ENROLL_HELLO, IOTGUARD_GENL_VERSION);
	mnl_attr_put(nlh, IOTGUARD_A_ENROLL_PAYLOAD, len, hello);
	mnl_attr_put(nlh, IOTGUARD_A_ENROLL_SADDR, alen, flow->saddr);
	mnl_attr_put(nlh, IOTGUARD_A_ENROLL_DADDR, alen, flow->daddr);
	mnl_attr_put_u16(nlh, IOTGUARD_A_ENROLL_SPORT, flow->sport);
	mnl_attr_put_u16(nlh, IOTGUARD_A_ENROLL_DPORT, flow->dport);
	ret = transact(nl, nlh, enroll_cb, &result, NULL);
	if (!ret && !result.found)
		ret = -EPROTO;
	return ret;
}

struct get_result {
	struct iotguard_device *dev;
	bool found;
};

static int get_cb(struct iotguard_nl *nl, const struct nlmsghdr *nlh,
		  void *data)
{
	struct get_result *result = data;
	int ret;

	if (nlh->nlmsg_type != nl->family_id)
		return 0;
	ret = parse_device(nlh, result->dev);
	if (!ret)
		result->found = true;
	return ret;
}

int iotguard_nl_device_get(struct iotguard_nl *nl,
			   const struct iotguard_addr *id,
			   struct iotguard_device *out)
{
	struct iotguard_device key = { .id = *id };
	struct get_result result = { .dev = out };
	char buf[MAX_REQUEST_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nl->extack[0] = '\0';
	ret = check_device(nl, &key);
	if (ret)
		return ret;
	nlh = put_request(nl, buf, nl->family_id, NLM_F_ACK,
			  IOTGUARD_CMD_DEVICE_GET, IOTGUARD_GENL_VERSION);
	put_identity(nlh, id);
	ret = transact(nl, nlh, get_cb, &result, NULL);
	if (!ret && !result.found)
		ret = -EPROTO;
	return ret;
}

struct device_list {
	struct iotguard_device *devs;
	size_t count, size;
};

static int dump_cb(struct iotguard_nl *nl, const struct nlmsghdr *nlh,
		   void *data)
{
	struct device_list *list = data;
	int ret;

	if (nlh->nlmsg_type != nl->family_id)
		return 0;
	if (iotguard_array_reserve((void **)&list->devs, &list->size,
				   list->count, sizeof(*list->devs)))
		return -ENOMEM;
	ret = parse_device(nlh, &list->devs[list->count]);
	if (ret)
		return ret;
	list->count++;
	return 0;
}

int iotguard_nl_device_dump(struct iotguard_nl *nl, iotguard_device_cb cb,
			    void *data)
{
	struct device_list list = { 0 };
	bool interrupted = true;
	int attempt, ret = 0;
	size_t i;

	/*
	 * The whole table is collected before cb sees any of it, so that a
	 * retried dump does not show cb a device twice.
	 */
	for (attempt = 0; interrupted && attempt < DUMP_RETRIES; attempt++) {
		char buf[MAX_REQUEST_SIZE];
		struct nlmsghdr *nlh;

		interrupted = false;
		list.count = 0;
		nlh = put_request(nl, buf, nl->family_id, NLM_F_DUMP,
				  IOTGUARD_CMD_DEVICE_GET,
				  IOTGUARD_GENL_VERSION);
		ret = transact(nl, nlh, dump_cb, &list, &interrupted);
		if (ret)
			goto cleanup;
	}
	if (interrupted) {
		snprintf(nl->extack, sizeof(nl->extack),
			 "device table kept changing during the dump");
		ret = -EINTR;
		goto cleanup;
	}
	for (i = 0; i < list.count; i++) {
		ret = cb(&list.devs[i], data);
		if (ret)
			break;
	}

cleanup:
	free(list.devs);
	return ret;
}

/* Requests (lists of devices) per sendmsg of bulk enrollment, at most. */
#define BATCH_MSGS 64
/* A request's headers and its IOTGUARD_A_DEVICES nest. */
#define LIST_HEADER_SIZE 64
/*
 * The largest IOTGUARD_A_DEVICE nest put_device() writes: an IPv6 identity,
 * a full name, a key and every other attribute, with their headers.
 */
#define DEVICE_NEST_MAX 224

/* One sendmsg of bulk enrollment. */
struct batch {
	char *buf;
	size_t size;
	uint32_t first_seq;
	unsigned int msgs;
	/* per request: where it starts in buf, its first device, how many */
	size_t msg_off[BATCH_MSGS];
	unsigned int first_dev[BATCH_MSGS];
	unsigned int devs[BATCH_MSGS];
	/* answered[k]: request k's ACK or error came (another is ignored) */
	bool answered[BATCH_MSGS];
};

/*
 * Fills a batch with requests of up to IOTGUARD_DEVICES_MAX devices each,
 * from devs[*next] on. Only the last request asks for an ACK: the kernel
 * answers a request that failed whether asked or not, and handles a
 * batch's requests in order, so the last one's answer comes last.
 */
static void fill_batch(struct iotguard_nl *nl, struct batch *b,
		       const struct iotguard_device *devs, unsigned int count,
		       unsigned int *next)
{
	struct nlmsghdr *nlh = NULL;

	b->size = 0;
	b->msgs = 0;
	b->first_seq = nl->seq + 1;
	memset(b->answered, 0, sizeof(b->answered));
	while (*next < count && b->msgs < BATCH_MSGS &&
	       b->size + LIST_HEADER_SIZE + DEVICE_NEST_MAX <= BATCH_SIZE) {
		unsigned int k = b->msgs++;
		struct nlattr *list;

		nlh = put_request(nl, b->buf + b->size, nl->family_id, 0,
				  IOTGUARD_CMD_DEVICE_NEW,
				  IOTGUARD_GENL_VERSION);
		list = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICES);
		b->msg_off[k] = b->size;
		b->first_dev[k] = *next;
		b->devs[k] = 0;
		while (*next < count && b->devs[k] < IOTGUARD_DEVICES_MAX &&
		       b->size + nlh->nlmsg_len + DEVICE_NEST_MAX <=
		       BATCH_SIZE) {
			struct nlattr *nest;

			nest = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICE);
			put_device(nlh, &devs[(*next)++]);
			mnl_attr_nest_end(nlh, nest);
			b->devs[k]++;
		}
		mnl_attr_nest_end(nlh, list);
		b->size += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	if (nlh)
		nlh->nlmsg_flags |= NLM_F_ACK;
}

/*
 * The device of request k the kernel's extack offset points into (the
 * offset counts from the request's netlink header), or -1.
 */
static long failed_device(const struct batch *b, unsigned int k,
			  uint32_t offset)
{
	const struct nlmsghdr *nlh = (const void *)(b->buf + b->msg_off[k]);
	const struct nlattr *list, *nest;
	unsigned int j = 0;

	list = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct genlmsghdr));
	mnl_attr_for_each_nested(nest, list) {
		size_t start = (const char *)nest - (const char *)nlh;

		if (offset >= start && offset < start + nest->nla_len)
			return b->first_dev[k] + j;
		j++;
	}
	return -1;
}

/* "device N (ADDR): <the kernel's message>" */
static void name_device(struct iotguard_nl *nl,
			const struct iotguard_device *dev, long n)
{
	char addr[INET6_ADDRSTRLEN] = "?", prefix[96];
	size_t len, why;

	iotguard_format_addr(&dev->id, addr, sizeof(addr));
	snprintf(prefix, sizeof(prefix), "device %ld (%s): ", n, addr);
	len = strlen(prefix);
	why = strnlen(nl->extack, sizeof(nl->extack) - 1);
	if (len + why >= sizeof(nl->extack))
		why = sizeof(nl->extack) - 1 - len;
	memmove(nl->extack + len, nl->extack, why);
	memcpy(nl->extack, prefix, len);
	nl->extack[len + why] = '\0';
}

/*
 * The answers to a batch's requests in one received buffer of len bytes;
 * whether the last request's came. Requests are numbered consecutively,
 * so the difference to first_seq identifies one. A failed request
 * enrolled none of its devices. No socket: tests/fuzz feeds it.
 */
static bool handle_acks(struct iotguard_nl *nl, struct batch *b,
			const struct iotguard_device *devs, const void *buf,
			size_t len, unsigned int *failed, int *first_error)
{
	const struct nlmsghdr *nlh;
	int left = len;
	bool done = false;

	for (nlh = buf; msg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		uint32_t k = nlh->nlmsg_seq - b->first_seq;
		char saved[EXTACK_LEN];
		long n;
		int ret;

		/*
		 * The kernel answers a request once; a second answer (not
		 * the kernel's) must not count its devices failed twice.
		 */
		if (nlh->nlmsg_type != NLMSG_ERROR || k >= b->msgs ||
		    b->answered[k])
			continue;
		b->answered[k] = true;
		if (k == b->msgs - 1)
			done = true;
		/* Only the first error's extack is kept. */
		memcpy(saved, nl->extack, sizeof(saved));
		nl->extack[0] = '\0';
		nl->extack_offset = 0;
		ret = parse_error(nl, nlh);
		if (ret)
			*failed += b->devs[k];
		if (ret && !*first_error) {
			*first_error = ret;
			n = nl->extack_offset ?
			    failed_device(b, k, nl->extack_offset) : -1;
			if (n >= 0)
				name_device(nl, &devs[n], n);
		} else {
			memcpy(nl->extack, saved, sizeof(saved));
		}
	}
	return done;
}

/* Receives the answers to a batch's requests, up to the last one's. */
static int receive_acks(struct iotguard_nl *nl, struct batch *b,
			const struct iotguard_device *devs,
			unsigned int *failed, int *first_error)
{
	bool done = false;

	while (!done) {
		ssize_t len = recv_kernel(nl);

		if (len < 0)
			return len;
		done = handle_acks(nl, b, devs, nl->buf, len, failed,
				   first_error);
	}
	return 0;
}

int iotguard_nl_device_new_batch(struct iotguard_nl *nl,
				 const struct iotguard_device *devs,
				 unsigned int count, unsigned int *failed)
{
	struct batch *b;
	unsigned int next = 0, i;
	int first_error = 0, ret = 0;

	*failed = 0;
	nl->extack[0] = '\0';
	/* Reject bad input before the kernel has seen any of it. */
	for (i = 0; i < count; i++) {
		ret = check_device(nl, &devs[i]);
		if (ret)
			return ret;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->buf = malloc(BATCH_SIZE);
	if (!b->buf) {
		ret = -ENOMEM;
		goto cleanup;
	}
	while (next < count) {
		fill_batch(nl, b, devs, count, &next);
		/* The kernel handles each request and ACKs each in turn. */
		if (mnl_socket_sendto(nl->sock, b->buf, b->size) < 0) {
			ret = -errno;
			goto cleanup;
		}
		ret = receive_acks(nl, b, devs, failed, &first_error);
		if (ret)
			goto cleanup;
	}
	ret = first_error;

cleanup:
	/* Batches may carry keys: every byte that held one is zeroed. */
	if (b->buf)
		wipe_request(nl, b->buf, BATCH_SIZE);
	free(b->buf);
	free(b);
	return ret;
}

int iotguard_nl_alert(struct iotguard_nl *nl, uint32_t index, uint32_t cookie,
		      const struct iotguard_alert *alert)
{
	char buf[MAX_REQUEST_SIZE + IOTGUARD_ALERT_TEXT_LEN];
	size_t len = strnlen(alert->text, sizeof(alert->text));
	struct nlmsghdr *nlh;

	nl->extack[0] = '\0';
	if (!len || len == sizeof(alert->text)) {
		snprintf(nl->extack, sizeof(nl->extack),
			 "alert text empty or longer than %d bytes",
			 IOTGUARD_ALERT_TEXT_LEN - 1);
		return -EINVAL;
	}
	nlh = put_request(nl, buf, nl->family_id, NLM_F_ACK,
			  IOTGUARD_CMD_ALERT, IOTGUARD_GENL_VERSION);
	mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_INDEX, index);
	mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_COOKIE, cookie);
	mnl_attr_put_u8(nlh, IOTGUARD_A_ALERT_DETECTOR, alert->detector);
	mnl_attr_put_u32(nlh, IOTGUARD_A_ALERT_SCORE, alert->score_milli);
	mnl_attr_put_u8(nlh, IOTGUARD_A_ALERT_ACTION, alert->action);
	mnl_attr_put(nlh, IOTGUARD_A_ALERT_TEXT, len + 1, alert->text);
	if (alert->flags)
		mnl_attr_put_u32(nlh, IOTGUARD_A_ALERT_FLAGS, alert->flags);
	return transact(nl, nlh, NULL, NULL, NULL);
}

int iotguard_nl_join_events(struct iotguard_nl *nl)
{
	unsigned int group = nl->events_group;

	nl->extack[0] = '\0';
	if (!group) {
		snprintf(nl->extack, sizeof(nl->extack),
			 "the module announces no \"%s\" group",
			 IOTGUARD_MCGRP_EVENTS);
		return -ENOENT;
	}
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0)
		return -errno;
	nl->joined = true;
	return 0;
}

int iotguard_nl_watch_family(struct iotguard_nl *nl)
{
	/*
	 * nlctrl's only group, "notify", has the id GENL_ID_CTRL: the kernel
	 * assigns it so (genl_validate_assign_mc_groups()).
	 */
	unsigned int group = GENL_ID_CTRL;

	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0)
		return -errno;
	return 0;
}

int iotguard_nl_refresh(struct iotguard_nl *nl)
{
	struct iotguard_nl *fresh;
	int ret;

	ret = iotguard_nl_open(&fresh);
	if (ret)
		return ret;
	nl->family_id = fresh->family_id;
	nl->events_group = fresh->events_group;
	iotguard_nl_close(fresh);
	/* The old group's members were dropped with the family. */
	return nl->joined ? iotguard_nl_join_events(nl) : 0;
}

uint16_t iotguard_nl_family_id(const struct iotguard_nl *nl)
{
	return nl ? nl->family_id : 0;
}

int iotguard_nl_set_rcvbuf(struct iotguard_nl *nl, int bytes)
{
	int fd = mnl_socket_get_fd(nl->sock);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes,
		       sizeof(bytes)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)))
		return -errno;
	return 0;
}

static int ctrl_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_NAME &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		tb[CTRL_ATTR_FAMILY_NAME] = attr;
	return MNL_CB_OK;
}

/*
 * An nlctrl notification: IOTGUARD_NL_FAMILY_NEW or _DEL when it is about
 * the iotguard family, else 0.
 */
static uint8_t family_event(const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { 0 };
	const struct genlmsghdr *genl;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*genl))
		return 0;
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->cmd != CTRL_CMD_NEWFAMILY && genl->cmd != CTRL_CMD_DELFAMILY)
		return 0;
	mnl_attr_parse(nlh, sizeof(*genl), ctrl_attr_cb, tb);
	if (!tb[CTRL_ATTR_FAMILY_NAME] ||
	    strcmp(mnl_attr_get_str(tb[CTRL_ATTR_FAMILY_NAME]),
		   IOTGUARD_GENL_NAME))
		return 0;
	return genl->cmd == CTRL_CMD_NEWFAMILY ? IOTGUARD_NL_FAMILY_NEW :
						 IOTGUARD_NL_FAMILY_DEL;
}

uint64_t iotguard_nl_foreign_events(const struct iotguard_nl *nl)
{
	return nl ? nl->foreign_events : 0;
}

int iotguard_nl_fd(const struct iotguard_nl *nl)
{
	return mnl_socket_get_fd(nl->sock);
}

/*
 * The events in one buffer of len bytes the kernel sent: each device change
 * and alert goes to cb; what is not one is skipped. cb's first non-zero
 * return stops and is returned. No socket: tests/fuzz feeds it.
 */
static int handle_events(struct iotguard_nl *nl, const void *buf, size_t len,
			 iotguard_event_cb cb, void *data)
{
	const struct nlmsghdr *nlh;
	int left = len;

	for (nlh = buf; msg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		const struct nlattr *tb[IOTGUARD_A_MAX + 1];
		const struct genlmsghdr *genl;
		struct iotguard_alert alert;
		struct iotguard_device dev;
		uint8_t fev;
		int ret;

		if (nlh->nlmsg_type == GENL_ID_CTRL) {
			fev = family_event(nlh);
			memset(&dev, 0, sizeof(dev));
			ret = fev ? cb(fev, &dev, NULL, data) : 0;
			if (ret)
				return ret;
			continue;
		}
		if (nlh->nlmsg_type != nl->family_id ||
		    mnl_nlmsg_get_payload_len(nlh) < sizeof(*genl))
			continue;
		genl = mnl_nlmsg_get_payload(nlh);
		if (genl->cmd < IOTGUARD_CMD_DEVICE_NEW ||
		    genl->cmd > IOTGUARD_CMD_MAX ||
		    genl->cmd == IOTGUARD_CMD_DEVICE_GET)
			continue;
		if (parse_attrs(nlh, tb) || device_of(tb, &dev))
			continue;
		if (genl->cmd == IOTGUARD_CMD_ALERT && alert_of(tb, &alert))
			continue;
		ret = cb(genl->cmd, &dev,
			 genl->cmd == IOTGUARD_CMD_ALERT ? &alert : NULL, data);
		if (ret)
			return ret;
	}
	return 0;
}

int iotguard_nl_events_read(struct iotguard_nl *nl, iotguard_event_cb cb,
			    void *data)
{
	int fd = mnl_socket_get_fd(nl->sock);

	for (;;) {
		struct sockaddr_nl from;
		socklen_t from_len = sizeof(from);
		ssize_t len;
		int ret;

		len = recvfrom(fd, nl->buf, RECV_BUF_SIZE, MSG_DONTWAIT,
			       (struct sockaddr *)&from, &from_len);
		if (len < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ?
			       0 : -errno;
		/*
		 * Events come from the kernel (port 0); anyone may send to
		 * this socket's port: a forged DEVICE_DEL would make the
		 * daemon forget a device.
		 */
		if (from_len < sizeof(from) || from.nl_family != AF_NETLINK ||
		    from.nl_pid != 0) {
			nl->foreign_events++;
			continue;
		}
		ret = handle_events(nl, nl->buf, len, cb, data);
		if (ret)
			return ret;
	}
}
