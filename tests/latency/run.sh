#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# run.sh [--count N] [--out DIR] — `make lab-latency`: one-way latency runs with
# isochron through the demo's switch, inside the kernel lab (the VM's kernel has
# taprio), then a report on this host.
#
#   --count N   frames per run, one every 10 ms (default 1000)
#   --out DIR   where the report goes (default tests/out/latency/YYYYmmdd-HHMMSS,
#               with tests/out/latency/latest pointing at it)
#
# Steps: tests/kernel-lab/run.sh --latency boots the VM with lab.mode=latency
# (tests/kernel-lab/guest/latency.sh runs the campaign and prints each run's
# isochron.dat on the console, gzipped and base64-encoded, between markers); this
# script cuts them out of the console log into DIR/runs/, and tests/latency/report.sh
# writes DIR/report.md with the tables, the PNG histograms and the caveats.
# The VM runs under the kernel lab's lock (/tmp/tsnd-lab.lock): one VM at a time.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
count=1000
out=""
while (($#)); do
	case $1 in
	--count) count=$2; shift ;;
	--out) out=$2; shift ;;
	-h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "lab-latency: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if ! [[ $count =~ ^[0-9]+$ ]] || ((count < 10 || count > 3000)); then
	echo "lab-latency: --count must be 10..3000 (the VM's run must stay bounded)" >&2
	exit 2
fi

die() {
	echo "lab-latency: $*" >&2
	exit 1
}

for c in isochron gnuplot qemu-system-x86_64 base64 gzip; do
	command -v "$c" >/dev/null || die "$c is missing (scripts/install-deps.sh installs it: make deps)"
done
[[ -x ${TSN_BUILD:-$REPO/build}/tests/latency/isochron-shim.so ]] ||
	die "the isochron shim is not built (make lab-build)"

if [[ -z $out ]]; then
	out=$REPO/tests/out/latency/$(date -u +%Y%m%d-%H%M%S)
	link=true
else
	link=false
fi
mkdir -p "$out/runs"
log=$out/console.log

echo "lab-latency: $count frames per run; console in ${log#"$REPO"/}"
rc=0
# 10 runs of COUNT frames 10 ms apart, half as much again for emulation, plus
# boot and set-up (the default 1000 frames took 165 s); at least the lab's usual
# limit of 540 s; 900 s: the data plane alone loads for 15 s and more on a busy host.
timeout_s=$((180 + count * 10 * 10 * 3 / 2 / 1000))
((timeout_s >= 900)) || timeout_s=900
flock /tmp/tsnd-lab.lock "$REPO/tests/kernel-lab/run.sh" --latency --log "$log" \
	--append "lab.latency_count=$count no_hash_pointers" --timeout "$timeout_s" | tee "$out/lab.out" || rc=$?

# Cut the runs out of the console: LAB LATENCY-META NAME k=v... and the base64
# between LAB LATENCY-DATA NAME BEGIN / END.
tr -d '\r' <"$log" | awk -v dir="$out/runs" '
	$1 == "LAB" && $2 == "LATENCY-META" {
		f = dir "/" $3 ".meta"; line = ""
		for (i = 4; i <= NF; i++) line = line (i > 4 ? " " : "") $i
		print line > f; close(f); next
	}
	$1 == "LAB" && $2 == "LATENCY-DATA" && $4 == "BEGIN" { f = dir "/" $3 ".b64"; printf "" > f; inb = 1; next }
	$1 == "LAB" && $2 == "LATENCY-DATA" && $4 == "END" { close(f); inb = 0; next }
	inb && /^[A-Za-z0-9+\/=]+$/ { print > f }'
runs=0
for b in "$out"/runs/*.trace.b64; do	# the per-frame kernel trace, if any
	[[ -e $b ]] || break
	base64 -d <"$b" | gunzip >"${b%.b64}" || echo "lab-latency: ${b##*/}: corrupt on the console; trace left out" >&2
	rm -f "$b"
done
for b in "$out"/runs/*.b64; do
	[[ -e $b ]] || break
	if base64 -d <"$b" | gunzip >"${b%.b64}.dat"; then
		runs=$((runs + 1))
		rm -f "$b"
	else
		echo "lab-latency: ${b##*/}: corrupt on the console; run left out" >&2
		rm -f "$b" "${b%.b64}.dat" "${b%.b64}.meta"
	fi
done
# A meta line without data (the run failed before printing it) is no run.
for m in "$out"/runs/*.meta; do
	[[ -e $m && ! -e ${m%.meta}.dat ]] && rm -f "$m"
done
((runs > 0)) || die "no run came out of the VM (exit status $rc); console: $log"

{
	echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "guest:   $(sed -n 's/^LAB BOOT .*kernel \([^ ]*\).*/Linux \1/p' "$log" | tr -d '\r' | head -n1) under QEMU/TCG, 2 vCPUs ($(qemu-system-x86_64 --version | head -n1))"
	echo "host:    $(nproc) cores, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (shared with other work)"
	echo "isochron $(dpkg-query -W -f='${Version}' isochron 2>/dev/null || echo '?'), $count frames per run"
	echo "lab:     $(grep -E '^kernel-lab: [0-9]+ passed' "$out/lab.out" | head -n1)"
} >"$out/environment.txt"

"$REPO/tests/latency/report.sh" "$out"
if $link; then
	ln -sfn "$(basename "$out")" "$REPO/tests/out/latency/latest"
	echo "lab-latency: report in tests/out/latency/latest/report.md"
fi
((rc == 0)) || die "some runs failed in the VM (see above); the report holds the ones that ran"
