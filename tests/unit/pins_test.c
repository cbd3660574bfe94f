// SPDX-License-Identifier: GPL-2.0
/*
 * The pin directory of a network namespace (user/lib/pins.c), on the
 * host's kernel: the initial namespace's is the top directory, another's
 * is named by its cookie, never 1. The guest's kernel (6.1) is checked
 * by tests/guest/netns_test.sh. Needs root (unshare), in the initial
 * network namespace.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iotguard/maps.h>
#include "kselftest_harness.h"
#include "pins.h"

TEST(initial_namespace)
{
	char dir[PATH_MAX];

	/* make check runs in the machine's initial network namespace. */
	ASSERT_EQ(0, iotguard_pin_dir(dir, sizeof(dir)));
	EXPECT_STREQ(IOTGUARD_PIN_DIR, dir);
}

TEST(other_namespace)
{
	char dir[PATH_MAX], prefix[] = IOTGUARD_NETNS_DIR "/";
	unsigned long long cookie;
	char *end;

	ASSERT_EQ(0, unshare(CLONE_NEWNET)) TH_LOG("unshare: %s",
						   strerror(errno));
	ASSERT_EQ(0, iotguard_pin_dir(dir, sizeof(dir)));
	ASSERT_EQ(0, strncmp(dir, prefix, strlen(prefix))) TH_LOG("%s", dir);
	cookie = strtoull(dir + strlen(prefix), &end, 10);
	EXPECT_EQ('\0', *end);
	EXPECT_GT(cookie, 1ULL);
}

TEST(too_short)
{
	char dir[8];

	EXPECT_EQ(-ENAMETOOLONG, iotguard_pin_dir(dir, sizeof(dir)));
}

TEST_HARNESS_MAIN
