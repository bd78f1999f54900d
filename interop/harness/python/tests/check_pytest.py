"""Runs pytest_example.py under pytest twice: with the correct toy every outer_header and
chunk_header check passes and the rest are skipped; with the wrong toy exactly the six
catching cases fail. Exit 0 when both hold, 1 when not, 77 (skipped) when pytest is not
installed for this interpreter."""
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import nipc_vectors as nv  # noqa: E402
import toy_codecs as toy  # noqa: E402
from test_nipc_vectors import VECTORS, WRONG_FAILS  # noqa: E402


def pytest_run(toy_name):
    env = dict(os.environ, NIPC_HARNESS_TOY=toy_name, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", "--tb=line", "-p", "no:cacheprovider",
                           str(HERE / "pytest_example.py")],
                          env=env, cwd=str(HERE), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    return proc.returncode, proc.stdout


def main():
    try:
        import pytest  # noqa: F401
    except ImportError:
        print("SKIPPED: pytest is not installed for %s: the pytest use of the Python harness "
              "is not tested" % sys.executable)
        return 77
    problems = []
    correct = nv.run(VECTORS, toy.CORRECT_DECODE, toy.CORRECT_ENCODE)
    rc, out = pytest_run("correct")
    want = "%d passed, %d skipped" % (len(correct.of("pass")), len(correct.of("skip")))
    if rc != 0 or want not in out:
        problems.append("correct toy: exit %d, expected '%s' in:\n%s" % (rc, want, out[-2000:]))
    rc, out = pytest_run("wrong")
    failed = set(re.findall(r"^FAILED \S+::test_vector\[([^\]]+)\]", out, re.M))
    want_failed = {"%s/%d-%s" % (f, i, n) for f, cases in WRONG_FAILS.items()
                   for i, n in cases.items()}
    if rc != 1 or failed != want_failed:
        problems.append("wrong toy: exit %d, failed %s, expected %s:\n%s" % (
            rc, sorted(failed), sorted(want_failed), out[-3000:]))
    for p in problems:
        print("FAIL " + p)
    print("pytest: correct toy '%s'; wrong toy failed %d check(s) as expected" % (want, len(failed))
          if not problems else "pytest: %d problem(s)" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
