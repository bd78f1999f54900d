"""CMake configure / build / CTest through the presets in CMakePresets.json."""
import json
import re
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


NINJA_STEP = re.compile(r"^\[(\d+)/(\d+)\]")


def configure_and_build_quietly(preset: str, targets=None, step=None) -> bool:
    """Configures and builds like configure_and_build, but prints nothing while it works:
    `step(k, n)` is called as ninja reports step k of n. On failure the command and the
    tail of its output go to stderr. Returns True when both succeeded."""
    commands = [["cmake", "--preset", preset], ["cmake", "--build", "--preset", preset] +
                (["--target", *targets] if targets else [])]
    for cmd in commands:
        tail = []
        proc = subprocess.Popen(cmd, cwd=paths.ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace")
        try:
            for line in proc.stdout:
                tail = (tail + [line.rstrip("\n")])[-80:]
                m = NINJA_STEP.match(line)
                if m and step is not None:
                    step(int(m.group(1)), int(m.group(2)))
        except BaseException:  # a stop: the build must not outlive it, nor its pipe stay open
            proc.kill()
            proc.stdout.close()
            proc.wait()
            raise
        proc.stdout.close()
        if proc.wait() != 0:
            print("+ " + " ".join(cmd) + "\n" + "\n".join(tail), file=sys.stderr, flush=True)
            return False
    return True


class CtestOutcome:
    """What a CTest run did: per-label pass/fail counts, the failures and the skips.

    A test counts as passed only when it ran and succeeded. A test CTest did not run because
    something is broken (its executable or a required file is missing, a fixture it needs
    failed) is a failure; a test that ran and reported a skip (SKIP_RETURN_CODE) is a skip,
    shown on its own and never inside the passed count."""

    def __init__(self):
        self.by_label = {}
        self.skipped_by_label = {}
        self.failed = []
        self.skipped = []
        self.passed = 0
        self.seconds = 0.0

    def add(self, other: "CtestOutcome"):
        for label, (p, f) in other.by_label.items():
            cp, cf = self.by_label.get(label, (0, 0))
            self.by_label[label] = (cp + p, cf + f)
        for label, n in other.skipped_by_label.items():
            self.skipped_by_label[label] = self.skipped_by_label.get(label, 0) + n
        self.failed += other.failed
        self.skipped += other.skipped
        self.passed += other.passed
        self.seconds += other.seconds


# Messages of a JUnit <skipped> element that mean the test itself chose to skip; any other
# reason for "notrun" (missing executable, missing required files, failed fixture) is a
# broken build or set-up.
SKIP_MESSAGES = ("SKIP_RETURN_CODE", "SKIP_REGULAR_EXPRESSION")


def outcome_from_junit(junit, labels: dict, preset: str, returncode: int) -> CtestOutcome:
    """Counts a CTest JUnit file. `returncode` is ctest's exit status: non-zero with no failed
    test in the file (a crash of ctest, a configuration error) is itself a failure."""
    outcome = CtestOutcome()
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name")
        status = case.get("status", "run")
        skipped = case.find("skipped")
        why = skipped.get("message", "") if skipped is not None else ""
        if status == "disabled":
            kind, detail = "skip", "disabled"
        elif status == "notrun" or skipped is not None:
            if why.startswith(SKIP_MESSAGES):
                kind, detail = "skip", (case.findtext("system-out") or "").strip()
            else:
                out = (case.findtext("system-out") or "").strip()
                kind, detail = "fail", "not run: " + (out or why or "no reason given")
        elif case.find("failure") is not None or case.find("error") is not None or status == "fail":
            kind, detail = "fail", ""
        else:
            kind, detail = "pass", ""
        for label in labels.get(name, ["(no label)"]):
            if kind == "skip":
                outcome.skipped_by_label[label] = outcome.skipped_by_label.get(label, 0) + 1
                continue
            p, f = outcome.by_label.get(label, (0, 0))
            outcome.by_label[label] = (p + (kind == "pass"), f + (kind == "fail"))
        line = "%s [%s]" % (name, preset) + (" (%s)" % detail[-200:] if detail else "")
        if kind == "fail":
            outcome.failed.append(line)
        elif kind == "skip":
            outcome.skipped.append(line)
        else:
            outcome.passed += 1
    if returncode != 0 and not outcome.failed:
        outcome.failed.append("ctest exited with status %d [%s] although no test in its result "
                              "file failed" % (returncode, preset))
    return outcome


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


def ctest(preset: str, extra=(), quiet=False) -> CtestOutcome:
    """Runs CTest for `preset`, returning counts by label (from its JUnit output). `quiet`:
    CTest's own output is not shown (the outcome holds what failed)."""
    junit = paths.build_dir(preset) / "ctest-junit.xml"
    if junit.exists():
        junit.unlink()
    start = time.monotonic()
    cmd = ["ctest", "--preset", preset, "--output-junit", junit, *extra]
    if quiet:
        returncode = subprocess.run([str(c) for c in cmd], cwd=paths.ROOT, check=False,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                                    ).returncode
    else:
        returncode = run(cmd)
    seconds = time.monotonic() - start
    labels = _labels(preset)
    if not junit.exists():
        outcome = CtestOutcome()
        outcome.failed.append("ctest produced no result file (%s), exit status %d" % (junit, returncode))
    else:
        outcome = outcome_from_junit(junit, labels, preset, returncode)
    outcome.seconds = seconds
    return outcome


def print_summary(title: str, outcome: CtestOutcome):
    print("\n== %s ==" % title)
    for label in sorted(set(outcome.by_label) | set(outcome.skipped_by_label)):
        p, f = outcome.by_label.get(label, (0, 0))
        s = outcome.skipped_by_label.get(label, 0)
        print("  %-14s %5d passed %5d failed %5d skipped" % (label, p, f, s))
    for name in outcome.failed:
        print("  FAILED: " + name)
    for name in outcome.skipped:
        print("  SKIPPED: " + name)
    print("%s: %d passed, %d failed, %d skipped" % (title.split()[0].lower(), outcome.passed,
                                                    len(outcome.failed), len(outcome.skipped)))
    sys.stdout.flush()
