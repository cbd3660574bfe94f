/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the subcommands of the iotguard CLI.
 */
#ifndef IOTGUARD_CLI_H
#define IOTGUARD_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "cmdline.h"
#include "nl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes beyond cmdline.h's, as documented in --help. */
enum {
	EXIT_EXISTS = 3,	/* enrolled already (and differs, import) */
	EXIT_NOT_GUARDING = 4,	/* status: no module, or nothing attached */
};
extern bool json_output;

/* Subcommands: argv[0] is the subcommand's name. */
int attach_main(int argc, char *argv[]);
int detach_main(int argc, char *argv[]);
int status_main(int argc, char *argv[]);
int device_main(int argc, char *argv[]);
int stats_main(int argc, char *argv[]);
int unknown_main(int argc, char *argv[]);
int alerts_main(int argc, char *argv[]);
int monitor_main(int argc, char *argv[]);
int apply_main(int argc, char *argv[]);
int export_main(int argc, char *argv[]);
/* `device import', argv[0] "import" */
int import_main(int argc, char *argv[]);
int release_main(int argc, char *argv[]);

/* The kernel's devices, as a dump gives them, in index order. */
struct device_list {
	struct iotguard_device *devs;
	size_t count, size;
};

/*
 * Opens the netlink client and fills list (emptied first) with a dump,
 * reporting a failure; EXIT_OK or EXIT_SYSTEM. *nlp is the caller's to
 * close either way.
 */
int open_and_list(struct iotguard_nl **nlp, struct device_list *list);

/* alerts.c: iotguardd's alerts file, for what it did and why. */
#define ALERTS_FILE "/var/lib/iotguard/alerts.jsonl"
struct alerts;
/* Reads path and its rotated path.1 (a missing file: no alerts). */
int alerts_open(const char *path, struct alerts **alertsp);
void alerts_close(struct alerts *alerts);
/*
 * The explanation and time of the last action the daemon carried out on
 * the device at address (as the daemon writes it); false when there is
 * none, or the last was a release.
 */
bool alerts_last_action(const struct alerts *alerts, const char *address,
			char *why, size_t why_len, char *when, size_t when_len);

struct iotguard_json;
/* A device as `device show -j' prints it. */
void json_device(struct iotguard_json *json, const struct iotguard_device *dev);

/* Prints the kernel's message on a request that succeeded, if any. */
void report_warning(struct iotguard_nl *nl);

/* Opens the netlink client, reporting a failure; EXIT_OK or EXIT_SYSTEM. */
int open_nl(struct iotguard_nl **nlp);

/* Nanoseconds since the epoch as ISO 8601 UTC with milliseconds. */
const char *format_time(uint64_t realtime_ns, char *buf, size_t len);

/* A text table with columns aligned, printed at once. */
struct table {
	unsigned int columns;
	uint32_t right_aligned;		/* bit per column */
	char **cells;
	size_t rows, size;
};

void table_init(struct table *table, unsigned int columns,
		uint32_t right_aligned);
/* Adds a row of table->columns strings, copied. */
int table_add(struct table *table, ...);
void table_print(const struct table *table, FILE *f, const char *indent);
void table_free(struct table *table);

#endif /* IOTGUARD_CLI_H */
