// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard-city: the operator's verbs on the city's buckets
 * (Documentation/fleet.rst): enroll a device on a street, remove it,
 * deny or revoke it city-wide and lift that, list what the city wants,
 * show a device's history. It writes values as the agents read them
 * (user/iotguard-sync/policy.c), with the operator's certificate.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "store.h"

const char *prog_name;

struct city_args {
	struct store_opts so;
	const char *by;
	const char *reason;
	struct iotguard_device dev;	/* the operand; enroll's fields */
	bool pin;
	char token[IOTGUARD_ADDR_STRLEN];
};

#define CITY_OPTIONS_HELP \
	STORE_OPTIONS_HELP \
	"      --by WHO      who makes the change, kept with it (default " \
	"operator)\n" \
	"  -h, --help        show this help and exit\n"

static const struct option city_options[] = {
	STORE_LONG_OPTIONS,
	{ "by", required_argument, NULL, 'Y' },
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

/*
 * Parses a verb's options and its one operand, the device. fields: the
 * verb takes enroll's. EXIT_OK, EXIT_USAGE, or -1 after --help.
 */
static int city_parse(int argc, char *argv[], const char *usage,
		      bool fields, struct city_args *args)
{
	const char *why;
	int opt, err = EXIT_OK;

	memset(args, 0, sizeof(*args));
	args->so.city = SYNC_CITY;
	args->by = "operator";
	optind = 1;
	while ((opt = next_option(argv[0], argc, argv,
				  STORE_SHORT_OPTIONS "h",
				  city_options)) != -1) {
		if (store_option(argv[0], opt, optarg, &args->so, &err)) {
			if (err)
				return err;
			continue;
		}
		switch (opt) {
		case 'h':
			printf("Usage: %s %s %s", prog_name, argv[0], usage);
			return -1;
		case 'Y':
			args->by = optarg;
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
	if (argc - optind != 1)
		return usage_error(argv[0], "expected one device");
	if (iotguard_parse_identity(argv[optind], &args->dev.id, &why))
		return usage_error(argv[0], "bad device `%s': %s",
				   argv[optind], why);
	if (sync_identity_token(&args->dev.id, args->token,
				sizeof(args->token)))
		return usage_error(argv[0], "bad device `%s'", argv[optind]);
	return store_options_check(argv[0], &args->so);
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

/* Puts value (NULL: deletes) under the logical key lkey. */
static int write_key(const struct city_args *args, const char *lkey,
		     const char *value)
{
	char bucket[SYNC_BUCKET_LEN], key[SYNC_KEY_LEN];
	struct store st;
	const char *why;
	uint64_t rev = 0;
	natsStatus s;
	int ret;

	if (store_map(args->so.city, lkey, bucket, key, &why))
		return report_error(EINVAL, why, "name the key %s", lkey);
	ret = store_open(&args->so, bucket, &st);
	if (ret)
		return ret;
	s = value ? kvStore_PutString(&rev, st.kv, key, value) :
		    kvStore_Delete(st.kv, key);
	if (s != NATS_OK)
		ret = report_nats(s, "%s %s", value ? "put" : "delete", lkey);
	else if (value)
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

static int unrevoke_main(int argc, char *argv[])
{
	return list_verb(argc, argv, "revoke", false, "[OPTIONS] DEVICE\n\n"
			 "Lifts the city-wide revocation of DEVICE.\n\n"
			 CITY_OPTIONS_HELP);
}

/* Prints the history of one logical key: EXIT_OK, or EXIT_NOT_FOUND. */
static int print_history(const struct city_args *args, const char *lkey)
{
	char bucket[SYNC_BUCKET_LEN], key[SYNC_KEY_LEN];
	kvEntryList list = { 0 };
	struct store st;
	const char *why;
	natsStatus s;
	int ret, i;
	kvEntry *e;

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
	static const char *const lists[] = { "deny", "revoke" };
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

static const struct cmdline_command subcommands[] = {
	{ "enroll", enroll_main, "Enrolls or changes a device on a street" },
	{ "remove", remove_main, "Removes a device from a street" },
	{ "deny", deny_main, "Denies a device on every router" },
	{ "allow", allow_main, "Lifts a city-wide deny" },
	{ "revoke", revoke_main, "Revokes a device on every router" },
	{ "unrevoke", unrevoke_main, "Lifts a city-wide revocation" },
	{ "history", device_history_main, "Shows every value a device had" },
};

static void show_usage(FILE *f)
{
	fprintf(f, "Usage: %s [-h|--help] [-V|--version] <command> "
		"[<args>]\n\n", prog_name);
	fputs("The operator's verbs on the city's iotguard policy (NATS "
	      "JetStream\nbuckets; Documentation/fleet.rst).\n\n"
	      "Available commands:\n", f);
	cmdline_list_commands(f, subcommands, ARRAY_SIZE(subcommands), 9);
	fputs("\nExit status:\n"
	      "  0  success\n"
	      "  1  usage error (bad command, option or value)\n"
	      "  2  the store or the system refused; the reason is "
	      "printed\n"
	      "  3  history: the city has no value for the device\n\n", f);
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
