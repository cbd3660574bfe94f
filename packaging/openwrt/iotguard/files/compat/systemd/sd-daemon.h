/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iotguardd on OpenWrt: procd, not systemd, runs it, and there is no
 * libsystemd to link. The daemon's notifications (READY=1, WATCHDOG=1,
 * STATUS=...) have nobody to go to, so they go nowhere, and there is no
 * systemd watchdog to ping (procd respawns a daemon that dies): this
 * header stands in for <systemd/sd-daemon.h> (the package's Makefile puts
 * its directory first on the include path and links without -lsystemd).
 */
#ifndef IOTGUARD_COMPAT_SD_DAEMON_H
#define IOTGUARD_COMPAT_SD_DAEMON_H

#include <stdint.h>

static inline int sd_notify(int unset_environment, const char *state)
{
	(void)unset_environment;
	(void)state;
	return 0;
}

static inline int sd_notifyf(int unset_environment, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

static inline int sd_notifyf(int unset_environment, const char *format, ...)
{
	(void)unset_environment;
	(void)format;
	return 0;
}

static inline int sd_watchdog_enabled(int unset_environment, uint64_t *usec)
{
	(void)unset_environment;
	*usec = 0;
	return 0;
}

#endif /* IOTGUARD_COMPAT_SD_DAEMON_H */
