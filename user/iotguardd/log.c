// SPDX-License-Identifier: GPL-2.0
/*
 * Logging: the journal (through syslog) as a service, stderr in the
 * foreground.
 */
#include <stdarg.h>
#include <syslog.h>
#include <time.h>
#include <arpa/inet.h>
#include "iotguardd.h"
#include "parse.h"

static bool to_stderr;

void log_init(bool foreground)
{
	to_stderr = foreground;
	if (!foreground)
		openlog("iotguardd", LOG_PID, LOG_DAEMON);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (to_stderr) {
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(prio, fmt, ap);
	}
	va_end(ap);
}

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *format_addr(const struct iotguard_addr *addr, char *buf,
			size_t len)
{
	return iotguard_format_addr(addr, buf, len);
}
