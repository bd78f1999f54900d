"""Platforms in the runner: launchers in front of every command, the stop mechanism of a
Windows server (SIGINT, which wine turns into CTRL_C_EVENT), cells between POSIX and Windows
implementations (not applicable: no shared transport), profile names per platform, the
build preset a manifest names, and a broken launcher reported as an environment error."""
import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT, ManifestDirTest, fake_manifest, kill_marker, marker_processes, new_marker  # noqa
from support import RunDirTest  # noqa: E402
from ctslib import hostplatform as host, manifest, matrix, procs, report, run  # noqa: E402

LAUNCHER = Path(__file__).parent / "fixtures" / "launcher.py"


class PlatformPlanTest(ManifestDirTest):
    def test_cells_between_posix_and_windows_are_not_applicable_both_ways(self):
        lin = self.load("lin", server="ok", client="ok", profiles=(1, 2))
        win = self.load("win", server="ok", client="ok", profiles=(1, 2), platform="windows")
        cells = {c.id: c for c in matrix.plan([lin, win])}
        for cid in ("matrix/lin/win/pipe/single", "matrix/win/lin/uds/single",
                    "matrix/lin/win/shm-hybrid/large", "matrix/win/lin/shm-hybrid/echo"):
            self.assertEqual(cells[cid].verdict, "not-applicable", cid)
            self.assertIn("no shared transport", cells[cid].message)
        self.assertEqual(cells["matrix/win/win/pipe/single"].verdict, "")
        self.assertEqual(cells["matrix/lin/lin/uds/single"].verdict, "")
        row = matrix.base_row(cells["matrix/lin/win/pipe/single"])
        self.assertEqual(row["platform"], "linux/windows")
        self.assertFalse([r for r in row["requirements"] if r.startswith(("WIN-", "UDS-"))])

    def test_windows_cells_carry_their_platform_profile_names_and_requirements(self):
        win = self.load("win", server="ok", client="ok", profiles=(1, 2, 4),
                        platform="windows")
        rows = [matrix.base_row(c) for c in matrix.plan([win]) if c.scenario.id == "single"]
        self.assertEqual(sorted(r["profile"] for r in rows),
                         ["pipe", "shm-busywait", "shm-hybrid"])
        self.assertEqual({r["platform"] for r in rows}, {"windows"})
        busy = next(r for r in rows if r["profile"] == "shm-busywait")
        self.assertIn("WIN-SHM-BUSYWAIT-001", busy["requirements"])
        self.assertNotIn("PROF-FUTEX-001", busy["requirements"])
        index = json.loads((ROOT / "spec" / "requirements.json").read_text())
        known = {r["id"] for r in index["requirements"]}
        for table in (matrix.WINDOWS_PROFILE_REQUIREMENTS, matrix.WINDOWS_HYGIENE_REQUIREMENTS):
            for ids in table.values():
                self.assertEqual([i for i in ids if i not in known], [])

    def test_a_windows_server_is_stopped_by_interrupt_and_a_posix_one_by_terminate(self):
        self.assertEqual(self.load("w", server="ok", platform="windows").server.stop,
                         "interrupt")
        self.assertEqual(self.load("l", server="ok").server.stop, "terminate")
        self.assertTrue(host.clean_stop(0, "interrupt"))
        self.assertTrue(host.clean_stop(-2, "interrupt"))
        self.assertFalse(host.clean_stop(-15, "interrupt"))

    def test_run_builds_the_preset_a_manifest_names_and_only_its_targets(self):
        m = manifest.load(ROOT / "interop" / "windows-codec.toml")
        self.assertEqual((m.platform, m.build, m.launcher), ("windows", "windows", ["wine"]))
        self.assertEqual(run.build_presets([m]), [("windows", ["nipc-codec-testee"])])
        ref = manifest.load(ROOT / "interop" / "reference.toml")
        # The reference: its one program and the peer, not every test of the preset.
        self.assertEqual(run.build_presets([ref, m]),
                         [("default", ["nipc-peer", "reference/tools/nipc-ref/nipc-ref"]),
                          ("windows", ["nipc-codec-testee"])])
        # The self-check runs every test of the default preset: then it is built whole.
        self.assertEqual(run.build_presets([ref], self_check=True)[0], ("default", None))
        # A server or client is judged by the test peer of its platform's preset.
        self.assertEqual(run.build_presets([self.load("x", server="ok")]),
                         [("default", ["nipc-peer"])])
        w = self.load("w", server="ok", platform="windows")
        self.assertEqual(run.build_presets([w]), [(w.build, ["nipc-peer"])])

    def test_report_profiles_follow_the_implementation_platform(self):
        self.assertEqual(report.profile_names({"platform": "windows", "profiles": [1, 2, 4]}),
                         ["pipe", "shm-hybrid", "shm-busywait"])
        self.assertEqual(report.profile_names({"platform": "linux", "profiles": [1, 4]}),
                         ["uds", "shm-futex"])


class WindowsSetupTest(unittest.TestCase):
    def test_without_root_the_missing_windows_packages_are_named_with_the_command(self):
        import contextlib
        import io
        from unittest import mock
        from ctslib import cli, deps
        err = io.StringIO()
        with mock.patch.object(deps, "missing_packages", return_value=["wine", "wine64"]), \
                mock.patch.object(deps, "is_root", return_value=False), \
                mock.patch.object(deps, "ensure", side_effect=AssertionError("no install")), \
                contextlib.redirect_stderr(err):
            self.assertFalse(cli.windows_available(install=True))
        self.assertIn("sudo apt-get install -y wine wine64", err.getvalue())

    def test_as_root_the_windows_packages_are_installed(self):
        from unittest import mock
        from ctslib import cli, deps
        with mock.patch.object(deps, "missing_packages", return_value=["wine"]), \
                mock.patch.object(deps, "is_root", return_value=True), \
                mock.patch.object(deps, "ensure", return_value=True) as ensure:
            self.assertTrue(cli.windows_available(install=True))
        ensure.assert_called_once_with(deps.WINDOWS_PACKAGES)
        self.assertIn("g++-mingw-w64-x86-64-posix", deps.WINDOWS_PACKAGES)
        self.assertIn("wine", deps.WINDOWS_PACKAGES)


class LauncherCellTest(unittest.TestCase):
    def setUp(self):
        procs.reset_for_tests()
        self.tmp = tempfile.TemporaryDirectory(prefix="cts-t-", dir="/tmp")
        self.dir = Path(self.tmp.name)
        self.marker = new_marker()
        self.base = self.dir / "run"
        self.base.mkdir()

    def tearDown(self):
        kill_marker(self.marker)
        self.tmp.cleanup()

    def cell(self, server, platform=None, launcher=None):
        s = manifest.load(fake_manifest(self.dir, "srv", self.marker, server=server,
                                        platform=platform, launcher=launcher))
        c = manifest.load(fake_manifest(self.dir, "cli", self.marker, client="ok",
                                        platform=platform, launcher=launcher))
        cell = next(x for x in matrix.plan([s, c]) if x.scenario.id == "single")
        ctx = matrix.CellContext(run_base=self.base, out_dir=self.dir / "out")
        row = matrix.run_cell(cell, 3, ctx)
        self.assertEqual(marker_processes(self.marker), [], "no process survives a cell")
        return row

    def test_a_launcher_prefixes_the_server_and_client_commands(self):
        row = self.cell("ok", launcher=[sys.executable, str(LAUNCHER)])
        self.assertEqual(row["verdict"], "pass", row["details"])
        for command in row["evidence"]["commands"]:
            self.assertEqual(command["argv"][:2], [sys.executable, str(LAUNCHER)])

    def test_a_windows_server_under_a_launcher_stops_on_interrupt(self):
        row = self.cell("interrupt-only", platform="windows",
                        launcher=[sys.executable, str(LAUNCHER)])
        self.assertEqual(row["verdict"], "pass", row["details"])
        self.assertEqual(row["profile"], "pipe")
        self.assertEqual(row["platform"], "windows")
        self.assertTrue(any("kill -INT" in line for line in row["evidence"]["reproduce"]))

    def test_the_same_server_as_a_posix_one_ignores_terminate_and_fails(self):
        row = self.cell("interrupt-only")
        self.assertEqual(row["verdict"], "fail")
        self.assertIn("did not stop within 2000 ms of SIGTERM", row["message"])


class EnvironmentErrorTest(RunDirTest):
    """A launcher that cannot start anything: every row of its implementation is an error of
    the environment, blamed on nobody, and the run exits 2 (setup), not 1 (failure)."""

    def test_a_failing_launcher_probe_is_an_environment_error_not_a_failure(self):
        broken = [sys.executable, str(LAUNCHER), "--fail"]
        win = fake_manifest(self.dir, "win", self.marker, server="ok", client="ok",
                            platform="windows", launcher=broken, probe=["prog.exe"])
        lin = fake_manifest(self.dir, "lin", self.marker, server="ok", client="ok")
        cmd = [sys.executable, str(ROOT / "cts"), "run", "--no-build", "--no-conformance",
               "--out", str(self.out), "--progress", "lines", "--jobs", "2",
               "--scenario", "single", "--impl", str(win), "--impl", str(lin)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=240,
                           env=dict(os.environ, TMPDIR=str(self.dir)))
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("probe win under", p.stdout)
        self.assertIn("ENVIRONMENT ERROR", p.stdout)
        doc = json.loads((self.out / "report.json").read_text())
        self.assertEqual(report.validate(doc), [])
        rows = {r["id"]: r for r in doc["results"]}
        env = rows["matrix/win/win/pipe/single"]
        self.assertEqual(env["verdict"], "error")
        self.assertTrue(env["environment"])
        self.assertTrue(env["message"].startswith("environment: "), env["message"])
        self.assertIn("exit code 53", env["message"])
        self.assertEqual(env["blame"], [])
        self.assertEqual(rows["matrix/lin/lin/uds/single"]["verdict"], "pass")
        self.assertEqual(rows["matrix/lin/win/pipe/single"]["verdict"], "not-applicable")
        self.assertEqual(doc["summary"]["failed"], [])
        self.assertEqual(doc["summary"]["environment_errors"], ["matrix/win/win/pipe/single"])
        for req in doc["compliance"]["win"]:
            self.assertNotEqual(req["verdict"], "fail", req["id"])
        self.assertTrue(any(n.startswith("environment: ") for n in doc["notes"]))
        html = (self.out / "index.html").read_text()
        self.assertIn('win <span class="note">(windows)</span>', html)

    def test_vector_replay_under_a_failing_launcher_exits_2_naming_the_environment(self):
        path = self.dir / "codec.toml"
        path.write_text('[implementation]\nname = "wincodec"\nlanguage = "C++"\n'
                        'platform = "windows"\nlauncher = ["%s", "%s", "--fail"]\n'
                        'probe = ["testee.exe"]\n[codec]\ncommand = ["testee.exe"]\n'
                        % (sys.executable, LAUNCHER))
        p = subprocess.run([sys.executable, str(ROOT / "cts"), "vectors", "replay", "--impl",
                            str(path), "--no-build", "--out", str(self.out)],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("environment: ", p.stderr)
        self.assertIn("not a conformance result", p.stderr)


if __name__ == "__main__":
    unittest.main()
