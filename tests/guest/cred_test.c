// SPDX-License-Identifier: GPL-2.0
/*
 * Device credentials at the edge (Documentation/protocol.rst): datagrams
 * that libiotguard-device protects, run through the XDP program with
 * BPF_PROG_TEST_RUN. A legitimate datagram passes as the bytes the device
 * meant (trailer cut, lengths and checksum fixed, a sealed body opened);
 * every forgery, replay, expired or revoked one is dropped and counted
 * under its own reason, per device and globally. The key set over netlink
 * never comes back.
 *
 * Runs as root in the test VM with iotguard.ko loaded. Addresses come from
 * 198.18.0.0/15 and 2001:2::/48 only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <iotguard/kfunc.h>
#include <iotguard/maps.h>

#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#include "nltest.h"
#include "frames.h"
#include "iotguard.skel.h"
#include "iotguard_device.h"
#include "crypto.h"
#include "reset_maps.h"
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#define TRAILER IOTGUARD_WIRE_TRAILER_LEN

static const uint8_t mac_dev[6] = { 0x02, 0x10, 0, 0, 0x01, 0x0a };
static const uint8_t dst4[4] = { 198, 19, 0, 1 };
static const uint8_t dst6[16] = { 0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0,
				  0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t body[] = "{\"lamp\":7,\"lux\":312}";

FIXTURE(cred)
{
	struct nlt nl;
	struct iotguard *skel;
	int prog_fd;
	struct nlt_dev dev;
	uint8_t root[IOTGUARD_WIRE_KEY_LEN];
	struct iotguard_dev sender;	/* the device's side */
};

/* The test's map reads and the program, without pins. */
static struct iotguard *load_prog(void)
{
	struct iotguard *skel = iotguard__open();
	struct bpf_map *map;

	if (!skel)
		return NULL;
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	if (iotguard__load(skel)) {
		iotguard__destroy(skel);
		return NULL;
	}
	return skel;
}

/*
 * Loaded once before the cases fork, its maps emptied for each
 * (reset_maps): a load is slow under a debug kernel.
 */
static struct iotguard *loaded;

static void __attribute__((constructor)) load_once(void)
{
	if (!access("/sys/module/iotguard", F_OK))
		loaded = load_prog();
}

FIXTURE_SETUP(cred)
{
	int err = nlt_open(&self->nl), i;

	ASSERT_EQ(0, err) TH_LOG("open: %s (is iotguard.ko loaded?)",
				 strerror(-err));
	ASSERT_EQ(0, nlt_flush(&self->nl));
	/* The child's copy: its destroy leaves the parent's. */
	self->skel = loaded;
	ASSERT_NE(NULL, self->skel)
		TH_LOG("cannot load the program: no kfunc in the module's BTF?");
	ASSERT_EQ(0, reset_maps(self->skel->obj));
	self->prog_fd = bpf_program__fd(self->skel->progs.iotguard_xdp);
	for (i = 0; i < IOTGUARD_WIRE_KEY_LEN; i++)
		self->root[i] = 0x40 + i;
}

FIXTURE_TEARDOWN(cred)
{
	iotguard__destroy(self->skel);
	if (self->nl.sock)
		nlt_flush(&self->nl);
	nlt_close(&self->nl);
}

/*
 * Enrolls d (or changes it: cmd) with a credential: mode, key (NULL: none
 * given), expires (0: never). Returns the ACK's error.
 */
static int set_cred(struct nlt *nl, uint8_t cmd, const struct nlt_dev *d,
		    int mode, const uint8_t *key, uint64_t expires)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlt_req(nl, buf, cmd, 0);

	nlt_put_dev(nlh, d);
	if (mode >= 0)
		mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_CRED_MODE, mode);
	if (key)
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_CRED_KEY,
			     IOTGUARD_WIRE_KEY_LEN, key);
	if (expires)
		mnl_attr_put_u64(nlh, IOTGUARD_A_DEVICE_CRED_EXPIRES, expires);
	return nlt_do(nl, nlh, NULL);
}

static int revoke_dev(struct nlt *nl, const struct nlt_dev *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlt_req(nl, buf, IOTGUARD_CMD_DEVICE_REVOKE, 0);

	nlt_put_id(nlh, d);
	return nlt_do(nl, nlh, NULL);
}

/* What a GET of d shows of its credential. */
struct cred_view {
	int found;
	int mode;			/* -1: absent */
	int64_t key_id;			/* -1: absent */
	int64_t epoch;			/* -1: absent */
	int revoked;
	int key_attr;			/* IOTGUARD_A_DEVICE_CRED_KEY seen */
	int key_bytes;			/* the key's bytes anywhere in it */
	uint32_t index, cookie;
};

static int view_cb(const struct nlmsghdr *nlh, void *data)
{
	struct cred_view *v = data;
	const struct nlattr *a;

	v->found = 1;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case IOTGUARD_A_DEVICE_CRED_MODE:
			v->mode = mnl_attr_get_u8(a);
			break;
		case IOTGUARD_A_DEVICE_CRED_KEY_ID:
			v->key_id = mnl_attr_get_u32(a);
			break;
		case IOTGUARD_A_DEVICE_CRED_EPOCH:
			v->epoch = mnl_attr_get_u32(a);
			break;
		case IOTGUARD_A_DEVICE_CRED_REVOKED:
			v->revoked = 1;
			break;
		case IOTGUARD_A_DEVICE_CRED_KEY:
			v->key_attr = 1;
			break;
		case IOTGUARD_A_DEVICE_INDEX:
			v->index = mnl_attr_get_u32(a);
			break;
		case IOTGUARD_A_DEVICE_COOKIE:
			v->cookie = mnl_attr_get_u32(a);
			break;
		}
	}
	return MNL_CB_OK;
}

static int get_view(struct nlt *nl, const struct nlt_dev *d,
		    const uint8_t *key, struct cred_view *v)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlt_req(nl, buf, IOTGUARD_CMD_DEVICE_GET, 0);
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	int n, ret = 0;

	memset(v, 0, sizeof(*v));
	v->mode = v->key_id = v->epoch = -1;
	nlt_put_id(nlh, d);
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while ((n = mnl_socket_recvfrom(nl->sock, rbuf, sizeof(rbuf))) > 0) {
		if (key && memmem(rbuf, n, key, IOTGUARD_WIRE_KEY_LEN))
			v->key_bytes = 1;
		ret = mnl_cb_run(rbuf, n, nlh->nlmsg_seq, nl->portid, view_cb,
				 v);
		if (ret <= MNL_CB_STOP)
			break;
	}
	return ret < 0 ? -errno : 0;
}

/* The ones' complement sum of n bytes at p, folded, added to sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The UDP checksum of f's datagram, with the pseudo-header. */
static uint16_t udp_csum(const struct frame *f)
{
	const uint8_t *ip = f->buf + f->l3_off, *udp = f->buf + f->l4_off;
	size_t ulen = fr_get16(udp + 4);
	uint8_t pseudo[4] = { 0, 17, ulen >> 8, ulen };
	uint32_t sum;

	if (f->family == AF_INET)
		sum = csum_add(0, ip + 12, 8);
	else
		sum = csum_add(0, ip + 8, 32);
	sum = csum_add(sum, pseudo, 4);
	sum = csum_add(sum, udp, ulen);
	return (uint16_t)~sum;
}

static void set_udp_csum(struct frame *f)
{
	uint8_t *udp = f->buf + f->l4_off;
	uint16_t c;

	fr_put16(udp + 6, 0);
	c = udp_csum(f);
	fr_put16(udp + 6, c ? c : 0xffff);
}

/* The IPv4 header checksum, set. */
static void set_ip_csum(struct frame *f)
{
	uint8_t *ip = f->buf + f->l3_off;

	if (f->family != AF_INET)
		return;
	fr_put16(ip + 10, 0);
	fr_put16(ip + 10, (uint16_t)~csum_add(0, ip, (ip[0] & 0xf) * 4));
}

static void flow_of(const struct nlt_dev *d, struct iotguard_dev_flow *flow)
{
	memset(flow, 0, sizeof(*flow));
	flow->family = d->af == AF_INET ? 4 : 6;
	flow->sport = 40000;
	flow->dport = 5683;
	memcpy(flow->saddr, d->addr, d->af == AF_INET ? 4 : 16);
	memcpy(flow->daddr, d->af == AF_INET ? dst4 : dst6,
	       d->af == AF_INET ? 4 : 16);
}

/* The headers of a UDP datagram from d with room for len payload bytes. */
static uint8_t *frame_head(struct frame *f, const struct nlt_dev *d,
			   size_t len)
{
	fr_eth(f, mac_dev);
	if (d->af == AF_INET)
		fr_ipv4(f, d->addr, dst4, 0);
	else
		fr_ipv6(f, d->addr, dst6);
	fr_udp(f, len);
	fr_finish(f);
	return f->buf + f->l4_off + 8;
}

/* The datagram the device means: body in the clear, checksums right. */
static void plain_frame(struct frame *f, const struct nlt_dev *d)
{
	memcpy(frame_head(f, d, sizeof(body)), body, sizeof(body));
	set_ip_csum(f);
	set_udp_csum(f);
}

/* The same, protected by the device's side (advancing its counter). */
static int protected_frame(struct frame *f, const struct nlt_dev *d,
			   struct iotguard_dev *sender)
{
	struct iotguard_dev_flow flow;
	uint8_t payload[sizeof(body) + TRAILER];
	size_t out;
	int err;

	flow_of(d, &flow);
	memcpy(payload, body, sizeof(body));
	err = iotguard_dev_protect(sender, &flow, payload, sizeof(body),
				   sizeof(payload), &out);
	if (err)
		return err;
	memcpy(frame_head(f, d, out), payload, out);
	set_ip_csum(f);
	set_udp_csum(f);
	return 0;
}

/* Runs f; *action the verdict, out (if not NULL) the frame after. */
static int run(int prog_fd, const struct frame *f, uint32_t *action,
	       struct frame *out)
{
	static struct frame scratch_out;
	struct frame *o = out ? out : &scratch_out;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = f->buf,
		.data_size_in = f->len,
		.data_out = o->buf,
		.data_size_out = sizeof(o->buf),
		.repeat = 1,
	);
	int err;

	err = bpf_prog_test_run_opts(prog_fd, &opts);
	*action = opts.retval;
	/* Same headers, where they were. */
	o->l3_off = f->l3_off;
	o->l4_off = f->l4_off;
	o->family = f->family;
	o->len = opts.data_size_out;
	return err;
}

static int read_global(struct iotguard *skel, uint32_t reason,
		       uint64_t *packets)
{
	int ncpus = libbpf_num_possible_cpus();
	struct iotguard_counter vals[ncpus];
	int cpu, err;

	err = bpf_map__lookup_elem(skel->maps.iotguard_global, &reason,
				   sizeof(reason), vals, sizeof(vals), 0);
	if (err)
		return err;
	*packets = 0;
	for (cpu = 0; cpu < ncpus; cpu++)
		*packets += vals[cpu].packets;
	return 0;
}

static int read_dev(struct iotguard *skel, uint32_t index, uint32_t cookie,
		    struct iotguard_dev_stats *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	struct iotguard_dev_stats vals[ncpus];
	int cpu, err;

	memset(sum, 0, sizeof(*sum));
	err = bpf_map__lookup_elem(skel->maps.iotguard_devstats, &index,
				   sizeof(index), vals, sizeof(vals), 0);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	for (cpu = 0; cpu < ncpus; cpu++) {
		const struct iotguard_dev_stats *s = &vals[cpu];

		if (s->cookie != cookie)
			continue;
		sum->pass.packets += s->pass.packets;
		sum->rate.packets += s->rate.packets;
		sum->bad_tag.packets += s->bad_tag.packets;
		sum->replay.packets += s->replay.packets;
		sum->expired.packets += s->expired.packets;
		sum->revoked.packets += s->revoked.packets;
	}
	return 0;
}

/* Enrolls the fixture's device from af with a credential of mode. */
static void enroll(struct __test_metadata *_metadata,
		   FIXTURE_DATA(cred) *self, int af, int mode)
{
	if (af == AF_INET)
		nlt_dev4(&self->dev, 0x10a);	/* 198.18.1.10 */
	else
		nlt_dev6(&self->dev, 0x10a);
	memcpy(self->dev.mac, mac_dev, 6);
	NLT_SET(&self->dev, IOTGUARD_A_DEVICE_MAC);
	ASSERT_EQ(0, set_cred(&self->nl, IOTGUARD_CMD_DEVICE_NEW, &self->dev,
			      mode, self->root, 0))
		TH_LOG("enroll: %s", self->nl.extack);
	ASSERT_EQ(0, iotguard_dev_init(&self->sender, self->root, mode, 0, 0));
}

static void dev_ids(struct __test_metadata *_metadata,
		    FIXTURE_DATA(cred) *self, uint32_t *index,
		    uint32_t *cookie)
{
	struct cred_view v;

	ASSERT_EQ(0, get_view(&self->nl, &self->dev, NULL, &v));
	ASSERT_TRUE(v.found);
	*index = v.index;
	*cookie = v.cookie;
}

/* Runs f and expects action, and one more frame under reason. */
static void expect(struct __test_metadata *_metadata,
		   FIXTURE_DATA(cred) *self, const struct frame *f,
		   uint32_t action, uint32_t reason, const char *what)
{
	uint64_t before, after;
	uint32_t got;

	ASSERT_EQ(0, read_global(self->skel, reason, &before));
	ASSERT_EQ(0, run(self->prog_fd, f, &got, NULL));
	ASSERT_EQ(0, read_global(self->skel, reason, &after));
	EXPECT_EQ(action, got) TH_LOG("%s: verdict %u", what, got);
	EXPECT_EQ(before + 1, after) TH_LOG("%s: not counted under reason %u",
					    what, reason);
}

/* A legitimate datagram arrives as the bytes the device meant. */
static void passes_as_meant(struct __test_metadata *_metadata,
			    FIXTURE_DATA(cred) *self)
{
	struct frame in, out, want;
	struct iotguard_dev_stats st;
	uint32_t action, index, cookie;

	ASSERT_EQ(0, protected_frame(&in, &self->dev, &self->sender));
	plain_frame(&want, &self->dev);
	ASSERT_EQ(want.len + TRAILER, in.len);
	ASSERT_EQ(0, run(self->prog_fd, &in, &action, &out));
	ASSERT_EQ(XDP_PASS, action);
	ASSERT_EQ(want.len, out.len);
	EXPECT_EQ(0, memcmp(want.buf, out.buf, want.len))
		TH_LOG("the backend would not get the device's bytes");
	EXPECT_EQ(0, udp_csum(&out)) TH_LOG("UDP checksum wrong after the cut");

	dev_ids(_metadata, self, &index, &cookie);
	ASSERT_EQ(0, read_dev(self->skel, index, cookie, &st));
	EXPECT_EQ(1, st.pass.packets);
}

TEST_F(cred, auth_ipv4_passes_the_devices_bytes)
{
	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_AUTH);
	passes_as_meant(_metadata, self);
}

TEST_F(cred, auth_ipv6_passes_the_devices_bytes)
{
	enroll(_metadata, self, AF_INET6, IOTGUARD_CRED_AUTH);
	passes_as_meant(_metadata, self);
}

TEST_F(cred, seal_ipv4_opened_at_the_edge)
{
	struct frame in;

	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_SEAL);
	/* On the device segment the body is not in the clear. */
	ASSERT_EQ(0, protected_frame(&in, &self->dev, &self->sender));
	EXPECT_EQ(NULL, memmem(in.buf, in.len, body, sizeof(body) - 1));
	passes_as_meant(_metadata, self);
}

TEST_F(cred, seal_ipv6_opened_at_the_edge)
{
	enroll(_metadata, self, AF_INET6, IOTGUARD_CRED_SEAL);
	passes_as_meant(_metadata, self);
}

/* An IPv4 datagram sent without a UDP checksum keeps none. */
TEST_F(cred, ipv4_without_checksum_keeps_none)
{
	struct frame in, out;
	uint32_t action;

	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_AUTH);
	ASSERT_EQ(0, protected_frame(&in, &self->dev, &self->sender));
	fr_put16(in.buf + in.l4_off + 6, 0);
	ASSERT_EQ(0, run(self->prog_fd, &in, &action, &out));
	ASSERT_EQ(XDP_PASS, action);
	EXPECT_EQ(0, fr_get16(out.buf + out.l4_off + 6));
	EXPECT_EQ(in.len - TRAILER, out.len);
}

TEST_F(cred, forged_tag_dropped)
{
	struct frame f;

	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_AUTH);
	ASSERT_EQ(0, protected_frame(&f, &self->dev, &self->sender));
	f.buf[f.len - 1] ^= 0x01;
	expect(_metadata, self, &f, XDP_DROP, IOTGUARD_R_BAD_TAG, "forged tag");
}

TEST_F(cred, modified_payload_dropped)
{
	struct frame f;

	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_SEAL);
	ASSERT_EQ(0, protected_frame(&f, &self->dev, &self->sender));
	f.buf[f.l4_off + 8 + 3] ^= 0x20;
	expect(_metadata, self, &f, XDP_DROP, IOTGUARD_R_BAD_TAG,
	       "modified body");
}

/* The tag covers the addresses: a copy to another backend is refused. */
TEST_F(cred, redirected_copy_dropped)
{
	struct frame f;

	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_AUTH);
	ASSERT_EQ(0, protected_frame(&f, &self->dev, &self->sender));
	f.buf[f.l3_off + 19] ^= 0x02;		/* destination address */
	set_ip_csum(&f);
	set_udp_csum(&f);
	expect(_metadata, self, &f, XDP_DROP, IOTGUARD_R_BAD_TAG,
	       "another destination");
}

TEST_F(cred, truncated_authenticator_dropped)
{
	struct frame f;

	enroll(_metadata, self, AF_INET6, IOTGUARD_CRED_AUTH);
	ASSERT_EQ(0, protected_frame(&f, &self->dev, &self->sender));
	f.len -= 10;
	fr_put16(f.buf + f.l4_off + 4, f.len - f.l4_off);
	fr_finish(&f);
	expect(_metadata, self, &f, XDP_DROP, IOTGUARD_R_BAD_TAG,
	       "trailer cut short");
}

TEST_F(cred, wrong_devices_key_dropped)
{
	uint8_t other[IOTGUARD_WIRE_KEY_LEN];
	struct iotguard_dev thief;
	struct frame f;

	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_AUTH);
	memset(other, 0x5a, sizeof(other));
	ASSERT_EQ(0, iotguard_dev_init(&thief, other, IOTGUARD_CRED_AUTH, 0,
				       0));
	ASSERT_EQ(0, protected_frame(&f, &self->dev, &thief));
	expect(_metadata, self, &f, XDP_DROP, IOTGUARD_R_BAD_TAG,
	       "another device's key");
}

/* Downgrade: an auth trailer from a seal device, or none at all. */
TEST_F(cred, other_mode_or_no_trailer_dropped)
{
	struct iotguard_dev as_auth;
	struct frame f;

	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_SEAL);
	ASSERT_EQ(0, iotguard_dev_init(&as_auth, self->root,
				       IOTGUARD_CRED_AUTH, 0, 0));
	ASSERT_EQ(0, protected_frame(&f, &self->dev, &as_auth));
	expect(_metadata, self, &f, XDP_DROP, IOTGUARD_R_BAD_TAG,
	       "auth trailer, seal device");
	plain_frame(&f, &self->dev);
	expect(_metadata, self, &f, XDP_DROP, IOTGUARD_R_BAD_TAG,
	       "no trailer");
	fr_eth(&f, mac_dev);
	fr_ipv4(&f, self->dev.addr, dst4, 0);
	fr_tcp(&f, 0);
	fr_finish(&f);
	expect(_metadata, self, &f, XDP_DROP, IOTGUARD_R_BAD_TAG, "TCP");
}

TEST_F(cred, replayed_counter_dropped)
{
	struct frame f;
	uint32_t action;

	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_AUTH);
	ASSERT_EQ(0, protected_frame(&f, &self->dev, &self->sender));
	ASSERT_EQ(0, run(self->prog_fd, &f, &action, NULL));
	ASSERT_EQ(XDP_PASS, action);
	expect(_metadata, self, &f, XDP_DROP, IOTGUARD_R_REPLAY, "replay");
}

/* Datagrams overtaking each other pass, each once. */
TEST_F(cred, reordered_within_window_pass_once)
{
	static const uint64_t order[] = { 5, 3, 9, 0, 1000, 8, 4 };
	static struct frame f[1001];	/* 2 MB: not on the stack */
	uint32_t action;
	unsigned int i;

	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_AUTH);
	for (i = 0; i <= 1000; i++)
		ASSERT_EQ(0, protected_frame(&f[i], &self->dev,
					     &self->sender));
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		ASSERT_EQ(0, run(self->prog_fd, &f[order[i]], &action, NULL));
		EXPECT_EQ(XDP_PASS, action) TH_LOG("counter %llu",
			(unsigned long long)order[i]);
	}
	expect(_metadata, self, &f[3], XDP_DROP, IOTGUARD_R_REPLAY,
	       "counter 3 again");
	expect(_metadata, self, &f[1000], XDP_DROP, IOTGUARD_R_REPLAY,
	       "counter 1000 again");
	/* Not seen, 999 below the highest: in the window still. */
	expect(_metadata, self, &f[1], XDP_PASS, IOTGUARD_R_PASS,
	       "counter 1 late");
}

/* Older than the window: refused even if never seen. */
TEST_F(cred, beyond_window_dropped)
{
	struct frame late, edge, top;
	uint32_t action;

	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_AUTH);
	ASSERT_EQ(0, protected_frame(&late, &self->dev, &self->sender));
	self->sender.counter = 100;
	ASSERT_EQ(0, protected_frame(&edge, &self->dev, &self->sender));
	self->sender.counter = 5000;
	ASSERT_EQ(0, protected_frame(&top, &self->dev, &self->sender));
	ASSERT_EQ(0, run(self->prog_fd, &top, &action, NULL));
	ASSERT_EQ(XDP_PASS, action);
	expect(_metadata, self, &late, XDP_DROP, IOTGUARD_R_REPLAY,
	       "counter 0 after 5000");
	expect(_metadata, self, &edge, XDP_DROP, IOTGUARD_R_REPLAY,
	       "counter 100 after 5000");
}

TEST_F(cred, expired_credential_dropped)
{
	struct frame f;

	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_AUTH);
	ASSERT_EQ(0, set_cred(&self->nl, IOTGUARD_CMD_DEVICE_SET, &self->dev,
			      IOTGUARD_CRED_AUTH, self->root,
			      (uint64_t)time(NULL) - 1))
		TH_LOG("set: %s", self->nl.extack);
	ASSERT_EQ(0, protected_frame(&f, &self->dev, &self->sender));
	expect(_metadata, self, &f, XDP_DROP, IOTGUARD_R_EXPIRED, "expired");
}

/*
 * An epoch lasts epoch_seconds from its first datagram: then its key is
 * refused (a stolen epoch key dies with its epoch), and the next epoch's
 * is taken. The shortest epoch is a minute: the test waits one out.
 */
TEST_F(cred, epoch_expires_after_its_seconds)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct frame first, late, next;
	struct nlmsghdr *nlh;
	uint32_t action;

	nlt_dev4(&self->dev, 0x10a);
	memcpy(self->dev.mac, mac_dev, 6);
	NLT_SET(&self->dev, IOTGUARD_A_DEVICE_MAC);
	nlh = nlt_req(&self->nl, buf, IOTGUARD_CMD_DEVICE_NEW, 0);
	nlt_put_dev(nlh, &self->dev);
	mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_CRED_MODE, IOTGUARD_CRED_AUTH);
	mnl_attr_put(nlh, IOTGUARD_A_DEVICE_CRED_KEY, sizeof(self->root),
		     self->root);
	mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS,
			 IOTGUARD_CRED_EPOCH_SECONDS_MIN);
	ASSERT_EQ(0, nlt_do(&self->nl, nlh, NULL)) TH_LOG("%s",
							 self->nl.extack);
	ASSERT_EQ(0, iotguard_dev_init(&self->sender, self->root,
				       IOTGUARD_CRED_AUTH, 0, 0));
	ASSERT_EQ(0, protected_frame(&first, &self->dev, &self->sender));
	ASSERT_EQ(0, protected_frame(&late, &self->dev, &self->sender));
	ASSERT_EQ(0, run(self->prog_fd, &first, &action, NULL));
	ASSERT_EQ(XDP_PASS, action);
	/* The kernel's clock passes the minute whatever the guest's load. */
	sleep(IOTGUARD_CRED_EPOCH_SECONDS_MIN + 1);
	expect(_metadata, self, &late, XDP_DROP, IOTGUARD_R_EXPIRED,
	       "a datagram of an epoch past its time");
	ASSERT_EQ(0, iotguard_dev_next_epoch(&self->sender));
	ASSERT_EQ(0, protected_frame(&next, &self->dev, &self->sender));
	expect(_metadata, self, &next, XDP_PASS, IOTGUARD_R_PASS,
	       "the next epoch's first datagram");
}

/*
 * The next epoch's first datagram makes it current: the old epoch's key
 * is good for nothing from then on.
 */
TEST_F(cred, next_epoch_retires_the_old_one)
{
	struct frame old_epoch, new_epoch;
	struct cred_view v;
	uint32_t action;

	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_AUTH);
	ASSERT_EQ(0, protected_frame(&old_epoch, &self->dev, &self->sender));
	ASSERT_EQ(0, iotguard_dev_next_epoch(&self->sender));
	ASSERT_EQ(0, protected_frame(&new_epoch, &self->dev, &self->sender));
	ASSERT_EQ(0, run(self->prog_fd, &new_epoch, &action, NULL));
	ASSERT_EQ(XDP_PASS, action);
	ASSERT_EQ(0, get_view(&self->nl, &self->dev, NULL, &v));
	EXPECT_EQ(1, v.epoch);
	expect(_metadata, self, &old_epoch, XDP_DROP, IOTGUARD_R_BAD_TAG,
	       "epoch 0 after epoch 1");
	/* Two ahead is not the next one. */
	ASSERT_EQ(0, iotguard_dev_next_epoch(&self->sender));
	ASSERT_EQ(0, iotguard_dev_next_epoch(&self->sender));
	ASSERT_EQ(0, protected_frame(&new_epoch, &self->dev, &self->sender));
	expect(_metadata, self, &new_epoch, XDP_DROP, IOTGUARD_R_BAD_TAG,
	       "epoch 3 after epoch 1");
}

TEST_F(cred, revoked_device_dropped_and_key_gone)
{
	struct iotguard_dev_stats st;
	uint32_t action, index, cookie;
	struct cred_view v;
	struct frame f, plain;

	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_SEAL);
	ASSERT_EQ(0, protected_frame(&f, &self->dev, &self->sender));
	ASSERT_EQ(0, run(self->prog_fd, &f, &action, NULL));
	ASSERT_EQ(XDP_PASS, action);
	ASSERT_EQ(0, revoke_dev(&self->nl, &self->dev))
		TH_LOG("revoke: %s", self->nl.extack);

	ASSERT_EQ(0, protected_frame(&f, &self->dev, &self->sender));
	expect(_metadata, self, &f, XDP_DROP, IOTGUARD_R_REVOKED,
	       "the next datagram");
	plain_frame(&plain, &self->dev);
	expect(_metadata, self, &plain, XDP_DROP, IOTGUARD_R_REVOKED,
	       "a plain one");
	/* Its ARP too: a revoked device is cut off, not only its UDP. */
	fr_eth(&plain, mac_dev);
	fr_arp(&plain, 1, mac_dev, self->dev.addr, dst4);
	expect(_metadata, self, &plain, XDP_DROP, IOTGUARD_R_REVOKED,
	       "an ARP request");

	ASSERT_EQ(0, get_view(&self->nl, &self->dev, self->root, &v));
	EXPECT_TRUE(v.revoked);
	EXPECT_EQ(-1, v.key_id);
	EXPECT_EQ(-1, v.mode);
	dev_ids(_metadata, self, &index, &cookie);
	ASSERT_EQ(0, read_dev(self->skel, index, cookie, &st));
	EXPECT_EQ(1, st.pass.packets);
	EXPECT_EQ(3, st.revoked.packets);

	/* A new key ends the revocation. */
	ASSERT_EQ(0, set_cred(&self->nl, IOTGUARD_CMD_DEVICE_SET, &self->dev,
			      IOTGUARD_CRED_SEAL, self->root, 0));
	ASSERT_EQ(0, iotguard_dev_init(&self->sender, self->root,
				       IOTGUARD_CRED_SEAL, 0, 0));
	ASSERT_EQ(0, protected_frame(&f, &self->dev, &self->sender));
	expect(_metadata, self, &f, XDP_PASS, IOTGUARD_R_PASS, "new key");
}

/* The key is write-only: a GET shows its id, never its bytes. */
TEST_F(cred, key_never_read_back)
{
	uint8_t hash[32];
	uint32_t want_id;
	struct cred_view v;

	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_SEAL);
	ASSERT_EQ(0, get_view(&self->nl, &self->dev, self->root, &v));
	ASSERT_TRUE(v.found);
	EXPECT_FALSE(v.key_attr);
	EXPECT_FALSE(v.key_bytes);
	EXPECT_EQ(IOTGUARD_CRED_SEAL, v.mode);
	EXPECT_EQ(0, v.epoch);
	EXPECT_FALSE(v.revoked);
	ASSERT_EQ(0, iotguard_dev_blake2s(hash, self->root, sizeof(self->root),
					  (const uint8_t *)"iotguard-v1 key id",
					  18));
	want_id = (uint32_t)hash[0] << 24 | hash[1] << 16 | hash[2] << 8 |
		  hash[3];
	EXPECT_EQ(want_id, v.key_id);
}

/* Documentation/protocol.rst's vectors, which the device library prints. */
static const struct vector {
	const char *name;
	int mode;
	uint32_t epoch;
	const char *saddr, *daddr, *body, *payload;
} vectors[] = {
	{ "auth-ipv4", IOTGUARD_CRED_AUTH, 0, "c612010a", "c6120001",
	  "7b2274223a32312e357d",
	  "7b2274223a32312e357d01010000000000000000000000000000c640e7664295fc8e91c7647143067bb4" },
	{ "seal-ipv4", IOTGUARD_CRED_SEAL, 7, "c612010a", "c6120001",
	  "7b2274223a32312e357d",
	  "b408e5039132fd4f9c470102000000000007e8030000000000003e07131ed4c1d353e276f2731d9586f6" },
	{ "auth-ipv6", IOTGUARD_CRED_AUTH, 1,
	  "20010002000000010000000000000010",
	  "20010002000000000000000000000001", "",
	  "0101000000000001feffffff000000003fa8b7101416638ae8ff0d205e6faa48" },
	{ "seal-ipv6", IOTGUARD_CRED_SEAL, 16909060,
	  "20010002000000010000000000000010",
	  "20010002000000000000000000000001", "6c616d702d37206f6e",
	  "286f659d537fde2b0401020000010203040807060504030201075ce5e5296d8921d36a4c570ffc0903" },
};

static size_t unhex(uint8_t *out, const char *hex)
{
	size_t n = 0;
	unsigned int b;

	while (hex[0] && hex[1] && sscanf(hex, "%2x", &b) == 1) {
		out[n++] = b;
		hex += 2;
	}
	return n;
}

/* The module opens what the vectors say, at their epochs. */
TEST_F(cred, module_agrees_with_the_vectors)
{
	uint8_t root[IOTGUARD_WIRE_KEY_LEN], saddr[16], daddr[16];
	uint8_t body_want[64], payload[128];
	struct frame in, out;
	unsigned int i, j;
	uint32_t action;
	size_t n, blen;

	for (i = 0; i < IOTGUARD_WIRE_KEY_LEN; i++)
		root[i] = i;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		char buf[MNL_SOCKET_BUFFER_SIZE];
		struct nlmsghdr *nlh;

		ASSERT_EQ(0, nlt_flush(&self->nl));
		memset(&self->dev, 0, sizeof(self->dev));
		n = unhex(saddr, v->saddr);
		unhex(daddr, v->daddr);
		self->dev.af = n == 4 ? AF_INET : AF_INET6;
		memcpy(self->dev.addr, saddr, n);
		nlh = nlt_req(&self->nl, buf, IOTGUARD_CMD_DEVICE_NEW, 0);
		nlt_put_dev(nlh, &self->dev);
		mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_CRED_MODE, v->mode);
		mnl_attr_put(nlh, IOTGUARD_A_DEVICE_CRED_KEY, sizeof(root),
			     root);
		mnl_attr_put_u32(nlh, IOTGUARD_A_DEVICE_CRED_EPOCH, v->epoch);
		ASSERT_EQ(0, nlt_do(&self->nl, nlh, NULL))
			TH_LOG("%s: %s", v->name, self->nl.extack);

		blen = unhex(body_want, v->body);
		n = unhex(payload, v->payload);
		fr_eth(&in, mac_dev);
		if (self->dev.af == AF_INET)
			fr_ipv4(&in, saddr, daddr, 0);
		else
			fr_ipv6(&in, saddr, daddr);
		fr_udp(&in, n);
		fr_finish(&in);
		memcpy(in.buf + in.l4_off + 8, payload, n);
		set_ip_csum(&in);
		set_udp_csum(&in);
		ASSERT_EQ(0, run(self->prog_fd, &in, &action, &out));
		EXPECT_EQ(XDP_PASS, action) TH_LOG("%s refused", v->name);
		if (action != XDP_PASS)
			continue;
		EXPECT_EQ(in.len - TRAILER, out.len);
		for (j = 0; j < blen; j++)
			if (out.buf[out.l4_off + 8 + j] != body_want[j])
				break;
		EXPECT_EQ(blen, j) TH_LOG("%s: body differs at %u", v->name, j);
		EXPECT_EQ(0, udp_csum(&out));
	}
}

/* A credential is set whole: each half-set one refused with a reason. */
TEST_F(cred, partial_credential_refused)
{
	struct cred_view v;

	nlt_dev4(&self->dev, 0x10b);
	EXPECT_EQ(-EINVAL, set_cred(&self->nl, IOTGUARD_CMD_DEVICE_NEW,
				    &self->dev, -1, self->root, 0));
	EXPECT_NE(0, self->nl.extack[0]);
	EXPECT_EQ(-EINVAL, set_cred(&self->nl, IOTGUARD_CMD_DEVICE_NEW,
				    &self->dev, IOTGUARD_CRED_NONE,
				    self->root, 0));
	EXPECT_NE(0, self->nl.extack[0]);
	EXPECT_EQ(-EINVAL, set_cred(&self->nl, IOTGUARD_CMD_DEVICE_NEW,
				    &self->dev, IOTGUARD_CRED_AUTH, NULL, 0));
	EXPECT_NE(0, self->nl.extack[0]);
	/* Out of the policy's range: ERANGE, as the UAPI says. */
	EXPECT_EQ(-ERANGE, set_cred(&self->nl, IOTGUARD_CMD_DEVICE_NEW,
				    &self->dev, 3, self->root, 0));
	EXPECT_EQ(0, nlt_count(&self->nl)) TH_LOG("a refused device enrolled");

	/* Mode none removes a credential and a revocation. */
	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_AUTH);
	ASSERT_EQ(0, revoke_dev(&self->nl, &self->dev));
	ASSERT_EQ(0, set_cred(&self->nl, IOTGUARD_CMD_DEVICE_SET, &self->dev,
			      IOTGUARD_CRED_NONE, NULL, 0))
		TH_LOG("none: %s", self->nl.extack);
	ASSERT_EQ(0, get_view(&self->nl, &self->dev, NULL, &v));
	EXPECT_FALSE(v.revoked);
	EXPECT_EQ(-1, v.mode);
}

/*
 * The rate limit runs before any cryptography: of a flood of bogus
 * trailers only the device's rate is checked at all.
 */
TEST_F(cred, bogus_flood_checked_at_the_devices_rate)
{
	struct iotguard_dev_stats st;
	uint32_t action, index, cookie;
	struct timespec t0, t1;
	uint64_t seconds;
	struct frame f;
	int i;

	enroll(_metadata, self, AF_INET, IOTGUARD_CRED_AUTH);
	self->dev.rate_pps = 1;
	self->dev.burst_pkts = 5;
	NLT_SET(&self->dev, IOTGUARD_A_DEVICE_RATE_PPS);
	NLT_SET(&self->dev, IOTGUARD_A_DEVICE_BURST_PKTS);
	ASSERT_EQ(0, nlt_set(&self->nl, &self->dev))
		TH_LOG("set rate: %s", self->nl.extack);
	ASSERT_EQ(0, protected_frame(&f, &self->dev, &self->sender));
	f.buf[f.len - 5] ^= 0xff;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 200; i++)
		ASSERT_EQ(0, run(self->prog_fd, &f, &action, NULL));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dev_ids(_metadata, self, &index, &cookie);
	ASSERT_EQ(0, read_dev(self->skel, index, cookie, &st));
	/*
	 * The burst of 5, and one more per second the loop took (a slow
	 * guest's seconds are counted, not assumed).
	 */
	seconds = t1.tv_sec - t0.tv_sec + 1;
	EXPECT_GE(st.bad_tag.packets, 5);
	EXPECT_LE(st.bad_tag.packets, 5 + seconds)
		TH_LOG("%llu tag checks in %llu s",
		       (unsigned long long)st.bad_tag.packets,
		       (unsigned long long)seconds);
	EXPECT_EQ(200, st.bad_tag.packets + st.rate.packets);
}

/* ---------------------------------------------------------- enrollment */

/* What ENROLL_NEW and ENROLL_HELLO answered. */
struct enroll_reply {
	char code[64];
	uint8_t payload[256];
	size_t payload_len;
	int cred_mode;
	int detector;			/* of an ALERT event */
	char text[256];
};

static int enroll_cb(const struct nlmsghdr *nlh, void *data)
{
	struct enroll_reply *r = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case IOTGUARD_A_ENROLL_CODE:
			snprintf(r->code, sizeof(r->code), "%s",
				 mnl_attr_get_str(a));
			break;
		case IOTGUARD_A_ENROLL_PAYLOAD:
			r->payload_len = mnl_attr_get_payload_len(a);
			if (r->payload_len > sizeof(r->payload))
				r->payload_len = sizeof(r->payload);
			memcpy(r->payload, mnl_attr_get_payload(a),
			       r->payload_len);
			break;
		case IOTGUARD_A_DEVICE_CRED_MODE:
			r->cred_mode = mnl_attr_get_u8(a);
			break;
		case IOTGUARD_A_ALERT_DETECTOR:
			r->detector = mnl_attr_get_u8(a);
			break;
		case IOTGUARD_A_ALERT_TEXT:
			snprintf(r->text, sizeof(r->text), "%s",
				 mnl_attr_get_str(a));
			break;
		}
	}
	return MNL_CB_OK;
}

/* Sends nlh; its reply to *r, the ACK's error (and extack) to nl. */
static int enroll_do(struct nlt *nl, struct nlmsghdr *nlh,
		     struct enroll_reply *r)
{
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	int n, ret;

	memset(r, 0, sizeof(*r));
	r->cred_mode = r->detector = -1;
	nl->extack[0] = 0;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		const struct nlmsghdr *m = (const void *)rbuf;

		n = mnl_socket_recvfrom(nl->sock, rbuf, sizeof(rbuf));
		if (n < 0)
			return -errno;
		for (; mnl_nlmsg_ok(m, n); m = mnl_nlmsg_next(m, &n)) {
			if (m->nlmsg_seq != nlh->nlmsg_seq)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR) {
				nlt_parse_err(nl, m);
				return nl->err;
			}
			ret = enroll_cb(m, r);
			if (ret < 0)
				return -EBADMSG;
		}
	}
}

static int enroll_new(struct nlt *nl, const struct nlt_dev *d, int mode,
		      uint32_t ttl, struct enroll_reply *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlt_req(nl, buf, IOTGUARD_CMD_ENROLL_NEW, 0);

	nlt_put_id(nlh, d);
	mnl_attr_put_u32(nlh, IOTGUARD_A_ENROLL_TTL, ttl);
	mnl_attr_put_u8(nlh, IOTGUARD_A_DEVICE_CRED_MODE, mode);
	return enroll_do(nl, nlh, r);
}

/* The router's address and enrollment port, as the daemon sees them. */
static const uint8_t router4[4] = { 198, 18, 0, 1 };

static void hello_flow(const struct nlt_dev *d, struct iotguard_dev_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->family = 4;
	f->sport = 40001;
	f->dport = IOTGUARD_WIRE_ENROLL_PORT;
	memcpy(f->saddr, d->addr, 4);
	memcpy(f->daddr, router4, 4);
}

static int enroll_hello(struct nlt *nl, const struct iotguard_dev_flow *f,
			const uint8_t *hello, size_t len,
			struct enroll_reply *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlt_req(nl, buf, IOTGUARD_CMD_ENROLL_HELLO, 0);

	mnl_attr_put(nlh, IOTGUARD_A_ENROLL_PAYLOAD, len, hello);
	mnl_attr_put(nlh, IOTGUARD_A_ENROLL_SADDR, 4, f->saddr);
	mnl_attr_put(nlh, IOTGUARD_A_ENROLL_DADDR, 4, f->daddr);
	mnl_attr_put_u16(nlh, IOTGUARD_A_ENROLL_SPORT, f->sport);
	mnl_attr_put_u16(nlh, IOTGUARD_A_ENROLL_DPORT, f->dport);
	return enroll_do(nl, nlh, r);
}

/* A device with no credential yet, enrolled by address. */
static void enroll_plain(struct __test_metadata *_metadata,
			 FIXTURE_DATA(cred) *self)
{
	nlt_dev4(&self->dev, 0x10a);
	memcpy(self->dev.mac, mac_dev, 6);
	NLT_SET(&self->dev, IOTGUARD_A_DEVICE_MAC);
	ASSERT_EQ(0, nlt_new(&self->nl, &self->dev))
		TH_LOG("enroll: %s", self->nl.extack);
}

/*
 * The whole exchange: the operator's code, the device's hello, the
 * module's welcome; the key the device opens from it is the one the edge
 * checks its datagrams with.
 */
TEST_F(cred, enrollment_gives_the_device_its_key)
{
	uint8_t nonce[IOTGUARD_WIRE_NONCE_LEN], hello[64];
	struct iotguard_dev_welcome welcome;
	struct enroll_reply code, r, again;
	struct iotguard_dev_code c;
	struct iotguard_dev_flow f;
	struct cred_view v;
	struct frame in;
	uint32_t action;
	size_t len;

	enroll_plain(_metadata, self);
	ASSERT_EQ(0, enroll_new(&self->nl, &self->dev, IOTGUARD_CRED_SEAL,
				600, &code))
		TH_LOG("enroll new: %s", self->nl.extack);
	ASSERT_EQ(0, iotguard_dev_code_parse(&c, code.code))
		TH_LOG("code '%s'", code.code);

	memset(nonce, 0xa5, sizeof(nonce));
	hello_flow(&self->dev, &f);
	ASSERT_EQ(0, iotguard_dev_hello(&c, &f, nonce, hello, sizeof(hello),
					&len));
	ASSERT_EQ(0, enroll_hello(&self->nl, &f, hello, len, &r))
		TH_LOG("hello: %s", self->nl.extack);
	EXPECT_EQ(IOTGUARD_CRED_SEAL, r.cred_mode);
	ASSERT_EQ(IOTGUARD_WIRE_WELCOME_LEN + TRAILER, r.payload_len);

	/* The welcome lost: the same hello gets the same welcome. */
	ASSERT_EQ(0, enroll_hello(&self->nl, &f, hello, len, &again));
	ASSERT_EQ(r.payload_len, again.payload_len);
	EXPECT_EQ(0, memcmp(r.payload, again.payload, r.payload_len));

	ASSERT_EQ(0, iotguard_dev_welcome_open(&c, &f, nonce, r.payload,
					       r.payload_len, &welcome));
	EXPECT_EQ(IOTGUARD_CRED_SEAL, welcome.mode);
	EXPECT_EQ(IOTGUARD_CRED_EPOCH_SECONDS_DEFAULT, welcome.epoch_seconds);

	ASSERT_EQ(0, get_view(&self->nl, &self->dev, welcome.root, &v));
	EXPECT_EQ(IOTGUARD_CRED_SEAL, v.mode);
	EXPECT_FALSE(v.key_bytes);
	ASSERT_EQ(0, iotguard_dev_init(&self->sender, welcome.root,
				       welcome.mode, 0, 0));
	ASSERT_EQ(0, protected_frame(&in, &self->dev, &self->sender));
	ASSERT_EQ(0, run(self->prog_fd, &in, &action, NULL));
	EXPECT_EQ(XDP_PASS, action);
}

/* The next event of the group nl joined. */
static int enroll_do_event(struct nlt *nl, struct enroll_reply *r)
{
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	const struct nlmsghdr *m = (const void *)rbuf;
	int n;

	memset(r, 0, sizeof(*r));
	r->cred_mode = r->detector = -1;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, rbuf, sizeof(rbuf));
		if (n < 0)
			return -errno;
		for (m = (const void *)rbuf; mnl_nlmsg_ok(m, n);
		     m = mnl_nlmsg_next(m, &n)) {
			const struct genlmsghdr *g = mnl_nlmsg_get_payload(m);

			if (m->nlmsg_seq || m->nlmsg_type != nl->family ||
			    g->cmd != IOTGUARD_CMD_ALERT)
				continue;
			enroll_cb(m, r);
			return 0;
		}
	}
}

/* A code works once: another hello with it, a second device's, fails. */
TEST_F(cred, enrollment_code_works_once)
{
	uint8_t nonce[IOTGUARD_WIRE_NONCE_LEN], hello[64];
	struct enroll_reply code, r, ev;
	struct iotguard_dev_code c;
	struct nlt events;
	struct iotguard_dev_flow f;
	size_t len;

	enroll_plain(_metadata, self);
	ASSERT_EQ(0, enroll_new(&self->nl, &self->dev, IOTGUARD_CRED_AUTH,
				600, &code));
	ASSERT_EQ(0, iotguard_dev_code_parse(&c, code.code));
	hello_flow(&self->dev, &f);
	memset(nonce, 1, sizeof(nonce));
	ASSERT_EQ(0, iotguard_dev_hello(&c, &f, nonce, hello, sizeof(hello),
					&len));
	ASSERT_EQ(0, enroll_hello(&self->nl, &f, hello, len, &r));

	ASSERT_EQ(0, nlt_open(&events));
	ASSERT_EQ(0, nlt_join_events(&events));
	memset(nonce, 2, sizeof(nonce));
	ASSERT_EQ(0, iotguard_dev_hello(&c, &f, nonce, hello, sizeof(hello),
					&len));
	EXPECT_EQ(-EALREADY, enroll_hello(&self->nl, &f, hello, len, &r));
	EXPECT_NE(0, self->nl.extack[0]);
	EXPECT_EQ(0, r.payload_len);
	/* And the module says so to the events group. */
	ASSERT_EQ(0, enroll_do_event(&events, &ev));
	nlt_close(&events);
	EXPECT_EQ(IOTGUARD_ALERT_DET_ENROLL, ev.detector);
	EXPECT_NE(NULL, strstr(ev.text, "used")) TH_LOG("alert '%s'", ev.text);
}

/* A mistyped code, an unknown one, a late one: nothing. */
TEST_F(cred, enrollment_refuses_wrong_and_late_codes)
{
	uint8_t nonce[IOTGUARD_WIRE_NONCE_LEN] = { 7 }, hello[64];
	struct enroll_reply code, r;
	struct iotguard_dev_code c;
	struct iotguard_dev_flow f;
	size_t len;

	enroll_plain(_metadata, self);
	ASSERT_EQ(0, enroll_new(&self->nl, &self->dev, IOTGUARD_CRED_AUTH,
				1, &code));
	ASSERT_EQ(0, iotguard_dev_code_parse(&c, code.code));
	hello_flow(&self->dev, &f);

	c.secret[5] ^= 0x10;			/* mistyped */
	ASSERT_EQ(0, iotguard_dev_hello(&c, &f, nonce, hello, sizeof(hello),
					&len));
	EXPECT_EQ(-EBADMSG, enroll_hello(&self->nl, &f, hello, len, &r));
	c.secret[5] ^= 0x10;
	c.id ^= 1;				/* unknown */
	ASSERT_EQ(0, iotguard_dev_hello(&c, &f, nonce, hello, sizeof(hello),
					&len));
	EXPECT_EQ(-ENOENT, enroll_hello(&self->nl, &f, hello, len, &r));
	c.id ^= 1;
	/* A hello from another address than the one it was made for. */
	ASSERT_EQ(0, iotguard_dev_hello(&c, &f, nonce, hello, sizeof(hello),
					&len));
	f.saddr[3] ^= 1;
	EXPECT_EQ(-EBADMSG, enroll_hello(&self->nl, &f, hello, len, &r));
	f.saddr[3] ^= 1;

	/* Its second is over (the kernel's clock, whatever the load). */
	sleep(2);
	EXPECT_EQ(-ETIMEDOUT, enroll_hello(&self->nl, &f, hello, len, &r));
	EXPECT_EQ(0, r.payload_len);
}

/*
 * Guessing is held to IOTGUARD_ENROLL_FAILS_PER_SEC failures a second:
 * beyond, even a good hello waits.
 */
TEST_F(cred, failed_hellos_rate_limited)
{
	uint8_t nonce[IOTGUARD_WIRE_NONCE_LEN] = { 9 }, hello[64];
	struct enroll_reply code, r;
	struct iotguard_dev_code c, bad;
	struct iotguard_dev_flow f;
	int i, refused = 0, busy = 0;
	size_t len;

	enroll_plain(_metadata, self);
	ASSERT_EQ(0, enroll_new(&self->nl, &self->dev, IOTGUARD_CRED_AUTH,
				600, &code));
	ASSERT_EQ(0, iotguard_dev_code_parse(&c, code.code));
	hello_flow(&self->dev, &f);
	bad = c;
	bad.secret[0] ^= 1;
	ASSERT_EQ(0, iotguard_dev_hello(&bad, &f, nonce, hello,
					sizeof(hello), &len));
	/* A whole budget: the case before may have spent this second's. */
	sleep(2);
	for (i = 0; i < 3 * IOTGUARD_ENROLL_FAILS_PER_SEC; i++) {
		int ret = enroll_hello(&self->nl, &f, hello, len, &r);

		refused += ret == -EBADMSG;
		busy += ret == -EBUSY;
	}
	/* Each second the loop spans allows one more budget. */
	EXPECT_GE(refused, IOTGUARD_ENROLL_FAILS_PER_SEC);
	EXPECT_GT(busy, 0);
	EXPECT_EQ(3 * IOTGUARD_ENROLL_FAILS_PER_SEC, refused + busy);

	/* The budget comes back: the good hello then works. */
	ASSERT_EQ(0, iotguard_dev_hello(&c, &f, nonce, hello, sizeof(hello),
					&len));
	sleep(2);
	EXPECT_EQ(0, enroll_hello(&self->nl, &f, hello, len, &r))
		TH_LOG("%s", self->nl.extack);
}

TEST_HARNESS_MAIN
