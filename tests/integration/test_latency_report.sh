#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_latency_report.sh — the host side of `make lab-latency` (tests/latency/):
# the report generator computes exact percentiles from known per-frame data and
# draws its PNG histograms, and it reads real isochron output: isochron, with the
# veth shim (tests/latency/isochron_shim.c), between two namespaces of this host.
# The campaign in the VM itself is `make lab-latency`, not part of make test.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REPORT=$IT_REPO/tests/latency/report.sh
SHIM=$IT_BUILD/tests/latency/isochron-shim.so

# stats_row DIR RUN METRIC: that run's row of DIR/stats.csv.
stats_row() {
	awk -F, -v r="$2" -v m="$3" '$1 == r && $9 == m' "$1/stats.csv"
}

expect_png() {
	[[ -s $1 ]] || it_fail "no $1"
	[[ $(head -c 8 "$1" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || it_fail "$1 is not a PNG"
}

# Known values, shuffled: frame s has net = s * 1000 + 7 ns, app = 2 * net except
# frames 1-10 (not measured: -1), arrival phase (s * 1000) mod 1 ms, the talker
# late by s * 10 ns, and one frame, 8, late by 3 s (beyond 32 bits); 1003 frames
# were sent, 1000 came.  Nearest rank over n = 1000: p50 is the 500th value, p90
# the 900th, p99 the 990th, p99.9 the 999th.  Over the 990 app values (frames
# 11-1000, app = 2000 s + 14): p50 is rank 495 (s = 505), p90 rank 891 (s = 901),
# p99 rank 981 (s = 991), p99.9 rank 990 (s = 1000).  Late: 10 ns up to 10000 ns
# (s = 1000) without 80 and with 3000000000 at the top: ranks 500, 900, 990, 999
# are 5010, 9010, 9910, 10000.  Class 1's window is
# [0, 250 us): frames 1-249 and 1000 (phase 0), 25.0 %.
test_percentiles_exact() {
	local dir=$IT_DIR/known row
	mkdir -p "$dir/runs"
	echo "schedule=gated load=idle class=1 priority=5 shift_ns=0 window_ns=250000 cycle_ns=1000000 count=1003 frame=128 taprio_base_ns=0 load_pps=0" \
		>"$dir/runs/known.meta"
	{
		echo "seq,net_ns,app_ns,arrival_phase_ns,send_late_ns"
		seq 1 1000 | shuf | awk '{ n = $1 * 1000 + 7
			printf "%d,%d,%d,%d,%s\n", $1, n, $1 <= 10 ? -1 : 2 * n, ($1 * 1000) % 1000000, $1 == 8 ? "3000000000" : $1 * 10 }'
	} >"$dir/runs/known.csv"
	it_run "$REPORT" "$dir"
	((RC == 0)) || it_fail "report.sh failed: $ERR"
	row=$(stats_row "$dir" known net)
	expect_eq "$row" "known,gated,idle,1,0,1003,1000,3,net,1007,500007,900007,990007,999007,1000007,25.0" "net stats"
	row=$(stats_row "$dir" known app)
	expect_eq "$row" "known,gated,idle,1,0,1003,1000,3,app,22014,1010014,1802014,1982014,2000014,2000014,25.0" "app stats"
	row=$(stats_row "$dir" known late)
	expect_eq "$row" "known,gated,idle,1,0,1003,1000,3,late,10,5010,9010,9910,10000,3000000000,25.0" "late stats"
	expect_png "$dir/latency-gated-idle.png"
	expect_match "$(cat "$dir/report.md")" '\| known \| gated \| idle \| 1 \| 0\.0 us \| 1000 \| 3 \| 0 \| 1\.0 \| 500\.0 \| 900\.0 \| 990\.0 \| 999\.0 \| 1000\.0 \| 25\.0 % \|' "report table row"
	expect_match "$(cat "$dir/report.md")" 'does not|nothing about how well PTP' "the caveats"
}

# Negative one-way latencies (a receive stamp before the talker woke up) are
# measurements: counted among the frames, in the percentiles, and shown in the
# table's "below 0" column, not reported as lost.  20 frames sent and received,
# net = (s - 4) * 1000 ns: frames 1-3 below 0, min -3000, p50 (rank 10) 6000.
test_negative_latencies_counted() {
	local dir=$IT_DIR/negative row
	mkdir -p "$dir/runs"
	echo "schedule=gated load=idle class=1 priority=5 shift_ns=0 window_ns=250000 cycle_ns=1000000 count=20 frame=128 taprio_base_ns=0 load_pps=0" \
		>"$dir/runs/neg.meta"
	{
		echo "seq,net_ns,app_ns,arrival_phase_ns,send_late_ns"
		seq 1 20 | awk '{ printf "%d,%d,%d,0,0\n", $1, ($1 - 4) * 1000, 50000 }'
	} >"$dir/runs/neg.csv"
	it_run "$REPORT" "$dir"
	((RC == 0)) || it_fail "report.sh failed: $ERR"
	row=$(stats_row "$dir" neg net)
	expect_eq "$row" "neg,gated,idle,1,0,20,20,0,net,-3000,6000,14000,16000,16000,16000,100.0" "net stats with negatives"
	expect_match "$(cat "$dir/report.md")" '\| neg \| gated \| idle \| 1 \| 0\.0 us \| 20 \| 0 \| 3 \| -3\.0 \| 6\.0 \|' "report row: 3 below 0, none lost"
}

# A real isochron run between the fixture's namespaces (sw:sw0p1 <-> peer:p1):
# isochron needs the shim on veth; the report reads its file.
test_isochron_file() {
	local dir=$IT_DIR/real row rpid sw peer
	command -v isochron >/dev/null || it_fail "isochron is not installed (scripts/install-deps.sh)"
	[[ -x $SHIM ]] || it_fail "$SHIM is not built (make tests-build)"
	sw=$(lab_ns "$IT_NS")
	peer=$(lab_ns "$IT_PEER")
	mkdir -p "$dir/runs"
	ip -n "$sw" -6 addr add 2001:db8:61::1/64 dev sw0p1 nodad
	ip -n "$peer" -6 addr add 2001:db8:61::2/64 dev p1 nodad
	lab_on_cleanup ip -n "$sw" -6 addr del 2001:db8:61::1/64 dev sw0p1
	lab_on_cleanup ip -n "$peer" -6 addr del 2001:db8:61::2/64 dev p1
	LD_PRELOAD=$SHIM ip netns exec "$peer" isochron rcv -i p1 --quiet >"$dir/rcv.log" 2>&1 &
	rpid=$!
	lab_register_pid "$rpid"
	lab_wait_until 5 ip netns exec "$peer" grep -q ':1388 ' /proc/net/tcp6 ||
		it_fail "isochron rcv did not start: $(it_tail "$dir/rcv.log")"
	it_run env LD_PRELOAD="$SHIM" ip netns exec "$sw" isochron send -i sw0p1 --client 2001:db8:61::2 \
		--omit-sync --l4 --ip-destination 2001:db8:61::2 --num-frames 50 --frame-size 128 \
		--cycle-time 1000000 --base-time 0 --shift-time 0 --window-size 250000 --advance-time 1000 \
		--output-file "$dir/runs/real.dat" --quiet
	((RC == 0)) || it_fail "isochron send failed: $(tail -n 3 <<<"$ERR")"
	echo "schedule=none load=idle class=1 priority=0 shift_ns=0 window_ns=250000 cycle_ns=1000000 count=50 frame=128 taprio_base_ns=0 load_pps=0" \
		>"$dir/runs/real.meta"
	it_run "$REPORT" "$dir"
	((RC == 0)) || it_fail "report.sh failed: $ERR"
	row=$(stats_row "$dir" real net)
	# 50 frames, none lost; latencies positive and below a second (a wrong
	# timestamp column or a mangled second would be far off either way).
	expect_match "$row" '^real,none,idle,1,0,50,50,0,net,[0-9]+,' "stats of the isochron run"
	IFS=, read -r _ _ _ _ _ _ _ _ _ mn _ _ _ _ mx _ <<<"$row"
	((mn > 0 && mx < 1000000000)) || it_fail "one-way latencies out of range: min $mn ns, max $mx ns"
	expect_eq "$(($(wc -l <"$dir/csv/real.csv") - 1))" 50 "frames in csv/real.csv"
	expect_png "$dir/latency-none-idle.png"
}

it_main percentiles_exact negative_latencies_counted isochron_file
