/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The release, in one place: the Makefile reads it for the tools and the
 * packages, and the module reports it in /sys/module/iotguard/version, so
 * an upgrade shows which build is loaded.
 */
#ifndef _IOTGUARD_VERSION_H
#define _IOTGUARD_VERSION_H

#define IOTGUARD_VERSION "0.8.0"

#endif /* _IOTGUARD_VERSION_H */
