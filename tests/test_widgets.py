"""Dashboards build, redraw on a control change, and produce a picture (timings live in benchmarks/)."""
import bnexplained as bnx


def test_figure1_explorer_redraws_when_controls_move():
    X = bnx.data.star(30)
    w = bnx.widgets.Figure1Explorer(X)
    first = w.png
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    w.controls["bn"].value = False
    assert w.png != first
    w.controls["seed"].value = 5
    w.controls["layer"].value = 1
    w.controls["units"].value = 3
    assert len(w.lines(3, False, 5)[0]) == 3            # one polyline list per layer-1 unit
    w.button.click()
    assert w.controls["seed"].value == 6
    box = w.widget()
    assert w.pane in box.children


def test_website_controls_are_precomputed_and_linked_the_others_saved_disabled():
    """The static export: every option of the website controls is one picture in a stack that follows
    the control in the browser (jslink to ``selected_index``); every picture has alt text; the other
    controls and the button carry the class the book's build disables, and the note points to Colab."""
    import ipywidgets as W

    from bnexplained.widgets.dashboard import NEEDS_KERNEL, STATIC_NOTE

    w = bnx.widgets.Figure1Explorer(bnx.data.star(30), resolution=40)
    box = w.widget()
    stack = box.children[-1]
    assert isinstance(stack, W.Stack) and len(stack.children) == 2                  # without / with BN
    assert all(isinstance(s, W.Stack) and len(s.children) == 4 for s in stack.children)   # layers 1-4
    assert len(w._leaves) == 8
    pictures = {leaf.value for leaf in w._leaves.values()}
    assert len(pictures) == 8                                                        # every state differs
    assert all('alt="Input space of a random' in p and "data:image/png;base64," in p for p in pictures)
    links = w.links
    assert {(m.source[0].description, m.source[1], m.target[1]) for m in links} == {
        ("BN", "index", "selected_index"), ("layer", "index", "selected_index")}
    assert len(links) == 1 + 2                                                       # one per stack
    for name, control in w.controls.items():
        assert (NEEDS_KERNEL in control._dom_classes) == (name not in w.website)
    assert NEEDS_KERNEL in w.button._dom_classes
    assert STATIC_NOTE in w.note._dom_classes and w.note.value == "" and "Colab" in w.note.placeholder


def test_a_live_move_redraws_the_picture_shown():
    """In a kernel the stack's shown child is redrawn for the current values, secondary controls included."""
    w = bnx.widgets.Figure1Explorer(bnx.data.star(30), resolution=40)
    w.widget()
    precomputed = w._leaves[(1, 1)].value
    w.controls["units"].value = 3                      # not a website control: the shown leaf is redrawn
    w.controls["layer"].value = 2
    shown = w._leaves[(1, 1)]
    assert shown.value != precomputed and "3-unit" in shown.value
    assert w._shown() is shown


def test_the_book_saves_kernel_only_controls_disabled_and_shows_the_note():
    import pathlib
    import sys

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "book" / "_ext"))
    from static_widgets import static_state

    state = {"state": {
        "a": {"state": {"_dom_classes": ["bnx-needs-kernel"], "disabled": False}},
        "b": {"state": {"_dom_classes": [], "disabled": False}},
        "c": {"state": {"_dom_classes": ["bnx-static-note"], "value": "", "placeholder": "open in Colab"}}}}
    s = static_state(state)["state"]
    assert s["a"]["state"]["disabled"] and not s["b"]["state"]["disabled"]
    assert s["c"]["state"]["value"] == "open in Colab"
