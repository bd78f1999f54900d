"""Unit tests of the conformance driver: planning against manifests, SHOULD demotion, the
coverage cross-check and the mutant table."""
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

    def test_the_reference_carries_no_mutation_hooks(self):
        reference = paths.ROOT / "reference"
        for p in reference.rglob("*"):
            if p.is_file() and p.suffix in (".cpp", ".h", ".txt"):
                self.assertNotIn("NIPC_MUTANT", p.read_text(), p)
                self.assertNotIn("MUTANT_ACTIVE", p.read_text(), p)

    def test_cases_citing_the_mutants_requirement_come_first(self):
        cases = [{"id": "b", "requirements": ["X-1"]}, {"id": "a", "requirements": ["Y-1"]}]
        order = conformance.candidate_order({"requirement": "X-1"}, cases, ["uds", "shm-hybrid"])
        self.assertEqual([(c["id"], p) for c, p in order],
                         [("b", "uds"), ("b", "shm-hybrid"), ("a", "uds"), ("a", "shm-hybrid")])


WINDOWS = """
[implementation]
name = "w"
language = "C"
platform = "windows"
launcher = ["false"]

[server]
command = ["srv.exe", "{run_dir}", "{service}", "{profiles}"]

[capabilities]
roles = ["server"]
service_kinds = ["increment"]
profiles = [1, 2, 4]
"""


class Platforms(unittest.TestCase):
    def test_a_case_of_the_other_platform_is_not_applicable_and_says_why(self):
        _, skip = conformance.plan_case(dict(case(), platform="posix"), "pipe", load(WINDOWS))
        self.assertEqual(skip[0], "not-applicable")
        self.assertIn("posix objects", skip[1])
        _, skip = conformance.plan_case(dict(case(), platform="windows"), "uds", load(SHIM))
        self.assertEqual(skip[0], "not-applicable")

    def test_a_transport_neutral_case_runs_on_the_windows_profiles(self):
        config, skip = conformance.plan_case(dict(case(), platform="both"), "shm-busywait", load(WINDOWS))
        self.assertIsNone(skip)
        self.assertEqual((config["profiles"], config["preferred"]), (0x05, 0x04))
        self.assertEqual(conformance.run_profiles(load(WINDOWS)),
                         {"pipe": 1, "shm-hybrid": 2, "shm-busywait": 4})

    def test_the_windows_peer_runs_under_the_launcher_and_starts_the_iut_without_it(self):
        m = load(WINDOWS)
        peer = conformance.peer_command(m, Path("/b"))
        self.assertEqual(peer[0], "false")
        self.assertTrue(peer[-1].endswith("conformance/nipc-peer.exe"))
        argv = conformance.iut_argv(m, "server", {"run_dir": "/r", "service": "s", "profiles": "0x01"})
        self.assertEqual(argv, ["srv.exe", "/r", "s", "0x01"])
        self.assertEqual(conformance.peer_command(load(SHIM), Path("/b")), ["/b/conformance/nipc-peer"])

    def test_a_launcher_that_fails_is_an_environment_error_not_a_failure(self):
        runner = conformance.Runner(load(WINDOWS), ["false", "nipc-peer.exe"])
        r = runner.run(dict(case(), platform="both"), "pipe")
        self.assertEqual((r["verdict"], r["error_class"]), ("error", "environment"))
        self.assertEqual(r["platform"], "windows")

    def test_win_mutants_belong_to_the_windows_sweep_only(self):
        mutants = conformance.load_mutants()
        win = conformance.mutants_of_family(mutants, "windows")
        posix = conformance.mutants_of_family(mutants, "posix")
        self.assertTrue(win and posix)
        self.assertTrue(all(m["requirement"].startswith("WIN-") for m in win))
        self.assertEqual(len(win) + len(posix), len(mutants))


if __name__ == "__main__":
    unittest.main()
