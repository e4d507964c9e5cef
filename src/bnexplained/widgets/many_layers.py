"""Chapters 4 and 5's dashboards: Figure 2 live (μ translates folded hyperplanes, σ folds them)."""
from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..folding import FoldingScene
from ..plotting.many_layers import FoldingFigure, TranslationFigure
from ..translation import TranslationScene
from .dashboard import Dashboard

__all__ = ["Figure2Translation", "Figure2Folding"]

SHIFTS = tuple(float(s) for s in np.arange(-3.0, 3.01, 0.5))          # the website's μ positions
SCALES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)


class Figure2Translation(Dashboard):
    """Figure 2(a)(b): slide ``μ_{2,k}`` and watch ``H_{2,k}`` translate in a slice of layer 2's input
    space (left) while ``F_{2,k}`` moves in input space (right). The dashed lines stay at a reference
    offset ``μ'`` (by default the fitted ``μ̄_{2,k}``); the red point is one data point with its
    distances to both (Theorem 2), flagged when ``H`` is the closer one in layer 2 but ``F`` is not.
    Offsets count in the data's spread along ``w_{2,k}`` (``σ_{2,k}`` for fitted statistics), in
    steps of 0.5 (and the starting ``shift``). ``unit`` is 1-based, like the slider. On the website
    the μ slider works (13 or 14 precomputed pictures)."""

    website = ("shift",)
    prebuilt = ("unit",)                            # every unit's slice and dashed lines, built once

    def __init__(self, net, X, *, extent=None, unit: int = 1, point: int = 0, shift: float = 0.8,
                 reference_shift: float = 0.0):
        self.geometry = TranslationScene(net, X, layer=2, extent=extent)
        n = self.geometry.X.shape[0]
        self.reference_shift = float(reference_shift)
        shifts = sorted(set(SHIFTS) | {round(float(shift), 4)})
        controls = {
            "unit": W.IntSlider(value=unit, min=1, max=self.geometry.units, description="unit k"),
            "shift": W.SelectionSlider(options=[(f"{s:+.2f}", s) for s in shifts], value=round(float(shift), 4),
                                       description="(μ − μ̄)/σ"),
            "point": W.IntSlider(value=point, min=0, max=n - 1, description="point x"),
        }
        super().__init__(controls, figsize=(8.4, 4.3), dpi=72)

    def mu(self, unit: int, shift: float) -> float:
        """``μ_{2,k} = μ̄_{2,k} + shift × std(u)`` for the 1-based ``unit``."""
        k = unit - 1
        return float(self.geometry.mu[k]) + shift * self.geometry.spread(k)

    def scene(self, unit, **_):
        return unit                                 # the slice and the dashed lines change with the unit

    def build(self, fig, unit, point, **_) -> list:
        view = fig._view = TranslationFigure(fig, self.geometry, unit - 1, point=point,
                                             reference_mu=self.mu(unit, self.reference_shift))
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.08, top=0.9, wspace=0.06)
        return view.dynamic

    def move(self, fig, artists, unit, shift, point):
        view = fig._view
        view.mu = None                               # set_point need not redraw the old μ
        if point != view.point:
            view.set_point(point)
        return view.set_mu(self.mu(unit, shift))

    def alt(self, unit, shift, point):
        return (f"Figure 2(a)(b) for unit {unit} of layer 2 with μ moved {shift:+.2f} spreads from its BN value. "
                f"Left: a 2-D slice of layer 2's input space with the hyperplane H (blue, dashed at the reference) "
                f"and the data; right: input space with the folded hyperplane F (blue, dashed at the reference), "
                f"earlier layers' lines (grey), the data, and data point {point} in red with its distances.")


class Figure2Folding(Dashboard):
    """Figure 2(c): fix every ``μ`` and scale ``σ_{1,i}`` of one layer-1 unit; the layer-2 folded
    hyperplanes fold where they cross ``H_{1,i}`` (red). Right: the angles (24)–(26) at the circled
    crossing over the whole range of ``σ_{1,i}``, the current value marked. The scale steps by
    half-decades from 1/1000 to 100; on the website that slider works (11 precomputed pictures)."""

    website = ("scale",)
    prebuilt = ("boundary",)                        # every unit's layer-1 picture and angle curves

    def __init__(self, net, X, *, extent=None):
        self.geometry = FoldingScene(net, X, extent=extent)
        controls = {
            "boundary": W.IntSlider(value=1, min=1, max=self.geometry.net.widths[1], description="unit i"),
            "scale": W.SelectionSlider(options=[(f"{s:g}", s) for s in SCALES], value=1.0, description="σ1,i ×"),
        }
        super().__init__(controls, figsize=(8.4, 4.0), dpi=72)

    def scene(self, boundary, **_):
        return boundary                              # layer 1's picture and the angle curves

    def build(self, fig, boundary, **_) -> list:
        view = fig._view = FoldingFigure(fig, self.geometry, boundary - 1)
        fig.subplots_adjust(left=0.02, right=0.97, bottom=0.13, top=0.9, wspace=0.12)
        return view.dynamic

    def move(self, fig, artists, boundary, scale):
        return fig._view.set_scale(scale)

    def alt(self, boundary, scale):
        return (f"Figure 2(c) with σ of layer-1 unit {boundary} multiplied by {scale:g}. Left: input space with "
                f"layer 1's hyperplanes (grey, unit {boundary} in red), layer 2's folded hyperplanes (blue) and "
                f"the data; right: the angles (24) to (26) at the circled crossing against the scale of σ, "
                f"the current scale marked.")
