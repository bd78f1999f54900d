"""Run history and comparison: each run without --out writes out/runs/<UTC time>/ and points
out/report at the latest; `./cts report --compare` without files compares the last two runs,
summarises per implementation and chapter before listing, keeps its columns whatever the
length of an id, and counts new cases instead of listing them (unless --verbose)."""
import datetime
import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT, fake_manifest, kill_marker, new_marker  # noqa: E402
from ctslib import history, report  # noqa: E402


def row(id, verdict, **kw):
    return dict({"id": id, "verdict": verdict, "message": "m",
                 "implementations": ["impl-a"]}, **kw)


class HistoryTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.runs = self.dir / "runs"
        self.latest = self.dir / "report"

    def tearDown(self):
        self.tmp.cleanup()

    def test_run_directories_are_named_by_start_time_and_never_reused(self):
        t = datetime.datetime(2026, 12, 6, 4, 45, 0, tzinfo=datetime.timezone.utc)
        first = history.new_run_dir(t, self.runs)
        self.assertEqual(first.name, "20261206T044500Z")
        first.mkdir(parents=True)
        self.assertEqual(history.new_run_dir(t, self.runs).name, "20261206T044500Z-2")

    def test_the_latest_link_moves_to_each_new_run(self):
        for name in ("20261206T010000Z", "20261206T020000Z"):
            (self.runs / name).mkdir(parents=True)
            self.assertEqual(history.point_latest(self.runs / name, self.latest), "")
            self.assertTrue(self.latest.is_symlink())
            self.assertEqual(self.latest.resolve(), (self.runs / name).resolve())

    def test_an_old_report_directory_moves_into_the_history_and_loses_nothing(self):
        self.latest.mkdir()
        (self.latest / ".netipc-cts-report").write_text("")
        (self.latest / "report.json").write_text("{}")
        new = self.runs / "20261206T010000Z"
        new.mkdir(parents=True)
        self.assertEqual(history.point_latest(new, self.latest), "")
        self.assertEqual((self.runs / history.LEGACY / "report.json").read_text(), "{}")
        self.assertEqual(history.runs_with_reports(self.runs)[0].name, history.LEGACY)

    def test_a_directory_that_is_not_a_report_is_left_alone(self):
        self.latest.mkdir()
        (self.latest / "mine.txt").write_text("keep")
        why = history.point_latest(self.runs, self.latest)
        self.assertIn("left alone", why)
        self.assertEqual((self.latest / "mine.txt").read_text(), "keep")

    def test_the_last_two_runs_with_a_report_are_found_older_first(self):
        self.assertIsNone(history.last_two(self.runs))
        for name in ("20261206T010000Z", "20261206T020000Z", "20261206T030000Z"):
            (self.runs / name).mkdir(parents=True)
            (self.runs / name / "report.json").write_text("{}")
        (self.runs / "20261206T040000Z").mkdir()  # interrupted before its report
        old, new = history.last_two(self.runs)
        self.assertEqual((old.parent.name, new.parent.name),
                         ("20261206T020000Z", "20261206T030000Z"))


class RunHistoryTest(unittest.TestCase):
    """Two real runs of fake implementations into a run history of their own (NIPC_OUT_DIR)."""

    def test_two_runs_keep_their_reports_and_compare_defaults_to_them(self):
        marker = new_marker()
        with tempfile.TemporaryDirectory(prefix="cts-t-", dir="/tmp") as d:
            out = Path(d) / "out"
            env = dict(os.environ, NIPC_OUT_DIR=str(out))
            s = fake_manifest(Path(d), "hist-srv", marker, server="ok")
            c = fake_manifest(Path(d), "hist-cli", marker, client="ok")
            try:
                for n in (1, 2):
                    p = subprocess.run(
                        [sys.executable, str(ROOT / "cts"), "run", "--no-build",
                         "--no-conformance", "--progress", "lines", "--scenario", "single",
                         "--impl", str(s), "--impl", str(c)],
                        capture_output=True, text=True, timeout=240, cwd=ROOT, env=env)
                    self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                    made = history.runs_with_reports(out / "runs")
                    self.assertEqual(len(made), n)
                    self.assertTrue((out / "report").is_symlink())
                    self.assertEqual((out / "report").resolve(), made[-1].resolve())
                p = subprocess.run([sys.executable, str(ROOT / "cts"), "report", "--compare"],
                                   capture_output=True, text=True, timeout=60, cwd=ROOT,
                                   env=env)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertIn(str(made[0] / "report.json"), p.stdout.splitlines()[0])
                self.assertIn(str(made[1] / "report.json"), p.stdout.splitlines()[0])
                self.assertIn("no differences in 1 cases", p.stdout)
            finally:
                kill_marker(marker)


class CompareOutputTest(unittest.TestCase):
    def test_the_summary_comes_first_counting_per_implementation_and_chapter(self):
        old = {"results": [row("matrix/a/b/uds/single", "pass", kind="matrix",
                               scenario="single"),
                           row("conformance/impl-a/server/uds/hs.x", "pass",
                               kind="conformance", suite="conformance.uds.handshake")]}
        new = {"results": [row("matrix/a/b/uds/single", "fail", kind="matrix",
                               scenario="single"),
                           row("conformance/impl-a/server/uds/hs.x", "fail",
                               kind="conformance", suite="conformance.uds.handshake")]}
        lines = report.compare_lines(old, new, report.compare(old, new))
        self.assertTrue(lines[0].startswith("implementation"))
        self.assertIn("conformance/handshake", lines[1])
        self.assertIn("matrix/single", lines[2])
        self.assertEqual(lines[1].split()[1], "1")  # one regression
        self.assertEqual(lines[4], "Regressions (2):")

    def test_a_long_id_does_not_move_the_verdict_columns(self):
        long_id = "conformance/" + "x" * 150
        old = {"results": [row("short", "pass"), row(long_id, "pass")]}
        new = {"results": [row("short", "fail"), row(long_id, "fail")]}
        lines = [ln for ln in report.compare_lines(old, new, report.compare(old, new))
                 if ln.endswith(("short", long_id))]
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines[0].index("->"), lines[1].index("->"))
        self.assertEqual(lines[0].index("fail"), lines[1].index("fail"))

    def test_new_cases_are_counted_not_listed_unless_verbose(self):
        old = {"results": [row("a", "pass")]}
        new = {"results": [row("a", "pass")] + [row("new-%d" % i, "pass")
                                                 for i in range(2000)]}
        ch = report.compare(old, new)
        lines = report.compare_lines(old, new, ch)
        self.assertLess(len(lines), 10, lines[:20])
        self.assertIn("New cases: 2000 (listed with --verbose)", lines)
        self.assertGreater(len(report.compare_lines(old, new, ch, verbose=True)), 2000)

    def test_compare_without_two_runs_says_what_it_needs(self):
        with tempfile.TemporaryDirectory() as d:
            saved = history.RUNS
            history.RUNS = Path(d)
            try:
                import argparse
                import contextlib
                import io
                err = io.StringIO()
                with contextlib.redirect_stderr(err):
                    code = report.cmd_report(argparse.Namespace(compare=[], verbose=False))
            finally:
                history.RUNS = saved
        self.assertEqual(code, 2)
        self.assertIn("fewer than two", err.getvalue())


if __name__ == "__main__":
    unittest.main()
