// SPDX-License-Identifier: GPL-2.0
/*
 * /metrics in the Prometheus text exposition format (0.0.4), served by
 * libmicrohttpd's own thread. A scrape renders the text as it sends it,
 * from what the main loop holds, under the lock the main loop takes while
 * it reads, scores and acts: a scrape never sees a half-scored interval,
 * and nothing is rendered while nobody scrapes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <microhttpd.h>
#include "iotguardd.h"
#include "parse.h"

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), 0 if there is none.
 */
static size_t utf8_len(const unsigned char *s)
{
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) ||	/* overlong */
	    (s[0] == 0xed && s[1] > 0x9f) ||	/* surrogate */
	    (s[0] == 0xf0 && s[1] < 0x90) ||	/* overlong */
	    (s[0] == 0xf4 && s[1] > 0x8f))	/* above U+10FFFF */
		return 0;
	return len;
}

/*
 * A label value: backslash, double quote and newline escaped. Prometheus
 * rejects a whole scrape over one value that is not UTF-8, and device
 * names are bytes: each byte that starts no valid sequence becomes U+FFFD.
 */
static void label(FILE *f, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t len;

	while (*s) {
		len = utf8_len(s);
		if (!len) {
			fputs("\xef\xbf\xbd", f);
			s++;
			continue;
		}
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fwrite(s, 1, len, f);
		s += len;
	}
}

static void write_labels(FILE *f, const struct dstate *ds)
{
	const char *class = iotguard_class_name(ds->dev.class);
	char addr[IOTGUARD_ADDR_STRLEN];

	fputs("{name=\"", f);
	label(f, ds->dev.name);
	fputs("\",class=\"", f);
	if (class)
		label(f, class);
	else
		fprintf(f, "%u", ds->dev.class);
	fprintf(f, "\",address=\"%s\"",
		format_addr(&ds->dev.id, addr, sizeof(addr)));
}

static void header(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Per-device families, each over every device, as the format wants. */
enum family {
	F_PASS_PACKETS, F_PASS_BYTES, F_DROPPED, F_SCORE, F_STATE,
	F_LEARNING, F_MAX
};

static const struct {
	const char *name, *type, *help;
} families[F_MAX] = {
	{ "iotguard_device_packets_total", "counter",
	  "Frames of the device that passed." },
	{ "iotguard_device_bytes_total", "counter",
	  "Bytes of the device that passed." },
	{ "iotguard_device_dropped_packets_total", "counter",
	  "Frames of the device dropped, by reason." },
	{ "iotguard_device_score", "gauge",
	  "Anomaly score of the last interval (anomalous above the class threshold)." },
	{ "iotguard_device_state", "gauge",
	  "1 for the device's state in the module and iotguardd's action." },
	{ "iotguard_device_learning", "gauge",
	  "1 while the device's baseline is still learning." },
};

static const char *state_label(const struct dstate *ds)
{
	const char *name = iotguard_state_name(ds->dev.state);

	return name ? name : "unknown";
}

/*
 * The device's label set, "{name=...,address=..." without the closing
 * brace: escaped once and kept until the device changes (monitor.c frees
 * it), as every family repeats it. NULL without memory.
 */
static const char *device_labels(struct dstate *ds)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (ds->labels)
		return ds->labels;
	f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	write_labels(f, ds);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	ds->labels = text;
	return text;
}

static void device_line(FILE *f, struct daemon *d, enum family fam,
			uint32_t i)
{
	struct dstate *ds = &d->devs[i];
	const struct iotguard_score_dev *sd;
	const char *labels = device_labels(ds);
	const struct iotguard_counter *c;
	const char *reason;
	unsigned int k;

	if (!labels)
		return;
	sd = iotguard_scorer_get(d->scorer, i);
	switch (fam) {
	case F_PASS_PACKETS:
		fputs(families[fam].name, f);
		fputs(labels, f);
		fprintf(f, "} %llu\n",
			(unsigned long long)ds->stats.pass.packets);
		break;
	case F_PASS_BYTES:
		fputs(families[fam].name, f);
		fputs(labels, f);
		fprintf(f, "} %llu\n", (unsigned long long)ds->stats.pass.bytes);
		break;
	case F_DROPPED:
		for (k = 0; k < IOTGUARD_DEV_DROPS; k++) {
			c = iotguard_dev_drop(&ds->stats, k, &reason);
			fputs(families[fam].name, f);
			fputs(labels, f);
			fprintf(f, ",reason=\"%s\"} %llu\n", reason,
				(unsigned long long)c->packets);
		}
		break;
	case F_SCORE:
		fputs(families[fam].name, f);
		fputs(labels, f);
		fprintf(f, "} %.3f\n", sd ? sd->score : 0.0);
		break;
	case F_STATE:
		fputs(families[fam].name, f);
		fputs(labels, f);
		fprintf(f, ",state=\"%s\",action=\"%s\"} 1\n", state_label(ds),
			iotguard_action_name(sd ? sd->action : 0));
		break;
	case F_LEARNING:
		fputs(families[fam].name, f);
		fputs(labels, f);
		fprintf(f, "} %d\n", sd && sd->age <
			iotguard_scorer_config(d->scorer)->learn);
		break;
	case F_MAX:
		break;
	}
}

/* The XDP program's totals and the daemon's decisions, over all devices. */
static void total_families(FILE *f, const struct daemon *d)
{
	unsigned int k;

	header(f, "iotguard_packets_total", "counter",
	       "Frames by the reason they passed or were dropped for.");
	for (k = 0; k < IOTGUARD_R_MAX; k++)
		fprintf(f, "iotguard_packets_total{reason=\"%s\"} %llu\n",
			iotguard_reason_name(k),
			(unsigned long long)d->global[k].packets);
	header(f, "iotguard_unknown_unrecorded_packets_total", "counter",
	       "Frames of unknown sources that found no room in their table.");
	fprintf(f, "iotguard_unknown_unrecorded_packets_total %llu\n",
		(unsigned long long)d->unknown_unrecorded);
	header(f, "iotguard_alerts_total", "counter",
	       "Anomalies alerted or acted on, by detector.");
	for (k = 0; k < IOTGUARD_DET_MAX; k++)
		fprintf(f, "iotguard_alerts_total{detector=\"%s\"} %llu\n",
			iotguard_detector_name(k),
			(unsigned long long)d->alerts_by_det[k]);
	header(f, "iotguard_actions_total", "counter",
	       "Actions decided, by action; releases as action=\"release\".");
	for (k = IOTGUARD_ACT_ALERT; k < IOTGUARD_ACT_MAX; k++)
		fprintf(f, "iotguard_actions_total{action=\"%s\"} %llu\n",
			iotguard_action_name(k),
			(unsigned long long)d->actions[k]);
	fprintf(f, "iotguard_actions_total{action=\"release\"} %llu\n",
		(unsigned long long)d->releases);
}

/* The label values of a link's mode, as iotguard status shows them. */
static const char *const link_modes[] = { "enforce", "monitor", "unknown" };

static unsigned int link_mode(const struct iotguard_link_status *link)
{
	return link->monitor < 0 ? 2 : link->monitor ? 1 : 0;
}

/*
 * The guarded interfaces: how many in each mode (every mode's series is
 * there, so that "none" is 0 and not an absent series), then one series
 * per pinned link.
 */
static void interface_families(FILE *f, const struct daemon *d)
{
	unsigned int by_mode[ARRAY_SIZE(link_modes)] = { 0 }, k;
	const struct iotguard_link_status *link;
	size_t i;

	for (i = 0; i < d->nlinks; i++)
		if (!d->links[i].gone)
			by_mode[link_mode(&d->links[i])]++;
	header(f, "iotguard_interfaces", "gauge",
	       "Interfaces the XDP program is attached to, by mode.");
	for (k = 0; k < ARRAY_SIZE(link_modes); k++)
		fprintf(f, "iotguard_interfaces{mode=\"%s\"} %u\n",
			link_modes[k], by_mode[k]);
	header(f, "iotguard_interface_attached", "gauge",
	       "1 per attached interface, 0 once gone; by mode and XDP mode.");
	for (i = 0; i < d->nlinks; i++) {
		link = &d->links[i];
		fputs("iotguard_interface_attached{interface=\"", f);
		label(f, link->pin_name);
		fprintf(f, "\",mode=\"%s\",xdp=\"%s\"} %d\n",
			link_modes[link_mode(link)],
			link->mode_known ? iotguard_xdp_mode_name(link->mode) :
					   "unknown",
			!link->gone);
	}
}

/* The daemon's own health. */
static void health_families(FILE *f, const struct daemon *d)
{
	size_t devices = 0;
	uint32_t i;

	for (i = 0; i < d->max_devices; i++)
		devices += d->devs[i].present;
	header(f, "iotguard_daemon_devices", "gauge", "Devices enrolled.");
	fprintf(f, "iotguard_daemon_devices %zu\n", devices);
	header(f, "iotguard_daemon_intervals_total", "counter",
	       "Intervals scored.");
	fprintf(f, "iotguard_daemon_intervals_total %llu\n",
		(unsigned long long)d->intervals);
	header(f, "iotguard_daemon_interval_seconds", "gauge",
	       "The interval configured.");
	fprintf(f, "iotguard_daemon_interval_seconds %g\n", d->cfg.interval);
	header(f, "iotguard_daemon_short_reads_total", "counter",
	       "Late ticks too close to the last reading, left to the next.");
	fprintf(f, "iotguard_daemon_short_reads_total %llu\n",
		(unsigned long long)d->short_reads);
	header(f, "iotguard_daemon_overruns_total", "counter",
	       "Ticks missed: the timer fired again before one was read.");
	fprintf(f, "iotguard_daemon_overruns_total %llu\n",
		(unsigned long long)d->overruns);
	header(f, "iotguard_daemon_interval_duration_seconds", "gauge",
	       "Time the last interval took to read, score and act.");
	fprintf(f, "iotguard_daemon_interval_duration_seconds %.6f\n",
		d->last_run_seconds);
	header(f, "iotguard_daemon_maps_up", "gauge",
	       "1 when the XDP program's maps are readable.");
	fprintf(f, "iotguard_daemon_maps_up %d\n", d->maps != NULL);
	header(f, "iotguard_daemon_features_up", "gauge",
	       "1 when the program collects behaviour features.");
	fprintf(f, "iotguard_daemon_features_up %d\n", d->feat != NULL);
	header(f, "iotguard_daemon_errors_total", "counter",
	       "Failures reading maps or applying actions.");
	fprintf(f, "iotguard_daemon_errors_total{kind=\"maps\"} %llu\n",
		(unsigned long long)d->map_errors);
	fprintf(f, "iotguard_daemon_errors_total{kind=\"netlink\"} %llu\n",
		(unsigned long long)d->nl_errors);
	fprintf(f, "iotguard_daemon_errors_total{kind=\"resync\"} %llu\n",
		(unsigned long long)d->resync_errors);
	fprintf(f, "iotguard_daemon_errors_total{kind=\"save\"} %llu\n",
		(unsigned long long)d->save_errors);
	header(f, "iotguard_daemon_saves_total", "counter",
	       "Baselines saved (a failure counts as an error of kind save).");
	fprintf(f, "iotguard_daemon_saves_total %llu\n",
		(unsigned long long)d->saves);
	header(f, "iotguard_daemon_resyncs_total", "counter",
	       "Reads of the module's device table: at the start, after events were lost or the module reloaded.");
	fprintf(f, "iotguard_daemon_resyncs_total %llu\n",
		(unsigned long long)d->resyncs);
	header(f, "iotguard_daemon_module_up", "gauge",
	       "0 while the iotguard module is unloaded.");
	fprintf(f, "iotguard_daemon_module_up %d\n", !d->module_gone);
	header(f, "iotguard_daemon_module_reloads_total", "counter",
	       "Times the iotguard module was loaded again under the daemon.");
	fprintf(f, "iotguard_daemon_module_reloads_total %llu\n",
		(unsigned long long)d->module_reloads);
	header(f, "iotguard_daemon_paused", "gauge",
	       "1 while scoring is paused: no interface guarded, or no module.");
	fprintf(f, "iotguard_daemon_paused %d\n", d->paused);
	header(f, "iotguard_daemon_pauses_total", "counter",
	       "Times scoring paused.");
	fprintf(f, "iotguard_daemon_pauses_total %llu\n",
		(unsigned long long)d->pauses);
	header(f, "iotguard_daemon_paused_intervals_total", "counter",
	       "Intervals not scored, paused.");
	fprintf(f, "iotguard_daemon_paused_intervals_total %llu\n",
		(unsigned long long)d->paused_intervals);
	header(f, "iotguard_daemon_foreign_events_total", "counter",
	       "Messages on the events socket from another sender than the kernel, ignored.");
	fprintf(f, "iotguard_daemon_foreign_events_total %llu\n",
		(unsigned long long)iotguard_nl_foreign_events(d->events));
	header(f, "iotguard_daemon_dry_run", "gauge",
	       "1 when actions are only reported.");
	fprintf(f, "iotguard_daemon_dry_run %d\n", d->cfg.dry_run);
}

/* The daemon's own families, after the devices'. */
static void daemon_families(FILE *f, const struct daemon *d,
			    uint64_t omitted)
{
	total_families(f, d);
	interface_families(f, d);
	health_families(f, d);
	header(f, "iotguard_metrics_devices_omitted", "gauge",
	       "Devices whose per-device series this scrape left out (metrics_devices, metrics_devices_max).");
	fprintf(f, "iotguard_metrics_devices_omitted %llu\n",
		(unsigned long long)omitted);
}

/*
 * The text is rendered as it is sent, a chunk at a time under d->lock,
 * which the main loop holds while it changes what the text shows: memory
 * stays bounded with 10^6 devices, and the main loop waits at most for
 * one chunk, never for a whole scrape.
 */
#define CHUNK_BYTES	(64 * 1024)

struct metrics_scrape {
	struct daemon *d;
	unsigned int fam;	/* F_MAX: the daemon's families; then done */
	uint32_t next;		/* the next device of fam */
	bool started;		/* fam's header is out */
	bool planned;		/* scrape_plan() done */
	bool acted_only;	/* only the devices acted on */
	uint64_t omitted;	/* devices left out */
	char *text;
	size_t len, off;
};

/*
 * Acted on: a state other than allow in the module (the operator's or
 * iotguardd's), or an action of iotguardd's in force (an alert too).
 */
static bool acted_on(const struct daemon *d, uint32_t i)
{
	const struct iotguard_score_dev *sd = iotguard_scorer_get(d->scorer,
								  i);

	return d->devs[i].dev.state != IOTGUARD_STATE_ALLOW ||
	       (sd && sd->action != IOTGUARD_ACT_NONE);
}

/*
 * Once a scrape, under the lock: whether every device is shown, and how
 * many are left out (an estimate for the scrape: the table may change
 * between its chunks).
 */
static void scrape_plan(struct metrics_scrape *s)
{
	const struct daemon *d = s->d;
	uint64_t present = 0, shown = 0;
	uint32_t i;

	for (i = 0; i < d->max_devices; i++) {
		if (!d->devs[i].present)
			continue;
		present++;
		shown += acted_on(d, i);
	}
	s->planned = true;
	if (!d->cfg.metrics_devices) {
		s->fam = F_MAX;
		s->omitted = present;
	} else if (present > d->cfg.metrics_devices_max) {
		s->acted_only = true;
		s->omitted = present - shown;
	}
}

struct metrics_scrape *metrics_scrape_new(struct daemon *d)
{
	struct metrics_scrape *s = calloc(1, sizeof(*s));

	if (s)
		s->d = d;
	return s;
}

void metrics_scrape_free(struct metrics_scrape *s)
{
	if (!s)
		return;
	free(s->text);
	free(s);
}

/* The next chunk of the text into s->text; 0 and none at the end. */
static int scrape_fill(struct metrics_scrape *s)
{
	struct daemon *d = s->d;
	size_t len = 0;
	char *text = NULL;
	FILE *f;

	free(s->text);
	s->text = NULL;
	s->len = s->off = 0;
	if (s->fam > F_MAX)
		return 0;
	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	pthread_mutex_lock(&d->lock);
	/* ~1.2 KB per device: a big city shows the devices acted on. */
	if (!s->planned)
		scrape_plan(s);
	while (s->fam < F_MAX && ftell(f) < CHUNK_BYTES) {
		if (!s->started) {
			header(f, families[s->fam].name,
			       families[s->fam].type, families[s->fam].help);
			s->started = true;
		}
		/* The device table cannot shrink: max_devices is fixed. */
		for (; s->next < d->max_devices && ftell(f) < CHUNK_BYTES;
		     s->next++)
			if (d->devs[s->next].present &&
			    (!s->acted_only || acted_on(d, s->next)))
				device_line(f, d, s->fam, s->next);
		if (s->next < d->max_devices)
			break;
		s->fam++;
		s->next = 0;
		s->started = false;
	}
	if (s->fam == F_MAX && ftell(f) < CHUNK_BYTES) {
		daemon_families(f, d, s->omitted);
		s->fam++;
	}
	pthread_mutex_unlock(&d->lock);
	if (fclose(f)) {
		free(text);
		return -ENOMEM;
	}
	s->text = text;
	s->len = len;
	return 0;
}

ssize_t metrics_scrape_read(struct metrics_scrape *s, char *buf, size_t max)
{
	size_t n;
	int ret;

	if (s->off == s->len) {
		ret = scrape_fill(s);
		if (ret)
			return ret;
		if (!s->len)
			return 0;
	}
	n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(buf, s->text + s->off, n);
	s->off += n;
	return n;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	ssize_t n = metrics_scrape_read(cls, buf, max);

	(void)pos;
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n ? n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void reader_free(void *cls)
{
	metrics_scrape_free(cls);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn,
			       const char *url, const char *method,
			       const char *version, const char *upload,
			       size_t *upload_size, void **state)
{
	static const char not_found[] = "Not found: try /metrics\n";
	static const char not_allowed[] = "Method not allowed: GET or HEAD\n";
	struct daemon *d = cls;
	struct metrics_scrape *scrape;
	struct MHD_Response *resp;
	unsigned int status = MHD_HTTP_OK;
	enum MHD_Result ret;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		resp = MHD_create_response_from_buffer(
			sizeof(not_allowed) - 1, (void *)not_allowed,
			MHD_RESPMEM_PERSISTENT);
		if (resp)
			MHD_add_response_header(resp, "Allow", "GET, HEAD");
	} else if (!strcmp(url, "/metrics")) {
		scrape = metrics_scrape_new(d);
		if (!scrape)
			return MHD_NO;
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
							 CHUNK_BYTES, reader,
							 scrape, reader_free);
		if (!resp)
			metrics_scrape_free(scrape);
	} else {
		status = MHD_HTTP_NOT_FOUND;
		resp = MHD_create_response_from_buffer(
			sizeof(not_found) - 1, (void *)not_found,
			MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type",
				"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A listener on addr, or NULL after logging why (unless quiet). */
static struct MHD_Daemon *listen_on(struct daemon *d, const char *addr,
				    bool quiet)
{
	struct sockaddr_storage ss;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD;
	struct MHD_Daemon *mhd;

	/* The configuration checked it; a failure here is a bug. */
	if (config_parse_listen(addr, &ss)) {
		log_msg(LOG_ERR, "Unable to parse listen = %s", addr);
		return NULL;
	}
	if (!quiet)
		flags |= MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	mhd = MHD_start_daemon(flags, 0, NULL, NULL, handler, d,
			       MHD_OPTION_SOCK_ADDR, &ss,
			       MHD_OPTION_CONNECTION_LIMIT, 32,
			       /* One scraper cannot take all 32. */
			       MHD_OPTION_PER_IP_CONNECTION_LIMIT, 4,
			       MHD_OPTION_CONNECTION_TIMEOUT, 10,
			       MHD_OPTION_END);
	if (!mhd && !quiet)
		log_msg(LOG_ERR, "Unable to listen on %s for /metrics", addr);
	return mhd;
}

int http_start(struct daemon *d)
{
	if (!d->cfg.listen[0])
		return 0;
	d->http = listen_on(d, d->cfg.listen, false);
	if (!d->http)
		return -EADDRNOTAVAIL;
	log_msg(LOG_INFO, "Serving /metrics on %s", d->cfg.listen);
	return 0;
}

int http_relisten(struct daemon *d, const char *old)
{
	struct MHD_Daemon *mhd = NULL;
	const char *addr = d->cfg.listen;

	if (*addr) {
		/* Both at once, so that a failure leaves the old one up... */
		mhd = listen_on(d, addr, d->http != NULL);
		/* ...unless the new one needs the old one's port. */
		if (!mhd && d->http) {
			http_stop(d);
			mhd = listen_on(d, addr, false);
		}
		if (!mhd) {
			snprintf(d->cfg.listen, sizeof(d->cfg.listen), "%s",
				 old);
			if (!d->http)
				http_start(d);
			return -EADDRNOTAVAIL;
		}
	}
	http_stop(d);
	d->http = mhd;
	if (mhd)
		log_msg(LOG_INFO, "Serving /metrics on %s", addr);
	else
		log_msg(LOG_INFO, "No longer serving /metrics");
	return 0;
}

void http_stop(struct daemon *d)
{
	if (d->http)
		MHD_stop_daemon(d->http);
	d->http = NULL;
}
