// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of user/lib/devfile.c: device files, inventory CSVs, their
 * errors with FILE:LINE, and the difference to a kernel's table.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
/*
 * The 6.1 harness is not -Wextra clean: TEST() leaves a parameter unused
 * and EXPECT_EQ() compares an int literal with what it is given.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "devfile.h"
#include "keyfile.h"
#include "parse.h"

/* Every message reported, one a line. */
struct errors {
	char text[8192];
	size_t len;
};

static void collect(void *ctx, const char *msg)
{
	struct errors *e = ctx;
	int n;

	n = snprintf(e->text + e->len, sizeof(e->text) - e->len, "%s\n", msg);
	if (n > 0 && (size_t)n < sizeof(e->text) - e->len)
		e->len += n;
}

/* Reads text as the device file (or CSV) called name. */
static int read_text(struct iotguard_devfile *df, struct errors *e,
		     const char *text, const char *name, bool csv)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	memset(e, 0, sizeof(*e));
	iotguard_devfile_init(df, collect, e);
	if (!f)
		return -errno;
	ret = csv ? iotguard_devfile_read_csv(df, f, name) :
		    iotguard_devfile_read(df, f, name);
	fclose(f);
	if (!ret)
		iotguard_devfile_check_duplicates(df);
	return ret;
}

/* One bad line's single message. */
static const char *one_error(const char *text, bool csv, char *buf,
			     size_t len)
{
	struct iotguard_devfile df;
	struct errors e;

	if (read_text(&df, &e, text, "f.conf", csv) || df.errors != 1 ||
	    df.count) {
		snprintf(buf, len, "%u errors, %zu devices: %.400s", df.errors,
			 df.count, e.text);
	} else {
		snprintf(buf, len, "%.400s", e.text);
		buf[strcspn(buf, "\n")] = '\0';
	}
	iotguard_devfile_free(&df);
	return buf;
}

static const char *addr_of(const struct iotguard_devspec *spec, char *buf)
{
	return iotguard_format_addr(&spec->dev.id, buf, IOTGUARD_ADDR_STRLEN);
}

TEST(good_lines)
{
	static const char text[] =
		"# the street\n"
		"\n"
		"198.18.1.12 name cam-1 class camera mac 02:00:00:00:01:0c "
		"rate 200\n"
		"mac 02:00:00:00:01:0b name lamp-1 class light rate 20\n"
		"   2001:2:0:7::/64 name air-1 class sensor state quarantine "
		"pin   # a comment\n"
		"2001:2::9 byte-rate 12.5M/s byte-burst 3k burst 7 unpin\n";
	const uint8_t cam_mac[6] = { 2, 0, 0, 0, 1, 0x0c };
	const uint8_t lamp_mac[6] = { 2, 0, 0, 0, 1, 0x0b };
	char addr[IOTGUARD_ADDR_STRLEN];
	struct iotguard_devfile df;
	const struct iotguard_devspec *s;
	struct errors e;

	ASSERT_EQ(0, read_text(&df, &e, text, "devices.conf", false));
	EXPECT_EQ(0, df.errors);
	EXPECT_STREQ("", e.text);
	ASSERT_EQ(4, df.count);

	s = &df.specs[0];
	EXPECT_EQ(3, s->line);
	EXPECT_STREQ("198.18.1.12", addr_of(s, addr));
	EXPECT_STREQ("cam-1", s->dev.name);
	EXPECT_EQ(IOTGUARD_CLASS_CAMERA, s->dev.class);
	EXPECT_EQ(0, memcmp(cam_mac, s->dev.mac, 6));
	EXPECT_EQ(200, s->dev.rate_pps);
	EXPECT_EQ(IOTGUARD_DEV_NAME | IOTGUARD_DEV_CLASS | IOTGUARD_DEV_MAC |
		  IOTGUARD_DEV_RATE_PPS, s->dev.present);

	s = &df.specs[1];
	EXPECT_EQ(4, s->line);
	EXPECT_EQ(AF_PACKET, s->dev.id.family);
	EXPECT_EQ(0, memcmp(lamp_mac, s->dev.id.addr, 6));
	EXPECT_EQ(20, s->dev.rate_pps);
	EXPECT_EQ(0, s->dev.present & IOTGUARD_DEV_MAC);

	s = &df.specs[2];
	EXPECT_STREQ("2001:2:0:7::/64", addr_of(s, addr));
	EXPECT_EQ(IOTGUARD_STATE_QUARANTINE, s->dev.state);
	EXPECT_EQ(1, s->pin);

	s = &df.specs[3];
	EXPECT_EQ(12500000, s->dev.rate_bps);
	EXPECT_EQ(3000, s->dev.burst_bytes);
	EXPECT_EQ(7, s->dev.burst_pkts);
	EXPECT_EQ(-1, s->pin);
	iotguard_devfile_free(&df);
}

TEST(continuation_and_quotes)
{
	static const char text[] =
		"198.18.1.1 \\\n"
		"   name \"lamp #1\" \\   # the name\n"
		"   rate 10\n"
		"198.18.1.2 name \"a \\\"q\\\" \\\\ \\x09\"\n"
		"198.18.1.3 name \"\" # empty\n"
		"198.18.1.4 name x\\\n";
	struct iotguard_devfile df;
	struct errors e;

	ASSERT_EQ(0, read_text(&df, &e, text, "c.conf", false));
	EXPECT_STREQ("", e.text);
	ASSERT_EQ(4, df.count);
	EXPECT_EQ(1, df.specs[0].line);
	EXPECT_STREQ("lamp #1", df.specs[0].dev.name);
	EXPECT_EQ(10, df.specs[0].dev.rate_pps);
	EXPECT_EQ(4, df.specs[1].line);
	EXPECT_STREQ("a \"q\" \\ \t", df.specs[1].dev.name);
	EXPECT_STREQ("", df.specs[2].dev.name);
	EXPECT_TRUE(df.specs[2].dev.present & IOTGUARD_DEV_NAME);
	/* A backslash on the last line continues nothing. */
	EXPECT_STREQ("x", df.specs[3].dev.name);
	iotguard_devfile_free(&df);
}

/* Every kind of error, with the line it names. */
TEST(line_errors)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "198.18.1.300 name a\n",
		  "f.conf:1: invalid address or MAC `198.18.1.300'" },
		{ "\n\n198.18.1.1 colour red\n",
		  "f.conf:3: unknown option `colour'" },
		{ "198.18.1.1 name\n",
		  "f.conf:1: option `name' needs an argument" },
		{ "198.18.1.1 name abcdefghijklmnopqrstuvwxyz0123456\n",
		  "f.conf:1: name `abcdefghijklmnopqrstuvwxyz0123456' is "
		  "longer than 31 bytes" },
		{ "198.18.1.1 mac 02:00:00:00:00\n",
		  "f.conf:1: invalid MAC `02:00:00:00:00'" },
		{ "198.18.1.1 state maybe\n",
		  "f.conf:1: invalid state `maybe'" },
		{ "198.18.1.1 class 65536\n",
		  "f.conf:1: invalid class `65536'" },
		{ "198.18.1.1 rate 5G\n",
		  "f.conf:1: invalid rate `5G': " },
		{ "198.18.1.1 rate -5\n", "f.conf:1: invalid rate `-5'" },
		{ "198.18.1.1 byte-burst 5G\n",
		  "f.conf:1: invalid byte burst `5G'" },
		{ "198.18.1.1 rate 1 rate 2\n",
		  "f.conf:1: option `rate' given twice" },
		{ "198.18.1.1 pin unpin\n",
		  "f.conf:1: pin and unpin go alone" },
		{ "# x\n198.18.1.1 name \"lamp\n",
		  "f.conf:2: unterminated quote" },
		{ "198.18.1.1 \\\n name \"a\\q\"\n",
		  "f.conf:1: unknown escape" },
		{ "198.18.1.1 name \"a\\x00\"\n", "f.conf:1: unknown escape" },
		{ "mac\n", "f.conf:1: missing the device's MAC" },
		{ "mac 02:00:00:00:01\n", "f.conf:1: invalid MAC" },
		{ "mac 02:00:00:00:01:0b mac 02:00:00:00:01:0c\n",
		  "f.conf:1: a device enrolled by MAC keeps its MAC" },
		{ "name lamp\n", "f.conf:1: invalid address or MAC `name'" },
		{ "198.18.1.1 name \"a\"b\"\n", "f.conf:1: unterminated quote" },
	};
	char buf[512];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		one_error(cases[i].text, false, buf, sizeof(buf));
		EXPECT_EQ(0, strncmp(cases[i].want, buf,
				     strlen(cases[i].want)))
			TH_LOG("case %zu: `%s', wanted `%s'", i, buf,
			       cases[i].want);
	}
}

TEST(every_bad_line_reported)
{
	static const char text[] =
		"198.18.1.1 name a\n"
		"198.18.1.2 rate x\n"
		"198.18.1.3 name b\n"
		"198.18.1.4 frob\n";
	struct iotguard_devfile df;
	struct errors e;

	ASSERT_EQ(0, read_text(&df, &e, text, "f.conf", false));
	EXPECT_EQ(2, df.errors);
	EXPECT_EQ(2, df.count);
	EXPECT_NE(NULL, strstr(e.text, "f.conf:2: invalid rate `x'"));
	EXPECT_NE(NULL, strstr(e.text, "f.conf:4: unknown option `frob'"));
	iotguard_devfile_free(&df);
}

TEST(duplicates)
{
	static const char text[] =
		"198.18.1.1 name a\n"
		"2001:2::/64 name p\n"
		"mac 02:00:00:00:01:0b\n"
		"198.18.1.2\n"
		"198.18.1.1 name b\n"
		"2001:2::\n"
		"02:00:00:00:01:0b\n"
		"2001:2::/64\n"
		"198.18.1.1\n";
	struct iotguard_devfile df;
	struct errors e;

	ASSERT_EQ(0, read_text(&df, &e, text, "d.conf", false));
	EXPECT_EQ(9, df.count);
	EXPECT_EQ(4, df.errors);
	EXPECT_NE(NULL, strstr(e.text, "d.conf:5: device 198.18.1.1 "
				       "declared twice (first at d.conf:1)"));
	EXPECT_NE(NULL, strstr(e.text, "d.conf:9: device 198.18.1.1 "
				       "declared twice (first at d.conf:1)"));
	EXPECT_NE(NULL, strstr(e.text, "d.conf:7: device 02:00:00:00:01:0b "
				       "declared twice (first at d.conf:3)"));
	EXPECT_NE(NULL, strstr(e.text, "d.conf:8: device 2001:2::/64 "
				       "declared twice (first at d.conf:2)"));
	/* An address and the prefix it starts are two devices. */
	EXPECT_EQ(NULL, strstr(e.text, "d.conf:6"));
	iotguard_devfile_free(&df);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(directory)
{
	char dir[] = "/tmp/devfile_test.XXXXXX", path[256];
	struct iotguard_devfile df;
	struct errors e = { 0 };

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/20-b.conf", dir);
	write_file(path, "198.18.1.2\n198.18.1.1 name again\n");
	snprintf(path, sizeof(path), "%s/10-a.conf", dir);
	write_file(path, "198.18.1.1\n");
	snprintf(path, sizeof(path), "%s/30-c.conf.orig", dir);
	write_file(path, "198.18.1.99 frob\n");
	snprintf(path, sizeof(path), "%s/.40-d.conf", dir);
	write_file(path, "198.18.1.98 frob\n");

	iotguard_devfile_init(&df, collect, &e);
	EXPECT_EQ(0, iotguard_devfile_load(&df, dir));
	ASSERT_EQ(3, df.count);
	EXPECT_EQ(1, df.errors);
	/* 10-a.conf first, then 20-b.conf; the others not read. */
	EXPECT_NE(NULL, strstr(df.files[df.specs[0].file], "/10-a.conf"));
	EXPECT_NE(NULL, strstr(df.files[df.specs[1].file], "/20-b.conf"));
	EXPECT_NE(NULL, strstr(e.text, "20-b.conf:2: device 198.18.1.1 "
				       "declared twice (first at "));
	EXPECT_NE(NULL, strstr(e.text, "10-a.conf:1)"));
	iotguard_devfile_free(&df);

	iotguard_devfile_init(&df, collect, &e);
	snprintf(path, sizeof(path), "%s/none.conf", dir);
	EXPECT_EQ(-ENOENT, iotguard_devfile_load(&df, path));
	iotguard_devfile_free(&df);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	EXPECT_EQ(0, system(path));
}

/* A kernel's device, as a dump gives it. */
static struct iotguard_device kdev(const char *id, const char *name,
				   uint32_t rate_pps)
{
	struct iotguard_device dev = {
		.state = IOTGUARD_STATE_ALLOW,
		.rate_pps = rate_pps,
		.burst_pkts = iotguard_default_burst_pkts(rate_pps),
		.burst_bytes = IOTGUARD_MIN_BURST_BYTES,
	};

	iotguard_parse_identity(id, &dev.id, NULL);
	snprintf(dev.name, sizeof(dev.name), "%s", name);
	return dev;
}

TEST(format_round_trip)
{
	struct iotguard_device devs[] = {
		kdev("198.18.1.12", "cam-1", 200),
		kdev("02:00:00:00:01:0b", "lamp-1", 20),
		kdev("2001:2:0:7::/64", "air 1 #\"\\", 0),
		kdev("198.18.1.13", "", 0),
	};
	char line[512], again[512];
	struct iotguard_devfile df;
	struct errors e;
	size_t i;

	devs[0].class = IOTGUARD_CLASS_CAMERA;
	memcpy(devs[0].mac, "\x02\0\0\0\x01\x0c", 6);
	devs[0].burst_pkts = 50;
	devs[0].rate_bps = 12500000;
	devs[0].burst_bytes = iotguard_default_burst_bytes(12500000);
	devs[1].class = 4242;
	memcpy(devs[1].mac, devs[1].id.addr, 6);
	devs[2].state = IOTGUARD_STATE_QUARANTINE;
	devs[2].flags = IOTGUARD_DEVICE_F_PINNED;
	devs[3].burst_bytes = 9000;

	for (i = 0; i < ARRAY_SIZE(devs); i++) {
		struct iotguard_devspec spec;
		struct iotguard_devop *ops;
		size_t nops;

		iotguard_devspec_from_device(&devs[i], &spec);
		ASSERT_NE(NULL, iotguard_devspec_format(&spec, line,
							sizeof(line)));
		ASSERT_EQ(0, read_text(&df, &e, line, "x", false));
		ASSERT_EQ(1, df.count) TH_LOG("`%s': %s", line, e.text);
		ASSERT_NE(NULL, iotguard_devspec_format(&df.specs[0], again,
							sizeof(again)));
		EXPECT_STREQ(line, again);
		/* And the kernel's device is what the line says. */
		ASSERT_EQ(0, iotguard_devdiff(df.specs, 1, &devs[i], 1, true,
					      &ops, &nops));
		ASSERT_EQ(1, nops);
		EXPECT_EQ(IOTGUARD_DEVOP_SAME, ops[0].kind)
			TH_LOG("`%s' differs: %x", line, ops[0].changed);
		free(ops);
		iotguard_devfile_free(&df);
	}
	{
		struct iotguard_devspec spec;

		iotguard_devspec_from_device(&devs[0], &spec);
		iotguard_devspec_format(&spec, line, sizeof(line));
		EXPECT_STREQ("198.18.1.12 name cam-1 mac 02:00:00:00:01:0c "
			     "class camera rate 200 burst 50 "
			     "byte-rate 12.5M", line);
		iotguard_devspec_from_device(&devs[2], &spec);
		iotguard_devspec_format(&spec, line, sizeof(line));
		EXPECT_STREQ("2001:2:0:7::/64 name \"air 1 #\\\"\\\\\" "
			     "state quarantine pin", line);
		iotguard_devspec_from_device(&devs[1], &spec);
		iotguard_devspec_format(&spec, line, sizeof(line));
		EXPECT_STREQ("mac 02:00:00:00:01:0b name lamp-1 class 4242 "
			     "rate 20", line);
		EXPECT_EQ(NULL, iotguard_devspec_format(&spec, line, 10));
	}
}

TEST(csv_good)
{
	static const char text[] =
		"Address,name,class,rate,burst,byte_rate,byte_burst,state,"
		"pin,mac\r\n"
		"198.18.1.12,\"cam, 1\",camera,200,,,,,no,"
		"02:00:00:00:01:0c\r\n"
		"\r\n"
		",lamp-1,light,20,,,,,,02:00:00:00:01:0b\n"
		"2001:2:0:7::/64,\"air \"\"1\"\"\",sensor,,,1M,,quarantine,"
		"yes,\n"
		"198.18.1.13,\"two\nlines\", generic ,,5,,,,,\n"
		"198.18.1.14,last,,,,,,,,";
	char addr[IOTGUARD_ADDR_STRLEN];
	struct iotguard_devfile df;
	const struct iotguard_devspec *s;
	struct errors e;

	ASSERT_EQ(0, read_text(&df, &e, text, "inv.csv", true));
	EXPECT_STREQ("", e.text);
	ASSERT_EQ(5, df.count);
	s = &df.specs[0];
	EXPECT_EQ(2, s->line);
	EXPECT_STREQ("cam, 1", s->dev.name);
	EXPECT_EQ(0, s->pin);
	EXPECT_TRUE(s->dev.present & IOTGUARD_DEV_MAC);
	EXPECT_EQ(0, s->dev.present & IOTGUARD_DEV_STATE);
	s = &df.specs[1];
	EXPECT_EQ(4, s->line);
	EXPECT_EQ(AF_PACKET, s->dev.id.family);
	EXPECT_STREQ("02:00:00:00:01:0b", addr_of(s, addr));
	s = &df.specs[2];
	EXPECT_STREQ("air \"1\"", s->dev.name);
	EXPECT_EQ(1000000, s->dev.rate_bps);
	EXPECT_EQ(IOTGUARD_STATE_QUARANTINE, s->dev.state);
	EXPECT_EQ(1, s->pin);
	s = &df.specs[3];
	EXPECT_EQ(6, s->line);
	EXPECT_STREQ("two\nlines", s->dev.name);
	EXPECT_EQ(IOTGUARD_CLASS_GENERIC, s->dev.class);
	EXPECT_TRUE(s->dev.present & IOTGUARD_DEV_CLASS);
	EXPECT_EQ(5, s->dev.burst_pkts);
	s = &df.specs[4];
	EXPECT_EQ(8, s->line);
	EXPECT_STREQ("last", s->dev.name);
	iotguard_devfile_free(&df);
}

TEST(csv_errors)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "", "f.conf:1: no header line" },
		{ "address,colour\n1.2.3.4,red\n",
		  "f.conf:1: unknown column `colour'" },
		{ "address,name,Name\n", "f.conf:1: column `Name' twice" },
		{ "name,rate\n", "f.conf:1: no identity, address or mac" },
		{ "address,unpin\n", "f.conf:1: unknown column `unpin'" },
		{ "address,name\n198.18.1.1\n",
		  "f.conf:2: 1 fields, the header has 2" },
		{ "address,name\n198.18.1.1,a,b\n",
		  "f.conf:2: 3 fields, the header has 2" },
		{ "address,name\n198.18.1.1,a\"b\n",
		  "f.conf:2: a quote inside an unquoted field" },
		{ "address,name\n198.18.1.1,\"a\"b\n",
		  "f.conf:2: text after a closing quote" },
		{ "address,name\n198.18.1.1,\"ab\n",
		  "f.conf:2: unterminated quote" },
		{ "address,name\n,a\n",
		  "f.conf:2: no identity, address or MAC" },
		{ "address,rate\n198.18.1.1,fast\n",
		  "f.conf:2: invalid rate `fast'" },
		{ "address,pin\n198.18.1.1,maybe\n",
		  "f.conf:2: invalid pin `maybe'" },
		{ "address,mac\n02:00:00:00:01:0b,02:00:00:00:01:0c\n",
		  "f.conf:2: a device enrolled by MAC keeps its MAC" },
		{ "address\n\"1.2.3.4\n\nx\"\n",
		  "f.conf:2: invalid address or MAC" },
		{ "mac,name\n02:00:00:00:01:0b,a\n02:00:00:00:01:0b,b\n",
		  "f.conf:3: device 02:00:00:00:01:0b declared twice "
		  "(first at f.conf:2)" },
	};
	char buf[512];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct iotguard_devfile df;
		struct errors e;

		ASSERT_EQ(0, read_text(&df, &e, cases[i].text, "f.conf",
				       true));
		EXPECT_EQ(1, df.errors) TH_LOG("case %zu: %s", i, e.text);
		snprintf(buf, sizeof(buf), "%.400s", e.text);
		EXPECT_EQ(0, strncmp(cases[i].want, buf,
				     strlen(cases[i].want)))
			TH_LOG("case %zu: `%s', wanted `%s'", i, buf,
			       cases[i].want);
		iotguard_devfile_free(&df);
	}
}

TEST(csv_error_then_more)
{
	static const char text[] =
		"address,name\n"
		"198.18.1.1,\"a\"x,more\n"
		"198.18.1.2,b\n";
	struct iotguard_devfile df;
	struct errors e;

	ASSERT_EQ(0, read_text(&df, &e, text, "f.csv", true));
	EXPECT_EQ(1, df.errors);
	ASSERT_EQ(1, df.count);
	EXPECT_EQ(3, df.specs[0].line);
	iotguard_devfile_free(&df);
}

/* Parses one line as the declared device (which owns its key, if any). */
static struct iotguard_devspec spec_of(const char *line)
{
	struct iotguard_devspec spec = { 0 };
	struct iotguard_devfile df;
	struct errors e;

	if (!read_text(&df, &e, line, "t", false) && df.count == 1) {
		spec = df.specs[0];
		df.specs[0].key = NULL;
	}
	iotguard_devfile_free(&df);
	return spec;
}

TEST(diff)
{
	struct iotguard_devspec want[] = {
		spec_of("198.18.1.1 name same rate 10\n"),
		spec_of("198.18.1.2 name renamed\n"),
		spec_of("198.18.1.3 name new class light pin\n"),
		spec_of("198.18.1.4 name q\n"),
		spec_of("198.18.1.5 name d state allow\n"),
		spec_of("198.18.1.6 name r rate 100 burst 5\n"),
		spec_of("198.18.1.7 name b rate 100 burst 10\n"),
		spec_of("198.18.1.8 name p\n"),
		spec_of("198.18.1.9 name m\n"),
	};
	struct iotguard_device have[] = {
		kdev("198.18.1.9", "m", 0),
		kdev("198.18.1.1", "same", 10),
		kdev("198.18.1.2", "old", 0),
		kdev("198.18.1.4", "q", 0),
		kdev("198.18.1.5", "d", 0),
		kdev("198.18.1.6", "r", 10),
		kdev("198.18.1.7", "b", 100),
		kdev("198.18.1.8", "p", 0),
		kdev("198.18.1.99", "gone", 0),
	};
	struct iotguard_devop *ops;
	size_t nops;

	/* Set by iotguardd: a line without state leaves it. */
	have[3].state = IOTGUARD_STATE_QUARANTINE;
	have[4].state = IOTGUARD_STATE_QUARANTINE;
	/* A flag this tool does not know, and the pin to lift. */
	have[7].flags = IOTGUARD_DEVICE_F_PINNED | 1U << 7;
	memcpy(have[0].mac, "\x02\0\0\0\0\x09", 6);

	ASSERT_EQ(0, iotguard_devdiff(want, ARRAY_SIZE(want), have,
				      ARRAY_SIZE(have), true, &ops, &nops));
	ASSERT_EQ(10, nops);
	EXPECT_EQ(IOTGUARD_DEVOP_SAME, ops[0].kind);
	EXPECT_EQ(&have[1], ops[0].have);

	EXPECT_EQ(IOTGUARD_DEVOP_CHANGE, ops[1].kind);
	EXPECT_EQ(IOTGUARD_DEV_NAME, ops[1].changed);
	EXPECT_EQ(IOTGUARD_DEV_NAME, ops[1].req.present);
	EXPECT_STREQ("renamed", ops[1].req.name);

	EXPECT_EQ(IOTGUARD_DEVOP_ADD, ops[2].kind);
	EXPECT_EQ(IOTGUARD_DEVICE_F_PINNED, ops[2].req.flags);
	EXPECT_EQ(IOTGUARD_DEV_NAME | IOTGUARD_DEV_CLASS | IOTGUARD_DEV_FLAGS,
		  ops[2].req.present);

	EXPECT_EQ(IOTGUARD_DEVOP_SAME, ops[3].kind);

	EXPECT_EQ(IOTGUARD_DEVOP_CHANGE, ops[4].kind);
	EXPECT_EQ(IOTGUARD_DEV_STATE, ops[4].req.present);
	EXPECT_EQ(IOTGUARD_STATE_ALLOW, ops[4].req.state);

	/* A new rate carries the burst the line gives. */
	EXPECT_EQ(IOTGUARD_DEVOP_CHANGE, ops[5].kind);
	EXPECT_EQ(IOTGUARD_DEV_RATE_PPS | IOTGUARD_DEV_BURST_PKTS,
		  ops[5].req.present);
	EXPECT_EQ(100, ops[5].req.rate_pps);
	EXPECT_EQ(5, ops[5].req.burst_pkts);

	/* burst 10 is the default of rate 100 in force: the same. */
	EXPECT_EQ(IOTGUARD_DEVOP_SAME, ops[6].kind);

	EXPECT_EQ(IOTGUARD_DEVOP_CHANGE, ops[7].kind);
	EXPECT_EQ(IOTGUARD_DEV_FLAGS, ops[7].req.present);
	EXPECT_EQ(1U << 7, ops[7].req.flags);

	/* A MAC binding the line leaves out is unbound. */
	EXPECT_EQ(IOTGUARD_DEVOP_CHANGE, ops[8].kind);
	EXPECT_EQ(IOTGUARD_DEV_MAC, ops[8].req.present);
	EXPECT_EQ(0, memcmp("\0\0\0\0\0\0", ops[8].req.mac, 6));

	EXPECT_EQ(IOTGUARD_DEVOP_REMOVE, ops[9].kind);
	EXPECT_EQ(&have[8], ops[9].have);
	free(ops);

	/* import: nothing removed */
	ASSERT_EQ(0, iotguard_devdiff(want, ARRAY_SIZE(want), have,
				      ARRAY_SIZE(have), false, &ops, &nops));
	EXPECT_EQ(9, nops);
	free(ops);
}

/*
 * A state iotguardd set (IOTGUARD_DEVICE_F_AUTO) is the daemon's: an export
 * names it in a comment only, an apply leaves it, and pinning such a
 * device is the operator's change (never sent marked automatic).
 */
TEST(daemon_state)
{
	struct iotguard_devspec want[] = {
		spec_of("198.18.1.4 name q\n"),
		spec_of("198.18.1.5 name p pin\n"),
	};
	struct iotguard_device have[] = {
		kdev("198.18.1.4", "q", 0),
		kdev("198.18.1.5", "p", 0),
	};
	struct iotguard_devspec spec;
	struct iotguard_devop *ops;
	char line[256];
	size_t nops;

	have[0].state = IOTGUARD_STATE_QUARANTINE;
	have[0].flags = IOTGUARD_DEVICE_F_AUTO;
	have[1].state = IOTGUARD_STATE_DENY;
	have[1].flags = IOTGUARD_DEVICE_F_AUTO;
	iotguard_devspec_from_device(&have[0], &spec);
	ASSERT_NE(NULL, iotguard_devspec_format(&spec, line, sizeof(line)));
	EXPECT_STREQ("198.18.1.4 name q # quarantine, set by a daemon", line);

	ASSERT_EQ(0, iotguard_devdiff(want, ARRAY_SIZE(want), have,
				      ARRAY_SIZE(have), true, &ops, &nops));
	ASSERT_EQ(2, nops);
	EXPECT_EQ(IOTGUARD_DEVOP_SAME, ops[0].kind);
	EXPECT_EQ(IOTGUARD_DEVOP_CHANGE, ops[1].kind);
	EXPECT_EQ(IOTGUARD_DEV_FLAGS, ops[1].req.present);
	EXPECT_EQ(IOTGUARD_DEVICE_F_PINNED, ops[1].req.flags);
	free(ops);
}

TEST(diff_rates)
{
	struct iotguard_devspec want[] = {
		spec_of("198.18.1.1 burst 50\n"),
		spec_of("198.18.1.2 byte-rate 1M\n"),
		spec_of("198.18.1.3\n"),
		spec_of("198.18.1.4 rate 100 burst 0\n"),
	};
	struct iotguard_device have[] = {
		kdev("198.18.1.1", "", 0),
		kdev("198.18.1.2", "", 0),
		kdev("198.18.1.3", "", 100),
		kdev("198.18.1.4", "", 100),
	};
	struct iotguard_devop *ops;
	size_t nops;

	have[1].rate_bps = 2000000;
	have[1].burst_bytes = 7777;
	have[3].burst_pkts = 77;
	ASSERT_EQ(0, iotguard_devdiff(want, ARRAY_SIZE(want), have,
				      ARRAY_SIZE(have), true, &ops, &nops));
	ASSERT_EQ(4, nops);
	/* A burst alone changes the burst alone. */
	EXPECT_EQ(IOTGUARD_DEV_BURST_PKTS, ops[0].req.present);
	EXPECT_EQ(50, ops[0].req.burst_pkts);
	/* A new byte rate without a burst: the kernel's default. */
	EXPECT_EQ(IOTGUARD_DEV_RATE_BPS, ops[1].req.present);
	EXPECT_EQ(1000000, ops[1].req.rate_bps);
	/* No rate on the line: no limit. */
	EXPECT_EQ(IOTGUARD_DEV_RATE_PPS, ops[2].req.present);
	EXPECT_EQ(0, ops[2].req.rate_pps);
	/* burst 0 is the default: whatever burst is in force stays. */
	EXPECT_EQ(IOTGUARD_DEVOP_SAME, ops[3].kind);
	free(ops);
}

TEST(option_table)
{
	struct iotguard_devspec spec = { 0 };
	char err[IOTGUARD_DEVFILE_ERRLEN];
	int i;

	for (i = 0; i < IOTGUARD_OPT_COUNT; i++)
		EXPECT_EQ(i, iotguard_devopt_find(iotguard_devopts[i].name));
	EXPECT_EQ(-1, iotguard_devopt_find("--rate"));
	EXPECT_EQ(-EINVAL, iotguard_devopt_apply(&spec, IOTGUARD_OPT_COUNT,
						 "1", err, sizeof(err)));
	EXPECT_EQ(0, iotguard_devopt_apply(&spec, IOTGUARD_OPT_RATE, "2k/s",
					   err, sizeof(err)));
	EXPECT_EQ(2000, spec.dev.rate_pps);
}

/* A key file: the key 00..1f (key id a910d4f2), or other text. */
struct key_files {
	char good[64], short_[64];
};

static void key_file(const char *text, char *path, size_t len)
{
	int fd;

	snprintf(path, len, "/tmp/iotguard-devfile-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

static void key_files(struct key_files *k)
{
	key_file("000102030405060708090a0b0c0d0e0f"
		 "101112131415161718191a1b1c1d1e1f\n", k->good,
		 sizeof(k->good));
	/* 63 digits */
	key_file("000102030405060708090a0b0c0d0e0f"
		 "101112131415161718191a1b1c1d1e1\n", k->short_,
		 sizeof(k->short_));
}

static void key_files_remove(const struct key_files *k)
{
	unlink(k->good);
	unlink(k->short_);
}

TEST(cred_options)
{
	const uint32_t all = IOTGUARD_DEV_CRED_MODE | IOTGUARD_DEV_CRED_KEY |
			     IOTGUARD_DEV_CRED_EXPIRES |
			     IOTGUARD_DEV_CRED_EPOCH_SECONDS;
	char text[512], line[512], want[256];
	const struct iotguard_devspec *s;
	struct iotguard_devfile df;
	struct key_files k;
	uint8_t key[32];
	struct errors e;
	int i;

	for (i = 0; i < 32; i++)
		key[i] = i;
	key_files(&k);
	snprintf(text, sizeof(text),
		 "198.18.1.1 cred auth key %s expires 1900000000 "
		 "epoch-seconds 3600\n"
		 "198.18.1.2 cred none\n"
		 "198.18.1.3 name s cred seal key %s expires never\n",
		 k.good, k.good);
	ASSERT_EQ(0, read_text(&df, &e, text, "f.conf", false));
	EXPECT_STREQ("", e.text);
	ASSERT_EQ(3, df.count);

	s = &df.specs[0];
	EXPECT_EQ(all, s->dev.present);
	EXPECT_EQ(IOTGUARD_CRED_AUTH, s->dev.cred_mode);
	ASSERT_NE(NULL, s->key);
	EXPECT_EQ(&s->key->key[0], s->dev.cred_key);
	EXPECT_EQ(0, memcmp(key, s->dev.cred_key, sizeof(key)));
	EXPECT_EQ(0xa910d4f2, s->key->id);
	EXPECT_EQ(1900000000, s->dev.cred_expires);
	EXPECT_EQ(3600, s->dev.cred_epoch_seconds);
	ASSERT_NE(NULL, iotguard_devspec_format(s, line, sizeof(line)));
	snprintf(want, sizeof(want), "198.18.1.1 cred auth key %s "
		 "expires 1900000000 epoch-seconds 3600", k.good);
	EXPECT_STREQ(want, line);

	s = &df.specs[1];
	EXPECT_EQ(IOTGUARD_DEV_CRED_MODE, s->dev.present);
	EXPECT_EQ(IOTGUARD_CRED_NONE, s->dev.cred_mode);
	EXPECT_EQ(NULL, s->key);
	iotguard_devspec_format(s, line, sizeof(line));
	EXPECT_STREQ("198.18.1.2 cred none", line);

	s = &df.specs[2];
	EXPECT_EQ(IOTGUARD_CRED_SEAL, s->dev.cred_mode);
	EXPECT_EQ(0, s->dev.cred_expires);
	iotguard_devspec_format(s, line, sizeof(line));
	snprintf(want, sizeof(want), "198.18.1.3 name s cred seal key %s "
		 "expires never", k.good);
	EXPECT_STREQ(want, line);
	iotguard_devfile_free(&df);

	/* An inventory's columns are the same options. */
	snprintf(text, sizeof(text), "address,cred,key,epoch_seconds\n"
		 "198.18.1.1,auth,%s,600\n198.18.1.2,,,\n", k.good);
	ASSERT_EQ(0, read_text(&df, &e, text, "f.csv", true));
	EXPECT_STREQ("", e.text);
	ASSERT_EQ(2, df.count);
	EXPECT_EQ(IOTGUARD_DEV_CRED_MODE | IOTGUARD_DEV_CRED_KEY |
		  IOTGUARD_DEV_CRED_EPOCH_SECONDS, df.specs[0].dev.present);
	EXPECT_EQ(600, df.specs[0].dev.cred_epoch_seconds);
	EXPECT_EQ(0, df.specs[1].dev.present);
	iotguard_devfile_free(&df);
	key_files_remove(&k);
}

/* A credential is whole; a file's key path absolute, its expiry too. */
TEST(cred_errors)
{
	static const struct {
		const char *options, *want;
	} cases[] = {
		{ "key GOOD", "key needs cred auth or seal" },
		{ "cred auth", "cred auth needs a key" },
		{ "cred seal expires 1900000000", "cred seal needs a key" },
		{ "expires 1900000000",
		  "expires needs cred auth or seal and a key" },
		{ "epoch-seconds 600",
		  "epoch-seconds needs cred auth or seal and a key" },
		{ "cred none key GOOD",
		  "cred none takes no key, expires or epoch-seconds" },
		{ "cred none expires never",
		  "cred none takes no key, expires or epoch-seconds" },
		{ "cred auth key keys/lamp.key",
		  "key file `keys/lamp.key' is not an absolute path" },
		{ "cred auth key -",
		  "key `-' (standard input) is for the command line" },
		{ "cred auth key GOOD expires +30d",
		  "expiry `+30d' is relative" },
		{ "cred auth key GOOD expires tomorrow",
		  "invalid expiry `tomorrow': expected Unix seconds" },
		{ "cred auth key GOOD epoch-seconds 59",
		  "invalid epoch seconds `59': at least 60" },
		{ "cred auth key GOOD epoch-seconds 2147483648",
		  "invalid epoch seconds `2147483648': too large" },
		{ "cred maybe", "invalid cred `maybe': expected none, auth" },
		{ "cred auth key SHORT",
		  "invalid key file `SHORT': not 64 hex digits" },
		{ "cred auth key /nonexistent/lamp.key",
		  "invalid key file `/nonexistent/lamp.key': No such file" },
		{ "cred auth cred seal key GOOD",
		  "option `cred' given twice" },
	};
	char text[512], want[256], buf[512];
	struct key_files k;
	size_t i;

	key_files(&k);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *o = cases[i].options, *w = cases[i].want;
		char *p;

		/* GOOD and SHORT: the key files' paths. */
		snprintf(text, sizeof(text), "198.18.1.1 %s\n", o);
		snprintf(want, sizeof(want), "f.conf:1: %s", w);
		if ((p = strstr(text, "GOOD")))
			snprintf(p, sizeof(text) - (p - text), "%s%s\n",
				 k.good, strstr(o, "GOOD") + 4);
		if ((p = strstr(text, "SHORT")))
			snprintf(p, sizeof(text) - (p - text), "%s\n",
				 k.short_);
		if ((p = strstr(want, "SHORT")))
			snprintf(p, sizeof(want) - (p - want), "%s%s",
				 k.short_, strstr(w, "SHORT") + 5);
		one_error(text, false, buf, sizeof(buf));
		EXPECT_EQ(0, strncmp(want, buf, strlen(want)))
			TH_LOG("case %zu: `%s', wanted `%s'", i, buf, want);
	}
	key_files_remove(&k);
}

/* The kernel's device d, with a credential as a dump shows it. */
static void kcred(struct iotguard_device *d, uint8_t mode, uint32_t key_id,
		  uint64_t expires, uint32_t epoch_seconds)
{
	d->present |= IOTGUARD_DEV_CRED_MODE | IOTGUARD_DEV_CRED_KEY_ID |
		      IOTGUARD_DEV_CRED_EXPIRES |
		      IOTGUARD_DEV_CRED_EPOCH_SECONDS |
		      IOTGUARD_DEV_CRED_EPOCH;
	d->cred_mode = mode;
	d->cred_key_id = key_id;
	d->cred_expires = expires;
	d->cred_epoch_seconds = epoch_seconds;
	d->cred_epoch = 3;
}

TEST(diff_cred)
{
	struct iotguard_device have[] = {
		kdev("198.18.1.1", "", 0), kdev("198.18.1.2", "", 0),
		kdev("198.18.1.3", "", 0), kdev("198.18.1.4", "", 0),
		kdev("198.18.1.5", "", 0), kdev("198.18.1.6", "", 0),
		kdev("198.18.1.7", "", 0), kdev("198.18.1.8", "", 0),
		kdev("198.18.1.9", "", 0),
	};
	const uint32_t id = 0xa910d4f2;
	struct iotguard_devfile df;
	struct iotguard_devop *ops;
	char text[1024], fields[64];
	struct key_files k;
	struct errors e;
	size_t nops;

	key_files(&k);
	snprintf(text, sizeof(text),
		 "198.18.1.1 cred auth key %s\n"
		 "198.18.1.2 cred auth key %s\n"
		 "198.18.1.3 cred seal key %s epoch-seconds 600\n"
		 "198.18.1.4 cred auth key %s expires 1900000000\n"
		 "198.18.1.5 cred auth key %s\n"
		 "198.18.1.6 cred none\n"
		 "198.18.1.7 cred none\n"
		 "198.18.1.8\n"
		 "198.18.1.9 cred auth key %s\n"
		 "198.18.1.10 cred auth key %s\n",
		 k.good, k.good, k.good, k.good, k.good, k.good, k.good);
	ASSERT_EQ(0, read_text(&df, &e, text, "f.conf", false));
	ASSERT_EQ(10, df.count) TH_LOG("%s", e.text);

	kcred(&have[0], IOTGUARD_CRED_AUTH, id, 0, 86400);
	kcred(&have[1], IOTGUARD_CRED_AUTH, id ^ 1, 0, 86400);
	kcred(&have[2], IOTGUARD_CRED_AUTH, id, 0, 600);
	kcred(&have[3], IOTGUARD_CRED_AUTH, id, 0, 86400);
	/* Revoked: no key id, and left so. */
	have[4].present |= IOTGUARD_DEV_CRED_REVOKED;
	kcred(&have[5], IOTGUARD_CRED_SEAL, id, 0, 86400);
	kcred(&have[7], IOTGUARD_CRED_AUTH, id, 0, 86400);

	ASSERT_EQ(0, iotguard_devdiff(df.specs, df.count, have,
				      ARRAY_SIZE(have), true, &ops, &nops));
	ASSERT_EQ(10, nops);
	EXPECT_EQ(IOTGUARD_DEVOP_SAME, ops[0].kind);

	/* Another key: the credential set again, whole. */
	EXPECT_EQ(IOTGUARD_DEVOP_CHANGE, ops[1].kind);
	EXPECT_EQ(IOTGUARD_DEV_CRED_MODE | IOTGUARD_DEV_CRED_KEY,
		  ops[1].req.present);
	EXPECT_EQ(&df.specs[1].key->key[0], ops[1].req.cred_key);
	EXPECT_STREQ("cred", iotguard_devop_fields(ops[1].changed, fields,
						   sizeof(fields)));

	EXPECT_EQ(IOTGUARD_DEVOP_CHANGE, ops[2].kind);
	EXPECT_EQ(IOTGUARD_DEV_CRED_MODE | IOTGUARD_DEV_CRED_KEY |
		  IOTGUARD_DEV_CRED_EPOCH_SECONDS, ops[2].req.present);
	EXPECT_EQ(IOTGUARD_CRED_SEAL, ops[2].req.cred_mode);
	EXPECT_EQ(600, ops[2].req.cred_epoch_seconds);

	EXPECT_EQ(IOTGUARD_DEVOP_CHANGE, ops[3].kind);
	EXPECT_EQ(1900000000, ops[3].req.cred_expires);

	EXPECT_EQ(IOTGUARD_DEVOP_SAME, ops[4].kind);

	/* cred none lifts a credential; leaves none as it is. */
	EXPECT_EQ(IOTGUARD_DEVOP_CHANGE, ops[5].kind);
	EXPECT_EQ(IOTGUARD_DEV_CRED_MODE, ops[5].req.present);
	EXPECT_EQ(IOTGUARD_CRED_NONE, ops[5].req.cred_mode);
	EXPECT_EQ(IOTGUARD_DEVOP_SAME, ops[6].kind);

	/* A line without a credential leaves the kernel's alone. */
	EXPECT_EQ(IOTGUARD_DEVOP_SAME, ops[7].kind);

	EXPECT_EQ(IOTGUARD_DEVOP_CHANGE, ops[8].kind);
	EXPECT_EQ(IOTGUARD_DEV_CRED_MODE | IOTGUARD_DEV_CRED_KEY,
		  ops[8].req.present);

	EXPECT_EQ(IOTGUARD_DEVOP_ADD, ops[9].kind);
	EXPECT_EQ(IOTGUARD_DEV_CRED_MODE | IOTGUARD_DEV_CRED_KEY,
		  ops[9].req.present);
	EXPECT_EQ(&df.specs[9].key->key[0], ops[9].req.cred_key);
	free(ops);
	iotguard_devfile_free(&df);
	key_files_remove(&k);
}

/* An export never writes a credential: the kernel has no key to give. */
TEST(export_without_cred)
{
	struct iotguard_device dev = kdev("198.18.1.1", "lamp", 0);
	struct iotguard_devspec spec;
	char line[256];

	kcred(&dev, IOTGUARD_CRED_SEAL, 0xa910d4f2, 1900000000, 600);
	iotguard_devspec_from_device(&dev, &spec);
	ASSERT_NE(NULL, iotguard_devspec_format(&spec, line, sizeof(line)));
	EXPECT_STREQ("198.18.1.1 name lamp", line);
}

TEST_HARNESS_MAIN
