// SPDX-License-Identifier: GPL-2.0
/*
 * Device declarations: the shared option parser, device files, inventory
 * CSVs and the difference to the kernel's table (see devfile.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include "array.h"
#include "devfile.h"
#include "keyfile.h"
#include "parse.h"

const struct iotguard_devopt_info iotguard_devopts[IOTGUARD_OPT_COUNT] = {
	[IOTGUARD_OPT_NAME] = { "name", true },
	[IOTGUARD_OPT_MAC] = { "mac", true },
	[IOTGUARD_OPT_STATE] = { "state", true },
	[IOTGUARD_OPT_CLASS] = { "class", true },
	[IOTGUARD_OPT_RATE] = { "rate", true },
	[IOTGUARD_OPT_BURST] = { "burst", true },
	[IOTGUARD_OPT_BYTE_RATE] = { "byte-rate", true },
	[IOTGUARD_OPT_BYTE_BURST] = { "byte-burst", true },
	[IOTGUARD_OPT_PIN] = { "pin", false },
	[IOTGUARD_OPT_UNPIN] = { "unpin", false },
	[IOTGUARD_OPT_CRED] = { "cred", true },
	[IOTGUARD_OPT_KEY] = { "key", true },
	[IOTGUARD_OPT_EXPIRES] = { "expires", true },
	[IOTGUARD_OPT_EPOCH_SECONDS] = { "epoch-seconds", true },
};

int iotguard_devopt_find(const char *name)
{
	int i;

	for (i = 0; i < IOTGUARD_OPT_COUNT; i++) {
		if (!strcmp(name, iotguard_devopts[i].name))
			return i;
	}
	return -1;
}

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A rate (rate) or a count, at most max. */
static int parse_limit(const char *what, const char *arg, bool rate,
		       uint64_t max, uint64_t *out, char *err, size_t len)
{
	const char *why = NULL;
	int ret;

	ret = rate ? iotguard_parse_rate(arg, max, out, &why) :
		     iotguard_parse_count(arg, max, out, &why);
	if (ret == -ERANGE)
		return fail(err, len, "invalid %s `%s': %s (at most %" PRIu64
			    ")", what, arg, why, max);
	if (ret)
		return fail(err, len, "invalid %s `%s': %s", what, arg, why);
	return 0;
}

/* The options that take a number: what they are called, where they go. */
static int apply_limit(struct iotguard_device *dev, int opt, const char *arg,
		       char *err, size_t len)
{
	uint64_t value;
	int ret;

	switch (opt) {
	case IOTGUARD_OPT_RATE:
		ret = parse_limit("rate", arg, true, UINT32_MAX, &value, err,
				  len);
		dev->rate_pps = value;
		dev->present |= IOTGUARD_DEV_RATE_PPS;
		break;
	case IOTGUARD_OPT_BURST:
		ret = parse_limit("burst", arg, false, UINT32_MAX, &value,
				  err, len);
		dev->burst_pkts = value;
		dev->present |= IOTGUARD_DEV_BURST_PKTS;
		break;
	case IOTGUARD_OPT_BYTE_RATE:
		ret = parse_limit("byte rate", arg, true, UINT64_MAX, &value,
				  err, len);
		dev->rate_bps = value;
		dev->present |= IOTGUARD_DEV_RATE_BPS;
		break;
	default:
		ret = parse_limit("byte burst", arg, false, UINT32_MAX,
				  &value, err, len);
		dev->burst_bytes = value;
		dev->present |= IOTGUARD_DEV_BURST_BYTES;
		break;
	}
	return ret;
}

/* key PATH: the key read at once, kept in a buffer of the spec's own. */
static int apply_key(struct iotguard_devspec *spec, const char *path,
		     char *err, size_t len)
{
	uint8_t key[IOTGUARD_CRED_KEY_LEN];
	struct iotguard_devkey *k;
	const char *why = NULL;
	int ret;

	if (spec->in_file && !strcmp(path, "-"))
		return fail(err, len,
			    "key `-' (standard input) is for the command line");
	if (spec->in_file && *path != '/')
		return fail(err, len, "key file `%s' is not an absolute path",
			    path);
	ret = iotguard_key_read(path, key, &why);
	if (ret)
		return fail(err, len, "invalid key file `%s': %s", path,
			    why ? why : strerror(-ret));
	k = malloc(sizeof(*k) + strlen(path) + 1);
	if (!k) {
		explicit_bzero(key, sizeof(key));
		return fail(err, len, "out of memory");
	}
	memcpy(k->key, key, sizeof(key));
	ret = iotguard_key_id(key, &k->id);
	strcpy(k->path, path);
	explicit_bzero(key, sizeof(key));
	if (ret) {
		explicit_bzero(k, sizeof(*k));
		free(k);
		return fail(err, len, "unable to compute the key id of `%s'",
			    path);
	}
	spec->key = k;
	spec->dev.cred_key = k->key;
	spec->dev.present |= IOTGUARD_DEV_CRED_KEY;
	return 0;
}

/* The options of a credential: set whole, checked whole by _check(). */
static int apply_cred(struct iotguard_devspec *spec, int opt,
		      const char *arg, char *err, size_t len)
{
	struct iotguard_device *dev = &spec->dev;
	const char *why = NULL;
	uint64_t value;
	int ret;

	switch (opt) {
	case IOTGUARD_OPT_CRED:
		if (iotguard_parse_cred_mode(arg, &dev->cred_mode, &why))
			return fail(err, len, "invalid cred `%s': %s", arg,
				    why);
		dev->present |= IOTGUARD_DEV_CRED_MODE;
		return 0;
	case IOTGUARD_OPT_KEY:
		return apply_key(spec, arg, err, len);
	case IOTGUARD_OPT_EXPIRES:
		if (spec->in_file && *arg == '+')
			return fail(err, len,
				    "expiry `%s' is relative: a file's is absolute",
				    arg);
		if (iotguard_parse_expires(arg, time(NULL), &dev->cred_expires,
					   &why))
			return fail(err, len, "invalid expiry `%s': %s", arg,
				    why);
		dev->present |= IOTGUARD_DEV_CRED_EXPIRES;
		return 0;
	}
	ret = parse_limit("epoch seconds", arg, false, INT32_MAX, &value, err,
			  len);
	if (ret)
		return ret;
	if (value < IOTGUARD_CRED_EPOCH_SECONDS_MIN)
		return fail(err, len, "invalid epoch seconds `%s': at least %d",
			    arg, IOTGUARD_CRED_EPOCH_SECONDS_MIN);
	dev->cred_epoch_seconds = value;
	dev->present |= IOTGUARD_DEV_CRED_EPOCH_SECONDS;
	return 0;
}

int iotguard_devopt_apply(struct iotguard_devspec *spec, int opt,
			  const char *arg, char *err, size_t len)
{
	struct iotguard_device *dev = &spec->dev;
	const char *why = NULL;

	if (opt < 0 || opt >= IOTGUARD_OPT_COUNT)
		return fail(err, len, "unknown option");
	if (spec->given & (1U << opt))
		return fail(err, len, "option `%s' given twice",
			    iotguard_devopts[opt].name);
	spec->given |= 1U << opt;
	switch (opt) {
	case IOTGUARD_OPT_NAME:
		if (strlen(arg) >= sizeof(dev->name))
			return fail(err, len,
				    "name `%s' is longer than %zu bytes", arg,
				    sizeof(dev->name) - 1);
		strcpy(dev->name, arg);
		dev->present |= IOTGUARD_DEV_NAME;
		return 0;
	case IOTGUARD_OPT_MAC:
		if (!strcmp(arg, "none"))
			memset(dev->mac, 0, sizeof(dev->mac));
		else if (iotguard_parse_mac(arg, dev->mac, &why))
			return fail(err, len, "invalid MAC `%s': %s", arg,
				    why);
		dev->present |= IOTGUARD_DEV_MAC;
		return 0;
	case IOTGUARD_OPT_STATE:
		if (iotguard_parse_state(arg, &dev->state, &why))
			return fail(err, len, "invalid state `%s': %s", arg,
				    why);
		dev->present |= IOTGUARD_DEV_STATE;
		return 0;
	case IOTGUARD_OPT_CLASS:
		if (iotguard_parse_class(arg, &dev->class, &why))
			return fail(err, len, "invalid class `%s': %s", arg,
				    why);
		dev->present |= IOTGUARD_DEV_CLASS;
		return 0;
	case IOTGUARD_OPT_PIN:
	case IOTGUARD_OPT_UNPIN:
		if (spec->pin)
			return fail(err, len, "pin and unpin go alone");
		spec->pin = opt == IOTGUARD_OPT_PIN ? 1 : -1;
		return 0;
	case IOTGUARD_OPT_CRED:
	case IOTGUARD_OPT_KEY:
	case IOTGUARD_OPT_EXPIRES:
	case IOTGUARD_OPT_EPOCH_SECONDS:
		return apply_cred(spec, opt, arg, err, len);
	}
	return apply_limit(dev, opt, arg, err, len);
}

/* A credential is set whole, as the kernel takes it. */
static int check_cred(const struct iotguard_device *dev, char *err,
		      size_t len)
{
	uint32_t p = dev->present;
	const char *mode = iotguard_cred_mode_name(dev->cred_mode);

	if (!(p & IOTGUARD_DEV_CRED))
		return 0;
	if (!(p & IOTGUARD_DEV_CRED_MODE) && (p & IOTGUARD_DEV_CRED_KEY))
		return fail(err, len, "key needs cred auth or seal");
	if (!(p & IOTGUARD_DEV_CRED_MODE))
		return fail(err, len, "%s needs cred auth or seal and a key",
			    p & IOTGUARD_DEV_CRED_EXPIRES ? "expires" :
			    "epoch-seconds");
	if (dev->cred_mode == IOTGUARD_CRED_NONE &&
	    (p & IOTGUARD_DEV_CRED) != IOTGUARD_DEV_CRED_MODE)
		return fail(err, len,
			    "cred none takes no key, expires or epoch-seconds");
	if (dev->cred_mode != IOTGUARD_CRED_NONE &&
	    !(p & IOTGUARD_DEV_CRED_KEY))
		return fail(err, len, "cred %s needs a key", mode ? mode : "?");
	return 0;
}

int iotguard_devspec_check(const struct iotguard_devspec *spec, char *err,
			   size_t len)
{
	const struct iotguard_device *dev = &spec->dev;

	if (dev->id.family == AF_PACKET && (dev->present & IOTGUARD_DEV_MAC) &&
	    memcmp(dev->mac, dev->id.addr, sizeof(dev->mac)))
		return fail(err, len, "a device enrolled by MAC keeps its MAC");
	return check_cred(dev, err, len);
}

void iotguard_devspec_release(struct iotguard_devspec *spec)
{
	if (!spec->key)
		return;
	explicit_bzero(spec->key->key, sizeof(spec->key->key));
	free(spec->key);
	spec->key = NULL;
	spec->dev.cred_key = NULL;
	spec->dev.present &= ~IOTGUARD_DEV_CRED_KEY;
}

uint32_t iotguard_default_burst_pkts(uint32_t rate_pps)
{
	return rate_pps / 10 > 1 ? rate_pps / 10 : 1;
}

uint32_t iotguard_default_burst_bytes(uint64_t rate_bps)
{
	uint64_t burst = rate_bps / 10;

	if (burst < IOTGUARD_MIN_BURST_BYTES)
		return IOTGUARD_MIN_BURST_BYTES;
	return burst > UINT32_MAX ? UINT32_MAX : burst;
}

void iotguard_devspec_from_device(const struct iotguard_device *dev,
				  struct iotguard_devspec *spec)
{
	static const uint8_t no_mac[6];
	struct iotguard_device *out = &spec->dev;

	memset(spec, 0, sizeof(*spec));
	*out = *dev;
	out->present = 0;
	if (*dev->name)
		out->present |= IOTGUARD_DEV_NAME;
	if (dev->id.family != AF_PACKET &&
	    memcmp(dev->mac, no_mac, sizeof(no_mac)))
		out->present |= IOTGUARD_DEV_MAC;
	/* A daemon's state is its own to restore: not a declaration. */
	if (dev->state != IOTGUARD_STATE_ALLOW &&
	    !(dev->flags & IOTGUARD_DEVICE_F_AUTO) &&
	    iotguard_state_name(dev->state))
		out->present |= IOTGUARD_DEV_STATE;
	if (dev->class)
		out->present |= IOTGUARD_DEV_CLASS;
	if (dev->rate_pps)
		out->present |= IOTGUARD_DEV_RATE_PPS;
	if (dev->burst_pkts != iotguard_default_burst_pkts(dev->rate_pps))
		out->present |= IOTGUARD_DEV_BURST_PKTS;
	if (dev->rate_bps)
		out->present |= IOTGUARD_DEV_RATE_BPS;
	if (dev->burst_bytes != iotguard_default_burst_bytes(dev->rate_bps))
		out->present |= IOTGUARD_DEV_BURST_BYTES;
	spec->pin = dev->flags & IOTGUARD_DEVICE_F_PINNED ? 1 : 0;
}

/* Text appended to a buffer of len bytes, noting when it did not fit. */
struct out {
	char *buf;
	size_t len, pos;
	bool full;
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos)
		o->full = true;
	else
		o->pos += n;
}

static bool plain_char(unsigned char c)
{
	return c > ' ' && c != 0x7f && c != '#' && c != '"' && c != '\\';
}

/* A word, in double quotes when it would not read back as itself. */
static void put_word(struct out *o, const char *s)
{
	const unsigned char *p;
	bool plain = *s;

	for (p = (const unsigned char *)s; *p; p++)
		plain = plain && plain_char(*p);
	if (plain) {
		put(o, " %s", s);
		return;
	}
	put(o, " \"");
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			put(o, "\\%c", *p);
		else if (*p < ' ' || *p == 0x7f)
			put(o, "\\x%02x", *p);
		else
			put(o, "%c", *p);
	}
	put(o, "\"");
}

static void put_count(struct out *o, const char *key, uint64_t value)
{
	char buf[32];

	put(o, " %s %s", key, iotguard_format_count(value, buf, sizeof(buf)));
}

/* The credential's options, the key by the path it was read from. */
static void put_cred(struct out *o, const struct iotguard_devspec *spec)
{
	const struct iotguard_device *dev = &spec->dev;
	const char *mode = iotguard_cred_mode_name(dev->cred_mode);

	if ((dev->present & IOTGUARD_DEV_CRED_MODE) && mode)
		put(o, " cred %s", mode);
	if ((dev->present & IOTGUARD_DEV_CRED_KEY) && spec->key) {
		put(o, " key");
		put_word(o, spec->key->path);
	}
	if ((dev->present & IOTGUARD_DEV_CRED_EXPIRES) && dev->cred_expires)
		put(o, " expires %" PRIu64, dev->cred_expires);
	else if (dev->present & IOTGUARD_DEV_CRED_EXPIRES)
		put(o, " expires never");
	if (dev->present & IOTGUARD_DEV_CRED_EPOCH_SECONDS)
		put(o, " epoch-seconds %" PRIu32, dev->cred_epoch_seconds);
}

char *iotguard_devspec_format(const struct iotguard_devspec *spec, char *buf,
			      size_t len)
{
	const struct iotguard_device *dev = &spec->dev;
	struct out o = { buf, len, 0, len == 0 };
	char addr[IOTGUARD_ADDR_STRLEN];
	static const uint8_t no_mac[6];
	const char *name;

	put(&o, "%s%s", dev->id.family == AF_PACKET ? "mac " : "",
	    iotguard_format_addr(&dev->id, addr, sizeof(addr)));
	if (dev->present & IOTGUARD_DEV_NAME) {
		put(&o, " name");
		put_word(&o, dev->name);
	}
	if ((dev->present & IOTGUARD_DEV_MAC) && dev->id.family != AF_PACKET)
		put(&o, " mac %s", memcmp(dev->mac, no_mac, 6) ?
		    iotguard_format_mac(dev->mac, addr, sizeof(addr)) :
		    "none");
	if ((dev->present & IOTGUARD_DEV_STATE) &&
	    (name = iotguard_state_name(dev->state)))
		put(&o, " state %s", name);
	if (dev->present & IOTGUARD_DEV_CLASS) {
		name = iotguard_class_name(dev->class);
		if (name)
			put(&o, " class %s", name);
		else
			put(&o, " class %u", dev->class);
	}
	if (dev->present & IOTGUARD_DEV_RATE_PPS)
		put_count(&o, "rate", dev->rate_pps);
	if (dev->present & IOTGUARD_DEV_BURST_PKTS)
		put_count(&o, "burst", dev->burst_pkts);
	if (dev->present & IOTGUARD_DEV_RATE_BPS)
		put_count(&o, "byte-rate", dev->rate_bps);
	if (dev->present & IOTGUARD_DEV_BURST_BYTES)
		put_count(&o, "byte-burst", dev->burst_bytes);
	if (spec->pin)
		put(&o, " %s", spec->pin > 0 ? "pin" : "unpin");
	put_cred(&o, spec);
	if ((dev->flags & IOTGUARD_DEVICE_F_AUTO) &&
	    dev->state != IOTGUARD_STATE_ALLOW &&
	    (name = iotguard_state_name(dev->state)))
		put(&o, " # %s, set by a daemon", name);
	return o.full ? NULL : buf;
}

void iotguard_devfile_init(struct iotguard_devfile *df,
			   void (*report)(void *ctx, const char *msg),
			   void *ctx)
{
	memset(df, 0, sizeof(*df));
	df->report = report;
	df->ctx = ctx;
}

void iotguard_devfile_free(struct iotguard_devfile *df)
{
	size_t i;

	for (i = 0; i < df->nfiles; i++)
		free(df->files[i]);
	for (i = 0; i < df->count; i++)
		iotguard_devspec_release(&df->specs[i]);
	free(df->files);
	free(df->specs);
	memset(df, 0, sizeof(*df));
}

static void report(struct iotguard_devfile *df, unsigned int file,
		   unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(struct iotguard_devfile *df, unsigned int file,
		   unsigned int line, const char *fmt, ...)
{
	char msg[IOTGUARD_DEVFILE_ERRLEN + 256];
	int n;
	va_list ap;

	n = snprintf(msg, sizeof(msg), "%s:%u: ", df->files[file], line);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	df->errors++;
	if (df->report)
		df->report(df->ctx, msg);
}

/* Remembers a file's name; its index, or -ENOMEM. */
static int add_file(struct iotguard_devfile *df, const char *name)
{
	char **files, *copy;

	files = reallocarray(df->files, df->nfiles + 1, sizeof(*files));
	if (!files)
		return -ENOMEM;
	df->files = files;
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	files[df->nfiles] = copy;
	return df->nfiles++;
}

static int add_spec(struct iotguard_devfile *df,
		    const struct iotguard_devspec *spec)
{
	if (iotguard_array_reserve((void **)&df->specs, &df->size, df->count,
				   sizeof(*df->specs)))
		return -ENOMEM;
	df->specs[df->count++] = *spec;
	return 0;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Cuts a physical line at its comment. Returns 0, or -1 if it ends inside
 * a quote.
 */
static int strip_comment(char *line)
{
	bool quoted = false;
	char *p;

	for (p = line; *p; p++) {
		if (quoted && *p == '\\' && p[1])
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '#')
			break;
	}
	*p = '\0';
	return quoted ? -1 : 0;
}

#define MAX_WORDS 64

/*
 * Splits a logical line into words in place, undoing quotes and escapes.
 * Returns the number of words, or -1 with the problem in *why.
 */
static int split_words(char *line, char *words[MAX_WORDS], const char **why)
{
	char *p = line, *w;
	int n = 0;

	for (;;) {
		bool quoted = false;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			return n;
		if (n == MAX_WORDS) {
			*why = "too many words";
			return -1;
		}
		words[n++] = w = p;
		while (*p && (quoted || !isspace((unsigned char)*p))) {
			if (*p == '"') {
				quoted = !quoted;
				p++;
			} else if (quoted && *p == '\\') {
				int hi, lo;

				if (p[1] == '"' || p[1] == '\\') {
					*w++ = p[1];
					p += 2;
					continue;
				}
				hi = p[1] == 'x' ? hex_digit(p[2]) : -1;
				lo = hi < 0 ? -1 : hex_digit(p[3]);
				if (lo < 0 || (hi == 0 && lo == 0)) {
					*why = "unknown escape (\\\", \\\\ or "
					       "\\xHH)";
					return -1;
				}
				*w++ = hi << 4 | lo;
				p += 4;
			} else {
				*w++ = *p++;
			}
		}
		if (quoted) {
			*why = "unterminated quote";
			return -1;
		}
		if (*p)
			p++;
		*w = '\0';
	}
}

/* The identity of a line: "mac MAC" or an address; the words it took. */
static int parse_line_identity(char **words, int n, struct iotguard_addr *id,
			       char *err, size_t len)
{
	const char *why = NULL;

	if (!strcmp(words[0], "mac")) {
		if (n < 2)
			return fail(err, len, "missing the device's MAC");
		memset(id, 0, sizeof(*id));
		id->family = AF_PACKET;
		if (iotguard_parse_mac(words[1], id->addr, &why))
			return fail(err, len, "invalid MAC `%s': %s",
				    words[1], why);
		return 2;
	}
	memset(id, 0, sizeof(*id));
	if (iotguard_parse_identity(words[0], id, &why))
		return fail(err, len, "invalid address or MAC `%s': %s",
			    words[0], why);
	return 1;
}

/* A device line's words into spec; 0 or -EINVAL with err filled. */
static int parse_words(char **words, int n, struct iotguard_devspec *spec,
		       char *err, size_t len)
{
	int i, opt, ret;

	ret = parse_line_identity(words, n, &spec->dev.id, err, len);
	if (ret < 0)
		return ret;
	for (i = ret; i < n; i++) {
		const char *arg = NULL;

		opt = iotguard_devopt_find(words[i]);
		if (opt < 0)
			return fail(err, len, "unknown option `%s'", words[i]);
		if (iotguard_devopts[opt].has_arg) {
			if (i + 1 == n)
				return fail(err, len,
					    "option `%s' needs an argument",
					    words[i]);
			arg = words[++i];
		}
		ret = iotguard_devopt_apply(spec, opt, arg, err, len);
		if (ret)
			return ret;
	}
	return iotguard_devspec_check(spec, err, len);
}

/* One logical line: a device, a blank or an error. */
static int parse_line(struct iotguard_devfile *df, char *line,
		      unsigned int file, unsigned int lineno)
{
	char err[IOTGUARD_DEVFILE_ERRLEN], *words[MAX_WORDS];
	struct iotguard_devspec spec = { .file = file, .line = lineno,
					 .in_file = true };
	const char *why = NULL;
	int n, ret;

	n = split_words(line, words, &why);
	if (n < 0) {
		report(df, file, lineno, "%s", why);
		return 0;
	}
	if (!n)
		return 0;
	if (parse_words(words, n, &spec, err, sizeof(err))) {
		report(df, file, lineno, "%s", err);
		iotguard_devspec_release(&spec);
		return 0;
	}
	ret = add_spec(df, &spec);
	if (ret)
		iotguard_devspec_release(&spec);
	return ret;
}

/* Appends a physical line to the logical one. */
static int append(char **buf, size_t *size, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 2 > *size) {
		size_t want = (*len + n + 2) * 2;
		char *grown = realloc(*buf, want);

		if (!grown)
			return -ENOMEM;
		*buf = grown;
		*size = want;
	}
	if (*len)
		(*buf)[(*len)++] = ' ';
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	return 0;
}

int iotguard_devfile_read(struct iotguard_devfile *df, FILE *f,
			  const char *name)
{
	char *raw = NULL, *logical = NULL;
	size_t raw_size = 0, size = 0, len = 0;
	unsigned int lineno = 0, start = 0;
	int file, ret = 0;
	ssize_t n;

	file = add_file(df, name);
	if (file < 0)
		return file;
	while ((n = getline(&raw, &raw_size, f)) >= 0) {
		bool more;

		lineno++;
		if (!len)
			start = lineno;
		if (strip_comment(raw)) {
			report(df, file, lineno, "unterminated quote");
			len = 0;
			continue;
		}
		n = strlen(raw);
		while (n && isspace((unsigned char)raw[n - 1]))
			raw[--n] = '\0';
		more = n && raw[n - 1] == '\\';
		if (more)
			raw[--n] = '\0';
		ret = append(&logical, &size, &len, raw);
		if (!ret && !more) {
			ret = parse_line(df, logical, file, start);
			len = 0;
		}
		if (ret)
			goto cleanup;
	}
	if (ferror(f)) {
		ret = -EIO;
		goto cleanup;
	}
	/* A backslash on the last line continues nothing. */
	if (len)
		ret = parse_line(df, logical, file, start);

cleanup:
	free(raw);
	free(logical);
	return ret;
}

/* One CSV record's fields, NUL-separated in buf. */
struct csv_record {
	char *buf;
	size_t len, size;
	size_t *fields;		/* offsets into buf */
	size_t count, fields_size;
	unsigned int line;	/* where it starts */
};

static int csv_putc(struct csv_record *r, char c)
{
	if (r->len == r->size) {
		size_t want = r->size ? r->size * 2 : 256;
		char *grown = realloc(r->buf, want);

		if (!grown)
			return -ENOMEM;
		r->buf = grown;
		r->size = want;
	}
	r->buf[r->len++] = c;
	return 0;
}

static int csv_field(struct csv_record *r)
{
	if (iotguard_array_reserve((void **)&r->fields, &r->fields_size,
				   r->count, sizeof(*r->fields)))
		return -ENOMEM;
	r->fields[r->count++] = r->len;
	return 0;
}

/* Reads past the end of the current line, after an error. */
static void csv_skip_line(FILE *f, unsigned int *line)
{
	int c;

	while ((c = getc(f)) != EOF && c != '\n')
		;
	if (c == '\n')
		++*line;
}

/* A quoted field's text, after its opening quote. */
static int csv_quoted(FILE *f, struct csv_record *r, unsigned int *line,
		      const char **why)
{
	int c, ret;

	for (;;) {
		c = getc(f);
		if (c == EOF) {
			*why = "unterminated quote";
			return -EINVAL;
		}
		if (c == '"') {
			c = getc(f);
			if (c != '"') {
				ungetc(c, f);
				return 0;
			}
		}
		if (c == '\n')
			++*line;
		ret = csv_putc(r, c);
		if (ret)
			return ret;
	}
}

/*
 * Reads a record (RFC 4180; LF or CRLF line ends). Returns 1, 0 at the
 * end of the file, -EINVAL with *why for a malformed record (the rest of
 * its line skipped), or -ENOMEM.
 */
static int csv_read(FILE *f, struct csv_record *r, unsigned int *line,
		    const char **why)
{
	bool quoted = false;
	int c, ret;

	r->len = r->count = 0;
	r->line = *line + 1;
	c = getc(f);
	if (c == EOF)
		return 0;
	ungetc(c, f);
	ret = csv_field(r);
	for (;;) {
		if (ret)
			return ret;
		c = getc(f);
		if (c == '"' && r->len == r->fields[r->count - 1] && !quoted) {
			quoted = true;
			ret = csv_quoted(f, r, line, why);
			if (ret == -EINVAL)
				return ret;
			continue;
		}
		if (c == '\r') {
			c = getc(f);
			if (c != '\n') {
				ungetc(c, f);
				c = '\r';
			}
		}
		if (c == EOF || c == '\n' || c == ',') {
			ret = csv_putc(r, '\0');
			if (ret)
				return ret;
			if (c == '\n')
				++*line;
			if (c != ',')
				return 1;
			quoted = false;
			ret = csv_field(r);
			continue;
		}
		*why = quoted ? "text after a closing quote" :
				"a quote inside an unquoted field";
		if (quoted || c == '"') {
			ungetc(c, f);
			csv_skip_line(f, line);
			return -EINVAL;
		}
		ret = csv_putc(r, c);
	}
}

static char *csv_cell(const struct csv_record *r, size_t i)
{
	char *s = r->buf + r->fields[i], *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Columns beyond the options: the identity, and pin as yes or no. */
enum { COL_IDENTITY = -2, COL_PIN = -3 };

static int csv_column(const char *name, char *err, size_t len)
{
	static const char *const columns[] = {
		"mac", "name", "class", "rate", "burst", "byte_rate",
		"byte_burst", "state", "cred", "key", "expires",
		"epoch_seconds",
	};
	char option[16];
	size_t i;

	if (!strcasecmp(name, "identity") || !strcasecmp(name, "address"))
		return COL_IDENTITY;
	if (!strcasecmp(name, "pin"))
		return COL_PIN;
	for (i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		char *p;

		if (strcasecmp(name, columns[i]))
			continue;
		snprintf(option, sizeof(option), "%s", columns[i]);
		for (p = option; *p; p++)
			*p = *p == '_' ? '-' : *p;
		return iotguard_devopt_find(option);
	}
	return fail(err, len, "unknown column `%s'", name);
}

/* The header: what each column is. Returns the columns or -EINVAL. */
static int csv_header(const struct csv_record *r, int *cols, char *err,
		      size_t len)
{
	bool identity = false;
	size_t i, j;

	for (i = 0; i < r->count; i++) {
		cols[i] = csv_column(csv_cell(r, i), err, len);
		if (cols[i] == -EINVAL)
			return -EINVAL;
		for (j = 0; j < i; j++) {
			if (cols[j] == cols[i])
				return fail(err, len, "column `%s' twice",
					    csv_cell(r, i));
		}
		identity = identity || cols[i] == COL_IDENTITY ||
			   cols[i] == IOTGUARD_OPT_MAC;
	}
	if (!identity)
		return fail(err, len,
			    "no identity, address or mac column");
	return 0;
}

static int csv_pin(struct iotguard_devspec *spec, const char *cell,
		   char *err, size_t len)
{
	static const char *const yes[] = { "yes", "true", "1", "pin" };
	static const char *const no[] = { "no", "false", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(cell, yes[i]))
			return iotguard_devopt_apply(spec, IOTGUARD_OPT_PIN,
						     NULL, err, len);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		if (!strcasecmp(cell, no[i]))
			return 0;
	}
	return fail(err, len, "invalid pin `%s': yes or no", cell);
}

/* A record's cells into spec. */
static int csv_device(const struct csv_record *r, const int *cols,
		      struct iotguard_devspec *spec, char *err, size_t len)
{
	struct iotguard_device *dev = &spec->dev;
	const char *why = NULL;
	bool identity = false;
	size_t i;
	int ret;

	for (i = 0; i < r->count; i++) {
		const char *cell = csv_cell(r, i);

		if (!*cell)
			continue;
		if (cols[i] == COL_IDENTITY) {
			if (iotguard_parse_identity(cell, &dev->id, &why))
				return fail(err, len,
					    "invalid address or MAC `%s': %s",
					    cell, why);
			identity = true;
			continue;
		}
		ret = cols[i] == COL_PIN ? csv_pin(spec, cell, err, len) :
		      iotguard_devopt_apply(spec, cols[i], cell, err, len);
		if (ret)
			return ret;
	}
	/* No address but a MAC: the device is enrolled by its MAC. */
	if (!identity && (dev->present & IOTGUARD_DEV_MAC)) {
		dev->id.family = AF_PACKET;
		memcpy(dev->id.addr, dev->mac, sizeof(dev->mac));
		identity = true;
	}
	if (!identity)
		return fail(err, len, "no identity, address or MAC");
	return iotguard_devspec_check(spec, err, len);
}

/* The records after the header. */
static int csv_devices(struct iotguard_devfile *df, FILE *f,
		       struct csv_record *r, const int *cols, size_t ncols,
		       unsigned int file, unsigned int *line)
{
	char err[IOTGUARD_DEVFILE_ERRLEN];
	const char *why = NULL;
	int ret;

	while ((ret = csv_read(f, r, line, &why))) {
		struct iotguard_devspec spec = { .file = file,
						 .line = r->line,
						 .in_file = true };

		if (ret == -EINVAL) {
			report(df, file, r->line, "%s", why);
			continue;
		}
		if (ret < 0)
			return ret;
		if (r->count == 1 && !*csv_cell(r, 0))
			continue;	/* a blank line */
		if (r->count != ncols) {
			report(df, file, r->line,
			       "%zu fields, the header has %zu", r->count,
			       ncols);
			continue;
		}
		if (csv_device(r, cols, &spec, err, sizeof(err))) {
			report(df, file, r->line, "%s", err);
			iotguard_devspec_release(&spec);
			continue;
		}
		ret = add_spec(df, &spec);
		if (ret) {
			iotguard_devspec_release(&spec);
			return ret;
		}
	}
	return ferror(f) ? -EIO : 0;
}

int iotguard_devfile_read_csv(struct iotguard_devfile *df, FILE *f,
			      const char *name)
{
	char err[IOTGUARD_DEVFILE_ERRLEN];
	struct csv_record r = { 0 };
	unsigned int line = 0;
	const char *why = NULL;
	int file, ret, *cols = NULL;

	file = add_file(df, name);
	if (file < 0)
		return file;
	ret = csv_read(f, &r, &line, &why);
	if (ret == -EINVAL || ret == 0) {
		report(df, file, r.line, "%s", ret ? why :
		       "no header line naming the columns");
		ret = 0;
		goto cleanup;
	}
	if (ret < 0)
		goto cleanup;
	cols = calloc(r.count, sizeof(*cols));
	if (!cols) {
		ret = -ENOMEM;
		goto cleanup;
	}
	if (csv_header(&r, cols, err, sizeof(err))) {
		report(df, file, r.line, "%s", err);
		ret = 0;
		goto cleanup;
	}
	ret = csv_devices(df, f, &r, cols, r.count, file, &line);

cleanup:
	free(cols);
	free(r.buf);
	free(r.fields);
	return ret;
}

int iotguard_addr_cmp(const struct iotguard_addr *a,
		      const struct iotguard_addr *b)
{
	size_t len;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	len = a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 6;
	return memcmp(a->addr, b->addr, len);
}

/* Sorts indexes into an array of records by their identity, then index. */
struct by_id {
	const void *base;
	size_t elem_size;
};

static const struct iotguard_addr *id_at(const struct by_id *s, size_t i)
{
	return (const void *)((const char *)s->base + i * s->elem_size);
}

static int cmp_by_id(const void *a, const void *b, void *arg)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int ret = iotguard_addr_cmp(id_at(arg, i), id_at(arg, j));

	if (ret)
		return ret;
	return i < j ? -1 : i > j;
}

/* Indexes 0..count-1 ordered by identity; the identity leads each record. */
static size_t *sort_by_id(const void *base, size_t count, size_t elem_size)
{
	struct by_id s = { base, elem_size };
	size_t *idx, i;

	idx = calloc(count ? count : 1, sizeof(*idx));
	if (!idx)
		return NULL;
	for (i = 0; i < count; i++)
		idx[i] = i;
	qsort_r(idx, count, sizeof(*idx), cmp_by_id, &s);
	return idx;
}

void iotguard_devfile_check_duplicates(struct iotguard_devfile *df)
{
	char addr[IOTGUARD_ADDR_STRLEN];
	size_t *idx, i, first = 0;

	idx = sort_by_id(df->specs, df->count, sizeof(*df->specs));
	if (!idx) {
		df->errors++;
		if (df->report)
			df->report(df->ctx, "out of memory");
		return;
	}
	for (i = 1; i < df->count; i++) {
		const struct iotguard_devspec *a = &df->specs[idx[first]];
		const struct iotguard_devspec *b = &df->specs[idx[i]];

		if (iotguard_addr_cmp(&a->dev.id, &b->dev.id)) {
			first = i;
			continue;
		}
		report(df, b->file, b->line,
		       "device %s declared twice (first at %s:%u)",
		       iotguard_format_addr(&b->dev.id, addr, sizeof(addr)),
		       df->files[a->file], a->line);
	}
	free(idx);
}

static int conf_file(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	return de->d_name[0] != '.' && len > 5 &&
	       !strcmp(de->d_name + len - 5, ".conf");
}

static int load_file(struct iotguard_devfile *df, const char *path)
{
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	ret = iotguard_devfile_read(df, f, path);
	fclose(f);
	return ret;
}

/* The *.conf files of dir, in lexical (byte) order. */
static int load_dir(struct iotguard_devfile *df, const char *dir)
{
	struct dirent **names = NULL;
	int n, i, ret = 0;
	char *path;

	n = scandir(dir, &names, conf_file, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		if (!ret && asprintf(&path, "%s/%s", dir,
				     names[i]->d_name) < 0)
			ret = -ENOMEM;
		if (!ret) {
			ret = load_file(df, path);
			free(path);
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

int iotguard_devfile_load(struct iotguard_devfile *df, const char *path)
{
	struct stat st;
	int ret;

	if (stat(path, &st))
		return -errno;
	ret = S_ISDIR(st.st_mode) ? load_dir(df, path) : load_file(df, path);
	if (!ret)
		iotguard_devfile_check_duplicates(df);
	return ret;
}

/* What the declaration makes of the fields it may leave out. */
static void compare_fields(const struct iotguard_devspec *want,
			   const struct iotguard_device *have,
			   struct iotguard_devop *op)
{
	const struct iotguard_device *w = &want->dev;
	struct iotguard_device *req = &op->req;
	static const struct iotguard_device none;
	uint32_t p = w->present;

	*req = (struct iotguard_device){ .id = w->id };
	if (strcmp(p & IOTGUARD_DEV_NAME ? w->name : "", have->name)) {
		op->changed |= IOTGUARD_DEV_NAME;
		strcpy(req->name, p & IOTGUARD_DEV_NAME ? w->name : "");
	}
	if ((p & IOTGUARD_DEV_CLASS ? w->class : 0) != have->class) {
		op->changed |= IOTGUARD_DEV_CLASS;
		req->class = w->class;
	}
	if (w->id.family != AF_PACKET &&
	    memcmp(p & IOTGUARD_DEV_MAC ? w->mac : none.mac, have->mac, 6)) {
		op->changed |= IOTGUARD_DEV_MAC;
		memcpy(req->mac, w->mac, sizeof(req->mac));
	}
	if ((p & IOTGUARD_DEV_STATE) && w->state != have->state) {
		op->changed |= IOTGUARD_DEV_STATE;
		req->state = w->state;
	}
	if ((want->pin > 0) != !!(have->flags & IOTGUARD_DEVICE_F_PINNED)) {
		op->changed |= IOTGUARD_DEV_FLAGS;
		/* An operator's change: never one marked automatic. */
		req->flags = (have->flags ^ IOTGUARD_DEVICE_F_PINNED) &
			     ~IOTGUARD_DEVICE_F_AUTO;
	}
}

/*
 * Rates as declared (no limit when absent), bursts only when given: a new
 * rate without one gets the kernel's default, so a given burst goes with
 * every change of its rate.
 */
static void compare_rates(const struct iotguard_device *w,
			  const struct iotguard_device *have,
			  struct iotguard_devop *op)
{
	struct iotguard_device *req = &op->req;
	uint32_t p = w->present;

	if ((p & IOTGUARD_DEV_RATE_PPS ? w->rate_pps : 0) != have->rate_pps) {
		op->changed |= IOTGUARD_DEV_RATE_PPS;
		req->rate_pps = w->rate_pps;
	}
	if ((p & IOTGUARD_DEV_BURST_PKTS) && w->burst_pkts &&
	    w->burst_pkts != have->burst_pkts)
		op->changed |= IOTGUARD_DEV_BURST_PKTS;
	if ((p & IOTGUARD_DEV_BURST_PKTS) && w->burst_pkts &&
	    (op->changed & (IOTGUARD_DEV_RATE_PPS | IOTGUARD_DEV_BURST_PKTS))) {
		req->present |= IOTGUARD_DEV_BURST_PKTS;
		req->burst_pkts = w->burst_pkts;
	}
	if ((p & IOTGUARD_DEV_RATE_BPS ? w->rate_bps : 0) != have->rate_bps) {
		op->changed |= IOTGUARD_DEV_RATE_BPS;
		req->rate_bps = w->rate_bps;
	}
	if ((p & IOTGUARD_DEV_BURST_BYTES) && w->burst_bytes &&
	    w->burst_bytes != have->burst_bytes)
		op->changed |= IOTGUARD_DEV_BURST_BYTES;
	if ((p & IOTGUARD_DEV_BURST_BYTES) && w->burst_bytes &&
	    (op->changed &
	     (IOTGUARD_DEV_RATE_BPS | IOTGUARD_DEV_BURST_BYTES))) {
		req->present |= IOTGUARD_DEV_BURST_BYTES;
		req->burst_bytes = w->burst_bytes;
	}
}

/* Does the kernel's credential differ from a declared one? */
static bool cred_differs(const struct iotguard_devspec *want,
			 const struct iotguard_device *have)
{
	const struct iotguard_device *w = &want->dev;
	uint32_t p = w->present;
	bool has = have->present & IOTGUARD_DEV_CRED_KEY_ID;

	if (w->cred_mode == IOTGUARD_CRED_NONE)
		return has;
	return !has || !want->key || have->cred_key_id != want->key->id ||
	       have->cred_mode != w->cred_mode ||
	       have->cred_expires !=
	       (p & IOTGUARD_DEV_CRED_EXPIRES ? w->cred_expires : 0) ||
	       have->cred_epoch_seconds !=
	       (p & IOTGUARD_DEV_CRED_EPOCH_SECONDS ? w->cred_epoch_seconds :
		IOTGUARD_CRED_EPOCH_SECONDS_DEFAULT);
}

/*
 * A credential as declared, when declared, set whole; but a revoked one
 * is left revoked: a file read again must not end a revocation.
 */
static void compare_cred(const struct iotguard_devspec *want,
			 const struct iotguard_device *have,
			 struct iotguard_devop *op)
{
	const struct iotguard_device *w = &want->dev;
	struct iotguard_device *req = &op->req;

	if (!(w->present & IOTGUARD_DEV_CRED_MODE) ||
	    (have->present & IOTGUARD_DEV_CRED_REVOKED) ||
	    !cred_differs(want, have))
		return;
	op->changed |= w->present & IOTGUARD_DEV_CRED;
	req->cred_mode = w->cred_mode;
	req->cred_key = w->cred_key;
	req->cred_expires = w->cred_expires;
	req->cred_epoch_seconds = w->cred_epoch_seconds;
}

static void compare(const struct iotguard_devspec *want,
		    const struct iotguard_device *have,
		    struct iotguard_devop *op)
{
	op->want = want;
	op->have = have;
	compare_fields(want, have, op);
	compare_rates(&want->dev, have, op);
	compare_cred(want, have, op);
	op->req.present |= op->changed;
	op->kind = op->changed ? IOTGUARD_DEVOP_CHANGE : IOTGUARD_DEVOP_SAME;
}

/* The NEW request of a device not enrolled yet: what it declares. */
static void add(const struct iotguard_devspec *want, struct iotguard_devop *op)
{
	op->kind = IOTGUARD_DEVOP_ADD;
	op->want = want;
	op->req = want->dev;
	if (want->pin > 0) {
		op->req.flags = IOTGUARD_DEVICE_F_PINNED;
		op->req.present |= IOTGUARD_DEV_FLAGS;
	}
}

/* The device of have with want's identity, or -1. */
static long find(const struct iotguard_device *have, const size_t *idx,
		 size_t nhave, const struct iotguard_addr *id)
{
	size_t lo = 0, hi = nhave;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int ret = iotguard_addr_cmp(&have[idx[mid]].id, id);

		if (!ret)
			return idx[mid];
		if (ret < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int iotguard_devdiff(const struct iotguard_devspec *want, size_t nwant,
		     const struct iotguard_device *have, size_t nhave,
		     bool remove, struct iotguard_devop **ops, size_t *nops)
{
	struct iotguard_devop *out;
	bool *matched = NULL;
	size_t *idx, i, n = 0;
	int ret = -ENOMEM;

	*ops = NULL;
	*nops = 0;
	idx = sort_by_id(have, nhave, sizeof(*have));
	out = calloc(nwant + nhave + 1, sizeof(*out));
	matched = calloc(nhave + 1, sizeof(*matched));
	if (!idx || !out || !matched)
		goto cleanup;
	for (i = 0; i < nwant; i++) {
		long k = find(have, idx, nhave, &want[i].dev.id);

		if (k < 0) {
			add(&want[i], &out[n++]);
			continue;
		}
		matched[k] = true;
		compare(&want[i], &have[k], &out[n++]);
	}
	for (i = 0; remove && i < nhave; i++) {
		if (matched[i])
			continue;
		out[n].kind = IOTGUARD_DEVOP_REMOVE;
		out[n].have = &have[i];
		out[n++].req.id = have[i].id;
	}
	*ops = out;
	*nops = n;
	out = NULL;
	ret = 0;

cleanup:
	free(out);
	free(matched);
	free(idx);
	return ret;
}

const char *iotguard_devop_fields(uint32_t changed, char *buf, size_t len)
{
	static const struct {
		uint32_t field;
		const char *name;
	} fields[] = {
		{ IOTGUARD_DEV_NAME, "name" },
		{ IOTGUARD_DEV_MAC, "mac" },
		{ IOTGUARD_DEV_STATE, "state" },
		{ IOTGUARD_DEV_CLASS, "class" },
		{ IOTGUARD_DEV_RATE_PPS, "rate" },
		{ IOTGUARD_DEV_BURST_PKTS, "burst" },
		{ IOTGUARD_DEV_RATE_BPS, "byte-rate" },
		{ IOTGUARD_DEV_BURST_BYTES, "byte-burst" },
		{ IOTGUARD_DEV_FLAGS, "pin" },
		{ IOTGUARD_DEV_CRED_MODE, "cred" },
	};
	struct out o = { buf, len, 0, len == 0 };
	size_t i;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (changed & fields[i].field)
			put(&o, "%s%s", o.pos ? ", " : "", fields[i].name);
	}
	return buf;
}
