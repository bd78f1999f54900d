"""The interop matrix: every client implementation × every server implementation × every
profile both support × every scenario. One cell = one fresh server in its own run dir with
its own service name, one client run against it (through a recording relay), then the
server's stop and hygiene checks.

Cells are planned from the manifests alone; a cell one side cannot play is still a row
(unsupported, or not applicable with the fixed knob named), never silently dropped.
"""
import json
import os
import re
import shlex
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import hostplatform as host
from . import knobs, procs, textsafe
from .manifest import PROFILE_NAMES as FAMILY_PROFILE_NAMES, REQUEST_KNOBS
from .seqproxy import SeqProxy

# POSIX profile names (the default); Windows implementations use FAMILY_PROFILE_NAMES.
PROFILE_NAMES = FAMILY_PROFILE_NAMES["posix"]
# Every profile name a report can show, in display order.
ALL_PROFILE_NAMES = ("uds", "pipe", "shm-hybrid", "shm-futex", "shm-busywait")
AUTH_TOKEN = knobs.table()["run_auth_token"]

# Knob values when a cell does not need anything particular (spec/shim-knobs.json, column
# matrix: 0 asks each side for its own default).
DEFAULT_KNOBS = knobs.matrix_defaults()
# Knobs client and server must agree on but whose value is free: a fixed side decides.
SHARED_KNOBS = ("auth_token", "service")


@dataclass(frozen=True)
class Scenario:
    """One matrix scenario: the service the server offers, the client scenario it runs with
    its parameters, knobs both sides must accept, and the requirements it exercises."""
    id: str
    service_kind: str
    client_scenario: str
    params: dict = field(default_factory=dict)      # count/items/depth/size (client only)
    needs: dict = field(default_factory=dict)       # knob -> value, both sides
    requirements: tuple = ()
    fallback: tuple = ()   # (client scenario, params) when the client lacks client_scenario
    title: str = ""
    neutral: bool = False  # checks no particular service: runs with a kind both sides offer


SCENARIOS = (
    Scenario("handshake", "increment", "connect", {}, {},
             ("HS-FLOW-001", "HS-PROF-001", "HS-PROF-002", "HS-PKT-001", "HS-ACK-HDR-001",
              "HS-HELLO-HDR-001"),
             fallback=("single", {"count": 1}), title="HELLO / HELLO_ACK only", neutral=True),
    Scenario("single", "increment", "single", {"count": 50}, {},
             ("SESS-MSGID-003", "SESS-KIND-001", "ENV-ITEMS-001", "ENV-STATUS-001"),
             title="50 INCREMENT calls one after another"),
    Scenario("batch", "increment", "batch", {"count": 20, "items": 16}, {},
             ("BATCH-PRESENT-001", "BATCH-RESP-001", "BATCH-LAYOUT-001", "HS-BATCH-001"),
             title="20 batches of 16 INCREMENT items"),
    Scenario("pipeline", "increment", "pipeline", {"count": 200, "depth": 16}, {},
             ("SESS-PIPELINE-001", "SESS-MSGID-002", "SHM-ONEINFLIGHT-001"),
             title="200 INCREMENT calls, up to 16 in flight"),
    # Limits are explicit where a scenario outgrows 1024 bytes, the default request and
    # response limit of some implementations (HS-REQ-001): the cell judges chunking and
    # transport, not a default that the L2 overflow recovery would otherwise grow.
    Scenario("large", "string-reverse", "large", {"count": 3, "size": 20000},
             {"packet_size": 4096, "max_request_payload": 65536,
              "max_response_payload": 1048576},
             ("CHUNK-SPLIT-001", "CHUNK-HDR-001", "CHUNK-COUNT-001", "CHUNK-TOTAL-001",
              "CHUNK-NOINTERLEAVE-001", "CHUNK-SCOPE-001"),
             title="3 STRING_REVERSE messages of 20000 bytes over 4096-byte packets"),
    Scenario("string-reverse", "string-reverse", "single", {"count": 40}, {},
             ("SVC-KIND-001", "SESS-MSGID-003"), title="40 STRING_REVERSE calls"),
    Scenario("echo", "echo", "single", {"count": 64}, {},
             ("SVC-KIND-001",), title="64 calls to an echo service"),
    Scenario("snapshot", "cgroups-snapshot", "snapshot", {"count": 3},
             {"snapshot_items": 16, "snapshot_seed": 1, "max_response_payload": 65536},
             ("SVC-KIND-001", "SVC-BUSINESS-001"), title="cgroups snapshot, 16 items"),
    Scenario("snapshot-many", "cgroups-snapshot", "snapshot", {"count": 3},
             {"snapshot_items": 1000, "snapshot_seed": 7, "max_response_payload": 1048576},
             ("SVC-KIND-001", "CHUNK-SPLIT-001", "SHM-SIZE-001"),
             title="cgroups snapshot, 1000 items"),
)
SCENARIO_BY_ID = {s.id: s for s in SCENARIOS}

PROFILE_REQUIREMENTS = {
    0x01: ("UDS-SOCK-001", "UDS-PATH-001"),
    0x02: ("SHM-PATH-001", "SHM-ATTACH-001", "SHM-PUB-001", "SHM-CONSUME-001",
           "PROF-LOCK-001", "SHM-SOCKET-001"),
    0x04: ("SHM-PATH-001", "SHM-ATTACH-001", "SHM-PUB-001", "SHM-CONSUME-001",
           "PROF-LOCK-001", "PROF-FUTEX-001"),
}
HYGIENE_REQUIREMENTS = {0x01: ("UDS-CLOSE-001",), 0x02: ("UDS-CLOSE-001", "SHM-CLEAN-001"),
                        0x04: ("UDS-CLOSE-001", "SHM-CLEAN-001")}
# The same per profile for Windows transports (spec/transport-windows.md).
WINDOWS_PROFILE_REQUIREMENTS = {
    0x01: ("WIN-PIPE-NAME-001", "WIN-PIPE-MODE-001", "WIN-PIPE-CONNECT-001", "WIN-PKT-001"),
    0x02: ("WIN-PIPE-NAME-001", "WIN-SHM-NAME-001", "WIN-SHM-CREATE-001", "WIN-SHM-ATTACH-001",
           "WIN-SHM-PUB-001", "WIN-PROF-001"),
    0x04: ("WIN-PIPE-NAME-001", "WIN-SHM-NAME-001", "WIN-SHM-CREATE-001", "WIN-SHM-ATTACH-001",
           "WIN-SHM-PUB-001", "WIN-SHM-BUSYWAIT-001", "WIN-PROF-001"),
}
WINDOWS_HYGIENE_REQUIREMENTS = {0x01: (), 0x02: ("WIN-SHM-CLOSE-001",),
                                0x04: ("WIN-SHM-CLOSE-001",)}


@dataclass
class Cell:
    client: object      # Manifest
    server: object      # Manifest
    profile: int
    scenario: Scenario
    verdict: str = ""   # pre-decided: unsupported / not-applicable
    message: str = ""
    client_scenario: str = ""
    params: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    note: str = ""
    environment: bool = False  # the verdict is an environment error (a launcher failed)

    @property
    def id(self):
        return cell_id(self.client.name, self.server.name, self.profile, self.scenario.id,
                       _family(self.server))

    @property
    def profile_name(self):
        """The profile as the server's platform names it (a cell runs over its transport)."""
        return FAMILY_PROFILE_NAMES[_family(self.server)][self.profile]

    @property
    def platform(self):
        """The platform of the cell: one name, or "client/server" when they differ."""
        c, s = _platform(self.client), _platform(self.server)
        return c if c == s else "%s/%s" % (c, s)


def _platform(m):
    return getattr(m, "platform", "linux")


def _family(m):
    return getattr(m, "family", "posix")


def cell_id(client, server, profile, scenario, family="posix"):
    return "matrix/%s/%s/%s/%s" % (client, server, FAMILY_PROFILE_NAMES[family][profile],
                                   scenario)


def slug(case_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "__", case_id)


def _resolve(cell: Cell):
    """Decides what a cell runs and whether it can: fills client_scenario, params and the
    knob config, or sets verdict to unsupported / not-applicable with the reason."""
    c, s, sc = cell.client, cell.server, cell.scenario
    if sc.neutral:
        sc = _with_common_kind(sc, c, s)
        cell.scenario = sc
    # POSIX and Windows implementations share no transport (sockets and SHM files on one side,
    # named pipes and kernel objects on the other).
    if _family(c) != _family(s):
        cell.verdict = "not-applicable"
        cell.message = ("client %s runs on %s and server %s on %s: no shared transport"
                        % (c.name, _platform(c), s.name, _platform(s)))
        return cell
    # A side fixed at another service kind cannot play the scenario whatever it supports.
    for role, m in (("client", c), ("server", s)):
        ok, why = m.applicable({"service_kind": sc.service_kind}, role)
        if not ok:
            cell.verdict, cell.message = "not-applicable", "%s %s %s" % (role, m.name, why)
            return cell
    missing = []
    if sc.service_kind not in s.capabilities.service_kinds:
        missing.append("server %s does not offer the %s service" % (s.name, sc.service_kind))
    if sc.service_kind not in c.capabilities.service_kinds:
        missing.append("client %s does not speak the %s service" % (c.name, sc.service_kind))
    scenario, params = sc.client_scenario, dict(sc.params)
    if scenario not in c.capabilities.scenarios:
        own = c.fixed_for("client").get("scenario") or (c.capabilities.scenarios or [None])[0]
        if sc.fallback and sc.fallback[0] in c.capabilities.scenarios:
            scenario, params = sc.fallback[0], dict(sc.fallback[1])
            cell.note = "client has no %r scenario; ran %r with %s instead" % (
                sc.client_scenario, scenario, params)
        elif sc.neutral and own:
            # Every session starts with the handshake: the client's own scenario shows it.
            scenario, params = own, {"count": 1}
            cell.note = "client has no %r scenario; ran its own %r once instead" % (
                sc.client_scenario, scenario)
        else:
            missing.append("client %s does not run the %r scenario" % (c.name, scenario))
    if missing:
        cell.verdict, cell.message = "unsupported", "; ".join(missing)
        return cell
    cell.client_scenario, cell.params = scenario, params

    needs = dict(sc.needs, service_kind=sc.service_kind, profiles=hex(cell.profile))
    if sc.service_kind == "cgroups-snapshot" and _same_fixed_snapshot(c, s):
        # Both sides hold the same fixed snapshot content: it stands in for the generator's.
        needs.pop("snapshot_items", None)
        needs.pop("snapshot_seed", None)
    shared = {}
    for knob in SHARED_KNOBS:
        values = {m.fixed_for(role)[knob] for role, m in (("client", c), ("server", s))
                  if knob in m.fixed_for(role)}
        if len(values) > 1:
            cell.verdict = "not-applicable"
            cell.message = "client and server are fixed at different %s values (%s)" % (
                knob, " vs ".join(sorted(str(v) for v in values)))
            return cell
        if values:
            shared[knob] = values.pop()
    for role, m in (("client", c), ("server", s)):
        ok, why = m.applicable({k: v for k, v in needs.items()
                                if not (k == "profiles" and _profile_ok(m, cell.profile, role))},
                               role)
        if not ok:
            cell.verdict, cell.message = "not-applicable", "%s %s %s" % (role, m.name, why)
            return cell
    config = dict(DEFAULT_KNOBS)
    config.update({k: str(v) for k, v in needs.items()})
    config.update({k: str(v) for k, v in shared.items()})
    config.setdefault("auth_token", AUTH_TOKEN)
    config["scenario"] = scenario
    config.update({k: str(v) for k, v in params.items()})
    cell.config = config
    own = {k: v for k, v in c.fixed_for("client").items() if k in REQUEST_KNOBS
           and str(v) != str(config.get(k, v))}
    if own:
        fixed_note = "client is fixed at %s (the scenario asks %s)" % (
            ", ".join("%s=%s" % kv for kv in sorted(own.items())),
            ", ".join("%s=%s" % (k, config[k]) for k in sorted(own)))
        cell.note = "; ".join(x for x in (cell.note, fixed_note) if x)
    return cell


def _kinds(m, role):
    fixed = m.fixed_for(role).get("service_kind")
    return [fixed] if fixed else list(m.capabilities.service_kinds)


def _with_common_kind(sc, c, s):
    """A service-neutral scenario with a service kind both sides offer: its own kind when they
    do, else the first common one (the cell id stays the scenario's)."""
    common = [k for k in _kinds(s, "server") if k in _kinds(c, "client")]
    if not common or sc.service_kind in common:
        return sc
    import dataclasses
    return dataclasses.replace(sc, service_kind=common[0])


def _same_fixed_snapshot(c, s):
    a, b = c.fixed_for("client").get("snapshot"), s.fixed_for("server").get("snapshot")
    return bool(a) and a == b


def _profile_ok(m, profile, role=None):
    """A fixed profile mask that includes the cell's profile can still play it (the other
    side, offering only that profile, forces the selection)."""
    fixed = m.fixed_for(role).get("profiles")
    if fixed is None:
        return True
    try:
        return bool(int(str(fixed), 0) & profile)
    except ValueError:
        return False


def plan(manifests, scenarios=None):
    """Every cell for these manifests, sorted by id (stable across runs)."""
    scenarios = scenarios or SCENARIOS
    clients = [m for m in manifests if m.supports("client")]
    servers = [m for m in manifests if m.supports("server")]
    cells = []
    for c in clients:
        for s in servers:
            common = [p for p in sorted(PROFILE_NAMES) if p in c.capabilities.profiles
                      and p in s.capabilities.profiles]
            for p in common:
                for sc in scenarios:
                    cells.append(_resolve(Cell(client=c, server=s, profile=p, scenario=sc)))
    cells.sort(key=lambda cell: cell.id)
    return cells


def resolve_cell(client, server, profile: int, scenario_id: str) -> Cell:
    """The cell `client` × `server` × `profile` × scenario as plan() would make it (its
    verdict pre-decided when it cannot run). KeyError for an unknown scenario."""
    return _resolve(Cell(client=client, server=server, profile=profile,
                         scenario=SCENARIO_BY_ID[scenario_id]))


def profile_bit(cell_profile_name: str, family: str = "posix") -> int:
    """The profile bit a cell's profile name stands for on `family`; KeyError if none."""
    for bit, name in FAMILY_PROFILE_NAMES[family].items():
        if name == cell_profile_name:
            return bit
    raise KeyError(cell_profile_name)


def shard(items, k: int, n: int, key=lambda x: x):
    """The K-th of N deterministic shards (1-based): ids sorted, then dealt round-robin, so
    every shard gets a similar share and the union of all shards is everything exactly once."""
    if not 1 <= k <= n:
        raise ValueError("shard %d/%d: need 1 <= K <= N" % (k, n))
    ordered = sorted(items, key=key)
    return [x for i, x in enumerate(ordered) if i % n == k - 1]


# ---- running one cell -----------------------------------------------------------------------

@dataclass
class CellContext:
    run_base: Path          # short directory for run dirs (socket paths)
    out_dir: Path           # report directory; logs go to out_dir/cells/<slug>/
    capture: bool = True    # relay through SeqProxy and record the exchange
    attempt: str = ""       # "" for the first run, "rerun-1"… for diagnosis


def _json_line(lines):
    for line in reversed(lines):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def _env(extra):
    if not extra:
        return None
    return dict(os.environ, **extra)


def _profile_requirements(cell: Cell, hygiene=False):
    windows = _family(cell.server) == "windows"
    if hygiene:
        table = WINDOWS_HYGIENE_REQUIREMENTS if windows else HYGIENE_REQUIREMENTS
    else:
        table = WINDOWS_PROFILE_REQUIREMENTS if windows else PROFILE_REQUIREMENTS
    return list(table.get(cell.profile, ()))


def base_row(cell: Cell):
    sc = cell.scenario
    reqs = list(sc.requirements)
    if cell.verdict != "not-applicable" or _family(cell.client) == _family(cell.server):
        reqs += _profile_requirements(cell)
    row = {"id": cell.id, "kind": "matrix", "suite": "matrix." + sc.id,
           "name": "%s -> %s [%s]" % (cell.client.name, cell.server.name, cell.profile_name),
           "client": cell.client.name, "server": cell.server.name,
           "implementations": sorted({cell.client.name, cell.server.name}),
           "profile": cell.profile_name, "platform": cell.platform, "scenario": sc.id,
           "requirements": reqs, "verdict": cell.verdict or "error",
           "message": cell.message, "details": "", "seconds": 0.0}
    if cell.environment:
        row["environment"] = True
    return row


def reproduce_lines(run_dir, server_argv, client_argv, server_env, client_env, stop="terminate"):
    """Shell lines that run the cell alone, without the runner."""
    def env_prefix(env):
        return "".join("%s=%s " % (k, shlex.quote(v)) for k, v in sorted(env.items()))
    return [
        "mkdir -p %s" % shlex.quote(run_dir),
        "%s%s &   # wait for it to be ready" % (env_prefix(server_env), shlex.join(server_argv)),
        "%s%s; echo client exit $?" % (env_prefix(client_env), shlex.join(client_argv)),
        "kill -%s %%1; wait %%1; ls -A %s   # must list nothing" % (
            "INT" if stop == "interrupt" else "TERM", shlex.quote(run_dir)),
    ]


def run_cell(cell: Cell, index: int, ctx: CellContext) -> dict:
    """Runs one cell and returns its result row (never raises, except procs.Interrupted)."""
    row = base_row(cell)
    if cell.verdict:
        row["details"] = cell.message
        return row
    row["verdict"] = "running"
    start = time.monotonic()
    # The recording relay speaks SEQPACKET sockets; named-pipe cells run unrecorded.
    capture = ctx.capture and host.CAN_RELAY and _family(cell.server) == "posix"
    tag = "%04d%s" % (index, ctx.attempt.replace("rerun-", "r"))
    cell_dir = ctx.run_base / tag
    server_dir = cell_dir / "s"
    client_dir = cell_dir / "c" if capture else server_dir
    log_dir = ctx.out_dir / "cells" / (slug(cell.id) + ("." + ctx.attempt if ctx.attempt else ""))
    if log_dir.exists():
        shutil.rmtree(log_dir)
    log_dir.mkdir(parents=True)
    server_dir.mkdir(parents=True)
    client_dir.mkdir(parents=True, exist_ok=True)
    config = dict(cell.config)
    config.setdefault("service", "svc" + tag)
    scfg = dict(config, run_dir=str(server_dir))
    ccfg = dict(config, run_dir=str(client_dir))
    evidence = {"commands": [], "exchange": [], "result": None, "log_dir":
                str(log_dir.relative_to(ctx.out_dir)), "notes": []}
    if cell.note:
        evidence["notes"].append(cell.note)
    row["evidence"] = evidence
    failures = []  # (side that is at fault: "server" or "either", text)
    server = proxy = client = None
    try:
        sargv = cell.server.argv("server", scfg)
        cargv = cell.client.argv("client", ccfg)
        senv, cenv = cell.server.server.env, cell.client.client.env
        evidence["reproduce"] = reproduce_lines(
            str(server_dir), sargv, cell.client.argv("client", dict(config, run_dir=str(server_dir))),
            senv, cenv, cell.server.server.stop)
        server = procs.ManagedServer(cell.server.server, sargv, server_dir, config["service"],
                                     log_dir, env=_env(senv))
        try:
            server.for_case()
        except procs.ServerNotReady as e:
            failures.append(("server", "server: %s" % e))
        if not failures:
            if capture:
                proxy = SeqProxy(client_dir, server_dir, config["service"])
            cspec = cell.client.client
            client = procs.Child(cargv, log_dir, "client", env=_env(cenv),
                                 watch=cspec.success_pattern if cspec.success == "line" else None)
            timeout = cell.client.client.timeout_ms / 1000.0
            code, timed_out = client.wait(timeout)
            evidence["result"] = _json_line(client.lines)
            verdict, why = judge_client(cell, code, timed_out, client, evidence["result"])
            if verdict == "unsupported":
                row["verdict"], row["message"] = "unsupported", why
            elif verdict != "pass":
                failures.append(("either", "client: " + why))
            if client.stray:
                failures.append(("either", "client left processes behind: %s"
                                 % client.stray_text()))
            if server.child and not server.child.running() and cell.server.server.sessions \
                    == "forever":
                # The server's death explains whatever the client saw: it is the headline.
                failures.insert(0, ("server", "server exited during the case (%s)"
                                    % host.describe_exit(server.child.proc.returncode)))
    except procs.Interrupted:
        raise
    except Exception as e:  # noqa: BLE001 - a runner problem is an error row, not a crash
        row["verdict"], row["message"] = "error", "runner: %s: %s" % (type(e).__name__, e)
    finally:
        if proxy:
            proxy.close()
            evidence["exchange"] = proxy.exchange()
            if proxy.dropped:
                evidence["notes"].append("%d later packets not recorded" % proxy.dropped)
        if client and client.running():
            client.kill()
            client._finish()
        if server:
            code, killed, how = server.stop()
            if server.child is not None:
                stop = cell.server.server.stop
                request = host.STOP_MECHANISMS[stop]
                if killed:
                    failures.append(("server", "server did not stop within %d ms of %s "
                                     "(killed)" % (cell.server.server.stop_timeout_ms, request)))
                elif how == "stopped" and not host.clean_stop(code, stop):
                    failures.append(("server", "server %s after %s"
                                     % (host.describe_exit(code), request)))
                elif how == "exited" and code != 0:
                    failures.append(("server", "one-session server %s"
                                     % host.describe_exit(code)))
                strays = [ch.stray_text() for ch in server.children() if ch.stray]
                if strays:
                    failures.append(("server", "server left processes behind: %s"
                                     % ", ".join(strays)))
            for i, ch in enumerate(server.children()):
                evidence["commands"].append(_command("server", ch, ctx.out_dir))
        if client:
            evidence["commands"].append(_command("client", client, ctx.out_dir))
        left = host.endpoint_files(server_dir)
        if left and row["verdict"] != "error":
            failures.append(("server", "files left in the server's run dir: %s"
                             % ", ".join(left)))
            row["requirements"] += _profile_requirements(cell, hygiene=True)
        shutil.rmtree(cell_dir, ignore_errors=True)
        row["seconds"] = round(time.monotonic() - start, 3)
    if row["verdict"] == "error":
        pass  # a runner problem: the row says so, nothing else is judged
    elif failures:
        row["verdict"], row["message"] = "fail", failures[0][1]
        row["details"] = "\n".join(text for _, text in failures)
        row["fault"] = "server" if all(side == "server" for side, _ in failures) else "either"
    elif row["verdict"] != "unsupported":
        row["verdict"] = "pass"
        row["message"] = _summary(evidence["result"])
    if not row.get("details"):
        row["details"] = row["message"]
    return row


def _summary(result):
    if not result:
        return ""
    keys = ("profile", "requests", "verified", "chunked_messages", "effective_depth",
            "elapsed_ms")
    return " ".join("%s=%s" % (k, round(result[k], 1) if isinstance(result[k], float)
                               else result[k]) for k in keys if k in result)


def _command(role, child, out_dir):
    return {"role": role, "name": child.name, "argv": child.argv,
            "exit": child.proc.returncode, "how": host.describe_exit(child.proc.returncode),
            "killed": child.killed, "seconds": round(child.seconds(), 3),
            "stdout": str(child.stdout_path.relative_to(out_dir)),
            "stderr": str(child.stderr_path.relative_to(out_dir)),
            "stdout_tail": [textsafe.visible(x) for x in list(child.lines)[-20:]],
            "stderr_tail": child.stderr_tail(30)}


def judge_client(cell: Cell, code, timed_out, client, result):
    """(verdict, message) from the client's exit, its output and its JSON result line."""
    spec = cell.client.client
    if timed_out:
        return "fail", "timed out after %d ms (killed with its process group)" % spec.timeout_ms
    if code in spec.unsupported_exit_codes:
        why = (result or {}).get("not_supported") or "client reports the case unsupported"
        return "unsupported", "client: %s (exit %d)" % (why, code)
    if spec.success == "line":
        ok = client.watched.is_set() or any(re.search(spec.success_pattern, line)
                                            for line in client.lines)
        if not ok:
            return "fail", "no stdout line matches %r (%s)" % (spec.success_pattern,
                                                                host.describe_exit(code))
    elif code != 0:
        detail = ""
        if result:
            err = result.get("error") or {}
            detail = result.get("failure") or (err.get("text") if isinstance(err, dict)
                                               else err) or ""
        if not detail:
            tail = client.stderr_tail(3)
            detail = tail[-1] if tail else ""
        return "fail", "%s%s" % (host.describe_exit(code), ": " + str(detail) if detail else "")
    if result:
        if "profile" in result and result["profile"] not in (None, cell.profile):
            return "fail", "session used profile %s, the cell is for %s" % (
                result["profile"], hex(cell.profile))
        if cell.scenario.id == "large" and cell.profile == 0x01 and \
                result.get("chunked_messages") == 0:
            return "fail", "large messages were not chunked on the packet transport"
    return "pass", ""
