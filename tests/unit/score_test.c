// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of user/lib/score.c: known sequences give known scores,
 * detectors fire with the expected explanations, the action state machine
 * counts as documented, baselines survive a save and a load.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "featmap.h"
#include "score.h"
/*
 * The harness gives each test 30 s of wall time; a million devices on a
 * busy machine come close. A net against a hang, not a judgement.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#define LEARN 20

FIXTURE(score)
{
	struct iotguard_score_config cfg;
	struct iotguard_scorer *scorer;
	struct iotguard_score_result res;
};

/* The baselines' detectors alone: no class envelope. */
static void no_envelope(struct iotguard_score_config *cfg)
{
	unsigned int c;

	for (c = 0; c < IOTGUARD_SCORE_CLASSES; c++)
		memset(cfg->policy[c].limit, 0, sizeof(cfg->policy[c].limit));
}

FIXTURE_SETUP(score)
{
	iotguard_score_config_default(&self->cfg);
	self->cfg.learn = LEARN;
	no_envelope(&self->cfg);
	ASSERT_EQ(0, iotguard_scorer_new(&self->cfg, 16, &self->scorer));
}

FIXTURE_TEARDOWN(score)
{
	iotguard_scorer_free(self->scorer);
}

static void add_dev(struct iotguard_scorer *scorer, uint32_t slot,
		    uint16_t class, bool pinned)
{
	struct iotguard_score_key key = { .family = AF_INET };

	key.addr[0] = 198;
	key.addr[1] = 18;
	key.addr[3] = slot;
	iotguard_scorer_device(scorer, slot, 100 + slot, &key, class, pinned);
}

/* n intervals of packets (bytes: 0) and nothing else. */
static void feed(struct iotguard_scorer *scorer, uint32_t slot,
		 uint64_t packets, unsigned int n,
		 struct iotguard_score_result *res)
{
	struct iotguard_score_input in = { .packets = packets };

	while (n--)
		iotguard_scorer_score(scorer, slot, &in, res);
}

/* The z of x against a perfectly steady baseline at c, default floor. */
static double steady_z(double x, double c)
{
	return (log1p(x) - log1p(c)) / 0.25;
}

/*
 * A burst under the threshold moves a mean as a 3-sigma interval at most:
 * a device at 90-110 packets an interval, then 350 (z ~4.6, not flagged):
 * the short horizon's mean moves by alpha * 3 sigma, not alpha * 1.25
 * (its whole distance); its spread learns the whole burst.
 */
TEST_F(score, a_burst_under_the_threshold_drags_no_more_than_3_sigma)
{
	const struct iotguard_score_dev *dev;
	float mean, var, sigma, alpha = 1 - exp2f(-1.0f / 60);
	unsigned int i;

	add_dev(self->scorer, 0, 1, false);
	for (i = 0; i < 400; i++) {
		feed(self->scorer, 0, i & 1 ? 110 : 90, 1, &self->res);
		iotguard_scorer_interval_end(self->scorer);
	}
	dev = iotguard_scorer_get(self->scorer, 0);
	ASSERT_NE(NULL, dev);
	ASSERT_TRUE(alpha > 1.0f / (dev->age + 1));
	mean = dev->mean[0][IOTGUARD_FEAT_PACKETS];
	var = dev->var[0][IOTGUARD_FEAT_PACKETS];
	sigma = sqrtf(var + 0.25f * 0.25f);

	feed(self->scorer, 0, 350, 1, &self->res);
	EXPECT_FALSE(self->res.anomalous);
	EXPECT_EQ(0, self->res.detectors);
	EXPECT_GT(dev->mean[0][IOTGUARD_FEAT_PACKETS], mean);
	EXPECT_LE(dev->mean[0][IOTGUARD_FEAT_PACKETS] - mean,
		  alpha * 3 * sigma + 1e-5f) {
		TH_LOG("moved %.5f, alpha %.5f, 3 sigma %.4f, whole %.4f",
		       dev->mean[0][IOTGUARD_FEAT_PACKETS] - mean, alpha,
		       3 * sigma, log1pf(350) - mean);
	}
	EXPECT_GT(dev->var[0][IOTGUARD_FEAT_PACKETS],
		  (1 - alpha) * (var + alpha * 9 * sigma * sigma));
}

TEST_F(score, constant_input_scores_zero_after_learning)
{
	struct iotguard_score_input in = {
		.packets = 100, .bytes = 6400, .syn = 1, .icmp = 0,
		.dst_addrs = 2, .dst_ports = 2,
		.size_hist = { 100 },
		.have = IOTGUARD_HAVE_SKETCH | IOTGUARD_HAVE_PROTO |
			IOTGUARD_HAVE_SIZE,
	};
	unsigned int i;

	add_dev(self->scorer, 0, 1, false);
	for (i = 0; i < 500; i++) {
		iotguard_scorer_score(self->scorer, 0, &in, &self->res);
		EXPECT_FALSE(self->res.anomalous);
		EXPECT_EQ(IOTGUARD_EV_NONE, self->res.event);
	}
	EXPECT_FALSE(self->res.learning);
	EXPECT_EQ(0, self->res.detectors);
	EXPECT_LT(self->res.score, 1e-3);
	EXPECT_EQ(500, iotguard_scorer_get(self->scorer, 0)->age);
}

TEST_F(score, learning_then_scored)
{
	add_dev(self->scorer, 0, 1, false);
	feed(self->scorer, 0, 100, LEARN - 1, &self->res);
	EXPECT_TRUE(self->res.learning);
	feed(self->scorer, 0, 100, 1, &self->res);
	/* the result of the interval that completed learning */
	EXPECT_TRUE(self->res.learning);
	feed(self->scorer, 0, 100, 1, &self->res);
	EXPECT_FALSE(self->res.learning);
}

TEST_F(score, surge_fires_with_explanation)
{
	const struct iotguard_score_expl *top = &self->res.top;
	char buf[256], want[256];
	double z = steady_z(1000, 100);

	add_dev(self->scorer, 0, 1, false);
	feed(self->scorer, 0, 100, 100, &self->res);
	feed(self->scorer, 0, 1000, 1, &self->res);
	EXPECT_TRUE(self->res.anomalous);
	EXPECT_EQ(1U << IOTGUARD_DET_SURGE, self->res.detectors);
	EXPECT_EQ(IOTGUARD_FEAT_PACKETS, top->feature);
	EXPECT_EQ(IOTGUARD_DET_SURGE, top->detector);
	EXPECT_LT(fabs(top->score - z), 1e-3);
	EXPECT_LT(fabs(self->res.score - z), 1e-3);
	EXPECT_LT(fabs(top->seen - 1000), 1e-2);
	EXPECT_LT(fabs(top->expected - 100), 1e-2);
	/* the edge: 101 e^(6 * 0.25) - 1 */
	EXPECT_LT(fabs(top->limit - (101 * exp(1.5) - 1)), 0.05);
	iotguard_score_explain(top, buf, sizeof(buf));
	snprintf(want, sizeof(want),
		 "surge: packets 1000 per interval, expected 100 (up to %.0f), score %.1f",
		 top->limit, z);
	EXPECT_STREQ(want, buf);
	/* one anomalous interval is not enough to act */
	EXPECT_EQ(IOTGUARD_EV_NONE, self->res.event);
}

TEST_F(score, four_fold_is_tolerated_five_fold_is_not)
{
	add_dev(self->scorer, 0, 1, false);
	add_dev(self->scorer, 1, 1, false);
	feed(self->scorer, 0, 100, 100, &self->res);
	feed(self->scorer, 1, 100, 100, &self->res);
	feed(self->scorer, 0, 400, 1, &self->res);
	EXPECT_FALSE(self->res.anomalous);
	EXPECT_LT(fabs(self->res.score - steady_z(400, 100)), 1e-3);
	feed(self->scorer, 1, 500, 1, &self->res);
	EXPECT_TRUE(self->res.anomalous);
}

TEST(input_scale)
{
	struct iotguard_score_input in = {
		.packets = 60, .bytes = 3840, .syn = 7, .icmp = 3,
		.dst_addrs = 5, .dst_ports = 9,
		.size_hist = { 40, 20 },
	};

	iotguard_score_input_scale(&in, 1.0 / 6);
	EXPECT_EQ(10, in.packets);
	EXPECT_EQ(640, in.bytes);
	EXPECT_EQ(1, in.syn);	/* 1.17 rounds to 1 */
	EXPECT_EQ(1, in.icmp);	/* 0.5 rounds away from 0 */
	EXPECT_EQ(7, in.size_hist[0]);
	EXPECT_EQ(3, in.size_hist[1]);
	/* per epoch, not per span */
	EXPECT_EQ(5, in.dst_addrs);
	EXPECT_EQ(9, in.dst_ports);
}

/* A tick six intervals late reads six intervals' packets: scaled, normal. */
TEST_F(score, late_read_scaled_is_not_a_surge)
{
	struct iotguard_score_input in = { .packets = 600 };

	add_dev(self->scorer, 0, 1, false);
	add_dev(self->scorer, 1, 1, false);
	feed(self->scorer, 0, 100, 100, &self->res);
	feed(self->scorer, 1, 100, 100, &self->res);
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_TRUE(self->res.anomalous);
	iotguard_score_input_scale(&in, 1.0 / 6);
	iotguard_scorer_score(self->scorer, 1, &in, &self->res);
	EXPECT_FALSE(self->res.anomalous);
	EXPECT_LT(self->res.score, 1e-3);
}

TEST_F(score, drop_alerts_only)
{
	add_dev(self->scorer, 0, 1, false);
	feed(self->scorer, 0, 1000, 100, &self->res);
	feed(self->scorer, 0, 50, 1, &self->res);
	EXPECT_EQ(1U << IOTGUARD_DET_DROP, self->res.detectors);
	EXPECT_LT(fabs(self->res.score - fabs(steady_z(50, 1000))), 1e-3);
	feed(self->scorer, 0, 50, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_ALERT, self->res.action);
}

TEST_F(score, hysteresis_and_release)
{
	unsigned int i;

	add_dev(self->scorer, 0, 1, false);
	feed(self->scorer, 0, 100, 100, &self->res);
	/* anomalous, calm, anomalous: never two in a row */
	feed(self->scorer, 0, 5000, 1, &self->res);
	feed(self->scorer, 0, 100, 1, &self->res);
	feed(self->scorer, 0, 5000, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_NONE, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_NONE, self->res.action);
	feed(self->scorer, 0, 5000, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
	EXPECT_EQ(IOTGUARD_ACT_NONE, self->res.prev_action);
	/* still flooding: no new event */
	feed(self->scorer, 0, 5000, 10, &self->res);
	EXPECT_EQ(IOTGUARD_EV_NONE, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
	/* released on the 30th calm interval, not before */
	for (i = 1; i < 30; i++) {
		feed(self->scorer, 0, 100, 1, &self->res);
		ASSERT_EQ(IOTGUARD_EV_NONE, self->res.event) TH_LOG("%u", i);
	}
	feed(self->scorer, 0, 100, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_RELEASE, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_NONE, self->res.action);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.prev_action);
	/* a second offence waits twice as long */
	feed(self->scorer, 0, 5000, 2, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	feed(self->scorer, 0, 100, 59, &self->res);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
	feed(self->scorer, 0, 100, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_RELEASE, self->res.event);
}

/*
 * A release waits release_after calm intervals however many that is: a
 * count of them that stops at 65535 would never get there.
 */
TEST_F(score, release_after_beyond_sixteen_bits)
{
	self->cfg.release_after = 70000;
	iotguard_scorer_set_config(self->scorer, &self->cfg);
	add_dev(self->scorer, 0, 1, false);
	feed(self->scorer, 0, 100, 100, &self->res);
	feed(self->scorer, 0, 5000, 2, &self->res);
	ASSERT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
	feed(self->scorer, 0, 100, 69999, &self->res);
	EXPECT_EQ(IOTGUARD_EV_NONE, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
	feed(self->scorer, 0, 100, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_RELEASE, self->res.event);
}

/* A detector's run counts up to act_after's most, 1000: no byte stops it. */
TEST_F(score, act_after_beyond_eight_bits)
{
	self->cfg.act_after = 300;
	iotguard_scorer_set_config(self->scorer, &self->cfg);
	add_dev(self->scorer, 0, 1, false);
	feed(self->scorer, 0, 100, 100, &self->res);
	feed(self->scorer, 0, 5000, 299, &self->res);
	EXPECT_EQ(IOTGUARD_EV_NONE, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_NONE, self->res.action);
	feed(self->scorer, 0, 5000, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
}

/* An action that could not be done is decided, and tried, again. */
TEST_F(score, undone_action_is_decided_again)
{
	const struct iotguard_score_dev *dev;

	add_dev(self->scorer, 0, 1, false);
	dev = iotguard_scorer_get(self->scorer, 0);
	feed(self->scorer, 0, 100, 100, &self->res);
	feed(self->scorer, 0, 5000, 2, &self->res);
	ASSERT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(1, dev->strikes);
	iotguard_scorer_undo(self->scorer, 0, &self->res);
	EXPECT_EQ(IOTGUARD_ACT_NONE, dev->action);
	EXPECT_EQ(0, dev->strikes);
	/* still anomalous: at once, not act_after intervals later */
	feed(self->scorer, 0, 5000, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
	iotguard_scorer_set_enforced(self->scorer, 0, self->res.action);
	/* a release undone is due again at the next calm interval */
	feed(self->scorer, 0, 100, 30, &self->res);
	ASSERT_EQ(IOTGUARD_EV_RELEASE, self->res.event);
	iotguard_scorer_undo(self->scorer, 0, &self->res);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, dev->action);
	feed(self->scorer, 0, 100, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_RELEASE, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_NONE, self->res.action);
	/* and an anomaly gone quiet needs no action any more */
	feed(self->scorer, 0, 5000, 2, &self->res);
	ASSERT_EQ(IOTGUARD_EV_ACT, self->res.event);
	iotguard_scorer_undo(self->scorer, 0, &self->res);
	feed(self->scorer, 0, 100, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_NONE, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_NONE, self->res.action);
}

/*
 * Out of a dry run the scorer is back to what is in force: a quarantine
 * decided and not done is decided again, a release decided and not done
 * too, an escalation not done is undone.
 */
TEST_F(score, out_of_a_dry_run_back_to_what_is_in_force)
{
	const struct iotguard_score_dev *a, *b, *c;

	add_dev(self->scorer, 0, 1, false);
	add_dev(self->scorer, 1, 1, false);
	add_dev(self->scorer, 2, 1, false);
	a = iotguard_scorer_get(self->scorer, 0);
	b = iotguard_scorer_get(self->scorer, 1);
	c = iotguard_scorer_get(self->scorer, 2);
	feed(self->scorer, 0, 100, 100, &self->res);
	feed(self->scorer, 1, 100, 100, &self->res);
	feed(self->scorer, 2, 100, 100, &self->res);
	/* b and c quarantined for real, then a dry run */
	feed(self->scorer, 1, 5000, 2, &self->res);
	iotguard_scorer_set_enforced(self->scorer, 1, self->res.action);
	feed(self->scorer, 2, 5000, 2, &self->res);
	iotguard_scorer_set_enforced(self->scorer, 2, self->res.action);
	self->cfg.dry_run = true;
	self->cfg.policy[1].action = IOTGUARD_ACT_DENY;
	iotguard_scorer_set_config(self->scorer, &self->cfg);
	/* a: decided, not done; b: released, not done; c: escalated */
	feed(self->scorer, 0, 5000, 2, &self->res);
	EXPECT_EQ(IOTGUARD_ACT_DENY, a->action);
	feed(self->scorer, 1, 100, 30, &self->res);
	EXPECT_EQ(IOTGUARD_EV_RELEASE, self->res.event);
	feed(self->scorer, 2, 5000, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ESCALATE, self->res.event);
	self->cfg.dry_run = false;
	iotguard_scorer_set_config(self->scorer, &self->cfg);
	iotguard_scorer_to_enforced(self->scorer, 0);
	iotguard_scorer_to_enforced(self->scorer, 1);
	iotguard_scorer_to_enforced(self->scorer, 2);
	EXPECT_EQ(IOTGUARD_ACT_NONE, a->action);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, b->action);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, c->action);
	feed(self->scorer, 0, 5000, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_FALSE(self->res.dry_run);
	feed(self->scorer, 1, 100, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_RELEASE, self->res.event);
	feed(self->scorer, 2, 5000, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ESCALATE, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_DENY, self->res.action);
}

TEST_F(score, in_between_scores_hold_the_action)
{
	add_dev(self->scorer, 0, 1, false);
	feed(self->scorer, 0, 100, 100, &self->res);
	feed(self->scorer, 0, 5000, 2, &self->res);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
	/* score ~4.4: not anomalous, not calm (< 3) either */
	feed(self->scorer, 0, 300, 10, &self->res);
	EXPECT_FALSE(self->res.anomalous);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
}

TEST_F(score, anomalies_are_not_learnt)
{
	const struct iotguard_score_dev *dev;
	float mean;

	add_dev(self->scorer, 0, 1, false);
	feed(self->scorer, 0, 100, 100, &self->res);
	dev = iotguard_scorer_get(self->scorer, 0);
	mean = dev->mean[0][IOTGUARD_FEAT_PACKETS];
	feed(self->scorer, 0, 100000, 500, &self->res);
	EXPECT_TRUE(self->res.anomalous);
	EXPECT_EQ(mean, dev->mean[0][IOTGUARD_FEAT_PACKETS]);
}

TEST_F(score, pinned_never_acted_on)
{
	add_dev(self->scorer, 0, 1, true);
	feed(self->scorer, 0, 100, 100, &self->res);
	feed(self->scorer, 0, 100000, 2, &self->res);
	EXPECT_TRUE(self->res.pinned);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_ALERT, self->res.action);
	feed(self->scorer, 0, 100000, 50, &self->res);
	EXPECT_EQ(IOTGUARD_ACT_ALERT, self->res.action);
	/* pinning a device we quarantined hands it to the operator */
	add_dev(self->scorer, 1, 1, false);
	feed(self->scorer, 1, 100, 100, &self->res);
	feed(self->scorer, 1, 100000, 2, &self->res);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
	add_dev(self->scorer, 1, 1, true);
	EXPECT_EQ(IOTGUARD_ACT_NONE,
		  iotguard_scorer_get(self->scorer, 1)->action);
	feed(self->scorer, 1, 100000, 5, &self->res);
	EXPECT_GE(IOTGUARD_ACT_ALERT, self->res.action);
}

TEST_F(score, class_policy_and_dry_run)
{
	self->cfg.policy[2].action = IOTGUARD_ACT_DENY;
	self->cfg.policy[3].action = IOTGUARD_ACT_ALERT;
	self->cfg.dry_run = true;
	iotguard_scorer_set_config(self->scorer, &self->cfg);
	add_dev(self->scorer, 0, 2, false);
	add_dev(self->scorer, 1, 3, false);
	feed(self->scorer, 0, 100, 100, &self->res);
	feed(self->scorer, 1, 100, 100, &self->res);
	feed(self->scorer, 0, 100000, 2, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_DENY, self->res.action);
	EXPECT_TRUE(self->res.dry_run);
	feed(self->scorer, 1, 100000, 2, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_ALERT, self->res.action);
}

TEST_F(score, escalates_from_alert_to_quarantine)
{
	add_dev(self->scorer, 0, 1, false);
	feed(self->scorer, 0, 1000, 100, &self->res);
	feed(self->scorer, 0, 10, 2, &self->res);
	EXPECT_EQ(IOTGUARD_ACT_ALERT, self->res.action);
	/* the surge has a run of its own: the drop's does not count */
	feed(self->scorer, 0, 100000, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_NONE, self->res.event);
	feed(self->scorer, 0, 100000, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ESCALATE, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
	EXPECT_EQ(IOTGUARD_ACT_ALERT, self->res.prev_action);
}

TEST_F(score, silence_after_the_learnt_cadence)
{
	unsigned int i;
	char buf[256];

	/* active one interval in five: gap 5, no jitter */
	add_dev(self->scorer, 0, 1, false);
	for (i = 0; i < 200; i++)
		feed(self->scorer, 0, i % 5 ? 0 : 50, 1, &self->res);
	/* i = 200: the last active interval was 195, so 4 quiet already */
	EXPECT_LT(fabs(iotguard_scorer_get(self->scorer, 0)->gap_mean - 5),
		  1e-3);
	EXPECT_EQ(4, iotguard_scorer_get(self->scorer, 0)->quiet);
	/* tolerance max(5 + 4 * 0, 2 * 5, 5 + 3) = 10 quiet intervals */
	for (i = 5; i <= 10; i++) {
		feed(self->scorer, 0, 0, 1, &self->res);
		ASSERT_FALSE(self->res.detectors & 1U << IOTGUARD_DET_SILENCE)
			TH_LOG("quiet %u", i);
	}
	feed(self->scorer, 0, 0, 1, &self->res);
	EXPECT_EQ(1U << IOTGUARD_DET_SILENCE, self->res.detectors);
	EXPECT_EQ(IOTGUARD_FEAT_SILENCE, self->res.top.feature);
	EXPECT_LT(fabs(self->res.score - 6 * 11.0 / 10), 1e-4);
	EXPECT_EQ(IOTGUARD_EV_NONE, self->res.event);
	feed(self->scorer, 0, 0, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_ALERT, self->res.action);
	iotguard_score_explain(&self->res.top, buf, sizeof(buf));
	EXPECT_STREQ("silence: quiet for 12 intervals, usually every 5.0 (tolerates 10.0), score 7.2",
		     buf);
}

TEST_F(score, jittery_cadence_widens_the_tolerance)
{
	static const unsigned int gaps[] = { 3, 7, 4, 6, 5 };
	const struct iotguard_score_dev *dev;
	unsigned int i, j;

	add_dev(self->scorer, 0, 1, false);
	for (i = 0; i < 40; i++) {
		feed(self->scorer, 0, 10, 1, &self->res);
		feed(self->scorer, 0, 0, gaps[i % 5] - 1, &self->res);
	}
	feed(self->scorer, 0, 10, 1, &self->res);
	dev = iotguard_scorer_get(self->scorer, 0);
	EXPECT_GT(sqrtf(dev->gap_var), 1.0f);
	EXPECT_LT(sqrtf(dev->gap_var), 1.5f);
	/* 5 + 4 * sigma, above 10: a gap of 10 is still fine, 12 is not */
	for (j = 1; j < 10; j++)
		feed(self->scorer, 0, 0, 1, &self->res);
	EXPECT_FALSE(self->res.detectors & 1U << IOTGUARD_DET_SILENCE);
	feed(self->scorer, 0, 0, 2, &self->res);
	EXPECT_TRUE(self->res.detectors & 1U << IOTGUARD_DET_SILENCE);
}

TEST_F(score, class_prior_before_learning)
{
	float mean, var;
	unsigned int i;

	/* three lamps learn 100 packets an interval */
	for (i = 0; i < 3; i++)
		add_dev(self->scorer, i, 1, false);
	for (i = 0; i < LEARN + 1; i++) {
		feed(self->scorer, 0, 100, 1, &self->res);
		feed(self->scorer, 1, 100, 1, &self->res);
		feed(self->scorer, 2, 100, 1, &self->res);
		iotguard_scorer_interval_end(self->scorer);
	}
	ASSERT_TRUE(iotguard_scorer_prior(self->scorer, 1,
					  IOTGUARD_FEAT_PACKETS, &mean, &var));
	EXPECT_LT(fabs(mean - log1p(100)), 1e-4);
	EXPECT_LT(var, 1e-6);
	EXPECT_FALSE(iotguard_scorer_prior(self->scorer, 2,
					   IOTGUARD_FEAT_PACKETS, &mean,
					   &var));

	/* a new lamp flooding from its first interval is caught */
	add_dev(self->scorer, 3, 1, false);
	feed(self->scorer, 3, 1000, 1, &self->res);
	EXPECT_TRUE(self->res.learning);
	EXPECT_TRUE(self->res.anomalous);
	EXPECT_LT(fabs(self->res.score - steady_z(1000, 100)), 1e-3);
	EXPECT_LT(fabs(self->res.top.expected - 100), 1e-2);
	feed(self->scorer, 3, 1000, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	/* a new lamp behaving like its class is not */
	add_dev(self->scorer, 4, 1, false);
	feed(self->scorer, 4, 100, 1, &self->res);
	EXPECT_LT(self->res.score, 1e-3);
	/* a new device of a class without a prior is not scored yet */
	add_dev(self->scorer, 5, 2, false);
	feed(self->scorer, 5, 1000000, 1, &self->res);
	EXPECT_EQ(0, self->res.score);
	EXPECT_FALSE(self->res.anomalous);
}

TEST_F(score, learning_without_prior_learns_bursts)
{
	static const uint64_t cycle[] = { 0, 0, 0, 0, 0, 5000, 3000 };
	unsigned int i;

	/* a meter: quiet, then an upload over two intervals, again */
	add_dev(self->scorer, 0, 2, false);
	for (i = 0; i < 2 * ARRAY_SIZE(cycle); i++) {
		feed(self->scorer, 0, cycle[i % ARRAY_SIZE(cycle)], 1,
		     &self->res);
		ASSERT_EQ(IOTGUARD_EV_NONE, self->res.event)
			TH_LOG("interval %u", i);
	}
	EXPECT_TRUE(self->res.learning);
	/* every interval learnt, the first upload too */
	EXPECT_EQ(2 * ARRAY_SIZE(cycle),
		  iotguard_scorer_get(self->scorer, 0)->age);
}

TEST_F(score, prior_fades_as_the_device_learns)
{
	unsigned int i;

	for (i = 0; i < 3; i++)
		add_dev(self->scorer, i, 1, false);
	for (i = 0; i < LEARN + 1; i++) {
		feed(self->scorer, 0, 100, 1, &self->res);
		feed(self->scorer, 1, 100, 1, &self->res);
		feed(self->scorer, 2, 100, 1, &self->res);
		iotguard_scorer_interval_end(self->scorer);
	}
	/* a lamp at 3x its class: scored, learnt, then at home */
	add_dev(self->scorer, 3, 1, false);
	feed(self->scorer, 3, 300, 1, &self->res);
	EXPECT_LT(fabs(self->res.score - steady_z(300, 100)), 1e-3);
	feed(self->scorer, 3, 300, LEARN + 5, &self->res);
	EXPECT_FALSE(self->res.learning);
	EXPECT_LT(self->res.score, 1e-3);
}

TEST_F(score, scan_on_destinations_and_syns)
{
	struct iotguard_score_input in = {
		.packets = 20, .bytes = 2000, .dst_addrs = 1, .dst_ports = 1,
		.have = IOTGUARD_HAVE_SKETCH | IOTGUARD_HAVE_PROTO,
	};

	add_dev(self->scorer, 0, 1, false);
	for (int i = 0; i < 100; i++)
		iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	in.dst_addrs = 200;
	in.syn = 200;
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_TRUE(self->res.detectors & 1U << IOTGUARD_DET_SCAN);
	EXPECT_EQ(IOTGUARD_FEAT_SYN, self->res.top.feature);
	EXPECT_LT(fabs(self->res.score - steady_z(200, 0)), 1e-3);
	EXPECT_LT(fabs(self->res.feature[IOTGUARD_FEAT_DST_ADDRS] -
		       steady_z(200, 1)), 1e-3);
	/* fewer destinations than usual is no scan */
	in.dst_addrs = 0;
	in.syn = 0;
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(0, self->res.detectors);
}

TEST_F(score, new_destination_surprise)
{
	struct iotguard_score_input in = {
		.packets = 10, .bytes = 1000, .have = IOTGUARD_HAVE_DESTS,
	};
	unsigned int i;
	char buf[256];

	add_dev(self->scorer, 0, 1, false);
	for (i = 0; i < 3000; i++) {
		/* two servers, seen again and again */
		EXPECT_EQ(i == 0, iotguard_scorer_observe_dest(self->scorer,
							      0, 0x1111));
		EXPECT_EQ(i == 0, iotguard_scorer_observe_dest(self->scorer,
							      0, 0x2222));
		iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	}
	EXPECT_FALSE(self->res.anomalous);
	/* lambda fell under the floor 0.001: -ln(1 - e^-0.001) */
	EXPECT_TRUE(iotguard_scorer_observe_dest(self->scorer, 0, 0x3333));
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(1U << IOTGUARD_DET_NEW_DEST, self->res.detectors);
	EXPECT_LT(fabs(self->res.score - -log(-expm1(-0.001))), 1e-3);
	iotguard_score_explain(&self->res.top, buf, sizeof(buf));
	EXPECT_STREQ("new_dest: 1 new destinations in an interval, expected 0.001, score 6.9",
		     buf);
	/*
	 * New in this interval only: acted on at once, not after act_after;
	 * one is a device's life (a new NTP server): an alert, no more.
	 */
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_ALERT, self->res.action);
	/* known now */
	EXPECT_FALSE(iotguard_scorer_observe_dest(self->scorer, 0, 0x3333));
}

/*
 * A device that keeps using 60 destinations knows them all, and a stream
 * of one-off destinations does not push out those it keeps using.
 */
TEST_F(score, destinations_it_keeps_using_stay_known)
{
	uint32_t round, i, fresh = 0, stream = 0x10000;

	add_dev(self->scorer, 0, 1, false);
	for (i = 0; i < 60; i++)
		EXPECT_TRUE(iotguard_scorer_observe_dest(self->scorer, 0, i));
	for (round = 0; round < 50; round++) {
		for (i = 0; i < 60; i++)
			fresh += iotguard_scorer_observe_dest(self->scorer, 0,
							      i);
		/* one-offs, more than the memory holds */
		for (i = 0; i < 3; i++)
			EXPECT_TRUE(iotguard_scorer_observe_dest(self->scorer,
								 0,
								 stream++));
	}
	EXPECT_EQ(0, fresh);
	EXPECT_EQ(IOTGUARD_SCORE_KNOWN_DESTS,
		  iotguard_scorer_get(self->scorer, 0)->dests);
	/* a new device in the slot knows none of them */
	iotguard_scorer_device(self->scorer, 0, 7, NULL, 1, false);
	EXPECT_TRUE(iotguard_scorer_observe_dest(self->scorer, 0, 5));
}

TEST_F(score, size_pattern_change)
{
	struct iotguard_score_input in = {
		.packets = 100, .bytes = 6400, .size_hist = { 0, 100 },
		.have = IOTGUARD_HAVE_SIZE,
	};
	unsigned int i;

	add_dev(self->scorer, 0, 1, false);
	for (i = 0; i < 100; i++)
		iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(0, self->res.detectors);
	/* half the frames move to the largest bucket: distance 0.5 */
	in.size_hist[1] = 50;
	in.size_hist[5] = 50;
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(1U << IOTGUARD_DET_SIZE, self->res.detectors);
	EXPECT_LT(fabs(self->res.score - 0.5 / 0.05), 1e-3);
	EXPECT_LT(fabs(self->res.top.seen - 0.5), 1e-6);
	/* too few frames to judge */
	in.size_hist[1] = 0;
	in.size_hist[5] = 10;
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(0, self->res.detectors);
}

TEST_F(score, persistence_round_trip)
{
	struct iotguard_scorer *again;
	struct iotguard_score_key key = { .family = AF_INET };
	struct iotguard_score_result res2;
	char path[] = "/tmp/score_test.XXXXXX";
	uint32_t restored, version;
	int fd;

	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	close(fd);
	add_dev(self->scorer, 0, 1, false);
	add_dev(self->scorer, 1, 1, false);
	feed(self->scorer, 0, 100, 100, &self->res);
	feed(self->scorer, 1, 7, 100, &self->res);
	ASSERT_EQ(0, iotguard_scorer_save(self->scorer, path));

	ASSERT_EQ(0, iotguard_scorer_new(&self->cfg, 16, &again));
	/* same address in another slot with another cookie */
	key.addr[0] = 198;
	key.addr[1] = 18;
	iotguard_scorer_device(again, 5, 999, &key, 1, false);
	ASSERT_EQ(0, iotguard_scorer_load(again, path, &restored, NULL, 0));
	EXPECT_EQ(1, restored);
	EXPECT_EQ(999, iotguard_scorer_get(again, 5)->cookie);
	EXPECT_EQ(100, iotguard_scorer_get(again, 5)->age);
	feed(self->scorer, 0, 1000, 1, &self->res);
	feed(again, 5, 1000, 1, &res2);
	EXPECT_EQ(self->res.score, res2.score);
	EXPECT_TRUE(res2.anomalous);
	iotguard_scorer_free(again);

	/* the version is 7 (a checksum); one of version 6 is refused */
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, pread(fd, &version, 4, 8));
	EXPECT_EQ(7, version);
	version = 6;
	ASSERT_EQ(4, pwrite(fd, &version, 4, 8));
	close(fd);
	ASSERT_EQ(0, iotguard_scorer_new(&self->cfg, 16, &again));
	EXPECT_EQ(-EPROTO, iotguard_scorer_load(again, path, &restored, NULL,
						0));
	iotguard_scorer_free(again);

	/* a file of another layout is refused */
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, pwrite(fd, "\x63\0\0\0", 4, 8));
	close(fd);
	ASSERT_EQ(0, iotguard_scorer_new(&self->cfg, 16, &again));
	EXPECT_EQ(-EPROTO, iotguard_scorer_load(again, path, &restored, NULL,
						0));
	iotguard_scorer_free(again);
	unlink(path);
}

/* load PATH into a new scorer with device 0's key; its error, why in why. */
static int load_into_new(const struct iotguard_score_config *cfg,
			 const char *path, char *why, size_t why_len)
{
	struct iotguard_scorer *again;
	uint32_t restored = 0;
	int ret;

	if (iotguard_scorer_new(cfg, 16, &again))
		return -ENOMEM;
	add_dev(again, 0, 1, false);
	ret = iotguard_scorer_load(again, path, &restored, why, why_len);
	if (ret && restored)
		ret = -EEXIST;	/* a refused file restored something */
	iotguard_scorer_free(again);
	return ret;
}

/*
 * A baselines file damaged on disk is refused whole, with a reason, and
 * nothing of it is restored: one byte of a record changed (its CRC-32),
 * cut short, with bytes after it, shorter than a header; and a record no
 * scorer writes (a baseline not a number, a count beyond its array) even
 * with its checksum made good.
 */
TEST_F(score, damaged_baselines_refused)
{
	char path[] = "/tmp/score_test.XXXXXX", why[256];
	struct iotguard_score_dev *dev;
	struct stat st;
	uint8_t byte;
	int fd;

	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	close(fd);
	add_dev(self->scorer, 0, 1, false);
	add_dev(self->scorer, 1, 1, false);
	feed(self->scorer, 0, 100, 30, &self->res);
	feed(self->scorer, 1, 7, 30, &self->res);
	ASSERT_EQ(0, iotguard_scorer_save(self->scorer, path));
	ASSERT_EQ(0, load_into_new(&self->cfg, path, why, sizeof(why)));
	ASSERT_EQ(0, stat(path, &st));

	/* a bit flipped in the middle of the records */
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, pread(fd, &byte, 1, st.st_size / 2));
	byte ^= 0x10;
	ASSERT_EQ(1, pwrite(fd, &byte, 1, st.st_size / 2));
	EXPECT_EQ(-EBADMSG, load_into_new(&self->cfg, path, why, sizeof(why)));
	EXPECT_STREQ("its checksum does not match", why);
	byte ^= 0x10;
	ASSERT_EQ(1, pwrite(fd, &byte, 1, st.st_size / 2));
	EXPECT_EQ(0, load_into_new(&self->cfg, path, why, sizeof(why)));

	/* cut short by one byte, longer by one, shorter than a header */
	ASSERT_EQ(0, ftruncate(fd, st.st_size - 1));
	EXPECT_EQ(-EBADMSG, load_into_new(&self->cfg, path, why, sizeof(why)));
	EXPECT_STREQ("its length is not its header's", why);
	ASSERT_EQ(0, ftruncate(fd, st.st_size + 1));
	EXPECT_EQ(-EBADMSG, load_into_new(&self->cfg, path, why, sizeof(why)));
	EXPECT_STREQ("its length is not its header's", why);
	ASSERT_EQ(0, ftruncate(fd, 20));
	EXPECT_EQ(-EBADMSG, load_into_new(&self->cfg, path, why, sizeof(why)));
	EXPECT_STREQ("it is shorter than a header", why);
	ASSERT_EQ(0, ftruncate(fd, 0));
	EXPECT_EQ(-EBADMSG, load_into_new(&self->cfg, path, why, sizeof(why)));
	close(fd);

	/* a baseline that is not a number, written with a good checksum */
	dev = (struct iotguard_score_dev *)iotguard_scorer_get(self->scorer,
							       1);
	ASSERT_NE(NULL, dev);
	dev->var[2][IOTGUARD_FEAT_BYTES] = NAN;
	ASSERT_EQ(0, iotguard_scorer_save(self->scorer, path));
	EXPECT_EQ(-EBADMSG, load_into_new(&self->cfg, path, why, sizeof(why)));
	EXPECT_STREQ("a baseline of bytes not a number", why);
	dev->var[2][IOTGUARD_FEAT_BYTES] = 0;
	dev->dests = 65;
	ASSERT_EQ(0, iotguard_scorer_save(self->scorer, path));
	EXPECT_EQ(-EBADMSG, load_into_new(&self->cfg, path, why, sizeof(why)));
	EXPECT_STREQ("an address, count or action out of range", why);
	dev->dests = 0;
	ASSERT_EQ(0, iotguard_scorer_save(self->scorer, path));
	EXPECT_EQ(0, load_into_new(&self->cfg, path, why, sizeof(why)));
	unlink(path);
}

/*
 * Baselines learnt with another interval, sigma_floor or half-lives are
 * not scored against: the devices learn anew, and say why, but keep the
 * actions in force, which are still the daemon's to lift.
 */
TEST_F(score, baselines_of_another_basis_are_learnt_anew)
{
	struct iotguard_score_config cfg = self->cfg;
	const struct iotguard_score_dev *dev;
	struct iotguard_scorer *again;
	char path[] = "/tmp/score_test.XXXXXX", why[256];
	uint32_t restored;
	int fd;

	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	close(fd);
	add_dev(self->scorer, 0, 1, false);
	add_dev(self->scorer, 1, 1, false);
	feed(self->scorer, 0, 100, 100, &self->res);
	feed(self->scorer, 1, 100, 100, &self->res);
	feed(self->scorer, 1, 5000, 2, &self->res);
	iotguard_scorer_set_enforced(self->scorer, 1, self->res.action);
	EXPECT_TRUE(iotguard_scorer_observe_dest(self->scorer, 0, 42));
	ASSERT_EQ(0, iotguard_scorer_save(self->scorer, path));

	/* the same basis: restored, destinations too */
	ASSERT_EQ(0, iotguard_scorer_new(&cfg, 16, &again));
	add_dev(again, 0, 1, false);
	ASSERT_EQ(0, iotguard_scorer_load(again, path, &restored, why,
					  sizeof(why)));
	EXPECT_STREQ("", why);
	EXPECT_EQ(100, iotguard_scorer_get(again, 0)->age);
	EXPECT_FALSE(iotguard_scorer_observe_dest(again, 0, 42));
	iotguard_scorer_free(again);

	/* another interval: the half-lives in seconds differ too */
	cfg.interval = 2;
	ASSERT_EQ(0, iotguard_scorer_new(&cfg, 16, &again));
	add_dev(again, 0, 1, false);
	add_dev(again, 1, 1, false);
	EXPECT_EQ(-ESTALE, iotguard_scorer_load(again, path, &restored, why,
						sizeof(why)));
	EXPECT_EQ(2, restored);
	EXPECT_STREQ("interval 1 s, now 2 s, half_lives 60 900 14400 s, now 120 1800 28800 s",
		     why);
	dev = iotguard_scorer_get(again, 0);
	EXPECT_EQ(0, dev->age);
	EXPECT_EQ(0, dev->dests);
	dev = iotguard_scorer_get(again, 1);
	EXPECT_EQ(0, dev->age);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, dev->action);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, dev->enforced);
	/* learning anew: a tenfold rate is no surge */
	feed(again, 0, 1000, 1, &self->res);
	EXPECT_TRUE(self->res.learning);
	EXPECT_FALSE(self->res.anomalous);
	iotguard_scorer_free(again);

	/* another sigma_floor, or other half-lives */
	cfg = self->cfg;
	cfg.sigma_floor = 0.5;
	cfg.half_life[0] = 30;
	ASSERT_EQ(0, iotguard_scorer_new(&cfg, 16, &again));
	add_dev(again, 0, 1, false);
	EXPECT_EQ(-ESTALE, iotguard_scorer_load(again, path, &restored, why,
						sizeof(why)));
	EXPECT_STREQ("sigma_floor 0.25, now 0.5, half_lives 60 900 14400 s, now 30 900 14400 s",
		     why);
	EXPECT_EQ(0, iotguard_scorer_get(again, 0)->age);
	iotguard_scorer_free(again);
	unlink(path);
}

/* The shipped configuration, envelopes included. */
static void with_envelope(struct iotguard_score_config *cfg,
			  struct iotguard_scorer *scorer)
{
	iotguard_score_config_default(cfg);
	cfg->learn = LEARN;
	iotguard_scorer_set_config(scorer, cfg);
}

/* A flood from a device enrolled a second ago, no class prior: at once. */
TEST_F(score, envelope_flood_acts_from_enrollment)
{
	struct iotguard_score_input in = { .packets = 2500, .bytes = 150000 };
	char buf[256];

	with_envelope(&self->cfg, self->scorer);
	add_dev(self->scorer, 0, 1, false);
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_TRUE(self->res.learning);
	EXPECT_EQ(1U << IOTGUARD_DET_SURGE, self->res.detectors);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
	EXPECT_TRUE(self->res.top.envelope);
	iotguard_score_explain(&self->res.top, buf, sizeof(buf));
	EXPECT_STREQ("surge: packets 2500 per interval, over the class's limit 1000, score 15.0",
		     buf);
	/* the flood is not learnt */
	EXPECT_EQ(0, iotguard_scorer_get(self->scorer, 0)->age);
}

/* Over the envelope but not act_now times: act_after intervals. */
TEST_F(score, envelope_crossed_a_little_waits_act_after)
{
	struct iotguard_score_input in = {
		.packets = 20, .bytes = 1200, .syn = 15,
		.have = IOTGUARD_HAVE_PROTO,
	};

	with_envelope(&self->cfg, self->scorer);
	add_dev(self->scorer, 0, 1, false);
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(1U << IOTGUARD_DET_SCAN, self->res.detectors);
	EXPECT_LT(fabs(self->res.score - 6 * 15 / 10.0), 1e-4);
	EXPECT_EQ(IOTGUARD_EV_NONE, self->res.event);
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
}

/* Distinct ports per epoch and ICMP per second: scans without baseline. */
TEST_F(score, envelope_scans_on_ports_and_icmp)
{
	struct iotguard_score_input ports = {
		.packets = 500, .bytes = 30000, .dst_addrs = 1,
		.dst_ports = 480, .have = IOTGUARD_HAVE_SKETCH,
	};
	struct iotguard_score_input ping = {
		.packets = 30, .bytes = 1800, .icmp = 30,
		.have = IOTGUARD_HAVE_PROTO,
	};

	with_envelope(&self->cfg, self->scorer);
	add_dev(self->scorer, 0, 1, false);
	add_dev(self->scorer, 1, 1, false);
	iotguard_scorer_score(self->scorer, 0, &ports, &self->res);
	EXPECT_EQ(1U << IOTGUARD_DET_SCAN, self->res.detectors);
	EXPECT_EQ(IOTGUARD_FEAT_DST_PORTS, self->res.top.feature);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	iotguard_scorer_score(self->scorer, 1, &ping, &self->res);
	EXPECT_EQ(IOTGUARD_FEAT_ICMP, self->res.top.feature);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
}

/*
 * An ARP sweep (test8-malicious: 63 requests in its first second, 197 in
 * the next) from a device enrolled a second ago, learning, without a
 * class prior: a scan at once, and not learnt.
 */
TEST_F(score, arp_sweep_acts_from_the_first_interval)
{
	struct iotguard_score_input in = {
		.packets = 1, .bytes = 60, .arp = 63,
		.have = IOTGUARD_HAVE_SKETCH | IOTGUARD_HAVE_PROTO |
			IOTGUARD_HAVE_ARP,
	};
	char buf[256];

	with_envelope(&self->cfg, self->scorer);
	add_dev(self->scorer, 0, 1, false);
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_TRUE(self->res.learning);
	EXPECT_EQ(1U << IOTGUARD_DET_SCAN, self->res.detectors);
	EXPECT_EQ(IOTGUARD_FEAT_ARP, self->res.top.feature);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
	iotguard_score_explain(&self->res.top, buf, sizeof(buf));
	EXPECT_STREQ("scan: arp 63 per interval, over the class's limit 10, score 37.8",
		     buf);
	EXPECT_EQ(0, iotguard_scorer_get(self->scorer, 0)->age);

	/* Without IOTGUARD_HAVE_ARP the count is not read. */
	in.have &= ~IOTGUARD_HAVE_ARP;
	add_dev(self->scorer, 1, 1, false);
	iotguard_scorer_score(self->scorer, 1, &in, &self->res);
	EXPECT_EQ(0, self->res.detectors);
}

/*
 * Evidence no device has a reason to send (*count of it in in, read with
 * have): acts at once with detector det and feature feat, explained as
 * expl, learning or not; a span of three intervals scaled to one still
 * counts it; quiet again, released after release_after calm intervals;
 * without have, not read.
 */
static void evidence_acts_at_once(struct __test_metadata *_metadata,
				  struct _test_data_score *self,
				  struct iotguard_score_input *in,
				  uint64_t *count, uint32_t have,
				  unsigned int feat, unsigned int det,
				  const char *expl)
{
	uint64_t seen = *count;
	char buf[256];
	unsigned int i;

	add_dev(self->scorer, 0, 1, false);
	iotguard_scorer_score(self->scorer, 0, in, &self->res);
	EXPECT_TRUE(self->res.learning);
	EXPECT_EQ(1U << det, self->res.detectors);
	EXPECT_EQ(feat, self->res.top.feature);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
	iotguard_score_explain(&self->res.top, buf, sizeof(buf));
	EXPECT_STREQ(expl, buf);
	EXPECT_EQ(0, iotguard_scorer_get(self->scorer, 0)->age);

	iotguard_score_input_scale(in, 1.0 / 3);
	EXPECT_EQ(seen, *count);

	*count = 0;
	for (i = 0; i < self->cfg.release_after; i++) {
		iotguard_scorer_score(self->scorer, 0, in, &self->res);
		iotguard_scorer_interval_end(self->scorer);
	}
	EXPECT_EQ(IOTGUARD_EV_RELEASE, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_NONE, self->res.action);

	*count = 5;
	in->have &= ~have;
	add_dev(self->scorer, 1, 1, false);
	iotguard_scorer_score(self->scorer, 1, in, &self->res);
	EXPECT_EQ(0, self->res.detectors);
}

/*
 * ARP poisoning (arppoison-attacker: a forged reply and request every few
 * seconds, in the gateway's name, from the device's own MAC): one message
 * in another's name acts at once, learning or not, whatever the span; and
 * once the device stops, it is released like any other.
 */
TEST_F(score, arp_in_anothers_name_acts_at_once)
{
	struct iotguard_score_input in = {
		.packets = 3, .bytes = 300, .neigh_foreign = 1,
		.have = IOTGUARD_HAVE_SKETCH | IOTGUARD_HAVE_PROTO |
			IOTGUARD_HAVE_ARP,
	};

	evidence_acts_at_once(_metadata, self, &in, &in.neigh_foreign,
			      IOTGUARD_HAVE_ARP, IOTGUARD_FEAT_NEIGH_FOREIGN,
			      IOTGUARD_DET_SPOOF,
			      "spoof: 1 ARP or NDP messages in another's name, score 12.0");
}

/*
 * OS fingerprinting (activeosfingerprinting: nmap -O's null, SYN+FIN+PSH+URG
 * and FIN+PSH+URG probes, a dozen in a second among 37 frames): a segment
 * no stack sends is a scan, acted on at once, learning or not, whatever
 * the span, even with few SYNs; and released once it stops.
 */
TEST_F(score, odd_tcp_flags_scan_at_once)
{
	struct iotguard_score_input in = {
		.packets = 12, .bytes = 900, .syn = 4, .tcp_odd = 3,
		.have = IOTGUARD_HAVE_SKETCH | IOTGUARD_HAVE_PROTO |
			IOTGUARD_HAVE_ARP,
	};

	EXPECT_TRUE(iotguard_tcp_flags_odd(0x00));	/* null */
	EXPECT_TRUE(iotguard_tcp_flags_odd(0x29));	/* FIN PSH URG: Xmas */
	EXPECT_TRUE(iotguard_tcp_flags_odd(0x2b));	/* SYN FIN PSH URG */
	EXPECT_TRUE(iotguard_tcp_flags_odd(0x01));	/* FIN */
	EXPECT_TRUE(iotguard_tcp_flags_odd(0x06));	/* SYN RST */
	EXPECT_FALSE(iotguard_tcp_flags_odd(0x02));	/* SYN */
	EXPECT_FALSE(iotguard_tcp_flags_odd(0xc2));	/* SYN ECE CWR */
	EXPECT_FALSE(iotguard_tcp_flags_odd(0x12));	/* SYN ACK */
	EXPECT_FALSE(iotguard_tcp_flags_odd(0x10));	/* ACK */
	EXPECT_FALSE(iotguard_tcp_flags_odd(0x18));	/* PSH ACK */
	EXPECT_FALSE(iotguard_tcp_flags_odd(0x11));	/* FIN ACK */
	EXPECT_FALSE(iotguard_tcp_flags_odd(0x04));	/* RST */
	EXPECT_FALSE(iotguard_tcp_flags_odd(0x14));	/* RST ACK */

	evidence_acts_at_once(_metadata, self, &in, &in.tcp_odd,
			      IOTGUARD_HAVE_PROTO, IOTGUARD_FEAT_TCP_ODD,
			      IOTGUARD_DET_SCAN,
			      "scan: 3 TCP segments with flags no stack sends (null, FIN, Xmas, SYN+FIN: OS fingerprinting or a stealth scan), score 24.0");
}

/*
 * Datagrams its credential refused: an alert at once, learning or not,
 * never an action against the device (a forger would have it cut off),
 * and no hold on another detector's release.
 */
TEST_F(score, failed_credentials_alert_only)
{
	struct iotguard_score_input in = {
		.packets = 3, .bytes = 300, .cred_fail = 40,
		.have = IOTGUARD_HAVE_SKETCH | IOTGUARD_HAVE_PROTO |
			IOTGUARD_HAVE_CRED,
	};
	char buf[256];

	add_dev(self->scorer, 0, 1, false);
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(1U << IOTGUARD_DET_FORGED, self->res.detectors);
	EXPECT_EQ(IOTGUARD_FEAT_CRED_FAIL, self->res.top.feature);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_ALERT, self->res.action);
	iotguard_score_explain(&self->res.top, buf, sizeof(buf));
	EXPECT_STREQ("forged: 40 datagrams in its name failed its credential (bad tag, replay, expired or revoked), score 246.0",
		     buf);

	/* Raised once while it lasts; a span scaled to one keeps them. */
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(IOTGUARD_EV_NONE, self->res.event);
	iotguard_score_input_scale(&in, 1.0 / 4);
	EXPECT_EQ(40, in.cred_fail);

	/* Without IOTGUARD_HAVE_CRED the count is not read. */
	in.have &= ~IOTGUARD_HAVE_CRED;
	add_dev(self->scorer, 1, 1, false);
	iotguard_scorer_score(self->scorer, 1, &in, &self->res);
	EXPECT_EQ(0, self->res.detectors);
}

/*
 * A device's setup: DHCP's probes are not its (they speak for 0.0.0.0),
 * then an announcement or two and a request for the router; the corpus's
 * devices send up to 2 requests a second, and 5 in a second is the most
 * any setup here is allowed. Neither the envelope nor, once learnt at a
 * request now and then, the baseline (under min_count) flags them; 9
 * requests, under the envelope, are a scan against that baseline.
 */
TEST_F(score, setup_arps_are_no_sweep)
{
	struct iotguard_score_input in = {
		.packets = 4, .bytes = 400, .dst_addrs = 1, .dst_ports = 1,
		.have = IOTGUARD_HAVE_SKETCH | IOTGUARD_HAVE_PROTO |
			IOTGUARD_HAVE_ARP,
	};
	unsigned int i;

	with_envelope(&self->cfg, self->scorer);
	add_dev(self->scorer, 0, 1, false);
	in.arp = 5;
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(0, self->res.detectors);
	for (i = 0; i < 200; i++) {
		in.arp = i % 30 == 0;
		iotguard_scorer_score(self->scorer, 0, &in, &self->res);
		EXPECT_EQ(0, self->res.detectors);
	}
	EXPECT_FALSE(self->res.learning);
	/* A sweep under the envelope, against the baseline: a scan. */
	in.arp = 9;
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(1U << IOTGUARD_DET_SCAN, self->res.detectors);
	EXPECT_EQ(IOTGUARD_FEAT_ARP, self->res.top.feature);
	EXPECT_FALSE(self->res.top.envelope);
	/* Set up again: 5 in one interval, a z far over the threshold. */
	in.arp = 5;
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(0, self->res.detectors);
	EXPECT_EQ(IOTGUARD_ACT_NONE, self->res.action);
}

/*
 * A window's sketch of ports as the XDP program fills it
 * (bpf/features.h, iotg_window()): port p of interval t sets one bit.
 */
struct window_sim {
	uint64_t window;
	uint64_t ports[IOTGUARD_SKETCH_WORDS];
};

/*
 * Interval t (one epoch each) of a device whose 3 SYNs go to ports
 * base..base + 2: in->dst_ports is what one epoch's sketch shows, and the
 * interval that starts a window carries the last one's estimate.
 */
static void window_interval(struct window_sim *w, uint64_t t, uint16_t base,
			    struct iotguard_score_input *in)
{
	uint64_t window = t >> IOTGUARD_WINDOW_SHIFT;
	unsigned int i, bit;

	memset(in, 0, sizeof(*in));
	in->packets = 3;
	in->bytes = 180;
	in->syn = 3;
	in->dst_addrs = 1;
	in->dst_ports = 3;
	in->have = IOTGUARD_HAVE_SKETCH | IOTGUARD_HAVE_PROTO;
	if (window != w->window) {
		in->win_addrs = 1;
		in->win_ports = iotguard_sketch_estimate(w->ports);
		in->have |= IOTGUARD_HAVE_WINDOW;
		memset(w->ports, 0, sizeof(w->ports));
		w->window = window;
	}
	for (i = 0; i < 3; i++) {
		bit = iotguard_sketch_bit((uint64_t)IPPROTO_TCP << 16 |
					  (uint16_t)(base + i),
					  window * IOTGUARD_SKETCH_M1);
		w->ports[bit / 64] |= 1ULL << (bit % 64);
	}
}

/*
 * Low and slow: 3 SYNs a second to 3 new ports each second, for 5
 * minutes, from a device that sends 3 SYNs a second to its 3 usual ports:
 * each second looks the same, the window does not. The steady device is
 * never flagged; the scanner is quarantined at the end of the first
 * window its scan fills, held while it scans (the seconds between windows
 * look calm), and released once a window is calm again.
 */
TEST_F(score, low_and_slow_scan_caught_by_the_window)
{
	struct window_sim w[2] = { { .window = 0 }, { .window = 0 } };
	struct iotguard_score_input in;
	uint64_t t, acted = 0, released = 0;
	char buf[256];

	with_envelope(&self->cfg, self->scorer);
	add_dev(self->scorer, 0, 1, false);
	add_dev(self->scorer, 1, 1, false);
	for (t = 0; t < 200 + 300 + 200; t++) {
		window_interval(&w[0], t, 8000, &in);
		iotguard_scorer_score(self->scorer, 0, &in, &self->res);
		EXPECT_EQ(0, self->res.detectors) {
			TH_LOG("the steady device flagged at %llu",
			       (unsigned long long)t);
		}
		window_interval(&w[1], t, t < 200 || t >= 500 ? 8000 :
					  1000 + 3 * t, &in);
		iotguard_scorer_score(self->scorer, 1, &in, &self->res);
		if (t < 200) {
			EXPECT_EQ(0, self->res.detectors);
			continue;
		}
		if (self->res.event == IOTGUARD_EV_RELEASE && !released)
			released = t;
		if (acted && t < 500)
			EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
		if (self->res.event == IOTGUARD_EV_ACT && !acted) {
			acted = t;
			EXPECT_EQ(IOTGUARD_FEAT_WIN_PORTS,
				  self->res.top.feature);
			EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
			EXPECT_TRUE(self->res.top.envelope);
			iotguard_score_explain(&self->res.top, buf,
					       sizeof(buf));
			EXPECT_NE(NULL, strstr(buf,
					       "scan: ports ")) TH_LOG("%s", buf);
			EXPECT_NE(NULL, strstr(buf,
					       " in a window of 64 epochs, over the class's limit 64, score "))
				TH_LOG("%s", buf);
			/* 3 new ports a second: ~190 of 64 epochs */
			EXPECT_LT(150, self->res.top.seen);
			EXPECT_GT(230, self->res.top.seen);
		}
	}
	/* The window that ended at 256 held 56 scanning seconds: 168. */
	EXPECT_EQ(256, acted);
	/* The window of 512-575 is the first without the scan. */
	EXPECT_EQ(576, released);
}

/*
 * A window read after a scan that was flagged in it says nothing new: not
 * scored (it would quarantine again, up to a window late, a scan acted on
 * and over). The next window is scored again.
 */
TEST_F(score, window_of_a_scan_seen_is_not_scored_again)
{
	struct iotguard_score_input fast = {
		.packets = 100, .bytes = 6000, .syn = 100,
		.have = IOTGUARD_HAVE_PROTO,
	};
	struct iotguard_score_input window = {
		.packets = 1, .bytes = 60, .win_addrs = 1, .win_ports = 300,
		.have = IOTGUARD_HAVE_WINDOW,
	};

	with_envelope(&self->cfg, self->scorer);
	add_dev(self->scorer, 0, 1, false);
	iotguard_scorer_score(self->scorer, 0, &fast, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_FEAT_SYN, self->res.top.feature);
	iotguard_scorer_score(self->scorer, 0, &window, &self->res);
	EXPECT_EQ(0, self->res.detectors);
	iotguard_scorer_score(self->scorer, 0, &window, &self->res);
	EXPECT_EQ(1U << IOTGUARD_DET_SCAN, self->res.detectors);
	EXPECT_EQ(IOTGUARD_FEAT_WIN_PORTS, self->res.top.feature);
}

/* Rates are per second: a 2 s interval holds twice the packets. */
TEST_F(score, envelope_is_per_second)
{
	struct iotguard_score_input in = { .packets = 1500 };

	with_envelope(&self->cfg, self->scorer);
	self->cfg.interval = 2;
	iotguard_scorer_set_config(self->scorer, &self->cfg);
	add_dev(self->scorer, 0, 1, false);
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(0, self->res.detectors);
	in.packets = 2500;
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(1U << IOTGUARD_DET_SURGE, self->res.detectors);
}

/* A silence alert in force masks no later detector. */
TEST_F(score, silence_alert_masks_no_scan)
{
	struct iotguard_score_input scan = {
		.packets = 100, .bytes = 6000, .syn = 100,
		.have = IOTGUARD_HAVE_PROTO,
	};
	unsigned int i;

	with_envelope(&self->cfg, self->scorer);
	self->cfg.policy[3].action = IOTGUARD_ACT_ALERT;
	iotguard_scorer_set_config(self->scorer, &self->cfg);
	add_dev(self->scorer, 0, 1, false);
	add_dev(self->scorer, 1, 3, false);
	for (i = 0; i < 100; i++) {
		feed(self->scorer, 0, i % 2 ? 0 : 5, 1, &self->res);
		feed(self->scorer, 1, i % 2 ? 0 : 5, 1, &self->res);
	}
	feed(self->scorer, 0, 0, 12, &self->res);
	ASSERT_EQ(IOTGUARD_ACT_ALERT, self->res.action);
	feed(self->scorer, 1, 0, 12, &self->res);
	ASSERT_EQ(IOTGUARD_ACT_ALERT, self->res.action);
	/* quarantine policy: the scan escalates, in its first interval */
	iotguard_scorer_score(self->scorer, 0, &scan, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ESCALATE, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
	EXPECT_EQ(1U << IOTGUARD_DET_SCAN, self->res.raised);
	/* alert policy: the scan raises an alert of its own */
	iotguard_scorer_score(self->scorer, 1, &scan, &self->res);
	EXPECT_EQ(IOTGUARD_EV_RAISE, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_ALERT, self->res.action);
	/*
	 * And once: the scan goes on without a new alert (its surge over the
	 * baseline raises its own after act_after intervals).
	 */
	iotguard_scorer_score(self->scorer, 1, &scan, &self->res);
	EXPECT_EQ(1U << IOTGUARD_DET_SURGE, self->res.raised);
	iotguard_scorer_score(self->scorer, 1, &scan, &self->res);
	EXPECT_EQ(IOTGUARD_EV_NONE, self->res.event);
}

/* A quarantined device gone quiet is released; its silence alerts on. */
TEST_F(score, silence_never_holds_a_quarantine)
{
	struct iotguard_score_input flood = { .packets = 5000 };
	unsigned int i;

	with_envelope(&self->cfg, self->scorer);
	add_dev(self->scorer, 0, 1, false);
	for (i = 0; i < 100; i++)
		feed(self->scorer, 0, i % 2 ? 0 : 5, 1, &self->res);
	iotguard_scorer_score(self->scorer, 0, &flood, &self->res);
	ASSERT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
	for (i = 0; i < 29; i++) {
		feed(self->scorer, 0, 0, 1, &self->res);
		ASSERT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action)
			TH_LOG("quiet %u", i);
	}
	EXPECT_TRUE(self->res.detectors & 1U << IOTGUARD_DET_SILENCE);
	feed(self->scorer, 0, 0, 1, &self->res);
	EXPECT_EQ(IOTGUARD_EV_RELEASE, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_ALERT, self->res.action);
}

/* A learning device learns no interval a detector flags, prior or not. */
TEST_F(score, learning_never_learns_a_flagged_interval)
{
	struct iotguard_score_input in = { .packets = 1500 };

	with_envelope(&self->cfg, self->scorer);
	add_dev(self->scorer, 0, 2, false);
	feed(self->scorer, 0, 10, 3, &self->res);
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_TRUE(self->res.learning);
	EXPECT_TRUE(self->res.anomalous);
	EXPECT_EQ(3, iotguard_scorer_get(self->scorer, 0)->age);
	EXPECT_LT(fabs(iotguard_scorer_get(self->scorer, 0)->mean[0][0] -
		       log1p(10)), 1e-4);
}

/* A setup's burst after a few packets is no surge: no prior, no judge. */
TEST_F(score, cold_start_burst_is_no_surge)
{
	with_envelope(&self->cfg, self->scorer);
	add_dev(self->scorer, 0, 2, false);
	feed(self->scorer, 0, 1, 10, &self->res);
	feed(self->scorer, 0, 70, 3, &self->res);
	EXPECT_TRUE(self->res.learning);
	EXPECT_EQ(0, self->res.detectors);
	EXPECT_EQ(IOTGUARD_ACT_NONE, self->res.action);
}

/* Against a baseline, a handful of SYNs is no scan. */
TEST_F(score, a_handful_is_no_scan)
{
	struct iotguard_score_input in = {
		.packets = 20, .bytes = 2000, .have = IOTGUARD_HAVE_PROTO,
	};
	unsigned int i;

	add_dev(self->scorer, 0, 1, false);
	for (i = 0; i < 100; i++)
		iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	in.syn = 5;		/* z 7.2 over a baseline of none */
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(0, self->res.detectors);
	in.syn = 8;
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(1U << IOTGUARD_DET_SCAN, self->res.detectors);
}

/* A few new destinations (a new setup) alert; many act. */
TEST_F(score, new_destinations_act_from_new_dest_act)
{
	struct iotguard_score_input in = {
		.packets = 10, .bytes = 1000, .have = IOTGUARD_HAVE_DESTS,
	};
	uint32_t i;

	add_dev(self->scorer, 0, 1, false);
	add_dev(self->scorer, 1, 1, false);
	for (i = 0; i < 3000; i++) {
		iotguard_scorer_observe_dest(self->scorer, 0, 0x1111);
		iotguard_scorer_observe_dest(self->scorer, 1, 0x1111);
		iotguard_scorer_score(self->scorer, 0, &in, &self->res);
		iotguard_scorer_score(self->scorer, 1, &in, &self->res);
	}
	for (i = 0; i < 7; i++)
		iotguard_scorer_observe_dest(self->scorer, 0, 0x100 + i);
	iotguard_scorer_score(self->scorer, 0, &in, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_ALERT, self->res.action);
	for (i = 0; i < 8; i++)
		iotguard_scorer_observe_dest(self->scorer, 1, 0x100 + i);
	iotguard_scorer_score(self->scorer, 1, &in, &self->res);
	EXPECT_EQ(IOTGUARD_EV_ACT, self->res.event);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, self->res.action);
}

TEST(actions_parse)
{
	uint8_t action = 0;

	EXPECT_EQ(0, iotguard_parse_action("deny", &action));
	EXPECT_EQ(IOTGUARD_ACT_DENY, action);
	EXPECT_EQ(0, iotguard_parse_action("alert", &action));
	EXPECT_EQ(IOTGUARD_ACT_ALERT, action);
	EXPECT_EQ(-EINVAL, iotguard_parse_action("none", &action));
	EXPECT_STREQ("quarantine",
		     iotguard_action_name(IOTGUARD_ACT_QUARANTINE));
}

/*
 * 10^6 devices in one scorer: once they have learnt (and have the samples
 * features need) every one is scored, and of these steady ones only the
 * one that floods is anomalous. How fast is make bench's question (a
 * wall-clock limit here failed on a busy machine): the time is only logged.
 */
TEST(one_million_devices)
{
	struct iotguard_score_config cfg;
	struct iotguard_scorer *scorer;
	struct iotguard_score_result res;
	struct iotguard_score_input in = {
		.bytes = 6400, .dst_addrs = 2, .dst_ports = 2,
		.size_hist = { 10, 90 },
		.have = IOTGUARD_HAVE_SKETCH | IOTGUARD_HAVE_PROTO |
			IOTGUARD_HAVE_SIZE | IOTGUARD_HAVE_DESTS,
	};
	const uint32_t n = 1000000, flood = 123457;
	const int rounds = 8;	/* > min_samples, in which features score */
	uint32_t i, scored = 0, anomalous = 0, which = 0;
	struct timespec a, b;
	double secs;

	iotguard_score_config_default(&cfg);
	cfg.learn = 2;
	ASSERT_EQ(0, iotguard_scorer_new(&cfg, n, &scorer));
	for (i = 0; i < n; i++)
		iotguard_scorer_device(scorer, i, i + 1, NULL, i % 6, false);
	for (int round = 0; round < rounds; round++) {
		bool last = round == rounds - 1;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (i = 0; i < n; i++) {
			in.packets = 90 + (i + round) % 20;
			if (last && i == flood)
				in.packets = 100000;
			iotguard_scorer_score(scorer, i, &in, &res);
			if (last) {
				scored += !res.learning;
				anomalous += res.anomalous;
				if (res.anomalous)
					which = i;
			}
		}
		iotguard_scorer_interval_end(scorer);
		clock_gettime(CLOCK_MONOTONIC, &b);
	}
	secs = b.tv_sec - a.tv_sec + (b.tv_nsec - a.tv_nsec) / 1e9;
	TH_LOG("1e6 devices scored in %.3f s, %zu bytes per device (%zu scored every interval)",
	       secs, iotguard_scorer_slot_bytes(),
	       sizeof(struct iotguard_score_dev));
	EXPECT_EQ(n, scored);
	EXPECT_EQ(1, anomalous);
	EXPECT_EQ(flood, which);
	EXPECT_EQ(rounds, iotguard_scorer_get(scorer, n - 1)->age);
	iotguard_scorer_free(scorer);
}

TEST_HARNESS_MAIN
