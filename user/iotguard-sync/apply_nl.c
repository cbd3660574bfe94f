// SPDX-License-Identifier: GPL-2.0
/*
 * The real applier: the iotguard module's device table, over generic
 * netlink (user/lib/nl.c), as `iotguard device` changes it.
 */
#include <errno.h>
#include "sync.h"

static int nl_get(void *priv, const struct iotguard_addr *id,
		  struct iotguard_device *out)
{
	return iotguard_nl_device_get(priv, id, out);
}

static int nl_add(void *priv, const struct iotguard_device *dev,
		  const struct sync_change *why)
{
	(void)why;
	return iotguard_nl_device_new(priv, dev);
}

static int nl_set(void *priv, const struct iotguard_device *dev,
		  const struct sync_change *why)
{
	(void)why;
	return iotguard_nl_device_set(priv, dev);
}

static int nl_del(void *priv, const struct iotguard_addr *id,
		  const struct sync_change *why)
{
	(void)why;
	return iotguard_nl_device_del(priv, id);
}

static int nl_revoke(void *priv, const struct iotguard_addr *id,
		     const struct sync_change *why)
{
	(void)why;
	return iotguard_nl_device_revoke(priv, id);
}

static const char *nl_detail(void *priv)
{
	return iotguard_nl_extack(priv);
}

static void nl_close(void *priv)
{
	iotguard_nl_close(priv);
}

int sync_applier_nl(struct sync_applier *applier)
{
	struct iotguard_nl *nl;
	int ret;

	ret = iotguard_nl_open(&nl);
	if (ret)
		return ret;
	*applier = (struct sync_applier){
		.name = "the module",
		.get = nl_get,
		.add = nl_add,
		.set = nl_set,
		.del = nl_del,
		.revoke = nl_revoke,
		.detail = nl_detail,
		.close = nl_close,
		.priv = nl,
	};
	return 0;
}
