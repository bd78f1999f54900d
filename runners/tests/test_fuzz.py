"""`./cts fuzz` pieces that need no fuzz build: seeds from vector cases, libFuzzer output
parsing, the summary, the differential run's testees and class table, and the model testee
the differential smoke runs against."""
import argparse
import json
import struct
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ctslib import fuzz  # noqa: E402
from ctslib.framing import JsonProcess  # noqa: E402

HELLO_HEX = "0100000007000000020000000004000010000000000001001000000000000000" \
            "887766554433221100000100"


class SeedsTest(unittest.TestCase):
    def test_every_target_has_a_source_and_the_differential_is_one_of_them(self):
        names = fuzz.target_names()
        self.assertIn("differential_fuzz", names)
        self.assertIn("chunked_message_fuzz", names)
        self.assertTrue(all(n.endswith("_fuzz") for n in names))

    def test_a_payload_family_seeds_its_own_target_unchanged(self):
        seeds = dict(fuzz.seeds_for_case("increment", {"hex": "0100000000000000"}))
        self.assertEqual(seeds["increment_fuzz"], bytes.fromhex("0100000000000000"))

    def test_differential_seeds_carry_the_family_index(self):
        seeds = dict(fuzz.seeds_for_case("increment", {"hex": "0100000000000000"}))
        index = fuzz.DIFFERENTIAL_FAMILIES.index("increment")
        self.assertEqual(seeds["differential_fuzz"],
                         bytes([index]) + bytes.fromhex("0100000000000000"))

    def test_batch_seeds_put_the_context_item_count_before_the_payload(self):
        seeds = dict(fuzz.seeds_for_case("batch", {"hex": "00", "context": {"item_count": 3}}))
        self.assertEqual(seeds["batch_fuzz"], b"\x00" + struct.pack("<I", 3) + b"\x00")
        self.assertEqual(seeds["differential_fuzz"][1:5], struct.pack("<I", 3))

    def test_chunked_messages_become_length_prefixed_packets_after_the_session_prefix(self):
        case = {"packets": ["aabb", "cc"], "context": {"packet_size": 64,
                                                       "limits": {"max_payload_bytes": 100}}}
        seed = dict(fuzz.seeds_for_case("chunked_message", case))["chunked_message_fuzz"]
        self.assertEqual(seed[:4], struct.pack("<I", 64))
        self.assertEqual(seed[4:8], struct.pack("<I", 100))
        self.assertEqual(seed[13:], b"\x02\x00\xaa\xbb\x01\x00\xcc")

    def test_decide_seeds_take_the_policy_from_the_context(self):
        case = {"hex": "00", "context": {"policy": {"auth_token": "18446744073709551615",
                                                    "session_id": "5", "packet_size": 40}}}
        seed = dict(fuzz.seeds_for_case("handshake_decide", case))["handshake_decide_fuzz"]
        self.assertEqual(len(seed), 37 + 1)
        self.assertEqual(seed[:8], b"\xff" * 8)
        self.assertEqual(seed[20:24], struct.pack("<I", 65536))  # response limit default
        self.assertEqual(seed[24:28], struct.pack("<I", 40))
        self.assertEqual(seed[28:36], struct.pack("<Q", 5))

    def test_a_hello_payload_also_seeds_the_server_decision_as_a_whole_packet(self):
        seeds = dict(fuzz.seeds_for_case("hello", {"hex": HELLO_HEX}))
        packet = seeds["handshake_decide_fuzz"][37:]
        self.assertEqual(packet[:4], struct.pack("<I", 0x4E495043))
        self.assertEqual(packet[32:], bytes.fromhex(HELLO_HEX))

    def test_vector_files_are_written_per_target_and_unreadable_files_are_skipped(self):
        with tempfile.TemporaryDirectory() as d:
            vectors_dir, seeds_dir = Path(d) / "v", Path(d) / "s"
            vectors_dir.mkdir()
            (vectors_dir / "increment.json").write_text(json.dumps({
                "family": "increment",
                "cases": [{"id": 1, "name": "one", "hex": "0100000000000000"}]}))
            (vectors_dir / "broken.json").write_text("{")
            files, cases = fuzz.write_vector_seeds(seeds_dir, vectors_dir)
            self.assertEqual((files, cases), (1, 1))
            self.assertEqual(len(list((seeds_dir / "increment_fuzz").iterdir())), 1)

    def test_a_session_case_seeds_each_decoded_packet_and_the_first_packet_as_a_handshake(self):
        doc = json.loads((Path(__file__).resolve().parents[2] / "vectors" / "sessions.json").read_text())
        case = next(c for c in doc["cases"] if c["name"] == "increment-answers-value-plus-one")
        seeds = fuzz.seeds_for_case("sessions", case)
        targets = [t for t, _ in seeds]
        self.assertIn("increment_fuzz", targets)
        self.assertIn("outer_header_fuzz", targets)
        first = bytes.fromhex(case["steps"][0]["send"]["hex"])
        decide = [data for t, data in seeds if t == "handshake_decide_fuzz" and data.endswith(first)]
        self.assertTrue(decide, "the HELLO does not seed the server's handshake decision")

    def test_several_seeds_of_one_session_case_for_one_target_all_survive(self):
        with tempfile.TemporaryDirectory() as d:
            seeds_dir = Path(d) / "s"
            fuzz.write_vector_seeds(seeds_dir, Path(__file__).resolve().parents[2] / "vectors")
            names = [p.name for p in (seeds_dir / "increment_fuzz").iterdir()
                     if p.name.startswith("vector-sessions-3-")]
            self.assertEqual(len(names), 5, names)


LIBFUZZER_TAIL = """INFO: Seed: 1
#2	INITED cov: 20 ft: 21 corp: 2/40b exec/s: 0 rss: 30Mb
#1048576	pulse  cov: 60 ft: 80 corp: 14/400b lim: 4096 exec/s: 349525 rss: 400Mb
#2000000	DONE   cov: 63 ft: 82 corp: 15/485b lim: 4096 exec/s: 333333 rss: 475Mb
Done 2000000 runs in 6 second(s)
stat::number_of_executed_units: 2000000
stat::average_exec_per_sec:     333333
stat::new_units_added:          13
stat::slowest_unit_time_sec:    0
stat::peak_rss_mb:              475
"""


class OutputTest(unittest.TestCase):
    def test_final_stats_and_the_last_status_line_are_parsed(self):
        s = fuzz.parse_output(LIBFUZZER_TAIL)
        self.assertEqual(s["number_of_executed_units"], 2000000)
        self.assertEqual(s["average_exec_per_sec"], 333333)
        self.assertEqual(s["new_units_added"], 13)
        self.assertEqual((s["cov"], s["ft"], s["corpus"]), (63, 82, 15))
        self.assertEqual(s["artifacts"], [])

    def test_crash_artifacts_are_found(self):
        s = fuzz.parse_output("==1==ERROR: libFuzzer: deadly signal\n"
                              "artifact_prefix='x/'; Test unit written to x/crash-abc\n")
        self.assertEqual(s["artifacts"], ["x/crash-abc"])

    def test_the_summary_lists_every_target_and_each_reproducer(self):
        rows = [{"target": "a_fuzz", "verdict": "pass", "number_of_executed_units": 5,
                 "execs_per_sec": 1, "cov": 2, "ft": 3, "corpus_after": 4, "new_inputs": 1,
                 "crashes": []},
                {"target": "b_fuzz", "verdict": "fail", "crashes": [
                    {"reproduce": "build/fuzz/fuzz/b_fuzz out/fuzz/crashes/b_fuzz/crash-1.min"}]}]
        with tempfile.TemporaryDirectory() as d:
            fuzz.write_summary(Path(d), "nightly", rows, {"jobs": 2})
            md = (Path(d) / "summary.md").read_text()
            doc = json.loads((Path(d) / "summary.json").read_text())
        self.assertIn("| a_fuzz | pass | 5 | 1 | 2 | 3 | 4 | 1 | 0 |", md)
        self.assertIn("`build/fuzz/fuzz/b_fuzz out/fuzz/crashes/b_fuzz/crash-1.min`", md)
        self.assertEqual([t["target"] for t in doc["targets"]], ["a_fuzz", "b_fuzz"])


HELLO_RESERVED_HEX = HELLO_HEX[:56] + "01000000" + HELLO_HEX[64:]


def differential_args(**kw):
    values = dict(model=True, impl=None, testee=None, batch=None, lenient_errors=False)
    values.update(kw)
    return argparse.Namespace(**values)


class DifferentialTest(unittest.TestCase):
    def write_manifest(self, d, name, codec_line):
        path = Path(d) / (name + ".toml")
        path.write_text('[implementation]\nname = "%s"\nlanguage = "C"\n%s' % (name, codec_line))
        return path

    def test_the_model_each_built_manifest_and_each_command_take_part(self):
        with tempfile.TemporaryDirectory() as d:
            built = self.write_manifest(d, "built", '[codec]\ncommand = ["%s", "codec"]\n'
                                        % sys.executable)
            testees, skipped = fuzz.differential_testees(differential_args(
                impl=[built], testee=["mine=/bin/my-testee --codec", "/bin/other"]))
        self.assertEqual([t["name"] for t in testees],
                         ["spec-model", "built", "mine", "testee-2"])
        self.assertEqual(testees[1]["command"], [sys.executable, "codec"])
        self.assertEqual(testees[2]["command"], ["/bin/my-testee", "--codec"])
        self.assertEqual(skipped, [])

    def test_a_manifest_without_a_built_codec_is_left_out_with_the_reason(self):
        with tempfile.TemporaryDirectory() as d:
            missing = self.write_manifest(d, "missing",
                                          '[codec]\ncommand = ["/nonexistent/testee"]\n')
            no_codec = self.write_manifest(d, "nocodec", "")
            testees, skipped = fuzz.differential_testees(differential_args(
                model=False, impl=[missing, no_codec]))
            env, reason = fuzz.differential_env(differential_args(model=False, impl=[missing]),
                                                for_smoke=False)
        self.assertEqual(testees, [])
        self.assertIn("not built", skipped[0])
        self.assertIn("no [codec] testee", skipped[1])
        self.assertIsNone(env)
        self.assertIn("no testee", reason)

    def test_two_testees_with_one_name_are_refused(self):
        with self.assertRaises(fuzz.manifest_mod.ManifestError):
            fuzz.differential_testees(differential_args(testee=["a=/bin/x", "a=/bin/y"]))

    def test_the_environment_lists_every_testee_as_json(self):
        env, _ = fuzz.differential_env(differential_args(testee=["/bin/x"], batch=8,
                                                         lenient_errors=True), for_smoke=False)
        self.assertEqual([t["name"] for t in json.loads(env["NIPC_DIFF_TESTEES"])],
                         ["spec-model", "testee-1"])
        self.assertEqual((env["NIPC_DIFF_BATCH"], env["NIPC_DIFF_LENIENT"]), ("8", "1"))

    def test_the_class_table_counts_this_run_and_skips_unreadable_files(self):
        with tempfile.TemporaryDirectory() as d:
            def write(name, cls, runs, size):
                (Path(d) / name).write_text(json.dumps({
                    "class": cls, "family": "hello", "count_seen": sum(runs.values()),
                    "runs": runs, "size": size, "minimised": True,
                    "answers": {"reference": {}, "x": {}}}))
            write("hello-a.json", "hello: reference=valid x=invalid:HelloTruncated",
                  {"old": 5, "now": 7}, 44)
            write("hello-b.json", "hello: reference=valid x=error", {"old": 3}, 50)
            (Path(d) / "hello-c.json").write_text("{not json")
            rows = fuzz.read_classes(Path(d), "now")
            everything = fuzz.read_classes(Path(d))
        self.assertEqual([(r["seen"], r["count_seen"], r["size"]) for r in rows], [(7, 12, 44)])
        self.assertEqual(len(everything), 2)
        table = fuzz.class_table(rows)
        self.assertEqual(table[0], "| class | seen | smallest (bytes) | file |")
        self.assertIn("| `hello: reference=valid x=invalid:HelloTruncated` | 7 | 44 |", table[2])


class ModelTesteeTest(unittest.TestCase):
    def call(self, request, *extra):
        proc = JsonProcess([sys.executable, str(fuzz.MODEL_TESTEE), *extra])
        try:
            return proc.call(request)
        finally:
            proc.close()

    def test_it_names_the_first_broken_rule(self):
        self.assertEqual(self.call({"op": "decode", "family": "hello", "hex": "02" + "00" * 43}),
                         {"result": "invalid", "error": "HelloBadLayout"})

    def test_it_decodes_valid_bytes(self):
        r = self.call({"op": "decode", "family": "increment", "hex": "0100000000000000"})
        self.assertEqual(r, {"result": "valid", "fields": {"value": "1"}})

    def test_it_declines_what_it_does_not_model(self):
        r = self.call({"op": "decode", "family": "cgroups_lookup", "hex": "00"})
        self.assertEqual(r["result"], "unsupported")
        r = self.call({"op": "encode", "family": "chunked_message", "fields": {}})
        self.assertEqual(r["result"], "unsupported")
        r = self.call({"op": "decode", "family": "handshake_decide", "hex": "00"})
        self.assertEqual(r["result"], "unsupported")  # that family takes op decide

    def test_it_answers_a_request_it_cannot_read_with_an_error(self):
        r = self.call({"op": "decode", "family": "chunked_message", "packets": []})
        self.assertEqual(r["result"], "error")

    def test_the_lying_mode_flips_verdicts_of_one_family_only(self):
        lie = ("--lie", "increment")
        self.assertEqual(self.call({"op": "decode", "family": "increment", "hex": "00"}, *lie),
                         {"result": "valid", "fields": {}})
        self.assertEqual(self.call({"op": "decode", "family": "hello", "hex": "00"}, *lie),
                         {"result": "invalid", "error": "HelloTruncated"})

    def test_the_seeded_bug_accepts_a_nonzero_reserved_hello_and_nothing_else_changes(self):
        seeded = ("--ignore-reserved", "hello")
        request = {"op": "decode", "family": "hello", "hex": HELLO_RESERVED_HEX}
        self.assertEqual(self.call(request),
                         {"result": "invalid", "error": "HelloNonzeroReserved"})
        self.assertEqual(self.call(request, *seeded)["result"], "valid")
        flags = {"op": "decode", "family": "hello", "hex": HELLO_HEX[:4] + "0100" + HELLO_HEX[8:]}
        self.assertEqual(self.call(flags, *seeded),
                         {"result": "invalid", "error": "HelloNonzeroFlags"})


if __name__ == "__main__":
    unittest.main()
