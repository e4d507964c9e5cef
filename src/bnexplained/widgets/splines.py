"""Chapter 1's dashboard: Figure 1 live (layer, BN on/off, random weights, width)."""
from __future__ import annotations

import ipywidgets as W

from ..recipes.splines import figure1_network
from ..partition import data_extent, folded_hyperplane_lines
from ..plotting import draw_data, draw_layer, style_axes
from .dashboard import Dashboard

__all__ = ["Figure1Explorer"]


class Figure1Explorer(Dashboard):
    """Figure 1, live: pick a layer, switch BN on or off, draw new random weights, change the width.

    On the website the layer and the BN switch work (8 precomputed pictures); new weights and
    another width need a kernel.
    """

    website = ("bn", "layer")
    scenes, keep_axes = 1, True         # every value is the scene: one figure, its axes reused

    def __init__(self, data, *, layers: int = 4, resolution: int = 160):
        self.data = data
        self.layers = layers
        self.extent = data_extent(data)
        self.resolution = resolution
        self._lines = {}
        controls = {
            "layer": W.SelectionSlider(options=list(range(1, layers + 1)), value=layers, description="layer"),
            "bn": W.ToggleButtons(options=[("without BN", False), ("with BN", True)], value=True,
                                 description="BN"),
            "units": W.IntSlider(value=6, min=1, max=16, description="units"),
            "seed": W.BoundedIntText(value=0, min=0, max=10_000, description="seed", layout=W.Layout(width="150px")),
        }
        self.button = W.Button(description="new random weights")
        self.button.on_click(lambda _b: setattr(controls["seed"], "value", controls["seed"].value + 1))
        super().__init__(controls, figsize=(4.2, 4.2), dpi=100, buttons=[self.button])

    def lines(self, units: int, bn: bool, seed: int) -> list:
        """Folded-hyperplane polylines for one network, computed once per (units, bn, seed)."""
        key = (units, bn, seed)
        if key not in self._lines:
            net = figure1_network(units, bn, seed, self.layers)
            if bn and not net.statistics_set():
                net.fit_statistics(self.data)
            self._lines[key] = folded_hyperplane_lines(net, self.extent, self.resolution)
        return self._lines[key]

    def build(self, fig, layer, bn, units, seed):
        ax = self.axes(fig, [0.02, 0.02, 0.96, 0.9])
        draw_layer(ax, self.lines(units, bn, seed), layer)
        draw_data(ax, self.data)
        style_axes(ax, self.extent)
        ax.set_title(f"layer {layer} {'with' if bn else 'without'} BN, seed {seed}", fontsize=10)
        return []

    def alt(self, layer, bn, units, seed):
        return (f"Input space of a random {units}-unit leaky-ReLU network {'with' if bn else 'without'} BN "
                f"(seed {seed}): the folded hyperplanes of layer {layer} in blue over the earlier layers' in grey, "
                f"and the star-shaped data as dots.")
