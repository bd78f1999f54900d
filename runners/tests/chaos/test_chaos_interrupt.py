"""SIGINT and SIGTERM at every phase of `./cts run` (build, self-check, matrix, catalogue):
the run stops within 2 seconds, keeps every finished row, names every task that did not
run, writes every report format, exits 130, and leaves no process and no file behind."""
import json
import os
import signal
import stat
import sys
import time
import unittest
import xml.etree.ElementTree as ET

from runners.tests.chaos.harness import PEER, ChaosTest, marker_processes

STOP_BUDGET = 2.0
# A stand-in for cmake and ctest: busy for ten minutes, with a grandchild ("the compiler").
SLOW_TOOL = """#!/bin/sh
%(py)s -c 'import time; time.sleep(600)' %(marker)s-grandchild &
exec %(py)s -c 'import time; time.sleep(600)' %(marker)s-tool
"""


class InterruptTest(ChaosTest):
    def slow_tools(self):
        """A PATH in which cmake and ctest are SLOW_TOOL."""
        bin_dir = self.tmp / "bin"
        bin_dir.mkdir()
        for name in ("cmake", "ctest"):
            tool = bin_dir / name
            tool.write_text(SLOW_TOOL % {"py": sys.executable, "marker": self.marker})
            tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
        return str(bin_dir) + os.pathsep + os.environ["PATH"]

    def wait_for(self, what, predicate, timeout=60):
        deadline = time.monotonic() + timeout
        while not predicate():
            self.assertLess(time.monotonic(), deadline, "never reached: " + what)
            time.sleep(0.05)

    def interrupt(self, proc, sig, phase):
        """Sends `sig` and measures how long until the process has exited."""
        sent = time.monotonic()
        proc.send_signal(sig)
        try:
            proc.wait(timeout=30)
        except Exception:  # noqa: BLE001
            proc.kill()
            self.fail("%s during %s: still running 30 s later" % (sig.name, phase))
        latency = time.monotonic() - sent
        # Survivors first: one holding the output pipes would block reading them.
        time.sleep(0.2)
        self.assertEqual(marker_processes(self.marker), [], "processes survived the stop")
        out, err = proc.stdout.read().decode(errors="replace"), \
            proc.stderr.read().decode(errors="replace")
        proc.stdout.close()
        proc.stderr.close()
        sys.stderr.write("\n%s during %s: stopped in %.2f s\n" % (sig.name, phase, latency))
        self.assertEqual(proc.returncode, 130, out + err)
        self.assertLess(latency, STOP_BUDGET, "%s during %s" % (sig.name, phase))
        doc = self.assert_reports()
        self.assertTrue(doc["interrupted"])
        self.assertEqual(doc["summary"]["exit_code"], 130)
        junit = ET.parse(self.out / "junit.xml").getroot()
        skipped = {c.get("name") for c in junit.iter("testcase") if c.find("skipped") is not None}
        self.assertTrue(set(doc["summary"]["not_run"]) <= skipped, "not-run tasks in junit")
        self.assert_clean()
        return doc

    # ---- build --------------------------------------------------------------------------

    def build_phase(self, sig):
        m = self.manifest("impl", server="ok", client="ok", extra_arg="{build_dir}")
        proc = self.start(["run", "--impl", m, "--out", self.out, "--no-conformance",
                           "--progress", "lines"], env=self.env(PATH=self.slow_tools()))
        self.wait_for("the build", lambda: marker_processes(self.marker + "-grandchild"))
        doc = self.interrupt(proc, sig, "the build")
        self.assertEqual(doc["results"], [])
        self.assertIn("matrix/impl/impl/uds/single", doc["summary"]["not_run"])

    def test_sigint_during_the_build_stops_the_build_tools_and_writes_the_report(self):
        self.build_phase(signal.SIGINT)

    def test_sigterm_during_the_build_stops_the_build_tools_and_writes_the_report(self):
        self.build_phase(signal.SIGTERM)

    # ---- self-check ---------------------------------------------------------------------

    def self_check_phase(self, sig):
        m = self.manifest("reference", server="ok", client="ok")
        proc = self.start(["run", "--impl", m, "--out", self.out, "--no-conformance",
                           "--no-build", "--self-check", "--progress", "lines"],
                          env=self.env(PATH=self.slow_tools()))
        self.wait_for("the self-check", lambda: marker_processes(self.marker + "-grandchild"))
        doc = self.interrupt(proc, sig, "the self-check")
        self.assertIn("self-check", doc["summary"]["not_run"])
        self.assertIn("matrix/reference/reference/uds/single", doc["summary"]["not_run"])

    def test_sigint_during_the_self_check_stops_ctest_and_writes_the_report(self):
        self.self_check_phase(signal.SIGINT)

    def test_sigterm_during_the_self_check_stops_ctest_and_writes_the_report(self):
        self.self_check_phase(signal.SIGTERM)

    # ---- matrix -------------------------------------------------------------------------

    def matrix_phase(self, sig):
        s = self.manifest("srv", server="ok")
        c = self.manifest("cli", client="hang-batch", client_timeout_ms=600000)
        proc = self.start(self.run_argv(s, c, extra=["--scenario", "single", "--scenario",
                                                     "batch", "-j", "2"]))
        self.wait_for("the hanging cell", lambda: [
            p for p in marker_processes(self.marker)
            if b"batch" in open("/proc/%d/cmdline" % p, "rb").read()])
        time.sleep(2.0)  # the single cell has finished by now
        doc = self.interrupt(proc, sig, "the matrix")
        ids = {r["id"]: r["verdict"] for r in doc["results"]}
        self.assertEqual(ids, {"matrix/cli/srv/uds/single": "pass"})
        self.assertEqual(doc["summary"]["not_run"], ["matrix/cli/srv/uds/batch"])

    def test_sigint_during_the_matrix_keeps_finished_cells_and_lists_the_rest(self):
        self.matrix_phase(signal.SIGINT)

    def test_sigterm_during_the_matrix_keeps_finished_cells_and_lists_the_rest(self):
        self.matrix_phase(signal.SIGTERM)

    # ---- catalogue ----------------------------------------------------------------------

    def catalogue_phase(self, sig):
        if not PEER.exists():
            self.skipTest("nipc-peer is not built")
        m = self.manifest("impl", server="accept-never-read", client="ok")
        proc = self.start(["run", "--impl", m, "--out", self.out, "--no-build",
                           "--no-self-check", "--progress", "lines",
                           # the catalogue and, of the matrix, only the single scenario
                           # (--scenario would leave the catalogue out: it has none)
                           "--only", "^conformance/|/single$", "-j", "2"])

        def peers():
            return [p for p in marker_processes(self.marker)
                    if b"nipc-peer" in open("/proc/%d/cmdline" % p, "rb").read()]
        self.wait_for("the catalogue", peers)
        time.sleep(6.0)  # some cases finish (each fails within its step deadlines)
        doc = self.interrupt(proc, sig, "the catalogue")
        rows = [r for r in doc["results"] if r["id"].startswith("conformance/")]
        self.assertTrue(rows, "the cases finished before the signal are kept")
        self.assertTrue([i for i in doc["summary"]["not_run"] if i.startswith("conformance/")])
        self.assertNotIn("error", {r["verdict"] for r in rows},
                         json.dumps([r["message"] for r in rows if r["verdict"] == "error"]))

    def test_sigint_during_the_catalogue_stops_the_peers_and_keeps_finished_cases(self):
        self.catalogue_phase(signal.SIGINT)

    def test_sigterm_during_the_catalogue_stops_the_peers_and_keeps_finished_cases(self):
        self.catalogue_phase(signal.SIGTERM)


if __name__ == "__main__":
    unittest.main()
