"""Drawing the exact partition (:mod:`bnexplained.partition.exact`): regions as polygons, facets as segments.

``draw_regions`` fills or outlines the regions after a layer, ``draw_facets`` draws a layer's
folded-hyperplane facets ``F_{ℓ,k,ω}`` (eq. 11) or one unit's, ``draw_region_counts`` shows the
number of regions per cell of the square (partition density), and ``plot_exact_partition``
lays out one panel per layer, as Figure 1 does, with a chosen unit highlighted.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection, PolyCollection

from .core import BLUE, GREY, RED, draw_data, style_axes

__all__ = ["draw_regions", "draw_facets", "draw_region_counts", "plot_exact_partition"]

# light, distinguishable fills for neighbouring regions
_FILLS = ["#dbe7f6", "#f6e3d3", "#dff0da", "#efdcef", "#f7f1cf", "#d7eeee", "#eadfd6", "#e4e4e4"]


def draw_regions(ax, partition, layer=None, *, values=None, cmap: str = "viridis", fill: bool = True,
                 edgecolor: str = "white", lw: float = 0.5, alpha: float = 1.0, **kwargs) -> PolyCollection:
    """The regions after ``layer`` (default: all layers) as one ``PolyCollection``.

    ``values`` ``(R,)`` colours regions through ``cmap`` (e.g. ``partition.areas()``); otherwise
    each region gets one of a few light fills. ``fill=False`` draws outlines only.
    """
    polys = partition.polygons(layer)
    if values is not None:
        values = np.asarray(values.detach().cpu() if hasattr(values, "detach") else values, dtype=float)
        if values.shape != (len(polys),):
            raise ValueError(f"values must have shape ({len(polys)},) (one per region), got {values.shape}")
    pc = PolyCollection(polys, edgecolors=edgecolor, linewidths=lw, alpha=alpha, **kwargs)
    if not fill:
        pc.set_facecolor("none")
    elif values is not None:
        pc.set_array(values)
        pc.set_cmap(cmap)
    else:
        pc.set_facecolor([_FILLS[i % len(_FILLS)] for i in range(len(polys))])
    ax.add_collection(pc)
    return pc


def draw_facets(ax, partition, layer: int, unit: int | None = None, *, color=BLUE, lw: float = 1.4,
                **kwargs) -> LineCollection:
    """The facets of layer ``layer``'s folded hyperplanes (or of unit ``unit`` only) as segments.

    ``color`` may be one colour or one per facet.
    """
    f = partition.facets(layer, unit)
    lc = LineCollection(f.segments.detach().cpu().numpy(), colors=color, linewidths=lw, **kwargs)
    ax.add_collection(lc)
    return lc


def draw_region_counts(ax, partition, bins: int = 32, layer=None, *, cmap: str = "magma", **kwargs):
    """A heat map of how many regions meet each of ``bins × bins`` cells of the square."""
    counts = partition.region_counts(bins, layer).cpu().numpy()
    im = ax.imshow(counts, origin="lower", extent=partition.extent, cmap=cmap, interpolation="nearest", **kwargs)
    style_axes(ax, partition.extent)
    return im


def plot_exact_partition(partition, data=None, *, layers: Sequence[int] | None = None, highlight=None,
                         axes=None, fill: bool = True, titles: bool = True):
    """One panel per layer ℓ: the regions after ℓ, layer ℓ's facets in blue over earlier layers' in grey.

    ``highlight=(layer, unit)`` draws that unit's folded hyperplane in red on the panels of its
    layer and later. ``data`` adds black dots. Returns the axes.
    """
    layers = list(range(1, partition.depth + 1)) if layers is None else list(layers)
    if axes is None:
        _, axes = plt.subplots(1, len(layers), figsize=(2.8 * len(layers), 2.9), squeeze=False)
        axes = axes[0]
    for ax, layer in zip(axes, layers):
        if fill:
            draw_regions(ax, partition, layer, edgecolor="none")
        for past in range(1, layer):
            draw_facets(ax, partition, past, color=GREY, lw=0.8)
        draw_facets(ax, partition, layer, color=BLUE, lw=1.3)
        if highlight is not None and highlight[0] <= layer:
            draw_facets(ax, partition, highlight[0], highlight[1], color=RED, lw=2.2)
        if data is not None:
            draw_data(ax, data)
        style_axes(ax, partition.extent)
        if titles:
            ax.set_title(f"layer {layer}: {partition.num_regions[layer]} regions", fontsize=9)
    return axes
