/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw generic netlink helpers for the iotguard netlink tests.
 *
 * Deliberately independent of user/lib/nl.c: the tests craft malformed
 * requests, read the error code and the extended ACK of every reply, and
 * check every message the kernel sends for well-formedness.
 */
#ifndef IOTGUARD_TESTS_NLTEST_H
#define IOTGUARD_TESTS_NLTEST_H

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/iotguard.h>

#define NLT_BUF_SIZE	(128 * 1024)
#define NLT_RCV_TIMEOUT_S 10
/* An enrollment code in a reply, with its NUL (nlfuzz_test reads them). */
#define NLT_ENROLL_CODE_MAX 96

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

struct nlt {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	/* from CTRL_CMD_GETFAMILY */
	uint16_t family;
	uint32_t version;
	uint32_t hdrsize;
	uint32_t maxattr;
	uint32_t events_grp;		/* 0: no such group */
	uint32_t op_flags[256];		/* CTRL_ATTR_OP_FLAGS per command */
	bool op_present[256];
	/* the last request's outcome */
	int err;			/* 0 or a negative errno */
	char extack[256];		/* NLMSGERR_ATTR_MSG, "" if none */
	bool has_offs;
	uint32_t offs;			/* NLMSGERR_ATTR_OFFS */
	bool has_miss_type;
	uint32_t miss_type;		/* NLMSGERR_ATTR_MISS_TYPE */
	int replies;			/* data messages received */
	char bad[256];			/* description of a malformed reply */
	char *buf;
};

/* A device, as sent or as parsed from a reply / event. */
struct nlt_dev {
	int af;				/* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t plen;			/* IPv6 prefix; 0: an address */
	uint64_t present;		/* 1ULL << IOTGUARD_A_* */
	char name[IOTGUARD_DEVICE_NAME_LEN + 8];
	uint8_t mac[6];
	uint8_t state;
	uint16_t class;
	uint32_t rate_pps;
	uint32_t burst_pkts;
	uint64_t rate_bps;
	uint32_t burst_bytes;
	uint32_t flags;
	uint32_t index;
	uint32_t cookie;
	uint32_t state_seconds;
	/* IOTGUARD_CMD_ALERT events and requests */
	uint8_t alert_detector;
	uint8_t alert_action;
	uint32_t alert_score;
	uint32_t alert_flags;
	char alert_text[IOTGUARD_ALERT_TEXT_LEN + 8];
	/* message metadata (replies) */
	uint8_t cmd;
	uint8_t version;
	uint16_t nlflags;
	uint16_t nltype;
};

#define NLT_HAS(d, a)	(!!((d)->present & (1ULL << (a))))
#define NLT_SET(d, a)	((d)->present |= 1ULL << (a))

/* 198.18.0.0/15 */
static inline void nlt_dev4(struct nlt_dev *d, uint32_t n)
{
	uint32_t a = htonl(0xc6120000u + (n & 0x1ffff));

	memset(d, 0, sizeof(*d));
	d->af = AF_INET;
	memcpy(d->addr, &a, 4);
}

/* 2001:2::/48 */
static inline void nlt_dev6(struct nlt_dev *d, uint32_t n)
{
	uint32_t a = htonl(n);

	memset(d, 0, sizeof(*d));
	d->af = AF_INET6;
	d->addr[0] = 0x20;
	d->addr[1] = 0x01;
	d->addr[2] = 0x00;
	d->addr[3] = 0x02;
	memcpy(d->addr + 12, &a, 4);
}

static inline bool nlt_same_id(const struct nlt_dev *a, const struct nlt_dev *b)
{
	return a->af == b->af &&
	       !memcmp(a->addr, b->addr, a->af == AF_INET ? 4 : 16);
}

static inline const char *nlt_id_str(const struct nlt_dev *d, char *out,
				      size_t len)
{
	if (!inet_ntop(d->af, d->addr, out, len))
		snprintf(out, len, "<af %d>", d->af);
	return out;
}

static inline void nlt_reset(struct nlt *t)
{
	t->err = 0;
	t->extack[0] = 0;
	t->has_offs = false;
	t->offs = 0;
	t->has_miss_type = false;
	t->miss_type = 0;
	t->replies = 0;
	t->bad[0] = 0;
}

static inline struct nlmsghdr *nlt_msg(struct nlt *t, void *buf, uint16_t type,
				       uint16_t flags, uint8_t cmd,
				       uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++t->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* An iotguard request; NLM_F_ACK unless it is a dump. */
static inline struct nlmsghdr *nlt_req(struct nlt *t, void *buf, uint8_t cmd,
				       uint16_t flags)
{
	if ((flags & NLM_F_DUMP) != NLM_F_DUMP)
		flags |= NLM_F_ACK;
	return nlt_msg(t, buf, t->family, flags, cmd, IOTGUARD_GENL_VERSION);
}

static inline void nlt_put_id(struct nlmsghdr *nlh, const struct nlt_dev *d)
{
	if (d->af == AF_INET)
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_IPV4, 4, d->addr);
	else if (d->af == AF_INET6)
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_IPV6, 16, d->addr);
	if (d->plen)
		mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN,
				d->plen);
}

/* The identity and every optional attribute marked present in d. */
static inline void nlt_put_dev(struct nlmsghdr *nlh, const struct nlt_dev *d)
{
	nlt_put_id(nlh, d);
	if (NLT_HAS(d, IOTGUARD_A_DEVICE_NAME))
		mnl_attr_put_strz(nlh, IOTGUARD_A_DEVICE_NAME, d->name);
	if (NLT_HAS(d, IOTGUARD_A_DEVICE_MAC))
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_MAC, 6, d->mac);
	if (NLT_HAS(d, IOTGUARD_A_DEVICE_STATE))
		mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_STATE, d->state);
	if (NLT_HAS(d, IOTGUARD_A_DEVICE_CLASS))
		mnl_attr_put_u16(nlh, IOTGUARD_A_DEVICE_CLASS, d->class);
	if (NLT_HAS(d, IOTGUARD_A_DEVICE_RATE_PPS))
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_RATE_PPS, d->rate_pps);
	if (NLT_HAS(d, IOTGUARD_A_DEVICE_BURST_PKTS))
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_BURST_PKTS,
				 d->burst_pkts);
	if (NLT_HAS(d, IOTGUARD_A_DEVICE_RATE_BPS))
		mnl_attr_put_u64(nlh, IOTGUARD_A_DEVICE_RATE_BPS, d->rate_bps);
	if (NLT_HAS(d, IOTGUARD_A_DEVICE_BURST_BYTES))
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_BURST_BYTES,
				 d->burst_bytes);
	if (NLT_HAS(d, IOTGUARD_A_DEVICE_FLAGS))
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_FLAGS, d->flags);
	if (NLT_HAS(d, IOTGUARD_A_DEVICE_INDEX))
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_INDEX, d->index);
	if (NLT_HAS(d, IOTGUARD_A_DEVICE_COOKIE))
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_COOKIE, d->cookie);
	if (NLT_HAS(d, IOTGUARD_A_ALERT_DETECTOR))
		mnl_attr_put_u8(nlh, IOTGUARD_A_ALERT_DETECTOR,
				d->alert_detector);
	if (NLT_HAS(d, IOTGUARD_A_ALERT_SCORE))
		mnl_attr_put_u32(nlh, IOTGUARD_A_ALERT_SCORE, d->alert_score);
	if (NLT_HAS(d, IOTGUARD_A_ALERT_ACTION))
		mnl_attr_put_u8(nlh, IOTGUARD_A_ALERT_ACTION, d->alert_action);
	if (NLT_HAS(d, IOTGUARD_A_ALERT_TEXT))
		mnl_attr_put_strz(nlh, IOTGUARD_A_ALERT_TEXT, d->alert_text);
	if (NLT_HAS(d, IOTGUARD_A_ALERT_FLAGS))
		mnl_attr_put_u32(nlh, IOTGUARD_A_ALERT_FLAGS, d->alert_flags);
}

/* One attribute of a parsed message: its payload, NULL when absent. */
struct nlt_attr {
	const uint8_t *v;
	uint16_t len;
};

/*
 * The attributes of one of the family's messages, parsed strictly, as both
 * netlink_test and nlfuzz_test hold the kernel's replies and events to: the
 * family's type, the genl version and a zero reserved field; every
 * attribute of a known type, without NLA_F_* bits, at most once, of its
 * exact size (strings NUL-terminated within their bound), together
 * covering the payload. tb[] gets each (IOTGUARD_A_PAD skipped), *seen a
 * bit per type present. 0, or -1 with why[].
 */
static inline int nlt_attrs(const struct nlt *t, const struct nlmsghdr *nlh,
			    struct nlt_attr tb[IOTGUARD_A_MAX + 1],
			    uint64_t *seen, char *why, size_t wl)
{
	/* Payload sizes; -1: a flag, no payload; 0: a string (below). */
	static const int8_t size[IOTGUARD_A_MAX + 1] = {
		[IOTGUARD_A_DEVICE_IPV4] = 4,
		[IOTGUARD_A_DEVICE_IPV6] = 16,
		[IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN] = 1,
		[IOTGUARD_A_DEVICE_MAC] = 6,
		[IOTGUARD_A_DEVICE_STATE] = 1,
		[IOTGUARD_A_DEVICE_CLASS] = 2,
		[IOTGUARD_A_DEVICE_RATE_PPS] = 4,
		[IOTGUARD_A_DEVICE_BURST_PKTS] = 4,
		[IOTGUARD_A_DEVICE_RATE_BPS] = 8,
		[IOTGUARD_A_DEVICE_BURST_BYTES] = 4,
		[IOTGUARD_A_DEVICE_FLAGS] = 4,
		[IOTGUARD_A_DEVICE_INDEX] = 4,
		[IOTGUARD_A_DEVICE_COOKIE] = 4,
		[IOTGUARD_A_DEVICE_STATE_SECONDS] = 4,
		[IOTGUARD_A_DEVICE_LEASE_IPV4] = 4,
		[IOTGUARD_A_DEVICE_LEASE_SECONDS] = 4,
		[IOTGUARD_A_DEVICE_CRED_MODE] = 1,
		[IOTGUARD_A_DEVICE_CRED_EXPIRES] = 8,
		[IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS] = 4,
		[IOTGUARD_A_DEVICE_CRED_KEY_ID] = 4,
		[IOTGUARD_A_DEVICE_CRED_EPOCH] = 4,
		[IOTGUARD_A_DEVICE_CRED_REVOKED] = -1,
		[IOTGUARD_A_ALERT_DETECTOR] = 1,
		[IOTGUARD_A_ALERT_SCORE] = 4,
		[IOTGUARD_A_ALERT_ACTION] = 1,
		[IOTGUARD_A_ALERT_FLAGS] = 4,
		[IOTGUARD_A_ENROLL_ID] = 4,
	};
	/* Strings, with their terminating NUL. */
	static const uint16_t string_max[IOTGUARD_A_MAX + 1] = {
		[IOTGUARD_A_DEVICE_NAME] = IOTGUARD_DEVICE_NAME_LEN,
		[IOTGUARD_A_ALERT_TEXT] = IOTGUARD_ALERT_TEXT_LEN,
		[IOTGUARD_A_ENROLL_CODE] = NLT_ENROLL_CODE_MAX,
	};
	const struct genlmsghdr *g;
	const uint8_t *p, *end;

	memset(tb, 0, sizeof(*tb) * (IOTGUARD_A_MAX + 1));
	*seen = 0;
	if (nlh->nlmsg_type != t->family) {
		snprintf(why, wl, "nlmsg_type %u, not the family %u",
			 nlh->nlmsg_type, t->family);
		return -1;
	}
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
		snprintf(why, wl, "message of %u bytes has no genl header",
			 nlh->nlmsg_len);
		return -1;
	}
	g = mnl_nlmsg_get_payload(nlh);
	if (g->version != IOTGUARD_GENL_VERSION || g->reserved) {
		snprintf(why, wl, "genl version %u (not %u), reserved %u",
			 g->version, IOTGUARD_GENL_VERSION, g->reserved);
		return -1;
	}
	p = (const uint8_t *)g + GENL_HDRLEN;
	end = (const uint8_t *)nlh + nlh->nlmsg_len;
	while (p < end) {
		const struct nlattr *a = (const void *)p;
		uint16_t type, len;
		const uint8_t *v;

		if (end - p < (long)sizeof(*a) || a->nla_len < sizeof(*a) ||
		    a->nla_len > end - p) {
			snprintf(why, wl, "bad attribute framing at byte %ld",
				 (long)(p - (const uint8_t *)nlh));
			return -1;
		}
		if (a->nla_type & ~NLA_TYPE_MASK) {
			snprintf(why, wl, "flags on attribute %u",
				 a->nla_type & NLA_TYPE_MASK);
			return -1;
		}
		type = a->nla_type;
		len = a->nla_len - sizeof(*a);
		v = p + sizeof(*a);
		p += NLA_ALIGN(a->nla_len);
		if (type == IOTGUARD_A_PAD)
			continue;
		if (type == IOTGUARD_A_UNSPEC || type > IOTGUARD_A_MAX) {
			snprintf(why, wl, "unknown attribute type %u", type);
			return -1;
		}
		if (*seen & (1ULL << type)) {
			snprintf(why, wl, "attribute %u twice", type);
			return -1;
		}
		*seen |= 1ULL << type;
		if (size[type] &&
		    len != (size[type] < 0 ? 0 : (uint16_t)size[type])) {
			snprintf(why, wl, "attribute %u of %u bytes, not %d",
				 type, len, size[type] < 0 ? 0 : size[type]);
			return -1;
		}
		if (string_max[type] &&
		    (!len || len > string_max[type] || v[len - 1] ||
		     strlen((const char *)v) != (size_t)len - 1)) {
			snprintf(why, wl,
				 "attribute %u of %u bytes is not a NUL-terminated string of at most %u bytes",
				 type, len, string_max[type]);
			return -1;
		}
		tb[type].v = v;
		tb[type].len = len;
	}
	return 0;
}

/*
 * Parses an iotguard device message strictly (nlt_attrs()), with exactly
 * one address identity. Returns 0, or -1 with why[] describing what is
 * wrong.
 */
static inline int nlt_parse_dev(const struct nlt *t, const struct nlmsghdr *nlh,
				struct nlt_dev *d, char *why, size_t whylen)
{
	struct nlt_attr tb[IOTGUARD_A_MAX + 1];
	const struct genlmsghdr *g;
	uint64_t seen;
	int type;

	memset(d, 0, sizeof(*d));
	d->nlflags = nlh->nlmsg_flags;
	d->nltype = nlh->nlmsg_type;
	if (nlt_attrs(t, nlh, tb, &seen, why, whylen))
		return -1;
	g = mnl_nlmsg_get_payload(nlh);
	d->cmd = g->cmd;
	d->version = g->version;
	for (type = 1; type <= IOTGUARD_A_MAX; type++) {
		const uint8_t *v = tb[type].v;

		if (!v)
			continue;
		switch (type) {
		case IOTGUARD_A_DEVICE_IPV4:
			d->af = AF_INET;
			memcpy(d->addr, v, 4);
			break;
		case IOTGUARD_A_DEVICE_IPV6:
			d->af = AF_INET6;
			memcpy(d->addr, v, 16);
			break;
		case IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN:
			d->plen = v[0];
			break;
		case IOTGUARD_A_DEVICE_NAME:
			memcpy(d->name, v, tb[type].len);
			break;
		case IOTGUARD_A_DEVICE_MAC:
			memcpy(d->mac, v, 6);
			break;
		case IOTGUARD_A_DEVICE_STATE:
			d->state = v[0];
			break;
		case IOTGUARD_A_DEVICE_CLASS:
			memcpy(&d->class, v, 2);
			break;
		case IOTGUARD_A_DEVICE_RATE_PPS:
			memcpy(&d->rate_pps, v, 4);
			break;
		case IOTGUARD_A_DEVICE_BURST_PKTS:
			memcpy(&d->burst_pkts, v, 4);
			break;
		case IOTGUARD_A_DEVICE_RATE_BPS:
			memcpy(&d->rate_bps, v, 8);
			break;
		case IOTGUARD_A_DEVICE_BURST_BYTES:
			memcpy(&d->burst_bytes, v, 4);
			break;
		case IOTGUARD_A_DEVICE_FLAGS:
			memcpy(&d->flags, v, 4);
			break;
		case IOTGUARD_A_DEVICE_INDEX:
			memcpy(&d->index, v, 4);
			break;
		case IOTGUARD_A_DEVICE_COOKIE:
			memcpy(&d->cookie, v, 4);
			break;
		case IOTGUARD_A_DEVICE_STATE_SECONDS:
			memcpy(&d->state_seconds, v, 4);
			break;
		case IOTGUARD_A_ALERT_DETECTOR:
			d->alert_detector = v[0];
			break;
		case IOTGUARD_A_ALERT_SCORE:
			memcpy(&d->alert_score, v, 4);
			break;
		case IOTGUARD_A_ALERT_ACTION:
			d->alert_action = v[0];
			break;
		case IOTGUARD_A_ALERT_FLAGS:
			memcpy(&d->alert_flags, v, 4);
			break;
		case IOTGUARD_A_ALERT_TEXT:
			memcpy(d->alert_text, v, tb[type].len);
			break;
		}
	}
	d->present = seen;
	if (NLT_HAS(d, IOTGUARD_A_DEVICE_IPV4) ==
	    NLT_HAS(d, IOTGUARD_A_DEVICE_IPV6)) {
		snprintf(why, whylen, "%s identity attribute",
			 NLT_HAS(d, IOTGUARD_A_DEVICE_IPV4) ? "more than one" : "no");
		return -1;
	}
	return 0;
}

static inline void nlt_parse_err(struct nlt *t, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t plen = nlh->nlmsg_len - NLMSG_HDRLEN, off;
	const struct nlattr *a;

	if (plen < sizeof(*e)) {
		t->err = -EBADMSG;
		snprintf(t->bad, sizeof(t->bad), "short NLMSG_ERROR");
		return;
	}
	t->err = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	off = MNL_ALIGN(off);
	if (off > plen) {
		snprintf(t->bad, sizeof(t->bad), "ACK TLVs beyond the message");
		return;
	}
	for (a = (const void *)((const char *)e + off);
	     mnl_attr_ok(a, (const char *)e + plen - (const char *)a);
	     a = mnl_attr_next(a)) {
		uint16_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case NLMSGERR_ATTR_MSG:
			if (len > sizeof(t->extack) - 1)
				len = sizeof(t->extack) - 1;
			memcpy(t->extack, mnl_attr_get_payload(a), len);
			t->extack[len] = 0;
			break;
		case NLMSGERR_ATTR_OFFS:
			if (len == 4) {
				t->has_offs = true;
				t->offs = mnl_attr_get_u32(a);
			}
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (len == 4) {
				t->has_miss_type = true;
				t->miss_type = mnl_attr_get_u32(a);
			}
			break;
		}
	}
}

/*
 * NLMSG_DONE: the dump's error code, and the extended ACK the kernel adds
 * when the dump callback failed with a message (6.1: netlink_dump_done()).
 */
static inline void nlt_parse_done(struct nlt *t, const struct nlmsghdr *nlh)
{
	const char *p = mnl_nlmsg_get_payload(nlh);
	int plen = nlh->nlmsg_len - NLMSG_HDRLEN;
	const struct nlattr *a;

	if (plen < (int)sizeof(int)) {
		t->err = 0;
		return;
	}
	memcpy(&t->err, p, sizeof(int));
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	for (a = (const void *)(p + MNL_ALIGN(sizeof(int)));
	     mnl_attr_ok(a, p + plen - (const char *)a); a = mnl_attr_next(a)) {
		uint16_t len = mnl_attr_get_payload_len(a);

		if (mnl_attr_get_type(a) != NLMSGERR_ATTR_MSG)
			continue;
		if (len > sizeof(t->extack) - 1)
			len = sizeof(t->extack) - 1;
		memcpy(t->extack, mnl_attr_get_payload(a), len);
		t->extack[len] = 0;
	}
}

static inline int nlt_send(struct nlt *t, const struct nlmsghdr *nlh)
{
	if (mnl_socket_sendto(t->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

/*
 * Sends a request (not a dump) and reads until its ACK. The first data
 * reply is parsed into out (if not NULL). Returns the ACK's error code.
 */
static inline int nlt_do(struct nlt *t, struct nlmsghdr *nlh,
			 struct nlt_dev *out)
{
	uint32_t seq = nlh->nlmsg_seq;
	int ret;

	nlt_reset(t);
	ret = nlt_send(t, nlh);
	if (ret)
		return t->err = ret;
	for (;;) {
		int n = mnl_socket_recvfrom(t->sock, t->buf, NLT_BUF_SIZE);
		const struct nlmsghdr *r = (const void *)t->buf;

		if (n < 0)
			return t->err = -errno;
		for (; mnl_nlmsg_ok(r, n); r = mnl_nlmsg_next(r, &n)) {
			if (r->nlmsg_seq != seq)
				continue;	/* a leftover of another request */
			if (r->nlmsg_type == NLMSG_ERROR) {
				nlt_parse_err(t, r);
				return t->err;
			}
			if (r->nlmsg_type == NLMSG_DONE ||
			    r->nlmsg_type == NLMSG_NOOP)
				continue;
			if (t->replies++ == 0 && out) {
				char why[128];

				if (nlt_parse_dev(t, r, out, why, sizeof(why)))
					snprintf(t->bad, sizeof(t->bad),
						 "reply: %s", why);
			}
		}
	}
}

/*
 * A dump. Devices go to arr (up to max; *n counts all of them); *intr says
 * whether any message carried NLM_F_DUMP_INTR. 0 when NLMSG_DONE came with
 * no error, else the error. t->bad describes any malformed message.
 * between_recvs (if not NULL) runs between two reads of the socket.
 */
static inline int nlt_dump_ex(struct nlt *t, struct nlmsghdr *nlh,
			      struct nlt_dev *arr, int max, int *n, bool *intr,
			      void (*between_recvs)(void))
{
	uint32_t seq = nlh->nlmsg_seq;
	int ret;

	nlt_reset(t);
	*n = 0;
	if (intr)
		*intr = false;
	ret = nlt_send(t, nlh);
	if (ret)
		return t->err = ret;
	for (;;) {
		int len = mnl_socket_recvfrom(t->sock, t->buf, NLT_BUF_SIZE);
		const struct nlmsghdr *r = (const void *)t->buf;

		if (len < 0)
			return t->err = -errno;
		for (; mnl_nlmsg_ok(r, len); r = mnl_nlmsg_next(r, &len)) {
			struct nlt_dev d;
			char why[128];

			if (r->nlmsg_seq != seq)
				continue;
			if ((r->nlmsg_flags & NLM_F_DUMP_INTR) && intr)
				*intr = true;
			if (r->nlmsg_type == NLMSG_ERROR) {
				nlt_parse_err(t, r);
				if (!t->err)
					t->err = -EPROTO; /* an ACK mid-dump */
				return t->err;
			}
			if (r->nlmsg_type == NLMSG_DONE) {
				nlt_parse_done(t, r);
				return t->err;
			}
			if (!(r->nlmsg_flags & NLM_F_MULTI) && !t->bad[0])
				snprintf(t->bad, sizeof(t->bad),
					 "dump message without NLM_F_MULTI");
			if (nlt_parse_dev(t, r, &d, why, sizeof(why))) {
				if (!t->bad[0])
					snprintf(t->bad, sizeof(t->bad),
						 "dump message %d: %s", *n, why);
			} else if (*n < max && arr) {
				arr[*n] = d;
			}
			(*n)++;
			t->replies++;
		}
		if (between_recvs)
			between_recvs();
	}
}

static inline int nlt_dump(struct nlt *t, struct nlt_dev *arr, int max, int *n,
			   bool *intr)
{
	char buf[256];

	return nlt_dump_ex(t, nlt_req(t, buf, IOTGUARD_CMD_DEVICE_GET, NLM_F_DUMP),
			   arr, max, n, intr, NULL);
}

static inline int nlt_count(struct nlt *t)
{
	int n, err = nlt_dump(t, NULL, 0, &n, NULL);

	return err ? err : n;
}

static inline int nlt_cmd_dev(struct nlt *t, uint8_t cmd,
			      const struct nlt_dev *d, struct nlt_dev *out)
{
	char buf[1024];
	struct nlmsghdr *nlh = nlt_req(t, buf, cmd, 0);

	nlt_put_dev(nlh, d);
	return nlt_do(t, nlh, out);
}

static inline int nlt_new(struct nlt *t, const struct nlt_dev *d)
{
	return nlt_cmd_dev(t, IOTGUARD_CMD_DEVICE_NEW, d, NULL);
}

static inline int nlt_set(struct nlt *t, const struct nlt_dev *d)
{
	return nlt_cmd_dev(t, IOTGUARD_CMD_DEVICE_SET, d, NULL);
}

/* IOTGUARD_CMD_ALERT with the attributes marked present in d. */
static inline int nlt_alert(struct nlt *t, const struct nlt_dev *d)
{
	char buf[2048];
	struct nlmsghdr *nlh = nlt_req(t, buf, IOTGUARD_CMD_ALERT, 0);

	nlt_put_dev(nlh, d);
	return nlt_do(t, nlh, NULL);
}

/* DEL and GET send the identity only. */
static inline int nlt_del(struct nlt *t, const struct nlt_dev *d)
{
	char buf[256];
	struct nlmsghdr *nlh = nlt_req(t, buf, IOTGUARD_CMD_DEVICE_DEL, 0);

	nlt_put_id(nlh, d);
	return nlt_do(t, nlh, NULL);
}

static inline int nlt_get(struct nlt *t, const struct nlt_dev *d,
			  struct nlt_dev *out)
{
	char buf[256];
	struct nlmsghdr *nlh = nlt_req(t, buf, IOTGUARD_CMD_DEVICE_GET, 0);
	int err;

	nlt_put_id(nlh, d);
	memset(out, 0, sizeof(*out));
	err = nlt_do(t, nlh, out);
	if (!err && t->replies != 1 && !t->bad[0])
		snprintf(t->bad, sizeof(t->bad), "GET gave %d replies",
			 t->replies);
	return err;
}

/*
 * DEVICE_NEW for many devices, several requests per sendmsg. Returns the
 * number of rejected ones (or a negative errno on a socket error) and the
 * first error in *first_err.
 */
static inline int nlt_new_many(struct nlt *t, const struct nlt_dev *devs,
			       int count, int *first_err)
{
	const int chunk = 32;
	char *out = malloc(chunk * 512);
	int failed = 0, i, j;

	*first_err = 0;
	if (!out)
		return -ENOMEM;
	for (i = 0; i < count; i += chunk) {
		int k = count - i < chunk ? count - i : chunk, acks = 0;
		uint32_t seq0 = t->seq + 1;
		size_t off = 0;

		for (j = 0; j < k; j++) {
			struct nlmsghdr *nlh;

			nlh = nlt_req(t, out + off, IOTGUARD_CMD_DEVICE_NEW, 0);
			nlt_put_dev(nlh, &devs[i + j]);
			off += MNL_ALIGN(nlh->nlmsg_len);
		}
		if (mnl_socket_sendto(t->sock, out, off) < 0) {
			free(out);
			return -errno;
		}
		while (acks < k) {
			int n = mnl_socket_recvfrom(t->sock, t->buf,
						    NLT_BUF_SIZE);
			const struct nlmsghdr *r = (const void *)t->buf;

			if (n < 0) {
				free(out);
				return -errno;
			}
			for (; mnl_nlmsg_ok(r, n); r = mnl_nlmsg_next(r, &n)) {
				if (r->nlmsg_type != NLMSG_ERROR ||
				    r->nlmsg_seq < seq0 ||
				    r->nlmsg_seq >= seq0 + (uint32_t)k)
					continue;
				acks++;
				nlt_parse_err(t, r);
				if (t->err) {
					if (!failed++)
						*first_err = t->err;
				}
			}
		}
	}
	free(out);
	return failed;
}

/* Deletes every device (dump + del) until a dump comes back empty. */
static inline int nlt_flush(struct nlt *t)
{
	int round;

	for (round = 0; round < 20; round++) {
		struct nlt_dev *devs = calloc(8192, sizeof(*devs));
		int n, i, err;

		if (!devs)
			return -ENOMEM;
		err = nlt_dump(t, devs, 8192, &n, NULL);
		if (err) {
			free(devs);
			return err;
		}
		if (n == 0) {
			free(devs);
			return 0;
		}
		for (i = 0; i < n && i < 8192; i++) {
			err = nlt_del(t, &devs[i]);
			if (err && err != -ENOENT) {
				free(devs);
				return err;
			}
		}
		free(devs);
	}
	return -EBUSY;
}

static inline int nlt_resolve_cb_ops(const struct nlattr *nest, struct nlt *t)
{
	const struct nlattr *op, *a;

	mnl_attr_for_each_nested(op, nest) {
		uint32_t id = 0, flags = 0;

		mnl_attr_for_each_nested(a, op) {
			if (mnl_attr_get_type(a) == CTRL_ATTR_OP_ID)
				id = mnl_attr_get_u32(a);
			else if (mnl_attr_get_type(a) == CTRL_ATTR_OP_FLAGS)
				flags = mnl_attr_get_u32(a);
		}
		if (id < 256) {
			t->op_present[id] = true;
			t->op_flags[id] = flags;
		}
	}
	return 0;
}

/* CTRL_CMD_GETFAMILY for IOTGUARD_GENL_NAME. */
static inline int nlt_resolve(struct nlt *t)
{
	char buf[256];
	struct nlmsghdr *nlh;
	uint32_t seq;
	int ret;

	nlh = nlt_msg(t, buf, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, IOTGUARD_GENL_NAME);
	seq = nlh->nlmsg_seq;
	nlt_reset(t);
	ret = nlt_send(t, nlh);
	if (ret)
		return ret;
	for (;;) {
		int n = mnl_socket_recvfrom(t->sock, t->buf, NLT_BUF_SIZE);
		const struct nlmsghdr *r = (const void *)t->buf;

		if (n < 0)
			return -errno;
		for (; mnl_nlmsg_ok(r, n); r = mnl_nlmsg_next(r, &n)) {
			const struct nlattr *a;

			if (r->nlmsg_seq != seq)
				continue;
			if (r->nlmsg_type == NLMSG_ERROR) {
				nlt_parse_err(t, r);
				if (!t->err && !t->family)
					return -ENOENT;
				return t->err;
			}
			if (r->nlmsg_type != GENL_ID_CTRL)
				continue;
			mnl_attr_for_each(a, r, GENL_HDRLEN) {
				switch (mnl_attr_get_type(a)) {
				case CTRL_ATTR_FAMILY_ID:
					t->family = mnl_attr_get_u16(a);
					break;
				case CTRL_ATTR_VERSION:
					t->version = mnl_attr_get_u32(a);
					break;
				case CTRL_ATTR_HDRSIZE:
					t->hdrsize = mnl_attr_get_u32(a);
					break;
				case CTRL_ATTR_MAXATTR:
					t->maxattr = mnl_attr_get_u32(a);
					break;
				case CTRL_ATTR_OPS:
					nlt_resolve_cb_ops(a, t);
					break;
				case CTRL_ATTR_MCAST_GROUPS: {
					const struct nlattr *g, *ga;

					mnl_attr_for_each_nested(g, a) {
						uint32_t id = 0;
						const char *name = NULL;

						mnl_attr_for_each_nested(ga, g) {
							if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_ID)
								id = mnl_attr_get_u32(ga);
							else if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_NAME)
								name = mnl_attr_get_str(ga);
						}
						if (name && !strcmp(name, IOTGUARD_MCGRP_EVENTS))
							t->events_grp = id;
					}
					break;
				}
				}
			}
		}
	}
}

static inline void nlt_close(struct nlt *t)
{
	if (t->sock)
		mnl_socket_close(t->sock);
	t->sock = NULL;
	free(t->buf);
	t->buf = NULL;
}

/* Opens a socket in the caller's netns with extended ACKs, resolves the family. */
static inline int nlt_open(struct nlt *t)
{
	struct timeval tv = { .tv_sec = NLT_RCV_TIMEOUT_S };
	int one = 1, rcvbuf = 4 << 20, err;

	memset(t, 0, sizeof(*t));
	t->seq = (uint32_t)time(NULL);
	t->buf = malloc(NLT_BUF_SIZE);
	if (!t->buf)
		return -ENOMEM;
	t->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!t->sock) {
		err = -errno;
		goto fail;
	}
	if (mnl_socket_bind(t->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	t->portid = mnl_socket_get_portid(t->sock);
	if (mnl_socket_setsockopt(t->sock, NETLINK_EXT_ACK, &one,
				  sizeof(one)) < 0) {
		err = -errno;
		goto fail;
	}
	setsockopt(mnl_socket_get_fd(t->sock), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
	/* best effort: SO_RCVBUFFORCE needs CAP_NET_ADMIN */
	if (setsockopt(mnl_socket_get_fd(t->sock), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)))
		setsockopt(mnl_socket_get_fd(t->sock), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	err = nlt_resolve(t);
	if (err)
		goto fail;
	return 0;
fail:
	nlt_close(t);
	return err;
}

/* Joins the events group: 0 or -errno. */
static inline int nlt_join_events(struct nlt *t)
{
	uint32_t grp = t->events_grp;

	if (!grp)
		return -ENOENT;
	if (mnl_socket_setsockopt(t->sock, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		return -errno;
	return 0;
}

/*
 * Waits up to timeout_ms for one message on an events socket and parses it.
 * 1: got one (0 when it parsed, else t->bad says why), 0: none, <0: error.
 */
static inline int nlt_recv_event(struct nlt *t, struct nlt_dev *d,
				 int timeout_ms)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(t->sock), .events = POLLIN };
	const struct nlmsghdr *r = (const void *)t->buf;
	char why[128];
	ssize_t n;
	int ret;

	t->bad[0] = 0;
	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return 0;
	n = recv(pfd.fd, t->buf, NLT_BUF_SIZE, 0);
	if (n < 0)
		return -errno;
	if (!mnl_nlmsg_ok(r, n)) {
		snprintf(t->bad, sizeof(t->bad), "event: truncated message");
		return 1;
	}
	if (nlt_parse_dev(t, r, d, why, sizeof(why)))
		snprintf(t->bad, sizeof(t->bad), "event: %s", why);
	else {
		int rem = n;

		r = mnl_nlmsg_next(r, &rem);
		if (mnl_nlmsg_ok(r, rem))
			snprintf(t->bad, sizeof(t->bad),
				 "event: several messages in one datagram");
	}
	return 1;
}

#endif /* IOTGUARD_TESTS_NLTEST_H */
