#!/usr/bin/env python3
"""Proves that vector replay catches a testee that breaks one rule (CTest
vectors.wrong_testee_is_caught).

Runs `./cts vectors replay` against runners/tests/fixtures/flip_rule_testee.py wrapped around
the reference's testee, with one error class flipped to "accepted", and checks that the replay
fails, that its output names every case expecting that error together with the error's
requirement ID, and that no other case fails."""
import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "runners" / "tests" / "fixtures" / "flip_rule_testee.py"


def requirement_of(error_class: str) -> str:
    errors_h = (ROOT / "reference/include/nipc/codec/errors.h").read_text()
    match = re.search(r'X\(%s,\s*"([^"]+)"' % re.escape(error_class), errors_h)
    if not match:
        raise SystemExit("%s is not in the error table" % error_class)
    return match.group(1)


def affected_cases(error_class: str):
    """(family, "<id>-<name>") of every case whose expected error is `error_class`, as replay
    names it."""
    cases = []
    for path in sorted((ROOT / "vectors").glob("*.json")):
        doc = json.loads(path.read_text())
        cases += [(doc["family"], "%d-%s" % (c["id"], c["name"])) for c in doc["cases"]
                  if c.get("error") == error_class]
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--testee", required=True, help="the reference's nipc-codec-testee")
    parser.add_argument("--error", default="HelloNonzeroReserved", help="error class to flip")
    parser.add_argument("--out", help="report directory for the replay")
    args = parser.parse_args()

    requirement = requirement_of(args.error)
    expected = affected_cases(args.error)
    if not expected:
        print("no vector expects %s; nothing to prove" % args.error)
        return 1
    with tempfile.TemporaryDirectory(prefix="cts-wrong-testee-") as tmp:
        manifest = Path(tmp) / "wrong.toml"
        command = [sys.executable, str(FIXTURE), "--accept", args.error, "--", args.testee]
        manifest.write_text(
            '[implementation]\nname = "accepts-%s"\nlanguage = "Python"\n\n'
            "[codec]\ncommand = %s\n" % (args.error, json.dumps(command)))
        out_dir = args.out or str(Path(tmp) / "out")
        run = subprocess.run([sys.executable, str(ROOT / "cts"), "vectors", "replay", "--impl",
                              str(manifest), "--no-build", "--out", out_dir],
                             cwd=ROOT, capture_output=True, text=True, check=False)
    output = run.stdout + run.stderr
    print(output)

    problems = []
    if run.returncode == 0:
        problems.append("replay passed although the testee accepts %s" % args.error)
    fail_lines = [line for line in output.splitlines() if line.startswith("FAIL")]
    for family, name in expected:
        wanted = re.compile(r"^FAIL\s+%s/%s \[[^\]]*\b%s\b" % (
            re.escape(family), re.escape(name), re.escape(requirement)))
        if not any(wanted.match(line) for line in fail_lines):
            problems.append("no FAIL line names %s/%s with %s" % (family, name, requirement))
    if len(fail_lines) != len(expected):
        problems.append("%d cases failed, %d expected: only the flipped rule may fail"
                        % (len(fail_lines), len(expected)))
    for p in problems:
        print("check_replay_catches: " + p, file=sys.stderr)
    if not problems:
        print("check_replay_catches: replay caught all %d cases expecting %s (%s)"
              % (len(expected), args.error, requirement))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
