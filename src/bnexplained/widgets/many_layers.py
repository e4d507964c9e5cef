"""Chapters 4 and 5's dashboards: Figure 2 live (μ translates folded hyperplanes, σ folds them)."""
from __future__ import annotations

import ipywidgets as W

from ..folding import FoldingScene
from ..plotting.many_layers import FoldingFigure, TranslationFigure
from ..translation import TranslationScene
from .dashboard import Dashboard

__all__ = ["Figure2Translation", "Figure2Folding"]


class _Blitted(Dashboard):
    """A dashboard whose moves redraw only a few *dynamic* artists over a cached background.

    ``draw`` returns the readout; when the static picture changes it sets ``self._dynamic`` to the
    artists that move and ``self._background = None``. Those are marked animated, the rest is
    rendered once and kept as pixels (Agg ``copy_from_bbox``), and each move pastes the pixels back,
    draws the dynamic artists and encodes the PNG (fast zlib level): the cost of a move no longer
    grows with the static picture.
    """

    clear_on_update = False

    def __init__(self, controls, **kwargs):
        self._dynamic, self._background = None, None
        super().__init__(controls, **kwargs)

    def update(self) -> None:
        text = self.draw(self.fig, **self.values)
        self._background = self.blit(self.fig, self._dynamic, self._background)
        if text is not None:
            self.readout.value = text
        self.image.value = self.encode_canvas(self.fig)


class Figure2Translation(_Blitted):
    """Figure 2(a)(b): slide ``μ_{2,k}`` and watch ``H_{2,k}`` translate in a slice of layer 2's input
    space (left) while ``F_{2,k}`` moves in input space (right). The dashed lines stay at a reference
    offset ``μ'`` (by default the fitted ``μ̄_{2,k}``); the red point is one data point with its
    distances to both (Theorem 2), flagged when ``H`` is the closer one in layer 2 but ``F`` is not.
    Offsets count in the data's spread along ``w_{2,k}`` (``σ_{2,k}`` for fitted statistics).
    ``unit`` is 1-based, like the slider."""

    def __init__(self, net, X, *, extent=None, unit: int = 1, point: int = 0, shift: float = 0.8,
                 reference_shift: float = 0.0):
        self.scene = TranslationScene(net, X, layer=2, extent=extent)
        n = self.scene.X.shape[0]
        self.reference_shift = float(reference_shift)
        controls = {
            "unit": W.IntSlider(value=unit, min=1, max=self.scene.units, description="unit k"),
            "shift": W.FloatSlider(value=shift, min=-3.0, max=3.0, step=0.05, description="(μ − μ̄)/σ",
                                   readout_format=".2f"),
            "point": W.IntSlider(value=point, min=0, max=n - 1, description="point x"),
        }
        self._view = None
        super().__init__(controls, figsize=(8.4, 4.3), dpi=72)

    def mu(self, unit: int, shift: float) -> float:
        """``μ_{2,k} = μ̄_{2,k} + shift × std(u)`` for the 1-based ``unit``."""
        k = unit - 1
        return float(self.scene.mu[k]) + shift * self.scene.spread(k)

    def draw(self, fig, unit, shift, point):
        ref = self.mu(unit, self.reference_shift)
        if self._view is None:
            self._view = TranslationFigure(fig, self.scene, unit - 1, point=point, reference_mu=ref)
            fig.subplots_adjust(left=0.02, right=0.98, bottom=0.08, top=0.9, wspace=0.06)
            self._dynamic, self._background = self._view.dynamic, None
        elif unit - 1 != self._view.unit:          # the slice changes: redraw the background once
            self._view.set_unit(unit - 1, reference_mu=ref)
            self._background = None
        if point != self._view.point:              # only dynamic artists change
            self._view.set_point(point)
        return self._view.set_mu(self.mu(unit, shift))


class Figure2Folding(_Blitted):
    """Figure 2(c): fix every ``μ`` and slide ``σ_{1,i}`` of one layer-1 unit; the layer-2 folded
    hyperplanes fold where they cross ``H_{1,i}`` (red). Right: the angles (24)–(26) at the circled
    crossing over the whole range of ``σ_{1,i}``, the current value marked."""

    def __init__(self, net, X, *, extent=None):
        self.scene = FoldingScene(net, X, extent=extent)
        controls = {
            "boundary": W.IntSlider(value=1, min=1, max=self.scene.net.widths[1], description="unit i"),
            "scale": W.FloatLogSlider(value=1.0, base=10, min=-3, max=2, step=0.05, description="σ1,i ×",
                                      readout_format=".3g"),
        }
        self._view = None
        super().__init__(controls, figsize=(8.4, 4.0), dpi=72)

    def draw(self, fig, boundary, scale):
        if self._view is None:
            self._view = FoldingFigure(fig, self.scene, boundary - 1)
            fig.subplots_adjust(left=0.02, right=0.97, bottom=0.13, top=0.9, wspace=0.12)
            self._dynamic, self._background = self._view.dynamic, None
        elif boundary - 1 != self._view.boundary:  # layer 1's picture changes: redraw the background once
            self._view.set_boundary(boundary - 1)
            self._background = None
        return self._view.set_scale(scale)
