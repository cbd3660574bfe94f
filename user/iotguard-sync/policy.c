// SPDX-License-Identifier: GPL-2.0
/*
 * The bucket as the agent reads it: keys, values, and the rules that turn
 * a key's newest revision into a change of the local device table
 * (Documentation/fleet.rst, "Who wins").
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "array.h"
#include "sync.h"

const char *const sync_kind_names[SYNC_KEY_KINDS] = {
	[SYNC_KEY_DEVICE] = "street",
	[SYNC_KEY_DENY] = "deny",
	[SYNC_KEY_REVOKE] = "revoke",
	[SYNC_KEY_QUARANTINE] = "quarantine",
};

int sync_check_router(const char *name, const char **why)
{
	size_t n = strlen(name);

	if (!n || n >= SYNC_ROUTER_LEN) {
		*why = "a router's name is 1 to 31 characters";
		return -EINVAL;
	}
	if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != n) {
		*why = "a router's name takes letters, digits, '_' and '-'";
		return -EINVAL;
	}
	return 0;
}

int sync_identity_token(const struct iotguard_addr *id, char *buf,
			size_t len)
{
	char text[IOTGUARD_ADDR_STRLEN];
	char *c;

	iotguard_format_addr(id, text, sizeof(text));
	if (!strcmp(text, "?") || strlen(text) >= len)
		return -EINVAL;
	for (c = text; *c; c++) {
		if (*c == '.' || *c == ':')
			*c = '-';
		else if (*c == '/')
			*c = '_';
	}
	strcpy(buf, text);
	return 0;
}

/* Copies the rest of key after prefix as a token, if it is one token. */
static bool take_token(const char *key, const char *prefix, char *token)
{
	size_t n = strlen(prefix);

	if (strncmp(key, prefix, n) || !key[n] || strchr(key + n, '.') ||
	    strlen(key + n) >= SYNC_KEY_LEN)
		return false;
	strcpy(token, key + n);
	return true;
}

enum sync_key_kind sync_key_parse(const char *key, const char *router,
				  char *token)
{
	char street[SYNC_KEY_LEN];

	snprintf(street, sizeof(street), "street.%s.dev.", router);
	if (take_token(key, street, token))
		return SYNC_KEY_DEVICE;
	if (take_token(key, "city.deny.", token))
		return SYNC_KEY_DENY;
	if (take_token(key, "city.revoke.", token))
		return SYNC_KEY_REVOKE;
	if (take_token(key, "city.quarantine.", token))
		return SYNC_KEY_QUARANTINE;
	return SYNC_KEY_OTHER;
}

/* The member name of obj as a string, or NULL when absent. */
static int get_string(struct json_object *obj, const char *name,
		      const char **out, const char **why)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(obj, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		*why = "a member that should be a string is not";
		return -EINVAL;
	}
	*out = json_object_get_string(v);
	return 0;
}

/* A whole number from 0 to max, if present: sets bit in *present. */
static int get_number(struct json_object *obj, const char *name,
		      uint64_t max, uint64_t *out, uint32_t *present,
		      uint32_t bit, const char **why)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(obj, name, &v))
		return 0;
	/* json-c saturates what does not fit: bounded below anyway. */
	errno = 0;
	n = json_object_get_int64(v);
	if (!json_object_is_type(v, json_type_int) || errno || n < 0 ||
	    (uint64_t)n > max) {
		*why = "a rate or burst is not a whole number in range";
		return -EINVAL;
	}
	*out = n;
	*present |= bit;
	return 0;
}

/* The members naming a device's text fields; each parsed as the CLI's. */
static int device_text(struct json_object *obj, struct iotguard_device *dev,
		       const char **why)
{
	const char *name, *state, *class, *mac;
	int ret;

	ret = get_string(obj, "name", &name, why);
	if (!ret)
		ret = get_string(obj, "state", &state, why);
	if (!ret)
		ret = get_string(obj, "class", &class, why);
	if (!ret)
		ret = get_string(obj, "mac", &mac, why);
	if (ret)
		return ret;
	if (name) {
		if (strlen(name) >= sizeof(dev->name)) {
			*why = "the name is too long";
			return -EINVAL;
		}
		strcpy(dev->name, name);
		dev->present |= IOTGUARD_DEV_NAME;
	}
	if (state) {
		ret = iotguard_parse_state(state, &dev->state, why);
		if (ret)
			return ret;
		dev->present |= IOTGUARD_DEV_STATE;
	}
	if (class) {
		ret = iotguard_parse_class(class, &dev->class, why);
		if (ret)
			return ret;
		dev->present |= IOTGUARD_DEV_CLASS;
	}
	if (mac) {
		ret = iotguard_parse_mac(mac, dev->mac, why);
		if (ret)
			return ret;
		dev->present |= IOTGUARD_DEV_MAC;
	}
	return 0;
}

static int parse_device(struct json_object *obj, struct sync_value *out,
			const char **why)
{
	struct iotguard_device *dev = &out->dev;
	uint64_t pps = 0, pkts = 0, bps = 0, bytes = 0;
	int ret;

	ret = device_text(obj, dev, why);
	if (!ret)
		ret = get_number(obj, "rate_pps", UINT32_MAX, &pps,
				 &dev->present, IOTGUARD_DEV_RATE_PPS, why);
	if (!ret)
		ret = get_number(obj, "burst_pkts", UINT32_MAX, &pkts,
				 &dev->present, IOTGUARD_DEV_BURST_PKTS, why);
	if (!ret)
		ret = get_number(obj, "rate_bps", INT64_MAX, &bps,
				 &dev->present, IOTGUARD_DEV_RATE_BPS, why);
	if (!ret)
		ret = get_number(obj, "burst_bytes", UINT32_MAX, &bytes,
				 &dev->present, IOTGUARD_DEV_BURST_BYTES, why);
	dev->rate_pps = pps;
	dev->burst_pkts = pkts;
	dev->rate_bps = bps;
	dev->burst_bytes = bytes;
	return ret;
}

/*
 * json, len as one JSON object in *obj, which the caller puts; 0, or
 * -errno with *why (and *obj NULL).
 */
static int parse_object(const char *json, size_t len,
			struct json_object **obj, const char **why)
{
	struct json_tokener *tok;
	int ret = -EINVAL;

	*obj = NULL;
	if (len > INT32_MAX) {
		*why = "too long";
		return -EINVAL;
	}
	tok = json_tokener_new();
	if (!tok) {
		*why = "out of memory";
		return -ENOMEM;
	}
	*obj = json_tokener_parse_ex(tok, json, (int)len);
	if (!*obj || json_tokener_get_parse_end(tok) != len)
		*why = "not one JSON value";
	else if (!json_object_is_type(*obj, json_type_object))
		*why = "not a JSON object";
	else
		ret = 0;
	json_tokener_free(tok);
	if (ret) {
		json_object_put(*obj);
		*obj = NULL;
	}
	return ret;
}

int sync_value_parse(enum sync_key_kind kind, const char *json, size_t len,
		     struct sync_value *out, const char **why)
{
	struct json_object *obj = NULL, *v;
	const char *s;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = parse_object(json, len, &obj, why);
	if (ret)
		goto cleanup;
	ret = get_string(obj, "id", &s, why);
	if (ret)
		goto cleanup;
	if (!s) {
		*why = "no \"id\"";
		ret = -EINVAL;
		goto cleanup;
	}
	ret = iotguard_parse_identity(s, &out->dev.id, why);
	if (ret)
		goto cleanup;
	ret = get_string(obj, "by", &s, why);
	if (ret)
		goto cleanup;
	if (s)
		snprintf(out->by, sizeof(out->by), "%s", s);
	ret = get_string(obj, "reason", &s, why);
	if (ret)
		goto cleanup;
	if (s)
		snprintf(out->reason, sizeof(out->reason), "%s", s);
	if (json_object_object_get_ex(obj, "pin", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			*why = "\"pin\" is not true or false";
			ret = -EINVAL;
			goto cleanup;
		}
		out->pin = json_object_get_boolean(v);
	}
	ret = kind == SYNC_KEY_DEVICE ? parse_device(obj, out, why) : 0;
cleanup:
	json_object_put(obj);
	return ret;
}

/*
 * Who made a delete: its marker's body, {"by": WHO}, if it has one
 * (iotguard-city and the gate write it; a bare kvStore_Delete does not).
 */
static void delete_by(const char *value, size_t len, char *by, size_t size)
{
	struct json_object *obj;
	const char *why, *s = NULL;

	by[0] = 0;
	if (!len || parse_object(value, len, &obj, &why))
		return;
	if (!get_string(obj, "by", &s, &why) && s)
		snprintf(by, size, "%s", s);
	json_object_put(obj);
}

/*
 * What the agent knows of one identity: the newest revision of each of
 * its four keys (kept after a delete, so that an older put cannot come
 * back), the street's wanted device, the city lists' verdicts, and what it
 * did to the local table.
 */
struct sync_dev {
	struct iotguard_addr id;
	char token[SYNC_KEY_LEN];
	uint64_t rev[SYNC_KEY_KINDS];	/* by enum sync_key_kind */
	bool known[SYNC_KEY_KINDS];	/* that revision's value is in memory */
	bool street, deny, revoke, quarantine;
	struct sync_value want;	/* the street's value, when street */
	char by[SYNC_BY_LEN];	/* who made the last change */
	bool ours;		/* the agent enrolled it: it may delete it */
	bool pinned_by_us;	/* its pin came from the street's value */
	uint64_t revoked;	/* the revoke revision already applied */
};

struct sync_table {
	char router[SYNC_ROUTER_LEN];
	const struct sync_applier *applier;
	struct sync_dev *devs;	/* only ever appended to */
	size_t count, size;
	/* By token: open addressing, each slot a devs index + 1, or 0. */
	size_t *slots;
	size_t nslots;	/* a power of two, at least twice count */
	struct sync_counters counters;
};

int sync_table_new(struct sync_table **tablep, const char *router,
		   const struct sync_applier *applier)
{
	struct sync_table *table;

	table = calloc(1, sizeof(*table));
	if (!table)
		return -ENOMEM;
	snprintf(table->router, sizeof(table->router), "%s", router);
	table->applier = applier;
	*tablep = table;
	return 0;
}

void sync_table_free(struct sync_table *table)
{
	if (!table)
		return;
	free(table->slots);
	free(table->devs);
	free(table);
}

size_t sync_table_memory(const struct sync_table *t, size_t *count)
{
	*count = t->count;
	return sizeof(*t) + t->size * sizeof(t->devs[0]) +
	       t->nslots * sizeof(t->slots[0]);
}

const struct sync_counters *sync_table_counters(const struct sync_table *t)
{
	return &t->counters;
}

/* FNV-1a: tokens are short, and come from the city's own keys. */
static size_t token_hash(const char *token)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *token; token++)
		h = (h ^ (unsigned char)*token) * 0x100000001b3ULL;
	return (size_t)h;
}

/* The slot of token: its device's, or the empty one where it would go. */
static size_t *find_slot(const struct sync_table *table, const char *token)
{
	size_t mask = table->nslots - 1, i = token_hash(token) & mask;

	while (table->slots[i] &&
	       strcmp(table->devs[table->slots[i] - 1].token, token))
		i = (i + 1) & mask;
	return &table->slots[i];
}

/* Twice as many slots, the devices put in again. */
static int grow_slots(struct sync_table *table)
{
	size_t nslots = table->nslots ? table->nslots * 2 : 64, i, *slot;
	size_t *old = table->slots;

	table->slots = calloc(nslots, sizeof(*table->slots));
	if (!table->slots) {
		table->slots = old;
		return -ENOMEM;
	}
	free(old);
	table->nslots = nslots;
	for (i = 0; i < table->count; i++) {
		slot = find_slot(table, table->devs[i].token);
		*slot = i + 1;
	}
	return 0;
}

/*
 * By token, through a hash: a city's deny list and a street's devices
 * may be thousands, each entry of a watcher looks one up.
 */
static struct sync_dev *find_dev(struct sync_table *table, const char *token,
				 bool create)
{
	struct sync_dev *dev;
	size_t *slot;

	if (table->nslots) {
		slot = find_slot(table, token);
		if (*slot)
			return &table->devs[*slot - 1];
	}
	if (!create)
		return NULL;
	if ((table->count + 1) * 2 > table->nslots && grow_slots(table))
		return NULL;
	if (iotguard_array_reserve((void **)&table->devs, &table->size,
				   table->count, sizeof(*table->devs)))
		return NULL;
	dev = &table->devs[table->count];
	memset(dev, 0, sizeof(*dev));
	strcpy(dev->token, token);
	*find_slot(table, token) = ++table->count;
	return dev;
}

/* allow < quarantine < deny: how much a state holds a device back. */
static int strictness(unsigned int state)
{
	switch (state) {
	case IOTGUARD_STATE_DENY:
		return 2;
	case IOTGUARD_STATE_QUARANTINE:
		return 1;
	default:
		return 0;
	}
}

static void note(FILE *log, const char *fmt, const char *token,
		 const char *key, uint64_t rev)
{
	if (log)
		fprintf(log, fmt, token, key, rev);
}

/*
 * Makes the local table hold what the four keys of dev want, given what
 * it holds now; a device the router's operator pinned is only made
 * stricter, never relaxed, changed otherwise nor deleted.
 */
static int reconcile(struct sync_table *table, struct sync_dev *dev,
		     const struct sync_change *why, FILE *log)
{
	const struct sync_applier *ap = table->applier;
	struct iotguard_device want = { .id = dev->id }, local;
	bool have_want = true, exists, local_pin;
	int ret;

	if (dev->street) {
		want = dev->want.dev;
		want.id = dev->id;
		want.present |= IOTGUARD_DEV_FLAGS;
		want.flags = dev->want.pin ? IOTGUARD_DEVICE_F_PINNED : 0;
	} else if (dev->deny) {
		/* Enrolled as denied: its drops are counted as the city's. */
		snprintf(want.name, sizeof(want.name), "city-deny");
		want.present = IOTGUARD_DEV_NAME;
	} else if (dev->quarantine) {
		snprintf(want.name, sizeof(want.name), "city-quarantine");
		want.present = IOTGUARD_DEV_NAME;
	} else {
		have_want = false;
	}
	if (have_want && (dev->deny || dev->revoke)) {
		want.state = IOTGUARD_STATE_DENY;
		want.present |= IOTGUARD_DEV_STATE;
	} else if (have_want && dev->quarantine &&
		   (!(want.present & IOTGUARD_DEV_STATE) ||
		    strictness(want.state) <
		    strictness(IOTGUARD_STATE_QUARANTINE))) {
		/* The city holds it back; a street's deny stays a deny. */
		want.state = IOTGUARD_STATE_QUARANTINE;
		want.present |= IOTGUARD_DEV_STATE;
	}

	ret = ap->get(ap->priv, &dev->id, &local);
	if (ret && ret != -ENOENT)
		return ret;
	exists = !ret;
	local_pin = exists && (local.flags & IOTGUARD_DEVICE_F_PINNED) &&
		    !dev->pinned_by_us;

	if (!have_want) {
		if (!exists || !dev->ours)
			return 0;
		if (local_pin) {
			table->counters.kept_pin++;
			note(log, "%s: pinned locally, kept (%s rev %" PRIu64
			     ")\n", dev->token, why->key, why->rev);
			return 0;
		}
		ret = ap->del(ap->priv, &dev->id, why);
		if (!ret || ret == -ENOENT)
			dev->ours = false;
		return ret == -ENOENT ? 0 : ret;
	}

	if (!exists) {
		/* A new device's pin and AUTO flags: NEW takes no AUTO. */
		ret = ap->add(ap->priv, &want, why);
		if (ret)
			return ret;
		dev->ours = true;
		dev->pinned_by_us = dev->street && dev->want.pin;
	} else if (local_pin) {
		struct iotguard_device stricter = {
			.id = dev->id,
			.present = IOTGUARD_DEV_STATE | IOTGUARD_DEV_FLAGS,
			.flags = local.flags & ~IOTGUARD_DEVICE_F_AUTO,
		};

		if (!(want.present & IOTGUARD_DEV_STATE) ||
		    strictness(want.state) <= strictness(local.state)) {
			table->counters.kept_pin++;
			note(log, "%s: pinned locally, kept (%s rev %" PRIu64
			     ")\n", dev->token, why->key, why->rev);
			goto revoke;
		}
		stricter.state = want.state;
		ret = ap->set(ap->priv, &stricter, why);
		if (ret)
			return ret;
	} else {
		ret = ap->set(ap->priv, &want, why);
		if (ret)
			return ret;
		dev->pinned_by_us = dev->street && dev->want.pin;
	}
revoke:
	if (dev->revoke && dev->revoked != dev->rev[SYNC_KEY_REVOKE]) {
		ret = ap->revoke(ap->priv, &dev->id, why);
		/* A device without a credential has nothing to revoke. */
		if (ret && ret != -EINVAL && ret != -ENOENT)
			return ret;
		dev->revoked = dev->rev[SYNC_KEY_REVOKE];
	}
	return 0;
}

/* The agent enrolled dev, and the table does not hold it. */
static bool table_lost(struct sync_table *table, const struct sync_dev *dev)
{
	const struct sync_applier *ap = table->applier;
	struct iotguard_device local;

	return ap->get(ap->priv, &dev->id, &local) == -ENOENT;
}

/* What the state file said of dev, but for the values given already. */
static void forget(struct sync_dev *dev)
{
	int kind;

	for (kind = 0; kind < SYNC_KEY_KINDS; kind++)
		if (!dev->known[kind])
			dev->rev[kind] = 0;
	dev->ours = false;
	dev->pinned_by_us = false;
	dev->revoked = 0;
}

int sync_table_entry(struct sync_table *table, const char *key,
		     uint64_t rev, enum sync_op op, const char *value,
		     size_t len, FILE *log)
{
	char token[SYNC_KEY_LEN], check[SYNC_KEY_LEN];
	struct sync_change why = { .key = key, .rev = rev };
	enum sync_key_kind kind;
	struct sync_value parsed;
	const char *reason;
	struct sync_dev *dev;
	bool learn;
	int ret;

	kind = sync_key_parse(key, table->router, token);
	if (kind == SYNC_KEY_OTHER) {
		table->counters.ignored++;
		if (log)
			fprintf(log, "%s: not this router's, ignored\n", key);
		return 0;
	}
	if (op == SYNC_OP_PUT) {
		reason = NULL;
		/* A value for another identity than its key's is refused. */
		if (!sync_value_parse(kind, value, len, &parsed, &reason) &&
		    (sync_identity_token(&parsed.dev.id, check,
					 sizeof(check)) ||
		     strcmp(check, token)))
			reason = "the value's id is not the key's";
		if (reason) {
			table->counters.ignored++;
			if (log)
				fprintf(log, "%s rev %" PRIu64
					": ignored: %s\n", key, rev, reason);
			return 0;
		}
	}
	dev = find_dev(table, token, op == SYNC_OP_PUT);
	if (!dev) {
		if (op == SYNC_OP_PUT)
			return -ENOMEM;
		/* Deleting what the agent never saw: nothing to undo. */
		table->counters.applied++;
		return 0;
	}
	/*
	 * The stream's sequence orders every change of the bucket: a
	 * revision not above the key's last is one the agent has applied
	 * or superseded (a watcher started again after the store came
	 * back gives each key's newest anew). Applying it again would
	 * flap; applying an older one would undo a newer.
	 */
	if (rev < dev->rev[kind] ||
	    (rev == dev->rev[kind] && dev->known[kind])) {
		table->counters.stale++;
		return 0;
	}
	/*
	 * The revision the agent applied before it restarted (its state
	 * file), given again: its value is learnt, not applied again.
	 */
	learn = rev == dev->rev[kind];
	if (learn && dev->ours && table_lost(table, dev)) {
		/*
		 * The table lost what the agent enrolled (the module was
		 * reloaded, the router rebooted): nothing it remembers of
		 * the device holds, and each of its keys' values is
		 * applied again as it comes.
		 */
		forget(dev);
		learn = false;
		if (log)
			fprintf(log, "%s: not in the table any more: applied "
				"again\n", dev->token);
	}
	dev->rev[kind] = rev;
	dev->known[kind] = true;
	if (op == SYNC_OP_PUT) {
		dev->id = parsed.dev.id;
		snprintf(dev->by, sizeof(dev->by), "%s", parsed.by);
	} else {
		delete_by(value, len, dev->by, sizeof(dev->by));
	}
	why.by = dev->by;
	switch (kind) {
	case SYNC_KEY_DEVICE:
		dev->street = op == SYNC_OP_PUT;
		if (dev->street)
			dev->want = parsed;
		break;
	case SYNC_KEY_DENY:
		dev->deny = op == SYNC_OP_PUT;
		break;
	case SYNC_KEY_REVOKE:
		dev->revoke = op == SYNC_OP_PUT;
		break;
	case SYNC_KEY_QUARANTINE:
		dev->quarantine = op == SYNC_OP_PUT;
		break;
	default:
		break;
	}
	if (learn) {
		table->counters.stale++;
		return 0;
	}
	table->counters.applied++;
	ret = reconcile(table, dev, &why, log);
	if (ret) {
		table->counters.failed++;
		if (log)
			fprintf(log, "%s rev %" PRIu64 ": %s refused: %s\n",
				key, rev, table->applier->name, strerror(-ret));
	}
	return ret;
}

/*
 * The state file: per identity, a line of its token, its identity, the
 * revisions of its four keys, and what the agent did (enrolled it, set
 * its pin, revoked it at that revision). Not the values: each watcher
 * gives them again when it starts, and they are learnt then. Version 1,
 * before the city's quarantine list, is read too.
 */
#define STATE_HEADER "# iotguard-sync state 2: token id rev-street " \
	"rev-deny rev-revoke rev-quarantine ours pinned-by-us revoked\n"
#define STATE_HEADER_1 "# iotguard-sync state 1: token id rev-street " \
	"rev-deny rev-revoke ours pinned-by-us revoked\n"

int sync_table_save(const struct sync_table *table, const char *path)
{
	char tmp[PATH_MAX], id[IOTGUARD_ADDR_STRLEN];
	const struct sync_dev *dev;
	FILE *f = NULL;
	size_t i;
	int ret;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fputs(STATE_HEADER, f);
	for (i = 0; i < table->count; i++) {
		dev = &table->devs[i];
		fprintf(f, "%s %s %" PRIu64 " %" PRIu64 " %" PRIu64
			" %" PRIu64 " %d %d %" PRIu64 "\n", dev->token,
			iotguard_format_addr(&dev->id, id, sizeof(id)),
			dev->rev[SYNC_KEY_DEVICE], dev->rev[SYNC_KEY_DENY],
			dev->rev[SYNC_KEY_REVOKE],
			dev->rev[SYNC_KEY_QUARANTINE], dev->ours,
			dev->pinned_by_us, dev->revoked);
	}
	/* Whole or not at all: a crash leaves the last one. */
	ret = fflush(f) || fsync(fileno(f)) ? -errno : 0;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int sync_table_load(struct sync_table *table, const char *path)
{
	char line[512], token[SYNC_KEY_LEN], id[IOTGUARD_ADDR_STRLEN];
	uint64_t rev[SYNC_KEY_KINDS] = { 0 }, revoked;
	struct sync_dev *dev;
	int ours, pinned, ret = 0;
	const char *why;
	bool v1;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	if (!fgets(line, sizeof(line), f) ||
	    (strcmp(line, STATE_HEADER) && strcmp(line, STATE_HEADER_1))) {
		ret = -EINVAL;
		goto cleanup;
	}
	v1 = !strcmp(line, STATE_HEADER_1);
	while (fgets(line, sizeof(line), f)) {
		/* Widths: SYNC_KEY_LEN and IOTGUARD_ADDR_STRLEN, less 1. */
		if (v1 ? sscanf(line, "%127s %49s %" SCNu64 " %" SCNu64 " %"
				SCNu64 " %d %d %" SCNu64, token, id, &rev[0],
				&rev[1], &rev[2], &ours, &pinned,
				&revoked) != 8 :
		    sscanf(line, "%127s %49s %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64 " %d %d %" SCNu64, token, id, &rev[0],
			   &rev[1], &rev[2], &rev[3], &ours, &pinned,
			   &revoked) != 9) {
			ret = -EINVAL;
			goto cleanup;
		}
		dev = find_dev(table, token, true);
		if (!dev) {
			ret = -ENOMEM;
			goto cleanup;
		}
		if (iotguard_parse_identity(id, &dev->id, &why)) {
			ret = -EINVAL;
			goto cleanup;
		}
		memcpy(dev->rev, rev, sizeof(dev->rev));
		dev->ours = ours;
		dev->pinned_by_us = pinned;
		dev->revoked = revoked;
	}
cleanup:
	fclose(f);
	return ret;
}
