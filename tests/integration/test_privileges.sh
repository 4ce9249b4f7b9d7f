#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_privileges.sh — after start-up tsnd keeps only the capabilities it needs
# (daemon/core/privs.c, docs/security.md): read from /proc/PID/status of a running
# tsnd, then checked that it still does its work without the rest: reloads that
# attach and detach XDP and tc, a route installed and removed, and a clean stop.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Capability bits (linux/capability.h).
CAP_CHOWN=0 CAP_NET_ADMIN=12 CAP_NET_RAW=13 CAP_SYS_TIME=25 CAP_BPF=39

mask() {
	local m=0 b
	for b in "$@"; do
		m=$((m | (1 << b)))
	done
	printf '%016x\n' "$m"
}

# cap_of PID FIELD: CapEff, CapPrm, CapInh, CapBnd or CapAmb as 16 hex digits.
cap_of() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

test_capabilities_dropped() {
	local conf=$IT_DIR/privs.yaml
	it_config "$conf"
	it_start_tsnd "$conf"
	local self children
	self=$(mask $CAP_CHOWN $CAP_NET_ADMIN $CAP_BPF)
	children=$(mask $CAP_CHOWN $CAP_NET_ADMIN $CAP_NET_RAW $CAP_BPF)
	echo "    tsnd pid $TSND_PID: CapEff $(cap_of "$TSND_PID" CapEff) CapPrm $(cap_of "$TSND_PID" CapPrm)" \
		"CapBnd $(cap_of "$TSND_PID" CapBnd) CapInh $(cap_of "$TSND_PID" CapInh) CapAmb $(cap_of "$TSND_PID" CapAmb)"
	expect_eq "$(cap_of "$TSND_PID" CapEff)" "$self" "effective set (chown, net_admin, bpf)"
	expect_eq "$(cap_of "$TSND_PID" CapPrm)" "$self" "permitted set"
	expect_eq "$(cap_of "$TSND_PID" CapInh)" "0000000000000000" "inheritable set"
	expect_eq "$(cap_of "$TSND_PID" CapAmb)" "0000000000000000" "ambient set"
	expect_eq "$(cap_of "$TSND_PID" CapBnd)" "$children" "bounding set (+ net_raw for ptp4l)"
	expect_match "$(cat "$IT_LOG")" 'privileges: dropped every capability but cap_net_admin,cap_bpf,cap_chown,cap_net_raw \(children\)' \
		"logged"
}

test_works_without_them() {
	local conf=$IT_DIR/work.yaml
	it_config "$conf"
	it_start_tsnd "$conf"
	expect_exit 0 tsnctl_sw -j port show sw0p1
	expect_json "$OUT" '.ports[0].xdp.attached and .ports[0].xdp.tc_attached' "attached at start"
	# A reload that detaches XDP and tc from one port (netlink, CAP_NET_ADMIN) ...
	sed -i '0,/    xdp: generic/s//    xdp: "off"/' "$conf"
	expect_exit 0 tsnctl_sw config reload
	expect_exit 0 tsnctl_sw -j port show sw0p1
	expect_json "$OUT" '.ports[0].xdp.attached == false' "detached by a reload"
	expect_no_match "$(lab_exec "$IT_NS" ip -d link show dev sw0p1)" 'prog/xdp' "no XDP on sw0p1"
	# ... and one that attaches them again, with a route over rtnetlink.
	sed -i '0,/    xdp: "off"/s//    xdp: generic/' "$conf"
	lab_exec "$IT_NS" ip -6 addr add 2001:db8:7::1/64 dev sw0p2 nodad
	cat >>"$conf" <<EOF
routes:
  - { prefix: "2001:db8:8::/64", via: "2001:db8:7::2", dev: sw0p2 }
EOF
	expect_exit 0 tsnctl_sw config reload
	expect_exit 0 tsnctl_sw -j port show sw0p1
	expect_json "$OUT" '.ports[0].xdp.attached and .ports[0].xdp.tc_attached' "attached by a reload"
	expect_match "$(lab_exec "$IT_NS" ip -6 route show proto 201)" '2001:db8:8::/64' "route installed"
	# Counters are still read (bpf() on the maps).
	expect_exit 0 tsnctl_sw -j class stats sw0p1
	expect_json "$OUT" '.ports[0].attached' "class stats"
	# A clean stop: programs detached, route removed.
	lab_stop_pid "$TSND_PID" 5 || it_fail "tsnd did not stop on SIGTERM"
	expect_eq "$(lab_exec "$IT_NS" ip -6 route show proto 201)" "" "route removed"
	expect_no_match "$(lab_exec "$IT_NS" ip -d link show dev sw0p2)" 'prog/xdp' "XDP detached"
	expect_match "$(cat "$IT_LOG")" 'tsnd stopped' "stopped"
	expect_no_match "$(cat "$IT_LOG")" '\[(err|error)\]' "no errors in the log"
}

it_main capabilities_dropped works_without_them
