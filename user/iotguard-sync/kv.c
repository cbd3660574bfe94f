// SPDX-License-Identifier: GPL-2.0
/*
 * The buckets by hand: create them, put, delete, show a key's history,
 * watch keys, and a router's reports, all by logical keys (store.h). The
 * operator's tools until `iotguard-city` exists, and how the tests try
 * what a router may not do.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "store.h"

#define KV_USAGE_END \
	STORE_OPTIONS_HELP \
	"  -h, --help        show this help and exit\n"

static const struct option kv_options[] = {
	STORE_LONG_OPTIONS,
	{ "replicas", required_argument, NULL, 'R' },
	{ "history", required_argument, NULL, 'H' },
	{ "class", required_argument, NULL, 'L' },
	{ "detector", required_argument, NULL, 'D' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct kv_args {
	struct store_opts so;
	uint64_t replicas, history;
	const char *class;	/* report: the device's class */
	const char *detector;	/* report: the detector that acted */
};

/*
 * The options every verb takes; argv then holds the verb's operands from
 * optind. EXIT_OK, EXIT_USAGE, or -1 after --help (printed).
 */
static int kv_parse(int argc, char *argv[], const char *usage, int operands,
		    struct kv_args *args)
{
	const char *why;
	int opt;
	uint16_t class;
	uint8_t det;

	memset(args, 0, sizeof(*args));
	args->so.city = SYNC_CITY;
	args->replicas = 1;
	args->history = 16;
	optind = 1;
	while ((opt = store_next_option(argc, argv,
					STORE_SHORT_OPTIONS "h",
					kv_options, &args->so)) != -1) {
		switch (opt) {
		case 'h':
			printf("Usage: %s %s %s", prog_name, argv[0], usage);
			return -1;
		case 'R':
			if (iotguard_parse_count(optarg, 5, &args->replicas,
						 &why) || !args->replicas)
				return usage_error(argv[0],
						   "bad --replicas `%s'",
						   optarg);
			break;
		case 'H':
			if (iotguard_parse_count(optarg, 64, &args->history,
						 &why) || !args->history)
				return usage_error(argv[0],
						   "bad --history `%s'",
						   optarg);
			break;
		case 'L':
			if (iotguard_parse_class(optarg, &class, &why))
				return usage_error(argv[0],
						   "bad class `%s': %s",
						   optarg, why);
			args->class = optarg;
			break;
		case 'D':
			if (iotguard_parse_alert_detector(optarg, &det, &why))
				return usage_error(argv[0],
						   "bad detector `%s': %s",
						   optarg, why);
			args->detector = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (operands >= 0 && argc - optind != operands)
		return usage_error(argv[0], "expected %d operand%s, got %d",
				   operands, operands == 1 ? "" : "s",
				   argc - optind);
	return store_options_check(argv[0], &args->so);
}

/*
 * Creates one bucket of the city: history values per key, each kept for
 * ttl nanoseconds (0: for ever).
 */
static int create_bucket(struct store *st, const char *bucket,
			 const struct kv_args *args, int64_t history,
			 int64_t ttl, const char *what)
{
	kvStore *kv = NULL;
	kvConfig cfg;
	natsStatus s;

	kvConfig_Init(&cfg);
	cfg.Bucket = bucket;
	cfg.Description = what;
	cfg.History = history;
	cfg.TTL = ttl;
	cfg.Replicas = args->replicas;
	cfg.StorageType = js_FileStorage;
	s = js_CreateKeyValue(&kv, st->js, &cfg);
	kvStore_Destroy(kv);
	if (s != NATS_OK)
		return report_nats(s, "create the bucket %s", bucket);
	return EXIT_OK;
}

int create_main(int argc, char *argv[])
{
	char bucket[SYNC_BUCKET_LEN];
	struct kv_args args;
	struct store st;
	const char *why;
	int ret, i, n;

	ret = kv_parse(argc, argv, "[OPTIONS] ROUTER...\n\n"
		       "Creates the city's buckets (the operator's right): "
		       "the city-wide\nlists, the reports, the operator "
		       "gates' sessions and revocations, and\neach ROUTER's "
		       "street.\n\n"
		       "  -R, --replicas N  copies, one per server (default 1;"
		       " 3 for a city)\n"
		       "  -H, --history N   values kept per key (default 16)\n"
		       KV_USAGE_END, -1, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	for (i = optind; i < argc; i++)
		if (sync_check_router(argv[i], &why))
			return usage_error(argv[0], "bad router `%s': %s",
					   argv[i], why);
	ret = store_open(&args.so, NULL, &st);
	if (ret)
		return ret;
	ret = create_bucket(&st, args.so.city, &args, args.history, 0,
			    "iotguard: the city-wide lists (fleet.rst)");
	snprintf(bucket, sizeof(bucket), "%s-reports", args.so.city);
	if (!ret)
		ret = create_bucket(&st, bucket, &args, args.history, 0,
				    "iotguard: the routers' reports");
	/* Sessions and TOTP steps: the newest alone, for a day. */
	snprintf(bucket, sizeof(bucket), STORE_GATE_BUCKET_FMT, args.so.city);
	if (!ret)
		ret = create_bucket(&st, bucket, &args, 1,
				    (int64_t)STORE_GATE_TTL * 1000000000,
				    "iotguard: the operator gates' sessions");
	snprintf(bucket, sizeof(bucket), STORE_OPERATORS_BUCKET_FMT,
		 args.so.city);
	if (!ret)
		ret = create_bucket(&st, bucket, &args, args.history, 0,
				    "iotguard: the operators' revocations");
	for (i = optind; !ret && i < argc; i++) {
		n = snprintf(bucket, sizeof(bucket), "%s-street-%s",
			     args.so.city, argv[i]);
		ret = n >= (int)sizeof(bucket) ?
		      report_error(ENAMETOOLONG, NULL, "name %s's bucket",
				   argv[i]) :
		      create_bucket(&st, bucket, &args, args.history, 0,
				    "iotguard: a street's devices");
	}
	store_close(&st);
	return ret;
}

/*
 * Opens the bucket of a logical key (or pattern) lkey: key gets the key
 * in it, prefix (when not NULL, SYNC_KEY_LEN) what turns it back into a
 * logical key.
 */
static int open_key(const struct kv_args *args, const char *command,
		    const char *lkey, struct store *st, char *key,
		    char *prefix)
{
	char bucket[SYNC_BUCKET_LEN];
	const char *why;

	if (store_map(args->so.city, lkey, bucket, key, &why))
		return usage_error(command, "bad key `%s': %s", lkey, why);
	if (prefix)
		snprintf(prefix, SYNC_KEY_LEN, "%.*s",
			 (int)(strlen(lkey) - strlen(key)), lkey);
	return store_open(&args->so, bucket, st);
}

/* What put - learns from the servers' acknowledgements. */
struct put_acks {
	const char *city;
	pthread_mutex_t lock;
	unsigned long ok, failed;
};

/* $KV.BUCKET.KEY back to its logical key (store.h), into lkey. */
static void logical_key(const char *city, const char *subject, char *lkey,
			size_t len)
{
	const char *bucket = subject + 4, *key = strchr(bucket, '.');
	size_t n = strlen(city), blen;

	if (strncmp(subject, "$KV.", 4) || !key) {
		snprintf(lkey, len, "%s", subject);
		return;
	}
	blen = key++ - bucket;
	if (blen == n && !strncmp(bucket, city, n))
		snprintf(lkey, len, "city.%s", key);
	else if (blen == n + 8 && !strncmp(bucket + n, "-reports", 8))
		snprintf(lkey, len, "report.%s", key);
	else if (blen > n + 8 && !strncmp(bucket + n, "-street-", 8))
		snprintf(lkey, len, "street.%.*s.%s", (int)(blen - n - 8),
			 bucket + n + 8, key);
	else
		snprintf(lkey, len, "%s", subject);
}

/* From libnats' thread: each put's revision, or why not. */
static void on_put_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa,
		       jsPubAckErr *pae, void *closure)
{
	struct put_acks *acks = closure;
	char lkey[2 * SYNC_KEY_LEN];

	(void)js;
	logical_key(acks->city, natsMsg_GetSubject(msg), lkey, sizeof(lkey));
	pthread_mutex_lock(&acks->lock);
	if (pa) {
		acks->ok++;
		printf("%s %" PRIu64 "\n", lkey, pa->Sequence);
	} else {
		acks->failed++;
		fprintf(stderr, "Unable to put %s: %s\n", lkey,
			pae && pae->ErrText ? pae->ErrText :
			natsStatus_GetText(pae ? pae->Err : NATS_ERR));
	}
	pthread_mutex_unlock(&acks->lock);
	natsMsg_Destroy(msg);
}

/*
 * put -: "KEY VALUE" lines from stdin, published without waiting for
 * each acknowledgement (at most 256 in flight), "KEY REV" printed for
 * each as it comes, a refusal reported for each. A bad line stops the
 * reading: the lines before it are put.
 */
static int put_lines(const struct kv_args *args, const char *command)
{
	struct put_acks acks = { .city = args->so.city };
	char subject[SYNC_BUCKET_LEN + SYNC_KEY_LEN + 8];
	char bucket[SYNC_BUCKET_LEN], key[SYNC_KEY_LEN], *line = NULL;
	unsigned long lineno = 0, sent = 0;
	jsOptions jo;
	jsCtx *js = NULL;
	natsMsg *msg;
	const char *why;
	char *value;
	struct store st;
	size_t size = 0;
	ssize_t len;
	natsStatus s;
	int ret;

	pthread_mutex_init(&acks.lock, NULL);
	ret = store_open(&args->so, NULL, &st);
	if (ret)
		goto cleanup;
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = 256;
	jo.PublishAsync.AckHandler = on_put_ack;
	jo.PublishAsync.AckHandlerClosure = &acks;
	s = natsConnection_JetStream(&js, st.nc, &jo);
	if (s != NATS_OK) {
		ret = report_nats(s, "use JetStream");
		goto cleanup;
	}
	while ((len = getline(&line, &size, stdin)) >= 0) {
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = 0;
		if (!len || line[0] == '#')
			continue;
		value = strchr(line, ' ');
		if (!value || (size_t)len != strlen(line)) {
			ret = usage_error(command, "line %lu: expected KEY "
					  "VALUE", lineno);
			break;
		}
		*value++ = 0;
		if (store_map(args->so.city, line, bucket, key, &why)) {
			ret = usage_error(command, "line %lu: bad key `%s': "
					  "%s", lineno, line, why);
			break;
		}
		snprintf(subject, sizeof(subject), "$KV.%s.%s", bucket, key);
		s = natsMsg_Create(&msg, subject, NULL, value, strlen(value));
		if (s == NATS_OK) {
			s = js_PublishMsgAsync(js, &msg, NULL);
			natsMsg_Destroy(msg);
		}
		if (s != NATS_OK) {
			ret = report_nats(s, "put %s (line %lu)", line, lineno);
			break;
		}
		sent++;
	}
	/* Every acknowledgement, or the servers' silence, before the end. */
	s = js_PublishAsyncComplete(js, NULL);
	if (s != NATS_OK && !ret)
		ret = report_nats(s, "wait for the servers' acknowledgements");
	pthread_mutex_lock(&acks.lock);
	if (!ret && (acks.failed || acks.ok != sent))
		ret = EXIT_SYSTEM;
	pthread_mutex_unlock(&acks.lock);
cleanup:
	jsCtx_Destroy(js);
	free(line);
	store_close(&st);
	pthread_mutex_destroy(&acks.lock);
	return ret;
}

int put_main(int argc, char *argv[])
{
	struct kv_args args;
	char key[SYNC_KEY_LEN];
	struct store st;
	uint64_t rev = 0;
	natsStatus s;
	int ret;

	ret = kv_parse(argc, argv, "[OPTIONS] KEY VALUE\n"
		       "       put [OPTIONS] -\n\n"
		       "Puts VALUE (JSON, fleet.rst) under KEY and prints its "
		       "revision; with -,\nputs each `KEY VALUE' line of stdin"
		       " without waiting for each\nacknowledgement, prints "
		       "`KEY REVISION' for each as it comes and reports\n"
		       "each refused (exit 2).\n\n" KV_USAGE_END, -1, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (argc - optind == 1 && !strcmp(argv[optind], "-"))
		return put_lines(&args, argv[0]);
	if (argc - optind != 2)
		return usage_error(argv[0], "expected KEY VALUE, or -");
	ret = open_key(&args, argv[0], argv[optind], &st, key, NULL);
	if (ret)
		return ret;
	s = kvStore_PutString(&rev, st.kv, key, argv[optind + 1]);
	if (s != NATS_OK)
		ret = report_nats(s, "put %s", argv[optind]);
	else
		printf("%" PRIu64 "\n", rev);
	store_close(&st);
	return ret;
}

int del_main(int argc, char *argv[])
{
	struct kv_args args;
	char key[SYNC_KEY_LEN];
	struct store st;
	natsStatus s;
	int ret;

	ret = kv_parse(argc, argv, "[OPTIONS] KEY\n\n"
		       "Deletes KEY: a delete marker, its history kept.\n\n"
		       KV_USAGE_END, 1, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = open_key(&args, argv[0], argv[optind], &st, key, NULL);
	if (ret)
		return ret;
	s = kvStore_Delete(st.kv, key);
	if (s != NATS_OK)
		ret = report_nats(s, "delete %s", argv[optind]);
	store_close(&st);
	return ret;
}

static const char *op_name(kvOperation op)
{
	switch (op) {
	case kvOp_Put:
		return "put";
	case kvOp_Delete:
		return "del";
	case kvOp_Purge:
		return "purge";
	default:
		return "?";
	}
}

/* One entry as a line: revision, operation, logical key, value. */
static void print_entry(const char *prefix, kvEntry *e)
{
	printf("%" PRIu64 " %s %s%s %.*s\n", kvEntry_Revision(e),
	       op_name(kvEntry_Operation(e)), prefix, kvEntry_Key(e),
	       kvEntry_ValueLen(e), (const char *)kvEntry_Value(e));
}

static void print_newest(kvEntry *e, void *prefix)
{
	print_entry(prefix, e);
}

/*
 * watch PATTERN: the newest entry of each key the pattern matches, then
 * stops: what a router's agent sees when it starts. A watcher asks the
 * server for a consumer filtered on the pattern: how the tests show that
 * a router may not read another street.
 */
int watch_main(int argc, char *argv[])
{
	struct kv_args args;
	char key[SYNC_KEY_LEN], prefix[SYNC_KEY_LEN];
	struct store st;
	natsStatus s;
	int ret;

	ret = kv_parse(argc, argv, "[OPTIONS] PATTERN\n\n"
		       "Prints the newest entry of each key PATTERN matches "
		       "(* one token,\n> the rest), as REVISION OP KEY VALUE"
		       ", then exits.\n\n" KV_USAGE_END, 1, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = open_key(&args, argv[0], argv[optind], &st, key, prefix);
	if (ret)
		return ret;
	s = store_newest(st.kv, key, print_newest, prefix);
	if (s != NATS_OK)
		ret = report_nats(s, "watch %s", argv[optind]);
	store_close(&st);
	return ret;
}

/* history KEY: every value the bucket keeps for KEY, oldest first. */
int history_main(int argc, char *argv[])
{
	kvEntryList list = { 0 };
	struct kv_args args;
	char key[SYNC_KEY_LEN], prefix[SYNC_KEY_LEN];
	struct store st;
	natsStatus s;
	int ret, i;

	ret = kv_parse(argc, argv, "[OPTIONS] KEY\n\n"
		       "Prints every value the bucket keeps for KEY, oldest "
		       "first,\nas REVISION OP KEY VALUE.\n\n"
		       KV_USAGE_END, 1, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = open_key(&args, argv[0], argv[optind], &st, key, prefix);
	if (ret)
		return ret;
	s = kvStore_History(&list, st.kv, key, NULL);
	if (s == NATS_NOT_FOUND) {
		fprintf(stderr, "%s: no key %s\n", prog_name, argv[optind]);
		ret = EXIT_NOT_FOUND;
	} else if (s != NATS_OK) {
		ret = report_nats(s, "read the history of %s", argv[optind]);
	} else {
		for (i = 0; i < list.Count; i++)
			print_entry(prefix, list.Entries[i]);
	}
	kvEntryList_Destroy(&list);
	store_close(&st);
	return ret;
}

/* report ID STATE REASON: a router's decision, for the city to see. */
int report_main(int argc, char *argv[])
{
	struct iotguard_addr id;
	struct kv_args args;
	char bucket[SYNC_BUCKET_LEN];
	struct store st;
	const char *why;
	uint8_t state;
	int ret;

	ret = kv_parse(argc, argv, "[OPTIONS] DEVICE STATE REASON\n\n"
		       "Publishes a decision of this router (--router) about"
		       " DEVICE\n(allow, deny or quarantine, and why) under "
		       "report.ROUTER.TOKEN.\n\n"
		       "      --class CLASS the device's class, kept with it\n"
		       "      --detector NAME  iotguardd's detector that "
		       "acted (scan, surge, ...)\n"
		       KV_USAGE_END, 3, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (!args.so.router)
		return usage_error(argv[0], "a report needs --router");
	if (iotguard_parse_identity(argv[optind], &id, &why))
		return usage_error(argv[0], "bad device `%s': %s",
				   argv[optind], why);
	if (iotguard_parse_state(argv[optind + 1], &state, &why))
		return usage_error(argv[0], "bad state `%s': %s",
				   argv[optind + 1], why);
	snprintf(bucket, sizeof(bucket), "%s-reports", args.so.city);
	ret = store_open(&args.so, bucket, &st);
	if (ret)
		return ret;
	ret = store_report(&st, args.so.router, &id,
			   &(struct store_decision){
				   .state = argv[optind + 1],
				   .reason = argv[optind + 2],
				   .class = args.class,
				   .detector = args.detector,
			   });
	store_close(&st);
	return ret;
}
