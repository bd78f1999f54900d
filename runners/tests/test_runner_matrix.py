"""Matrix planning (capabilities, fixed configurations, shared knobs), deterministic shards,
and single cells against scripted fake implementations: hygiene, timeouts, strays."""
import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT, ManifestDirTest, kill_marker, marker_processes, new_marker, fake_manifest  # noqa
from ctslib import hostplatform as host, manifest, matrix, procs  # noqa: E402


class PlanTest(ManifestDirTest):
    def test_every_client_meets_every_server_on_every_common_profile_and_scenario(self):
        a = self.load("a", server="ok", client="ok", profiles=(1, 2, 4))
        b = self.load("b", server="ok", client="ok", profiles=(1, 2))
        cells = matrix.plan([a, b])
        # a×a: 3 profiles; a×b, b×a, b×b: 2 profiles each
        self.assertEqual(len(cells), (3 + 2 + 2 + 2) * len(matrix.SCENARIOS))
        self.assertEqual(len({c.id for c in cells}), len(cells))
        self.assertEqual([c.id for c in cells], sorted(c.id for c in cells))

    def test_a_missing_capability_is_unsupported_with_the_reason(self):
        a = self.load("a", server="ok", client="ok", kinds=["increment"],
                      scenarios=["single", "batch"])
        by_id = {c.id: c for c in matrix.plan([a])}
        c = by_id["matrix/a/a/uds/echo"]
        self.assertEqual(c.verdict, "unsupported")
        self.assertIn("does not offer the echo service", c.message)
        c = by_id["matrix/a/a/uds/pipeline"]
        self.assertEqual(c.verdict, "unsupported")
        self.assertIn("does not run the 'pipeline' scenario", c.message)
        self.assertEqual(by_id["matrix/a/a/uds/single"].verdict, "")

    def test_the_handshake_falls_back_to_one_call_for_clients_without_connect(self):
        a = self.load("a", server="ok", client="ok")
        c = {c.id: c for c in matrix.plan([a])}["matrix/a/a/uds/handshake"]
        self.assertEqual((c.client_scenario, c.config["count"]), ("single", "1"))
        self.assertIn("no 'connect' scenario", c.note)

    def test_a_fixed_configuration_makes_cells_needing_other_values_not_applicable(self):
        ref = self.load("ref", server="ok", client="ok")
        fixed = self.load("fixed", server="ok", sessions="one", fixed={
            "service_kind": "increment", "auth_token": "12345", "profiles": 1,
            "max_response_payload": 65536, "packet_size": 65536})
        by_id = {c.id: c for c in matrix.plan([ref, fixed])}
        c = by_id["matrix/ref/fixed/uds/large"]
        self.assertEqual(c.verdict, "not-applicable")
        self.assertIn("service_kind=string-reverse; the implementation is fixed at increment",
                      c.message)
        single = by_id["matrix/ref/fixed/uds/single"]
        self.assertEqual(single.verdict, "")
        # the fixed side decides the free shared knob: both sides get its token
        self.assertEqual(single.config["auth_token"], "12345")

    def test_a_fixed_limit_below_what_a_scenario_needs_is_named_with_both_values(self):
        ref = self.load("ref", server="ok", client="ok")
        fixed = self.load("fixed", server="ok", fixed={"max_response_payload": 65536})
        c = {c.id: c for c in matrix.plan([ref, fixed])}["matrix/ref/fixed/uds/large"]
        self.assertEqual(c.verdict, "not-applicable")
        self.assertIn("needs max_response_payload=1048576; the implementation is fixed at 65536",
                      c.message)

    def test_two_sides_fixed_at_different_tokens_cannot_meet(self):
        x = self.load("x", client="ok", fixed={"auth_token": "1"})
        y = self.load("y", server="ok", fixed={"auth_token": "2"})
        cells = matrix.plan([x, y])
        self.assertTrue(cells)
        for c in cells:
            self.assertEqual(c.verdict, "not-applicable")
            self.assertIn("different auth_token values (1 vs 2)", c.message)

    def test_the_reference_manifest_plans_every_scenario_on_three_profiles(self):
        ref = manifest.load(ROOT / "interop/reference.toml")
        cells = matrix.plan([ref])
        self.assertEqual(len(cells), 3 * len(matrix.SCENARIOS))
        self.assertTrue(all(c.verdict == "" for c in cells))

    def test_scenario_requirements_exist_in_the_index(self):
        known = {r["id"] for r in json.loads((ROOT / "spec/requirements.json").read_text())
                 ["requirements"]}
        for sc in matrix.SCENARIOS:
            for rid in sc.requirements:
                self.assertIn(rid, known, sc.id)
        for table in (matrix.PROFILE_REQUIREMENTS, matrix.HYGIENE_REQUIREMENTS):
            for rids in table.values():
                self.assertLessEqual(set(rids), known)


class ShardTest(unittest.TestCase):
    def test_shards_partition_the_matrix_deterministically(self):
        ids = ["matrix/c%d/s%d/uds/x" % (i % 5, i % 7) + str(i) for i in range(103)]
        for n in (1, 2, 3, 7):
            shards = [matrix.shard(ids, k, n) for k in range(1, n + 1)]
            flat = [x for s in shards for x in s]
            self.assertEqual(sorted(flat), sorted(ids))
            self.assertEqual(len(flat), len(set(flat)))
            self.assertLessEqual(max(map(len, shards)) - min(map(len, shards)), 1)
            # the same slices whatever order the items arrive in
            again = [matrix.shard(list(reversed(ids)), k, n) for k in range(1, n + 1)]
            self.assertEqual(shards, again)

    def test_a_bad_shard_is_refused(self):
        for k, n in ((0, 2), (3, 2)):
            with self.assertRaises(ValueError):
                matrix.shard([1], k, n)


class CellTest(unittest.TestCase):
    def setUp(self):
        procs.reset_for_tests()
        self.tmp = tempfile.TemporaryDirectory(prefix="cts-t-", dir="/tmp")
        self.dir = Path(self.tmp.name)
        self.marker = new_marker()
        self.base = self.dir / "run"
        self.base.mkdir()

    def tearDown(self):
        kill_marker(self.marker)
        self.tmp.cleanup()

    def cell(self, server="ok", client="ok", scenario="single", capture=True, **kw):
        s = manifest.load(fake_manifest(self.dir, "srv", self.marker, server=server, **kw))
        c = manifest.load(fake_manifest(self.dir, "cli", self.marker, client=client,
                                        client_timeout_ms=kw.pop("client_timeout_ms", 10000)))
        cells = [x for x in matrix.plan([s, c]) if x.scenario.id == scenario]
        self.assertEqual(len(cells), 1)
        ctx = matrix.CellContext(run_base=self.base, out_dir=self.dir / "out", capture=capture)
        row = matrix.run_cell(cells[0], 7, ctx)
        self.assertEqual(host.endpoint_files(self.base), [], "run dirs are removed")
        self.assertEqual(marker_processes(self.marker), [], "no process survives a cell")
        return row

    def test_a_good_pair_passes_and_records_the_exchange(self):
        row = self.cell()
        self.assertEqual(row["verdict"], "pass", row["details"])
        ex = row["evidence"]["exchange"]
        self.assertEqual([p["direction"] for p in ex], ["client→server", "server→client"])
        self.assertEqual(bytes.fromhex(ex[0]["hex"]), b"ping " + self.marker.encode())
        self.assertEqual({c["role"] for c in row["evidence"]["commands"]},
                         {"server", "client"})

    def test_without_capture_the_client_talks_to_the_server_directly(self):
        row = self.cell(capture=False)
        self.assertEqual(row["verdict"], "pass", row["details"])
        self.assertEqual(row["evidence"]["exchange"], [])

    def test_a_hanging_client_times_out_and_fails(self):
        # client_timeout_ms applies to the client manifest
        s = manifest.load(fake_manifest(self.dir, "srv", self.marker, server="ok"))
        c = manifest.load(fake_manifest(self.dir, "cli", self.marker, client="hang",
                                        client_timeout_ms=600))
        cell = [x for x in matrix.plan([s, c]) if x.scenario.id == "single"][0]
        ctx = matrix.CellContext(run_base=self.base, out_dir=self.dir / "out")
        row = matrix.run_cell(cell, 1, ctx)
        self.assertEqual(row["verdict"], "fail")
        self.assertIn("timed out after 600 ms", row["message"])
        self.assertEqual(marker_processes(self.marker), [])
        self.assertEqual(host.endpoint_files(self.base), [])

    def test_a_failing_client_fails_the_cell(self):
        row = self.cell(client="fail")
        self.assertEqual(row["verdict"], "fail")
        self.assertEqual(row["fault"], "either")
        self.assertIn("exit code 1", row["message"])

    def test_an_unsupported_exit_code_is_unsupported_not_failed(self):
        row = self.cell(client="unsupported")
        self.assertEqual(row["verdict"], "unsupported")
        self.assertIn("fake cannot", row["message"])

    def test_a_server_leaving_its_socket_file_fails_on_hygiene(self):
        row = self.cell(server="leave-file")
        self.assertEqual(row["verdict"], "fail")
        self.assertIn("files left in the server's run dir: svc0007.sock", row["message"])
        self.assertEqual(row["fault"], "server")
        self.assertIn("UDS-CLOSE-001", row["requirements"])

    def test_a_server_ignoring_sigterm_fails_and_is_killed(self):
        row = self.cell(server="ignore-term", stop_timeout_ms=300)
        self.assertEqual(row["verdict"], "fail")
        self.assertIn("did not stop within 300 ms", row["details"])

    def test_a_server_leaving_a_process_behind_fails(self):
        row = self.cell(server="orphan")
        self.assertEqual(row["verdict"], "fail")
        self.assertIn("server left processes behind", row["details"])

    def test_a_server_that_is_never_ready_fails_without_running_the_client(self):
        row = self.cell(server="never-ready", ready_timeout_ms=300)
        self.assertEqual(row["verdict"], "fail")
        self.assertIn("not ready within 300 ms", row["message"])
        self.assertEqual([c["role"] for c in row["evidence"]["commands"]], ["server"])

    def test_a_crashing_server_fails_the_cell(self):
        row = self.cell(server="crash")
        self.assertEqual(row["verdict"], "fail")
        self.assertIn("server exited during the case", row["details"])

    def test_a_one_session_server_exits_by_itself_and_passes(self):
        row = self.cell(sessions="one")
        self.assertEqual(row["verdict"], "pass", row["details"])
        server = [c for c in row["evidence"]["commands"] if c["role"] == "server"][0]
        self.assertEqual(server["how"], "exit code 0")


if __name__ == "__main__":
    unittest.main()
