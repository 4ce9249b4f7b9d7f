#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_long_list.sh — issue 19 item 2: the longest gate list tsnd accepts is the
# longest whose qdisc dump still fits, with a change pending, into one netlink
# dump message; one entry more is refused before netlink.
#
# The kernel puts each dump part into one skb of at most SKB_WITH_OVERHEAD(32768)
# = 32448 bytes; a qdisc message longer than that ends the whole dump silently.
# tsnd computes the message as 652 bytes + 36 per entry and list (docs/schedules.md),
# so 441 entries in both lists take 32404 bytes, and 442 would take 32476.  Here:
#  - the lengths are measured: gate_probe reads the taprio's dump message length
#    with one list (441 entries) and with two (a change of 441 entries pending);
#    they must equal tsnd's figures, and the pending one plus one entry per list
#    must exceed 32448 (so 441 is the boundary, not a guess below it);
#  - with the change pending, `tc qdisc show` still lists swB's taprio (the
#    device after swA) and tsnd reports both ports applied;
#  - 442 entries are refused at the list's line with the figures, nothing changes.
. /tsn/tests/kernel-lab/guest/lib.sh

MAX=441
FIXED=652
ENTRY=36
LIMIT=32448

# entries N US: N alternating entries of US microseconds.
entries() {
	local i out=""
	for ((i = 0; i < $1; i++)); do
		out+="
        - { gates: [$((i % 2))], interval: ${2}us }"
	done
	printf '%s' "$out"
}

# sched N US [BASE]: a two-class schedule with N entries.
sched() {
	printf '%s' "      num-tc: 2
      map: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\"]
${3:-      base-time: 1000000000}
      entries:$(entries "$1" "$2")"
}

write_config() {
	kl_config "$KL_WORK/tsnd.yaml" "  - name: swA
    schedule:
$1
  - name: swB
    schedule:
$(sched 2 500)"
}

msglen() {
	ip netns exec sw "$GATE_PROBE" taprio "$1" | awk '$1 == "msglen" { print $2 }'
}

test_boundary() {
	local one two before after line
	lab_ns_add sw
	lab_ns_add peer
	ip -n sw link set lo up
	kl_ports sw peer swA swB

	write_config "$(sched $MAX 100)"
	kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
	one=$(msglen swA)
	((one == FIXED - 4 - 40 + ENTRY * MAX)) ||
		kl_fail "one list of $MAX entries: the dump message is $one bytes, tsnd expects $((FIXED - 44 + ENTRY * MAX))"

	# A change of the same length, pending for a minute: both lists in the dump.
	write_config "$(sched $MAX 120 "      base-time: auto
      base-time-lead: 60s")"
	kl_run kl_tsnctl config reload
	((RC == 0)) || kl_fail "the reload with $MAX entries failed ($RC): $OUT $ERR"
	two=$(msglen swA)
	kl_data "long-list: dump message with one list of $MAX: $one B, with two: $two B; per entry and list $(((two - one - 44) / MAX)) B"
	((two == FIXED + 2 * ENTRY * MAX)) ||
		kl_fail "two lists of $MAX entries: the dump message is $two bytes, tsnd expects $((FIXED + 2 * ENTRY * MAX))"
	((two <= LIMIT && two + 2 * ENTRY > LIMIT)) ||
		kl_fail "$MAX is not the boundary: $two bytes now, $((two + 2 * ENTRY)) with one entry more, limit $LIMIT"
	[[ $(kl_root_qdisc sw swA | jq -r '.options.admin.base_time // empty') != "" ]] ||
		kl_fail "tc does not list swA's pending schedule: $(kl_root_qdisc sw swA | cut -c1-300)"
	[[ $(kl_root_qdisc sw swB | jq -r .kind) == taprio ]] ||
		kl_fail "tc lists no taprio on swB while swA's change is pending: $(ip netns exec sw tc qdisc show | head -5)"
	kl_run kl_tsnctl -j schedule show
	[[ $(jq -r '[.ports[] | .state] | join(" ")' <<<"$OUT") == "applied applied" ]] ||
		kl_fail "tsnd does not read both ports back as applied: $(jq -c '[.ports[] | {name, state, message}]' <<<"$OUT")"

	# One entry more: refused at the list's line, before netlink.
	before=$(kl_qdisc_json sw swA | kl_normalize)
	write_config "$(sched $((MAX + 1)) 100)"
	kl_run kl_tsnctl config reload
	((RC == 5)) || kl_fail "$((MAX + 1)) entries: tsnctl config reload exited $RC, expected 5: $OUT $ERR"
	line=$(grep -n '^      entries:' "$KL_WORK/tsnd.yaml" | head -1 | cut -d: -f1)
	grep -Eq "tsnd.yaml:($line|$((line + 1))):.*at most $MAX entries" <<<"$OUT$ERR" ||
		kl_fail "$((MAX + 1)) entries: the error does not name line $line and $MAX entries: $OUT $ERR"
	grep -q "$((FIXED + 2 * ENTRY * (MAX + 1))) B for $((MAX + 1)), over its $LIMIT B limit" <<<"$OUT$ERR" ||
		kl_fail "$((MAX + 1)) entries: the error lacks the figures: $OUT $ERR"
	after=$(kl_qdisc_json sw swA | kl_normalize)
	[[ $before == "$after" ]] || kl_fail "the refused reload changed swA's qdiscs"
	kl_info "long-list: $(grep -m1 'at most' <<<"$OUT$ERR" | cut -c1-300)"
}

kl_test long-list-boundary test_boundary
