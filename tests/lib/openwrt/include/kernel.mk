# SPDX-License-Identifier: GPL-2.0
# The test's kernel.mk: see ../rules.mk.
LINUX_DIR := /openwrt/build_dir/linux
KERNEL_MAKE := $(MAKE) -C $(LINUX_DIR)

define KernelPackage
$(eval $(KernelPackage/$(1)))
$(call owrt_show,kmod-$(1))
$(info KMOD_DESCRIPTION=$(if $(value KernelPackage/$(1)/description),yes,no))
endef
