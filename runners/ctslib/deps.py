"""Debian packages the project needs, and their installation (`./cts setup`)."""
import os
import shutil
import subprocess
import sys

# Package -> why it is needed. Everything comes from Debian; nothing is downloaded otherwise.
BUILD_PACKAGES = {
    "cmake": "build system",
    "ninja-build": "build backend",
    "g++": "C++20 compiler",
    "clang": "libFuzzer targets",
    "libclang-rt-dev": "libFuzzer and sanitizer runtimes for clang",
    "libgtest-dev": "unit tests (GoogleTest)",
    "libgmock-dev": "unit tests (GoogleMock matchers)",
    "librapidcheck-dev": "property tests (RapidCheck)",
    "nlohmann-json3-dev": "JSON in the tools (vectors, peer, runner glue)",
    "libcli11-dev": "command lines of the tools",
    "libbenchmark-dev": "micro-benchmarks (Google Benchmark)",
    "python3": "the runner and report scripts",
    "python3-jsonschema": "schema validation of vectors and reports",
    "chromium": "headless browser test of the HTML report",
}


# What the Windows cross-build and its tests add (`./cts setup --windows`, `./cts test`): the
# mingw-w64 compiler with POSIX threads (cmake/mingw-w64-x86_64.cmake), wine to run the
# binaries, and GoogleTest's sources, which the cross-build compiles itself.
WINDOWS_PACKAGES = {
    "g++-mingw-w64-x86-64-posix": "Windows x86_64 cross-compiler (mingw-w64, POSIX threads)",
    "wine": "runs the Windows build's tests and binaries",
    "wine64": "the 64-bit wine loader",
    "googletest": "GoogleTest sources, compiled for Windows by the cross-build",
}


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _installed(package: str) -> bool:
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                             capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return False
    return out.returncode == 0 and "install ok installed" in out.stdout


def missing_packages(packages=None):
    """Names of the required packages that dpkg does not report as installed."""
    return [p for p in (packages or BUILD_PACKAGES) if not _installed(p)]


def ensure(packages=None, quiet=False) -> bool:
    """Installs what is missing when root with apt; otherwise says exactly what to install.

    Returns True when everything is present afterwards.
    """
    packages = packages or BUILD_PACKAGES
    if shutil.which("dpkg-query") is None:
        print("cts setup: this is not a Debian-based system; install the equivalents of:\n  "
              + " ".join(packages), file=sys.stderr)
        return False
    missing = missing_packages(packages)
    if not missing:
        if not quiet:
            print("cts setup: all %d required packages are installed" % len(packages))
        return True
    print("cts setup: missing Debian packages: " + " ".join(missing))
    if not is_root() or shutil.which("apt-get") is None:
        print("cts setup: run as root, or install them yourself:\n"
              "  sudo apt-get update && sudo apt-get install -y " + " ".join(missing),
              file=sys.stderr)
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]):
        print("cts setup: " + " ".join(cmd), flush=True)
        if subprocess.run(cmd, env=env, check=False).returncode != 0:
            print("cts setup: '%s' failed" % " ".join(cmd), file=sys.stderr)
            return False
    still = missing_packages(packages)
    if still:
        print("cts setup: still missing after install: " + " ".join(still), file=sys.stderr)
        return False
    return True


def ensure_for_build() -> bool:
    """True when every build package is there, installing what is missing first (as root) or
    printing the apt-get line; False when something is still missing."""
    if not missing_packages():
        return True
    print("cts: required packages are missing; running setup first")
    return ensure()


def windows_available(install: bool) -> bool:
    """Whether the mingw-w64 toolchain and wine are there; installs them first when `install`
    and root (as the other dependencies). Otherwise says exactly what to install."""
    missing = missing_packages(WINDOWS_PACKAGES)
    if not missing:
        return True
    if install and is_root():
        print("cts: installing the Windows toolchain and wine")
        return ensure(WINDOWS_PACKAGES)
    print("cts: skipping the windows preset: missing %s; install them with\n"
          "  sudo apt-get install -y %s   (or: sudo ./cts setup --windows)"
          % (" ".join(missing), " ".join(missing)), file=sys.stderr)
    return False
