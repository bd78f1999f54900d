"""Checks before work in `./cts run`: a mistyped option prints the run's own usage, a manifest
naming a program that is not there stops the run at once (exit 2, naming the key and the
path), the filters --only, --scenario and --transport select matrix cells, catalogue cases
and vector cases alike, a filter that selects nothing is an error naming it, and the first
run builds only what the run executes, reporting each phase on one line."""
import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
import types
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT, fake_manifest, kill_marker, new_marker  # noqa: E402
from ctslib import manifest, run  # noqa: E402


def cts(*argv, timeout=120, **kw):
    return subprocess.run([sys.executable, str(ROOT / "cts"), *argv], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, **kw)


def options(**kw):
    values = dict(jobs=1, shard=(1, 1), strict=False, diagnose=0, capture=True, only=None,
                  scenario=None, transport=None, conformance=True)
    values.update(kw)
    return argparse.Namespace(**values)


CATALOGUE = [{"id": "uds.srv.a", "role": "server"}, {"id": "hs.srv.b", "role": "server"},
             {"id": "hs.cli.c", "role": "client"}]


class FakeCatalogue:
    """Stands in for ctslib.conformance: a three-case catalogue on the posix profiles."""

    def __init__(self):
        self.module = types.ModuleType("ctslib.conformance")
        self.module.run_catalogue = self.run_catalogue
        self.module.load_catalogue = lambda peer: CATALOGUE
        self.module.peer_command = lambda m: ["nipc-peer"]
        self.module.run_profiles = lambda m: {"uds": 1, "shm-hybrid": 2, "shm-futex": 4}
        self.ran = []

    def run_catalogue(self, m, role, run_base, out_dir, select=None, revision=None):
        for p in ("uds", "shm-hybrid", "shm-futex"):
            for c in CATALOGUE:
                row_id = "conformance/%s/%s/%s/%s" % (m.name, role, p, c["id"])
                if c["role"] == role and (select is None or select(row_id, p)):
                    self.ran.append(row_id)
        return []


class UsageTest(unittest.TestCase):
    def test_an_unknown_option_of_run_prints_the_run_usage_not_the_top_level_one(self):
        p = cts("run", "--bogus")
        self.assertEqual(p.returncode, 2)
        self.assertIn("usage: cts run", p.stderr)
        self.assertIn("unrecognized arguments: --bogus", p.stderr)

    def test_an_unknown_option_of_a_nested_command_prints_that_command_usage(self):
        p = cts("spec", "check", "--bogus")
        self.assertEqual(p.returncode, 2)
        self.assertIn("usage: cts spec check", p.stderr)

    def test_the_transport_filter_refuses_a_profile_that_does_not_exist(self):
        p = cts("run", "--transport", "tcp")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--transport", p.stderr)


class MissingProgramTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="cts-t-", dir="/tmp")
        self.dir = Path(self.tmp.name)
        self.marker = new_marker()

    def tearDown(self):
        kill_marker(self.marker)
        self.tmp.cleanup()

    def write(self, name, server, client):
        path = self.dir / (name + ".toml")
        path.write_text('[implementation]\nname = "%s"\nlanguage = "none"\n\n'
                        '[server]\ncommand = ["%s", "{run_dir}"]\n\n'
                        '[client]\ncommand = ["%s", "{run_dir}"]\n' % (name, server, client))
        return path

    def test_a_manifest_naming_a_missing_program_stops_the_run_before_any_work(self):
        missing = str(self.dir / "no-such-server")
        m = self.write("nothing", missing, sys.executable)
        out = self.dir / "out"
        start = time.monotonic()
        p = cts("run", "--no-build", "--impl", str(m), "--out", str(out))
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertLess(time.monotonic() - start, 30)
        self.assertIn("[server] command: %s does not exist" % missing, p.stderr)
        self.assertIn(str(m), p.stderr)
        self.assertNotIn("[client]", p.stderr)  # the client (python) is there
        self.assertFalse((out / "report.json").exists(), "nothing ran, so no report")

    def test_conformance_and_vector_replay_also_refuse_a_missing_program_before_any_case(self):
        missing = str(self.dir / "no-such-program")
        m = self.write("gone", missing, missing)
        for argv, who in ((("conformance", "--no-build", "--impl", str(m)), "cts conformance"),
                          (("vectors", "replay", "--impl", str(m)), "vector replay")):
            start = time.monotonic()
            p = cts(*argv)
            self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
            self.assertLess(time.monotonic() - start, 30)
            self.assertIn("%s: %s: [server] command: %s does not exist" % (who, m, missing), p.stderr)

    def test_a_program_that_is_not_executable_or_not_on_path_is_named(self):
        plain = self.dir / "plain-file"
        plain.write_text("not a program\n")
        m = manifest.load(self.write("x", str(plain), "no-such-command-anywhere"))
        problems = run.missing_programs([m])
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("[server] command: %s is not executable" % plain, problems[0])
        self.assertIn("[client] command: no-such-command-anywhere is not on PATH", problems[1])

    def test_under_a_launcher_the_launcher_must_exist_and_the_program_need_only_be_a_file(self):
        path = self.dir / "w.toml"
        exe = self.dir / "prog.exe"
        exe.write_text("")  # not executable: the launcher reads it
        path.write_text('[implementation]\nname = "w"\nlanguage = "C"\nplatform = "windows"\n'
                        'launcher = ["no-such-launcher"]\n[codec]\ncommand = ["%s"]\n' % exe)
        problems = run.missing_programs([manifest.load(path)])
        self.assertEqual(problems, ["%s: [implementation] launcher: no-such-launcher is not on "
                                    "PATH" % path])

    def test_programs_the_build_makes_are_checked_only_after_the_build(self):
        ref = manifest.load(ROOT / "interop" / "reference.toml")
        self.assertEqual(run.missing_programs([ref], skip_build_tree=True), [])

    def test_the_bundled_manifests_name_programs_that_exist_once_built(self):
        fake = manifest.load(fake_manifest(self.dir, "f", self.marker, server="ok",
                                           client="ok"))
        self.assertEqual(run.missing_programs([fake]), [])


class SelectionTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.fake = FakeCatalogue()
        sys.modules["ctslib.conformance"] = self.fake.module
        self.m = manifest.load(fake_manifest(self.dir, "x", "m", server="ok", client="ok",
                                             profiles=(1, 2, 4)))

    def tearDown(self):
        sys.modules.pop("ctslib.conformance", None)
        self.tmp.cleanup()

    def plan(self, **kw):
        tasks, notes = run.plan_tasks([self.m], options(**kw), Path(os.devnull), self.dir, {})
        for t in tasks:
            if t.id.startswith("conformance/"):
                t.run("")
        return sorted(t.id for t in tasks), notes

    def test_only_uds_selects_uds_cells_and_the_catalogue_cases_on_uds_alike(self):
        ids, _ = self.plan(only="/uds/")
        matrix_ids = [i for i in ids if i.startswith("matrix/")]
        self.assertTrue(matrix_ids)
        self.assertTrue(all("/uds/" in i for i in matrix_ids), matrix_ids)
        self.assertEqual(sorted(self.fake.ran), [
            "conformance/x/client/uds/hs.cli.c", "conformance/x/server/uds/hs.srv.b",
            "conformance/x/server/uds/uds.srv.a"])

    def test_a_scenario_selects_matrix_cells_only_and_says_the_catalogue_did_not_run(self):
        ids, notes = self.plan(scenario=["large"])
        self.assertTrue(ids)
        self.assertTrue(all(i.startswith("matrix/") and i.endswith("/large") for i in ids), ids)
        self.assertTrue(any("conformance catalogue: not run (--scenario large" in n
                            for n in notes), notes)
        self.assertEqual(self.fake.ran, [])

    def test_a_transport_selects_cells_and_catalogue_cases_over_that_profile(self):
        ids, _ = self.plan(transport=["shm-hybrid"])
        cells = [i for i in ids if i.startswith("matrix/")]
        self.assertTrue(cells)
        self.assertTrue(all("/shm-hybrid/" in i for i in cells), cells)
        self.assertTrue(self.fake.ran)
        self.assertTrue(all("/shm-hybrid/" in r for r in self.fake.ran), self.fake.ran)

    def test_a_catalogue_task_the_filters_leave_empty_is_not_planned(self):
        ids, _ = self.plan(only="srv")
        self.assertIn("conformance/x/server", ids)
        self.assertNotIn("conformance/x/client", ids)

    def test_vector_cases_are_filtered_by_their_row_id(self):
        sel = run.Selection(only="vectors/c/increment/1-")
        self.assertTrue(sel.row("vectors/c/increment/1-one"))
        self.assertFalse(sel.row("vectors/c/increment/2-two"))
        self.assertFalse(run.Selection(transports=["uds"]).row("vectors/c/increment/1-one"))

    def test_a_filter_that_selects_nothing_is_named(self):
        args = options(only="xyz-nothing")
        why = run.selects_nothing([self.m], args, self.dir, run.selection_of(args))
        self.assertIn("--only 'xyz-nothing' selects nothing", why)
        args = options(only="/uds/", transport=["shm-futex"])
        why = run.selects_nothing([self.m], args, self.dir, run.selection_of(args))
        self.assertIn("nothing together", why)
        args = options(transport=["uds"])
        self.assertEqual(run.selects_nothing([self.m], args, self.dir,
                                             run.selection_of(args)), "")


class EmptySelectionRunTest(unittest.TestCase):
    def test_run_with_only_matching_nothing_exits_2_naming_the_filter(self):
        with tempfile.TemporaryDirectory(prefix="cts-t-", dir="/tmp") as d:
            marker = new_marker()
            m = fake_manifest(Path(d), "f", marker, server="ok", client="ok")
            p = cts("run", "--no-build", "--no-conformance", "--impl", str(m), "--only",
                    "xyz", "--out", str(Path(d) / "out"))
            kill_marker(marker)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("--only 'xyz' selects nothing", p.stderr)


class FirstRunTest(unittest.TestCase):
    def test_the_reference_run_builds_its_program_and_the_peer_not_every_test(self):
        ref = manifest.load(ROOT / "interop" / "reference.toml")
        self.assertEqual(run.build_presets([ref]),
                         [("default", ["nipc-peer", "reference/tools/nipc-ref/nipc-ref"])])

    def test_a_manifest_built_by_a_custom_target_is_built_by_its_file_name(self):
        go = manifest.load(ROOT / "interop" / "examples" / "go-fixed" / "manifest.toml")
        self.assertEqual(run.build_presets([go]), [(
            "default", ["nipc-peer", "interop/examples/go-fixed/nipc-go-fixed-server"])])

    def test_the_self_check_is_opt_in(self):
        p = cts("run", "--help")
        self.assertIn("--self-check", p.stdout)
        self.assertFalse(run_args().self_check)

    def test_a_phase_prints_a_handful_of_lines_in_a_log_not_one_per_step(self):
        out = io.StringIO()
        line = run.PhaseLine("build default", stream=out, mode="lines")
        for k in range(1, 148):
            line.step(k, 147)
        line.done("nipc-ref")
        lines = out.getvalue().splitlines()
        self.assertLessEqual(len(lines), 12, lines)
        self.assertEqual(lines[-2], "cts run: build default 147/147 0:00")
        self.assertTrue(lines[-1].startswith("cts run: build default done in 0:00: nipc-ref"))


def run_args(*argv):
    p = argparse.ArgumentParser()
    run.add_arguments(p)
    return p.parse_args(list(argv))


if __name__ == "__main__":
    unittest.main()
