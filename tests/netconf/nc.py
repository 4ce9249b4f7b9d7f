#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""nc.py - a NETCONF client for the tests of tsn-netconfd, on ncclient (Debian's
python3-ncclient): a client nobody on this project wrote.

Every command prints one JSON object on stdout: {"ok": true, ...} or
{"ok": false, "tag": ..., "path": ..., "message": ..., "app_tag": ..., "errors": [...]}
for an <rpc-error> (exit 0 either way), and exits 2 when the session itself fails.

  nc.py [--port P] [--user U --key FILE] CMD ARGS...
    caps                            the server's capabilities
    schema NAME                     <get-schema> of a module (its YANG text)
    get-config SOURCE [WD]          <data>'s content as XML (with-defaults WD)
    get [XPATH]                     <get>, optionally with an XPath filter
    get-subtree XML                 <get> with a subtree filter
    edit FILE [DEFAULT-OP] [TEST]   <edit-config> of the candidate with FILE's <config>
    validate SOURCE                 <validate>
    commit [TIMEOUT]                <commit>, confirmed when TIMEOUT (s) is given
    cancel-commit | discard | lock DS | unlock DS
    lock-race                       A locks the candidate; B's edit, commit and lock fail
    kill                            A kills B; B's next RPC fails; A goes on
    confirmed-drop TIMEOUT FILE [PERSIST]  edit + confirmed commit, then end the session
                                    (t_commit_ns: CLOCK_MONOTONIC when the commit was answered)
    confirm PERSIST-ID              the confirming commit from another session
    sessions N [B]                  N sessions open at once (opened B at a time), each a <get>
    notify SECONDS NAME CMD...      subscribe, run CMD, wait for notification NAME
    bench ROUNDS TSND-CONF CONF0 CONF1 EDIT0 EDIT1 TSNCTL SOCK
                                    edit+commit against tsnctl config reload (see bench())
    serve [IN OUT]                  the commands above from stdin, in sessions kept
                                    open, one JSON line each (see serve())
"""
import json
import os
import subprocess
import sys
import threading
import time

from ncclient import manager
from ncclient.transport import ssh as ncssh
from ncclient.operations import RPCError
from ncclient.xml_ import to_ele, to_xml

ARGS = {"port": 830, "user": "admin", "key": None, "host": "127.0.0.1"}


def connect():
    return manager.connect(host=ARGS["host"], port=ARGS["port"], username=ARGS["user"],
                           key_filename=ARGS["key"], hostkey_verify=False, allow_agent=False,
                           look_for_keys=False, timeout=60)


def rpc_error(e):
    errs = getattr(e, "errors", None) or [e]
    return {"ok": False, "tag": e.tag, "path": (e.path or "").strip(), "message": (e.message or "").strip(),
            "app_tag": getattr(e, "app_tag", None),
            "errors": [{"tag": x.tag, "path": (x.path or "").strip(), "message": (x.message or "").strip()}
                       for x in errs]}


def data_children(reply):
    """The content of <data> as XML text (its elements, one after another)."""
    data = reply.data_ele
    return "".join(to_xml(c) for c in data)


def connect_wait(wait=None):
    """connect(), retried for WAIT seconds (default NC_CONNECT_WAIT, else one try)
    while the server is not up yet."""
    if wait is None:
        wait = os.environ.get("NC_CONNECT_WAIT", "0")
    deadline = time.monotonic() + float(wait)
    while True:
        try:
            return connect()
        except Exception:  # noqa: BLE001 - refused, reset, not ready: try again
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def run(cmd, args):
    with connect() as m:
        return run_in(m, cmd, args)


def run_in(m, cmd, args):
    if cmd == "caps":
        return {"ok": True, "caps": sorted(m.server_capabilities), "session": m.session_id}
    if cmd == "schema":
        return {"ok": True, "text": m.get_schema(args[0]).data}
    if cmd == "get-config":
        wd = args[1] if len(args) > 1 else None
        r = m.get_config(source=args[0], with_defaults=wd) if wd else m.get_config(source=args[0])
        return {"ok": True, "xml": data_children(r)}
    if cmd == "get":
        r = m.get(filter=("xpath", ({"tsnd": "urn:tsnd:yang:tsnd"}, args[0]))) if args else m.get()
        return {"ok": True, "xml": data_children(r)}
    if cmd == "get-subtree":
        r = m.get(filter=("subtree", args[0]))
        return {"ok": True, "xml": data_children(r)}
    if cmd == "edit":
        with open(args[0]) as f:
            cfg = f.read()
        kw = {}
        if len(args) > 1 and args[1] != "-":
            kw["default_operation"] = args[1]
        if len(args) > 2:
            kw["test_option"] = args[2]
        m.edit_config(target="candidate", config=cfg, **kw)
        return {"ok": True}
    if cmd == "validate":
        m.validate(source=args[0])
        return {"ok": True}
    if cmd == "commit":
        if args:
            m.commit(confirmed=True, timeout=args[0])
        else:
            m.commit()
        return {"ok": True}
    if cmd == "cancel-commit":
        m.cancel_commit()
        return {"ok": True}
    if cmd == "discard":
        m.discard_changes()
        return {"ok": True}
    if cmd in ("lock", "unlock"):
        getattr(m, cmd)(target=args[0])
        return {"ok": True}
    if cmd == "lock-race":
        out = {"ok": True}
        m.lock(target="candidate")
        with connect() as b:
            for name, fn in (("edit", lambda: b.edit_config(target="candidate", config=EDIT_LOG_LEVEL)),
                             ("commit", lambda: b.commit()),
                             ("lock", lambda: b.lock(target="candidate"))):
                try:
                    fn()
                    out[name] = "ok"
                except RPCError as e:
                    out[name] = e.tag
        m.unlock(target="candidate")
        with connect() as b:
            b.lock(target="candidate")
            b.unlock(target="candidate")
            out["after_unlock"] = "ok"
        return out
    if cmd == "kill":
        out = {"ok": True}
        b = connect()
        m.kill_session(b.session_id)
        try:
            b.get_config(source="running")
            out["victim"] = "alive"
        except Exception as e:  # noqa: BLE001 - any failure shows the kill
            out["victim"] = type(e).__name__
        m.get_config(source="running")
        out["killer"] = "alive"
        return out
    if cmd == "confirmed-drop":
        with open(args[1]) as f:
            m.edit_config(target="candidate", config=f.read())
        persist = args[2] if len(args) > 2 else None
        m.commit(confirmed=True, timeout=args[0], persist=persist)
        # when the commit was answered (CLOCK_MONOTONIC, as `gate_probe now
        # monotonic`): the rollback's deadline counts from here
        return {"ok": True, "t_commit_ns": time.clock_gettime_ns(time.CLOCK_MONOTONIC)}
    if cmd == "confirm":
        m.commit(persist_id=args[0])
        return {"ok": True}
    if cmd == "notify":
        # subscribe, run the command, wait for the notification named args[1]
        # tsn-netconfd compares tsnd's status once a second with the last one; the
        # <create-subscription> takes the first (op_subscribe) before it answers, so
        # a change made after the answer is a change
        m.create_subscription()
        subprocess.run(args[2:], check=True, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + float(args[0])
        seen = []
        while time.monotonic() < deadline:
            n = m.take_notification(block=True, timeout=1)
            if n is None:
                continue
            seen.append(n.notification_xml)
            if "<" + args[1] in n.notification_xml:
                return {"ok": True, "xml": n.notification_xml}
        return {"ok": False, "seen": seen}
    if cmd == "bench":
        return bench(m, args)
    if cmd == "sessions":
        # N sessions open at the same time, each answering a <get>.  They connect at
        # most OPENING at a time (one Python process runs every SSH client under one
        # lock; a thundering herd of handshakes only measures that), then all wait
        # at a barrier so that the N are open at once before any <get>.
        n = int(args[0])
        opening = threading.Semaphore(int(args[1]) if len(args) > 1 else 10)
        all_open = threading.Barrier(n)
        results = []
        lock = threading.Lock()
        peak = [0, 0]  # open now, most open at once

        def one():
            s = None
            try:
                with opening:
                    s = connect()
                with lock:
                    peak[0] += 1
                    peak[1] = max(peak)
                all_open.wait(timeout=300)
                s.get()
                r = "ok"
            except threading.BrokenBarrierError:
                r = "another session failed"
            except Exception as e:  # noqa: BLE001
                all_open.abort()
                r = type(e).__name__ + ": " + str(e)[:100]
            if s is not None:
                try:
                    s.close_session()
                except Exception as e:  # noqa: BLE001
                    r = r if r != "ok" else "close: " + type(e).__name__
            with lock:
                results.append(r)
        threads = [threading.Thread(target=one) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return {"ok": True, "good": results.count("ok"), "open_at_once": peak[1],
                "bad": [r for r in results if r != "ok"][:5]}
    raise SystemExit("unknown command " + cmd)


def serve(args):
    """serve [IN OUT]: one process and its sessions for a whole test script.  Each
    line on stdin (or the file or FIFO IN; answers go to OUT) is a JSON array
    [{"id": ID, "user": U, "key": FILE, "wait": S}, SESSION, CMD, ARGS...]: CMD (as
    above) runs in the session named SESSION, opened at its first use (retried for
    S seconds, default NC_CONNECT_WAIT) as user U with key FILE (default: the
    command line's; also for the sessions CMD opens itself) and kept open; ["S",
    "close"] closes it; confirmed-drop ends its session as it does alone.  The first
    element is optional, and so is each of its keys.  Each answer is one JSON line,
    as the commands print alone, with the request's ID so that a caller that gave
    up waiting can skip a late answer; session_error when the session failed (it is
    then forgotten).  Starting python (ncclient's import) and an SSH handshake cost
    a second or more on the host and many under the kernel lab's emulation: one
    process pays them once (docs/netconf.md, Tests)."""
    # FIFOs are opened here, not by the shell that starts this process: a shell
    # opening a FIFO waits for its other end
    rd = open(args[0]) if args else sys.stdin
    wr = open(args[1], "w") if len(args) > 1 else sys.stdout
    sessions = {}
    base = dict(ARGS)
    for line in rd:
        if not line.strip():
            continue
        name, rid, wait = None, None, None
        ARGS.update(base)
        try:
            req = json.loads(line)
            if req and isinstance(req[0], dict):
                opt = req.pop(0)
                rid, wait = opt.get("id"), opt.get("wait")
                ARGS.update({k: str(opt[k]) for k in ("user", "key") if k in opt})
            name, cmd, args = req[0], req[1], [str(a) for a in req[2:]]
            if cmd == "close":
                m = sessions.pop(name, None)
                if m is not None:
                    m.close_session()
                out = {"ok": True}
            else:
                m = sessions.get(name)
                if m is None or not m.connected:
                    m = sessions[name] = connect_wait(wait)
                out = run_in(m, cmd, args)
                if cmd == "confirmed-drop":
                    sessions.pop(name).close_session()
        except RPCError as e:
            out = rpc_error(e)
        except SystemExit as e:  # an unknown command: this line's error, not the end
            out = {"ok": False, "session_error": str(e)}
        except Exception as e:  # noqa: BLE001 - the session failed: say how, forget it
            out = {"ok": False, "session_error": type(e).__name__ + ": " + str(e)}
            sessions.pop(name, None)
        if rid is not None:
            out["id"] = rid
        print(json.dumps(out), file=wr, flush=True)
    for m in sessions.values():
        try:
            m.close_session()
        except Exception:  # noqa: BLE001 - ending anyway
            pass
    return 0


def bench(m, args):
    """bench ROUNDS TSND-CONF CONF0 CONF1 EDIT0 EDIT1 TSNCTL SOCK: the same change of
    tsnd's configuration (variant 0 <-> 1) made alternately by <edit-config> +
    <commit> in this open session and by `tsnctl config reload` of a file, each timed
    from the request to its answer (the commit is answered once tsnd has applied
    it, kernel included).  tsnd runs variant 0 at the start; the two paths take
    turns going first, so each goes 0 -> 1 as often as 1 -> 0."""
    # ncclient's session thread looks for a message to send only every TICK (0.1 s)
    # unless data arrives: 0-100 ms of idle client per RPC, none of it the server's.
    # The bench shortens it (NC_TICK, seconds); its figure says so.
    ncssh.TICK = float(os.environ.get("NC_TICK", "0.002"))
    rounds, conf = int(args[0]), args[1]
    confs = [open(args[2]).read(), open(args[3]).read()]
    edits = [open(args[4]).read(), open(args[5]).read()]
    tsnctl = [args[6], "-s", args[7], "config", "reload"]
    out = {"ok": True, "tick_s": ncssh.TICK, "netconf_us": [], "edit_us": [], "commit_us": [], "tsnctl_us": [],
           "apply_us": []}
    state = 0

    def via_netconf(to):
        t0 = time.monotonic_ns()
        m.edit_config(target="candidate", config=edits[to])
        t1 = time.monotonic_ns()
        m.commit()
        t2 = time.monotonic_ns()
        out["edit_us"].append((t1 - t0) // 1000)
        out["commit_us"].append((t2 - t1) // 1000)
        out["netconf_us"].append((t2 - t0) // 1000)

    def via_tsnctl(to):
        with open(conf, "w") as f:
            f.write(confs[to])
        t0 = time.monotonic_ns()
        subprocess.run(tsnctl, check=True, stdout=subprocess.DEVNULL)
        out["tsnctl_us"].append((time.monotonic_ns() - t0) // 1000)

    def via_apply(to):
        t0 = time.monotonic_ns()
        subprocess.run(tsnctl[:-1] + ["apply", args[2 + to]], check=True, stdout=subprocess.DEVNULL)
        out["apply_us"].append((time.monotonic_ns() - t0) // 1000)

    # NC_BENCH_APPLY=1: a third path, `tsnctl config apply FILE` (tsnd's config.apply
    # as a commit uses it, from a file), to tell tsnd's share from tsn-netconfd's
    paths = [via_netconf, via_tsnctl] + ([via_apply] if os.environ.get("NC_BENCH_APPLY") else [])
    for r in range(rounds):
        for path in (paths if r % 2 == 0 else paths[::-1]):
            path(1 - state)
            state = 1 - state
    out["final"] = state
    return out


EDIT_LOG_LEVEL = """<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
<tsnd xmlns="urn:tsnd:yang:tsnd"><daemon><log-level>debug</log-level></daemon></tsnd></config>"""


def main(argv):
    while argv and argv[0].startswith("--"):
        ARGS[argv[0][2:]] = int(argv[1]) if argv[0] == "--port" else argv[1]
        argv = argv[2:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "serve":
        return serve(argv[1:])
    try:
        out = run(argv[0], argv[1:])
    except RPCError as e:
        out = rpc_error(e)
    except Exception as e:  # noqa: BLE001 - the session failed: say how
        print(json.dumps({"ok": False, "session_error": type(e).__name__ + ": " + str(e)}))
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
