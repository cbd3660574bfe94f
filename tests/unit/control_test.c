// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of user/iotguardd/control.c: what the daemon sets in the
 * module for the scorer's events, with the real scorer and a module that
 * is a state and a switch to refuse the next set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "iotguardd.h"
/* The harness has its own, the same. */
#undef ARRAY_SIZE
/* The 6.1 harness is not -Wextra clean (see parse_test.c). */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"

#define STEADY 100
#define FLOOD 5000
#define RELEASE 30	/* the default release_after */

/* The module: what it holds, how often it was set, whether it refuses. */
struct module {
	uint8_t state;
	uint32_t flags;		/* of the last set */
	unsigned int sets;
	bool refuse;
	bool pinned;		/* refuses automatic changes, as the module */
};

static int module_set(void *ctx, const struct iotguard_device *dev)
{
	struct module *m = ctx;

	if (m->refuse)
		return -ENOBUFS;
	if (m->pinned && (dev->flags & IOTGUARD_DEVICE_F_AUTO))
		return -EPERM;
	m->state = dev->state;
	m->flags = dev->flags;
	m->sets++;
	return 0;
}

FIXTURE(control)
{
	struct iotguard_score_config cfg;
	struct iotguard_scorer *scorer;
	struct iotguard_score_result res;
	struct dstate ds;
	struct module module;
	enum push outcome;
	uint32_t restored;
};

/* The device in slot 1 of the scorer, enrolled with cookie. */
static int enroll_as(struct iotguard_scorer *scorer, uint32_t cookie)
{
	struct iotguard_score_key key = { .family = AF_INET };

	key.addr[0] = 198;
	key.addr[1] = 18;
	key.addr[3] = 10;
	return iotguard_scorer_device(scorer, 1, cookie, &key, 1, false);
}

static int enroll(struct iotguard_scorer *scorer)
{
	return enroll_as(scorer, 7);
}

FIXTURE_SETUP(control)
{
	unsigned int c;

	iotguard_score_config_default(&self->cfg);
	self->cfg.learn = 20;
	/* The baselines alone: a flood acts after act_after intervals. */
	for (c = 0; c < IOTGUARD_SCORE_CLASSES; c++)
		memset(self->cfg.policy[c].limit, 0,
		       sizeof(self->cfg.policy[c].limit));
	ASSERT_EQ(0, iotguard_scorer_new(&self->cfg, 4, &self->scorer));
	memset(&self->ds, 0, sizeof(self->ds));
	self->ds.present = true;
	self->ds.dev.present = IOTGUARD_DEV_INDEX | IOTGUARD_DEV_STATE;
	self->ds.dev.index = 1;
	self->ds.dev.cookie = 7;
	self->ds.dev.state = IOTGUARD_STATE_ALLOW;
	ASSERT_EQ(0, enroll(self->scorer));
	self->module.state = IOTGUARD_STATE_ALLOW;
}

FIXTURE_TEARDOWN(control)
{
	iotguard_scorer_free(self->scorer);
}

/*
 * n intervals of packets, each event acted on as the daemon does; the
 * module's state is the device's (as its events would say). Returns the
 * last event.
 */
static uint8_t run(struct _test_data_control *self, uint64_t packets,
		   unsigned int n)
{
	struct iotguard_score_input in = { .packets = packets };
	uint8_t event = IOTGUARD_EV_NONE;

	while (n--) {
		iotguard_scorer_score(self->scorer, 1, &in, &self->res);
		self->outcome = PUSH_NONE;
		if (self->res.event == IOTGUARD_EV_NONE)
			continue;
		event = self->res.event;
		self->ds.dev.state = self->module.state;
		self->outcome = control_act(self->scorer, &self->ds, 1,
					    &self->res, module_set,
					    &self->module);
	}
	return event;
}

/* What the scorer holds of the device. */
static const struct iotguard_score_dev *sd(struct _test_data_control *self)
{
	return iotguard_scorer_get(self->scorer, 1);
}

/* As the daemon does after a start or out of a dry run. */
static void reconcile(struct _test_data_control *self)
{
	struct dstate devs[2];

	memset(devs, 0, sizeof(devs));
	devs[1] = self->ds;
	devs[1].dev.state = self->module.state;
	control_reconcile(self->scorer, devs, 2, self->cfg.dry_run);
}

/* Dry run on or off, as a reload sets it. */
static void dry_run(struct _test_data_control *self, bool on)
{
	self->cfg.dry_run = on;
	iotguard_scorer_set_config(self->scorer, &self->cfg);
	if (!on)
		reconcile(self);
}

/*
 * Quarantined, then a dry run in which the device calms down (the release
 * is not done), then a restart: the baselines saved and loaded by a new
 * scorer, of cfg.
 */
static void restart_after_dry_run_release(struct __test_metadata *_metadata,
					  struct _test_data_control *self)
{
	char path[] = "/tmp/control_test.XXXXXX";
	uint32_t restored;
	int fd;

	run(self, STEADY, 100);
	ASSERT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	dry_run(self, true);
	ASSERT_EQ(IOTGUARD_EV_RELEASE, run(self, STEADY, RELEASE));
	ASSERT_EQ(PUSH_DRY_RUN, self->outcome);
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, iotguard_scorer_save(self->scorer, path));
	iotguard_scorer_free(self->scorer);
	self->cfg.dry_run = false;
	ASSERT_EQ(0, iotguard_scorer_new(&self->cfg, 4, &self->scorer));
	ASSERT_EQ(0, enroll(self->scorer));
	ASSERT_EQ(0, iotguard_scorer_load(self->scorer, path, &restored, NULL,
					  0));
	unlink(path);
	ASSERT_EQ(1, restored);
}

TEST_F(control, quarantine_escalate_release)
{
	self->cfg.policy[1].action = IOTGUARD_ACT_DENY;
	iotguard_scorer_set_config(self->scorer, &self->cfg);
	run(self, STEADY, 100);
	EXPECT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	EXPECT_EQ(PUSH_DONE, self->outcome);
	EXPECT_EQ(IOTGUARD_STATE_DENY, self->module.state);
	EXPECT_EQ(IOTGUARD_ACT_DENY, sd(self)->enforced);
	EXPECT_STREQ("", control_note(self->outcome));
	EXPECT_EQ(IOTGUARD_EV_RELEASE, run(self, STEADY, RELEASE));
	EXPECT_EQ(PUSH_DONE, self->outcome);
	EXPECT_EQ(IOTGUARD_STATE_ALLOW, self->module.state);
	EXPECT_EQ(IOTGUARD_ACT_NONE, sd(self)->enforced);
	EXPECT_EQ(2, self->module.sets);
}

/* Another detector's alert under a quarantine sets nothing. */
TEST_F(control, a_raise_sets_nothing)
{
	run(self, STEADY, 100);
	ASSERT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	ASSERT_EQ(1, self->module.sets);
	/* quiet: the drop raises its alert, the quarantine stays */
	EXPECT_EQ(IOTGUARD_EV_RAISE, run(self, 0, 2));
	EXPECT_EQ(PUSH_NONE, self->outcome);
	EXPECT_EQ(1, self->module.sets);
	EXPECT_EQ(IOTGUARD_STATE_QUARANTINE, self->module.state);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, sd(self)->enforced);
}

/* An operator's deny (not pinned) is theirs: never lowered, nor released. */
TEST_F(control, a_state_it_did_not_set_stays)
{
	uint8_t state;

	run(self, STEADY, 100);
	self->module.state = IOTGUARD_STATE_DENY;
	EXPECT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	EXPECT_EQ(PUSH_NOT_OURS, self->outcome);
	EXPECT_NE(NULL, strstr(control_note(self->outcome),
			       "not the daemon's"));
	EXPECT_EQ(IOTGUARD_EV_RELEASE, run(self, STEADY, RELEASE));
	EXPECT_EQ(PUSH_NONE, self->outcome);
	EXPECT_EQ(IOTGUARD_STATE_DENY, self->module.state);
	EXPECT_EQ(0, self->module.sets);
	/* an operator's quarantine neither */
	self->module.state = IOTGUARD_STATE_QUARANTINE;
	self->ds.dev.state = IOTGUARD_STATE_QUARANTINE;
	self->res.event = IOTGUARD_EV_ACT;
	self->res.action = IOTGUARD_ACT_DENY;
	EXPECT_EQ(PUSH_NOT_OURS, control_plan(&self->ds, sd(self), &self->res,
					      &state));
	EXPECT_EQ(0, state);
}

/* A release of an alert sets nothing and is no failure. */
TEST_F(control, releasing_an_alert_is_no_failure)
{
	self->cfg.policy[1].action = IOTGUARD_ACT_ALERT;
	iotguard_scorer_set_config(self->scorer, &self->cfg);
	run(self, STEADY, 100);
	EXPECT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	EXPECT_EQ(PUSH_NONE, self->outcome);
	EXPECT_EQ(IOTGUARD_EV_RELEASE, run(self, STEADY, RELEASE));
	EXPECT_EQ(PUSH_NONE, self->outcome);
	EXPECT_STREQ("", control_note(self->outcome));
	EXPECT_EQ(0, self->module.sets);
}

/* A failed set is not believed: tried again at the next interval. */
TEST_F(control, a_failed_set_is_tried_again)
{
	run(self, STEADY, 100);
	self->module.refuse = true;
	EXPECT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	EXPECT_EQ(PUSH_FAILED, self->outcome);
	EXPECT_NE(NULL, strstr(control_note(self->outcome), "FAILED"));
	EXPECT_EQ(IOTGUARD_ACT_NONE, sd(self)->action);
	EXPECT_EQ(IOTGUARD_ACT_NONE, sd(self)->enforced);
	self->module.refuse = false;
	EXPECT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 1));
	EXPECT_EQ(PUSH_DONE, self->outcome);
	EXPECT_EQ(IOTGUARD_STATE_QUARANTINE, self->module.state);
	/* a release too */
	self->module.refuse = true;
	EXPECT_EQ(IOTGUARD_EV_RELEASE, run(self, STEADY, RELEASE));
	EXPECT_EQ(PUSH_FAILED, self->outcome);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, sd(self)->action);
	self->module.refuse = false;
	EXPECT_EQ(IOTGUARD_EV_RELEASE, run(self, STEADY, 1));
	EXPECT_EQ(PUSH_DONE, self->outcome);
	EXPECT_EQ(IOTGUARD_STATE_ALLOW, self->module.state);
}

/* Quarantined, dry run on, calm (released in the dry run), dry run off. */
TEST_F(control, dry_run_release_is_done_after_it)
{
	run(self, STEADY, 100);
	EXPECT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	ASSERT_EQ(IOTGUARD_STATE_QUARANTINE, self->module.state);
	dry_run(self, true);
	EXPECT_EQ(IOTGUARD_EV_RELEASE, run(self, STEADY, RELEASE));
	EXPECT_EQ(PUSH_DRY_RUN, self->outcome);
	EXPECT_EQ(IOTGUARD_STATE_QUARANTINE, self->module.state);
	dry_run(self, false);
	EXPECT_EQ(IOTGUARD_EV_RELEASE, run(self, STEADY, 1));
	EXPECT_EQ(PUSH_DONE, self->outcome);
	EXPECT_EQ(IOTGUARD_STATE_ALLOW, self->module.state);
	EXPECT_EQ(IOTGUARD_ACT_NONE, sd(self)->enforced);
}

/* Decided in a dry run, still anomalous after it: done at once. */
TEST_F(control, dry_run_action_is_done_after_it)
{
	run(self, STEADY, 100);
	dry_run(self, true);
	EXPECT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	EXPECT_EQ(PUSH_DRY_RUN, self->outcome);
	EXPECT_EQ(IOTGUARD_STATE_ALLOW, self->module.state);
	dry_run(self, false);
	EXPECT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 1));
	EXPECT_EQ(PUSH_DONE, self->outcome);
	EXPECT_EQ(IOTGUARD_STATE_QUARANTINE, self->module.state);
	/* decided in a dry run and calm since: nothing strands */
	EXPECT_EQ(IOTGUARD_EV_RELEASE, run(self, STEADY, RELEASE));
	dry_run(self, true);
	EXPECT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	EXPECT_EQ(IOTGUARD_EV_RELEASE, run(self, STEADY, 2 * RELEASE));
	dry_run(self, false);
	EXPECT_EQ(IOTGUARD_EV_NONE, run(self, STEADY, 2 * RELEASE));
	EXPECT_EQ(IOTGUARD_STATE_ALLOW, self->module.state);
	EXPECT_EQ(IOTGUARD_ACT_NONE, sd(self)->action);
}

/* Our quarantine, set back to allow by an operator: theirs from then on. */
TEST_F(control, a_state_someone_else_changed_is_theirs)
{
	struct iotguard_device seen;

	run(self, STEADY, 100);
	EXPECT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	ASSERT_EQ(IOTGUARD_STATE_QUARANTINE, self->module.state);
	/* the event of our own set changes nothing */
	seen = self->ds.dev;
	control_device_seen(self->scorer, &seen);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, sd(self)->enforced);
	/* another device's event in the slot neither */
	seen.state = IOTGUARD_STATE_ALLOW;
	seen.cookie = 8;
	control_device_seen(self->scorer, &seen);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, sd(self)->enforced);
	/* the operator's allow */
	seen.cookie = 7;
	control_device_seen(self->scorer, &seen);
	self->module.state = IOTGUARD_STATE_ALLOW;
	EXPECT_EQ(IOTGUARD_ACT_NONE, sd(self)->enforced);
	EXPECT_EQ(IOTGUARD_ACT_NONE, sd(self)->action);
	/* calm: nothing to release; flooding again: a new decision */
	EXPECT_EQ(IOTGUARD_EV_NONE, run(self, STEADY, 8 * RELEASE));
	EXPECT_EQ(1, self->module.sets);
	EXPECT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	EXPECT_EQ(IOTGUARD_STATE_QUARANTINE, self->module.state);
}

/* Stopped in a dry run with a release not done, started out of one. */
TEST_F(control, a_restart_out_of_a_dry_run_strands_nothing)
{
	restart_after_dry_run_release(_metadata, self);
	ASSERT_EQ(IOTGUARD_STATE_QUARANTINE, self->module.state);
	reconcile(self);
	EXPECT_EQ(IOTGUARD_EV_RELEASE, run(self, STEADY, 1));
	EXPECT_EQ(PUSH_DONE, self->outcome);
	EXPECT_EQ(IOTGUARD_STATE_ALLOW, self->module.state);
}

/* The operator denied it while the daemon was away: theirs. */
TEST_F(control, a_state_changed_while_away_is_not_ours)
{
	restart_after_dry_run_release(_metadata, self);
	self->module.state = IOTGUARD_STATE_DENY;
	reconcile(self);
	EXPECT_EQ(IOTGUARD_ACT_NONE, sd(self)->enforced);
	EXPECT_EQ(IOTGUARD_ACT_NONE, sd(self)->action);
	EXPECT_EQ(IOTGUARD_EV_NONE, run(self, STEADY, 8 * RELEASE));
	EXPECT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	EXPECT_EQ(PUSH_NOT_OURS, self->outcome);
	EXPECT_EQ(IOTGUARD_STATE_DENY, self->module.state);
	EXPECT_EQ(1, self->module.sets);
}

TEST_F(control, pinned_gets_nothing)
{
	self->ds.dev.flags = IOTGUARD_DEVICE_F_PINNED;
	run(self, STEADY, 100);
	EXPECT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	/* the scorer was not told: the flag alone holds it back */
	EXPECT_EQ(PUSH_PINNED, self->outcome);
	EXPECT_EQ(0, self->module.sets);
	/* told, it only alerts, and the alert says why */
	self->ds.dev.flags = 0;
	iotguard_scorer_device(self->scorer, 1, 7, NULL, 1, true);
	EXPECT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	EXPECT_EQ(IOTGUARD_ACT_ALERT, self->res.action);
	EXPECT_EQ(PUSH_PINNED, self->outcome);
	EXPECT_STREQ(" (pinned: alert only)", control_note(self->outcome));
	EXPECT_EQ(0, self->module.sets);
}

/* Every push is automatic: the module refuses it on a pinned device. */
TEST_F(control, pushes_are_automatic)
{
	run(self, STEADY, 100);
	ASSERT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	EXPECT_EQ(PUSH_DONE, self->outcome);
	EXPECT_EQ(IOTGUARD_DEVICE_F_AUTO, self->module.flags);
	EXPECT_EQ(IOTGUARD_EV_RELEASE, run(self, STEADY, RELEASE));
	EXPECT_EQ(IOTGUARD_DEVICE_F_AUTO, self->module.flags);
	EXPECT_EQ(2, self->module.sets);
}

/* Pinned after the last event the daemon read: the module says no. */
TEST_F(control, a_pin_that_came_first_wins)
{
	run(self, STEADY, 100);
	self->module.pinned = true;
	ASSERT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	EXPECT_EQ(PUSH_PINNED, self->outcome);
	EXPECT_EQ(0, self->module.sets);
	EXPECT_EQ(IOTGUARD_STATE_ALLOW, self->module.state);
	/* not believed in force: nothing to release when it calms down */
	EXPECT_EQ(IOTGUARD_ACT_NONE, sd(self)->enforced);
	EXPECT_TRUE(self->ds.dev.flags & IOTGUARD_DEVICE_F_PINNED);
}

/*
 * Quarantined, the baselines saved, and the daemon started again on a
 * module whose device has cookie and state: a reload or a reboot gives
 * the device another cookie and the default state.
 */
static void restart_quarantined(struct __test_metadata *_metadata,
				struct _test_data_control *self,
				uint32_t cookie, uint8_t state)
{
	char path[] = "/tmp/control_test.XXXXXX";
	uint32_t restored, failed;
	struct dstate devs[2];
	int fd;

	run(self, STEADY, 100);
	ASSERT_EQ(IOTGUARD_EV_ACT, run(self, FLOOD, 2));
	ASSERT_EQ(IOTGUARD_STATE_QUARANTINE, self->module.state);
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, iotguard_scorer_save(self->scorer, path));
	iotguard_scorer_free(self->scorer);
	ASSERT_EQ(0, iotguard_scorer_new(&self->cfg, 4, &self->scorer));
	ASSERT_EQ(0, enroll_as(self->scorer, cookie));
	ASSERT_EQ(0, iotguard_scorer_load(self->scorer, path, &restored, NULL,
					  0));
	unlink(path);
	ASSERT_EQ(1, restored);
	self->ds.dev.cookie = cookie;
	self->module.state = state;
	self->module.sets = 0;
	memset(devs, 0, sizeof(devs));
	devs[1] = self->ds;
	devs[1].dev.state = state;
	self->restored = control_restore(self->scorer, devs, 2, false,
					 module_set, &self->module, &failed);
	ASSERT_EQ(0, failed);
	self->ds = devs[1];
	reconcile(self);
}

TEST_F(control, a_quarantine_survives_a_reload)
{
	restart_quarantined(_metadata, self, 8, IOTGUARD_STATE_ALLOW);
	EXPECT_EQ(1, self->restored);
	EXPECT_EQ(IOTGUARD_STATE_QUARANTINE, self->module.state);
	EXPECT_EQ(IOTGUARD_DEVICE_F_AUTO, self->module.flags);
	EXPECT_EQ(IOTGUARD_ACT_QUARANTINE, sd(self)->enforced);
	/* still the daemon's: released when calm, not before */
	EXPECT_EQ(IOTGUARD_EV_NONE, run(self, STEADY, RELEASE - 1));
	EXPECT_EQ(IOTGUARD_EV_RELEASE, run(self, STEADY, 1));
	EXPECT_EQ(IOTGUARD_STATE_ALLOW, self->module.state);
}

/* The same enrollment, allowed while the daemon was away: released. */
TEST_F(control, a_release_while_away_holds)
{
	restart_quarantined(_metadata, self, 7, IOTGUARD_STATE_ALLOW);
	EXPECT_EQ(0, self->restored);
	EXPECT_EQ(0, self->module.sets);
	EXPECT_EQ(IOTGUARD_ACT_NONE, sd(self)->enforced);
}

/* Enrolled anew with a state of its own (the devices file's): theirs. */
TEST_F(control, a_reload_with_another_state_keeps_it)
{
	restart_quarantined(_metadata, self, 8, IOTGUARD_STATE_DENY);
	EXPECT_EQ(0, self->restored);
	EXPECT_EQ(0, self->module.sets);
	EXPECT_EQ(IOTGUARD_STATE_DENY, self->module.state);
	EXPECT_EQ(IOTGUARD_ACT_NONE, sd(self)->enforced);
}

/* A failed resync waits 1, 2, 4 ... 64 intervals, never longer. */
TEST(resync_backoff_doubles_to_64)
{
	static const uint32_t want[] = { 1, 1, 2, 4, 8, 16, 32, 64, 64, 64 };
	uint32_t i;

	for (i = 0; i < ARRAY_SIZE(want); i++)
		EXPECT_EQ(want[i], resync_backoff(i)) TH_LOG("%u failures", i);
	EXPECT_EQ(64, resync_backoff(UINT32_MAX));
}

TEST_HARNESS_MAIN
