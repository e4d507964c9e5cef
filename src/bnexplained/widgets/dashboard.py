"""The base of every dashboard: controls, an off-pyplot figure, and a timed ``update()``."""
from __future__ import annotations

import io

import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["Dashboard"]


class Dashboard:
    """Controls + a figure; subclasses implement ``draw(fig, **values)``.

    ``values`` holds the current control values; ``update()`` redraws and stores the PNG in
    ``self.image`` (an ``ipywidgets.Image``). Display the dashboard itself in a notebook.
    ``savefig_kwargs`` (a class attribute) is passed to ``savefig``, e.g. a faster PNG compression.
    """

    savefig_kwargs: dict = {}

    def __init__(self, controls: dict, *, figsize=(6, 3), dpi: int = 80):
        self.controls = controls
        self.fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.image = W.Image(format="png")
        self.readout = W.HTML()
        for control in controls.values():
            control.observe(lambda _change: self.update(), names="value")
        self.update()

    @property
    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def draw(self, fig, **values) -> str | None:  # pragma: no cover - abstract
        """Draw on ``fig``; may return an HTML string shown under the controls (a readout)."""
        raise NotImplementedError

    def update(self) -> None:
        """Redraw for the current control values and re-encode the PNG (what a slider move costs)."""
        self.fig.clear()
        text = self.draw(self.fig, **self.values)
        if text is not None:
            self.readout.value = text
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", **self.savefig_kwargs)
        self.image.value = buf.getvalue()

    def widget(self) -> W.Widget:
        rows = [W.HBox(list(self.controls.values()), layout=W.Layout(flex_flow="row wrap"))]
        return W.VBox(rows + [self.readout, self.image])

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget())
