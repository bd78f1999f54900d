"""The trusted method of `./cts bench`: how samples become a published figure, and how a
published figure becomes a performance verdict. Pure functions, no processes: the arithmetic
is tested on its own (runners/tests/test_bench_method.py).

A figure is published only when all of these hold:
  * exactly SAMPLES samples were taken and every one of them succeeded;
  * after sorting, the lowest and the highest are dropped; the middle three are the core;
  * the stable-core ratio max(core) / min(core) is at most MAX_CORE_RATIO.
The published figure is the median of the samples (the middle of the core). Anything else is
not published: "unstable" (the core spreads too far) or "incomplete" (a sample failed or is
missing). A figure that is not published never passes a rule (it fails closed), and a
diagnostic rerun is kept beside it, never in its place.
"""
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

SAMPLES = 5
MAX_CORE_RATIO = 1.35

PUBLISHED = "published"
UNSTABLE = "unstable"
INCOMPLETE = "incomplete"


@dataclass
class Figure:
    """The outcome of one cell's samples. `median` is set only when status is PUBLISHED."""
    status: str
    samples: list
    core: list = field(default_factory=list)
    core_ratio: float = None
    median: float = None
    reason: str = ""

    @property
    def published(self) -> bool:
        return self.status == PUBLISHED

    def as_dict(self) -> dict:
        return {"status": self.status, "samples": self.samples, "core": self.core,
                "core_ratio": self.core_ratio, "median": self.median, "reason": self.reason}


def judge_samples(samples, expected=SAMPLES, max_core_ratio=MAX_CORE_RATIO) -> Figure:
    """Applies the method to `samples` (numbers; None for a sample that failed). Returns the
    Figure: published with its median, or not published with the reason."""
    values = list(samples)
    if len(values) != expected or any(v is None or not math.isfinite(v) or v < 0
                                      for v in values):
        bad = sum(1 for v in values if v is None)
        return Figure(INCOMPLETE, values,
                      reason="%d of %d samples succeeded" % (len(values) - bad, expected))
    ordered = sorted(values)
    core = ordered[1:-1] if expected >= 3 else ordered
    low, high = core[0], core[-1]
    if low <= 0:
        ratio = math.inf if high > 0 else 1.0
    else:
        ratio = high / low
    median = ordered[len(ordered) // 2]
    if ratio > max_core_ratio:
        return Figure(UNSTABLE, values, core, ratio,
                      reason="stable-core ratio %.2f > %.2f" % (ratio, max_core_ratio))
    return Figure(PUBLISHED, values, core, ratio, median)


# ---- rules ---------------------------------------------------------------------------------

RULE_KEYS = {"scenario", "transport", "floor", "min_ratio_to_reference", "min_floor_fraction",
             "why"}


class RulesError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    scenario: str
    transport: str          # "uds", "shm" (every shared-memory profile) or "*"
    floor: str              # the floor a figure is divided by
    min_ratio_to_reference: float
    min_floor_fraction: float
    why: str = ""

    def matches(self, scenario: str, profile_name: str) -> bool:
        kind = "shm" if profile_name.startswith("shm") else profile_name
        return self.scenario == scenario and self.transport in ("*", kind, profile_name)


def load_rules(path: Path) -> list:
    """Reads the declared rules (spec/bench-rules.toml). Unknown keys, missing keys and
    negative thresholds are errors, so a typo never silently weakens a verdict."""
    try:
        doc = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise RulesError("%s: %s" % (path, e)) from e
    defaults = doc.get("defaults", {})
    rules = []
    for i, table in enumerate(doc.get("rule", [])):
        where = "%s rule %d" % (path, i + 1)
        unknown = set(table) - RULE_KEYS
        if unknown:
            raise RulesError("%s: unknown keys %s" % (where, ", ".join(sorted(unknown))))
        merged = dict(defaults)
        merged.update(table)
        for key in ("scenario", "transport", "floor", "min_ratio_to_reference",
                    "min_floor_fraction"):
            if key not in merged:
                raise RulesError("%s: missing %s" % (where, key))
        for key in ("min_ratio_to_reference", "min_floor_fraction"):
            if not isinstance(merged[key], (int, float)) or merged[key] < 0:
                raise RulesError("%s: %s must be a number >= 0" % (where, key))
        rules.append(Rule(merged["scenario"], merged["transport"], merged["floor"],
                          float(merged["min_ratio_to_reference"]),
                          float(merged["min_floor_fraction"]), merged.get("why", "")))
    return rules


def find_rule(rules, scenario: str, profile_name: str):
    for r in rules:
        if r.matches(scenario, profile_name):
            return r
    return None


PASS = "pass"
FAIL = "fail"
SKIP = "skip"


def verdict(figure: Figure, reference: Figure, floor: Figure, rule: Rule, functional_ok: bool):
    """The performance verdict of one cell: (PASS or FAIL, ratio to reference, floor
    fraction, reasons). A cell passes only with positive evidence: its own figure, the
    reference's and the floor's all published, every sample functionally correct, and both
    thresholds of its rule met."""
    reasons = []
    ratio_ref = fraction = None
    if not functional_ok:
        reasons.append("a sample failed functionally")
    if rule is None:
        reasons.append("no rule is declared for this scenario and transport")
    if not figure.published:
        reasons.append("figure not published: %s (%s)" % (figure.status, figure.reason))
    if reference is None or not reference.published:
        reasons.append("reference figure not published" if reference is not None
                       else "no reference cell in this run")
    elif figure.published:
        ratio_ref = figure.median / reference.median if reference.median > 0 else None
    if floor is None or not floor.published:
        reasons.append("floor not published")
    elif figure.published and floor.median > 0:
        fraction = figure.median / floor.median
    if rule is not None:
        if ratio_ref is not None and ratio_ref < rule.min_ratio_to_reference:
            reasons.append("%.2f x the reference < %.2f" % (ratio_ref, rule.min_ratio_to_reference))
        if fraction is not None and fraction < rule.min_floor_fraction:
            reasons.append("%.3f of the floor < %.3f" % (fraction, rule.min_floor_fraction))
    return (FAIL if reasons else PASS), ratio_ref, fraction, reasons
