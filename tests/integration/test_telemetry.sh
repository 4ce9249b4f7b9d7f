#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_telemetry.sh — residence time measured end to end through a known, added
# delay: a token bucket (tbf) on the switch's egress port sends one full-size
# frame per T = 1514 * 8 / 600 kbit/s = 20.19 ms, so of N frames sent back to back
# frame k waits k * T (the first passes at once).  The samples must land in the
# histogram buckets around k * T, per class, per stream, and in the text and JSON
# output; latency reset zeroes them; turning telemetry off detaches it.
#
#   tlk:eth0 ── sw0p3 [sw: tsnd, XDP generic] sw0p4 (no XDP, tbf) ── lst:eth0
#
# sw0p4 has no XDP program, so tsn_xdp hands these frames to the kernel, which
# forwards them through sw0p4's qdisc (the path residence time measures).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UDP6=$IT_BUILD/tests/tools/udp6
TBF_T_NS=20186667		# 1514 * 8 / 600000 s, in ns
SLACK_NS=5000000	# the sender's gaps, the qdisc watchdog's slack, a loaded host

tm_topology() {
	it_host tlk sw0p3 1
	it_host lst sw0p4 2
	it_forwarding_on
	# Neighbours resolved before the measurement: no frame waits for ND.
	lab_exec tlk ping -6 -c 1 -W 2 2001:db8:2::2 >/dev/null
}

# tm_config FILE ON: telemetry.residence-time ON (true/false).
tm_config() {
	cat >"$1" <<EOF
daemon:
  log-level: info
  log-target: stderr
  pid-file: $IT_DIR/tm.pid
  state-dir: $IT_DIR
control:
  socket: $IT_DIR/tm.sock
  timeout: 1s
  audit-log: $IT_DIR/audit.log
ports:
  - { name: sw0p3, xdp: generic }
  - { name: sw0p4, xdp: "off" }
streams:
  - { id: 10, name: bulk, identification: ipv6, dst: "2001:db8:2::2", next-header: 17,
      dst-port: 5000, priority: 5 }
dataplane:
  pin-dir: /sys/fs/bpf/${LAB_PREFIX}tm
  keep-on-exit: false
telemetry:
  residence-time: $2
EOF
}

# The samples of a histogram as a sorted list of bucket upper edges.
samples() {
	jq -c '[.buckets[] as [$u, $n] | range($n) | $u] | sort' <<<"$1"
}

test_known_delay() {
	it_need_xdp_meta known_delay || return 0
	tm_topology
	tm_config "$IT_DIR/tm.yaml" true
	it_start_tsnd "$IT_DIR/tm.yaml"
	lab_exec "$IT_NS" tc qdisc replace dev sw0p4 root tbf rate 600kbit burst 1514 limit 100000
	lab_on_cleanup lab_exec "$IT_NS" tc qdisc del dev sw0p4 root
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.subsystems.telemetry.state == "on" and .subsystems.telemetry.sent_while_closed == 0' \
		"status: telemetry on, nothing out of its gate"
	expect_exit 0 tsnctl_sw latency reset
	# 6 frames of 1514 bytes (14 + 40 + 8 + 1452), back to back.
	lab_exec tlk "$UDP6" send 2001:db8:2::2 5000 -n 6 -s 1452 -i 0
	# The last leaves 5 T after the first.
	lab_wait_until 5 bash -c "'$TSNCTL' -s '$IT_SOCK' -j latency show sw0p4 --class 5 2>/dev/null |
		jq -e '.ports[0].classes[0].count >= 6' >/dev/null" || true
	expect_exit 0 tsnctl_sw -j latency show sw0p4 --class 5
	local cls
	cls=$(jq -c '.ports[0].classes[0]' <<<"$OUT")
	expect_json "$cls" '.class == 5 and .count == 6' "six samples in sw0p4 class 5"
	local s
	s=$(samples "$cls")
	# Sample k lies in a bucket around k * T: its upper edge is at least
	# k T - slack and at most (k T + slack) plus the bucket's width (< 1/16).
	expect_json "$s" ". as \$s | length == 6 and .[0] < $SLACK_NS and
		all(range(1; 6); . as \$k | \$s[\$k] >= \$k * $TBF_T_NS - $SLACK_NS and
		    \$s[\$k] <= (\$k * $TBF_T_NS + $SLACK_NS) * 17 / 16)" "samples at k * T (T = $TBF_T_NS ns): $s"
	# Exact figures agree with the buckets: max about 5 T, p50 (rank 3) about 2 T.
	expect_json "$cls" ".max_ns >= 5 * $TBF_T_NS - $SLACK_NS and .max_ns <= 5 * $TBF_T_NS + $SLACK_NS and
		.min_ns < $SLACK_NS and .p50_ns >= 2 * $TBF_T_NS - $SLACK_NS and
		.p50_ns <= (2 * $TBF_T_NS + $SLACK_NS) * 17 / 16 and .p999_ns == .max_ns and
		.mean_ns > 2 * $TBF_T_NS and .mean_ns < 3 * $TBF_T_NS" "figures of sw0p4 class 5: $cls"
	# The stream has the same six samples.
	expect_exit 0 tsnctl_sw -j latency show --stream 10
	expect_json "$OUT" '(.ports | length) == 0 and .streams[0].id == 10 and .streams[0].count == 6' \
		"stream 10's histogram"
	expect_eq "$(samples "$(jq -c '.streams[0]' <<<"$OUT")")" "$s" "stream and class samples"
	expect_json "$OUT" '.totals.measured >= 6 and .totals.stamped >= 6 and .bucket_error_pct == 6.25' \
		"totals"
	# Text.
	expect_exit 0 tsnctl_sw latency show
	expect_match "$OUT" '^PORT/STREAM +CLASS +COUNT +MIN +MEAN +P50 +P99 +P99.9 +MAX' "text header"
	expect_match "$OUT" '^sw0p4 +5 +6 +[0-9.]+[mu]?s +[0-9.]+ms +[0-9.]+ms +[0-9.]+ms +[0-9.]+ms +10[0-9.]*ms' \
		"text row of sw0p4 class 5"
	expect_match "$OUT" '^stream 10 +- +6 ' "text row of stream 10"
	# Reset zeroes everything.
	expect_exit 0 tsnctl_sw latency reset
	expect_match "$OUT" 'zeroed at' "reset answer"
	expect_exit 0 tsnctl_sw -j latency show sw0p4 --class 5
	expect_json "$OUT" '.ports[0].classes[0].count == 0 and .ports[0].classes[0].p50_ns == null and
		.totals.measured == 0' "histograms after reset"
	expect_exit 0 tsnctl_sw latency show
	expect_match "$OUT" '^no samples' "text after reset"
	# Arguments.
	expect_exit 2 tsnctl_sw latency show --class 8
	expect_exit 2 tsnctl_sw latency show sw0p4 --stream 10
	expect_exit 1 tsnctl_sw latency show --stream 11
	expect_match "$ERR" 'stream 11 is not configured' "unknown stream"
	expect_exit 1 tsnctl_sw latency show nosuch0
	# Off and on again by reloads: detached and re-attached without a new load
	# (tsnd no longer has the capability to load tracing programs).
	tm_config "$IT_DIR/tm.yaml" false
	expect_exit 0 tsnctl_sw config reload
	expect_exit 0 tsnctl_sw -j latency show
	expect_json "$OUT" '.state == "off"' "off after a reload"
	tm_config "$IT_DIR/tm.yaml" true
	expect_exit 0 tsnctl_sw config reload
	lab_exec tlk "$UDP6" send 2001:db8:2::2 5000 -n 2 -s 100 -i 0
	lab_wait_until 5 bash -c "'$TSNCTL' -s '$IT_SOCK' -j latency show --stream 10 2>/dev/null |
		jq -e '.streams[0].count >= 2' >/dev/null" || true
	expect_exit 0 tsnctl_sw -j latency show --stream 10
	expect_json "$OUT" '.state == "on" and .streams[0].count == 2' "measuring again after off and on"
	# reset is an admin command: audited, refused to a reader.
	expect_match "$(cat "$IT_DIR/audit.log")" 'latency\.reset' "reset in the audit log"
	expect_exit 4 tsnctl_as 65534 65534 "" latency reset
}

test_off() {
	tm_topology
	tm_config "$IT_DIR/tm.yaml" false
	it_start_tsnd "$IT_DIR/tm.yaml"
	expect_exit 0 tsnctl_sw -j latency show
	expect_json "$OUT" '.state == "off" and (.ports | length) == 0 and .since == null' "off at start"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.subsystems.telemetry.state == "off"' "status: off"
	expect_exit 0 tsnctl_sw status
	expect_match "$OUT" 'telemetry: +off, gate conformance: 0 sent while closed' "status text"
	# Turned on by a reload (tsnd loaded nothing at start: it must say why not, or
	# be on if it could still load), and off again.
	tm_config "$IT_DIR/tm.yaml" true
	expect_exit 0 tsnctl_sw config reload
	expect_exit 0 tsnctl_sw -j latency show
	expect_json "$OUT" '.state == "on" or (.state == "unavailable" and (.message | test("restart tsnd")))' \
		"on after a reload, or unavailable with the reason"
	tm_config "$IT_DIR/tm.yaml" false
	expect_exit 0 tsnctl_sw config reload
	expect_exit 0 tsnctl_sw -j latency show
	expect_json "$OUT" '.state == "off"' "off after a reload"
	# No tracing program of this tsnd stays attached.
	expect_exit 0 bpftool -j link show
	expect_json "$OUT" "[.[] | select(.prog_type == \"tracing\" and
		any(.pids[]?; .pid == $TSND_PID))] | length == 0" "no tracing link of tsnd's left"
}

it_main known_delay off
