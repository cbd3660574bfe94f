// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of user/iotguardd/config.c: iotguardd.conf as operators
 * write it, and the errors they get back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include "iotguardd.h"
#include "parse.h"
/* The harness has its own, the same. */
#undef ARRAY_SIZE
/* The 6.1 harness is not -Wextra clean (see parse_test.c). */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"

/* text as a temporary file; its path in path (PATH_MAX). */
static int write_conf(char *path, const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, PATH_MAX, "/tmp/iotguardd-conf-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -1;
	}
	fputs(text, f);
	return fclose(f);
}

/* Loads text; 0 or -1 with the error in err. */
static int load(const char *text, struct config *cfg, char *err,
		size_t err_len)
{
	char path[PATH_MAX];
	int ret;

	if (write_conf(path, text))
		return -2;
	ret = config_load(path, true, cfg, err, err_len);
	unlink(path);
	return ret;
}

TEST(defaults_without_a_file)
{
	struct config cfg;
	char err[256];

	ASSERT_EQ(0, config_load("/nonexistent/iotguardd.conf", false, &cfg,
				 err, sizeof(err)));
	EXPECT_EQ(1, cfg.interval);
	EXPECT_STREQ("127.0.0.1:9477", cfg.listen);
	EXPECT_EQ(300, cfg.score.learn);
	EXPECT_EQ(30, cfg.score.release_after);
	EXPECT_EQ(60, cfg.score.half_life[0]);
	EXPECT_TRUE(cfg.metrics_devices);
}

TEST(metrics_devices)
{
	struct config cfg;
	char err[256];

	ASSERT_EQ(0, load("metrics_devices = no\n", &cfg, err, sizeof(err)));
	EXPECT_FALSE(cfg.metrics_devices);
	ASSERT_EQ(0, load("metrics_devices = yes\n", &cfg, err, sizeof(err)));
	EXPECT_TRUE(cfg.metrics_devices);
	ASSERT_EQ(-1, load("metrics_devices = some\n", &cfg, err,
			   sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":1: metrics_devices"))
		TH_LOG("%s", err);
}

TEST(a_named_file_must_exist)
{
	struct config cfg;
	char err[256];

	EXPECT_EQ(-1, config_load("/nonexistent/iotguardd.conf", true, &cfg,
				  err, sizeof(err)));
	EXPECT_STREQ("Unable to open /nonexistent/iotguardd.conf: No such file or directory",
		     err);
}

/* The defaults are seconds too: at 2 s an interval, half as many. */
TEST(default_durations_are_seconds)
{
	struct config cfg;
	char err[256];

	ASSERT_EQ(0, load("interval = 2\n", &cfg, err, sizeof(err)));
	EXPECT_EQ(150, cfg.score.learn);
	EXPECT_EQ(15, cfg.score.release_after);
	EXPECT_EQ(30, cfg.score.half_life[0]);
	EXPECT_EQ(7200, cfg.score.half_life[2]);
}

TEST(durations_follow_the_interval)
{
	struct config cfg;
	char err[256];

	ASSERT_EQ(0, load("learn = 60\nrelease_after = 10\n"
			  "half_lives = 10 100 1000\ninterval = 0.5\n",
			  &cfg, err, sizeof(err)));
	EXPECT_EQ(120, cfg.score.learn);
	EXPECT_EQ(20, cfg.score.release_after);
	EXPECT_EQ(20, cfg.score.half_life[0]);
	EXPECT_EQ(2000, cfg.score.half_life[2]);
	/* What reload() does to keep the running interval. */
	config_set_interval(&cfg, 1);
	EXPECT_EQ(1, cfg.interval);
	EXPECT_EQ(60, cfg.score.learn);
	EXPECT_EQ(10, cfg.score.release_after);
	EXPECT_EQ(10, cfg.score.half_life[0]);
}

/*
 * The longest durations over the shortest interval land whole in the
 * scorer's fields (a release_after in 16 bits was 20000000 mod 65536), and
 * the interval goes with them, for the baselines file.
 */
TEST(longest_durations_fit)
{
	struct config cfg;
	char err[256];

	ASSERT_EQ(0, load("interval = 0.05\nlearn = 10000000\n"
			  "release_after = 1000000\nact_after = 1000\n",
			  &cfg, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(200000000, cfg.score.learn);
	EXPECT_EQ(20000000, cfg.score.release_after);
	EXPECT_EQ(1000, cfg.score.act_after);
	EXPECT_EQ(0.05, cfg.score.interval);
}

/* Each key's range fits its field, in seconds and in intervals. */
TEST(key_table_fits_its_fields)
{
	const struct config_key *keys, *k;
	size_t n, i;
	double max;

	keys = config_keys(&n);
	ASSERT_LT(10, n);
	for (i = 0; i < n; i++) {
		k = &keys[i];
		EXPECT_LE(k->min, k->max) TH_LOG("%s", k->name);
		switch (k->type) {
		case CONFIG_SECONDS:
			EXPECT_EQ(sizeof(double), k->size)
				TH_LOG("%s", k->name);
			/* the repeat offender's wait is 8 times it */
			EXPECT_GE(UINT32_MAX, 8 * k->max / 0.05)
				TH_LOG("%s", k->name);
			break;
		case CONFIG_FLOAT:
			EXPECT_EQ(sizeof(float), k->size)
				TH_LOG("%s", k->name);
			break;
		case CONFIG_COUNT:
			max = k->size == 2 ? UINT16_MAX : UINT32_MAX;
			EXPECT_GE(max, k->max) TH_LOG("%s", k->name);
			break;
		case CONFIG_BOOL:
			EXPECT_EQ(sizeof(bool), k->size)
				TH_LOG("%s", k->name);
			break;
		case CONFIG_OTHER:
			EXPECT_NE(NULL, k->parse) TH_LOG("%s", k->name);
			break;
		}
	}
}

/* The events socket's buffer: none by default (nl.c's), bytes, bounded. */
TEST(event_buffer)
{
	struct config cfg;
	char err[256];

	ASSERT_EQ(0, load("", &cfg, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(0, cfg.event_buffer);
	ASSERT_EQ(0, load("event_buffer = 4096\n", &cfg, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(4096, cfg.event_buffer);
	ASSERT_EQ(-1, load("event_buffer = 2e9\n", &cfg, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "event_buffer: `2e9' is out of range"))
		TH_LOG("%s", err);
}

TEST(out_of_range_is_refused)
{
	struct config cfg;
	char err[256];

	ASSERT_EQ(-1, load("release_after = 2e6\n", &cfg, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":1: release_after: `2e6' is out of range (0 to 1000000)"))
		TH_LOG("%s", err);
	ASSERT_EQ(-1, load("act_after = 2.5\n", &cfg, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":1: act_after: `2.5' is not a whole number"))
		TH_LOG("%s", err);
	ASSERT_EQ(-1, load("act_after = 0\n", &cfg, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":1: act_after: `0' is out of range (1 to 1000)"))
		TH_LOG("%s", err);
	ASSERT_EQ(-1, load("interval = 0.01\n", &cfg, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":1: interval: `0.01' is out of range (0.05 to 60)"))
		TH_LOG("%s", err);
	ASSERT_EQ(-1, load("half_lives = 60 0 14400\n", &cfg, err,
			   sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":1: half_lives: want 3 durations in seconds (0.001 to 100000000)"))
		TH_LOG("%s", err);
	ASSERT_EQ(-1, load("dry_run = maybe\n", &cfg, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":1: dry_run: `maybe' is neither yes nor no"))
		TH_LOG("%s", err);
}

TEST(class_sections)
{
	struct config cfg;
	char err[256];

	ASSERT_EQ(0, load("policy = alert\nthreshold = 7\n"
			  "[class camera]\npolicy = deny\n", &cfg, err,
			  sizeof(err)));
	EXPECT_EQ(IOTGUARD_ACT_ALERT, cfg.score.policy[0].action);
	EXPECT_EQ(IOTGUARD_ACT_DENY,
		  cfg.score.policy[IOTGUARD_CLASS_CAMERA].action);
	EXPECT_EQ(7, cfg.score.policy[IOTGUARD_CLASS_CAMERA].threshold);
}

TEST(class_envelopes)
{
	struct config cfg;
	char err[256];

	ASSERT_EQ(0, load("limit_syn = 20\nlimit_dst_ports = 0\n"
			  "[class camera]\nlimit_packets = 5000\n"
			  "limit_bytes = 4e6\nlimit_arp = 40\n"
			  "limit_window_ports = 200\n", &cfg, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(20, cfg.score.policy[0].limit[IOTGUARD_FEAT_SYN]);
	EXPECT_EQ(10, cfg.score.policy[0].limit[IOTGUARD_FEAT_ARP]);
	EXPECT_EQ(40, cfg.score.policy[IOTGUARD_CLASS_CAMERA]
			      .limit[IOTGUARD_FEAT_ARP]);
	EXPECT_EQ(64, cfg.score.policy[0].limit[IOTGUARD_FEAT_WIN_PORTS]);
	EXPECT_EQ(64, cfg.score.policy[0].limit[IOTGUARD_FEAT_WIN_ADDRS]);
	EXPECT_EQ(200, cfg.score.policy[IOTGUARD_CLASS_CAMERA]
			       .limit[IOTGUARD_FEAT_WIN_PORTS]);
	EXPECT_EQ(0, cfg.score.policy[0].limit[IOTGUARD_FEAT_DST_PORTS]);
	EXPECT_EQ(1000, cfg.score.policy[0].limit[IOTGUARD_FEAT_PACKETS]);
	EXPECT_EQ(5000, cfg.score.policy[IOTGUARD_CLASS_CAMERA]
				.limit[IOTGUARD_FEAT_PACKETS]);
	EXPECT_EQ(4e6, cfg.score.policy[IOTGUARD_CLASS_CAMERA]
			       .limit[IOTGUARD_FEAT_BYTES]);
	/* what the global section said before the class's */
	EXPECT_EQ(20, cfg.score.policy[IOTGUARD_CLASS_CAMERA]
			      .limit[IOTGUARD_FEAT_SYN]);
	ASSERT_EQ(0, load("min_count = 3\nnew_dest_act = 20\n", &cfg, err,
			  sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(3, cfg.score.min_count);
	EXPECT_EQ(20, cfg.score.new_dest_act);
	ASSERT_EQ(-1, load("limit_icmp = -1\n", &cfg, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":1: limit_icmp: `-1' is out of range"))
		TH_LOG("%s", err);
}

TEST(listen_forms)
{
	static const char *const good[] = {
		"127.0.0.1:9477", ":9477", "[::1]:9477", "0.0.0.0:1",
	};
	struct sockaddr_storage ss;
	struct config cfg;
	char text[128], err[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		snprintf(text, sizeof(text), "listen = %s\n", good[i]);
		EXPECT_EQ(0, load(text, &cfg, err, sizeof(err)))
			TH_LOG("%s: %s", good[i], err);
		EXPECT_STREQ(good[i], cfg.listen);
	}
	ASSERT_EQ(0, load("listen = none\n", &cfg, err, sizeof(err)));
	EXPECT_STREQ("", cfg.listen);
	ASSERT_EQ(0, config_parse_listen("[::1]:80", &ss));
	EXPECT_EQ(AF_INET6, ss.ss_family);
	EXPECT_EQ(htons(80), ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* A bad address is the file's error, not a failure to bind later. */
TEST(listen_rejects_malformed)
{
	static const char *const bad[] = {
		"9477", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"localhost:9477", "::1:9477", "[::1]9477", "[]:9477",
		"127.0.0.1:94x",
	};
	struct config cfg;
	char text[128], err[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), "listen = %s\n", bad[i]);
		err[0] = '\0';	/* each case's own message, not the last */
		EXPECT_EQ(-1, load(text, &cfg, err, sizeof(err)))
			TH_LOG("accepted %s", bad[i]);
		EXPECT_NE(NULL, strstr(err, ":1: listen: `"))
			TH_LOG("%s", err);
	}
}

TEST(errors_name_the_line_and_why)
{
	struct config cfg;
	char err[256];

	ASSERT_EQ(-1, load("interval = 1\n# fine\n[class light]\n"
			   "policy = maybe\n", &cfg, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":4: policy: `maybe' is not alert, quarantine or deny"))
		TH_LOG("%s", err);
	ASSERT_EQ(-1, load("interval = fast\n", &cfg, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":1: interval: `fast' is not a number"))
		TH_LOG("%s", err);
	ASSERT_EQ(-1, load("intervall = 1\n", &cfg, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":1: unknown key `intervall'"))
		TH_LOG("%s", err);
	ASSERT_EQ(-1, load("[zone 1]\n", &cfg, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":1: unknown section [zone 1]"))
		TH_LOG("%s", err);
}

/* A short buffer gets a truncated message, never an overflow. */
TEST(errors_fit_a_short_buffer)
{
	struct config cfg;
	char err[8] = "";

	ASSERT_EQ(-1, load("interval = fast\n", &cfg, err, sizeof(err)));
	EXPECT_EQ(7, strlen(err));
}

TEST_HARNESS_MAIN
