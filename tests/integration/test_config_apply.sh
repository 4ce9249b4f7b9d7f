#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_config_apply.sh — config.apply, config.confirm, config.cancel (the
# commands NETCONF drives) and config.check of a text: a confirmed apply writes
# the file atomically (same bytes, mode kept); an apply with --confirm-within and
# no confirmation goes back to the previous configuration, in tsnd and in the
# kernel; cancel does so at once; while a confirmation is pending other changes
# are refused as busy; a bad configuration gives diagnostics and changes nothing.
# Also: status is read-only (it once rewrote telemetry maps).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A second configuration: another default priority and a route.
config_b() {
	it_config "$1" prio=5 mode=0600
	cat >>"$1" <<EOF
routes:
  - { prefix: "2001:db8:300::/64", dev: sw0p1 }
EOF
}

routes_now() {
	ip -n "$(lab_ns "$IT_NS")" -6 -j route show proto 201 | jq -c '[.[].dst]'
}

test_apply_confirmed_writes_file() {
	local conf=$IT_DIR/a.yaml new=$IT_DIR/b.yaml
	it_config "$conf"
	chmod 0640 "$conf"
	it_start_tsnd "$conf"
	config_b "$new"
	expect_exit 0 tsnctl_sw config apply "$new"
	expect_match "$OUT" "configuration applied \\(generation 2\\)" "apply message"
	cmp -s "$conf" "$new" || it_fail "the config file does not hold the applied text"
	expect_eq "$(stat -c '%a' "$conf")" 640 "mode of the rewritten config file"
	[[ -z $(find "$IT_DIR" -maxdepth 1 -name '.a.yaml.*') ]] || it_fail "a temporary file was left"
	expect_eq "$(routes_now)" '["2001:db8:300::/64"]' "route installed"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.confirm.pending == false' "nothing pending"
	# A restart keeps it.
	expect_exit 0 tsnctl_sw config reload
	expect_exit 0 tsnctl_sw config show
	expect_match "$OUT" 'default-priority: 5' "the applied configuration survives a reload of the file"
}

test_apply_timeout_rolls_back() {
	local conf=$IT_DIR/a.yaml new=$IT_DIR/b.yaml before kernel_before orig
	it_config "$conf"
	it_start_tsnd "$conf"
	orig=$(cat "$conf")
	expect_exit 0 tsnctl_sw -j config show
	before=$OUT
	kernel_before=$(routes_now)
	config_b "$new"
	expect_exit 0 tsnctl_sw config apply "$new" --confirm-within 8s
	expect_match "$OUT" "rolled back in 8000 ms unless confirmed" "apply message"
	expect_eq "$(routes_now)" '["2001:db8:300::/64"]' "route installed while pending"
	expect_eq "$(stat -c '%a' "$IT_DIR/tsnd.sock")" 600 "socket mode while pending"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.confirm.pending == true and (.config.confirm.expires | type) == "string"' \
		"status says a confirmation is pending"
	expect_eq "$(cat "$conf")" "$orig" "the file is not written before the confirmation"
	# Busy while pending.
	expect_exit 1 tsnctl_sw config reload
	expect_match "$ERR" "waits for config.confirm" "reload while pending"
	expect_exit 1 tsnctl_sw config apply "$new"
	expect_match "$ERR" "waits for config.confirm" "unconfirmed apply while pending"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.confirm.pending == true' "still pending"
	lab_wait_until 30 bash -c "[[ \$('$TSNCTL' -s '$IT_SOCK' -j status | jq .config.confirm.pending) == false ]]" ||
		it_fail "not rolled back after 30 s; log: $(it_tail "$IT_LOG")"
	expect_exit 0 tsnctl_sw -j config show
	expect_eq "$OUT" "$before" "configuration after the rollback"
	expect_eq "$(routes_now)" "$kernel_before" "routes after the rollback"
	expect_eq "$(stat -c '%a' "$IT_DIR/tsnd.sock")" 660 "socket mode after the rollback"
	expect_eq "$(cat "$conf")" "$orig" "the file after the rollback"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.generation == 3' "the rollback is a transaction of its own"
}

test_apply_confirm() {
	local conf=$IT_DIR/a.yaml new=$IT_DIR/b.yaml
	it_config "$conf"
	it_start_tsnd "$conf"
	config_b "$new"
	expect_exit 0 tsnctl_sw config apply "$new" --confirm-within 60s
	# A confirmed-commit again extends it.
	expect_exit 0 tsnctl_sw config apply "$new" --confirm-within 60s
	expect_exit 0 tsnctl_sw config confirm
	expect_match "$OUT" "configuration confirmed" "confirm message"
	cmp -s "$conf" "$new" || it_fail "confirm did not write the file"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.confirm.pending == false' "nothing pending after confirm"
	expect_exit 1 tsnctl_sw config confirm
	expect_match "$ERR" "no configuration waits for confirmation" "confirm with nothing pending"
}

# The digest of what runs comes only when asked for, and names the configuration.
test_apply_digest() {
	local conf=$IT_DIR/a.yaml new=$IT_DIR/b.yaml other=$IT_DIR/c.yaml d1 d2 d3
	it_config "$conf"
	it_config "$other"	# the file tsnd runs from is rewritten by each apply
	it_start_tsnd "$conf"
	config_b "$new"
	expect_exit 0 tsnctl_sw -j config apply "$new"
	expect_json "$OUT" 'has("digest") | not' "no digest unasked"
	expect_exit 0 tsnctl_sw -j config apply "$new" --digest
	d1=$(jq -r .digest <<<"$OUT")
	[[ $d1 =~ ^[0-9a-f]{64}$ ]] || it_fail "digest is not SHA-256 hex: '$d1'"
	expect_exit 0 tsnctl_sw -j config apply "$new" --digest
	d2=$(jq -r .digest <<<"$OUT")
	expect_eq "$d2" "$d1" "the same configuration, the same digest"
	expect_exit 0 tsnctl_sw -j config apply "$other" --digest
	d3=$(jq -r .digest <<<"$OUT")
	[[ $d3 =~ ^[0-9a-f]{64}$ && $d3 != "$d1" ]] || it_fail "another configuration, digest '$d3' (was '$d1')"
}

test_apply_cancel_keeps_first_rollback_point() {
	local conf=$IT_DIR/a.yaml new=$IT_DIR/b.yaml new2=$IT_DIR/c.yaml before kernel_before
	it_config "$conf"
	it_start_tsnd "$conf"
	expect_exit 0 tsnctl_sw -j config show
	before=$OUT
	kernel_before=$(routes_now)
	config_b "$new"
	it_config "$new2" prio=6
	expect_exit 0 tsnctl_sw config apply "$new" --confirm-within 60s
	expect_exit 0 tsnctl_sw config apply "$new2" --confirm-within 60s
	expect_exit 0 tsnctl_sw config cancel
	expect_match "$OUT" "configuration rolled back" "cancel message"
	expect_exit 0 tsnctl_sw -j config show
	expect_eq "$OUT" "$before" "configuration after cancel: the one before the first apply"
	expect_eq "$(routes_now)" "$kernel_before" "routes after cancel"
	expect_exit 1 tsnctl_sw config cancel
	expect_match "$ERR" "no configuration waits for confirmation" "cancel with nothing pending"
}

test_apply_bad_config() {
	local conf=$IT_DIR/a.yaml bad=$IT_DIR/bad.yaml before orig
	it_config "$conf"
	it_start_tsnd "$conf"
	orig=$(cat "$conf")
	expect_exit 0 tsnctl_sw -j config show
	before=$OUT
	printf 'control:\n  socket-mode: 0999\nports:\n  - { name: sw0p1, xdp: sideways }\n' >"$bad"
	expect_exit 5 tsnctl_sw -j config apply "$bad"
	expect_json "$OUT" '.data.file == "<config.apply>" and .data.errors >= 2' "diagnostics of the text"
	expect_json "$OUT" '[.data.diagnostics[] | .line] | min == 2' "diagnostics carry lines"
	expect_exit 0 tsnctl_sw -j config show
	expect_eq "$OUT" "$before" "configuration after a bad apply"
	expect_eq "$(cat "$conf")" "$orig" "file after a bad apply"
	# config.check of a text: the daemon's checks, nothing changed.
	expect_exit 5 tsnctl_sw config check --daemon "$bad"
	expect_exit 0 tsnctl_sw -j config check --daemon "$conf"
	expect_json "$OUT" '.file == "<config.apply>" and .valid' "config.check of a text"
	# A confirm time out of range is a usage error.
	expect_exit 2 tsnctl_sw config apply "$conf" --confirm-within 2h
}

test_apply_needs_admin() {
	local conf=$IT_DIR/a.yaml
	it_config "$conf" mode=0666
	it_start_tsnd "$conf"
	expect_exit 4 tsnctl_as 65534 65534 "" config confirm
	expect_exit 4 tsnctl_as 65534 65534 "" config cancel
}

# status is read-only: a conformance-map entry written behind tsnd's back stays.
test_status_read_only() {
	local conf=$IT_DIR/a.yaml id size ifindex
	it_config "$conf"
	cat >>"$conf" <<EOF
telemetry:
  residence-time: true
EOF
	it_start_tsnd "$conf"
	expect_exit 0 tsnctl_sw -j status
	[[ $(jget "$OUT" .subsystems.telemetry.state) == on ]] || it_fail "telemetry is not on: $OUT"
	# tsnd's own map, by the map ids of its file descriptors.
	id=""
	for m in $(awk '$1 == "map_id:" { print $2 }' /proc/"$TSND_PID"/fdinfo/* 2>/dev/null | sort -u); do
		[[ $(bpftool -j map show id "$m" | jq -r .name) == tele_sched ]] && id=$m
	done
	[[ -n $id ]] || it_fail "tsnd's tele_sched map not found"
	size=$(bpftool -j map show id "$id" | jq .bytes_value)
	ifindex=$(ip -n "$(lab_ns "$IT_NS")" -j link show sw0p1 | jq '.[0].ifindex')
	bpftool map update id "$id" key $(printf '0x%02x ' $((ifindex & 255)) $((ifindex >> 8 & 255)) 0 0) \
		value $(for ((i = 0; i < size; i++)); do printf '0 '; done)
	expect_exit 0 tsnctl_sw status
	expect_exit 0 tsnctl_sw -j status
	bpftool -j map lookup id "$id" key $(printf '0x%02x ' $((ifindex & 255)) $((ifindex >> 8 & 255)) 0 0) \
		>/dev/null 2>&1 || it_fail "status rewrote the telemetry conformance map"
}

it_main apply_confirmed_writes_file apply_timeout_rolls_back apply_confirm apply_digest \
	apply_cancel_keeps_first_rollback_point apply_bad_config apply_needs_admin status_read_only
