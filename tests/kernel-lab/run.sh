#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# run.sh [OPTIONS] [TEST...] — boot Debian's stock kernel under QEMU/TCG with the
# lab's initramfs, run guest tests in it, and report them like the integration
# tests: one `PASS name` or `FAIL name: reason` line per test, then a summary.
#
#   TEST...            guest/tests/test_TEST.sh to run (default: all of them)
#   --bench            run guest/bench.sh instead (make bench)
#   --latency          run guest/latency.sh instead (make lab-latency)
#   --timeout SECONDS  stop the VM after this long (default 2400: the lab must stay
#                      under 15 minutes on a quiet machine; the rest is room
#                      for a loaded one)
#   --log FILE         the whole console (default tests/out/kernel-lab.log)
#   --append ARGS      more kernel command line
#   --shell            no tests: an interactive shell in the VM on this terminal
#                      (poweroff -f or Ctrl-A X leaves)
#
# Exit status: 0 only if the guest ran to the end (`LAB DONE`), reported at least
# one result and no failure.  Environment: see common.sh (TSN_LAB_CACHE, ...).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mode=tests
timeout_s=${TSN_LAB_TIMEOUT:-2400}
log=$KL_REPO/tests/out/kernel-lab.log
extra_append=""
tests=()
while (($#)); do
	case $1 in
	--bench) mode=bench ;;
	--latency) mode=latency ;;
	--shell) mode=shell ;;
	--timeout) timeout_s=$2; shift ;;
	--log) log=$2; shift ;;
	--append) extra_append=$2; shift ;;
	-h | --help) sed -n "2,17p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) kl_die "unknown option $1 (see --help)" ;;
	*) tests+=("$1") ;;
	esac
	shift
done

# All tests: smoke first (when the lab itself is broken, that says so first).
if [[ $mode == tests && ${#tests[@]} -eq 0 ]]; then
	tests=(smoke)
	for f in "$KL_DIR"/guest/tests/test_*.sh; do
		f=${f##*/test_}
		[[ ${f%.sh} == smoke ]] || tests+=("${f%.sh}")
	done
fi
for t in "${tests[@]}"; do
	[[ -f $KL_DIR/guest/tests/test_$t.sh ]] || kl_die "no lab test $t (tests/kernel-lab/guest/tests/test_$t.sh)"
done

command -v qemu-system-x86_64 >/dev/null ||
	kl_die "qemu-system-x86_64 is missing (package qemu-system-x86; scripts/install-deps.sh installs it)"

start_ms=$(kl_now_ms)
kernel_dir=$("$KL_DIR/fetch.sh")
initrd=$("$KL_DIR/build-initramfs.sh" "$kernel_dir")
prep_ms=$(($(kl_now_ms) - start_ms))
echo "kernel-lab: kernel $(basename "$kernel_dir"), initramfs $(($(stat -c %s "$initrd") / 1048576)) MiB, ready in $((prep_ms / 1000)).$((prep_ms % 1000 / 100)) s"

append="console=ttyS0 panic=-1 quiet loglevel=3 mitigations=off lab.mode=$mode"
((${#tests[@]})) && append+=" lab.tests=$(IFS=,; echo "${tests[*]}")"
[[ -n $extra_append ]] && append+=" $extra_append"

QEMU_ARGS=(-accel tcg -cpu max -smp 2 -m 1024
	-nodefaults -no-user-config -display none -no-reboot
	-kernel "$kernel_dir/vmlinuz" -initrd "$initrd" -append "$append")

if [[ $mode == shell ]]; then
	exec qemu-system-x86_64 "${QEMU_ARGS[@]}" -serial mon:stdio
fi

mkdir -p "$(dirname "$log")"
: >"$log"
passed=0 failed=0 done=false boot_ms=""
boot_start_ms=$(kl_now_ms)

# The console is read as it comes, so results appear while the VM runs.  QEMU
# exits when the guest powers off (or panics: panic=-1 with -no-reboot).
while IFS= read -r line; do
	line=${line%$'\r'}
	printf '%s\n' "$line" >>"$log"
	case $line in
	"LAB BOOT "*)
		boot_ms=$(($(kl_now_ms) - boot_start_ms))
		echo "kernel-lab: booted in $((boot_ms / 1000)).$((boot_ms % 1000 / 100)) s (${line#LAB BOOT })"
		;;
	"LAB PASS "*)
		echo "PASS ${line#LAB PASS }"
		passed=$((passed + 1))
		;;
	"LAB FAIL "*)
		echo "FAIL ${line#LAB FAIL }"
		failed=$((failed + 1))
		;;
	"LAB DATA "* | "LAB INFO "*)
		echo "      ${line#LAB }"
		;;
	"LAB TIME "*)
		echo "      test_${line#LAB TIME }"
		;;
	"LAB DONE"*) done=true ;;
	esac
done < <(timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 "${QEMU_ARGS[@]}" \
	-serial stdio -monitor none </dev/null 2>&1; echo "LAB QEMU-EXIT $?")

qemu_rc=$(sed -n 's/^LAB QEMU-EXIT //p' "$log" | tail -n1)
total_ms=$(($(kl_now_ms) - start_ms))
if ! $done; then
	case ${qemu_rc:-?} in
	124 | 137) why="timed out after ${timeout_s}s" ;;
	*) why="QEMU exited with status ${qemu_rc:-?}" ;;
	esac
	echo "FAIL kernel-lab: the guest did not finish ($why); console: $log"
	tail -n 15 "$log" | sed 's/^/    | /'
	failed=$((failed + 1))
elif ((passed + failed == 0)); then
	echo "FAIL kernel-lab: the guest reported no result; console: $log"
	failed=$((failed + 1))
fi
echo "kernel-lab: $passed passed, $failed failed; boot ${boot_ms:-?} ms, total $((total_ms / 1000)).$((total_ms % 1000 / 100)) s; console in ${log#"$KL_REPO"/}"
((failed == 0))
