"""The spec-derived model as an oracle: it disagrees with vectors a shared encoder/decoder bug
would produce, a model with a shifted field fails the replay, and the spec-example check
fails on a wrong example."""
import copy
import json
import re
import sys
import tempfile
import unittest
from pathlib import Path

from runners.ctslib import vectors

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "fuzz" / "testees"))
sys.path.insert(0, str(ROOT / "runners" / "tests"))
import model_testee  # noqa: E402
import check_spec_examples  # noqa: E402


def replay_in_process(docs):
    """(family, case name) of every check the model does not pass."""
    failures = []
    for doc in docs:
        for case in doc["cases"]:
            for _suffix, request, judge, _family in vectors._all_checks(doc["family"], case,
                                                                         True):
                verdict, _ = judge(model_testee.answer(copy.deepcopy(request)))
                if verdict != "pass":
                    failures.append((doc["family"], case["name"]))
    return failures


class SpecModelTest(unittest.TestCase):
    def setUp(self):
        self.docs = vectors.load_all()

    def test_the_model_passes_every_vector_in_process(self):
        self.assertEqual(replay_in_process(self.docs), [])

    def test_vectors_from_a_reference_that_swaps_flags_and_code_fail_against_the_model(self):
        # A reference whose encoder and decoder both put code at offset 10 and flags at 12
        # would write these bytes for the same recorded fields, and pass its own replay.
        doc = copy.deepcopy(next(d for d in self.docs if d["family"] == "outer_header"))
        swapped = 0
        for case in doc["cases"]:
            raw = bytearray.fromhex(case["hex"])
            if case["result"] == "valid" and len(raw) >= 14 and raw[10:12] != raw[12:14]:
                raw[10:12], raw[12:14] = raw[12:14], bytes(raw[10:12])
                case["hex"] = raw.hex()
                swapped += 1
        self.assertGreater(swapped, 5)
        self.assertGreaterEqual(len(replay_in_process([doc])), swapped)

    def test_a_model_with_a_shifted_chunk_field_fails_the_replay(self):
        saved = model_testee.CHUNK_HEADER
        try:
            model_testee.CHUNK_HEADER = [(n, 24 if n == "chunk_index" else
                                          20 if n == "chunk_count" else o, c)
                                         for n, o, c in saved]
            failures = replay_in_process(self.docs)
        finally:
            model_testee.CHUNK_HEADER = saved
        families = {f for f, _ in failures}
        self.assertIn("chunk_header", families)
        self.assertIn("chunked_message", families)

    def test_every_error_the_model_reports_is_a_contract_error_class(self):
        table = set(re.findall(r"X\((\w+),", (ROOT / "reference/include/nipc/codec/errors.h")
                               .read_text()))
        statuses = {"Status" + s for s in model_testee.STATUS} | {"SilentClose"}
        transport = {"NameTooLong", "NameInputTooLong", "NameHashZero", "BadParameter"}
        source = (ROOT / "fuzz/testees/model_testee.py").read_text()
        used = set(re.findall(r'Invalid\("(\w+)"\)', source))
        used |= set(re.findall(r'"(\w+)": "(?:SilentClose|Status\w+)"', source))
        self.assertTrue(used)
        self.assertEqual(used - table - statuses - transport, set())

    def test_a_wrong_stated_field_in_a_spec_example_is_reported(self):
        data = bytes.fromhex("0800000006000000" + b"netipc".hex() + "00")
        good = {"family": "string_reverse", "fields": {"string_hex": b"netipc".hex()}}
        self.assertIsNone(check_spec_examples.run_check(good, data, {}))
        wrong = dict(good, fields={"string_hex": b"netipd".hex()})
        self.assertIn("fields differ", check_spec_examples.run_check(wrong, data, {}))
        cut = dict(good, cut=7)
        self.assertIn("expected a valid decode", check_spec_examples.run_check(cut, data, {}))

    def test_an_example_without_annotation_is_found(self):
        text = "Some bytes:\n\n```\n01 00 00 00\n```\n\n<!-- example: {\"checks\": []} -->\n"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "example.md"
            path.write_text(text)
            found, orphans = check_spec_examples.examples(path)
        self.assertEqual([(line, note) for line, note, _ in found], [(3, None)])
        self.assertEqual(orphans, [7])

    def test_every_hex_block_of_the_spec_is_annotated_and_holds(self):
        self.assertEqual(check_spec_examples.main(), 0)


if __name__ == "__main__":
    unittest.main()
