"""Expected-failure lists (interop/expected/<implementation>.txt).

One entry per line:

    <case id glob>  [REQUIREMENT-ID[:]]  <reason>  [link=<url or "text">]  [expires=YYYY-MM-DD]

The glob uses `*` and `?`; the requirement (optional) is the one the implementation deviates
from; the reason is required and is one line. The trailing `key=value` tokens are optional and
may come in any order; a value with spaces is written in double quotes. An unknown key is an
error, so a reason must not end in `word=value`. `#` starts a comment at the start of a line
or after whitespace (a URL's `#fragment` is kept).

A row matches the lists of every implementation it involves; the first matching entry of a
list decides. A listed row that fails is an expected failure, a listed row that passes an
unexpected pass. An entry past its expiry date (the day after `expires`) no longer excuses a
failure: the row counts as a plain failure and says which entry expired. An entry without a
link or an expiry, or with the placeholder reason `./cts expectations update` writes, is
accepted but flagged; `--strict` refuses it.
"""
import datetime
import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import paths

EXPECTED_DIR = paths.ROOT / "interop" / "expected"
FAILING = ("fail", "error")
REQUIREMENT_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-\d{3}$")
KEYS = ("link", "expires")
# A trailing `key=value` token: a lowercase word, `=`, then a double-quoted string or a run of
# non-space characters.
TRAILING_RE = re.compile(r'(?:^|\s)([a-z][a-z0-9_-]*)=("[^"]*"|[^\s"]+)\s*$')
# What `./cts expectations update` writes as the reason of an entry it adds. Any reason that
# starts with "TODO" counts as a placeholder: it says nothing yet about why the case fails.
PLACEHOLDER_REASON = "TODO: say why this fails"
PLACEHOLDER_PREFIX = "TODO"


class ExpectedListError(ValueError):
    pass


@dataclass
class Entry:
    pattern: str
    reason: str
    source: str     # file:line
    used: int = 0
    requirement: str = ""  # the requirement the implementation deviates from, when named
    link: str = ""         # an issue URL or a short text saying where the deviation is tracked
    expires: datetime.date = None  # the last day the entry excuses a failure
    passed: int = 0        # rows it matched that passed
    failed: int = 0        # rows it matched that failed (expired or not)
    line: int = 0          # its line in the file (1-based)
    raw: str = field(default="", repr=False)  # the line as written

    @property
    def text(self) -> str:
        """The reason as reports show it: the requirement first, when the entry names one."""
        return "%s: %s" % (self.requirement, self.reason) if self.requirement else self.reason

    @property
    def placeholder(self) -> bool:
        return self.reason.startswith(PLACEHOLDER_PREFIX)

    def matches(self, case_id: str) -> bool:
        return fnmatch.fnmatchcase(case_id, self.pattern)

    def expired(self, today: datetime.date) -> bool:
        """Past its expiry: `expires` is the last day the entry still holds."""
        return self.expires is not None and today > self.expires

    def flags(self, today: datetime.date = None) -> list:
        """What is wrong with the entry without making the list unreadable: each a short
        phrase. `--strict` refuses an entry with any flag."""
        out = []
        if not self.link:
            out.append("no link")
        if self.expires is None:
            out.append("no expiry")
        if self.placeholder:
            out.append("placeholder reason")
        if today is not None and self.expired(today):
            out.append("expired on %s" % self.expires.isoformat())
        return out

    def as_dict(self) -> dict:
        """The entry as report.json keeps it."""
        doc = {"pattern": self.pattern, "reason": self.reason, "source": self.source,
               "matched": self.used, "requirement": self.requirement, "link": self.link,
               "expires": self.expires.isoformat() if self.expires else "",
               "flags": self.flags()}
        return doc


def _strip_comment(raw: str) -> str:
    """The line without its comment: `#` at the start or after whitespace, outside a quoted
    key value (`link="…"`)."""
    quoted = False
    for i, ch in enumerate(raw):
        if ch == '"' and (quoted or (i > 0 and raw[i - 1] == "=")):
            quoted = not quoted
        elif ch == "#" and not quoted and (i == 0 or raw[i - 1].isspace()):
            return raw[:i]
    return raw


def parse_date(text: str) -> datetime.date:
    """A YYYY-MM-DD date; ValueError otherwise."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError("%r is not a date of the form YYYY-MM-DD" % text)
    return datetime.date.fromisoformat(text)


def parse(text: str, source: str):
    """The entries of one list. Raises ExpectedListError naming file:line for a line without
    a reason, an unknown or repeated key, an empty link or a malformed date."""
    entries = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw).strip()
        if not line:
            continue
        where = "%s:%d" % (source, n)
        keys = {}
        while True:
            m = TRAILING_RE.search(line)
            if not m:
                break
            key, value = m.group(1), m.group(2)
            if key not in KEYS:
                raise ExpectedListError("%s: unknown key %r (known: %s); a reason that ends in "
                                        "NAME=VALUE must be reworded" % (where, key,
                                                                         ", ".join(KEYS)))
            if key in keys:
                raise ExpectedListError("%s: %s= is given twice" % (where, key))
            keys[key] = value[1:-1].strip() if value.startswith('"') else value
            line = line[:m.start()].rstrip()
        parts = re.split(r"\s+", line, maxsplit=1)
        if not parts[0] or len(parts) < 2 or not parts[1].strip():
            raise ExpectedListError("%s: %r needs a reason after the case id" % (
                where, parts[0] or line))
        reason, requirement = parts[1].strip(), ""
        first = reason.split(None, 1)
        head = first[0][:-1] if first[0].endswith(":") else first[0]
        if REQUIREMENT_RE.match(head):
            if len(first) < 2:
                raise ExpectedListError("%s: %r names requirement %s but gives no reason"
                                        % (where, parts[0], head))
            requirement, reason = head, first[1].strip()
        link = keys.get("link")
        if link is not None and not link:
            raise ExpectedListError("%s: link= is empty (give an issue URL or a short text)"
                                    % where)
        expires = None
        if "expires" in keys:
            try:
                expires = parse_date(keys["expires"])
            except ValueError as e:
                raise ExpectedListError("%s: expires=: %s" % (where, e)) from None
        entries.append(Entry(parts[0], reason, where, requirement=requirement, link=link or "",
                             expires=expires, line=n, raw=raw))
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


def load_all(directory: Path = None):
    """Every list in the directory: implementation name -> entries (README.md is not one)."""
    directory = directory or EXPECTED_DIR
    return load(sorted(p.stem for p in directory.glob("*.txt")), directory)


def refused(lists, today: datetime.date):
    """Entries `--strict` refuses: (entry, flags) for each flagged entry."""
    return [(e, e.flags(today)) for entries in lists.values() for e in entries
            if e.flags(today)]


def expired_text(row) -> str:
    """Why a listed failing row still counts as a failure, or "" when it does not."""
    if row.get("expectation") != "expired":
        return ""
    return "expectation expired on %s, source %s" % (row.get("expected_expires", "?"),
                                                     row.get("expected_source", "?"))


def apply(rows, lists, today: datetime.date = None):
    """Marks rows: `expectation` is "expected-failure" (listed and failing), "unexpected-pass"
    (listed and passing) or "expired" (failing, listed by an entry past its expiry: counts as a
    plain failure), with `expected_reason`, `expected_source` and, when the entry has them,
    `expected_requirement`, `expected_link` and `expected_expires`. `today` defaults to the
    local date."""
    today = today or datetime.date.today()
    for row in rows:
        for name in row.get("implementations", []):
            for entry in lists.get(name, []):
                if entry.matches(row["id"]):
                    entry.used += 1
                    row["expected_reason"] = entry.text
                    if entry.requirement:
                        row["expected_requirement"] = entry.requirement
                    if entry.link:
                        row["expected_link"] = entry.link
                    if entry.expires:
                        row["expected_expires"] = entry.expires.isoformat()
                    row["expected_source"] = entry.source
                    if row["verdict"] in FAILING:
                        entry.failed += 1
                        row["expectation"] = ("expired" if entry.expired(today)
                                              else "expected-failure")
                    elif row["verdict"] == "pass":
                        entry.passed += 1
                        row["expectation"] = "unexpected-pass"
                    break
            if "expected_reason" in row:
                break
    return rows


def stale(lists):
    """Entries that matched no case of the run: candidates for removal."""
    return [e for entries in lists.values() for e in entries if not e.used]


def outcome(row) -> str:
    """pass | fail | xfail | xpass | skip: how a row counts towards the run's verdict. A row
    whose entry expired is a plain failure."""
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
