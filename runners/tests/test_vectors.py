"""The vector loader's strictness, the replay verdict logic, and the testee framing."""
import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ctslib import vectors  # noqa: E402
from ctslib.framing import JsonProcess, TesteeError  # noqa: E402
from ctslib.manifest import Manifest, CodecTesteeSpec  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


def vector_file(cases, **top):
    doc = {"schema_version": 1, "family": "increment", "spec_revision": "2026-11-25",
           "description": "test", "input": "hex", "cases": cases}
    doc.update(top)
    return doc


def case(**kw):
    c = {"id": 1, "name": "one", "requirements": ["CODEC-INC-001"], "comment": "c",
         "result": "valid", "flags": [], "hex": "0100000000000000", "fields": {"value": "1"}}
    c.update(kw)
    return c


class LoaderTest(unittest.TestCase):
    def load(self, doc):
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "f.json"
            p.write_text(json.dumps(doc))
            return vectors.load_file(p)

    def test_loads_a_well_formed_file(self):
        self.assertEqual(len(self.load(vector_file([case()]))["cases"]), 1)

    def test_rejects_an_unknown_top_level_key(self):
        with self.assertRaisesRegex(vectors.VectorFileError, "top-level keys"):
            self.load(vector_file([case()], extra=1))

    def test_rejects_an_unknown_case_key(self):
        with self.assertRaisesRegex(vectors.VectorFileError, "unknown keys.*colour"):
            self.load(vector_file([case(colour="red")]))

    def test_rejects_duplicate_ids(self):
        with self.assertRaisesRegex(vectors.VectorFileError, "duplicate"):
            self.load(vector_file([case(), case(name="two")]))

    def test_rejects_uppercase_or_odd_hex(self):
        for bad in ("0A", "abc", "zz"):
            with self.assertRaisesRegex(vectors.VectorFileError, "malformed hex"):
                self.load(vector_file([case(hex=bad)]))

    def test_rejects_a_valid_case_without_fields(self):
        c = case()
        del c["fields"]
        with self.assertRaisesRegex(vectors.VectorFileError, "valid case"):
            self.load(vector_file([c]))

    def test_rejects_an_invalid_case_with_fields(self):
        with self.assertRaisesRegex(vectors.VectorFileError, "invalid case"):
            self.load(vector_file([case(result="invalid", error="IncrementTruncated")]))


class SessionLoaderTest(unittest.TestCase):
    SESSIONS = Path(__file__).resolve().parents[2] / "vectors" / "sessions.json"

    def load(self, doc):
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "sessions.json"
            p.write_text(json.dumps(doc))
            return vectors.load_file(p)

    def checked_in(self):
        return json.loads(self.SESSIONS.read_text())

    def test_the_checked_in_sessions_file_loads(self):
        self.assertGreaterEqual(len(vectors.load_file(self.SESSIONS)["cases"]), 4)

    def test_an_unknown_session_case_key_is_refused(self):
        doc = self.checked_in()
        doc["cases"][0]["colour"] = "red"
        with self.assertRaisesRegex(vectors.VectorFileError, "unknown keys.*colour"):
            self.load(doc)

    def test_a_step_with_two_kinds_is_refused(self):
        doc = self.checked_in()
        doc["cases"][0]["steps"][0]["expect"] = {"reaction": "close"}
        with self.assertRaisesRegex(vectors.VectorFileError, "exactly one of send, receive, expect"):
            self.load(doc)

    def test_labels_that_leave_a_gap_are_refused(self):
        doc = self.checked_in()
        doc["cases"][0]["steps"][0]["send"]["fields"][1]["at"] += 1
        with self.assertRaisesRegex(vectors.VectorFileError, "does not continue the packet"):
            self.load(doc)

    def test_a_label_value_that_disagrees_with_the_bytes_is_refused(self):
        doc = self.checked_in()
        doc["cases"][0]["steps"][0]["send"]["fields"][0]["value"] = 1
        with self.assertRaisesRegex(vectors.VectorFileError, "bytes disagree"):
            self.load(doc)

    def test_a_codec_family_cannot_claim_step_input(self):
        with self.assertRaisesRegex(vectors.VectorFileError, "input"):
            self.load(vector_file([case()], input="steps"))

    def test_decode_annotations_become_codec_cases_of_the_packet_or_its_payload(self):
        doc = self.checked_in()
        c = next(c for c in doc["cases"] if c["name"] == "batch-item-out-of-bounds")
        found = {(suffix, family): cc for suffix, family, cc in vectors.session_decode_cases(c)}
        batch = next(cc for (s, f), cc in found.items() if f == "batch")
        packet = bytes.fromhex(next(s["send"]["hex"] for s in c["steps"]
                                    if "send" in s and "batch" in s["send"]["what"]))
        self.assertEqual(batch["hex"], packet[32:].hex())
        self.assertEqual(batch["error"], "BatchItemOutOfBounds")
        self.assertEqual(batch["context"], {"item_count": 2})


class JudgeTest(unittest.TestCase):
    def test_valid_case_passes_only_with_equal_fields(self):
        c = case()
        self.assertEqual(vectors.judge("increment", c, {"result": "valid",
                                                        "fields": {"value": "1"}})[0], "pass")
        verdict, msg = vectors.judge("increment", c, {"result": "valid", "fields": {"value": "2"}})
        self.assertEqual(verdict, "fail")
        self.assertIn("fields differ", msg)

    def test_valid_case_rejected_fails(self):
        verdict, msg = vectors.judge("increment", case(), {"result": "invalid",
                                                           "error": "IncrementTruncated"})
        self.assertEqual(verdict, "fail")
        self.assertIn("IncrementTruncated", msg)

    def test_invalid_case_needs_the_exact_error_class_unless_lenient(self):
        c = case(result="invalid", error="IncrementTruncated")
        del c["fields"]
        wrong = {"result": "invalid", "error": "Other"}
        self.assertEqual(vectors.judge("increment", c, wrong)[0], "fail")
        self.assertEqual(vectors.judge("increment", c, wrong, strict_errors=False)[0], "pass")
        self.assertEqual(vectors.judge("increment", c, {"result": "valid", "fields": {}})[0],
                         "fail")

    def test_acceptable_case_takes_either_verdict_but_not_other_fields(self):
        c = case(result="acceptable")
        self.assertEqual(vectors.judge("increment", c, {"result": "invalid", "error": "X"})[0],
                         "pass")
        self.assertEqual(vectors.judge("increment", c, {"result": "valid",
                                                        "fields": {"value": "9"}})[0], "fail")

    def test_unsupported_and_error_are_reported_as_such(self):
        self.assertEqual(vectors.judge("increment", case(), {"result": "unsupported"})[0],
                         "unsupported")
        self.assertEqual(vectors.judge("increment", case(), {"result": "nonsense"})[0], "error")

    def test_decide_rejection_packet_must_be_canonical(self):
        c = case(result="invalid", error="StatusAuthFailed")
        del c["fields"]
        good = vectors.rejection_packet_hex("AUTH_FAILED")
        self.assertEqual(len(good), 2 * 80)
        self.assertEqual(vectors.judge("handshake_decide", c, {"result": "invalid",
                         "error": "StatusAuthFailed", "hex": good})[0], "pass")
        bad = good[:-2] + "01"
        self.assertEqual(vectors.judge("handshake_decide", c, {"result": "invalid",
                         "error": "StatusAuthFailed", "hex": bad})[0], "fail")


class EncodeCheckTest(unittest.TestCase):
    def test_only_canonical_valid_cases_are_encoded(self):
        self.assertEqual(len(vectors._checks("increment", case(), True)), 1)
        checks = vectors._checks("increment", case(flags=["Canonical"]), True)
        self.assertEqual([c[0] for c in checks], ["", ".encode"])
        self.assertEqual(checks[1][1]["op"], "encode")
        self.assertEqual(checks[1][1]["fields"], {"value": "1"})

    def test_encoding_must_reproduce_the_bytes(self):
        c = case(flags=["Canonical"])
        self.assertEqual(vectors.judge_encode(c, {"result": "valid", "hex": c["hex"]})[0], "pass")
        verdict, msg = vectors.judge_encode(c, {"result": "valid", "hex": "00"})
        self.assertEqual(verdict, "fail")
        self.assertIn("expected " + c["hex"], msg)
        self.assertEqual(vectors.judge_encode(c, {"result": "unsupported"})[0], "unsupported")


class FramingTest(unittest.TestCase):
    def table(self, d, answers, families=("increment",)):
        p = Path(d) / "table.json"
        p.write_text(json.dumps({"families": list(families), "answers": answers}))
        return p

    def test_round_trips_requests_and_responses(self):
        with tempfile.TemporaryDirectory() as d:
            t = self.table(d, {"aa": {"result": "valid", "fields": {"x": 1}}})
            proc = JsonProcess([sys.executable, str(FIXTURES / "echo_testee.py"), str(t)])
            try:
                self.assertEqual(proc.call({"op": "hello"})["families"], ["increment"])
                self.assertEqual(proc.call({"op": "decode", "hex": "aa"})["fields"], {"x": 1})
                self.assertEqual(proc.call({"op": "decode", "hex": "bb"})["result"],
                                 "unsupported")
            finally:
                proc.close()
            self.assertIsNotNone(proc.proc.returncode)

    def test_a_dying_testee_is_an_error_with_its_stderr(self):
        with tempfile.TemporaryDirectory() as d:
            t = self.table(d, {})
            proc = JsonProcess([sys.executable, str(FIXTURES / "echo_testee.py"), str(t),
                                "--die-on", "cc"])
            try:
                with self.assertRaisesRegex(TesteeError, "closed its stdout"):
                    proc.call({"op": "decode", "hex": "cc"})
                self.assertIn("dying on purpose", "\n".join(proc.stderr_tail()))
            finally:
                proc.close()

    def test_a_silent_testee_times_out(self):
        proc = JsonProcess([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            with self.assertRaisesRegex(TesteeError, "timed out"):
                proc.call({"op": "hello"}, timeout=0.3)
        finally:
            proc.close(timeout=0.5)


class ReplayTest(unittest.TestCase):
    def test_replay_reports_each_case_and_restarts_after_a_crash(self):
        with tempfile.TemporaryDirectory() as d:
            vec_dir = Path(d) / "vectors"
            vec_dir.mkdir()
            cases = [case(), case(id=2, name="two", hex="02", result="invalid",
                              error="IncrementTruncated"),
                     case(id=3, name="three", hex="cc")]
            del cases[1]["fields"]
            (vec_dir / "increment.json").write_text(json.dumps(vector_file(cases)))
            table = Path(d) / "t.json"
            table.write_text(json.dumps({"families": ["increment"], "answers": {
                "0100000000000000": {"result": "valid", "fields": {"value": "1"}},
                "02": {"result": "valid", "fields": {"value": "2"}}}}))
            m = Manifest(path=Path(d) / "m.toml", name="echo", language="py", version="0",
                         platform="linux", codec=CodecTesteeSpec(
                             command=[sys.executable, str(FIXTURES / "echo_testee.py"),
                                      str(table), "--die-on", "cc"]))
            saved = vectors.VECTORS
            vectors.VECTORS = vec_dir
            try:
                rows = vectors.replay(m, Path(d) / "out")
            finally:
                vectors.VECTORS = saved
            verdicts = {r["name"]: r["verdict"] for r in rows}
            self.assertEqual(verdicts, {"1-one": "pass", "2-two": "fail", "3-three": "error"})
            self.assertIn("CODEC-INC-001", rows[1]["details"])
            self.assertIn("dying on purpose", rows[2]["details"])


if __name__ == "__main__":
    unittest.main()
