// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of user/lib/featmap.c: the linear-counting estimator against
 * its known error, and the merge of per-CPU entries.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "featmap.h"

/* splitmix64: distinct values to distinct-looking hashes */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void set_bit(uint64_t words[IOTGUARD_SKETCH_WORDS], uint64_t hash)
{
	unsigned int bit = hash >> 56;	/* the top 8 bits: 0..255 */

	words[bit / 64] |= 1ULL << (bit % 64);
}

TEST(estimate_empty_and_one)
{
	uint64_t words[IOTGUARD_SKETCH_WORDS] = { 0 };

	EXPECT_EQ(0, iotguard_sketch_estimate(words));
	words[2] = 1;
	/* -256 ln(255/256) = 1.002 */
	EXPECT_EQ(1, iotguard_sketch_estimate(words));
}

TEST(estimate_known_bit_counts)
{
	uint64_t words[IOTGUARD_SKETCH_WORDS] = { 0 };

	/* 128 bits set: -256 ln(1/2) = 177.4 */
	words[0] = words[1] = ~0ULL;
	EXPECT_EQ(177, iotguard_sketch_estimate(words));
	/* saturated: 256 ln 256 = 1419.6 */
	words[2] = words[3] = ~0ULL;
	EXPECT_EQ(1420, iotguard_sketch_estimate(words));
}

/*
 * The relative standard error of linear counting is
 * sqrt(m (e^t - t - 1)) / n, t = n / m: 4.7% at n = 100, m = 256. Over
 * 200 trials the mean is within 1.5% and each trial within 5 errors.
 */
TEST(estimate_error_as_documented)
{
	static const unsigned int ns[] = { 10, 50, 100, 200, 400 };
	unsigned int i, trial, v;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		double n = ns[i], t = n / IOTGUARD_SKETCH_BITS, sum = 0;
		double se = sqrt(IOTGUARD_SKETCH_BITS * (exp(t) - t - 1)) / n;

		for (trial = 0; trial < 200; trial++) {
			uint64_t words[IOTGUARD_SKETCH_WORDS] = { 0 };
			uint32_t est;

			for (v = 0; v < ns[i]; v++)
				set_bit(words, mix(trial * 100000ULL + v));
			est = iotguard_sketch_estimate(words);
			sum += est;
			EXPECT_LT(fabs(est - n) / n, 5 * se + 0.1)
				TH_LOG("n %u trial %u: %u", ns[i], trial, est);
		}
		TH_LOG("n %u: mean estimate %.1f, standard error %.1f%%",
		       ns[i], sum / 200, 100 * se);
		EXPECT_LT(fabs(sum / 200 - n) / n, 0.015 + se / 5);
	}
}

TEST(merge_per_cpu)
{
	struct iotguard_dev_features cpus[3];
	struct iotguard_feature_sum sum;
	const uint64_t epoch = 1001;

	memset(cpus, 0, sizeof(cpus));
	cpus[0].cookie = 7;
	cpus[0].packets = 10;
	cpus[0].bytes = 1000;
	cpus[0].tcp_syn = 2;
	cpus[0].size_hist[1] = 10;
	cpus[0].last_seen_ns = 500;
	cpus[0].sketch[epoch & 1].epoch = epoch;
	cpus[0].sketch[epoch & 1].dst_addr[0] = 1;
	cpus[0].sketch[epoch & 1].dst_port[0] = 1;
	/* the same bit from another CPU counts once, another bit adds */
	cpus[1].cookie = 7;
	cpus[1].packets = 5;
	cpus[1].bytes = 500;
	cpus[1].icmp = 1;
	cpus[1].arp = 3;
	cpus[0].neigh_foreign = 1;
	cpus[1].neigh_foreign = 2;
	/* tcp_odd is a u32: the sum wraps as the counters do */
	cpus[0].tcp_odd = 0xfffffffe;
	cpus[1].tcp_odd = 5;
	cpus[1].size_hist[5] = 5;
	cpus[1].last_seen_ns = 900;
	cpus[1].sketch[epoch & 1].epoch = epoch;
	cpus[1].sketch[epoch & 1].dst_addr[0] = 1;
	cpus[1].sketch[epoch & 1].dst_port[3] = 1ULL << 63;
	/* the slot of an older epoch on that CPU is not ours */
	cpus[1].sketch[(epoch + 1) & 1].epoch = epoch - 1;
	cpus[1].sketch[(epoch + 1) & 1].dst_addr[1] = ~0ULL;
	/* the window complete at the end of epoch 1001: 14, epochs 896-959 */
	cpus[0].window[0].epoch = 14;
	cpus[0].window[0].dst_port[0] = 3;
	cpus[1].window[0].epoch = 14;
	cpus[1].window[0].dst_port[0] = 6;
	cpus[1].window[1].epoch = 15;	/* the window being filled */
	cpus[1].window[1].dst_port[1] = ~0ULL;
	/* an earlier device of the index */
	cpus[2].cookie = 6;
	cpus[2].window[0].epoch = 14;
	cpus[2].window[0].dst_addr[0] = ~0ULL;
	cpus[2].packets = 1000;
	cpus[2].arp = 500;
	cpus[2].neigh_foreign = 40;
	cpus[2].tcp_odd = 1000;
	cpus[2].last_seen_ns = 10000;
	cpus[2].sketch[epoch & 1].epoch = epoch;
	cpus[2].sketch[epoch & 1].dst_addr[2] = ~0ULL;

	iotguard_features_merge(cpus, 3, 7, epoch, &sum);
	EXPECT_EQ(15, sum.packets);
	EXPECT_EQ(1500, sum.bytes);
	EXPECT_EQ(2, sum.tcp_syn);
	EXPECT_EQ(1, sum.icmp);
	EXPECT_EQ(3, sum.arp);
	EXPECT_EQ(3, sum.tcp_odd);
	EXPECT_EQ(3, sum.neigh_foreign);
	EXPECT_EQ(14, sum.window);
	EXPECT_EQ(3, sum.win_ports);
	EXPECT_EQ(0, sum.win_addrs);
	EXPECT_EQ(14, iotguard_features_window(959));
	EXPECT_EQ(14, iotguard_features_window(1022));
	EXPECT_EQ(15, iotguard_features_window(1023));
	EXPECT_EQ(10, sum.size_hist[1]);
	EXPECT_EQ(5, sum.size_hist[5]);
	EXPECT_EQ(900, sum.last_seen_ns);
	EXPECT_EQ(epoch, sum.epoch);
	EXPECT_EQ(1, sum.dst_addrs);
	EXPECT_EQ(2, sum.dst_ports);

	/* the previous epoch's slot of CPU 0 is empty: nothing */
	iotguard_features_merge(cpus, 3, 7, epoch - 1, &sum);
	EXPECT_EQ(0, sum.dst_ports);
	EXPECT_EQ(15, sum.packets);
}

static uint64_t coarse_epoch(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec) >>
	       IOTGUARD_EPOCH_SHIFT;
}

/* Between two readings of the clock, however long the test is descheduled. */
TEST(epoch_now_matches_the_coarse_clock)
{
	uint64_t before, e, after;

	before = coarse_epoch();
	e = iotguard_features_epoch_now();
	after = coarse_epoch();
	EXPECT_LE(before, e);
	EXPECT_LE(e, after);
}

TEST_HARNESS_MAIN
