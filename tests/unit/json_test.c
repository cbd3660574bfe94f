// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of user/lib/json.c: exact output for each construct.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/*
 * The 6.1 harness is not -Wextra clean: TEST() leaves a parameter unused
 * and EXPECT_EQ() compares an int literal with what it is given.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "json.h"

/* A writer into memory, so that a test compares the exact text. */
FIXTURE(json)
{
	struct iotguard_json json;
	FILE *f;
	char *text;
	size_t len;
};

FIXTURE_SETUP(json)
{
	self->text = NULL;
	self->f = open_memstream(&self->text, &self->len);
	ASSERT_NE(NULL, self->f);
	iotguard_json_init(&self->json, self->f);
}

FIXTURE_TEARDOWN(json)
{
	if (self->f)
		fclose(self->f);
	free(self->text);
}

static const char *output(FIXTURE_DATA(json) *self)
{
	fflush(self->f);
	return self->text;
}

TEST_F(json, empty_object)
{
	iotguard_json_object_start(&self->json);
	iotguard_json_object_end(&self->json);
	EXPECT_STREQ("{}\n", output(self));
	EXPECT_FALSE(iotguard_json_error(&self->json));
}

TEST_F(json, empty_array)
{
	iotguard_json_array_start(&self->json);
	iotguard_json_array_end(&self->json);
	EXPECT_STREQ("[]\n", output(self));
}

TEST_F(json, object_members_and_commas)
{
	iotguard_json_object_start(&self->json);
	iotguard_json_kv_string(&self->json, "name", "lamp1");
	iotguard_json_kv_u64(&self->json, "index", 7);
	iotguard_json_kv_bool(&self->json, "pinned", true);
	iotguard_json_kv_bool(&self->json, "monitor", false);
	iotguard_json_kv_null(&self->json, "mac");
	iotguard_json_object_end(&self->json);
	EXPECT_STREQ("{\"name\":\"lamp1\",\"index\":7,\"pinned\":true,"
		     "\"monitor\":false,\"mac\":null}\n", output(self));
	EXPECT_FALSE(iotguard_json_error(&self->json));
}

TEST_F(json, doubles)
{
	iotguard_json_array_start(&self->json);
	iotguard_json_double(&self->json, 9.174);
	iotguard_json_double(&self->json, 0.001);
	iotguard_json_double(&self->json, 1e20);
	iotguard_json_double(&self->json, NAN);
	iotguard_json_double(&self->json, -INFINITY);
	iotguard_json_array_end(&self->json);
	EXPECT_STREQ("[9.174,0.001,1e+20,null,null]\n", output(self));
}

TEST_F(json, array_of_values)
{
	iotguard_json_array_start(&self->json);
	iotguard_json_u64(&self->json, 1);
	iotguard_json_string(&self->json, "two");
	iotguard_json_null(&self->json);
	iotguard_json_bool(&self->json, true);
	iotguard_json_array_end(&self->json);
	EXPECT_STREQ("[1,\"two\",null,true]\n", output(self));
}

TEST_F(json, nesting)
{
	iotguard_json_object_start(&self->json);
	iotguard_json_key(&self->json, "devices");
	iotguard_json_array_start(&self->json);
	iotguard_json_object_start(&self->json);
	iotguard_json_key(&self->json, "pass");
	iotguard_json_object_start(&self->json);
	iotguard_json_kv_u64(&self->json, "packets", 3);
	iotguard_json_kv_u64(&self->json, "bytes", 180);
	iotguard_json_object_end(&self->json);
	iotguard_json_object_end(&self->json);
	iotguard_json_object_start(&self->json);
	iotguard_json_object_end(&self->json);
	iotguard_json_array_end(&self->json);
	iotguard_json_key(&self->json, "empty");
	iotguard_json_array_start(&self->json);
	iotguard_json_array_end(&self->json);
	iotguard_json_object_end(&self->json);
	EXPECT_STREQ("{\"devices\":[{\"pass\":{\"packets\":3,\"bytes\":180}},"
		     "{}],\"empty\":[]}\n", output(self));
	EXPECT_FALSE(iotguard_json_error(&self->json));
}

TEST_F(json, u64_extremes)
{
	iotguard_json_array_start(&self->json);
	iotguard_json_u64(&self->json, 0);
	iotguard_json_u64(&self->json, UINT64_MAX);
	iotguard_json_array_end(&self->json);
	EXPECT_STREQ("[0,18446744073709551615]\n", output(self));
}

TEST_F(json, top_level_values_each_end_a_line)
{
	iotguard_json_string(&self->json, "a");
	iotguard_json_u64(&self->json, 2);
	iotguard_json_object_start(&self->json);
	iotguard_json_object_end(&self->json);
	EXPECT_STREQ("\"a\"\n2\n{}\n", output(self));
}

TEST_F(json, escapes_quote_and_backslash)
{
	iotguard_json_string(&self->json, "say \"hi\" \\o/");
	EXPECT_STREQ("\"say \\\"hi\\\" \\\\o/\"\n", output(self));
}

TEST_F(json, escapes_short_control_characters)
{
	iotguard_json_string(&self->json, "\b\f\n\r\t");
	EXPECT_STREQ("\"\\b\\f\\n\\r\\t\"\n", output(self));
}

TEST_F(json, escapes_other_control_characters)
{
	iotguard_json_string(&self->json, "\x01\x1f\x7f" "a\x1b[0m");
	EXPECT_STREQ("\"\\u0001\\u001f\\u007fa\\u001b[0m\"\n", output(self));
}

TEST_F(json, keys_are_escaped_too)
{
	iotguard_json_object_start(&self->json);
	iotguard_json_kv_u64(&self->json, "a\"b\n", 1);
	iotguard_json_object_end(&self->json);
	EXPECT_STREQ("{\"a\\\"b\\n\":1}\n", output(self));
}

TEST_F(json, utf8_passes_through)
{
	/* é (2 bytes), € (3 bytes), 🔒 (4 bytes) */
	iotguard_json_string(&self->json,
			     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92");
	EXPECT_STREQ("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92\"\n",
		     output(self));
}

TEST_F(json, invalid_utf8_is_replaced)
{
	/* a lone continuation, a truncated sequence, an overlong '/' */
	iotguard_json_string(&self->json, "a\x80" "b\xe2\x82" "c\xc0\xaf");
	EXPECT_STREQ("\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffd\"\n",
		     output(self));
}

TEST_F(json, surrogates_and_beyond_unicode_are_replaced)
{
	/* U+D800 encoded in UTF-8, and U+110000 */
	iotguard_json_string(&self->json, "\xed\xa0\x80|\xf4\x90\x80\x80");
	EXPECT_STREQ("\"\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd\\ufffd\"\n",
		     output(self));
}

TEST_F(json, empty_string_and_null_string)
{
	iotguard_json_array_start(&self->json);
	iotguard_json_string(&self->json, "");
	iotguard_json_string(&self->json, NULL);
	iotguard_json_array_end(&self->json);
	EXPECT_STREQ("[\"\",null]\n", output(self));
}

TEST_F(json, misuse_is_flagged)
{
	iotguard_json_object_start(&self->json);
	/* a member without a key */
	iotguard_json_u64(&self->json, 1);
	EXPECT_TRUE(iotguard_json_error(&self->json));
}

TEST_F(json, unbalanced_end_is_flagged)
{
	iotguard_json_array_start(&self->json);
	iotguard_json_object_end(&self->json);
	EXPECT_TRUE(iotguard_json_error(&self->json));
}

TEST_F(json, key_outside_object_is_flagged)
{
	iotguard_json_array_start(&self->json);
	iotguard_json_key(&self->json, "k");
	EXPECT_TRUE(iotguard_json_error(&self->json));
	EXPECT_STREQ("[", output(self));
}

TEST_F(json, deep_nesting_limit)
{
	int i;

	for (i = 0; i < IOTGUARD_JSON_MAX_DEPTH; i++)
		iotguard_json_array_start(&self->json);
	EXPECT_FALSE(iotguard_json_error(&self->json));
	iotguard_json_array_start(&self->json);
	EXPECT_TRUE(iotguard_json_error(&self->json));
}

TEST_HARNESS_MAIN
