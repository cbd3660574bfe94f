// SPDX-License-Identifier: GPL-2.0
/*
 * The host tests' applier: no module, a file. Each change is appended as
 * one line that the tests read; the device table it stands for is kept in
 * memory, and rebuilt from the file's lines when the agent starts, as a
 * module keeps its table while the agent restarts.
 *
 *	add 198.18.0.5 name=lamp-1 state=allow flags=0 key=K rev=3 by=op
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "sync.h"

struct record {
	FILE *f;
	struct iotguard_device *devs;
	size_t count, size;
};

static struct iotguard_device *find(struct record *rec,
				    const struct iotguard_addr *id)
{
	size_t i;

	for (i = 0; i < rec->count; i++)
		if (rec->devs[i].id.family == id->family &&
		    rec->devs[i].id.plen == id->plen &&
		    !memcmp(rec->devs[i].id.addr, id->addr, sizeof(id->addr)))
			return &rec->devs[i];
	return NULL;
}

/* What a SET request changes, as the module does it. */
static void merge(struct iotguard_device *to,
		  const struct iotguard_device *from)
{
	uint32_t p = from->present;

	if (p & IOTGUARD_DEV_NAME)
		memcpy(to->name, from->name, sizeof(to->name));
	if (p & IOTGUARD_DEV_MAC)
		memcpy(to->mac, from->mac, sizeof(to->mac));
	if (p & IOTGUARD_DEV_STATE)
		to->state = from->state;
	if (p & IOTGUARD_DEV_CLASS)
		to->class = from->class;
	if (p & IOTGUARD_DEV_RATE_PPS)
		to->rate_pps = from->rate_pps;
	if (p & IOTGUARD_DEV_BURST_PKTS)
		to->burst_pkts = from->burst_pkts;
	if (p & IOTGUARD_DEV_RATE_BPS)
		to->rate_bps = from->rate_bps;
	if (p & IOTGUARD_DEV_BURST_BYTES)
		to->burst_bytes = from->burst_bytes;
	if (p & IOTGUARD_DEV_FLAGS)
		to->flags = from->flags;
	to->present |= p | IOTGUARD_DEV_STATE | IOTGUARD_DEV_FLAGS;
}

static int table_add(struct record *rec, const struct iotguard_device *dev)
{
	struct iotguard_device *d;

	if (find(rec, &dev->id))
		return -EEXIST;
	if (iotguard_array_reserve((void **)&rec->devs, &rec->size,
				   rec->count, sizeof(*rec->devs)))
		return -ENOMEM;
	d = &rec->devs[rec->count++];
	memset(d, 0, sizeof(*d));
	d->id = dev->id;
	d->state = IOTGUARD_STATE_ALLOW;
	merge(d, dev);
	return 0;
}

static void table_del(struct record *rec, const struct iotguard_addr *id)
{
	struct iotguard_device *d = find(rec, id);

	if (d)
		*d = rec->devs[--rec->count];
}

/* A word of the record: whatever it is, no blank in it. */
static void put_word(FILE *f, const char *name, const char *s)
{
	fprintf(f, " %s=", name);
	for (; *s; s++)
		fputc(*s == ' ' || *s == '\t' || *s == '\n' ? '_' : *s, f);
}

static int write_line(struct record *rec, const char *op,
		      const struct iotguard_addr *id,
		      const struct iotguard_device *dev,
		      const struct sync_change *why)
{
	char text[IOTGUARD_ADDR_STRLEN], mac[IOTGUARD_MAC_STRLEN];
	const char *state;

	fprintf(rec->f, "%s %s", op, iotguard_format_addr(id, text,
							   sizeof(text)));
	if (dev && (dev->present & IOTGUARD_DEV_NAME))
		put_word(rec->f, "name", dev->name);
	if (dev && (dev->present & IOTGUARD_DEV_STATE)) {
		state = iotguard_state_name(dev->state);
		fprintf(rec->f, " state=%s", state ? state : "?");
	}
	if (dev && (dev->present & IOTGUARD_DEV_CLASS))
		fprintf(rec->f, " class=%u", dev->class);
	if (dev && (dev->present & IOTGUARD_DEV_MAC))
		fprintf(rec->f, " mac=%s",
			iotguard_format_mac(dev->mac, mac, sizeof(mac)));
	if (dev && (dev->present & IOTGUARD_DEV_RATE_PPS))
		fprintf(rec->f, " rate_pps=%" PRIu32, dev->rate_pps);
	if (dev && (dev->present & IOTGUARD_DEV_BURST_PKTS))
		fprintf(rec->f, " burst_pkts=%" PRIu32, dev->burst_pkts);
	if (dev && (dev->present & IOTGUARD_DEV_RATE_BPS))
		fprintf(rec->f, " rate_bps=%" PRIu64, dev->rate_bps);
	if (dev && (dev->present & IOTGUARD_DEV_BURST_BYTES))
		fprintf(rec->f, " burst_bytes=%" PRIu32, dev->burst_bytes);
	if (dev && (dev->present & IOTGUARD_DEV_FLAGS))
		fprintf(rec->f, " flags=%" PRIu32, dev->flags);
	if (why) {
		put_word(rec->f, "key", why->key);
		fprintf(rec->f, " rev=%" PRIu64, why->rev);
		put_word(rec->f, "by", why->by && *why->by ? why->by : "-");
	}
	fputc('\n', rec->f);
	/* The tests read the file while the agent runs. */
	if (fflush(rec->f))
		return -errno;
	return 0;
}

static int rec_get(void *priv, const struct iotguard_addr *id,
		   struct iotguard_device *out)
{
	struct iotguard_device *d = find(priv, id);

	if (!d)
		return -ENOENT;
	*out = *d;
	return 0;
}

static int rec_add(void *priv, const struct iotguard_device *dev,
		   const struct sync_change *why)
{
	int ret = table_add(priv, dev);

	return ret ? ret : write_line(priv, "add", &dev->id, dev, why);
}

static int rec_set(void *priv, const struct iotguard_device *dev,
		   const struct sync_change *why)
{
	struct iotguard_device *d = find(priv, &dev->id);

	if (!d)
		return -ENOENT;
	merge(d, dev);
	return write_line(priv, "set", &dev->id, dev, why);
}

static int rec_del(void *priv, const struct iotguard_addr *id,
		   const struct sync_change *why)
{
	if (!find(priv, id))
		return -ENOENT;
	table_del(priv, id);
	return write_line(priv, "del", id, NULL, why);
}

static int rec_revoke(void *priv, const struct iotguard_addr *id,
		      const struct sync_change *why)
{
	if (!find(priv, id))
		return -ENOENT;
	return write_line(priv, "revoke", id, NULL, why);
}

static const char *rec_detail(void *priv)
{
	(void)priv;
	return "";
}

static void rec_close(void *priv)
{
	struct record *rec = priv;

	fclose(rec->f);
	free(rec->devs);
	free(rec);
}

/*
 * One line of the file, back into the table; a line it cannot read is
 * skipped (a test's comment).
 */
static void replay_line(struct record *rec, char *line)
{
	struct iotguard_device dev = { 0 };
	char *op, *ident, *word, *save;
	const char *why;
	uint64_t n;

	op = strtok_r(line, " \n", &save);
	ident = strtok_r(NULL, " \n", &save);
	if (!op || !ident || iotguard_parse_identity(ident, &dev.id, &why))
		return;
	while ((word = strtok_r(NULL, " \n", &save))) {
		char *value = strchr(word, '=');

		if (!value)
			continue;
		*value++ = 0;
		n = strtoull(value, NULL, 10);
		if (!strcmp(word, "name")) {
			snprintf(dev.name, sizeof(dev.name), "%s", value);
			dev.present |= IOTGUARD_DEV_NAME;
		} else if (!strcmp(word, "state") &&
			   !iotguard_parse_state(value, &dev.state, &why)) {
			dev.present |= IOTGUARD_DEV_STATE;
		} else if (!strcmp(word, "class")) {
			dev.class = n;
			dev.present |= IOTGUARD_DEV_CLASS;
		} else if (!strcmp(word, "mac") &&
			   !iotguard_parse_mac(value, dev.mac, &why)) {
			dev.present |= IOTGUARD_DEV_MAC;
		} else if (!strcmp(word, "rate_pps")) {
			dev.rate_pps = n;
			dev.present |= IOTGUARD_DEV_RATE_PPS;
		} else if (!strcmp(word, "burst_pkts")) {
			dev.burst_pkts = n;
			dev.present |= IOTGUARD_DEV_BURST_PKTS;
		} else if (!strcmp(word, "rate_bps")) {
			dev.rate_bps = n;
			dev.present |= IOTGUARD_DEV_RATE_BPS;
		} else if (!strcmp(word, "burst_bytes")) {
			dev.burst_bytes = n;
			dev.present |= IOTGUARD_DEV_BURST_BYTES;
		} else if (!strcmp(word, "flags")) {
			dev.flags = n;
			dev.present |= IOTGUARD_DEV_FLAGS;
		}
	}
	if (!strcmp(op, "add")) {
		table_add(rec, &dev);
	} else if (!strcmp(op, "set")) {
		struct iotguard_device *d = find(rec, &dev.id);

		if (d)
			merge(d, &dev);
	} else if (!strcmp(op, "del")) {
		table_del(rec, &dev.id);
	}
}

int sync_applier_record(struct sync_applier *applier, const char *path)
{
	struct record *rec;
	char line[1024];
	int ret;

	rec = calloc(1, sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	rec->f = fopen(path, "a+");
	if (!rec->f) {
		ret = -errno;
		free(rec);
		return ret;
	}
	rewind(rec->f);
	while (fgets(line, sizeof(line), rec->f))
		replay_line(rec, line);
	*applier = (struct sync_applier){
		.name = "the record",
		.get = rec_get,
		.add = rec_add,
		.set = rec_set,
		.del = rec_del,
		.revoke = rec_revoke,
		.detail = rec_detail,
		.close = rec_close,
		.priv = rec,
	};
	return 0;
}
