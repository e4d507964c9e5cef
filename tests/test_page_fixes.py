"""book/_ext/page_fixes.py: the students' edition removes gated solutions whole, and built pages
carry no CDN stylesheet. Built with Sphinx on a two-exercise page (about a second)."""
import io
import pathlib
import sys

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

.. exercise::
   :label: q1

   A question from the bank.

.. solution:: q1
   :class: dropdown

   The bank answer is 7.

.. raw:: html

   <link rel="stylesheet"
   href="https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/css/font-awesome.min.css">
   <div class="animation">frames</div>

After the solution. A citation [Ioffe2015]_.

.. [Ioffe2015] Ioffe and Szegedy, Batch normalization.

.. math::

   q_j = \\begin{cases} 1 & h > 0,\\\\ \\alpha & h < 0 \\end{cases} \\tag{23}

.. math::

   a = b \\tag{24}
"""


def build(tmp_path, hide: bool, *, always=(), fresh=True, status=None) -> str:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    conf = (f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
            "extensions = ['sphinx_exercise', 'page_fixes']\n"
            f"hide_solutions = {hide}\nalways_reread = {list(always)!r}\n")
    for name, text in (("conf.py", conf), ("index.rst", PAGE)):
        if not (src / name).exists() or (src / name).read_text() != text:    # unchanged files stay unchanged
            (src / name).write_text(text)
    out, warnings = tmp_path / "html", io.StringIO()
    app = Sphinx(str(src), str(src), str(out), str(tmp_path / "doctrees"), "html", status=status,
                 warning=warnings, freshenv=fresh)
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
    assert "A question from the bank." in page
    assert ("The bank answer is 7." in page) is not hide          # the question bank's (ungated) answers too
    assert ("Solution to" in page) is not hide


def test_a_tagged_equation_with_line_breaks_keeps_its_tag_outside_split(tmp_path):
    page = build(tmp_path, False)
    assert r"\end{cases}\end{split}\tag{23}\]" in page.replace(" ", "")      # MathJax accepts this
    assert r"\tag{23}\end{split}" not in page.replace(" ", "")
    assert r"a = b \tag{24}" in page                                       # one line: left alone


def test_bibliography_entries_are_list_items_not_a_deprecated_role(tmp_path):
    page = build(tmp_path, False)
    assert 'role="doc-biblioentry"' not in page
    assert page.count('role="listitem"') == 1 and '<div role="list" class="citation-list">' in page


def test_an_animation_gets_its_cells_alt_text_and_a_named_slider():
    from docutils import nodes
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from page_fixes import label_animations

    anim = ('<div class="animation">\n  <img id="_anim_img0a1b">\n  <div class="anim-controls">\n'
            '    <input id="_anim_slider0a1b" type="range" class="anim-slider"\n name="points" min="0">')
    doc = nodes.document(None, None)
    for alt in ("Six panels: \"lines\" & points.", None):
        meta = {"mystnb": {"image": {"alt": alt}}} if alt else {}
        doc += nodes.container("", nodes.container("", nodes.raw(anim, anim, format="html")),
                               nb_element="cell_code", cell_metadata=meta)
    label_animations(None, doc, "page")
    with_alt, without = (n.astext() for n in doc.findall(nodes.raw))
    assert '<img id="_anim_img0a1b" alt="Six panels: &quot;lines&quot; &amp; points.">' in with_alt
    assert '<img id="_anim_img0a1b">' in without              # no alt invented: the browser test flags it
    for text in (with_alt, without):
        assert 'class="anim-slider" aria-label="Animation frame"' in text


def test_cdn_stylesheets_are_dropped_from_raw_html(tmp_path):
    page = build(tmp_path, False)
    assert "maxcdn" not in page and '<div class="animation">frames</div>' in page


@pytest.mark.parametrize("always", [(), ("index",)])
def test_pages_in_always_reread_are_read_on_every_build(tmp_path, always):
    build(tmp_path, False, always=always)
    status = io.StringIO()
    build(tmp_path, False, always=always, fresh=False, status=status)       # nothing changed
    assert ("reading sources" in status.getvalue() and "index" in status.getvalue().split("reading sources")[-1]
            .split("\n")[0]) is bool(always)
