// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's work: the device cache (a dump, then the events), reading
 * the maps every interval, scoring, acting over netlink, saving baselines.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "iotguardd.h"
#include "parse.h"

#define BASELINES "baselines.bin"

static int read_max_devices(uint32_t *out)
{
	unsigned int value;
	FILE *f;
	int ret;

	f = fopen(IOTGUARD_MAX_DEVICES_PARAM, "re");
	if (!f)
		return -errno;
	ret = fscanf(f, "%u", &value) == 1 && value ? 0 : -EINVAL;
	fclose(f);
	if (!ret)
		*out = value;
	return ret;
}

static void key_of(const struct iotguard_addr *id,
		   struct iotguard_score_key *key)
{
	memset(key, 0, sizeof(*key));
	key->family = id->family;
	memcpy(key->addr, id->addr, id->family == AF_INET ? 4 : 16);
}

static void set_device(struct daemon *d, const struct iotguard_device *dev)
{
	struct iotguard_score_key key;
	struct dstate *ds;

	if (!(dev->present & IOTGUARD_DEV_INDEX) ||
	    dev->index >= d->max_devices)
		return;
	/* From an event or a dump (events lost): before the scorer's copy. */
	control_device_seen(d->scorer, dev);
	ds = &d->devs[dev->index];
	free(ds->labels);
	ds->labels = NULL;
	if (!ds->present || ds->dev.cookie != dev->cookie)
		memset(ds, 0, sizeof(*ds));
	ds->dev = *dev;
	ds->present = true;
	key_of(&dev->id, &key);
	iotguard_scorer_device(d->scorer, dev->index, dev->cookie, &key,
			       dev->class,
			       dev->flags & IOTGUARD_DEVICE_F_PINNED);
}

static void del_device(struct daemon *d, uint32_t index)
{
	if (index >= d->max_devices)
		return;
	free(d->devs[index].labels);
	memset(&d->devs[index], 0, sizeof(d->devs[index]));
	iotguard_scorer_device_del(d->scorer, index);
}

static int dump_cb(const struct iotguard_device *dev, void *data)
{
	struct daemon *d = data;

	set_device(d, dev);
	return 0;
}

int monitor_resync(struct daemon *d)
{
	bool *seen;
	uint32_t i;
	int ret;

	seen = calloc(d->max_devices, sizeof(*seen));
	if (!seen)
		return -ENOMEM;
	/* Only present slots are written: all would make the table resident. */
	for (i = 0; i < d->max_devices; i++) {
		seen[i] = d->devs[i].present;
		if (seen[i])
			d->devs[i].present = false;
	}
	ret = iotguard_nl_device_dump(d->nl, dump_cb, d);
	if (ret) {
		log_msg(LOG_ERR, "Unable to dump the devices: %s%s%s",
			strerror(-ret), *iotguard_nl_extack(d->nl) ? ": " : "",
			iotguard_nl_extack(d->nl));
		/* Keep what we knew rather than forget every device. */
		for (i = 0; i < d->max_devices; i++)
			if (seen[i])
				d->devs[i].present = true;
		goto cleanup;
	}
	for (i = 0; i < d->max_devices; i++)
		if (seen[i] && !d->devs[i].present)
			del_device(d, i);
	d->resyncs++;

cleanup:
	free(seen);
	return ret;
}

static void module_gone(struct daemon *d);
static void resync(struct daemon *d);

static int event_cb(uint8_t cmd, const struct iotguard_device *dev,
		    const struct iotguard_alert *alert, void *data)
{
	struct daemon *d = data;
	struct dstate *ds;

	(void)alert;	/* our own and other senders' alerts change nothing */

	if (cmd == IOTGUARD_NL_FAMILY_DEL) {
		module_gone(d);
		return 0;
	}
	/* At once, a retry due or not: the failures so far still count. */
	if (cmd == IOTGUARD_NL_FAMILY_NEW) {
		resync(d);
		return 0;
	}
	if (!(dev->present & IOTGUARD_DEV_INDEX) ||
	    dev->index >= d->max_devices)
		return 0;
	ds = &d->devs[dev->index];
	if (cmd == IOTGUARD_CMD_DEVICE_DEL) {
		if (ds->present && ds->dev.cookie == dev->cookie)
			del_device(d, dev->index);
		return 0;
	}
	/* A revocation changes the device's credential: keep its copy. */
	if (cmd != IOTGUARD_CMD_DEVICE_NEW && cmd != IOTGUARD_CMD_DEVICE_SET &&
	    cmd != IOTGUARD_CMD_DEVICE_REVOKE)
		return 0;
	set_device(d, dev);
	return 0;
}

int monitor_events(struct daemon *d)
{
	int ret = iotguard_nl_events_read(d->events, event_cb, d);

	if (ret == -ENOBUFS) {
		log_msg(LOG_WARNING, "Lost device events: reading the table again");
		resync(d);
		ret = 0;
	}
	return ret;
}

/* The family resolved anew: a new request socket, the events group too. */
static int reconnect(struct daemon *d)
{
	struct iotguard_nl *nl;
	int ret;

	ret = iotguard_nl_open(&nl);
	if (!ret)
		ret = iotguard_nl_refresh(d->events);
	if (ret) {
		iotguard_nl_close(nl);
		return ret;
	}
	iotguard_nl_close(d->nl);
	d->nl = nl;
	return 0;
}

/*
 * nlctrl says the family is gone: the module was unloaded (the XDP program
 * was detached first, or it could not be). What the daemon learnt is saved
 * now, before the devices go, to be restored when it is back.
 */
static void module_gone(struct daemon *d)
{
	if (d->module_gone)
		return;
	if (!d->reloaded)
		monitor_save(d);
	d->module_gone = true;
	d->resync_due = false;
	log_msg(LOG_WARNING,
		"The iotguard module was unloaded: scoring paused until it is loaded again and an interface guarded (the baselines are saved)");
}

/*
 * The family is back, or came back with another id while its events were
 * lost: its device table is a new one, of new cookies. The baselines saved
 * when it went are restored at the first interval guarded again (see
 * monitor_interval()), when the devices are enrolled anew.
 */
static void module_reloaded(struct daemon *d)
{
	/* Its going was among the events lost: save what there is. */
	if (!d->module_gone && !d->reloaded)
		monitor_save(d);
	d->module_gone = false;
	d->module_reloads++;
	d->reloaded = true;
	log_msg(LOG_NOTICE,
		"The iotguard module is loaded again: reading its device table; the baselines are restored once an interface is guarded again");
}

/*
 * Reads the device table again, the family resolved anew; when that
 * fails, tries again after resync_backoff() intervals, until it succeeds.
 */
static void resync(struct daemon *d)
{
	uint16_t family = iotguard_nl_family_id(d->nl);
	int ret;

	ret = reconnect(d);
	if (ret) {
		log_msg(LOG_ERR, "Unable to reach the iotguard family: %s%s%s",
			strerror(-ret), *iotguard_nl_extack(NULL) ? ": " : "",
			iotguard_nl_extack(NULL));
	} else {
		if (d->module_gone || iotguard_nl_family_id(d->nl) != family)
			module_reloaded(d);
		ret = monitor_resync(d);
	}
	if (ret) {
		d->resync_errors++;
		d->resync_failures++;
		d->resync_wait = resync_backoff(d->resync_failures);
		d->resync_due = true;
		log_msg(LOG_WARNING,
			"Reading the device table failed %u times in a row: trying again in %u intervals",
			d->resync_failures, d->resync_wait);
		return;
	}
	if (d->resync_failures)
		log_msg(LOG_NOTICE,
			"Read the device table again after %u failed attempts",
			d->resync_failures);
	else
		log_msg(LOG_INFO, "Read the device table again");
	d->resync_due = false;
	d->resync_failures = 0;
}

static void baselines_path(const struct daemon *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", d->cfg.state_dir, BASELINES);
}

void monitor_leave_dry_run(struct daemon *d)
{
	control_reconcile(d->scorer, d->devs, d->max_devices, false);
}

static void save_done(struct daemon *d, int err)
{
	char path[PATH_MAX + 32];

	if (!err) {
		d->saves++;
		return;
	}
	d->save_errors++;
	baselines_path(d, path, sizeof(path));
	log_msg(LOG_ERR,
		"Unable to save the baselines to %s: %s (the last saved stay)",
		path, strerror(err));
}

int monitor_save(struct daemon *d)
{
	char path[PATH_MAX + 32];
	int ret;

	/*
	 * The module gone, or its devices not yet restored: the file holds
	 * the baselines saved when it went, which the scorer does not yet.
	 */
	if (d->module_gone || d->reloaded)
		return 0;
	monitor_save_reap(d, true);
	baselines_path(d, path, sizeof(path));
	ret = iotguard_scorer_save(d->scorer, path);
	save_done(d, -ret);
	d->last_save = now_seconds();
	return ret;
}

/*
 * The periodic save, off the scoring thread: a child process writes the
 * baselines as they were at fork() (copy-on-write: no copy of a 10^6-device
 * scorer, no lock), fsyncs and renames, and exits with the errno. Scoring
 * goes on meanwhile, whatever the disk's latency; one save at a time.
 */
void monitor_save_start(struct daemon *d)
{
	char path[PATH_MAX + 32];
	pid_t pid;

	if (d->save_pid > 0 || d->module_gone || d->reloaded)
		return;
	baselines_path(d, path, sizeof(path));
	d->last_save = now_seconds();
	pid = fork();
	if (pid < 0) {
		log_msg(LOG_WARNING, "Unable to fork the saver: %s: saving here",
			strerror(errno));
		save_done(d, -iotguard_scorer_save(d->scorer, path));
		return;
	}
	if (!pid)
		_exit(-iotguard_scorer_save(d->scorer, path));
	d->save_pid = pid;
}

/* Collects a finished save (all the same, with wait, an unfinished one). */
void monitor_save_reap(struct daemon *d, bool wait)
{
	int status;
	pid_t pid;

	if (d->save_pid <= 0)
		return;
	do
		pid = waitpid(d->save_pid, &status, wait ? 0 : WNOHANG);
	while (pid < 0 && errno == EINTR);
	if (!pid)
		return;
	d->save_pid = 0;
	if (pid < 0)
		save_done(d, errno);
	else if (WIFEXITED(status))
		save_done(d, WEXITSTATUS(status));
	else
		save_done(d, EINTR);
}

static int set_state(void *ctx, const struct iotguard_device *dev)
{
	struct daemon *d = ctx;
	char addr[IOTGUARD_ADDR_STRLEN];
	int ret;

	ret = iotguard_nl_device_set(d->nl, dev);
	if (ret) {
		d->nl_errors++;
		log_msg(LOG_ERR, "Unable to set the state of %s: %s%s%s",
			format_addr(&dev->id, addr, sizeof(addr)),
			strerror(-ret), *iotguard_nl_extack(d->nl) ? ": " : "",
			iotguard_nl_extack(d->nl));
	}
	return ret;
}

static void load_baselines(struct daemon *d)
{
	char path[PATH_MAX + 32], why[256];
	uint32_t restored, failed;
	int ret;

	baselines_path(d, path, sizeof(path));
	ret = iotguard_scorer_load(d->scorer, path, &restored, why,
				   sizeof(why));
	if (ret == -ENOENT) {
		log_msg(LOG_INFO, "No baselines in %s yet: learning", path);
		return;
	}
	if (ret == -ESTALE) {
		log_msg(LOG_WARNING,
			"Not scoring against the baselines of %u devices in %s, learnt with %s: they learn anew (the actions in force stay)",
			restored, path, why);
	} else if (ret == -EBADMSG) {
		log_msg(LOG_WARNING,
			"Unable to load the baselines from %s: %s: learning anew",
			path, why);
		return;
	} else if (ret) {
		log_msg(LOG_WARNING, "Unable to load the baselines from %s: %s%s",
			path, strerror(-ret),
			ret == -EPROTO ? " (another version: learning anew)" :
					 "");
		return;
	} else {
		log_msg(LOG_INFO, "Restored the baselines of %u devices from %s",
			restored, path);
	}
	restored = control_restore(d->scorer, d->devs, d->max_devices,
				   d->cfg.dry_run, set_state, d, &failed);
	if (restored || failed)
		log_msg(failed ? LOG_WARNING : LOG_NOTICE,
			"Set again what the daemon had set on %u devices enrolled anew since the baselines were saved (module reloaded or router restarted)%s",
			restored, failed ? "; the others failed and are forgotten" : "");
	/* The module may have changed while we were away, or a dry run. */
	control_reconcile(d->scorer, d->devs, d->max_devices, d->cfg.dry_run);
}

int monitor_start(struct daemon *d)
{
	int ret;

	ret = read_max_devices(&d->max_devices);
	if (ret) {
		log_msg(LOG_ERR, "Unable to read %s: %s (iotguard module not loaded?)",
			IOTGUARD_MAX_DEVICES_PARAM, strerror(-ret));
		return ret;
	}
	d->devs = calloc(d->max_devices, sizeof(*d->devs));
	if (!d->devs)
		return -ENOMEM;
	ret = iotguard_scorer_new(&d->cfg.score, d->max_devices, &d->scorer);
	if (ret)
		return ret;
	ret = iotguard_nl_open(&d->nl);
	if (!ret)
		ret = iotguard_nl_open(&d->events);
	if (ret) {
		log_msg(LOG_ERR, "Unable to open the iotguard netlink family: %s%s%s",
			strerror(-ret), *iotguard_nl_extack(NULL) ? ": " : "",
			iotguard_nl_extack(NULL));
		return ret;
	}
	/* Join before the dump, so that no change falls in between. */
	ret = iotguard_nl_join_events(d->events);
	if (ret) {
		log_msg(LOG_ERR, "Unable to join the iotguard events: %s",
			strerror(-ret));
		return ret;
	}
	/* Without it, an unloaded module is noticed when events are lost. */
	ret = iotguard_nl_watch_family(d->events);
	if (ret)
		log_msg(LOG_WARNING, "Unable to watch the iotguard family: %s",
			strerror(-ret));
	if (d->cfg.event_buffer) {
		ret = iotguard_nl_set_rcvbuf(d->events, d->cfg.event_buffer);
		if (ret)
			log_msg(LOG_WARNING,
				"Unable to set the events socket's buffer: %s",
				strerror(-ret));
	}
	ret = monitor_resync(d);
	if (ret)
		return ret;
	if (mkdir(d->cfg.state_dir, 0750) && errno != EEXIST) {
		ret = -errno;
		log_msg(LOG_ERR, "Unable to create %s: %s", d->cfg.state_dir,
			strerror(errno));
		return ret;
	}
	load_baselines(d);
	d->last_save = now_seconds();
	return alerts_open(d);
}

void monitor_stop(struct daemon *d)
{
	uint32_t i;

	alerts_close(d);
	iotguard_features_close(d->feat);
	iotguard_maps_close(d->maps);
	iotguard_nl_close(d->events);
	iotguard_nl_close(d->nl);
	iotguard_scorer_free(d->scorer);
	if (d->devs)
		for (i = 0; i < d->max_devices; i++)
			free(d->devs[i].labels);
	free(d->devs);
	free(d->links);
}

uint32_t monitor_dest_hash(const struct iotguard_dest_key *key)
{
	uint32_t h = 2166136261u;
	unsigned int i, len = key->family == AF_INET ? 4 : 16;

	h = (h ^ key->family) * 16777619u;
	for (i = 0; i < len; i++)
		h = (h ^ key->addr[i]) * 16777619u;
	return h;
}

struct dest_walk {
	struct daemon *d;
	uint64_t newest;
};

static int dest_cb(const struct iotguard_dest_key *key,
		   const struct iotguard_dest_val *val, void *data)
{
	struct dest_walk *walk = data;
	struct daemon *d = walk->d;

	if (val->last_ns > walk->newest)
		walk->newest = val->last_ns;
	if (val->last_ns <= d->last_dest_ns || key->index >= d->max_devices ||
	    !d->devs[key->index].present ||
	    d->devs[key->index].dev.cookie != key->cookie)
		return 0;
	iotguard_scorer_observe_dest(d->scorer, key->index,
				     monitor_dest_hash(key));
	return 0;
}

static void open_maps(struct daemon *d)
{
	static bool told_maps, told_feat;
	int ret;

	if (!d->maps) {
		ret = iotguard_maps_open(&d->maps);
		if (ret && !told_maps)
			log_msg(LOG_WARNING, "Unable to open the maps: %s%s%s (waiting for `iotguard attach')",
				strerror(-ret),
				*iotguard_maps_error() ? ": " : "",
				iotguard_maps_error());
		told_maps = ret;
		if (!ret)
			log_msg(LOG_INFO, "Reading the maps under %s",
				iotguard_maps_dir(d->maps));
	}
	if (d->maps && !d->feat) {
		ret = iotguard_features_open(&d->feat);
		if (ret && !told_feat)
			log_msg(LOG_NOTICE, "No behaviour features (%s): scoring volume only",
				iotguard_features_error());
		told_feat = ret;
	}
}

struct links_read {
	struct iotguard_link_status *links;
	size_t n, cap;
};

static int link_cb(const struct iotguard_link_status *status, void *data)
{
	struct links_read *r = data;
	struct iotguard_link_status *grown;

	if (r->n == r->cap) {
		grown = reallocarray(r->links, r->cap ? r->cap * 2 : 4,
				     sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		r->links = grown;
		r->cap = r->cap ? r->cap * 2 : 4;
	}
	r->links[r->n++] = *status;
	return 0;
}

/*
 * The guarded interfaces, from the links pinned in the namespace's pin
 * directory, for /metrics. A link that cannot be read ends the walk: the
 * ones before it are shown, and the error counts as a map error (and is
 * returned).
 */
static int read_links(struct daemon *d)
{
	static bool told;
	struct links_read r = { 0 };
	int ret;

	ret = iotguard_links_walk(link_cb, &r);
	if (ret) {
		d->map_errors++;
		if (!told)
			log_msg(LOG_WARNING, "Unable to read the attached interfaces: %s%s%s",
				strerror(-ret),
				*iotguard_maps_error() ? ": " : "",
				iotguard_maps_error());
	}
	told = ret;
	free(d->links);
	d->links = r.links;
	d->nlinks = r.n;
	return ret;
}

static uint64_t delta(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : 0;
}

/* The scorer's event for the device at slot, in the module: control.c. */
static void act(struct daemon *d, struct dstate *ds, uint32_t slot,
		const struct iotguard_score_result *res)
{
	enum push outcome;

	outcome = control_act(d->scorer, ds, slot, res, set_state, d);
	if (res->event == IOTGUARD_EV_RELEASE)
		d->releases++;
	else if (res->event == IOTGUARD_EV_RAISE)
		/* Another detector's alert: the action in force is not new. */
		d->actions[IOTGUARD_ACT_ALERT]++;
	else
		d->actions[res->action]++;
	alert_emit(d, ds, res, outcome);
}

bool monitor_input(struct dstate *ds, uint64_t packets, uint64_t bytes,
		   const struct iotguard_feature_sum *fs, uint64_t epoch,
		   struct iotguard_score_input *in)
{
	unsigned int b;

	memset(in, 0, sizeof(*in));
	if (ds->primed) {
		in->packets = delta(packets, ds->prev_packets);
		in->bytes = delta(bytes, ds->prev_bytes);
	}
	if (fs) {
		/* A new epoch's sketch, or the last one's again. */
		if (epoch != ds->sketch_epoch) {
			ds->dst_addrs = fs->dst_addrs;
			ds->dst_ports = fs->dst_ports;
			ds->sketch_epoch = epoch;
		}
		in->dst_addrs = ds->dst_addrs;
		in->dst_ports = ds->dst_ports;
		/* A window is scored once, when it is complete. */
		if (fs->window != ds->window) {
			in->win_addrs = fs->win_addrs;
			in->win_ports = fs->win_ports;
			in->have |= IOTGUARD_HAVE_WINDOW;
			ds->window = fs->window;
		}
		in->syn = delta(fs->tcp_syn, ds->prev_syn);
		in->icmp = delta(fs->icmp, ds->prev_icmp);
		in->arp = delta(fs->arp, ds->prev_arp);
		in->neigh_foreign = delta(fs->neigh_foreign,
					  ds->prev_neigh_foreign);
		/* Wraps at 2^32 (a u32 of the map's value). */
		in->tcp_odd = (uint32_t)(fs->tcp_odd - ds->prev_tcp_odd);
		for (b = 0; b < IOTGUARD_SIZE_BUCKETS; b++) {
			in->size_hist[b] = delta(fs->size_hist[b],
						 ds->prev_hist[b]);
			ds->prev_hist[b] = fs->size_hist[b];
		}
		in->have |= IOTGUARD_HAVE_SKETCH | IOTGUARD_HAVE_PROTO |
			    IOTGUARD_HAVE_SIZE | IOTGUARD_HAVE_DESTS |
			    IOTGUARD_HAVE_ARP;
		ds->prev_syn = fs->tcp_syn;
		ds->prev_icmp = fs->icmp;
		ds->prev_arp = fs->arp;
		ds->prev_neigh_foreign = fs->neigh_foreign;
		ds->prev_tcp_odd = fs->tcp_odd;
	}
	ds->prev_packets = packets;
	ds->prev_bytes = bytes;
	if (!ds->primed) {
		/* Cumulative counters: the first reading is a base. */
		ds->primed = true;
		return false;
	}
	return true;
}

/* One device's interval: read the counters, score, act. */
static void run_device(struct daemon *d, uint32_t i, uint64_t epoch,
		       double factor)
{
	struct iotguard_score_input in;
	struct iotguard_score_result res;
	struct iotguard_feature_sum fs;
	struct dstate *ds = &d->devs[i];
	uint64_t packets, bytes, cred_fail;
	bool have_feat = false;

	if (iotguard_maps_device(d->maps, i, ds->dev.cookie, &ds->stats)) {
		d->map_errors++;
		return;
	}
	/* Offered load: while we hold it back, it is still its behaviour. */
	packets = ds->stats.pass.packets + ds->stats.rate.packets +
		  ds->stats.denied.packets;
	bytes = ds->stats.pass.bytes + ds->stats.rate.bytes +
		ds->stats.denied.bytes;
	if (d->feat && i < iotguard_features_entries(d->feat)) {
		if (iotguard_features_device(d->feat, i, ds->dev.cookie, epoch,
					     &fs))
			d->map_errors++;
		else
			have_feat = true;
	}
	/* Never its behaviour: what its credential refused in its name. */
	cred_fail = ds->stats.bad_tag.packets + ds->stats.replay.packets +
		    ds->stats.expired.packets + ds->stats.revoked.packets;
	if (!monitor_input(ds, packets, bytes, have_feat ? &fs : NULL, epoch,
			   &in)) {
		ds->prev_cred_fail = cred_fail;
		return;
	}
	in.cred_fail = delta(cred_fail, ds->prev_cred_fail);
	in.have |= IOTGUARD_HAVE_CRED;
	ds->prev_cred_fail = cred_fail;
	if (factor != 1.0)
		iotguard_score_input_scale(&in, factor);
	iotguard_scorer_score(d->scorer, i, &in, &res);
	if (res.event != IOTGUARD_EV_NONE)
		act(d, ds, i, &res);
}

/* Interfaces the program is attached to now (their link alive). */
static size_t guarded(const struct daemon *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->nlinks; i++)
		n += !d->links[i].gone;
	return n;
}

/*
 * Nothing guarded: the counters stand still, and scored they would read as
 * every device gone silent. One line when scoring pauses, one when it
 * resumes, reading the counters afresh (a base, not a delta over the gap).
 */
static void set_paused(struct daemon *d, bool paused)
{
	static uint64_t paused_at;
	uint32_t i;

	if (paused == d->paused)
		return;
	d->paused = paused;
	if (paused) {
		d->pauses++;
		paused_at = d->paused_intervals;
		log_msg(LOG_WARNING, "%s: scoring paused",
			d->module_gone ? "The iotguard module is not loaded" :
			"No interface is guarded (the XDP program is detached)");
		return;
	}
	for (i = 0; i < d->max_devices; i++)
		d->devs[i].primed = false;
	log_msg(LOG_NOTICE,
		"An interface is guarded again: scoring resumed after %llu intervals paused",
		(unsigned long long)(d->paused_intervals - paused_at));
}

/* Reads and scores every device, acts: the interval proper. */
static void score_devices(struct daemon *d, double span)
{
	double factor = 1.0 / span;
	uint64_t epoch = 0;
	uint32_t i;

	if (iotguard_maps_global(d->maps, d->global) ||
	    iotguard_maps_unknown_unrecorded(d->maps, &d->unknown_unrecorded))
		d->map_errors++;
	if (d->feat) {
		struct dest_walk walk = { .d = d };

		epoch = iotguard_features_epoch_now() - 1;
		if (!iotguard_features_dests(d->feat, dest_cb, &walk) &&
		    walk.newest > d->last_dest_ns)
			d->last_dest_ns = walk.newest;
	}
	/*
	 * In index order, so the maps are read many devices per system
	 * call rather than two calls per device.
	 */
	iotguard_maps_batch_begin(d->maps);
	if (d->feat)
		iotguard_features_batch_begin(d->feat);
	for (i = 0; i < d->max_devices; i++)
		if (d->devs[i].present)
			run_device(d, i, epoch, factor);
	iotguard_maps_batch_end(d->maps);
	if (d->feat)
		iotguard_features_batch_end(d->feat);
	iotguard_scorer_interval_end(d->scorer);
	d->intervals++;
}

void monitor_interval(struct daemon *d, double span)
{
	double start = now_seconds();
	bool links_read;

	open_maps(d);
	links_read = !read_links(d);
	if (d->resync_due && (!d->resync_wait || !--d->resync_wait))
		resync(d);
	if (d->maps) {
		/* Links that cannot be read say nothing: scoring goes on. */
		if (links_read || d->module_gone)
			set_paused(d, d->module_gone || !guarded(d));
		if (d->paused) {
			d->paused_intervals++;
		} else {
			/* The module reloaded: its devices enrolled anew. */
			if (d->reloaded && !d->resync_due) {
				d->reloaded = false;
				load_baselines(d);
			}
			score_devices(d, span);
		}
	}
	d->last_run_seconds = now_seconds() - start;
}
