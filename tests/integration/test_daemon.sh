#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_daemon.sh — tsnd's life cycle: pid file, one daemon per socket, and a clean
# stop on SIGTERM (socket and pid file gone, XDP programs off the ports).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# xdp_ports: the switch ports that have an XDP program attached, per the kernel.
xdp_ports() {
	ip -n "$(lab_ns "$IT_NS")" -j link show | jq -r '.[] | select(.xdp) | .ifname'
}

test_pid_file() {
	local conf=$IT_DIR/pid.yaml
	it_config "$conf"
	it_start_tsnd "$conf"
	[[ -r $IT_DIR/tsnd.pid ]] || it_fail "no pid file $IT_DIR/tsnd.pid"
	expect_eq "$(tr -dc 0-9 <"$IT_DIR/tsnd.pid")" "$TSND_PID" "pid file content"
	[[ -S $IT_SOCK ]] || it_fail "$IT_SOCK is not a socket"
	expect_eq "$(stat -c %a "$IT_SOCK")" 660 "socket mode"
	# -s and -p on the command line win over the file.
	local sock2=$IT_DIR/override.sock pid2=$IT_DIR/override.pid override_pid
	lab_spawn override_pid "$IT_NS" "$TSND" -f --stderr -c "$conf" -s "$sock2" -p "$pid2" \
		>>"$IT_DIR/tsnd-override.log" 2>&1
	lab_wait_socket "$sock2" 10 || it_fail "tsnd -s $sock2 did not create it; log: $(it_tail "$IT_DIR/tsnd-override.log")"
	expect_eq "$(tr -dc 0-9 <"$pid2")" "$override_pid" "pid file given with -p"
}

test_second_instance_refused() {
	local conf=$IT_DIR/second.yaml
	it_config "$conf"
	it_start_tsnd "$conf"
	# Same socket, its own pid file: the socket alone must keep it out.
	it_run timeout --foreground 15 ip netns exec "$(lab_ns "$IT_NS")" "$TSND" -f --stderr -c "$conf" \
		-p "$IT_DIR/second-instance.pid"
	((RC != 0 && RC != 124)) || it_fail "second tsnd on the same socket: exit $RC (0: started, 124: kept running)"
	expect_match "$ERR" "$IT_SOCK" "the refusal names the socket"
	expect_match "$ERR" 'running|in use' "the refusal says why"
	lab_pid_alive "$TSND_PID" || it_fail "the first tsnd died"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" ".daemon.pid == $TSND_PID" "the first tsnd still answers"
	# Same pid file as well: also refused, and the first one's pid file stays.
	it_run timeout --foreground 15 ip netns exec "$(lab_ns "$IT_NS")" "$TSND" -f --stderr -c "$conf"
	((RC != 0 && RC != 124)) || it_fail "second tsnd with the same pid file: exit $RC"
	expect_eq "$(tr -dc 0-9 <"$IT_DIR/tsnd.pid")" "$TSND_PID" "pid file after the refused start"
	expect_exit 0 tsnctl_sw status
}

test_sigterm_cleanup() {
	local conf=$IT_DIR/term.yaml rc=0
	it_config "$conf"
	it_start_tsnd "$conf"
	expect_eq "$(xdp_ports | sort | tr '\n' ' ')" "sw0p1 sw0p2 " "ports with XDP while running"
	kill -TERM "$TSND_PID"
	lab_wait_until 10 eval '! lab_pid_alive '"$TSND_PID" || it_fail "tsnd still running 10 s after SIGTERM"
	wait "$TSND_PID" || rc=$?
	expect_eq "$rc" 0 "tsnd's exit status after SIGTERM"
	[[ ! -e $IT_SOCK ]] || it_fail "socket $IT_SOCK left behind"
	[[ ! -e $IT_DIR/tsnd.pid ]] || it_fail "pid file left behind"
	expect_eq "$(xdp_ports | tr '\n' ' ')" "" "ports with XDP after SIGTERM"
	# but the one a kernel without XDP metadata earns (docs/dataplane.md)
	expect_no_match "$(grep -v 'this kernel refuses XDP metadata' "$IT_LOG")" '\[(error|warning)\]' \
		"log has no errors or warnings"
	expect_exit 3 tsnctl_sw status
}

test_sigint_stops() {
	local conf=$IT_DIR/int.yaml
	it_config "$conf"
	it_start_tsnd "$conf"
	kill -INT "$TSND_PID"
	lab_wait_until 10 eval '! lab_pid_alive '"$TSND_PID" || it_fail "tsnd still running 10 s after SIGINT"
	[[ ! -e $IT_SOCK ]] || it_fail "socket $IT_SOCK left behind"
	expect_eq "$(xdp_ports | tr '\n' ' ')" "" "ports with XDP after SIGINT"
}

# A port the config names but the namespace lacks: tsnd reports it, and does not die.
test_missing_port() {
	local conf=$IT_DIR/missing.yaml
	it_config "$conf" xdp=off
	sed -i 's/name: sw0p2/name: sw0p9/' "$conf"
	it_start_tsnd "$conf"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.ports[] | select(.name == "sw0p9") | .present == false' "absent port"
	expect_exit 0 tsnctl_sw -j port show sw0p9
	expect_json "$OUT" '.ports[0].present == false' "port show of an absent port"
}

it_main pid_file second_instance_refused sigterm_cleanup sigint_stops missing_port
