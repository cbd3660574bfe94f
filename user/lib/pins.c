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

/*
 * The initial namespace. Kernels that give it a fixed inode
 * (NET_NS_INIT_INO in <linux/nsfs.h>) number its cookie among all
 * namespaces' ids, so that is not 1; older ones allocate its inode from a
 * counter that other namespaces and /proc entries share, but set it up
 * before any other namespace, so its cookie is 1.
 */
#define NET_NS_INIT_INO 0xEFFFFFF9UL
#define INIT_NET_COOKIE 1

static int netns_cookie(uint64_t *cookie)
{
	socklen_t size = sizeof(*cookie);
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &size) ?
	      -errno : 0;
	close(fd);
	return ret;
}

int iotguard_pin_dir(char *buf, size_t len)
{
	uint64_t cookie;
	struct stat st;
	int ret, n;

	/* thread-self: a thread may have entered another namespace alone. */
	if (stat("/proc/thread-self/ns/net", &st))
		return -errno;
	ret = netns_cookie(&cookie);
	if (ret)
		return ret;
	if (st.st_ino == NET_NS_INIT_INO || cookie == INIT_NET_COOKIE) {
		n = snprintf(buf, len, "%s", IOTGUARD_PIN_DIR);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	/*
	 * Named by cookie, not inode: inode numbers are reused once a
	 * namespace is gone, and a new namespace (whose device cookies start
	 * again at 1) would take over the dead one's counters and rates.
	 */
	n = snprintf(buf, len, "%s/%llu", IOTGUARD_NETNS_DIR,
		     (unsigned long long)cookie);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
