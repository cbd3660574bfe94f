# SPDX-License-Identifier: GPL-2.0
#
# make            module (with BTF), XDP object and skeleton, tools, tests
# make check      all tests: host unit tests, then the guest VM suite
# make stress     the long forms of the reliability tests: the volume ones
#                 under the cloud kernel, the module's under a debug guest
#                 kernel (KASAN, lockdep, kmemleak) built from
#                 linux-source-6.1 (Documentation/reliability.rst), and
#                 100 routers of the fleet (Documentation/fleet.rst)
# make check-debug  the guest suite under that debug kernel (TESTS=NAMES
#                 for some of it; scripts/debug-check.sh)
# make check-busy two whole suites at once, ROUNDS=1 times in a row: every
#                 test must pass on a machine that busy (tests/busy.sh)
# make demo       the simulated city network, in the guest VM
# make bench      data path and control plane figures, in the guest VM
#                 (Documentation/performance.rst)
# make eval       iotguardd judged on the corpus city, replayed and sent
#                 live through XDP in the guest: per attack the alert and
#                 quarantine delays, false alarms per device-hour, both
#                 side by side (Documentation/detection.rst); CITY=DIR for
#                 another city, EVAL_FORMAT=json|tsv, EVAL_LIVE=0 replay only
# make KDIR=/lib/modules/$(uname -r)/build module   build for a real router
# make module32   the module for a 32-bit (i386) kernel, warnings fatal, in
#                 build/module32 (a build check; tests/unit/module32.sh)
# make install    the tools, man pages, units and iotguardd.conf, under
#                 DESTDIR and PREFIX (default /usr/local; the packages use
#                 /usr); make uninstall removes them again
# make install-dkms  the module's source for DKMS in /usr/src/iotguard-VERSION
# make cross ARCH=arm64|armhf   the tools for another architecture, in
#                 build/ARCH (scripts/cross-build.sh)
#
# The module is built by ./Kbuild (kbuild prefers it to this file).

# The one place the version is set is kmod/version.h: the module reports it,
# the tools print it, DKMS names the module's source after it, and
# debian/changelog must carry the same.
VERSION := $(shell sed -n 's/^\#define IOTGUARD_VERSION "\(.*\)"$$/\1/p' \
	kmod/version.h)

O := build
KERNEL_DIR ?= $(CURDIR)/$(O)/kernel
LINUX_SRC := $(KERNEL_DIR)
KSFT_DIR := $(LINUX_SRC)/linux-source-6.1/tools/testing/selftests
RESOLVE_BTFIDS ?= $(LINUX_SRC)/bin/resolve_btfids
# Empty: the Debian bookworm cloud kernel the tests boot (build/kernel/kdir).
KDIR ?=

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
CFLAGS ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-I$(CURDIR)/include/uapi -I$(CURDIR)/include -I$(CURDIR)/$(O)/include \
	-I$(CURDIR)/user/lib -I$(CURDIR)/device \
	-DIOTGUARD_VERSION='"$(VERSION)"'
LDLIBS := -lmnl -lbpf -lelf -lz -lm -lcrypto
# The XDP object is the same for every architecture: the build machine's
# asm/ headers, even when CC is a cross compiler.
HOSTCC ?= cc
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Werror \
	-I$(CURDIR)/include/uapi -I$(CURDIR)/include \
	-I/usr/include/$(shell $(HOSTCC) -dumpmachine)

# kselftest_harness.h (6.1) has an unused parameter and compares signed
# literals with unsigned counters in its EXPECT_*() macros.
TEST_CFLAGS := -std=gnu11 -I$(KSFT_DIR) -Wno-unused-parameter -Wno-sign-compare

LIB_SRCS := $(wildcard user/lib/*.c)
# The key id's BLAKE2s: the device library's backend (OpenSSL).
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o) $(O)/device/crypto_openssl.o
CLI_SRCS := $(wildcard user/iotguard/*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/%.o)
DAEMON_SRCS := $(wildcard user/iotguardd/*.c)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(O)/%.o)
# libpcap for --replay only: the CLI and the tests do without it.
DAEMON_LDLIBS := -lmicrohttpd -lsystemd -lpthread -lpcap
# iotguard-sync, iotguard-city and iotguard-gate: the city's NATS
# JetStream buckets (libnats), their values (json-c); `make sync', their
# own packages (Documentation/fleet.rst).
SYNC_SRCS := $(wildcard user/iotguard-sync/*.c)
SYNC_OBJS := $(SYNC_SRCS:%.c=$(O)/%.o)
SYNC_LDLIBS := -lnats -ljson-c -lpthread
UNIT_TESTS := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(wildcard tests/unit/*.c))
GUEST_TESTS := $(patsubst tests/guest/%.c,$(O)/tests/guest/%,$(wildcard tests/guest/*.c))
SKEL := $(O)/include/iotguard.skel.h
BPF_OBJ := $(O)/bpf/iotguard.bpf.o
HDRS := $(wildcard include/uapi/linux/*.h include/iotguard/*.h user/lib/*.h)

.PHONY: all module module32 bpf user tests bench-tools setup check \
	check-busy check-debug stress demo bench eval clean checkpatch install uninstall \
	install-dkms uninstall-dkms cross version device fuzz sync \
	install-sync uninstall-sync install-city uninstall-city
.DELETE_ON_ERROR:

all: module bpf user sync device tests bench-tools

setup:
	bash scripts/setup-dev.sh

# Fails when the .ko has no .BTF section: without module BTF the kfuncs
# silently vanish and the XDP program cannot load.
# With KDIR, build/iotguard-btfids fills in the kfunc ids.
module: $(if $(KDIR),$(O)/iotguard-btfids)
	bash scripts/build-module.sh "$(KDIR)"

# KDIR32: a 32-bit kernel's build dir; default Debian's i386 686-pae headers.
KDIR32 ?=
module32:
	bash scripts/build-module32.sh "$(KDIR32)"

bpf: $(BPF_OBJ) $(SKEL)

$(BPF_OBJ): bpf/iotguard.bpf.c $(wildcard bpf/*.h) $(HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(SKEL): $(BPF_OBJ)
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton $< name iotguard > $@

user: $(O)/iotguard $(O)/iotguardd $(O)/iotguard-btfids

$(O)/%.o: %.c $(HDRS) $(wildcard user/*/*.h) $(SKEL)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(O)/libiotguard.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(O)/iotguard: $(CLI_OBJS) $(O)/libiotguard.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/iotguardd: $(DAEMON_OBJS) $(O)/libiotguard.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(DAEMON_LDLIBS)

sync: $(O)/iotguard-sync $(O)/iotguard-city $(O)/iotguard-gate

$(O)/iotguard-sync: $(SYNC_OBJS) $(O)/libiotguard.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(SYNC_LDLIBS)

# iotguard-city: the operator's verbs, on iotguard-sync's store and values.
CITY_OBJS := $(O)/user/iotguard-city/main.o \
	$(addprefix $(O)/user/iotguard-sync/,store.o policy.o)
$(O)/user/iotguard-city/main.o: CPPFLAGS += -I$(CURDIR)/user/iotguard-sync

$(O)/iotguard-city: $(CITY_OBJS) $(O)/libiotguard.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(SYNC_LDLIBS)

# iotguard-gate: the operators' logins (liboath, libcrypt) and changes.
GATE_OBJS := $(patsubst %.c,$(O)/%.o,$(wildcard user/iotguard-gate/*.c)) \
	$(addprefix $(O)/user/iotguard-sync/,store.o policy.o)
$(O)/user/iotguard-gate/%.o: CPPFLAGS += -I$(CURDIR)/user/iotguard-sync
$(O)/user/iotguard-city/main.o: CPPFLAGS += -I$(CURDIR)/user/iotguard-gate

$(O)/iotguard-gate: $(GATE_OBJS) $(O)/libiotguard.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(SYNC_LDLIBS) -loath -lcrypt

# libiotguard-device (Documentation/protocol.rst): the library with the
# host's crypto backend (OpenSSL), its tool, and a check that the library
# builds freestanding, as firmware builds it: nothing undefined but the
# backend's four functions.
DEVICE_CFLAGS := -std=c11 -Wall -Wextra -Werror -I$(CURDIR)/include \
	-I$(CURDIR)/device
DEVICE_OBJS := $(O)/device/iotguard_device.o $(O)/device/crypto_openssl.o
device: $(O)/libiotguard-device.a $(O)/iotguard-device \
	$(O)/device/freestanding.o

$(O)/device/%.o: device/%.c $(wildcard device/*.h) include/iotguard/wire.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEVICE_CFLAGS) -c $< -o $@

$(O)/libiotguard-device.a: $(DEVICE_OBJS)
	$(AR) rcs $@ $^

$(O)/iotguard-device: $(O)/device/iotguard-device.o $(O)/libiotguard-device.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcrypto

$(O)/device/freestanding.o: device/iotguard_device.c $(wildcard device/*.h) \
		include/iotguard/wire.h
	@mkdir -p $(@D)
	$(CC) -O2 -ffreestanding -nostdlib $(DEVICE_CFLAGS) -c $< -o $@
	@if nm $@ | grep ' U ' | grep -v ' U iotguard_dev_\(aead_seal\|aead_open\|blake2s\|memzero\)$$'; then \
		echo "device/iotguard_device.c needs more than its backend" >&2; \
		rm -f $@; exit 1; fi

# Fills in a module's kfunc ids where the kernel's headers lack
# resolve_btfids: the DKMS build runs it (scripts/dkms-build.sh).
$(O)/iotguard-btfids: $(O)/user/btfids/btfids.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lbpf -lelf -lz

$(KSFT_DIR)/kselftest_harness.h:
	bash scripts/linux-source.sh $(LINUX_SRC)

tests: $(UNIT_TESTS) $(GUEST_TESTS)

$(O)/tests/%: tests/%.c $(O)/libiotguard.a $(KSFT_DIR)/kselftest_harness.h $(SKEL) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -o $@ $< $(O)/libiotguard.a $(LDLIBS)

# The module's kfunc on its own, for tests/guest/kfunc_test.c.
PROBE_OBJ := $(O)/tests/bpf/kfunc_probe.bpf.o
PROBE_SKEL := $(O)/include/kfunc_probe.skel.h

$(PROBE_OBJ): tests/bpf/kfunc_probe.bpf.c $(HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(PROBE_SKEL): $(PROBE_OBJ)
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton $< name kfunc_probe > $@

$(O)/tests/guest/kfunc_test: $(PROBE_SKEL)

# Credentials at the edge, with datagrams the device library protects.
$(O)/tests/guest/cred_test: tests/guest/cred_test.c $(O)/libiotguard.a $(O)/libiotguard-device.a $(KSFT_DIR)/kselftest_harness.h $(SKEL) $(HDRS) $(wildcard device/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -I$(CURDIR)/device -o $@ $< $(O)/libiotguard-device.a $(LDLIBS) -lcrypto

# The differential test of the XDP program and its reference classifier.
$(O)/tests/guest/xdp_diff_test: tests/guest/xdp_diff_test.c tests/lib/refclass.c tests/lib/refclass.h $(O)/libiotguard.a $(KSFT_DIR)/kselftest_harness.h $(SKEL) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -o $@ $< tests/lib/refclass.c $(O)/libiotguard.a $(LDLIBS)

# libFuzzer harnesses of the userspace parsers (tests/fuzz/, run by
# tests/unit/fuzz.sh): clang with ASan and UBSan, from the sources.
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -std=gnu11 -D_GNU_SOURCE \
	-I$(CURDIR)/include/uapi -I$(CURDIR)/include -I$(CURDIR)/$(O)/include \
	-I$(CURDIR)/user/lib -I$(CURDIR)/device -I$(CURDIR)/user/iotguardd \
	-DIOTGUARD_VERSION='"$(VERSION)"'
FUZZ_TARGETS := $(O)/fuzz/parse_fuzz $(O)/fuzz/devfile_fuzz \
	$(O)/fuzz/config_fuzz $(O)/fuzz/nl_fuzz $(O)/fuzz/args_fuzz
FUZZ_SRCS_parse := user/lib/parse.c user/lib/keyfile.c user/lib/frame.c \
	device/iotguard_device.c device/crypto_openssl.c
FUZZ_SRCS_devfile := user/lib/devfile.c user/lib/parse.c user/lib/keyfile.c \
	user/lib/array.c device/crypto_openssl.c
FUZZ_SRCS_config := user/iotguardd/config.c user/lib/score.c user/lib/parse.c \
	user/lib/replace.c
# nl_fuzz includes user/lib/nl.c, for its parsers of one received buffer.
FUZZ_SRCS_nl := user/lib/array.c user/lib/parse.c
FUZZ_LIBS_nl := -lmnl
# args_fuzz: the CLI whole, its main() renamed, and iotguardd's parse_args(),
# with kernel_stub.c for netlink and BPF.
FUZZ_SRCS_args := tests/fuzz/kernel_stub.c $(O)/fuzz/iotguard_main.o \
	$(filter-out user/iotguard/main.c,$(CLI_SRCS)) user/iotguardd/args.c \
	user/lib/parse.c user/lib/devfile.c user/lib/json.c user/lib/array.c \
	user/lib/cmdline.c \
	user/lib/keyfile.c user/lib/replace.c user/lib/pins.c \
	device/crypto_openssl.c
fuzz: $(FUZZ_TARGETS)

$(O)/fuzz/args_fuzz: $(O)/fuzz/iotguard_main.o
$(O)/fuzz/iotguard_main.o: user/iotguard/main.c $(HDRS) user/iotguard/cli.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Iuser/iotguard -Dmain=iotguard_main -c -o $@ $<

$(O)/fuzz/%_fuzz: tests/fuzz/%_fuzz.c $(HDRS) $(wildcard device/*.h) \
		user/iotguardd/iotguardd.h $(SKEL) $(LIB_SRCS) $(CLI_SRCS) \
		$(DAEMON_SRCS) $(wildcard device/*.c) tests/fuzz/kernel_stub.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Iuser/iotguard -o $@ $< $(FUZZ_SRCS_$*) \
		$(FUZZ_LIBS_$*) \
		-lcrypto -lz -lm

# The daemon's configuration parser, tested on the host.
$(O)/tests/unit/device_test: tests/unit/device_test.c $(O)/libiotguard-device.a $(KSFT_DIR)/kselftest_harness.h $(wildcard device/*.h) include/iotguard/wire.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEVICE_CFLAGS) $(TEST_CFLAGS) -o $@ $< $(O)/libiotguard-device.a -lcrypto

$(O)/tests/unit/config_test: tests/unit/config_test.c $(O)/user/iotguardd/config.o $(O)/libiotguard.a $(KSFT_DIR)/kselftest_harness.h $(HDRS) user/iotguardd/iotguardd.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Iuser/iotguardd -o $@ $< $(O)/user/iotguardd/config.o $(O)/libiotguard.a $(LDLIBS)

# What the daemon sets in the module for the scorer's events, on the host.
$(O)/tests/unit/control_test: tests/unit/control_test.c $(O)/user/iotguardd/control.o $(O)/libiotguard.a $(KSFT_DIR)/kselftest_harness.h $(HDRS) user/iotguardd/iotguardd.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Iuser/iotguardd -o $@ $< $(O)/user/iotguardd/control.o $(O)/libiotguard.a $(LDLIBS)

# iotguard-sync's rules, with its recording applier, on the host.
SYNC_TEST_OBJS := $(O)/user/iotguard-sync/policy.o \
	$(O)/user/iotguard-sync/apply_record.o
$(O)/tests/unit/sync_test: tests/unit/sync_test.c $(SYNC_TEST_OBJS) $(O)/libiotguard.a $(KSFT_DIR)/kselftest_harness.h $(HDRS) user/iotguard-sync/sync.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Iuser/iotguard-sync -o $@ $< $(SYNC_TEST_OBJS) $(O)/libiotguard.a $(LDLIBS) -ljson-c

# /metrics rendered in chunks, tested on the host.
METRICS_TEST_OBJS := $(O)/user/iotguardd/metrics.o $(O)/user/iotguardd/log.o \
	$(O)/user/iotguardd/config.o
$(O)/tests/unit/metrics_test: tests/unit/metrics_test.c $(METRICS_TEST_OBJS) $(O)/libiotguard.a $(KSFT_DIR)/kselftest_harness.h $(HDRS) user/iotguardd/iotguardd.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Iuser/iotguardd -o $@ $< $(METRICS_TEST_OBJS) $(O)/libiotguard.a $(LDLIBS) -lmicrohttpd -lpthread

# The bench's programs: built by `all` too, for the smoke test in `make check`.
BENCH_TOOLS := $(O)/bench/bench $(O)/bench/daemon-bench \
	$(O)/bench/empty.bpf.o $(O)/bench/gen.bpf.o $(O)/bench/standin.bpf.o
STANDIN_SKEL := $(O)/include/standin.skel.h

bench-tools: $(BENCH_TOOLS)

$(O)/bench/%.bpf.o: bench/%.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The program itself, with a map standing in for the kfunc.
$(O)/bench/standin.bpf.o: bench/standin.bpf.c bpf/iotguard.bpf.c $(wildcard bpf/*.h) $(HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(STANDIN_SKEL): $(O)/bench/standin.bpf.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton $< name standin > $@

# Only the netlink client of user/lib: the bench measures the module and the
# program, not the tools.
# (and the reasons' names, from the library).
BENCH_LIB_OBJS := $(O)/user/lib/nl.o $(O)/user/lib/array.o $(O)/user/lib/parse.o
$(O)/bench/bench: bench/bench.c bench/figures.h tests/guest/frames.h $(BENCH_LIB_OBJS) $(SKEL) $(STANDIN_SKEL) $(HDRS) $(O)/libiotguard-device.a $(O)/libiotguard.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(CURDIR)/device -o $@ $< $(BENCH_LIB_OBJS) $(O)/libiotguard.a $(O)/libiotguard-device.a $(LDLIBS) -lcrypto

# The daemon's figures come from the daemon's own code: all of it but main().
BENCH_DAEMON_OBJS := $(filter-out %/main.o,$(DAEMON_OBJS))
$(O)/bench/daemon-bench: bench/daemon.c bench/figures.h $(BENCH_DAEMON_OBJS) $(O)/libiotguard.a $(HDRS) user/iotguardd/iotguardd.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BENCH_DAEMON_OBJS) $(O)/libiotguard.a $(LDLIBS) $(DAEMON_LDLIBS)

# The fuzzing harnesses are built here, not in tests/unit/fuzz.sh's
# time: their ASan builds take minutes of a loaded machine's CPU.
check: all fuzz
	bash tests/run.sh

# The long forms, in three boots (scripts/stress.sh).
stress: all
	bash scripts/stress.sh

# The guest suite under the debug kernel (scripts/debug-check.sh).
TESTS ?=
check-debug: all
	bash scripts/debug-check.sh $(TESTS)

ROUNDS ?= 1
check-busy: all fuzz
	bash tests/busy.sh $(ROUNDS)

# Not part of `make check` (tests/guest/bench_smoke_test.sh is).
bench: all
	bash bench/run.sh

# The corpus of real captures lives beside the repository (../shared/corpus
# in the development tree); CORPUS=DIR where it is elsewhere.
CORPUS ?= $(abspath $(CURDIR)/../shared/corpus)
CITY ?= $(CORPUS)/city
EVAL_FORMAT ?= text
# EVAL_LIVE=0: the replay alone (seconds, no root); else the city is also
# sent at its own speed through the XDP program and the live daemon in the
# guest (the capture's length, about 13 minutes for the corpus city).
EVAL_LIVE ?= 1
EVAL_VM := $(O)/vm-eval
ifeq ($(EVAL_LIVE),0)
eval: $(O)/iotguardd
	python3 eval/city_eval.py "$(CITY)" --iotguardd $(O)/iotguardd \
		-c etc/iotguardd.conf --format $(EVAL_FORMAT)
else
eval: all
	IOTGUARD_VM_DIR=$(EVAL_VM) bash tests/vm/run.sh --timeout 7200 -- \
		bash eval/live.sh "$(abspath $(CITY))" $(abspath $(EVAL_VM))/out/live \
		$(CURDIR)/etc/iotguardd.conf
	python3 eval/city_eval.py "$(CITY)" --iotguardd $(O)/iotguardd \
		-c etc/iotguardd.conf --live $(EVAL_VM)/out/live \
		--format $(EVAL_FORMAT)
endif

demo: all
	bash tests/vm/run.sh -- bash demo/city.sh

checkpatch: $(KSFT_DIR)/kselftest_harness.h
	$(LINUX_SRC)/linux-source-6.1/scripts/checkpatch.pl --strict --no-tree \
		-f $(filter-out %.mod.c,$(wildcard kmod/*.c)) kmod/*.h

# Installation. SYSCONFDIR stays /etc whatever PREFIX is: iotguardd reads
# /etc/iotguard/iotguardd.conf by default, iotguard-boot iotguard.conf. The
# units in etc/ name /usr/sbin and /usr/libexec; they are installed naming
# SBINDIR and LIBEXECDIR. An existing configuration file is kept, and
# uninstall removes it only if unchanged.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
# Debian 12 ships units in /lib (the move to /usr came after it).
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),,$(PREFIX))/lib/systemd/system
DKMSDIR ?= /usr/src/iotguard-$(VERSION)
INSTALL ?= install
UNITS := etc/iotguard.service etc/iotguardd.service
MANS := Documentation/iotguard.8 Documentation/iotguardd.8 \
	Documentation/iotguard-boot.8
CONFS := iotguardd.conf iotguard.conf
CONFDIR := $(DESTDIR)$(SYSCONFDIR)/iotguard
TOOLS := iotguard iotguardd
# A router's agent of the city (package iotguard-sync), and the city's
# operations centre: the operators' tool and their gate (iotguard-city).
SYNC_TOOLS := iotguard-sync
SYNC_UNITS := etc/iotguard-sync.service
SYNC_MANS := Documentation/iotguard-sync.8
SYNC_CONFS := iotguard-sync.conf
CITY_TOOLS := iotguard-city iotguard-gate
CITY_UNITS := etc/iotguard-gate.service
CITY_MANS := Documentation/iotguard-city.8 Documentation/iotguard-gate.8
CITY_CONFS := iotguard-gate.conf

# $(call install-units,UNITS): the units, naming the installed programs.
define install-units
	for unit in $(1); do \
		sed -e 's|/usr/sbin/|$(SBINDIR)/|g' \
		    -e 's|/usr/libexec/|$(LIBEXECDIR)/|g' $$unit \
			>$(DESTDIR)$(UNITDIR)/$${unit#etc/} && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${unit#etc/} || exit 1; \
	done
endef

# $(call install-confs,CONFS): the configuration, an operator's kept.
define install-confs
	for conf in $(1); do \
		if [ -e $(CONFDIR)/$$conf ]; then \
			echo "install: keeping $(CONFDIR)/$$conf"; \
		else \
			$(INSTALL) -m 0644 etc/$$conf $(CONFDIR)/$$conf || \
				exit 1; \
		fi; \
	done
endef

# $(call uninstall-confs,CONFS): removed unless the operator changed them.
define uninstall-confs
	for conf in $(1); do \
		if cmp -s etc/$$conf $(CONFDIR)/$$conf; then \
			rm -f $(CONFDIR)/$$conf; \
		elif [ -e $(CONFDIR)/$$conf ]; then \
			echo "uninstall: keeping the changed $(CONFDIR)/$$conf"; \
		fi; \
	done
	-rmdir $(DESTDIR)$(SYSCONFDIR)/iotguard 2>/dev/null
endef

# $(call install-tools,TOOLS,MANS,UNITS,CONFS)
define install-tools
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/iotguard
	$(INSTALL) -m 0755 $(1:%=$(O)/%) $(DESTDIR)$(SBINDIR)
	$(INSTALL) -m 0644 $(2) $(DESTDIR)$(MANDIR)/man8
	$(call install-units,$(3))
	$(call install-confs,$(4))
endef

# $(call uninstall-tools,TOOLS,MANS,UNITS,CONFS)
define uninstall-tools
	rm -f $(1:%=$(DESTDIR)$(SBINDIR)/%) \
		$(2:Documentation/%=$(DESTDIR)$(MANDIR)/man8/%) \
		$(3:etc/%=$(DESTDIR)$(UNITDIR)/%)
	$(call uninstall-confs,$(4))
endef

version:
	@echo $(VERSION)

install: user
	$(INSTALL) -d $(DESTDIR)$(LIBEXECDIR)/iotguard
	$(call install-tools,$(TOOLS),$(MANS),$(UNITS),$(CONFS))
	$(INSTALL) -m 0755 $(O)/iotguard-btfids \
		$(DESTDIR)$(LIBEXECDIR)/iotguard/btfids
	$(INSTALL) -m 0755 user/iotguard-boot \
		$(DESTDIR)$(LIBEXECDIR)/iotguard/iotguard-boot

uninstall:
	rm -f $(DESTDIR)$(LIBEXECDIR)/iotguard/btfids \
		$(DESTDIR)$(LIBEXECDIR)/iotguard/iotguard-boot
	-rmdir $(DESTDIR)$(LIBEXECDIR)/iotguard 2>/dev/null
	$(call uninstall-tools,$(TOOLS),$(MANS),$(UNITS),$(CONFS))

install-sync: $(SYNC_TOOLS:%=$(O)/%)
	$(call install-tools,$(SYNC_TOOLS),$(SYNC_MANS),$(SYNC_UNITS),$(SYNC_CONFS))

uninstall-sync:
	$(call uninstall-tools,$(SYNC_TOOLS),$(SYNC_MANS),$(SYNC_UNITS),$(SYNC_CONFS))

install-city: $(CITY_TOOLS:%=$(O)/%)
	$(call install-tools,$(CITY_TOOLS),$(CITY_MANS),$(CITY_UNITS),$(CITY_CONFS))

uninstall-city:
	$(call uninstall-tools,$(CITY_TOOLS),$(CITY_MANS),$(CITY_UNITS),$(CITY_CONFS))

# What DKMS builds the module from: kbuild files, the module's headers, the
# build script and dkms.conf (kmod/dkms.conf, version filled in).
DKMS_FILES := Kbuild kmod/Kbuild $(filter-out %.mod.c,$(wildcard kmod/*.c)) \
	$(wildcard kmod/*.h) \
	include/uapi/linux/iotguard.h $(wildcard include/iotguard/*.h) \
	scripts/dkms-build.sh scripts/prepare-kdir.sh scripts/vmlinux-btf.sh

install-dkms:
	for f in $(DKMS_FILES); do \
		$(INSTALL) -D -m 0644 $$f $(DESTDIR)$(DKMSDIR)/$$f || exit 1; \
	done
	sed 's/#MODULE_VERSION#/$(VERSION)/' kmod/dkms.conf \
		>$(DESTDIR)$(DKMSDIR)/dkms.conf

uninstall-dkms:
	rm -rf $(DESTDIR)$(DKMSDIR)

# ARCH=arm64 or armhf: Debian's cross compilers and the target's -dev
# packages (multiarch); scripts/cross-build.sh says which.
cross:
	bash scripts/cross-build.sh $(ARCH)

clean:
	rm -rf $(O)/bpf $(O)/include $(O)/user $(O)/tests $(O)/iotguard \
		$(O)/iotguardd $(O)/iotguard-btfids $(O)/iotguard-sync \
		$(O)/iotguard-city $(O)/iotguard-gate \
		$(O)/libiotguard.a $(O)/bench $(O)/module32 \
		$(O)/arm64 $(O)/armhf $(O)/cross
	rm -f kmod/*.o kmod/*.ko kmod/*.mod kmod/*.mod.c kmod/.*.cmd \
		kmod/modules.order kmod/Module.symvers modules.order \
		Module.symvers .*.cmd
