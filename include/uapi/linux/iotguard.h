/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Copyright (C) 2026 The iotguard authors.
 *
 * Documentation
 * =============
 *
 * The iotguard module holds, per network namespace, the table of the IoT
 * devices that may talk through the guarded ports of a router. Each device is
 * known by its identity, an IPv4 or IPv6 source address or an IPv6 prefix
 * (all the addresses a device configures in it), optionally bound to the
 * Ethernet address it must send from; or by its Ethernet address alone,
 * when it takes its IPv4 address from DHCP: the programs on the guarded
 * port then watch its DHCP exchange and bind the address the server
 * acknowledges to it for the lease's time (DHCP snooping), and its IP
 * traffic passes from that address only (IP source guard); the IPv6
 * addresses it configures itself are bound to it, first come, first
 * served, by its neighbour discovery. An XDP program
 * on each guarded port asks the module, per packet, what to do with the
 * sender: unknown sources are dropped, and so are denied devices, devices
 * sending from the wrong MAC and devices over their rate.
 *
 * The table is configured over generic netlink, family IOTGUARD_GENL_NAME,
 * version IOTGUARD_GENL_VERSION. Every command needs CAP_NET_ADMIN in the
 * user namespace owning the network namespace of the socket. Attributes are
 * validated strictly: an attribute a command does not take is rejected, and
 * every rejection past the generic netlink core carries an extended ACK
 * message saying why. The core's own two carry none: a message too short
 * for its struct genlmsghdr (EINVAL) and a command the family does not
 * have (EOPNOTSUPP). An attribute of the wrong size or out of its range
 * fails with ERANGE or EINVAL (as the kernel's policy checks answer), a
 * wrong combination with EINVAL. So do a
 * request whose struct genlmsghdr has a non-zero reserved field and one
 * whose nlmsg_flags carry anything beyond NLM_F_REQUEST, NLM_F_ACK,
 * NLM_F_ECHO and NLM_F_DUMP (the generic netlink core checks both).
 *
 * Any user may own a network namespace (unshare -Urn), so each namespace's
 * table is limited (module parameters netns_max_devices and, lower, for a
 * network namespace that a user namespace other than the initial one owns,
 * userns_max_devices), and the memory of its devices is charged to the
 * memory cgroup of the process that enrolls or changes them.
 *
 * IOTGUARD_CMD_DEVICE_NEW
 * -----------------------
 *
 * Enrolls a device. Takes exactly one identity attribute and any of the
 * optional ones:
 *
 *    IOTGUARD_A_DEVICE_IPV4: NLA_BE32, or
 *    IOTGUARD_A_DEVICE_IPV6: 16 bytes, the device's source address, unicast
 *                            (not 0.0.0.0/8, multicast, 255.255.255.255,
 *                            :: or IPv6 multicast), optionally with
 *    IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN: NLA_U8, 1 to 128: the device is
 *                            enrolled by the IPv6 prefix of that length
 *                            (its host bits 0), and every address in it,
 *                            SLAAC and temporary (privacy) ones alike,
 *                            is that one device, with one rate budget.
 *                            A frame belongs to the device of its exact
 *                            address, else to the device of the longest
 *                            prefix holding it. 128 is the same as
 *                            absent: an address. Or, with no address,
 *    IOTGUARD_A_DEVICE_MAC: 6 bytes, a unicast MAC: the device is enrolled
 *                           by MAC and leases its IPv4 address over DHCP
 *                           (its MAC is then its binding too, and cannot
 *                           change)
 *    IOTGUARD_A_DEVICE_NAME: NUL-terminated string, at most
 *                            IOTGUARD_DEVICE_NAME_LEN - 1 bytes long
 *    IOTGUARD_A_DEVICE_MAC: 6 bytes, unicast; packets from the identity
 *                           with any other source MAC are spoofs. All
 *                           zeroes (the default) binds no MAC.
 *    IOTGUARD_A_DEVICE_STATE: NLA_U8, enum iotguard_device_state;
 *                             IOTGUARD_STATE_ALLOW by default
 *    IOTGUARD_A_DEVICE_CLASS: NLA_U16, a number naming the kind of device
 *                             (light, sensor, camera...); 0 by default.
 *                             The module stores it; policy daemons use it.
 *    IOTGUARD_A_DEVICE_RATE_PPS: NLA_U32, packets per second, at most
 *                                10^9; 0 (the default) means no packet
 *                                limit
 *    IOTGUARD_A_DEVICE_BURST_PKTS: NLA_U32, packets allowed back to back;
 *                                  one tenth of a second of the rate (at
 *                                  least 1) when absent or 0
 *    IOTGUARD_A_DEVICE_RATE_BPS: NLA_U64, bytes per second, at most
 *                                1024 * 10^9; 0 (the default) means no
 *                                byte limit
 *    IOTGUARD_A_DEVICE_BURST_BYTES: NLA_U32, bytes allowed back to back;
 *                                   one tenth of a second of the rate (at
 *                                   least IOTGUARD_MIN_BURST_BYTES) when
 *                                   absent or 0
 *    IOTGUARD_A_DEVICE_FLAGS: NLA_U32, 0 or more of enum
 *                             iotguard_device_flag; unknown bits are
 *                             rejected
 *    IOTGUARD_A_DEVICE_CRED_MODE, _CRED_KEY, _CRED_EXPIRES,
 *    _CRED_EPOCH_SECONDS, _CRED_EPOCH: the device's credential (below,
 *    "Credentials")
 *
 * Fails with EEXIST if the identity is enrolled already and with ENOSPC when
 * the table holds as many devices as the namespace may: the lowest of the
 * module parameters max_devices, netns_max_devices and, in a network
 * namespace that a user namespace other than the initial one owns,
 * userns_max_devices; the extack message names the parameter. ENOMEM when
 * the caller's memory cgroup cannot take the device. On success the device
 * gets the lowest free index (IOTGUARD_A_DEVICE_INDEX), which keys its
 * counters in the XDP program's maps; the index of a deleted device is
 * reused.
 *
 * With NLM_F_ECHO, the reply to a single device's enrollment carries the
 * new device, with the command IOTGUARD_CMD_DEVICE_NEW and every attribute
 * IOTGUARD_CMD_DEVICE_GET gives (IOTGUARD_A_DEVICE_INDEX and _COOKIE
 * included), in a message with the request's sequence number before the
 * ACK. A list (below) with NLM_F_ECHO fails with EINVAL: its answers could
 * overrun the socket; a dump gives the indexes.
 *
 * For bulk enrollment, one request may instead enroll a list of devices:
 *
 *    IOTGUARD_A_DEVICES: nested, 1 to IOTGUARD_DEVICES_MAX attributes
 *                        IOTGUARD_A_DEVICE, and nothing else
 *    IOTGUARD_A_DEVICE: nested, one device: its identity and any of the
 *                       optional attributes above, exactly as a request
 *                       for one device would carry them
 *
 * IOTGUARD_A_DEVICES then goes alone. The list is enrolled all or nothing:
 * the first device that fails (any error of a single-device request,
 * including EEXIST for an identity twice in the list) fails the request,
 * and the devices of the list enrolled before it are deleted again (the
 * data path may have seen them meanwhile; the events group does not: NEW
 * events leave only for a list enrolled whole, one per device, in list
 * order). The extack's offset (NLMSGERR_ATTR_OFFS) points into the
 * failing IOTGUARD_A_DEVICE: at the bad attribute inside it when there is
 * one, else at the nest itself. An empty list, or one longer than
 * IOTGUARD_DEVICES_MAX, fails with EINVAL. Devices get their indexes in
 * list order.
 *
 * IOTGUARD_CMD_DEVICE_SET
 * -----------------------
 *
 * Changes an enrolled device. Takes its identity and any of the optional
 * attributes of IOTGUARD_CMD_DEVICE_NEW; the ones absent keep their value,
 * except that a new rate given without its burst gets the new rate's
 * default burst.
 *
 * A policy daemon's change is automatic: it carries the identity,
 * IOTGUARD_A_DEVICE_STATE and IOTGUARD_A_DEVICE_FLAGS with exactly
 * IOTGUARD_DEVICE_F_AUTO, and nothing else (EINVAL otherwise). It fails
 * with EPERM when the device is pinned (IOTGUARD_DEVICE_F_PINNED): checked
 * under the table's lock, so that an operator's pin that came first always
 * wins. Any other change of the state, and any change that pins the
 * device, clears IOTGUARD_DEVICE_F_AUTO: the state is the operator's then.
 * A change that carries IOTGUARD_A_DEVICE_FLAGS without _F_AUTO and leaves
 * the state as it was keeps _F_AUTO as it was.
 * The change is atomic for the data path: a packet sees the device either
 * wholly before or wholly after it. A change of the state, a rate or a
 * burst (as in force after the change) starts the device's rate limiter
 * afresh: the data path forgets what it sent before. A change of the name,
 * class, MAC or flags alone does not. Fails with ENOENT for an unknown
 * identity.
 *
 * IOTGUARD_CMD_DEVICE_DEL
 * -----------------------
 *
 * Deletes a device. Takes its identity only. Fails with ENOENT for an
 * unknown identity. The next packet from that address is unknown.
 *
 * IOTGUARD_CMD_DEVICE_GET
 * -----------------------
 *
 * With NLM_F_DUMP, takes no attributes and replies with one message per
 * device, in index order. If the table changes during the dump, the reply
 * carries NLM_F_DUMP_INTR and should be retried. Without NLM_F_DUMP, takes an
 * identity and replies with that device. Each reply carries every attribute
 * of IOTGUARD_CMD_DEVICE_NEW (rates and bursts as in force), plus:
 *
 *    IOTGUARD_A_DEVICE_INDEX: NLA_U32, the device's index
 *    IOTGUARD_A_DEVICE_COOKIE: NLA_U32, differs between any two devices that
 *                              held the same index; per-index state in the
 *                              XDP program's maps carries it. A table
 *                              starts its cookies at a random value, so a
 *                              device enrolled again after the module was
 *                              reloaded or the router restarted gets
 *                              another cookie than it had (but for a
 *                              chance of one in 2^32)
 *    IOTGUARD_A_DEVICE_STATE_SECONDS: NLA_U32, seconds since the device's
 *                                     state, or who set it
 *                                     (IOTGUARD_DEVICE_F_AUTO), last
 *                                     changed: since its enrollment if
 *                                     never
 *
 * A device enrolled by a prefix is named by IOTGUARD_A_DEVICE_IPV6 and
 * IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN in SET, DEL and GET, and replies and
 * events carry both; an IPv6 address without the length names the device
 * enrolled by that exact address, not a prefix holding it.
 *
 * A device enrolled by MAC is named by IOTGUARD_A_DEVICE_MAC alone in
 * SET, DEL and GET, and replies and events carry no IPV4 or IPV6 for it;
 * while it holds a lease, they carry
 *
 *    IOTGUARD_A_DEVICE_LEASE_IPV4: NLA_BE32, the address it leased
 *    IOTGUARD_A_DEVICE_LEASE_SECONDS: NLA_U32, seconds until the lease
 *                                     ends; U32_MAX for an infinite lease
 *
 * Requests never carry these, nor IOTGUARD_A_DEVICE_INDEX, _COOKIE and
 * _STATE_SECONDS.
 *
 * Credentials
 * -----------
 *
 * A device may have to prove itself on every UDP datagram it sends
 * (Documentation/protocol.rst): it appends a trailer tagged with a key of
 * its root key, and the XDP program has the module check it, remove it and
 * pass the datagram the device meant. DEVICE_NEW and DEVICE_SET set a
 * credential whole, with its key (a credential's other attributes without
 * IOTGUARD_A_DEVICE_CRED_KEY fail with EINVAL):
 *
 *    IOTGUARD_A_DEVICE_CRED_MODE: NLA_U8, enum iotguard_cred_mode,
 *                                 required with a key. IOTGUARD_CRED_NONE
 *                                 alone (no key) removes the credential
 *                                 and a revocation: the device's datagrams
 *                                 are judged without a trailer again
 *    IOTGUARD_A_DEVICE_CRED_KEY: 32 bytes, the device's root key. Never
 *                                given back: replies and events carry
 *                                IOTGUARD_A_DEVICE_CRED_KEY_ID instead
 *    IOTGUARD_A_DEVICE_CRED_EXPIRES: NLA_U64, Unix time (CLOCK_REALTIME
 *                                    seconds) from which the credential
 *                                    is refused; 0 (the default): never
 *    IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS: NLA_U32, 60 to 2^31 - 1, the
 *                                          most an epoch lasts from its
 *                                          first datagram; 86400 by
 *                                          default
 *    IOTGUARD_A_DEVICE_CRED_EPOCH: NLA_U32, the epoch the device sends in
 *                                  (the edge accepts it and the next);
 *                                  0 by default. For a table restored
 *                                  after a restart, whose devices kept
 *                                  their epochs: the datagrams of that
 *                                  epoch sent before the restart can
 *                                  then be replayed once, until the
 *                                  device moves on to the next
 *
 * A new key starts the device at that epoch with an empty replay window
 * and a new key id, and ends a revocation. The key is zeroed when the module
 * frees it (after the data path's last reader of the old version is gone).
 * Replies and events carry, for a device with a credential:
 *
 *    IOTGUARD_A_DEVICE_CRED_MODE, _CRED_EXPIRES and _CRED_EPOCH_SECONDS as
 *    set, and
 *    IOTGUARD_A_DEVICE_CRED_KEY_ID: NLA_U32, the first 4 bytes (big
 *                                   endian) of BLAKE2s-256 under the key
 *                                   of "iotguard-v1 key id": tells keys
 *                                   apart without revealing them
 *    IOTGUARD_A_DEVICE_CRED_EPOCH: NLA_U32, the device's current epoch
 *
 * and, for a revoked device, IOTGUARD_A_DEVICE_CRED_REVOKED (NLA_FLAG)
 * and no key id.
 *
 * IOTGUARD_CMD_DEVICE_REVOKE
 * --------------------------
 *
 * Revokes a device's credential. Takes its identity only. The device's key
 * and its replay state are freed (and zeroed) once the data path's readers
 * are gone, and from the next frame on every frame the device sends is
 * dropped as revoked, whether it had a credential or not, until DEVICE_SET
 * gives it a new key or IOTGUARD_CRED_NONE. Fails with ENOENT for an unknown
 * identity. The events group gets the device with the command
 * IOTGUARD_CMD_DEVICE_REVOKE.
 *
 * IOTGUARD_CMD_ENROLL_NEW
 * -----------------------
 *
 * Makes a one-time enrollment code for an enrolled device
 * (Documentation/protocol.rst, "Enrollment"): the device presents it in a
 * hello to the router, and the router's answer, the welcome, carries the
 * device's new root key, sealed under the code. Takes the device's
 * identity and
 *
 *    IOTGUARD_A_ENROLL_TTL: NLA_U32, 1 to IOTGUARD_ENROLL_TTL_MAX seconds
 *                           the code is good for, required
 *    IOTGUARD_A_DEVICE_CRED_MODE: NLA_U8, IOTGUARD_CRED_AUTH or _SEAL,
 *                                 the credential the device will get,
 *                                 required
 *    IOTGUARD_A_DEVICE_CRED_EXPIRES, _CRED_EPOCH_SECONDS: as for a
 *                                 credential set over netlink, optional
 *
 * and replies (always: the code is the point) with the device's attributes
 * as IOTGUARD_CMD_DEVICE_GET gives them and
 *
 *    IOTGUARD_A_ENROLL_CODE: NUL-terminated string, the code as the
 *                            device takes it ("IGE1-", 8 hex digits of
 *                            its id, "-", 32 of its secret)
 *    IOTGUARD_A_ENROLL_ID: NLA_U32, the code's id
 *
 * The module keeps the code's key, not its secret. A namespace holds at
 * most IOTGUARD_ENROLL_CODES_MAX codes that are unused and not expired
 * (ENOSPC beyond). ENOENT for an unknown identity.
 *
 * IOTGUARD_CMD_ENROLL_HELLO
 * -------------------------
 *
 * Answers a hello that arrived at the router's enrollment port (the
 * router's daemon receives the datagram and passes it on; the module
 * checks it and makes the welcome, so that the root key leaves the module
 * only sealed). Takes, all required:
 *
 *    IOTGUARD_A_ENROLL_PAYLOAD: the hello's UDP payload, exactly
 *                               IOTGUARD_WIRE_NONCE_LEN +
 *                               IOTGUARD_WIRE_TRAILER_LEN bytes
 *    IOTGUARD_A_ENROLL_SADDR: 4 or 16 bytes, the hello's source address
 *    IOTGUARD_A_ENROLL_DADDR: the same size, its destination address
 *    IOTGUARD_A_ENROLL_SPORT: NLA_U16, its source port
 *    IOTGUARD_A_ENROLL_DPORT: NLA_U16, its destination port
 *
 * A valid hello of a code that is unused and not expired gives the code's
 * device a new credential (as DEVICE_SET with a key would: an event
 * IOTGUARD_CMD_DEVICE_SET follows), marks the code used, and replies with
 * the device's attributes and IOTGUARD_A_ENROLL_PAYLOAD, the welcome's UDP
 * payload, to send back from the hello's destination address and port to
 * its source. The same hello again (same nonce and flow: the welcome was
 * lost) gets the same welcome. Any other hello fails: ENOENT for an
 * unknown code, ETIMEDOUT for an expired one, EALREADY for a used one,
 * EBADMSG for a bad form or tag, ENODEV when the code's device is gone;
 * each with an extack message, and, when the code names a device, an
 * alert (IOTGUARD_CMD_ALERT, detector IOTGUARD_ALERT_DET_ENROLL) to the
 * events group. Failed hellos of a namespace are held to
 * IOTGUARD_ENROLL_FAILS_PER_SEC a second: beyond, every hello fails with
 * EBUSY, unchecked, for the rest of that second.
 *
 * IOTGUARD_CMD_ALERT
 * ------------------
 *
 * Announces an alert about an enrolled device: a policy daemon (iotguardd)
 * found it anomalous, acted on it, or lifted its action. The module checks
 * the request and passes it on to the events group (below); it keeps
 * nothing. The device is named as a dump shows it, so that an alert meant
 * for a device deleted meanwhile is not pinned on whoever got its index:
 *
 *    IOTGUARD_A_DEVICE_INDEX: NLA_U32, the device's index, required
 *    IOTGUARD_A_DEVICE_COOKIE: NLA_U32, the device's cookie, required
 *
 * and the alert, in the same attribute space (flat, not nested: the event
 * then carries the device and the alert side by side, and a listener that
 * only knows device events still parses the device part):
 *
 *    IOTGUARD_A_ALERT_DETECTOR: NLA_U8, enum iotguard_alert_detector, at
 *                               most IOTGUARD_ALERT_DET_MAX, required
 *    IOTGUARD_A_ALERT_SCORE: NLA_U32, the anomaly score in thousandths
 *                            (12345 is 12.345), required
 *    IOTGUARD_A_ALERT_ACTION: NLA_U8, enum iotguard_alert_action, at most
 *                             IOTGUARD_ALERT_ACT_MAX, required
 *    IOTGUARD_A_ALERT_TEXT: NUL-terminated string, the explanation for
 *                           people, 1 to IOTGUARD_ALERT_TEXT_LEN - 1 bytes
 *                           long, required
 *    IOTGUARD_A_ALERT_FLAGS: NLA_U32, 0 or more of enum
 *                            iotguard_alert_flag; unknown bits are
 *                            rejected; 0 when absent
 *
 * No other attribute is taken. A missing attribute fails with EINVAL, an
 * extack message and NLMSGERR_ATTR_MISS_TYPE naming it; a device that is
 * not enrolled with that index and cookie with ENOENT. Nothing is sent
 * when no one listens, but the request is checked all the same.
 *
 * Events
 * ------
 *
 * Every change is announced to the multicast group IOTGUARD_MCGRP_EVENTS of
 * the network namespace, which needs CAP_NET_ADMIN in the namespace's user
 * namespace to join (EPERM otherwise; the module does not build for a
 * kernel that cannot enforce it): a message with
 * the command that made the change (IOTGUARD_CMD_DEVICE_NEW, _SET or _DEL)
 * and the device's attributes as IOTGUARD_CMD_DEVICE_GET gives them, after
 * the change (before it, for a delete).
 *
 * Every accepted IOTGUARD_CMD_ALERT goes to the same group as a message with
 * the command IOTGUARD_CMD_ALERT, the device's attributes as
 * IOTGUARD_CMD_DEVICE_GET gives them and the alert's attributes (FLAGS
 * always present). Events leave in the order the module handled the
 * requests: an alert never follows the deletion of its device.
 *
 * IOTGUARD_CMD_LEASE is an event only: a device enrolled by MAC began,
 * renewed or ended a lease (a DHCP ACK left the guarded port towards it,
 * or it sent a DHCP RELEASE). It carries the device's attributes as
 * IOTGUARD_CMD_DEVICE_GET gives them after the change: with the lease
 * attributes while a lease holds, without them once it ended. Leases
 * change in the data path, so these events are not ordered with the
 * others. A lease that runs out sends no event: it ends when its time has
 * passed, as the data path sees it.
 */

#ifndef _UAPI_IOTGUARD_H
#define _UAPI_IOTGUARD_H

#define IOTGUARD_GENL_NAME "iotguard"
#define IOTGUARD_GENL_VERSION 1

#define IOTGUARD_MCGRP_EVENTS "events"

#define IOTGUARD_DEVICE_NAME_LEN 32
#define IOTGUARD_MIN_BURST_BYTES 1536
#define IOTGUARD_ALERT_TEXT_LEN 256
/* Devices per IOTGUARD_A_DEVICES list: fits a nest's 64 KiB at any size. */
#define IOTGUARD_DEVICES_MAX 256

enum iotguard_cmd {
	IOTGUARD_CMD_UNSPEC,
	IOTGUARD_CMD_DEVICE_NEW,
	IOTGUARD_CMD_DEVICE_SET,
	IOTGUARD_CMD_DEVICE_DEL,
	IOTGUARD_CMD_DEVICE_GET,
	IOTGUARD_CMD_ALERT,
	IOTGUARD_CMD_LEASE,
	IOTGUARD_CMD_DEVICE_REVOKE,
	IOTGUARD_CMD_ENROLL_NEW,
	IOTGUARD_CMD_ENROLL_HELLO,
	__IOTGUARD_CMD_MAX
};
#define IOTGUARD_CMD_MAX (__IOTGUARD_CMD_MAX - 1)

/**
 * enum iotguard_device_state - what the data path does with a device
 * @IOTGUARD_STATE_ALLOW: packets pass, within the device's rates
 * @IOTGUARD_STATE_DENY: every packet is dropped
 * @IOTGUARD_STATE_QUARANTINE: packets pass at the module's low quarantine
 *	rate (module parameters quarantine_pps and quarantine_burst), whatever
 *	the device's own rates say
 */
enum iotguard_device_state {
	IOTGUARD_STATE_UNSPEC,
	IOTGUARD_STATE_ALLOW,
	IOTGUARD_STATE_DENY,
	IOTGUARD_STATE_QUARANTINE,
	__IOTGUARD_STATE_MAX
};
#define IOTGUARD_STATE_MAX (__IOTGUARD_STATE_MAX - 1)

/**
 * enum iotguard_device_flag - flags of IOTGUARD_A_DEVICE_FLAGS
 * @IOTGUARD_DEVICE_F_PINNED: the operator fixed the device's state; automatic
 *	policy (the iotguardd daemon) must not change it: the module refuses
 *	its changes (IOTGUARD_DEVICE_F_AUTO). The data path treats pinned
 *	devices like any other.
 * @IOTGUARD_DEVICE_F_AUTO: in a request to IOTGUARD_CMD_DEVICE_SET, the
 *	change is automatic (see there); in replies and events, the device's
 *	state was set by an automatic change, not by an operator. Never in
 *	IOTGUARD_CMD_DEVICE_NEW (EINVAL).
 */
enum iotguard_device_flag {
	IOTGUARD_DEVICE_F_PINNED = 1U << 0,
	IOTGUARD_DEVICE_F_AUTO = 1U << 1,
	__IOTGUARD_DEVICE_F_ALL = IOTGUARD_DEVICE_F_PINNED |
				  IOTGUARD_DEVICE_F_AUTO
};

/**
 * enum iotguard_cred_mode - what a device proves on each UDP datagram
 * @IOTGUARD_CRED_NONE: nothing: it is judged by its address, MAC and rate
 * @IOTGUARD_CRED_AUTH: a trailer whose tag covers the datagram
 *	(Documentation/protocol.rst, mode 1)
 * @IOTGUARD_CRED_SEAL: the same, and the body encrypted (mode 2)
 */
enum iotguard_cred_mode {
	IOTGUARD_CRED_NONE,
	IOTGUARD_CRED_AUTH,
	IOTGUARD_CRED_SEAL,
	__IOTGUARD_CRED_MAX
};
#define IOTGUARD_CRED_MAX (__IOTGUARD_CRED_MAX - 1)

#define IOTGUARD_CRED_KEY_LEN 32
#define IOTGUARD_CRED_EPOCH_SECONDS_DEFAULT 86400
#define IOTGUARD_CRED_EPOCH_SECONDS_MIN 60

/* Enrollment codes: their longest life, a week, and how many may wait. */
#define IOTGUARD_ENROLL_TTL_MAX (7 * 86400)
#define IOTGUARD_ENROLL_CODES_MAX 1024
#define IOTGUARD_ENROLL_FAILS_PER_SEC 16

/**
 * enum iotguard_alert_detector - what found a device anomalous
 * @IOTGUARD_ALERT_DET_NONE: nothing: the alert lifts an earlier action
 * @IOTGUARD_ALERT_DET_SURGE: packets or bytes far above the device's
 *	baseline
 * @IOTGUARD_ALERT_DET_DROP: packets or bytes far below it
 * @IOTGUARD_ALERT_DET_SILENCE: quiet for longer than its usual cadence
 * @IOTGUARD_ALERT_DET_SCAN: destinations, ports, TCP SYNs, ICMP or ARP far
 *	up, or TCP segments with flags no stack sends (OS fingerprinting)
 * @IOTGUARD_ALERT_DET_NEW_DEST: more new destinations than it has learnt
 * @IOTGUARD_ALERT_DET_SIZE: its packet sizes changed
 * @IOTGUARD_ALERT_DET_SPOOF: ARP or NDP from its MAC in the name of an
 *	address not its own (another device's, the router's): poisoning
 * @IOTGUARD_ALERT_DET_ENROLL: a hello for one of its enrollment codes
 *	failed (the module's own alert: used, expired, bad tag)
 * @IOTGUARD_ALERT_DET_FORGED: datagrams in its name failed its
 *	credential (bad tag, replay, expired, revoked): forged or replayed
 *	by someone, or held by the operator; an alert, never an action
 */
enum iotguard_alert_detector {
	IOTGUARD_ALERT_DET_NONE,
	IOTGUARD_ALERT_DET_SURGE,
	IOTGUARD_ALERT_DET_DROP,
	IOTGUARD_ALERT_DET_SILENCE,
	IOTGUARD_ALERT_DET_SCAN,
	IOTGUARD_ALERT_DET_NEW_DEST,
	IOTGUARD_ALERT_DET_SIZE,
	IOTGUARD_ALERT_DET_SPOOF,
	IOTGUARD_ALERT_DET_ENROLL,
	IOTGUARD_ALERT_DET_FORGED,
	__IOTGUARD_ALERT_DET_MAX
};
#define IOTGUARD_ALERT_DET_MAX (__IOTGUARD_ALERT_DET_MAX - 1)

/**
 * enum iotguard_alert_action - what the alert's sender decided to do
 * @IOTGUARD_ALERT_ACT_NONE: nothing
 * @IOTGUARD_ALERT_ACT_ALERT: report only; the device's state is untouched
 * @IOTGUARD_ALERT_ACT_QUARANTINE: set the device's state to
 *	IOTGUARD_STATE_QUARANTINE
 * @IOTGUARD_ALERT_ACT_DENY: set the device's state to IOTGUARD_STATE_DENY
 * @IOTGUARD_ALERT_ACT_RELEASE: lift its earlier action: the device is
 *	calm again
 *
 * The decision, whether or not it was carried out: see the flags.
 */
enum iotguard_alert_action {
	IOTGUARD_ALERT_ACT_NONE,
	IOTGUARD_ALERT_ACT_ALERT,
	IOTGUARD_ALERT_ACT_QUARANTINE,
	IOTGUARD_ALERT_ACT_DENY,
	IOTGUARD_ALERT_ACT_RELEASE,
	__IOTGUARD_ALERT_ACT_MAX
};
#define IOTGUARD_ALERT_ACT_MAX (__IOTGUARD_ALERT_ACT_MAX - 1)

/**
 * enum iotguard_alert_flag - flags of IOTGUARD_A_ALERT_FLAGS
 * @IOTGUARD_ALERT_F_DRY_RUN: the action was decided but, by configuration,
 *	not carried out: the sender only reports
 * @IOTGUARD_ALERT_F_FAILED: carrying the action out failed
 */
enum iotguard_alert_flag {
	IOTGUARD_ALERT_F_DRY_RUN = 1U << 0,
	IOTGUARD_ALERT_F_FAILED = 1U << 1,
	__IOTGUARD_ALERT_F_ALL = IOTGUARD_ALERT_F_DRY_RUN |
				 IOTGUARD_ALERT_F_FAILED
};

enum iotguard_attr {
	IOTGUARD_A_UNSPEC,
	IOTGUARD_A_PAD,
	IOTGUARD_A_DEVICE_IPV4,
	IOTGUARD_A_DEVICE_IPV6,
	IOTGUARD_A_DEVICE_MAC,
	IOTGUARD_A_DEVICE_NAME,
	IOTGUARD_A_DEVICE_STATE,
	IOTGUARD_A_DEVICE_CLASS,
	IOTGUARD_A_DEVICE_RATE_PPS,
	IOTGUARD_A_DEVICE_BURST_PKTS,
	IOTGUARD_A_DEVICE_RATE_BPS,
	IOTGUARD_A_DEVICE_BURST_BYTES,
	IOTGUARD_A_DEVICE_FLAGS,
	IOTGUARD_A_DEVICE_INDEX,
	IOTGUARD_A_DEVICE_COOKIE,
	IOTGUARD_A_ALERT_DETECTOR,
	IOTGUARD_A_ALERT_SCORE,
	IOTGUARD_A_ALERT_ACTION,
	IOTGUARD_A_ALERT_TEXT,
	IOTGUARD_A_ALERT_FLAGS,
	IOTGUARD_A_DEVICES,
	IOTGUARD_A_DEVICE,
	IOTGUARD_A_DEVICE_LEASE_IPV4,
	IOTGUARD_A_DEVICE_LEASE_SECONDS,
	IOTGUARD_A_DEVICE_IPV6_PREFIX_LEN,
	IOTGUARD_A_DEVICE_STATE_SECONDS,
	IOTGUARD_A_DEVICE_CRED_MODE,
	IOTGUARD_A_DEVICE_CRED_KEY,
	IOTGUARD_A_DEVICE_CRED_EXPIRES,
	IOTGUARD_A_DEVICE_CRED_EPOCH_SECONDS,
	IOTGUARD_A_DEVICE_CRED_KEY_ID,
	IOTGUARD_A_DEVICE_CRED_EPOCH,
	IOTGUARD_A_DEVICE_CRED_REVOKED,
	IOTGUARD_A_ENROLL_TTL,
	IOTGUARD_A_ENROLL_CODE,
	IOTGUARD_A_ENROLL_ID,
	IOTGUARD_A_ENROLL_PAYLOAD,
	IOTGUARD_A_ENROLL_SADDR,
	IOTGUARD_A_ENROLL_DADDR,
	IOTGUARD_A_ENROLL_SPORT,
	IOTGUARD_A_ENROLL_DPORT,
	__IOTGUARD_A_MAX
};
#define IOTGUARD_A_MAX (__IOTGUARD_A_MAX - 1)

#endif /* _UAPI_IOTGUARD_H */
