#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_reload.sh — configuration checks and reloads against a real tsnd: `tsnd --check`,
# `tsnctl config check`, `config reload` of a good and a bad file, and SIGHUP.
# A bad configuration must change nothing: same generation, same `config show`.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# break_config FILE: make FILE invalid in a known place; sets BAD_LINE to the line
# of the bad value (the diagnostics must point there).
break_config() {
	sed -i '0,/xdp: generic/s//xdp: sideways/' "$1"
	BAD_LINE=$(grep -n 'xdp: sideways' "$1" | head -n1 | cut -d: -f1)
}

generation() {
	expect_exit 0 tsnctl_sw -j status
	jget "$OUT" .config.generation
}

test_check_good() {
	local conf=$IT_DIR/check-good.yaml sock=$IT_DIR/check-good.sock
	it_config "$conf" sock="$sock"
	expect_exit 0 "$TSND" --check "$conf"
	expect_match "$OUT" '^ports:' "normalized config printed"
	expect_match "$OUT" "^  socket: $sock" "socket in the printed config"
	[[ ! -e $sock ]] || it_fail "tsnd --check created the socket $sock"
	# Every example configuration that ships is valid.
	local f
	for f in "$IT_REPO"/configs/*.yaml; do
		expect_exit 0 "$TSND" --check "$f"
	done
}

test_check_bad() {
	local conf=$IT_DIR/check-bad.yaml sock=$IT_DIR/check-bad.sock
	it_config "$conf" sock="$sock"
	break_config "$conf"
	echo "no-such-section: 1" >>"$conf"
	local extra_line
	extra_line=$(wc -l <"$conf")
	expect_exit 1 "$TSND" --check "$conf"
	expect_match "$ERR" "^$conf:$BAD_LINE:[0-9]+: ports\[0\]\.xdp: .*sideways" "diagnostic for xdp"
	expect_match "$ERR" "allowed: .*generic" "diagnostic lists what is allowed"
	# All errors in one run, not only the first.
	expect_match "$ERR" "^$conf:$extra_line:1: no-such-section" "diagnostic for the unknown section"
	[[ ! -e $sock ]] || it_fail "tsnd --check created the socket $sock"
	expect_exit 1 "$TSND" --check "$IT_DIR/does-not-exist.yaml"
	expect_match "$ERR" 'does-not-exist\.yaml' "missing file named"
}

test_config_check_command() {
	local conf=$IT_DIR/cc.yaml
	it_config "$conf"
	it_start_tsnd "$conf"
	expect_exit 0 tsnctl_sw config check
	expect_exit 0 tsnctl_sw -j config check
	expect_json "$OUT" ".file == \"$conf\" and .valid == true and .errors == 0" "valid"
	# The file on disk is checked, as a reload would read it; nothing is applied.
	break_config "$conf"
	expect_exit 5 tsnctl_sw config check
	expect_match "$ERR" "$conf:$BAD_LINE:[0-9]+:" "file:line:col"
	expect_exit 5 tsnctl_sw -j config check
	expect_json "$OUT" '.data.valid == false and .data.errors == 1' "-j invalid"
	expect_json "$OUT" ".data.diagnostics[0] | .line == $BAD_LINE and .path == \"ports[0].xdp\"" \
		"-j diagnostic"
	# A local file is checked by tsnctl itself.
	expect_exit 5 tsnctl_sw config check "$conf"
	expect_eq "$(generation)" 1 "generation after config check"
}

test_reload_good() {
	local conf=$IT_DIR/good.yaml
	it_config "$conf"
	it_start_tsnd "$conf"
	expect_exit 0 tsnctl_sw config show
	expect_match "$OUT" 'default-priority: 0' "config show before"
	it_config "$conf" prio=3
	expect_exit 0 tsnctl_sw config reload
	expect_match "$OUT" 'generation 2' "reload output"
	expect_match "$OUT" 'classification' "reload names the changed section"
	expect_eq "$(generation)" 2 "generation after reload"
	expect_exit 0 tsnctl_sw config show
	expect_match "$OUT" 'default-priority: 3' "config show after reload"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.last_reload.result == "ok"' "last_reload.result"
	# -j: generation and the list of changed sections.
	it_config "$conf" prio=4 xdp=off
	expect_exit 0 tsnctl_sw -j config reload
	expect_json "$OUT" '.generation == 3 and (.changed | index("ports") and index("classification"))' \
		"-j reload"
	# The XDP program came off the ports with `xdp: off`.
	expect_exit 0 tsnctl_sw -j port show
	expect_json "$OUT" 'all(.ports[]; .xdp.attached == false)' "xdp detached after reload"
	expect_no_match "$(ip -n "$(lab_ns "$IT_NS")" -j link show)" '"xdp"' "ip link shows no xdp"
}

test_reload_bad() {
	local conf=$IT_DIR/bad.yaml before after
	it_config "$conf"
	it_start_tsnd "$conf"
	expect_exit 0 tsnctl_sw config show
	before=$OUT
	break_config "$conf"
	expect_exit 5 tsnctl_sw config reload
	expect_match "$ERR" "^$conf:$BAD_LINE:[0-9]+: ports\[0\]\.xdp" "diagnostic file:line:col"
	expect_match "$ERR" 'nothing was changed' "says nothing changed"
	expect_exit 5 tsnctl_sw -j config reload
	expect_json "$OUT" '.error.result == "config-invalid" and .data.valid == false' "-j result"
	expect_json "$OUT" ".data.diagnostics[0] | .file == \"$conf\" and .line == $BAD_LINE and .column > 0" \
		"-j diagnostic"
	expect_eq "$(generation)" 1 "generation after a bad reload"
	expect_exit 0 tsnctl_sw config show
	after=$OUT
	[[ $before == "$after" ]] || it_fail "config show changed after a rejected reload"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.last_reload.result == "config-invalid"' "last_reload.result"
	expect_json "$OUT" '.subsystems.dataplane.ports_attached == 2' "ports still attached"
}

# wait_generation N: until tsnd reports generation N (SIGHUP is asynchronous).
_generation_is() {
	[[ $(tsnctl_sw -j status 2>/dev/null | jq -r .config.generation) == "$1" ]]
}

test_sighup_reload() {
	local conf=$IT_DIR/hup.yaml
	it_config "$conf"
	it_start_tsnd "$conf"
	it_config "$conf" prio=5
	kill -HUP "$TSND_PID"
	lab_wait_until 5 _generation_is 2 || it_fail "generation is not 2 within 5 s of SIGHUP"
	expect_exit 0 tsnctl_sw config show
	expect_match "$OUT" 'default-priority: 5' "config show after SIGHUP"
	# A bad file on SIGHUP: tsnd keeps running with what it had.
	break_config "$conf"
	kill -HUP "$TSND_PID"
	_last_reload_invalid() {
		tsnctl_sw -j status 2>/dev/null | jq -e '.config.last_reload.result == "config-invalid"'
	}
	lab_wait_until 5 _last_reload_invalid || it_fail "last_reload is not config-invalid after SIGHUP"
	lab_pid_alive "$TSND_PID" || it_fail "tsnd exited on SIGHUP with a bad file"
	expect_eq "$(generation)" 2 "generation after a bad SIGHUP reload"
	expect_exit 0 tsnctl_sw config show
	expect_match "$OUT" 'default-priority: 5' "config show after a bad SIGHUP reload"
}

it_main check_good check_bad config_check_command reload_good reload_bad sighup_reload
