"""Length-prefixed JSON over a child process's stdin/stdout: the codec testee protocol.

Each message in either direction is a 4-byte little-endian length followed by that many bytes
of UTF-8 JSON (one object). The child answers every request with exactly one response.
"""
import json
import queue
import struct
import subprocess
import threading
import time
from collections import deque

from . import hostplatform as host


class TesteeError(Exception):
    """The testee broke the protocol, timed out, or exited."""


class JsonProcess:
    """A child process spoken to with length-prefixed JSON. Keeps the tail of its stderr.

    Two threads read its stdout and stderr (pipes cannot be polled portably), so waiting for a
    response works the same on every host."""

    MAX_MESSAGE = 64 * 1024 * 1024

    def __init__(self, argv, cwd=None, env=None, stderr_lines=40):
        self.argv = list(argv)
        self._stderr_tail = deque(maxlen=stderr_lines)
        self.proc = host.popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, cwd=cwd, env=env)
        self._buf = b""
        self._chunks = queue.Queue()
        self._eof = False
        self._readers = [threading.Thread(target=self._pump_stdout, daemon=True),
                         threading.Thread(target=self._pump_stderr, daemon=True)]
        for t in self._readers:
            t.start()

    def _pump_stdout(self):
        read = getattr(self.proc.stdout, "read1", self.proc.stdout.read)
        while True:
            try:
                chunk = read(1 << 20)
            except (OSError, ValueError):
                chunk = b""
            self._chunks.put(chunk)
            if not chunk:
                return

    def _pump_stderr(self):
        try:
            for raw in iter(self.proc.stderr.readline, b""):
                self._stderr_tail.append(raw.decode("utf-8", "replace").rstrip("\r\n"))
        except (OSError, ValueError):
            pass

    def stderr_tail(self):
        self._readers[1].join(0.05)
        return list(self._stderr_tail)

    def _read_exact(self, n, deadline):
        while len(self._buf) < n:
            if self._eof:
                raise TesteeError("testee closed its stdout (exit code %s)" % self.proc.poll())
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TesteeError("timed out waiting for a response")
            try:
                chunk = self._chunks.get(timeout=remaining)
            except queue.Empty:
                continue
            if not chunk:
                self._eof = True
                continue
            self._buf += chunk
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def call(self, request: dict, timeout: float = 10.0) -> dict:
        """Sends one request and returns the one response; raises TesteeError."""
        body = json.dumps(request, separators=(",", ":")).encode()
        try:
            self.proc.stdin.write(struct.pack("<I", len(body)) + body)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise TesteeError("cannot write to testee: %s (exit code %s)"
                              % (e, self.proc.poll())) from e
        deadline = time.monotonic() + timeout
        (length,) = struct.unpack("<I", self._read_exact(4, deadline))
        if length > self.MAX_MESSAGE:
            raise TesteeError("response length %d is implausible" % length)
        raw = self._read_exact(length, deadline)
        try:
            response = json.loads(raw)
        except ValueError as e:
            raise TesteeError("response is not JSON: %s" % e) from e
        if not isinstance(response, dict):
            raise TesteeError("response is not a JSON object")
        return response

    def close(self, timeout: float = 5.0):
        """Closes stdin (the testee's cue to exit) and reaps it, killing it if it lingers."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                host.kill_tree(self.proc)
                self.proc.wait()
        for t in self._readers:
            t.join(2.0)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
