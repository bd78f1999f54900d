"""`./cts conformance` against hostile implementations: the peer never aborts on what an
implementation prints, every misbehaviour is the implementation's verdict (not a harness
error), daemons it starts are reported and killed, and nothing is left behind."""
import json
import signal
import time
import unittest

from runners.tests.chaos.harness import ChaosTest, marker_processes

SERVER_CASE = r"^codec\.srv\.increment$"
CLIENT_CASE = r"^batch\.cli\.batches$"
WALL = 60


class HostileConformanceTest(ChaosTest):
    def setUp(self):
        super().setUp()
        self.need_peer()

    def case(self, server=None, client=None, timeout=WALL):
        m = self.manifest("impl", server=server or "ok", client=client or "ok",
                          ready_timeout_ms=1500)
        r = self.cts(self.conformance_argv(m, SERVER_CASE if server else CLIENT_CASE),
                     timeout=timeout)
        self.assertLess(r.seconds, timeout)
        doc = self.assert_reports(kind="conformance")
        self.assertEqual(len(doc["results"]), 1, r.out + r.err)
        self.assert_clean()
        result = doc["results"][0]
        self.assertNotIn("nipc-peer exited", result.get("reason", ""), r.err)
        self.assertNotIn("peer exception", result.get("reason", ""))
        return r, result

    def test_invalid_utf8_and_control_characters_from_a_server_give_a_verdict(self):
        r, result = self.case(server="garbage")
        self.assertIn(result["verdict"], ("fail", "timeout"), result)
        text = json.dumps(result["iut"])
        self.assertIn("\\\\xFF", text)  # the invalid byte, escaped
        self.assertIn("\u00e9", result["iut"]["stdout"])  # a whole character at the cut

    def test_invalid_utf8_and_control_characters_from_a_client_give_a_verdict(self):
        r, result = self.case(client="garbage")
        self.assertIn(result["verdict"], ("fail", "timeout"), result)

    def test_a_server_that_never_becomes_ready_is_the_implementations_failure(self):
        r, result = self.case(server="never-ready")
        self.assertIn(result["verdict"], ("fail", "timeout"), result)
        self.assertNotEqual(result.get("error_class"), "harness")
        self.assertEqual(result["failures"][0]["requirement"], "SHIM-READY-001")

    def test_a_setsid_daemon_of_the_server_is_reported_and_killed(self):
        r, result = self.case(server="setsid-daemon")
        self.assertEqual(marker_processes(self.marker), [])
        self.assertIn("os.setsid()", json.dumps(result["iut"].get("strays", [])))
        self.assertIn("SHIM-STOP-001", [f["requirement"] for f in result["failures"]])

    def test_a_setsid_daemon_of_the_client_is_reported_and_killed(self):
        r, result = self.case(client="setsid-daemon")
        self.assertEqual(marker_processes(self.marker), [])
        self.assertIn("os.setsid()", json.dumps(result["iut"].get("strays", [])))

    def test_a_server_ignoring_sigterm_is_killed_and_judged(self):
        r, result = self.case(server="ignore-signals")
        self.assertIn(result["verdict"], ("fail", "timeout"), result)

    def test_a_segfaulting_server_is_judged_and_leaves_no_core_file(self):
        r, result = self.case(server="segfault")
        self.assertIn(result["verdict"], ("fail", "timeout"), result)
        self.assertIn("crashed during the case", result["failures"][0]["message"])

    def test_a_server_exiting_127_is_the_implementations_failure(self):
        r, result = self.case(server="exit-127")
        self.assertEqual(result["verdict"], "fail", result)
        self.assertIn("exit code 127", json.dumps(result["failures"]))

    def test_a_200_mb_stdout_flood_keeps_the_peer_and_the_runner_small(self):
        r, result = self.case(client="flood-stdout", timeout=120)
        peak_mb = r.max_rss_kib / 1024
        print("\nconformance flood-stdout: peak RSS of cts and the peer %.1f MB, wall %.1f s"
              % (peak_mb, r.seconds))
        self.assertLess(peak_mb, 120)
        self.assertLess(len(json.dumps(result)), 200000)

    def test_ctrl_c_stops_the_catalogue_at_once_and_leaves_nothing(self):
        self.stop_catalogue(signal.SIGINT)

    def test_sigterm_stops_the_catalogue_at_once_and_leaves_nothing(self):
        self.stop_catalogue(signal.SIGTERM)

    def stop_catalogue(self, sig):
        m = self.manifest("impl", server="accept-never-read", client="ok")
        proc = self.start(["conformance", "--impl", m, "--role", "server", "--profile", "uds",
                           "--jobs", "2", "--build-dir", self.peer_build_dir(),
                           "--out", self.out, "--quiet"])
        deadline = time.monotonic() + 30
        while not marker_processes(self.marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        sent = time.monotonic()
        proc.send_signal(sig)
        proc.wait(timeout=30)
        latency = time.monotonic() - sent
        print("\n%s during ./cts conformance: stopped in %.2f s" % (sig.name, latency))
        time.sleep(0.2)
        self.assertEqual(marker_processes(self.marker), [], "processes survived the stop")
        proc.communicate(timeout=30)
        self.assertLess(latency, 2.0)
        self.assert_clean()

    def peer_build_dir(self):
        from runners.tests.chaos.harness import BUILD_DIR
        return BUILD_DIR


if __name__ == "__main__":
    unittest.main()
