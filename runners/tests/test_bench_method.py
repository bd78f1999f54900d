"""The trusted method of ./cts bench, on numbers alone: median, the dropped extremes, the
stable-core ratio, what is published and what is not, and how rules turn figures into
verdicts (runners/ctslib/benchmethod.py)."""
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import ROOT  # noqa: E402
from ctslib import bench, benchmethod as m  # noqa: E402


def rule(ref=0.5, floor=0.25):
    return m.Rule("ping-pong", "uds", "seqpacket-blocking", ref, floor)


def published(value):
    return m.judge_samples([value] * 5)


class MedianAndCore(unittest.TestCase):
    def test_the_median_of_five_samples_is_the_published_figure(self):
        f = m.judge_samples([100, 104, 98, 102, 101])
        self.assertEqual(f.status, m.PUBLISHED)
        self.assertEqual(f.median, 101)

    def test_the_lowest_and_highest_samples_are_dropped_from_the_core(self):
        f = m.judge_samples([5, 100, 1000, 110, 105])
        self.assertEqual(f.core, [100, 105, 110])
        self.assertAlmostEqual(f.core_ratio, 1.10)
        self.assertEqual(f.status, m.PUBLISHED, "outliers outside the core do not matter")
        self.assertEqual(f.median, 105)

    def test_a_core_ratio_of_exactly_1_35_is_still_published(self):
        f = m.judge_samples([1, 100, 120, 135, 1000])
        self.assertAlmostEqual(f.core_ratio, 1.35)
        self.assertTrue(f.published)

    def test_a_core_ratio_above_1_35_is_unstable_and_has_no_figure(self):
        f = m.judge_samples([1, 100, 120, 136, 1000])
        self.assertEqual(f.status, m.UNSTABLE)
        self.assertIsNone(f.median)
        self.assertIn("1.36", f.reason)

    def test_a_failed_sample_makes_the_figure_incomplete(self):
        f = m.judge_samples([100, None, 100, 100, 100])
        self.assertEqual(f.status, m.INCOMPLETE)
        self.assertIsNone(f.median)
        self.assertIn("4 of 5", f.reason)

    def test_fewer_than_five_samples_are_never_published(self):
        self.assertEqual(m.judge_samples([100, 100, 100]).status, m.INCOMPLETE)

    def test_a_zero_core_with_a_nonzero_top_is_unstable(self):
        self.assertEqual(m.judge_samples([0, 0, 0, 5, 9]).status, m.UNSTABLE)


class Verdicts(unittest.TestCase):
    def test_a_cell_within_its_rule_passes(self):
        v, ratio, frac, why = m.verdict(published(60), published(100), published(200), rule(),
                                        True)
        self.assertEqual((v, ratio, frac, why), (m.PASS, 0.6, 0.3, []))

    def test_a_cell_below_half_the_reference_fails(self):
        v, ratio, _, why = m.verdict(published(40), published(100), published(100), rule(), True)
        self.assertEqual(v, m.FAIL)
        self.assertAlmostEqual(ratio, 0.4)
        self.assertIn("x the reference", why[0])

    def test_a_cell_below_its_floor_fraction_fails(self):
        v, _, frac, why = m.verdict(published(100), published(100), published(1000), rule(),
                                    True)
        self.assertEqual(v, m.FAIL)
        self.assertAlmostEqual(frac, 0.1)
        self.assertIn("of the floor", why[0])

    def test_an_unstable_cell_fails_closed_however_fast_it_looks(self):
        fast_but_unstable = m.judge_samples([1, 1000, 5000, 9000, 9999])
        v, ratio, _, why = m.verdict(fast_but_unstable, published(10), published(10), rule(),
                                     True)
        self.assertEqual(v, m.FAIL)
        self.assertIsNone(ratio)
        self.assertIn("not published: unstable", why[0])

    def test_an_unpublished_reference_leaves_nothing_to_pass_against(self):
        v, _, _, why = m.verdict(published(100), m.judge_samples([1, 10, 50, 90, 99]),
                                 published(100), rule(), True)
        self.assertEqual(v, m.FAIL)
        self.assertIn("reference figure not published", why)

    def test_an_unpublished_floor_leaves_nothing_to_pass_against(self):
        v, _, _, why = m.verdict(published(100), published(100), m.judge_samples([1, 2]),
                                 rule(), True)
        self.assertEqual(v, m.FAIL)
        self.assertIn("floor not published", why)

    def test_a_functional_failure_fails_the_cell(self):
        v, _, _, why = m.verdict(published(100), published(100), published(100), rule(), False)
        self.assertEqual(v, m.FAIL)
        self.assertIn("functionally", why[0])

    def test_a_cell_without_a_declared_rule_fails(self):
        v, _, _, why = m.verdict(published(100), published(100), published(100), None, True)
        self.assertEqual(v, m.FAIL)


class Judging(unittest.TestCase):
    """bench.judge over cells whose samples are given: no process runs."""

    class Impl:
        def __init__(self, name):
            self.name = name

    def cell(self, server, values, diagnostic=None):
        c = bench.Cell(self.Impl(server), self.Impl("reference"), 1,
                       bench.SCENARIO_BY_ID["ping-pong"], "uds", rule=rule(0.5, 0.1))
        c.samples = [{"ok": v is not None, "value": v} for v in values]
        c.diagnostic = diagnostic
        return c

    def floors(self, value=1000):
        return {"seqpacket-blocking": [{"ok": True, "value": value}] * 5}

    def test_the_reference_and_a_fast_enough_cell_pass_against_the_same_runs_figures(self):
        ref = self.cell("reference", [500, 510, 490, 505, 495])
        other = self.cell("other", [300, 310, 290, 305, 295])
        _, rows = bench.judge([ref, other], self.floors(), 5)
        self.assertEqual([r["verdict"] for r in rows], ["pass", "pass"])
        self.assertAlmostEqual(rows[1]["ratio_to_reference"], 300 / 500)

    def test_a_diagnostic_rerun_is_shown_beside_an_unstable_figure_never_in_its_place(self):
        ref = self.cell("reference", [500, 510, 490, 505, 495])
        rerun = m.judge_samples([400] * 5)
        unstable = self.cell("other", [100, 200, 400, 800, 900], diagnostic=rerun)
        _, rows = bench.judge([ref, unstable], self.floors(), 5)
        row = rows[1]
        self.assertEqual(row["verdict"], "fail")
        self.assertEqual(row["figure"]["status"], m.UNSTABLE)
        self.assertIsNone(row["figure"]["median"])
        self.assertEqual(row["diagnostic"]["median"], 400)
        self.assertIsNone(row["ratio_to_reference"])

    def test_a_failed_sample_is_a_functional_failure_and_an_incomplete_figure(self):
        ref = self.cell("reference", [500, 510, 490, 505, 495])
        broken = self.cell("other", [500, None, 490, 505, 495])
        _, rows = bench.judge([ref, broken], self.floors(), 5)
        self.assertEqual(rows[1]["functional"], "fail")
        self.assertEqual(rows[1]["figure"]["status"], m.INCOMPLETE)
        self.assertEqual(rows[1]["verdict"], "fail")

    def test_a_skipped_cell_is_a_skip_with_its_reason_never_a_pass(self):
        skipped = self.cell("other", [])
        skipped.skip = "client other does not declare the bench scenario"
        _, rows = bench.judge([skipped], self.floors(), 5)
        self.assertEqual((rows[0]["verdict"], rows[0]["reasons"]),
                         ("skip", ["client other does not declare the bench scenario"]))


class Rules(unittest.TestCase):
    def test_the_declared_rules_cover_every_scenario_on_every_posix_transport(self):
        rules = m.load_rules(ROOT / "spec" / "bench-rules.toml")
        for sc in bench.SCENARIOS:
            for profile in ("uds", "shm-hybrid", "shm-futex"):
                r = m.find_rule(rules, sc.id, profile)
                self.assertIsNotNone(r, (sc.id, profile))
                self.assertIn(r.floor, bench.FLOORS)
                self.assertEqual(r.min_ratio_to_reference, 0.5)

    def _load(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write(text)
        try:
            return m.load_rules(Path(f.name))
        finally:
            Path(f.name).unlink()

    def test_an_unknown_key_in_a_rule_is_an_error(self):
        with self.assertRaises(m.RulesError):
            self._load('[[rule]]\nscenario="a"\ntransport="uds"\nfloor="x"\n'
                       'min_ratio_to_reference=0.5\nmin_floor_fraction=0.1\nmin_flor=1\n')

    def test_a_missing_threshold_is_an_error(self):
        with self.assertRaises(m.RulesError):
            self._load('[[rule]]\nscenario="a"\ntransport="uds"\nfloor="x"\n'
                       'min_ratio_to_reference=0.5\n')

    def test_a_negative_threshold_is_an_error(self):
        with self.assertRaises(m.RulesError):
            self._load('[[rule]]\nscenario="a"\ntransport="uds"\nfloor="x"\n'
                       'min_ratio_to_reference=-1\nmin_floor_fraction=0.1\n')

    def test_shm_rules_apply_to_both_shared_memory_profiles(self):
        r = m.Rule("ping-pong", "shm", "shm-spin-wake", 0.5, 0.1)
        self.assertTrue(r.matches("ping-pong", "shm-hybrid"))
        self.assertTrue(r.matches("ping-pong", "shm-futex"))
        self.assertFalse(r.matches("ping-pong", "uds"))


class Report(unittest.TestCase):
    def test_the_html_report_draws_inline_svg_and_loads_nothing_from_outside(self):
        doc = {"started": "now", "samples": 5, "duration_ms": 100, "load_start": "0.1",
               "cpus": 2, "loaded": True, "totals": {"pass": 1, "fail": 0, "skip": 0},
               "floors": {"seqpacket-blocking": published(1000).as_dict()},
               "rows": [{"id": "x", "server": "reference", "client": "reference",
                         "profile": "uds", "scenario": "ping-pong", "title": "t",
                         "unit": "req/s", "rule": {"floor": "seqpacket-blocking"},
                         "verdict": "pass", "reasons": [], "functional": "pass",
                         "figure": published(500).as_dict(), "ratio_to_reference": 1.0,
                         "floor_fraction": 0.5}]}
        page = bench.html_page(doc)
        self.assertIn("<svg", page)
        for outside in ("http://", "https://", "src=", "<link", "<script"):
            self.assertNotIn(outside, page.replace('xmlns="http://www.w3.org/2000/svg"', ""))
        md = bench.markdown(doc)
        self.assertIn("| ping-pong | uds | reference | reference | 500 |", md)
        self.assertIn("other work ran on this machine", md)


if __name__ == "__main__":
    unittest.main()
