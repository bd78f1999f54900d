#!/usr/bin/env python3
"""Mutant schemata: one build of the reference that holds every mutant of mutants.toml.

The shipped reference carries no mutation hooks. This script copies the pristine sources of
the reference (reference/src, reference/tools/nipc-ref) into a build directory and applies the
table of mutations to the copy. Every row names a file, an anchor (text that must occur exactly
once in the pristine file) and what replaces it; the replacement keeps the original behaviour
unless its own mutant is selected at run time (MUTANT_ACTIVE(Name)), so one binary holds all
mutants. The selection machinery (NIPC_MUTANT=<name>; an unknown name stops the program at
start-up) is generated next to the copy and never exists in the reference.

A row either spells its replacement out (`replacement`) or lets this script derive it: `expr`
names an expression inside the anchor and one of `swap = [from, to]` (replace an operator or
constant once), `drop = "text"` (remove it once) or `becomes = "text"` (the whole expression)
says what the mutant computes; the expression is then replaced by
`(MUTANT_ACTIVE(Name) ? (mutated) : (expr))`.

    schemata.py check                     every anchor matches exactly once (exit 1 otherwise)
    schemata.py generate --out DIR        write the mutated copy and the selection machinery
    schemata.py list                      name, requirement and description of every mutant

Failure is reported as one line per broken row naming the row, the file and the rule broken.
"""
from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TABLE = HERE / "mutants.toml"
# The trees copied into the mutant build, relative to the repository root.
TREES = ("reference/src", "reference/tools/nipc-ref")
NAME_RE = re.compile(r"^[A-Z][A-Za-z0-9]*$")
REQUIREMENT_RE = re.compile(r"^[A-Z][A-Z0-9-]*-\d{3}$")
HEADER = "mutant_schemata.h"


class TableError(Exception):
    """A row of the table that cannot be applied; the message names the row and the rule."""


def load(path: Path = TABLE) -> list[dict]:
    """The rows of the table, in order."""
    doc = tomllib.loads(path.read_text())
    return doc.get("mutant", [])


def guard(name: str) -> str:
    return "MUTANT_ACTIVE(%s)" % name


def replacement_of(row: dict) -> str:
    """The text that replaces the row's anchor in the mutant build."""
    name = row["name"]
    if "replacement" in row:
        return row["replacement"]
    expr = row.get("expr")
    if not expr:
        raise TableError("%s: a row needs `replacement` or `expr`" % name)
    if row["anchor"].count(expr) != 1:
        raise TableError("%s: expr %r must occur exactly once in the anchor" % (name, expr))
    if "swap" in row:
        old, new = row["swap"]
        if expr.count(old) != 1:
            raise TableError("%s: swap %r must occur exactly once in expr" % (name, old))
        mutated = expr.replace(old, new)
    elif "drop" in row:
        if expr.count(row["drop"]) != 1:
            raise TableError("%s: drop %r must occur exactly once in expr" % (name, row["drop"]))
        mutated = expr.replace(row["drop"], "")
    elif "becomes" in row:
        mutated = row["becomes"]
    else:
        raise TableError("%s: an `expr` row needs swap, drop or becomes" % name)
    return row["anchor"].replace(expr, "(%s ? (%s) : (%s))" % (guard(name), mutated, expr))


def check_row(row: dict, seen: set) -> None:
    name = row.get("name", "?")
    for key in ("name", "requirement", "description", "file", "anchor"):
        if not row.get(key):
            raise TableError("%s: missing `%s`" % (name, key))
    if not NAME_RE.match(name):
        raise TableError("%s: a mutant name is CamelCase letters and digits" % name)
    if name in seen:
        raise TableError("%s: the name is used by an earlier row" % name)
    seen.add(name)
    if not REQUIREMENT_RE.match(row["requirement"]):
        raise TableError("%s: %r is not a requirement ID" % (name, row["requirement"]))
    if not any(row["file"].startswith(t + "/") for t in TREES):
        raise TableError("%s: %s is outside the copied trees %s" % (name, row["file"], ", ".join(TREES)))
    if guard(name) not in replacement_of(row):
        raise TableError("%s: the replacement must be guarded by %s" % (name, guard(name)))


def apply(rows: list[dict], root: Path = ROOT) -> dict[str, str]:
    """The mutated text of every file a row touches, keyed by its path relative to `root`.
    Raises TableError listing every row whose anchor does not match exactly once, in the
    pristine file and where the rows before it left the text."""
    problems = []
    seen: set = set()
    pristine: dict[str, str] = {}
    mutated: dict[str, str] = {}
    for row in rows:
        try:
            check_row(row, seen)
            rel = row["file"]
            if rel not in pristine:
                path = root / rel
                if not path.is_file():
                    raise TableError("%s: %s does not exist" % (row["name"], rel))
                pristine[rel] = mutated[rel] = path.read_text()
            anchor = row["anchor"]
            n = pristine[rel].count(anchor)
            if n != 1:
                raise TableError("%s: the anchor matches %d times in %s, not exactly once: %r"
                                 % (row["name"], n, rel, anchor.splitlines()[0]))
            if mutated[rel].count(anchor) != 1:
                raise TableError("%s: the anchor overlaps an earlier row's in %s" % (row["name"], rel))
            mutated[rel] = mutated[rel].replace(anchor, replacement_of(row))
        except TableError as e:
            problems.append(str(e))
    if problems:
        raise TableError("\n".join(problems))
    return {rel: '#include "%s"\n%s' % (HEADER, text) for rel, text in mutated.items()}


def machinery(rows: list[dict]) -> tuple[str, str]:
    """The generated header and source of the run-time selection."""
    ids = "".join("  k%s,\n" % r["name"] for r in rows)
    header = f"""// Generated by conformance/mutants/schemata.py from mutants.toml: do not edit.
#pragma once

namespace nipc_mutants {{
enum Id : int {{
{ids}}};
/// True when this process runs as mutant `id` (NIPC_MUTANT=<name>).
bool active(Id id) noexcept;
}}  // namespace nipc_mutants

#define MUTANT_ACTIVE(name) (::nipc_mutants::active(::nipc_mutants::k##name))
"""
    names = "".join('    "%s",\n' % r["name"] for r in rows)
    source = f"""// Generated by conformance/mutants/schemata.py from mutants.toml: do not edit.
// Selects the active mutant from NIPC_MUTANT=<name>. An unknown name stops the program at
// start-up, so a typo in the sweep can never pass for a surviving mutant.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "{HEADER}"

namespace nipc_mutants {{
namespace {{

constexpr const char* kNames[] = {{
{names}}};

int select_from_environment() {{
  const char* want = std::getenv("NIPC_MUTANT");
  if (want == nullptr || *want == '\\0') return -1;
  for (int i = 0; i < static_cast<int>(sizeof kNames / sizeof kNames[0]); ++i)
    if (std::strcmp(kNames[i], want) == 0) return i;
  std::fprintf(stderr, "nipc-ref-mutants: unknown mutant '%s'\\n", want);
  std::exit(2);
}}

const int g_selected = select_from_environment();

}}  // namespace

bool active(Id id) noexcept {{ return g_selected == static_cast<int>(id); }}

}}  // namespace nipc_mutants
"""
    return header, source


def write_if_changed(path: Path, text: str) -> None:
    """Rewrites only what changed, so a table edit recompiles only the files it touches."""
    if path.exists() and path.read_text() == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def generate(rows: list[dict], out: Path, root: Path = ROOT) -> None:
    mutated = apply(rows, root)
    for tree in TREES:
        for src in sorted((root / tree).rglob("*")):
            if src.is_file():
                rel = src.relative_to(root).as_posix()
                write_if_changed(out / rel, mutated.get(rel, src.read_text()))
    header, source = machinery(rows)
    write_if_changed(out / HEADER, header)
    write_if_changed(out / "mutant_schemata.cpp", source)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["check", "generate", "list"])
    p.add_argument("--table", type=Path, default=TABLE)
    p.add_argument("--root", type=Path, default=ROOT, help="repository root (pristine sources)")
    p.add_argument("--out", type=Path, help="generate: directory of the mutated copy")
    args = p.parse_args(argv)
    try:
        rows = load(args.table)
        if args.command == "list":
            for r in rows:
                print("%-36s %-22s %s" % (r["name"], r["requirement"], r["description"]))
        elif args.command == "check":
            apply(rows, args.root)
            print("mutants.toml: %d mutants, every anchor matches exactly once" % len(rows))
        else:
            if not args.out:
                p.error("generate needs --out")
            generate(rows, args.out, args.root)
    except (TableError, tomllib.TOMLDecodeError, KeyError) as e:
        print("schemata: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
