// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard monitor: joins the module's events group and prints each device
 * change and each alert as it arrives, one line (or one JSON object) each,
 * until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include "cli.h"
#include "json.h"
#include "parse.h"

static const struct option monitor_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void monitor_usage(FILE *f)
{
	fprintf(f, "Usage: %s monitor [-j|--json]\n\n", prog_name);
	fputs("Prints every change of the device table (new, set, del,\n"
	      "revoke, lease) and every alert (from iotguardd) as it\n"
	      "happens, one line each, until interrupted (SIGINT,\n"
	      "SIGTERM). Needs CAP_NET_ADMIN.\n\n"
	      "  -j, --json  one JSON object per line: {\"time\", \"event\",\n"
	      "              \"device\" as `device show -j', and for alerts\n"
	      "              \"alert\": {\"detector\", \"score\", \"action\",\n"
	      "              \"dry_run\", \"failed\", \"explanation\"}}\n", f);
}

static const char *event_name(uint8_t cmd)
{
	switch (cmd) {
	case IOTGUARD_CMD_DEVICE_NEW:
		return "new";
	case IOTGUARD_CMD_DEVICE_SET:
		return "set";
	case IOTGUARD_CMD_DEVICE_DEL:
		return "del";
	case IOTGUARD_CMD_ALERT:
		return "alert";
	case IOTGUARD_CMD_LEASE:
		return "lease";
	case IOTGUARD_CMD_DEVICE_REVOKE:
		return "revoke";
	}
	return "unknown";
}

/* A name, or the number for values of a newer module. */
static const char *name_of(const char *(*name)(unsigned int),
			   unsigned int value, char *buf, size_t len)
{
	if (name(value))
		return name(value);
	snprintf(buf, len, "%u", value);
	return buf;
}

static void print_json(uint8_t cmd, const struct iotguard_device *dev,
		       const struct iotguard_alert *alert)
{
	struct iotguard_json json;
	struct timespec ts;
	char when[64], num[16];

	clock_gettime(CLOCK_REALTIME, &ts);
	iotguard_json_init(&json, stdout);
	iotguard_json_object_start(&json);
	iotguard_json_kv_string(&json, "time",
				format_time(ts.tv_sec * 1000000000ULL +
					    ts.tv_nsec, when, sizeof(when)));
	iotguard_json_kv_string(&json, "event", event_name(cmd));
	iotguard_json_key(&json, "device");
	json_device(&json, dev);
	if (alert) {
		iotguard_json_key(&json, "alert");
		iotguard_json_object_start(&json);
		iotguard_json_kv_string(&json, "detector",
					name_of(iotguard_alert_detector_name,
						alert->detector, num,
						sizeof(num)));
		iotguard_json_kv_double(&json, "score",
					alert->score_milli / 1000.0);
		iotguard_json_kv_string(&json, "action",
					name_of(iotguard_alert_action_name,
						alert->action, num,
						sizeof(num)));
		iotguard_json_kv_bool(&json, "dry_run",
				      alert->flags & IOTGUARD_ALERT_F_DRY_RUN);
		iotguard_json_kv_bool(&json, "failed",
				      alert->flags & IOTGUARD_ALERT_F_FAILED);
		iotguard_json_kv_string(&json, "explanation", alert->text);
		iotguard_json_object_end(&json);
	}
	iotguard_json_object_end(&json);
}

/* " cred auth key 1a2b3c4d epoch 3", " revoked" or nothing. */
static void print_cred(const struct iotguard_device *dev)
{
	const char *mode = iotguard_cred_mode_name(dev->cred_mode);

	if (dev->present & IOTGUARD_DEV_CRED_REVOKED) {
		printf(" revoked");
		return;
	}
	if (!(dev->present & IOTGUARD_DEV_CRED_KEY_ID))
		return;
	if (mode)
		printf(" cred %s", mode);
	else
		printf(" cred %u", dev->cred_mode);
	printf(" key %08" PRIx32, dev->cred_key_id);
	if (dev->present & IOTGUARD_DEV_CRED_EPOCH)
		printf(" epoch %" PRIu32, dev->cred_epoch);
}

/*
 * new 198.18.1.10 lamp-1 index 0 state allow class light rate 20/s
 * alert 198.18.1.10 lamp-1 index 0 surge score 12.345 quarantine: why
 * revoke 198.18.1.10 lamp-1 index 0 state allow class light revoked
 */
static void print_text(uint8_t cmd, const struct iotguard_device *dev,
		       const struct iotguard_alert *alert)
{
	char addr[IOTGUARD_ADDR_STRLEN], mac[IOTGUARD_MAC_STRLEN], num[32];
	char num2[16];
	const char *state = iotguard_state_name(dev->state);
	const char *class = iotguard_class_name(dev->class);
	static const uint8_t no_mac[6];

	printf("%s %s %s index %" PRIu32, event_name(cmd),
	       iotguard_format_addr(&dev->id, addr, sizeof(addr)),
	       *dev->name ? dev->name : "-", dev->index);
	if (alert) {
		printf(" %s score %.3f %s%s%s: %s\n",
		       name_of(iotguard_alert_detector_name, alert->detector,
			       num, sizeof(num)),
		       alert->score_milli / 1000.0,
		       name_of(iotguard_alert_action_name, alert->action,
			       num2, sizeof(num2)),
		       alert->flags & IOTGUARD_ALERT_F_DRY_RUN ?
		       " (dry run)" : "",
		       alert->flags & IOTGUARD_ALERT_F_FAILED ?
		       " (failed)" : "", alert->text);
		return;
	}
	if (state)
		printf(" state %s", state);
	else
		printf(" state %u", dev->state);
	if (class)
		printf(" class %s", class);
	else
		printf(" class %u", dev->class);
	if (memcmp(dev->mac, no_mac, sizeof(no_mac)))
		printf(" mac %s", iotguard_format_mac(dev->mac, mac,
						      sizeof(mac)));
	if (dev->rate_pps)
		printf(" rate %s/s burst %" PRIu32,
		       iotguard_format_count(dev->rate_pps, num, sizeof(num)),
		       dev->burst_pkts);
	if (dev->rate_bps)
		printf(" byte-rate %s/s byte-burst %" PRIu32,
		       iotguard_format_count(dev->rate_bps, num, sizeof(num)),
		       dev->burst_bytes);
	if (dev->flags & IOTGUARD_DEVICE_F_PINNED)
		printf(" pinned");
	print_cred(dev);
	if (cmd == IOTGUARD_CMD_LEASE && !(dev->present & IOTGUARD_DEV_LEASE))
		printf(" lease ended");
	else if (dev->present & IOTGUARD_DEV_LEASE)
		printf(" lease %u.%u.%u.%u (%" PRIu32 " s)", dev->lease_addr[0],
		       dev->lease_addr[1], dev->lease_addr[2],
		       dev->lease_addr[3], dev->lease_seconds);
	putchar('\n');
}

static int event_cb(uint8_t cmd, const struct iotguard_device *dev,
		    const struct iotguard_alert *alert, void *data)
{
	(void)data;
	if (json_output)
		print_json(cmd, dev, alert);
	else
		print_text(cmd, dev, alert);
	/* Whoever reads a pipe sees each event when it happens. */
	if (fflush(stdout) || ferror(stdout))
		return -errno;
	return 0;
}

/* Until a signal (EXIT_OK) or an error (reported). */
static int watch(struct iotguard_nl *nl, int sig_fd)
{
	struct pollfd pfd[2] = {
		{ .fd = sig_fd, .events = POLLIN },
		{ .fd = iotguard_nl_fd(nl), .events = POLLIN },
	};
	int ret;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return report_error(errno, NULL, "wait for events");
		}
		if (pfd[0].revents & POLLIN)
			return EXIT_OK;
		if (!(pfd[1].revents & (POLLIN | POLLERR)))
			continue;
		ret = iotguard_nl_events_read(nl, event_cb, NULL);
		if (ret == -ENOBUFS) {
			/* The kernel dropped some: say so, carry on. */
			fprintf(stderr, "Warning: events lost (the socket buffer was full)\n");
			continue;
		}
		if (ret)
			return report_error(ret, NULL, "read the events");
	}
}

int monitor_main(int argc, char *argv[])
{
	struct iotguard_nl *nl = NULL;
	int opt, ret, sig_fd = -1;
	sigset_t mask;

	optind = 0;
	while ((opt = next_option("monitor", argc, argv, "jh",
				  monitor_options)) != -1) {
		switch (opt) {
		case 'j':
			json_output = true;
			break;
		case 'h':
			monitor_usage(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("monitor", "unexpected argument `%s'",
				   argv[optind]);

	/* Signals as events: no handler races the wait. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return report_error(errno, NULL, "block the signals");
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0)
		return report_error(errno, NULL, "create a signalfd");
	ret = open_nl(&nl);
	if (ret)
		goto cleanup;
	ret = iotguard_nl_join_events(nl);
	if (ret) {
		ret = report_error(ret, iotguard_nl_extack(nl),
				   "join the iotguard events");
		goto cleanup;
	}
	ret = watch(nl, sig_fd);

cleanup:
	iotguard_nl_close(nl);
	close(sig_fd);
	return ret;
}
