// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard attach|detach|status
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "json.h"
#include "maps.h"
#include "parse.h"
#include "pins.h"

static const struct option help_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void attach_usage(FILE *f)
{
	fprintf(f, "Usage: %s attach IFACE [--monitor] "
		"[--mode native|generic]\n"
		"         [--link-frames pass|drop] [--neigh-rate RATE] "
		"[--neigh-burst N]\n\n", prog_name);
	fputs("Attaches the XDP program to IFACE, the interface the\n"
	      "devices send through. The program and its counters stay\n"
	      "when this tool exits; the maps are shared by all guarded\n"
	      "interfaces. Attaching an interface again replaces its\n"
	      "program without a gap (to leave monitor mode, or change\n"
	      "the port's policy).\n\n"
	      "Options:\n"
	      "  --monitor            count what would be dropped, drop\n"
	      "                       nothing\n"
	      "  --mode MODE          native (default: in the driver) or\n"
	      "                       generic (any interface, slower)\n"
	      "  --link-frames POL    pass (default) or drop STP, LLDP,\n"
	      "                       EAPOL and LLC frames\n"
	      "  --neigh-rate RATE    the port's budget for ARP and NDP of\n"
	      "                       senders no device accounts for (probes,\n"
	      "                       DAD, link-local), e.g. 100/s (the\n"
	      "                       default); 0: no limit\n"
	      "  --neigh-burst N      of those, back to back (default 200)\n",
	      f);
}

int attach_main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "monitor", no_argument, NULL, 'm' },
		{ "mode", required_argument, NULL, 'M' },
		{ "link-frames", required_argument, NULL, 'L' },
		{ "neigh-rate", required_argument, NULL, 'r' },
		{ "neigh-burst", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	enum iotguard_xdp_mode mode = IOTGUARD_XDP_NATIVE;
	struct iotguard_port_policy policy;
	const char *why;
	uint64_t value;
	int opt, ret;

	iotguard_port_policy_init(&policy);

	optind = 0;
	while ((opt = next_option("attach", argc, argv, "h", options)) != -1) {
		switch (opt) {
		case 'h':
			attach_usage(stdout);
			return EXIT_OK;
		case 'm':
			policy.monitor = true;
			break;
		case 'L':
			if (!strcmp(optarg, "pass"))
				policy.link_frames = true;
			else if (!strcmp(optarg, "drop"))
				policy.link_frames = false;
			else
				return usage_error("attach",
						   "invalid link frame policy `%s': expected pass or drop",
						   optarg);
			break;
		case 'r':
			if (iotguard_parse_rate(optarg, UINT32_MAX, &value,
						&why))
				return usage_error("attach",
						   "invalid neighbour rate `%s': %s",
						   optarg, why);
			policy.neigh_pps = value;
			break;
		case 'b':
			if (iotguard_parse_count(optarg, UINT32_MAX, &value,
						 &why))
				return usage_error("attach",
						   "invalid neighbour burst `%s': %s",
						   optarg, why);
			if (!value)
				return usage_error("attach",
						   "invalid neighbour burst `0': must be at least 1");
			policy.neigh_burst = value;
			break;
		case 'M':
			if (!strcmp(optarg, "native"))
				mode = IOTGUARD_XDP_NATIVE;
			else if (!strcmp(optarg, "generic"))
				mode = IOTGUARD_XDP_GENERIC;
			else
				return usage_error("attach",
						   "invalid mode `%s': expected native or generic",
						   optarg);
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("attach", "missing the interface");
	if (optind + 1 < argc)
		return usage_error("attach", "unexpected argument `%s'",
				   argv[optind + 1]);
	ret = iotguard_attach(argv[optind], &policy, mode);
	if (ret)
		return report_error(ret, iotguard_maps_error(),
				    "attach to %s", argv[optind]);
	return EXIT_OK;
}

static void detach_usage(FILE *f)
{
	fprintf(f, "Usage: %s detach IFACE\n\n", prog_name);
	fputs("Detaches the XDP program from IFACE: its traffic is no longer\n"
	      "checked. IFACE is the name it had when attached (see status).\n",
	      f);
}

int detach_main(int argc, char *argv[])
{
	int opt, ret;

	optind = 0;
	while ((opt = next_option("detach", argc, argv, "h",
				  help_options)) != -1) {
		if (opt != 'h')
			return EXIT_USAGE;
		detach_usage(stdout);
		return EXIT_OK;
	}
	if (optind >= argc)
		return usage_error("detach", "missing the interface");
	if (optind + 1 < argc)
		return usage_error("detach", "unexpected argument `%s'",
				   argv[optind + 1]);
	ret = iotguard_detach(argv[optind]);
	if (ret)
		return report_error(ret, iotguard_maps_error(),
				    "detach from %s", argv[optind]);
	return EXIT_OK;
}

static void status_usage(FILE *f)
{
	fprintf(f, "Usage: %s status [-j|--json]\n\n", prog_name);
	fputs("Shows whether the module is loaded, how many devices it\n"
	      "holds, and the interfaces the XDP program is attached to,\n"
	      "by the name they had when attached: renamed or deleted\n"
	      "interfaces are marked. All of this network namespace, whose\n"
	      "pin directory (its maps and links) it names.\n\n"
	      "Exits 4 when nothing is guarded: the module is not loaded,\n"
	      "or no interface is attached.\n", f);
}

struct module_status {
	bool loaded;
	bool counted;		/* devices is known */
	unsigned int max_devices;
	unsigned int devices;
};

static int count_cb(const struct iotguard_device *dev, void *data)
{
	(void)dev;
	++*(unsigned int *)data;
	return 0;
}

/* What the module says; not being loaded is a state, not an error. */
static void get_module_status(struct module_status *module)
{
	struct iotguard_nl *nl = NULL;
	FILE *f;

	memset(module, 0, sizeof(*module));
	module->loaded = !access("/sys/module/iotguard", F_OK);
	f = fopen(IOTGUARD_MAX_DEVICES_PARAM, "r");
	if (f) {
		if (fscanf(f, "%u", &module->max_devices) != 1)
			module->max_devices = 0;
		fclose(f);
	}
	if (!module->loaded || iotguard_nl_open(&nl))
		return;
	module->counted = !iotguard_nl_device_dump(nl, count_cb,
						   &module->devices);
	iotguard_nl_close(nl);
}

static const char *link_state(const struct iotguard_link_status *status)
{
	if (status->gone)
		return "gone";
	return status->renamed ? "renamed" : "attached";
}

static int status_json_cb(const struct iotguard_link_status *status,
			  void *data)
{
	struct iotguard_json *json = data;

	iotguard_json_object_start(json);
	iotguard_json_kv_string(json, "interface", status->pin_name);
	iotguard_json_kv_string(json, "state", link_state(status));
	if (status->gone)
		iotguard_json_kv_null(json, "ifname");
	else
		iotguard_json_kv_string(json, "ifname", status->ifname);
	iotguard_json_kv_u64(json, "ifindex", status->ifindex);
	iotguard_json_kv_u64(json, "link_id", status->link_id);
	iotguard_json_kv_u64(json, "prog_id", status->prog_id);
	if (status->mode_known)
		iotguard_json_kv_string(json, "mode",
					iotguard_xdp_mode_name(status->mode));
	else
		iotguard_json_kv_null(json, "mode");
	if (status->monitor >= 0)
		iotguard_json_kv_bool(json, "monitor", status->monitor);
	else
		iotguard_json_kv_null(json, "monitor");
	iotguard_json_object_end(json);
	return 0;
}

static int count_attached_cb(const struct iotguard_link_status *status,
			     void *data)
{
	unsigned int *attached = data;

	if (!status->gone)
		(*attached)++;
	return 0;
}

static int status_table_cb(const struct iotguard_link_status *status,
			   void *data)
{
	char ifindex[16], link_id[16], prog_id[16], state[IF_NAMESIZE + 16];

	snprintf(ifindex, sizeof(ifindex), "%u", status->ifindex);
	snprintf(link_id, sizeof(link_id), "%u", status->link_id);
	snprintf(prog_id, sizeof(prog_id), "%u", status->prog_id);
	if (status->renamed)
		snprintf(state, sizeof(state), "renamed to %s",
			 status->ifname);
	else
		snprintf(state, sizeof(state), "%s", link_state(status));
	return table_add(data, status->pin_name, state,
			 status->gone ? "-" : ifindex,
			 status->mode_known ?
			 iotguard_xdp_mode_name(status->mode) : "-",
			 status->monitor < 0 ? "-" :
			 status->monitor ? "monitor" : "enforce",
			 link_id, prog_id);
}

int status_main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct module_status module;
	struct iotguard_json json;
	unsigned int attached = 0;
	char pins[PATH_MAX];
	struct table table;
	int opt, ret;

	optind = 0;
	while ((opt = next_option("status", argc, argv, "hj",
				  options)) != -1) {
		if (opt == 'h') {
			status_usage(stdout);
			return EXIT_OK;
		}
		if (opt != 'j')
			return EXIT_USAGE;
		json_output = true;
	}
	if (optind < argc)
		return usage_error("status", "unexpected argument `%s'",
				   argv[optind]);
	get_module_status(&module);
	ret = iotguard_pin_dir(pins, sizeof(pins));
	if (ret)
		return report_error(ret, "",
				    "find this network namespace's pins");
	table_init(&table, 7, 1U << 2 | 1U << 5 | 1U << 6);
	if (json_output) {
		iotguard_json_init(&json, stdout);
		iotguard_json_object_start(&json);
		iotguard_json_key(&json, "module");
		iotguard_json_object_start(&json);
		iotguard_json_kv_bool(&json, "loaded", module.loaded);
		if (module.max_devices)
			iotguard_json_kv_u64(&json, "max_devices",
					     module.max_devices);
		else
			iotguard_json_kv_null(&json, "max_devices");
		if (module.counted)
			iotguard_json_kv_u64(&json, "devices",
					     module.devices);
		else
			iotguard_json_kv_null(&json, "devices");
		iotguard_json_object_end(&json);
		iotguard_json_kv_string(&json, "pins", pins);
		iotguard_json_key(&json, "links");
		iotguard_json_array_start(&json);
		ret = iotguard_links_walk(status_json_cb, &json);
		iotguard_json_array_end(&json);
		iotguard_json_object_end(&json);
	} else {
		if (!module.loaded)
			printf("module: not loaded\n");
		else if (module.counted)
			printf("module: loaded, %u of %u devices\n",
			       module.devices, module.max_devices);
		else
			printf("module: loaded\n");
		printf("pins: %s\n", pins);
		table_add(&table, "INTERFACE", "STATE", "IFINDEX", "MODE",
			  "ACTION", "LINK", "PROG");
		ret = iotguard_links_walk(status_table_cb, &table);
		if (!ret && table.rows > 1)
			table_print(&table, stdout, "");
		else if (!ret)
			printf("no interface attached\n");
	}
	table_free(&table);
	if (!ret)
		ret = iotguard_links_walk(count_attached_cb, &attached);
	if (ret)
		return report_error(ret, iotguard_maps_error(),
				    "list the attached interfaces");
	/* For scripts and monitoring: is anything guarded? */
	return module.loaded && attached ? EXIT_OK : EXIT_NOT_GUARDING;
}
