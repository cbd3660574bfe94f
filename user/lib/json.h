/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer: compact output, commas placed for the
 * caller, a newline after each complete top-level value.
 */
#ifndef IOTGUARD_USER_JSON_H
#define IOTGUARD_USER_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define IOTGUARD_JSON_MAX_DEPTH 32

struct iotguard_json {
	FILE *f;
	unsigned int depth;
	bool after_key;		/* a key was written, its value is next */
	bool error;		/* nesting misuse; see iotguard_json_error() */
	/* per nesting level: no member written yet, the level is an object */
	bool first[IOTGUARD_JSON_MAX_DEPTH + 1];
	bool object[IOTGUARD_JSON_MAX_DEPTH + 1];
};

void iotguard_json_init(struct iotguard_json *json, FILE *f);
/* true if the writer was misused or the stream failed */
bool iotguard_json_error(const struct iotguard_json *json);

void iotguard_json_object_start(struct iotguard_json *json);
void iotguard_json_object_end(struct iotguard_json *json);
void iotguard_json_array_start(struct iotguard_json *json);
void iotguard_json_array_end(struct iotguard_json *json);

/* The key of the next member of the current object. */
void iotguard_json_key(struct iotguard_json *json, const char *key);

/*
 * Strings are UTF-8: '"', '\\' and control characters are escaped, valid
 * multi-byte sequences pass through, and a byte that is not valid UTF-8
 * becomes U+FFFD so that the output stays valid JSON. NULL writes null.
 */
void iotguard_json_string(struct iotguard_json *json, const char *s);
void iotguard_json_u64(struct iotguard_json *json, uint64_t value);
/* %.6g; NaN and infinities, which JSON lacks, as null. */
void iotguard_json_double(struct iotguard_json *json, double value);
void iotguard_json_bool(struct iotguard_json *json, bool value);
void iotguard_json_null(struct iotguard_json *json);

/* key and value in one call */
void iotguard_json_kv_string(struct iotguard_json *json, const char *key,
			     const char *s);
void iotguard_json_kv_u64(struct iotguard_json *json, const char *key,
			  uint64_t value);
void iotguard_json_kv_double(struct iotguard_json *json, const char *key,
			     double value);
void iotguard_json_kv_bool(struct iotguard_json *json, const char *key,
			   bool value);
void iotguard_json_kv_null(struct iotguard_json *json, const char *key);

#endif /* IOTGUARD_USER_JSON_H */
