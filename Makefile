# SPDX-License-Identifier: GPL-2.0-only
# tsnd — TSN switch daemon, CLI and eBPF data plane.
#
# Targets: all (default), install, check, deb, test, test-unit, test-asan, test-lab, lab, lab-latency, bench, fuzz,
# demo, demo-down, demo-shell, docs, clean.
# Cross-building for another architecture (e.g. an arm64 switch):
#   make CROSS_COMPILE=aarch64-linux-gnu- BPF_TARGET_ARCH=arm64 \
#        PKG_CONFIG_SYSROOT_DIR=/path/to/sysroot
# BPF objects are architecture-neutral bytecode, but they are compiled against the
# target's kernel UAPI headers (BPF_ARCH_INCLUDE) and __TARGET_ARCH_* tells the
# libbpf tracing macros which register layout to use.

VERSION      ?= 0.1.0
PREFIX       ?= /usr/local
SBINDIR      ?= $(PREFIX)/sbin
BINDIR       ?= $(PREFIX)/bin
MANDIR       ?= $(PREFIX)/share/man
SYSCONFDIR   ?= /etc
DATADIR      ?= $(PREFIX)/share
UNITDIR      ?= $(PREFIX)/lib/systemd/system
COMPLDIR     ?= $(PREFIX)/share/bash-completion/completions
DESTDIR      ?=

CROSS_COMPILE ?=
CC           := $(if $(filter default,$(origin CC)),$(CROSS_COMPILE)gcc,$(CC))
AR           := $(if $(filter default,$(origin AR)),$(CROSS_COMPILE)ar,$(AR))
PKG_CONFIG   ?= pkg-config
CLANG        ?= clang
# Debian installs bpftool in /usr/sbin, which is not in an ordinary user's PATH.
BPFTOOL      ?= $(or $(shell command -v bpftool 2>/dev/null),$(wildcard /usr/sbin/bpftool),bpftool)
BPF_TARGET_ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BPF_MULTIARCH   ?= $(shell $(CC) -print-multiarch 2>/dev/null)
BPF_ARCH_INCLUDE ?= $(if $(BPF_MULTIARCH),/usr/include/$(BPF_MULTIARCH))

BUILD        ?= build
PKGS         := libnl-3.0 libnl-route-3.0 libbpf json-c yaml-0.1 libmicrohttpd
PKG_CFLAGS   := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS     := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS       ?= -O2 -g
WARN         := -Wall -Wextra -Wshadow -Wformat=2 -Wno-missing-field-initializers
# Warnings fail the build in CI (CI=true, as CI services set it) and in `make test`;
# WERROR=0 turns that off (e.g. a newer compiler with new warnings), WERROR=1 on.
WERROR       ?= $(if $(filter true,$(CI)),1,0)
WERROR_FLAG  := $(if $(filter 1,$(WERROR)),-Werror)
WARN         += $(WERROR_FLAG)
ALL_CFLAGS   := -std=gnu11 $(WARN) $(CPPFLAGS) $(CFLAGS) -D_GNU_SOURCE -DTSN_VERSION=\"$(VERSION)\" \
                -Iinclude -I$(BUILD) $(PKG_CFLAGS) $(EXTRA_CFLAGS)
ALL_LDFLAGS  := $(LDFLAGS) $(EXTRA_LDFLAGS)
LIBS         := $(PKG_LIBS) -lcap
TEST_LIBS    := -lcunit

BPF_CFLAGS   := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_TARGET_ARCH) -Wall -Wno-unused-function $(WERROR_FLAG) \
                -Iinclude $(if $(BPF_ARCH_INCLUDE),-I$(BPF_ARCH_INCLUDE))

LIB_SRC      := $(wildcard lib/*.c)
# The daemon's modules live in one folder per concern (docs/architecture.md);
# they include each other's headers by name.
DAEMON_SRC   := $(wildcard daemon/*/*.c)
DAEMON_INC   := $(patsubst %/,-I%,$(sort $(dir $(wildcard daemon/*/*.h))))
$(DAEMON_SRC:%.c=$(BUILD)/%.o): ALL_CFLAGS += $(DAEMON_INC)
CLI_SRC      := $(wildcard cli/*.c)
BPF_SRC      := $(wildcard bpf/*.bpf.c)
UNIT_SRC     := $(wildcard tests/unit/test_*.c)
TOOL_SRC     := $(wildcard tests/tools/*.c)

LIB_OBJ      := $(LIB_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ   := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ      := $(CLI_SRC:%.c=$(BUILD)/%.o)
BPF_OBJ      := $(BPF_SRC:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
BPF_SKEL     := $(BPF_SRC:bpf/%.bpf.c=$(BUILD)/bpf/%.skel.h)
UNIT_BIN     := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_BIN     := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)
# libFuzzer targets: tests/fuzz/fuzz_NAME.c fuzzes lib/NAME.c (libc-only modules).
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_TIME    ?= 600
# Daemon modules the unit tests may link (everything but main).
DAEMON_LIBOBJ := $(filter-out $(BUILD)/daemon/core/main.o,$(DAEMON_OBJ))

.PHONY: all install check check-tools test test-unit test-asan tests-build demo demo-down demo-shell clean deps docs fuzz \
	lab test-lab lab-build bench bench-schedules bench-dataplane lab-latency bench-telemetry bench-frer
.SUFFIXES:
# The skeletons are inputs of the daemon objects' dependency files: keep them.
.SECONDARY: $(BPF_SKEL)

all: $(BUILD)/tsnd $(BUILD)/tsnctl $(BPF_OBJ)

$(BUILD)/%.o: %.c | $(BPF_SKEL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libtsn.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/tsnd: $(DAEMON_OBJ) $(BUILD)/libtsn.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# tsnctl is linked statically when the static libraries are there: a dynamic start
# (loader, relocations of libc, libjson-c, libyaml) costs 50-100 ms more per command
# under the kernel lab's emulation (docs/benchmarks.md, "Gate schedules").  It does
# no NSS lookups (user or group names), so a static glibc is safe.  TSNCTL_STATIC=no
# links it dynamically; sanitizer builds always do.
TSNCTL_STATIC ?= $(if $(and $(wildcard $(shell $(CC) -print-file-name=libjson-c.a)),$(wildcard \
	$(shell $(CC) -print-file-name=libyaml.a))),yes,no)
TSNCTL_LIBS  := $(if $(and $(filter yes,$(TSNCTL_STATIC)),$(if $(findstring -fsanitize,$(CFLAGS) $(LDFLAGS)),,y)),\
	-static $(shell $(PKG_CONFIG) --static --libs json-c yaml-0.1 2>/dev/null),$(LIBS))

$(BUILD)/tsnctl: $(CLI_OBJ) $(BUILD)/libtsn.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(TSNCTL_LIBS)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard include/tsn/bpf_*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/%: tests/unit/%.c $(DAEMON_LIBOBJ) $(BUILD)/libtsn.a | $(BPF_SKEL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DAEMON_INC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

$(BUILD)/tests/tools/%: tests/tools/%.c $(BUILD)/libtsn.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter-out %.h,$^) $(LIBS) $(TEST_LIBS)
$(BUILD)/tests/tools/gate_probe $(BUILD)/tests/tools/shaper_probe: tests/tools/probe_util.h
# xdp_meta asks the kernel as tsnd does: it links the daemon's objects
$(BUILD)/tests/tools/xdp_meta: tests/tools/xdp_meta.c $(DAEMON_LIBOBJ) $(BUILD)/libtsn.a | $(BPF_SKEL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DAEMON_INC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# tsnd with the transaction's fault-injection hook (daemon/core/txn.h), for the
# tests/*/test_txn.sh tests only; never installed.
$(BUILD)/tests/txn_fault.o: daemon/core/txn.c | $(BPF_SKEL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DAEMON_INC) -DTSN_FAULT_INJECTION -MMD -MP -c $< -o $@

$(BUILD)/tests/tsnd-fault: $(filter-out $(BUILD)/daemon/core/txn.o,$(DAEMON_OBJ)) $(BUILD)/tests/txn_fault.o $(BUILD)/libtsn.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

-include $(LIB_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(BUILD)/tests/txn_fault.d

# ---- tests -----------------------------------------------------------------
# `make test` is the one command that runs every test (README, .ci/run).
# Builds use every core; the tests themselves run one after another.
JOBS         ?= $(shell nproc 2>/dev/null || echo 2)

# It builds with -Werror unless WERROR=0 is given.
test: WERROR := $(if $(filter command line environment,$(origin WERROR)),$(WERROR),1)
test: deps
	$(MAKE) -j$(JOBS) all tests-build WERROR=$(WERROR)
	$(MAKE) -j$(JOBS) tests-build WERROR=$(WERROR) BUILD=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined"
	tests/run-all.sh

tests-build: all $(UNIT_BIN) $(TOOL_BIN) $(FUZZ_BIN) $(BUILD)/tests/tsnd-fault

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c lib/%.c include/tsn/%.h
	@mkdir -p $(dir $@)
	$(CLANG) -g -O1 $(WERROR_FLAG) -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
		tests/fuzz/fuzz_$*.c lib/$*.c -o $@

# Targets of modules that need more than libc: their sources and libraries.
$(BUILD)/fuzz/fuzz_ctl_proto: tests/fuzz/fuzz_ctl_proto.c lib/ctl_proto.c include/tsn/ctl_proto.h
	@mkdir -p $(dir $@)
	$(CLANG) -g -O1 $(WERROR_FLAG) -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) \
		tests/fuzz/fuzz_ctl_proto.c lib/ctl_proto.c -o $@ $(PKG_LIBS)

$(BUILD)/fuzz/fuzz_config: tests/fuzz/fuzz_config.c $(wildcard lib/*.c lib/*.h include/tsn/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) -g -O1 $(WERROR_FLAG) -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) \
		tests/fuzz/fuzz_config.c $(filter-out lib/pmc.c,$(wildcard lib/*.c)) -o $@ $(PKG_LIBS)

# Each fuzz target for FUZZ_TIME seconds (make test runs them briefly).
fuzz: $(FUZZ_BIN)
	tests/fuzz/run.sh --time $(FUZZ_TIME) $(FUZZ_BIN)

# What a contributor runs before sending a change, as an ordinary user: no root, no
# apt, no VM.  Only the unit tests that need none of them (the others make network
# namespaces or load BPF programs: `make test`), and the SPDX lines.
CHECK_UNITS  := basetime cli_output cli_verbs config ctl_proto pmc prom
CHECK_BIN    := $(CHECK_UNITS:%=$(BUILD)/tests/test_%)
check: check-tools
	$(MAKE) -j$(JOBS) all $(CHECK_BIN)
	tests/run-all.sh --only $(CHECK_BIN)

# The build's tools and libraries, or the line that installs them.
check-tools:
	@missing=""; \
	for t in $(CC) $(CLANG) $(BPFTOOL) $(PKG_CONFIG); do \
		command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	for p in $(PKGS) cunit libcap; do \
		$(PKG_CONFIG) --exists $$p 2>/dev/null || missing="$$missing $$p(pkg-config)"; done; \
	if [ -n "$$missing" ]; then \
		echo "make check: missing:$$missing; install them with: sudo scripts/install-deps.sh" >&2; \
		exit 1; fi

test-unit: all tests-build
	tests/run-all.sh --unit-only

test-asan:
	$(MAKE) tests-build BUILD=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined"
	TSN_BUILD=build/asan tests/run-all.sh --unit-only

deps:
	scripts/install-deps.sh

# ---- kernel lab -----------------------------------------------------------------
# Debian's stock kernel under QEMU/TCG, for what the host kernel lacks (taprio, ...):
# tests/kernel-lab/, docs/kernel-lab.md.  `make test` runs it too (tests/run-all.sh).
# make test-lab TESTS="schedules gates" runs only those guest tests.
LAB_TOOLS := $(BUILD)/tests/tools/gate_probe $(BUILD)/tests/tools/udp6 $(BUILD)/tests/tools/ctl_rtt $(BUILD)/tests/tools/lat6 \
             $(BUILD)/tests/tsnd-fault
# isochron's LD_PRELOAD shim for veth (tests/latency/isochron_shim.c), in the lab's initramfs.
LATENCY_SHIM := $(BUILD)/tests/latency/isochron-shim.so
LAB_TOOLS += $(LATENCY_SHIM)
LAB_TOOLS += $(BUILD)/tests/tools/shaper_probe	# test_schedules.sh: shaper_rate, launch_time_tx
LAB_TOOLS += $(BUILD)/tests/nc_bench	# guest/bench.sh: the NETCONF bench's lean client
# guest/tests/test_unit_bpf.sh: the data plane's CUnit binaries on 6.1
LAB_TOOLS += $(addprefix $(BUILD)/tests/,$(shell sed 's/\#.*//' tests/kernel-lab/guest/unit_bpf.list))
tests-build: $(LATENCY_SHIM)

# Preloaded into a program built without sanitizers: never built with them.
$(LATENCY_SHIM): tests/latency/isochron_shim.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -fsanitize=%,$(ALL_CFLAGS)) -fPIC -shared -o $@ $< -ldl

# One-way latency runs with isochron through the demo's switch, in the kernel lab;
# report in tests/out/latency/latest/report.md (docs/latency-runs.md).
lab-latency: deps
	$(MAKE) lab-build
	tests/latency/run.sh

lab-build: all $(LAB_TOOLS)

lab: deps
	$(MAKE) lab-build
	tests/kernel-lab/build-initramfs.sh "$$(tests/kernel-lab/fetch.sh)"

test-lab: deps
	$(MAKE) lab-build
	tests/kernel-lab/run.sh $(TESTS)

# Benchmarks: figures in docs/benchmarks.md.
bench: bench-schedules bench-dataplane bench-telemetry bench-frer bench-bridge bench-startup

# The data plane on this host: classifier cost, forwarding rates (tests/bench/bench_dataplane.c).
bench-dataplane: deps
	$(MAKE) all $(BUILD)/bench/bench_dataplane
	@mkdir -p tests/out
	$(BUILD)/bench/bench_dataplane --json tests/out/bench-dataplane.json | tee tests/out/bench-dataplane.log

# Residence-time telemetry: the XDP stamp and the driver hook per frame
# (tests/bench/bench_telemetry.c, docs/telemetry.md).
bench-telemetry: deps
	$(MAKE) all $(BUILD)/bench/bench_telemetry
	@mkdir -p tests/out
	$(BUILD)/bench/bench_telemetry | tee tests/out/bench-telemetry.log

# FRER (IEEE 802.1CB): recovery, generation and splitting per frame
# (tests/bench/bench_frer.c, docs/frer.md).
bench-frer: deps
	$(MAKE) all $(BUILD)/bench/bench_frer
	@mkdir -p tests/out
	$(BUILD)/bench/bench_frer --json tests/out/bench-frer.json | tee tests/out/bench-frer.log

# The bridge's XDP fast path against the kernel's bridge, a static multicast entry
# to 1 and 3 ports (tests/bench/bench_bridge.c, docs/dataplane.md).
.PHONY: bench-bridge
bench-bridge: deps
	$(MAKE) all $(BUILD)/bench/bench_bridge
	@mkdir -p tests/out
	$(BUILD)/bench/bench_bridge --json tests/out/bench-bridge.json | tee tests/out/bench-bridge.log

# tsnd's start-up: exec to the first `tsnctl status` answer, median of 11, with
# the phases tsnd logs (tests/bench/bench_startup.sh, docs/benchmarks.md,
# "Start-up").  STARTUP_OLD=REV measures tsnd of git revision REV beside it.
.PHONY: bench-startup
bench-startup: deps
	$(MAKE) all
	@mkdir -p tests/out
	BUILD=$(BUILD) tests/bench/bench_startup.sh $(if $(STARTUP_OLD),--old $(STARTUP_OLD)) \
		--json tests/out/bench-startup.json | tee tests/out/bench-startup.log

$(BUILD)/bench/%: tests/bench/%.c $(DAEMON_LIBOBJ) $(BUILD)/libtsn.a | $(BPF_SKEL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DAEMON_INC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Gate schedules, in the kernel lab: tsnd against tc, memory, start-up
# (tests/kernel-lab/guest/bench.sh).
bench-schedules: deps
	$(MAKE) lab-build
	tests/kernel-lab/run.sh --bench --log tests/out/bench-schedules.log
	tests/bench/exec_host.sh | tee tests/out/bench-exec-host.log

# ---- demo lab -----------------------------------------------------------------
# LAB=vm (default): the demo runs inside the kernel lab's VM, whose kernel has
# taprio, so sw0p2 runs a real gate schedule; LAB=host: straight on this host
# (lab/demo.sh; the schedule stage is skipped when the kernel lacks taprio).
LAB ?= vm

demo: deps
	$(MAKE) lab-build
	@if [ "$(LAB)" = host ]; then lab/demo.sh up; else tests/kernel-lab/demo.sh up; fi

demo-down:
	tests/kernel-lab/demo.sh down
	lab/demo.sh down

demo-shell:
	tests/kernel-lab/demo.sh shell

# ---- docs ---------------------------------------------------------------------
# The configuration reference in docs/config.md is generated from lib/cfg_schema.c.
docs: $(BUILD)/tests/tools/cfg_schema_doc
	$(BUILD)/tests/tools/cfg_schema_doc docs/config.md

# ---- install ------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSCONFDIR)/tsnd $(DESTDIR)$(DATADIR)/tsnd/examples $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(COMPLDIR) $(DESTDIR)$(DATADIR)/tsnd/bpf $(DESTDIR)$(DATADIR)/doc/tsnd
	install -m 0755 $(BUILD)/tsnd $(DESTDIR)$(SBINDIR)/tsnd
	install -m 0755 $(BUILD)/tsnctl $(DESTDIR)$(BINDIR)/tsnctl
	install -m 0644 $(BPF_OBJ) $(DESTDIR)$(DATADIR)/tsnd/bpf/
	install -m 0644 man/tsnd.8 man/tsnctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/tsnd.yaml.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 configs/*.yaml $(DESTDIR)$(DATADIR)/tsnd/examples/
	install -m 0644 docs/*.md $(DESTDIR)$(DATADIR)/doc/tsnd/
	[ -e $(DESTDIR)$(SYSCONFDIR)/tsnd/tsnd.yaml ] || \
		install -m 0640 configs/tsnd.yaml $(DESTDIR)$(SYSCONFDIR)/tsnd/tsnd.yaml
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' dist/tsnd.service.in \
		> $(DESTDIR)$(UNITDIR)/tsnd.service
	install -m 0644 dist/tsnctl.bash-completion $(DESTDIR)$(COMPLDIR)/tsnctl

clean:
	rm -rf build

# tsncnc, the network planner
include cnc/cnc.mk

# tsn-netconfd and tsn-yang, the NETCONF/YANG face
include netconf/netconf.mk

# make deb: the Debian package (dist/deb.mk, dist/debian/).
include dist/deb.mk
