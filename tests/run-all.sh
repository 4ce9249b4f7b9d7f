#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# run-all.sh [--unit-only | --only BINARY... | --integration [NAME...]] — run every
# test of tsnd and print one verdict.
#
# --integration [NAME...]: just the integration scripts (step 4), or those named
# (test_txn test_ptp ...), with the pooling below; for trying a change of step 4.
#
# --only BINARY...: just these CUnit binaries, once each, with nothing around them
# (no sanitizer build, valgrind, fuzz, integration or lab): `make check` runs the
# unit tests that need no root this way.
#
#   0. spdx:     every source file has its SPDX line (scripts/spdx.sh --check)
#   1. unit:     each CUnit binary ${TSN_BUILD:-build}/tests/test_*, UNIT_JOBS
#                (default 2) at a time
#   2. asan:     the same set from build/asan/tests/ when that build exists, as many
#                at a time
#   3. valgrind: each unit binary once under valgrind (one test per binary: no
#                memory error, no definite leak), VALGRIND_JOBS (default 2) at a
#                time; tests/valgrind.supp silences
#                what valgrind misreads inside libbpf's bpf(2) and netlink calls
#   4. integration: tests/integration/test_*.sh and tests/cnc/test_*.sh (skipped
#                with --unit-only); those in INTEGRATION_POOLED (checked not to
#                interfere) INTEGRATION_JOBS (default 2) at a time after the others,
#                which run alone; INTEGRATION_JOBS=1 runs every one alone
#   4a. fuzz:    each libFuzzer target in BUILD/fuzz for a fixed number of runs
#                (tests/fuzz/run.sh; `make fuzz` runs them longer); one test each
#   5. kernel lab: tests/kernel-lab/run.sh boots Debian's stock kernel under
#                QEMU/TCG and runs the guest tests (taprio and what else the host
#                kernel lacks); each guest test counts as one test; a lab that
#                cannot run is a failure (skipped with --unit-only)
#
# A CUnit binary counts the tests of its "Run Summary" row; one that crashes, times
# out or exits non-zero without a summary (or fails after it, as LeakSanitizer does)
# counts one failure more.  An integration script counts its own `PASS name` and
# `FAIL name: reason` lines, and one failure if it exits non-zero without printing a
# FAIL line.  A test with nothing to check on this kernel prints `SKIP name: why`
# (a CUnit test too, which CUnit counts as passed): counted apart, never as
# passed.  The last line is exactly `N passed, N failed` (`, N skipped` after it
# when some were); the exit status is 0
# only if something ran and nothing failed.  Logs go to tests/out/.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1

BUILD=${TSN_BUILD:-build}
ASAN_BUILD=build/asan
OUT=tests/out
UNIT_TIMEOUT=${TSN_UNIT_TIMEOUT:-300}		# seconds per binary
VALGRIND_TIMEOUT=${TSN_VALGRIND_TIMEOUT:-600}
INTEGRATION_TIMEOUT=${TSN_INTEGRATION_TIMEOUT:-900}
LAB_TIMEOUT=${TSN_LAB_RUN_TIMEOUT:-2600}		# the VM's own limit is 2400 s

VALGRIND_SUPP=tests/valgrind.supp

unit_only=false
integration_only=false
only=()
case ${1:-} in
--unit-only) unit_only=true ;;
--integration)
	integration_only=true
	shift
	TSN_INTEGRATION_ONLY="$*"
	;;
--only)
	shift
	only=("$@")
	if ((${#only[@]} == 0)); then
		echo "usage: $0 --only BINARY..." >&2
		exit 2
	fi
	;;
"") ;;
*)
	echo "usage: $0 [--unit-only | --only BINARY... | --integration [NAME...]]" >&2
	exit 2
	;;
esac

total_passed=0
total_failed=0
total_skipped=0
failures=()

mkdir -p "$OUT"

# record LABEL PASSED FAILED DETAIL: one result line per binary or script, with
# the seconds since the previous one (where the suite's 30 minutes go).
last_mark=$SECONDS
record() {
	local label=$1 passed=$2 failed=$3 detail="$4 [$((SECONDS - last_mark)) s]" skipped=${5:-0}
	last_mark=$SECONDS
	total_passed=$((total_passed + passed))
	total_failed=$((total_failed + failed))
	total_skipped=$((total_skipped + skipped))
	if ((failed)); then
		printf 'FAIL  %-42s %s\n' "$label" "$detail"
		failures+=("$label")
	else
		printf 'ok    %-42s %s\n' "$label" "$detail"
	fi
}

# Print the end of a log so a failure can be understood from the CI output alone.
show_log_tail() {
	echo "      --- last lines of $1 ---"
	tail -n "${2:-25}" "$1" | sed 's/^/      | /'
}

# cunit_summary LOG: prints "ran passed failed" from the "tests" row of CUnit's
# run summary, or nothing if the binary never got there.
cunit_summary() {
	awk '/^Run Summary:/ { in_summary = 1; next }
	     in_summary && $1 == "tests" && NF >= 5 { print $3, $4, $5; found = 1; exit }
	     END { if (!found) exit 1 }' "$1"
}

# run_timed SECONDS LOG CMD...: run CMD with its output in LOG, SIGTERM after SECONDS
# (SIGKILL 20 s later); RC gets its exit status.  timeout(1) puts CMD in a process
# group of its own, out of reach of the terminal's Ctrl-C, so a signal to this
# script is passed on to it (and so to the test's cleanup traps).
CURRENT_PID=""
run_timed() {
	local seconds=$1 log=$2
	shift 2
	timeout --kill-after=20 "$seconds" "$@" >"$log" 2>&1 </dev/null &
	CURRENT_PID=$!
	RC=0
	wait "$CURRENT_PID" || RC=$?
	CURRENT_PID=""
}

# pool_run JOBS LAUNCH ITEM...: JOBS at a time, LAUNCH ITEM starts one in the
# background (timeout(1) in front, so a SIGTERM reaches the test) and sets
# LAUNCHED to its pid.  Each ITEM's exit status goes to POOL_STATUS[ITEM], its
# seconds to POOL_TOOK[ITEM]; POOL_PIDS holds the running ones for on_signal.
declare -A POOL_STATUS=() POOL_TOOK=()
POOL_PIDS=()
pool_run() {
	local jobs=$1 launch=$2 item pid rc
	local -A job=() began=()
	shift 2
	POOL_STATUS=() POOL_TOOK=()
	for item in "$@" ""; do
		# Room for the next one; after the last, until none runs.
		while ((${#job[@]} >= (${#item} ? jobs : 1))); do
			pid="" rc=0
			wait -n -p pid "${!job[@]}" || rc=$?
			[[ -n $pid ]] || break
			POOL_STATUS[${job[$pid]}]=$rc
			POOL_TOOK[${job[$pid]}]=$((SECONDS - ${began[$pid]}))
			unset "job[$pid]" "began[$pid]"
			POOL_PIDS=("${!job[@]}")
		done
		[[ -n $item ]] || break
		"$launch" "$item"
		job[$LAUNCHED]=$item
		began[$LAUNCHED]=$SECONDS
		POOL_PIDS=("${!job[@]}")
	done
}

# pool_record JOBS WHAT LAUNCH RECORD ITEM...: pool_run, then RECORD ITEM RC for
# each ITEM in the given order, each timed by its own seconds (last_mark).
pool_record() {
	local jobs=$1 what=$2 launch=$3 record=$4 item wall=$SECONDS
	shift 4
	pool_run "$jobs" "$launch" "$@"
	echo "      ($# $what, $jobs at a time: $((SECONDS - wall)) s)"
	for item in "$@"; do
		last_mark=$((SECONDS - ${POOL_TOOK[$item]:-0}))
		"$record" "$item" "${POOL_STATUS[$item]:-1}"
	done
}

on_signal() {
	if [[ -n $CURRENT_PID ]]; then
		echo "run-all: interrupted; stopping the running test (it cleans up after itself)" >&2
		kill -TERM "$CURRENT_PID" 2>/dev/null
		wait "$CURRENT_PID" 2>/dev/null
	fi
	if ((${#POOL_PIDS[@]})); then
		echo "run-all: interrupted; stopping the running tests (they clean up after themselves)" >&2
		kill -TERM "${POOL_PIDS[@]}" 2>/dev/null
		wait "${POOL_PIDS[@]}" 2>/dev/null
	fi
	echo "$total_passed passed, $((total_failed + 1)) failed"
	exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

exit_reason() {
	case $1 in
	124) echo "timed out" ;;
	13[0-9] | 1[4-9][0-9]) echo "killed by signal $(($1 - 128)) ($(kill -l $(($1 - 128)) 2>/dev/null || echo ?))" ;;
	*) echo "exit status $1" ;;
	esac
}

# run_cunit KIND BINARY [WRAPPER...]: run one CUnit binary and record its tests.
run_cunit() {
	local kind=$1 bin=$2
	shift 2
	run_timed "$UNIT_TIMEOUT" "$OUT/$kind-$(basename "$bin").log" "$@" "$bin"
	cunit_result "$kind" "$bin" "$RC"
}

# cunit_result KIND BINARY RC: record one CUnit binary's run from its log.
cunit_result() {
	local kind=$1 bin=$2 rc=$3 name log summary ran passed failed skipped detail extra=0
	name=$(basename "$bin")
	log=$OUT/$kind-$name.log
	if summary=$(cunit_summary "$log"); then
		read -r ran passed failed <<<"$summary"
		# a test that had nothing to check on this kernel says "SKIP test: why"
		# (tests/unit/dp_skel.h) and passes in CUnit's count: counted apart
		skipped=$(grep -c '^SKIP ' "$log")
		((skipped <= passed)) || skipped=$passed
		passed=$((passed - skipped))
		detail="$passed passed, $failed failed (of $ran)"
		((skipped == 0)) || detail+=", $skipped skipped"
		if ((rc != 0 && failed == 0)); then
			# e.g. LeakSanitizer or a crash in a destructor after the summary.
			extra=1
			detail+="; then $(exit_reason "$rc")"
		fi
		record "$kind $name" "$passed" $((failed + extra)) "$detail" "$skipped"
		((skipped == 0)) || grep '^SKIP ' "$log" | sort -u | sed 's/^/      /'
	else
		record "$kind $name" 0 1 "no CUnit summary: $(exit_reason "$rc")"
	fi
	if ((rc != 0 || ${failed:-1} != 0)); then
		show_log_tail "$log"
	fi
}

# run_cunit_pool KIND BINARY...: the binaries UNIT_JOBS (default 2) at a time,
# each recorded as run_cunit records it; they share nothing (see run_valgrind).
UNIT_JOBS=${UNIT_JOBS:-2}
run_cunit_pool() {
	POOL_KIND=$1
	shift
	pool_record "$UNIT_JOBS" binaries launch_cunit pool_cunit_result "$@"
}

launch_cunit() {
	timeout --kill-after=20 "$UNIT_TIMEOUT" "$1" >"$OUT/$POOL_KIND-$(basename "$1").log" 2>&1 </dev/null &
	LAUNCHED=$!
}

pool_cunit_result() {
	cunit_result "$POOL_KIND" "$1" "$2"
}

# run_valgrind BINARY...: one test each — the unit binary runs clean under
# valgrind.  VALGRIND_JOBS (default 2, the machine's cores) run at once: one
# valgrind uses one core, and the binaries share nothing (private network
# namespaces, pid-named ones, mkdtemp directories).  Recorded in order, each
# with its own seconds.
VALGRIND_JOBS=${VALGRIND_JOBS:-2}
run_valgrind() {
	pool_record "$VALGRIND_JOBS" binaries launch_valgrind valgrind_result "$@"
}

launch_valgrind() {
	timeout --kill-after=20 "$VALGRIND_TIMEOUT" valgrind -q --leak-check=full \
		--errors-for-leak-kinds=definite --error-exitcode=99 --suppressions="$VALGRIND_SUPP" \
		"$1" >"$OUT/valgrind-$(basename "$1").log" 2>&1 </dev/null &
	LAUNCHED=$!
}

# valgrind_result BINARY RC: record one valgrind run.
valgrind_result() {
	local bin=$1 rc=$2 name log
	name=$(basename "$bin")
	log=$OUT/valgrind-$name.log
	case $rc in
	0) record "valgrind $name" 1 0 "no memory errors, no definite leaks" ;;
	99)
		record "valgrind $name" 0 1 "valgrind found memory errors or definite leaks"
		show_log_tail "$log" 40
		;;
	*)
		record "valgrind $name" 0 1 "$(exit_reason "$rc") (tests failed under valgrind)"
		show_log_tail "$log"
		;;
	esac
}

# run_integration SCRIPT: count its PASS/FAIL lines.
run_integration() {
	local script=$1 name
	name=$(basename "$script" .sh)
	TSN_BUILD=$BUILD run_timed "$INTEGRATION_TIMEOUT" "$OUT/integration-$name.log" bash "$script"
	integration_result "$script" "$RC"
}

# Integration scripts that may run beside another one: each keeps to its own
# namespaces (LAB_PREFIX has the script's pid), /sys/fs/bpf pin directory, temp
# directory, sockets and ports inside its namespaces, touches no host-wide
# state (packages, groups, sysctls of the host) and asserts nothing that a busy
# second core could break (no rates, frame timing, memory peaks, sync
# accuracy, or tsnd under valgrind).  Every other script, and any new one until
# it is checked and listed here, runs alone.
INTEGRATION_POOLED=(test_txn test_netconf test_forwarding test_deploy test_cli test_fib_cache
	test_daemon test_reload test_bridge test_schedule test_config_apply test_cnc
	test_reload_dataplane test_spdx)
INTEGRATION_JOBS=${INTEGRATION_JOBS:-2}

# run_integration_pool SCRIPT...: INTEGRATION_JOBS of them at a time, each
# under its own time cap; recorded in the given order, each with its own seconds.
run_integration_pool() {
	pool_record "$INTEGRATION_JOBS" scripts launch_integration integration_result "$@"
}

launch_integration() {
	TSN_BUILD=$BUILD timeout --kill-after=20 "$INTEGRATION_TIMEOUT" bash "$1" \
		>"$OUT/integration-$(basename "$1" .sh).log" 2>&1 </dev/null &
	LAUNCHED=$!
}

# integration_result SCRIPT RC: record the PASS/FAIL lines of its log.
integration_result() {
	local script=$1 rc=$2 name log passed failed skipped detail
	name=$(basename "$script" .sh)
	log=$OUT/integration-$name.log
	grep -E '^(PASS|FAIL|SKIP) ' "$log" | sed 's/^/      /'
	passed=$(grep -c '^PASS ' "$log")
	failed=$(grep -c '^FAIL ' "$log")
	# a skipped test prints SKIP and then, having returned, PASS
	skipped=$(grep -c '^SKIP ' "$log")
	((skipped <= passed)) || skipped=$passed
	passed=$((passed - skipped))
	detail="$passed passed, $failed failed"
	((skipped == 0)) || detail+=", $skipped skipped"
	if ((rc != 0 && failed == 0)); then
		failed=1
		detail+="; script ended with $(exit_reason "$rc") before reporting a failure"
	elif ((rc == 0 && failed != 0)); then
		detail+="; (the script exited 0 despite failures)"
	fi
	record "integration $name" "$passed" "$failed" "$detail" "$skipped"
	if ((failed)); then
		show_log_tail "$log" 40
	fi
}

# run_fuzzers BINARY...: a brief libFuzzer run of each target from its seeds; one
# test each.  FUZZ_JOBS (default 2, the machine's cores) run at once, each one
# process under its own run and time caps: 64 s instead of 100 s for the four, at
# the price of about a third fewer inputs for the targets that reach the time cap
# (fuzz_ctl_proto: 359 370 against 533 203; `make fuzz` is the long run).
# Recorded in order.
run_fuzzers() {
	local bin name log rc running=()
	for bin in "$@"; do
		name=$(basename "$bin")
		(
			timeout --kill-after=20 300 tests/fuzz/run.sh --runs "${TSN_FUZZ_RUNS:-2000000}" "$bin" \
				>"$OUT/fuzz-$name.out" 2>&1 </dev/null
			echo $? >"$OUT/fuzz-$name.rc"
		) &
		running+=($!)
		if ((${#running[@]} >= ${FUZZ_JOBS:-2})); then
			wait "${running[0]}"
			running=("${running[@]:1}")
		fi
	done
	wait "${running[@]}"
	for bin in "$@"; do
		name=$(basename "$bin")
		log=$OUT/fuzz-$name.out
		rc=$(cat "$OUT/fuzz-$name.rc" 2>/dev/null || echo 1)
		if ((rc == 0)); then
			record "fuzz $name" 1 0 "$(sed -n 's/^PASS [^:]*: //p' "$log")"
		else
			record "fuzz $name" 0 1 "$(exit_reason "$rc"); crashing input in tests/out/fuzz/"
			show_log_tail "$log"
		fi
	done
}

# run_kernel_lab: the kernel lab; count its PASS/FAIL lines like an integration script.
run_kernel_lab() {
	local log=$OUT/kernel-lab.out rc passed failed detail
	TSN_BUILD=$BUILD run_timed "$LAB_TIMEOUT" "$log" tests/kernel-lab/run.sh --log "$OUT/kernel-lab.log"
	rc=$RC
	grep -E '^(PASS|FAIL) |^kernel-lab: (booted|[0-9]+ passed)' "$log" | sed 's/^/      /'
	passed=$(grep -c '^PASS ' "$log")
	failed=$(grep -c '^FAIL ' "$log")
	detail="$passed passed, $failed failed"
	if ((rc != 0 && failed == 0)); then
		failed=1
		detail+="; the lab ended with $(exit_reason "$rc") before reporting a failure"
	fi
	record "kernel-lab" "$passed" "$failed" "$detail"
	if ((failed)); then
		show_log_tail "$log" 40
	fi
}

start=$SECONDS
shopt -s nullglob

# summary: the last lines, and the exit status (0 only if something ran and nothing failed).
summary() {
	echo "== $((SECONDS - start)) s; logs in $OUT/"
	if ((${#failures[@]})); then
		echo "failed: ${failures[*]}"
	fi
	if ((total_skipped)); then
		echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
	else
		echo "$total_passed passed, $total_failed failed"
	fi
	if ((total_failed > 0 || total_passed == 0)); then
		exit 1
	fi
	exit 0
}

# run_spdx: one test — every source file has its SPDX line (scripts/spdx.sh).
run_spdx() {
	local log=$OUT/spdx.log
	echo "== source files' license lines (scripts/spdx.sh --check)"
	if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		echo "      (not a git checkout, e.g. a package build: skipped)"
		return
	fi
	run_timed 120 "$log" scripts/spdx.sh --check
	if ((RC == 0)); then
		record "spdx" 1 0 "every source file has its SPDX line"
	else
		record "spdx" 0 1 "$(grep -vc "^spdx:" "$log") file(s) without their SPDX line; scripts/spdx.sh --add writes them"
		show_log_tail "$log" 10
	fi
}

# run_integration_all: step 4 (TSN_INTEGRATION_ONLY="NAME...": just those).
run_integration_all() {
	local scripts only_scripts pooled script name
	echo "== integration tests (tests/integration)"
	scripts=(tests/integration/test_*.sh tests/cnc/test_*.sh)
	if [[ -n ${TSN_INTEGRATION_ONLY:-} ]]; then
		only_scripts=()
		for script in "${scripts[@]}"; do
			[[ " $TSN_INTEGRATION_ONLY " == *" $(basename "$script" .sh) "* ]] && only_scripts+=("$script")
		done
		scripts=("${only_scripts[@]}")
	fi
	# The ones that must run alone first, one by one; then the pooled ones, the
	# longest (test_txn, test_netconf) first so the pool ends evenly.
	pooled=()
	for name in "${INTEGRATION_POOLED[@]}"; do
		for script in "${scripts[@]}"; do
			[[ $(basename "$script" .sh) == "$name" ]] && pooled+=("$script")
		done
	done
	for script in "${scripts[@]}"; do
		[[ " ${INTEGRATION_POOLED[*]} " == *" $(basename "$script" .sh) "* ]] || run_integration "$script"
	done
	if ((${#pooled[@]})) && ((INTEGRATION_JOBS > 1)); then
		echo "== integration tests that may run beside another one ($INTEGRATION_JOBS at a time)"
		run_integration_pool "${pooled[@]}"
	else
		for script in "${pooled[@]}"; do
			run_integration "$script"
		done
	fi
	((${#scripts[@]})) || record "integration" 0 1 "no tests/integration/test_*.sh found"
}

if $integration_only; then
	run_integration_all
	summary
fi

if ((${#only[@]})); then
	run_spdx
	echo "== unit tests: ${only[*]##*/}"
	for bin in "${only[@]}"; do
		if [[ -f $bin && -x $bin ]]; then
			run_cunit unit "$bin"
		else
			record "unit ${bin##*/}" 0 1 "$bin is not built"
		fi
	done
	summary
fi

unit_bins=()
for bin in "$BUILD"/tests/test_*; do
	[[ -f $bin && -x $bin ]] && unit_bins+=("$bin")
done

run_spdx

echo "== unit tests ($BUILD/tests, $UNIT_JOBS at a time)"
((${#unit_bins[@]} == 0)) || run_cunit_pool unit "${unit_bins[@]}"
((${#unit_bins[@]})) || echo "      (no unit test binaries in $BUILD/tests: run make tests-build)"

if [[ $BUILD != "$ASAN_BUILD" && -d $ASAN_BUILD/tests ]]; then
	echo "== unit tests under AddressSanitizer/UBSan ($ASAN_BUILD/tests, $UNIT_JOBS at a time)"
	asan_bins=()
	for bin in "$ASAN_BUILD"/tests/test_*; do
		[[ -f $bin && -x $bin ]] && asan_bins+=("$bin")
	done
	((${#asan_bins[@]} == 0)) ||
		ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
			UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
			run_cunit_pool asan "${asan_bins[@]}"
fi

if [[ $BUILD != "$ASAN_BUILD" ]] && ((${#unit_bins[@]})); then
	if command -v valgrind >/dev/null; then
		echo "== unit tests under valgrind ($VALGRIND_JOBS at a time)"
		run_valgrind "${unit_bins[@]}"
	else
		record "valgrind" 0 1 "valgrind is not installed (scripts/install-deps.sh installs it)"
	fi
fi

if [[ $BUILD != "$ASAN_BUILD" ]]; then
	fuzzers=("$BUILD"/fuzz/fuzz_*)
	if ((${#fuzzers[@]})); then
		echo "== fuzz targets, brief (make fuzz runs them longer)"
		run_fuzzers "${fuzzers[@]}"
	fi
fi

if ! $unit_only; then
	run_integration_all

	echo "== kernel lab (tests/kernel-lab: Debian's kernel under QEMU/TCG)"
	run_kernel_lab
fi

summary
