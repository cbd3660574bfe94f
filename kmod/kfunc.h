/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The iotguard authors.
 */

#ifndef _IOTGUARD_KFUNC_INTERNAL_H
#define _IOTGUARD_KFUNC_INTERNAL_H

int iotguard_kfunc_init(void);

#endif /* _IOTGUARD_KFUNC_INTERNAL_H */
