"""Repro bundles: `./cts run` writes one per failing row (matrix, conformance, vectors) with
everything needed to understand and rerun the case, and `./cts repro BUNDLE` runs that case
again: exit 1 when it still fails, 0 when it now passes, 2 when it cannot run (a missing
program, a damaged bundle, an interrupt). Matrix and vector bundles come from scripted fake
implementations; the conformance bundle from the reference's mutant build and the real peer
(skipped when they are not built)."""
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT, build_dir, fake_manifest, kill_marker, marker_processes, new_marker  # noqa
from support import RunDirTest, requires  # noqa: E402
from ctslib import conformance, repro, report, spec_index  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
CTS = [sys.executable, str(ROOT / "cts")]


def cts(*args, env=None, timeout=240):
    return subprocess.run(CTS + [str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, env=env)


class BundleTest(RunDirTest):
    prefix = "cts-repro-t-"

    def run_cts(self, manifests, *extra):
        cmd = ["run", "--no-build", "--no-conformance", "--no-self-check", "--out", self.out,
               "--progress", "lines", "--jobs", "2"]
        for m in manifests:
            cmd += ["--impl", m]
        p = cts(*cmd, *extra)
        self.assertEqual(marker_processes(self.marker), [], "no process outlives the run")
        return p, json.loads((self.out / "report.json").read_text())

    def failing_cell(self, client="fail", **kw):
        s = fake_manifest(self.dir, "srv", self.marker, server="ok")
        c = fake_manifest(self.dir, "cli", self.marker, client=client, **kw)
        p, doc = self.run_cts([s, c], "--scenario", "single")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        row = doc["results"][0]
        return self.out / row["repro"], row, doc

    def test_a_failing_cell_gets_a_bundle_with_everything_needed_to_understand_it(self):
        bundle, row, doc = self.failing_cell()
        self.assertEqual(row["repro"], "repro/matrix__cli__srv__uds__single")
        self.assertEqual(report.validate(doc), [])
        self.assertEqual(doc["summary"]["repro"], {"written": 1, "not_written": 0,
                                                   "limit": repro.DEFAULT_MAX_BUNDLES,
                                                   "errors": []})
        case = json.loads((bundle / "case.json").read_text())
        self.assertEqual((case["id"], case["kind"], case["verdict"]),
                         ("matrix/cli/srv/uds/single", "matrix", "fail"))
        reqs = {r["id"]: r for r in case["requirements"]}
        self.assertEqual(set(reqs), set(row["requirements"]))
        self.assertIn("message_id", reqs["SESS-MSGID-003"]["statement"])
        self.assertEqual(sorted(i["name"] for i in case["implementations"]), ["cli", "srv"])
        for impl in case["implementations"]:
            self.assertEqual((bundle / impl["manifest"]).read_text(),
                             (self.dir / (impl["name"] + ".toml")).read_text())
            self.assertTrue(impl["programs"], "the fake's script is a program of the case")
        plan = case["plan"]
        self.assertEqual((plan["client"], plan["server"], plan["scenario"]),
                         ("cli", "srv", "single"))
        self.assertEqual(plan["config"]["count"], "50")
        argvs = [c["argv"] for c in case["commands"] if "argv" in c]
        self.assertEqual(len(argvs), 2)
        for argv in argvs:
            self.assertFalse([a for a in argv if "{" in a], "every placeholder is expanded")
        commands = (bundle / "commands.txt").read_text()
        self.assertIn("--behaviour fail", commands)
        self.assertIn("no good echo", (bundle / "logs" / "client.stderr").read_text())
        self.assertIn("client→server", (bundle / "transcript.txt").read_text())
        env = json.loads((bundle / "environment.json").read_text())
        for key in ("kernel", "machine", "distribution", "tools", "checkout"):
            self.assertIn(key, env)
        self.assertIn("python", env["tools"])
        self.assertTrue(os.access(bundle / "repro.sh", os.X_OK))
        self.assertIn("SESS-MSGID-003", (bundle / "README.md").read_text())
        for f in bundle.rglob("*"):
            if f.is_file():
                self.assertNotIn(str(self.out), f.read_text(errors="replace"),
                                 "%s names the report directory" % f.name)
        page = (self.out / "failures" / "matrix__cli__srv__uds__single.html").read_text()
        self.assertIn('href="../repro/matrix__cli__srv__uds__single/"', page)
        self.assertIn('href="repro/matrix__cli__srv__uds__single/"',
                      (self.out / "index.html").read_text())

    def test_a_bundle_moved_elsewhere_still_fails_and_says_so_with_exit_1(self):
        bundle, _, _ = self.failing_cell()
        moved = self.dir / "elsewhere" / "b"
        shutil.copytree(bundle, moved)
        shutil.rmtree(self.out)
        p = cts("repro", moved)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("STILL FAILS", p.stdout)
        self.assertIn("no good echo", p.stdout)
        p = subprocess.run([str(moved / "repro.sh"), str(ROOT)], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(marker_processes(self.marker), [])

    def test_a_bundle_archive_reproduces_like_its_directory(self):
        bundle, _, _ = self.failing_cell()
        archive = self.dir / "bundle.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(bundle, arcname=bundle.name)
        shutil.rmtree(self.out)
        p = cts("repro", archive)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("STILL FAILS", p.stdout)

    def test_a_fixed_implementation_in_its_place_now_passes_with_exit_0(self):
        bundle, _, _ = self.failing_cell()
        (self.dir / "fixed").mkdir()
        fixed = fake_manifest(self.dir / "fixed", "cli", self.marker, client="ok")
        out = self.dir / "rerun"
        p = cts("repro", bundle, "--impl", "cli=%s" % fixed, "--out", out)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("NOW PASSES", p.stdout)
        self.assertEqual(json.loads((out / "repro.json").read_text())["verdict"], "pass")

    def test_a_missing_program_cannot_run_exits_2_and_is_named(self):
        script = self.dir / "prog" / "fake_impl.py"
        script.parent.mkdir()
        shutil.copy(FIXTURES / "fake_impl.py", script)
        c = fake_manifest(self.dir, "cli", self.marker, client="fail")
        c.write_text(c.read_text().replace(str(FIXTURES / "fake_impl.py"), str(script)))
        s = fake_manifest(self.dir, "srv", self.marker, server="ok")
        p, doc = self.run_cts([s, c], "--scenario", "single")
        bundle = self.out / doc["results"][0]["repro"]
        script.unlink()
        p = cts("repro", bundle)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("CANNOT RUN", p.stderr)
        self.assertIn(str(script), p.stderr)

    def test_an_interrupted_repro_exits_2_and_leaves_nothing_running(self):
        bundle, _, _ = self.failing_cell()
        (self.dir / "slow").mkdir()
        slow = fake_manifest(self.dir / "slow", "cli", self.marker, client="hang",
                             client_timeout_ms=60000)
        for sig in (signal.SIGINT, signal.SIGTERM):
            proc = subprocess.Popen(CTS + ["repro", str(bundle), "--impl", "cli=%s" % slow],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 20
            while len(marker_processes(self.marker)) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertGreaterEqual(len(marker_processes(self.marker)), 2, "server and client run")
            t = time.monotonic()
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=30)
            self.assertLess(time.monotonic() - t, 5.0)
            self.assertEqual(proc.returncode, 2, out + err)
            self.assertIn("interrupted", err)
            self.assertEqual(marker_processes(self.marker), [], "nothing outlives the repro")

    def test_the_cap_bounds_the_bundles_and_the_report_counts_the_rest(self):
        s = fake_manifest(self.dir, "srv", self.marker, server="ok")
        c = fake_manifest(self.dir, "cli", self.marker, client="fail")
        p, doc = self.run_cts([s, c], "--scenario", "single", "--scenario", "batch",
                              "--repro-max", "1")
        self.assertEqual(doc["summary"]["repro"]["written"], 1)
        self.assertEqual(doc["summary"]["repro"]["not_written"], 1)
        self.assertEqual(len(list((self.out / "repro").iterdir())), 1)
        self.assertEqual(sum("repro" in r for r in doc["results"]), 1)
        self.assertTrue(any("1 failing rows have none" in n for n in doc["notes"]), doc["notes"])
        self.assertEqual(report.validate(doc), [])
        page = (self.out / "failures" / "matrix__cli__srv__uds__single.html").read_text()
        self.assertIn("No repro bundle for this row", page)

    def test_a_passing_run_writes_no_bundle(self):
        s = fake_manifest(self.dir, "srv", self.marker, server="ok")
        c = fake_manifest(self.dir, "cli", self.marker, client="ok")
        p, doc = self.run_cts([s, c], "--scenario", "single")
        self.assertEqual(p.returncode, 0)
        self.assertFalse((self.out / "repro").exists())
        self.assertEqual(doc["summary"]["repro"]["written"], 0)


class OrderTest(unittest.TestCase):
    def test_under_a_cap_unexpected_failures_come_first_and_the_kinds_take_turns(self):
        rows = [{"id": "conformance/x/server/uds/c%d" % i, "kind": "conformance",
                 "verdict": "fail"} for i in range(3)]
        rows += [{"id": "matrix/a/b/uds/s%d" % i, "kind": "matrix", "verdict": "fail"}
                 for i in range(2)]
        rows += [{"id": "matrix/a/b/uds/e", "kind": "matrix", "verdict": "error"},
                 {"id": "matrix/a/b/uds/x", "kind": "matrix", "verdict": "fail",
                  "expectation": "expected-failure"},
                 {"id": "matrix/a/b/uds/p", "kind": "matrix", "verdict": "pass"},
                 {"id": "self-check/unit", "kind": "self-check", "verdict": "fail"}]
        self.assertEqual([r["id"].rsplit("/", 1)[-1] for r in repro.bundle_order(rows)],
                         ["s0", "c0", "s1", "c1", "c2", "e", "x"])


class BadBundleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="cts-repro-t-", dir="/tmp")
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def assert_cannot(self, target, words):
        p = cts("repro", target, timeout=60)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("CANNOT RUN", p.stderr)
        self.assertIn(words, p.stderr)

    def test_a_path_that_does_not_exist_cannot_run(self):
        self.assert_cannot(self.dir / "nothing", "does not exist")

    def test_a_directory_without_case_json_is_not_a_bundle(self):
        self.assert_cannot(self.dir, "not a repro bundle")

    def test_a_bundle_of_another_format_is_refused(self):
        (self.dir / "case.json").write_text(json.dumps({"format": 99}))
        self.assert_cannot(self.dir, "format 99")

    def test_an_archive_reaching_outside_its_directory_is_refused_and_writes_nothing(self):
        archive = self.dir / "evil.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            data = b"{}"
            info = tarfile.TarInfo("../escaped.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        self.assert_cannot(archive, "outside the bundle")
        self.assertFalse((self.dir.parent / "escaped.json").exists())

    def test_a_file_that_is_no_archive_is_refused(self):
        (self.dir / "x.tar.gz").write_text("not an archive")
        self.assert_cannot(self.dir / "x.tar.gz", "not a readable bundle archive")

    def test_repro_has_a_help(self):
        p = cts("repro", "--help", timeout=60)
        self.assertEqual(p.returncode, 0)
        self.assertIn("still fails", p.stdout)


class VectorBundleTest(unittest.TestCase):
    """A codec testee that decodes vector increment/1 (value 0) as 1 fails that row; its
    bundle carries the vector itself and reruns it."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="cts-repro-t-", dir="/tmp")
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def make_testee(self, name, value):
        table = self.dir / (name + ".json")
        table.write_text(json.dumps({"families": ["increment"], "answers": {
            "0000000000000000": {"result": "valid", "fields": {"value": value}}}}))
        path = self.dir / (name + ".toml")
        path.write_text('[implementation]\nname = "%s"\nlanguage = "Python"\n\n[codec]\n'
                        'command = ["%s", "%s", "%s"]\n' % (name, sys.executable,
                                                            FIXTURES / "echo_testee.py", table))
        return path

    def test_a_failing_vector_row_reproduces_and_a_fixed_testee_passes(self):
        out = self.dir / "out"
        p = cts("run", "--no-build", "--no-conformance", "--no-self-check", "--out", out,
                "--progress", "lines", "--impl", self.make_testee("codec-x", "1"))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        doc = json.loads((out / "report.json").read_text())
        row = next(r for r in doc["results"] if r["id"] == "vectors/codec-x/increment/1-value-zero")
        self.assertEqual(row["verdict"], "fail")
        bundle = out / row["repro"]
        case = json.loads((bundle / "case.json").read_text())
        self.assertEqual(case["plan"]["vector"]["hex"], "0000000000000000")
        self.assertEqual(case["plan"]["request"]["op"], "decode")
        self.assertIn("CODEC-INC-001", (bundle / "README.md").read_text())
        p = cts("repro", bundle)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("fields differ", p.stdout)
        p = cts("repro", bundle, "--impl", "codec-x=%s" % self.make_testee("codec-fixed", "0"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("NOW PASSES", p.stdout)


BUILD = build_dir()
PEER = BUILD / "conformance" / "nipc-peer"
MUTANTS = BUILD / "conformance" / "nipc-ref-mutants"
NIPC_REF = BUILD / "reference" / "tools" / "nipc-ref" / "nipc-ref"


@requires(PEER.exists() and MUTANTS.exists() and NIPC_REF.exists(),
          "nipc-peer, nipc-ref and nipc-ref-mutants are not built in %s" % BUILD)
class ConformanceBundleTest(unittest.TestCase):
    """A conformance case failed by the WrongMessageId mutant: the bundle holds the peer's
    annotated transcript and the IUT's output; the repro fails again on the mutant and
    passes on the reference."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="cts-repro-t-", dir="/tmp")
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_a_failing_catalogue_case_reproduces_on_the_mutant_and_passes_on_the_reference(self):
        m = conformance.load_manifest(ROOT / "interop/mutants/wrong-message-id.toml", BUILD)
        peer = conformance.peer_command(m, BUILD)
        catalogue = conformance.load_catalogue(peer)
        runner = conformance.Runner(m, peer)
        levels = {k: v["level"] for k, v in spec_index.load_index()[1].items()}
        failing = None
        for case in catalogue:
            if case["role"] != "server" or "SESS-MSGID-003" not in case["requirements"]:
                continue
            r = conformance.apply_levels(runner.run(case, "uds"), levels)
            if r["verdict"] in ("fail", "timeout"):
                failing = (case, r)
                break
        self.assertIsNotNone(failing, "some SESS-MSGID-003 case kills WrongMessageId")
        case, result = failing
        out = self.dir / "out"
        conformance.write_reports(out / "conformance" / m.name / "server", m.name, [result],
                                  {"implementation": m.name, "role": "server"})
        rows = conformance.catalogue_rows(m, "server", [result])
        for r in rows:
            r.update(kind="conformance", implementations=[m.name], implementation=m.name,
                     role="server")
        summary, _ = repro.write_bundles(rows, [m], out)
        self.assertEqual(summary["written"], 1, summary)
        bundle = out / rows[0]["repro"]
        data = json.loads((bundle / "case.json").read_text())
        self.assertEqual(data["plan"]["case"], case["id"])
        self.assertEqual(data["plan"]["config"]["service_kind"], result["config"]["service_kind"])
        peer_cmd = next(c for c in data["commands"] if c["role"] == "peer")
        self.assertIn("--case", peer_cmd["argv"])
        self.assertEqual(peer_cmd["env"], {"NIPC_MUTANT": "WrongMessageId"})
        self.assertIn("message_id", (bundle / "transcript.txt").read_text())
        self.assertTrue((bundle / "logs" / "iut.stderr").exists())
        # The bundled manifest names {build_dir}: here, the tree under test.
        p = cts("repro", bundle, "--build-dir", BUILD)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("STILL FAILS", p.stdout)
        p = cts("repro", bundle, "--build-dir", BUILD, "--impl",
                "mutant-wrong-message-id=%s" % (ROOT / "interop" / "reference.toml"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("NOW PASSES", p.stdout)


if __name__ == "__main__":
    unittest.main()
