"""The report's first screen for many implementations answers "who fails what, and why": an
implementation x chapter table of pass / fail / unsupported counts, then the failures grouped
by requirement with the implementations that break it, then the grids; with one
implementation, one scenario x profile table replaces the one-cell grids. Checked in headless
Chromium, with screenshots at a desktop and a phone size."""
import os
import struct
import subprocess
import sys
import tempfile
import unittest
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT, fake_manifest, kill_marker, new_marker, requires  # noqa: E402
from ctslib import browser, report_html  # noqa: E402


class Tables(HTMLParser):
    """Each table's class and its rows of cell texts, from a DOM dump."""

    def __init__(self):
        super().__init__()
        self.tables, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append((dict(attrs).get("class", ""), []))
        elif tag == "tr" and self.tables:
            self._row = []
            self.tables[-1][1].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None

    def table(self, cls):
        return [rows for c, rows in self.tables if cls in c.split()]


def png_size(path: Path):
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", head[16:24])


def cts_run(d: Path, out: Path, manifests):
    cmd = [sys.executable, str(ROOT / "cts"), "run", "--no-build", "--no-conformance",
           "--out", str(out), "--progress", "lines", "--scenario", "single",
           "--scenario", "batch"]
    for m in manifests:
        cmd += ["--impl", str(m)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=240,
                          env=dict(os.environ, TMPDIR=str(d)))


class OverviewCountsTest(unittest.TestCase):
    def test_a_failure_counts_against_the_side_it_is_held_against_only(self):
        doc = {"implementations": [{"name": "a"}, {"name": "b"}], "results": [
            {"id": "matrix/a/b/uds/single", "kind": "matrix", "verdict": "fail",
             "implementations": ["a", "b"], "blame": ["b"]},
            {"id": "conformance/a/server/uds/x", "kind": "conformance", "verdict": "pass",
             "suite": "conformance.uds.handshake", "implementations": ["a"]},
            {"id": "conformance/a/server/uds/y", "kind": "conformance",
             "verdict": "unsupported", "suite": "conformance.uds.handshake",
             "implementations": ["a"]}]}
        chapters, table = report_html.overview_counts(doc)
        self.assertEqual(chapters, ["matrix", "handshake"])
        self.assertEqual(table["a"]["matrix"], {"pass": 0, "fail": 0, "unsupported": 0})
        self.assertEqual(table["b"]["matrix"], {"pass": 0, "fail": 1, "unsupported": 0})
        self.assertEqual(table["a"]["handshake"], {"pass": 1, "fail": 0, "unsupported": 1})


@requires(bool(browser.find()), "chromium is not installed (./cts setup installs it)")
class OverviewBrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="cts-t-", dir="/tmp")
        d = Path(cls.tmp.name)
        cls.dir = d
        cls.marker = new_marker()
        srv = fake_manifest(d, "srv", cls.marker, server="ok")
        good = fake_manifest(d, "good", cls.marker, client="ok")
        bad = fake_manifest(d, "bad", cls.marker, client="fail")
        cls.many = d / "many"
        cls.many_run = cts_run(d, cls.many, (srv, good, bad))
        both = fake_manifest(d, "solo", cls.marker, server="ok", client="ok", profiles=(1, 2))
        cls.one = d / "one"
        cls.one_run = cts_run(d, cls.one, (both,))

    @classmethod
    def tearDownClass(cls):
        kill_marker(cls.marker)
        cls.tmp.cleanup()

    def test_the_first_tables_say_who_fails_what_and_why_before_the_grids(self):
        self.assertEqual(self.many_run.returncode, 1, self.many_run.stderr)
        dom = browser.dump_dom(self.many / "index.html")
        self.assertLess(dom.index("Who fails what"), dom.index("Failures by requirement"))
        self.assertLess(dom.index("Failures by requirement"), dom.index("Interop matrix"))
        t = Tables()
        t.feed(dom)
        overview = {r[0]: r[1:] for r in t.table("overview")[0][1:]}
        self.assertEqual(t.table("overview")[0][0], ["implementation", "matrix"])
        self.assertEqual(overview["bad"], ["0 / 2 / 0"])   # its two cells fail
        self.assertEqual(overview["good"], ["2 / 0 / 0"])
        # Without the reference in the run nothing tells which side of bad x srv is at
        # fault, so those cells are held against both (run.attribute).
        self.assertEqual(overview["srv"], ["2 / 2 / 0"])
        broken = t.table("by-requirement")[0][1:]
        self.assertTrue(broken)
        self.assertTrue(all(r[1] == "bad, srv" for r in broken), broken)

    def test_one_implementation_gets_one_scenario_by_profile_table(self):
        self.assertEqual(self.one_run.returncode, 0, self.one_run.stdout + self.one_run.stderr)
        dom = browser.dump_dom(self.one / "index.html")
        t = Tables()
        t.feed(dom)
        single = t.table("single")
        self.assertEqual(len(single), 1)
        self.assertEqual(single[0][0], ["scenario \\ profile", "uds", "shm-hybrid"])
        self.assertEqual([r[0].split(" ")[0] for r in single[0][1:]], ["single", "batch"])
        self.assertEqual(len([c for c, _ in t.tables if c == "grid"]), 0, "no one-cell grids")

    def test_the_first_screen_renders_at_a_desktop_and_a_phone_size(self):
        for name, size, wanted in (("desktop", "1400,900", (1400, 900)),
                                   ("phone", "390,844", (390, 844))):
            png = browser.screenshot(self.many / "index.html", self.dir / ("%s.png" % name),
                                     size=size)
            self.assertEqual(png_size(png), wanted)
            self.assertGreater(png.stat().st_size, 5000, "a blank page compresses to less")


if __name__ == "__main__":
    unittest.main()
