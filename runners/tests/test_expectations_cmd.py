"""`./cts expectations check|update`: flagged and expired entries, the placeholder reason,
unknown keys, and an update that adds failing rows, removes entries that pass now and keeps
every hand-written line as it was."""
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT  # noqa: E402
from ctslib import expected, expectations  # noqa: E402

TODAY = "2030-06-15"


def cts(*args):
    return subprocess.run([sys.executable, str(ROOT / "cts"), "expectations", *args],
                          capture_output=True, text=True, timeout=60)


def row(id, verdict, impls, blame=None, **kw):
    r = {"id": id, "kind": "conformance", "suite": "s", "name": id.rsplit("/", 1)[-1],
         "verdict": verdict, "seconds": 0.0, "message": "", "details": "",
         "requirements": [], "implementations": list(impls)}
    if blame is not None:
        r["blame"] = list(blame)
    r.update(kw)
    return r


class ExpectationsCommandTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="cts-t-", dir="/tmp")
        self.dir = Path(self.tmp.name) / "expected"
        self.dir.mkdir()

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        (self.dir / (name + ".txt")).write_text(text)

    def report(self, rows, names=("a", "b"), **extra):
        doc = {"implementations": [{"name": n} for n in names], "results": rows,
               "options": {"shard": "1/1", "only": ""}, "interrupted": False}
        doc.update(extra)
        path = Path(self.tmp.name) / "report.json"
        path.write_text(json.dumps(doc))
        return str(path)

    # ---- check ----

    def test_check_accepts_the_older_format_but_flags_entries_without_link_or_expiry(self):
        self.write("a", "# old style\nc/1  HS-SID-001  sends 0\nc/2  HS-SID-001: sends 0\n"
                        "c/3  r  link=https://example.org/21 expires=2031-01-01\n")
        p = cts("check", "--dir", str(self.dir), "--today", TODAY)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("a.txt:2 c/1: no link, no expiry", p.stdout)
        self.assertIn("1 lists, 3 entries, 0 errors; 2 flagged (2 without link, 2 without "
                      "expiry, 0 placeholder reasons, 0 expired)", p.stdout)
        p = cts("check", "--dir", str(self.dir), "--today", TODAY, "--strict")
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("--strict refuses the flagged entries", p.stdout)

    def test_an_expired_entry_fails_strict_check_and_is_reported_without_it(self):
        self.write("a", "c/1  r  link=x expires=2030-06-14\nc/2  r  link=x expires=2030-06-20\n")
        p = cts("check", "--dir", str(self.dir), "--today", TODAY)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertRegex(p.stdout, r"EXPIRED .*a.txt:1 c/1: expired on 2030-06-14")
        self.assertRegex(p.stdout, r"SOON +.*a.txt:2 c/2: expires 2030-06-20, in 5 days")
        self.assertEqual(cts("check", "--dir", str(self.dir), "--today", TODAY,
                             "--strict").returncode, 1)

    def test_a_placeholder_reason_is_refused_by_strict_check(self):
        self.write("a", "c/1  HS-SID-001  %s  link=x expires=2031-01-01\n"
                   % expected.PLACEHOLDER_REASON)
        p = cts("check", "--dir", str(self.dir), "--today", TODAY, "--strict")
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("c/1: placeholder reason", p.stdout)

    def test_unknown_keys_and_unknown_requirements_are_errors(self):
        self.write("a", "c/1  r  link=x owner=me\n")
        self.write("b", "c/1  NOT-A-REAL-999  r  link=x expires=2031-01-01\n")
        p = cts("check", "--dir", str(self.dir), "--today", TODAY)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("a.txt:1: unknown key 'owner'", p.stdout)
        self.assertIn("b.txt:1: names requirement NOT-A-REAL-999, which spec/requirements.json "
                      "does not define", p.stdout)

    # ---- update ----

    def test_update_adds_new_failures_with_their_requirement_and_a_placeholder(self):
        details = json.dumps({"failures": [{"requirement": "HS-SID-001", "message": "m"}]})
        rep = self.report([
            row("conformance/a/server/uds/hs.srv.sid", "fail", ["a"], details=details,
                requirements=["HS-ORDER-001", "HS-SID-001"]),
            row("matrix/a/b/uds/single", "fail", ["a", "b"], blame=["b"],
                requirements=["SESS-ORDER-001"]),
            row("conformance/a/server/uds/ok", "pass", ["a"]),
            row("vectors/a/x/1-env", "error", ["a"], environment=True)])
        p = cts("update", "--from", rep, "--dir", str(self.dir), "--today", TODAY,
                "--days", "30")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        a = (self.dir / "a.txt").read_text().splitlines()
        self.assertEqual(a[-1], "conformance/a/server/uds/hs.srv.sid  HS-SID-001  %s  "
                         "expires=2030-07-15" % expected.PLACEHOLDER_REASON)
        b = (self.dir / "b.txt").read_text().splitlines()
        self.assertEqual(b[-1], "matrix/a/b/uds/single  SESS-ORDER-001  %s  expires=2030-07-15"
                         % expected.PLACEHOLDER_REASON)
        self.assertIn("2 entries added, 0 removed, in 2 lists", p.stdout)
        # the placeholder it wrote is what --strict refuses
        p = cts("check", "--dir", str(self.dir), "--today", TODAY, "--strict")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout.count("placeholder reason,") + p.stdout.count(
            "placeholder reason\n"), 2, p.stdout)
        # a second update from the same report adds nothing: the new entries cover the rows
        p = cts("update", "--from", rep, "--dir", str(self.dir), "--today", TODAY)
        self.assertIn("0 entries added, 0 removed", p.stdout)

    def test_update_keeps_hand_written_reasons_and_removes_entries_that_pass_now(self):
        original = ("# hand-written header\n"
                    "conformance/a/*/hs.*  HS-SID-001  the session id is 0  "
                    "link=https://example.org/7#c expires=2031-01-01   # why\n"
                    "conformance/a/server/uds/fixed  HS-ORDER-001  was broken  link=x\n"
                    "conformance/a/server/*/never-run  a case this report does not reach\n"
                    "conformance/a/server/uds/lapsed  ENV-MAGIC-001  old reason  "
                    "expires=2030-01-01\n")
        self.write("a", original)
        rep = self.report([row("conformance/a/server/uds/hs.one", "fail", ["a"]),
                           row("conformance/a/server/uds/hs.two", "pass", ["a"]),
                           row("conformance/a/server/uds/fixed", "pass", ["a"]),
                           row("conformance/a/server/uds/lapsed", "fail", ["a"]),
                           row("conformance/a/server/uds/new[1]", "fail", ["a"])], names=("a",))
        p = cts("update", "--from", rep, "--dir", str(self.dir), "--today", TODAY,
                "--expires", "2030-09-01", "--impl", "a")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        lines = (self.dir / "a.txt").read_text().splitlines()
        kept = original.splitlines()
        self.assertEqual(lines[:4], [kept[0], kept[1], kept[3], kept[4]])
        self.assertNotIn(kept[2], lines)
        self.assertEqual(lines[-1], "conformance/a/server/uds/new[[]1]  %s  expires=2030-09-01"
                         % expected.PLACEHOLDER_REASON)
        self.assertIn("- conformance/a/server/uds/fixed", p.stdout)
        self.assertIn("kept conformance/a/server/*/never-run", p.stdout)
        self.assertIn("conformance/a/server/uds/lapsed still fails and", p.stdout)
        self.assertIn("expired on 2030-01-01", p.stdout)
        entries = expected.parse("\n".join(lines), "a")
        self.assertTrue(entries[-1].matches("conformance/a/server/uds/new[1]"))
        self.assertFalse(entries[-1].matches("conformance/a/server/uds/new1"))

    def test_update_refuses_a_bad_list_or_an_unknown_implementation_and_writes_nothing(self):
        self.write("a", "c/1  r  colour=red\n")
        rep = self.report([row("c/2", "fail", ["a"])], names=("a",))
        p = cts("update", "--from", rep, "--dir", str(self.dir))
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown key 'colour'", p.stderr)
        self.assertEqual((self.dir / "a.txt").read_text(), "c/1  r  colour=red\n")
        p = cts("update", "--from", rep, "--dir", str(self.dir), "--impl", "zz")
        self.assertEqual(p.returncode, 2)
        self.assertIn("zz not in the report (it has: a)", p.stderr)
        p = cts("update", "--from", str(self.dir / "missing.json"), "--dir", str(self.dir))
        self.assertEqual(p.returncode, 2)
        self.assertIn("cannot read", p.stderr)

    def test_a_dry_run_prints_the_changes_and_writes_nothing(self):
        rep = self.report([row("c/2", "fail", ["a"])], names=("a",))
        p = cts("update", "--from", rep, "--dir", str(self.dir), "--dry-run", "--today", TODAY)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("a: + c/2  %s  expires=2030-09-13" % expected.PLACEHOLDER_REASON,
                      p.stdout)
        self.assertFalse((self.dir / "a.txt").exists())

    def test_the_attributed_requirement_is_the_failed_checks_else_the_rows_only_one(self):
        self.assertEqual(expectations.attributed_requirement(
            {"message": "HS-AUTH-001: accepted a wrong token", "requirements": ["HS-ORDER-001"]}),
            "HS-AUTH-001")
        self.assertEqual(expectations.attributed_requirement(
            {"details": "not json", "requirements": ["SESS-ORDER-001"]}), "SESS-ORDER-001")
        self.assertEqual(expectations.attributed_requirement(
            {"requirements": ["SESS-ORDER-001", "BATCH-RESP-001"]}), "")
        self.assertEqual(expectations.attributed_requirement({"requirements": []}), "")


if __name__ == "__main__":
    unittest.main()
