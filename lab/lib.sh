# SPDX-License-Identifier: GPL-2.0-only
# lab/lib.sh — network-namespace helpers shared by the demo lab (lab/demo.sh) and the
# integration tests (tests/integration/).  Source it from bash; it needs root.
#
# Names: every namespace gets $LAB_PREFIX in front of its short name, so the demo
# (empty prefix: talker, switch, listener) and concurrent test runs (tsnt-$$-sw)
# never collide.  Call the functions with short names.
#
# Cleanup: everything a helper creates (namespace, process, path, or a command
# given to lab_on_cleanup) is pushed on one stack, and lab_cleanup undoes it in
# reverse order, so a process is stopped before its namespace goes away.  Callers
# run `lab_trap` (or `trap lab_cleanup EXIT` themselves) and nothing is left
# behind, even on failure or Ctrl-C.

LAB_PREFIX=${LAB_PREFIX-}
LAB_CLEANUP_STACK=()

lab_log() {
	echo "lab: $*" >&2
}

# lab_ns NAME: the full namespace name.
lab_ns() {
	printf '%s%s\n' "$LAB_PREFIX" "$1"
}

lab_ns_exists() {
	[[ -e /run/netns/$(lab_ns "$1") ]]
}

# lab_exec NAME CMD...: run CMD inside namespace NAME.
lab_exec() {
	local ns
	ns=$(lab_ns "$1")
	shift
	ip netns exec "$ns" "$@"
}

# ---- cleanup registry ---------------------------------------------------------

# lab_on_cleanup CMD [ARGS...]: run this command (quoted as given) at lab_cleanup.
lab_on_cleanup() {
	LAB_CLEANUP_STACK+=("$(printf '%q ' "$@")")
}

lab_cleanup() {
	local i
	# Pop as we go: a second call (an EXIT trap after an explicit call) is a no-op.
	for ((i = ${#LAB_CLEANUP_STACK[@]} - 1; i >= 0; i--)); do
		eval "${LAB_CLEANUP_STACK[i]}" || true
		unset 'LAB_CLEANUP_STACK[i]'
	done
	LAB_CLEANUP_STACK=()
}

# lab_trap: clean up on normal exit, on errors (set -e) and on Ctrl-C / SIGTERM.
lab_trap() {
	trap lab_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# ---- processes ----------------------------------------------------------------

# True while PID exists and is not a zombie.
lab_pid_alive() {
	local state
	[[ -r /proc/$1/stat ]] || return 1
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $state && $state != Z ]]
}

# lab_stop_pid PID [TIMEOUT_S]: SIGTERM, wait up to TIMEOUT_S (default 5), then
# SIGKILL.  Reaps PID if it is a child of this shell.  Returns 0 if the process
# ended on SIGTERM (or was already gone), 1 if it had to be killed.
lab_stop_pid() {
	local pid=$1 timeout=${2:-5} n rc=0
	[[ $pid =~ ^[0-9]+$ ]] || return 0
	if lab_pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((n = 0; n < timeout * 10; n++)); do
			lab_pid_alive "$pid" || break
			sleep 0.1
		done
		if lab_pid_alive "$pid"; then
			lab_log "pid $pid ignored SIGTERM for ${timeout}s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
			rc=1
		fi
	fi
	wait "$pid" 2>/dev/null || true
	return $rc
}

# lab_stop_pidfile FILE [TIMEOUT_S]: stop the process named by a pid file.
lab_stop_pidfile() {
	local pid
	[[ -r $1 ]] || return 0
	pid=$(head -n1 "$1" 2>/dev/null | tr -dc 0-9)
	[[ -n $pid ]] || return 0
	lab_stop_pid "$pid" "${2:-5}"
}

lab_register_pid() {
	lab_on_cleanup lab_stop_pid "$1"
}

lab_register_pidfile() {
	lab_on_cleanup lab_stop_pidfile "$1"
}

# lab_register_path PATH: remove PATH (file or directory tree) at cleanup.
lab_register_path() {
	lab_on_cleanup rm -rf -- "$1"
}

# lab_tmpdir_var VAR: make a temporary directory, removed at cleanup, and store its
# path in VAR (a function run as $(...) could not register anything).
lab_tmpdir_var() {
	local __dir
	__dir=$(mktemp -d "/tmp/${LAB_PREFIX:-lab-}XXXXXX")
	chmod 0755 "$__dir"
	lab_register_path "$__dir"
	printf -v "$1" '%s' "$__dir"
}

# lab_spawn VAR NAME CMD...: start CMD in the background inside namespace NAME,
# store its pid in VAR and stop it at cleanup.  `ip netns exec` execs CMD, so the
# pid is CMD's own.  Output goes wherever the caller's stdout/stderr point.
lab_spawn() {
	local __var=$1 ns
	ns=$(lab_ns "$2")
	shift 2
	ip netns exec "$ns" "$@" &
	local __pid=$!
	lab_register_pid "$__pid"
	printf -v "$__var" '%s' "$__pid"
}

# ---- namespaces and links ------------------------------------------------------

# lab_ns_add NAME: create a namespace with loopback up; deleted at cleanup.
# Duplicate address detection is off for every interface made in it afterwards:
# in a private lab it only delays the first packets by seconds (link-local
# addresses stay tentative and neighbour discovery waits for them).
lab_ns_add() {
	local ns
	ns=$(lab_ns "$1")
	ip netns add "$ns" || { lab_log "cannot create namespace $ns"; return 1; }
	lab_on_cleanup lab_ns_del_full "$ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null
}

# lab_ns_del_full FULLNAME: stop whatever still runs inside, then delete the
# namespace (its veth ends go with it, and so do their peers).  Missing: no-op.
lab_ns_del_full() {
	local ns=$1 pid pids
	[[ -e /run/netns/$ns ]] || return 0
	pids=$(ip netns pids "$ns" 2>/dev/null || true)
	for pid in $pids; do
		lab_stop_pid "$pid" 3 || true
	done
	ip netns del "$ns" 2>/dev/null || true
}

lab_ns_del() {
	lab_ns_del_full "$(lab_ns "$1")"
}

# lab_ns_del_stale GLOB_PREFIX: delete namespaces named PREFIX<pid>-* whose pid is
# no longer running — leftovers of a test run that was killed with SIGKILL.
lab_ns_del_stale() {
	local prefix=$1 ns pid
	while read -r ns _; do
		[[ $ns == "$prefix"* ]] || continue
		pid=${ns#"$prefix"}
		pid=${pid%%-*}
		[[ $pid =~ ^[0-9]+$ ]] || continue
		kill -0 "$pid" 2>/dev/null && continue
		lab_log "removing stale namespace $ns"
		lab_ns_del_full "$ns"
	done < <(ip netns list 2>/dev/null)
}

# lab_veth NS1 IF1 NS2 IF2 [QUEUES]: a veth pair from NS1:IF1 to NS2:IF2, both
# up, each end with QUEUES (default 1) TX and RX queues.  The pair is created
# straight inside the namespaces, so host interface names never clash.
lab_veth() {
	local ns1 ns2 q=${5:-1}
	ns1=$(lab_ns "$1")
	ns2=$(lab_ns "$3")
	ip link add name "$2" netns "$ns1" numtxqueues "$q" numrxqueues "$q" type veth \
		peer name "$4" netns "$ns2" numtxqueues "$q" numrxqueues "$q" ||
		{ lab_log "cannot create veth $ns1:$2 <-> $ns2:$4"; return 1; }
	ip -n "$ns1" link set "$2" up
	ip -n "$ns2" link set "$4" up
}

# lab_addr NS DEV ADDR/PLEN: add an address; IPv6 ones skip duplicate address
# detection (nodad), which in a private lab only costs time.
lab_addr() {
	local ns
	ns=$(lab_ns "$1")
	if [[ $3 == *:* ]]; then
		ip -n "$ns" -6 addr add "$3" dev "$2" nodad
	else
		ip -n "$ns" addr add "$3" dev "$2"
	fi
}

# lab_route6 NS ARGS...: `ip -6 route add ARGS` in NS (e.g. default via X).
lab_route6() {
	local ns
	ns=$(lab_ns "$1")
	shift
	ip -n "$ns" -6 route add "$@"
}

lab_sysctl() {
	lab_exec "$1" sysctl -q -w "$2" >/dev/null
}

# lab_wait_until TIMEOUT_S CMD...: poll CMD every 0.1 s until it succeeds.
lab_wait_until() {
	local timeout=$1 n
	shift
	for ((n = 0; n <= timeout * 10; n++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

_lab_addr_ready() {
	local out
	out=$(ip -n "$1" addr show dev "$2" 2>/dev/null) || return 1
	grep -q "inet6\? ${3%/*}/" <<<"$out" || return 1
	! grep "inet6\? ${3%/*}/" <<<"$out" | grep -Eq 'tentative|dadfailed'
}

# lab_wait_addr NS DEV ADDR [TIMEOUT_S]: wait until ADDR is on DEV and usable
# (for IPv6: no longer tentative).  Fails after TIMEOUT_S (default 5) seconds.
lab_wait_addr() {
	local ns
	ns=$(lab_ns "$1")
	lab_wait_until "${4:-5}" _lab_addr_ready "$ns" "$2" "$3" && return 0
	lab_log "address $3 on $ns:$2 not ready after ${4:-5}s"
	return 1
}

_lab_link_up() {
	ip -n "$1" link show dev "$2" 2>/dev/null | grep -q 'state UP'
}

# lab_wait_link_up NS DEV [TIMEOUT_S]: wait for operational state UP (carrier).
lab_wait_link_up() {
	local ns
	ns=$(lab_ns "$1")
	lab_wait_until "${3:-5}" _lab_link_up "$ns" "$2" && return 0
	lab_log "link $ns:$2 not up after ${3:-5}s"
	return 1
}

# lab_wait_socket PATH [TIMEOUT_S]: wait until PATH exists and is a socket.
lab_wait_socket() {
	lab_wait_until "${2:-5}" test -S "$1"
}
