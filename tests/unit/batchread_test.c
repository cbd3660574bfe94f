// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of user/lib/batchread.c on a per-CPU hash of the host kernel,
 * as the program's per-device maps are (BPF_F_NO_PREALLOC, keyed by
 * index, holding only some indexes): the snapshot gives what one lookup
 * per index gives, indexes the map lacks read as zeros, in any order and
 * with windows smaller than the map; outside begin/end every lookup is
 * fresh; the fallback without batch operations reads each index.
 * Needs BPF maps (root or CAP_BPF): skipped without.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "batchread.h"

#define ENTRIES	1000
/* The map holds every third index: 334 entries. */
#define HELD(i)	((i) % 3 == 0)
#define NHELD	((ENTRIES + 2) / 3)
/* Each CPU's copy names its index, CPU and generation. */
struct value {
	uint64_t index;
	uint32_t cpu;
	uint32_t gen;
};

static uint64_t expect_word(uint32_t index, uint32_t cpu, uint32_t gen)
{
	return (uint64_t)gen << 40 | (uint64_t)cpu << 32 | index;
}

FIXTURE(percpu)
{
	int fd;
	int ncpus;
	struct value *buf;	/* one entry: ncpus values */
};

static int write_all(int fd, int ncpus, struct value *buf, uint32_t gen)
{
	uint32_t i;
	int cpu;

	for (i = 0; i < ENTRIES; i++) {
		if (!HELD(i))
			continue;
		for (cpu = 0; cpu < ncpus; cpu++) {
			buf[cpu].index = expect_word(i, cpu, gen);
			buf[cpu].cpu = cpu;
			buf[cpu].gen = gen;
		}
		if (bpf_map_update_elem(fd, &i, buf, 0))
			return -errno;
	}
	return 0;
}

FIXTURE_SETUP(percpu)
{
	self->ncpus = libbpf_num_possible_cpus();
	ASSERT_GT(self->ncpus, 0);
	self->buf = calloc(self->ncpus, sizeof(*self->buf));
	ASSERT_NE(NULL, self->buf);
	LIBBPF_OPTS(bpf_map_create_opts, opts,
		    .map_flags = BPF_F_NO_PREALLOC);

	self->fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "batchread_test",
				  sizeof(uint32_t), sizeof(struct value),
				  ENTRIES, &opts);
	if (self->fd < 0 && (errno == EPERM || errno == EACCES))
		SKIP(return, "no BPF maps here: %s", strerror(errno));
	ASSERT_LE(0, self->fd) TH_LOG("bpf_map_create: %s", strerror(errno));
	ASSERT_EQ(0, write_all(self->fd, self->ncpus, self->buf, 1));
}

FIXTURE_TEARDOWN(percpu)
{
	if (self->fd >= 0)
		close(self->fd);
	free(self->buf);
}

/*
 * The entry of index, as the reader gives it, is generation gen's; or
 * zeros, for an index the map lacks.
 */
static int check_entry(struct iotguard_batch_reader *r, int ncpus,
		       uint32_t index, uint32_t gen)
{
	const struct value *v;
	const void *p;
	int cpu, ret;

	ret = iotguard_batch_lookup(r, index, &p);
	if (ret)
		return ret;
	v = p;
	for (cpu = 0; cpu < ncpus; cpu++) {
		if (!HELD(index)) {
			if (v[cpu].index || v[cpu].cpu || v[cpu].gen)
				return -EBADMSG;
			continue;
		}
		if (v[cpu].index != expect_word(index, cpu, gen) ||
		    v[cpu].cpu != (uint32_t)cpu || v[cpu].gen != gen)
			return -EBADMSG;
	}
	return 0;
}

TEST_F(percpu, windows_equal_single_lookups)
{
	struct iotguard_batch_reader r;
	size_t stride = self->ncpus * sizeof(struct value);
	uint32_t i;

	if (self->fd < 0)
		SKIP(return, "no map");
	/* 64 entries a window: the 334 held take 6 reads or a few more. */
	ASSERT_EQ(0, iotguard_batch_init(&r, self->fd, ENTRIES, stride,
					 64 * stride));
	EXPECT_EQ(64, r.window);
	iotguard_batch_begin(&r);
	for (i = 0; i < ENTRIES; i++)
		ASSERT_EQ(0, check_entry(&r, self->ncpus, i, 1))
			TH_LOG("index %u", i);
	iotguard_batch_end(&r);
	EXPECT_FALSE(r.no_batch);
	EXPECT_LE(NHELD / 64 + 1, r.syscalls);
	/* A bucket may end a read early, never a read per entry. */
	EXPECT_GE(NHELD / 16, r.syscalls);
	EXPECT_EQ(-ERANGE, check_entry(&r, self->ncpus, ENTRIES, 1));
	iotguard_batch_fini(&r);
}

TEST_F(percpu, any_order_from_one_snapshot)
{
	struct iotguard_batch_reader r;
	size_t stride = self->ncpus * sizeof(struct value);
	static const uint32_t walk[] = {
		999, 0, 1, 63, 64, 500, 530, 563, 998,
	};
	uint64_t reads;
	unsigned int k;

	if (self->fd < 0)
		SKIP(return, "no map");
	ASSERT_EQ(0, iotguard_batch_init(&r, self->fd, ENTRIES, stride,
					 64 * stride));
	iotguard_batch_begin(&r);
	ASSERT_EQ(0, check_entry(&r, self->ncpus, walk[0], 1));
	reads = r.syscalls;
	for (k = 1; k < sizeof(walk) / sizeof(walk[0]); k++)
		ASSERT_EQ(0, check_entry(&r, self->ncpus, walk[k], 1))
			TH_LOG("index %u", walk[k]);
	/* Backwards too: all from the snapshot the first lookup read. */
	ASSERT_EQ(0, check_entry(&r, self->ncpus, 10, 1));
	EXPECT_EQ(reads, r.syscalls);
	EXPECT_EQ(-ERANGE, check_entry(&r, self->ncpus, ENTRIES, 1));
	iotguard_batch_end(&r);
	iotguard_batch_fini(&r);
}

TEST_F(percpu, fresh_outside_begin_end)
{
	struct iotguard_batch_reader r;
	size_t stride = self->ncpus * sizeof(struct value);

	if (self->fd < 0)
		SKIP(return, "no map");
	ASSERT_EQ(0, iotguard_batch_init(&r, self->fd, ENTRIES, stride, 0));
	iotguard_batch_begin(&r);
	ASSERT_EQ(0, check_entry(&r, self->ncpus, 6, 1));
	iotguard_batch_end(&r);
	ASSERT_EQ(0, write_all(self->fd, self->ncpus, self->buf, 2));
	/* Single lookups see the new values at once... */
	ASSERT_EQ(0, check_entry(&r, self->ncpus, 6, 2));
	ASSERT_EQ(0, check_entry(&r, self->ncpus, 7, 2));
	ASSERT_EQ(0, check_entry(&r, self->ncpus, 9, 2));
	/* ...and so does the next batched pass. */
	iotguard_batch_begin(&r);
	ASSERT_EQ(0, check_entry(&r, self->ncpus, 9, 2));
	iotguard_batch_end(&r);
	/* One read a pass (2 MiB windows hold the map), three alone. */
	EXPECT_EQ(5, r.syscalls);
	iotguard_batch_fini(&r);
}

TEST_F(percpu, fallback_reads_each_index)
{
	struct iotguard_batch_reader r;
	size_t stride = self->ncpus * sizeof(struct value);
	uint32_t i;

	if (self->fd < 0)
		SKIP(return, "no map");
	ASSERT_EQ(0, iotguard_batch_init(&r, self->fd, ENTRIES, stride, 0));
	/* As after a kernel that refused the batch. */
	r.no_batch = true;
	iotguard_batch_begin(&r);
	for (i = 0; i < ENTRIES; i += 7)
		ASSERT_EQ(0, check_entry(&r, self->ncpus, i, 1));
	iotguard_batch_end(&r);
	EXPECT_EQ((ENTRIES + 6) / 7, r.syscalls);
	iotguard_batch_fini(&r);
}

TEST_HARNESS_MAIN
