r"""Small fixes applied to every built page, so that it reads well offline and logs no errors.

* Matplotlib's ``to_jshtml`` animations (``bnx.plotting.scrubbable``) link Font Awesome 4 from
  a CDN for their buttons. In a live notebook (Colab) the link is useful, so the output keeps
  it; in the book the theme already ships Font Awesome, so the link is dropped from raw-HTML
  outputs and no page asks the network for anything.
* sphinx-thebe registers its inline configuration script once per page event, so pages carry
  it twice and the second copy throws "Identifier 'THEBE_JS_URL' has already been declared";
  identical inline scripts are kept once.
* Sphinx wraps a displayed equation that contains a line break ``\\`` (for example inside
  ``cases``) in ``split``, where MathJax refuses ``\tag``: the reader sees "\tag not allowed in
  split environment" instead of the equation. Such an equation with one ``\tag`` is written out
  as ``\[\begin{split} … \end{split}\tag{n}\]``.
* Pages listed in ``always_reread`` (the reproduction scorecard) are read, and so executed, on
  every build: their outputs depend on the library, which Sphinx does not watch.
* With ``hide_solutions`` (``make book-students``), sphinx-exercise 1.2 drops a gated
  ``solution-start`` but keeps everything up to its ``solution-end`` (the solution's text and
  code stay on the page, and the lone end node crashes the HTML writer). Here a hidden
  ``solution-start`` leaves a marker, and everything from the marker to its ``solution-end`` is
  removed before sphinx-exercise merges gated solutions.

Accessibility (WCAG 2.1 AA; ``tests/test_browser.py`` runs axe-core on every page):

* Matplotlib's animations have a frame slider without a name and a picture without alt text. The
  slider is named, and the picture gets the alt text of its notebook cell, the same
  ``mystnb: image: alt:`` metadata that gives a figure output its alt text.
* Docutils writes a bibliography entry with the DPUB role ``doc-biblioentry``, deprecated in
  DPUB-ARIA 1.1 (and a ``list`` then has no ``listitem``): entries become plain list items.
* The theme's buttons must be named by what they show (``label-content-name-mismatch``): the
  search field shows "Search Ctrl+K" but was named "Search" (the name now comes from its text),
  and the colour-mode button's icons carried titles ("Light", ...) inside a button named "Color
  mode" (the icons are now hidden from assistive technology; the button keeps its name).
  The theme's HTML is fixed in the written pages, once the build has finished.
* ``static/page_fixes.css``: a link colour with 4.5:1 contrast on the tinted boxes too.

``tests/test_browser.py`` loads every page and fails on outside requests and JavaScript errors.
"""
import html
import pathlib
import re

from docutils import nodes
from sphinx.writers.html5 import HTML5Translator
from sphinx.transforms import SphinxTransform
from sphinx_exercise.directive import SolutionStartDirective
from sphinx_exercise.nodes import solution_end_node

CDN_STYLESHEET = re.compile(
    r'<link\b[^>]*href="https?://[^"]*font-awesome[^"]*"[^>]*>\s*', re.IGNORECASE)


def strip_cdn_links(app, doctree, docname):
    for node in doctree.findall(nodes.raw):
        if "html" in node.get("format", "").split():
            text = node.astext()
            cleaned = CDN_STYLESHEET.sub("", text)
            if cleaned != text:
                node.replace_self(nodes.raw(cleaned, cleaned, format=node["format"]))


ANIMATION_IMG = re.compile(r'<img id="(_anim_img[0-9a-f]+)">')
ANIMATION_SLIDER = re.compile(r'(<input id="_anim_slider[0-9a-f]+" type="range" class="anim-slider")')


def cell_alt(node):
    """The ``mystnb: image: alt:`` text of the notebook cell that holds ``node``, or None."""
    while node is not None:
        if isinstance(node, nodes.container) and node.get("nb_element") == "cell_code":
            meta = node.get("cell_metadata") or {}
            return ((meta.get("mystnb") or {}).get("image") or {}).get("alt")
        node = node.parent
    return None


def label_animations(app, doctree, docname):
    for node in list(doctree.findall(nodes.raw)):
        if "html" not in node.get("format", "").split() or 'class="animation"' not in node.astext():
            continue
        text = ANIMATION_SLIDER.sub(r'\1 aria-label="Animation frame"', node.astext())
        alt = cell_alt(node)
        if alt:
            text = ANIMATION_IMG.sub(lambda m: f'<img id="{m.group(1)}" alt="{html.escape(alt)}">', text)
        node.replace_self(nodes.raw(text, text, format=node["format"]))


def visit_citation(self, node):
    """Docutils' bibliography entry, with the ARIA role ``listitem`` instead of the deprecated
    ``doc-biblioentry`` (its ``role="list"`` wrapper then has the children it requires)."""
    HTML5Translator.visit_citation(self, node)
    self.body[-1] = self.body[-1].replace('role="doc-biblioentry"', 'role="listitem"')


# (pattern, replacement) applied to every written page; each must leave an already fixed page unchanged
THEME_FIXES = [
    # the search field: the name comes from the visible text "Search Ctrl+K"
    (re.compile(r'(<button class="btn search-button-field [^"]*"[^>]*?) aria-label="[^"]*"'), r"\1"),
    # the colour-mode button's icons: decorative, their titles are not the button's name
    (re.compile(r'<i class="(theme-switch [^"]*)" data-mode="([a-z]+)"\s+title="[^"]*"></i>'),
     r'<i class="\1" data-mode="\2" aria-hidden="true"></i>'),
]


def fix_theme_html(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in pathlib.Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = text
        for pattern, replacement in THEME_FIXES:
            fixed = pattern.sub(replacement, fixed)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def add_stylesheet(app):
    app.config.html_static_path.append(str(pathlib.Path(__file__).parent / "static"))
    app.add_css_file("page_fixes.css")


TAG = re.compile(r"\\tag\*?\{[^{}]*\}")


def tags_outside_split(app, doctree, docname):
    for node in list(doctree.findall(nodes.math_block)):
        text = node.astext()
        tags = TAG.findall(text)
        if (len(tags) != 1 or "\\\\" not in text or node.get("nowrap") or node.get("number")
                or "\n\n" in text.strip() or "\\begin{split}" in text):
            continue
        body = TAG.sub("", text).strip()
        tex = f"\\[\\begin{{split}}{body}\\end{{split}}{tags[0]}\\]"
        new = nodes.math_block(tex, tex, nowrap=True, number=None, label=None, docname=node.get("docname"))
        new["ids"] = node["ids"]
        node.replace_self(new)


def dedupe_inline_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for js in scripts:
        body = getattr(js, "attributes", {}).get("body") if hasattr(js, "attributes") else None
        key = ("inline", body) if body else None
        if key is not None and key in seen:
            continue
        if key is not None:
            seen.add(key)
        kept.append(js)
    scripts[:] = kept


class hidden_solution(nodes.Element):
    """Where a solution removed by ``hide_solutions`` started."""


class HidingSolutionStart(SolutionStartDirective):
    def run(self):
        nodes_ = super().run()                       # registers the gated start, returns [] when hidden
        return [hidden_solution()] if self.env.app.config.hide_solutions else nodes_


class RemoveHiddenSolutions(SphinxTransform):
    default_priority = 5                             # after the gated check (1), before the merge (10)

    def apply(self):
        for marker in list(self.document.findall(hidden_solution)):
            parent = marker.parent
            start = parent.index(marker)
            end = start
            while end < len(parent) and not isinstance(parent[end], solution_end_node):
                end += 1
            del parent[start:end + 1]


def reread_always(app, env, added, changed, removed):
    return [doc for doc in app.config.always_reread if doc in env.found_docs]


def setup(app):
    app.add_config_value("always_reread", [], "env")
    app.connect("env-get-outdated", reread_always)
    app.add_node(hidden_solution)
    app.add_directive("solution-start", HidingSolutionStart, override=True)
    app.add_transform(RemoveHiddenSolutions)
    app.connect("doctree-resolved", strip_cdn_links)
    app.connect("doctree-resolved", tags_outside_split)
    app.connect("doctree-resolved", label_animations)
    app.add_node(nodes.citation, override=True, html=(visit_citation, HTML5Translator.depart_citation))
    app.connect("html-page-context", dedupe_inline_scripts, priority=900)
    app.connect("builder-inited", add_stylesheet)
    app.connect("build-finished", fix_theme_html)
    # env_version: bump it when a fix changes how pages are written (a translator or a transform), so
    # that an incremental build rewrites every page instead of keeping pages written without the fix
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
