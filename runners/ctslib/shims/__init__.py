"""Shims for existing netipc implementations, built against a user's checkout.

Each language has one module here (`c.py`, `rust.py`, `go.py`) with the same two names:

    LANGUAGE: str                     # "c", "rust", "go"
    def build(source: Path, out: Path, platform: str, log) -> BuiltShim

`build` compiles the shim of `interop/shims/<LANGUAGE>/` against the implementation found in
`source` (a checkout of the implementation's repository, any revision), using that
implementation's own build system, into the directory `out` (created by the caller, owned by
the shim build). `platform` is "linux" or "windows" (a cross-build run under wine). `log` is
a callable taking one line of text for the user. On success it returns a BuiltShim; when the
checkout lacks the language, or the toolchain is missing, or the build fails, it raises
ShimBuildError with a message that says what to do. Nothing is written outside `out`.
"""
from dataclasses import dataclass, field
from pathlib import Path


class ShimBuildError(Exception):
    """A shim could not be built; the message is for the user (what failed, what to do)."""


@dataclass
class BuiltShim:
    """A shim ready to run: one executable playing `server`, `client` and `codec`."""

    language: str
    platform: str                 # "linux" or "windows"
    exe: Path                     # the shim executable (roles by first argument)
    revision: str                 # the implementation revision the build detected
    capabilities: dict            # the manifest's [capabilities] table
    version: str = ""             # version string for the report (e.g. a commit id)
    notes: list = field(default_factory=list)   # library limitations, one sentence each
