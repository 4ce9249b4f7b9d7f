#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_txn.sh — the configuration transaction (daemon/core/txn.c), by fault injection:
# for every step of the table and both phases (prepare, apply), a reload that
# fails there leaves the kernel objects exactly as they were — qdiscs, tc
# filters, XDP attachments, tsnd's routes, the pinned BPF maps' contents,
# ptp4l.conf, the control socket's mode and group, the metrics listener — and
# the running configuration too; the next reload of the same file works.  The
# start-up is a transaction too: failing it at any step leaves the kernel as it
# was before tsnd started.  Uses build/tests/tsnd-fault (tsnd built with
# -DTSN_FAULT_INJECTION, which reads TSND_FAULT=STEP[:PHASE][@N]).  ONLY="NAME..." runs
# only those tests.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TSND=$IT_BUILD/tests/tsnd-fault
STEPS=(daemon access metrics routes bridge dataplane schedules ptp telemetry)
METRICS_PORT=9477

# txn_config FILE A|B: two configurations that differ in every subsystem the
# transaction changes.
txn_config() {
	local file=$1 v=$2 mode=0660 xdp2=generic prio=0 sync=-2 net=100 prom=false
	if [[ $v == B ]]; then
		mode=0600 xdp2=off prio=3 sync=-3 net=200 prom=true
	fi
	cat >"$file" <<EOF
daemon:
  log-level: info
  log-target: stderr
  pid-file: $IT_DIR/tsnd.pid
  state-dir: $IT_DIR/state
control:
  socket: $IT_DIR/tsnd.sock
  socket-mode: $mode
  timeout: 2s
ports:
  - { name: sw0p1, xdp: generic }
  - { name: sw0p2, xdp: $xdp2 }
ptp:
  enabled: true
  transport: l2
  free-running: true
  uds-address: $IT_DIR/tsnd-ptp4l.sock
  ports:
    - { name: sw0p1 }
  options:
    logSyncInterval: $sync
classification:
  default-priority: $prio
  ethertype:
    - { ethertype: 0x88f7, priority: 7 }
routes:
  - { prefix: "2001:db8:$net::/64", dev: sw0p1 }
dataplane:
  pin-dir: /sys/fs/bpf/${LAB_PREFIX}tsnd
  keep-on-exit: false
telemetry:
  prometheus: $prom
  prometheus-listen: "127.0.0.1:$METRICS_PORT"
EOF
}

# What the kernel holds that a transaction may change, as one text.  Counters
# (maps whose name says stats or counters), the data plane's caches (filled by
# the frames that pass) and its per-frame scratch state (tsn_xstate: each frame's
# parse, shared by tsn_xdp's stages) move with traffic and are left out.
snapshot() {
	local ns pin m
	ns=$(lab_ns "$IT_NS")
	echo "== qdiscs"
	tc -n "$ns" -j qdisc show | jq -S -c '.[]'
	echo "== tc ingress filters"
	for dev in sw0p1 sw0p2; do
		tc -n "$ns" -j filter show dev "$dev" ingress | jq -S -c '.[] | del(.options.not_in_hw)'
	done
	echo "== xdp"
	ip -n "$ns" -j link show | jq -S -c '.[] | {ifname, xdp}'
	echo "== routes"
	ip -n "$ns" -6 -j route show proto 201 | jq -S -c '.[]'
	echo "== maps"
	# In tsnd's mount namespace: `ip netns exec` gave it its own /sys, where it
	# mounted the bpf filesystem.
	# The tables come in two generations (include/tsn/bpf_shared.h): a rollback
	# writes the old tables again as a new generation, so what must be equal is
	# the active generation's entries, not the serial or the inactive half.
	# One bpftool process dumps every map (`batch`) and one jq filters them: a
	# bpftool and a jq per map took 4-6 s a snapshot, three snapshots a case.
	pin=/sys/fs/bpf/${LAB_PREFIX}tsnd
	if [[ -n ${TSND_PID:-} ]] && lab_pid_alive "$TSND_PID"; then
		local cmds="map dump pinned $pin/tsn_gen"$'\n' dump=$IT_DIR/maps.json
		for m in $(nsenter -t "$TSND_PID" -m find "$pin" -maxdepth 2 ! -type d | sort); do
			case ${m##*/} in
			*stats* | *count* | *fib* | *cache* | *xstate* | tsn_xdp | tsn_tc* | tsn_gen | tsn_strm_tab) continue ;;
			esac
			cmds+="map dump pinned $m"$'\n'
		done
		nsenter -t "$TSND_PID" -m bpftool -j batch file - <<<"$cmds" >"$dump" ||
			it_fail "bpftool could not dump tsnd's maps: $(head -c 300 "$dump")"
		# Per map: the entries of the active generation, sorted (a hash map's
		# order is its buckets'); last, a line with what the stream table below
		# needs (one jq over the dump: each pass over its 15 MB takes a second).
		local out
		out=$(jq -r -c -S --arg pin "$pin/" '
			(.[0].output[0].formatted.value.active) as $a
			| "active generation \($a)",
			  (.[1:][] | (.command[3] | ltrimstr($pin)) as $path | ($path | split("/") | last) as $name
			   | "-- \($path)",
			     ([.output as $all | ($all | length / 2) as $h | $all[]
			       | select(
				if $name == "tsn_rules" then .formatted.key == $a
				elif $name == "tsn_ethertype" then (.formatted.key / 65536 | floor) == $a
				elif ($name == "tsn_filters" or $name == "tsn_gates" or $name == "tsn_gate_ents")
				then (.formatted.key / $h | floor) == $a
				else (.formatted.key | type) != "object" or (.formatted.key.gen // $a) == $a
				end)
			       | .formatted] | sort | .[])),
			  "strm_tab \($a) \([.[1:][] | select(.command[3] | endswith("/tsn_rules"))
				| .output[] | select(.formatted.key == $a) | .formatted.value.strm_mask][0])"' "$dump")
		# The stream table (an array of 262 144 entries, too many to dump): the
		# entries the active generation's rules let the program read, by their
		# place in that generation's table.
		local a mask i idx cmds2=""
		sed '$d' <<<"$out"
		read -r _ a mask <<<"$(tail -n 1 <<<"$out")"
		echo "-- tsn_strm_tab (mask $mask)"
		for ((i = 0; i <= ${mask:-0}; i++)); do
			idx=$((a * 131072 + i))
			cmds2+="map lookup pinned $pin/tsn_strm_tab key $((idx & 255)) $((idx >> 8 & 255)) $((idx >> 16 & 255)) $((idx >> 24 & 255))"$'\n'
		done
		nsenter -t "$TSND_PID" -m bpftool -j batch file - <<<"$cmds2" |
			jq -c -S '.[] | .output.formatted.value | select(.val.stream_id != 0)'
	fi
	echo "== state-dir (ptp4l.conf, and no ptp4l.conf.new left)"
	if [[ -d $IT_DIR/state ]]; then
		(cd "$IT_DIR/state" && find . -maxdepth 1 -type f ! -name '*.sock' | sort | xargs -r md5sum)
	fi
	echo "== socket"
	stat -c '%a %g' "$IT_DIR/tsnd.sock" 2>/dev/null || echo none
	echo "== listeners"
	lab_exec "$IT_NS" ss -Hltn "sport = :$METRICS_PORT" | awk '{ print $4 }'
}

# expect_same_kernel BEFORE WHAT
expect_same_kernel() {
	local now
	now=$(snapshot)
	if [[ $now != "$1" ]]; then
		it_fail "$2: the kernel objects changed: $(diff <(echo "$1") <(echo "$now") | head -n 12 | tr '\n' '|')"
	fi
}

start_with_fault() {
	local conf=$1 fault=$2
	IT_SOCK=$IT_DIR/tsnd.sock
	lab_spawn TSND_PID "$IT_NS" env TSND_FAULT="$fault" "$TSND" -f --stderr -c "$conf" >>"$IT_LOG" 2>&1
	lab_wait_until 20 tsnctl_sw status ||
		it_fail "tsnd-fault did not answer; log: $(it_tail "$IT_LOG")"
}

stop_tsnd() {
	lab_stop_pid "$TSND_PID"
	lab_wait_until 10 bash -c "! ip -n $(lab_ns "$IT_NS") -j link show | grep -q '\"xdp\"'" || true
}

# One reload that fails at STEP:PHASE changes nothing; the next one works.
fault_case() {
	local step=$1 phase=$2 conf=$IT_DIR/txn.yaml before cfg_before
	txn_config "$conf" A
	start_with_fault "$conf" "$step:$phase"
	before=$(snapshot)
	expect_exit 0 tsnctl_sw -j config show
	cfg_before=$OUT
	txn_config "$conf" B
	expect_exit 1 tsnctl_sw config reload
	expect_match "$ERR$OUT" "fault injected at step $step \\($phase\\)" "$step:$phase: the reload names the injected fault"
	expect_same_kernel "$before" "$step:$phase"
	expect_exit 0 tsnctl_sw -j config show
	expect_eq "$OUT" "$cfg_before" "$step:$phase: running configuration after the failed reload"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.generation == 1 and .config.last_reload.result == "apply-failed"' \
		"$step:$phase: generation and last reload"
	# The same file again: no fault this time, and everything follows B.
	expect_exit 0 tsnctl_sw config reload
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.generation == 2' "$step:$phase: generation after the good reload"
	expect_eq "$(stat -c '%a' "$IT_DIR/tsnd.sock")" 600 "$step:$phase: socket mode after the good reload"
	expect_exit 0 tsnctl_sw -j route show
	expect_json "$OUT" '.routes[0].prefix == "2001:db8:200::/64" and .routes[0].installed' \
		"$step:$phase: route after the good reload"
	[[ $(snapshot) != "$before" ]] || it_fail "$step:$phase: the good reload changed nothing in the kernel"
	stop_tsnd
}

test_reload_fault_apply() {
	local s
	for s in "${STEPS[@]}"; do
		fault_case "$s" apply
	done
}

test_reload_fault_prepare() {
	local s
	for s in "${STEPS[@]}"; do
		fault_case "$s" prepare
	done
}

# Start-up is transaction 1: a failure at any step leaves the kernel as before.
test_start_fault() {
	local s conf=$IT_DIR/txn.yaml before
	txn_config "$conf" A
	before=$(snapshot)
	for s in "${STEPS[@]}"; do
		expect_exit 1 lab_exec "$IT_NS" env TSND_FAULT="$s@1" "$TSND" -f --stderr -c "$conf"
		expect_match "$ERR" "not starting: .*fault injected at step $s \\(apply\\)" "start-up fault at $s"
		expect_same_kernel "$before" "start-up fault at $s"
	done
}

# A production build has no hook: TSND_FAULT is ignored.
test_production_ignores_fault() {
	local conf=$IT_DIR/txn.yaml
	txn_config "$conf" A
	IT_SOCK=$IT_DIR/tsnd.sock
	lab_spawn TSND_PID "$IT_NS" env TSND_FAULT="routes" "$IT_BUILD/tsnd" -f --stderr -c "$conf" >>"$IT_LOG" 2>&1
	lab_wait_until 20 tsnctl_sw status || it_fail "tsnd did not answer; log: $(it_tail "$IT_LOG")"
	txn_config "$conf" B
	expect_exit 0 tsnctl_sw config reload
	! grep -q "fault injection" "$IT_LOG" || it_fail "the production tsnd read TSND_FAULT"
	stop_tsnd
}

[[ -x $TSND ]] || { echo "FAIL setup: missing $TSND (make tests-build)"; exit 1; }
it_main ${ONLY:-reload_fault_apply reload_fault_prepare start_fault production_ignores_fault}
