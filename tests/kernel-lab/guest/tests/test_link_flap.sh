#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_link_flap.sh — issue 19 item 1: after a link flap of the scheduled port
# or of its peer, traffic through the schedule comes back.
#
# Linux 6.1's software taprio cancels its gate timer when the device is
# deactivated (link or carrier down) and never restarts it: afterwards not even
# the always-open class passes.  tsnd watches RTNLGRP_LINK and re-installs the
# schedule at a fresh base time when the link is back.  Here swA runs a
# schedule in which class 1 is always open (base-time auto, lead 100 ms):
#  - before any flap, the frames of class 1 arrive;
#  - `ip link set swA down; up`: tsnd logs the re-installation, and a burst sent
#    RECOVER_S seconds after the link came up arrives (at least half of it: under
#    emulation the talker's start-up costs some frames; frozen, none pass);
#  - the same for the peer's end (pswA down; up: swA loses its carrier);
#  - schedule show counts 2 recoveries with the last reason, status sums them;
#  - with link-recovery: false the same flap leaves the port frozen (the kernel
#    bug this works around; fewer than 10 % arrive), so the checks above can fail.
. /tsn/tests/kernel-lab/guest/lib.sh

RECOVER_S=3	# documented bound (docs/schedules.md): detection + base-time-lead + one cycle, with margin
SENT=200

write_config() {
	kl_config "$KL_WORK/tsnd.yaml" "  - name: swA
    schedule:
      num-tc: 2
      map: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\"]
      base-time: auto
      base-time-lead: 100ms
      link-recovery: $1
      entries:
        - { gates: [0, 1], interval: 500us }
        - { gates: [1], interval: 500us }"
}

neigh() {
	ip -n sw -6 neigh replace 2001:db8:78::2 lladdr "$(ip -n peer -j link show pswA | jq -r '.[0].address')" dev swA
}

# burst [full]: send SENT frames of priority 1 (class 1); echo how many arrived.
# The listener gets 1 s after the talker's end (class 1 is always open: what
# arrives at all arrives in a cycle), then SIGTERM (gate_probe then ends with its
# file complete); with `full` it listens its whole 4 s, so a frozen port's count
# (asserted to be low) includes anything released late.
burst() {
	local out=$KL_WORK/arrivals
	rm -f "$out"
	lab_spawn LISTEN_PID peer "$GATE_PROBE" listen --port 7400 --duration 4000 --out "$out" >/dev/null 2>&1
	sleep 0.3
	ip netns exec sw "$GATE_PROBE" talk --dst 2001:db8:78::2 --port 7400 --prio 1 --interval 2000 \
		--duration $((SENT * 2)) >/dev/null 2>&1 || true
	if [[ ${1:-} != full ]]; then
		sleep 1
		kill -TERM "$LISTEN_PID" 2>/dev/null || true
	fi
	wait "$LISTEN_PID" 2>/dev/null || true
	if [[ -f $out ]]; then wc -l <"$out"; else echo 0; fi
}

# flap NS DEV: DEV down and up in NS; then wait RECOVER_S from the moment it is up.
flap() {
	ip -n "$1" link set "$2" down
	sleep 0.5
	ip -n "$1" link set "$2" up
	sleep "$RECOVER_S"
	neigh
}

test_link_flap() {
	local n
	lab_ns_add sw
	lab_ns_add peer
	ip netns exec sw sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1
	ip netns exec peer sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1
	kl_ports sw peer swA
	ip netns exec sw sysctl -qw net.ipv6.conf.swA.keep_addr_on_down=1
	ip netns exec peer sysctl -qw net.ipv6.conf.pswA.keep_addr_on_down=1
	lab_addr sw swA 2001:db8:78::1/64
	lab_addr peer pswA 2001:db8:78::2/64
	neigh
	write_config true
	kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
	sleep 0.5

	n=$(burst)
	((n * 2 >= SENT)) || kl_fail "before any flap only $n of $SENT frames arrived"

	flap sw swA
	grep -q "swA: the link came back up: schedule re-installed" "$KL_TSND_LOG" ||
		kl_fail "tsnd did not re-install after swA's flap: $(kl_tail "$KL_TSND_LOG" 4)"
	n=$(burst)
	kl_data "link-flap: own link down/up: $n of $SENT frames arrived ${RECOVER_S} s after the link came up"
	((n * 2 >= SENT)) || kl_fail "after swA's flap only $n of $SENT frames arrived"

	flap peer pswA
	n=$(burst)
	kl_data "link-flap: peer link down/up: $n of $SENT frames arrived ${RECOVER_S} s after the link came up"
	((n * 2 >= SENT)) || kl_fail "after the peer's flap only $n of $SENT frames arrived"

	kl_run kl_tsnctl -j schedule show
	[[ $(jq -r '.ports[0].recoveries' <<<"$OUT") == 2 ]] ||
		kl_fail "schedule show does not count 2 recoveries: $(jq -c '.ports[0] | {state, recoveries, last_recovery}' <<<"$OUT")"
	[[ $(jq -r '.ports[0].last_recovery' <<<"$OUT") == "link came back up; re-installed at base time "* ]] ||
		kl_fail "no last recovery reason: $(jq -c '.ports[0].last_recovery' <<<"$OUT")"
	kl_run kl_tsnctl -j status
	[[ $(jq -r '.. | objects | select(has("recoveries") and has("applied")) | .recoveries' <<<"$OUT" | head -1) == 2 ]] ||
		kl_fail "status does not sum 2 recoveries: $(jq -c '.. | objects | select(has("applied"))' <<<"$OUT" | head -1)"

	# Switched off: the kernel's freeze shows.
	write_config false
	kl_run kl_tsnctl config reload
	((RC == 0)) || kl_fail "reload with link-recovery: false failed ($RC): $OUT $ERR"
	sleep 0.5
	n=$(burst)
	((n * 2 >= SENT)) || kl_fail "after the reload only $n of $SENT frames arrived"
	flap sw swA
	n=$(burst full)
	kl_data "link-flap: without link-recovery: $n of $SENT frames arrived after the flap (Linux $(uname -r))"
	((n * 10 < SENT)) || kl_fail "without link-recovery $n of $SENT frames arrived: does this kernel not freeze?"
	grep -q "swA: link back up; link-recovery is off" "$KL_TSND_LOG" ||
		kl_fail "tsnd did not log that link-recovery is off: $(kl_tail "$KL_TSND_LOG" 4)"
}

kl_test link-flap test_link_flap
