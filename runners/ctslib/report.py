"""The run's reports: report.json (everything; runners/schema/report.schema.json),
junit.xml (one testcase per cell/case), summary.md, and the static HTML site (report_html).
Also `./cts report --compare old.json new.json`."""
import json
import sys
from pathlib import Path

from . import expected, hostplatform, junit, manifest, matrix, paths, revisions, spec_index, textsafe
from .report_model import headline, profile_names  # noqa: F401 (report.headline)

SCHEMA = paths.ROOT / "runners" / "schema" / "report.schema.json"
SCHEMA_VERSION = 1
# "unreported": a negative case where the client failed as it must but reported no reason
# (exit code or a missing PASS line only): not a verified rejection, not a pass.
VERDICTS = ("pass", "fail", "error", "unsupported", "not-applicable", "unreported")
OUTCOMES = ("pass", "fail", "xfail", "xpass", "skip")


def load_requirements():
    try:
        doc = json.loads((paths.SPEC / "requirements.json").read_text())
    except (OSError, ValueError):
        return "", []
    return doc.get("spec_revision", ""), doc.get("requirements", [])


def _impl_doc(m, lists):
    return {"name": m.name, "language": m.language, "version": m.version,
            "platform": m.platform, "launcher": list(m.launcher), "build": m.build,
            "manifest": str(m.path),
            "roles": list(m.capabilities.roles), "profiles": list(m.capabilities.profiles),
            "service_kinds": list(m.capabilities.service_kinds),
            "scenarios": list(m.capabilities.scenarios),
            "configurable": m.capabilities.configurable,
            "revisions": list(m.revisions),
            "fixed": {k: str(v) for k, v in m.fixed.items()},
            "server_sessions": m.server.sessions if m.server else None,
            "expected_failures": [e.as_dict() for e in lists.get(m.name, [])]}


def _row_roles(row, name):
    """The roles `name` plays in `row`."""
    if row.get("kind") == "matrix":
        return {r for r, n in (("client", row["client"]), ("server", row["server"]))
                if n == name}
    return {row.get("role") or "codec"}


def compliance(rows, manifests, requirements, named=None):
    """implementation -> [{id, level, chapter, statement, verdict, cases}] for every
    requirement that applies to a role the implementation plays. verdict: pass, fail,
    expected-failure, not-applicable, inconclusive, or, with no row behind it, one of two
    words that never mean the same thing:
      untested       no test of the suite names the requirement (what `./cts spec untested`
                     lists: `named`, default spec_index.evidence(), lacks it);
      not-exercised  tests name it, but no row of this run exercised it for this
                     implementation (filtered out, another role, a shard, a skipped suite).
    cases: the rows behind it."""
    if named is None:
        named = set(spec_index.evidence())
    out = {}
    for m in manifests:
        roles = set(m.capabilities.roles)
        evidence = {}
        for r in rows:
            if m.name not in r.get("implementations", []):
                continue
            plays = _row_roles(r, m.name)
            for rid in r.get("requirements", []):
                evidence.setdefault(rid, []).append((r, plays))
        table = []
        for req in requirements:
            req_roles = set(req.get("roles", []))
            if req_roles & {"both", "transport"}:
                req_roles |= {"client", "server"}
            if not req_roles & roles:
                continue
            cases, verdicts = [], set()
            for r, plays in evidence.get(req["id"], []):
                if r.get("kind") == "matrix" and not (req_roles & plays):
                    continue
                cases.append({"id": r["id"], "verdict": r["verdict"],
                              "expectation": r.get("expectation")})
                if r["verdict"] in expected.FAILING:
                    if m.name in r.get("blame", [m.name]):
                        verdicts.add("expected-failure" if r.get("expectation") ==
                                     "expected-failure" else "fail")
                elif r["verdict"] == "pass":
                    verdicts.add("pass")
                elif r["verdict"] == "unreported":
                    verdicts.add("inconclusive")
                else:
                    verdicts.add("not-applicable")
            verdict = next((v for v in ("fail", "expected-failure", "pass", "not-applicable")
                            if v in verdicts), "inconclusive" if cases else
                           "not-exercised" if req["id"] in named else "untested")
            table.append({"id": req["id"], "level": req.get("level", ""),
                          "chapter": req.get("chapter", ""),
                          "statement": req.get("statement", ""), "verdict": verdict,
                          "cases": cases})
        out[m.name] = table
    return out


def summarize(rows):
    counts = {v: 0 for v in VERDICTS}
    outcomes = {o: 0 for o in OUTCOMES}
    by_kind = {}
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
        o = expected.outcome(r)
        outcomes[o] += 1
        k = by_kind.setdefault(r.get("kind", "other"), {o2: 0 for o2 in OUTCOMES})
        k[o] += 1
    return {"counts": counts, "outcomes": outcomes, "by_kind": by_kind,
            "failed": [r["id"] for r in rows if expected.outcome(r) == "fail"
                       and not r.get("environment")],
            "environment_errors": [r["id"] for r in rows if r.get("environment")],
            "expected_failures": [r["id"] for r in rows if expected.outcome(r) == "xfail"],
            "unexpected_passes": [r["id"] for r in rows if expected.outcome(r) == "xpass"],
            "flaky": [r["id"] for r in rows if any(d["verdict"] == "pass"
                                                    for d in r.get("diagnosis", []))]}


def bounded_row(row):
    """A row as reports keep it: every string clipped (head + tail + omitted count) and with
    its control characters written as visible escapes, so what an implementation printed
    bounds neither the report's size nor what reaches a terminal, a Markdown or XML file.
    Recorded packets (`hex`) are the relay's, already bounded, and stay whole."""
    def walk(value, key=None):
        if key == "hex":
            return value
        if isinstance(value, str):
            return textsafe.visible(textsafe.clip(value))
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        return value
    return walk(row)


def document(rows, manifests, lists, notes, started, seconds, args, interrupted=False):
    from . import traceability
    rows = [bounded_row(r) for r in rows]
    revision, requirements = load_requirements()
    judged = getattr(args, "spec_revision", revisions.DEFAULT)
    # Only what is in force at the judged revision can be met or broken in this run.
    requirements = [r for r in requirements if revisions.applies(r, judged)]
    table = compliance(rows, manifests, requirements)
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": "netipc-cts",
        "spec_revision": revision,
        "protocol_revision": judged,
        "started_at": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "interrupted": interrupted,
        "command": ["./cts"] + sys.argv[1:] if sys.argv and sys.argv[0].endswith("cts") else
        ["./cts", "run"],
        "options": {"jobs": args.jobs, "shard": "%d/%d" % args.shard, "strict": args.strict,
                    "diagnose": args.diagnose, "capture": args.capture,
                    "only": args.only or "", "scenarios": args.scenario or []},
        "host": hostplatform.host_info(),
        "implementations": [_impl_doc(m, lists) for m in manifests],
        "scenarios": [{"id": s.id, "title": s.title, "service_kind": s.service_kind,
                       "client_scenario": s.client_scenario,
                       "params": {k: str(v) for k, v in s.params.items()},
                       "needs": {k: str(v) for k, v in s.needs.items()},
                       "requirements": list(s.requirements)} for s in matrix.SCENARIOS],
        "profiles": list(matrix.ALL_PROFILE_NAMES),
        "results": rows,
        "compliance": table,
        "compliance_matrix": traceability.compliance_matrix(table),
        "traceability": traceability.document(rows, requirements, table, lists,
                                              traceability.load_sources()),
        "summary": dict(summarize(rows), exit_code=0,
                        per_implementation=per_implementation(rows, manifests)),
        "notes": [textsafe.visible(textsafe.clip(n)) for n in notes],
    }


def validate(doc):
    """Schema errors of a report document (empty when valid, or when jsonschema is absent)."""
    try:
        import jsonschema
    except ImportError:
        return []
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message)
            for e in validator.iter_errors(doc)]


def junit_rows(rows):
    """Rows for junit.write_junit: an expected failure becomes a skip, an unexpected pass a
    pass with a note in its message."""
    out = []
    for r in rows:
        j = dict(r, name="%s %s" % (r["id"], ""), suite=r.get("suite", r.get("kind", "")))
        j["name"] = r["id"]
        o = expected.outcome(r)
        if o == "xfail":
            j["verdict"] = "not-applicable"
            j["message"] = "expected failure (%s): %s" % (r.get("expected_reason", ""),
                                                          r.get("message", ""))
        elif o == "xpass":
            j["message"] = "unexpected pass: listed as expected failure (%s)" % (
                r.get("expected_reason", ""))
        out.append(j)
    return out


def markdown(doc):
    s = doc["summary"]
    o = s["outcomes"]
    lines = ["# netipc-cts report", "",
             "Spec revision %s, judged at protocol revision **%s**, %s, %.1f s, exit code %d%s." % (
                 doc["spec_revision"], doc.get("protocol_revision", revisions.DEFAULT),
                 doc["started_at"], doc["seconds"], s["exit_code"],
                 " (interrupted)" if doc["interrupted"] else ""), "",
             "| outcome | rows |", "|---|---|"]
    lines += ["| %s | %d |" % (k, o[k]) for k in OUTCOMES]
    lines += ["", "## Implementations", "",
              "| name | language | version | platform | roles | profiles | revisions claimed |",
              "|---|---|---|---|---|---|---|"]
    for i in doc["implementations"]:
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            i["name"], i["language"], i["version"], i.get("platform", "linux"),
            ", ".join(i["roles"]), ", ".join(profile_names(i)),
            ", ".join(i.get("revisions", [revisions.DEFAULT]))))
    lines += per_implementation_lines(s.get("per_implementation", []))
    lines += ["", "## By kind", "", "| kind | pass | fail | xfail | xpass | skip |",
              "|---|---|---|---|---|---|"]
    for k, v in sorted(s["by_kind"].items()):
        lines.append("| %s | %d | %d | %d | %d | %d |" % (k, v["pass"], v["fail"],
                                                         v["xfail"], v["xpass"], v["skip"]))
    rows = {r["id"]: r for r in doc["results"]}
    for title, ids in (("Failures", s["failed"]),
                       ("Environment errors (not conformance results)",
                        s.get("environment_errors", [])),
                       ("Expected failures", s["expected_failures"]),
                       ("Unexpected passes", s["unexpected_passes"])):
        if not ids:
            continue
        lines += ["", "## %s (%d)" % (title, len(ids)), ""]
        for i in ids:
            r = rows[i]
            extra = ""
            if r.get("diagnosis"):
                extra = " — reruns alone: " + ", ".join(d["verdict"] for d in r["diagnosis"])
            if expected.expired_text(r):
                extra += " — %s" % expected.expired_text(r)
            elif r.get("expected_reason"):
                extra += " — listed: %s" % r["expected_reason"]
            lines.append("- `%s` [%s]: %s%s" % (
                i, r.get("spec_revision", doc.get("protocol_revision", revisions.DEFAULT)),
                textsafe.visible(r.get("message", ""), True), extra))
    lines += compliance_matrix_lines(doc.get("compliance_matrix", {}))
    if s.get("not_run"):
        lines += ["", "## Not run: the run was interrupted (%d)" % len(s["not_run"]), ""]
        lines += ["- `%s`" % i for i in s["not_run"]]
    if doc["notes"]:
        lines += ["", "## Notes", ""] + ["- " + textsafe.visible(n, True) for n in doc["notes"]]
    return "\n".join(lines) + "\n"


def compliance_matrix_lines(cm):
    """summary.md's compliance matrix: the requirements that apply to each implementation, by
    level and compliance verdict (requirements.html has each one and what tests it)."""
    from .traceability import MATRIX_COLUMNS
    cols = [c for _, c in MATRIX_COLUMNS]
    lines = ["", "## Compliance", "", "| implementation | level | %s | applicable |"
             % " | ".join(cols), "|---|---|%s---|" % ("---|" * len(cols))]
    for name, levels in cm.items():
        for level, counts in levels.items():
            lines.append("| %s | %s | %s | %d |" % (name, level, " | ".join(
                str(counts[c]) for c in cols), counts["total"]))
    return lines


def per_implementation(rows, manifests):
    """One row per implementation (and so per revision: a revision is its own manifest):
    the rows it takes part in, by verdict. `planned` counts every row, `run` those that ran
    (not unsupported, not applicable, no environment error)."""
    table = []
    for m in manifests:
        mine = [r for r in rows if m.name in r.get("implementations", [])]
        counts = {v: sum(r["verdict"] == v for r in mine) for v in VERDICTS}
        env = sum(bool(r.get("environment")) for r in mine)
        table.append({"name": m.name, "language": m.language, "version": m.version,
                      "planned": len(mine),
                      "run": len(mine) - counts["unsupported"] - counts["not-applicable"] - env,
                      "environment_errors": env, **counts})
    return table


def per_implementation_lines(table):
    if not table:
        return []
    lines = ["", "## Per implementation and revision", "",
             "| implementation | version | planned | run | pass | fail | error | unsupported |"
             " not applicable | failed, reason not reported |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for t in table:
        lines.append("| %s | %s | %d | %d | %d | %d | %d | %d | %d | %d |" % (
            t["name"], t["version"], t["planned"], t["run"], t["pass"], t["fail"], t["error"],
            t["unsupported"], t["not-applicable"], t["unreported"]))
    return lines


def write_all(out_dir: Path, doc):
    from . import report_html
    out_dir.mkdir(parents=True, exist_ok=True)
    errors = validate(doc)
    if errors:
        doc["notes"].append("report.json does not match its schema: " + "; ".join(errors[:5]))
    junit.write_json(out_dir / "report.json", doc)
    junit.write_junit(out_dir / "junit.xml", "netipc-cts", junit_rows(doc["results"]) + [
        {"suite": "not-run", "name": i, "verdict": "not-run", "seconds": 0.0,
         "message": "the run was interrupted before this task ran"}
        for i in doc["summary"].get("not_run", [])])
    (out_dir / "summary.md").write_text(markdown(doc))
    report_html.write_site(out_dir, doc)
    return errors


def print_summary(doc, out_dir):
    s = doc["summary"]
    rows = {r["id"]: r for r in doc["results"]}
    print()
    for i in s["failed"]:
        r = rows[i]
        reruns = ""
        if r.get("diagnosis"):
            reruns = " [alone: %s]" % ", ".join(d["verdict"] for d in r["diagnosis"])
        lapsed = expected.expired_text(r)
        print("FAILED %s: %s%s%s" % (i, textsafe.visible(textsafe.clip(r.get("message", ""),
                                                                     2000, 0), True), reruns,
                                     " (%s)" % lapsed if lapsed else ""))
    env = s.get("environment_errors", [])
    seen = set()
    for i in env:
        message = rows[i].get("message", "")
        if message not in seen:
            seen.add(message)
            print("ENVIRONMENT ERROR (%d rows) %s" % (
                sum(rows[j].get("message") == message for j in env),
                textsafe.visible(message, True)))
    for i in s["expected_failures"]:
        print("expected failure %s: %s" % (i, rows[i].get("expected_reason", "")))
    for i in s["unexpected_passes"]:
        print("UNEXPECTED PASS %s (listed: %s)" % (i, rows[i].get("expected_reason", "")))
    for n in doc["notes"]:
        print("note: " + textsafe.visible(n, True))
    for line in per_implementation_lines(s.get("per_implementation", []))[2:]:
        print(line)
    h = headline(s)
    print("revision: %s (--spec-revision)" % doc.get("protocol_revision", revisions.DEFAULT))
    print("report: %s (index.html, report.json, junit.xml, summary.md)" % out_dir)
    print("run: %d passed, %d failed, %d skipped (%d expected failures, %d unexpected passes%s)"
          "%s in %.1f s" % (h["pass"], h["fail"], h["skip"], h["xfail"], h["xpass"],
                            ", %d environment errors" % h["environment"] if env else "",
                            ", %d tasks not run" % h["not run"] if h["not run"] else "",
                            doc["seconds"]))
    sys.stdout.flush()


# ---- compare --------------------------------------------------------------------------------

RANK = {"pass": 0, "xpass": 0, "skip": 1, "xfail": 2, "fail": 3}


def compare(old, new):
    """What changed between two report documents, regressions first. Returns a dict of lists
    of (id, old outcome/verdict, new, message)."""
    a = {r["id"]: r for r in old.get("results", [])}
    b = {r["id"]: r for r in new.get("results", [])}
    changes = {"regressions": [], "new_failures": [], "fixed": [], "changed": [],
               "added": [], "removed": []}
    for i in sorted(set(a) | set(b)):
        ra, rb = a.get(i), b.get(i)
        if ra is None:
            bucket = "new_failures" if expected.outcome(rb) == "fail" else "added"
            changes[bucket].append((i, "-", _label(rb), rb.get("message", "")))
            continue
        if rb is None:
            changes["removed"].append((i, _label(ra), "-", ""))
            continue
        la, lb = _label(ra), _label(rb)
        if la == lb:
            continue
        oa, ob = expected.outcome(ra), expected.outcome(rb)
        entry = (i, la, lb, rb.get("message", ""))
        if RANK[ob] > RANK[oa] and ob == "fail":
            changes["regressions"].append(entry)
        elif oa == "fail" and ob in ("pass", "xfail", "xpass"):
            changes["fixed"].append(entry)
        else:
            changes["changed"].append(entry)
    return changes


def _label(r):
    o = expected.outcome(r)
    return r["verdict"] if o in ("pass", "fail", "skip") else o


COMPARE_TITLES = (("regressions", "Regressions"), ("new_failures", "New failing cases"),
                  ("fixed", "Fixed"), ("changed", "Other changes"), ("added", "New cases"),
                  ("removed", "Removed cases"))
# Listed one per line only with --verbose (a new catalogue can add thousands of cases).
COMPARE_COUNTED = ("added", "removed")


def row_chapter(row) -> str:
    """The part of the suite a row belongs to, for the comparison's summary: the spec
    chapter of a catalogue case, the family of a vector case, the scenario of a matrix cell."""
    suite = row.get("suite", "") or ""
    row_id = row.get("id", "")
    kind = row.get("kind") or (row_id.split("/", 1)[0] if "/" in row_id else "other")
    if kind == "matrix":
        return "matrix/%s" % (row.get("scenario") or row.get("id", "").rsplit("/", 1)[-1])
    if kind == "conformance" and suite.count(".") >= 2:
        return "conformance/%s" % suite.split(".", 2)[2]
    if kind == "vectors" and "." in suite:
        return "vectors/%s" % suite.split(".", 1)[1]
    return kind or "other"


def row_implementations(row) -> list:
    return list(row.get("implementations") or [row.get("implementation") or "?"])


def compare_summary(old, new, changes):
    """Counts of each kind of change per (implementation, chapter), sorted."""
    rows = {r["id"]: r for r in old.get("results", [])}
    rows.update({r["id"]: r for r in new.get("results", [])})
    table = {}
    for key, _ in COMPARE_TITLES:
        for entry in changes[key]:
            r = rows[entry[0]]
            for impl in row_implementations(r):
                counts = table.setdefault((impl, row_chapter(r)),
                                          {k: 0 for k, _ in COMPARE_TITLES})
                counts[key] += 1
    return sorted(table.items())


def compare_lines(old, new, changes, verbose=False, width=100):
    """The comparison as text: the summary table first (changes per implementation and
    chapter), then the regressions, new failures, fixes and other changes one per entry,
    then the new and removed cases as counts (listed with `verbose`). Fixed-width columns
    come first on a line and the id last, so that a long id never shifts a column."""
    lines = []
    summary = compare_summary(old, new, changes)
    if summary:
        keys = [k for k, _ in COMPARE_TITLES]
        heads = ("regress", "new-fail", "fixed", "other", "new", "removed")
        impl_w = min(24, max(len("implementation"), *(len(i) for (i, _), _ in summary)))
        lines.append("%-*s %s  %s" % (impl_w, "implementation",
                                      " ".join("%8s" % h for h in heads), "chapter"))
        for (impl, chapter), counts in summary:
            lines.append("%-*s %s  %s" % (impl_w, _cut(impl, impl_w),
                                          " ".join("%8d" % counts[k] for k in keys), chapter))
        lines.append("")
    for key, title in COMPARE_TITLES:
        items = changes[key]
        if not items:
            continue
        if key in COMPARE_COUNTED and not verbose:
            lines.append("%s: %d (listed with --verbose)" % (title, len(items)))
            continue
        lines.append("%s (%d):" % (title, len(items)))
        for i, va, vb, msg in items:
            lines.append("  %-14s -> %-14s %s" % (va, vb, i))
            if msg:
                lines.append("      " + _cut(" ".join(textsafe.visible(msg, True).split()),
                                                 width - 6))
    return lines


def _cut(text: str, width: int) -> str:
    """`text` on at most `width` characters: cut, with an ellipsis, when longer."""
    return text if len(text) <= width else text[:width - 1] + "…"


def cmd_report(args) -> int:
    """`./cts report --compare [OLD NEW]`: what changed between two report.json files (by
    default the last two runs under out/runs). Exit 1 when something regressed or a new
    case fails, 0 otherwise, 2 when the reports cannot be read."""
    from . import history
    compare_args = args.compare
    if compare_args is None:
        print("cts report: nothing to do (use --compare [OLD NEW] or --merge DIR...)",
              file=sys.stderr)
        return 2
    if not compare_args:
        pair = history.last_two()
        if pair is None:
            print("cts report: --compare without files compares the last two runs under %s, "
                  "but there are fewer than two (give OLD NEW)" % history.RUNS,
                  file=sys.stderr)
            return 2
        compare_args = [str(p) for p in pair]
    elif len(compare_args) != 2:
        print("cts report: --compare takes no file (the last two runs) or two: OLD NEW",
              file=sys.stderr)
        return 2
    try:
        old, new = (json.loads(_report_json(Path(p)).read_text()) for p in compare_args)
    except (OSError, ValueError) as e:
        print("cts report: %s" % e, file=sys.stderr)
        return 2
    judged = [d.get("protocol_revision", revisions.DEFAULT) for d in (old, new)]
    wanted = getattr(args, "spec_revision", None)
    if wanted and any(j != wanted for j in judged):
        print("cts report: --spec-revision %s, but the reports were judged at %s and %s"
              % (wanted, judged[0], judged[1]), file=sys.stderr)
        return 2
    if judged[0] != judged[1]:
        print("note: the reports were judged at different revisions (%s, %s): verdicts of "
              "revision-specific rules are not comparable" % tuple(judged))
    ch = compare(old, new)
    print("compare: %s (%s) -> %s (%s)" % (compare_args[0], old.get("started_at", "?"),
                                          compare_args[1], new.get("started_at", "?")))
    for line in compare_lines(old, new, ch, verbose=getattr(args, "verbose", False)):
        print(line)
    if not any(ch.values()):
        print("no differences in %d cases" % len(new.get("results", [])))
    print("compare: %d regressions, %d new failures, %d fixed, %d other changes, %d new "
          "cases, %d removed" % tuple(len(ch[k]) for k, _ in COMPARE_TITLES))
    return 1 if ch["regressions"] or ch["new_failures"] else 0


def _report_json(path: Path) -> Path:
    """A report.json, or the one inside a report directory."""
    return path / "report.json" if path.is_dir() else path
