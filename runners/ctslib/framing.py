"""Length-prefixed JSON over a child process's stdin/stdout: the codec testee protocol.

Each message in either direction is a 4-byte little-endian length followed by that many bytes
of UTF-8 JSON (one object). The child answers every request with exactly one response.
"""
import json
import os
import select
import struct
import subprocess
import time
from collections import deque


class TesteeError(Exception):
    """The testee broke the protocol, timed out, or exited."""


class JsonProcess:
    """A child process spoken to with length-prefixed JSON. Keeps the tail of its stderr."""

    MAX_MESSAGE = 64 * 1024 * 1024

    def __init__(self, argv, cwd=None, env=None, stderr_lines=40):
        self.argv = list(argv)
        self._stderr_tail = deque(maxlen=stderr_lines)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd, env=env,
                                     start_new_session=True)
        self._buf = b""

    def stderr_tail(self):
        self._drain_stderr(0)
        return list(self._stderr_tail)

    def _drain_stderr(self, timeout):
        err = self.proc.stderr
        while err is not None:
            ready, _, _ = select.select([err], [], [], timeout)
            if not ready:
                return
            chunk = os.read(err.fileno(), 65536)
            if not chunk:
                return
            for line in chunk.decode("utf-8", "replace").splitlines():
                self._stderr_tail.append(line)
            timeout = 0

    def _read_exact(self, n, deadline):
        out = self.proc.stdout
        while len(self._buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TesteeError("timed out waiting for a response")
            ready, _, _ = select.select([out, self.proc.stderr], [], [], remaining)
            if self.proc.stderr in ready:
                self._drain_stderr(0)
            if out in ready:
                chunk = os.read(out.fileno(), 1 << 20)
                if not chunk:
                    raise TesteeError("testee closed its stdout (exit code %s)" % self.proc.poll())
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
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self._drain_stderr(0)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
