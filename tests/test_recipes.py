"""The book's recipes live in one corner (``bnx.recipes``) and the layers of the library depend one way."""
import ast
import pathlib

import pytest

import bnexplained as bnx

SRC = pathlib.Path(bnx.__file__).parent

#: general algorithms: they never reach up to training, recipes, drawing or dashboards
GEOMETRY = ["batch_noise", "decision_boundary", "density", "folding", "geometry", "jitter", "margins", "networks",
            "noisy_bn", "normalization", "parameters", "sequential", "translation", "partition"]


def _imports(path: pathlib.Path) -> set:
    """Every ``bnexplained`` module a source file imports, as a dotted name relative to the package."""
    package = path.relative_to(SRC).with_suffix("").parts[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[:len(package) - node.level + 1])
                mod = ".".join(base + ([node.module] if node.module else []))
                names = [mod] if node.module else [".".join(base + [a.name]) for a in node.names]
                out.update(n for n in names if n)
            elif node.module and node.module.startswith("bnexplained."):
                out.add(node.module.removeprefix("bnexplained."))
        elif isinstance(node, ast.Import):
            out.update(a.name.removeprefix("bnexplained.") for a in node.names if a.name.startswith("bnexplained."))
    return out


def _files(name: str) -> list:
    p = SRC / name
    return sorted(p.rglob("*.py")) if p.is_dir() else [p.with_suffix(".py")]


def test_the_import_reader_sees_relative_and_absolute_imports(tmp_path):
    # the oracle for the layout tests below must itself find what it looks for
    found = _imports(SRC / "exercises" / "ch04.py")
    assert {"recipes.many_layers", "translation", "partition"} <= found
    assert "recipes.splines" in _imports(SRC / "scorecard.py")


@pytest.mark.parametrize("name", GEOMETRY)
def test_geometry_does_not_import_training_recipes_or_drawing(name):
    for path in _files(name):
        above = {m for m in _imports(path)
                 if m.split(".")[0] in ("training", "recipes", "plotting", "widgets", "exercises", "scorecard")}
        assert not above, f"{path.relative_to(SRC)} imports {sorted(above)}"


def test_exercises_do_not_import_widgets():
    for path in _files("exercises"):
        assert not {m for m in _imports(path) if m.split(".")[0] == "widgets"}, path.name


def test_recipes_import_neither_drawing_nor_dashboards():
    for path in _files("recipes"):
        bad = {m for m in _imports(path) if m.split(".")[0] in ("plotting", "widgets", "exercises", "scorecard")}
        assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)}"


def test_every_figure_network_is_reached_through_recipes_only():
    names = ["figure1_network", "figure2_network", "figure9_network", "one_layer_network", "proposition_3_network",
             "figure6_networks", "figure3", "figure4", "figure3_scale", "figure4_scale", "margin_experiment",
             "figure7_distributions"]
    for name in names:
        assert callable(getattr(bnx.recipes, name))
        for module in (bnx.widgets, bnx.density, bnx.folding, bnx.jitter, bnx.batch_noise, bnx.exercises):
            assert not hasattr(module, name), f"bnx.{module.__name__.split('.')[-1]}.{name} still exists"
