#!/usr/bin/env python3
"""CTest fuzz.differential_finds_seeded_bug: a bounded `./cts fuzz --differential` run with the
reference, the spec model and a testee with one seeded bug (fuzz/testees/seeded-bug.toml: it
accepts a HELLO whose reserved field is not zero) must

- find the seeded disagreement as exactly one class (reference and model reject with
  HelloNonzeroReserved, the seeded testee accepts), and no other class;
- keep the per-class cap: one file for the class however often it was seen, holding the
  smallest input, minimised to the 44 bytes of a HELLO, with every participant's answer and
  a vector candidate naming HS-HELLO-RESERVED-001.

    check_differential_seeded.py --build-dir BUILD_DIR --out OUT_DIR [--runs N]
"""
import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEEDED_CLASS = ("hello: reference=invalid:HelloNonzeroReserved "
                "spec-model=invalid:HelloNonzeroReserved seeded-hello-reserved=valid")


def fail(message):
    print("FAIL: " + message)
    return 1


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--build-dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--runs", type=int, default=4000)
    args = p.parse_args(argv)
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, str(ROOT / "cts"), "fuzz", "--differential", "--no-build",
           "--build-dir", args.build_dir, "--impl", str(ROOT / "fuzz/testees/seeded-bug.toml"),
           "--runs", str(args.runs), "--out", str(out)]
    print("+ " + " ".join(cmd), flush=True)
    rc = subprocess.run(cmd, cwd=ROOT, check=False).returncode
    if rc != 0:
        return fail("cts fuzz --differential exited %d" % rc)
    summary = json.loads((out / "differential.json").read_text())
    classes = [c["class"] for c in summary["classes"]]
    if classes != [SEEDED_CLASS]:
        return fail("expected exactly the seeded class %r, got %r" % (SEEDED_CLASS, classes))
    files = sorted((out / "differential").glob("*.json"))
    if len(files) != 1:
        return fail("one class must give one file, got %d: %s" % (len(files), files))
    doc = json.loads(files[0].read_text())
    seen = doc["count_seen"]
    if seen < 2:
        return fail("the seeded class was seen %d time(s); the cap is not exercised" % seen)
    if doc["class"] != SEEDED_CLASS or not doc["minimised"] or doc["size"] != 44:
        return fail("the class file should hold the minimised 44-byte HELLO: class %r, "
                    "minimised %r, size %r" % (doc["class"], doc["minimised"], doc["size"]))
    if sorted(doc["answers"]) != ["reference", "seeded-hello-reserved", "spec-model"]:
        return fail("the file should hold every participant's answer: %r" % sorted(doc["answers"]))
    candidate = doc["candidate"]
    if (candidate["result"], candidate.get("error"), candidate["requirements"]) != \
            ("invalid", "HelloNonzeroReserved", ["HS-HELLO-RESERVED-001"]):
        return fail("unexpected vector candidate %r" % candidate)
    reserved = bytes.fromhex(candidate["hex"])[28:32]
    if reserved == b"\0\0\0\0":
        return fail("the minimised HELLO's reserved field is zero: %s" % candidate["hex"])
    print("PASS: the seeded class was seen %d times and kept as one file, minimised to %d "
          "bytes (%s)" % (seen, doc["size"], files[0].name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
