"""The coverage gate counts structured evidence only: a REQUIREMENT("ID") tag in a test, a
conformance case naming the ID as a string literal, or a golden vector listing it. A mention in
a comment, a mutant table or a message never covers a requirement."""
import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support  # noqa: E402,F401
from ctslib import spec_index  # noqa: E402


class StructuredEvidenceTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        self.write("reference/tests/unit/a_test.cpp",
                   'TEST(A, B) {\n  REQUIREMENT("ENV-MAGIC-001");\n'
                   '  // ENV-VERSION-001 is checked elsewhere\n'
                   '  /* REQUIREMENT("ENV-KIND-001") */\n'
                   '  EXPECT_EQ(msg, "see ENV-HDRLEN-001");\n}\n')
        self.write("conformance/cases/c.cpp",
                   'const Registrar r({.id = "x", .requirements = {"HS-SID-001"},\n'
                   '  .run = [](Ctx& c) { c.check(true, "HS-FLOW-001", "breaks HS-ACK-HDR-001"); }});\n'
                   '// UDS-NAME-001 in a comment\n')
        self.write("conformance/mutants/mutants.def", 'NIPC_X(m, "SHM-PUB-001", "d")\n')
        self.write("vectors/v.json", json.dumps(
            {"cases": [{"requirements": ["BATCH-DIR-001"], "comment": "not CHUNK-HDR-001"}]}))

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, rel, text):
        f = self.root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)

    def test_only_tags_case_literals_and_vector_requirements_count(self):
        self.assertEqual(sorted(spec_index.evidence(self.root)),
                         ["BATCH-DIR-001", "ENV-MAGIC-001", "HS-FLOW-001", "HS-SID-001"])

    def test_comments_never_hide_string_literals(self):
        self.assertEqual(spec_index.strip_cpp_comments('a("//x") // y\n/* z */b'), 'a("//x") \nb')


if __name__ == "__main__":
    unittest.main()
