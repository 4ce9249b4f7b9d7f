#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_fib_cache.sh — the fast path's FIB cache follows the kernel: with tsnd
# running (cache on, its default), a route changed with `ip route` and a
# neighbour whose MAC changes take effect for the very next datagrams, which must
# still take the fast path.  A stale entry would send them to the old next hop or
# the old MAC, where nothing receives them.
#
#   tlk:eth0 ── sw0p3 [sw: tsnd] sw0p4 ── lst:eth0   2001:db8:2::2, 3::2 on lo
#   2001:db8:1::2   ::1         sw0p5 ── lst2:eth0  2001:db8:4::2, 3::2 on lo
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UDP6=$IT_BUILD/tests/tools/udp6
PIN=/sys/fs/bpf/${LAB_PREFIX}fc

fc_topology() {
	it_host tlk sw0p3 1
	it_host lst sw0p4 2
	it_host lst2 sw0p5 4
	lab_addr lst lo 2001:db8:3::2/128
	lab_addr lst2 lo 2001:db8:3::2/128
	it_forwarding_on
	cat >"$IT_DIR/fc.yaml" <<EOF
daemon:
  log-level: debug
  log-target: stderr
  pid-file: $IT_DIR/fc.pid
  state-dir: $IT_DIR
control:
  socket: $IT_DIR/fc.sock
  timeout: 1s
ports:
  - { name: sw0p3, xdp: generic }
  - { name: sw0p4, xdp: generic }
  - { name: sw0p5, xdp: generic }
dataplane:
  pin-dir: $PIN
EOF
	it_start_tsnd "$IT_DIR/fc.yaml"
}

# delivered NS PORT COUNT: send COUNT datagrams to 2001:db8:3::2 PORT (or DST if
# set) from the talker; the number that arrived in NS.
delivered() {
	local ns=$1 port=$2 count=$3 pid
	: >"$IT_DIR/recv.err"
	lab_spawn pid "$ns" "$UDP6" recv "$port" -n "$count" -w 3000 >"$IT_DIR/recv.out" \
		2>"$IT_DIR/recv.err"
	lab_wait_until 5 grep -q listening "$IT_DIR/recv.err" || it_fail "the listener did not start"
	lab_exec tlk "$UDP6" send "${DST:-2001:db8:3::2}" "$port" -n "$count" -i 20000
	wait "$pid" 2>/dev/null || true
	wc -l <"$IT_DIR/recv.out"
}

redirected() {
	expect_exit 0 tsnctl_sw -j port show sw0p3
	jget "$OUT" '.ports[0].xdp.forwarding.redirect'
}

cache_on() {
	grep -q 'dataplane: FIB cache on' "$IT_LOG"
}

# generations: how many times tsnd has invalidated the cache so far.
generations() {
	grep -c 'dataplane: FIB cache generation' "$IT_LOG" || true
}

# seen_after N: wait until tsnd has invalidated the cache after the N-th time
# (it has read the kernel's event).
seen_after() {
	lab_wait_until 5 bash -c "(( \$(grep -c 'dataplane: FIB cache generation' '$IT_LOG') > $1 ))" ||
		it_fail "tsnd did not see the change"
}

test_route_change() {
	fc_topology
	cache_on || it_fail "the FIB cache is not on"
	lab_exec "$IT_NS" ip -6 route add 2001:db8:3::/64 via 2001:db8:2::2 dev sw0p4
	expect_eq "$(delivered lst 6001 5)" 5 "delivered over the first route"
	local before gens
	before=$(redirected)
	gens=$(generations)
	# The next hop moves, by `ip route`, not by tsnd.
	lab_exec "$IT_NS" ip -6 route replace 2001:db8:3::/64 via 2001:db8:4::2 dev sw0p5
	seen_after "$gens"
	expect_eq "$(delivered lst2 6002 5)" 5 "delivered over the new route"
	expect_eq "$(delivered lst 6003 2)" 0 "nothing over the old route"
	(($(redirected) >= before + 4)) || it_fail "the new route did not take the fast path"
}

test_neighbour_mac_change() {
	fc_topology
	cache_on || it_fail "the FIB cache is not on"
	DST=2001:db8:2::2
	expect_eq "$(delivered lst 6011 5)" 5 "delivered to the first MAC"
	local before gens
	before=$(redirected)
	# The listener gets a new NIC: a new MAC, which the switch learns.
	lab_exec lst ip link set eth0 address 02:00:00:00:fc:02
	gens=$(generations)
	lab_exec "$IT_NS" ip -6 neigh replace 2001:db8:2::2 lladdr 02:00:00:00:fc:02 dev sw0p4 \
		nud reachable
	seen_after "$gens"
	expect_eq "$(delivered lst 6012 5)" 5 "delivered to the new MAC"
	(($(redirected) >= before + 5)) || it_fail "the frames did not take the fast path"
}

it_main route_change neighbour_mac_change
