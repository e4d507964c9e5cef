"""The book's source: every chapter paired with a stripped .ipynb, a Colab cell, and a tidy TOC."""
import json
import pathlib
import re

import jupytext
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def _toc_files(node):
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"]
        for value in node.values():
            yield from _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            yield from _toc_files(item)


TOC_FILES = [TOC["root"]] + list(_toc_files(TOC.get("parts", TOC.get("chapters", []))))
CHAPTERS = sorted(p for p in (ROOT / "book").glob("*.md")
                  if "jupytext" in p.read_text().split("\n---", 1)[0])


def test_every_toc_entry_exists_and_every_chapter_is_in_the_toc():
    for f in TOC_FILES:
        assert (ROOT / f"{f}.md").exists(), f"_toc.yml lists {f}, which does not exist"
    for p in CHAPTERS:
        assert str(p.relative_to(ROOT).with_suffix("")) in TOC_FILES, f"{p.name} is not in _toc.yml"


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_chapter_and_its_ipynb_have_the_same_cells(md):
    nb = md.with_suffix(".ipynb")
    assert nb.exists(), f"{nb.name} is missing: run `make sync`"
    a = [(c.cell_type, c.source.strip()) for c in jupytext.read(md).cells]
    b = [(c.cell_type, c.source.strip()) for c in jupytext.read(nb).cells]
    assert a == b, f"{md.name} and {nb.name} have drifted apart: run `make sync`"


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_committed_ipynb_has_no_outputs(md):
    nb = json.loads(md.with_suffix(".ipynb").read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs", []) == [] and cell.get("execution_count") is None


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_first_code_cell_installs_the_library_in_colab_only(md):
    cells = [c for c in jupytext.read(md).cells if c.cell_type == "code"]
    assert cells, f"{md.name} has no code cell"
    src = cells[0].source
    assert 'if "google.colab" in sys.modules' in src, "first code cell must install only in Colab"
    pip_lines = [line for line in src.splitlines() if "pip install" in line]
    assert len(pip_lines) == 1
    url = CONFIG["repository"]["url"].rstrip("/")
    assert f"git+{url}" in pip_lines[0], "the install URL must match repository.url in _config.yml"


def test_colab_button_is_configured_without_a_path_prefix():
    assert CONFIG["launch_buttons"]["colab_url"].startswith("https://colab.research.google.com")
    assert re.match(r"https://github\.com/[^/]+/[^/]+$", CONFIG["repository"]["url"])
    assert not CONFIG["repository"].get("path_to_book"), "path_to_book: . breaks Colab links"
    assert "**.ipynb" in CONFIG["exclude_patterns"]


def test_readme_shows_the_two_commands():
    text = (ROOT / "README.md").read_text()
    assert "make test" in text and "make book" in text


DRAWS = re.compile(r"plt\.show\(\)|scrubbable\(|\.fallback\(|bnx\.plotting\.(plot|draw)_")


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_every_figure_cell_has_alt_text(md):
    """WCAG 2.1 AA: a cell that shows a figure or an animation says what it shows in its
    ``mystnb: image: alt:`` metadata (the browser test checks the built pages too), in the .md and
    the .ipynb Colab opens alike."""
    for path in (md, md.with_suffix(".ipynb")):
        for cell in jupytext.read(path).cells:
            if cell.cell_type != "code" or not DRAWS.search(cell.source):
                continue
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
            assert len(alt.split()) >= 8, (f"{path.name}: the cell starting {cell.source.splitlines()[0]!r} "
                                          f"draws a figure without alt text saying what it shows "
                                          f"(mystnb: image: alt:)")


def test_every_figure_directive_has_alt_text():
    for md in sorted((ROOT / "book").glob("*.md")):
        for block in re.findall(r"```\{figure\}[^\n]*\n(.*?)\n\n", md.read_text(), re.S):
            assert re.search(r"^:alt: \S+( \S+){7}", block, re.M), f"{md.name}: a figure without :alt: text"


def test_every_question_of_the_bank_has_an_answer_the_students_edition_can_drop():
    text = (ROOT / "book" / "question-bank.md").read_text()
    questions = re.findall(r"```\{exercise\}\n:label: (qb-[\w-]+)", text)
    answers = re.findall(r"```\{solution\} (qb-[\w-]+)\n:class: dropdown", text)
    assert len(questions) >= 40 and questions == answers
    for n in range(1, 9):
        assert sum(q.startswith(f"qb-{n}-") for q in questions) >= 5, f"chapter {n} has fewer than five questions"
