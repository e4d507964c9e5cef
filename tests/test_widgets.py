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
