/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * The kfunc ABI between iotguard.ko and the programs on a guarded port.
 *
 * The XDP program parses a frame into a struct iotguard_key and calls
 *
 *   int iotguard_xdp_lookup(struct xdp_md *ctx,
 *                           const struct iotguard_key *key, u32 key__sz,
 *                           struct iotguard_verdict *verdict,
 *                           u32 verdict__sz);
 *
 * which looks the source up in the device table of the network namespace of
 * the receiving device, under RCU only: an enrolled address, else (IPv6)
 * the longest enrolled prefix holding it, else an address a device
 * enrolled by MAC leased (IPv4, DHCP) or bound (IPv6, below). It returns 0 and fills *verdict when the
 * source is enrolled, -ENOENT when it is not and -EINVAL when a size is not
 * the one of this header. Sizes are checked so that a program built against
 * another version of this header fails instead of misreading.
 *
 * DHCP snooping (struct iotguard_lease_msg): the TC program on the port's
 * egress calls, for each DHCP ACK leaving towards a device,
 *
 *   int iotguard_skb_lease_begin(struct __sk_buff *skb,
 *                                const struct iotguard_lease_msg *msg,
 *                                u32 msg__sz);
 *
 * and the XDP program, for each DHCP RELEASE a device sends,
 *
 *   int iotguard_xdp_lease_end(struct xdp_md *ctx,
 *                              const struct iotguard_lease_msg *msg,
 *                              u32 msg__sz);
 *
 * ARP and NDP in the name of an address that is not the sender's (another
 * device's, or nobody's) are dropped; to count them as the behaviour of
 * the device that sent them, the XDP program asks who sends from the
 * frame's source MAC:
 *
 *   int iotguard_xdp_lookup_mac(struct xdp_md *ctx, const __u8 *mac,
 *                               __u32 mac__sz,
 *                               struct iotguard_verdict *verdict,
 *                               __u32 verdict__sz);
 *
 * which fills *verdict for the device enrolled by that MAC, else one
 * enrolled by address with that MAC bound (the first found, where several
 * bind it), and returns 0; -ENOENT when no device sends from it, -EINVAL
 * for a size other than 6 or the verdict's.
 *
 * NDP from a device to a unicast destination (a NUD probe of the router, an
 * answer to the router's solicitation) passes only when the destination
 * is the router's own: the XDP program asks
 *
 *   int iotguard_xdp_local_addr(struct xdp_md *ctx, const __u8 *addr,
 *                               __u32 addr__sz);
 *
 * which returns 1 when the 16-byte IPv6 address is one of the receiving
 * device's namespace, 0 when not, -EINVAL for a size other than 16.
 *
 * A device enrolled by MAC binds the IPv6 addresses it configures, first
 * come, first served: for neighbour discovery in the name of an address
 * nobody holds (a DAD solicitation for it, a solicitation from it, an
 * advertisement of it), the XDP program calls
 *
 *   int iotguard_xdp_bind(struct xdp_md *ctx,
 *                         const struct iotguard_key *key, __u32 key__sz);
 *
 * with the address (family AF_INET6) and the frame's source MAC. It
 * returns 0 when the address is (now) bound to the device enrolled by that
 * MAC, -ENOENT when no device is, -EADDRINUSE when another device holds
 * the address, -EINVAL for a bad size, family or address, -ENOMEM.
 *
 * A device with a credential (IOTGUARD_VERDICT_F_CRED) proves itself on
 * each UDP datagram (Documentation/protocol.rst). Once the datagram passed
 * the device's state, MAC and rate, the XDP program calls
 *
 *   int iotguard_xdp_cred_open(struct xdp_md *ctx,
 *                              const struct iotguard_cred_req *req,
 *                              __u32 req__sz);
 *
 * with the verdict's index and cookie and where the datagram's IP and UDP
 * headers are. The module checks the trailer (form, epoch, replay window,
 * tag; a sealed body is decrypted in place once the tag verified), and on
 * success moves the window, shortens the IP and UDP lengths by the
 * trailer's IOTGUARD_WIRE_TRAILER_LEN bytes, writes the UDP checksum (and
 * the IPv4 header's) of the shortened datagram and returns
 * IOTGUARD_CRED_OK: the program then cuts the trailer off the frame's end
 * (bpf_xdp_adjust_tail()). Else it changes nothing and returns why the
 * datagram is to be dropped (enum iotguard_cred_result); -ENOENT when the
 * device is gone, -EINVAL for a bad size. The datagram must end the frame
 * (no Ethernet padding after it) and be whole (not an IPv4 fragment), or
 * it is IOTGUARD_CRED_BAD_TAG.
 *
 * The lease kfuncs return 0 when the device enrolled by msg->mac began (or renewed)
 * or ended a lease of msg->addr, -ENOENT when no device is enrolled by
 * that MAC (or, to end, holds no lease of that address), -EINVAL for a bad
 * size or address, -ENOMEM.
 */
#ifndef _IOTGUARD_KFUNC_H
#define _IOTGUARD_KFUNC_H

#include <linux/types.h>

/*
 * The ABI's version: a kfunc or a structure of this header that changes
 * changes it. The module shows its own in IOTGUARD_KFUNC_ABI_PARAM (read
 * only); the loader refuses a module of another, as the kfuncs refuse a
 * structure of another size.
 */
#define IOTGUARD_KFUNC_ABI 2
#define IOTGUARD_KFUNC_ABI_PARAM "/sys/module/iotguard/parameters/kfunc_abi"
/* The module's BTF, as the kernel took it: no kfunc without it. */
#define IOTGUARD_MODULE_BTF "/sys/kernel/btf/iotguard"

/**
 * struct iotguard_key - who sent a frame
 * @addr: source address; an IPv4 address in the first 4 bytes, the others 0
 * @family: AF_INET or AF_INET6; or AF_PACKET (17) for a DHCP client's
 *	message from 0.0.0.0 whose client hardware address is the frame's
 *	source: the device enrolled by @mac, whatever @addr
 * @pad: must be 0
 * @mac: Ethernet source address, checked against the device's binding
 */
struct iotguard_key {
	__u8 addr[16];
	__u8 family;
	__u8 pad;
	__u8 mac[6];
};

/* struct iotguard_verdict.flags */
#define IOTGUARD_VERDICT_F_SPOOFED (1U << 0) /* MAC differs from the binding */
/* Each UDP datagram must carry a valid trailer: iotguard_xdp_cred_open(). */
#define IOTGUARD_VERDICT_F_CRED (1U << 1)
/* The device's credential was revoked: every frame of it is dropped. */
#define IOTGUARD_VERDICT_F_REVOKED (1U << 2)

/**
 * struct iotguard_verdict - what the module knows of an enrolled sender
 * @index: the device's dense index, below the module's max_devices
 * @cookie: differs between any two devices that ever held @index, so that
 *	per-index state (the rate limiter's) is reset for a new device
 * @state: enum iotguard_device_state
 * @flags: IOTGUARD_VERDICT_F_*
 * @class: the device's class
 * @rate_seq: changes whenever the device's state or rates change, so that
 *	the program starts the device's limiter afresh (a released device
 *	does not inherit the debt it ran up in quarantine)
 * @pkt_interval_ns: GCRA emission interval of one packet; 0: no packet limit
 * @pkt_tolerance_ns: a packet passes while the theoretical arrival time,
 *	after it, is at most this far ahead of now (burst * interval)
 * @byte_cost_fp: nanoseconds one byte costs, in 1/1024 ns (fixed point, so
 *	that the program multiplies and shifts instead of dividing); 0: no
 *	byte limit
 * @byte_tolerance_ns: as @pkt_tolerance_ns, for bytes
 *
 * For a quarantined device the rates are the module's quarantine rates.
 */
struct iotguard_verdict {
	__u32 index;
	__u32 cookie;
	__u8 state;
	__u8 flags;
	__u16 class;
	__u32 rate_seq;
	__u64 pkt_interval_ns;
	__u64 pkt_tolerance_ns;
	__u64 byte_cost_fp;
	__u64 byte_tolerance_ns;
};

#define IOTGUARD_BYTE_COST_SHIFT 10

/**
 * struct iotguard_cred_req - a datagram to check against its credential
 * @index: the sender's struct iotguard_verdict.index
 * @cookie: and its cookie
 * @l3_off: offset of the IPv4 or IPv6 header from the frame's start
 * @l4_off: offset of the UDP header
 */
struct iotguard_cred_req {
	__u32 index;
	__u32 cookie;
	__u16 l3_off;
	__u16 l4_off;
};

/**
 * enum iotguard_cred_result - what iotguard_xdp_cred_open() found
 * @IOTGUARD_CRED_OK: the datagram is the device's: cut the trailer off
 * @IOTGUARD_CRED_BAD_TAG: no trailer, a malformed one, another mode or
 *	version, an epoch that is neither the current nor the next, or a tag
 *	that does not verify
 * @IOTGUARD_CRED_REPLAY: a counter seen already, or older than the window
 * @IOTGUARD_CRED_EXPIRED: the credential's expiry, or its epoch's, passed
 * @IOTGUARD_CRED_REVOKED: the device's credential was revoked
 */
enum iotguard_cred_result {
	IOTGUARD_CRED_OK,
	IOTGUARD_CRED_BAD_TAG,
	IOTGUARD_CRED_REPLAY,
	IOTGUARD_CRED_EXPIRED,
	IOTGUARD_CRED_REVOKED,
};

/**
 * struct iotguard_lease_msg - a lease that DHCP began or ended
 * @mac: the client's hardware address (chaddr)
 * @pad: must be 0
 * @addr: the address leased (yiaddr of an ACK) or released (ciaddr)
 * @seconds: the lease time of an ACK (option 51), 0xffffffff for an
 *	infinite lease; 0 to end
 */
struct iotguard_lease_msg {
	__u8 mac[6];
	__u16 pad;
	__be32 addr;
	__u32 seconds;
};

#endif /* _IOTGUARD_KFUNC_H */
