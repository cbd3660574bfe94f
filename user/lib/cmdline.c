// SPDX-License-Identifier: GPL-2.0
/*
 * The command-line tools' errors and option parsing (cmdline.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
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

void cmdline_list_commands(FILE *f, const struct cmdline_command *commands,
			   size_t count, int width)
{
	size_t i;

	for (i = 0; i < count; i++)
		fprintf(f, "  %-*s %s\n", width, commands[i].name,
			commands[i].description);
}

int cmdline_run(int argc, char *argv[], const char *tool,
		const struct cmdline_command *commands, size_t count,
		void (*show_usage)(FILE *f))
{
	const char *slash;
	size_t i;
	int ret;

	/* argc may be 0: execve() with an empty argv. */
	prog_name = argc > 0 && *argv[0] ? argv[0] : tool;
	slash = strrchr(prog_name, '/');
	if (slash)
		prog_name = slash + 1;
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
		printf("%s %s\n", tool, IOTGUARD_VERSION);
		return EXIT_OK;
	}
	if (argv[1][0] == '-')
		return usage_error(NULL, "unknown option `%s'", argv[1]);
	for (i = 0; i < count; i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		ret = commands[i].main(argc - 1, argv + 1);
		if ((fflush(stdout) || ferror(stdout)) && !ret)
			ret = report_error(errno, NULL, "write the output");
		return ret;
	}
	return usage_error(NULL, "unknown command `%s'", argv[1]);
}

/*
 * A line from stdin, without echo on a terminal; 0 or -errno (-ENODATA
 * at the end).
 */
int cmdline_read_secret(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO);
	char *nl;

	if (tty && !tcgetattr(STDIN_FILENO, &old)) {
		quiet = old;
		quiet.c_lflag &= ~ECHO;
		fputs(prompt, stderr);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	} else {
		tty = false;
	}
	nl = fgets(buf, len, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!nl)
		return -ENODATA;
	nl = strchr(buf, '\n');
	if (!nl && !feof(stdin))
		return -E2BIG;
	if (nl)
		*nl = 0;
	return 0;
}
