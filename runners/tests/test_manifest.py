"""Manifest loading: strict keys, placeholders, capabilities and fixed configurations."""
import os
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ctslib import manifest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = '''
[implementation]
name = "tiny"
language = "Go"
'''

FIXED_SERVER = '''
[implementation]
name = "fixed-go"
language = "Go"
version = "1.0"

[server]
command = ["/opt/go-server", "{run_dir}", "{service}"]
sessions = "one"

[capabilities]
roles = ["server"]
profiles = [1]
configurable = false

[fixed]
auth_token = "12345"
max_request_payload = 1024
packet_size = 65536
'''


def load_text(text):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "m.toml"
        p.write_text(text)
        return manifest.load(p)


class ManifestTest(unittest.TestCase):
    def test_the_reference_manifest_loads_with_every_role(self):
        m = manifest.load(ROOT / "interop/reference.toml")
        self.assertEqual(m.name, "reference")
        self.assertEqual(sorted(m.capabilities.roles), ["client", "codec", "server"])
        self.assertEqual(m.capabilities.profiles, [1, 2, 4])
        self.assertTrue(m.codec.command[0].endswith("nipc-ref/nipc-ref"))
        argv = m.argv("server", {"run_dir": "/tmp/r", "service": "svc", "service_kind":
                                 "increment", "auth_token": 7, "profiles": 1, "preferred": 0,
                                 "max_request_payload": 1024, "max_response_payload": 4096,
                                 "packet_size": 0, "sessions": "forever",
                                 "snapshot_items": 16, "snapshot_seed": 1})
        self.assertIn("/tmp/r", argv)
        self.assertEqual(argv[argv.index("--auth-token") + 1], "7")

    def test_a_missing_placeholder_value_is_an_error(self):
        m = manifest.load(ROOT / "interop/reference.toml")
        with self.assertRaisesRegex(manifest.ManifestError, "placeholder \\{service\\}"):
            m.argv("server", {"run_dir": "/tmp/r"})

    def test_a_minimal_manifest_has_no_roles(self):
        m = load_text(MINIMAL)
        self.assertEqual(m.capabilities.roles, [])
        self.assertIsNone(m.server)

    def test_unknown_keys_are_errors_at_every_level(self):
        for text in (MINIMAL + "colour = 1\n",
                     MINIMAL.replace('language = "Go"', 'language = "Go"\nlangauge = "x"'),
                     MINIMAL + '[server]\ncommand = ["x"]\nready_patern = "R"\n',
                     MINIMAL + '[capabilities]\nrole = ["server"]\n'):
            with self.assertRaisesRegex(manifest.ManifestError, "unknown keys"):
                load_text(text)

    def test_unknown_placeholders_are_errors(self):
        with self.assertRaisesRegex(manifest.ManifestError, "unknown placeholder \\{runn_dir\\}"):
            load_text(MINIMAL + '[server]\ncommand = ["srv", "{runn_dir}"]\n')

    def test_a_declared_role_needs_its_section(self):
        with self.assertRaisesRegex(manifest.ManifestError, "no \\[client\\] section"):
            load_text(MINIMAL + '[capabilities]\nroles = ["client"]\n')

    def test_choices_are_checked(self):
        with self.assertRaisesRegex(manifest.ManifestError, "ready must be one of"):
            load_text(MINIMAL + '[server]\ncommand = ["x"]\nready = "soon"\n')
        with self.assertRaisesRegex(manifest.ManifestError, "profiles must be a list"):
            load_text(MINIMAL + '[capabilities]\nprofiles = [8]\n')
        with self.assertRaisesRegex(manifest.ManifestError, "success_pattern"):
            load_text(MINIMAL + '[client]\ncommand = ["x"]\nsuccess = "line"\n')

    def test_a_fixed_configuration_decides_applicability(self):
        m = load_text(FIXED_SERVER)
        self.assertEqual(m.server.sessions, "one")
        self.assertEqual(m.applicable({"max_request_payload": 1024}), (True, ""))
        ok, why = m.applicable({"max_request_payload": 2048, "packet_size": 65536})
        self.assertFalse(ok)
        self.assertIn("max_request_payload=2048", why)
        # knobs the implementation does not fix are not judged
        self.assertTrue(m.applicable({"preferred": 2})[0])
        self.assertEqual(m.argv("server", {"run_dir": "/r", "service": "s"}),
                         ["/opt/go-server", "/r", "s"])

    def test_fixed_and_configurable_contradict(self):
        with self.assertRaisesRegex(manifest.ManifestError, "configurable = false"):
            load_text(MINIMAL + '[fixed]\npacket_size = 1\n')
        with self.assertRaisesRegex(manifest.ManifestError, "needs a \\[fixed\\] table"):
            load_text(MINIMAL + '[capabilities]\nconfigurable = false\n')

    def test_a_launcher_prefixes_every_command(self):
        m = load_text(MINIMAL + '[codec]\ncommand = ["t.exe"]\n')
        self.assertEqual(m.codec.command, ["t.exe"])
        m = load_text(MINIMAL.replace('language = "Go"', 'language = "Go"\nlauncher = ["wine"]')
                      + '[codec]\ncommand = ["t.exe"]\n[server]\ncommand = ["s.exe"]\n')
        self.assertEqual(m.codec.command, ["wine", "t.exe"])
        self.assertEqual(m.argv("server", {}), ["wine", "s.exe"])

    def test_a_launcher_expands_path_placeholders_and_rejects_run_knobs(self):
        m = load_text(MINIMAL.replace('language = "Go"', 'language = "Go"\n'
                                      'launcher = ["{root}/tools/run-under"]'))
        self.assertEqual(m.launcher, [str(manifest.paths.ROOT) + "/tools/run-under"])
        with self.assertRaisesRegex(manifest.ManifestError, "unknown placeholder \\{service\\}"):
            load_text(MINIMAL.replace('language = "Go"', 'language = "Go"\n'
                                      'launcher = ["x", "{service}"]'))

    def test_the_platform_is_checked_and_names_the_transport_family(self):
        self.assertEqual(load_text(MINIMAL).platform, "linux")
        self.assertEqual(load_text(MINIMAL).family, "posix")
        win = load_text(MINIMAL.replace('language = "Go"', 'language = "Go"\nplatform = "windows"'))
        self.assertEqual(win.family, "windows")
        self.assertEqual([win.profile_name(b) for b in (1, 2, 4)],
                         ["pipe", "shm-hybrid", "shm-busywait"])
        self.assertEqual([load_text(MINIMAL).profile_name(b) for b in (1, 2, 4)],
                         ["uds", "shm-hybrid", "shm-futex"])
        with self.assertRaisesRegex(manifest.ManifestError, "platform must be one of"):
            load_text(MINIMAL.replace('language = "Go"', 'language = "Go"\nplatform = "win32"'))

    def test_the_build_key_chooses_the_tree_build_dir_names(self):
        text = MINIMAL.replace('language = "Go"', 'language = "Go"\nplatform = "windows"\n'
                               'build = "windows"\nlauncher = ["wine"]') + \
            '[codec]\ncommand = ["{build_dir}/t{exe}", "codec"]\n'
        m = load_text(text)
        self.assertEqual(m.build, "windows")
        self.assertTrue(m.uses_build_dir)
        self.assertEqual(m.codec.command, ["wine", str(ROOT / "build/windows/t.exe"), "codec"])
        plain = load_text(MINIMAL + '[codec]\ncommand = ["{build_dir}/t{exe}"]\n')
        self.assertEqual(plain.codec.command, [str(ROOT / "build/default/t")])
        self.assertFalse(load_text(MINIMAL).uses_build_dir)
        with self.assertRaisesRegex(manifest.ManifestError, "build must name a configure preset"):
            load_text(MINIMAL.replace('language = "Go"', 'language = "Go"\nbuild = "nope"'))

    def test_every_checked_in_manifest_loads(self):
        # Manifests: every TOML file under interop/ except the harnesses' own build files.
        found = sorted(p for p in (ROOT / "interop").rglob("*.toml")
                       if (ROOT / "interop" / "harness") not in p.parents)
        self.assertIn(ROOT / "interop" / "windows-codec.toml", found)
        for path in found:
            m = manifest.load(path, {"fixtures": "/fixtures", "source": "/source"})
            self.assertIn(m.platform, manifest.PLATFORMS, path)

    def test_a_placeholder_from_the_environment_needs_its_variable(self):
        text = MINIMAL + '[codec]\ncommand = ["{fixtures}/bin/testee"]\n'
        saved = os.environ.pop("NIPC_FIXTURES_BUILD", None)
        try:
            with self.assertRaisesRegex(manifest.ManifestError, "set NIPC_FIXTURES_BUILD"):
                load_text(text)
            os.environ["NIPC_FIXTURES_BUILD"] = "/opt/fx/"
            self.assertEqual(load_text(text).codec.command, ["/opt/fx/bin/testee"])
        finally:
            os.environ.pop("NIPC_FIXTURES_BUILD", None)
            if saved is not None:
                os.environ["NIPC_FIXTURES_BUILD"] = saved

    def test_a_probe_runs_under_the_launcher(self):
        m = load_text(MINIMAL.replace('language = "Go"', 'language = "Go"\nlauncher = ["wine"]\n'
                                      'build = "windows"\n'
                                      'probe = ["{build_dir}/p.exe", "--help"]'))
        self.assertEqual(m.probe, ["wine", str(ROOT / "build/windows/p.exe"), "--help"])
        self.assertEqual(load_text(MINIMAL).probe, [])
        with self.assertRaisesRegex(manifest.ManifestError, "unknown placeholder"):
            load_text(MINIMAL.replace('language = "Go"', 'language = "Go"\n'
                                      'probe = ["p", "{run_dir}"]'))


if __name__ == "__main__":
    unittest.main()
