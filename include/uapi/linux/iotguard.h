/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Copyright (C) 2026 The iotguard authors.
 *
 * Documentation
 * =============
 *
 * The iotguard module holds, per network namespace, the table of the IoT
 * devices that may talk through the guarded ports of a router. Each device is
 * known by its identity, an IPv4 or IPv6 source address, optionally bound to
 * the Ethernet address it must send from. An XDP program on each guarded
 * port asks the module, per packet, what to do with the sender: unknown
 * sources are dropped, and so are denied devices, devices sending from the
 * wrong MAC and devices over their rate.
 *
 * The table is configured over generic netlink, family IOTGUARD_GENL_NAME,
 * version IOTGUARD_GENL_VERSION. Every command needs CAP_NET_ADMIN in the
 * user namespace owning the network namespace of the socket. Attributes are
 * validated strictly: an attribute a command does not take is rejected, and
 * every rejection carries an extended ACK message saying why. An attribute
 * of the wrong size or out of its range fails with ERANGE or EINVAL (as the
 * kernel's policy checks answer), a wrong combination with EINVAL.
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
 *                            :: or IPv6 multicast)
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
 *
 * Fails with EEXIST if the identity is enrolled already and with ENOSPC when
 * the table holds the module's max_devices. On success the device gets the
 * lowest free index (IOTGUARD_A_DEVICE_INDEX), which keys its counters in
 * the XDP program's maps; the index of a deleted device is reused.
 *
 * IOTGUARD_CMD_DEVICE_SET
 * -----------------------
 *
 * Changes an enrolled device. Takes its identity and any of the optional
 * attributes of IOTGUARD_CMD_DEVICE_NEW; the ones absent keep their value,
 * except that a new rate given without its burst gets the new rate's
 * default burst.
 * The change is atomic for the data path: a packet sees the device either
 * wholly before or wholly after it. Fails with ENOENT for an unknown
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
 *                              XDP program's maps carries it
 *
 * Events
 * ------
 *
 * Every change is announced to the multicast group IOTGUARD_MCGRP_EVENTS of
 * the network namespace, which needs CAP_NET_ADMIN to join: a message with
 * the command that made the change (IOTGUARD_CMD_DEVICE_NEW, _SET or _DEL)
 * and the device's attributes as IOTGUARD_CMD_DEVICE_GET gives them, after
 * the change (before it, for a delete).
 */

#ifndef _UAPI_IOTGUARD_H
#define _UAPI_IOTGUARD_H

#define IOTGUARD_GENL_NAME "iotguard"
#define IOTGUARD_GENL_VERSION 1

#define IOTGUARD_MCGRP_EVENTS "events"

#define IOTGUARD_DEVICE_NAME_LEN 32
#define IOTGUARD_MIN_BURST_BYTES 1536

enum iotguard_cmd {
	IOTGUARD_CMD_UNSPEC,
	IOTGUARD_CMD_DEVICE_NEW,
	IOTGUARD_CMD_DEVICE_SET,
	IOTGUARD_CMD_DEVICE_DEL,
	IOTGUARD_CMD_DEVICE_GET,
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
 *	policy (the iotguardd daemon) must not change it. The module itself
 *	treats pinned devices like any other.
 */
enum iotguard_device_flag {
	IOTGUARD_DEVICE_F_PINNED = 1U << 0,
	__IOTGUARD_DEVICE_F_ALL = IOTGUARD_DEVICE_F_PINNED
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
	__IOTGUARD_A_MAX
};
#define IOTGUARD_A_MAX (__IOTGUARD_A_MAX - 1)

#endif /* _UAPI_IOTGUARD_H */
