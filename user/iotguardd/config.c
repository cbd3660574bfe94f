// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration file: "key = value" lines, '#' comments, and
 * "[class NAME]" sections holding that class's policy, threshold and
 * envelope (limit_*).
 * Durations are in seconds and become intervals once the interval is known.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "iotguardd.h"
#include "parse.h"

struct parser {
	const char *path;
	unsigned int line;
	int class;		/* -1: the global section */
	bool class_set[IOTGUARD_SCORE_CLASSES];
	char *err;		/* the caller's, for the first error */
	size_t err_len;
};

static int fail(const struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "PATH:LINE: what is wrong", into the caller's buffer. */
static int fail(const struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->err_len, "%s:%u: ", p->path, p->line);
	if (n < 0 || (size_t)n >= p->err_len)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->err_len - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* "127.0.0.1:9477", "[::1]:9477", ":9477" (every address) */
int config_parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	unsigned long port;
	char *end;
	size_t hlen;

	if (!colon)
		return -EINVAL;
	port = strtoul(colon + 1, &end, 10);
	if (*end || !colon[1] || !port || port > 65535)
		return -EINVAL;
	hlen = colon - s;
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
		host[hlen - 1] = '\0';
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) == 1 ?
		       0 : -EINVAL;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (!hlen)
		return 0;
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -EINVAL;
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
		return fail(p, "%s: `%s' is out of range (%.10g to %.10g)", key,
			    s, min, max);
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

/* A class's envelope (0: none): the scorer's limit of each feature. */
static const struct {
	const char *name;
	unsigned int feature;
} limit_keys[] = {
	{ "limit_packets", IOTGUARD_FEAT_PACKETS },
	{ "limit_bytes", IOTGUARD_FEAT_BYTES },
	{ "limit_syn", IOTGUARD_FEAT_SYN },
	{ "limit_icmp", IOTGUARD_FEAT_ICMP },
	{ "limit_arp", IOTGUARD_FEAT_ARP },
	{ "limit_dst_addrs", IOTGUARD_FEAT_DST_ADDRS },
	{ "limit_dst_ports", IOTGUARD_FEAT_DST_PORTS },
	{ "limit_window_addrs", IOTGUARD_FEAT_WIN_ADDRS },
	{ "limit_window_ports", IOTGUARD_FEAT_WIN_PORTS },
};

static int policy_key(struct parser *p, struct config *cfg, const char *key,
		      const char *value)
{
	unsigned int c, i, first = p->class < 0 ? 0 : p->class;
	unsigned int last = p->class < 0 ? IOTGUARD_SCORE_CLASSES - 1 :
					   (unsigned int)p->class;
	double v;
	uint8_t action;

	for (i = 0; i < ARRAY_SIZE(limit_keys); i++) {
		unsigned int f = limit_keys[i].feature;

		if (strcmp(key, limit_keys[i].name))
			continue;
		if (number(p, key, value, 0, 1e12, &v))
			return -1;
		for (c = first; c <= last; c++)
			if (p->class >= 0 || !p->class_set[c])
				cfg->score.policy[c].limit[f] = v;
		return 0;
	}


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

/* listen and enroll: an address and port, or none. */
static int listen_key(struct parser *p, struct config *cfg,
		      const struct config_key *k, const char *value)
{
	char *field = (char *)cfg + k->offset;
	struct sockaddr_storage ss;

	if (strlen(value) >= k->size)
		return fail(p, "%s: too long", k->name);
	if (strcmp(value, "none") && config_parse_listen(value, &ss))
		return fail(p,
			    "%s: `%s' is not ADDRESS:PORT, [IPV6]:PORT, :PORT or none",
			    k->name, value);
	snprintf(field, k->size, "%s", strcmp(value, "none") ? value : "");
	return 0;
}

static int state_dir_key(struct parser *p, struct config *cfg,
			 const struct config_key *k, const char *value)
{
	if (strlen(value) >= sizeof(cfg->state_dir) - 32 || value[0] != '/')
		return fail(p, "%s: must be an absolute path", k->name);
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", value);
	return 0;
}

/* Durations in seconds, one per horizon, each in k's range. */
static int half_lives_key(struct parser *p, struct config *cfg,
			  const struct config_key *k, const char *value)
{
	const char *s = value;
	unsigned int h;
	char *end;
	double v;

	for (h = 0; h < IOTGUARD_SCORE_HORIZONS; h++) {
		errno = 0;
		v = strtod(s, &end);
		if (errno || end == s || !(v >= k->min) || v > k->max)
			return fail(p, "%s: want %d durations in seconds (%.10g to %.10g), like `60 900 14400'",
				    k->name, IOTGUARD_SCORE_HORIZONS, k->min,
				    k->max);
		cfg->seconds.half_life[h] = v;
		s = end;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s)
		return fail(p, "%s: want %d durations, got more", k->name,
			    IOTGUARD_SCORE_HORIZONS);
	return 0;
}

#define FIELD(f) .offset = offsetof(struct config, f), \
		 .size = sizeof(((struct config *)0)->f)

/*
 * The global keys: what each is, its range and where it goes. Durations
 * are seconds here and become intervals in config_set_interval(), where
 * their ranges over the shortest interval fit the scorer's fields.
 */
static const struct config_key global_keys[] = {
	{ "interval", CONFIG_SECONDS, 0.05, 60, FIELD(interval) },
	{ "listen", CONFIG_OTHER, FIELD(listen), .parse = listen_key },
	{ "enroll", CONFIG_OTHER, FIELD(enroll), .parse = listen_key },
	{ "state_dir", CONFIG_OTHER, .parse = state_dir_key },
	{ "save_every", CONFIG_SECONDS, 1, 86400, FIELD(save_every) },
	{ "alerts_max", CONFIG_COUNT, 10, 1e8, FIELD(alerts_max) },
	{ "dry_run", CONFIG_BOOL, 0, 1, FIELD(dry_run) },
	{ "metrics_devices", CONFIG_BOOL, 0, 1, FIELD(metrics_devices) },
	{ "metrics_devices_max", CONFIG_COUNT, 0, 1e8,
	  FIELD(metrics_devices_max) },
	{ "event_buffer", CONFIG_COUNT, 0, 1 << 30, FIELD(event_buffer) },
	{ "learn", CONFIG_SECONDS, 0, 1e7, FIELD(seconds.learn) },
	{ "release_after", CONFIG_SECONDS, 0, 1e6,
	  FIELD(seconds.release_after) },
	{ "half_lives", CONFIG_OTHER, 0.001, 1e8, .parse = half_lives_key },
	{ "act_after", CONFIG_COUNT, 1, 1000, FIELD(score.act_after) },
	{ "act_now", CONFIG_FLOAT, 1, 1e6, FIELD(score.act_now) },
	{ "min_count", CONFIG_COUNT, 0, 1e9, FIELD(score.min_count) },
	{ "new_dest_act", CONFIG_COUNT, 1, 1e6, FIELD(score.new_dest_act) },
	{ "sigma_floor", CONFIG_FLOAT, 0.01, 10, FIELD(score.sigma_floor) },
	{ "size_floor", CONFIG_FLOAT, 0.001, 1, FIELD(score.size_floor) },
	{ "new_dest_floor", CONFIG_FLOAT, 1e-9, 100,
	  FIELD(score.new_dest_floor) },
	{ "prior_weight", CONFIG_FLOAT, 0, 1e6, FIELD(score.prior_weight) },
	{ "prior_min_devices", CONFIG_COUNT, 1, 1e6,
	  FIELD(score.prior_min_devices) },
	{ "silence_factor", CONFIG_FLOAT, 1, 1000,
	  FIELD(score.silence_factor) },
};

const struct config_key *config_keys(size_t *n)
{
	*n = ARRAY_SIZE(global_keys);
	return global_keys;
}

/* A whole number into an unsigned field of its size. */
static int store_count(const struct parser *p, const struct config_key *k,
		       const char *value, double v, void *field)
{
	if (v != floor(v))
		return fail(p, "%s: `%s' is not a whole number", k->name,
			    value);
	switch (k->size) {
	case sizeof(uint16_t):
		*(uint16_t *)field = v;
		return 0;
	case sizeof(uint32_t):
		*(uint32_t *)field = v;
		return 0;
	case sizeof(uint64_t):
		*(uint64_t *)field = v;
		return 0;
	}
	return fail(p, "%s: a field of %zu bytes", k->name, k->size);
}

static int global_key(struct parser *p, struct config *cfg, const char *key,
		      const char *value)
{
	const struct config_key *k = NULL;
	unsigned int i;
	void *field;
	double v;

	for (i = 0; i < ARRAY_SIZE(global_keys) && !k; i++)
		if (!strcmp(key, global_keys[i].name))
			k = &global_keys[i];
	if (!k)
		return 1;
	field = (char *)cfg + k->offset;
	switch (k->type) {
	case CONFIG_OTHER:
		return k->parse(p, cfg, k, value);
	case CONFIG_BOOL:
		return boolean(p, key, value, field);
	default:
		break;
	}
	if (number(p, key, value, k->min, k->max, &v))
		return -1;
	switch (k->type) {
	case CONFIG_SECONDS:
		*(double *)field = v;
		return 0;
	case CONFIG_FLOAT:
		*(float *)field = v;
		return 0;
	default:
		return store_count(p, k, value, v, field);
	}
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
	struct iotguard_score_config *sc = &cfg->score;
	unsigned int h;

	memset(cfg, 0, sizeof(*cfg));
	cfg->interval = 1;
	snprintf(cfg->listen, sizeof(cfg->listen), "127.0.0.1:9477");
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "/var/lib/iotguard");
	cfg->save_every = 60;
	cfg->alerts_max = 10000;
	cfg->metrics_devices = true;
	cfg->metrics_devices_max = METRICS_DEVICES_MAX;
	iotguard_score_config_default(sc);
	/*
	 * The scorer's defaults are in intervals of its default 1 s; here
	 * they are seconds, as in the file, whatever the interval.
	 */
	cfg->seconds.learn = sc->learn;
	cfg->seconds.release_after = sc->release_after;
	for (h = 0; h < IOTGUARD_SCORE_HORIZONS; h++)
		cfg->seconds.half_life[h] = sc->half_life[h];
}

void config_set_interval(struct config *cfg, double interval)
{
	struct iotguard_score_config *sc = &cfg->score;
	unsigned int h;

	cfg->interval = interval;
	sc->interval = interval;
	sc->learn = lround(cfg->seconds.learn / interval);
	/* at least 1 where 0 makes no sense */
	sc->release_after = fmax(1, lround(cfg->seconds.release_after /
					    interval));
	for (h = 0; h < IOTGUARD_SCORE_HORIZONS; h++)
		sc->half_life[h] = cfg->seconds.half_life[h] / interval;
}

int config_load(const char *path, bool must_exist, struct config *cfg,
		char *err, size_t err_len)
{
	struct parser p = {
		.path = path, .class = -1, .err = err, .err_len = err_len,
	};
	char *buf = NULL;
	size_t size = 0;
	int ret = 0;
	FILE *f;

	defaults(cfg);
	if (err_len)
		err[0] = '\0';
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && !must_exist)
			goto cleanup;
		snprintf(err, err_len, "Unable to open %s: %s", path,
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
		if (ret > 0 && p.class < 0)
			ret = fail(&p, "unknown key `%s'", key);
		else if (ret > 0)
			ret = fail(&p,
				   "unknown key `%s' in a class section (policy, threshold, limit_*)",
				   key);
		if (ret)
			goto cleanup;
	}
	if (ferror(f)) {
		snprintf(err, err_len, "Unable to read %s: %s", path,
			 strerror(errno));
		ret = -1;
	}

cleanup:
	if (!ret) {
		config_set_interval(cfg, cfg->interval);
		cfg->score.dry_run = cfg->dry_run;
	}
	free(buf);
	if (f)
		fclose(f);
	return ret;
}
