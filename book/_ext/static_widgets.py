"""Saved dashboards on the website: every control works without a kernel or says why not.

A dashboard (``bnexplained.widgets.Dashboard``) precomputes the pictures of the controls that can
work in the browser and links them with ``jslink``; its other controls carry the class
``bnx-needs-kernel`` and its note line (class ``bnx-static-note``) is empty in a live kernel. The
notebook's saved widget state is the live one, so here, in each page's saved state only:

* every model with the class ``bnx-needs-kernel`` is saved with ``disabled: true`` (visibly greyed,
  out of the keyboard's reach);
* every ``bnx-static-note`` line shows its text (its ``placeholder``), which points to Colab.

A small script also gives each slider handle the accessible name of its label (ipywidgets' sliders
draw a ``role="slider"`` handle without one). Live notebooks (Colab, Jupyter) are left untouched.
"""
import json

NEEDS_KERNEL = "bnx-needs-kernel"
STATIC_NOTE = "bnx-static-note"
STATE_TYPE = "application/vnd.jupyter.widget-state+json"

# Names slider handles after their widget's label, once the embed manager has drawn them.
LABEL_SLIDERS = r"""
(() => {
  const name = () => document.querySelectorAll(".widget-slider, .jupyter-widget-slider").forEach(w => {
    const label = w.querySelector(".widget-label");
    const text = label && label.textContent.trim();
    w.querySelectorAll('[role="slider"]').forEach(h => {
      if (text && !h.getAttribute("aria-label")) h.setAttribute("aria-label", text);
    });
  });
  new MutationObserver(name).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener("DOMContentLoaded", name);
})();
"""


def static_state(state: dict) -> dict:
    """The saved widget state as the website shows it (see the module docstring)."""
    for model in state.get("state", {}).values():
        s = model.get("state", {})
        classes = s.get("_dom_classes") or []
        if NEEDS_KERNEL in classes:
            s["disabled"] = True
        if STATIC_NOTE in classes:
            s["value"] = s.get("placeholder", "")
    return state


def save_static(app, pagename, templatename, context, doctree):
    for js in context.get("script_files") or []:
        attributes = getattr(js, "attributes", None) or {}
        if attributes.get("type") == STATE_TYPE and attributes.get("body"):
            state = static_state(json.loads(attributes["body"]))
            attributes["body"] = json.dumps(state).replace("</script>", r"<\/script>")


def setup(app):
    app.add_js_file(None, body=LABEL_SLIDERS)
    app.connect("html-page-context", save_static, priority=800)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
