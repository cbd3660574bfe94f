// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard-sync: a router's agent of the city's key-value bucket, and the
 * bucket by hand (Documentation/fleet.rst).
 */
#include <errno.h>
#include <string.h>
#include "store.h"

const char *prog_name;

static const struct cmdline_command subcommands[] = {
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
	fprintf(f, "Usage: %s [-h|--help] [-V|--version] <command> "
		"[<args>]\n\n", prog_name);
	fputs("A router's agent of the city: applies the city's NATS "
	      "JetStream bucket\nto the local iotguard table, and the "
	      "bucket by hand.\n\nAvailable commands:\n", f);
	cmdline_list_commands(f, subcommands, ARRAY_SIZE(subcommands), 8);
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
	int ret = cmdline_run(argc, argv, "iotguard-sync", subcommands,
			      ARRAY_SIZE(subcommands), show_usage);

	/* libnats' threads and memory, before exit. */
	nats_Close();
	return ret;
}
