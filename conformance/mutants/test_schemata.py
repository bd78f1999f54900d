"""The mutant table's rules hold: an anchor that matches zero or two times, an unguarded
replacement or overlapping rows stop the mutant build with a message naming the row."""
import tempfile
import unittest
from pathlib import Path

import schemata

PRISTINE = """int check(int a, int b) {
  if (a < b) return 1;
  return a + 1;
}
"""


def row(**kw):
    base = {"name": "Flip", "requirement": "ENV-LIMIT-001", "description": "d",
            "file": "reference/src/codec/x.cpp", "anchor": "if (a < b)",
            "replacement": "if (MUTANT_ACTIVE(Flip) ? a <= b : a < b)"}
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}  # replacement=None: a derived row


class Schemata(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        (self.root / "reference/src/codec").mkdir(parents=True)
        (self.root / "reference/src/codec/x.cpp").write_text(PRISTINE)

    def tearDown(self):
        self.tmp.cleanup()

    def apply(self, *rows):
        return schemata.apply(list(rows), self.root)["reference/src/codec/x.cpp"]

    def test_a_matching_anchor_is_replaced_and_the_file_includes_the_selection_header(self):
        text = self.apply(row())
        self.assertTrue(text.startswith('#include "mutant_schemata.h"\n'))
        self.assertIn("if (MUTANT_ACTIVE(Flip) ? a <= b : a < b) return 1;", text)

    def test_an_anchor_that_no_longer_matches_stops_the_build_naming_the_row(self):
        with self.assertRaisesRegex(schemata.TableError, r"Flip: the anchor matches 0 times"):
            self.apply(row(anchor="if (a <= b)"))

    def test_an_anchor_that_matches_twice_is_refused(self):
        with self.assertRaisesRegex(schemata.TableError, r"matches 2 times"):
            self.apply(row(anchor="return", replacement="MUTANT_ACTIVE(Flip)"))

    def test_a_replacement_not_guarded_by_its_own_mutant_is_refused(self):
        with self.assertRaisesRegex(schemata.TableError, r"guarded by MUTANT_ACTIVE\(Flip\)"):
            self.apply(row(replacement="if (a <= b)"))

    def test_rows_whose_anchors_overlap_are_refused(self):
        with self.assertRaisesRegex(schemata.TableError, r"Second: the anchor overlaps"):
            self.apply(row(), row(name="Second", anchor="(a < b) return 1;",
                                  replacement="(MUTANT_ACTIVE(Second)) return 1;"))

    def test_derived_rows_guard_the_mutated_expression(self):
        text = self.apply(
            row(name="Swap", anchor="if (a < b)", expr="a < b", swap=["<", "<="], replacement=None),
            row(name="Drop", anchor="return a + 1;", expr="a + 1", drop=" + 1", replacement=None))
        self.assertIn("if ((MUTANT_ACTIVE(Swap) ? (a <= b) : (a < b)))", text)
        self.assertIn("return (MUTANT_ACTIVE(Drop) ? (a) : (a + 1));", text)

    def test_the_checked_in_table_applies_to_the_checked_in_reference(self):
        rows = schemata.load()
        self.assertGreaterEqual(len(rows), 100)
        schemata.apply(rows)


if __name__ == "__main__":
    unittest.main()
