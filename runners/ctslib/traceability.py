"""Requirement traceability for the run's reports, both ways: from each requirement of
spec/requirements.json to what tests it (conformance catalogue cases, golden vectors, mutants
of the reference, matrix scenarios, the run's rows, expected-failure entries naming it), and a
compliance matrix per implementation and requirement level.

Where each link comes from (the same structured sources `./cts spec untested` and
`./cts conformance` use, never a mention in prose):
  - catalogue cases: `nipc-peer list` of the default build tree (each case's "requirements");
    without that binary, the conformance rows of the run stand in, and the report says so;
  - vectors: the "requirements" of each case in vectors/*.json;
  - mutants: the "requirement" of each row of conformance/mutants/mutants.toml, with the
    survivors of survivors.toml marked;
  - scenarios: the requirements of each matrix scenario (ctslib.matrix.SCENARIOS).
"""
import json
import subprocess
from pathlib import Path

from . import expected, matrix, paths

VECTOR_DIR = paths.ROOT / "vectors"
# Compliance verdicts (report.compliance) as the matrix counts them.
MATRIX_COLUMNS = (("pass", "met"), ("fail", "failed"), ("expected-failure", "expected-failure"),
                  ("untested", "untested"), ("not-exercised", "not-exercised"),
                  ("not-applicable", "unsupported"),
                  ("inconclusive", "inconclusive"))
LEVELS = ("MUST", "SHOULD", "MAY")


def _conformance_api(*names):
    """The functions of ctslib.conformance a source needs, or None when that module (or one of
    them) is missing: traceability then goes without that source, and says so."""
    try:
        from . import conformance
    except ImportError:
        return None
    found = [getattr(conformance, n, None) for n in names]
    return None if None in found else found


def _catalogue(tree: Path = None):
    """(cases, source): the peer's catalogue, or (None, why not)."""
    api = _conformance_api("peer_binary", "load_catalogue")
    if api is None:
        return None, "no conformance module to list the catalogue"
    peer_binary, load_catalogue = api
    peer = peer_binary(tree or paths.build_dir("default"))
    shown = peer.relative_to(paths.ROOT) if peer.is_relative_to(paths.ROOT) else peer
    if not peer.exists():
        return None, "%s is not built" % shown
    try:
        return load_catalogue(peer), "%s list" % shown
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        return None, "%s list failed: %s" % (shown, e)


def _vectors(directory: Path = VECTOR_DIR):
    out = []
    for f in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            doc = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        family = doc.get("family", f.stem) if isinstance(doc, dict) else f.stem
        for case in doc.get("cases", []) if isinstance(doc, dict) else []:
            if isinstance(case, dict):
                out.append({"family": family, "case": "%s-%s" % (case.get("id"),
                                                                 case.get("name")),
                            "requirements": list(case.get("requirements", []))})
    return out


def _mutants():
    api = _conformance_api("load_mutants", "load_survivors")
    if api is None:
        return [], "no conformance module to read the mutant table"
    load_mutants, load_survivors = api
    try:
        mutants = load_mutants()
        survivors = load_survivors()
    except (OSError, ValueError, KeyError) as e:
        return [], "conformance/mutants/mutants.toml could not be read: %s" % e
    return ([dict(m, survivor=m["name"] in survivors) for m in mutants],
            "conformance/mutants/mutants.toml (survivors.toml marks survivors)")


def load_sources(tree: Path = None):
    """Everything traceability needs besides the run: {"catalogue", "vectors", "mutants",
    "scenarios", "notes"}. A source that cannot be read is empty and named in "notes"; nothing
    here raises."""
    cases, cat_source = _catalogue(tree)
    mutants, mut_source = _mutants()
    vectors = _vectors()
    return {"catalogue": cases, "vectors": vectors, "mutants": mutants,
            "scenarios": [{"id": s.id, "requirements": list(s.requirements)}
                          for s in matrix.SCENARIOS],
            "sources": {"catalogue": cat_source, "mutants": mut_source,
                        "vectors": "vectors/*.json (%d cases)" % len(vectors),
                        "scenarios": "ctslib.matrix.SCENARIOS"}}


def _catalogue_from_rows(rows):
    """The catalogue cases the run's conformance rows show, when the peer's list is missing."""
    seen = {}
    for r in rows:
        if r.get("kind") == "conformance" and r.get("name"):
            seen.setdefault(r["name"], {"id": r["name"], "role": r.get("role", ""), "title": "",
                                        "requirements": list(r.get("requirements", []))})
    return list(seen.values())


def document(rows, requirements, compliance, lists, sources):
    """The report's "traceability": {"sources", "requirements": [...]}, one entry per
    requirement of the spec index, in its order: id, level, chapter, roles, statement, and
    what tests it: cases (catalogue), vectors, mutants, scenarios, rows (of this run, with
    their outcome), verdicts (implementation -> compliance verdict, where it applies) and
    listed (expected-failure entries naming it)."""
    catalogue = sources.get("catalogue")
    source_notes = dict(sources.get("sources", {}))
    if catalogue is None:
        catalogue = _catalogue_from_rows(rows)
        source_notes["catalogue"] = ("%s; the conformance rows of this run stand in (%d cases)"
                                     % (source_notes.get("catalogue", "no catalogue"),
                                        len(catalogue)))
    by_id = {}
    entries = []
    for req in requirements:
        e = {"id": req["id"], "level": req.get("level", ""), "chapter": req.get("chapter", ""),
             "roles": list(req.get("roles", [])), "statement": req.get("statement", ""),
             "cases": [], "vectors": [], "mutants": [], "scenarios": [], "rows": [],
             "verdicts": {}, "listed": []}
        by_id[req["id"]] = e
        entries.append(e)

    def each(ids):
        return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]

    for c in catalogue:
        for e in each(c.get("requirements", [])):
            e["cases"].append({"id": c["id"], "role": c.get("role", ""),
                               "title": c.get("title", "")})
    for v in sources.get("vectors", []):
        for e in each(v["requirements"]):
            e["vectors"].append({"family": v["family"], "case": v["case"]})
    for m in sources.get("mutants", []):
        for e in each([m["requirement"]]):
            e["mutants"].append({"name": m["name"], "description": m.get("description", ""),
                                 "survivor": bool(m.get("survivor"))})
    for s in sources.get("scenarios", []):
        for e in each(s["requirements"]):
            e["scenarios"].append(s["id"])
    for r in rows:
        for e in each(r.get("requirements", [])):
            e["rows"].append({"id": r["id"], "outcome": expected.outcome(r)})
    for name, table in compliance.items():
        for t in table:
            if t["id"] in by_id:
                by_id[t["id"]]["verdicts"][name] = t["verdict"]
    for name, entries_of in lists.items():
        for x in entries_of:
            if x.requirement in by_id:
                by_id[x.requirement]["listed"].append({"implementation": name,
                                                       "pattern": x.pattern,
                                                       "source": x.source})
    return {"sources": source_notes, "requirements": entries}


def compliance_matrix(compliance):
    """implementation -> level -> {met, failed, expected-failure, untested, not-exercised,
    unsupported, inconclusive, total}: the requirements that apply to the roles it plays,
    counted by their compliance verdict."""
    out = {}
    for name, table in compliance.items():
        levels = {lv: dict({col: 0 for _, col in MATRIX_COLUMNS}, total=0) for lv in LEVELS}
        columns = dict(MATRIX_COLUMNS)
        for t in table:
            if t["level"] not in levels:
                continue
            cell = levels[t["level"]]
            cell[columns.get(t["verdict"], "inconclusive")] += 1
            cell["total"] += 1
        out[name] = levels
    return out
