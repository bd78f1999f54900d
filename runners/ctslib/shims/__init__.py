"""Shims for existing netipc implementations, built against a user's checkout.

Each language has one module here (`c.py`, `rust.py`, `go.py`) with the same two names:

    LANGUAGE: str                     # "c", "rust", "go"
    def build(source: Path, out: Path, platform: str, log) -> BuiltShim

`build` compiles the shim of `interop/shims/<LANGUAGE>/` against the implementation found in
`source` (a checkout of the implementation's repository, any revision), using that
implementation's own build system, into the directory `out` (created by the caller, owned by
the shim build). `platform` is "linux" or "windows" (a cross-build run under wine). `log` is
a callable taking one line of text for the user. On success it returns a BuiltShim; when the
checkout lacks the language, or the toolchain is missing, or the build fails, it raises
ShimBuildError with a message that says what to do. Nothing is written outside `out`.
"""
import importlib
import json
import re
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .. import manifest as manifest_mod
from .. import paths


class ShimBuildError(Exception):
    """A shim could not be built; the message is for the user (what failed, what to do)."""


@dataclass
class BuiltShim:
    """A shim ready to run: one executable playing `server`, `client` and `codec`."""

    language: str
    platform: str                 # "linux" or "windows"
    exe: Path                     # the shim executable (roles by first argument)
    revision: str                 # the implementation revision the build detected
    capabilities: dict            # the manifest's [capabilities] table
    version: str = ""             # version string for the report (e.g. a commit id)
    notes: list = field(default_factory=list)   # library limitations, one sentence each


# ---- building every language against one checkout, and the manifests that run them ---------

LANGUAGES = ("c", "rust", "go")
PLATFORMS = ("linux", "windows")
# Where each language lives in a checkout of the implementation (its public library).
LANGUAGE_DIRS = {"c": "src/libnetdata/netipc", "rust": "src/crates/netipc", "go": "src/go"}
SHIMS_DIR = paths.BUILD / "shims"
REFERENCE_MANIFEST = paths.ROOT / "interop" / "reference.toml"
# The contract's exit code for "cannot play this case" (SHIM-EXIT-001).
UNSUPPORTED_EXIT = 4


@dataclass
class Outcome:
    """What one (language, platform) build did: `manifest` is set when it built; `reason`
    says why not otherwise; `skipped` separates "nothing to build" (no shim module yet, the
    checkout lacks the language) from a build that was tried and failed."""

    language: str
    platform: str
    manifest: Path = None
    shim: BuiltShim = None
    reason: str = ""
    skipped: bool = False

    @property
    def label(self) -> str:
        return self.language + ("-windows" if self.platform == "windows" else "")


def default_name(source: Path) -> str:
    """The name of a build: `plugin-ipc-<short commit>` for a git checkout, else the name of
    the directory (characters a manifest name cannot hold become '-')."""
    source = Path(source)
    try:
        out = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=False, timeout=30)
        commit = out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.TimeoutExpired):
        commit = ""
    base = "plugin-ipc-" + commit if commit else source.resolve().name
    return re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-") or "impl"


def load_language(language: str):
    """The build module of `language`, or (None, why) when there is none in this tree."""
    module = "%s.%s" % (__name__, language)
    try:
        return importlib.import_module(module), ""
    except ModuleNotFoundError as e:
        if e.name != module:
            raise
        return None, ("no shim build module for %s in this tree yet "
                      "(runners/ctslib/shims/%s.py)" % (language, language))


def implementation_name(name: str, language: str, platform: str) -> str:
    return "%s-%s%s" % (name, language, "-windows" if platform == "windows" else "")


def _toml(value) -> str:
    """A TOML value for a string, number, bool or list of them (JSON escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError("no TOML form for %r" % (value,))


def _reference_templates():
    """The full-flag [server] and [client] flag templates of interop/reference.toml, without
    its executable and role argument."""
    doc = tomllib.loads(REFERENCE_MANIFEST.read_text())
    server, client = doc["server"]["command"], doc["client"]["command"]
    assert server[1] == "server" and client[1] == "client", "reference.toml roles moved"
    return server[2:], client[2:]


# The client flags only the bench scenario uses (SHIM-BENCH-001): a shim that does not play
# bench is not given them, so it never sees a flag it does not know.
BENCH_FLAGS = ("--duration-ms", "--rate")


def _without_flags(args, flags):
    out, skip = [], False
    for part in args:
        if skip:
            skip = False
        elif part in flags:
            skip = True
        else:
            out.append(part)
    return out


def manifest_text(shim: BuiltShim, name: str, source: Path) -> str:
    """The manifest that runs `shim` through the whole shim contract: the command templates
    of interop/reference.toml with the shim's executable, exit code 4 for "unsupported", the
    shim's own codec testee, and the capabilities the build reported."""
    server_args, client_args = _reference_templates()
    exe = str(shim.exe)
    windows = shim.platform == "windows"
    caps = dict(shim.capabilities)
    caps.setdefault("configurable", True)
    if "bench" not in caps.get("scenarios", ()):
        client_args = _without_flags(client_args, BENCH_FLAGS)
    lines = ["# Written by `./cts shims build` from %s; rebuilt on every build." % source,
             "# Shim: interop/shims/%s/, built against that checkout." % shim.language]
    lines += ["# Library limitation: %s" % note for note in shim.notes]
    lines += ["[implementation]",
              "name = %s" % _toml(implementation_name(name, shim.language, shim.platform)),
              "language = %s" % _toml(shim.language),
              "version = %s" % _toml(shim.revision if shim.version in ("", shim.revision)
                                     else "%s (%s)" % (shim.revision, shim.version)),
              "platform = %s" % _toml(shim.platform)]
    if windows:
        # The Windows peer (nipc-peer.exe) comes from the windows preset's tree.
        lines += ['build = "windows"', 'launcher = ["wine"]',
                  "probe = %s" % _toml([exe, "codec"])]
    lines += ["", "[codec]", "command = %s" % _toml([exe, "codec"]), "",
              "[server]", "command = %s" % _toml([exe, "server"] + server_args),
              'ready = "line"', 'ready_pattern = "^READY"', 'sessions = "forever"']
    if windows:
        lines.append("ready_timeout_ms = 20000")
    lines += ["", "[client]", "command = %s" % _toml([exe, "client"] + client_args),
              'success = "exit-code"',
              "unsupported_exit_codes = [%d]" % UNSUPPORTED_EXIT]
    if windows:
        lines.append("timeout_ms = 60000")
    lines += ["", "[capabilities]"]
    for key in ("roles", "service_kinds", "scenarios", "profiles", "configurable"):
        if key in caps:
            lines.append("%s = %s" % (key, _toml(caps[key])))
    return "\n".join(lines) + "\n"


def language_present(source: Path, language: str) -> bool:
    return (Path(source) / LANGUAGE_DIRS[language]).is_dir()


def build_one(source: Path, language: str, platform: str, name: str, log,
              base: Path = None) -> Outcome:
    """Builds one language's shim for one platform into `<base>/<name>/<lang>[-windows]/`
    and writes its manifest beside it. Never raises for a build problem: the Outcome says."""
    out = Outcome(language, platform)
    module, why = load_language(language)
    if module is None:
        out.reason, out.skipped = why, True
        return out
    if not language_present(source, language):
        out.reason, out.skipped = ("the checkout has no %s implementation (%s is missing)"
                                   % (language, LANGUAGE_DIRS[language])), True
        return out
    root = Path(base or SHIMS_DIR) / name
    target = root / out.label
    target.mkdir(parents=True, exist_ok=True)
    try:
        shim = module.build(Path(source), target, platform, log)
    except ShimBuildError as e:
        out.reason = str(e)
        return out
    except Exception as e:  # noqa: BLE001 - a broken build module must not end the others
        out.reason = "the %s build module failed: %s: %s" % (language, type(e).__name__, e)
        return out
    if not Path(shim.exe).exists():
        out.reason = "the %s build reported %s, which does not exist" % (language, shim.exe)
        return out
    out.shim = shim
    out.manifest = root / (out.label + ".toml")
    out.manifest.write_text(manifest_text(shim, name, Path(source)))
    return out


def build_all(source, languages=LANGUAGES, name=None, platforms=("linux",), log=print,
              base: Path = None):
    """Builds every language × platform asked for. Returns (name, [Outcome])."""
    source = Path(source).resolve()
    name = name or default_name(source)
    outcomes = []
    for platform in platforms:
        for language in languages:
            log("shims: building %s for %s against %s" % (language, platform, source))
            started = time.monotonic()
            o = build_one(source, language, platform, name, log, base)
            log("shims: %s %s (%.0f s)%s" % (
                o.label, "built" if o.manifest else "skipped" if o.skipped else "NOT built",
                time.monotonic() - started, "" if o.manifest else ": " + o.reason))
            outcomes.append(o)
    record = Path(base or SHIMS_DIR) / name / "outcomes.json"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps([{"language": o.language, "platform": o.platform,
                                   "label": o.label, "built": o.manifest is not None,
                                   "skipped": o.skipped, "reason": o.reason,
                                   "manifest": str(o.manifest or "")} for o in outcomes],
                                 indent=1) + "\n")
    return name, outcomes


def print_summary(name, outcomes, stream=None):
    stream = stream or sys.stdout
    built = [o for o in outcomes if o.manifest]
    print("shims %s: %d built, %d skipped, %d failed" % (
        name, len(built), sum(o.skipped for o in outcomes),
        sum(not o.manifest and not o.skipped for o in outcomes)), file=stream)
    for o in outcomes:
        if o.manifest:
            print("  built   %-14s %s  (%s)" % (o.label, o.manifest, o.shim.revision),
                  file=stream)
            for note in o.shim.notes:
                print("          limitation: %s" % note, file=stream)
        else:
            print("  %-7s %-14s %s" % ("skipped" if o.skipped else "FAILED", o.label, o.reason),
                  file=stream)


def parse_languages(text):
    langs = [x.strip() for x in (text or ",".join(LANGUAGES)).split(",") if x.strip()]
    bad = [x for x in langs if x not in LANGUAGES]
    if bad:
        raise ValueError("unknown language %s (choose from %s)" % (", ".join(bad),
                                                                  ", ".join(LANGUAGES)))
    return langs


def cmd_build(args) -> int:
    """`./cts shims build`: exit 0 when something was built and no build failed, 1 when a
    build failed or the source is no directory, 2 when there was nothing to build (every
    language skipped, with the reasons printed)."""
    source = Path(args.source)
    if not source.is_dir():
        print("cts shims: --source %s is not a directory" % source, file=sys.stderr)
        return 1
    try:
        languages = parse_languages(args.lang)
    except ValueError as e:
        print("cts shims: %s" % e, file=sys.stderr)
        return 2
    name, outcomes = build_all(source, languages, args.name, tuple(args.platform or ["linux"]))
    print_summary(name, outcomes)
    if any(not o.manifest and not o.skipped for o in outcomes):
        return 1
    return 0 if any(o.manifest for o in outcomes) else 2


SKIP = 77  # CTest's SKIP_RETURN_CODE for the shims label


def cmd_check(args) -> int:
    """`./cts shims check`: one test of the CTest label shims. Exit 77 (skipped, with the
    reason) when there is nothing to check; else the exit code of the check."""
    if args.skip_reason:
        print("shims skipped: %s" % args.skip_reason)
        return SKIP
    if not ((args.name or args.source) and args.lang and args.part):
        print("cts shims check: needs --name or --source, --lang and --part (or --skip-reason)",
              file=sys.stderr)
        return 2
    # The build's own name (plugin-ipc-<short commit> by default), so that the
    # expected-failure lists of that implementation and revision apply to the check.
    name = args.name or default_name(Path(args.source))
    label = args.lang + ("-windows" if args.platform == "windows" else "")
    root = SHIMS_DIR / name
    manifest_path = root / (label + ".toml")
    if not manifest_path.exists():
        reason = "it was not built"
        try:
            for o in json.loads((root / "outcomes.json").read_text()):
                if o["label"] == label:
                    reason = o["reason"] or reason
        except (OSError, ValueError, KeyError):
            reason = "no build record in %s (run ./cts shims build first)" % root
        print("shims %s skipped: %s" % (label, reason))
        return SKIP
    cts = [sys.executable, str(paths.ROOT / "cts")]
    if args.part == "vectors":
        # Through `run`, so the implementation's expected-failure list applies.
        cmd = cts + ["run", "--no-build", "--no-self-check", "--no-conformance",
                     "--impl", str(manifest_path), "--only", "^vectors/",
                     "--progress", "lines", "--out", str(root / (label + "-vectors"))]
    elif args.part == "bench":
        return _check_bench(cts, manifest_path, root / (label + "-bench"))
    else:
        cmd = cts + ["run", "--no-build", "--no-self-check", "--no-conformance",
                     "--impl", str(REFERENCE_MANIFEST), "--impl", str(manifest_path),
                     "--scenario", "handshake", "--scenario", "single", "--only", "^matrix/",
                     "--progress", "lines", "--out", str(root / (label + "-matrix"))]
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=paths.ROOT, check=False).returncode


def _check_bench(cts, manifest_path, out):
    """The bench part: a short `./cts bench` (ping-pong and batch over UDS) with the reference.
    Passes when every cell with the shim as server or client ran and verified every sample;
    the performance verdicts are in the report but do not decide this check (a loaded machine
    makes them unstable, and judging the implementation is `./cts bench`'s job)."""
    cmd = cts + ["bench", "--quick", "--no-build", "--scenario", "ping-pong", "--scenario",
                 "batch-64", "--profile", "uds", "--impl", str(REFERENCE_MANIFEST),
                 "--impl", str(manifest_path), "--out", str(out)]
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=paths.ROOT, check=False)
    try:
        rows = json.loads((out / "bench.json").read_text())["rows"]
    except (OSError, ValueError, KeyError) as e:
        print("shims bench: no report (%s)" % e)
        return 1
    name = manifest_mod.load(manifest_path).name
    mine = [r for r in rows if name in (r["server"], r["client"]) and r["verdict"] != "skip"]
    bad = [r["id"] for r in mine if r["functional"] != "pass"]
    for r in rows:
        if name in (r["server"], r["client"]):
            print("  %-60s functional %-5s performance %s" % (r["id"], r["functional"],
                                                               r["verdict"]))
    if not mine:
        print("shims bench: no cell with %s ran" % name)
        return 1
    print("shims bench: %d cells, %d failed functionally" % (len(mine), len(bad)))
    return 1 if bad else 0


def add_parser(sub):
    p = sub.add_parser("shims", help="build the shims of existing implementations "
                       "against a checkout, with ready-to-run manifests")
    shims_sub = p.add_subparsers(dest="shims_command", required=True, metavar="ACTION")
    q = shims_sub.add_parser("build", help="build the C, Rust and Go shims against --source "
                             "into build/shims/<name>/ and write <lang>.toml manifests")
    q.add_argument("--source", required=True, metavar="DIR",
                   help="a checkout of the implementation (e.g. netdata/plugin-ipc)")
    q.add_argument("--lang", metavar="LIST", help="comma-separated languages (default c,rust,go)")
    q.add_argument("--name", help="build name (default plugin-ipc-<short commit>, or the "
                   "directory name)")
    q.add_argument("--platform", action="append", choices=PLATFORMS,
                   help="linux (default) or windows (cross-built, run under wine); repeatable")
    q.set_defaults(func=cmd_build)
    q = shims_sub.add_parser("check", help="one test of the CTest label shims: vector replay "
                             "or a short matrix against the reference for one built shim")
    q.add_argument("--name", help="the build name given to `shims build`")
    q.add_argument("--source", metavar="DIR", help="instead of --name: the checkout built "
                   "with the default name")
    q.add_argument("--lang", choices=LANGUAGES)
    q.add_argument("--platform", choices=PLATFORMS, default="linux")
    q.add_argument("--part", choices=("vectors", "matrix", "bench"))
    q.add_argument("--skip-reason", help="print this reason and exit 77 (skipped)")
    q.set_defaults(func=cmd_check)


def manifests_from_sources(sources, languages=None, platforms=("linux",), log=print):
    """`./cts run --impl-source DIR` (repeatable): builds the shims of each checkout and
    returns (manifest paths, report notes). Every language that was not built is named in a
    note with the reason, so the report says what it could not test."""
    found, notes = [], []
    for source in sources or []:
        if not Path(source).is_dir():
            notes.append("--impl-source %s: not a directory; nothing built" % source)
            continue
        name, outcomes = build_all(source, languages or LANGUAGES, None, platforms, log)
        print_summary(name, outcomes)
        for o in outcomes:
            if o.manifest:
                found.append(o.manifest)
                notes += ["%s: library limitation: %s" % (
                    implementation_name(name, o.language, o.platform), n) for n in o.shim.notes]
            else:
                notes.append("shims %s/%s: %s: %s" % (name, o.label, "skipped" if o.skipped
                                                       else "build failed", o.reason))
    return found, notes
