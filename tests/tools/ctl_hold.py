#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""ctl_hold.py — hold control connections to tsnd open, as a peer that tries to
lock others out would: N connections, each sending COMMAND every INTERVAL seconds
(so that no deadline closes it) and reading the replies.

Usage: ctl_hold.py SOCKET N COMMAND INTERVAL READY_FILE

Connections tsnd refuses or closes are opened again.  READY_FILE gets one line,
"held K", once the first round of requests is answered (K: connections tsnd kept),
and is rewritten after every round.  Runs until killed.
"""
import json
import os
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s


def ask(s, command, rid):
    """One request; the reply's code, or None if the connection is gone."""
    req = {"version": 1, "id": rid, "command": command}
    try:
        s.sendall((json.dumps(req) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                return None
            buf += chunk
        reply = json.loads(buf.decode())
        if reply.get("id") != rid:	# busy or closed for room: id 0
            return None
        return reply.get("code")
    except OSError:
        return None


def main():
    path, n, command, interval, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
        float(sys.argv[4]), sys.argv[5]
    conns = [None] * n
    rid = 1
    while True:
        kept = 0
        for i in range(n):
            if conns[i] is None:
                try:
                    conns[i] = connect(path)
                except OSError:
                    continue
            rid += 1
            if ask(conns[i], command, rid) is None:
                conns[i].close()
                conns[i] = None
            else:
                kept += 1
        with open(ready + ".tmp", "w") as f:
            f.write("held %d\n" % kept)
        os.replace(ready + ".tmp", ready)
        time.sleep(interval)


if __name__ == "__main__":
    main()
