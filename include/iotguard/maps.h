/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * The BPF map ABI between the XDP program (bpf/) and the tools (user/).
 *
 * The maps and links are pinned, so that enforcement and its counters
 * outlive the tool that attached the program. Device indexes and cookies
 * are those of the module's table of one network namespace, so each
 * namespace has its own pin directory, its own maps and its own links,
 * shared by every guarded interface of that namespace and by nothing else:
 *
 *	IOTGUARD_PIN_DIR                  the initial namespace's maps
 *	IOTGUARD_PIN_DIR/links/<ifname>   its links
 *	IOTGUARD_NETNS_DIR/<cookie>/      another namespace's maps, and links/
 *
 * <cookie> is the namespace's cookie (SO_NETNS_COOKIE, in decimal), which
 * the kernel never gives to two namespaces while it runs. A namespace's
 * pins stay after its last link is detached or its namespace is gone, as
 * the initial namespace's do, until removed (rm -r).
 */
#ifndef _IOTGUARD_MAPS_H
#define _IOTGUARD_MAPS_H

#include <linux/types.h>

/*
 * Times in the maps are the program's clock, bpf_ktime_get_coarse_ns():
 * CLOCK_MONOTONIC at the resolution of a timer tick (CLOCK_MONOTONIC_COARSE).
 */

#define IOTGUARD_PIN_DIR "/sys/fs/bpf/iotguard"
#define IOTGUARD_NETNS_DIR IOTGUARD_PIN_DIR "/netns"
/* Links, under a namespace's pin directory. */
#define IOTGUARD_LINK_SUBDIR "links"
#define IOTGUARD_LINK_DIR IOTGUARD_PIN_DIR "/" IOTGUARD_LINK_SUBDIR

/* Map names, as pinned in a namespace's pin directory. */
#define IOTGUARD_MAP_GLOBAL "iotguard_global"
#define IOTGUARD_MAP_DEVSTATS "iotguard_devstats"
#define IOTGUARD_MAP_RATE "iotguard_rate"
#define IOTGUARD_MAP_UNKNOWN "iotguard_unknown"
#define IOTGUARD_MAP_UNKNOWN_CPU "iotguard_unknown_cpu"
#define IOTGUARD_MAP_UNKNOWN_BUDGET "iotguard_unknown_budget"

/*
 * Each port's neighbour budget by default (the program's neigh_pps and
 * neigh_burst): ARP and NDP frames per second, and back to back, of
 * senders no device accounts for (ARP probes, DAD, link-local NDP, MLD).
 * A port of a few hundred devices that all boot at once stays within it.
 */
#define IOTGUARD_NEIGH_PPS 100
#define IOTGUARD_NEIGH_BURST 200

/* Entries of the recent unknown sources LRU. */
#define IOTGUARD_UNKNOWN_MAX 4096

/* Slots of each CPU's cache in front of it (a power of 2). */
#define IOTGUARD_UNKNOWN_CPU_SLOTS 256

/*
 * New sources each CPU adds to the LRU per tick of the program's clock, by
 * default (the program's unknown_new_per_tick): 1000 a second per CPU at
 * HZ=250. Adding one costs more than all else a dropped frame costs, and a
 * flood from spoofed sources would add one per frame.
 */
#define IOTGUARD_UNKNOWN_NEW_PER_TICK 4

/**
 * enum iotguard_reason - why a frame passed or was dropped
 *
 * Indexes the global per-CPU counters (map IOTGUARD_MAP_GLOBAL). In monitor
 * mode a frame is counted under the reason it would have been dropped for
 * and passes.
 */
enum iotguard_reason {
	IOTGUARD_R_PASS,	/* enrolled device, within its rate */
	IOTGUARD_R_UNKNOWN,	/* source not enrolled */
	IOTGUARD_R_DENIED,	/* device in state deny */
	IOTGUARD_R_SPOOFED,	/* enrolled address from another MAC */
	IOTGUARD_R_RATE,	/* over the device's (or quarantine) rate */
	IOTGUARD_R_PARSE,	/* truncated or malformed headers */
	IOTGUARD_R_NON_IP,	/* neither IP nor ARP */
	IOTGUARD_R_NEIGH,	/* ARP, NDP or MLD that passed inspection */
	IOTGUARD_R_ARP,		/* ARP failing inspection: forged sender */
	IOTGUARD_R_NDP,		/* NDP failing inspection: RA, redirect, bad
				 * hop limit, fragment, routed destination,
				 * forged source or target
				 */
	IOTGUARD_R_NEIGH_RATE,	/* over the port's budget for the ARP and NDP
				 * of senders no device accounts for
				 */
	IOTGUARD_R_LINK,	/* link-local control frame (STP, LLDP,
				 * EAPOL, 802.3 LLC): passes by the port's
				 * link_frames policy
				 */
	IOTGUARD_R_DHCP_SERVER,	/* DHCP server message from the device side */
	IOTGUARD_R_CONTENDED,	/* lost the device's rate state to other
				 * CPUs too often to be judged
				 */
	IOTGUARD_R_BAD_TAG,	/* a credential's device: no trailer or a
				 * bad one (protocol.rst), or not UDP
				 */
	IOTGUARD_R_REPLAY,	/* its counter seen, or older than the window */
	IOTGUARD_R_EXPIRED,	/* its credential or epoch expired */
	IOTGUARD_R_REVOKED,	/* its credential was revoked */
	IOTGUARD_R_MAX
};

struct iotguard_counter {
	__u64 packets;
	__u64 bytes;
};

/*
 * Per-device counters, a per-CPU hash keyed by the device index (__u32; map
 * IOTGUARD_MAP_DEVSTATS, BPF_F_NO_PREALLOC, max_entries = the module's
 * max_devices). The program makes a device's entry on its first counted
 * frame, so the map's memory follows the devices that sent, not
 * max_devices: an index without an entry has counted nothing. The index of
 * a deleted device is reused, entry and all: the program restarts a CPU's
 * value when its cookie is not the device's (struct iotguard_verdict.cookie,
 * netlink IOTGUARD_A_DEVICE_COOKIE), and readers sum only the CPUs whose
 * value has the device's cookie. Per CPU, so that counting takes no atomic
 * and stays exact when a device's frames arrive on several CPUs.
 */
struct iotguard_dev_stats {
	struct iotguard_counter pass;
	struct iotguard_counter denied;
	struct iotguard_counter spoofed;
	struct iotguard_counter rate;
	struct iotguard_counter bad_tag;	/* IOTGUARD_R_BAD_TAG ... */
	struct iotguard_counter replay;
	struct iotguard_counter expired;
	struct iotguard_counter revoked;	/* ... IOTGUARD_R_REVOKED */
	__u64 last_seen_ns;	/* the program's clock at the last frame (below) */
	__u32 cookie;		/* the device these counters are for */
	__u32 pad;
};

/*
 * GCRA state per device index (map IOTGUARD_MAP_RATE, a shared array so that
 * a device's rate holds across CPUs). Updated with compare-and-swap.
 */
struct iotguard_rate_state {
	__u64 pkt_tat;		/* theoretical arrival time, packets */
	__u64 byte_tat;		/* theoretical arrival time, bytes */
	__u32 cookie;		/* struct iotguard_verdict.cookie it is for */
	__u32 rate_seq;		/* struct iotguard_verdict.rate_seq it is for */
};

/* Key and value of the recent unknown sources LRU (IOTGUARD_MAP_UNKNOWN). */
struct iotguard_unknown_key {
	__u8 addr[16];
	__u8 family;
	__u8 pad[3];
};

struct iotguard_unknown_val {
	__u64 first_ns;		/* the program's clock (below) */
	__u64 last_ns;
	__u64 packets;
	__u8 mac[6];		/* last source MAC seen */
	__u8 pad[2];
};

/*
 * A slot of the per-CPU cache of unknown sources in front of the LRU (map
 * IOTGUARD_MAP_UNKNOWN_CPU, a per-CPU array of IOTGUARD_UNKNOWN_CPU_SLOTS).
 * A flood from an unknown source would otherwise cost a shared hash lookup
 * and an atomic add per frame; the program counts the frames of the source
 * a slot holds in the slot, on this CPU alone, and folds them into the LRU
 * when another source takes the slot. @val.packets are the frames not yet
 * folded (0: the slot is free); @val.first_ns is the first of them. A
 * source's totals are its LRU entry plus its slots on every CPU: readers
 * add both (user/lib/maps.c).
 */
struct iotguard_unknown_slot {
	struct iotguard_unknown_val val;
	struct iotguard_unknown_key key;
	__u32 pad;
};

/*
 * Each CPU's budget of new LRU entries (map IOTGUARD_MAP_UNKNOWN_BUDGET, a
 * per-CPU array of one). Frames of a source that found neither an LRU
 * entry nor budget left are counted in @unrecorded only (and, as every
 * frame, in the global counters).
 */
struct iotguard_unknown_budget {
	__u64 tick_ns;		/* the program's clock when @left was refilled */
	__u64 unrecorded;	/* frames of sources left out of the LRU */
	__u32 left;		/* new entries this CPU may still add */
	__u32 pad;
};

#endif /* _IOTGUARD_MAPS_H */
