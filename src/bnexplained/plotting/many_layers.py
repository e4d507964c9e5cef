"""Drawing for the many-layer chapters: Figure 2 (μ translates, σ folds) and Figure 9 (TLS colouring).

The geometry comes from :mod:`bnexplained.translation` (``TranslationScene``) and
:mod:`bnexplained.folding` (``FoldingScene``); these functions only draw it, on a given figure,
so a dashboard and its kernel-free fallback share them.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from matplotlib import cm, colors

from .core import BLUE, GREY, RED, draw_data, draw_lines, style_axes

__all__ = ["TranslationFigure", "FoldingFigure", "draw_translation", "draw_folding", "draw_tls_colored",
           "plot_fold_curves", "plot_tls_layers", "plot_crossing"]

_DEG = 180 / math.pi
_INK = "#222222"


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


def _distance(d: float) -> str:
    return f"{d:.3f}" if np.isfinite(d) else "∞ (F misses the square)"


def _slice_box(coords: np.ndarray, mesh: list, margin: float = 0.15) -> tuple:
    """A square view of the slice around the data, wide enough to show the mesh near it."""
    pts = np.concatenate([coords] + [m for m in mesh])
    lo = np.percentile(pts, 2, axis=0)
    hi = np.percentile(pts, 98, axis=0)
    lo, hi = np.minimum(lo, coords.min(0)), np.maximum(hi, coords.max(0))
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * (1 + margin)
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)


class TranslationFigure:
    """Figure 2(a)(b) on ``fig``, redrawn in place: :meth:`set_mu` moves the hyperplanes, :meth:`set_point`
    the marked data point, :meth:`set_unit` switches unit (and reference offset).

    Left, the 2-D slice of layer ℓ's input space (:class:`~bnexplained.translation.LayerSlice`): the
    images of input-space grid lines (light grey), the data's layer inputs, ``H_{ℓ,k}`` (blue).
    Right, input space: earlier layers' folded hyperplanes (grey), ``F_{ℓ,k}`` (blue), the data.
    The hyperplanes at ``reference_mu`` (default: the stored ``μ_{ℓ,k}``) stay dashed on both sides;
    data point ``point`` (an index, or ``None``) is red, with its distances to ``H`` and ``F``.
    ``dynamic`` lists the artists :meth:`set_mu` and :meth:`set_point` change; :meth:`set_unit` changes
    the rest of the picture too.
    """

    def __init__(self, fig, scene, unit: int, *, point: int | None = 0, reference_mu: float | None = None,
                 titles: bool = True):
        self.scene, self.titles, self.mu = scene, titles, None
        self.ax_z, self.ax_x = ax_z, ax_x = fig.subplots(1, 2)
        self.mesh = draw_lines(ax_z, [], color=GREY, lw=0.5, alpha=0.6)
        (self.h_ref,) = ax_z.plot([], [], ls="--", color=GREY, lw=1.2)
        (self.h_line,) = ax_z.plot([], [], color=BLUE, lw=1.8)
        self.z_data = draw_data(ax_z, np.zeros((0, 2)), size=8)
        for segments in scene.earlier:
            draw_lines(ax_x, segments, color=GREY, lw=0.8)
        self.f_ref = draw_lines(ax_x, [], color=GREY, lw=1.2, linestyles="--")
        self.f_lines = draw_lines(ax_x, [], color=BLUE, lw=1.8)
        draw_data(ax_x, scene.X, size=8)
        style_axes(ax_x, scene.extent)
        (self.z_seg,) = ax_z.plot([], [], color=RED, lw=1.4)
        (self.x_seg,) = ax_x.plot([], [], color=RED, lw=1.4)
        self.z_dot = ax_z.scatter([], [], s=40, color=RED, zorder=6)
        self.x_dot = ax_x.scatter([], [], s=40, color=RED, zorder=6)
        #: the artists :meth:`set_mu` and :meth:`set_point` change (a dashboard redraws only these)
        self.dynamic = [self.h_line, self.f_lines, self.z_seg, self.x_seg, self.z_dot, self.x_dot]
        if titles:
            ax_z.set_title(f"(a) layer {scene.layer}'s input space (2-D slice)", fontsize=10)
            ax_x.set_title("(b) input space", fontsize=10)
        self.point = point
        self.set_unit(unit, reference_mu)

    def set_unit(self, unit: int, reference_mu: float | None = None) -> None:
        """Show unit ``unit`` (0-based), its dashed hyperplanes at ``reference_mu`` (default: stored ``μ``)."""
        scene = self.scene
        self.unit = unit
        self.ref = float(scene.mu[unit]) if reference_mu is None else float(reference_mu)
        info = scene.slice(unit)
        self.slice, self.coords = info["slice"], info["data"]
        box = _slice_box(self.coords, info["mesh"])
        self.box = box
        self.mesh.set_segments(info["mesh"])
        a = self.slice.offset(self.ref)
        self.h_ref.set_data([a, a], box[2:])
        self.z_data.set_offsets(self.coords)
        style_axes(self.ax_z, box)
        self.f_ref.set_segments(scene.folded_lines(unit, self.ref))
        if self.titles:
            self.ax_z.set_xlabel(f"along w{scene.layer},{unit + 1}", fontsize=9)
        self.set_point(self.point)

    def set_point(self, point: int | None) -> None:
        """Mark data point ``point`` (an index into the scene's data, or ``None``)."""
        self.point = point
        if point is None:
            for dot in (self.z_dot, self.x_dot):
                dot.set_offsets(np.zeros((0, 2)))
            self.z_seg.set_data([], [])
            self.x_seg.set_data([], [])
            return
        self.x, self.c = self.scene.X[point].numpy(), self.coords[point]
        self.z_dot.set_offsets([self.c])
        self.x_dot.set_offsets([self.x])
        self.dz_ref = abs(self.c[0] - self.slice.offset(self.ref))
        self.dx_ref, _ = self.scene.nearest(self.x, self.unit, self.ref)
        if self.mu is not None:
            self.set_mu(self.mu)

    def set_mu(self, mu: float) -> str:
        """Move ``H_{ℓ,k}`` and ``F_{ℓ,k}`` to ``μ_{ℓ,k} = mu``; returns an HTML readout of the distances."""
        self.mu = float(mu)
        a = self.slice.offset(mu)
        self.h_line.set_data([a, a], self.box[2:])
        self.f_lines.set_segments(self.scene.folded_lines(self.unit, mu))
        if self.point is None:
            return ""
        self.z_seg.set_data([self.c[0], a], [self.c[1], self.c[1]])
        dz = abs(self.c[0] - a)
        dx, foot = self.scene.nearest(self.x, self.unit, mu)
        self.x_seg.set_data(*(([self.x[0], foot[0]], [self.x[1], foot[1]]) if foot is not None else ([], [])))
        text = (f"d(z(x), H) = {dz:.3f} (dashed: {self.dz_ref:.3f}) &nbsp;|&nbsp; "
                f"d(x, F) = {_distance(dx)} (dashed: {_distance(self.dx_ref)})")
        if dz < self.dz_ref and not dx < self.dx_ref:
            text += " &nbsp;<b style='color:#c0392b'>closer in layer 2, not in input space</b>"
        return text


def draw_translation(fig, scene, unit: int, mu: float, *, point: int | None = 0, reference_mu: float | None = None,
                     titles: bool = True) -> str:
    """Figure 2(a)(b) for ``μ_{ℓ,k} = mu`` drawn once (see :class:`TranslationFigure`); returns the readout."""
    return TranslationFigure(fig, scene, unit, point=point, reference_mu=reference_mu, titles=titles).set_mu(mu)


class FoldingFigure:
    """Figure 2(c) on ``fig``, redrawn in place: :meth:`set_scale` rescales ``σ_{1,i}``, :meth:`set_boundary`
    switches the layer-1 unit ``i``.

    Left, input space: layer-1 hyperplanes (grey, ``H_{1,i}`` red), every layer-2 folded hyperplane
    (blue), the data and the circled crossing; right (with ``curves``), the crossing's angles
    (24)–(26) against the scale of ``σ_{1,i}`` (:func:`plot_fold_curves`), the current scale marked.
    """

    def __init__(self, fig, scene, boundary: int, *, curves: bool = True, titles: bool = True):
        self.scene, self.titles = scene, titles
        axes = fig.subplots(1, 2 if curves else 1, squeeze=False)[0]
        self.ax = ax = axes[0]
        self.grey = draw_lines(ax, [], color=GREY, lw=0.8)
        self.red = draw_lines(ax, [], color=RED, lw=1.8)
        self.lines = draw_lines(ax, [], color=BLUE, lw=1.3)
        draw_data(ax, scene.X, size=8)
        style_axes(ax, scene.extent)
        self.circle = ax.scatter([], [], s=70, facecolors="none", edgecolors=_INK, linewidths=1.4, zorder=7)
        self.curves = _FoldCurves(axes[1]) if curves else None
        #: the artists :meth:`set_scale` changes (a dashboard redraws only these)
        self.dynamic = [self.lines] + ([self.curves.marker] if curves else [])
        self.scale = 1.0
        self.set_boundary(boundary)

    def set_boundary(self, boundary: int) -> None:
        """Vary ``σ_{1,i}`` of layer-1 unit ``i = boundary`` (0-based) from now on."""
        scene = self.scene
        self.boundary = boundary
        self.grey.set_segments([seg for k, unit in enumerate(scene.layer1) if k != boundary for seg in unit])
        self.red.set_segments(scene.layer1[boundary])
        marked = scene.marked.get(boundary)
        self.circle.set_offsets(np.zeros((0, 2)) if marked is None else [_np(scene.crossings.points[marked])])
        if self.curves is not None:
            self.curves.show(scene.curve(boundary))
        if self.titles:
            self.ax.set_title(f"input space; σ1,{boundary + 1} varies", fontsize=10)

    def set_scale(self, scale: float) -> str:
        """Redraw layer 2 with ``σ_{1,i}`` multiplied by ``scale``; returns an HTML readout of the angles."""
        scene, i = self.scene, self.boundary
        self.scale = float(scale)
        self.lines.set_segments(scene.layer2_lines(i, scale))
        if self.curves is not None:
            self.curves.marker.set_xdata([scale, scale])
        text = f"σ<sub>1,{i + 1}</sub> × {scale:.3g}: "
        if i not in scene.marked:
            return text + "no layer-2 folded hyperplane crosses this hyperplane inside the box"
        a = scene.angles(i, scale)
        k = int(scene.crossings.unit[scene.marked[i]])
        return text + (f"at the circled crossing of F<sub>2,{k + 1}</sub> with H<sub>1,{i + 1}</sub>: "
                       f"(24) {a['to_boundary'] * _DEG:.1f}°, (25) {a['to_boundary_other'] * _DEG:.1f}°, "
                       f"(26) {a['between'] * _DEG:.1f}°, opening {a['opening'] * _DEG:.1f}°")


def draw_folding(fig, scene, boundary: int, scale: float, *, curves: bool = True, titles: bool = True) -> str:
    """Figure 2(c) with ``σ_{1,i}`` multiplied by ``scale``, drawn once (see :class:`FoldingFigure`)."""
    return FoldingFigure(fig, scene, boundary, curves=curves, titles=titles).set_scale(scale)


_CURVES = (("to_boundary", BLUE, "-", "(24) F_ω vs H"), ("to_boundary_other", BLUE, "--", "(25) F_ω' vs H"),
           ("between", RED, "-", "(26) F_ω vs F_ω'"), ("opening", GREY, "-", "opening"))


class _FoldCurves:
    """The angle-vs-scale panel, whose curves can be swapped in place (:meth:`show`)."""

    def __init__(self, ax, *, legend: bool = True):
        self.ax = ax
        self.lines = {key: ax.plot([], [], color=c, ls=ls, lw=1.6, label=label)[0] for key, c, ls, label in _CURVES}
        self.marker = ax.axvline(1.0, color=_INK, lw=0.8)
        self.empty = ax.text(0.5, 0.5, "no crossing in view", ha="center", va="center", transform=ax.transAxes,
                             visible=False)
        ax.set_xscale("log")
        ax.minorticks_off()                           # fewer artists: the dashboard redraws this panel
        ax.set_ylim(0, 181)
        ax.set_yticks([0, 45, 90, 135, 180])
        ax.set_xlabel("σ1,i × scale", fontsize=9)
        ax.set_ylabel("degrees", fontsize=9)
        ax.tick_params(labelsize=8)
        if legend:
            ax.legend(fontsize=7, loc="center left", frameon=False)
        ax.set_title("angles at the circled crossing", fontsize=10)

    def show(self, curve: dict | None) -> None:
        self.empty.set_visible(curve is None)
        for key, line in self.lines.items():
            if curve is None:
                line.set_data([], [])
            else:
                line.set_data(_np(curve["scales"]), _np(curve[key]) * _DEG)
        if curve is not None:
            s = _np(curve["scales"])
            ticks = [t for t in (1e-3, 1e-2, 1e-1, 1, 10, 100) if s.min() <= t <= s.max()]
            self.ax.set_xlim(s.min(), s.max())
            self.ax.set_xticks(ticks, [f"{t:g}" for t in ticks])


def plot_fold_curves(ax, curve: dict | None, scale: float | None = None, *, legend: bool = True):
    """Angles (24), (25), (26) and the opening (degrees) against the σ scale, log axis, at one crossing
    (a dict from ``bnx.folding.fold_curve``, or ``None`` for "no crossing"). Returns the vertical line
    marking ``scale`` (hidden when ``scale`` is ``None``)."""
    panel = _FoldCurves(ax, legend=legend)
    panel.show(curve)
    panel.marker.set_xdata([scale or 1.0] * 2)
    panel.marker.set_visible(scale is not None)
    return panel.marker


def draw_tls_colored(ax, lines: list, errors, *, norm=None, cmap: str = "viridis", lw: float = 1.6):
    """Folded hyperplanes coloured by their TLS fitting error ``σ²_{ℓ,k}/‖w_{ℓ,k}‖²`` (eq. 8), Figure 9.

    ``lines[k]`` is unit ``k``'s list of polylines, ``errors`` ``(D,)``; ``norm`` (a matplotlib
    ``Normalize``, log by default over ``errors``) lets panels share a colour scale. Returns the
    ``ScalarMappable`` for a colour bar.
    """
    errors = _np(errors).astype(float)
    if norm is None:
        norm = colors.LogNorm(vmin=errors.min(), vmax=errors.max())
    mapper = cm.ScalarMappable(norm=norm, cmap=cmap)
    order = np.argsort(-errors)                       # smallest error drawn last, on top
    for k in order:
        draw_lines(ax, lines[k], color=mapper.to_rgba(errors[k]), lw=lw)
    return mapper


def plot_tls_layers(partition, errors: list, layers, data=None, *, fig=None, cmap: str = "viridis"):
    """Figure 9: one panel per layer in ``layers``, its (folded) hyperplanes from the exact ``partition``
    coloured by ``σ²/‖w‖²`` (``errors[ℓ−1]``, see ``bnx.folding.tls_errors``; one log colour scale shared by
    the panels, small = dark), earlier layers in light grey, data as dots. Returns the figure."""
    import matplotlib.pyplot as plt

    layers = list(layers)
    if fig is None:
        fig = plt.figure(figsize=(3.3 * len(layers) + 0.8, 3.4))
    axes = fig.subplots(1, len(layers), squeeze=False)[0]
    chosen = np.concatenate([_np(errors[layer - 1]) for layer in layers]).astype(float)
    norm = colors.LogNorm(vmin=chosen.min(), vmax=chosen.max())
    mapper = None
    for ax, layer in zip(axes, layers):
        for j in range(1, layer):
            draw_lines(ax, partition.facets(j).lines(), color=GREY, lw=0.5, alpha=0.5)
        f = partition.facets(layer)
        lines = [f.select(f.unit == k).lines() for k in range(len(errors[layer - 1]))]
        mapper = draw_tls_colored(ax, lines, errors[layer - 1], norm=norm, cmap=cmap)
        if data is not None:
            draw_data(ax, data, size=7, color="#d35400")
        style_axes(ax, partition.extent)
        ax.set_title(f"layer {layer}", fontsize=10)
    bar = fig.colorbar(mapper, ax=list(axes), shrink=0.85, pad=0.02)
    bar.set_label("σ² / ‖w‖²  (TLS error, eq. 8)", fontsize=9)
    bar.ax.tick_params(labelsize=8)
    return fig


def plot_crossing(ax, partition, crossings, index: int, *, radius: float | None = None) -> None:
    """Figure 8, computed: a close-up of one crossing ``p`` of ``F_{2,k}`` with ``H_{1,i}`` (``crossings`` from
    ``bnx.folding.crossings``, ``partition`` from ``bnx.exact_partition`` of the same network). Layer-1
    hyperplanes grey (``H_{1,i}`` red), the exact facets of ``F_{2,k}`` blue, the regions ω (unit ``i``
    active) and ω' labelled; ``radius`` defaults to 0.9 × the crossing's clearance."""
    p = _np(crossings.points[index])
    k, i = int(crossings.unit[index]), int(crossings.boundary[index])
    r = 0.9 * float(crossings.clearance[index]) if radius is None else float(radius)
    f1 = partition.facets(1)
    draw_lines(ax, f1.select(f1.unit != i).lines(), color=GREY, lw=1.0)
    draw_lines(ax, f1.select(f1.unit == i).lines(), color=RED, lw=2.0)
    draw_lines(ax, partition.facets(2, k).lines(), color=BLUE, lw=2.2)
    ax.scatter([p[0]], [p[1]], s=30, color=_INK, zorder=6)
    n = _np(f1.select(f1.unit == i).normal[0])
    n = n / np.linalg.norm(n)
    t = np.array([-n[1], n[0]])
    for sign, name in ((1, "ω"), (-1, "ω′")):                # ω: h_{1,i} > 0 (unit i active)
        q = p + sign * 0.5 * r * n + 0.5 * r * t
        ax.text(q[0], q[1], name, fontsize=12, ha="center", va="center", color=_INK)
    q = p - 0.8 * r * t + 0.22 * r * n
    ax.text(q[0], q[1], f"H1,{i + 1}", color=RED, fontsize=9, ha="center", va="center")
    style_axes(ax, (p[0] - r, p[0] + r, p[1] - r, p[1] + r))
    ax.set_title(f"F2,{k + 1} crossing H1,{i + 1}", fontsize=10)
