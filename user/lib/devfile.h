/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Devices as the operator declares them: the options of `iotguard device
 * add', a device file (/etc/iotguard/devices.conf, `iotguard apply') and an
 * inventory CSV (`iotguard device import'), and the difference between
 * such a declaration and the kernel's table.
 *
 * The command line and the files share one table of options and one
 * function that applies an option, so that they can never disagree.
 *
 * A device file has a device per line: its identity (IPv4, IPv6,
 * IPv6/LEN, or `mac MAC' for a device enrolled by MAC), then options as
 * `device add' takes them, without the leading dashes. `#' starts a
 * comment (outside double quotes), blank lines are ignored and a line
 * ending in a backslash goes on on the next. A value with spaces, `#' or
 * quotes is written in double quotes, with \", \\ and \xHH inside.
 *
 * A credential is declared whole (the kernel takes it so): cred auth or
 * seal with a key file, and optionally expires and epoch-seconds; or cred
 * none. The key is read when the option is parsed, so that a missing or
 * malformed key file is an error of its line. In a file, a key's path is
 * absolute and an expiry is not relative to now: a declaration means the
 * same at every apply.
 */
#ifndef IOTGUARD_USER_DEVFILE_H
#define IOTGUARD_USER_DEVFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "nl.h"

enum iotguard_devopt {
	IOTGUARD_OPT_NAME,
	IOTGUARD_OPT_MAC,
	IOTGUARD_OPT_STATE,
	IOTGUARD_OPT_CLASS,
	IOTGUARD_OPT_RATE,
	IOTGUARD_OPT_BURST,
	IOTGUARD_OPT_BYTE_RATE,
	IOTGUARD_OPT_BYTE_BURST,
	IOTGUARD_OPT_PIN,
	IOTGUARD_OPT_UNPIN,
	IOTGUARD_OPT_CRED,
	IOTGUARD_OPT_KEY,
	IOTGUARD_OPT_EXPIRES,
	IOTGUARD_OPT_EPOCH_SECONDS,
	IOTGUARD_OPT_COUNT
};

struct iotguard_devopt_info {
	const char *name;	/* "byte-rate": --byte-rate, byte-rate */
	bool has_arg;
};

extern const struct iotguard_devopt_info iotguard_devopts[IOTGUARD_OPT_COUNT];

/* The option of that name (no dashes), or -1. */
int iotguard_devopt_find(const char *name);

/* A key as read from its file; its spec points dev.cred_key at key. */
struct iotguard_devkey {
	uint8_t key[IOTGUARD_CRED_KEY_LEN];
	uint32_t id;		/* iotguard_key_id() */
	char path[];		/* as given; "-" for standard input */
};

/*
 * A device as declared; dev.present names the fields given. A spec that
 * read a key owns it (key, and dev.cred_key pointing into it): copies
 * share it, and one of them is released.
 */
struct iotguard_devspec {
	struct iotguard_device dev;
	struct iotguard_devkey *key;
	int pin;		/* 1: pin, -1: unpin, 0: neither */
	uint32_t given;		/* a bit per enum iotguard_devopt */
	unsigned int file;	/* its file, an index into devfile.files */
	unsigned int line;	/* where its line starts, from 1 */
	bool in_file;		/* from a file, not the command line */
};

#define IOTGUARD_DEVFILE_ERRLEN 160

/*
 * Applies option opt (enum iotguard_devopt) with its argument (NULL for a
 * flag). Returns 0, or -EINVAL with the problem in err ("invalid rate `x':
 * ..."). An option given twice is an error.
 */
int iotguard_devopt_apply(struct iotguard_devspec *spec, int opt,
			  const char *arg, char *err, size_t len);
/*
 * After the options: a device enrolled by MAC keeps its MAC, and a
 * credential is whole (cred auth or seal with a key, and expires or
 * epoch-seconds only with those; cred none alone).
 */
int iotguard_devspec_check(const struct iotguard_devspec *spec, char *err,
			   size_t len);
/* Zeroes and frees the spec's key, if it read one. */
void iotguard_devspec_release(struct iotguard_devspec *spec);

/*
 * The kernel's default bursts for a rate (kmod/device.c): a tenth of a
 * second of it, at least 1 packet or IOTGUARD_MIN_BURST_BYTES.
 */
uint32_t iotguard_default_burst_pkts(uint32_t rate_pps);
uint32_t iotguard_default_burst_bytes(uint64_t rate_bps);

/*
 * The declaration of a device as the kernel holds it, as short as it gets:
 * the name, class, MAC binding, rates and pin when not the default, a
 * burst when not its rate's default, the state when not allow. Never a
 * credential: the kernel does not give keys back.
 */
void iotguard_devspec_from_device(const struct iotguard_device *dev,
				  struct iotguard_devspec *spec);
/*
 * A device file line (no newline) that reads back as spec: the identity,
 * then the options given, in the order of enum iotguard_devopt. Returns
 * buf, or NULL if it does not fit.
 */
char *iotguard_devspec_format(const struct iotguard_devspec *spec, char *buf,
			      size_t len);

/* Devices read from files; errors go to report() as "FILE:LINE: ...". */
struct iotguard_devfile {
	struct iotguard_devspec *specs;
	size_t count, size;
	char **files;
	size_t nfiles;
	unsigned int errors;
	void (*report)(void *ctx, const char *msg);
	void *ctx;
};

void iotguard_devfile_init(struct iotguard_devfile *df,
			   void (*report)(void *ctx, const char *msg),
			   void *ctx);
void iotguard_devfile_free(struct iotguard_devfile *df);

/*
 * Reads the device lines of f, called name in messages. Every bad line is
 * reported and counted in df->errors. Returns 0, or a negative errno when
 * reading failed or memory ran out.
 */
int iotguard_devfile_read(struct iotguard_devfile *df, FILE *f,
			  const char *name);
/*
 * Reads an inventory CSV (RFC 4180): a header naming the columns (identity
 * or address, mac, name, class, rate, burst, byte_rate, byte_burst, state,
 * pin, cred, key, expires, epoch_seconds), then a device per record; an
 * empty cell is an option not given.
 */
int iotguard_devfile_read_csv(struct iotguard_devfile *df, FILE *f,
			      const char *name);
/*
 * A device file, or a directory: its *.conf files in lexical order. Then
 * reports every identity declared twice.
 */
int iotguard_devfile_load(struct iotguard_devfile *df, const char *path);
/* Reports every identity declared twice (load does it already). */
void iotguard_devfile_check_duplicates(struct iotguard_devfile *df);

/* Orders identities: family, prefix length, address. */
int iotguard_addr_cmp(const struct iotguard_addr *a,
		      const struct iotguard_addr *b);

enum iotguard_devop_kind {
	IOTGUARD_DEVOP_SAME,
	IOTGUARD_DEVOP_ADD,
	IOTGUARD_DEVOP_CHANGE,
	IOTGUARD_DEVOP_REMOVE,
};

/*
 * One device of a difference. req is the request that makes the kernel's
 * device what the declaration says: DEVICE_NEW for ADD, DEVICE_SET with
 * the fields to change (changed, enum iotguard_device_field) for CHANGE,
 * the identity for REMOVE.
 */
struct iotguard_devop {
	enum iotguard_devop_kind kind;
	const struct iotguard_devspec *want;	/* NULL for REMOVE */
	const struct iotguard_device *have;	/* NULL for ADD */
	struct iotguard_device req;
	uint32_t changed;
};

/*
 * The difference between the declared devices want and the kernel's have
 * (as a dump gives them): one op per declared device, in want's order,
 * then, when remove, one REMOVE per device of have that want does not
 * declare, in have's order. A pure function.
 *
 * A declared device's name, class, MAC binding, rates and pin are what
 * its options say, the defaults (none, generic, none, no limit, unpinned)
 * when absent. Its state and bursts are compared only when given: the
 * state, because iotguardd changes it at run time (a quarantine must
 * outlive an apply of a file that says nothing about it); a burst, because
 * the kernel computes the default and the dump shows the burst in force.
 * Its credential too, as the kernel never gives the key back (an export
 * has none): when given, by mode, key id, expiry and epoch length, and
 * set whole when any differs. A revoked credential is not compared: only
 * an operator's `device set' ends a revocation.
 *
 * Returns 0 or -ENOMEM; *ops (count *nops) is the caller's to free.
 */
int iotguard_devdiff(const struct iotguard_devspec *want, size_t nwant,
		     const struct iotguard_device *have, size_t nhave,
		     bool remove, struct iotguard_devop **ops, size_t *nops);

/* "name, rate" : the fields of changed, for people. */
const char *iotguard_devop_fields(uint32_t changed, char *buf, size_t len);

#endif /* IOTGUARD_USER_DEVFILE_H */
