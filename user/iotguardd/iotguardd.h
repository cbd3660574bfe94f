/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iotguardd: shared by the daemon's files.
 */
#ifndef IOTGUARDD_H
#define IOTGUARDD_H

#include <limits.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "featmap.h"
#include "maps.h"
#include "nl.h"
#include "score.h"

#define IOTGUARDD_CONFIG "/etc/iotguard/iotguardd.conf"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Devices whose every per-device series /metrics shows (6 families, 13
 * series a device): beyond, only the devices acted on, so that a city of
 * 10^6 devices is not 1.3 * 10^7 series a scrape.
 */
#define METRICS_DEVICES_MAX 10000

struct config {
	double interval;		/* seconds */
	char listen[128];		/* "addr:port", "[v6]:port"; "" = off */
	char enroll[128];		/* the enrollment port, as listen */
	char state_dir[PATH_MAX];
	double save_every;		/* seconds between baseline saves */
	unsigned long alerts_max;	/* lines of alerts.jsonl before rotating */
	bool dry_run;
	bool metrics_devices;		/* per-device families in /metrics */
	/* beyond this many devices, only those acted on (metrics.c) */
	unsigned long metrics_devices_max;
	/* the events socket's receive buffer, bytes; 0: nl.c's 4 MiB */
	unsigned long event_buffer;
	struct {			/* durations as written, in seconds */
		double learn;
		double release_after;
		double half_life[IOTGUARD_SCORE_HORIZONS];
	} seconds;
	struct iotguard_score_config score;	/* in intervals */
};

/*
 * Fills defaults, then reads path; 0, or -1 with the error ("PATH:LINE:
 * what", "Unable to open PATH: why") in err.
 */
int config_load(const char *path, bool must_exist, struct config *cfg,
		char *err, size_t err_len);
/* A key of the global section: config.c's table. */
enum config_type {
	CONFIG_SECONDS,		/* double, a duration */
	CONFIG_FLOAT,
	CONFIG_COUNT,		/* a whole number, unsigned, size bytes */
	CONFIG_BOOL,
	CONFIG_OTHER,		/* parse does it all */
};

struct parser;

struct config_key {
	const char *name;
	enum config_type type;
	double min, max;
	size_t offset;		/* in struct config */
	size_t size;		/* of the field */
	int (*parse)(struct parser *p, struct config *cfg,
		     const struct config_key *k, const char *value);
};

/* The table, for tests that hold every key to its field. */
const struct config_key *config_keys(size_t *n);
/* Sets the interval and the score durations in intervals of it. */
void config_set_interval(struct config *cfg, double interval);
/* "ADDRESS:PORT", "[IPV6]:PORT" or ":PORT"; 0 or -EINVAL. */
int config_parse_listen(const char *s, struct sockaddr_storage *ss);

/* What the daemon knows of a device, by module index. */
struct dstate {
	struct iotguard_device dev;
	bool present;
	bool primed;		/* prev holds a first reading */
	uint64_t prev_packets, prev_bytes;	/* offered, cumulative */
	uint64_t prev_syn, prev_icmp, prev_arp, prev_neigh_foreign;
	uint32_t prev_tcp_odd;
	uint64_t prev_cred_fail;	/* bad tag, replay, expired, revoked */
	uint64_t prev_hist[IOTGUARD_SIZE_BUCKETS];
	uint64_t sketch_epoch;	/* of the estimates below */
	uint32_t dst_addrs, dst_ports;
	uint64_t window;	/* the last window scored */
	/* for /metrics */
	struct iotguard_dev_stats stats;
	char *labels;		/* metrics.c's, freed when dev changes */
};

struct daemon {
	struct config cfg;
	const char *config_path;
	bool foreground;
	struct iotguard_nl *nl;		/* requests */
	struct iotguard_nl *events;	/* the events group */
	struct iotguard_maps *maps;
	struct iotguard_features *feat;
	struct iotguard_scorer *scorer;
	struct dstate *devs;
	uint32_t max_devices;
	uint64_t intervals;
	uint64_t last_dest_ns;	/* destinations seen after this are new */
	double last_save;	/* monotonic seconds */
	pid_t save_pid;		/* the saver child, 0: none running */
	double last_tick;	/* the last interval's, monotonic seconds */
	uint64_t short_reads;	/* ticks too soon after the last one */
	uint64_t overruns;	/* ticks missed: the timer fired again first */
	/* health, for /metrics */
	double last_run_seconds;
	uint64_t map_errors, nl_errors, resyncs;
	/*
	 * The device table read again (events lost, the module reloaded):
	 * due at the interval resync_wait counts down to, each failure
	 * waiting twice as many intervals (resync_backoff()).
	 */
	bool resync_due;
	uint32_t resync_failures, resync_wait;
	uint64_t resync_errors;		/* failed attempts, for /metrics */
	/*
	 * Scoring pauses while nothing is guarded (no XDP program attached,
	 * or the module gone): the counters stand still, and would read as
	 * silence. module_gone from nlctrl's DELFAMILY to its NEWFAMILY;
	 * reloaded from then until the baselines saved when it went are
	 * restored, at the first interval guarded again.
	 */
	bool paused, module_gone, reloaded;
	uint64_t pauses, paused_intervals, module_reloads;
	uint64_t saves, save_errors;
	uint64_t alerts_by_det[IOTGUARD_DET_MAX];
	uint64_t actions[IOTGUARD_ACT_MAX];
	uint64_t releases;
	struct iotguard_counter global[IOTGUARD_R_MAX];
	uint64_t unknown_unrecorded;	/* frames of unknown sources left out */
	/* the pinned links: the guarded interfaces, read every interval */
	struct iotguard_link_status *links;
	size_t nlinks;
	/*
	 * Held by the main loop while it changes what /metrics shows, by
	 * the HTTP thread while it renders a chunk of it.
	 */
	pthread_mutex_t lock;
	void *http;
	/* enroll.c: the enrollment port, and what it answered */
	int enroll_fd;			/* -1: none */
	uint16_t enroll_port;
	uint64_t enrolled, enroll_failed;
	time_t enroll_log_second;
	unsigned int enroll_logged;
	FILE *alerts;
	unsigned long alert_lines;
};

/* log.c: syslog when a daemon, stderr in the foreground */
void log_init(bool foreground);
void log_msg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* enroll.c: the router's side of enrollment, when cfg.enroll is set */
int enroll_open(struct daemon *d);
void enroll_close(struct daemon *d);
void enroll_receive(struct daemon *d);

/* monitor.c */
/*
 * Intervals to wait before the next attempt to read the device table,
 * after failures failed ones in a row: 1, 2, 4, ... up to 64.
 */
static inline uint32_t resync_backoff(uint32_t failures)
{
	return failures > 7 ? 64 : 1U << (failures ? failures - 1 : 0);
}
int monitor_start(struct daemon *d);
void monitor_stop(struct daemon *d);
int monitor_resync(struct daemon *d);
int monitor_events(struct daemon *d);
/*
 * One interval: read the maps, score, act. span: the intervals the counts
 * were read over (1 when the ticks keep time), to bring them to one.
 */
void monitor_interval(struct daemon *d, double span);
int monitor_save(struct daemon *d);
void monitor_save_start(struct daemon *d);
void monitor_save_reap(struct daemon *d, bool wait);
/*
 * One interval of one device from the cumulative counters the XDP program
 * keeps: packets and bytes offered, and the features (NULL: none) with the
 * sketches of epoch. Fills in with the differences to the last reading in
 * ds; false for the first reading, which is only a base. The live daemon
 * and the replay both score through it.
 */
bool monitor_input(struct dstate *ds, uint64_t packets, uint64_t bytes,
		   const struct iotguard_feature_sum *fs, uint64_t epoch,
		   struct iotguard_score_input *in);
/* FNV-1a of a destination: the scorer remembers hashes, not addresses. */
uint32_t monitor_dest_hash(const struct iotguard_dest_key *key);
/* Out of a dry run: see control_reconcile(). */
void monitor_leave_dry_run(struct daemon *d);

/* control.c: what to set in the module for the scorer's events */
enum push {
	PUSH_NONE,	/* nothing to set: an alert, or a release of one */
	PUSH_SET,	/* the plan: set it; then DONE or FAILED */
	PUSH_DONE,
	PUSH_FAILED,
	PUSH_DRY_RUN,
	PUSH_PINNED,
	PUSH_NOT_OURS,	/* the module's state is not one the daemon set */
};

/* The module's state for an action; 0 for none and alert. */
uint8_t control_state_of(uint8_t action);
/*
 * For the scorer's event res on the device (sd: its scorer state, for what
 * the daemon holds in force): PUSH_SET with the state to set in *state, or
 * why nothing is set (*state 0).
 */
enum push control_plan(const struct dstate *ds,
		       const struct iotguard_score_dev *sd,
		       const struct iotguard_score_result *res,
		       uint8_t *state);
/* Sets dev's state in the module: 0 or -errno (logged). */
typedef int (*control_set_fn)(void *ctx, const struct iotguard_device *dev);
/*
 * The scorer's event res for the device at slot: the plan, the state set
 * by set, and the scorer told what is in force. Returns the outcome: DONE
 * or FAILED for a plan to set, else the plan's.
 */
enum push control_act(struct iotguard_scorer *scorer, struct dstate *ds,
		      uint32_t slot, const struct iotguard_score_result *res,
		      control_set_fn set, void *ctx);
/*
 * The module says dev is so (an event, a dump): a state the daemon set
 * that someone else changed is theirs, and the scorer forgets its action.
 */
void control_device_seen(struct iotguard_scorer *scorer,
			 const struct iotguard_device *dev);
/*
 * The n devices devs after a start (the baselines loaded) or out of a dry
 * run: a state of the daemon's that the module no longer shows is no
 * longer its own (control_device_seen()), and, but in a dry run, what was
 * decided and not done is decided again: an action at the device's next
 * anomalous interval, a release at its next calm one (see
 * iotguard_scorer_to_enforced()).
 */
void control_reconcile(struct iotguard_scorer *scorer,
		       const struct dstate *devs, uint32_t n, bool dry_run);
/*
 * After the baselines were loaded, before control_reconcile(): the states
 * the daemon had set on devices enrolled again since (a reloaded module, a
 * restarted router: IOTGUARD_SDEV_REENROLLED) set again, where the module
 * shows the default, allow. Returns how many were set; *failed counts the
 * ones set() refused (forgotten then, by control_reconcile()).
 */
uint32_t control_restore(struct iotguard_scorer *scorer, struct dstate *devs,
			 uint32_t n, bool dry_run, control_set_fn set,
			 void *ctx, uint32_t *failed);
/* " (dry run: not done)" and the like, for the alert's line; "" for none. */
const char *control_note(enum push outcome);

/* alert.c */
int alerts_open(struct daemon *d);
void alerts_close(struct daemon *d);
void alert_emit(struct daemon *d, const struct dstate *ds,
		const struct iotguard_score_result *res, enum push outcome);
/* Shared with the replay, so that both say the same. */
const char *alert_event_name(unsigned int event);
/* ISO 8601 UTC with milliseconds: 2026-11-25T10:00:16.250Z */
const char *alert_time(const struct timespec *ts, char *buf, size_t len);
/* The explanation: the top feature's, or "calm again" for a release. */
const char *alert_why(const struct iotguard_score_result *res, char *buf,
		      size_t len);
/* "anomaly NAME (ADDR): state FROM -> TO<note>: <why>" */
const char *alert_line(const struct dstate *ds,
		       const struct iotguard_score_result *res,
		       const char *note, const char *why, char *buf,
		       size_t len);
/* The members of an alert object of alerts.jsonl, "time" first. */
struct iotguard_json;
void alert_json_members(struct iotguard_json *json, const char *when,
			const struct dstate *ds,
			const struct iotguard_score_result *res,
			const char *why, bool done);

/* replay.c */
struct replay_opts {
	const char *path;	/* the capture; "-": standard input */
	const char *devices;	/* the devices file; NULL: every source */
	uint32_t max_devices;	/* without a devices file */
	bool json;		/* JSON lines */
	bool scores;		/* every device's score every interval */
};

/* The exit status: 0, 1 for bad input (devices file), 2 for the capture. */
int replay_run(const struct replay_opts *opts, const struct config *cfg);

/* args.c: the command line. */
struct args {
	const char *config_path;
	bool config_given;	/* -c: the file must exist */
	bool dry_run;
	bool foreground;
	struct replay_opts replay;	/* replay.path: --replay */
};

/*
 * Parses iotguardd's command line into *args, reporting an error: -1 to
 * go on, else the exit status (0 after --help or --version, 1).
 */
int parse_args(int argc, char *argv[], struct args *args);

/* metrics.c */
int http_start(struct daemon *d);
/*
 * After d->cfg.listen changed from old: serves on the new address (none if
 * empty) or, when that fails, goes on with the old one, puts old back in
 * d->cfg.listen and returns -EADDRNOTAVAIL.
 */
int http_relisten(struct daemon *d, const char *old);
void http_stop(struct daemon *d);
/*
 * A scrape of /metrics: the text, read in pieces, each rendered under
 * d->lock. metrics_scrape_read() returns the bytes put in buf, 0 at the
 * end, or -errno.
 */
struct metrics_scrape;
struct metrics_scrape *metrics_scrape_new(struct daemon *d);
ssize_t metrics_scrape_read(struct metrics_scrape *s, char *buf, size_t max);
void metrics_scrape_free(struct metrics_scrape *s);

double now_seconds(void);
const char *format_addr(const struct iotguard_addr *addr, char *buf,
			size_t len);

#endif /* IOTGUARDD_H */
