// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel as args_fuzz sees it: none. Linked in place of user/lib/nl.c
 * and the BPF half of user/lib/maps.c, so that the CLI's subcommands parse
 * their arguments and then fail where they would first reach the kernel
 * (the module or the XDP program): nothing is attached, enrolled or read.
 * What only runs after the kernel answered aborts, for it cannot be
 * reached here.
 */
#include <errno.h>
#include <stdlib.h>
#include "maps.h"
#include "nl.h"

#define NO_KERNEL "no kernel: fuzzing the arguments"

int iotguard_nl_open(struct iotguard_nl **nlp)
{
	*nlp = NULL;
	return -ENOSYS;
}

void iotguard_nl_close(struct iotguard_nl *nl)
{
	if (nl)
		abort();
}

const char *iotguard_nl_extack(const struct iotguard_nl *nl)
{
	if (nl)
		abort();
	return NO_KERNEL;
}

int iotguard_nl_device_new(struct iotguard_nl *nl,
			   const struct iotguard_device *dev)
{
	(void)nl, (void)dev;
	abort();
}

int iotguard_nl_device_set(struct iotguard_nl *nl,
			   const struct iotguard_device *dev)
{
	(void)nl, (void)dev;
	abort();
}

int iotguard_nl_device_del(struct iotguard_nl *nl,
			   const struct iotguard_addr *id)
{
	(void)nl, (void)id;
	abort();
}

int iotguard_nl_device_get(struct iotguard_nl *nl,
			   const struct iotguard_addr *id,
			   struct iotguard_device *out)
{
	(void)nl, (void)id, (void)out;
	abort();
}

int iotguard_nl_device_revoke(struct iotguard_nl *nl,
			      const struct iotguard_addr *id)
{
	(void)nl, (void)id;
	abort();
}

int iotguard_nl_enroll_new(struct iotguard_nl *nl,
			   const struct iotguard_device *dev, uint32_t ttl,
			   struct iotguard_device *out,
			   struct iotguard_enroll *code)
{
	(void)nl, (void)dev, (void)ttl, (void)out, (void)code;
	abort();
}

int iotguard_nl_device_dump(struct iotguard_nl *nl, iotguard_device_cb cb,
			    void *data)
{
	(void)nl, (void)cb, (void)data;
	abort();
}

int iotguard_nl_device_new_batch(struct iotguard_nl *nl,
				 const struct iotguard_device *devs,
				 unsigned int count, unsigned int *failed)
{
	(void)nl, (void)devs, (void)count, (void)failed;
	abort();
}

int iotguard_nl_join_events(struct iotguard_nl *nl)
{
	(void)nl;
	abort();
}

int iotguard_nl_fd(const struct iotguard_nl *nl)
{
	(void)nl;
	abort();
}

int iotguard_nl_events_read(struct iotguard_nl *nl, iotguard_event_cb cb,
			    void *data)
{
	(void)nl, (void)cb, (void)data;
	abort();
}

uint64_t iotguard_nl_foreign_events(const struct iotguard_nl *nl)
{
	(void)nl;
	abort();
}

const char *iotguard_maps_error(void)
{
	return NO_KERNEL;
}

int iotguard_attach(const char *ifname,
		    const struct iotguard_port_policy *policy,
		    enum iotguard_xdp_mode mode)
{
	(void)ifname, (void)policy, (void)mode;
	return -ENOSYS;
}

int iotguard_detach(const char *ifname)
{
	(void)ifname;
	return -ENOSYS;
}

int iotguard_links_walk(iotguard_link_cb cb, void *data)
{
	(void)cb, (void)data;
	return -ENOSYS;
}

int iotguard_maps_open(struct iotguard_maps **mapsp)
{
	*mapsp = NULL;
	return -ENOSYS;
}

void iotguard_maps_close(struct iotguard_maps *maps)
{
	if (maps)
		abort();
}

const char *iotguard_xdp_mode_name(enum iotguard_xdp_mode mode)
{
	(void)mode;
	abort();
}

const char *iotguard_reason_name(enum iotguard_reason reason)
{
	(void)reason;
	abort();
}

const struct iotguard_counter *
iotguard_dev_drop(const struct iotguard_dev_stats *stats, unsigned int i,
		  const char **name)
{
	(void)stats, (void)i, (void)name;
	abort();
}

int iotguard_maps_global(struct iotguard_maps *maps,
			 struct iotguard_counter out[IOTGUARD_R_MAX])
{
	(void)maps, (void)out;
	abort();
}

int iotguard_maps_device(struct iotguard_maps *maps, uint32_t index,
			 uint32_t cookie, struct iotguard_dev_stats *out)
{
	(void)maps, (void)index, (void)cookie, (void)out;
	abort();
}

int iotguard_maps_unknown(struct iotguard_maps *maps, iotguard_unknown_cb cb,
			  void *data)
{
	(void)maps, (void)cb, (void)data;
	abort();
}

int iotguard_maps_unknown_unrecorded(struct iotguard_maps *maps,
				     uint64_t *frames)
{
	(void)maps, (void)frames;
	abort();
}

uint64_t iotguard_ktime_to_realtime_ns(uint64_t ktime_ns)
{
	(void)ktime_ns;
	abort();
}
