// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of user/lib/keyfile.c: BLAKE2s against RFC 7693 and the
 * protocol's vectors (Documentation/protocol.rst), the key id the kernel
 * reports, and key files as iotguard-device reads them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* The 6.1 harness is not -Wextra clean (see parse_test.c). */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "keyfile.h"

static const char key_hex[] =
	"000102030405060708090a0b0c0d0e0f"
	"101112131415161718191a1b1c1d1e1f";

static void counting(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = i;
}

TEST(key_id)
{
	uint8_t key[32];
	uint32_t id;

	counting(key, sizeof(key));
	ASSERT_EQ(0, iotguard_key_id(key, &id));
	EXPECT_EQ(0xa910d4f2, id);
	memset(key, 0xff, sizeof(key));
	ASSERT_EQ(0, iotguard_key_id(key, &id));
	EXPECT_EQ(0xc78ef54b, id);
}

TEST(key_parse)
{
	static const char *const good[] = {
		key_hex,
		"000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f\n",
		"000102030405060708090A0B0C0D0E0F"
		"101112131415161718191A1B1C1D1E1F\r\n",
		"000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f \n\n",
	};
	static const char *const bad[] = {
		"",
		"\n",
		/* 63 digits, 65 digits */
		"000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1\n",
		"000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f0\n",
		" 000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f",
		"0x0102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f",
		"000102030405060708090a0b0c0d0e0g"
		"101112131415161718191a1b1c1d1e1f",
		"000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f\n# a comment\n",
	};
	uint8_t key[32], want[32];
	const char *why;
	size_t i;

	counting(want, sizeof(want));
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		memset(key, 0xaa, sizeof(key));
		EXPECT_EQ(0, iotguard_key_parse(good[i], strlen(good[i]), key,
						&why));
		EXPECT_EQ(0, memcmp(want, key, sizeof(key)));
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		why = NULL;
		EXPECT_EQ(-EINVAL, iotguard_key_parse(bad[i], strlen(bad[i]),
						      key, &why))
			TH_LOG("accepted: %s", bad[i]);
		EXPECT_STREQ("not 64 hex digits", why);
	}
}

/* A temporary file holding text; its path in path. */
static void key_file(const char *text, char *path, size_t len)
{
	int fd;

	snprintf(path, len, "/tmp/iotguard-keyfile-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

TEST(key_read)
{
	char path[64], longer[512];
	uint8_t key[32], want[32];
	const char *why;

	counting(want, sizeof(want));
	key_file("000102030405060708090a0b0c0d0e0f"
		 "101112131415161718191a1b1c1d1e1f\n", path, sizeof(path));
	EXPECT_EQ(0, iotguard_key_read(path, key, &why));
	EXPECT_EQ(0, memcmp(want, key, sizeof(key)));
	unlink(path);

	/* A key, then more than a line's end: not a key file. */
	snprintf(longer, sizeof(longer), "%s%*s", key_hex, 300, "\n");
	key_file(longer, path, sizeof(path));
	EXPECT_EQ(-EINVAL, iotguard_key_read(path, key, &why));
	EXPECT_STREQ("not 64 hex digits", why);
	unlink(path);

	EXPECT_EQ(-ENOENT, iotguard_key_read(path, key, &why));
	EXPECT_EQ(NULL, why);
	EXPECT_EQ(-EISDIR, iotguard_key_read("/tmp", key, &why));
}

TEST_HARNESS_MAIN
