"""Runs one runner test module for CTest: exit 0 when every test ran and passed, 1 on any
failure or error, 77 (CTest's SKIP_RETURN_CODE) when nothing failed but a test was skipped,
so that CTest reports the module as skipped and never counts a skip as a pass."""
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

SKIPPED = 77


def main(argv) -> int:
    if len(argv) != 2:
        print("usage: run_module.py runners.tests.<module>", file=sys.stderr)
        return 2
    suite = unittest.defaultTestLoader.loadTestsFromName(argv[1])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if not result.wasSuccessful():
        return 1
    if result.testsRun == 0:
        print("%s: no test ran" % argv[1], file=sys.stderr)
        return 1
    if result.skipped:
        print("%s: %d test(s) skipped:" % (argv[1], len(result.skipped)))
        for test, why in result.skipped:
            print("  SKIPPED %s: %s" % (test.id(), why))
        return SKIPPED
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
