#!/usr/bin/env python3
"""A hostile implementation for the chaos suite: it does not speak netipc (the server echoes
every SEQPACKET packet, the client sends one and checks the echo) and misbehaves on purpose,
in the ways a broken implementation can hurt the judge.

    hostile.py server RUN_DIR SERVICE --behaviour B --marker M [ignored...]
    hostile.py client RUN_DIR SERVICE --behaviour B --marker M [ignored...]

Behaviours (either role unless noted):
  ok                 behaves
  never-ready        server: binds but never prints READY
  no-socket          server: prints READY, never creates its socket
  accept-never-read  server: accepts connections and never reads them
  fork-group         server: a child in its own process group outlives it
  setsid-daemon      a grandchild in a new session (setsid) outlives it
  ignore-signals     server: ignores SIGTERM and SIGINT
  flood-stdout       prints 200 MB to stdout (lines, then one endless line), then behaves
  flood-stderr       prints 200 MB to stderr, then behaves
  garbage            prints invalid UTF-8, control characters and terminal escape codes on
                     both streams (the last stderr line too), then fails (client: exit 1)
  segfault           server: raises its core limit and dies of SIGSEGV on the first packet
  exit-127           exits 127 at once, as a shell does for a missing command
  hang-batch         client: hangs after connecting when --scenario is batch, else behaves
Every process it starts carries --marker on its command line, so a test can find survivors.
"""
import argparse
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

FLOOD = 200 << 20
GARBAGE = (b"\xff\xfe invalid \xc3 utf-8 \xe2\x82 cut \x1b[31mred\x1b[0m \x1b]0;title\x07 "
           b"bell\x07 nul\x00 form\x0c feed \x7f del \xc2\x9b csi \xed\xa0\x80 surrogate")


def sleeper(marker, new_session):
    """A long-lived descendant that ignores SIGTERM, recognisable by its command line. Returns
    once it has set itself up (ignoring SIGTERM, in its own session when `new_session`)."""
    code = ("import os, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "os.setsid() if sys.argv[2] == 'setsid' else None; print('up', flush=True); "
            "time.sleep(600)")
    child = subprocess.Popen([sys.executable, "-c", code, marker,
                              "setsid" if new_session else "group"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
    child.stdout.readline()
    child.stdout.close()
    return child


def flood(stream):
    """200 MB: 100 MB of lines, then 100 MB of one line without an end."""
    out = stream.buffer if hasattr(stream, "buffer") else stream
    line = b"x" * 1023 + b"\n"
    chunk = line * 1024
    for _ in range((FLOOD // 2) // len(chunk)):
        out.write(chunk)
    chunk = b"y" * (1 << 20)
    for _ in range((FLOOD // 2) // len(chunk)):
        out.write(chunk)
    out.write(b"\n")
    out.flush()


def garbage():
    for stream in (sys.stdout.buffer, sys.stderr.buffer):
        stream.write(GARBAGE + b"\n" + b"a" * 3999 + "\u00e9\u20ac".encode() + b"\n" + GARBAGE
                     + b"\n")
        stream.flush()


def prelude(a):
    if a.behaviour == "exit-127":
        sys.stderr.write("hostile: command not found\n")
        sys.exit(127)
    if a.behaviour in ("setsid-daemon", "fork-group"):
        sleeper(a.marker, new_session=a.behaviour == "setsid-daemon")
    if a.behaviour == "flood-stdout":
        flood(sys.stdout)
    if a.behaviour == "flood-stderr":
        flood(sys.stderr)
    if a.behaviour == "garbage":
        garbage()


def server(a):
    prelude(a)
    path = Path(a.run_dir) / (a.service + ".sock")
    stopping = []
    if a.behaviour == "ignore-signals":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
        signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    if a.behaviour == "no-socket":
        print("READY hostile", flush=True)
        while not stopping:
            time.sleep(0.05)
        return 0
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.bind(str(path))
    sock.listen(8)
    if a.behaviour != "never-ready":
        print("READY hostile", flush=True)
    sock.settimeout(0.05)
    held = []
    while not stopping:
        try:
            conn, _ = sock.accept()
        except socket.timeout:
            continue
        if a.behaviour == "accept-never-read":
            held.append(conn)
            continue
        with conn:
            conn.settimeout(5)
            try:
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    if a.behaviour == "segfault":
                        hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
                        try:
                            resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
                        except (ValueError, OSError):
                            pass
                        os.kill(os.getpid(), signal.SIGSEGV)
                    conn.send(data)
            except OSError:
                pass
    sock.close()
    path.unlink()
    return 1 if a.behaviour == "garbage" else 0


def client(a):
    prelude(a)
    path = Path(a.run_dir) / (a.service + ".sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.connect(str(path))
        sock.send(b"hello")
        ok = sock.recv(65536) == b"hello"
    except OSError as e:
        print("hostile client: %s" % e, file=sys.stderr)
        return 1
    if a.behaviour == "garbage":
        sys.stderr.buffer.write(GARBAGE + b"\n")
        return 1
    if a.behaviour == "hang-batch" and a.scenario == "batch":
        time.sleep(600)
    print('{"ok": %s}' % ("true" if ok else "false"), flush=True)
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=("server", "client"))
    p.add_argument("run_dir")
    p.add_argument("service")
    p.add_argument("--behaviour", default="ok")
    p.add_argument("--marker", default="")
    p.add_argument("--scenario", default="")
    a, _ = p.parse_known_args()
    return server(a) if a.role == "server" else client(a)


if __name__ == "__main__":
    sys.exit(main())
