"""Well-known locations in the source tree and the build trees."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec"
BUILD = ROOT / "build"
OUT = ROOT / "out"


def build_dir(preset: str) -> Path:
    """The binary directory CMakePresets.json gives `preset`."""
    return BUILD / preset
