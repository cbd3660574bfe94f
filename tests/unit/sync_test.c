// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard-sync's rules on the host (user/iotguard-sync/policy.c), with
 * the recording applier: keys and their tokens, values, and who wins
 * (Documentation/fleet.rst): revisions, local pins, deletes, the city's
 * lists. tests/unit/fleet.sh runs the same against a real cluster.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "sync.h"

const char *prog_name = "sync_test";

/* The lines of the record that start with prefix. */
static int lines(const char *path, const char *prefix)
{
	char line[1024];
	FILE *f;
	int n = 0;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, prefix, strlen(prefix)))
			n++;
	fclose(f);
	return n;
}

FIXTURE(table) {
	char path[64];
	struct sync_applier applier;
	struct sync_table *table;
};

FIXTURE_SETUP(table)
{
	int fd;

	snprintf(self->path, sizeof(self->path), "/tmp/sync_test.XXXXXX");
	fd = mkstemp(self->path);
	ASSERT_LE(0, fd);
	close(fd);
	self->table = NULL;
	self->applier.close = NULL;
}

FIXTURE_TEARDOWN(table)
{
	sync_table_free(self->table);
	if (self->applier.close)
		self->applier.close(self->applier.priv);
	unlink(self->path);
}

/* Opens the record (after a test wrote its first lines) and the table. */
static int start(struct _test_data_table *self, const char *router)
{
	int ret = sync_applier_record(&self->applier, self->path);

	return ret ? ret : sync_table_new(&self->table, router,
					  &self->applier);
}

/* Stops the agent: its table and its applier (the record stays). */
static void stop(struct _test_data_table *self)
{
	sync_table_free(self->table);
	self->table = NULL;
	self->applier.close(self->applier.priv);
	self->applier.close = NULL;
}

/* Starts the agent again with its state file. */
static int restart(struct _test_data_table *self, const char *state)
{
	int ret = start(self, "a");

	return ret ? ret : sync_table_load(self->table, state);
}

static int put(struct sync_table *t, const char *key, uint64_t rev,
	       const char *json)
{
	return sync_table_entry(t, key, rev, SYNC_OP_PUT, json, strlen(json),
				NULL);
}

static int del(struct sync_table *t, const char *key, uint64_t rev)
{
	return sync_table_entry(t, key, rev, SYNC_OP_DEL, NULL, 0, NULL);
}

static void seed(const char *path, const char *line)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(line, f);
		fclose(f);
	}
}

#define LAMP "{\"id\":\"198.18.0.5\",\"state\":\"allow\",\"by\":\"op\"}"
#define LAMP_DENY "{\"id\":\"198.18.0.5\",\"state\":\"deny\",\"by\":\"op\"}"

TEST(tokens)
{
	struct iotguard_addr id;
	const char *why;
	char token[SYNC_KEY_LEN];

	ASSERT_EQ(0, iotguard_parse_identity("198.18.0.5", &id, &why));
	ASSERT_EQ(0, sync_identity_token(&id, token, sizeof(token)));
	EXPECT_STREQ("198-18-0-5", token);
	ASSERT_EQ(0, iotguard_parse_identity("2001:2::1", &id, &why));
	ASSERT_EQ(0, sync_identity_token(&id, token, sizeof(token)));
	EXPECT_STREQ("2001-2--1", token);
	ASSERT_EQ(0, iotguard_parse_identity("2001:2::/64", &id, &why));
	ASSERT_EQ(0, sync_identity_token(&id, token, sizeof(token)));
	EXPECT_STREQ("2001-2--_64", token);
	ASSERT_EQ(0, iotguard_parse_identity("02:00:00:00:00:01", &id, &why));
	ASSERT_EQ(0, sync_identity_token(&id, token, sizeof(token)));
	EXPECT_STREQ("02-00-00-00-00-01", token);
	EXPECT_EQ(-EINVAL, sync_identity_token(&id, token, 4));
}

TEST(keys)
{
	char token[SYNC_KEY_LEN];

	EXPECT_EQ(SYNC_KEY_DEVICE, sync_key_parse("street.a.dev.198-18-0-5",
						  "a", token));
	EXPECT_STREQ("198-18-0-5", token);
	EXPECT_EQ(SYNC_KEY_OTHER, sync_key_parse("street.a.dev.198-18-0-5",
						 "b", token));
	EXPECT_EQ(SYNC_KEY_OTHER, sync_key_parse("street.ab.dev.x", "a",
						 token));
	EXPECT_EQ(SYNC_KEY_DENY, sync_key_parse("city.deny.x", "a", token));
	EXPECT_EQ(SYNC_KEY_REVOKE, sync_key_parse("city.revoke.x", "a",
						  token));
	EXPECT_EQ(SYNC_KEY_QUARANTINE, sync_key_parse("city.quarantine.x", "a",
						      token));
	EXPECT_EQ(SYNC_KEY_OTHER, sync_key_parse("city.deny.x.y", "a", token));
	EXPECT_EQ(SYNC_KEY_OTHER, sync_key_parse("city.deny.", "a", token));
	EXPECT_EQ(SYNC_KEY_OTHER, sync_key_parse("report.a.x", "a", token));
}

TEST(values)
{
	struct sync_value v;
	const char *why;
	const char *full = "{\"id\":\"198.18.0.5\",\"name\":\"lamp\","
		"\"state\":\"quarantine\",\"class\":\"light\","
		"\"mac\":\"02:00:00:00:00:05\",\"rate_pps\":10,"
		"\"burst_pkts\":20,\"rate_bps\":3000,\"burst_bytes\":4000,"
		"\"pin\":true,\"by\":\"op\",\"later\":{\"cred\":1}}";

	ASSERT_EQ(0, sync_value_parse(SYNC_KEY_DEVICE, full, strlen(full),
				      &v, &why)) TH_LOG("%s", why);
	EXPECT_STREQ("lamp", v.dev.name);
	EXPECT_EQ(IOTGUARD_STATE_QUARANTINE, v.dev.state);
	EXPECT_EQ(10U, v.dev.rate_pps);
	EXPECT_EQ(3000U, v.dev.rate_bps);
	EXPECT_EQ(5, v.dev.mac[5]);
	EXPECT_TRUE(v.pin);
	EXPECT_STREQ("op", v.by);
	EXPECT_EQ(IOTGUARD_DEV_NAME | IOTGUARD_DEV_STATE | IOTGUARD_DEV_CLASS |
		  IOTGUARD_DEV_MAC | IOTGUARD_DEV_RATE_PPS |
		  IOTGUARD_DEV_BURST_PKTS | IOTGUARD_DEV_RATE_BPS |
		  IOTGUARD_DEV_BURST_BYTES, v.dev.present);

#define BAD(json) EXPECT_EQ(-EINVAL, sync_value_parse(SYNC_KEY_DEVICE, \
		json, strlen(json), &v, &why))
	BAD("");
	BAD("[]");
	BAD("{\"state\":\"allow\"}");
	BAD("{\"id\":5}");
	BAD("{\"id\":\"198.18.0.5\"} {}");
	BAD("{\"id\":\"198.18.0.5\",\"state\":\"maybe\"}");
	BAD("{\"id\":\"198.18.0.5\",\"rate_pps\":-1}");
	BAD("{\"id\":\"198.18.0.5\",\"rate_pps\":4294967296}");
	BAD("{\"id\":\"198.18.0.5\",\"rate_pps\":\"10\"}");
	BAD("{\"id\":\"198.18.0.5\",\"pin\":1}");
#undef BAD
}

/* The store's sequence orders changes: an older one never wins. */
TEST_F(table, older_revision_never_wins)
{
	ASSERT_EQ(0, start(self, "a"));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 5, LAMP));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 3,
			 LAMP_DENY));
	/* The same revision again: a watcher started anew. */
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 5, LAMP));
	EXPECT_EQ(0, del(self->table, "street.a.dev.198-18-0-5", 4));
	EXPECT_EQ(1, lines(self->path, "add 198.18.0.5 state=allow"));
	EXPECT_EQ(0, lines(self->path, "set "));
	EXPECT_EQ(0, lines(self->path, "del "));
	EXPECT_EQ(3U, sync_table_counters(self->table)->stale);
	/* A delete, then the put it deleted, come again: stays deleted. */
	EXPECT_EQ(0, del(self->table, "street.a.dev.198-18-0-5", 6));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 5, LAMP));
	EXPECT_EQ(1, lines(self->path, "del 198.18.0.5"));
	EXPECT_EQ(1, lines(self->path, "add "));
}

TEST_F(table, not_ours_ignored)
{
	ASSERT_EQ(0, start(self, "a"));
	EXPECT_EQ(0, put(self->table, "street.b.dev.198-18-0-5", 1, LAMP));
	/* A value under another identity's key. */
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-6", 2, LAMP));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 3, "{"));
	EXPECT_EQ(3U, sync_table_counters(self->table)->ignored);
	EXPECT_EQ(0, lines(self->path, ""));
}

/* A device the router's operator enrolled is not the store's to delete. */
TEST_F(table, delete_only_what_it_enrolled)
{
	seed(self->path, "add 198.18.0.9 state=allow flags=0\n");
	ASSERT_EQ(0, start(self, "a"));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-9", 1,
			 "{\"id\":\"198.18.0.9\",\"class\":\"meter\"}"));
	EXPECT_EQ(1, lines(self->path, "set 198.18.0.9 class=4"));
	EXPECT_EQ(0, del(self->table, "street.a.dev.198-18-0-9", 2));
	EXPECT_EQ(0, lines(self->path, "del "));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 3, LAMP));
	EXPECT_EQ(0, del(self->table, "street.a.dev.198-18-0-5", 4));
	EXPECT_EQ(1, lines(self->path, "del 198.18.0.5"));
}

/*
 * A delete says who made it in its marker's body; a bare marker, or one
 * whose body is not {"by": WHO}, is still a delete, by nobody named.
 */
TEST_F(table, delete_says_who)
{
	static const char by[] = "{\"by\":\"operator:alice\"}";
	static const char bad[] = "[\"by\"]";

	ASSERT_EQ(0, start(self, "a"));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 1, LAMP));
	EXPECT_EQ(0, sync_table_entry(self->table, "street.a.dev.198-18-0-5",
				      2, SYNC_OP_DEL, by, strlen(by), NULL));
	EXPECT_EQ(1, lines(self->path, "del 198.18.0.5 key=street.a.dev."
			   "198-18-0-5 rev=2 by=operator:alice"));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-6", 3,
			 "{\"id\":\"198.18.0.6\",\"by\":\"op\"}"));
	EXPECT_EQ(0, sync_table_entry(self->table, "street.a.dev.198-18-0-6",
				      4, SYNC_OP_DEL, bad, strlen(bad), NULL));
	EXPECT_EQ(1, lines(self->path, "del 198.18.0.6 key=street.a.dev."
			   "198-18-0-6 rev=4 by=-"));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-7", 5,
			 "{\"id\":\"198.18.0.7\",\"by\":\"op\"}"));
	EXPECT_EQ(0, del(self->table, "street.a.dev.198-18-0-7", 6));
	EXPECT_EQ(1, lines(self->path, "del 198.18.0.7 key=street.a.dev."
			   "198-18-0-7 rev=6 by=-"));
}

TEST_F(table, local_pin_only_made_stricter)
{
	seed(self->path, "add 198.18.0.5 state=allow flags=1\n"
			 "add 198.18.0.6 state=deny flags=1\n");
	ASSERT_EQ(0, start(self, "a"));
	/* Allowed and pinned: the store may deny it. */
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 1,
			 LAMP_DENY));
	EXPECT_EQ(1, lines(self->path, "set 198.18.0.5 state=deny flags=1"));
	/* Denied and pinned: the store may not allow it, nor delete it. */
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-6", 2,
			 "{\"id\":\"198.18.0.6\",\"state\":\"allow\"}"));
	EXPECT_EQ(0, del(self->table, "street.a.dev.198-18-0-6", 3));
	EXPECT_EQ(0, lines(self->path, "set 198.18.0.6"));
	EXPECT_EQ(0, lines(self->path, "del "));
	EXPECT_EQ(1U, sync_table_counters(self->table)->kept_pin);
}

/* A pin the store set is the store's to lift. */
TEST_F(table, store_pin)
{
	ASSERT_EQ(0, start(self, "a"));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 1,
			 "{\"id\":\"198.18.0.5\",\"state\":\"deny\","
			 "\"pin\":true}"));
	EXPECT_EQ(1, lines(self->path, "add 198.18.0.5 state=deny flags=1"));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 2, LAMP));
	EXPECT_EQ(1, lines(self->path, "set 198.18.0.5 state=allow flags=0"));
}

TEST_F(table, city_lists)
{
	ASSERT_EQ(0, start(self, "a"));
	/* Denied before its street enrolls it: enrolled denied. */
	EXPECT_EQ(0, put(self->table, "city.deny.198-18-0-5", 1,
			 "{\"id\":\"198.18.0.5\"}"));
	EXPECT_EQ(1, lines(self->path, "add 198.18.0.5 name=city-deny "
			   "state=deny"));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 1, LAMP));
	EXPECT_EQ(1, lines(self->path, "set 198.18.0.5 state=deny"));
	/* The deny lifted: the street's state. */
	EXPECT_EQ(0, del(self->table, "city.deny.198-18-0-5", 2));
	EXPECT_EQ(1, lines(self->path, "set 198.18.0.5 state=allow"));
	/* Revoked: denied, its credential revoked once. */
	EXPECT_EQ(0, put(self->table, "city.revoke.198-18-0-5", 3,
			 "{\"id\":\"198.18.0.5\",\"by\":\"bob\"}"));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 4, LAMP));
	/* Denied while denied, on the revocation, and on the street's. */
	EXPECT_EQ(3, lines(self->path, "set 198.18.0.5 state=deny"));
	EXPECT_EQ(1, lines(self->path, "revoke 198.18.0.5"));
	/* A deny of a device the router never had, lifted: gone again. */
	EXPECT_EQ(0, put(self->table, "city.deny.198-18-0-7", 5,
			 "{\"id\":\"198.18.0.7\"}"));
	EXPECT_EQ(0, del(self->table, "city.deny.198-18-0-7", 6));
	EXPECT_EQ(1, lines(self->path, "del 198.18.0.7"));
}

/*
 * The city's quarantine holds a device back on every router: a street's
 * allow becomes a quarantine, a deny stays a deny, and when it is lifted
 * the street's state is back.
 */
TEST_F(table, city_quarantine)
{
	ASSERT_EQ(0, start(self, "a"));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 1, LAMP));
	EXPECT_EQ(0, put(self->table, "city.quarantine.198-18-0-5", 1,
			 "{\"id\":\"198.18.0.5\",\"by\":\"gate:policy\"}"));
	EXPECT_EQ(1, lines(self->path, "set 198.18.0.5 state=quarantine"));
	/* Denied on top: a deny; the deny lifted: quarantined again. */
	EXPECT_EQ(0, put(self->table, "city.deny.198-18-0-5", 1,
			 "{\"id\":\"198.18.0.5\"}"));
	EXPECT_EQ(1, lines(self->path, "set 198.18.0.5 state=deny"));
	EXPECT_EQ(0, del(self->table, "city.deny.198-18-0-5", 2));
	EXPECT_EQ(2, lines(self->path, "set 198.18.0.5 state=quarantine"));
	/* The street denies it itself: the quarantine does not relax it. */
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 2,
			 LAMP_DENY));
	EXPECT_EQ(2, lines(self->path, "set 198.18.0.5 state=deny"));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 3, LAMP));
	/* Lifted: the street's allow. */
	EXPECT_EQ(0, del(self->table, "city.quarantine.198-18-0-5", 2));
	EXPECT_EQ(1, lines(self->path, "set 198.18.0.5 state=allow"));
	/* A device the router never had: enrolled held back, then gone. */
	EXPECT_EQ(0, put(self->table, "city.quarantine.198-18-0-7", 3,
			 "{\"id\":\"198.18.0.7\"}"));
	EXPECT_EQ(1, lines(self->path, "add 198.18.0.7 name=city-quarantine "
			   "state=quarantine"));
	EXPECT_EQ(0, del(self->table, "city.quarantine.198-18-0-7", 4));
	EXPECT_EQ(1, lines(self->path, "del 198.18.0.7"));
	/* An older revision of the key never comes back. */
	EXPECT_EQ(0, put(self->table, "city.quarantine.198-18-0-7", 3,
			 "{\"id\":\"198.18.0.7\"}"));
	EXPECT_EQ(1, lines(self->path, "add 198.18.0.7 "));
}

/*
 * The agent restarted with its state: what the watchers give again is
 * learnt, not applied again, and what it enrolled is still its own.
 */
TEST_F(table, state_across_restarts)
{
	char state[80];

	snprintf(state, sizeof(state), "%s.state", self->path);
	ASSERT_EQ(0, start(self, "a"));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 1, LAMP));
	EXPECT_EQ(0, put(self->table, "city.deny.198-18-0-5", 1,
			 "{\"id\":\"198.18.0.5\"}"));
	ASSERT_EQ(0, sync_table_save(self->table, state));
	stop(self);

	ASSERT_EQ(0, restart(self, state));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 1, LAMP));
	EXPECT_EQ(0, put(self->table, "city.deny.198-18-0-5", 1,
			 "{\"id\":\"198.18.0.5\"}"));
	EXPECT_EQ(1, lines(self->path, "add "));
	EXPECT_EQ(1, lines(self->path, "set "));
	EXPECT_EQ(0U, sync_table_counters(self->table)->applied);
	/* The deny lifted: the street's state, learnt after the restart. */
	EXPECT_EQ(0, del(self->table, "city.deny.198-18-0-5", 2));
	EXPECT_EQ(1, lines(self->path, "set 198.18.0.5 state=allow"));
	/* Still the agent's own to delete. */
	EXPECT_EQ(0, del(self->table, "street.a.dev.198-18-0-5", 2));
	EXPECT_EQ(1, lines(self->path, "del 198.18.0.5"));
	unlink(state);

	/*
	 * A version 1 file (three keys) is read: its device is the agent's
	 * own, in the table, and its deny's revision 9 is known.
	 */
	seed(state, "# iotguard-sync state 1: token id rev-street rev-deny "
	     "rev-revoke ours pinned-by-us revoked\n"
	     "198-18-0-8 198.18.0.8 0 9 0 1 0 0\n");
	stop(self);
	seed(self->path, "add 198.18.0.8 name=city-deny state=deny flags=0\n");
	ASSERT_EQ(0, restart(self, state));
	EXPECT_EQ(0, put(self->table, "city.deny.198-18-0-8", 9,
			 "{\"id\":\"198.18.0.8\"}"));
	EXPECT_EQ(1U, sync_table_counters(self->table)->stale);
	unlink(state);

	/* A file that is not a state file is refused. */
	seed(state, "add 198.18.0.5\n");
	EXPECT_EQ(-EINVAL, sync_table_load(self->table, state));
	unlink(state);
	EXPECT_EQ(0, sync_table_load(self->table, state));
}

/*
 * The agent restarted with its state, but the table lost what it had
 * enrolled (the module reloaded, the router rebooted): each key's value
 * is applied again, the street's and the deny's, and the device is its
 * own again. A restart after that learns it all.
 */
TEST_F(table, state_table_lost)
{
	char state[80];

	snprintf(state, sizeof(state), "%s.state", self->path);
	ASSERT_EQ(0, start(self, "a"));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 1, LAMP));
	EXPECT_EQ(0, put(self->table, "city.deny.198-18-0-5", 2,
			 "{\"id\":\"198.18.0.5\"}"));
	ASSERT_EQ(0, sync_table_save(self->table, state));
	stop(self);

	seed(self->path, "");
	ASSERT_EQ(0, restart(self, state));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 1, LAMP));
	EXPECT_EQ(0, put(self->table, "city.deny.198-18-0-5", 2,
			 "{\"id\":\"198.18.0.5\"}"));
	EXPECT_EQ(1, lines(self->path, "add 198.18.0.5 state=allow"));
	EXPECT_EQ(1, lines(self->path, "set 198.18.0.5 state=deny"));
	EXPECT_EQ(2U, sync_table_counters(self->table)->applied);
	ASSERT_EQ(0, sync_table_save(self->table, state));
	stop(self);

	ASSERT_EQ(0, restart(self, state));
	EXPECT_EQ(0, put(self->table, "city.deny.198-18-0-5", 2,
			 "{\"id\":\"198.18.0.5\"}"));
	EXPECT_EQ(0, put(self->table, "street.a.dev.198-18-0-5", 1, LAMP));
	EXPECT_EQ(0U, sync_table_counters(self->table)->applied);
	EXPECT_EQ(2U, sync_table_counters(self->table)->stale);
	/* Still its own to delete. */
	EXPECT_EQ(0, del(self->table, "street.a.dev.198-18-0-5", 3));
	EXPECT_EQ(0, del(self->table, "city.deny.198-18-0-5", 4));
	EXPECT_EQ(1, lines(self->path, "del 198.18.0.5"));
	unlink(state);
}

/*
 * Thousands of identities, found again by their tokens as the table
 * grows: each put once, each given again is stale, each delete finds it.
 */
TEST_F(table, many_identities)
{
	char key[64], json[96];
	size_t count;
	int i;

	ASSERT_EQ(0, start(self, "a"));
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "city.deny.198-19-%d-%d",
			 i / 250, i % 250);
		snprintf(json, sizeof(json), "{\"id\":\"198.19.%d.%d\"}",
			 i / 250, i % 250);
		ASSERT_EQ(0, put(self->table, key, i + 1, json));
	}
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "city.deny.198-19-%d-%d",
			 i / 250, i % 250);
		snprintf(json, sizeof(json), "{\"id\":\"198.19.%d.%d\"}",
			 i / 250, i % 250);
		ASSERT_EQ(0, put(self->table, key, i + 1, json));
	}
	EXPECT_EQ(3000U, sync_table_counters(self->table)->applied);
	EXPECT_EQ(3000U, sync_table_counters(self->table)->stale);
	sync_table_memory(self->table, &count);
	EXPECT_EQ(3000U, count);
	EXPECT_EQ(0, del(self->table, "city.deny.198-19-11-249", 4000));
	EXPECT_EQ(1, lines(self->path, "del 198.19.11.249"));
	EXPECT_EQ(3000, lines(self->path, "add 198.19."));
}

/* The record read back is the table a module keeps across restarts. */
TEST_F(table, record_replayed)
{
	seed(self->path, "add 198.18.0.5 state=allow flags=0\n"
			 "set 198.18.0.5 state=quarantine\n"
			 "add 198.18.0.6 state=allow flags=0\n"
			 "del 198.18.0.6\n");
	struct iotguard_device dev;
	struct iotguard_addr id;
	const char *why;

	ASSERT_EQ(0, start(self, "a"));
	ASSERT_EQ(0, iotguard_parse_identity("198.18.0.5", &id, &why));
	ASSERT_EQ(0, self->applier.get(self->applier.priv, &id, &dev));
	EXPECT_EQ(IOTGUARD_STATE_QUARANTINE, dev.state);
	ASSERT_EQ(0, iotguard_parse_identity("198.18.0.6", &id, &why));
	EXPECT_EQ(-ENOENT, self->applier.get(self->applier.priv, &id, &dev));
}

TEST_HARNESS_MAIN
