/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The anomaly scorer of iotguardd: per-device streaming baselines, scores
 * with explanations, detectors and the action state machine. Pure
 * computation, no I/O but iotguard_scorer_save()/_load().
 *
 * Devices live in slots (the module's device index) of a table allocated
 * once; scoring an interval allocates nothing. Every interval the caller
 * feeds each device's counters of that interval, in any order, then calls
 * iotguard_scorer_interval_end().
 *
 * Baselines. Counts are scored in log space, y = ln(1 + x): a surge or a
 * drop by a factor weighs the same at any rate, and Poisson-like noise of
 * busy devices shrinks. Each feature keeps an exponentially weighted mean
 * and variance at three horizons (half-lives ~1 min, ~15 min, ~4 h of
 * intervals by default); the weight starts as a running mean (1/n) so the
 * first intervals are not biased towards zero. A feature's score is the
 * z of the interval against each horizon, sigma = sqrt(var + floor^2), and
 * the most forgiving horizon wins: a seasonal device whose long horizon
 * holds both its modes is not flagged when its short horizon moves. The
 * floor keeps a perfectly regular device from being infinitely sensitive
 * (with the default 0.25, a steady device trips at about 4.5x or 1/4.5 of
 * its rate). Anomalous intervals are not learnt, so an attack never
 * becomes the baseline.
 *
 * Class priors. Devices of a class that finished learning pool their
 * 15-min baselines (mean of means; variance by the law of total variance).
 * A learning device is scored against a blend of its own baseline and its
 * class's, the prior weighing k/(k + n) after n learnt intervals, so a new
 * device is not blind; a class with too few learnt devices gives no prior,
 * and a learning device is then judged by the envelopes alone.
 *
 * Envelopes. Each class has absolute limits that need no baseline:
 * packets, bytes, SYNs, ICMP and ARP requests per second, distinct
 * destination addresses and ports per epoch, and per window of 64 epochs
 * (~69 s: a scan of a few new ports a second, for minutes, is one of many
 * ports in a window; a window over its limit acts at once, and holds the
 * action until a window is under it). They judge every device from its
 * first interval, learning or not, as a flood (surge) or a scan. No
 * device learns an interval any detector flags, so an attack while it
 * learns is never its baseline. While learning, a device is judged against its
 * class's prior (if the class has one) and the envelopes only, never
 * against the few intervals it has learnt itself: a setup's burst after a
 * handful of packets is no surge, and a meter's first upload is learnt.
 * Against a baseline too, a surge or a scan needs min_count of its
 * packets (SYNs, destinations...) in the interval.
 *
 * Actions. Each detector has its own run of flagged intervals and raises
 * its own alert: after act_after intervals in a row, at once for a new
 * destination (new in one interval only) or an envelope crossed act_now
 * times. A detector whose action is more severe than the one in force
 * escalates it; one that is not raises an alert of its own
 * (IOTGUARD_EV_RAISE) and the action stays. Silence and drop only alert,
 * end when the device has spoken again for release_after intervals, and
 * never hold an action: a device is calm, and released after
 * release_after calm intervals, when the other detectors are. A few new
 * destinations (fewer than new_dest_act: a device's DHCP, DNS, NTP, its
 * cloud at a new setup) only alert.
 *
 * Destinations. A device remembers the hashes of the last
 * IOTGUARD_SCORE_KNOWN_DESTS destinations it used, replacing, when full,
 * one it has not used again since the last replacement passed it (the
 * clock, or second-chance, policy): those it keeps using stay known. They
 * live apart from the baselines, which scoring reads every interval.
 */
#ifndef IOTGUARD_USER_SCORE_H
#define IOTGUARD_USER_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iotguard/features.h>

#define IOTGUARD_SCORE_HORIZONS 3
/* Classes with a prior and a policy of their own; higher ones share 0's. */
#define IOTGUARD_SCORE_CLASSES 256
/* Destinations remembered per device, for "new destination" (at most 64). */
#define IOTGUARD_SCORE_KNOWN_DESTS 64

enum iotguard_feature {
	/* log-space counts with baselines */
	IOTGUARD_FEAT_PACKETS,
	IOTGUARD_FEAT_BYTES,
	IOTGUARD_FEAT_DST_ADDRS,
	IOTGUARD_FEAT_DST_PORTS,
	IOTGUARD_FEAT_SYN,
	IOTGUARD_FEAT_ICMP,
	IOTGUARD_FEAT_ARP,
	IOTGUARD_FEAT_LOG_MAX,
	/* scored their own way */
	IOTGUARD_FEAT_NEW_DESTS = IOTGUARD_FEAT_LOG_MAX,
	IOTGUARD_FEAT_SIZE,
	IOTGUARD_FEAT_SILENCE,
	/* distinct over a window of 2^IOTGUARD_WINDOW_SHIFT epochs */
	IOTGUARD_FEAT_WIN_ADDRS,
	IOTGUARD_FEAT_WIN_PORTS,
	/* ARP and NDP in another's name: any is evidence */
	IOTGUARD_FEAT_NEIGH_FOREIGN,
	/* datagrams in its name that failed its credential */
	IOTGUARD_FEAT_CRED_FAIL,
	/* TCP flags no stack sends (iotguard_tcp_flags_odd()): any is evidence */
	IOTGUARD_FEAT_TCP_ODD,
	IOTGUARD_FEAT_MAX
};

enum iotguard_detector {
	IOTGUARD_DET_SURGE,	/* packets or bytes up */
	IOTGUARD_DET_DROP,	/* packets or bytes down */
	IOTGUARD_DET_SILENCE,	/* quiet beyond the learnt cadence */
	/* destinations, ports, SYNs, ICMP or ARP up; odd TCP flags */
	IOTGUARD_DET_SCAN,
	IOTGUARD_DET_NEW_DEST,	/* more new destinations than learnt */
	IOTGUARD_DET_SIZE,	/* packet size histogram changed */
	IOTGUARD_DET_SPOOF,	/* ARP or NDP in another's name */
	IOTGUARD_DET_FORGED,	/* datagrams failed its credential: alert */
	IOTGUARD_DET_MAX
};

/* What a class's policy does to an anomalous device; ordered by severity. */
enum iotguard_action {
	IOTGUARD_ACT_NONE,
	IOTGUARD_ACT_ALERT,
	IOTGUARD_ACT_QUARANTINE,
	IOTGUARD_ACT_DENY,
	IOTGUARD_ACT_MAX
};

struct iotguard_score_policy {
	uint8_t action;		/* enum iotguard_action, ALERT or more */
	float threshold;	/* a score above it is anomalous */
	/*
	 * The envelope, by feature (0: none): packets, bytes, syn, icmp,
	 * arp per second; dst_addrs, dst_ports per epoch (the sketch's);
	 * win_addrs, win_ports per window. Only these have one.
	 */
	float limit[IOTGUARD_FEAT_MAX];
};

struct iotguard_score_config {
	float half_life[IOTGUARD_SCORE_HORIZONS];	/* in intervals */
	float sigma_floor;	/* log space: 0.25 is +-28% */
	float size_floor;	/* histogram distance (total variation) */
	float new_dest_floor;	/* least new destinations per interval */
	uint32_t learn;		/* intervals learnt before a device is on its own */
	uint32_t min_samples;	/* learnt intervals before scoring without prior */
	float prior_weight;	/* k: the prior weighs k / (k + n) */
	uint32_t prior_min_devices;	/* learnt devices a class prior needs */
	/* N anomalous intervals in a row to act (a new destination: at once) */
	uint32_t act_after;
	float act_now;		/* an envelope crossed this many times: now */
	uint32_t min_count;	/* a baseline's surge or scan needs as many */
	uint32_t new_dest_act;	/* new destinations that act; fewer alert */
	uint32_t release_after;	/* M calm intervals in a row to release */
	float release_ratio;	/* calm: score below threshold * ratio */
	float silence_k;	/* tolerance: mean gap + k sigma... */
	float silence_factor;	/* ...and at least factor * mean gap... */
	float silence_min;	/* ...and mean gap + this many intervals */
	uint32_t size_min_packets;	/* an interval's histogram counts from */
	bool dry_run;		/* decide, but mark every action as not done */
	/*
	 * Seconds per interval: the counts, and so the baselines, are per
	 * interval. Only recorded with them (iotguard_scorer_save()).
	 */
	double interval;
	struct iotguard_score_policy policy[IOTGUARD_SCORE_CLASSES];
};

void iotguard_score_config_default(struct iotguard_score_config *cfg);

/* One interval of one device. */
enum iotguard_score_have {
	IOTGUARD_HAVE_SKETCH = 1U << 0,	/* dst_addrs, dst_ports */
	IOTGUARD_HAVE_PROTO = 1U << 1,	/* syn, icmp */
	IOTGUARD_HAVE_SIZE = 1U << 2,	/* size_hist */
	IOTGUARD_HAVE_DESTS = 1U << 3,	/* iotguard_scorer_observe_dest() */
	IOTGUARD_HAVE_ARP = 1U << 4,	/* arp */
	/* win_addrs, win_ports: a window completed since the last one */
	IOTGUARD_HAVE_WINDOW = 1U << 5,
	IOTGUARD_HAVE_CRED = 1U << 6,	/* cred_fail */
};

struct iotguard_score_input {
	uint64_t packets;	/* offered: passed and dropped for rate/deny */
	uint64_t bytes;
	uint64_t syn;
	uint64_t icmp;
	uint64_t arp;		/* ARP requests in the device's name */
	uint64_t neigh_foreign;	/* ARP, NDP in another's (IOTGUARD_HAVE_ARP) */
	/* TCP with flags no stack sends (IOTGUARD_HAVE_PROTO) */
	uint64_t tcp_odd;
	/* dropped for its credential: bad tag, replay, expired, revoked */
	uint64_t cred_fail;
	uint32_t dst_addrs;	/* distinct, estimated */
	uint32_t dst_ports;
	uint32_t win_addrs;	/* distinct over the last window, estimated */
	uint32_t win_ports;
	uint64_t size_hist[IOTGUARD_SIZE_BUCKETS];
	uint32_t have;		/* enum iotguard_score_have */
};

/* Why a feature scored what it did, in the feature's natural units. */
struct iotguard_score_expl {
	uint8_t feature;	/* enum iotguard_feature */
	uint8_t detector;	/* enum iotguard_detector */
	uint8_t horizon;	/* the baseline's, for log features */
	float score;
	double seen;		/* per interval; silence: intervals quiet */
	double expected;	/* per interval; silence: mean gap */
	double limit;		/* the edge of the tolerated range */
	bool envelope;		/* limit: the class's, not a baseline's */
};

enum iotguard_score_event {
	IOTGUARD_EV_NONE,
	IOTGUARD_EV_ACT,	/* became anomalous: action taken */
	IOTGUARD_EV_ESCALATE,	/* a more severe action */
	IOTGUARD_EV_RELEASE,	/* calm again: action lifted */
	IOTGUARD_EV_RAISE,	/* another detector alerts; the action stays */
};

struct iotguard_score_result {
	float score;		/* the highest feature score */
	float feature[IOTGUARD_FEAT_MAX];
	uint32_t detectors;	/* bits of the detectors above threshold */
	uint32_t raised;	/* bits of the detectors this event raised */
	float detector[IOTGUARD_DET_MAX];	/* the highest score of each */
	struct iotguard_score_expl top;	/* the highest feature */
	uint8_t event;		/* enum iotguard_score_event */
	uint8_t action;		/* the state after the event */
	uint8_t prev_action;	/* the state before it */
	bool anomalous;		/* score above the class threshold */
	bool learning;
	bool pinned;		/* decided nothing but alerts */
	bool dry_run;		/* the action is not to be done */
};

/* A device's identity, for persistence: matched by address. */
struct iotguard_score_key {
	uint8_t family;		/* AF_INET, AF_INET6; 0: none */
	uint8_t addr[16];
};

/* The state of one device slot, readable by the caller. */
struct iotguard_score_dev {
	float mean[IOTGUARD_SCORE_HORIZONS][IOTGUARD_FEAT_LOG_MAX];
	float var[IOTGUARD_SCORE_HORIZONS][IOTGUARD_FEAT_LOG_MAX];
	float size_p[IOTGUARD_SIZE_BUCKETS];	/* learnt size distribution */
	float size_mean, size_var;	/* of the distance to it */
	float gap_mean, gap_var;	/* intervals between active ones */
	float new_rate;		/* new destinations per interval */
	float score;		/* of the last interval */
	uint32_t age;		/* intervals learnt */
	uint32_t quiet;		/* intervals since the last active one */
	uint32_t cookie;
	uint32_t anom_run;	/* anomalous intervals in a row */
	uint32_t calm_run;	/* calm intervals in a row, silence aside */
	uint16_t class;
	uint16_t gaps;		/* gaps learnt, saturating */
	uint16_t size_n;	/* histograms learnt, saturating */
	uint8_t action;		/* enum iotguard_action decided */
	/*
	 * The action whose state the caller set and holds in force (see
	 * iotguard_scorer_set_enforced()); it differs from action in a dry
	 * run, or where the caller would not or could not set the state.
	 */
	uint8_t enforced;
	uint8_t strikes;	/* times acted on: release waits longer */
	uint8_t dests;		/* destinations known, up to 64 */
	uint8_t dest_hand;	/* the clock's hand, when they are full */
	uint8_t new_dests;	/* new destinations this interval */
	uint8_t flags;		/* IOTGUARD_SDEV_* */
	uint8_t top_feature;	/* of the last interval */
	uint8_t raised;		/* detectors whose alert is in force */
	/* flagged intervals in a row, saturating (act_after is at most 1000) */
	uint16_t det_run[IOTGUARD_DET_MAX];
	uint32_t speaking;	/* intervals in a row neither silent nor down */
	struct iotguard_score_key key;
};

enum {
	IOTGUARD_SDEV_USED = 1U << 0,
	IOTGUARD_SDEV_PINNED = 1U << 1,
	IOTGUARD_SDEV_ACTIVE_SEEN = 1U << 2,	/* has sent at least once */
	/*
	 * Restored from a record of another enrollment (its cookie changed:
	 * a reloaded module, a restarted router) with an action in force:
	 * the module no longer holds it. Not saved.
	 */
	IOTGUARD_SDEV_REENROLLED = 1U << 3,
	/*
	 * The scan detector flagged an interval since the last window was
	 * scored: the window's scan was seen already, not scored again.
	 */
	IOTGUARD_SDEV_SCAN_SEEN = 1U << 4,
	/*
	 * The last window scored was over its limit: the action holds
	 * until a window is not (the intervals between windows look calm).
	 */
	IOTGUARD_SDEV_WINDOW_HOLD = 1U << 5,
};

struct iotguard_scorer;

int iotguard_scorer_new(const struct iotguard_score_config *cfg,
			uint32_t slots, struct iotguard_scorer **out);
void iotguard_scorer_free(struct iotguard_scorer *scorer);
/* Whether the device at slot was IOTGUARD_SDEV_REENROLLED; clears it. */
bool iotguard_scorer_take_reenrolled(struct iotguard_scorer *scorer,
				     uint32_t slot);
/* A new configuration (SIGHUP); baselines stay. */
void iotguard_scorer_set_config(struct iotguard_scorer *scorer,
				const struct iotguard_score_config *cfg);
const struct iotguard_score_config *
iotguard_scorer_config(const struct iotguard_scorer *scorer);
uint32_t iotguard_scorer_slots(const struct iotguard_scorer *scorer);
/* Bytes a slot takes: its baselines and its destinations. */
size_t iotguard_scorer_slot_bytes(void);

/*
 * A device at slot: a new one (unknown cookie) starts from nothing, a known
 * one keeps its baselines and gets the new class and pinned flag.
 * Returns -ERANGE for a slot beyond the table.
 */
int iotguard_scorer_device(struct iotguard_scorer *scorer, uint32_t slot,
			   uint32_t cookie, const struct iotguard_score_key *key,
			   uint16_t class, bool pinned);
void iotguard_scorer_device_del(struct iotguard_scorer *scorer,
				uint32_t slot);
/* The slot's state, NULL if unused. */
const struct iotguard_score_dev *
iotguard_scorer_get(const struct iotguard_scorer *scorer, uint32_t slot);
/* The operator changed the state: forget the action we took. */
void iotguard_scorer_forget_action(struct iotguard_scorer *scorer,
				   uint32_t slot);
/*
 * The caller set the state of action in the module (IOTGUARD_ACT_NONE:
 * lifted it). Saved with the baselines: after a restart, what is in force
 * is still known to be the daemon's to lift, and no one else's.
 */
void iotguard_scorer_set_enforced(struct iotguard_scorer *scorer,
				  uint32_t slot, uint8_t action);
/*
 * The event of res was not done (setting the state failed): the action is
 * the one before it again. The runs of anomalous or calm intervals stay,
 * so that an event still due is decided again at the next interval.
 */
void iotguard_scorer_undo(struct iotguard_scorer *scorer, uint32_t slot,
			  const struct iotguard_score_result *res);
/*
 * Out of a dry run: what was decided and not done is undone, the action is
 * the one in force again (the runs stay, as for iotguard_scorer_undo()),
 * so that what is still due is decided again, and done.
 */
void iotguard_scorer_to_enforced(struct iotguard_scorer *scorer,
				 uint32_t slot);

/*
 * A destination the device talked to this interval (a hash of it); returns
 * true if it is not among the device's known ones (and remembers it).
 */
bool iotguard_scorer_observe_dest(struct iotguard_scorer *scorer,
				  uint32_t slot, uint32_t hash);

/*
 * Counts read over a span other than one interval, brought to one: factor
 * is the interval over the span. The sketch (distinct destinations) is per
 * epoch, not per span, and stays as it is.
 */
void iotguard_score_input_scale(struct iotguard_score_input *in,
				double factor);

/* Scores one interval of the device at slot, learns, decides. */
void iotguard_scorer_score(struct iotguard_scorer *scorer, uint32_t slot,
			   const struct iotguard_score_input *in,
			   struct iotguard_score_result *out);

/* After every device of an interval: recomputes the class priors. */
void iotguard_scorer_interval_end(struct iotguard_scorer *scorer);

/* The class's prior for a feature; false if it has none. */
bool iotguard_scorer_prior(const struct iotguard_scorer *scorer,
			   uint16_t class, enum iotguard_feature feature,
			   float *mean, float *var);

/*
 * Baselines to a file and back, matched by key. The file is versioned and
 * written to path.tmp then renamed; its header records what the baselines
 * mean: the interval, sigma_floor and the half-lives. Loading restores
 * each used slot whose key is in the file; *restored counts them. -EPROTO
 * for a file of another version or layout. -EBADMSG, nothing restored and
 * why saying what, for a file cut short, longer than its header says, whose
 * CRC-32 does not match, or with a record no scorer writes (a float not a
 * number, a count or action out of range). -ESTALE for baselines learnt
 * with another interval, sigma_floor or half-lives: scored against, they
 * would misjudge every device, so only the actions are restored (what is
 * in force stays the daemon's to lift) and the devices learn anew; why
 * says what differs ("interval 2 s, now 1 s").
 */
int iotguard_scorer_save(const struct iotguard_scorer *scorer,
			 const char *path);
int iotguard_scorer_load(struct iotguard_scorer *scorer, const char *path,
			 uint32_t *restored, char *why, size_t why_len);

const char *iotguard_feature_name(unsigned int feature);
const char *iotguard_detector_name(unsigned int detector);
const char *iotguard_action_name(unsigned int action);
/* alert, quarantine, deny; -EINVAL otherwise */
int iotguard_parse_action(const char *s, uint8_t *action);

/*
 * One line: "surge: packets 1000/interval, expected 100 (up to 450)".
 * Returns buf.
 */
const char *iotguard_score_explain(const struct iotguard_score_expl *expl,
				   char *buf, size_t len);

#endif /* IOTGUARD_USER_SCORE_H */
