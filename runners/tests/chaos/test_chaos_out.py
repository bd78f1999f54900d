"""`--out` never costs the operator a file: the working directory (or one above it) is
refused, a non-empty directory that is not a report of ours is refused, and a previous
report is replaced entry by entry, keeping whatever else the operator put there."""
import unittest

from runners.tests.chaos.harness import ChaosTest


class OutDirTest(ChaosTest):
    def quick_run(self, out):
        s = self.manifest("srv", server="ok")
        c = self.manifest("cli", client="ok")
        argv = self.run_argv(s, c, extra=["--scenario", "single"])
        argv[argv.index("--out") + 1] = out
        return self.cts(argv, timeout=60)

    def test_out_dot_is_refused_and_the_working_directory_is_untouched(self):
        (self.cwd / "precious.txt").write_text("mine")
        r = self.quick_run(".")
        self.assertEqual(r.code, 2, r.out + r.err)
        self.assertIn("working directory", r.err)
        self.assertNotIn("Traceback", r.err)
        self.assertEqual(sorted(p.name for p in self.cwd.iterdir()), ["precious.txt"])
        (self.cwd / "precious.txt").unlink()

    def test_out_above_the_working_directory_is_refused(self):
        r = self.quick_run("..")
        self.assertEqual(r.code, 2, r.out + r.err)
        self.assertTrue((self.tmp / "srv.toml").exists())

    def test_a_non_empty_directory_that_is_not_a_report_is_refused_and_kept(self):
        self.out.mkdir()
        (self.out / "notes.txt").write_text("mine")
        r = self.quick_run(self.out)
        self.assertEqual(r.code, 2, r.out + r.err)
        self.assertIn("not empty", r.err)
        self.assertEqual([p.name for p in self.out.iterdir()], ["notes.txt"])

    def test_a_previous_report_is_replaced_and_foreign_files_in_it_are_kept(self):
        first = self.quick_run(self.out)
        self.assertEqual(first.code, 0, first.out + first.err)
        (self.out / "notes.txt").write_text("mine")
        (self.out / "failures" / "stale.html").write_text("old")
        second = self.quick_run(self.out)
        self.assertEqual(second.code, 0, second.out + second.err)
        self.assertEqual((self.out / "notes.txt").read_text(), "mine")
        self.assertFalse((self.out / "failures" / "stale.html").exists())
        self.assertTrue((self.out / "report.json").exists())
        self.assert_clean()


if __name__ == "__main__":
    unittest.main()
