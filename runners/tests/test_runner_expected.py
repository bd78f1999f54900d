"""Expected-failure lists: parsing, matching by id or glob, outcomes, strictness, staleness,
and how the report attributes a failed cell to an implementation."""
import datetime
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


class ExpiringEntriesTest(unittest.TestCase):
    TODAY = datetime.date(2030, 6, 15)

    def test_trailing_link_and_expires_keys_are_read_in_any_order(self):
        entries = expected.parse(
            "c1  HS-SID-001  sends 0  link=https://example.org/issues/21#note expires=2030-06-15\n"
            "c2  plain reason  expires=2030-01-01  link=\"tracked in issue 21\"  # comment\n"
            "c3  older line without keys\n", "f")
        self.assertEqual([(e.requirement, e.reason, e.link, str(e.expires)) for e in entries],
                         [("HS-SID-001", "sends 0", "https://example.org/issues/21#note",
                           "2030-06-15"),
                          ("", "plain reason", "tracked in issue 21", "2030-01-01"),
                          ("", "older line without keys", "", "None")])

    def test_a_requirement_followed_by_a_colon_is_still_the_requirement(self):
        [e] = expected.parse("c1  ENV-LIMIT-004: nipc_shm_send does not check item_count\n", "f")
        self.assertEqual((e.requirement, e.reason),
                         ("ENV-LIMIT-004", "nipc_shm_send does not check item_count"))
        self.assertEqual(e.text, "ENV-LIMIT-004: nipc_shm_send does not check item_count")

    def test_unknown_keys_are_rejected_with_the_line(self):
        with self.assertRaisesRegex(expected.ExpectedListError,
                                    r"f:2: unknown key 'owner' \(known: link, expires\)"):
            expected.parse("c1  reason  link=x\nc2  reason  owner=me expires=2030-01-01\n", "f")

    def test_a_malformed_date_an_empty_link_or_a_repeated_key_is_an_error(self):
        for text, message in (("c  r  expires=2030-13-01", "f:1: expires="),
                              ("c  r  expires=30-01-01", "YYYY-MM-DD"),
                              ('c  r  link=""', "link= is empty"),
                              ("c  r  link=a link=b", "link= is given twice"),
                              ("c  expires=2030-01-01", "needs a reason")):
            with self.subTest(text=text):
                with self.assertRaisesRegex(expected.ExpectedListError, message):
                    expected.parse(text + "\n", "f")

    def test_past_its_expiry_an_entry_no_longer_excuses_the_failure(self):
        lists = {"a": expected.parse("c1  r  link=x expires=2030-06-14\n"
                                     "c2  r  link=x expires=2030-06-15\n", "f")}
        rows = expected.apply([row("c1", "fail"), row("c2", "fail")], lists, self.TODAY)
        self.assertEqual([expected.outcome(r) for r in rows], ["fail", "xfail"])
        self.assertEqual(expected.expired_text(rows[0]),
                         "expectation expired on 2030-06-14, source f:1")
        self.assertEqual(expected.expired_text(rows[1]), "")
        self.assertTrue(expected.run_failed(rows[:1], strict=False))

    def test_an_expired_entry_whose_case_passes_is_an_unexpected_pass(self):
        lists = {"a": expected.parse("c1  r  link=x expires=2000-01-01\nc9  r\n", "f")}
        rows = expected.apply([row("c1", "pass")], lists, self.TODAY)
        self.assertEqual(expected.outcome(rows[0]), "xpass")
        self.assertEqual([e.pattern for e in expected.stale(lists)], ["c9"])

    def test_entries_without_link_or_expiry_are_accepted_but_flagged(self):
        entries = expected.parse("c1  r\nc2  r  link=x\nc3  r  expires=2031-01-01\n"
                                 "c4  r  link=x expires=2031-01-01\n", "f")
        self.assertEqual([e.flags(self.TODAY) for e in entries],
                         [["no link", "no expiry"], ["no expiry"], ["no link"], []])

    def test_strict_refuses_placeholders_missing_keys_and_expired_entries(self):
        lists = {"a": expected.parse(
            "c1  HS-SID-001  %s  link=x expires=2031-01-01\n"
            "c2  TODO write this up  link=x expires=2031-01-01\n"
            "c3  r  link=x expires=2030-06-14\n"
            "c4  r  link=x expires=2031-01-01\n"
            "c5  r\n" % expected.PLACEHOLDER_REASON, "f")}
        refused = {e.pattern: flags for e, flags in expected.refused(lists, self.TODAY)}
        self.assertEqual(refused, {"c1": ["placeholder reason"], "c2": ["placeholder reason"],
                                   "c3": ["expired on 2030-06-14"],
                                   "c5": ["no link", "no expiry"]})


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
