"""JUnit XML and JSON result files shared by the replay, conformance and matrix runners."""
import json
import xml.etree.ElementTree as ET
from pathlib import Path


def write_junit(path: Path, suite_name: str, results):
    """`results`: dicts with keys suite, name, verdict (pass|fail|unsupported|not-applicable|
    error), seconds, message, details, and optionally platform (a testcase property).
    Unsupported and not-applicable become <skipped>."""
    root = ET.Element("testsuites", name=suite_name)
    suites = {}
    for r in results:
        suites.setdefault(r["suite"], []).append(r)
    for suite, rows in suites.items():
        failures = sum(r["verdict"] == "fail" for r in rows)
        errors = sum(r["verdict"] == "error" for r in rows)
        skipped = sum(r["verdict"] in ("unsupported", "not-applicable") for r in rows)
        el = ET.SubElement(root, "testsuite", name=suite, tests=str(len(rows)),
                           failures=str(failures), errors=str(errors), skipped=str(skipped),
                           time="%.3f" % sum(r.get("seconds", 0.0) for r in rows))
        for r in rows:
            case = ET.SubElement(el, "testcase", classname=suite, name=r["name"],
                                 time="%.3f" % r.get("seconds", 0.0))
            if r.get("platform"):
                props = ET.SubElement(case, "properties")
                ET.SubElement(props, "property", name="platform", value=r["platform"])
            message = r.get("message", "")
            if r["verdict"] == "fail":
                ET.SubElement(case, "failure", message=message).text = r.get("details", "")
            elif r["verdict"] == "error":
                ET.SubElement(case, "error", message=message).text = r.get("details", "")
            elif r["verdict"] in ("unsupported", "not-applicable"):
                ET.SubElement(case, "skipped", message="%s: %s" % (r["verdict"], message))
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def write_json(path: Path, document):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
