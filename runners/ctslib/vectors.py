"""Golden vectors: strict loading, regeneration and drift check, and replay against any
implementation's codec testee (`./cts vectors regen|check|replay`)."""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import build, declines, junit, manifest as manifest_mod, paths, procs
from .framing import JsonProcess, TesteeError

VECTORS = paths.ROOT / "vectors"
FILE_KEYS = {"schema_version", "family", "spec_revision", "description", "input", "cases"}
CASE_KEYS = {"id", "name", "requirements", "comment", "result", "flags", "hex", "packets",
             "context", "fields", "error", "revision"}
# A case's optional "revision": the only protocol revision it belongs to (absent: every one).
REVISIONS = {"seed", "newest"}
CASE_REQUIRED = {"id", "name", "requirements", "comment", "result", "flags"}
RESULTS = {"valid", "invalid", "acceptable"}
HEX_RE = re.compile(r"^(?:[0-9a-f]{2})*$")
FAMILY_OPS = {"handshake_decide": "decide", "handshake_check_ack": "check_ack",
              "windows_names": "names"}
INPUTS = ("hex", "packets", "context", "steps")
# vectors/sessions.json (family "sessions", input "steps"): conversations, not codec cases.
SESSIONS = "sessions"
SESSION_CASE_KEYS = {"id", "name", "requirements", "comment", "peer", "on", "iut", "equivalent",
                     "steps"}
SESSION_CASE_REQUIRED = SESSION_CASE_KEYS - {"equivalent"}
SEND_KEYS = {"what", "hex", "fields", "run_values", "decode"}
DECODE_KEYS = {"family", "bytes", "context", "result", "fields", "error"}
STATUS_CODES = {"OK": 0, "BAD_ENVELOPE": 1, "AUTH_FAILED": 2, "INCOMPATIBLE": 3,
                "UNSUPPORTED": 4, "LIMIT_EXCEEDED": 5, "INTERNAL_ERROR": 6}


class VectorFileError(ValueError):
    pass


def load_file(path: Path) -> dict:
    """Loads one vector file, failing on unknown keys, duplicate ids and malformed hex."""
    try:
        doc = json.loads(path.read_text())
    except ValueError as e:
        raise VectorFileError("%s: not JSON: %s" % (path.name, e)) from e
    if not isinstance(doc, dict) or set(doc) != FILE_KEYS:
        raise VectorFileError("%s: top-level keys must be exactly %s"
                              % (path.name, sorted(FILE_KEYS)))
    if doc["schema_version"] != 1:
        raise VectorFileError("%s: schema_version %r unsupported" % (path.name,
                                                                     doc["schema_version"]))
    if doc["input"] not in INPUTS:
        raise VectorFileError("%s: input %r is not one of %s" % (path.name, doc["input"],
                                                                 list(INPUTS)))
    if (doc["family"] == SESSIONS) != (doc["input"] == "steps"):
        raise VectorFileError("%s: the sessions family and only it has input \"steps\""
                              % path.name)
    if doc["family"] == SESSIONS:
        _check_session_cases(path.name, doc["cases"])
        return doc
    seen_ids, seen_names = set(), set()
    for case in doc["cases"]:
        where = "%s case %s" % (path.name, case.get("id"))
        unknown = set(case) - CASE_KEYS
        if unknown:
            raise VectorFileError("%s: unknown keys %s" % (where, sorted(unknown)))
        missing = CASE_REQUIRED - set(case)
        if missing:
            raise VectorFileError("%s: missing keys %s" % (where, sorted(missing)))
        if case["result"] not in RESULTS:
            raise VectorFileError("%s: result %r" % (where, case["result"]))
        if "revision" in case and case["revision"] not in REVISIONS:
            raise VectorFileError("%s: revision %r is not one of %s"
                                  % (where, case["revision"], sorted(REVISIONS)))
        if case["id"] in seen_ids or case["name"] in seen_names:
            raise VectorFileError("%s: duplicate id or name" % where)
        seen_ids.add(case["id"])
        seen_names.add(case["name"])
        blobs = [case["hex"]] if "hex" in case else case.get("packets", [])
        if doc["input"] == "context":
            if "hex" in case or "packets" in case or not case.get("context"):
                raise VectorFileError("%s: a context-input case has a context and no bytes"
                                      % where)
        elif ("hex" in case) == ("packets" in case):
            raise VectorFileError("%s: exactly one of hex / packets" % where)
        for blob in blobs:
            if not isinstance(blob, str) or not HEX_RE.match(blob):
                raise VectorFileError("%s: malformed hex" % where)
        if case["result"] == "valid" and ("fields" not in case or "error" in case):
            raise VectorFileError("%s: a valid case has fields and no error" % where)
        if case["result"] == "invalid" and ("error" not in case or "fields" in case):
            raise VectorFileError("%s: an invalid case has an error and no fields" % where)
    return doc


def _check_session_cases(name: str, cases):
    """The loader's checks of a sessions file (vectors/README.md, "Session vectors"): known
    keys only, unique ids and names, well-formed hex, labels that tile each packet and agree
    with its bytes, decode annotations shaped like codec cases. nipc-peer checks the rest
    (offsets against its layouts, run values, the order of the steps)."""
    seen_ids, seen_names = set(), set()
    for case in cases:
        where = "%s case %s" % (name, case.get("id"))
        unknown = set(case) - SESSION_CASE_KEYS
        if unknown:
            raise VectorFileError("%s: unknown keys %s" % (where, sorted(unknown)))
        missing = SESSION_CASE_REQUIRED - set(case)
        if missing:
            raise VectorFileError("%s: missing keys %s" % (where, sorted(missing)))
        if case["id"] in seen_ids or case["name"] in seen_names:
            raise VectorFileError("%s: duplicate id or name" % where)
        seen_ids.add(case["id"])
        seen_names.add(case["name"])
        if case["peer"] not in ("client", "server"):
            raise VectorFileError("%s: peer %r" % (where, case["peer"]))
        for k, step in enumerate(case["steps"], start=1):
            sw = "%s step %d" % (where, k)
            kinds = [key for key in ("send", "receive", "expect") if key in step]
            if len(kinds) != 1 or set(step) - {"send", "receive", "expect", "on"}:
                raise VectorFileError("%s: a step is exactly one of send, receive, expect" % sw)
            if "send" in step:
                _check_sent_packet(sw, step["send"])


def _check_sent_packet(where: str, send: dict):
    unknown = set(send) - SEND_KEYS
    if unknown or not {"what", "hex", "fields"} <= set(send):
        raise VectorFileError("%s: send keys must be %s" % (where, sorted(SEND_KEYS)))
    if not isinstance(send["hex"], str) or not HEX_RE.match(send["hex"]):
        raise VectorFileError("%s: malformed hex" % where)
    data = bytes.fromhex(send["hex"])
    at = 0
    for f in send["fields"]:
        if set(f) - {"name", "at", "size", "value"} or f.get("at") != at or f.get("size", 0) <= 0:
            raise VectorFileError("%s: field %r does not continue the packet at byte %d"
                                  % (where, f.get("name"), at))
        if "value" in f and int(f["value"]) != int.from_bytes(data[at:at + f["size"]], "little"):
            raise VectorFileError("%s: field %s says %s, its bytes disagree"
                                  % (where, f["name"], f["value"]))
        at += f["size"]
    if at != len(data):
        raise VectorFileError("%s: the fields cover %d of %d bytes" % (where, at, len(data)))
    for d in send.get("decode", []):
        if set(d) - DECODE_KEYS or not {"family", "bytes", "context", "result"} <= set(d) \
                or d["bytes"] not in ("packet", "payload") \
                or ("fields" in d) == ("error" in d) \
                or d["result"] != ("valid" if "fields" in d else "invalid"):
            raise VectorFileError("%s: malformed decode annotation %s" % (where, d))


def session_decode_cases(case: dict):
    """The codec cases hidden in one session case: every decode annotation of every packet it
    sends, as a case of the annotation's family (bytes: the packet, or what follows its
    32-byte header). Yields (suffix, family, codec case)."""
    for k, step in enumerate(case["steps"], start=1):
        send = step.get("send")
        if not send:
            continue
        data = bytes.fromhex(send["hex"])
        for d in send.get("decode", []):
            part = data if d["bytes"] == "packet" else data[32:]
            codec_case = {"id": case["id"], "name": case["name"], "comment": case["comment"],
                          "requirements": case["requirements"], "flags": [],
                          "result": d["result"], "hex": part.hex(), "context": d["context"]}
            codec_case.update({key: d[key] for key in ("fields", "error") if key in d})
            yield ".step%d.%s" % (k, d["family"]), d["family"], codec_case


def vector_files(directory: Path = None):
    directory = directory or VECTORS
    return sorted(p for p in directory.glob("*.json") if p.is_file())


def load_all(directory: Path = None):
    return [load_file(p) for p in vector_files(directory)]


def rejection_packet_hex(status: str) -> str:
    """The canonical HELLO_ACK rejection packet for `status` (HS-REJECT-001)."""
    header = struct.pack("<IHHHHHHIIQ", 0x4E495043, 1, 32, 3, 0, 2, STATUS_CODES[status],
                         48, 1, 0)
    return (header + struct.pack("<H", 1) + bytes(46)).hex()


def _request(family: str, case: dict) -> dict:
    op = FAMILY_OPS.get(family, "decode")
    req = {"op": op, "family": family}
    if "hex" in case:
        req["hex"] = case["hex"]
    elif "packets" in case:
        req["packets"] = case["packets"]
    req["context"] = case.get("context", {})
    return req


def judge(family: str, case: dict, response: dict, strict_errors=True):
    """Returns (verdict, message) for one testee response to one case."""
    result = response.get("result")
    if result == "unsupported":
        return "unsupported", response.get("reason", "testee declines this family")
    if result == "error":
        return "error", "testee error: %s" % response.get("message", "?")
    if result not in ("valid", "invalid"):
        return "error", "testee answered result=%r" % result
    expected = case["result"]
    if result == "invalid" and family == "handshake_decide" and "hex" in response:
        status = (case.get("error") or "").removeprefix("Status")
        wanted = {k.replace("_", "").lower(): k for k in STATUS_CODES}.get(status.lower())
        if wanted and response["hex"] != rejection_packet_hex(wanted):
            return "fail", "rejection packet %s, expected %s" % (response["hex"],
                                                                rejection_packet_hex(wanted))
    if expected == "valid":
        if result != "valid":
            return "fail", "rejected a valid case with %s" % response.get("error")
        if response.get("fields") != case["fields"]:
            return "fail", "fields differ: expected %s, got %s" % (
                json.dumps(case["fields"], sort_keys=True),
                json.dumps(response.get("fields"), sort_keys=True))
        return "pass", ""
    if expected == "invalid":
        if result != "invalid":
            return "fail", "accepted an invalid case (expected %s)" % case["error"]
        if response.get("error") != case["error"]:
            if strict_errors:
                return "fail", "rejected with %s, expected %s" % (response.get("error"),
                                                                 case["error"])
            return "pass", "rejected with %s (expected class %s)" % (response.get("error"),
                                                                    case["error"])
        return "pass", ""
    # acceptable: either verdict, but an acceptance must decode the same fields
    if result == "valid" and "fields" in case and response.get("fields") != case["fields"]:
        return "fail", "accepted with different fields than the reference"
    return "pass", "acceptable: testee said %s" % result


def replay(manifest, out_dir: Path, families=None, case_filter=None, strict_errors=True,
           verbose=False, case_select=None):
    """Replays every vector against the manifest's codec testee; returns the result rows.
    `case_select(family, case)`, when given, must be true for a case to be replayed (the
    run's --only)."""
    if manifest.codec is None:
        raise manifest_mod.ManifestError("%s has no [codec] testee" % manifest.path)
    files = load_all()
    proc = JsonProcess(manifest.codec.command)
    rows = []
    try:
        hello = proc.call({"op": "hello"})
        declared = set(hello.get("families", [])) | set(manifest.codec.families)
        for doc in files:
            family = doc["family"]
            if families and family not in families:
                continue
            for case in doc["cases"]:
                if case_filter and not re.search(case_filter, case["name"]):
                    continue
                if case_select and not case_select(family, case):
                    continue
                for suffix, request, judge_fn, needs in _all_checks(family, case, strict_errors):
                    start = time.monotonic()
                    if declared and needs not in declared:
                        verdict, message = "unsupported", "testee does not list family " + needs
                    else:
                        try:
                            verdict, message = judge_fn(proc.call(request))
                        except TesteeError as e:
                            rows.append(_row(family, case, suffix, "error", str(e), start,
                                             proc.stderr_tail()))
                            _print_row(rows[-1], case, verbose)
                            proc.close()
                            proc = JsonProcess(manifest.codec.command)
                            proc.call({"op": "hello"})
                            continue
                    rows.append(_row(family, case, suffix, verdict, message, start))
                    _print_row(rows[-1], case, verbose)
    finally:
        proc.close()
    return rows


def _all_checks(family, case, strict_errors):
    """(suffix, request, judge, family the testee must support) for one case: a codec case's
    own checks, or the decode checks of a session case's packets."""
    if family == SESSIONS:
        for suffix, fam, codec_case in session_decode_cases(case):
            yield (suffix, _request(fam, codec_case),
                   lambda resp, fam=fam, cc=codec_case: judge(fam, cc, resp, strict_errors), fam)
        return
    for suffix, request, judge_fn in _checks(family, case, strict_errors):
        yield suffix, request, judge_fn, family


def _checks(family, case, strict_errors):
    """The requests one case makes: its decode (or decide / check_ack) verdict, and for a
    valid case flagged Canonical also the encoding of its fields."""
    checks = [("", _request(family, case),
               lambda resp: judge(family, case, resp, strict_errors))]
    if case["result"] == "valid" and "Canonical" in case["flags"] and "hex" in case:
        req = {"op": "encode", "family": family, "fields": case["fields"],
               "context": case.get("context", {})}
        checks.append((".encode", req, lambda resp: judge_encode(case, resp)))
    return checks


def judge_encode(case, response):
    result = response.get("result")
    if result == "unsupported":
        return "unsupported", response.get("reason", "testee does not encode this family")
    if result != "valid":
        return "fail", "encoding the fields failed: %s" % response.get("error",
                                                                     response.get("message"))
    if response.get("hex") != case["hex"]:
        return "fail", "encoded %s, expected %s" % (response.get("hex"), case["hex"])
    return "pass", ""


def _print_row(row, case, verbose):
    if verbose or row["verdict"] in ("fail", "error"):
        print("%-5s %s/%s [%s] %s" % (row["verdict"].upper(), row["family"], row["name"],
                                      ",".join(case["requirements"]), row["message"]),
              flush=True)


def _row(family, case, suffix, verdict, message, start, stderr_tail=None):
    details = "case %d %s: %s\nrequirements: %s\n%s" % (
        case["id"], case["name"], case["comment"], " ".join(case["requirements"]), message)
    if stderr_tail:
        details += "\ntestee stderr:\n" + "\n".join(stderr_tail)
    return {"suite": "vectors." + family,
            "name": "%d-%s%s" % (case["id"], case["name"], suffix),
            "family": family, "case_id": case["id"], "requirements": case["requirements"],
            "verdict": verdict, "message": message, "details": details,
            "seconds": time.monotonic() - start}


def summarize(rows):
    counts = {}
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return counts


# ---- command-line entry points ------------------------------------------------------------

GENERATOR = "reference/tools/nipc-vectors/nipc-vectors"
# What `regen`, `check` and `replay` build first: the generator and the reference's testee.
REFERENCE_TARGETS = ["nipc-vectors", "nipc-codec-testee", "nipc-ref"]


def _generator_path():
    return paths.host_binary("default", GENERATOR)


def _build_generator() -> bool:
    return build.configure_and_build("default", REFERENCE_TARGETS)


def cmd_regen(_args) -> int:
    if not _build_generator():
        return 1
    return build.run([_generator_path(), "--out", VECTORS])


def first_difference(expected_dir: Path, actual_dir: Path):
    """Describes the first file/case that differs, or None when the trees match."""
    names = sorted({p.name for p in expected_dir.glob("*.json")} |
                   {p.name for p in actual_dir.glob("*.json")})
    for name in names:
        a, b = expected_dir / name, actual_dir / name
        if not a.exists():
            return "%s: generated but not checked in" % name
        if not b.exists():
            return "%s: checked in but no longer generated" % name
        if a.read_bytes() == b.read_bytes():
            continue
        da, db = json.loads(a.read_text()), json.loads(b.read_text())
        ca = {c["id"]: c for c in da.get("cases", [])}
        cb = {c["id"]: c for c in db.get("cases", [])}
        for cid in sorted(set(ca) | set(cb)):
            if ca.get(cid) != cb.get(cid):
                return "%s case %s differs:\n  checked in: %s\n  generated:  %s" % (
                    name, cid, json.dumps(ca.get(cid), sort_keys=True)[:600],
                    json.dumps(cb.get(cid), sort_keys=True)[:600])
        return "%s: file-level fields or formatting differ" % name
    return None


def cmd_check(args) -> int:
    generator = Path(args.generator) if args.generator else _generator_path()
    if not args.generator and not _build_generator():
        return 1
    with tempfile.TemporaryDirectory(prefix="cts-vectors-") as tmp:
        if build.run([generator, "--out", tmp]) != 0:
            print("vectors check: the generator failed", file=sys.stderr)
            return 1
        diff = first_difference(VECTORS, Path(tmp))
    try:
        files = load_all()
    except VectorFileError as e:
        print("vectors check: %s" % e, file=sys.stderr)
        return 1
    total = sum(len(d["cases"]) for d in files)
    if diff:
        print("vectors check: checked-in vectors differ from regeneration (run "
              "./cts vectors regen and review):\n" + diff, file=sys.stderr)
        return 1
    print("vectors check: %d files, %d cases, identical to regeneration" % (len(files), total))
    return 0


def cmd_replay(args) -> int:
    placeholders = {"build_dir": str(Path(args.build_dir).resolve())} if args.build_dir else None
    m = manifest_mod.load(args.impl, placeholders)
    if args.build:
        if not _build_generator():
            return 1
    if not manifest_mod.report_missing_programs([m], "vector replay"):
        return 2
    out_dir = Path(args.out) if args.out else paths.OUT / "vectors" / m.name
    if m.launcher:
        procs.quiet_wine()
    if m.probe:
        from .procs import probe
        why = probe(m)
        if why:
            print("vector replay: environment: %s could not start %s: %s (not a conformance "
                  "result)" % (" ".join(m.launcher) or "the platform", m.name, why),
                  file=sys.stderr)
            return 2
    start = time.monotonic()
    rows = replay(m, out_dir, families=args.family, case_filter=args.case,
                  strict_errors=not args.lenient_errors, verbose=args.verbose)
    elapsed = time.monotonic() - start
    if declines.is_reference(args.impl):
        declines.hold(rows, declines.load()["vectors"], lambda r: "%s/%s" % (r["family"], r["name"]),
                      "vector replay")
    counts = summarize(rows)
    junit.write_junit(out_dir / "junit.xml", "vectors-" + m.name, rows)
    junit.write_json(out_dir / "replay.json", {
        "implementation": {"name": m.name, "language": m.language, "version": m.version},
        "seconds": round(elapsed, 3), "counts": counts, "results": rows})
    by_family = {}
    for r in rows:
        f = by_family.setdefault(r["family"], {})
        f[r["verdict"]] = f.get(r["verdict"], 0) + 1
    print("\nvector replay against %s (%.1f s):" % (m.name, elapsed))
    for family in sorted(by_family):
        print("  %-28s %s" % (family, ", ".join("%s %d" % kv
                                                for kv in sorted(by_family[family].items()))))
    print("  reports: %s, %s" % (out_dir / "replay.json", out_dir / "junit.xml"))
    failed = counts.get("fail", 0) + counts.get("error", 0)
    print("replay: %d passed, %d failed, %d skipped" % (
        counts.get("pass", 0), failed, counts.get("unsupported", 0)))
    return 1 if failed or not rows else 0
