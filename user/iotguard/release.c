// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard device release: allow devices again, the ones named or every one
 * whose state a daemon set (a rollback of iotguardd's quarantines).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "array.h"
#include "parse.h"

static const struct option release_options[] = {
	{ "all-by-daemon", no_argument, NULL, 'a' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void release_usage(FILE *f)
{
	fprintf(f, "Usage: %s device release ID...|--all-by-daemon [--dry-run]\n\n",
		prog_name);
	fputs("Allows the devices named, or with --all-by-daemon every\n"
	      "device whose state a daemon (iotguardd) set: a rollback.\n"
	      "The state is then the operator's: the daemon does not set\n"
	      "it again unless the device strays anew. --dry-run lists\n"
	      "what would be released and changes nothing.\n", f);
}

/* Sets dev allowed, by the operator; reports a failure. */
static int allow(struct iotguard_nl *nl, const struct iotguard_device *dev,
		 bool dry_run)
{
	struct iotguard_device req = {
		.id = dev->id, .present = IOTGUARD_DEV_STATE,
		.state = IOTGUARD_STATE_ALLOW,
	};
	char addr[IOTGUARD_ADDR_STRLEN];
	int ret = 0;

	iotguard_format_addr(&dev->id, addr, sizeof(addr));
	if (!dry_run)
		ret = iotguard_nl_device_set(nl, &req);
	if (ret)
		return report_error(ret, iotguard_nl_extack(nl),
				    "release device %s", addr);
	printf("%s %s (%s)\n", dry_run ? "would release" : "released", addr,
	       *dev->name ? dev->name : "-");
	return EXIT_OK;
}

static int release_all_by_daemon(bool dry_run)
{
	struct device_list list = { 0 };
	struct iotguard_nl *nl = NULL;
	unsigned int released = 0;
	size_t i;
	int ret;

	ret = open_and_list(&nl, &list);
	if (ret)
		goto cleanup;
	for (i = 0; i < list.count; i++) {
		const struct iotguard_device *dev = &list.devs[i];

		if (!(dev->flags & IOTGUARD_DEVICE_F_AUTO) ||
		    dev->state == IOTGUARD_STATE_ALLOW)
			continue;
		ret = allow(nl, dev, dry_run);
		if (ret)
			goto cleanup;
		released++;
	}
	printf("%s %u device%s\n", dry_run ? "would release" : "released",
	       released, released == 1 ? "" : "s");
	ret = EXIT_OK;

cleanup:
	free(list.devs);
	iotguard_nl_close(nl);
	return ret;
}

static int release_named(int argc, char *argv[], bool dry_run)
{
	struct iotguard_nl *nl = NULL;
	struct iotguard_device dev;
	const char *why;
	int i, ret;

	/* Every name checked before anything changes. */
	for (i = optind; i < argc; i++)
		if (iotguard_parse_identity(argv[i], &dev.id, &why))
			return usage_error("device release",
					   "invalid address or MAC `%s': %s",
					   argv[i], why);
	ret = open_nl(&nl);
	if (ret)
		goto cleanup;
	for (i = optind; i < argc; i++) {
		iotguard_parse_identity(argv[i], &dev.id, &why);
		ret = iotguard_nl_device_get(nl, &dev.id, &dev);
		if (ret) {
			ret = report_error(ret, iotguard_nl_extack(nl),
					   "release device %s", argv[i]);
			goto cleanup;
		}
		ret = allow(nl, &dev, dry_run);
		if (ret)
			goto cleanup;
	}

cleanup:
	iotguard_nl_close(nl);
	return ret;
}

int release_main(int argc, char *argv[])
{
	bool all = false, dry_run = false;
	int opt;

	optind = 0;
	while ((opt = next_option("device release", argc, argv, "h",
				  release_options)) != -1) {
		switch (opt) {
		case 'a':
			all = true;
			break;
		case 'n':
			dry_run = true;
			break;
		case 'h':
			release_usage(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (all && optind < argc)
		return usage_error("device release",
				   "--all-by-daemon takes no device");
	if (!all && optind == argc)
		return usage_error("device release",
				   "name the devices, or --all-by-daemon");
	return all ? release_all_by_daemon(dry_run) :
		     release_named(argc, argv, dry_run);
}
