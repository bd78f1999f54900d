"""`./cts fuzz`: seed corpora, bounded smoke runs and long nightly runs of the libFuzzer
targets in fuzz/targets/ (built by the `fuzz` CMake preset), with a Markdown + JSON summary.

Standard library only. Layout:
  build/fuzz/fuzz/<target>_fuzz          the target binaries
  build/fuzz/fuzz/seeds/<target>_fuzz/   seed corpora (synthetic + vectors/*.json), regenerated
  build/fuzz/fuzz/smoke/<target>_fuzz/   scratch corpus of smoke runs, emptied each time
  out/fuzz/corpus/<target>_fuzz/         the persistent corpus nightly runs merge into
  out/fuzz/crashes/<target>_fuzz/        crash artifacts and their minimised forms
  out/fuzz/differential/                 one file per disagreement class (differential_fuzz)
  out/fuzz/differential.{md,json}        the classes of the last `--differential` run
  out/fuzz/summary.{md,json}             nightly summary; out/fuzz/smoke/summary.* for smoke
"""
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import build, manifest as manifest_mod, paths

PRESET = "fuzz"
FUZZ_SRC = paths.ROOT / "fuzz"
REGRESSIONS = FUZZ_SRC / "regressions"
MODEL_TESTEE = FUZZ_SRC / "testees" / "model_testee.py"
SMOKE_RUNS = 100000             # the CMake cache's NIPC_FUZZ_SMOKE_RUNS default too
DIFFERENTIAL_SMOKE_RUNS = 20000  # paced by the Python model testee
# ASan keeps freed memory in a quarantine (256 MB by default) that shows up as RSS; a smaller
# one lets every core run a target without the machine running short of memory.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1:quarantine_size_mb=64",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}

# Family index of each vector family in differential_fuzz's family table (byte 0).
DIFFERENTIAL_FAMILIES = ["outer_header", "chunk_header", "hello", "hello_ack", "batch",
                         "increment", "string_reverse", "cgroups_snapshot_request",
                         "cgroups_snapshot_response", "cgroups_lookup_request",
                         "cgroups_lookup_response", "apps_lookup_request", "apps_lookup_response"]


def target_names():
    """Every fuzz target (binary names), from the sources in fuzz/targets/."""
    return sorted(p.stem for p in (FUZZ_SRC / "targets").glob("*_fuzz.cpp"))


def fuzz_dir(build_dir: Path) -> Path:
    return Path(build_dir) / "fuzz"


# ---- seed corpora from vectors/*.json ---------------------------------------------------------

def _u32(v):
    return struct.pack("<I", int(v) & 0xFFFFFFFF)


def _u64(v):
    return struct.pack("<Q", int(v) & 0xFFFFFFFFFFFFFFFF)


def _find(ctx, names, default):
    """The first of `names` found in `ctx` or in any object nested in it (the vectors'
    context layout is the generator's; the seeds only need plausible values)."""
    if isinstance(ctx, dict):
        for name in names:
            if name in ctx and not isinstance(ctx[name], (dict, list)):
                try:
                    return int(ctx[name])
                except (TypeError, ValueError):
                    pass
        for value in ctx.values():
            found = _find(value, names, None)
            if found is not None:
                return found
    return default


def _header(kind, code, payload_len):
    return struct.pack("<IHHHHHHIIQ", 0x4E495043, 1, 32, kind, 0, code, 0, payload_len, 1, 0)


def _policy_prefix(ctx):
    policy = ctx.get("policy", ctx) if isinstance(ctx, dict) else {}
    return (_u64(_find(policy, ["auth_token"], 0))
            + _u32(_find(policy, ["supported_profiles"], 1))
            + _u32(_find(policy, ["preferred_profiles"], 0))
            + _u32(_find(policy, ["max_request_payload_bytes"], 1048576))
            + _u32(_find(policy, ["response_payload_bytes", "max_response_payload_bytes"], 65536))
            + _u32(_find(policy, ["packet_size"], 65536))
            + _u64(_find(policy, ["session_id"], 1))
            + b"\x00")


def _hello_prefix(ctx):
    hello = ctx.get("hello", ctx) if isinstance(ctx, dict) else {}
    return (_u32(_find(hello, ["supported_profiles"], 1))
            + _u32(_find(hello, ["preferred_profiles"], 0))
            + _u32(_find(hello, ["max_request_payload_bytes"], 1024))
            + _u32(_find(hello, ["max_request_batch_items"], 1))
            + _u32(_find(hello, ["max_response_payload_bytes"], 1024))
            + _u32(_find(hello, ["max_response_batch_items"], 1))
            + _u64(_find(hello, ["auth_token"], 0))
            + _u32(_find(hello, ["packet_size"], 65536)))


def _chunk_prefix(ctx):
    return (_u32(_find(ctx, ["packet_size", "agreed_packet_size"], 65536))
            + _u32(_find(ctx, ["max_payload_bytes", "max_request_payload_bytes",
                               "payload_limit"], 16384) % 16385)
            + _u32(_find(ctx, ["max_batch_items", "max_request_batch_items", "batch_limit"], 1))
            + b"\x00")


def _packets(prefix, packets):
    out = prefix
    for p in packets:
        out += struct.pack("<H", min(len(p), 0xFFFF)) + p
    return out


def seeds_for_session_case(case):
    """[(target, bytes)] seeds of one session case (vectors/sessions.json): each decode
    annotation seeds its family's targets as a codec case would, and every whole packet the
    test peer sends seeds the decision it meets: a client's first packet the server's
    handshake, a server's reply the client's HELLO_ACK check."""
    from .vectors import session_decode_cases
    out = []
    for _suffix, family, codec_case in session_decode_cases(case):
        out += seeds_for_case(family, codec_case)
    sends = [bytes.fromhex(s["send"]["hex"]) for s in case["steps"] if "send" in s]
    if sends and case.get("peer") == "client":
        out.append(("handshake_decide_fuzz", _policy_prefix({}) + sends[0]))
    if sends and case.get("peer") == "server":
        out.append(("handshake_check_ack_fuzz", _hello_prefix({}) + sends[0]))
    return out


def seeds_for_case(family, case):
    """[(target, bytes)] seed inputs one vector case gives, in each target's input format."""
    if family == "sessions":
        return seeds_for_session_case(case)
    ctx = case.get("context") or {}
    if "packets" in case:
        packets = [bytes.fromhex(p) for p in case["packets"]]
        data = b"".join(packets)
    else:
        packets = None
        data = bytes.fromhex(case.get("hex", ""))
    item_count = _find(ctx, ["item_count"], 1)
    out = []
    direct = {"outer_header", "chunk_header", "hello", "hello_ack", "increment",
              "string_reverse", "cgroups_snapshot_request"}
    if family in direct:
        out.append((family + "_fuzz", data))
    elif family == "batch":
        out.append(("batch_fuzz", b"\x00" + _u32(item_count) + data))
    elif family == "cgroups_snapshot_response":
        out.append(("cgroups_snapshot_response_fuzz", b"\x00" + data))
    elif family in ("cgroups_lookup_request", "cgroups_lookup_response",
                    "apps_lookup_request", "apps_lookup_response"):
        # Mode byte: bit 0 clear for a request, set for a response (fuzz/targets/*_lookup_fuzz).
        target = family.rsplit("_", 1)[0] + "_fuzz"
        out.append((target, (b"\x01" if family.endswith("response") else b"\x00") + data))
    elif family == "chunked_message":
        out.append(("chunked_message_fuzz", _packets(_chunk_prefix(ctx), packets or [data])))
    elif family == "handshake_decide":
        out.append(("handshake_decide_fuzz", _policy_prefix(ctx) + data))
    elif family == "handshake_check_ack":
        out.append(("handshake_check_ack_fuzz", _hello_prefix(ctx) + data))
    # Cross-feeding: payload families also seed the whole-packet handshake targets.
    if family == "hello":
        out.append(("handshake_decide_fuzz", _policy_prefix({}) + _header(3, 1, len(data)) + data))
    if family == "hello_ack":
        out.append(("handshake_check_ack_fuzz",
                    _hello_prefix({}) + _header(3, 2, len(data)) + data))
    if family in DIFFERENTIAL_FAMILIES:
        index = bytes([DIFFERENTIAL_FAMILIES.index(family)])
        extra = _u32(item_count) if family == "batch" else b""
        out.append(("differential_fuzz", index + extra + data))
    return out


def write_vector_seeds(seeds_dir: Path, vectors_dir: Path = None):
    """Writes every vectors/*.json case as seeds; returns (files, cases) counts."""
    vectors_dir = vectors_dir or paths.ROOT / "vectors"
    files = cases = 0
    for path in sorted(vectors_dir.glob("*.json")):
        try:
            doc = json.loads(path.read_text())
            family = doc["family"]
            doc_cases = doc["cases"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            print("cts fuzz: skipping %s for seeds: %s" % (path.name, e), file=sys.stderr)
            continue
        files += 1
        for case in doc_cases:
            try:
                seeds = seeds_for_case(family, case)
            except (ValueError, TypeError) as e:
                print("cts fuzz: %s case %s: %s" % (path.name, case.get("id"), e),
                      file=sys.stderr)
                continue
            cases += 1
            per_target = {}
            for target, data in seeds:
                d = seeds_dir / target
                d.mkdir(parents=True, exist_ok=True)
                name = "vector-%s-%s-%s" % (family, case.get("id", "x"), case.get("name", "case"))
                # A session case seeds one target several times: number all but the first.
                n = per_target[target] = per_target.get(target, 0) + 1
                suffix = "" if n == 1 else "-%d" % n
                (d / (name[:120 - len(suffix)] + suffix)).write_bytes(data)
    return files, cases


def prepare_seeds(build_dir: Path) -> bool:
    """Regenerates the seed corpora and empties the smoke scratch directories."""
    fdir = fuzz_dir(build_dir)
    seeds = fdir / "seeds"
    shutil.rmtree(seeds, ignore_errors=True)
    seeds.mkdir(parents=True)
    tool = fdir / "nipc_fuzz_seeds"
    if build.run([tool, seeds]) != 0:
        print("cts fuzz: %s failed" % tool, file=sys.stderr)
        return False
    files, cases = write_vector_seeds(seeds)
    print("cts fuzz: seeds from %d vector files (%d cases)%s" % (
        files, cases, "" if files else "; vectors/*.json not present yet, synthetic seeds only"))
    for target in target_names():
        (seeds / target).mkdir(exist_ok=True)
        scratch = fdir / "smoke" / target
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
    return True


# ---- running targets ----------------------------------------------------------------------

STAT_RE = re.compile(r"^stat::(\w+):\s+(\d+)", re.M)
STATUS_RE = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/", re.M)
ARTIFACT_RE = re.compile(r"Test unit written to (\S+)")


def parse_output(text: str) -> dict:
    """The numbers libFuzzer prints: final stats (-print_final_stats=1) and the last status
    line's coverage (cov: edges, ft: features, corp: corpus size)."""
    stats = {k: int(v) for k, v in STAT_RE.findall(text)}
    status = STATUS_RE.findall(text)
    if status:
        runs, cov, ft, corp = status[-1]
        stats.setdefault("number_of_executed_units", int(runs))
        stats.update(cov=int(cov), ft=int(ft), corpus=int(corp))
    stats["artifacts"] = ARTIFACT_RE.findall(text)
    return stats


def _env(extra=None):
    env = dict(os.environ)
    for k, v in SANITIZER_ENV.items():
        env.setdefault(k, v)
    env.update(extra or {})
    return env


def _run_target(cmd, log: Path, env, timeout):
    """Runs one fuzzer process, its output to `log`; returns (exit code, seconds, output)."""
    start = time.monotonic()
    with open(log, "w") as f:
        f.write("+ " + " ".join(shlex.quote(str(c)) for c in cmd) + "\n")
        f.flush()
        try:
            rc = subprocess.run([str(c) for c in cmd], stdout=f, stderr=subprocess.STDOUT,
                                cwd=paths.ROOT, env=env, timeout=timeout,
                                check=False).returncode
        except subprocess.TimeoutExpired:
            rc = -9
    return rc, time.monotonic() - start, log.read_text(errors="replace")


def differential_testees(args, with_model=True):
    """The out-of-process participants of differential_fuzz: the spec model (unless
    --no-model), each --impl manifest's codec testee and each --testee command. Returns
    ([{"name", "command"}], [reasons a requested testee is left out]); a manifest that cannot
    be read raises ManifestError."""
    testees, skipped = [], []
    if with_model and getattr(args, "model", True):
        testees.append({"name": "spec-model",
                        "command": [sys.executable, str(MODEL_TESTEE)]})
    for path in getattr(args, "impl", None) or []:
        m = manifest_mod.load(path)
        if m.codec is None:
            skipped.append("%s: %s has no [codec] testee" % (m.name, path))
        elif not (Path(m.codec.command[0]).exists() or shutil.which(m.codec.command[0])):
            skipped.append("%s: %s is not built (%s)" % (m.name, path, m.codec.command[0]))
        else:
            testees.append({"name": m.name, "command": list(m.codec.command)})
    for i, text in enumerate(getattr(args, "testee", None) or [], 1):
        name, _, command = text.partition("=")
        if not command or not re.match(r"^[A-Za-z0-9._-]+$", name):
            name, command = "testee-%d" % i, text
        testees.append({"name": name, "command": shlex.split(command)})
    names = [t["name"] for t in testees]
    for name in sorted({n for n in names if names.count(n) > 1}):
        raise manifest_mod.ManifestError("two differential testees are named %r" % name)
    return testees, skipped


def differential_env(args, for_smoke: bool):
    """Environment for differential_fuzz, or None (with the reason) when there is no testee."""
    env = {}
    if for_smoke:
        # Smoke: the reference against the spec-derived model only, and nothing may differ.
        env["NIPC_DIFF_TESTEES"] = json.dumps(
            [{"name": "spec-model", "command": [sys.executable, str(MODEL_TESTEE)]}])
        env["NIPC_DIFF_ABORT"] = "1"
        return env, ""
    try:
        testees, skipped = differential_testees(args)
    except manifest_mod.ManifestError as e:
        return None, str(e)
    for reason in skipped:
        print("cts fuzz: differential testee left out: " + reason)
    if not testees and not os.environ.get("NIPC_DIFF_TESTEE"):
        return None, ("no testee: give --impl MANIFEST or --testee CMD (or drop --no-model) "
                      "to compare the reference with another decoder")
    env["NIPC_DIFF_TESTEES"] = json.dumps(testees)
    if getattr(args, "batch", None):
        env["NIPC_DIFF_BATCH"] = str(args.batch)
    if getattr(args, "lenient_errors", False):
        env["NIPC_DIFF_LENIENT"] = "1"
    return env, ""


def smoke(args) -> int:
    build_dir = Path(args.build_dir) if args.build_dir else paths.build_dir(PRESET)
    if args.build and not build.configure_and_build(PRESET):
        print("cts fuzz: building the fuzz preset failed", file=sys.stderr)
        return 1
    if not prepare_seeds(build_dir):
        return 1
    fdir = fuzz_dir(build_dir)
    out_dir = Path(args.out) if args.out else paths.OUT / "fuzz" / "smoke"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for target in _selected(args):
        row = {"target": target, "mode": "smoke"}
        env = {}
        if target == "differential_fuzz":
            env, _ = differential_env(args, for_smoke=True)
            env["NIPC_DIFF_OUT"] = str(out_dir / "differential")
        runs = args.runs or (DIFFERENTIAL_SMOKE_RUNS if target == "differential_fuzz"
                             else SMOKE_RUNS)
        cmd = [fdir / target, "-runs=%d" % runs, "-seed=1",
               "-dict=%s" % (fdir / "dictionaries" / (target + ".dict")),
               "-print_final_stats=1", "-artifact_prefix=%s/" % out_dir,
               fdir / "smoke" / target, fdir / "seeds" / target]
        rc, seconds, text = _run_target(cmd, out_dir / (target + ".log"), _env(env), 600)
        stats = parse_output(text)
        row.update(stats, exit_code=rc, seconds=round(seconds, 2),
                   execs_per_sec=int(stats.get("number_of_executed_units", 0) / max(seconds, 1e-3)),
                   verdict="pass" if rc == 0 else "fail", log=str(out_dir / (target + ".log")))
        rows.append(row)
        print("  %-36s %-4s %9d runs %8.1f s %9d exec/s  cov %-4s ft %s" % (
            target, row["verdict"].upper(), row.get("number_of_executed_units", 0), seconds,
            row["execs_per_sec"], row.get("cov", "?"), row.get("ft", "?")), flush=True)
    write_summary(out_dir, "smoke", rows, {"runs": args.runs or SMOKE_RUNS})
    failed = [r for r in rows if r["verdict"] != "pass"]
    print("fuzz smoke: %d passed, %d failed" % (len(rows) - len(failed), len(failed)))
    return 1 if failed else 0


def _selected(args):
    names = target_names()
    if args.target:
        wanted = [t if t.endswith("_fuzz") else t + "_fuzz" for t in args.target]
        unknown = [t for t in wanted if t not in names]
        if unknown:
            raise SystemExit("cts fuzz: unknown target(s) %s; known: %s" % (
                ", ".join(unknown), ", ".join(names)))
        return wanted
    return names


def _count_files(d: Path) -> int:
    return sum(1 for p in d.iterdir() if p.is_file()) if d.is_dir() else 0


def nightly_one(target, seconds, fdir: Path, out: Path, diff, lock) -> dict:
    """One target for `seconds`: fuzz (restarting after each crash, at most 5 times), merge
    the new inputs into the persistent corpus, minimise the crashes."""
    row = {"target": target, "mode": "nightly", "budget_seconds": seconds, "crashes": [],
           "runs": []}
    diff_env, diff_reason = diff
    if target == "differential_fuzz" and diff_env is None:
        row.update(verdict="skipped", reason=diff_reason)
        return row
    binary = fdir / target
    corpus = out / "corpus" / target
    work = out / "work" / target
    crashes = out / "crashes" / target
    logs = out / "logs"
    for d in (corpus, crashes, logs):
        d.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    before = _count_files(corpus)
    env = _env(dict(diff_env or {}, NIPC_DIFF_OUT=str(out / "differential"))
               if target == "differential_fuzz" else None)
    dictionary = "-dict=%s" % (fdir / "dictionaries" / (target + ".dict"))
    deadline = time.monotonic() + seconds
    executed = 0
    attempt = 0
    stats = {}
    while attempt < 6:
        left = int(deadline - time.monotonic())
        if left < 5:
            break
        attempt += 1
        cmd = [binary, "-max_total_time=%d" % left, "-print_final_stats=1", dictionary,
               "-timeout=25", "-rss_limit_mb=2048", "-artifact_prefix=%s/" % crashes,
               work, corpus, fdir / "seeds" / target]
        log = logs / ("%s-%d.log" % (target, attempt))
        rc, took, text = _run_target(cmd, log, env, left + 300)
        stats = parse_output(text)
        executed += stats.get("number_of_executed_units", 0)
        row["runs"].append({"exit_code": rc, "seconds": round(took, 1), "log": str(log),
                            "execs_per_sec": stats.get("average_exec_per_sec", 0)})
        for artifact in stats["artifacts"]:
            row["crashes"].append(_minimise(binary, Path(artifact), env, crashes))
        if rc == 0 or not stats["artifacts"]:
            break  # finished its time, or failed without an input to blame (logged)
    # Keep only the inputs that add coverage to the persistent corpus.
    merge_log = logs / ("%s-merge.log" % target)
    _run_target([binary, "-merge=1", corpus, work], merge_log, env, 3600)
    shutil.rmtree(work, ignore_errors=True)
    after = _count_files(corpus)
    total_seconds = sum(r["seconds"] for r in row["runs"]) or 1
    row.update(number_of_executed_units=executed,
               execs_per_sec=int(executed / total_seconds),
               cov=stats.get("cov"), ft=stats.get("ft"),
               peak_rss_mb=stats.get("peak_rss_mb"),
               corpus_before=before, corpus_after=after, new_inputs=max(0, after - before),
               verdict="fail" if row["crashes"] or any(r["exit_code"] != 0 for r in row["runs"])
               else "pass")
    with lock:
        print("  %-36s %-4s %12d execs %9d exec/s  cov %-4s ft %-5s corpus %d (+%d) crashes %d" % (
            target, row["verdict"].upper(), executed, row["execs_per_sec"], row["cov"],
            row["ft"], after, row["new_inputs"], len(row["crashes"])), flush=True)
    return row


def _minimise(binary: Path, artifact: Path, env, crashes: Path) -> dict:
    minimised = artifact.with_name(artifact.name + ".min")
    _run_target([binary, "-minimize_crash=1", "-runs=20000",
                 "-exact_artifact_path=%s" % minimised, artifact],
                crashes / (artifact.name + ".minimize.log"), env, 600)
    reproducer = minimised if minimised.exists() else artifact
    return {"artifact": str(artifact), "minimised": str(minimised) if minimised.exists() else None,
            "reproduce": "%s %s" % (_rel(binary), _rel(reproducer))}


def _rel(p: Path) -> str:
    try:
        return str(Path(p).resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(p)


def nightly(args) -> int:
    build_dir = Path(args.build_dir) if args.build_dir else paths.build_dir(PRESET)
    if args.build and not build.configure_and_build(PRESET):
        print("cts fuzz: building the fuzz preset failed", file=sys.stderr)
        return 1
    if not prepare_seeds(build_dir):
        return 1
    targets = _selected(args)
    jobs = max(1, args.jobs or os.cpu_count() or 1)
    wall = args.minutes * 60 if args.minutes else args.hours * 3600
    # Every target gets an equal share of jobs x wall-clock seconds.
    per_target = max(10, int(wall * min(jobs, len(targets)) / len(targets)))
    out = Path(args.out) if args.out else paths.OUT / "fuzz"
    out.mkdir(parents=True, exist_ok=True)
    diff = differential_env(args, for_smoke=False)
    print("cts fuzz nightly: %d targets, %d parallel jobs, %d s each (about %.1f h wall clock)"
          % (len(targets), jobs, per_target, per_target * len(targets) / jobs / 3600))
    if diff[0] is None and "differential_fuzz" in targets:
        print("cts fuzz: differential_fuzz skipped: " + diff[1])
    lock = threading.Lock()
    fdir = fuzz_dir(build_dir)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        rows = list(pool.map(lambda t: nightly_one(t, per_target, fdir, out, diff, lock),
                             targets))
    disagreements = sorted(str(p) for p in (out / "differential").glob("*.json")) \
        if (out / "differential").is_dir() else []
    write_summary(out, "nightly", rows, {"jobs": jobs, "seconds_per_target": per_target,
                                         "differential_candidates": disagreements})
    failed = [r for r in rows if r["verdict"] == "fail"]
    crashes = sum(len(r["crashes"]) for r in rows)
    print("fuzz nightly: %d passed, %d failed (%d crashes, %d differential candidates); "
          "summary in %s" % (sum(r["verdict"] == "pass" for r in rows), len(failed), crashes,
                             len(disagreements), out / "summary.md"))
    return 1 if failed else 0


# ---- differential runs: the classes of disagreement ----------------------------------------

def read_classes(class_dir: Path, run_id=None):
    """The class files differential_fuzz wrote in `class_dir` (`<family>-<hash>.json`), each
    as {class, family, seen (by `run_id`, or in total), count_seen, size, minimised,
    participants, file}; unreadable files are reported and skipped. With `run_id`, only the
    classes that run saw."""
    rows = []
    for path in sorted(Path(class_dir).glob("*.json")) if Path(class_dir).is_dir() else []:
        try:
            doc = json.loads(path.read_text())
            runs = doc.get("runs") or {}
            row = {"class": doc["class"], "family": doc["family"],
                   "count_seen": int(doc["count_seen"]), "size": int(doc["size"]),
                   "minimised": bool(doc.get("minimised")),
                   "participants": sorted(doc.get("answers", {})), "file": str(path),
                   "seen": int(runs.get(run_id, 0)) if run_id else int(doc["count_seen"])}
        except (OSError, ValueError, KeyError, TypeError) as e:
            print("cts fuzz: skipping %s: %s" % (path, e), file=sys.stderr)
            continue
        if run_id is None or row["seen"] > 0:
            rows.append(row)
    rows.sort(key=lambda r: (r["family"], -r["seen"], r["class"]))
    return rows


def class_table(rows) -> list:
    """Lines of the per-class summary: class, count seen, smallest size, file."""
    lines = ["| class | seen | smallest (bytes) | file |", "|---|---:|---:|---|"]
    for r in rows:
        lines.append("| `%s` | %d | %d%s | `%s` |" % (
            r["class"], r["seen"], r["size"], "" if r["minimised"] else " (not minimised)",
            _rel(Path(r["file"]))))
    return lines


def differential(args) -> int:
    """`./cts fuzz --differential`: differential_fuzz alone, every testee at once; bounded
    (--runs, --minutes) or, with --nightly, for hours with corpus merge and restarts. Ends
    with the table of the disagreement classes this run saw."""
    build_dir = Path(args.build_dir) if args.build_dir else paths.build_dir(PRESET)
    if args.build and not build.configure_and_build(PRESET, targets=["differential_fuzz",
                                                                      "nipc_fuzz_seeds"]):
        print("cts fuzz: building the fuzz preset failed", file=sys.stderr)
        return 1
    env, reason = differential_env(args, for_smoke=False)
    if env is None:
        print("cts fuzz: " + reason, file=sys.stderr)
        return 2
    # --no-build keeps seed corpora that exist (CTest's fixture made them; other fuzz tests
    # may be reading them right now).
    fdir = fuzz_dir(build_dir)
    if (args.build or not (fdir / "seeds" / "differential_fuzz").is_dir()) \
            and not prepare_seeds(build_dir):
        return 1
    out = Path(args.out) if args.out else paths.OUT / "fuzz"
    class_dir = out / "differential"
    run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-%d" % os.getpid()
    env["NIPC_DIFF_RUN_ID"] = run_id
    testees = json.loads(env["NIPC_DIFF_TESTEES"])
    print("cts fuzz differential: reference (in process) vs %s" % (
        ", ".join(t["name"] for t in testees) or "NIPC_DIFF_TESTEE"))
    target = "differential_fuzz"
    if args.nightly:
        seconds = max(10, int(args.minutes * 60 if args.minutes else args.hours * 3600))
        row = nightly_one(target, seconds, fdir, out, (env, ""), threading.Lock())
        failed = row["verdict"] == "fail"
        executed, rate = row.get("number_of_executed_units", 0), row.get("execs_per_sec", 0)
    else:
        work = out / "work" / target
        crashes = out / "crashes" / target
        logs = out / "logs"
        shutil.rmtree(work, ignore_errors=True)
        for d in (work, crashes, logs):
            d.mkdir(parents=True, exist_ok=True)
        limit = ["-max_total_time=%d" % max(1, int(args.minutes * 60))] if args.minutes \
            else ["-runs=%d" % (args.runs or DIFFERENTIAL_SMOKE_RUNS)]
        corpora = [work] + [d for d in (out / "corpus" / target, fdir / "seeds" / target)
                            if d.is_dir()]
        cmd = [fdir / target] + limit + [
            "-seed=1", "-print_final_stats=1",
            "-dict=%s" % (fdir / "dictionaries" / (target + ".dict")),
            "-artifact_prefix=%s/" % crashes] + corpora
        log = logs / (target + "-differential.log")
        env["NIPC_DIFF_OUT"] = str(class_dir)
        budget = args.minutes * 60 + 900 if args.minutes else 3600
        rc, took, text = _run_target(cmd, log, _env(env), budget)
        stats = parse_output(text)
        shutil.rmtree(work, ignore_errors=True)
        executed = stats.get("number_of_executed_units", 0)
        rate = int(executed / max(took, 1e-3))
        failed = rc != 0
        if failed:
            print("cts fuzz: differential_fuzz exited %d; see %s" % (rc, log), file=sys.stderr)
    rows = read_classes(class_dir, run_id)
    doc = {"run_id": run_id, "testees": testees, "executed": executed, "execs_per_sec": rate,
           "fuzzer_failed": failed, "classes": rows}
    (out / "differential.json").write_text(json.dumps(doc, indent=2) + "\n")
    table = class_table(rows)
    (out / "differential.md").write_text("\n".join(
        ["# Differential classes (run %s)" % run_id, "",
         "%d inputs, %d execs/s; participants: reference, %s" % (
             executed, rate, ", ".join(t["name"] for t in testees)), ""] + table) + "\n")
    print("\n".join(table))
    print("fuzz differential: %d inputs (%d execs/s), %d disagreement classes (%d inputs); "
          "files in %s, summary in %s" % (executed, rate, len(rows),
                                          sum(r["seen"] for r in rows), _rel(class_dir),
                                          _rel(out / "differential.md")))
    return 1 if failed else 0


def write_summary(out: Path, mode: str, rows, extra):
    doc = {"mode": mode, "preset": PRESET, "sanitizers": "address,undefined (-O1)",
           "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **extra,
           "targets": rows}
    (out / "summary.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
    lines = ["# Fuzzing summary (%s)" % mode, "",
             "Targets built by the `fuzz` preset: ASan + UBSan at -O1, so execs/s are well "
             "below an uninstrumented build.", "",
             "| target | verdict | execs | execs/s | cov (edges) | ft (features) | corpus | "
             "new inputs | crashes |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["target"], r.get("verdict"), r.get("number_of_executed_units", ""),
            r.get("execs_per_sec", ""), r.get("cov", ""), r.get("ft", ""),
            r.get("corpus_after", r.get("corpus", "")), r.get("new_inputs", ""),
            len(r.get("crashes", []))))
    crash_lines = []
    for r in rows:
        for c in r.get("crashes", []):
            crash_lines.append("- `%s`: reproduce with `%s`" % (r["target"], c["reproduce"]))
        if r.get("verdict") == "skipped":
            crash_lines.append("- `%s` skipped: %s" % (r["target"], r.get("reason", "")))
    if crash_lines:
        lines += ["", "## Crashes and skips", ""] + crash_lines
    candidates = extra.get("differential_candidates") or []
    if candidates:
        lines += ["", "## Differential disagreements (vector candidates)", ""]
        lines += ["- `%s`" % _rel(Path(c)) for c in candidates]
    (out / "summary.md").write_text("\n".join(lines) + "\n")


# ---- command line -------------------------------------------------------------------------

def cmd_fuzz(args) -> int:
    if args.differential:
        if args.seeds_only or args.smoke:
            raise SystemExit("cts fuzz: --differential goes with --nightly or alone")
        return differential(args)
    if args.seeds_only:
        build_dir = Path(args.build_dir) if args.build_dir else paths.build_dir(PRESET)
        if args.build and not build.configure_and_build(PRESET):
            return 1
        return 0 if prepare_seeds(build_dir) else 1
    if args.nightly:
        return nightly(args)
    return smoke(args)


def add_parser(sub):
    p = sub.add_parser("fuzz", help="libFuzzer targets: --smoke (CI) or --nightly (hours)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--smoke", action="store_true",
                      help="bounded run of every target from its seeds (the default)")
    mode.add_argument("--nightly", action="store_true",
                      help="long parallel runs, corpus merge, crash minimisation, summary")
    mode.add_argument("--seeds-only", action="store_true",
                      help="only (re)generate the seed corpora in the build tree")
    p.add_argument("--differential", action="store_true",
                   help="differential_fuzz alone: the reference, the spec model and every "
                   "--impl/--testee answer the same inputs; ends with a table of the "
                   "disagreement classes (bounded by --runs or --minutes; with --nightly, "
                   "--hours)")
    p.add_argument("--runs", type=int,
                   help="smoke and --differential: -runs per target (default %d, "
                   "differential %d)" % (SMOKE_RUNS, DIFFERENTIAL_SMOKE_RUNS))
    p.add_argument("--hours", type=float, default=8.0,
                   help="nightly (also with --differential): wall-clock budget")
    p.add_argument("--minutes", type=float,
                   help="nightly and --differential: wall-clock budget in minutes")
    p.add_argument("--jobs", type=int, help="nightly: parallel targets (default: CPU count)")
    p.add_argument("--target", action="append", help="only this target (repeatable)")
    p.add_argument("--testee", action="append", metavar="[NAME=]CMD",
                   help="differential_fuzz: a codec testee command line (repeatable)")
    p.add_argument("--impl", action="append", metavar="MANIFEST",
                   help="differential_fuzz: the [codec] testee of this manifest (repeatable; "
                   "one that is not built is left out, with a message)")
    p.add_argument("--no-model", dest="model", action="store_false",
                   help="differential_fuzz: leave the spec model (Python) out")
    p.add_argument("--batch", type=int,
                   help="differential_fuzz: inputs sent to the testees at once (default 64; "
                   "1 = one request, one answer)")
    p.add_argument("--lenient-errors", action="store_true",
                   help="differential_fuzz: do not compare error classes, only verdicts and "
                   "fields")
    p.add_argument("--out", help="output directory (default out/fuzz, out/fuzz/smoke)")
    p.add_argument("--build-dir", help="fuzz build tree (default build/fuzz)")
    p.add_argument("--no-build", dest="build", action="store_false",
                   help="use the binaries already built")
    p.set_defaults(func=cmd_fuzz)
    return p
