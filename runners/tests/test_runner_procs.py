"""Child processes: timeouts kill the whole group, strays are found, servers get ready, stop,
and one-session servers are restarted for every case."""
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import FAKE, kill_marker, marker_processes, new_marker  # noqa: E402
from ctslib import hostplatform as host, procs  # noqa: E402
from ctslib.manifest import ServerSpec  # noqa: E402


class ProcsTest(unittest.TestCase):
    def setUp(self):
        procs.reset_for_tests()
        self.tmp = tempfile.TemporaryDirectory(prefix="cts-t-", dir="/tmp")
        self.dir = Path(self.tmp.name)
        self.marker = new_marker()

    def tearDown(self):
        kill_marker(self.marker)
        self.tmp.cleanup()

    def server_argv(self, behaviour="ok", one=False):
        return [sys.executable, str(FAKE), "server", str(self.dir), "svc", "--behaviour",
                behaviour, "--marker", self.marker] + (["--one-session"] if one else [])

    def client_argv(self, behaviour="ok"):
        return [sys.executable, str(FAKE), "client", str(self.dir), "svc", "--behaviour",
                behaviour, "--marker", self.marker]

    def test_a_timeout_kills_the_child_and_its_whole_process_group(self):
        srv = procs.Child(self.server_argv(), self.dir / "logs", "server", watch="^READY")
        self.assertTrue(srv.watched.wait(5))
        c = procs.Child(self.client_argv("hang"), self.dir / "logs", "client")
        start = time.monotonic()
        code, timed_out = c.wait(0.5)
        self.assertTrue(timed_out)
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(code, -9)
        srv.stop(2)
        self.assertEqual(marker_processes(self.marker), [])

    def test_a_grandchild_left_in_the_group_is_found_and_killed(self):
        srv = procs.Child(self.server_argv("orphan"), self.dir / "logs", "server",
                          watch="^READY")
        self.assertTrue(srv.watched.wait(5))
        time.sleep(0.5)  # the grandchild installs its SIGTERM handler
        code, killed = srv.stop(2)
        self.assertEqual((code, killed), (0, False))
        self.assertEqual(len(srv.stray), 1)
        self.assertEqual(marker_processes(self.marker), [])

    def test_a_grandchild_still_exiting_when_the_leader_ends_is_not_a_stray(self):
        # The leader exits at once; its background child needs 0.3 s more (as a launcher's
        # helpers do under load): that is not a process left behind.
        c = procs.Child(["sh", "-c", "sleep 0.3 & exit 0"], self.dir / "logs", "client")
        code, timed_out = c.wait(5)
        self.assertEqual((code, timed_out), (0, False))
        self.assertEqual(c.stray, [])

    def test_a_grandchild_outliving_the_grace_period_is_a_stray(self):
        c = procs.Child(["sh", "-c", "sleep %s & exit 0" % (procs.STRAY_GRACE_S + 5)],
                        self.dir / "logs", "client")
        c.wait(5)
        self.assertEqual(len(c.stray), 1)

    def test_a_server_ignoring_sigterm_is_killed_after_the_stop_timeout(self):
        srv = procs.Child(self.server_argv("ignore-term"), self.dir / "logs", "server",
                          watch="^READY")
        self.assertTrue(srv.watched.wait(5))
        start = time.monotonic()
        code, killed = srv.stop(0.5)
        self.assertTrue(killed)
        self.assertEqual(code, -9)
        self.assertLess(time.monotonic() - start, 4)
        self.assertEqual(marker_processes(self.marker), [])

    def test_a_server_that_never_gets_ready_fails_within_its_ready_timeout(self):
        spec = ServerSpec(command=[], ready="line", ready_timeout_ms=400)
        ms = procs.ManagedServer(spec, self.server_argv("never-ready"), self.dir, "svc",
                                 self.dir / "logs")
        start = time.monotonic()
        with self.assertRaisesRegex(procs.ServerNotReady, "not ready within 400 ms"):
            ms.for_case()
        self.assertLess(time.monotonic() - start, 3)
        self.assertEqual(marker_processes(self.marker), [])

    def test_readiness_by_socket_file(self):
        spec = ServerSpec(command=[], ready="socket", ready_timeout_ms=3000)
        ms = procs.ManagedServer(spec, self.server_argv("never-ready"), self.dir, "svc",
                                 self.dir / "logs")
        ms.for_case()
        self.assertTrue((self.dir / "svc.sock").exists())
        self.assertEqual(ms.stop()[2], "stopped")

    def test_a_one_session_server_is_restarted_for_every_case(self):
        spec = ServerSpec(command=[], sessions="one", stop_timeout_ms=3000)
        ms = procs.ManagedServer(spec, self.server_argv(one=True), self.dir, "svc",
                                 self.dir / "logs")
        for _ in range(3):
            ms.for_case()
            c = procs.Child(self.client_argv(), self.dir / "logs", "client")
            self.assertEqual(c.wait(10), (0, False))
        code, killed, how = ms.stop()
        self.assertEqual((code, killed, how), (0, False, "exited"))
        self.assertEqual(ms.starts, 3)
        self.assertEqual([ch.proc.returncode for ch in ms.children()], [0, 0, 0])
        self.assertEqual(host.endpoint_files(self.dir), ["logs"])

    def test_a_forever_server_is_started_once_for_many_cases(self):
        spec = ServerSpec(command=[], sessions="forever")
        ms = procs.ManagedServer(spec, self.server_argv(), self.dir, "svc", self.dir / "logs")
        for _ in range(3):
            ms.for_case()
            c = procs.Child(self.client_argv(), self.dir / "logs", "client")
            self.assertEqual(c.wait(10), (0, False))
        self.assertEqual(ms.starts, 1)
        self.assertEqual(ms.stop(), (0, False, "stopped"))

    def test_stop_all_takes_down_every_live_child(self):
        kids = [procs.Child(self.client_argv("hang"), self.dir / "logs", "c%d" % i)
                for i in range(2)]
        procs.stop_all(grace=0.2)
        for k in kids:
            self.assertIsNotNone(k.proc.poll())
        self.assertEqual(procs.live_children(), [])
        with self.assertRaises(procs.Interrupted):
            procs.Child(self.client_argv(), self.dir / "logs", "late")
        procs.reset_for_tests()


if __name__ == "__main__":
    unittest.main()
