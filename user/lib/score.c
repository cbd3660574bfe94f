// SPDX-License-Identifier: GPL-2.0
/*
 * The anomaly scorer of iotguardd: see score.h for the model.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <zlib.h>
#include "replace.h"
#include "score.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MID 1			/* the horizon priors and rates use */
#define GAP_ALPHA (1.0f / 16)	/* cadence: about the last 16 gaps */
/* A window's distinct destinations and ports: see the corpus's in score.h */
#define WIN_ADDRS_LIMIT 64
#define WIN_PORTS_LIMIT 64
#define SAVE_MAGIC "IGBASE01"
/*
 * 2: the header's interval, sigma_floor, half-lives; 64 destinations
 * 3: each detector's run and raised alert
 * 4: the arp feature's baselines
 * 5: the spoof detector's run
 * 6: the forged detector's
 * 7: a CRC-32 of the header and the records after them; records checked
 */
#define SAVE_VERSION 7

struct prior {
	float mean[IOTGUARD_FEAT_LOG_MAX];
	float var[IOTGUARD_FEAT_LOG_MAX];
	bool ok[IOTGUARD_FEAT_LOG_MAX];
};

struct prior_acc {
	double sum[IOTGUARD_FEAT_LOG_MAX];
	double sum2[IOTGUARD_FEAT_LOG_MAX];
	double sumv[IOTGUARD_FEAT_LOG_MAX];
	uint32_t n[IOTGUARD_FEAT_LOG_MAX];
};

/* A device's known destinations: the first dev->dests entries are. */
struct dest_memory {
	uint32_t hash[IOTGUARD_SCORE_KNOWN_DESTS];
	uint64_t used;		/* bit i: hash[i] used again since passed */
};

_Static_assert(IOTGUARD_SCORE_KNOWN_DESTS <= 64,
	       "dest_memory.used has a bit per destination");

struct iotguard_scorer {
	struct iotguard_score_config cfg;
	float alpha[IOTGUARD_SCORE_HORIZONS];
	uint32_t slots;
	struct iotguard_score_dev *devs;
	/*
	 * Apart from devs, which scoring reads every interval: these only
	 * when a device talks to a destination. Never cleared: a device's
	 * first dev->dests entries are its own.
	 */
	struct dest_memory *dests;
	struct prior prior[IOTGUARD_SCORE_CLASSES];
	struct prior_acc acc[IOTGUARD_SCORE_CLASSES];
};

static const char *const feature_names[IOTGUARD_FEAT_MAX] = {
	[IOTGUARD_FEAT_PACKETS] = "packets",
	[IOTGUARD_FEAT_BYTES] = "bytes",
	[IOTGUARD_FEAT_DST_ADDRS] = "dst_addrs",
	[IOTGUARD_FEAT_DST_PORTS] = "dst_ports",
	[IOTGUARD_FEAT_SYN] = "syn",
	[IOTGUARD_FEAT_ICMP] = "icmp",
	[IOTGUARD_FEAT_ARP] = "arp",
	[IOTGUARD_FEAT_NEW_DESTS] = "new_dests",
	[IOTGUARD_FEAT_SIZE] = "size",
	[IOTGUARD_FEAT_SILENCE] = "silence",
	[IOTGUARD_FEAT_WIN_ADDRS] = "window_addrs",
	[IOTGUARD_FEAT_WIN_PORTS] = "window_ports",
	[IOTGUARD_FEAT_NEIGH_FOREIGN] = "neigh_foreign",
	[IOTGUARD_FEAT_CRED_FAIL] = "cred_fail",
	[IOTGUARD_FEAT_TCP_ODD] = "tcp_odd",
};

static const char *const detector_names[IOTGUARD_DET_MAX] = {
	[IOTGUARD_DET_SURGE] = "surge",
	[IOTGUARD_DET_DROP] = "drop",
	[IOTGUARD_DET_SILENCE] = "silence",
	[IOTGUARD_DET_SCAN] = "scan",
	[IOTGUARD_DET_NEW_DEST] = "new_dest",
	[IOTGUARD_DET_SIZE] = "size",
	[IOTGUARD_DET_SPOOF] = "spoof",
	[IOTGUARD_DET_FORGED] = "forged",
};

static const char *const action_names[IOTGUARD_ACT_MAX] = {
	[IOTGUARD_ACT_NONE] = "none",
	[IOTGUARD_ACT_ALERT] = "alert",
	[IOTGUARD_ACT_QUARANTINE] = "quarantine",
	[IOTGUARD_ACT_DENY] = "deny",
};

const char *iotguard_feature_name(unsigned int feature)
{
	return feature < IOTGUARD_FEAT_MAX ? feature_names[feature] : "?";
}

const char *iotguard_detector_name(unsigned int detector)
{
	return detector < IOTGUARD_DET_MAX ? detector_names[detector] : "?";
}

const char *iotguard_action_name(unsigned int action)
{
	return action < IOTGUARD_ACT_MAX ? action_names[action] : "?";
}

int iotguard_parse_action(const char *s, uint8_t *action)
{
	unsigned int i;

	for (i = IOTGUARD_ACT_ALERT; i < IOTGUARD_ACT_MAX; i++) {
		if (!strcmp(s, action_names[i])) {
			*action = i;
			return 0;
		}
	}
	return -EINVAL;
}

void iotguard_score_config_default(struct iotguard_score_config *cfg)
{
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->half_life[0] = 60;
	cfg->half_life[1] = 900;
	cfg->half_life[2] = 14400;
	cfg->sigma_floor = 0.25f;
	cfg->size_floor = 0.05f;
	cfg->new_dest_floor = 0.001f;
	cfg->learn = 300;
	cfg->min_samples = 5;
	cfg->prior_weight = 8;
	cfg->prior_min_devices = 3;
	cfg->act_after = 2;
	cfg->act_now = 2;
	cfg->min_count = 8;
	cfg->new_dest_act = 8;
	cfg->release_after = 30;
	cfg->release_ratio = 0.5f;
	cfg->silence_k = 4;
	cfg->silence_factor = 2;
	cfg->silence_min = 3;
	cfg->size_min_packets = 16;
	cfg->interval = 1;
	for (i = 0; i < IOTGUARD_SCORE_CLASSES; i++) {
		float *limit = cfg->policy[i].limit;

		cfg->policy[i].action = IOTGUARD_ACT_QUARANTINE;
		cfg->policy[i].threshold = 6;
		/*
		 * Far above what a device at home does (the corpus's busiest
		 * setups: 78 packets, 87 kB, 5 SYNs, 3 ICMP, 2 ARP requests a
		 * second, 9 destinations, 11 ports an epoch), far under an
		 * attack's.
		 */
		limit[IOTGUARD_FEAT_PACKETS] = 1000;
		limit[IOTGUARD_FEAT_BYTES] = 1000000;
		limit[IOTGUARD_FEAT_SYN] = 10;
		limit[IOTGUARD_FEAT_ICMP] = 10;
		limit[IOTGUARD_FEAT_ARP] = 10;
		limit[IOTGUARD_FEAT_DST_ADDRS] = 32;
		limit[IOTGUARD_FEAT_DST_PORTS] = 32;
		limit[IOTGUARD_FEAT_WIN_ADDRS] = WIN_ADDRS_LIMIT;
		limit[IOTGUARD_FEAT_WIN_PORTS] = WIN_PORTS_LIMIT;
	}
}

static void compute_alphas(struct iotguard_scorer *scorer)
{
	unsigned int h;

	for (h = 0; h < IOTGUARD_SCORE_HORIZONS; h++) {
		float half_life = scorer->cfg.half_life[h];

		scorer->alpha[h] = half_life > 0 ?
			1.0f - exp2f(-1.0f / half_life) : 1.0f;
	}
}

int iotguard_scorer_new(const struct iotguard_score_config *cfg,
			uint32_t slots, struct iotguard_scorer **out)
{
	struct iotguard_scorer *scorer;

	*out = NULL;
	scorer = calloc(1, sizeof(*scorer));
	if (!scorer)
		return -ENOMEM;
	scorer->devs = calloc(slots ? slots : 1, sizeof(*scorer->devs));
	scorer->dests = calloc(slots ? slots : 1, sizeof(*scorer->dests));
	if (!scorer->devs || !scorer->dests) {
		iotguard_scorer_free(scorer);
		return -ENOMEM;
	}
	scorer->slots = slots;
	scorer->cfg = *cfg;
	compute_alphas(scorer);
	*out = scorer;
	return 0;
}

void iotguard_scorer_free(struct iotguard_scorer *scorer)
{
	if (!scorer)
		return;
	free(scorer->devs);
	free(scorer->dests);
	free(scorer);
}

void iotguard_scorer_set_config(struct iotguard_scorer *scorer,
				const struct iotguard_score_config *cfg)
{
	scorer->cfg = *cfg;
	compute_alphas(scorer);
}

const struct iotguard_score_config *
iotguard_scorer_config(const struct iotguard_scorer *scorer)
{
	return &scorer->cfg;
}

uint32_t iotguard_scorer_slots(const struct iotguard_scorer *scorer)
{
	return scorer->slots;
}

size_t iotguard_scorer_slot_bytes(void)
{
	return sizeof(struct iotguard_score_dev) + sizeof(struct dest_memory);
}

int iotguard_scorer_device(struct iotguard_scorer *scorer, uint32_t slot,
			   uint32_t cookie, const struct iotguard_score_key *key,
			   uint16_t class, bool pinned)
{
	struct iotguard_score_dev *dev;

	if (slot >= scorer->slots)
		return -ERANGE;
	dev = &scorer->devs[slot];
	if (!(dev->flags & IOTGUARD_SDEV_USED) || dev->cookie != cookie) {
		memset(dev, 0, sizeof(*dev));
		dev->flags = IOTGUARD_SDEV_USED;
		dev->cookie = cookie;
	}
	if (key)
		dev->key = *key;
	/* A new class means new priors and policy, not a new baseline. */
	dev->class = class;
	if (pinned) {
		/* The operator took over: whatever we did is theirs now. */
		dev->flags |= IOTGUARD_SDEV_PINNED;
		dev->action = dev->enforced = IOTGUARD_ACT_NONE;
		dev->anom_run = dev->calm_run = 0;
		dev->raised = 0;
		memset(dev->det_run, 0, sizeof(dev->det_run));
	} else {
		dev->flags &= ~IOTGUARD_SDEV_PINNED;
	}
	return 0;
}

void iotguard_scorer_device_del(struct iotguard_scorer *scorer, uint32_t slot)
{
	if (slot < scorer->slots)
		memset(&scorer->devs[slot], 0, sizeof(scorer->devs[slot]));
}

const struct iotguard_score_dev *
iotguard_scorer_get(const struct iotguard_scorer *scorer, uint32_t slot)
{
	if (slot >= scorer->slots ||
	    !(scorer->devs[slot].flags & IOTGUARD_SDEV_USED))
		return NULL;
	return &scorer->devs[slot];
}

void iotguard_scorer_forget_action(struct iotguard_scorer *scorer,
				   uint32_t slot)
{
	if (slot >= scorer->slots)
		return;
	scorer->devs[slot].action = IOTGUARD_ACT_NONE;
	scorer->devs[slot].enforced = IOTGUARD_ACT_NONE;
	scorer->devs[slot].anom_run = scorer->devs[slot].calm_run = 0;
	scorer->devs[slot].raised = 0;
	memset(scorer->devs[slot].det_run, 0,
	       sizeof(scorer->devs[slot].det_run));
}

void iotguard_scorer_set_enforced(struct iotguard_scorer *scorer,
				  uint32_t slot, uint8_t action)
{
	if (slot < scorer->slots && action < IOTGUARD_ACT_MAX)
		scorer->devs[slot].enforced = action;
}

void iotguard_scorer_undo(struct iotguard_scorer *scorer, uint32_t slot,
			  const struct iotguard_score_result *res)
{
	struct iotguard_score_dev *dev;

	if (slot >= scorer->slots || res->event == IOTGUARD_EV_NONE)
		return;
	dev = &scorer->devs[slot];
	/* A strike is an action taken: this one was not. */
	if (res->event == IOTGUARD_EV_ACT && dev->strikes)
		dev->strikes--;
	dev->action = res->prev_action;
	/* Its detectors are due again: their runs stay. */
	dev->raised &= ~res->raised;
}

void iotguard_scorer_to_enforced(struct iotguard_scorer *scorer,
				 uint32_t slot)
{
	struct iotguard_score_dev *dev;

	if (slot >= scorer->slots)
		return;
	dev = &scorer->devs[slot];
	/* An alert is never in force: a decided one stays. */
	if (dev->action <= IOTGUARD_ACT_ALERT && !dev->enforced)
		return;
	/* Its act is to be decided again, and will strike again. */
	if (!dev->enforced && dev->strikes)
		dev->strikes--;
	/* What raised the action not done is due again: the runs stay. */
	if (dev->action != dev->enforced)
		dev->raised = 0;
	dev->action = dev->enforced;
}

bool iotguard_scorer_observe_dest(struct iotguard_scorer *scorer,
				  uint32_t slot, uint32_t hash)
{
	struct iotguard_score_dev *dev;
	struct dest_memory *mem;
	unsigned int i;

	if (slot >= scorer->slots)
		return false;
	dev = &scorer->devs[slot];
	mem = &scorer->dests[slot];
	if (!(dev->flags & IOTGUARD_SDEV_USED))
		return false;
	for (i = 0; i < dev->dests; i++) {
		if (mem->hash[i] == hash) {
			mem->used |= 1ULL << i;
			return false;
		}
	}
	if (dev->dests < IOTGUARD_SCORE_KNOWN_DESTS) {
		i = dev->dests++;
	} else {
		/* Second chance: one used again since the last pass stays. */
		while (mem->used & (1ULL << dev->dest_hand)) {
			mem->used &= ~(1ULL << dev->dest_hand);
			dev->dest_hand = (dev->dest_hand + 1) %
					 IOTGUARD_SCORE_KNOWN_DESTS;
		}
		i = dev->dest_hand;
		dev->dest_hand = (i + 1) % IOTGUARD_SCORE_KNOWN_DESTS;
	}
	mem->hash[i] = hash;
	mem->used &= ~(1ULL << i);
	if (dev->new_dests < UINT8_MAX)
		dev->new_dests++;
	return true;
}

bool iotguard_scorer_prior(const struct iotguard_scorer *scorer,
			   uint16_t class, enum iotguard_feature feature,
			   float *mean, float *var)
{
	const struct prior *prior;

	if (class >= IOTGUARD_SCORE_CLASSES ||
	    feature >= IOTGUARD_FEAT_LOG_MAX)
		return false;
	prior = &scorer->prior[class];
	if (!prior->ok[feature])
		return false;
	*mean = prior->mean[feature];
	*var = prior->var[feature];
	return true;
}

static const struct iotguard_score_policy *
policy_of(const struct iotguard_scorer *scorer, uint16_t class)
{
	return &scorer->cfg.policy[class < IOTGUARD_SCORE_CLASSES ? class : 0];
}

/* West's weighted update of a mean and a (population) variance. */
static inline void ewma(float *mean, float *var, float y, float alpha)
{
	float d = y - *mean;

	*mean += alpha * d;
	*var = (1.0f - alpha) * (*var + alpha * d * d);
}

/* The mean moves by yc's distance, the spread learns y's. */
static inline void ewma_robust(float *mean, float *var, float y, float yc,
			       float alpha)
{
	float d = y - *mean;

	*mean += alpha * (yc - *mean);
	*var = (1.0f - alpha) * (*var + alpha * d * d);
}

struct zres {
	float z;
	float mean;
	float sigma;
	uint8_t horizon;
};

/*
 * The interval's z against each horizon (blended with the class prior by
 * w), keeping the most forgiving: the smallest when all agree on the
 * direction, 0 when they disagree.
 */
static void feature_z(const struct iotguard_scorer *scorer,
		      const struct iotguard_score_dev *dev, unsigned int f,
		      float y, float w, float pmean, float pvar,
		      struct zres *res)
{
	float floor2 = scorer->cfg.sigma_floor * scorer->cfg.sigma_floor;
	bool pos = true, neg = true;
	unsigned int h;

	res->z = 0;
	res->horizon = 0;
	res->mean = dev->mean[0][f];
	res->sigma = 0;
	for (h = 0; h < IOTGUARD_SCORE_HORIZONS; h++) {
		float mean = dev->mean[h][f], var = dev->var[h][f], sigma, z;

		if (w > 0) {
			float d = mean - pmean;

			mean = (1 - w) * mean + w * pmean;
			var = (1 - w) * var + w * pvar + w * (1 - w) * d * d;
		}
		sigma = sqrtf(var + floor2);
		z = (y - mean) / sigma;
		pos &= z > 0;
		neg &= z < 0;
		if (h == 0 || fabsf(z) < fabsf(res->z)) {
			res->z = z;
			res->mean = mean;
			res->sigma = sigma;
			res->horizon = h;
		}
	}
	if (!pos && !neg)
		res->z = 0;
}

/* -ln P(X >= k) for X ~ Poisson(lambda): how surprising k events are. */
static float poisson_surprise(unsigned int k, double lambda)
{
	double log_term, sum = 1, t = 1, s;
	unsigned int j;

	if (!k || lambda >= k)
		return 0;
	log_term = -lambda + k * log(lambda) - lgamma(k + 1.0);
	for (j = k + 1; j < k + 64; j++) {
		t *= lambda / j;
		sum += t;
		if (t < 1e-9 * sum)
			break;
	}
	s = -(log_term + log(sum));
	return s > 0 ? s : 0;
}

/* Total variation distance of a histogram to a learnt distribution. */
static float size_distance(const float p[IOTGUARD_SIZE_BUCKETS],
			   const float q[IOTGUARD_SIZE_BUCKETS])
{
	float d = 0;
	unsigned int i;

	for (i = 0; i < IOTGUARD_SIZE_BUCKETS; i++)
		d += fabsf(p[i] - q[i]);
	return d / 2;
}

/* Records a feature's score; returns whether it is the top one now. */
static bool set_top(struct iotguard_score_result *out, unsigned int f,
		    unsigned int det, float score, double seen,
		    double expected, double limit, unsigned int horizon)
{
	if (score > out->feature[f])
		out->feature[f] = score;
	if (score > out->detector[det])
		out->detector[det] = score;
	if (score <= out->score && out->score > 0)
		return false;
	out->score = score;
	out->top.feature = f;
	out->top.detector = det;
	out->top.horizon = horizon;
	out->top.score = score;
	out->top.seen = seen;
	out->top.expected = expected;
	out->top.limit = limit;
	out->top.envelope = false;
	return true;
}

/* The tolerated gap: the learnt cadence with room for its jitter. */
static float silence_tolerance(const struct iotguard_score_config *cfg,
			       const struct iotguard_score_dev *dev)
{
	float tol = dev->gap_mean + cfg->silence_k * sqrtf(dev->gap_var);

	if (tol < cfg->silence_factor * dev->gap_mean)
		tol = cfg->silence_factor * dev->gap_mean;
	if (tol < dev->gap_mean + cfg->silence_min)
		tol = dev->gap_mean + cfg->silence_min;
	return tol;
}

/* Detectors of a device gone quiet: acting on one stops nothing. */
static bool detector_quiet(unsigned int det)
{
	return det == IOTGUARD_DET_DROP || det == IOTGUARD_DET_SILENCE;
}

/* A log feature's count in the interval. */
static double count_of(const struct iotguard_score_input *in, unsigned int f)
{
	switch (f) {
	case IOTGUARD_FEAT_PACKETS:
		return in->packets;
	case IOTGUARD_FEAT_BYTES:
		return in->bytes;
	case IOTGUARD_FEAT_DST_ADDRS:
		return in->dst_addrs;
	case IOTGUARD_FEAT_DST_PORTS:
		return in->dst_ports;
	case IOTGUARD_FEAT_SYN:
		return in->syn;
	case IOTGUARD_FEAT_ICMP:
		return in->icmp;
	case IOTGUARD_FEAT_ARP:
		return in->arp;
	}
	return 0;
}

static bool volume_feature(unsigned int f)
{
	return f == IOTGUARD_FEAT_PACKETS || f == IOTGUARD_FEAT_BYTES;
}

/*
 * The class's envelope, which needs no baseline: a count over its limit
 * is a flood (surge) or a scan scoring threshold * count / limit, from a
 * device's first interval on. Returns the detectors whose limit was
 * crossed act_now times: those act at once.
 */
static uint32_t score_envelope(const struct iotguard_score_config *cfg,
			       const struct iotguard_score_policy *policy,
			       const struct iotguard_score_input *in,
			       uint32_t valid,
			       struct iotguard_score_result *out)
{
	uint32_t strong = 0;
	unsigned int f, det;

	for (f = 0; f < IOTGUARD_FEAT_LOG_MAX; f++) {
		double limit = policy->limit[f], seen;
		float score;

		if (!(valid & (1U << f)) || limit <= 0)
			continue;
		/* Destinations per epoch (the sketch's), the rest a second. */
		if (f != IOTGUARD_FEAT_DST_ADDRS &&
		    f != IOTGUARD_FEAT_DST_PORTS)
			limit *= cfg->interval;
		seen = count_of(in, f);
		if (seen <= limit)
			continue;
		det = volume_feature(f) ? IOTGUARD_DET_SURGE :
					  IOTGUARD_DET_SCAN;
		score = policy->threshold * seen / limit;
		if (set_top(out, f, det, score, seen, limit, limit, 0))
			out->top.envelope = true;
		out->detectors |= 1U << det;
		if (seen >= cfg->act_now * limit)
			strong |= 1U << det;
	}
	return strong;
}

/*
 * The window's envelope: distinct destinations and ports over the last
 * window, scored once a window, as score_envelope(). A minute's evidence:
 * over its limit acts at once, and holds the action until a window is
 * under it again: the intervals between windows of a slow scan look calm.
 * Returns the detectors it flagged. A window in which the scan detector
 * flagged an interval already is not scored: read up to a window late, it
 * would act again on a scan acted on and over.
 */
static uint32_t score_window(struct iotguard_score_dev *dev,
			     const struct iotguard_score_policy *policy,
			     const struct iotguard_score_input *in,
			     struct iotguard_score_result *out)
{
	static const unsigned int feats[] = {
		IOTGUARD_FEAT_WIN_ADDRS, IOTGUARD_FEAT_WIN_PORTS,
	};
	uint32_t flagged = 0;
	unsigned int i;

	if (out->detectors & (1U << IOTGUARD_DET_SCAN))
		dev->flags |= IOTGUARD_SDEV_SCAN_SEEN;
	if (!(in->have & IOTGUARD_HAVE_WINDOW))
		return 0;
	if (dev->flags & IOTGUARD_SDEV_SCAN_SEEN) {
		dev->flags &= ~IOTGUARD_SDEV_SCAN_SEEN;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(feats); i++) {
		double limit = policy->limit[feats[i]];
		double seen = feats[i] == IOTGUARD_FEAT_WIN_ADDRS ?
			      in->win_addrs : in->win_ports;

		if (limit <= 0 || seen <= limit)
			continue;
		if (set_top(out, feats[i], IOTGUARD_DET_SCAN,
			    policy->threshold * seen / limit, seen, limit,
			    limit, 0))
			out->top.envelope = true;
		flagged = 1U << IOTGUARD_DET_SCAN;
	}
	out->detectors |= flagged;
	if (flagged)
		dev->flags |= IOTGUARD_SDEV_WINDOW_HOLD;
	else
		dev->flags &= ~IOTGUARD_SDEV_WINDOW_HOLD;
	return flagged;
}

/*
 * Evidence no device has a reason to send, seen of it (read: the input
 * has it): one acts at once for detector det, whatever the span, scored
 * above the threshold by how many. Returns the detector if flagged.
 */
static uint32_t score_evidence(const struct iotguard_score_policy *policy,
			       bool read, double seen, unsigned int feat,
			       unsigned int det,
			       struct iotguard_score_result *out)
{
	if (!read || !seen)
		return 0;
	if (set_top(out, feat, det, policy->threshold * (1 + seen), seen, 0,
		    0, 0))
		out->top.envelope = true;
	out->detectors |= 1U << det;
	return 1U << det;
}

/*
 * ARP or NDP that the device sent in another's name (the program dropped
 * it): a poisoner needs only a message every few seconds, so one is
 * evidence, not a count to compare.
 */
static uint32_t score_spoof(const struct iotguard_score_policy *policy,
			    const struct iotguard_score_input *in,
			    struct iotguard_score_result *out)
{
	return score_evidence(policy, in->have & IOTGUARD_HAVE_ARP,
			      in->neigh_foreign, IOTGUARD_FEAT_NEIGH_FOREIGN,
			      IOTGUARD_DET_SPOOF, out);
}

/*
 * Datagrams in the device's name that its credential refused (the program
 * dropped them): someone forges or replays its traffic, or the operator's
 * expiry or revocation holds. Evidence at once, but of someone else's
 * doing as often as the device's: an alert, never an action against it
 * (detector_action()), which would hand a forger the device's outage.
 */
static uint32_t score_forged(const struct iotguard_score_policy *policy,
			     const struct iotguard_score_input *in,
			     struct iotguard_score_result *out)
{
	double seen = in->cred_fail;

	if (!(in->have & IOTGUARD_HAVE_CRED) || !seen)
		return 0;
	set_top(out, IOTGUARD_FEAT_CRED_FAIL, IOTGUARD_DET_FORGED,
		policy->threshold * (1 + seen), seen, 0, 0, 0);
	out->detectors |= 1U << IOTGUARD_DET_FORGED;
	return 1U << IOTGUARD_DET_FORGED;
}

/*
 * TCP segments with flags no stack sends (iotguard_tcp_flags_odd()): the
 * probes of an OS fingerprint or a null, FIN or Xmas scan, a scan at once
 * (the class's scan action), learning or not: nmap -O needs a dozen in a
 * second.
 */
static uint32_t score_tcp_odd(const struct iotguard_score_policy *policy,
			      const struct iotguard_score_input *in,
			      struct iotguard_score_result *out)
{
	return score_evidence(policy, in->have & IOTGUARD_HAVE_PROTO,
			      in->tcp_odd, IOTGUARD_FEAT_TCP_ODD,
			      IOTGUARD_DET_SCAN, out);
}

static void scale_hist(const struct iotguard_score_input *in,
		       float q[IOTGUARD_SIZE_BUCKETS], uint64_t *total)
{
	unsigned int i;

	*total = 0;
	for (i = 0; i < IOTGUARD_SIZE_BUCKETS; i++)
		*total += in->size_hist[i];
	for (i = 0; i < IOTGUARD_SIZE_BUCKETS; i++)
		q[i] = *total ? (float)in->size_hist[i] / *total : 0;
}

static void score_features(struct iotguard_scorer *scorer,
			   struct iotguard_score_dev *dev,
			   const struct iotguard_score_input *in,
			   const float y[IOTGUARD_FEAT_LOG_MAX],
			   uint32_t valid, float threshold,
			   struct iotguard_score_result *out)
{
	const struct iotguard_score_config *cfg = &scorer->cfg;
	const struct prior *prior = NULL;
	float w = 0;
	unsigned int f;

	if (out->learning && dev->class < IOTGUARD_SCORE_CLASSES) {
		prior = &scorer->prior[dev->class];
		w = cfg->prior_weight / (cfg->prior_weight + dev->age);
	}
	for (f = 0; f < IOTGUARD_FEAT_LOG_MAX; f++) {
		float fw = prior && prior->ok[f] ? w : 0, score;
		double limit;
		struct zres z;
		bool volume = volume_feature(f);
		unsigned int det;

		if (!(valid & (1U << f)))
			continue;
		/*
		 * Learning, a device is judged against its class's prior: its
		 * own few intervals would make any setup burst a surge.
		 */
		if (fw <= 0 && (out->learning || dev->age < cfg->min_samples))
			continue;
		feature_z(scorer, dev, f, y[f], fw, fw > 0 ? prior->mean[f] : 0,
			  fw > 0 ? prior->var[f] : 0, &z);
		if (z.z > 0) {
			/* A handful of packets (SYNs...) is no anomaly. */
			if (count_of(in, volume ? IOTGUARD_FEAT_PACKETS : f) <
			    cfg->min_count)
				continue;
			det = volume ? IOTGUARD_DET_SURGE : IOTGUARD_DET_SCAN;
			limit = expm1(z.mean + threshold * z.sigma);
		} else if (z.z < 0 && volume) {
			det = IOTGUARD_DET_DROP;
			limit = expm1(fmax(z.mean - threshold * z.sigma, 0));
		} else {
			continue;
		}
		score = fabsf(z.z);
		set_top(out, f, det, score, expm1(y[f]),
			expm1(fmax(z.mean, 0)), limit, z.horizon);
		if (score > threshold)
			out->detectors |= 1U << det;
	}
	if (out->learning)
		return;

	if ((in->have & IOTGUARD_HAVE_DESTS) && dev->new_dests) {
		double lambda = fmax(dev->new_rate, cfg->new_dest_floor);
		float score = poisson_surprise(dev->new_dests, lambda);

		set_top(out, IOTGUARD_FEAT_NEW_DESTS, IOTGUARD_DET_NEW_DEST,
			score, dev->new_dests, lambda, 0, MID);
		if (score > threshold)
			out->detectors |= 1U << IOTGUARD_DET_NEW_DEST;
	}

	if ((in->have & IOTGUARD_HAVE_SIZE) &&
	    dev->size_n > cfg->min_samples) {
		float q[IOTGUARD_SIZE_BUCKETS], d, sigma, score;
		uint64_t total;

		scale_hist(in, q, &total);
		if (total >= cfg->size_min_packets) {
			d = size_distance(dev->size_p, q);
			sigma = sqrtf(dev->size_var +
				      cfg->size_floor * cfg->size_floor);
			score = (d - dev->size_mean) / sigma;
			if (score > 0) {
				set_top(out, IOTGUARD_FEAT_SIZE,
					IOTGUARD_DET_SIZE, score, d,
					dev->size_mean,
					dev->size_mean + threshold * sigma,
					MID);
				if (score > threshold)
					out->detectors |=
						1U << IOTGUARD_DET_SIZE;
			}
		}
	}

	if (!in->packets && dev->gaps >= cfg->min_samples) {
		float tol = silence_tolerance(cfg, dev);
		float gap = dev->quiet + 1.0f;

		if (gap > tol) {
			float score = threshold * gap / tol;

			set_top(out, IOTGUARD_FEAT_SILENCE,
				IOTGUARD_DET_SILENCE, score, gap,
				dev->gap_mean, tol, 0);
			out->detectors |= 1U << IOTGUARD_DET_SILENCE;
		}
	}
}

/*
 * A learnt interval moves a baseline's mean as one at most LEARN_CLAMP
 * sigmas from it would (a Huber-type EWMA): bursts just under the
 * threshold cannot walk the mean up to hide a flood. The spread still
 * learns the whole burst: IoT devices are bursty, and a spread clamped too
 * made two false quarantines of ordinary bursts on a third corpus city
 * (make-city seed 5). From LEARN_CLAMP_AFTER intervals learnt: before, the
 * first intervals are the baseline's only evidence.
 */
#define LEARN_CLAMP		3.0f
#define LEARN_CLAMP_AFTER	8

static float clamp_learnt(const struct iotguard_scorer *scorer,
			  const struct iotguard_score_dev *dev,
			  unsigned int h, unsigned int f, float y)
{
	float floor2 = scorer->cfg.sigma_floor * scorer->cfg.sigma_floor;
	float lim, mean = dev->mean[h][f];

	if (dev->age < LEARN_CLAMP_AFTER)
		return y;
	lim = LEARN_CLAMP * sqrtf(dev->var[h][f] + floor2);
	return fminf(fmaxf(y, mean - lim), mean + lim);
}

static void learn(struct iotguard_scorer *scorer,
		  struct iotguard_score_dev *dev,
		  const struct iotguard_score_input *in,
		  const float y[IOTGUARD_FEAT_LOG_MAX], uint32_t valid)
{
	float run = 1.0f / (dev->age + 1.0f), alpha;
	unsigned int f, h, i;

	for (h = 0; h < IOTGUARD_SCORE_HORIZONS; h++) {
		alpha = fmaxf(scorer->alpha[h], run);
		for (f = 0; f < IOTGUARD_FEAT_LOG_MAX; f++)
			if (valid & (1U << f))
				ewma_robust(&dev->mean[h][f], &dev->var[h][f],
					    y[f], clamp_learnt(scorer, dev, h,
							       f, y[f]),
					    alpha);
	}
	alpha = fmaxf(scorer->alpha[MID], run);
	if (in->have & IOTGUARD_HAVE_DESTS)
		dev->new_rate += alpha * (dev->new_dests - dev->new_rate);

	if (in->have & IOTGUARD_HAVE_SIZE) {
		float q[IOTGUARD_SIZE_BUCKETS];
		uint64_t total;

		scale_hist(in, q, &total);
		if (total >= scorer->cfg.size_min_packets) {
			if (!dev->size_n) {
				memcpy(dev->size_p, q, sizeof(q));
			} else {
				alpha = fmaxf(scorer->alpha[MID],
					      1.0f / dev->size_n);
				ewma(&dev->size_mean, &dev->size_var,
				     size_distance(dev->size_p, q), alpha);
				for (i = 0; i < IOTGUARD_SIZE_BUCKETS; i++)
					dev->size_p[i] +=
						alpha * (q[i] - dev->size_p[i]);
			}
			if (dev->size_n < UINT16_MAX)
				dev->size_n++;
		}
	}

	if (in->packets && (dev->flags & IOTGUARD_SDEV_ACTIVE_SEEN)) {
		alpha = fmaxf(GAP_ALPHA, 1.0f / (dev->gaps + 1.0f));
		ewma(&dev->gap_mean, &dev->gap_var, dev->quiet + 1.0f, alpha);
		if (dev->gaps < UINT16_MAX)
			dev->gaps++;
	}
	if (dev->age < UINT32_MAX)
		dev->age++;
}

static void accumulate_prior(struct iotguard_scorer *scorer,
			     const struct iotguard_score_dev *dev,
			     uint32_t valid)
{
	struct prior_acc *acc;
	unsigned int f;

	if (dev->class >= IOTGUARD_SCORE_CLASSES)
		return;
	acc = &scorer->acc[dev->class];
	for (f = 0; f < IOTGUARD_FEAT_LOG_MAX; f++) {
		double mean = dev->mean[MID][f];

		if (!(valid & (1U << f)))
			continue;
		acc->sum[f] += mean;
		acc->sum2[f] += mean * mean;
		acc->sumv[f] += dev->var[MID][f];
		acc->n[f]++;
	}
}

/* What a detector's alert does: the class's policy, or only an alert. */
static uint8_t detector_action(const struct iotguard_score_config *cfg,
			       const struct iotguard_score_dev *dev,
			       const struct iotguard_score_policy *policy,
			       bool pinned, unsigned int det)
{
	if (pinned || detector_quiet(det) || det == IOTGUARD_DET_FORGED)
		return IOTGUARD_ACT_ALERT;
	/* A device's DHCP, DNS, NTP and cloud at a new setup: a few. */
	if (det == IOTGUARD_DET_NEW_DEST && dev->new_dests < cfg->new_dest_act)
		return IOTGUARD_ACT_ALERT;
	return policy->action;
}

/* Each detector's run of flagged intervals, and the device's calm run. */
static void count_runs(const struct iotguard_score_config *cfg,
		       struct iotguard_score_dev *dev, float threshold,
		       const struct iotguard_score_result *out)
{
	float loud = 0;
	unsigned int det;

	for (det = 0; det < IOTGUARD_DET_MAX; det++) {
		if (!(out->detectors & (1U << det)))
			dev->det_run[det] = 0;
		else if (dev->det_run[det] < UINT16_MAX)
			dev->det_run[det]++;
		/*
		 * A quiet device is calm: silence never holds an action; nor
		 * does what others forge in its name.
		 */
		if (!detector_quiet(det) && det != IOTGUARD_DET_FORGED &&
		    out->detector[det] > loud)
			loud = out->detector[det];
	}
	if (out->anomalous) {
		if (dev->anom_run < UINT32_MAX)
			dev->anom_run++;
	} else {
		dev->anom_run = 0;
	}
	if (loud < threshold * cfg->release_ratio) {
		if (dev->calm_run < UINT32_MAX)
			dev->calm_run++;
	} else {
		/* Anomalous, or in between: hysteresis holds. */
		dev->calm_run = 0;
	}
}

/*
 * Raises the alert of each detector due and not raised yet: after
 * act_after flagged intervals in a row, or at once (strong: a new
 * destination, an envelope crossed act_now times). The most severe action
 * wins; one no more severe than the action in force is an alert of its
 * own (IOTGUARD_EV_RAISE).
 */
static bool raise_due(struct iotguard_scorer *scorer,
		      struct iotguard_score_dev *dev,
		      const struct iotguard_score_policy *policy,
		      uint32_t strong, struct iotguard_score_result *out)
{
	const struct iotguard_score_config *cfg = &scorer->cfg;
	uint8_t want = IOTGUARD_ACT_NONE, action;
	uint32_t act_after = cfg->act_after < UINT16_MAX ? cfg->act_after :
							   UINT16_MAX;
	unsigned int det;

	strong |= 1U << IOTGUARD_DET_NEW_DEST;
	for (det = 0; det < IOTGUARD_DET_MAX; det++) {
		if (!(out->detectors & (1U << det)))
			continue;
		if (dev->det_run[det] < act_after && !(strong & (1U << det)))
			continue;
		action = detector_action(cfg, dev, policy, out->pinned, det);
		/* Raised already, unless its policy became more severe. */
		if ((dev->raised & (1U << det)) && action <= dev->action)
			continue;
		out->raised |= 1U << det;
		if (action > want)
			want = action;
	}
	if (!out->raised)
		return false;
	dev->raised |= out->raised;
	if (want > dev->action) {
		out->event = dev->action == IOTGUARD_ACT_NONE ?
			     IOTGUARD_EV_ACT : IOTGUARD_EV_ESCALATE;
		if (out->event == IOTGUARD_EV_ACT && dev->strikes < UINT8_MAX)
			dev->strikes++;
		dev->action = want;
	} else {
		out->event = IOTGUARD_EV_RAISE;
	}
	return true;
}

static void decide(struct iotguard_scorer *scorer,
		   struct iotguard_score_dev *dev,
		   const struct iotguard_score_policy *policy,
		   uint32_t strong, struct iotguard_score_result *out)
{
	const struct iotguard_score_config *cfg = &scorer->cfg;
	unsigned int det, shift;
	uint8_t quiet = 0, quiet_raised, to;

	count_runs(cfg, dev, policy->threshold, out);
	for (det = 0; det < IOTGUARD_DET_MAX; det++)
		if (detector_quiet(det))
			quiet |= 1U << det;
	/*
	 * Silence and drop end when the device has spoken for release_after
	 * intervals: a device gone quiet that says a word now and then is
	 * one alert, not one each time.
	 */
	if (out->detectors & quiet)
		dev->speaking = 0;
	else if (dev->speaking < UINT32_MAX)
		dev->speaking++;
	if (dev->speaking >= cfg->release_after)
		dev->raised &= ~quiet;
	quiet_raised = dev->raised & quiet;

	out->prev_action = dev->action;
	if (!raise_due(scorer, dev, policy, strong, out) &&
	    dev->action != IOTGUARD_ACT_NONE) {
		/* A repeat offender waits longer: 1, 2, 4, 8 times M. */
		shift = dev->strikes > 1 ? dev->strikes - 1 : 0;
		if (shift > 3)
			shift = 3;
		/*
		 * calm_run stays: a release undone (iotguard_scorer_undo())
		 * is due again at the next calm interval. A silence still in
		 * force keeps its alert, no more.
		 */
		to = quiet_raised ? IOTGUARD_ACT_ALERT : IOTGUARD_ACT_NONE;
		if (dev->calm_run >= (uint64_t)cfg->release_after << shift &&
		    dev->action != to &&
		    !(dev->flags & IOTGUARD_SDEV_WINDOW_HOLD)) {
			out->event = IOTGUARD_EV_RELEASE;
			dev->action = to;
			dev->raised = quiet_raised;
		}
	}
	out->action = dev->action;
}

void iotguard_scorer_score(struct iotguard_scorer *scorer, uint32_t slot,
			   const struct iotguard_score_input *in,
			   struct iotguard_score_result *out)
{
	const struct iotguard_score_config *cfg = &scorer->cfg;
	const struct iotguard_score_policy *policy;
	float y[IOTGUARD_FEAT_LOG_MAX];
	struct iotguard_score_dev *dev;
	uint32_t valid = 1U << IOTGUARD_FEAT_PACKETS |
			 1U << IOTGUARD_FEAT_BYTES, strong;

	memset(out, 0, sizeof(*out));
	if (slot >= scorer->slots)
		return;
	dev = &scorer->devs[slot];
	if (!(dev->flags & IOTGUARD_SDEV_USED))
		return;
	policy = policy_of(scorer, dev->class);
	out->learning = dev->age < cfg->learn;
	out->pinned = dev->flags & IOTGUARD_SDEV_PINNED;
	out->dry_run = cfg->dry_run;

	y[IOTGUARD_FEAT_PACKETS] = log1pf(in->packets);
	y[IOTGUARD_FEAT_BYTES] = log1pf(in->bytes);
	if (in->have & IOTGUARD_HAVE_SKETCH) {
		valid |= 1U << IOTGUARD_FEAT_DST_ADDRS |
			 1U << IOTGUARD_FEAT_DST_PORTS;
		y[IOTGUARD_FEAT_DST_ADDRS] = log1pf(in->dst_addrs);
		y[IOTGUARD_FEAT_DST_PORTS] = log1pf(in->dst_ports);
	}
	if (in->have & IOTGUARD_HAVE_PROTO) {
		valid |= 1U << IOTGUARD_FEAT_SYN | 1U << IOTGUARD_FEAT_ICMP;
		y[IOTGUARD_FEAT_SYN] = log1pf(in->syn);
		y[IOTGUARD_FEAT_ICMP] = log1pf(in->icmp);
	}
	if (in->have & IOTGUARD_HAVE_ARP) {
		valid |= 1U << IOTGUARD_FEAT_ARP;
		y[IOTGUARD_FEAT_ARP] = log1pf(in->arp);
	}

	strong = score_envelope(cfg, policy, in, valid, out);
	strong |= score_tcp_odd(policy, in, out);
	score_features(scorer, dev, in, y, valid, policy->threshold, out);
	strong |= score_window(dev, policy, in, out);
	strong |= score_spoof(policy, in, out);
	strong |= score_forged(policy, in, out);
	out->anomalous = out->score > policy->threshold;
	/*
	 * Never learn what a detector flags, not even while learning: a new
	 * device far from its class's prior or over its envelope stays
	 * judged so until the operator pins it or gives it another class.
	 * A learning device is never judged against its own first intervals
	 * alone, so a meter's first upload is learnt, not vetoed.
	 */
	if (!out->anomalous && !out->detectors)
		learn(scorer, dev, in, y, valid);
	if (!out->learning && !out->anomalous)
		accumulate_prior(scorer, dev, valid);

	if (in->packets) {
		dev->quiet = 0;
		dev->flags |= IOTGUARD_SDEV_ACTIVE_SEEN;
	} else if (dev->quiet < UINT32_MAX &&
		   (dev->flags & IOTGUARD_SDEV_ACTIVE_SEEN)) {
		dev->quiet++;
	}
	decide(scorer, dev, policy, strong, out);
	dev->new_dests = 0;
	dev->score = out->score;
	dev->top_feature = out->top.feature;
}

static uint64_t scale_count(uint64_t count, double factor)
{
	return (uint64_t)llround((double)count * factor);
}

void iotguard_score_input_scale(struct iotguard_score_input *in,
				double factor)
{
	unsigned int b;

	in->packets = scale_count(in->packets, factor);
	in->bytes = scale_count(in->bytes, factor);
	in->syn = scale_count(in->syn, factor);
	in->icmp = scale_count(in->icmp, factor);
	in->arp = scale_count(in->arp, factor);
	/*
	 * neigh_foreign, cred_fail, tcp_odd stay: any is evidence, whatever
	 * the span.
	 */
	for (b = 0; b < IOTGUARD_SIZE_BUCKETS; b++)
		in->size_hist[b] = scale_count(in->size_hist[b], factor);
}

void iotguard_scorer_interval_end(struct iotguard_scorer *scorer)
{
	uint32_t min = scorer->cfg.prior_min_devices;
	unsigned int c, f;

	if (!min)
		min = 1;
	for (c = 0; c < IOTGUARD_SCORE_CLASSES; c++) {
		struct prior_acc *acc = &scorer->acc[c];
		struct prior *prior = &scorer->prior[c];

		for (f = 0; f < IOTGUARD_FEAT_LOG_MAX; f++) {
			double mean, var;

			/* Too few devices this time: keep the last prior. */
			if (acc->n[f] < min)
				continue;
			mean = acc->sum[f] / acc->n[f];
			var = acc->sumv[f] / acc->n[f] +
			      fmax(acc->sum2[f] / acc->n[f] - mean * mean, 0);
			prior->mean[f] = mean;
			prior->var[f] = var;
			prior->ok[f] = true;
		}
	}
	memset(scorer->acc, 0, sizeof(scorer->acc));
}

/* What the baselines mean: learnt with these, only scored with these. */
struct save_basis {
	double interval;	/* seconds */
	float sigma_floor;
	float half_life[IOTGUARD_SCORE_HORIZONS];	/* seconds */
};

struct save_header {
	char magic[8];
	uint32_t version;
	uint32_t record_size;
	uint32_t horizons;
	uint32_t log_features;
	uint32_t size_buckets;
	uint32_t known_dests;
	uint64_t count;
	struct save_basis basis;
};

_Static_assert(sizeof(struct save_header) ==
	       offsetof(struct save_header, basis) + 8 + 4 +
	       4 * IOTGUARD_SCORE_HORIZONS,
	       "the header is compared whole: no padding in it");

struct save_record {
	struct iotguard_score_dev dev;
	struct dest_memory dests;
};

static void fill_header(const struct iotguard_scorer *scorer,
			struct save_header *hdr, uint64_t count)
{
	const struct iotguard_score_config *cfg = &scorer->cfg;
	unsigned int h;

	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr->magic, SAVE_MAGIC, sizeof(hdr->magic));
	hdr->version = SAVE_VERSION;
	hdr->record_size = sizeof(struct save_record);
	hdr->horizons = IOTGUARD_SCORE_HORIZONS;
	hdr->log_features = IOTGUARD_FEAT_LOG_MAX;
	hdr->size_buckets = IOTGUARD_SIZE_BUCKETS;
	hdr->known_dests = IOTGUARD_SCORE_KNOWN_DESTS;
	hdr->count = count;
	hdr->basis.interval = cfg->interval;
	hdr->basis.sigma_floor = cfg->sigma_floor;
	for (h = 0; h < IOTGUARD_SCORE_HORIZONS; h++)
		hdr->basis.half_life[h] = cfg->half_life[h] * cfg->interval;
}

/* Equal but for the rounding of a float. */
static bool same(double a, double b)
{
	return fabs(a - b) <= 1e-5 * fmax(fabs(a), fabs(b));
}

/* "a, b": appends to buf what follows fmt. */
static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 2 >= len)
		return;
	if (used) {
		memcpy(buf + used, ", ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void half_lives(const struct save_basis *basis, char *buf,
		       size_t len)
{
	unsigned int h;
	int n = 0;

	buf[0] = '\0';
	for (h = 0; h < IOTGUARD_SCORE_HORIZONS && n >= 0 && (size_t)n < len;
	     h++)
		n += snprintf(buf + n, len - n, "%s%g", h ? " " : "",
			      basis->half_life[h]);
}

/* Whether baselines of file would be misread now; why says how. */
static bool basis_differs(const struct save_basis *file,
			  const struct save_basis *now, char *why,
			  size_t why_len)
{
	char was[64], is[64];
	bool differs = false;
	unsigned int h;

	if (!same(file->interval, now->interval)) {
		append(why, why_len, "interval %g s, now %g s", file->interval,
		       now->interval);
		differs = true;
	}
	if (!same(file->sigma_floor, now->sigma_floor)) {
		append(why, why_len, "sigma_floor %g, now %g",
		       file->sigma_floor, now->sigma_floor);
		differs = true;
	}
	for (h = 0; h < IOTGUARD_SCORE_HORIZONS; h++)
		if (!same(file->half_life[h], now->half_life[h]))
			break;
	if (h < IOTGUARD_SCORE_HORIZONS) {
		half_lives(file, was, sizeof(was));
		half_lives(now, is, sizeof(is));
		append(why, why_len, "half_lives %s s, now %s s", was, is);
		differs = true;
	}
	return differs;
}

/* A write failed: why (a full disk is ENOSPC), or EIO. */
static int write_failed(void)
{
	return errno ? -errno : -EIO;
}

/*
 * The baseline file's contents: a header, the devices in use, and the
 * CRC-32 of both (zlib's; little-endian as the rest), so that a file
 * damaged on disk is refused rather than scored against.
 */
static int write_baseline(FILE *f, void *data)
{
	const struct iotguard_scorer *scorer = data;
	struct save_header hdr;
	struct save_record rec;
	uint64_t count = 0;
	uLong crc = crc32(0, Z_NULL, 0);
	uint32_t i, sum;

	errno = 0;
	for (i = 0; i < scorer->slots; i++)
		if ((scorer->devs[i].flags & IOTGUARD_SDEV_USED) &&
		    scorer->devs[i].key.family)
			count++;
	fill_header(scorer, &hdr, count);
	if (fwrite(&hdr, sizeof(hdr), 1, f) != 1)
		return write_failed();
	crc = crc32(crc, (const Bytef *)&hdr, sizeof(hdr));
	for (i = 0; i < scorer->slots; i++) {
		const struct iotguard_score_dev *dev = &scorer->devs[i];

		if (!(dev->flags & IOTGUARD_SDEV_USED) || !dev->key.family)
			continue;
		/* Only the device's own destinations: the rest is stale. */
		memset(&rec, 0, sizeof(rec));
		rec.dev = *dev;
		memcpy(rec.dests.hash, scorer->dests[i].hash,
		       dev->dests * sizeof(rec.dests.hash[0]));
		rec.dests.used = scorer->dests[i].used;
		if (fwrite(&rec, sizeof(rec), 1, f) != 1)
			return write_failed();
		crc = crc32(crc, (const Bytef *)&rec, sizeof(rec));
	}
	sum = (uint32_t)crc;
	return fwrite(&sum, sizeof(sum), 1, f) == 1 ? 0 : write_failed();
}

static bool finite_nonneg(float x)
{
	return isfinite(x) && x >= 0;
}

/*
 * Whether a record (its checksum good) holds what a scorer could have
 * written: every float finite, spreads and probabilities in range, counts
 * within their arrays. why says which field is not, for the log.
 */
static bool record_valid(const struct save_record *rec, char *why,
			 size_t why_len)
{
	const struct iotguard_score_dev *dev = &rec->dev;
	unsigned int h, f;

	for (h = 0; h < IOTGUARD_SCORE_HORIZONS; h++)
		for (f = 0; f < IOTGUARD_FEAT_LOG_MAX; f++)
			if (!isfinite(dev->mean[h][f]) ||
			    !finite_nonneg(dev->var[h][f])) {
				append(why, why_len,
				       "a baseline of %s not a number",
				       feature_names[f]);
				return false;
			}
	for (f = 0; f < IOTGUARD_SIZE_BUCKETS; f++)
		if (!finite_nonneg(dev->size_p[f]) || dev->size_p[f] > 1) {
			append(why, why_len, "a size share out of range");
			return false;
		}
	if (!finite_nonneg(dev->size_mean) || !finite_nonneg(dev->size_var) ||
	    !finite_nonneg(dev->gap_mean) || !finite_nonneg(dev->gap_var) ||
	    !finite_nonneg(dev->new_rate) || !isfinite(dev->score)) {
		append(why, why_len, "a size, gap or rate not a number");
		return false;
	}
	if ((dev->key.family != AF_INET && dev->key.family != AF_INET6) ||
	    dev->dests > IOTGUARD_SCORE_KNOWN_DESTS ||
	    dev->dest_hand >= IOTGUARD_SCORE_KNOWN_DESTS ||
	    dev->top_feature >= IOTGUARD_FEAT_MAX ||
	    dev->action >= IOTGUARD_ACT_MAX ||
	    dev->enforced >= IOTGUARD_ACT_MAX) {
		append(why, why_len, "an address, count or action out of range");
		return false;
	}
	return true;
}

int iotguard_scorer_save(const struct iotguard_scorer *scorer,
			 const char *path)
{
	return iotguard_replace_file(path, 0644, write_baseline,
				     (void *)scorer);
}

static int key_cmp(const void *a, const void *b)
{
	const struct iotguard_score_key *ka = a, *kb = b;

	if (ka->family != kb->family)
		return ka->family < kb->family ? -1 : 1;
	return memcmp(ka->addr, kb->addr, sizeof(ka->addr));
}

static int record_cmp(const void *a, const void *b)
{
	const struct save_record *ra = a, *rb = b;

	return key_cmp(&ra->dev.key, &rb->dev.key);
}

static int key_record_cmp(const void *key, const void *rec)
{
	const struct save_record *r = rec;

	return key_cmp(key, &r->dev.key);
}

/* The record's action, of a device that keeps its slot's identity. */
static void restore_action(struct iotguard_score_dev *dev,
			   const struct iotguard_score_dev *rec)
{
	dev->action = rec->action < IOTGUARD_ACT_MAX ? rec->action : 0;
	dev->enforced = rec->enforced < IOTGUARD_ACT_MAX ? rec->enforced : 0;
	dev->strikes = rec->strikes;
	if (dev->flags & IOTGUARD_SDEV_PINNED)
		dev->action = dev->enforced = IOTGUARD_ACT_NONE;
}

static void restore(struct iotguard_score_dev *dev, struct dest_memory *mem,
		    const struct save_record *rec)
{
	struct iotguard_score_dev now = *dev;

	/* What the module says now wins over the file. */
	*dev = rec->dev;
	dev->cookie = now.cookie;
	dev->class = now.class;
	dev->flags = (rec->dev.flags & IOTGUARD_SDEV_ACTIVE_SEEN) |
		     (now.flags & ~IOTGUARD_SDEV_ACTIVE_SEEN);
	dev->new_dests = 0;
	if (dev->dests > IOTGUARD_SCORE_KNOWN_DESTS)
		dev->dests = IOTGUARD_SCORE_KNOWN_DESTS;
	dev->dest_hand %= IOTGUARD_SCORE_KNOWN_DESTS;
	*mem = rec->dests;
	restore_action(dev, &rec->dev);
	if (rec->dev.cookie != now.cookie && dev->enforced)
		dev->flags |= IOTGUARD_SDEV_REENROLLED;
}

bool iotguard_scorer_take_reenrolled(struct iotguard_scorer *scorer,
				     uint32_t slot)
{
	struct iotguard_score_dev *dev;
	bool was;

	if (slot >= scorer->slots)
		return false;
	dev = &scorer->devs[slot];
	was = dev->flags & IOTGUARD_SDEV_REENROLLED;
	dev->flags &= ~IOTGUARD_SDEV_REENROLLED;
	return was;
}

int iotguard_scorer_load(struct iotguard_scorer *scorer, const char *path,
			 uint32_t *restored, char *why, size_t why_len)
{
	struct save_record *recs = NULL;
	struct save_header hdr, want;
	uLong crc = crc32(0, Z_NULL, 0);
	uint32_t i, sum;
	bool stale;
	char extra;
	FILE *f;
	int ret = 0;

	*restored = 0;
	if (why_len)
		why[0] = '\0';
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fread(&hdr, sizeof(hdr), 1, f) != 1) {
		append(why, why_len, "it is shorter than a header");
		ret = -EBADMSG;
		goto cleanup;
	}
	fill_header(scorer, &want, hdr.count);
	if (memcmp(&hdr, &want, offsetof(struct save_header, basis)) ||
	    hdr.count > (1ULL << 26)) {
		ret = -EPROTO;
		goto cleanup;
	}
	recs = calloc(hdr.count ? hdr.count : 1, sizeof(*recs));
	if (!recs) {
		ret = -ENOMEM;
		goto cleanup;
	}
	/* Cut short, damaged or longer than it says: none of it is used. */
	if (fread(recs, sizeof(*recs), hdr.count, f) != hdr.count ||
	    fread(&sum, sizeof(sum), 1, f) != 1 || fread(&extra, 1, 1, f)) {
		append(why, why_len, "its length is not its header's");
		ret = -EBADMSG;
		goto cleanup;
	}
	crc = crc32(crc, (const Bytef *)&hdr, sizeof(hdr));
	crc = crc32(crc, (const Bytef *)recs, hdr.count * sizeof(*recs));
	if (sum != (uint32_t)crc) {
		append(why, why_len, "its checksum does not match");
		ret = -EBADMSG;
		goto cleanup;
	}
	for (i = 0; i < hdr.count; i++)
		if (!record_valid(&recs[i], why, why_len)) {
			ret = -EBADMSG;
			goto cleanup;
		}
	stale = basis_differs(&hdr.basis, &want.basis, why, why_len);
	qsort(recs, hdr.count, sizeof(*recs), record_cmp);
	for (i = 0; i < scorer->slots; i++) {
		struct iotguard_score_dev *dev = &scorer->devs[i];
		const struct save_record *rec;

		if (!(dev->flags & IOTGUARD_SDEV_USED) || !dev->key.family)
			continue;
		rec = bsearch(&dev->key, recs, hdr.count, sizeof(*recs),
			      key_record_cmp);
		if (!rec)
			continue;
		if (stale)
			restore_action(dev, &rec->dev);
		else
			restore(dev, &scorer->dests[i], rec);
		(*restored)++;
	}
	if (stale)
		ret = -ESTALE;

cleanup:
	free(recs);
	fclose(f);
	return ret;
}

/* Whole numbers from 100 on, three significant digits below. */
static const char *num(double v, char *buf, size_t len)
{
	snprintf(buf, len, fabs(v) >= 100 ? "%.0f" : "%.3g", v);
	return buf;
}

const char *iotguard_score_explain(const struct iotguard_score_expl *expl,
				   char *buf, size_t len)
{
	char seen[32], expected[32], limit[32];

	const char *det = iotguard_detector_name(expl->detector);
	const char *feat = iotguard_feature_name(expl->feature);

	switch (expl->feature) {
	case IOTGUARD_FEAT_SILENCE:
		snprintf(buf, len,
			 "%s: quiet for %.0f intervals, usually every %.1f (tolerates %.1f), score %.1f",
			 det, expl->seen, expl->expected, expl->limit,
			 expl->score);
		break;
	case IOTGUARD_FEAT_NEW_DESTS:
		snprintf(buf, len,
			 "%s: %.0f new destinations in an interval, expected %.3g, score %.1f",
			 det, expl->seen, expl->expected, expl->score);
		break;
	case IOTGUARD_FEAT_SIZE:
		snprintf(buf, len,
			 "%s: packet sizes %.2f from the learnt histogram, expected %.2f (up to %.2f), score %.1f",
			 det, expl->seen, expl->expected, expl->limit,
			 expl->score);
		break;
	case IOTGUARD_FEAT_NEIGH_FOREIGN:
		snprintf(buf, len,
			 "%s: %.0f ARP or NDP messages in another's name, score %.1f",
			 det, expl->seen, expl->score);
		break;
	case IOTGUARD_FEAT_TCP_ODD:
		snprintf(buf, len,
			 "%s: %.0f TCP segments with flags no stack sends (null, FIN, Xmas, SYN+FIN: OS fingerprinting or a stealth scan), score %.1f",
			 det, expl->seen, expl->score);
		break;
	case IOTGUARD_FEAT_CRED_FAIL:
		snprintf(buf, len,
			 "%s: %.0f datagrams in its name failed its credential (bad tag, replay, expired or revoked), score %.1f",
			 det, expl->seen, expl->score);
		break;
	case IOTGUARD_FEAT_WIN_ADDRS:
	case IOTGUARD_FEAT_WIN_PORTS:
		snprintf(buf, len,
			 "%s: %s %s in a window of %u epochs, over the class's limit %s, score %.1f",
			 det, feat + strlen("window_"),
			 num(expl->seen, seen, sizeof(seen)),
			 1U << IOTGUARD_WINDOW_SHIFT,
			 num(expl->limit, limit, sizeof(limit)), expl->score);
		break;
	default:
		if (expl->envelope) {
			snprintf(buf, len,
				 "%s: %s %s per interval, over the class's limit %s, score %.1f",
				 det, feat, num(expl->seen, seen, sizeof(seen)),
				 num(expl->limit, limit, sizeof(limit)),
				 expl->score);
			break;
		}
		snprintf(buf, len,
			 "%s: %s %s per interval, expected %s (%s %s), score %.1f",
			 det, feat, num(expl->seen, seen, sizeof(seen)),
			 num(expl->expected, expected, sizeof(expected)),
			 expl->detector == IOTGUARD_DET_DROP ? "down to" :
								"up to",
			 num(expl->limit, limit, sizeof(limit)), expl->score);
		break;
	}
	return buf;
}
