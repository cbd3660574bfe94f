// SPDX-License-Identifier: GPL-2.0
/*
 * What every gate of a city shares, in the gate bucket (CITY-gate): the
 * sessions, so that a session from one gate is good at all and outlives
 * a gate's restart, and each operator's last TOTP step, so that a code
 * taken at one gate is a replay at every other. Compare-and-set on the
 * step's revision: of two gates given the same code at once, one wins.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include "gate.h"

/* Tries at a change that another gate's change of the key beat. */
#define CAS_TRIES 3

/*
 * What a compare-and-set changes: the new value from the old (NULL: the
 * key has none). Returns < 0 to stop with that error, else what
 * cas_update() returns once the value is written.
 */
typedef int (*cas_change_fn)(const char *old, char *value, size_t size,
			     void *ctx);

/*
 * Changes KEY by compare-and-set on its revision: created if it has no
 * value, updated only if no other gate wrote it since it was read; read
 * again and changed again if one did.
 */
static int cas_update(kvStore *kv, const char *key, cas_change_fn change,
		      void *ctx)
{
	char value[SYNC_BY_LEN + 64];
	kvEntry *e = NULL;
	uint64_t rev, took;
	natsStatus st;
	int tries, ret;

	for (tries = 0; tries < CAS_TRIES; tries++) {
		st = kvStore_Get(&e, kv, key);
		if (st != NATS_OK && st != NATS_NOT_FOUND)
			return -EIO;
		rev = st == NATS_OK ? kvEntry_Revision(e) : 0;
		ret = change(rev ? kvEntry_ValueString(e) : NULL, value,
			     sizeof(value), ctx);
		kvEntry_Destroy(e);
		e = NULL;
		if (ret < 0)
			return ret;
		st = rev ? kvStore_UpdateString(&took, kv, key, value, rev) :
			   kvStore_CreateString(&took, kv, key, value);
		if (st == NATS_OK)
			return ret;
	}
	return -EIO;
}

/*
 * A session's key: session.SHA256(token), so that whoever reads the bucket
 * (the city's administrator) learns no token to use.
 */
static int session_key(const char *token, char *key, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len, i;
	int n;

	if (!token || strlen(token) != GATE_TOKEN_LEN - 1 ||
	    strspn(token, "0123456789abcdef") != GATE_TOKEN_LEN - 1)
		return -ENOENT;
	if (!EVP_Digest(token, GATE_TOKEN_LEN - 1, md, &len, EVP_sha256(),
			NULL))
		return -ENOMEM;
	n = snprintf(key, size, "session.");
	for (i = 0; i < len && (size_t)n + 2 < size; i++)
		n += snprintf(key + n, size - n, "%02x", md[i]);
	return 0;
}

int shared_session_new(kvStore *kv, const char *name, time_t expires,
		       char *token)
{
	unsigned char bytes[(GATE_TOKEN_LEN - 1) / 2];
	struct json_object *v = NULL;
	char key[SYNC_KEY_LEN];
	int ret = 0;
	size_t i;

	if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes))
		return -EAGAIN;
	for (i = 0; i < sizeof(bytes); i++)
		sprintf(token + 2 * i, "%02x", bytes[i]);
	explicit_bzero(bytes, sizeof(bytes));
	ret = session_key(token, key, sizeof(key));
	if (ret)
		goto cleanup;
	v = json_object_new_object();
	if (!v) {
		ret = -ENOMEM;
		goto cleanup;
	}
	json_object_object_add(v, "operator", json_object_new_string(name));
	json_object_object_add(v, "expires", json_object_new_int64(expires));
	if (kvStore_PutString(NULL, kv, key, json_object_to_json_string_ext(
			      v, JSON_C_TO_STRING_PLAIN)) != NATS_OK)
		ret = -EIO;
cleanup:
	json_object_put(v);
	if (ret)
		explicit_bzero(token, GATE_TOKEN_LEN);
	return ret;
}

int shared_session_get(kvStore *kv, const char *token, time_t now,
		       struct gate_session *s)
{
	struct json_object *v = NULL, *m;
	char key[SYNC_KEY_LEN];
	kvEntry *e = NULL;
	natsStatus st;
	int ret;

	ret = session_key(token, key, sizeof(key));
	if (ret)
		return ret;
	st = kvStore_Get(&e, kv, key);
	if (st == NATS_NOT_FOUND)
		return -ENOENT;
	if (st != NATS_OK)
		return -EIO;
	ret = -ENOENT;
	v = json_tokener_parse(kvEntry_ValueString(e));
	if (!v || !json_object_object_get_ex(v, "operator", &m) ||
	    !json_object_is_type(m, json_type_string) ||
	    snprintf(s->operator, sizeof(s->operator), "%s",
		     json_object_get_string(m)) >= (int)sizeof(s->operator) ||
	    !json_object_object_get_ex(v, "expires", &m) ||
	    !json_object_is_type(m, json_type_int))
		goto cleanup;
	s->expires = json_object_get_int64(m);
	if (s->expires <= now) {
		kvStore_Purge(kv, key, NULL);
		goto cleanup;
	}
	ret = 0;
cleanup:
	json_object_put(v);
	kvEntry_Destroy(e);
	return ret;
}

void shared_session_end(kvStore *kv, const char *token)
{
	char key[SYNC_KEY_LEN];

	if (!session_key(token, key, sizeof(key)))
		kvStore_Purge(kv, key, NULL);
}

/* step.NAME: the last TOTP step taken; a step not after it is a replay. */
static int take_step(const char *old, char *value, size_t size, void *ctx)
{
	uint64_t step = *(const uint64_t *)ctx, last;

	if (old && sscanf(old, "%" SCNu64, &last) == 1 && step <= last)
		return -EALREADY;
	snprintf(value, size, "%" PRIu64, step);
	return 0;
}

int shared_step_take(kvStore *kv, const char *name, uint64_t step)
{
	char key[SYNC_KEY_LEN];

	snprintf(key, sizeof(key), "step.%s", name);
	return cas_update(kv, key, take_step, &step);
}

/*
 * fail.NAME: {"failures", "until"}, the failed logins in a row of a name
 * (known or not) and the end of its lock. Changed by compare-and-set: of
 * two gates counting a failure at once, both count.
 */
static void fail_key(const char *name, char *key, size_t size)
{
	snprintf(key, size, "fail.%s", name);
}

static void parse_failures(const char *text, unsigned int *failures,
			   time_t *until)
{
	struct json_object *v, *m;

	*failures = 0;
	*until = 0;
	v = text ? json_tokener_parse(text) : NULL;
	if (v && json_object_object_get_ex(v, "failures", &m))
		*failures = json_object_get_int(m);
	if (v && json_object_object_get_ex(v, "until", &m))
		*until = json_object_get_int64(m);
	json_object_put(v);
}

int shared_locked_until(kvStore *kv, const char *name, time_t *until,
			unsigned int *failures)
{
	char key[SYNC_KEY_LEN];
	kvEntry *e = NULL;
	natsStatus st;

	fail_key(name, key, sizeof(key));
	st = kvStore_Get(&e, kv, key);
	if (st != NATS_OK && st != NATS_NOT_FOUND)
		return -EIO;
	parse_failures(st == NATS_OK ? kvEntry_ValueString(e) : NULL,
		       failures, until);
	kvEntry_Destroy(e);
	return 0;
}

struct failure {
	time_t now;
	unsigned int failures;
};

/* One more failure; 1 when it locks the name (a lock not already on). */
static int count_failure(const char *old, char *value, size_t size,
			 void *ctx)
{
	struct failure *f = ctx;
	time_t until;
	int locks = 0;

	parse_failures(old, &f->failures, &until);
	if (++f->failures >= GATE_MAX_FAILURES && until <= f->now) {
		until = f->now + GATE_LOCK_SECONDS;
		locks = 1;
	}
	snprintf(value, size, "{\"failures\":%u,\"until\":%jd}",
		 f->failures, (intmax_t)until);
	return locks;
}

int shared_login_failed(kvStore *kv, const char *name, time_t now,
			unsigned int *failures)
{
	struct failure f = { .now = now };
	char key[SYNC_KEY_LEN];
	int ret;

	fail_key(name, key, sizeof(key));
	ret = cas_update(kv, key, count_failure, &f);
	*failures = f.failures;
	return ret;
}

void shared_login_ok(kvStore *kv, const char *name)
{
	char key[SYNC_KEY_LEN];

	fail_key(name, key, sizeof(key));
	kvStore_Purge(kv, key, NULL);
}

int shared_revoked(kvStore *kv, const char *name, bool *revoked)
{
	kvEntry *e = NULL;
	natsStatus st;

	st = kvStore_Get(&e, kv, name);
	kvEntry_Destroy(e);
	*revoked = st == NATS_OK;
	return st == NATS_OK || st == NATS_NOT_FOUND ? 0 : -EIO;
}

int shared_set_revoked(kvStore *kv, const char *name, bool revoked,
		       const char *by)
{
	char value[SYNC_BY_LEN + 64];
	natsStatus st;

	if (!revoked)
		return kvStore_Delete(kv, name) == NATS_OK ? 0 : -EIO;
	snprintf(value, sizeof(value), "{\"by\":\"%s\",\"time\":%jd}", by,
		 (intmax_t)time(NULL));
	st = kvStore_PutString(NULL, kv, name, value);
	return st == NATS_OK ? 0 : -EIO;
}
