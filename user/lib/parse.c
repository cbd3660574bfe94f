// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing and formatting of addresses, MACs, rates, states and classes.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "parse.h"

static const char *const state_names[] = {
	[IOTGUARD_STATE_ALLOW] = "allow",
	[IOTGUARD_STATE_DENY] = "deny",
	[IOTGUARD_STATE_QUARANTINE] = "quarantine",
};

/* The module's names of iotguardd's detectors and actions (alerts). */
static const char *const alert_detector_names[] = {
	[IOTGUARD_ALERT_DET_NONE] = "none",
	[IOTGUARD_ALERT_DET_SURGE] = "surge",
	[IOTGUARD_ALERT_DET_DROP] = "drop",
	[IOTGUARD_ALERT_DET_SILENCE] = "silence",
	[IOTGUARD_ALERT_DET_SCAN] = "scan",
	[IOTGUARD_ALERT_DET_NEW_DEST] = "new_dest",
	[IOTGUARD_ALERT_DET_SIZE] = "size",
	[IOTGUARD_ALERT_DET_SPOOF] = "spoof",
	[IOTGUARD_ALERT_DET_ENROLL] = "enroll",
	[IOTGUARD_ALERT_DET_FORGED] = "forged",
};

static const char *const alert_action_names[] = {
	[IOTGUARD_ALERT_ACT_NONE] = "none",
	[IOTGUARD_ALERT_ACT_ALERT] = "alert",
	[IOTGUARD_ALERT_ACT_QUARANTINE] = "quarantine",
	[IOTGUARD_ALERT_ACT_DENY] = "deny",
	[IOTGUARD_ALERT_ACT_RELEASE] = "release",
};

static const char *const cred_mode_names[] = {
	[IOTGUARD_CRED_NONE] = "none",
	[IOTGUARD_CRED_AUTH] = "auth",
	[IOTGUARD_CRED_SEAL] = "seal",
};

static const char *const class_names[] = {
	[IOTGUARD_CLASS_GENERIC] = "generic",
	[IOTGUARD_CLASS_LIGHT] = "light",
	[IOTGUARD_CLASS_SENSOR] = "sensor",
	[IOTGUARD_CLASS_CAMERA] = "camera",
	[IOTGUARD_CLASS_METER] = "meter",
	[IOTGUARD_CLASS_GATEWAY] = "gateway",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int fail(const char **why, const char *reason, int err)
{
	if (why)
		*why = reason;
	return err;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int iotguard_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int iotguard_parse_addr(const char *s, struct iotguard_addr *out,
			const char **why)
{
	struct iotguard_addr addr = { 0 };

	if (!*s)
		return fail(why, "empty address", -EINVAL);
	/* inet_pton() takes dotted quads only, unlike inet_aton(). */
	if (inet_pton(AF_INET, s, addr.addr) == 1)
		addr.family = AF_INET;
	else if (inet_pton(AF_INET6, s, addr.addr) == 1)
		addr.family = AF_INET6;
	else
		return fail(why, "not an IPv4 or IPv6 address", -EINVAL);
	*out = addr;
	return 0;
}

/* ADDR/LEN: an IPv6 prefix; /128 is the address itself. */
static int parse_prefix(const char *s, struct iotguard_addr *out,
			const char **why)
{
	const char *slash = strchr(s, '/');
	char addr[INET6_ADDRSTRLEN];
	struct iotguard_addr id;
	unsigned long plen;
	char *end;

	if ((size_t)(slash - s) >= sizeof(addr))
		return fail(why, "not an IPv6 prefix", -EINVAL);
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	if (iotguard_parse_addr(addr, &id, why))
		return -EINVAL;
	if (id.family != AF_INET6)
		return fail(why, "a prefix identity is IPv6", -EINVAL);
	errno = 0;
	plen = strtoul(slash + 1, &end, 10);
	if (!isdigit((unsigned char)slash[1]) || *end || errno ||
	    plen < 1 || plen > 128)
		return fail(why, "prefix length not from 1 to 128", -EINVAL);
	id.plen = plen == 128 ? 0 : plen;
	*out = id;
	return 0;
}

/*
 * A device's identity: an address, an IPv6 prefix, or a MAC for a device
 * enrolled by MAC.
 */
int iotguard_parse_identity(const char *s, struct iotguard_addr *out,
			    const char **why)
{
	struct iotguard_addr id = { .family = AF_PACKET };

	if (strchr(s, '/'))
		return parse_prefix(s, out, why);
	if (!iotguard_parse_addr(s, out, why))
		return 0;
	if (iotguard_parse_mac(s, id.addr, NULL))
		return fail(why, "not an IPv4 or IPv6 address, nor a MAC",
			    -EINVAL);
	*out = id;
	return 0;
}

const char *iotguard_format_addr(const struct iotguard_addr *addr, char *buf,
				 size_t len)
{
	if (addr->family == AF_PACKET)
		return iotguard_format_mac(addr->addr, buf, len);
	if ((addr->family != AF_INET && addr->family != AF_INET6) ||
	    !inet_ntop(addr->family, addr->addr, buf, len))
		snprintf(buf, len, "?");
	else if (addr->family == AF_INET6 && addr->plen)
		snprintf(buf + strlen(buf), len - strlen(buf), "/%u",
			 addr->plen);
	return buf;
}

int iotguard_parse_mac(const char *s, uint8_t mac[6], const char **why)
{
	uint8_t parsed[6];
	char sep = s[0] && s[1] ? s[2] : 0;
	int i;

	if (sep != ':' && sep != '-')
		return fail(why, "expected six hex bytes, as aa:bb:cc:dd:ee:ff",
			    -EINVAL);
	for (i = 0; i < 6; i++, s += 3) {
		int hi = iotguard_hex_value(s[0]);
		int lo = hi < 0 ? -1 : iotguard_hex_value(s[1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[2] != sep))
			return fail(why,
				    "expected six hex bytes, as aa:bb:cc:dd:ee:ff",
				    -EINVAL);
		parsed[i] = hi << 4 | lo;
		if (i == 5 && s[2])
			return fail(why, "unexpected characters after the MAC",
				    -EINVAL);
	}
	memcpy(mac, parsed, sizeof(parsed));
	return 0;
}

const char *iotguard_format_mac(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

/*
 * Parses a decimal number with an optional fraction and k/M/G suffix,
 * followed by nothing or by unit. Exact integer arithmetic: 1.5M must not
 * become 1499999 through a double. Malformed input is reported before a
 * value too large.
 */
static int parse_scaled(const char *s, const char *unit, uint64_t max,
			uint64_t *out, const char **why)
{
	uint64_t whole = 0, frac = 0, frac_div = 1, mult = 1, value;
	unsigned int frac_digits = 0;
	bool overflow = false;

	if (*s == '-')
		return fail(why, "must not be negative", -EINVAL);
	if (!is_digit(*s))
		return fail(why, "not a number", -EINVAL);
	for (; is_digit(*s); s++) {
		overflow |= __builtin_mul_overflow(whole, 10, &whole);
		overflow |= __builtin_add_overflow(whole, *s - '0', &whole);
	}
	if (*s == '.') {
		s++;
		if (!is_digit(*s))
			return fail(why, "expected digits after the '.'",
				    -EINVAL);
		for (; is_digit(*s); s++) {
			/* 9 places make anything below a G-unit whole. */
			if (++frac_digits > 9)
				return fail(why, "too many decimal places",
					    -EINVAL);
			frac = frac * 10 + (*s - '0');
			frac_div *= 10;
		}
	}
	switch (*s) {
	case 'k':
	case 'K':
		mult = 1000;
		s++;
		break;
	case 'M':
		mult = 1000000;
		s++;
		break;
	case 'G':
		mult = 1000000000;
		s++;
		break;
	}
	if (*s && (!unit || strcmp(s, unit)))
		return fail(why, "unexpected characters after the number",
			    -EINVAL);
	if (frac * mult % frac_div)
		return fail(why, "not a whole number", -EINVAL);
	overflow |= __builtin_mul_overflow(whole, mult, &value);
	overflow |= __builtin_add_overflow(value, frac * mult / frac_div,
					   &value);
	if (overflow || value > max)
		return fail(why, "too large", -ERANGE);
	*out = value;
	return 0;
}

int iotguard_parse_count(const char *s, uint64_t max, uint64_t *out,
			 const char **why)
{
	return parse_scaled(s, NULL, max, out, why);
}

int iotguard_parse_rate(const char *s, uint64_t max, uint64_t *out,
			const char **why)
{
	return parse_scaled(s, "/s", max, out, why);
}

const char *iotguard_format_count(uint64_t value, char *buf, size_t len)
{
	static const struct {
		uint64_t unit;
		char suffix;
	} units[] = { { 1000000000, 'G' }, { 1000000, 'M' }, { 1000, 'k' } };
	char best[32], candidate[32];
	bool suffixed = false;
	size_t i;

	snprintf(best, sizeof(best), "%llu", (unsigned long long)value);
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		uint64_t unit = units[i].unit, whole = value / unit;
		unsigned int frac = value % unit / (unit / 1000);
		int digits = 3;

		if (!whole || value % (unit / 1000))
			continue;
		/* Trailing zeroes of the fraction go: 1.500M is 1.5M. */
		for (; digits && frac % 10 == 0; digits--)
			frac /= 10;
		if (digits)
			snprintf(candidate, sizeof(candidate), "%llu.%0*u%c",
				 (unsigned long long)whole, digits, frac,
				 units[i].suffix);
		else
			snprintf(candidate, sizeof(candidate), "%llu%c",
				 (unsigned long long)whole, units[i].suffix);
		/* The shortest wins; a suffix wins a tie with the digits. */
		if (strlen(candidate) < strlen(best) ||
		    (!suffixed && strlen(candidate) == strlen(best))) {
			memcpy(best, candidate, sizeof(best));
			suffixed = true;
		}
	}
	snprintf(buf, len, "%s", best);
	return buf;
}

int iotguard_parse_state(const char *s, uint8_t *out, const char **why)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(state_names); i++) {
		if (state_names[i] && !strcmp(s, state_names[i])) {
			*out = i;
			return 0;
		}
	}
	return fail(why, "expected allow, deny or quarantine", -EINVAL);
}

const char *iotguard_state_name(unsigned int state)
{
	return state < ARRAY_SIZE(state_names) ? state_names[state] : NULL;
}

const char *iotguard_alert_detector_name(unsigned int detector)
{
	return detector < ARRAY_SIZE(alert_detector_names) ?
	       alert_detector_names[detector] : NULL;
}

int iotguard_parse_alert_detector(const char *s, uint8_t *out,
				  const char **why)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(alert_detector_names); i++) {
		if (!strcmp(s, alert_detector_names[i])) {
			*out = i;
			return 0;
		}
	}
	*why = "not a detector (surge, drop, silence, scan, new_dest, size, "
	       "spoof, enroll, forged)";
	return -EINVAL;
}

const char *iotguard_alert_action_name(unsigned int action)
{
	return action < ARRAY_SIZE(alert_action_names) ?
	       alert_action_names[action] : NULL;
}

int iotguard_parse_cred_mode(const char *s, uint8_t *out, const char **why)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cred_mode_names); i++) {
		if (!strcmp(s, cred_mode_names[i])) {
			*out = i;
			return 0;
		}
	}
	return fail(why, "expected none, auth or seal", -EINVAL);
}

const char *iotguard_cred_mode_name(unsigned int mode)
{
	return mode < ARRAY_SIZE(cred_mode_names) ? cred_mode_names[mode] :
						    NULL;
}

/* Digits only, at most max; -ERANGE past it. */
static int parse_digits(const char *s, const char **end, uint64_t max,
			uint64_t *out)
{
	uint64_t value = 0;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		if (value > (max - (*s - '0')) / 10)
			return -ERANGE;
		value = value * 10 + (*s - '0');
	}
	*end = s;
	*out = value;
	return 0;
}

int iotguard_parse_expires(const char *s, uint64_t now, uint64_t *out,
			   const char **why)
{
	static const char usage[] =
		"expected Unix seconds, +DURATION (+30d, +12h, +10m) or never";
	static const char too_late[] = "later than 9999-12-31";
	static const struct {
		char unit;
		uint64_t seconds;
	} units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 604800 },
	};
	uint64_t value, unit = 1;
	const char *end;
	size_t i;
	int ret;

	if (!strcmp(s, "never")) {
		*out = 0;
		return 0;
	}
	if (*s != '+') {
		ret = parse_digits(s, &end, IOTGUARD_EXPIRES_MAX, &value);
		if (ret || *end)
			return fail(why, ret == -ERANGE ? too_late : usage,
				    ret == -ERANGE ? ret : -EINVAL);
		*out = value;
		return 0;
	}
	ret = parse_digits(s + 1, &end, IOTGUARD_EXPIRES_MAX, &value);
	if (ret == -ERANGE)
		return fail(why, too_late, -ERANGE);
	if (ret)
		return fail(why, usage, -EINVAL);
	if (*end) {
		for (i = 0; i < ARRAY_SIZE(units) && *end != units[i].unit;
		     i++)
			;
		if (i == ARRAY_SIZE(units) || end[1])
			return fail(why, usage, -EINVAL);
		unit = units[i].seconds;
	}
	if (now > IOTGUARD_EXPIRES_MAX ||
	    value > (IOTGUARD_EXPIRES_MAX - now) / unit)
		return fail(why, too_late, -ERANGE);
	*out = now + value * unit;
	return 0;
}

int iotguard_parse_class(const char *s, uint16_t *out, const char **why)
{
	uint64_t value = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(class_names); i++) {
		if (!strcmp(s, class_names[i])) {
			*out = i;
			return 0;
		}
	}
	if (*s == '-')
		return fail(why, "must not be negative", -EINVAL);
	if (!is_digit(*s))
		return fail(why,
			    "expected generic, light, sensor, camera, meter, gateway or a number",
			    -EINVAL);
	for (; is_digit(*s); s++) {
		value = value * 10 + (*s - '0');
		if (value > UINT16_MAX)
			return fail(why, "too large (at most 65535)", -ERANGE);
	}
	if (*s)
		return fail(why, "unexpected characters after the number",
			    -EINVAL);
	*out = value;
	return 0;
}

const char *iotguard_class_name(unsigned int class)
{
	return class < ARRAY_SIZE(class_names) ? class_names[class] : NULL;
}
