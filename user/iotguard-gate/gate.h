/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iotguard-gate: the city's operator gate (Documentation/fleet.rst,
 * "Operators"). Operators log in with a password and a TOTP code (RFC
 * 6238, checked by liboath) and receive a session that expires within
 * hours; every change they make goes through the gate, which checks the
 * session and the operator (revoked at once) per request and writes the
 * bucket itself, with the operator's name in "by". The consoles'
 * certificates reach the gate's subjects and nothing else.
 *
 * The protocol, NATS requests with JSON bodies on CITY.gate.VERB:
 *
 *	login    {"operator", "password", "code", ["lifetime"]}
 *	         -> {"ok": true, "token", "expires"}
 *	logout   {"token"}
 *	put      {"token", "key", "value": {...}} -> {"ok": true, "rev"}
 *	del      {"token", "key"} -> {"ok": true, "rev"}: a delete marker
 *	         whose body is {"by"}
 *	history  {"token", "key"}
 *	         -> {"ok": true, "entries": [{"rev", "op", "value"}]}
 *
 * and a refusal is {"ok": false, "error": TEXT}. A login refused says
 * no more than that: the gate's log says why.
 */
#ifndef IOTGUARD_GATE_H
#define IOTGUARD_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <nats/nats.h>
#include "sync.h"

/* The gate's subjects: CITY.gate.VERB. */
#define GATE_SUBJECT_FMT "%s.gate.%s"
/* A session's token: 32 random bytes, in hex. */
#define GATE_TOKEN_LEN 65
/* The longest session a gate grants, and its default. */
#define GATE_LIFETIME_MAX (24 * 3600)
#define GATE_LIFETIME_DEFAULT (8 * 3600)
/* A request's body is at most this long. */
#define GATE_REQUEST_MAX 8192
/*
 * A list's answer holds at most this many keys, to stay within the
 * servers' largest message (1 MiB by default) with a street's values.
 */
#define GATE_LIST_MAX 2048

/* TOTP as authenticator apps do it: 6 digits, 30 s steps. */
#define GATE_TOTP_STEP 30
#define GATE_TOTP_DIGITS 6
/* A code of the step before or after now is taken (clocks differ). */
#define GATE_TOTP_WINDOW 1
#define GATE_SECRET_LEN 20

/* Failed logins in a row that lock an operator's name, and for how long. */
#define GATE_MAX_FAILURES 5
#define GATE_LOCK_SECONDS 300

/*
 * The operators file: one line per operator,
 *
 *	NAME active|revoked PASSWORD-HASH TOTP-SECRET-HEX LAST-STEP
 *
 * the hash as crypt(3) makes it (yescrypt), LAST-STEP a TOTP time step at
 * or below which no code is taken (0 for a new operator: the steps taken
 * are in the gate bucket). Lines starting with '#' are comments. It is
 * written whole, a new file renamed over the old, under FILE.lock
 * (flock), by `iotguard-gate adduser|revoke|reinstate'; the gate only
 * reads it.
 */
struct gate_operator {
	char name[SYNC_ROUTER_LEN];
	bool revoked;
	char *hash;
	unsigned char secret[GATE_SECRET_LEN];
	uint64_t last_step;
};

struct gate_operators {
	const char *path;
	struct gate_operator *ops;
	size_t count, cap;
	struct stat seen;	/* the file as loaded: reloaded when not */
};

/* Takes FILE.lock; the lock's descriptor, or -errno. */
int operators_lock(const char *path);
void operators_unlock(int fd);

/*
 * Reads path into o (emptied first); 0, -ENOENT, or -EINVAL with *line
 * and *why for a bad line, or another -errno.
 */
int operators_load(struct gate_operators *o, const char *path,
		   unsigned int *line, const char **why);
/* Writes o whole to its path; 0 or -errno. The old file stays on error. */
int operators_save(struct gate_operators *o);
/* True when the file is no longer the one loaded. */
bool operators_changed(const struct gate_operators *o);
struct gate_operator *operators_find(struct gate_operators *o,
				     const char *name);
/* Adds a new operator; 0, -EEXIST or -ENOMEM. */
int operators_add(struct gate_operators *o, const char *name,
		  const char *password, const unsigned char *secret);
void operators_free(struct gate_operators *o);

/* True if password is op's. */
bool operator_password_ok(const struct gate_operator *op,
			  const char *password);
/*
 * Checks code against op's secret at now: 0 with the code's time step in
 * *step, -EACCES if it is not a current code, -EALREADY if its step is
 * not above op's LAST-STEP.
 */
int operator_code_ok(const struct gate_operator *op, const char *code,
		     time_t now, uint64_t *step);

/*
 * The gate bucket (shared.c; STORE_GATE_BUCKET_FMT, made by iotguard-sync
 * create), which every gate of the city shares: session.SHA256(TOKEN)
 * holds a session ({"operator", "expires"}), step.NAME the last TOTP step
 * taken of NAME's codes, fail.NAME the failed logins of NAME in a row.
 */

struct gate_session {
	char operator[SYNC_ROUTER_LEN];
	time_t expires;
};

/*
 * A new session of name until expires, its token (GATE_TOKEN_LEN) made
 * here; 0, or -errno (-EIO: the bucket refused it).
 */
int shared_session_new(kvStore *kv, const char *name, time_t expires,
		       char *token);
/* The session of token: 0, -ENOENT (none, or expired), or -EIO. */
int shared_session_get(kvStore *kv, const char *token, time_t now,
		       struct gate_session *s);
/* Ends the session of token (logout, its operator revoked). */
void shared_session_end(kvStore *kv, const char *token);
/*
 * Takes TOTP step for name: 0, -EALREADY if that step or a later one was
 * taken before (a replay, at this gate or another), or -EIO.
 */
int shared_step_take(kvStore *kv, const char *name, uint64_t step);

/*
 * The lockout (fail.NAME): 0 with the end of name's lock in *until (0:
 * never locked) and its failed logins in a row, or -EIO. A failed login
 * of name at now, counted in *failures: 1 when it locks the name for
 * GATE_LOCK_SECONDS, 0, or -EIO. A login that passed ends the count.
 */
int shared_locked_until(kvStore *kv, const char *name, time_t *until,
			unsigned int *failures);
int shared_login_failed(kvStore *kv, const char *name, time_t now,
			unsigned int *failures);
void shared_login_ok(kvStore *kv, const char *name);

/*
 * The revocations every gate reads (STORE_OPERATORS_BUCKET_FMT): 0 with
 * *revoked, or -EIO. Sets (revoked) or lifts it, by who; 0 or -EIO.
 */
int shared_revoked(kvStore *kv, const char *name, bool *revoked);
int shared_set_revoked(kvStore *kv, const char *name, bool revoked,
		       const char *by);

/* Subcommands (serve.c, main.c). */
int serve_main(int argc, char *argv[]);

#endif /* IOTGUARD_GATE_H */
