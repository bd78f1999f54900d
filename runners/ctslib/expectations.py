"""`./cts expectations check|update`: keeping the expected-failure lists honest.

`check` parses every list (interop/expected/*.txt) and reports the entries `--strict` would
refuse: no link, no expiry, a placeholder reason, past its expiry, and requirement IDs the spec
does not define. `update` writes the lists from a run's report.json: one new line per failing
row no entry covers, and removal of entries whose rows all pass now. Lines it does not add or
remove are kept byte for byte, so hand-written reasons, links and comments stay as they are.
"""
import datetime
import json
import re
import sys
from pathlib import Path

from . import expected, spec_index

DEFAULT_DAYS = 90
SOON_DAYS = 14


def _today(args) -> datetime.date:
    return expected.parse_date(args.today) if getattr(args, "today", None) else \
        datetime.date.today()


def _known_requirements():
    try:
        _, reqs = spec_index.load_index()
    except (OSError, ValueError):
        return None
    return set(reqs)


# ---- check ----------------------------------------------------------------------------------

def check_lists(directory: Path, today: datetime.date, soon_days: int = SOON_DAYS):
    """Every list of `directory`, checked. Returns (entries, errors, findings): errors are
    strings (a list that does not parse, an unknown requirement); findings are
    (entry, flags, expiring_soon) for every flagged or soon-expiring entry."""
    known = _known_requirements()
    entries, errors, findings = [], [], []
    for path in sorted(directory.glob("*.txt")):
        try:
            parsed = expected.parse(path.read_text(), str(path))
        except (OSError, UnicodeDecodeError) as e:
            errors.append("%s: cannot be read: %s" % (path, e))
            continue
        except expected.ExpectedListError as e:
            errors.append(str(e))
            continue
        for e in parsed:
            entries.append(e)
            if known is not None and e.requirement and e.requirement not in known:
                errors.append("%s: names requirement %s, which spec/requirements.json does not "
                              "define" % (e.source, e.requirement))
            flags = e.flags(today)
            soon = (e.expires is not None and not e.expired(today)
                    and (e.expires - today).days < soon_days)
            if flags or soon:
                findings.append((e, flags, soon))
    return entries, errors, findings


def cmd_check(args) -> int:
    directory = Path(args.dir) if args.dir else expected.EXPECTED_DIR
    try:
        today = _today(args)
    except ValueError as e:
        print("cts expectations check: --today: %s" % e, file=sys.stderr)
        return 2
    if not directory.is_dir():
        print("cts expectations check: %s is not a directory" % directory, file=sys.stderr)
        return 2
    entries, errors, findings = check_lists(directory, today, args.soon)
    for err in errors:
        print("ERROR %s" % err)
    counts = {"no link": 0, "no expiry": 0, "placeholder reason": 0, "expired": 0, "soon": 0}
    for e, flags, soon in findings:
        for f in flags:
            counts["expired" if f.startswith("expired") else f] += 1
        if soon:
            counts["soon"] += 1
            flags = flags + ["expires %s, in %d days" % (e.expires.isoformat(),
                                                          (e.expires - today).days)]
        label = "EXPIRED" if e.expired(today) else "FLAGGED" if e.flags(today) else "SOON"
        print("%-7s %s %s: %s" % (label, e.source, e.pattern, ", ".join(flags)))
    refused = sum(bool(f) for _, f, _ in findings)
    print("expectations check: %d lists, %d entries, %d errors; %d flagged (%d without link, "
          "%d without expiry, %d placeholder reasons, %d expired), %d expiring within %d days%s"
          % (len(list(directory.glob("*.txt"))), len(entries), len(errors), refused,
             counts["no link"], counts["no expiry"], counts["placeholder reason"],
             counts["expired"], counts["soon"], args.soon,
             "; --strict refuses the flagged entries" if args.strict and refused else ""))
    return 1 if errors or (args.strict and refused) else 0


# ---- update ---------------------------------------------------------------------------------

def attributed_requirement(row) -> str:
    """The requirement a failing row is held to: the first failed check's (conformance rows
    record it in their details and message), else the row's requirement when it lists exactly
    one; "" when the row does not say (a matrix scenario exercises several at once)."""
    try:
        details = json.loads(row.get("details") or "{}")
    except ValueError:
        details = {}
    failures = details.get("failures") if isinstance(details, dict) else None
    for f in failures if isinstance(failures, list) else []:
        if isinstance(f, dict) and expected.REQUIREMENT_RE.match(str(f.get("requirement", ""))):
            return f["requirement"]
    head = (row.get("message") or "").split(":", 1)[0]
    if expected.REQUIREMENT_RE.match(head):
        return head
    reqs = [r for r in row.get("requirements") or [] if expected.REQUIREMENT_RE.match(r)]
    return reqs[0] if len(set(reqs)) == 1 else ""


def glob_escape(case_id: str) -> str:
    """A case id as a pattern that matches only itself."""
    return re.sub(r"([*?\[])", r"[\1]", case_id)


def _held_against(row, name) -> bool:
    blame = row.get("blame")
    return name in (blame if blame else row.get("implementations", []))


def plan_update(doc, names, lists, today, expires):
    """What update changes, per implementation: {name: {"add": [(row, line)], "remove":
    [entry], "unmatched": [entry], "expired": [(row, entry)]}}. `lists` are the current lists
    of every implementation in the report (name -> entries); they are matched afresh against
    the report's rows, with the run's rules (expected.apply)."""
    rows = []
    for r in doc.get("results", []):
        fresh = {k: v for k, v in r.items() if not k.startswith("expect")}
        rows.append(fresh)
    expected.apply(rows, lists, today)
    plan = {n: {"add": [], "remove": [], "unmatched": [], "expired": []} for n in names}
    for r in rows:
        if r.get("verdict") not in expected.FAILING or r.get("environment"):
            continue
        if r.get("expectation") == "expired":
            for n in names:
                entry = next((e for e in lists.get(n, []) if e.source == r["expected_source"]),
                             None)
                if entry is not None:
                    plan[n]["expired"].append((r, entry))
            continue
        if r.get("expectation") == "expected-failure":
            continue
        for n in names:
            if _held_against(r, n):
                req = attributed_requirement(r)
                line = "%s  %s%s  expires=%s" % (glob_escape(r["id"]), req + "  " if req else "",
                                                 expected.PLACEHOLDER_REASON, expires.isoformat())
                plan[n]["add"].append((r, line))
    for n in names:
        for e in lists.get(n, []):
            if e.passed and not e.failed:
                plan[n]["remove"].append(e)
            elif not e.used:
                plan[n]["unmatched"].append(e)
    return plan


def rewrite(text: str, remove_lines, add_lines, header: str) -> str:
    """The list's new text: the lines in `remove_lines` (1-based) dropped, every other line
    kept as it was, `add_lines` appended after `header`."""
    kept = [ln for i, ln in enumerate(text.splitlines(), 1) if i not in set(remove_lines)]
    if add_lines:
        if kept and kept[-1].strip():
            kept.append("")
        kept.append(header)
        kept += add_lines
    return "\n".join(kept) + "\n" if kept else ""


def cmd_update(args) -> int:
    directory = Path(args.dir) if args.dir else expected.EXPECTED_DIR
    try:
        today = _today(args)
        if args.expires:
            expires = expected.parse_date(args.expires)
        else:
            expires = today + datetime.timedelta(days=args.days)
    except ValueError as e:
        print("cts expectations update: %s" % e, file=sys.stderr)
        return 2
    if expires < today:
        print("cts expectations update: the expiry %s is in the past" % expires, file=sys.stderr)
        return 2
    try:
        doc = json.loads(Path(args.from_report).read_text())
    except (OSError, ValueError) as e:
        print("cts expectations update: cannot read %s: %s" % (args.from_report, e),
              file=sys.stderr)
        return 2
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        print("cts expectations update: %s is not a report.json of ./cts run"
              % args.from_report, file=sys.stderr)
        return 2
    in_report = [i.get("name") for i in doc.get("implementations", []) if i.get("name")]
    names = args.impl or in_report
    unknown = [n for n in names if n not in in_report]
    if unknown:
        print("cts expectations update: %s not in the report (it has: %s)"
              % (", ".join(unknown), ", ".join(in_report)), file=sys.stderr)
        return 2
    try:
        lists = expected.load(in_report, directory)
    except expected.ExpectedListError as e:
        print("cts expectations update: %s (fix the list first; nothing was written)" % e,
              file=sys.stderr)
        return 2
    if doc.get("interrupted") or doc.get("options", {}).get("only") or \
            doc.get("options", {}).get("shard", "1/1") != "1/1":
        print("cts expectations update: note: the report covers part of a run (interrupted, "
              "--only or --shard); entries it does not reach are kept")
    plan = plan_update(doc, names, lists, today, expires)
    header = "# added by ./cts expectations update from %s on %s: give each a reason and a link=" \
        % (args.from_report, today.isoformat())
    totals = [0, 0]
    for n in names:
        p = plan[n]
        path = directory / (n + ".txt")
        adds = [line for _, line in p["add"]]
        for line in adds:
            print("%s: + %s" % (n, line))
        for e in p["remove"]:
            print("%s: - %s (%s: its %d rows pass now)" % (n, e.raw.strip(), e.source, e.passed))
        for e in p["unmatched"]:
            print("%s: kept %s (%s): matched no row of this report" % (n, e.pattern, e.source))
        for r, e in p["expired"]:
            print("%s: %s still fails and %s expired on %s: give it a new expires= by hand "
                  "(with a reason) or fix the implementation" % (n, r["id"], e.source,
                                                                e.expires.isoformat()))
        totals[0] += len(adds)
        totals[1] += len(p["remove"])
        if not adds and not p["remove"]:
            continue
        old = path.read_text() if path.exists() else \
            "# Expected failures of %s (format: interop/expected/README.md)\n" % n
        new = rewrite(old, [e.line for e in p["remove"]], adds, header)
        try:
            expected.parse(new, str(path))
        except expected.ExpectedListError as e:  # an id the list format cannot hold
            print("cts expectations update: the new %s would not parse (%s); nothing was "
                  "written" % (path, e), file=sys.stderr)
            return 2
        if not args.dry_run:
            directory.mkdir(parents=True, exist_ok=True)
            path.write_text(new)
    print("expectations update: %d entries added, %d removed, in %d lists%s" % (
        totals[0], totals[1], len(names), " (dry run: nothing written)" if args.dry_run else ""))
    return 0


def add_parser(sub):
    p = sub.add_parser("expectations", help="expected-failure lists: check them, or update "
                       "them from a run's report.json",
                       description="Expected-failure lists (interop/expected/<name>.txt; "
                       "format in interop/expected/README.md).")
    act = p.add_subparsers(dest="expectations_command", required=True, metavar="ACTION")
    q = act.add_parser("check", help="parse every list; report entries without link or "
                       "expiry, with a placeholder reason, expired or expiring soon",
                       description="Exit 1 when a list does not parse or names an unknown "
                       "requirement; with --strict also when an entry is flagged.")
    q.add_argument("--dir", help="directory of the lists (default interop/expected)")
    q.add_argument("--strict", action="store_true",
                   help="flagged entries (no link, no expiry, placeholder, expired) are errors")
    q.add_argument("--soon", type=int, default=SOON_DAYS, metavar="DAYS",
                   help="also list entries expiring within DAYS days (default %d)" % SOON_DAYS)
    q.add_argument("--today", metavar="YYYY-MM-DD", help="judge expiry as of this date")
    q.set_defaults(func=cmd_check)
    q = act.add_parser("update", help="add a line per failing row no entry covers; remove "
                       "entries whose rows all pass",
                       description="New lines carry the row id, its attributed requirement, "
                       "the placeholder reason '%s' (refused by --strict until replaced) and "
                       "an expiry. Entries whose matched rows all pass are removed; entries "
                       "matching no row are kept and listed; every other line is kept as "
                       "written." % expected.PLACEHOLDER_REASON)
    q.add_argument("--from", dest="from_report", required=True, metavar="REPORT_JSON",
                   help="a run's report.json (e.g. out/report/report.json)")
    q.add_argument("--impl", action="append", metavar="NAME",
                   help="only this implementation's list (repeatable; default every "
                   "implementation of the report)")
    when = q.add_mutually_exclusive_group()
    when.add_argument("--expires", metavar="YYYY-MM-DD", help="expiry of the added entries")
    when.add_argument("--days", type=int, default=DEFAULT_DAYS, metavar="N",
                      help="added entries expire N days from today (default %d)" % DEFAULT_DAYS)
    q.add_argument("--dir", help="directory of the lists (default interop/expected)")
    q.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")
    q.add_argument("--today", metavar="YYYY-MM-DD", help="judge expiry as of this date")
    q.set_defaults(func=cmd_update)
