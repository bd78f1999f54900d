"""Expected-failure lists: parsing, matching by id or glob, outcomes, strictness, staleness,
and how the report attributes a failed cell to an implementation."""
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support  # noqa: E402,F401
from ctslib import expected, run  # noqa: E402


def row(id, verdict, impls=("a",)):
    return {"id": id, "verdict": verdict, "implementations": list(impls)}


class ExpectedTest(unittest.TestCase):
    def test_entries_need_a_reason_and_comments_are_ignored(self):
        entries = expected.parse("# header\n\nmatrix/a/b/uds/single  slow start # note\n", "f")
        self.assertEqual([(e.pattern, e.reason, e.source) for e in entries],
                         [("matrix/a/b/uds/single", "slow start", "f:3")])
        with self.assertRaisesRegex(expected.ExpectedListError, "f:1: .* needs a reason"):
            expected.parse("matrix/a/b/uds/single\n", "f")

    def test_an_entry_may_name_the_requirement_it_deviates_from_before_its_reason(self):
        entries = expected.parse("conformance/a/server/*hs.srv.sid*  HS-SID-001  sends 0\n"
                                 "matrix/a/*  plain reason\n", "f")
        self.assertEqual([(e.requirement, e.reason) for e in entries],
                         [("HS-SID-001", "sends 0"), ("", "plain reason")])
        rows = expected.apply([row("conformance/a/server/uds/hs.srv.sid-sequence", "fail")],
                              {"a": entries})
        self.assertEqual(rows[0]["expected_requirement"], "HS-SID-001")
        self.assertEqual(rows[0]["expected_reason"], "HS-SID-001: sends 0")
        with self.assertRaisesRegex(expected.ExpectedListError, "gives no reason"):
            expected.parse("matrix/a/*  HS-SID-001\n", "f")

    def test_a_listed_failure_is_expected_and_a_listed_pass_is_unexpected(self):
        lists = {"a": expected.parse("matrix/*/uds/single  known\n", "f")}
        rows = [row("matrix/x/a/uds/single", "fail"), row("matrix/a/x/uds/single", "pass"),
                row("matrix/a/x/uds/batch", "fail"), row("matrix/b/c/uds/single", "fail",
                                                          impls=("b", "c"))]
        expected.apply(rows, lists)
        self.assertEqual([expected.outcome(r) for r in rows], ["xfail", "xpass", "fail", "fail"])
        self.assertEqual(rows[0]["expected_reason"], "known")

    def test_errors_count_as_failures_and_skips_stay_skips(self):
        lists = {"a": expected.parse("c1 r\nc2 r\n", "f")}
        rows = expected.apply([row("c1", "error"), row("c2", "not-applicable")], lists)
        self.assertEqual([expected.outcome(r) for r in rows], ["xfail", "skip"])

    def test_only_strict_runs_fail_on_expected_failures_or_unexpected_passes(self):
        xfail = dict(row("c", "fail"), expectation="expected-failure")
        xpass = dict(row("d", "pass"), expectation="unexpected-pass")
        ok = row("e", "pass")
        self.assertFalse(expected.run_failed([xfail, xpass, ok], strict=False))
        self.assertTrue(expected.run_failed([xfail, ok], strict=True))
        self.assertTrue(expected.run_failed([xpass, ok], strict=True))
        self.assertTrue(expected.run_failed([row("f", "fail")], strict=False))
        self.assertFalse(expected.run_failed([ok, row("g", "unsupported")], strict=True))

    def test_entries_matching_nothing_are_stale(self):
        lists = {"a": expected.parse("c1 r\nnever r\n", "f")}
        expected.apply([row("c1", "fail")], lists)
        self.assertEqual([e.pattern for e in expected.stale(lists)], ["never"])


class AttributionTest(unittest.TestCase):
    def cell(self, client, server, verdict, scenario="single", fault="either"):
        return {"id": "matrix/%s/%s/uds/%s" % (client, server, scenario), "kind": "matrix",
                "client": client, "server": server, "profile": "uds", "scenario": scenario,
                "verdict": verdict, "fault": fault, "implementations": sorted({client, server})}

    def test_a_failure_against_a_passing_reference_is_held_against_the_other_side(self):
        rows = [self.cell("reference", "reference", "pass"),
                self.cell("reference", "x", "fail"), self.cell("x", "reference", "fail")]
        run.attribute(rows)
        self.assertEqual([r["blame"] for r in rows], [[], ["x"], ["x"]])

    def test_without_a_passing_reference_cell_both_sides_are_named(self):
        rows = [self.cell("reference", "reference", "fail"), self.cell("reference", "x", "fail"),
                self.cell("y", "x", "fail")]
        run.attribute(rows)
        self.assertEqual([r["blame"] for r in rows],
                         [["reference"], ["reference", "x"], ["y", "x"]])

    def test_server_hygiene_is_held_against_the_server(self):
        rows = [self.cell("y", "x", "fail", fault="server")]
        run.attribute(rows)
        self.assertEqual(rows[0]["blame"], ["x"])


if __name__ == "__main__":
    unittest.main()
