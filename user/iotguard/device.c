// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard device add|set|del|revoke|show|list
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
		"       %s device revoke ID\n"
		"       %s device enroll ID [--ttl DURATION] [--cred auth|seal]\n"
		"             [--expires WHEN] [--epoch-seconds N] [-j]\n"
		"       %s device show ID [-j|--json]\n"
		"       %s device list [--state STATE] [--class CLASS]\n"
		"             [--by daemon|operator] [--alerts FILE] [-j]\n"
		"       %s device release ID...|--all-by-daemon [--dry-run]\n"
		"       %s device import FILE.csv [--dry-run] [--replace] "
		"[-v] [-j]\n\n",
		prog_name, prog_name, prog_name, prog_name, prog_name,
		prog_name, prog_name, prog_name, prog_name, prog_name);
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
	      "  --unpin          daemons may change it again\n"
	      "  --cred MODE      auth: each UDP datagram carries a tag\n"
	      "                   of the device's key; seal: and its\n"
	      "                   body is encrypted; none: neither\n"
	      "                   (removes a credential, a revocation)\n"
	      "  --key FILE       the device's root key: 64 hex digits\n"
	      "                   and a newline (- reads standard input)\n"
	      "  --expires WHEN   the credential's end: Unix seconds,\n"
	      "                   +DURATION (+30d, +12h, +10m) or\n"
	      "                   never (default)\n"
	      "  --epoch-seconds N  the most an epoch lasts, 60 to\n"
	      "                   2147483647 s (default 86400)\n\n"
	      "Suffixes k, M and G are decimal (1k = 1000). A credential\n"
	      "is set whole: --cred auth or seal with --key, --expires\n"
	      "and --epoch-seconds only with them (else their default);\n"
	      "--cred none alone. revoke drops every frame of the device\n"
	      "until set gives it a new key, or --cred none.\n\n"
	      "enroll prints a one-time code for an enrolled device, good\n"
	      "for --ttl (default 10m: +DURATION without the +): the device\n"
	      "presents it to the router's enrollment port (iotguardd's\n"
	      "enroll_port) and gets its key, which never leaves the\n"
	      "kernel otherwise; --cred (default seal), --expires and\n"
	      "--epoch-seconds are the credential it gets.\n\n"
	      "import enrolls the devices of an inventory CSV: a header\n"
	      "line names the columns (identity or address, mac, name,\n"
	      "class, rate, burst, byte_rate, byte_burst, state, pin,\n"
	      "cred, key, expires, epoch_seconds), one device a record;\n"
	      "an empty cell is an option not given. A device enrolled\n"
	      "already and as the CSV says is left alone; one that\n"
	      "differs is reported and left alone (exit 3), or with\n"
	      "--replace changed to what the CSV says. --dry-run\n"
	      "changes nothing, -v lists every device.\n\n"
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

/* The work of parse_args(), which releases the key of a failed parse. */
static int parse_options(const char *command, int argc, char *argv[],
			 bool show, struct iotguard_devspec *args)
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
	} else if (optind >= argc) {
		return usage_error(command,
				   "missing the device's address or MAC");
	} else if (optind + 1 < argc) {
		return usage_error(command, "unexpected argument `%s'",
				   argv[optind + 1]);
	} else if (iotguard_parse_identity(argv[optind], &args->dev.id,
					   &why)) {
		return usage_error(command, "invalid address or MAC `%s': %s",
				   argv[optind], why);
	}
	if (iotguard_devspec_check(args, err, sizeof(err)))
		return usage_error(command, "%s", err);
	return EXIT_OK;
}

/*
 * Parses "ADDR [OPTIONS]" after argv[0], with the device options of
 * devfile.h (the ones a device file takes) or, for show, -j. Returns
 * EXIT_OK, EXIT_USAGE, or -1 after --help; on EXIT_OK, args is the
 * caller's to release (a key read by --key).
 */
static int parse_args(const char *command, int argc, char *argv[], bool show,
		      struct iotguard_devspec *args)
{
	int ret = parse_options(command, argc, argv, show, args);

	if (ret)
		iotguard_devspec_release(args);
	return ret;
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
	if (!add && !args.dev.present && !args.pin) {
		ret = usage_error(command, "nothing to change");
		goto cleanup;
	}
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
	iotguard_devspec_release(&args);
	iotguard_nl_close(nl);
	return ret;
}

/* del and revoke: a request with the device's identity alone. */
static int identity_main(int argc, char *argv[], const char *command,
			 const char *verb,
			 int (*request)(struct iotguard_nl *nl,
					const struct iotguard_addr *id))
{
	char addr[IOTGUARD_ADDR_STRLEN];
	struct iotguard_nl *nl = NULL;
	struct iotguard_devspec args;
	int ret;

	ret = parse_args(command, argc, argv, false, &args);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (args.dev.present || args.pin) {
		ret = usage_error(command, "%s takes no options",
				  command + strlen("device "));
		goto cleanup;
	}
	ret = open_nl(&nl);
	if (ret)
		goto cleanup;
	ret = request(nl, &args.dev.id);
	if (ret) {
		ret = report_error(ret, iotguard_nl_extack(nl), "%s device %s",
				   verb,
				   iotguard_format_addr(&args.dev.id, addr,
							sizeof(addr)));
		goto cleanup;
	}
	report_warning(nl);
	ret = EXIT_OK;

cleanup:
	iotguard_devspec_release(&args);
	iotguard_nl_close(nl);
	return ret;
}

static int del_main(int argc, char *argv[])
{
	return identity_main(argc, argv, "device del", "delete",
			     iotguard_nl_device_del);
}

static int revoke_main(int argc, char *argv[])
{
	return identity_main(argc, argv, "device revoke", "revoke",
			     iotguard_nl_device_revoke);
}

static void enroll_usage(FILE *f)
{
	fprintf(f, "Usage: %s device enroll ID [--ttl DURATION] "
		"[--cred auth|seal]\n"
		"             [--expires WHEN] [--epoch-seconds N] [-j]\n\n"
		"Prints a one-time enrollment code for the device: see\n"
		"%s device --help and Documentation/protocol.rst.\n",
		prog_name, prog_name);
}

/* A code's life: "10m", "1h", "600" (seconds). */
static int parse_ttl(const char *s, uint32_t *ttl, const char **why)
{
	char rel[32];
	uint64_t v;
	int ret;

	if (snprintf(rel, sizeof(rel), "+%s", s) >= (int)sizeof(rel) ||
	    *s == '+' || *s == '-') {
		*why = "not a duration";
		return -EINVAL;
	}
	ret = iotguard_parse_expires(rel, 0, &v, why);
	if (ret)
		return ret;
	if (!v || v > IOTGUARD_ENROLL_TTL_MAX) {
		*why = "not 1 s to 7 days";
		return -ERANGE;
	}
	*ttl = v;
	return 0;
}

static int enroll_main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "ttl", required_argument, NULL, 't' },
		{ "cred", required_argument, NULL, 'c' },
		{ "expires", required_argument, NULL, 'e' },
		{ "epoch-seconds", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *command = "device enroll", *why = NULL;
	struct iotguard_device dev = {
		.cred_mode = IOTGUARD_CRED_SEAL,
	}, out;
	char addr[IOTGUARD_ADDR_STRLEN];
	struct iotguard_nl *nl = NULL;
	struct iotguard_enroll code;
	uint32_t ttl = 600;
	bool json = false;
	uint64_t v;
	int opt, ret;

	memset(&code, 0, sizeof(code));
	optind = 0;
	while ((opt = next_option(command, argc, argv, "jh", options)) != -1) {
		switch (opt) {
		case 't':
			if (parse_ttl(optarg, &ttl, &why))
				return usage_error(command, "invalid --ttl `%s': %s",
						   optarg, why);
			break;
		case 'c':
			if (iotguard_parse_cred_mode(optarg, &dev.cred_mode,
						     &why))
				return usage_error(command, "invalid --cred `%s': %s",
						   optarg, why);
			if (dev.cred_mode == IOTGUARD_CRED_NONE)
				return usage_error(command,
						   "an enrollment gives a credential: --cred auth or seal");
			break;
		case 'e':
			if (iotguard_parse_expires(optarg, time(NULL),
						   &dev.cred_expires, &why))
				return usage_error(command,
						   "invalid --expires `%s': %s",
						   optarg, why);
			dev.present |= IOTGUARD_DEV_CRED_EXPIRES;
			break;
		case 's':
			if (iotguard_parse_count(optarg, INT32_MAX, &v, &why) ||
			    v < IOTGUARD_CRED_EPOCH_SECONDS_MIN)
				return usage_error(command,
						   "invalid --epoch-seconds `%s': %s",
						   optarg,
						   why ? why : "below 60");
			dev.cred_epoch_seconds = v;
			dev.present |= IOTGUARD_DEV_CRED_EPOCH_SECONDS;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			enroll_usage(stdout);
			return EXIT_OK;
		default:
			/* next_option() said what was wrong. */
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return usage_error(command, "expected one device ID");
	if (iotguard_parse_identity(argv[optind], &dev.id, &why))
		return usage_error(command, "invalid device `%s': %s",
				   argv[optind], why);

	ret = open_nl(&nl);
	if (ret)
		goto cleanup;
	ret = iotguard_nl_enroll_new(nl, &dev, ttl, &out, &code);
	iotguard_format_addr(&dev.id, addr, sizeof(addr));
	if (ret) {
		ret = report_error(ret, iotguard_nl_extack(nl),
				   "make an enrollment code for %s", addr);
		goto cleanup;
	}
	if (json) {
		struct iotguard_json j;

		iotguard_json_init(&j, stdout);
		iotguard_json_object_start(&j);
		iotguard_json_kv_string(&j, "device", addr);
		iotguard_json_kv_string(&j, "code", code.code);
		iotguard_json_kv_u64(&j, "id", code.id);
		iotguard_json_kv_u64(&j, "ttl", ttl);
		iotguard_json_kv_string(&j, "cred",
					iotguard_cred_mode_name(dev.cred_mode));
		iotguard_json_object_end(&j);
		fputc('\n', stdout);
	} else {
		printf("%s\n", code.code);
	}
	ret = EXIT_OK;

cleanup:
	explicit_bzero(&code, sizeof(code));
	iotguard_nl_close(nl);
	return ret;
}

/* Who set the device's state: a daemon's automatic change, or not. */
static const char *set_by(const struct iotguard_device *dev)
{
	return dev->flags & IOTGUARD_DEVICE_F_AUTO ? "daemon" : "operator";
}

/* The credential's mode: "none" without one, a number for a newer mode. */
static const char *cred_mode(const struct iotguard_device *dev, char *buf,
			     size_t len)
{
	const char *name = iotguard_cred_mode_name(dev->cred_mode);

	if (!(dev->present & IOTGUARD_DEV_CRED_MODE))
		return "none";
	if (name)
		return name;
	snprintf(buf, len, "%u", dev->cred_mode);
	return buf;
}

/* The credential, for json_device(): its fields null without one. */
static void json_cred(struct iotguard_json *json,
		      const struct iotguard_device *dev)
{
	char buf[16];

	iotguard_json_kv_string(json, "cred", cred_mode(dev, buf,
							sizeof(buf)));
	if (dev->present & IOTGUARD_DEV_CRED_KEY_ID) {
		snprintf(buf, sizeof(buf), "%08" PRIx32, dev->cred_key_id);
		iotguard_json_kv_string(json, "key_id", buf);
	} else {
		iotguard_json_kv_null(json, "key_id");
	}
	if (dev->present & IOTGUARD_DEV_CRED_EPOCH)
		iotguard_json_kv_u64(json, "epoch", dev->cred_epoch);
	else
		iotguard_json_kv_null(json, "epoch");
	if (dev->present & IOTGUARD_DEV_CRED_EPOCH_SECONDS)
		iotguard_json_kv_u64(json, "epoch_seconds",
				     dev->cred_epoch_seconds);
	else
		iotguard_json_kv_null(json, "epoch_seconds");
	if ((dev->present & IOTGUARD_DEV_CRED_EXPIRES) && dev->cred_expires)
		iotguard_json_kv_u64(json, "expires", dev->cred_expires);
	else
		iotguard_json_kv_null(json, "expires");
	iotguard_json_kv_bool(json, "revoked",
			      dev->present & IOTGUARD_DEV_CRED_REVOKED);
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
	json_cred(json, dev);
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

/* "auth 1a2b3c4d", "revoked", or "-" without a credential. */
static const char *format_cred(const struct iotguard_device *dev, char *buf,
			       size_t len)
{
	char mode[16];

	if (dev->present & IOTGUARD_DEV_CRED_REVOKED)
		snprintf(buf, len, "revoked");
	else if (dev->present & IOTGUARD_DEV_CRED_KEY_ID)
		snprintf(buf, len, "%s %08" PRIx32,
			 cred_mode(dev, mode, sizeof(mode)), dev->cred_key_id);
	else
		snprintf(buf, len, "-");
	return buf;
}

static int table_add_device(struct table *table,
			    const struct iotguard_device *dev)
{
	char index[16], addr[IOTGUARD_ADDR_STRLEN], mac[IOTGUARD_MAC_STRLEN];
	char state[32], class[16], rate[32], burst[32], byte_rate[32];
	char byte_burst[32], lease[48], cred[32];
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
			 format_lease(dev, lease, sizeof(lease)),
			 format_cred(dev, cred, sizeof(cred)));
}

static void table_init_devices(struct table *table)
{
	table_init(table, 13, 1U << 0 | 1U << 7 | 1U << 9);
	table_add(table, "INDEX", "ADDRESS", "NAME", "STATE", "CLASS", "MAC",
		  "RATE", "BURST", "BYTE-RATE", "BYTE-BURST", "FLAGS",
		  "LEASE", "CRED");
}

/* "2026-12-31T00:00:00Z" (UTC), or never for 0. */
static const char *format_expires(uint64_t expires, char *buf, size_t len)
{
	time_t t = expires;
	struct tm tm;

	if (!expires)
		snprintf(buf, len, "never");
	else if (!gmtime_r(&t, &tm) ||
		 !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%" PRIu64, expires);
	return buf;
}

/* show: the credential's details, under the device's line. */
static void print_cred(const struct iotguard_device *dev)
{
	char mode[16], key_id[16], epoch[16], seconds[16], expires[32];
	struct table table;

	if (!(dev->present &
	      (IOTGUARD_DEV_CRED_KEY_ID | IOTGUARD_DEV_CRED_REVOKED)))
		return;
	snprintf(key_id, sizeof(key_id), "%08" PRIx32, dev->cred_key_id);
	snprintf(epoch, sizeof(epoch), "%" PRIu32, dev->cred_epoch);
	snprintf(seconds, sizeof(seconds), "%" PRIu32,
		 dev->cred_epoch_seconds);
	format_expires(dev->cred_expires, expires, sizeof(expires));
	table_init(&table, 6, 1U << 2 | 1U << 3);
	table_add(&table, "CRED", "KEY-ID", "EPOCH", "EPOCH-SECONDS",
		  "EXPIRES", "REVOKED");
	table_add(&table, cred_mode(dev, mode, sizeof(mode)),
		  dev->present & IOTGUARD_DEV_CRED_KEY_ID ? key_id : "-",
		  dev->present & IOTGUARD_DEV_CRED_EPOCH ? epoch : "-",
		  dev->present & IOTGUARD_DEV_CRED_EPOCH_SECONDS ? seconds :
		  "-",
		  dev->present & IOTGUARD_DEV_CRED_EXPIRES ? expires : "-",
		  dev->present & IOTGUARD_DEV_CRED_REVOKED ? "yes" : "no");
	putchar('\n');
	table_print(&table, stdout, "");
	table_free(&table);
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
		print_cred(&dev);
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
		{ "revoke", revoke_main }, { "enroll", enroll_main },
		{ "show", show_main },
		{ "list", list_main },
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
