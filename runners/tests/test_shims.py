"""Unit tests of the runner side of the shims: `./cts shims build` with fake language modules
(what it builds, what it skips and why, the manifests it writes), `./cts run --impl-source`,
and the manifest extensions fixed-CLI programs need ([fixed] requests and snapshots, per-role
fixed values, ready modes, exit code 4, service-neutral cases, the "reason not reported"
verdict class)."""
import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import types
import unittest
from contextlib import redirect_stdout
from pathlib import Path

from runners.ctslib import conformance, manifest, matrix, report, run, shims
from runners.tests import support  # noqa: F401 - puts runners/ on sys.path

CAPS = {"roles": ["server", "client", "codec"], "service_kinds": ["increment", "echo"],
        "scenarios": ["connect", "single"], "profiles": [1, 2], "configurable": True}


def fake_language(language, fail=None, notes=(), caps=None):
    """A language build module that 'builds' a shell script as the shim."""
    mod = types.ModuleType("ctslib.shims." + language)
    mod.LANGUAGE = language
    mod.calls = []

    def build(source, out, platform, log):
        mod.calls.append((source, out, platform))
        if fail:
            raise shims.ShimBuildError(fail)
        exe = out / ("%s-shim%s" % (language, ".exe" if platform == "windows" else ""))
        exe.write_text("#!/bin/sh\nexit 0\n")
        exe.chmod(0o755)
        return shims.BuiltShim(language=language, platform=platform, exe=exe,
                               revision="0d17a9d-era API", capabilities=dict(caps or CAPS),
                               notes=list(notes))
    mod.build = build
    return mod


class ShimTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.source = self.dir / "checkout"
        for sub in shims.LANGUAGE_DIRS.values():
            (self.source / sub).mkdir(parents=True)
        self.base = self.dir / "shims"
        self.saved = {k: sys.modules.get(k) for k in self.module_names()}

    def tearDown(self):
        for k, v in self.saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
        self.tmp.cleanup()

    @staticmethod
    def module_names():
        return ["%s.%s" % (shims.__name__, lang) for lang in shims.LANGUAGES]

    def install(self, language, module):
        sys.modules["%s.%s" % (shims.__name__, language)] = module

    def hide(self, language):
        """Makes the language's module missing, as before it lands."""
        sys.modules["%s.%s" % (shims.__name__, language)] = None

    def build(self, languages=shims.LANGUAGES, platforms=("linux",), name="rev1"):
        with redirect_stdout(io.StringIO()):
            return shims.build_all(self.source, languages, name, platforms, log=lambda _: None,
                                   base=self.base)


class BuildingShims(ShimTest):
    def test_a_built_shim_gets_a_manifest_with_the_reference_flags_exit_4_and_its_codec(self):
        self.install("c", fake_language("c", notes=["the packet size is hard-coded"]))
        name, outcomes = self.build(["c"])
        o = outcomes[0]
        self.assertEqual(o.manifest, self.base / "rev1" / "c.toml")
        self.assertEqual(o.shim.exe.parent, self.base / "rev1" / "c")
        m = manifest.load(o.manifest)
        self.assertEqual((m.name, m.language, m.platform), ("rev1-c", "c", "linux"))
        self.assertEqual(m.version, "0d17a9d-era API")
        self.assertEqual(m.client.unsupported_exit_codes, [4])
        exe = str(o.shim.exe)
        self.assertEqual(m.codec.command, [exe, "codec"])
        ref = manifest.load(shims.REFERENCE_MANIFEST)
        self.assertEqual(m.server.command[0:2], [exe, "server"])
        self.assertEqual(m.server.command[2:], ref.server.command[2:])
        # A shim that does not play bench is not given the bench-only flags.
        self.assertEqual(m.client.command[2:],
                         shims._without_flags(ref.client.command[2:], shims.BENCH_FLAGS))
        self.assertNotIn("--duration-ms", m.client.command)
        self.assertEqual(m.capabilities.service_kinds, CAPS["service_kinds"])
        self.assertEqual(m.capabilities.profiles, [1, 2])
        self.assertIn("the packet size is hard-coded", o.manifest.read_text())

    def test_a_shim_that_plays_bench_gets_the_bench_flags_of_the_reference(self):
        caps = dict(CAPS, scenarios=["connect", "single", "bench"])
        self.install("c", fake_language("c", caps=caps))
        _, outcomes = self.build(["c"])
        m = manifest.load(outcomes[0].manifest)
        ref = manifest.load(shims.REFERENCE_MANIFEST)
        self.assertEqual(m.client.command[2:], ref.client.command[2:])
        self.assertIn("--duration-ms", m.client.command)
        self.assertIn("bench", m.capabilities.scenarios)

    def test_a_windows_build_runs_under_wine_with_a_probe(self):
        self.install("go", fake_language("go"))
        _, outcomes = self.build(["go"], platforms=("windows",))
        m = manifest.load(outcomes[0].manifest)
        self.assertEqual(outcomes[0].manifest.name, "go-windows.toml")
        self.assertEqual((m.name, m.platform, m.launcher), ("rev1-go-windows", "windows",
                                                           ["wine"]))
        self.assertEqual(m.probe[0], "wine")
        self.assertTrue(m.server.command[0].endswith(".exe"))
        # Its peer is the Windows one, from the windows preset's tree.
        self.assertEqual(m.build, "windows")

    def test_a_missing_module_and_a_missing_language_are_skipped_with_the_reason(self):
        self.hide("rust")
        self.install("go", fake_language("go"))
        self.install("c", fake_language("c"))
        (self.source / shims.LANGUAGE_DIRS["go"]).rmdir()
        _, outcomes = self.build()
        by = {o.language: o for o in outcomes}
        self.assertIsNotNone(by["c"].manifest)
        self.assertTrue(by["rust"].skipped)
        self.assertIn("no shim build module for rust", by["rust"].reason)
        self.assertTrue(by["go"].skipped)
        self.assertIn("src/go", by["go"].reason)
        self.assertEqual(sys.modules["%s.go" % shims.__name__].calls, [])

    def test_a_failed_build_is_reported_as_failed_and_the_others_still_build(self):
        self.install("c", fake_language("c", fail="cmake is missing: apt-get install cmake"))
        self.install("rust", fake_language("rust"))
        self.hide("go")
        _, outcomes = self.build()
        by = {o.language: o for o in outcomes}
        self.assertFalse(by["c"].skipped)
        self.assertIsNone(by["c"].manifest)
        self.assertIn("cmake is missing", by["c"].reason)
        self.assertIsNotNone(by["rust"].manifest)
        out = io.StringIO()
        shims.print_summary("rev1", outcomes, out)
        self.assertIn("FAILED  c", out.getvalue())
        self.assertIn("skipped go", out.getvalue())

    def test_the_command_exits_non_zero_when_nothing_was_built(self):
        for lang in shims.LANGUAGES:
            self.hide(lang)
        args = argparse.Namespace(source=str(self.source), lang=None, name="x", platform=None)
        with redirect_stdout(io.StringIO()) as out:
            self.assertEqual(shims.cmd_build(args), 2)
        self.assertIn("0 built, 3 skipped", out.getvalue())

    def test_the_default_name_is_the_short_commit_of_a_git_checkout_else_the_dir_name(self):
        self.assertEqual(shims.default_name(self.source), "checkout")
        env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                   GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
        subprocess.run(["git", "init", "-q", str(self.source)], check=True, env=env)
        subprocess.run(["git", "-C", str(self.source), "commit", "-q", "--allow-empty", "-m",
                        "x"], check=True, env=env)
        short = subprocess.run(["git", "-C", str(self.source), "rev-parse", "--short", "HEAD"],
                               capture_output=True, text=True, check=True).stdout.strip()
        self.assertEqual(shims.default_name(self.source), "plugin-ipc-" + short)

    def test_run_with_an_impl_source_runs_the_reference_and_every_built_shim(self):
        self.install("c", fake_language("c"))
        self.install("go", fake_language("go", fail="go is missing"))
        self.hide("rust")
        old = shims.SHIMS_DIR
        shims.SHIMS_DIR = self.base
        try:
            args = argparse.Namespace(impl=None, impl_source=[str(self.source)], shim_lang=None,
                                      shim_platform=None)
            with redirect_stdout(io.StringIO()):
                impl, notes = run._impl_sources(args)
        finally:
            shims.SHIMS_DIR = old
        self.assertEqual(impl[0], run.REFERENCE_MANIFEST)
        self.assertEqual([Path(p).name for p in impl[1:]], ["c.toml"])
        self.assertTrue(any("go" in n and "go is missing" in n for n in notes))
        self.assertTrue(any("rust" in n and "skipped" in n for n in notes))


class SkipReporting(ShimTest):
    def check(self, **kw):
        args = argparse.Namespace(skip_reason=None, name="rev1", lang="rust", part="vectors",
                                  platform="linux", build_dir=None)
        for k, v in kw.items():
            setattr(args, k, v)
        old = shims.SHIMS_DIR
        shims.SHIMS_DIR = self.base
        try:
            with redirect_stdout(io.StringIO()) as out:
                code = shims.cmd_check(args)
        finally:
            shims.SHIMS_DIR = old
        return code, out.getvalue()

    def test_without_a_checkout_the_label_is_a_skip_with_the_reason_never_a_pass(self):
        code, out = self.check(skip_reason="NIPC_IMPL_SOURCE is not set")
        self.assertEqual(code, 77)
        self.assertIn("NIPC_IMPL_SOURCE is not set", out)
        saved = os.environ.pop("NIPC_IMPL_SOURCE", None)
        try:
            from runners.ctslib import cli
            self.assertIn("SKIPPED, not passed", cli.shims_status())
        finally:
            if saved is not None:
                os.environ["NIPC_IMPL_SOURCE"] = saved

    def test_a_language_that_was_not_built_is_a_skip_naming_the_build_reason(self):
        self.install("rust", fake_language("rust", fail="no Windows target for Rust"))
        self.hide("c")
        self.hide("go")
        self.build()
        code, out = self.check()
        self.assertEqual(code, 77)
        self.assertIn("no Windows target for Rust", out)


def load(text, directory):
    Path(directory).mkdir(parents=True, exist_ok=True)
    path = Path(directory) / "m.toml"
    path.write_text(text)
    return manifest.load(path)


FIXTURE = """
[implementation]
name = "fx"
language = "C"

[server]
command = ["fx", "server", "{run_dir}", "{service}"]
ready = "socket"
sessions = "one"
env = { FX_MODE = "strict" }

[client]
command = ["fx", "client", "{run_dir}", "{service}"]
success = "line"
success_pattern = "^PASS$"

[capabilities]
roles = ["server", "client"]
service_kinds = ["echo"]
scenarios = ["single"]
configurable = false

[fixed]
service_kind = "echo"
auth_token = "0xDEADBEEFCAFEBABE"
profiles = 1
packet_size = 0

[fixed.client]
count = 1
size = 256
method = 1
message_id = 12345

[fixed.server]
max_request_payload = 65536
"""


class FixedPrograms(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_the_default_unsupported_exit_code_is_the_contracts_4(self):
        m = load(FIXTURE, self.dir)
        self.assertEqual(m.client.unsupported_exit_codes, [4])

    def test_per_role_fixed_values_override_the_common_ones_for_that_role_only(self):
        m = load(FIXTURE, self.dir)
        self.assertEqual(m.fixed_for("client")["count"], 1)
        self.assertNotIn("count", m.fixed_for("server"))
        self.assertEqual(m.fixed_for("server")["max_request_payload"], 65536)
        ok, why = m.applicable({"count": 3}, "client")
        self.assertFalse(ok)
        self.assertIn("count=3", why)
        self.assertTrue(m.applicable({"count": 3}, "server")[0])

    def test_a_fixed_snapshot_is_given_inline_and_fixes_the_item_count(self):
        text = FIXTURE + """
[[fixed.snapshot]]
hash = 1
name = "a"
path = "/a"
[[fixed.snapshot]]
hash = 2
name = "b"
path = "/b"
enabled = false
"""
        m = load(text, self.dir)
        self.assertEqual(m.fixed["snapshot_items"], 2)
        ok, why = m.applicable({"snapshot_items": 16, "snapshot_seed": 1})
        self.assertFalse(ok)
        with self.assertRaises(manifest.ManifestError):
            load(text.replace('name = "a"', 'colour = "a"'), self.dir)

    def test_ready_connect_is_a_mode_of_its_own(self):
        m = load(FIXTURE.replace('ready = "socket"', 'ready = "connect"'), self.dir)
        self.assertEqual(m.server.ready, "connect")

    def test_a_fixed_client_plays_the_echo_cell_with_its_own_request_and_the_row_says_so(self):
        fx = load(FIXTURE, self.dir)
        ref = manifest.load(run.REFERENCE_MANIFEST)
        cells = {c.id: c for c in matrix.plan([fx, ref])}
        cell = cells["matrix/fx/reference/uds/echo"]
        self.assertEqual(cell.verdict, "")
        self.assertIn("count=1", cell.note)
        argv = fx.argv("client", dict(cell.config, run_dir="/r", service="s"))
        self.assertEqual(argv, ["fx", "client", "/r", "s"])
        self.assertEqual(cell.config["auth_token"], "0xDEADBEEFCAFEBABE")

    def test_the_matrix_handshake_runs_with_a_service_kind_both_sides_offer(self):
        fx = load(FIXTURE, self.dir)
        ref = manifest.load(run.REFERENCE_MANIFEST)
        cells = {c.id: c for c in matrix.plan([fx, ref])}
        for cid in ("matrix/reference/fx/uds/handshake", "matrix/fx/reference/uds/handshake"):
            self.assertEqual(cells[cid].verdict, "", cells[cid].message)
            self.assertEqual(cells[cid].config["service_kind"], "echo")
        self.assertEqual(cells["matrix/reference/reference/uds/handshake"].config["service_kind"],
                         "increment")
        snap = load(FIXTURE.replace('scenarios = ["single"]', 'scenarios = ["snapshot"]')
                    .replace('scenario = "single"', 'scenario = "snapshot"')
                    .replace('name = "fx"', 'name = "sn"'), self.dir / "sn")
        cell = {c.id: c for c in matrix.plan([snap, ref])}["matrix/sn/reference/uds/handshake"]
        self.assertEqual((cell.verdict, cell.config["scenario"]), ("", "snapshot"))
        self.assertIn("its own 'snapshot'", cell.note)

    def test_two_programs_with_the_same_fixed_snapshot_play_the_snapshot_cell(self):
        snap = '\n[[fixed.snapshot]]\nhash = 1\nname = "a"\npath = "/a"\n'
        text = (FIXTURE.replace('"echo"', '"cgroups-snapshot"')
                .replace('scenarios = ["single"]', 'scenarios = ["snapshot"]')
                .replace('scenario = "single"', 'scenario = "snapshot"'))
        a = load(text.replace('name = "fx"', 'name = "a"') + snap, self.dir / "a")
        b = load(text.replace('name = "fx"', 'name = "b"') + snap, self.dir / "b")
        other = load(text.replace('name = "fx"', 'name = "o"') + snap.replace('"a"', '"z"'),
                     self.dir / "o")
        ref = manifest.load(run.REFERENCE_MANIFEST)
        cells = {c.id: c for c in matrix.plan([a, b, other, ref])}
        self.assertEqual(cells["matrix/a/b/uds/snapshot"].verdict, "")
        self.assertEqual(cells["matrix/a/o/uds/snapshot"].verdict, "not-applicable")
        self.assertEqual(cells["matrix/reference/a/uds/snapshot"].verdict, "not-applicable")
        self.assertIn("snapshot_items", cells["matrix/reference/a/uds/snapshot"].message)

    def test_a_service_neutral_case_runs_with_the_servers_own_service_kind(self):
        fx = load(FIXTURE, self.dir)
        neutral = {"id": "hs.srv.x", "role": "server", "on": ["uds"], "needs": {},
                   "chapter": "handshake", "title": "t", "requirements": ["HS-FLOW-001"],
                   "service_neutral": True}
        config, skip = conformance.plan_case(neutral, "uds", fx)
        self.assertIsNone(skip)
        self.assertEqual(config["service_kind"], "echo")
        self.assertEqual(config["packet_size"], 0)
        config, skip = conformance.plan_case(dict(neutral, service_neutral=False), "uds", fx)
        self.assertEqual(skip[0], "unsupported")

    def test_a_service_neutral_client_case_runs_the_clients_own_scenario(self):
        text = (FIXTURE.replace('scenarios = ["single"]', 'scenarios = ["snapshot"]')
                .replace('scenario = "single"', 'scenario = "snapshot"'))
        fx = load(text, self.dir)
        neutral = {"id": "hs.cli.x", "role": "client", "on": ["uds"], "needs": {},
                   "chapter": "handshake", "title": "t", "requirements": ["HS-FLOW-001"],
                   "service_neutral": True}
        config, skip = conformance.plan_case(neutral, "uds", fx)
        self.assertIsNone(skip)
        self.assertEqual(config["scenario"], "snapshot")
        config, skip = conformance.plan_case(dict(neutral, needs={"scenario": "batch"}), "uds", fx)
        self.assertEqual(skip[0], "unsupported")

    def test_the_peer_gets_the_servers_env_one_session_and_ready_mode(self):
        fx = load(FIXTURE, self.dir)
        peer = self.dir / "peer.py"
        peer.write_text("import json, os, sys\n"
                        "print(json.dumps({'verdict': 'pass', 'reason': json.dumps("
                        "{'argv': sys.argv, 'mode': os.environ.get('FX_MODE')})}))\n")
        case = {"id": "hs.srv.x", "role": "server", "on": ["uds"], "needs": {},
                "chapter": "handshake", "title": "t", "requirements": ["HS-FLOW-001"],
                "service_neutral": True}
        r = conformance.Runner(fx, [sys.executable, str(peer)]).run(case, "uds")
        seen = json.loads(r["reason"])
        self.assertEqual(seen["mode"], "strict")
        self.assertIn("--one-session", seen["argv"])
        self.assertEqual(seen["argv"][seen["argv"].index("--ready") + 1], "socket")


class UnreportedVerdicts(unittest.TestCase):
    def test_a_rejection_without_a_reason_is_counted_apart_and_is_not_a_pass(self):
        m = manifest.load(run.REFERENCE_MANIFEST)
        rows = [{"id": "conformance/reference/client/a", "verdict": "pass",
                 "implementations": ["reference"]},
                {"id": "conformance/reference/client/b", "verdict": "unreported",
                 "implementations": ["reference"]},
                {"id": "conformance/reference/client/c", "verdict": "unsupported",
                 "implementations": ["reference"]}]
        table = report.per_implementation(rows, [m])[0]
        self.assertEqual((table["pass"], table["unreported"], table["planned"], table["run"]),
                         (1, 1, 3, 2))
        self.assertNotEqual(report.expected.outcome(rows[1]), "pass")
        lines = "\n".join(report.per_implementation_lines([table]))
        self.assertIn("failed, reason not reported", lines)


if __name__ == "__main__":
    unittest.main()


PEER = conformance.peer_binary(conformance.paths.build_dir("default"))
GO_FIXED = conformance.paths.build_dir("default") / \
    "interop/examples/go-fixed/nipc-go-fixed-server"


@unittest.skipUnless(PEER.exists() and GO_FIXED.exists(),
                     "needs nipc-peer and the go-fixed example server in build/default")
class PeerAgainstAOneSessionServer(unittest.TestCase):
    """The real peer against a server that serves one session and then exits."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.catalogue = {c["id"]: c for c in conformance.load_catalogue(PEER)}

    def tearDown(self):
        self.tmp.cleanup()

    def manifest(self, ready="socket", packet_size=65536):
        text = (conformance.paths.ROOT / "interop/examples/go-fixed/manifest.toml").read_text()
        text = text.replace('ready = "line"', 'ready = "%s"' % ready)
        text = text.replace("packet_size = 65536", "packet_size = %d" % packet_size)
        path = self.dir / "go.toml"
        path.write_text(text)
        return manifest.load(path)

    def run_case(self, m, case_id):
        return conformance.Runner(m, PEER).run(self.catalogue[case_id], "uds")

    def test_socket_readiness_leaves_the_only_session_to_the_case(self):
        r = self.run_case(self.manifest("socket"), "hs.srv.batch-1")
        self.assertEqual(r["verdict"], "pass", r)

    def test_connect_readiness_costs_the_session_and_says_so(self):
        r = self.run_case(self.manifest("connect"), "hs.srv.batch-1")
        self.assertNotEqual(r["verdict"], "pass", r)

    def test_packet_size_0_is_the_servers_default_not_a_value_to_compare_with(self):
        r = self.run_case(self.manifest("socket", packet_size=0), "hs.srv.batch-1")
        self.assertEqual(r["verdict"], "pass", r)

    def test_a_case_needing_a_second_session_is_not_applicable(self):
        r = self.run_case(self.manifest("socket"), "hs.srv.sid-sequence")
        self.assertEqual(r["verdict"], "not-applicable", r)
        self.assertIn("one session", r["reason"])
