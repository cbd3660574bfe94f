/* SPDX-License-Identifier: MIT */
/*
 * libiotguard-device: what a device needs to send datagrams that the
 * iotguard edge accepts in auth or seal mode (Documentation/protocol.rst).
 *
 * For firmware: no dynamic allocation, no global state, no libc (builds
 * with -ffreestanding; <stdint.h> and <stddef.h> only). The cryptography
 * comes from a backend (crypto.h) that the firmware links: its own
 * ChaCha20-Poly1305 and keyed BLAKE2s, or device/crypto_openssl.c on a
 * host. The caller keeps a struct iotguard_dev per key and stores its
 * epoch and counter across reboots (iotguard_dev_state()): a counter
 * never goes back within an epoch.
 */
#ifndef IOTGUARD_DEVICE_H
#define IOTGUARD_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#define IOTGUARD_WIRE_CONSTANTS_ONLY
#include <iotguard/wire.h>

/* Errors, negative */
#define IOTGUARD_DEV_EINVAL	22	/* a bad argument */
#define IOTGUARD_DEV_ENOSPC	28	/* no room for the trailer */
#define IOTGUARD_DEV_EBADMSG	74	/* a tag that does not verify */
#define IOTGUARD_DEV_EOVERFLOW	75	/* counter exhausted: next epoch */

/**
 * struct iotguard_dev - one device's credential and where it stands
 * @root: the root key from enrollment; only epoch keys are derived from it
 * @epoch_key: the key of @epoch
 * @epoch: the epoch the device sends in
 * @counter: the next datagram's counter in @epoch
 * @mode: IOTGUARD_WIRE_MODE_AUTH or _SEAL
 */
struct iotguard_dev {
	uint8_t root[IOTGUARD_WIRE_KEY_LEN];
	uint8_t epoch_key[IOTGUARD_WIRE_KEY_LEN];
	uint32_t epoch;
	uint64_t counter;
	uint8_t mode;
};

/**
 * struct iotguard_dev_flow - the addresses and ports of a datagram, as the
 * edge will see them
 * @family: 4 or 6
 * @sport: source port, host order
 * @dport: destination port, host order
 * @saddr: source address (4 or 16 bytes)
 * @daddr: destination address
 */
struct iotguard_dev_flow {
	uint8_t family;
	uint16_t sport;
	uint16_t dport;
	uint8_t saddr[16];
	uint8_t daddr[16];
};

/*
 * Sets dev up with a root key, a mode, and the epoch and counter to go on
 * from (0 and 0 for a new credential). Returns 0 or -IOTGUARD_DEV_EINVAL.
 */
int iotguard_dev_init(struct iotguard_dev *dev, const uint8_t *root,
		      uint8_t mode, uint32_t epoch, uint64_t counter);

/* Moves to the next epoch: its key, counter 0. */
int iotguard_dev_next_epoch(struct iotguard_dev *dev);

/* The key of an epoch, from a root key (the edge derives the same). */
int iotguard_dev_epoch_key(uint8_t *key, const uint8_t *root,
			   uint32_t epoch);

/*
 * Protects the body in buf (len bytes, room for cap) for flow: appends the
 * trailer (encrypting the body first in seal mode) and sets *out_len to
 * the datagram's payload length, len + IOTGUARD_WIRE_TRAILER_LEN. Uses
 * and advances dev's counter. Returns 0 or a negative error.
 */
int iotguard_dev_protect(struct iotguard_dev *dev,
			 const struct iotguard_dev_flow *flow, uint8_t *buf,
			 size_t len, size_t cap, size_t *out_len);

/*
 * The edge's check, for tests and tools: verifies the trailer of the
 * payload (len bytes) under key (an epoch key) for flow, decrypts a
 * sealed body in place, and sets *body_len. Counters and epochs are the
 * caller's to judge (*epoch, *counter). Returns 0, -IOTGUARD_DEV_EBADMSG
 * or -IOTGUARD_DEV_EINVAL.
 */
int iotguard_dev_open(const uint8_t *key, uint8_t mode,
		      const struct iotguard_dev_flow *flow, uint8_t *buf,
		      size_t len, size_t *body_len, uint32_t *epoch,
		      uint64_t *counter);

/* Forgets every key of dev (the backend's wipe, not optimised away). */
void iotguard_dev_wipe(struct iotguard_dev *dev);

/*
 * Enrollment (protocol.rst, "Enrollment"): a one-time code, the hello the
 * device sends with it, the welcome the router answers with.
 */
struct iotguard_dev_code {
	uint32_t id;
	uint8_t secret[IOTGUARD_WIRE_CODE_SECRET_LEN];
};

/**
 * struct iotguard_dev_welcome - what the router gives a device
 * @root: its root key
 * @expires: the credential's end, Unix seconds; 0: none
 * @epoch_seconds: how long an epoch lasts at most
 * @mode: IOTGUARD_WIRE_MODE_AUTH or _SEAL
 */
struct iotguard_dev_welcome {
	uint8_t root[IOTGUARD_WIRE_KEY_LEN];
	uint64_t expires;
	uint32_t epoch_seconds;
	uint8_t mode;
};

/* The code's key, which its hello and welcome are made with. */
int iotguard_dev_code_key(uint8_t *key, const struct iotguard_dev_code *code);

/* Reads a code written as "IGE1-" 8 hex digits "-" 32 hex digits. */
int iotguard_dev_code_parse(struct iotguard_dev_code *code, const char *text);

/*
 * The hello for code, from flow (to the router's enrollment port), with
 * the device's nonce (16 random bytes): written to buf (room for cap),
 * *out_len its length.
 */
int iotguard_dev_hello(const struct iotguard_dev_code *code,
		       const struct iotguard_dev_flow *flow,
		       const uint8_t *nonce, uint8_t *buf, size_t cap,
		       size_t *out_len);

/*
 * Opens the router's welcome (len bytes at payload, decrypted in place)
 * to the hello sent with flow and nonce: flow is the hello's, the welcome
 * comes back on it reversed. Returns 0 and fills *welcome, or
 * -IOTGUARD_DEV_EBADMSG for anything but the welcome to that hello.
 */
int iotguard_dev_welcome_open(const struct iotguard_dev_code *code,
			      const struct iotguard_dev_flow *flow,
			      const uint8_t *nonce, uint8_t *payload,
			      size_t len,
			      struct iotguard_dev_welcome *welcome);

#endif /* IOTGUARD_DEVICE_H */
