#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# cnc_ring.sh — the kernel lab's ring of four switches for tsncnc (issue 14), sourced
# by tests/test_cnc_ring.sh after lib.sh:
#
#   talker ── p3 sw1 p1 ──── p1 sw2
#                p2             p2
#                p1             p1
#                sw4 p2 ──── p2 sw3 p3 ── listener
#
# The switches are built as the line's (cnc_line.sh's `switch`: a namespace with
# its own tsnd, its tsn-netconfd in "mgmt" on 127.0.0.1:8311..8314); the network
# is configs/networks/ring4-lab.yaml.
# shellcheck shell=bash disable=SC2034  # SWITCHES, NCPORT, SWPORTS: read by cnc_line.sh
# shellcheck source=cnc_line.sh
. "$KL_GUEST/cnc_line.sh"

SWITCHES=(sw1 sw2 sw3 sw4)
NCPORT=([sw1]=8311 [sw2]=8312 [sw3]=8313 [sw4]=8314)
SWPORTS=([sw1]="p1 p2 p3" [sw2]="p1 p2" [sw3]="p1 p2 p3" [sw4]="p1 p2")

ring() {
	local s
	for s in mgmt "${SWITCHES[@]}" talker listener; do
		lab_ns_add "$s"
		# no IPv6 chatter on the ring: best effort stays out of the counts
		lab_sysctl "$s" net.ipv6.conf.all.disable_ipv6=1
		lab_sysctl "$s" net.ipv6.conf.default.disable_ipv6=1
	done
	lab_veth talker eth0 sw1 p3 8
	lab_veth sw1 p1 sw2 p1 8
	lab_veth sw2 p2 sw3 p1 8
	lab_veth sw3 p2 sw4 p2 8
	lab_veth sw4 p1 sw1 p2 8
	lab_veth sw3 p3 listener eth0 8
	switches_up
}

# ring_net [FILE]: ring4-lab.yaml with the lab's key, in FILE ($KL_WORK/net.yaml)
ring_net() {
	sed "s|key: /etc/tsncnc/id_ed25519|key: $KL_WORK/cnc|" "$TSN/configs/networks/ring4-lab.yaml" >"${1:-$KL_WORK/net.yaml}"
	rm -rf "$KL_WORK/plan"
}

# ring_frer SW: SW's `tsnctl -j frer show`
ring_frer() {
	sw_tsnctl "$1" -j frer show || kl_fail "$1: frer show failed"
}
