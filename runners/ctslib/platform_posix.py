"""Everything the runner does that depends on the host being POSIX: process groups, signals,
the child subreaper, short run directories for AF_UNIX paths, and looking for stray processes.

The rest of the runner imports these names through `hostplatform`, never `os.killpg` or
`signal.SIGTERM` directly, so a Windows host needs only its own module with the same names.
"""
import ctypes
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

NAME = "posix"
# The recording relay (seqproxy) needs AF_UNIX SOCK_SEQPACKET.
CAN_RELAY = hasattr(__import__("socket"), "AF_UNIX")
# Suffix of executables built for this host.
EXE_SUFFIX = ""

# sun_path holds 107 bytes; run dirs stay well below so "<run_dir>/<service>.sock" fits.
MAX_RUN_BASE = 48

# Exit codes by which a child reports "not supported" (spec/shim-contract.md).
SIGNAL_EXIT_BASE = 128


def popen(argv, *, cwd=None, env=None, stdin=None, stdout=None, stderr=None):
    """Starts `argv` as the leader of a new session (and so of a new process group), so the
    whole tree it starts can be signalled at once."""
    return subprocess.Popen([str(a) for a in argv], cwd=cwd, env=env, stdin=stdin,
                            stdout=stdout, stderr=stderr, start_new_session=True)


def _signal_group(pgid: int, sig) -> bool:
    try:
        os.killpg(pgid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def terminate_tree(proc) -> bool:
    """Asks the process and its group to stop (SIGTERM). False when nothing was there."""
    return _signal_group(proc.pid, signal.SIGTERM)


def kill_tree(proc_or_pgid) -> bool:
    """Kills the process group led by `proc_or_pgid` (a Popen or a pid) outright."""
    pgid = getattr(proc_or_pgid, "pid", proc_or_pgid)
    return _signal_group(pgid, signal.SIGKILL)


def interrupt_tree(proc) -> bool:
    """What Ctrl-C would send the tree (SIGINT). Wine turns SIGINT into CTRL_C_EVENT for the
    Windows program it runs, so this is also how a Windows server under wine is stopped."""
    return _signal_group(proc.pid, signal.SIGINT)


# How a server is asked to stop (manifest.ServerSpec.stop): a POSIX server by SIGTERM, a
# Windows one by a console control event (SIGINT, which wine delivers as CTRL_C_EVENT).
STOP_MECHANISMS = {"terminate": "SIGTERM", "interrupt": "SIGINT"}
# Exit codes that count as a clean stop: 0, or death by the stop signal itself.
_CLEAN_STOP = {"terminate": (0, -signal.SIGTERM), "interrupt": (0, -signal.SIGINT)}


def stop_tree(proc, mechanism="terminate") -> bool:
    """Asks the tree to stop by `mechanism` (a key of STOP_MECHANISMS)."""
    if mechanism == "interrupt":
        return interrupt_tree(proc)
    return terminate_tree(proc)


def clean_stop(code, mechanism="terminate") -> bool:
    """Whether exit `code` after a stop by `mechanism` is an orderly end."""
    return code in _CLEAN_STOP[mechanism]


def _stat_fields(pid: int):
    """(state, ppid, pgrp) of a process from /proc, or None when it is gone."""
    try:
        raw = Path("/proc/%d/stat" % pid).read_text()
    except OSError:
        return None
    rest = raw[raw.rfind(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[2])


def _pids():
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            yield int(entry)


def group_members(pgid: int):
    """Live (non-zombie) processes whose process group is `pgid`."""
    found = []
    for pid in _pids():
        st = _stat_fields(pid)
        if st and st[2] == pgid and st[0] != "Z":
            found.append(pid)
    return found


def children_of(pid: int):
    """Direct children of `pid` (zombies included)."""
    return [p for p in _pids() if (_stat_fields(p) or ("", -1, -1))[1] == pid]


def descendants(pid: int):
    """Every live process below `pid`, nearest first."""
    parent = {}
    for p in _pids():
        st = _stat_fields(p)
        if st and st[0] != "Z":
            parent[p] = st[1]
    out, frontier = [], [pid]
    while frontier:
        nxt = [p for p, pp in parent.items() if pp in frontier]
        out += nxt
        frontier = nxt
    return out


# Processes a launcher starts for itself and shares between all its users (wine's server and
# its Windows services): never treated as strays of a run.
LAUNCHER_INFRASTRUCTURE = {"wineserver", "wineserver64", "services.exe", "winedevice.exe",
                           "explorer.exe", "plugplay.exe", "svchost.exe", "rpcss.exe",
                           "conhost.exe", "wineboot.exe", "tabtip.exe"}


def launcher_infrastructure(pid: int) -> bool:
    """Whether `pid` is one of the processes a launcher keeps for itself."""
    try:
        argv0 = Path("/proc/%d/cmdline" % pid).read_bytes().split(b"\0")[0].decode(
            "utf-8", "replace")
    except OSError:
        return False
    name = argv0.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return name in LAUNCHER_INFRASTRUCTURE


def tagged(variable: str, value: str):
    """Live processes whose environment holds `variable`=`value` (a process started by a
    Child inherits its token, wherever it moved: another group, another session)."""
    needle = ("%s=%s" % (variable, value)).encode()
    found = []
    for pid in _pids():
        try:
            env = Path("/proc/%d/environ" % pid).read_bytes()
        except OSError:
            continue
        if needle in env.split(b"\0"):
            st = _stat_fields(pid)
            if st and st[0] != "Z":
                found.append(pid)
    return found


def command_line(pid: int) -> str:
    """The command line of `pid` as visible text ("?" when it is gone)."""
    try:
        raw = Path("/proc/%d/cmdline" % pid).read_bytes()
    except OSError:
        return "?"
    text = raw.rstrip(b"\0").replace(b"\0", b" ").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else "\\x%02x" % ord(c) for c in text[:300])


def reap(pids):
    """Collects the exit status of those of `pids` that are adopted zombies of this process
    (a subreaper), so killed strays do not pile up as zombies during a long run."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except (ChildProcessError, OSError):
            pass


def limit_core_dumps():
    """No core file from this process or anything it starts (soft and hard limit 0): a
    crashing implementation must not write cores into the operator's working directory."""
    import resource
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass


def kill_pids(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def become_subreaper() -> bool:
    """Makes orphaned descendants re-parent to this process instead of init (Linux), so a
    daemon that escaped its process group can still be found and killed. False elsewhere."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap_strays(known_pids):
    """Collects exit statuses of adopted zombies that no Popen owns (after subreaping)."""
    for pid in children_of(os.getpid()):
        if pid in known_pids:
            continue
        st = _stat_fields(pid)
        if st and st[0] == "Z":
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def install_stop_signals(handler, with_sigint=False):
    """Routes SIGTERM and SIGHUP (and SIGINT when `with_sigint`; otherwise it raises
    KeyboardInterrupt as usual) to `handler`. Returns a function restoring the previous
    handlers."""
    previous = {}
    for sig in (signal.SIGTERM, signal.SIGHUP) + ((signal.SIGINT,) if with_sigint else ()):
        try:
            previous[sig] = signal.signal(sig, lambda *_: handler())
        except ValueError:  # not the main thread
            pass

    def restore():
        for sig, old in previous.items():
            signal.signal(sig, old)
    return restore


def describe_exit(code) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return "killed by %s" % signal.Signals(-code).name
        except ValueError:
            return "killed by signal %d" % -code
    return "exit code %d" % code


def short_temp_dir() -> str:
    """Where short-lived run directories go: $TMPDIR when its path is short enough for
    socket paths beneath it, else /tmp."""
    parent = tempfile.gettempdir()
    return "/tmp" if len(parent) > MAX_RUN_BASE - 16 else parent


def run_base(prefix="cts-") -> Path:
    """A new private directory short enough for socket paths beneath it (short_temp_dir)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=short_temp_dir()))


def endpoint_files(run_dir: Path):
    """Names left in a run dir (sockets, region files, anything)."""
    try:
        return sorted(os.listdir(run_dir))
    except FileNotFoundError:
        return []


def link_file(src: Path, dst: Path):
    """Makes `dst` name the same file as `src` (a hard link: mappable, and not a symlink that
    O_NOFOLLOW would refuse)."""
    os.link(src, dst)


def wait_gone(pids, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not [p for p in pids if (_stat_fields(p) or ("Z",))[0] != "Z"]:
            return True
        time.sleep(0.02)
    return False
