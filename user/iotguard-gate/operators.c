// SPDX-License-Identifier: GPL-2.0
/*
 * The operators file (gate.h): who may log in, with what password hash
 * and TOTP secret, whether revoked, and the last TOTP step taken.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <liboath/oath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "gate.h"
#include "replace.h"

int operators_lock(const char *path)
{
	char lock[4096];
	int fd;

	if (snprintf(lock, sizeof(lock), "%s.lock", path) >=
	    (int)sizeof(lock))
		return -ENAMETOOLONG;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

void operators_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

void operators_free(struct gate_operators *o)
{
	size_t i;

	for (i = 0; i < o->count; i++) {
		free(o->ops[i].hash);
		explicit_bzero(o->ops[i].secret, sizeof(o->ops[i].secret));
	}
	free(o->ops);
	o->ops = NULL;
	o->count = 0;
	o->cap = 0;
}

struct gate_operator *operators_find(struct gate_operators *o,
				     const char *name)
{
	size_t i;

	for (i = 0; i < o->count; i++)
		if (!strcmp(o->ops[i].name, name))
			return &o->ops[i];
	return NULL;
}

static struct gate_operator *operators_grow(struct gate_operators *o)
{
	struct gate_operator *ops;
	size_t cap;

	if (o->count == o->cap) {
		cap = o->cap ? 2 * o->cap : 8;
		ops = reallocarray(o->ops, cap, sizeof(*ops));
		if (!ops)
			return NULL;
		o->ops = ops;
		o->cap = cap;
	}
	memset(&o->ops[o->count], 0, sizeof(o->ops[0]));
	return &o->ops[o->count];
}

/* One line's five fields into op; NULL or why not. */
static const char *parse_line(char *text, struct gate_operator *op)
{
	char *field[5], *save = NULL, *end;
	const char *why;
	size_t i, len;
	int n = 0;

	for (char *t = strtok_r(text, " \t", &save); t;
	     t = strtok_r(NULL, " \t", &save)) {
		if (n == 5)
			return "more than five fields";
		field[n++] = t;
	}
	if (n != 5)
		return "expected NAME STATE HASH SECRET LAST-STEP";
	if (sync_check_router(field[0], &why))
		return "a name is 1 to 31 of letters, digits, '_' and '-'";
	strcpy(op->name, field[0]);
	if (!strcmp(field[1], "revoked"))
		op->revoked = true;
	else if (strcmp(field[1], "active"))
		return "the state is active or revoked";
	/* A hash crypt(3) made: never a bare password. */
	if (field[2][0] != '$' || strlen(field[2]) >= CRYPT_OUTPUT_SIZE)
		return "the password hash is not crypt(3)'s";
	len = strlen(field[3]);
	if (len != 2 * GATE_SECRET_LEN)
		return "the TOTP secret is not 40 hex digits";
	for (i = 0; i < GATE_SECRET_LEN; i++) {
		unsigned int byte;

		if (sscanf(field[3] + 2 * i, "%2x", &byte) != 1 ||
		    !strchr("0123456789abcdef", field[3][2 * i]) ||
		    !strchr("0123456789abcdef", field[3][2 * i + 1]))
			return "the TOTP secret is not lowercase hex";
		op->secret[i] = byte;
	}
	errno = 0;
	op->last_step = strtoull(field[4], &end, 10);
	if (errno || *end || field[4][0] < '0' || field[4][0] > '9')
		return "the last step is not a number";
	op->hash = strdup(field[2]);
	if (!op->hash)
		return "out of memory";
	return NULL;
}

int operators_load(struct gate_operators *o, const char *path,
		   unsigned int *line, const char **why)
{
	struct gate_operator *op;
	char *text = NULL;
	size_t size = 0;
	ssize_t len;
	int ret = 0;
	FILE *f;

	operators_free(o);
	o->path = path;
	*line = 0;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fstat(fileno(f), &o->seen)) {
		ret = -errno;
		goto cleanup;
	}
	while ((len = getline(&text, &size, f)) >= 0) {
		++*line;
		if (len && text[len - 1] == '\n')
			text[--len] = 0;
		if ((size_t)len != strlen(text)) {
			*why = "a NUL byte";
			ret = -EINVAL;
			goto cleanup;
		}
		if (!len || text[0] == '#')
			continue;
		op = operators_grow(o);
		if (!op) {
			ret = -ENOMEM;
			goto cleanup;
		}
		*why = parse_line(text, op);
		if (!*why && operators_find(o, op->name))
			*why = "the name is there twice";
		if (*why) {
			free(op->hash);
			ret = -EINVAL;
			goto cleanup;
		}
		o->count++;
	}
	if (ferror(f))
		ret = -EIO;
cleanup:
	if (ret)
		operators_free(o);
	free(text);
	fclose(f);
	return ret;
}

bool operators_changed(const struct gate_operators *o)
{
	struct stat st;

	if (stat(o->path, &st))
		return true;
	return st.st_dev != o->seen.st_dev || st.st_ino != o->seen.st_ino ||
	       st.st_size != o->seen.st_size ||
	       st.st_mtim.tv_sec != o->seen.st_mtim.tv_sec ||
	       st.st_mtim.tv_nsec != o->seen.st_mtim.tv_nsec;
}

/* The file's text, for iotguard_replace_file(). */
static int write_operators(FILE *f, void *data)
{
	const struct gate_operators *o = data;
	size_t i, j;

	fputs("# iotguard-gate operators: NAME STATE PASSWORD-HASH "
	      "TOTP-SECRET LAST-STEP\n", f);
	for (i = 0; i < o->count; i++) {
		const struct gate_operator *op = &o->ops[i];

		fprintf(f, "%s %s %s ", op->name,
			op->revoked ? "revoked" : "active", op->hash);
		for (j = 0; j < GATE_SECRET_LEN; j++)
			fprintf(f, "%02x", op->secret[j]);
		fprintf(f, " %" PRIu64 "\n", op->last_step);
	}
	return ferror(f) ? -EIO : 0;
}

int operators_save(struct gate_operators *o)
{
	int ret = iotguard_replace_file(o->path, 0600, write_operators, o);

	if (!ret && stat(o->path, &o->seen))
		ret = -errno;
	return ret;
}

int operators_add(struct gate_operators *o, const char *name,
		  const char *password, const unsigned char *secret)
{
	struct crypt_data *data;
	struct gate_operator *op;
	char *salt, *hash;
	int ret = 0;

	if (operators_find(o, name))
		return -EEXIST;
	data = calloc(1, sizeof(*data));
	/* NULL prefix: libxcrypt's default method (yescrypt). */
	salt = crypt_gensalt_ra(NULL, 0, NULL, 0);
	if (!data || !salt) {
		ret = -ENOMEM;
		goto cleanup;
	}
	hash = crypt_r(password, salt, data);
	if (!hash || hash[0] != '$') {
		ret = -EINVAL;
		goto cleanup;
	}
	op = operators_grow(o);
	if (!op) {
		ret = -ENOMEM;
		goto cleanup;
	}
	op->hash = strdup(hash);
	if (!op->hash) {
		ret = -ENOMEM;
		goto cleanup;
	}
	snprintf(op->name, sizeof(op->name), "%s", name);
	memcpy(op->secret, secret, GATE_SECRET_LEN);
	o->count++;
cleanup:
	if (data)
		explicit_bzero(data, sizeof(*data));
	free(data);
	free(salt);
	return ret;
}

bool operator_password_ok(const struct gate_operator *op,
			  const char *password)
{
	struct crypt_data *data = calloc(1, sizeof(*data));
	unsigned char diff = 0;
	const char *hash;
	size_t i, len;

	if (!data)
		return false;
	hash = crypt_r(password, op->hash, data);
	len = strlen(op->hash);
	/* Same length, then every byte: no early exit on a difference. */
	if (!hash || strlen(hash) != len) {
		diff = 1;
	} else {
		for (i = 0; i < len; i++)
			diff |= hash[i] ^ op->hash[i];
	}
	explicit_bzero(data, sizeof(*data));
	free(data);
	return !diff;
}

int operator_code_ok(const struct gate_operator *op, const char *code,
		     time_t now, uint64_t *step)
{
	int pos, ret;

	if (strlen(code) != GATE_TOTP_DIGITS ||
	    strspn(code, "0123456789") != GATE_TOTP_DIGITS)
		return -EACCES;
	ret = oath_totp_validate3((const char *)op->secret, GATE_SECRET_LEN,
				  now, GATE_TOTP_STEP, 0, GATE_TOTP_WINDOW,
				  &pos, step, code);
	if (ret < 0)
		return -EACCES;
	/* One-time: a step at or before the last one taken is a replay. */
	if (*step <= op->last_step)
		return -EALREADY;
	return 0;
}
