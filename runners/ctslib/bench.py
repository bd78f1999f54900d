"""./cts bench: the benchmark matrix, judged like conformance.

Every pairing of the given implementations (each as server and as client) runs every bench
scenario on every profile both support, through the shim contract's `bench` client scenario
(spec/shim-contract.md, SHIM-BENCH-001). The machine floors (nipc_bench_floor) are measured in
the same run, interleaved with the cells: each round takes one sample of every floor and,
right after each floor, one sample of every cell judged against it. After SAMPLES rounds the
method of benchmethod.py publishes a figure or refuses to, and spec/bench-rules.toml turns
published figures into verdicts. `./cts bench --codec` runs the codec micro-benchmarks.
"""
import argparse
import csv
import html
import io
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import benchmethod as method
from . import build, deps
from . import manifest as manifest_mod
from . import paths

RULES = paths.SPEC / "bench-rules.toml"
REFERENCE_MANIFEST = paths.ROOT / "interop" / "reference.toml"
REFERENCE_NAME = "reference"
FLOOR_BINARY = "reference/bench/nipc_bench_floor"
AUTH_TOKEN = "0x5eed00c0ffee0001"

FLOORS = ("seqpacket-blocking", "seqpacket-busypoll", "seqpacket-depth16", "shm-spin",
          "shm-spin-wake")
FLOOR_TITLES = {
    "seqpacket-blocking": "raw SEQPACKET ping-pong, blocking",
    "seqpacket-busypoll": "raw SEQPACKET ping-pong, busy-poll",
    "seqpacket-depth16": "raw SEQPACKET, 16 in flight",
    "shm-spin": "raw shared-memory spin ping-pong",
    "shm-spin-wake": "shared-memory spin + one FUTEX_WAKE per message",
}


@dataclass(frozen=True)
class BenchScenario:
    id: str
    title: str
    service_kind: str
    items: int = 1           # > 1: BATCH requests of that many items
    depth: int = 1           # requests in flight
    size: int = 0            # item payload bytes (0: the kind's small default)
    knobs: dict = field(default_factory=dict)   # extra knobs for both sides
    metric: str = "rate"     # "rate" (requests/s) or "items_rate" (items/s)


SCENARIOS = (
    BenchScenario("ping-pong", "INCREMENT, one request at a time", "increment"),
    BenchScenario("batch-64", "INCREMENT batches of 64 items (items/s)", "increment", items=64,
                  knobs={"max_request_batch": 64}, metric="items_rate"),
    BenchScenario("pipeline-16", "INCREMENT, 16 requests in flight", "increment", depth=16),
    BenchScenario("snapshot-16", "cgroups snapshot, 16 items", "cgroups-snapshot",
                  knobs={"snapshot_items": 16, "snapshot_seed": 1,
                         "max_response_payload": 65536}),
    BenchScenario("snapshot-1000", "cgroups snapshot, 1000 items", "cgroups-snapshot",
                  knobs={"snapshot_items": 1000, "snapshot_seed": 7,
                         "max_response_payload": 1048576}),
    BenchScenario("large", "STRING_REVERSE of 20000 bytes over 4096-byte packets (chunked)",
                  "string-reverse", size=20000,
                  knobs={"packet_size": 4096, "max_request_payload": 65536,
                         "max_response_payload": 1048576}),
    # The lookup methods of the newest revision (spec/lookup.md): each request carries the
    # generator's --lookup-keys keys (8 by default); implementations that do not serve the
    # kind are skipped with that reason.
    BenchScenario("cgroups-lookup", "CGROUPS_LOOKUP of 8 keys, one request at a time", "cgroups-lookup"),
    BenchScenario("apps-lookup", "APPS_LOOKUP of 8 keys, one request at a time", "apps-lookup"),
)
SCENARIO_BY_ID = {s.id: s for s in SCENARIOS}


@dataclass
class Cell:
    server: object
    client: object
    profile: int
    scenario: BenchScenario
    profile_name: str = ""
    skip: str = ""            # reason the cell cannot run
    rule: object = None
    samples: list = field(default_factory=list)   # one dict per sample
    figure: object = None
    diagnostic: object = None  # a rerun's Figure, shown beside, never replacing

    @property
    def id(self):
        return "%s>%s/%s/%s" % (self.client.name, self.server.name, self.profile_name,
                                self.scenario.id)

    @property
    def is_reference(self):
        return self.server.name == REFERENCE_NAME and self.client.name == REFERENCE_NAME


# ---- planning ------------------------------------------------------------------------------

def plan(manifests, rules, scenario_ids=None, profile_names=None):
    """Every (server, client, profile, scenario) to report, runnable or with a skip reason."""
    cells = []
    wanted = [SCENARIO_BY_ID[s] for s in (scenario_ids or [s.id for s in SCENARIOS])]
    for sc in wanted:
        for s in manifests:
            if not s.supports("server") or s.server is None:
                continue
            for c in manifests:
                if not c.supports("client") or c.client is None:
                    continue
                if s.family != c.family:
                    continue
                for bit in manifest_mod.PROFILE_BITS:
                    name = manifest_mod.PROFILE_NAMES[s.family][bit]
                    if profile_names and name not in profile_names:
                        continue
                    if bit not in s.capabilities.profiles or bit not in c.capabilities.profiles:
                        continue
                    cell = Cell(s, c, bit, sc, name, rule=method.find_rule(rules, sc.id, name))
                    cell.skip = _skip_reason(cell)
                    cells.append(cell)
    return cells


def _skip_reason(cell):
    s, c, sc = cell.server, cell.client, cell.scenario
    if sc.service_kind not in s.capabilities.service_kinds:
        return "server %s does not serve %s" % (s.name, sc.service_kind)
    if sc.service_kind not in c.capabilities.service_kinds:
        return "client %s does not speak %s" % (c.name, sc.service_kind)
    if "bench" not in c.capabilities.scenarios:
        return "client %s does not declare the bench scenario" % c.name
    if not s.capabilities.configurable or not c.capabilities.configurable:
        return "fixed-CLI implementations cannot take the bench knobs"
    return ""


# ---- running -------------------------------------------------------------------------------

def _cpu_seconds(pid):
    """User + system CPU of a live process, from /proc (None when it cannot be read)."""
    try:
        fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass


def _config(cell, run_dir, duration_ms, rate):
    sc = cell.scenario
    cfg = {"run_dir": str(run_dir), "service": "bench", "auth_token": AUTH_TOKEN,
           "profiles": "0x%02x" % cell.profile, "preferred": "0x%02x" % cell.profile,
           "max_request_payload": 0, "max_request_batch": 0, "max_response_payload": 0,
           "packet_size": 0, "service_kind": sc.service_kind, "sessions": "forever",
           "scenario": "bench", "count": 1, "items": sc.items, "depth": sc.depth,
           "size": sc.size, "snapshot_items": 16, "snapshot_seed": 1,
           "duration_ms": duration_ms, "rate": rate}
    cfg.update(sc.knobs)
    return cfg


def run_sample(cell, duration_ms, work_dir, rate=0):
    """Starts the server, runs one bench client against it and stops the server. Returns a
    dict: ok, value (the scenario's metric), the client's JSON line, server CPU seconds, and
    an error text when something went wrong."""
    run_dir = Path(tempfile.mkdtemp(prefix="b", dir=work_dir))
    cfg = _config(cell, run_dir, duration_ms, rate)
    sample = {"ok": False, "value": None, "error": None}
    server = None
    try:
        argv = cell.server.argv("server", cfg)
        env = dict(os.environ, **cell.server.server.env) if cell.server.server.env else None
        server = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, start_new_session=True, env=env,
                                  text=True)
        # SHIM-READY-001: one READY line, within the manifest's readiness time.
        ready_s = cell.server.server.ready_timeout_ms / 1000.0
        if not select.select([server.stdout], [], [], ready_s)[0]:
            sample["error"] = "server not ready within %.1f s" % ready_s
            return sample
        line = server.stdout.readline()
        if not line.startswith("READY"):
            sample["error"] = "server not ready (%s)" % (line.strip()
                                                         or "exited %s" % server.poll())
            return sample
        cpu0 = _cpu_seconds(server.pid)
        cargv = cell.client.argv("client", cfg)
        cenv = dict(os.environ, **cell.client.client.env) if cell.client.client.env else None
        try:
            done = subprocess.run(cargv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=duration_ms / 1000.0 + 60, env=cenv)
        except subprocess.TimeoutExpired:
            sample["error"] = "client timed out"
            return sample
        cpu1 = _cpu_seconds(server.pid)
        sample["exit"] = done.returncode
        result = None
        for out_line in done.stdout.splitlines():
            if out_line.startswith("{"):
                try:
                    result = json.loads(out_line)
                except ValueError:
                    pass
        sample["client"] = result
        if cpu0 is not None and cpu1 is not None:
            sample["server_cpu_s"] = round(cpu1 - cpu0, 6)
        if done.returncode == manifest_mod.UNSUPPORTED_EXIT_CODE:
            sample["unsupported"] = (result or {}).get("not_supported") or "exit 4"
            return sample
        if done.returncode != 0 or result is None or not result.get("ok"):
            why = (result or {}).get("failure") or ((result or {}).get("error") or {})
            sample["error"] = "client exit %d: %s" % (done.returncode,
                                                      why if why else done.stderr.strip()[-300:])
            return sample
        sample["ok"] = True
        sample["value"] = float(result.get(cell.scenario.metric) or 0)
        return sample
    except (OSError, manifest_mod.ManifestError) as e:
        sample["error"] = str(e)
        return sample
    finally:
        if server is not None and server.poll() is None:
            try:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                _kill_group(server)
        if server is not None and server.stdout:
            server.stdout.close()
        shutil.rmtree(run_dir, ignore_errors=True)


def run_floor(binary, name, duration_ms):
    try:
        done = subprocess.run([str(binary), name, str(duration_ms)], capture_output=True,
                              text=True, timeout=duration_ms / 1000.0 + 60)
        doc = json.loads(done.stdout.strip().splitlines()[-1])
        return {"ok": done.returncode == 0, "value": float(doc["rate"]), "floor": doc,
                "error": None if done.returncode == 0 else done.stderr.strip()}
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError, KeyError) as e:
        return {"ok": False, "value": None, "error": "floor %s: %s" % (name, e)}


class Progress:
    """One line per finished sample with the share done and the time left (from the mean
    time per sample so far)."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.done, self.start, self.stream = total, 0, time.monotonic(), stream

    def step(self, what):
        self.done += 1
        spent = time.monotonic() - self.start
        eta = spent / self.done * (self.total - self.done)
        print("[%d/%d %3.0f%% ETA %dm%02ds] %s" % (self.done, self.total,
                                                   100.0 * self.done / self.total,
                                                   eta // 60, eta % 60, what),
              file=self.stream, flush=True)


def measure(cells, floors, binary, samples, duration_ms, work_dir, progress):
    """The interleaved schedule: `samples` rounds; in each, every floor once, each followed by
    the cells judged against it. Returns floor name -> list of samples."""
    floor_samples = {f: [] for f in floors}
    by_floor = {f: [] for f in floors}
    orphans = []
    for cell in cells:
        if cell.skip:
            continue
        f = cell.rule.floor if cell.rule else None
        (by_floor[f] if f in by_floor else orphans).append(cell)
    for r in range(samples):
        for f in floors:
            s = run_floor(binary, f, duration_ms)
            floor_samples[f].append(s)
            progress.step("round %d floor %s: %s" % (r + 1, f, _fmt_rate(s["value"])))
            for cell in by_floor[f]:
                _sample_cell(cell, duration_ms, work_dir, progress, r)
        for cell in orphans:
            _sample_cell(cell, duration_ms, work_dir, progress, r)
    return floor_samples


def _sample_cell(cell, duration_ms, work_dir, progress, r):
    if cell.skip:   # became unsupported in an earlier round
        progress.step("round %d %s: skipped" % (r + 1, cell.id))
        return
    s = run_sample(cell, duration_ms, work_dir)
    if s.get("unsupported"):
        cell.skip = "client says not supported: %s" % s["unsupported"]
    cell.samples.append(s)
    progress.step("round %d %s: %s" % (r + 1, cell.id,
                                       _fmt_rate(s["value"]) if s["ok"] else
                                       (s.get("error") or cell.skip)))


def _fmt_rate(v):
    if v is None:
        return "-"
    if v >= 1e6:
        return "%.2fM" % (v / 1e6)
    if v >= 1e3:
        return "%.1fk" % (v / 1e3)
    return "%.0f" % v


# ---- judging -------------------------------------------------------------------------------

def judge(cells, floor_samples, samples):
    floors = {f: method.judge_samples([s["value"] if s["ok"] else None for s in ss], samples)
              for f, ss in floor_samples.items()}
    for cell in cells:
        if not cell.skip:
            cell.figure = method.judge_samples(
                [s["value"] if s["ok"] else None for s in cell.samples], samples)
    reference = {(c.profile_name, c.scenario.id): c.figure for c in cells
                 if c.is_reference and not c.skip}
    rows = []
    for cell in cells:
        row = {"id": cell.id, "server": cell.server.name, "client": cell.client.name,
               "profile": cell.profile_name, "scenario": cell.scenario.id,
               "title": cell.scenario.title,
               "unit": "items/s" if cell.scenario.metric == "items_rate" else "req/s",
               "rule": None if cell.rule is None else {
                   "floor": cell.rule.floor,
                   "min_ratio_to_reference": cell.rule.min_ratio_to_reference,
                   "min_floor_fraction": cell.rule.min_floor_fraction}}
        if cell.skip:
            row.update({"verdict": method.SKIP, "reasons": [cell.skip], "functional": "skip"})
            rows.append(row)
            continue
        functional_ok = all(s["ok"] for s in cell.samples) and len(cell.samples) == samples
        floor = floors.get(cell.rule.floor) if cell.rule else None
        ref = reference.get((cell.profile_name, cell.scenario.id))
        v, ratio, fraction, reasons = method.verdict(cell.figure, ref, floor, cell.rule,
                                                     functional_ok)
        lat = _latency(cell)
        row.update({"verdict": v, "reasons": reasons,
                    "functional": "pass" if functional_ok else "fail",
                    "figure": cell.figure.as_dict(), "ratio_to_reference": ratio,
                    "floor_fraction": fraction,
                    "floor_median": floor.median if floor and floor.published else None,
                    "samples": cell.samples, **lat})
        if cell.diagnostic is not None:
            row["diagnostic"] = cell.diagnostic.as_dict()
        rows.append(row)
    return floors, rows


def _latency(cell):
    """p50/p95/p99 and CPU of the median sample (the published one), when there is one."""
    if cell.figure is None or not cell.figure.published:
        return {}
    for s in cell.samples:
        if s["ok"] and s["value"] == cell.figure.median:
            c = s.get("client") or {}
            secs = c.get("seconds") or 0
            out = {k: c.get(k) for k in ("p50_us", "p95_us", "p99_us")}
            out["client_cpu"] = (c.get("client_cpu_s") / secs
                                 if c.get("client_cpu_s") is not None and secs else None)
            out["server_cpu"] = (s.get("server_cpu_s") / secs
                                 if s.get("server_cpu_s") is not None and secs else None)
            out["effective_depth"] = c.get("effective_depth")
            return out
    return {}


# ---- report --------------------------------------------------------------------------------

def _num(v, fmt="%.2f"):
    return "-" if v is None else fmt % v


def write_report(out_dir: Path, doc: dict):
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench.json").write_text(json.dumps(doc, indent=1, default=str) + "\n")
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["kind", "id", "server", "client", "profile", "scenario", "unit", "status",
                "median", "core_ratio", "samples", "ratio_to_reference", "floor",
                "floor_fraction", "p50_us", "p95_us", "p99_us", "client_cpu", "server_cpu",
                "functional", "verdict", "reasons"])
    for name, f in doc["floors"].items():
        w.writerow(["floor", name, "", "", "", "", "msg/s", f["status"], f["median"],
                    f["core_ratio"], " ".join(_num(x, "%.0f") for x in f["samples"]),
                    "", "", "", "", "", "", "", "", "", "", f["reason"]])
    for r in doc["rows"]:
        fig = r.get("figure") or {}
        w.writerow(["cell", r["id"], r["server"], r["client"], r["profile"], r["scenario"],
                    r["unit"], fig.get("status", "skip"), fig.get("median"),
                    fig.get("core_ratio"),
                    " ".join(_num(x, "%.0f") for x in fig.get("samples", [])),
                    r.get("ratio_to_reference"), (r.get("rule") or {}).get("floor"),
                    r.get("floor_fraction"), r.get("p50_us"), r.get("p95_us"), r.get("p99_us"),
                    r.get("client_cpu"), r.get("server_cpu"), r["functional"], r["verdict"],
                    "; ".join(r["reasons"])])
    (out_dir / "bench.csv").write_text(buf.getvalue())
    md = markdown(doc)
    (out_dir / "bench.md").write_text(md)
    (out_dir / "index.html").write_text(html_page(doc))


def markdown(doc) -> str:
    lines = ["# netipc benchmark matrix", "",
             "%s · %d samples of %d ms per figure · load average at start %s on %d CPUs%s" % (
                 doc["started"], doc["samples"], doc["duration_ms"], doc["load_start"],
                 doc["cpus"], " · **other work ran on this machine during the run**"
                 if doc.get("loaded") else ""),
             "", "A figure is published when the stable-core ratio (max/min of the middle three "
             "of five samples) is ≤ %.2f; its value is the median." % method.MAX_CORE_RATIO,
             "", "## Machine floors", "",
             "| floor | median msg/s | stable-core ratio | status |", "|---|---:|---:|---|"]
    for name, f in doc["floors"].items():
        lines.append("| %s | %s | %s | %s |" % (FLOOR_TITLES.get(name, name),
                                               _num(f["median"], "%.0f"),
                                               _num(f["core_ratio"]), f["status"]))
    lines += ["", "## Cells", "",
              "| scenario | profile | server | client | median | unit | stable-core | × ref | "
              "floor | × floor | p50 µs | p99 µs | CPU cli/srv | functional | verdict |",
              "|---|---|---|---|---:|---|---:|---:|---|---:|---:|---:|---|---|---|"]
    for r in doc["rows"]:
        fig = r.get("figure") or {}
        med = _num(fig.get("median"), "%.0f") if fig.get("status") == "published" else (
            fig.get("status") or "skip")
        cpu = "%s/%s" % (_num(r.get("client_cpu")), _num(r.get("server_cpu")))
        verdict = r["verdict"].upper() + ("" if r["verdict"] == "pass" else
                                          " — " + "; ".join(r["reasons"]))
        if r.get("diagnostic"):
            d = r["diagnostic"]
            verdict += " (diagnostic rerun, not published here: %s, median %s, core %s)" % (
                d["status"], _num(d["median"], "%.0f"), _num(d["core_ratio"]))
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |"
                     % (r["scenario"], r["profile"], r["server"], r["client"], med, r["unit"],
                        _num(fig.get("core_ratio")), _num(r.get("ratio_to_reference")),
                        (r.get("rule") or {}).get("floor", "-"),
                        _num(r.get("floor_fraction"), "%.3f"), _num(r.get("p50_us")),
                        _num(r.get("p99_us")), cpu, r["functional"], verdict))
    lines += ["", "Totals: %(pass)d pass, %(fail)d fail, %(skip)d skipped" % doc["totals"], ""]
    return "\n".join(lines)


def svg_chart(title, bars, unit):
    """A horizontal bar chart as inline SVG: bars = [(label, value or None, colour)]."""
    # The label column fits the longest label (about 6.5 px per character at 11 px).
    left = max(120, int(6.5 * max([len(label) for label, _, _ in bars] or [0])) + 12)
    width, row_h = left + 460, 22
    height = 30 + row_h * max(1, len(bars))
    top = max([v for _, v, _ in bars if v] or [1])
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" '
           'aria-label="%s">' % (width, height, html.escape(title)),
           '<text x="4" y="16" font-size="13" font-weight="bold">%s (%s)</text>'
           % (html.escape(title), html.escape(unit))]
    for i, (label, value, colour) in enumerate(bars):
        y = 26 + i * row_h
        out.append('<text x="4" y="%d" font-size="11">%s</text>' % (y + 14, html.escape(label)))
        if value:
            w = max(1, int((width - left - 90) * value / top))
            out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>'
                       % (left, y + 3, w, row_h - 6, colour))
            out.append('<text x="%d" y="%d" font-size="11">%s</text>'
                       % (left + w + 4, y + 14, _fmt_rate(value)))
        else:
            out.append('<text x="%d" y="%d" font-size="11" fill="#a00">not published</text>'
                       % (left, y + 14))
    out.append("</svg>")
    return "".join(out)


COLOURS = {"pass": "#2a7", "fail": "#c33", "floor": "#889"}


def html_page(doc) -> str:
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>netipc benchmark"
             "</title><style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:"
             "collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px}"
             "td.n{text-align:right}.pass{color:#070}.fail{color:#b00}.skip{color:#777}"
             "</style></head><body>"]
    md = markdown(doc)
    parts.append("<h1>netipc benchmark matrix</h1><p>%s</p>"
                 % html.escape(md.splitlines()[2]).replace("**", ""))
    parts.append("<h2>Machine floors</h2><table><tr><th>floor</th><th>median msg/s</th>"
                 "<th>stable-core ratio</th><th>status</th></tr>")
    for name, f in doc["floors"].items():
        parts.append("<tr><td>%s</td><td class=n>%s</td><td class=n>%s</td><td>%s</td></tr>"
                     % (html.escape(FLOOR_TITLES.get(name, name)), _num(f["median"], "%.0f"),
                        _num(f["core_ratio"]), f["status"]))
    parts.append("</table>")
    by_scenario = {}
    for r in doc["rows"]:
        by_scenario.setdefault(r["scenario"], []).append(r)
    for sc, rows in by_scenario.items():
        parts.append("<h2>%s</h2>" % html.escape(sc))
        bars = []
        for r in rows:
            if r["verdict"] == method.SKIP:
                continue
            fig = r.get("figure") or {}
            bars.append(("%s>%s %s" % (r["client"], r["server"], r["profile"]),
                         fig.get("median"), COLOURS.get(r["verdict"], "#c33")))
        for f in sorted({(r.get("rule") or {}).get("floor") for r in rows} - {None}):
            fl = doc["floors"].get(f)
            if fl:
                bars.append(("floor: " + f, fl["median"], COLOURS["floor"]))
        if bars:
            parts.append(svg_chart(sc + " · bars: client>server profile, red: not a pass",
                                   bars, rows[0]["unit"]))
        parts.append("<table><tr><th>server</th><th>client</th><th>profile</th><th>median</th>"
                     "<th>stable-core</th><th>samples</th><th>× ref</th><th>× floor</th>"
                     "<th>p50/p95/p99 µs</th><th>CPU cli/srv</th><th>functional</th>"
                     "<th>verdict</th></tr>")
        for r in rows:
            fig = r.get("figure") or {}
            parts.append(
                "<tr><td>%s</td><td>%s</td><td>%s</td><td class=n>%s</td><td class=n>%s</td>"
                "<td>%s</td><td class=n>%s</td><td class=n>%s</td><td>%s</td><td>%s</td>"
                "<td class=%s>%s</td><td class=%s>%s%s</td></tr>" % (
                    html.escape(r["server"]), html.escape(r["client"]), r["profile"],
                    _num(fig.get("median"), "%.0f") if fig.get("status") == "published"
                    else fig.get("status", "skip"), _num(fig.get("core_ratio")),
                    " ".join(_num(x, "%.0f") for x in fig.get("samples", [])),
                    _num(r.get("ratio_to_reference")), _num(r.get("floor_fraction"), "%.3f"),
                    "/".join(_num(r.get(k)) for k in ("p50_us", "p95_us", "p99_us")),
                    "%s/%s" % (_num(r.get("client_cpu")), _num(r.get("server_cpu"))),
                    r["functional"], r["functional"], r["verdict"], r["verdict"].upper(),
                    "" if not r["reasons"] else ": " + html.escape("; ".join(r["reasons"]))))
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


# ---- command -------------------------------------------------------------------------------

def _load_start():
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def cmd_bench(args) -> int:
    if args.codec:
        if not deps_ok() or not build.configure_and_build("default", ["nipc_codec_bench"]):
            return 1
        return build.run([paths.host_binary("default", "reference/bench/nipc_codec_bench"),
                          *args.bench_args])
    if args.bench_args:
        print("cts bench: extra arguments %s are for --codec only" % " ".join(args.bench_args),
              file=sys.stderr)
        return 2
    try:
        rules = method.load_rules(Path(args.rules))
        manifests, seen = [], set()
        for p in args.impl or [str(REFERENCE_MANIFEST)]:
            m = manifest_mod.load(p)
            if m.name in seen:
                raise manifest_mod.ManifestError("two manifests are named %r" % m.name)
            seen.add(m.name)
            manifests.append(m)
        if REFERENCE_NAME not in seen:   # every verdict is relative to the reference
            manifests.insert(0, manifest_mod.load(REFERENCE_MANIFEST))
    except (method.RulesError, manifest_mod.ManifestError, OSError) as e:
        print("cts bench: %s" % e, file=sys.stderr)
        return 2
    for sc in args.scenario or []:
        if sc not in SCENARIO_BY_ID:
            print("cts bench: unknown --scenario %s (one of %s)"
                  % (sc, ", ".join(SCENARIO_BY_ID)), file=sys.stderr)
            return 2
    samples = method.SAMPLES
    duration_ms = args.duration_ms or (250 if args.quick else 1000)
    if args.build:
        targets = ["nipc_bench_floor"]
        for m in manifests:
            targets += [t for t in m.build_targets() if t not in targets]
        if not deps_ok() or not build.configure_and_build("default", targets):
            return 1
    binary = paths.host_binary("default", FLOOR_BINARY)
    if not binary.exists():
        print("cts bench: %s is missing (build the target nipc_bench_floor)" % binary,
              file=sys.stderr)
        return 2
    cells = plan(manifests, rules, args.scenario, args.profile)
    runnable = [c for c in cells if not c.skip]
    # All floors in a full run; a filtered run measures the floors its cells are judged by.
    floors = list(FLOORS)
    if args.scenario or args.profile:
        used = {c.rule.floor for c in runnable if c.rule}
        floors = [f for f in FLOORS if f in used]
    total = samples * (len(floors) + len(runnable))
    out_dir = Path(args.out)
    print("cts bench: %d cells (%d runnable), %d floors, %d samples of %d ms each: about %d s"
          % (len(cells), len(runnable), len(floors), samples, duration_ms,
             total * (duration_ms / 1000.0 + 0.15)), flush=True)
    load = _load_start()
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    work_dir = Path(tempfile.mkdtemp(prefix="nipc-bench-"))
    # SIGTERM ends the run like Ctrl-C: the sample's server and client are stopped on the way.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        progress = Progress(total)
        floor_samples = measure(cells, floors, binary, samples, duration_ms, work_dir, progress)
        floor_figs, _ = judge(cells, floor_samples, samples)
        # Diagnostic reruns: shown beside a figure that was not published, never in its place.
        if args.diagnose:
            for cell in runnable:
                if cell.figure is not None and not cell.figure.published and not cell.skip:
                    vals = []
                    for _ in range(samples):
                        s = run_sample(cell, duration_ms, work_dir)
                        vals.append(s["value"] if s["ok"] else None)
                    cell.diagnostic = method.judge_samples(vals, samples)
        floor_figs, rows = judge(cells, floor_samples, samples)
    except KeyboardInterrupt:
        print("cts bench: interrupted; no report written", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(work_dir, ignore_errors=True)
    totals = {k: sum(1 for r in rows if r["verdict"] == k)
              for k in (method.PASS, method.FAIL, method.SKIP)}
    load_end = _load_start()
    doc = {"started": started, "samples": samples, "duration_ms": duration_ms,
           "max_core_ratio": method.MAX_CORE_RATIO, "cpus": os.cpu_count() or 0,
           "load_start": load, "load_end": load_end,
           "loaded": _float(load) > 0.5 or _float(load_end) > 1.5,
           "implementations": [{"name": m.name, "path": str(m.path)} for m in manifests],
           "rules": str(args.rules),
           "floors": {f: {**fig.as_dict(), "samples": fig.samples}
                      for f, fig in floor_figs.items()},
           "rows": rows, "totals": totals}
    write_report(out_dir, doc)
    print(markdown(doc))
    print("cts bench: report in %s (index.html, bench.md, bench.csv, bench.json)" % out_dir)
    print("%d passed, %d failed, %d skipped" % (totals["pass"], totals["fail"], totals["skip"]))
    return 1 if totals["fail"] else 0


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def _float(text):
    try:
        return float(text)
    except ValueError:
        return 0.0


def deps_ok():
    if not deps.missing_packages():
        return True
    return deps.ensure()


def add_parser(sub):
    p = sub.add_parser(
        "bench", help="the benchmark matrix: every implementation as server and client, "
        "floors measured in the same run, trusted method, performance verdicts (--codec: the "
        "codec micro-benchmarks)",
        description="Runs every bench scenario for every pairing of the given implementations "
        "on every profile both support, with the machine floors interleaved. Each figure is "
        "the median of 5 samples, published only when the stable-core ratio (max/min of the "
        "middle three) is <= %.2f; spec/bench-rules.toml turns figures into verdicts. Exit 0: "
        "every runnable cell passed; 1: a cell failed or was not published; 2: usage."
        % method.MAX_CORE_RATIO)
    p.add_argument("--impl", action="append", metavar="MANIFEST",
                   help="implementation manifest (repeatable; the reference is always added)")
    p.add_argument("--scenario", action="append", metavar="ID",
                   help="only this scenario (repeatable): " + ", ".join(SCENARIO_BY_ID))
    p.add_argument("--profile", action="append", metavar="NAME",
                   help="only this profile (repeatable): uds, shm-hybrid, shm-futex")
    p.add_argument("--quick", action="store_true",
                   help="a short smoke: 250 ms samples (the method is unchanged)")
    p.add_argument("--duration-ms", type=int, default=0, help="length of one sample")
    p.add_argument("--diagnose", action="store_true",
                   help="rerun unpublished cells once and show the rerun beside them")
    p.add_argument("--rules", default=str(RULES), help="the rules file (spec/bench-rules.toml)")
    p.add_argument("--out", default=str(paths.OUT / "bench"), help="report directory")
    p.add_argument("--no-build", dest="build", action="store_false",
                   help="do not build the binaries first")
    p.add_argument("--codec", action="store_true",
                   help="run the codec micro-benchmarks (Google Benchmark) instead")
    p.add_argument("bench_args", nargs="*", help="with --codec: arguments for Google Benchmark")
    p.set_defaults(func=cmd_bench)
