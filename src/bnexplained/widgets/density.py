"""Chapter 6's dashboard: the concentration of the partition around the star, live."""
from __future__ import annotations

import ipywidgets as W

from ..data import star
from ..density import SETTINGS, near_far_masks, sign_maps
from ..networks import SplineMLP
from ..partition import data_extent
from ..plotting.density import SETTING_LABELS, draw_concentration
from .dashboard import Dashboard

__all__ = ["DensityExplorer"]


class DensityExplorer(Dashboard):
    """Figure 3, live: the radius ε, the layer (how deep), the width and the initialization setting.

    One network per (width, setting) is evaluated once on a padded grid and its bit-packed sign maps
    are cached (all of them up front with ``precompute=True``, about a second); moving any control then
    only re-dilates one layer's boundary pixels. On the website the setting and the layer work
    (precomputed at the width and ε shown).
    """

    website = ("setting", "layer")

    def __init__(self, data=None, *, depth: int = 11, widths=(16, 32, 64), resolution: int = 96,
                 eps_range=(0.04, 0.3), seed: int = 0, precompute: bool = True):
        self.data = star(50) if data is None else data
        self.depth, self.resolution, self.seed = depth, resolution, seed
        self.extent = data_extent(self.data)
        step = (self.extent[1] - self.extent[0]) / (resolution - 1)
        if eps_range[0] < step:
            raise ValueError(f"eps_range starts below the grid step {step:.3g}: raise the resolution")
        self.pad = int(eps_range[1] / step) + 6
        self._maps = {}
        self._masks = None
        controls = {
            "eps": W.FloatSlider(value=0.08, min=eps_range[0], max=eps_range[1], step=0.01, description="ε",
                                 readout_format=".2f"),
            "layer": W.SelectionSlider(options=list(range(1, depth + 1)), value=depth, description="layer"),
            "width": W.SelectionSlider(options=list(widths), value=widths[-1], description="width"),
            "setting": W.ToggleButtons(options=[(SETTING_LABELS[s], s) for s in SETTINGS], value="bn",
                                       description="setting"),
        }
        if precompute:
            for width in widths:
                for setting in SETTINGS:
                    self.maps(width, setting)
        super().__init__(controls, figsize=(4.0, 4.0), dpi=80)

    def maps(self, width: int, setting: str):
        """Bit-packed sign maps of one network, computed once per (width, setting)."""
        key = (width, setting)
        if key not in self._maps:
            net = SplineMLP([2] + [width] * self.depth, "leaky_relu", setting, seed=self.seed)
            if setting == "bn":
                net.fit_statistics(self.data)
            self._maps[key] = sign_maps(net, self.extent, self.resolution, pad=self.pad)
        return self._maps[key]

    def scene(self, **_):
        return None                                  # axes and data; the map, label and title move

    def build(self, fig, eps, layer, width, setting) -> list:
        conc = self.maps(width, setting).concentration(eps, [layer])
        if self._masks is None:
            self._masks = near_far_masks(conc.grid, self.data, 0.1, 0.5)
        ax = fig.add_axes([0.02, 0.02, 0.96, 0.9])
        image = draw_concentration(ax, conc, layer, data=self.data)
        points = [c for c in ax.collections]         # the data, drawn over the map
        return [image, *points, ax.texts[0], ax.set_title(" ", fontsize=10)]

    def move(self, fig, artists, eps, layer, width, setting):
        conc = self.maps(width, setting).concentration(eps, [layer])
        image, *_, label, head = artists
        m = conc.of(layer).float()
        top = float(m.max())
        image.set_data((m / top if top > 0 else m).numpy())
        label.set_text(f"max {top:.0f}")
        head.set_text(f"{SETTING_LABELS[setting]}, layer {layer} of {self.depth}, width {width}")
        near, far = m[self._masks[0]].mean().item(), m[self._masks[1]].mean().item()
        ratio = f"{near / far:.1f}" if far > 0 else "∞"
        return (f"folded hyperplanes through the ε-disc: {near:.1f} on average near the data, "
                f"{far:.1f} far from it (ratio {ratio})")

    def alt(self, eps, layer, width, setting):
        return (f"Figure 3 for one random network of width {width}, {SETTING_LABELS[setting]}: how many folded "
                f"hyperplanes of layer {layer} of {self.depth} pass within ε = {eps:.2f} of each point of the square "
                f"(darker = more), with the star-shaped data as red dots.")
