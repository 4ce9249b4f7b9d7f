#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_flood.sh — a rogue talker floods the switch with a known stream far over its
# contract; the flow meter drops the excess in XDP at the rogue's port, and a
# protected stream from another talker loses nothing.  Its one-way latency
# percentiles without and with the flood are printed (figures, not pass/fail
# criteria: timing targets belong in make bench).
#
#   tlk:eth0 ── sw0p3 ┐
#                     [sw: tsnd] sw0p4 ── lst:eth0
#   rog:eth0 ── sw0p5 ┘
# Not covered here: an unknown stream claiming a scheduled priority
# (unmatched-priority) needs a port with a gate schedule, hence taprio, which this
# host's kernel lacks: the kernel lab's
# tests/kernel-lab/guest/tests/test_flood_sched.sh floods both kinds through a real
# schedule; tests/unit/test_bpf_classifier.c checks the policy through BPF_PROG_RUN.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LAT6=$IT_BUILD/tests/tools/lat6

flood_topology() {
	it_host tlk sw0p3 1
	it_host rog sw0p5 5
	it_host lst sw0p4 2
	it_forwarding_on
}

flood_config() {
	cat >"$1" <<EOF
daemon:
  log-level: info
  log-target: stderr
  pid-file: $IT_DIR/flood.pid
  state-dir: $IT_DIR
control:
  socket: $IT_DIR/flood.sock
  timeout: 1s
ports:
  - { name: sw0p3, xdp: generic }
  - { name: sw0p4, xdp: generic }
  - { name: sw0p5, xdp: generic }
flow-meters:
  - { name: contract, cir: 1Mbit, cbs: 3000B }
stream-filters:
  - { name: rogue-contract, max-sdu: 1522, meter: contract }
streams:
  - { id: 10, name: protected, identification: ipv6, dst: "2001:db8:2::2", next-header: 17,
      dst-port: 5000, priority: 6 }
  - { id: 20, name: rogue, identification: ipv6, dst: "2001:db8:2::2", next-header: 17,
      dst-port: 6000, priority: 6, filter: rogue-contract }
routes: []
dataplane:
  pin-dir: /sys/fs/bpf/${LAB_PREFIX}flood
  keep-on-exit: false
EOF
}

# protected_run LABEL: 2000 datagrams at 2 kHz from tlk; RESULT gets lat6's JSON.
protected_run() {
	: >"$IT_DIR/lat.err"
	lab_spawn LAT_PID lst "$LAT6" recv 5000 -n 2000 -w 2000 >"$IT_DIR/lat.out" 2>"$IT_DIR/lat.err"
	lab_wait_until 5 grep -q listening "$IT_DIR/lat.err" || it_fail "the listener did not start"
	lab_exec tlk "$LAT6" send 2001:db8:2::2 5000 -n 2000 -i 500 -s 100
	lab_wait_until 10 bash -c "! kill -0 $LAT_PID 2>/dev/null" || it_fail "the listener hangs"
	wait "$LAT_PID" 2>/dev/null || true
	RESULT=$(cat "$IT_DIR/lat.out")
	echo "    $1: $RESULT"
}

red() {
	expect_exit 0 tsnctl_sw -j filter show rogue-contract
	jget "$OUT" '.filters[0].counters.red'
}

test_flood_leaves_protected_stream_alone() {
	flood_topology
	flood_config "$IT_DIR/flood.yaml"
	it_start_tsnd "$IT_DIR/flood.yaml"
	lab_exec tlk ping -6 -c 1 -W 2 2001:db8:2::2 >/dev/null || it_fail "no path tlk -> lst"
	lab_exec rog ping -6 -c 1 -W 2 2001:db8:2::2 >/dev/null || it_fail "no path rog -> lst"

	protected_run "without flood"
	expect_json "$RESULT" '.received == 2000 and .lost == 0' "no loss without the flood"

	# The rogue: 1400-byte datagrams as fast as it can, for as long as the
	# protected stream runs (its contract is 1 Mbit/s).
	local red0
	red0=$(red)
	lab_spawn FLOOD_PID rog "$LAT6" send 2001:db8:2::2 6000 -n 10000000 -i 0 -s 1400 \
		>/dev/null 2>&1
	sleep 0.3
	protected_run "with flood   "
	lab_pid_alive "$FLOOD_PID" || it_fail "the flood ended before the protected stream did"
	local red1
	red1=$(red)
	kill "$FLOOD_PID" 2>/dev/null || true
	echo "    rogue frames dropped by the meter during the run: $((red1 - red0))"
	((red1 - red0 > 10000)) || it_fail "the flood was not policed ($((red1 - red0)) red frames)"
	expect_json "$RESULT" '.received == 2000 and .lost == 0' "no loss with the flood"
}

it_main flood_leaves_protected_stream_alone
