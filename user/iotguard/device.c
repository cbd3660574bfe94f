// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard device add|set|del|show|list
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include "cli.h"
#include "json.h"
#include "parse.h"
#include "array.h"
#include "devfile.h"

/* getopt's codes for the options of enum iotguard_devopt. */
#define OPT_BASE 256

static struct option change_options[IOTGUARD_OPT_COUNT + 2];

/* --NAME for every option a device file takes, and --help. */
static const struct option *change_longopts(void)
{
	int i;

	for (i = 0; i < IOTGUARD_OPT_COUNT; i++)
		change_options[i] = (struct option){
			iotguard_devopts[i].name,
			iotguard_devopts[i].has_arg ? required_argument :
						      no_argument,
			NULL, OPT_BASE + i };
	change_options[i] = (struct option){ "help", no_argument, NULL, 'h' };
	return change_options;
}

static const struct option show_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void show_usage(FILE *f)
{
	fprintf(f, "Usage: %s device add ID [OPTIONS]\n"
		"       %s device add --mac MAC [OPTIONS]\n"
		"       %s device set ID [OPTIONS]\n"
		"       %s device del ID\n"
		"       %s device show ID [-j|--json]\n"
		"       %s device list [--state STATE] [--class CLASS]\n"
		"             [--by daemon|operator] [--alerts FILE] [-j]\n"
		"       %s device release ID...|--all-by-daemon [--dry-run]\n"
		"       %s device import FILE.csv [--dry-run] [--replace] "
		"[-v] [-j]\n\n",
		prog_name, prog_name, prog_name, prog_name, prog_name,
		prog_name, prog_name, prog_name);
	fputs("Enrolls, changes, deletes and shows the devices allowed\n"
	      "to send through the guarded interfaces. ID is the\n"
	      "device's IPv4 or IPv6 source address; or an IPv6 prefix\n"
	      "ADDR/LEN, whose every address (SLAAC, temporary) is that\n"
	      "one device; or for a device\n"
	      "enrolled by MAC (add --mac MAC with no address), its MAC:\n"
	      "such a device takes its IPv4 address from DHCP, and its\n"
	      "IP traffic passes from the address the server leased it\n"
	      "only, while the lease lasts (show lists the lease).\n\n"
	      "Options of add and set (set changes only those given):\n"
	      "  --name NAME      a label, at most 31 bytes\n"
	      "  --mac MAC        the only source MAC the device may\n"
	      "                   use (aa:bb:cc:dd:ee:ff); none binds\n"
	      "                   none (default)\n"
	      "  --state STATE    allow (default), deny or quarantine\n"
	      "  --class CLASS    generic (default), light, sensor,\n"
	      "                   camera, meter, gateway or 0-65535\n"
	      "  --rate PPS       packets per second: 100, 100/s, 2k,\n"
	      "                   1.5M; 0 (default) is no limit\n"
	      "  --burst N        packets allowed back to back; 0\n"
	      "                   (default) is 1/10 s of the rate\n"
	      "  --byte-rate BPS  bytes per second: 125k, 12.5M/s;\n"
	      "                   0 (default) is no limit\n"
	      "  --byte-burst N   bytes allowed back to back; 0\n"
	      "                   (default) is 1/10 s of the rate\n"
	      "  --pin            the operator fixed the state:\n"
	      "                   daemons must not change it\n"
	      "  --unpin          daemons may change it again\n\n"
	      "Suffixes k, M and G are decimal (1k = 1000).\n\n"
	      "import enrolls the devices of an inventory CSV: a header\n"
	      "line names the columns (identity or address, mac, name,\n"
	      "class, rate, burst, byte_rate, byte_burst, state, pin),\n"
	      "one device a record; an empty cell is an option not\n"
	      "given. A device enrolled already and as the CSV says is\n"
	      "left alone; one that differs is reported and left alone\n"
	      "(exit 3), or with --replace changed to what the CSV says.\n"
	      "--dry-run changes nothing, -v lists every device.\n\n"
	      "list shows the devices of a state, a class, or whose state\n"
	      "was set by a daemon (iotguardd) or an operator; --by daemon\n"
	      "adds since when and why, from the daemon's alerts file\n"
	      "(--alerts, default " ALERTS_FILE ").\n"
	      "release allows the devices named, or every device whose\n"
	      "state a daemon set (a rollback): the state is then the\n"
	      "operator's.\n\n"
	      "Exit status: 0 done, 1 usage or parse error, 2 the kernel\n"
	      "refused, 3 the device is enrolled already (add) or\n"
	      "enrolled and differs (import).\n", f);
}

/*
 * Parses "ADDR [OPTIONS]" after argv[0], with the device options of
 * devfile.h (the ones a device file takes) or, for show, -j. Returns
 * EXIT_OK, EXIT_USAGE, or -1 after --help.
 */
static int parse_args(const char *command, int argc, char *argv[], bool show,
		      struct iotguard_devspec *args)
{
	char err[IOTGUARD_DEVFILE_ERRLEN];
	const char *why = NULL;
	int opt;

	memset(args, 0, sizeof(*args));
	optind = 0;
	while ((opt = next_option(command, argc, argv, show ? "hj" : "h",
				  show ? show_options :
					 change_longopts())) != -1) {
		if (opt == '?')
			return EXIT_USAGE;
		if (opt == 'h') {
			show_usage(stdout);
			return -1;
		}
		if (opt == 'j') {
			json_output = true;
			continue;
		}
		if (iotguard_devopt_apply(args, opt - OPT_BASE, optarg, err,
					  sizeof(err)))
			return usage_error(command, "%s", err);
	}
	/* add --mac MAC alone: the device is enrolled by its MAC. */
	if (optind >= argc && !strcmp(command, "device add") &&
	    (args->dev.present & IOTGUARD_DEV_MAC)) {
		args->dev.id.family = AF_PACKET;
		memcpy(args->dev.id.addr, args->dev.mac, sizeof(args->dev.mac));
		return EXIT_OK;
	}
	if (optind >= argc)
		return usage_error(command,
				   "missing the device's address or MAC");
	if (optind + 1 < argc)
		return usage_error(command, "unexpected argument `%s'",
				   argv[optind + 1]);
	if (iotguard_parse_identity(argv[optind], &args->dev.id, &why))
		return usage_error(command, "invalid address or MAC `%s': %s",
				   argv[optind], why);
	if (iotguard_devspec_check(args, err, sizeof(err)))
		return usage_error(command, "%s", err);
	return EXIT_OK;
}

static int apply_pin(struct iotguard_nl *nl,
		     const struct iotguard_devspec *args,
		     struct iotguard_device *dev, bool existing)
{
	struct iotguard_device current;
	char addr[IOTGUARD_ADDR_STRLEN];
	int ret;

	if (!args->pin)
		return EXIT_OK;
	dev->flags = 0;
	if (existing) {
		/*
		 * Keep the flags this tool does not know of; but never send
		 * F_AUTO: an operator's change is not a daemon's.
		 */
		ret = iotguard_nl_device_get(nl, &dev->id, &current);
		if (ret)
			return report_error(ret, iotguard_nl_extack(nl),
					    "change device %s",
					    iotguard_format_addr(&dev->id, addr,
								 sizeof(addr)));
		dev->flags = current.flags & ~IOTGUARD_DEVICE_F_AUTO;
	}
	if (args->pin > 0)
		dev->flags |= IOTGUARD_DEVICE_F_PINNED;
	else
		dev->flags &= ~IOTGUARD_DEVICE_F_PINNED;
	dev->present |= IOTGUARD_DEV_FLAGS;
	return EXIT_OK;
}

static int change_main(int argc, char *argv[], bool add)
{
	const char *command = add ? "device add" : "device set";
	char addr[IOTGUARD_ADDR_STRLEN];
	struct iotguard_nl *nl = NULL;
	struct iotguard_devspec args;
	int ret;

	ret = parse_args(command, argc, argv, false, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (!add && !args.dev.present && !args.pin)
		return usage_error(command, "nothing to change");
	ret = open_nl(&nl);
	if (ret)
		goto cleanup;
	ret = apply_pin(nl, &args, &args.dev, !add);
	if (ret)
		goto cleanup;
	ret = add ? iotguard_nl_device_new(nl, &args.dev) :
		    iotguard_nl_device_set(nl, &args.dev);
	iotguard_format_addr(&args.dev.id, addr, sizeof(addr));
	if (ret) {
		bool exists = add && ret == -EEXIST;

		ret = report_error(ret, iotguard_nl_extack(nl),
				   "%s device %s", add ? "add" : "change",
				   addr);
		if (exists)
			ret = EXIT_EXISTS;
		goto cleanup;
	}
	report_warning(nl);
	ret = EXIT_OK;

cleanup:
	iotguard_nl_close(nl);
	return ret;
}

static int del_main(int argc, char *argv[])
{
	char addr[IOTGUARD_ADDR_STRLEN];
	struct iotguard_nl *nl = NULL;
	struct iotguard_devspec args;
	int ret;

	ret = parse_args("device del", argc, argv, false, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (args.dev.present || args.pin)
		return usage_error("device del", "del takes no options");
	ret = open_nl(&nl);
	if (ret)
		goto cleanup;
	ret = iotguard_nl_device_del(nl, &args.dev.id);
	if (ret) {
		ret = report_error(ret, iotguard_nl_extack(nl),
				   "delete device %s",
				   iotguard_format_addr(&args.dev.id, addr,
							sizeof(addr)));
		goto cleanup;
	}
	report_warning(nl);
	ret = EXIT_OK;

cleanup:
	iotguard_nl_close(nl);
	return ret;
}

/* Who set the device's state: a daemon's automatic change, or not. */
static const char *set_by(const struct iotguard_device *dev)
{
	return dev->flags & IOTGUARD_DEVICE_F_AUTO ? "daemon" : "operator";
}

void json_device(struct iotguard_json *json, const struct iotguard_device *dev)
{
	char buf[IOTGUARD_ADDR_STRLEN];
	static const uint8_t no_mac[6];

	iotguard_json_object_start(json);
	iotguard_json_kv_string(json, "address",
				iotguard_format_addr(&dev->id, buf,
						     sizeof(buf)));
	iotguard_json_kv_string(json, "family",
				dev->id.family == AF_INET ? "inet" :
				dev->id.family == AF_INET6 ? "inet6" : "mac");
	iotguard_json_kv_u64(json, "index", dev->index);
	iotguard_json_kv_u64(json, "cookie", dev->cookie);
	iotguard_json_kv_string(json, "name", dev->name);
	if (memcmp(dev->mac, no_mac, sizeof(no_mac)))
		iotguard_json_kv_string(json, "mac",
					iotguard_format_mac(dev->mac, buf,
							    sizeof(buf)));
	else
		iotguard_json_kv_null(json, "mac");
	iotguard_json_kv_string(json, "state",
				iotguard_state_name(dev->state) ?
				iotguard_state_name(dev->state) : "unknown");
	iotguard_json_kv_u64(json, "class_id", dev->class);
	iotguard_json_kv_string(json, "class",
				iotguard_class_name(dev->class));
	iotguard_json_kv_u64(json, "rate_pps", dev->rate_pps);
	iotguard_json_kv_u64(json, "burst_pkts", dev->burst_pkts);
	iotguard_json_kv_u64(json, "rate_bps", dev->rate_bps);
	iotguard_json_kv_u64(json, "burst_bytes", dev->burst_bytes);
	iotguard_json_kv_u64(json, "flags", dev->flags);
	iotguard_json_kv_bool(json, "pinned",
			      dev->flags & IOTGUARD_DEVICE_F_PINNED);
	iotguard_json_kv_string(json, "set_by", set_by(dev));
	if (dev->present & IOTGUARD_DEV_STATE_SECONDS)
		iotguard_json_kv_u64(json, "state_seconds", dev->state_seconds);
	else
		iotguard_json_kv_null(json, "state_seconds");
	if (dev->present & IOTGUARD_DEV_LEASE) {
		inet_ntop(AF_INET, dev->lease_addr, buf, sizeof(buf));
		iotguard_json_kv_string(json, "lease", buf);
		if (dev->lease_seconds == UINT32_MAX)
			iotguard_json_kv_null(json, "lease_seconds");
		else
			iotguard_json_kv_u64(json, "lease_seconds",
					     dev->lease_seconds);
	} else if (dev->id.family == AF_PACKET) {
		iotguard_json_kv_null(json, "lease");
		iotguard_json_kv_null(json, "lease_seconds");
	}
	iotguard_json_object_end(json);
}

/* "198.18.1.50 (3600 s)" for a device enrolled by MAC; "-" otherwise. */
static const char *format_lease(const struct iotguard_device *dev, char *buf,
				size_t len)
{
	char addr[INET_ADDRSTRLEN];

	if (!(dev->present & IOTGUARD_DEV_LEASE))
		snprintf(buf, len, dev->id.family == AF_PACKET ? "none" : "-");
	else if (dev->lease_seconds == UINT32_MAX)
		snprintf(buf, len, "%s (infinite)",
			 inet_ntop(AF_INET, dev->lease_addr, addr,
				   sizeof(addr)));
	else
		snprintf(buf, len, "%s (%u s)",
			 inet_ntop(AF_INET, dev->lease_addr, addr,
				   sizeof(addr)), dev->lease_seconds);
	return buf;
}

static const char *format_rate(uint64_t rate, char *buf, size_t len)
{
	char count[32];

	if (!rate)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s/s",
			 iotguard_format_count(rate, count, sizeof(count)));
	return buf;
}

static const char *format_class(unsigned int class, char *buf, size_t len)
{
	const char *name = iotguard_class_name(class);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%u", class);
	return buf;
}

static const char *format_state(unsigned int state, char *buf, size_t len)
{
	const char *name = iotguard_state_name(state);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "unknown(%u)", state);
	return buf;
}

static int table_add_device(struct table *table,
			    const struct iotguard_device *dev)
{
	char index[16], addr[IOTGUARD_ADDR_STRLEN], mac[IOTGUARD_MAC_STRLEN];
	char state[32], class[16], rate[32], burst[32], byte_rate[32];
	char byte_burst[32], lease[48];
	static const uint8_t no_mac[6];

	snprintf(index, sizeof(index), "%u", dev->index);
	if (memcmp(dev->mac, no_mac, sizeof(no_mac)))
		iotguard_format_mac(dev->mac, mac, sizeof(mac));
	else
		snprintf(mac, sizeof(mac), "-");
	snprintf(burst, sizeof(burst), "%u", dev->burst_pkts);
	snprintf(byte_burst, sizeof(byte_burst), "%u", dev->burst_bytes);
	return table_add(table, index,
			 iotguard_format_addr(&dev->id, addr, sizeof(addr)),
			 *dev->name ? dev->name : "-",
			 format_state(dev->state, state, sizeof(state)),
			 format_class(dev->class, class, sizeof(class)), mac,
			 format_rate(dev->rate_pps, rate, sizeof(rate)),
			 dev->rate_pps ? burst : "-",
			 format_rate(dev->rate_bps, byte_rate,
				     sizeof(byte_rate)),
			 dev->rate_bps ? byte_burst : "-",
			 dev->flags & IOTGUARD_DEVICE_F_PINNED ? "pinned" :
			 dev->flags & IOTGUARD_DEVICE_F_AUTO ? "daemon" : "-",
			 format_lease(dev, lease, sizeof(lease)));
}

static void table_init_devices(struct table *table)
{
	table_init(table, 12, 1U << 0 | 1U << 7 | 1U << 9);
	table_add(table, "INDEX", "ADDRESS", "NAME", "STATE", "CLASS", "MAC",
		  "RATE", "BURST", "BYTE-RATE", "BYTE-BURST", "FLAGS",
		  "LEASE");
}

static int show_main(int argc, char *argv[])
{
	char addr[IOTGUARD_ADDR_STRLEN];
	struct iotguard_nl *nl = NULL;
	struct iotguard_device dev;
	struct iotguard_devspec args;
	struct table table;
	int ret;

	ret = parse_args("device show", argc, argv, true, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = open_nl(&nl);
	if (ret)
		goto cleanup;
	ret = iotguard_nl_device_get(nl, &args.dev.id, &dev);
	if (ret) {
		ret = report_error(ret, iotguard_nl_extack(nl),
				   "show device %s",
				   iotguard_format_addr(&args.dev.id, addr,
							sizeof(addr)));
		goto cleanup;
	}
	if (json_output) {
		struct iotguard_json json;

		iotguard_json_init(&json, stdout);
		json_device(&json, &dev);
	} else {
		table_init_devices(&table);
		table_add_device(&table, &dev);
		table_print(&table, stdout, "");
		table_free(&table);
	}
	ret = EXIT_OK;

cleanup:
	iotguard_nl_close(nl);
	return ret;
}

static int collect_cb(const struct iotguard_device *dev, void *data)
{
	struct device_list *list = data;

	if (iotguard_array_reserve((void **)&list->devs, &list->size,
				   list->count, sizeof(*list->devs)))
		return -ENOMEM;
	list->devs[list->count++] = *dev;
	return 0;
}

int open_and_list(struct iotguard_nl **nlp, struct device_list *list)
{
	int ret;

	ret = open_nl(nlp);
	if (ret)
		return ret;
	list->count = 0;
	ret = iotguard_nl_device_dump(*nlp, collect_cb, list);
	if (ret)
		return report_error(ret, iotguard_nl_extack(*nlp),
				    "list the devices");
	return EXIT_OK;
}

/* device list's filters: 0 / NULL for "any". */
struct list_filter {
	uint8_t state;
	bool by_class;
	uint16_t class;
	const char *by;		/* "daemon" or "operator" */
	const char *alerts;	/* the daemon's alerts file, for --by daemon */
};

static bool wanted(const struct list_filter *filter,
		   const struct iotguard_device *dev)
{
	return (!filter->state || dev->state == filter->state) &&
	       (!filter->by_class || dev->class == filter->class) &&
	       (!filter->by || !strcmp(filter->by, set_by(dev)));
}

/* The daemon's states, with when and why from its alerts. */
static int print_daemon_states(const struct device_list *list,
			       const struct list_filter *filter,
			       const struct alerts *alerts)
{
	char addr[IOTGUARD_ADDR_STRLEN], state[32], since[32];
	char why[IOTGUARD_ALERT_TEXT_LEN], when[64];
	struct table table;
	size_t i;
	int ret = 0;

	table_init(&table, 6, 1U << 4);
	table_add(&table, "ADDRESS", "NAME", "STATE", "SINCE", "SECONDS",
		  "WHY");
	for (i = 0; i < list->count && !ret; i++) {
		const struct iotguard_device *dev = &list->devs[i];

		if (!wanted(filter, dev))
			continue;
		iotguard_format_addr(&dev->id, addr, sizeof(addr));
		if (!alerts_last_action(alerts, addr, why, sizeof(why), when,
					sizeof(when))) {
			snprintf(why, sizeof(why), "-");
			snprintf(when, sizeof(when), "-");
		}
		snprintf(since, sizeof(since), "%" PRIu32, dev->state_seconds);
		ret = table_add(&table, addr, *dev->name ? dev->name : "-",
				format_state(dev->state, state, sizeof(state)),
				when, since, why);
	}
	table_print(&table, stdout, "");
	table_free(&table);
	return ret;
}

static void print_devices(const struct device_list *list,
			  const struct list_filter *filter)
{
	struct iotguard_json json;
	struct table table;
	size_t i;

	if (json_output) {
		iotguard_json_init(&json, stdout);
		iotguard_json_object_start(&json);
		iotguard_json_key(&json, "devices");
		iotguard_json_array_start(&json);
		for (i = 0; i < list->count; i++)
			if (wanted(filter, &list->devs[i]))
				json_device(&json, &list->devs[i]);
		iotguard_json_array_end(&json);
		iotguard_json_object_end(&json);
		return;
	}
	table_init_devices(&table);
	for (i = 0; i < list->count; i++)
		if (wanted(filter, &list->devs[i]))
			table_add_device(&table, &list->devs[i]);
	table_print(&table, stdout, "");
	table_free(&table);
}

static const struct option list_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "state", required_argument, NULL, 's' },
	{ "class", required_argument, NULL, 'c' },
	{ "by", required_argument, NULL, 'b' },
	{ "alerts", required_argument, NULL, 'a' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* Returns EXIT_OK, EXIT_USAGE, or -1 after --help. */
static int parse_list_args(int argc, char *argv[],
			   struct list_filter *filter)
{
	const char *why;
	int opt;

	optind = 0;
	while ((opt = next_option("device list", argc, argv, "hj",
				  list_options)) != -1) {
		switch (opt) {
		case 'j':
			json_output = true;
			break;
		case 's':
			if (iotguard_parse_state(optarg, &filter->state, &why))
				return usage_error("device list",
						   "invalid state `%s': %s",
						   optarg, why);
			break;
		case 'c':
			if (iotguard_parse_class(optarg, &filter->class, &why))
				return usage_error("device list",
						   "invalid class `%s': %s",
						   optarg, why);
			filter->by_class = true;
			break;
		case 'b':
			if (strcmp(optarg, "daemon") &&
			    strcmp(optarg, "operator"))
				return usage_error("device list",
						   "--by: `%s' is neither daemon nor operator",
						   optarg);
			filter->by = optarg;
			break;
		case 'a':
			filter->alerts = optarg;
			break;
		case 'h':
			show_usage(stdout);
			return -1;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("device list", "unexpected argument `%s'",
				   argv[optind]);
	return EXIT_OK;
}

static int list_main(int argc, char *argv[])
{
	struct list_filter filter = { .alerts = ALERTS_FILE };
	struct device_list list = { 0 };
	struct alerts *alerts = NULL;
	struct iotguard_nl *nl = NULL;
	int ret;

	ret = parse_list_args(argc, argv, &filter);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = open_and_list(&nl, &list);
	if (ret)
		goto cleanup;
	if (filter.by && !strcmp(filter.by, "daemon") && !json_output) {
		ret = alerts_open(filter.alerts, &alerts);
		if (ret) {
			ret = report_error(ret, NULL, "read %s", filter.alerts);
			goto cleanup;
		}
		ret = print_daemon_states(&list, &filter, alerts);
		if (ret) {
			ret = report_error(ret, NULL, "list the devices");
			goto cleanup;
		}
	} else {
		print_devices(&list, &filter);
	}
	ret = EXIT_OK;

cleanup:
	alerts_close(alerts);
	free(list.devs);
	iotguard_nl_close(nl);
	return ret;
}

static int add_main(int argc, char *argv[])
{
	return change_main(argc, argv, true);
}

static int set_main(int argc, char *argv[])
{
	return change_main(argc, argv, false);
}

int device_main(int argc, char *argv[])
{
	static const struct {
		const char *name;
		int (*main)(int argc, char *argv[]);
	} commands[] = {
		{ "add", add_main }, { "set", set_main }, { "del", del_main },
		{ "show", show_main }, { "list", list_main },
		{ "import", import_main }, { "release", release_main },
	};
	size_t i;

	if (argc < 2) {
		show_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		show_usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].main(argc - 1, argv + 1);
	}
	return usage_error("device", "unknown device command `%s'", argv[1]);
}
