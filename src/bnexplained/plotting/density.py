"""Drawing the density of the partition: concentration heatmaps (Figure 3) and curves (Figure 4)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..density import SETTINGS
from .core import BLUE, RED, draw_data, style_axes

__all__ = ["SETTING_LABELS", "SETTING_COLORS", "draw_concentration", "plot_concentration", "plot_settings",
           "plot_image_concentration", "plot_ball_counts", "html_table"]

SETTING_LABELS = {"zero_bias": "zero bias", "random_bias": "random bias", "bn": "BN"}
SETTING_COLORS = {"zero_bias": "#6b6b6b", "random_bias": RED, "bn": BLUE}


def draw_concentration(ax, conc, layer: int, *, data=None, cmap: str = "Greys", label_max: bool = True):
    """Layer ``layer``'s concentration map (a ``GridConcentration``), normalized by its maximum as in
    Figure 3 (darker = more folded hyperplanes through the ε-disc), with the maximum printed in a corner
    and the data as red dots. Returns the image artist."""
    m = conc.of(layer).float().cpu().numpy()
    top = float(m.max())
    im = ax.imshow(m / top if top > 0 else m, origin="lower", extent=conc.grid.extent, cmap=cmap,
                   vmin=0, vmax=1, interpolation="nearest")
    if data is not None:
        draw_data(ax, data, color=RED, size=4)
    style_axes(ax, conc.grid.extent)
    if label_max:
        ax.text(0.03, 0.97, f"max {top:.0f}", transform=ax.transAxes, va="top", ha="left", fontsize=8,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
    return im


def plot_concentration(results: dict, data, *, layers=None, fig=None, show_data_column: bool = True):
    """Figure 3's layout: one row per setting (zero bias, random bias, BN), one column per layer,
    each map normalized by its own maximum; an optional first column shows the data."""
    settings = [s for s in SETTINGS if s in results]
    layers = list(results[settings[0]].layers if layers is None else layers)
    cols = len(layers) + (1 if show_data_column else 0)
    if fig is None:
        fig = plt.figure(figsize=(2.35 * cols, 2.45 * len(settings)))
    axes = np.atleast_2d(fig.subplots(len(settings), cols, squeeze=False))
    for r, setting in enumerate(settings):
        conc = results[setting]
        c0 = 0
        if show_data_column:
            draw_data(axes[r, 0], data, size=6)
            style_axes(axes[r, 0], conc.grid.extent)
            c0 = 1
            if r == 0:
                axes[r, 0].set_title("data", fontsize=10)
        for c, layer in enumerate(layers):
            draw_concentration(axes[r, c0 + c], conc, layer, data=data)
            if r == 0:
                axes[r, c0 + c].set_title(f"layer {layer}", fontsize=10)
        axes[r, 0].set_ylabel(SETTING_LABELS[setting], fontsize=10)
    fig.tight_layout()
    return fig


def plot_settings(results: dict, layer: int, data=None, *, fig=None):
    """One layer in every setting, side by side (one panel per setting, each normalized by its maximum)."""
    settings = [s for s in SETTINGS if s in results]
    if fig is None:
        fig = plt.figure(figsize=(3.2 * len(settings), 3.3))
    axes = np.atleast_1d(fig.subplots(1, len(settings)))
    for ax, setting in zip(axes, settings):
        draw_concentration(ax, results[setting], layer, data=data)
        ax.set_title(f"{SETTING_LABELS[setting]}, layer {layer}", fontsize=10)
    return fig


def plot_image_concentration(result: dict, *, layers=None, axes=None):
    """Figure 4's layout: average concentration (summed over ``layers``, default all) against ε,
    around data images (left) and around random Gaussian images (right), one curve per setting."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8.4, 3.2), sharey=True)
    eps = result["eps"].numpy()
    for ax, name, title in zip(axes, ("data", "random"), ("around data images", "around random images")):
        for setting in SETTINGS:
            if setting not in result[name]:
                continue
            counts = result[name][setting]
            total = (counts if layers is None else counts[:, [j - 1 for j in layers]]).sum(-1).numpy()
            ax.plot(eps, total, "o-", ms=3, color=SETTING_COLORS[setting], label=SETTING_LABELS[setting])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("ε (radius of the ball)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("folded hyperplanes through the ball")
    axes[0].legend(fontsize=8)
    return axes


def html_table(rows: dict, columns, *, fmt: str = "{:.2f}", caption: str = ""):
    """A small HTML table for the page: ``rows`` maps a row label to one value per column."""
    from IPython.display import HTML

    pad = "padding:0.15em 0.6em;white-space:nowrap"
    head = "".join(f"<th style='{pad};text-align:right'>{c}</th>" for c in columns)
    body = "".join(f"<tr><th style='{pad};text-align:left'>{name}</th>"
                   + "".join(f"<td style='{pad};text-align:right'>{fmt.format(float(v))}</td>" for v in values)
                   + "</tr>" for name, values in rows.items())
    cap = f"<caption>{caption}</caption>" if caption else ""
    return HTML(f"<table class='bnx-table'>{cap}<tr><th></th>{head}</tr>{body}</table>")


def plot_ball_counts(partition, layer: int, centres, eps: float, *, data=None, ax=None):
    """One layer's facets (blue) over the earlier layers' (grey) from an exact partition, with ε-discs
    around ``centres`` (labelled A, B, ...); the legend says how many folded hyperplanes and facets of
    the layer cross each disc."""
    import torch
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle

    from ..density import exact_concentration
    from .core import GREY
    from .exact import draw_facets

    if ax is None:
        _, ax = plt.subplots(figsize=(4.6, 4.9))
    for j in range(1, layer):
        draw_facets(ax, partition, j, color=GREY, lw=0.8)
    draw_facets(ax, partition, layer, color=BLUE, lw=1.4)
    centres = torch.as_tensor(centres, dtype=torch.float64)
    units, facets = exact_concentration(partition, centres, eps, layers=[layer])
    handles = []
    for name, c, u, f in zip("ABCDEFGH", centres.tolist(), units[:, 0].tolist(), facets[:, 0].tolist()):
        ax.add_patch(Circle(c, eps, fill=False, ec="black", lw=1.8, zorder=6))
        ax.text(c[0] + 0.75 * eps, c[1] + 0.75 * eps, name, fontsize=11, fontweight="bold", zorder=7)
        handles.append(Line2D([], [], ls="none", label=f"{name}: {u} folded hyperplanes, {f} facets"))
    if data is not None:
        draw_data(ax, data, color=RED, size=6)
    style_axes(ax, partition.extent)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), fontsize=9, frameon=False,
              handlelength=0)
    ax.set_title(f"layer {layer} (blue) over layers 1..{layer - 1} (grey)", fontsize=10)
    return ax
