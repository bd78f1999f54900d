"""Subcommands of ./cts."""
import argparse
import sys
import time

from . import bench, build, conformance, deps, expectations, fuzz, merge, procs, report, repro
from . import run, schema_check, shims
from . import knobs, revisions, spec_index, vectors


def _cmd_spec_knobs(args) -> int:
    """`./cts spec knobs`: validates the knob table, then checks (or writes) its header."""
    try:
        knobs.table()
    except knobs.KnobTableError as e:
        print("cts spec knobs: %s" % e, file=sys.stderr)
        return 2
    return knobs.main(["--write"] if args.write else ["--check"])


def cmd_setup(args) -> int:
    ok = deps.ensure()
    if getattr(args, "windows", False):
        ok = deps.ensure(deps.WINDOWS_PACKAGES) and ok
    else:
        missing = deps.missing_packages(deps.WINDOWS_PACKAGES)
        if missing:
            print("cts setup: the Windows cross-build also needs %s (./cts setup --windows)"
                  % " ".join(missing))
    return 0 if ok else 1


# The dependency checks live in deps (the run needs them too); the old names stay here.
windows_available = deps.windows_available
_ensure_deps = deps.ensure_for_build


# The Windows preset's share of `./cts test` is bounded: its tests stop being started once this
# much wall time has passed since its build finished (CTest --stop-time).
WINDOWS_TEST_BUDGET_S = 900
WARMUP_TIMEOUT_S = 300


def warm_up_wine(preset="windows") -> float:
    """Starts one small program of the Windows build under wine, so the wine prefix exists and
    its services are up before the tests' own timeouts run. Returns the seconds it took."""
    import os
    import subprocess
    exe = build.paths.build_dir(preset) / "reference/tools/codec_testee/nipc-codec-testee.exe"
    start = time.monotonic()
    if exe.exists():
        try:
            subprocess.run(["wine", str(exe)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env=procs.quiet_wine(dict(os.environ)), timeout=WARMUP_TIMEOUT_S,
                           check=False)
        except (OSError, subprocess.TimeoutExpired):
            pass
    return time.monotonic() - start


def run_windows_preset(args):
    """Configure, build and test the windows preset (label windows) under wine. Returns its
    CtestOutcome, or None when it was skipped."""
    if not windows_available(install=True):
        return None
    if not build.configure_and_build("windows"):
        outcome = build.CtestOutcome()
        outcome.failed.append("build of preset 'windows' failed")
        return outcome
    warm = warm_up_wine()
    print("cts test: wine warm-up %.1f s" % warm, flush=True)
    stop = time.strftime("%H:%M:%S", time.localtime(time.time() + WINDOWS_TEST_BUDGET_S))
    return build.ctest("windows", ["--stop-time", stop] +
                       (["-L", args.label] if args.label else []))


def cmd_test(args) -> int:
    """Configure, build and run every test: the default preset, then the sanitizer presets
    (ASan/UBSan over everything, ThreadSanitizer over the transport and interop tests), then
    the fuzz preset (seed corpora, a bounded smoke run of every libFuzzer target, saved
    regression inputs), then the windows preset (mingw-w64 cross-build, label windows under
    wine) when its toolchain is there or can be installed."""
    if not _ensure_deps():
        return 2
    start = time.monotonic()
    total = build.CtestOutcome()
    presets = ["default"] if args.no_sanitizers else ["default", "asan", "tsan"]
    if not args.no_sanitizers and not args.no_fuzz:
        presets.append(fuzz.PRESET)
    for preset in presets:
        if not build.configure_and_build(preset):
            print("cts test: build of preset '%s' failed" % preset, file=sys.stderr)
            return 1
        outcome = build.ctest(preset, ["-L", args.label] if args.label else [])
        build.print_summary("Preset %s" % preset, outcome)
        if preset == "default":
            print(shims_status())
        total.add(outcome)
    windows_seconds = None
    if args.windows:
        w_start = time.monotonic()
        outcome = run_windows_preset(args)
        windows_seconds = time.monotonic() - w_start
        if outcome is not None:
            build.print_summary("Preset windows", outcome)
            total.add(outcome)
    wall = time.monotonic() - start
    build.print_summary("Total across presets (%.0f s)" % wall, total)
    if windows_seconds is not None:
        print("windows share: %.0f s of %.0f s wall time (%.0f%%; its tests are bounded to %d s)"
              % (windows_seconds, wall, 100.0 * windows_seconds / max(wall, 1e-9),
                 WINDOWS_TEST_BUDGET_S))
    return 1 if total.failed or total.passed == 0 else 0


def shims_status() -> str:
    """One line on the shims of the existing implementations (label shims): skipped without
    a checkout (and why), else where they were built from."""
    import os
    source = os.environ.get("NIPC_IMPL_SOURCE")
    if not source:
        return ("shims: SKIPPED, not passed: NIPC_IMPL_SOURCE is not set, so no shim of an "
                "existing implementation was built or run (set it to a checkout of "
                "netdata/plugin-ipc to test them)")
    return ("shims: built against %s (label shims; a language that could not be built is "
            "shown as a skipped test with the reason)" % source)


def _remember_parsers(parser):
    """Every (sub)parser records itself as the default `cts_parser`; the innermost one that
    parsed wins, so an error can print that subcommand's usage."""
    parser.set_defaults(cts_parser=parser)
    for action in parser._actions:  # argparse offers no public walk of its subparsers
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _remember_parsers(sub)


def cmd_report(args) -> int:
    """`./cts report`: --merge joins shard reports, --compare compares two runs."""
    if args.merge:
        if args.compare is not None:
            print("cts report: --merge and --compare are separate steps", file=sys.stderr)
            return 2
        return merge.cmd_merge(args)
    return report.cmd_report(args)


def main(argv) -> int:
    parser = argparse.ArgumentParser(
        prog="cts", description="netipc conformance test suite and reference implementation")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("setup", help="install missing Debian packages (root) or list them")
    p.add_argument("--windows", action="store_true",
                   help="also the Windows cross-build: mingw-w64 and wine")
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser("test", help="build and run every test (CTest), sanitizers included")
    p.add_argument("--label", help="only CTest labels matching this regex")
    p.add_argument("--no-sanitizers", action="store_true",
                   help="skip the ASan/UBSan, TSan and fuzz presets")
    p.add_argument("--no-fuzz", action="store_true", help="skip the fuzz preset (libFuzzer smoke)")
    p.add_argument("--no-windows", dest="windows", action="store_false",
                   help="skip the windows preset (mingw-w64 cross-build under wine)")
    p.set_defaults(func=cmd_test)

    p = sub.add_parser("run", help="the main job: interop matrix, conformance and vector "
                       "replay for every --impl, into out/runs/<time>/ (out/report: the latest)")
    run.add_arguments(p)

    repro.add_parser(sub)

    p = sub.add_parser("report", help="work with report.json files: --compare, --merge")
    p.add_argument("--compare", nargs="*", metavar="REPORT",
                   help="what changed between two runs (report.json files or report "
                        "directories; none: the last two under out/runs): a summary per "
                        "implementation and chapter, then regressions first")
    p.add_argument("--verbose", action="store_true",
                   help="with --compare: also list every new and removed case")
    p.add_argument("--merge", nargs="+", metavar="DIR",
                   help="join the reports of the shards of one run (report directories or "
                        "report.json files of `./cts run --shard K/N`) into one report")
    p.add_argument("--out", metavar="DIR",
                   help="with --merge: the merged report's directory (default: a new "
                        "out/runs/<UTC time>/, with out/report pointing at it)")
    p.add_argument("--spec-revision", type=revisions.argparse_type,
                   metavar="|".join(revisions.REVISIONS),
                   help="with --compare: require both reports to have been judged at this protocol revision")
    p.set_defaults(func=cmd_report)

    expectations.add_parser(sub)

    bench.add_parser(sub)

    fuzz.add_parser(sub)

    p = sub.add_parser("spec", help="requirement index checks")
    spec_sub = p.add_subparsers(dest="spec_command", required=True, metavar="CHECK")
    q = spec_sub.add_parser("check", help="Markdown IDs and requirements.json agree")
    q.add_argument("--spec-revision", type=revisions.argparse_type, default=revisions.DEFAULT,
                   metavar="|".join(revisions.REVISIONS),
                   help="also count the requirements in force at this revision (default %s)"
                   % revisions.DEFAULT)
    q.set_defaults(func=spec_index.cmd_check)
    q = spec_sub.add_parser("index", help="regenerate spec/requirements.json from the Markdown")
    q.set_defaults(func=spec_index.cmd_index)
    q = spec_sub.add_parser("untested", help="list requirement IDs no test names")
    q.add_argument("--fail-on", nargs="*", metavar="CHAPTER",
                   help="exit non-zero if these chapters have untested IDs")
    q.add_argument("--spec-revision", type=revisions.argparse_type,
                   metavar="|".join(revisions.REVISIONS),
                   help="only requirements in force at this revision (default: all)")
    q.set_defaults(func=spec_index.cmd_untested)
    q = spec_sub.add_parser("errors", help="the C++ error table names known requirements")
    q.set_defaults(func=spec_index.cmd_errors)
    q = spec_sub.add_parser("knobs", help="the shim-contract knob table (spec/shim-knobs.json) "
                            "and its generated C++ header")
    g = q.add_mutually_exclusive_group()
    g.add_argument("--write", action="store_true",
                   help="regenerate reference/tools/common/shim_knobs.h from the table")
    g.add_argument("--check", action="store_true",
                   help="exit 1 when the checked-in header differs from the table (default)")
    q.set_defaults(func=_cmd_spec_knobs)

    p = sub.add_parser("vectors", help="golden vectors: regenerate, drift check, replay")
    vec_sub = p.add_subparsers(dest="vectors_command", required=True, metavar="ACTION")
    q = vec_sub.add_parser("regen", help="rewrite vectors/*.json from the generator")
    q.set_defaults(func=vectors.cmd_regen)
    q = vec_sub.add_parser("check", help="fail if regeneration differs from vectors/*.json")
    q.add_argument("--generator", help="use this generator binary instead of building it")
    q.set_defaults(func=vectors.cmd_check)
    q = vec_sub.add_parser("schema", help="validate vectors/*.json against the file schema")
    q.add_argument("--dir", help="directory of vector files (default vectors/)")
    q.set_defaults(func=schema_check.cmd_schema)
    q = vec_sub.add_parser("replay", help="replay every vector against a codec testee")
    q.add_argument("--impl", required=True, help="implementation manifest (interop/*.toml)")
    q.add_argument("--family", action="append", help="only this family (repeatable)")
    q.add_argument("--case", help="only case names matching this regex")
    q.add_argument("--out", help="report directory (default out/vectors/<name>)")
    q.add_argument("--lenient-errors", action="store_true",
                   help="accept any rejection of an invalid case, noting the class mismatch")
    q.add_argument("--no-build", dest="build", action="store_false",
                   help="do not build the reference binaries first")
    q.add_argument("--build-dir", help="the build tree {build_dir} means in the manifest "
                   "(default build/default)")
    q.add_argument("--verbose", action="store_true", help="print every case")
    q.set_defaults(func=vectors.cmd_replay)

    conformance.add_parser(sub)
    shims.add_parser(sub)

    _remember_parsers(parser)
    args, extra = parser.parse_known_args(argv)
    if extra:
        # An option the subcommand does not know: its own usage, not the top-level one.
        args.cts_parser.error("unrecognized arguments: %s" % " ".join(extra))
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("cts: interrupted", file=sys.stderr)
        return 130
