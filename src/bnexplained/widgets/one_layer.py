"""Chapter 3's dashboard: move one layer's μ (and σ, γ, β) by hand and watch the TLS distance (Theorem 1)."""
from __future__ import annotations

import ipywidgets as W
import numpy as np
import torch

from .. import data as datasets
from ..geometry import hyperplane_segments, tls_distance, tls_fitting_error
from ..partition import data_extent
from ..recipes.one_layer import one_layer_network
from ..plotting import RED, draw_data, draw_tls_curves, style_axes, unit_colors
from .dashboard import Dashboard

__all__ = ["TLSExplorer"]

DATASETS = ("star", "blobs", "moons")
MU_RANGE = (-3.0, 3.0)
FIGSIZE = (7.6, 3.4)


class TLSExplorer(Dashboard):
    """One BN layer on a 2-D data set: sliders for each ``μ_k``, and for ``σ`` (as a multiple of BN's),
    ``γ`` and ``β`` shared by the units; a button snaps ``μ`` to the batch mean.

    Left: the data, each hyperplane ``⟨w_k, z⟩ = μ_k − σ_k β/γ`` (solid), the band where
    ``|h_k| ≤ 1`` (dotted), BN's hyperplanes (dashed grey) and the data mean (red cross).
    Right: ``L_k`` of eq. (8) against each hyperplane's offset, its minimum starred at BN's ``μ_k``.
    The data are moved by ``shift`` away from the origin, as a layer's inputs usually are (after a
    ReLU they all have positive entries), so that BN's hyperplanes visibly differ from the
    zero-bias ones through the origin. Everything that depends only on the data set is computed
    and drawn once per data set; a move redraws only the lines, dots and title (blitting).
    The slider "μ → BN's μ" moves every ``μ_k`` along the way from its start to BN's value; it is the
    control that works on the website (5 precomputed pictures).
    """

    website = ("toward_bn",)
    prebuilt = ("dataset",)                         # each data set's curves and picture, built once
    STEPS = (("start", 0.0), ("¼", 0.25), ("½", 0.5), ("¾", 0.75), ("BN's μ", 1.0))

    def __init__(self, *, units: int = 3, seed: int = 0, n: int = 60, dataset: str = "star", shift=(1.0, 0.5),
                 mu=None):
        if dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
        self.net = one_layer_network(units, seed)
        self.W = self.net.weights[0].detach()
        self.n = n
        self.shift = torch.as_tensor(shift, dtype=torch.float64)
        if self.shift.shape != (2,) or not torch.isfinite(self.shift).all():
            raise ValueError(f"shift must be a finite 2-vector, got {shift!r}")
        self.units = units
        self.colors = unit_colors(units)
        self._cache = {}
        start = self.setup(dataset)
        if mu is None:                                    # start away from the data: hyperplanes to move
            mu = [round(float(m) + s, 2) for m, s in zip(start["mu_bn"], np.resize([1.2, -1.0, 0.8], units))]
        self.start = [float(m) for m in mu]
        controls = {"dataset": W.Dropdown(options=DATASETS, value=dataset, description="data"),
                    "toward_bn": W.SelectionSlider(options=self.STEPS, value=0.0, description="μ → BN's μ")}
        for k in range(units):
            controls[f"mu_{k + 1}"] = W.FloatSlider(value=float(mu[k]), min=MU_RANGE[0], max=MU_RANGE[1], step=0.001,
                                                    readout_format=".2f", description=f"μ_{k + 1}",
                                                    continuous_update=True)
        controls["sigma_scale"] = W.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.01,
                                                   description="σ / σ_BN", readout_format=".2f")
        controls["gamma"] = W.FloatSlider(value=1.0, min=0.25, max=3.0, step=0.01, description="γ")
        controls["beta"] = W.FloatSlider(value=0.0, min=-2.0, max=2.0, step=0.01, description="β")
        self.button = W.Button(description="set μ to the batch mean", button_style="info",
                               layout=W.Layout(width="220px"))
        self.button.on_click(lambda _b: self.snap())
        controls["toward_bn"].observe(lambda change: self._slide(change["new"]), names="value")
        super().__init__(controls, figsize=FIGSIZE, dpi=80, buttons=[self.button])

    # ------------------------------------------------------------------ cached per data set
    @torch.no_grad()
    def setup(self, dataset: str) -> dict:
        """Data, BN's statistics and the TLS curves of ``dataset``: computed once, then reused."""
        if dataset not in self._cache:
            X = datasets.toy_2d(dataset, self.n, dtype=torch.float64) + self.shift
            mus, sigmas = self.net.statistics_of(X)
            grid = torch.linspace(*MU_RANGE, 241, dtype=torch.float64)
            curves = tls_distance(X, self.W, grid[:, None].expand(-1, self.units), per_unit=True)
            self._cache[dataset] = dict(
                X=X, extent=data_extent(X, margin=0.45), mu_bn=mus[0], sigma_bn=sigmas[0],
                tls_min=tls_fitting_error(self.W, sigmas[0]), grid=grid.numpy(), curves=curves.numpy(),
                mean=X.mean(0).numpy())
        return self._cache[dataset]

    def implied(self, values: dict) -> dict:
        """Moving "μ → BN's μ" to ``t`` sets ``μ_k = (1 − t)·start_k + t·μ̄_k``."""
        t = values["toward_bn"]
        mu_bn = self.setup(values["dataset"])["mu_bn"]
        return {**values, **{f"mu_{k + 1}": round((1 - t) * self.start[k] + t * float(mu_bn[k]), 6)
                             for k in range(self.units)}}

    def _slide(self, t: float) -> None:
        with self.hold():
            for name, value in self.implied(self.values).items():
                if name.startswith("mu_"):
                    self.controls[name].value = value

    def snap(self) -> None:
        """Set every ``μ_k`` slider to BN's value for the current data set (one redraw)."""
        mu_bn = self.setup(self.controls["dataset"].value)["mu_bn"]
        with self.hold():
            for k in range(self.units):
                self.controls[f"mu_{k + 1}"].value = float(mu_bn[k])

    def widget(self) -> W.Widget:
        c = self.controls
        for name, control in c.items():
            if name != "dataset":
                control.layout = W.Layout(width="310px")
        left = W.VBox([c[f"mu_{k + 1}"] for k in range(self.units)])      # the offsets
        right = W.VBox([c["sigma_scale"], c["gamma"], c["beta"]])         # the other BN parameters
        rows = [W.HBox([c["dataset"], c["toward_bn"], self.button]),
                W.HBox([left, right], layout=W.Layout(flex_flow="row wrap"))]
        return W.VBox(rows + [self.note, self._picture()])

    # ------------------------------------------------------------------ one frame
    def state(self, dataset: str, sigma_scale: float, gamma: float, beta: float, toward_bn: float = 0.0,
              **mus) -> dict:
        """The drawn hyperplanes' offsets ``b = μ − σβ/γ`` and their TLS values, for given control values."""
        if not (np.isfinite(sigma_scale) and sigma_scale > 0):
            raise ValueError(f"sigma_scale must be positive (σ → 0 leaves eq. (2) undefined), got {sigma_scale!r}")
        if not (np.isfinite(gamma) and gamma != 0):
            raise ValueError(f"gamma must be non-zero (Proposition 1 needs γ ≠ 0), got {gamma!r}")
        if not np.isfinite(beta):
            raise ValueError(f"beta must be finite, got {beta!r}")
        d = self.setup(dataset)
        mu = torch.tensor([mus[f"mu_{k + 1}"] for k in range(self.units)], dtype=torch.float64)
        sigma = sigma_scale * d["sigma_bn"]
        b = mu - sigma * beta / gamma
        per = tls_distance(d["X"], self.W, b, per_unit=True)
        return dict(mu=mu, sigma=sigma, b=b, tls=per, data=d)

    def scene(self, dataset, **_):
        return dataset                                     # one static picture per data set

    def alt(self, dataset, sigma_scale, gamma, beta, toward_bn=0.0, **mus):
        s = self.state(dataset, sigma_scale, gamma, beta, **mus)
        return (f"Left: the {dataset} data with {self.units} hyperplanes of one BN layer at offsets "
                + ", ".join(f"{b:.2f}" for b in s["b"].tolist())
                + " (solid) and BN's hyperplanes through the data mean (dashed). Right: each unit's total "
                f"least squares distance L_k against its offset, minimal at BN's μ_k (stars); now "
                f"L = {s['tls'].sum().item():.3f}, minimum {s['data']['tls_min'].sum().item():.3f}.")

    def build(self, fig, dataset, **_) -> list:
        """Axes, data, BN's hyperplanes (dashed) and the TLS curves; returns the artists that move."""
        d = self.setup(dataset)
        ax = fig.add_axes([0.01, 0.03, 0.42, 0.86])
        for seg in hyperplane_segments(self.W, d["mu_bn"], d["extent"]):      # where BN puts them
            if seg is not None:
                ax.plot(seg[:, 0], seg[:, 1], color="0.6", lw=0.9, ls="--", zorder=1)
        band = [ax.plot([], [], color=c, lw=0.8, ls=":", alpha=0.6)[0] for c in self.colors * 2]
        lines = [ax.plot([], [], color=c, lw=2.2)[0] for c in self.colors]
        points = draw_data(ax, d["X"], size=9)
        mean = ax.plot(*d["mean"], marker="X", ms=10, color=RED, mec="white", zorder=6)[0]
        style_axes(ax, d["extent"])
        ax.set_title(" ", fontsize=11)
        ax2 = fig.add_axes([0.53, 0.17, 0.45, 0.72])
        draw_tls_curves(ax2, d["grid"], d["curves"], d["mu_bn"].numpy(), d["tls_min"].numpy(), colors=self.colors)
        ax2.set_title("★ BN's μ_k (minimum σ_k²/‖w_k‖²)   ● now", fontsize=11)
        dots = [ax2.plot([], [], marker="o", ms=7, color=c, mec="black", zorder=6)[0] for c in self.colors]
        return band + lines + [points, mean, ax.title] + dots      # drawn in this order over the scene

    @staticmethod
    def _place(artists, segments) -> None:
        for artist, seg in zip(artists, segments):
            artist.set_data(([], []) if seg is None else (seg[:, 0], seg[:, 1]))

    def move(self, fig, artists, dataset, sigma_scale, gamma, beta, toward_bn=0.0, **mus):
        s = self.state(dataset, sigma_scale, gamma, beta, **mus)
        d, K = s["data"], self.units
        band, lines, title, dots = artists[:2 * K], artists[2 * K:3 * K], artists[3 * K + 2], artists[3 * K + 3:]
        half = s["sigma"] / gamma
        self._place(band, hyperplane_segments(self.W, s["b"] + half, d["extent"])
                    + hyperplane_segments(self.W, s["b"] - half, d["extent"]))
        self._place(lines, hyperplane_segments(self.W, s["b"], d["extent"]))
        for k, dot in enumerate(dots):
            dot.set_data([s["b"][k].item()], [s["tls"][k].item()])
        total, best = s["tls"].sum().item(), d["tls_min"].sum().item()
        title.set_text(f"{dataset}: L = {total:.3f} (minimum {best:.3f})")
        cell = "<td style='padding:1px 10px; text-align:right'>"
        head = "".join(f"<th style='padding:1px 10px; text-align:right'>{h}</th>"
                       for h in ("", "μ_k", "BN's μ_k", "offset of H_k", "L_k", "min L_k"))
        rows = "".join(
            f"<tr>{cell}<span style='display:inline-block; width:0.8em; height:0.8em; margin-right:0.3em; "
            f"background:rgb{tuple(int(255 * c) for c in self.colors[k][:3])}'></span>unit {k + 1}</td>"
            f"{cell}{s['mu'][k]:.3f}</td>{cell}{d['mu_bn'][k]:.3f}</td>{cell}{s['b'][k]:.3f}</td>"
            f"{cell}{s['tls'][k]:.4f}</td>{cell}{d['tls_min'][k]:.4f}</td></tr>" for k in range(K))
        moved = "" if beta == 0 else " With β ≠ 0 the hyperplane sits at μ − σβ/γ, so σ and γ move it too."
        return (f"<b>L(μ) = {total:.4f}</b>, minimum {best:.4f} at BN's μ (Theorem 1).{moved}"
                f"<table style='font-size:85%; border-collapse:collapse'><tr>{head}</tr>{rows}</table>")

    # ------------------------------------------------------------------ kernel-free fallback
    def fallback(self, frames: int = 7, *, dpi: int = 72):
        """A scrubbable animation for the static page: ``μ`` slides from the start values to BN's mean."""
        import matplotlib.pyplot as plt

        from ..plotting import scrubbable

        if not isinstance(frames, int) or frames < 2:
            raise ValueError(f"frames must be an int ≥ 2, got {frames!r}")
        values = self.values
        d = self.setup(values["dataset"])
        start = np.array([values[f"mu_{k + 1}"] for k in range(self.units)])
        fig = plt.figure(figsize=FIGSIZE, dpi=dpi)

        def frame(i):
            t = 1 - i / (frames - 1)
            mu = (1 - t) * d["mu_bn"].numpy() + t * start
            self.draw(fig, **{**values, **{f"mu_{k + 1}": float(mu[k]) for k in range(self.units)}})

        return scrubbable(fig, frame, frames)
