// SPDX-License-Identifier: GPL-2.0
/*
 * The router's side of enrollment (Documentation/protocol.rst,
 * "Enrollment"): a UDP socket on the configured address and port
 * (`enroll`, off by default). Each datagram is a device's hello; the module
 * checks it and makes the welcome (IOTGUARD_CMD_ENROLL_HELLO), which goes
 * back from the address the hello was sent to, so that both ends see the
 * same flow. Codes, keys, the failure budget and the alerts are the
 * module's: the daemon only carries datagrams and logs.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <iotguard/wire.h>
#include "iotguardd.h"
#include "parse.h"

#define HELLO_LEN (IOTGUARD_WIRE_NONCE_LEN + IOTGUARD_WIRE_TRAILER_LEN)
/* Failures logged a second at most: a guesser must not fill the log. */
#define LOG_FAILS_PER_SEC 5

static bool v4mapped(const struct in6_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(a);
}

/*
 * The hello's flow from its source and the destination its packet info
 * gave; an IPv4 hello on a dual-stack socket is an IPv4 flow.
 */
static int flow_of(const struct sockaddr_storage *src, const void *dst,
		   int dst_family, struct iotguard_enroll_flow *flow,
		   uint16_t port)
{
	memset(flow, 0, sizeof(*flow));
	flow->dport = port;
	if (src->ss_family == AF_INET && dst_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)src;

		flow->family = AF_INET;
		memcpy(flow->saddr, &s->sin_addr, 4);
		memcpy(flow->daddr, dst, 4);
		flow->sport = ntohs(s->sin_port);
		return 0;
	}
	if (src->ss_family == AF_INET6 && dst_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)src;
		const struct in6_addr *d = dst;

		flow->sport = ntohs(s->sin6_port);
		if (v4mapped(&s->sin6_addr) != v4mapped(d))
			return -EAFNOSUPPORT;
		if (v4mapped(d)) {
			flow->family = AF_INET;
			memcpy(flow->saddr, s->sin6_addr.s6_addr + 12, 4);
			memcpy(flow->daddr, d->s6_addr + 12, 4);
		} else {
			flow->family = AF_INET6;
			memcpy(flow->saddr, &s->sin6_addr, 16);
			memcpy(flow->daddr, d, 16);
		}
		return 0;
	}
	return -EAFNOSUPPORT;
}

int enroll_open(struct daemon *d)
{
	struct sockaddr_storage ss;
	int one = 1, zero = 0, fd;
	socklen_t len;

	d->enroll_fd = -1;
	if (!d->cfg.enroll[0])
		return 0;
	if (config_parse_listen(d->cfg.enroll, &ss))
		return -EINVAL;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	if (ss.ss_family == AF_INET6) {
		len = sizeof(struct sockaddr_in6);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
			       sizeof(zero)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
			       sizeof(one)))
			goto err_close;
		d->enroll_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		len = sizeof(struct sockaddr_in);
		if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)))
			goto err_close;
		d->enroll_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	if (bind(fd, (struct sockaddr *)&ss, len))
		goto err_close;
	d->enroll_fd = fd;
	log_msg(LOG_INFO, "Answering enrollment hellos on %s", d->cfg.enroll);
	return 0;

err_close:
	close(fd);
err:
	log_msg(LOG_ERR, "Unable to open the enrollment port %s: %s",
		d->cfg.enroll, strerror(errno));
	return -errno;
}

void enroll_close(struct daemon *d)
{
	if (d->enroll_fd >= 0)
		close(d->enroll_fd);
	d->enroll_fd = -1;
}

/* The welcome, from the address the hello went to. */
static int answer(struct daemon *d, const struct sockaddr_storage *to,
		  socklen_t tolen, const struct iotguard_enroll_flow *flow,
		  const uint8_t *welcome)
{
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))] = { 0 };
	struct iovec iov = {
		.iov_base = (void *)welcome,
		.iov_len = IOTGUARD_ENROLL_WELCOME_SIZE,
	};
	struct msghdr msg = {
		.msg_name = (void *)to,
		.msg_namelen = tolen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	if (to->ss_family == AF_INET6) {
		struct in6_pktinfo pi = { 0 };

		if (flow->family == AF_INET) {
			pi.ipi6_addr.s6_addr[10] = 0xff;
			pi.ipi6_addr.s6_addr[11] = 0xff;
			memcpy(pi.ipi6_addr.s6_addr + 12, flow->daddr, 4);
		} else {
			memcpy(&pi.ipi6_addr, flow->daddr, 16);
		}
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		msg.msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in_pktinfo pi = { 0 };

		memcpy(&pi.ipi_spec_dst, flow->daddr, 4);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		msg.msg_controllen = CMSG_SPACE(sizeof(pi));
	}
	return sendmsg(d->enroll_fd, &msg, 0) < 0 ? -errno : 0;
}

/* Logs a failed hello, LOG_FAILS_PER_SEC a second at most. */
static void log_failure(struct daemon *d, const char *from, int err,
			const char *why)
{
	time_t now = time(NULL);

	d->enroll_failed++;
	if (now != d->enroll_log_second) {
		d->enroll_log_second = now;
		d->enroll_logged = 0;
	}
	if (d->enroll_logged++ >= LOG_FAILS_PER_SEC)
		return;
	log_msg(LOG_WARNING, "Unable to enroll the device at %s: %s%s%s%s",
		from, strerror(-err), why[0] ? " (" : "", why,
		why[0] ? ")" : "");
}

static void one_hello(struct daemon *d, const struct sockaddr_storage *src,
		      socklen_t srclen, const uint8_t *hello, ssize_t len,
		      const void *dst, int dst_family)
{
	struct iotguard_enroll_flow flow;
	struct iotguard_enroll welcome;
	char from[INET6_ADDRSTRLEN + 16], addr[IOTGUARD_ADDR_STRLEN];
	struct iotguard_device dev;
	int ret;

	if (flow_of(src, dst, dst_family, &flow, d->enroll_port))
		return;
	inet_ntop(flow.family, flow.saddr, addr, sizeof(addr));
	snprintf(from, sizeof(from), "%s port %u", addr, flow.sport);
	if (len != HELLO_LEN) {
		log_failure(d, from, -EBADMSG, "not a hello: its size");
		return;
	}
	ret = iotguard_nl_enroll_hello(d->nl, &flow, hello, len, &dev,
				       &welcome);
	if (ret) {
		log_failure(d, from, ret, iotguard_nl_extack(d->nl));
		return;
	}
	ret = answer(d, src, srclen, &flow, welcome.welcome);
	explicit_bzero(&welcome, sizeof(welcome));
	if (ret) {
		log_msg(LOG_WARNING, "Unable to send the welcome to %s: %s",
			from, strerror(-ret));
		return;
	}
	d->enrolled++;
	iotguard_format_addr(&dev.id, addr, sizeof(addr));
	log_msg(LOG_INFO, "Enrolled %s%s%s%s: welcome sent to %s", addr,
		dev.name[0] ? " (" : "", dev.name, dev.name[0] ? ")" : "",
		from);
}

/* Answers every hello waiting on the socket. */
void enroll_receive(struct daemon *d)
{
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			  CMSG_SPACE(sizeof(struct in_pktinfo))];
		uint8_t buf[HELLO_LEN + 1];
		struct sockaddr_storage src;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = {
			.msg_name = &src,
			.msg_namelen = sizeof(src),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf,
			.msg_controllen = sizeof(cbuf),
		};
		const void *dst = NULL;
		int dst_family = 0;
		struct cmsghdr *cm;
		ssize_t len;

		len = recvmsg(d->enroll_fd, &msg, 0);
		if (len < 0)
			return;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == IPPROTO_IPV6 &&
			    cm->cmsg_type == IPV6_PKTINFO) {
				dst = &((struct in6_pktinfo *)CMSG_DATA(cm))->ipi6_addr;
				dst_family = AF_INET6;
			} else if (cm->cmsg_level == IPPROTO_IP &&
				   cm->cmsg_type == IP_PKTINFO) {
				dst = &((struct in_pktinfo *)CMSG_DATA(cm))->ipi_addr;
				dst_family = AF_INET;
			}
		}
		/* A longer datagram was cut: it is no hello either. */
		if (msg.msg_flags & MSG_TRUNC)
			len = sizeof(buf);
		if (dst)
			one_hello(d, &src, msg.msg_namelen, buf, len, dst,
				  dst_family);
	}
}
