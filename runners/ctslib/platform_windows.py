"""The Windows counterpart of platform_posix, for running the runner on a Windows host.

Process trees are new process groups (CREATE_NEW_PROCESS_GROUP) asked to stop with
CTRL_BREAK_EVENT (a console control event; CTRL_C_EVENT cannot be aimed at one group) and
killed with `taskkill /T /F`. Descendants are found through a Toolhelp snapshot. There is no
recording relay (AF_UNIX SOCK_SEQPACKET does not exist), so cells run unrecorded.
"""
import ctypes
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

NAME = "windows"
CAN_RELAY = False
EXE_SUFFIX = ".exe"
MAX_RUN_BASE = 200
SIGNAL_EXIT_BASE = 128

STOP_MECHANISMS = {"terminate": "CTRL_BREAK_EVENT", "interrupt": "CTRL_BREAK_EVENT"}

_TH32CS_SNAPPROCESS = 0x2
_SYNCHRONIZE = 0x00100000
_PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
_STILL_ACTIVE = 259


class _ProcessEntry(ctypes.Structure):
    _fields_ = [("dwSize", ctypes.c_uint32), ("cntUsage", ctypes.c_uint32),
                ("th32ProcessID", ctypes.c_uint32), ("th32DefaultHeapID", ctypes.c_size_t),
                ("th32ModuleID", ctypes.c_uint32), ("cntThreads", ctypes.c_uint32),
                ("th32ParentProcessID", ctypes.c_uint32), ("pcPriClassBase", ctypes.c_long),
                ("dwFlags", ctypes.c_uint32), ("szExeFile", ctypes.c_char * 260)]


def _kernel32():
    return ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]


def popen(argv, *, cwd=None, env=None, stdin=None, stdout=None, stderr=None):
    """Starts `argv` in a new process group, so a console control event reaches its tree."""
    return subprocess.Popen([str(a) for a in argv], cwd=cwd, env=env, stdin=stdin,
                            stdout=stdout, stderr=stderr,
                            creationflags=subprocess.CREATE_NEW_PROCESS_GROUP)


def _parents():
    """pid -> parent pid of every process (a Toolhelp snapshot)."""
    k = _kernel32()
    snap = k.CreateToolhelp32Snapshot(_TH32CS_SNAPPROCESS, 0)
    out = {}
    if snap in (0, -1, ctypes.c_void_p(-1).value):
        return out
    try:
        entry = _ProcessEntry()
        entry.dwSize = ctypes.sizeof(_ProcessEntry)
        ok = k.Process32First(snap, ctypes.byref(entry))
        while ok:
            out[entry.th32ProcessID] = entry.th32ParentProcessID
            ok = k.Process32Next(snap, ctypes.byref(entry))
    finally:
        k.CloseHandle(snap)
    return out


def _alive(pid: int) -> bool:
    k = _kernel32()
    h = k.OpenProcess(_PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
    if not h:
        return False
    try:
        code = ctypes.c_uint32()
        return bool(k.GetExitCodeProcess(h, ctypes.byref(code))) and code.value == _STILL_ACTIVE
    finally:
        k.CloseHandle(h)


def terminate_tree(proc) -> bool:
    try:
        proc.send_signal(signal.CTRL_BREAK_EVENT)
        return True
    except (OSError, ValueError):
        return False


interrupt_tree = terminate_tree


def stop_tree(proc, mechanism="terminate") -> bool:
    return terminate_tree(proc)


def clean_stop(code, mechanism="terminate") -> bool:
    return code == 0


def kill_tree(proc_or_pid) -> bool:
    pid = getattr(proc_or_pid, "pid", proc_or_pid)
    done = subprocess.run(["taskkill", "/T", "/F", "/PID", str(pid)], capture_output=True,
                          check=False)
    return done.returncode == 0


def descendants(pid: int):
    parent = {p: pp for p, pp in _parents().items() if p != pp}
    out, frontier = [], [pid]
    while frontier:
        nxt = [p for p, pp in parent.items() if pp in frontier and p not in out]
        out += nxt
        frontier = nxt
    return out


def children_of(pid: int):
    return [p for p, pp in _parents().items() if pp == pid and p != pid]


def group_members(pid: int):
    """Live processes of the tree `pid` started (its descendants; the leader has exited)."""
    return [p for p in descendants(pid) if _alive(p)]


def launcher_infrastructure(_pid: int) -> bool:
    return False  # a Windows host runs Windows programs without a launcher


def tagged(_variable: str, _value: str):
    """Processes found by an inherited environment token: not readable for other processes
    on Windows; descendants are found through the process tree instead."""
    return []


def command_line(pid: int) -> str:
    return "pid %d" % pid


def reap(_pids):
    """Nothing to collect: Windows has no zombies."""


def limit_core_dumps():
    """Windows writes no core files into the working directory."""


def kill_pids(pids):
    for pid in pids:
        subprocess.run(["taskkill", "/F", "/PID", str(pid)], capture_output=True, check=False)


def become_subreaper() -> bool:
    return False


def reap_strays(_known_pids):
    pass


def install_stop_signals(handler, with_sigint=False):
    previous = {}
    for sig in (signal.SIGTERM, getattr(signal, "SIGBREAK", None),
                signal.SIGINT if with_sigint else None):
        if sig is None:
            continue
        try:
            previous[sig] = signal.signal(sig, lambda *_: handler())
        except ValueError:
            pass

    def restore():
        for sig, old in previous.items():
            signal.signal(sig, old)
    return restore


def describe_exit(code) -> str:
    if code is None:
        return "still running"
    if code < 0 or code >= 0xC0000000:
        return "exit status 0x%08X" % (code & 0xFFFFFFFF)
    return "exit code %d" % code


def short_temp_dir() -> str:
    return tempfile.gettempdir()


def run_base(prefix="cts-") -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def endpoint_files(run_dir: Path):
    try:
        return sorted(os.listdir(run_dir))
    except FileNotFoundError:
        return []


def link_file(src: Path, dst: Path):
    os.link(src, dst)


def wait_gone(pids, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not [p for p in pids if _alive(p)]:
            return True
        time.sleep(0.02)
    return False
