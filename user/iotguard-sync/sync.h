/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iotguard-sync: a router's agent of the city's key-value bucket
 * (Documentation/fleet.rst). Shared by its parts: the policy (keys,
 * values and the rules of who wins), the appliers that change the local
 * device table, the NATS side and the subcommands.
 */
#ifndef IOTGUARD_SYNC_H
#define IOTGUARD_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "cmdline.h"
#include "nl.h"
#include "parse.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* Exit codes beyond cmdline.h's, as documented in --help. */
enum {
	EXIT_NOT_FOUND = 3,	/* get, history: no such key */
};

/* A router's name: the one token of its keys ("street.NAME..."). */
#define SYNC_ROUTER_LEN 32
/* Keys are at most this long, NUL included. */
#define SYNC_KEY_LEN 128
/* How long an agent gives a server to complete a connection, TLS and all. */
#define SYNC_CONNECT_TIMEOUT_MS 10000
/* How long an agent waits for a JetStream request's answer (libnats: 5 s). */
#define SYNC_JS_WAIT_MS 30000
/* Who changed a value ("by"), and why, as kept for the record. */
#define SYNC_BY_LEN 64
#define SYNC_REASON_LEN 128

/* 0 if name is a valid router name: 1 to 31 of [A-Za-z0-9_-]. */
int sync_check_router(const char *name, const char **why);

/*
 * The token that stands for an identity in a key: its text form with '.'
 * and ':' as '-' and '/' as '_', since a key's tokens are separated by
 * dots and take [-_=/A-Za-z0-9] only. "198.18.0.5" is "198-18-0-5",
 * "2001:2::1" "2001-2--1", "02:00:00:00:00:01" "02-00-00-00-00-01".
 */
int sync_identity_token(const struct iotguard_addr *id, char *buf,
			size_t len);

enum sync_key_kind {
	SYNC_KEY_DEVICE,	/* street.ROUTER.dev.TOKEN: a street's device */
	SYNC_KEY_DENY,		/* city.deny.TOKEN: denied everywhere */
	SYNC_KEY_REVOKE,	/* city.revoke.TOKEN: revoked everywhere */
	SYNC_KEY_QUARANTINE,	/* city.quarantine.TOKEN: held back */
	SYNC_KEY_OTHER,		/* anything else: not the agent's */
};
#define SYNC_KEY_KINDS SYNC_KEY_OTHER

/*
 * The kinds of key above by the names an agent's progress has in
 * report.ROUTER.applied ("street", "deny", ...).
 */
extern const char *const sync_kind_names[SYNC_KEY_KINDS];

/*
 * What a key is to router: its kind and, for the four kinds above, the
 * identity's token in token (SYNC_KEY_LEN). Another street's key is
 * SYNC_KEY_OTHER.
 */
enum sync_key_kind sync_key_parse(const char *key, const char *router,
				  char *token);

/* The operations of a key's history, as the store gives them. */
enum sync_op {
	SYNC_OP_PUT,
	SYNC_OP_DEL,		/* a delete or purge marker */
};

/*
 * A value of the bucket: JSON. A device's value sets dev's identity and
 * the fields it names (dev.present); deny and revoke values only the
 * identity. by and reason are optional ("" when absent).
 */
struct sync_value {
	struct iotguard_device dev;
	bool pin;
	char by[SYNC_BY_LEN];
	char reason[SYNC_REASON_LEN];
};

/*
 * Parses a value of kind (not SYNC_KEY_OTHER) of len bytes; 0, or -EINVAL
 * with *why saying what is wrong. Members it does not know are ignored,
 * for values of a newer city.
 */
int sync_value_parse(enum sync_key_kind kind, const char *json, size_t len,
		     struct sync_value *out, const char **why);

/* Why the applier is asked to change something: for its record. */
struct sync_change {
	const char *key;
	uint64_t rev;
	const char *by;
};

/*
 * The local device table, as the agent changes it: the module over
 * netlink, or in the host tests a record of what would have been done.
 * Each returns 0 or a negative errno; get -ENOENT for no such device.
 */
struct sync_applier {
	const char *name;
	int (*get)(void *priv, const struct iotguard_addr *id,
		   struct iotguard_device *out);
	int (*add)(void *priv, const struct iotguard_device *dev,
		   const struct sync_change *why);
	int (*set)(void *priv, const struct iotguard_device *dev,
		   const struct sync_change *why);
	int (*del)(void *priv, const struct iotguard_addr *id,
		   const struct sync_change *why);
	int (*revoke)(void *priv, const struct iotguard_addr *id,
		      const struct sync_change *why);
	/* The reason of the last failure, or "" (a netlink extack). */
	const char *(*detail)(void *priv);
	void (*close)(void *priv);
	void *priv;
};

/* apply_nl.c: the module, over netlink. 0 or a negative errno. */
int sync_applier_nl(struct sync_applier *applier);
/*
 * apply_record.c: a file of lines, one per change ("add", "set", "del",
 * "revoke", the identity, then the fields as name=value and the key, its
 * revision and who changed it). The file's existing lines are read back
 * first, as the table a module would still hold: a line a test writes
 * there beforehand ("add 198.18.0.9 state=deny flags=1") is a device
 * the router's operator enrolled (and pinned) locally.
 */
int sync_applier_record(struct sync_applier *applier, const char *path);

/* policy.c: what the agent knows of the bucket, and the rules. */
struct sync_table;

struct sync_counters {
	uint64_t applied;	/* entries that changed the wanted policy */
	uint64_t stale;		/* not above the key's last: skipped */
	uint64_t ignored;	/* not this router's, or malformed */
	uint64_t kept_pin;	/* a change a local pin kept out */
	uint64_t failed;	/* the applier refused */
};

int sync_table_new(struct sync_table **tablep, const char *router,
		   const struct sync_applier *applier);
void sync_table_free(struct sync_table *table);
const struct sync_counters *sync_table_counters(const struct sync_table *t);
/* The identities t remembers, and the bytes it holds for them. */
size_t sync_table_memory(const struct sync_table *t, size_t *count);

/*
 * One entry of the bucket, from a watcher: the key, its revision (the
 * stream's sequence), the operation and the value. Applied only if rev is
 * above the last revision applied for that key. 0 when it was applied,
 * skipped or ignored (counted), a negative errno when the applier failed;
 * messages go to log (may be NULL).
 */
int sync_table_entry(struct sync_table *table, const char *key,
		     uint64_t rev, enum sync_op op, const char *value,
		     size_t len, FILE *log);

/*
 * What the agent remembers across its restarts (--state): the revisions
 * it applied, which devices it enrolled, pinned and revoked. Loading a
 * missing file is no error; a file it cannot read is (-EINVAL). Saved
 * whole or not at all (a new file renamed over the old). 0 or -errno.
 */
int sync_table_load(struct sync_table *table, const char *path);
int sync_table_save(const struct sync_table *table, const char *path);

#endif /* IOTGUARD_SYNC_H */
