"""`./cts run` against hostile implementations: every misbehaviour ends in bounded time with
the right verdict held against the right side, well-formed reports, bounded memory, and
nothing left running or lying around."""
import json
import re
import unittest

from runners.tests.chaos.harness import ChaosTest

# A cell against a well-behaved fake takes well under a second; these bounds leave room for
# a loaded machine and still catch a hang (client timeout 5 s, ready timeout 2 s).
WALL = 40


class HostileServerTest(ChaosTest):
    def cell(self, server="ok", client="ok", **kw):
        s = self.manifest("srv", server=server, **kw)
        c = self.manifest("cli", client=client)
        r = self.cts(self.run_argv(s, c, extra=["--scenario", "single"]), timeout=WALL)
        self.assertLess(r.seconds, WALL)
        doc = self.assert_reports()
        rows = [x for x in doc["results"] if x["id"] == "matrix/cli/srv/uds/single"]
        self.assertEqual(len(rows), 1, r.out + r.err)
        self.assert_clean()
        return r, rows[0]

    def test_a_server_that_never_becomes_ready_fails_without_a_false_stop_complaint(self):
        r, row = self.cell(server="never-ready")
        self.assertEqual(r.code, 1)
        self.assertEqual((row["verdict"], row["blame"]), ("fail", ["srv"]))
        self.assertIn("not ready within", row["message"])
        self.assertNotIn("did not stop", row["details"])

    def test_a_server_that_prints_ready_but_never_listens_fails_the_client_cell(self):
        r, row = self.cell(server="no-socket")
        self.assertEqual(row["verdict"], "fail")
        self.assertIn("client", row["message"])

    def test_a_server_that_accepts_and_never_reads_costs_one_client_timeout(self):
        r, row = self.cell(server="accept-never-read")
        self.assertEqual(row["verdict"], "fail")
        self.assertIn("timed out", row["message"])

    def test_a_child_left_in_the_servers_group_is_reported_and_killed(self):
        r, row = self.cell(server="fork-group")
        self.assertEqual((row["verdict"], row["blame"]), ("fail", ["srv"]))
        self.assertIn("server left processes behind", row["details"])
        self.assertIn(self.marker, row["details"])

    def test_a_setsid_daemon_of_the_server_is_reported_against_its_cell_and_killed(self):
        r, row = self.cell(server="setsid-daemon")
        self.assertEqual((row["verdict"], row["blame"]), ("fail", ["srv"]))
        self.assertIn("server left processes behind", row["details"])
        self.assertIn(self.marker, row["details"])

    def test_a_server_ignoring_sigterm_and_sigint_is_killed_after_its_stop_timeout(self):
        r, row = self.cell(server="ignore-signals")
        self.assertEqual(row["verdict"], "fail")
        self.assertIn("did not stop within 1000 ms of SIGTERM", row["details"])

    def test_a_server_crashing_mid_session_is_the_headline_and_leaves_no_core_file(self):
        r, row = self.cell(server="segfault")
        self.assertEqual(row["verdict"], "fail")
        self.assertTrue(row["message"].startswith("server exited during the case (killed by "
                                                  "SIGSEGV)"), row["message"])
        # assert_clean (in cell) found the working directory empty: no core file there.

    def test_a_server_exiting_127_is_a_server_failure(self):
        r, row = self.cell(server="exit-127")
        self.assertEqual((row["verdict"], row["blame"]), ("fail", ["srv"]))
        self.assertIn("exit code 127", row["message"])


class HostileClientTest(ChaosTest):
    def cell(self, client, timeout=WALL):
        s = self.manifest("srv", server="ok")
        c = self.manifest("cli", client=client)
        r = self.cts(self.run_argv(s, c, extra=["--scenario", "single"]), timeout=timeout)
        doc = self.assert_reports()
        rows = [x for x in doc["results"] if x["id"] == "matrix/cli/srv/uds/single"]
        self.assertEqual(len(rows), 1, r.out + r.err)
        self.assert_clean()
        return r, rows[0], doc

    def test_a_setsid_daemon_of_the_client_fails_the_cell_and_is_killed(self):
        r, row, _ = self.cell("setsid-daemon")
        self.assertEqual(row["verdict"], "fail")
        self.assertIn("client left processes behind", row["details"])

    def test_garbage_output_reaches_no_terminal_and_every_report_stays_well_formed(self):
        r, row, doc = self.cell("garbage")
        self.assertEqual(row["verdict"], "fail")
        self.assertIn("\\x1b[31m", row["message"])  # the escape shown, not obeyed
        self.assertNotIn("\x1b[31m", r.out + r.err)
        self.assertNotRegex(json.dumps(doc), r"\\u001b")
        self.assertNotRegex(r.out, "[\x00-\x08\x0e-\x1f\x7f]")

    def test_a_client_exiting_127_fails_its_cell(self):
        r, row, _ = self.cell("exit-127")
        self.assertEqual(row["verdict"], "fail")
        self.assertIn("exit code 127", row["message"])

    def flood(self, behaviour):
        r, row, doc = self.cell(behaviour, timeout=120)
        peak_mb = r.max_rss_kib / 1024
        print("\n%s: runner peak RSS %.1f MB, wall %.1f s" % (behaviour, peak_mb, r.seconds))
        self.assertLess(peak_mb, 120, "the runner's memory grew with the output")
        self.assertLess((self.out / "report.json").stat().st_size, 2 << 20)
        for log in (self.out / "cells").rglob("*"):
            if log.is_file():
                self.assertLess(log.stat().st_size, (2 << 20) + 4096, log)
        for page in (self.out / "failures").glob("*.html"):
            self.assertLess(page.stat().st_size, 1 << 20, page)
        return row

    def test_a_200_mb_stdout_flood_keeps_the_runner_small_and_the_reports_bounded(self):
        row = self.flood("flood-stdout")
        self.assertEqual(row["verdict"], "pass", row["message"])
        text = (self.out / "cells").rglob("client.stdout").__next__().read_text()
        self.assertRegex(text, r"\[\.\.\. \d+ bytes omitted \.\.\.\]")

    def test_a_200_mb_stderr_flood_keeps_the_runner_small_and_the_reports_bounded(self):
        row = self.flood("flood-stderr")
        self.assertEqual(row["verdict"], "pass", row["message"])


class EnvironmentCountTest(ChaosTest):
    def test_environment_errors_are_counted_alike_on_the_command_line_and_in_the_html(self):
        s = self.manifest("srv", server="ok", launcher=["/bin/false"], probe=["/bin/false"])
        c = self.manifest("cli", client="ok")
        r = self.cts(self.run_argv(s, c, extra=["--scenario", "single"]), timeout=WALL)
        self.assertEqual(r.code, 2, r.out + r.err)
        self.assertRegex(r.out, r"0 failed.*1 environment errors")
        index = (self.out / "index.html").read_text()
        self.assertRegex(index, r'data-count="fail">fail 0<')
        self.assertRegex(index, r'data-count="environment">environment 1<')
        self.assert_clean()


if __name__ == "__main__":
    unittest.main()
