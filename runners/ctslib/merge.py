"""`./cts report --merge DIR...`: joins the reports of the shards of one run (`./cts run
--shard K/N` on N machines) into one report with every file a run writes: report.json,
junit.xml, summary.md, the HTML pages, the compliance tables and the evidence directories.

The shards must describe the same implementations (the same manifest facts under the same
names); a row id found in two shards with different content, a shard from another spec
revision or a missing shard of K/N is an error (exit 2), so a merged report never passes for
a run that did not happen in full."""
import argparse
import datetime
import json
import shutil
import sys
from pathlib import Path

from . import expected, history, report
from .manifest import Capabilities, ClientSpec, CodecTesteeSpec, Manifest, ServerSpec

EVIDENCE_DIRS = ("cells", "conformance", "vectors", "repro")
EXIT_OK, EXIT_FAILED, EXIT_SETUP = 0, 1, 2


class MergeError(Exception):
    """The shard reports cannot be joined into one honest report."""


def load_shard(path: Path):
    """(report directory, report document) of a report directory or report.json."""
    path = Path(path)
    directory = path if path.is_dir() else path.parent
    file = path / "report.json" if path.is_dir() else path
    try:
        return directory, json.loads(file.read_text())
    except (OSError, ValueError) as e:
        raise MergeError("%s: %s" % (file, e)) from e


def manifest_of(impl: dict) -> Manifest:
    """A Manifest standing for an implementation document of a report: what the report
    writers read of it (name, roles, profiles, fixed values, ...); no command."""
    roles = impl.get("roles", [])
    return Manifest(
        path=Path(impl.get("manifest", "")), name=impl["name"],
        language=impl.get("language", ""), version=impl.get("version", ""),
        platform=impl.get("platform", "linux"), launcher=list(impl.get("launcher", [])),
        build=impl.get("build", "default"),
        codec=CodecTesteeSpec(command=[]) if "codec" in roles else None,
        server=ServerSpec(command=[], sessions=impl.get("server_sessions") or "forever")
        if "server" in roles else None,
        client=ClientSpec(command=[]) if "client" in roles else None,
        capabilities=Capabilities(roles=list(roles), service_kinds=impl.get("service_kinds", []),
                                  scenarios=impl.get("scenarios", []),
                                  profiles=impl.get("profiles", []),
                                  configurable=impl.get("configurable", True)),
        fixed=dict(impl.get("fixed", {})))


def _same_impl(a: dict, b: dict) -> bool:
    keys = set(a) | set(b)
    keys.discard("expected_failures")
    return all(a.get(k) == b.get(k) for k in keys)


def merge_documents(shards):
    """shards: [(directory, document)] -> (rows, manifests, notes, facts) for report.document;
    raises MergeError when they do not belong together."""
    if not shards:
        raise MergeError("nothing to merge")
    revisions = {doc.get("spec_revision") for _, doc in shards}
    if len(revisions) > 1:
        raise MergeError("the shards were run against different spec revisions: %s"
                         % ", ".join(sorted(str(r) for r in revisions)))
    impls, order = {}, []
    for directory, doc in shards:
        for impl in doc.get("implementations", []):
            seen = impls.get(impl["name"])
            if seen is None:
                impls[impl["name"]] = impl
                order.append(impl["name"])
            elif not _same_impl(seen, impl):
                raise MergeError("implementation %r differs between the shards (%s): merge "
                                 "reports of the same manifests only" % (impl["name"],
                                                                          directory))
    rows, origin = {}, {}
    for directory, doc in shards:
        for r in doc.get("results", []):
            if r["id"] in rows and rows[r["id"]] != r:
                raise MergeError("row %s is in %s and in %s with different results"
                                 % (r["id"], origin[r["id"]], directory))
            rows.setdefault(r["id"], r)
            origin.setdefault(r["id"], directory)
    notes = []
    shard_names = sorted({doc.get("options", {}).get("shard", "1/1") for _, doc in shards})
    totals = {s.split("/")[1] for s in shard_names}
    if len(totals) > 1:
        raise MergeError("the shards split the run differently: %s" % ", ".join(shard_names))
    n = int(totals.pop())
    missing = sorted(set("%d/%d" % (k, n) for k in range(1, n + 1)) - set(shard_names))
    if missing:
        raise MergeError("shard%s %s of the run %s missing: a merged report must cover the "
                         "whole run" % ("s" if len(missing) > 1 else "", ", ".join(missing),
                                        "are" if len(missing) > 1 else "is"))
    notes.append("merged from %d shard report%s (%s): %s" % (
        len(shards), "s" if len(shards) > 1 else "", ", ".join(shard_names),
        ", ".join(str(d) for d, _ in shards)))
    for _, doc in shards:
        notes += [n for n in doc.get("notes", []) if n not in notes]
    starts = [doc.get("started_at") for _, doc in shards if doc.get("started_at")]
    facts = {
        "started": datetime.datetime.fromisoformat(min(starts)) if starts else
        datetime.datetime.now(datetime.timezone.utc),
        "seconds": max(float(doc.get("seconds", 0)) for _, doc in shards),
        "options": shards[0][1].get("options", {}),
        "interrupted": any(doc.get("interrupted") for _, doc in shards),
        "not_run": sorted({i for _, doc in shards
                           for i in doc.get("summary", {}).get("not_run", [])}),
        "repro": {k: sum(doc.get("summary", {}).get("repro", {}).get(k, 0) for _, doc in shards)
                  for k in ("written", "not_written")},
    }
    ordered = sorted(rows.values(), key=lambda r: r["id"])
    return ordered, [manifest_of(impls[name]) for name in order], notes, facts


def merge(paths_, out_dir: Path):
    """Writes the merged report of the shard reports `paths_` into `out_dir`; returns its
    document. Raises MergeError (nothing is written) when they do not belong together."""
    shards = [load_shard(Path(p)) for p in paths_]
    rows, manifests, notes, facts = merge_documents(shards)
    options = facts["options"]
    args = argparse.Namespace(jobs=options.get("jobs", 1), shard=(1, 1),
                              strict=options.get("strict", False),
                              diagnose=options.get("diagnose", 0),
                              capture=options.get("capture", True),
                              only=options.get("only") or None,
                              scenario=options.get("scenarios") or None)
    try:
        lists = expected.load([m.name for m in manifests])
    except expected.ExpectedListError:
        lists = {}
    doc = report.document(rows=rows, manifests=manifests, lists=lists, notes=notes,
                          started=facts["started"], seconds=facts["seconds"], args=args,
                          interrupted=facts["interrupted"])
    doc["command"] = ["./cts", "report", "--merge"] + [str(p) for p in paths_]
    judged = [r for r in rows if not r.get("environment")]
    code = EXIT_FAILED if expected.run_failed(judged, args.strict) or not rows else EXIT_OK
    if code == EXIT_OK and (len(judged) != len(rows) or facts["interrupted"]):
        code = EXIT_SETUP
    doc["summary"]["exit_code"] = code
    doc["summary"]["not_run"] = facts["not_run"]
    doc["summary"]["repro"] = dict(facts["repro"], limit=0, errors=[])
    out_dir.mkdir(parents=True, exist_ok=True)
    for directory, _ in shards:
        for name in EVIDENCE_DIRS:
            if (directory / name).is_dir():
                shutil.copytree(directory / name, out_dir / name, dirs_exist_ok=True)
    (out_dir / ".netipc-cts-report").write_text("A netipc-cts report merged from shards.\n")
    report.write_all(out_dir, doc)
    return doc


def cmd_merge(args) -> int:
    """`./cts report --merge DIR... [--out DIR]`: exit 0 when the merged run passed, 1 when
    it failed, 2 when the shards cannot be merged."""
    from .run import OutDirError, check_out_dir
    started = datetime.datetime.now(datetime.timezone.utc)
    try:
        out_dir = check_out_dir(Path(args.out) if args.out else
                                history.new_run_dir(started))
        doc = merge(args.merge, out_dir)
    except (MergeError, OutDirError) as e:
        print("cts report: --merge: %s" % e, file=sys.stderr)
        return EXIT_SETUP
    if not args.out:
        why = history.point_latest(out_dir)
        if why:
            print("cts report: %s" % why, file=sys.stderr)
    report.print_summary(doc, out_dir)
    return doc["summary"]["exit_code"]
