// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard-sync: a router's agent of the city's key-value bucket, and the
 * bucket by hand (Documentation/fleet.rst).
 */
#include <errno.h>
#include <string.h>
#include "store.h"

const char *prog_name;

static const struct {
	const char *name;
	int (*main)(int argc, char *argv[]);
	const char *description;
} subcommands[] = {
	{ "run", run_main,
	  "Keeps this router's table as the city's bucket wants it" },
	{ "create", create_main, "Creates the city's buckets" },
	{ "put", put_main, "Puts a value under a key" },
	{ "del", del_main, "Deletes a key" },
	{ "watch", watch_main, "Prints the newest value of matching keys" },
	{ "history", history_main, "Prints every value a key has had" },
	{ "report", report_main, "Publishes this router's decision" },
};

static void show_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s [-h|--help] [-V|--version] <command> "
		"[<args>]\n\n", prog_name);
	fputs("A router's agent of the city: applies the city's NATS "
	      "JetStream bucket\nto the local iotguard table, and the "
	      "bucket by hand.\n\nAvailable commands:\n", f);
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name,
			subcommands[i].description);
	fputs("\nExit status:\n"
	      "  0  success\n"
	      "  1  usage error (bad command, option or value)\n"
	      "  2  the store, the kernel or the system refused; the reason"
	      " is printed\n"
	      "  3  no such key (history)\n\n", f);
	fprintf(f, "Use `%s <command> --help' for help on a command.\n",
		prog_name);
}

int main(int argc, char *argv[])
{
	size_t i;
	int ret;

	prog_name = argc > 0 && *argv[0] ? argv[0] : "iotguard-sync";
	if (strrchr(prog_name, '/'))
		prog_name = strrchr(prog_name, '/') + 1;
	if (argc < 2) {
		show_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		show_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("iotguard-sync %s\n", IOTGUARD_VERSION);
		return EXIT_OK;
	}
	if (argv[1][0] == '-')
		return usage_error(NULL, "unknown option `%s'", argv[1]);
	for (i = 0; i < ARRAY_SIZE(subcommands); i++) {
		if (strcmp(argv[1], subcommands[i].name))
			continue;
		ret = subcommands[i].main(argc - 1, argv + 1);
		if (fflush(stdout) || ferror(stdout)) {
			if (!ret)
				ret = report_error(errno, NULL,
						   "write the output");
		}
		/* libnats' threads and memory, before exit. */
		nats_Close();
		return ret;
	}
	return usage_error(NULL, "unknown command `%s'", argv[1]);
}
