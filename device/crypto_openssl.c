// SPDX-License-Identifier: MIT
/*
 * crypto.h's backend on a host: OpenSSL 3's libcrypto (ChaCha20-Poly1305
 * with its 96-bit nonce, BLAKE2SMAC). For the tools and tests; firmware
 * links its own.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include "crypto.h"

/* RFC 8439's nonce: four zero bytes, then the counter, little endian. */
static void nonce(uint8_t iv[12], uint64_t counter)
{
	int i;

	memset(iv, 0, 4);
	for (i = 0; i < 8; i++)
		iv[4 + i] = counter >> (8 * i);
}

static int start(EVP_CIPHER_CTX *ctx, int enc, const uint8_t *key,
		 uint64_t counter, const struct iotguard_dev_ad *ad,
		 size_t nad)
{
	uint8_t iv[12];
	size_t i;
	int outl;

	nonce(iv, counter);
	if (!EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, iv,
			       enc))
		return -1;
	for (i = 0; i < nad; i++)
		if (ad[i].len && !EVP_CipherUpdate(ctx, NULL, &outl, ad[i].data,
						   (int)ad[i].len))
			return -1;
	return 0;
}

int iotguard_dev_aead_seal(const uint8_t *key, uint64_t counter,
			   const struct iotguard_dev_ad *ad, size_t nad,
			   uint8_t *buf, size_t len, uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int outl, ret = -1;

	if (!ctx || len > INT32_MAX)
		goto cleanup;
	if (start(ctx, 1, key, counter, ad, nad))
		goto cleanup;
	if (len && !EVP_CipherUpdate(ctx, buf, &outl, buf, (int)len))
		goto cleanup;
	if (!EVP_CipherFinal_ex(ctx, buf + len, &outl) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag))
		goto cleanup;
	ret = 0;
cleanup:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

int iotguard_dev_aead_open(const uint8_t *key, uint64_t counter,
			   const struct iotguard_dev_ad *ad, size_t nad,
			   uint8_t *buf, size_t len, const uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t *plain = malloc(len + 1);
	int outl, ret = -1;

	if (!ctx || !plain || len > INT32_MAX)
		goto cleanup;
	if (start(ctx, 0, key, counter, ad, nad))
		goto cleanup;
	/* Into a copy: buf keeps the ciphertext unless the tag verifies. */
	if (len && !EVP_CipherUpdate(ctx, plain, &outl, buf, (int)len))
		goto cleanup;
	if (!EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16,
				 (void *)tag) ||
	    EVP_CipherFinal_ex(ctx, plain + len, &outl) != 1)
		goto cleanup;
	memcpy(buf, plain, len);
	ret = 0;
cleanup:
	if (plain) {
		OPENSSL_cleanse(plain, len);
		free(plain);
	}
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

int iotguard_dev_blake2s(uint8_t *out, const uint8_t *key, size_t keylen,
			 const uint8_t *msg, size_t len)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "BLAKE2SMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	size_t outl = 0;
	int ret = -1;

	if (!ctx || !keylen || keylen > 32 ||
	    !EVP_MAC_init(ctx, key, keylen, NULL) ||
	    !EVP_MAC_update(ctx, msg, len) ||
	    !EVP_MAC_final(ctx, out, &outl, 32) || outl != 32)
		goto cleanup;
	ret = 0;
cleanup:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ret;
}

void iotguard_dev_memzero(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}
