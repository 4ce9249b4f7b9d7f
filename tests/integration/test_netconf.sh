#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_netconf.sh — tsn-netconfd against a real tsnd in the test namespace, driven by
# ncclient (tests/netconf/nc.py): capabilities, get-config equal to tsnctl's config
# show, live state in <get>, edit + commit reaching tsnd, invalid edits refused with
# the YANG path and nothing changed, locks, roles, kill-session, many sessions, and
# garbage on the wire.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NETCONFD=$IT_BUILD/tsn-netconfd
TSN_YANG=$IT_BUILD/tsn-yang
NC_PY=$IT_REPO/tests/netconf/nc.py
YANG_DIR=$IT_REPO/netconf/yang
PY=/usr/bin/python3

# nc_start NAME: tsnd and tsn-netconfd (port 830 inside the switch namespace) with
# users admin (role admin) and reader (role read), and the test's client process.
# tsn-netconfd needs tsnd only for its first RPC: it and the client start while
# tsnd loads its BPF programs (seconds on a busy host).
nc_start() {
	local conf=$IT_DIR/tsnd-$1.yaml
	it_config "$conf"
	# NC_EXTRA: more top-level sections for tsnd's configuration
	[[ -z ${NC_EXTRA:-} ]] || printf '%s\n' "$NC_EXTRA" >>"$conf"
	IT_SOCK=$(awk '$1 == "socket:" { print $2; exit }' "$conf")
	NC_KEYS=$IT_DIR/keys-$1
	mkdir -p "$NC_KEYS"
	ssh-keygen -q -t ed25519 -N '' -f "$NC_KEYS/host" <<<y >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$NC_KEYS/admin" <<<y >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$NC_KEYS/reader" <<<y >/dev/null
	NC_CONF=$IT_DIR/netconfd-$1.yaml
	cat >"$NC_CONF" <<EOF
listen: 127.0.0.1
port: 830
host-key: $NC_KEYS/host
tsnd-socket: $IT_SOCK
yang-dir: $YANG_DIR
users:
  - name: admin
    role: admin
    keys: [$NC_KEYS/admin.pub]
  - name: reader
    role: read
    keys: [$NC_KEYS/reader.pub]
EOF
	NC_LOG=$IT_DIR/netconfd-$1.log
	lab_spawn NC_PID "$IT_NS" "$NETCONFD" -c "$NC_CONF" >>"$NC_LOG" 2>&1
	# the test's client: one python process (nc.py serve) whose ncclient sessions
	# stay open (python's start and each SSH handshake cost a second or more),
	# requests on fd 7, answers on fd 8
	local fifo=$IT_DIR/nc-$1
	NC_ERR=$fifo.err
	rm -f "$fifo.in" "$fifo.out"
	mkfifo "$fifo.in" "$fifo.out"
	lab_spawn NCPY_PID "$IT_NS" "$PY" "$NC_PY" serve "$fifo.in" "$fifo.out" 2>>"$NC_ERR"
	it_start_tsnd "$conf"
	# opened after the spawns (a process that inherits them keeps the FIFOs open)
	# and read-write: a FIFO so opened does not wait for its other end, and a client
	# that died at its start cannot hang the test
	exec 7<>"$fifo.in" 8<>"$fifo.out"
	# the first session retries while tsn-netconfd starts
	nc_req --wait 10 caps
	jq -e .ok <<<"$OUT" >/dev/null 2>&1 ||
		it_fail "tsn-netconfd did not answer: ${OUT:0:300}; log: $(it_tail "$NC_LOG")"
	# now that the client holds the answers' FIFO open, read it read-only: should
	# the client die, the next read ends at once instead of waiting out its bound
	exec 8<"$fifo.out"
}

# nc_req [--user U] [--session S] [--wait SECONDS] CMD ARGS...: CMD (nc.py's commands)
# in the session S (default: U's, opened at its first use, as admin or U) of the
# test's client process; its JSON answer in OUT.
nc_req() {
	local user=admin s="" wait=0 id=$RANDOM$RANDOM t0=$SECONDS
	while [[ $1 == --* ]]; do
		case $1 in
		--user) user=$2 ;;
		--session) s=$2 ;;
		--wait) wait=$2 ;;
		esac
		shift 2
	done
	jq -cn --arg id "$id" --arg user "$user" --arg key "$NC_KEYS/$user" --argjson wait "$wait" \
		'[{id: $id, user: $user, key: $key, wait: $wait}] + $ARGS.positional' --args -- "${s:-$user}" "$@" >&7
	# a bound on one answer (100 sessions, a notification's wait); an answer to an
	# earlier request is skipped
	while :; do
		IFS= read -r -t $((300 - (SECONDS - t0))) -u 8 OUT ||
			it_fail "no answer from nc.py serve to $*: $(it_tail "$NC_ERR") log: $(it_tail "$NC_LOG")"
		[[ $OUT != *"\"id\": \"$id\""* ]] || break
	done
}

# nc [--user U] [--session S] CMD ARGS...: nc_req, and the test fails when the
# session itself failed (not for an <rpc-error>).
nc() {
	nc_req "$@"
	[[ $OUT != *'"session_error"'* ]] || it_fail "nc.py $*: ${OUT:0:300} $(it_tail "$NC_ERR")"
}

# nc_fresh CMD ARGS...: CMD in a session of its own, opened for it and closed.
nc_fresh() {
	local s=fresh-$RANDOM$RANDOM
	nc --session "$s" "$@"
	local out=$OUT
	nc --session "$s" close
	OUT=$out
}

expect_alive() {
	lab_pid_alive "$NC_PID" || it_fail "tsn-netconfd died: $(it_tail "$NC_LOG")"
	lab_pid_alive "$TSND_PID" || it_fail "tsnd died"
	nc_fresh caps
	expect_json "$OUT" '.ok' "a new session works"
}

# XML of the tsnd container -> tsnd's normalized JSON (through yanglint and tsn-yang).
xml_to_tsnd() {
	printf '%s' "$1" >"$IT_DIR/x.xml"
	yanglint -f json -t config -p "$YANG_DIR" "$YANG_DIR"/tsnd@*.yang "$IT_DIR/x.xml" >"$IT_DIR/x.json" ||
		it_fail "yanglint refuses the XML: ${1:0:300}"
	"$TSN_YANG" from-yang "$IT_DIR/x.json" >"$IT_DIR/x.tsnd.json" || it_fail "from-yang refused it"
	"$TSN_YANG" normalize "$IT_DIR/x.tsnd.json"
}

running_normalized() {
	expect_exit 0 tsnctl_sw -j config show
	printf '%s' "$OUT" >"$IT_DIR/run.json"
	"$TSN_YANG" normalize "$IT_DIR/run.json"
}

generation() {
	expect_exit 0 tsnctl_sw -j status
	jget "$OUT" .config.generation
}

# An <edit-config> body in a file; prints the file name.
edit_file() {
	local f=$IT_DIR/edit-$RANDOM.xml
	printf '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><tsnd xmlns="urn:tsnd:yang:tsnd">%s</tsnd></config>' "$1" >"$f"
	echo "$f"
}

test_capabilities() {
	nc_start caps
	nc caps
	local c
	for c in 'urn:ietf:params:netconf:base:1.1' 'urn:ietf:params:netconf:capability:candidate:1.0' \
		'urn:ietf:params:netconf:capability:confirmed-commit:1.1' 'urn:ietf:params:netconf:capability:validate:1.1' \
		'urn:ietf:params:netconf:capability:rollback-on-error:1.0' 'urn:ietf:params:netconf:capability:xpath:1.0' \
		'urn:ietf:params:netconf:capability:with-defaults:1.0?basic-mode=report-all' \
		'urn:ietf:params:netconf:capability:yang-library:1.1'; do
		expect_json "$OUT" "[.caps[] | startswith(\"$c\")] | any" "capability $c"
	done
	expect_json "$OUT" '[.caps[] | contains("writable-running")] | any | not' "running is not advertised writable"
	expect_json "$OUT" '[.caps[] | contains("startup")] | any | not' "no startup datastore"
	# a YANG 1.1 module is announced through the yang library; get-schema hands it out
	nc schema tsnd
	expect_match "$(jget "$OUT" .text)" '^(// .*)?module tsnd|container gate-parameter-table' "get-schema tsnd"
}

test_get_config_equals_tsnctl() {
	nc_start getcfg
	local want got
	want=$(running_normalized)
	nc get-config running
	expect_json "$OUT" '.ok' "get-config"
	got=$(xml_to_tsnd "$(jget "$OUT" .xml)")
	[[ $got == "$want" ]] || it_fail "get-config differs from tsnctl config show: $(diff <(echo "$want") <(echo "$got") | head -n 8 | tr '\n' '|')"
	# the candidate starts equal to running; trim leaves out what equals the defaults
	nc get-config candidate
	got=$(xml_to_tsnd "$(jget "$OUT" .xml)")
	[[ $got == "$want" ]] || it_fail "the fresh candidate differs from running"
	nc get-config running trim
	expect_no_match "$(jget "$OUT" .xml)" '<max-clients>32</max-clients>' "trim drops a default value"
	expect_match "$(jget "$OUT" .xml)" '<max-clients>8</max-clients>' "trim keeps a set value"
	# tsn-netconfd keeps running's tree while tsnd's generation stays: a reload behind
	# its back (a new generation) is what the next get-config shows
	sed -i 's/default-priority: 0/default-priority: 5/' "$IT_DIR/tsnd-getcfg.yaml"
	expect_exit 0 tsnctl_sw config reload
	want=$(running_normalized)
	expect_match "$want" '"default-priority": *5' "tsnd runs the reloaded file"
	nc get-config running
	got=$(xml_to_tsnd "$(jget "$OUT" .xml)")
	[[ $got == "$want" ]] || it_fail "get-config after a reload differs from tsnctl config show: $(diff <(echo "$want") <(echo "$got") | head -n 8 | tr '\n' '|')"
}

test_get_state() {
	nc_start state
	nc get
	local x
	x=$(jget "$OUT" .xml)
	grep -q '<state>' <<<"$x" || it_fail "no state subtree; log: $(it_tail "$NC_LOG")"
	expect_match "$x" '<generation>1</generation>' "running-config generation"
	expect_match "$x" '<name>sw0p1</name><present>true</present><oper-state>up</oper-state>' "port sw0p1 live state"
	expect_match "$x" '<pid>[0-9]+</pid>' "tsnd's pid"
	# an XPath filter and a subtree filter pick parts
	nc get "/tsnd:tsnd/state/ports[name='sw0p2']"
	x=$(jget "$OUT" .xml)
	expect_match "$x" 'sw0p2' "xpath filter keeps sw0p2"
	expect_no_match "$x" 'sw0p1|<daemon>' "xpath filter drops the rest"
	nc get-subtree '<tsnd xmlns="urn:tsnd:yang:tsnd"><classification/></tsnd>'
	x=$(jget "$OUT" .xml)
	expect_match "$x" '<default-priority>0</default-priority>' "subtree filter selects classification"
	expect_no_match "$x" '<ports>|<state>' "subtree filter drops the rest"
}

# FRER (802.1CB) state in <get>: a recovery stream on sw0p1 (generic XDP) that takes
# frames without R-TAG; the peer sends a few, then R-tagged ones with a duplicate,
# frames out of order and a rogue number; a subtree filter returns the stream's
# role, configuration and counters, and the per-port counters, equal to `tsnctl -j
# frer show` (read before and after, unchanged).
test_frer_state() {
	local dst=01:1b:19:00:00:10 n=25 before after x
	NC_EXTRA="streams:
  - { id: 10, name: ctl, identification: dst-mac-vlan, dst-mac: \"$dst\", priority: 5 }
frer:
  - stream: ctl
    role: recovery
    algorithm: vector
    history: 16
    reset-timeout: 500ms
    take-no-sequence: true
    paths: [ { port: sw0p2 } ]" nc_start frer
	it_run lab_exec "$IT_PEER" "$IT_BUILD/tests/tools/frer_probe" send p1 "$dst" -n "$n" -r 1000
	expect_json "$OUT" ".sent == $n" "the peer sent $n frames: $OUT $ERR"
	# then R-tagged ones (EtherType 0xF1C1): 100 101 101 103 102 200 -- a duplicate,
	# two out of order, one rogue (beyond the history of 16)
	it_run lab_exec "$IT_PEER" "$PY" -c '
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
dst = bytes.fromhex(sys.argv[2].replace(":", ""))
for seq in (100, 101, 101, 103, 102, 200):
    f = dst + bytes.fromhex("020000000001") + struct.pack("!HHHH", 0xF1C1, 0, seq, 0x88B5) + b"FRRP"
    s.send(f.ljust(60, bytes(1)))
' p1 "$dst"
	[[ $RC == 0 ]] || it_fail "sending R-tagged frames: $ERR"
	# tsnd's answer in the module's shape (names with '-', uint64 as strings)
	local shape='{streams: (.streams | map({handle: .stream_id, name, role, "history-length": .history,
		"reset-timeout": (.reset_ns | tostring), functions: .roles,
		counters: (.counters | with_entries(.key |= gsub("_"; "-")) | map_values(tostring))})),
		ports: (.ports | map(select(.port) | {name: .port,
		counters: (.counters | with_entries(.key |= gsub("_"; "-")) | map_values(tostring))}) | sort_by(.name))}'
	expect_exit 0 tsnctl_sw -j frer show
	before=$(jq -cS "$shape" <<<"$OUT")
	expect_json "$before" ".streams[0].counters[\"tagless-packets\"] == \"$n\" and
		.streams[0].counters[\"passed-packets\"] == \"$((n + 4))\"" "tsnctl: the frames passed: $before"
	expect_json "$before" '.streams[0].counters | ."discarded-packets" == "1" and ."rogue-packets" == "1" and
		."out-of-order-packets" != "0"' "tsnctl: a duplicate, a rogue frame, frames out of order"
	nc get-subtree '<tsnd xmlns="urn:tsnd:yang:tsnd"><state><frer/></state></tsnd>'
	x=$(jget "$OUT" .xml)
	expect_no_match "$x" '<daemon>|<ptp>|<config>' "the subtree filter selects only frer"
	printf '%s' "$x" >"$IT_DIR/frer.xml"
	yanglint -f json -t get -p "$YANG_DIR" "$YANG_DIR"/tsnd@*.yang "$IT_DIR/frer.xml" >"$IT_DIR/frer.json" ||
		it_fail "yanglint refuses the state: ${x:0:300}"
	local got
	got=$(jq -cS '."tsnd:tsnd".state.frer | {streams: (.streams | map({handle, name, role, "history-length",
		"reset-timeout", functions, counters})), ports: (.ports | sort_by(.name))}' "$IT_DIR/frer.json")
	expect_exit 0 tsnctl_sw -j frer show
	after=$(jq -cS "$shape" <<<"$OUT")
	expect_eq "$after" "$before" "the counters stood still while <get> ran"
	expect_eq "$got" "$before" "<get>'s FRER state equals tsnctl -j frer show"
	expect_json "$got" '.streams[0] | .role == "recovery" and .handle == 10 and .name == "ctl" and
		."history-length" == 16 and ."reset-timeout" == "500000000"' "the stream's role and configuration"
	expect_json "$got" '[.ports[].name] | index("sw0p1") != null' "per-port counters of sw0p1"
	expect_match "$x" '<algorithm>vector</algorithm>' "the recovery algorithm"
	expect_match "$x" '<paths><index>0</index><port>sw0p2</port></paths>' "the stream's path"
}

test_edit_commit() {
	nc_start commit
	local gen f
	gen=$(generation)
	f=$(edit_file '<classification><default-priority>3</default-priority><pcp><pcp>5</pcp><priority>6</priority></pcp></classification>')
	nc edit "$f"
	expect_json "$OUT" '.ok' "edit-config"
	nc get-config candidate
	expect_match "$(jget "$OUT" .xml)" '<default-priority>3</default-priority>' "candidate edited"
	expect_exit 0 tsnctl_sw -j config show
	expect_json "$OUT" '.classification."default-priority" == 0' "running untouched before commit"
	nc commit
	expect_json "$OUT" '.ok' "commit: ${OUT:0:300}"
	expect_exit 0 tsnctl_sw -j config show
	expect_json "$OUT" '.classification."default-priority" == 3' "tsnd runs the committed value"
	expect_json "$OUT" '.classification.pcp == [{"pcp":5,"priority":6}]' "tsnd runs the new pcp rule"
	expect_eq "$(generation)" "$((gen + 1))" "one new generation"
	# delete it again, then discard-changes forgets an edit
	f=$(edit_file '<classification><pcp xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="delete"><pcp>5</pcp></pcp></classification>')
	nc edit "$f"
	expect_json "$OUT" '.ok' "delete edit"
	nc discard
	nc get-config candidate
	expect_match "$(jget "$OUT" .xml)" '<pcp><pcp>5</pcp>' "discard-changes restores the candidate"
	nc edit "$f"
	f=$(edit_file '<classification><pcp xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="delete"><pcp>5</pcp></pcp></classification>')
	nc edit "$f"
	expect_json "$OUT" '.tag == "data-missing"' "deleting a missing node: data-missing"
}

# invalid EDIT-XML PATH-REGEX MESSAGE-REGEX: the edit (or its commit) is refused
# with the path and message; tsnd's running config and generation stay.
invalid() {
	local f gen before
	gen=$(generation)
	before=$(running_normalized)
	f=$(edit_file "$1")
	nc edit "$f"
	if jq -e .ok <<<"$OUT" >/dev/null; then
		nc commit
	fi
	expect_json "$OUT" '.ok | not' "refused: $1"
	expect_match "$(jget "$OUT" '.errors[].path')" "$2" "error-path"
	# a path, not libyang's 'Data location "...", line number N.'
	expect_json "$OUT" '[.errors[].path | select(. != "") | startswith("/")] | all' "error-path is an XPath: $OUT"
	expect_match "$(jget "$OUT" '.errors[].message')" "$3" "error-message"
	expect_eq "$(generation)" "$gen" "generation unchanged"
	[[ $(running_normalized) == "$before" ]] || it_fail "the running config changed"
	nc discard
}

test_invalid_edits() {
	nc_start invalid
	local sched='<ports><name>sw0p1</name><gate-parameter-table><num-tc>2</num-tc>'
	local i map=""
	for i in $(seq 0 15); do map+="<map><priority>$i</priority><traffic-class>$((i % 2))</traffic-class></map>"; done
	sched+="$map<queues><traffic-class>0</traffic-class><count>1</count><offset>0</offset></queues>"
	sched+="<queues><traffic-class>1</traffic-class><count>1</count><offset>1</offset></queues>"
	# interval 0: the module's range
	invalid "$sched<admin-control-list><gate-control-entry><index>0</index><gate-states-value>1</gate-states-value><time-interval-value>0</time-interval-value></gate-control-entry></admin-control-list></gate-parameter-table></ports>" \
		"/tsnd:tsnd/ports\\[name='sw0p1'\\]/gate-parameter-table/admin-control-list/gate-control-entry\\[index='0'\\]/time-interval-value" \
		"[Vv]alue .*0.*|range"
	# a class beyond num-tc: tsnd's own check, its words
	invalid "$sched<admin-control-list><gate-control-entry><index>0</index><gate-states-value>8</gate-states-value><time-interval-value>1000</time-interval-value></gate-control-entry></admin-control-list></gate-parameter-table></ports>" \
		"/tsnd:tsnd/ports\\[name='sw0p1'\\]/gate-parameter-table/admin-control-list/gate-control-entry\\[index='0'\\]/gate-states-value" \
		"class 3|num-tc"
	# a route via a port that is not configured
	invalid "<routes><prefix>2001:db8:9::/64</prefix><metric>1024</metric><dev>sw9</dev></routes>" \
		"/tsnd:tsnd/routes\\[prefix='2001:db8:9::/64'\\]\\[metric='1024'\\]/dev" "sw9"
	# an element the module does not have
	invalid "<daemon><colour>red</colour></daemon>" "" "colour"
}

test_stalled_client() {
	nc_start stall
	local i
	# clients that stop in the middle of a message and keep the connection open
	# hold up a poll thread each (libnetconf2 waits for the rest); others go on
	for i in 1 2; do
		lab_spawn STALL_PID "$IT_NS" "$PY" -c "$STALL_PY" "$NC_KEYS/admin" "$IT_DIR/stalled-$i" 7>&- 8>&-
	done
	lab_wait_until 10 test -e "$IT_DIR/stalled-1" -a -e "$IT_DIR/stalled-2" || it_fail "the stalled clients did not start"
	# a session opened while they stall, as the 10 below
	nc_fresh get-config running
	expect_json "$OUT" '.ok' "get-config while two clients stall mid-message"
	nc sessions 10
	expect_json "$OUT" '.good == 10' "new sessions while two clients stall: $OUT"
}

STALL_PY='
import sys, time, paramiko
key = paramiko.Ed25519Key.from_private_key_file(sys.argv[1])
t = paramiko.Transport(("127.0.0.1", 830)); t.connect(username="admin", pkey=key)
c = t.open_session(); c.invoke_subsystem("netconf")
c.sendall(b"<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities><capability>urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>]]>]]>")
time.sleep(0.5)
c.sendall(b"\n#100\n<rpc message-id=\"1\" xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><get")
open(sys.argv[2], "w").close()
time.sleep(60)
'

NCOP='xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation'

test_edit_operations() {
	nc_start ops
	local f x
	# create an existing leaf: data-exists; create a new list entry: ok
	f=$(edit_file "<classification><default-priority $NCOP=\"create\">1</default-priority></classification>")
	nc edit "$f"
	expect_json "$OUT" '.tag == "data-exists"' "create of an existing leaf: $OUT"
	f=$(edit_file "<classification><dscp $NCOP=\"create\"><dscp>46</dscp><priority>5</priority></dscp></classification>")
	nc edit "$f"
	expect_json "$OUT" '.ok' "create of a new entry"
	# replace an entry: its old leaves go
	f=$(edit_file "<streams $NCOP=\"replace\"><handle>7</handle><identification>ipv6</identification><ip-destination>2001:db8::7</ip-destination><priority>3</priority></streams>")
	nc edit "$f"
	expect_json "$OUT" '.ok' "a new stream: ${OUT:0:300}"
	f=$(edit_file "<streams $NCOP=\"replace\"><handle>7</handle><identification>ipv6</identification><ip-destination>2001:db8::8</ip-destination><dscp>46</dscp><priority>3</priority></streams>")
	nc edit "$f"
	expect_json "$OUT" '.ok' "replace of the stream: ${OUT:0:300}"
	nc get-config candidate
	x=$(jget "$OUT" .xml)
	expect_match "$x" '<handle>7</handle>.*<ip-destination>2001:db8::8</ip-destination><dscp>46</dscp>' "replaced entry"
	expect_no_match "$x" '2001:db8::7' "the old value is gone"
	# remove of something missing is fine; delete is not
	f=$(edit_file "<streams $NCOP=\"remove\"><handle>99</handle></streams>")
	nc edit "$f"
	expect_json "$OUT" '.ok' "remove of a missing entry"
	f=$(edit_file "<streams $NCOP=\"delete\"><handle>99</handle></streams>")
	nc edit "$f"
	expect_json "$OUT" '.tag == "data-missing"' "delete of a missing entry"
	# test-only checks and changes nothing; a bad one is refused
	f=$(edit_file "<classification><default-priority>6</default-priority></classification>")
	nc edit "$f" - test-only
	expect_json "$OUT" '.ok' "test-only"
	nc get-config candidate
	expect_match "$(jget "$OUT" .xml)" '<default-priority>0</default-priority>' "test-only changed nothing"
	# default-operation replace: the <config> is the whole new content
	f=$(edit_file "<classification><default-priority>2</default-priority></classification><ports><name>sw0p1</name></ports>")
	nc edit "$f" replace
	expect_json "$OUT" '.ok' "replace all: ${OUT:0:300}"
	nc get-config candidate
	x=$(jget "$OUT" .xml)
	expect_no_match "$x" 'sw0p2|<streams>' "only the new content"
	expect_match "$x" '<default-priority>2</default-priority>' "the new content"
	nc validate candidate
	expect_json "$OUT" '.ok' "the replaced candidate is valid: ${OUT:0:300}"
	nc commit
	expect_json "$OUT" '.ok' "commit of the replaced candidate: ${OUT:0:300}"
	expect_exit 0 tsnctl_sw -j config show
	expect_json "$OUT" '(.ports | length) == 1 and .ports[0].name == "sw0p1" and .streams == []' "tsnd runs the replacement"
}

# The commit sends what the last edit's check made of the candidate; an edit with
# test-option "set" skips that check, so its commit must check the candidate itself
# and not send the earlier edit's result.
test_commit_after_set() {
	nc_start set
	local f gen
	gen=$(generation)
	f=$(edit_file '<classification><default-priority>3</default-priority></classification>')
	nc edit "$f"
	expect_json "$OUT" '.ok' "a checked edit"
	# a class beyond num-tc: only tsnd's checks see it
	local sched='<ports><name>sw0p1</name><gate-parameter-table><num-tc>2</num-tc>' i
	for i in $(seq 0 15); do sched+="<map><priority>$i</priority><traffic-class>$((i % 2))</traffic-class></map>"; done
	sched+="<queues><traffic-class>0</traffic-class><count>1</count><offset>0</offset></queues>"
	sched+="<queues><traffic-class>1</traffic-class><count>1</count><offset>1</offset></queues>"
	f=$(edit_file "$sched<admin-control-list><gate-control-entry><index>0</index><gate-states-value>8</gate-states-value><time-interval-value>1000</time-interval-value></gate-control-entry></admin-control-list></gate-parameter-table></ports>")
	nc edit "$f" - set
	expect_json "$OUT" '.ok' "test-option set takes it unchecked: ${OUT:0:300}"
	nc commit
	expect_json "$OUT" '.ok | not' "the commit checks the candidate: ${OUT:0:300}"
	expect_match "$(jget "$OUT" '.errors[].path')" "gate-control-entry\\[index='0'\\]/gate-states-value" "error-path"
	expect_eq "$(generation)" "$gen" "generation unchanged"
	expect_eq "$(prio)" 0 "not even the first edit applied"
}

prio() {
	expect_exit 0 tsnctl_sw -j config show
	jget "$OUT" '.classification."default-priority"'
}

test_confirmed_commit() {
	nc_start confirm
	local f gen
	f=$(edit_file '<classification><default-priority>4</default-priority></classification>')
	# persisted, never confirmed: tsnd itself rolls back when the time is up
	gen=$(generation)
	nc confirmed-drop 2 "$f" p1
	expect_json "$OUT" '.ok' "confirmed commit: ${OUT:0:300}"
	expect_eq "$(prio)" 4 "applied while pending"
	lab_wait_until 6 bash -c "[[ \$(ip netns exec $(lab_ns "$IT_NS") $TSNCTL -s $IT_SOCK -j config show | jq '.classification.\"default-priority\"') == 0 ]]" ||
		it_fail "tsnd did not roll back within the timeout + 4 s (default-priority $(prio))"
	expect_no_match "$(cat "$IT_DIR/tsnd-confirm.yaml")" 'default-priority: 4' "the file is untouched"
	# without persist, the end of the issuing session rolls back at once
	nc confirmed-drop 60 "$f"
	expect_json "$OUT" '.ok' "confirmed commit without persist"
	lab_wait_until 5 bash -c "[[ \$(ip netns exec $(lab_ns "$IT_NS") $TSNCTL -s $IT_SOCK -j config show | jq '.classification.\"default-priority\"') == 0 ]]" ||
		it_fail "the session's end did not roll back"
	# persisted and confirmed from another session: kept, and written to tsnd's file
	nc confirmed-drop 60 "$f" p2
	nc --session other confirm p2
	expect_json "$OUT" '.ok' "confirming commit: ${OUT:0:300}"
	expect_eq "$(prio)" 4 "kept after the confirmation"
	expect_match "$(cat "$IT_DIR/tsnd-confirm.yaml")" 'default-priority: 4' "written to tsnd's configuration file"
	nc cancel-commit
	expect_json "$OUT" '.tag == "operation-failed"' "nothing left to cancel"
}

test_notifications() {
	nc_start notif
	nc caps
	expect_json "$OUT" '[.caps[] | startswith("urn:ietf:params:netconf:capability:notification:1.0")] | any' "notification capability"
	nc_fresh notify 20 config-applied "$TSNCTL" -s "$IT_SOCK" config reload
	expect_json "$OUT" '.ok' "config-applied after a reload: ${OUT:0:400}"
	expect_match "$(jget "$OUT" .xml)" '<generation>2</generation>' "the new generation"
	expect_match "$(jget "$OUT" .xml)" '<result>ok</result>' "the reload's result"
}

# sync-state-changed: PTP enabled by a reload (tsnd's ptp4l, free running, no
# grandmaster) takes the sync state away from "disabled".
test_notify_sync_state() {
	nc_start sync
	local conf=$IT_DIR/tsnd-sync.yaml new=$IT_DIR/tsnd-sync-ptp.yaml
	awk -v sock="$IT_DIR/sync-ptp4l.sock" '
		/^ptp:/ { print; getline
			print "  enabled: true\n  transport: l2\n  free-running: true\n  uds-address: " sock
			print "  ports:\n    - { name: sw0p1 }\n    - { name: sw0p2 }"; next }
		{ print }' "$conf" >"$new"
	grep -q 'enabled: true' "$new" || it_fail "could not write the PTP configuration"
	nc_fresh notify 30 sync-state-changed bash -c "cp '$new' '$conf' && '$TSNCTL' -s '$IT_SOCK' config reload"
	expect_json "$OUT" '.ok' "sync-state-changed after PTP was enabled: ${OUT:0:400}"
	expect_match "$(jget "$OUT" .xml)" '<previous>disabled</previous>' "the previous sync state"
	expect_match "$(jget "$OUT" .xml)" '<sync-state>[a-z-]+</sync-state>' "the new sync state"
	expect_no_match "$(jget "$OUT" .xml)" '<sync-state>disabled</sync-state>' "the state changed"
}

test_yang_module() {
	it_run bash "$IT_REPO/tests/netconf/test_yang.sh"
	[[ $RC == 0 ]] || it_fail "tests/netconf/test_yang.sh: $(grep FAIL <<<"$OUT" | head -n 3 | tr '\n' '|')"
}

test_lock() {
	nc_start lock
	nc lock-race
	expect_json "$OUT" '.edit == "in-use"' "edit while another session holds the lock: ${OUT}"
	expect_json "$OUT" '.commit == "in-use"' "commit while another session holds the lock"
	expect_json "$OUT" '.lock == "lock-denied"' "second lock"
	expect_json "$OUT" '.after_unlock == "ok"' "lock free after unlock"
}

test_read_only_user() {
	nc_start ro
	nc --user reader get-config running
	expect_json "$OUT" '.ok' "reader can get-config"
	nc --user reader get
	expect_json "$OUT" '.ok' "reader can get"
	local f
	f=$(edit_file '<classification><default-priority>5</default-priority></classification>')
	nc --user reader edit "$f"
	expect_json "$OUT" '.tag == "access-denied"' "reader cannot edit"
	nc --user reader commit
	expect_json "$OUT" '.tag == "access-denied"' "reader cannot commit"
	nc --user reader lock running
	expect_json "$OUT" '.tag == "access-denied"' "reader cannot lock"
	expect_match "$(cat "$NC_LOG")" 'audit: user=reader session=[0-9]+ rpc=edit-config result=denied' "refusal audited"
	# an unknown key is no user at all (nc.py alone: its exit status says the session failed)
	ssh-keygen -q -t ed25519 -N '' -f "$NC_KEYS/stranger" <<<y >/dev/null
	it_run lab_exec "$IT_NS" "$PY" "$NC_PY" --user admin --key "$NC_KEYS/stranger" caps
	expect_eq "$RC" 2 "a key nobody configured is refused"
}

test_kill_session() {
	nc_start kill
	nc kill
	expect_json "$OUT" '.victim != "alive" and .killer == "alive"' "kill-session: $OUT"
	expect_alive
}

# listen_overflows: connections the kernel of the switch namespace dropped because a
# listening socket's accept queue was full (TcpExt ListenOverflows).
listen_overflows() {
	lab_exec "$IT_NS" awk '/^TcpExt:/ { if (!n) { for (i = 2; i <= NF; i++) if ($i == "ListenOverflows") k = i; n = 1 } else print $k }' /proc/net/netstat
}

test_many_sessions() {
	nc_start many
	# libnetconf2 listens with a backlog of 5: clients connecting together had their
	# handshakes dropped and came in seconds later, past paramiko's banner timeout
	local backlog before after
	backlog=$(lab_exec "$IT_NS" ss -ltnH 'sport = :830' | awk '{ print $3 }')
	((backlog >= 100)) || it_fail "the NETCONF listen backlog is ${backlog:-?}"
	before=$(listen_overflows)
	nc sessions 100
	after=$(listen_overflows)
	((after == before)) || it_fail "the kernel dropped $((after - before)) connections on a full accept queue"
	expect_json "$OUT" '.good == 100 and .open_at_once == 100' "100 sessions open at once, each answers a <get>: $OUT"
	expect_alive
}

test_garbage() {
	nc_start garbage
	# raw garbage where SSH is expected, then a connection that stops after a partial banner
	it_run lab_exec "$IT_NS" "$PY" -c '
import socket, time
s = socket.create_connection(("127.0.0.1", 830)); s.sendall(b"\x00\xff garbage " * 1000); time.sleep(0.2); s.close()
s = socket.create_connection(("127.0.0.1", 830)); s.sendall(b"SSH-2.0-half"); time.sleep(0.2); s.close()
'
	expect_alive
	# inside the NETCONF channel: malformed XML, a chunk header that lies, a client that stops mid-message
	it_run lab_exec "$IT_NS" "$PY" - "$NC_KEYS/admin" <<'EOF'
import sys, time, paramiko
key = paramiko.Ed25519Key.from_private_key_file(sys.argv[1])
def channel():
    t = paramiko.Transport(("127.0.0.1", 830)); t.connect(username="admin", pkey=key)
    c = t.open_session(); c.invoke_subsystem("netconf")
    hello = b'<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>]]>]]>'
    c.sendall(hello); time.sleep(0.3)
    if c.recv_ready(): c.recv(1 << 20)
    return t, c
big = (b"<rpc message-id='4' xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'><edit-config><target><candidate/></target>"
       b"<config><tsnd xmlns='urn:tsnd:yang:tsnd'><daemon><state-dir>/" + b"x" * (50 << 20) +
       b"</state-dir></daemon></tsnd></config></edit-config></rpc>")
t, c = channel()
msg = memoryview(b"\n#%d\n" % len(big) + big + b"\n##\n")
try:
    # not sendall(): it copies the rest of the buffer after every SSH packet, minutes for 50 MB
    off = 0
    while off < len(msg):
        off += c.send(msg[off:off + 65536].tobytes())
except (OSError, EOFError, paramiko.SSHException) as e:  # refused: the server closed while we sent
    print("send stopped:", type(e).__name__, file=sys.stderr)
c.settimeout(60)
reply = b""
while b"</rpc-reply>" not in reply:
    d = c.recv(1 << 16)
    if not d: break
    reply += d
t.close()
print("big:", b"rpc-error" in reply, b"<error-tag>too-big</error-tag>" in reply)
for payload in (b"\n#40\n<rpc message-id='1'><get><<<</rpc>broken\n##\n",
                b"\n#999999999\n<rpc message-id='2'>",
                b"\n#30\n<rpc message-id='3' xmlns='urn:iet"):
    t, c = channel(); c.sendall(payload); time.sleep(0.5); t.close()
EOF
	expect_match "$OUT" 'big: True True' "a 50 MB edit-config is answered with a too-big rpc-error: $OUT ${ERR: -700}"
	expect_alive
	local hwm
	hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$NC_PID/status")
	((hwm < 262144)) || it_fail "tsn-netconfd peaked at $hwm kB for a 50 MB RPC (refused at 16 MiB)"
}

# A commit makes the committed candidate running's tree (tsn-netconfd does not fetch
# and convert what it just sent); TSN_NETCONFD_CHECK_SEED makes it compare that tree
# with a fresh fetch at its first use, exactly (order, default flags), and log which.
# Each commit here, of edits of many kinds, must be verified, none different, and
# get-config must equal tsnctl's config show; a reload behind its back still shows.
seeded_commit() {
	local f
	f=$(edit_file "$1")
	nc edit "$f" ${2:-}
	expect_json "$OUT" '.ok' "edit: ${OUT:0:300}"
	nc commit
	expect_json "$OUT" '.ok' "commit: ${OUT:0:300}"
	local want got
	want=$(running_normalized)
	nc get-config running
	got=$(xml_to_tsnd "$(jget "$OUT" .xml)")
	[[ $got == "$want" ]] || it_fail "get-config after the commit differs from tsnctl config show: $(diff <(echo "$want") <(echo "$got") | head -n 8 | tr '\n' '|')"
	SEEDS=$((SEEDS + 1))
}

test_seeded_running() {
	TSN_NETCONFD_CHECK_SEED=1 nc_start seed
	SEEDS=0
	local i e="" map=""
	# the cached tree first, so that the commits below can be seeded
	nc get-config running
	seeded_commit '<classification><default-priority>3</default-priority><pcp><pcp>5</pcp><priority>6</priority></pcp></classification>'
	for i in $(seq 0 15); do map+="<map><priority>$i</priority><traffic-class>$((i % 2))</traffic-class></map>"; done
	for i in $(seq 0 255); do
		e+="<gate-control-entry><index>$i</index><gate-states-value>$((1 + i % 3))</gate-states-value><time-interval-value>$((100000 + i * 10))</time-interval-value></gate-control-entry>"
	done
	seeded_commit "<ports><name>sw0p1</name><gate-parameter-table><num-tc>2</num-tc>$map<queues><traffic-class>0</traffic-class><count>1</count><offset>0</offset></queues><queues><traffic-class>1</traffic-class><count>1</count><offset>1</offset></queues><admin-base-time><seconds>1</seconds><nanoseconds>0</nanoseconds></admin-base-time><require-sync>true</require-sync><admin-control-list>$e</admin-control-list></gate-parameter-table></ports>"
	seeded_commit "<streams><handle>7</handle><identification>ipv6</identification><ip-destination>2001:db8::7</ip-destination><priority>3</priority></streams><control><max-clients>32</max-clients></control>"
	seeded_commit "<streams $NCOP=\"delete\"><handle>7</handle></streams><classification><pcp $NCOP=\"remove\"><pcp>5</pcp></pcp></classification>"
	# a confirmed commit is seeded too; its cancel (tsnd's rollback) is a new generation
	nc edit "$(edit_file '<classification><default-priority>4</default-priority></classification>')"
	nc commit 60
	expect_json "$OUT" '.ok' "confirmed commit: ${OUT:0:300}"
	nc get-config running
	expect_match "$(jget "$OUT" .xml)" '<default-priority>4</default-priority>' "the pending commit is running"
	SEEDS=$((SEEDS + 1))
	nc cancel-commit
	expect_json "$OUT" '.ok' "cancel-commit: ${OUT:0:300}"
	nc get-config running
	expect_match "$(jget "$OUT" .xml)" '<default-priority>3</default-priority>' "running is back after the cancel"
	seeded_commit "<classification><default-priority>1</default-priority></classification><ports><name>sw0p1</name></ports>" replace
	expect_eq "$(grep -c 'seed: verified' "$NC_LOG")" "$SEEDS" "every commit's tree was checked against a fresh fetch: $(grep 'seed:' "$NC_LOG" | tail -n 3 | tr '\n' '|')"
	expect_no_match "$(cat "$NC_LOG")" 'seed: differs' "no committed tree differed from tsnd's running"
	# the committed candidate's own tree is kept where tsnd's normal form of it is
	# that tree, made so by leaves made explicit (the stream's defaults that tsnd's
	# form sets), and built from the normal form where not (here the port's first
	# schedule)
	local kept built
	kept=$(grep -c 'seed: the committed tree kept' "$NC_LOG")
	built=$(grep -c 'seed: built from' "$NC_LOG")
	expect_eq "$((kept + built))" "$SEEDS" "each seeded tree was kept or built: $(grep 'seed:' "$NC_LOG" | tr '\n' '|')"
	((kept >= 3 && built >= 1)) || it_fail "expected both kinds of seed (kept $kept, built $built): $(grep 'seed:' "$NC_LOG" | tr '\n' '|')"
	# a change behind tsn-netconfd's back after a seeded commit: the next look fetches
	# (the commit wrote tsnd's file: default-priority 1 in it now)
	sed -i -E 's/default-priority: [0-9]+/default-priority: 5/' "$IT_DIR/tsnd-seed.yaml"
	expect_exit 0 tsnctl_sw config reload
	nc get-config running
	expect_match "$(jget "$OUT" .xml)" '<default-priority>5</default-priority>' "a reload after a seeded commit shows"
}

# The proof of a kept tree is load-bearing: with it switched off
# (TSN_NETCONFD_SEED_TRUST, tests only) a commit whose normal form differs from the
# candidate's tree (a new stream: tsnd's form sets leaves the edit left to their
# defaults) leaves a tree that is not tsnd's, and the check against a fresh fetch
# must say so.
test_seed_unproven() {
	TSN_NETCONFD_CHECK_SEED=1 TSN_NETCONFD_SEED_TRUST=1 nc_start trust
	SEEDS=0
	nc get-config running
	seeded_commit "<streams><handle>7</handle><identification>ipv6</identification><ip-destination>2001:db8::7</ip-destination><priority>3</priority></streams>"
	expect_match "$(grep 'seed:' "$NC_LOG")" 'seed: differs' "an unproven kept tree is caught: $(grep 'seed:' "$NC_LOG" | tr '\n' '|')"
}

# An edit of the unmodified candidate works on running's cached tree itself (taken,
# not copied): get-config running must stay tsnd's running configuration after a
# kept edit, a test-only edit and edits refused half way (by nc_edit, by tsnd's
# checks), and the candidate must be running again after each refusal.
running_unchanged() {
	local got
	nc get-config running
	expect_json "$OUT" '.ok' "get-config running: ${OUT:0:300}"
	got=$(xml_to_tsnd "$(jget "$OUT" .xml)")
	[[ $got == "$RUN_WANT" ]] || it_fail "get-config running $1 differs from tsnctl config show: $(diff <(echo "$RUN_WANT") <(echo "$got") | head -n 8 | tr '\n' '|')"
	nc get-config candidate
	got=$(xml_to_tsnd "$(jget "$OUT" .xml)")
	if [[ $2 == same ]]; then
		[[ $got == "$RUN_WANT" ]] || it_fail "the candidate $1 is not running: $(diff <(echo "$RUN_WANT") <(echo "$got") | head -n 8 | tr '\n' '|')"
	else
		expect_match "$got" "$2" "the candidate $1 holds the edit"
	fi
}

test_running_during_edits() {
	nc_start rde
	RUN_WANT=$(running_normalized)
	nc get-config running
	nc edit "$(edit_file '<classification><default-priority>3</default-priority></classification>')" merge test-only
	expect_json "$OUT" '.ok' "test-only edit: ${OUT:0:300}"
	running_unchanged "after a test-only edit" same
	nc edit "$(edit_file "<classification><default-priority>2</default-priority><pcp $NCOP=\"delete\"><pcp>7</pcp></pcp></classification>")"
	expect_json "$OUT" '.tag == "data-missing"' "an edit refused half way: ${OUT:0:300}"
	running_unchanged "after an edit refused by the edit" same
	nc edit "$(edit_file '<routes><prefix>2001:db8:9::/64</prefix><metric>1024</metric><dev>sw9</dev></routes>')"
	expect_json "$OUT" '.ok | not' "an edit refused by the checks: ${OUT:0:300}"
	running_unchanged "after an edit refused by the checks" same
	nc edit "$(edit_file '<classification><default-priority>3</default-priority></classification>')"
	expect_json "$OUT" '.ok' "edit: ${OUT:0:300}"
	running_unchanged "after a kept edit" '"default-priority": *3'
	nc discard
	running_unchanged "after discard-changes" same
}

# NC_TESTS="a b" runs only those.
# shellcheck disable=SC2086
it_main ${NC_TESTS:-yang_module capabilities get_config_equals_tsnctl get_state frer_state edit_commit invalid_edits lock read_only_user
	kill_session many_sessions garbage notifications notify_sync_state confirmed_commit edit_operations stalled_client
	commit_after_set seeded_running seed_unproven running_during_edits}
