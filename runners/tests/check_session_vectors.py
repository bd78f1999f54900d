#!/usr/bin/env python3
"""Session vectors judge like the catalogue cases they re-express (CTest
conformance.session_vectors).

For every case of vectors/sessions.json that names an `equivalent`, the peer's vec.* case and
that catalogue case run against the reference on every run profile both apply to, and then
against the mutants listed below (each vector must kill its mutants, strictly: a fail or
timeout). Every pair must end with the same verdict. A vector without an equivalent, an
equivalent the catalogue lacks, a mutant the table does not know, or a vector that kills none
of its mutants fails this check. Prints one line per run pair and the counts."""
import argparse
import concurrent.futures
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "runners"))

from ctslib import conformance  # noqa: E402

# Mutants each vector must kill (conformance/mutants/mutants.toml), the ones its equivalent
# case kills through the same requirement.
KILLS = {
    "hello-bad-magic-closes": ["HeaderSkipMagic"],
    "hello-auth-zero-rejected": ["AcceptWrongToken", "RejectionNotZeroed", "NoCloseAfterReject"],
    "increment-answers-value-plus-one": ["IncrementAnswerPlusTwo"],
    "request-over-payload-limit": ["SkipPayloadLimit", "ServerSilentOnBadRequest"],
    "batch-item-out-of-bounds": ["CrashOnBadDirectory", "BatchErrorKeepsFlag"],
    "request-bad-magic-ends-session": ["HeaderSkipMagic"],
    "ack-bad-magic-refused": ["HeaderSkipMagic"],
}
PROFILES = ["uds", "shm-hybrid", "shm-futex"]


def run_pair(runner, vec, original, profile):
    a = runner.run(vec, profile)
    b = runner.run(original, profile)
    return a, b


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build-dir", default=str(ROOT / "build" / "default"))
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    tree = Path(args.build_dir)
    doc = json.loads((ROOT / "vectors" / "sessions.json").read_text())
    problems = []
    manifest = conformance.load_manifest(ROOT / "interop" / "reference.toml", tree)
    peer = conformance.peer_command(manifest, tree)
    catalogue = {c["id"]: c for c in conformance.load_catalogue(peer)}
    mutant_rows = {m["name"]: m for m in conformance.load_mutants()}

    pairs = []  # (vector case, original case, mutant or None, profile)
    for case in doc["cases"]:
        vec_id = ("vec.srv." if case["peer"] == "client" else "vec.cli.") + case["name"]
        if vec_id not in catalogue:
            problems.append("%s is not in the peer's catalogue" % vec_id)
            continue
        if not case.get("equivalent") or case["equivalent"] not in catalogue:
            problems.append("%s: equivalent %r is not a catalogue case" % (vec_id, case.get("equivalent")))
            continue
        vec, orig = catalogue[vec_id], catalogue[case["equivalent"]]
        if case["name"] not in KILLS:
            problems.append("%s: no mutants listed for it in check_session_vectors.py" % vec_id)
        for mutant in KILLS.get(case["name"], []):
            if mutant not in mutant_rows:
                problems.append("%s: unknown mutant %s" % (vec_id, mutant))
        for profile in PROFILES:
            planned = [conformance.plan_case(c, profile, manifest)[1] is None for c in (vec, orig)]
            if planned[0] != planned[1]:
                problems.append("%s runs on %s where %s does not, or the other way round"
                                % (vec_id, profile, orig["id"]))
            elif planned[0]:
                pairs.append((vec, orig, None, profile))
        for mutant in KILLS.get(case["name"], []):
            pairs.append((vec, orig, mutant, "uds"))

    def one(pair):
        vec, orig, mutant, profile = pair
        env = dict(os.environ, NIPC_MUTANT=mutant) if mutant else None
        m = conformance.load_manifest(ROOT / "interop" / "reference.toml", tree)
        if mutant:
            conformance.swap_binary(m, tree / conformance.NIPC_REF, conformance.mutants_binary(tree))
        runner = conformance.Runner(m, peer, env=env)
        return pair, run_pair(runner, vec, orig, profile)

    start = time.monotonic()
    counts = {"same": 0, "killed": 0}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for (vec, orig, mutant, profile), (a, b) in pool.map(one, pairs):
            against = ("mutant " + mutant) if mutant else "reference"
            print("%-10s %-26s %-48s %-8s %-30s %s" % (profile, against, vec["id"], a["verdict"],
                                                       orig["id"], b["verdict"]), flush=True)
            if a["verdict"] != b["verdict"]:
                problems.append("%s against %s on %s: %s, but %s %s (%s)" % (
                    vec["id"], against, profile, a["verdict"], orig["id"], b["verdict"],
                    conformance.message_of(a) or conformance.message_of(b)))
            else:
                counts["same"] += 1
            if mutant is None and a["verdict"] not in ("pass", "not-applicable", "unsupported"):
                problems.append("%s fails against the reference on %s: %s" % (
                    vec["id"], profile, conformance.message_of(a)))
            if mutant is not None:
                if conformance.is_strict_kill(mutant_rows[mutant], vec, a["verdict"]):
                    counts["killed"] += 1
                else:
                    problems.append("%s does not kill %s strictly: %s %s" % (
                        vec["id"], mutant, a["verdict"], conformance.message_of(a)))
    for p in problems:
        print("check_session_vectors: " + p, file=sys.stderr)
    print("check_session_vectors: %d session vectors, %d run pairs with the same verdict as "
          "their catalogue case, %d mutant kills, %.1f s"
          % (len(doc["cases"]), counts["same"], counts["killed"], time.monotonic() - start))
    return 1 if problems or not pairs else 0


if __name__ == "__main__":
    sys.exit(main())
