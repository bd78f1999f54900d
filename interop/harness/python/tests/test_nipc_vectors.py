"""Tests of the Python vector harness: a correct toy codec passes the outer_header and
chunk_header vectors, a deliberately wrong one fails exactly the cases that catch its faults,
and the loader and the verdicts behave as documented. Exit status for CTest: 0 all passed,
1 a failure, 77 nothing failed but something was skipped."""
import io
import json
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import nipc_vectors as nv  # noqa: E402
import toy_codecs as toy  # noqa: E402

VECTORS = HERE.parents[3] / "vectors"
TOY_FAMILIES = ("outer_header", "chunk_header")
# The cases the wrong toy must fail, by family: id -> name (ids are positions and stable).
WRONG_FAILS = {
    "outer_header": {7: "message-id-max", 8: "message-id-high-bit", 9: "message-id-byte-order"},
    "chunk_header": {26: "flags-one", 27: "flags-high-bit", 28: "flags-all-bits"},
}


def expected_checks(families):
    """Counted straight from the files: one decode per case, one encode per valid Canonical
    case with bytes."""
    n = 0
    for path in VECTORS.glob("*.json"):
        doc = json.loads(path.read_text())
        if doc["family"] in families and doc.get("input") != "steps":
            for c in doc["cases"]:
                n += 1 + (c["result"] == "valid" and "Canonical" in c["flags"] and "hex" in c)
    return n


def write_vectors(directory, family, cases, **extra):
    doc = {"schema_version": 1, "family": family, "spec_revision": "2026-01-01",
           "description": "test", "input": "hex", "cases": cases}
    doc.update(extra)
    (Path(directory) / (family + ".json")).write_text(json.dumps(doc))


def case(id_, result, hex_="00", **kw):
    c = {"id": id_, "name": "case-%d" % id_, "requirements": ["ENV-HDR-001"], "comment": "c",
         "result": result, "flags": [], "hex": hex_}
    c.update(kw)
    return c


class TheToyCodecs(unittest.TestCase):
    def test_a_correct_toy_passes_every_outer_and_chunk_header_case_and_skips_the_rest(self):
        report = nv.run(VECTORS, toy.CORRECT_DECODE, toy.CORRECT_ENCODE)
        self.assertEqual([v.line() for v in report.failures], [])
        self.assertEqual(len(report.of("pass")), expected_checks(TOY_FAMILIES))
        self.assertEqual(len(report.of("pass")) + len(report.of("skip")),
                         expected_checks({p.stem for p in VECTORS.glob("*.json")}))
        skipped = {v.check.case.family for v in report.of("skip")}
        self.assertTrue(skipped and not skipped & set(TOY_FAMILIES))
        self.assertIn("no decoder for family hello", {v.message for v in report.of("skip")})

    def test_a_wrong_toy_fails_exactly_the_cases_that_catch_its_faults(self):
        report = nv.run(VECTORS, toy.WRONG_DECODE, toy.CORRECT_ENCODE)
        for family, cases in WRONG_FAILS.items():
            self.assertEqual(report.failed_ids(family), sorted(cases), family)
            names = {v.check.case.id: v.check.case.name for v in report.failures
                     if v.check.case.family == family}
            self.assertEqual(names, cases)
        line = [v.line() for v in report.failures if v.check.case.id == 26][0]
        self.assertEqual(line, "FAIL chunk_header/26-flags-one [CHUNK-FLAGS-001]: accepted an "
                               "invalid case (expected ChunkNonzeroFlags)")

    def test_the_unittest_mixin_fails_the_test_on_a_wrong_toy_and_shows_skips(self):
        class WrongVectors(nv.VectorTests, unittest.TestCase):
            vectors_dir = VECTORS
            decode = toy.WRONG_DECODE
        result = unittest.TestResult()
        stdout, sys.stdout = sys.stdout, io.StringIO()
        try:
            unittest.defaultTestLoader.loadTestsFromTestCase(WrongVectors).run(result)
        finally:
            sys.stdout = stdout
        self.assertFalse(result.wasSuccessful())
        self.assertEqual(len(result.failures), 6)
        failed = {str(test).rsplit(" [", 1)[1].rstrip("]") for test, _ in result.failures}
        self.assertEqual(failed, {"%s/%d-%s" % (family, i, name)
                                  for family, cases in WRONG_FAILS.items()
                                  for i, name in cases.items()})
        self.assertTrue(result.skipped)

    def test_the_unittest_mixin_passes_a_correct_toy_restricted_to_its_families(self):
        with tempfile.TemporaryDirectory() as tmp:
            for family in TOY_FAMILIES:
                (Path(tmp) / (family + ".json")).write_text(
                    (VECTORS / (family + ".json")).read_text())

            class CorrectVectors(nv.VectorTests, unittest.TestCase):
                vectors_dir = tmp
                decode = toy.CORRECT_DECODE
                encode = toy.CORRECT_ENCODE
            result = unittest.TestResult()
            stdout, sys.stdout = sys.stdout, io.StringIO()
            try:
                unittest.defaultTestLoader.loadTestsFromTestCase(CorrectVectors).run(result)
            finally:
                sys.stdout = stdout
        self.assertTrue(result.wasSuccessful(), result.failures)
        self.assertEqual((result.testsRun, result.skipped), (1, []))

    def test_the_unittest_mixin_skips_the_test_when_no_check_passed(self):
        class NothingVectors(nv.VectorTests, unittest.TestCase):
            vectors_dir = VECTORS
            decode = {}
        result = unittest.TestResult()
        stdout, sys.stdout = sys.stdout, io.StringIO()
        try:
            unittest.defaultTestLoader.loadTestsFromTestCase(NothingVectors).run(result)
        finally:
            sys.stdout = stdout
        self.assertTrue(result.wasSuccessful())
        self.assertIn("no check passed, nothing was verified", result.skipped[-1][1])

    def test_verify_raises_assertion_error_on_fail_and_skip_test_on_skip(self):
        checks = {c.key: c for c in nv.checks(VECTORS)}
        with self.assertRaises(AssertionError):
            nv.verify(checks["outer_header/8-message-id-high-bit"], toy.WRONG_DECODE)
        with self.assertRaises(unittest.SkipTest):
            nv.verify(next(c for k, c in checks.items() if k.startswith("hello/")),
                      toy.CORRECT_DECODE)
        self.assertEqual(nv.verify(checks["outer_header/8-message-id-high-bit"],
                                   toy.CORRECT_DECODE).status, "pass")


class TheVerdicts(unittest.TestCase):
    def run_one(self, cases, decode, encode=None, family="outer_header", **kw):
        with tempfile.TemporaryDirectory() as tmp:
            write_vectors(tmp, family, cases)
            return nv.run(tmp, decode, encode, **kw)

    def test_a_valid_case_passes_only_with_equal_fields(self):
        r = self.run_one([case(1, "valid", fields={"value": "5"})], lambda c: {"value": "5"})
        self.assertEqual([v.status for v in r.verdicts], ["pass"])
        r = self.run_one([case(1, "valid", fields={"value": "5"})], lambda c: {"value": 5})
        self.assertEqual(r.failures[0].message, 'fields differ at "value": expected "5", got 5')
        r = self.run_one([case(1, "valid", fields={"value": "5"})], lambda c: {"valu": "5"})
        self.assertEqual(r.failures[0].message, 'fields differ at "value": expected "5", got '
                                                '(absent)')
        r = self.run_one([case(1, "valid", fields={"value": "5"})], lambda c: nv.Valid([]))
        self.assertEqual(r.failures[0].message, 'fields differ: expected {"value": "5"}, got []')

    def test_a_wrong_error_class_fails_unless_errors_are_lenient(self):
        cases = [case(1, "invalid", error="HeaderBadMagic")]
        r = self.run_one(cases, lambda c: nv.Invalid("HeaderBadKind"))
        self.assertEqual(r.failures[0].message, "rejected with HeaderBadKind, expected "
                                                "HeaderBadMagic")
        r = self.run_one(cases, lambda c: nv.Invalid("HeaderBadKind"), lenient_errors=True)
        self.assertEqual(r.verdicts[0].status, "pass")

    def test_an_acceptable_case_passes_either_way_but_an_acceptance_needs_the_fields(self):
        cases = [case(1, "acceptable", fields={"a": 1})]
        self.assertTrue(self.run_one(cases, lambda c: nv.Invalid("X")).ok)
        self.assertTrue(self.run_one(cases, lambda c: {"a": 1}).ok)
        self.assertFalse(self.run_one(cases, lambda c: {"a": 2}).ok)

    def test_unsupported_and_missing_functions_are_skips_never_passes(self):
        cases = [case(1, "valid", fields={}, flags=["Canonical"])]
        r = self.run_one(cases, lambda c: nv.Unsupported("not yet"))
        self.assertEqual([(v.status, v.message) for v in r.verdicts],
                         [("skip", "not yet"), ("skip", "no encoder for family outer_header")])
        r = self.run_one(cases, {"hello": lambda c: {}})
        self.assertEqual(r.verdicts[0].message, "no decoder for family outer_header")

    def test_an_exception_in_the_decoder_is_a_fail_naming_it(self):
        def boom(c):
            raise IndexError("offset 40")
        r = self.run_one([case(1, "invalid", error="E")], boom)
        self.assertEqual(r.failures[0].message, "decode raised IndexError: offset 40")

    def test_an_encoder_must_give_back_the_canonical_bytes(self):
        cases = [case(1, "valid", hex_="0102", fields={}, flags=["Canonical"])]
        r = self.run_one(cases, lambda c: {}, lambda c: b"\x01\x03")
        self.assertEqual(r.failures[0].message, "encoded 0103, expected 0102")
        self.assertEqual(r.failures[0].check.key, "outer_header/1-case-1.encode")
        self.assertTrue(self.run_one(cases, lambda c: {}, lambda c: b"\x01\x02").ok)

    def test_a_decide_rejection_packet_is_compared_with_the_canonical_one(self):
        cases = [case(1, "invalid", error="StatusAuthFailed")]
        good = nv.rejection_packet("AuthFailed")
        self.assertEqual(good.hex(), "4350494e01002000030000000200020030000000010000000000000000"
                                     "000000" + "0100" + "00" * 46)
        self.assertTrue(self.run_one(cases, lambda c: nv.Invalid("StatusAuthFailed", good),
                                     family="handshake_decide").ok)
        bad = nv.rejection_packet("Incompatible")
        self.assertFalse(self.run_one(cases, lambda c: nv.Invalid("StatusAuthFailed", bad),
                                      family="handshake_decide").ok)


class TheLoader(unittest.TestCase):
    def assertLoadError(self, text, setup):
        with tempfile.TemporaryDirectory() as tmp:
            setup(Path(tmp))
            with self.assertRaises(nv.VectorFileError) as e:
                nv.load(tmp)
        self.assertIn(text, str(e.exception))

    def test_a_missing_or_empty_directory_is_an_error(self):
        with self.assertRaises(nv.VectorFileError) as e:
            nv.load("/nonexistent/vectors")
        self.assertEqual(str(e.exception), "/nonexistent/vectors: not a directory")
        self.assertLoadError("no *.json vector files", lambda d: None)

    def test_a_file_that_is_not_json_is_an_error_naming_it(self):
        self.assertLoadError("bad.json: cannot read",
                             lambda d: (d / "bad.json").write_text("{ nope"))

    def test_a_newer_schema_version_is_refused(self):
        self.assertLoadError("schema_version 2",
                             lambda d: write_vectors(d, "x", [case(1, "valid", fields={})],
                                                     schema_version=2))

    def test_a_valid_case_without_fields_and_an_unknown_result_are_refused(self):
        self.assertLoadError("a valid case needs fields",
                             lambda d: write_vectors(d, "x", [case(1, "valid")]))
        self.assertLoadError("result 'maybe'",
                             lambda d: write_vectors(d, "x", [case(1, "maybe")]))

    def test_bad_hex_is_refused(self):
        self.assertLoadError("case 1", lambda d: write_vectors(d, "x", [case(1, "invalid", "zz",
                                                                             error="E")]))

    def test_the_real_vectors_load_with_every_case(self):
        cases = nv.load(VECTORS)
        docs = [json.loads(p.read_text()) for p in VECTORS.glob("*.json")]
        # Session vectors (input "steps") are read past: they are conversations, not cases.
        total = sum(len(d["cases"]) for d in docs if d.get("input") != "steps")
        self.assertEqual(len(cases), total)
        packets = [c for c in cases if c.family == "chunked_message"][0]
        self.assertIsInstance(packets.data, list)
        names = [c for c in cases if c.family == "windows_names"][0]
        self.assertIsNone(names.data)
        self.assertEqual(names.op, "names")


if __name__ == "__main__":
    program = unittest.main(exit=False, verbosity=2)
    result = program.result
    sys.exit(1 if not result.wasSuccessful() or result.testsRun == 0
             else 77 if result.skipped else 0)
