"""Implementation manifests (interop/*.toml): how to start an implementation's binaries.

Unknown keys are errors, so a typo never silently disables something.
"""
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import paths

TOP_KEYS = {"implementation", "codec", "server", "client", "fixed"}
IMPLEMENTATION_KEYS = {"name", "language", "version", "version_command", "platform"}
CODEC_KEYS = {"command", "families"}
# [server] / [client]: how the conformance engine starts the implementation in a role.
ROLE_KEYS = {"command", "profiles", "service_kinds", "scenarios", "exit_unsupported",
             "error_rules"}
RUN_PROFILES = ("uds", "shm-hybrid", "shm-futex")
SERVICE_KINDS = ("increment", "string-reverse", "cgroups-snapshot", "echo")
# Placeholders of the role command templates, expanded per case (spec/shim-contract.md).
ROLE_PLACEHOLDERS = {"run_dir", "service", "auth_token", "profiles", "preferred",
                     "max_request_payload", "max_request_batch", "max_response_payload",
                     "packet_size", "service_kind", "sessions", "scenario", "count", "items"}
# [fixed]: the configuration of an implementation that cannot take it from flags.
FIXED_KEYS = {"run_dir", "service", "auth_token", "profiles", "preferred",
              "max_request_payload", "max_request_batch", "max_response_payload",
              "packet_size", "service_kind"}


class ManifestError(ValueError):
    pass


@dataclass
class CodecTesteeSpec:
    command: list
    families: list = field(default_factory=list)  # empty: ask the testee


@dataclass
class RoleSpec:
    """How to start the implementation as a server or a client: a command template (expanded
    per case), what it can do, and how it says "not supported"."""
    command: list
    profiles: list = field(default_factory=lambda: ["uds"])
    service_kinds: list = field(default_factory=lambda: ["increment"])
    scenarios: list = None  # None: any scenario
    exit_unsupported: int = 77
    error_rules: bool = False  # the client's JSON result line names the codec rule


@dataclass
class Manifest:
    path: Path
    name: str
    language: str
    version: str
    platform: str
    codec: CodecTesteeSpec = None
    server: RoleSpec = None
    client: RoleSpec = None
    fixed: dict = field(default_factory=dict)

    def role(self, name: str) -> RoleSpec:
        return self.server if name == "server" else self.client


def _check_keys(table, allowed, where):
    unknown = set(table) - allowed
    if unknown:
        raise ManifestError("%s: unknown keys %s (allowed: %s)"
                            % (where, sorted(unknown), sorted(allowed)))


def expand(template: str, values: dict) -> str:
    """Replaces {placeholders}; an unknown placeholder is an error."""
    try:
        return template.format(**values)
    except KeyError as e:
        raise ManifestError("unknown placeholder {%s} in %r" % (e.args[0], template)) from e


def default_placeholders(build_preset="default"):
    build = paths.build_dir(build_preset)
    return {"root": str(paths.ROOT), "build_dir": str(build),
            "nipc_ref": str(build / "reference/tools/nipc-ref/nipc-ref")}


def template_fields(template: str):
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _load_role(table, where, values) -> RoleSpec:
    _check_keys(table, ROLE_KEYS, where)
    cmd = table.get("command")
    if not isinstance(cmd, list) or not cmd or not all(isinstance(c, str) for c in cmd):
        raise ManifestError("%s: command must be a non-empty list of strings" % where)
    known = set(values) | ROLE_PLACEHOLDERS
    for part in cmd:
        unknown = template_fields(part) - known
        if unknown:
            raise ManifestError("%s: unknown placeholders %s in %r" % (where, sorted(unknown), part))
    # Tool locations are fixed now; the per-case placeholders stay for later.
    fixed_values = {k: v for k, v in values.items()}
    fixed_values.update({k: "{%s}" % k for k in ROLE_PLACEHOLDERS})
    spec = RoleSpec(command=[part.format(**fixed_values) for part in cmd])
    for key, allowed in (("profiles", RUN_PROFILES), ("service_kinds", SERVICE_KINDS)):
        if key in table:
            value = table[key]
            if not isinstance(value, list) or set(value) - set(allowed):
                raise ManifestError("%s: %s must be a list drawn from %s" % (where, key, allowed))
            setattr(spec, key, list(value))
    if "scenarios" in table:
        if not isinstance(table["scenarios"], list):
            raise ManifestError("%s: scenarios must be a list" % where)
        spec.scenarios = list(table["scenarios"])
    if "exit_unsupported" in table:
        if not isinstance(table["exit_unsupported"], int):
            raise ManifestError("%s: exit_unsupported must be an integer" % where)
        spec.exit_unsupported = table["exit_unsupported"]
    if "error_rules" in table:
        if not isinstance(table["error_rules"], bool):
            raise ManifestError("%s: error_rules must be true or false" % where)
        spec.error_rules = table["error_rules"]
    return spec


def load(path, placeholders=None) -> Manifest:
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ManifestError("%s: %s" % (path, e)) from e
    where = str(path)
    _check_keys(doc, TOP_KEYS, where)
    impl = doc.get("implementation")
    if not isinstance(impl, dict):
        raise ManifestError("%s: missing [implementation] table" % where)
    _check_keys(impl, IMPLEMENTATION_KEYS, where + " [implementation]")
    for key in ("name", "language"):
        if not isinstance(impl.get(key), str) or not impl[key]:
            raise ManifestError("%s: [implementation] needs a non-empty %s" % (where, key))
    values = dict(default_placeholders(), **(placeholders or {}))
    manifest = Manifest(path=path, name=impl["name"], language=impl["language"],
                        version=impl.get("version", "unknown"),
                        platform=impl.get("platform", "linux"))
    codec = doc.get("codec")
    if codec is not None:
        _check_keys(codec, CODEC_KEYS, where + " [codec]")
        cmd = codec.get("command")
        if not isinstance(cmd, list) or not cmd or not all(isinstance(c, str) for c in cmd):
            raise ManifestError("%s: [codec] command must be a non-empty list of strings" % where)
        manifest.codec = CodecTesteeSpec(command=[expand(c, values) for c in cmd],
                                         families=list(codec.get("families", [])))
    for role in ("server", "client"):
        table = doc.get(role)
        if table is not None:
            setattr(manifest, role, _load_role(table, "%s [%s]" % (where, role), values))
    fixed = doc.get("fixed", {})
    _check_keys(fixed, FIXED_KEYS, where + " [fixed]")
    for key, value in fixed.items():
        if not isinstance(value, (int, str)) or isinstance(value, bool):
            raise ManifestError("%s [fixed]: %s must be an integer or a string" % (where, key))
    manifest.fixed = dict(fixed)
    return manifest
