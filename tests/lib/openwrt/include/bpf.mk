# SPDX-License-Identifier: GPL-2.0
# The test's bpf.mk: see ../rules.mk.
BPF_DEPENDS := @HAS_BPF_TOOLCHAIN
CLANG := clang
BPF_TARGET := bpfel
