"""`./cts run` end to end against scripted fake implementations: exit codes, the report
files and their schema, --diagnose, expected-failure lists, --strict, --shard, Ctrl-C
cleanup, and `./cts report --compare`."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT, fake_manifest, kill_marker, marker_processes, new_marker  # noqa
from ctslib import report  # noqa: E402


class RunTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="cts-t-", dir="/tmp")
        self.dir = Path(self.tmp.name)
        self.marker = new_marker()
        self.out = self.dir / "out"
        self.tmpdir = self.dir / "t"
        self.tmpdir.mkdir()

    def tearDown(self):
        kill_marker(self.marker)
        self.tmp.cleanup()

    def manifests(self, server="ok", client="ok", **kw):
        s = fake_manifest(self.dir, "srv", self.marker, server=server, **kw)
        c = fake_manifest(self.dir, "cli", self.marker, client=client)
        return [s, c]

    def argv(self, manifests, *extra):
        cmd = [sys.executable, str(ROOT / "cts"), "run", "--no-build", "--no-conformance", "--out", str(self.out),
               "--progress", "lines", "--jobs", "2"]
        for m in manifests:
            cmd += ["--impl", str(m)]
        return cmd + list(extra)

    def run_cts(self, manifests, *extra):
        env = dict(os.environ, TMPDIR=str(self.tmpdir))
        p = subprocess.run(self.argv(manifests, *extra), capture_output=True, text=True,
                           timeout=240, env=env)
        self.assertEqual(os.listdir(self.tmpdir), [], "the run base is removed")
        self.assertEqual(marker_processes(self.marker), [], "no process outlives the run")
        return p

    def doc(self):
        return json.loads((self.out / "report.json").read_text())

    def test_a_passing_run_exits_zero_and_writes_every_report(self):
        p = self.run_cts(self.manifests(), "--scenario", "single", "--scenario", "batch")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        doc = self.doc()
        self.assertEqual(report.validate(doc), [])
        self.assertEqual(doc["summary"]["exit_code"], 0)
        ids = [r["id"] for r in doc["results"]]
        self.assertEqual(sorted(ids), ["matrix/cli/srv/uds/batch", "matrix/cli/srv/uds/single"])
        cases = list(ET.parse(self.out / "junit.xml").getroot().iter("testcase"))
        self.assertEqual(sorted(c.get("name") for c in cases), sorted(ids))
        self.assertIn("| pass | 2 |", (self.out / "summary.md").read_text())
        html = (self.out / "index.html").read_text()
        self.assertIn('data-cell="matrix/cli/srv/uds/single" data-verdict="pass"', html)
        self.assertNotIn("http://", html.replace("http://www.w3.org", ""))
        self.assertIn("run: 2 passed, 0 failed", p.stdout)

    def test_a_filter_that_selects_nothing_is_an_error_naming_the_filter(self):
        p = self.run_cts(self.manifests(), "--only", "no-such-task")
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("--only 'no-such-task' selects nothing", p.stderr)

    def test_zero_jobs_and_a_broken_regex_are_refused_before_anything_runs(self):
        for extra, words in ((["--jobs", "0"], "--jobs needs at least 1"),
                             (["--only", "("], "not a regular expression")):
            p = subprocess.run(self.argv(self.manifests(), *extra), capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn(words, p.stderr)

    def test_a_failing_cell_fails_the_run_and_is_named(self):
        p = self.run_cts(self.manifests(client="fail"), "--scenario", "single")
        self.assertEqual(p.returncode, 1)
        self.assertIn("FAILED matrix/cli/srv/uds/single: client: exit code 1", p.stdout)
        doc = self.doc()
        self.assertEqual(doc["summary"]["failed"], ["matrix/cli/srv/uds/single"])
        page = self.out / "failures" / "matrix__cli__srv__uds__single.html"
        self.assertIn("Reproduce without the runner", page.read_text())

    def test_diagnosis_reruns_beside_the_first_failure_never_replacing_it(self):
        p = self.run_cts(self.manifests(client="flaky"), "--scenario", "single",
                         "--diagnose", "2")
        self.assertEqual(p.returncode, 1, p.stdout)
        row = self.doc()["results"][0]
        self.assertEqual(row["verdict"], "fail")
        self.assertEqual([d["verdict"] for d in row["diagnosis"]], ["pass", "pass"])
        self.assertEqual(self.doc()["summary"]["flaky"], [row["id"]])
        self.assertIn("[alone: pass, pass]", p.stdout)

    def write_expected(self, text):
        d = self.dir / "expected"
        d.mkdir(exist_ok=True)
        (d / "srv.txt").write_text(text)
        return ["--expected-dir", str(d)]

    def test_an_expected_failure_is_reported_and_only_strict_fails_on_it(self):
        ms = self.manifests(client="fail")
        exp = self.write_expected("# comment\nmatrix/cli/srv/*/single  the fake cannot echo"
                                  "  link=issue-1 expires=2999-12-31\n")
        p = self.run_cts(ms, "--scenario", "single", *exp)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("expected failure matrix/cli/srv/uds/single: the fake cannot echo",
                      p.stdout)
        row = self.doc()["results"][0]
        self.assertEqual((row["verdict"], row["expectation"]), ("fail", "expected-failure"))
        p = self.run_cts(ms, "--scenario", "single", "--strict", *exp)
        self.assertEqual(p.returncode, 1)

    def test_an_unexpected_pass_is_reported_and_only_strict_fails_on_it(self):
        ms = self.manifests()
        exp = self.write_expected("matrix/cli/srv/uds/single  was broken once"
                                  "  link=issue-2 expires=2999-12-31\n"
                                  "matrix/cli/srv/uds/echo  stale entry"
                                  "  link=issue-3 expires=2999-12-31\n")
        p = self.run_cts(ms, "--scenario", "single", *exp)
        self.assertEqual(p.returncode, 0)
        self.assertIn("UNEXPECTED PASS matrix/cli/srv/uds/single", p.stdout)
        # A run filtered by --scenario cannot tell that the echo entry matches nothing.
        self.assertNotIn("matched no case", p.stdout)
        self.assertEqual(self.doc()["summary"]["unexpected_passes"],
                         ["matrix/cli/srv/uds/single"])
        p = self.run_cts(ms, "--scenario", "single", "--strict", *exp)
        self.assertEqual(p.returncode, 1)

    def test_an_expired_entry_fails_the_run_and_says_which_entry_expired(self):
        ms = self.manifests(client="fail")
        exp = self.write_expected("matrix/cli/srv/*/single  the fake cannot echo"
                                  "  link=issue-4 expires=2001-02-03\n")
        for strict in ((), ("--strict",)):
            p = self.run_cts(ms, "--scenario", "single", *strict, *exp)
            self.assertEqual(p.returncode, 2 if strict else 1, p.stdout + p.stderr)
            if strict:
                self.assertIn("--strict refuses %s:1" % (self.dir / "expected" / "srv.txt"),
                              p.stderr)
                self.assertIn("expired on 2001-02-03", p.stderr)
                continue
            self.assertIn("FAILED matrix/cli/srv/uds/single: client: exit code 1: fake client: "
                          "no good echo (expectation expired on 2001-02-03, source %s:1)"
                          % (self.dir / "expected" / "srv.txt"), p.stdout)
            doc = self.doc()
            self.assertEqual(report.validate(doc), [])
            row = doc["results"][0]
            self.assertEqual((row["expectation"], row["expected_expires"],
                              row["expected_link"]), ("expired", "2001-02-03", "issue-4"))
            self.assertEqual(doc["summary"]["failed"], [row["id"]])
            self.assertIn("it no longer excuses this failure", (
                self.out / "failures" / "matrix__cli__srv__uds__single.html").read_text())

    def test_strict_refuses_entries_without_link_or_expiry_before_running_anything(self):
        exp = self.write_expected("matrix/cli/srv/*/single  the fake cannot echo\n"
                                  "matrix/cli/srv/*/batch  TODO: say why this fails  link=x "
                                  "expires=2999-01-01\n")
        p = self.run_cts(self.manifests(client="fail"), "--scenario", "single", "--strict", *exp)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("srv.txt:1 (matrix/cli/srv/*/single): no link, no expiry", p.stderr)
        self.assertIn("srv.txt:2 (matrix/cli/srv/*/batch): placeholder reason", p.stderr)
        self.assertFalse((self.out / "report.json").exists())

    def test_an_entry_without_a_reason_is_a_setup_error(self):
        exp = self.write_expected("matrix/cli/srv/uds/single\n")
        p = self.run_cts(self.manifests(), *exp)
        self.assertEqual(p.returncode, 2)
        self.assertIn("needs a reason", p.stderr)

    def test_shards_of_a_run_cover_the_matrix_once(self):
        ms = self.manifests()
        seen, per_shard = [], {}
        for k in (1, 2, 3):
            p = self.run_cts(ms, "--shard", "%d/3" % k, "--scenario", "single",
                             "--scenario", "batch", "--scenario", "pipeline",
                             "--scenario", "echo")
            self.assertEqual(p.returncode, 0, p.stdout)
            per_shard[k] = [r["id"] for r in self.doc()["results"]]
            seen += per_shard[k]
        self.assertEqual(len(seen), 4)
        self.assertEqual(len(set(seen)), 4)
        p = self.run_cts(ms, "--shard", "2/3", "--scenario", "single", "--scenario", "batch",
                         "--scenario", "pipeline", "--scenario", "echo")
        self.assertEqual([r["id"] for r in self.doc()["results"]], per_shard[2])

    def test_an_escaped_daemon_fails_its_cell_and_is_killed(self):
        p = self.run_cts(self.manifests(client="daemon"), "--scenario", "single")
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("client left processes behind", p.stdout)
        self.assertEqual(marker_processes(self.marker), [])

    def interrupt(self, sig):
        ms = self.manifests(client="hang")
        env = dict(os.environ, TMPDIR=str(self.tmpdir))
        proc = subprocess.Popen(self.argv(ms, "--scenario", "single", "--scenario", "batch",
                                          "--scenario", "echo"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env)
        deadline = time.monotonic() + 30
        while len(marker_processes(self.marker)) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)  # two servers and two clients
        self.assertGreaterEqual(len(marker_processes(self.marker)), 4)
        sockets = [p for p in self.tmpdir.rglob("*.sock")]
        self.assertTrue(sockets, "the cells are running")
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, out + err)
        self.assertIn("interrupted", err)
        self.assertEqual(marker_processes(self.marker), [])
        self.assertEqual(os.listdir(self.tmpdir), [], "no socket or region file is left")
        doc = self.doc()
        self.assertTrue(doc["interrupted"])
        self.assertEqual(doc["summary"]["exit_code"], 130)

    def test_ctrl_c_stops_every_process_and_removes_every_file(self):
        self.interrupt(signal.SIGINT)

    def test_sigterm_stops_every_process_and_removes_every_file(self):
        self.interrupt(signal.SIGTERM)


class CompareTest(unittest.TestCase):
    def row(self, id, verdict, **kw):
        return dict({"id": id, "verdict": verdict, "message": "m"}, **kw)

    def test_regressions_come_first_and_fail_the_command(self):
        old = {"results": [self.row("a", "pass"), self.row("b", "fail"), self.row("c", "pass"),
                           self.row("d", "pass")]}
        new = {"results": [self.row("a", "fail"), self.row("b", "pass"),
                           self.row("c", "fail", expectation="expected-failure"),
                           self.row("e", "fail")]}
        ch = report.compare(old, new)
        self.assertEqual([x[0] for x in ch["regressions"]], ["a"])
        self.assertEqual([x[0] for x in ch["fixed"]], ["b"])
        self.assertEqual([x[0] for x in ch["changed"]], ["c"])
        self.assertEqual([x[0] for x in ch["new_failures"]], ["e"])
        self.assertEqual([x[0] for x in ch["removed"]], ["d"])
        with tempfile.TemporaryDirectory() as d:
            a, b = Path(d) / "old.json", Path(d) / "new.json"
            a.write_text(json.dumps(old))
            b.write_text(json.dumps(new))
            p = subprocess.run([sys.executable, str(ROOT / "cts"), "report", "--compare",
                                str(a), str(b)], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        lines = p.stdout.splitlines()
        # The summary table comes first, then the regressions before every other list.
        first_list = [n for n, line in enumerate(lines) if line.endswith(":")][0]
        self.assertEqual(lines[first_list], "Regressions (1):", p.stdout)
        self.assertTrue(lines[first_list + 1].endswith(" a"), p.stdout)
        self.assertTrue(lines[1].startswith("implementation"), p.stdout)

    def test_identical_runs_have_no_differences(self):
        doc = {"results": [self.row("a", "pass")]}
        self.assertFalse(any(report.compare(doc, doc).values()))


if __name__ == "__main__":
    unittest.main()
