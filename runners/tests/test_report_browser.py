"""The HTML report in a real headless browser (Debian's chromium): the grid renders with its
colours, a failure link opens a page with the evidence, and the traceability pages
(requirements.html, cases.html) render with their links both ways. Skipped without chromium, except
in CI, where `./cts setup` installs it and its absence fails."""
import os
import re
import subprocess
import sys
import tempfile
import unittest
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT, fake_manifest, kill_marker, new_marker, requires  # noqa: E402
from ctslib import browser  # noqa: E402


class Cells(HTMLParser):
    """Grid cells (td with data-cell) and their links, from a DOM dump."""

    def __init__(self):
        super().__init__()
        self.cells = {}
        self._current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "td" and "data-cell" in a:
            self._current = a["data-cell"]
            self.cells[self._current] = {"verdict": a.get("data-verdict"),
                                         "class": a.get("class"), "href": None}
        elif tag == "a" and self._current:
            self.cells[self._current]["href"] = a.get("href")

    def handle_endtag(self, tag):
        if tag == "td":
            self._current = None


@requires(bool(browser.find()), "chromium is not installed (./cts setup installs it)")
class BrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="cts-t-", dir="/tmp")
        d = Path(cls.tmp.name)
        cls.marker = new_marker()
        s = fake_manifest(d, "srv", cls.marker, server="ok")
        good = fake_manifest(d, "good", cls.marker, client="ok")
        bad = fake_manifest(d, "bad", cls.marker, client="fail")
        cls.out = d / "out"
        cmd = [sys.executable, str(ROOT / "cts"), "run", "--no-build", "--no-conformance", "--out", str(cls.out),
               "--progress", "lines", "--scenario", "single", "--scenario", "batch"]
        for m in (s, good, bad):
            cmd += ["--impl", str(m)]
        cls.outcome = subprocess.run(cmd, capture_output=True, text=True, timeout=240,
                                 env=dict(os.environ, TMPDIR=str(d)))

    @classmethod
    def tearDownClass(cls):
        kill_marker(cls.marker)
        cls.tmp.cleanup()

    def test_the_grid_renders_and_a_failure_link_opens_its_evidence(self):
        self.assertEqual(self.outcome.returncode, 1, self.outcome.stdout + self.outcome.stderr)
        dom = browser.dump_dom(self.out / "index.html")
        parser = Cells()
        parser.feed(dom)
        cells = parser.cells
        self.assertEqual(cells["matrix/good/srv/uds/single"]["verdict"], "pass")
        self.assertEqual(cells["matrix/good/srv/uds/single"]["class"], "v-pass")
        failing = cells["matrix/bad/srv/uds/single"]
        self.assertEqual((failing["verdict"], failing["class"]), ("fail", "v-fail"))
        self.assertIsNotNone(failing["href"])
        self.assertIn("Compliance by implementation", dom)

        page = browser.dump_dom(self.out / failing["href"])
        self.assertRegex(page, r"<h1>matrix/bad/srv/uds/single</h1>")
        self.assertIn("client: exit code 1", page)
        self.assertIn("Exchange (recorded by the relay between client and server)", page)
        self.assertIn("client→server", page)
        self.assertIn("Reproduce without the runner", page)
        self.assertRegex(page, re.escape("./cts run --impl ") + r".*--only")

    def test_the_traceability_pages_render_and_link_both_ways(self):
        index = browser.dump_dom(self.out / "index.html")
        self.assertIn('<tr data-impl="bad" data-level="MUST">', index)
        self.assertIn('href="requirements.html"', index)
        reqs = browser.dump_dom(self.out / "requirements.html")
        self.assertRegex(reqs, r'<p id="trace-counts" data-requirements="\d+">\d+ requirements')
        self.assertIn('<tr id="SESS-MSGID-003" data-level="MUST">', reqs)
        self.assertIn('href="index.html#scenario-single"', reqs)
        cases = browser.dump_dom(self.out / "cases.html")
        self.assertIn('<tr id="case-matrix__single">', cases)
        self.assertIn('<span id="row-matrix__bad__srv__uds__single">', cases)
        self.assertIn('href="requirements.html#SESS-MSGID-003"', cases)
        page = browser.dump_dom(self.out / "failures" / "matrix__bad__srv__uds__single.html")
        self.assertIn('<ul class="requirements"><li><a href="../requirements.html#', page)

    def test_a_screenshot_of_the_report_is_not_blank(self):
        png = self.out / "index.png"
        browser.screenshot(self.out / "index.html", png, size="1200,900")
        data = png.read_bytes()
        self.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n")
        self.assertGreater(len(data), 10000)


if __name__ == "__main__":
    unittest.main()
