/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the command-line tools (iotguard, iotguard-sync, iotguard-city)
 * share: their first exit codes, errors as "Unable to <verb> <object>:
 * <reason>", usage errors pointing at --help, getopt_long with those
 * messages, and a subcommand table's dispatch. Each tool defines
 * prog_name, the name it was run by.
 */
#ifndef IOTGUARD_CMDLINE_H
#define IOTGUARD_CMDLINE_H

#include <stddef.h>
#include <stdio.h>

/* Exit codes, as documented in each tool's --help; theirs follow. */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_SYSTEM = 2,	/* the kernel, the store or the system said no */
};

extern const char *prog_name;

/*
 * "Unable to <what>: <strerror>[: <detail>]" on stderr; returns EXIT_SYSTEM.
 * what is a printf format.
 */
int report_error(int err, const char *detail, const char *what, ...)
	__attribute__((format(printf, 3, 4)));
/* A usage error: the message, then a pointer to --help; EXIT_USAGE. */
int usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Option parsing with getopt_long: a missing argument or an unknown option
 * is a usage error. Returns the option, -1 at the end, or '?' after having
 * reported an error.
 */
struct option;
int next_option(const char *command, int argc, char *argv[],
		const char *shortopts, const struct option *longopts);

/* A subcommand of a wg-style tool: argv[0] is its name. */
struct cmdline_command {
	const char *name;
	int (*main)(int argc, char *argv[]);
	const char *description;
};

/* "  name  description" for each command, name padded to width. */
void cmdline_list_commands(FILE *f, const struct cmdline_command *commands,
			   size_t count, int width);

/*
 * A tool's main(): sets prog_name from argv[0] (or tool), then runs
 * argv[1]'s command, or answers -h/--help/help (show_usage to stdout),
 * -V/--version, and a missing or unknown command (a usage error). A
 * command's output that could not be written fails it. Returns the exit
 * status.
 */
int cmdline_run(int argc, char *argv[], const char *tool,
		const struct cmdline_command *commands, size_t count,
		void (*show_usage)(FILE *f));

/*
 * A password or code: a line of stdin (without its newline), read
 * without echo after prompt on stderr when stdin is a terminal. 0, or
 * -ENODATA at the end of stdin, -E2BIG for a line longer than len - 1.
 */
int cmdline_read_secret(const char *prompt, char *buf, size_t len);

#endif /* IOTGUARD_CMDLINE_H */
