#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench.sh — the schedule benchmark of issue 3 (item 9), run inside the kernel lab
# by `make bench` (tests/kernel-lab/run.sh --bench).  It prints `LAB DATA bench
# KEY VALUE` lines and `LAB PASS bench` once every figure was measured; the
# targets are reported, not enforced (docs/benchmarks.md).
#
# The measuring part runs as one shell inside the switch's namespace, so no
# figure includes `ip netns exec`.  Each figure is the median of ROUNDS runs.
#
#  apply   validating and applying a schedule to 4 ports: one `tsnctl config
#          reload` against 4 `tc qdisc replace ... taprio` on 4 identical ports.
#          iproute2 cannot send 256 entries: its taprio request is bounded at
#          1024 bytes, about 30 entries (more are dropped with an error message,
#          and the command still succeeds).  So each round runs, side by side:
#            tsnd  4 x 256 entries (the issue's figure)
#            tc    4 x 24 entries  (the most tc can send)
#            tsnd  4 x 24 entries  (like for like with tc)
#          Each step alternates between two variants (different intervals), so
#          every step really changes all 4 qdiscs.  The same reloads are also
#          timed inside one client process (ctl_rtt: request sent to answer
#          read), which leaves out starting tsnctl.
#  phases  where tsnd's own time goes: the same reloads with log-level debug,
#          whose "reload: load ... ms, checks ... ms, ..." line times each step
#          (daemon/core/reload.c); the median of each step.
#  exec    what starting the programs costs by itself under emulation:
#          `tsnctl --version` (no request), `tsnctl status`, and 4 x `tc qdisc
#          show dev X`.
#  rss     tsnd's VmRSS (and VmHWM) from /proc after the rounds.
#  start   `tsnd -c FILE` daemonizing: its first process exits when the daemon
#          reports ready (control socket listening, schedules applied), then
#          `tsnctl status` must answer.  With the 4-port 256-entry configuration
#          and with the 4 ports but no schedules.
#  netconf (issue 13, its own result line bench-netconf) the 4 x 256 change through
#          tsn-netconfd (<edit-config> + <commit>) against tsnctl config reload,
#          through ncclient and then through the lean C client (nc_bench);
#          see its section below.
# lab.bench=schedules or lab.bench=netconf on the kernel command line runs one part
# (make bench-netconf: --append lab.bench=netconf).
. /tsn/tests/kernel-lab/guest/lib.sh
# shellcheck source=../../netconf/bench_rounds.sh
. /tsn/tests/netconf/bench_rounds.sh

ROUNDS=${BENCH_ROUNDS:-11}	# odd: the median is one of the runs
STARTS=${BENCH_STARTS:-5}
PHASE_ROUNDS=${BENCH_PHASE_ROUNDS:-5}
ENTRIES=256
TC_ENTRIES=24
TSN_PORTS=(swA swB swC swD)
TC_PORTS=(tcA tcB tcC tcD)
MAP="0 1 2 3 0 0 0 0 0 0 0 0 0 0 0 0"
CTL_RTT=$TSN/build/tests/tools/ctl_rtt
SOCK=$KL_WORK/tsnd.sock

# schedule VARIANT [N]: sets YAML (schedule keys) and TCARGS for variant 0 or 1
# with N entries (default ENTRIES).
schedule() {
	local v=$1 n=${2:-$ENTRIES} i iv mask
	YAML="      num-tc: 4
      map: [0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\", \"2@2\", \"4@4\"]
      base-time: 1000000000
      entries:"
	TCARGS="num_tc 4 map $MAP queues 1@0 1@1 2@2 4@4 base-time 1000000000"
	# Intervals of 100-490 us (a 256-entry cycle of about 75 ms).  A software
	# taprio wakes a timer at every entry's end: with 10-49 us intervals the eight
	# taprios in the VM fired some 270,000 timer interrupts a second, which under
	# emulation took most of the guest's CPU and made every figure 1.5-2 times slower,
	# on both sides.
	for ((i = 0; i < n; i++)); do
		iv=$((100 + (i * 13 + v * 5) % 40 * 10))
		YAML+="
        - { gates: [$((i % 4))], interval: ${iv}us }"
		printf -v mask '%02x' $((1 << (i % 4)))	# no subshell: forks are slow under TCG
		TCARGS+=" sched-entry S $mask $((iv * 1000))"
	done
	TCARGS+=" clockid CLOCK_TAI"
}

# write_config FILE VARIANT|none [N]; LOG_LEVEL (default notice) is tsnd's log level.
write_config() {
	local p ports=""
	[[ $2 != none ]] && schedule "$2" "${3:-$ENTRIES}"
	for p in "${TSN_PORTS[@]}"; do
		ports+="  - name: $p"$'\n'
		[[ $2 != none ]] && ports+="    schedule:"$'\n'"$YAML"$'\n'
	done
	kl_config "$1" "${ports%$'\n'}"
	sed -i "s/log-level: debug/log-level: ${LOG_LEVEL:-notice}/" "$1"
}

# elapsed_us CMD...: run CMD (output discarded), print its wall time in µs.
elapsed_us() {
	local t0=$EPOCHREALTIME t1
	"$@" >/dev/null 2>"$KL_WORK/.bench-err" || {
		echo "failed: $* — $(head -c 300 "$KL_WORK/.bench-err")" >&2
		return 1
	}
	t1=$EPOCHREALTIME
	echo $(((${t1%.*} - ${t0%.*}) * 1000000 + 10#${t1#*.} - 10#${t0#*.}))
}

# rtt_us COMMAND: tsnd's answer time for COMMAND, measured inside ctl_rtt.
rtt_us() {
	local out
	out=$("$CTL_RTT" "$SOCK" "$1") || { echo "ctl_rtt $1: $out" >&2; return 1; }
	echo "${out#rtt_us }" | cut -d' ' -f1
}

# phase_medians N: the median of each step of the reload lines numbered N, N+2, ...
# of tsnd's log (the debug line "reload: load A ms, checks B ms, ...").
phase_medians() {
	local first=$1 k
	local -a lines
	# (no process substitution: the guest has no /dev/fd)
	mapfile -t lines <<<"$(grep -o 'reload: load .* ms (ok)' "$KL_WORK/tsnd.log" | tail -n $((2 * PHASE_ROUNDS)))"
	for k in load checks 'socket access and ptp' 'routes and data plane' schedules commit; do
		printf '%s %s ms; ' "$k" "$(for ((i = first; i < ${#lines[@]}; i += 2)); do
			sed -n "s/.*[ ,]$k \([0-9.]*\) ms.*/\1/p" <<<"${lines[i]}"
		done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
	done
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

ms() {
	printf '%d.%03d ms' $(($1 / 1000)) $(($1 % 1000))
}

ratio() {
	printf '%d.%02d' $(($1 / $2)) $(($1 * 100 / $2 % 100))
}

# tc_apply_all: TCARGS on the 4 tc ports; tc's complaints count as failure.
tc_apply_all() {
	local p
	for p in "${TC_PORTS[@]}"; do
		tc qdisc replace dev "$p" parent root handle 7473: taprio $TCARGS || return 1
	done 2>"$KL_WORK/.tc-err"
	[[ ! -s $KL_WORK/.tc-err ]] || { cat "$KL_WORK/.tc-err" >&2; return 1; }
}

tc_show_all() {
	local p
	for p in "${TC_PORTS[@]}"; do
		tc qdisc show dev "$p" || return 1
	done
}

tsnctl_() {
	"$TSNCTL" -s "$SOCK" "$@"
}

stop_tsnd() {
	local pid
	pid=$(cat "$KL_WORK/tsnd.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null; do
		sleep 0.05
	done
}

fail() {
	echo "$*" >"$KL_WORK/.bench-fail"
	stop_tsnd
	exit 1
}

# ---- the measuring part: runs inside namespace sw ------------------------------------

measure() {
	local r v t s cfg p rss hwm pid sd st
	local start_us=() start0_us=() big=() small=() tcs=() big_rtt=() small_rtt=()
	local base_ctl=() base_ver=() base_tc=()

	# start-up to ready
	for cfg in sched none; do
		if [[ $cfg == sched ]]; then write_config "$KL_WORK/start.yaml" 0; else write_config "$KL_WORK/start.yaml" none; fi
		for ((s = 0; s < STARTS; s++)); do
			for p in "${TSN_PORTS[@]}"; do
				tc qdisc del dev "$p" root 2>/dev/null || true
			done
			t=$(elapsed_us "$TSND" -c "$KL_WORK/start.yaml" --stderr) ||
				fail "tsnd did not start: $(kl_tail "$KL_WORK/.bench-err")"
			tsnctl_ status >/dev/null || fail "tsnd reported ready but does not answer"
			if [[ $cfg == sched ]]; then start_us+=("$t"); else start0_us+=("$t"); fi
			stop_tsnd
		done
	done
	kl_data "bench start_ready_4x256 $(ms "$(median "${start_us[@]}")") (runs us: ${start_us[*]})"
	kl_data "bench start_ready_no_schedule $(ms "$(median "${start0_us[@]}")") (runs us: ${start0_us[*]})"

	# apply: tsnd reload vs 4 tc invocations, side by side
	write_config "$KL_WORK/tsnd.yaml" 0
	"$TSND" -c "$KL_WORK/tsnd.yaml" --stderr 2>"$KL_WORK/tsnd.log" || fail "tsnd did not start: $(kl_tail "$KL_WORK/tsnd.log")"
	pid=$(cat "$KL_WORK/tsnd.pid")
	[[ $(kl_tc_json sw qdisc show dev swA | jq -r '.[0].options | .admin // . | .schedule | length') == "$ENTRIES" ]] ||
		fail "tsnd's taprio on swA does not hold $ENTRIES entries"
	schedule 0 "$TC_ENTRIES"
	tc_apply_all || fail "tc refused the schedule: $(kl_tail "$KL_WORK/.tc-err")"
	for ((r = 1; r <= ROUNDS; r++)); do
		v=$((r % 2))
		write_config "$KL_WORK/tsnd.yaml" "$v"
		t=$(elapsed_us tsnctl_ config reload) || fail "reload failed: $(kl_tail "$KL_WORK/.bench-err")"
		big+=("$t")
		schedule "$v" "$TC_ENTRIES"
		t=$(elapsed_us tc_apply_all) || fail "tc failed: $(kl_tail "$KL_WORK/.tc-err")"
		tcs+=("$t")
		write_config "$KL_WORK/tsnd.yaml" "$v" "$TC_ENTRIES"
		t=$(elapsed_us tsnctl_ config reload) || fail "reload failed: $(kl_tail "$KL_WORK/.bench-err")"
		small+=("$t")
	done
	# Both sides ended on the same schedule: the kernel state must be the same.
	sd=$(kl_tc_json sw qdisc show dev swD | jq -c '.[0].options | .admin // . | .schedule')
	st=$(kl_tc_json sw qdisc show dev tcD | jq -c '.[0].options | .admin // . | .schedule')
	[[ $sd == "$st" ]] || fail "tsnd's and tc's last schedules differ: $(kl_json_diff "$st" "$sd")"
	# The same reloads, timed inside one client process.
	for ((r = 1; r <= ROUNDS; r++)); do
		v=$((r % 2))
		write_config "$KL_WORK/tsnd.yaml" "$v"
		t=$(rtt_us config.reload) || fail "reload failed"
		big_rtt+=("$t")
		write_config "$KL_WORK/tsnd.yaml" "$v" "$TC_ENTRIES"
		t=$(rtt_us config.reload) || fail "reload failed"
		small_rtt+=("$t")
	done
	# Where tsnd's time goes: the same reloads with tsnd logging at debug level.
	LOG_LEVEL=debug write_config "$KL_WORK/tsnd.yaml" 0
	rtt_us config.reload >/dev/null || fail "reload failed"
	for ((r = 1; r <= PHASE_ROUNDS; r++)); do
		v=$((r % 2))
		LOG_LEVEL=debug write_config "$KL_WORK/tsnd.yaml" "$v"
		rtt_us config.reload >/dev/null || fail "reload failed"
		LOG_LEVEL=debug write_config "$KL_WORK/tsnd.yaml" "$v" "$TC_ENTRIES"
		rtt_us config.reload >/dev/null || fail "reload failed"
	done
	local phases_big phases_small
	(($(grep -c 'reload: load .* ms (ok)' "$KL_WORK/tsnd.log") >= 2 * PHASE_ROUNDS)) ||
		fail "tsnd logged no timings at log-level debug: $(kl_tail "$KL_WORK/tsnd.log")"
	phases_big=$(phase_medians 0)
	phases_small=$(phase_medians 1)
	# What starting the programs costs by itself.
	for ((r = 1; r <= ROUNDS; r++)); do
		base_ver+=("$(elapsed_us "$TSNCTL" --version)")
		base_ctl+=("$(elapsed_us tsnctl_ status)")
		base_tc+=("$(elapsed_us tc_show_all)")
	done
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")
	hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$pid/status")
	stop_tsnd

	local bm sm tm brm srm
	bm=$(median "${big[@]}")
	sm=$(median "${small[@]}")
	tm=$(median "${tcs[@]}")
	brm=$(median "${big_rtt[@]}")
	srm=$(median "${small_rtt[@]}")
	kl_data "bench apply_tsnd_4x${ENTRIES} $(ms "$bm") (tsnctl config reload; runs us: ${big[*]})"
	kl_data "bench apply_tsnd_4x${TC_ENTRIES} $(ms "$sm") (tsnctl config reload; runs us: ${small[*]})"
	kl_data "bench apply_tc_4x${TC_ENTRIES} $(ms "$tm") (4 x tc qdisc replace; runs us: ${tcs[*]})"
	kl_data "bench ratio_tc4x${TC_ENTRIES}_over_tsnd4x${TC_ENTRIES} $(ratio "$tm" "$sm") (like for like; target >= 10)"
	kl_data "bench ratio_tc4x${TC_ENTRIES}_over_tsnd4x${ENTRIES} $(ratio "$tm" "$bm") (tsnd sends ${ENTRIES}/${TC_ENTRIES} x the entries)"
	kl_data "bench daemon_reload_4x${ENTRIES} $(ms "$brm") (request to answer, no client start; runs us: ${big_rtt[*]})"
	kl_data "bench daemon_reload_4x${TC_ENTRIES} $(ms "$srm") (request to answer, no client start; runs us: ${small_rtt[*]})"
	kl_data "bench ratio_tc4x${TC_ENTRIES}_over_daemon4x${ENTRIES} $(ratio "$tm" "$brm")"
	kl_data "bench phases_4x${ENTRIES} ${phases_big%; } (tsnd's debug timings, medians of $PHASE_ROUNDS)"
	kl_data "bench phases_4x${TC_ENTRIES} ${phases_small%; } (tsnd's debug timings, medians of $PHASE_ROUNDS)"
	kl_data "bench exec_tsnctl_version $(ms "$(median "${base_ver[@]}")") (start tsnctl, no request)"
	kl_data "bench exec_tsnctl_status $(ms "$(median "${base_ctl[@]}")") (start tsnctl, one request)"
	kl_data "bench exec_tc_show_4x $(ms "$(median "${base_tc[@]}")") (4 x tc qdisc show dev X)"
	kl_data "bench tsnd_vmrss $rss KiB (peak VmHWM $hwm KiB; target < 8192 KiB)"
}

bench() {
	lab_ns_add sw
	lab_ns_add peer
	kl_ports sw peer "${TSN_PORTS[@]}" "${TC_PORTS[@]}"
	rm -f "$KL_WORK/.bench-fail"
	ip netns exec sw bash "$KL_GUEST/bench.sh" --measure ||
		kl_fail "$(cat "$KL_WORK/.bench-fail" 2>/dev/null || echo "the measuring shell failed")"
}

# ---- netconf (issue 13): edit-config + commit against tsnctl config reload ----------
# The same change of 4 ports x 256 entries (variant 0 <-> 1 of the schedule above),
# made alternately by an ncclient session (tests/netconf/nc.py bench: <edit-config>
# of the 4 admin-control-lists with operation replace, then <commit>, timed from the
# edit's request to the commit's answer, which tsn-netconfd gives once tsnd's
# config.apply has put the schedules into the kernel) and by `tsnctl config reload`
# of a file holding the same configuration (timed from starting tsnctl to its exit,
# writing the file not included).  Both in the same tsnd, the same run, taking turns.
# Python's start and the SSH handshake are outside the figure (a CNC keeps its
# session open); starting tsnctl is inside it (its figure above: exec_tsnctl_status).
NC_ROUNDS=${BENCH_NC_ROUNDS:-11}

# nc_edit_xml VARIANT: the <edit-config> body replacing every port's gate list with
# VARIANT's (the entries TCARGS lists, so the same intervals as the YAML).
nc_edit_xml() {
	local p e="" w i=0
	local -a words
	schedule "$1"
	read -ra words <<<"$TCARGS"
	for ((w = 0; w < ${#words[@]}; w++)); do
		[[ ${words[w]} == sched-entry ]] || continue
		e+="<gate-control-entry><index>$i</index><gate-states-value>$((16#${words[w + 2]}))</gate-states-value><time-interval-value>${words[w + 3]}</time-interval-value></gate-control-entry>"
		i=$((i + 1))
	done
	printf '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><tsnd xmlns="urn:tsnd:yang:tsnd">'
	for p in "${TSN_PORTS[@]}"; do
		printf '<ports><name>%s</name><gate-parameter-table><admin-control-list xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="replace">%s</admin-control-list></gate-parameter-table></ports>' "$p" "$e"
	done
	printf '</tsnd></config>'
}

# nc_final_check OUT WHO: after WHO's rounds swD holds the last variant's 256
# entries (OUT: the client's JSON, whose .final names that variant).
nc_final_check() {
	local want got
	schedule "$(jq -r .final <<<"$1")"
	want=$(tr ' ' '\n' <<<"$TCARGS" | awk 'p == 3 { print; p = 0 } p { p++ } $1 == "sched-entry" { p = 1 }' | tr '\n' ' ')
	got=$(kl_tc_json sw qdisc show dev swD | jq -r '.[0].options | .admin // . | .schedule[].interval' | tr '\n' ' ')
	[[ $got == "$want" ]] || kl_fail "after $2, swD does not hold the last variant's intervals (${got:0:80}... against ${want:0:80}...)"
}

# nc_split_report NAME OUT TSNCTL_US: the server's and the end-to-end figures of
# the rounds after the server's own commit and of those after a reload (SUMS from
# nc_server_sums, OUT the client's JSON).
nc_split_report() {
	local -a ne OWN OWN_E OTH OTH_E
	mapfile -t ne <<<"$(jq -r '.netconf_us[]' <<<"$2")"
	nc_rounds_split SUMS ne
	((${#OWN[@]} && ${#OTH[@]})) || return 0
	local so sr eo er
	so=$(median "${OWN[@]}")
	sr=$(median "${OTH[@]}")
	eo=$(median "${OWN_E[@]}")
	er=$(median "${OTH_E[@]}")
	kl_data "bench $1_after_own_commit_4x${ENTRIES} server $(ms "$so") ratio $(ratio "$so" "$3"), end to end $(ms "$eo") ratio $(ratio "$eo" "$3")"
	kl_data "bench $1_after_reload_4x${ENTRIES} server $(ms "$sr") ratio $(ratio "$sr" "$3"), end to end $(ms "$er") ratio $(ratio "$er" "$3")"
}

# bench_netconf_lean KEYS: the same rounds through the lean client, build/tests/nc_bench
# (libnetconf2 in C): its end-to-end figure is the server's plus SSH, without
# ncclient's python, which under emulation costs more than the server; tsnctl's
# reload is timed again in its own rounds (the ratio is within this run).
bench_netconf_lean() {
	local keys=$1 out ln lt le lc
	# a schema directory of its own: the client writes the modules it fetches there
	mkdir -p "$KL_WORK/ncyang"
	cp "$TSN"/netconf/yang/tsnd@*.yang "$KL_WORK/ncyang/"
	out=$(ip netns exec sw "$TSN/build/tests/nc_bench" -k "$keys/admin" -y "$KL_WORK/ncyang" "$NC_ROUNDS" \
		"$KL_WORK/tsnd.yaml" "$KL_WORK/nc-conf0.yaml" "$KL_WORK/nc-conf1.yaml" \
		"$KL_WORK/nc-edit0.xml" "$KL_WORK/nc-edit1.xml" "$TSNCTL" "$SOCK" 2>"$KL_WORK/nc-lean.err") ||
		kl_fail "nc_bench: ${out:0:300} $(kl_tail "$KL_WORK/nc-lean.err")"
	jq -e .ok <<<"$out" >/dev/null || kl_fail "nc_bench: ${out:0:500}"
	nc_final_check "$out" nc_bench
	ln=$(median $(jq -r '.netconf_us[]' <<<"$out"))
	lt=$(median $(jq -r '.tsnctl_us[]' <<<"$out"))
	le=$(median $(jq -r '.edit_us[]' <<<"$out"))
	lc=$(median $(jq -r '.commit_us[]' <<<"$out"))
	kl_data "bench netconf_lean_edit_commit_4x${ENTRIES} $(ms "$ln") (libnetconf2 client in C: edit-config $(ms "$le") + commit $(ms "$lc"); runs us: $(jq -r '.netconf_us | join(" ")' <<<"$out"))"
	kl_data "bench netconf_lean_tsnctl_reload_4x${ENTRIES} $(ms "$lt") (its own rounds; runs us: $(jq -r '.tsnctl_us | join(" ")' <<<"$out"))"
	kl_data "bench ratio_netconf_lean_over_tsnctl_4x${ENTRIES} $(ratio "$ln" "$lt") (end to end; target <= 2)"
	local -a ED CO SUMS
	nc_server_sums "$KL_WORK/netconfd.log" "$NC_ROUNDS"
	((${#SUMS[@]})) || return 0
	local sm
	sm=$(median "${SUMS[@]}")
	kl_data "bench netconf_lean_server_4x${ENTRIES} $(ms "$sm") ratio $(ratio "$sm" "$lt") (tsn-netconfd in the lean client's rounds)"
	nc_split_report netconf_lean "$out" "$lt"
}

bench_netconf() {
	local keys=$KL_WORK/nckeys out nm tm em cm
	lab_ns_add sw
	lab_ns_add peer
	kl_ports sw peer "${TSN_PORTS[@]}"
	write_config "$KL_WORK/nc-conf0.yaml" 0
	write_config "$KL_WORK/nc-conf1.yaml" 1
	cp "$KL_WORK/nc-conf0.yaml" "$KL_WORK/tsnd.yaml"
	nc_edit_xml 0 >"$KL_WORK/nc-edit0.xml"
	nc_edit_xml 1 >"$KL_WORK/nc-edit1.xml"
	kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
	rm -rf "$keys"
	mkdir -p "$keys"
	ssh-keygen -q -t ed25519 -N '' -f "$keys/host" >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$keys/admin" >/dev/null
	printf 'listen: 127.0.0.1\nport: 830\nhost-key: %s\ntsnd-socket: %s\nyang-dir: %s\nauth-timeout: 120s\nhello-timeout: 120s\nusers:\n  - name: admin\n    role: admin\n    keys: [%s]\n' \
		"$keys/host" "$SOCK" "$TSN/netconf/yang" "$keys/admin.pub" >"$KL_WORK/netconfd.yaml"
	# -v: its phase times per RPC, summed up below (the log lines cost little)
	lab_spawn NC_PID sw "$TSN/build/tsn-netconfd" -v -c "$KL_WORK/netconfd.yaml" >"$KL_WORK/netconfd.log" 2>&1
	local t0=$SECONDS
	until ip netns exec sw /usr/bin/python3 "$TSN/tests/netconf/nc.py" --key "$keys/admin" caps 2>/dev/null | jq -e .ok >/dev/null; do
		lab_pid_alive "$NC_PID" && ((SECONDS - t0 < 120)) ||
			kl_fail "tsn-netconfd did not answer: $(kl_tail "$KL_WORK/netconfd.log")"
		sleep 0.5
	done
	out=$(ip netns exec sw /usr/bin/python3 "$TSN/tests/netconf/nc.py" --key "$keys/admin" bench "$NC_ROUNDS" \
		"$KL_WORK/tsnd.yaml" "$KL_WORK/nc-conf0.yaml" "$KL_WORK/nc-conf1.yaml" \
		"$KL_WORK/nc-edit0.xml" "$KL_WORK/nc-edit1.xml" "$TSNCTL" "$SOCK" 2>"$KL_WORK/nc-bench.err") ||
		kl_fail "nc.py bench: ${out:0:300} $(kl_tail "$KL_WORK/nc-bench.err")"
	jq -e .ok <<<"$out" >/dev/null || kl_fail "nc.py bench: ${out:0:500}"
	# the last change is in the kernel
	nc_final_check "$out" "nc.py bench"
	nm=$(median $(jq -r '.netconf_us[]' <<<"$out"))
	tm=$(median $(jq -r '.tsnctl_us[]' <<<"$out"))
	em=$(median $(jq -r '.edit_us[]' <<<"$out"))
	cm=$(median $(jq -r '.commit_us[]' <<<"$out"))
	kl_data "bench netconf_edit_commit_4x${ENTRIES} $(ms "$nm") (edit-config $(ms "$em") + commit $(ms "$cm"); runs us: $(jq -r '.netconf_us | join(" ")' <<<"$out"))"
	kl_data "bench netconf_tsnctl_reload_4x${ENTRIES} $(ms "$tm") (the same change, same run; runs us: $(jq -r '.tsnctl_us | join(" ")' <<<"$out"))"
	kl_data "bench ratio_netconf_over_tsnctl_4x${ENTRIES} $(ratio "$nm" "$tm") (target <= 2)"
	# tsn-netconfd's own time (its log: "edit-config handled in X ms", the same for
	# commit, tsnd's apply included), without the client's python under emulation
	local -a ED CO SUMS
	nc_server_sums "$KL_WORK/netconfd.log" "$NC_ROUNDS"
	if ((${#SUMS[@]})); then
		local sm
		sm=$(median "${SUMS[@]}")
		kl_data "bench netconf_server_4x${ENTRIES} $(ms "$sm") (tsn-netconfd handling edit-config + commit, tsnd's apply included; edit ms: ${ED[*]}; commit ms: ${CO[*]})"
		kl_data "bench ratio_netconf_server_over_tsnctl_4x${ENTRIES} $(ratio "$sm" "$tm")"
		nc_split_report netconf "$out" "$tm"
	fi
	bench_netconf_lean "$keys"
	# where the time goes: each phase's median over the rounds of both clients, in ms
	kl_data "bench netconf_phases $(awk '/ phase: / {
			sub(/.* phase: /, ""); sub(/ ms$/, ""); v = $NF; $NF = ""; sub(/ +$/, "")
			if (!($0 in n)) order[++k] = $0
			vals[$0, ++n[$0]] = v
		}
		END {
			for (i = 1; i <= k; i++) {
				p = order[i]; m = n[p]
				for (a = 1; a <= m; a++) x[a] = vals[p, a] + 0
				for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (x[b] < x[a]) { t = x[a]; x[a] = x[b]; x[b] = t }
				printf "%s%s %.1f (%d)", (i > 1 ? "; " : ""), p, x[int((m + 1) / 2)], m
			}
		}' "$KL_WORK/netconfd.log")"
	kl_data "bench netconfd_vmhwm $(awk '$1 == "VmHWM:" { print $2 }' "/proc/$NC_PID/status") KiB"
}

if [[ ${1:-} == --measure ]]; then
	measure
	exit 0
fi
# lab.bench=NAME[,NAME] on the kernel command line runs only those (schedules, netconf)
BENCH_ONLY=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^lab\.bench=//p')
if [[ -z $BENCH_ONLY || ,$BENCH_ONLY, == *,schedules,* ]]; then
	kl_test bench bench
fi
if [[ -z $BENCH_ONLY || ,$BENCH_ONLY, == *,netconf,* ]]; then
	kl_test bench-netconf bench_netconf
fi
