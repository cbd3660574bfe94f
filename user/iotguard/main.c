// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard: configures the iotguard module's device table and the XDP
 * program that enforces it.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include "cli.h"

const char *prog_name;
bool json_output;

static const struct {
	const char *name;
	int (*main)(int argc, char *argv[]);
	const char *description;
} subcommands[] = {
	{ "attach", attach_main,
	  "Attaches the XDP program to an interface" },
	{ "detach", detach_main,
	  "Detaches the XDP program from an interface" },
	{ "status", status_main,
	  "Shows the module and the interfaces the program guards" },
	{ "device", device_main,
	  "Adds, changes, deletes and shows enrolled devices" },
	{ "apply", apply_main,
	  "Makes the device table what a device file says" },
	{ "export", export_main,
	  "Writes the device table as a device file" },
	{ "stats", stats_main,
	  "Shows the counters, by reason and by device" },
	{ "unknown", unknown_main,
	  "Shows recent sources that are not enrolled" },
	{ "alerts", alerts_main,
	  "Shows iotguardd's recent alerts and why" },
	{ "monitor", monitor_main,
	  "Prints device changes and alerts as they happen" },
};

static void show_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s [-j|--json] [-h|--help] [-V|--version] "
		"<command> [<args>]\n\n", prog_name);
	fputs("Guards a router's device-facing ports: the iotguard module\n"
	      "holds the table of enrolled IoT devices, an XDP program on\n"
	      "each guarded interface drops what the table does not allow.\n\n",
	      f);
	fputs("Available commands:\n", f);
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name,
			subcommands[i].description);
	fputs("\nOptions:\n"
	      "  -j, --json     print listings as JSON\n"
	      "  -h, --help     show this help and exit\n"
	      "  -V, --version  show the version and exit\n\n"
	      "Exit status:\n"
	      "  0  success\n"
	      "  1  usage error (bad command, option or value)\n"
	      "  2  the kernel or the system refused (module not loaded,\n"
	      "     no such device, permission denied...); the reason is\n"
	      "     printed\n"
	      "  3  the device is enrolled already (device add), or\n"
	      "     enrolled and differs (device import)\n"
	      "  4  status: the module is not loaded, or no interface is\n"
	      "     attached (a deleted one does not count)\n\n", f);
	fprintf(f, "Use `%s <command> --help' for help on a command.\n",
		prog_name);
}

int main(int argc, char *argv[])
{
	size_t i;
	int arg, ret;

	prog_name = argc > 0 && *argv[0] ? argv[0] : "iotguard";
	if (strrchr(prog_name, '/'))
		prog_name = strrchr(prog_name, '/') + 1;

	/* Global options end at the command, as in wg(8). */
	for (arg = 1; arg < argc && argv[arg][0] == '-'; arg++) {
		const char *opt = argv[arg];

		if (!strcmp(opt, "-j") || !strcmp(opt, "--json")) {
			json_output = true;
		} else if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			show_usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(opt, "-V") || !strcmp(opt, "--version")) {
			printf("iotguard %s\n", IOTGUARD_VERSION);
			return EXIT_OK;
		} else {
			return usage_error(NULL, "unknown option `%s'", opt);
		}
	}
	/* argc is 0 after an execve() with no argv (kernels before 5.18). */
	if (arg >= argc) {
		show_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[arg], "help")) {
		show_usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(subcommands); i++) {
		if (strcmp(argv[arg], subcommands[i].name))
			continue;
		ret = subcommands[i].main(argc - arg, argv + arg);
		/* A listing cut short (disk full, closed pipe) is no success. */
		if (fflush(stdout) || ferror(stdout)) {
			if (!ret)
				ret = report_error(errno, NULL,
						   "write the output");
		}
		return ret;
	}
	return usage_error(NULL, "unknown command `%s'", argv[arg]);
}
