// SPDX-License-Identifier: GPL-2.0
/*
 * What an unprivileged user can make the module spend: the per-namespace
 * device limits (module parameters netns_max_devices and userns_max_devices)
 * and the memory cgroup charge of the devices (include/uapi/linux/iotguard.h).
 * The unprivileged user is uid 65534 in a user namespace of its own that
 * owns a new network namespace, as `unshare -Urn` makes one.
 *
 * Runs as root in the test VM with iotguard.ko loaded; sets the limits it
 * needs and restores them. Addresses come from 198.18.0.0/15 only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#include "nltest.h"
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#define PARAMS "/sys/module/iotguard/parameters/"
#define CGROOT "/sys/fs/cgroup"
/* The child could not make a user namespace: the test skips. */
#define NO_USERNS 42

static int read_ulong(const char *path, unsigned long *v)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%lu", v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static int write_param(const char *name, unsigned long v)
{
	char path[128], val[32];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	snprintf(val, sizeof(val), "%lu", v);
	return write_str(path, val);
}

FIXTURE(limits)
{
	struct nlt nl;
	unsigned long max, netns_max, userns_max;
	char cgroup[64];
};

FIXTURE_SETUP(limits)
{
	int err = nlt_open(&self->nl);

	ASSERT_EQ(0, err) TH_LOG("open: %s (is iotguard.ko loaded?)",
				 strerror(-err));
	ASSERT_EQ(0, nlt_flush(&self->nl));
	ASSERT_EQ(0, read_ulong(PARAMS "max_devices", &self->max));
	ASSERT_EQ(0, read_ulong(PARAMS "netns_max_devices", &self->netns_max))
		TH_LOG("no netns_max_devices parameter");
	ASSERT_EQ(0, read_ulong(PARAMS "userns_max_devices", &self->userns_max))
		TH_LOG("no userns_max_devices parameter");
}

FIXTURE_TEARDOWN(limits)
{
	write_param("netns_max_devices", self->netns_max);
	write_param("userns_max_devices", self->userns_max);
	if (self->cgroup[0])
		rmdir(self->cgroup);
	if (self->nl.sock)
		nlt_flush(&self->nl);
	nlt_close(&self->nl);
}

#define CHILD_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "# child: " __VA_ARGS__);		\
		fprintf(stderr, "\n");					\
		_exit(1);						\
	}								\
} while (0)

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Enrolls devices first..first+n-1 one request each: 0 or the first error. */
static int enroll(struct nlt *t, uint32_t first, unsigned long n)
{
	struct nlt_dev *devs = calloc(n ? n : 1, sizeof(*devs));
	int err, failed;

	if (!devs)
		return -ENOMEM;
	for (unsigned long i = 0; i < n; i++)
		nlt_dev4(&devs[i], first + i);
	failed = nlt_new_many(t, devs, n, &err);
	free(devs);
	if (failed < 0)
		return failed;
	return failed ? err : 0;
}

/* NEW of one more device fails with ENOSPC, its extack naming param. */
static int check_full(struct nlt *t, uint32_t n, const char *param,
		      char *why, size_t len)
{
	struct nlt_dev d;

	nlt_dev4(&d, n);
	nlt_new(t, &d);
	if (t->err != -ENOSPC) {
		snprintf(why, len, "NEW beyond the limit: %s (%.160s)",
			 strerror(-t->err), t->extack);
		return -1;
	}
	if (!strstr(t->extack, param)) {
		snprintf(why, len, "extack \"%.160s\" does not name %s", t->extack,
			 param);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------ netns_max_devices */

/*
 * netns_max_devices holds each network namespace apart: a full one does
 * not keep another from enrolling, a lower limit keeps the devices
 * enrolled, and a list that would cross it is refused whole.
 */
TEST_F(limits, netns_limit)
{
	struct nlt *t = &self->nl;
	struct nlt_dev d, list[3];
	char why[256];
	pid_t pid;

	ASSERT_NE(0, write_param("netns_max_devices", 0))
		TH_LOG("a limit of 0 was taken");
	ASSERT_EQ(0, write_param("netns_max_devices", 5));
	ASSERT_EQ(0, enroll(t, 0x100, 5)) TH_LOG("%s", t->extack);
	ASSERT_EQ(0, check_full(t, 0x200, "netns_max_devices", why,
				sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(5, nlt_count(t));

	/* another namespace has its own 5 */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct nlt c;
		int err;

		CHILD_CHECK(!unshare(CLONE_NEWNET), "unshare: %s",
			    strerror(errno));
		err = nlt_open(&c);
		CHILD_CHECK(!err, "open: %s", strerror(-err));
		err = enroll(&c, 0x100, 5);
		CHILD_CHECK(!err, "NEW in a second netns: %s (%s)",
			    strerror(-err), c.extack);
		CHILD_CHECK(!check_full(&c, 0x200, "netns_max_devices", why,
					sizeof(why)), "%s", why);
		nlt_close(&c);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));

	/* a delete makes room for one */
	nlt_dev4(&d, 0x100);
	ASSERT_EQ(0, nlt_del(t, &d));
	ASSERT_EQ(0, nlt_new(t, &d)) TH_LOG("%s", t->extack);
	ASSERT_EQ(0, check_full(t, 0x200, "netns_max_devices", why,
				sizeof(why))) TH_LOG("%s", why);

	/* a lower limit keeps what is enrolled */
	ASSERT_EQ(0, write_param("netns_max_devices", 3));
	ASSERT_EQ(5, nlt_count(t));
	ASSERT_EQ(0, check_full(t, 0x200, "netns_max_devices", why,
				sizeof(why))) TH_LOG("%s", why);

	/* a list crossing the limit: all or nothing */
	ASSERT_EQ(0, write_param("netns_max_devices", 7));
	for (int i = 0; i < 3; i++)
		nlt_dev4(&list[i], 0x300 + i);
	{
		char *buf = malloc(16384);
		struct nlattr *nest, *l;
		struct nlmsghdr *nlh;

		ASSERT_NE(NULL, buf);
		nlh = nlt_req(t, buf, IOTGUARD_CMD_DEVICE_NEW, 0);
		l = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICES);
		for (int i = 0; i < 3; i++) {
			nest = mnl_attr_nest_start(nlh, IOTGUARD_A_DEVICE);
			nlt_put_dev(nlh, &list[i]);
			mnl_attr_nest_end(nlh, nest);
		}
		mnl_attr_nest_end(nlh, l);
		nlt_do(t, nlh, NULL);
		free(buf);
	}
	ASSERT_EQ(-ENOSPC, t->err) TH_LOG("%s", strerror(-t->err));
	ASSERT_NE(NULL, strstr(t->extack, "netns_max_devices"))
		TH_LOG("extack \"%s\"", t->extack);
	ASSERT_EQ(5, nlt_count(t));

	/* and the limit above max_devices acts as max_devices */
	ASSERT_EQ(0, write_param("netns_max_devices", self->max + 1000));
	ASSERT_EQ(0, enroll(t, 0x300, 3)) TH_LOG("%s", t->extack);
	ASSERT_EQ(8, nlt_count(t));
}

/* ---------------------------------------------- unprivileged user's netns */

struct unpriv {
	unsigned long expect;	/* devices it may enroll */
	const char *param;	/* the limit the extack must name */
	const char *cgroup;	/* if not NULL: join it, measure the charge */
	unsigned long min_charge;	/* bytes of slab the devices must add */
};

/* The "slab" line of a cgroup's memory.stat, in bytes. */
static long long cgroup_slab(const char *cgroup)
{
	char path[128], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.stat", cgroup);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "slab %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void write_map(const char *file, const char *map)
{
	int err = write_str(file, map);

	CHILD_CHECK(!err, "write %s: %s", file, strerror(-err));
}

/*
 * In a child: joins u->cgroup, becomes uid 65534, makes a user namespace
 * owning a new network namespace (`unshare -Urn`), enrolls u->expect
 * devices, checks that the slab charge of its cgroup grew by u->min_charge
 * and that one more device fails with ENOSPC naming u->param.
 */
static void unpriv_child(const struct unpriv *u)
{
	struct nlt c;
	long long before = 0, now = 0;
	char why[256];
	int err;

	if (u->cgroup) {
		char procs[128];

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", u->cgroup);
		write_map(procs, "0");
	}
	CHILD_CHECK(!setgroups(0, NULL), "setgroups");
	CHILD_CHECK(!setgid(65534), "setgid");
	CHILD_CHECK(!setuid(65534), "setuid");
	/* setuid() made /proc/self root's: the maps must be ours to write */
	CHILD_CHECK(!prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "dumpable");
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET)) {
		fprintf(stderr, "# child: unshare: %s\n", strerror(errno));
		_exit(NO_USERNS);
	}
	write_map("/proc/self/setgroups", "deny");
	write_map("/proc/self/uid_map", "0 65534 1");
	write_map("/proc/self/gid_map", "0 65534 1");

	err = nlt_open(&c);
	CHILD_CHECK(!err, "open: %s", strerror(-err));
	if (u->cgroup) {
		before = cgroup_slab(u->cgroup);
		CHILD_CHECK(before >= 0, "no slab in %s/memory.stat", u->cgroup);
	}
	err = enroll(&c, 0x1000, u->expect);
	CHILD_CHECK(!err, "NEW of %lu devices: %s (%s)", u->expect,
		    strerror(-err), c.extack);
	CHILD_CHECK(nlt_count(&c) == (int)u->expect, "count %d, want %lu",
		    nlt_count(&c), u->expect);
	if (u->cgroup) {
		/*
		 * The memcg statistics are flushed lazily (at the latest
		 * every 2 s): wait for the charge, a minute at most.
		 */
		for (int i = 0; i < 600; i++) {
			now = cgroup_slab(u->cgroup);
			if (now - before >= (long long)u->min_charge)
				break;
			usleep(100 * 1000);
		}
		fprintf(stderr, "# child: %lu devices: slab %lld -> %lld (+%lld bytes)\n",
			u->expect, before, now, now - before);
		CHILD_CHECK(now - before >= (long long)u->min_charge,
			    "the devices added %lld bytes of slab to the cgroup, want %lu or more",
			    now - before, u->min_charge);
	}
	CHILD_CHECK(!check_full(&c, 0x8000, u->param, why, sizeof(why)),
		    "%s", why);
	nlt_close(&c);
	_exit(0);
}

/* Runs unpriv_child(): 0, NO_USERNS or a failure. */
static int run_unpriv(const struct unpriv *u)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		unpriv_child(u);
	return wait_child(pid);
}

/* The default userns_max_devices, below max_devices and netns_max_devices. */
TEST_F(limits, userns_limit)
{
	struct unpriv u = { .param = "userns_max_devices" };
	int rc;

	ASSERT_LT(self->userns_max, self->max)
		TH_LOG("load the module with max_devices above %lu",
		       self->userns_max);
	ASSERT_EQ(0, write_param("netns_max_devices", self->max));
	u.expect = self->userns_max;
	rc = run_unpriv(&u);
	if (rc == NO_USERNS)
		SKIP(return, "no unprivileged user namespaces");
	ASSERT_EQ(0, rc);
	/* the initial namespace is not held to it */
	ASSERT_EQ(0, enroll(&self->nl, 0x1000, self->userns_max + 1))
		TH_LOG("%s", self->nl.extack);
}

/* The lower of the two limits holds, and 0 refuses every device. */
TEST_F(limits, userns_lower_limit)
{
	struct unpriv u = { .expect = 3, .param = "netns_max_devices" };
	int rc;

	ASSERT_EQ(0, write_param("userns_max_devices", 4));
	ASSERT_EQ(0, write_param("netns_max_devices", 3));
	rc = run_unpriv(&u);
	if (rc == NO_USERNS)
		SKIP(return, "no unprivileged user namespaces");
	ASSERT_EQ(0, rc);

	ASSERT_EQ(0, write_param("netns_max_devices", 4));
	ASSERT_EQ(0, write_param("userns_max_devices", 2));
	u.expect = 2;
	u.param = "userns_max_devices";
	ASSERT_EQ(0, run_unpriv(&u));

	ASSERT_EQ(0, write_param("userns_max_devices", 0));
	u.expect = 0;
	ASSERT_EQ(0, run_unpriv(&u));
}

/* -------------------------------------------------------------- memcg */

/*
 * The devices an unprivileged user enrolls are charged to its memory
 * cgroup: the cgroup's slab grows by at least half their object size each
 * (the xarray's nodes add to it; nothing else of the module's grows with
 * the devices).
 */
TEST_F(limits, memcg_charged)
{
	struct unpriv u = { .param = "userns_max_devices" };
	unsigned long objsize = 0;
	char ctl[256] = "";
	int fd, rc;

	fd = open(CGROOT "/cgroup.controllers", O_RDONLY);
	if (fd < 0)
		SKIP(return, "no cgroup2 at " CGROOT);
	if (read(fd, ctl, sizeof(ctl) - 1) < 0)
		ctl[0] = 0;
	close(fd);
	if (!strstr(ctl, "memory"))
		SKIP(return, "no memory controller");
	ASSERT_EQ(0, write_str(CGROOT "/cgroup.subtree_control", "+memory"));
	snprintf(self->cgroup, sizeof(self->cgroup), CGROOT "/iotguard-%d",
		 getpid());
	ASSERT_EQ(0, mkdir(self->cgroup, 0755)) TH_LOG("%s", strerror(errno));

	/* SLUB's view of the cache; a merged cache is a link to the same */
	if (read_ulong("/sys/kernel/slab/iotguard_device/object_size", &objsize))
		objsize = 128;
	TH_LOG("a device takes %lu bytes", objsize);
	u.expect = self->userns_max;
	u.cgroup = self->cgroup;
	u.min_charge = u.expect * objsize / 2;
	rc = run_unpriv(&u);
	if (rc == NO_USERNS)
		SKIP(return, "no unprivileged user namespaces");
	ASSERT_EQ(0, rc);
}

TEST_HARNESS_MAIN
