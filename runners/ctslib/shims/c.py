"""The C shim: interop/shims/c built against a checkout of the C implementation.

The shim's CMake project pulls the checkout in with `add_subdirectory`, so the library is
compiled by the checkout's own CMake targets (netipc_protocol, netipc_uds, netipc_shm; on
Windows netipc_named_pipe, netipc_win_shm). The API revision is read from the checkout's
public headers at configure time and written to `api-revision.txt` in the build tree.
"""
import os
import shutil
import subprocess
from pathlib import Path

from . import BuiltShim, ShimBuildError
from ..paths import ROOT

LANGUAGE = "c"

SHIM_DIR = ROOT / "interop" / "shims" / "c"
TOOLCHAIN = ROOT / "cmake" / "mingw-w64-x86_64.cmake"
HEADER = Path("src/libnetdata/netipc/include/netipc/netipc_protocol.h")

CAPABILITIES = {
    "roles": ["server", "client", "codec"],
    "service_kinds": ["increment", "string-reverse", "cgroups-snapshot", "echo"],
    "scenarios": ["connect", "single", "batch", "pipeline", "large", "snapshot", "bench"],
    "profiles": [1, 2, 4],
    "configurable": True,
}

# Limitations of the library that the shim cannot work around, one sentence each.
NOTES = [
    "The library's public managed server serves only cgroups-snapshot (and, in 0d17a9d, the "
    "lookup methods), so the shim's server runs the library's L1 listener, handshake and "
    "dispatch helpers in its own session loop, following the managed server's policy.",
    "The library's connect has no handshake deadline, so the shim ends a client whose "
    "HELLO_ACK does not arrive within --timeout-ms with a watchdog (Timeout).",
    "The library decides handshakes and reassembles chunks only inside its transports, so the "
    "codec testee answers handshake_decide, handshake_check_ack and chunked_message through "
    "the library's accept, connect and receive on a local socket or pipe; policies or HELLOs "
    "with a zero limit are unsupported (the library reads 0 as its default).",
    "The library's codec errors are coarser than the suite's classes (one BAD_LAYOUT for "
    "layout, flags and reserved fields), so some rejections carry a neighbouring class.",
    "The library checks negotiated limits only in its receive path, so outer_header cases "
    "with receiver limits are answered unsupported; windows_names exists only on Windows.",
]


def _run(cmd, log, cwd=None, env=None):
    log("  $ " + " ".join(str(c) for c in cmd))
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-25:])
        raise ShimBuildError("C shim: `%s` failed (exit %d):\n%s" % (
            " ".join(str(c) for c in cmd[:3]), proc.returncode, tail))
    return proc.stdout


def _version(source: Path) -> str:
    """The checkout's commit, when it is a git work tree and git is installed."""
    if not shutil.which("git"):
        return ""
    try:
        out = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def build(source: Path, out: Path, platform: str, log) -> BuiltShim:
    """Builds netipc-shim-c against `source` into `out`; raises ShimBuildError on failure."""
    source = Path(source).resolve()
    out = Path(out).resolve()
    if not (source / HEADER).is_file():
        raise ShimBuildError("C shim: %s has no C implementation (%s is missing); give a "
                             "checkout of netdata/plugin-ipc" % (source, HEADER))
    if platform not in ("linux", "windows"):
        raise ShimBuildError("C shim: platform %r is not supported (linux, windows)" % platform)
    cmake = shutil.which("cmake")
    if not cmake:
        raise ShimBuildError("C shim: cmake is not installed (apt-get install cmake)")
    build_dir = out / ("build-" + platform)
    args = [cmake, "-S", SHIM_DIR, "-B", build_dir, "-DNETIPC_SOURCE=%s" % source,
            "-DCMAKE_BUILD_TYPE=RelWithDebInfo"]
    if shutil.which("ninja"):
        args += ["-G", "Ninja"]
    if shutil.which("ccache"):
        args += ["-DCMAKE_C_COMPILER_LAUNCHER=ccache"]
    if platform == "windows":
        if not shutil.which("x86_64-w64-mingw32-gcc"):
            raise ShimBuildError("C shim for Windows: x86_64-w64-mingw32-gcc is missing "
                                 "(apt-get install gcc-mingw-w64-x86-64)")
        args += ["-DCMAKE_TOOLCHAIN_FILE=%s" % TOOLCHAIN]
    else:
        cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
        if not cc:
            raise ShimBuildError("C shim: no C compiler (cc/gcc) found (apt-get install gcc)")
    out.mkdir(parents=True, exist_ok=True)
    log("C shim: configuring against %s (%s)" % (source, platform))
    _run(args, log)
    log("C shim: building")
    _run([cmake, "--build", build_dir, "--target", "netipc-shim-c", "-j", "2"], log)
    exe = build_dir / ("netipc-shim-c.exe" if platform == "windows" else "netipc-shim-c")
    if not exe.is_file():
        raise ShimBuildError("C shim: the build finished but %s is missing" % exe)
    rev_file = build_dir / "api-revision.txt"
    revision = rev_file.read_text().strip() if rev_file.is_file() else "unknown API revision"
    notes = list(NOTES)
    if revision.startswith("6d9ffc1"):
        notes.append("This checkout has no receive-with-timeout, so the shim waits for the "
                     "first packet of a response with poll() and --timeout-ms does not bound "
                     "the continuation packets of a chunked message.")
    if platform == "windows":
        notes.append("windows_names is answered for pipe objects only: the library has no "
                     "public function for its SHM object names.")
        notes.append("On Windows the library's accept blocks in ConnectNamedPipe, so a stop "
                     "request ends the server process (exit 0) without unwinding a pending "
                     "accept; kernel objects go with the process.")
    return BuiltShim(language=LANGUAGE, platform=platform, exe=exe, revision=revision,
                     capabilities={k: (list(v) if isinstance(v, list) else v)
                                   for k, v in CAPABILITIES.items()},
                     version=_version(source), notes=notes)
