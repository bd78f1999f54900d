"""The Go shim's build module: what it refuses and which API revision it detects, on fake
checkouts (the real build needs a plugin-ipc checkout and is run by `./cts shims build`)."""
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ctslib.shims import ShimBuildError, go  # noqa: E402


def fake_checkout(root: Path, receive_timeout: bool) -> Path:
    gomod_dir = root / "src" / "go"
    posix = gomod_dir / "pkg" / "netipc" / "transport" / "posix"
    posix.mkdir(parents=True)
    (gomod_dir / "go.mod").write_text("module example.org/netipc/go\n\ngo 1.25\n")
    body = "package posix\n"
    if receive_timeout:
        body += "func (s *Session) ReceiveTimeout(buf []byte, timeoutMs uint32, abortCh <-chan struct{}) {}\n"
    (posix / "uds_receive.go").write_text(body)
    return root


class GoShimBuildTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def test_a_checkout_without_a_go_module_is_refused_with_the_path(self):
        with self.assertRaises(ShimBuildError) as ctx:
            go.build(self.tmp, self.tmp / "out", "linux", lambda line: None)
        self.assertIn("src/go/go.mod", str(ctx.exception))

    def test_a_receive_with_deadline_selects_the_0d17a9d_build_tag(self):
        src = fake_checkout(self.tmp / "new", receive_timeout=True)
        tags, revision = go._detect_revision(src / "src" / "go")
        self.assertEqual(tags, ["netipc_0d17a9d"])
        self.assertEqual(revision, "0d17a9d-era API")

    def test_a_receive_without_deadline_is_the_6d9ffc1_api_without_tags(self):
        src = fake_checkout(self.tmp / "old", receive_timeout=False)
        tags, revision = go._detect_revision(src / "src" / "go")
        self.assertEqual(tags, [])
        self.assertEqual(revision, "6d9ffc1-era API")

    def test_the_module_path_and_go_version_come_from_the_checkout(self):
        src = fake_checkout(self.tmp / "m", receive_timeout=False)
        self.assertEqual(go._read_module(src / "src" / "go" / "go.mod"),
                         ("example.org/netipc/go", "1.25"))

    def test_an_unknown_platform_is_refused(self):
        src = fake_checkout(self.tmp / "p", receive_timeout=False)
        with self.assertRaises(ShimBuildError) as ctx:
            go.build(src, self.tmp / "out", "plan9", lambda line: None)
        self.assertIn("plan9", str(ctx.exception))
        self.assertFalse((self.tmp / "out").exists(), "nothing is written for a refused platform")


if __name__ == "__main__":
    unittest.main()
