#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
# ring_rx.py — the ring's listener (tests/test_cnc_ring.sh): counts cnc_talk's
# frames per stream id and, unlike `cnc_talk listen` (which stamps latencies and
# drops a repeated number silently), every repeat and every number that arrives
# after a higher one: FRER's claim is "each frame once, in order".
#
#   ring_rx.py IFACE SECONDS IDLE
# listens until SECONDS passed, IDLE s went by without a frame after the first,
# or SIGTERM came;
# prints "ready" on stderr once bound, then one JSON line per id:
#   {"id", "frames" (all arrivals), "unique", "duplicates", "out_of_order",
#    "first", "last" (lowest, highest number), "gaps" (numbers in between missing),
#    "seqs" (the numbers that arrived, ascending)}
import json
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_CNC = 0x88B5
MAGIC = 0x434E4354


stop = False


def on_term(_sig, _frame):
    global stop
    stop = True


def main():
    signal.signal(signal.SIGTERM, on_term)
    ifname, secs, idle = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind((ifname, ETH_P_ALL))
    print("ready", file=sys.stderr, flush=True)
    st = {}
    end = time.monotonic() + secs
    last = 0.0
    while True:
        now = time.monotonic()
        if stop or now >= end or (last and now - last > idle):
            break
        r, _, _ = select.select([s], [], [], 0.2)
        if not r:
            continue
        f, addr = s.recvfrom(2048)
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        o = 12
        if f[o:o + 2] == b"\x81\x00":  # the tag in the bytes (else in metadata)
            o += 4
        if len(f) < o + 14 or struct.unpack_from("!H", f, o)[0] != ETH_P_CNC:
            continue
        magic, sid, seq = struct.unpack_from("!III", f, o + 2)
        if magic != MAGIC:
            continue
        x = st.setdefault(sid, {"frames": 0, "seen": set(), "dup": 0, "ooo": 0, "max": -1})
        x["frames"] += 1
        if seq in x["seen"]:
            x["dup"] += 1
        else:
            if seq < x["max"]:
                x["ooo"] += 1
            x["seen"].add(seq)
            x["max"] = max(x["max"], seq)
        last = time.monotonic()
    for sid in sorted(st):
        x = st[sid]
        lo, hi = min(x["seen"]), max(x["seen"])
        print(json.dumps({"id": sid, "frames": x["frames"], "unique": len(x["seen"]),
                          "duplicates": x["dup"], "out_of_order": x["ooo"], "first": lo, "last": hi,
                          "gaps": hi - lo + 1 - len(x["seen"]), "seqs": sorted(x["seen"])}))


main()
