"""`./cts report --merge`: the shard reports of one run join into the report the whole run
would have written (same rows and verdicts, JUnit, HTML, compliance); a missing shard, a row
two shards disagree on, or shards of different implementations are refused (exit 2)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT, fake_manifest, kill_marker, new_marker  # noqa: E402
from ctslib import merge, report  # noqa: E402


def cts(*argv):
    return subprocess.run([sys.executable, str(ROOT / "cts"), *argv], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


class MergeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="cts-t-", dir="/tmp")
        cls.dir = Path(cls.tmp.name)
        cls.marker = new_marker()
        s = fake_manifest(cls.dir, "srv", cls.marker, server="ok")
        c = fake_manifest(cls.dir, "cli", cls.marker, client="ok")
        base = ["run", "--no-build", "--no-conformance", "--progress", "lines", "--jobs", "2",
                "--scenario", "single", "--scenario", "batch", "--impl", str(s),
                "--impl", str(c)]
        cls.runs = {}
        for name, extra in (("whole", []), ("s1", ["--shard", "1/2"]),
                            ("s2", ["--shard", "2/2"])):
            out = cls.dir / name
            p = cts(*base, "--out", str(out), *extra)
            assert p.returncode == 0, p.stdout + p.stderr
            cls.runs[name] = out
        kill_marker(cls.marker)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def verdicts(self, out):
        doc = json.loads((out / "report.json").read_text())
        return {r["id"]: r["verdict"] for r in doc["results"]}, doc

    def test_the_merged_shards_hold_what_the_whole_run_holds(self):
        out = self.dir / "merged"
        p = cts("report", "--merge", str(self.runs["s1"]), str(self.runs["s2"] / "report.json"),
                "--out", str(out))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        whole, _ = self.verdicts(self.runs["whole"])
        merged, doc = self.verdicts(out)
        self.assertEqual(merged, whole)
        self.assertGreater(len(merged), 1)
        self.assertNotEqual(self.verdicts(self.runs["s1"])[0], whole, "a shard holds a part")
        self.assertEqual(report.validate(doc), [])
        self.assertEqual(doc["summary"]["exit_code"], 0)
        self.assertIn("merged from 2 shard reports (1/2, 2/2)", doc["notes"][0])
        cases = list(ET.parse(out / "junit.xml").getroot().iter("testcase"))
        self.assertEqual(sorted(c.get("name") for c in cases), sorted(whole))
        self.assertIn("matrix/cli/srv/uds/single", (out / "index.html").read_text())
        self.assertEqual(set(doc["compliance"]), {"srv", "cli"})
        whole_doc = json.loads((self.runs["whole"] / "report.json").read_text())
        self.assertEqual(doc["compliance_matrix"], whole_doc["compliance_matrix"])

    def test_a_missing_shard_is_refused(self):
        out = self.dir / "partial"
        p = cts("report", "--merge", str(self.runs["s1"]), "--out", str(out))
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("shard 2/2 of the run is missing", p.stderr)
        self.assertFalse((out / "report.json").exists())

    def test_a_row_two_shards_disagree_on_is_refused(self):
        _, doc = self.verdicts(self.runs["s1"])
        other = json.loads(json.dumps(doc))
        other["options"]["shard"] = "2/2"
        other["results"][0]["verdict"] = "fail"
        with self.assertRaisesRegex(merge.MergeError, "different results"):
            merge.merge_documents([(Path("a"), doc), (Path("b"), other)])

    def test_shards_of_different_implementations_are_refused(self):
        _, doc = self.verdicts(self.runs["s1"])
        other = json.loads(json.dumps(doc))
        other["options"]["shard"] = "2/2"
        other["results"] = []
        other["implementations"][0]["profiles"] = [1, 2]
        with self.assertRaisesRegex(merge.MergeError, "differs between the shards"):
            merge.merge_documents([(Path("a"), doc), (Path("b"), other)])


if __name__ == "__main__":
    unittest.main()
