// SPDX-License-Identifier: GPL-2.0
/*
 * Key files and key ids (see keyfile.h). The key id is kmod/cred.c's
 * key_id(), with the keyed BLAKE2s of the device library's backend
 * (OpenSSL): a difference would make `apply' set every device's key
 * again, restarting its epochs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include "keyfile.h"
#include "parse.h"
#include "crypto.h"

/* The key's 64 digits, a CRLF, and room to tell a longer file. */
#define KEY_TEXT_MAX (2 * IOTGUARD_CRED_KEY_LEN + 64)

static const char key_id_label[] = "iotguard-v1 key id";

int iotguard_key_id(const uint8_t key[IOTGUARD_CRED_KEY_LEN], uint32_t *id)
{
	uint8_t hash[32];
	int ret;

	ret = iotguard_dev_blake2s(hash, key, IOTGUARD_CRED_KEY_LEN,
				   (const uint8_t *)key_id_label,
				   sizeof(key_id_label) - 1);
	if (ret) {
		explicit_bzero(hash, sizeof(hash));
		return -EIO;
	}
	*id = (uint32_t)hash[0] << 24 | hash[1] << 16 | hash[2] << 8 | hash[3];
	explicit_bzero(hash, sizeof(hash));
	return 0;
}

int iotguard_key_parse(const char *text, size_t len,
		       uint8_t key[IOTGUARD_CRED_KEY_LEN], const char **why)
{
	size_t i;

	*why = "not 64 hex digits";
	if (len < 2 * IOTGUARD_CRED_KEY_LEN)
		goto bad;
	for (i = 0; i < IOTGUARD_CRED_KEY_LEN; i++) {
		int hi = iotguard_hex_value(text[2 * i]);
		int lo = iotguard_hex_value(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			goto bad;
		key[i] = hi << 4 | lo;
	}
	for (i = 2 * IOTGUARD_CRED_KEY_LEN; i < len; i++) {
		if (text[i] != '\n' && text[i] != '\r' && text[i] != ' ')
			goto bad;
	}
	*why = NULL;
	return 0;

bad:
	explicit_bzero(key, IOTGUARD_CRED_KEY_LEN);
	return -EINVAL;
}

/* Up to max bytes of fd, to its end; the count, or a negative errno. */
static ssize_t read_all(int fd, char *buf, size_t max)
{
	size_t len = 0;

	while (len < max) {
		ssize_t n = read(fd, buf + len, max - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		len += n;
	}
	return len;
}

int iotguard_key_read(const char *path, uint8_t key[IOTGUARD_CRED_KEY_LEN],
		      const char **why)
{
	/* read(2), not stdio: no buffer of ours keeps the key afterwards. */
	char text[KEY_TEXT_MAX + 1];
	bool stdin_ = !strcmp(path, "-");
	ssize_t len;
	int fd, ret;

	*why = NULL;
	fd = stdin_ ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read_all(fd, text, sizeof(text));
	if (!stdin_)
		close(fd);
	if (len < 0)
		return len;
	/* A longer file is not a key: too long is as wrong as too short. */
	if ((size_t)len > KEY_TEXT_MAX)
		len = 0;
	ret = iotguard_key_parse(text, len, key, why);
	explicit_bzero(text, sizeof(text));
	return ret;
}
