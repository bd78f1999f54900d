"""Implementation manifests (interop/*.toml): how to start an implementation's binaries.

Unknown keys are errors, so a typo never silently disables something.
"""
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import paths

TOP_KEYS = {"implementation", "codec"}
IMPLEMENTATION_KEYS = {"name", "language", "version", "version_command", "platform"}
CODEC_KEYS = {"command", "families"}


class ManifestError(ValueError):
    pass


@dataclass
class CodecTesteeSpec:
    command: list
    families: list = field(default_factory=list)  # empty: ask the testee


@dataclass
class Manifest:
    path: Path
    name: str
    language: str
    version: str
    platform: str
    codec: CodecTesteeSpec = None


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
    return {"root": str(paths.ROOT), "build_dir": str(paths.build_dir(build_preset))}


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
    return manifest
