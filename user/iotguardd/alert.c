// SPDX-License-Identifier: GPL-2.0
/*
 * Alerts: one line each to syslog (the journal), one JSON object per line
 * to <state_dir>/alerts.jsonl, which `iotguard alerts` reads, and an
 * IOTGUARD_CMD_ALERT to the module, which passes it on to the listeners of
 * its events group (`iotguard monitor`). The file is bounded: past
 * alerts_max lines it becomes alerts.jsonl.1 (replacing the previous one)
 * and a new file starts.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include "iotguardd.h"
#include "json.h"
#include "parse.h"

static void alerts_path(const struct daemon *d, char *buf, size_t len,
			const char *suffix)
{
	snprintf(buf, len, "%s/alerts.jsonl%s", d->cfg.state_dir, suffix);
}

/* The lines of f; *last is its last byte, EOF if it is empty. */
static unsigned long count_lines(FILE *f, int *last)
{
	unsigned long lines = 0;
	int c;

	*last = EOF;
	while ((c = getc(f)) != EOF) {
		lines += c == '\n';
		*last = c;
	}
	return lines;
}

int alerts_open(struct daemon *d)
{
	char path[PATH_MAX + 32];
	int ret, last;

	alerts_path(d, path, sizeof(path), "");
	d->alerts = fopen(path, "a+e");
	if (!d->alerts) {
		ret = -errno;
		log_msg(LOG_ERR, "Unable to open %s: %s", path, strerror(-ret));
		return ret;
	}
	rewind(d->alerts);
	d->alert_lines = count_lines(d->alerts, &last);
	/*
	 * A line cut short (a crash while writing it) is ended, so that the
	 * next alert is a line of its own rather than glued to it: readers
	 * skip the cut one.
	 */
	if (last != EOF && last != '\n') {
		if (fputc('\n', d->alerts) == EOF || fflush(d->alerts))
			log_msg(LOG_WARNING, "Unable to end the cut line of %s: %s",
				path, strerror(errno));
		d->alert_lines++;
	}
	return 0;
}

void alerts_close(struct daemon *d)
{
	if (d->alerts)
		fclose(d->alerts);
	d->alerts = NULL;
}

static void rotate(struct daemon *d)
{
	char path[PATH_MAX + 32], old[PATH_MAX + 32];

	alerts_path(d, path, sizeof(path), "");
	alerts_path(d, old, sizeof(old), ".1");
	alerts_close(d);
	if (rename(path, old))
		log_msg(LOG_WARNING, "Unable to rotate %s: %s", path,
			strerror(errno));
	alerts_open(d);
}

const char *alert_event_name(unsigned int event)
{
	switch (event) {
	case IOTGUARD_EV_ACT:
		return "act";
	case IOTGUARD_EV_ESCALATE:
		return "escalate";
	case IOTGUARD_EV_RELEASE:
		return "release";
	case IOTGUARD_EV_RAISE:
		return "raise";
	}
	return "none";
}

void alert_json_members(struct iotguard_json *json, const char *when,
			const struct dstate *ds,
			const struct iotguard_score_result *res,
			const char *why, bool done)
{
	const char *class = iotguard_class_name(ds->dev.class);
	char addr[IOTGUARD_ADDR_STRLEN], num[16];
	unsigned int det;

	if (!class) {
		snprintf(num, sizeof(num), "%u", ds->dev.class);
		class = num;
	}
	iotguard_json_kv_string(json, "time", when);
	iotguard_json_kv_string(json, "name", ds->dev.name);
	iotguard_json_kv_string(json, "address",
				format_addr(&ds->dev.id, addr, sizeof(addr)));
	iotguard_json_kv_string(json, "class", class);
	iotguard_json_kv_string(json, "event", alert_event_name(res->event));
	iotguard_json_kv_string(json, "action",
				iotguard_action_name(res->action));
	iotguard_json_kv_string(json, "previous",
				iotguard_action_name(res->prev_action));
	iotguard_json_kv_bool(json, "done", done);
	iotguard_json_kv_bool(json, "dry_run", res->dry_run);
	iotguard_json_kv_bool(json, "pinned", res->pinned);
	iotguard_json_kv_bool(json, "learning", res->learning);
	iotguard_json_key(json, "detectors");
	iotguard_json_array_start(json);
	for (det = 0; det < IOTGUARD_DET_MAX; det++)
		if (res->detectors & (1U << det))
			iotguard_json_string(json, iotguard_detector_name(det));
	iotguard_json_array_end(json);
	iotguard_json_kv_double(json, "score", res->score);
	iotguard_json_kv_string(json, "feature",
				iotguard_feature_name(res->top.feature));
	iotguard_json_kv_double(json, "seen", res->top.seen);
	iotguard_json_kv_double(json, "expected", res->top.expected);
	iotguard_json_kv_double(json, "limit", res->top.limit);
	iotguard_json_kv_string(json, "explanation", why);
}

const char *alert_time(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%03ldZ",
		 ts->tv_nsec / 1000000);
	return buf;
}

static void write_json(struct daemon *d, const struct dstate *ds,
		       const struct iotguard_score_result *res,
		       const char *why, bool done)
{
	struct iotguard_json json;
	struct timespec ts;
	char when[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	iotguard_json_init(&json, d->alerts);
	iotguard_json_object_start(&json);
	alert_json_members(&json, alert_time(&ts, when, sizeof(when)), ds,
			   res, why, done);
	/*
	 * The intervals scored before the one that decided it, as the
	 * replay counts them: delays read in intervals whatever the load.
	 */
	iotguard_json_kv_u64(&json, "interval", d->intervals);
	iotguard_json_object_end(&json);
	fflush(d->alerts);
}

const char *alert_why(const struct iotguard_score_result *res, char *buf,
		      size_t len)
{
	if (res->event == IOTGUARD_EV_RELEASE)
		snprintf(buf, len, "calm again (score %.1f)", res->score);
	else
		iotguard_score_explain(&res->top, buf, len);
	return buf;
}

const char *alert_line(const struct dstate *ds,
		       const struct iotguard_score_result *res,
		       const char *note, const char *why, char *buf,
		       size_t len)
{
	char addr[IOTGUARD_ADDR_STRLEN];

	snprintf(buf, len, "%s %s (%s): %s %s -> %s%s: %s",
		 res->event == IOTGUARD_EV_RELEASE ? "release" : "anomaly",
		 ds->dev.name[0] ? ds->dev.name : "-",
		 format_addr(&ds->dev.id, addr, sizeof(addr)),
		 res->event == IOTGUARD_EV_ESCALATE ? "escalate" :
		 res->event == IOTGUARD_EV_RAISE ? "raise" : "state",
		 iotguard_action_name(res->prev_action),
		 iotguard_action_name(res->action), note, why);
	return buf;
}

/* The scorer's detectors as the UAPI numbers them. */
static uint8_t uapi_detector(unsigned int detector)
{
	static const uint8_t map[IOTGUARD_DET_MAX] = {
		[IOTGUARD_DET_SURGE] = IOTGUARD_ALERT_DET_SURGE,
		[IOTGUARD_DET_DROP] = IOTGUARD_ALERT_DET_DROP,
		[IOTGUARD_DET_SILENCE] = IOTGUARD_ALERT_DET_SILENCE,
		[IOTGUARD_DET_SCAN] = IOTGUARD_ALERT_DET_SCAN,
		[IOTGUARD_DET_NEW_DEST] = IOTGUARD_ALERT_DET_NEW_DEST,
		[IOTGUARD_DET_SIZE] = IOTGUARD_ALERT_DET_SIZE,
		[IOTGUARD_DET_SPOOF] = IOTGUARD_ALERT_DET_SPOOF,
		[IOTGUARD_DET_FORGED] = IOTGUARD_ALERT_DET_FORGED,
	};

	return detector < IOTGUARD_DET_MAX ? map[detector] :
					     IOTGUARD_ALERT_DET_NONE;
}

static uint8_t uapi_action(const struct iotguard_score_result *res)
{
	if (res->event == IOTGUARD_EV_RELEASE)
		return IOTGUARD_ALERT_ACT_RELEASE;
	switch (res->action) {
	case IOTGUARD_ACT_ALERT:
		return IOTGUARD_ALERT_ACT_ALERT;
	case IOTGUARD_ACT_QUARANTINE:
		return IOTGUARD_ALERT_ACT_QUARANTINE;
	case IOTGUARD_ACT_DENY:
		return IOTGUARD_ALERT_ACT_DENY;
	}
	return IOTGUARD_ALERT_ACT_NONE;
}

/*
 * To the listeners of the module's events group. In a dry run too: the
 * action says what would have been done, the flag that it was not.
 */
static void send_alert(struct daemon *d, const struct dstate *ds,
		       const struct iotguard_score_result *res,
		       const char *why, bool failed)
{
	struct iotguard_alert alert = {
		.action = uapi_action(res),
		.flags = (res->dry_run ? IOTGUARD_ALERT_F_DRY_RUN : 0) |
			 (failed ? IOTGUARD_ALERT_F_FAILED : 0),
	};
	char addr[IOTGUARD_ADDR_STRLEN];
	double milli = res->score * 1000.0;
	int ret;

	alert.detector = res->event == IOTGUARD_EV_RELEASE ?
			 IOTGUARD_ALERT_DET_NONE :
			 uapi_detector(res->top.detector);
	if (!(milli > 0))
		alert.score_milli = 0;
	else if (milli >= UINT32_MAX)
		alert.score_milli = UINT32_MAX;
	else
		alert.score_milli = lround(milli);
	snprintf(alert.text, sizeof(alert.text), "%s", why);
	ret = iotguard_nl_alert(d->nl, ds->dev.index, ds->dev.cookie, &alert);
	if (ret) {
		d->nl_errors++;
		log_msg(LOG_ERR, "Unable to send the alert about %s to the module: %s%s%s",
			format_addr(&ds->dev.id, addr, sizeof(addr)),
			strerror(-ret), *iotguard_nl_extack(d->nl) ? ": " : "",
			iotguard_nl_extack(d->nl));
	}
}

void alert_emit(struct daemon *d, const struct dstate *ds,
		const struct iotguard_score_result *res, enum push outcome)
{
	char why[IOTGUARD_ALERT_TEXT_LEN], line[512];
	bool failed = outcome == PUSH_FAILED, done = outcome == PUSH_DONE;
	unsigned int det;

	alert_why(res, why, sizeof(why));
	log_msg(failed ? LOG_ERR :
		res->event == IOTGUARD_EV_RELEASE ? LOG_NOTICE : LOG_WARNING,
		"%s", alert_line(ds, res, control_note(outcome), why, line,
				 sizeof(line)));
	if (res->event != IOTGUARD_EV_RELEASE) {
		for (det = 0; det < IOTGUARD_DET_MAX; det++)
			if (res->detectors & (1U << det))
				d->alerts_by_det[det]++;
	}
	send_alert(d, ds, res, why, failed);
	if (!d->alerts)
		return;
	if (d->alert_lines >= d->cfg.alerts_max)
		rotate(d);
	if (!d->alerts)
		return;
	write_json(d, ds, res, why, done);
	d->alert_lines++;
}
