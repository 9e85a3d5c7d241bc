"""The package's shape: ``__all__`` in every public module, no import cycles, py.typed shipped."""

import ast
import importlib
import inspect
import pathlib
import pkgutil

import pytest

import pygrad

ROOT = pathlib.Path(pygrad.__file__).parent


def _public_modules():
    names = ["pygrad"]
    names += [m.name for m in pkgutil.walk_packages(pygrad.__path__, "pygrad.")]
    return sorted(n for n in names if not any(p.startswith("_") for p in n.split(".")[1:]))


@pytest.mark.parametrize(
    "name",
    _public_modules(),
)
def test_public_module_lists_exactly_its_public_names(name):
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    listed = list(module.__all__)
    assert len(listed) == len(set(listed)), f"{name}.__all__ lists a name twice"
    assert [n for n in listed if not hasattr(module, n)] == [], f"{name}.__all__ names nothing"
    defined = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and (inspect.isfunction(v) or inspect.isclass(v))
        and v.__module__ == name
    }
    assert sorted(defined - set(listed)) == [], f"public names missing from {name}.__all__"


def _module_files():
    """{module name: path} of the package's Python sources, stubs included (import targets)."""
    files = {}
    for path in sorted(ROOT.rglob("*.py*")):
        if path.suffix not in (".py", ".pyi"):
            continue
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        files.setdefault(name, path)
    return files


def _imports(path, modules):
    """The pygrad modules a source imports, at the top or inside functions (TYPE_CHECKING aside)."""

    def module_of(dotted):
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted

    found = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node):
            test = node.test
            if getattr(test, "id", getattr(test, "attr", None)) == "TYPE_CHECKING":
                for child in node.orelse:
                    self.visit(child)
                return
            self.generic_visit(node)

        def visit_Import(self, node):
            found.update(module_of(a.name) for a in node.names if a.name.startswith("pygrad"))

        def visit_ImportFrom(self, node):
            base = node.module or ""
            if node.level or not base.startswith("pygrad"):
                return
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(module_of(full if full in modules else base))

    Visitor().visit(ast.parse(path.read_text()))
    return found


def test_no_import_cycles():
    modules = _module_files()
    graph = {
        name: _imports(path, modules) - {name}
        for name, path in modules.items()
        if path.suffix == ".py"
    }
    cycles, done = [], set()

    def visit(name, stack):
        if name in stack:
            cycles.append([*stack[stack.index(name) :], name])
            return
        if name in done:
            return
        for dep in sorted(graph.get(name, ())):
            visit(dep, [*stack, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_py_typed_is_shipped():
    assert (ROOT / "py.typed").is_file()
