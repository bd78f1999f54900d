"""The static HTML report: index.html (client × server grids per scenario and profile, the
other suites, the compliance matrix and a compliance table per implementation), one page per
failing row under failures/ with its evidence, requirements.html (each requirement and what
tests it) and cases.html (each row of the run and the text of its requirements). No external
assets and no scripts: everything is inline."""
import html
from pathlib import Path

from . import expected, matrix, report_model, wire

CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}
h1{margin-top:0} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.4em 0 1em} th,td{border:1px solid #bbb;padding:.25em .5em;
text-align:left;vertical-align:top;font-size:.92em} th{background:#f0f0f0}
.grid td{text-align:center;min-width:5.5em;font-weight:600}
.v-pass{background:#b7e4b7} .v-fail,.v-error{background:#f3a5a5} .v-xfail{background:#f7d08a}
.v-xpass{background:#c9b3f0} .v-unsupported,.v-not-applicable,.v-skip{background:#e4e4e4;color:#666}
.v-untested,.v-not-exercised,.v-inconclusive{background:#fff;color:#888}
.grids{display:flex;flex-wrap:wrap;gap:1.5em} .grids>div{flex:0 0 auto}
.counts span{display:inline-block;padding:.2em .6em;margin-right:.4em;border-radius:.3em}
pre{background:#f7f7f7;border:1px solid #ddd;padding:.5em;overflow-x:auto;font-size:.85em}
.hex{font-family:monospace;white-space:pre;font-size:.82em}
.note{color:#555} details{margin:.4em 0} a{color:#0645ad}
.trace td{font-size:.88em} .trace ul{margin:0;padding-left:1.1em} .req-text{color:#333}
.matrix td{text-align:right} :target{outline:2px solid #0645ad}
"""

SHORT = {"pass": "pass", "fail": "FAIL", "error": "ERROR", "xfail": "xfail", "xpass": "XPASS",
         "unsupported": "unsup.", "not-applicable": "n/a"}


def esc(x):
    return html.escape(str(x), quote=True)


def page(title, body, depth=0):
    css_note = "" if depth == 0 else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>%s</title><style>%s</style></head><body>%s\n%s</body></html>\n"
            % (esc(title), CSS, css_note, body))


def failure_slug(row_id):
    return matrix.slug(row_id) + ".html"


def display_class(row):
    o = expected.outcome(row)
    if o in ("xfail", "xpass"):
        return o
    return row["verdict"]


def has_page(row):
    return expected.outcome(row) in ("fail", "xfail", "xpass") or row["verdict"] == "error"


# ---- index ----------------------------------------------------------------------------------

def _counts(summary):
    """The badges: the same counts as the command line's summary (report_model.headline)."""
    h = report_model.headline(summary)
    css = {"environment": "error", "not run": "skip"}
    return "<p class=\"counts\">" + "".join(
        "<span class=\"v-%s\" data-count=\"%s\">%s %d</span>" % (css.get(k, k), k, k, n)
        for k, n in h.items() if n or k in ("pass", "fail", "skip")) + "</p>"


def _grid(rows_by_key, clients, servers, profile, scenario, platforms=None):
    """One client x server table; `platforms` (name -> platform), when given, labels the
    headers (runs mixing platforms)."""
    def name(n):
        if not platforms:
            return esc(n)
        return "%s <span class=\"note\">(%s)</span>" % (esc(n), esc(platforms.get(n, "")))
    head = "<tr><th>client \\ server</th>%s</tr>" % "".join(
        "<th>%s</th>" % name(s) for s in servers)
    body = []
    for c in clients:
        tds = []
        for s in servers:
            r = rows_by_key.get((c, s, profile, scenario))
            if r is None:
                tds.append("<td class=\"v-skip\" title=\"no common profile or not planned\">—"
                           "</td>")
                continue
            cls = display_class(r)
            label = esc(SHORT.get(cls, cls))
            if has_page(r):
                label = "<a href=\"failures/%s\">%s</a>" % (failure_slug(r["id"]), label)
            rev = r.get("spec_revision", "")
            tds.append("<td class=\"v-%s\" data-cell=\"%s\" data-verdict=\"%s\" "
                       "data-revision=\"%s\" title=\"[%s] %s\">"
                       "%s</td>" % (cls, esc(r["id"]), esc(cls), esc(rev), esc(rev),
                                    esc(r.get("message", "")), label))
        body.append("<tr><th>%s</th>%s</tr>" % (name(c), "".join(tds)))
    return "<table class=\"grid\">%s%s</table>" % (head, "".join(body))


def overview_chapter(row) -> str:
    """The column of the overview a row counts in: the spec chapter of a catalogue case,
    else its kind (matrix, vectors, self-check)."""
    suite = row.get("suite", "") or ""
    if row.get("kind") == "conformance" and suite.count(".") >= 2:
        return suite.split(".", 2)[2]
    return row.get("kind") or "other"


def overview_counts(doc):
    """(chapters, {implementation: {chapter: {pass, fail, unsupported}}}): every row counts
    for each implementation taking part in it; a failing row counts as a failure of those it
    is held against (blame) and of nobody else, an unsupported or not-applicable one as
    unsupported; expected failures and errors of the environment are not counted."""
    names = [i["name"] for i in doc["implementations"]]
    table = {n: {} for n in names}
    chapters = []
    for r in doc["results"]:
        chapter = overview_chapter(r)
        outcome = expected.outcome(r)
        if r.get("environment") or outcome not in ("pass", "fail", "xpass", "skip"):
            continue
        if chapter not in chapters:
            chapters.append(chapter)
        for n in r.get("implementations", []):
            if n not in table:
                continue
            cell = table[n].setdefault(chapter, {"pass": 0, "fail": 0, "unsupported": 0})
            if outcome == "fail":
                if n in r.get("blame", [n]):
                    cell["fail"] += 1
            elif r["verdict"] in ("unsupported", "not-applicable"):
                cell["unsupported"] += 1
            elif outcome in ("pass", "xpass"):
                cell["pass"] += 1
    order = {"matrix": 0, "vectors": 2, "self-check": 3}
    chapters.sort(key=lambda c: (order.get(c, 1), c))
    return chapters, table


def _overview(doc):
    """The first screen: who fails what (an implementation x chapter table of pass, fail and
    unsupported counts), then why (the failing rows grouped by requirement, with the
    implementations that break it)."""
    chapters, table = overview_counts(doc)
    if not chapters:
        return ""
    parts = ["<h2 id=\"overview\">Who fails what</h2>",
             "<table class=\"overview\"><tr><th>implementation</th>%s</tr>" % "".join(
                 "<th>%s</th>" % esc(c) for c in chapters)]
    for name, cells in table.items():
        tds = []
        for c in chapters:
            cell = cells.get(c)
            if not cell:
                tds.append("<td class=\"v-skip\">—</td>")
                continue
            cls = "fail" if cell["fail"] else "pass" if cell["pass"] else "skip"
            tds.append("<td class=\"v-%s\" data-impl=\"%s\" data-chapter=\"%s\" "
                       "title=\"pass / fail / unsupported\">%d / %d / %d</td>" % (
                           cls, esc(name), esc(c), cell["pass"], cell["fail"],
                           cell["unsupported"]))
        parts.append("<tr><th>%s</th>%s</tr>" % (esc(name), "".join(tds)))
    parts.append("</table><p class=\"note\">Each cell: pass / fail / unsupported rows. A "
                 "failing matrix cell counts against the side it is held against.</p>")
    groups = {}
    for r in doc["results"]:
        if expected.outcome(r) != "fail" or r.get("environment"):
            continue
        for rid in r.get("requirements") or ["(no requirement named)"]:
            groups.setdefault(rid, []).append(r)
    parts.append("<h2 id=\"by-requirement\">Failures by requirement (%d)</h2>" % len(groups))
    if not groups:
        parts.append("<p>No requirement is broken.</p>")
        return "\n".join(parts)
    parts.append("<table class=\"by-requirement\"><tr><th>requirement</th><th>broken by</th>"
                 "<th>rows</th><th>first failures</th></tr>")
    for rid, grp in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        who = sorted({n for r in grp for n in (r.get("blame") or r.get("implementations", []))})
        first = ", ".join("<a href=\"failures/%s\">%s</a>" % (failure_slug(r["id"]),
                                                                esc(r["id"]))
                          for r in grp[:3])
        link = _req_link(rid) if not rid.startswith("(") else esc(rid)
        parts.append("<tr data-requirement=\"%s\"><td>%s</td><td>%s</td><td>%d</td>"
                     "<td>%s</td></tr>" % (esc(rid), link, esc(", ".join(who)), len(grp),
                                           first))
    parts.append("</table>")
    return "\n".join(parts)


def _single_table(rows_by_key, name, profiles, scenarios):
    """With one implementation playing both sides: one scenario x profile table instead of
    a one-cell grid per scenario and profile."""
    head = "<tr><th>scenario \\ profile</th>%s</tr>" % "".join(
        "<th>%s</th>" % esc(p) for p in profiles)
    body = []
    for sc in scenarios:
        tds = []
        for p in profiles:
            r = rows_by_key.get((name, name, p, sc["id"]))
            if r is None:
                tds.append("<td class=\"v-skip\" title=\"not planned\">—</td>")
                continue
            cls = display_class(r)
            label = esc(SHORT.get(cls, cls))
            if has_page(r):
                label = "<a href=\"failures/%s\">%s</a>" % (failure_slug(r["id"]), label)
            tds.append("<td class=\"v-%s\" data-cell=\"%s\" data-verdict=\"%s\" title=\"%s\">"
                       "%s</td>" % (cls, esc(r["id"]), esc(cls), esc(r.get("message", "")),
                                    label))
        body.append("<tr><th id=\"scenario-%s\">%s <span class=\"note\">— %s</span></th>%s"
                    "</tr>" % (esc(sc["id"]), esc(sc["id"]), esc(sc["title"]), "".join(tds)))
    return "<table class=\"grid single\">%s%s</table>" % (head, "".join(body))


def index(doc):
    rows = doc["results"]
    s = doc["summary"]
    parts = ["<h1>netipc-cts report</h1>",
             "<p>Spec revision %s · judged at protocol revision <b id=\"protocol-revision\">%s</b>"
             " · started %s · %.1f s · exit code %d%s · options %s</p>" % (
                 esc(doc["spec_revision"]), esc(doc.get("protocol_revision", "newest")), esc(doc["started_at"]), doc["seconds"],
                 s["exit_code"], " · <b>interrupted</b>" if doc["interrupted"] else "",
                 esc(", ".join("%s=%s" % kv for kv in doc["options"].items()))),
             _counts(s)]
    parts.append(_overview(doc))
    parts.append("<h2>Implementations</h2><table><tr><th>name</th><th>language</th>"
                 "<th>version</th><th>platform</th><th>roles</th><th>profiles</th>"
                 "<th>configuration</th><th>revisions claimed</th>"
                 "<th>expected failures</th></tr>")
    for i in doc["implementations"]:
        conf = "adjustable" if i["configurable"] else "fixed: " + ", ".join(
            "%s=%s" % kv for kv in sorted(i["fixed"].items()))
        if i.get("server_sessions") == "one":
            conf += "; one session per server start"
        platform = i.get("platform", "linux") + (
            " (under %s)" % " ".join(i["launcher"]) if i.get("launcher") else "")
        parts.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                     "<td>%s</td><td>%s</td><td>%d</td></tr>" % (
                         esc(i["name"]), esc(i["language"]), esc(i["version"]), esc(platform),
                         esc(", ".join(i["roles"])),
                         esc(", ".join(report_model.profile_names(i))),
                         esc(conf), esc(", ".join(i.get("revisions", []))),
                         len(i["expected_failures"])))
    parts.append("</table>")
    per = s.get("per_implementation", [])
    if per:
        parts.append("<h2>Per implementation and revision</h2><table><tr><th>implementation"
                     "</th><th>version</th><th>planned</th><th>run</th><th>pass</th>"
                     "<th>fail</th><th>error</th><th>unsupported</th><th>not applicable</th>"
                     "<th>failed, reason not reported</th></tr>")
        for t in per:
            parts.append("<tr><td>%s</td><td>%s</td>%s</tr>" % (
                esc(t["name"]), esc(t["version"]), "".join(
                    "<td>%d</td>" % t[k] for k in ("planned", "run", "pass", "fail", "error",
                                                   "unsupported", "not-applicable",
                                                   "unreported"))))
        parts.append("</table>")

    failing = [r for r in rows if has_page(r)]
    parts.append("<h2 id=\"failures\">Failures (%d)</h2>" % len(failing))
    if failing:
        parts.append("<table><tr><th>case</th><th>outcome</th><th>message</th>"
                     "<th>held against</th><th>reruns alone</th></tr>")
        order = {"fail": 0, "xpass": 1, "xfail": 2}
        for r in sorted(failing, key=lambda r: (order.get(expected.outcome(r), 0), r["id"])):
            parts.append("<tr><td><a href=\"failures/%s\">%s</a>%s</td><td class=\"v-%s\">%s"
                         " <span class=\"note\">[%s]</span>"
                         "</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                             failure_slug(r["id"]), esc(r["id"]), _repro_link(r),
                             display_class(r),
                             esc(expected.outcome(r)), esc(r.get("spec_revision", "")),
                             esc(r.get("message", "")),
                             esc(", ".join(r.get("blame", []))),
                             esc(", ".join(d["verdict"] for d in r.get("diagnosis", [])))))
        parts.append("</table>")
    else:
        parts.append("<p>None.</p>")
    if s.get("not_run"):
        parts.append("<h2 id=\"not-run\">Not run: the run was interrupted (%d)</h2><ul>%s</ul>"
                     % (len(s["not_run"]), "".join("<li>%s</li>" % esc(i)
                                                   for i in s["not_run"])))

    mrows = [r for r in rows if r.get("kind") == "matrix"]
    parts.append("<h2 id=\"matrix\">Interop matrix (%d cells)</h2>" % len(mrows))
    if mrows:
        clients = sorted({r["client"] for r in mrows})
        servers = sorted({r["server"] for r in mrows})
        by_key = {(r["client"], r["server"], r["profile"], r["scenario"]): r for r in mrows}
        profiles = [p for p in doc["profiles"] if any(r["profile"] == p for r in mrows)]
        platforms = {i["name"]: i.get("platform", "linux") for i in doc["implementations"]}
        if len(set(platforms.values())) < 2:
            platforms = None
        if clients == servers and len(clients) == 1:
            scenarios = [sc for sc in doc["scenarios"]
                         if any(r["scenario"] == sc["id"] for r in mrows)]
            parts.append(_single_table(by_key, clients[0], profiles, scenarios))
        for sc in doc["scenarios"] if not (clients == servers and len(clients) == 1) else []:
            if not any(r["scenario"] == sc["id"] for r in mrows):
                continue
            parts.append("<h3 id=\"scenario-%s\">%s <span class=\"note\">— %s</span></h3>"
                         % (esc(sc["id"]), esc(sc["id"]), esc(sc["title"])))
            parts.append("<div class=\"grids\">")
            for p in profiles:
                parts.append("<div><b>%s</b>%s</div>" % (esc(p), _grid(
                    by_key, clients, servers, p, sc["id"], platforms)))
            parts.append("</div>")
    else:
        parts.append("<p>No matrix cells in this run.</p>")

    for kind, title in (("conformance", "Conformance catalogue"), ("vectors", "Vector replay"),
                        ("self-check", "Reference self-check")):
        krows = [r for r in rows if r.get("kind") == kind]
        if not krows:
            continue
        parts.append("<h2 id=\"%s\">%s (%d)</h2>" % (kind, title, len(krows)))
        groups = {}
        for r in krows:
            key = (r.get("implementation", ""), r.get("role", ""), r.get("suite", ""))
            groups.setdefault(key, []).append(r)
        parts.append("<table><tr><th>implementation</th><th>role</th><th>suite</th>"
                     "<th>pass</th><th>fail</th><th>xfail</th><th>xpass</th><th>skip</th>"
                     "<th>failing cases</th></tr>")
        for (impl, role, suite), grp in sorted(groups.items()):
            oc = {o: sum(expected.outcome(r) == o for r in grp) for o in
                  ("pass", "fail", "xfail", "xpass", "skip")}
            links = ", ".join("<a href=\"failures/%s\">%s</a>" % (failure_slug(r["id"]),
                                                                   esc(r["name"]))
                              for r in grp if has_page(r))
            parts.append("<tr><td>%s</td><td>%s</td><td>%s</td>%s<td>%s</td></tr>" % (
                esc(impl), esc(role), esc(suite), "".join(
                    "<td class=\"%s\">%d</td>" % ("v-" + o if oc[o] else "", oc[o])
                    for o in ("pass", "fail", "xfail", "xpass", "skip")), links))
        parts.append("</table>")

    parts.append("<h2 id=\"compliance\">Compliance by implementation</h2>")
    parts.append(_compliance_matrix_html(doc))
    for name, table in doc["compliance"].items():
        idle = ("untested", "not-exercised")
        tested = [t for t in table if t["verdict"] not in idle]
        parts.append("<h3 id=\"compliance-%s\">%s</h3>" % (esc(name), esc(name)))
        parts.append("<table class=\"compliance\"><tr><th>requirement</th><th>level</th>"
                     "<th>verdict</th><th>cases</th><th>statement</th></tr>")
        for t in tested:
            parts.append(_compliance_row(t))
        parts.append("</table>")
        for word, summary in (
                ("not-exercised", "%d applicable requirements tests name but no row of this "
                 "run exercised (not exercised)"),
                ("untested", "%d applicable requirements no test of the suite names "
                 "(untested, as <code>./cts spec untested</code> lists them)")):
            idle_rows = [t for t in table if t["verdict"] == word]
            if idle_rows:
                parts.append("<details><summary>%s</summary><table><tr><th>requirement</th>"
                             "<th>level</th><th>statement</th></tr>%s</table></details>" % (
                                 summary % len(idle_rows), "".join(
                                     "<tr><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                                         _req_link(t["id"]), esc(t["level"]),
                                         esc(t["statement"])) for t in idle_rows)))
    if doc["notes"]:
        parts.append("<h2>Notes</h2><ul>%s</ul>" % "".join("<li>%s</li>" % esc(n)
                                                            for n in doc["notes"]))
    parts.append("<p class=\"note\">Traceability: <a href=\"requirements.html\">requirements "
                 "and what tests them</a> · <a href=\"cases.html\">every case and its "
                 "requirements</a></p>")
    parts.append("<p class=\"note\">Files: <a href=\"report.json\">report.json</a> · "
                 "<a href=\"junit.xml\">junit.xml</a> · <a href=\"summary.md\">summary.md</a>"
                 "</p>")
    return page("netipc-cts report", "\n".join(parts))


def _compliance_row(t):
    shown = t["cases"][:12]
    links = []
    for c in shown:
        cls = {"expected-failure": "xfail", "unexpected-pass": "xpass"}.get(
            c.get("expectation"), c["verdict"])
        text = esc(c["id"])
        if cls in ("fail", "error", "xfail", "xpass"):
            text = "<a href=\"failures/%s\">%s</a>" % (failure_slug(c["id"]), text)
        links.append("<span class=\"v-%s\">%s</span>" % (cls, text))
    more = "" if len(t["cases"]) <= len(shown) else " … %d more" % (len(t["cases"]) - len(shown))
    return ("<tr><td>%s</td><td>%s</td><td class=\"v-%s\">%s</td><td>%s%s</td><td>%s</td>"
            "</tr>" % (_req_link(t["id"]), esc(t["level"]), esc(t["verdict"]), esc(t["verdict"]),
                       "<br>".join(links), more, esc(t["statement"])))


# ---- failure pages --------------------------------------------------------------------------

def _exchange_html(exchange):
    if not exchange:
        return "<p class=\"note\">No packets were recorded.</p>"
    out = ["<table class=\"exchange\"><tr><th>#</th><th>direction</th><th>t (s)</th>"
           "<th>bytes</th><th>annotation and hex</th></tr>"]
    for p in exchange:
        data = bytes.fromhex(p["hex"]) if p.get("hex") else b""
        dump = "\n".join(wire.hexdump(data, 256))
        if p.get("length", 0) > len(data):
            dump += "\n(%d bytes recorded of %d)" % (len(data), p["length"])
        out.append("<tr><td>%d</td><td>%s</td><td>%.4f</td><td>%d</td><td>%s<div class=\"hex\">"
                   "%s</div></td></tr>" % (
                       p["index"], esc(p["direction"]), p["t"], p.get("length", 0),
                       "<br>".join(esc(n) for n in p.get("notes", [])), esc(dump)))
    out.append("</table>")
    return "".join(out)


def _evidence_html(ev, depth_prefix="../"):
    if not ev:
        return "<p class=\"note\">No evidence recorded for this row.</p>"
    parts = []
    for n in ev.get("notes", []):
        parts.append("<p class=\"note\">%s</p>" % esc(n))
    for c in ev.get("commands", []):
        parts.append("<h3>%s: %s (%s, %.2f s)</h3>" % (esc(c["role"]), esc(c["name"]),
                                                       esc(c["how"]), c["seconds"]))
        parts.append("<pre class=\"argv\">%s</pre>" % esc(" ".join(c["argv"])))
        parts.append("<p>Logs: <a href=\"%s%s\">stdout</a> · <a href=\"%s%s\">stderr</a></p>"
                     % (depth_prefix, esc(c["stdout"]), depth_prefix, esc(c["stderr"])))
        if c.get("stdout_tail"):
            parts.append("<details open><summary>stdout (last lines)</summary><pre>%s</pre>"
                         "</details>" % esc("\n".join(c["stdout_tail"])))
        if c.get("stderr_tail"):
            parts.append("<details open><summary>stderr (last lines)</summary><pre>%s</pre>"
                         "</details>" % esc("\n".join(c["stderr_tail"])))
    if ev.get("exchange") is not None:
        parts.append("<h3>Exchange (recorded by the relay between client and server)</h3>")
        parts.append(_exchange_html(ev.get("exchange")))
    if ev.get("reproduce"):
        parts.append("<h3>Reproduce without the runner</h3><pre class=\"reproduce\">%s</pre>"
                     % esc("\n".join(ev["reproduce"])))
    return "\n".join(parts)


def failure_page(row, doc):
    o = expected.outcome(row)
    parts = ["<p><a href=\"../index.html\">← report</a></p>",
             "<h1>%s</h1>" % esc(row["id"]),
             "<p class=\"v-%s\" id=\"outcome\" style=\"padding:.4em\"><b>%s</b> — %s</p>" % (
                 display_class(row), esc(o if o in ("xfail", "xpass") else row["verdict"]),
                 esc(row.get("message", "")))]
    facts = [("kind", row.get("kind", "")), ("suite", row.get("suite", "")),
             ("revision", row.get("spec_revision", doc.get("protocol_revision", "newest")))]
    for key in ("client", "server", "profile", "scenario", "implementation", "role"):
        if row.get(key):
            facts.append((key, row[key]))
    facts.append(("held against", ", ".join(row.get("blame", [])) or "—"))
    facts.append(("requirements", ", ".join(row.get("requirements", [])) or "—"))
    facts.append(("seconds", row.get("seconds", 0)))
    facts += _expectation_facts(row)
    parts.append("<table>%s</table>" % "".join("<tr><th>%s</th><td>%s</td></tr>" % (
        esc(k), esc(v)) for k, v in facts))
    parts.append(_row_requirements_html(row, doc, "../"))
    if row.get("details"):
        parts.append("<h2>Details</h2><pre>%s</pre>" % esc(row["details"]))
    parts.append("<h2>Run this case alone</h2><pre class=\"reproduce\">%s</pre>"
                 % esc(reproduce_command(row, doc)))
    parts.append(_repro_html(row))
    parts.append("<h2>Evidence of the first run</h2>")
    parts.append(_evidence_html(row.get("evidence")))
    for d in row.get("diagnosis", []):
        parts.append("<h2>Rerun %d alone: <span class=\"v-%s\">%s</span></h2><p>%s</p>" % (
            d["attempt"], esc(d["verdict"]), esc(d["verdict"]), esc(d.get("message", ""))))
        parts.append(_evidence_html(d.get("evidence")))
    return page(row["id"], "\n".join(parts), depth=1)


def _expectation_facts(row):
    """The failure page's lines about the expected-failure entry that lists the row: its
    reason and source, its link and expiry, and whether it expired (then the row is a plain
    failure)."""
    if not row.get("expected_reason"):
        return []
    facts = [("expected-failure list", "%s (%s)" % (row["expected_reason"],
                                                    row.get("expected_source", "")))]
    if row.get("expected_link"):
        facts.append(("tracked at", row["expected_link"]))
    if expected.expired_text(row):
        facts.append(("expectation", expected.expired_text(row) +
                      ": it no longer excuses this failure"))
    elif row.get("expected_expires"):
        facts.append(("expectation expires", row["expected_expires"]))
    return facts


def _repro_link(row):
    """The index's link to a failing row's repro bundle ("" when it has none)."""
    if not row.get("repro"):
        return ""
    return " <a class=\"repro\" href=\"%s/\">[repro bundle]</a>" % esc(row["repro"])


def _repro_html(row):
    """The failure page's section on the row's repro bundle (or why there is none)."""
    if not row.get("repro"):
        return ("<h2>Repro bundle</h2><p class=\"note\">No repro bundle for this row (see the "
                "report's notes: the per-run cap, an interrupt, or not a single case).</p>")
    return ("<h2>Repro bundle</h2><p><a id=\"repro\" href=\"../%s/\">%s/</a>: the case, its "
            "requirements, the manifests, the exact commands, the transcript, the logs and the "
            "environment. Run it again anywhere the implementations are built (exit 1: still "
            "fails, 0: now passes, 2: cannot run):</p><pre class=\"reproduce\">./cts repro "
            "REPORT_DIR/%s    # or REPORT_DIR/%s/repro.sh</pre>"
            % (esc(row["repro"]), esc(row["repro"]), esc(row["repro"]), esc(row["repro"])))


def reproduce_command(row, doc):
    impls = {i["name"]: i["manifest"] for i in doc["implementations"]}
    names = row.get("implementations") or []
    if row.get("kind") == "self-check":
        return "ctest --preset default -L '^%s$' --output-on-failure" % row["name"]
    if row.get("kind") == "vectors" and row.get("family") and row.get("implementation") in impls:
        return "./cts vectors replay --impl %s --family %s --case '^%s$' --verbose" % (
            impls[row["implementation"]], row["family"], row["name"].split("-", 1)[-1]
            .removesuffix(".encode"))
    args = " ".join("--impl %s" % impls[n] for n in names if n in impls)
    return "./cts run %s --only '^%s$' --no-self-check --jobs 1" % (
        args, row["id"].replace(".", "\\."))


def write_site(out_dir: Path, doc):
    (out_dir / "index.html").write_text(index(doc))
    write_traceability(out_dir, doc)
    fdir = out_dir / "failures"
    fdir.mkdir(exist_ok=True)
    for r in doc["results"]:
        if has_page(r):
            (fdir / failure_slug(r["id"])).write_text(failure_page(r, doc))


# ---- traceability: requirements.html, cases.html, the compliance matrix ------------------------

OUTCOME_CLASS = {"pass": "pass", "fail": "fail", "xfail": "xfail", "xpass": "xpass",
                 "skip": "skip"}
MATRIX_COLUMNS = (("met", "pass"), ("failed", "fail"), ("expected-failure", "xfail"),
                  ("untested", "untested"), ("not-exercised", "not-exercised"),
                  ("unsupported", "unsupported"),
                  ("inconclusive", "inconclusive"))


def _req_link(rid, prefix=""):
    return "<a href=\"%srequirements.html#%s\">%s</a>" % (prefix, esc(rid), esc(rid))


def _trace_index(doc):
    """requirement id -> its traceability entry (empty for reports without one)."""
    return {t["id"]: t for t in doc.get("traceability", {}).get("requirements", [])}


def _case_group(row):
    """(anchor, label) of the case a row runs: the catalogue case, the matrix scenario, the
    vector case (its decode and encode checks together) or the self-check test."""
    kind = row.get("kind", "")
    if kind == "matrix":
        label = row.get("scenario", "")
    elif kind == "vectors":
        label = "%s/%s" % (row.get("family", ""), row.get("name", "").removesuffix(".encode"))
    else:
        label = row.get("name", "")
    return "case-" + matrix.slug("%s/%s" % (kind, label)), label


def _compliance_matrix_html(doc, prefix=""):
    """One row per implementation and level (MUST, SHOULD, MAY): how many of the requirements
    that apply to it are met, failed, expected failures, untested, unsupported or
    inconclusive."""
    cm = doc.get("compliance_matrix", {})
    if not cm:
        return "<p class=\"note\">No implementation in this run.</p>"
    out = ["<table class=\"matrix\" id=\"compliance-matrix\"><tr><th>implementation</th>"
           "<th>level</th>%s<th>applicable</th></tr>" % "".join(
               "<th>%s</th>" % esc(col) for col, _ in MATRIX_COLUMNS)]
    for name, levels in cm.items():
        for i, (level, counts) in enumerate(levels.items()):
            head = ("<th rowspan=\"%d\"><a href=\"%sindex.html#compliance-%s\">%s</a></th>"
                    % (len(levels), prefix, esc(name), esc(name)) if i == 0 else "")
            out.append("<tr data-impl=\"%s\" data-level=\"%s\">%s<td>%s</td>%s<td>%d</td></tr>"
                       % (esc(name), esc(level), head, esc(level), "".join(
                           "<td class=\"%s\" data-count=\"%s\">%d</td>" % (
                               "v-" + css if counts.get(col) else "", esc(col), counts.get(col, 0))
                           for col, css in MATRIX_COLUMNS), counts.get("total", 0)))
    out.append("</table>")
    return "".join(out)


def _listing(items, limit=8, what="items"):
    """A short list inline, a long one folded."""
    if not items:
        return "<span class=\"note\">—</span>"
    body = "<ul>%s</ul>" % "".join("<li>%s</li>" % i for i in items)
    if len(items) <= limit:
        return body
    return "<details><summary>%d %s</summary>%s</details>" % (len(items), what, body)


def requirements_page(doc):
    """requirements.html: per chapter, each requirement with its statement, its verdict for
    every implementation, and what tests it: catalogue cases, vectors, mutants, matrix
    scenarios, the run's rows, expected-failure entries naming it."""
    trace = doc.get("traceability", {})
    reqs = trace.get("requirements", [])
    names = list(doc.get("compliance", {}))
    anchors = {_case_group(r)[0] for r in doc["results"]}
    failing = {r["id"] for r in doc["results"] if has_page(r)}
    parts = ["<p><a href=\"index.html\">← report</a> · <a href=\"cases.html\">every case and "
             "its requirements</a></p>",
             "<h1>Requirements and what tests them</h1>",
             "<p>Spec revision %s. Sources: %s.</p>" % (
                 esc(doc.get("spec_revision", "")), "; ".join(
                     "%s: %s" % (esc(k), esc(v)) for k, v in trace.get("sources", {}).items()))]
    count = lambda key: sum(bool(t[key]) for t in reqs)  # noqa: E731
    nothing = sum(not (t["cases"] or t["vectors"] or t["mutants"] or t["scenarios"])
                  for t in reqs)
    parts.append("<p id=\"trace-counts\" data-requirements=\"%d\">%d requirements: %d cited by "
                 "catalogue cases, %d by vectors, %d by mutants, %d by matrix scenarios, %d by "
                 "rows of this run; %d by none of them.</p>" % (
                     len(reqs), len(reqs), count("cases"), count("vectors"), count("mutants"),
                     count("scenarios"), count("rows"), nothing))
    parts.append("<h2>Compliance matrix</h2>" + _compliance_matrix_html(doc))
    chapters = {}
    for t in reqs:
        chapters.setdefault(t["chapter"], []).append(t)
    for chapter, entries in chapters.items():
        parts.append("<h2 id=\"chapter-%s\">%s (%d)</h2>" % (esc(chapter), esc(chapter),
                                                              len(entries)))
        parts.append("<table class=\"trace\"><tr><th>requirement</th><th>statement</th>%s"
                     "<th>catalogue cases</th><th>vectors</th><th>mutants</th>"
                     "<th>matrix scenarios</th><th>this run</th></tr>" % "".join(
                         "<th>%s</th>" % esc(n) for n in names))
        for t in entries:
            parts.append(_trace_row(t, names, anchors, failing))
        parts.append("</table>")
    return page("netipc-cts requirements", "\n".join(parts))


def _trace_row(t, names, anchors, failing):
    verdicts = "".join(
        "<td class=\"v-%s\" data-impl=\"%s\">%s</td>" % (
            esc(t["verdicts"][n]), esc(n), esc(t["verdicts"][n])) if n in t["verdicts"]
        else "<td class=\"note\" title=\"no role of this implementation is bound by it\">—</td>"
        for n in names)
    cases = []
    for c in t["cases"]:
        anchor = "case-" + matrix.slug("conformance/" + c["id"])
        text = esc(c["id"])
        if anchor in anchors:
            text = "<a href=\"cases.html#%s\">%s</a>" % (anchor, text)
        cases.append("%s <span class=\"note\">(%s)</span>" % (text, esc(c["role"])))
    vectors = []
    for v in t["vectors"]:
        anchor = "case-" + matrix.slug("vectors/%s/%s" % (v["family"], v["case"]))
        text = esc("%s/%s" % (v["family"], v["case"]))
        vectors.append("<a href=\"cases.html#%s\">%s</a>" % (anchor, text)
                       if anchor in anchors else text)
    mutants = ["<span title=\"%s\">%s</span>%s" % (
        esc(m["description"]), esc(m["name"]), " <b>(survivor)</b>" if m["survivor"] else "")
        for m in t["mutants"]]
    scenarios = ["<a href=\"index.html#scenario-%s\">%s</a>" % (esc(s), esc(s))
                 for s in t["scenarios"]]
    by_outcome = {}
    for r in t["rows"]:
        by_outcome[r["outcome"]] = by_outcome.get(r["outcome"], 0) + 1
    run = " ".join("<span class=\"v-%s\">%s %d</span>" % (OUTCOME_CLASS.get(o, o), esc(o), n)
                   for o, n in sorted(by_outcome.items()))
    bad = [r["id"] for r in t["rows"] if r["id"] in failing]
    if bad:
        run += _listing(["<a href=\"failures/%s\">%s</a>" % (failure_slug(i), esc(i))
                         for i in bad], 4, "rows with a failure page")
    for x in t["listed"]:
        run += "<p class=\"note\">listed by %s: %s</p>" % (esc(x["implementation"]),
                                                          esc(x["source"]))
    return ("<tr id=\"%s\" data-level=\"%s\"><td><b>%s</b><br>%s · %s</td>"
            "<td class=\"req-text\">%s</td>%s<td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
            "<td>%s</td></tr>" % (
                esc(t["id"]), esc(t["level"]), esc(t["id"]), esc(t["level"]),
                esc(", ".join(t["roles"])), esc(t["statement"]), verdicts,
                _listing(cases, 8, "cases"), _listing(vectors, 8, "vectors"),
                _listing(mutants, 8, "mutants"), _listing(scenarios, 8, "scenarios"),
                run or "<span class=\"note\">no row</span>"))


def cases_page(doc):
    """cases.html: every row of the run, grouped by the case it runs, with the text of each
    requirement the case cites (linked to requirements.html)."""
    reqs = _trace_index(doc)
    groups = {}
    for r in doc["results"]:
        anchor, label = _case_group(r)
        groups.setdefault((r.get("kind", ""), anchor, label), []).append(r)
    parts = ["<p><a href=\"index.html\">← report</a> · <a href=\"requirements.html\">"
             "requirements and what tests them</a></p>",
             "<h1>Every case of this run and its requirements</h1>",
             "<p>%d rows in %d cases.</p>" % (len(doc["results"]), len(groups))]
    kinds = {}
    for (kind, anchor, label), rows in groups.items():
        kinds.setdefault(kind, []).append((anchor, label, rows))
    titles = {"matrix": "Interop matrix scenarios", "conformance": "Conformance catalogue",
              "vectors": "Vector replay", "self-check": "Reference self-check"}
    for kind, items in kinds.items():
        parts.append("<h2>%s (%d)</h2>" % (esc(titles.get(kind, kind)), len(items)))
        parts.append("<table class=\"trace\"><tr><th>case</th><th>requirements</th>"
                     "<th>rows</th></tr>")
        for anchor, label, rows in sorted(items, key=lambda x: x[1]):
            ids = list(dict.fromkeys(i for r in rows for i in r.get("requirements", [])))
            texts = []
            for rid in ids:
                t = reqs.get(rid)
                texts.append("%s%s <span class=\"req-text\">%s</span>" % (
                    _req_link(rid), " (%s)" % esc(t["level"]) if t else "",
                    esc(t["statement"]) if t else "<i>not in the spec index</i>"))
            row_items = []
            for r in sorted(rows, key=lambda r: r["id"]):
                o = expected.outcome(r)
                text = esc(r["id"])
                if has_page(r):
                    text = "<a href=\"failures/%s\">%s</a>" % (failure_slug(r["id"]), text)
                extra = sorted(set(ids) - set(r.get("requirements", [])))
                row_items.append("<span id=\"row-%s\">%s <span class=\"v-%s\">%s</span>%s</span>"
                                 % (esc(matrix.slug(r["id"])), text, OUTCOME_CLASS.get(o, o),
                                    esc(o), " <span class=\"note\">(not: %s)</span>" % esc(
                                        ", ".join(extra)) if extra else ""))
            parts.append("<tr id=\"%s\"><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                esc(anchor), esc(label), _listing(texts, 100, "requirements"),
                _listing(row_items, 12, "rows")))
        parts.append("</table>")
    return page("netipc-cts cases", "\n".join(parts))


def _row_requirements_html(row, doc, prefix="../"):
    """A failure page's section on the row's requirements: each with its level and text,
    linked to the requirements page."""
    reqs = _trace_index(doc)
    ids = row.get("requirements", [])
    if not ids:
        return "<h2>Requirements</h2><p class=\"note\">This row cites no requirement.</p>"
    items = []
    for rid in ids:
        t = reqs.get(rid)
        items.append("<li>%s%s — <span class=\"req-text\">%s</span></li>" % (
            _req_link(rid, prefix), " (%s)" % esc(t["level"]) if t else "",
            esc(t["statement"]) if t else "<i>not in the spec index</i>"))
    return "<h2>Requirements</h2><ul class=\"requirements\">%s</ul>" % "".join(items)


def write_traceability(out_dir: Path, doc):
    (out_dir / "requirements.html").write_text(requirements_page(doc))
    (out_dir / "cases.html").write_text(cases_page(doc))
