"""Requirement traceability in the reports: from a requirement to the catalogue cases,
vectors, mutants, scenarios and rows that test it; from a row to its requirements' text; the
compliance matrix per implementation and level; and the HTML pages that show them."""
import json
import sys
import tomllib
import unittest
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT  # noqa: E402
from ctslib import expected, report_html, traceability  # noqa: E402

REQS = [{"id": "HS-AUTH-001", "chapter": "handshake", "level": "MUST", "roles": ["server"],
         "statement": "The server rejects a HELLO whose token does not match."},
        {"id": "HS-OPT-001", "chapter": "handshake", "level": "SHOULD", "roles": ["client"],
         "statement": "A client should retry."},
        {"id": "ENV-MAGIC-001", "chapter": "envelope", "level": "MUST", "roles": ["codec"],
         "statement": "The magic is checked."},
        {"id": "HS-MAY-001", "chapter": "handshake", "level": "MAY", "roles": ["server"],
         "statement": "A server may log."}]

SOURCES = {"catalogue": [{"id": "hs.srv.bad-token", "role": "server", "title": "wrong token",
                          "requirements": ["HS-AUTH-001", "UNKNOWN-XYZ-001"]}],
           "vectors": [{"family": "hello", "case": "3-bad-magic",
                        "requirements": ["ENV-MAGIC-001", "ENV-MAGIC-001"]}],
           "mutants": [{"name": "AcceptWrongToken", "requirement": "HS-AUTH-001",
                        "description": "accepts any token", "survivor": False}],
           "scenarios": [{"id": "single", "requirements": ["HS-AUTH-001"]}],
           "sources": {"catalogue": "peer list"}}


def crow(id, verdict, reqs, impl="a", **kw):
    return dict({"id": id, "kind": "conformance", "name": id.rsplit("/", 1)[-1],
                 "verdict": verdict, "requirements": reqs, "implementations": [impl],
                 "role": "server"}, **kw)


class TraceabilityDocumentTest(unittest.TestCase):
    def test_each_requirement_names_the_cases_vectors_mutants_scenarios_and_rows_citing_it(self):
        rows = [crow("conformance/a/server/uds/hs.srv.bad-token", "fail", ["HS-AUTH-001"]),
                crow("conformance/a/server/shm-hybrid/hs.srv.bad-token", "pass",
                     ["HS-AUTH-001"])]
        lists = {"a": expected.parse("conformance/a/*  HS-AUTH-001  token ignored\n", "a.txt")}
        compliance = {"a": [{"id": "HS-AUTH-001", "level": "MUST", "verdict": "fail"}]}
        doc = traceability.document(rows, REQS, compliance, lists, SOURCES)
        by_id = {t["id"]: t for t in doc["requirements"]}
        self.assertEqual([t["id"] for t in doc["requirements"]], [r["id"] for r in REQS])
        auth = by_id["HS-AUTH-001"]
        self.assertEqual(auth["cases"], [{"id": "hs.srv.bad-token", "role": "server",
                                          "title": "wrong token"}])
        self.assertEqual([m["name"] for m in auth["mutants"]], ["AcceptWrongToken"])
        self.assertEqual(auth["scenarios"], ["single"])
        self.assertEqual([(r["id"].split("/")[3], r["outcome"]) for r in auth["rows"]],
                         [("uds", "fail"), ("shm-hybrid", "pass")])
        self.assertEqual(auth["verdicts"], {"a": "fail"})
        self.assertEqual(auth["listed"], [{"implementation": "a", "pattern": "conformance/a/*",
                                           "source": "a.txt:1"}])
        # a requirement cited twice by one vector is listed once; unknown IDs are dropped
        self.assertEqual(by_id["ENV-MAGIC-001"]["vectors"],
                         [{"family": "hello", "case": "3-bad-magic"}])
        self.assertEqual(by_id["HS-OPT-001"]["cases"] + by_id["HS-OPT-001"]["rows"], [])
        self.assertEqual(doc["sources"], {"catalogue": "peer list"})

    def test_without_the_peers_catalogue_the_runs_conformance_rows_stand_in_and_say_so(self):
        rows = [crow("conformance/a/server/uds/hs.srv.bad-token", "pass", ["HS-AUTH-001"])]
        sources = dict(SOURCES, catalogue=None,
                       sources={"catalogue": "build/default/conformance/nipc-peer is not built"})
        doc = traceability.document(rows, REQS, {}, {}, sources)
        self.assertEqual(doc["requirements"][0]["cases"][0]["id"], "hs.srv.bad-token")
        self.assertIn("is not built; the conformance rows of this run stand in (1 cases)",
                      doc["sources"]["catalogue"])

    def test_the_compliance_matrix_counts_every_applicable_requirement_once_by_level(self):
        table = [{"id": "A-X-001", "level": "MUST", "verdict": v} for v in
                 ("pass", "pass", "fail", "expected-failure", "untested", "not-applicable",
                  "inconclusive")] + [{"id": "A-Y-001", "level": "MAY", "verdict": "pass"}]
        cm = traceability.compliance_matrix({"a": table})
        self.assertEqual(cm["a"]["MUST"], {"met": 2, "failed": 1, "expected-failure": 1,
                                           "untested": 1, "not-exercised": 0,
                                           "unsupported": 1, "inconclusive": 1, "total": 7})
        self.assertEqual(cm["a"]["MAY"]["met"], 1)
        self.assertEqual(cm["a"]["SHOULD"]["total"], 0)


class SourcesTest(unittest.TestCase):
    """The sources as the runner reads them, against the files read here directly."""

    @classmethod
    def setUpClass(cls):
        cls.sources = traceability.load_sources()

    def test_every_mutant_of_the_table_is_traced_to_its_requirement(self):
        table = tomllib.loads((ROOT / "conformance/mutants/mutants.toml").read_text())["mutant"]
        self.assertEqual(sorted((m["name"], m["requirement"]) for m in self.sources["mutants"]),
                         sorted((m["name"], m["requirement"]) for m in table))

    def test_every_vector_case_is_traced_with_its_requirement_tags(self):
        expected_cases = []
        for f in sorted((ROOT / "vectors").glob("*.json")):
            doc = json.loads(f.read_text())
            expected_cases += [(doc["family"], c["id"], tuple(c["requirements"]))
                               for c in doc["cases"]]
        got = [(v["family"], int(v["case"].split("-", 1)[0]), tuple(v["requirements"]))
               for v in self.sources["vectors"]]
        self.assertEqual(sorted(got), sorted(expected_cases))
        self.assertGreater(len(got), 100)

    def test_the_catalogue_comes_from_the_peer_or_its_absence_is_named(self):
        cat = self.sources["catalogue"]
        if cat is None:
            self.assertIn("nipc-peer", self.sources["sources"]["catalogue"])
        else:
            self.assertTrue(all(c["requirements"] for c in cat))
            self.assertTrue(self.sources["sources"]["catalogue"].endswith(" list"))


class Anchors(HTMLParser):
    """ids of elements and hrefs of links."""

    def __init__(self):
        super().__init__()
        self.ids, self.hrefs = set(), []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])


def parse(html_text):
    p = Anchors()
    p.feed(html_text)
    return p


class HtmlTest(unittest.TestCase):
    def doc(self):
        rows = [crow("conformance/a/server/uds/hs.srv.bad-token", "fail",
                     ["HS-AUTH-001", "NOT-INDEXED-001"]),
                crow("conformance/a/server/uds/hs.srv.ok", "pass", ["HS-AUTH-001"])]
        compliance = {"a": [{"id": "HS-AUTH-001", "level": "MUST", "verdict": "fail",
                             "chapter": "handshake", "statement": REQS[0]["statement"],
                             "cases": []}]}
        return {"results": rows, "compliance": compliance, "spec_revision": "r",
                "compliance_matrix": traceability.compliance_matrix(compliance),
                "traceability": traceability.document(rows, REQS, compliance, {}, SOURCES)}

    def test_the_requirements_page_has_an_anchor_per_requirement_and_links_its_cases(self):
        doc = self.doc()
        page = report_html.requirements_page(doc)
        p = parse(page)
        self.assertTrue({r["id"] for r in REQS} <= p.ids)
        self.assertIn("cases.html#case-conformance__hs.srv.bad-token", p.hrefs)
        self.assertIn("failures/%s" % report_html.failure_slug(
            "conformance/a/server/uds/hs.srv.bad-token"), p.hrefs)
        self.assertIn("AcceptWrongToken", page)
        self.assertIn("4 requirements: 1 cited by catalogue cases, 1 by vectors, 1 by mutants, "
                      "1 by matrix scenarios, 1 by rows of this run; 2 by none of them.", page)

    def test_every_case_row_shows_the_text_of_its_requirements(self):
        doc = self.doc()
        page = report_html.cases_page(doc)
        p = parse(page)
        self.assertIn("case-conformance__hs.srv.bad-token", p.ids)
        self.assertIn("row-" + "conformance__a__server__uds__hs.srv.ok", p.ids)
        self.assertIn(REQS[0]["statement"], page)
        self.assertIn("requirements.html#HS-AUTH-001", p.hrefs)
        self.assertIn("NOT-INDEXED-001</a> <span class=\"req-text\"><i>not in the spec index",
                      page)

    def test_a_failure_page_names_its_requirements_with_their_text(self):
        doc = self.doc()
        section = report_html._row_requirements_html(doc["results"][0], doc, "../")
        self.assertIn("../requirements.html#HS-AUTH-001", parse(section).hrefs)
        self.assertIn("(MUST) — <span class=\"req-text\">%s" % REQS[0]["statement"], section)

    def test_the_compliance_matrix_shows_each_implementation_by_level(self):
        html_text = report_html._compliance_matrix_html(self.doc())
        self.assertIn('<tr data-impl="a" data-level="MUST">', html_text)
        self.assertIn('data-count="failed">1</td>', html_text)
        self.assertEqual(html_text.count("data-impl=\"a\""), 3)


if __name__ == "__main__":
    unittest.main()
