"""Headless Chromium for checking the HTML report: the DOM after load, and screenshots."""
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import hostplatform as host

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
         "--disable-extensions", "--mute-audio"]


def find():
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(args, timeout):
    exe = find()
    if exe is None:
        raise FileNotFoundError("no chromium on PATH (./cts setup installs it)")
    with tempfile.TemporaryDirectory(prefix="cts-chromium-") as profile:
        argv = [exe, *FLAGS, "--user-data-dir=" + profile, *args]
        proc = host.popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            host.kill_tree(proc)
            out, err = proc.communicate()
            raise TimeoutError("chromium did not finish within %d s" % timeout)
        finally:
            host.kill_tree(proc)  # helpers (zygote, GPU process) must not outlive it
        return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def dump_dom(path: Path, timeout=90) -> str:
    """The page's DOM after loading `path` (a local file)."""
    code, out, err = _run(["--dump-dom", Path(path).resolve().as_uri()], timeout)
    if code != 0 or "<html" not in out:
        raise RuntimeError("chromium --dump-dom failed (exit %s): %s" % (code, err[-2000:]))
    return out


def screenshot(path: Path, png: Path, size="1400,2000", timeout=90) -> Path:
    code, _, err = _run(["--screenshot=" + str(Path(png).resolve()), "--window-size=" + size,
                         "--hide-scrollbars", Path(path).resolve().as_uri()], timeout)
    if code != 0 or not Path(png).exists():
        raise RuntimeError("chromium --screenshot failed (exit %s): %s" % (code, err[-2000:]))
    return png
