#!/usr/bin/env python3
"""A deliberately broken server for the runner's own acceptance: it starts a real server in a
private directory and fronts it with a relay that corrupts chosen packets on their way to
the client. The runner must see the damage (a mixed grid, a failing exit code).

    corrupting_server.py --mutation NAME --run-dir D --service S -- SERVER ARGV...

In SERVER ARGV the word @INNER@ is replaced by the private directory. Prints READY once the
real server is ready; SIGTERM stops both and removes the private directory.

Mutations:
  increment-off-by-one   single INCREMENT responses carry value + 2 instead of value + 1
  chunk-index            the first continuation chunk of every response says chunk_index 2
"""
import argparse
import shutil
import signal
import struct
import subprocess
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "runners"))

from ctslib.seqproxy import SeqProxy  # noqa: E402
from ctslib import wire  # noqa: E402


def increment_off_by_one(direction, index, data):
    if direction != "server→client" or len(data) != 40:
        return data
    fields = wire.HEADER.unpack_from(data)
    kind, flags, code, status = fields[3], fields[4], fields[5], fields[6]
    if kind == 2 and code == 1 and status == 0 and not flags & 1:
        value = struct.unpack_from("<Q", data, 32)[0]
        return data[:32] + struct.pack("<Q", (value + 1) & (2**64 - 1))
    return data


def chunk_index(direction, index, data):
    if direction != "server→client" or len(data) < 32:
        return data
    magic = struct.unpack_from("<I", data)[0]
    if magic == wire.CHUNK_MAGIC and struct.unpack_from("<I", data, 20)[0] == 1:
        return data[:20] + struct.pack("<I", 2) + data[24:]
    return data


MUTATIONS = {"increment-off-by-one": increment_off_by_one, "chunk-index": chunk_index}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mutation", required=True, choices=sorted(MUTATIONS))
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("server", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    argv = [x for x in a.server if x != "--"]
    inner = Path(a.run_dir) / ".inner"
    inner.mkdir()
    argv = [str(inner) if x == "@INNER@" else x for x in argv]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    real = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    proxy = None
    try:
        line = real.stdout.readline()
        if not line.startswith("READY"):
            print("corrupting_server: the real server did not get ready: %r" % line,
                  file=sys.stderr)
            return 1
        proxy = SeqProxy(Path(a.run_dir), inner, a.service, mutate=MUTATIONS[a.mutation])
        print("READY mutation=%s" % a.mutation, flush=True)
        while not stop.wait(0.1) and real.poll() is None:
            pass
        # SIGTERM reaches the whole process group, the real server included.
        return 0 if stop.is_set() or real.poll() is None else 1
    finally:
        if proxy:
            proxy.close()
        if real.poll() is None:
            real.send_signal(signal.SIGTERM)
            try:
                real.wait(5)
            except subprocess.TimeoutExpired:
                real.kill()
                real.wait()
        shutil.rmtree(inner, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
