"""The one table of shim-contract knobs (spec/shim-knobs.json): it matches the contract's own
tables, its loader refuses what it does not know, and every copy derived from it (the
generated C++ header, the manifest loader, the run defaults, the reference manifests, the
shims' flag parsers, the peer's case needs) agrees with it."""
import copy
import json
import os
import re
import subprocess
import sys
import tomllib
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ctslib import conformance, knobs, manifest, matrix  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "spec" / "shim-contract.md"


def contract_rows(heading_cells):
    """The rows of the contract table whose header starts with `heading_cells`."""
    lines = CONTRACT.read_text().splitlines()
    for n, line in enumerate(lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:len(heading_cells)] == heading_cells:
            rows = []
            for row in lines[n + 2:]:
                if not row.startswith("|"):
                    break
                # "\|" inside a cell is a literal bar (uds\|pipe), not a separator.
                cells = [c.strip().replace("\0", "|")
                         for c in row.replace("\\|", "\0").strip().strip("|").split("|")]
                rows.append(cells)
            return rows
    raise AssertionError("no table %s in %s" % (heading_cells, CONTRACT))


class TheTableMatchesTheContract(unittest.TestCase):
    def test_every_flag_of_the_contract_is_a_knob_with_the_same_role_and_default(self):
        rows = contract_rows(["Flag", "Role", "Meaning", "Default"])
        seen = []
        for flag_cell, role, _meaning, default in rows:
            flag = re.match(r"`(--[a-z-]+)", flag_cell).group(1)
            name = flag[2:].replace("-", "_")
            seen.append(name)
            k = knobs.knob(name)
            self.assertEqual(k["flag"], flag)
            self.assertEqual(k["roles"], role, name)
            self.assertEqual(k["contract_default"], default, name)
            self.assertEqual(k["required"], "(required)" in flag_cell + _meaning, name)
        self.assertEqual(seen, [k["name"] for k in knobs.knobs()],
                         "the table lists the contract's flags, in the contract's order")

    def test_the_exit_codes_are_the_contracts(self):
        rows = contract_rows(["Code", "Meaning"])
        self.assertEqual([int(r[0]) for r in rows],
                         [r["code"] for r in knobs.table()["exit_codes"]])
        self.assertIn("not supported", rows[knobs.exit_code("not_supported")][1])
        self.assertIn("usage error", rows[knobs.exit_code("usage")][1])

    def test_numeric_defaults_are_what_the_default_column_says(self):
        for k in knobs.knobs():
            text = k["contract_default"]
            for role, value in k.get("default", {}).items():
                if not isinstance(value, int) or role not in ("server", "client"):
                    continue
                if re.fullmatch(r"0x[0-9a-f]+|\d+", text):
                    self.assertEqual(value, int(text, 0), k["name"])
                elif "%s:" % role in text:
                    part = text.split("%s:" % role)[1].split(";")[0].strip()
                    if re.fullmatch(r"\d+", part):
                        self.assertEqual(value, int(part), (k["name"], role))
                    else:
                        self.assertEqual(value, 0, "%s %s: 0 asks for %r" % (k["name"], role, part))
                else:
                    self.assertEqual(value, 0, "%s: 0 asks for %r" % (k["name"], text))

    def test_the_table_follows_its_schema(self):
        try:
            import jsonschema
        except ImportError:
            self.skipTest("python3-jsonschema is not installed")
        schema = json.loads(knobs.SCHEMA.read_text())
        jsonschema.Draft202012Validator(schema).validate(json.loads(knobs.TABLE.read_text()))


class TheLoaderRefusesWhatItDoesNotKnow(unittest.TestCase):
    def doc(self):
        return copy.deepcopy(json.loads(knobs.TABLE.read_text()))

    def refused(self, doc, words):
        with self.assertRaises(knobs.KnobTableError) as e:
            knobs.validate(doc)
        self.assertIn(words, str(e.exception))

    def test_an_unknown_top_level_key_is_refused(self):
        doc = self.doc()
        doc["defaults"] = {}
        self.refused(doc, "unknown keys ['defaults']")

    def test_an_unknown_knob_key_is_refused(self):
        doc = self.doc()
        doc["knobs"][0]["defualt"] = {}
        self.refused(doc, "unknown keys ['defualt']")

    def test_a_missing_knob_key_is_refused(self):
        doc = self.doc()
        del doc["knobs"][3]["placeholder"]
        self.refused(doc, "missing keys ['placeholder']")

    def test_a_value_of_the_wrong_type_is_refused(self):
        doc = self.doc()
        [k for k in doc["knobs"] if k["name"] == "packet_size"][0]["run"]["server"] = "64k"
        self.refused(doc, "'64k' is not a u32")

    def test_a_flag_that_does_not_spell_the_name_is_refused(self):
        doc = self.doc()
        doc["knobs"][0]["flag"] = "--transports"
        self.refused(doc, "does not spell the name")

    def test_a_role_the_knob_lacks_is_refused(self):
        doc = self.doc()
        [k for k in doc["knobs"] if k["name"] == "sessions"][0]["default"]["client"] = "forever"
        self.refused(doc, "names role client")

    def test_the_checked_in_table_is_accepted(self):
        self.assertEqual(knobs.validate(self.doc())["knobs"][0]["name"], "transport")


class EveryCopyAgrees(unittest.TestCase):
    def test_the_generated_header_is_what_the_table_makes(self):
        self.assertEqual(knobs.HEADER.read_text(), knobs.render_header(),
                         "run ./cts spec knobs --write")

    def test_the_manifest_loader_takes_its_placeholders_fixed_keys_and_exit_code_from_the_table(self):
        self.assertEqual(manifest.CONFIG_PLACEHOLDERS, knobs.names(placeholder=True))
        self.assertEqual(manifest.FIXED_KEYS - {"method", "message_id", "snapshot"},
                         set(knobs.names(fixed=True)))
        self.assertEqual(manifest.UNSUPPORTED_EXIT_CODE, 4)
        self.assertEqual(manifest.ClientSpec(command=["x"]).unsupported_exit_codes, [4])

    def test_the_run_defaults_are_the_tables_run_values(self):
        server = conformance.run_defaults("server", "uds")
        client = conformance.run_defaults("client", "uds")
        self.assertEqual(server["max_request_payload"], 1048576)
        self.assertEqual(client["max_request_payload"], 4096)
        self.assertEqual(server["packet_size"], 65536)
        self.assertEqual(set(server), set(knobs.names(placeholder=True))
                         - {"run_dir", "service", "auth_token"} - set(knobs.only_for_defaults()))
        self.assertEqual(conformance.run_defaults("client", "shm-futex")["profiles"], 5)

    def test_knobs_only_the_bench_sets_get_their_contract_default_elsewhere(self):
        self.assertEqual(manifest.PLACEHOLDER_DEFAULTS, {"duration_ms": "1000", "rate": "0"})
        self.assertNotIn("rate", matrix.DEFAULT_KNOBS)

    def test_the_matrix_passes_zero_where_the_sides_defaults_differ(self):
        self.assertEqual(matrix.DEFAULT_KNOBS["max_request_payload"], "0")
        self.assertEqual(matrix.DEFAULT_KNOBS["snapshot_items"], "16")
        self.assertEqual(matrix.AUTH_TOKEN, knobs.table()["run_auth_token"])

    def test_the_reference_manifests_pair_every_flag_with_its_placeholder_and_exit_4_as_unsupported(self):
        tomls = sorted((ROOT / "interop").glob("reference*.toml")) + \
            sorted((ROOT / "interop" / "mutants").glob("*.toml"))
        self.assertTrue(tomls)
        by_flag = {k["flag"]: k["name"] for k in knobs.knobs()}
        for path in tomls:
            doc = tomllib.loads(path.read_text())
            for role in ("server", "client"):
                cmd = doc.get(role, {}).get("command", [])
                for flag, value in zip(cmd, cmd[1:]):
                    if flag in by_flag and value.startswith("{"):
                        self.assertEqual(value, "{%s}" % by_flag[flag], "%s %s" % (path.name, flag))
                codes = doc.get(role, {}).get("unsupported_exit_codes")
                if codes is not None:
                    self.assertEqual(codes, [knobs.exit_code("not_supported")], path.name)

    def test_every_shim_and_nipc_ref_accept_every_flag_of_the_table(self):
        sources = {"nipc-ref": ROOT / "reference/tools/nipc-ref/main.cpp",
                   "c shim": ROOT / "interop/shims/c/src/main.c",
                   "go shim": ROOT / "interop/shims/go/main.go",
                   "rust shim": ROOT / "interop/shims/rust/src/args.rs"}
        for who, path in sources.items():
            text = path.read_text()
            # --spec-revision is only for an implementation that claims both revisions
            # (spec/shim-contract.md); a shim is built against one checkout, one revision.
            missing = [k["flag"] for k in knobs.knobs() if '"%s"' % k["flag"] not in text
                       and not (k["name"] == "spec_revision" and who != "nipc-ref")]
            self.assertEqual(missing, [], "%s (%s) lacks flags" % (who, path.relative_to(ROOT)))

    def test_the_peers_case_needs_are_knobs_a_case_may_need(self):
        peer = Path(os.environ.get("NIPC_BUILD_DIR", ROOT / "build" / "default")) \
            / "conformance" / "nipc-peer"
        if not peer.exists():
            self.skipTest("no peer built at %s" % peer)
        cases = json.loads(subprocess.run([str(peer), "list"], capture_output=True, text=True,
                                          check=True).stdout)
        allowed = set(knobs.names(need=True)) | set(knobs.table()["case_needs_beyond_knobs"])
        used = {key for case in cases for key in case["needs"]}
        self.assertEqual(used - allowed, set())
        self.assertIn("max_request_payload", used)


if __name__ == "__main__":
    unittest.main()
