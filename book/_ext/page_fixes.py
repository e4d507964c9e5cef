"""Small fixes applied to every built page, so that it reads well offline and logs no errors.

* Matplotlib's ``to_jshtml`` animations (``bnx.plotting.scrubbable``) link Font Awesome 4 from
  a CDN for their buttons. In a live notebook (Colab) the link is useful, so the output keeps
  it; in the book the theme already ships Font Awesome, so the link is dropped from raw-HTML
  outputs and no page asks the network for anything.
* sphinx-thebe registers its inline configuration script once per page event, so pages carry
  it twice and the second copy throws "Identifier 'THEBE_JS_URL' has already been declared";
  identical inline scripts are kept once.

``tests/test_browser.py`` loads every page and fails on outside requests and JavaScript errors.
"""
import re

from docutils import nodes

CDN_STYLESHEET = re.compile(
    r'<link\b[^>]*href="https?://[^"]*font-awesome[^"]*"[^>]*>\s*', re.IGNORECASE)


def strip_cdn_links(app, doctree, docname):
    for node in doctree.findall(nodes.raw):
        if "html" in node.get("format", "").split():
            text = node.astext()
            cleaned = CDN_STYLESHEET.sub("", text)
            if cleaned != text:
                node.replace_self(nodes.raw(cleaned, cleaned, format=node["format"]))


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


def setup(app):
    app.connect("doctree-resolved", strip_cdn_links)
    app.connect("html-page-context", dedupe_inline_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
