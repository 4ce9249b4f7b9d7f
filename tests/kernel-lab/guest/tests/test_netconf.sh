#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_netconf.sh — issue 13: a gate schedule edited over NETCONF reaches taprio.
#
# tsnd runs schedule S1 on swA; tsn-netconfd talks to it over the control socket;
# the client is ncclient (Debian's python3-ncclient, tests/netconf/nc.py) on
# Debian's python3, both inside the VM (build-initramfs.sh's NETCONF block).
#  - commit: the candidate's gate list is edited and committed; `tc -j qdisc show
#    dev swA` then equals what `tc qdisc replace ... taprio` with the equivalent
#    arguments (the same handle and absolute base time) gives on a fresh port swB.
#  - invalid: interval 0 and a class beyond num-tc are refused with an
#    <rpc-error> whose error-path names the YANG node; swA's dump is unchanged
#    and `tc monitor` sees no change.
#  - confirmed: a confirmed commit that is never confirmed puts swA back on the
#    previous schedule within the timeout + 1 s (tsnd's rollback), and tsnd's file
#    keeps the previous schedule; a confirmed commit confirmed from another session
#    stays past its timeout and is written to tsnd's file.
#  - notify-drift: a subscribed session gets schedule-state-changed (applied ->
#    drift) when tc changes swA's schedule behind tsnd's back.
# Base times are absolute and in the past (1 s after the epoch), so a change becomes
# operational at the next cycle boundary and swB's dump can be made for comparison.
#
# One set-up for all four cases (tsnd, tsn-netconfd, and one python process,
# `nc.py serve`, whose ncclient sessions stay open): under emulation each python
# start and SSH handshake cost seconds.  Each case first commits the schedule it
# starts from (S1 unless said), so a failed case does not spoil the next.
. /tsn/tests/kernel-lab/guest/lib.sh

TSN_YANG=$TSN/build/tsn-yang
NC_PY=$TSN/tests/netconf/nc.py
PY=/usr/bin/python3
MAP="0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0"
NCOP='xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation'

# sched I1 I2: swA's schedule (YAML under the port), two classes, intervals in us.
sched() {
	echo "    schedule:
      num-tc: 2
      map: [${MAP// /, }]
      queues: [\"1@0\", \"1@1\"]
      base-time: 1000000000
      entries:
        - { gates: [0], interval: $1us }
        - { gates: [1], interval: $2us }"
}

# nc_setup: ports swA and swB in namespace sw, tsnd with S1 (500/500 us) on swA,
# tsn-netconfd on 127.0.0.1:830 there with an admin user, and the client process
# (nc.py serve) reading requests on fd 7 and answering on fd 8.  Runs in the
# script's shell: what it starts outlives each case's subshell.
nc_setup() {
	lab_ns_add sw
	lab_ns_add peer
	kl_ports sw peer swA swB
	TSND_CONF=$KL_WORK/tsnd.yaml
	kl_config "$TSND_CONF" "  - name: swA
$(sched 500 500)"
	kl_tsnd_start sw "$TSND_CONF"
	[[ $(kl_root_qdisc sw swA | jq -r .kind) == taprio ]] || kl_fail "no taprio on swA at start"
	kl_netconfd_start sw
	rm -f "$KL_WORK/nc.in" "$KL_WORK/nc.out"
	mkfifo "$KL_WORK/nc.in" "$KL_WORK/nc.out"
	# python and the SSH handshake take seconds under emulation: the first session
	# retries its connection for up to 120 s while tsn-netconfd starts
	lab_spawn NCPY_PID sw env NC_CONNECT_WAIT=120 "$PY" "$NC_PY" --key "$NC_KEYS/admin" serve \
		"$KL_WORK/nc.in" "$KL_WORK/nc.out" 2>"$KL_WORK/nc.err"
	exec 7>"$KL_WORK/nc.in" 8<"$KL_WORK/nc.out"
	nc_in a caps
	jq -e .ok <<<"$OUT" >/dev/null ||
		kl_fail "tsn-netconfd did not answer: ${OUT:0:300} $(kl_tail "$NC_LOG" 8)"
}

# nc_in SESSION CMD ARGS...: CMD (nc.py's commands) in the client's session SESSION,
# opened at its first use; the answer's JSON in OUT.
nc_in() {
	local id=$RANDOM$RANDOM t0=$SECONDS
	jq -cn --arg id "$id" '[{id: $id}] + $ARGS.positional' --args "$@" >&7 ||
		kl_fail "the client process is gone: $(kl_tail "$KL_WORK/nc.err")"
	# a bound on one answer: a confirmed commit's session, a notification's wait;
	# an answer to an earlier request (a case that gave up on it) is skipped
	while :; do
		IFS= read -r -t $((300 - (SECONDS - t0))) -u 8 OUT ||
			kl_fail "no answer from the client process to $*: $(kl_tail "$KL_WORK/nc.err") $(kl_tail "$NC_LOG")"
		[[ $(jq -r .id <<<"$OUT") != "$id" ]] || break
	done
	[[ $OUT != *'"session_error"'* ]] || kl_fail "nc.py $*: ${OUT:0:400} $(kl_tail "$NC_LOG")"
}

# nc CMD ARGS...: CMD in the main session.
nc() {
	nc_in a "$@"
}

# edit_file XML: an <edit-config> body for swA's gate-parameter-table; prints its name.
edit_file() {
	local f=$KL_WORK/edit-$RANDOM.xml
	printf '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><tsnd xmlns="urn:tsnd:yang:tsnd"><ports><name>swA</name><gate-parameter-table>%s</gate-parameter-table></ports></tsnd></config>' "$1" >"$f"
	echo "$f"
}

# intervals_edit I1 I2: the edit that gives swA's two entries these intervals (us).
intervals_edit() {
	edit_file "<admin-control-list><gate-control-entry><index>0</index><time-interval-value>$(($1 * 1000))</time-interval-value></gate-control-entry><gate-control-entry><index>1</index><time-interval-value>$(($2 * 1000))</time-interval-value></gate-control-entry></admin-control-list>"
}

# swa_dump: swA's qdiscs once no change is pending (a change becomes operational at
# the next cycle boundary, 1 ms away).
swa_dump() {
	local d n
	for ((n = 0; n < 50; n++)); do
		d=$(kl_qdisc_json sw swA | kl_normalize)
		[[ $(jq -r '[.[] | select(.root)][0].options.admin // "none"' <<<"$d") == none ]] && break
		sleep 0.1
	done
	echo "$d"
}

# expected I1 I2: the dump tc makes of S(I1, I2) on a fresh swB, with swA's handle.
expected() {
	local handle
	handle=$(kl_root_qdisc sw swA | jq -r .handle)
	ip netns exec sw tc qdisc del dev swB root 2>/dev/null || true
	kl_run ip netns exec sw tc qdisc replace dev swB parent root handle "$handle" taprio \
		num_tc 2 map $MAP queues 1@0 1@1 base-time 1000000000 \
		sched-entry S 01 $(($1 * 1000)) sched-entry S 02 $(($2 * 1000)) clockid CLOCK_TAI
	((RC == 0)) && [[ -z $ERR ]] || kl_fail "tc refused the oracle's schedule: $ERR"
	kl_qdisc_json sw swB | kl_normalize
}

# swa_is I1 I2 WHAT: swA's dump equals tc's for S(I1, I2).
swa_is() {
	local want got
	want=$(expected "$1" "$2")
	got=$(swa_dump)
	[[ $got == "$want" ]] || kl_fail "$3: swA differs from tc's $1/$2 us schedule: $(kl_json_diff "$want" "$got")"
}

# file_intervals: the intervals (as tsnd prints them, "300us") of swA's schedule in tsnd's file, "a b".
file_intervals() {
	"$TSN_YANG" normalize "$TSND_CONF" |
		jq -r '[.ports[] | select(.name == "swA") | .schedule.entries[].interval] | map(tostring) | join(" ")'
}

# start_from I1 I2: swA runs S(I1, I2), committed over NETCONF, in tsnd's file too.
start_from() {
	if [[ $(file_intervals) != "$1us $2us" ]] || ! swa_has "$1" "$2"; then
		nc edit "$(intervals_edit "$1" "$2")"
		jq -e .ok <<<"$OUT" >/dev/null || kl_fail "edit-config to start from $1/$2 us: $OUT"
		nc commit
		jq -e .ok <<<"$OUT" >/dev/null || kl_fail "commit to start from $1/$2 us: $OUT $(kl_tail "$NC_LOG")"
	fi
	swa_is "$1" "$2" "at the start of the case"
	# and tsnd sees it applied (a notification case must not hear it arrive)
	lab_wait_until 30 swa_applied || kl_fail "swA's schedule is not applied: $(kl_tsnctl -j status | jq -c '.ports')"
}

swa_applied() {
	[[ $(kl_tsnctl -j status | jq -r '.ports[] | select(.name == "swA") | .schedule_state') == applied ]]
}

test_commit() {
	start_from 500 500
	nc edit "$(intervals_edit 300 700)"
	jq -e .ok <<<"$OUT" >/dev/null || kl_fail "edit-config: $OUT"
	swa_is 500 500 "after the edit of the candidate, before the commit"
	nc commit
	jq -e .ok <<<"$OUT" >/dev/null || kl_fail "commit: $OUT $(kl_tail "$NC_LOG")"
	swa_is 300 700 "after the commit"
	[[ $(file_intervals) == "300us 700us" ]] || kl_fail "tsnd's file has $(file_intervals) after the commit"
	kl_info "netconf: an edited gate list, committed, is taprio's schedule on swA, as tc would make it"
}

# invalid EDIT-XML PATH-REGEX MESSAGE-REGEX
invalid() {
	local before f
	before=$(swa_dump)
	lab_spawn MON_PID sw tc monitor >"$KL_WORK/monitor" 2>&1
	sleep 0.5
	f=$(edit_file "$1")
	nc edit "$f"
	if jq -e .ok <<<"$OUT" >/dev/null; then
		nc commit
	fi
	jq -e '.ok | not' <<<"$OUT" >/dev/null || kl_fail "not refused: $1"
	grep -Eq "$2" <<<"$(jq -r '.errors[].path' <<<"$OUT")" || kl_fail "error-path is not $2: $OUT"
	grep -Eq "$3" <<<"$(jq -r '.errors[].message' <<<"$OUT")" || kl_fail "error-message does not match $3: $OUT"
	[[ $(swa_dump) == "$before" ]] || kl_fail "swA's qdiscs changed: $(kl_json_diff "$before" "$(swa_dump)")"
	sleep 0.5
	lab_stop_pid "$MON_PID" 3 || true
	[[ ! -s $KL_WORK/monitor ]] || kl_fail "tc monitor saw a change: $(kl_tail "$KL_WORK/monitor")"
	kl_info "netconf: refused with $(jq -r '.errors[0] | "\(.path): \(.message)"' <<<"$OUT" | head -c 300)"
	nc discard
}

test_invalid() {
	start_from 500 500
	local e="/tsnd:tsnd/ports\\[name='swA'\\]/gate-parameter-table/admin-control-list/gate-control-entry\\[index='0'\\]"
	invalid "<admin-control-list><gate-control-entry><index>0</index><time-interval-value>0</time-interval-value></gate-control-entry></admin-control-list>" \
		"$e/time-interval-value" "[Vv]alue .*0.*|range"
	invalid "<admin-control-list><gate-control-entry><index>0</index><gate-states-value>4</gate-states-value></gate-control-entry></admin-control-list>" \
		"$e/gate-states-value" "class 2|num-tc"
	[[ $(file_intervals) == "500us 500us" ]] || kl_fail "tsnd's file changed: $(file_intervals)"
}

# swa_has I1 I2: swA's taprio holds these intervals (us), operational or pending;
# one program run, no jq, so that a poll loop sees a change soon after it happens.
swa_has() {
	local d
	d=$(tc -n sw -j qdisc show dev swA)
	[[ $d == *'"interval":'$(($1 * 1000))'}'* && $d == *'"interval":'$(($2 * 1000))'}'* ]]
}

test_confirmed() {
	local t_commit t_back timeout_s=15 n=0
	start_from 500 500
	# never confirmed: tsnd rolls taprio back (issued in a session of its own,
	# which ends after the commit as a CNC's might)
	nc_in c1 confirmed-drop "$timeout_s" "$(intervals_edit 300 700)" p1
	jq -e .ok <<<"$OUT" >/dev/null || kl_fail "confirmed commit: $OUT $(kl_tail "$NC_LOG")"
	t_commit=$(jq -r .t_commit_ns <<<"$OUT")
	swa_has 300 700 || kl_fail "the confirmed commit is not in taprio: $(kl_root_qdisc sw swA)"
	until swa_has 500 500; do
		(((n += 1) < 2000)) || kl_fail "swA was not rolled back: $(kl_root_qdisc sw swA)"
	done
	t_back=$(kl_now monotonic)
	(((t_back - t_commit) / 1000000 <= timeout_s * 1000 + 1000)) ||
		kl_fail "swA was back on the previous schedule $(((t_back - t_commit) / 1000000)) ms after the confirmed commit (timeout ${timeout_s} s): $(kl_tail "$KL_TSND_LOG" 4)"
	swa_is 500 500 "after the rollback"
	kl_data "netconf: rollback seen on swA $(((t_back - t_commit) / 1000000)) ms after the confirmed commit (timeout ${timeout_s} s)"
	[[ $(file_intervals) == "500us 500us" ]] || kl_fail "tsnd's file has $(file_intervals) after the rollback"
	# confirmed from another session: kept past the timeout, written to the file
	# (the confirming session is open already: no python start nor SSH handshake
	# between the commit and its confirmation, which took over 15 s under emulation
	# on a busy host when each was a new process; 30 s leaves room for a slow VM)
	timeout_s=30
	nc_in c2 confirmed-drop "$timeout_s" "$(intervals_edit 300 700)" p2
	jq -e .ok <<<"$OUT" >/dev/null || kl_fail "second confirmed commit: $OUT"
	t_commit=$(jq -r .t_commit_ns <<<"$OUT")
	nc confirm p2
	jq -e .ok <<<"$OUT" >/dev/null || kl_fail "confirming commit: $OUT"
	n=$(((t_commit + (timeout_s + 1) * 1000000000 - $(kl_now monotonic)) / 1000000))
	((n <= 0)) || sleep "$((n / 1000)).$(printf '%03d' $((n % 1000)))"
	swa_has 300 700 || kl_fail "the confirmed commit is not in taprio: $(kl_root_qdisc sw swA)"
	swa_is 300 700 "past the timeout of a confirmed commit that was confirmed"
	[[ $(file_intervals) == "300us 700us" ]] || kl_fail "tsnd's file has $(file_intervals) after the confirmation"
}

# schedule-state-changed: the kernel's schedule changed behind tsnd's back (the same
# list, base time 20 ms later) is drift; a subscribed session hears of it.
test_notify_drift() {
	local handle x
	start_from 500 500
	handle=$(kl_root_qdisc sw swA | jq -r .handle)
	nc notify 60 schedule-state-changed tc qdisc replace dev swA parent root handle "$handle" taprio \
		num_tc 2 map $MAP queues 1@0 1@1 base-time 1020000000 \
		sched-entry S 01 500000 sched-entry S 02 500000 clockid CLOCK_TAI
	jq -e .ok <<<"$OUT" >/dev/null || kl_fail "no schedule-state-changed: ${OUT:0:400} $(kl_tail "$NC_LOG")"
	x=$(jq -r .xml <<<"$OUT")
	[[ $x =~ \<port\>swA\</port\> && $x =~ \<schedule-state\>drift\</schedule-state\> && $x =~ \<previous\>applied\</previous\> ]] ||
		kl_fail "the notification does not say swA went from applied to drift: $x"
}

SETUP_DONE=false
setup_exit() {
	$SETUP_DONE || echo "LAB FAIL netconf-setup: $(grep -m1 . "$KL_REASON_FILE" 2>/dev/null || echo 'see the console above')"
	lab_cleanup
}

# Set-up in this shell (its processes and fds outlive each case's subshell);
# kl_fail in it ends the script, and setup_exit reports why.
KL_REASON_FILE=$KL_WORK/.reason-setup
: >"$KL_REASON_FILE"
LAB_CLEANUP_STACK=()
trap setup_exit EXIT
set -e
nc_setup
set +e
SETUP_DONE=true
kl_test netconf-commit test_commit
kl_test netconf-invalid test_invalid
kl_test netconf-confirmed test_confirmed
kl_test netconf-notify-drift test_notify_drift
