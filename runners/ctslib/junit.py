"""JUnit XML and JSON result files shared by the replay, conformance and matrix runners."""
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from . import textsafe


def _x(text) -> str:
    """Text an XML file can carry whatever an implementation printed: bounded, with control
    characters and what XML 1.0 forbids written as visible escapes."""
    return textsafe.xml_text(textsafe.clip("" if text is None else str(text)))


def write_junit(path: Path, suite_name: str, results):
    """`results`: dicts with keys suite, name, verdict (pass|fail|unsupported|not-applicable|
    error), seconds, message, details, and optionally platform (a testcase property).
    Unsupported and not-applicable become <skipped>, as does "not-run" (a task an interrupt
    kept from running). Every text is made XML-safe (_x), so the file is well-formed
    whatever the implementation printed."""
    root = ET.Element("testsuites", name=suite_name)
    suites = {}
    for r in results:
        suites.setdefault(r["suite"], []).append(r)
    for suite, rows in suites.items():
        failures = sum(r["verdict"] == "fail" for r in rows)
        errors = sum(r["verdict"] == "error" for r in rows)
        skipped = sum(r["verdict"] in ("unsupported", "not-applicable", "not-run")
                      for r in rows)
        el = ET.SubElement(root, "testsuite", name=_x(suite), tests=str(len(rows)),
                           failures=str(failures), errors=str(errors), skipped=str(skipped),
                           time="%.3f" % sum(r.get("seconds", 0.0) for r in rows))
        for r in rows:
            case = ET.SubElement(el, "testcase", classname=_x(suite), name=_x(r["name"]),
                                 time="%.3f" % r.get("seconds", 0.0))
            if r.get("platform") or r.get("spec_revision"):
                props = ET.SubElement(case, "properties")
                if r.get("platform"):
                    ET.SubElement(props, "property", name="platform", value=_x(r["platform"]))
                if r.get("spec_revision"):
                    # The protocol revision the verdict was reached at (--spec-revision).
                    ET.SubElement(props, "property", name="spec_revision",
                                  value=_x(r["spec_revision"]))
            message = _x(r.get("message", ""))
            if r["verdict"] == "fail":
                ET.SubElement(case, "failure", message=message).text = _x(r.get("details", ""))
            elif r["verdict"] == "error":
                ET.SubElement(case, "error", message=message).text = _x(r.get("details", ""))
            elif r["verdict"] in ("unsupported", "not-applicable", "not-run"):
                ET.SubElement(case, "skipped", message="%s: %s" % (r["verdict"], message))
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def write_json(path: Path, document):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
