// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of user/lib/parse.c: what users type on the command line.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
/*
 * The 6.1 harness is not -Wextra clean: TEST() leaves a parameter unused
 * and EXPECT_EQ() compares an int literal with what it is given.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "parse.h"

TEST(addr_ipv4)
{
	struct iotguard_addr addr;
	const uint8_t want[16] = { 198, 18, 0, 10 };

	ASSERT_EQ(0, iotguard_parse_addr("198.18.0.10", &addr, NULL));
	EXPECT_EQ(AF_INET, addr.family);
	EXPECT_EQ(0, memcmp(want, addr.addr, sizeof(want)));
}

TEST(addr_ipv6)
{
	struct iotguard_addr addr;
	const uint8_t want[16] = { 0x20, 0x01, 0, 2, [15] = 0x10 };

	ASSERT_EQ(0, iotguard_parse_addr("2001:2::10", &addr, NULL));
	EXPECT_EQ(AF_INET6, addr.family);
	EXPECT_EQ(0, memcmp(want, addr.addr, sizeof(want)));
}

TEST(addr_format_round_trip)
{
	static const char *const addrs[] = {
		"198.18.0.1", "198.19.255.254", "2001:2::1",
		"2001:2:0:ffff::abcd",
	};
	char buf[IOTGUARD_ADDR_STRLEN];
	struct iotguard_addr addr;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		ASSERT_EQ(0, iotguard_parse_addr(addrs[i], &addr, NULL));
		EXPECT_STREQ(addrs[i],
			     iotguard_format_addr(&addr, buf, sizeof(buf)));
	}
}

TEST(addr_ipv6_canonical_form)
{
	char buf[IOTGUARD_ADDR_STRLEN];
	struct iotguard_addr addr;

	ASSERT_EQ(0, iotguard_parse_addr("2001:0002:0000:0000::0010", &addr,
					 NULL));
	EXPECT_STREQ("2001:2::10", iotguard_format_addr(&addr, buf,
							sizeof(buf)));
}

TEST(addr_rejects_malformed)
{
	static const char *const bad[] = {
		"", "198.18.0", "198.18.0.256", "198.18.0.1 ", " 198.18.0.1",
		"198.18.0.1/24", "198.18.0.1x", "2001:2::1::2", "2001:2::g",
		"lamp1", "198.18.0.-1", "0x7f.0.0.1",
	};
	struct iotguard_addr addr;
	const char *why = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		why = NULL;	/* each case must say why, not the last */
		EXPECT_EQ(-EINVAL, iotguard_parse_addr(bad[i], &addr, &why))
			TH_LOG("accepted \"%s\"", bad[i]);
		EXPECT_NE(NULL, why);
	}
}

TEST(identity_ipv6_prefix)
{
	char buf[IOTGUARD_ADDR_STRLEN];
	struct iotguard_addr id;

	ASSERT_EQ(0, iotguard_parse_identity("2001:2:0:1::/64", &id, NULL));
	EXPECT_EQ(AF_INET6, id.family);
	EXPECT_EQ(64, id.plen);
	EXPECT_STREQ("2001:2:0:1::/64",
		     iotguard_format_addr(&id, buf, sizeof(buf)));
	/* the longest form fits */
	ASSERT_EQ(0, iotguard_parse_identity(
		"2001:2:ffff:ffff:ffff:ffff:ffff:fffe/127", &id, NULL));
	EXPECT_STREQ("2001:2:ffff:ffff:ffff:ffff:ffff:fffe/127",
		     iotguard_format_addr(&id, buf, sizeof(buf)));
	/* /128 is the address itself */
	ASSERT_EQ(0, iotguard_parse_identity("2001:2::10/128", &id, NULL));
	EXPECT_EQ(0, id.plen);
	EXPECT_STREQ("2001:2::10", iotguard_format_addr(&id, buf, sizeof(buf)));
}

TEST(identity_prefix_rejects_malformed)
{
	static const char *const bad[] = {
		"198.18.0.0/24", "2001:2::/0", "2001:2::/129", "2001:2::/",
		"2001:2::/64x", "2001:2::/+64", "2001:2::/ 64", "/64",
		"2001:2::/64/64", "02:00:5e:00:00:01/64",
		"2001:0002:0000:0000:0000:0000:0000:0000:0000/64",
	};
	struct iotguard_addr id;
	const char *why;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		why = NULL;
		EXPECT_EQ(-EINVAL, iotguard_parse_identity(bad[i], &id, &why))
			TH_LOG("accepted \"%s\"", bad[i]);
		EXPECT_NE(NULL, why);
	}
}

TEST(addr_format_unknown_family)
{
	struct iotguard_addr addr = { .family = AF_UNIX };
	char buf[IOTGUARD_ADDR_STRLEN];

	EXPECT_STREQ("?", iotguard_format_addr(&addr, buf, sizeof(buf)));
}

TEST(mac_parse_and_format)
{
	const uint8_t want[6] = { 0x02, 0x00, 0x5e, 0xab, 0xcd, 0xef };
	char buf[IOTGUARD_MAC_STRLEN];
	uint8_t mac[6];

	ASSERT_EQ(0, iotguard_parse_mac("02:00:5e:AB:cd:EF", mac, NULL));
	EXPECT_EQ(0, memcmp(want, mac, sizeof(want)));
	EXPECT_STREQ("02:00:5e:ab:cd:ef",
		     iotguard_format_mac(mac, buf, sizeof(buf)));
}

TEST(mac_dash_separator)
{
	const uint8_t want[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t mac[6];

	ASSERT_EQ(0, iotguard_parse_mac("02-00-00-00-00-01", mac, NULL));
	EXPECT_EQ(0, memcmp(want, mac, sizeof(want)));
}

TEST(mac_rejects_malformed)
{
	static const char *const bad[] = {
		"", "02:00:00:00:00", "02:00:00:00:00:01:02",
		"02:00:00:00:00:1", "2:0:0:0:0:1", "02:00:00:00:00:0g",
		"02:00-00:00:00:01", "0200.0000.0001", "02:00:00:00:00:01 ",
		"02:00:00:00:00:",
	};
	uint8_t mac[6] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };
	const uint8_t untouched[6] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };
	const char *why = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		why = NULL;	/* each case must say why, not the last */
		EXPECT_EQ(-EINVAL, iotguard_parse_mac(bad[i], mac, &why))
			TH_LOG("accepted \"%s\"", bad[i]);
		EXPECT_NE(NULL, why);
	}
	EXPECT_EQ(0, memcmp(untouched, mac, sizeof(mac)));
}

TEST(count_plain)
{
	uint64_t value;

	ASSERT_EQ(0, iotguard_parse_count("0", UINT32_MAX, &value, NULL));
	EXPECT_EQ(0, value);
	ASSERT_EQ(0, iotguard_parse_count("100", UINT32_MAX, &value, NULL));
	EXPECT_EQ(100, value);
	ASSERT_EQ(0, iotguard_parse_count("007", UINT32_MAX, &value, NULL));
	EXPECT_EQ(7, value);
}

TEST(count_suffixes_are_decimal)
{
	uint64_t value;

	ASSERT_EQ(0, iotguard_parse_count("2k", UINT64_MAX, &value, NULL));
	EXPECT_EQ(2000, value);
	ASSERT_EQ(0, iotguard_parse_count("2K", UINT64_MAX, &value, NULL));
	EXPECT_EQ(2000, value);
	ASSERT_EQ(0, iotguard_parse_count("3M", UINT64_MAX, &value, NULL));
	EXPECT_EQ(3000000, value);
	ASSERT_EQ(0, iotguard_parse_count("4G", UINT64_MAX, &value, NULL));
	EXPECT_EQ(4000000000ULL, value);
}

TEST(count_fractions)
{
	uint64_t value;

	ASSERT_EQ(0, iotguard_parse_count("1.5M", UINT64_MAX, &value, NULL));
	EXPECT_EQ(1500000, value);
	ASSERT_EQ(0, iotguard_parse_count("12.5k", UINT64_MAX, &value,
					  NULL));
	EXPECT_EQ(12500, value);
	ASSERT_EQ(0, iotguard_parse_count("0.001G", UINT64_MAX, &value,
					  NULL));
	EXPECT_EQ(1000000, value);
	ASSERT_EQ(0, iotguard_parse_count("1.000000001G", UINT64_MAX, &value,
					  NULL));
	EXPECT_EQ(1000000001, value);
	/* Exact: a double would make this 1499999 or so. */
	ASSERT_EQ(0, iotguard_parse_count("1.499999M", UINT64_MAX, &value,
					  NULL));
	EXPECT_EQ(1499999, value);
}

TEST(count_rejects_fraction_not_whole)
{
	const char *why = NULL;
	uint64_t value;

	EXPECT_EQ(-EINVAL, iotguard_parse_count("1.5", UINT64_MAX, &value,
						&why));
	EXPECT_STREQ("not a whole number", why);
	EXPECT_EQ(-EINVAL, iotguard_parse_count("1.0005k", UINT64_MAX, &value,
						&why));
	EXPECT_EQ(-EINVAL, iotguard_parse_count("1.0000000001G", UINT64_MAX,
						&value, &why));
	EXPECT_STREQ("too many decimal places", why);
}

TEST(count_rejects_negative)
{
	const char *why = NULL;
	uint64_t value = 42;

	EXPECT_EQ(-EINVAL, iotguard_parse_count("-1", UINT64_MAX, &value,
						&why));
	EXPECT_STREQ("must not be negative", why);
	EXPECT_EQ(-EINVAL, iotguard_parse_count("-0", UINT64_MAX, &value,
						&why));
	EXPECT_EQ(42, value);
}

TEST(count_rejects_trailing_junk)
{
	static const char *const bad[] = {
		"10x", "10 ", "10kk", "10k/s", "1e3", "10m", "10.", "1.k",
		"0x10", "10/s",
	};
	const char *why = NULL;
	uint64_t value;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, iotguard_parse_count(bad[i], UINT64_MAX,
							&value, &why))
			TH_LOG("accepted \"%s\"", bad[i]);
	}
}

TEST(count_rejects_empty_and_signs)
{
	static const char *const bad[] = { "", "+5", " 5", ".5", "k" };
	const char *why = NULL;
	uint64_t value;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, iotguard_parse_count(bad[i], UINT64_MAX,
							&value, &why))
			TH_LOG("accepted \"%s\"", bad[i]);
	}
}

TEST(count_max_is_inclusive)
{
	const char *why = NULL;
	uint64_t value;

	ASSERT_EQ(0, iotguard_parse_count("4294967295", UINT32_MAX, &value,
					  NULL));
	EXPECT_EQ(UINT32_MAX, value);
	EXPECT_EQ(-ERANGE, iotguard_parse_count("4294967296", UINT32_MAX,
						&value, &why));
	EXPECT_STREQ("too large", why);
	EXPECT_EQ(-ERANGE, iotguard_parse_count("4.3G", UINT32_MAX, &value,
						NULL));
}

TEST(count_u64_overflow)
{
	uint64_t value;

	ASSERT_EQ(0, iotguard_parse_count("18446744073709551615", UINT64_MAX,
					  &value, NULL));
	EXPECT_EQ(UINT64_MAX, value);
	EXPECT_EQ(-ERANGE, iotguard_parse_count("18446744073709551616",
						UINT64_MAX, &value, NULL));
	EXPECT_EQ(-ERANGE, iotguard_parse_count("99999999999999999999999",
						UINT64_MAX, &value, NULL));
	EXPECT_EQ(-ERANGE, iotguard_parse_count("18446744073709552k",
						UINT64_MAX, &value, NULL));
	EXPECT_EQ(-ERANGE, iotguard_parse_count("18446744073.8G",
						UINT64_MAX, &value, NULL));
}

TEST(count_junk_reported_before_overflow)
{
	const char *why = NULL;
	uint64_t value;

	EXPECT_EQ(-EINVAL, iotguard_parse_count("99999999999999999999999x",
						UINT64_MAX, &value, &why));
	EXPECT_STREQ("unexpected characters after the number", why);
}

TEST(rate_per_second_unit)
{
	uint64_t value;

	ASSERT_EQ(0, iotguard_parse_rate("100", UINT32_MAX, &value, NULL));
	EXPECT_EQ(100, value);
	ASSERT_EQ(0, iotguard_parse_rate("100/s", UINT32_MAX, &value, NULL));
	EXPECT_EQ(100, value);
	ASSERT_EQ(0, iotguard_parse_rate("2k/s", UINT32_MAX, &value, NULL));
	EXPECT_EQ(2000, value);
	ASSERT_EQ(0, iotguard_parse_rate("1.5M/s", UINT64_MAX, &value, NULL));
	EXPECT_EQ(1500000, value);
}

TEST(rate_rejects_other_units)
{
	static const char *const bad[] = {
		"100/", "100/m", "100/s ", "100 /s", "100/ss", "/s", "100s",
		"-100/s",
	};
	uint64_t value;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, iotguard_parse_rate(bad[i], UINT32_MAX,
						       &value, NULL))
			TH_LOG("accepted \"%s\"", bad[i]);
	}
}

TEST(rate_overflow)
{
	uint64_t value;

	EXPECT_EQ(-ERANGE, iotguard_parse_rate("5G/s", UINT32_MAX, &value,
					       NULL));
	ASSERT_EQ(0, iotguard_parse_rate("5G/s", UINT64_MAX, &value, NULL));
	EXPECT_EQ(5000000000ULL, value);
}

TEST(format_count)
{
	static const struct {
		uint64_t value;
		const char *text;
	} cases[] = {
		{ 0, "0" }, { 100, "100" }, { 999, "999" }, { 1000, "1k" },
		{ 1500, "1.5k" }, { 12500, "12.5k" }, { 1234567, "1234567" },
		{ 1500000, "1.5M" }, { 1234000, "1234k" },
		{ 4000000000ULL, "4G" }, { 1001, "1001" },
		{ UINT64_MAX, "18446744073709551615" },
	};
	char buf[32];
	uint64_t parsed;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		EXPECT_STREQ(cases[i].text,
			     iotguard_format_count(cases[i].value, buf,
						   sizeof(buf)));
		/* What is printed reads back as the same number. */
		ASSERT_EQ(0, iotguard_parse_count(buf, UINT64_MAX, &parsed,
						  NULL));
		EXPECT_EQ(cases[i].value, parsed);
	}
}

TEST(states)
{
	uint8_t state;

	ASSERT_EQ(0, iotguard_parse_state("allow", &state, NULL));
	EXPECT_EQ(IOTGUARD_STATE_ALLOW, state);
	ASSERT_EQ(0, iotguard_parse_state("deny", &state, NULL));
	EXPECT_EQ(IOTGUARD_STATE_DENY, state);
	ASSERT_EQ(0, iotguard_parse_state("quarantine", &state, NULL));
	EXPECT_EQ(IOTGUARD_STATE_QUARANTINE, state);
}

TEST(states_rejected)
{
	static const char *const bad[] = {
		"", "Allow", "allowed", "1", "unspec", "deny ", "quarantin",
	};
	const char *why = NULL;
	uint8_t state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		why = NULL;	/* each case must say why, not the last */
		EXPECT_EQ(-EINVAL, iotguard_parse_state(bad[i], &state, &why))
			TH_LOG("accepted \"%s\"", bad[i]);
		EXPECT_STREQ("expected allow, deny or quarantine", why);
	}
}

TEST(state_names)
{
	EXPECT_STREQ("allow", iotguard_state_name(IOTGUARD_STATE_ALLOW));
	EXPECT_STREQ("deny", iotguard_state_name(IOTGUARD_STATE_DENY));
	EXPECT_STREQ("quarantine",
		     iotguard_state_name(IOTGUARD_STATE_QUARANTINE));
	EXPECT_EQ(NULL, iotguard_state_name(IOTGUARD_STATE_UNSPEC));
	EXPECT_EQ(NULL, iotguard_state_name(200));
}

/* The alerts' detectors and actions by name, as the module numbers them. */
TEST(alert_detectors)
{
	const char *why = NULL;
	unsigned int det;
	uint8_t out = 0;

	EXPECT_STREQ("scan", iotguard_alert_detector_name(
				     IOTGUARD_ALERT_DET_SCAN));
	EXPECT_STREQ("forged", iotguard_alert_detector_name(
				       IOTGUARD_ALERT_DET_FORGED));
	EXPECT_EQ(NULL,
		  iotguard_alert_detector_name(IOTGUARD_ALERT_DET_MAX + 1));
	EXPECT_STREQ("quarantine", iotguard_alert_action_name(
					   IOTGUARD_ALERT_ACT_QUARANTINE));
	EXPECT_EQ(NULL,
		  iotguard_alert_action_name(IOTGUARD_ALERT_ACT_MAX + 1));
	for (det = 0; det <= IOTGUARD_ALERT_DET_MAX; det++) {
		ASSERT_NE(NULL, iotguard_alert_detector_name(det));
		EXPECT_EQ(0, iotguard_parse_alert_detector(
				     iotguard_alert_detector_name(det), &out,
				     &why));
		EXPECT_EQ(det, out);
	}
	EXPECT_EQ(-EINVAL, iotguard_parse_alert_detector("Scan", &out, &why));
	EXPECT_NE(NULL, why);
}

TEST(class_names)
{
	static const char *const names[] = {
		"generic", "light", "sensor", "camera", "meter", "gateway",
	};
	uint16_t class;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		ASSERT_EQ(0, iotguard_parse_class(names[i], &class, NULL));
		EXPECT_EQ(i, class);
		EXPECT_STREQ(names[i], iotguard_class_name(class));
	}
	EXPECT_EQ(NULL, iotguard_class_name(6));
	EXPECT_EQ(NULL, iotguard_class_name(65535));
}

TEST(class_numbers)
{
	uint16_t class;

	ASSERT_EQ(0, iotguard_parse_class("0", &class, NULL));
	EXPECT_EQ(0, class);
	ASSERT_EQ(0, iotguard_parse_class("3", &class, NULL));
	EXPECT_EQ(IOTGUARD_CLASS_CAMERA, class);
	ASSERT_EQ(0, iotguard_parse_class("65535", &class, NULL));
	EXPECT_EQ(65535, class);
}

TEST(class_rejected)
{
	const char *why = NULL;
	uint16_t class = 7;

	EXPECT_EQ(-ERANGE, iotguard_parse_class("65536", &class, &why));
	EXPECT_STREQ("too large (at most 65535)", why);
	EXPECT_EQ(-ERANGE, iotguard_parse_class("99999999999999999999", &class,
						&why));
	EXPECT_EQ(-EINVAL, iotguard_parse_class("-1", &class, &why));
	EXPECT_STREQ("must not be negative", why);
	EXPECT_EQ(-EINVAL, iotguard_parse_class("2k", &class, &why));
	EXPECT_EQ(-EINVAL, iotguard_parse_class("Camera", &class, &why));
	EXPECT_EQ(-EINVAL, iotguard_parse_class("", &class, &why));
	EXPECT_EQ(-EINVAL, iotguard_parse_class("1 ", &class, &why));
	EXPECT_EQ(7, class);
}

TEST(cred_modes)
{
	static const char *const bad[] = { "", "Auth", "sealed", "1" };
	const char *why = NULL;
	uint8_t mode = 9;
	size_t i;

	ASSERT_EQ(0, iotguard_parse_cred_mode("none", &mode, NULL));
	EXPECT_EQ(IOTGUARD_CRED_NONE, mode);
	ASSERT_EQ(0, iotguard_parse_cred_mode("auth", &mode, NULL));
	EXPECT_EQ(IOTGUARD_CRED_AUTH, mode);
	ASSERT_EQ(0, iotguard_parse_cred_mode("seal", &mode, NULL));
	EXPECT_EQ(IOTGUARD_CRED_SEAL, mode);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, iotguard_parse_cred_mode(bad[i], &mode,
							    &why));
		EXPECT_STREQ("expected none, auth or seal", why);
	}
	EXPECT_EQ(IOTGUARD_CRED_SEAL, mode);
	EXPECT_STREQ("auth", iotguard_cred_mode_name(IOTGUARD_CRED_AUTH));
	EXPECT_EQ(NULL, iotguard_cred_mode_name(IOTGUARD_CRED_MAX + 1));
}

TEST(expires)
{
	static const struct {
		const char *s;
		uint64_t want;
	} good[] = {
		{ "never", 0 },
		{ "0", 0 },
		{ "1900000000", 1900000000 },
		{ "253402300799", 253402300799ULL },
		{ "+30d", 1000000000 + 30 * 86400 },
		{ "+12h", 1000000000 + 12 * 3600 },
		{ "+10m", 1000000000 + 600 },
		{ "+45s", 1000000045 },
		{ "+45", 1000000045 },
		{ "+2w", 1000000000 + 2 * 604800 },
		{ "+0", 1000000000 },
	};
	uint64_t out;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		out = 7;
		EXPECT_EQ(0, iotguard_parse_expires(good[i].s, 1000000000,
						    &out, NULL))
			TH_LOG("rejected \"%s\"", good[i].s);
		EXPECT_EQ(good[i].want, out);
	}
}

TEST(expires_rejected)
{
	static const char *const bad[] = {
		"", "+", "-5", "+-5", "abc", "Never", "+30dd", "+30x", "30d",
		"1.5", "+1.5h", " 100", "100 ", "+ 5m", "0x10",
	};
	static const char *const late[] = {
		"253402300800", "99999999999999999999999", "+999999999999d",
		"+253402300799",
	};
	const char *why = NULL;
	uint64_t out = 7;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		why = NULL;
		EXPECT_EQ(-EINVAL, iotguard_parse_expires(bad[i], 1000000000,
							  &out, &why))
			TH_LOG("accepted \"%s\"", bad[i]);
		EXPECT_STREQ("expected Unix seconds, +DURATION (+30d, +12h, "
			     "+10m) or never", why);
	}
	for (i = 0; i < ARRAY_SIZE(late); i++) {
		why = NULL;
		EXPECT_EQ(-ERANGE, iotguard_parse_expires(late[i], 1000000000,
							  &out, &why))
			TH_LOG("accepted \"%s\"", late[i]);
		EXPECT_STREQ("later than 9999-12-31", why);
	}
	EXPECT_EQ(7, out);
}

TEST_HARNESS_MAIN
