# SPDX-License-Identifier: GPL-2.0-only
# tests/integration/lib.sh — the harness of the integration tests: a real tsnd in a
# network namespace with two veth ports, driven by the real tsnctl.
#
# A test script sources this file, defines functions test_NAME, and ends with
#   it_main NAME...
# Each test runs in a subshell with `set -eE`: a check that fails (see the expect_*
# helpers) or any command that fails ends that test only, and the harness prints
# `PASS name` or `FAIL name: reason`.  Resources a test creates (tsnd processes,
# files, groups) are registered with lab/lib.sh and removed when the test ends;
# the shared fixture (namespaces, the temp directory) when the script ends, also
# on failure, Ctrl-C or SIGTERM.  The script exits 1 if any test failed.

IT_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IT_BUILD=$(cd "$IT_REPO" && realpath -m "${TSN_BUILD:-build}")
TSND=$IT_BUILD/tsnd
TSNCTL=$IT_BUILD/tsnctl
CTL_ABUSE=$IT_BUILD/tests/tools/ctl_abuse

LAB_PREFIX="tsnt-$$-"
# shellcheck source=../../lab/lib.sh
. "$IT_REPO/lab/lib.sh"

IT_NS=sw	# the namespace tsnd runs in; its ports are sw0p1 and sw0p2
IT_PEER=peer	# the other ends: p1 and p2
IT_DIR=""	# per-script temp directory (configs, socket, pid file, logs)
IT_FAILED=0

# ---- routed hosts ---------------------------------------------------------------
# Tests that forward through tsnd hang host namespaces off new switch ports.

# it_host NS PORT NET: namespace NS joined to tsnd's namespace by a veth pair
# (NS:eth0 -- PORT) on 2001:db8:NET::/64: the host is ::2 with its default route
# via the switch port, ::1.  Removed when the test ends.
it_host() {
	local ns=$1 port=$2 net=$3
	lab_ns_add "$ns"
	lab_veth "$ns" eth0 "$IT_NS" "$port" 1
	# Namespaces die asynchronously; the switch's end must be gone before the next test.
	lab_on_cleanup ip -n "$(lab_ns "$IT_NS")" link del "$port"
	lab_addr "$ns" eth0 "2001:db8:$net::2/64"
	lab_addr "$IT_NS" "$port" "2001:db8:$net::1/64"
	lab_route6 "$ns" default via "2001:db8:$net::1"
	lab_wait_link_up "$ns" eth0
	lab_wait_addr "$ns" eth0 "2001:db8:$net::2"
}

# it_forwarding_on: IPv6 forwarding in tsnd's namespace, off again when the test ends.
it_forwarding_on() {
	lab_sysctl "$IT_NS" net.ipv6.conf.all.forwarding=1
	lab_on_cleanup lab_sysctl "$IT_NS" net.ipv6.conf.all.forwarding=0
}

# ---- fixture ------------------------------------------------------------------

# it_fixture: namespaces sw and peer joined by two veth pairs, and a temp directory.
it_fixture() {
	lab_ns_del_stale "tsnt-"
	lab_ns_add "$IT_NS"
	lab_ns_add "$IT_PEER"
	lab_veth "$IT_NS" sw0p1 "$IT_PEER" p1 4
	lab_veth "$IT_NS" sw0p2 "$IT_PEER" p2 4
	lab_tmpdir_var IT_DIR
}

# it_config FILE [KEY=VALUE...]: write a valid tsnd config for the test switch.
# Keys: xdp (port mode, default generic), mode (socket-mode, 0660), read (read-group),
# admin (admin-group), timeout (1s), clients (8), level (info), prio (default
# priority, 0), sock, pid.  The socket and pid file live in IT_DIR.
it_config() {
	local file=$1 kv
	local xdp=generic mode=0660 read="" admin="" timeout=1s clients=8 level=info prio=0
	local sock=$IT_DIR/tsnd.sock pid=$IT_DIR/tsnd.pid
	shift
	for kv in "$@"; do
		case ${kv%%=*} in
		xdp | mode | read | admin | timeout | clients | level | prio | sock | pid)
			printf -v "${kv%%=*}" '%s' "${kv#*=}" ;;
		*)
			echo "it_config: unknown key ${kv%%=*}" >&2
			return 1
			;;
		esac
	done
	cat >"$file" <<EOF
# Written by tests/integration/lib.sh.
daemon:
  log-level: $level
  log-target: stderr
  pid-file: $pid
  state-dir: $IT_DIR

control:
  socket: $sock
  socket-mode: $mode
  read-group: "$read"
  admin-group: "$admin"
  timeout: $timeout
  max-clients: $clients

ports:
  - name: sw0p1
    xdp: $xdp
  - name: sw0p2
    xdp: $xdp

ptp:
  enabled: false

classification:
  default-priority: $prio
  ethertype:
    - { ethertype: 0x88f7, priority: 7 }

dataplane:
  pin-dir: /sys/fs/bpf/${LAB_PREFIX}tsnd
  keep-on-exit: false
EOF
}

# it_start_tsnd CONFIG [TSND-ARGS...]: start tsnd in the foreground mode inside the
# switch namespace, log to IT_LOG (one file per test), and wait until it answers `status`.
# Sets TSND_PID; the process is stopped when the test (or the script) ends.
# The socket is the one in CONFIG unless -s is given.
it_start_tsnd() {
	local config=$1
	shift
	IT_SOCK=$(awk '$1 == "socket:" { print $2; exit }' "$config")
	local a prev=""
	for a in "$@"; do
		[[ $prev == -s ]] && IT_SOCK=$a
		prev=$a
	done
	lab_spawn TSND_PID "$IT_NS" "$TSND" -f --stderr -c "$config" "$@" >>"$IT_LOG" 2>&1
	if ! lab_wait_until 10 tsnctl_sw status; then
		if lab_pid_alive "$TSND_PID"; then
			it_fail "tsnd (pid $TSND_PID) did not answer on $IT_SOCK within 10 s; log: $(it_tail "$IT_LOG")"
		else
			it_fail "tsnd exited at start; log: $(it_tail "$IT_LOG")"
		fi
	fi
}

# tsnctl_sw ARGS...: tsnctl (as root) in the switch namespace, on the test socket.
tsnctl_sw() {
	lab_exec "$IT_NS" "$TSNCTL" -s "$IT_SOCK" "$@"
}

# tsnctl_as UID GID GROUPS ARGS...: tsnctl as another user (GROUPS: comma list or "").
tsnctl_as() {
	local uid=$1 gid=$2 groups=$3 g
	shift 3
	if [[ -n $groups ]]; then
		g=(--groups="$groups")
	else
		g=(--clear-groups)
	fi
	lab_exec "$IT_NS" setpriv --reuid="$uid" --regid="$gid" "${g[@]}" \
		"$TSNCTL" -s "$IT_SOCK" "$@"
}

# ---- checks ---------------------------------------------------------------------

# it_fail REASON: end the current test with this reason.
it_fail() {
	printf '%s\n' "$*" >>"$IT_REASON_FILE"
	exit 1
}

# Last lines of a file on one line, for a failure reason.
it_tail() {
	tail -n "${2:-5}" "$1" 2>/dev/null | tr '\n' '|' | cut -c1-600
}

# it_run CMD...: run CMD, keep its stdout in OUT, stderr in ERR and status in RC;
# never fails by itself.
it_run() {
	local of=$IT_DIR/.out ef=$IT_DIR/.err
	RC=0
	"$@" >"$of" 2>"$ef" || RC=$?
	OUT=$(cat "$of")
	ERR=$(cat "$ef")
}

# expect_exit CODE CMD...: it_run CMD and require exit status CODE.
expect_exit() {
	local want=$1
	shift
	it_run "$@"
	[[ $RC == "$want" ]] ||
		it_fail "'${*##*/}' exited $RC, expected $want; stderr: ${ERR:0:400}; stdout: ${OUT:0:300}"
}

# expect_match TEXT REGEX WHAT: TEXT must match the extended REGEX.
expect_match() {
	grep -Eq -- "$2" <<<"$1" || it_fail "$3: no match for /$2/ in: ${1:0:500}"
}

expect_no_match() {
	! grep -Eq -- "$2" <<<"$1" || it_fail "$3: unexpected match for /$2/ in: ${1:0:500}"
}

expect_eq() {
	[[ $1 == "$2" ]] || it_fail "$3: got '$1', expected '$2'"
}

# jget JSON FILTER: jq -r FILTER on JSON; fails the test if JSON is not valid.
jget() {
	local v
	v=$(jq -er "$2" <<<"$1" 2>/dev/null) || {
		if jq -e . <<<"$1" >/dev/null 2>&1; then
			printf '%s\n' "${v:-null}"
			return 0
		fi
		it_fail "not valid JSON (filter $2): ${1:0:300}"
	}
	printf '%s\n' "$v"
}

# expect_json JSON FILTER WHAT: the jq FILTER must be true for JSON.
expect_json() {
	jq -e "$2" <<<"$1" >/dev/null 2>&1 || it_fail "$3: ($2) is not true for: ${1:0:600}"
}

# it_need_xdp_meta NAME: 0 if this kernel lets tsn_xdp hand a frame's class to tc
# in XDP metadata; else prints `SKIP NAME` (run-all.sh counts it apart) and
# returns 1 (docs/dataplane.md, "Without XDP metadata").  Use: `it_need_xdp_meta
# NAME || return 0` first thing in test_NAME.
it_need_xdp_meta() {
	"$IT_BUILD/tests/tools/xdp_meta" >/dev/null 2>&1 && return 0
	echo "SKIP $1: this kernel refuses XDP metadata (bpf_xdp_adjust_meta); the kernel lab runs this path on 6.1"
	return 1
}

# ---- runner -------------------------------------------------------------------

it_test() {
	local name=$1 rc t0=$SECONDS
	IT_REASON_FILE=$IT_DIR/.reason-$name
	IT_LOG=$IT_DIR/tsnd-$name.log
	: >"$IT_REASON_FILE"
	(
		# This test's own resources are cleaned when it ends; the fixture stays.
		LAB_CLEANUP_STACK=()
		trap lab_cleanup EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		trap 'printf "command failed (status %s, line %s): %s\n" "$?" "$LINENO" "$BASH_COMMAND" \
			>>"$IT_REASON_FILE"' ERR
		set -eE
		shopt -s inherit_errexit
		"test_$name"
	)
	rc=$?
	if ((rc == 0)); then
		echo "PASS $name ($((SECONDS - t0)) s)"
	else
		local reason
		reason=$(head -n1 "$IT_REASON_FILE")
		echo "FAIL $name: ${reason:-exit status $rc} ($((SECONDS - t0)) s)"
		if [[ -s $IT_LOG ]]; then
			echo "    last lines of tsnd's log:"
			tail -n 10 "$IT_LOG" | sed 's/^/    | /'
		fi
		IT_FAILED=1
		((rc < 128)) || exit "$rc"	# interrupted: stop here (the EXIT trap cleans)
	fi
}

# it_main NAME...: check prerequisites, build the fixture, run test_NAME for each.
it_main() {
	set -u
	lab_trap
	local missing=()
	[[ $(id -u) -eq 0 ]] || { echo "FAIL setup: integration tests need root (network namespaces)"; exit 1; }
	[[ -x $TSND ]] || missing+=("$TSND")
	[[ -x $TSNCTL ]] || missing+=("$TSNCTL")
	command -v jq >/dev/null || missing+=(jq)
	if ((${#missing[@]})); then
		echo "FAIL setup: missing ${missing[*]} (run make, scripts/install-deps.sh)"
		exit 1
	fi
	if ! it_fixture; then
		echo "FAIL setup: cannot build the namespaces and veth ports"
		exit 1
	fi
	local t
	for t in "$@"; do
		it_test "$t"
	done
	exit "$IT_FAILED"
}

# frer_seconds DEFAULT CI-DEFAULT: how long the FRER talkers run: FRER_SECONDS
# when set, else CI-DEFAULT under CI=true (two busy cores), else DEFAULT.
frer_seconds() {
	if [[ -n ${FRER_SECONDS:-} ]]; then
		echo "$FRER_SECONDS"
	elif [[ ${CI:-} == true ]]; then
		echo "$2"
	else
		echo "$1"
	fi
}

# frer_run_cut N LISTENER-IF TALKER-IF SWITCH LINK: frer_probe sends N frames at
# RATE from tlk to lst (DST) for SECONDS_RUN; LINK on SWITCH goes down halfway.
# Every frame must arrive exactly once and in order.
frer_run_cut() {
	local n=$1 out=$IT_DIR/recv.out recv_pid send_pid res
	lab_spawn recv_pid lst "$PROBE" recv "$2" -n "$n" -w 3000 >"$out"
	lab_wait_until 5 grep -q ready "$out" || it_fail "listener did not start"
	lab_spawn send_pid tlk "$PROBE" send "$3" "$DST" -n "$n" -r "$RATE" >"$IT_DIR/send.out"
	sleep "$(awk -v s="$SECONDS_RUN" 'BEGIN { print s / 2 }')"
	lab_exec "$4" ip link set "$5" down
	lab_wait_until $((SECONDS_RUN + 30)) bash -c "! kill -0 $send_pid 2>/dev/null" ||
		it_fail "the talker did not finish"
	lab_wait_until 30 bash -c "! kill -0 $recv_pid 2>/dev/null" || it_fail "the listener did not finish"
	expect_eq "$(jget "$(cat "$IT_DIR/send.out")" .sent)" "$n" "frames sent"
	res=$(tail -n 1 "$out")
	expect_json "$res" ".unique == $n and .missing == 0" "every frame arrived ($res)"
	expect_json "$res" '.duplicates == 0 and .out_of_order == 0' "once each, in order ($res)"
}
