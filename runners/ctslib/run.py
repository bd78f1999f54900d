"""`./cts run`: the interop matrix, the conformance catalogue and vector replay for every
implementation given (and, with --self-check, the reference's own tests), in parallel, into
one report.

Every result is a row of the same shape (see runners/schema/report.schema.json): id, kind,
suite, name, verdict (pass | fail | unsupported | not-applicable | error), seconds, message,
details, requirements, implementations, plus kind-specific fields and evidence. Matrix cells,
conformance cases and vector cases all arrive here as such rows.
"""
import argparse
import concurrent.futures as futures
import datetime
import importlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import build, deps, expected, manifest as manifest_mod, matrix, paths, procs, report, repro
from . import revisions
from . import hostplatform as host
from . import history, textsafe, vectors
from .procs import PROBE_TIMEOUT, probe  # noqa: F401 (run.probe, its old home)

REFERENCE_MANIFEST = paths.ROOT / "interop" / "reference.toml"
REFERENCE_NAME = "reference"
EXIT_OK, EXIT_FAILED, EXIT_SETUP, EXIT_INTERRUPTED = 0, 1, 2, 130


class Task:
    """One schedulable unit: a matrix cell, a conformance catalogue run or a vector replay.
    `run(attempt)` returns result rows."""

    def __init__(self, id, run, weight=1.0, rerunnable=True):
        self.id = id
        self.run = run
        self.weight = weight
        self.rerunnable = rerunnable
        self.wall_seconds = None   # how long its last run took (None until it ran)


# ---- what the filters select ----------------------------------------------------------------

TRANSPORTS = sorted({name for names in manifest_mod.PROFILE_NAMES.values()
                     for name in names.values()})


class Selection:
    """What `--only REGEX`, `--scenario S` and `--transport T` select, the same way for every
    kind of row: a matrix cell, a catalogue case on one profile, a vector case. A row is
    selected when it passes every filter given:
      --only       its row id matches (matrix/<client>/<server>/<profile>/<scenario>,
                   conformance/<impl>/<role>/<profile>/<case>, vectors/<impl>/<family>/<case>);
      --scenario   it is a matrix cell of that scenario (catalogue and vector cases have none);
      --transport  it runs over that profile (vector cases run over none).
    No filter selects everything."""

    def __init__(self, only=None, scenarios=None, transports=None):
        self.only = only
        self.scenarios = list(scenarios or [])
        self.transports = list(transports or [])

    @property
    def active(self) -> bool:
        return bool(self.only or self.scenarios or self.transports)

    def describe(self) -> str:
        parts = ["--only %r" % self.only] if self.only else []
        parts += ["--scenario %s" % s for s in self.scenarios]
        parts += ["--transport %s" % t for t in self.transports]
        return " ".join(parts)

    def row(self, row_id, profile=None, scenario=None) -> bool:
        """Whether a row with this id, profile name (None: no transport) and matrix scenario
        (None: not a matrix cell) is selected."""
        if self.only and not re.search(self.only, row_id):
            return False
        if self.scenarios and scenario not in self.scenarios:
            return False
        return not self.transports or profile in self.transports

    def alone(self):
        """Each filter given as a selection of its own, with its name: to tell which one
        selects nothing."""
        out = []
        if self.only:
            out.append(("--only %r" % self.only, Selection(only=self.only)))
        if self.scenarios:
            out.append((" ".join("--scenario %s" % s for s in self.scenarios),
                        Selection(scenarios=self.scenarios)))
        if self.transports:
            out.append((" ".join("--transport %s" % t for t in self.transports),
                        Selection(transports=self.transports)))
        return out


def selection_of(args) -> Selection:
    return Selection(getattr(args, "only", None), getattr(args, "scenario", None),
                     getattr(args, "transport", None))


# ---- programs named by the manifests ---------------------------------------------------------

# Defined with the manifests (every command that checks before work uses it).
missing_programs = manifest_mod.missing_programs


# ---- conformance seam -----------------------------------------------------------------------

def conformance_tasks(manifests, ctx, selection=None, cheap=False, revision=revisions.DEFAULT):
    """Tasks running the conformance catalogue against each implementation in each role.

    The catalogue lives in ctslib.conformance (built on its own branch). When that module
    offers `run_catalogue(manifest, role, run_base, out_dir, revision=...) -> rows`, one task
    per (implementation, role) runs it at the run's protocol revision; its rows must carry the common row shape (id starting
    with "conformance/", verdict, requirements, …). Until then the run says so in its notes.
    """
    try:
        # Through sys.modules (not the package attribute), so the module in force is the one
        # registered there, whoever imported the package first.
        conformance = importlib.import_module(__package__ + ".conformance")
    except ImportError:
        return [], ["conformance catalogue: not in this tree yet (ctslib/conformance.py); "
                    "no conformance rows"]
    entry = getattr(conformance, "run_catalogue", None)
    if entry is None:
        return [], ["conformance catalogue: ctslib.conformance has no run_catalogue(); "
                    "no conformance rows"]
    selection = selection or Selection()
    if selection.scenarios:
        return [], ["conformance catalogue: not run (%s selects matrix cells; catalogue cases "
                    "have no scenario)" % " ".join("--scenario " + s
                                                  for s in selection.scenarios)]
    tasks = []
    for m in manifests:
        for role in ("server", "client"):
            if not m.supports(role):
                continue
            select = None
            if selection.active:
                def select(row_id, profile, selection=selection):
                    return selection.row(row_id, profile=profile)
                if not cheap and not catalogue_selects(conformance, m, role, select):
                    continue

            def complete(rows, m=m, role=role):
                for r in rows:
                    r.setdefault("kind", "conformance")
                    r.setdefault("implementations", [m.name])
                    r.setdefault("implementation", m.name)
                    r.setdefault("role", role)
                    r.setdefault("platform", m.platform)
                return rows

            def run(attempt, m=m, role=role, complete=complete, select=select):
                try:
                    return complete(entry(m, role, ctx.run_base, ctx.out_dir, revision=revision)
                                    if select is None else
                                    entry(m, role, ctx.run_base, ctx.out_dir, revision=revision,
                                          select=select))
                except procs.Interrupted as stop:  # the cases finished before the stop count
                    complete(stop.rows)
                    raise
            tasks.append(Task("conformance/%s/%s" % (m.name, role), run, weight=20,
                              rerunnable=False))
    return tasks, []


def catalogue_selects(conformance, m, role, select) -> bool:
    """Whether `select` accepts any catalogue case of `role` on a profile of `m`. True when
    the catalogue cannot be listed here (its peer is not built): the task then runs and says
    why it cannot."""
    try:
        cases = conformance.load_catalogue(conformance.peer_command(m))
        profiles = [p for p, bit in conformance.run_profiles(m).items()
                    if bit in m.capabilities.profiles]
    except (AttributeError, OSError, ValueError, subprocess.CalledProcessError):
        return True
    prefix = "conformance/%s/%s/" % (m.name, role)
    return any(select(prefix + p + "/" + c["id"], p) for c in cases if c["role"] == role
               for p in profiles)


# ---- vector replay --------------------------------------------------------------------------

def vector_tasks(manifests, out_dir, selection=None):
    files = vectors.vector_files()
    codec_impls = [m for m in manifests if m.supports("codec")]
    if not codec_impls:
        return [], []
    if not files:
        return [], ["vector replay: no golden vectors (vectors/*.json) in this tree; "
                    "no vector rows"]
    selection = selection or Selection()
    if selection.scenarios or selection.transports:
        return [], ["vector replay: not run (%s: vector cases have no scenario and run over "
                    "no transport)" % selection.describe()]
    tasks = []
    for m in codec_impls:
        select = None
        if selection.active:
            def select(family, case, m=m):
                return selection.row("vectors/%s/%s/%d-%s" % (m.name, family, case["id"],
                                                              case["name"]))
            if not any(select(doc["family"], case) for doc in vectors.load_all()
                       for case in doc["cases"]):
                continue

        def run(attempt, m=m, select=select):
            rows = vectors.replay(m, out_dir / "vectors" / m.name, case_select=select)
            for r in rows:
                r["kind"] = "vectors"
                r["id"] = "vectors/%s/%s/%s" % (m.name, r["family"], r["name"])
                r["implementations"] = [m.name]
                r["implementation"] = m.name
                r["role"] = "codec"
                r["platform"] = m.platform
            return rows

        def guarded(attempt, m=m, run=run):
            exe = m.codec.command[len(m.launcher)]  # the testee itself, not its launcher
            if os.sep in exe and not Path(exe).exists():
                return [{"id": "vectors/%s" % m.name, "kind": "vectors",
                         "suite": "vectors", "name": m.name, "verdict": "error",
                         "message": "codec testee %s does not exist" % exe,
                         "details": "the manifest's [codec] command names a missing binary",
                         "seconds": 0.0, "requirements": [], "implementations": [m.name],
                         "implementation": m.name, "role": "codec", "platform": m.platform}]
            try:
                return run(attempt)
            except Exception as e:  # noqa: BLE001
                return [{"id": "vectors/%s" % m.name, "kind": "vectors", "suite": "vectors",
                         "name": m.name, "verdict": "error",
                         "message": "replay failed: %s: %s" % (type(e).__name__, e),
                         "details": "", "seconds": 0.0, "requirements": [],
                         "implementations": [m.name], "implementation": m.name,
                         "role": "codec", "platform": m.platform}]
        tasks.append(Task("vectors/%s" % m.name, guarded, weight=5, rerunnable=False))
    return tasks, []


# ---- launcher probe -------------------------------------------------------------------------

def environment_error_row(task_id, m, reason, kind):
    """The row standing for a task that could not run because the launcher or the build of
    `m` is broken: an error of the environment, held against nobody's conformance."""
    launcher = " ".join(m.launcher) or "the platform"
    return {"id": task_id, "kind": kind, "suite": kind, "name": task_id, "verdict": "error",
            "message": "environment: %s could not start %s (%s)" % (launcher, m.name, reason),
            "details": "the launcher probe failed before any case ran; this is not a "
                       "conformance result", "seconds": 0.0, "requirements": [],
            "implementations": [m.name], "implementation": m.name, "platform": m.platform,
            "environment": True}


def guard_environment(tasks, manifests, broken):
    """Replaces every task touching an implementation in `broken` (name -> reason) by one
    that returns an environment error row."""
    by_name = {m.name: m for m in manifests}
    out = []
    for t in tasks:
        parts = t.id.split("/")
        kind = parts[0]
        m = by_name.get(parts[1]) if len(parts) > 1 else None
        if kind == "matrix" or m is None or m.name not in broken:
            out.append(t)  # matrix cells are marked when planned (mark_environment)
            continue
        role = parts[2] if kind == "conformance" and len(parts) > 2 else "codec"

        def run(attempt, t=t, m=m, kind=kind, role=role):
            return [dict(environment_error_row(t.id, m, broken[m.name], kind), role=role)]
        out.append(Task(t.id, run, weight=0, rerunnable=False))
    return out


def revision_row(task_id, m, revision, kind):
    """The row standing for a task of an implementation that does not claim the revision the
    run judges: not applicable, with the reason, never a pass."""
    role = task_id.split("/")[2] if kind == "conformance" and task_id.count("/") >= 2 else "codec"
    return {"id": task_id, "kind": kind, "suite": kind, "name": task_id,
            "verdict": "not-applicable", "message": m.unclaimed_reason(revision),
            "details": "not run: the run judges revision %s (--spec-revision)" % revision,
            "seconds": 0.0, "requirements": [], "implementations": [m.name],
            "implementation": m.name, "platform": m.platform, "role": role}


def guard_revision(tasks, manifests, revision):
    """Replaces every catalogue and vector task of an implementation that does not claim
    `revision` by one that returns a not-applicable row naming the reason."""
    by_name = {m.name: m for m in manifests}
    out = []
    for t in tasks:
        parts = t.id.split("/")
        m = by_name.get(parts[1]) if len(parts) > 1 else None
        if parts[0] == "matrix" or m is None or m.claims(revision):
            out.append(t)  # matrix cells are marked when planned (mark_revision)
            continue

        def run(attempt, t=t, m=m, kind=parts[0]):
            return [revision_row(t.id, m, revision, kind)]
        out.append(Task(t.id, run, weight=0, rerunnable=False))
    return out


def mark_revision(cells, revision):
    """Matrix cells with a side that does not claim `revision` are not applicable."""
    for c in cells:
        bad = [m for m in (c.client, c.server) if not m.claims(revision)]
        if bad and c.verdict != "not-applicable":
            c.verdict = "not-applicable"
            c.message = bad[0].unclaimed_reason(revision)
    return cells


def mark_environment(cells, broken):
    """Matrix cells with a side whose launcher probe failed become environment errors (cells
    that are not applicable anyway keep that verdict)."""
    for c in cells:
        bad = [m for m in (c.server, c.client) if m.name in broken]
        if bad and c.verdict != "not-applicable":
            m = bad[0]
            c.verdict = "error"
            c.environment = True
            c.message = "environment: %s could not start %s (%s)" % (
                " ".join(m.launcher) or "the platform", m.name, broken[m.name])
    return cells


# ---- self-check -----------------------------------------------------------------------------

def self_check_rows():
    """The reference's own CTest labels (unit, property, spec) as one row per label."""
    start = time.monotonic()
    outcome = build.ctest("default", ["-L", "^(unit|property|spec)$"], quiet=True)
    labels = build._labels("default")
    rows = []
    for label, (passed, failed) in sorted(outcome.by_label.items()):
        failures = [f for f in outcome.failed
                    if label in labels.get(f.rsplit(" [", 1)[0], [])]
        rows.append({"id": "self-check/%s" % label, "kind": "self-check",
                     "suite": "self-check", "name": label,
                     "verdict": "fail" if failed else "pass",
                     "message": "%d passed, %d failed" % (passed, failed),
                     "details": "\n".join(failures) if failed else "",
                     "seconds": round(outcome.seconds, 3), "requirements": [],
                     "implementations": [REFERENCE_NAME], "implementation": REFERENCE_NAME})
    if not rows:
        rows.append({"id": "self-check/ctest", "kind": "self-check", "suite": "self-check",
                     "name": "ctest", "verdict": "error",
                     "message": "; ".join(outcome.failed) or "no tests ran",
                     "details": "", "seconds": round(time.monotonic() - start, 3),
                     "requirements": [], "implementations": [REFERENCE_NAME],
                     "implementation": REFERENCE_NAME})
    return rows


# ---- progress -------------------------------------------------------------------------------

class PhaseLine:
    """One line per phase before the tasks run ("cts run: build default 37/58 0:41"): on a
    terminal rewritten in place, otherwise printed at each tenth of the steps and at the
    end, so that a log holds a handful of lines per phase, not one per compiler call."""

    def __init__(self, name, stream=None, mode="auto"):
        self.name = name
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty() if mode == "auto" else mode == "bar"
        self.start = time.monotonic()
        self.shown_tenth = -1

    def _elapsed(self):
        return "%d:%02d" % divmod(int(time.monotonic() - self.start + 0.5), 60)

    def show(self, text):
        if self.tty:
            self.stream.write("\r\033[Kcts run: %s %s" % (self.name, text))
        else:
            self.stream.write("cts run: %s %s\n" % (self.name, text))
        self.stream.flush()

    def step(self, k, n):
        """Step k of n finished (from ninja's counter; a new n starts the count again)."""
        if n != getattr(self, "n", n):
            self.shown_tenth = -1
        self.n = n
        tenth = 10 * k // max(1, n)
        if self.tty or tenth > self.shown_tenth:
            self.shown_tenth = tenth
            self.show("%d/%d %s" % (k, n, self._elapsed()))

    def done(self, what=""):
        text = "done in %s%s" % (self._elapsed(), (": " + what) if what else "")
        if self.tty:
            self.stream.write("\r\033[Kcts run: %s %s\n" % (self.name, text))
        else:
            self.stream.write("cts run: %s %s\n" % (self.name, text))
        self.stream.flush()


class Progress:
    """cells done/total, failures so far and an ETA: one rewritten line on a terminal, plain
    lines otherwise (one per finished task, failures always in full)."""

    def __init__(self, total, stream=None, mode="auto", task_ids=(), jobs=1):
        self.total = total
        self.done = 0
        self.failed = 0
        self.start = time.monotonic()
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty() if mode == "auto" else mode == "bar"
        self._lock = threading.Lock()
        # Kinds differ by orders of magnitude (a catalogue task runs hundreds of cases, a
        # matrix cell one scenario), so the ETA weighs the tasks left by the mean time of
        # their kind so far, not by the mean of every task.
        self.jobs = max(1, jobs)
        self.left = {}
        for task_id in task_ids:
            self.left[_kind(task_id)] = self.left.get(_kind(task_id), 0) + 1
        self.spent = {}   # kind -> (finished tasks, their summed row seconds)

    def _eta(self):
        if not self.done:
            return "?"
        left = (time.monotonic() - self.start) / self.done * (self.total - self.done)
        if self.left and self.spent:
            n_all = sum(n for n, _ in self.spent.values())
            mean_all = sum(t for _, t in self.spent.values()) / max(1, n_all)
            work = sum(count * (self.spent[k][1] / self.spent[k][0] if k in self.spent
                                else mean_all)
                       for k, count in self.left.items())
            if work > 0:
                left = work / self.jobs
        return "%d:%02d" % divmod(int(left + 0.5), 60)

    def finished(self, task_id, rows, seconds=None):
        """Counts a finished task; `seconds` is its wall time (default: its rows' seconds)."""
        with self._lock:
            kind = _kind(task_id)
            if self.left.get(kind):
                self.left[kind] -= 1
            if seconds is None:
                seconds = sum(float(r.get("seconds") or 0) for r in rows)
            n, spent = self.spent.get(kind, (0, 0.0))
            self.spent[kind] = (n + 1, spent + seconds)
            self.done += 1
            bad = [r for r in rows if expected.outcome(r) == "fail"]
            self.failed += bool(bad)
            status = "[%*d/%d] %d failed, ETA %s" % (len(str(self.total)), self.done,
                                                      self.total, self.failed, self._eta())
            if self.tty:
                for r in bad:
                    self.stream.write("\r\033[KFAIL %s: %s\n" % (
                        r["id"], textsafe.visible(textsafe.clip(r["message"], 300, 0), True)))
                self.stream.write("\r\033[K%s  %s" % (status, task_id[-60:]))
                if self.done == self.total:
                    self.stream.write("\n")
            else:
                verdict = _task_verdict(rows)
                self.stream.write("%s %-5s %s%s\n" % (status, verdict.upper(), task_id,
                                                      "" if not bad else ": " +
                                                      textsafe.visible(textsafe.clip(
                                                          bad[0]["message"], 300, 0), True)))
            self.stream.flush()


def _kind(task_id):
    """The kind of a task, from its id: matrix, conformance, vectors, ..."""
    return task_id.split("/", 1)[0]


def _task_verdict(rows):
    outcomes = [expected.outcome(r) for r in rows]
    for o in ("fail", "xpass", "xfail", "pass"):
        if o in outcomes:
            return o
    return rows[0]["verdict"] if rows else "none"


# ---- attribution ----------------------------------------------------------------------------

def attribute(rows):
    """Who a failing row is held against (`blame`). A matrix cell between two different
    implementations names the side at fault when the failure is server hygiene, or when the
    other side is the bundled reference and the reference passed the same cell against
    itself; otherwise both sides."""
    oracle = {(r["scenario"], r["profile"]): r["verdict"] for r in rows
              if r.get("kind") == "matrix" and r.get("client") == REFERENCE_NAME
              and r.get("server") == REFERENCE_NAME}
    for r in rows:
        if r["verdict"] not in expected.FAILING or r.get("environment"):
            r["blame"] = []
            continue
        if r.get("kind") != "matrix":
            r["blame"] = list(r.get("implementations", []))
            continue
        if r.get("environment"):
            r["blame"] = []
            continue
        c, s = r["client"], r["server"]
        if c == s:
            r["blame"] = [c]
        elif r.get("fault") == "server":
            r["blame"] = [s]
        elif oracle.get((r["scenario"], r["profile"])) == "pass" and REFERENCE_NAME in (c, s):
            r["blame"] = [s if c == REFERENCE_NAME else c]
        else:
            r["blame"] = [c, s]
    return rows


# ---- the run --------------------------------------------------------------------------------

def parse_shard(text):
    m = re.fullmatch(r"(\d+)/(\d+)", text or "1/1")
    if not m:
        raise argparse.ArgumentTypeError("--shard wants K/N, e.g. 2/4")
    k, n = int(m.group(1)), int(m.group(2))
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError("--shard K/N needs 1 <= K <= N")
    return k, n


def parse_jobs(text):
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("--jobs wants a whole number, got %r" % text) from None
    if jobs < 1:
        raise argparse.ArgumentTypeError("--jobs needs at least 1, got %d" % jobs)
    return jobs


def parse_regex(text):
    try:
        re.compile(text)
    except re.error as e:
        raise argparse.ArgumentTypeError("not a regular expression: %r (%s)" % (text, e)) from None
    return text


def load_manifests(paths_):
    manifests, seen = [], set()
    for p in paths_ or [REFERENCE_MANIFEST]:
        m = manifest_mod.load(p)
        if m.name in seen:
            raise manifest_mod.ManifestError("two manifests are named %r" % m.name)
        seen.add(m.name)
        manifests.append(m)
    return manifests


def build_presets(manifests, self_check=False):
    """What `./cts run` builds first, as (preset, targets) in a stable order (None: the whole
    preset): the test peer of each platform with a server or client; for each manifest whose
    commands name {build_dir}, the programs they run (the default preset by their file names,
    which ninja builds whatever the target is called; other presets by target name); the
    whole default preset only for the self-check (it needs every test) or a manifest naming
    {build_dir} outside its commands."""
    wanted = {}

    def want(preset, targets):
        if wanted.get(preset, []) is None:
            return
        if targets is None:
            wanted[preset] = None
        else:
            wanted[preset] = wanted.get(preset, []) + [t for t in targets
                                                       if t not in wanted.get(preset, [])]

    for m in manifests:
        if m.server is not None or m.client is not None:
            # Conformance drives a server or client through the test peer of its platform,
            # which comes from the platform's preset even when the IUT does not.
            windows = manifest_mod.PLATFORMS.get(m.platform, "posix") == "windows"
            want(m.build if windows else "default", ["nipc-peer"])
        if not m.uses_build_dir:
            continue
        targets = m.build_outputs() if m.build == "default" else m.build_targets()
        want(m.build, targets or None)
    if self_check:
        wanted["default"] = None
    return sorted(wanted.items(), key=lambda kv: (kv[0] != "default", kv[0]))


def execute(tasks, jobs, progress, diagnose=0, results=None, not_run=None):
    """Runs tasks `jobs` at a time; returns rows in task order. Ctrl-C (KeyboardInterrupt)
    stops every child and propagates after cleanup; `results` (task id -> rows) then holds
    what finished before the stop, `not_run` (a list) the ids of tasks that did not (a
    catalogue task that was cut short keeps its finished cases in `results` and names its
    unrun cases in `not_run`)."""
    results = {} if results is None else results
    not_run = [] if not_run is None else not_run
    pool = futures.ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="cell")
    pending = {}
    try:
        pending = {pool.submit(_guard, t, ""): t for t in tasks}
        while pending:
            done, _ = futures.wait(list(pending), timeout=0.2,
                                   return_when=futures.FIRST_COMPLETED)
            for f in done:
                t = pending.pop(f)
                _collect(f, t, results, not_run)
                if t.id in results:
                    progress.finished(t.id, results[t.id], t.wall_seconds)
    except BaseException:
        procs.stop_all(grace=0.0)
        pool.shutdown(wait=False, cancel_futures=True)
        # Tasks still running end quickly once their processes are gone; what has not ended
        # within the stop budget is abandoned (its rows would not be trusted anyway).
        # (A cancelled future never counts as done for futures.wait: only running ones.)
        futures.wait([f for f in pending if not f.cancelled()], timeout=STOP_BUDGET / 2)
        for f, t in pending.items():
            _collect(f, t, results, not_run)
        raise
    pool.shutdown(wait=True)
    rows = [r for t in tasks for r in results.get(t.id, [])]
    if diagnose:
        by_id = {t.id: t for t in tasks}
        for r in rows:
            if r["verdict"] not in expected.FAILING:
                continue
            task = by_id.get(r["id"])
            if task is None or not task.rerunnable:
                continue
            r["diagnosis"] = []
            for n in range(1, diagnose + 1):
                again = _guard(task, "rerun-%d" % n)
                rr = again[0] if again else {"verdict": "error", "message": "no result"}
                r["diagnosis"].append({
                    "attempt": n, "verdict": rr["verdict"], "message": rr.get("message", ""),
                    "details": rr.get("details", ""), "seconds": rr.get("seconds", 0.0),
                    "evidence": rr.get("evidence")})
                print("diagnose: %s rerun %d alone: %s %s" % (
                    r["id"], n, rr["verdict"].upper(), textsafe.visible(rr.get("message", ""),
                                                                         True)), flush=True)
    return rows


def _collect(future, task, results, not_run):
    """Files a finished task's rows in `results`, or its id (or, for a task cut short, the
    ids of what it did not run) in `not_run`."""
    if not future.done() or future.cancelled():
        not_run.append(task.id)
        return
    error = future.exception()
    if error is None:
        results[task.id] = future.result()
    elif isinstance(error, procs.Interrupted):
        if error.rows:
            results[task.id] = error.rows
        not_run.extend(error.not_run or [task.id])
    else:
        raise error


def _guard(task, attempt):
    """Runs a task; a task that ends after the stop began did not finish (its processes were
    killed under it): it raises procs.Interrupted instead of returning rows."""
    start = time.monotonic()
    if procs.stopping():
        raise procs.Interrupted("run is stopping")
    try:
        rows = task.run(attempt)
    except procs.Interrupted:
        raise
    except Exception as e:  # noqa: BLE001 - a broken task is an error row, not a dead run
        rows = [{"id": task.id, "kind": task.id.split("/")[0],
                 "suite": task.id.split("/")[0], "name": task.id, "verdict": "error",
                 "message": "runner: %s: %s" % (type(e).__name__, e), "details": "",
                 "seconds": round(time.monotonic() - start, 3), "requirements": [],
                 "implementations": []}]
    if procs.stopping():
        raise procs.Interrupted("run is stopping")
    # Its rows' own seconds leave out process start and stop; the progress ETA wants both.
    task.wall_seconds = time.monotonic() - start
    return rows


# ---- the report directory -------------------------------------------------------------------

# Written into every report directory: `--out` empties only a directory holding it, and then
# only of the entries it lists (what this suite wrote there).
REPORT_MARKER = ".netipc-cts-report"
REPORT_ENTRIES = ("report.json", "junit.xml", "summary.md", "index.html", "failures", "cells",
                  "conformance", "vectors", repro.BUNDLES, REPORT_MARKER,
                  "requirements.html", "cases.html")


class OutDirError(Exception):
    """`--out` names a directory the suite must not write its report into."""


def check_out_dir(out_dir: Path) -> Path:
    """The absolute report directory for `--out`, or OutDirError when using it could touch
    files the suite did not create: the working directory or one above it, the checkout or
    one above it, a file, or a non-empty directory that is not a report of ours."""
    target = Path(os.path.abspath(out_dir))
    cwd = Path(os.getcwd())
    for guarded, what in ((cwd, "the working directory"), (paths.ROOT.resolve(),
                                                           "the netipc-cts checkout"),
                          (Path.home(), "your home directory")):
        if target == guarded or target in guarded.parents or \
                target.resolve() == guarded.resolve():
            raise OutDirError("--out %s is %s or contains it; the report needs a directory "
                              "of its own (e.g. --out %s)" % (out_dir, what,
                                                              os.path.join(str(out_dir),
                                                                           "cts-report")))
    if target.exists() and not target.is_dir():
        raise OutDirError("--out %s is not a directory" % out_dir)
    if target.is_dir() and any(target.iterdir()) and not (target / REPORT_MARKER).is_file():
        raise OutDirError("--out %s is not empty and holds no earlier netipc-cts report "
                          "(no %s); name a new or empty directory" % (out_dir, REPORT_MARKER))
    return target


def prepare_out_dir(out_dir: Path):
    """Makes `out_dir` (checked by check_out_dir) ready for a new report: removes what an
    earlier report of ours left there (only the entries the suite writes; anything else is
    kept) and writes the marker."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if (out_dir / REPORT_MARKER).is_file():
        for name in REPORT_ENTRIES:
            entry = out_dir / name
            if entry.is_symlink() or entry.is_file():
                entry.unlink()
            elif entry.is_dir():
                shutil.rmtree(entry)
    (out_dir / REPORT_MARKER).write_text(
        "This directory holds a netipc-cts report. `./cts run --out` replaces only these "
        "entries in it:\n" + "\n".join(REPORT_ENTRIES) + "\n")


# ---- the run --------------------------------------------------------------------------------

# From the stop signal to a finished report: the interrupt contract (README).
STOP_BUDGET = 2.0


class Stop:
    """The run's reaction to SIGINT, SIGTERM and SIGHUP, in every phase. The first signal
    marks the run as stopping (no new process starts), kills every process below the runner
    at once (the implementations, the build, CTest, the peers; a launcher's shared
    infrastructure excepted) and raises KeyboardInterrupt in the main thread; later signals
    are ignored so the report gets written. Once the tasks are over (`armed` False) a signal
    still stops every process but no longer interrupts the report being written."""

    def __init__(self):
        self.at = None  # monotonic time of the first signal
        self.armed = True

    def __call__(self):
        if self.at is not None:
            return
        self.at = time.monotonic()
        procs.request_stop()
        kill_below()
        if self.armed:
            raise KeyboardInterrupt


def kill_below():
    """Kills every process below this one, except a launcher's shared infrastructure."""
    pids = [p for p in host.descendants(os.getpid()) if not host.launcher_infrastructure(p)]
    host.kill_pids(pids)
    return pids


def cmd_run(args) -> int:
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    host.limit_core_dumps()
    # A child subreaper from the start: whatever any phase starts (a compiler under ninja, a
    # daemon of an implementation) stays below the runner, where the stop and the end of the
    # run find it.
    host.become_subreaper()
    stop = Stop()
    restore = host.install_stop_signals(stop, with_sigint=True)
    try:
        return _run(args, started, t0, stop)
    finally:
        restore()


def _run(args, started, t0, stop) -> int:
    impl, shim_notes = _impl_sources(args)
    try:
        manifests = load_manifests(impl)
        lists = expected.load([m.name for m in manifests],
                              Path(args.expected_dir) if args.expected_dir else None)
        out_dir = check_out_dir(Path(args.out) if args.out else history.new_run_dir(started))
    except (manifest_mod.ManifestError, expected.ExpectedListError, OutDirError) as e:
        print("cts run: %s" % e, file=sys.stderr)
        return EXIT_SETUP
    today = datetime.date.today()
    if args.strict:
        refused = expected.refused(lists, today)
        for entry, flags in refused:
            print("cts run: --strict refuses %s (%s): %s" % (entry.source, entry.pattern,
                                                              ", ".join(flags)), file=sys.stderr)
        if refused:
            print("cts run: --strict needs every expected-failure entry of the run's "
                  "implementations to have a reason, a link= and an unexpired expires= "
                  "(interop/expected/README.md; ./cts expectations check)", file=sys.stderr)
            return EXIT_SETUP
    for m in manifests:
        m.run_revision = args.spec_revision
    unclaimed = [m for m in manifests if not m.claims(args.spec_revision)]
    names = [m.name for m in manifests]
    has_reference = REFERENCE_NAME in names
    notes = list(shim_notes)
    notes += ["revision %s: %s" % (args.spec_revision, m.unclaimed_reason(args.spec_revision))
              + "; its rows are not applicable" for m in unclaimed]
    if has_reference and not args.self_check:
        notes.append("reference self-check: not part of this run (`./cts test` runs the "
                     "reference's unit, property and spec tests; `./cts run --self-check` "
                     "adds them as rows)")
    rows = []
    finished, not_run = {}, []
    phase = "start"
    run_base = None
    interrupted = False
    # The plan as it will run (computed again after the probes), so an interrupt in any
    # phase can name every task that did not run.
    tasks, _ = plan_tasks(manifests, args, Path(os.devnull), out_dir, {}, cheap=True)
    selection = selection_of(args)
    self_check = args.self_check and has_reference and args.shard == (1, 1) and \
        not selection.active
    try:
        presets = build_presets(manifests, self_check) if args.build else []
        if not check_programs(manifests, skip_build_tree=bool(presets)):
            return EXIT_SETUP
        if presets:
            phase = "build"
            line = PhaseLine("setup", mode=args.progress)
            if not deps.ensure_for_build():
                return EXIT_SETUP
            if any(p == "windows" for p, _ in presets) and \
                    not deps.windows_available(install=True):
                return EXIT_SETUP
            line.done("packages present")
            for preset, targets in presets:
                line = PhaseLine("build %s" % preset, mode=args.progress)
                if not build.configure_and_build_quietly(preset, targets, line.step):
                    print("cts run: the build of preset '%s' failed" % preset, file=sys.stderr)
                    return EXIT_FAILED
                line.done("%s" % ("every target" if targets is None else
                                  ", ".join(t.rsplit("/", 1)[-1] for t in targets)))
            if not check_programs(manifests):
                return EXIT_SETUP
        if selection.active:
            why = selects_nothing(manifests, args, out_dir, selection)
            if why:
                print("cts run: %s" % why, file=sys.stderr)
                return EXIT_SETUP

        if self_check:
            phase = "self-check"
            line = PhaseLine("self-check", mode=args.progress)
            line.show("CTest labels unit, property, spec")
            rows += self_check_rows()
            line.done(", ".join("%s %s" % (r["name"], r["message"]) for r in rows))

        phase = "probe"
        prepare_out_dir(out_dir)
        if any(m.launcher for m in manifests):
            procs.quiet_wine()
        broken = {}
        for m in manifests:
            if m.launcher and not m.probe:
                notes.append("%s runs under %s without a probe: a broken launcher would show "
                             "as failures (interop/README.md, probe)"
                             % (m.name, " ".join(m.launcher)))
            if m.probe:
                t = time.monotonic()
                why = probe(m)
                print("cts run: probe %s under %s: %s (%.1f s)" % (
                    m.name, " ".join(m.launcher) or "no launcher", why or "ok",
                    time.monotonic() - t), flush=True)
                if why:
                    broken[m.name] = why
                    notes.append("environment: %s could not start %s: %s; its rows are "
                                 "environment errors, not conformance results"
                                 % (" ".join(m.launcher) or "the platform", m.name, why))
        run_base = host.run_base()
        tasks, more_notes = plan_tasks(manifests, args, run_base, out_dir, broken)
        notes += more_notes
        k, n = args.shard
        print("cts run: %d implementations (%s), %d tasks (%d matrix cells)%s, %d jobs" % (
            len(manifests), ", ".join(names), len(tasks),
            sum(t.id.startswith("matrix/") for t in tasks),
            "" if (k, n) == (1, 1) else ", shard %d/%d" % (k, n), args.jobs), flush=True)
        phase = "tasks"
        progress = Progress(len(tasks), mode=args.progress, task_ids=[t.id for t in tasks],
                            jobs=args.jobs)
        rows += execute(tasks, args.jobs, progress, diagnose=args.diagnose, results=finished,
                        not_run=not_run)
    except KeyboardInterrupt:
        interrupted = True
        if stop.at is None:  # an interrupt that did not come through Stop (tests, ^C races)
            stop.at = time.monotonic()
            procs.request_stop()
            kill_below()
        if phase == "tasks":
            rows += [r for t in tasks for r in finished.get(t.id, [])]
        elif self_check and phase in ("start", "build", "self-check"):
            not_run.append("self-check")
        print("\ncts run: interrupted during the %s phase; stopping every process"
              % phase, file=sys.stderr, flush=True)
    finally:
        stop.armed = False
        procs.stop_all(grace=0.0 if interrupted else 0.5)
        strays = kill_below()
        if strays:
            host.wait_gone(strays, 1.0)
        host.reap_strays(set())
        if run_base is not None:
            shutil.rmtree(run_base, ignore_errors=True)

    attribute(rows)
    for r in rows:
        # Every verdict says against which revision it was reached.
        r["spec_revision"] = args.spec_revision
    expected.apply(rows, lists, today)
    if interrupted:
        done = set(finished) | {r["id"] for r in rows}
        not_run = sorted(set(not_run) | {t.id for t in tasks if t.id not in done})
        notes.append("interrupted during the %s phase: %d tasks or catalogue cases did not "
                     "run (summary.not_run)"
                     % (phase, len(not_run)))
    bundles = write_repro_bundles(rows, manifests, out_dir, args, interrupted, notes)
    if args.shard == (1, 1) and not selection.active and not interrupted:
        for e in expected.stale(lists):
            notes.append("expected-failure entry %s (%s) matched no case: remove it?"
                         % (e.source, e.pattern))
    doc = report.document(rows=rows, manifests=manifests, lists=lists, notes=notes,
                          started=started, seconds=time.monotonic() - t0, args=args,
                          interrupted=interrupted)
    judged = [r for r in rows if not r.get("environment")]
    exit_code = EXIT_INTERRUPTED if interrupted else (
        EXIT_FAILED if expected.run_failed(judged, args.strict) or not rows else EXIT_OK)
    if exit_code == EXIT_OK and len(judged) != len(rows):
        exit_code = EXIT_SETUP  # nothing failed, but an implementation could not be tested
    doc["summary"]["exit_code"] = exit_code
    doc["summary"]["not_run"] = list(not_run)
    doc["summary"]["repro"] = bundles
    if not (out_dir / REPORT_MARKER).exists():  # interrupted before the probes
        prepare_out_dir(out_dir)
    report.write_all(out_dir, doc)
    if not args.out:
        why = history.point_latest(out_dir)
        if why:
            notes.append(why)
            print("cts run: %s" % why, file=sys.stderr)
    report.print_summary(doc, out_dir)
    if bundles["written"]:
        print("repro bundles: %d under %s (`./cts repro %s` runs one again)%s" % (
            bundles["written"], out_dir / repro.BUNDLES, out_dir / repro.BUNDLES / "<id>",
            "; %d failing rows have none" % bundles["not_written"]
            if bundles["not_written"] else ""), flush=True)
    if interrupted:
        print("cts run: stopped %.2f s after the signal" % (time.monotonic() - stop.at),
              file=sys.stderr, flush=True)
        _exit_now_if_stuck(exit_code)
    return exit_code


def write_repro_bundles(rows, manifests, out_dir, args, interrupted, notes):
    """A repro bundle per failing row (repro.write_bundles), unless the run was interrupted
    (the report must be out within the stop budget) or --repro-max 0. Returns the summary."""
    limit = getattr(args, "repro_max", repro.DEFAULT_MAX_BUNDLES)
    if interrupted or limit <= 0:
        failing = len(repro.bundle_order(rows))
        if failing:
            notes.append("repro bundles: none written (%s)" % (
                "the run was interrupted" if interrupted else "--repro-max 0"))
        return {"written": 0, "not_written": failing, "limit": max(0, limit), "errors": []}
    summary, more = repro.write_bundles(rows, manifests, out_dir, limit, capture=args.capture)
    notes += more
    return summary


def _impl_sources(args):
    """The manifests to run: --impl (default the reference), plus the shims built from each
    --impl-source checkout (with the reference unless --impl names others)."""
    sources = getattr(args, "impl_source", None)
    if not sources:
        return args.impl, []
    from . import shims
    built, notes = shims.manifests_from_sources(
        sources, shims.parse_languages(args.shim_lang), tuple(args.shim_platform or ["linux"]))
    return list(args.impl or [REFERENCE_MANIFEST]) + built, notes



def check_programs(manifests, skip_build_tree=False) -> bool:
    """Prints every program the manifests name that cannot be started (missing_programs)
    and returns False when there is one: the run stops before any work."""
    problems = missing_programs(manifests, skip_build_tree)
    for line in problems:
        print("cts run: %s" % line, file=sys.stderr)
    if problems:
        print("cts run: nothing ran: fix the manifest or build the program (a manifest whose "
              "commands name {build_dir} is built by `./cts run` unless --no-build)",
              file=sys.stderr)
    return not problems


def selects_nothing(manifests, args, out_dir, selection) -> str:
    """Why the filters select no row at all (naming the filter that selects nothing by
    itself, or saying that they do so together), or "" when something is selected."""
    if plan_tasks(manifests, args, Path(os.devnull), out_dir, {}, sharded=False)[0]:
        return ""
    alone = [name for name, sel in selection.alone()
             if not plan_tasks(manifests, args, Path(os.devnull), out_dir, {}, sharded=False,
                               selection=sel)[0]]
    ids = ("row ids are matrix/<client>/<server>/<profile>/<scenario>, "
           "conformance/<implementation>/<role>/<profile>/<case> and "
           "vectors/<implementation>/<family>/<case>")
    if alone:
        return "%s selects nothing in this run (%s)" % (" and ".join(alone), ids)
    return "%s select something each but nothing together (%s)" % (selection.describe(), ids)


def plan_tasks(manifests, args, run_base, out_dir, broken, cheap=False, sharded=True,
               selection=None):
    """The run's tasks in order (matrix cells, catalogue runs, vector replays) after the
    filters (`selection`, default the command line's) and --shard, and the notes planning
    produced. Nothing is started but, unless `cheap`, the peer's catalogue listing (to
    drop a catalogue task the filters leave empty)."""
    ctx = matrix.CellContext(run_base=run_base, out_dir=out_dir, capture=args.capture)
    selection = selection or selection_of(args)
    revision = getattr(args, "spec_revision", revisions.DEFAULT)
    cells = [c for c in mark_environment(mark_revision(matrix.plan(manifests), revision), broken)
             if selection.row(c.id, profile=c.profile_name, scenario=c.scenario.id)]
    tasks = [Task(c.id, (lambda attempt, c=c, i=i: [matrix.run_cell(
        c, i, matrix.CellContext(run_base, out_dir, args.capture, attempt))]),
        rerunnable=True) for i, c in enumerate(cells)]
    more, n1 = conformance_tasks(manifests, ctx, selection, cheap, revision) if args.conformance else ([], [
        "conformance catalogue: skipped (--no-conformance)"])
    vt, n2 = vector_tasks(manifests, out_dir, selection)
    tasks += more + vt
    tasks = guard_revision(tasks, manifests, revision)
    if broken:
        tasks = guard_environment(tasks, manifests, broken)
    k, n = args.shard if sharded else (1, 1)
    return matrix.shard(tasks, k, n, key=lambda t: t.id), n1 + n2


def _exit_now_if_stuck(code):
    """After an interrupt the report is written; a task thread that did not end within the
    stop budget must not hold the process open (the interpreter joins pool threads at
    exit), so the process ends here."""
    import threading as _threading
    if any(t.is_alive() and t is not _threading.main_thread()
           for t in _threading.enumerate() if not t.daemon):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def add_arguments(p):
    p.add_argument("--impl", action="append", metavar="MANIFEST",
                   help="implementation manifest (repeatable; default interop/reference.toml)")
    p.add_argument("--impl-source", action="append", metavar="DIR",
                   help="a checkout of an existing implementation (netdata/plugin-ipc): build "
                        "its shims (./cts shims build) and run them with the reference "
                        "(repeatable: one checkout per revision)")
    p.add_argument("--shim-lang", metavar="LIST",
                   help="with --impl-source: comma-separated languages (default c,rust,go)")
    p.add_argument("--shim-platform", action="append", choices=("linux", "windows"),
                   help="with --impl-source: linux (default) and/or windows (under wine)")
    p.add_argument("--spec-revision", type=revisions.argparse_type, default=revisions.DEFAULT,
                   metavar="|".join(revisions.REVISIONS),
                   help="the protocol revision to judge (default %s): requirements and cases "
                   "of other revisions do not apply, and implementations whose manifest does "
                   "not claim it get not-applicable rows" % revisions.DEFAULT)
    p.add_argument("--jobs", "-j", type=parse_jobs, default=max(1, min(4, os.cpu_count() or 1)),
                   help="cells run in parallel (default: CPUs, at most 4)")
    p.add_argument("--shard", type=parse_shard, default=(1, 1), metavar="K/N",
                   help="run only the K-th of N deterministic slices of the matrix")
    p.add_argument("--strict", action="store_true",
                   help="expected failures and unexpected passes also fail the run, and "
                   "expected-failure entries without link=, without expires=, expired or "
                   "with a placeholder reason are refused")
    p.add_argument("--diagnose", type=int, nargs="?", const=1, default=0, metavar="N",
                   help="rerun each failed cell N times alone (default 1) and report the "
                        "reruns beside the first failure")
    p.add_argument("--out", metavar="DIR",
                   help="report directory (default: a new out/runs/<UTC time>/, with "
                        "out/report pointing at the latest)")
    p.add_argument("--only", metavar="REGEX", type=parse_regex,
                   help="only rows whose id matches: matrix cells, catalogue cases "
                        "(conformance/<impl>/<role>/<profile>/<case>) and vector cases alike; "
                        "filters that select nothing are an error (exit 2)")
    p.add_argument("--repro-max", type=int, default=repro.DEFAULT_MAX_BUNDLES, metavar="N",
                   help="write a repro bundle (<out>/repro/<id>/) for at most N failing rows "
                        "(default %d; 0: none)" % repro.DEFAULT_MAX_BUNDLES)
    p.add_argument("--scenario", action="append", choices=sorted(matrix.SCENARIO_BY_ID),
                   help="only matrix cells of this scenario (repeatable; catalogue and vector "
                        "cases have no scenario, so they do not run)")
    p.add_argument("--transport", action="append", choices=TRANSPORTS,
                   help="only matrix cells and catalogue cases over this profile (repeatable; "
                        "vector cases run over no transport, so they do not run)")
    p.add_argument("--expected-dir", metavar="DIR",
                   help="expected-failure lists (default interop/expected)")
    p.add_argument("--progress", choices=("auto", "bar", "lines"), default="auto",
                   help="progress display (auto: a bar on a terminal)")
    p.add_argument("--no-build", dest="build", action="store_false",
                   help="do not configure and build first")
    p.add_argument("--self-check", dest="self_check", action="store_true", default=False,
                   help="also build every test of the default preset and run the reference's "
                        "unit, property and spec tests (one row per label; `./cts test` runs "
                        "them anyway)")
    p.add_argument("--no-self-check", dest="self_check", action="store_false",
                   help="no reference self-check (the default)")
    p.add_argument("--no-conformance", dest="conformance", action="store_false",
                   help="skip the conformance catalogue (matrix and vector replay only)")
    p.add_argument("--no-capture", dest="capture", action="store_false",
                   help="connect clients to servers directly (no recording relay)")
    p.set_defaults(func=cmd_run)

