"""Every page of the built book, read in headless Chromium the way a reader's browser reads it.

Runs after the book is built (``make browser``, part of ``make test``), which sets
``BNX_BROWSER=1``; a plain ``pytest tests`` skips it. Each page must load with no JavaScript
error, no failed or outside request (the book works offline), all math typeset (no raw
``$$`` or ``\\(`` left, no MathJax error), every image loaded, saved widgets drawn, and, for a
page made from a notebook, a Colab link that opens that page's own ``.ipynb``. Full-page
screenshots go to ``_build/screenshots/`` (and a summary to ``_build/screenshots/report.json``):
look at them.
"""
import json
import os
import pathlib
from dataclasses import asdict

import pytest
import yaml

from browser import Browser, StaticServer, find_chromium, html_pages, move_every_control

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())

pytestmark = pytest.mark.skipif(not os.environ.get("BNX_BROWSER"),
                                reason="needs the built book: run `make browser` (sets BNX_BROWSER=1)")

PAGES = html_pages(HTML) if HTML.is_dir() else []


def colab_url(page: str) -> str:
    """The Colab link a notebook page must carry: the page's own .ipynb on the book's repository."""
    repo = CONFIG["repository"]["url"].rstrip("/").removeprefix("https://github.com/")
    base = CONFIG["launch_buttons"]["colab_url"].rstrip("/")
    return f"{base}/github/{repo}/blob/{CONFIG['repository']['branch']}/{page[:-len('.html')]}.ipynb"


def from_notebook(page: str) -> bool:
    return (ROOT / page).with_suffix(".ipynb").exists()


@pytest.fixture(scope="module")
def browser():
    chromium = find_chromium()
    if chromium is None:
        pytest.fail("no Chromium on this machine: `make browser-deps` installs Debian's chromium")
    server, browser = StaticServer(HTML), Browser(chromium)
    browser.base_url, browser.results = server.url, {}
    yield browser
    browser.close()
    server.close()
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "report.json").write_text(json.dumps(browser.results, indent=1))


def test_the_book_was_built():
    assert PAGES, f"no pages under {HTML}: build the book first (`make build`)"
    assert "book/intro.html" in PAGES


def test_index_redirects_to_the_landing_page():
    text = (HTML / "index.html").read_text()
    assert 'url=book/intro.html' in text.replace('"', "").replace("'", "")


@pytest.mark.parametrize("page", PAGES)
def test_page_reads_cleanly_offline(browser, page):
    r = browser.visit(browser.base_url + page, page, SHOTS / (page.replace("/", "__")[:-len(".html")] + ".png"))
    browser.results[page] = asdict(r)
    dom = r.dom
    problems = []
    if r.js_errors:
        problems.append(f"JavaScript errors: {r.js_errors}")
    if r.failed_requests:
        problems.append(f"failed requests: {r.failed_requests}")
    if r.external_requests:
        problems.append(f"requests leaving localhost (the book must work offline): {r.external_requests}")
    if dom["raw_tex"] or dom["math_untypeset"]:
        problems.append(f"math not typeset ({dom['math_untypeset']} of {dom['math_total']} untypeset): "
                        f"{dom['raw_tex']}")
    if dom["math_errors"]:
        problems.append(f"MathJax errors: {dom['math_errors']}")
    if r.broken_images:
        problems.append(f"images that did not load: {r.broken_images}")
    if dom["shows_without_image"]:
        problems.append(f"cells that call plt.show() but show no figure: {dom['shows_without_image']}")
    if dom["figure_reprs"]:
        problems.append(f"figures printed as text instead of drawn (a kernel without inline backend?): "
                        f"{dom['figure_reprs']}")
    if dom["widget_views"] and not dom["widgets_rendered"]:
        problems.append(f"{dom['widget_views']} saved widget(s) not drawn")
    if from_notebook(page):
        if colab_url(page) not in dom["colab_links"]:
            problems.append(f"Colab link should be {colab_url(page)}, found {dom['colab_links']}")
    elif dom["colab_links"]:
        problems.append(f"a page without a notebook offers Colab links: {dom['colab_links']}")
    assert not problems, f"{page} (screenshot: {r.screenshot}):\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("page", [p for p in PAGES if from_notebook(p)])
def test_every_control_a_reader_can_move_changes_the_picture(browser, page):
    """Without a kernel, each enabled control of a saved dashboard (and each animation slider), moved
    from the keyboard, changes a picture next to it; a control that cannot must be saved disabled
    (``book/_ext/static_widgets.py``) with its dashboard's note pointing to Colab."""
    browser.visit(browser.base_url + page, page)
    moved = move_every_control(browser)
    browser.results.setdefault(page, {})["controls"] = moved
    dead = [f"{c['kind']} {c['label']!r} ({c['key']}: {'picture unchanged' if c['picture'] else 'no picture'})"
            for c in moved if not c["changed"]]
    assert not dead, (f"{page}: {len(dead)} of {len(moved)} enabled controls leave the picture unchanged:\n  "
                      + "\n  ".join(dead))


def test_moving_controls_finds_a_dead_one(tmp_path):
    """The control check can fail: a slider whose picture never changes is reported, one that swaps
    its image is not, and a disabled one is skipped."""
    (tmp_path / "controls.html").write_text(
        '<html><head><link rel="icon" href="data:,"></head><body><div class="cell_output">'
        '<div class="jupyter-widgets"><input type="range" id="dead" min="0" max="3" value="1">'
        '<img src="data:image/png;base64,AAAA" alt="a still picture"></div></div>'
        '<div class="cell_output"><div class="jupyter-widgets">'
        '<input type="range" id="live" min="0" max="3" value="1" oninput="document.getElementById(\'p\').src='
        '\'data:image/png;base64,BBBB\' + this.value">'
        '<img id="p" src="data:image/png;base64,AAAA" alt="a moving picture">'
        '<input type="range" disabled min="0" max="3" value="1"></div></div></body></html>')
    chromium = find_chromium()
    if chromium is None:
        pytest.fail("no Chromium on this machine: `make browser-deps` installs Debian's chromium")
    server, browser = StaticServer(tmp_path), Browser(chromium)
    try:
        browser.visit(server.url + "controls.html", "controls.html")
        moved = move_every_control(browser, settle=0.5)
    finally:
        browser.close()
        server.close()
    assert [(c["kind"], c["changed"]) for c in moved] == [("slider", False), ("slider", True)]


def test_the_inspection_catches_a_broken_page(tmp_path):
    """The page check can fail: raw TeX, a thrown error, a missing image, an outside stylesheet and a
    figure printed as text."""
    (tmp_path / "broken.html").write_text(
        '<html><head><link rel="icon" href="data:,"><link rel="stylesheet" href="http://127.0.0.2:9/x.css">'
        '</head><body><article><p>Inline <span class="math">\\(x^2\\)</span> and $$y$$.</p>'
        '<img src="missing.png"><script>throw new Error("boom")</script>'
        '<div class="cell_output"><pre>&lt;Figure size 640x480 with 1 Axes&gt;</pre></div>'
        '<div class="cell"><div class="cell_input"><pre>fig = draw()\nplt.show()</pre></div></div>'
        '</article></body></html>')
    chromium = find_chromium()
    if chromium is None:
        pytest.fail("no Chromium on this machine: `make browser-deps` installs Debian's chromium")
    server, browser = StaticServer(tmp_path), Browser(chromium)
    try:
        r = browser.visit(server.url + "broken.html", "broken.html")
    finally:
        browser.close()
        server.close()
    assert any("boom" in e for e in r.js_errors)
    assert r.dom["raw_tex"] and r.dom["math_untypeset"] == 1
    assert r.broken_images and "missing.png" in r.broken_images[0]
    assert any("127.0.0.2" in u for u in r.external_requests)
    assert any("404" in f for f in r.failed_requests)
    assert r.dom["figure_reprs"] == ["<Figure size 640x480 with 1 Axes>"]
    assert r.dom["shows_without_image"] == ["fig = draw()"]
