// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the command lines of the iotguard CLI (its subcommand table,
 * then each subcommand's options and arguments) and of iotguardd. The CLI
 * runs whole, its main() renamed iotguard_main() at build time, linked to
 * kernel_stub.c in place of netlink and BPF: a subcommand parses, then
 * fails where it would first reach the kernel. iotguardd's parse_args()
 * runs alone. Each must return an exit status it documents, and never
 * read or write out of bounds, leak (ASan, UBSan) or exit.
 *
 * An input: a byte whose low bit chooses iotguardd, then the arguments,
 * argv[0] first, each ended by a NUL (the last one need not be). Files an
 * argument names are looked for in an empty directory; arguments that
 * could reach devices or kernel files (/dev, /proc, /sys, /run, "..") are
 * not run, and standard input is /dev/null. The programs' output is
 * theirs: run with -close_fd_mask=3 (fuzz.sh does).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include "iotguardd.h"

#define MAX_ARGS 64

int iotguard_main(int argc, char *argv[]);
extern bool json_output;

/* The working directory libFuzzer knows, and the empty one of the runs. */
static int fuzzer_dir = -1, empty_dir = -1;

static bool confined(const char *arg)
{
	static const char *const outside[] = {
		"/dev", "/proc", "/sys", "/run", "..",
	};
	size_t i;

	for (i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
		if (strstr(arg, outside[i]))
			return false;
	return true;
}

/* getopt's state, as at a program's start: no stale pointer into argv. */
static void reset_getopt(void)
{
	char *argv[] = { "reset", NULL };

	optind = 0;
	opterr = 1;
	getopt(1, argv, "");
	optind = 1;
}

static void daemon_args(int argc, char *argv[])
{
	struct args args;
	int ret = parse_args(argc, argv, &args);

	if (ret != -1 && ret != 0 && ret != 1)
		abort();
	if (ret == -1 &&
	    (!args.config_path || !args.replay.max_devices ||
	     (!args.replay.path &&
	      (args.replay.devices || args.replay.json ||
	       args.replay.scores || args.replay.max_devices != 65536))))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *args[MAX_ARGS], **argv = NULL;
	bool daemon;
	int argc = 0, ret;
	size_t i;

	if (!size)
		return 0;
	daemon = data[0] & 1;
	data++, size--;
	while (size && argc < MAX_ARGS) {
		const uint8_t *end = memchr(data, '\0', size);
		size_t len = end ? (size_t)(end - data) : size;

		/* A copy of the argument's size: ASan sees past its end. */
		args[argc] = malloc(len + 1);
		if (!args[argc])
			abort();
		memcpy(args[argc], data, len);
		args[argc][len] = '\0';
		if (!confined(args[argc++]))
			goto cleanup;
		data += len + !!end;
		size -= len + !!end;
	}
	/* argv of its size too, NULL-terminated, as execve(2) gives it. */
	argv = calloc(argc + 1, sizeof(*argv));
	if (!argv)
		abort();
	memcpy(argv, args, argc * sizeof(*argv));
	reset_getopt();
	json_output = false;
	if (fchdir(empty_dir))
		abort();
	if (daemon) {
		daemon_args(argc, argv);
	} else {
		ret = iotguard_main(argc, argv);
		if (ret < 0 || ret > 4)
			abort();
	}

cleanup:
	for (i = 0; i < (size_t)argc; i++)
		free(args[i]);
	free(argv);
	if (fchdir(fuzzer_dir))
		abort();
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/args_fuzz.XXXXXX";

	(void)argc;
	(void)argv;
	/*
	 * An empty directory to look for files in, removed at once: the
	 * runs work in it, libFuzzer (its corpus, its artifacts) where it
	 * was started.
	 */
	fuzzer_dir = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fuzzer_dir < 0 || !mkdtemp(dir))
		abort();
	empty_dir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (empty_dir < 0 || rmdir(dir) ||
	    !freopen("/dev/null", "r", stdin))
		abort();
	return 0;
}
