"""Chapter 9's dashboard: move one BN unit of *your own* model and watch its partition, live.

:class:`BNUnitExplorer` takes a trained ``nn.Sequential`` with ``BatchNorm1d`` layers (any model
the exact partition reads, see :mod:`bnexplained.sequential`) and 2-D data. Four sliders set the
chosen unit's ``running_mean`` (μ), ``running_var`` (σ²), ``weight`` (γ) and ``bias`` (β) on a
copy of the model (the model itself is never touched); the picture shows the input space with
every layer's folded hyperplanes (eq. 11), the chosen unit's in red, and the decision boundary.

Each move reads the copy as spline steps (:func:`bnexplained.sequential.spline_steps`), runs them
on a fixed grid (float64) and traces each unit's zero set by marching squares (exact on every
cell where the unit is affine, within one cell elsewhere; a unit whose values did not change is
not traced again); only the moving artists are redrawn (the :class:`Dashboard` protocol). On the
website the sliders are saved disabled (they need Python); :meth:`BNUnitExplorer.gallery`
precomputes frames for one unit and switches them in the browser (``jslink`` to a container's
``selected_index``), so it works without a kernel.
"""
from __future__ import annotations

import copy
import math

import ipywidgets as W
import numpy as np
import torch
from matplotlib.collections import LineCollection
from torch import nn

from ..device import check_points
from ..partition import data_extent, make_grid, zero_set_lines
from ..plotting.core import BLUE, GREY, RED, draw_data, style_axes
from ..plotting.jitter import draw_labelled_data
from ..sequential import run_steps, spline_steps
from .dashboard import Dashboard

__all__ = ["BNUnitExplorer"]

#: the four numbers of one BN unit the dashboard moves, in the order of its sliders
PARAMETERS = ("running_mean", "running_var", "weight", "bias")


def _batchnorms(model) -> list:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (an nn.Sequential with BatchNorm1d), "
                        f"got {type(model).__name__}")
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    if not bns:
        raise ValueError("model has no BatchNorm1d layer to move")
    for i, m in enumerate(bns, start=1):
        if m.running_mean is None or not m.affine:
            raise ValueError(f"model: BatchNorm1d number {i} needs running statistics and a learnable "
                             "weight and bias (track_running_stats=True, affine=True)")
    return bns


def _value(bn: nn.BatchNorm1d, name: str, k: int) -> float:
    return float(getattr(bn, name).detach()[k])


def _ranges(bn: nn.BatchNorm1d, k: int) -> dict:
    """Slider ranges ``(lo, hi)`` for unit ``k`` around its trained values (σ² on a log10 scale)."""
    mu, var, gamma, beta = (_value(bn, n, k) for n in PARAMETERS)
    sd = math.sqrt(max(var, 1e-12))
    g = max(1.0, 2 * abs(gamma))
    b = max(1.5, 2 * abs(beta))
    return {"running_mean": (mu - 3 * sd, mu + 3 * sd),
            "running_var": (math.log10(max(var, 1e-12)) - 2, math.log10(max(var, 1e-12)) + 2),
            "weight": (-g, g), "bias": (-b, b)}


def parameter_frames(bn: nn.BatchNorm1d, k: int, steps: int = 7) -> dict:
    """For each of :data:`PARAMETERS`, ``steps`` values for unit ``k`` of ``bn``, its trained value in
    the middle (σ² spaced evenly on a log scale); the kernel-free gallery draws one frame per value."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 3 or steps % 2 == 0:
        raise ValueError(f"steps must be an odd int ≥ 3 (the trained value sits in the middle), got {steps!r}")
    r = _ranges(bn, k)
    t = np.linspace(-1.0, 1.0, steps)
    out = {}
    for name in PARAMETERS:
        lo, hi = r[name]
        mid = (lo + hi) / 2
        value = _value(bn, name, k) if name != "running_var" else math.log10(max(_value(bn, name, k), 1e-12))
        vals = value + t * (hi - mid)
        out[name] = [float(10 ** v) if name == "running_var" else float(v) for v in vals]
    return out


class BNUnitExplorer(Dashboard):
    """Move ``running_mean``, ``running_var``, ``weight`` and ``bias`` of one unit of one BN layer of
    ``model`` (a copy), unit by unit, and see the folded hyperplanes and decision boundary follow.

    ``X`` ``(N, 2)`` are drawn as dots (coloured by ``y`` when labels are given; the readout then
    gives the accuracy). BN layer ℓ is the ℓ-th ``BatchNorm1d`` of the model, units ``k`` are
    0-based as in ``running_mean[k]``. ``resolution``: the grid (default 80 × 80) over ``extent``
    (default: the data's square with a 30 % margin). Changes made with one unit stay when another
    is chosen; :meth:`reset` restores the trained values.
    """

    NOTE = ("On the website these sliders need Python: open this page in Colab (rocket button at the "
            "top), or use the precomputed version below.")

    def __init__(self, model, X, y=None, *, extent=None, resolution: int = 80, layer: int = 1,
                 unit: int = 0, figsize=(4.8, 4.6), dpi: int = 72):
        _batchnorms(model)                                  # refuse bad input before copying it
        self.model = copy.deepcopy(model).eval()
        self.bns = _batchnorms(self.model)
        self._trained = [{name: getattr(bn, name).detach().clone() for name in PARAMETERS} for bn in self.bns]
        self.X = check_points(X, 2, name="X").detach().cpu().to(torch.float64)
        self.y = None if y is None else torch.as_tensor(y).cpu()
        if self.y is not None and self.y.shape != (len(self.X),):
            raise ValueError(f"y must have shape ({len(self.X)},), got {tuple(self.y.shape)}")
        self.extent = data_extent(self.X, margin=0.3) if extent is None else extent
        self.grid = make_grid(self.extent, resolution, dtype=torch.float64)
        if not (isinstance(layer, int) and 1 <= layer <= len(self.bns)):
            raise ValueError(f"layer must be an int in 1..{len(self.bns)} (the model's BN layers), got {layer!r}")
        if not (isinstance(unit, int) and 0 <= unit < self.bns[layer - 1].num_features):
            raise ValueError(f"unit must be an int in 0..{self.bns[layer - 1].num_features - 1}, got {unit!r}")
        self._syncing = False
        self._picture_now = None
        controls = {
            "layer": W.Dropdown(options=[(f"BN {i} ({bn.num_features} units)", i)
                                         for i, bn in enumerate(self.bns, start=1)], value=layer,
                                description="BN layer ℓ"),
            "unit": W.IntSlider(value=unit, min=0, max=self.bns[layer - 1].num_features - 1, description="unit k"),
            "running_mean": W.FloatSlider(value=0.0, min=-1.0, max=1.0, step=0.01, description="running_mean",
                                          readout_format=".3g"),
            "running_var": W.FloatLogSlider(value=1.0, base=10, min=-2, max=2, step=0.02,
                                            description="running_var", readout_format=".3g"),
            "weight": W.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.01, description="weight γ",
                                    readout_format=".3g"),
            "bias": W.FloatSlider(value=0.0, min=-2.0, max=2.0, step=0.01, description="bias β",
                                  readout_format=".3g"),
        }
        for c in controls.values():
            c.style = {"description_width": "8.5em"}
        self._current = (layer, unit)
        self._sync(controls, layer, unit)
        self._reset = W.Button(description="reset all units", layout=W.Layout(width="11em"))
        self._reset.on_click(lambda _b: self.reset())
        super().__init__(controls, figsize=figsize, dpi=dpi, buttons=[self._reset], note=self.NOTE)

    @staticmethod
    def encode_canvas(fig, *, small: bool = False) -> bytes:
        """A live move's picture as a JPEG (quality 92: on the busy 2-core CPU several times faster to
        encode than a palette PNG, no visible loss at this size); ``small`` (pictures saved in the
        page) as the protocol's palette PNG."""
        if small:
            return Dashboard.encode_canvas(fig, small=True)
        import io

        from PIL import Image

        w, h = fig.canvas.get_width_height()
        buf = io.BytesIO()
        Image.frombuffer("RGBA", (w, h), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB").save(
            buf, format="jpeg", quality=92)
        return buf.getvalue()

    def _show(self, leaf, png: bytes, alt: str, text) -> None:
        super()._show(leaf, png, alt, text)
        if png[:2] == b"\xff\xd8":                    # a JPEG: say so in the data URL
            leaf.value = leaf.value.replace("data:image/png;base64,", "data:image/jpeg;base64,", 1)

    # ------------------------------------------------------------------ state
    def _sync(self, controls: dict, layer: int, unit: int) -> None:
        """Set the four value sliders to unit ``unit`` of BN ``layer``'s current values (no redraw)."""
        bn = self.bns[layer - 1]
        r = self._trained_ranges(layer, unit)
        self._syncing = True
        try:
            controls["unit"].max = bn.num_features - 1
            for name in PARAMETERS:
                s, (lo, hi) = controls[name], r[name]
                if lo > s.max:
                    s.max, s.min = hi, lo
                else:
                    s.min, s.max = lo, hi
                s.value = _value(bn, name, unit)
        finally:
            self._syncing = False
        self._current = (layer, unit)

    def _trained_ranges(self, layer: int, unit: int) -> dict:
        """Slider ranges from the *trained* values (they do not drift as the unit is moved)."""
        probe = nn.BatchNorm1d(1)
        t = self._trained[layer - 1]
        with torch.no_grad():
            for name in PARAMETERS:
                getattr(probe, name).copy_(t[name][unit:unit + 1])
        return _ranges(probe, 0)

    def set_unit(self, layer: int, unit: int, **values) -> None:
        """Write ``values`` (any of :data:`PARAMETERS`) into unit ``unit`` of BN ``layer`` of the copy."""
        bn = self.bns[layer - 1]
        with torch.no_grad():
            for name, v in values.items():
                if name not in PARAMETERS:
                    raise ValueError(f"unknown BN parameter {name!r}; use one of {PARAMETERS}")
                if name == "running_var" and not v > 0:
                    raise ValueError(f"running_var must be positive, got {v!r}")
                getattr(bn, name)[unit] = float(v)

    def reset_values(self, layers=None) -> None:
        """Restore the trained values of BN ``layers`` (default: all) on the copy (no redraw)."""
        with torch.no_grad():
            for i in (range(1, len(self.bns) + 1) if layers is None else layers):
                for name in PARAMETERS:
                    getattr(self.bns[i - 1], name).copy_(self._trained[i - 1][name])

    def reset(self) -> None:
        """Restore every unit's trained values and redraw."""
        self.reset_values()
        layer, unit = self.controls["layer"].value, self.controls["unit"].value
        self._sync(self.controls, layer, unit)
        self.update()

    def update(self) -> None:
        if self._syncing or self._holding:
            return
        layer, unit = self.controls["layer"].value, self.controls["unit"].value
        if (layer, unit) != self._current:       # a new unit: show its current values, then redraw once
            self._sync(self.controls, layer, unit)
        self._png_cache.clear()                  # the picture also depends on the other units' values
        super().update()

    # ------------------------------------------------------------------ picture
    def picture(self) -> dict:
        """What the copy draws now: per layer the folded hyperplanes' polylines (``layers``, a list of
        lists per unit), the decision boundary (``boundary``; None unless the model has 1 or 2
        outputs) and the accuracy on ``(X, y)`` (None without labels). A unit's zero set is traced
        again only when its values on the grid changed since the last call."""
        n = self.grid.points.shape[0]
        pre, out = run_steps(spline_steps(self.model), torch.cat([self.grid.points, self.X]))
        H, Wd = self.grid.shape
        cache = self.__dict__.setdefault("_traced", {})
        layers = []
        for j, h in enumerate(pre):
            lines = []
            for k in range(h.shape[1]):
                values = h[:n, k]
                hit = cache.get((j, k))
                if hit is None or not torch.equal(hit[0], values):
                    hit = cache[(j, k)] = (values, zero_set_lines(self.grid, values.reshape(H, Wd)))
                lines.append(hit[1])
            layers.append(lines)
        boundary, acc = None, None
        if out.shape[1] in (1, 2):
            d = out[:, 0] if out.shape[1] == 1 else out[:, 1] - out[:, 0]
            boundary = zero_set_lines(self.grid, d[:n].reshape(H, Wd))
            if self.y is not None:
                acc = float(((d[n:] > 0) == (self.y == 1)).double().mean())
        return dict(layers=layers, boundary=boundary, accuracy=acc)

    def build(self, fig, **values) -> list:
        ax = fig.add_axes([0.02, 0.07, 0.96, 0.84])
        e = self.grid.extent
        past = LineCollection([], colors=GREY, linewidths=0.8)
        last = LineCollection([], colors=BLUE, linewidths=1.2)
        unit = LineCollection([], colors=RED, linewidths=2.4)
        boundary = LineCollection([], colors="black", linewidths=2.0, linestyles="--")
        for c in (past, last, unit, boundary):
            ax.add_collection(c)
        if self.y is None:
            draw_data(ax, self.X, size=9)
        else:
            draw_labelled_data(ax, self.X, self.y)
        style_axes(ax, e)
        ax.set_title("red: the unit; blue: its layer; grey: other layers;\n"
                     "dashed: the decision boundary", fontsize=8)
        return [past, last, unit, boundary]

    def scene(self, **values):
        return None                                   # one static picture: axes, data, title

    def move(self, fig, artists, layer, unit, running_mean, running_var, weight, bias):
        past, last, unit_lines, boundary = artists
        self.set_unit(layer, unit, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
        pic = self._picture_now = self.picture()
        # BN layer ℓ feeds activation layer ℓ when the model alternates Linear → BN → activation
        j = min(layer, len(pic["layers"])) - 1
        past.set_segments([p for jj, lay in enumerate(pic["layers"]) if jj != j for u in lay for p in u])
        last.set_segments([p for kk, u in enumerate(pic["layers"][j]) if kk != unit for p in u])
        unit_lines.set_segments(pic["layers"][j][unit] if unit < len(pic["layers"][j]) else [])
        boundary.set_segments(pic["boundary"] or [])
        acc = "" if pic["accuracy"] is None else f"; accuracy on the data {100 * pic['accuracy']:.1f} %"
        bn = self.bns[layer - 1]
        mu, var, gamma, beta = (_value(bn, n, unit) for n in PARAMETERS)
        offset = mu - math.sqrt(var + bn.eps) * beta / gamma if gamma != 0 else float("nan")
        return (f"BN {layer}, unit {unit}: <code>running_mean = {mu:.3g}</code>, "
                f"<code>running_var = {var:.3g}</code>, <code>weight = {gamma:.3g}</code>, "
                f"<code>bias = {beta:.3g}</code>; the unit is zero where its input "
                f"u = μ − √(σ²+ε)·β/γ = {offset:.3g}{acc}")

    def alt(self, layer, unit, running_mean, running_var, weight, bias) -> str:
        pic = self._picture_now
        acc = "" if pic is None or pic["accuracy"] is None else \
            f" The accuracy on the data is {100 * pic['accuracy']:.1f} %."
        return (f"The input square of your model with the data as dots, the straight lines of layer 1 and the bent "
                f"folded hyperplanes of the later layers, the lines of BN layer {layer} in blue with unit {unit} in "
                f"red (running_mean {running_mean:.3g}, running_var {running_var:.3g}, weight {weight:.3g}, "
                f"bias {bias:.3g}), and the decision boundary dashed." + acc)

    def widget(self) -> W.Widget:
        c = self.controls
        rows = [W.HBox([c["layer"], c["unit"], self._reset], layout=W.Layout(flex_flow="row wrap")),
                W.HBox([c["running_mean"], c["running_var"]], layout=W.Layout(flex_flow="row wrap")),
                W.HBox([c["weight"], c["bias"]], layout=W.Layout(flex_flow="row wrap"))]
        return W.VBox(rows + [self.note, self._picture()])

    # ------------------------------------------------------------------ without a kernel
    def gallery(self, layer: int = 1, unit: int = 0, *, steps: int = 5) -> W.Widget:
        """A kernel-free version for one unit of the *trained* model: a tab per BN parameter, each with
        a slider over ``steps`` precomputed pictures (the other numbers at their trained values),
        switched in the browser (``jslink`` to a ``Stack``; a ``Tab`` in ipywidgets 7).

        Works on a static page and in Jupyter or Colab. The live dashboard's changes are kept.
        """
        if not (isinstance(layer, int) and 1 <= layer <= len(self.bns)):
            raise ValueError(f"layer must be an int in 1..{len(self.bns)}, got {layer!r}")
        bn = self.bns[layer - 1]
        if not (isinstance(unit, int) and 0 <= unit < bn.num_features):
            raise ValueError(f"unit must be an int in 0..{bn.num_features - 1}, got {unit!r}")
        saved = [{n: getattr(b, n).detach().clone() for n in PARAMETERS} for b in self.bns]
        tabs, links = [], []
        try:
            self.reset_values()
            trained = {n: _value(bn, n, unit) for n in PARAMETERS}
            frames = parameter_frames(bn, unit, steps)
            for name in PARAMETERS:
                leaves = []
                for v in frames[name]:
                    values = dict(trained, layer=layer, unit=unit)
                    values[name] = v
                    self._png_cache.clear()
                    png, text = self._website_png(values)
                    leaf = self._leaf()
                    self._show(leaf, png, self.alt(**values), text)
                    leaves.append(leaf)
                labels = [f"{v:.3g}" for v in frames[name]]
                slider = W.SelectionSlider(options=labels, value=labels[steps // 2], description=name,
                                           style={"description_width": "8.5em"})
                stack = _stack(leaves, labels, steps // 2)
                links.append(W.jslink((slider, "index"), (stack, "selected_index")))  # runs in the browser
                tabs.append(W.VBox([slider, stack]))
        finally:
            with torch.no_grad():
                for b, t in zip(self.bns, saved):
                    for n in PARAMETERS:
                        getattr(b, n).copy_(t[n])
            self._png_cache.clear()
        self.gallery_links = links
        outer = W.Tab(children=tabs)
        for i, name in enumerate(PARAMETERS):
            outer.set_title(i, name)
        note = W.HTML(f"BN layer {layer}, unit {unit} of the trained model; each tab moves one of its four "
                      "numbers, the others stay at their trained values (precomputed: works without a kernel).")
        return W.VBox([note, outer])


def _stack(children: list, labels: list, index: int) -> W.Widget:
    """A container showing one child at a time, chosen by ``selected_index``: ``Stack`` in
    ipywidgets 8, a ``Tab`` (titles = the values) in ipywidgets 7."""
    if hasattr(W, "Stack"):
        return W.Stack(children=children, selected_index=index)
    tab = W.Tab(children=children)
    for i, label in enumerate(labels):
        tab.set_title(i, label)
    tab.selected_index = index
    return tab
