// SPDX-License-Identifier: GPL-2.0
/*
 * The command-line tools' errors and option parsing (cmdline.h).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cmdline.h"

int report_error(int err, const char *detail, const char *what, ...)
{
	va_list ap;

	fputs("Unable to ", stderr);
	va_start(ap, what);
	vfprintf(stderr, what, ap);
	va_end(ap);
	fprintf(stderr, ": %s", strerror(err < 0 ? -err : err));
	if (detail && *detail)
		fprintf(stderr, ": %s", detail);
	fputc('\n', stderr);
	return EXIT_SYSTEM;
}

int usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry `%s%s%s --help' for more information.\n",
		prog_name, command ? " " : "", command ? command : "");
	return EXIT_USAGE;
}

int next_option(const char *command, int argc, char *argv[],
		const char *shortopts, const struct option *longopts)
{
	char optstring[64];
	int opt;

	/*
	 * Our own messages, pointing at the subcommand's --help; a leading
	 * ':' tells a missing argument (':') from an unknown option ('?').
	 */
	opterr = 0;
	snprintf(optstring, sizeof(optstring), ":%s", shortopts);
	opt = getopt_long(argc, argv, optstring, longopts, NULL);
	if (opt == ':') {
		usage_error(command, "option `%s' needs an argument",
			    argv[optind - 1]);
		return '?';
	}
	if (opt == '?') {
		if (optopt)
			usage_error(command, "unknown option `-%c'", optopt);
		else
			usage_error(command, "unknown option `%s'",
				    argv[optind - 1]);
	}
	return opt;
}
