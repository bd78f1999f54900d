"""The Go shim (interop/shims/go/), built with `go build` against a checkout's Go module.

The shim's sources are copied into `out/src` next to a generated go.mod that requires the
checkout's module (`<source>/src/go`, module path read from its go.mod) through a `replace`
directive; GOFLAGS=-mod=mod, GOWORK=off, GOTOOLCHAIN=local; the build and module caches are
the user's usual Go caches. Nothing is written into the checkout or the repository.

The checkout's API revision is detected from its sources and selects a build tag: the
0d17a9d-era transport has a deadline-bounded receive (`Session.ReceiveTimeout`), the
6d9ffc1-era one has not (the shim then waits for the first packet itself).

Windows (platform "windows"): GOOS=windows GOARCH=amd64. Go >= 1.22 programs load
bcryptprimitives.dll (ProcessPrng) at start-up, from the system directory only
(LOAD_LIBRARY_SEARCH_SYSTEM32: a copy next to the .exe is not looked at), and Debian's wine 8
lacks it. The build cross-compiles a tiny test-only DLL exporting ProcessPrng (over
advapi32's SystemFunction036) with mingw-w64 into `out`, and, when the wine prefix has no
bcryptprimitives.dll, copies it into the prefix's system32 (the one exception to "nothing
outside out", said in the build log; newer wine ships the DLL and nothing is copied).
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

from . import BuiltShim, ShimBuildError

LANGUAGE = "go"

_HERE = Path(__file__).resolve()
_SHIM_SOURCES = _HERE.parents[3] / "interop" / "shims" / "go"
_NEW_API_TAG = "netipc_0d17a9d"
_MINGW = "x86_64-w64-mingw32-gcc"


def _read_module(gomod: Path):
    text = gomod.read_text(encoding="utf-8")
    module = re.search(r"^module\s+(\S+)", text, re.M)
    go_line = re.search(r"^go\s+(\S+)", text, re.M)
    if not module:
        raise ShimBuildError("%s has no module line; is this a netipc checkout?" % gomod)
    return module.group(1), (go_line.group(1) if go_line else "1.22")


def _detect_revision(gomod_dir: Path):
    """(build tags, revision text) from what the checkout's public API offers."""
    posix_dir = gomod_dir / "pkg" / "netipc" / "transport" / "posix"
    if not posix_dir.is_dir():
        raise ShimBuildError("%s is missing: the checkout has no Go transport package" % posix_dir)
    has_timeout = any("func (s *Session) ReceiveTimeout(" in p.read_text(encoding="utf-8", errors="replace")
                      for p in posix_dir.glob("*.go"))
    if has_timeout:
        return [_NEW_API_TAG], "0d17a9d-era API"
    return [], "6d9ffc1-era API"


def _git_version(source: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=False, timeout=10)
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def _run(cmd, cwd, env, log, what):
    log("+ " + " ".join(str(c) for c in cmd))
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-20:])
        raise ShimBuildError("%s failed (exit %d):\n%s" % (what, proc.returncode, tail))
    return proc


def _build_prng_dll(out: Path, env, log) -> Path:
    """Cross-builds bcryptprimitives.dll (ProcessPrng) next to the shim .exe."""
    gcc = shutil.which(_MINGW)
    if not gcc:
        raise ShimBuildError("the Go shim for Windows needs %s to build its bcryptprimitives.dll "
                             "for wine 8 (apt-get install gcc-mingw-w64-x86-64)" % _MINGW)
    dll = out / "bcryptprimitives.dll"
    _run([gcc, "-shared", "-O2", "-s", "-o", dll, _SHIM_SOURCES / "wine" / "bcryptprimitives.c",
          _SHIM_SOURCES / "wine" / "bcryptprimitives.def", "-ladvapi32"],
         out, env, log, "building bcryptprimitives.dll")
    return dll


def _wine_system32() -> Path:
    prefix = Path(os.environ.get("WINEPREFIX") or Path.home() / ".wine")
    return prefix / "drive_c" / "windows" / "system32"


def _install_prng_dll(dll: Path, log) -> str:
    """Makes the wine prefix able to start Go programs; returns what it did."""
    system32 = _wine_system32()
    if not system32.is_dir():
        raise ShimBuildError("wine prefix %s is not initialised; run ./cts setup --windows (or wineboot) "
                             "first" % system32.parents[2])
    target = system32 / "bcryptprimitives.dll"
    if target.exists():
        return "the wine prefix has a bcryptprimitives.dll already (%s)" % target
    log("installing the test-only bcryptprimitives.dll (ProcessPrng) into %s: Go programs for Windows "
        "need it and this wine lacks it" % target)
    shutil.copy2(dll, target)
    return "installed %s" % target


def build(source: Path, out: Path, platform: str, log) -> BuiltShim:
    if platform not in ("linux", "windows"):
        raise ShimBuildError("unknown platform %r (linux or windows)" % platform)
    source = Path(source).resolve()
    out = Path(out).resolve()
    gomod_dir = source / "src" / "go"
    gomod = gomod_dir / "go.mod"
    if not gomod.is_file():
        raise ShimBuildError("%s not found: the checkout has no Go module (src/go)" % gomod)
    go = shutil.which("go")
    if not go:
        raise ShimBuildError("the Go shim needs the Go toolchain ('go' on PATH; apt-get install golang-go)")
    module, go_line = _read_module(gomod)
    tags, revision = _detect_revision(gomod_dir)

    src = out / "src"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    for f in sorted(_SHIM_SOURCES.glob("*.go")):
        shutil.copy2(f, src / f.name)
    (src / "go.mod").write_text(
        "module netipc-cts/netipc-shim-go\n\ngo %s\n\nrequire %s v0.0.0\n\nreplace %s => %s\n"
        % (go_line, module, module, gomod_dir), encoding="utf-8")

    env = dict(os.environ, GOFLAGS="-mod=mod", GOWORK="off", GOTOOLCHAIN="local", CGO_ENABLED="0")
    exe = out / "netipc-shim-go"
    if platform == "windows":
        env.update(GOOS="windows", GOARCH="amd64")
        exe = out / "netipc-shim-go.exe"
    cmd = [go, "build", "-trimpath", "-o", exe]
    if tags:
        cmd += ["-tags", ",".join(tags)]
    cmd.append(".")
    log("Go shim: %s (%s), module %s => %s" % (platform, revision, module, gomod_dir))
    _run(cmd, src, env, log, "go build of the Go shim")
    notes = [
        "The server is the library's managed server (service/raw), which has no session limit: "
        "--sessions N is not supported (exit 4).",
        "The client runs on the library's L1 sessions (transport/posix or transport/windows) without "
        "the L2 client's retry, so every failure is visible.",
    ]
    if not tags:
        notes.append("6d9ffc1-era server ignores --max-request-payload: it accepts any request proposal "
                     "up to its fixed 1 MiB cap.")
        notes.append("6d9ffc1-era L1 receive has no deadline: the client waits for the first packet of a "
                     "response itself (poll on the session fd); a stalled continuation is not bounded.")
    if platform == "windows":
        did = _install_prng_dll(_build_prng_dll(out, dict(os.environ), log), log)
        notes.append("Go >= 1.22 programs need bcryptprimitives.dll (ProcessPrng), which wine 8 lacks: a "
                     "test-only one over RtlGenRandom is built with mingw-w64; %s." % did)
    caps = {
        "roles": ["server", "client", "codec"],
        "service_kinds": ["increment", "string-reverse", "cgroups-snapshot", "echo"],
        "scenarios": ["connect", "single", "batch", "pipeline", "large", "snapshot", "bench"],
        "profiles": [1, 2, 4],
        "configurable": True,
    }
    return BuiltShim(language=LANGUAGE, platform=platform, exe=exe, revision=revision,
                     capabilities=caps, version=_git_version(source) or revision, notes=notes)
