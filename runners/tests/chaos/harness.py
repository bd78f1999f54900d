"""What every chaos test needs: manifests around fakes/hostile.py, `./cts` started the way an
operator starts it (its peak memory measured), and the checks that the judge survived its
defendant: bounded time, well-formed reports, no surviving process, no file left behind."""
import html.parser
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "runners"))

from runners.tests.support import marker_processes  # noqa: E402,F401  (one copy: support.py)

HOSTILE = Path(__file__).parent / "fakes" / "hostile.py"
CTS = ROOT / "cts"
BUILD_DIR = Path(os.environ.get("NIPC_BUILD_DIR", ROOT / "build" / "default"))
PEER = BUILD_DIR / "conformance" / "nipc-peer"
# Names of the temporary files and directories the suite and its peer create.
TEMP_PREFIXES = ("cts-", "nipc-peer-", "nipc-cf-")


def toml_list(items):
    return "[" + ", ".join(json.dumps(str(i)) for i in items) + "]"


def manifest(directory: Path, name: str, marker: str, server=None, client=None,
             ready_timeout_ms=2000, stop_timeout_ms=1000, client_timeout_ms=5000, extra_arg=None,
             launcher=None, probe=None, build=None):
    """A manifest for hostile.py playing `server` and/or `client` (behaviour names)."""
    lines = ["[implementation]", 'name = "%s"' % name, 'language = "Python"']
    if launcher is not None:
        lines.append("launcher = %s" % toml_list(launcher))
    if probe is not None:
        lines.append("probe = %s" % toml_list(probe))
    if build is not None:
        lines.append('build = "%s"' % build)
    lines.append("")
    roles = []
    tail = [extra_arg] if extra_arg else []
    if server is not None:
        roles.append("server")
        cmd = [sys.executable, HOSTILE, "server", "{run_dir}", "{service}", "--behaviour", server,
               "--marker", marker] + tail
        lines += ["[server]", "command = %s" % toml_list(cmd), 'sessions = "forever"',
                  'ready = "line"', 'ready_pattern = "^READY"',
                  "ready_timeout_ms = %d" % ready_timeout_ms,
                  "stop_timeout_ms = %d" % stop_timeout_ms, ""]
    if client is not None:
        roles.append("client")
        cmd = [sys.executable, HOSTILE, "client", "{run_dir}", "{service}", "--behaviour", client,
               "--marker", marker, "--scenario", "{scenario}"] + tail
        lines += ["[client]", "command = %s" % toml_list(cmd),
                  "timeout_ms = %d" % client_timeout_ms, ""]
    lines += ["[capabilities]", "roles = %s" % toml_list(roles), "profiles = [1]",
              'service_kinds = ["increment"]', 'scenarios = ["single", "batch"]']
    path = directory / (name + ".toml")
    path.write_text("\n".join(lines) + "\n")
    return path


# Shared services a launcher (wine) keeps for all its users: never counted as survivors.
LAUNCHER_SERVICES = (b"wineserver", b"services.exe", b"winedevice.exe", b"explorer.exe",
                     b"plugplay.exe", b"svchost.exe", b"rpcss.exe", b"conhost.exe",
                     b"wineboot.exe", b"tabtip.exe")


def inheriting_processes(marker):
    """Live processes whose environment holds CHAOS_MARKER=`marker`: everything started
    below a test's ./cts, whatever its command line (a Windows program under wine too)."""
    needle = ("CHAOS_MARKER=%s" % marker).encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            env = Path("/proc/%s/environ" % entry).read_bytes()
            cmd = Path("/proc/%s/cmdline" % entry).read_bytes()
            stat = Path("/proc/%s/stat" % entry).read_text()
        except OSError:
            continue
        argv0 = cmd.split(b"\0")[0].replace(b"\\", b"/").rsplit(b"/", 1)[-1].lower()
        if needle in env.split(b"\0") and stat[stat.rfind(")") + 2] != "Z" and \
                not argv0.startswith(LAUNCHER_SERVICES):
            found.append(int(entry))
    return found


def temp_entries():
    """Entries of /tmp and /dev/shm named like the suite's temporary files."""
    out = set()
    for d in ("/tmp", "/dev/shm"):
        try:
            out |= {os.path.join(d, e) for e in os.listdir(d) if e.startswith(TEMP_PREFIXES)}
        except OSError:
            pass
    return out


class Run:
    """One finished `./cts` command: exit code, output, wall time, peak memory (KiB)."""

    def __init__(self, code, out, err, seconds, max_rss_kib):
        self.code, self.out, self.err = code, out, err
        self.seconds, self.max_rss_kib = seconds, max_rss_kib


class ChaosTest(unittest.TestCase):
    """A fresh working directory (cwd), report directory and TMPDIR per test, a marker for
    the fakes' processes, and the checks every chaos test ends with."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="chaos-"))
        self.cwd = self.tmp / "cwd"
        self.cwd.mkdir()
        self.tmpdir = self.tmp / "tmp"
        self.tmpdir.mkdir()
        self.out = self.tmp / "out"
        self.marker = "chaos-" + uuid.uuid4().hex[:12]
        self.temp_before = temp_entries()

    def tearDown(self):
        for pid in set(marker_processes(self.marker)) | set(inheriting_processes(self.marker)):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def manifest(self, name, **kw):
        return manifest(self.tmp, name, self.marker, **kw)

    def env(self, **extra):
        env = dict(os.environ, TMPDIR=str(self.tmpdir), PYTHONUNBUFFERED="1",
                   CHAOS_MARKER=self.marker)
        env.update(extra)
        return env

    def start(self, argv, env=None):
        return subprocess.Popen([sys.executable, str(CTS)] + [str(a) for a in argv],
                                cwd=self.cwd, env=env or self.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)

    def cts(self, argv, timeout=120, env=None) -> Run:
        """Runs ./cts to its end; its peak RSS comes from wait4 (the largest of the process
        and what it waited for)."""
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, str(CTS)] + [str(a) for a in argv],
                                cwd=self.cwd, env=env or self.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        import threading
        chunks = {1: [], 2: []}

        def drain(f, key):
            for block in iter(lambda: f.read(65536), b""):
                chunks[key].append(block)
        readers = [threading.Thread(target=drain, args=(proc.stdout, 1)),
                   threading.Thread(target=drain, args=(proc.stderr, 2))]
        for t in readers:
            t.start()
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                self.fail("./cts %s did not end within %d s" % (" ".join(map(str, argv)),
                                                                timeout))
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        for t in readers:
            t.join()
        proc.stdout.close()
        proc.stderr.close()
        return Run(proc.returncode, b"".join(chunks[1]).decode("utf-8", "backslashreplace"),
                   b"".join(chunks[2]).decode("utf-8", "backslashreplace"),
                   time.monotonic() - start, usage.ru_maxrss)

    def run_argv(self, *manifests, extra=()):
        argv = ["run", "--no-build", "--no-self-check", "--no-conformance", "--out", self.out,
                "--progress", "lines", "-j", "2"]
        for m in manifests:
            argv += ["--impl", m]
        return argv + list(extra)

    def conformance_argv(self, m, case, out=None):
        return ["conformance", "--impl", m, "--case", case, "--profile", "uds", "--jobs", "2",
                "--build-dir", BUILD_DIR, "--out", out or self.out, "--quiet"]

    def need_peer(self):
        if not PEER.exists():
            self.skipTest("nipc-peer is not built in %s" % BUILD_DIR)

    # ---- the checks every run ends with ----------------------------------------------------

    def assert_clean(self, settle=3.0, launcher_files=()):
        """No process of the fakes survives, and no temporary file is left in TMPDIR, /tmp,
        /dev/shm or the working directory (`launcher_files`: name prefixes of what a launcher
        keeps for itself in TMPDIR, such as wine's server directory)."""
        def survivors():
            return sorted(set(marker_processes(self.marker)) |
                          set(inheriting_processes(self.marker)))
        deadline = time.monotonic() + settle
        while survivors() and time.monotonic() < deadline:
            time.sleep(0.05)
        left = []
        for pid in survivors():
            try:
                left.append(Path("/proc/%d/cmdline" % pid).read_bytes())
            except OSError:
                pass
        self.assertEqual(left, [], "processes survived")
        self.assertEqual(os.listdir(self.cwd), [], "files left in the working directory")
        self.assertEqual([e for e in os.listdir(self.tmpdir) if not e.startswith(launcher_files)],
                         [], "files left in TMPDIR")
        # Every temporary file of the suite and its peer goes to $TMPDIR (the test's own):
        # /tmp is shared with other users of the machine, /dev/shm checked by name.
        left = {e for e in temp_entries() - self.temp_before if e.startswith("/dev/shm")}
        self.assertEqual(left, set(), "files left in /dev/shm")

    def assert_reports(self, out=None, kind="run"):
        """The reports parse: JSON, JUnit XML (well-formed), HTML (balanced enough to
        parse), Markdown without a control character. Returns the JSON document."""
        out = out or self.out
        if kind == "run":
            doc = json.loads((out / "report.json").read_text())
            try:
                import jsonschema
            except ImportError:
                jsonschema = None
            if jsonschema is not None:
                schema = json.loads((ROOT / "runners" / "schema" /
                                     "report.schema.json").read_text())
                errors = [e.message for e in
                          jsonschema.Draft202012Validator(schema).iter_errors(doc)]
                self.assertEqual(errors[:3], [], "report.json against its schema")
            ET.parse(out / "junit.xml")
            md = (out / "summary.md").read_text()
            self.assertNotRegex(md, "[\x00-\x08\x0b-\x1f\x7f]", "control characters in summary.md")
            parser = html.parser.HTMLParser()
            for page in [out / "index.html", out / "requirements.html", out / "cases.html"] + \
                    sorted((out / "failures").glob("*.html")):
                text = page.read_text()
                self.assertNotRegex(text, "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", page.name)
                parser.feed(text)
            return doc
        doc = json.loads((out / "results.json").read_text())
        ET.parse(out / "junit.xml")
        return doc

    def run(self, result=None):
        self.started_wall = time.time() - 1
        return super().run(result)
