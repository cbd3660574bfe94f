# SPDX-License-Identifier: GPL-2.0
#
# make            module (with BTF), XDP object and skeleton, tools, tests
# make check      all tests: host unit tests, then the guest VM suite
# make check-busy two whole suites at once, ROUNDS=1 times in a row: every
#                 test must pass on a machine that busy (tests/busy.sh)
# make demo       the simulated city network, in the guest VM
# make bench      data path and control plane figures, in the guest VM
#                 (Documentation/performance.rst)
# make eval       iotguardd --replay judged on the corpus city: per attack
#                 the alert and quarantine delays, false alarms per
#                 device-hour (Documentation/detection.rst); CITY=DIR for
#                 another city, EVAL_FORMAT=json|tsv
# make KDIR=/lib/modules/$(uname -r)/build module   build for a real router
# make module32   the module for a 32-bit (i386) kernel, warnings fatal, in
#                 build/module32 (a build check; tests/unit/module32.sh)
#
# The module is built by ./Kbuild (kbuild prefers it to this file).

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
	-I$(CURDIR)/user/lib
LDLIBS := -lmnl -lbpf -lelf -lz -lm
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Werror \
	-I$(CURDIR)/include/uapi -I$(CURDIR)/include \
	-I/usr/include/$(shell $(CC) -dumpmachine)

# kselftest_harness.h (6.1) has an unused parameter and compares signed
# literals with unsigned counters in its EXPECT_*() macros.
TEST_CFLAGS := -std=gnu11 -I$(KSFT_DIR) -Wno-unused-parameter -Wno-sign-compare

LIB_SRCS := $(wildcard user/lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
CLI_SRCS := $(wildcard user/iotguard/*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/%.o)
DAEMON_SRCS := $(wildcard user/iotguardd/*.c)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(O)/%.o)
# libpcap for --replay only: the CLI and the tests do without it.
DAEMON_LDLIBS := -lmicrohttpd -lsystemd -lpthread -lpcap
UNIT_TESTS := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(wildcard tests/unit/*.c))
GUEST_TESTS := $(patsubst tests/guest/%.c,$(O)/tests/guest/%,$(wildcard tests/guest/*.c))
SKEL := $(O)/include/iotguard.skel.h
BPF_OBJ := $(O)/bpf/iotguard.bpf.o
HDRS := $(wildcard include/uapi/linux/*.h include/iotguard/*.h user/lib/*.h)

.PHONY: all module module32 bpf user tests bench-tools setup check \
	check-busy demo bench eval clean checkpatch
.DELETE_ON_ERROR:

all: module bpf user tests bench-tools

setup:
	bash scripts/setup-deps.sh

# Fails when the .ko has no .BTF section: without module BTF the kfuncs
# silently vanish and the XDP program cannot load.
module:
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

user: $(O)/iotguard $(O)/iotguardd

$(O)/%.o: %.c $(HDRS) $(wildcard user/*/*.h) $(SKEL)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(O)/libiotguard.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(O)/iotguard: $(CLI_OBJS) $(O)/libiotguard.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/iotguardd: $(DAEMON_OBJS) $(O)/libiotguard.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(DAEMON_LDLIBS)

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

# The daemon's configuration parser, tested on the host.
$(O)/tests/unit/config_test: tests/unit/config_test.c $(O)/user/iotguardd/config.o $(O)/libiotguard.a $(KSFT_DIR)/kselftest_harness.h $(HDRS) user/iotguardd/iotguardd.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Iuser/iotguardd -o $@ $< $(O)/user/iotguardd/config.o $(O)/libiotguard.a $(LDLIBS)

# What the daemon sets in the module for the scorer's events, on the host.
$(O)/tests/unit/control_test: tests/unit/control_test.c $(O)/user/iotguardd/control.o $(O)/libiotguard.a $(KSFT_DIR)/kselftest_harness.h $(HDRS) user/iotguardd/iotguardd.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Iuser/iotguardd -o $@ $< $(O)/user/iotguardd/control.o $(O)/libiotguard.a $(LDLIBS)

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
BENCH_LIB_OBJS := $(O)/user/lib/nl.o $(O)/user/lib/array.o $(O)/user/lib/parse.o
$(O)/bench/bench: bench/bench.c bench/figures.h tests/guest/frames.h $(BENCH_LIB_OBJS) $(SKEL) $(STANDIN_SKEL) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BENCH_LIB_OBJS) $(LDLIBS)

# The daemon's figures come from the daemon's own code: all of it but main().
BENCH_DAEMON_OBJS := $(filter-out %/main.o,$(DAEMON_OBJS))
$(O)/bench/daemon-bench: bench/daemon.c bench/figures.h $(BENCH_DAEMON_OBJS) $(O)/libiotguard.a $(HDRS) user/iotguardd/iotguardd.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BENCH_DAEMON_OBJS) $(O)/libiotguard.a $(LDLIBS) $(DAEMON_LDLIBS)

check: all
	bash tests/run.sh

ROUNDS ?= 1
check-busy: all
	bash tests/busy.sh $(ROUNDS)

# Not part of `make check` (tests/guest/bench_smoke_test.sh is).
bench: all
	bash bench/run.sh

# The corpus of real captures lives beside the repository (../shared/corpus
# in the development tree); CORPUS=DIR where it is elsewhere.
CORPUS ?= $(abspath $(CURDIR)/../shared/corpus)
CITY ?= $(CORPUS)/city
EVAL_FORMAT ?= text
eval: $(O)/iotguardd
	python3 eval/city_eval.py "$(CITY)" --iotguardd $(O)/iotguardd \
		-c etc/iotguardd.conf --format $(EVAL_FORMAT)

demo: all
	bash tests/vm/run.sh -- bash demo/city.sh

checkpatch: $(KSFT_DIR)/kselftest_harness.h
	$(LINUX_SRC)/linux-source-6.1/scripts/checkpatch.pl --strict --no-tree \
		-f $(filter-out %.mod.c,$(wildcard kmod/*.c)) kmod/*.h

clean:
	rm -rf $(O)/bpf $(O)/include $(O)/user $(O)/tests $(O)/iotguard \
		$(O)/iotguardd \
		$(O)/libiotguard.a $(O)/bench $(O)/module32
	rm -f kmod/*.o kmod/*.ko kmod/*.mod kmod/*.mod.c kmod/.*.cmd \
		kmod/modules.order kmod/Module.symvers modules.order \
		Module.symvers .*.cmd
