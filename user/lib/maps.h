/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF side of iotguard: attaching the XDP program to an interface and
 * reading the counters it keeps in the maps of include/iotguard/maps.h.
 *
 * Functions return 0 or a negative errno; iotguard_maps_error() then gives
 * details when there are any (else the empty string), until the next call.
 */
#ifndef IOTGUARD_USER_MAPS_H
#define IOTGUARD_USER_MAPS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <iotguard/maps.h>

enum iotguard_xdp_mode {
	IOTGUARD_XDP_NATIVE,	/* in the driver: XDP_FLAGS_DRV_MODE */
	IOTGUARD_XDP_GENERIC,	/* after the skb is built: XDP_FLAGS_SKB_MODE */
};

const char *iotguard_maps_error(void);
const char *iotguard_xdp_mode_name(enum iotguard_xdp_mode mode);

/* The sysfs module parameter the per-device maps are sized by. */
#define IOTGUARD_MAX_DEVICES_PARAM "/sys/module/iotguard/parameters/max_devices"

/*
 * A port's policy, set when its program is loaded (the program's read-only
 * tunables): monitor mode, whether link control frames (STP, LLDP, EAPOL,
 * LLC) pass, and the port's neighbour budget for the ARP and NDP of
 * senders no device accounts for (frames per second, 0 for no limit, and
 * back to back).
 */
struct iotguard_port_policy {
	bool monitor;
	bool link_frames;
	uint32_t neigh_pps;
	uint32_t neigh_burst;
};

/*
 * The defaults: enforcing, link frames pass, IOTGUARD_NEIGH_PPS/_BURST.
 * Inline: tests/fuzz/kernel_stub.c replaces maps.c but parses as it does.
 */
static inline void
iotguard_port_policy_init(struct iotguard_port_policy *policy)
{
	policy->monitor = false;
	policy->link_frames = true;
	policy->neigh_pps = IOTGUARD_NEIGH_PPS;
	policy->neigh_burst = IOTGUARD_NEIGH_BURST;
}

/*
 * All that follows works on the calling thread's network namespace: its
 * pin directory (pins.h, include/iotguard/maps.h), its maps and links.
 *
 * Loads the XDP program, sharing the maps pinned in the namespace's
 * directory (creating them the first time), attaches it to ifname with a
 * BPF link and pins the link as links/<ifname> there, so that it stays
 * after the tool exits. In monitor mode the program counts and passes
 * everything. An interface attached already in the same mode gets the new
 * program in place (switching between monitor and enforcing, or to another
 * policy, without a gap).
 */
int iotguard_attach(const char *ifname,
		    const struct iotguard_port_policy *policy,
		    enum iotguard_xdp_mode mode);
/* Detaches the program from ifname: unpins and detaches its link. */
int iotguard_detach(const char *ifname);

struct iotguard_link_status {
	char pin_name[NAME_MAX + 1];	/* the interface's name at attach */
	char ifname[IF_NAMESIZE];	/* its name now; "" if gone */
	uint32_t ifindex;		/* 0 if gone */
	uint32_t link_id;
	uint32_t prog_id;
	bool gone;			/* interface deleted: link is dead */
	bool renamed;			/* ifname differs from pin_name */
	bool mode_known;		/* mode could be queried */
	enum iotguard_xdp_mode mode;
	int monitor;			/* 1, 0, or -1 if unknown */
};

typedef int (*iotguard_link_cb)(const struct iotguard_link_status *status,
				void *data);
/* Calls cb for each pinned link, in name order. */
int iotguard_links_walk(iotguard_link_cb cb, void *data);

/* The pinned maps, for reading. */
struct iotguard_maps;

int iotguard_maps_open(struct iotguard_maps **mapsp);
void iotguard_maps_close(struct iotguard_maps *maps);
/* The pin directory the maps were opened from. */
const char *iotguard_maps_dir(const struct iotguard_maps *maps);

/* JSON keys, table labels and metric labels of enum iotguard_reason. */
const char *iotguard_reason_name(enum iotguard_reason reason);

/*
 * The reasons a device's frames are dropped for that its own counters
 * keep (struct iotguard_dev_stats), in that struct's order: the counter
 * of the i-th, below IOTGUARD_DEV_DROPS, and the reason's name in *name.
 */
#define IOTGUARD_DEV_DROPS 7
const struct iotguard_counter *
iotguard_dev_drop(const struct iotguard_dev_stats *stats, unsigned int i,
		  const char **name);

/* Sums the per-CPU counters by reason. */
int iotguard_maps_global(struct iotguard_maps *maps,
			 struct iotguard_counter out[IOTGUARD_R_MAX]);

/*
 * Sums the per-CPU counters of the device at index, over the CPUs whose
 * value carries the device's cookie; last_seen_ns is the latest of those.
 * The counters of a device that sent nothing yet (no entry) are all zero.
 */
int iotguard_maps_device(struct iotguard_maps *maps, uint32_t index,
			 uint32_t cookie, struct iotguard_dev_stats *out);
/*
 * Between _begin() and _end(), iotguard_maps_device() reads many devices
 * per system call, as iotguard_features_batch_begin() (featmap.h) does.
 */
void iotguard_maps_batch_begin(struct iotguard_maps *maps);
void iotguard_maps_batch_end(struct iotguard_maps *maps);

typedef int (*iotguard_unknown_cb)(const struct iotguard_unknown_key *key,
				   const struct iotguard_unknown_val *val,
				   void *data);
/*
 * Calls cb for each recent unknown source, in key order, with its counts
 * in the LRU and in the per-CPU cache in front of it added up (struct
 * iotguard_unknown_slot). Frames the program moves from the cache to the
 * LRU during the call may be missed by it, never counted twice.
 */
int iotguard_maps_unknown(struct iotguard_maps *maps, iotguard_unknown_cb cb,
			  void *data);
/* The same, from the given maps (of a program loaded apart, in tests). */
int iotguard_unknown_walk(int lru_fd, int cache_fd, iotguard_unknown_cb cb,
			  void *data);
/*
 * Frames of unknown sources that are in no entry: sources the program had
 * no budget to add to the LRU (struct iotguard_unknown_budget), summed over
 * the CPUs. The _unrecorded() form reads the given budget map.
 */
int iotguard_maps_unknown_unrecorded(struct iotguard_maps *maps,
				     uint64_t *frames);
int iotguard_unknown_unrecorded(int budget_fd, uint64_t *frames);

/*
 * Converts a bpf_ktime_get_ns() time (CLOCK_MONOTONIC) to nanoseconds since
 * the epoch, by the current offset between the two clocks.
 */
uint64_t iotguard_ktime_to_realtime_ns(uint64_t ktime_ns);

#endif /* IOTGUARD_USER_MAPS_H */
