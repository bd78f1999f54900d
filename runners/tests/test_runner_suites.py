"""Conformance and vector-replay rows plug into the run as rows of the matrix's shape: the
conformance seam (ctslib.conformance.run_catalogue) and vector replay tasks, through to a
schema-valid report with compliance verdicts."""
import argparse
import datetime
import json
import sys
import tempfile
import types
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import fake_manifest  # noqa: E402
from ctslib import expected, manifest, matrix, report, run, vectors  # noqa: E402
from ctslib.manifest import Capabilities, CodecTesteeSpec, Manifest  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


def options():
    return argparse.Namespace(jobs=1, shard=(1, 1), strict=False, diagnose=0, capture=True,
                              only=None, scenario=None)


class QuietProgress:
    def finished(self, task_id, rows, seconds=None):
        pass


class SuitesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        sys.modules.pop("ctslib.conformance", None)
        self.tmp.cleanup()

    def test_without_a_conformance_module_the_run_notes_its_absence(self):
        sys.modules["ctslib.conformance"] = None  # makes the import fail
        tasks, notes = run.conformance_tasks([], None)
        self.assertEqual(tasks, [])
        self.assertIn("not in this tree yet", notes[0])

    def test_conformance_rows_arrive_per_implementation_and_role(self):
        calls = []

        def run_catalogue(m, role, run_base, out_dir, revision):
            calls.append((m.name, role))
            self.assertEqual(revision, "newest")  # the run's revision reaches the catalogue
            return [{"id": "conformance/%s/%s/hello-flags" % (m.name, role),
                     "suite": "conformance.handshake", "name": "hello-flags",
                     "verdict": "fail" if role == "server" else "pass", "seconds": 0.1,
                     "message": "accepted HELLO flags 0x8000", "details": "",
                     "requirements": ["HS-HELLO-FLAGS-001"]}]
        module = types.ModuleType("ctslib.conformance")
        module.run_catalogue = run_catalogue
        sys.modules["ctslib.conformance"] = module
        m = manifest.load(fake_manifest(self.dir, "x", "m", server="ok", client="ok"))
        ctx = matrix.CellContext(run_base=self.dir, out_dir=self.dir / "out")
        tasks, notes = run.conformance_tasks([m], ctx)
        self.assertEqual(notes, [])
        self.assertEqual([t.id for t in tasks], ["conformance/x/server", "conformance/x/client"])
        rows = run.execute(tasks, 2, QuietProgress())
        self.assertEqual(sorted(calls), [("x", "client"), ("x", "server")])
        self.assertEqual({(r["kind"], r["implementation"], r["role"]) for r in rows},
                         {("conformance", "x", "server"), ("conformance", "x", "client")})
        run.attribute(rows)
        expected.apply(rows, {})
        doc = report.document(rows=rows, manifests=[m], lists={}, notes=[],
                              started=datetime.datetime.now(datetime.timezone.utc),
                              seconds=1.0, args=options())
        self.assertEqual(report.validate(doc), [])
        comp = {t["id"]: t for t in doc["compliance"]["x"]}
        self.assertEqual(comp["HS-HELLO-FLAGS-001"]["verdict"], "fail")
        self.assertEqual(len(comp["HS-HELLO-FLAGS-001"]["cases"]), 2)

    def test_vector_replay_rows_carry_the_implementation_and_a_unique_id(self):
        vec_dir = self.dir / "vectors"
        vec_dir.mkdir()
        (vec_dir / "increment.json").write_text(json.dumps({
            "schema_version": 1, "family": "increment", "spec_revision": "x",
            "description": "d", "input": "hex", "cases": [
                {"id": 1, "name": "one", "requirements": ["CODEC-INC-001"], "comment": "c",
                 "result": "valid", "flags": [], "hex": "0100000000000000",
                 "fields": {"value": "1"}}]}))
        table = self.dir / "t.json"
        table.write_text(json.dumps({"families": ["increment"], "answers": {
            "0100000000000000": {"result": "valid", "fields": {"value": "2"}}}}))
        m = Manifest(path=self.dir / "m.toml", name="codec-x", language="py", version="0",
                     platform="linux", capabilities=Capabilities(roles=["codec"]),
                     codec=CodecTesteeSpec(command=[sys.executable,
                                                    str(FIXTURES / "echo_testee.py"),
                                                    str(table)]))
        saved = vectors.VECTORS
        vectors.VECTORS = vec_dir
        try:
            tasks, notes = run.vector_tasks([m], self.dir / "out")
            rows = run.execute(tasks, 1, QuietProgress())
        finally:
            vectors.VECTORS = saved
        self.assertEqual(notes, [])
        self.assertEqual([(r["id"], r["verdict"], r["kind"]) for r in rows],
                         [("vectors/codec-x/increment/1-one", "fail", "vectors")])
        self.assertEqual(rows[0]["implementations"], ["codec-x"])

    def test_a_missing_codec_testee_is_an_error_row_not_a_crash(self):
        m = Manifest(path=self.dir / "m.toml", name="codec-y", language="py", version="0",
                     platform="linux", capabilities=Capabilities(roles=["codec"]),
                     codec=CodecTesteeSpec(command=[str(self.dir / "no-such-testee")]))
        (self.dir / "v").mkdir()
        (self.dir / "v" / "f.json").write_text("{}")  # any vector file makes replay planned
        saved = vectors.VECTORS
        vectors.VECTORS = self.dir / "v"
        try:
            tasks, _ = run.vector_tasks([m], self.dir / "out")
            rows = run.execute(tasks, 1, QuietProgress())
        finally:
            vectors.VECTORS = saved
        self.assertEqual(rows[0]["verdict"], "error")
        self.assertIn("does not exist", rows[0]["message"])


if __name__ == "__main__":
    unittest.main()


class ProgressTest(unittest.TestCase):
    def rows(self, verdict):
        return [{"id": "matrix/a/b/uds/x", "verdict": verdict, "message": "boom"}]

    def test_plain_lines_when_not_a_terminal(self):
        import io
        out = io.StringIO()
        p = run.Progress(2, stream=out)
        p.finished("matrix/a/b/uds/x", self.rows("fail"))
        p.finished("matrix/a/b/uds/y", self.rows("pass"))
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertRegex(lines[0], r"^\[1/2\] 1 failed, ETA \d+:\d\d FAIL  matrix/a/b/uds/x: boom$")
        self.assertRegex(lines[1], r"^\[2/2\] 1 failed, ETA 0:00 PASS  matrix/a/b/uds/y$")
        self.assertNotIn("\r", out.getvalue())

    def test_the_eta_weighs_the_tasks_left_by_the_time_of_their_kind(self):
        import io
        ids = ["conformance/a/server", "conformance/a/client"] + [
            "matrix/a/a/uds/s%d" % i for i in range(100)]
        p = run.Progress(len(ids), stream=io.StringIO(), task_ids=ids, jobs=2)
        p.finished(ids[0], [{"id": ids[0], "verdict": "pass", "seconds": 100.0}])
        p.finished(ids[2], [{"id": ids[2], "verdict": "pass", "seconds": 0.5}])
        # Left: one catalogue task (100 s) and 99 cells (0.5 s), on two jobs: 74.75 s. The
        # mean over every task so far (about 50 s) would have said about 42 minutes.
        self.assertEqual(p._eta(), "1:15")

    def test_one_rewritten_line_on_a_terminal_with_failures_kept(self):
        import io
        out = io.StringIO()
        p = run.Progress(2, stream=out, mode="bar")
        p.finished("matrix/a/b/uds/x", self.rows("fail"))
        p.finished("matrix/a/b/uds/y", self.rows("pass"))
        text = out.getvalue()
        self.assertIn("\r\033[KFAIL matrix/a/b/uds/x: boom\n", text)
        self.assertIn("\r\033[K[2/2] 1 failed, ETA 0:00", text)
        self.assertTrue(text.endswith("\n"))
