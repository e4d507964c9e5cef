"""The package's layout: explicit exports, no name exported twice, no import cycle, no private name
imported across modules (read from the source with ``ast``, without importing anything)."""
import ast
import importlib
import pathlib
import pkgutil

import pytest

import bnexplained as bnx

ROOT = pathlib.Path(bnx.__file__).parent


@pytest.mark.parametrize("package", [bnx.plotting, bnx.widgets, bnx.verify])
def test_no_two_modules_export_the_same_name_and_the_package_exports_them_all(package):
    owner = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name in getattr(module, "__all__", []):
            assert name not in owner, (f"{package.__name__}: {name!r} is exported by both {owner[name]} and "
                                       f"{info.name}; the package keeps only one of them")
            owner[name] = info.name
            assert getattr(package, name, None) is getattr(module, name), \
                f"{package.__name__}/__init__.py does not import {info.name}.{name}"
            assert name in package.__all__, f"{package.__name__}.__all__ lacks {name!r}"


def _modules() -> dict:
    """Module name → (path, is_package) for every module of the library."""
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if package else parts)] = (path, package)
    return out


def _imports(name: str, path: pathlib.Path, package: bool, modules: dict):
    """``(imported module, imported name)`` for every ``from bnexplained... import name`` in the file,
    at any depth (a function-level import closes a cycle as surely as a top-level one)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if package else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("bnexplained"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield (sub, None) if sub in modules else (target, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("bnexplained"):
                    yield alias.name, None


def test_no_import_cycle_among_the_modules():
    modules = _modules()
    graph = {m: {t for t, _ in _imports(m, *modules[m], modules) if t in modules and t != m} for m in modules}
    state, path = {}, []

    def visit(m):
        state[m] = "open"
        path.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == "open":
                cycle = path[path.index(t):] + [t]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if t not in state:
                visit(t)
        path.pop()
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_no_private_name_is_imported_across_modules():
    modules = _modules()
    found = [f"{m} imports {name} from {t}" for m in modules for t, name in _imports(m, *modules[m], modules)
             if name is not None and name.startswith("_") and not name.startswith("__") and t != m]
    assert not found, "private names imported across modules: " + "; ".join(found)


def test_the_cycle_finder_finds_a_cycle(tmp_path, monkeypatch):
    """The oracle itself: two modules importing each other (inside a function) make a cycle."""
    pkg = tmp_path / "bnexplained"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from .b import g\n")
    (pkg / "b.py").write_text("from .a import f\nfrom .a import _hidden\n")
    monkeypatch.setattr(f"{__name__}.ROOT", pkg)
    with pytest.raises(pytest.fail.Exception, match="import cycle"):
        test_no_import_cycle_among_the_modules()
    with pytest.raises(AssertionError, match="bnexplained.b imports _hidden"):
        test_no_private_name_is_imported_across_modules()
