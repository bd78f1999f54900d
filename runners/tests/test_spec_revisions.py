"""Revisions as data: definition lines carry a revision range, requirements.json carries
since/until for every entry, unknown names and keys are errors, and a revision selects the
requirements in force."""
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support  # noqa: E402,F401
from ctslib import paths, revisions, spec_index  # noqa: E402

CTS = [sys.executable, str(paths.ROOT / "cts")]


def entry(**over):
    e = {"id": "HS-REQ-003", "chapter": "handshake", "level": "MUST", "roles": ["server"],
         "since": "seed", "until": "seed", "statement": "x"}
    e.update(over)
    return e


class RevisionRangeTest(unittest.TestCase):
    def test_a_line_without_a_range_applies_to_every_revision(self):
        self.assertEqual(spec_index.parse_range(None), ("seed", None))

    def test_since_and_until_are_read_from_the_definition_line(self):
        m = spec_index.DEF_RE.match("- **HS-REQ-004** · MUST · server · since newest — text")
        self.assertEqual(spec_index.parse_range(m.group(4)), ("newest", None))
        m = spec_index.DEF_RE.match("- **HS-REQ-003** · MUST · server · until seed — text")
        self.assertEqual(spec_index.parse_range(m.group(4)), ("seed", "seed"))
        self.assertEqual(spec_index.parse_range("since seed until newest"), ("seed", "newest"))

    def test_an_unknown_revision_or_an_empty_range_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "unknown spec revision 'oldest'"):
            spec_index.parse_range("since oldest")
        with self.assertRaisesRegex(ValueError, "empty"):
            spec_index.parse_range("since newest until seed")

    def test_applies_honours_both_bounds(self):
        self.assertTrue(revisions.applies(entry(), "seed"))
        self.assertFalse(revisions.applies(entry(), "newest"))
        self.assertFalse(revisions.applies(entry(since="newest", until=None), "seed"))
        self.assertTrue(revisions.applies(entry(since="seed", until=None), "newest"))


class IndexFileTest(unittest.TestCase):
    def load(self, entries, **top):
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "requirements.json"
            doc = {"spec_revision": "x", "requirements": entries}
            doc.update(top)
            p.write_text(json.dumps(doc))
            return spec_index.load_index(p)

    def test_every_entry_carries_since_and_until(self):
        _, reqs = spec_index.load_index()
        self.assertTrue(all({"since", "until"} <= set(e) for e in reqs.values()))
        self.assertEqual((reqs["HS-REQ-003"]["since"], reqs["HS-REQ-003"]["until"]), ("seed", "seed"))
        self.assertEqual((reqs["HS-REQ-004"]["since"], reqs["HS-REQ-004"]["until"]), ("newest", None))
        self.assertEqual((reqs["HS-REQ-001"]["since"], reqs["HS-REQ-001"]["until"]), ("seed", None))

    def test_unknown_keys_still_fail(self):
        with self.assertRaisesRegex(ValueError, "has keys"):
            self.load([entry(extra=1)])
        with self.assertRaisesRegex(ValueError, "has keys"):
            self.load([{k: v for k, v in entry().items() if k != "until"}])

    def test_an_unknown_revision_in_the_index_fails(self):
        with self.assertRaisesRegex(ValueError, "revisions are seed, newest"):
            self.load([entry(since="future")])
        with self.assertRaisesRegex(ValueError, "older than since"):
            self.load([entry(since="newest", until="seed")])

    def test_the_schema_accepts_the_index_and_refuses_an_unknown_key(self):
        try:
            import jsonschema
        except ImportError:
            self.skipTest("python3-jsonschema is not installed for this interpreter")
        schema = json.loads((paths.SPEC / "requirements.schema.json").read_text())
        doc = json.loads((paths.SPEC / "requirements.json").read_text())
        jsonschema.validate(doc, schema)
        doc["requirements"][0]["extra"] = 1
        with self.assertRaises(jsonschema.ValidationError):
            jsonschema.validate(doc, schema)


def load_manifest_text(text):
    from ctslib import manifest
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "m.toml"
        p.write_text(text)
        return manifest.load(p)


SEED_ONLY = """
[implementation]
name = "old-impl"
language = "C"
revisions = ["seed"]

[codec]
command = ["/bin/true"]

[server]
command = ["/bin/true", "{run_dir}", "{spec_revision}"]

[capabilities]
roles = ["server", "codec"]
"""


class ManifestClaimTest(unittest.TestCase):
    def test_a_manifest_claims_the_revisions_it_lists_in_revision_order(self):
        m = load_manifest_text(SEED_ONLY.replace('["seed"]', '["newest", "seed"]'))
        self.assertEqual(m.revisions, ["seed", "newest"])
        self.assertTrue(m.claims("seed") and m.claims("newest"))

    def test_a_manifest_without_revisions_claims_the_default_only(self):
        m = load_manifest_text(SEED_ONLY.replace('revisions = ["seed"]\n', ""))
        self.assertEqual(m.revisions, ["newest"])

    def test_an_unknown_or_repeated_revision_is_a_manifest_error(self):
        from ctslib import manifest
        with self.assertRaisesRegex(manifest.ManifestError, "unknown revision 'future'"):
            load_manifest_text(SEED_ONLY.replace('["seed"]', '["future"]'))
        with self.assertRaisesRegex(manifest.ManifestError, "twice"):
            load_manifest_text(SEED_ONLY.replace('["seed"]', '["seed", "seed"]'))
        with self.assertRaisesRegex(manifest.ManifestError, "list of strings"):
            load_manifest_text(SEED_ONLY.replace('["seed"]', '"seed"'))

    def test_the_reference_claims_both_and_passes_the_run_revision_to_its_commands(self):
        from ctslib import manifest
        m = manifest.load(paths.ROOT / "interop" / "reference.toml")
        self.assertEqual(m.revisions, ["seed", "newest"])
        m.run_revision = "seed"
        argv = m.argv("server", {k: "0" for k in manifest.CONFIG_PLACEHOLDERS
                                 if k != "spec_revision"})
        self.assertEqual(argv[argv.index("--spec-revision") + 1], "seed")

    def test_shims_claim_the_revision_of_their_api_era_and_take_no_revision_flag(self):
        from ctslib import shims
        self.assertEqual(shims.claimed_revisions("6d9ffc1-era API"), ["seed"])
        self.assertEqual(shims.claimed_revisions("0d17a9d-era API"), ["newest"])
        self.assertEqual(shims.claimed_revisions("unknown API revision"), [])
        server, client = shims._reference_templates()
        self.assertNotIn("--spec-revision", server + client)
        self.assertNotIn("{spec_revision}", server + client)


    def test_the_shims_check_judges_a_build_at_the_revision_it_claims(self):
        import argparse
        import io
        from contextlib import redirect_stdout
        from unittest import mock
        from ctslib import shims
        with tempfile.TemporaryDirectory() as d:
            root = Path(d) / "plugin-ipc-6d9ffc1"
            root.mkdir()
            (root / "c.toml").write_text(SEED_ONLY)
            args = argparse.Namespace(skip_reason=None, name="plugin-ipc-6d9ffc1", source=None,
                                      lang="c", part="vectors", platform="linux")
            old = shims.SHIMS_DIR
            shims.SHIMS_DIR = Path(d)
            try:
                with mock.patch("subprocess.run") as ran, redirect_stdout(io.StringIO()):
                    ran.return_value.returncode = 0
                    shims.cmd_check(args)
            finally:
                shims.SHIMS_DIR = old
        cmd = ran.call_args[0][0]
        self.assertEqual(cmd[cmd.index("--spec-revision") + 1], "seed")


CASE_SEED = {"id": "hs.srv.req-cap-seed", "role": "server", "chapter": "hs", "title": "t",
             "requirements": ["HS-REQ-003", "HS-REQ-002"], "on": ["uds", "shm"], "needs": {}}
CASE_ALL = dict(CASE_SEED, id="hs.srv.any", requirements=["HS-REQ-002"])


class CaseSelectionTest(unittest.TestCase):
    def setUp(self):
        from ctslib import manifest
        self.ref = manifest.load(paths.ROOT / "interop" / "reference.toml")
        self.reqs = spec_index.load_index()[1]

    def test_a_case_citing_a_seed_only_rule_runs_at_seed_and_is_not_applicable_at_newest(self):
        from ctslib import conformance
        config, skip = conformance.plan_case(CASE_SEED, "uds", self.ref, "seed", self.reqs)
        self.assertIsNotNone(config)
        self.assertIsNone(skip)
        config, skip = conformance.plan_case(CASE_SEED, "uds", self.ref, "newest", self.reqs)
        self.assertIsNone(config)
        self.assertEqual(skip[0], "not-applicable")
        self.assertIn("HS-REQ-003 (seed), which is not in force at revision newest", skip[1])

    def test_a_case_of_rules_in_force_at_both_revisions_runs_at_both(self):
        from ctslib import conformance
        for rev in revisions.REVISIONS:
            config, skip = conformance.plan_case(CASE_ALL, "uds", self.ref, rev, self.reqs)
            self.assertIsNone(skip, rev)

    def test_an_implementation_that_does_not_claim_the_revision_is_not_applicable(self):
        from ctslib import conformance
        old = load_manifest_text(SEED_ONLY)
        config, skip = conformance.plan_case(CASE_ALL, "uds", old, "newest", self.reqs)
        self.assertIsNone(config)
        self.assertEqual(skip, ("not-applicable",
                                "old-impl claims revision seed, not newest (its manifest's revisions)"))

    def test_the_catalogue_cites_each_new_revision_rule(self):
        import re
        text = "".join(f.read_text() for f in (paths.ROOT / "conformance" / "cases").glob("*.cpp"))
        for req in ("HS-REQ-003", "HS-REQ-004", "UDS-STALE-003", "UDS-STALE-002", "SVC-TIMEOUT-001"):
            self.assertRegex(text, '"%s"' % re.escape(req))


class RunRowsTest(unittest.TestCase):
    def test_tasks_of_an_unclaimed_implementation_become_not_applicable_rows_never_passes(self):
        from ctslib import run
        old = load_manifest_text(SEED_ONLY)
        task = run.Task("vectors/old-impl", lambda attempt: [{"verdict": "pass"}])
        guarded = run.guard_revision([task], [old], "newest")
        rows = guarded[0].run(0)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["verdict"], "not-applicable")
        self.assertIn("claims revision seed, not newest", rows[0]["message"])
        self.assertIs(run.guard_revision([task], [old], "seed")[0], task)

    def test_matrix_cells_with_an_unclaimed_side_are_not_applicable(self):
        from ctslib import manifest, matrix, run
        ref = manifest.load(paths.ROOT / "interop" / "reference.toml")
        old = load_manifest_text(SEED_ONLY)
        cell = matrix.Cell(client=ref, server=old, profile=1, scenario=matrix.SCENARIOS[0])
        run.mark_revision([cell], "newest")
        self.assertEqual(cell.verdict, "not-applicable")
        self.assertIn("old-impl claims revision seed", cell.message)
        both = matrix.Cell(client=ref, server=ref, profile=1, scenario=matrix.SCENARIOS[0])
        run.mark_revision([both], "seed")
        self.assertEqual(both.verdict, "")

    def test_reports_show_the_revision_beside_every_verdict(self):
        from ctslib import junit, report
        row = {"id": "conformance/reference/server/uds/x", "kind": "conformance",
               "suite": "conformance.uds.hs", "name": "x", "verdict": "fail", "seconds": 0.1,
               "message": "m", "details": "", "requirements": ["HS-REQ-003"],
               "implementations": ["reference"], "platform": "linux", "spec_revision": "seed"}
        with tempfile.TemporaryDirectory() as d:
            junit.write_junit(Path(d) / "j.xml", "s", [row])
            xml = (Path(d) / "j.xml").read_text()
        self.assertIn('name="spec_revision" value="seed"', xml)
        doc = {"spec_revision": "x", "protocol_revision": "seed", "started_at": "t", "seconds": 1.0,
               "interrupted": False, "implementations": [], "results": [row],
               "summary": {"exit_code": 1, "outcomes": {k: 0 for k in report.OUTCOMES},
                           "by_kind": {}, "failed": [row["id"]], "expected_failures": [],
                           "unexpected_passes": []},
               "notes": []}
        md = report.markdown(doc)
        self.assertIn("judged at protocol revision **seed**", md)
        self.assertIn("`%s` [seed]" % row["id"], md)
        schema = json.loads(report.SCHEMA.read_text())
        self.assertIn("spec_revision", schema["$defs"]["row"]["properties"])
        self.assertIn("protocol_revision", schema["properties"])


class CommandLineTest(unittest.TestCase):
    def test_spec_check_counts_what_is_in_force_at_each_revision(self):
        seed = subprocess.run(CTS + ["spec", "check", "--spec-revision", "seed"],
                              capture_output=True, text=True)
        newest = subprocess.run(CTS + ["spec", "check"], capture_output=True, text=True)
        self.assertEqual(seed.returncode, 0, seed.stdout)
        self.assertIn("at revision seed", seed.stdout)
        self.assertIn("at revision newest", newest.stdout)

    def test_an_unknown_revision_is_a_usage_error_naming_the_known_ones(self):
        for sub in (["spec", "check"], ["run"], ["report"], ["conformance"]):
            out = subprocess.run(CTS + sub + ["--spec-revision", "bogus"],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 2, (sub, out.stderr))
            self.assertIn("unknown spec revision 'bogus' (known: seed, newest)", out.stderr)


if __name__ == "__main__":
    unittest.main()
