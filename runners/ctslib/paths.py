"""Well-known locations in the source tree and the build trees."""
import functools
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec"
BUILD = ROOT / "build"
# Where the commands write by default; NIPC_OUT_DIR moves it (the runner's own tests use a
# temporary one, so that they never touch a developer's run history).
OUT = Path(os.environ["NIPC_OUT_DIR"]) if os.environ.get("NIPC_OUT_DIR") else ROOT / "out"


def build_dir(preset: str) -> Path:
    """The binary directory CMakePresets.json gives `preset`."""
    return BUILD / preset


def host_binary(preset: str, relative: str) -> Path:
    """A program the host builds and runs itself (generator, benchmarks), with the host's
    executable suffix."""
    from . import hostplatform
    return build_dir(preset) / (relative + hostplatform.EXE_SUFFIX)


@functools.lru_cache(maxsize=None)
def configure_presets() -> tuple:
    """Names of the configure presets in CMakePresets.json (empty when it cannot be read)."""
    try:
        doc = json.loads((ROOT / "CMakePresets.json").read_text())
    except (OSError, ValueError):
        return ()
    return tuple(p["name"] for p in doc.get("configurePresets", []) if "name" in p)
