/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsing and formatting of what users type: addresses, MACs, rates,
 * states, classes and credentials. Pure functions, no I/O.
 *
 * Parsers return 0, -EINVAL for malformed input or -ERANGE for a value out
 * of range, and point *why (when not NULL) at a short static explanation.
 */
#ifndef IOTGUARD_USER_PARSE_H
#define IOTGUARD_USER_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "nl.h"

/* Room for any formatted identity, NUL included: INET6_ADDRSTRLEN, "/127". */
#define IOTGUARD_ADDR_STRLEN 50
/* "aa:bb:cc:dd:ee:ff" and its NUL */
#define IOTGUARD_MAC_STRLEN 18

int iotguard_parse_addr(const char *s, struct iotguard_addr *out,
			const char **why);
/*
 * An address, an IPv6 prefix ADDR/LEN (LEN 128: the address), or a MAC
 * (family AF_PACKET): a device's identity.
 */
int iotguard_parse_identity(const char *s, struct iotguard_addr *out,
			    const char **why);
/* An address, ADDR/LEN for a prefix, or a MAC as iotguard_format_mac(). */
const char *iotguard_format_addr(const struct iotguard_addr *addr, char *buf,
				 size_t len);

int iotguard_parse_mac(const char *s, uint8_t mac[6], const char **why);
const char *iotguard_format_mac(const uint8_t mac[6], char *buf, size_t len);

/*
 * A non-negative whole number with an optional decimal suffix k, M or G
 * (10^3, 10^6, 10^9) and a fraction only as far as the suffix makes it
 * whole: "100", "2k", "1.5M". At most max.
 */
int iotguard_parse_count(const char *s, uint64_t max, uint64_t *out,
			 const char **why);
/* As iotguard_parse_count, also taking a "/s" unit: "100/s", "2k/s". */
int iotguard_parse_rate(const char *s, uint64_t max, uint64_t *out,
			const char **why);

/*
 * Formats a count so that iotguard_parse_count() reads it back, as short
 * as it gets: "1.5M", "12.5k", "1k", "100", "1001", "1234567".
 */
const char *iotguard_format_count(uint64_t value, char *buf, size_t len);

/* allow, deny or quarantine */
int iotguard_parse_state(const char *s, uint8_t *out, const char **why);
/* The state's name, or NULL for a value the tool does not know. */
const char *iotguard_state_name(unsigned int state);

/*
 * The name of an alert's detector (IOTGUARD_ALERT_DET_*) and action
 * (IOTGUARD_ALERT_ACT_*), or NULL for a value the tool does not know.
 */
const char *iotguard_alert_detector_name(unsigned int detector);
const char *iotguard_alert_action_name(unsigned int action);
/* A detector by its name, as iotguard_alert_detector_name gives it. */
int iotguard_parse_alert_detector(const char *s, uint8_t *out,
				  const char **why);

/* A hex digit's value, either case; -1 for anything else. */
int iotguard_hex_value(char c);

/* none, auth or seal: enum iotguard_cred_mode */
int iotguard_parse_cred_mode(const char *s, uint8_t *out, const char **why);
/* The mode's name, or NULL for a mode the tool does not know. */
const char *iotguard_cred_mode_name(unsigned int mode);

/* 9999-12-31T23:59:59Z: the latest expiry taken, and formatted. */
#define IOTGUARD_EXPIRES_MAX 253402300799ULL

/*
 * A credential's expiry in Unix seconds: "never" (0), Unix seconds (0 is
 * never too), or +DURATION from now: a number of seconds with an optional
 * unit s, m, h, d or w ("+30d", "+12h", "+10m"). At most
 * IOTGUARD_EXPIRES_MAX.
 */
int iotguard_parse_expires(const char *s, uint64_t now, uint64_t *out,
			   const char **why);

/* A class name of the table below, or a number 0-65535. */
int iotguard_parse_class(const char *s, uint16_t *out, const char **why);
/* The class's name, or NULL for a class without one. */
const char *iotguard_class_name(unsigned int class);

/* Named classes; the module only stores the number. */
enum iotguard_class {
	IOTGUARD_CLASS_GENERIC,
	IOTGUARD_CLASS_LIGHT,
	IOTGUARD_CLASS_SENSOR,
	IOTGUARD_CLASS_CAMERA,
	IOTGUARD_CLASS_METER,
	IOTGUARD_CLASS_GATEWAY,
};

#endif /* IOTGUARD_USER_PARSE_H */
