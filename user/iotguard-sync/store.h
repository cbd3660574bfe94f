/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The city's store: a NATS JetStream key-value bucket, over TLS with a
 * client certificate (Documentation/fleet.rst).
 */
#ifndef IOTGUARD_SYNC_STORE_H
#define IOTGUARD_SYNC_STORE_H

#include <nats/nats.h>
#include "sync.h"

/*
 * A city is three kinds of bucket, so that the servers' permissions,
 * which see a stream's name but not a watcher's filter, give each router
 * its street alone (fleet.rst): CITY (the city-wide lists), CITY-street-R
 * (router R's devices) and CITY-reports (what the routers decided).
 * Logical keys name a key and its bucket at once:
 *
 *	city.deny.TOKEN        CITY            deny.TOKEN
 *	street.R.dev.TOKEN     CITY-street-R   dev.TOKEN
 *	report.R.TOKEN         CITY-reports    R.TOKEN
 */
#define SYNC_CITY "iotguard-city"
#define SYNC_BUCKET_LEN 80

struct store_opts {
	const char *servers;	/* comma-separated URLs */
	const char *cert, *key, *ca;
	const char *router;	/* NULL: the operator */
	/*
	 * Who connects, when not a router nor the operator: its inbox prefix
	 * (the only inboxes the servers let it read) and its name.
	 */
	const char *inbox, *name;
	const char *city;
	bool retry;		/* keep trying to connect (the agent) */
	bool quiet;		/* a failed connect goes unreported */
	const char *away;	/* what a disconnection means, for the log */
	/* called from libnats' thread on each disconnection, reconnection */
	void (*disconnected)(void *data);
	void (*reconnected)(void *data);
	void *data;
};

struct store {
	natsConnection *nc;
	jsCtx *js;
	kvStore *kv;
};

/*
 * The operator gates' bucket, CITY-gate (user/iotguard-gate/shared.c): its
 * entries live STORE_GATE_TTL seconds, past the gate's longest session
 * (24 h), and a TOTP step of a day ago is far older than any code taken.
 */
#define STORE_GATE_BUCKET_FMT "%s-gate"
#define STORE_GATE_TTL (25 * 3600)
/*
 * The operators' revocations, CITY-operators: NAME while NAME is revoked,
 * for every gate of the city at once, kept for ever.
 */
#define STORE_OPERATORS_BUCKET_FMT "%s-operators"

/* The common options: their long forms, and what they set. */
#define STORE_LONG_OPTIONS \
	{ "server", required_argument, NULL, 's' }, \
	{ "cert", required_argument, NULL, 'C' }, \
	{ "key", required_argument, NULL, 'K' }, \
	{ "ca", required_argument, NULL, 'A' }, \
	{ "router", required_argument, NULL, 'r' }, \
	{ "city", required_argument, NULL, 'c' }
#define STORE_SHORT_OPTIONS "s:C:K:A:r:c:"
#define STORE_OPTIONS_HELP \
	"  -s, --server URL[,URL...]  the city's servers (tls://HOST:PORT)\n" \
	"  -C, --cert FILE   this client's certificate (PEM)\n" \
	"  -K, --key FILE    its private key (PEM)\n" \
	"  -A, --ca FILE     the city's CA, which signed the servers\n" \
	"  -r, --router NAME this router's name (default: the operator)\n" \
	"  -c, --city NAME   the city's buckets' name (default " SYNC_CITY \
	")\n"

/*
 * getopt_long for a verb that takes the common options and its own: the
 * common ones go into so. Returns the verb's next option, -1 at the end,
 * or '?' after a usage error (reported).
 */
int store_next_option(int argc, char *argv[], const char *shortopts,
		      const struct option *longopts, struct store_opts *so);
/* Checks that the required ones are there; EXIT_OK or a usage error. */
int store_options_check(const char *command, const struct store_opts *so);

/*
 * The bucket (SYNC_BUCKET_LEN) and the key in it (SYNC_KEY_LEN) of a
 * logical key or watch pattern; 0 or -EINVAL with *why.
 */
int store_map(const char *city, const char *lkey, char *bucket, char *key,
	      const char **why);

/*
 * Connects, and binds st->kv to bucket unless NULL; 0 or EXIT_SYSTEM
 * after reporting.
 */
int store_open(const struct store_opts *so, const char *bucket,
	       struct store *st);
/*
 * Whether a connection can be set up at all (the certificates, the key
 * and the CA load): EXIT_OK, or EXIT_SYSTEM after reporting. The agent
 * asks once, before it waits for the servers however long they are away.
 */
int store_check(const struct store_opts *so);
int store_bind(struct store *st, const char *bucket, kvStore **kv);
void store_close(struct store *st);

/*
 * Deletes key in bucket as kvStore_Delete does (a delete marker, the
 * history kept), its body {"by": by} unless by is NULL: a delete says who
 * made it, as a value does. The marker's revision in *rev.
 */
natsStatus store_delete(jsCtx *js, const char *bucket, const char *key,
			const char *by, uint64_t *rev);

/*
 * The newest entry of each key pattern matches in kv (a delete's too),
 * one call of fn for each, until the servers have sent them all: what an
 * agent sees when it starts. NATS_OK, or why the watch failed.
 */
natsStatus store_newest(kvStore *kv, const char *pattern,
			void (*fn)(kvEntry *e, void *data), void *data);

/*
 * Which kind of key a logical key is to the agents ("street", "deny",
 * "revoke", "quarantine") and, for a street's device, whose router (else
 * ""): what report.ROUTER.applied says of it. 0, or -EINVAL.
 */
int store_applied_of(const char *lkey, char *router, const char **what);

/*
 * For each router of the city (a street bucket each), or router alone
 * unless "": fn with the revision of what its agent says it took (in
 * the city's reports bucket), -1 if it never said. NATS_OK, or why not.
 */
natsStatus store_applied(struct store *st, const char *city,
			 const char *router, const char *what,
			 void (*fn)(const char *router, int64_t took,
				    void *data),
			 void *data);

/* Subcommands (agent.c, kv.c): argv[0] is the subcommand's name. */
int run_main(int argc, char *argv[]);
int create_main(int argc, char *argv[]);
int put_main(int argc, char *argv[]);
int del_main(int argc, char *argv[]);
int watch_main(int argc, char *argv[]);
int history_main(int argc, char *argv[]);
int report_main(int argc, char *argv[]);

/* "Unable to <what>: <libnats' text>"; EXIT_SYSTEM. */
int report_nats(natsStatus s, const char *what, ...)
	__attribute__((format(printf, 2, 3)));

/* A router's own decision about a device, as it reports it. */
struct store_decision {
	const char *state;	/* allow, deny, quarantine; or alert */
	const char *reason;
	const char *class;	/* the device's class, if known */
	const char *detector;	/* iotguardd's detector that acted */
};

/*
 * report.ROUTER.TOKEN: a router's own decision, as JSON, in the reports
 * bucket st->kv is bound to.
 */
int store_report(struct store *st, const char *router,
		 const struct iotguard_addr *id,
		 const struct store_decision *d);

#endif /* IOTGUARD_SYNC_STORE_H */
