"""The base of every dashboard: controls, an off-pyplot figure, and a timed ``update()``."""
from __future__ import annotations

import io

import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

__all__ = ["Dashboard"]


class Dashboard:
    """Controls + a figure; subclasses implement ``draw(fig, **values)``.

    ``values`` holds the current control values; ``update()`` redraws and stores the PNG in
    ``self.image`` (an ``ipywidgets.Image``). Display the dashboard itself in a notebook.
    ``savefig_kwargs`` (a class attribute) is passed to ``savefig``, e.g. a faster PNG compression.
    A subclass that keeps its axes between moves (updating artists in place, which is much
    faster than rebuilding them) sets ``clear_on_update = False`` and clears the figure itself.
    """

    savefig_kwargs: dict = {}
    clear_on_update: bool = True

    def __init__(self, controls: dict, *, figsize=(6, 3), dpi: int = 80):
        self.controls = controls
        self.fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.fig)
        width = int(round(self.fig.get_figwidth() * dpi))
        # shown at its own pixel size (never upscaled, so never blurred), shrunk on narrow screens
        self.image = W.Image(format="png", layout=W.Layout(width=f"{width}px", max_width="100%", height="auto"))
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
        if self.clear_on_update:
            self.fig.clear()
        text = self.draw(self.fig, **self.values)
        if text is not None:
            self.readout.value = text
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", **self.savefig_kwargs)
        self.image.value = buf.getvalue()

    @staticmethod
    def blit(fig, artists: list, background=None):
        """Redraw only ``artists`` over ``fig``'s static pixels; return those pixels for the next move.

        With ``background=None`` the figure is rendered once without the (animated) artists and
        its pixels are captured; otherwise the saved pixels are pasted back. Then each artist is
        drawn on top. The cost of a move no longer grows with the static picture.
        """
        canvas = fig.canvas
        if background is None:
            for artist in artists:
                artist.set_animated(True)                   # left out of the background
            canvas.draw()
            background = canvas.copy_from_bbox(fig.bbox)
        canvas.restore_region(background)
        for artist in artists:
            (artist.axes or fig).draw_artist(artist)
        return background

    @staticmethod
    def encode_canvas(fig) -> bytes:
        """The figure's current pixels as a PNG, fast (zlib level 1), without re-rendering."""
        w, h = fig.canvas.get_width_height()
        buf = io.BytesIO()
        Image.frombuffer("RGBA", (w, h), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
            buf, format="png", compress_level=1)
        return buf.getvalue()

    def widget(self) -> W.Widget:
        rows = [W.HBox(list(self.controls.values()), layout=W.Layout(flex_flow="row wrap"))]
        return W.VBox(rows + [self.readout, self.image])

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget())
