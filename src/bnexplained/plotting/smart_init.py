"""Drawing for Section 4: partitions at initialization, learning curves, Proposition 3's batches."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..decision_boundary import decision_boundary_lines
from ..partition import data_extent, folded_hyperplane_lines
from .core import GREY, draw_data, draw_lines, style_axes

__all__ = ["INIT_COLOURS", "INIT_LABELS", "CLASS_COLOURS", "draw_classes", "draw_initialization",
           "plot_initializations", "plot_learning_curves", "plot_one_sided_rates"]

#: the colours of the paper's Figure 10: zero bias blue, random bias orange, BN green
INIT_COLOURS = {"zero_bias": "#1f77b4", "random_bias": "#ff7f0e", "bn": "#2ca02c"}
INIT_LABELS = {"zero_bias": "zero bias", "random_bias": "random bias", "bn": "BN statistics, frozen"}
CLASS_COLOURS = ("#7b3294", "#e08214")       # purple / orange: distinct from the partition's grey and black


def draw_classes(ax, X, y, *, size: float = 9, **kwargs) -> None:
    """Labelled 2-D points, one colour per class (``y`` in {0, 1}); black dots when ``y`` is None."""
    if y is None:
        draw_data(ax, X, size=size, **kwargs)
        return
    y = np.asarray(y.cpu() if isinstance(y, torch.Tensor) else y)
    X = X.detach().cpu() if isinstance(X, torch.Tensor) else X
    for c in np.unique(y):
        draw_data(ax, X[y == c], color=CLASS_COLOURS[int(c) % len(CLASS_COLOURS)], size=size, **kwargs)


def draw_initialization(ax, lines: list, boundary: list | None = None) -> None:
    """Every layer's folded hyperplanes in grey and the decision boundary (eq. 11 at layer L+1) in black."""
    draw_lines(ax, [seg for layer in lines for unit in layer for seg in unit], color=GREY, lw=0.8)
    if boundary:
        draw_lines(ax, boundary, color="black", lw=2.0)


def plot_initializations(nets: dict, X, y=None, *, extent=None, resolution: int = 200, axes=None,
                         titles: bool = True):
    """One panel per initialization: its partition (all layers, grey), decision boundary (black), data.

    ``nets`` maps an initialization name to a network with 2-D input (a binary classifier for the
    decision boundary). Returns the axes.
    """
    extent = data_extent(X) if extent is None else extent
    if axes is None:
        _, axes = plt.subplots(1, len(nets), figsize=(3.1 * len(nets), 3.3), squeeze=False)
        axes = axes[0]
    for ax, (init, net) in zip(axes, nets.items()):
        boundary = decision_boundary_lines(net, extent, resolution) if net.readout is not None else None
        draw_initialization(ax, folded_hyperplane_lines(net, extent, resolution), boundary)
        draw_classes(ax, X, y)
        style_axes(ax, extent)
        if titles:
            ax.set_title(INIT_LABELS.get(init, init), fontsize=13, color=INIT_COLOURS.get(init, "black"))
    return axes


def plot_learning_curves(curves: dict, *, ax=None, ylabel: str = "test accuracy", epochs=None, title: str = ""):
    """Mean ± one standard deviation over seeds, per initialization: ``curves[init] = (mean, std)``.

    Entry ``e`` of each curve is epoch ``e`` (0 = before training), as in :class:`bnexplained.training.History`.
    """
    created = ax is None
    if created:
        _, ax = plt.subplots(figsize=(5.2, 3.4))
    for init, (mean, std) in curves.items():
        mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
        x = np.arange(len(mean)) if epochs is None else np.asarray(epochs)
        colour = INIT_COLOURS.get(init, None)
        ax.plot(x, mean, color=colour, lw=2, label=INIT_LABELS.get(init, init))
        ax.fill_between(x, mean - std, mean + std, color=colour, alpha=0.2, lw=0)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=9)
    if title:
        ax.set_title(title, fontsize=10)
    if created:
        ax.figure.tight_layout()
    return ax


def plot_one_sided_rates(report, *, ax=None):
    """Proposition 3's search: the share of one-sided mini-batches against batch size, one line per width."""
    d = report.details if hasattr(report, "details") else report
    created = ax is None
    if created:
        _, ax = plt.subplots(figsize=(5.2, 3.4))
    rates = np.asarray(d["rates"], dtype=float)
    for i, width in enumerate(d["widths"]):
        ax.plot(d["batch_sizes"], rates[i], marker="o", lw=1.8, label=f"$D_{{L-1}} = {width}$")
    ax.set_xscale("log", base=2)
    ax.set_xticks(d["batch_sizes"], [str(b) for b in d["batch_sizes"]])
    ax.set_xlabel("mini-batch size")
    ax.set_ylabel("share of one-sided mini-batches")
    ax.set_ylim(-0.02, max(0.1, rates.max() * 1.1))
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=9)
    if created:
        ax.figure.tight_layout()
    return ax
