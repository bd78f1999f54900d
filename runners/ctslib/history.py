"""Run history: every `./cts run` without --out writes its report into a directory of its own,
out/runs/<UTC start time>/, and out/report is a symbolic link to the latest one. Earlier runs
stay, so `./cts report --compare` can compare the last two without being told where they
are."""
import os
from pathlib import Path

from . import paths

RUNS = paths.OUT / "runs"
LATEST = paths.OUT / "report"
REPORT = "report.json"
# What an older netipc-cts left at out/report (a directory, not a link) moves here, once.
LEGACY = "0-before-history"  # sorts before every timestamp


def new_run_dir(started, runs: Path = None) -> Path:
    """A directory name under `runs` (default out/runs) for a run started at `started` (UTC
    datetime): 20261206T044500Z, with -2, -3, ... when that second is taken. Not created."""
    runs = runs or RUNS
    base = started.strftime("%Y%m%dT%H%M%SZ")
    candidate, n = runs / base, 1
    while candidate.exists():
        n += 1
        candidate = runs / ("%s-%d" % (base, n))
    return candidate


def point_latest(run_dir: Path, latest: Path = None) -> str:
    """Points `latest` (default out/report) at `run_dir`, replacing an older link atomically.
    An out/report directory an older version wrote (it holds a report marker) moves into the
    history first; anything else there is left alone. Returns "" on success, else why the
    link was not made (the report itself is written either way)."""
    latest = latest or LATEST
    target = os.path.relpath(run_dir, latest.parent)
    if latest.exists() and not latest.is_symlink():
        if not (latest / ".netipc-cts-report").is_file():
            return ("%s is not a link and holds no netipc-cts report; left alone, so it does "
                    "not point at this run (%s)" % (latest, run_dir))
        legacy = new_run_dir_named(run_dir.parent, LEGACY)
        os.replace(latest, legacy)
    tmp = latest.with_name(latest.name + ".new-link")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, latest)
    return ""


def new_run_dir_named(runs: Path, name: str) -> Path:
    candidate, n = runs / name, 1
    while candidate.exists():
        n += 1
        candidate = runs / ("%s-%d" % (name, n))
    return candidate


def runs_with_reports(runs: Path = None):
    """The run directories under `runs` (default out/runs) holding a report.json, oldest
    first (their names sort by start time)."""
    runs = runs or RUNS
    if not runs.is_dir():
        return []
    return sorted(d for d in runs.iterdir() if d.is_dir() and (d / REPORT).is_file())


def last_two(runs: Path = None):
    """The report.json files of the two latest runs (older first), or None when there are
    fewer than two."""
    found = runs_with_reports(runs)
    if len(found) < 2:
        return None
    return found[-2] / REPORT, found[-1] / REPORT
