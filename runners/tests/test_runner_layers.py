"""The runner's modules form layers: no import cycle among runners/ctslib (imports inside
functions count too, since they only hide a cycle), and interop/ holds data, not code that
imports the runner."""
import ast
import unittest
from pathlib import Path

from runners.tests.support import ROOT

CTSLIB = ROOT / "runners" / "ctslib"


def module_name(path: Path) -> str:
    rel = path.relative_to(CTSLIB.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str, known: set) -> set:
    """The ctslib modules `path` imports anywhere in its body (relative or absolute)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from . import x` names a module x; `from .m import f` names module m.
            for alias in node.names:
                candidate = target + "." + alias.name
                found.add(candidate if candidate in known else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            # importlib.import_module(__package__ + ".x"): the string tail names the module.
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.BinOp) and isinstance(arg.right, ast.Constant):
                found.add(package + str(arg.right.value))
    return {m for m in found if m in known and m != name}


def import_graph():
    files = {module_name(p): p for p in CTSLIB.rglob("*.py")}
    known = set(files)
    return {name: imports_of(path, name, known) for name, path in files.items()}


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


class RunnerLayersTest(unittest.TestCase):
    def test_no_module_of_the_runner_imports_one_that_imports_it_back(self):
        found = cycles(import_graph())
        self.assertEqual(found, [], "import cycles among runners/ctslib: %s" % "; ".join(
            " <-> ".join(c) for c in found))

    def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import(self):
        graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
        self.assertEqual(cycles(graph), [["a", "b", "c"]])

    def test_the_import_scan_sees_imports_inside_functions(self):
        graph = import_graph()
        # repro imports conformance only inside functions; the scan must still see it.
        self.assertIn("ctslib.conformance", graph["ctslib.repro"])
        self.assertIn("ctslib.paths", graph["ctslib.build"])

    def test_interop_holds_no_python_that_imports_the_runner(self):
        offenders = []
        for path in (ROOT / "interop").rglob("*.py"):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                if any(n == "ctslib" or n.startswith(("ctslib.", "runners")) for n in names):
                    offenders.append(str(path.relative_to(ROOT)))
                    break
        self.assertEqual(offenders, [], "interop/ is data for implementers; these import the "
                         "runner: %s" % ", ".join(offenders))


if __name__ == "__main__":
    unittest.main()
