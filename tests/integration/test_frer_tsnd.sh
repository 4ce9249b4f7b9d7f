#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_frer_tsnd.sh — FRER (IEEE 802.1CB) through tsnd, configured by its `frer:`
# section (docs/frer.md):
#
#              ┌ s1a ── sw2 (bridge) ── s4a ┐
#   tlk ── sw1 (tsnd: generator)        sw4 (tsnd: recovery) ── lst
#              └ s1b ── sw3 (bridge) ── s4b ┘
#
#   redundant   FRER_SECONDS (10; 3 under CI=true, two busy cores) at 10 000
#               frames/s; path a is cut (`ip link set down`) halfway: every frame
#               reaches the listener exactly once and in order, and the 802.1CB
#               counters of both switches equal what was sent and what the cut
#               path carried; the latent error the cut causes is logged and counted.
#   bad_reload  a reload with a bad frer section changes nothing.
#   fault       TSND_FAULT=frer (build/tests/tsnd-fault): a reload that fails at the
#               frer step leaves FRER exactly as it ran before.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROBE=$IT_BUILD/tests/tools/frer_probe
TCX_SHOW=$IT_BUILD/tests/tools/tcx_show
TSND_FAULT_BIN=$IT_BUILD/tests/tsnd-fault
RATE=10000
SECONDS_RUN=$(frer_seconds 10 3)
DST=01:1b:19:00:00:10

frer_topology() {
	local ns
	for ns in tlk sw1 sw2 sw3 sw4 lst; do
		lab_ns_add "$ns"
		# No IPv6 chatter: the only frames on the paths are the probe's.
		lab_sysctl "$ns" net.ipv6.conf.all.disable_ipv6=1
		lab_sysctl "$ns" net.ipv6.conf.default.disable_ipv6=1
	done
	lab_veth tlk tlk0 sw1 s1in
	lab_veth sw1 s1a sw2 s2a
	lab_veth sw1 s1b sw3 s3a
	lab_veth sw2 s2b sw4 s4a
	lab_veth sw3 s3b sw4 s4b
	lab_veth sw4 s4out lst lst0
	for ns in sw2 sw3; do
		lab_exec "$ns" ip link add br0 type bridge stp_state 0 forward_delay 0
		lab_exec "$ns" ip link set "s${ns#sw}a" master br0
		lab_exec "$ns" ip link set "s${ns#sw}b" master br0
		lab_exec "$ns" ip link set br0 up
	done
}

# frer_config FILE NAME PORTS FRER: a tsnd config for switch NAME.
frer_config() {
	mkdir -p "$IT_DIR/$2"
	cat >"$1" <<EOF
daemon:
  log-level: info
  log-target: stderr
  pid-file: $IT_DIR/$2/tsnd.pid
  state-dir: $IT_DIR/$2
control:
  socket: $IT_DIR/$2/tsnd.sock
  timeout: 2s
ports:
$3
streams:
  - { id: 10, name: ctl, identification: dst-mac-vlan, dst-mac: "$DST", priority: 5 }
frer:
$4
dataplane:
  pin-dir: /sys/fs/bpf/${LAB_PREFIX}$2
  keep-on-exit: false
EOF
}

SW1_PORTS='  - { name: s1in, xdp: generic }
  - { name: s1a }
  - { name: s1b }'
SW1_FRER='  - stream: ctl
    role: generator
    paths: [ { port: s1a }, { port: s1b } ]'
SW4_PORTS='  - { name: s4a, xdp: generic }
  - { name: s4b, xdp: generic }
  - { name: s4out }'
SW4_FRER='  - stream: ctl
    role: recovery
    algorithm: vector
    history: 32
    reset-timeout: 1s
    latent-error: { paths: 2, difference: 50, period: 200ms, reset-period: 60s }
    paths: [ { port: s4out } ]'

# start_sw NAME CONFIG [BIN [ENV...]]: tsnd in namespace NAME; its log is IT_DIR/NAME.log.
# SW_PID: its pid (stopped when the test ends).
start_sw() {
	local name=$1 config=$2 bin=${3:-$TSND}
	shift 3 || shift $#
	lab_spawn SW_PID "$name" env "$@" "$bin" -f --stderr -c "$config" >>"$IT_DIR/$name.log" 2>&1
	lab_wait_until 10 lab_exec "$name" "$TSNCTL" -s "$IT_DIR/$name/tsnd.sock" status ||
		it_fail "tsnd in $name did not start: $(it_tail "$IT_DIR/$name.log")"
}

ctl() {
	local name=$1
	shift
	lab_exec "$name" "$TSNCTL" -s "$IT_DIR/$name/tsnd.sock" "$@"
}

# The tc programs on NS's DEV ingress: the tcx list where the kernel has tcx
# (tsnd's choice there), else the clsact filters.
tc_ingress() {
	local out rc
	out=$(lab_exec "$1" "$TCX_SHOW" "$2")
	rc=$?
	if ((rc == 2)); then
		lab_exec "$1" tc filter show dev "$2" ingress
	else
		printf '%s\n' "$out"
	fi
}

test_redundant() {
	it_need_xdp_meta redundant || return 0
	local n=$((RATE * SECONDS_RUN)) j1 j4
	frer_topology
	frer_config "$IT_DIR/sw1.yaml" sw1 "$SW1_PORTS" "$SW1_FRER"
	frer_config "$IT_DIR/sw4.yaml" sw4 "$SW4_PORTS" "$SW4_FRER"
	start_sw sw1 "$IT_DIR/sw1.yaml"
	start_sw sw4 "$IT_DIR/sw4.yaml"
	# The hooks are in place: tail-call slot and frer_tc on the XDP ports.
	j1=$(ctl sw1 -j frer show)
	expect_json "$j1" '.enabled == true and (.streams | length) == 1 and .streams[0].role == "generator"' \
		"sw1 frer show"
	expect_json "$j1" '[.streams[0].paths[].port] == ["s1a", "s1b"]' "sw1 paths by name"
	expect_match "$(tc_ingress sw4 s4a)" "frer_tc" "frer_tc on s4a"

	frer_run_cut "$n" lst0 tlk0 sw2 s2b	# path a: sw2 -> sw4 cut

	j1=$(ctl sw1 -j frer show)
	j4=$(ctl sw4 -j frer show)
	# sw1 numbered every frame and sent two copies (the cut is beyond sw2).
	expect_json "$j1" ".streams[0].counters.generated_packets == $n" "sw1 generated ($j1)"
	expect_json "$j1" ".streams[0].counters.replicated_packets == 2 * $n" "sw1 replicated"
	expect_json "$j1" ".streams[0].counters.replicate_errors == 0" "sw1 replicate errors"
	# sw4: passed what was sent; discarded what path a carried before the cut.
	local a b
	a=$(jget "$j4" '[.ports[] | select(.port == "s4a") | .counters | .passed_packets + .discarded_packets] | add')
	b=$(jget "$j4" '[.ports[] | select(.port == "s4b") | .counters | .passed_packets + .discarded_packets] | add')
	expect_eq "$b" "$n" "frames on the intact path b"
	((a > 0 && a < n)) || it_fail "path a carried $a of $n frames: the cut did not fall mid-run"
	expect_json "$j4" ".streams[0].counters.passed_packets == $n" "sw4 passed ($j4)"
	expect_json "$j4" ".streams[0].counters.discarded_packets == $a" "sw4 discarded = path a's frames"
	expect_json "$j4" '.streams[0].counters | .rogue_packets == 0 and .lost_packets == 0 and
		.tagless_packets == 0 and .encode_errored_packets == 0' "sw4 nothing rogue, lost or tagless"
	expect_json "$j4" ".streams[0].counters.replicated_packets == $n" "sw4 forwarded to the listener"
	# The cut path shows as a latent error: counted, read by tsnd and logged.
	expect_json "$j4" '.streams[0].counters.latent_errors >= 1 and .latent_error_events >= 1' \
		"latent error counted"
	expect_match "$(cat "$IT_DIR/sw4.log")" "stream 10: latent error" "latent error logged"
	# Prometheus: the same counters, by stream and by port.
	local prom
	prom=$(ctl sw4 stats -o prometheus)
	expect_match "$prom" "^tsnd_frer_passed_packets_total\\{stream=\"10\",name=\"ctl\"\\} $n\$" "prometheus: passed"
	expect_match "$prom" "^tsnd_frer_discarded_packets_total\\{stream=\"10\",name=\"ctl\"\\} $a\$" \
		"prometheus: discarded"
	expect_match "$prom" "^tsnd_frer_port_passed_packets_total\\{port=\"s4b\"\\} " "prometheus: per port"
	expect_match "$prom" "^tsnd_frer_latent_error_events_total [1-9]" "prometheus: latent-error events"
	# Human output: 802.1CB columns.
	expect_match "$(ctl sw4 frer show)" "PASSED +DISCARDED +OUT-OF-ORDER +ROGUE +LOST" "frer show table"
}

# A reload with a bad frer section is refused and changes nothing.
test_bad_reload() {
	local before after
	frer_topology
	frer_config "$IT_DIR/sw4.yaml" sw4 "$SW4_PORTS" "$SW4_FRER"
	start_sw sw4 "$IT_DIR/sw4.yaml"
	before=$(ctl sw4 -j frer show | jq -c 'del(.ports)')
	frer_config "$IT_DIR/sw4.yaml" sw4 "$SW4_PORTS" '  - stream: ctl
    role: recovery
    history: 99'
	expect_exit 5 ctl sw4 config reload	# 5: the configuration is invalid
	expect_match "$OUT$ERR" "sw4.yaml:[0-9]+:[0-9]+: frer\[0\]\.history" "the reason names file:line:col"
	after=$(ctl sw4 -j frer show | jq -c 'del(.ports)')
	expect_eq "$after" "$before" "FRER state after the refused reload"
}

# TSND_FAULT=frer: the second transaction (the reload) fails at the frer step
# after its work; the abort restores the running FRER exactly.
test_fault() {
	local before after
	[[ -x $TSND_FAULT_BIN ]] || it_fail "missing $TSND_FAULT_BIN (make tests-build)"
	frer_topology
	frer_config "$IT_DIR/sw4.yaml" sw4 "$SW4_PORTS" "$SW4_FRER"
	start_sw sw4 "$IT_DIR/sw4.yaml" "$TSND_FAULT_BIN" TSND_FAULT=frer
	before=$(ctl sw4 -j frer show | jq -c 'del(.ports)')
	# A new stream, a generator, on s4a: the step writes it, then the fault hits.
	frer_config "$IT_DIR/sw4.yaml" sw4 "$SW4_PORTS" '  - stream: ctl
    role: generator
    paths: [ { port: s4a } ]'
	expect_exit 1 ctl sw4 config reload
	expect_match "$OUT$ERR" "fault injected at step frer" "the injected fault"
	after=$(ctl sw4 -j frer show | jq -c 'del(.ports)')
	expect_eq "$after" "$before" "FRER state after the aborted reload"
	expect_match "$(tc_ingress sw4 s4b)" "frer_tc" "frer_tc still on s4b"
}

[[ -x $PROBE ]] || { echo "FAIL setup: missing $PROBE (make tests-build)"; exit 1; }
it_main redundant bad_reload fault
