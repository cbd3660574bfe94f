// SPDX-License-Identifier: GPL-2.0
/*
 * What the daemon sets in the module for the scorer's events, decided apart
 * from the setting (act() in monitor.c, over netlink) so that the rules can
 * be tested:
 * - a state goes only over allow or over a state the daemon set itself:
 *   one someone else set (an operator's deny without --pin) is theirs, and
 *   the daemon neither lowers nor replaces it;
 * - a release lifts only what the daemon set;
 * - a dry run and a pinned device get nothing;
 * - the scorer learns what is in force: a failed push is undone in it, so
 *   that it is decided, and tried, again at the next interval;
 * - every push is automatic (IOTGUARD_DEVICE_F_AUTO): the module refuses it
 *   on a pinned device, so that an operator's pin always wins.
 */
#include <errno.h>

#include "iotguardd.h"

uint8_t control_state_of(uint8_t action)
{
	switch (action) {
	case IOTGUARD_ACT_QUARANTINE:
		return IOTGUARD_STATE_QUARANTINE;
	case IOTGUARD_ACT_DENY:
		return IOTGUARD_STATE_DENY;
	}
	return 0;
}

enum push control_plan(const struct dstate *ds,
		       const struct iotguard_score_dev *sd,
		       const struct iotguard_score_result *res,
		       uint8_t *state)
{
	uint8_t ours = sd ? control_state_of(sd->enforced) : 0;
	uint8_t now = ds->dev.state, want;

	*state = 0;
	if (res->event == IOTGUARD_EV_NONE)
		return PUSH_NONE;
	/* The operator holds it, whatever the event: every alert says so. */
	if (res->pinned || (ds->dev.flags & IOTGUARD_DEVICE_F_PINNED))
		return PUSH_PINNED;
	/* Another detector's alert: the state in force stays. */
	if (res->event == IOTGUARD_EV_RAISE)
		return PUSH_NONE;
	if (res->event == IOTGUARD_EV_RELEASE) {
		/* An alert, or a state we never set: nothing to lift. */
		if (!ours)
			return PUSH_NONE;
		want = IOTGUARD_STATE_ALLOW;
	} else {
		want = control_state_of(res->action);
		if (!want)
			return PUSH_NONE;
	}
	if (res->dry_run)
		return PUSH_DRY_RUN;
	/* No state said is the module's default, allow. */
	if (now && now != IOTGUARD_STATE_ALLOW && now != ours)
		return PUSH_NOT_OURS;
	*state = want;
	return PUSH_SET;
}

/*
 * Sets state on the device as an automatic change; on success ds holds it
 * at once (its event may come later: the next plan needs it). Returns
 * set()'s 0 or -errno.
 */
static int push_state(struct dstate *ds, uint8_t state, control_set_fn set,
		      void *ctx)
{
	struct iotguard_device dev = {
		.id = ds->dev.id,
		.present = IOTGUARD_DEV_STATE | IOTGUARD_DEV_FLAGS,
		.state = state,
		.flags = IOTGUARD_DEVICE_F_AUTO,
	};
	int ret;

	ret = set(ctx, &dev);
	if (!ret) {
		ds->dev.state = state;
		ds->dev.flags |= IOTGUARD_DEVICE_F_AUTO;
	}
	return ret;
}

enum push control_act(struct iotguard_scorer *scorer, struct dstate *ds,
		      uint32_t slot, const struct iotguard_score_result *res,
		      control_set_fn set, void *ctx)
{
	enum push outcome;
	uint8_t state;
	int ret;

	outcome = control_plan(ds, iotguard_scorer_get(scorer, slot), res,
			       &state);
	if (outcome == PUSH_SET) {
		ret = push_state(ds, state, set, ctx);
		if (ret == -EPERM) {
			/* Pinned meanwhile: its event is on its way. */
			ds->dev.flags |= IOTGUARD_DEVICE_F_PINNED;
			outcome = PUSH_PINNED;
		} else {
			outcome = ret ? PUSH_FAILED : PUSH_DONE;
		}
	}
	if (outcome == PUSH_DONE)
		iotguard_scorer_set_enforced(scorer, slot,
					     res->event == IOTGUARD_EV_RELEASE ?
					     IOTGUARD_ACT_NONE : res->action);
	else if (outcome == PUSH_FAILED || outcome == PUSH_PINNED)
		iotguard_scorer_undo(scorer, slot, res);
	return outcome;
}

void control_device_seen(struct iotguard_scorer *scorer,
			 const struct iotguard_device *dev)
{
	const struct iotguard_score_dev *sd;
	uint8_t ours;

	sd = iotguard_scorer_get(scorer, dev->index);
	ours = sd ? control_state_of(sd->enforced) : 0;
	/* Someone else changed a state we set: it is theirs now. */
	if (ours && sd->cookie == dev->cookie &&
	    (dev->present & IOTGUARD_DEV_STATE) && dev->state != ours)
		iotguard_scorer_forget_action(scorer, dev->index);
}

void control_reconcile(struct iotguard_scorer *scorer,
		       const struct dstate *devs, uint32_t n, bool dry_run)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (!devs[i].present)
			continue;
		control_device_seen(scorer, &devs[i].dev);
		if (!dry_run)
			iotguard_scorer_to_enforced(scorer, i);
	}
}

uint32_t control_restore(struct iotguard_scorer *scorer, struct dstate *devs,
			 uint32_t n, bool dry_run, control_set_fn set,
			 void *ctx, uint32_t *failed)
{
	const struct iotguard_score_dev *sd;
	uint32_t i, restored = 0;
	uint8_t state;

	*failed = 0;
	for (i = 0; i < n; i++) {
		if (!iotguard_scorer_take_reenrolled(scorer, i) ||
		    !devs[i].present || dry_run)
			continue;
		sd = iotguard_scorer_get(scorer, i);
		/* Someone set a state since, or holds it: theirs. */
		if (!sd || (devs[i].dev.flags & IOTGUARD_DEVICE_F_PINNED) ||
		    devs[i].dev.state != IOTGUARD_STATE_ALLOW)
			continue;
		state = control_state_of(sd->enforced);
		if (!state)
			continue;
		if (push_state(&devs[i], state, set, ctx))
			(*failed)++;
		else
			restored++;
	}
	return restored;
}

const char *control_note(enum push outcome)
{
	switch (outcome) {
	case PUSH_FAILED:
		return " (FAILED to apply: tried again at the next interval)";
	case PUSH_DRY_RUN:
		return " (dry run: not done)";
	case PUSH_PINNED:
		return " (pinned: alert only)";
	case PUSH_NOT_OURS:
		return " (the module's state is not the daemon's: left as it is)";
	default:
		return "";
	}
}
