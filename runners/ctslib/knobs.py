"""The shim contract's knobs, read from their one table (spec/shim-knobs.json).

Every other list of knobs is derived from here: the manifest loader's placeholders and
[fixed] keys, the conformance driver's run defaults and peer configuration, the matrix's
values for knobs a scenario does not set, the exit code of "not supported", and the C++
header reference/tools/common/shim_knobs.h (`python3 -m runners.ctslib.knobs header`, or
`./cts spec knobs --write`). A table with an unknown key, a missing key or a value of the
wrong type is refused with a KnobTableError naming the place.
"""
import json
import sys
from pathlib import Path

from . import paths

TABLE = paths.ROOT / "spec" / "shim-knobs.json"
SCHEMA = paths.ROOT / "spec" / "shim-knobs.schema.json"
HEADER = paths.ROOT / "reference" / "tools" / "common" / "shim_knobs.h"

ROLES = ("server", "client")
TOP_KEYS = {"$schema", "about", "exit_codes", "run_auth_token", "case_needs_beyond_knobs",
            "notes", "knobs"}
KNOB_REQUIRED = {"name", "flag", "roles", "type", "required", "contract_default",
                 "placeholder", "fixed", "need", "peer_config"}
KNOB_OPTIONAL = {"values", "default", "run", "matrix", "only_for"}
TYPES = ("string", "path", "enum", "u16", "u32", "u64", "mask", "sessions", "number")
RUNNERS = ("bench",)  # runners that alone set some knobs (column only_for)
ROLE_SPELLINGS = ("both", "server", "client")
DEFAULT_KEYS = {"server", "client", "posix", "windows"}


class KnobTableError(ValueError):
    pass


def _fail(where, what):
    raise KnobTableError("%s: %s: %s" % (TABLE.name, where, what))


def _check_value(where, knob, value):
    kind = knob["type"]
    if kind in ("u16", "u32", "u64", "mask"):
        bits = {"u16": 16, "u32": 32, "u64": 64, "mask": 32}[kind]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2 ** bits:
            _fail(where, "%r is not a %s" % (value, kind))
    elif kind == "number":
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            _fail(where, "%r is not a non-negative number" % (value,))
    elif kind == "sessions":
        if value != "forever" and not (isinstance(value, int) and value > 0):
            _fail(where, "%r is neither \"forever\" nor a positive count" % (value,))
    elif kind == "enum":
        if value not in knob.get("values", ()):
            _fail(where, "%r is not one of %s" % (value, knob.get("values")))
    elif not isinstance(value, str):
        _fail(where, "%r is not a string" % (value,))


def validate(doc: dict) -> dict:
    """Checks the table's shape and values; returns `doc` unchanged when it is sound."""
    if not isinstance(doc, dict):
        _fail("top level", "not an object")
    unknown, missing = set(doc) - TOP_KEYS, (TOP_KEYS - {"$schema", "about", "notes"}) - set(doc)
    if unknown or missing:
        _fail("top level", "unknown keys %s, missing keys %s" % (sorted(unknown), sorted(missing)))
    codes = doc["exit_codes"]
    if not isinstance(codes, list) or not codes:
        _fail("exit_codes", "must be a non-empty list")
    for n, row in enumerate(codes):
        if not isinstance(row, dict) or set(row) != {"name", "code"} or \
                not isinstance(row["name"], str) or not isinstance(row["code"], int):
            _fail("exit_codes[%d]" % n, "must be {name: string, code: integer}")
    if len({r["code"] for r in codes}) != len(codes) or len({r["name"] for r in codes}) != len(codes):
        _fail("exit_codes", "names and codes must be unique")
    seen = set()
    for n, knob in enumerate(doc["knobs"]):
        where = "knobs[%d]" % n
        if not isinstance(knob, dict):
            _fail(where, "not an object")
        where = "knob %s" % knob.get("name", n)
        unknown = set(knob) - KNOB_REQUIRED - KNOB_OPTIONAL
        missing = KNOB_REQUIRED - set(knob)
        if unknown or missing:
            _fail(where, "unknown keys %s, missing keys %s" % (sorted(unknown), sorted(missing)))
        if knob["name"] in seen:
            _fail(where, "listed twice")
        seen.add(knob["name"])
        if knob["flag"] != "--" + knob["name"].replace("_", "-"):
            _fail(where, "flag %s does not spell the name" % knob["flag"])
        if knob["roles"] not in ROLE_SPELLINGS:
            _fail(where, "roles must be one of %s" % (ROLE_SPELLINGS,))
        if knob["type"] not in TYPES:
            _fail(where, "type must be one of %s" % (TYPES,))
        if (knob["type"] == "enum") != ("values" in knob):
            _fail(where, "values go with type enum, and only with it")
        for flag in ("required", "placeholder", "fixed", "need", "peer_config"):
            if not isinstance(knob[flag], bool):
                _fail(where, "%s must be true or false" % flag)
        if knob["required"] and "default" in knob:
            _fail(where, "a required knob has no default")
        roles = ROLES if knob["roles"] == "both" else (knob["roles"],)
        for table in ("default", "run"):
            values = knob.get(table)
            if values is None:
                continue
            if not isinstance(values, dict) or not values or set(values) - DEFAULT_KEYS:
                _fail(where, "%s must map roles (or posix/windows) to values" % table)
            for key, value in values.items():
                if key in ROLES and key not in roles:
                    _fail(where, "%s names role %s, which the knob does not have" % (table, key))
                _check_value("%s %s.%s" % (where, table, key), knob, value)
        if knob.get("only_for", RUNNERS[0]) not in RUNNERS:
            _fail(where, "only_for must be one of %s" % (RUNNERS,))
        if "only_for" in knob and not (knob["placeholder"] and "default" in knob):
            _fail(where, "a knob only one runner sets needs a placeholder and a default")
        if "matrix" in knob:
            _check_value(where + " matrix", knob, knob["matrix"])
    return doc


_cache = {}


def table(path: Path = None) -> dict:
    """The validated table (read once per path)."""
    path = Path(path or TABLE)
    if path not in _cache:
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise KnobTableError("%s: %s" % (path, e)) from e
        _cache[path] = validate(doc)
    return _cache[path]


def knobs() -> list:
    return table()["knobs"]


def knob(name: str) -> dict:
    for k in knobs():
        if k["name"] == name:
            return k
    raise KeyError(name)


def exit_code(name: str) -> int:
    """The shim contract's exit code called `name` ("not_supported" -> 4), SHIM-EXIT-001."""
    for row in table()["exit_codes"]:
        if row["name"] == name:
            return row["code"]
    raise KeyError(name)


def names(**where) -> tuple:
    """Knob names, in table order, whose boolean columns have the given values
    (names(placeholder=True): the manifest placeholders)."""
    return tuple(k["name"] for k in knobs() if all(k[col] == v for col, v in where.items()))


def _for_role(values: dict, role: str):
    """A role's entry, or the only entry of a one-role knob (a server-only knob still has a
    value in a client's configuration, which the client's command ignores)."""
    if role in values:
        return values[role]
    own = [v for k, v in values.items() if k in ROLES]
    return own[0] if own else None


def contract_default(name: str, role: str):
    """What a shim uses when the flag is absent (spec/shim-contract.md's Default column)."""
    return _for_role(knob(name).get("default", {}), role)


def run_defaults(role: str) -> dict:
    """The conformance driver's configuration for a case that needs nothing particular:
    every placeholder knob except the per-run ones (run_dir, service, auth_token)."""
    out = {}
    for k in knobs():
        if not k["placeholder"] or k["name"] in ("run_dir", "service", "auth_token") or \
                "only_for" in k:
            continue
        value = _for_role(k.get("run", {}), role)
        out[k["name"]] = value if value is not None else _for_role(k.get("default", {}), role)
    return out


def matrix_defaults() -> dict:
    """A matrix cell's values for the knobs its scenario does not set, as command-line
    strings; one set for both sides (a knob whose contract default differs per role is
    passed as 0, which asks each side for its own)."""
    out = {}
    for k in knobs():
        if not k["placeholder"] or "only_for" in k or k["name"] in (
                "run_dir", "service", "auth_token", "service_kind", "scenario", "profiles"):
            continue
        if "matrix" in k:
            out[k["name"]] = str(k["matrix"])
            continue
        values = {v for r, v in k.get("default", {}).items() if r in ROLES}
        if len(values) != 1:
            raise KnobTableError("knob %s: defaults differ per role; give a matrix value"
                                 % k["name"])
        out[k["name"]] = str(values.pop())
    return out


def only_for_defaults() -> dict:
    """Placeholders only one runner sets (./cts bench's duration and rate), with the contract
    default the other runners put in a command that names them."""
    return {k["name"]: str(_for_role(k["default"], "client")) for k in knobs() if "only_for" in k}


# ---------------------------------------------------------------------------------------
# The generated C++ header.

_CPP_TYPES = {"u16": "std::uint16_t", "u32": "std::uint32_t", "u64": "std::uint64_t",
              "mask": "std::uint32_t"}


def _cpp_ident(name: str) -> str:
    return "k" + "".join(part.capitalize() for part in name.split("_"))


def _cpp_value(k: dict, value) -> str:
    if k["type"] in _CPP_TYPES:
        suffix = "ull" if k["type"] == "u64" else "u"
        text = "0x%x" % value if k["type"] == "mask" else str(value)
        return "%s{%s%s}" % (_CPP_TYPES[k["type"]], text, suffix)
    if k["type"] == "number":
        return repr(float(value))
    if k["type"] == "sessions" and isinstance(value, int):
        return '"%d"' % value
    return '"%s"' % value


def _cpp_type(k: dict) -> str:
    if k["type"] == "number":
        return "double"
    return "const char*" if k["type"] not in _CPP_TYPES else _CPP_TYPES[k["type"]]


def render_header() -> str:
    """The text of reference/tools/common/shim_knobs.h."""
    doc = table()
    out = ["// Generated from spec/shim-knobs.json by runners/ctslib/knobs.py; do not edit.",
           "// Regenerate: ./cts spec knobs --write (runners/tests/test_shim_knobs.py checks it).",
           "//",
           "// The shim contract's exit codes and knob defaults (spec/shim-contract.md), for the",
           "// reference shim nipc-ref and the conformance peer nipc-peer.",
           "#ifndef NIPC_TOOLS_SHIM_KNOBS_H_",
           "#define NIPC_TOOLS_SHIM_KNOBS_H_",
           "",
           "#include <cstdint>",
           "",
           "namespace nipc::shim {",
           "",
           "/// SHIM-EXIT-001: one code, one outcome, for both roles.",
           "enum Exit : int {"]
    out += ["  kExit%s = %d," % (_cpp_ident(r["name"])[1:], r["code"]) for r in doc["exit_codes"]]
    out += ["};", "", "/// What a shim uses when a flag is absent (the contract's Default column;",
            "/// 0 asks for the default where the column names one that is not a number).",
            "namespace contract {"]
    transport = knob("transport")["default"]
    out += ["inline constexpr const char* kTransportPosix = \"%s\";" % transport["posix"],
            "inline constexpr const char* kTransportWindows = \"%s\";" % transport["windows"]]
    for role in ROLES:
        out.append("namespace %s {" % role)
        for k in doc["knobs"]:
            if k["roles"] not in ("both", role) or role not in k.get("default", {}):
                continue
            out.append("inline constexpr %s %s = %s;" % (_cpp_type(k), _cpp_ident(k["name"]),
                                                         _cpp_value(k, k["default"][role])))
        out.append("}  // namespace %s" % role)
    out += ["}  // namespace contract", "",
            "/// What the suite passes when a conformance case needs nothing particular.",
            "namespace run {"]
    for role in ROLES:
        out.append("namespace %s {" % role)
        values = run_defaults(role)
        for k in doc["knobs"]:
            if k["name"] in values and values[k["name"]] is not None:
                out.append("inline constexpr %s %s = %s;" % (
                    _cpp_type(k), _cpp_ident(k["name"]), _cpp_value(k, values[k["name"]])))
        out.append("}  // namespace %s" % role)
    token = int(doc["run_auth_token"], 0)
    out += ["/// The token of matrix cells and the peer's default (conformance cases draw their own).",
            "inline constexpr std::uint64_t kAuthToken = 0x%016xull;" % token,
            "}  // namespace run", "", "}  // namespace nipc::shim", "",
            "#endif  // NIPC_TOOLS_SHIM_KNOBS_H_", ""]
    return "\n".join(out)


def main(argv=None) -> int:
    """`header`: prints the generated header; `--write`: writes it; `--check`: exit 1 when
    the checked-in header differs from the table."""
    args = list(sys.argv[1:] if argv is None else argv)
    text = render_header()
    if args == ["--write"]:
        HEADER.write_text(text)
        print("wrote %s" % HEADER.relative_to(paths.ROOT))
        return 0
    if args == ["--check"]:
        if HEADER.read_text() != text:
            print("%s differs from spec/shim-knobs.json: run ./cts spec knobs --write"
                  % HEADER.relative_to(paths.ROOT), file=sys.stderr)
            return 1
        print("%s matches spec/shim-knobs.json" % HEADER.relative_to(paths.ROOT))
        return 0
    if args in ([], ["header"]):
        sys.stdout.write(text)
        return 0
    print("usage: knobs.py [header | --write | --check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
