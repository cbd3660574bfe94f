// SPDX-License-Identifier: GPL-2.0
/*
 * A small streaming JSON writer.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include "json.h"

void iotguard_json_init(struct iotguard_json *json, FILE *f)
{
	memset(json, 0, sizeof(*json));
	json->f = f;
}

bool iotguard_json_error(const struct iotguard_json *json)
{
	return json->error || ferror(json->f);
}

/* Writes the comma a value needs in front of it, if any. */
static void begin_value(struct iotguard_json *json)
{
	if (json->after_key) {
		json->after_key = false;
		return;
	}
	if (!json->depth)
		return;
	if (json->object[json->depth])
		json->error = true;	/* a member without a key */
	if (!json->first[json->depth])
		fputc(',', json->f);
	json->first[json->depth] = false;
}

/* Ends a top-level value with a newline, as line-based tools expect. */
static void end_value(struct iotguard_json *json)
{
	if (!json->depth)
		fputc('\n', json->f);
}

static void open_level(struct iotguard_json *json, bool object)
{
	begin_value(json);
	fputc(object ? '{' : '[', json->f);
	if (json->depth == IOTGUARD_JSON_MAX_DEPTH) {
		json->error = true;
		return;
	}
	json->depth++;
	json->first[json->depth] = true;
	json->object[json->depth] = object;
}

static void close_level(struct iotguard_json *json, bool object)
{
	if (!json->depth || json->object[json->depth] != object ||
	    json->after_key) {
		json->error = true;
		return;
	}
	fputc(object ? '}' : ']', json->f);
	json->depth--;
	end_value(json);
}

void iotguard_json_object_start(struct iotguard_json *json)
{
	open_level(json, true);
}

void iotguard_json_object_end(struct iotguard_json *json)
{
	close_level(json, true);
}

void iotguard_json_array_start(struct iotguard_json *json)
{
	open_level(json, false);
}

void iotguard_json_array_end(struct iotguard_json *json)
{
	close_level(json, false);
}

/*
 * Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0.
 */
static size_t utf8_length(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (*s >= 0xc2 && *s <= 0xdf)
		len = 2;
	else if (*s >= 0xe0 && *s <= 0xef)
		len = 3;
	else if (*s >= 0xf0 && *s <= 0xf4)
		len = 4;
	else
		return 0;
	if (*s == 0xe0)
		lo = 0xa0;
	else if (*s == 0xed)
		hi = 0x9f;
	else if (*s == 0xf0)
		lo = 0x90;
	else if (*s == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return len;
}

static void write_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		size_t len;

		switch (*s) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				fprintf(f, "\\u%04x", *s);
			} else if (*s < 0x80) {
				fputc(*s, f);
			} else {
				len = utf8_length(s);
				if (!len) {
					fputs("\\ufffd", f);
				} else {
					fwrite(s, 1, len, f);
					s += len;
					continue;
				}
			}
		}
		s++;
	}
	fputc('"', f);
}

void iotguard_json_key(struct iotguard_json *json, const char *key)
{
	if (!json->depth || !json->object[json->depth] || json->after_key) {
		json->error = true;
		return;
	}
	if (!json->first[json->depth])
		fputc(',', json->f);
	json->first[json->depth] = false;
	write_string(json->f, key);
	fputc(':', json->f);
	json->after_key = true;
}

void iotguard_json_string(struct iotguard_json *json, const char *s)
{
	if (!s) {
		iotguard_json_null(json);
		return;
	}
	begin_value(json);
	write_string(json->f, s);
	end_value(json);
}

void iotguard_json_u64(struct iotguard_json *json, uint64_t value)
{
	begin_value(json);
	fprintf(json->f, "%" PRIu64, value);
	end_value(json);
}

void iotguard_json_double(struct iotguard_json *json, double value)
{
	begin_value(json);
	if (isfinite(value))
		fprintf(json->f, "%.6g", value);
	else
		fputs("null", json->f);
	end_value(json);
}

void iotguard_json_bool(struct iotguard_json *json, bool value)
{
	begin_value(json);
	fputs(value ? "true" : "false", json->f);
	end_value(json);
}

void iotguard_json_null(struct iotguard_json *json)
{
	begin_value(json);
	fputs("null", json->f);
	end_value(json);
}

void iotguard_json_kv_string(struct iotguard_json *json, const char *key,
			     const char *s)
{
	iotguard_json_key(json, key);
	iotguard_json_string(json, s);
}

void iotguard_json_kv_u64(struct iotguard_json *json, const char *key,
			  uint64_t value)
{
	iotguard_json_key(json, key);
	iotguard_json_u64(json, value);
}

void iotguard_json_kv_double(struct iotguard_json *json, const char *key,
			     double value)
{
	iotguard_json_key(json, key);
	iotguard_json_double(json, value);
}

void iotguard_json_kv_bool(struct iotguard_json *json, const char *key,
			   bool value)
{
	iotguard_json_key(json, key);
	iotguard_json_bool(json, value);
}

void iotguard_json_kv_null(struct iotguard_json *json, const char *key)
{
	iotguard_json_key(json, key);
	iotguard_json_null(json);
}
