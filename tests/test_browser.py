"""Every page of the built book, read in headless Chromium the way a reader's browser reads it.

Runs after the book is built (``make browser``, part of ``make test``), which sets
``BNX_BROWSER=1``; a plain ``pytest tests`` skips it. Each page must load with no JavaScript
error, no failed or outside request (the book works offline), all math typeset (no raw
``$$`` or ``\\(`` left, no MathJax error), every image loaded, saved widgets drawn, and, for a
page made from a notebook, a Colab link that opens that page's own ``.ipynb``. Full-page
screenshots go to ``_build/screenshots/`` (and a summary to ``_build/screenshots/report.json``):
look at them.

Accessibility (WCAG 2.1 AA, what course material must meet): npm's axe-core, injected into each
page, runs every WCAG 2.0/2.1 level A and AA rule and any violation fails; Tab must reach every
visible, enabled control without getting stuck; every picture in a chapter has alt text that is a
description, not a file name.
"""
import contextlib
import json
import os
import pathlib
import re
from dataclasses import asdict

import pytest
import yaml

from browser import AXE_JS, Browser, StaticServer, find_chromium, html_pages, move_every_control

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())

pytestmark = pytest.mark.skipif(not os.environ.get("BNX_BROWSER"),
                                reason="needs the built book: run `make browser` (sets BNX_BROWSER=1)")

PAGES = html_pages(HTML) if HTML.is_dir() else []

# axe violations in saved widgets that a pending widget change is fixing: a node of `rule` inside an
# element matching `within` is printed as "expected" instead of failing. Empty, and it should stay so:
# a violation in the book's own pages, theme or extensions is fixed, never listed.
WIDGET_OWNED_PENDING = []


def colab_url(page: str) -> str:
    """The Colab link a notebook page must carry: the page's own .ipynb on the book's repository."""
    repo = CONFIG["repository"]["url"].rstrip("/").removeprefix("https://github.com/")
    base = CONFIG["launch_buttons"]["colab_url"].rstrip("/")
    return f"{base}/github/{repo}/blob/{CONFIG['repository']['branch']}/{page[:-len('.html')]}.ipynb"


def from_notebook(page: str) -> bool:
    return (ROOT / page).with_suffix(".ipynb").exists()


@contextlib.contextmanager
def serving(root: pathlib.Path):
    """``(server, browser)``: headless Chromium and a static server over ``root``, closed afterwards."""
    chromium = find_chromium()
    if chromium is None:
        pytest.fail("no Chromium on this machine: `make browser-deps` installs Debian's chromium")
    server, browser = StaticServer(root), Browser(chromium)
    try:
        yield server, browser
    finally:
        browser.close()
        server.close()


@pytest.fixture(scope="module")
def browser():
    with serving(HTML) as (server, browser):
        browser.base_url, browser.results = server.url, {}
        yield browser
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "report.json").write_text(json.dumps(browser.results, indent=1))


def test_the_book_was_built():
    assert PAGES, f"no pages under {HTML}: build the book first (`make build`)"
    assert "book/intro.html" in PAGES


def test_index_redirects_to_the_landing_page():
    text = (HTML / "index.html").read_text()
    assert 'url=book/intro.html' in text.replace('"', "").replace("'", "")


@pytest.fixture(scope="module")
def axe_source():
    if not AXE_JS.exists():
        pytest.fail(f"no axe-core at {AXE_JS}: `make browser-deps` installs it (npm)")
    return AXE_JS.read_text()


def audit(browser, page, axe_source) -> dict:
    """axe-core's WCAG 2.1 A/AA violations and the Tab walk of the page that is loaded now."""
    return {"axe": browser.axe(axe_source, WIDGET_OWNED_PENDING), "keyboard": browser.tab_through()}


def audited(browser, page, axe_source) -> dict:
    """The page's inspection and audit: from the reading test when it ran, else a fresh visit."""
    if "audit" not in browser.results.get(page, {}):
        r = browser.visit(browser.base_url + page, page)
        browser.results[page] = asdict(r) | {"audit": audit(browser, page, axe_source)}
    return browser.results[page]


@pytest.mark.parametrize("page", PAGES)
def test_page_reads_cleanly_offline(browser, page):
    r = browser.visit(browser.base_url + page, page, SHOTS / (page.replace("/", "__")[:-len(".html")] + ".png"))
    browser.results[page] = asdict(r)
    if AXE_JS.exists():       # audited now, while the page is loaded, for the accessibility tests below
        browser.results[page]["audit"] = audit(browser, page, AXE_JS.read_text())
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


def describe(violations) -> list:
    return [f"{v['rule']} ({v['impact']}, {v['help']}): {n['target']}\n      {n['html'][:120]}\n"
            f"      {n['summary'][:240]}" for v in violations for n in v["nodes"]]


@pytest.mark.parametrize("page", PAGES)
def test_page_meets_wcag_2_1_aa(browser, axe_source, page):
    """axe-core's WCAG 2.0/2.1 A and AA rules: no violation (widget ones pending: printed, listed above)."""
    result = audited(browser, page, axe_source)["audit"]["axe"]
    failing = [v | {"nodes": [n for n in v["nodes"] if not n["expected"]]} for v in result["violations"]]
    pending = [v | {"nodes": [n for n in v["nodes"] if n["expected"]]} for v in result["violations"]]
    for line in describe(pending):
        print(f"{page}: expected (website): {line}")
    failing = [v for v in failing if v["nodes"]]
    assert not failing, (f"{page}: {sum(len(v['nodes']) for v in failing)} node(s) fail axe-core "
                         f"{result['version']} WCAG 2.1 A/AA rules:\n  " + "\n  ".join(describe(failing)))


@pytest.mark.parametrize("page", PAGES)
def test_every_control_works_from_the_keyboard(browser, axe_source, page):
    """Tab reaches every visible, enabled control (links, buttons, inputs, ARIA widgets) and never
    stays stuck on one."""
    kb = audited(browser, page, axe_source)["audit"]["keyboard"]
    assert kb["trap"] is None, f"{page}: focus stuck on {kb['trap']}"
    assert not kb["unreachable_count"], (f"{page}: {kb['unreachable_count']} of {kb['controls']} controls "
                                         f"never get focus from Tab: {kb['unreachable']}")


FILE_NAME = re.compile(r"(^|/)[^ ]+\.(png|jpe?g|gif|svg|webp)$", re.IGNORECASE)


@pytest.mark.parametrize("page", PAGES)
def test_every_figure_says_what_it_shows(browser, axe_source, page):
    """Pictures in the article carry alt text that describes them (at least a few words), not
    Sphinx's default (the image's file name) and not empty. Widget pictures: axe's image-alt."""
    images = audited(browser, page, axe_source)["dom"]["images"]
    bad = [f"{i['src'][-60:]}: alt={i['alt']!r}" for i in images if i["in_article"] and not i["in_widget"]
           and (not i["alt"] or FILE_NAME.search(i["alt"].strip()) or len(i["alt"].split()) < 3)]
    assert not bad, f"{page}: figures without a description in their alt text:\n  " + "\n  ".join(bad)


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
    with serving(tmp_path) as (server, browser):
        browser.visit(server.url + "controls.html", "controls.html")
        moved = move_every_control(browser, settle=0.5)
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
    with serving(tmp_path) as (server, browser):
        r = browser.visit(server.url + "broken.html", "broken.html")
    assert any("boom" in e for e in r.js_errors)
    assert r.dom["raw_tex"] and r.dom["math_untypeset"] == 1
    assert r.broken_images and "missing.png" in r.broken_images[0]
    assert any("127.0.0.2" in u for u in r.external_requests)
    assert any("404" in f for f in r.failed_requests)
    assert r.dom["figure_reprs"] == ["<Figure size 640x480 with 1 Axes>"]
    assert r.dom["shows_without_image"] == ["fig = draw()"]


def test_the_audit_catches_an_inaccessible_page(tmp_path, axe_source):
    """The accessibility checks can fail: an unlabelled slider, a picture without alt text, grey on
    white, a deprecated ARIA role, a button Tab cannot reach, a figure whose alt is its file name;
    an input that keeps the focus; and a widget-owned node is marked as such."""
    (tmp_path / "bad.html").write_text(
        '<html lang="en"><head><title>bad</title><link rel="icon" href="data:,"></head><body><main>'
        '<h1>Bad</h1><article><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<img alt="../_images/0a1b2c.png" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<input type="range"><p style="color:#bbb">faint</p><div role="doc-biblioentry">ref</div>'
        '<button tabindex="-1">Hidden from Tab</button><a href="#top">top</a>'
        '<div class="jupyter-widgets"><input type="range" value="3"></div>'
        '<input aria-label="trap" onkeydown="if (event.key === \'Tab\') event.preventDefault()">'
        '</article></main></body></html>')
    with serving(tmp_path) as (server, browser):
        r = browser.visit(server.url + "bad.html", "bad.html")
        result = browser.axe(axe_source, [{"rule": "label", "within": ".jupyter-widgets"}])
        kb = browser.tab_through()
    rules = {v["rule"]: v["nodes"] for v in result["violations"]}
    assert {"image-alt", "label", "color-contrast", "aria-deprecated-role"} <= set(rules), rules
    assert sorted(bool(n["expected"]) for n in rules["label"]) == [False, True]
    assert kb["unreachable_count"] == 1 and "Hidden from Tab" in kb["unreachable"][0]
    assert 'aria-label="trap"' in kb["trap"]
    alts = [i["alt"] for i in r.dom["images"]]
    assert alts == [None, "../_images/0a1b2c.png"] and FILE_NAME.search(alts[1])
