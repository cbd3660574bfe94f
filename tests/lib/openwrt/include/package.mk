# SPDX-License-Identifier: GPL-2.0
# The test's package.mk: see ../rules.mk.
PKG_BUILD_DIR ?= /openwrt/build_dir/$(PKG_NAME)-$(PKG_VERSION)

define BuildPackage
$(eval $(Package/$(1)))
$(call owrt_show,$(1))
endef
