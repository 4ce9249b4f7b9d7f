#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_reload_dataplane.sh — when a reload rewrites the data plane's tables, seen from
# the active table generation (`tsnctl -j status`: subsystems.dataplane.generation,
# which flips each time dataplane_apply switches generations).  With no port in the
# data plane (xdp: off everywhere) a reload whose data-plane inputs are unchanged
# keeps the tables (daemon/core/txn.c, dataplane_unchanged); a changed input, or a port
# in the data plane (whose MAC address and VLAN sub-interfaces are read again), makes
# the reload rewrite them.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dp_generation() {
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.subsystems.dataplane.state == "loaded"' "data plane loaded"
	jget "$OUT" .subsystems.dataplane.generation
}

reload_ok() {
	expect_exit 0 tsnctl_sw config reload
}

test_unchanged_inputs_keep_tables() {
	local conf=$IT_DIR/off.yaml g0 g1
	it_config "$conf" xdp=off level=debug
	it_start_tsnd "$conf"
	g0=$(dp_generation)
	reload_ok
	expect_eq "$(dp_generation)" "$g0" "generation after an unchanged reload (no XDP port)"
	grep -q "the data plane's tables stay as they are" "$IT_LOG" ||
		it_fail "tsnd did not log that it kept the tables; log: $(it_tail "$IT_LOG")"
	# Any other change, even one the data plane does not read (the log level),
	# rewrites them: the comparison leaves out only the schedules.
	it_config "$conf" xdp=off level=info
	reload_ok
	g1=$(dp_generation)
	[[ $g1 != "$g0" ]] || it_fail "a reload that changed daemon.log-level kept the tables (generation $g1)"
	# A classification change rewrites them.
	it_config "$conf" xdp=off level=info prio=3
	reload_ok
	expect_eq "$(dp_generation)" "$g0" "generation after a classification change"
	expect_exit 0 tsnctl_sw config show
	expect_match "$OUT" 'default-priority: 3' "the new default priority is running"
	reload_ok
	expect_eq "$(dp_generation)" "$g0" "generation after an unchanged reload"
}

test_xdp_ports_rewrite_tables() {
	local conf=$IT_DIR/xdp.yaml g0
	it_config "$conf" xdp=generic
	it_start_tsnd "$conf"
	g0=$(dp_generation)
	reload_ok
	[[ $(dp_generation) != "$g0" ]] || it_fail "an unchanged reload with XDP ports kept the tables"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.subsystems.dataplane.ports_attached == 2' "ports still attached"
}

it_main unchanged_inputs_keep_tables xdp_ports_rewrite_tables
