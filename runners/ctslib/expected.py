"""Expected-failure lists (interop/expected/<implementation>.txt).

One entry per line: a case id (or a glob over case ids, `*` and `?`), whitespace, optionally
the requirement ID the implementation deviates from, and the reason, which is required. `#`
starts a comment. A row matches the lists of every implementation it involves. An expected
failure is reported as such; a listed case that passes is an unexpected pass; `--strict` makes
either fail the run.
"""
import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

from . import paths

EXPECTED_DIR = paths.ROOT / "interop" / "expected"
FAILING = ("fail", "error")
REQUIREMENT_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-\d{3}$")


class ExpectedListError(ValueError):
    pass


@dataclass
class Entry:
    pattern: str
    reason: str
    source: str     # file:line
    used: int = 0
    requirement: str = ""  # the requirement the implementation deviates from, when named

    @property
    def text(self) -> str:
        """The reason as reports show it: the requirement first, when the entry names one."""
        return "%s: %s" % (self.requirement, self.reason) if self.requirement else self.reason

    def matches(self, case_id: str) -> bool:
        return fnmatch.fnmatchcase(case_id, self.pattern)


def parse(text: str, source: str):
    entries = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = re.split(r"\s+", line, maxsplit=1)
        if len(parts) < 2 or not parts[1].strip():
            raise ExpectedListError("%s:%d: %r needs a reason after the case id" % (
                source, n, parts[0]))
        reason, requirement = parts[1].strip(), ""
        first = reason.split(None, 1)
        if REQUIREMENT_RE.match(first[0]):
            if len(first) < 2:
                raise ExpectedListError("%s:%d: %r names requirement %s but gives no reason"
                                        % (source, n, parts[0], first[0]))
            requirement, reason = first[0], first[1].strip()
        entries.append(Entry(parts[0], reason, "%s:%d" % (source, n), requirement=requirement))
    return entries


def load(names, directory: Path = None):
    """implementation name -> entries, for the names that have a list."""
    directory = directory or EXPECTED_DIR
    lists = {}
    for name in names:
        path = directory / (name + ".txt")
        if path.exists():
            lists[name] = parse(path.read_text(), str(path))
    return lists


def apply(rows, lists):
    """Marks rows: `expectation` is "expected-failure" (listed and failing) or
    "unexpected-pass" (listed and passing), with `expected_reason` and `expected_source`."""
    for row in rows:
        for name in row.get("implementations", []):
            for entry in lists.get(name, []):
                if entry.matches(row["id"]):
                    entry.used += 1
                    row["expected_reason"] = entry.text
                    if entry.requirement:
                        row["expected_requirement"] = entry.requirement
                    row["expected_source"] = entry.source
                    if row["verdict"] in FAILING:
                        row["expectation"] = "expected-failure"
                    elif row["verdict"] == "pass":
                        row["expectation"] = "unexpected-pass"
                    break
            if "expected_reason" in row:
                break
    return rows


def stale(lists):
    """Entries that matched no case of the run: candidates for removal."""
    return [e for entries in lists.values() for e in entries if not e.used]


def outcome(row) -> str:
    """pass | fail | xfail | xpass | skip: how a row counts towards the run's verdict."""
    exp = row.get("expectation")
    if exp == "expected-failure":
        return "xfail"
    if exp == "unexpected-pass":
        return "xpass"
    if row["verdict"] in FAILING:
        return "fail"
    if row["verdict"] == "pass":
        return "pass"
    return "skip"


def run_failed(rows, strict: bool) -> bool:
    outcomes = {outcome(r) for r in rows}
    if "fail" in outcomes:
        return True
    return strict and bool(outcomes & {"xfail", "xpass"})
