"""textsafe: what the runner keeps of implementation output is bounded and visible."""
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT  # noqa: E402,F401 - puts runners/ on sys.path
from ctslib import junit, textsafe  # noqa: E402


class TextsafeTest(unittest.TestCase):
    def test_a_long_text_keeps_its_head_and_tail_and_counts_the_rest(self):
        text = "h" * 100 + "m" * 1000 + "t" * 100
        out = textsafe.clip(text, 100, 100)
        self.assertTrue(out.startswith("h" * 100) and out.endswith("t" * 100))
        self.assertIn("[... 1000 bytes omitted ...]", out)
        self.assertEqual(textsafe.clip("short", 100, 100), "short")

    def test_control_characters_become_visible_escapes(self):
        self.assertEqual(textsafe.visible("a\x1b[31mb\x07\n"), "a\\x1b[31mb\\x07\n")
        self.assertEqual(textsafe.visible("a\nb\tc", one_line=True), "a\\x0ab\\x09c")
        self.assertEqual(textsafe.visible("\u009b"), "\\x9b")

    def test_a_log_keeps_its_head_and_tail_whatever_is_written(self):
        with tempfile.TemporaryDirectory() as d:
            log = textsafe.BoundedLog(Path(d) / "x.log", head=10, tail=10)
            for _ in range(1000):
                log.write(b"0123456789" * 10)
            log.close()
            data = (Path(d) / "x.log").read_bytes()
        self.assertEqual(log.total, 100000)
        self.assertTrue(data.startswith(b"0123456789\n[... 99980 bytes omitted ...]\n"), data)
        self.assertTrue(data.endswith(b"0123456789"))

    def test_an_endless_line_is_cut_and_counted(self):
        lines = []
        s = textsafe.LineSplitter(lines.append, line_max=8)
        s.feed(b"abc\nxyz" + b"y" * 100)
        s.feed(b"yy\n\xff\xfe")
        s.close()
        self.assertEqual(lines, ["abc", "xyzyyyyy [... 97 bytes omitted ...]", "\\xff\\xfe"])

    def test_kept_lines_are_the_first_and_last_ones(self):
        kept = textsafe.BoundedLines(head=2, tail=2)
        for i in range(10):
            kept.append(str(i))
        self.assertEqual(list(kept), ["0", "1", "[... 6 lines omitted ...]", "8", "9"])

    def test_junit_is_well_formed_whatever_the_message_holds(self):
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "junit.xml"
            junit.write_junit(path, "s", [{"suite": "x\x00", "name": "n\x1b", "verdict": "fail",
                                           "seconds": 0.0, "message": "m\x00\x08\ud800\ufffe",
                                           "details": "\x1b[31m" * 100000}])
            root = ET.parse(path).getroot()
        failure = root.find("testsuite/testcase/failure")
        self.assertEqual(failure.get("message"), "m\\x00\\x08\\ud800\\ufffe")
        self.assertLess(len(failure.text), 4 * 2 * textsafe.TEXT_HEAD + 100)  # clipped


if __name__ == "__main__":
    unittest.main()
