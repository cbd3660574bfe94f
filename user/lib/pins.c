// SPDX-License-Identifier: GPL-2.0
/*
 * The pin directory of a network namespace (pins.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <iotguard/maps.h>
#include "pins.h"

/* Linux 5.14; glibc's headers may not have it yet. */
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* The initial namespace's inode, fixed by the kernel (PROC_NET_INIT_INO). */
#define INIT_NET_INO 0xF0000098UL

int iotguard_pin_dir(char *buf, size_t len)
{
	socklen_t size = sizeof(uint64_t);
	uint64_t cookie;
	struct stat st;
	int fd, ret, n;

	/* thread-self: a thread may have entered another namespace alone. */
	if (stat("/proc/thread-self/ns/net", &st))
		return -errno;
	if (st.st_ino == INIT_NET_INO) {
		n = snprintf(buf, len, "%s", IOTGUARD_PIN_DIR);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	/*
	 * Named by cookie, not inode: inode numbers are reused once a
	 * namespace is gone, and a new namespace (whose device cookies start
	 * again at 1) would take over the dead one's counters and rates.
	 */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &size) ?
	      -errno : 0;
	close(fd);
	if (ret)
		return ret;
	n = snprintf(buf, len, "%s/%llu", IOTGUARD_NETNS_DIR,
		     (unsigned long long)cookie);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
