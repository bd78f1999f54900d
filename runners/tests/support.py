"""Shared helpers of the runner's tests: manifests around fixtures/fake_impl.py and a scan
for processes left behind."""
import os
import sys
import tempfile
import unittest
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "runners"))
FAKE = Path(__file__).parent / "fixtures" / "fake_impl.py"


def new_marker():
    return "cts-test-" + uuid.uuid4().hex[:12]


def fake_manifest(directory: Path, name, marker, server=None, client=None, sessions="forever",
                  profiles=(1,), kinds=None, fixed=None, scenarios=None, stop_timeout_ms=2000,
                  client_timeout_ms=10000, ready_timeout_ms=3000, state=None, platform=None,
                  launcher=None, probe=None):
    """Writes a manifest for the fake implementation; server/client: behaviour names.
    platform, launcher and probe go to [implementation] when given."""
    py = sys.executable
    lines = ['[implementation]', 'name = "%s"' % name, 'language = "Python"']
    if platform:
        lines.append('platform = "%s"' % platform)
    if launcher is not None:
        lines.append('launcher = %s' % _toml_list(launcher))
    if probe is not None:
        lines.append('probe = %s' % _toml_list(probe))
    lines.append('')
    roles = []
    if server is not None:
        roles.append("server")
        cmd = [py, str(FAKE), "server", "{run_dir}", "{service}", "--behaviour", server,
               "--marker", marker] + (["--one-session"] if sessions == "one" else [])
        lines += ['[server]', 'command = %s' % _toml_list(cmd), 'sessions = "%s"' % sessions,
                  'stop_timeout_ms = %d' % stop_timeout_ms,
                  'ready_timeout_ms = %d' % ready_timeout_ms, '']
    if client is not None:
        roles.append("client")
        cmd = [py, str(FAKE), "client", "{run_dir}", "{service}", "--behaviour", client,
               "--marker", marker, "--state", str(state or directory)]
        lines += ['[client]', 'command = %s' % _toml_list(cmd),
                  'timeout_ms = %d' % client_timeout_ms, '']
    lines += ['[capabilities]', 'roles = %s' % _toml_list(roles),
              'profiles = [%s]' % ", ".join(str(p) for p in profiles)]
    if kinds is not None:
        lines.append('service_kinds = %s' % _toml_list(kinds))
    if scenarios is not None:
        lines.append('scenarios = %s' % _toml_list(scenarios))
    if fixed:
        lines += ['configurable = false', '', '[fixed]']
        lines += ['%s = %s' % (k, '"%s"' % v if isinstance(v, str) else v)
                  for k, v in fixed.items()]
    path = Path(directory) / (name + ".toml")
    path.write_text("\n".join(lines) + "\n")
    return path


def _toml_list(items):
    return "[" + ", ".join('"%s"' % str(i).replace("\\", "\\\\") for i in items) + "]"


def marker_processes(marker):
    """Pids of live processes whose command line contains `marker`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmd = Path("/proc/%s/cmdline" % entry).read_bytes()
            stat = Path("/proc/%s/stat" % entry).read_text()
        except OSError:
            continue
        if marker.encode() in cmd and stat[stat.rfind(")") + 2] != "Z":
            found.append(int(entry))
    return found


def kill_marker(marker):
    import signal
    for pid in marker_processes(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


class ManifestDirTest(unittest.TestCase):
    """A test with a fresh temporary directory (self.dir) for fake manifests."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def load(self, name, **kw):
        """Loads a fake manifest named `name`; keywords as fake_manifest takes them."""
        from ctslib import manifest
        return manifest.load(fake_manifest(self.dir, name, "m", **kw))


class RunDirTest(unittest.TestCase):
    """A test that starts processes: a temporary directory under /tmp (self.dir, with
    self.out for a report), a marker (self.marker) its fake implementations carry, and
    every marked process ended afterwards."""
    prefix = "cts-t-"

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix=self.prefix, dir="/tmp")
        self.dir = Path(self.tmp.name)
        self.marker = new_marker()
        self.out = self.dir / "out"

    def tearDown(self):
        kill_marker(self.marker)
        self.tmp.cleanup()


def in_ci() -> bool:
    """True when the environment says this is a CI run (CI=true, as CI services set it)."""
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def requires(available: bool, why: str, setup_provides: bool = True):
    """Class decorator for tests that need something outside Python: skipped when it is
    missing, except in CI when `./cts setup` or the build provides it (`setup_provides`): there
    a skip would hide a broken set-up, so the tests fail instead."""
    if available:
        return lambda cls: cls
    if setup_provides and in_ci():
        def fail_instead(cls):
            def setUpClass(_cls):
                raise AssertionError("CI run: %s, but the set-up provides it; a skip here would "
                                     "hide a broken set-up" % why)
            cls.setUpClass = classmethod(setUpClass)
            return cls
        return fail_instead
    return unittest.skip(why)


def build_dir() -> Path:
    """The build tree the tests run in: NIPC_BUILD_DIR (CTest sets it to its own tree), else
    build/default."""
    return Path(os.environ.get("NIPC_BUILD_DIR") or ROOT / "build" / "default")
