"""The reference must not pass by declining: which of its rows may end unsupported or
not-applicable, and why (conformance/reference-declines.toml)."""
import fnmatch
import tomllib
from pathlib import Path

from . import paths

DECLINES = paths.ROOT / "conformance" / "reference-declines.toml"
SECTIONS = {"conformance", "conformance-windows", "vectors"}
DECLINED = ("unsupported", "not-applicable")
# The manifests of the bundled reference: only their runs are held to the list.
REFERENCE_MANIFESTS = ("interop/reference.toml", "interop/reference-windows.toml",
                       "interop/windows-codec.toml")


class DeclinesError(ValueError):
    """The list file is malformed: an unknown section or a reason that is not a sentence."""


def load(path: Path = DECLINES) -> dict:
    """{section: {pattern: reason}}; raises DeclinesError naming the first problem."""
    doc = tomllib.loads(path.read_text())
    unknown = set(doc) - SECTIONS
    if unknown:
        raise DeclinesError("%s: unknown sections %s" % (path.name, sorted(unknown)))
    for section, table in doc.items():
        for pattern, reason in table.items():
            if not isinstance(reason, str) or len(reason.strip()) < 20:
                raise DeclinesError("%s: [%s] %s: the reason must say why (a sentence)"
                                    % (path.name, section, pattern))
    return {s: dict(doc.get(s, {})) for s in SECTIONS}


def is_reference(manifest_path) -> bool:
    """True for the bundled reference's own manifests (a copy elsewhere is not the reference)."""
    try:
        resolved = Path(manifest_path).resolve()
    except OSError:
        return False
    return any(resolved == (paths.ROOT / m).resolve() for m in REFERENCE_MANIFESTS)


def reason_for(key: str, allowed: dict):
    for pattern, reason in allowed.items():
        if fnmatch.fnmatchcase(key, pattern):
            return reason
    return None


def hold(rows, allowed: dict, key, what: str):
    """Turns every declined row whose key(row) no pattern lists into a fail, in place; the
    listed ones keep their verdict with the listed reason added. Returns the failed keys."""
    unlisted = []
    for r in rows:
        if r.get("verdict") not in DECLINED or r.get("other_revision"):
            # A case of the other protocol revision is not the reference declining it.
            continue
        k = key(r)
        reason = reason_for(k, allowed)
        if reason:
            r["declined_because"] = reason
            continue
        unlisted.append(k)
        declared = r["verdict"]
        was = r.get("reason") or r.get("message") or ""
        text = ("the reference must not decline (%s: %s); list it with a reason in %s if it "
                "truly cannot run" % (declared, was, DECLINES.relative_to(paths.ROOT)))
        r["verdict"] = "fail"
        r["reason"] = text
        if "message" in r:
            r["message"] = text
        if "failures" in r:
            r["failures"].append({"requirement": "", "message": text, "kind": "fail"})
    if unlisted:
        print("%s: the reference declined %d row(s) not listed in %s:" % (
            what, len(unlisted), DECLINES.relative_to(paths.ROOT)))
        for k in unlisted:
            print("  DECLINED " + k)
    return unlisted
