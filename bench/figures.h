/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the bench's tools share: figures as JSON lines on stdout,
 *
 *	{"name": ..., "unit": ..., "median": ..., "samples": [...], ...}
 *
 * for bench/report.py, and the few helpers they are made with.
 */
#ifndef IOTGUARD_BENCH_FIGURES_H
#define IOTGUARD_BENCH_FIGURES_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline void die(const char *what, int err)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline double median(const double *v, int n)
{
	double *s, m;

	if (n <= 0)
		return 0;
	s = malloc(n * sizeof(*v));
	if (!s)
		die("malloc", ENOMEM);
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

/* One figure; extra is more JSON members (", \"k\": v ...") or "". */
static inline void emit(const char *name, const char *unit, const double *v,
			int n, const char *extra)
{
	int i;

	printf("{\"name\": \"%s\", \"unit\": \"%s\", \"median\": %.6g, \"samples\": [",
	       name, unit, median(v, n));
	for (i = 0; i < n; i++)
		printf("%s%.6g", i ? ", " : "", v[i]);
	printf("]%s}\n", extra);
	fflush(stdout);
}

#endif /* IOTGUARD_BENCH_FIGURES_H */
