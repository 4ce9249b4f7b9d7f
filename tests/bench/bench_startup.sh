#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench_startup.sh [--runs N] [--old REV | --old-build DIR] [--config KIND]
# [--json FILE] —
# how long tsnd takes to be ready: from exec to the first `tsnctl status` that
# answers (programs loaded, ports attached, the control socket served), the
# median of N starts (default 11), with the phases tsnd's own probes report
# ("start-up:" lines at log level info, daemon/core/main.c).
#
# The configuration is representative of a switch: three veth ports with XDP
# (generic), streams of the three identification kinds, a stream filter, a
# bridge over the three ports with static entries, FRER entries, pinned maps.
# --config minimal leaves bridge, FRER and the filter out (KIND: full, minimal).
#
# --old REV builds tsnd and tsnctl of git revision REV in a temporary directory
# and measures both binaries in the same run, starts interleaved, so that both
# see the same load (docs/benchmarks.md, "Start-up"); --old-build DIR takes
# DIR/tsnd and DIR/tsnctl, built before, instead.
# BENCH_KEEP=DIR copies the configuration and every tsnd log to DIR.
# The "harness floor" line: what `ip netns exec` and one tsnctl poll cost alone.
# Needs root (network namespaces, BPF).  Leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
runs=11 old="" old_build="" kind=full json=""
while (($#)); do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--old) old=$2; shift 2 ;;
	--old-build) old_build=$2; shift 2 ;;
	--config) kind=$2; shift 2 ;;
	--json) json=$2; shift 2 ;;
	*) echo "usage: $0 [--runs N] [--old REV | --old-build DIR] [--config full|minimal] [--json FILE]" >&2; exit 2 ;;
	esac
done
[[ $kind == full || $kind == minimal ]] || { echo "bench_startup: --config full or minimal" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench_startup: --runs takes a positive number" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "bench_startup: needs root" >&2; exit 1; }
[[ -x $BUILD/tsnd && -x $BUILD/tsnctl ]] || { echo "bench_startup: $BUILD/tsnd is missing (make all)" >&2; exit 1; }

LAB_PREFIX=tsbs-$$-
. lab/lib.sh
lab_trap
[[ -n ${BENCH_KEEP:-} ]] && trap 'cp -r "$DIR" "$BENCH_KEEP"; lab_cleanup' EXIT
lab_tmpdir_var DIR

# ---- the binaries -------------------------------------------------------------

[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
names=(new) tsnds=("$BUILD/tsnd") ctls=("$BUILD/tsnctl")
if [[ -n $old ]]; then
	rev=$(git rev-parse --short "$old")
	echo "bench_startup: building tsnd $rev in $DIR/old (a few minutes)" >&2
	mkdir "$DIR/old"
	git archive "$rev" | tar -x -C "$DIR/old"
	make -C "$DIR/old" -j2 "BUILD=build" build/tsnd build/tsnctl >"$DIR/old-build.log" 2>&1 ||
		{ tail -20 "$DIR/old-build.log" >&2; exit 1; }
	names+=("old $rev") tsnds+=("$DIR/old/build/tsnd") ctls+=("$DIR/old/build/tsnctl")
elif [[ -n $old_build ]]; then
	names+=(old) tsnds+=("$old_build/tsnd") ctls+=("$old_build/tsnctl")
fi

# ---- the switch -----------------------------------------------------------------

lab_ns_add sw
lab_ns_add peer
for i in 1 2 3; do
	lab_veth sw "bsp$i" peer "bpe$i"
done

cfg=$DIR/tsnd.yaml
cat >"$cfg" <<EOF
daemon:
  log-level: info
  log-target: stderr
  pid-file: ""
  state-dir: $DIR
control:
  socket: $DIR/tsnd.sock
ptp:
  enabled: false
ports:
  - name: bsp1
    xdp: generic
  - name: bsp2
    xdp: generic
  - name: bsp3
    xdp: generic
classification:
  default-priority: 0
  ethertype:
    - { ethertype: 0x88f7, priority: 7 }
dataplane:
  pin-dir: /sys/fs/bpf/${LAB_PREFIX}tsnd
  keep-on-exit: false
streams:
  - { id: 10, name: ctl-a, identification: dst-mac-vlan, dst-mac: "01:1b:19:00:00:10", vlan: 100, priority: 6 }
  - { id: 11, name: ctl-b, identification: src-mac-vlan, src-mac: "02:00:00:00:00:11", priority: 5 }
  - { id: 12, name: ip-a, identification: ipv6, dst: "2001:db8::12", priority: 5$([[ $kind == full ]] && echo ", filter: f1") }
  - { id: 13, name: ip-b, identification: ipv6, dst: "2001:db8::13", dst-port: 4000, next-header: 17, priority: 4 }
EOF
if [[ $kind == full ]]; then
	cat >>"$cfg" <<EOF
flow-meters:
  - { name: m1, cir: 10Mbit, cbs: 16KiB }
stream-filters:
  - { name: f1, max-sdu: 1500, meter: m1 }
bridge:
  name: bsbr$$
  ageing-time: 300
  ports:
    - name: bsp1
    - name: bsp2
    - name: bsp3
  fdb:
    - { mac: "02:00:00:00:00:03", ports: [bsp3] }
    - { mac: "01:1b:19:00:00:20", ports: [bsp2, bsp3] }
frer:
  - stream: ctl-a
    role: generator
    paths:
      - port: bsp2
      - port: bsp3
  - stream: ctl-b
    role: recovery
    algorithm: vector
    history: 16
    reset-timeout: 200ms
    paths:
      - port: bsp1
EOF
	# tsnd removes the bridge it made; this is for a tsnd that was killed.
	br_gone() { ip -n "$(lab_ns sw)" link del "bsbr$$" 2>/dev/null || true; }
	lab_on_cleanup br_gone
fi
"${tsnds[0]}" --check "$cfg" >/dev/null || { echo "bench_startup: the configuration does not check" >&2; exit 1; }

# ---- one start ------------------------------------------------------------------

ns_us() { # microseconds since the epoch
	local t=$EPOCHREALTIME
	echo $((${t%.*} * 1000000 + 10#${t#*.}))
}

# CPU time (microseconds) the live threads of PID have run: the scheduler's
# own sum, so waiting for a CPU on a loaded host does not count.
task_cpu_us() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s / 1000 }'
}

# start_once I LOG: start binary I, wait for its first answer, stop it; prints
# the microseconds from exec to the answer, and the CPU microseconds tsnd used
# until then: its own "start-up cpu: total" (threads that ended included), or
# for a tsnd without the probe (single-threaded) the scheduler's figure.
start_once() {
	local i=$1 log=$2 t0 t1 pid n cpu
	t0=$(ns_us)
	ip netns exec "$(lab_ns sw)" "${tsnds[i]}" -f --stderr -c "$cfg" >"$log" 2>&1 &
	pid=$!
	lab_register_pid "$pid"
	for ((n = 0; n < 20000; n++)); do
		ip netns exec "$(lab_ns sw)" "${ctls[i]}" -s "$DIR/tsnd.sock" status >/dev/null 2>&1 && break
		lab_pid_alive "$pid" || { echo "bench_startup: ${names[i]} exited; log:" >&2; tail "$log" >&2; exit 1; }
	done
	t1=$(ns_us)
	cpu=$(task_cpu_us "$pid")
	lab_stop_pid "$pid" 10 || { echo "bench_startup: ${names[i]} did not stop on SIGTERM" >&2; exit 1; }
	n=$(phases "$log" " cpu" | sed -n 's/^total=\([0-9]*\).*/\1/p')
	echo "$((t1 - t0)) ${n:-$cpu}"
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# The phases of a log's "start-up:" (wall) or "start-up cpu:" line: "name=N"
# pairs in microseconds.
phases() {
	sed -n "s/.*start-up${2-}: \\(.*\\)\$/\\1/p" "$1" | tail -1
}

# phase_medians I ARRAY LABEL: per phase, the median over the runs of binary I.
phase_medians() {
	local i=$1 label=$3 k r vals line="" keys
	local -n logs=$2
	keys=$(for ((r = 0; r < runs; r++)); do tr ' ' '\n' <<<"${logs[$i,$r]}"; done | sed -n 's/=.*//p' | awk '!s[$0]++')
	for k in $keys; do
		vals=$(for ((r = 0; r < runs; r++)); do tr ' ' '\n' <<<"${logs[$i,$r]}"; done | sed -n "s/^$k=//p")
		# shellcheck disable=SC2086
		line+=" $k=$(awk -v u="$(median $vals)" 'BEGIN { printf "%.1f", u / 1000 }')"
	done
	[[ -z $line ]] || echo "  phases, $label (medians):$line"
}

declare -A times=() cpus=() phase_log=() cpu_log=()
start_once 0 "$DIR/warm.log" >/dev/null	# page cache, bpffs mount, BTF
for ((r = 0; r < runs; r++)); do
	for i in "${!names[@]}"; do
		read -r us cpu < <(start_once "$i" "$DIR/run-$i-$r.log")
		times[$i]+="$us "
		cpus[$i]+="$cpu "
		phase_log[$i,$r]=$(phases "$DIR/run-$i-$r.log")
		cpu_log[$i,$r]=$(phases "$DIR/run-$i-$r.log" " cpu")
	done
done

# The floor under every figure above: what the harness itself costs.  A start is
# timed from before `ip netns exec` (a mount namespace, /sys mounted again) and
# ends with a poll that answers; one poll is `ip netns exec` + tsnctl, so a ready
# tsnd is seen up to one poll late.  Measured here against no daemon.
floor_ns=() floor_poll=()
for ((r = 0; r < runs; r++)); do
	t0=$(ns_us)
	ip netns exec "$(lab_ns sw)" true
	t1=$(ns_us)
	ip netns exec "$(lab_ns sw)" "${ctls[0]}" -s "$DIR/none.sock" status >/dev/null 2>&1 || true
	t2=$(ns_us)
	floor_ns+=($((t1 - t0))) floor_poll+=($((t2 - t1)))
done
floor_ns_med=$(median "${floor_ns[@]}") floor_poll_med=$(median "${floor_poll[@]}")
printf 'harness floor: ip netns exec true median %.1f ms; one poll (ip netns exec + tsnctl status, no daemon) median %.1f ms\n' \
	"$(awk -v u="$floor_ns_med" 'BEGIN { print u / 1000 }')" "$(awk -v u="$floor_poll_med" 'BEGIN { print u / 1000 }')"

out=""
for i in "${!names[@]}"; do
	# shellcheck disable=SC2086
	med=$(median ${times[$i]})
	printf 'startup %-12s median %6.1f ms over %d runs (%s ms)\n' "${names[i]}" \
		"$(awk -v u="$med" 'BEGIN { print u / 1000 }')" "$runs" \
		"$(for t in ${times[$i]}; do awk -v u="$t" 'BEGIN { printf "%.0f ", u / 1000 }'; done | sed 's/ $//')"
	# shellcheck disable=SC2086
	cmed=$(median ${cpus[$i]})
	printf '  CPU until ready: median %.1f ms\n' "$(awk -v u="$cmed" 'BEGIN { print u / 1000 }')"
	phase_medians "$i" phase_log "wall ms"
	phase_medians "$i" cpu_log "CPU ms "
	out+="$(printf '{"binary":"%s","config":"%s","runs":%d,"median_us":%d,"cpu_median_us":%d,"runs_us":[%s],"netns_exec_median_us":%d,"poll_median_us":%d}' \
		"${names[i]}" "$kind" "$runs" "$med" "$cmed" "$(sed 's/ $//; s/ /,/g' <<<"${times[$i]}")" \
		"$floor_ns_med" "$floor_poll_med"),"
done
if [[ -n $json ]]; then
	echo "[${out%,}]" >"$json"
fi
