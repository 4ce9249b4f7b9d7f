#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_restart.sh — issue 19, item 6: restarting tsnd must not disturb the network
# it runs.
#
#   talker:t0 ── sw0p1 [sw: tsnd, XDP + tc on both ports] sw0p2 (taprio) ── listener:l0
#
# sw0p2 runs a 20 ms cycle: class 0 (priority 1) open for the first 10 ms, class 1
# (priority 2, the scheduled class here) for the second 10 ms, class 2 (everything
# else) always.  The talker sends a datagram of priority 2 (DSCP 2: scheduled,
# through XDP -> tc -> taprio) and one of priority 3 (DSCP 3 -> class 2, best
# effort, XDP_REDIRECT) every 2 ms while tsnd is restarted, three ways:
#   term      SIGTERM, then the same binary starts again (a service restart)
#   kill      SIGKILL, then the same binary starts again (a crash)
#   upgrade   SIGTERM, then a copy of the binary under another path starts with
#             the same configuration
# With dataplane.keep-on-exit: true each must lose no frame of either class, keep
# the scheduled class in its window, leave the taprio qdisc where it was (same
# base time), and the new tsnd must take the programs over: replaced in place,
# never detached.  Without keep-on-exit (SIGTERM, start) the figures are measured
# and printed (LAB DATA): what is lost and for how long; the only check is that
# traffic comes back.
#
# Loss: gate_probe listen writes "PRIO TAI_NS SEQ" per arrival; udp6 gate numbers
# its datagrams round robin over the priorities, so every missing sequence number
# of a priority is a frame lost (udp6 counts a failed send as sent).
. /tsn/tests/kernel-lab/guest/lib.sh

UDP6=$TSN/build/tests/tools/udp6
CYCLE=20000000
WIN=10000000
THRESHOLD_PPM=950000
PIN_DIR=/sys/fs/bpf/tsnd-lab
KL_TSND_WAIT=120	# the data plane loads slowly under TCG on a busy host
INTERVAL_US=2000	# one frame of each class every 2 ms

# config keep|nokeep: tsnd's configuration (KL_WORK/tsnd.yaml).
config() {
	kl_gate_schedule "{ gates: [0, 2], interval: 10ms }" "{ gates: [1, 2], interval: 10ms }"
	kl_config "$KL_WORK/tsnd.yaml" "  - name: sw0p1
    xdp: generic
  - name: sw0p2
    xdp: generic$KL_SCHED"
	[[ $1 == keep ]] && echo "  keep-on-exit: true" >>"$KL_WORK/tsnd.yaml"
	cat >>"$KL_WORK/tsnd.yaml" <<CFG
classification:
  dscp:
    - { dscp: 1, priority: 1 }
    - { dscp: 2, priority: 2 }
    - { dscp: 3, priority: 3 }
CFG
}

# progs: "XDP_ID TC_ID" of sw0p1 and sw0p2, as the kernel reports them.
progs() {
	local dev out=""
	for dev in sw0p1 sw0p2; do
		out+="$(ip -n sw -j link show "$dev" | jq -r '.[0].xdp.prog.id // .[0].xdp.attached[0].prog.id // 0') "
		out+="$(ip netns exec sw tc -j filter show dev "$dev" ingress | jq -r '[.[] | select((.options.prog.name? // "") == "tsn_tc_ingress") | .options.prog.id] | first // 0') "
	done
	echo "$out"
}

# watch_progs FILE: until killed, append a line to FILE whenever sw0p1's or
# sw0p2's XDP or tc program changes ("TIME_NS XDP1 TC1 XDP2 TC2"); a 0 is a
# moment without a program (a gap).  Under TCG a sample can take a second or
# more, so it may miss a change: that the programs were replaced is checked by
# tsnd's "took over" line, that there was no gap by the frames (none lost).
watch_progs() {
	local last="" now
	while :; do
		now=$(progs)
		[[ $now == "$last" ]] || echo "$(kl_now tai) $now" >>"$1"
		last=$now
		sleep 0.05
	done
}

# restart HOW: stop tsnd (term: SIGTERM, kill: SIGKILL) and start it again, as
# BINARY (TSND by default: the upgrade starts a copy).
restart() {
	local how=$1 bin=${2:-$TSND} n
	if [[ $how == kill ]]; then
		kill -KILL "$KL_TSND_PID"
	else
		kill -TERM "$KL_TSND_PID"
	fi
	for ((n = 0; n < 200; n++)); do
		lab_pid_alive "$KL_TSND_PID" || break
		sleep 0.1
	done
	lab_pid_alive "$KL_TSND_PID" && kl_fail "tsnd did not stop on SIG${how^^}"
	wait "$KL_TSND_PID" 2>/dev/null || true
	TSND=$bin kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
}

# scenario LABEL HOW [BINARY]: traffic of both classes from 2 s before tsnd is
# stopped until 3 s after the new one answers (under TCG a start can take a
# minute: the traffic is stopped, not timed); sets LOST2 LOST3 (frames lost per
# priority), GAP2 GAP3 (longest time without an arrival, ms), SHARE (scheduled
# frames in their window, ppm), FRAMES, BASE_AFTER (the base time afterwards).
scenario() {
	local label=$1 how=$2 bin=${3:-$TSND} out=$KL_WORK/$1.txt lpid tpid wpid root last2
	: >"$KL_WORK/$label.progs"
	DROPS0=$(drops)
	ip netns exec listener "$GATE_PROBE" listen --port 7400 --duration 900000 \
		--out "$out" >"$KL_WORK/listen-$label.txt" 2>&1 &
	lpid=$!
	lab_register_pid "$lpid"
	lab_wait_until 10 grep -q 'listen ready' "$KL_WORK/listen-$label.txt" || kl_fail "listener did not start"
	watch_progs "$KL_WORK/$label.progs" &
	wpid=$!
	lab_register_pid "$wpid"
	ip netns exec talker "$UDP6" gate 2001:db8:76::1 7400 -p 2,3 -i "$INTERVAL_US" -d 900000 \
		>"$KL_WORK/talk-$label.txt" 2>&1 &
	tpid=$!
	lab_register_pid "$tpid"
	sleep 2
	RESTART_T0=$(kl_now tai)
	restart "$how" "$bin"
	RESTART_T1=$(kl_now tai)
	sleep 3
	# The talker first, then (its last frames arrived) the listener: on SIGTERM
	# gate_probe ends with its file complete.
	kill -TERM "$tpid"
	wait "$tpid" 2>/dev/null || true
	sleep 0.5
	kill -TERM "$lpid"
	wait "$lpid" || kl_fail "$label: the listener failed: $(kl_tail "$KL_WORK/listen-$label.txt")"
	kill "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
	kl_data "restart-$label: drops before: $DROPS0; after: $(drops)"
	[[ -s $out ]] || kl_fail "$label: no frame arrived: $(kl_tail "$KL_WORK/listen-$label.txt")"
	# Per priority: lost = sequence numbers missing between its first and last
	# arrival (two priorities, round robin); gap = the longest time between two
	# arrivals; last2 = priority 2's last arrival.
	# (no process substitution: the guest's /dev has no /dev/fd)
	# Lost counts distinct numbers up to the highest seen (a frame overtaken by
	# another is late, not lost); a number seen twice is a duplicate (DUP2, DUP3).
	read -r LOST2 GAP2 LOST3 GAP3 last2 DUP2 DUP3 <<<"$(awk '
		{ p = $1; t = $2; s = $3
		  if (!(p in n)) { lo[p] = s; hi[p] = s; n[p] = 0; dup[p] = 0; gap[p] = 0 } else if (t - last[p] > gap[p]) gap[p] = t - last[p]
		  k = p " " s
		  if (k in seen) dup[p]++; else { seen[k] = 1; n[p]++ }
		  if (s > hi[p]) hi[p] = s
		  if (s < lo[p]) lo[p] = s
		  last[p] = t }
		END { for (p = 2; p <= 3; p++) printf "%d %.1f ", (p in n) ? (hi[p] - lo[p]) / 2 + 1 - n[p] : -1, gap[p] / 1e6
		      printf "%.0f %d %d\n", (2 in n) ? last[2] : 0, dup[2] + 0, dup[3] + 0 }' "$out")"
	((last2 > RESTART_T1)) || kl_fail "$label: no scheduled frame arrived after the restart"
	root=$(kl_root_qdisc sw sw0p2)
	BASE_AFTER=$(kl_sched_field "$root" base_time)
	# priority 1 (class 0) sends nothing here; priority 3 is not judged
	kl_gate_share "restart-$label" "$out" "$BASE" $CYCLE "0:$WIN" "$WIN:$CYCLE"
	kl_data "restart-$label: tsnd back after $(((RESTART_T1 - RESTART_T0) / 1000000)) ms;" \
		"scheduled (priority 2): $LOST2 lost, longest gap $GAP2 ms, $(kl_pct "$SHARE") in window;" \
		"best effort (priority 3): $LOST3 lost, longest gap $GAP3 ms;" \
		"programs (xdp/tc ids sw0p1, sw0p2): $(awk '{ $1 = ""; printf "[%s ]", $0 }' "$KL_WORK/$label.progs")"
}

# drops: where frames can be dropped on their way, one "name=N" each: the
# listener's socket (Udp6RcvbufErrors), the backlog queues (softnet_stat,
# all CPUs), sw0p1's and the listener's receive and sw0p2's transmit drops, and
# the qdisc on sw0p2.
drops() {
	local sock backlog=0 _a d _b
	sock=$(ip netns exec listener awk '$1 == "Udp6RcvbufErrors" { print $2 }' /proc/net/snmp6)
	while read -r _a d _b; do
		backlog=$((backlog + 16#$d))
	done </proc/net/softnet_stat
	echo "socket=$sock backlog=$backlog" \
		"sw0p1_rx=$(ip -n sw -j -s link show sw0p1 | jq '.[0].stats64.rx.dropped')" \
		"sw0p2_tx=$(ip -n sw -j -s link show sw0p2 | jq '.[0].stats64.tx.dropped')" \
		"l0_rx=$(ip -n listener -j -s link show l0 | jq '.[0].stats64.rx.dropped')" \
		"qdisc=$(ip netns exec sw tc -j -s qdisc show dev sw0p2 root | jq '.[0].drops // 0')"
}

# The schedule's base time on sw0p2.
base_now() {
	kl_sched_field "$(kl_root_qdisc sw sw0p2)" base_time
}

# no_gap LABEL: every program state the watcher saw had all four programs.
no_gap() {
	awk -v l="$1" '{ for (i = 2; i <= 5; i++) if ($i == 0) { print l ": a moment without a program: " $0; exit 1 } }' \
		"$KL_WORK/$1.progs" || kl_fail "$(awk '{ for (i = 2; i <= 5; i++) if ($i == 0) { print; exit } }' "$KL_WORK/$1.progs")"
}

# rcvbuf: every new socket gets 8 MB of receive buffer (the listener's too), so that a vCPU
# busy with tsnd's start (verifying the data plane takes seconds under TCG)
# does not make the measurement drop frames; restored at the end.
rcvbuf() {
	local def max
	def=$(sysctl -n net.core.rmem_default)
	max=$(sysctl -n net.core.rmem_max)
	lab_on_cleanup sysctl -qw "net.core.rmem_default=$def" "net.core.rmem_max=$max"
	sysctl -qw net.core.rmem_max=8388608 net.core.rmem_default=8388608
}

test_restart_keep() {
	local label how restarts=0
	rcvbuf
	kl_switch_topology
	lab_on_cleanup rm -rf "$PIN_DIR"
	config keep
	kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
	[[ $(kl_root_qdisc sw sw0p2 | jq -r .kind) == taprio ]] || kl_fail "no taprio on sw0p2"
	BASE=$(base_now)
	kl_wait_base "$BASE"
	cp "$TSND" "$KL_WORK/tsnd-upgrade"
	lab_register_path "$KL_WORK/tsnd-upgrade"
	for label in term kill upgrade; do
		how=$label
		[[ $label == upgrade ]] && how=term
		if [[ $label == upgrade ]]; then
			scenario "$label" "$how" "$KL_WORK/tsnd-upgrade"
		else
			scenario "$label" "$how"
		fi
		((LOST2 == 0)) || kl_fail "$label: $LOST2 scheduled frames lost across the restart"
		((DUP2 == 0 && DUP3 == 0)) || kl_fail "$label: frames delivered twice across the restart: $DUP2 scheduled, $DUP3 best effort"
		((LOST3 == 0)) || kl_fail "$label: $LOST3 best-effort frames lost across the restart"
		((SHARE >= THRESHOLD_PPM)) || kl_fail "$label: only $(kl_pct "$SHARE") of the scheduled frames in their window"
		((FRAMES >= 500)) || kl_fail "$label: only $FRAMES scheduled frames arrived"
		[[ $BASE_AFTER == "$BASE" ]] || kl_fail "$label: the schedule's base time moved from $BASE to $BASE_AFTER"
		no_gap "$label"
		# the new tsnd says it took them over (one line per port, per restart)
		(($(grep -c 'took over the running tsn_xdp' "$KL_TSND_LOG") >= 2 * ++restarts)) ||
			kl_fail "$label: tsnd did not take the programs over: $(grep 'dataplane: port' "$KL_TSND_LOG" | tail -n 2)"
	done
}

# Without keep-on-exit: measured, not judged (the data plane and the schedule go
# away with tsnd), except that traffic comes back.
test_restart_nokeep() {
	rcvbuf
	kl_switch_topology
	lab_on_cleanup rm -rf "$PIN_DIR"
	config nokeep
	kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
	BASE=$(base_now)
	kl_wait_base "$BASE"
	scenario nokeep term
	((LOST2 >= 0 && LOST3 >= 0)) || kl_fail "no traffic after the restart"
	kl_data "restart-nokeep: base time $BASE before, $BASE_AFTER after"
}

kl_test restart-keep test_restart_keep
kl_test restart-nokeep test_restart_nokeep
