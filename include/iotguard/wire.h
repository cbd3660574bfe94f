/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * The device credential protocol on the wire, version 1: what a device in
 * auth or seal mode appends to each UDP datagram, what the associated data
 * of its tag is, and how its keys are derived. Documentation/protocol.rst
 * is the specification; this header is its constants, shared by the
 * device library (device/), the module and the XDP program.
 *
 * A protected datagram's UDP payload is the body followed by a trailer:
 *
 *   0       1       2       4               8                16          32
 *   +-------+-------+-------+---------------+----------------+-----------+
 *   |version| mode  |  0 0  | epoch (BE 32) | counter (LE 64)| tag (128) |
 *   +-------+-------+-------+---------------+----------------+-----------+
 *
 * The tag is ChaCha20-Poly1305 (RFC 8439; the 96-bit nonce four zero bytes
 * and the counter, little endian: the construction of WireGuard and of the
 * kernel's chacha20poly1305_encrypt()) under the device's key of that
 * epoch, with as associated data the pseudo-header: the trailer's first 8
 * bytes, the IP version (4 or 6), a zero byte, the source and destination
 * ports (big endian) and the source and destination addresses (4 or 16
 * bytes each). In auth mode the plaintext is empty and the body follows
 * the pseudo-header in the associated data; in seal mode the body is the
 * plaintext, and is sent encrypted.
 *
 * The key of epoch e is keyed BLAKE2s-256 (RFC 7693) under the device's
 * root key of IOTGUARD_WIRE_EPOCH_LABEL followed by e, 32 bits little
 * endian.
 */
#ifndef _IOTGUARD_WIRE_H
#define _IOTGUARD_WIRE_H

#define IOTGUARD_WIRE_VERSION		1

/* The trailer's mode: what the edge expects of a device, set per device. */
#define IOTGUARD_WIRE_MODE_AUTH		1	/* body in the clear, tagged */
#define IOTGUARD_WIRE_MODE_SEAL		2	/* body encrypted and tagged */

#define IOTGUARD_WIRE_KEY_LEN		32
#define IOTGUARD_WIRE_TAG_LEN		16
#define IOTGUARD_WIRE_TRAILER_LEN	32
/* The trailer's first bytes: version, mode, zeros, epoch. */
#define IOTGUARD_WIRE_PREFIX_LEN	8
/* The pseudo-header: the prefix, version, zero, ports, two addresses. */
#define IOTGUARD_WIRE_PSEUDO_MAX	(IOTGUARD_WIRE_PREFIX_LEN + 2 + 4 + 32)

/* No counter is this high: a device whose counter reaches it moves on. */
#define IOTGUARD_WIRE_COUNTER_MAX	(~0ULL - 1)

/* The label the key of an epoch is derived with (17 bytes, no NUL). */
#define IOTGUARD_WIRE_EPOCH_LABEL	"iotguard-v1 epoch"
#define IOTGUARD_WIRE_EPOCH_LABEL_LEN	17

/*
 * Enrollment (protocol.rst, "Enrollment"): a one-time code is a 32-bit id
 * and a 16-byte secret, written IOTGUARD_WIRE_CODE_PREFIX, 8 hex digits,
 * "-", 32 hex digits. Its key is keyed BLAKE2s-256 under the secret of
 * IOTGUARD_WIRE_CODE_LABEL followed by the id, 32 bits big endian. The
 * device's hello is an auth datagram under that key to the router's
 * IOTGUARD_WIRE_ENROLL_PORT, epoch field the code's id, counter 0, body
 * a 16-byte nonce of its own; the router's welcome a seal datagram back,
 * counter 1, body the root key, the credential's expiry (Unix seconds,
 * big endian; 0: none), the mode, three zero bytes, the epoch's length in
 * seconds (big endian) and the device's nonce.
 */
#define IOTGUARD_WIRE_ENROLL_PORT	7783
#define IOTGUARD_WIRE_CODE_PREFIX	"IGE1-"
#define IOTGUARD_WIRE_CODE_TEXT_LEN	(5 + 8 + 1 + 32)
#define IOTGUARD_WIRE_CODE_SECRET_LEN	16
#define IOTGUARD_WIRE_CODE_LABEL	"iotguard-v1 code"
#define IOTGUARD_WIRE_CODE_LABEL_LEN	16
#define IOTGUARD_WIRE_NONCE_LEN		16
#define IOTGUARD_WIRE_WELCOME_LEN	(32 + 8 + 4 + 4 + 16)

/*
 * A device's firmware has no Linux headers: it defines
 * IOTGUARD_WIRE_CONSTANTS_ONLY and takes the constants above alone.
 */
#ifndef IOTGUARD_WIRE_CONSTANTS_ONLY
#include <linux/types.h>

/**
 * struct iotguard_wire_trailer - the last 32 bytes of a protected datagram
 * @version: IOTGUARD_WIRE_VERSION
 * @mode: IOTGUARD_WIRE_MODE_*; must be the device's
 * @zero: must be 0
 * @epoch: the epoch whose key tagged it, big endian
 * @counter: the datagram's number in its epoch, little endian: the nonce
 * @tag: the ChaCha20-Poly1305 tag
 */
struct iotguard_wire_trailer {
	__u8 version;
	__u8 mode;
	__u8 zero[2];
	__be32 epoch;
	__le64 counter;
	__u8 tag[IOTGUARD_WIRE_TAG_LEN];
} __attribute__((packed));
#endif /* IOTGUARD_WIRE_CONSTANTS_ONLY */

#endif /* _IOTGUARD_WIRE_H */
