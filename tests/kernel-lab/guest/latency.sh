#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# latency.sh — the guest side of `make lab-latency` (lab.mode=latency): one-way
# latency through tsnd's switch, measured by isochron, with and without the demo's
# gate schedule and with and without background load.
#
#   talker:eth0 ── sw0p1 [switch: tsnd] sw0p2 (taprio or none) ── listener:eth0
#   loader:eth0 ── sw0p3 ───────────────┘
#
# The topology and addresses are the demo's (lab/demo.sh), plus `loader`, a second
# talker that floods best-effort traffic through the same egress port.  The
# schedule is configs/demo.yaml's: a 1 ms cycle, class 1 (priorities 4, 5) open
# for the first 250 us, class 0 (0-3) for the other 750 us, class 2 always.
# isochron's UDP test stream (port 6000) is a tsnd stream whose priority puts it
# in class 1 or class 0; `isochron send` in talker sends one frame every PERIOD
# (10 ms: under emulation the VM cannot keep up with one per 1 ms cycle), timed to
# its class's window (--base-time 0 --shift-time: the schedule's base time is a
# multiple of the 1 ms cycle, and so is every isochron send time minus the shift);
# `isochron rcv` in listener stamps the arrivals.
#
# Every namespace reads the one clock of this VM: isochron runs with --omit-sync,
# no ptp4l runs, software timestamps only (veth has no hardware ones; the
# LD_PRELOAD shim tests/latency/isochron_shim.c lets isochron start anyway).
#
# Console output, read by tests/latency/run.sh on the host:
#   LAB PASS|FAIL latency-NAME          one per run
#   LAB LATENCY-META NAME key=value...  what the run was
#   LAB LATENCY-DATA NAME BEGIN / base64 of the gzipped isochron.dat / END
. /tsn/tests/kernel-lab/guest/lib.sh

ISOCHRON=/usr/bin/isochron
SHIM=$TSN/build/tests/latency/isochron-shim.so
UDP6=$TSN/build/tests/tools/udp6
CONFIG=$KL_WORK/latency.yaml
CYCLE=1000000			# ns, the demo schedule's cycle
WIN1=250000			# class 1's window: [0, 250 us) of each cycle
WIN0=750000			# class 0's window: [250 us, 1 ms)
FRAME=128			# isochron frame size, bytes
ADVANCE=1000			# wake up 1 us before the scheduled time, then send at once

cmdline_arg() {
	tr ' ' '\n' </proc/cmdline | sed -n "s/^lab\.$1=//p" | tail -n1
}
COUNT=$(cmdline_arg latency_count)
COUNT=${COUNT:-1000}
PERIOD=$(cmdline_arg latency_period_ns)	# isochron's cycle: a multiple of CYCLE
PERIOD=${PERIOD:-10000000}

# What the running tsnd has (schedule none|gated, the isochron stream's priority,
# the schedule's base time), in a file: each run is a subshell (kl_test).
STATE=$KL_WORK/latency.state
KL_TSND_WAIT=120	# the data plane loads slowly under TCG on a busy host

mac_of() {
	ip -n "$1" -j link show "$2" | jq -r '.[0].address'
}

# write_config none|gated PRIORITY: tsnd's configuration for the latency runs.
write_config() {
	local sched=""
	[[ $1 == gated ]] && sched="
    schedule:
      num-tc: 3
      map: [0, 0, 0, 0, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"2@0\", \"1@2\", \"1@3\"]
      base-time: auto
      base-time-lead: 1s
      entries:
        - { op: set-gates, gates: [1-2], interval: 250us }
        - { op: set-gates, gates: [0, 2], interval: 750us }"
	kl_config "$CONFIG" "  - name: sw0p1
    xdp: generic
  - name: sw0p2
    xdp: generic$sched
  - name: sw0p3
    xdp: generic"
	sed -i 's/log-level: debug/log-level: info/' "$CONFIG"
	cat >>"$CONFIG" <<CFG
classification:
  default-priority: 0
streams:
  - { id: 60, name: isochron, identification: ipv6, src: "2001:db8:1::2", dst: "2001:db8:2::2",
      next-header: 17, dst-port: 6000, priority: $2 }
routes:
  - { prefix: "2001:db8:1::/64", dev: sw0p1, metric: 1024 }
  - { prefix: "2001:db8:2::/64", dev: sw0p2, metric: 1024 }
  - { prefix: "2001:db8:3::/64", dev: sw0p3, metric: 1024 }
CFG
}

# topology: the demo's namespaces and addresses, plus loader; static neighbours,
# so that no frame waits for neighbour discovery.
topology() {
	local ns
	for ns in talker switch listener loader; do
		lab_ns_add "$ns"
	done
	lab_veth talker eth0 switch sw0p1 4
	lab_veth switch sw0p2 listener eth0 4
	lab_veth loader eth0 switch sw0p3 4
	lab_addr talker eth0 2001:db8:1::2/64
	lab_addr switch sw0p1 2001:db8:1::1/64
	lab_addr switch sw0p2 2001:db8:2::1/64
	lab_addr listener eth0 2001:db8:2::2/64
	lab_addr switch sw0p3 2001:db8:3::1/64
	lab_addr loader eth0 2001:db8:3::2/64
	lab_route6 talker default via 2001:db8:1::1
	lab_route6 listener default via 2001:db8:2::1
	lab_route6 loader default via 2001:db8:3::1
	lab_sysctl switch net.ipv6.conf.all.forwarding=1
	ip -n talker -6 neigh replace 2001:db8:1::1 lladdr "$(mac_of switch sw0p1)" dev eth0
	ip -n loader -6 neigh replace 2001:db8:3::1 lladdr "$(mac_of switch sw0p3)" dev eth0
	ip -n listener -6 neigh replace 2001:db8:2::1 lladdr "$(mac_of switch sw0p2)" dev eth0
	ip -n switch -6 neigh replace 2001:db8:2::2 lladdr "$(mac_of listener eth0)" dev sw0p2
	ip -n switch -6 neigh replace 2001:db8:1::2 lladdr "$(mac_of talker eth0)" dev sw0p1
	ip -n switch -6 neigh replace 2001:db8:3::2 lladdr "$(mac_of loader eth0)" dev sw0p3
}

# use_config none|gated PRIORITY: make tsnd run that configuration (a reload),
# and wait until a new schedule is operational.
use_config() {
	local sched_now prio_now base=0
	read -r sched_now prio_now TAPRIO_BASE <"$STATE"
	[[ $1 == "$sched_now" && $2 == "$prio_now" ]] && return 0
	write_config "$1" "$2"
	kl_run kl_tsnctl config reload
	((RC == 0)) || kl_fail "config reload ($1, priority $2) failed: $OUT $ERR"
	if [[ $1 == gated ]]; then
		local root
		root=$(kl_root_qdisc switch sw0p2)
		[[ $(jq -r .kind <<<"$root") == taprio ]] || kl_fail "no taprio on sw0p2 after the reload: $root"
		base=$(kl_sched_field "$root" base_time)
		kl_wait_base "$base"
	fi
	TAPRIO_BASE=$base
	echo "$1 $2 $base" >"$STATE"
}

# ---- where each frame is stamped (issue 19, item 4) ------------------------------
# The kernel's own tracepoints, read through tracefs, follow every small frame
# (isochron's 128 bytes; the load's 1000-byte frames are filtered out) on its way
# out of the switch and into the listener:
#   net:net_dev_queue      sw0p2's dev_queue_xmit: the frame meets the qdisc
#                          (a frame XDP_REDIRECTs never passes here)
#   qdisc:qdisc_dequeue    a qdisc hands a frame to the driver (taprio is the only
#                          qdisc in the VM: veth's default is noqueue)
#   net:net_dev_start_xmit sw0p2's driver (veth_xmit) starts to send it
#   net:netif_rx           listener's eth0 queues it: the RX software stamp
#                          (isochron's r) is taken right before this
#   net:netif_receive_skb  the listener's softirq processes it
# On the CLOCK_TAI trace clock (6.1 has it), in microseconds.  A marker with the
# realtime clock at the start gives the offset to isochron's stamps.
TRACEFS=/sys/kernel/tracing
TRACE_OK=false

trace_setup() {
	local e
	[[ -w $TRACEFS/trace_clock ]] || { kl_info "latency: no tracefs, no per-frame trace"; return 0; }
	echo 0 >"$TRACEFS/tracing_on"
	grep -qw tai "$TRACEFS/trace_clock" && echo tai >"$TRACEFS/trace_clock" ||
		{ kl_info "latency: trace clock tai missing: $(cat "$TRACEFS/trace_clock")"; return 0; }
	echo 16384 >"$TRACEFS/buffer_size_kb"
	for e in net/net_dev_queue net/net_dev_start_xmit; do
		echo 'name == "sw0p2" && len < 300' >"$TRACEFS/events/$e/filter" || return 0
	done
	for e in net/netif_rx net/netif_receive_skb; do
		echo 'name == "eth0" && len < 300' >"$TRACEFS/events/$e/filter" || return 0
	done
	echo 'packets > 0' >"$TRACEFS/events/qdisc/qdisc_dequeue/filter" || return 0
	for e in net/net_dev_queue net/net_dev_start_xmit net/netif_rx net/netif_receive_skb qdisc/qdisc_dequeue; do
		echo 1 >"$TRACEFS/events/$e/enable" || return 0
	done
	TRACE_OK=true
}

trace_begin() {
	$TRACE_OK || return 0
	echo >"$TRACEFS/trace"
	echo 1 >"$TRACEFS/tracing_on"
	echo "realtime_us ${EPOCHREALTIME/./}" >"$TRACEFS/trace_marker"
}

# trace_end NAME: the run's trace, reduced to one line per event of interest
# (time in us on the trace clock; "x QUEUED DEQUEUED DEQUEUED_ON_CPU DRIVER" for
# each frame leaving sw0p2, -1 where a stage has no event; "r T", "p T" for the
# listener's netif_rx and netif_receive_skb; "m T REALTIME_US" the marker; "o N"
# events the ring buffer overwrote), on the console.
trace_end() {
	$TRACE_OK || return 0
	echo 0 >"$TRACEFS/tracing_on"
	local out=$KL_WORK/$1.trace overrun
	overrun=$(awk '/^overrun:/ { s += $2 } END { print s + 0 }' "$TRACEFS"/per_cpu/cpu*/stats)
	awk -v overrun="$overrun" '
		function us(t,   p) { sub(/:$/, "", t); split(t, p, "."); return p[1] * 1000000 + p[2] }
		function field(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
		{
			ev = ""
			for (i = 1; i <= NF; i++) if ($i ~ /:$/ && $(i + 1) ~ /:$/) { ts = us($i); ev = $(i + 1); break }
			if (ev == "") next
			if (ev == "tracing_mark_write:") { for (j = i + 2; j <= NF; j++) if ($j == "realtime_us") printf "m %.0f %s\n", ts, $(j + 1); next }
			skb = field("skbaddr")
			cpu = ""
			for (j = 1; j < i; j++) if ($j ~ /^\[[0-9]+\]$/) cpu = $j
			if (ev == "net_dev_queue:") { q[skb] = ts; d[skb] = -1 }
			else if (ev == "qdisc_dequeue:") { last[cpu] = ts; if (skb in q) d[skb] = ts }
			else if (ev == "net_dev_start_xmit:") {
				# the dequeue of this very skb, else the last one on this CPU
				# (dequeue and driver run back to back in sch_direct_xmit)
				printf "x %.0f %.0f %.0f %.0f\n", (skb in q) ? q[skb] : -1, (skb in q) ? d[skb] : -1,
					(skb in q && cpu in last) ? last[cpu] : -1, ts
				delete q[skb]; delete d[skb]
			}
			else if (ev == "netif_rx:") printf "r %.0f\n", ts
			else if (ev == "netif_receive_skb:") printf "p %.0f\n", ts
		}
		END { printf "o %d\n", overrun }' "$TRACEFS/trace" >"$out"
	echo "LAB LATENCY-DATA $1.trace BEGIN"
	gzip -9c "$out" | base64
	echo "LAB LATENCY-DATA $1.trace END"
	rm -f "$out"
	echo >"$TRACEFS/trace"
}

# fwd_counts: sw0p1's XDP verdicts for forwarded frames: "to_qdisc redirect".
# "0 0" (and why, on the console) if tsnctl cannot tell.
fwd_counts() {
	local j
	if j=$(kl_tsnctl -j port show sw0p1 2>&1) &&
		jq -r '.ports[0].xdp.forwarding | "\(.to_qdisc) \(.redirect)"' <<<"$j" 2>/dev/null; then
		return 0
	fi
	kl_info "latency: no forwarding counters: $(head -c 300 <<<"$j" | tr '\n' ' ')" >&2
	echo "0 0"
}

rx_packets() {
	ip -n "$1" -j -s link show "$2" | jq -r '.[0].stats64.rx.packets'
}

# run NAME none|gated idle|load CLASS SHIFT_NS WINDOW_NS: one isochron run of
# COUNT frames, one per cycle at SHIFT_NS into it; its data on the console.
run() {
	local name=$1 sched=$2 load=$3 class=$4 shift_ns=$5 window=$6
	local prio=0 dat=$KL_WORK/$1.dat lpid="" l0 l1 t0 t1 rc=0 load_pps=0 fq0 fr0 fq1 fr1
	((class == 1)) && prio=5
	use_config "$sched" "$prio"
	if [[ $load == load ]]; then
		# Best effort (class 0) from loader: 1000-byte datagrams back to back,
		# at the lowest CPU priority (it would starve the VM otherwise; busybox
		# has renice, no nice); what really arrived is counted on sw0p3.
		l0=$(rx_packets switch sw0p3)
		t0=$(kl_now monotonic)
		lab_spawn lpid loader "$UDP6" send 2001:db8:2::2 7000 -n 1000000000 -s 1000 \
			>"$KL_WORK/$name.load.log" 2>&1
		renice -n 19 -p "$lpid" >/dev/null
		sleep 0.5
	fi
	read -r fq0 fr0 <<<"$(fwd_counts)"	# no <(...): the guest has no /dev/fd
	trace_begin
	LD_PRELOAD=$SHIM ip netns exec talker "$ISOCHRON" send -i eth0 --client 2001:db8:2::2 \
		--omit-sync --l4 --ip-destination 2001:db8:2::2 --priority "$prio" \
		--num-frames "$COUNT" --frame-size "$FRAME" --cycle-time "$PERIOD" \
		--base-time 0 --shift-time "$shift_ns" --window-size "$window" --advance-time "$ADVANCE" \
		--sched-fifo --sched-priority 60 --output-file "$dat" --quiet \
		>"$KL_WORK/$name.send.log" 2>&1 || rc=$?
	sleep 0.2	# the last frame's way to the listener
	trace_end "$name"
	read -r fq1 fr1 <<<"$(fwd_counts)"
	if [[ -n $lpid ]]; then
		l1=$(rx_packets switch sw0p3)
		t1=$(kl_now monotonic)
		lab_pid_alive "$lpid" || kl_fail "the load generator stopped early: $(kl_tail "$KL_WORK/$name.load.log")"
		lab_stop_pid "$lpid" 5 || true
		load_pps=$(((l1 - l0) * 1000000000 / (t1 - t0)))
	fi
	((rc == 0)) && [[ -s $dat ]] ||	# isochron's status and its file
		kl_fail "isochron send failed (status $rc): $(grep -v 'missing timestamps' "$KL_WORK/$name.send.log" | tail -n 6 | tr '\n' '|')"
	echo "LAB LATENCY-META $name schedule=$sched load=$load class=$class priority=$prio" \
		"shift_ns=$shift_ns window_ns=$window cycle_ns=$CYCLE period_ns=$PERIOD count=$COUNT frame=$FRAME" \
		"taprio_base_ns=$TAPRIO_BASE load_pps=$load_pps" \
		"xdp_to_qdisc=$((fq1 - fq0)) xdp_redirect=$((fr1 - fr0))"
	echo "LAB LATENCY-DATA $name BEGIN"
	gzip -9c "$dat" | base64
	echo "LAB LATENCY-DATA $name END"
	local what
	what="$name: $COUNT frames sent, isochron.dat $(stat -c %s "$dat") bytes"
	((load_pps == 0)) || what+=", background load $load_pps frames/s into sw0p3"
	kl_data "$what"
	rm -f "$dat"
}

SETUP_DONE=false
setup_exit() {
	$SETUP_DONE || echo "LAB FAIL latency-setup: $(grep -m1 . "$KL_REASON_FILE" 2>/dev/null || echo 'see the console above')"
	lab_cleanup
}

main() {
	local m
	for m in "$ISOCHRON" "$SHIM" "$UDP6" "$TSND"; do
		[[ -e $m ]] || { echo "LAB FAIL latency-setup: $m is not in the initramfs"; return 0; }
	done
	# Setup runs in this shell (what it creates must outlive each run's subshell);
	# kl_fail in it ends the script, and setup_exit reports why.
	T0=$(cut -d' ' -f1 /proc/uptime)
	KL_REASON_FILE=$KL_WORK/.reason-setup
	: >"$KL_REASON_FILE"
	LAB_CLEANUP_STACK=()	# lab/lib.sh's stack: what set-up creates, undone at exit
	trap setup_exit EXIT
	set -e
	topology
	write_config none 5
	kl_tsnd_start switch "$CONFIG"
	echo "none 5 0" >"$STATE"
	LD_PRELOAD=$SHIM ip netns exec listener "$ISOCHRON" rcv -i eth0 --quiet \
		--sched-fifo --sched-priority 60 >"$KL_WORK/rcv.log" 2>&1 &
	lab_register_pid $!
	ip netns exec talker ping -6 -c 2 -i 0.2 -w 10 2001:db8:2::2 >/dev/null ||
		kl_fail "the listener is not reachable through the switch"
	# isochron's control connection: TCP port 5000 (0x1388).
	lab_wait_until 10 ip netns exec listener grep -q ':1388 ' /proc/net/tcp6 ||
		kl_fail "isochron rcv is not listening: $(kl_tail "$KL_WORK/rcv.log")"
	set +e
	trace_setup
	SETUP_DONE=true
	echo "LAB PASS latency-setup"
	kl_data "latency: $COUNT frames per run, one per $PERIOD ns, ${FRAME}-byte frames;" \
		"set-up took $(awk -v a="$T0" '{ printf "%.1f", $1 - a }' /proc/uptime) s"

	# Ungated first, then gated (one schedule change).  Class 1 is sent at the
	# start of its window, class 0 at the start of its own; "late" sends class 1
	# while its gate is closed (at 500 us), which a working gate must delay;
	# "early" 400 us before its window opens (at 600 us), so that a frame sent a
	# few hundred microseconds late, as this VM's talker often is, waits at the
	# gate for the opening instead of missing the window.
	kl_test latency-open-idle-c1 run open-idle-c1 none idle 1 0 "$WIN1"
	kl_test latency-open-idle-c0 run open-idle-c0 none idle 0 "$WIN1" "$WIN0"
	kl_test latency-open-load-c1 run open-load-c1 none load 1 0 "$WIN1"
	kl_test latency-open-load-c0 run open-load-c0 none load 0 "$WIN1" "$WIN0"
	kl_test latency-gated-idle-c1 run gated-idle-c1 gated idle 1 0 "$WIN1"
	kl_test latency-gated-idle-c0 run gated-idle-c0 gated idle 0 "$WIN1" "$WIN0"
	kl_test latency-gated-idle-c1late run gated-idle-c1late gated idle 1 500000 "$WIN1"
	kl_test latency-gated-idle-c1early run gated-idle-c1early gated idle 1 600000 "$WIN1"
	kl_test latency-gated-load-c1 run gated-load-c1 gated load 1 0 "$WIN1"
	kl_test latency-gated-load-c0 run gated-load-c0 gated load 0 "$WIN1" "$WIN0"
}

main
