"""Drawing the first layer's partition as a power diagram (Appendix A, eqs. (19)–(22))."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Circle

from ..partition import as_extent, exact_partition
from ..partition.power import power_sites
from ..sequential import as_network
from .core import RED, draw_data, style_axes
from .exact import draw_regions

__all__ = ["plot_power_diagram"]


def plot_power_diagram(net, extent, data=None, *, ax=None):
    """Layer 1's regions over ``extent`` (widened to show every site) with the power diagram's sites ``a_q`` (dots) and, where the
    weight ``w_q`` is positive, the circle of radius ``√w_q`` around each site (dashed): the regions
    are the sites' power cells. Returns the axes and ``(codes, sites, weights)``."""
    e = as_extent(extent)
    net = as_network(net, input_dim=2)
    centre = torch.tensor([[(e.x_min + e.x_max) / 2, (e.y_min + e.y_max) / 2]], dtype=torch.float64)
    G, g = net.preactivation_maps(centre)[0]
    codes, sites, w = power_sites(G[0].cpu(), g[0].cpu(), net.slopes[0].cpu())
    lo, hi = sites.min(0).values.tolist(), sites.max(0).values.tolist()       # widen the view to the sites
    e = as_extent((min(e.x_min, lo[0] - 0.3), max(e.x_max, hi[0] + 0.3),
                   min(e.y_min, lo[1] - 0.3), max(e.y_max, hi[1] + 0.3)))
    part = exact_partition(net, e)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 4.2))
    draw_regions(ax, part, 1)
    s, r = sites.numpy(), np.sqrt(np.clip(w.numpy(), 0, None))
    for (x, y), rad in zip(s, r):
        if rad > 0:
            ax.add_patch(Circle((x, y), rad, fill=False, ls="--", lw=0.7, color=RED, alpha=0.6))
    ax.scatter(s[:, 0], s[:, 1], s=14, color=RED, zorder=3, label="sites $a_q$")
    if data is not None:
        draw_data(ax, data, size=6)
    style_axes(ax, e)
    return ax, (codes, sites, w)
