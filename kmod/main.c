// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The iotguard authors.
 *
 * iotguard: the device table and verdict authority for the XDP program that
 * guards a router's IoT-facing ports.
 */

#include "device.h"
#include "lease.h"
#include "kfunc.h"
#include "cred.h"
#include "netlink.h"
#include "version.h"

#include <linux/genetlink.h>
#include <linux/module.h>
#include <net/genetlink.h>
#include <iotguard/kfunc.h>

unsigned int iotguard_max_devices __read_mostly = 65536;
module_param_named(max_devices, iotguard_max_devices, uint, 0444);
MODULE_PARM_DESC(max_devices,
		 "Devices per network namespace; sizes the XDP program's per-device maps (default 65536)");

/*
 * The per-namespace limits may be changed at any time; a lower limit
 * refuses new devices and keeps the ones enrolled. 0 for netns_max_devices
 * is the default only, set to max_devices at load.
 */
static int netns_max_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, UINT_MAX);
}

static const struct kernel_param_ops netns_max_ops = {
	.set = netns_max_set,
	.get = param_get_uint,
};

unsigned int iotguard_netns_max_devices __read_mostly;
module_param_cb(netns_max_devices, &netns_max_ops,
		&iotguard_netns_max_devices, 0644);
MODULE_PARM_DESC(netns_max_devices,
		 "Devices one network namespace may enroll, at most max_devices (default max_devices)");

unsigned int iotguard_userns_max_devices __read_mostly = 256;
module_param_named(userns_max_devices, iotguard_userns_max_devices, uint,
		   0644);
MODULE_PARM_DESC(userns_max_devices,
		 "Devices a network namespace that a non-initial user namespace owns may enroll (default 256)");

static unsigned int quarantine_pps = 1;
module_param(quarantine_pps, uint, 0444);
MODULE_PARM_DESC(quarantine_pps,
		 "Packets per second a quarantined device may send (default 1)");

static unsigned int quarantine_burst = 4;
module_param(quarantine_burst, uint, 0444);
MODULE_PARM_DESC(quarantine_burst,
		 "Packets a quarantined device may send back to back (default 4)");

module_param_named(ipv6_bind_seconds, iotguard_bind6_seconds, uint, 0644);
MODULE_PARM_DESC(ipv6_bind_seconds,
		 "Seconds an IPv6 address a device enrolled by MAC configured stays bound to it after its last use (default 3600)");

struct iotguard_rates iotguard_quarantine_rates __read_mostly;

/* Enough for a city; the per-device BPF maps are sized from it. */
#define IOTGUARD_MAX_DEVICES_LIMIT BIT(24)

/*
 * The kfunc ABI (include/iotguard/kfunc.h), for loaders to check: shown,
 * never set.
 */
static int abi_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%u\n", IOTGUARD_KFUNC_ABI);
}

static const struct kernel_param_ops abi_ops = {
	.get = abi_get,
};

module_param_cb(kfunc_abi, &abi_ops, NULL, 0444);
MODULE_PARM_DESC(kfunc_abi, "The kfunc ABI's version (read only)");

/*
 * Without BTF the kernel registers no kfunc but, on 6.1, only warns: the
 * module would load and every XDP program calling it fail. Refuse instead.
 */
static int check_btf(void)
{
#ifdef CONFIG_DEBUG_INFO_BTF_MODULES
	if (THIS_MODULE->btf_data_size)
		return 0;
#endif
	pr_err("iotguard: the module has no BTF (build it with pahole and the kernel's vmlinux BTF): its kfuncs could not be registered\n");
	return -ENOEXEC;
}

static int __init iotguard_init(void)
{
	int ret;

	ret = check_btf();
	if (ret)
		return ret;

	if (!iotguard_max_devices ||
	    iotguard_max_devices > IOTGUARD_MAX_DEVICES_LIMIT) {
		pr_err("iotguard: max_devices must be 1 to %lu\n",
		       IOTGUARD_MAX_DEVICES_LIMIT);
		return -EINVAL;
	}
	if (!quarantine_pps || quarantine_pps > NSEC_PER_SEC ||
	    !quarantine_burst) {
		pr_err("iotguard: quarantine_pps must be 1 to %lu, quarantine_burst at least 1\n",
		       NSEC_PER_SEC);
		return -EINVAL;
	}
	iotguard_rates_init(&iotguard_quarantine_rates, quarantine_pps,
			    quarantine_burst, 0, 0);
	if (!iotguard_netns_max_devices)
		iotguard_netns_max_devices = iotguard_max_devices;

	ret = iotguard_cred_init();
	if (ret)
		return ret;

	ret = iotguard_device_init();
	if (ret)
		goto err_cred;

	ret = iotguard_genetlink_init();
	if (ret)
		goto err_device;

	/* Last: a registered kfunc set cannot be unregistered. */
	ret = iotguard_kfunc_init();
	if (ret) {
		pr_err("iotguard: unable to register the kfuncs (module BTF missing or not the kernel's?): %d\n",
		       ret);
		goto err_genetlink;
	}
	return 0;

err_genetlink:
	iotguard_genetlink_uninit();
err_device:
	iotguard_device_exit();
err_cred:
	iotguard_cred_exit();
	return ret;
}

static void __exit iotguard_exit(void)
{
	iotguard_genetlink_uninit();
	iotguard_device_exit();
	iotguard_cred_exit();
}

module_init(iotguard_init);
module_exit(iotguard_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Device table and XDP verdicts for guarded IoT ports");
MODULE_AUTHOR("The iotguard authors");
MODULE_VERSION(IOTGUARD_VERSION);
MODULE_ALIAS_GENL_FAMILY(IOTGUARD_GENL_NAME);
