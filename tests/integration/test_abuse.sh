#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_abuse.sh — tsnd against hostile or broken clients (build/tests/tools/ctl_abuse:
# half-sent requests, oversized lines, floods of connections, garbage), and tsnd
# under valgrind: every command, a rejected reload, SIGHUP and the abuse must leave
# no memory error and no definite leak once tsnd stops on SIGTERM.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VALGRIND_SUPP=$IT_REPO/tests/valgrind.supp

need_ctl_abuse() {
	[[ -x $CTL_ABUSE ]] || it_fail "$CTL_ABUSE is not built (tests/tools/ctl_abuse.c; make tests-build)"
}

# run_abuse TIMEOUT_S: ctl_abuse against the test socket; fails the test unless it
# reports success.
run_abuse() {
	it_run timeout --foreground 600 ip netns exec "$(lab_ns "$IT_NS")" "$CTL_ABUSE" --socket "$IT_SOCK" \
		--timeout-s "$1"
	printf '%s\n%s\n' "$OUT" "$ERR" >"$IT_DIR/ctl_abuse.log"
	((RC == 0)) || it_fail "ctl_abuse exited $RC: $(grep -E 'FAIL|fail|error' \
		"$IT_DIR/ctl_abuse.log" | head -n 3 | tr '\n' '|')$(it_tail \
		"$IT_DIR/ctl_abuse.log" 3)"
}

open_fds() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# start_tsnd_valgrind CONFIG: like it_start_tsnd, with tsnd under memcheck.
start_tsnd_valgrind() {
	local config=$1
	IT_SOCK=$(awk '$1 == "socket:" { print $2; exit }' "$config")
	VG_LOG=$IT_DIR/valgrind.log
	lab_spawn TSND_PID "$IT_NS" valgrind --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite --error-exitcode=99 --suppressions="$VALGRIND_SUPP" \
		--log-file="$VG_LOG" "$TSND" -f --stderr -c "$config" >>"$IT_LOG" 2>&1
	lab_wait_until 90 tsnctl_sw status ||
		it_fail "tsnd under valgrind did not answer within 90 s; log: $(it_tail "$IT_LOG")"
}

# stop_tsnd_valgrind: SIGTERM, then valgrind's verdict.
stop_tsnd_valgrind() {
	local rc=0
	kill -TERM "$TSND_PID"
	lab_wait_until 60 eval '! lab_pid_alive '"$TSND_PID" ||
		it_fail "tsnd under valgrind still running 60 s after SIGTERM"
	wait "$TSND_PID" || rc=$?
	((rc != 99)) || it_fail "valgrind found errors or definite leaks: $(grep -E 'Invalid|uninitialised|definitely lost|ERROR SUMMARY' "$VG_LOG" | head -n 4 | tr '\n' '|')"
	expect_eq "$rc" 0 "tsnd's exit status under valgrind"
	expect_match "$(cat "$VG_LOG")" 'ERROR SUMMARY: 0 errors' "valgrind error summary"
	expect_no_match "$(cat "$VG_LOG")" 'definitely lost: [1-9]' "valgrind leak summary"
}

test_abuse() {
	need_ctl_abuse
	local conf=$IT_DIR/abuse.yaml fds_before fds_after
	it_config "$conf" timeout=1s clients=8
	it_start_tsnd "$conf"
	fds_before=$(open_fds "$TSND_PID")
	run_abuse 1
	lab_pid_alive "$TSND_PID" || it_fail "tsnd died under abuse; log: $(it_tail "$IT_LOG")"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" ".daemon.pid == $TSND_PID" "tsnd answers after the abuse"
	# Every abusive connection was closed: no descriptor leaked.
	_fds_back() { (($(open_fds "$TSND_PID") <= fds_before)); }
	lab_wait_until 5 _fds_back || {
		fds_after=$(open_fds "$TSND_PID")
		it_fail "tsnd holds $fds_after descriptors after the abuse, $fds_before before"
	}
}

test_valgrind_commands() {
	local conf=$IT_DIR/vg-cmd.yaml
	it_config "$conf" timeout=5s clients=8
	start_tsnd_valgrind "$conf"
	expect_exit 0 tsnctl_sw status
	expect_exit 0 tsnctl_sw -j port show
	expect_exit 1 tsnctl_sw port show nosuch0
	expect_exit 0 tsnctl_sw config show
	expect_exit 0 tsnctl_sw config check
	it_config "$conf" timeout=5s clients=8 prio=2 xdp=off
	expect_exit 0 tsnctl_sw config reload
	it_config "$conf" timeout=5s clients=8 prio=3
	kill -HUP "$TSND_PID"
	_gen3() { tsnctl_sw -j status | jq -e '.config.generation == 3'; }
	lab_wait_until 30 _gen3 || it_fail "SIGHUP reload not done within 30 s under valgrind"
	sed -i 's/xdp: generic/xdp: sideways/' "$conf"
	expect_exit 5 tsnctl_sw config reload
	expect_exit 5 tsnctl_sw config check
	stop_tsnd_valgrind
}

test_valgrind_abuse() {
	need_ctl_abuse
	local conf=$IT_DIR/vg-abuse.yaml
	# root is an admin peer: its requests may be 4 MiB, which tsnd under memcheck
	# reads in more than a second; the deadline is 10 s here.
	it_config "$conf" timeout=10s clients=8
	start_tsnd_valgrind "$conf"
	run_abuse 30
	expect_exit 0 tsnctl_sw status
	stop_tsnd_valgrind
}

# Hostile configuration files in tsnd (issue 16): deep flow nesting stalled the
# loop for 21 s, a FIFO at the path blocked it in open() until a writer came.
# Both are refused, at once, and tsnd answers status throughout.  The timeouts are
# 10x generous (both take about 0.1 s); memory: tsnctl's local check of the deep
# file runs under a 64 MB address-space limit.
test_hostile_config_reload() {
	local conf=$IT_DIR/hostile.yaml good=$IT_DIR/hostile-good.yaml
	it_config "$conf"
	cp "$conf" "$good"
	it_start_tsnd "$conf"
	head -c 202000 /dev/zero | tr '\0' '[' >"$conf"
	expect_exit 5 timeout 10 "$TSNCTL" -s "$IT_SOCK" --timeout 10 config reload
	expect_match "$OUT$ERR" 'nested deeper than 64 levels' "the depth is refused"
	expect_exit 5 prlimit --as=$((64 << 20)) timeout 10 "$TSNCTL" config check "$conf"
	expect_match "$OUT$ERR" 'nested deeper than 64 levels' "the local check refuses it too"
	expect_exit 0 tsnctl_sw status
	rm -f "$conf"
	mkfifo "$conf"
	expect_exit 5 timeout 10 "$TSNCTL" -s "$IT_SOCK" --timeout 10 config reload
	expect_match "$OUT$ERR" 'not a regular file' "the FIFO is refused"
	expect_exit 5 timeout 10 "$TSNCTL" config check "$conf"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.generation == 1' "nothing was applied"
	rm -f "$conf"
	cp "$good" "$conf"
}

it_main abuse hostile_config_reload valgrind_commands valgrind_abuse
