"""Colab as it ships: the library's declared ranges accept Colab's versions, and the first cell says what pip did.

The fast half of `make colab-smoke` (which installs Colab's versions into a new venv and runs
every chapter there): a few seconds with ``packaging``, run by `make test`.
"""
import ast
import pathlib
import re
import tomllib

import jupytext
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from bnexplained.colab import install_changes, report_install

ROOT = pathlib.Path(__file__).resolve().parents[1]
PINS_FILE = ROOT / "tests" / "colab_runtime.txt"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
CHAPTERS = sorted(p for p in (ROOT / "book").glob("*.md")
                  if "jupytext" in p.read_text().split("\n---", 1)[0])


def colab_pins():
    """``{canonical name: Version}`` and Colab's Python version, from tests/colab_runtime.txt."""
    pins, python = {}, None
    for line in PINS_FILE.read_text().splitlines():
        if m := re.match(r"#\s*python:\s*(\S+)", line):
            python = Version(m.group(1))
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{PINS_FILE.name}: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = Version(version)
    return pins, python


def test_pins_file_is_dated_and_names_its_source():
    text = PINS_FILE.read_text()
    assert "googlecolab/backend-info" in text and "pip-freeze.txt" in text
    assert re.search(r"(January|February|March|April|May|June|July|August|September|October|November|December)"
                     r" 20\d\d", text), "say which month's list the pins come from"
    pins, python = colab_pins()
    assert python is not None, "the file names Colab's Python version (`# python: 3.x`)"
    for name in ("ipywidgets", "widgetsnbextension", "jupyterlab-widgets", "ipykernel", "torch"):
        assert name in pins


@pytest.mark.parametrize("dependency", PROJECT["dependencies"])
def test_every_declared_dependency_accepts_colabs_version(dependency):
    """No upgrade, no downgrade: each range contains Colab's version (so every lower bound is at or below it)."""
    pins, _ = colab_pins()
    req = Requirement(dependency)
    name = canonicalize_name(req.name)
    assert name in pins, (f"{req.name} is a dependency but Colab's version of it is not in {PINS_FILE.name}: "
                          "add it, or installing the library would add a package to Colab")
    assert req.specifier.contains(pins[name], prereleases=True), (
        f"pyproject.toml asks {dependency!r}, but Colab ships {req.name} {pins[name]}: "
        "pip would change Colab's package (lower the bound)")


def test_requires_python_accepts_colabs_python():
    _, python = colab_pins()
    from packaging.specifiers import SpecifierSet
    assert SpecifierSet(PROJECT["requires-python"]).contains(python)


def test_the_check_can_fail():
    """The oracle itself: ipywidgets>=8.0 (the old bound) is refused against Colab's 7.7.1."""
    pins, _ = colab_pins()
    assert not Requirement("ipywidgets>=8.0").specifier.contains(pins["ipywidgets"])


def _install_cell(md):
    return next(c for c in jupytext.read(md).cells if c.cell_type == "code").source


def test_install_cell_is_the_same_in_every_chapter_and_reports_what_pip_did():
    cells = {md.name: _install_cell(md) for md in CHAPTERS}
    first = cells[CHAPTERS[0].name]
    for name, cell in cells.items():
        assert cell == first, f"{name}'s first cell differs from {CHAPTERS[0].name}'s: keep them identical"
    pip = [line for line in first.splitlines() if "pip install" in line]
    assert len(pip) == 1 and " -q" not in pip[0] and "--quiet" not in pip[0], \
        "pip's own output (what it installed, upgraded, removed) stays visible"
    assert "report_install(before)" in first, "the cell says what pip changed and whether to restart"
    assert all(len(line) <= 72 for line in first.splitlines())
    # The cell is Python once IPython turns the %pip line into a call.
    ast.parse(first.replace("%pip install", "get_ipython().run_line_magic('pip', 'install')  #"))


def test_report_install_says_no_restart_when_only_the_library_is_added(capsys):
    before = {"ipywidgets": "7.7.1", "jupyterlab_widgets": "3.0.16", "numpy": "2.1.3"}
    after = dict(before, **{"jupyterlab-widgets": "3.0.16", "bnexplained": "0.1.0"})
    del after["jupyterlab_widgets"]                      # the same package under its other spelling
    assert report_install(before, after) == {}
    out = capsys.readouterr().out
    assert "bnexplained 0.1.0" in out and "no restart needed" in out


def test_report_install_names_each_change_and_asks_for_a_restart(capsys):
    before = {"ipywidgets": "7.7.1", "widgetsnbextension": "3.6.10", "six": "1.17.0"}
    after = {"ipywidgets": "8.1.9", "widgetsnbextension": "4.0.15", "comm": "0.2.3", "bnexplained": "0.1.0"}
    changed = report_install(before, after)
    assert changed == {"ipywidgets": ("7.7.1", "8.1.9"), "widgetsnbextension": ("3.6.10", "4.0.15"),
                       "six": ("1.17.0", None)}
    out = capsys.readouterr().out
    assert "ipywidgets 7.7.1 -> 8.1.9" in out and "six 1.17.0 -> removed" in out and "Restart" in out
    assert install_changes(before, after)[0] == {"bnexplained": "0.1.0", "comm": "0.2.3"}


def test_report_install_rejects_a_non_snapshot():
    with pytest.raises(TypeError, match="before"):
        install_changes(["ipywidgets"])


def test_the_smoke_builds_every_dashboard():
    """tests/colab_dashboards.py (run by `make colab-smoke`) has a small instance of every dashboard bnx.widgets exports."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("colab_dashboards", ROOT / "tests" / "colab_dashboards.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    classes = module.dashboard_classes()
    assert len(classes) >= 9
    assert set(classes) == set(module.FACTORIES), (
        "a dashboard was added or renamed in bnx.widgets: give it a small factory in tests/colab_dashboards.py")
