"""Unit tests of the conformance driver: planning against manifests, SHOULD demotion, the
coverage cross-check and the mutant table."""
import re
import tempfile
import unittest
from pathlib import Path

from runners.ctslib import conformance, manifest, paths, spec_index

SHIM = """
[implementation]
name = "t"
language = "C"

[server]
command = ["srv", "{run_dir}", "{service}", "{profiles}", "{max_request_payload}"]

[client]
command = ["cli", "{run_dir}", "{service}", "{scenario}"]

[capabilities]
roles = ["server", "client"]
service_kinds = ["increment"]
scenarios = ["single", "batch"]
profiles = [1, 2]
"""

FIXED = """
[implementation]
name = "f"
language = "C"

[server]
command = ["srv", "{run_dir}", "{service}"]

[capabilities]
roles = ["server"]
service_kinds = ["increment"]
profiles = [1]
configurable = false

[fixed]
max_request_payload = 1024
auth_token = "12345"
"""


def load(text):
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(text)
    try:
        return manifest.load(f.name)
    finally:
        Path(f.name).unlink()


def case(role="server", on=("uds", "shm"), **needs):
    return {"id": "x.srv.y", "role": role, "on": list(on), "needs": needs, "chapter": "envelope",
            "title": "t", "requirements": ["ENV-LIMIT-001"]}


class Planning(unittest.TestCase):
    def test_runs_with_the_run_defaults_and_the_case_needs(self):
        config, skip = conformance.plan_case(case(max_request_payload=64), "shm-hybrid", load(SHIM))
        self.assertIsNone(skip)
        self.assertEqual(config["profiles"], 0x03)
        self.assertEqual(config["preferred"], 0x02)
        self.assertEqual(config["max_request_payload"], 64)

    def test_a_profile_the_implementation_lacks_is_unsupported(self):
        _, skip = conformance.plan_case(case(), "shm-futex", load(SHIM))
        self.assertEqual(skip[0], "unsupported")

    def test_a_case_for_another_transport_is_skipped(self):
        _, skip = conformance.plan_case(case(on=("shm",)), "uds", load(SHIM))
        self.assertEqual(skip[0], "skip")

    def test_a_service_kind_or_scenario_the_implementation_lacks_is_unsupported(self):
        _, skip = conformance.plan_case(case(service_kind="string-reverse"), "uds", load(SHIM))
        self.assertEqual(skip[0], "unsupported")
        _, skip = conformance.plan_case(case(role="client", scenario="pipeline"), "uds", load(SHIM))
        self.assertEqual(skip[0], "unsupported")

    def test_a_role_the_implementation_does_not_play_is_unsupported(self):
        _, skip = conformance.plan_case(case(role="client"), "uds", load(FIXED))
        self.assertEqual(skip[0], "unsupported")

    def test_a_need_that_conflicts_with_a_fixed_value_is_not_applicable_and_says_why(self):
        _, skip = conformance.plan_case(case(max_request_payload=64), "uds", load(FIXED))
        self.assertEqual(skip[0], "not-applicable")
        self.assertIn("max_request_payload", skip[1])
        self.assertIn("1024", skip[1])

    def test_fixed_values_replace_run_defaults(self):
        config, skip = conformance.plan_case(case(), "uds", load(FIXED))
        self.assertIsNone(skip)
        self.assertEqual(config["max_request_payload"], 1024)

    def test_a_fixed_token_is_used_and_a_different_other_token_generated(self):
        mine, other = conformance.new_tokens({"auth_token": "12345"})
        self.assertEqual(mine, 12345)
        self.assertNotIn(other, (0, 12345))

    def test_profile_masks_are_written_in_hex(self):
        self.assertEqual(conformance.format_value("profiles", 3), "0x03")
        self.assertEqual(conformance.format_value("packet_size", 4096), "4096")


class Levels(unittest.TestCase):
    LEVELS = {"HS-CLI-PKT-003": "SHOULD", "HS-AUTH-001": "MUST"}

    def test_a_should_only_failure_passes_with_a_warning(self):
        r = conformance.apply_levels({"verdict": "fail", "failures": [
            {"requirement": "HS-CLI-PKT-003", "message": "m", "kind": "fail"}]}, self.LEVELS)
        self.assertEqual(r["verdict"], "pass")
        self.assertEqual(len(r["warnings"]), 1)

    def test_a_must_failure_stays_a_failure(self):
        r = conformance.apply_levels({"verdict": "fail", "failures": [
            {"requirement": "HS-CLI-PKT-003", "message": "m", "kind": "fail"},
            {"requirement": "HS-AUTH-001", "message": "m", "kind": "fail"}]}, self.LEVELS)
        self.assertEqual(r["verdict"], "fail")
        self.assertEqual(r["warnings"], [])


class Coverage(unittest.TestCase):
    REQS = {
        "A-X-001": {"level": "MUST", "roles": ["server"]},
        "A-X-002": {"level": "MUST", "roles": ["client"]},
        "A-X-003": {"level": "MUST", "roles": ["codec"]},
        "A-X-004": {"level": "SHOULD", "roles": ["both"]},
    }

    def test_every_binding_must_needs_a_case_or_a_reason(self):
        report, problems = conformance.coverage([{"id": "c", "requirements": ["A-X-001"]}],
                                                self.REQS, {})
        self.assertEqual(report["binding_must"], 2)
        self.assertEqual(report["missing"], ["A-X-002"])
        self.assertEqual(len(problems), 1)

    def test_a_reason_covers_a_requirement_but_must_be_a_sentence(self):
        _, problems = conformance.coverage([{"id": "c", "requirements": ["A-X-001"]}], self.REQS,
                                           {"A-X-002": "no way to see it from outside the process"})
        self.assertEqual(problems, [])
        _, problems = conformance.coverage([{"id": "c", "requirements": ["A-X-001"]}], self.REQS,
                                           {"A-X-002": "n/a"})
        self.assertEqual(len(problems), 1)

    def test_stale_reasons_and_unknown_citations_are_problems(self):
        _, problems = conformance.coverage(
            [{"id": "c", "requirements": ["A-X-001", "A-X-002", "NOPE-001"]}], self.REQS,
            {"A-X-001": "this sentence explains why it cannot be tested"})
        self.assertEqual(len(problems), 2)

    def test_the_checked_in_reasons_name_binding_must_requirements(self):
        _, requirements = spec_index.load_index()
        for req, reason in conformance.load_untestable().items():
            self.assertIn(req, requirements)
            self.assertEqual(requirements[req]["level"], "MUST", req)
            self.assertTrue(set(requirements[req]["roles"]) & conformance.BINDING_ROLES, req)
            self.assertGreater(len(reason), 20, req)


class Mutants(unittest.TestCase):
    def test_the_table_has_at_least_25_unique_mutants_with_known_requirements(self):
        mutants = conformance.load_mutants()
        names = [m["name"] for m in mutants]
        self.assertGreaterEqual(len(mutants), 25)
        self.assertEqual(len(names), len(set(names)))
        _, requirements = spec_index.load_index()
        for m in mutants:
            self.assertIn(m["requirement"], requirements, m["name"])
            self.assertTrue(m["description"], m["name"])

    def test_every_mutant_has_a_hook_and_every_hook_a_row(self):
        sources = "".join(p.read_text() for p in (paths.ROOT / "reference" / "src").rglob("*.cpp"))
        hooks = set(re.findall(r"NIPC_MUTANT\(k(\w+)\)", sources))
        self.assertEqual(hooks, {m["name"] for m in conformance.load_mutants()})

    def test_cases_citing_the_mutants_requirement_come_first(self):
        cases = [{"id": "b", "requirements": ["X-1"]}, {"id": "a", "requirements": ["Y-1"]}]
        order = conformance.candidate_order({"requirement": "X-1"}, cases, ["uds", "shm-hybrid"])
        self.assertEqual([(c["id"], p) for c, p in order],
                         [("b", "uds"), ("b", "shm-hybrid"), ("a", "uds"), ("a", "shm-hybrid")])


if __name__ == "__main__":
    unittest.main()
