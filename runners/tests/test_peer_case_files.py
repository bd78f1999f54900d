"""The peer's catalogue reads from conformance/peer/main.cpp: every case file is named for its
chapter and IUT role, holds only cases of that chapter and role, and has one add function that
main.cpp declares and calls exactly once (a file left out would silently drop its cases)."""
import re
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "conformance" / "cases"
MAIN = ROOT / "conformance" / "peer" / "main.cpp"
# Case id prefix -> the file-name spelling of its chapter (peer/catalogue.cpp, chapter_of).
CHAPTERS = {"hs": "handshake", "env": "envelope", "sess": "session", "batch": "batch",
            "chunk": "chunking", "svc": "service", "codec": "codecs", "uds": "transport_uds",
            "shm": "transport_shm", "win": "transport_windows", "shim": "shim", "lookup": "lookup"}
ROLES = {"srv": "server", "cli": "client"}
# Cases made from data rather than written in a table: vectors/sessions.json, both roles.
DATA_FILES = {"session_vectors"}
ID_PREFIX = re.compile(r'"(%s)\.(srv|cli)\.' % "|".join(CHAPTERS))


def case_files():
    return sorted(CASES.glob("*.cpp"))


class CaseFilesReadFromMain(unittest.TestCase):
    def test_every_case_file_is_named_for_one_chapter_and_role(self):
        names = {"%s_%s" % (c, r) for c in CHAPTERS.values() for r in ROLES.values()}
        for path in case_files():
            self.assertIn(path.stem, names | DATA_FILES, path.name)

    def test_a_case_file_holds_only_cases_of_its_chapter_and_role(self):
        for path in case_files():
            if path.stem in DATA_FILES:
                continue
            found = {"%s_%s" % (CHAPTERS[c], ROLES[r]) for c, r in ID_PREFIX.findall(path.read_text())}
            self.assertEqual(found, {path.stem}, path.name)

    def test_every_case_file_has_one_add_function_that_main_calls_once(self):
        main = MAIN.read_text()
        for path in case_files():
            function = "add_%s_cases" % path.stem
            defined = re.findall(r"^void (add_\w+_cases)\(Catalogue& table\) \{", path.read_text(), re.M)
            self.assertEqual(defined, [function], path.name)
            self.assertEqual(main.count("void %s(Catalogue& table);" % function), 1, function)
            self.assertEqual(len(re.findall(r"^  %s\(table\);" % function, main, re.M)), 1, function)

    def test_main_lists_no_file_that_does_not_exist(self):
        listed = set(re.findall(r"^  add_(\w+)_cases\(table\);", MAIN.read_text(), re.M))
        self.assertEqual(listed, {p.stem for p in case_files()})

    def test_no_case_registers_itself_at_start_up(self):
        for path in list(case_files()) + sorted(CASES.glob("*.h")):
            self.assertNotIn("Registrar", path.read_text(), path.name)


if __name__ == "__main__":
    unittest.main()
