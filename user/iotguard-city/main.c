// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard-city: the operator's verbs on the city's buckets
 * (Documentation/fleet.rst): enroll a device on a street, remove it,
 * deny or revoke it city-wide and lift that, show a device's history,
 * log in at the operator gate and out. It writes values as the agents read them
 * (user/iotguard-sync/policy.c): through the operator gate after
 * `login' (--session), or straight into the buckets with the city
 * administrator's certificate.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include "gate.h"
#include "json.h"
#include "store.h"

const char *prog_name;

/* What `login' keeps for the verbs that follow (--session FILE). */
struct city_session {
	char operator[SYNC_ROUTER_LEN];
	char console[SYNC_ROUTER_LEN];
	char token[GATE_TOKEN_LEN];
	int64_t expires;
};

struct city_args {
	struct store_opts so;
	const char *session_path;
	struct city_session session;
	char inbox[SYNC_ROUTER_LEN + 8], name[SYNC_ROUTER_LEN + 8];
	const char *by;
	const char *reason;
	struct iotguard_device dev;	/* the operand; enroll's fields */
	bool pin;
	char token[IOTGUARD_ADDR_STRLEN];
};

#define CITY_OPTIONS_HELP \
	STORE_OPTIONS_HELP \
	"  -S, --session FILE  through the gate, as `login' left it\n" \
	"      --by WHO      without --session: who makes the change, kept " \
	"with it\n                    (default operator)\n" \
	"  -h, --help        show this help and exit\n"

static const struct option city_options[] = {
	STORE_LONG_OPTIONS,
	{ "by", required_argument, NULL, 'Y' },
	{ "session", required_argument, NULL, 'S' },
	{ "reason", required_argument, NULL, 'W' },
	{ "name", required_argument, NULL, 'n' },
	{ "state", required_argument, NULL, 't' },
	{ "class", required_argument, NULL, 'l' },
	{ "mac", required_argument, NULL, 'm' },
	{ "rate-pps", required_argument, NULL, 'p' },
	{ "burst-pkts", required_argument, NULL, 'P' },
	{ "rate-bps", required_argument, NULL, 'B' },
	{ "burst-bytes", required_argument, NULL, 'Z' },
	{ "pin", no_argument, NULL, 'i' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A device field's option, into args->dev: EXIT_OK or a usage error. */
static int field_option(const char *command, int opt, const char *arg,
			struct city_args *args)
{
	struct iotguard_device *dev = &args->dev;
	const char *why = NULL;
	uint64_t v;
	int ret = 0;

	switch (opt) {
	case 'n':
		if (strlen(arg) >= sizeof(dev->name))
			return usage_error(command, "name `%s' is too long",
					   arg);
		strcpy(dev->name, arg);
		dev->present |= IOTGUARD_DEV_NAME;
		return EXIT_OK;
	case 't':
		ret = iotguard_parse_state(arg, &dev->state, &why);
		dev->present |= IOTGUARD_DEV_STATE;
		break;
	case 'l':
		ret = iotguard_parse_class(arg, &dev->class, &why);
		dev->present |= IOTGUARD_DEV_CLASS;
		break;
	case 'm':
		ret = iotguard_parse_mac(arg, dev->mac, &why);
		dev->present |= IOTGUARD_DEV_MAC;
		break;
	case 'p':
	case 'P':
	case 'Z':
		ret = iotguard_parse_count(arg, UINT32_MAX, &v, &why);
		if (opt == 'p') {
			dev->rate_pps = v;
			dev->present |= IOTGUARD_DEV_RATE_PPS;
		} else if (opt == 'P') {
			dev->burst_pkts = v;
			dev->present |= IOTGUARD_DEV_BURST_PKTS;
		} else {
			dev->burst_bytes = v;
			dev->present |= IOTGUARD_DEV_BURST_BYTES;
		}
		break;
	case 'B':
		ret = iotguard_parse_rate(arg, INT64_MAX, &v, &why);
		dev->rate_bps = v;
		dev->present |= IOTGUARD_DEV_RATE_BPS;
		break;
	case 'i':
		args->pin = true;
		return EXIT_OK;
	default:
		return EXIT_USAGE;
	}
	if (ret)
		return usage_error(command, "bad value `%s': %s", arg, why);
	return EXIT_OK;
}

/* Connects as the session's console: its inboxes, its name. */
static void console_opts(struct city_args *args)
{
	snprintf(args->inbox, sizeof(args->inbox), "_IGC.%s",
		 args->session.console);
	snprintf(args->name, sizeof(args->name), "console-%s",
		 args->session.console);
	args->so.inbox = args->inbox;
	args->so.name = args->name;
}

/* A string member into buf; false if absent, not a string or too long. */
static bool copy_member(struct json_object *obj, const char *name,
			char *buf, size_t len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, name, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) >= len)
		return false;
	strcpy(buf, json_object_get_string(v));
	return true;
}

/* Reads --session FILE: EXIT_OK or an error reported. */
static int load_session(struct city_args *args)
{
	struct city_session *cs = &args->session;
	struct json_object *obj, *v;
	const char *why;
	int ret = EXIT_OK;

	obj = json_object_from_file(args->session_path);
	if (!obj)
		return report_error(errno ? errno : EINVAL,
				    json_util_get_last_err(), "read %s",
				    args->session_path);
	if (!copy_member(obj, "operator", cs->operator,
			 sizeof(cs->operator)) ||
	    !copy_member(obj, "console", cs->console, sizeof(cs->console)) ||
	    sync_check_router(cs->console, &why) ||
	    !copy_member(obj, "token", cs->token, sizeof(cs->token)) ||
	    !json_object_object_get_ex(obj, "expires", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		ret = report_error(EINVAL, "not a session `login' wrote",
				   "read %s", args->session_path);
		goto cleanup;
	}
	cs->expires = json_object_get_int64(v);
	console_opts(args);
cleanup:
	json_object_put(obj);
	return ret;
}

/* Writes the session, readable by its owner alone. */
static int save_session(const struct city_args *args)
{
	const struct city_session *cs = &args->session;
	struct json_object *obj = json_object_new_object();
	const char *text;
	int fd, ret = EXIT_OK;
	FILE *f;

	json_object_object_add(obj, "operator",
			       json_object_new_string(cs->operator));
	json_object_object_add(obj, "console",
			       json_object_new_string(cs->console));
	json_object_object_add(obj, "token", json_object_new_string(cs->token));
	json_object_object_add(obj, "expires",
			       json_object_new_int64(cs->expires));
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	fd = open(args->session_path, O_WRONLY | O_CREAT | O_TRUNC |
		  O_CLOEXEC | O_NOFOLLOW, 0600);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		ret = report_error(errno, NULL, "write %s", args->session_path);
		if (fd >= 0)
			close(fd);
		goto cleanup;
	}
	/* An older file of someone else's mode keeps it: make it ours. */
	if (fchmod(fd, 0600) || fprintf(f, "%s\n", text) < 0)
		ret = report_error(errno, NULL, "write %s", args->session_path);
	if (fclose(f) && !ret)
		ret = report_error(errno, NULL, "write %s", args->session_path);
cleanup:
	json_object_put(obj);
	return ret;
}

/*
 * Asks the gate: req (consumed) to CITY.gate.verb, the answer in *answer
 * if it said yes. EXIT_OK, EXIT_NOT_FOUND for a history of nothing, or an
 * error reported.
 */
static int gate_request(struct city_args *args, const char *verb,
			const char *what, struct json_object *req,
			struct json_object **answer)
{
	char subject[SYNC_BUCKET_LEN + 16];
	struct json_object *body = NULL, *ok, *err;
	const char *text;
	natsMsg *msg = NULL;
	struct store st;
	natsStatus s;
	int ret;

	if (args->session.token[0])
		json_object_object_add(req, "token", json_object_new_string(
				       args->session.token));
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	snprintf(subject, sizeof(subject), GATE_SUBJECT_FMT, args->so.city,
		 verb);
	ret = store_open(&args->so, NULL, &st);
	if (ret)
		goto cleanup;
	s = natsConnection_RequestString(&msg, st.nc, subject, text, 10000);
	if (s != NATS_OK) {
		ret = report_nats(s, "ask the gate to %s %s", verb, what);
		goto cleanup;
	}
	body = json_tokener_parse(natsMsg_GetData(msg));
	if (!body || !json_object_object_get_ex(body, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		ret = report_error(EPROTO, "not the gate's answer",
				   "%s %s", verb, what);
		goto cleanup;
	}
	if (!json_object_get_boolean(ok)) {
		json_object_object_get_ex(body, "error", &err);
		text = err ? json_object_get_string(err) : "no reason";
		if (!strcmp(verb, "history") && !strcmp(text, "not found"))
			ret = EXIT_NOT_FOUND;
		else
			ret = report_error(EACCES, text, "%s %s", verb, what);
		goto cleanup;
	}
	*answer = body;
	body = NULL;
cleanup:
	json_object_put(body);
	json_object_put(req);
	natsMsg_Destroy(msg);
	store_close(&st);
	return ret;
}

/*
 * Parses a verb's options; fields: the verb takes enroll's. EXIT_OK,
 * EXIT_USAGE, or -1 after --help. The operands are the caller's, from
 * optind; city_parse_done() then checks the whole.
 */
static int city_parse_options(int argc, char *argv[], const char *usage,
			      bool fields, struct city_args *args)
{
	int opt, err;

	memset(args, 0, sizeof(*args));
	args->so.city = SYNC_CITY;
	optind = 1;
	while ((opt = store_next_option(argc, argv,
					STORE_SHORT_OPTIONS "hS:",
					city_options, &args->so)) != -1) {
		switch (opt) {
		case 'h':
			printf("Usage: %s %s %s", prog_name, argv[0], usage);
			return -1;
		case 'Y':
			args->by = optarg;
			break;
		case 'S':
			args->session_path = optarg;
			break;
		case 'W':
			args->reason = optarg;
			break;
		case '?':
			return EXIT_USAGE;
		default:
			if (!fields)
				return usage_error(argv[0], "unknown option "
						   "`%s'", argv[optind - 1]);
			err = field_option(argv[0], opt, optarg, args);
			if (err)
				return err;
		}
	}
	return EXIT_OK;
}

/* The servers and the session, or who makes the change without one. */
static int city_parse_done(const char *command, struct city_args *args)
{
	int err = store_options_check(command, &args->so);

	if (err || !args->session_path) {
		if (!args->by)
			args->by = "operator";
		return err;
	}
	if (args->by)
		return usage_error(command, "--by with --session: the gate "
				   "writes who you are");
	return load_session(args);
}

/* A verb's options and its one operand, the device (city_parse_options). */
static int city_parse(int argc, char *argv[], const char *usage,
		      bool fields, struct city_args *args)
{
	const char *why;
	int err;

	err = city_parse_options(argc, argv, usage, fields, args);
	if (err)
		return err;
	if (argc - optind != 1)
		return usage_error(argv[0], "expected one device");
	if (iotguard_parse_identity(argv[optind], &args->dev.id, &why))
		return usage_error(argv[0], "bad device `%s': %s",
				   argv[optind], why);
	if (sync_identity_token(&args->dev.id, args->token,
				sizeof(args->token)))
		return usage_error(argv[0], "bad device `%s'", argv[optind]);
	return city_parse_done(argv[0], args);
}

/* The value of a device's key, as policy.c reads it; NULL if no memory. */
static char *device_value(const struct city_args *args, bool device)
{
	const struct iotguard_device *dev = &args->dev;
	char text[IOTGUARD_ADDR_STRLEN], mac[IOTGUARD_MAC_STRLEN], class[8];
	struct iotguard_json json;
	char *value = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&value, &len);
	if (!f)
		return NULL;
	iotguard_json_init(&json, f);
	iotguard_json_object_start(&json);
	iotguard_json_kv_string(&json, "id", iotguard_format_addr(&dev->id,
				text, sizeof(text)));
	if (device && (dev->present & IOTGUARD_DEV_NAME))
		iotguard_json_kv_string(&json, "name", dev->name);
	if (device && (dev->present & IOTGUARD_DEV_STATE))
		iotguard_json_kv_string(&json, "state",
					iotguard_state_name(dev->state));
	if (device && (dev->present & IOTGUARD_DEV_CLASS)) {
		/* A name, or the number as text: a string either way. */
		if (iotguard_class_name(dev->class))
			snprintf(class, sizeof(class), "%s",
				 iotguard_class_name(dev->class));
		else
			snprintf(class, sizeof(class), "%u", dev->class);
		iotguard_json_kv_string(&json, "class", class);
	}
	if (device && (dev->present & IOTGUARD_DEV_MAC))
		iotguard_json_kv_string(&json, "mac", iotguard_format_mac(
					dev->mac, mac, sizeof(mac)));
	if (device && (dev->present & IOTGUARD_DEV_RATE_PPS))
		iotguard_json_kv_u64(&json, "rate_pps", dev->rate_pps);
	if (device && (dev->present & IOTGUARD_DEV_BURST_PKTS))
		iotguard_json_kv_u64(&json, "burst_pkts", dev->burst_pkts);
	if (device && (dev->present & IOTGUARD_DEV_RATE_BPS))
		iotguard_json_kv_u64(&json, "rate_bps", dev->rate_bps);
	if (device && (dev->present & IOTGUARD_DEV_BURST_BYTES))
		iotguard_json_kv_u64(&json, "burst_bytes", dev->burst_bytes);
	if (device)
		iotguard_json_kv_bool(&json, "pin", args->pin);
	if (args->reason)
		iotguard_json_kv_string(&json, "reason", args->reason);
	/* Through the gate, the gate says who. */
	if (args->by)
		iotguard_json_kv_string(&json, "by", args->by);
	iotguard_json_object_end(&json);
	if (iotguard_json_error(&json) | fclose(f)) {
		free(value);
		return NULL;
	}
	/* The writer ends a top-level value with a newline: not ours. */
	if (len && value[len - 1] == '\n')
		value[len - 1] = 0;
	return value;
}

/* Through the gate: value (NULL: a delete) under lkey. */
static int gate_write(struct city_args *args, const char *lkey,
		      const char *value)
{
	struct json_object *req = json_object_new_object(), *answer, *rev;
	int ret;

	json_object_object_add(req, "key", json_object_new_string(lkey));
	if (value)
		json_object_object_add(req, "value",
				       json_tokener_parse(value));
	ret = gate_request(args, value ? "put" : "del", lkey, req, &answer);
	if (ret)
		return ret;
	if (json_object_object_get_ex(answer, "rev", &rev))
		printf("%s rev %" PRIu64 "\n", lkey,
		       (uint64_t)json_object_get_uint64(rev));
	json_object_put(answer);
	return EXIT_OK;
}

/* Puts value (NULL: deletes) under the logical key lkey. */
static int write_key(struct city_args *args, const char *lkey,
		     const char *value)
{
	char bucket[SYNC_BUCKET_LEN], key[SYNC_KEY_LEN];
	struct store st;
	const char *why;
	uint64_t rev = 0;
	natsStatus s;
	int ret;

	if (args->session_path)
		return gate_write(args, lkey, value);
	if (store_map(args->so.city, lkey, bucket, key, &why))
		return report_error(EINVAL, why, "name the key %s", lkey);
	ret = store_open(&args->so, bucket, &st);
	if (ret)
		return ret;
	s = value ? kvStore_PutString(&rev, st.kv, key, value) :
		    store_delete(st.js, bucket, key, args->by, &rev);
	if (s != NATS_OK)
		ret = report_nats(s, "%s %s", value ? "put" : "delete", lkey);
	else
		printf("%s rev %" PRIu64 "\n", lkey, rev);
	store_close(&st);
	return ret;
}

/* A street's router, which enroll and remove need. */
static int need_router(const char *command, const struct city_args *args)
{
	if (!args->so.router)
		return usage_error(command, "which street? --router NAME");
	return EXIT_OK;
}

/*
 * --router names the street here, as it names the router whose
 * certificate the agent uses: the operator's certificate writes all.
 */
static int enroll_main(int argc, char *argv[])
{
	char lkey[SYNC_KEY_LEN], *value;
	struct city_args args;
	int ret;

	ret = city_parse(argc, argv, "[OPTIONS] --router NAME DEVICE\n\n"
			 "Enrolls DEVICE (an address, prefix or MAC) on the "
			 "street of router\nNAME, or changes it there.\n\n"
			 "      --name NAME, --state allow|deny|quarantine, "
			 "--class CLASS,\n      --mac MAC, --rate-pps N, "
			 "--burst-pkts N, --rate-bps N,\n      --burst-bytes"
			 " N  as `iotguard device add' takes them\n"
			 "      --pin         pinned: iotguardd may not change"
			 " its state\n" CITY_OPTIONS_HELP, true, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = need_router(argv[0], &args);
	if (ret)
		return ret;
	snprintf(lkey, sizeof(lkey), "street.%s.dev.%s", args.so.router,
		 args.token);
	value = device_value(&args, true);
	if (!value)
		return report_error(ENOMEM, NULL, "write the value");
	/* The operator writes; --router is not whose certificate it is. */
	args.so.router = NULL;
	ret = write_key(&args, lkey, value);
	free(value);
	return ret;
}

static int remove_main(int argc, char *argv[])
{
	char lkey[SYNC_KEY_LEN];
	struct city_args args;
	int ret;

	ret = city_parse(argc, argv, "[OPTIONS] --router NAME DEVICE\n\n"
			 "Removes DEVICE from the street of router NAME (a "
			 "delete marker:\nits history stays).\n\n"
			 CITY_OPTIONS_HELP, false, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = need_router(argv[0], &args);
	if (ret)
		return ret;
	snprintf(lkey, sizeof(lkey), "street.%s.dev.%s", args.so.router,
		 args.token);
	args.so.router = NULL;
	return write_key(&args, lkey, NULL);
}

/* deny, revoke, allow, unrevoke: the city-wide lists. */
static int list_verb(int argc, char *argv[], const char *list, bool put,
		     const char *usage)
{
	char lkey[SYNC_KEY_LEN], *value = NULL;
	struct city_args args;
	int ret;

	ret = city_parse(argc, argv, usage, false, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	snprintf(lkey, sizeof(lkey), "city.%s.%s", list, args.token);
	if (put) {
		value = device_value(&args, false);
		if (!value)
			return report_error(ENOMEM, NULL, "write the value");
	}
	ret = write_key(&args, lkey, value);
	free(value);
	return ret;
}

static int deny_main(int argc, char *argv[])
{
	return list_verb(argc, argv, "deny", true, "[OPTIONS] DEVICE\n\n"
			 "Denies DEVICE on every router of the city.\n\n"
			 "      --reason TEXT why, kept with it\n"
			 CITY_OPTIONS_HELP);
}

static int allow_main(int argc, char *argv[])
{
	return list_verb(argc, argv, "deny", false, "[OPTIONS] DEVICE\n\n"
			 "Lifts the city-wide deny of DEVICE.\n\n"
			 CITY_OPTIONS_HELP);
}

static int revoke_main(int argc, char *argv[])
{
	return list_verb(argc, argv, "revoke", true, "[OPTIONS] DEVICE\n\n"
			 "Revokes DEVICE on every router of the city: denied,"
			 " its credential\nrevoked.\n\n"
			 "      --reason TEXT why, kept with it\n"
			 CITY_OPTIONS_HELP);
}

static int quarantine_main(int argc, char *argv[])
{
	return list_verb(argc, argv, "quarantine", true, "[OPTIONS] DEVICE\n\n"
			 "Quarantines DEVICE on every router of the city: "
			 "held to the module's\nquarantine rate (a deny, "
			 "there or on a street, stays a deny).\n\n"
			 "      --reason TEXT why, kept with it\n"
			 CITY_OPTIONS_HELP);
}

static int release_main(int argc, char *argv[])
{
	return list_verb(argc, argv, "quarantine", false, "[OPTIONS] DEVICE\n\n"
			 "Lifts the city-wide quarantine of DEVICE.\n\n"
			 CITY_OPTIONS_HELP);
}

static int unrevoke_main(int argc, char *argv[])
{
	return list_verb(argc, argv, "revoke", false, "[OPTIONS] DEVICE\n\n"
			 "Lifts the city-wide revocation of DEVICE.\n\n"
			 CITY_OPTIONS_HELP);
}

/*
 * Asks the gate for verb with one member, name: value, and gives its
 * answer's entries (an array); EXIT_OK, or an exit status after
 * reporting. *answer, on EXIT_OK, is the caller's to put.
 */
static int gate_entries(struct city_args *args, const char *verb,
			const char *name, const char *value,
			struct json_object **answer,
			struct json_object **entries)
{
	struct json_object *req = json_object_new_object();
	int ret;

	json_object_object_add(req, name, json_object_new_string(value));
	ret = gate_request(args, verb, value, req, answer);
	if (ret)
		return ret;
	if (!json_object_object_get_ex(*answer, "entries", entries) ||
	    !json_object_is_type(*entries, json_type_array)) {
		json_object_put(*answer);
		return report_error(EPROTO, "not the gate's answer", "%s %s",
				    verb, value);
	}
	return EXIT_OK;
}

/* The history of lkey as the gate gives it. */
static int gate_history(struct city_args *args, const char *lkey)
{
	struct json_object *answer, *entries, *e, *rev, *op, *value;
	size_t i, n;
	int ret;

	ret = gate_entries(args, "history", "key", lkey, &answer, &entries);
	if (ret)
		return ret;
	n = json_object_array_length(entries);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(entries, i);
		if (!json_object_object_get_ex(e, "rev", &rev) ||
		    !json_object_object_get_ex(e, "op", &op) ||
		    !json_object_object_get_ex(e, "value", &value))
			continue;
		printf("%s rev %" PRIu64 " %s %s\n", lkey,
		       (uint64_t)json_object_get_uint64(rev),
		       json_object_get_string(op),
		       json_object_get_string(value));
	}
	json_object_put(answer);
	return EXIT_OK;
}

/* Prints the history of one logical key: EXIT_OK, or EXIT_NOT_FOUND. */
static int print_history(struct city_args *args, const char *lkey)
{
	char bucket[SYNC_BUCKET_LEN], key[SYNC_KEY_LEN];
	kvEntryList list = { 0 };
	struct store st;
	const char *why;
	natsStatus s;
	int ret, i;
	kvEntry *e;

	if (args->session_path)
		return gate_history(args, lkey);
	if (store_map(args->so.city, lkey, bucket, key, &why))
		return report_error(EINVAL, why, "name the key %s", lkey);
	ret = store_open(&args->so, bucket, &st);
	if (ret)
		return ret;
	s = kvStore_History(&list, st.kv, key, NULL);
	if (s == NATS_NOT_FOUND) {
		ret = EXIT_NOT_FOUND;
	} else if (s != NATS_OK) {
		ret = report_nats(s, "read the history of %s", lkey);
	} else {
		for (i = 0; i < list.Count; i++) {
			e = list.Entries[i];
			printf("%s rev %" PRIu64 " %s %.*s\n", lkey,
			       kvEntry_Revision(e),
			       kvEntry_Operation(e) == kvOp_Put ? "put" :
			       "del", kvEntry_ValueLen(e),
			       (const char *)kvEntry_Value(e));
		}
	}
	kvEntryList_Destroy(&list);
	store_close(&st);
	return ret;
}

/*
 * history [--router NAME] DEVICE: every value the city kept for DEVICE,
 * on the lists and on that street, oldest first per key.
 */
static int device_history_main(int argc, char *argv[])
{
	static const char *const lists[] = { "deny", "revoke", "quarantine" };
	char lkey[SYNC_KEY_LEN];
	struct city_args args;
	int ret, found = 0;
	size_t i;

	ret = city_parse(argc, argv, "[OPTIONS] [--router NAME] DEVICE\n\n"
			 "Prints every value the city kept for DEVICE: on "
			 "its street (with\n--router) and on the city-wide "
			 "lists, as KEY rev N put|del VALUE.\n\n"
			 CITY_OPTIONS_HELP, false, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (args.so.router) {
		snprintf(lkey, sizeof(lkey), "street.%s.dev.%s",
			 args.so.router, args.token);
		args.so.router = NULL;
		ret = print_history(&args, lkey);
		if (ret != EXIT_OK && ret != EXIT_NOT_FOUND)
			return ret;
		found += ret == EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		snprintf(lkey, sizeof(lkey), "city.%s.%s", lists[i],
			 args.token);
		ret = print_history(&args, lkey);
		if (ret != EXIT_OK && ret != EXIT_NOT_FOUND)
			return ret;
		found += ret == EXIT_OK;
	}
	if (!found) {
		fprintf(stderr, "%s: the city has no value for %s\n",
			prog_name, argv[argc - 1]);
		return EXIT_NOT_FOUND;
	}
	return EXIT_OK;
}

/* What list prints before each key: the logical key's first tokens. */
static void print_listed(kvEntry *e, void *prefix)
{
	if (kvEntry_Operation(e) != kvOp_Put)
		return;
	printf("%s%s rev %" PRIu64 " %.*s\n", (const char *)prefix,
	       kvEntry_Key(e), kvEntry_Revision(e), kvEntry_ValueLen(e),
	       (const char *)kvEntry_Value(e));
}

/* The keys of pattern as the gate gives them (GATE_LIST_MAX at most). */
static int gate_list(struct city_args *args, const char *pattern)
{
	struct json_object *answer, *entries, *e, *key, *rev, *value, *more;
	size_t i, n;
	int ret;

	ret = gate_entries(args, "list", "pattern", pattern, &answer,
			   &entries);
	if (ret)
		return ret;
	n = json_object_array_length(entries);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(entries, i);
		if (!json_object_object_get_ex(e, "key", &key) ||
		    !json_object_object_get_ex(e, "rev", &rev) ||
		    !json_object_object_get_ex(e, "value", &value))
			continue;
		printf("%s rev %" PRIu64 " %s\n", json_object_get_string(key),
		       (uint64_t)json_object_get_uint64(rev),
		       json_object_get_string(value));
	}
	if (json_object_object_get_ex(answer, "more", &more) &&
	    json_object_get_boolean(more))
		fprintf(stderr, "%s: the gate sends the first %zu keys of "
			"%s; the administrator's certificate lists them all\n",
			prog_name, n, pattern);
	json_object_put(answer);
	return EXIT_OK;
}

/*
 * list --router NAME | deny | revoke | quarantine: the newest value of
 * each key of a street, or of a city-wide list.
 */
static int list_main(int argc, char *argv[])
{
	static const char *const lists[] = { "deny", "revoke", "quarantine" };
	char pattern[SYNC_KEY_LEN], bucket[SYNC_BUCKET_LEN], key[SYNC_KEY_LEN];
	char prefix[SYNC_KEY_LEN];
	struct city_args args;
	const char *why;
	struct store st;
	natsStatus s;
	size_t i;
	int ret;

	ret = city_parse_options(argc, argv, "[OPTIONS] "
				 "{--router NAME | deny | revoke | quarantine}"
				 "\n\nPrints the devices of router NAME's "
				 "street, or those on a city-wide\nlist, as "
				 "KEY rev N VALUE (each key's newest value)."
				 "\n\n" CITY_OPTIONS_HELP, false, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (argc - optind > 1 || (argc - optind == 1) == !!args.so.router)
		return usage_error(argv[0], "expected --router NAME or one "
				   "of deny, revoke, quarantine");
	if (args.so.router) {
		snprintf(pattern, sizeof(pattern), "street.%s.dev.>",
			 args.so.router);
		args.so.router = NULL;
	} else {
		for (i = 0; i < ARRAY_SIZE(lists); i++)
			if (!strcmp(argv[optind], lists[i]))
				break;
		if (i == ARRAY_SIZE(lists))
			return usage_error(argv[0], "no list `%s': deny, "
					   "revoke or quarantine",
					   argv[optind]);
		snprintf(pattern, sizeof(pattern), "city.%s.>", lists[i]);
	}
	ret = city_parse_done(argv[0], &args);
	if (ret)
		return ret;
	if (store_map(args.so.city, pattern, bucket, key, &why))
		return usage_error(argv[0], "bad router: %s", why);
	if (args.session_path)
		return gate_list(&args, pattern);
	ret = store_open(&args.so, bucket, &st);
	if (ret)
		return ret;
	snprintf(prefix, sizeof(prefix), "%.*s",
		 (int)(strlen(pattern) - strlen(key)), pattern);
	s = store_newest(st.kv, key, print_listed, prefix);
	if (s != NATS_OK)
		ret = report_nats(s, "list %s", pattern);
	store_close(&st);
	return ret;
}

/* Exit status of applied when a router has not taken the revision. */
#define EXIT_BEHIND 4

/* What applied counts, and prints a line of per router. */
struct applied_count {
	uint64_t rev;
	unsigned int have, all;
};

static void count_router(const char *router, int64_t took, void *data)
{
	struct applied_count *c = data;

	c->all++;
	if (took >= (int64_t)c->rev) {
		c->have++;
		printf("%s applied (took %" PRId64 ")\n", router, took);
	} else if (took < 0) {
		printf("%s not reported\n", router);
	} else {
		printf("%s behind (took %" PRId64 ")\n", router, took);
	}
}

/* The routers' progress as the gate gives it, through count_router. */
static int gate_applied(struct city_args *args, const char *lkey,
			struct applied_count *c)
{
	struct json_object *answer, *entries, *e, *router, *took;
	size_t i, n;
	int ret;

	ret = gate_entries(args, "applied", "key", lkey, &answer, &entries);
	if (ret)
		return ret;
	n = json_object_array_length(entries);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(entries, i);
		if (json_object_object_get_ex(e, "router", &router) &&
		    json_object_object_get_ex(e, "took", &took))
			count_router(json_object_get_string(router),
				     json_object_get_int64(took), c);
	}
	json_object_put(answer);
	return EXIT_OK;
}

/*
 * applied KEY REV: which routers have taken revision REV of KEY (a
 * city-wide list's key: every router; a street's: its router).
 */
static int applied_main(int argc, char *argv[])
{
	char router[SYNC_ROUTER_LEN];
	struct applied_count c = { 0 };
	struct city_args args;
	const char *what, *lkey, *why;
	struct store st;
	natsStatus s;
	int ret;

	ret = city_parse_options(argc, argv, "[OPTIONS] KEY REVISION\n\n"
				 "Which routers have taken REVISION of KEY "
				 "(as `enroll', `deny' or\n`revoke' printed "
				 "it: a city-wide list's key concerns every "
				 "router, a\nstreet's its router), by what "
				 "their agents report.\n\n" CITY_OPTIONS_HELP
				 "\nExit status 4 when a router has not.\n",
				 false, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (argc - optind != 2)
		return usage_error(argv[0], "expected KEY REVISION");
	lkey = argv[optind];
	if (iotguard_parse_count(argv[optind + 1], INT64_MAX, &c.rev, &why) ||
	    !c.rev)
		return usage_error(argv[0], "bad revision `%s'",
				   argv[optind + 1]);
	if (store_applied_of(lkey, router, &what))
		return usage_error(argv[0], "bad key `%s': not a street's "
				   "device nor a city-wide list's", lkey);
	ret = city_parse_done(argv[0], &args);
	if (ret)
		return ret;
	if (args.session_path) {
		ret = gate_applied(&args, lkey, &c);
		if (ret)
			return ret;
	} else {
		ret = store_open(&args.so, NULL, &st);
		if (ret)
			return ret;
		s = store_applied(&st, args.so.city, router, what,
				  count_router, &c);
		store_close(&st);
		if (s != NATS_OK)
			return report_nats(s, "list the city's streets");
	}
	printf("%u of %u routers have %s rev %" PRIu64 "\n", c.have, c.all,
	       lkey, c.rev);
	return c.have == c.all && c.all ? EXIT_OK : EXIT_BEHIND;
}

#define LOGIN_USAGE \
	"[OPTIONS] --console NAME --session FILE OPERATOR\n\n" \
	"Logs OPERATOR in at the city's gate: reads the password, then the " \
	"TOTP\ncode of the authenticator app, a line each from stdin " \
	"(prompted on a\nterminal), and keeps the session in FILE for the " \
	"verbs that follow.\n\n" \
	"      --console NAME  this console's name (its certificate's " \
	"console-NAME)\n" \
	"  -S, --session FILE  where the session goes (made 0600)\n" \
	"      --lifetime SECONDS  a shorter session than the gate's " \
	"longest\n" \
	STORE_OPTIONS_HELP \
	"  -h, --help        show this help and exit\n"

static int login_main(int argc, char *argv[])
{
	static const struct option options[] = {
		STORE_LONG_OPTIONS,
		{ "console", required_argument, NULL, 'N' },
		{ "session", required_argument, NULL, 'S' },
		{ "lifetime", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *req, *answer = NULL, *v;
	struct city_session *cs;
	char password[256], code[16];
	struct city_args args;
	uint64_t lifetime = 0;
	const char *why;
	int opt, ret = EXIT_OK;

	memset(&args, 0, sizeof(args));
	cs = &args.session;
	args.so.city = SYNC_CITY;
	optind = 1;
	while ((opt = store_next_option(argc, argv,
					STORE_SHORT_OPTIONS "S:h",
					options, &args.so)) != -1) {
		switch (opt) {
		case 'N':
			if (sync_check_router(optarg, &why))
				return usage_error(argv[0], "bad console `%s':"
						   " %s", optarg, why);
			strcpy(cs->console, optarg);
			break;
		case 'S':
			args.session_path = optarg;
			break;
		case 'L':
			if (iotguard_parse_count(optarg, GATE_LIFETIME_MAX,
						 &lifetime, &why) || !lifetime)
				return usage_error(argv[0], "bad lifetime "
						   "`%s'", optarg);
			break;
		case 'h':
			printf("Usage: %s %s " LOGIN_USAGE, prog_name, argv[0]);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return usage_error(argv[0], "expected the operator's name");
	if (sync_check_router(argv[optind], &why))
		return usage_error(argv[0], "bad operator `%s': %s",
				   argv[optind], why);
	strcpy(cs->operator, argv[optind]);
	if (!cs->console[0] || !args.session_path)
		return usage_error(argv[0], "--console and --session are "
				   "needed");
	if (args.so.router)
		return usage_error(argv[0], "a router cannot log in");
	ret = store_options_check(argv[0], &args.so);
	if (ret)
		return ret;
	console_opts(&args);
	ret = cmdline_read_secret("Password: ", password, sizeof(password));
	if (!ret)
		ret = cmdline_read_secret("Code: ", code, sizeof(code));
	if (ret) {
		ret = report_error(-ret, NULL, "read the password and code");
		goto cleanup;
	}
	req = json_object_new_object();
	json_object_object_add(req, "operator",
			       json_object_new_string(cs->operator));
	json_object_object_add(req, "password",
			       json_object_new_string(password));
	json_object_object_add(req, "code", json_object_new_string(code));
	if (lifetime)
		json_object_object_add(req, "lifetime",
				       json_object_new_int64(lifetime));
	ret = gate_request(&args, "login", cs->operator, req, &answer);
	if (ret)
		goto cleanup;
	if (!copy_member(answer, "token", cs->token, sizeof(cs->token)) ||
	    !json_object_object_get_ex(answer, "expires", &v)) {
		ret = report_error(EPROTO, "not the gate's answer", "log in");
		goto cleanup;
	}
	cs->expires = json_object_get_int64(v);
	ret = save_session(&args);
	if (!ret)
		printf("%s logged in until %" PRId64 "\n", cs->operator,
		       cs->expires);
cleanup:
	explicit_bzero(password, sizeof(password));
	explicit_bzero(code, sizeof(code));
	explicit_bzero(cs->token, sizeof(cs->token));
	json_object_put(answer);
	return ret;
}

static int logout_main(int argc, char *argv[])
{
	static const struct option options[] = {
		STORE_LONG_OPTIONS,
		{ "session", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *answer = NULL;
	struct city_args args;
	int opt, ret = EXIT_OK;

	memset(&args, 0, sizeof(args));
	args.so.city = SYNC_CITY;
	optind = 1;
	while ((opt = store_next_option(argc, argv,
					STORE_SHORT_OPTIONS "S:h",
					options, &args.so)) != -1) {
		switch (opt) {
		case 'S':
			args.session_path = optarg;
			break;
		case 'h':
			printf("Usage: %s %s --session FILE [OPTIONS]\n\n"
			       "Ends the session in FILE at the gate, and "
			       "removes FILE.\n\n"
			       "  -S, --session FILE  as `login' left it\n"
			       STORE_OPTIONS_HELP
			       "  -h, --help        show this help and exit\n",
			       prog_name, argv[0]);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return usage_error(argv[0], "unexpected `%s'", argv[optind]);
	if (!args.session_path)
		return usage_error(argv[0], "no --session");
	ret = store_options_check(argv[0], &args.so);
	if (!ret)
		ret = load_session(&args);
	if (!ret)
		ret = gate_request(&args, "logout", args.session.operator,
				   json_object_new_object(), &answer);
	json_object_put(answer);
	if (!ret && unlink(args.session_path))
		ret = report_error(errno, NULL, "remove %s",
				   args.session_path);
	return ret;
}

static const struct cmdline_command subcommands[] = {
	{ "enroll", enroll_main, "Enrolls or changes a device on a street" },
	{ "remove", remove_main, "Removes a device from a street" },
	{ "deny", deny_main, "Denies a device on every router" },
	{ "allow", allow_main, "Lifts a city-wide deny" },
	{ "revoke", revoke_main, "Revokes a device on every router" },
	{ "unrevoke", unrevoke_main, "Lifts a city-wide revocation" },
	{ "quarantine", quarantine_main, "Holds a device back everywhere" },
	{ "release", release_main, "Lifts a city-wide quarantine" },
	{ "list", list_main, "Lists a street's devices or a city-wide list" },
	{ "history", device_history_main, "Shows every value a device had" },
	{ "applied", applied_main, "Which routers have taken a revision" },
	{ "login", login_main, "Logs an operator in at the gate" },
	{ "logout", logout_main, "Ends an operator's session" },
};

static void show_usage(FILE *f)
{
	fprintf(f, "Usage: %s [-h|--help] [-V|--version] <command> "
		"[<args>]\n\n", prog_name);
	fputs("The operator's verbs on the city's iotguard policy (NATS "
	      "JetStream\nbuckets; Documentation/fleet.rst).\n\n"
	      "Available commands:\n", f);
	cmdline_list_commands(f, subcommands, ARRAY_SIZE(subcommands), 11);
	fputs("\nExit status:\n"
	      "  0  success\n"
	      "  1  usage error (bad command, option or value)\n"
	      "  2  the store or the system refused; the reason is "
	      "printed\n"
	      "  3  history: the city has no value for the device\n"
	      "  4  applied: a router has not taken the revision\n\n", f);
	fprintf(f, "Use `%s <command> --help' for help on a command.\n",
		prog_name);
}

int main(int argc, char *argv[])
{
	int ret = cmdline_run(argc, argv, "iotguard-city", subcommands,
			      ARRAY_SIZE(subcommands), show_usage);

	/* libnats' threads and memory, before exit. */
	nats_Close();
	return ret;
}
