#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_frer_enable.sh — FRER switched on by a reload, in a tsnd that started without
# it: how tsncnc deploys a redundant stream (tests/kernel-lab/guest/tests/
# test_cnc_ring.sh found it).  After start-up tsnd holds neither CAP_PERFMON nor
# CAP_SYS_ADMIN (daemon/core/privs.c), which the kernel may want to load BPF
# programs, so it loads frer.bpf.o at start whether or not the start-up
# configuration uses FRER (docs/frer.md).
#
#   reload_enables  tsnd starts with no frer section; a reload adds a generator:
#                   the reload succeeds and `frer show` has the stream.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# config FILE FRER: the fixture's switch with ports sw0p1 (XDP), sw0p2, sw0p3; FRER section FRER
config() {
	cat >"$1" <<EOF2
daemon:
  log-level: info
  log-target: stderr
  pid-file: $IT_DIR/sw/tsnd.pid
  state-dir: $IT_DIR/sw
control:
  socket: $IT_DIR/sw/tsnd.sock
  timeout: 2s
ports:
  - { name: sw0p1, xdp: generic }
  - { name: sw0p2 }
  - { name: sw0p3 }
streams:
  - { id: 10, name: ctl, identification: dst-mac-vlan, dst-mac: "01:1b:19:00:00:10", priority: 5 }
$2
dataplane:
  pin-dir: /sys/fs/bpf/${LAB_PREFIX}frer-enable
  keep-on-exit: false
EOF2
}

ctl() {
	lab_exec "$IT_NS" "$TSNCTL" -s "$IT_DIR/sw/tsnd.sock" "$@"
}

test_reload_enables() {
	# shellcheck disable=SC2034  # pid: set by lab_spawn (stopped at the end)
	local pid j
	lab_veth "$IT_NS" sw0p3 "$IT_PEER" p3 4
	mkdir -p "$IT_DIR/sw"
	config "$IT_DIR/sw.yaml" ""
	lab_spawn pid "$IT_NS" "$TSND" -f --stderr -c "$IT_DIR/sw.yaml" >>"$IT_DIR/sw.log" 2>&1
	lab_wait_until 10 ctl status || it_fail "tsnd did not start: $(it_tail "$IT_DIR/sw.log")"
	expect_json "$(ctl -j frer show)" '(.streams | length) == 0' "no FRER at start"
	config "$IT_DIR/sw.yaml" "frer:
  - { stream: ctl, role: generator, paths: [ { port: sw0p2 }, { port: sw0p3 } ] }"
	expect_exit 0 ctl config reload
	j=$(ctl -j frer show)
	expect_json "$j" '.enabled == true and .streams[0].role == "generator"' "FRER on after the reload ($j)"
	expect_no_match "$(cat "$IT_DIR/sw.log")" "cannot load the FRER programs" "no load failure in the log"
}

it_main reload_enables
