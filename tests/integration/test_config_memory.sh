#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_config_memory.sh — a configuration file is checked within 64 MB (issue 16),
# locally and in tsnd, whatever it holds, and tsnd answers status while a reload
# (config.reload, SIGHUP) or a config.check parses a big file.  The files: the
# largest list the schema allows (65 536
# streams, valid, with 5, 7 and 11 fields each: 6.9, 9.4 and 14.8 MB) and 16 MiB of
# hostile YAML (a flat list, nesting at the depth limit, tiny mappings, one
# mapping of repeated keys, aliases, anchors, empty lists).  Before the reader
# walked libyaml's event stream, tsnctl's local check peaked at 68 MB for the
# 7-field file and 180-280 MB for the hostile ones; 16 MiB of anchors ran for
# minutes.  No timing is asserted.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LIMIT_KB=$((64 << 10))
SIZE=$((16 << 20))

# streams_yaml N [long]: a streams: list of N valid ipv6 streams, one line each
# field (long: 7 fields, not 5; full: every field of an ipv6 stream, 11).
streams_yaml() {
	awk -v n="$1" -v long="${2:-}" 'BEGIN {
		print "streams:"
		for (i = 0; i < n; i++) {
			printf "  - id: %d\n    name: stream-%d\n    identification: ipv6\n" \
			       "    dst: \"2001:db8::%x:%x\"\n    priority: %d\n",
			       i + 1, i, int(i / 65536), i % 65536, i % 8
			if (long == "full")
				printf "    vlan: %d\n    src: \"2001:db8:1::%x\"\n    dscp: %d\n    src-port: %d\n",
				       1 + i % 4000, i, i % 64, 1000 + i % 60000
			if (long)
				printf "    next-header: 17\n    dst-port: %d\n", 1000 + i % 60000
		}
	}'
}

# repeat_to_size HEAD UNIT TAIL: HEAD, UNIT as often as fits in 16 MiB, TAIL.
repeat_to_size() {
	local head=$1 unit=$2 tail=$3
	local n=$(((SIZE - 64 - ${#head} - ${#tail}) / ${#unit}))
	printf '%s' "$head"
	awk -v n="$n" -v u="$unit" 'BEGIN { ORS = ""; for (i = 0; i < n; i++) print u }'
	printf '%s' "$tail"
}

# hostile_yaml KIND: 16 MiB of it.
hostile_yaml() {
	local nest="" close="" i
	case $1 in
	flat) repeat_to_size 'streams: [' '1,' $'1]\n' ;;
	nest)
		for ((i = 0; i < 31; i++)); do nest+='{a: ['; close+=']}'; done
		repeat_to_size $'x:\n' "- ${nest}1${close}"$'\n' '' ;;
	maps) repeat_to_size $'streams:\n' $'- {a: 1}\n' '' ;;
	keys) repeat_to_size '{' 'a: 1, ' $'a: 1}\n' ;;
	alias) repeat_to_size $'x: &a {id: 1, identification: ipv6, priority: 1}\nstreams: [' '*a, ' $'*a]\n' ;;
	anchors)
		awk -v size="$SIZE" 'BEGIN { print "x:"; n = 3
			for (i = 0; n < size - 64; i++) { s = sprintf("- &a%d 1", i); print s; n += length(s) + 1 } }' ;;
	empties) repeat_to_size 'streams: [' '[],' $'[]]\n' ;;
	esac
}

HOSTILE="flat nest maps keys alias anchors empties"

# Each file, checked locally under a 64 MB address-space limit (which counts
# every mapping, touched or not: stricter than resident memory), and its peak
# resident size without the limit.
test_local_check_within_64mb() {
	local conf=$IT_DIR/local.yaml kind hwm
	for kind in valid long full $HOSTILE; do
		case $kind in
		valid) streams_yaml 65536 >"$conf" ;;
		long) streams_yaml 65536 long >"$conf" ;;
		full) streams_yaml 65536 full >"$conf" ;;
		*) hostile_yaml "$kind" >"$conf" ;;
		esac
		local want=5
		[[ $kind == valid || $kind == long || $kind == full ]] && want=0
		expect_exit $want prlimit --as=$((LIMIT_KB << 10)) "$TSNCTL" config check "$conf"
		expect_match "$OUT$ERR" "configuration $( ((want)) && echo invalid || echo valid)" \
			"$kind ($(stat -c %s "$conf") bytes): checked within a 64 MB address space"
		[[ $OUT$ERR != *"out of memory"* ]] || it_fail "$kind: out of memory under 64 MB"
		/usr/bin/time -o "$IT_DIR/time" -f %M "$TSNCTL" config check "$conf" >/dev/null 2>&1 || true
		hwm=$(tail -1 "$IT_DIR/time")
		echo "    $kind: tsnctl's peak resident size $hwm kB"
		((hwm <= LIMIT_KB)) || it_fail "tsnctl peaked at $hwm kB checking $kind; the bound is $LIMIT_KB kB"
	done
}

tsnd_hwm() {
	awk '$1 == "VmHWM:" { print $2 }' "/proc/$TSND_PID/status"
}

# tsnd checks its own file (config.check parses it as a reload would, without
# applying it), each of them in turn: its peak resident size stays within 64 MB.
test_tsnd_check_within_64mb() {
	local conf=$IT_DIR/tsnd.yaml base=$IT_DIR/tsnd-base.yaml kind hwm
	it_config "$base"
	cp "$base" "$conf"
	it_start_tsnd "$conf"
	for kind in valid long full $HOSTILE; do
		case $kind in
		valid) { cat "$base"; streams_yaml 65536; } >"$conf" ;;
		long) { cat "$base"; streams_yaml 65536 long; } >"$conf" ;;
		full) { cat "$base"; streams_yaml 65536 full; } >"$conf" ;;
		*) hostile_yaml "$kind" >"$conf" ;;
		esac
		local want=5
		[[ $kind == valid || $kind == long || $kind == full ]] && want=0
		expect_exit $want "$TSNCTL" -s "$IT_SOCK" --timeout 60 config check
		hwm=$(tsnd_hwm)
		[[ -n $hwm ]] || it_fail "no VmHWM for tsnd ($TSND_PID)"
		echo "    after $kind: tsnd's peak resident size $hwm kB"
		((hwm <= LIMIT_KB)) || it_fail "tsnd peaked at $hwm kB checking $kind; the bound is $LIMIT_KB kB"
	done
	cp "$base" "$conf"
	expect_exit 0 tsnctl_sw status
}

# A reload parses its file in a thread: status requests are answered while it
# runs (before, the loop parsed and answered nothing for seconds).  The file is
# big (9.4 MB) and fails at its very end (a duplicated stream id), so the
# reload changes nothing.  A status counts when it is answered after tsnd said
# it started parsing and before the reload's answer came (the reload's
# tsnctl still runs); at least two must: a loop that stalled could let one
# slip through as both answers leave together.  A second reload meanwhile is
# refused as busy.
test_status_during_reload() {
	local conf=$IT_DIR/rl.yaml base=$IT_DIR/rl-base.yaml
	it_config "$base"
	cp "$base" "$conf"
	it_start_tsnd "$conf"
	{
		cat "$base"
		streams_yaml 65535 long
		printf '  - id: 1\n    identification: ipv6\n    dst: "2001:db8::1"\n    priority: 0\n'
	} >"$conf"
	local log_lines
	log_lines=$(wc -l <"$IT_LOG")
	"$TSNCTL" -s "$IT_SOCK" --timeout 120 config reload >"$IT_DIR/rl.out" 2>&1 &
	local rl_pid=$! answered=0 busy_seen=0
	_parsing() { tail -n +"$((log_lines + 1))" "$IT_LOG" | grep -q 'reload: parsing'; }
	lab_wait_until 30 _parsing || it_fail "tsnd never said it started parsing; log: $(it_tail "$IT_LOG")"
	while kill -0 "$rl_pid" 2>/dev/null; do
		if "$TSNCTL" -s "$IT_SOCK" --timeout 60 -j status >/dev/null 2>&1 && kill -0 "$rl_pid" 2>/dev/null; then
			answered=$((answered + 1))
			if ((!busy_seen)); then
				"$TSNCTL" -s "$IT_SOCK" --timeout 60 config reload >"$IT_DIR/rl2.out" 2>&1 || true
				grep -q 'being loaded' "$IT_DIR/rl2.out" && kill -0 "$rl_pid" 2>/dev/null && busy_seen=1
			fi
		fi
	done
	local rc=0
	wait "$rl_pid" || rc=$?
	echo "    status answered $answered times while the reload was parsing"
	((rc == 5)) || it_fail "the reload exited $rc, not 5 (invalid): $(cat "$IT_DIR/rl.out")"
	grep -q 'used twice\|given twice\|duplicate\|twice' "$IT_DIR/rl.out" ||
		it_fail "the reload did not name the duplicated id: $(head -c 300 "$IT_DIR/rl.out")"
	((answered >= 2)) || it_fail "status was answered $answered times while the reload parsed; want 2 or more"
	((busy_seen)) || it_fail "a second reload during the first was not refused as busy: $(cat "$IT_DIR/rl2.out")"
	cp "$base" "$conf"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.generation == 1' "nothing was applied"
	local hwm
	hwm=$(tsnd_hwm)
	echo "    tsnd's peak resident size: $hwm kB"
	((hwm <= LIMIT_KB)) || it_fail "tsnd peaked at $hwm kB; the bound is $LIMIT_KB kB"
}

# big_bad_config BASE: BASE, then 65 535 valid streams and one whose id is used
# already, at the very end: a 9.4 MB file that fails late, changing nothing.
big_bad_config() {
	cat "$1"
	streams_yaml 65535 long
	printf '  - id: 1\n    identification: ipv6\n    dst: "2001:db8::1"\n    priority: 0\n'
}

# A SIGHUP reload parses in a thread, as config.reload: status is answered
# while it runs (before, the signal handler parsed on the loop: no answer for
# seconds, and no "parsing" line).  A status counts when it shows no reload
# result yet, after tsnd said it started parsing.  A second SIGHUP meanwhile,
# after a good file (default-priority 5) replaced the big one, is coalesced: one
# more reload follows the first and applies the good file.
test_status_during_sighup() {
	local conf=$IT_DIR/hup.yaml base=$IT_DIR/hup-base.yaml good=$IT_DIR/hup-good.yaml
	it_config "$base"
	it_config "$good" prio=5
	cp "$base" "$conf"
	it_start_tsnd "$conf"
	big_bad_config "$base" >"$conf"
	local log_lines answered=0 second=0 lr
	log_lines=$(wc -l <"$IT_LOG")
	_new_log() { tail -n +"$((log_lines + 1))" "$IT_LOG"; }
	_hup_parsing() { _new_log | grep -q 'reload: parsing .*(SIGHUP)'; }
	kill -HUP "$TSND_PID"
	# (the count below decides: a tsnd that parses on the loop never logs this)
	lab_wait_until 30 _hup_parsing || echo "    tsnd did not say it parses the SIGHUP's file off the loop"
	local start=$SECONDS
	while ((SECONDS - start < 300)); do
		if ! "$TSNCTL" -s "$IT_SOCK" --timeout 60 -j status >"$IT_DIR/hup-st.json" 2>&1; then
			it_fail "status failed during the SIGHUP reload: $(head -c 300 "$IT_DIR/hup-st.json")"
			break
		fi
		lr=$(jq -r '.config.last_reload.result // "none"' "$IT_DIR/hup-st.json")
		[[ $lr == none ]] || break
		answered=$((answered + 1))
		if ((!second)); then	# the good file in place (atomically), then the second SIGHUP
			cp "$good" "$conf.tmp" && mv "$conf.tmp" "$conf"
			kill -HUP "$TSND_PID"
			second=1
		fi
	done
	echo "    status answered $answered times while the SIGHUP reload was parsing"
	((answered >= 2)) || it_fail "status was answered $answered times while the SIGHUP reload parsed; want 2 or more"
	_new_log | grep -q 'SIGHUP: configuration has .* error' ||
		it_fail "the first SIGHUP reload did not fail on the duplicated id: $(_new_log | tail -5)"
	_new_log | grep -q 'being parsed; reloading when it is done' ||
		it_fail "the second SIGHUP was not coalesced: $(_new_log | tail -5)"
	_good_applied() { tsnctl_sw -j status 2>/dev/null | jq -e '.config.generation == 2' >/dev/null; }
	lab_wait_until 60 _good_applied || it_fail "the coalesced SIGHUP reload did not apply the good file: $(_new_log | tail -5)"
	expect_exit 0 tsnctl_sw config show
	expect_match "$OUT" 'default-priority: 5' "the coalesced reload read the file as it was after the second SIGHUP"
	expect_eq "$(_new_log | grep -c 'reload: parsing .*(SIGHUP)')" 2 "two SIGHUP reloads ran for two signals"
	local hwm
	hwm=$(tsnd_hwm)
	echo "    tsnd's peak resident size: $hwm kB"
	((hwm <= LIMIT_KB)) || it_fail "tsnd peaked at $hwm kB; the bound is $LIMIT_KB kB"
}

# config.check parses in a thread too: status is answered while tsnd checks
# the big file (before, it parsed on the loop and answered nothing meanwhile).
# A config.reload meanwhile is refused as busy.
test_status_during_check() {
	local conf=$IT_DIR/ck.yaml base=$IT_DIR/ck-base.yaml
	it_config "$base"
	cp "$base" "$conf"
	it_start_tsnd "$conf"
	big_bad_config "$base" >"$conf"
	local log_lines
	log_lines=$(wc -l <"$IT_LOG")
	"$TSNCTL" -s "$IT_SOCK" --timeout 120 config check >"$IT_DIR/ck.out" 2>&1 &
	local ck_pid=$! answered=0 busy_seen=0
	_check_parsing() { tail -n +"$((log_lines + 1))" "$IT_LOG" | grep -q 'check: parsing'; }
	lab_wait_until 30 _check_parsing || echo "    tsnd did not say it parses the checked file off the loop"
	while kill -0 "$ck_pid" 2>/dev/null; do
		if "$TSNCTL" -s "$IT_SOCK" --timeout 60 -j status >/dev/null 2>&1 && kill -0 "$ck_pid" 2>/dev/null; then
			answered=$((answered + 1))
			if ((!busy_seen)); then
				"$TSNCTL" -s "$IT_SOCK" --timeout 60 config reload >"$IT_DIR/ck2.out" 2>&1 || true
				grep -q 'being loaded' "$IT_DIR/ck2.out" && kill -0 "$ck_pid" 2>/dev/null && busy_seen=1
			fi
		fi
	done
	local rc=0
	wait "$ck_pid" || rc=$?
	echo "    status answered $answered times while tsnd checked the file"
	((rc == 5)) || it_fail "the check exited $rc, not 5 (invalid): $(cat "$IT_DIR/ck.out")"
	grep -q 'twice' "$IT_DIR/ck.out" || it_fail "the check did not name the duplicated id: $(head -c 300 "$IT_DIR/ck.out")"
	((answered >= 2)) || it_fail "status was answered $answered times while tsnd checked; want 2 or more"
	((busy_seen)) || it_fail "a reload during the check was not refused as busy: $(cat "$IT_DIR/ck2.out")"
	cp "$base" "$conf"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.generation == 1 and .config.last_reload == null' "nothing was applied"
	# A check of a text (not the file) is answered as before.
	expect_exit 0 tsnctl_sw config check "$base"
}

it_main local_check_within_64mb tsnd_check_within_64mb status_during_reload status_during_sighup \
	status_during_check
