"""The Windows path under wine: the Windows test peer starts a hostile Windows program (here
cmd.exe, which every wine prefix has) and must list and end what it leaves running (the
IUT's job object), and give a verdict on output that is not text."""
import json
import os
import shutil
import unittest
from pathlib import Path

from runners.tests.chaos.harness import ROOT, ChaosTest
from runners.tests.chaos.fakes.hostile import GARBAGE

WINDOWS_BUILD = Path(os.environ.get("NIPC_WINDOWS_BUILD_DIR", ROOT / "build" / "windows"))
WINDOWS_PEER = WINDOWS_BUILD / "conformance" / "nipc-peer.exe"


def windows_path(path: Path) -> str:
    """A host path as wine's drive Z: shows it."""
    return "Z:" + str(path).replace("/", "\\")


class WineTest(ChaosTest):
    def setUp(self):
        super().setUp()
        if not shutil.which("wine") or not WINDOWS_PEER.exists():
            self.skipTest("needs wine and the windows preset's nipc-peer.exe")

    def manifest_for(self, script):
        lines = ['[implementation]', 'name = "hostile-windows"', 'language = "cmd"',
                 'platform = "windows"', 'launcher = ["wine"]', '',
                 '[server]', 'command = %s' % json.dumps(["cmd.exe", "/c", script]),
                 'ready = "line"', 'ready_pattern = "^READY"', 'ready_timeout_ms = 20000',
                 'stop_timeout_ms = 3000', '',
                 '[capabilities]', 'roles = ["server"]', 'profiles = [1]',
                 'service_kinds = ["increment"]']
        path = self.tmp / "hostile-windows.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def run_case(self, script):
        m = self.manifest_for(script)
        r = self.cts(["conformance", "--impl", m, "--case", r"^codec\.srv\.increment$",
                      "--profile", "pipe", "--jobs", "1", "--build-dir", WINDOWS_BUILD,
                      "--out", self.out, "--quiet"], timeout=240)
        doc = self.assert_reports(kind="conformance")
        self.assertEqual(len(doc["results"]), 1, r.out + r.err)
        return r, doc["results"][0]

    def test_a_windows_server_leaving_a_child_running_is_reported_and_the_child_ended(self):
        r, result = self.run_case(
            "start /b ping -n 600 127.0.0.1 > nul & echo READY")
        self.assertTrue(result["iut"].get("strays"), result)
        self.assertIn("SHIM-STOP-001", [f["requirement"] for f in result["failures"]])
        self.assert_clean(launcher_files=("wine-",))

    def test_a_windows_server_printing_invalid_utf8_gets_a_verdict(self):
        garbage = self.tmp / "garbage.bin"
        garbage.write_bytes(GARBAGE + b"\r\n")
        r, result = self.run_case("type %s & echo READY & ping -n 600 127.0.0.1 > nul"
                                  % windows_path(garbage))
        self.assertNotEqual(result["verdict"], "error", result)
        self.assertIn("\\xFF", result["iut"]["stdout"])
        self.assert_clean(launcher_files=("wine-",))


if __name__ == "__main__":
    unittest.main()


class WineRunTest(ChaosTest):
    """`./cts run` with Windows programs under wine: the runner's own process handling."""

    def setUp(self):
        super().setUp()
        if not shutil.which("wine"):
            self.skipTest("needs wine")

    def manifest_for(self, name, role, script, **spec):
        lines = ['[implementation]', 'name = "%s"' % name, 'language = "cmd"',
                 'platform = "windows"', 'launcher = ["wine"]', '',
                 '[%s]' % role, 'command = %s' % json.dumps(["cmd.exe", "/c", script])]
        lines += ['%s = %s' % (k, json.dumps(v)) for k, v in spec.items()]
        lines += ['', '[capabilities]', 'roles = ["%s"]' % role, 'profiles = [1]',
                  'service_kinds = ["increment"]', 'scenarios = ["single"]']
        path = self.tmp / (name + ".toml")
        path.write_text("\n".join(lines) + "\n")
        return path

    def test_a_windows_server_leaving_a_child_running_fails_its_cell_and_the_child_ends(self):
        s = self.manifest_for("wsrv", "server",
                              "start /min ping -n 600 127.0.0.1 & echo READY & "
                              "ping -n 600 127.0.0.1 > nul",
                              ready="line", ready_pattern="^READY", ready_timeout_ms=30000,
                              stop_timeout_ms=3000)
        c = self.manifest_for("wcli", "client", "exit 0", timeout_ms=30000)
        r = self.cts(self.run_argv(s, c, extra=["--scenario", "single"]), timeout=240)
        doc = self.assert_reports()
        rows = [x for x in doc["results"] if x["id"].startswith("matrix/wcli/wsrv/")]
        self.assertEqual(len(rows), 1, r.out + r.err)
        self.assertIn("server left processes behind", rows[0]["details"], rows[0])
        self.assertIn("PING", rows[0]["details"].upper())
        self.assert_clean(launcher_files=("wine-",))
