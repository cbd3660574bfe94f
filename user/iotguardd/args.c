// SPDX-License-Identifier: GPL-2.0
/*
 * iotguardd's command line, parsed apart from what the options then do, so
 * that tests/fuzz can run it alone.
 */
#include <getopt.h>
#include <string.h>
#include "iotguardd.h"
#include "parse.h"

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "Usage: %s [OPTIONS]\n"
		"       %s --replay FILE [--devices FILE] [-c PATH] [-j] [--scores]\n\n",
		prog, prog);
	fputs("Learns each enrolled device's behaviour from the iotguard\n"
	      "XDP program's counters, scores it every interval and acts on\n"
	      "anomalies by the device class's policy: alert, quarantine or\n"
	      "deny. Serves Prometheus metrics on /metrics.\n\n"
	      "Options:\n"
	      "  -c, --config PATH  configuration file (default "
	      IOTGUARDD_CONFIG ")\n"
	      "  -n, --dry-run      decide and report, change nothing\n"
	      "  -f, --foreground   stay in the foreground, log to stderr\n"
	      "  -h, --help         show this help and exit\n"
	      "  -V, --version      show the version and exit\n\n"
	      "Replay (no module, no root: scores a capture in its own time,\n"
	      "prints the alerts and what the policy would do, acts on nothing):\n"
	      "  -r, --replay FILE  a pcap or pcapng capture (- for stdin):\n"
	      "                     Ethernet, Linux cooked (SLL, SLL2) or raw IP\n"
	      "  -D, --devices FILE ADDRESS [NAME [CLASS [pinned]]] per line;\n"
	      "                     without it every source is a device of class 0\n"
	      "  -m, --max-devices N  sources scored without --devices (65536)\n"
	      "  -j, --json         JSON lines instead of text\n"
	      "  -s, --scores       also every device's score every interval\n"
	      "Replay exit status: 0 done, 1 usage or devices file error,\n"
	      "2 the capture cannot be read (what was read is still reported).\n\n"
	      "Signals: SIGHUP reloads the configuration (baselines stay),\n"
	      "SIGTERM and SIGINT save the baselines and exit.\n"
	      "See iotguardd(8).\n", f);
}

int parse_args(int argc, char *argv[], struct args *args)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "replay", required_argument, NULL, 'r' },
		{ "devices", required_argument, NULL, 'D' },
		{ "max-devices", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "scores", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char *prog = argc > 0 && *argv[0] ? argv[0] : "iotguardd";
	bool replay_only = false;
	const char *why;
	uint64_t count;
	int opt;

	if (strrchr(prog, '/'))
		prog = strrchr(prog, '/') + 1;
	*args = (struct args){
		.config_path = IOTGUARDD_CONFIG,
		.replay = { .max_devices = 65536 },
	};
	optind = 0;
	while ((opt = getopt_long(argc, argv, "c:nfhVr:D:m:js", options,
				  NULL)) != -1) {
		switch (opt) {
		case 'c':
			args->config_path = optarg;
			args->config_given = true;
			break;
		case 'n':
			args->dry_run = true;
			break;
		case 'f':
			args->foreground = true;
			break;
		case 'h':
			usage(stdout, prog);
			return 0;
		case 'V':
			printf("iotguardd %s\n", IOTGUARD_VERSION);
			return 0;
		case 'r':
			args->replay.path = optarg;
			break;
		case 'D':
			args->replay.devices = optarg;
			replay_only = true;
			break;
		case 'm':
			if (iotguard_parse_count(optarg, UINT32_MAX, &count,
						 &why)) {
				fprintf(stderr, "%s: --max-devices `%s': %s\n",
					prog, optarg, why);
				return 1;
			}
			if (!count) {
				fprintf(stderr, "%s: --max-devices must be at least 1\n",
					prog);
				return 1;
			}
			args->replay.max_devices = count;
			replay_only = true;
			break;
		case 'j':
			args->replay.json = true;
			replay_only = true;
			break;
		case 's':
			args->replay.scores = true;
			replay_only = true;
			break;
		default:
			fprintf(stderr, "Try `%s --help' for more information.\n",
				prog);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument `%s'\nTry `%s --help' for more information.\n",
			prog, argv[optind], prog);
		return 1;
	}
	if (replay_only && !args->replay.path) {
		fprintf(stderr, "%s: --devices, --max-devices, --json and --scores go with --replay\nTry `%s --help' for more information.\n",
			prog, prog);
		return 1;
	}
	return -1;
}
