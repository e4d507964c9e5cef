"""Chapter 8's pictures: Figure 7 (laws of BN's statistics), Figure 6 (jittered boundaries), margins."""
from __future__ import annotations

import numpy as np
import torch

from .core import BLUE, RED, draw_lines, style_axes

__all__ = ["CLASS_COLORS", "plot_figure7", "draw_labelled_data", "draw_boundary_draws", "plot_boundary_draws",
           "plot_margin_distributions", "plot_margin_experiment"]

#: colours of the two classes' points (dark grey, orange): distinct from the blue and red lines
CLASS_COLORS = ("#333333", "#e69f00")


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


def _gauss(ax, loc, scale, lo, hi, **kwargs):
    x = np.linspace(lo, hi, 200)
    ax.plot(x, np.exp(-0.5 * ((x - loc) / scale) ** 2) / (scale * np.sqrt(2 * np.pi)), **kwargs)


def plot_figure7(dist: dict, *, fig=None):
    """Figure 7: for each unit (columns), the laws of ``μ_k`` (top) and ``σ_k`` (bottom).

    ``dist`` is :func:`bnexplained.recipes.figure7_distributions`' output. Black histogram:
    mini-batches of ``batch_size``; blue curve: eq. (13)'s law at that size; red histogram:
    noise-controlled BN; red dashed curve: eq. (13)'s law at the virtual batch size.
    Axes span the red samples' range, printed as three ticks as in the paper. Returns the figure.
    """
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(9, 4.6))
    axes = fig.subplots(2, 3)
    for row, key, sym in ((0, "mu", "μ"), (1, "sigma", "σ")):
        for k in range(3):
            ax = axes[row, k]
            plain, noisy = _np(dist[key][:, k]), _np(dist[f"noisy_{key}"][:, k])
            lo, hi = float(noisy.min()), float(noisy.max())
            bins = np.linspace(lo, hi, 40)
            ax.hist(plain, bins=bins, density=True, histtype="step", color="black", lw=1.2)
            ax.hist(noisy, bins=bins, density=True, histtype="step", color=RED, lw=1.2)
            for laws, style in ((dist["laws"], dict(color=BLUE, lw=1.6)),
                                (dist["virtual_laws"], dict(color=RED, lw=1.2, ls="--"))):
                _gauss(ax, float(laws[key][0][k]), float(laws[key][1][k]), lo, hi, **style)
            ax.set_xticks([lo, (lo + hi) / 2, hi])
            ax.set_xticklabels([f"{v:.3f}" for v in (lo, (lo + hi) / 2, hi)], fontsize=8)
            ax.set_yticks([])
            ax.set_xlim(lo, hi)
            if row == 0:
                ax.set_title(f"unit k = {k + 1}", fontsize=10)
            if k == 0:
                ax.set_ylabel(f"law of {sym}_k", fontsize=10)
    fig.legend(handles=[plt.Line2D([], [], color="black", lw=1.2, label=f"batches of {dist['batch_size']}"),
                        plt.Line2D([], [], color=BLUE, lw=1.6, label=f"eq. (13), batch {dist['batch_size']}"),
                        plt.Line2D([], [], color=RED, lw=1.2,
                                   label=f"noise-controlled BN, virtual batch {dist['virtual_batch_size']}"),
                        plt.Line2D([], [], color=RED, lw=1.2, ls="--",
                                   label=f"eq. (13), batch {dist['virtual_batch_size']}")],
               loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def draw_labelled_data(ax, X, y, *, size: float = 12) -> None:
    """Two classes' points: class 0 dark grey, class 1 orange (``CLASS_COLORS``)."""
    X, y = _np(X), _np(y)
    for c, colour in enumerate(CLASS_COLORS):
        ax.scatter(X[y == c, 0], X[y == c, 1], s=size, c=colour, zorder=5, linewidths=0.3, edgecolors="white")


def draw_boundary_draws(ax, draws, X=None, y=None, *, title: str | None = None, band: bool = True) -> None:
    """Figure 6, one panel: the decision boundary under each mini-batch's statistics (thin blue),
    under the whole-data statistics (dashed black), and, with ``band``, the area whose class some
    mini-batch flips (light red). ``draws`` is a :class:`bnexplained.jitter.BoundaryDraws`."""
    g = draws.grid
    if band:
        p = _np(draws.band)
        mask = np.ma.masked_where((p == 0) | (p == 1), np.ones_like(p))
        ax.imshow(mask, extent=g.extent, origin="lower", cmap="Reds", vmin=0, vmax=4, interpolation="nearest",
                  aspect="auto")
    lines, reference = draws.lines
    draw_lines(ax, lines, color=BLUE, lw=0.8, alpha=0.8)
    draw_lines(ax, reference, color="black", lw=1.4, linestyles="--")
    if X is not None:
        draw_labelled_data(ax, X, y, size=8)
    style_axes(ax, g.extent)
    if title:
        ax.set_title(title, fontsize=10)


def plot_boundary_draws(networks: dict, X, y, batch_sizes=(16, 256), *, draws: int = 10, extent=None,
                        resolution: int = 120, virtual_batch_size: int | None = None, seed: int = 0, fig=None,
                        panel: float = 3.8):
    """Figure 6's layout: one row per network (``{name: net}``), one column per batch size.

    Each panel shows ``draws`` mini-batches' boundaries (:func:`draw_boundary_draws`) and, in its
    title, the mean share of the area whose class a mini-batch flips. ``extent`` defaults to a
    tight square around ``X``. Returns the figure.
    """
    import matplotlib.pyplot as plt

    from ..jitter import boundary_draws
    from ..partition import data_extent

    extent = data_extent(X, margin=0.15) if extent is None else extent
    rows, cols = len(networks), len(batch_sizes)
    if fig is None:
        fig = plt.figure(figsize=(panel * cols, panel * rows + 0.3))
    axes = np.atleast_2d(fig.subplots(rows, cols, squeeze=False))
    for row, (name, net) in zip(axes, networks.items()):
        for ax, b in zip(row, batch_sizes):
            d = boundary_draws(net, X, b, draws, extent, resolution, virtual_batch_size=virtual_batch_size, seed=seed)
            label = f"{name}, " if rows > 1 or name else ""
            draw_boundary_draws(ax, d, X, y, title=f"{label}batch {b}: {d.mean_flip_share:.1%} flipped")
    fig.tight_layout()
    return fig


def plot_margin_distributions(results: dict, *, ax=None, tolerance: float | None = None):
    """The signed margins of the training points, one box per setting, seeds pooled.

    ``results`` is :func:`bnexplained.recipes.margin_experiment`'s output (``{m: [run, ...]}``).
    Returns the axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    labels, data = [], []
    for m, runs in results.items():
        labels.append("BN" if m is None else f"noise-controlled\nvirtual batch {m}")
        data.append(np.concatenate([_np(r["signed"]) for r in runs]))
    ax.boxplot(data, orientation="horizontal", whis=(5, 95), showfliers=False, medianprops=dict(color=RED))
    ax.set_yticks(range(1, len(labels) + 1))
    ax.set_yticklabels(labels, fontsize=9)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("signed margin of a training point (negative: misclassified)", fontsize=9)
    title = "boxes: quartiles; whiskers: 5th–95th percentiles; seeds pooled"
    ax.set_title(title + (f" (grid error ≤ {tolerance:.3f})" if tolerance else ""), fontsize=9)
    return ax


def plot_margin_experiment(results: dict, split, *, settings=None, batch_size: int = 16, draws: int = 6,
                           fig=None):
    """The margin experiment in one figure: the signed margins per setting (top), and for each setting
    in ``settings`` (default: the first and the last) seed 0's trained boundary jittering under its own
    training noise (mini-batches of ``batch_size``, with the setting's virtual batch). Returns the figure."""
    import matplotlib.pyplot as plt

    from ..jitter import boundary_draws
    from ..recipes.jitter import margin_run_model
    from ..partition import data_extent

    keys = list(results)
    settings = [keys[0], keys[-1]] if settings is None else list(settings)
    X, y = split.train
    if fig is None:
        fig = plt.figure(figsize=(8, 3.0 + 3.6))
    grid = fig.add_gridspec(2, len(settings), height_ratios=[3.0, 3.6])
    plot_margin_distributions(results, ax=fig.add_subplot(grid[0, :]), tolerance=results[keys[0]][0]["tolerance"])
    extent = data_extent(X, margin=0.15)
    for i, m in enumerate(settings):
        net = margin_run_model(results[m][0])
        d = boundary_draws(net, X, batch_size, draws, extent, 100, virtual_batch_size=m)
        draw_boundary_draws(fig.add_subplot(grid[1, i]), d, X, y,
                            title="trained with BN" if m is None else f"trained noise-controlled, m = {m}")
    fig.tight_layout()
    return fig
