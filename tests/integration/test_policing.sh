#!/usr/bin/env bash
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
	lab_ns_add tlk
	lab_ns_add lst
	lab_veth tlk eth0 "$IT_NS" sw0p3 1
	lab_veth "$IT_NS" sw0p4 lst eth0 1
	lab_on_cleanup ip -n "$(lab_ns "$IT_NS")" link del sw0p3
	lab_on_cleanup ip -n "$(lab_ns "$IT_NS")" link del sw0p4
	lab_addr tlk eth0 2001:db8:1::2/64
	lab_addr "$IT_NS" sw0p3 2001:db8:1::1/64
	lab_addr "$IT_NS" sw0p4 2001:db8:2::1/64
	lab_addr lst eth0 2001:db8:2::2/64
	lab_route6 tlk default via 2001:db8:1::1
	lab_route6 lst default via 2001:db8:2::1
	lab_sysctl "$IT_NS" net.ipv6.conf.all.forwarding=1
	lab_on_cleanup lab_sysctl "$IT_NS" net.ipv6.conf.all.forwarding=0
	lab_wait_link_up tlk eth0
	lab_wait_link_up lst eth0
	lab_wait_addr tlk eth0 2001:db8:1::2
	lab_wait_addr lst eth0 2001:db8:2::2
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
streams:
  - { id: 10, identification: ipv6, dst: "2001:db8:2::2", next-header: 17, dst-port: 5000,
      priority: 5, filter: metered }
  - { id: 11, identification: ipv6, dst: "2001:db8:2::2", next-header: 17, dst-port: 5001,
      priority: 5, filter: small }
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

it_main meter_drops_over_rate max_sdu
