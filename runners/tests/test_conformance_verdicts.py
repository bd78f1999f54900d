"""Verdicts need positive evidence: the real peer runs the real catalogue against IUTs that
show nothing. A program that does not exist (every case an error) or exits 127 at once (every
case it reaches a failure) passes no case in either role; a client that never connects passes no client case that expects a connection; a client
that broke a rule and then exits 4 ("not supported") has failed, not declined; a server that
never puts a session on shared memory gets failures, never a crashed peer."""
import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT, build_dir, requires  # noqa: E402

BUILD = build_dir()
PEER = BUILD / "conformance" / "nipc-peer"
LAZY = Path(__file__).parent / "fixtures" / "lazy_client.py"
NIPC_REF = BUILD / "reference/tools/nipc-ref/nipc-ref"


def manifest(directory: Path, name: str, server=None, client=None) -> Path:
    """A configurable manifest whose server and client commands are the given argv lists."""
    lines = ['[implementation]', 'name = "%s"' % name, 'language = "none"', '']
    roles = []
    for role, cmd in (("server", server), ("client", client)):
        if cmd is not None:
            roles.append(role)
            lines += ['[%s]' % role, 'command = %s' % json.dumps(cmd), '']
    lines += ['[capabilities]', 'roles = %s' % json.dumps(roles), 'profiles = [1, 2, 4]',
              'service_kinds = ["increment", "string-reverse", "cgroups-snapshot", "echo"]',
              'scenarios = ["single", "batch", "pipeline", "large", "snapshot", "connect"]',
              'configurable = true']
    path = directory / (name + ".toml")
    path.write_text("\n".join(lines) + "\n")
    return path


def conformance(impl: Path, out: Path, *extra, profile="uds"):
    """Runs the catalogue on one profile; returns (the finished process, result rows)."""
    cmd = [sys.executable, str(ROOT / "cts"), "conformance", "--impl", str(impl), "--no-build",
           "--build-dir", str(BUILD), "--profile", profile, "--jobs", "2", "--quiet",
           "--out", str(out), *extra]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ROOT)
    doc = json.loads((out / "results.json").read_text())
    return p, doc["results"]


def passed(rows):
    return sorted("%s [%s]" % (r["case"], r["profile"]) for r in rows if r["verdict"] == "pass")


ARGS = ["{run_dir}", "{service}"]


@requires(PEER.exists(), "nipc-peer is not built in %s" % BUILD)
class NothingThereTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_a_program_that_cannot_start_passes_no_case_and_every_case_is_an_error(self):
        # The file is there and executable, so the up-front check lets it through (a program
        # that does not exist at all is refused before any case: test_runner_checks), but
        # its interpreter is not: every exec fails with ENOENT, as for a vanished program.
        missing = str(self.dir / "no-such-program")
        Path(missing).write_text("#!/nonexistent/interpreter\n")
        os.chmod(missing, 0o755)
        m = manifest(self.dir, "nothing-there", server=[missing, *ARGS], client=[missing, *ARGS])
        p, rows = conformance(m, self.dir / "out")
        self.assertNotEqual(p.returncode, 0)
        self.assertGreater(len(rows), 100, p.stdout[-2000:])
        self.assertEqual(passed(rows), [])
        wrong = sorted("%s: %s %s" % (r["case"], r["verdict"], r.get("reason", ""))[:200] for r in rows
                       if r["verdict"] not in ("error", "not-applicable", "unsupported"))
        self.assertEqual(wrong, [])
        row = [r for r in rows if r["case"] == "uds.srv.live-owner-kept"][0]
        self.assertIn("cannot execute %s: No such file or directory" % missing, row["reason"])

    def test_the_full_run_refuses_a_program_that_does_not_exist_before_any_case(self):
        missing = str(self.dir / "no-such-program")
        m = manifest(self.dir, "nothing-there", server=[missing, *ARGS], client=[missing, *ARGS])
        out = self.dir / "run"
        cmd = [sys.executable, str(ROOT / "cts"), "run", "--no-build", "--no-self-check",
               "--impl", str(m), "--out", str(out), "--progress", "lines", "--jobs", "2"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
        # Nothing runs (so nothing can be credited): the run names both commands and stops.
        self.assertEqual(p.returncode, 2, p.stdout[-2000:] + p.stderr[-2000:])
        self.assertIn("[server] command: %s does not exist" % missing, p.stderr)
        self.assertIn("[client] command: %s does not exist" % missing, p.stderr)
        self.assertFalse((out / "report.json").exists())

    def test_a_program_that_exits_127_at_once_passes_no_case(self):
        m = manifest(self.dir, "exits-127", server=["sh", "-c", "exit 127", *ARGS],
                     client=["sh", "-c", "exit 127", *ARGS])
        _, rows = conformance(m, self.dir / "out")
        self.assertEqual(passed(rows), [])
        # The shell ran: exit 127 is the implementation's own failure, not an environment error.
        row = [r for r in rows if r["case"] == "uds.srv.live-owner-kept"][0]
        self.assertEqual(row["verdict"], "fail", row)
        self.assertIn("exit code 127", json.dumps(row))


@requires(PEER.exists(), "nipc-peer is not built in %s" % BUILD)
class ClientThatNeverConnectsTest(unittest.TestCase):
    """Every client case needs the client to connect, except the cases marked as expecting
    it to connect nowhere; those are the only ones a silent client may pass."""

    NOT_CONNECTING = {"uds.cli.bad-service-name", "uds.cli.path-too-long", "uds.cli.no-server",
                      "shim.cli.unknown-flag", "shim.cli.unsupported-scenario",
                      "win.cli.no-pipe", "win.cli.busy-pipe", "win.cli.name-too-long"}

    def test_the_catalogue_marks_exactly_these_cases_as_connecting_nowhere(self):
        listed = json.loads(subprocess.run([str(PEER), "list"], capture_output=True, text=True,
                                           check=True).stdout)
        marked = {c["id"] for c in listed if c["role"] == "client" and not c["client_connects"]}
        self.assertEqual(marked, self.NOT_CONNECTING)

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def check_behaviour(self, behaviour):
        m = manifest(self.dir, "lazy-" + behaviour,
                     client=[sys.executable, str(LAZY), behaviour, *ARGS])
        _, rows = conformance(m, self.dir / ("out-" + behaviour), "--role", "client")
        self.assertGreater(len(rows), 20)
        unexplained = [c for c in passed(rows) if c.split(" ")[0] not in self.NOT_CONNECTING]
        self.assertEqual(unexplained, [], "client cases passed by a client that never connected")

    def test_a_client_that_claims_success_without_connecting_passes_no_connecting_case(self):
        self.check_behaviour("exit-0")

    def test_a_client_that_fails_without_connecting_passes_no_connecting_case(self):
        self.check_behaviour("exit-1")


@requires(PEER.exists(), "nipc-peer is not built in %s" % BUILD)
class FailureBeatsUnsupportedTest(unittest.TestCase):
    def test_a_client_that_breaks_a_rule_and_then_exits_4_has_failed(self):
        with tempfile.TemporaryDirectory() as d:
            m = manifest(Path(d), "bad-hello", client=[sys.executable, str(LAZY), "bad-hello-exit-4", *ARGS])
            _, rows = conformance(m, Path(d) / "out", "--role", "client", "--case", r"^hs\.cli\.")
        self.assertTrue(rows)
        verdicts = {r["case"]: r["verdict"] for r in rows if r["verdict"] != "not-applicable"}
        self.assertIn("fail", verdicts.values())
        self.assertNotIn("unsupported", verdicts.values(), verdicts)
        self.assertNotIn("pass", verdicts.values(), verdicts)


@requires(PEER.exists() and NIPC_REF.exists(), "nipc-peer or nipc-ref is not built in %s" % BUILD)
class ServerThatStaysOffSharedMemoryTest(unittest.TestCase):
    def test_a_server_that_selects_uds_on_an_shm_run_fails_cases_and_never_crashes_the_peer(self):
        text = (ROOT / "interop/reference.toml").read_text()
        text = text.replace('"--profiles", "{profiles}"', '"--profiles", "1"')
        text = text.replace('name = "reference"', 'name = "uds-only-server"')
        self.assertIn('"--profiles", "1"', text)
        with tempfile.TemporaryDirectory() as d:
            m = Path(d) / "uds-only.toml"
            m.write_text(text.replace("{build_dir}", str(BUILD)))
            _, rows = conformance(m, Path(d) / "out", "--role", "server", "--case", r"^shm\.srv\.",
                                  profile="shm-hybrid")
        crashed = [r["case"] for r in rows if r["verdict"] == "error"]
        self.assertEqual(crashed, [])
        row = [r for r in rows if r["case"] == "shm.srv.publication-words"][0]
        self.assertEqual(row["verdict"], "fail")
        self.assertEqual(row["failures"][0]["requirement"], "PROF-BITS-001")


if __name__ == "__main__":
    unittest.main()
