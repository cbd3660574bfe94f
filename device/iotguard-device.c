// SPDX-License-Identifier: MIT
/*
 * iotguard-device: a device's side of Documentation/protocol.rst on a
 * host, for tests and demos.
 *
 *   iotguard-device send --key FILE [--mode auth|seal] [--epoch N]
 *                        [--counter N] [--count N] [--bind ADDR]
 *                        [--sport PORT] HOST PORT MESSAGE
 *   iotguard-device vectors
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "crypto.h"
#include "iotguard_device.h"

#define MAX_DATAGRAM 65507

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: iotguard-device send --key FILE [--mode auth|seal] [--epoch N]\n"
		"                            [--counter N] [--count N] [--bind ADDR]\n"
		"                            [--sport PORT] HOST PORT MESSAGE\n"
		"       iotguard-device vectors\n"
		"\n"
		"send: MESSAGE as the body of COUNT datagrams (1) to HOST PORT, each\n"
		"protected in MODE (auth) with the key of EPOCH (0) derived from the\n"
		"root key in FILE (64 hex digits), counters from COUNTER (0) on.\n"
		"Prints the next counter: the caller keeps it.\n"
		"vectors: the test vectors of Documentation/protocol.rst.\n");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int hex_key(const char *s, uint8_t *key)
{
	unsigned int i, b;

	for (i = 0; i < IOTGUARD_WIRE_KEY_LEN; i++) {
		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -1;
		key[i] = b;
	}
	s += 2 * IOTGUARD_WIRE_KEY_LEN;
	while (*s == '\n' || *s == '\r' || *s == ' ')
		s++;
	return *s ? -1 : 0;
}

static int read_key(const char *path, uint8_t *key)
{
	char buf[2 * IOTGUARD_WIRE_KEY_LEN + 8] = "";
	FILE *f = fopen(path, "r");
	size_t n;
	int ret;

	if (!f) {
		fprintf(stderr, "Unable to open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	ret = hex_key(buf, key);
	iotguard_dev_memzero(buf, sizeof(buf));
	if (ret)
		fprintf(stderr, "Unable to read the key in %s: not %d hex digits\n",
			path, 2 * IOTGUARD_WIRE_KEY_LEN);
	return ret;
}

/* The flow as the edge will see it: the socket's own end, and its peer. */
static int flow_of(int fd, struct iotguard_dev_flow *flow)
{
	struct sockaddr_storage me, peer;
	socklen_t len = sizeof(me), plen = sizeof(peer);

	if (getsockname(fd, (struct sockaddr *)&me, &len) ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen))
		return -1;
	memset(flow, 0, sizeof(*flow));
	if (me.ss_family == AF_INET) {
		const struct sockaddr_in *a = (void *)&me, *b = (void *)&peer;

		flow->family = 4;
		memcpy(flow->saddr, &a->sin_addr, 4);
		memcpy(flow->daddr, &b->sin_addr, 4);
		flow->sport = ntohs(a->sin_port);
		flow->dport = ntohs(b->sin_port);
	} else {
		const struct sockaddr_in6 *a = (void *)&me, *b = (void *)&peer;

		flow->family = 6;
		memcpy(flow->saddr, &a->sin6_addr, 16);
		memcpy(flow->daddr, &b->sin6_addr, 16);
		flow->sport = ntohs(a->sin6_port);
		flow->dport = ntohs(b->sin6_port);
	}
	return 0;
}

static int open_socket(const char *host, const char *port, const char *bind_to,
		       const char *sport)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *dst = NULL,
			*src = NULL;
	int fd = -1, err;

	err = getaddrinfo(host, port, &hints, &dst);
	if (err) {
		fprintf(stderr, "Unable to resolve %s port %s: %s\n", host, port,
			gai_strerror(err));
		goto cleanup;
	}
	fd = socket(dst->ai_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		fprintf(stderr, "Unable to open a socket: %s\n",
			strerror(errno));
		goto cleanup;
	}
	if (bind_to || sport) {
		hints.ai_family = dst->ai_family;
		hints.ai_flags = AI_PASSIVE;
		err = getaddrinfo(bind_to, sport ? sport : "0", &hints, &src);
		if (err || bind(fd, src->ai_addr, src->ai_addrlen)) {
			fprintf(stderr, "Unable to bind to %s port %s: %s\n",
				bind_to ? bind_to : "any", sport ? sport : "any",
				err ? gai_strerror(err) : strerror(errno));
			goto err_close;
		}
	}
	if (connect(fd, dst->ai_addr, dst->ai_addrlen)) {
		fprintf(stderr, "Unable to connect to %s port %s: %s\n", host,
			port, strerror(errno));
		goto err_close;
	}
	goto cleanup;
err_close:
	close(fd);
	fd = -1;
cleanup:
	if (dst)
		freeaddrinfo(dst);
	if (src)
		freeaddrinfo(src);
	return fd;
}

static int cmd_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "mode", required_argument, NULL, 'm' },
		{ "epoch", required_argument, NULL, 'e' },
		{ "counter", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "bind", required_argument, NULL, 'b' },
		{ "sport", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key_path = NULL, *bind_to = NULL, *sport = NULL;
	uint64_t epoch = 0, counter = 0, count = 1, i;
	uint8_t root[IOTGUARD_WIRE_KEY_LEN], mode = IOTGUARD_WIRE_MODE_AUTH;
	static uint8_t buf[MAX_DATAGRAM];
	struct iotguard_dev_flow flow;
	struct iotguard_dev dev;
	size_t len, out;
	int opt, fd = -1, ret = 1, err;

	memset(&dev, 0, sizeof(dev));
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			key_path = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "auth")) {
				mode = IOTGUARD_WIRE_MODE_AUTH;
			} else if (!strcmp(optarg, "seal")) {
				mode = IOTGUARD_WIRE_MODE_SEAL;
			} else {
				fprintf(stderr, "Unable to parse mode %s: auth or seal\n",
					optarg);
				return 1;
			}
			break;
		case 'e':
			if (parse_u64(optarg, UINT32_MAX, &epoch)) {
				fprintf(stderr, "Unable to parse epoch %s\n", optarg);
				return 1;
			}
			break;
		case 'c':
			if (parse_u64(optarg, IOTGUARD_WIRE_COUNTER_MAX, &counter)) {
				fprintf(stderr, "Unable to parse counter %s\n", optarg);
				return 1;
			}
			break;
		case 'n':
			if (parse_u64(optarg, UINT32_MAX, &count) || !count) {
				fprintf(stderr, "Unable to parse count %s\n", optarg);
				return 1;
			}
			break;
		case 'b':
			bind_to = optarg;
			break;
		case 's':
			sport = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (!key_path || argc - optind != 3) {
		usage(stderr);
		return 1;
	}
	len = strlen(argv[optind + 2]);
	if (len > MAX_DATAGRAM - IOTGUARD_WIRE_TRAILER_LEN) {
		fprintf(stderr, "Unable to send the message: %zu bytes, at most %d\n",
			len, MAX_DATAGRAM - IOTGUARD_WIRE_TRAILER_LEN);
		return 1;
	}
	if (read_key(key_path, root))
		goto cleanup;
	err = iotguard_dev_init(&dev, root, mode, (uint32_t)epoch, counter);
	if (err) {
		fprintf(stderr, "Unable to set up the key: %s\n", strerror(-err));
		goto cleanup;
	}
	fd = open_socket(argv[optind], argv[optind + 1], bind_to, sport);
	if (fd < 0 || flow_of(fd, &flow)) {
		if (fd >= 0)
			fprintf(stderr, "Unable to read the socket's addresses: %s\n",
				strerror(errno));
		goto cleanup;
	}
	for (i = 0; i < count; i++) {
		memcpy(buf, argv[optind + 2], len);
		err = iotguard_dev_protect(&dev, &flow, buf, len, sizeof(buf),
					   &out);
		if (err) {
			fprintf(stderr, "Unable to protect datagram %" PRIu64 ": %s\n",
				i, strerror(-err));
			goto cleanup;
		}
		if (send(fd, buf, out, 0) != (ssize_t)out) {
			fprintf(stderr, "Unable to send datagram %" PRIu64 ": %s\n",
				i, strerror(errno));
			goto cleanup;
		}
	}
	printf("%" PRIu64 "\n", dev.counter);
	ret = 0;
cleanup:
	iotguard_dev_wipe(&dev);
	iotguard_dev_memzero(root, sizeof(root));
	if (fd >= 0)
		close(fd);
	return ret;
}

static void hex(const char *name, const uint8_t *p, size_t n)
{
	size_t i;

	printf("%s ", name);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

/*
 * The vectors: fixed keys, flows and bodies (a root key of bytes 0..31,
 * the backend's address 198.18.0.1 or 2001:2::1), as protocol.rst lists
 * them and tests/lib/wire_ref.py recomputes them independently.
 */
static int cmd_vectors(void)
{
	static const struct {
		const char *name;
		uint8_t mode, family;
		uint32_t epoch;
		uint64_t counter;
		const char *body;
	} vec[] = {
		{ "auth-ipv4", IOTGUARD_WIRE_MODE_AUTH, 4, 0, 0,
		  "{\"t\":21.5}" },
		{ "seal-ipv4", IOTGUARD_WIRE_MODE_SEAL, 4, 7, 1000,
		  "{\"t\":21.5}" },
		{ "auth-ipv6", IOTGUARD_WIRE_MODE_AUTH, 6, 1, 0xfffffffe, "" },
		{ "seal-ipv6", IOTGUARD_WIRE_MODE_SEAL, 6, 0x01020304,
		  0x0102030405060708ULL, "lamp-7 on" },
	};
	static const uint8_t v4s[4] = { 198, 18, 1, 10 },
			     v4d[4] = { 198, 18, 0, 1 },
			     v6s[16] = { 0x20, 0x01, 0, 2, 0, 0, 0, 1,
					 [15] = 0x10 },
			     v6d[16] = { 0x20, 0x01, 0, 2, [15] = 1 };
	uint8_t root[IOTGUARD_WIRE_KEY_LEN], key[IOTGUARD_WIRE_KEY_LEN],
		buf[128];
	struct iotguard_dev_flow flow;
	struct iotguard_dev dev;
	size_t i, len, out;

	for (i = 0; i < sizeof(root); i++)
		root[i] = i;
	hex("root", root, sizeof(root));
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		memset(&flow, 0, sizeof(flow));
		flow.family = vec[i].family;
		flow.sport = 40000;
		flow.dport = 5683;
		memcpy(flow.saddr, vec[i].family == 4 ? v4s : v6s,
		       vec[i].family == 4 ? 4 : 16);
		memcpy(flow.daddr, vec[i].family == 4 ? v4d : v6d,
		       vec[i].family == 4 ? 4 : 16);
		if (iotguard_dev_init(&dev, root, vec[i].mode, vec[i].epoch,
				      vec[i].counter))
			return 1;
		len = strlen(vec[i].body);
		memcpy(buf, vec[i].body, len);
		if (iotguard_dev_protect(&dev, &flow, buf, len, sizeof(buf),
					 &out)) {
			fprintf(stderr, "Unable to protect vector %s\n",
				vec[i].name);
			return 1;
		}
		if (iotguard_dev_epoch_key(key, root, vec[i].epoch))
			return 1;
		printf("\nvector %s\n", vec[i].name);
		printf("mode %s\nepoch %" PRIu32 "\ncounter %" PRIu64 "\n",
		       vec[i].mode == IOTGUARD_WIRE_MODE_AUTH ? "auth" : "seal",
		       vec[i].epoch, vec[i].counter);
		hex("saddr", flow.saddr, vec[i].family == 4 ? 4 : 16);
		hex("daddr", flow.daddr, vec[i].family == 4 ? 4 : 16);
		printf("sport %u\ndport %u\n", flow.sport, flow.dport);
		hex("body", (const uint8_t *)vec[i].body, len);
		hex("epoch_key", key, sizeof(key));
		hex("payload", buf, out);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "send"))
		return cmd_send(argc - 1, argv + 1);
	if (!strcmp(argv[1], "vectors") && argc == 2)
		return cmd_vectors();
	usage(stderr);
	return 1;
}
