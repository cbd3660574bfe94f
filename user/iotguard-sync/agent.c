// SPDX-License-Identifier: GPL-2.0
/*
 * run: the agent. Watches this router's street and the city-wide lists,
 * applies each change by the rules of policy.c, and publishes what the
 * router decides on its own (the module's automatic quarantines and
 * alerts) under report.ROUTER, and how far it has come (the revision it
 * took last of each kind of key) under report.ROUTER.applied.
 *
 * The store may go away at any time: the local table is then left as it
 * is, and the agent waits for the store. When it is back, the watchers
 * start again from each key's newest value, and the revisions the agent
 * remembers keep anything it has applied already from being applied
 * again (fleet.rst).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "json.h"
#include "store.h"

struct agent;

struct watch {
	/* The kinds of key it gives (enum sync_key_kind): first, last. */
	int first, last;
	char bucket[SYNC_BUCKET_LEN];
	char pattern[SYNC_KEY_LEN];	/* in the bucket */
	char prefix[SYNC_KEY_LEN];	/* back to a logical key */
	kvStore *kv;
	kvWatcher *w;
	pthread_t thread;
	bool running;
	atomic_bool stopping;	/* by stop_set(), not on its own */
	struct agent *agent;
};

/*
 * The watchers of one start: street.R.> and city.> (the deny, revocation
 * and quarantine lists). One for the three lists, not one each: each
 * watcher is a consumer the cluster's meta leader makes, and a city's
 * routers start theirs together.
 */
#define WATCHES 2

struct watch_set {
	struct watch w[WATCHES];
};

struct agent {
	struct store_opts so;
	struct store st;	/* its kv: the reports bucket */
	char reports[SYNC_BUCKET_LEN];
	bool connected;
	struct sync_applier applier;
	bool have_applier;
	struct sync_table *table;
	const char *state;	/* --state: kept across restarts */
	bool unsaved;		/* taken since the state was saved */
	pthread_mutex_t lock;
	struct watch plan[WATCHES];	/* buckets, patterns, kinds */
	struct watch_set *set;	/* watching, or NULL */
	atomic_int reaping;	/* sets being stopped in the background */
	atomic_bool reset;	/* reconnected: the watchers start again */
	atomic_bool away;	/* disconnected, and not yet back */
	struct iotguard_nl *events;	/* the module's events, or NULL */
	/*
	 * The newest revision the watchers took of each kind of key, and
	 * published. The city's watcher takes its bucket in order: having
	 * taken revision N it has taken every list's keys up to N.
	 */
	_Atomic uint64_t taken[SYNC_KEY_KINDS];
	uint64_t published[SYNC_KEY_KINDS];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_disconnected(void *data)
{
	struct agent *agent = data;

	atomic_store(&agent->away, true);
}

static void on_reconnected(void *data)
{
	struct agent *agent = data;

	atomic_store(&agent->away, false);
	atomic_store(&agent->reset, true);
}

/*
 * Milliseconds from ns (UTC, the server's clock) to now (ours): how long
 * a change took from the store to the table, as far as clocks agree.
 */
static double since_ms(int64_t ns)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return ((double)now.tv_sec * 1e9 + now.tv_nsec - (double)ns) / 1e6;
}

static void apply_entry(struct watch *wt, kvEntry *e)
{
	struct agent *agent = wt->agent;
	const struct sync_counters *c = sync_table_counters(agent->table);
	kvOperation op = kvEntry_Operation(e);
	char lkey[2 * SYNC_KEY_LEN];
	uint64_t before, seen;
	int kind;

	snprintf(lkey, sizeof(lkey), "%s%s", wt->prefix, kvEntry_Key(e));
	pthread_mutex_lock(&agent->lock);
	before = c->applied;
	seen = c->applied + c->stale;
	sync_table_entry(agent->table, lkey, kvEntry_Revision(e),
			 op == kvOp_Put ? SYNC_OP_PUT : SYNC_OP_DEL,
			 kvEntry_Value(e), kvEntry_ValueLen(e), stderr);
	if (c->applied != before)
		fprintf(stderr, "%s: %s rev %" PRIu64 ": applied, %.1f ms "
			"after it was stored\n", prog_name, lkey,
			kvEntry_Revision(e),
			since_ms(kvEntry_Created(e)));
	for (kind = wt->first; kind <= wt->last; kind++)
		if (kvEntry_Revision(e) > atomic_load(&agent->taken[kind]))
			atomic_store(&agent->taken[kind], kvEntry_Revision(e));
	/* A revision it took (applied, or learnt after a restart). */
	if (c->applied + c->stale != seen)
		agent->unsaved = true;
	pthread_mutex_unlock(&agent->lock);
}

/*
 * The state file, written whole: every 200 ms at most, not per entry, so
 * that a street of thousands of devices is not rewritten thousands of
 * times. What a crash loses of the last 200 ms is applied once more at
 * the restart (the same values), and a device enrolled in them is then
 * taken for the router operator's (kept on a delete: the safe side).
 */
static void save_state(struct agent *agent)
{
	int ret;

	if (!agent->state)
		return;
	pthread_mutex_lock(&agent->lock);
	if (agent->unsaved) {
		ret = sync_table_save(agent->table, agent->state);
		if (ret)
			report_error(ret, NULL, "save %s", agent->state);
		else
			agent->unsaved = false;
	}
	pthread_mutex_unlock(&agent->lock);
}

static void *watch_thread(void *data)
{
	struct watch *wt = data;
	kvEntry *e;
	natsStatus s;

	for (;;) {
		/*
		 * Each watcher stops itself, so that the consumers'
		 * deletions wait at the same time, not one after another.
		 */
		if (atomic_load(&wt->stopping)) {
			kvWatcher_Stop(wt->w);
			break;
		}
		s = kvWatcher_Next(&e, wt->w, 500);
		if (s == NATS_TIMEOUT)
			continue;
		if (s != NATS_OK)
			break;
		if (!e) {
			/*
			 * Every key's newest value is in: the tests wait
			 * for this line.
			 */
			fprintf(stderr, "%s: in step with %s%s\n", prog_name,
				wt->prefix, wt->pattern);
			continue;
		}
		apply_entry(wt, e);
		kvEntry_Destroy(e);
	}
	/*
	 * Unless stopped, the watcher failed on its own: all of them start
	 * again, lest a pattern go unwatched.
	 */
	if (!atomic_load(&wt->stopping)) {
		fprintf(stderr, "%s: watching %s%s ended: %s\n", prog_name,
			wt->prefix, wt->pattern, natsStatus_GetText(s));
		atomic_store(&wt->agent->reset, true);
	}
	return NULL;
}

static void stop_set(struct watch_set *set)
{
	struct watch *wt;
	size_t i;

	for (i = 0; i < WATCHES; i++)
		atomic_store(&set->w[i].stopping, true);
	for (i = 0; i < WATCHES; i++) {
		wt = &set->w[i];
		if (wt->running)
			pthread_join(wt->thread, NULL);
		else if (wt->w)
			kvWatcher_Stop(wt->w);
		kvWatcher_Destroy(wt->w);
		kvStore_Destroy(wt->kv);
	}
	free(set);
}

static void *reap_thread(void *data)
{
	struct watch_set *set = data;
	struct agent *agent = set->w[0].agent;

	stop_set(set);
	atomic_fetch_sub(&agent->reaping, 1);
	return NULL;
}

/*
 * Stops a set in the background. Stopping a watcher deletes its consumer:
 * a request that waits out its timeout (5 s) when the consumer was on a
 * server that is gone, while the new set already watches. What the old
 * set still gives meanwhile is older or the same: the revisions skip it.
 */
static void reap_set(struct agent *agent, struct watch_set *set)
{
	pthread_attr_t attr;
	pthread_t thread;

	atomic_fetch_add(&agent->reaping, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thread, &attr, reap_thread, set)) {
		stop_set(set);
		atomic_fetch_sub(&agent->reaping, 1);
	}
	pthread_attr_destroy(&attr);
}

/* A new set watching all the patterns, or NULL (reported). */
static struct watch_set *start_set(struct agent *agent)
{
	struct watch_set *set;
	kvWatchOptions wo;
	struct watch *wt;
	natsStatus s;
	size_t i;

	set = calloc(1, sizeof(*set));
	if (!set) {
		report_error(ENOMEM, NULL, "start the watchers");
		return NULL;
	}
	kvWatchOptions_Init(&wo);
	for (i = 0; i < WATCHES; i++) {
		wt = &set->w[i];
		wt->first = agent->plan[i].first;
		wt->last = agent->plan[i].last;
		memcpy(wt->bucket, agent->plan[i].bucket, sizeof(wt->bucket));
		memcpy(wt->pattern, agent->plan[i].pattern,
		       sizeof(wt->pattern));
		memcpy(wt->prefix, agent->plan[i].prefix, sizeof(wt->prefix));
		wt->agent = agent;
		if (store_bind(&agent->st, wt->bucket, &wt->kv))
			goto fail;
		s = kvStore_Watch(&wt->w, wt->kv, wt->pattern, &wo);
		if (s != NATS_OK) {
			report_nats(s, "watch %s%s", wt->prefix, wt->pattern);
			goto fail;
		}
		if (pthread_create(&wt->thread, NULL, watch_thread, wt)) {
			report_error(EAGAIN, NULL, "start a watcher");
			goto fail;
		}
		wt->running = true;
	}
	return set;
fail:
	stop_set(set);
	return NULL;
}

/* Waits up to ms, or less if the module has events for us. */
static void wait_events(struct agent *agent, int ms);

/*
 * report.ROUTER.applied: the revision each watcher took last, so that
 * the operator sees which routers have a change (iotguard-city
 * applied). Put when it moved; a failed put is tried again next time.
 */
static void publish_progress(struct agent *agent)
{
	uint64_t taken[SYNC_KEY_KINDS];
	struct iotguard_json json;
	char key[SYNC_KEY_LEN];
	char *value = NULL;
	bool moved = false;
	size_t len = 0, i;
	natsStatus s;
	FILE *f;

	for (i = 0; i < SYNC_KEY_KINDS; i++) {
		taken[i] = atomic_load(&agent->taken[i]);
		moved |= taken[i] != agent->published[i];
	}
	if (!moved)
		return;
	f = open_memstream(&value, &len);
	if (!f)
		return;
	iotguard_json_init(&json, f);
	iotguard_json_object_start(&json);
	iotguard_json_kv_string(&json, "router", agent->so.router);
	for (i = 0; i < SYNC_KEY_KINDS; i++)
		iotguard_json_kv_u64(&json, sync_kind_names[i], taken[i]);
	iotguard_json_kv_u64(&json, "time", (uint64_t)time(NULL));
	iotguard_json_object_end(&json);
	if (iotguard_json_error(&json) | fclose(f))
		goto cleanup;
	if (len && value[len - 1] == '\n')
		len--;
	snprintf(key, sizeof(key), "%s.applied", agent->so.router);
	s = kvStore_Put(NULL, agent->st.kv, key, value, (int)len);
	if (s == NATS_OK)
		memcpy(agent->published, taken, sizeof(taken));
cleanup:
	free(value);
}

/*
 * Between two tries to reach the store, or to start the watchers: from
 * 0.5 s doubling to 8 s, each wait drawn between half of it and all of
 * it, so that a city's routers, cut off together, do not all come back
 * in the same instant and keep failing one another's TLS handshakes.
 */
#define RETRY_MIN_MS 500
#define RETRY_MAX_MS 8000

static int next_retry(int *backoff)
{
	int wait = *backoff / 2 + (int)(random() % (*backoff / 2 + 1));

	*backoff = *backoff >= RETRY_MAX_MS / 2 ? RETRY_MAX_MS : *backoff * 2;
	return wait;
}

static void run_loop(struct agent *agent)
{
	int backoff = RETRY_MIN_MS;
	struct watch_set *set;

	srandom((unsigned int)time(NULL) ^ (unsigned int)getpid());
	while (!stop) {
		if (!agent->connected) {
			if (store_open(&agent->so, agent->reports,
				       &agent->st)) {
				if (!agent->so.quiet)
					fprintf(stderr, "%s: store: away; the "
						"local table stays as it is\n",
						prog_name);
				agent->so.quiet = true;
				wait_events(agent, next_retry(&backoff));
				continue;
			}
			agent->so.quiet = false;
			agent->connected = true;
			fprintf(stderr, "%s: store: connected\n", prog_name);
		}
		/*
		 * The first set, or a new one after a reconnection (or a
		 * watcher that ended on its own): the new one first, so
		 * that watching never pauses for the old one's stop.
		 */
		if (!agent->set || atomic_exchange(&agent->reset, false)) {
			set = start_set(agent);
			if (!set) {
				atomic_store(&agent->reset, true);
				wait_events(agent, next_retry(&backoff));
				continue;
			}
			if (agent->set)
				reap_set(agent, agent->set);
			agent->set = set;
		}
		backoff = RETRY_MIN_MS;
		wait_events(agent, 200);
		save_state(agent);
		if (!atomic_load(&agent->away))
			publish_progress(agent);
	}
	if (!atomic_load(&agent->away) && agent->set) {
		stop_set(agent->set);
		agent->set = NULL;
		/* The sets stopping in the background use the connection. */
		while (atomic_load(&agent->reaping))
			poll(NULL, 0, 50);
	}
	save_state(agent);
}

/* The device's class by name, if the event said (NULL if not). */
static const char *class_of(const struct iotguard_device *dev)
{
	return dev->present & IOTGUARD_DEV_CLASS ?
	       iotguard_class_name(dev->class) : NULL;
}

/* What the router decided on its own, for the city to see. */
static int on_event(uint8_t cmd, const struct iotguard_device *dev,
		    const struct iotguard_alert *alert, void *data)
{
	struct store_decision d = { .class = class_of(dev) };
	struct agent *agent = data;

	if (!agent->connected)
		return 0;	/* the module has it; the store is away */
	if (cmd == IOTGUARD_CMD_ALERT && alert) {
		d.state = "alert";
		d.reason = alert->text;
		if (alert->detector != IOTGUARD_ALERT_DET_NONE)
			d.detector = iotguard_alert_detector_name(
						alert->detector);
		/*
		 * iotguardd's quarantine that took (no dry run): reported
		 * as the quarantine, with its detector, so that the city's
		 * policy may act on some detectors alone.
		 */
		if (alert->action == IOTGUARD_ALERT_ACT_QUARANTINE &&
		    !(alert->flags & (IOTGUARD_ALERT_F_DRY_RUN |
				      IOTGUARD_ALERT_F_FAILED)))
			d.state = "quarantine";
		store_report(&agent->st, agent->so.router, &dev->id, &d);
	} else if ((cmd == IOTGUARD_CMD_DEVICE_SET ||
		    cmd == IOTGUARD_CMD_DEVICE_NEW) &&
		   (dev->present & IOTGUARD_DEV_FLAGS) &&
		   (dev->flags & IOTGUARD_DEVICE_F_AUTO)) {
		d.state = iotguard_state_name(dev->state);
		if (!d.state)
			d.state = "?";
		d.reason = "iotguardd";
		store_report(&agent->st, agent->so.router, &dev->id, &d);
	}
	return 0;
}

static void wait_events(struct agent *agent, int ms)
{
	struct pollfd pfd;

	if (!agent->events) {
		poll(NULL, 0, ms);
		return;
	}
	pfd.fd = iotguard_nl_fd(agent->events);
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) > 0 &&
	    iotguard_nl_events_read(agent->events, on_event, agent) ==
	    -ENOBUFS)
		fprintf(stderr, "%s: missed some of the module's events\n",
			prog_name);
}

static void show_usage(FILE *f, const char *command)
{
	fprintf(f, "Usage: %s %s --router NAME [OPTIONS]\n\n", prog_name,
		command);
	fputs("Keeps this router's device table as the city's buckets want"
	      " it:\nits street's devices (street.NAME.dev.*) and the city's"
	      " deny,\nrevocation and quarantine lists (city.deny.*, "
	      "city.revoke.*,\ncity.quarantine.*). Runs until SIGTERM.\n\n",
	      f);
	fputs(STORE_OPTIONS_HELP
	      "      --state FILE  what the agent applied, kept across its"
	      " restarts\n"
	      "      --record FILE  do not change the module: append what"
	      " would be\n                     done to FILE (tests)\n"
	      "  -h, --help        show this help and exit\n", f);
}

int run_main(int argc, char *argv[])
{
	static const struct option options[] = {
		STORE_LONG_OPTIONS,
		{ "record", required_argument, NULL, 'F' },
		{ "state", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/*
	 * Static: libnats calls back from its own threads, the last time
	 * when the connection's close is done, which may be after return.
	 */
	static struct agent agent = { .so.city = SYNC_CITY };
	const char *record = NULL;
	struct sigaction sa;
	size_t bytes, count;
	int opt, ret = EXIT_OK;
	size_t i;

	optind = 1;
	while ((opt = store_next_option(argc, argv,
					STORE_SHORT_OPTIONS "h",
					options, &agent.so)) != -1) {
		switch (opt) {
		case 'h':
			show_usage(stdout, argv[0]);
			return EXIT_OK;
		case 'F':
			record = optarg;
			break;
		case 'S':
			agent.state = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return usage_error(argv[0], "unexpected `%s'", argv[optind]);
	if (!agent.so.router)
		return usage_error(argv[0], "no --router");
	ret = store_options_check(argv[0], &agent.so);
	if (ret)
		return ret;
	/* A certificate that does not load will not load on a retry. */
	ret = store_check(&agent.so);
	if (ret)
		return ret;

	pthread_mutex_init(&agent.lock, NULL);
	agent.so.retry = true;
	agent.so.disconnected = on_disconnected;
	agent.so.away = "the local table stays as it is";
	agent.so.reconnected = on_reconnected;
	agent.so.data = &agent;
	/* street.R.> and city.> (store.h): the logical keys' prefixes. */
	snprintf(agent.reports, SYNC_BUCKET_LEN, "%s-reports", agent.so.city);
	snprintf(agent.plan[0].bucket, SYNC_BUCKET_LEN, "%s-street-%s",
		 agent.so.city, agent.so.router);
	snprintf(agent.plan[0].prefix, SYNC_KEY_LEN, "street.%s.",
		 agent.so.router);
	agent.plan[0].first = SYNC_KEY_DEVICE;
	agent.plan[0].last = SYNC_KEY_DEVICE;
	snprintf(agent.plan[1].bucket, SYNC_BUCKET_LEN, "%s", agent.so.city);
	snprintf(agent.plan[1].prefix, SYNC_KEY_LEN, "city.");
	agent.plan[1].first = SYNC_KEY_DENY;
	agent.plan[1].last = SYNC_KEY_QUARANTINE;
	for (i = 0; i < WATCHES; i++)
		snprintf(agent.plan[i].pattern, SYNC_KEY_LEN, ">");

	ret = record ? sync_applier_record(&agent.applier, record) :
		       sync_applier_nl(&agent.applier);
	if (ret) {
		ret = report_error(ret,
				   record ? NULL : iotguard_nl_extack(NULL),
				   "open %s", record ? record :
				   "the iotguard netlink family");
		goto cleanup;
	}
	agent.have_applier = true;
	/* The module's own decisions, to report: a handle of their own. */
	if (!record && (iotguard_nl_open(&agent.events) ||
			iotguard_nl_join_events(agent.events))) {
		ret = report_error(EIO, iotguard_nl_extack(agent.events),
				   "listen to the module's events");
		goto cleanup;
	}
	if (sync_table_new(&agent.table, agent.so.router, &agent.applier)) {
		ret = report_error(ENOMEM, NULL, "start");
		goto cleanup;
	}
	if (agent.state) {
		ret = sync_table_load(agent.table, agent.state);
		if (ret) {
			ret = report_error(ret, NULL, "read %s", agent.state);
			goto cleanup;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	run_loop(&agent);
	bytes = sync_table_memory(agent.table, &count);
	fprintf(stderr, "%s: stopping: %" PRIu64 " applied, %" PRIu64
		" stale, %" PRIu64 " ignored, %" PRIu64 " kept by a pin, %"
		PRIu64 " failed; %zu identities in %zu bytes\n", prog_name,
		sync_table_counters(agent.table)->applied,
		sync_table_counters(agent.table)->stale,
		sync_table_counters(agent.table)->ignored,
		sync_table_counters(agent.table)->kept_pin,
		sync_table_counters(agent.table)->failed, count, bytes);
	/*
	 * Stopping a watcher deletes its consumer, a request that waits
	 * its whole timeout for servers that are away: there is nothing
	 * to tidy there, and all the agent did is written already.
	 */
	if (atomic_load(&agent.away)) {
		fflush(stderr);
		_exit(EXIT_OK);
	}
cleanup:
	if (agent.connected)
		store_close(&agent.st);
	iotguard_nl_close(agent.events);
	if (agent.have_applier)
		agent.applier.close(agent.applier.priv);
	sync_table_free(agent.table);
	pthread_mutex_destroy(&agent.lock);
	return ret;
}
