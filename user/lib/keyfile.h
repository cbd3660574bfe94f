/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device's root key as the operator keeps it: a file of 64 hex digits
 * (IOTGUARD_CRED_KEY_LEN bytes) and an optional newline, the format
 * iotguard-device(1) reads; and the key's id, which is all the kernel
 * tells of a key (IOTGUARD_A_DEVICE_CRED_KEY_ID).
 *
 * Buffers that held key bytes are zeroed before they are given back.
 */
#ifndef IOTGUARD_USER_KEYFILE_H
#define IOTGUARD_USER_KEYFILE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/iotguard.h>

/*
 * Reads the key in path ("-": standard input, read to its end). Returns
 * 0, -EINVAL for a file that is not 64 hex digits and an optional newline
 * (*why says so), or the negative errno of open or read (*why NULL).
 */
int iotguard_key_read(const char *path, uint8_t key[IOTGUARD_CRED_KEY_LEN],
		      const char **why);

/*
 * The same from text of len bytes (the file's content): 64 hex digits,
 * either case, then nothing but spaces, CRs and newlines.
 */
int iotguard_key_parse(const char *text, size_t len,
		       uint8_t key[IOTGUARD_CRED_KEY_LEN], const char **why);

/*
 * The key's id, as the kernel computes it: the first 4 bytes, big endian,
 * of BLAKE2s-256 keyed with the key of "iotguard-v1 key id". 0 and *id,
 * or -EIO if the crypto library failed.
 */
int iotguard_key_id(const uint8_t key[IOTGUARD_CRED_KEY_LEN], uint32_t *id);

#endif /* IOTGUARD_USER_KEYFILE_H */
