#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_audit.sh — control.audit-log: every admin command and every refusal through
# the control socket is appended to the audit file as one JSON line (who, what,
# when, result); the file is root's alone (0600).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NOBODY=65534

# audit_config FILE AUDIT-PATH: it_config with a 0666 socket and an audit log.
audit_config() {
	it_config "$1" mode=0666
	sed -i "s|^  max-clients: .*|&\n  audit-log: $2|" "$1"
	grep -q "audit-log: $2" "$1" || it_fail "cannot add audit-log to $1"
}

test_refusals_and_changes_audited() {
	local conf=$IT_DIR/audit.yaml log=$IT_DIR/audit.log
	audit_config "$conf" "$log"
	it_start_tsnd "$conf"
	install -m 0755 "$TSNCTL" "$IT_DIR/tsnctl"
	TSNCTL=$IT_DIR/tsnctl

	# An unprivileged user: reads and changes are refused, each refusal recorded.
	expect_exit 4 tsnctl_as $NOBODY $NOBODY "" config reload
	expect_exit 4 tsnctl_as $NOBODY $NOBODY "" status
	# Root: a reload is recorded; a read is not.
	expect_exit 0 tsnctl_sw config reload
	expect_exit 0 tsnctl_sw status

	[[ -f $log ]] || it_fail "no audit log at $log"
	expect_eq "$(stat -c '%a %u' "$log")" "600 0" "audit log mode and owner"
	expect_eq "$(wc -l <"$log")" 3 "audit records (two refusals, one reload)"
	jq -e . "$log" >/dev/null || it_fail "audit log is not JSON lines: $(head -c 300 "$log")"
	local rec
	rec=$(sed -n 1p "$log")
	expect_json "$rec" ".uid == $NOBODY and .command == \"config.reload\" and .result == \"permission-denied\" and (.pid | type) == \"number\"" \
		"first record: the refused reload"
	expect_json "$rec" '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$")' \
		"RFC 3339 time"
	rec=$(sed -n 2p "$log")
	expect_json "$rec" ".uid == $NOBODY and .command == \"status\" and .result == \"permission-denied\"" \
		"second record: the refused read"
	rec=$(sed -n 3p "$log")
	expect_json "$rec" '.uid == 0 and .command == "config.reload" and .result == "ok" and (.message | test("reloaded"))' \
		"third record: root's reload"

	# SIGHUP reloads are recorded too, without a uid.
	kill -HUP "$TSND_PID"
	lab_wait_until 5 bash -c "[[ \$(wc -l <'$log') -ge 4 ]]" || it_fail "no record of the SIGHUP reload"
	expect_json "$(sed -n 4p "$log")" '.uid == null and .who == "SIGHUP" and .command == "config.reload"' \
		"SIGHUP record"
}

test_existing_file_made_private_no_symlink() {
	local conf=$IT_DIR/audit2.yaml log=$IT_DIR/audit2.log link=$IT_DIR/audit-link.log
	# A pre-existing world-readable file becomes 0600 at the first record.
	install -m 0644 /dev/null "$log"
	audit_config "$conf" "$log"
	it_start_tsnd "$conf"
	expect_exit 0 tsnctl_sw config reload
	expect_eq "$(stat -c %a "$log")" 600 "existing audit log made 0600"
	expect_eq "$(wc -l <"$log")" 1 "one record"
	# A symbolic link is never followed: the record goes to the daemon log only.
	ln -s "$log" "$link"
	lab_on_cleanup rm -f "$link"
	audit_config "$conf" "$link"
	expect_exit 0 tsnctl_sw config reload
	expect_exit 0 tsnctl_sw config reload
	expect_eq "$(wc -l <"$log")" 1 "nothing written through the link"
	expect_match "$(cat "$IT_LOG")" "cannot open control.audit-log $link" "warning about the link"
	expect_match "$(cat "$IT_LOG")" "audit: uid 0 pid [0-9]+ command config.reload: ok" "daemon log still audits"
}

# A peer flooding refused requests (issue 16: 5000 wrote 5000 lines to each log)
# makes tsnd write a bounded number of records: repeats are coalesced with a
# count, other refusals rate-limited (audit.c: 20, then one a second); every
# refusal is still accounted for in the counts.
test_refusal_flood_bounded() {
	local conf=$IT_DIR/flood.yaml log=$IT_DIR/flood.log n=2500 total
	audit_config "$conf" "$log"
	it_start_tsnd "$conf"
	cat >"$IT_DIR/flood.py" <<'PYEOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rwb")
n = int(sys.argv[2])
# n of one command, then n alternating between two: repeats, then variety.
cmds = ["config.reload"] * n + ["status" if i % 2 else "config.reload" for i in range(n)]
refused = 0
for i, c in enumerate(cmds):
    f.write((json.dumps({"version": 1, "id": i + 1, "command": c}) + "\n").encode())
    f.flush()
    refused += json.loads(f.readline())["result"] == "permission-denied"
print(refused)
PYEOF
	chmod 0644 "$IT_DIR/flood.py"
	it_run lab_exec "$IT_NS" setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		/usr/bin/python3 "$IT_DIR/flood.py" "$IT_SOCK" "$n"
	((RC == 0)) || it_fail "flood.py failed: $ERR"
	expect_eq "$OUT" $((2 * n)) "every request refused"
	# A successful change writes the counts still pending.
	expect_exit 0 tsnctl_sw config reload
	total=$(wc -l <"$log")
	((total <= 100)) || it_fail "$total audit records for $((2 * n)) refusals"
	(($(grep -c 'audit: .*permission-denied' "$IT_LOG") <= 100)) ||
		it_fail "the daemon log got $(grep -c 'audit: ' "$IT_LOG") audit lines"
	jq -e . "$log" >/dev/null || it_fail "audit log is not JSON lines"
	expect_eq "$(jq -s '[.[] | if .repeats then .repeats elif .suppressed then .suppressed
		elif .result == "permission-denied" then 1 else 0 end] | add' "$log")" $((2 * n)) \
		"records plus counts account for every refusal"
	expect_json "$(jq -sc '[.[] | select(.repeats)] | .[0]' "$log")" \
		".uid == $NOBODY and .command == \"config.reload\" and .repeats >= 1" "a repeats record"
	expect_json "$(tail -n 1 "$log")" '.uid == 0 and .result == "ok"' "root's reload is recorded last"
}

it_main refusals_and_changes_audited existing_file_made_private_no_symlink refusal_flood_bounded
