#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_cli.sh — tsnctl against a real tsnd: status, port show, config show, in text
# and -j, and the errors a user meets first (unknown port, tsnd not running).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RFC3339='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$'

start_default() {
	it_config "$IT_DIR/cli.yaml"
	it_start_tsnd "$IT_DIR/cli.yaml"
}

test_not_running() {
	IT_SOCK=$IT_DIR/nobody-listens.sock
	expect_exit 3 tsnctl_sw status
	expect_match "$ERR" 'is tsnd running\?' "stderr"
	expect_match "$ERR" "nobody-listens\.sock" "stderr names the socket"
	expect_exit 3 tsnctl_sw -j status
	expect_json "$OUT" '.error.result == "unreachable"' "-j error"
}

test_status_text() {
	start_default
	expect_exit 0 tsnctl_sw status
	expect_match "$OUT" "tsnd 0\.1\.0, pid $TSND_PID" "daemon line"
	expect_match "$OUT" "$IT_DIR/cli\.yaml" "config file"
	expect_match "$OUT" 'generation: +1\b' "generation"
	expect_match "$OUT" '^sw0p1 +up .* none +generic' "port row sw0p1"
	expect_match "$OUT" '^sw0p2 +up .* none +generic' "port row sw0p2"
	expect_match "$OUT" 'dataplane: +loaded, 2 ports attached' "dataplane"
	expect_match "$OUT" 'ptp: +disabled' "ptp"
}

test_status_json() {
	start_default
	expect_exit 0 tsnctl_sw -j status
	local j=$OUT
	expect_json "$j" '.daemon.version == "0.1.0"' "daemon.version"
	expect_json "$j" ".daemon.pid == $TSND_PID" "daemon.pid"
	expect_json "$j" '.daemon.uptime_s | type == "number" and . >= 0' "daemon.uptime_s"
	expect_match "$(jget "$j" .daemon.started)" "$RFC3339" "daemon.started"
	expect_json "$j" ".config.file == \"$IT_DIR/cli.yaml\"" "config.file"
	expect_json "$j" '.config.generation == 1' "config.generation"
	expect_match "$(jget "$j" .config.loaded)" "$RFC3339" "config.loaded"
	expect_json "$j" '.config.warnings == 0' "config.warnings"
	expect_json "$j" '.config.last_reload == null' "config.last_reload"
	expect_json "$j" '[.ports[].name] == ["sw0p1", "sw0p2"]' "ports[].name"
	expect_json "$j" 'all(.ports[]; .present == true and .oper_state == "up" and
		(.speed_mbps | type == "number") and .schedule == "none" and .xdp == "generic")' \
		"ports[] fields"
	expect_json "$j" '.subsystems.dataplane.state == "loaded"' "dataplane.state"
	expect_json "$j" '.subsystems.dataplane.ports_attached == 2' "dataplane.ports_attached"
	expect_json "$j" '.subsystems.ptp.state == "disabled"' "ptp.state"
	# --pretty is the same document, indented.
	expect_exit 0 tsnctl_sw --pretty status
	expect_match "$OUT" '^  "daemon": \{' "--pretty indents"
	expect_json "$OUT" '.daemon.pid == '"$TSND_PID" "--pretty parses"
}

test_port_show_text() {
	start_default
	expect_exit 0 tsnctl_sw port show
	expect_match "$OUT" '^PORT +STATE' "header"
	expect_match "$OUT" '^sw0p1 +up +[^ ]+ +1500 +4 +[a-z_]+ +generic' "row sw0p1"
	expect_match "$OUT" '^sw0p2 +up +[^ ]+ +1500 +4 +[a-z_]+ +generic' "row sw0p2"
	# One port, and the prefix form from --help.
	expect_exit 0 tsnctl_sw po sh sw0p2
	expect_match "$OUT" '^sw0p2 ' "port show sw0p2"
	expect_no_match "$OUT" '^sw0p1 ' "port show sw0p2 lists sw0p1"
}

test_port_show_json() {
	start_default
	expect_exit 0 tsnctl_sw -j port show
	local j=$OUT
	expect_json "$j" '[.ports[].name] == ["sw0p1", "sw0p2"]' "ports[].name"
	expect_json "$j" 'all(.ports[]; .present and .configured and .tx_queues == 4 and
		.rx_queues == 4 and .mtu == 1500 and (.ifindex | type == "number") and
		(.mac | test("^([0-9a-f]{2}:){5}[0-9a-f]{2}$")) and (.qdisc | type == "string") and
		.admin_up and .carrier and .oper_state == "up")' "port fields"
	expect_json "$j" 'all(.ports[]; .xdp.mode == "generic" and .xdp.attached == true and
		.xdp.prog_id > 0 and (.xdp.counters | has("ipv6") and has("ptp")))' "xdp fields"

	expect_exit 0 tsnctl_sw -j port show dev sw0p2
	expect_json "$OUT" '[.ports[].name] == ["sw0p2"]' "port show dev sw0p2"
}

# Frames sent into a port are counted by the XDP program, per kind.
test_port_counters() {
	start_default
	expect_exit 0 tsnctl_sw -j port show sw0p1
	local before
	before=$(jget "$OUT" '.ports[0].xdp.counters.ipv6.packets')
	# Link-local multicast from the peer end reaches sw0p1's receive path.
	lab_exec "$IT_PEER" ping -6 -c 3 -i 0.2 -W 1 ff02::1%p1 >/dev/null 2>&1 || true
	expect_exit 0 tsnctl_sw -j port show sw0p1
	local after
	after=$(jget "$OUT" '.ports[0].xdp.counters.ipv6.packets')
	((after >= before + 3)) || it_fail "ipv6 counter went from $before to $after after 3 pings"
	expect_json "$OUT" '.ports[0].xdp.counters.ipv6.bytes > 0' "ipv6 bytes"
}

test_port_not_found() {
	start_default
	expect_exit 1 tsnctl_sw port show nosuch0
	expect_match "$ERR" 'nosuch0' "stderr names the port"
	expect_match "$ERR" 'not-found' "stderr names the result"
	expect_exit 1 tsnctl_sw -j port show nosuch0
	expect_json "$OUT" '.error.result == "not-found" and .error.code == 9' "-j error"
}

test_config_show() {
	start_default
	expect_exit 0 tsnctl_sw config show
	expect_match "$OUT" '^ports:' "YAML ports"
	expect_match "$OUT" '^- name: sw0p1' "YAML port sw0p1"
	expect_match "$OUT" "^  socket: $IT_DIR/tsnd\.sock" "YAML control.socket"
	expect_match "$OUT" '^  max-clients: 8' "YAML control.max-clients"
	# The printed configuration is itself a valid configuration.
	printf '%s\n' "$OUT" >"$IT_DIR/shown.yaml"
	expect_exit 0 "$TSND" --check "$IT_DIR/shown.yaml"

	# -j prints the normalized configuration itself.
	expect_exit 0 tsnctl_sw -j config show
	local j=$OUT
	expect_json "$j" '[.ports[].name] == ["sw0p1", "sw0p2"]' "ports"
	expect_json "$j" '.ports[0].xdp == "generic"' "ports[0].xdp"
	expect_json "$j" ".control.socket == \"$IT_DIR/tsnd.sock\"" "control.socket"
	expect_json "$j" '.control["max-clients"] == 8' "control.max-clients"
}

# ctl_raw JSON-LINE: one request on the control socket without tsnctl.
ctl_raw() {
	printf '%s\n' "$1" | timeout --foreground 5 socat -t 2 - "UNIX-CONNECT:$IT_SOCK"
}

# The protocol as docs/control-protocol.md defines it, below tsnctl.
test_protocol_raw() {
	start_default
	local r
	r=$(ctl_raw '{"version":1,"id":41,"command":"hello","args":{}}')
	expect_json "$r" '.id == 41 and .code == 0 and .result == "ok"' "hello reply"
	expect_json "$r" '.data.protocol == 1 and .data.version == "0.1.0"' "hello data"

	r=$(ctl_raw '{"version":1,"id":42,"command":"config.show"}')
	expect_json "$r" ".id == 42 and .data.file == \"$IT_DIR/cli.yaml\" and .data.generation == 1" \
		"config.show file, generation"
	expect_json "$r" '[.data.config.ports[].name] == ["sw0p1", "sw0p2"]' "config.show config"
	expect_json "$r" '.data.yaml | type == "string" and contains("sw0p2")' "config.show yaml"
	local full=$r
	r=$(ctl_raw '{"version":1,"id":45,"command":"config.show","args":{"no-yaml":true}}')
	expect_json "$r" '.id == 45 and .code == 0 and (.data | has("yaml") | not)' "config.show no-yaml: no yaml"
	expect_eq "$(jq -cS .data.config <<<"$r")" "$(jq -cS .data.config <<<"$full")" \
		"config.show no-yaml: the same config"
	# tsnctl: the text output without the YAML is the configuration as JSON
	expect_exit 0 tsnctl_sw config show --no-yaml
	local text=$OUT
	expect_exit 0 tsnctl_sw -j config show
	expect_eq "$(jq -cS . <<<"$text")" "$(jq -cS . <<<"$OUT")" "config show --no-yaml prints -j's JSON"

	r=$(ctl_raw '{"version":1,"id":43,"command":"no.such.command"}')
	expect_json "$r" '.id == 43 and .code == 3 and .result == "unknown-command"' "unknown command"
	r=$(ctl_raw 'this is not json')
	expect_json "$r" '.code == 1 and .result == "malformed"' "malformed request"
	r=$(ctl_raw '{"version":99,"id":44,"command":"status"}')
	expect_json "$r" '.code == 2 and .result == "unsupported-version"' "unsupported version"
	# tsnd still serves after the bad requests.
	expect_exit 0 tsnctl_sw status
}

test_usage_error() {
	IT_SOCK=$IT_DIR/unused.sock
	expect_exit 2 tsnctl_sw frobnicate
	expect_match "$ERR" 'frobnicate' "stderr names the word"
}

it_main not_running status_text status_json port_show_text port_show_json port_counters \
	port_not_found config_show protocol_raw usage_error
