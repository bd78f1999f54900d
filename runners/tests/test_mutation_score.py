"""A mutant counts as killed (strictly) only by a fail or timeout of a case that cites the
mutant's requirement; a harness error, or a failure of a case about another requirement, is an
incidental kill, reported apart. The sweep runs the citing cases first and stops at the first
strict kill, or at an incidental one once no citing case is left."""
import sys
import unittest
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support  # noqa: E402,F401
from ctslib import conformance  # noqa: E402

MUTANT = {"name": "M", "requirement": "REQ-A-001", "description": "d"}


def case(ident, *reqs):
    return {"id": ident, "requirements": list(reqs), "on": ["uds"], "role": "server"}


def sweep(verdicts, cases):
    """sweep_one over `cases` where the case with id X ends with verdicts[X]."""
    class FakeRunner:
        def __init__(self, *_a, **_k):
            self.ran = []

        def run(self, c, profile):
            return {"case": c["id"], "profile": profile, "verdict": verdicts[c["id"]],
                    "failures": [], "reason": "r"}

    with mock.patch.object(conformance, "Runner", FakeRunner), \
            mock.patch.object(conformance, "plan_case", lambda c, p, m: ({}, None)):
        return conformance.sweep_one(MUTANT, cases, ["uds"], None, None, 1.0, {})


class StrictKillTest(unittest.TestCase):
    def test_a_failure_of_a_case_citing_the_requirement_is_a_strict_kill(self):
        row = sweep({"a": "pass", "b": "fail"}, [case("a", "REQ-A-001"), case("b", "REQ-A-001")])
        self.assertTrue(row["strict"])
        self.assertEqual([k["case"] for k in row["strict_kills"]], ["b"])

    def test_a_failure_of_an_unrelated_case_is_incidental(self):
        row = sweep({"a": "pass", "z": "fail"}, [case("z", "REQ-B-001"), case("a", "REQ-A-001")])
        self.assertTrue(row["killed"])
        self.assertFalse(row["strict"])
        self.assertEqual([k["case"] for k in row["incidental_kills"]], ["z"])

    def test_a_harness_error_of_a_citing_case_is_incidental_and_the_other_citing_cases_still_run(self):
        row = sweep({"a": "error", "b": "timeout"}, [case("a", "REQ-A-001"), case("b", "REQ-A-001")])
        self.assertTrue(row["strict"])
        self.assertEqual([k["case"] for k in row["incidental_kills"]], ["a"])
        self.assertEqual([k["case"] for k in row["strict_kills"]], ["b"])

    def test_the_sweep_stops_at_the_first_incidental_kill_once_no_citing_case_is_left(self):
        row = sweep({"a": "pass", "y": "fail", "z": "fail"},
                    [case("a", "REQ-A-001"), case("y", "REQ-B-001"), case("z", "REQ-C-001")])
        self.assertEqual(row["cases_run"], 2)
        self.assertFalse(row["strict"])


if __name__ == "__main__":
    unittest.main()
