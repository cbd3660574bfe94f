// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration file: "key = value" lines, '#' comments, and
 * "[class NAME]" sections holding that class's policy and threshold.
 * Durations are in seconds and become intervals once the interval is known.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "iotguardd.h"
#include "parse.h"

/* Durations as read, in seconds; negative: not given. */
struct durations {
	double learn;
	double release_after;
	double half_life[IOTGUARD_SCORE_HORIZONS];
};

struct parser {
	const char *path;
	unsigned int line;
	int class;		/* -1: the global section */
	bool class_set[IOTGUARD_SCORE_CLASSES];
	struct durations dur;
};

static int fail(const struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(const struct parser *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%u: ", p->path, p->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static int number(const struct parser *p, const char *key, const char *s,
		  double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		return fail(p, "%s: `%s' is not a number", key, s);
	if (v < min || v > max)
		return fail(p, "%s: %s is out of range [%g, %g]", key, s, min,
			    max);
	*out = v;
	return 0;
}

static int boolean(const struct parser *p, const char *key, const char *s,
		   bool *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1"))
		*out = true;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0"))
		*out = false;
	else
		return fail(p, "%s: `%s' is neither yes nor no", key, s);
	return 0;
}

static int policy_key(struct parser *p, struct config *cfg, const char *key,
		      const char *value)
{
	unsigned int c, first = p->class < 0 ? 0 : p->class;
	unsigned int last = p->class < 0 ? IOTGUARD_SCORE_CLASSES - 1 :
					   (unsigned int)p->class;
	double v;
	uint8_t action;

	if (!strcmp(key, "policy")) {
		if (iotguard_parse_action(value, &action))
			return fail(p, "policy: `%s' is not alert, quarantine or deny",
				    value);
		for (c = first; c <= last; c++)
			if (p->class >= 0 || !p->class_set[c])
				cfg->score.policy[c].action = action;
		return 0;
	}
	if (!strcmp(key, "threshold")) {
		if (number(p, key, value, 0.5, 1000, &v))
			return -1;
		for (c = first; c <= last; c++)
			if (p->class >= 0 || !p->class_set[c])
				cfg->score.policy[c].threshold = v;
		return 0;
	}
	return 1;
}

static int global_key(struct parser *p, struct config *cfg, const char *key,
		      const char *value)
{
	struct iotguard_score_config *sc = &cfg->score;
	double v;

	if (!strcmp(key, "interval"))
		return number(p, key, value, 0.05, 60, &cfg->interval);
	if (!strcmp(key, "listen")) {
		if (strlen(value) >= sizeof(cfg->listen))
			return fail(p, "listen: too long");
		snprintf(cfg->listen, sizeof(cfg->listen), "%s",
			 strcmp(value, "none") ? value : "");
		return 0;
	}
	if (!strcmp(key, "state_dir")) {
		if (strlen(value) >= sizeof(cfg->state_dir) - 32 ||
		    value[0] != '/')
			return fail(p, "state_dir: must be an absolute path");
		snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", value);
		return 0;
	}
	if (!strcmp(key, "save_every"))
		return number(p, key, value, 1, 86400, &cfg->save_every);
	if (!strcmp(key, "alerts_max")) {
		if (number(p, key, value, 10, 1e8, &v))
			return -1;
		cfg->alerts_max = v;
		return 0;
	}
	if (!strcmp(key, "dry_run"))
		return boolean(p, key, value, &cfg->dry_run);
	if (!strcmp(key, "learn"))
		return number(p, key, value, 0, 1e7, &p->dur.learn);
	if (!strcmp(key, "release_after"))
		return number(p, key, value, 0, 1e6, &p->dur.release_after);
	if (!strcmp(key, "half_lives")) {
		char *end;
		unsigned int h;
		const char *s = value;

		for (h = 0; h < IOTGUARD_SCORE_HORIZONS; h++) {
			errno = 0;
			v = strtod(s, &end);
			if (errno || end == s || !(v > 0) || v > 1e8)
				return fail(p, "half_lives: want %d durations in seconds, like `60 900 14400'",
					    IOTGUARD_SCORE_HORIZONS);
			p->dur.half_life[h] = v;
			s = end;
		}
		while (isspace((unsigned char)*s))
			s++;
		if (*s)
			return fail(p, "half_lives: want %d durations, got more",
				    IOTGUARD_SCORE_HORIZONS);
		return 0;
	}
	if (!strcmp(key, "act_after")) {
		if (number(p, key, value, 1, 1000, &v))
			return -1;
		sc->act_after = v;
		return 0;
	}
	if (!strcmp(key, "sigma_floor")) {
		if (number(p, key, value, 0.01, 10, &v))
			return -1;
		sc->sigma_floor = v;
		return 0;
	}
	if (!strcmp(key, "size_floor")) {
		if (number(p, key, value, 0.001, 1, &v))
			return -1;
		sc->size_floor = v;
		return 0;
	}
	if (!strcmp(key, "new_dest_floor")) {
		if (number(p, key, value, 1e-9, 100, &v))
			return -1;
		sc->new_dest_floor = v;
		return 0;
	}
	if (!strcmp(key, "prior_weight")) {
		if (number(p, key, value, 0, 1e6, &v))
			return -1;
		sc->prior_weight = v;
		return 0;
	}
	if (!strcmp(key, "prior_min_devices")) {
		if (number(p, key, value, 1, 1e6, &v))
			return -1;
		sc->prior_min_devices = v;
		return 0;
	}
	if (!strcmp(key, "silence_factor")) {
		if (number(p, key, value, 1, 1000, &v))
			return -1;
		sc->silence_factor = v;
		return 0;
	}
	return 1;
}

/* "[class light]" or "[class 7]" */
static int section(struct parser *p, char *line)
{
	char *end = strchr(line, ']'), *name;
	uint16_t class;
	const char *why;

	if (!end || end[1])
		return fail(p, "malformed section header");
	*end = '\0';
	name = line + 1;
	if (strncmp(name, "class", 5) || !isspace((unsigned char)name[5]))
		return fail(p, "unknown section [%s]: only [class NAME]", name);
	name += 5;
	while (isspace((unsigned char)*name))
		name++;
	if (iotguard_parse_class(name, &class, &why))
		return fail(p, "[class %s]: %s", name, why);
	if (class >= IOTGUARD_SCORE_CLASSES)
		return fail(p, "[class %s]: classes above %d share class 0's policy",
			    name, IOTGUARD_SCORE_CLASSES - 1);
	p->class = class;
	p->class_set[class] = true;
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static void defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->interval = 1;
	snprintf(cfg->listen, sizeof(cfg->listen), "127.0.0.1:9477");
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "/var/lib/iotguard");
	cfg->save_every = 60;
	cfg->alerts_max = 10000;
	iotguard_score_config_default(&cfg->score);
}

/* Seconds to intervals, at least 1 where 0 makes no sense. */
static void apply_durations(struct config *cfg, const struct durations *dur)
{
	struct iotguard_score_config *sc = &cfg->score;
	unsigned int h;

	if (dur->learn >= 0)
		sc->learn = lround(dur->learn / cfg->interval);
	if (dur->release_after >= 0)
		sc->release_after = fmax(1, lround(dur->release_after /
						    cfg->interval));
	for (h = 0; h < IOTGUARD_SCORE_HORIZONS; h++)
		sc->half_life[h] = (dur->half_life[h] > 0 ?
				    dur->half_life[h] : sc->half_life[h]) /
				   cfg->interval;
}

int config_load(const char *path, bool must_exist, struct config *cfg)
{
	struct parser p = { .path = path, .class = -1 };
	char *buf = NULL;
	size_t size = 0;
	int ret = 0;
	FILE *f;

	defaults(cfg);
	p.dur.learn = p.dur.release_after = -1;
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && !must_exist)
			goto cleanup;
		fprintf(stderr, "Unable to open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	while (getline(&buf, &size, f) >= 0) {
		char *line, *eq, *key, *value;

		p.line++;
		line = strchr(buf, '#');
		if (line)
			*line = '\0';
		line = trim(buf);
		if (!*line)
			continue;
		if (*line == '[') {
			ret = section(&p, line);
			if (ret)
				goto cleanup;
			continue;
		}
		eq = strchr(line, '=');
		if (!eq) {
			ret = fail(&p, "expected `key = value'");
			goto cleanup;
		}
		*eq = '\0';
		key = trim(line);
		value = trim(eq + 1);
		if (!*value) {
			ret = fail(&p, "%s: no value", key);
			goto cleanup;
		}
		ret = policy_key(&p, cfg, key, value);
		if (ret > 0 && p.class < 0)
			ret = global_key(&p, cfg, key, value);
		if (ret > 0)
			ret = fail(&p, p.class < 0 ? "unknown key `%s'" :
				   "unknown key `%s' in a class section (policy, threshold)",
				   key);
		if (ret)
			goto cleanup;
	}
	if (ferror(f)) {
		fprintf(stderr, "Unable to read %s: %s\n", path,
			strerror(errno));
		ret = -1;
	}

cleanup:
	if (!ret) {
		apply_durations(cfg, &p.dur);
		cfg->score.dry_run = cfg->dry_run;
	}
	free(buf);
	if (f)
		fclose(f);
	return ret;
}
