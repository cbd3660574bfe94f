// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of user/iotguardd/metrics.c: /metrics rendered a chunk at a
 * time must still be the exposition format, each family whole and once,
 * every device in every family, however the chunks and reads fall.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "iotguardd.h"
#include "parse.h"
/* The harness has its own, the same. */
#undef ARRAY_SIZE
/* The 6.1 harness is not -Wextra clean (see parse_test.c). */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"

#define SLOTS		8192
#define FAMILIES	6	/* per-device families */
#define LINES		12	/* per-device lines: dropped has seven */
#define DAEMON_FAMILIES	25	/* totals, interfaces and health */

/* n devices spread over the slots, long names so that chunks fill. */
static void fill(struct daemon *d, uint32_t n)
{
	struct iotguard_score_config cfg;
	uint32_t i, slot;

	memset(d, 0, sizeof(*d));
	d->cfg.metrics_devices = true;
	d->cfg.metrics_devices_max = METRICS_DEVICES_MAX;
	pthread_mutex_init(&d->lock, NULL);
	d->max_devices = SLOTS;
	d->devs = calloc(SLOTS, sizeof(*d->devs));
	iotguard_score_config_default(&cfg);
	if (!d->devs || iotguard_scorer_new(&cfg, SLOTS, &d->scorer))
		abort();
	for (i = 0; i < n; i++) {
		struct dstate *ds;

		slot = (i * 7 + 3) % SLOTS;
		ds = &d->devs[slot];
		ds->present = true;
		ds->dev.id.family = AF_INET;
		ds->dev.id.addr[0] = 198;
		ds->dev.id.addr[1] = 18;
		ds->dev.id.addr[2] = slot >> 8;
		ds->dev.id.addr[3] = slot & 0xff;
		ds->dev.class = i % 4;
		ds->dev.state = 1;
		ds->dev.index = slot;
		snprintf(ds->dev.name, sizeof(ds->dev.name),
			 "lamp-%u-\"q\"-\\-n", slot);
		ds->stats.pass.packets = 1000 + slot;
	}
}

/*
 * Four pinned links: eth1 enforcing in the driver, eth2 monitoring after
 * the skb, eth3 deleted (its link dead), and one whose program's mode
 * could not be read, with a name to escape.
 */
static void add_links(struct daemon *d)
{
	static const struct {
		const char *name;
		int monitor;
		bool gone;
		enum iotguard_xdp_mode mode;
	} links[] = {
		{ "eth1", 0, false, IOTGUARD_XDP_NATIVE },
		{ "eth2", 1, false, IOTGUARD_XDP_GENERIC },
		{ "eth3", 0, true, IOTGUARD_XDP_NATIVE },
		{ "wan\"x", -1, false, IOTGUARD_XDP_NATIVE },
	};
	size_t i;

	d->nlinks = ARRAY_SIZE(links);
	d->links = calloc(d->nlinks, sizeof(*d->links));
	if (!d->links)
		abort();
	for (i = 0; i < d->nlinks; i++) {
		struct iotguard_link_status *l = &d->links[i];

		snprintf(l->pin_name, sizeof(l->pin_name), "%s",
			 links[i].name);
		l->monitor = links[i].monitor;
		l->gone = links[i].gone;
		l->mode_known = !l->gone;
		l->mode = links[i].mode;
	}
}

static void empty(struct daemon *d)
{
	uint32_t i;

	for (i = 0; i < SLOTS; i++)
		free(d->devs[i].labels);
	free(d->links);
	iotguard_scorer_free(d->scorer);
	free(d->devs);
	pthread_mutex_destroy(&d->lock);
}

/* The whole text, read step bytes at a time. */
static char *scrape_all(struct daemon *d, size_t step, size_t *len)
{
	struct metrics_scrape *s = metrics_scrape_new(d);
	size_t cap = 1 << 20;
	char *text = malloc(cap);
	ssize_t n;

	*len = 0;
	if (!s || !text)
		abort();
	for (;;) {
		if (*len + step + 1 > cap) {
			cap *= 2;
			text = realloc(text, cap);
			if (!text)
				abort();
		}
		n = metrics_scrape_read(s, text + *len, step);
		if (n <= 0)
			break;
		*len += n;
	}
	metrics_scrape_free(s);
	if (n < 0) {
		free(text);
		return NULL;
	}
	text[*len] = '\0';
	return text;
}

static unsigned int count(const char *text, const char *needle)
{
	unsigned int n = 0;

	for (text = strstr(text, needle); text;
	     text = strstr(text + 1, needle))
		n++;
	return n;
}

/* Each mode's iotguard_interfaces series once, with the count given. */
static bool interfaces_are(const char *text, unsigned int enforce,
			   unsigned int monitor, unsigned int unknown)
{
	const char *const modes[] = { "enforce", "monitor", "unknown" };
	const unsigned int want[] = { enforce, monitor, unknown };
	char line[64];
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(modes); k++) {
		snprintf(line, sizeof(line),
			 "iotguard_interfaces{mode=\"%s\"} %u\n", modes[k],
			 want[k]);
		if (count(text, line) != 1)
			return false;
	}
	return true;
}

/*
 * Every sample line belongs to the family of the last # TYPE line, and no
 * family's # TYPE comes twice: the format's rule that families are whole.
 */
static int families_whole(const char *text)
{
	char seen[64][64], family[64] = "";
	unsigned int nseen = 0, k;
	const char *line = text, *end;

	for (; *line; line = end + 1) {
		end = strchr(line, '\n');
		if (!end)
			return -1;	/* the text ends mid-line */
		if (!strncmp(line, "# TYPE ", 7)) {
			if (sscanf(line + 7, "%63s", family) != 1)
				return -1;
			for (k = 0; k < nseen; k++)
				if (!strcmp(seen[k], family))
					return -1;
			if (nseen == 64)
				return -1;
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", family);
		} else if (*line != '#') {
			if (strncmp(line, family, strlen(family)) ||
			    (line[strlen(family)] != '{' &&
			     line[strlen(family)] != ' '))
				return -1;
		}
	}
	return nseen;
}

TEST(many_chunks_whole_families)
{
	struct daemon d;
	size_t len;
	char *text;
	int fams;

	fill(&d, 2000);
	/* Reads smaller than a line: lines must still come out whole. */
	text = scrape_all(&d, 100, &len);
	ASSERT_NE(NULL, text);
	/* Big enough to need many chunks. */
	EXPECT_LT(4 * 64 * 1024, len);
	fams = families_whole(text);
	EXPECT_EQ(FAMILIES + DAEMON_FAMILIES, fams);
	EXPECT_EQ(2000 * LINES, count(text, "name=\"lamp-"));
	EXPECT_EQ(2000, count(text, "iotguard_device_score{"));
	EXPECT_EQ(1, count(text, "iotguard_daemon_devices 2000\n"));
	/* Quotes and backslashes escaped. */
	EXPECT_EQ(2000 * LINES, count(text, "-\\\"q\\\"-\\\\-n\""));
	EXPECT_EQ(1, count(text, "address=\"198.18.2.0\"} 1512\n"));
	free(text);
	empty(&d);
}

TEST(read_sizes_give_the_same_text)
{
	size_t len_small, len_big;
	char *small, *big;
	struct daemon d;

	fill(&d, 1500);
	small = scrape_all(&d, 1, &len_small);
	big = scrape_all(&d, 1 << 20, &len_big);
	ASSERT_NE(NULL, small);
	ASSERT_NE(NULL, big);
	EXPECT_EQ(len_small, len_big);
	EXPECT_EQ(0, strcmp(small, big));
	free(small);
	free(big);
	empty(&d);
}

/* metrics_devices = no: the totals and the daemon's health only. */
TEST(without_per_device_families)
{
	struct daemon d;
	size_t len;
	char *text;

	fill(&d, 3000);
	d.cfg.metrics_devices = false;
	text = scrape_all(&d, 4096, &len);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(DAEMON_FAMILIES, families_whole(text));
	EXPECT_EQ(0, count(text, "name=\""));
	EXPECT_EQ(0, count(text, "iotguard_device_"));
	EXPECT_EQ(1, count(text, "iotguard_daemon_devices 3000\n"));
	EXPECT_EQ(1, count(text, "iotguard_metrics_devices_omitted 3000\n"));
	free(text);
	empty(&d);
}

/*
 * More devices than metrics_devices_max: the per-device series of the
 * devices acted on only (a state other than allow, an action of
 * iotguardd's), the others counted as left out; at the limit, all.
 */
TEST(beyond_metrics_devices_max_the_acted_on)
{
	struct iotguard_score_key key = { .family = AF_INET };
	struct iotguard_score_dev *sd;
	uint32_t quarantined = (5 * 7 + 3) % SLOTS, denied = (9 * 7 + 3) % SLOTS;
	uint32_t alerted = (11 * 7 + 3) % SLOTS;
	char want[128];
	struct daemon d;
	size_t len;
	char *text;

	fill(&d, 3000);
	d.devs[quarantined].dev.state = IOTGUARD_STATE_QUARANTINE;
	d.devs[denied].dev.state = IOTGUARD_STATE_DENY;
	ASSERT_EQ(0, iotguard_scorer_device(d.scorer, alerted, 1, &key, 0,
					    false));
	sd = (struct iotguard_score_dev *)iotguard_scorer_get(d.scorer,
							      alerted);
	ASSERT_NE(NULL, sd);
	sd->action = IOTGUARD_ACT_ALERT;

	d.cfg.metrics_devices_max = 3000;
	text = scrape_all(&d, 4096, &len);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(3000, count(text, "iotguard_device_score{"));
	EXPECT_EQ(1, count(text, "iotguard_metrics_devices_omitted 0\n"));
	free(text);

	d.cfg.metrics_devices_max = 2999;
	text = scrape_all(&d, 4096, &len);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(FAMILIES + DAEMON_FAMILIES, families_whole(text));
	EXPECT_EQ(3, count(text, "iotguard_device_score{"));
	EXPECT_EQ(3 * LINES, count(text, "name=\""));
	snprintf(want, sizeof(want), "address=\"198.18.%u.%u\"",
		 quarantined >> 8, quarantined & 0xff);
	EXPECT_EQ(LINES, count(text, want));
	snprintf(want, sizeof(want), "address=\"198.18.%u.%u\"",
		 alerted >> 8, alerted & 0xff);
	EXPECT_EQ(LINES, count(text, want));
	EXPECT_EQ(1, count(text, "iotguard_metrics_devices_omitted 2997\n"));
	EXPECT_EQ(1, count(text, "iotguard_daemon_devices 3000\n"));
	free(text);
	empty(&d);
}

TEST(no_devices)
{
	struct daemon d;
	size_t len;
	char *text;

	fill(&d, 0);
	d.unknown_unrecorded = 42;
	d.overruns = 7;
	d.cfg.interval = 0.25;
	text = scrape_all(&d, 4096, &len);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(FAMILIES + DAEMON_FAMILIES, families_whole(text));
	EXPECT_EQ(0, count(text, "name=\""));
	EXPECT_EQ(1, count(text, "iotguard_daemon_devices 0\n"));
	EXPECT_EQ(1, count(text,
			   "iotguard_unknown_unrecorded_packets_total 42\n"));
	EXPECT_EQ(1, count(text, "iotguard_daemon_overruns_total 7\n"));
	EXPECT_EQ(1, count(text, "iotguard_daemon_interval_seconds 0.25\n"));
	EXPECT_EQ(1, count(text, "iotguard_daemon_paused 0\n"));
	EXPECT_EQ(1, count(text, "iotguard_daemon_module_up 1\n"));
	/* Nothing attached: every mode says 0, no interface has a series. */
	EXPECT_TRUE(interfaces_are(text, 0, 0, 0));
	EXPECT_EQ(0, count(text, "iotguard_interface_attached{"));
	free(text);
	empty(&d);
}

/* The faults the daemon rides out, as /metrics shows them. */
TEST(faults)
{
	struct daemon d;
	size_t len;
	char *text;

	fill(&d, 0);
	d.paused = d.module_gone = true;
	d.pauses = 2;
	d.paused_intervals = 11;
	d.module_reloads = 3;
	d.resyncs = 5;
	d.resync_errors = 4;
	d.saves = 6;
	d.save_errors = 7;
	text = scrape_all(&d, 4096, &len);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(FAMILIES + DAEMON_FAMILIES, families_whole(text));
	EXPECT_EQ(1, count(text, "iotguard_daemon_paused 1\n"));
	EXPECT_EQ(1, count(text, "iotguard_daemon_pauses_total 2\n"));
	EXPECT_EQ(1, count(text,
			   "iotguard_daemon_paused_intervals_total 11\n"));
	EXPECT_EQ(1, count(text, "iotguard_daemon_module_up 0\n"));
	EXPECT_EQ(1, count(text, "iotguard_daemon_module_reloads_total 3\n"));
	EXPECT_EQ(1, count(text, "iotguard_daemon_resyncs_total 5\n"));
	EXPECT_EQ(1, count(text,
			   "iotguard_daemon_errors_total{kind=\"resync\"} 4\n"));
	EXPECT_EQ(1, count(text, "iotguard_daemon_saves_total 6\n"));
	EXPECT_EQ(1, count(text,
			   "iotguard_daemon_errors_total{kind=\"save\"} 7\n"));
	free(text);
	empty(&d);
}

/* Per interface its mode; by mode the ones attached, the gone one not. */
TEST(interfaces_by_mode)
{
	static const char *const attached[] = {
		"{interface=\"eth1\",mode=\"enforce\",xdp=\"native\"} 1\n",
		"{interface=\"eth2\",mode=\"monitor\",xdp=\"generic\"} 1\n",
		"{interface=\"eth3\",mode=\"enforce\",xdp=\"unknown\"} 0\n",
		"{interface=\"wan\\\"x\",mode=\"unknown\",xdp=\"native\"} 1\n",
	};
	struct daemon d;
	char line[128];
	unsigned int k;
	size_t len;
	char *text;

	fill(&d, 0);
	add_links(&d);
	text = scrape_all(&d, 4096, &len);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(FAMILIES + DAEMON_FAMILIES, families_whole(text));
	for (k = 0; k < ARRAY_SIZE(attached); k++) {
		snprintf(line, sizeof(line), "iotguard_interface_attached%s",
			 attached[k]);
		EXPECT_EQ(1, count(text, line));
	}
	EXPECT_EQ(4, count(text, "iotguard_interface_attached{"));
	EXPECT_TRUE(interfaces_are(text, 1, 1, 1));
	free(text);
	empty(&d);
}

/*
 * A daemon with a device in each state and an interface in each mode:
 * every family, and every label value contrib/'s alerting rules and
 * Grafana dashboard select on. With IOTGUARD_METRICS_SAMPLE=FILE in the
 * environment the text goes to FILE too: tests/unit/promrules.sh and
 * tests/unit/grafana.sh hold the names in the rules and the dashboard to
 * what the daemon really serves.
 */
TEST(sample_exposition)
{
	const char *path = getenv("IOTGUARD_METRICS_SAMPLE");
	struct daemon d;
	size_t len;
	char *text;
	FILE *f;

	fill(&d, 3);
	/* fill() puts them in slots 3, 10 and 17. */
	d.devs[3].dev.state = IOTGUARD_STATE_ALLOW;
	d.devs[10].dev.state = IOTGUARD_STATE_DENY;
	d.devs[17].dev.state = IOTGUARD_STATE_QUARANTINE;
	add_links(&d);
	text = scrape_all(&d, 4096, &len);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(FAMILIES + DAEMON_FAMILIES, families_whole(text));
	EXPECT_EQ(1, count(text, ",state=\"allow\","));
	EXPECT_EQ(1, count(text, ",state=\"deny\","));
	EXPECT_EQ(1, count(text, ",state=\"quarantine\","));
	if (path) {
		f = fopen(path, "we");
		ASSERT_NE(NULL, f);
		fputs(text, f);
		ASSERT_EQ(0, fclose(f));
	}
	free(text);
	empty(&d);
}

TEST_HARNESS_MAIN
