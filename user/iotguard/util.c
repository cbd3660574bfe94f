// SPDX-License-Identifier: GPL-2.0
/*
 * Warnings, the netlink client, formatting and tables for the CLI (errors
 * and option parsing: user/lib/cmdline.c).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"

void report_warning(struct iotguard_nl *nl)
{
	const char *extack = iotguard_nl_extack(nl);

	if (*extack)
		fprintf(stderr, "Warning: %s\n", extack);
}

int open_nl(struct iotguard_nl **nlp)
{
	int ret = iotguard_nl_open(nlp);

	if (ret)
		return report_error(ret, iotguard_nl_extack(NULL),
				    "open the iotguard netlink family");
	return EXIT_OK;
}

const char *format_time(uint64_t realtime_ns, char *buf, size_t len)
{
	time_t seconds = realtime_ns / 1000000000ULL;
	unsigned int millis = realtime_ns % 1000000000ULL / 1000000;
	struct tm tm;
	char date[32];

	if (!gmtime_r(&seconds, &tm) ||
	    !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "?");
		return buf;
	}
	snprintf(buf, len, "%s.%03uZ", date, millis);
	return buf;
}

void table_init(struct table *table, unsigned int columns,
		uint32_t right_aligned)
{
	memset(table, 0, sizeof(*table));
	table->columns = columns;
	table->right_aligned = right_aligned;
}

int table_add(struct table *table, ...)
{
	unsigned int i;
	va_list ap;
	int ret = 0;

	if (table->rows == table->size) {
		size_t size = table->size ? table->size * 2 : 16;
		char **cells;

		cells = reallocarray(table->cells, size * table->columns,
				     sizeof(*cells));
		if (!cells)
			return -ENOMEM;
		table->cells = cells;
		table->size = size;
	}
	va_start(ap, table);
	for (i = 0; i < table->columns; i++) {
		const char *cell = va_arg(ap, const char *);
		char **slot = &table->cells[table->rows * table->columns + i];

		*slot = strdup(cell ? cell : "");
		if (!*slot)
			ret = -ENOMEM;
	}
	va_end(ap);
	table->rows++;
	return ret;
}

void table_print(const struct table *table, FILE *f, const char *indent)
{
	size_t widths[32] = { 0 };
	unsigned int column;
	size_t row;

	for (row = 0; row < table->rows; row++) {
		for (column = 0; column < table->columns && column < 32;
		     column++) {
			const char *cell =
				table->cells[row * table->columns + column];
			size_t width = cell ? strlen(cell) : 0;

			if (width > widths[column])
				widths[column] = width;
		}
	}
	for (row = 0; row < table->rows; row++) {
		fputs(indent, f);
		for (column = 0; column < table->columns && column < 32;
		     column++) {
			const char *cell =
				table->cells[row * table->columns + column];
			bool last = column + 1 == table->columns;
			int width = widths[column];

			if (!cell)
				cell = "";
			if (table->right_aligned & (1U << column))
				fprintf(f, "%*s", width, cell);
			else if (last)
				fputs(cell, f);
			else
				fprintf(f, "%-*s", width, cell);
			fputs(last ? "\n" : "  ", f);
		}
	}
}

void table_free(struct table *table)
{
	size_t i;

	for (i = 0; i < table->rows * table->columns; i++)
		free(table->cells[i]);
	free(table->cells);
	table->cells = NULL;
	table->rows = table->size = 0;
}
