# SPDX-License-Identifier: GPL-2.0-only
# cnc.mk — tsncnc, the network planner (docs/cnc.md), included by the Makefile.
# It links libtsn.a (diagnostics, units, the YAML tree) and Z3 for the exact mode.

CNC_SRC      := $(filter-out cnc/tsncnc.c cnc/deploy.c,$(wildcard cnc/*.c))
CNC_OBJ      := $(CNC_SRC:%.c=$(BUILD)/%.o)
CNC_LIBS     := -lz3 $(shell $(PKG_CONFIG) --libs json-c yaml-0.1 2>/dev/null)
CNC_TESTS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_cnc_*.c))

.PHONY: bench-cnc

all: $(BUILD)/tsncnc

$(BUILD)/cnc/%.o: cnc/%.c cnc/cnc.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib -MMD -MP -c $< -o $@

# deploy, status, diff: a NETCONF client (libnetconf2, libyang) that reuses
# tsn-netconfd's YAML <-> YANG translation (netconf/ymap.c, built by netconf.mk).
CNC_NC_PKGS  := libnetconf2 libyang libssh
$(BUILD)/cnc/deploy.o: cnc/deploy.c cnc/cnc.h netconf/ymap.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib -Inetconf -DNC_ENABLED_SSH $(shell $(PKG_CONFIG) --cflags $(CNC_NC_PKGS) 2>/dev/null) \
		-MMD -MP -c $< -o $@

$(BUILD)/tsncnc: $(BUILD)/cnc/tsncnc.o $(BUILD)/cnc/deploy.o $(BUILD)/netconf/ymap.o $(CNC_OBJ) $(BUILD)/libtsn.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(CNC_LIBS) \
		$(shell $(PKG_CONFIG) --libs $(CNC_NC_PKGS) 2>/dev/null) -lpthread

# The planner's unit tests link the planner, not the daemon (explicit rules win over
# the generic tests/unit pattern).
$(CNC_TESTS): $(BUILD)/tests/%: tests/unit/%.c $(CNC_OBJ) $(BUILD)/libtsn.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Icnc -Ilib $(ALL_LDFLAGS) -o $@ $^ $(CNC_LIBS) $(TEST_LIBS)

$(BUILD)/tests/bench_cnc: tests/bench/bench_cnc.c $(CNC_OBJ) $(BUILD)/libtsn.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Icnc -Ilib $(ALL_LDFLAGS) -o $@ $^ $(CNC_LIBS)

tests-build: $(BUILD)/tsncnc $(BUILD)/tests/bench_cnc

bench: bench-cnc
bench-cnc: $(BUILD)/tests/bench_cnc
	$(BUILD)/tests/bench_cnc

# Deploy time to 1 and to 4 switches (namespaces; root): tests/cnc/bench_deploy.sh.
.PHONY: bench-cnc-deploy
bench: bench-cnc-deploy
bench-cnc-deploy: $(BUILD)/tsncnc $(BUILD)/tsn-netconfd $(BUILD)/tsnd $(BUILD)/tsnctl
	@mkdir -p tests/out
	TSN_BUILD=$(BUILD) bash tests/cnc/bench_deploy.sh | tee tests/out/bench-cnc-deploy.log

-include $(CNC_OBJ:.o=.d) $(BUILD)/cnc/tsncnc.d $(BUILD)/cnc/deploy.d

.PHONY: install-cnc
install: install-cnc
install-cnc: $(BUILD)/tsncnc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/tsncnc $(DESTDIR)$(BINDIR)/tsncnc
	install -m 0644 man/tsncnc.8 $(DESTDIR)$(MANDIR)/man8/

# The line of three in the kernel lab (QEMU/TCG, taprio): plan, deploy, and each
# stream's bound next to its measured latency (tests/kernel-lab/guest/tests/
# test_cnc_latency.sh; docs/cnc.md "Measured latency").
.PHONY: demo-network
demo-network: $(BUILD)/tsncnc $(BUILD)/tsn-netconfd $(BUILD)/tsnd $(BUILD)/tsnctl $(BUILD)/tests/tools/cnc_talk
	$(BUILD)/tsncnc plan configs/networks/line3-lab.yaml
	@mkdir -p tests/out
	tests/kernel-lab/run.sh --timeout 1500 --log tests/out/demo-network.log cnc_latency
