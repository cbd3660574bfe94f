/* SPDX-License-Identifier: MIT */
/*
 * The cryptography libiotguard-device needs, from a backend the firmware
 * links (device/crypto_openssl.c on a host). Standard constructions only,
 * the ones the kernel's crypto library has:
 *
 * - ChaCha20-Poly1305 of RFC 8439 with a 96-bit nonce of four zero bytes
 *   and a 64-bit counter, little endian (the kernel's
 *   chacha20poly1305_encrypt()); the associated data may come in pieces,
 *   all before the plaintext;
 * - keyed BLAKE2s-256 of RFC 7693 (the kernel's blake2s()).
 */
#ifndef IOTGUARD_DEVICE_CRYPTO_H
#define IOTGUARD_DEVICE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* One associated-data piece. */
struct iotguard_dev_ad {
	const uint8_t *data;
	size_t len;
};

/*
 * Encrypts len bytes of buf in place (none for len 0) under key and the
 * nonce counter, after the associated data ad[0..nad), and writes the
 * 16-byte tag. Returns 0, or -1 if the backend failed.
 */
int iotguard_dev_aead_seal(const uint8_t *key, uint64_t counter,
			   const struct iotguard_dev_ad *ad, size_t nad,
			   uint8_t *buf, size_t len, uint8_t *tag);

/*
 * Checks tag over ad and the ciphertext in buf, and only then decrypts it
 * in place. Returns 0, or -1 for a tag that does not verify (buf is then
 * unchanged) or a backend failure.
 */
int iotguard_dev_aead_open(const uint8_t *key, uint64_t counter,
			   const struct iotguard_dev_ad *ad, size_t nad,
			   uint8_t *buf, size_t len, const uint8_t *tag);

/* out = BLAKE2s-256 keyed with key (1 to 32 bytes) of msg. 0, or -1. */
int iotguard_dev_blake2s(uint8_t *out, const uint8_t *key, size_t keylen,
			 const uint8_t *msg, size_t len);

/* Zeroes n bytes at p in a way the compiler keeps. */
void iotguard_dev_memzero(void *p, size_t n);

#endif /* IOTGUARD_DEVICE_CRYPTO_H */
