// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching the iotguard XDP program and reading its maps.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <iotguard/kfunc.h>
#include "iotguard.skel.h"
#include "array.h"
#include "batchread.h"
#include "maps.h"
#include "pins.h"
#include <iotguard/features.h>

#define BPFFS_ROOT "/sys/fs/bpf"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct iotguard_maps {
	int global_fd;
	int devstats_fd;
	int unknown_fd;
	int unknown_cpu_fd;
	int unknown_budget_fd;
	uint32_t global_entries;
	uint32_t devstats_entries;
	int nr_cpus;
	struct iotguard_batch_reader devstats;	/* of devstats_fd */
	char dir[PATH_MAX];	/* the namespace's pin directory */
};

static _Thread_local char maps_error[256];

const char *iotguard_maps_error(void)
{
	return maps_error;
}

static void set_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(maps_error, sizeof(maps_error), fmt, ap);
	va_end(ap);
}

const char *iotguard_xdp_mode_name(enum iotguard_xdp_mode mode)
{
	return mode == IOTGUARD_XDP_GENERIC ? "generic" : "native";
}

static const char *const reason_names[IOTGUARD_R_MAX] = {
	[IOTGUARD_R_PASS] = "pass",
	[IOTGUARD_R_UNKNOWN] = "unknown",
	[IOTGUARD_R_DENIED] = "denied",
	[IOTGUARD_R_SPOOFED] = "spoofed",
	[IOTGUARD_R_RATE] = "rate",
	[IOTGUARD_R_PARSE] = "parse",
	[IOTGUARD_R_NON_IP] = "non_ip",
	[IOTGUARD_R_NEIGH] = "neigh",
	[IOTGUARD_R_ARP] = "arp",
	[IOTGUARD_R_NDP] = "ndp",
	[IOTGUARD_R_NEIGH_RATE] = "neigh_rate",
	[IOTGUARD_R_LINK] = "link",
	[IOTGUARD_R_DHCP_SERVER] = "dhcp_server",
	[IOTGUARD_R_CONTENDED] = "contended",
	[IOTGUARD_R_BAD_TAG] = "bad_tag",
	[IOTGUARD_R_REPLAY] = "replay",
	[IOTGUARD_R_EXPIRED] = "expired",
	[IOTGUARD_R_REVOKED] = "revoked",
};

const char *iotguard_reason_name(enum iotguard_reason reason)
{
	return reason < IOTGUARD_R_MAX ? reason_names[reason] : "?";
}

const struct iotguard_counter *
iotguard_dev_drop(const struct iotguard_dev_stats *stats, unsigned int i,
		  const char **name)
{
	static const enum iotguard_reason reasons[IOTGUARD_DEV_DROPS] = {
		IOTGUARD_R_DENIED, IOTGUARD_R_SPOOFED, IOTGUARD_R_RATE,
		IOTGUARD_R_BAD_TAG, IOTGUARD_R_REPLAY, IOTGUARD_R_EXPIRED,
		IOTGUARD_R_REVOKED,
	};
	const struct iotguard_counter *drops[IOTGUARD_DEV_DROPS] = {
		&stats->denied, &stats->spoofed, &stats->rate,
		&stats->bad_tag, &stats->replay, &stats->expired,
		&stats->revoked,
	};

	if (i >= IOTGUARD_DEV_DROPS)
		return NULL;
	*name = reason_names[reasons[i]];
	return drops[i];
}

/* This namespace's pin directory (pins.h), with an error to say. */
static int pin_dir(char *dir, size_t len)
{
	int ret = iotguard_pin_dir(dir, len);

	if (ret)
		set_error("cannot find this network namespace's pin directory: %s",
			  strerror(-ret));
	return ret;
}

/*
 * The link's pin path in the namespace's directory dir; interface names
 * are single path components.
 */
static int link_path(const char *dir, const char *ifname, char *path,
		     size_t len)
{
	if (!*ifname || strlen(ifname) >= IF_NAMESIZE ||
	    strchr(ifname, '/') || !strcmp(ifname, ".") ||
	    !strcmp(ifname, "..")) {
		set_error("\"%s\" is not a valid interface name", ifname);
		return -EINVAL;
	}
	snprintf(path, len, "%s/%s/%s", dir, IOTGUARD_LINK_SUBDIR, ifname);
	return 0;
}

/* The module's kfuncs are the ones this program calls, or it is refused. */
static int check_kfunc_abi(void)
{
	unsigned int abi = 0;
	FILE *f;
	int ok;

	/*
	 * A module whose BTF the kernel rejected (built for another kernel,
	 * where the kernel lets a mismatch load) registered no kfunc.
	 */
	if (access(IOTGUARD_MODULE_BTF, F_OK)) {
		set_error("the kernel rejected the iotguard module's BTF (no %s: a module built for another kernel?): it has no kfuncs",
			  IOTGUARD_MODULE_BTF);
		return -ENOENT;
	}
	f = fopen(IOTGUARD_KFUNC_ABI_PARAM, "r");
	if (!f) {
		set_error("the iotguard module shows no kfunc ABI (%s): a module older than these tools?",
			  IOTGUARD_KFUNC_ABI_PARAM);
		return -ENOENT;
	}
	ok = fscanf(f, "%u", &abi) == 1;
	fclose(f);
	if (!ok || abi != IOTGUARD_KFUNC_ABI) {
		set_error("the iotguard module's kfunc ABI is %u, these tools' %u: install the module and the tools of one version",
			  abi, IOTGUARD_KFUNC_ABI);
		return -EPROTO;
	}
	return 0;
}

static int read_max_devices(uint32_t *max_devices)
{
	unsigned int value;
	FILE *f;
	int ret;

	f = fopen(IOTGUARD_MAX_DEVICES_PARAM, "r");
	if (!f) {
		ret = -errno;
		if (ret == -ENOENT)
			set_error("%s missing (iotguard module not loaded?)",
				  IOTGUARD_MAX_DEVICES_PARAM);
		return ret;
	}
	ret = fscanf(f, "%u", &value) == 1 && value ? 0 : -EINVAL;
	fclose(f);
	if (ret)
		set_error("unexpected contents in %s",
			  IOTGUARD_MAX_DEVICES_PARAM);
	else
		*max_devices = value;
	return ret;
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0700) && errno != EEXIST) {
		int ret = -errno;

		set_error("cannot create %s", path);
		return ret;
	}
	return 0;
}

/*
 * Pins need a bpffs at /sys/fs/bpf, which minimal systems may lack; then
 * the namespace's directory dir and its links/.
 */
static int prepare_bpffs(const char *dir)
{
	char links[PATH_MAX + 8];
	struct statfs st;
	int ret;

	if (statfs(BPFFS_ROOT, &st)) {
		ret = -errno;
		set_error("cannot find %s", BPFFS_ROOT);
		return ret;
	}
	/* f_type is a signed int on 32-bit ABIs: compare the 32 bits. */
	if ((uint32_t)st.f_type != BPF_FS_MAGIC &&
	    mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700")) {
		ret = -errno;
		set_error("cannot mount bpffs on %s", BPFFS_ROOT);
		return ret;
	}
	ret = make_dir(IOTGUARD_PIN_DIR);
	if (!ret && strcmp(dir, IOTGUARD_PIN_DIR)) {
		ret = make_dir(IOTGUARD_NETNS_DIR);
		if (!ret)
			ret = make_dir(dir);
	}
	snprintf(links, sizeof(links), "%s/%s", dir, IOTGUARD_LINK_SUBDIR);
	if (!ret)
		ret = make_dir(links);
	return ret;
}

static int get_link_info(int fd, struct bpf_link_info *info)
{
	uint32_t len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		return -errno;
	return info->type == BPF_LINK_TYPE_XDP ? 0 : -EINVAL;
}

/* The mode prog_id is attached in on ifindex, from the kernel's view. */
static int query_mode(uint32_t ifindex, uint32_t prog_id,
		      enum iotguard_xdp_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, query);

	if (bpf_xdp_query(ifindex, 0, &query))
		return -errno;
	if (prog_id && query.drv_prog_id == prog_id)
		*mode = IOTGUARD_XDP_NATIVE;
	else if (prog_id && query.skb_prog_id == prog_id)
		*mode = IOTGUARD_XDP_GENERIC;
	else
		return -ENOENT;
	return 0;
}

/*
 * Checks a link pinned for ifname already: 0 if the new program can replace
 * its program, 1 if the link is dead and was removed, else an error.
 */
static int check_old_link(int fd, const char *path, const char *ifname,
			  uint32_t ifindex, enum iotguard_xdp_mode mode)
{
	enum iotguard_xdp_mode old_mode;
	struct bpf_link_info info;
	int ret;

	ret = get_link_info(fd, &info);
	if (ret) {
		set_error("%s is not an XDP link", path);
		return ret;
	}
	if (!info.xdp.ifindex) {
		/* Its interface was deleted: the name is free again. */
		unlink(path);
		return 1;
	}
	if (info.xdp.ifindex != ifindex) {
		set_error("%s is the link of another interface (ifindex %u): detach %s first",
			  path, info.xdp.ifindex, ifname);
		return -EEXIST;
	}
	ret = query_mode(ifindex, info.prog_id, &old_mode);
	if (!ret && old_mode != mode) {
		set_error("%s is attached in %s mode: detach it first to change the mode",
			  ifname, iotguard_xdp_mode_name(old_mode));
		return -EEXIST;
	}
	return 0;
}

static int set_pin_path(struct bpf_map *map, const char *dir)
{
	char path[PATH_MAX + NAME_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
	return bpf_map__set_pin_path(map, path);
}

/*
 * Sizes the per-device maps by the module's table and pins the maps of the
 * ABI by name in the namespace's directory dir whatever the object says,
 * so that every attach in the namespace shares them.
 */
static int prepare_maps(struct iotguard *skel, uint32_t max_devices,
			const char *dir)
{
	static const char *const shared[] = {
		IOTGUARD_MAP_GLOBAL, IOTGUARD_MAP_DEVSTATS, IOTGUARD_MAP_RATE,
		IOTGUARD_MAP_UNKNOWN, IOTGUARD_MAP_UNKNOWN_CPU,
		IOTGUARD_MAP_UNKNOWN_BUDGET, IOTGUARD_MAP_FEATURES,
		IOTGUARD_MAP_DESTS,
	};
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(shared); i++) {
		struct bpf_map *map;

		map = bpf_object__find_map_by_name(skel->obj, shared[i]);
		if (!map) {
			set_error("the XDP object has no map %s", shared[i]);
			return -ENOENT;
		}
		if (!strcmp(shared[i], IOTGUARD_MAP_DEVSTATS) ||
		    !strcmp(shared[i], IOTGUARD_MAP_RATE) ||
		    !strcmp(shared[i], IOTGUARD_MAP_FEATURES)) {
			ret = bpf_map__set_max_entries(map, max_devices);
			if (ret)
				return ret;
		}
		ret = set_pin_path(map, dir);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The resolution of the program's clock, bpf_ktime_get_coarse_ns(): one
 * timer tick (the rate limiter needs it). 0 if the system does not say.
 */
static uint64_t coarse_tick_ns(void)
{
	struct timespec res;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) || res.tv_sec)
		return 0;
	return res.tv_nsec;
}

/*
 * The DHCP snooping program on the port's egress (a clsact qdisc's filter,
 * made once): it holds no state of its own, so it is simply replaced on
 * every attach and removed on detach.
 */
#define IOTGUARD_TC_HANDLE 0x1067
#define IOTGUARD_TC_PRIORITY 1

static int attach_egress(unsigned int ifindex, int prog_fd,
			 const char *ifname)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = IOTGUARD_TC_HANDLE,
		    .priority = IOTGUARD_TC_PRIORITY, .prog_fd = prog_fd,
		    .flags = BPF_TC_F_REPLACE);
	libbpf_print_fn_t print;
	int ret;

	/*
	 * The qdisc is there already on a second attach: no error, but
	 * libbpf would print the kernel's message about it.
	 */
	print = libbpf_set_print(NULL);
	ret = bpf_tc_hook_create(&hook);
	libbpf_set_print(print);
	if (ret && ret != -EEXIST) {
		set_error("cannot add a clsact qdisc to %s", ifname);
		return ret;
	}
	ret = bpf_tc_attach(&hook, &opts);
	if (ret)
		set_error("cannot attach the DHCP snooping program to %s's egress",
			  ifname);
	return ret;
}

/* Removes the DHCP snooping program; gone already is fine. */
static int detach_egress(const char *ifname)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = IOTGUARD_TC_HANDLE,
		    .priority = IOTGUARD_TC_PRIORITY);
	int ret;

	hook.ifindex = if_nametoindex(ifname);
	if (!hook.ifindex)
		return 0;
	ret = bpf_tc_detach(&hook, &opts);
	if (ret && ret != -ENOENT && ret != -EINVAL) {
		set_error("cannot detach the DHCP snooping program from %s",
			  ifname);
		return ret;
	}
	return 0;
}

int iotguard_attach(const char *ifname,
		    const struct iotguard_port_policy *policy,
		    enum iotguard_xdp_mode mode)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	LIBBPF_OPTS(bpf_link_create_opts, link_opts);
	struct iotguard *skel = NULL;
	int old_fd = -1, link_fd = -1, prog_fd, ret;
	char path[PATH_MAX + 32], dir[PATH_MAX];
	uint32_t max_devices = 0;
	unsigned int ifindex;
	uint64_t tick_ns;

	maps_error[0] = '\0';
	ret = pin_dir(dir, sizeof(dir));
	if (ret)
		goto cleanup;
	open_opts.pin_root_path = dir;
	ret = link_path(dir, ifname, path, sizeof(path));
	if (ret)
		goto cleanup;
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		ret = -errno;
		set_error("no interface %s", ifname);
		goto cleanup;
	}
	ret = read_max_devices(&max_devices);
	if (ret)
		goto cleanup;
	ret = check_kfunc_abi();
	if (ret)
		goto cleanup;
	ret = prepare_bpffs(dir);
	if (ret)
		goto cleanup;
	old_fd = bpf_obj_get(path);
	if (old_fd >= 0) {
		ret = check_old_link(old_fd, path, ifname, ifindex, mode);
		if (ret < 0)
			goto cleanup;
		if (ret == 1) {
			close(old_fd);
			old_fd = -1;
		}
	}

	skel = iotguard__open_opts(&open_opts);
	if (!skel) {
		ret = -errno;
		set_error("cannot open the XDP object");
		goto cleanup;
	}
	skel->rodata->monitor = policy->monitor;
	skel->rodata->link_frames = policy->link_frames;
	skel->rodata->neigh_pps = policy->neigh_pps;
	skel->rodata->neigh_burst = policy->neigh_burst;
	tick_ns = coarse_tick_ns();
	if (tick_ns)
		skel->rodata->clock_tick_ns = tick_ns;
	ret = prepare_maps(skel, max_devices, dir);
	if (ret)
		goto cleanup;
	ret = iotguard__load(skel);
	if (ret) {
		set_error("cannot load the XDP program (stale maps in %s?)",
			  dir);
		goto cleanup;
	}
	prog_fd = bpf_program__fd(skel->progs.iotguard_xdp);
	ret = attach_egress(ifindex,
			    bpf_program__fd(skel->progs.iotguard_tc_egress),
			    ifname);
	if (ret)
		goto cleanup;

	if (old_fd >= 0) {
		/* Atomic for the data path: no frame goes unchecked. */
		if (bpf_link_update(old_fd, prog_fd, NULL)) {
			ret = -errno;
			set_error("cannot replace the program of %s", ifname);
		}
		goto cleanup;
	}
	link_opts.flags = mode == IOTGUARD_XDP_GENERIC ? XDP_FLAGS_SKB_MODE :
							 XDP_FLAGS_DRV_MODE;
	link_fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &link_opts);
	if (link_fd < 0) {
		ret = -errno;
		if (ret == -EBUSY)
			set_error("%s has another XDP program already", ifname);
		else if (ret == -EOPNOTSUPP && mode == IOTGUARD_XDP_NATIVE)
			set_error("%s has no native XDP: try --mode generic",
				  ifname);
		goto cleanup;
	}
	/* Closing our fd would detach the program: the pin keeps it. */
	if (bpf_obj_pin(link_fd, path)) {
		ret = -errno;
		set_error("cannot pin the link at %s", path);
		goto cleanup;
	}
	ret = 0;

cleanup:
	if (link_fd >= 0)
		close(link_fd);
	if (old_fd >= 0)
		close(old_fd);
	iotguard__destroy(skel);
	return ret;
}

int iotguard_detach(const char *ifname)
{
	char path[PATH_MAX + 32], dir[PATH_MAX];
	int fd = -1, ret;

	maps_error[0] = '\0';
	ret = pin_dir(dir, sizeof(dir));
	if (ret)
		goto cleanup;
	ret = link_path(dir, ifname, path, sizeof(path));
	if (ret)
		goto cleanup;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			set_error("%s is not attached (no %s)", ifname, path);
		goto cleanup;
	}
	/*
	 * Detach even if someone else holds the link open; a link whose
	 * interface is gone is detached already.
	 */
	if (bpf_link_detach(fd) && errno != ENOLINK && errno != EOPNOTSUPP) {
		ret = -errno;
		set_error("cannot detach the link %s", path);
		goto cleanup;
	}
	if (unlink(path)) {
		ret = -errno;
		set_error("cannot unpin %s", path);
		goto cleanup;
	}
	ret = detach_egress(ifname);

cleanup:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Reads the monitor flag from the program's read-only data. */
static int read_monitor(uint32_t prog_id)
{
	struct bpf_prog_info prog_info = { 0 };
	/* Every map the program uses: .rodata may come last. */
	uint32_t map_ids[64], len = sizeof(prog_info), i;
	int prog_fd, monitor = -1;

	prog_fd = bpf_prog_get_fd_by_id(prog_id);
	if (prog_fd < 0)
		return -1;
	prog_info.nr_map_ids = ARRAY_SIZE(map_ids);
	prog_info.map_ids = (uintptr_t)map_ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &prog_info, &len))
		goto cleanup;
	for (i = 0; i < prog_info.nr_map_ids && i < ARRAY_SIZE(map_ids) &&
		    monitor < 0; i++) {
		struct bpf_map_info map_info = { 0 };
		uint32_t map_len = sizeof(map_info), key = 0;
		const char *suffix;
		int map_fd;

		map_fd = bpf_map_get_fd_by_id(map_ids[i]);
		if (map_fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(map_fd, &map_info, &map_len))
			map_info.name[0] = '\0';
		suffix = strrchr(map_info.name, '.');
		/*
		 * The section also holds the program's static constants
		 * after the skeleton's variables: it may be larger.
		 */
		if (suffix && !strcmp(suffix, ".rodata") &&
		    map_info.value_size >= sizeof(struct iotguard__rodata)) {
			struct iotguard__rodata *rodata;

			rodata = calloc(1, map_info.value_size);
			if (rodata && !bpf_map_lookup_elem(map_fd, &key, rodata))
				monitor = !!rodata->monitor;
			free(rodata);
		}
		close(map_fd);
	}

cleanup:
	close(prog_fd);
	return monitor;
}

static int link_status(const char *links, const char *name,
		       struct iotguard_link_status *status)
{
	struct bpf_link_info info;
	char path[PATH_MAX + NAME_MAX + 16];
	int fd, ret;

	memset(status, 0, sizeof(*status));
	snprintf(status->pin_name, sizeof(status->pin_name), "%s", name);
	status->monitor = -1;
	snprintf(path, sizeof(path), "%s/%s", links, name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		ret = -errno;
		set_error("cannot open %s", path);
		return ret;
	}
	ret = get_link_info(fd, &info);
	close(fd);
	if (ret) {
		set_error("cannot get the link information of %s", path);
		return ret;
	}
	status->link_id = info.id;
	status->prog_id = info.prog_id;
	status->ifindex = info.xdp.ifindex;
	if (!status->ifindex || !if_indextoname(status->ifindex,
						 status->ifname)) {
		status->gone = true;
		status->ifname[0] = '\0';
	} else {
		status->renamed = strcmp(status->ifname, name);
		status->mode_known = !query_mode(status->ifindex,
						 status->prog_id,
						 &status->mode);
	}
	status->monitor = read_monitor(status->prog_id);
	return 0;
}

int iotguard_links_walk(iotguard_link_cb cb, void *data)
{
	char dir[PATH_MAX], links[PATH_MAX + 8];
	struct dirent **entries = NULL;
	int count, i, ret = 0;

	maps_error[0] = '\0';
	ret = pin_dir(dir, sizeof(dir));
	if (ret)
		return ret;
	snprintf(links, sizeof(links), "%s/%s", dir, IOTGUARD_LINK_SUBDIR);
	count = scandir(links, &entries, NULL, alphasort);
	if (count < 0) {
		/* Nothing was ever attached. */
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		set_error("cannot read %s", links);
		return ret;
	}
	for (i = 0; i < count; i++) {
		struct iotguard_link_status status;

		if (ret || entries[i]->d_name[0] == '.')
			continue;
		ret = link_status(links, entries[i]->d_name, &status);
		if (!ret)
			ret = cb(&status, data);
	}
	for (i = 0; i < count; i++)
		free(entries[i]);
	free(entries);
	return ret;
}

static int open_map(const char *dir, const char *name, uint32_t value_size,
		    struct bpf_map_info *info)
{
	uint32_t len = sizeof(*info);
	char path[PATH_MAX + NAME_MAX];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			set_error("no map %s (never attached to an interface?)",
				  path);
		else
			set_error("cannot open %s", path);
		return ret;
	}
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len)) {
		ret = -errno;
		set_error("cannot get the map information of %s", path);
		goto fail;
	}
	/* A program built against another maps.h would be misread. */
	if (info->value_size != value_size) {
		ret = -EPROTO;
		set_error("%s has values of %u bytes, not %u: built from another version?",
			  path, info->value_size, value_size);
		goto fail;
	}
	return fd;

fail:
	close(fd);
	return ret;
}

int iotguard_maps_open(struct iotguard_maps **mapsp)
{
	struct iotguard_maps *maps;
	struct bpf_map_info info;
	char dir[PATH_MAX];
	int ret;

	maps_error[0] = '\0';
	*mapsp = NULL;
	ret = pin_dir(dir, sizeof(dir));
	if (ret)
		return ret;
	maps = calloc(1, sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	snprintf(maps->dir, sizeof(maps->dir), "%s", dir);
	maps->global_fd = maps->devstats_fd = -1;
	maps->unknown_fd = maps->unknown_cpu_fd = -1;
	maps->unknown_budget_fd = -1;
	maps->nr_cpus = libbpf_num_possible_cpus();
	if (maps->nr_cpus <= 0) {
		ret = maps->nr_cpus ? maps->nr_cpus : -EINVAL;
		set_error("cannot count the possible CPUs");
		goto cleanup;
	}
	ret = maps->global_fd = open_map(dir, IOTGUARD_MAP_GLOBAL,
					  sizeof(struct iotguard_counter),
					  &info);
	if (ret < 0)
		goto cleanup;
	maps->global_entries = info.max_entries;
	ret = maps->devstats_fd = open_map(dir, IOTGUARD_MAP_DEVSTATS,
					    sizeof(struct iotguard_dev_stats),
					    &info);
	if (ret < 0)
		goto cleanup;
	maps->devstats_entries = info.max_entries;
	ret = iotguard_batch_init(&maps->devstats, maps->devstats_fd,
				  maps->devstats_entries,
				  maps->nr_cpus *
				  sizeof(struct iotguard_dev_stats), 0);
	if (ret)
		goto cleanup;
	ret = maps->unknown_fd = open_map(dir, IOTGUARD_MAP_UNKNOWN,
					   sizeof(struct iotguard_unknown_val),
					   &info);
	if (ret < 0)
		goto cleanup;
	ret = maps->unknown_cpu_fd =
		open_map(dir, IOTGUARD_MAP_UNKNOWN_CPU,
			 sizeof(struct iotguard_unknown_slot), &info);
	if (ret < 0)
		goto cleanup;
	ret = maps->unknown_budget_fd =
		open_map(dir, IOTGUARD_MAP_UNKNOWN_BUDGET,
			 sizeof(struct iotguard_unknown_budget), &info);
	if (ret < 0)
		goto cleanup;
	*mapsp = maps;
	return 0;

cleanup:
	iotguard_maps_close(maps);
	return ret;
}

const char *iotguard_maps_dir(const struct iotguard_maps *maps)
{
	return maps->dir;
}

void iotguard_maps_close(struct iotguard_maps *maps)
{
	if (!maps)
		return;
	if (maps->global_fd >= 0)
		close(maps->global_fd);
	if (maps->devstats_fd >= 0)
		close(maps->devstats_fd);
	if (maps->unknown_fd >= 0)
		close(maps->unknown_fd);
	if (maps->unknown_cpu_fd >= 0)
		close(maps->unknown_cpu_fd);
	if (maps->unknown_budget_fd >= 0)
		close(maps->unknown_budget_fd);
	iotguard_batch_fini(&maps->devstats);
	free(maps);
}

int iotguard_maps_global(struct iotguard_maps *maps,
			 struct iotguard_counter out[IOTGUARD_R_MAX])
{
	struct iotguard_counter *values;
	uint32_t reason;
	int cpu, ret = 0;

	maps_error[0] = '\0';
	memset(out, 0, sizeof(*out) * IOTGUARD_R_MAX);
	values = calloc(maps->nr_cpus, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (reason = 0; reason < IOTGUARD_R_MAX &&
			 reason < maps->global_entries; reason++) {
		if (bpf_map_lookup_elem(maps->global_fd, &reason, values)) {
			ret = -errno;
			set_error("cannot read %s", IOTGUARD_MAP_GLOBAL);
			goto cleanup;
		}
		for (cpu = 0; cpu < maps->nr_cpus; cpu++) {
			out[reason].packets += values[cpu].packets;
			out[reason].bytes += values[cpu].bytes;
		}
	}

cleanup:
	free(values);
	return ret;
}

static void add_counter(struct iotguard_counter *sum,
			const struct iotguard_counter *value)
{
	sum->packets += value->packets;
	sum->bytes += value->bytes;
}

void iotguard_maps_batch_begin(struct iotguard_maps *maps)
{
	iotguard_batch_begin(&maps->devstats);
}

void iotguard_maps_batch_end(struct iotguard_maps *maps)
{
	iotguard_batch_end(&maps->devstats);
}

int iotguard_maps_device(struct iotguard_maps *maps, uint32_t index,
			 uint32_t cookie, struct iotguard_dev_stats *out)
{
	const struct iotguard_dev_stats *values;
	const void *entry;
	int cpu, ret;

	maps_error[0] = '\0';
	memset(out, 0, sizeof(*out));
	out->cookie = cookie;
	if (index >= maps->devstats_entries) {
		set_error("device index %u beyond %s (%u entries)", index,
			  IOTGUARD_MAP_DEVSTATS, maps->devstats_entries);
		return -ERANGE;
	}
	ret = iotguard_batch_lookup(&maps->devstats, index, &entry);
	if (ret) {
		set_error("cannot read %s", IOTGUARD_MAP_DEVSTATS);
		return ret;
	}
	values = entry;
	/* Other CPUs' entries may still count the index's last device. */
	for (cpu = 0; cpu < maps->nr_cpus; cpu++) {
		const struct iotguard_dev_stats *value = &values[cpu];

		if (value->cookie != cookie)
			continue;
		add_counter(&out->pass, &value->pass);
		add_counter(&out->denied, &value->denied);
		add_counter(&out->spoofed, &value->spoofed);
		add_counter(&out->rate, &value->rate);
		add_counter(&out->bad_tag, &value->bad_tag);
		add_counter(&out->replay, &value->replay);
		add_counter(&out->expired, &value->expired);
		add_counter(&out->revoked, &value->revoked);
		if (value->last_seen_ns > out->last_seen_ns)
			out->last_seen_ns = value->last_seen_ns;
	}
	return 0;
}

/* A source's counts, as found in the LRU or in a CPU's cache slot. */
struct unknown_part {
	struct iotguard_unknown_key key;
	struct iotguard_unknown_val val;
};

struct unknown_parts {
	struct unknown_part *part;
	size_t nr, alloc;
};

static int add_part(struct unknown_parts *parts,
		    const struct iotguard_unknown_key *key,
		    const struct iotguard_unknown_val *val)
{
	if (iotguard_array_reserve((void **)&parts->part, &parts->alloc,
				   parts->nr, sizeof(*parts->part)))
		return -ENOMEM;
	parts->part[parts->nr].key = *key;
	parts->part[parts->nr].val = *val;
	parts->nr++;
	return 0;
}

static int compare_parts(const void *a, const void *b)
{
	const struct unknown_part *pa = a, *pb = b;

	return memcmp(&pa->key, &pb->key, sizeof(pa->key));
}

/* Adds the counts of add to sum: the first and last times are the span. */
static void merge_unknown(struct iotguard_unknown_val *sum,
			  const struct iotguard_unknown_val *add)
{
	if (!add->packets)
		return;
	if (!sum->packets || add->first_ns < sum->first_ns)
		sum->first_ns = add->first_ns;
	if (!sum->packets || add->last_ns > sum->last_ns) {
		sum->last_ns = add->last_ns;
		memcpy(sum->mac, add->mac, sizeof(sum->mac));
	}
	sum->packets += add->packets;
}

/* The LRU's entries, each summed over the CPUs if the LRU is per CPU. */
static int read_unknown_lru(int fd, int nr_cpus, struct unknown_parts *parts)
{
	struct iotguard_unknown_key key, next;
	struct iotguard_unknown_val *values = NULL;
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	uint64_t visited = 0;
	int cpu, nr_values;
	void *prev = NULL;
	int ret = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		ret = -errno;
		set_error("cannot get the map information of %s",
			  IOTGUARD_MAP_UNKNOWN);
		goto cleanup;
	}
	nr_values = info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
		    info.type == BPF_MAP_TYPE_PERCPU_HASH ? nr_cpus : 1;
	values = calloc(nr_values, sizeof(*values));
	if (!values) {
		ret = -ENOMEM;
		goto cleanup;
	}
	/*
	 * The program keeps inserting and evicting while we walk: bound the
	 * walk, and skip a key that went away between two calls.
	 */
	while (visited++ < 2ULL * info.max_entries + 1) {
		if (bpf_map_get_next_key(fd, prev, &next)) {
			if (errno != ENOENT) {
				ret = -errno;
				set_error("cannot walk %s",
					  IOTGUARD_MAP_UNKNOWN);
			}
			break;
		}
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, values))
			continue;
		for (cpu = 1; cpu < nr_values; cpu++)
			merge_unknown(&values[0], &values[cpu]);
		ret = add_part(parts, &key, &values[0]);
		if (ret)
			break;
	}

cleanup:
	free(values);
	return ret;
}

/* The sources held in the slots of every CPU's cache. */
static int read_unknown_cache(int fd, int nr_cpus,
			      struct unknown_parts *parts)
{
	struct iotguard_unknown_slot *slots;
	uint32_t i;
	int cpu, ret = 0;

	slots = calloc(nr_cpus, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < IOTGUARD_UNKNOWN_CPU_SLOTS; i++) {
		if (bpf_map_lookup_elem(fd, &i, slots)) {
			ret = -errno;
			set_error("cannot read %s", IOTGUARD_MAP_UNKNOWN_CPU);
			break;
		}
		for (cpu = 0; cpu < nr_cpus && !ret; cpu++) {
			if (slots[cpu].val.packets)
				ret = add_part(parts, &slots[cpu].key,
					       &slots[cpu].val);
		}
		if (ret)
			break;
	}
	free(slots);
	return ret;
}

int iotguard_unknown_walk(int lru_fd, int cache_fd, iotguard_unknown_cb cb,
			  void *data)
{
	struct unknown_parts parts = {};
	int nr_cpus, ret;
	size_t i, j;

	maps_error[0] = '\0';
	nr_cpus = libbpf_num_possible_cpus();
	if (nr_cpus <= 0) {
		ret = nr_cpus ? nr_cpus : -EINVAL;
		set_error("cannot count the possible CPUs");
		goto cleanup;
	}
	/*
	 * The LRU first: a slot folded into the LRU between the two reads
	 * is then missed by this read rather than counted twice.
	 */
	ret = read_unknown_lru(lru_fd, nr_cpus, &parts);
	if (ret)
		goto cleanup;
	ret = read_unknown_cache(cache_fd, nr_cpus, &parts);
	if (ret)
		goto cleanup;

	qsort(parts.part, parts.nr, sizeof(*parts.part), compare_parts);
	for (i = 0; i < parts.nr; i = j) {
		struct iotguard_unknown_val sum = parts.part[i].val;

		for (j = i + 1; j < parts.nr &&
		     !compare_parts(&parts.part[i], &parts.part[j]); j++)
			merge_unknown(&sum, &parts.part[j].val);
		ret = cb(&parts.part[i].key, &sum, data);
		if (ret)
			break;
	}

cleanup:
	free(parts.part);
	return ret;
}

int iotguard_maps_unknown(struct iotguard_maps *maps, iotguard_unknown_cb cb,
			  void *data)
{
	return iotguard_unknown_walk(maps->unknown_fd, maps->unknown_cpu_fd,
				     cb, data);
}

int iotguard_unknown_unrecorded(int budget_fd, uint64_t *frames)
{
	struct iotguard_unknown_budget *budgets;
	uint32_t zero = 0;
	int nr_cpus, cpu, ret = 0;

	maps_error[0] = '\0';
	*frames = 0;
	nr_cpus = libbpf_num_possible_cpus();
	if (nr_cpus <= 0) {
		set_error("cannot count the possible CPUs");
		return nr_cpus ? nr_cpus : -EINVAL;
	}
	budgets = calloc(nr_cpus, sizeof(*budgets));
	if (!budgets)
		return -ENOMEM;
	if (bpf_map_lookup_elem(budget_fd, &zero, budgets)) {
		ret = -errno;
		set_error("cannot read %s", IOTGUARD_MAP_UNKNOWN_BUDGET);
		goto cleanup;
	}
	for (cpu = 0; cpu < nr_cpus; cpu++)
		*frames += budgets[cpu].unrecorded;

cleanup:
	free(budgets);
	return ret;
}

int iotguard_maps_unknown_unrecorded(struct iotguard_maps *maps,
				     uint64_t *frames)
{
	return iotguard_unknown_unrecorded(maps->unknown_budget_fd, frames);
}

uint64_t iotguard_ktime_to_realtime_ns(uint64_t ktime_ns)
{
	struct timespec mono, real;
	uint64_t mono_ns, real_ns;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	mono_ns = mono.tv_sec * 1000000000ULL + mono.tv_nsec;
	real_ns = real.tv_sec * 1000000000ULL + real.tv_nsec;
	if (ktime_ns > mono_ns)
		ktime_ns = mono_ns;
	return real_ns - (mono_ns - ktime_ns);
}
