"""book/_ext/page_fixes.py: the students' edition removes gated solutions whole, and built pages
carry no CDN stylesheet. Built with Sphinx on a two-exercise page (about a second)."""
import io
import pathlib

import pytest
from sphinx.application import Sphinx

ROOT = pathlib.Path(__file__).resolve().parents[1]

PAGE = """Page
====

.. exercise-start::
   :label: ex1

.. exercise-end::

Compute the question.

.. solution-start:: ex1
   :class: dropdown

The secret answer is 42.

.. solution-end::

.. raw:: html

   <link rel="stylesheet"
   href="https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/css/font-awesome.min.css">
   <div class="animation">frames</div>

After the solution.
"""


def build(tmp_path, hide: bool) -> str:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        "extensions = ['sphinx_exercise', 'page_fixes']\n"
        f"hide_solutions = {hide}\n")
    (src / "index.rst").write_text(PAGE)
    out, warnings = tmp_path / "html", io.StringIO()
    app = Sphinx(str(src), str(src), str(out), str(tmp_path / "doctrees"), "html", status=None,
                 warning=warnings, freshenv=True)
    app.build()
    # several Sphinx apps in one process re-register docutils nodes: that warning alone is expected
    real = [w for w in warnings.getvalue().splitlines() if w.strip() and "is already registered" not in w]
    assert not real, real
    return (out / "index.html").read_text()


@pytest.mark.parametrize("hide", [False, True])
def test_solutions_are_shown_or_removed_whole(tmp_path, hide):
    page = build(tmp_path, hide)
    assert "Compute the question." in page and "After the solution." in page
    assert ("The secret answer is 42." in page) is not hide
    assert ("Solution to" in page) is not hide


def test_cdn_stylesheets_are_dropped_from_raw_html(tmp_path):
    page = build(tmp_path, False)
    assert "maxcdn" not in page and '<div class="animation">frames</div>' in page
