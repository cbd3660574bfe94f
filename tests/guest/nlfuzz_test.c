// SPDX-License-Identifier: GPL-2.0
/*
 * A model-checking fuzzer of the iotguard generic netlink family
 * (include/uapi/linux/iotguard.h): random, mutated and valid requests, and
 * realistic sequences of them on a few device identities, each one's
 * outcome predicted before it is sent.
 *
 * The test keeps a model of the table: every device whose enrollment,
 * change, revocation or deletion the module acknowledged with 0. For each
 * request it predicts the answer, by the rules the kernel and the header
 * state: a datagram the netlink core drops, a header it refuses, an
 * attribute the op's policy refuses (EINVAL or ERANGE, as the kernel's
 * policy checks answer), or the command's own verdict (EEXIST, ENOENT,
 * ENOSPC, EPERM...) from the model. A request the module acknowledged
 * changes the model as the header says it changes the table. Every reply is
 * parsed strictly, every rejection must carry an extended ACK message, and
 * at checkpoints the table's dump must equal the model: identities,
 * indexes, cookies, state, class, rates and bursts as in force, flags, MAC,
 * name, credentials.
 *
 * Then two callers without CAP_NET_ADMIN (uid 65534, and root in a user
 * namespace of its own) send the same kinds of requests: each must be
 * refused and the table must not change. Last, everything is deleted and
 * the module's memory counted (the device slab, and kmemleak where the
 * kernel has it).
 *
 * Environment:
 *	IOTGUARD_NLFUZZ_MSGS	requests of the privileged phase (20000)
 *	IOTGUARD_NLFUZZ_SEED	the PRNG's seed (printed; fixed by default)
 *
 * Runs as root in the test VM with iotguard.ko loaded (run-all.sh gives it
 * max_devices=64, so that the table fills). Addresses come from
 * 198.18.0.0/15 and 2001:2::/48 only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "envnum.h"
#include "nltest.h"
#include "keyfile.h"
#include <iotguard/kfunc.h>
#include <iotguard/wire.h>

#define MAX_MSG		(64 * 1024)
#define MAX_BURST	16
#define NPOOL		96
#define MAX_MODEL	1024
#define NAME_MAX_LEN	(IOTGUARD_DEVICE_NAME_LEN - 1)
#define HELLO_LEN	(IOTGUARD_WIRE_NONCE_LEN + IOTGUARD_WIRE_TRAILER_LEN)
#define SEC_FP		(1000000000ULL << IOTGUARD_BYTE_COST_SHIFT)
#define CHECK_EVERY	500
#define SHOW_MAX	12

/* ------------------------------------------------------------ PRNG */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

static bool chance(uint32_t percent)
{
	return rnd(100) < percent;
}

static void rnd_bytes(void *p, size_t n)
{
	uint8_t *b = p;

	while (n--)
		*b++ = (uint8_t)rnd64();
}

/* Values that sit on the edges of the policies' ranges. */
static uint64_t rnd_edge(void)
{
	static const uint64_t edges[] = {
		0, 1, 2, 3, 4, 7, 59, 60, 61, 127, 128, 129, 255, 256,
		1535, 1536, 65535, 65536, 999999999, 1000000000, 1000000001,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		SEC_FP - 1, SEC_FP, SEC_FP + 1, 7 * 86400, 7 * 86400 + 1,
		UINT64_MAX,
	};

	if (chance(30))
		return rnd64();
	return edges[rnd(sizeof(edges) / sizeof(edges[0]))];
}

/* ------------------------------------------------------------ model */

struct key {
	uint8_t family;			/* AF_INET, AF_INET6, AF_PACKET */
	uint8_t plen;			/* IPv6 prefix; 0: an address */
	uint8_t addr[16];		/* unused bytes 0 */
};

struct mdev {
	struct key key;
	char name[IOTGUARD_DEVICE_NAME_LEN];
	uint8_t mac[6];
	uint8_t state;
	uint16_t class;
	uint32_t rate_pps, burst_pkts, burst_bytes, flags;
	uint64_t rate_bps;
	uint32_t index, cookie;
	bool cookie_known;
	/* credential */
	bool has_cred, revoked, key_known;
	uint8_t mode;
	uint8_t cred_key[IOTGUARD_CRED_KEY_LEN];
	uint32_t key_id;
	uint64_t expires;
	uint32_t epoch_seconds, epoch;
};

struct model {
	struct mdev dev[MAX_MODEL];
	int n;
	unsigned int limit;		/* the table's device limit */
	unsigned int codes;		/* enrollment codes made */
};

static struct model model;
static struct model scratch;	/* the model after a predicted success */
static struct key pool[NPOOL];

static void model_copy(struct model *dst, const struct model *src)
{
	dst->n = src->n;
	dst->limit = src->limit;
	dst->codes = src->codes;
	memcpy(dst->dev, src->dev, sizeof(src->dev[0]) * src->n);
}

static bool same_key(const struct key *a, const struct key *b)
{
	return a->family == b->family && a->plen == b->plen &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static struct mdev *model_find_in(struct model *m, const struct key *k)
{
	for (int i = 0; i < m->n; i++)
		if (same_key(&m->dev[i].key, k))
			return &m->dev[i];
	return NULL;
}

static struct mdev *model_find(const struct key *k)
{
	return model_find_in(&model, k);
}

static struct mdev *model_by_index(uint32_t index)
{
	for (int i = 0; i < model.n; i++)
		if (model.dev[i].index == index)
			return &model.dev[i];
	return NULL;
}

/* The lowest index no device holds, as xa_alloc() gives it. */
static uint32_t model_free_index(const struct model *m)
{
	for (uint32_t idx = 0;; idx++) {
		bool used = false;

		for (int i = 0; i < m->n; i++)
			if (m->dev[i].index == idx)
				used = true;
		if (!used)
			return idx;
	}
}

static void model_del(struct model *m, struct mdev *d)
{
	*d = m->dev[--m->n];
}

static const char *key_str(const struct key *k)
{
	static char out[4][80];
	static int slot;
	char *s = out[slot++ % 4];
	char a[64];

	if (k->family == AF_PACKET)
		snprintf(s, 80, "mac %02x:%02x:%02x:%02x:%02x:%02x",
			 k->addr[0], k->addr[1], k->addr[2], k->addr[3],
			 k->addr[4], k->addr[5]);
	else if (!inet_ntop(k->family, k->addr, a, sizeof(a)))
		snprintf(s, 80, "<family %u>", k->family);
	else if (k->plen)
		snprintf(s, 80, "%s/%u", a, k->plen);
	else
		snprintf(s, 80, "%s", a);
	return s;
}

/* 32 IPv4, 28 IPv6 addresses, 12 IPv6 prefixes, 24 MACs. */
static void make_pool(void)
{
	for (int i = 0; i < NPOOL; i++) {
		struct key *k = &pool[i];

		memset(k, 0, sizeof(*k));
		if (i < 32) {
			k->family = AF_INET;
			k->addr[0] = 198;
			k->addr[1] = 18 + (i & 1);
			k->addr[2] = 7;
			k->addr[3] = 1 + i;
		} else if (i < 72) {
			k->family = AF_INET6;
			k->addr[0] = 0x20;
			k->addr[1] = 0x01;
			k->addr[3] = 0x02;
			k->addr[5] = 0x0f;
			if (i < 60) {
				k->addr[15] = (uint8_t)i;
			} else {
				/* 2001:2:f:NN00::/56, /64, /120, ... */
				static const uint8_t plens[] = {
					48, 56, 64, 64, 80, 96, 112, 120,
					124, 126, 127, 64,
				};

				k->plen = plens[i - 60];
				k->addr[6] = (uint8_t)i;
				if (k->plen == 48) {
					k->addr[5] = (uint8_t)i;
					k->addr[6] = 0;
				}
			}
		} else {
			k->family = AF_PACKET;
			k->addr[0] = 0x02;
			k->addr[1] = 0x16;
			k->addr[5] = (uint8_t)i;
		}
	}
}

/* ------------------------------------------------------------ policies */

enum pkind {
	PK_NONE,	/* not in the policy: refused */
	PK_U8, PK_U16, PK_U32, PK_U64,
	PK_BIN,		/* min..max bytes */
	PK_NULSTR,	/* max: longest string */
	PK_NEST,
};

struct pol {
	uint8_t kind;
	bool mask;		/* max is a mask of allowed bits */
	uint64_t min, max;
	const struct pol *nested;
	int nested_max;
};

#define U8R(a, b)	{ .kind = PK_U8, .min = (a), .max = (b) }
#define U16R		{ .kind = PK_U16, .max = 0xffff }
#define U32R(a, b)	{ .kind = PK_U32, .min = (a), .max = (b) }
#define U64R(a, b)	{ .kind = PK_U64, .min = (a), .max = (b) }
#define BIN(a, b)	{ .kind = PK_BIN, .min = (a), .max = (b) }
#define MASK32(m)	{ .kind = PK_U32, .mask = true, .max = (m) }

#define P_IDENTITY							\
	[IOTGUARD_A_DEVICE_IPV4] = U32R(0, UINT32_MAX),			\
	[IOTGUARD_A_DEVICE_IPV6] = BIN(16, 16),				\
	[IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN] = U8R(1, 128)

#define P_DEVICE							\
	P_IDENTITY,							\
	[IOTGUARD_A_DEVICE_MAC] = BIN(6, 6),				\
	[IOTGUARD_A_DEVICE_NAME] = { .kind = PK_NULSTR, .max = NAME_MAX_LEN }, \
	[IOTGUARD_A_DEVICE_STATE] = U8R(1, IOTGUARD_STATE_MAX),		\
	[IOTGUARD_A_DEVICE_CLASS] = U16R,				\
	[IOTGUARD_A_DEVICE_RATE_PPS] = U32R(0, 1000000000),		\
	[IOTGUARD_A_DEVICE_BURST_PKTS] = U32R(0, UINT32_MAX),		\
	[IOTGUARD_A_DEVICE_RATE_BPS] = U64R(0, SEC_FP),			\
	[IOTGUARD_A_DEVICE_BURST_BYTES] = U32R(0, UINT32_MAX),		\
	[IOTGUARD_A_DEVICE_FLAGS] = MASK32(__IOTGUARD_DEVICE_F_ALL),	\
	[IOTGUARD_A_DEVICE_CRED_MODE] = U8R(0, IOTGUARD_CRED_MAX),	\
	[IOTGUARD_A_DEVICE_CRED_KEY] = BIN(32, 32),			\
	[IOTGUARD_A_DEVICE_CRED_EXPIRES] = U64R(0, UINT64_MAX),		\
	[IOTGUARD_A_DEVICE_CRED_EPOCH] = U32R(0, UINT32_MAX),		\
	[IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS] = U32R(60, 0x7fffffff)

static const struct pol pol_change[IOTGUARD_A_MAX + 1] = { P_DEVICE };
static const struct pol pol_list[IOTGUARD_A_DEVICE + 1] = {
	[IOTGUARD_A_DEVICE] = { .kind = PK_NEST, .nested = pol_change,
				.nested_max = IOTGUARD_A_MAX },
};
static const struct pol pol_new[IOTGUARD_A_MAX + 1] = {
	P_DEVICE,
	[IOTGUARD_A_DEVICES] = { .kind = PK_NEST, .nested = pol_list,
				 .nested_max = IOTGUARD_A_DEVICE },
};
static const struct pol pol_id[IOTGUARD_A_MAX + 1] = {
	P_IDENTITY,
	[IOTGUARD_A_DEVICE_MAC] = BIN(6, 6),
};
static const struct pol pol_alert[IOTGUARD_A_MAX + 1] = {
	[IOTGUARD_A_DEVICE_INDEX] = U32R(0, UINT32_MAX),
	[IOTGUARD_A_DEVICE_COOKIE] = U32R(0, UINT32_MAX),
	[IOTGUARD_A_ALERT_DETECTOR] = U8R(0, IOTGUARD_ALERT_DET_MAX),
	[IOTGUARD_A_ALERT_SCORE] = U32R(0, UINT32_MAX),
	[IOTGUARD_A_ALERT_ACTION] = U8R(0, IOTGUARD_ALERT_ACT_MAX),
	[IOTGUARD_A_ALERT_TEXT] = { .kind = PK_NULSTR,
				    .max = IOTGUARD_ALERT_TEXT_LEN - 1 },
	[IOTGUARD_A_ALERT_FLAGS] = MASK32(__IOTGUARD_ALERT_F_ALL),
};
static const struct pol pol_enroll_new[IOTGUARD_A_MAX + 1] = {
	P_IDENTITY,
	[IOTGUARD_A_DEVICE_MAC] = BIN(6, 6),
	[IOTGUARD_A_ENROLL_TTL] = U32R(1, IOTGUARD_ENROLL_TTL_MAX),
	[IOTGUARD_A_DEVICE_CRED_MODE] = U8R(IOTGUARD_CRED_AUTH,
					    IOTGUARD_CRED_SEAL),
	[IOTGUARD_A_DEVICE_CRED_EXPIRES] = U64R(0, UINT64_MAX),
	[IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS] = U32R(60, 0x7fffffff),
};
static const struct pol pol_hello[IOTGUARD_A_MAX + 1] = {
	[IOTGUARD_A_ENROLL_PAYLOAD] = BIN(HELLO_LEN, HELLO_LEN),
	[IOTGUARD_A_ENROLL_SADDR] = BIN(4, 0xffff),
	[IOTGUARD_A_ENROLL_DADDR] = BIN(4, 0xffff),
	[IOTGUARD_A_ENROLL_SPORT] = U16R,
	[IOTGUARD_A_ENROLL_DPORT] = U16R,
};

/* The op of a command, as the module registers them; NULL: none. */
static const struct pol *op_policy(uint8_t cmd)
{
	switch (cmd) {
	case IOTGUARD_CMD_DEVICE_NEW:
		return pol_new;
	case IOTGUARD_CMD_DEVICE_SET:
		return pol_change;
	case IOTGUARD_CMD_DEVICE_DEL:
	case IOTGUARD_CMD_DEVICE_GET:
	case IOTGUARD_CMD_DEVICE_REVOKE:
		return pol_id;
	case IOTGUARD_CMD_ALERT:
		return pol_alert;
	case IOTGUARD_CMD_ENROLL_NEW:
		return pol_enroll_new;
	case IOTGUARD_CMD_ENROLL_HELLO:
		return pol_hello;
	}
	return NULL;
}

/* One attribute of a request, by type, the last one of its type winning. */
struct rattr {
	const uint8_t *data;
	uint16_t len;
};

static uint64_t get_uint(const struct rattr *a)
{
	uint64_t v = 0;

	memcpy(&v, a->data, a->len < 8 ? a->len : 8);
	return v;
}

/*
 * __nla_validate_parse() with NL_VALIDATE_STRICT, as generic netlink on 6.1
 * runs it for ops without GENL_DONT_VALIDATE_STRICT: 0, or -1 with why[].
 * tb (if not NULL) gets the attributes by type.
 */
static int validate(const uint8_t *p, int len, const struct pol *pol,
		    int maxtype, struct rattr *tb, char *why, size_t wl,
		    int depth)
{
	if (tb)
		memset(tb, 0, sizeof(*tb) * (maxtype + 1));
	while (len >= 4) {
		uint16_t nla_len, rawtype, type;
		const struct pol *pt;
		const uint8_t *d;
		uint64_t v;
		int alen;

		memcpy(&nla_len, p, 2);
		memcpy(&rawtype, p + 2, 2);
		if (nla_len < 4 || nla_len > len)
			break;
		type = rawtype & NLA_TYPE_MASK;
		d = p + 4;
		alen = nla_len - 4;
		p += NLA_ALIGN(nla_len);
		len -= NLA_ALIGN(nla_len);
		if (type == 0 || type > maxtype) {
			snprintf(why, wl, "unknown type %u", type);
			return -1;
		}
		pt = &pol[type];
		if (pt->kind == PK_NEST && !(rawtype & NLA_F_NESTED)) {
			snprintf(why, wl, "type %u: NLA_F_NESTED missing", type);
			return -1;
		}
		if (pt->kind != PK_NEST && pt->kind != PK_NONE &&
		    (rawtype & NLA_F_NESTED)) {
			snprintf(why, wl, "type %u: NLA_F_NESTED unexpected",
				 type);
			return -1;
		}
		switch (pt->kind) {
		case PK_NONE:
			snprintf(why, wl, "type %u not in the policy", type);
			return -1;
		case PK_U8:
		case PK_U16:
		case PK_U32:
		case PK_U64: {
			int want = pt->kind == PK_U8 ? 1 :
				   pt->kind == PK_U16 ? 2 :
				   pt->kind == PK_U32 ? 4 : 8;

			if (alen != want) {
				snprintf(why, wl, "type %u: %d bytes", type,
					 alen);
				return -1;
			}
			v = 0;
			memcpy(&v, d, want);
			if (pt->mask ? (v & ~pt->max) != 0 :
			    (v < pt->min || v > pt->max)) {
				snprintf(why, wl, "type %u: value %" PRIu64,
					 type, v);
				return -1;
			}
			break;
		}
		case PK_BIN:
			if (alen < (int)pt->min || alen > (int)pt->max) {
				snprintf(why, wl, "type %u: %d bytes", type,
					 alen);
				return -1;
			}
			break;
		case PK_NULSTR: {
			int minlen = alen < (int)pt->max + 1 ? alen :
				     (int)pt->max + 1;
			int slen = alen;

			if (!minlen || !memchr(d, 0, minlen)) {
				snprintf(why, wl, "type %u: no NUL", type);
				return -1;
			}
			if (d[slen - 1] == 0)
				slen--;
			if (slen > (int)pt->max) {
				snprintf(why, wl, "type %u: string of %d",
					 type, slen);
				return -1;
			}
			break;
		}
		case PK_NEST:
			if (alen == 0)
				break;
			if (alen < 4) {
				snprintf(why, wl, "type %u: nest of %d", type,
					 alen);
				return -1;
			}
			if (validate(d, alen, pt->nested, pt->nested_max, NULL,
				     why, wl, depth + 1))
				return -1;
			break;
		}
		if (tb) {
			tb[type].data = d;
			tb[type].len = (uint16_t)alen;
		}
	}
	if (len > 0) {
		snprintf(why, wl, "%d bytes left over", len);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ predictions */

/*
 * What a request should get. An errno in errs (bit 0: success), whether an
 * error must carry an extack message, and the replies a success gives.
 */
struct pred {
	uint64_t errs;		/* E(errno) of each answer allowed */
	bool silent;		/* the netlink core drops it: no answer */
	bool extack;		/* a rejection says why */
	bool apply;		/* a success changes the model (see apply) */
	int data;		/* data replies on success */
	uint8_t data_cmd;
	bool dump;
	char why[160];		/* what the prediction rests on */
	/* the events a success sends, in order */
	uint8_t ev_cmd;
	int nev;
	struct key ev_keys[IOTGUARD_DEVICES_MAX];
};

/* An errno's bit in struct pred's errs. */
static uint64_t E(int err)
{
	static const int known[] = {
		0, EPERM, ENOENT, EINVAL, ERANGE, EEXIST, ENOSPC, EOPNOTSUPP,
		EBADMSG, EBUSY, ETIMEDOUT, EALREADY, ENODEV, ENOMEM,
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i] == err)
			return 1ULL << i;
	return 1ULL << 63;
}

static void pred_set(struct pred *p, uint64_t errs, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void pred_set(struct pred *p, uint64_t errs, const char *fmt, ...)
{
	va_list ap;

	p->errs = errs;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
}

/* A new device in the making, or a device's next version. */
static int parse_identity(struct rattr *tb, struct key *k, const char **why)
{
	struct rattr *v4 = &tb[IOTGUARD_A_DEVICE_IPV4];
	struct rattr *v6 = &tb[IOTGUARD_A_DEVICE_IPV6];
	struct rattr *plen = &tb[IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN];
	struct rattr *mac = &tb[IOTGUARD_A_DEVICE_MAC];

	memset(k, 0, sizeof(*k));
	if (v4->data && v6->data) {
		*why = "both IPv4 and IPv6";
		return EINVAL;
	}
	if (plen->data && !v6->data) {
		*why = "prefix length without IPv6";
		return EINVAL;
	}
	if (v4->data) {
		const uint8_t *a = v4->data;

		if (a[0] == 0 || (a[0] & 0xf0) == 0xe0 ||
		    !memcmp(a, "\xff\xff\xff\xff", 4)) {
			*why = "IPv4 identity not unicast";
			return EINVAL;
		}
		memcpy(k->addr, a, 4);
		k->family = AF_INET;
		return 0;
	}
	if (v6->data) {
		static const uint8_t any[16];
		const uint8_t *a = v6->data;
		int pl = plen->data ? plen->data[0] : 128;

		if (!memcmp(a, any, 16) || a[0] == 0xff) {
			*why = "IPv6 identity not unicast";
			return EINVAL;
		}
		memcpy(k->addr, a, 16);
		k->family = AF_INET6;
		if (pl == 128)
			return 0;
		for (int b = pl; b < 128; b++)
			if (a[b / 8] & (0x80 >> (b % 8))) {
				*why = "prefix with host bits";
				return EINVAL;
			}
		k->plen = (uint8_t)pl;
		return 0;
	}
	if (mac->data) {
		static const uint8_t zero[6];

		if ((mac->data[0] & 1) || !memcmp(mac->data, zero, 6)) {
			*why = "MAC identity not unicast";
			return EINVAL;
		}
		memcpy(k->addr, mac->data, 6);
		k->family = AF_PACKET;
		return 0;
	}
	*why = "no identity";
	return EINVAL;
}

static bool is_automatic(struct rattr *tb)
{
	return tb[IOTGUARD_A_DEVICE_FLAGS].data &&
	       (get_uint(&tb[IOTGUARD_A_DEVICE_FLAGS]) &
		IOTGUARD_DEVICE_F_AUTO);
}

static void set_rates(struct mdev *d, uint32_t pps, uint32_t bpkts,
		      uint64_t bps, uint32_t bbytes)
{
	if (!bpkts)
		bpkts = pps / 10 > 1 ? pps / 10 : 1;
	if (!bbytes) {
		uint64_t b = bps / 10;

		bbytes = b < IOTGUARD_MIN_BURST_BYTES ?
			 IOTGUARD_MIN_BURST_BYTES :
			 b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
	}
	d->rate_pps = pps;
	d->burst_pkts = bpkts;
	d->rate_bps = bps;
	d->burst_bytes = bbytes;
}

/* apply_cred() */
static int apply_cred(struct mdev *d, struct rattr *tb, const char **why)
{
	struct rattr *es = &tb[IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS];
	struct rattr *ex = &tb[IOTGUARD_A_DEVICE_CRED_EXPIRES];
	struct rattr *ep = &tb[IOTGUARD_A_DEVICE_CRED_EPOCH];
	struct rattr *mode = &tb[IOTGUARD_A_DEVICE_CRED_MODE];
	struct rattr *key = &tb[IOTGUARD_A_DEVICE_CRED_KEY];

	if (!mode->data && !key->data && !ex->data && !es->data && !ep->data)
		return 0;
	if (!key->data) {
		if (!mode->data || mode->data[0] != IOTGUARD_CRED_NONE) {
			*why = "credential without a key";
			return EINVAL;
		}
		if (ex->data || es->data || ep->data) {
			*why = "credential none with its attributes";
			return EINVAL;
		}
		d->has_cred = false;
	} else {
		if (!mode->data || mode->data[0] == IOTGUARD_CRED_NONE) {
			*why = "key without a mode";
			return EINVAL;
		}
		d->has_cred = true;
		d->key_known = true;
		d->mode = mode->data[0];
		memcpy(d->cred_key, key->data, IOTGUARD_CRED_KEY_LEN);
		if (iotguard_key_id(d->cred_key, &d->key_id))
			d->key_known = false;
		d->epoch = ep->data ? (uint32_t)get_uint(ep) : 0;
		d->expires = ex->data ? get_uint(ex) : 0;
		d->epoch_seconds = es->data ? (uint32_t)get_uint(es) :
				   IOTGUARD_CRED_EPOCH_SECONDS_DEFAULT;
	}
	d->revoked = false;
	return 0;
}

/* apply_attrs() */
static int apply_attrs(struct mdev *d, struct rattr *tb, const char **why)
{
	uint32_t pps = d->rate_pps, bpkts = d->burst_pkts;
	uint32_t bbytes = d->burst_bytes;
	uint64_t bps = d->rate_bps;

	if (tb[IOTGUARD_A_DEVICE_MAC].data) {
		const uint8_t *mac = tb[IOTGUARD_A_DEVICE_MAC].data;

		if (mac[0] & 1) {
			*why = "multicast MAC binding";
			return EINVAL;
		}
		memcpy(d->mac, mac, 6);
	}
	if (tb[IOTGUARD_A_DEVICE_NAME].data) {
		struct rattr *n = &tb[IOTGUARD_A_DEVICE_NAME];
		size_t len = strnlen((const char *)n->data, n->len);

		memset(d->name, 0, sizeof(d->name));
		memcpy(d->name, n->data, len < NAME_MAX_LEN ? len :
		       NAME_MAX_LEN);
	}
	if (tb[IOTGUARD_A_DEVICE_STATE].data)
		d->state = tb[IOTGUARD_A_DEVICE_STATE].data[0];
	if (tb[IOTGUARD_A_DEVICE_CLASS].data)
		d->class = (uint16_t)get_uint(&tb[IOTGUARD_A_DEVICE_CLASS]);
	if (tb[IOTGUARD_A_DEVICE_FLAGS].data)
		d->flags = (uint32_t)get_uint(&tb[IOTGUARD_A_DEVICE_FLAGS]) |
			   (d->flags & IOTGUARD_DEVICE_F_AUTO);
	if (!is_automatic(tb) && (tb[IOTGUARD_A_DEVICE_STATE].data ||
				  (d->flags & IOTGUARD_DEVICE_F_PINNED)))
		d->flags &= ~IOTGUARD_DEVICE_F_AUTO;
	if (tb[IOTGUARD_A_DEVICE_RATE_PPS].data) {
		pps = (uint32_t)get_uint(&tb[IOTGUARD_A_DEVICE_RATE_PPS]);
		bpkts = 0;
	}
	if (tb[IOTGUARD_A_DEVICE_BURST_PKTS].data)
		bpkts = (uint32_t)get_uint(&tb[IOTGUARD_A_DEVICE_BURST_PKTS]);
	if (tb[IOTGUARD_A_DEVICE_RATE_BPS].data) {
		bps = get_uint(&tb[IOTGUARD_A_DEVICE_RATE_BPS]);
		bbytes = 0;
	}
	if (tb[IOTGUARD_A_DEVICE_BURST_BYTES].data)
		bbytes = (uint32_t)get_uint(&tb[IOTGUARD_A_DEVICE_BURST_BYTES]);
	set_rates(d, pps, bpkts, bps, bbytes);
	return apply_cred(d, tb, why);
}

/* parse_new_device(): 0 and *d, or an errno. */
static int new_device(struct rattr *tb, struct mdev *d, const char **why)
{
	int err;

	memset(d, 0, sizeof(*d));
	err = parse_identity(tb, &d->key, why);
	if (err)
		return err;
	if (d->key.family == AF_PACKET)
		memcpy(d->mac, d->key.addr, 6);
	d->state = IOTGUARD_STATE_ALLOW;
	if (is_automatic(tb)) {
		*why = "automatic enrollment";
		return EINVAL;
	}
	set_rates(d, 0, 0, 0, 0);
	return apply_attrs(d, tb, why);
}

/* iotguard_device_insert() on a model: 0, EEXIST or ENOSPC. */
static int model_insert(struct model *m, struct mdev *d)
{
	struct mdev *old = NULL;

	for (int i = 0; i < m->n; i++)
		if (same_key(&m->dev[i].key, &d->key))
			old = &m->dev[i];
	if (old)
		return EEXIST;
	if ((unsigned int)m->n >= m->limit || m->n >= MAX_MODEL)
		return ENOSPC;
	d->index = model_free_index(m);
	d->cookie_known = false;
	m->dev[m->n++] = *d;
	return 0;
}

/* NEW with IOTGUARD_A_DEVICES: the list's verdict; *out the model after. */
static void predict_list(struct pred *p, struct rattr *tb, uint16_t flags,
			 struct model *out)
{
	const struct rattr *list = &tb[IOTGUARD_A_DEVICES];
	const uint8_t *q = list->data;
	int len = list->len, count = 0, err;
	const char *why = "";

	for (int i = 1; i <= IOTGUARD_A_MAX; i++)
		if (tb[i].data && i != IOTGUARD_A_DEVICES) {
			pred_set(p, E(EINVAL), "list with attribute %d", i);
			return;
		}
	if (flags & NLM_F_ECHO) {
		pred_set(p, E(EINVAL), "list with NLM_F_ECHO");
		return;
	}
	model_copy(out, &model);
	/* validated: whole nests of type IOTGUARD_A_DEVICE only */
	for (int pass = 0; pass < 3; pass++) {
		q = list->data;
		len = list->len;
		while (len >= 4) {
			struct rattr ntb[IOTGUARD_A_MAX + 1];
			uint16_t nl;
			char w[160];
			struct mdev d;

			memcpy(&nl, q, 2);
			if (nl < 4 || nl > len)
				break;
			if (pass == 0) {
				count++;
			} else {
				/* every device parsed, then inserted */
				validate(q + 4, nl - 4, pol_change,
					 IOTGUARD_A_MAX, ntb, w, sizeof(w), 1);
				err = new_device(ntb, &d, &why);
				if (err) {
					pred_set(p, E(err), "list: %s", why);
					return;
				}
				err = pass == 2 ? model_insert(out, &d) : 0;
				if (pass == 2 && !err &&
				    p->nev < IOTGUARD_DEVICES_MAX)
					p->ev_keys[p->nev++] = d.key;
				if (err) {
					pred_set(p, E(err), "list: insert %s",
						 key_str(&d.key));
					return;
				}
			}
			q += NLA_ALIGN(nl);
			len -= NLA_ALIGN(nl);
		}
		if (pass == 0 && (count == 0 || count > IOTGUARD_DEVICES_MAX)) {
			pred_set(p, E(EINVAL), "list of %d", count);
			return;
		}
	}
	pred_set(p, E(0), "list of %d enrolled", count);
	p->apply = true;
	p->ev_cmd = IOTGUARD_CMD_DEVICE_NEW;
}

/* The verdict of a command on attributes its policy accepted. */
static void predict_cmd(struct pred *p, uint8_t cmd, uint16_t flags,
			struct rattr *tb)
{
	const char *why = "";
	struct mdev d, *old;
	struct key k;
	int err;

	p->extack = true;
	switch (cmd) {
	case IOTGUARD_CMD_DEVICE_NEW:
		if (tb[IOTGUARD_A_DEVICES].data) {
			predict_list(p, tb, flags, &scratch);
			return;
		}
		err = new_device(tb, &d, &why);
		if (err) {
			pred_set(p, E(err), "NEW: %s", why);
			return;
		}
		model_copy(&scratch, &model);
		err = model_insert(&scratch, &d);
		pred_set(p, E(err), "NEW %s: %s", key_str(&d.key),
			 err == EEXIST ? "enrolled already" :
			 err ? "table full" : "new");
		p->apply = !err;
		p->ev_cmd = IOTGUARD_CMD_DEVICE_NEW;
		p->ev_keys[0] = d.key;
		p->nev = 1;
		if (!err && (flags & NLM_F_ECHO)) {
			p->data = 1;
			p->data_cmd = IOTGUARD_CMD_DEVICE_NEW;
		}
		return;
	case IOTGUARD_CMD_DEVICE_SET:
		err = parse_identity(tb, &k, &why);
		if (err) {
			pred_set(p, E(err), "SET: %s", why);
			return;
		}
		old = model_find(&k);
		if (!old) {
			pred_set(p, E(ENOENT), "SET %s: absent", key_str(&k));
			return;
		}
		if (is_automatic(tb)) {
			static const int not_auto[] = {
				IOTGUARD_A_DEVICE_NAME,
				IOTGUARD_A_DEVICE_CLASS,
				IOTGUARD_A_DEVICE_RATE_PPS,
				IOTGUARD_A_DEVICE_BURST_PKTS,
				IOTGUARD_A_DEVICE_RATE_BPS,
				IOTGUARD_A_DEVICE_BURST_BYTES,
				IOTGUARD_A_DEVICE_CRED_MODE,
				IOTGUARD_A_DEVICE_CRED_KEY,
				IOTGUARD_A_DEVICE_CRED_EXPIRES,
				IOTGUARD_A_DEVICE_CRED_EPOCH,
				IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS,
			};

			if (get_uint(&tb[IOTGUARD_A_DEVICE_FLAGS]) !=
			    IOTGUARD_DEVICE_F_AUTO ||
			    !tb[IOTGUARD_A_DEVICE_STATE].data) {
				pred_set(p, E(EINVAL), "SET: automatic, bad");
				return;
			}
			for (size_t i = 0; i < sizeof(not_auto) /
					       sizeof(not_auto[0]); i++)
				if (tb[not_auto[i]].data) {
					pred_set(p, E(EINVAL),
						 "SET: automatic with %d",
						 not_auto[i]);
					return;
				}
			if (tb[IOTGUARD_A_DEVICE_MAC].data &&
			    old->key.family != AF_PACKET) {
				pred_set(p, E(EINVAL), "SET: automatic MAC");
				return;
			}
			if (old->flags & IOTGUARD_DEVICE_F_PINNED) {
				pred_set(p, E(EPERM), "SET %s: pinned",
					 key_str(&k));
				return;
			}
		}
		d = *old;
		err = apply_attrs(&d, tb, &why);
		pred_set(p, E(err), "SET %s: %s", key_str(&k),
			 err ? why : "changed");
		p->apply = !err;
		p->ev_cmd = IOTGUARD_CMD_DEVICE_SET;
		p->ev_keys[0] = k;
		p->nev = 1;
		if (!err) {
			model_copy(&scratch, &model);
			*model_find_in(&scratch, &k) = d;
		}
		return;
	case IOTGUARD_CMD_DEVICE_DEL:
	case IOTGUARD_CMD_DEVICE_REVOKE:
	case IOTGUARD_CMD_DEVICE_GET:
		err = parse_identity(tb, &k, &why);
		if (err) {
			pred_set(p, E(err), "cmd %u: %s", cmd, why);
			return;
		}
		old = model_find(&k);
		pred_set(p, old ? E(0) : E(ENOENT), "cmd %u %s: %s", cmd,
			 key_str(&k), old ? "present" : "absent");
		p->apply = old && cmd != IOTGUARD_CMD_DEVICE_GET;
		p->ev_cmd = cmd;
		p->ev_keys[0] = k;
		p->nev = cmd != IOTGUARD_CMD_DEVICE_GET;
		if (p->apply) {
			model_copy(&scratch, &model);
			old = model_find_in(&scratch, &k);
			if (cmd == IOTGUARD_CMD_DEVICE_DEL) {
				model_del(&scratch, old);
			} else {
				old->has_cred = false;
				old->revoked = true;
			}
		}
		if (old && cmd == IOTGUARD_CMD_DEVICE_GET) {
			p->data = 1;
			p->data_cmd = IOTGUARD_CMD_DEVICE_GET;
		}
		return;
	case IOTGUARD_CMD_ENROLL_NEW:
		if (!tb[IOTGUARD_A_ENROLL_TTL].data ||
		    !tb[IOTGUARD_A_DEVICE_CRED_MODE].data) {
			pred_set(p, E(EINVAL), "ENROLL_NEW: missing");
			return;
		}
		err = parse_identity(tb, &k, &why);
		if (err) {
			pred_set(p, E(err), "ENROLL_NEW: %s", why);
			return;
		}
		if (!model_find(&k)) {
			pred_set(p, E(ENOENT), "ENROLL_NEW %s: absent",
				 key_str(&k));
			return;
		}
		/* codes expire: only near the limit may it be full */
		pred_set(p, model.codes + 1 >= IOTGUARD_ENROLL_CODES_MAX ?
			 E(0) | E(ENOSPC) : E(0), "ENROLL_NEW %s", key_str(&k));
		p->data = 1;
		p->data_cmd = IOTGUARD_CMD_ENROLL_NEW;
		return;
	case IOTGUARD_CMD_ENROLL_HELLO: {
		static const int need[] = {
			IOTGUARD_A_ENROLL_PAYLOAD, IOTGUARD_A_ENROLL_SADDR,
			IOTGUARD_A_ENROLL_DADDR, IOTGUARD_A_ENROLL_SPORT,
			IOTGUARD_A_ENROLL_DPORT,
		};
		int alen;

		for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
			if (!tb[need[i]].data) {
				pred_set(p, E(EINVAL), "HELLO: missing %d",
					 need[i]);
				return;
			}
		alen = tb[IOTGUARD_A_ENROLL_SADDR].len;
		if ((alen != 4 && alen != 16) ||
		    tb[IOTGUARD_A_ENROLL_DADDR].len != alen) {
			pred_set(p, E(EINVAL), "HELLO: addresses");
			return;
		}
		/* a random hello never names a code it could open */
		pred_set(p, E(ENOENT) | E(EBADMSG) | E(EBUSY) | E(ETIMEDOUT) |
			 E(EALREADY) | E(ENODEV), "HELLO: forged");
		return;
	}
	case IOTGUARD_CMD_ALERT: {
		static const int need[] = {
			IOTGUARD_A_DEVICE_INDEX, IOTGUARD_A_DEVICE_COOKIE,
			IOTGUARD_A_ALERT_DETECTOR, IOTGUARD_A_ALERT_SCORE,
			IOTGUARD_A_ALERT_ACTION, IOTGUARD_A_ALERT_TEXT,
		};
		uint32_t idx, cookie;

		for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
			if (!tb[need[i]].data) {
				pred_set(p, E(EINVAL), "ALERT: missing %d",
					 need[i]);
				return;
			}
		if (!tb[IOTGUARD_A_ALERT_TEXT].data[0]) {
			pred_set(p, E(EINVAL), "ALERT: empty text");
			return;
		}
		idx = (uint32_t)get_uint(&tb[IOTGUARD_A_DEVICE_INDEX]);
		cookie = (uint32_t)get_uint(&tb[IOTGUARD_A_DEVICE_COOKIE]);
		old = model_by_index(idx);
		if (old) {
			p->ev_cmd = IOTGUARD_CMD_ALERT;
			p->ev_keys[0] = old->key;
			p->nev = 1;
		}
		if (!old)
			pred_set(p, E(ENOENT), "ALERT: no index %u", idx);
		else if (!old->cookie_known)
			pred_set(p, E(0) | E(ENOENT), "ALERT %u: cookie?", idx);
		else
			pred_set(p, old->cookie == cookie ? E(0) : E(ENOENT),
				 "ALERT %u: cookie %s", idx,
				 old->cookie == cookie ? "right" : "wrong");
		return;
	}
	}
	pred_set(p, E(EOPNOTSUPP), "no op %u", cmd);
	p->extack = false;
}

/*
 * The whole path of one request through netlink_rcv_skb(), the generic
 * netlink core and the module. len: the bytes of the request's datagram
 * (one request, possibly with bytes past its nlmsg_len).
 */
static void predict(struct pred *p, const uint8_t *msg, int len, bool priv)
{
	struct rattr tb[IOTGUARD_A_MAX + 1];
	const struct nlmsghdr *nlh = (const void *)msg;
	const struct genlmsghdr *g;
	const struct pol *pol;
	char why[128];
	uint16_t flags;

	memset(p, 0, sizeof(*p));
	if (len < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN ||
	    nlh->nlmsg_len > (uint32_t)len) {
		p->silent = true;
		pred_set(p, 0, "nlmsg_len %u of %d: dropped", nlh->nlmsg_len,
			 len);
		return;
	}
	flags = nlh->nlmsg_flags;
	if (!(flags & NLM_F_REQUEST)) {
		/* acknowledged unread, if asked to */
		if (!(flags & NLM_F_ACK))
			p->silent = true;
		pred_set(p, E(0), "not a request");
		return;
	}
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
		pred_set(p, E(EINVAL), "no genl header");
		return;
	}
	g = (const void *)(msg + NLMSG_HDRLEN);
	p->dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;
	/*
	 * genl_header_check(): the reserved field, and nlmsg_flags beyond
	 * what the core gives a meaning (both bits of NLM_F_DUMP, or none),
	 * before the op is looked up or the caller's capability checked.
	 */
	if (g->reserved) {
		pred_set(p, E(EINVAL), "reserved %u", g->reserved);
		p->extack = true;
		return;
	}
	if ((p->dump ? flags & ~NLM_F_DUMP : flags) &
	    ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO)) {
		pred_set(p, E(EINVAL), "flags %#x", flags);
		p->extack = true;
		return;
	}
	pol = op_policy(g->cmd);
	if (!pol) {
		pred_set(p, E(EOPNOTSUPP), "no op %u", g->cmd);
		return;
	}
	if (!priv) {
		pred_set(p, E(EPERM), "unprivileged");
		return;
	}
	if (p->dump && g->cmd != IOTGUARD_CMD_DEVICE_GET) {
		pred_set(p, E(EOPNOTSUPP), "dump of op %u", g->cmd);
		return;
	}
	if (validate(msg + NLMSG_HDRLEN + GENL_HDRLEN,
		     (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, pol,
		     IOTGUARD_A_MAX, tb, why, sizeof(why), 0)) {
		pred_set(p, E(EINVAL) | E(ERANGE), "policy: %s", why);
		p->extack = true;
		return;
	}
	if (p->dump) {
		for (int i = 1; i <= IOTGUARD_A_MAX; i++)
			if (tb[i].data) {
				pred_set(p, E(EINVAL), "dump with %d", i);
				p->extack = true;
				return;
			}
		pred_set(p, E(0), "dump");
		p->data = -1;
		p->data_cmd = IOTGUARD_CMD_DEVICE_GET;
		return;
	}
	predict_cmd(p, g->cmd, flags, tb);
}

/* ------------------------------------------------------------ replies */

/* A device as a reply or an event carries it. */
struct rdev {
	struct mdev d;
	uint64_t seen;			/* 1ULL << IOTGUARD_A_* */
	uint8_t cmd, version;
	uint16_t nlflags;
	char code[NLT_ENROLL_CODE_MAX];
};

#define HAS(r, a)	(!!((r)->seen & (1ULL << (a))))

/*
 * Parses a device message strictly (nltest.h's nlt_attrs(): every
 * attribute known, of its size, once, covering the payload), then the
 * identity as the header says and the attributes every reply has. 0, or
 * -1 with why[].
 */
static int parse_reply(const struct nlt *t, const struct nlmsghdr *nlh,
		       struct rdev *r, char *why, size_t wl)
{
	static const int always[] = {
		IOTGUARD_A_DEVICE_NAME, IOTGUARD_A_DEVICE_MAC,
		IOTGUARD_A_DEVICE_STATE, IOTGUARD_A_DEVICE_CLASS,
		IOTGUARD_A_DEVICE_RATE_PPS, IOTGUARD_A_DEVICE_BURST_PKTS,
		IOTGUARD_A_DEVICE_RATE_BPS, IOTGUARD_A_DEVICE_BURST_BYTES,
		IOTGUARD_A_DEVICE_FLAGS, IOTGUARD_A_DEVICE_INDEX,
		IOTGUARD_A_DEVICE_COOKIE, IOTGUARD_A_DEVICE_STATE_SECONDS,
	};
	struct nlt_attr tb[IOTGUARD_A_MAX + 1];
	const struct genlmsghdr *g;
	struct mdev *d = &r->d;
	int type;

	memset(r, 0, sizeof(*r));
	r->nlflags = nlh->nlmsg_flags;
	if (nlt_attrs(t, nlh, tb, &r->seen, why, wl))
		return -1;
	g = mnl_nlmsg_get_payload(nlh);
	r->cmd = g->cmd;
	r->version = g->version;
	for (type = 1; type <= IOTGUARD_A_MAX; type++) {
		const uint8_t *v = tb[type].v;

		if (!v)
			continue;
		switch (type) {
		case IOTGUARD_A_DEVICE_IPV4:
			d->key.family = AF_INET;
			memcpy(d->key.addr, v, 4);
			break;
		case IOTGUARD_A_DEVICE_IPV6:
			d->key.family = AF_INET6;
			memcpy(d->key.addr, v, 16);
			break;
		case IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN:
			d->key.plen = v[0];
			if (!v[0] || v[0] >= 128) {
				snprintf(why, wl, "prefix length %u", v[0]);
				return -1;
			}
			break;
		case IOTGUARD_A_DEVICE_NAME:
			memcpy(d->name, v, tb[type].len);
			break;
		case IOTGUARD_A_ENROLL_CODE:
			memcpy(r->code, v, tb[type].len);
			break;
		case IOTGUARD_A_ALERT_TEXT:
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
		case IOTGUARD_A_DEVICE_CRED_MODE:
			d->mode = v[0];
			break;
		case IOTGUARD_A_DEVICE_CRED_EXPIRES:
			memcpy(&d->expires, v, 8);
			break;
		case IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS:
			memcpy(&d->epoch_seconds, v, 4);
			break;
		case IOTGUARD_A_DEVICE_CRED_KEY_ID:
			memcpy(&d->key_id, v, 4);
			break;
		case IOTGUARD_A_DEVICE_CRED_EPOCH:
			memcpy(&d->epoch, v, 4);
			break;
		case IOTGUARD_A_DEVICE_CRED_REVOKED:
			d->revoked = true;
			break;
		case IOTGUARD_A_DEVICE_LEASE_IPV4:
		case IOTGUARD_A_DEVICE_LEASE_SECONDS:
		case IOTGUARD_A_DEVICE_STATE_SECONDS:
		case IOTGUARD_A_ALERT_DETECTOR:
		case IOTGUARD_A_ALERT_SCORE:
		case IOTGUARD_A_ALERT_ACTION:
		case IOTGUARD_A_ALERT_FLAGS:
		case IOTGUARD_A_ENROLL_ID:
			break;
		default:
			snprintf(why, wl, "attribute %u in a reply", type);
			return -1;
		}
	}
	if (HAS(r, IOTGUARD_A_DEVICE_IPV4) && HAS(r, IOTGUARD_A_DEVICE_IPV6)) {
		snprintf(why, wl, "two identities");
		return -1;
	}
	if (HAS(r, IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN) &&
	    !HAS(r, IOTGUARD_A_DEVICE_IPV6)) {
		snprintf(why, wl, "prefix length without IPv6");
		return -1;
	}
	if (!d->key.family) {
		d->key.family = AF_PACKET;
		memcpy(d->key.addr, d->mac, 6);
	} else if (HAS(r, IOTGUARD_A_DEVICE_LEASE_IPV4)) {
		snprintf(why, wl, "a lease of a device enrolled by address");
		return -1;
	}
	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		if (!HAS(r, always[i])) {
			snprintf(why, wl, "attribute %d missing", always[i]);
			return -1;
		}
	d->has_cred = HAS(r, IOTGUARD_A_DEVICE_CRED_KEY_ID);
	if (d->has_cred != HAS(r, IOTGUARD_A_DEVICE_CRED_MODE) ||
	    d->has_cred != HAS(r, IOTGUARD_A_DEVICE_CRED_EPOCH) ||
	    (d->has_cred && d->revoked)) {
		snprintf(why, wl, "credential attributes incoherent");
		return -1;
	}
	return 0;
}

/* "" when the table's version r of a device is the model's m. */
static const char *dev_diff(const struct mdev *m, const struct rdev *r)
{
	static char msg[200];
	const struct mdev *d = &r->d;

	msg[0] = 0;
#define DIFF(cond, fmt, ...) do {					\
	if (cond) {							\
		snprintf(msg, sizeof(msg), fmt, __VA_ARGS__);		\
		return msg;						\
	}								\
} while (0)
	DIFF(!same_key(&m->key, &d->key), "identity %s, model %s",
	     key_str(&d->key), key_str(&m->key));
	DIFF(d->index != m->index, "index %u, model %u", d->index, m->index);
	DIFF(m->cookie_known && d->cookie != m->cookie, "cookie %u, model %u",
	     d->cookie, m->cookie);
	DIFF(strcmp(d->name, m->name), "name \"%s\", model \"%s\"", d->name,
	     m->name);
	DIFF(memcmp(d->mac, m->mac, 6), "MAC %02x..%02x, model %02x..%02x",
	     d->mac[0], d->mac[5], m->mac[0], m->mac[5]);
	DIFF(d->state != m->state, "state %u, model %u", d->state, m->state);
	DIFF(d->class != m->class, "class %u, model %u", d->class, m->class);
	DIFF(d->rate_pps != m->rate_pps || d->burst_pkts != m->burst_pkts,
	     "pps %u/%u, model %u/%u", d->rate_pps, d->burst_pkts,
	     m->rate_pps, m->burst_pkts);
	DIFF(d->rate_bps != m->rate_bps || d->burst_bytes != m->burst_bytes,
	     "bps %" PRIu64 "/%u, model %" PRIu64 "/%u", d->rate_bps,
	     d->burst_bytes, m->rate_bps, m->burst_bytes);
	DIFF(d->flags != m->flags, "flags %#x, model %#x", d->flags, m->flags);
	DIFF(d->revoked != m->revoked, "revoked %d, model %d", d->revoked,
	     m->revoked);
	DIFF(d->has_cred != m->has_cred, "credential %d, model %d",
	     d->has_cred, m->has_cred);
	if (m->has_cred) {
		DIFF(d->mode != m->mode, "mode %u, model %u", d->mode, m->mode);
		DIFF(m->key_known && d->key_id != m->key_id,
		     "key id %#x, model %#x", d->key_id, m->key_id);
		DIFF(d->expires != m->expires || d->epoch != m->epoch ||
		     d->epoch_seconds != m->epoch_seconds,
		     "credential %" PRIu64 "/%u/%u, model %" PRIu64 "/%u/%u",
		     d->expires, d->epoch, d->epoch_seconds, m->expires,
		     m->epoch, m->epoch_seconds);
	}
	DIFF(HAS(r, IOTGUARD_A_DEVICE_LEASE_IPV4), "%s", "a lease, with no DHCP");
#undef DIFF
	return msg;
}

/* ------------------------------------------------------------ results */

static struct {
	long msgs, datagrams, mismatches, malformed, no_extack, ok, rejected;
	long silent, dumps, checkpoints, table_diffs, events, bad_events;
	long overruns, errno_count[134], core_no_msg;
	long by_gen[8];
} st;

static int shown;

/* The events the acknowledged changes must have sent, in order. */
static struct {
	uint8_t cmd;
	struct key key;
} evq[8192];
static int evq_len, evq_pos;
static bool evq_lost;		/* an overrun: the order is unknowable */
static long ev_wrong;

static void expect_events(const struct pred *p)
{
	for (int i = 0; i < p->nev; i++) {
		if (evq_len == (int)(sizeof(evq) / sizeof(evq[0]))) {
			evq_lost = true;
			return;
		}
		evq[evq_len].cmd = p->ev_cmd;
		evq[evq_len++].key = p->ev_keys[i];
	}
}

static void hexdump(const uint8_t *p, int len)
{
	char line[100];
	int o = 0;

	for (int i = 0; i < len && i < 256; i++) {
		o += snprintf(line + o, sizeof(line) - o, "%02x", p[i]);
		if (i % 32 == 31 || i == len - 1 || i == 255) {
			printf("#     %s\n", line);
			o = 0;
		}
	}
}

static void report(const char *what, long n, const uint8_t *msg, int len,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report(const char *what, long n, const uint8_t *msg, int len,
		   const char *fmt, ...)
{
	va_list ap;

	if (shown++ >= SHOW_MAX)
		return;
	printf("# %s, request %ld: ", what, n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (msg)
		hexdump(msg, len);
}

/* ------------------------------------------------------------ exchange */

struct outcome {
	int acks, dones, ndata, err;
	bool has_extack;
	char extack[256];
	struct rdev data;	/* the first data reply */
	char bad[200];		/* what was malformed */
};

static struct rdev dumped[MAX_MODEL * 2];
static int ndumped;
static bool dump_intr;		/* a part of it carried NLM_F_DUMP_INTR */

static void out_bad(struct outcome *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out_bad(struct outcome *o, const char *fmt, ...)
{
	va_list ap;

	if (o->bad[0])
		return;
	va_start(ap, fmt);
	vsnprintf(o->bad, sizeof(o->bad), fmt, ap);
	va_end(ap);
}

/* One reply message of request o. */
static void take(struct nlt *t, const struct nlmsghdr *r, struct outcome *o,
		 uint16_t family)
{
	char why[160];

	if (r->nlmsg_flags & NLM_F_DUMP_INTR)
		dump_intr = true;	/* NLMSG_DONE may carry it alone */
	if (o->acks || o->dones) {
		out_bad(o, "message type %u after the end", r->nlmsg_type);
		return;
	}
	if (r->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(r);

		nlt_reset(t);
		nlt_parse_err(t, r);
		o->acks++;
		o->err = t->err;
		o->has_extack = t->extack[0] != 0;
		memcpy(o->extack, t->extack, sizeof(o->extack));
		if (t->bad[0])
			out_bad(o, "%s", t->bad);
		else if (t->err > 0 || t->err < -4095)
			out_bad(o, "error %d", t->err);
		else if (e->msg.nlmsg_seq != r->nlmsg_seq ||
			 e->msg.nlmsg_type != family)
			out_bad(o, "the error quotes seq %u type %u",
				e->msg.nlmsg_seq, e->msg.nlmsg_type);
		return;
	}
	if (r->nlmsg_type == NLMSG_DONE) {
		nlt_reset(t);
		nlt_parse_done(t, r);
		o->dones++;
		o->err = t->err;
		o->has_extack = t->extack[0] != 0;
		memcpy(o->extack, t->extack, sizeof(o->extack));
		if (t->err > 0 || t->err < -4095)
			out_bad(o, "dump error %d", t->err);
		return;
	}
	if (o->ndata == 0 || (r->nlmsg_flags & NLM_F_MULTI)) {
		struct rdev d;

		if (parse_reply(t, r, &d, why, sizeof(why)))
			out_bad(o, "reply %d: %s", o->ndata, why);
		else if (o->ndata == 0)
			o->data = d;
		if (r->nlmsg_flags & NLM_F_MULTI) {
			if (ndumped < (int)(sizeof(dumped) / sizeof(dumped[0])))
				dumped[ndumped] = d;
			ndumped++;
		}
	}
	o->ndata++;
}

/*
 * Sends one datagram of k requests (seq0...) and reads their answers.
 * With a sentinel (an NLMSG_NOOP to acknowledge, in a datagram of its
 * own), requests that get no answer end there. 0, or -1 when the socket
 * failed or went quiet.
 */
static int exchange(struct nlt *t, const uint8_t *buf, int len, uint32_t seq0,
		    int k, struct outcome *out, bool sentinel)
{
	uint32_t sseq = seq0 + k;
	bool sentinel_seen = !sentinel;
	int i;

	memset(out, 0, sizeof(*out) * k);
	ndumped = 0;
	dump_intr = false;
	st.datagrams++;
	if (mnl_socket_sendto(t->sock, buf, len) < 0) {
		printf("# Unable to send a request of %d bytes (nlmsg_len %u, flags %#x): %s\n",
		       len, ((const struct nlmsghdr *)buf)->nlmsg_len,
		       ((const struct nlmsghdr *)buf)->nlmsg_flags,
		       strerror(errno));
		return -1;
	}
	if (sentinel) {
		char s[NLMSG_HDRLEN];
		struct nlmsghdr *nlh = (void *)s;

		memset(s, 0, sizeof(s));
		nlh->nlmsg_len = NLMSG_HDRLEN;
		nlh->nlmsg_type = NLMSG_NOOP;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		nlh->nlmsg_seq = sseq;
		if (mnl_socket_sendto(t->sock, s, sizeof(s)) < 0) {
			printf("# Unable to send a sentinel: %s\n",
			       strerror(errno));
			return -1;
		}
	}
	for (;;) {
		bool complete = sentinel_seen;
		const struct nlmsghdr *r;
		int n;

		for (i = 0; i < k; i++) {
			struct outcome *o = &out[i];

			if (o->acks || o->dones)
				continue;
			/* a dump under way, or a request that must answer */
			if (!sentinel || (o->ndata &&
					  (o->data.nlflags & NLM_F_MULTI)))
				complete = false;
		}
		if (complete)
			return 0;
		n = mnl_socket_recvfrom(t->sock, t->buf, NLT_BUF_SIZE);
		if (n < 0) {
			printf("# Unable to receive the answers: %s\n",
			       strerror(errno));
			return -1;
		}
		for (r = (const void *)t->buf; mnl_nlmsg_ok(r, n);
		     r = mnl_nlmsg_next(r, &n)) {
			if (r->nlmsg_seq == sseq && sentinel &&
			    r->nlmsg_type == NLMSG_ERROR) {
				sentinel_seen = true;
				continue;
			}
			if (r->nlmsg_seq < seq0 || r->nlmsg_seq >= seq0 + k) {
				printf("# a message of seq %u type %u, not ours\n",
				       r->nlmsg_seq, r->nlmsg_type);
				st.malformed++;
				continue;
			}
			take(t, r, &out[r->nlmsg_seq - seq0], t->family);
		}
		if (n > 0) {
			printf("# %d bytes of a truncated message\n", n);
			st.malformed++;
		}
	}
}

/* ------------------------------------------------------------ checks */

static uint32_t seq_next = 1;

/* The dump in dumped[] against the model; learns the cookies. */
static int compare_dump(const char *when, long n)
{
	int diffs = 0;

	if (ndumped > (int)(sizeof(dumped) / sizeof(dumped[0]))) {
		report("table", n, NULL, 0, "%s: %d devices dumped", when,
		       ndumped);
		return 1;
	}
	for (int i = 0; i < ndumped; i++) {
		struct mdev *m = model_find(&dumped[i].d.key);
		const char *diff;

		for (int j = 0; j < i; j++)
			if (dumped[j].d.cookie == dumped[i].d.cookie ||
			    dumped[j].d.index == dumped[i].d.index ||
			    same_key(&dumped[j].d.key, &dumped[i].d.key)) {
				report("table", n, NULL, 0,
				       "%s: %s and %s share a cookie, index or identity",
				       when, key_str(&dumped[i].d.key),
				       key_str(&dumped[j].d.key));
				diffs++;
			}
		if (i && dumped[i].d.index <= dumped[i - 1].d.index) {
			report("table", n, NULL, 0, "%s: dump not in index order",
			       when);
			diffs++;
		}
		if (dumped[i].cmd != IOTGUARD_CMD_DEVICE_GET) {
			report("table", n, NULL, 0, "%s: dump of cmd %u", when,
			       dumped[i].cmd);
			diffs++;
		}
		if (!m) {
			report("table", n, NULL, 0,
			       "%s: %s (index %u) in the table, not the model",
			       when, key_str(&dumped[i].d.key),
			       dumped[i].d.index);
			diffs++;
			continue;
		}
		diff = dev_diff(m, &dumped[i]);
		if (diff[0]) {
			report("table", n, NULL, 0, "%s: %s: %s", when,
			       key_str(&m->key), diff);
			diffs++;
		}
		m->cookie = dumped[i].d.cookie;
		m->cookie_known = true;
	}
	if (ndumped != model.n) {
		report("table", n, NULL, 0, "%s: %d devices, the model %d", when,
		       ndumped, model.n);
		diffs++;
	}
	return diffs;
}

/* The model, as the table has it: after a mismatch, to go on. */
static void resync(void)
{
	struct model old;

	model_copy(&old, &model);
	model.n = 0;
	for (int i = 0; i < ndumped && i < MAX_MODEL; i++) {
		struct mdev *o = model_find_in(&old, &dumped[i].d.key);
		struct mdev *m = &model.dev[model.n++];

		*m = dumped[i].d;
		m->cookie_known = true;
		m->key_known = o && o->key_known && o->has_cred &&
			       o->key_id == m->key_id;
		if (m->key_known)
			memcpy(m->cred_key, o->cred_key, sizeof(m->cred_key));
	}
}

static int dump_table(struct nlt *t, struct outcome *o)
{
	uint8_t buf[64];
	struct nlmsghdr *nlh = nlt_msg(t, buf, t->family, NLM_F_DUMP,
				       IOTGUARD_CMD_DEVICE_GET,
				       IOTGUARD_GENL_VERSION);

	nlh->nlmsg_seq = seq_next++;
	if (exchange(t, buf, nlh->nlmsg_len, nlh->nlmsg_seq, 1, o, false))
		return -1;
	if (o->bad[0] || o->err || !o->dones) {
		printf("# dump: %s %s (%s)\n", strerror(-o->err), o->bad,
		       o->extack);
		return -1;
	}
	return 0;
}

/* Dumps the table and compares it with the model. */
static int checkpoint(struct nlt *t, const char *when, long n)
{
	struct outcome o;
	int diffs;

	st.checkpoints++;
	if (dump_table(t, &o))
		return -1;
	diffs = compare_dump(when, n);
	if (diffs) {
		st.table_diffs += diffs;
		resync();
	}
	return diffs;
}

/* Every event waiting on ev: well-formed, of a command that changes. */
static void drain_events(struct nlt *ev)
{
	for (;;) {
		const struct nlmsghdr *r = (const void *)ev->buf;
		ssize_t n = recv(mnl_socket_get_fd(ev->sock), ev->buf,
				 NLT_BUF_SIZE, MSG_DONTWAIT);
		int rem;

		if (n < 0 && errno == ENOBUFS) {
			st.overruns++;
			evq_lost = true;
			continue;
		}
		if (n < 0) {
			/* all read: start the queue afresh */
			if (!evq_lost && evq_pos != evq_len && !ev_wrong++)
				printf("# %d events missing\n",
				       evq_len - evq_pos);
			evq_len = evq_pos = 0;
			evq_lost = false;
			return;
		}
		rem = (int)n;
		for (; mnl_nlmsg_ok(r, rem); r = mnl_nlmsg_next(r, &rem)) {
			struct rdev d;
			char why[160];

			st.events++;
			if (parse_reply(ev, r, &d, why, sizeof(why)) ||
			    (d.cmd != IOTGUARD_CMD_DEVICE_NEW &&
			     d.cmd != IOTGUARD_CMD_DEVICE_SET &&
			     d.cmd != IOTGUARD_CMD_DEVICE_DEL &&
			     d.cmd != IOTGUARD_CMD_DEVICE_REVOKE &&
			     d.cmd != IOTGUARD_CMD_ALERT)) {
				if (!st.bad_events++)
					printf("# a malformed event (cmd %u): %s\n",
					       d.cmd, why);
				continue;
			}
			if (evq_lost)
				continue;
			if (evq_pos >= evq_len ||
			    evq[evq_pos].cmd != d.cmd ||
			    !same_key(&evq[evq_pos].key, &d.d.key)) {
				if (!ev_wrong++)
					printf("# event %ld: cmd %u %s, expected %s\n",
					       st.events, d.cmd,
					       key_str(&d.d.key),
					       evq_pos < evq_len ?
					       key_str(&evq[evq_pos].key) :
					       "none");
				evq_lost = true;
				continue;
			}
			evq_pos++;
		}
	}
}

/* ------------------------------------------------------------ judging */

static const char *errname(int err)
{
	return err ? strerror(-err) : "success";
}

/*
 * One request's answer against its prediction; commits a success to the
 * model. 0 when it matched.
 */
static int judge(const uint8_t *msg, int len, struct outcome *o, bool priv,
		 long n)
{
	const struct nlmsghdr *nlh = (const void *)msg;
	const struct genlmsghdr *g = (const void *)(msg + NLMSG_HDRLEN);
	uint8_t cmd = len >= NLMSG_HDRLEN + GENL_HDRLEN ? g->cmd : 0;
	struct pred p;
	int err = o->err, bad = 0;

	predict(&p, msg, len, priv);
	st.msgs++;
	if (o->bad[0]) {
		st.malformed++;
		report("malformed answer", n, msg, len, "%s (%s)", o->bad,
		       p.why);
		bad++;
	}
	if (p.silent) {
		st.silent++;
		if (o->acks || o->dones || o->ndata) {
			report("answered", n, msg, len,
			       "a dropped request got %s (%s)", errname(err),
			       p.why);
			st.mismatches++;
			bad++;
		}
		return bad;
	}
	if (o->acks + o->dones == 0 && !(nlh->nlmsg_flags & NLM_F_ACK) &&
	    !p.dump)
		err = 0;	/* a success asked no ACK */
	else if (o->acks + o->dones != 1) {
		report("unanswered", n, msg, len, "%d ACKs, %d DONEs (%s)",
		       o->acks, o->dones, p.why);
		st.malformed++;
		return bad + 1;
	}
	if (-err >= 0 && -err < 134)
		st.errno_count[-err]++;
	if (!(p.errs & E(-err))) {
		report("mismatch", n, msg, len,
		       "got %s \"%s\"; predicted %#" PRIx64 ": %s",
		       errname(err), o->extack, p.errs, p.why);
		st.mismatches++;
		bad++;
		/* the table changed as the model did not: learn it */
		if (!err)
			return bad + 1000;
		return bad;
	}
	if (err) {
		st.rejected++;
		if (!p.extack && !o->has_extack)
			st.core_no_msg++;
		if (p.extack && !o->has_extack) {
			st.no_extack++;
			report("no extack", n, msg, len, "%s without a message (%s)",
			       errname(err), p.why);
			bad++;
		}
		if (o->ndata) {
			report("data", n, msg, len, "%d replies with %s",
			       o->ndata, errname(err));
			bad++;
		}
		return bad;
	}
	st.ok++;
	if (!(nlh->nlmsg_flags & NLM_F_REQUEST))
		return bad;
	if (p.dump) {
		st.dumps++;
		st.checkpoints++;
		bad += compare_dump("a fuzzed dump", n);
		st.table_diffs += bad;
		return bad ? bad + 1000 : 0;
	}
	if (o->ndata != p.data || (p.data && o->data.cmd != p.data_cmd)) {
		report("replies", n, msg, len, "%d replies of cmd %u, want %d (%s)",
		       o->ndata, o->data.cmd, p.data, p.why);
		bad++;
	}
	if (p.apply)
		model_copy(&model, &scratch);
	if (priv)
		expect_events(&p);
	if (cmd == IOTGUARD_CMD_ENROLL_NEW)
		model.codes++;
	if (o->ndata == 1 && p.data == 1) {
		struct mdev *m = model_find(&o->data.d.key);
		const char *diff = m ? dev_diff(m, &o->data) : "not in the model";
		unsigned int id;
		char tail[40];

		if (diff[0]) {
			report("reply", n, msg, len, "cmd %u: %s", cmd, diff);
			bad++;
		} else {
			m->cookie = o->data.d.cookie;
			m->cookie_known = true;
		}
		if (cmd == IOTGUARD_CMD_ENROLL_NEW &&
		    (sscanf(o->data.code, "IGE1-%8x-%32[0-9a-f]", &id, tail) != 2 ||
		     strlen(o->data.code) != 5 + 8 + 1 + 32 ||
		     !HAS(&o->data, IOTGUARD_A_ENROLL_ID))) {
			report("reply", n, msg, len, "enrollment code \"%s\"",
			       o->data.code);
			bad++;
		}
	}
	return bad;
}

/* ------------------------------------------------------------ generators */

static const uint8_t cred_keys[4][IOTGUARD_CRED_KEY_LEN] = {
	{ 1, 2, 3 }, { 0x42 }, { 0xff, 0xfe }, { 9, 9, 9, 9, 9 },
};

static struct nlmsghdr *req(uint8_t *buf, uint8_t cmd, uint16_t flags,
			    uint16_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq_next++;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = chance(90) ? IOTGUARD_GENL_VERSION : (uint8_t)rnd(256);
	return nlh;
}

static void put_key(struct nlmsghdr *nlh, const struct key *k)
{
	if (k->family == AF_INET)
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_IPV4, 4, k->addr);
	else if (k->family == AF_INET6)
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_IPV6, 16, k->addr);
	else
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_MAC, 6, k->addr);
	if (k->plen)
		mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN,
				k->plen);
}

static const struct key *pick_key(void)
{
	/* mostly a device the model has, else any of the pool */
	if (model.n && chance(60))
		return &model.dev[rnd(model.n)].key;
	return &pool[rnd(NPOOL)];
}

static void put_cred(struct nlmsghdr *nlh)
{
	if (chance(15)) {
		mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_CRED_MODE,
				IOTGUARD_CRED_NONE);
		return;
	}
	mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_CRED_MODE, 1 + rnd(2));
	mnl_attr_put(nlh, IOTGUARD_A_DEVICE_CRED_KEY, IOTGUARD_CRED_KEY_LEN,
		     cred_keys[rnd(4)]);
	if (chance(40))
		mnl_attr_put_u64(nlh, IOTGUARD_A_DEVICE_CRED_EXPIRES,
				 chance(50) ? 0 : 1700000000 + rnd(1 << 30));
	if (chance(40))
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_CRED_EPOCH, rnd(100));
	if (chance(40))
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS,
				 60 + rnd(100000));
}

/* The optional attributes of NEW and SET, a few of them. */
static void put_optional(struct nlmsghdr *nlh, const struct key *k)
{
	if (chance(30)) {
		char name[IOTGUARD_DEVICE_NAME_LEN];
		int len = rnd(IOTGUARD_DEVICE_NAME_LEN);

		for (int i = 0; i < len; i++)
			name[i] = 'a' + rnd(26);
		name[len] = 0;
		mnl_attr_put_strz(nlh, IOTGUARD_A_DEVICE_NAME, name);
	}
	if (k->family != AF_PACKET && chance(20)) {
		uint8_t mac[6] = { 0x02, 0x42, 0, 0, 0, (uint8_t)rnd(8) };

		if (chance(20))
			memset(mac, 0, 6);
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_MAC, 6, mac);
	}
	if (chance(30))
		mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_STATE, 1 + rnd(3));
	if (chance(20))
		mnl_attr_put_u16(nlh, IOTGUARD_A_DEVICE_CLASS, rnd(65536));
	if (chance(20))
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_RATE_PPS,
				 chance(10) ? 1000000000 : rnd(100000));
	if (chance(15))
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_BURST_PKTS, rnd(1000));
	if (chance(20))
		mnl_attr_put_u64(nlh, IOTGUARD_A_DEVICE_RATE_BPS,
				 chance(10) ? SEC_FP :
				 rnd64() % 100000000000ULL);
	if (chance(15))
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_BURST_BYTES,
				 (uint32_t)rnd64());
	if (chance(20))
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_FLAGS, rnd(2));
	if (chance(10))
		put_cred(nlh);
}

/* A request the model knows the answer to. Returns its length. */
static int gen_valid(uint8_t *buf, uint16_t family, bool burst)
{
	const struct key *k = pick_key();
	uint16_t flags = burst || chance(95) ? NLM_F_ACK : 0;
	struct nlmsghdr *nlh;
	uint32_t op = rnd(100);

	if (op < 22) {
		nlh = req(buf, IOTGUARD_CMD_DEVICE_NEW,
			  flags | (!burst && chance(30) ? NLM_F_ECHO : 0),
			  family);
		put_key(nlh, k);
		put_optional(nlh, k);
	} else if (op < 47) {
		nlh = req(buf, IOTGUARD_CMD_DEVICE_SET, flags, family);
		put_key(nlh, k);
		if (chance(25)) {
			mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_STATE,
					1 + rnd(3));
			mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_FLAGS,
					 IOTGUARD_DEVICE_F_AUTO);
		} else {
			put_optional(nlh, k);
			if (chance(10))
				put_cred(nlh);
		}
	} else if (op < 59) {
		nlh = req(buf, IOTGUARD_CMD_DEVICE_DEL, flags, family);
		put_key(nlh, k);
	} else if (op < 65) {
		nlh = req(buf, IOTGUARD_CMD_DEVICE_REVOKE, flags, family);
		put_key(nlh, k);
	} else if (op < 75) {
		nlh = req(buf, IOTGUARD_CMD_DEVICE_GET, flags, family);
		put_key(nlh, k);
	} else if (op < 78 && !burst) {
		nlh = req(buf, IOTGUARD_CMD_DEVICE_GET, NLM_F_DUMP |
			  (chance(50) ? NLM_F_ACK : 0), family);
	} else if (op < 85) {
		struct nlattr *list, *dev;
		int count = 1 + rnd(chance(10) ? 40 : 6);

		nlh = req(buf, IOTGUARD_CMD_DEVICE_NEW, flags, family);
		list = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICES);
		for (int i = 0; i < count; i++) {
			const struct key *lk = &pool[rnd(NPOOL)];

			dev = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICE);
			put_key(nlh, lk);
			put_optional(nlh, lk);
			mnl_attr_nest_end(nlh, dev);
		}
		mnl_attr_nest_end(nlh, list);
	} else if (op < 88) {
		nlh = req(buf, IOTGUARD_CMD_ENROLL_NEW, flags, family);
		put_key(nlh, k);
		mnl_attr_put_u32(nlh, IOTGUARD_A_ENROLL_TTL,
				 1 + rnd(IOTGUARD_ENROLL_TTL_MAX));
		mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_CRED_MODE, 1 + rnd(2));
		if (chance(30))
			mnl_attr_put_u32(nlh,
					 IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS,
					 60 + rnd(1000));
	} else if (op < 97) {
		struct mdev *m = model.n ? &model.dev[rnd(model.n)] : NULL;
		char text[IOTGUARD_ALERT_TEXT_LEN];
		int tl = 1 + rnd(IOTGUARD_ALERT_TEXT_LEN - 1);

		nlh = req(buf, IOTGUARD_CMD_ALERT, flags, family);
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_INDEX,
				 m ? m->index : rnd(80));
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_COOKIE,
				 m && chance(80) ? m->cookie :
				 (uint32_t)rnd64());
		mnl_attr_put_u8(nlh, IOTGUARD_A_ALERT_DETECTOR,
				rnd(IOTGUARD_ALERT_DET_MAX + 1));
		mnl_attr_put_u32(nlh, IOTGUARD_A_ALERT_SCORE,
				 (uint32_t)rnd64());
		mnl_attr_put_u8(nlh, IOTGUARD_A_ALERT_ACTION,
				rnd(IOTGUARD_ALERT_ACT_MAX + 1));
		for (int i = 0; i < tl; i++)
			text[i] = ' ' + rnd(95);
		text[tl] = 0;
		mnl_attr_put_strz(nlh, IOTGUARD_A_ALERT_TEXT, text);
		if (chance(50))
			mnl_attr_put_u32(nlh, IOTGUARD_A_ALERT_FLAGS, rnd(4));
	} else {
		uint8_t payload[HELLO_LEN], addr[32];
		int alen = chance(50) ? 4 : 16;

		rnd_bytes(payload, sizeof(payload));
		rnd_bytes(addr, sizeof(addr));
		nlh = req(buf, IOTGUARD_CMD_ENROLL_HELLO, flags, family);
		mnl_attr_put(nlh, IOTGUARD_A_ENROLL_PAYLOAD, HELLO_LEN,
			     payload);
		mnl_attr_put(nlh, IOTGUARD_A_ENROLL_SADDR, alen, addr);
		mnl_attr_put(nlh, IOTGUARD_A_ENROLL_DADDR, alen, addr + 16);
		mnl_attr_put_u16(nlh, IOTGUARD_A_ENROLL_SPORT, rnd(65536));
		mnl_attr_put_u16(nlh, IOTGUARD_A_ENROLL_DPORT, 4433);
	}
	return nlh->nlmsg_len;
}

/* Random attributes, nests among them, into nlh (at most room bytes). */
static void put_garbage(struct nlmsghdr *nlh, int room, int depth)
{
	int count = rnd(depth ? 4 : 10);

	for (int i = 0; i < count; i++) {
		static const uint16_t sizes[] = {
			0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33,
			48, 255, 256, 300,
		};
		uint16_t type = chance(80) ? rnd(IOTGUARD_A_MAX + 3) :
				(uint16_t)rnd(NLA_TYPE_MASK + 1);
		uint16_t size = sizes[rnd(sizeof(sizes) / sizeof(sizes[0]))];
		uint8_t data[300];

		if (chance(5))
			type |= NLA_F_NET_BYTEORDER;
		if ((int)nlh->nlmsg_len + 4 + size + 64 > room)
			return;
		if (chance(15) && depth < 12) {
			struct nlattr *nest;

			nest = mnl_attr_nest_start(nlh, type & NLA_TYPE_MASK);
			if (chance(20))
				nest->nla_type &= ~NLA_F_NESTED;
			if (chance(80))
				put_garbage(nlh, room, depth + 1);
			mnl_attr_nest_end(nlh, nest);
			continue;
		}
		if (chance(50)) {
			uint64_t v = rnd_edge();

			memset(data, 0, sizeof(data));
			memcpy(data, &v, size < 8 ? size : 8);
		} else {
			rnd_bytes(data, size);
		}
		if (chance(30) && size)
			data[size - 1] = 0;
		if (chance(5))
			type |= NLA_F_NESTED;
		mnl_attr_put(nlh, type, size, data);
	}
}

/* A request of random header fields and attributes. */
static int gen_random(uint8_t *buf, uint16_t family)
{
	static const uint16_t flagbits[] = {
		NLM_F_ACK, NLM_F_ACK, NLM_F_ACK, NLM_F_ECHO, NLM_F_DUMP,
		NLM_F_ROOT, NLM_F_MATCH, NLM_F_ATOMIC, NLM_F_APPEND,
		NLM_F_MULTI, NLM_F_DUMP_INTR, 0x1000, 0x8000,
	};
	uint16_t flags = 0;
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	for (int i = rnd(3); i >= 0; i--)
		flags |= flagbits[rnd(sizeof(flagbits) / sizeof(flagbits[0]))];
	nlh = req(buf, chance(80) ? rnd(IOTGUARD_CMD_MAX + 3) : rnd(256), flags,
		  family);
	g = mnl_nlmsg_get_payload(nlh);
	if (chance(3))
		g->reserved = (uint16_t)rnd64();
	put_garbage(nlh, 4096, 0);
	return nlh->nlmsg_len;
}

/* NEW with a list of devices, some of them broken. */
static int gen_list(uint8_t *buf, uint16_t family)
{
	struct nlmsghdr *nlh = req(buf, IOTGUARD_CMD_DEVICE_NEW, NLM_F_ACK,
				   family);
	int count = chance(5) ? 250 + rnd(10) : rnd(8);
	struct nlattr *list = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICES);

	if (chance(5))
		list->nla_type &= ~NLA_F_NESTED;
	for (int i = 0; i < count; i++) {
		const struct key *k = &pool[rnd(NPOOL)];
		struct nlattr *dev;

		if (nlh->nlmsg_len > MAX_MSG - 1024)
			break;
		dev = mnl_attr_nest_start(nlh, chance(97) ? IOTGUARD_A_DEVICE :
					  rnd(IOTGUARD_A_MAX + 2));
		if (chance(3))
			dev->nla_type &= ~NLA_F_NESTED;
		if (count < 200 && chance(90)) {
			put_key(nlh, k);
			put_optional(nlh, k);
		} else if (count >= 200) {
			mnl_attr_put(nlh, IOTGUARD_A_DEVICE_IPV4, 4,
				     (uint8_t[]){ 198, 19, 9, (uint8_t)i });
		}
		if (chance(8))
			put_garbage(nlh, MAX_MSG - 512, 1);
		mnl_attr_nest_end(nlh, dev);
	}
	mnl_attr_nest_end(nlh, list);
	if (chance(5))
		mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_STATE, 1);
	return nlh->nlmsg_len;
}

/* The attributes' offsets in a message, top level. */
static int attr_offsets(const uint8_t *buf, int *off, int max)
{
	const struct nlmsghdr *nlh = (const void *)buf;
	int p = NLMSG_HDRLEN + GENL_HDRLEN, n = 0;

	while (n < max && p + 4 <= (int)nlh->nlmsg_len) {
		uint16_t l;

		memcpy(&l, buf + p, 2);
		if (l < 4 || p + l > (int)nlh->nlmsg_len)
			break;
		off[n++] = p;
		p += NLA_ALIGN(l);
	}
	return n;
}

/*
 * One mutation of a request: *sendlen is the datagram's length, which a
 * mutation of nlmsg_len may change.
 */
static void mutate(uint8_t *buf, int *sendlen, bool may_frame)
{
	bool framing = false;
	struct nlmsghdr *nlh = (void *)buf;
	struct genlmsghdr *g = (void *)(buf + NLMSG_HDRLEN);
	int off[64], n = attr_offsets(buf, off, 64);
	int a = n ? off[rnd(n)] : 0;
	uint16_t v;

	int what = rnd(13);

	if (!may_frame && (what == 6 || what == 7))
		what = 0;
	switch (what) {
	case 0:		/* a byte of the attributes */
		if ((int)nlh->nlmsg_len > NLMSG_HDRLEN + GENL_HDRLEN)
			buf[NLMSG_HDRLEN + GENL_HDRLEN +
			    rnd(nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN)] =
				(uint8_t)rnd64();
		break;
	case 1:		/* an attribute's length */
		if (!n)
			break;
		memcpy(&v, buf + a, 2);
		v = chance(50) ? v + rnd(9) - 4 : (uint16_t)rnd(70000);
		memcpy(buf + a, &v, 2);
		break;
	case 2:		/* an attribute's type, or its flags */
		if (!n)
			break;
		memcpy(&v, buf + a + 2, 2);
		if (chance(50))
			v ^= chance(70) ? NLA_F_NESTED : NLA_F_NET_BYTEORDER;
		else
			v = (v & ~NLA_TYPE_MASK) | rnd(IOTGUARD_A_MAX + 2);
		memcpy(buf + a + 2, &v, 2);
		break;
	case 3:		/* the command */
		g->cmd = chance(70) ? rnd(IOTGUARD_CMD_MAX + 2) : rnd(256);
		break;
	case 4:		/* the version or the reserved field */
		if (chance(80))
			g->version = (uint8_t)rnd(256);
		else
			g->reserved = (uint16_t)rnd64();
		break;
	case 5: {	/* the flags */
		static const uint16_t bits[] = {
			NLM_F_ACK, NLM_F_ECHO, NLM_F_DUMP, NLM_F_ROOT,
			NLM_F_MATCH, NLM_F_ATOMIC, NLM_F_APPEND, NLM_F_MULTI,
			NLM_F_REQUEST,
		};

		nlh->nlmsg_flags ^= bits[rnd(sizeof(bits) / sizeof(bits[0]))];
		break;
	}
	case 6:		/* nlmsg_len shorter: the datagram ends with it */
		nlh->nlmsg_len = rnd(nlh->nlmsg_len + 1);
		*sendlen = nlh->nlmsg_len < NLMSG_HDRLEN ? NLMSG_HDRLEN :
			   (int)NLMSG_ALIGN(nlh->nlmsg_len) + (int)rnd(4);
		framing = true;
		break;
	case 7:		/* nlmsg_len longer than the datagram */
		*sendlen = NLMSG_ALIGN(nlh->nlmsg_len);
		nlh->nlmsg_len += 1 + rnd(64);
		framing = true;
		break;
	case 8:		/* an attribute twice */
		if (n) {
			int at = NLMSG_ALIGN(nlh->nlmsg_len);
			uint16_t l;

			memcpy(&l, buf + a, 2);
			if (at + NLA_ALIGN(l) + 64 < MAX_MSG) {
				memcpy(buf + at, buf + a, l);
				memset(buf + at + l, 0, NLA_ALIGN(l) - l);
				nlh->nlmsg_len = at + NLA_ALIGN(l);
			}
		}
		break;
	case 9:		/* an attribute less */
		if (n) {
			uint16_t l;
			int end;

			memcpy(&l, buf + a, 2);
			end = a + NLA_ALIGN(l);
			if (end > (int)nlh->nlmsg_len)
				end = nlh->nlmsg_len;
			memmove(buf + a, buf + end, nlh->nlmsg_len - end);
			nlh->nlmsg_len -= end - a;
		}
		break;
	case 10:	/* a stray attribute, or trailing bytes */
		if (chance(50))
			put_garbage(nlh, MAX_MSG - 1024, 0);
		else if (nlh->nlmsg_len + 8 < MAX_MSG)
			nlh->nlmsg_len += 1 + rnd(3);
		break;
	case 11:	/* an attribute's payload bytes, edge values */
		if (n) {
			uint16_t l;
			uint64_t e = rnd_edge();

			memcpy(&l, buf + a, 2);
			if (l > 4)
				memcpy(buf + a + 4, &e, l - 4 < 8 ? l - 4 : 8);
		}
		break;
	default:	/* a nest with garbage */
		if (nlh->nlmsg_len + 2048 < MAX_MSG) {
			struct nlattr *nest;

			nest = mnl_attr_nest_start(nlh, chance(50) ?
						   IOTGUARD_A_DEVICES :
						   IOTGUARD_A_DEVICE);
			put_garbage(nlh, MAX_MSG - 1024, 1);
			mnl_attr_nest_end(nlh, nest);
		}
		break;
	}
	if (!framing)
		*sendlen = NLMSG_ALIGN(nlh->nlmsg_len);
}

/* ------------------------------------------------------------ phases */

static uint8_t msgbuf[MAX_BURST][MAX_MSG];

/* Is the answer to this request possibly none at all? */
static bool needs_sentinel(const uint8_t *buf, int sendlen)
{
	const struct nlmsghdr *nlh = (const void *)buf;
	uint16_t f = nlh->nlmsg_flags;

	if (nlh->nlmsg_len < NLMSG_HDRLEN || (int)nlh->nlmsg_len > sendlen)
		return true;
	if (!(f & NLM_F_REQUEST))
		return true;
	return !(f & NLM_F_ACK) && (f & NLM_F_DUMP) != NLM_F_DUMP;
}

/* One request of a random kind; its length; *sendlen its datagram's. */
static int gen_one(uint8_t *buf, uint16_t family, int *sendlen, int *kind)
{
	int len;

	*kind = rnd(100);
	if (*kind < 35) {
		len = gen_valid(buf, family, false);
		*kind = 0;
	} else if (*kind < 70) {
		len = gen_valid(buf, family, false);
		*sendlen = len;
		for (int i = chance(70) ? 1 : 2 + rnd(2); i > 0; i--)
			mutate(buf, sendlen, i == 1);
		*kind = 1;
		return len;
	} else if (*kind < 88) {
		len = gen_random(buf, family);
		*kind = 2;
	} else {
		len = gen_list(buf, family);
		if (chance(30)) {
			*sendlen = len;
			mutate(buf, sendlen, true);
			*kind = 3;
			return len;
		}
		*kind = 3;
	}
	*sendlen = len;
	return len;
}

/*
 * n requests from a caller with CAP_NET_ADMIN, each judged; a checkpoint
 * every CHECK_EVERY. Returns the number of failures.
 */
static long fuzz_privileged(struct nlt *t, struct nlt *ev, long total)
{
	long n = 0, fails = 0;

	while (n < total) {
		struct outcome out[MAX_BURST];
		int sendlen, kind, r;

		if (chance(8)) {
			/* a burst: a sequence on a few devices, one datagram */
			int k = 2 + rnd(MAX_BURST - 1), off = 0;
			uint8_t *b = msgbuf[0];
			uint32_t seq0 = seq_next;
			int lens[MAX_BURST];

			for (int i = 0; i < k; i++) {
				lens[i] = gen_valid(b + off, t->family, true);
				off += NLMSG_ALIGN(lens[i]);
			}
			if (exchange(t, b, off, seq0, k, out, false))
				return fails + 1;
			off = 0;
			for (int i = 0; i < k; i++) {
				r = judge(b + off, lens[i], &out[i], true, n++);
				if (r >= 1000) {
					checkpoint(t, "after a mismatch", n);
					r -= 1000;
				}
				fails += r != 0;
				off += NLMSG_ALIGN(lens[i]);
			}
			st.by_gen[4] += k;
		} else {
			uint8_t *b = msgbuf[0];
			const struct nlmsghdr *nlh = (const void *)b;

			gen_one(b, t->family, &sendlen, &kind);
			if (exchange(t, b, sendlen, nlh->nlmsg_seq, 1, out,
				     needs_sentinel(b, sendlen)))
				return fails + 1;
			r = judge(b, sendlen, &out[0], true, n++);
			if (r >= 1000) {
				checkpoint(t, "after a mismatch", n);
				r -= 1000;
			}
			fails += r != 0;
			st.by_gen[kind]++;
		}
		if (evq_len > 2048)
			drain_events(ev);
		if (n / CHECK_EVERY != (n - 1) / CHECK_EVERY || n >= total) {
			if (checkpoint(t, "checkpoint", n) < 0)
				return fails + 1;
			drain_events(ev);
		}
	}
	return fails;
}

/*
 * In a child that has no CAP_NET_ADMIN in the table's user namespace:
 * every request refused, none answered with data. Exits with the count of
 * failures.
 */
static void fuzz_unprivileged(long total)
{
	long fails = 0, refused = 0;
	struct nlt t;
	int err;

	err = nlt_open(&t);
	if (err) {
		printf("# child: Unable to open a socket: %s\n", strerror(-err));
		_exit(1);
	}
	err = nlt_join_events(&t);
	if (err != -EPERM) {
		printf("# child: joining the events group: %s\n",
		       errname(err));
		fails++;
	}
	shown = 0;
	for (long n = 0; n < total; n++) {
		uint8_t *b = msgbuf[0];
		const struct nlmsghdr *nlh = (const void *)b;
		struct outcome o;
		int sendlen, kind;

		gen_one(b, t.family, &sendlen, &kind);
		if (exchange(&t, b, sendlen, nlh->nlmsg_seq, 1, &o,
			     needs_sentinel(b, sendlen)))
			_exit(100);
		if (judge(b, sendlen, &o, false, n))
			fails++;
		if (o.err)
			refused++;
		if (o.ndata && (nlh->nlmsg_flags & NLM_F_REQUEST)) {
			report("unprivileged data", n, b, sendlen,
			       "%d replies", o.ndata);
			fails++;
		}
	}
	printf("# child: %ld requests, %ld refused (%ld EPERM, %ld EOPNOTSUPP, %ld EINVAL), %ld failures\n",
	       total, refused, st.errno_count[EPERM],
	       st.errno_count[EOPNOTSUPP], st.errno_count[EINVAL], fails);
	fflush(stdout);
	nlt_close(&t);
	_exit(fails > 99 ? 99 : (int)fails);
}

static int drop_to_nobody(void)
{
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) || setgroups(0, NULL) ||
	    setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return -errno;
	return 0;
}

/* Runs fuzz_unprivileged() in a child after how(); its exit status. */
static int run_child(int (*how)(void), long total, uint64_t seed)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int err = how();

		if (err) {
			/* 98: the caller could not be made (a skip for a userns) */
			printf("# child: Unable to drop privileges: %s\n",
			       strerror(-err));
			_exit(98);
		}
		memset(&st, 0, sizeof(st));
		rng_state = seed;
		fuzz_unprivileged(total);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int own_user_ns(void)
{
	return unshare(CLONE_NEWUSER) ? -errno : 0;
}

/*
 * A privileged caller among others changing the same table: its model is
 * stale at once, so only what holds whatever the others do is judged: the
 * answers well-formed, every rejection the family makes with a message.
 * Exits with the count of failures.
 */
static void fuzz_concurrent(long total)
{
	long fails = 0;
	struct nlt t;
	int err;

	err = nlt_open(&t);
	if (err) {
		printf("# caller: Unable to open a socket: %s\n", strerror(-err));
		_exit(1);
	}
	shown = 0;
	for (long n = 0; n < total; n++) {
		uint8_t *b = msgbuf[0];
		const struct nlmsghdr *nlh = (const void *)b;
		struct outcome o;
		struct pred p;
		int sendlen, kind;

		gen_one(b, t.family, &sendlen, &kind);
		if (exchange(&t, b, sendlen, nlh->nlmsg_seq, 1, &o,
			     needs_sentinel(b, sendlen)))
			_exit(100);
		predict(&p, b, sendlen, true);
		if (o.bad[0] && !strstr(o.bad, "reply")) {
			report("malformed answer", n, b, sendlen, "%s", o.bad);
			fails++;
		}
		if (p.silent && (o.acks || o.dones || o.ndata)) {
			report("answered", n, b, sendlen, "a dropped request");
			fails++;
		}
		if (o.err && p.extack && !o.has_extack) {
			report("no extack", n, b, sendlen, "%s (%s)",
			       errname(o.err), p.why);
			fails++;
		}
		/* the model is stale: learn the table from time to time */
		if (n % 200 == 0 && !dump_table(&t, &o))
			resync();
	}
	nlt_close(&t);
	_exit(fails > 99 ? 99 : (int)fails);
}

/* Two devices of the dump sharing an index, a cookie or an identity. */
static bool dump_twice(int *a, int *b)
{
	for (int i = 0; i < ndumped; i++)
		for (int j = 0; j < i; j++)
			if (dumped[j].d.index == dumped[i].d.index ||
			    dumped[j].d.cookie == dumped[i].d.cookie ||
			    same_key(&dumped[j].d.key, &dumped[i].d.key)) {
				*a = j;
				*b = i;
				return true;
			}
	return false;
}

/* Children fuzz the table at once while the parent dumps it. */
static bool run_concurrent(struct nlt *t, int callers, long each,
			   uint64_t seed, long *dumps, long *intr, long *twice,
			   long *halfmade, long *bad)
{
	pid_t pids[8];
	int running = 0, failed = 0;

	fflush(stdout);
	for (int i = 0; i < callers; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return false;
		if (pids[i] == 0) {
			rng_state = seed + i;
			fuzz_concurrent(each);
		}
		running++;
	}
	while (running) {
		struct outcome o;
		int status, a, b;

		for (int i = 0; i < callers; i++) {
			if (!pids[i] || waitpid(pids[i], &status, WNOHANG) <= 0)
				continue;
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				printf("# caller %d: status %#x\n", i, status);
				failed++;
			}
			pids[i] = 0;
			running--;
		}
		if (!running)
			break;
		/*
		 * A dump among the changes: whole, and no device twice unless
		 * it says it was interrupted (a device deleted behind the
		 * walk may come back ahead of it).
		 */
		if (dump_table(t, &o)) {
			(*bad)++;
			continue;
		}
		(*dumps)++;
		/* never, interrupted or not: a cookie is never 0 */
		for (int i = 0; i < ndumped; i++)
			if (!dumped[i].d.cookie && !(*halfmade)++)
				printf("# dump of %d: %s at %d, index %u, cookie 0\n",
				       ndumped, key_str(&dumped[i].d.key), i,
				       dumped[i].d.index);
		if (dump_intr) {
			(*intr)++;
			continue;
		}
		if (dump_twice(&a, &b) && !(*twice)++)
			printf("# dump of %d: %d and %d: index %u/%u cookie %u/%u %s/%s\n",
			       ndumped, a, b, dumped[a].d.index,
			       dumped[b].d.index, dumped[a].d.cookie,
			       dumped[b].d.cookie, key_str(&dumped[a].d.key),
			       key_str(&dumped[b].d.key));
	}
	return !failed;
}

/* ------------------------------------------------------------ memory */

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static long meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) &&
		    line[strlen(key)] == ':')
			v = atol(line + strlen(key) + 1);
	fclose(f);
	return v;
}

struct memfig {
	long dev_objs;		/* the device cache's objects in use */
	long slab_kb, sunreclaim_kb, avail_kb;
};

#define DEV_SLAB "/sys/kernel/slab/iotguard_device"

/*
 * SLUB counts the free objects of the per-CPU slabs as in use: shrinking
 * the cache first hands them back, so that "objects" counts the devices
 * allocated (and not yet freed after their grace period).
 */
static void mem_read(struct memfig *m)
{
	FILE *f = fopen(DEV_SLAB "/shrink", "w");

	if (f) {
		fputs("1", f);
		fclose(f);
	}
	m->dev_objs = read_long(DEV_SLAB "/objects");
	m->slab_kb = meminfo("Slab");
	m->sunreclaim_kb = meminfo("SUnreclaim");
	m->avail_kb = meminfo("MemAvailable");
}

#define KMEMLEAK "/sys/kernel/debug/kmemleak"

static bool kmemleak_write(const char *what)
{
	FILE *f = fopen(KMEMLEAK, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs(what, f) >= 0;
	return !fclose(f) && ok;
}

/* -1: no kmemleak; else the reports naming iotguard, all printed. */
static int kmemleak_check(void)
{
	char line[256];
	int reports = 0, ours = 0;
	bool in_ours = false;
	FILE *f;

	if (access(KMEMLEAK, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (access(KMEMLEAK, F_OK))
		return -1;
	/* an object must stay unreferenced over two scans to count */
	if (!kmemleak_write("scan") || !kmemleak_write("scan"))
		return -1;
	f = fopen(KMEMLEAK, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "unreferenced object", 19)) {
			reports++;
			if (in_ours)
				ours++;
			in_ours = false;
		}
		if (strstr(line, "iotguard"))
			in_ours = true;
		printf("# kmemleak: %s", line);
	}
	if (in_ours)
		ours++;
	fclose(f);
	printf("# kmemleak: %d reports, %d naming iotguard\n", reports, ours);
	return ours;
}

/* ------------------------------------------------------------ main */

static int tap_num;

static void tap(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++tap_num);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Deletes every device the table has; 0 when it is empty after. */
static int delete_all(struct nlt *t)
{
	struct outcome o;

	if (checkpoint(t, "before deleting everything", -1))
		return -1;
	while (model.n) {
		uint8_t buf[256];
		struct nlmsghdr *nlh = req(buf, IOTGUARD_CMD_DEVICE_DEL,
					   NLM_F_ACK, t->family);
		struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

		g->version = IOTGUARD_GENL_VERSION;
		put_key(nlh, &model.dev[0].key);
		if (exchange(t, buf, nlh->nlmsg_len, nlh->nlmsg_seq, 1, &o,
			     false) || o.err) {
			printf("# Unable to delete %s: %s\n",
			       key_str(&model.dev[0].key), errname(o.err));
			return -1;
		}
		model_del(&model, &model.dev[0]);
	}
	return checkpoint(t, "after deleting everything", -1) ? -1 : 0;
}

/* The privileged phase's figures and verdicts. */
static void report_privileged(long total, double secs)
{
	printf("# %ld requests in %ld datagrams, %.1f s: %.0f requests/s\n",
	       st.msgs, st.datagrams, secs, st.msgs / (secs > 0 ? secs : 1));
	printf("# kinds: %ld valid, %ld mutated, %ld random, %ld lists, %ld in bursts\n",
	       st.by_gen[0], st.by_gen[1], st.by_gen[2], st.by_gen[3],
	       st.by_gen[4]);
	printf("# answers: %ld successes, %ld rejections, %ld dropped unanswered; %ld dumps\n",
	       st.ok, st.rejected, st.silent, st.dumps);
	printf("# errors:");
	for (int e = 1; e < 134; e++)
		if (st.errno_count[e])
			printf(" %s %ld,", strerror(e), st.errno_count[e]);
	printf("\n# events: %ld, %ld malformed, %ld overruns\n", st.events,
	       st.bad_events, st.overruns);
	tap(st.msgs >= total && !st.mismatches && !st.malformed,
	    "privileged: %ld requests answered as predicted, well-formed (%ld mismatches, %ld malformed)",
	    st.msgs, st.mismatches, st.malformed);
	printf("# rejections without a message: %ld by the generic netlink core (no such op, or no genl header), %ld by the family\n",
	       st.core_no_msg, st.no_extack);
	tap(!st.no_extack && st.rejected > 0,
	    "privileged: every rejection carries an extack message (%ld of %ld without)",
	    st.no_extack, st.rejected);
	tap(!st.table_diffs && st.checkpoints > total / CHECK_EVERY,
	    "the table equals the model at %ld checkpoints (%ld differences)",
	    st.checkpoints, st.table_diffs);
	tap(!st.bad_events && st.events > 0 && !ev_wrong && !st.overruns,
	    "%ld events, well-formed, one per acknowledged change, in order (%ld wrong, %ld overruns)",
	    st.events, ev_wrong, st.overruns);
}

/* Each device of the model, asked for alone: the differences. */
static int get_each(struct nlt *t)
{
	int diffs = 0;

	for (int i = 0; i < model.n; i++) {
		uint8_t buf[256];
		struct nlmsghdr *nlh = req(buf, IOTGUARD_CMD_DEVICE_GET,
					   NLM_F_ACK, t->family);
		struct outcome o;

		put_key(nlh, &model.dev[i].key);
		if (exchange(t, buf, nlh->nlmsg_len, nlh->nlmsg_seq, 1, &o,
			     false) || o.err || o.ndata != 1 || o.bad[0] ||
		    dev_diff(&model.dev[i], &o.data)[0]) {
			printf("# GET %s: %s %s\n", key_str(&model.dev[i].key),
			       errname(o.err), o.bad);
			diffs++;
		}
	}
	return diffs;
}

/* Three callers at once: the table stays coherent. */
static int phase_concurrent(struct nlt *t, long total, uint64_t seed)
{
	long dumps = 0, intr = 0, twice = 0, halfmade = 0, bad = 0;
	long each = total / 20 + 500;
	bool ok = run_concurrent(t, 3, each, seed ^ 3, &dumps, &intr, &twice,
				 &halfmade, &bad);
	int diffs;

	/* learn the table, then ask for each device alone */
	if (dump_table(t, &(struct outcome){ 0 }))
		return -1;
	resync();
	diffs = get_each(t);
	printf("# 3 callers x %ld requests; %ld dumps among them (%ld interrupted), %ld with a device twice, %ld with a cookie 0, %ld failed; %d devices after\n",
	       each, dumps, intr, twice, halfmade, bad, model.n);
	tap(ok && !twice && !halfmade && !bad && !diffs && dumps > 0,
	    "3 callers at once: answers well-formed, rejections with extack, %ld dumps coherent, each device's GET as the dump (%d differences)",
	    dumps, diffs);
	return 0;
}

/* Callers without CAP_NET_ADMIN: refused, the table unchanged. */
static int phase_unprivileged(struct nlt *t, long total, uint64_t seed)
{
	long unpriv = total / 10 < 2000 ? 2000 : total / 10;
	int rc, err;

	if (checkpoint(t, "before the unprivileged callers", -1) < 0)
		return -1;
	rc = run_child(drop_to_nobody, unpriv, seed ^ 1);
	err = checkpoint(t, "after uid 65534", -1);
	tap(rc == 0 && err == 0,
	    "uid 65534: %ld requests refused, the table unchanged (child %d, %d differences)",
	    unpriv, rc, err);
	rc = run_child(own_user_ns, unpriv, seed ^ 2);
	err = checkpoint(t, "after a user namespace", -1);
	if (rc == 98 && !err) {
		printf("ok %d # SKIP root of its own user namespace: the kernel gives none\n",
		       ++tap_num);
		return 0;
	}
	tap(rc == 0 && err == 0,
	    "root of its own user namespace: %ld requests refused, the table unchanged (child %d, %d differences)",
	    unpriv, rc, err);
	return 0;
}

/* Everything deleted, its grace period past: the memory as before. */
static void phase_memory(struct nlt *t, const struct memfig *before)
{
	struct memfig during, after;
	long aliases;
	int err, leaks;

	mem_read(&during);
	printf("# %d devices enrolled: iotguard_device objects %ld\n", model.n,
	       during.dev_objs);
	err = delete_all(t);
	for (int i = 0; i < 50; i++) {
		mem_read(&after);
		if (after.dev_objs <= before->dev_objs)
			break;
		usleep(100000);
	}
	printf("# memory before / after: iotguard_device objects %ld / %ld, Slab %ld / %ld kB, SUnreclaim %ld / %ld kB, MemAvailable %ld / %ld kB\n",
	       before->dev_objs, after.dev_objs, before->slab_kb, after.slab_kb,
	       before->sunreclaim_kb, after.sunreclaim_kb, before->avail_kb,
	       after.avail_kb);
	/* other caches merged into the device cache count too */
	aliases = read_long(DEV_SLAB "/aliases");
	leaks = kmemleak_check();
	tap(!err && leaks <= 0 &&
	    (aliases != 0 || after.dev_objs <= before->dev_objs),
	    "everything deleted: device objects %ld -> %ld%s, kmemleak %s",
	    before->dev_objs, after.dev_objs,
	    aliases != 0 ? " (a cache shared with others: a figure)" : "",
	    leaks < 0 ? "absent" : leaks ? "reports iotguard" : "clean");
}

/* The sockets, and the table's limit; an empty table. 0 or -1. */
static int setup(struct nlt *t, struct nlt *ev)
{
	long limit, netns_limit;
	int err;

	err = nlt_open(t);
	if (!err)
		err = nlt_open(ev);
	if (!err)
		err = nlt_join_events(ev);
	if (err) {
		printf("Bail out! Unable to open the iotguard family: %s\n",
		       strerror(-err));
		return -1;
	}
	limit = read_long("/sys/module/iotguard/parameters/max_devices");
	netns_limit = read_long("/sys/module/iotguard/parameters/netns_max_devices");
	if (netns_limit >= 0 && netns_limit < limit)
		limit = netns_limit;
	if (limit <= 0 || limit > MAX_MODEL) {
		printf("Bail out! a table limit of %ld devices: run with max_devices=64\n",
		       limit);
		return -1;
	}
	model.limit = (unsigned int)limit;
	printf("# table limit %ld devices, %d identities\n", limit, NPOOL);

	/* start from an empty table, as the model does */
	if (dump_table(t, &(struct outcome){ 0 }))
		return -1;
	resync();
	if (delete_all(t)) {
		printf("Bail out! Unable to empty the table\n");
		return -1;
	}
	return 0;
}

int main(void)
{
	long total = env_u64("IOTGUARD_NLFUZZ_MSGS", 20000);
	uint64_t seed = env_u64("IOTGUARD_NLFUZZ_SEED", 0x10760a2d5eedULL);
	struct memfig before;
	struct nlt t, ev;
	double t0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..8\n");
	printf("# seed %#" PRIx64 " (IOTGUARD_NLFUZZ_SEED), %ld requests (IOTGUARD_NLFUZZ_MSGS)\n",
	       seed, total);
	rng_state = seed;
	make_pool();
	if (setup(&t, &ev))
		return 1;
	kmemleak_write("clear");
	mem_read(&before);

	t0 = now_s();
	fuzz_privileged(&t, &ev, total);
	drain_events(&ev);
	report_privileged(total, now_s() - t0);
	if (phase_concurrent(&t, total, seed) ||
	    phase_unprivileged(&t, total, seed))
		return 1;
	phase_memory(&t, &before);
	nlt_close(&ev);
	nlt_close(&t);
	return 0;
}
