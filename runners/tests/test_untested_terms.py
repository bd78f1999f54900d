""""Untested" means one thing everywhere: a requirement no test of the suite names. What
`./cts spec untested` lists and what a report's compliance table calls untested are the same
set; a requirement tests name but a run did not reach is "not exercised" instead."""
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT, fake_manifest  # noqa: E402
from ctslib import manifest, report, spec_index  # noqa: E402


def spec_untested_ids():
    p = subprocess.run([sys.executable, str(ROOT / "cts"), "spec", "untested"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    ids = set()
    for line in p.stdout.splitlines()[1:]:
        ids.update(line.split()[1:])
    return ids


class UntestedTermsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        # Every role, so every requirement applies.
        self.m = manifest.load(fake_manifest(self.dir, "all", "m", server="ok", client="ok"))
        self.m.capabilities.roles.append("codec")
        _, reqs = spec_index.load_index()
        self.requirements = [dict(v, id=k) for k, v in sorted(reqs.items())]

    def tearDown(self):
        self.tmp.cleanup()

    def test_a_run_with_no_rows_calls_untested_exactly_what_spec_untested_lists(self):
        table = report.compliance([], [self.m], self.requirements)["all"]
        applicable = {t["id"] for t in table}
        untested = {t["id"] for t in table if t["verdict"] == "untested"}
        self.assertEqual(untested, spec_untested_ids() & applicable)
        not_exercised = {t["id"] for t in table if t["verdict"] == "not-exercised"}
        self.assertEqual(untested | not_exercised, applicable)
        self.assertFalse(untested & not_exercised)

    def test_a_requirement_no_test_names_is_untested_and_one_they_name_is_not_exercised(self):
        reqs = [{"id": "X-NAMED-001", "level": "MUST", "roles": ["server"]},
                {"id": "X-NOBODY-001", "level": "MUST", "roles": ["server"]}]
        table = report.compliance([], [self.m], reqs, named={"X-NAMED-001"})["all"]
        self.assertEqual([(t["id"], t["verdict"]) for t in table],
                         [("X-NAMED-001", "not-exercised"), ("X-NOBODY-001", "untested")])

    def test_spec_untested_says_what_the_word_means(self):
        p = subprocess.run([sys.executable, str(ROOT / "cts"), "spec", "untested"],
                           capture_output=True, text=True, timeout=120, cwd=ROOT)
        self.assertIn("no test of the suite names them", p.stdout)
        self.assertIn("not exercised", p.stdout)


if __name__ == "__main__":
    unittest.main()
