// SPDX-License-Identifier: GPL-2.0
/*
 * The NATS side: a TLS connection with this client's certificate (the
 * servers map it to a user and its permissions), JetStream and the bucket.
 */
#include <errno.h>
#include <json-c/json.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "json.h"
#include "store.h"

int report_nats(natsStatus s, const char *what, ...)
{
	const char *last = nats_GetLastError(NULL);
	va_list ap;

	fputs("Unable to ", stderr);
	va_start(ap, what);
	vfprintf(stderr, what, ap);
	va_end(ap);
	fprintf(stderr, ": %s", natsStatus_GetText(s));
	/* The server's own words, when it said more (a permission, JS). */
	if (last && *last && strcmp(last, natsStatus_GetText(s)))
		fprintf(stderr, ": %s", last);
	fputc('\n', stderr);
	return EXIT_SYSTEM;
}

/*
 * Takes one of the common options: 1 if opt was one (or a usage error
 * was reported: *err then EXIT_USAGE), 0 if not.
 */
static int store_option(const char *command, int opt, const char *arg,
			struct store_opts *so, int *err)
{
	const char *why;

	switch (opt) {
	case 's':
		so->servers = arg;
		return 1;
	case 'C':
		so->cert = arg;
		return 1;
	case 'K':
		so->key = arg;
		return 1;
	case 'A':
		so->ca = arg;
		return 1;
	case 'c':
		if (sync_check_router(arg, &why)) {
			*err = usage_error(command, "bad city `%s': %s", arg,
					   why);
			return 1;
		}
		so->city = arg;
		return 1;
	case 'r':
		if (sync_check_router(arg, &why)) {
			*err = usage_error(command, "bad router `%s': %s",
					   arg, why);
			return 1;
		}
		so->router = arg;
		return 1;
	default:
		return 0;
	}
}

int store_next_option(int argc, char *argv[], const char *shortopts,
		      const struct option *longopts, struct store_opts *so)
{
	int opt, err;

	while ((opt = next_option(argv[0], argc, argv, shortopts,
				  longopts)) != -1) {
		err = EXIT_OK;
		if (!store_option(argv[0], opt, optarg, so, &err))
			return opt;
		if (err)
			return '?';
	}
	return -1;
}

int store_options_check(const char *command, const struct store_opts *so)
{
	if (!so->servers)
		return usage_error(command, "no --server");
	/* TLS with a client certificate is how the city knows who asks. */
	if (!so->cert || !so->key || !so->ca)
		return usage_error(command,
				   "--cert, --key and --ca are needed");
	return EXIT_OK;
}

/*
 * Asynchronous errors: above all the server's permission violations,
 * which fail a request only by its timeout otherwise.
 */
static void on_error(natsConnection *nc, natsSubscription *sub,
		     natsStatus err, void *data)
{
	const char *text = NULL;

	(void)sub;
	(void)data;
	natsConnection_GetLastError(nc, &text);
	fprintf(stderr, "%s: store: %s\n", prog_name,
		text && *text ? text : natsStatus_GetText(err));
}

static void on_disconnected(natsConnection *nc, void *data)
{
	const struct store_opts *so = data;

	(void)nc;
	fprintf(stderr, "%s: store: disconnected; %s\n", prog_name,
		so->away ? so->away : "retrying");
	if (so->disconnected)
		so->disconnected(so->data);
}

static void on_reconnected(natsConnection *nc, void *data)
{
	const struct store_opts *so = data;

	(void)nc;
	fprintf(stderr, "%s: store: reconnected\n", prog_name);
	if (so->reconnected)
		so->reconnected(so->data);
}

/* Splits servers at commas into urls (at most max). */
static int split_servers(char *servers, const char **urls, int max)
{
	char *save, *url;
	int n = 0;

	for (url = strtok_r(servers, ",", &save); url && n < max;
	     url = strtok_r(NULL, ",", &save))
		urls[n++] = url;
	return n;
}


/* "street.R.REST" -> R and REST; false when it is not that. */
static bool split_street(const char *lkey, char *router, const char **rest)
{
	const char *dot;

	if (strncmp(lkey, "street.", 7))
		return false;
	lkey += 7;
	dot = strchr(lkey, '.');
	if (!dot || dot == lkey || (size_t)(dot - lkey) >= SYNC_ROUTER_LEN ||
	    !dot[1])
		return false;
	memcpy(router, lkey, dot - lkey);
	router[dot - lkey] = 0;
	*rest = dot + 1;
	return true;
}

int store_map(const char *city, const char *lkey, char *bucket, char *key,
	      const char **why)
{
	char router[SYNC_ROUTER_LEN];
	const char *rest;
	int n;

	*why = "not city.*, street.ROUTER.* nor report.ROUTER.*";
	if (!strncmp(lkey, "city.", 5) && lkey[5]) {
		n = snprintf(bucket, SYNC_BUCKET_LEN, "%s", city);
		rest = lkey + 5;
	} else if (split_street(lkey, router, &rest)) {
		if (sync_check_router(router, why))
			return -EINVAL;
		n = snprintf(bucket, SYNC_BUCKET_LEN, "%s-street-%s", city,
			     router);
	} else if (!strncmp(lkey, "report.", 7) && lkey[7]) {
		n = snprintf(bucket, SYNC_BUCKET_LEN, "%s-reports", city);
		rest = lkey + 7;
	} else {
		return -EINVAL;
	}
	if (n >= SYNC_BUCKET_LEN || strlen(rest) >= SYNC_KEY_LEN) {
		*why = "too long";
		return -EINVAL;
	}
	strcpy(key, rest);
	return 0;
}

/*
 * The connection's options (TLS with the client's certificate, the
 * servers, the inbox prefix); NATS_OK, or why not, with *opts NULL.
 */
static natsStatus make_options(const struct store_opts *so,
			       natsOptions **opts)
{
	const char *name = so->name ? so->name :
			   so->router ? so->router : "operator";
	char inbox[SYNC_ROUTER_LEN + 16], *servers;
	const char *urls[16];
	natsStatus s;
	int n;

	*opts = NULL;
	servers = strdup(so->servers);
	if (!servers)
		return NATS_NO_MEMORY;
	n = split_servers(servers, urls, ARRAY_SIZE(urls));
	/*
	 * Each user's inboxes under a prefix of its own: the servers let a
	 * router subscribe to its prefix only, so that it cannot read what
	 * JetStream delivers to another router's inboxes (fleet.rst).
	 */
	if (so->inbox)
		snprintf(inbox, sizeof(inbox), "%s", so->inbox);
	else
		snprintf(inbox, sizeof(inbox), "_IG.%s", name);
	s = natsOptions_Create(opts);
	if (s == NATS_OK)
		s = natsOptions_SetServers(*opts, urls, n);
	if (s == NATS_OK)
		s = natsOptions_SetSecure(*opts, true);
	if (s == NATS_OK)
		s = natsOptions_LoadCATrustedCertificates(*opts, so->ca);
	if (s == NATS_OK)
		s = natsOptions_LoadCertificatesChain(*opts, so->cert, so->key);
	if (s == NATS_OK)
		s = natsOptions_SetCustomInboxPrefix(*opts, inbox);
	if (s == NATS_OK)
		s = natsOptions_SetName(*opts, name);
	if (s == NATS_OK)
		s = natsOptions_SetErrorHandler(*opts, on_error, NULL);
	/*
	 * A request while the servers are away fails at once rather than
	 * at its timeout: above all the consumers' deletions when the
	 * agent stops its watchers.
	 */
	if (s == NATS_OK)
		s = natsOptions_SetFailRequestsOnDisconnect(*opts, true);
	if (s == NATS_OK && so->retry) {
		/*
		 * The agent outlives the store: it keeps the local table as
		 * it is and waits for the store, however long it is away.
		 */
		s = natsOptions_SetMaxReconnect(*opts, -1);
		if (s == NATS_OK)
			s = natsOptions_SetReconnectWait(*opts, 250);
		/*
		 * When a city's routers come back together, a loaded server
		 * takes seconds for each TLS handshake: libnats' 2 s would
		 * fail them all, and all would try again at once.
		 */
		if (s == NATS_OK)
			s = natsOptions_SetTimeout(*opts,
						   SYNC_CONNECT_TIMEOUT_MS);
		if (s == NATS_OK)
			s = natsOptions_SetDisconnectedCB(*opts, on_disconnected,
							  (void *)so);
		if (s == NATS_OK)
			s = natsOptions_SetReconnectedCB(*opts, on_reconnected,
							 (void *)so);
	}
	free(servers);
	if (s != NATS_OK) {
		natsOptions_Destroy(*opts);
		*opts = NULL;
	}
	return s;
}

int store_check(const struct store_opts *so)
{
	natsOptions *opts;
	natsStatus s;

	s = make_options(so, &opts);
	natsOptions_Destroy(opts);
	if (s != NATS_OK)
		return report_nats(s, "set up the connection");
	return EXIT_OK;
}

int store_open(const struct store_opts *so, const char *bucket,
	       struct store *st)
{
	natsOptions *opts = NULL;
	jsOptions jo;
	natsStatus s;
	int ret = EXIT_SYSTEM;

	memset(st, 0, sizeof(*st));
	s = make_options(so, &opts);
	if (s != NATS_OK) {
		ret = report_nats(s, "set up the connection");
		goto cleanup;
	}
	s = natsConnection_Connect(&st->nc, opts);
	if (s != NATS_OK) {
		/* The agent's retries, once it has said so. */
		ret = so->quiet ? EXIT_SYSTEM :
		      report_nats(s, "connect to %s", so->servers);
		goto cleanup;
	}
	/*
	 * An agent waits longer for JetStream's answers: a request that
	 * times out is asked again, and its first try, answered late, has
	 * made a consumer no one uses, more work for a meta leader already
	 * behind (a city of routers starting its watchers at once).
	 */
	jsOptions_Init(&jo);
	if (so->retry)
		jo.Wait = SYNC_JS_WAIT_MS;
	s = natsConnection_JetStream(&st->js, st->nc, &jo);
	if (s != NATS_OK) {
		ret = report_nats(s, "use JetStream");
		goto cleanup;
	}
	ret = bucket ? store_bind(st, bucket, &st->kv) : EXIT_OK;
cleanup:
	if (ret)
		store_close(st);
	natsOptions_Destroy(opts);
	return ret;
}

int store_bind(struct store *st, const char *bucket, kvStore **kv)
{
	natsStatus s;

	s = js_KeyValue(kv, st->js, bucket);
	if (s != NATS_OK)
		return report_nats(s, "open the bucket %s", bucket);
	return EXIT_OK;
}

natsStatus store_delete(jsCtx *js, const char *bucket, const char *key,
			const char *by, uint64_t *rev)
{
	struct json_object *body = NULL;
	char subject[SYNC_BUCKET_LEN + SYNC_KEY_LEN + 8];
	const char *text = NULL;
	jsPubAck *ack = NULL;
	natsMsg *msg = NULL;
	natsStatus s;

	/* The subject libnats's kvStore_Delete publishes to. */
	if (snprintf(subject, sizeof(subject), "$KV.%s.%s", bucket, key) >=
	    (int)sizeof(subject))
		return NATS_INVALID_ARG;
	if (by) {
		body = json_object_new_object();
		if (!body ||
		    json_object_object_add(body, "by",
					   json_object_new_string(by))) {
			s = NATS_NO_MEMORY;
			goto cleanup;
		}
		text = json_object_to_json_string_ext(body,
						      JSON_C_TO_STRING_PLAIN);
	}
	s = natsMsg_Create(&msg, subject, NULL, text,
			   text ? (int)strlen(text) : 0);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(msg, "KV-Operation", "DEL");
	if (s == NATS_OK)
		s = js_PublishMsg(&ack, js, msg, NULL, NULL);
	if (s == NATS_OK && rev)
		*rev = ack->Sequence;
cleanup:
	jsPubAck_Destroy(ack);
	natsMsg_Destroy(msg);
	json_object_put(body);
	return s;
}

natsStatus store_newest(kvStore *kv, const char *pattern,
			void (*fn)(kvEntry *e, void *data), void *data)
{
	kvWatcher *w = NULL;
	kvWatchOptions wo;
	natsStatus s;
	kvEntry *e;

	kvWatchOptions_Init(&wo);
	s = kvStore_Watch(&w, kv, pattern, &wo);
	/* A NULL entry: the initial values are all there. */
	while (s == NATS_OK &&
	       (s = kvWatcher_Next(&e, w, 10000)) == NATS_OK && e) {
		fn(e, data);
		kvEntry_Destroy(e);
	}
	kvWatcher_Destroy(w);
	return s;
}

int store_applied_of(const char *lkey, char *router, const char **what)
{
	char token[SYNC_KEY_LEN];
	enum sync_key_kind kind;

	router[0] = 0;
	if (!strncmp(lkey, "street.", 7))
		snprintf(router, SYNC_ROUTER_LEN, "%.*s",
			 (int)strcspn(lkey + 7, "."), lkey + 7);
	kind = sync_key_parse(lkey, router, token);
	if (kind == SYNC_KEY_OTHER)
		return -EINVAL;
	*what = sync_kind_names[kind];
	return 0;
}

/* What router's agent says it took of what; -1 if it never said. */
static int64_t router_took(kvStore *reports, const char *router,
			   const char *what)
{
	char key[SYNC_KEY_LEN];
	struct json_object *obj, *v;
	kvEntry *e = NULL;
	int64_t rev = -1;

	snprintf(key, sizeof(key), "%s.applied", router);
	if (kvStore_Get(&e, reports, key) != NATS_OK)
		return -1;
	obj = json_tokener_parse(kvEntry_ValueString(e));
	if (obj && json_object_object_get_ex(obj, what, &v) &&
	    json_object_is_type(v, json_type_int))
		rev = json_object_get_int64(v);
	json_object_put(obj);
	kvEntry_Destroy(e);
	return rev;
}

natsStatus store_applied(struct store *st, const char *city,
			 const char *router, const char *what,
			 void (*fn)(const char *router, int64_t took,
				    void *data),
			 void *data)
{
	char prefix[SYNC_BUCKET_LEN + 16], bucket[SYNC_BUCKET_LEN];
	jsStreamNamesList *names = NULL;
	kvStore *reports = NULL;
	const char *r;
	natsStatus s;
	int i;

	snprintf(bucket, sizeof(bucket), "%s-reports", city);
	s = js_KeyValue(&reports, st->js, bucket);
	/* The routers: a street bucket each, KV_CITY-street-ROUTER. */
	if (s == NATS_OK)
		s = js_StreamNames(&names, st->js, NULL, NULL);
	if (s != NATS_OK) {
		kvStore_Destroy(reports);
		return s;
	}
	snprintf(prefix, sizeof(prefix), "KV_%s-street-", city);
	for (i = 0; i < names->Count; i++) {
		if (strncmp(names->List[i], prefix, strlen(prefix)))
			continue;
		r = names->List[i] + strlen(prefix);
		if (router[0] && strcmp(r, router))
			continue;
		fn(r, router_took(reports, r, what), data);
	}
	jsStreamNamesList_Destroy(names);
	kvStore_Destroy(reports);
	return NATS_OK;
}

void store_close(struct store *st)
{
	kvStore_Destroy(st->kv);
	jsCtx_Destroy(st->js);
	natsConnection_Destroy(st->nc);
	memset(st, 0, sizeof(*st));
}

int store_report(struct store *st, const char *router,
		 const struct iotguard_addr *id,
		 const struct store_decision *d)
{
	char key[SYNC_KEY_LEN], token[IOTGUARD_ADDR_STRLEN];
	char ident[IOTGUARD_ADDR_STRLEN], by[SYNC_BY_LEN];
	struct iotguard_json json;
	char *value = NULL;
	size_t len = 0;
	natsStatus s;
	FILE *f;
	int ret;

	if (sync_identity_token(id, token, sizeof(token)))
		return report_error(EINVAL, NULL, "name the device");
	/* In the reports bucket: ROUTER.TOKEN (report.ROUTER.TOKEN). */
	snprintf(key, sizeof(key), "%s.%s", router, token);
	snprintf(by, sizeof(by), "router:%s", router);
	f = open_memstream(&value, &len);
	if (!f)
		return report_error(errno, NULL, "write the report");
	iotguard_json_init(&json, f);
	iotguard_json_object_start(&json);
	iotguard_json_kv_string(&json, "id",
				iotguard_format_addr(id, ident, sizeof(ident)));
	iotguard_json_kv_string(&json, "state", d->state);
	iotguard_json_kv_string(&json, "reason", d->reason);
	if (d->class)
		iotguard_json_kv_string(&json, "class", d->class);
	if (d->detector)
		iotguard_json_kv_string(&json, "detector", d->detector);
	iotguard_json_kv_string(&json, "by", by);
	iotguard_json_kv_u64(&json, "time", (uint64_t)time(NULL));
	iotguard_json_object_end(&json);
	if (iotguard_json_error(&json) | fclose(f)) {
		ret = report_error(EIO, NULL, "write the report");
		goto cleanup;
	}
	/* The writer ends a top-level value with a newline: not ours. */
	if (len && value[len - 1] == '\n')
		len--;
	s = kvStore_Put(NULL, st->kv, key, value, (int)len);
	ret = s == NATS_OK ? EXIT_OK : report_nats(s, "put %s", key);
cleanup:
	free(value);
	return ret;
}
