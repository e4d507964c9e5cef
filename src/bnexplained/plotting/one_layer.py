"""Drawing one layer: its hyperplanes and regions, TLS curves, and the γ identity of Proposition 1.

Geometry comes from :mod:`bnexplained.geometry`; this module only draws.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..geometry import arrangement_regions, hyperplane_segments
from ..parameters import gamma_identity
from .core import BLUE, GREY, RED, draw_data, style_axes

__all__ = ["unit_colors", "draw_hyperplanes", "draw_arrangement_regions", "plot_arrangements", "draw_tls_curves",
           "plot_gamma_identity"]


def unit_colors(K: int) -> list:
    """``K`` distinguishable colours, one per unit (matplotlib's ``tab10`` cycle, then ``tab20``)."""
    cmap = plt.get_cmap("tab10" if K <= 10 else "tab20")
    return [cmap(k % cmap.N) for k in range(K)]


def draw_hyperplanes(ax, W, b, extent, *, colors=None, lw: float = 1.8, **kwargs) -> None:
    """The lines ``⟨w_k, z⟩ = b_k`` (eq. 5) clipped to ``extent``; one colour per unit (or one for all)."""
    segs = hyperplane_segments(W, b, extent)
    colors = unit_colors(len(segs)) if colors is None else colors
    if isinstance(colors, str) or (isinstance(colors, tuple) and len(colors) in (3, 4)
                                   and all(isinstance(c, (int, float)) for c in colors)):
        colors = [colors] * len(segs)
    for seg, color in zip(segs, colors):
        if seg is not None:
            ax.plot(seg[:, 0], seg[:, 1], color=color, lw=lw, **kwargs)


@torch.no_grad()
def draw_arrangement_regions(ax, W, b, extent, *, resolution: int = 200, alpha: float = 0.35) -> int:
    """Shade the regions of the arrangement ``⟨w_k, z⟩ = b_k`` inside ``extent``; returns how many show."""
    W = torch.as_tensor(W, dtype=torch.float64)
    b = torch.as_tensor(b, dtype=torch.float64)
    xs = torch.linspace(extent[0], extent[1], resolution, dtype=torch.float64)
    ys = torch.linspace(extent[2], extent[3], resolution, dtype=torch.float64)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    pts = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)
    codes = (pts @ W.T - b) >= 0
    _, ids = torch.unique(codes, dim=0, return_inverse=True)
    n = int(ids.max()) + 1
    # spread region ids over a pastel colour map, neighbours apart
    order = np.random.default_rng(0).permutation(n)
    img = order[ids.reshape(resolution, resolution).numpy()]
    ax.imshow(img, extent=tuple(extent), origin="lower", cmap="Pastel1" if n <= 9 else "tab20",
              alpha=alpha, interpolation="nearest", aspect="auto")
    return n


def plot_arrangements(X, W, offsets: dict, *, extent=None, axes=None, resolution: int = 200):
    """One panel per arrangement ``{title: b}`` of the same weights ``W``: regions, lines, data, data mean.

    Each title gets the exact number of regions in the whole plane
    (:func:`~bnexplained.geometry.arrangement_regions`). Returns the axes.
    """
    from ..partition import data_extent

    X = torch.as_tensor(X, dtype=torch.float64)
    extent = data_extent(X, margin=1.2) if extent is None else extent
    if axes is None:
        _, axes = plt.subplots(1, len(offsets), figsize=(3.1 * len(offsets), 3.3), squeeze=False)
        axes = axes[0]
    mean = X.mean(0)
    for ax, (title, b) in zip(axes, offsets.items()):
        draw_arrangement_regions(ax, W, b, extent, resolution=resolution)
        draw_hyperplanes(ax, W, b, extent)
        draw_data(ax, X, size=7)
        ax.plot(*mean.numpy(), marker="X", ms=9, color=RED, mec="white", zorder=6)
        style_axes(ax, extent)
        ax.set_title(f"{title}\n{arrangement_regions(W, b)} regions in the plane", fontsize=9)
    return axes


def draw_tls_curves(ax, mu_grid, curves, mu_bn, tls_min, current=None, *, colors=None) -> None:
    """Eq. (8) per unit: ``L_k`` against the offset of ``H_k`` (curves ``(M, K)`` over ``mu_grid`` ``(M,)``).

    Marks each minimum (a star at BN's ``μ_k``, height ``σ_k²/‖w_k‖²``) and, if given, the current
    offsets ``current`` ``(K, 2)`` as ``(offset, L_k)`` dots.
    """
    curves = np.asarray(curves)
    colors = unit_colors(curves.shape[1]) if colors is None else colors
    for k in range(curves.shape[1]):
        ax.plot(mu_grid, curves[:, k], color=colors[k], lw=1.3, alpha=0.8)
        ax.plot(mu_bn[k], tls_min[k], marker="*", ms=12, color=colors[k], mec="black", mew=0.6, zorder=5)
        if current is not None:
            ax.plot(current[k][0], current[k][1], marker="o", ms=7, color=colors[k], mec="black", zorder=6)
    ax.set_xlim(mu_grid[0], mu_grid[-1])
    ax.set_ylim(0, float(np.max(curves)) * 1.02)
    ax.set_xlabel("offset of $H_k$ ($= \\mu_k$ when $\\beta = 0$)", fontsize=10)
    ax.set_ylabel("$L_k$, eq. (8)", fontsize=10)
    ax.tick_params(labelsize=9)


def plot_gamma_identity(activation: str = "leaky_relu", gammas=(1.5, -1.5), beta: float = 0.5, *,
                        alpha: float = 0.1, axes=None):
    """The identity behind eq. (28), side by side: ``a(γu + β)`` (blue) and ``c · a(u + β/γ)`` (red dashes), one panel per ``γ``.

    The curves coincide exactly when ``γ`` can be absorbed (``c = γ``, or ``|γ|`` for ``"abs"``).
    """
    u = torch.linspace(-3, 3, 601, dtype=torch.float64)
    if axes is None:
        _, axes = plt.subplots(1, len(gammas), figsize=(3.2 * len(gammas), 2.6), squeeze=False)
        axes = axes[0]
    c = "|γ|" if activation == "abs" else "γ"
    for ax, g in zip(axes, gammas):
        lhs, rhs = gamma_identity(u, g, beta, activation, alpha)
        ax.plot(u, lhs, color=BLUE, lw=2.4, label="a(γu + β)")
        ax.plot(u, rhs, color=RED, lw=1.6, ls="--", label=f"{c}·a(u + β/γ)")
        gap = (lhs - rhs).abs().max().item()
        ax.axhline(0, color=GREY, lw=0.6)
        ax.set_title(f"{activation}, γ = {g:g}, β = {beta:g}\nmax gap {gap:.2g}", fontsize=11)
        ax.set_xlabel("u", fontsize=10)
        ax.tick_params(labelsize=9)
        ax.legend(fontsize=9, loc="upper center")
    return axes
