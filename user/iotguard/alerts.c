// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard alerts: the recent alerts of iotguardd, with their explanations,
 * from the daemon's alerts.jsonl (one JSON object per line).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "array.h"


static const struct option alerts_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "file", required_argument, NULL, 'f' },
	{ "last", required_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void alerts_usage(FILE *f)
{
	fprintf(f, "Usage: %s alerts [-n|--last N] [-f|--file PATH] [-j|--json]\n\n",
		prog_name);
	fputs("Shows iotguardd's recent alerts, oldest first: when, which\n"
	      "device, what the daemon did (act, escalate, release) and\n"
	      "why: the feature, what was seen and what was expected.\n\n"
	      "  -n, --last N     only the last N alerts (default 50, 0: all)\n"
	      "  -f, --file PATH  the daemon's alerts file (default\n"
	      "                   " ALERTS_FILE ")\n"
	      "  -j, --json       {\"alerts\": [...]}, each as the daemon wrote it\n",
	      f);
}

/*
 * The string value of key in a flat JSON object the daemon wrote; escapes
 * are decoded, \u sequences become '?'. Empty if absent.
 */
static void json_field(const char *line, const char *key, char *out,
		       size_t len)
{
	char pattern[64];
	const char *p;
	size_t n = 0;

	out[0] = '\0';
	snprintf(pattern, sizeof(pattern), "\"%s\":", key);
	p = strstr(line, pattern);
	if (!p)
		return;
	p += strlen(pattern);
	if (*p != '"') {
		/* a bare value: true, false, a number */
		while (*p && *p != ',' && *p != '}' && n + 1 < len)
			out[n++] = *p++;
		out[n] = '\0';
		return;
	}
	for (p++; *p && *p != '"' && n + 1 < len; p++) {
		char c = *p;

		if (c == '\\' && p[1]) {
			c = *++p;
			if (c == 'n')
				c = ' ';
			else if (c == 't')
				c = ' ';
			else if (c == 'u') {
				c = '?';
				p += strnlen(p + 1, 4);
			}
		}
		out[n++] = c;
	}
	out[n] = '\0';
}

struct lines {
	char **v;
	size_t count, size;
};

struct alerts {
	struct lines lines;
};

static int keep_line(struct lines *lines, const char *line, size_t last)
{
	char *copy = strdup(line);

	if (!copy)
		return -ENOMEM;
	/* A ring of the last N lines; 0 keeps everything. */
	if (last && lines->count == last) {
		free(lines->v[0]);
		memmove(lines->v, lines->v + 1, (last - 1) * sizeof(char *));
		lines->count--;
	}
	if (iotguard_array_reserve((void **)&lines->v, &lines->size,
				   lines->count, sizeof(*lines->v))) {
		free(copy);
		return -ENOMEM;
	}
	lines->v[lines->count++] = copy;
	return 0;
}

/* Reads path (missing: nothing), keeping complete object lines. */
static int read_file(const char *path, struct lines *lines, size_t last)
{
	char *buf = NULL;
	size_t size = 0;
	ssize_t len;
	int ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while ((len = getline(&buf, &size, f)) > 0) {
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		/* A line cut by a crash is not an alert. */
		if (len < 2 || buf[0] != '{' || buf[len - 1] != '}')
			continue;
		ret = keep_line(lines, buf, last);
		if (ret)
			break;
	}
	if (!ret && ferror(f))
		ret = -EIO;
	free(buf);
	fclose(f);
	return ret;
}

static void free_lines(struct lines *lines)
{
	size_t i;

	for (i = 0; i < lines->count; i++)
		free(lines->v[i]);
	free(lines->v);
	memset(lines, 0, sizeof(*lines));
}

/* The alerts of path.1 (rotated: the older ones), then of path. */
static int read_alerts(const char *path, struct lines *lines, size_t last)
{
	char old[4096];
	int ret;

	snprintf(old, sizeof(old), "%s.1", path);
	ret = read_file(old, lines, last);
	if (!ret)
		ret = read_file(path, lines, last);
	return ret;
}

int alerts_open(const char *path, struct alerts **alertsp)
{
	struct alerts *alerts = calloc(1, sizeof(*alerts));
	int ret;

	if (!alerts)
		return -ENOMEM;
	ret = read_alerts(path, &alerts->lines, 0);
	if (ret) {
		alerts_close(alerts);
		return ret;
	}
	*alertsp = alerts;
	return 0;
}

void alerts_close(struct alerts *alerts)
{
	if (!alerts)
		return;
	free_lines(&alerts->lines);
	free(alerts);
}

bool alerts_last_action(const struct alerts *alerts, const char *address,
			char *why, size_t why_len, char *when, size_t when_len)
{
	char field[64];
	size_t i;

	for (i = alerts ? alerts->lines.count : 0; i-- > 0;) {
		const char *line = alerts->lines.v[i];

		json_field(line, "address", field, sizeof(field));
		if (strcmp(field, address))
			continue;
		json_field(line, "done", field, sizeof(field));
		if (strcmp(field, "true"))
			continue;
		json_field(line, "event", field, sizeof(field));
		/* The last thing done to it was a release: no action holds. */
		if (!strcmp(field, "release"))
			return false;
		json_field(line, "explanation", why, why_len);
		json_field(line, "time", when, when_len);
		return true;
	}
	return false;
}

static int print_table(const struct lines *lines)
{
	static const char *const keys[] = {
		"time", "name", "address", "event", "action", "explanation",
	};
	struct table table;
	char cells[6][256], note[300];
	size_t i, k;
	int ret = 0;

	if (!lines->count) {
		puts("No alerts.");
		return 0;
	}
	table_init(&table, 6, 0);
	table_add(&table, "TIME", "NAME", "ADDRESS", "EVENT", "ACTION",
		  "WHY");
	for (i = 0; i < lines->count; i++) {
		char flag[16];

		for (k = 0; k < ARRAY_SIZE(keys); k++)
			json_field(lines->v[i], keys[k], cells[k],
				   sizeof(cells[k]));
		snprintf(note, sizeof(note), "%s", cells[4]);
		json_field(lines->v[i], "dry_run", flag, sizeof(flag));
		if (!strcmp(flag, "true"))
			snprintf(note, sizeof(note), "%s (dry run)", cells[4]);
		json_field(lines->v[i], "pinned", flag, sizeof(flag));
		if (!strcmp(flag, "true"))
			snprintf(note, sizeof(note), "%s (pinned)", cells[4]);
		if (table_add(&table, cells[0], cells[1], cells[2], cells[3],
			      note, cells[5]))
			ret = -ENOMEM;
	}
	table_print(&table, stdout, "");
	table_free(&table);
	return ret;
}

int alerts_main(int argc, char *argv[])
{
	const char *path = ALERTS_FILE;
	struct lines lines = { 0 };
	unsigned long last = 50;
	char *end;
	size_t i;
	int opt, ret;

	optind = 0;
	while ((opt = next_option("alerts", argc, argv, "jf:n:h",
				  alerts_options)) != -1) {
		switch (opt) {
		case 'j':
			json_output = true;
			break;
		case 'f':
			path = optarg;
			break;
		case 'n':
			errno = 0;
			last = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || optarg[0] == '-')
				return usage_error("alerts",
						   "--last: `%s' is not a count",
						   optarg);
			break;
		case 'h':
			alerts_usage(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("alerts", "unexpected argument `%s'",
				   argv[optind]);
	ret = read_alerts(path, &lines, last);
	if (ret) {
		ret = report_error(ret, NULL, "read %s", path);
		goto cleanup;
	}
	if (json_output) {
		fputs("{\"alerts\":[", stdout);
		for (i = 0; i < lines.count; i++)
			printf("%s%s", i ? "," : "", lines.v[i]);
		fputs("]}\n", stdout);
	} else if (print_table(&lines)) {
		ret = report_error(-ENOMEM, NULL, "list the alerts");
	}

cleanup:
	free_lines(&lines);
	return ret;
}
