"""CMake configure / build / CTest through the presets in CMakePresets.json."""
import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

from . import paths


def run(cmd, **kw) -> int:
    """Runs `cmd` from the source root, echoing it; returns the exit code."""
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], cwd=paths.ROOT, check=False, **kw).returncode


def configure_and_build(preset: str, targets=None) -> bool:
    if run(["cmake", "--preset", preset]) != 0:
        return False
    cmd = ["cmake", "--build", "--preset", preset]
    if targets:
        cmd += ["--target", *targets]
    return run(cmd) == 0


class CtestOutcome:
    """What a CTest run did: per-label pass/fail counts and the failures."""

    def __init__(self):
        self.by_label = {}
        self.failed = []
        self.passed = 0
        self.seconds = 0.0

    def add(self, other: "CtestOutcome"):
        for label, (p, f) in other.by_label.items():
            cp, cf = self.by_label.get(label, (0, 0))
            self.by_label[label] = (cp + p, cf + f)
        self.failed += other.failed
        self.passed += other.passed
        self.seconds += other.seconds


def _labels(preset: str):
    out = subprocess.run(["ctest", "--preset", preset, "--show-only=json-v1"], cwd=paths.ROOT,
                         capture_output=True, text=True, check=False)
    labels = {}
    if out.returncode != 0:
        return labels
    for test in json.loads(out.stdout).get("tests", []):
        for prop in test.get("properties", []):
            if prop.get("name") == "LABELS":
                labels[test["name"]] = prop.get("value", [])
    return labels


def ctest(preset: str, extra=()) -> CtestOutcome:
    """Runs CTest for `preset`, returning counts by label (from its JUnit output)."""
    junit = paths.build_dir(preset) / "ctest-junit.xml"
    if junit.exists():
        junit.unlink()
    start = time.monotonic()
    run(["ctest", "--preset", preset, "--output-junit", junit, *extra])
    outcome = CtestOutcome()
    outcome.seconds = time.monotonic() - start
    labels = _labels(preset)
    if not junit.exists():
        outcome.failed.append("ctest produced no result file (%s)" % junit)
        return outcome
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name")
        status = case.get("status", "run")
        if status in ("notrun", "disabled") or case.find("skipped") is not None:
            continue
        failed = case.find("failure") is not None or case.find("error") is not None \
            or status == "fail"
        for label in labels.get(name, ["(no label)"]):
            p, f = outcome.by_label.get(label, (0, 0))
            outcome.by_label[label] = (p + (not failed), f + failed)
        if failed:
            outcome.failed.append("%s [%s]" % (name, preset))
        else:
            outcome.passed += 1
    return outcome


def print_summary(title: str, outcome: CtestOutcome):
    print("\n== %s ==" % title)
    for label in sorted(outcome.by_label):
        p, f = outcome.by_label[label]
        print("  %-14s %5d passed %5d failed" % (label, p, f))
    for name in outcome.failed:
        print("  FAILED: " + name)
    print("%s: %d passed, %d failed" % (title.split()[0].lower(), outcome.passed,
                                        len(outcome.failed)))
    sys.stdout.flush()
