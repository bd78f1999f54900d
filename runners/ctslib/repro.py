"""Repro bundles: one self-contained directory per failing row of `./cts run`, and
`./cts repro BUNDLE`, which runs that one case again and says whether it still fails.

A bundle (`<out>/repro/<row id, sanitised>/`) holds:

    case.json          what `./cts repro` reads: the row, its requirements with their text,
                       the implementations, the plan of the case and its exact commands
    README.md          the same for a reader, with the runner-free command lines
    manifests/*.toml   a copy of the manifest of every implementation involved
    commands.txt       the command lines as they ran: every flag, placeholder and variable
    transcript.txt     the annotated exchange (the test peer's or the recording relay's),
                       when one was recorded (transcript.json: the same, as data)
    logs/              what the implementations printed, bounded like the run's logs
    environment.json   kernel, machine, distribution, tool versions, the checkout's commit
    repro.sh           runs `cts repro` on this directory

Nothing in a bundle names the report directory it was written under: programs are found
through the bundled manifests, whose {root} and {build_dir} are the checkout that runs the
repro, so a clean clone with the same implementation built reproduces the case.

`./cts repro` exits 1 when the case still fails, 0 when it now passes, and 2 when it cannot
run it (a program is missing, the bundle is damaged, the case no longer exists, the run was
interrupted) and says which."""
import datetime
import hashlib
import json
import os
import platform as pyplatform
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from . import expected, manifest as manifest_mod, matrix, paths, procs, revisions, textsafe, wire
from . import hostplatform as host

FORMAT = 1
BUNDLES = "repro"                  # the bundles' directory under the report directory
DEFAULT_MAX_BUNDLES = 50           # bundles one run writes at most (--repro-max)
LOG_HEAD = LOG_TAIL = 512 << 10    # a copied log keeps its first and last 512 KiB
MAX_BUNDLE_BYTES = 8 << 20         # logs that would take a bundle beyond this are left out
MAX_ARCHIVE_BYTES = 256 << 20      # an archive given to `cts repro` unpacks to at most this
KINDS = ("matrix", "conformance", "vectors")
EXIT_PASSES, EXIT_FAILS, EXIT_CANNOT = 0, 1, 2


class BundleError(Exception):
    """A bundle that cannot be read or run here; the message says why."""


# ---- writing --------------------------------------------------------------------------------

def bundle_order(rows):
    """The failing rows that get a bundle, most telling first: failures nobody expected,
    then errors, then expected failures. Within each group the kinds take turns (a matrix
    cell, a catalogue case, a vector, …, each by id), so a cap leaves every kind some."""
    wanted = [r for r in rows if r.get("kind") in KINDS and r["verdict"] in expected.FAILING]
    groups = {}
    for r in sorted(wanted, key=lambda r: r["id"]):
        key = (expected.outcome(r) != "fail", r["verdict"] != "fail")
        groups.setdefault(key, {}).setdefault(r["kind"], []).append(r)
    ordered = []
    for key in sorted(groups):
        by_kind = [groups[key][k] for k in KINDS if k in groups[key]]
        for i in range(max(len(x) for x in by_kind)):
            ordered += [x[i] for x in by_kind if i < len(x)]
    return ordered


def write_bundles(rows, manifests, out_dir: Path, limit=DEFAULT_MAX_BUNDLES, capture=True):
    """Writes a bundle for each failing matrix, conformance and vector row (at most `limit`)
    under `out_dir`/repro and sets the row's `repro` to its path relative to `out_dir`.
    Returns the summary ({written, not_written, limit, errors}) and notes for the report. A
    bundle that cannot be written is named in `errors`; it never fails the run."""
    candidates = bundle_order(rows)
    summary = {"written": 0, "not_written": 0, "limit": limit, "errors": []}
    notes = []
    if not candidates:
        return summary, notes
    by_name = {m.name: m for m in manifests}
    facts = environment_facts(manifests)
    requirements = _requirement_texts()
    root = out_dir / BUNDLES
    for row in candidates:
        if summary["written"] >= limit:
            summary["not_written"] += 1
            continue
        target = root / matrix.slug(row["id"])
        try:
            write_bundle(row, by_name, out_dir, target, facts, requirements, capture)
        except Exception as e:  # noqa: BLE001 - one bad bundle must not cost the report
            shutil.rmtree(target, ignore_errors=True)
            summary["errors"].append("%s: %s: %s" % (row["id"], type(e).__name__, e))
            continue
        row["repro"] = "%s/%s" % (BUNDLES, target.name)
        summary["written"] += 1
    if summary["not_written"]:
        notes.append("repro bundles: %d written, %d failing rows have none (at most %d per run; "
                     "--repro-max N)" % (summary["written"], summary["not_written"], limit))
    for e in summary["errors"]:
        notes.append("repro bundle not written for %s" % e)
    return summary, notes


def write_bundle(row, manifests_by_name, out_dir: Path, target: Path, facts, requirements,
                 capture=True):
    """Writes the bundle of one failing row into `target` (replaced if it exists)."""
    if target.exists():
        shutil.rmtree(target)
    (target / "manifests").mkdir(parents=True)
    (target / "logs").mkdir()
    kind = row["kind"]
    planner = {"matrix": _matrix_plan, "conformance": _conformance_plan,
               "vectors": _vector_plan}[kind]
    plan, commands, transcript, logs = planner(row, manifests_by_name, out_dir, capture)
    impls = []
    for name, roles in plan["roles"].items():
        m = manifests_by_name[name]
        copy = "manifests/%s.toml" % name
        data = Path(m.path).read_bytes()
        (target / copy).write_bytes(data)
        impls.append({"name": name, "roles": roles, "manifest": copy,
                      "origin": _origin(m.path), "sha256": hashlib.sha256(data).hexdigest(),
                      "language": m.language, "version": m.version, "platform": m.platform,
                      "build": m.build, "launcher": list(m.launcher),
                      "programs": _programs(m, roles),
                      "version_output": facts["implementations"].get(name, "")})
    case = {
        "format": FORMAT, "generator": "netipc-cts",
        "written_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "id": row["id"], "kind": kind, "verdict": row["verdict"],
        "outcome": expected.outcome(row), "message": textsafe.visible(row.get("message", "")),
        "details": textsafe.visible(textsafe.clip(row.get("details", ""))),
        "blame": list(row.get("blame", [])),
        "expected_reason": row.get("expected_reason", ""),
        "requirements": [requirements.get(r, {"id": r, "level": "", "chapter": "",
                                              "statement": "(not in spec/requirements.json)"})
                         for r in row.get("requirements", [])],
        "implementations": impls, "plan": plan, "commands": commands,
        # The protocol revision the verdict was reached at: the rerun judges the same one.
        "spec_revision": row.get("spec_revision") or revisions.DEFAULT,
    }
    _write_json(target / "case.json", case)
    env_doc = {k: v for k, v in facts.items() if k != "implementations"}
    _write_json(target / "environment.json", env_doc)
    (target / "commands.txt").write_text(_commands_text(commands))
    if transcript:
        _write_json(target / "transcript.json", transcript["data"])
        (target / "transcript.txt").write_text(transcript["text"])
    budget = MAX_BUNDLE_BYTES - _size(target)
    left_out = []
    for name, source in logs:  # a log file of the run, or text the peer kept
        data = source if isinstance(source, bytes) else _bounded_bytes(source)
        if data is None:
            continue
        if len(data) > budget:
            left_out.append(name)
            continue
        budget -= len(data)
        (target / "logs" / name).write_bytes(data)
    if left_out:
        (target / "logs" / "NOT-COPIED.txt").write_text(
            "These logs would have taken the bundle beyond %d MiB and were left out:\n%s\n"
            % (MAX_BUNDLE_BYTES >> 20, "\n".join(left_out)))
    (target / "README.md").write_text(_readme(case, transcript is not None,
                                              sorted(p.name for p in (target / "logs").iterdir())))
    script = target / "repro.sh"
    script.write_text(_repro_script())
    script.chmod(0o755)
    return target


def _write_json(path: Path, doc):
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


def _size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def _origin(path) -> str:
    """Where a manifest came from: relative to the checkout when it lives there."""
    p = Path(os.path.abspath(path))
    try:
        return str(p.relative_to(paths.ROOT.resolve()))
    except ValueError:
        return str(p)


def _role_command(m, role):
    spec = {"server": m.server, "client": m.client, "codec": m.codec}[role]
    if spec is None:
        return []
    # Server and client commands hold the launcher apart; the codec's has it in front.
    return list(spec.command) if role == "codec" else list(m.launcher) + list(spec.command)


def _programs(m, roles):
    """The parts of the implementation's commands that named existing files when the bundle
    was written ({"role", "index"}): `cts repro` checks the same parts of the manifest as the
    checkout running it expands them, and names each one that is missing there."""
    found = []
    for role in roles:
        for i, part in enumerate(_role_command(m, role)):
            if "{" not in part and os.path.isabs(part) and os.path.exists(part):
                found.append({"role": role, "index": i})
    return found


def _bounded_bytes(path: Path):
    """A log as the bundle keeps it: its first and last LOG_HEAD/LOG_TAIL bytes."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            if size <= LOG_HEAD + LOG_TAIL:
                return f.read()
            head = f.read(LOG_HEAD)
            f.seek(size - LOG_TAIL)
            return head + textsafe.omitted_marker(size - LOG_HEAD - LOG_TAIL).encode() + f.read()
    except OSError:
        return None


def _requirement_texts():
    try:
        doc = json.loads((paths.SPEC / "requirements.json").read_text())
    except (OSError, ValueError):
        return {}
    return {r["id"]: {"id": r["id"], "level": r.get("level", ""), "chapter": r.get("chapter", ""),
                      "statement": r.get("statement", "")} for r in doc.get("requirements", [])}


# -- per kind: the plan, the commands, the transcript and the logs of one row --

def _matrix_plan(row, by_name, out_dir, capture):
    client, server = by_name[row["client"]], by_name[row["server"]]
    family = getattr(server, "family", "posix")
    cell = matrix.resolve_cell(client, server, matrix.profile_bit(row["profile"], family),
                               row["scenario"])
    if cell.id != row["id"]:
        raise BundleError("the plan of %s is %s" % (row["id"], cell.id))
    plan = {"client": client.name, "server": server.name, "profile": cell.profile,
            "profile_name": row["profile"], "scenario": row["scenario"],
            "client_scenario": cell.client_scenario, "params": dict(cell.params),
            "config": dict(cell.config), "capture": bool(capture), "note": cell.note,
            "roles": _roles({client.name: ["client"]}, {server.name: ["server"]})}
    ev = row.get("evidence") or {}
    commands, logs = [], []
    for c in ev.get("commands", []):
        spec = server.server if c["role"] == "server" else client.client
        commands.append({"role": c["role"], "name": c["name"], "argv": list(c["argv"]),
                         "env": dict(spec.env), "exit": c.get("how", "")})
        for stream in ("stdout", "stderr"):
            if c.get(stream):
                logs.append(("%s.%s" % (c["name"], stream), out_dir / c[stream]))
    if ev.get("reproduce"):
        commands.append({"role": "shell", "name": "without the runner",
                         "lines": list(ev["reproduce"])})
    transcript = None
    if ev.get("exchange"):
        transcript = {"data": ev["exchange"], "text": _relay_text(ev["exchange"])}
    return plan, commands, transcript, logs


def _roles(*maps):
    out = {}
    for m in maps:
        for name, roles in m.items():
            out.setdefault(name, [])
            out[name] += [r for r in roles if r not in out[name]]
    return out


def _conformance_plan(row, by_name, out_dir, capture):
    del capture
    _, name, role, profile, case_id = row["id"].split("/", 4)
    m = by_name[name]
    result = _catalogue_result(out_dir, name, role, profile, case_id)
    plan = {"implementation": name, "role": role, "profile": profile, "case": case_id,
            "title": result.get("title", ""), "chapter": result.get("chapter", ""),
            "config": result.get("config"), "roles": {name: [role]}}
    commands = []
    if result.get("peer_command"):
        commands.append({"role": "peer", "name": "nipc-peer", "argv": result["peer_command"],
                         "env": dict((m.server if role == "server" else m.client).env)})
    if result.get("command"):
        commands.append({"role": role, "name": "IUT (started by the peer)",
                         "argv": result["command"]})
    transcript = None
    if result.get("exchange"):
        transcript = {"data": result["exchange"], "text": _peer_text(result["exchange"])}
    iut = result.get("iut") or {}
    logs = []
    # The peer keeps the IUT's output bounded (its stdout's first 4000 bytes, the last 30
    # lines of stderr); the bundle takes what it kept.
    if iut:
        for stream, text in (("stdout", iut.get("stdout", "")),
                             ("stderr", "\n".join(iut.get("stderr_tail", [])))):
            text += "\n" if text and not text.endswith("\n") else ""
            logs.append(("iut." + stream, text.encode("utf-8", "backslashreplace")))
        plan["iut_exit"] = iut.get("exit", "")
    plan["failures"] = result.get("failures", [])
    return plan, commands, transcript, logs


def _catalogue_result(out_dir, name, role, profile, case_id):
    """The peer's full result of one case, from the catalogue run's results.json."""
    path = out_dir / "conformance" / name / role / "results.json"
    try:
        results = json.loads(path.read_text())["results"]
    except (OSError, ValueError, KeyError) as e:
        raise BundleError("no catalogue results (%s): %s" % (path.name, e)) from e
    for r in results:
        if r.get("case") == case_id and r.get("profile") == profile:
            return r
    raise BundleError("case %s [%s] is not in the catalogue results" % (case_id, profile))


def _vector_plan(row, by_name, out_dir, capture):
    del out_dir, capture
    from . import vectors
    m = by_name[row["implementation"]]
    if "family" not in row:  # the whole replay failed: no one case to run again
        raise BundleError("the row stands for the whole replay, not one vector")
    suffix = ".encode" if row["name"].endswith(".encode") else ""
    case = next((c for doc in vectors.load_all() if doc["family"] == row["family"]
                 for c in doc["cases"] if c["id"] == row["case_id"]), None)
    if case is None:
        raise BundleError("vector %s/%s is not in vectors/" % (row["family"], row["case_id"]))
    request = next(req for s, req, _ in vectors._checks(row["family"], case, True)
                   if s == suffix)
    plan = {"implementation": m.name, "family": row["family"], "vector": case,
            "suffix": suffix, "request": request, "roles": {m.name: ["codec"]}}
    commands = [{"role": "testee", "name": "codec testee", "argv": list(m.codec.command),
                 "stdin": [{"op": "hello"}, request]}]
    return plan, commands, None, []


# -- texts --

def _relay_text(exchange):
    out = []
    for p in exchange:
        data = bytes.fromhex(p.get("hex", ""))
        out.append("#%d %s %d bytes at +%.4f s" % (p["index"], p["direction"],
                                                    p.get("length", len(data)), p["t"]))
        out += ["    " + n for n in p.get("notes", [])]
        out += ["    " + r for r in wire.hexdump(data, 4096)]
        if p.get("length", 0) > len(data):
            out.append("    (%d bytes recorded of %d)" % (len(data), p["length"]))
    return "\n".join(out) + "\n"


def _peer_text(events):
    out = []
    for e in events:
        if "dir" not in e:
            out.append(str(e.get("note", e)))
            continue
        head = "%8s ms  %-6s %-9s" % (e.get("t_ms", ""), e.get("conn", ""), e["dir"])
        if e["dir"] == "note":
            out.append("%s  %s" % (head, e.get("note", "")))
            continue
        out.append("%s  %s (%s bytes)" % (head, e.get("what", ""), e.get("len", "?")))
        out += ["        " + f for f in e.get("fields", [])]
    return textsafe.visible("\n".join(out)) + "\n"


def _env_prefix(env):
    return "".join("%s=%s " % (k, shlex.quote(v)) for k, v in sorted((env or {}).items()))


def _commands_text(commands):
    out = ["# The commands of the first run, every placeholder expanded. Run dirs and service",
           "# names were temporary; `cts repro` makes new ones.", ""]
    for c in commands:
        out.append("## %s: %s%s" % (c["role"], c["name"],
                                    " (%s)" % c["exit"] if c.get("exit") else ""))
        if c.get("lines"):
            out += c["lines"]
        else:
            out.append(_env_prefix(c.get("env")) + shlex.join(c["argv"]))
        for msg in c.get("stdin", []):
            out.append("#   request on stdin (4-byte length, then JSON): " + json.dumps(msg))
        out.append("")
    return "\n".join(out)


def _readme(case, has_transcript, logs):
    lines = ["# Repro bundle: %s" % case["id"], "",
             "First run: **%s**%s: %s" % (
                 case["verdict"], "" if case["outcome"] == case["verdict"] else
                 " (%s: %s)" % (case["outcome"], case["expected_reason"]), case["message"]),
             ""]
    if case["blame"]:
        lines += ["Held against: %s" % ", ".join(case["blame"]), ""]
    lines += ["## Run it again", "",
              "    ./repro.sh [CHECKOUT]          # or: CHECKOUT/cts repro THIS_DIRECTORY", "",
              "Exit 1: it still fails; 0: it now passes; 2: it cannot run here (the output "
              "names what is missing).", "", "## Requirements", ""]
    for r in case["requirements"]:
        lines.append("- **%s** (%s, %s): %s" % (r["id"], r["level"], r["chapter"], r["statement"]))
    lines += ["", "## Implementations", ""]
    for i in case["implementations"]:
        lines.append("- %s (%s, %s, version %s) as %s: manifest `%s` (from `%s`)" % (
            i["name"], i["language"], i["platform"], i["version"], ", ".join(i["roles"]),
            i["manifest"], i["origin"]))
    lines += ["", "## Files", "",
              "- `case.json`: the case, its plan and its commands (what `cts repro` reads)",
              "- `commands.txt`: the exact command lines of the first run",
              "- `environment.json`: kernel, machine, distribution, tool versions"]
    if has_transcript:
        lines.append("- `transcript.txt`: the annotated exchange on the wire")
    if logs:
        lines.append("- `logs/`: %s" % ", ".join(logs))
    lines += ["", "## Details of the first run", "", "```", case["details"], "```", ""]
    return "\n".join(lines)


def _repro_script():
    origin = shlex.quote(str(paths.ROOT))
    return """#!/bin/sh
# Runs the case of this repro bundle again and says whether it still fails.
#   ./repro.sh [CHECKOUT] [cts repro options]
# CHECKOUT is a netipc-cts checkout with the implementations built: the first argument,
# else $NETIPC_CTS_ROOT, else the checkout holding this bundle or the current directory,
# else the one that wrote it. Exit 1: still fails; 0: now passes; 2: cannot run here.
set -u
bundle=$(cd "$(dirname "$0")" && pwd)
root=""
if [ $# -gt 0 ] && [ -x "$1/cts" ]; then root=$1; shift
elif [ -n "${NETIPC_CTS_ROOT:-}" ]; then root=$NETIPC_CTS_ROOT
else
  for dir in "$bundle" "$PWD"; do
    top=$(git -C "$dir" rev-parse --show-toplevel 2>/dev/null) || continue
    if [ -x "$top/cts" ]; then root=$top; break; fi
  done
  [ -n "$root" ] || root=%s
fi
if [ ! -x "$root/cts" ]; then
  echo "repro.sh: no netipc-cts checkout at $root: pass one as the first argument or set NETIPC_CTS_ROOT" >&2
  exit 2
fi
exec "$root/cts" repro "$bundle" "$@"
""" % origin


# ---- environment facts ----------------------------------------------------------------------

def _first_line(argv, timeout=5.0):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, errors="replace")
    except (OSError, subprocess.TimeoutExpired) as e:
        return "unavailable (%s)" % type(e).__name__
    text = (p.stdout or p.stderr).strip().splitlines()
    return textsafe.visible(text[0][:300]) if text else "exit %d, no output" % p.returncode


def _distribution():
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return pyplatform.platform()


def _compiler():
    try:
        for line in (paths.build_dir("default") / "CMakeCache.txt").read_text().splitlines():
            if line.startswith("CMAKE_CXX_COMPILER:"):
                return _first_line([line.split("=", 1)[1], "--version"])
    except OSError:
        pass
    return _first_line(["c++", "--version"])


def _checkout():
    commit = _first_line(["git", "-C", str(paths.ROOT), "rev-parse", "HEAD"])
    try:
        dirty = subprocess.run(["git", "-C", str(paths.ROOT), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               timeout=10).stdout.strip() != ""
    except (OSError, subprocess.TimeoutExpired):
        dirty = None
    return {"commit": commit, "modified": dirty}


def environment_facts(manifests=()):
    """Facts about this machine for a bundle: kernel, machine, distribution, tool versions,
    the checkout's commit, and each implementation's version_command output."""
    uname = os.uname() if hasattr(os, "uname") else None
    facts = {
        "kernel": ("%s %s %s" % (uname.sysname, uname.release, uname.version)) if uname
        else pyplatform.platform(),
        "machine": pyplatform.machine(), "distribution": _distribution(),
        "cpus": os.cpu_count(), "host_platform": host.NAME,
        "tools": {"python": sys.version.split()[0], "cmake": _first_line(["cmake", "--version"]),
                  "ninja": _first_line(["ninja", "--version"]), "c++": _compiler()},
        "checkout": _checkout(), "implementations": {}}
    for m in manifests:
        if m.launcher and m.launcher[0] not in facts["tools"]:
            facts["tools"][m.launcher[0]] = _first_line([m.launcher[0], "--version"])
        if m.version_command:
            facts["implementations"][m.name] = _first_line(m.version_command)
    return facts


# ---- reading a bundle -----------------------------------------------------------------------

def _safe_extract(archive: Path, into: Path) -> Path:
    """Unpacks a bundle archive (.tar.gz) into `into` and returns the bundle directory in it.
    Refuses members outside the archive's directory, links, devices and more than
    MAX_ARCHIVE_BYTES."""
    try:
        tar = tarfile.open(archive, "r:*")
    except (OSError, tarfile.TarError) as e:
        raise BundleError("%s is not a readable bundle archive: %s" % (archive, e)) from e
    with tar:
        total = 0
        members = tar.getmembers()
        for mem in members:
            name = mem.name
            parts = Path(name).parts
            if name.startswith("/") or ".." in parts:
                raise BundleError("%s: member %r points outside the bundle" % (archive, name))
            if not (mem.isfile() or mem.isdir()):
                raise BundleError("%s: member %r is not a plain file or directory"
                                  % (archive, name))
            total += mem.size
            if total > MAX_ARCHIVE_BYTES:
                raise BundleError("%s unpacks to more than %d MiB" % (archive,
                                                                      MAX_ARCHIVE_BYTES >> 20))
        for mem in members:
            dest = into / mem.name
            if mem.isdir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(mem) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)
            if mem.mode & 0o100:
                dest.chmod(0o755)
    found = [p.parent for p in into.rglob("case.json")]
    if len(found) != 1:
        raise BundleError("%s holds %s case.json; a bundle archive holds exactly one"
                          % (archive, len(found) or "no"))
    return found[0]


def load_case(bundle: Path) -> dict:
    """The bundle's case.json, checked enough to run it; BundleError when it cannot be."""
    path = bundle / "case.json"
    if not path.is_file():
        raise BundleError("%s is not a repro bundle (no case.json)" % bundle)
    try:
        case = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise BundleError("%s: not JSON: %s" % (path, e)) from e
    if not isinstance(case, dict) or case.get("format") != FORMAT:
        raise BundleError("%s: bundle format %r; this checkout reads format %d"
                          % (path, case.get("format") if isinstance(case, dict) else None,
                             FORMAT))
    for key in ("id", "kind", "plan", "implementations"):
        if key not in case:
            raise BundleError("%s: no %r" % (path, key))
    if case["kind"] not in KINDS:
        raise BundleError("%s: kind %r cannot be run again" % (path, case["kind"]))
    return case


def load_manifests(bundle: Path, case: dict, replacements: dict, tree: Path = None):
    """The implementations of the case, name -> Manifest: the bundled copies, expanded for
    this checkout, or the manifests given with --impl NAME=MANIFEST in their place. `tree`
    (--build-dir) is {build_dir} of the POSIX manifests instead of their preset's tree."""
    from . import conformance
    out = {}
    for impl in case["implementations"]:
        name = impl["name"]
        path = replacements.get(name) or bundle / impl["manifest"]
        try:
            out[name] = conformance.load_manifest(path, tree)
        except manifest_mod.ManifestError as e:
            raise BundleError("manifest of %s: %s" % (name, e)) from e
    unknown = set(replacements) - set(out)
    if unknown:
        raise BundleError("--impl names %s, which the case does not involve (it involves %s)"
                          % (", ".join(sorted(unknown)), ", ".join(sorted(out))))
    return out


def missing_programs(case, manifests, replaced, tree: Path = None):
    """(what is missing, CMake (preset, targets) that would build it) for the case to run
    here: every program the first run used, as this checkout's manifests name it, and the
    test peer for a conformance case."""
    missing, builds = [], {}

    def want(path, preset):
        missing.append(path)
        if path.startswith(str(paths.build_dir(preset)) + os.sep):
            target = os.path.basename(path).removesuffix(".exe")
            builds.setdefault(preset, [])
            if target not in builds[preset]:
                builds[preset].append(target)

    for impl in case["implementations"]:
        m = manifests[impl["name"]]
        if m.launcher and not os.path.isabs(m.launcher[0]) and not shutil.which(m.launcher[0]):
            missing.append("%s (the launcher of %s, not on PATH)" % (m.launcher[0], m.name))
        if impl["name"] in replaced:
            checks = _programs_here(m, impl["roles"])
        else:
            cmds = {role: _role_command(m, role) for role in impl["roles"]}
            checks = [cmds[p["role"]][p["index"]] for p in impl.get("programs", [])
                      if p["index"] < len(cmds.get(p["role"], []))]
        for part in checks:
            if not os.path.exists(part):
                want(part, m.build)
    if case["kind"] == "conformance":
        from . import conformance
        m = manifests[case["plan"]["implementation"]]
        peer = conformance.peer_command(m, tree)[-1]
        if not os.path.exists(peer):
            want(peer, m.build if conformance.family_of(m) == "windows" else "default")
    return missing, builds


def _programs_here(m, roles):
    """For a replacement manifest: its absolute, placeholder-free command parts that look
    like programs (the first word, and words naming files under the checkout)."""
    out = []
    for role in roles:
        cmd = _role_command(m, role)
        for i, part in enumerate(cmd):
            if "{" in part or not os.path.isabs(part):
                continue
            if i == 0 or part.startswith(str(paths.ROOT)):
                out.append(part)
    return out


# ---- running a bundle again -----------------------------------------------------------------

def rerun(case, manifests, work: Path, timeout_scale=1.0, tree: Path = None):
    """Runs the bundle's case once and returns (verdict, message, row): verdict pass, fail,
    error, or "cannot" with the reason. Raises procs.Interrupted when the run is stopped."""
    kind = case["kind"]
    if kind == "matrix":
        return _rerun_matrix(case, manifests, work)
    if kind == "conformance":
        return _rerun_conformance(case, manifests, work, timeout_scale, tree)
    return _rerun_vector(case, manifests)


def _rerun_matrix(case, manifests, work):
    plan = case["plan"]
    client, server = manifests[plan["client"]], manifests[plan["server"]]
    for m in (client, server):
        m.run_revision = case.get("spec_revision") or revisions.DEFAULT
    try:
        cell = matrix.resolve_cell(client, server, int(plan["profile"]), plan["scenario"])
    except KeyError:
        return "cannot", "this checkout has no matrix scenario %r" % plan["scenario"], None
    if cell.verdict:
        return "cannot", "the cell cannot run with these implementations: %s: %s" % (
            cell.verdict, cell.message), None
    notes = []
    if cell.config != plan["config"] or cell.client_scenario != plan["client_scenario"]:
        notes.append("this checkout would plan the cell differently; it ran the bundle's "
                     "configuration")
    cell.config = dict(plan["config"])
    cell.client_scenario = plan["client_scenario"]
    cell.params = dict(plan["params"])
    run_base = host.run_base("cts-repro-")
    try:
        ctx = matrix.CellContext(run_base=run_base, out_dir=work,
                                 capture=bool(plan.get("capture", True)))
        row = matrix.run_cell(cell, 0, ctx)
    finally:
        shutil.rmtree(run_base, ignore_errors=True)
    row.setdefault("evidence", {}).setdefault("notes", []).extend(notes)
    return row["verdict"], row.get("message", ""), row


def _rerun_conformance(case, manifests, work, timeout_scale, tree):
    from . import conformance, spec_index
    plan = case["plan"]
    m = manifests[plan["implementation"]]
    peer = conformance.peer_command(m, tree)
    try:
        catalogue = conformance.load_catalogue(peer)
    except (OSError, subprocess.CalledProcessError, ValueError) as e:
        return "cannot", "cannot list the catalogue with %s: %s" % (" ".join(peer), e), None
    found = [c for c in catalogue if c["id"] == plan["case"] and c["role"] == plan["role"]]
    if not found:
        return "cannot", "this checkout's peer has no %s case %s" % (plan["role"],
                                                                    plan["case"]), None
    _, requirements = spec_index.load_index()
    levels = {k: v["level"] for k, v in requirements.items()}
    runner = conformance.Runner(m, peer, timeout_scale,
                                revision=case.get("spec_revision") or revisions.DEFAULT)
    result = conformance.apply_levels(runner.run(found[0], plan["profile"], plan.get("config")),
                                      levels)
    _write_json(work / "result.json", result)
    verdict = {"timeout": "fail", "unreported": "fail"}.get(result["verdict"], result["verdict"])
    if verdict in ("skip", "unsupported", "not-applicable"):
        return "cannot", "%s: %s" % (result["verdict"], result.get("reason", "")), result
    if result.get("error_class") == "environment":
        return "cannot", conformance.message_of(result), result
    return verdict, conformance.message_of(result), result


def _rerun_vector(case, manifests):
    from . import vectors
    from .framing import JsonProcess, TesteeError
    plan = case["plan"]
    m = manifests[plan["implementation"]]
    if m.codec is None:
        return "cannot", "%s has no [codec] testee" % m.name, None
    checks = {s: (req, judge) for s, req, judge in vectors._checks(plan["family"], plan["vector"],
                                                                   True)}
    if plan["suffix"] not in checks:
        return "cannot", "the vector no longer makes a %r check" % plan["suffix"], None
    request, judge = checks[plan["suffix"]]
    try:
        proc = JsonProcess(m.codec.command)
    except OSError as e:
        return "cannot", "cannot start the codec testee: %s" % e, None
    try:
        hello = proc.call({"op": "hello"})
        declared = set(hello.get("families", [])) | set(m.codec.families)
        if declared and plan["family"] not in declared:
            return "cannot", "the testee does not list family %s" % plan["family"], None
        verdict, message = judge(proc.call(request))
    except TesteeError as e:
        verdict, message = "error", "%s%s" % (e, "; stderr: " + " / ".join(proc.stderr_tail()[-3:])
                                                 if proc.stderr_tail() else "")
    finally:
        proc.close()
    if verdict == "unsupported":
        return "cannot", "unsupported: %s" % message, None
    return verdict, message, {"verdict": verdict, "message": message, "request": request}


# ---- the command ----------------------------------------------------------------------------

def _parse_replacements(items):
    out = {}
    for item in items or []:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise BundleError("--impl wants NAME=MANIFEST, not %r" % item)
        out[name] = Path(path)
    return out


def cmd_repro(args) -> int:
    host.limit_core_dumps()
    host.become_subreaper()
    stop = {"at": None}

    def on_signal():
        if stop["at"] is not None:
            return
        stop["at"] = time.monotonic()
        procs.request_stop()
        _kill_below()
        raise KeyboardInterrupt

    restore = host.install_stop_signals(on_signal, with_sigint=True)
    tmp = Path(tempfile.mkdtemp(prefix="cts-repro-"))
    try:
        return _repro(args, tmp)
    except BundleError as e:
        print("cts repro: CANNOT RUN: %s" % e, file=sys.stderr)
        return EXIT_CANNOT
    except (KeyboardInterrupt, procs.Interrupted):
        procs.request_stop()
        procs.stop_all(grace=0.0)
        host.wait_gone(_kill_below(), 1.0)
        print("cts repro: CANNOT TELL: interrupted before the case ended (every process it "
              "started is stopped)", file=sys.stderr)
        return EXIT_CANNOT
    finally:
        restore()
        procs.stop_all(grace=0.0)
        strays = _kill_below()
        if strays:
            host.wait_gone(strays, 1.0)
        host.reap_strays(set())
        shutil.rmtree(tmp, ignore_errors=True)


def _kill_below():
    pids = [p for p in host.descendants(os.getpid()) if not host.launcher_infrastructure(p)]
    host.kill_pids(pids)
    return pids


def _repro(args, tmp: Path) -> int:
    source = Path(args.bundle)
    if source.is_dir():
        bundle = source
    elif source.is_file():
        bundle = _safe_extract(source, tmp / "bundle")
    else:
        raise BundleError("%s does not exist" % source)
    case = load_case(bundle)
    replacements = _parse_replacements(args.impl)
    tree = Path(args.build_dir).resolve() if args.build_dir else None
    manifests = load_manifests(bundle, case, replacements, tree)
    print("cts repro: %s (first run: %s: %s)" % (case["id"], case.get("verdict", "?"),
                                                 textsafe.visible(case.get("message", ""), True)),
          flush=True)
    for name, path in sorted(replacements.items()):
        print("cts repro: %s is played by %s (%s)" % (name, manifests[name].name, path), flush=True)
    missing, builds = missing_programs(case, manifests, set(replacements), tree)
    if missing and args.build and builds and not tree:
        from . import build
        for preset, targets in sorted(builds.items()):
            if not build.configure_and_build(preset, targets):
                raise BundleError("the build of %s (preset %s) failed" % (" ".join(targets),
                                                                           preset))
        missing, builds = missing_programs(case, manifests, set(replacements), tree)
    if missing:
        how = "; ".join("cmake --preset %s && cmake --build --preset %s --target %s"
                        % (p, p, " ".join(t)) for p, t in sorted(builds.items()))
        raise BundleError("missing here: %s%s" % (", ".join(missing),
                                                  " (build them: %s, or pass --build)" % how
                                                  if how else ""))
    work = Path(args.out).resolve() if args.out else tmp / "work"
    work.mkdir(parents=True, exist_ok=True)
    if case["kind"] != "matrix":
        os.environ.setdefault("WINEDEBUG", "-all")
    start = time.monotonic()
    verdict, message, row = rerun(case, manifests, work, args.timeout_scale, tree)
    seconds = time.monotonic() - start
    if procs.stopping():
        raise procs.Interrupted()
    if args.out:
        _write_json(work / "repro.json", {"id": case["id"], "verdict": verdict,
                                          "message": message, "seconds": round(seconds, 3),
                                          "row": row})
    message = textsafe.visible(textsafe.clip(message or "", 2000, 0), True)
    if verdict == "cannot":
        print("cts repro: CANNOT RUN: %s" % message, file=sys.stderr)
        return EXIT_CANNOT
    if verdict == "pass":
        print("cts repro: NOW PASSES (%.1f s)%s" % (seconds, ": " + message if message else ""))
        return EXIT_PASSES
    print("cts repro: STILL FAILS (%s, %.1f s): %s" % (verdict, seconds, message))
    if args.out:
        print("cts repro: logs of this run: %s" % work)
    return EXIT_FAILS


def add_parser(sub):
    p = sub.add_parser(
        "repro", help="run the case of a repro bundle again: exit 1 still fails, 0 now passes, "
        "2 cannot run",
        description="Runs the one case a repro bundle (written by `cts run` under "
        "<out>/repro/) describes, with this checkout's build of the implementations, and says "
        "whether it still fails (exit 1), now passes (exit 0) or cannot run here (exit 2, "
        "naming what is missing).")
    p.add_argument("bundle", metavar="BUNDLE",
                   help="a bundle directory, or a .tar.gz archive of one")
    p.add_argument("--impl", action="append", metavar="NAME=MANIFEST",
                   help="let the implementation MANIFEST play the part of NAME (e.g. a fixed "
                        "build); repeatable")
    p.add_argument("--build", action="store_true",
                   help="build the missing programs first (CMake targets of this checkout)")
    p.add_argument("--build-dir", metavar="DIR",
                   help="the build tree {build_dir} means and the test peer comes from "
                        "(default: the preset's tree of this checkout)")
    p.add_argument("--out", metavar="DIR",
                   help="keep this run's logs and result (repro.json) in DIR (default: a "
                        "temporary directory, removed)")
    p.add_argument("--timeout-scale", type=float, default=1.0,
                   help="stretch a conformance case's step deadlines (slow machines)")
    p.set_defaults(func=cmd_repro)
