// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard apply|export, device import: the device table as a file.
 *
 * apply and import read the whole declaration first: a file with any
 * error changes nothing. Then they dump the kernel's table, compute the
 * difference (iotguard_devdiff()) and send only what differs: DEVICE_DEL
 * for devices no longer declared, DEVICE_SET with the fields that differ,
 * and the new devices in batches of DEVICE_NEW lists. Deletions go first,
 * so that a full table makes room before devices are added.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "devfile.h"
#include "json.h"
#include "parse.h"
#include "replace.h"

/* A device line is at most about 300 bytes and a key's path. */
#define LINE_LEN (512 + PATH_MAX)

struct sync_opts {
	const char *command;
	bool dry_run;
	bool verbose;
	bool remove;		/* apply: delete what is not declared */
	bool change;		/* apply, import --replace: change differing */
};

struct sync_counts {
	unsigned int added, changed, removed, unchanged, differing;
};

static void print_parse_error(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

static const char *format_spec(const struct iotguard_devspec *spec,
			       char *buf, size_t len)
{
	const char *line = iotguard_devspec_format(spec, buf, len);

	return line ? line : "?";
}

/* The line of one device of a difference, for -v and --dry-run. */
static void print_op(const struct iotguard_devop *op,
		     const struct sync_opts *o)
{
	char line[LINE_LEN], fields[128];
	struct iotguard_devspec spec;

	switch (op->kind) {
	case IOTGUARD_DEVOP_SAME:
		break;
	case IOTGUARD_DEVOP_ADD:
		printf("+ %s\n", format_spec(op->want, line, sizeof(line)));
		break;
	case IOTGUARD_DEVOP_CHANGE:
		printf("%c %s  # %s%s\n", o->change ? '~' : '!',
		       format_spec(op->want, line, sizeof(line)),
		       iotguard_devop_fields(op->changed, fields,
					     sizeof(fields)),
		       o->change ? "" : " differ");
		break;
	case IOTGUARD_DEVOP_REMOVE:
		iotguard_devspec_from_device(op->have, &spec);
		printf("- %s\n", format_spec(&spec, line, sizeof(line)));
		break;
	}
}

static const char *action_name(const struct iotguard_devop *op,
			       const struct sync_opts *o)
{
	static const char *const names[] = {
		[IOTGUARD_DEVOP_SAME] = "unchanged",
		[IOTGUARD_DEVOP_ADD] = "add",
		[IOTGUARD_DEVOP_CHANGE] = "change",
		[IOTGUARD_DEVOP_REMOVE] = "remove",
	};

	if (op->kind == IOTGUARD_DEVOP_CHANGE && !o->change)
		return "differs";
	return names[op->kind];
}

static void print_json(const struct iotguard_devop *ops, size_t nops,
		       const struct sync_opts *o, const struct sync_counts *c)
{
	char addr[IOTGUARD_ADDR_STRLEN], fields[128];
	struct iotguard_json json;
	size_t i;

	iotguard_json_init(&json, stdout);
	iotguard_json_object_start(&json);
	iotguard_json_kv_bool(&json, "dry_run", o->dry_run);
	iotguard_json_kv_u64(&json, "added", c->added);
	iotguard_json_kv_u64(&json, "changed", c->changed);
	iotguard_json_kv_u64(&json, "removed", c->removed);
	iotguard_json_kv_u64(&json, "unchanged", c->unchanged);
	iotguard_json_kv_u64(&json, "differing", c->differing);
	iotguard_json_key(&json, "devices");
	iotguard_json_array_start(&json);
	for (i = 0; i < nops; i++) {
		if (ops[i].kind == IOTGUARD_DEVOP_SAME)
			continue;
		iotguard_json_object_start(&json);
		iotguard_json_kv_string(&json, "action",
					action_name(&ops[i], o));
		iotguard_json_kv_string(&json, "address",
					iotguard_format_addr(&ops[i].req.id,
							     addr,
							     sizeof(addr)));
		if (ops[i].kind == IOTGUARD_DEVOP_CHANGE)
			iotguard_json_kv_string(&json, "fields",
						iotguard_devop_fields(
							ops[i].changed, fields,
							sizeof(fields)));
		iotguard_json_object_end(&json);
	}
	iotguard_json_array_end(&json);
	iotguard_json_object_end(&json);
}

static void count_ops(const struct iotguard_devop *ops, size_t nops,
		      const struct sync_opts *o, struct sync_counts *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < nops; i++) {
		switch (ops[i].kind) {
		case IOTGUARD_DEVOP_SAME:
			c->unchanged++;
			break;
		case IOTGUARD_DEVOP_ADD:
			c->added++;
			break;
		case IOTGUARD_DEVOP_CHANGE:
			if (o->change)
				c->changed++;
			else
				c->differing++;
			break;
		case IOTGUARD_DEVOP_REMOVE:
			c->removed++;
			break;
		}
	}
}

/* DEVICE_DEL, then DEVICE_SET, one device at a time. */
static int send_one_by_one(struct iotguard_nl *nl,
			   const struct iotguard_devop *ops, size_t nops,
			   enum iotguard_devop_kind kind)
{
	char addr[IOTGUARD_ADDR_STRLEN];
	size_t i;
	int ret;

	for (i = 0; i < nops; i++) {
		if (ops[i].kind != kind)
			continue;
		ret = kind == IOTGUARD_DEVOP_REMOVE ?
		      iotguard_nl_device_del(nl, &ops[i].req.id) :
		      iotguard_nl_device_set(nl, &ops[i].req);
		if (ret)
			return report_error(ret, iotguard_nl_extack(nl),
					    "%s device %s",
					    kind == IOTGUARD_DEVOP_REMOVE ?
					    "delete" : "change",
					    iotguard_format_addr(&ops[i].req.id,
								 addr,
								 sizeof(addr)));
	}
	return EXIT_OK;
}

/* The new devices, in batches of DEVICE_NEW lists. */
static int send_new(struct iotguard_nl *nl, const struct iotguard_devop *ops,
		    size_t nops, unsigned int count)
{
	struct iotguard_device *devs;
	unsigned int n = 0, failed = 0;
	size_t i;
	int ret;

	if (!count)
		return EXIT_OK;
	devs = calloc(count, sizeof(*devs));
	if (!devs)
		return report_error(ENOMEM, NULL, "add the devices");
	for (i = 0; i < nops; i++) {
		if (ops[i].kind == IOTGUARD_DEVOP_ADD)
			devs[n++] = ops[i].req;
	}
	ret = iotguard_nl_device_new_batch(nl, devs, n, &failed);
	if (ret)
		ret = report_error(ret, iotguard_nl_extack(nl),
				   "add %u of %u devices", failed, n);
	free(devs);
	return ret;
}

static int send_ops(struct iotguard_nl *nl, const struct iotguard_devop *ops,
		    size_t nops, const struct sync_opts *o,
		    const struct sync_counts *c)
{
	int ret;

	ret = send_one_by_one(nl, ops, nops, IOTGUARD_DEVOP_REMOVE);
	if (!ret && o->change)
		ret = send_one_by_one(nl, ops, nops, IOTGUARD_DEVOP_CHANGE);
	if (!ret)
		ret = send_new(nl, ops, nops, c->added);
	return ret;
}

static void print_report(const struct iotguard_devop *ops, size_t nops,
			 const struct sync_opts *o,
			 const struct sync_counts *c)
{
	size_t i;

	if (json_output) {
		print_json(ops, nops, o, c);
		return;
	}
	for (i = 0; (o->verbose || o->dry_run) && i < nops; i++)
		print_op(&ops[i], o);
	printf("%sadded %u, changed %u, removed %u, unchanged %u",
	       o->dry_run ? "dry run: " : "", c->added, c->changed,
	       c->removed, c->unchanged);
	if (!o->change)
		printf(", differing %u", c->differing);
	printf("\n");
}

/* Names every enrolled device that differs from the CSV (import). */
static void report_differing(const struct iotguard_devop *ops, size_t nops)
{
	char addr[IOTGUARD_ADDR_STRLEN], fields[128];
	size_t i;

	for (i = 0; i < nops; i++) {
		if (ops[i].kind != IOTGUARD_DEVOP_CHANGE)
			continue;
		fprintf(stderr, "%s: device %s is enrolled already and its %s "
			"differ (--replace changes them)\n", prog_name,
			iotguard_format_addr(&ops[i].req.id, addr,
					     sizeof(addr)),
			iotguard_devop_fields(ops[i].changed, fields,
					      sizeof(fields)));
	}
}

/* Makes the kernel's table what df declares, as far as o allows. */
static int sync_table(const struct iotguard_devfile *df,
		      const struct sync_opts *o)
{
	struct device_list list = { 0 };
	struct iotguard_nl *nl = NULL;
	struct iotguard_devop *ops = NULL;
	struct sync_counts c;
	size_t nops = 0;
	int ret;

	ret = open_and_list(&nl, &list);
	if (ret)
		goto cleanup;
	ret = iotguard_devdiff(df->specs, df->count, list.devs, list.count,
			       o->remove, &ops, &nops);
	if (ret) {
		ret = report_error(ret, NULL, "compare the devices");
		goto cleanup;
	}
	count_ops(ops, nops, o, &c);
	if (!o->dry_run) {
		ret = send_ops(nl, ops, nops, o, &c);
		if (ret)
			goto cleanup;
	}
	print_report(ops, nops, o, &c);
	if (c.differing)
		report_differing(ops, nops);
	ret = c.differing ? EXIT_EXISTS : EXIT_OK;

cleanup:
	free(ops);
	free(list.devs);
	iotguard_nl_close(nl);
	return ret;
}

/* Reads a declaration whole; EXIT_OK, or EXIT_USAGE after any error. */
static int read_declaration(struct iotguard_devfile *df, const char *path,
			    bool csv)
{
	FILE *f;
	int ret;

	if (!csv) {
		ret = iotguard_devfile_load(df, path);
	} else {
		f = fopen(path, "re");
		if (!f) {
			report_error(errno, NULL, "open %s", path);
			return EXIT_USAGE;
		}
		ret = iotguard_devfile_read_csv(df, f, path);
		fclose(f);
		if (!ret)
			iotguard_devfile_check_duplicates(df);
	}
	/* A file that cannot be read is the user's to fix, as a bad one. */
	if (ret) {
		report_error(ret, NULL, "read %s", path);
		return EXIT_USAGE;
	}
	if (df->errors) {
		fprintf(stderr, "%s: %u error%s in %s: nothing changed\n",
			prog_name, df->errors, df->errors == 1 ? "" : "s",
			path);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

enum { OPT_DRY_RUN = 256, OPT_REPLACE };

static const struct option sync_options[] = {
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "replace", no_argument, NULL, OPT_REPLACE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static const struct option export_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void apply_usage(FILE *f)
{
	fprintf(f, "Usage: %s apply FILE|DIR [--dry-run] [-v|--verbose] "
		"[-j|--json]\n\n", prog_name);
	fputs("Makes the kernel's device table what FILE says, as\n"
	      "`nft -f' and `wg syncconf' do: devices the file adds are\n"
	      "enrolled, devices it changes are changed, devices it does\n"
	      "not name are deleted; the others are not touched. A\n"
	      "directory's *.conf files are read in lexical order.\n"
	      "A file with any error changes nothing.\n\n"
	      "A line is a device: its identity (IPv4, IPv6, IPv6/LEN or\n"
	      "mac MAC), then the options of `device add' without their\n"
	      "dashes:\n"
	      "  198.18.1.12 name cam-1 class camera mac 02:00:00:00:01:0c\n"
	      "  mac 02:00:00:00:01:0b name lamp-1 class light rate 20\n"
	      "`#' starts a comment; a line ending in `\\' goes on on the\n"
	      "next. An option left out means its default (no name,\n"
	      "generic, no MAC, no limit, unpinned), except state, the\n"
	      "bursts and the credential: a device's state is compared\n"
	      "only when the line gives one (a quarantine by iotguardd\n"
	      "stays; new devices are allowed), a burst only when given\n"
	      "(else the kernel's default for the rate), a credential\n"
	      "only when given (cred auth key /etc/iotguard/keys/K;\n"
	      "the key's path absolute, expires in Unix seconds or\n"
	      "never) and never while revoked.\n\n"
	      "Options:\n"
	      "  --dry-run      change nothing, list what would change\n"
	      "  -v, --verbose  list every added (+), changed (~) and\n"
	      "                 removed (-) device\n"
	      "  -j, --json     print the report as JSON\n\n"
	      "Exit status: 0 done, 1 usage or parse error (FILE:LINE\n"
	      "on stderr), 2 the kernel refused.\n", f);
}

static void import_usage(FILE *f)
{
	fprintf(f, "Usage: %s device import FILE.csv [--dry-run] [--replace]\n"
		"       [-v|--verbose] [-j|--json]\n\n", prog_name);
	fputs("Enrolls the devices of an inventory CSV (RFC 4180). Its\n"
	      "header line names the columns: identity or address, mac,\n"
	      "name, class, rate, burst, byte_rate, byte_burst, state,\n"
	      "pin (yes or no), cred, key, expires, epoch_seconds. An\n"
	      "empty cell is an option not given; a record with a mac\n"
	      "and no address is a device enrolled by MAC. Devices not\n"
	      "in the CSV are left alone. A file with any error changes\n"
	      "nothing.\n\n"
	      "Options:\n"
	      "  --dry-run      change nothing, list what would change\n"
	      "  --replace      change enrolled devices that differ\n"
	      "                 to what the CSV says\n"
	      "  -v, --verbose  list every added (+), changed (~) and\n"
	      "                 differing (!) device\n"
	      "  -j, --json     print the report as JSON\n\n"
	      "Exit status: 0 done, 1 usage or parse error, 2 the\n"
	      "kernel refused, 3 devices enrolled already differ from\n"
	      "the CSV (without --replace; the others were enrolled).\n",
	      f);
}

/* The options of apply (import when import); -1 after --help. */
static int parse_sync_args(int argc, char *argv[], bool import,
			   struct sync_opts *o, const char **path)
{
	void (*usage)(FILE *f) = import ? import_usage : apply_usage;
	int opt;

	optind = 0;
	while ((opt = next_option(o->command, argc, argv, "hvj",
				  sync_options)) != -1) {
		if (opt == '?')
			return EXIT_USAGE;
		if (opt == 'h') {
			usage(stdout);
			return -1;
		}
		if (opt == OPT_REPLACE && !import)
			return usage_error(o->command,
					   "unknown option `--replace'");
		if (opt == OPT_DRY_RUN)
			o->dry_run = true;
		else if (opt == OPT_REPLACE)
			o->change = true;
		else if (opt == 'v')
			o->verbose = true;
		else
			json_output = true;
	}
	if (optind >= argc)
		return usage_error(o->command, "missing the file");
	if (optind + 1 < argc)
		return usage_error(o->command, "unexpected argument `%s'",
				   argv[optind + 1]);
	*path = argv[optind];
	return EXIT_OK;
}

static int sync_main(int argc, char *argv[], bool import)
{
	struct sync_opts o = {
		.command = import ? "device import" : "apply",
		.remove = !import,
		.change = !import,
	};
	struct iotguard_devfile df;
	const char *path = NULL;
	int ret;

	ret = parse_sync_args(argc, argv, import, &o, &path);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	iotguard_devfile_init(&df, print_parse_error, NULL);
	ret = read_declaration(&df, path, import);
	if (!ret)
		ret = sync_table(&df, &o);
	iotguard_devfile_free(&df);
	return ret;
}

int apply_main(int argc, char *argv[])
{
	return sync_main(argc, argv, false);
}

int import_main(int argc, char *argv[])
{
	return sync_main(argc, argv, true);
}

static void export_usage(FILE *f)
{
	fprintf(f, "Usage: %s export [FILE]\n\n", prog_name);
	fputs("Writes the kernel's device table as a device file, which\n"
	      "`apply' reads back: one device a line, in index order,\n"
	      "after a header comment; to FILE (replaced whole, at once)\n"
	      "or to standard output. Options at their defaults are left\n"
	      "out, and so are bursts at their rate's default. A state\n"
	      "other than allow is written, a quarantine by iotguardd\n"
	      "included: review it before making the file the table's\n"
	      "declaration. Credentials are left out: the kernel never\n"
	      "gives a key back. Add each device's cred and key options\n"
	      "to its line again (see apply), or an apply of the file\n"
	      "after a reboot enrolls the devices without them.\n", f);
}

static int write_devices(FILE *f, void *data)
{
	const struct device_list *list = data;
	char line[LINE_LEN];
	size_t i;

	fprintf(f, "# iotguard devices: `iotguard apply FILE' makes the "
		"table this.\n"
		"# A device a line: its identity, then the options of "
		"`iotguard device add'.\n");
	for (i = 0; i < list->count; i++) {
		struct iotguard_devspec spec;

		iotguard_devspec_from_device(&list->devs[i], &spec);
		if (!iotguard_devspec_format(&spec, line, sizeof(line)))
			return -ENOSPC;
		fprintf(f, "%s\n", line);
	}
	return ferror(f) ? -EIO : 0;
}

int export_main(int argc, char *argv[])
{
	struct device_list list = { 0 };
	struct iotguard_nl *nl = NULL;
	const char *path = NULL;
	int opt, ret;

	optind = 0;
	while ((opt = next_option("export", argc, argv, "h",
				  export_options)) != -1) {
		if (opt == '?')
			return EXIT_USAGE;
		export_usage(stdout);
		return EXIT_OK;
	}
	if (optind + 1 < argc)
		return usage_error("export", "unexpected argument `%s'",
				   argv[optind + 1]);
	if (optind < argc)
		path = argv[optind];
	ret = open_and_list(&nl, &list);
	if (ret)
		goto cleanup;
	/* A file is replaced whole: a reader never sees half of it. */
	ret = path ? iotguard_replace_file(path, 0644, write_devices, &list) :
		     write_devices(stdout, &list);
	if (ret)
		ret = report_error(ret, NULL, "write %s",
				   path ? path : "the devices");

cleanup:
	free(list.devs);
	iotguard_nl_close(nl);
	return ret;
}
