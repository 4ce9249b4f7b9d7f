#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_policing.sh — IEEE 802.1Qci per-stream filtering and policing on a real
# switch: a talker sends UDP streams through tsnd's XDP data plane; a flow meter
# lets a full bucket through and drops the rest, a max SDU drops oversize frames,
# and `tsnctl filter show` reports it (text and -j).  The exact token arithmetic is
# tested with a controlled clock in tests/unit/test_bpf_policing.c; here the clock is
# the kernel's, so the rate is chosen so slow (100 B/s) that the refill during the
# test (well under a second) can never add another frame.
#
#   tlk:eth0 ── sw0p3 [sw: tsnd] sw0p4 ── lst:eth0
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UDP6=$IT_BUILD/tests/tools/udp6

pol_topology() {
	it_host tlk sw0p3 1
	it_host lst sw0p4 2
	it_forwarding_on
}

pol_config() {
	cat >"$1" <<EOF
daemon:
  log-level: info
  log-target: stderr
  pid-file: $IT_DIR/pol.pid
  state-dir: $IT_DIR
control:
  socket: $IT_DIR/pol.sock
  timeout: 1s
ports:
  - { name: sw0p3, xdp: generic }
  - { name: sw0p4, xdp: generic }
flow-meters:
  - { name: slow, cir: 800bit, cbs: 1000B }
stream-filters:
  - { name: metered, max-sdu: 1500, meter: slow }
  - { name: small, max-sdu: 150 }
  - { name: gated, gate: g-half }
stream-gates:
  - name: g-half
    clock: tai
    base-time: 0
    entries:
      - { state: closed, interval: 600ms }
      - { state: open, interval: 400ms, priority: 3 }
streams:
  - { id: 10, identification: ipv6, dst: "2001:db8:2::2", next-header: 17, dst-port: 5000,
      priority: 5, filter: metered }
  - { id: 11, identification: ipv6, dst: "2001:db8:2::2", next-header: 17, dst-port: 5001,
      priority: 5, filter: small }
  - { id: 12, identification: ipv6, dst: "2001:db8:2::2", next-header: 17, dst-port: 5002,
      priority: 5, filter: gated }
routes: []
dataplane:
  pin-dir: /sys/fs/bpf/${LAB_PREFIX}pol
  keep-on-exit: false
EOF
}

# recv_start PORT COUNT WAIT-MS: a listener in lst, its JSON lines in recv-PORT.out.
recv_start() {
	: >"$IT_DIR/recv-$1.err"
	lab_spawn RECV_PID lst "$UDP6" recv "$1" -n "$2" -w "$3" >"$IT_DIR/recv-$1.out" \
		2>"$IT_DIR/recv-$1.err"
	lab_wait_until 5 grep -q listening "$IT_DIR/recv-$1.err" || it_fail "the listener did not start"
}

recv_wait() {
	lab_wait_until 10 bash -c "! kill -0 $RECV_PID 2>/dev/null" || it_fail "the listener hangs"
	wait "$RECV_PID" 2>/dev/null || true
}

start_switch() {
	pol_topology
	pol_config "$IT_DIR/pol.yaml"
	it_start_tsnd "$IT_DIR/pol.yaml"
	# Resolve the neighbours first (ICMPv6 is no policed stream).
	lab_exec tlk ping -6 -c 1 -W 2 2001:db8:2::2 >/dev/null || it_fail "no path through the switch"
}

test_meter_drops_over_rate() {
	start_switch
	# 20 frames of 162 bytes (14 + 40 + 8 + 100) against a full bucket of 1000 B:
	# six fit (972 B); refilling another 162 B at 100 B/s would take 1.6 s.
	recv_start 5000 20 1500
	lab_exec tlk "$UDP6" send 2001:db8:2::2 5000 -n 20 -s 100 -i 1000
	recv_wait
	expect_eq "$(wc -l <"$IT_DIR/recv-5000.out")" 6 "datagrams delivered"
	expect_exit 0 tsnctl_sw -j filter show metered
	expect_json "$OUT" '.filters[0].counters == {"matched":20,"passed":6,"max_sdu":0,"gate_closed":0,"red":14,"yellow":0,"demoted":0}' \
		"filter counters"
	expect_json "$OUT" '.filters[0].meter.cir_bps == 800 and .filters[0].meter.cbs_bytes == 1000 and .filters[0].streams == [10]' \
		"filter meter"
	expect_exit 0 tsnctl_sw -j stream show 10
	expect_json "$OUT" '.streams[0].counters.packets == 20 and .streams[0].counters.drops == 14' \
		"stream drops"
	expect_exit 0 tsnctl_sw filter show
	expect_match "$OUT" '^NAME +MAX-SDU +METER +GATE +STREAMS +MATCHED +PASSED +OVER-SDU +GATE-CLOSED +RED +YELLOW +DEMOTED' \
		"filter show header"
	expect_match "$OUT" '^metered +1500 +slow 800bit/1000B drop +- +10 +20 +6 +0 +0 +14 +0 +0' "filter show row"
	expect_exit 1 tsnctl_sw filter show nosuch
	expect_match "$ERR" 'stream filter "nosuch" is not configured' "unknown filter"
}

test_max_sdu() {
	start_switch
	recv_start 5001 20 1500
	# 162-byte frames are over the max SDU of 150; 142-byte frames are not.
	lab_exec tlk "$UDP6" send 2001:db8:2::2 5001 -n 5 -s 100 -i 1000
	lab_exec tlk "$UDP6" send 2001:db8:2::2 5001 -n 7 -s 80 -i 1000
	recv_wait
	expect_eq "$(jq -s 'map(select(.len == 80)) | length' "$IT_DIR/recv-5001.out")" 7 "small delivered"
	expect_eq "$(jq -s 'map(select(.len == 100)) | length' "$IT_DIR/recv-5001.out")" 0 "oversize dropped"
	expect_exit 0 tsnctl_sw -j filter show small
	expect_json "$OUT" '.filters[0].counters.matched == 12 and .filters[0].counters.passed == 7 and .filters[0].counters.max_sdu == 5' \
		"filter counters"
}

# gate_now: `filter show gated` as JSON in OUT, its gate in GATE.
gate_now() {
	expect_exit 0 tsnctl_sw -j filter show gated
	GATE=$(jq -c '.gates[0]' <<<"$OUT")
}

# gate_int KEY: an integer of the gate read from tsnctl's text (jq's doubles would
# round a TAI time in ns).
gate_int() {
	grep -o "\"$1\": *[0-9]*" <<<"$OUT" | head -n1 | cut -d: -f2 | tr -d ' '
}

test_gate_state_live() {
	start_switch
	# g-half on TAI from 0: closed for the first 600 ms of every second, then
	# open 400 ms at priority 3.  What filter show says must agree with the
	# clock it read, and with the TAI clock read here.
	gate_now
	local tai now off
	tai=$("$IT_BUILD/tests/tools/gate_probe" now tai)
	now=$(gate_int now_ns)
	(( now <= tai && tai - now < 1000000000 )) || it_fail "now_ns $now is not TAI ($tai)"
	off=$((now % 1000000000))
	expect_json "$GATE" ".name == \"g-half\" and .clock == \"tai\" and .cycle_ns == 1000000000 and .base_time_ns == 0 and .offset_ns == $off and .filters == [\"gated\"]" \
		"gate schedule and offset"
	if ((off < 600000000)); then
		expect_json "$GATE" ".state == \"closed\" and .entry == 0 and .entry_priority == null and .next_change_in_ns == $((600000000 - off)) and .next_entry_in_ns == $((600000000 - off))" \
			"closed at $off ns into the cycle"
	else
		expect_json "$GATE" ".state == \"open\" and .entry == 1 and .entry_priority == 3 and .next_change_in_ns == $((1000000000 - off))" \
			"open at $off ns into the cycle"
	fi
	# Into a closed window with room to spare, then 5 frames: all gate-closed.
	lab_wait_until 3 bash -c "(( \$($IT_BUILD/tests/tools/gate_probe now tai) % 1000000000 < 300000000 ))" ||
		it_fail "no closed window came"
	lab_exec tlk "$UDP6" send 2001:db8:2::2 5002 -n 5 -s 50 -i 1000
	gate_now
	expect_json "$OUT" '.filters[0].counters.gate_closed == 5 and .filters[0].counters.passed == 0' \
		"frames in the closed window dropped"
	expect_json "$GATE" '.gate_closed == 5' "gate-closed count on the gate"
	expect_exit 0 tsnctl_sw filter show gated
	expect_match "$OUT" '^STREAM-GATE +CLOCK +STATE +ENTRY +PRIORITY +NEXT-CHANGE +NEXT-ENTRY +GATE-CLOSED +FILTERS' \
		"gate table header"
	expect_match "$OUT" '^g-half +tai +(closed +0/2 +-|open +1/2 +3) +[0-9.]+[mun]?s +[0-9.]+[mun]?s +5 +gated' \
		"gate table row"
}

it_main meter_drops_over_rate max_sdu gate_state_live
