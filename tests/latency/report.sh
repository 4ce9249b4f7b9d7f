#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# report.sh DIR — the report of a latency campaign (make lab-latency): from the
# runs in DIR/runs, write DIR/report.md, DIR/stats.csv, DIR/csv/NAME.csv and PNG
# histograms DIR/NAME-GROUP.png.
#
# Each run is DIR/runs/NAME.meta (one line of key=value words: schedule, load,
# class, shift_ns, window_ns, cycle_ns, period_ns, count, frame, taprio_base_ns,
# load_pps)
# and either DIR/runs/NAME.dat (isochron's output file, read with `isochron
# report`) or, instead, DIR/runs/NAME.csv already in the per-frame form below
# (tests/integration/test_latency_report.sh feeds known values that way).
#
# Per frame (DIR/csv/NAME.csv, all in ns):
#   seq,net_ns,app_ns,arrival_phase_ns,send_late_ns
#   net_ns    one-way latency: the listener's RX software timestamp (isochron's r)
#             minus the moment the talker's isochron woke up to send the frame (w),
#             right before its sendmsg()
#   app_ns    application to application: the listener's isochron had the frame
#             (a) minus w
#   arrival_phase_ns  (r - taprio base time) mod cycle: where in the gate cycle the
#             frame came through (the base is 0 without a schedule: isochron's own
#             grid, multiples of the cycle)
#   send_late_ns  w minus the scheduled send time (S): how late the talker sent
# Frames isochron recorded no RX timestamp for are lost; they are counted, not listed.
# The talker socket's TX timestamps (isochron's s and t) are not used: in this lab
# the frame keeps its socket reference across veth, so the switch's egress stamps
# it again, and the stamp isochron keeps is the switch's, not the talker's.
#
# Percentiles are nearest-rank: the value at rank ceil(p * n) of the n values
# sorted ascending, computed in integers, so they are exact.
set -euo pipefail

die() {
	echo "latency report: $*" >&2
	exit 1
}

DIR=${1:?usage: report.sh DIR}
[[ -d $DIR/runs ]] || die "$DIR/runs: no such directory"
command -v gnuplot >/dev/null || die "gnuplot is missing (package gnuplot-nox; scripts/install-deps.sh installs it)"
mkdir -p "$DIR/csv"

meta() {
	# meta NAME KEY: a value of the run's meta line.
	tr ' ' '\n' <"$DIR/runs/$1.meta" | sed -n "s/^$2=//p" | head -n1
}

# per_frame NAME: isochron.dat -> DIR/csv/NAME.csv.  isochron prints times as
# sec.nsec (%T); awk's doubles cannot hold 64-bit nanoseconds exactly, so every
# time is taken relative to the first frame's scheduled second.
per_frame() {
	local name=$1 base cycle
	base=$(meta "$name" taprio_base_ns)
	cycle=$(meta "$name" cycle_ns)
	command -v isochron >/dev/null || die "isochron is missing (package isochron; scripts/install-deps.sh installs it)"
	isochron report -F "$DIR/runs/$name.dat" --printf-format "%u %T %T %T %T %T %T\n" \
		--printf-args "qSwstra" |
		awk -v base="${base:-0}" -v cycle="$cycle" -v out="$DIR/csv/$name.csv" -v name="$name" '
		function rel(ts,   p) {	# "sec.nsec" -> ns since sec0 (exact in a double)
			split(ts, p, ".")
			if (p[1] + 0 == 0 && p[2] + 0 == 0)
				return "none"
			return (p[1] - sec0) * 1000000000 + p[2]
		}
		function mod(a, m) { a = a % m; return a < 0 ? a + m : a }
		BEGIN { print "seq,net_ns,app_ns,arrival_phase_ns,send_late_ns" > out; abs = out; sub(/\.csv$/, ".rabs", abs) }
		NR == 1 {
			split($2, s0, "."); sec0 = s0[1]
			# the base time relative to sec0, from its decimal digits
			bsec = length(base) > 9 ? substr(base, 1, length(base) - 9) : 0
			bns = length(base) > 9 ? substr(base, length(base) - 8) : base
			brel = (bsec - sec0) * 1000000000 + bns
		}
		{
			S = rel($2); w = rel($3); r = rel($6); a = rel($7)
			if (r == "none") { lost++; next }
			# the RX stamp in us of its clock, for the kernel trace (trace_where)
			printf "%d %.0f\n", $1, sec0 * 1000000 + int(r / 1000) > abs
			if (w == "none") { nowake++; next }
			# %.0f: mawk clamps %d to 32 bits
			printf "%d,%.0f,%.0f,%.0f,%.0f\n", $1, r - w, a == "none" ? -1 : a - w, mod(r - brel, cycle), w - S > out
		}
		END {
			if (nowake)
				printf "%s: %d frames without a wake-up time left out\n", name, nowake > "/dev/stderr"
		}'
}

# stats CSV COLUMN [all]: "count min p50 p90 p99 p99.9 max negative" of that
# column (1-based).  Without "all", values below 0 mean "not measured" (app: the
# listener's isochron had no arrival time) and are left out; with it (net, late)
# every value counts and "negative" says how many were below 0: a net latency
# below 0 is a receive stamp before the talker woke up, which the report shows
# rather than hides.
stats() {
	tail -n +2 "$1" | cut -d, -f"$2" | awk -v all="${3:-}" 'all == "all" || $1 >= 0' | sort -n | awk '
		{ v[NR] = $1; neg += $1 < 0 }
		function rank(pm) { return int((pm * NR + 999) / 1000) }	# ceil(pm/1000 * n)
		END {
			if (NR == 0) { print "0 - - - - - - 0"; exit }
			print NR, v[1], v[rank(500)], v[rank(900)], v[rank(990)], v[rank(999)], v[NR], neg + 0
		}'
}

# in_window CSV FROM TO: per mille of frames whose arrival phase is in [FROM, TO).
in_window() {
	tail -n +2 "$1" | awk -F, -v lo="$2" -v hi="$3" '
		{ n++; if ($4 >= lo && $4 < hi) k++ }
		END { printf "%.1f\n", n ? 100 * k / n : 0 }'
}

us() {
	# ns -> microseconds with one decimal ("-" stays "-")
	[[ $1 == - ]] && { echo -; return; }
	awk -v v="$1" 'BEGIN { printf "%.1f", v / 1000 }'
}

# The runs in the order of the campaign: ungated before gated, idle before load,
# class 1 before class 0, then by send time.
names=()
for f in "$DIR"/runs/*.meta; do
	[[ -e $f ]] || die "no runs in $DIR/runs"
	n=${f##*/}
	names+=("${n%.meta}")
done
mapfile -t names < <(for n in "${names[@]}"; do
	printf '%s %s %s %s %012d %s\n' "$([[ $(meta "$n" schedule) == gated ]] && echo 1 || echo 0)" \
		"$([[ $(meta "$n" load) == load ]] && echo 1 || echo 0)" "$((1 - $(meta "$n" class)))" \
		"$(meta "$n" class)" "$(meta "$n" shift_ns)" "$n"
done | sort | awk '{ print $NF }')

for n in "${names[@]}"; do
	if [[ -f $DIR/runs/$n.dat ]]; then
		per_frame "$n"
	elif [[ -f $DIR/runs/$n.csv ]]; then
		cp "$DIR/runs/$n.csv" "$DIR/csv/$n.csv"
	else
		die "run $n has neither $n.dat nor $n.csv"
	fi
done

# ---- where the frames were stamped (the kernel trace) -----------------------------
# trace_where NAME: if the VM traced the run (runs/NAME.trace, latency.sh's
# trace_end), join it with isochron's frames and print one line:
#   "traced joined bypass nodeq out out_deq out_drv out_rx out_stamp dstamp_p50 dstamp_max tai_off_s overrun"
# Each frame is joined by time (below): the last frame sw0p2 sent before its RX
# stamp, and the listener's first netif_rx after that.  Per frame: the times (us, CLOCK_TAI) it met
# sw0p2's qdisc (net_dev_queue), left it (qdisc_dequeue), entered veth_xmit
# (net_dev_start_xmit), was queued by the listener (netif_rx), and isochron's RX
# stamp r.  bypass: no net_dev_queue (the frame never met the qdisc); nodeq: met
# it, but no dequeue event.  For the frames whose r lies outside their class's
# window: where the first stage outside the window was (out_deq: taprio let it
# out after the window had closed; out_drv: the driver; out_rx: the listener's
# netif_rx; out_stamp: everything in the window but r).  dstamp: r - netif_rx.
# Also writes csv/NAME.trace.csv with the per-frame phases.
trace_where() {
	local n=$1 base cycle lo hi bmod
	[[ -s $DIR/runs/$n.trace && -s $DIR/csv/$n.rabs ]] || return 0
	base=$(meta "$n" taprio_base_ns)
	cycle=$(meta "$n" cycle_ns)
	if [[ $(meta "$n" class) == 1 ]]; then
		lo=0 hi=$(meta "$n" window_ns)
	else
		lo=$((cycle - $(meta "$n" window_ns))) hi=$cycle
	fi
	bmod=$((${base:-0} % 1000000 / 1000))	# base mod 1 ms, in us (the cycle is 1 ms)
	sort -k2,2n "$DIR/csv/$n.rabs" | awk -v tr="$DIR/runs/$n.trace" -v out="$DIR/csv/$n.trace.csv" \
		-v bmod="$bmod" -v cyc="$((cycle / 1000))" -v lo="$((lo / 1000))" -v hi="$((hi / 1000))" '
		function ph(t,   a) { a = (t - bmod) % cyc; return a < 0 ? a + cyc : a }
		function inw(t) { return t >= 0 && ph(t) >= lo && ph(t) < hi }
		BEGIN {
			while ((getline l < tr) > 0) {
				split(l, f, " ")
				if (f[1] == "x") { nx++; q[nx] = f[2]; d[nx] = f[3]; dc[nx] = f[4]; x[nx] = f[5] }
				else if (f[1] == "r") { nr++; rx[nr] = f[2] }
				else if (f[1] == "m") off = f[2] - f[3]
				else if (f[1] == "o") overrun = f[2]
			}
			# CLOCK_TAI - CLOCK_REALTIME: whole seconds (the marker pair is
			# written microseconds apart)
			offs = int((off + (off < 0 ? -500000 : 500000)) / 1000000)
			print "seq,r_phase_us,rx_phase_us,xmit_phase_us,dequeue_phase_us,queued_phase_us,r_minus_rx_us" > out
			i = 1; j = 1
		}
		# Frames in the order of their RX stamps; each is the last frame sw0p2
		# sent before its stamp (isochron sends one per 10 ms, control frames
		# are few), and the listener queued it at the first netif_rx after that
		# (the same call chain).  netif_rx events of the talker eth0 (same name)
		# are passed over that way.
		{
			seq = $1; r = $2 + offs * 1000000
			while (i < nx && x[i + 1] <= r + 1) i++
			if (nx == 0 || x[i] > r + 1) next
			while (j <= nr && rx[j] < x[i]) j++
			if (j > nr || rx[j] - x[i] > 1000) next
			joined++
			k = i; rr = rx[j]
			dq = d[k] >= 0 ? d[k] : dc[k]
			if (q[k] < 0) bypass++
			else if (d[k] < 0) nodeq++
			ds[joined] = r - rr
			if (dq >= 0) { ndq++; if (inw(dq)) indq++ }
			printf "%d,%d,%d,%d,%d,%d,%d\n", seq, ph(r), ph(rr), ph(x[k]), (dq >= 0 ? ph(dq) : -1),
				(q[k] >= 0 ? ph(q[k]) : -1), r - rr > out
			if (inw(r)) next
			out_n++
			if (q[k] < 0) out_none++
			else if (dq < 0) out_none++
			else if (!inw(dq)) { out_deq++; if (d[k] < 0) out_deq_cpu++ }
			else if (!inw(x[k])) out_drv++
			else if (!inw(rr)) out_rx++
			else out_stamp++
		}
		END {
			m = asort_n(ds, joined)
			printf "%d %d %d %d %d %d/%d %d %d %d %d %s %s %d %d %s\n", nx, joined, bypass, nodeq, out_n,
				out_deq, out_deq_cpu, out_drv, out_rx, out_stamp, out_none,
				joined ? ds[int((joined + 1) / 2)] : "-", joined ? ds[joined] : "-", offs, overrun,
				ndq ? sprintf("%.1f %%", 100 * indq / ndq) : "-"
		}
		function asort_n(a, k,   i, j, t) {	# insertion sort, k values
			for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
			return k
		}'
}

# ---- statistics -------------------------------------------------------------------
echo "run,schedule,load,class,shift_ns,count,received,lost,metric,min_ns,p50_ns,p90_ns,p99_ns,p99.9_ns,max_ns,in_window_pct" >"$DIR/stats.csv"
declare -A NET APP LATE INWIN WHERE
for n in "${names[@]}"; do
	NET[$n]=$(stats "$DIR/csv/$n.csv" 2 all)
	APP[$n]=$(stats "$DIR/csv/$n.csv" 3)
	LATE[$n]=$(stats "$DIR/csv/$n.csv" 5 all)
	# Without a schedule the same share is the control: what arrival times
	# that nothing gates score against the windows.
	if [[ $(meta "$n" class) == 1 ]]; then
		win=$(in_window "$DIR/csv/$n.csv" 0 "$(meta "$n" window_ns)")
	else
		win=$(in_window "$DIR/csv/$n.csv" "$(($(meta "$n" cycle_ns) - $(meta "$n" window_ns)))" "$(meta "$n" cycle_ns)")
	fi
	INWIN[$n]=$win
	WHERE[$n]=$(trace_where "$n")
	received=$(($(wc -l <"$DIR/csv/$n.csv") - 1))
	for metric in net app late; do
		case $metric in
		net) s=${NET[$n]} ;;
		app) s=${APP[$n]} ;;
		late) s=${LATE[$n]} ;;
		esac
		read -r _ mn p50 p90 p99 p999 mx _ <<<"$s"
		echo "$n,$(meta "$n" schedule),$(meta "$n" load),$(meta "$n" class),$(meta "$n" shift_ns),$(meta "$n" count),$received,$(($(meta "$n" count) - received)),$metric,$mn,$p50,$p90,$p99,$p999,$mx,$win" >>"$DIR/stats.csv"
	done
done

# ---- histograms ---------------------------------------------------------------------
# One PNG per group of runs (same schedule and load), one curve per run: the share
# of frames per bin of one-way latency.  Bins are logarithmic, ten a decade, on a
# logarithmic axis: the body (hundreds of microseconds) and the emulation's tail
# (tens of milliseconds) both stay readable.
declare -A RUN_GROUPS=()
for n in "${names[@]}"; do
	RUN_GROUPS["$(meta "$n" schedule)-$(meta "$n" load)"]+=" $n"
done
mkdir -p "$DIR/plot"
for g in "${!RUN_GROUPS[@]}"; do
	read -ra members <<<"${RUN_GROUPS[$g]}"
	plots=()
	for n in "${members[@]}"; do
		tail -n +2 "$DIR/csv/$n.csv" | awk -F, '
			$2 > 0 { k = int(10 * log($2 / 1000) / log(10) + 1000) - 1000; c[k]++; n++ }
			END { for (k in c) printf "%g %g\n", 10 ^ (k / 10), 100 * c[k] / n }' |
			sort -g >"$DIR/plot/$n.hist"
		plots+=("'$DIR/plot/$n.hist' using 1:2 with steps lw 2 title '$n'")
	done
	(
		IFS=,
		gnuplot <<GP
set terminal pngcairo size 900,500 font "sans,10"
set output '$DIR/latency-$g.png'
set title "One-way latency through the switch ($g): talker's send to listener's RX stamp, QEMU/TCG"
set xlabel "latency (us), logarithmic bins, ten per decade"
set ylabel "frames (%)"
set logscale x
set logscale y
set yrange [0.05:100]
set grid
set key top right
plot ${plots[*]}
GP
	) || die "gnuplot failed for $g"
done

# ---- report ---------------------------------------------------------------------------
method() {
	cat <<'TXT'
## Method

- The kernel lab's VM (Debian's 6.1 kernel under QEMU with TCG, 2 vCPUs; docs/kernel-lab.md)
  runs the demo's topology: talker, switch (tsnd, XDP data plane in generic mode, egress port
  sw0p2 with or without configs/demo.yaml's gate schedule: 1 ms cycle, class 1 open 0-250 us,
  class 0 open 250-1000 us, class 2 always), listener, and loader, a second talker behind its
  own switch port.
- `isochron send` in talker sends one UDP frame every 10 ms (every tenth gate cycle: under
  emulation the VM cannot keep up with one a millisecond) to `isochron rcv` in listener,
  scheduled on a grid of multiples of the gate cycle (the schedule's base time is such a
  multiple too), at the start of its class's window (*sent at*), waking 1 us before,
  SCHED_FIFO.
  tsnd identifies the frames as a stream (UDP port 6000) whose priority puts them in class 1
  or class 0 on sw0p2.  The "late" run sends class 1 while its gate is closed (at 500 us);
  the "early" run 400 us before its window opens (at 600 us), so that a talker that wakes up
  late still reaches the gate before it opens.
- Load: loader floods 1000-byte best-effort (class 0) datagrams towards the listener through
  sw0p2, back to back at the lowest CPU priority (nice 19); the rate that reached the switch
  is in the table.
- isochron runs with `--omit-sync` and software timestamps; an LD_PRELOAD shim
  (tests/latency/isochron_shim.c) lets it start on veth, which has no hardware timestamping
  and no PTP hardware clock.  No ptp4l runs; nothing steers the clock.
- The isochron.dat files come out of the VM over its serial console (gzip, base64); the host
  reads them with `isochron report` and computes everything here.

## What this shows, and what it does not

- **Absolute figures are inflated by emulation.**  Under QEMU/TCG every instruction is
  translated, timers fire late and a vCPU can stall for milliseconds; on a host
  busy with other work more so.  Compare runs with each other (gated vs. open, idle vs.
  load, aligned vs. late), not with a hardware switch.
- **A shared clock makes one-way latency exact, and proves nothing about synchronisation.**
  All namespaces read the one system clock of the VM, so a send and a receive timestamp need
  no synchronisation: their difference is the one-way latency, exact up to the clock's
  reading granularity.  This says nothing about how well PTP would synchronise separate
  devices, nothing about hardware timestamping (veth has none: these are the kernel's
  software timestamps), and nothing about propagation over a real link (veth has none).
- **Software timestamps include the stack.**  The start is isochron's own clock reading
  right before it sends, the end the RX stamp the listener's kernel takes when the frame
  comes in; the talker's whole send path is inside, and so is the kernel's scheduling noise:
  under emulation a vCPU stall anywhere on the way shows up as latency.  The talker
  socket's TX timestamps are not used: the frame keeps its socket reference across veth, so
  the switch's egress port stamps it again and isochron keeps that stamp (observed: its
  "driver" TX stamp lay within microseconds of the listener's RX stamp even for frames that
  had waited milliseconds).
- The gate is software taprio on veth: it decides when a frame is dequeued, which is what
  *in window* checks; there is no transmission time on the wire to account for.
TXT
}

{
	echo "# One-way latency through tsnd's switch (isochron, kernel lab)"
	echo
	echo "Generated by tests/latency/report.sh from the runs in \`runs/\`."
	[[ -f $DIR/environment.txt ]] && { echo; sed 's/^/    /' "$DIR/environment.txt"; }
	echo
	echo "## Results"
	echo
	echo "One-way latency (net): the listener's RX software timestamp minus the moment the"
	echo "talker's isochron woke up to send the frame (right before sendmsg), per frame;"
	echo "microseconds.  *sent at*: where in the 1 ms gate cycle isochron was scheduled to"
	echo "send (class 1's window is 0-250 us, class 0's 250-1000 us).  *in window*: share of"
	echo "frames that came through the switch inside their class's window; without a"
	echo "schedule the same share is the control (isochron's grid stands in for the cycle)."
	echo
	echo "| run | schedule | load | class | sent at | frames | lost | below 0 | min | p50 | p90 | p99 | p99.9 | max | in window |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for n in "${names[@]}"; do
		read -r cnt mn p50 p90 p99 p999 mx neg <<<"${NET[$n]}"
		lp=$(meta "$n" load_pps)
		load=$(meta "$n" load)
		[[ $load == load && -n $lp && $lp != 0 ]] && load="load ($lp/s)"
		win="${INWIN[$n]} %"
		echo "| $n | $(meta "$n" schedule) | $load | $(meta "$n" class) | $(us "$(meta "$n" shift_ns)") us | $cnt | $(($(meta "$n" count) - cnt)) | $neg | $(us "$mn") | $(us "$p50") | $(us "$p90") | $(us "$p99") | $(us "$p999") | $(us "$mx") | $win |"
	done
	echo
	echo "Did the talker keep its schedule?  *late*: its wake-up minus the scheduled send"
	echo "time (a frame sent late is not sent at its place in the gate cycle).  *app*:"
	echo "application to application, the listener's isochron has the frame minus the"
	echo "talker's wake-up.  Microseconds."
	echo
	echo "| run | late p50 | late p99 | late max | app p50 | app p90 | app p99 | app max |"
	echo "|---|---|---|---|---|---|---|---|"
	for n in "${names[@]}"; do
		read -r _ _ lp50 _ lp99 _ lmx <<<"${LATE[$n]}"
		read -r _ _ ap50 ap90 ap99 _ amx <<<"${APP[$n]}"
		echo "| $n | $(us "$lp50") | $(us "$lp99") | $(us "$lmx") | $(us "$ap50") | $(us "$ap90") | $(us "$ap99") | $(us "$amx") |"
	done
	echo
	if [[ -n ${WHERE[*]} ]]; then
		echo "## Where the frames outside their window were (kernel trace)"
		echo
		echo "The VM traced each frame's way out of the switch with the kernel's tracepoints"
		echo "(tests/kernel-lab/guest/latency.sh): sw0p2's qdisc took it (net_dev_queue) and let"
		echo "it out (qdisc_dequeue), veth started to send it (net_dev_start_xmit), the listener"
		echo "queued it (netif_rx, right after the RX stamp).  *bypass*: frames that never met"
		echo "sw0p2's qdisc.  For the frames whose RX stamp lies outside their window, the first"
		echo "stage that was already outside: *dequeue* (taprio let the frame out after its window"
		echo "had closed; A/B: B of the A judged by the last dequeue on the CPU, the frame's own"
		echo "having no event, as in a bulk dequeue), *driver*, *netif_rx*, *stamp* (every stage inside, only the RX stamp"
		echo "outside); *no event*: no dequeue event to judge by.  *r - netif_rx*: isochron's RX"
		echo "stamp minus the trace's netif_rx, microseconds (median, max).  *in window at"
		echo "dequeue*: the share of the joined frames taprio let out inside their window (the"
		echo "gate's own decision, without the way to the listener)."
		echo
		echo "| run | traced | joined | no qdisc | outside window | dequeue | driver | netif_rx | stamp | no event | r - netif_rx p50 | max | in window at dequeue |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		for n in "${names[@]}"; do
			[[ -n ${WHERE[$n]} ]] || continue
			read -r tr jn bp _nd on od odrv orx ost onone dsp dsm _off ovr indq <<<"${WHERE[$n]}"
			((ovr == 0)) || tr+=" ($ovr events lost)"
			echo "| $n | $tr | $jn | $bp | $on | $od | $odrv | $orx | $ost | $onone | $dsp | $dsm | $indq |"
		done
		echo
	fi
	echo "## Histograms"
	echo
	for g in $(printf '%s\n' "${!RUN_GROUPS[@]}" | sort); do
		echo "![$g](latency-$g.png)"
		echo
	done
	echo "Per-frame data: \`csv/NAME.csv\`; the figures above: \`stats.csv\` (ns)."
	echo
	method
} >"$DIR/report.md"
echo "latency report: $DIR/report.md"
