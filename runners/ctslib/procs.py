"""Child processes of the runner: started in their own process group, bounded by a timeout,
logged to files, and killed with their whole group. A registry of every live child lets an
interrupted run take everything down.

`ManagedServer` adds the server lifecycle of a manifest: readiness (a stdout line, the socket
file appearing, a probe connection, or a delay), stop (the platform's stop request — SIGTERM
for a POSIX server, SIGINT that wine turns into CTRL_C_EVENT for a Windows one — then a kill
after stop_timeout_ms), and restart for servers that serve one session and exit.
"""
import os
import re
import secrets
import subprocess
import threading
import time
from pathlib import Path

from . import hostplatform as host
from . import textsafe

# The environment wine needs to behave as a quiet launcher: its debug channels are noise in
# the programs' output, and winemenubuilder.exe (started when wine refreshes its prefix)
# would outlive the program it came with and be taken for a process the IUT left behind.
WINE_DEFAULTS = {"WINEDEBUG": "-all", "WINEDLLOVERRIDES": "winemenubuilder.exe=d"}


def quiet_wine(env=None):
    """Adds WINE_DEFAULTS to `env` (os.environ when None) where the user set nothing else;
    returns `env`."""
    env = os.environ if env is None else env
    for key, value in WINE_DEFAULTS.items():
        env.setdefault(key, value)
    return env

# The environment variable naming the Child a process descends from (see Child).
OWNER_VARIABLE = "NIPC_CTS_OWNER"
# How long processes a finished leader started may take to finish exiting before they count
# as left behind: under load, a launcher's (wine's) children are still tearing down when the
# leader is reaped; their command line already reads empty. A real stray outlives this.
STRAY_GRACE_S = 1.0

_live = {}
_live_lock = threading.Lock()
_stopping = threading.Event()


class Interrupted(Exception):
    """The run is being stopped (Ctrl-C / SIGTERM); no new process may start. A task cut
    short may carry the rows it finished before the stop (`rows`) and the ids of what it did
    not run (`not_run`)."""

    def __init__(self, message="run is stopping", rows=None, not_run=None):
        super().__init__(message)
        self.rows = rows or []
        self.not_run = not_run or []


def request_stop():
    """Marks the run as stopping: from now on no Child starts and waits give up."""
    _stopping.set()


def run_registered(argv, *, env=None, timeout=None, stdout=None, stderr=None) -> int:
    """Runs a helper process (the test peer) to its end, like subprocess.run, but stoppable:
    it is registered with the other children (stop_all kills it), started in its own group
    with an owner token so a timeout kills everything it started, and refused once the run
    is stopping. Returns its exit code; raises subprocess.TimeoutExpired after `timeout` s
    (the helper and its descendants killed) and Interrupted when the run stopped meanwhile."""
    if _stopping.is_set():
        raise Interrupted("run is stopping")
    token = "%d-%s" % (os.getpid(), secrets.token_hex(8))
    env = dict(os.environ if env is None else env)
    env[OWNER_VARIABLE] = token
    proc = host.popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
    handle = _Helper(proc, token)
    with _live_lock:
        _live[proc.pid] = handle
    try:
        proc.wait(timeout)
    except BaseException:
        handle.kill_all()
        raise
    finally:
        handle.kill_all()  # a helper's daemons do not outlive it
        handle._unregister()
    if _stopping.is_set():
        raise Interrupted("run is stopping")
    return proc.returncode


class _Helper:
    """The registry entry of a run_registered process."""

    def __init__(self, proc, token):
        self.proc = proc
        self.token = token

    def kill_all(self):
        host.kill_tree(self.proc)
        left = [p for p in host.tagged(OWNER_VARIABLE, self.token) if p != self.proc.pid
                and not host.launcher_infrastructure(p)]
        host.kill_pids(left)
        if self.proc.poll() is None:
            try:
                self.proc.wait(5)
            except Exception:  # noqa: BLE001
                pass
        if left:
            host.wait_gone(left, 1.0)
            host.reap(left)

    def _unregister(self):
        with _live_lock:
            _live.pop(self.proc.pid, None)


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
    """One started process. Its stdout is read line by line (lines kept, bounded, matched
    against a pattern) and both streams are logged to files that keep a head and a tail
    (textsafe.BoundedLog), so nothing the process prints can make the runner grow.

    Every process the child starts inherits OWNER_VARIABLE with a token of this child, so a
    descendant that left the process group (setsid, a double fork) is still found — the
    runner is a child subreaper, so such a daemon is re-parented to it, not to init — and is
    reported against this child and killed (`stray`)."""

    def __init__(self, argv, log_dir: Path, name: str, env=None, cwd=None, watch=None):
        if _stopping.is_set():
            raise Interrupted("run is stopping")
        self.argv = [str(a) for a in argv]
        self.name = name
        log_dir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = log_dir / (name + ".stdout")
        self.stderr_path = log_dir / (name + ".stderr")
        self.lines = textsafe.BoundedLines()
        self._watch = re.compile(watch) if watch else None
        self.watched = threading.Event()
        self._eof = threading.Event()
        self._err_eof = threading.Event()
        self.started = time.monotonic()
        self.ended = None
        self.killed = False
        self.stray = []  # processes it started that were still alive after it exited
        self.stray_commands = {}  # pid -> command line of each stray
        self.token = "%d-%s" % (os.getpid(), secrets.token_hex(8))
        env = dict(os.environ if env is None else env)
        env[OWNER_VARIABLE] = self.token
        self.proc = host.popen(self.argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with _live_lock:
            _live[self.proc.pid] = self
        self.out_log = textsafe.BoundedLog(self.stdout_path)
        self.err_log = textsafe.BoundedLog(self.stderr_path)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._err_reader = threading.Thread(target=self._read_err, daemon=True)
        self._err_reader.start()

    def _on_line(self, line):
        self.lines.append(line)
        if self._watch and self._watch.search(line):
            self.watched.set()

    def _read(self):
        splitter = textsafe.LineSplitter(self._on_line)
        fd = self.proc.stdout.fileno()
        try:
            while True:
                data = os.read(fd, 65536)
                if not data:
                    break
                self.out_log.write(data)
                splitter.feed(data)
            splitter.close()
        except (OSError, ValueError):
            pass
        finally:
            self.out_log.close()
            self.proc.stdout.close()  # the reader owns the pipe: closed once drained
            self._eof.set()

    def _read_err(self):
        fd = self.proc.stderr.fileno()
        try:
            while True:
                data = os.read(fd, 65536)
                if not data:
                    break
                self.err_log.write(data)
        except (OSError, ValueError):
            pass
        finally:
            self.err_log.close()
            self.proc.stderr.close()
            self._err_eof.set()

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
        host.kill_pids(self._owned())
        try:
            self.proc.wait(5)
        except Exception:  # noqa: BLE001
            pass

    def _owned(self):
        """Live processes this child started, in its group or not (launcher infrastructure
        such as wineserver excepted: it is shared and outlives every user)."""
        found = set(host.group_members(self.proc.pid)) | set(host.tagged(OWNER_VARIABLE,
                                                                         self.token))
        found.discard(self.proc.pid)
        return sorted(p for p in found if not host.launcher_infrastructure(p))

    def _finish(self):
        """After the leader exits: anything it started that is still alive is a stray; it is
        recorded (with its command line) and killed."""
        if self.ended is None:
            self.ended = time.monotonic()
        members = self._owned()
        grace_end = time.monotonic() + STRAY_GRACE_S
        while members and time.monotonic() < grace_end:
            time.sleep(0.05)
            members = self._owned()
        if members:
            self.stray = sorted(set(self.stray) | set(members))
            for pid in members:
                self.stray_commands.setdefault(pid, host.command_line(pid))
            host.kill_tree(self.proc.pid)
            host.kill_pids(members)
            host.wait_gone(members, 2.0)
            host.reap(members)
        deadline = time.monotonic() + 2.0
        self._eof.wait(2.0)
        self._err_eof.wait(max(0.0, deadline - time.monotonic()))
        self._unregister()

    def stray_text(self):
        """The strays as "pid (command)" for a failure message."""
        return ", ".join("%d (%s)" % (p, self.stray_commands.get(p, "?")[:300])
                         for p in self.stray)

    def _unregister(self):
        with _live_lock:
            _live.pop(self.proc.pid, None)

    def stderr_tail(self, n=40):
        """The last `n` lines of stderr as visible text (at most 16 KiB read)."""
        try:
            with open(self.stderr_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - 16384))
                data = f.read()
        except OSError:
            return []
        # Lines end at "\n" only (str.splitlines would also cut at form feeds and the like).
        lines = textsafe.decode(data).rstrip("\n").split("\n") if data else []
        return [textsafe.visible(line.rstrip("\r")) for line in lines[-n:]]

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
        self.unready = None  # the child killed because it never became ready

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
                self.unready = c  # killed for not being ready: not a failed stop
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
        if c is self.unready:
            return c.proc.returncode, False, "not ready"
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


# ---- launcher probe ------------------------------------------------------------------------

PROBE_TIMEOUT = 120.0  # a cold wine prefix can take a while to come up


def probe(m, timeout=PROBE_TIMEOUT):
    """Runs the manifest's probe (launcher first) once. Returns "" when it exits 0, else why
    not. Only the probe process itself is killed on a timeout: what the launcher starts for
    itself (wineserver and wine's own services) is shared and left alone."""
    if not m.probe:
        return ""
    try:
        proc = host.popen(m.probe, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    except OSError as e:
        return "cannot start %s: %s" % (m.probe[0], e)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return "%s did not finish within %.0f s" % (" ".join(m.probe), timeout)
    except BaseException:  # Ctrl-C: the probe must not outlive the run
        proc.kill()
        proc.wait()
        raise
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        return "%s: %s%s" % (" ".join(m.probe), host.describe_exit(proc.returncode),
                             ("; " + " / ".join(tail)) if tail else "")
    return ""
