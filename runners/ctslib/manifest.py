"""Implementation manifests (interop/*.toml): how to start an implementation's binaries and
what they can do. The format is documented in interop/README.md.

Unknown keys are errors, so a typo never silently disables something.
"""
import os
import re
import shutil
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import knobs, paths, revisions as revisions_mod

TOP_KEYS = {"implementation", "codec", "server", "client", "capabilities", "fixed"}
IMPLEMENTATION_KEYS = {"name", "language", "version", "version_command", "platform", "launcher",
                       "build", "probe", "revisions"}
CODEC_KEYS = {"command", "families"}
SERVER_KEYS = {"command", "ready", "ready_pattern", "ready_delay_ms", "ready_timeout_ms",
               "sessions", "stop_timeout_ms", "env"}
CLIENT_KEYS = {"command", "success", "success_pattern", "timeout_ms", "unsupported_exit_codes",
               "env"}
CAPABILITY_KEYS = {"roles", "service_kinds", "scenarios", "profiles", "configurable"}
# The knobs spec/shim-knobs.json lets a [fixed] table set, plus what a fixed program alone has:
# the method and message_id of the one request a fixed client sends (or a fixed server
# expects), and a fixed snapshot content, items inline ([[fixed.snapshot]] tables).
FIXED_KEYS = set(knobs.names(fixed=True)) | {"method", "message_id", "snapshot"}
# Per-role tables inside [fixed]: [fixed.server] and [fixed.client] override [fixed] for the
# program playing that role (one program's server and client may differ).
FIXED_ROLE_TABLES = ("server", "client")
# Request-shape knobs: what a fixed client does. A cell runs a fixed client with its own
# values (the row notes them) instead of declaring the cell not applicable.
REQUEST_KNOBS = ("scenario", "count", "size", "items", "depth", "method", "message_id")
SNAPSHOT_ITEM_KEYS = {"hash", "options", "enabled", "name", "path"}

ROLES = ("server", "client", "codec")
# platform -> the transport family it speaks. Implementations of different families share no
# transport, so matrix cells between them are not applicable.
PLATFORMS = {"linux": "posix", "freebsd": "posix", "macos": "posix", "windows": "windows"}
# Profile names per transport family (profile bit -> name in cell ids and reports).
PROFILE_NAMES = {"posix": {0x01: "uds", 0x02: "shm-hybrid", 0x04: "shm-futex"},
                 "windows": {0x01: "pipe", 0x02: "shm-hybrid", 0x04: "shm-busywait"}}
EXE_SUFFIX = {"posix": "", "windows": ".exe"}
# Service kinds a manifest may list beyond the defaults: the newest revision's lookup methods
# (spec/lookup.md), claimed only by implementations that serve them.
EXTRA_SERVICE_KINDS = ("cgroups-lookup", "apps-lookup")
SERVICE_KINDS = tuple(k for k in knobs.knob("service_kind")["values"] if k not in EXTRA_SERVICE_KINDS)
SCENARIOS = ("single", "batch", "pipeline", "large", "snapshot")
# Scenarios a client may list beyond the defaults: "connect" (the handshake alone), "lookup"
# (the lookup service kinds), "bench" (SHIM-BENCH-001, run by `./cts bench` only), "cache"
# (refreshes of an L3 snapshot cache) and the typed-client scenarios the conformance peer
# judges (spec/shim-contract.md).
EXTRA_SCENARIOS = ("connect", "lookup", "bench", "cache", "overflow", "retry", "attach-fail")
PROFILE_BITS = (0x01, 0x02, 0x04)
# line: a stdout line matches ready_pattern; socket: the endpoint file appears (nothing
# connects to it, so a one-session server keeps its session); connect: the endpoint accepts a
# probe connection (costs the server a session); delay: wait ready_delay_ms.
READY_MODES = ("line", "socket", "connect", "delay")
# The shim contract's exit code for "cannot play this case" (SHIM-EXIT-001).
UNSUPPORTED_EXIT_CODE = knobs.exit_code("not_supported")
SESSION_MODES = ("forever", "one")
SUCCESS_MODES = ("exit-code", "line")

# Placeholders a [server]/[client] command may use; each maps to one knob of the shim contract
# (spec/shim-knobs.json, column placeholder).
CONFIG_PLACEHOLDERS = knobs.names(placeholder=True)
# Values of placeholders that only some runners set (spec/shim-knobs.json, column only_for).
PLACEHOLDER_DEFAULTS = knobs.only_for_defaults()
PATH_PLACEHOLDERS = ("root", "build_dir", "exe", "source", "fixtures")
# Path placeholders filled from the environment: a user's checkout of an implementation and
# the build tree of its own programs (interop/examples/plugin-ipc-fixtures/).
ENV_PLACEHOLDERS = {"source": "NIPC_IMPL_SOURCE", "fixtures": "NIPC_FIXTURES_BUILD"}
_PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")


class ManifestError(ValueError):
    pass


@dataclass
class CodecTesteeSpec:
    command: list
    families: list = field(default_factory=list)  # empty: ask the testee


@dataclass
class ServerSpec:
    """How to start the implementation's server and know it is ready."""
    command: list
    ready: str = "line"             # line | socket | connect | delay
    ready_pattern: str = "^READY"   # with ready = "line"
    ready_delay_ms: int = 500       # with ready = "delay"
    ready_timeout_ms: int = 10000
    sessions: str = "forever"       # forever | one (serves one session, then exits)
    stop_timeout_ms: int = 5000     # the stop request, then a kill after this long
    env: dict = field(default_factory=dict)  # extra environment variables
    stop: str = "terminate"         # from the platform: terminate (SIGTERM) | interrupt
                                    # (a console control event; SIGINT to wine)


@dataclass
class ClientSpec:
    """How to run the implementation's client and read its verdict."""
    command: list
    success: str = "exit-code"      # exit-code | line
    success_pattern: str = ""       # with success = "line"
    timeout_ms: int = 30000
    unsupported_exit_codes: list = field(default_factory=lambda: [UNSUPPORTED_EXIT_CODE])
    env: dict = field(default_factory=dict)  # extra environment variables


@dataclass
class Capabilities:
    roles: list = field(default_factory=list)
    service_kinds: list = field(default_factory=lambda: list(SERVICE_KINDS))
    scenarios: list = field(default_factory=lambda: list(SCENARIOS))
    profiles: list = field(default_factory=lambda: [0x01])
    configurable: bool = True


@dataclass
class Manifest:
    path: Path
    name: str
    language: str
    version: str
    platform: str
    launcher: list = field(default_factory=list)   # prepended to every command
    version_command: list = field(default_factory=list)
    build: str = "default"          # the CMake preset whose tree {build_dir} names
    uses_build_dir: bool = False    # some command names {build_dir}: `./cts run` builds it
    probe: list = field(default_factory=list)      # launcher first; must exit 0 (see probe())
    codec: CodecTesteeSpec = None
    server: ServerSpec = None
    client: ClientSpec = None
    capabilities: Capabilities = field(default_factory=Capabilities)
    fixed: dict = field(default_factory=dict)  # knob -> value, when not configurable
    fixed_roles: dict = field(default_factory=dict)  # role -> knob -> value (overrides fixed)
    # The protocol revisions the implementation claims (spec/README.md#revisions); a run at
    # another revision shows its rows as not applicable. Unset: the default revision only.
    revisions: list = field(default_factory=lambda: [revisions_mod.DEFAULT])
    # The revision the current run judges; fills the {spec_revision} placeholder.
    run_revision: str = revisions_mod.DEFAULT

    def claims(self, revision: str) -> bool:
        """True when the implementation claims `revision`."""
        return revision in self.revisions

    def unclaimed_reason(self, revision: str) -> str:
        """Why the rows of an implementation that does not claim `revision` are not run."""
        return ("%s claims revision%s %s, not %s (its manifest's revisions)"
                % (self.name, "s" if len(self.revisions) > 1 else "",
                   ", ".join(self.revisions), revision))

    @property
    def family(self) -> str:
        """The transport family of the platform: "posix" or "windows"."""
        return PLATFORMS[self.platform]

    def profile_name(self, bit: int) -> str:
        return PROFILE_NAMES[self.family][bit]

    def build_targets(self):
        """CMake targets this manifest runs from its build tree: the executables its commands
        name under {build_dir} (a target is named like its executable, suffix dropped)."""
        tree = str(paths.build_dir(self.build)) + "/"
        commands = [self.probe] + [spec.command for spec in (self.codec, self.server,
                                                             self.client) if spec]
        targets = []
        for part in (p for cmd in commands for p in cmd):
            if part.startswith(tree):
                name = part.rsplit("/", 1)[-1]
                name = name[:-len(EXE_SUFFIX["windows"])] if name.endswith(".exe") else name
                if name not in targets:
                    targets.append(name)
        return targets

    def build_outputs(self):
        """The files under its build tree this manifest's commands run, relative to that tree
        (ninja builds a file named so, whatever its CMake target is called)."""
        tree = str(paths.build_dir(self.build)) + "/"
        commands = [self.probe] + [spec.command for spec in (self.codec, self.server,
                                                             self.client) if spec]
        outputs = []
        for part in (p for cmd in commands for p in cmd):
            if part.startswith(tree) and part[len(tree):] not in outputs:
                outputs.append(part[len(tree):])
        return outputs

    def supports(self, role: str) -> bool:
        return role in self.capabilities.roles

    def fixed_for(self, role: str = None) -> dict:
        """The fixed knobs of the program playing `role`: [fixed], overridden by
        [fixed.<role>]; None: [fixed] alone. Empty for a configurable implementation."""
        if self.capabilities.configurable:
            return {}
        merged = dict(self.fixed)
        merged.update(self.fixed_roles.get(role, {}) if role else {})
        return merged

    def applicable(self, config: dict, role: str = None):
        """Whether a case needing `config` (knob -> value) can run against this implementation
        in `role`. Returns (True, "") or (False, reason). A configurable implementation takes
        any value; a fixed one only its own values for the knobs it fixes."""
        fixed = self.fixed_for(role)
        for knob, wanted in sorted(config.items()):
            if knob in fixed and knob != "snapshot" and str(fixed[knob]) != str(wanted):
                return False, "needs %s=%s; the implementation%s is fixed at %s" % (
                    knob, wanted, " (%s)" % role if role in self.fixed_roles else "",
                    fixed[knob])
        return True, ""

    def effective_config(self, config: dict, role: str = None) -> dict:
        """`config` with the fixed values of the program playing `role` taking precedence."""
        merged = dict(config)
        merged.update({k: v for k, v in self.fixed_for(role).items() if k != "snapshot"})
        return merged

    def argv(self, role: str, config: dict) -> list:
        """The command line for `role` ("server" or "client") under `config`, launcher first.
        Every placeholder the command uses must have a value in `config`."""
        spec = self.server if role == "server" else self.client
        if spec is None:
            raise ManifestError("%s has no [%s] section" % (self.name, role))
        values = dict(PLACEHOLDER_DEFAULTS)
        values.update({k: str(v) for k, v in self.effective_config(config, role).items()})
        values.setdefault("spec_revision", self.run_revision)
        return list(self.launcher) + [expand(part, values, self.path) for part in spec.command]


def _check_keys(table, allowed, where):
    if not isinstance(table, dict):
        raise ManifestError("%s must be a table" % where)
    unknown = set(table) - allowed
    if unknown:
        raise ManifestError("%s: unknown keys %s (allowed: %s)"
                            % (where, sorted(unknown), sorted(allowed)))


def _string_list(value, where, allow_empty=False):
    if not isinstance(value, list) or (not value and not allow_empty) or \
            not all(isinstance(v, str) for v in value):
        raise ManifestError("%s must be a %slist of strings" % (where, "" if allow_empty
                                                                 else "non-empty "))
    return list(value)


def _choice(table, key, choices, default, where):
    value = table.get(key, default)
    if value not in choices:
        raise ManifestError("%s: %s must be one of %s, not %r" % (where, key, list(choices),
                                                                 value))
    return value


def _int(table, key, default, where):
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ManifestError("%s: %s must be a non-negative integer" % (where, key))
    return value


def expand(template: str, values: dict, where="") -> str:
    """Replaces {placeholders} in one argument; an unknown or unset placeholder is an error."""
    def sub(m):
        name = m.group(1)
        if name not in values:
            raise ManifestError("%s: placeholder {%s} in %r has no value" % (where, name,
                                                                             template))
        return values[name]
    return _PLACEHOLDER_RE.sub(sub, template)


def _mentions_build_dir(value) -> bool:
    if isinstance(value, str):
        return "{build_dir}" in value
    if isinstance(value, dict):
        return any(_mentions_build_dir(v) for v in value.values())
    if isinstance(value, list):
        return any(_mentions_build_dir(v) for v in value)
    return False


def _check_placeholders(command, where, paths_only=False):
    for part in command:
        for name in _PLACEHOLDER_RE.findall(part):
            if name not in PATH_PLACEHOLDERS and (paths_only or name not in CONFIG_PLACEHOLDERS):
                raise ManifestError("%s: unknown placeholder {%s} (known: %s)" % (
                    where, name, ", ".join(PATH_PLACEHOLDERS + CONFIG_PLACEHOLDERS)))


def default_placeholders(build_preset="default", platform="linux"):
    values = {"root": str(paths.ROOT), "build_dir": str(paths.build_dir(build_preset)),
              "exe": EXE_SUFFIX[PLATFORMS[platform]]}
    for name, variable in ENV_PLACEHOLDERS.items():
        if os.environ.get(variable):
            values[name] = os.environ[variable].rstrip("/")
    return values


def _check_env_placeholders(doc, values, where):
    """A manifest naming {source} or {fixtures} needs its environment variable set."""
    text = repr(doc)
    for name, variable in ENV_PLACEHOLDERS.items():
        if "{%s}" % name in text and name not in values:
            raise ManifestError("%s: uses {%s}: set %s to the directory it stands for "
                                "(interop/README.md, placeholders)" % (where, name, variable))


def _expand_paths(command, values):
    """Expands only {root}/{build_dir}; config placeholders stay for argv() to fill."""
    return [_PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), part)
            for part in command]


def load(path, placeholders=None) -> Manifest:
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ManifestError("%s: %s" % (path, e)) from e
    where = str(path)
    _check_keys(doc, TOP_KEYS, where)
    impl = doc.get("implementation")
    if impl is None:
        raise ManifestError("%s: missing [implementation] table" % where)
    _check_keys(impl, IMPLEMENTATION_KEYS, where + " [implementation]")
    for key in ("name", "language"):
        if not isinstance(impl.get(key), str) or not impl[key]:
            raise ManifestError("%s: [implementation] needs a non-empty %s" % (where, key))
    if not re.match(r"^[A-Za-z0-9._-]+$", impl["name"]):
        raise ManifestError("%s: implementation name %r must match [A-Za-z0-9._-]+"
                            % (where, impl["name"]))
    platform = impl.get("platform", "linux")
    if platform not in PLATFORMS:
        raise ManifestError("%s: platform must be one of %s, not %r"
                            % (where, sorted(PLATFORMS), platform))
    preset = impl.get("build", "default")
    if not isinstance(preset, str) or preset not in paths.configure_presets():
        raise ManifestError("%s: build must name a configure preset of CMakePresets.json "
                            "(%s), not %r" % (where, ", ".join(paths.configure_presets()),
                                              preset))
    values = dict(default_placeholders(preset, platform), **(placeholders or {}))
    _check_env_placeholders(doc, values, where)
    launcher = _string_list(impl.get("launcher", []), where + " launcher", True)
    _check_placeholders(launcher, where + " launcher", paths_only=True)
    launcher = _expand_paths(launcher, values)
    probe = _string_list(impl.get("probe", []), where + " probe", True)
    _check_placeholders(probe, where + " probe", paths_only=True)
    m = Manifest(path=path, name=impl["name"], language=impl["language"],
                 version=str(impl.get("version", "unknown")), platform=platform,
                 launcher=launcher, build=preset,
                 probe=launcher + _expand_paths(probe, values) if probe else [],
                 version_command=_string_list(impl.get("version_command", []),
                                              where + " version_command", True))
    m.uses_build_dir = _mentions_build_dir(doc)
    if "revisions" in impl:
        claimed = _string_list(impl["revisions"], where + " revisions")
        for name in claimed:
            if name not in revisions_mod.REVISIONS:
                raise ManifestError("%s: revisions: unknown revision %r (known: %s)"
                                    % (where, name, ", ".join(revisions_mod.REVISIONS)))
        if len(set(claimed)) != len(claimed):
            raise ManifestError("%s: revisions lists a revision twice" % where)
        m.revisions = [r for r in revisions_mod.REVISIONS if r in claimed]

    if "codec" in doc:
        codec = doc["codec"]
        _check_keys(codec, CODEC_KEYS, where + " [codec]")
        cmd = _string_list(codec.get("command"), where + " [codec] command")
        _check_placeholders(cmd, where + " [codec]")
        m.codec = CodecTesteeSpec(command=m.launcher + [expand(c, values, where) for c in cmd],
                                  families=list(codec.get("families", [])))

    if "server" in doc:
        s = doc["server"]
        w = where + " [server]"
        _check_keys(s, SERVER_KEYS, w)
        cmd = _string_list(s.get("command"), w + " command")
        _check_placeholders(cmd, w)
        m.server = ServerSpec(command=_expand_paths(cmd, values),
                              ready=_choice(s, "ready", READY_MODES, "line", w),
                              ready_pattern=s.get("ready_pattern", "^READY"),
                              ready_delay_ms=_int(s, "ready_delay_ms", 500, w),
                              ready_timeout_ms=_int(s, "ready_timeout_ms", 10000, w),
                              sessions=_choice(s, "sessions", SESSION_MODES, "forever", w),
                              stop_timeout_ms=_int(s, "stop_timeout_ms", 5000, w),
                              env=_env(s, w, values),
                              stop="interrupt" if PLATFORMS[platform] == "windows"
                              else "terminate")
        _compile(m.server.ready_pattern, w + " ready_pattern")

    if "client" in doc:
        c = doc["client"]
        w = where + " [client]"
        _check_keys(c, CLIENT_KEYS, w)
        cmd = _string_list(c.get("command"), w + " command")
        _check_placeholders(cmd, w)
        m.client = ClientSpec(command=_expand_paths(cmd, values),
                              success=_choice(c, "success", SUCCESS_MODES, "exit-code", w),
                              success_pattern=c.get("success_pattern", ""),
                              timeout_ms=_int(c, "timeout_ms", 30000, w),
                              unsupported_exit_codes=_int_list(c, "unsupported_exit_codes",
                                                               [UNSUPPORTED_EXIT_CODE], w),
                              env=_env(c, w, values))
        if m.client.success == "line":
            if not m.client.success_pattern:
                raise ManifestError("%s: success = \"line\" needs success_pattern" % w)
            _compile(m.client.success_pattern, w + " success_pattern")

    caps = doc.get("capabilities", {})
    w = where + " [capabilities]"
    _check_keys(caps, CAPABILITY_KEYS, w)
    default_roles = [r for r, spec in (("server", m.server), ("client", m.client),
                                       ("codec", m.codec)) if spec is not None]
    m.capabilities = Capabilities(
        roles=_subset(caps.get("roles", default_roles), ROLES, w + " roles"),
        service_kinds=_subset(caps.get("service_kinds", list(SERVICE_KINDS)),
                              SERVICE_KINDS + EXTRA_SERVICE_KINDS, w + " service_kinds"),
        scenarios=_subset(caps.get("scenarios", list(SCENARIOS)), SCENARIOS + EXTRA_SCENARIOS,
                          w + " scenarios"),
        profiles=_subset(caps.get("profiles", [0x01]), PROFILE_BITS, w + " profiles"),
        configurable=caps.get("configurable", True))
    if not isinstance(m.capabilities.configurable, bool):
        raise ManifestError("%s: configurable must be true or false" % w)
    for role in m.capabilities.roles:
        if {"server": m.server, "client": m.client, "codec": m.codec}[role] is None:
            raise ManifestError("%s: role %s is declared but there is no [%s] section"
                                % (w, role, role))

    fixed = dict(doc.get("fixed", {}))
    roles_fixed = {r: fixed.pop(r) for r in FIXED_ROLE_TABLES if r in fixed}
    _check_keys(fixed, FIXED_KEYS, where + " [fixed]")
    for role, table in roles_fixed.items():
        _check_keys(table, FIXED_KEYS, "%s [fixed.%s]" % (where, role))
        _check_fixed_snapshot(table, "%s [fixed.%s]" % (where, role))
    _check_fixed_snapshot(fixed, where + " [fixed]")
    if (fixed or roles_fixed) and m.capabilities.configurable:
        raise ManifestError("%s: [fixed] needs [capabilities] configurable = false" % where)
    if not m.capabilities.configurable and not (fixed or roles_fixed):
        raise ManifestError("%s: configurable = false needs a [fixed] table" % where)
    m.fixed = fixed
    m.fixed_roles = {r: dict(t) for r, t in roles_fixed.items()}
    return m


def _check_fixed_snapshot(table, where):
    """A fixed snapshot content: a list of item tables (hash, options, enabled, name, path);
    it fixes snapshot_items at its length."""
    items = table.get("snapshot")
    if items is None:
        return
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ManifestError("%s: snapshot must be a list of item tables ([[fixed.snapshot]])"
                            % where)
    for n, item in enumerate(items):
        _check_keys(item, SNAPSHOT_ITEM_KEYS, "%s snapshot item %d" % (where, n))
    if "snapshot_items" in table and int(table["snapshot_items"]) != len(items):
        raise ManifestError("%s: snapshot_items = %s but the inline snapshot has %d items"
                            % (where, table["snapshot_items"], len(items)))
    table["snapshot_items"] = len(items)
    table.setdefault("snapshot_seed", "inline")


def _int_list(table, key, default, where):
    value = table.get(key, default)
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool)
                                              for v in value):
        raise ManifestError("%s: %s must be a list of integers" % (where, key))
    return list(value)


def _env(table, where, values):
    """An [server]/[client] env table: variable -> string ({root}/{build_dir} expanded)."""
    env = table.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                            for k, v in env.items()):
        raise ManifestError("%s: env must be a table of strings" % where)
    return {k: _expand_paths([v], values)[0] for k, v in env.items()}


def _subset(values, allowed, where):
    if not isinstance(values, list) or any(v not in allowed for v in values):
        raise ManifestError("%s must be a list drawn from %s, not %r" % (where, list(allowed),
                                                                        values))
    return list(values)


def _compile(pattern, where):
    try:
        re.compile(pattern)
    except re.error as e:
        raise ManifestError("%s: bad regular expression %r: %s" % (where, pattern, e)) from e


def missing_programs(manifests, skip_build_tree=False):
    """Every program a manifest names that cannot be started, as "manifest: key: why" lines
    (empty: all there). Checked: the launcher, the probe, and the first word of each [codec],
    [server] and [client] command (after the launcher). A word with a "/" must be an
    executable file (a program run under a launcher need only exist: the launcher reads it);
    a bare name must be on PATH (under a launcher it is the launcher's business). With
    `skip_build_tree`, programs under build/ are not checked (the build makes them)."""
    problems = []

    def check(m, key, word, launched):
        if skip_build_tree and word.startswith(str(paths.BUILD) + os.sep):
            return
        if os.sep not in word:
            if not launched and shutil.which(word) is None:
                problems.append("%s: %s: %s is not on PATH" % (m.path, key, word))
            return
        if not os.path.isfile(word):
            problems.append("%s: %s: %s does not exist" % (m.path, key, word))
        elif not launched and not os.access(word, os.X_OK):
            problems.append("%s: %s: %s is not executable" % (m.path, key, word))

    for m in manifests:
        n = len(m.launcher)
        if m.launcher:
            check(m, "[implementation] launcher", m.launcher[0], False)
        if m.probe and len(m.probe) > n:
            check(m, "[implementation] probe", m.probe[n], bool(n))
        if m.codec is not None and len(m.codec.command) > n:
            check(m, "[codec] command", m.codec.command[n], bool(n))
        for key, spec in (("[server] command", m.server), ("[client] command", m.client)):
            if spec is not None and spec.command:
                check(m, key, spec.command[0], bool(n))
    return problems


def report_missing_programs(manifests, command: str, skip_build_tree=False) -> bool:
    """Prints every program the manifests name that cannot be started (missing_programs),
    prefixed with `command`, and returns False when there is one: nothing should run then."""
    problems = missing_programs(manifests, skip_build_tree)
    for line in problems:
        print("%s: %s" % (command, line), file=sys.stderr)
    return not problems
