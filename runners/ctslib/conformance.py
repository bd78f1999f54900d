"""The conformance engine's driver (`./cts conformance`).

Every catalogue case is run by the test peer (`nipc-peer run`), which starts the
implementation under test (IUT) from its manifest's [server] or [client] command template,
plays the other side, and prints one JSON verdict with the exchange as annotated hex and the
IUT's stderr tail. This module plans which cases apply (role, profile, service kind,
scenario, fixed configuration), expands the templates, runs cases in parallel, writes JSON
and JUnit XML, checks the requirement coverage of the catalogue, and runs the mutation sweep
over `nipc-ref-mutants`.

Template placeholders, per case: the knobs of spec/shim-knobs.json whose column placeholder
is true ({run_dir} {service} {auth_token} {profiles} … {snapshot_seed}), with the run values
of that table for whatever the case does not need.

Windows implementations (manifest platform "windows") are tested by the Windows build of the
peer (nipc-peer.exe from the manifest's build tree), started under the manifest's launcher
(wine); the peer then starts the IUT's .exe itself inside the same prefix, so the IUT command
is the manifest's command without the launcher. Run profiles are named per platform
(uds/shm-hybrid/shm-futex, pipe/shm-hybrid/shm-busywait); cases observing objects of the
other platform are not applicable. A peer that cannot be started under its launcher is an
environment error, never a conformance failure.
"""
import concurrent.futures
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path

from . import build, declines, junit, knobs, manifest as manifest_mod, paths, procs, revisions, spec_index
from . import hostplatform as host
from . import textsafe

# Run profiles per transport family (manifest platform -> family): name -> profile bit.
FAMILY_PROFILES = {family: {name: bit for bit, name in sorted(names.items())}
                   for family, names in manifest_mod.PROFILE_NAMES.items()}
ALL_PROFILES = sorted({name for names in FAMILY_PROFILES.values() for name in names})
# Under a launcher (wine) every step is slower: process start-up alone takes seconds.
LAUNCHER_TIMEOUT_SCALE = 3.0
CONFORMANCE = paths.ROOT / "conformance"
MUTANT_TABLE = CONFORMANCE / "mutants" / "mutants.toml"
SURVIVORS = CONFORMANCE / "mutants" / "survivors.toml"
UNTESTABLE = CONFORMANCE / "untestable.toml"
KILLING = {"fail", "timeout", "error"}
# What the peer's --config carries beyond run_dir and auth_token (spec/shim-knobs.json,
# column peer_config), and which of those are numbers.
CONFIG_KEYS = tuple(k for k in knobs.names(peer_config=True) if k not in ("run_dir", "auth_token"))
INT_KEYS = {k for k in CONFIG_KEYS if knobs.knob(k)["type"] in ("u16", "u32", "u64", "mask")}
NIPC_REF = Path("reference/tools/nipc-ref/nipc-ref")
BINDING_ROLES = {"client", "server", "both"}
WINDOWS_MANIFEST = paths.ROOT / "interop" / "reference-windows.toml"


def build_tree(args) -> Path:
    """The build tree holding nipc-peer and the reference: --build-dir, else the preset's."""
    return Path(args.build_dir) if args.build_dir else paths.build_dir(args.preset)


def peer_binary(tree: Path, family: str = "posix") -> Path:
    return tree / "conformance" / ("nipc-peer" + manifest_mod.EXE_SUFFIX[family])


def mutants_binary(tree: Path, family: str = "posix") -> Path:
    return tree / "conformance" / ("nipc-ref-mutants" + manifest_mod.EXE_SUFFIX[family])


def family_of(manifest) -> str:
    """The transport family ("posix" or "windows") of a manifest's platform."""
    return manifest_mod.PLATFORMS.get(getattr(manifest, "platform", "linux"), "posix")


def load_manifest(path, tree: Path = None):
    """Loads a manifest; `tree` (--build-dir) overrides {build_dir} for manifests of this
    host's family. A Windows manifest keeps its own build preset's tree unless `tree` is a
    Windows build (it holds nipc-peer.exe)."""
    m = manifest_mod.load(path)
    if tree is not None and (family_of(m) == "posix" or peer_binary(tree, "windows").exists()):
        m = manifest_mod.load(path, {"build_dir": str(tree)})
    return m


def manifest_tree(manifest, tree: Path = None) -> Path:
    """The build tree the manifest's binaries (and its platform's peer) come from."""
    if family_of(manifest) == "windows":
        if tree is not None and peer_binary(tree, "windows").exists():
            return tree
        return paths.build_dir(manifest.build)
    return tree if tree is not None else paths.build_dir("default")


def peer_command(manifest, tree: Path = None) -> list:
    """How to start the test peer for `manifest`: the peer of its platform, under its
    launcher (the Windows peer runs under wine like the implementation)."""
    family = family_of(manifest)
    return list(manifest.launcher if family == "windows" else []) + [
        str(peer_binary(manifest_tree(manifest, tree), family))]


def run_profiles(manifest) -> dict:
    """The run profiles of the manifest's family, name -> bit."""
    return FAMILY_PROFILES[family_of(manifest)]


def iut_argv(manifest, role: str, values: dict) -> list:
    """The IUT command for the peer to start: the manifest's command, without the launcher
    when the peer itself runs under it."""
    argv = manifest.argv(role, values)
    n = len(manifest.launcher)
    if family_of(manifest) == "windows" and n and argv[:n] == list(manifest.launcher):
        argv = argv[n:]
    return argv


def swap_binary(manifest, old: Path, new: Path):
    """Points the manifest's server and client commands at another binary (the mutant build
    of the reference)."""
    for spec in (manifest.server, manifest.client):
        if spec is not None:
            spec.command = [str(new) if part == str(old) else part for part in spec.command]


def load_catalogue(peer):
    """The peer's catalogue; `peer` is the peer binary or its command (launcher first)."""
    cmd = [str(p) for p in peer] if isinstance(peer, (list, tuple)) else [str(peer)]
    out = subprocess.run(cmd + ["list"], capture_output=True, text=True, check=True,
                         env=peer_env())
    return json.loads(out.stdout)


def peer_env(extra: dict = None) -> dict:
    """The environment of a peer run: wine's debug channels off (its messages are noise in
    the peer's output), plus `extra`."""
    env = procs.quiet_wine(dict(os.environ))
    env.update(extra or {})
    return env


# ---------------------------------------------------------------------------------------
# Planning: which cases apply, and the IUT configuration each one runs with.

def profile_bit(profile: str) -> int:
    for names in FAMILY_PROFILES.values():
        if profile in names:
            return names[profile]
    raise KeyError(profile)


def run_defaults(role: str, profile: str) -> dict:
    """The IUT configuration of a case that needs nothing particular: the run values of
    spec/shim-knobs.json, with the profile mask and preference of the run profile."""
    bit = profile_bit(profile)
    config = knobs.run_defaults(role)
    config.update(profiles=1 | bit, preferred=bit if bit != 1 else 0)
    return config


def revision_gap(case: dict, revision: str, requirements: dict):
    """Why `case` does not apply at `revision` (a cited requirement is not in force there),
    or None when it applies: a case judges its requirements together, so one rule of another
    revision makes the whole case belong to that revision."""
    for req in case.get("requirements", []):
        entry = requirements.get(req)
        if entry is not None and not revisions.applies(entry, revision):
            return "the case cites %s (%s), which is not in force at revision %s" % (
                req, revisions.label(entry), revision)
    return None


def plan_case(case: dict, profile: str, manifest, revision: str = None,
              requirements: dict = None) -> tuple:
    """Returns (config, None) for a case to run, or (None, (verdict, reason)) for one that is
    unsupported by the IUT, not applicable to its fixed configuration, or (with `revision`
    and `requirements`) belongs to another protocol revision."""
    bit = profile_bit(profile)
    wanted = "uds" if bit == 1 else "shm"
    if wanted not in case["on"] or (case.get("profile_bits") and not bit & case["profile_bits"]):
        return None, ("skip", "case does not run on profile %s" % profile)
    if revision is not None:
        if not manifest.claims(revision):
            return None, ("not-applicable", manifest.unclaimed_reason(revision))
        gap = revision_gap(case, revision, requirements or {})
        if gap:
            # The third item marks a case of the other revision: not a decline of the IUT.
            return None, ("not-applicable", gap, "other-revision")
    role = case["role"]
    caps = manifest.capabilities
    case_platform = case.get("platform", "both")
    if case_platform not in ("both", family_of(manifest)):
        return None, ("not-applicable", "the case observes %s objects; %s runs on %s"
                      % (case_platform, manifest.name, family_of(manifest)))
    if not manifest.supports(role):
        return None, ("unsupported", "the implementation does not play the %s role" % role)
    if bit not in caps.profiles:
        return None, ("unsupported", "the implementation does not support profile %s" % profile)
    needs = dict(case["needs"])
    long_run_dir = needs.pop("long_run_dir", False)
    config = run_defaults(role, profile)
    config.update(needs)
    if case.get("service_neutral") and config["service_kind"] not in caps.service_kinds:
        # The case checks no particular service: it runs with the IUT's own.
        fixed_kind = manifest.fixed_for(role).get("service_kind")
        config["service_kind"] = fixed_kind or (caps.service_kinds[0] if caps.service_kinds
                                                else config["service_kind"])
    if case.get("service_neutral") and role == "client" and "scenario" not in needs and \
            config["scenario"] not in caps.scenarios:
        # Nor any particular client scenario: the client's own request is as good as any.
        fixed_scenario = manifest.fixed_for(role).get("scenario")
        config["scenario"] = fixed_scenario or (caps.scenarios[0] if caps.scenarios
                                                else config["scenario"])
    if config["service_kind"] not in caps.service_kinds:
        return None, ("unsupported", "the implementation does not serve %s" % config["service_kind"])
    if role == "client" and config["scenario"] not in caps.scenarios:
        return None, ("unsupported", "the implementation's client has no scenario %s" % config["scenario"])
    if case.get("service_neutral"):
        needs.pop("service_kind", None)
    ok, reason = manifest.applicable(needs, role)
    if not ok:
        return None, ("not-applicable", reason)
    if long_run_dir and not caps.configurable:
        return None, ("not-applicable", "needs a long run directory; the implementation's is fixed")
    config = manifest.effective_config(config, role)
    config["long_run_dir"] = long_run_dir
    return config, None


def format_value(key: str, value) -> str:
    if key in ("profiles", "preferred") and isinstance(value, int):
        return "0x%02x" % value
    return str(value)


def new_tokens(fixed: dict):
    token = fixed.get("auth_token")
    if token is not None:
        token = int(str(token), 0)
    while True:
        mine = token if token is not None else secrets.randbits(64)
        other = secrets.randbits(64)
        if mine not in (0, 2 ** 64 - 1) and other not in (0, mine, 2 ** 64 - 1):
            return mine, other


# ---------------------------------------------------------------------------------------
# Running one case.

class Runner:
    def __init__(self, manifest, peer, timeout_scale=1.0, env=None, keep_dirs=False,
                 revision: str = revisions.DEFAULT):
        """`peer`: the peer binary, or its command line (launcher first). `revision`: the
        protocol revision judged: cases of other revisions are not applicable, the peer and
        the IUT ({spec_revision}) are told which one applies."""
        self.manifest = manifest
        self.revision = revisions.check(revision)
        self.requirements = spec_index.load_index()[1]
        self.peer = [str(p) for p in peer] if isinstance(peer, (list, tuple)) else [str(peer)]
        self.launched = len(self.peer) > 1
        # Under a launcher (wine) process start-up and every step are slower.
        self.timeout_scale = timeout_scale * (LAUNCHER_TIMEOUT_SCALE if self.launched else 1.0)
        self.env = peer_env(env)
        self.keep_dirs = keep_dirs

    def is_shim(self, role: str) -> bool:
        """The implementation follows the shim contract in this role (SHIM-READY-001 readiness,
        SHIM-EXIT-001 exit codes): then its exit codes and result lines are judged too."""
        if role == "server":
            return self.manifest.server.ready == "line" and self.manifest.server.ready_pattern == "^READY"
        return self.manifest.client.success == "exit-code"

    def run(self, case: dict, profile: str, config: dict = None) -> dict:
        """Runs one case on one profile and returns the peer's result (verdict, failures,
        exchange, iut) with the plan it ran: `config` (the IUT configuration) and
        `peer_command` (the peer's command line). `config` replaces the planned
        configuration (a repro bundle's); the case must still be playable."""
        planned, skip = plan_case(case, profile, self.manifest, self.revision, self.requirements)
        config = dict(config) if config is not None and not skip else planned
        base = {"case": case["id"], "profile": profile, "role": case["role"],
                "chapter": case["chapter"], "title": case["title"],
                "requirements": case["requirements"], "platform": self.manifest.platform,
                "spec_revision": self.revision}
        if skip:
            extra = {"other_revision": True} if skip[2:] == ("other-revision",) else {}
            return dict(base, verdict=skip[0], reason=skip[1], seconds=0.0, failures=[], **extra)
        base["config"] = dict(config)
        run_dir = tempfile.mkdtemp(prefix="nipc-cf-", dir=host.short_temp_dir())
        try:
            values = dict(config)
            values["run_dir"] = run_dir
            if values.pop("long_run_dir"):
                values["run_dir"] = os.path.join(run_dir, "d" * 100)
                os.mkdir(values["run_dir"])
            values.setdefault("service", "svc")
            values["spec_revision"] = self.revision
            token, other = new_tokens(self.manifest.fixed_for(case["role"]))
            values["auth_token"] = token
            strings = {k: format_value(k, v) for k, v in values.items()}
            argv = iut_argv(self.manifest, case["role"], strings)
            peer_config = {k: values[k] for k in ("run_dir", "service", "auth_token") if k in values}
            peer_config.update({k: int(str(values[k]), 0) if k in INT_KEYS else values[k]
                                for k in CONFIG_KEYS if k in values and k != "service"})
            peer_config["other_token"] = other
            peer_config["spec_revision"] = self.revision
            cmd = self.peer + ["run", "--case", case["id"], "--profile", profile,
                   "--config", json.dumps(peer_config), "--timeout-scale", str(self.timeout_scale)]
            server, client = self.manifest.server, self.manifest.client
            if self.is_shim(case["role"]):
                cmd.append("--shim")
            if case["role"] == "server":
                cmd += ["--ready", server.ready, "--ready-pattern", server.ready_pattern,
                        "--ready-delay-ms", str(server.ready_delay_ms),
                        "--ready-timeout-ms", str(server.ready_timeout_ms)]
                if server.sessions == "one":
                    cmd.append("--one-session")
            else:
                cmd += ["--client-success", client.success,
                        "--client-success-pattern", client.success_pattern or "^$"]
            cmd += ["--", *argv]
            base["peer_command"] = list(cmd)
            start = time.monotonic()
            # The peer starts the IUT with its own environment: the manifest's env goes there.
            spec = server if case["role"] == "server" else client
            env = dict(self.env, **spec.env) if spec.env else self.env
            try:
                out = run_peer(cmd, env, 120 * self.timeout_scale)
            except subprocess.TimeoutExpired:
                return dict(base, verdict="timeout", reason="the peer did not finish the case",
                            seconds=time.monotonic() - start, failures=[])
            except OSError as e:
                return dict(base, verdict="error", seconds=time.monotonic() - start, failures=[],
                            error_class="environment",
                            reason="environment: cannot start the peer (%s): %s" % (self.peer[0], e))
            lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
            if out.returncode != 0 or not lines:
                # Under a launcher, a peer that printed no verdict never ran the case: the
                # launcher (wine) failed, which says nothing about the implementation.
                env_error = self.launched
                return dict(base, verdict="error", seconds=time.monotonic() - start, failures=[],
                            error_class="environment" if env_error else "harness",
                            reason="%snipc-peer exited %d: %s" % (
                                "environment: " if env_error else "", out.returncode,
                                out.stderr.strip()[-500:] or "nothing on stderr"))
            result = json.loads(lines[-1])
            result.update(base)
            result["command"] = argv
            if result.get("verdict") == "error":
                result.setdefault("error_class", "harness")
            return result
        finally:
            if not self.keep_dirs:
                shutil.rmtree(run_dir, ignore_errors=True)


def run_peer(cmd, env, timeout):
    """Runs the peer with its output in files, not pipes: a launcher may leave background
    processes behind (wine's services) that inherit the output and would keep a pipe open
    long after the peer has exited."""
    # The peer is registered with the run's children (procs): a stop kills it and whatever
    # it started, and a timeout leaves nothing running.
    with tempfile.TemporaryFile("w+b") as out, tempfile.TemporaryFile("w+b") as err:
        code = procs.run_registered(cmd, env=env, timeout=timeout, stdout=out, stderr=err)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(cmd, code, _peer_text(out), _peer_text(err))


def _peer_text(f, limit=8 << 20):
    """The peer's output (bounded: it prints one verdict line of bounded size)."""
    data = f.read(limit)
    return data.decode("utf-8", "backslashreplace")


def apply_levels(result: dict, levels: dict):
    """A case whose only broken requirements are SHOULDs passes with warnings
    (spec/overview.md: SHOULD failure = warning)."""
    failures = result.get("failures", [])
    result["warnings"] = []
    if result["verdict"] in ("fail", "timeout") and failures and all(
            levels.get(f["requirement"]) == "SHOULD" for f in failures):
        result["warnings"] = failures
        result["failures"] = []
        result["verdict"] = "pass"
    return result


def message_of(result: dict) -> str:
    """The headline of a result, as visible text (IUT-supplied text may hold escape codes)."""
    if result.get("failures"):
        f = result["failures"][0]
        return textsafe.visible("%s: %s" % (f["requirement"], f["message"]), one_line=True)
    return textsafe.visible(result.get("reason", ""), one_line=True)


# ---------------------------------------------------------------------------------------
# Requirement coverage: every MUST binding a client or server has a case or a reason.

def load_untestable(path: Path = UNTESTABLE) -> dict:
    doc = tomllib.loads(path.read_text())
    if set(doc) != {"reasons"}:
        raise ValueError("%s: expected exactly one [reasons] table" % path)
    return doc["reasons"]


def coverage(catalogue, requirements: dict, untestable: dict):
    """Returns (report dict, problems list)."""
    problems = []
    cited = {}
    for case in catalogue:
        for req in case["requirements"]:
            if req not in requirements:
                problems.append("case %s cites unknown requirement %s" % (case["id"], req))
            cited.setdefault(req, []).append(case["id"])
    binding = sorted(r for r, e in requirements.items()
                     if e["level"] == "MUST" and set(e["roles"]) & BINDING_ROLES)
    with_cases = [r for r in binding if r in cited]
    for req, reason in untestable.items():
        if req not in requirements:
            problems.append("untestable list names unknown requirement %s" % req)
        elif req in cited:
            problems.append("%s is listed as untestable but cases %s cite it" % (req, cited[req]))
        elif not isinstance(reason, str) or len(reason.strip()) < 20:
            problems.append("%s: the untestable reason must say why (a sentence)" % req)
    missing = [r for r in binding if r not in cited and r not in untestable]
    for req in missing:
        problems.append("%s (MUST, %s) has no case and no untestable reason"
                        % (req, ",".join(requirements[req]["roles"])))
    report = {"binding_must": len(binding), "with_cases": len(with_cases),
              "untestable": len([r for r in binding if r in untestable]), "missing": missing,
              "cited_total": len(cited)}
    return report, problems


def check_coverage(peer: Path) -> int:
    _, requirements = spec_index.load_index()
    report, problems = coverage(load_catalogue(peer), requirements, load_untestable())
    print("conformance coverage: %d MUST requirements bind a client or server; %d have cases, "
          "%d are listed as not testable black-box" % (report["binding_must"], report["with_cases"],
                                                       report["untestable"]))
    for p in problems:
        print("  PROBLEM: " + p)
    return 1 if problems else 0


# ---------------------------------------------------------------------------------------
# The catalogue run.

def selected_cases(catalogue, args):
    pattern = re.compile(args.case) if args.case else None
    out = []
    for case in catalogue:
        if args.role and case["role"] != args.role:
            continue
        if pattern and not pattern.search(case["id"]):
            continue
        out.append(case)
    return out


def run_all(runner: Runner, cases, profiles, jobs: int, levels: dict, quiet=False, select=None):
    """Runs every case on every profile (only the pairs `select(case, profile)` accepts, when
    given) `jobs` at a time; returns their results in that order."""
    work = [(c, p) for p in profiles for c in cases if select is None or select(c, p)]
    results = [None] * len(work)
    lock = threading.Lock()
    done = [0]
    width = len(str(len(work)))

    def one(i):
        case, profile = work[i]
        if procs.stopping():
            return None  # the run is stopping: this case never runs
        try:
            r = apply_levels(runner.run(case, profile), levels)
        except procs.Interrupted:
            return None
        if procs.stopping():
            return None  # ended under the stop: its processes were killed, not judged
        with lock:
            done[0] += 1
            results[i] = r
            if not quiet and r["verdict"] != "skip":
                extra = "" if r["verdict"] == "pass" and not r["warnings"] else "  " + message_of(r)[:160]
                if r["warnings"]:
                    extra = "  warning: " + r["warnings"][0]["requirement"] + ": " + r["warnings"][0]["message"][:120]
                print("[%*d/%d] %-14s %-10s %-44s %5.2fs%s" % (
                    width, done[0], len(work), r["verdict"], profile, case["id"],
                    r.get("seconds", 0.0), extra), flush=True)
        return r

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs))
    # `./cts conformance` on the main thread: SIGTERM and SIGHUP stop it like Ctrl-C (under
    # `./cts run`, on a worker thread, nothing is installed: the run handles signals).
    restore = host.install_stop_signals(_interrupt)
    try:
        list(pool.map(one, range(len(work))))
    except BaseException:  # Ctrl-C: stop the peers (and their IUTs) before waiting for them
        procs.request_stop()
        procs.stop_all(grace=0.0)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        restore()
    pool.shutdown(wait=True)
    if procs.stopping():
        raise procs.Interrupted(
            rows=[r for r in results if r is not None and r["verdict"] != "skip"],
            not_run=["%s [%s]" % (work[i][0]["id"], work[i][1])
                     for i, r in enumerate(results) if r is None])
    return [r for r in results if r["verdict"] != "skip"]


def _interrupt():
    raise KeyboardInterrupt


def summarize(results, catalogue, coverage_report, seconds, title):
    verdicts = {}
    for r in results:
        verdicts[r["verdict"]] = verdicts.get(r["verdict"], 0) + 1
    warnings = sum(1 for r in results if r.get("warnings"))
    per_chapter = {}
    for case in catalogue:
        key = (case["chapter"], case["role"])
        per_chapter[key] = per_chapter.get(key, 0) + 1
    print("\n== %s ==" % title)
    print("cases in the catalogue by chapter and IUT role:")
    for chapter in sorted({k[0] for k in per_chapter}):
        print("  %-16s server %3d   client %3d" % (chapter, per_chapter.get((chapter, "server"), 0),
                                                   per_chapter.get((chapter, "client"), 0)))
    print("  %-16s server %3d   client %3d   total %d" % (
        "all", sum(v for k, v in per_chapter.items() if k[1] == "server"),
        sum(v for k, v in per_chapter.items() if k[1] == "client"), len(catalogue)))
    if coverage_report:
        print("requirement coverage: %d of %d client/server MUST requirements have cases, %d are "
              "not testable black-box" % (coverage_report["with_cases"], coverage_report["binding_must"],
                                          coverage_report["untestable"]))
    print("verdicts: " + ", ".join("%s %d" % (k, v) for k, v in sorted(verdicts.items())) +
          (" (%d passed with warnings)" % warnings if warnings else ""))
    for r in results:
        if r["verdict"] in KILLING:
            print("  %-8s %-10s %s  %s" % (r["verdict"].upper(), r["profile"], r["case"], message_of(r)[:200]))
    print("wall time: %.1f s" % seconds)
    return verdicts


def run_catalogue(manifest, role: str, run_base=None, out_dir=None, jobs: int = 2,
                  revision: str = revisions.DEFAULT, select=None) -> list:
    """The whole catalogue for one IUT role, on every profile the manifest supports, as
    result rows of the shape the matrix runner and its reports use (ctslib.run), judged at
    protocol `revision`. The peer and the IUT's binaries come from the default build tree.
    `select(row_id, profile)`, when given, must be true for a case to run on a profile (the
    run's filters)."""
    del run_base  # each case makes its own short-lived run dir
    peer = peer_command(manifest)
    cases = [c for c in load_catalogue(peer) if c["role"] == role]
    profiles = [p for p, bit in run_profiles(manifest).items() if bit in manifest.capabilities.profiles]
    _, requirements = spec_index.load_index()
    levels = {k: v["level"] for k, v in requirements.items()}
    prefix = "conformance/%s/%s/" % (manifest.name, role)
    try:
        results = run_all(Runner(manifest, peer, revision=revision), cases, profiles, jobs, levels, quiet=True,
                          select=None if select is None else
                          (lambda c, p: select(prefix + p + "/" + c["id"], p)))
    except procs.Interrupted as stop:  # keep the cases that finished, name those that did not
        raise procs.Interrupted(rows=catalogue_rows(manifest, role, stop.rows),
                                not_run=[prefix + x for x in stop.not_run])
    if out_dir is not None:
        write_reports(Path(out_dir) / "conformance" / manifest.name / role, manifest.name,
                      results, {"implementation": manifest.name, "role": role,
                                "profiles": profiles, "spec_revision": revision})
    return catalogue_rows(manifest, role, results)


def catalogue_rows(manifest, role: str, results) -> list:
    """Catalogue results as rows of the run's report (ctslib.run)."""
    rows = []
    for r in results:
        verdict = {"timeout": "fail"}.get(r["verdict"], r["verdict"])
        rows.append({
            "id": "conformance/%s/%s/%s/%s" % (manifest.name, role, r["profile"], r["case"]),
            "suite": "conformance.%s.%s" % (r["profile"], r["chapter"]),
            "name": r["case"], "verdict": verdict, "seconds": r.get("seconds", 0.0),
            "message": message_of(r), "requirements": list(r.get("requirements", [])),
            "platform": manifest.platform, "spec_revision": r.get("spec_revision"),
            **({"environment": True} if r.get("error_class") == "environment" else {}),
            "details": json.dumps({k: r.get(k) for k in ("title", "failures", "warnings",
                                                        "exchange", "iut", "command")},
                                  indent=1)[:200000]})
    return rows


def write_reports(out_dir: Path, name: str, results, extra: dict):
    rows = []
    for r in results:
        verdict = r["verdict"]
        rows.append({"suite": "conformance.%s.%s" % (r["profile"], r["chapter"]), "name": r["case"],
                     "verdict": "fail" if verdict == "timeout" else verdict,
                     "seconds": r.get("seconds", 0.0), "message": message_of(r),
                     "platform": r.get("platform"), "spec_revision": r.get("spec_revision"),
                     "details": json.dumps({k: r.get(k) for k in ("failures", "warnings", "exchange", "iut",
                                                                 "command")}, indent=1)[:200000]})
    junit.write_junit(out_dir / "junit.xml", "conformance " + name, rows)
    junit.write_json(out_dir / "results.json", dict(extra, results=results))


def ensure_built(args, targets) -> bool:
    if not getattr(args, "build", True) or args.build_dir:
        return True
    return build.configure_and_build(args.preset, targets)


def default_impl(args) -> str:
    if args.impl:
        return args.impl
    return str(WINDOWS_MANIFEST if args.platform == "windows" else paths.ROOT / "interop" / "reference.toml")


def ensure_built_for(args, manifest, targets) -> bool:
    """Builds `targets` in the tree the manifest runs from (its own preset for Windows)."""
    if family_of(manifest) == "windows":
        if not getattr(args, "build", True) or args.build_dir:
            return True
        return build.configure_and_build(manifest.build, targets)
    return ensure_built(args, targets)


def check_profiles(manifest, profiles) -> bool:
    names = run_profiles(manifest)
    bad = [p for p in profiles if p not in names]
    if bad:
        print("cts conformance: profile %s is not a %s profile (use %s)"
              % (", ".join(bad), family_of(manifest), ", ".join(names)), file=sys.stderr)
    return not bad


def cmd_conformance(args) -> int:
    if args.mutants:
        return cmd_mutants(args)
    if args.check_coverage:
        if not ensure_built(args, ["nipc-peer"]):
            return 1
        return check_coverage(peer_binary(build_tree(args)))
    tree = Path(args.build_dir) if args.build_dir else None
    manifest = load_manifest(default_impl(args), tree)
    if not ensure_built_for(args, manifest, ["nipc-peer", "nipc-ref"]):
        return 1
    if not manifest_mod.report_missing_programs([manifest], "cts conformance"):
        return 2
    peer = peer_command(manifest, tree)
    try:
        catalogue = load_catalogue(peer)
    except (OSError, subprocess.CalledProcessError, ValueError) as e:
        print("cts conformance: environment: cannot list the catalogue with %s: %s"
              % (" ".join(peer), e), file=sys.stderr)
        return 1
    cases = selected_cases(catalogue, args)
    if not cases:
        print("cts conformance: no case matches", file=sys.stderr)
        return 2
    profiles = args.profile or [p for p, bit in run_profiles(manifest).items()
                                if bit in manifest.capabilities.profiles]
    if not check_profiles(manifest, profiles):
        return 2
    _, requirements = spec_index.load_index()
    levels = {k: v["level"] for k, v in requirements.items()}
    cov, _ = coverage(catalogue, requirements, load_untestable())
    manifest.run_revision = args.spec_revision
    runner = Runner(manifest, peer, args.timeout_scale, keep_dirs=args.keep_dirs,
                    revision=args.spec_revision)
    start = time.monotonic()
    results = run_all(runner, cases, profiles, args.jobs, levels, quiet=args.quiet)
    seconds = time.monotonic() - start
    if declines.is_reference(default_impl(args)):
        section = "conformance" if family_of(manifest) == "posix" else "conformance-windows"
        declines.hold(results, declines.load()[section], lambda r: r["case"], "conformance")
    verdicts = summarize(results, catalogue, cov, seconds,
                         "conformance of %s (%s)" % (manifest.name, ", ".join(profiles)))
    out_dir = Path(args.out) if args.out else paths.OUT / "conformance" / manifest.name
    write_reports(out_dir, manifest.name, results,
                  {"implementation": manifest.name, "platform": manifest.platform,
                   "profiles": profiles, "seconds": seconds, "verdicts": verdicts,
                   "coverage": cov})
    print("reports: %s" % out_dir)
    return 1 if any(r["verdict"] in KILLING for r in results) else 0


# ---------------------------------------------------------------------------------------
# Mutation sweep: each mutant of the reference must be killed by at least one case.

def load_mutants(path: Path = MUTANT_TABLE):
    """Name, requirement and description of every row of the mutant table (the mutant
    build's own copy of the reference applies the rest of each row)."""
    return [{"name": m["name"], "requirement": m["requirement"], "description": m["description"]}
            for m in tomllib.loads(path.read_text()).get("mutant", [])]


def load_survivors(path: Path = SURVIVORS) -> dict:
    if not path.exists():
        return {}
    doc = tomllib.loads(path.read_text())
    return doc.get("survivors", {})


def candidate_order(mutant, cases, profiles):
    """Cases citing the mutant's requirement first (they are meant to kill it), then the
    rest; UDS before shared memory."""
    rank = {p: i for i, p in enumerate(profiles)}
    pairs = [(c, p) for c in cases for p in profiles]
    return sorted(pairs, key=lambda cp: (mutant["requirement"] not in cp[0]["requirements"],
                                         rank[cp[1]], cp[0]["id"]))


def is_strict_kill(mutant, case, verdict) -> bool:
    """A kill the mutant's requirement explains: a fail or timeout of a case citing it. A
    harness error, or a failure of a case about another requirement, kills only incidentally."""
    return verdict in ("fail", "timeout") and mutant["requirement"] in case["requirements"]


def mutant_revision(mutant, requirements: dict) -> str:
    """The revision a mutant is swept at: the default one when its requirement is in force
    there, else the newest revision that requirement applies to (a seed-only rule's mutant is
    killed by the seed cases)."""
    entry = requirements.get(mutant["requirement"])
    if entry is None or revisions.applies(entry, revisions.DEFAULT):
        return revisions.DEFAULT
    return entry["until"] or entry["since"]


def sweep_one(mutant, cases, profiles, manifest, peer, timeout_scale, levels, exhaustive=False,
              listed=False, revision: str = revisions.DEFAULT):
    """Runs cases against one mutant until one kills it strictly (is_strict_kill). Cases citing
    the mutant's requirement run first; when none of them kills it, the first incidental kill
    (an error, or a case about another requirement) ends the sweep. A mutant listed as a
    survivor is tried only against the cases citing its requirement: enough to notice when it
    becomes killable, without running the whole catalogue for a known outcome."""
    if listed:
        cases = [c for c in cases if mutant["requirement"] in c["requirements"]]
    env = dict(os.environ, NIPC_MUTANT=mutant["name"])
    runner = Runner(manifest, peer, timeout_scale, env=env, revision=revision)
    tried = 0
    kills, incidental = [], []
    start = time.monotonic()
    for case, profile in candidate_order(mutant, cases, profiles):
        if incidental and not exhaustive and mutant["requirement"] not in case["requirements"]:
            break  # every citing case has run: no strict kill is left to find
        config, skip = plan_case(case, profile, manifest)
        if skip:
            continue
        tried += 1
        r = apply_levels(runner.run(case, profile), levels)
        if r["verdict"] in KILLING:
            kill = {"case": case["id"], "profile": profile, "verdict": r["verdict"],
                    "message": message_of(r)}
            if is_strict_kill(mutant, case, r["verdict"]):
                kills.append(kill)
                if not exhaustive:
                    break
            else:
                incidental.append(kill)
    return {"mutant": mutant["name"], "requirement": mutant["requirement"],
            "description": mutant["description"], "killed": bool(kills or incidental),
            "strict": bool(kills), "killed_by": kills + incidental, "strict_kills": kills,
            "incidental_kills": incidental, "cases_run": tried,
            "seconds": time.monotonic() - start}


def mutants_of_family(mutants, family: str):
    """The mutants a sweep of `family` must kill: a mutant whose requirement is a WIN-* ID
    lives in the Windows transports (and their names), every other one in the code the POSIX
    build runs."""
    return [m for m in mutants if m["requirement"].startswith("WIN-") == (family == "windows")]


def cmd_mutants(args) -> int:
    tree = Path(args.build_dir) if args.build_dir else None
    manifest = load_manifest(default_impl(args), tree)
    family = family_of(manifest)
    if not ensure_built_for(args, manifest, ["nipc-peer", "nipc-ref", "nipc-ref-mutants"]):
        return 1
    mtree = manifest_tree(manifest, tree)
    peer = peer_command(manifest, tree)
    swap_binary(manifest, mtree / (str(NIPC_REF) + manifest_mod.EXE_SUFFIX[family]),
                mutants_binary(mtree, family))
    try:
        catalogue = load_catalogue(peer)
    except (OSError, subprocess.CalledProcessError, ValueError) as e:
        print("cts conformance: environment: cannot list the catalogue with %s: %s"
              % (" ".join(peer), e), file=sys.stderr)
        return 1
    cases = selected_cases(catalogue, args)
    profiles = args.profile or (["uds", "shm-hybrid"] if family == "posix"
                                else list(run_profiles(manifest)))
    if not check_profiles(manifest, profiles):
        return 2
    mutants = mutants_of_family(load_mutants(), family)
    if args.mutant:
        mutants = [m for m in mutants if re.search(args.mutant, m["name"])]
    survivors_ok = load_survivors()
    _, requirements = spec_index.load_index()
    levels = {k: v["level"] for k, v in requirements.items()}
    start = time.monotonic()
    rows = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(sweep_one, m, cases, profiles, manifest, peer, args.timeout_scale,
                               levels, listed=m["name"] in survivors_ok,
                               revision=mutant_revision(m, requirements)): m for m in mutants}
        for fut in concurrent.futures.as_completed(futures):
            row = fut.result()
            rows.append(row)
            if row["killed"]:
                k = row["killed_by"][0]
                print("%-9s %-32s by %s [%s] %s after %d case(s), %.1fs" % (
                    "killed" if row["strict"] else "incident", row["mutant"], k["case"], k["profile"],
                    k["verdict"], row["cases_run"], row["seconds"]), flush=True)
            else:
                listed = row["mutant"] in survivors_ok
                print("%-9s %-32s %d cases, none failed%s" % (
                    "SURVIVED" if not listed else "survived", row["mutant"], row["cases_run"],
                    " (listed: %s)" % survivors_ok[row["mutant"]] if listed else ""), flush=True)
    rows.sort(key=lambda r: r["mutant"])
    seconds = time.monotonic() - start
    killed = sum(r["killed"] for r in rows)
    strict = sum(r["strict"] for r in rows)
    # The gate is strict: a mutant only killed incidentally is as unexplained as a survivor.
    unexplained = [r["mutant"] for r in rows if not r["strict"] and r["mutant"] not in survivors_ok]
    score = 100.0 * killed / len(rows) if rows else 0.0
    strict_score = 100.0 * strict / len(rows) if rows else 0.0
    print("\n== mutation score (%s): strict %d of %d (%.1f%%), loose %d of %d (%.1f%%), %.1f s ==" % (
        family, strict, len(rows), strict_score, killed, len(rows), score, seconds))
    print("strict: killed by a fail or timeout of a case citing the mutant's requirement; "
          "loose: also by a harness error or a case about another requirement")
    for r in rows:
        if r["killed"] and not r["strict"]:
            k = r["incidental_kills"][0]
            print("  INCIDENTAL %-32s (%s) only by %s [%s] %s: %s" % (
                r["mutant"], r["requirement"], k["case"], k["profile"], k["verdict"], k["message"][:120]))
    for name in unexplained:
        print("  %s without a listed reason: %s" % (
            "ONLY INCIDENTALLY KILLED" if next(r for r in rows if r["mutant"] == name)["killed"]
            else "SURVIVOR", name))
    out_dir = Path(args.out) if args.out else paths.OUT / "conformance" / (
        "mutants" if family == "posix" else "mutants-" + family)
    junit.write_json(out_dir / "mutants.json", {"score": score, "killed": killed,
                                                "strict_score": strict_score, "strict_killed": strict,
                                                "incidental": [r["mutant"] for r in rows
                                                               if r["killed"] and not r["strict"]],
                                                "total": len(rows), "seconds": seconds,
                                                "platform": manifest.platform, "mutants": rows})
    junit.write_junit(out_dir / "junit.xml", "mutants", [
        {"suite": "conformance.mutants", "name": r["mutant"],
         "verdict": "pass" if r["strict"] or r["mutant"] in survivors_ok else "fail",
         "seconds": r["seconds"],
         "message": (("" if r["strict"] else "incidental: ") + r["killed_by"][0]["case"]
                     if r["killed"] else "survived"),
         "details": json.dumps(r, indent=1)} for r in rows])
    return 1 if unexplained else 0


def add_parser(sub):
    p = sub.add_parser("conformance", help="run the conformance catalogue against an implementation")
    p.add_argument("--impl", default=None,
                   help="implementation manifest (default: the reference of --platform)")
    p.add_argument("--platform", choices=["posix", "windows"], default="posix",
                   help="without --impl: test the POSIX reference or the Windows one (under wine); "
                        "with --mutants: sweep that platform's mutants")
    p.add_argument("--role", choices=["server", "client"], help="only cases with the IUT in this role")
    p.add_argument("--case", help="only case ids matching this regex")
    p.add_argument("--spec-revision", type=revisions.argparse_type, default=revisions.DEFAULT,
                   metavar="|".join(revisions.REVISIONS),
                   help="the protocol revision judged: cases citing rules of another revision "
                   "are not applicable (default %s; mutants are swept at the revision of "
                   "their requirement)" % revisions.DEFAULT)
    p.add_argument("--profile", action="append", choices=ALL_PROFILES,
                   help="run profile (repeatable; default: every profile the IUT supports): "
                        "uds, shm-hybrid, shm-futex on POSIX; pipe, shm-hybrid, shm-busywait on Windows")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="cases in parallel")
    p.add_argument("--timeout-scale", type=float, default=1.0,
                   help="stretch every step deadline (slow machines, sanitizers)")
    p.add_argument("--out", help="report directory (default out/conformance/<name>)")
    p.add_argument("--mutants", action="store_true",
                   help="mutation sweep: run the catalogue against every mutant of the reference")
    p.add_argument("--mutant", help="with --mutants: only mutants matching this regex")
    p.add_argument("--check-coverage", action="store_true",
                   help="only cross-check the catalogue against the requirement index")
    p.add_argument("--keep-dirs", action="store_true", help="keep each case's run directory")
    p.add_argument("--preset", default="default",
                   help="CMake preset whose build tree holds nipc-peer and the reference")
    p.add_argument("--build-dir", help="use this build tree instead of the preset's (implies --no-build)")
    p.add_argument("--quiet", action="store_true", help="no progress line per case")
    p.add_argument("--no-build", dest="build", action="store_false",
                   help="do not build the peer and the reference first")
    p.set_defaults(func=cmd_conformance)
