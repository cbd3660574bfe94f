// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard-gate run: the gate's service (gate.h). One thread takes the
 * requests one at a time from a synchronous subscription, so that the
 * operators file needs no lock of its own beyond the file's (shared with
 * the admin subcommands). The gates of a city share a queue group, so
 * that each request reaches one of them, and the gate bucket (shared.c):
 * sessions, TOTP steps and lockouts.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "gate.h"
#include "store.h"

_Static_assert(GATE_LIFETIME_MAX < STORE_GATE_TTL,
	       "a session outlives its entry in the gate bucket");
/* Classes whose quarantine on one router quarantines city-wide. */
#define GATE_CLASSES 16

struct gate {
	struct store st;
	const char *city;
	struct gate_operators ops;
	const char *ops_path;
	unsigned int lifetime;
	kvStore *shared;	/* the gate bucket */
	kvStore *revoked;	/* the operators' revocations */
	/* The city-wide quarantine policy: classes, and the reports. */
	uint16_t classes[GATE_CLASSES];
	size_t nclasses;
	uint32_t detectors;	/* 1 << IOTGUARD_ALERT_DET_*; 0: any */
	kvWatcher *reports;
	bool reports_in_step;
	/* for the log at the end */
	uint64_t logins, refused_logins, changes, refused, quarantines;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* (Re)reads the operators file; the caller holds its lock. */
static int load_operators(struct gate *g)
{
	const char *why = NULL;
	unsigned int line;
	int ret;

	if (g->ops.path && !operators_changed(&g->ops))
		return 0;
	ret = operators_load(&g->ops, g->ops_path, &line, &why);
	if (ret == -EINVAL)
		fprintf(stderr, "%s: %s:%u: %s: nobody may log in\n",
			prog_name, g->ops_path, line, why);
	else if (ret)
		fprintf(stderr, "%s: Unable to read %s: %s\n", prog_name,
			g->ops_path, strerror(-ret));
	return ret;
}

/* Reloads the operators file if someone changed it; 0 or -errno. */
static int refresh_operators(struct gate *g)
{
	int fd, ret;

	if (g->ops.path && !operators_changed(&g->ops))
		return 0;
	fd = operators_lock(g->ops_path);
	if (fd < 0)
		return fd;
	ret = load_operators(g);
	operators_unlock(fd);
	return ret;
}

static void reply(struct gate *g, natsMsg *msg, struct json_object *body)
{
	const char *to = natsMsg_GetReply(msg);
	const char *text;

	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	if (to && text)
		natsConnection_PublishString(g->st.nc, to, text);
	json_object_put(body);
}

static void refuse(struct gate *g, natsMsg *msg, const char *error)
{
	struct json_object *body = json_object_new_object();

	json_object_object_add(body, "ok", json_object_new_boolean(false));
	json_object_object_add(body, "error", json_object_new_string(error));
	reply(g, msg, body);
}

static struct json_object *ok_body(void)
{
	struct json_object *body = json_object_new_object();

	json_object_object_add(body, "ok", json_object_new_boolean(true));
	return body;
}

/* A string member of req, or NULL. */
static const char *member(struct json_object *req, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * Whether op is revoked: in the gate's file, or for the city (the
 * operators bucket, which every gate reads); 0 or -EIO.
 */
static int operator_revoked(struct gate *g, const struct gate_operator *op,
			    bool *revoked)
{
	*revoked = op->revoked;
	return op->revoked ? 0 : shared_revoked(g->revoked, op->name, revoked);
}

/*
 * A login refused; a failed one (count) counts towards the name's lock,
 * at every gate of the city.
 */
static void login_refused(struct gate *g, natsMsg *msg, const char *name,
			  bool count, time_t now, const char *why)
{
	unsigned int failures;

	g->refused_logins++;
	if (count && shared_login_failed(g->shared, name, now, &failures) == 1)
		fprintf(stderr, "%s: %s: locked for %u s after %u failed "
			"logins\n", prog_name, name, GATE_LOCK_SECONDS,
			failures);
	fprintf(stderr, "%s: login refused for %s: %s\n", prog_name, name,
		why);
	refuse(g, msg, "login refused");
}

static void do_login(struct gate *g, natsMsg *msg, struct json_object *req,
		     time_t now)
{
	const char *name = member(req, "operator");
	const char *password = member(req, "password");
	const char *code = member(req, "code");
	char token[GATE_TOKEN_LEN];
	struct gate_operator *op;
	struct json_object *v, *body;
	int64_t lifetime = g->lifetime;
	const char *why;
	unsigned int failures;
	bool trouble;	/* the gate's own, not a failed login */
	bool revoked;
	time_t expires, until;
	uint64_t step;
	int ret;

	if (!name || sync_check_router(name, &why) || !password || !code) {
		refuse(g, msg, "login wants operator, password and code");
		return;
	}
	if (json_object_object_get_ex(req, "lifetime", &v)) {
		lifetime = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || lifetime < 1) {
			refuse(g, msg, "lifetime is a number of seconds");
			return;
		}
		if (lifetime > g->lifetime)
			lifetime = g->lifetime;
	}
	ret = shared_locked_until(g->shared, name, &until, &failures);
	if (ret || until > now) {
		login_refused(g, msg, name, false, now, ret ?
			      "the gate bucket is out of reach" : "locked");
		return;
	}
	ret = refresh_operators(g);
	op = ret ? NULL : operators_find(&g->ops, name);
	trouble = ret;
	if (ret) {
		why = "the operators file is unreadable";
	} else if (!op) {
		why = "no such operator";
	} else if (!operator_password_ok(op, password)) {
		why = "wrong password";
	} else if ((ret = operator_revoked(g, op, &revoked)) || revoked) {
		why = ret ? "the gate bucket is out of reach" : "revoked";
		trouble = ret;
	} else {
		ret = operator_code_ok(op, code, now, &step);
		/* Taken once in the city: at this gate or another. */
		if (!ret)
			ret = shared_step_take(g->shared, name, step);
		why = ret == -EALREADY ? "a code used before (replayed)" :
		      ret == -EIO ? "the gate bucket is out of reach" :
		      ret ? "wrong code" : NULL;
		trouble = ret == -EIO;
	}
	if (why) {
		/* The gate's own trouble is no failed login of the name's. */
		login_refused(g, msg, name, !trouble, now, why);
		return;
	}
	if (failures)
		shared_login_ok(g->shared, name);
	expires = now + lifetime;
	ret = shared_session_new(g->shared, name, expires, token);
	if (ret) {
		fprintf(stderr, "%s: Unable to keep %s's session: %s\n",
			prog_name, name, strerror(-ret));
		refuse(g, msg, "the session could not be kept: log in again");
		return;
	}
	g->logins++;
	fprintf(stderr, "%s: %s logged in until %jd (code of step %" PRIu64
		")\n", prog_name, name, (intmax_t)expires, step);
	body = ok_body();
	json_object_object_add(body, "token", json_object_new_string(token));
	json_object_object_add(body, "expires", json_object_new_int64(expires));
	explicit_bzero(token, sizeof(token));
	reply(g, msg, body);
}

/*
 * The session of the request in *s, and its operator still there and not
 * revoked (the file is read again when it changed: a revocation takes
 * the next request). False when refused.
 */
static bool check_session(struct gate *g, natsMsg *msg,
			  struct json_object *req, time_t now,
			  struct gate_session *s)
{
	const char *token = member(req, "token");
	const struct gate_operator *op;
	bool revoked = true;
	int ret;

	ret = shared_session_get(g->shared, token, now, s);
	if (ret) {
		g->refused++;
		refuse(g, msg, ret == -EIO ? "the gate bucket is out of reach" :
		       "no such session, or it expired: log in");
		return false;
	}
	if (refresh_operators(g)) {
		g->refused++;
		refuse(g, msg, "the gate cannot read its operators");
		return false;
	}
	op = operators_find(&g->ops, s->operator);
	if (op && operator_revoked(g, op, &revoked)) {
		g->refused++;
		refuse(g, msg, "the gate bucket is out of reach");
		return false;
	}
	if (revoked) {
		fprintf(stderr, "%s: %s is revoked: session ended\n",
			prog_name, s->operator);
		shared_session_end(g->shared, token);
		g->refused++;
		refuse(g, msg, "operator revoked");
		return false;
	}
	return true;
}

/*
 * The bucket and key of an operator's logical key: the city's lists and
 * the streets' devices; reports only for reading (history).
 */
static const char *operator_key(struct gate *g, const char *lkey,
				bool reading, char *bucket, char *key,
				char *token)
{
	char router[SYNC_ROUTER_LEN];
	const char *why, *dot;

	if (!lkey)
		return "no key";
	if (store_map(g->city, lkey, bucket, key, &why))
		return why;
	if (!strncmp(lkey, "report.", 7))
		return reading ? NULL : "reports are the routers' to write";
	if (!strncmp(lkey, "street.", 7)) {
		dot = strchr(lkey + 7, '.');
		snprintf(router, sizeof(router), "%.*s",
			 (int)(dot - lkey - 7), lkey + 7);
		if (sync_key_parse(lkey, router, token) != SYNC_KEY_DEVICE)
			return "a street's key is street.ROUTER.dev.DEVICE";
		return NULL;
	}
	if (sync_key_parse(lkey, "", token) == SYNC_KEY_OTHER)
		return "the city's keys are city.deny.DEVICE, "
		       "city.revoke.DEVICE and city.quarantine.DEVICE";
	return NULL;
}

static void do_change(struct gate *g, natsMsg *msg, struct json_object *req,
		      time_t now, bool put)
{
	char bucket[SYNC_BUCKET_LEN], key[SYNC_KEY_LEN], token[SYNC_KEY_LEN];
	char by[SYNC_BY_LEN], id_token[IOTGUARD_ADDR_STRLEN];
	const char *lkey = member(req, "key"), *why, *id, *text;
	struct iotguard_addr addr;
	struct json_object *value = NULL, *body;
	struct gate_session session, *s = &session;
	kvStore *kv = NULL;
	uint64_t rev = 0;
	natsStatus st;

	if (!check_session(g, msg, req, now, s))
		return;
	why = operator_key(g, lkey, false, bucket, key, token);
	if (!why && put &&
	    (!json_object_object_get_ex(req, "value", &value) ||
	     !json_object_is_type(value, json_type_object)))
		why = "put wants a value, a JSON object";
	if (!why && put) {
		id = member(value, "id");
		if (!id || iotguard_parse_identity(id, &addr, &why))
			why = why ? why : "the value has no id";
		else if (sync_identity_token(&addr, id_token,
					     sizeof(id_token)) ||
			 strcmp(id_token, token))
			why = "the value's id is not its key's device";
	}
	if (why) {
		g->refused++;
		refuse(g, msg, why);
		return;
	}
	/* The gate says who: whatever "by" the console sent goes. */
	snprintf(by, sizeof(by), "operator:%s", s->operator);
	if (put) {
		json_object_object_add(value, "by", json_object_new_string(by));
		st = js_KeyValue(&kv, g->st.js, bucket);
		text = json_object_to_json_string_ext(value,
						      JSON_C_TO_STRING_PLAIN);
		if (st == NATS_OK)
			st = kvStore_PutString(&rev, kv, key, text);
		kvStore_Destroy(kv);
	} else {
		st = store_delete(g->st.js, bucket, key, by, &rev);
	}
	if (st != NATS_OK) {
		g->refused++;
		fprintf(stderr, "%s: %s: Unable to %s %s: %s\n", prog_name,
			s->operator, put ? "put" : "delete", lkey,
			natsStatus_GetText(st));
		refuse(g, msg, natsStatus_GetText(st));
		return;
	}
	g->changes++;
	fprintf(stderr, "%s: %s: %s %s rev %" PRIu64 "\n", prog_name,
		s->operator, put ? "put" : "del", lkey, rev);
	body = ok_body();
	json_object_object_add(body, "rev", json_object_new_uint64(rev));
	reply(g, msg, body);
}

static void do_history(struct gate *g, natsMsg *msg, struct json_object *req,
		       time_t now)
{
	char bucket[SYNC_BUCKET_LEN], key[SYNC_KEY_LEN], token[SYNC_KEY_LEN];
	const char *lkey = member(req, "key"), *why;
	struct json_object *body, *entries, *e;
	kvEntryList list = { 0 };
	kvStore *kv = NULL;
	struct gate_session session;
	natsStatus st;
	int i;

	if (!check_session(g, msg, req, now, &session))
		return;
	why = operator_key(g, lkey, true, bucket, key, token);
	if (why) {
		refuse(g, msg, why);
		return;
	}
	st = js_KeyValue(&kv, g->st.js, bucket);
	if (st == NATS_OK)
		st = kvStore_History(&list, kv, key, NULL);
	kvStore_Destroy(kv);
	if (st != NATS_OK) {
		refuse(g, msg, st == NATS_NOT_FOUND ? "not found" :
		       natsStatus_GetText(st));
		kvEntryList_Destroy(&list);
		return;
	}
	body = ok_body();
	entries = json_object_new_array();
	for (i = 0; i < list.Count; i++) {
		kvEntry *k = list.Entries[i];

		e = json_object_new_object();
		json_object_object_add(e, "rev", json_object_new_uint64(
				       kvEntry_Revision(k)));
		json_object_object_add(e, "op", json_object_new_string(
				       kvEntry_Operation(k) == kvOp_Put ?
				       "put" : "del"));
		json_object_object_add(e, "value", json_object_new_string_len(
				       kvEntry_Value(k), kvEntry_ValueLen(k)));
		json_object_array_add(entries, e);
	}
	json_object_object_add(body, "entries", entries);
	kvEntryList_Destroy(&list);
	reply(g, msg, body);
}

/*
 * The bucket and key pattern of a list an operator may ask for: a city-wide
 * list (city.deny.>, city.revoke.>, city.quarantine.>) or a street's
 * devices (street.ROUTER.dev.>); NULL, or why not.
 */
static const char *list_pattern(struct gate *g, const char *pattern,
				char *bucket, char *key)
{
	const char *why = "a list is city.deny.>, city.revoke.>, "
			  "city.quarantine.> or street.ROUTER.dev.>";
	size_t n;

	if (!pattern)
		return "no pattern";
	n = strlen(pattern);
	if (strcmp(pattern, "city.deny.>") &&
	    strcmp(pattern, "city.revoke.>") &&
	    strcmp(pattern, "city.quarantine.>") &&
	    (strncmp(pattern, "street.", 7) || n < 14 ||
	     strchr(pattern + 7, '.') != pattern + n - 6 ||
	     strcmp(pattern + n - 6, ".dev.>")))
		return why;
	if (store_map(g->city, pattern, bucket, key, &why))
		return why;
	return NULL;
}

/* What do_list gathers: the answer's entries, and its keys' prefix. */
struct listing {
	struct json_object *entries;
	char prefix[SYNC_KEY_LEN];
	size_t count;
	bool more;
};

static void list_entry(kvEntry *k, void *data)
{
	struct listing *l = data;
	char lkey[SYNC_KEY_LEN * 2];
	struct json_object *e;

	if (kvEntry_Operation(k) != kvOp_Put)
		return;
	if (l->count == GATE_LIST_MAX) {
		l->more = true;
		return;
	}
	snprintf(lkey, sizeof(lkey), "%s%s", l->prefix, kvEntry_Key(k));
	e = json_object_new_object();
	json_object_object_add(e, "key", json_object_new_string(lkey));
	json_object_object_add(e, "rev", json_object_new_uint64(
			       kvEntry_Revision(k)));
	json_object_object_add(e, "value", json_object_new_string_len(
			       kvEntry_Value(k), kvEntry_ValueLen(k)));
	json_object_array_add(l->entries, e);
	l->count++;
}

static void do_list(struct gate *g, natsMsg *msg, struct json_object *req,
		    time_t now)
{
	char bucket[SYNC_BUCKET_LEN], key[SYNC_KEY_LEN];
	const char *pattern = member(req, "pattern"), *why;
	struct listing l = { 0 };
	struct json_object *body;
	kvStore *kv = NULL;
	struct gate_session session;
	natsStatus st;

	if (!check_session(g, msg, req, now, &session))
		return;
	why = list_pattern(g, pattern, bucket, key);
	if (why) {
		refuse(g, msg, why);
		return;
	}
	snprintf(l.prefix, sizeof(l.prefix), "%.*s",
		 (int)(strlen(pattern) - strlen(key)), pattern);
	l.entries = json_object_new_array();
	st = js_KeyValue(&kv, g->st.js, bucket);
	if (st == NATS_OK)
		st = store_newest(kv, key, list_entry, &l);
	kvStore_Destroy(kv);
	if (st != NATS_OK) {
		json_object_put(l.entries);
		refuse(g, msg, natsStatus_GetText(st));
		return;
	}
	body = ok_body();
	json_object_object_add(body, "entries", l.entries);
	json_object_object_add(body, "more", json_object_new_boolean(l.more));
	reply(g, msg, body);
}

static void applied_entry(const char *router, int64_t took, void *entries)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "router", json_object_new_string(router));
	json_object_object_add(e, "took", json_object_new_int64(took));
	json_object_array_add(entries, e);
}

/* applied: what each router concerned says it took of a key's watcher. */
static void do_applied(struct gate *g, natsMsg *msg, struct json_object *req,
		       time_t now)
{
	char router[SYNC_ROUTER_LEN];
	const char *lkey = member(req, "key"), *what;
	struct json_object *body, *entries;
	struct gate_session session;
	natsStatus st;

	if (!check_session(g, msg, req, now, &session))
		return;
	if (!lkey || store_applied_of(lkey, router, &what)) {
		refuse(g, msg, "not a street's device nor a city-wide list's");
		return;
	}
	entries = json_object_new_array();
	st = store_applied(&g->st, g->city, router, what, applied_entry,
			   entries);
	if (st != NATS_OK) {
		json_object_put(entries);
		refuse(g, msg, natsStatus_GetText(st));
		return;
	}
	body = ok_body();
	json_object_object_add(body, "entries", entries);
	reply(g, msg, body);
}

static void do_logout(struct gate *g, natsMsg *msg, struct json_object *req,
		      time_t now)
{
	const char *token = member(req, "token");
	struct gate_session s;

	if (!shared_session_get(g->shared, token, now, &s)) {
		shared_session_end(g->shared, token);
		fprintf(stderr, "%s: %s logged out\n", prog_name, s.operator);
	}
	reply(g, msg, ok_body());
}

static void handle(struct gate *g, natsMsg *msg)
{
	const char *subject = natsMsg_GetSubject(msg);
	const char *data = natsMsg_GetData(msg);
	int len = natsMsg_GetDataLength(msg);
	const char *verb = strrchr(subject, '.') + 1;
	struct json_tokener *tok;
	struct json_object *req = NULL;
	time_t now = time(NULL);

	if (len <= 0 || len > GATE_REQUEST_MAX) {
		refuse(g, msg, "a request is a JSON object of at most 8 KiB");
		return;
	}
	tok = json_tokener_new();
	if (tok)
		req = json_tokener_parse_ex(tok, data, len);
	/* One whole object, and nothing after it. */
	if (!req || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != (size_t)len ||
	    !json_object_is_type(req, json_type_object)) {
		refuse(g, msg, "a request is a JSON object of at most 8 KiB");
		goto cleanup;
	}
	if (!strcmp(verb, "login"))
		do_login(g, msg, req, now);
	else if (!strcmp(verb, "logout"))
		do_logout(g, msg, req, now);
	else if (!strcmp(verb, "put"))
		do_change(g, msg, req, now, true);
	else if (!strcmp(verb, "del"))
		do_change(g, msg, req, now, false);
	else if (!strcmp(verb, "history"))
		do_history(g, msg, req, now);
	else if (!strcmp(verb, "list"))
		do_list(g, msg, req, now);
	else if (!strcmp(verb, "applied"))
		do_applied(g, msg, req, now);
	else
		refuse(g, msg, "no such verb");
cleanup:
	json_object_put(req);
	if (tok)
		json_tokener_free(tok);
}

/* True if the policy names no detector, or the report's is one of them. */
static bool policy_detector(const struct gate *g, const char *name)
{
	const char *why;
	uint8_t det;

	if (!g->detectors)
		return true;
	return name && !iotguard_parse_alert_detector(name, &det, &why) &&
	       det < 32 && (g->detectors & (1U << det));
}

/* True if class is one of the policy's. */
static bool policy_class(const struct gate *g, const char *name)
{
	const char *why;
	uint16_t class;
	size_t i;

	if (!name || iotguard_parse_class(name, &class, &why))
		return false;
	for (i = 0; i < g->nclasses; i++)
		if (g->classes[i] == class)
			return true;
	return false;
}

/*
 * A router's report (reports bucket, ROUTER.TOKEN): a quarantine of a
 * device of one of the policy's classes, by one of its detectors if it
 * names some, is made city-wide, as city.quarantine.TOKEN, unless the
 * city has it so already.
 */
static void policy_report(struct gate *g, kvEntry *e)
{
	char router[SYNC_ROUTER_LEN], token[IOTGUARD_ADDR_STRLEN];
	char key[SYNC_KEY_LEN], bucket[SYNC_BUCKET_LEN], by[SYNC_BY_LEN];
	const char *k = kvEntry_Key(e), *dot = strchr(k, '.'), *id, *why;
	struct json_object *obj, *v;
	struct iotguard_addr addr;
	kvStore *kv = NULL;
	kvEntry *have = NULL;
	natsStatus st;

	if (kvEntry_Operation(e) != kvOp_Put || !dot || dot == k ||
	    (size_t)(dot - k) >= sizeof(router))
		return;
	snprintf(router, sizeof(router), "%.*s", (int)(dot - k), k);
	obj = json_tokener_parse(kvEntry_ValueString(e));
	if (!obj)
		return;
	snprintf(by, sizeof(by), "router:%s", router);
	id = member(obj, "id");
	/* Its own router's, about the device its key names. */
	if (!id || iotguard_parse_identity(id, &addr, &why) ||
	    sync_identity_token(&addr, token, sizeof(token)) ||
	    strcmp(token, dot + 1) || !member(obj, "by") ||
	    strcmp(member(obj, "by"), by) || !member(obj, "state") ||
	    strcmp(member(obj, "state"), "quarantine") ||
	    !policy_class(g, member(obj, "class")) ||
	    !policy_detector(g, member(obj, "detector")))
		goto cleanup;
	snprintf(bucket, sizeof(bucket), "%s", g->city);
	snprintf(key, sizeof(key), "quarantine.%s", token);
	st = js_KeyValue(&kv, g->st.js, bucket);
	if (st == NATS_OK && kvStore_Get(&have, kv, key) == NATS_OK &&
	    kvEntry_Operation(have) == kvOp_Put)
		goto cleanup;	/* the city holds it back already */
	v = json_object_new_object();
	json_object_object_add(v, "id", json_object_new_string(id));
	json_object_object_add(v, "reason", json_object_new_string(
			       member(obj, "reason") ?
			       member(obj, "reason") : "quarantined"));
	json_object_object_add(v, "router", json_object_new_string(router));
	json_object_object_add(v, "by", json_object_new_string("gate:policy"));
	/*
	 * Created, not put: of the city's gates, which all watch the same
	 * reports, one puts it (a delete marker before it is no value).
	 */
	if (st == NATS_OK)
		st = kvStore_CreateString(NULL, kv, key,
					  json_object_to_json_string_ext(v,
					  JSON_C_TO_STRING_PLAIN));
	json_object_put(v);
	if (st != NATS_OK) {
		kvEntry_Destroy(have);
		have = NULL;
		if (kvStore_Get(&have, kv, key) == NATS_OK &&
		    kvEntry_Operation(have) == kvOp_Put)
			goto cleanup;	/* another gate's */
		fprintf(stderr, "%s: Unable to quarantine %s city-wide: %s\n",
			prog_name, id, natsStatus_GetText(st));
		goto cleanup;
	}
	g->quarantines++;
	fprintf(stderr, "%s: policy: %s quarantined on router %s: "
		"city-wide now (city.quarantine.%s)\n", prog_name, id,
		router, token);
cleanup:
	kvEntry_Destroy(have);
	kvStore_Destroy(kv);
	json_object_put(obj);
}

/* The reports that came, without waiting: acted on once in step. */
static void policy_poll(struct gate *g)
{
	kvEntry *e;
	natsStatus s;

	while ((s = kvWatcher_Next(&e, g->reports, 1)) == NATS_OK) {
		if (!e) {
			/* The reports made before the gate are history. */
			g->reports_in_step = true;
			continue;
		}
		if (g->reports_in_step)
			policy_report(g, e);
		kvEntry_Destroy(e);
	}
}

#define RUN_USAGE \
	"[OPTIONS] --operators FILE\n\n" \
	"Serves the city's operators: logins with a password and a TOTP "  \
	"code,\nthen their changes, written with their names " \
	"(Documentation/fleet.rst).\n\n" \
	"  -o, --operators FILE  who may log in (iotguard-gate adduser)\n" \
	"  -l, --lifetime SECONDS  the longest session (default 28800, at " \
	"most\n                    86400)\n" \
	"  -Q, --quarantine-citywide CLASS[,CLASS...]  a quarantine a router" \
	"\n                    reports of a device of these classes is made" \
	"\n                    city-wide (default: none)\n" \
	"  -D, --quarantine-detectors DETECTOR[,DETECTOR...]  only if " \
	"one of\n                    these of iotguardd's detectors acted" \
	" (scan, surge,\n                    ...; default: any)\n" \
	STORE_OPTIONS_HELP \
	"  -h, --help        show this help and exit\n"

/* A class into g's policy: EXIT_OK or a usage error. */
static int add_class(struct gate *g, const char *command, const char *name)
{
	const char *why;

	if (g->nclasses == GATE_CLASSES)
		return usage_error(command, "at most %d classes",
				   GATE_CLASSES);
	if (iotguard_parse_class(name, &g->classes[g->nclasses], &why))
		return usage_error(command, "bad class `%s': %s", name, why);
	g->nclasses++;
	return EXIT_OK;
}

/* A detector into g's policy: EXIT_OK or a usage error. */
static int add_detector(struct gate *g, const char *command,
			const char *name)
{
	const char *why;
	uint8_t det;

	if (iotguard_parse_alert_detector(name, &det, &why) || det >= 32)
		return usage_error(command, "bad detector `%s': %s", name,
				   why);
	g->detectors |= 1U << det;
	return EXIT_OK;
}

/* NAME[,NAME...], each to add: EXIT_OK or the first error. */
static int parse_list(struct gate *g, const char *command, const char *list,
		      int (*add)(struct gate *g, const char *command,
				 const char *name))
{
	char *copy = strdup(list), *save = NULL, *name;
	int ret = EXIT_OK;

	if (!copy)
		return report_error(ENOMEM, NULL, "read `%s'", list);
	for (name = strtok_r(copy, ",", &save); name && !ret;
	     name = strtok_r(NULL, ",", &save))
		ret = add(g, command, name);
	free(copy);
	return ret;
}

int serve_main(int argc, char *argv[])
{
	static const struct option options[] = {
		STORE_LONG_OPTIONS,
		{ "operators", required_argument, NULL, 'o' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "quarantine-citywide", required_argument, NULL, 'Q' },
		{ "quarantine-detectors", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	char subject[SYNC_BUCKET_LEN + 16], bucket[SYNC_BUCKET_LEN];
	natsSubscription *sub = NULL;
	kvStore *reports_kv = NULL;
	struct store_opts so = { .city = SYNC_CITY, .name = "gate",
				 .inbox = "_IG.gate", .retry = true,
				 .away = "requests wait for it" };
	struct gate *g;
	const char *why;
	natsMsg *msg;
	natsStatus s;
	uint64_t v;
	int opt, ret = EXIT_OK;

	g = calloc(1, sizeof(*g));
	if (!g)
		return report_error(ENOMEM, NULL, "start the gate");
	g->lifetime = GATE_LIFETIME_DEFAULT;
	optind = 1;
	while ((opt = store_next_option(argc, argv,
					STORE_SHORT_OPTIONS "o:l:Q:D:h",
					options, &so)) != -1) {
		switch (opt) {
		case 'o':
			g->ops_path = optarg;
			break;
		case 'l':
			if (iotguard_parse_count(optarg, GATE_LIFETIME_MAX, &v,
						 &why) || !v) {
				ret = usage_error(argv[0], "bad lifetime `%s'",
						  optarg);
				goto cleanup;
			}
			g->lifetime = v;
			break;
		case 'Q':
			ret = parse_list(g, argv[0], optarg, add_class);
			if (ret)
				goto cleanup;
			break;
		case 'D':
			ret = parse_list(g, argv[0], optarg, add_detector);
			if (ret)
				goto cleanup;
			break;
		case 'h':
			printf("Usage: %s %s " RUN_USAGE, prog_name, argv[0]);
			goto cleanup;
		default:
			ret = EXIT_USAGE;
			goto cleanup;
		}
	}
	if (optind != argc) {
		ret = usage_error(argv[0], "unexpected `%s'", argv[optind]);
		goto cleanup;
	}
	if (g->detectors && !g->nclasses) {
		ret = usage_error(argv[0], "--quarantine-detectors without "
				  "--quarantine-citywide");
		goto cleanup;
	}
	if (!g->ops_path) {
		ret = usage_error(argv[0], "no --operators");
		goto cleanup;
	}
	ret = store_options_check(argv[0], &so);
	if (ret)
		goto cleanup;
	if (so.router) {
		ret = usage_error(argv[0], "the gate is no router");
		goto cleanup;
	}
	g->city = so.city;
	if (refresh_operators(g)) {
		ret = EXIT_SYSTEM;
		goto cleanup;
	}
	ret = store_open(&so, NULL, &g->st);
	if (ret)
		goto cleanup;
	snprintf(bucket, sizeof(bucket), STORE_GATE_BUCKET_FMT, so.city);
	ret = store_bind(&g->st, bucket, &g->shared);
	if (ret)
		goto cleanup;
	snprintf(bucket, sizeof(bucket), STORE_OPERATORS_BUCKET_FMT, so.city);
	ret = store_bind(&g->st, bucket, &g->revoked);
	if (ret)
		goto cleanup;
	snprintf(subject, sizeof(subject), GATE_SUBJECT_FMT, so.city, "*");
	/* The city's gates, one queue: each request reaches one of them. */
	s = natsConnection_QueueSubscribeSync(&sub, g->st.nc, subject, "gate");
	if (s == NATS_OK)
		s = natsConnection_Flush(g->st.nc);
	if (s != NATS_OK) {
		ret = report_nats(s, "subscribe to %s", subject);
		goto cleanup;
	}
	if (g->nclasses) {
		snprintf(bucket, sizeof(bucket), "%s-reports", so.city);
		ret = store_bind(&g->st, bucket, &reports_kv);
		if (ret)
			goto cleanup;
		s = kvStore_WatchAll(&g->reports, reports_kv, NULL);
		if (s != NATS_OK) {
			ret = report_nats(s, "watch the reports");
			goto cleanup;
		}
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fprintf(stderr, "%s: serving %s with %zu operators\n", prog_name,
		subject, g->ops.count);
	while (!stopping) {
		if (g->reports)
			policy_poll(g);
		s = natsSubscription_NextMsg(&msg, sub, 100);
		if (s == NATS_TIMEOUT)
			continue;
		if (s != NATS_OK) {
			/* A slow consumer's loss: the consoles ask again. */
			if (s == NATS_SLOW_CONSUMER)
				continue;
			ret = report_nats(s, "take a request");
			break;
		}
		handle(g, msg);
		natsMsg_Destroy(msg);
	}
	fprintf(stderr, "%s: stopping: %" PRIu64 " logins, %" PRIu64
		" refused, %" PRIu64 " changes, %" PRIu64 " refused, %" PRIu64
		" city-wide quarantines\n", prog_name, g->logins,
		g->refused_logins, g->changes, g->refused, g->quarantines);
cleanup:
	if (g->reports)
		kvWatcher_Stop(g->reports);
	kvWatcher_Destroy(g->reports);
	kvStore_Destroy(reports_kv);
	kvStore_Destroy(g->shared);
	kvStore_Destroy(g->revoked);
	natsSubscription_Destroy(sub);
	store_close(&g->st);
	operators_free(&g->ops);
	free(g);
	return ret;
}
