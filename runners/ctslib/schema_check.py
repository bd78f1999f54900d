"""Validates the golden vector files (`./cts vectors schema`): each file against
vectors/schema/vector-file.schema.json (JSON Schema 2020-12, python3-jsonschema), then the
rules a schema cannot state: the family matches the file name, the spec revision matches
spec/requirements.json, every requirement ID exists there, every error class is a row of the
reference's error table or a handshake verdict, and case ids run 1, 2, 3, ...
vectors/sessions.json is checked against vectors/schema/sessions.schema.json instead, with the
same rules applied to its cases, its expectations' requirements and its decode annotations."""
import json
import re
import sys
from pathlib import Path

from . import paths

SCHEMA = paths.ROOT / "vectors" / "schema" / "vector-file.schema.json"
SESSIONS_SCHEMA = paths.ROOT / "vectors" / "schema" / "sessions.schema.json"
ERRORS_H = paths.ROOT / "reference" / "include" / "nipc" / "codec" / "errors.h"
# windows_names cases are refused with transport error kinds (NameTooLong, ...).
TRANSPORT_ERRORS_H = paths.ROOT / "reference" / "include" / "nipc" / "transport" / "error.h"
HANDSHAKE_VERDICTS = {"StatusBadEnvelope", "StatusAuthFailed", "StatusIncompatible",
                      "StatusUnsupported", "StatusLimitExceeded", "StatusInternalError",
                      "SilentClose"}


def error_classes():
    """The error names of the reference's codec and transport tables plus the handshake
    verdict classes."""
    names = set()
    for header in (ERRORS_H, TRANSPORT_ERRORS_H):
        names |= set(re.findall(r"X\((\w+),\s*\"", header.read_text()))
    return names | HANDSHAKE_VERDICTS


def session_rules(case: dict):
    """(requirement IDs, error classes) a session case uses besides its own requirements:
    those of its expectations and of its packets' decode annotations."""
    reqs, errors = [], []
    for step in case["steps"]:
        if "expect" in step:
            reqs.append(step["expect"]["requirement"])
        for d in step.get("send", {}).get("decode", []):
            if "error" in d:
                errors.append(d["error"])
    return reqs, errors


def check_file(path: Path, validator, requirements: dict, revision: str, errors: set,
               sessions_validator=None):
    """Returns the problems of one vector file, each a line naming the file (and case)."""
    try:
        doc = json.loads(path.read_text())
    except ValueError as e:
        return ["%s: not JSON: %s" % (path.name, e)]
    if isinstance(doc, dict) and doc.get("family") == "sessions" and sessions_validator:
        validator = sessions_validator
    problems = ["%s: %s at %s" % (path.name, e.message, "/".join(str(p) for p in e.absolute_path)
                                  or "(top)")
                for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))]
    if problems:
        return problems
    if doc["family"] != path.stem:
        problems.append("%s: family %r does not match the file name" % (path.name, doc["family"]))
    if doc["spec_revision"] != revision:
        problems.append("%s: spec_revision %s, spec/requirements.json has %s"
                        % (path.name, doc["spec_revision"], revision))
    for expected_id, case in enumerate(doc["cases"], start=1):
        where = "%s case %d %s" % (path.name, case["id"], case["name"])
        if case["id"] != expected_id:
            problems.append("%s: id should be %d (ids count up from 1)" % (where, expected_id))
        extra_reqs, case_errors = session_rules(case) if doc["family"] == "sessions" else (
            [], [case["error"]] if "error" in case else [])
        for req in case["requirements"] + extra_reqs:
            if req not in requirements:
                problems.append("%s: requirement %s is not in spec/requirements.json"
                                % (where, req))
        for error in case_errors:
            if error not in errors:
                problems.append("%s: error class %s is neither in the error table nor a "
                                "handshake verdict" % (where, error))
    return problems


def _validator(jsonschema, path: Path):
    schema = json.loads(path.read_text())
    # The schema's $id is relative; older jsonschema releases (Debian 12) resolve "#/$defs/..."
    # against it twice. An absolute file URI resolves the same way in every release.
    schema["$id"] = path.resolve().as_uri()
    return jsonschema.Draft202012Validator(schema)


def main(argv=None) -> int:
    directory = Path(argv[0]) if argv else paths.ROOT / "vectors"
    try:
        import jsonschema
    except ImportError:
        print("vectors schema: python3-jsonschema is not installed for %s" % sys.executable,
              file=sys.stderr)
        return 1
    validator, sessions_validator = (_validator(jsonschema, p) for p in (SCHEMA, SESSIONS_SCHEMA))
    index = json.loads((paths.SPEC / "requirements.json").read_text())
    requirements = {r["id"]: r for r in index["requirements"]}
    errors = error_classes()
    files = sorted(directory.glob("*.json"))
    if not files:
        print("vectors schema: no vector files in %s" % directory, file=sys.stderr)
        return 1
    problems, cases = [], 0
    for path in files:
        problems += check_file(path, validator, requirements, index["spec_revision"], errors,
                               sessions_validator)
        try:
            cases += len(json.loads(path.read_text()).get("cases", []))
        except ValueError:
            pass
    for p in problems:
        print("vectors schema: " + p, file=sys.stderr)
    if problems:
        return 1
    print("vectors schema: %d files, %d cases valid" % (len(files), cases))
    return 0


def cmd_schema(args) -> int:
    return main([args.dir] if args.dir else [])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
