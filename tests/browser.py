"""Read the built book as a reader would: headless Chromium, driven over the DevTools protocol.

Used by ``tests/test_browser.py`` (``make browser``); also runs alone::

    python tests/browser.py [_build/html] [page.html ...]

which serves ``_build/html`` on localhost, loads each page (all of them by default), prints
what it found and saves full-page screenshots under ``_build/screenshots/``. When axe-core is
installed (``make browser-deps`` puts npm's ``axe-core`` under ``_build/axe/``) it also prints each
page's WCAG 2.1 A/AA violations.

Only Debian's ``chromium`` is needed (no chromedriver, no new Python package): the protocol's
websocket is spoken through tornado, which Jupyter already installs.
"""
from __future__ import annotations

import asyncio
import base64
import functools
import http.server
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field

from tornado.websocket import websocket_connect

CHROMIUM_FLAGS = [  # what works on our machines (TOOLCHAIN.md): no sandbox as root, no background traffic
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--mute-audio",
]
WIDTH, HEIGHT = 1280, 900        # a laptop screen

# Accessibility: npm's axe-core (version pinned in the Makefile, installed by `make browser-deps`
# into the git-ignored _build/axe/), injected into each loaded page over the protocol (the pages
# themselves never fetch it), run with every WCAG 2.0/2.1 level A and AA rule.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
AXE_JS = pathlib.Path(__file__).resolve().parents[1] / "_build" / "axe" / "node_modules" / "axe-core" / "axe.min.js"

# axe's result, trimmed to what a failing test prints: rule, impact, help and each node's selector,
# HTML and failure summary. `expected` is a list of {rule, within}: a node of that rule inside an
# element matching the CSS selector `within` is marked "expected" (see tests/test_browser.py).
AXE_RUN_JS = r"""
(async (tags, expected) => {
  const res = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  const el = t => { try { return document.querySelector(t); } catch (e) { return null; } };
  return {version: axe.version, violations: res.violations.map(v => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => {
      const target = n.target.map(t => Array.isArray(t) ? t.join(" >>> ") : t).join(" ");
      const node = n.target.length === 1 && typeof n.target[0] === "string" ? el(n.target[0]) : null;
      const hit = expected.find(e => e.rule === v.id && node && node.closest(e.within));
      return {target: target, html: n.html.slice(0, 160),
              summary: (n.failureSummary || "").replace(/\s+/g, " ").slice(0, 300),
              expected: hit ? hit.within : null};
    })}))};
})
"""

# Runs in the page once it has settled; returns what the assertions look at.
INSPECT_JS = r"""
(() => {
  const skip = "pre, code, script, style, textarea, mjx-container, .highlight, .MathJax";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const raw = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip)) continue;
    const t = n.textContent;
    for (const tok of ["$$", "\\(", "\\)", "\\[", "\\]", "\\begin{"]) {
      const i = t.indexOf(tok);
      if (i >= 0) { raw.push(t.slice(Math.max(0, i - 40), i + 60).replace(/\s+/g, " ")); break; }
    }
  }
  const math = [...document.querySelectorAll(".math")];
  const images = [...document.images].map(i => ({
    src: (i.currentSrc || i.src).slice(0, 120), ok: i.complete && i.naturalWidth > 0,
    natural: i.naturalWidth, shown: Math.round(i.getBoundingClientRect().width),
    in_article: !!i.closest("article"), alt: i.getAttribute("alt"),
    in_widget: !!i.closest(".jupyter-widgets, .widget-image")}));
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  return {
    title: document.title,
    raw_tex: raw.slice(0, 10),
    math_total: math.length,
    math_untypeset: math.filter(m => !m.querySelector("mjx-container")).length,
    math_errors: [...document.querySelectorAll("mjx-merror")].map(e => e.getAttribute("data-mjx-error")
                                                                    || e.textContent).slice(0, 10),
    images: images,
    colab_links: [...document.querySelectorAll('a[href*="colab.research.google.com"]')].map(a => a.href),
    figure_reprs: [...document.querySelectorAll(".cell_output, .output")].map(o => o.textContent)
      .filter(t => /<(Figure|matplotlib\.[a-z.]*) size [0-9]/.test(t) || /<Figure size/.test(t))
      .map(t => t.trim().slice(0, 80)),
    shows_without_image: [...document.querySelectorAll("div.cell")].filter(c => {
      const src = c.querySelector(".cell_input");
      return src && /plt\.show\(\)/.test(src.textContent) && !c.querySelector(".cell_output img");
    }).map(c => c.querySelector(".cell_input").textContent.trim().split("\n")[0].slice(0, 80)),
    widget_views: views.length,
    animations: document.querySelectorAll(".animation input[type=range]").length,
    widgets_rendered: document.querySelectorAll(".jupyter-widgets.widget-vbox, .jupyter-widgets.widget-hbox, .widget-image, .jupyter-widgets > .widget-box").length,
    height: Math.ceil(document.documentElement.scrollHeight),
    overflow_x: document.documentElement.scrollWidth > document.documentElement.clientWidth,
  };
})()
"""


# Keyboard: which visible, enabled controls never receive focus while Tab walks the page, and
# whether focus stays stuck on one element (a keyboard trap). Marks each focused element first.
KEYBOARD_SETUP_JS = r"""
(() => {
  window.__bnxFocused = new Set();
  window.__bnxFocusins = 0;
  document.addEventListener("focusin", e => { window.__bnxFocused.add(e.target); window.__bnxFocusins++; }, true);
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  window.scrollTo(0, 0);
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex], ' +
              '[role=button], [role=slider], [role=checkbox], [role=link], [role=tab], [role=switch], ' +
              '[role=spinbutton], [role=combobox], [role=radio], [role=menuitem]';
  const visible = el => {
    if (!el.getClientRects().length) return false;
    if (el.checkVisibility && !el.checkVisibility({checkOpacity: false, checkVisibilityCSS: true})) return false;
    const closed = el.closest("details:not([open])");     // folded away: not a control until opened
    if (closed && !(el.tagName === "SUMMARY" && el.parentElement === closed)) return false;
    const st = getComputedStyle(el);
    if (st.visibility !== "visible" || st.display === "none") return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  window.__bnxControls = [...document.querySelectorAll(sel)].filter(el =>
    visible(el) && !el.disabled && el.getAttribute("aria-disabled") !== "true" &&
    !el.closest('[aria-hidden="true"], [inert], [disabled]') &&
    // a tabindex=-1 that is not itself a control (a scroll target, a dialog) is not a control
    !(el.getAttribute("tabindex") === "-1" && !el.matches('a[href], button, input, select, textarea, summary, [role]')) &&
    // a tab list takes one Tab stop, its selected tab (the arrow keys move between tabs)
    !(el.getAttribute("role") === "tab" && el.getAttribute("aria-selected") !== "true" &&
      el.parentElement && el.parentElement.querySelector('[role=tab][aria-selected="true"]')) &&
    // radio groups take one Tab stop
    !(el.type === "radio" && !el.checked && el.name &&
      document.querySelector(`input[type=radio][name="${CSS.escape(el.name)}"]:checked`)));
  // a control counts as reached when it, or an element inside it, had focus; one that is no longer
  // shown (the page contents list shows the current section's subsections only) is not counted
  window.__bnxMissed = () => window.__bnxControls.filter(el => visible(el) && !window.__bnxFocused.has(el) &&
                                                          ![...window.__bnxFocused].some(f => el.contains(f)));
  return window.__bnxControls.length;
})()
"""

KEYBOARD_RESULT_JS = r"""
(() => {
  const name = el => (el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).slice(0, 2).join(".") : "") +
    " " + JSON.stringify((el.getAttribute("aria-label") || el.title || el.textContent || "").trim().slice(0, 40)));
  const missed = window.__bnxMissed();
  return {controls: window.__bnxControls.length, focused: window.__bnxFocused.size,
          unreachable: missed.map(name).slice(0, 20), unreachable_count: missed.length};
})()
"""


def find_chromium() -> str | None:
    """The Chromium binary: ``$CHROMIUM`` or the first of chromium / chromium-browser / google-chrome on PATH."""
    for name in filter(None, [os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"]):
        path = shutil.which(name)
        if path:
            return path
    return None


class StaticServer:
    """``_build/html`` on an ephemeral localhost port, in a daemon thread."""

    def __init__(self, root: pathlib.Path):
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class PageResult:
    """What one page showed: the DOM inspection plus every error, failed and outside request."""

    page: str
    js_errors: list = field(default_factory=list)
    failed_requests: list = field(default_factory=list)
    external_requests: list = field(default_factory=list)
    dom: dict = field(default_factory=dict)
    screenshot: str = ""
    seconds: float = 0.0

    @property
    def broken_images(self) -> list:
        return [i["src"] for i in self.dom.get("images", []) if not i["ok"]]


class Browser:
    """One headless Chromium and one tab, spoken to over the DevTools protocol."""

    def __init__(self, chromium: str, *, timeout: float = 30.0):
        self.profile = tempfile.mkdtemp(prefix="bnx-chromium-")
        self.ws = None
        self.proc = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
             f"--window-size={WIDTH},{HEIGHT}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = pathlib.Path(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"{chromium} did not start (exit code {self.proc.returncode})")
            time.sleep(0.1)
        try:
            port = port_file.read_text().split()[0]
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout))
            ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")

            async def connect():
                return await websocket_connect(ws_url, max_message_size=1 << 30)

            self.loop = asyncio.new_event_loop()
            self.ws = self.loop.run_until_complete(connect())
            self.events: list = []
            self._id = 0
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.call(f"{domain}.enable")
            self.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1,
                      mobile=False)
        except BaseException:
            self.close()
            raise

    # --- the protocol -----------------------------------------------------------------------
    async def _read(self) -> dict:
        msg = await self.ws.read_message()
        if msg is None:
            raise ConnectionError("Chromium closed the DevTools connection")
        return json.loads(msg)

    async def _call(self, method: str, params: dict) -> dict:
        self._id += 1
        mine = self._id
        await self.ws.write_message(json.dumps({"id": mine, "method": method, "params": params}))
        while True:
            msg = await self._read()
            if msg.get("id") == mine:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    async def _call_many(self, calls: list) -> list:
        first = self._id + 1
        for method, params in calls:                 # sent at once, answered in order
            self._id += 1
            await self.ws.write_message(json.dumps({"id": self._id, "method": method, "params": params}))
        results = {}
        while len(results) < len(calls):
            msg = await self._read()
            if msg.get("id", 0) >= first:
                if "error" in msg:
                    raise RuntimeError(f"{calls[msg['id'] - first][0]}: {msg['error']}")
                results[msg["id"]] = msg.get("result", {})
            elif "method" in msg:
                self.events.append(msg)
        return [results[i] for i in sorted(results)]

    def call_many(self, calls: list, wait: float = 30.0) -> list:
        """Several ``(method, params)`` calls in one round trip (Chromium runs them in order)."""
        return self.loop.run_until_complete(asyncio.wait_for(self._call_many(calls), wait))

    def call(self, method: str, wait: float = 30.0, **params) -> dict:
        return self.loop.run_until_complete(asyncio.wait_for(self._call(method, params), wait))

    def pump(self, seconds: float, until=None) -> bool:
        """Collect events for up to ``seconds``; stop early once ``until(event)`` is true."""
        async def run():
            while True:
                msg = await self._read()
                if "method" in msg:
                    self.events.append(msg)
                    if until is not None and until(msg):
                        return True
        try:
            return self.loop.run_until_complete(asyncio.wait_for(run(), seconds))
        except asyncio.TimeoutError:
            return False

    def evaluate(self, expression: str, timeout: float = 30.0):
        res = self.call("Runtime.evaluate", wait=timeout + 5, expression=expression, returnByValue=True,
                        awaitPromise=True, timeout=int(timeout * 1000))
        if "exceptionDetails" in res:
            raise RuntimeError(f"page script failed: {res['exceptionDetails'].get('text')}")
        return res["result"].get("value")

    # --- a page -----------------------------------------------------------------------------
    def visit(self, url: str, page: str, screenshot: pathlib.Path | None = None) -> PageResult:
        """Load ``url``, wait until math is typeset and widgets are drawn, inspect, screenshot."""
        start = time.monotonic()
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.pump(30, until=lambda e: e["method"] == "Page.loadEventFired")
        self.evaluate("""(async () => {
            if (document.querySelector('.math') && window.MathJax && MathJax.startup && MathJax.startup.promise)
              await MathJax.startup.promise;
            const want = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
            for (let t = 0; want && t < 100; t++) {             // the embed manager draws widgets async
              if (document.querySelectorAll('.jupyter-widgets.widget-vbox, .jupyter-widgets > .widget-box, .widget-image').length) break;
              await new Promise(r => setTimeout(r, 100));
            }
            await new Promise(r => setTimeout(r, 300));
            return true; })()""")
        self.pump(0.3)                                        # late errors and requests
        result = PageResult(page=page, dom=self.evaluate(INSPECT_JS))
        origin = url.split("/", 3)[:3]
        for e in self.events:
            m, p = e["method"], e["params"]
            if m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                result.js_errors.append((d.get("exception", {}).get("description") or d.get("text", "")).split("\n")[0])
            elif m == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
                result.js_errors.append("console.error: " + " ".join(str(a.get("value", a.get("description", "")))
                                                                    for a in p["args"])[:300])
            elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
                result.js_errors.append(f"{p['entry']['source']}: {p['entry']['text']} {p['entry'].get('url', '')}"[:300])
            elif m == "Network.requestWillBeSent":
                req = p["request"]["url"]
                if req.startswith("http") and req.split("/", 3)[:3] != origin:
                    result.external_requests.append(req)
            elif m == "Network.loadingFailed" and not p.get("canceled"):
                result.failed_requests.append(f"{p.get('errorText')} ({p.get('type')})")
            elif m == "Network.responseReceived" and p["response"]["status"] >= 400:
                result.failed_requests.append(f"HTTP {p['response']['status']} {p['response']['url']}")
        if screenshot is not None:
            # a window as tall as the page (as if the reader scrolled through it), then back to a laptop's
            height = min(int(result.dom.get("height", HEIGHT)), 30000)
            self.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=height, deviceScaleFactor=1,
                      mobile=False)
            self.pump(0.3)
            shot = self.call("Page.captureScreenshot", wait=60, format="png")
            self.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1,
                      mobile=False)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            result.screenshot = str(screenshot)
        result.seconds = round(time.monotonic() - start, 2)
        return result

    def axe(self, source: str, expected: list = ()) -> dict:
        """Run axe-core's WCAG 2.1 A/AA rules on the loaded page: ``{version, violations: [...]}``.

        ``source`` is axe.min.js, evaluated once per page with ``define`` hidden (the pages load
        require.js, which would otherwise claim axe's anonymous inner modules).
        """
        if not self.evaluate("typeof window.axe === 'object' && typeof axe.run === 'function'"):
            self.evaluate("(function (define, module, exports) {\n" + source + "\n}).call(window); true")
        return self.evaluate(f"({AXE_RUN_JS})({json.dumps(list(WCAG_TAGS))}, {json.dumps(list(expected))})",
                             timeout=120)

    def tab_through(self) -> dict:
        """Press Tab until focus has had the chance to visit every control once: which visible,
        enabled controls it never reached, and the element it got stuck on (a keyboard trap), if any."""
        controls = self.evaluate(KEYBOARD_SETUP_JS)
        key = dict(key="Tab", code="Tab", windowsVirtualKeyCode=9, nativeVirtualKeyCode=9)
        # after each batch: focus events so far, the focused element, how many controls are still unvisited
        where = ("(() => { const a = document.activeElement; return [window.__bnxFocusins, a ? a.outerHTML.slice(0, 120)"
                 " : '', window.__bnxMissed().length] })()")
        presses = [("Input.dispatchKeyEvent", dict(type=t, **key)) for t in ("rawKeyDown", "keyUp")] * 8
        last, trap = None, None
        for _ in range(0, 3 * controls + 40, 8):   # until every control had focus: once round the page, or more
            self.call_many(presses)
            now = self.evaluate(where)
            if not now[2]:
                break
            if last is not None and now[0] == last[0] and now[1] and not now[1].startswith("<body"):
                trap = now[1]                      # stuck: eight presses of Tab and focus did not move
                break
            last = now
        result = self.evaluate(KEYBOARD_RESULT_JS)
        result["trap"] = trap
        return result

    def close(self):
        try:
            if self.ws is not None:
                self.ws.close()
                self.loop.close()
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def html_pages(root: pathlib.Path) -> list:
    """Every page of the built book, relative to ``root`` (``index.html`` is only a redirect)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.html")
                  if p.parent.name not in ("_static", "_sources", "_images", "mathjax", "jupyter-widgets")
                  and "_static" not in p.parts and p.name != "index.html")


# Every control a reader can move, on every page: each enabled widget control (slider handle, select,
# text box, toggle group, button) and each animation slider, with the pictures it should change.
CONTROLS_JS = r"""
(() => {
  const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility === "visible";
  const enabled = el => !el.disabled && !el.closest("[disabled]") && el.getAttribute("aria-disabled") !== "true";
  const hash = s => { let h = 0; for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0; return h; };
  window.__bnxPicture = i => {
    const el = document.querySelector(`[data-bnx-control="${i}"]`);
    const root = el.closest(".animation") || el.closest(".cell_output, .output_area, .output") || document.body;
    return [...root.querySelectorAll("img")].filter(shown).map(img => img.src.length + ":" + hash(img.src)).join(" ");
  };
  const found = [];
  const add = (el, kind) => {
    if (!shown(el) || !enabled(el)) return;
    el.setAttribute("data-bnx-control", found.length);
    const box = el.closest(".widget-inline-hbox, .widget-toggle-buttons, .widget-dropdown, .widget-text, .anim-controls, .animation");
    const label = box && box.querySelector(".widget-label");
    found.push({kind: kind, label: ((label && label.textContent) || el.getAttribute("aria-label") || el.title ||
                                     el.textContent || el.className).trim().slice(0, 60),
                at_max: kind === "slider" && (el.getAttribute("aria-valuenow") ?? el.value) ===
                                             (el.getAttribute("aria-valuemax") ?? el.max)});
  };
  document.querySelectorAll(".jupyter-widgets").forEach(w => {
    if (w.parentElement && w.parentElement.closest(".jupyter-widgets")) return;   // top-level views only
    w.querySelectorAll('[role="slider"]').forEach(el => add(el, "slider"));
    w.querySelectorAll("select").forEach(el => add(el, "select"));
    w.querySelectorAll("input:not([type=hidden]):not([type=checkbox]), textarea").forEach(
      el => add(el, el.type === "range" ? "slider" : "text"));
    w.querySelectorAll(".widget-toggle-buttons").forEach(g => {
      const off = [...g.querySelectorAll("button")].find(b => !b.classList.contains("mod-active"));
      if (off) add(off, "toggle");
    });
    w.querySelectorAll("button").forEach(b => { if (!b.closest(".widget-toggle-buttons")) add(b, "button"); });
  });
  document.querySelectorAll(".animation input[type=range]").forEach(el => add(el, "slider"));
  return found;
})()
"""

_KEYS = {"ArrowRight": 39, "ArrowLeft": 37, "ArrowUp": 38, "ArrowDown": 40, "Enter": 13}


def press(browser: Browser, key: str) -> None:
    """One key press, as the keyboard sends it (keydown with its text, then keyup)."""
    extra = {"text": "\r"} if key == "Enter" else {}
    code = _KEYS[key]
    browser.call("Input.dispatchKeyEvent", type="keyDown", key=key, code=key, windowsVirtualKeyCode=code,
                 nativeVirtualKeyCode=code, **extra)
    browser.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=key, windowsVirtualKeyCode=code,
                 nativeVirtualKeyCode=code)


def move_every_control(browser: Browser, settle: float = 2.0) -> list:
    """On the loaded page, move each enabled control once from the keyboard and watch its pictures.

    A slider (widget or animation) gets an arrow key (left when it is at its end), a select the down
    arrow, a text box the up arrow, a toggle group Enter on a button not selected, a button Enter.
    Returns ``[{kind, label, changed}]``: ``changed`` is whether any picture next to the control (the
    images shown in its cell output, or its animation) changed within ``settle`` seconds.
    """
    controls = browser.evaluate(CONTROLS_JS) or []
    results = []
    for i, c in enumerate(controls):
        before = browser.evaluate(f"window.__bnxPicture({i})")
        browser.evaluate(f'document.querySelector(\'[data-bnx-control="{i}"]\').scrollIntoView({{block: "center"}}); '
                         f'document.querySelector(\'[data-bnx-control="{i}"]\').focus(); true')
        key = {"slider": "ArrowLeft" if c["at_max"] else "ArrowRight", "select": "ArrowDown",
               "text": "ArrowUp"}.get(c["kind"], "Enter")
        press(browser, key)
        if c["kind"] == "text":
            press(browser, "Enter")                   # a text box sends its value on Enter
        changed = False
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline:
            if browser.evaluate(f"window.__bnxPicture({i})") != before:
                changed = True
                break
            time.sleep(0.05)
        results.append(dict(c, key=key, changed=changed, picture=bool(before)))
    return results


def main(argv: list) -> int:
    root = pathlib.Path(argv[0] if argv else "_build/html").resolve()
    pages = argv[1:] or html_pages(root)
    chromium = find_chromium()
    if chromium is None:
        print("no chromium found: apt-get install chromium", file=sys.stderr)
        return 2
    shots = root.parent / "screenshots"
    axe_source = AXE_JS.read_text() if AXE_JS.exists() else None
    server, browser = StaticServer(root), Browser(chromium)
    try:
        for page in pages:
            r = browser.visit(server.url + page, page, shots / (page.replace("/", "__")[:-5] + ".png"))
            print(json.dumps({k: v for k, v in asdict(r).items() if k != "dom"} | {
                k: r.dom.get(k) for k in ("raw_tex", "math_total", "math_untypeset", "math_errors", "widget_views",
                                          "widgets_rendered", "animations", "figure_reprs", "shows_without_image",
                                          "height", "overflow_x")} | {
                "broken_images": r.broken_images}))
            if axe_source is not None:
                for v in browser.axe(axe_source)["violations"]:
                    print(f"  axe {v['rule']} ({v['impact']}): {v['help']}")
                    for n in v["nodes"]:
                        print(f"    {n['target']}  {n['html'][:100]}")
    finally:
        browser.close()
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
