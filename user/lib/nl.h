/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A client of the iotguard generic netlink family (libmnl), shared by the
 * iotguard CLI, the iotguardd daemon and the tests.
 *
 * Every function returns 0 or a negative errno. When the kernel rejected a
 * request with an extended ACK message, iotguard_nl_extack() returns it until
 * the next request. When iotguard_nl_open() fails, iotguard_nl_extack(NULL)
 * says why (for example, the module is not loaded).
 */
#ifndef IOTGUARD_USER_NL_H
#define IOTGUARD_USER_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/iotguard.h>

/* struct iotguard_device.present: which optional fields are set */
enum iotguard_device_field {
	IOTGUARD_DEV_NAME = 1U << 0,
	IOTGUARD_DEV_MAC = 1U << 1,
	IOTGUARD_DEV_STATE = 1U << 2,
	IOTGUARD_DEV_CLASS = 1U << 3,
	IOTGUARD_DEV_RATE_PPS = 1U << 4,
	IOTGUARD_DEV_BURST_PKTS = 1U << 5,
	IOTGUARD_DEV_RATE_BPS = 1U << 6,
	IOTGUARD_DEV_BURST_BYTES = 1U << 7,
	IOTGUARD_DEV_FLAGS = 1U << 8,
	IOTGUARD_DEV_INDEX = 1U << 9,	/* replies only */
	IOTGUARD_DEV_COOKIE = 1U << 10,	/* replies only */
	IOTGUARD_DEV_LEASE = 1U << 11,	/* replies only */
	IOTGUARD_DEV_STATE_SECONDS = 1U << 12,	/* replies only */
	IOTGUARD_DEV_CRED_MODE = 1U << 13,
	IOTGUARD_DEV_CRED_KEY = 1U << 14,	/* requests only */
	IOTGUARD_DEV_CRED_EXPIRES = 1U << 15,
	IOTGUARD_DEV_CRED_EPOCH_SECONDS = 1U << 16,
	IOTGUARD_DEV_CRED_KEY_ID = 1U << 17,	/* replies only */
	IOTGUARD_DEV_CRED_EPOCH = 1U << 18,	/* replies only */
	IOTGUARD_DEV_CRED_REVOKED = 1U << 19,	/* replies only */
};

/* What a request may set of a credential (the UAPI's "Credentials"). */
#define IOTGUARD_DEV_CRED (IOTGUARD_DEV_CRED_MODE | IOTGUARD_DEV_CRED_KEY | \
			   IOTGUARD_DEV_CRED_EXPIRES | \
			   IOTGUARD_DEV_CRED_EPOCH_SECONDS)

/*
 * An identity as the module keys devices: an address (family AF_INET or
 * AF_INET6), or for a device enrolled by MAC, its MAC (AF_PACKET, in the
 * first 6 bytes).
 */
struct iotguard_addr {
	int family;
	uint8_t addr[16];	/* IPv4: the first 4 bytes, network order */
	uint8_t plen;		/* IPv6 prefix, 1 to 127; 0: an address */
};

struct iotguard_device {
	struct iotguard_addr id;
	uint32_t present;	/* enum iotguard_device_field */
	char name[IOTGUARD_DEVICE_NAME_LEN];
	uint8_t mac[6];		/* all zeroes: no binding */
	uint8_t state;		/* enum iotguard_device_state */
	uint16_t class;
	uint32_t rate_pps;
	uint32_t burst_pkts;
	uint64_t rate_bps;
	uint32_t burst_bytes;
	uint32_t flags;		/* enum iotguard_device_flag */
	uint32_t index;
	uint32_t cookie;
	uint8_t lease_addr[4];	/* a MAC device's leased IPv4, network order */
	uint32_t lease_seconds;	/* left; UINT32_MAX: infinite */
	uint32_t state_seconds;	/* since the state or its setter changed */
	/*
	 * The credential. Requests: cred_key points at the caller's
	 * IOTGUARD_CRED_KEY_LEN bytes (the request's copy is wiped once
	 * sent); replies carry the key's id instead, and the current epoch.
	 */
	uint8_t cred_mode;	/* enum iotguard_cred_mode */
	const uint8_t *cred_key;
	uint64_t cred_expires;	/* Unix seconds; 0: never */
	uint32_t cred_epoch_seconds;
	uint32_t cred_key_id;
	uint32_t cred_epoch;
};

/* An alert (IOTGUARD_CMD_ALERT): what the UAPI header documents. */
struct iotguard_alert {
	uint8_t detector;	/* enum iotguard_alert_detector */
	uint8_t action;		/* enum iotguard_alert_action */
	uint32_t score_milli;	/* the score in thousandths */
	uint32_t flags;		/* enum iotguard_alert_flag */
	char text[IOTGUARD_ALERT_TEXT_LEN];
};

struct iotguard_nl;

int iotguard_nl_open(struct iotguard_nl **nlp);
void iotguard_nl_close(struct iotguard_nl *nl);
const char *iotguard_nl_extack(const struct iotguard_nl *nl);

int iotguard_nl_device_new(struct iotguard_nl *nl,
			   const struct iotguard_device *dev);
int iotguard_nl_device_set(struct iotguard_nl *nl,
			   const struct iotguard_device *dev);
int iotguard_nl_device_del(struct iotguard_nl *nl,
			   const struct iotguard_addr *id);
int iotguard_nl_device_get(struct iotguard_nl *nl,
			   const struct iotguard_addr *id,
			   struct iotguard_device *out);
/* Revokes the device's credential (IOTGUARD_CMD_DEVICE_REVOKE). */
int iotguard_nl_device_revoke(struct iotguard_nl *nl,
			      const struct iotguard_addr *id);

/*
 * Calls cb for each device, in index order; a non-zero return from cb stops
 * the dump and is returned. Retries (a few times) a dump the kernel marked
 * interrupted by a concurrent change; -EINTR if it kept changing.
 */
/* ENROLL_NEW's code, or ENROLL_HELLO's welcome (the UAPI header). */
#define IOTGUARD_ENROLL_WELCOME_SIZE 96
struct iotguard_enroll {
	char code[64];		/* "IGE1-..." */
	uint32_t id;
	uint8_t welcome[IOTGUARD_ENROLL_WELCOME_SIZE];
};

/* A hello's flow as the router received it; ports in host order. */
struct iotguard_enroll_flow {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint16_t sport;
	uint16_t dport;
};

/*
 * A one-time enrollment code for dev (its identity; cred_mode, and
 * cred_expires and cred_epoch_seconds when present) good for ttl seconds.
 * *out gets the device, *code the code. 0 or a negative errno (extack).
 */
int iotguard_nl_enroll_new(struct iotguard_nl *nl,
			   const struct iotguard_device *dev, uint32_t ttl,
			   struct iotguard_device *out,
			   struct iotguard_enroll *code);

/*
 * Has the module answer a hello of len bytes received on flow: 0 with the
 * device and the welcome to send back, or a negative errno (extack).
 */
int iotguard_nl_enroll_hello(struct iotguard_nl *nl,
			     const struct iotguard_enroll_flow *flow,
			     const uint8_t *hello, size_t len,
			     struct iotguard_device *dev,
			     struct iotguard_enroll *welcome);

typedef int (*iotguard_device_cb)(const struct iotguard_device *dev,
				  void *data);
int iotguard_nl_device_dump(struct iotguard_nl *nl, iotguard_device_cb cb,
			    void *data);

/*
 * Bulk enrollment: DEVICE_NEW requests of up to IOTGUARD_DEVICES_MAX
 * devices each (IOTGUARD_A_DEVICES), several per sendmsg, one ACK per
 * sendmsg. The kernel enrolls each request's devices all or nothing, so
 * *failed counts the devices of the rejected requests. The first error is
 * returned; its extack names the device that caused it ("device N
 * (ADDR): ...", N its position in devs).
 */
int iotguard_nl_device_new_batch(struct iotguard_nl *nl,
				 const struct iotguard_device *devs,
				 unsigned int count, unsigned int *failed);

/*
 * Announces an alert about the device with that index and cookie (as a dump
 * gives them) to the listeners of the events group. -ENOENT if no such
 * device is enrolled (any more).
 */
int iotguard_nl_alert(struct iotguard_nl *nl, uint32_t index, uint32_t cookie,
		      const struct iotguard_alert *alert);

/*
 * Events: joins the IOTGUARD_MCGRP_EVENTS group, after which the socket
 * receives every change of the table. Use a handle of its own for events:
 * the requests above skip what is not their reply, events included.
 * -ENOENT if the module announces no such group.
 */
int iotguard_nl_join_events(struct iotguard_nl *nl);
/* The socket, for poll(). */
int iotguard_nl_fd(const struct iotguard_nl *nl);
/*
 * Also joins nlctrl's "notify" group: iotguard_nl_events_read() then
 * reports the iotguard family's removal (the module unloaded) and its
 * registration (loaded again) as IOTGUARD_NL_FAMILY_DEL and _NEW.
 */
int iotguard_nl_watch_family(struct iotguard_nl *nl);
/* Pseudo-commands of iotguard_event_cb, above any of the module's. */
#define IOTGUARD_NL_FAMILY_NEW 0xf0
#define IOTGUARD_NL_FAMILY_DEL 0xf1
/*
 * After the module was loaded again: the family's id and events group
 * resolved anew (on a socket of its own, so that no event queued here is
 * read), and the events group joined again if it was. 0 or -errno.
 */
int iotguard_nl_refresh(struct iotguard_nl *nl);
/* The family's id, as resolved: it changes when the module is reloaded. */
uint16_t iotguard_nl_family_id(const struct iotguard_nl *nl);
/*
 * The socket's receive buffer, in bytes: the 4 MiB of iotguard_nl_open()
 * by default. Best effort (smaller than the kernel's minimum is the
 * minimum); 0 or -errno.
 */
int iotguard_nl_set_rcvbuf(struct iotguard_nl *nl, int bytes);

/*
 * cmd: IOTGUARD_CMD_DEVICE_NEW, _SET, _DEL, _REVOKE, IOTGUARD_CMD_LEASE,
 * or IOTGUARD_CMD_ALERT with the alert in alert (NULL for the others).
 * Commands of a newer module are skipped. With iotguard_nl_watch_family(),
 * also IOTGUARD_NL_FAMILY_NEW and _DEL, dev all zeroes.
 */
typedef int (*iotguard_event_cb)(uint8_t cmd,
				 const struct iotguard_device *dev,
				 const struct iotguard_alert *alert,
				 void *data);
/*
 * Reads the events queued on a joined handle, without blocking, and calls
 * cb for each; a non-zero return from cb stops and is returned. -ENOBUFS
 * when the kernel dropped events for a full socket buffer: the caller
 * should resynchronise with a dump. A message from anyone but the kernel
 * (a process that sent to this socket's port) is skipped and counted.
 */
int iotguard_nl_events_read(struct iotguard_nl *nl, iotguard_event_cb cb,
			    void *data);
/* The messages iotguard_nl_events_read() skipped as not the kernel's. */
uint64_t iotguard_nl_foreign_events(const struct iotguard_nl *nl);

#endif /* IOTGUARD_USER_NL_H */
