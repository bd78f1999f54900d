#!/usr/bin/env python3
"""Holds the spec's worked examples against the spec-derived model (CTest
spec.hex_examples_decode_as_stated).

Every fenced code block of spec/*.md that consists of hex bytes is an example, and each must
be preceded by an annotation that says what the bytes are:

    <!-- example: {"id": "...", "checks": [ {...}, ... ]} -->

The annotation is JSON on one line. An inline example (hex bytes in backticks in a sentence)
may be annotated too: its annotation carries the bytes as "hex" ("01 00 00 00") and the
paragraph right after it must contain exactly those bytes in backticks. Each check runs
through fuzz/testees/model_testee.py, which shares no code with the reference, and must give
exactly the stated outcome:

- "op": "decode" (default), "decide" or "check_ack"; "family"; optional "context";
- "at": the example's bytes from this offset (default 0), "cut": only the first N of those
  bytes, "patch": {"<offset>": "<hex>"} bytes overwritten (offsets relative to "at"),
  "append": hex bytes added at the end: a check can state a variation of the example;
- "fields": the decoded fields, or "error": the error class;
- "reply": the id of another example whose bytes are exactly what `decide` answers (the
  HELLO_ACK, or the rejection packet).

An example block without an annotation, an annotation not followed by an example, or any check
that does not come out as stated fails the run. Prints the number of examples and checks."""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "fuzz" / "testees"))
import model_testee  # noqa: E402  (the spec-derived model)

ANNOTATION = re.compile(r"^<!-- example: (\{.*\}) -->$")
HEX_LINE = re.compile(r"^(?:[0-9a-f]{2}(?: [0-9a-f]{2})*)?$")


def examples(path):
    """(line, annotation or None, bytes) of every hex code block of one Markdown file, and
    the lines of annotations that precede no hex block."""
    lines = path.read_text(encoding="utf-8").split("\n")
    found, orphans, pending, i = [], [], None, 0
    while i < len(lines):
        line = lines[i]
        match = ANNOTATION.match(line)
        if match and "hex" in json.loads(match.group(1)):
            # An inline example: its bytes are in the annotation and must appear, in
            # backticks, in the paragraph that follows it.
            note = json.loads(match.group(1))
            paragraph = []
            for text in lines[i + 1:]:
                if not text.strip():
                    break
                paragraph.append(text.strip())
            if "`%s`" % note["hex"] not in " ".join(paragraph):
                orphans.append(i + 1)
            found.append((i + 1, note, bytes.fromhex(note["hex"])))
        elif match:
            if pending:
                orphans.append(pending[0])
            pending = (i + 1, json.loads(match.group(1)))
        elif line.startswith("```"):
            end = i + 1
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            body = [text.strip() for text in lines[i + 1:end]]
            is_hex = line.strip() == "```" and any(body) and all(HEX_LINE.match(t) for t in body)
            if is_hex:
                data = bytes.fromhex(" ".join(body))
                found.append((i + 1, pending[1] if pending else None, data))
                pending = None
            elif pending:
                orphans.append(pending[0])
                pending = None
            i = end
        elif line.strip() and pending and not line.startswith("<!--"):
            orphans.append(pending[0])  # prose between the annotation and its block
            pending = None
        i += 1
    if pending:
        orphans.append(pending[0])
    return found, orphans


def variant(data, check):
    data = bytearray(data[check.get("at", 0):])
    if "cut" in check:
        data = data[:check["cut"]]
    for offset, patch in check.get("patch", {}).items():
        raw = bytes.fromhex(patch)
        data[int(offset):int(offset) + len(raw)] = raw
    return bytes(data) + bytes.fromhex(check.get("append", ""))


def run_check(check, data, by_id):
    """None when the model gives the stated outcome, else what went wrong."""
    op = check.get("op", "decode")
    request = {"op": op, "family": check["family"], "hex": variant(data, check).hex(),
               "context": check.get("context", {})}
    if check["family"] == "chunked_message":  # one packet: the example as it travels
        request["packets"] = [request.pop("hex")]
    answer = model_testee.answer(request)
    if "error" in check:
        if answer.get("result") != "invalid" or answer.get("error") != check["error"]:
            return "expected %s, the model says %s" % (check["error"], json.dumps(answer))
    elif answer.get("result") != "valid":
        return "expected a valid decode, the model says %s" % json.dumps(answer)
    elif "fields" in check and answer["fields"] != check["fields"]:
        return "fields differ:\n    stated %s\n    model  %s" % (
            json.dumps(check["fields"], sort_keys=True),
            json.dumps(answer["fields"], sort_keys=True))
    if "reply" in check:
        if check["reply"] not in by_id:
            return "no example has id %r" % check["reply"]
        got = answer.get("hex") or answer.get("fields", {}).get("reply_hex")
        if got != by_id[check["reply"]].hex():
            return "the reply is %s, example %s is %s" % (got, check["reply"],
                                                         by_id[check["reply"]].hex())
    return None


def main() -> int:
    problems, blocks, checks = [], [], 0
    for path in sorted((ROOT / "spec").glob("*.md")):
        found, orphans = examples(path)
        rel = path.relative_to(ROOT)
        problems += ["%s:%d: annotation not directly followed by its hex example" % (rel, n)
                     for n in orphans]
        blocks += [(rel, line, note, data) for line, note, data in found]
    by_id = {note["id"]: data for _, _, note, data in blocks if note and "id" in note}
    for rel, line, note, data in blocks:
        if note is None:
            problems.append("%s:%d: hex example without an `<!-- example: ... -->` annotation"
                            % (rel, line))
            continue
        if not note.get("checks"):
            problems.append("%s:%d: the annotation states no check" % (rel, line))
        for check in note.get("checks", []):
            checks += 1
            why = run_check(check, data, by_id)
            if why:
                problems.append("%s:%d (%s %s): %s" % (rel, line, check.get("op", "decode"),
                                                       check["family"], why))
    for p in problems:
        print("FAIL " + p)
    inline = sum(1 for _, _, note, _ in blocks if note and "hex" in note)
    print("spec hex examples: %d fenced and %d inline examples, %d checks through the spec "
          "model, %d problems" % (len(blocks) - inline, inline, checks, len(problems)))
    return 1 if problems or not blocks else 0


if __name__ == "__main__":
    sys.exit(main())
