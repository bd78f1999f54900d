#!/usr/bin/env python3
"""Replays every golden vector through the spec-derived model (CTest vectors.replay_model).

The vectors are made and checked by the reference; the model (fuzz/testees/model_testee.py)
is written from the spec's layout tables and shares no code with it, so this replay is where
a bug common to the reference's encoder and decoder shows. Strict: error classes must match,
valid cases must decode to exactly the recorded fields, and every case of every family must
be answered and pass (a skip, an error or a missing row fails this check). Prints the counts
and the time the replay took."""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "interop" / "spec-model.toml"


def expected_rows():
    """(family, case count, field checks, encode checks) from the checked-in vectors."""
    out = []
    for path in sorted((ROOT / "vectors").glob("*.json")):
        doc = json.loads(path.read_text())
        cases = doc["cases"]
        if doc["family"] == "sessions":
            # A session case is replayed through the decode annotations of its packets.
            decodes = [d for c in cases for s in c["steps"] for d in s.get("send", {}).get("decode", [])]
            out.append((doc["family"], len(decodes), sum(1 for d in decodes if "fields" in d), 0))
            continue
        fields = sum(1 for c in cases if "fields" in c)
        encodes = sum(1 for c in cases if c["result"] == "valid" and "Canonical" in c["flags"]
                      and "hex" in c)
        out.append((doc["family"], len(cases), fields, encodes))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", help="report directory for the replay")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cts-model-replay-") as tmp:
        out_dir = Path(args.out or Path(tmp) / "out")
        start = time.monotonic()
        run = subprocess.run([sys.executable, str(ROOT / "cts"), "vectors", "replay", "--impl",
                              str(MANIFEST), "--no-build", "--out", str(out_dir)],
                             cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.monotonic() - start
        print(run.stdout + run.stderr)
        report = json.loads((out_dir / "replay.json").read_text()) \
            if (out_dir / "replay.json").exists() else {"results": []}
    rows = report["results"]
    problems = []
    if run.returncode != 0:
        problems.append("replay exited %d" % run.returncode)
    bad = [r for r in rows if r["verdict"] != "pass"]
    problems += ["%s %s/%s: %s" % (r["verdict"], r["family"], r["name"], r["message"])
                 for r in bad]
    totals = [0, 0, 0]
    for family, cases, fields, encodes in expected_rows():
        verdicts = [r for r in rows if r["family"] == family and not r["name"].endswith(".encode")]
        encoded = [r for r in rows if r["family"] == family and r["name"].endswith(".encode")]
        if len(verdicts) != cases or len(encoded) != encodes:
            problems.append("%s: %d verdict rows and %d encode rows, expected %d and %d"
                            % (family, len(verdicts), len(encoded), cases, encodes))
        totals = [totals[0] + cases, totals[1] + fields, totals[2] + encodes]
    for p in problems:
        print("check_model_replay: " + p, file=sys.stderr)
    print("check_model_replay: %d vectors replayed through the spec model (%d with field "
          "checks, %d canonical encodings), %d rows passed, replay %.2f s, wall %.2f s"
          % (totals[0], totals[1], totals[2], len(rows) - len(bad),
             report.get("seconds", 0.0), wall))
    return 1 if problems or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
