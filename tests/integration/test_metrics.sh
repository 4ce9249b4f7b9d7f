#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_metrics.sh — the Prometheus export: `tsnctl stats -o prometheus` and tsnd's
# listener (telemetry.prometheus): off by default; GET /metrics gives 200 and the
# same families as tsnctl, valid by a strict checker (tests/tools/prom_check, and
# promtool when it is installed); 404, 405, 400, 505, 431, 503 and the request deadline;
# IPv6 loopback; a bad or busy address refused at its file:line; reloads that
# turn the listener on, move it, fail to move it (the old one keeps serving) and
# turn it off.  HTTP is spoken with bash's /dev/tcp inside the switch namespace
# (its own loopback), so nothing here depends on curl.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROM_CHECK=$IT_BUILD/tests/tools/prom_check
PORT=9464

# metrics_config FILE [LISTEN]: the test switch's config, with the listener on LISTEN.
metrics_config() {
	# xdp off: the metrics come from tsnd's answers either way, and the test does
	# not wait for the BPF verifier at every start.
	it_config "$1" xdp=off
	if [[ -n ${2:-} ]]; then
		cat >>"$1" <<EOF

telemetry:
  prometheus: true
  prometheus-listen: "$2"
EOF
	fi
}

# http REQUEST [HOST [PORT]]: send REQUEST (printf %b) from inside the switch
# namespace and read the whole response (tsnd closes after it) into OUT, without
# CRs; STATUS gets the status code, BODY what follows the empty line.
http() {
	local req=$1 host=${2:-127.0.0.1} port=${3:-$PORT}
	OUT=$(lab_exec "$IT_NS" timeout 10 bash -c \
		'exec 3<>"/dev/tcp/$1/$2" || exit 7; printf "%b" "$3" >&3; cat <&3' _ "$host" "$port" "$req" \
		2>/dev/null | tr -d '\r') || true
	STATUS=$(head -n1 <<<"$OUT" | awk '{ print $2 }')
	BODY=$(sed '1,/^$/d' <<<"$OUT")
}

# families TEXT: the metric families of exposition TEXT, in order.
families() {
	awk '$1 == "#" && $2 == "TYPE" { print $3 }' <<<"$1"
}

# check_text TEXT WHAT: TEXT passes prom_check (and promtool if present).
check_text() {
	local out
	out=$("$PROM_CHECK" <<<"$1" 2>&1) || it_fail "$2: prom_check: $out"
	if command -v promtool >/dev/null; then
		out=$(promtool check metrics <<<"$1" 2>&1) || it_fail "$2: promtool: $out"
	fi
}

# listening PORT: something listens on TCP PORT in the switch namespace.
listening() {
	lab_exec "$IT_NS" ss -Hltn "sport = :$1" | grep -q LISTEN
}

test_off_by_default() {
	local conf=$IT_DIR/off.yaml
	metrics_config "$conf"
	it_start_tsnd "$conf"
	! listening "$PORT" || it_fail "something listens on $PORT with telemetry.prometheus unset"
	expect_eq "$(lab_exec "$IT_NS" ss -Hltn | wc -l)" 0 "TCP listeners of a default tsnd"
	# tsnctl still renders, straight from the control socket.
	expect_exit 0 tsnctl_sw stats -o prometheus
	check_text "$OUT" "tsnctl stats -o prometheus"
	expect_match "$OUT" '^tsnd_config_generation 1$' "generation"
	expect_match "$OUT" '^tsnd_port_present\{port="sw0p1"\} 1$' "port present"
	expect_match "$OUT" '^tsnd_class_packets_total\{port="sw0p2",class="7"\} [0-9]+$' "class counters"
	expect_exit 0 tsnctl_sw stats
	expect_match "$OUT" '^METRIC +LABELS +VALUE' "table header"
	expect_match "$OUT" 'tsnd_uptime_seconds +[0-9]+' "table row"
	expect_exit 0 tsnctl_sw -j stats
	expect_json "$OUT" '.status.config.generation == 1 and (.["class.stats"].ports | length) == 2' "stats -j"
	expect_exit 2 tsnctl_sw stats -o yaml
	expect_match "$ERR" 'allowed: table, json, prometheus' "bad format named"
}

test_serves_metrics() {
	local conf=$IT_DIR/on.yaml cli
	metrics_config "$conf" "127.0.0.1:$PORT"
	it_start_tsnd "$conf"
	listening "$PORT" || it_fail "tsnd does not listen on $PORT"
	http 'GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: test\r\n\r\n'
	expect_eq "$STATUS" 200 "GET /metrics"
	expect_match "$OUT" '^Content-Type: text/plain; version=0.0.4; charset=utf-8$' "content type"
	expect_match "$OUT" '^Connection: close$' "connection header"
	local clen
	clen=$(awk -F': ' '$1 == "Content-Length" { print $2 }' <<<"$OUT")
	expect_eq "$clen" "$(($(printf '%s\n' "$BODY" | wc -c)))" "Content-Length"
	check_text "$BODY" "GET /metrics"
	expect_exit 0 tsnctl_sw stats -o prometheus
	cli=$OUT
	expect_eq "$(families "$BODY" | tr '\n' ' ')" "$(families "$cli" | tr '\n' ' ')" "families of GET and tsnctl"
	expect_match "$(families "$BODY" | wc -l)" '^[1-9][0-9]+$' "families served"
	# Same samples too, but for the clock.
	expect_eq "$(grep -v uptime <<<"$BODY" | grep -v '^tsnd_ptp' | grep -c .)" \
		"$(grep -v uptime <<<"$cli" | grep -v '^tsnd_ptp' | grep -c .)" "sample lines of GET and tsnctl"
	# HTTP/1.0, a query string, HEAD
	http 'GET /metrics?x=1 HTTP/1.0\r\n\r\n'
	expect_eq "$STATUS" 200 "HTTP/1.0 GET with a query"
	http 'HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n'
	expect_eq "$STATUS" 200 "HEAD"
	expect_eq "$BODY" "" "HEAD has no body"
	# read-only: scraping changed nothing
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.generation == 1 and .config.last_reload == null' "state after scrapes"
}

test_http_errors() {
	local conf=$IT_DIR/err.yaml
	metrics_config "$conf" "127.0.0.1:$PORT"
	it_start_tsnd "$conf"
	http 'GET / HTTP/1.1\r\n\r\n'
	expect_eq "$STATUS" 404 "GET /"
	http 'GET /metricsx HTTP/1.1\r\n\r\n'
	expect_eq "$STATUS" 404 "GET /metricsx"
	http 'POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n'
	expect_eq "$STATUS" 405 "POST"
	expect_match "$OUT" '^Allow: GET, HEAD$' "405 names the methods"
	http 'DELETE /metrics HTTP/1.1\r\n\r\n'
	expect_eq "$STATUS" 405 "DELETE"
	# What is not HTTP/1.x is libmicrohttpd's to refuse (docs/metrics.md): a request
	# line it cannot take apart gets 400; one with no spaces at all is closed
	# without an answer; another HTTP version gets 505.
	http 'GET /metrics HTTP/1.1 x\r\n\r\n'
	expect_eq "$STATUS" 400 "a malformed request line"
	http 'GET /metrics HTTP/1.1\r\nno colon\r\n\r\n'
	expect_eq "$STATUS" 400 "a malformed header line"
	http 'hello\r\n\r\n'
	expect_eq "$OUT" "" "not HTTP: closed without an answer"
	http 'GET /metrics HTTP/2.0\r\n\r\n'
	expect_eq "$STATUS" 505 "HTTP/2.0"
	http "GET /metrics HTTP/1.1\\r\\nX: $(printf 'a%.0s' {1..5000})\\r\\n\\r\\n"
	expect_eq "$STATUS" 431 "a head over 4096 bytes"
	# Four idle connections take every slot: the fifth gets 503; a client that
	# sends nothing is closed at the 5 s deadline, and the slots come back.
	local t0 t1
	it_run lab_exec "$IT_NS" timeout 20 bash -c '
		for fd in 3 4 5 6; do eval "exec $fd<>/dev/tcp/127.0.0.1/$1" || exit 7; done
		sleep 0.5
		exec 7<>/dev/tcp/127.0.0.1/$1 || exit 8
		head -n1 <&7	# (no request: tsnd answers 503 and closes at accept)
		t0=$(date +%s%N); cat <&3 >/dev/null; t1=$(date +%s%N)
		echo "closed after $(((t1 - t0) / 1000000)) ms"' _ "$PORT"
	expect_eq "$RC" 0 "the idle-connection script"
	expect_match "$OUT" 'HTTP/1.1 503 Service Unavailable' "fifth connection"
	local ms
	ms=$(sed -n 's/^closed after \([0-9]*\) ms$/\1/p' <<<"$OUT")
	((ms >= 3500 && ms <= 6000)) || it_fail "idle connection closed after ${ms:-?} ms, expected about 4500 (5 s from accept)"
	http 'GET /metrics HTTP/1.1\r\n\r\n'
	expect_eq "$STATUS" 200 "GET after the idle connections went"
	lab_pid_alive "$TSND_PID" || it_fail "tsnd died"
}

# A client that sends a header line every second never idles for 5 s, so only the
# deadline from accept ends it: tsnd must close it well before it is done.
test_trickling_client() {
	local conf=$IT_DIR/trickle.yaml
	metrics_config "$conf" "127.0.0.1:$PORT"
	it_start_tsnd "$conf"
	it_run lab_exec "$IT_NS" timeout 30 bash -c '
		trap "" PIPE	# a write to the closed connection fails instead of killing us
		exec 3<>/dev/tcp/127.0.0.1/$1 || exit 7
		printf "GET /metrics HTTP/1.1\r\n" >&3
		for i in $(seq 1 12); do
			sleep 1
			printf "X-%d: a\r\n" "$i" >&3 2>/dev/null || { echo "closed after $i lines"; exit 0; }
		done
		echo "still open after 12 lines"' _ "$PORT"
	expect_eq "$RC" 0 "the trickling client's script"
	local lines
	lines=$(sed -n 's/^closed after \([0-9]*\) lines$/\1/p' <<<"$OUT")
	[[ -n $lines ]] || it_fail "a client trickling a header line a second was not closed: $OUT"
	((lines <= 9)) || it_fail "the trickling client was closed only after $lines lines (5 s deadline)"
	http 'GET /metrics HTTP/1.1\r\n\r\n'
	expect_eq "$STATUS" 200 "GET after the trickling client"
}

test_ipv6_loopback() {
	local conf=$IT_DIR/v6.yaml
	metrics_config "$conf" "[::1]:$PORT"
	it_start_tsnd "$conf"
	http 'GET /metrics HTTP/1.1\r\n\r\n' ::1
	expect_eq "$STATUS" 200 "GET over [::1]"
	http 'GET /metrics HTTP/1.1\r\n\r\n' 127.0.0.1
	expect_eq "$STATUS" "" "no IPv4 answer on a [::1] listener"
}

test_bad_listen_refused() {
	local conf=$IT_DIR/bad.yaml line
	metrics_config "$conf" "localhost:$PORT"
	line=$(grep -n 'prometheus-listen' "$conf" | cut -d: -f1)
	it_run "$TSND" --check "$conf"
	((RC != 0)) || it_fail "tsnd --check accepted localhost:$PORT"
	expect_match "$ERR$OUT" "$conf:$line:[0-9]+: telemetry.prometheus-listen: .*must be address:port" "--check names the line"
	# A busy address: tsnd does not start, and says where the address came from.
	metrics_config "$conf" "127.0.0.1:$PORT"
	local holder
	lab_spawn holder "$IT_NS" socat TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork /dev/null
	lab_wait_until 5 listening "$PORT" || it_fail "socat did not listen"
	it_run timeout --foreground 15 ip netns exec "$(lab_ns "$IT_NS")" "$TSND" -f --stderr -c "$conf"
	((RC != 0 && RC != 124)) || it_fail "tsnd started on a busy port (exit $RC)"
	expect_match "$ERR" "$conf:$line:[0-9]+: telemetry.prometheus-listen: cannot listen on 127.0.0.1:$PORT: Address already in use" \
		"the refusal names file:line and the reason"
	[[ ! -e $IT_DIR/tsnd.sock ]] || it_fail "the refused tsnd left its socket"
}

test_reload() {
	local conf=$IT_DIR/reload.yaml line other=$((PORT + 1))
	metrics_config "$conf"
	it_start_tsnd "$conf"
	! listening "$PORT" || it_fail "listening before the reload"
	# off -> on
	metrics_config "$conf" "127.0.0.1:$PORT"
	expect_exit 0 tsnctl_sw config reload
	http 'GET /metrics HTTP/1.1\r\n\r\n'
	expect_eq "$STATUS" 200 "GET after the reload that turns it on"
	expect_match "$BODY" '^tsnd_config_generation 2$' "generation 2 served"
	# moved to another port: the old one is closed
	metrics_config "$conf" "127.0.0.1:$other"
	expect_exit 0 tsnctl_sw config reload
	http 'GET /metrics HTTP/1.1\r\n\r\n' 127.0.0.1 "$other"
	expect_eq "$STATUS" 200 "GET on the new port"
	! listening "$PORT" || it_fail "the old port still listens"
	# same port, another address (0.0.0.0 needs 127.0.0.1's port freed first)
	metrics_config "$conf" "0.0.0.0:$other"
	expect_exit 0 tsnctl_sw config reload
	expect_match "$ERR$OUT" 'beyond loopback' "a warning for a non-loopback listener"
	http 'GET /metrics HTTP/1.1\r\n\r\n' 127.0.0.1 "$other"
	expect_eq "$STATUS" 200 "GET on 0.0.0.0"
	# a busy address: apply-failed at file:line, the running listener stays
	local holder
	lab_spawn holder "$IT_NS" socat TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork /dev/null
	lab_wait_until 5 listening "$PORT" || it_fail "socat did not listen"
	metrics_config "$conf" "127.0.0.1:$PORT"
	line=$(grep -n 'prometheus-listen' "$conf" | cut -d: -f1)
	expect_exit 1 tsnctl_sw config reload
	expect_match "$ERR" "$conf:$line:[0-9]+: telemetry.prometheus-listen: cannot listen on 127.0.0.1:$PORT" "reload refusal"
	http 'GET /metrics HTTP/1.1\r\n\r\n' 127.0.0.1 "$other"
	expect_eq "$STATUS" 200 "the old listener after the refused reload"
	expect_match "$BODY" '^tsnd_config_last_reload_success 0$' "the failed reload is a metric"
	# on -> off
	metrics_config "$conf"
	expect_exit 0 tsnctl_sw config reload
	! listening "$other" || it_fail "still listening after the reload that turns it off"
}

# The listener's code under memcheck: requests good and bad, a client that goes
# away mid-request, reloads that move, refuse and stop it, and SIGTERM with a
# connection still open.  No memory error, no definite leak.
test_valgrind() {
	command -v valgrind >/dev/null || it_fail "valgrind is not installed (scripts/install-deps.sh)"
	local conf=$IT_DIR/vg.yaml vg_log=$IT_DIR/valgrind.log rc=0 other=$((PORT + 2)) holder
	metrics_config "$conf" "127.0.0.1:$PORT"
	IT_SOCK=$IT_DIR/tsnd.sock
	lab_spawn TSND_PID "$IT_NS" valgrind --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite --error-exitcode=99 --suppressions="$IT_REPO/tests/valgrind.supp" \
		--log-file="$vg_log" "$TSND" -f --stderr -c "$conf" >>"$IT_LOG" 2>&1
	lab_wait_until 90 tsnctl_sw status || it_fail "tsnd under valgrind did not answer within 90 s"
	http 'GET /metrics HTTP/1.1\r\n\r\n'
	expect_eq "$STATUS" 200 "GET under valgrind"
	check_text "$BODY" "GET under valgrind"
	http 'HEAD /metrics HTTP/1.0\r\n\r\n'
	http 'GET /x HTTP/1.1\r\n\r\n'
	expect_eq "$STATUS" 404 "404 under valgrind"
	http 'PUT /metrics HTTP/1.1\r\n\r\n'
	expect_eq "$STATUS" 405 "405 under valgrind"
	http "GET /metrics HTTP/1.1\\r\\nX: $(printf 'b%.0s' {1..5000})\\r\\n\\r\\n"
	expect_eq "$STATUS" 431 "431 under valgrind"
	http 'GET /metr'	# half a request: closed at the deadline
	lab_spawn holder "$IT_NS" socat TCP-LISTEN:$other,bind=127.0.0.1,reuseaddr,fork /dev/null
	lab_wait_until 5 listening "$other" || it_fail "socat did not listen"
	metrics_config "$conf" "127.0.0.1:$other"
	expect_exit 1 tsnctl_sw config reload
	metrics_config "$conf" "127.0.0.1:$((other + 1))"
	expect_exit 0 tsnctl_sw config reload
	http 'GET /metrics HTTP/1.1\r\n\r\n' 127.0.0.1 $((other + 1))
	expect_eq "$STATUS" 200 "GET after the move under valgrind"
	metrics_config "$conf"
	expect_exit 0 tsnctl_sw config reload
	metrics_config "$conf" "127.0.0.1:$PORT"
	expect_exit 0 tsnctl_sw config reload
	# an idle connection tsnd must close at shutdown
	lab_exec "$IT_NS" timeout 30 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1; cat <&3 >/dev/null' _ "$PORT" &
	local idle=$!
	sleep 1
	kill -TERM "$TSND_PID"
	lab_wait_until 60 eval '! lab_pid_alive '"$TSND_PID" || it_fail "tsnd under valgrind still runs 60 s after SIGTERM"
	wait "$TSND_PID" || rc=$?
	wait "$idle" || true
	((rc != 99)) || it_fail "valgrind: $(grep -E 'Invalid|uninitialised|definitely lost|ERROR SUMMARY' "$vg_log" | head -n 4 | tr '\n' '|')"
	expect_eq "$rc" 0 "tsnd's exit status under valgrind"
	expect_match "$(cat "$vg_log")" 'ERROR SUMMARY: 0 errors' "valgrind error summary"
}

it_main off_by_default serves_metrics http_errors trickling_client ipv6_loopback bad_listen_refused reload valgrind
