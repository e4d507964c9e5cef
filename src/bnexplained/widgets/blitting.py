"""Dashboards that redraw only what moves (blitting): a slider move costs a few milliseconds.

A :class:`BlitDashboard` splits its picture in two. The *scene* (axes, data, curves: whatever
the moved control does not change) is drawn once by ``build`` and kept as pixels; a move
restores those pixels, lets ``move`` update the few artists that change, draws just those,
and encodes the PNG. Each scene (for example, each data set) gets a figure of its own.
``draw(fig, **values)`` still produces the complete picture on any figure, so kernel-free
fallbacks (:func:`bnexplained.plotting.scrubbable`) reuse the same code.
"""
from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .dashboard import Dashboard

__all__ = ["BlitDashboard"]


class BlitDashboard(Dashboard):
    """A :class:`Dashboard` whose subclasses implement ``scene``, ``build`` and ``move`` instead of ``draw``.

    * ``scene(**values)``: a hashable key for the static picture the values need (default: one scene);
    * ``build(fig, **values)``: draw that static picture on the empty ``fig``; return the list of
      artists that ``move`` will change (they are drawn last, in that order);
    * ``move(fig, artists, **values)``: update those artists for ``values``; may return a readout (HTML).
    """

    def scene(self, **values):
        return None

    def build(self, fig, **values) -> list:  # pragma: no cover - abstract
        raise NotImplementedError

    def move(self, fig, artists: list, **values) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _prepare(self, fig, values: dict) -> dict:
        """Build ``fig``'s scene if it does not show the one ``values`` need; return its bookkeeping."""
        key = self.scene(**values)
        state = getattr(fig, "_blit_state", None)
        if state is None or state["scene"] != key or (state["axes"] and state["axes"][0] not in fig.axes):
            fig.clear()
            artists = list(self.build(fig, **values))
            for artist in artists:
                artist.set_animated(True)               # left out of the background, drawn by hand
            state = fig._blit_state = dict(scene=key, artists=artists, axes=list(fig.axes), background=None)
        return state

    def draw(self, fig, **values):
        """The complete picture for ``values`` on ``fig`` (animated artists are drawn when saving)."""
        state = self._prepare(fig, values)
        return self.move(fig, state["artists"], **values)

    def update(self) -> None:
        values = self.values
        figures = self.__dict__.setdefault("_scene_figures", {})
        key = self.scene(**values)
        if key not in figures:
            fig = figures[key] = Figure(figsize=self.fig.get_size_inches(), dpi=self.fig.dpi)
            FigureCanvasAgg(fig)
        self.fig = fig = figures[key]
        state = self._prepare(fig, values)
        text = self.move(fig, state["artists"], **values)
        if text is not None:
            self.readout.value = text
        state["background"] = self.blit(fig, state["artists"], state["background"])
        self.image.value = self.encode_canvas(fig)
