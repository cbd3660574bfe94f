// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard stats|unknown
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "cli.h"
#include "json.h"
#include "maps.h"
#include "parse.h"
#include "array.h"

static const struct option list_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void stats_usage(FILE *f)
{
	fprintf(f, "Usage: %s stats [ADDR] [-j|--json]\n\n", prog_name);
	fputs("Shows the XDP program's counters: frames and bytes by\n"
	      "the reason they passed or were dropped for, over all\n"
	      "guarded interfaces, then per enrolled device (or only\n"
	      "for the device ADDR).\n\n"
	      "Reasons: pass (enrolled, within its rate), unknown (not\n"
	      "enrolled), denied (state deny), spoofed (wrong source\n"
	      "MAC), rate (over its rate), parse (malformed headers),\n"
	      "non_ip (not IP, ARP or a link frame), neigh (ARP, NDP\n"
	      "and MLD that passed inspection), arp and ndp (failed it:\n"
	      "forged, or a router's message), neigh_rate (over the\n"
	      "port's neighbour budget), link (STP, LLDP, EAPOL, LLC:\n"
	      "pass by the port's policy), dhcp_server (a DHCP server\n"
	      "answering from the device side), contended (the rate\n"
	      "state lost to other CPUs); and for a device with a\n"
	      "credential, bad_tag (no valid trailer, or not UDP),\n"
	      "replay (a counter seen already), expired (its credential\n"
	      "or epoch) and revoked. In monitor mode frames are\n"
	      "counted under the reason they would be dropped for, and\n"
	      "pass.\n", f);
}

/* Parses [ADDR] [-j]; returns EXIT_OK, EXIT_USAGE, or -1 after --help. */
static int parse_list_args(const char *command, int argc, char *argv[],
			   void (*usage)(FILE *f), bool takes_addr,
			   const char **addr)
{
	int opt;

	*addr = NULL;
	optind = 0;
	while ((opt = next_option(command, argc, argv, "hj",
				  list_options)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return -1;
		}
		if (opt != 'j')
			return EXIT_USAGE;
		json_output = true;
	}
	if (takes_addr && optind < argc)
		*addr = argv[optind++];
	if (optind < argc)
		return usage_error(command, "unexpected argument `%s'",
				   argv[optind]);
	return EXIT_OK;
}

struct device_stats {
	struct iotguard_device dev;
	struct iotguard_dev_stats stats;
};

struct stats_list {
	struct device_stats *entries;
	size_t count, size;
	struct iotguard_maps *maps;
};

static int add_device_stats(const struct iotguard_device *dev, void *data)
{
	struct stats_list *list = data;
	struct device_stats *entry;
	int ret;

	if (iotguard_array_reserve((void **)&list->entries, &list->size,
				   list->count, sizeof(*list->entries)))
		return -ENOMEM;
	entry = &list->entries[list->count];
	entry->dev = *dev;
	ret = iotguard_maps_device(list->maps, dev->index, dev->cookie,
				   &entry->stats);
	if (ret)
		return ret;
	list->count++;
	return 0;
}

static void json_counter(struct iotguard_json *json, const char *key,
			 const struct iotguard_counter *counter)
{
	iotguard_json_key(json, key);
	iotguard_json_object_start(json);
	iotguard_json_kv_u64(json, "packets", counter->packets);
	iotguard_json_kv_u64(json, "bytes", counter->bytes);
	iotguard_json_object_end(json);
}

static void print_stats_json(const struct iotguard_counter *global,
			     const struct stats_list *list)
{
	char addr[IOTGUARD_ADDR_STRLEN], time[40];
	const struct iotguard_counter *c;
	struct iotguard_json json;
	unsigned int reason;
	const char *name;
	size_t i;

	iotguard_json_init(&json, stdout);
	iotguard_json_object_start(&json);
	iotguard_json_key(&json, "global");
	iotguard_json_object_start(&json);
	for (reason = 0; reason < IOTGUARD_R_MAX; reason++)
		json_counter(&json, iotguard_reason_name(reason),
			     &global[reason]);
	iotguard_json_object_end(&json);
	iotguard_json_key(&json, "devices");
	iotguard_json_array_start(&json);
	for (i = 0; i < list->count; i++) {
		const struct device_stats *entry = &list->entries[i];

		iotguard_json_object_start(&json);
		iotguard_json_kv_string(&json, "address",
					iotguard_format_addr(&entry->dev.id,
							     addr,
							     sizeof(addr)));
		iotguard_json_kv_string(&json, "name", entry->dev.name);
		iotguard_json_kv_u64(&json, "index", entry->dev.index);
		json_counter(&json, "pass", &entry->stats.pass);
		for (reason = 0; reason < IOTGUARD_DEV_DROPS; reason++) {
			c = iotguard_dev_drop(&entry->stats, reason, &name);
			json_counter(&json, name, c);
		}
		if (entry->stats.last_seen_ns)
			iotguard_json_kv_string(&json, "last_seen",
				format_time(iotguard_ktime_to_realtime_ns(
					entry->stats.last_seen_ns),
					time, sizeof(time)));
		else
			iotguard_json_kv_null(&json, "last_seen");
		iotguard_json_object_end(&json);
	}
	iotguard_json_array_end(&json);
	iotguard_json_object_end(&json);
}

static void print_stats_table(const struct iotguard_counter *global,
			      const struct stats_list *list)
{
	char addr[IOTGUARD_ADDR_STRLEN], time[40];
	char cells[2 + IOTGUARD_DEV_DROPS][24];
	const struct iotguard_counter *c;
	unsigned int reason;
	struct table table;
	const char *name;
	size_t i;

	table_init(&table, 3, 1U << 1 | 1U << 2);
	table_add(&table, "REASON", "PACKETS", "BYTES");
	for (reason = 0; reason < IOTGUARD_R_MAX; reason++) {
		snprintf(cells[0], sizeof(cells[0]), "%llu",
			 (unsigned long long)global[reason].packets);
		snprintf(cells[1], sizeof(cells[1]), "%llu",
			 (unsigned long long)global[reason].bytes);
		table_add(&table, iotguard_reason_name(reason), cells[0], cells[1]);
	}
	table_print(&table, stdout, "");
	table_free(&table);
	if (!list->count)
		return;

	putchar('\n');
	/* The drops in iotguard_dev_drop() order. */
	table_init(&table, 12, 0x7fcU);
	table_add(&table, "ADDRESS", "NAME", "PASS", "PASS-BYTES", "DENIED",
		  "SPOOFED", "RATE", "BAD-TAG", "REPLAY", "EXPIRED", "REVOKED",
		  "LAST-SEEN");
	for (i = 0; i < list->count; i++) {
		const struct device_stats *entry = &list->entries[i];
		const struct iotguard_dev_stats *stats = &entry->stats;

		snprintf(cells[0], sizeof(cells[0]), "%llu",
			 (unsigned long long)stats->pass.packets);
		snprintf(cells[1], sizeof(cells[1]), "%llu",
			 (unsigned long long)stats->pass.bytes);
		for (reason = 0; reason < IOTGUARD_DEV_DROPS; reason++) {
			c = iotguard_dev_drop(stats, reason, &name);
			snprintf(cells[2 + reason], sizeof(cells[0]), "%llu",
				 (unsigned long long)c->packets);
		}
		table_add(&table,
			  iotguard_format_addr(&entry->dev.id, addr,
					       sizeof(addr)),
			  *entry->dev.name ? entry->dev.name : "-",
			  cells[0], cells[1], cells[2], cells[3], cells[4],
			  cells[5], cells[6], cells[7], cells[8],
			  stats->last_seen_ns ?
			  format_time(iotguard_ktime_to_realtime_ns(
				  stats->last_seen_ns), time, sizeof(time)) :
			  "-");
	}
	table_print(&table, stdout, "");
	table_free(&table);
}

int stats_main(int argc, char *argv[])
{
	struct iotguard_counter global[IOTGUARD_R_MAX];
	struct stats_list list = { 0 };
	struct iotguard_nl *nl = NULL;
	struct iotguard_addr id;
	const char *why, *addr;
	int ret;

	ret = parse_list_args("stats", argc, argv, stats_usage, true, &addr);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (addr && iotguard_parse_identity(addr, &id, &why))
		return usage_error("stats", "invalid address `%s': %s", addr,
				   why);
	ret = iotguard_maps_open(&list.maps);
	if (ret) {
		ret = report_error(ret, iotguard_maps_error(),
				   "open the XDP program's maps");
		goto cleanup;
	}
	ret = iotguard_maps_global(list.maps, global);
	if (ret) {
		ret = report_error(ret, iotguard_maps_error(),
				   "read the global counters");
		goto cleanup;
	}
	ret = open_nl(&nl);
	if (ret)
		goto cleanup;
	if (addr) {
		struct iotguard_device dev;

		ret = iotguard_nl_device_get(nl, &id, &dev);
		if (!ret)
			ret = add_device_stats(&dev, &list);
	} else {
		ret = iotguard_nl_device_dump(nl, add_device_stats, &list);
	}
	if (ret) {
		ret = report_error(ret, *iotguard_maps_error() ?
				   iotguard_maps_error() :
				   iotguard_nl_extack(nl),
				   "read the device counters");
		goto cleanup;
	}
	if (json_output)
		print_stats_json(global, &list);
	else
		print_stats_table(global, &list);
	ret = EXIT_OK;

cleanup:
	iotguard_nl_close(nl);
	iotguard_maps_close(list.maps);
	free(list.entries);
	return ret;
}

static void unknown_usage(FILE *f)
{
	fprintf(f, "Usage: %s unknown [-j|--json]\n\n", prog_name);
	fprintf(f, "Shows the sources the XDP program saw that are not\n"
		"enrolled, the most recent first (it remembers the last\n"
		"%u): address, last source MAC, first and last seen\n"
		"(UTC) and frames counted. Each CPU adds at most %u new\n"
		"sources per clock tick; the frames of those it had no room\n"
		"for are counted as unrecorded.\n", IOTGUARD_UNKNOWN_MAX,
		IOTGUARD_UNKNOWN_NEW_PER_TICK);
}

struct unknown_entry {
	struct iotguard_unknown_key key;
	struct iotguard_unknown_val val;
};

struct unknown_list {
	struct unknown_entry *entries;
	size_t count, size;
	uint64_t unrecorded;	/* frames of sources left out */
};

static int add_unknown(const struct iotguard_unknown_key *key,
		       const struct iotguard_unknown_val *val, void *data)
{
	struct unknown_list *list = data;

	if (iotguard_array_reserve((void **)&list->entries, &list->size,
				   list->count, sizeof(*list->entries)))
		return -ENOMEM;
	list->entries[list->count].key = *key;
	list->entries[list->count].val = *val;
	list->count++;
	return 0;
}

static int by_last_seen(const void *a, const void *b)
{
	const struct unknown_entry *x = a, *y = b;

	if (x->val.last_ns != y->val.last_ns)
		return x->val.last_ns < y->val.last_ns ? 1 : -1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

static const char *unknown_addr(const struct iotguard_unknown_key *key,
				char *buf, size_t len)
{
	struct iotguard_addr addr = { .family = key->family };

	memcpy(addr.addr, key->addr, sizeof(addr.addr));
	return iotguard_format_addr(&addr, buf, len);
}

static void print_unknown(const struct unknown_list *list)
{
	char addr[IOTGUARD_ADDR_STRLEN], mac[IOTGUARD_MAC_STRLEN];
	char first[40], last[40], packets[24];
	struct iotguard_json json;
	struct table table;
	size_t i;

	if (json_output) {
		iotguard_json_init(&json, stdout);
		iotguard_json_object_start(&json);
		iotguard_json_key(&json, "unknown");
		iotguard_json_array_start(&json);
	} else {
		table_init(&table, 5, 1U << 4);
		table_add(&table, "ADDRESS", "MAC", "FIRST-SEEN", "LAST-SEEN",
			  "PACKETS");
	}
	for (i = 0; i < list->count; i++) {
		const struct unknown_entry *entry = &list->entries[i];

		unknown_addr(&entry->key, addr, sizeof(addr));
		iotguard_format_mac(entry->val.mac, mac, sizeof(mac));
		format_time(iotguard_ktime_to_realtime_ns(entry->val.first_ns),
			    first, sizeof(first));
		format_time(iotguard_ktime_to_realtime_ns(entry->val.last_ns),
			    last, sizeof(last));
		if (!json_output) {
			snprintf(packets, sizeof(packets), "%llu",
				 (unsigned long long)entry->val.packets);
			table_add(&table, addr, mac, first, last, packets);
			continue;
		}
		iotguard_json_object_start(&json);
		iotguard_json_kv_string(&json, "address", addr);
		iotguard_json_kv_string(&json, "family",
					entry->key.family == AF_INET ? "inet" :
					entry->key.family == AF_INET6 ?
					"inet6" : "mac");
		iotguard_json_kv_string(&json, "mac", mac);
		iotguard_json_kv_string(&json, "first_seen", first);
		iotguard_json_kv_string(&json, "last_seen", last);
		iotguard_json_kv_u64(&json, "packets", entry->val.packets);
		iotguard_json_object_end(&json);
	}
	if (json_output) {
		iotguard_json_array_end(&json);
		iotguard_json_kv_u64(&json, "unrecorded_packets",
				     list->unrecorded);
		iotguard_json_object_end(&json);
	} else {
		table_print(&table, stdout, "");
		table_free(&table);
		if (list->unrecorded)
			printf("%llu packets from sources not recorded "
			       "(more new sources than it records)\n",
			       (unsigned long long)list->unrecorded);
	}
}

int unknown_main(int argc, char *argv[])
{
	struct unknown_list list = { 0 };
	struct iotguard_maps *maps = NULL;
	const char *addr;
	int ret;

	ret = parse_list_args("unknown", argc, argv, unknown_usage, false,
			      &addr);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = iotguard_maps_open(&maps);
	if (ret) {
		ret = report_error(ret, iotguard_maps_error(),
				   "open the XDP program's maps");
		goto cleanup;
	}
	ret = iotguard_maps_unknown(maps, add_unknown, &list);
	if (!ret)
		ret = iotguard_maps_unknown_unrecorded(maps, &list.unrecorded);
	if (ret) {
		ret = report_error(ret, iotguard_maps_error(),
				   "read the unknown sources");
		goto cleanup;
	}
	qsort(list.entries, list.count, sizeof(*list.entries), by_last_seen);
	print_unknown(&list);
	ret = EXIT_OK;

cleanup:
	iotguard_maps_close(maps);
	free(list.entries);
	return ret;
}
