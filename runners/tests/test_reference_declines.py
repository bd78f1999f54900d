"""The reference must not pass by declining: in its own vector replay and conformance runs an
unsupported or not-applicable row fails unless conformance/reference-declines.toml lists it
with a reason; a copy of its manifest elsewhere (any other implementation) is not held to it."""
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT  # noqa: E402
from ctslib import declines  # noqa: E402


class ReferenceDeclinesTest(unittest.TestCase):
    def test_the_list_loads_and_every_entry_says_why(self):
        allowed = declines.load()
        self.assertIn("shim.srv.stop-event", allowed["conformance"])
        with tempfile.TemporaryDirectory() as d:
            bad = Path(d) / "declines.toml"
            bad.write_text('[conformance]\n"x.*" = "no"\n')
            with self.assertRaises(declines.DeclinesError):
                declines.load(bad)
            bad.write_text('[elsewhere]\n"x.*" = "a reason that is long enough to count"\n')
            with self.assertRaises(declines.DeclinesError):
                declines.load(bad)

    def test_an_unlisted_decline_fails_and_a_listed_one_keeps_its_verdict(self):
        rows = [{"case": "win.srv.pipe-name", "verdict": "not-applicable", "reason": "windows objects",
                 "failures": []},
                {"case": "hs.srv.layout-0", "verdict": "unsupported", "reason": "declines", "failures": []},
                {"case": "hs.srv.layout-1", "verdict": "pass", "failures": []}]
        unlisted = declines.hold(rows, declines.load()["conformance"], lambda r: r["case"], "test")
        self.assertEqual(unlisted, ["hs.srv.layout-0"])
        self.assertEqual([r["verdict"] for r in rows], ["not-applicable", "fail", "pass"])
        self.assertIn("must not decline", rows[1]["reason"])
        self.assertIn("Windows objects", rows[0]["declined_because"])

    def test_only_the_bundled_manifests_are_the_reference(self):
        self.assertTrue(declines.is_reference(ROOT / "interop/reference.toml"))
        self.assertTrue(declines.is_reference(ROOT / "interop/windows-codec.toml"))
        with tempfile.TemporaryDirectory() as d:
            copy = Path(d) / "reference.toml"
            shutil.copy(ROOT / "interop/reference.toml", copy)
            self.assertFalse(declines.is_reference(copy))


if __name__ == "__main__":
    unittest.main()
