"""The spec's requirement index: Markdown definitions, spec/requirements.json, and where
tests name each requirement (`./cts spec check|untested|errors`)."""
import json
import re
import sys
from pathlib import Path

from . import paths, revisions

ID_BODY = r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-\d{3}"
ID_RE = re.compile(r"\b(" + ID_BODY + r")\b")
# A requirement is defined by a list item that starts with its bold ID, then level and role,
# optionally the revisions it applies to (spec/README.md#revisions):
#   - **ENV-MAGIC-001** · MUST · codec — statement
#   - **HS-REQ-004** · MUST · server · since newest — statement
#   - **HS-REQ-003** · MUST · server · until seed — statement
DEF_RE = re.compile(r"^\s*[-*]\s+\*\*(" + ID_BODY + r")\*\*\s*·\s*(MUST|SHOULD|MAY)"
                    r"\s*·\s*([a-z, ]+?)"
                    r"(?:\s*·\s*((?:since|until)\s+[a-z]+(?:\s+until\s+[a-z]+)?))?"
                    r"\s*—\s*(.+?)\s*$")
RANGE_RE = re.compile(r"^(?:since\s+([a-z]+))?\s*(?:until\s+([a-z]+))?$")
LEVELS = {"MUST", "SHOULD", "MAY"}
SPEC_REVISION = "2026-11-25"
ROLES = {"client", "server", "codec", "transport", "both"}
JSON_KEYS = {"id", "chapter", "level", "roles", "statement", "since", "until"}

# Where a requirement counts as exercised: structured evidence only, never a mere mention
# (a comment, a mutant table, a message text).
#  - a test tagged with the REQUIREMENT("ID") macro (reference/tests, fuzz);
#  - a golden vector listing the ID in its "requirements" (vectors/*.json);
#  - a conformance case: a string literal that is exactly the ID in a case source, outside
#    comments (a case's requirements, a row's requirements, a check's requirement).
TAG_DIRS = ["reference/tests", "fuzz"]
TAG_SUFFIXES = {".cpp", ".cc", ".h", ".hpp"}
TAG_RE = re.compile(r"\bREQUIREMENT\(\s*\"(" + ID_BODY + r")\"\s*\)")
CASE_DIR = "conformance/cases"
LITERAL_ID_RE = re.compile(r'"(' + ID_BODY + r')"')
VECTOR_DIR = "vectors"


def load_index(path: Path = None):
    """Loads spec/requirements.json; raises ValueError naming the first malformed entry."""
    path = path or paths.SPEC / "requirements.json"
    doc = json.loads(path.read_text())
    unknown = set(doc) - {"spec_revision", "requirements"}
    if unknown:
        raise ValueError("requirements.json: unknown top-level keys %s" % sorted(unknown))
    reqs = {}
    for entry in doc["requirements"]:
        keys = set(entry)
        if keys != JSON_KEYS:
            raise ValueError("requirements.json: %s has keys %s, expected %s"
                             % (entry.get("id"), sorted(keys), sorted(JSON_KEYS)))
        if entry["level"] not in LEVELS:
            raise ValueError("%s: level %r" % (entry["id"], entry["level"]))
        if not entry["roles"] or set(entry["roles"]) - ROLES:
            raise ValueError("%s: roles %r" % (entry["id"], entry["roles"]))
        if entry["since"] not in revisions.REVISIONS or (
                entry["until"] is not None and entry["until"] not in revisions.REVISIONS):
            raise ValueError("%s: since %r / until %r: revisions are %s"
                             % (entry["id"], entry["since"], entry["until"],
                                ", ".join(revisions.REVISIONS)))
        if entry["until"] is not None and revisions.rank(entry["until"]) < revisions.rank(entry["since"]):
            raise ValueError("%s: until %s is older than since %s"
                             % (entry["id"], entry["until"], entry["since"]))
        if entry["id"] in reqs:
            raise ValueError("%s listed twice" % entry["id"])
        reqs[entry["id"]] = entry
    return doc.get("spec_revision"), reqs


CHAPTER_ORDER = ["envelope", "session", "batch", "chunking", "handshake", "profiles", "codecs",
                 "lookup", "service", "transport-uds", "transport-shm", "transport-windows", "shim-contract"]


def parse_range(text):
    """(since, until) of a definition line's revision segment ("since newest", "until seed",
    "since seed until seed"); no segment means every revision: (oldest, None). Raises
    ValueError for an unknown revision name or an empty range."""
    if not text:
        return revisions.REVISIONS[0], None
    m = RANGE_RE.match(text.strip())
    if not m or not (m.group(1) or m.group(2)):
        raise ValueError("revision range %r: expected 'since R', 'until R' or both" % text)
    since = revisions.check(m.group(1)) if m.group(1) else revisions.REVISIONS[0]
    until = revisions.check(m.group(2)) if m.group(2) else None
    if until is not None and revisions.rank(until) < revisions.rank(since):
        raise ValueError("revision range %r is empty" % text)
    return since, until


def markdown_requirements():
    """Every requirement defined in spec/*.md, as requirements.json entries, in chapter order
    then order of appearance. Raises ValueError for a malformed revision range."""
    entries = []
    for md in sorted(paths.SPEC.glob("*.md"),
                     key=lambda f: (CHAPTER_ORDER.index(f.stem) if f.stem in CHAPTER_ORDER
                                    else len(CHAPTER_ORDER), f.stem)):
        for line in md.read_text().splitlines():
            m = DEF_RE.match(line)
            if m:
                roles = [r.strip() for r in m.group(3).split(",") if r.strip()]
                statement = re.sub(r"\s+", " ", m.group(5))
                try:
                    since, until = parse_range(m.group(4))
                except ValueError as e:
                    raise ValueError("%s (%s.md): %s" % (m.group(1), md.stem, e))
                entries.append({"id": m.group(1), "chapter": md.stem, "level": m.group(2),
                                "roles": roles, "since": since, "until": until,
                                "statement": statement})
    return entries


def render_index(revision: str) -> str:
    return json.dumps({"spec_revision": revision, "requirements": markdown_requirements()},
                      indent=2, ensure_ascii=False) + "\n"


def cmd_index(_args) -> int:
    """Regenerates spec/requirements.json from the Markdown definitions."""
    path = paths.SPEC / "requirements.json"
    revision = SPEC_REVISION
    path.write_text(render_index(revision))
    print("spec index: wrote %s (%d requirements)" % (path.relative_to(paths.ROOT),
                                                    len(markdown_requirements())))
    return 0


def markdown_definitions():
    """{id: (chapter, level)} for every requirement defined in spec/*.md, plus every ID
    merely mentioned anywhere in the Markdown (to catch dangling references)."""
    defs, mentions = {}, {}
    for md in sorted(paths.SPEC.glob("*.md")):
        for lineno, line in enumerate(md.read_text().splitlines(), 1):
            m = DEF_RE.match(line)
            if m:
                if m.group(1) in defs:
                    raise ValueError("%s defined twice (%s:%d)" % (m.group(1), md.name, lineno))
                defs[m.group(1)] = (md.stem, m.group(2))
            for ident in ID_RE.findall(line):
                mentions.setdefault(ident, "%s:%d" % (md.name, lineno))
    return defs, mentions


# A string or character literal (to keep; an unterminated one runs to the end), or a // or
# /* */ comment (to drop; an unterminated block comment runs to the end). One pass of the
# regular expression engine: the run's report calls evidence() on every run, also while a
# stop is under way, so this must not cost seconds.
_CPP_TOKEN_RE = re.compile(r'"(?:\\.|[^"\\])*(?:"|\Z)|\'(?:\\.|[^\'\\])*(?:\'|\Z)'
                           r'|//[^\n]*|/\*(?:.*?\*/|.*\Z)', re.S)


def strip_cpp_comments(text: str) -> str:
    """C++ source without // and /* */ comments (string literals are kept intact)."""
    return _CPP_TOKEN_RE.sub(lambda m: m.group(0) if m.group(0)[0] in "\"'" else "", text)


def evidence(root: Path = None):
    """{id: [files with structured evidence for it]} (see TAG_DIRS, CASE_DIR, VECTOR_DIR)."""
    root = root or paths.ROOT
    found = {}

    def add(ident, f):
        where = str(f.relative_to(root))
        if where not in found.setdefault(ident, []):
            found[ident].append(where)

    for d in TAG_DIRS:
        for f in sorted((root / d).rglob("*")) if (root / d).exists() else []:
            if f.suffix in TAG_SUFFIXES and f.is_file():
                for ident in TAG_RE.findall(strip_cpp_comments(f.read_text(errors="ignore"))):
                    add(ident, f)
    # Case files and the headers of rows they share (cases/client_exchange.h holds a table).
    case_files = [f for f in (root / CASE_DIR).glob("*") if f.suffix in (".cpp", ".h")] \
        if (root / CASE_DIR).exists() else []
    for f in sorted(case_files):
        for ident in LITERAL_ID_RE.findall(strip_cpp_comments(f.read_text(errors="ignore"))):
            add(ident, f)
    for f in sorted((root / VECTOR_DIR).glob("*.json")) if (root / VECTOR_DIR).exists() else []:
        doc = json.loads(f.read_text())
        for case in doc.get("cases", []) if isinstance(doc, dict) else []:
            for ident in case.get("requirements", []) if isinstance(case, dict) else []:
                add(ident, f)
    return found


def schema_problems(path: Path = None) -> list:
    """requirements.json against spec/requirements.schema.json (when jsonschema is
    installed; load_index() applies the same key and value rules either way)."""
    path = path or paths.SPEC / "requirements.json"
    try:
        import jsonschema
    except ImportError:
        return []
    schema = json.loads((paths.SPEC / "requirements.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    return ["requirements.json%s: %s" % ("".join("[%r]" % p for p in e.absolute_path), e.message)
            for e in validator.iter_errors(json.loads(path.read_text()))]


def cmd_check(args) -> int:
    try:
        _, reqs = load_index()
    except (ValueError, KeyError) as e:
        print("spec check: %s" % e)
        return 1
    try:
        defs, mentions = markdown_definitions()
        markdown_requirements()
    except ValueError as e:
        print("spec check: %s" % e)
        return 1
    problems = schema_problems()
    for ident in sorted(set(defs) - set(reqs)):
        problems.append("%s is defined in spec/%s.md but missing from requirements.json"
                        % (ident, defs[ident][0]))
    for ident in sorted(set(reqs) - set(defs)):
        problems.append("%s is in requirements.json but defined in no chapter" % ident)
    for ident in sorted(set(defs) & set(reqs)):
        chapter, level = defs[ident]
        if reqs[ident]["chapter"] != chapter:
            problems.append("%s: chapter %r in JSON, defined in %s.md"
                            % (ident, reqs[ident]["chapter"], chapter))
        if reqs[ident]["level"] != level:
            problems.append("%s: level %s in JSON, %s in Markdown"
                            % (ident, reqs[ident]["level"], level))
    path = paths.SPEC / "requirements.json"
    if path.read_text() != render_index(SPEC_REVISION):
        problems.append("requirements.json is out of date with the Markdown: run ./cts spec index")
    for ident, where in sorted(mentions.items()):
        if ident not in defs:
            problems.append("%s is mentioned at %s but never defined" % (ident, where))
    for p in problems:
        print("spec check: " + p)
    revision = getattr(args, "spec_revision", None) or revisions.DEFAULT
    in_force = sum(1 for e in reqs.values() if revisions.applies(e, revision))
    print("spec check: %d requirements (%d in force at revision %s), %d problems"
          % (len(reqs), in_force, revision, len(problems)))
    return 1 if problems else 0


def cmd_untested(args) -> int:
    _, reqs = load_index()
    revision = getattr(args, "spec_revision", None)
    if revision:
        # Only what is in force at that revision can be missing a test there.
        reqs = {k: e for k, e in reqs.items() if revisions.applies(e, revision)}
    seen = evidence()
    missing = {}
    for ident, entry in sorted(reqs.items()):
        if ident not in seen:
            missing.setdefault(entry["chapter"], []).append(ident)
    total = sum(len(v) for v in missing.values())
    print("untested requirement IDs: %d of %d (no test of the suite names them; a run's "
          "report calls a requirement tests name but that run did not reach "
          "\"not exercised\")" % (total, len(reqs)))
    for chapter in sorted(missing):
        print("  %-12s %s" % (chapter + ":", " ".join(missing[chapter])))
    gate = set(args.fail_on or [])
    failing = {c: ids for c, ids in missing.items() if c in gate}
    if failing:
        print("untested IDs in gated chapters: %s" % ", ".join(sorted(failing)), file=sys.stderr)
        return 1
    return 0


def cmd_errors(_args) -> int:
    """Every requirement the C++ error table names exists in the index."""
    _, reqs = load_index()
    header = paths.ROOT / "reference/include/nipc/codec/errors.h"
    rows = re.findall(r'X\((\w+),\s*"([^"]+)"', header.read_text())
    bad = [(name, ident) for name, ident in rows if ident not in reqs]
    for name, ident in bad:
        print("spec errors: error k%s names %s, which requirements.json lacks" % (name, ident))
    print("spec errors: %d error rows, %d with unknown requirements" % (len(rows), len(bad)))
    return 1 if bad or not rows else 0
