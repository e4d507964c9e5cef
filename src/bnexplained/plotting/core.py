"""Shared drawing: colours, data dots, line collections, per-layer partitions, scrubbable animations.

Depends on :mod:`bnexplained.partition` for the geometry; nothing here computes geometry of its own.
"""
from __future__ import annotations

from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.collections import LineCollection

from ..partition import as_extent, data_extent, folded_hyperplane_lines
from ..sequential import as_network

__all__ = ["BLUE", "GREY", "RED", "draw_data", "draw_lines", "draw_layer", "plot_partition", "plot_bn_comparison",
           "scrubbable", "style_axes"]

BLUE = "#1f5fbf"
GREY = "#a8a8a8"
RED = "#c0392b"


def _np(X) -> np.ndarray:
    return X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else np.asarray(X)


def style_axes(ax, extent) -> None:
    """Square axes over ``extent`` (a half-width ``r`` or a 4-tuple) without ticks: partitions are
    about shapes, not coordinates."""
    extent = as_extent(extent)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def draw_data(ax, X, *, color: str = "black", size: float = 10, **kwargs):
    """Data points as black dots (the paper's convention)."""
    X = _np(X)
    return ax.scatter(X[:, 0], X[:, 1], s=size, c=color, zorder=5, linewidths=0, **kwargs)


def draw_lines(ax, polylines: Sequence, *, color: str = BLUE, lw: float = 1.4, **kwargs) -> LineCollection:
    """Many polylines (``(M, 2)`` arrays) as one ``LineCollection``: one artist, fast to redraw."""
    lc = LineCollection([np.asarray(p) for p in polylines], colors=color, linewidths=lw, **kwargs)
    ax.add_collection(lc)
    return lc


def draw_layer(ax, lines: list, layer: int, *, color: str = BLUE, past_color: str = GREY) -> None:
    """Layer ``layer``'s folded hyperplanes in blue over those of layers ``1..layer−1`` in grey.

    ``lines`` is the output of :func:`bnexplained.partition.folded_hyperplane_lines`.
    """
    past, current = layer_segments(lines, layer)
    if past:
        draw_lines(ax, past, color=past_color, lw=0.9)
    draw_lines(ax, current, color=color, lw=1.5)


def layer_segments(lines: list, layer: int) -> tuple:
    """``(past, current)``: the polylines of layers ``1..layer−1`` and of layer ``layer`` (see :func:`draw_layer`)."""
    return ([seg for lay in lines[: layer - 1] for unit in lay for seg in unit],
            [seg for unit in lines[layer - 1] for seg in unit])


def plot_partition(net, data=None, *, layers: Sequence[int] | None = None, extent=None, axes=None,
                   resolution: int = 200, titles: bool = True, batch=None):
    """One panel per layer: its folded hyperplanes (blue) over earlier layers' (grey), data as dots.

    ``net``: a ``SplineMLP`` or a supported ``nn.Sequential`` (:func:`bnexplained.sequential.as_network`;
    BN from stored/running statistics, or from the mini-batch ``batch``). ``extent`` defaults to a
    square around ``data`` (needed when ``data`` is ``None``). Returns the axes.
    """
    net = as_network(net, batch, input_dim=2)
    if extent is None:
        if data is None:
            raise ValueError("extent is required when no data is given")
        extent = data_extent(data)
    layers = list(range(1, net.depth + 1)) if layers is None else [net.check_layer(j, "layers") for j in layers]
    if axes is None:
        _, axes = plt.subplots(1, len(layers), figsize=(2.6 * len(layers), 2.7), squeeze=False)
        axes = axes[0]
    lines = folded_hyperplane_lines(net, extent, resolution)
    for ax, layer in zip(axes, layers):
        draw_layer(ax, lines, layer)
        if data is not None:
            draw_data(ax, data)
        style_axes(ax, extent)
        if titles:
            ax.set_title(f"layer {layer}", fontsize=10)
    return axes


def plot_bn_comparison(plain_net, bn_net, data, *, extent=None, resolution: int = 200, fig=None):
    """Figure 1's layout: top row without BN (eq. 1), bottom row with BN (eq. 2), one column per layer."""
    extent = data_extent(data) if extent is None else extent
    plain_net, bn_net = as_network(plain_net, input_dim=2), as_network(bn_net, input_dim=2)
    L = bn_net.depth
    if fig is None:
        fig = plt.figure(figsize=(2.3 * L, 4.9))
    axes = fig.subplots(2, L, squeeze=False)
    plot_partition(plain_net, data, extent=extent, axes=axes[0], resolution=resolution)
    plot_partition(bn_net, data, extent=extent, axes=axes[1], resolution=resolution, titles=False)
    axes[0, 0].set_ylabel("without BN", fontsize=10)
    axes[1, 0].set_ylabel("with BN", fontsize=10)
    fig.tight_layout()
    return fig


def scrubbable(fig, draw_frame: Callable[[int], None], frames: int, *, interval: int = 900):
    """A kernel-free fallback: ``draw_frame(i)`` for ``i < frames`` as a JavaScript animation.

    The frames are embedded as images, so the static HTML page has a slider that scrubs them
    without any kernel. Returns an ``IPython.display.HTML`` object; closes ``fig``.
    """
    from IPython.display import HTML
    from matplotlib import animation

    if not isinstance(frames, int) or frames < 1:
        raise ValueError(f"frames must be a positive int, got {frames!r}")
    anim = animation.FuncAnimation(fig, lambda i: draw_frame(i), frames=frames, interval=interval,
                                   repeat=False)
    html = anim.to_jshtml(default_mode="once")
    plt.close(fig)
    return HTML(html)
