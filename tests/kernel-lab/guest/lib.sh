# SPDX-License-Identifier: GPL-2.0-only
# tests/kernel-lab/guest/lib.sh — helpers for the kernel lab's guest tests (bash).
#
# A test script sources this file, defines functions, and runs each with
#   kl_test NAME FUNCTION [ARGS...]
# which runs FUNCTION in a subshell with `set -eE` and prints one result line on
# the console: `LAB PASS NAME` or `LAB FAIL NAME: reason`.  A check that fails
# calls kl_fail; any other failing command ends the test with the command as the
# reason.  Whatever the test registered with lab/lib.sh's cleanup stack (namespaces,
# processes, files) is removed when it ends, pass or fail.  The guest is a fresh
# VM with nothing else running, so namespaces have plain names.
# shellcheck shell=bash disable=SC2034  # a library: its variables serve the scripts that source it

TSN=/tsn
KL_GUEST=$TSN/tests/kernel-lab/guest
TSND=$TSN/build/tsnd
TSNCTL=$TSN/build/tsnctl
GATE_PROBE=$TSN/build/tests/tools/gate_probe
KL_WORK=${KL_WORK:-/tmp/lab}		# scratch space of the running test
mkdir -p "$KL_WORK"

LAB_PREFIX=""
# shellcheck source=../../../lab/lib.sh
. "$TSN/lab/lib.sh"

kl_data() {
	echo "LAB DATA $*"
}

kl_info() {
	echo "LAB INFO $*"
}

# kl_fail REASON: end the current test with this reason.
kl_fail() {
	printf '%s\n' "$*" | tr '\n' ' ' | cut -c1-1500 >>"$KL_REASON_FILE"
	echo >>"$KL_REASON_FILE"
	exit 1
}

kl_test() {
	local name=$1 rc reason
	shift
	KL_REASON_FILE=$KL_WORK/.reason-$name
	: >"$KL_REASON_FILE"
	(
		LAB_CLEANUP_STACK=()
		trap lab_cleanup EXIT
		trap 'printf "command failed (status %s, line %s): %s\n" "$?" "$LINENO" "$BASH_COMMAND" \
			>>"$KL_REASON_FILE"' ERR
		set -eE
		shopt -s inherit_errexit
		"$@"
	)
	rc=$?
	if ((rc == 0)); then
		echo "LAB PASS $name"
	else
		reason=$(grep -m1 . "$KL_REASON_FILE")
		echo "LAB FAIL $name: ${reason:-exit status $rc}"
	fi
	return 0
}

# kl_run CMD...: run CMD, keep stdout in OUT, stderr in ERR, status in RC.
kl_run() {
	RC=0
	"$@" >"$KL_WORK/.out" 2>"$KL_WORK/.err" || RC=$?
	OUT=$(cat "$KL_WORK/.out")
	ERR=$(cat "$KL_WORK/.err")
}

# kl_tail FILE [N]: the last lines of FILE on one line, for a failure reason.
kl_tail() {
	tail -n "${2:-6}" "$1" 2>/dev/null | tr '\n' '|' | cut -c1-800
}

# ---- ports and qdiscs -----------------------------------------------------------

# kl_ports NS PEER_NS DEV... : for each DEV a veth pair NS:DEV <-> PEER_NS:pDEV with
# 8 TX and 8 RX queues (taprio needs a multi-queue device), both ends up.
kl_ports() {
	local ns=$1 peer=$2 dev
	shift 2
	for dev in "$@"; do
		lab_veth "$ns" "$dev" "$peer" "p$dev" 8
	done
}

# kl_tc_json NS ARGS...: `tc -j ARGS` in NS, as valid JSON.  iproute2 6.1 prints
# taprio's pending (admin) schedule as an object without a key, right after the
# operational fields ({..."cycle_time_extension":0,{"base_time":...}}), which is
# not JSON; this names it "admin".  Elsewhere an object opening with "base_time"
# after a comma cannot occur (schedule entries open with "index").
#
# Integers of 16 digits and more (base times: 19 digits) become strings: jq 1.6
# holds numbers as doubles, so ...467123457 would print as ...467123500 and two
# base times 1 ns apart would compare equal (kl_exact_ints).
kl_tc_json() {
	local ns=$1
	shift
	ip netns exec "$ns" tc -j "$@" | sed 's/,{"base_time":/,"admin":{"base_time":/g' | kl_exact_ints
}

# kl_exact_ints: JSON on stdin with every integer of 16 or more digits quoted (a
# string keeps all its digits through jq; bash arithmetic still takes it).  Twice,
# because a separator consumed by one match cannot open the next.
kl_exact_ints() {
	sed -E -e 's/([:,[])(-?[0-9]{16,})([],}])/\1"\2"\3/g' \
		-e 's/([:,[])(-?[0-9]{16,})([],}])/\1"\2"\3/g'
}

# kl_qdisc_json NS DEV: `tc -j qdisc show dev DEV` in NS.
kl_qdisc_json() {
	kl_tc_json "$1" qdisc show dev "$2"
}

# kl_root_qdisc NS DEV: the root qdisc object of DEV as compact JSON.
kl_root_qdisc() {
	kl_qdisc_json "$1" "$2" | jq -c '[.[] | select(.root == true)][0]'
}

# kl_port_diag LABEL NS DEV...: where frames that did not arrive may be, for a
# failure's log: each DEV's qdiscs with drops or a backlog (and its root, with
# taprio's current entry), its link counters, and the receive backlogs' drops.
kl_port_diag() {
	local label=$1 ns=$2 dev
	shift 2
	for dev in "$@"; do
		kl_info "$label: $dev qdiscs: $(ip netns exec "$ns" tc -s -j qdisc show dev "$dev" |
			jq -c '[.[] | select(.root or .drops > 0 or .backlog > 0 or .qlen > 0) | del(.options.schedule)]')"
		kl_info "$label: $dev link: $(ip -n "$ns" -s -j link show "$dev" | jq -c '.[0].stats64')"
	done
	local p d q rest line=""
	while read -r p d q rest; do
		line+="$((16#$p)) $((16#$d)) $((16#$q)); "
	done </proc/net/softnet_stat
	kl_info "$label: softnet_stat (processed dropped squeezed, per CPU): $line"
}

# kl_normalize: the parts of a `tc -j qdisc show` array that describe the
# configuration: everything but the counters of references.
kl_normalize() {
	jq -S -c 'map(del(.refcnt))'
}

# ---- tsnd ------------------------------------------------------------------------

# kl_gate_schedule ENTRY...: sets KL_SCHED to the YAML (under a port) of the gate
# tests' schedule: 3 classes, priority 1 -> class 0, 2 -> class 1, the rest class 2,
# one TX queue each for classes 0 and 1 and six for class 2, base time auto with a
# 1 s lead; one gate list entry per argument, e.g. "{ gates: [0, 2], interval: 20ms }".
# (A variable, not output: a subshell is slow under emulation.)
kl_gate_schedule() {
	local e
	KL_SCHED="
    schedule:
      num-tc: 3
      map: [2, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
      queues: [\"1@0\", \"1@1\", \"6@2\"]
      base-time: auto
      base-time-lead: 1s
      entries:"
	for e in "$@"; do
		KL_SCHED+="
        - $e"
	done
}

# kl_config FILE PORTS_YAML: a tsnd configuration for the lab; PORTS_YAML is the
# text of the `ports:` list (indented by two spaces).
kl_config() {
	cat >"$1" <<CFG
# Written by tests/kernel-lab/guest/lib.sh.
daemon:
  log-level: debug
  log-target: stderr
  pid-file: $KL_WORK/tsnd.pid
  state-dir: $KL_WORK
control:
  socket: $KL_WORK/tsnd.sock
  timeout: 30s
ports:
$2
dataplane:
  pin-dir: /sys/fs/bpf/tsnd-lab
CFG
}

# kl_tsnd_start NS CONFIG: start tsnd in the foreground inside NS (log in
# KL_WORK/tsnd.log), wait until it answers, and stop it when the test ends.
# Fails the test with tsnd's log if it does not come up.
kl_tsnd_start() {
	local ns=$1 config=$2
	KL_TSND_NS=$ns
	KL_TSND_LOG=$KL_WORK/tsnd.log
	lab_spawn KL_TSND_PID "$ns" "$TSND" -f --stderr -c "$config" >>"$KL_TSND_LOG" 2>&1
	# KL_TSND_WAIT: seconds to wait (loading the data plane's programs takes
	# 15 s and more under TCG on a busy host)
	if ! lab_wait_until "${KL_TSND_WAIT:-30}" kl_tsnd_answers; then
		kl_fail "tsnd did not come up: $(kl_tail "$KL_TSND_LOG" 8)"
	fi
	lab_pid_alive "$KL_TSND_PID" || kl_fail "tsnd exited at start: $(kl_tail "$KL_TSND_LOG" 8)"
	# Where its start-up went, per phase (docs/benchmarks.md, "Start-up").
	kl_info "tsnd $(sed -n 's/.*\]: \(start-up.*\)/\1/p' "$KL_TSND_LOG" | tail -2 | tr '\n' ';')"
}

kl_tsnd_answers() {
	lab_pid_alive "$KL_TSND_PID" || return 0	# let the caller see that it died
	kl_tsnctl status >/dev/null 2>&1
}

kl_tsnd_stop() {
	lab_stop_pid "$KL_TSND_PID" 10 || true
}

# kl_netconfd_start NS: tsn-netconfd in namespace NS on 127.0.0.1:830, talking to
# the lab's tsnd, with fresh host and admin keys in NC_KEYS ($KL_WORK/nckeys).
# Sets NC_PID and NC_LOG; the caller waits for it as its test needs.
kl_netconfd_start() {
	NC_KEYS=$KL_WORK/nckeys
	rm -rf "$NC_KEYS"
	mkdir -p "$NC_KEYS"
	ssh-keygen -q -t ed25519 -N '' -f "$NC_KEYS/host" >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$NC_KEYS/admin" >/dev/null
	cat >"$KL_WORK/netconfd.yaml" <<EOF
listen: 127.0.0.1
port: 830
host-key: $NC_KEYS/host
tsnd-socket: $KL_WORK/tsnd.sock
yang-dir: $TSN/netconf/yang
# an SSH handshake in python under emulation on a busy host took over the default 10 s
auth-timeout: 120s
hello-timeout: 120s
users:
  - name: admin
    role: admin
    keys: [$NC_KEYS/admin.pub]
EOF
	NC_LOG=$KL_WORK/netconfd.log
	: >"$NC_LOG"
	lab_spawn NC_PID "$1" "$TSN/build/tsn-netconfd" -c "$KL_WORK/netconfd.yaml" >>"$NC_LOG" 2>&1
}

# kl_tsnctl ARGS...: tsnctl on the lab's socket, in tsnd's namespace.
kl_tsnctl() {
	ip netns exec "$KL_TSND_NS" "$TSNCTL" -s "$KL_WORK/tsnd.sock" "$@"
}

# kl_now CLOCK: nanoseconds on CLOCK (tai, realtime or monotonic).
kl_now() {
	"$GATE_PROBE" now "$1"
}

# kl_sched_field ROOT_QDISC_JSON FIELD: FIELD (base_time, cycle_time, ...) of the
# operational schedule, or of the admin one while none is operational yet (a new
# qdisc whose base time lies ahead; iproute2 then prints zeros at the top level).
kl_sched_field() {
	jq -r "(if .options.schedule then .options else .options.admin end).$2" <<<"$1"
}

# kl_json_diff EXPECTED ACTUAL: the first differences between two JSON documents,
# one "path: expected -> actual" each (for failure reasons).
kl_json_diff() {
	jq -n -r --argjson e "$1" --argjson a "$2" '
		[paths(scalars)] as $pe | [$a | paths(scalars)] as $pa
		| ($pe + $pa | unique) as $all
		| [ $all[] as $p | select(($e | getpath($p)) != ($a | getpath($p)))
		    | "\($p | map(tostring) | join(".")): \($e | getpath($p) | tojson) -> \($a | getpath($p) | tojson)" ]
		| (.[:8] | join("; ")) + (if length > 8 then "; ... \(length) differences" else "" end)'
}

# ---- gate measurements (the "gates really gate" tests) -------------------------
# They share one recipe: wait until the schedule runs, let a listener stamp every
# arrival while a talker sends on two priorities, then fold the stamps into the
# cycle (gate_probe analyze) and read the share that arrived in its class's window.

# kl_wait_base BASE_NS: sleep until CLOCK_TAI passes BASE_NS (no-op once it has).
kl_wait_base() {
	local now
	now=$(kl_now tai)
	if (($1 > now)); then
		sleep "0.$(printf '%03d' $((($1 - now) / 1000000 % 1000)))"
		sleep $((($1 - now) / 1000000000))
	fi
}

# kl_gate_measure LABEL OUT SEND_MS TALKER_CMD...: gate_probe listens on port
# 7400 in namespace "listener" for SEND_MS + 1.5 s, writing its arrivals to OUT,
# while TALKER_CMD runs in namespace "talker".
kl_gate_measure() {
	local label=$1 out=$2 send_ms=$3 lpid
	shift 3
	ip netns exec listener "$GATE_PROBE" listen --port 7400 --duration $((send_ms + 1500)) \
		--out "$out" >"$KL_WORK/listen.txt" 2>&1 &
	lpid=$!
	lab_wait_until 10 grep -q 'listen ready' "$KL_WORK/listen.txt" || kl_fail "listener did not start"
	ip netns exec talker "$@" >"$KL_WORK/talk.txt" 2>&1 ||
		kl_fail "talker failed: $(cat "$KL_WORK/talk.txt")"
	wait "$lpid" || kl_fail "listener failed: $(cat "$KL_WORK/listen.txt")"
	kl_data "$label: $(cat "$KL_WORK/talk.txt"); $(grep received "$KL_WORK/listen.txt")"
}

# kl_gate_share LABEL FILE BASE CYCLE WINDOW1 WINDOW2: the arrivals in FILE judged
# against priority 1's window WINDOW1 and priority 2's WINDOW2 ("from:to" in ns of
# the cycle).  Sets SHARE (parts per million in window) and FRAMES; the analysis
# goes to the log as LAB DATA.
kl_gate_share() {
	local label=$1
	"$GATE_PROBE" analyze --in "$2" --base "$3" --cycle "$4" \
		--window "1:$5" --window "2:$6" >"$KL_WORK/analyze.txt"
	SHARE=$(awk '$1 == "total" { for (i = 1; i < NF; i++) if ($i == "share_ppm") print $(i + 1) }' "$KL_WORK/analyze.txt")
	FRAMES=$(awk '$1 == "total" { print $3 }' "$KL_WORK/analyze.txt")
	while read -r line; do
		kl_data "$label: $line"
	done <"$KL_WORK/analyze.txt"
}

# kl_pct PPM: parts per million as a percentage with two decimals.
kl_pct() {
	printf '%d.%02d%%' $(($1 / 10000)) $(($1 / 100 % 100))
}

# kl_switch_topology: the forwarding tests' three namespaces, 8 queues a port,
# forwarding on in the switch and every neighbour static (no frame waits for ND):
#   talker:t0 ── sw0p1 [sw] sw0p2 ── listener:l0
#   2001:db8:75::1  2001:db8:75::ff  2001:db8:76::ff  2001:db8:76::1
kl_switch_topology() {
	lab_ns_add talker
	lab_ns_add sw
	lab_ns_add listener
	lab_veth talker t0 sw sw0p1 8
	lab_veth sw sw0p2 listener l0 8
	lab_addr talker t0 2001:db8:75::1/64
	lab_addr sw sw0p1 2001:db8:75::ff/64
	lab_addr sw sw0p2 2001:db8:76::ff/64
	lab_addr listener l0 2001:db8:76::1/64
	lab_route6 talker default via 2001:db8:75::ff
	lab_route6 listener default via 2001:db8:76::ff
	lab_sysctl sw net.ipv6.conf.all.forwarding=1
	ip -n talker -6 neigh replace 2001:db8:75::ff lladdr "$(ip -n sw -j link show sw0p1 | jq -r '.[0].address')" dev t0
	ip -n sw -6 neigh replace 2001:db8:76::1 lladdr "$(ip -n listener -j link show l0 | jq -r '.[0].address')" dev sw0p2
	ip -n sw -6 neigh replace 2001:db8:75::1 lladdr "$(ip -n talker -j link show t0 | jq -r '.[0].address')" dev sw0p1
}

# ---- where the time goes ---------------------------------------------------------

# kl_uptime_cs VAR: the guest's uptime in hundredths of a second, into VAR (no fork:
# under TCG every program start costs a few hundred ms).
kl_uptime_cs() {
	local up
	read -r up _ </proc/uptime
	up=${up/./}
	printf -v "$1" '%d' $((10#$up))
}
kl_uptime_cs KL_T0_CS

# kl_mark WHAT: "LAB INFO WHAT: at N.N s", the seconds since this script started;
# marks between a test's steps say where its time goes.
kl_mark() {
	local now
	kl_uptime_cs now
	now=$((now - KL_T0_CS))
	echo "LAB INFO $*: at $((now / 100)).$((now % 100 / 10)) s"
}
