"""Child processes of the runner: started in their own process group, bounded by a timeout,
logged to files, and killed with their whole group. A registry of every live child lets an
interrupted run take everything down.

`ManagedServer` adds the server lifecycle of a manifest: readiness (a stdout line, the socket
file appearing, a probe connection, or a delay), stop (the platform's stop request — SIGTERM
for a POSIX server, SIGINT that wine turns into CTRL_C_EVENT for a Windows one — then a kill
after stop_timeout_ms), and restart for servers that serve one session and exit.
"""
import re
import subprocess
import threading
import time
from pathlib import Path

from . import hostplatform as host

_live = {}
_live_lock = threading.Lock()
_stopping = threading.Event()


class Interrupted(Exception):
    """The run is being stopped (Ctrl-C / SIGTERM); no new process may start."""


def live_children():
    with _live_lock:
        return list(_live.values())


def stop_all(grace: float = 1.0):
    """Stops every registered child tree: SIGTERM, `grace` seconds, then SIGKILL."""
    _stopping.set()
    children = live_children()
    for c in children:
        host.terminate_tree(c.proc)
    deadline = time.monotonic() + grace
    for c in children:
        try:
            c.proc.wait(max(0.0, deadline - time.monotonic()))
        except Exception:  # noqa: BLE001 - any failure to wait ends in a kill below
            pass
    for c in children:
        host.kill_tree(c.proc)
        if c.proc.poll() is None:
            try:
                c.proc.wait(2)
            except Exception:  # noqa: BLE001
                pass
        c._unregister()


def stopping() -> bool:
    return _stopping.is_set()


def reset_for_tests():
    _stopping.clear()


class Child:
    """One started process. Its stdout is read line by line (kept, logged, matched against a
    pattern); its stderr goes to a log file."""

    def __init__(self, argv, log_dir: Path, name: str, env=None, cwd=None, watch=None):
        if _stopping.is_set():
            raise Interrupted("run is stopping")
        self.argv = [str(a) for a in argv]
        self.name = name
        log_dir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = log_dir / (name + ".stdout")
        self.stderr_path = log_dir / (name + ".stderr")
        self.lines = []
        self._watch = re.compile(watch) if watch else None
        self.watched = threading.Event()
        self._eof = threading.Event()
        self.started = time.monotonic()
        self.ended = None
        self.killed = False
        self.stray = []  # processes of its group still alive after it exited
        self._err = open(self.stderr_path, "wb")
        try:
            self.proc = host.popen(self.argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=self._err)
        except OSError:
            self._err.close()
            raise
        with _live_lock:
            _live[self.proc.pid] = self
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        with open(self.stdout_path, "wb") as log:
            for raw in iter(self.proc.stdout.readline, b""):
                log.write(raw)
                log.flush()
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                self.lines.append(line)
                if self._watch and self._watch.search(line):
                    self.watched.set()
        self._eof.set()

    @property
    def pid(self):
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: float):
        """Waits up to `timeout` s; kills the group when it is exceeded. Returns the exit code
        (negative for a signal) and whether the timeout killed it."""
        try:
            self.proc.wait(timeout)
            timed_out = False
        except Exception:  # noqa: BLE001 - TimeoutExpired
            timed_out = True
            self.kill()
        self._finish()
        return self.proc.returncode, timed_out

    def stop(self, timeout: float, mechanism: str = "terminate"):
        """Asks the group to stop by `mechanism` (hostplatform.STOP_MECHANISMS), waits up to
        `timeout` s, then kills it. Returns (exit code, whether it had to be killed)."""
        if self.proc.poll() is None:
            host.stop_tree(self.proc, mechanism)
            try:
                self.proc.wait(timeout)
            except Exception:  # noqa: BLE001
                self.kill()
        self._finish()
        return self.proc.returncode, self.killed

    def kill(self):
        self.killed = True
        host.kill_tree(self.proc)
        try:
            self.proc.wait(5)
        except Exception:  # noqa: BLE001
            pass

    def _finish(self):
        """After the leader exits: anything left in its group is a stray; kill it."""
        if self.ended is None:
            self.ended = time.monotonic()
        members = host.group_members(self.proc.pid)
        if members:
            self.stray = members
            host.kill_tree(self.proc.pid)
            host.wait_gone(members, 2.0)
        self._eof.wait(2.0)
        self._unregister()

    def _unregister(self):
        with _live_lock:
            _live.pop(self.proc.pid, None)
        if not self._err.closed:
            self._err.close()
        if self.proc.stdout and self._eof.is_set():
            self.proc.stdout.close()

    def stderr_tail(self, n=40):
        try:
            data = self.stderr_path.read_bytes()[-16384:]
        except OSError:
            return []
        return data.decode("utf-8", "replace").splitlines()[-n:]

    def seconds(self):
        return (self.ended or time.monotonic()) - self.started


class ServerNotReady(Exception):
    pass


def _accepts(sock: Path) -> bool:
    """Whether the socket file accepts a connection (ready = "connect"); the probe connection
    is closed at once, which costs the server a session."""
    import socket
    if not sock.exists():
        return False
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect(str(sock))
        return True
    except OSError:
        return False
    finally:
        s.close()


class ManagedServer:
    """A manifest's server for one run dir and service. `for_case()` makes sure a server is
    running and ready before a case; a one-session server is restarted for every case after
    the first, a forever server is started once."""

    def __init__(self, spec, argv, run_dir: Path, service: str, log_dir: Path, env=None,
                 socket_dir: Path = None):
        self.spec = spec
        self.argv = argv
        self.run_dir = run_dir
        self.service = service
        self.log_dir = log_dir
        self.env = env
        self.socket_dir = socket_dir or run_dir
        self.child = None
        self.starts = 0
        self.previous = []  # children of earlier starts (one-session servers)

    def _start(self):
        name = "server" if self.starts == 0 else "server.%d" % self.starts
        self.starts += 1
        watch = self.spec.ready_pattern if self.spec.ready == "line" else None
        self.child = Child(self.argv, self.log_dir, name, env=self.env, watch=watch)
        self._wait_ready()

    def _wait_ready(self):
        c, spec = self.child, self.spec
        deadline = time.monotonic() + spec.ready_timeout_ms / 1000.0
        sock = self.socket_dir / (self.service + ".sock")
        while True:
            if spec.ready == "line" and c.watched.is_set():
                return
            if spec.ready == "socket" and sock.exists():
                return
            if spec.ready == "connect" and _accepts(sock):
                return
            if spec.ready == "delay" and time.monotonic() - c.started >= spec.ready_delay_ms / 1e3:
                return
            if not c.running():
                c.wait(1)
                raise ServerNotReady("server exited before it was ready (%s)"
                                     % host.describe_exit(c.proc.returncode))
            if time.monotonic() > deadline:
                c.kill()
                c._finish()
                raise ServerNotReady("server not ready within %d ms (ready = %s)"
                                     % (spec.ready_timeout_ms, spec.ready))
            if stopping():
                raise Interrupted("run is stopping")
            time.sleep(0.005)

    def for_case(self):
        """Ready for the next case. Raises ServerNotReady."""
        if self.child is None:
            self._start()
        elif self.spec.sessions == "one" or not self.child.running():
            self._retire(self.spec.stop_timeout_ms / 1000.0)
            self._start()
        return self.child

    def _retire(self, timeout):
        """A one-session server should exit on its own once its session ended."""
        c = self.child
        deadline = time.monotonic() + timeout
        while c.running() and time.monotonic() < deadline:
            time.sleep(0.01)
        if c.running():
            c.stop(timeout, self.spec.stop)
        else:
            c._finish()
        self.previous.append(c)

    def stop(self):
        """Stops the current server. Returns (exit code, killed, how) where how says what was
        done: "exited" (a one-session server that ended by itself), "stopped" (the stop
        request) or "killed"."""
        c = self.child
        if c is None:
            return None, False, "never started"
        timeout = self.spec.stop_timeout_ms / 1000.0
        if self.spec.sessions == "one":
            deadline = time.monotonic() + min(timeout, 2.0)
            while c.running() and time.monotonic() < deadline:
                time.sleep(0.01)
            if not c.running():
                c._finish()
                return c.proc.returncode, False, "exited"
        code, killed = c.stop(timeout, self.spec.stop)
        return code, killed, "killed" if killed else "stopped"

    def children(self):
        return self.previous + ([self.child] if self.child else [])
