"""`./cts test` counts CTest's results strictly: a test CTest could not run (missing
executable, missing required file, failed fixture) fails the run, a test that skipped is shown
as a skip and never counted as passed, and a non-zero ctest exit with nothing failed in its
result file fails too. The JUnit files come from a real ctest run on a tiny project."""
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import requires  # noqa: E402
from ctslib import build  # noqa: E402

PROJECT = """cmake_minimum_required(VERSION 3.25)
project(t NONE)
enable_testing()
add_test(NAME passes COMMAND true)
add_test(NAME has_no_executable COMMAND /nonexistent/netipc-cts-program)
add_test(NAME skips COMMAND sh -c "exit 77")
set_tests_properties(skips PROPERTIES SKIP_RETURN_CODE 77)
add_test(NAME lacks_required_file COMMAND true)
set_tests_properties(lacks_required_file PROPERTIES REQUIRED_FILES /nonexistent/netipc-cts-file)
add_test(NAME fixture_fails COMMAND false)
set_tests_properties(fixture_fails PROPERTIES FIXTURES_SETUP fx)
add_test(NAME needs_fixture COMMAND true)
set_tests_properties(needs_fixture PROPERTIES FIXTURES_REQUIRED fx)
"""


@requires(shutil.which("ctest") is not None and shutil.which("cmake") is not None,
          "cmake/ctest are not installed")
class CtestAccountingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = Path(cls.tmp.name)
        (d / "CMakeLists.txt").write_text(PROJECT)
        subprocess.run(["cmake", "-S", str(d), "-B", str(d / "b")], check=True, capture_output=True)
        cls.junit = d / "b" / "junit.xml"
        cls.rc = subprocess.run(["ctest", "--output-junit", str(cls.junit)], cwd=d / "b",
                                capture_output=True, check=False).returncode
        labels = {"passes": ["unit"], "skips": ["unit"], "has_no_executable": ["unit"]}
        cls.outcome = build.outcome_from_junit(cls.junit, labels, "p", cls.rc)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def failed_names(self):
        return {f.split(" ")[0] for f in self.outcome.failed}

    def test_only_the_test_that_ran_and_succeeded_counts_as_passed(self):
        self.assertEqual(self.outcome.passed, 1)

    def test_a_missing_executable_a_missing_file_and_a_failed_fixture_fail_the_run(self):
        self.assertEqual(self.failed_names(),
                         {"has_no_executable", "lacks_required_file", "fixture_fails", "needs_fixture"})
        line = [f for f in self.outcome.failed if f.startswith("has_no_executable")][0]
        self.assertIn("Unable to find executable", line)

    def test_a_skip_is_listed_as_a_skip_and_not_as_a_pass(self):
        self.assertEqual([s.split(" ")[0] for s in self.outcome.skipped], ["skips"])
        self.assertEqual(self.outcome.by_label["unit"], (1, 1))
        self.assertEqual(self.outcome.skipped_by_label["unit"], 1)

    def test_a_failing_ctest_exit_with_a_clean_result_file_fails(self):
        clean = Path(self.tmp.name) / "clean.xml"
        clean.write_text('<testsuite><testcase name="a" status="run"/></testsuite>')
        self.assertEqual(build.outcome_from_junit(clean, {}, "p", 0).failed, [])
        failed = build.outcome_from_junit(clean, {}, "p", 8).failed
        self.assertEqual(len(failed), 1)
        self.assertIn("status 8", failed[0])


if __name__ == "__main__":
    unittest.main()
