"""Manifest loading: strict keys, placeholders, capabilities and fixed configurations."""
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


if __name__ == "__main__":
    unittest.main()
