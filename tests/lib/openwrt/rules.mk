# SPDX-License-Identifier: GPL-2.0
#
# For tests/unit/openwrt.sh: stands in for an OpenWrt buildroot's
# rules.mk, package.mk, kernel.mk and bpf.mk (include/), so that GNU make
# reads packaging/openwrt's feed Makefiles as the buildroot would and says
# what they define, one VARIABLE=value a line. Written for the test: no
# buildroot code.

INCLUDE_DIR := $(TOPDIR)/include
STAGING_DIR := /openwrt/staging_dir/target
STAGING_DIR_HOST := /openwrt/staging_dir/host
TOOLCHAIN_DIR := /openwrt/staging_dir/toolchain
TARGET_CC := cc
TARGET_AR := ar
TARGET_CROSS :=
TARGET_CFLAGS := -Os
TARGET_CPPFLAGS :=
TARGET_LDFLAGS :=

all: ; @:

# owrt_show PACKAGE: what the feed Makefile defined, once its package's
# define was read.
define owrt_show
$(info PACKAGE=$(1))
$(foreach v,PKG_NAME PKG_VERSION PKG_RELEASE PKG_LICENSE IOTGUARD_SRC \
	TITLE DEPENDS FILES SECTION CATEGORY SUBMENU IOTGUARD_BPF_CFLAGS,$(info \
	$(v)=$($(v))))
$(info INSTALL=$(if $(value Package/$(1)/install),yes,no))
$(info CONFFILES=$(strip $(value Package/$(1)/conffiles)))
$(info DESCRIPTION=$(if $(value Package/$(1)/description),yes,no))
$(info PREPARE=$(if $(value Build/Prepare),yes,no))
$(info COMPILE=$(if $(value Build/Compile),yes,no))
endef
