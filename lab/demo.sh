#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# demo.sh up|down|status — the demo lab: a talker and a listener on either side
# of a switch run by tsnd, each in its own network namespace.
#
#   talker:eth0 ──── sw0p1 [switch: tsnd] sw0p2 ──── listener:eth0
#   2001:db8:1::2/64  2001:db8:1::1   2001:db8:2::1  2001:db8:2::2/64
#
# `up` runs the stages in DEMO_STAGES in order; each stage is one function, so a new
# capability (gate schedules, PTP, XDP classification) adds a function and a word
# in that list.  `up` on a running lab tears it down first; `down` removes every
# namespace, process and file of the lab and is safe to run twice.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "$REPO" && realpath -m "${TSN_BUILD:-build}")
TSND=$BUILD/tsnd
TSNCTL=$BUILD/tsnctl
CONFIG=$REPO/configs/demo.yaml

RUN_DIR=/run/tsnd-demo
SOCKET=$RUN_DIR/tsnd.sock
PID_FILE=$RUN_DIR/tsnd.pid
LOG_FILE=$RUN_DIR/tsnd.log
NAMESPACES=(talker switch listener)
TX_QUEUES=4	# room for taprio's traffic classes in later stages

DEMO_STAGES=(topology addressing schedule ptp tsnd reachability stream report)
SCHEDULE=false	# set by stage_schedule: sw0p2 runs demo.yaml's gate schedule
PTP=false	# set by stage_ptp: ptp4l runs in talker and listener, tsnd runs its own

LAB_PREFIX=""	# the demo's namespaces carry their plain names
# shellcheck source=lab/lib.sh
. "$REPO/lab/lib.sh"

say() {
	printf '==> %s\n' "$*"
}

die() {
	echo "demo: $*" >&2
	exit 1
}

tsnctl_switch() {
	lab_exec switch "$TSNCTL" -s "$SOCKET" "$@"
}

# ---- stages ---------------------------------------------------------------------

stage_topology() {
	say "namespaces ${NAMESPACES[*]}; veth talker:eth0-switch:sw0p1, switch:sw0p2-listener:eth0"
	local ns
	for ns in "${NAMESPACES[@]}"; do
		lab_ns_add "$ns"
	done
	lab_veth talker eth0 switch sw0p1 "$TX_QUEUES"
	lab_veth switch sw0p2 listener eth0 "$TX_QUEUES"
}

stage_addressing() {
	say "IPv6: talker 2001:db8:1::2, listener 2001:db8:2::2, switch forwards"
	lab_addr talker eth0 2001:db8:1::2/64
	lab_addr switch sw0p1 2001:db8:1::1/64
	lab_addr switch sw0p2 2001:db8:2::1/64
	lab_addr listener eth0 2001:db8:2::2/64
	lab_route6 talker default via 2001:db8:1::1
	lab_route6 listener default via 2001:db8:2::1
	lab_sysctl switch net.ipv6.conf.all.forwarding=1
	lab_wait_link_up talker eth0
	lab_wait_link_up listener eth0
	lab_wait_addr talker eth0 2001:db8:1::2
	lab_wait_addr switch sw0p1 2001:db8:1::1
	lab_wait_addr switch sw0p2 2001:db8:2::1
	lab_wait_addr listener eth0 2001:db8:2::2
}

# taprio_works: can this kernel put a taprio qdisc on sw0p2?  (A trial qdisc,
# removed again; the host kernel of the development machines has no taprio.)
taprio_works() {
	lab_exec switch tc qdisc replace dev sw0p2 parent root handle 7fff: taprio num_tc 1 \
		map 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 queues 1@0 base-time 0 \
		sched-entry S 01 1000000 clockid CLOCK_TAI >/dev/null 2>&1 || return 1
	lab_exec switch tc qdisc del dev sw0p2 root >/dev/null 2>&1 || true
}

stage_schedule() {
	if taprio_works; then
		say "gate schedule (802.1Qbv, taprio) on sw0p2 from ${CONFIG#"$REPO"/}"
		SCHEDULE=true
		return 0
	fi
	# Run the rest of the demo with demo.yaml minus the ports' schedule blocks.
	say "skipped: this kernel has no taprio qdisc, so sw0p2 runs without its gate schedule" \
		"(\`make demo\` runs the lab in a VM whose kernel has it)"
	mkdir -p "$RUN_DIR"
	awk '/^    schedule:/ { skip = 1; next }
	     skip && !/^[ \t]*(#|$)/ { match($0, /^ */); if (RLENGTH <= 4) skip = 0 }
	     !skip' "$CONFIG" >"$RUN_DIR/demo-no-schedule.yaml"
	CONFIG=$RUN_DIR/demo-no-schedule.yaml
}

# PTP across the lab, every instance free-running (they share this machine's
# clock, which nothing may steer) with its own management socket: a grandmaster
# ptp4l in talker, tsnd's ptp4l in switch (demo.yaml, both ports), a slave-only
# ptp4l in listener.
PTP_INSTANCES=(talker:100:0 listener:255:1)	# namespace:priority1:slaveOnly

stage_ptp() {
	local ptp4l=/usr/sbin/ptp4l spec ns prio slave conf
	if [[ ! -x $ptp4l ]]; then
		say "skipped: PTP needs ptp4l ($ptp4l; package linuxptp); tsnd runs without it"
		mkdir -p "$RUN_DIR"
		sed -e '/^ptp:/,/^[a-z]/s/^  enabled: true/  enabled: false/' "$CONFIG" >"$RUN_DIR/demo-no-ptp.yaml"
		CONFIG=$RUN_DIR/demo-no-ptp.yaml
		PTP=false
		return 0
	fi
	say "PTP: grandmaster ptp4l in talker, tsnd's ptp4l in switch, slave ptp4l in listener (free-running, L2)"
	mkdir -p "$RUN_DIR"
	for spec in "${PTP_INSTANCES[@]}"; do
		IFS=: read -r ns prio slave <<<"$spec"
		conf=$RUN_DIR/ptp4l-$ns.conf
		cat >"$conf" <<EOF
[global]
priority1               $prio
slaveOnly               $slave
network_transport       L2
time_stamping           software
free_running            1
uds_address             $RUN_DIR/ptp4l-$ns.sock
logAnnounceInterval     -1
logSyncInterval         -2
summary_interval        6
verbose                 1
use_syslog              0
[eth0]
EOF
		setsid ip netns exec "$ns" "$ptp4l" -f "$conf" </dev/null >>"$RUN_DIR/ptp4l-$ns.log" 2>&1 &
		echo $! >"$RUN_DIR/ptp4l-$ns.pid"
	done
	PTP=true
}

tsnd_answers_or_died() {
	tsnctl_switch status >/dev/null 2>&1 || ! lab_pid_alive "$TSND_PID"
}

stage_tsnd() {
	say "tsnd in namespace switch with ${CONFIG#"$REPO"/} (log: $LOG_FILE)"
	mkdir -p "$RUN_DIR"
	# setsid: tsnd outlives this script and the terminal; it writes its own pid file.
	setsid ip netns exec switch "$TSND" -f -c "$CONFIG" -s "$SOCKET" -p "$PID_FILE" \
		--stderr </dev/null >>"$LOG_FILE" 2>&1 &
	TSND_PID=$!
	lab_wait_until 10 tsnd_answers_or_died || true
	if ! tsnctl_switch status >/dev/null 2>&1; then
		echo "demo: tsnd did not answer on $SOCKET; its log:" >&2
		tail -n 20 "$LOG_FILE" >&2 || true
		return 1
	fi
}

stage_reachability() {
	say "talker -> listener through the switch: ping -6 -c 3 2001:db8:2::2"
	if ! lab_exec talker ping -6 -c 3 -i 0.2 -w 10 2001:db8:2::2; then
		echo "demo: the listener is not reachable from the talker through the switch" >&2
		return 1
	fi
}

# The sensor stream of demo.yaml: UDP to the listener's port 5000, which the
# switch identifies, counts in class 1 and forwards.
stage_stream() {
	local udp6=$BUILD/tests/tools/udp6
	if [[ ! -x $udp6 ]]; then
		say "skipped: the stream stage needs $udp6 (make lab-build)"
		return 0
	fi
	say "talker -> listener: 50 datagrams of the sensor stream (UDP port 5000)"
	lab_exec talker "$udp6" send 2001:db8:2::2 5000 -n 50 -s 100 -i 2000
}

stage_report() {
	say "tsnctl status"
	tsnctl_switch status
	say "tsnctl port show"
	tsnctl_switch port show
	if $SCHEDULE; then
		say "tsnctl schedule show sw0p2"
		tsnctl_switch schedule show sw0p2
	fi
	say "tsnctl stream show"
	tsnctl_switch stream show
	say "tsnctl class stats sw0p1 (frames received from the talker, by class)"
	tsnctl_switch class stats sw0p1
	say "tsnctl route show"
	tsnctl_switch route show
	say "tsnctl latency show (residence time: ingress to the egress port's driver)"
	tsnctl_switch latency show || echo "demo: no residence-time figures (see tsnctl status)"
	if $PTP; then
		say "tsnctl ptp status (waiting up to 20 s for the lock)"
		lab_wait_until 20 ptp_locked || echo "demo: not locked yet; the status says why"
		tsnctl_switch ptp status
	fi
}

ptp_locked() {
	tsnctl_switch -j ptp status | grep -q '"sync":{"state":"locked"'
}

# ---- commands ---------------------------------------------------------------------

demo_down() {
	lab_stop_pidfile "$PID_FILE" 5 || true
	local ns
	for ns in talker listener; do
		lab_stop_pidfile "$RUN_DIR/ptp4l-$ns.pid" 5 || true
	done
	for ns in "${NAMESPACES[@]}"; do
		lab_ns_del "$ns"
	done
	rm -rf "$RUN_DIR"
}

demo_abort() {
	local rc=$?
	echo "demo: setting up the lab failed; tearing it down" >&2
	demo_down
	exit $((rc ? rc : 1))
}

demo_up() {
	[[ -x $TSND && -x $TSNCTL ]] || die "$TSND and $TSNCTL are missing; build them first (make)"
	if lab_ns_exists switch || [[ -e $RUN_DIR ]]; then
		say "tearing down the running lab first"
		demo_down
	fi
	# A stage that fails (set -e ends the script) leaves nothing half-built behind.
	trap 'demo_abort' EXIT
	trap 'exit 130' INT
	local stage
	for stage in "${DEMO_STAGES[@]}"; do
		"stage_$stage"
	done
	trap - EXIT INT
	echo "Explore: ip netns exec switch ${TSNCTL#"$PWD"/} -s $SOCKET status   (also: port show, config show, -j) — tear down: make demo-down"
}

demo_status() {
	local ns pid=""
	for ns in "${NAMESPACES[@]}"; do
		if lab_ns_exists "$ns"; then
			echo "namespace $ns: present"
		else
			echo "namespace $ns: absent"
		fi
	done
	[[ -r $PID_FILE ]] && pid=$(tr -dc 0-9 <"$PID_FILE")
	if [[ -n $pid ]] && lab_pid_alive "$pid"; then
		echo "tsnd: running, pid $pid"
		tsnctl_switch status
	else
		echo "tsnd: not running (make demo starts the lab)"
		return 1
	fi
}

[[ $(id -u) -eq 0 ]] || die "must run as root (it creates network namespaces)"
case ${1:-} in
up) demo_up ;;
down) demo_down ;;
status) demo_status ;;
*)
	echo "usage: $0 up|down|status" >&2
	exit 2
	;;
esac
