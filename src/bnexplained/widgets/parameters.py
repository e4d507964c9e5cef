"""Chapter 2's dashboard: one BN unit's γ and β, the identity behind Proposition 1, and where the unit switches."""
from __future__ import annotations

import ipywidgets as W
import numpy as np
import torch

from .. import data as datasets
from ..geometry import hyperplane_segments
from ..networks import ACTIVATIONS, activate, code_slope
from ..parameters import gamma_identity
from ..partition import data_extent, make_grid
from ..plotting import BLUE, GREY, RED, draw_data, style_axes
from ..recipes.one_layer import one_layer_network
from .dashboard import Dashboard

__all__ = ["GammaBetaExplorer"]


class GammaBetaExplorer(Dashboard):
    """One BN unit on the shifted star: its activation, the sign and size of ``γ``, and ``β``.

    Left: both sides of the identity behind eq. (28), ``a(γu + β)`` and ``c·a(u + β/γ)`` (``c = γ``, or ``|γ|`` for the
    absolute value): they coincide exactly when ``γ`` can be absorbed into the next layer.
    Right: the unit's output ``a(h)`` over the plane (colour), its zero set
    ``⟨w, z⟩ = μ − σβ/γ`` (solid) and BN's hyperplane through the data mean (dashed).
    ``|γ|`` runs on a log scale and its sign on a toggle, so ``γ = 0`` cannot be reached.
    On the website the sign of ``γ`` and the activation work (6 precomputed pictures).
    """

    website = ("activation", "sign")

    def __init__(self, *, activation: str = "leaky_relu", seed: int = 0, resolution: int = 64):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        self.X = datasets.star(60, dtype=torch.float64) + torch.tensor([1.0, 0.5], dtype=torch.float64)
        net = one_layer_network(1, seed)
        self.w = net.weights[0].detach()                                   # (1, 2)
        mu, sigma = net.statistics_of(self.X)
        self.mu, self.sigma = mu[0], sigma[0]
        self.extent = data_extent(self.X, margin=0.45)
        self.grid = make_grid(self.extent, resolution, dtype=torch.float64)
        self.resolution = resolution
        self.u_grid = ((self.grid.points @ self.w.T - self.mu) / self.sigma)[:, 0]   # ĥ on the grid, γ = 1, β = 0
        self.u = torch.linspace(-3, 3, 241, dtype=torch.float64)
        controls = {
            "activation": W.Dropdown(options=ACTIVATIONS, value=activation, description="activation"),
            "sign": W.ToggleButtons(options=[("γ > 0", 1), ("γ < 0", -1)], value=1, description="sign of γ"),
            "gamma_size": W.FloatLogSlider(value=1.5, base=10, min=-1, max=1, step=0.01, description="|γ|",
                                           readout_format=".2f"),
            "beta": W.FloatSlider(value=0.5, min=-2.0, max=2.0, step=0.01, description="β"),
        }
        super().__init__(controls, figsize=(7.6, 3.4), dpi=80)

    def state(self, activation: str, sign: int, gamma_size: float, beta: float) -> dict:
        """Both sides of the identity behind eq. (28) on ``u``, and the unit's output on the grid, for given control values."""
        if not (np.isfinite(gamma_size) and gamma_size > 0):
            raise ValueError(f"gamma_size must be positive (γ = 0 makes the unit constant), got {gamma_size!r}")
        if sign not in (1, -1):
            raise ValueError(f"sign must be 1 or -1, got {sign!r}")
        if not np.isfinite(beta):
            raise ValueError(f"beta must be finite, got {beta!r}")
        gamma = sign * gamma_size
        lhs, rhs = gamma_identity(self.u, gamma, beta, activation)
        out = activate(gamma * self.u_grid + beta, code_slope(activation))
        offset = self.mu - self.sigma * beta / gamma
        return dict(gamma=gamma, lhs=lhs, rhs=rhs, gap=(lhs - rhs).abs().max().item(),
                    output=out.reshape(self.resolution, self.resolution), offset=offset)

    def scene(self, **_):
        return None                                    # one static picture: axes, data, BN's line

    def alt(self, activation, sign, gamma_size, beta):
        s = self.state(activation, sign, gamma_size, beta)
        same = "coincide" if s["gap"] < 1e-12 else f"differ by up to {s['gap']:.2f}"
        return (f"One {activation} BN unit with γ = {s['gamma']:.2f} and β = {beta:.2f}. Left: the curves "
                f"a(γu + β) and c·a(u + β/γ) against u, which {same}. Right: the unit's output over the plane "
                f"(shades of blue), its switching line (red) and BN's hyperplane through the data mean (dashed).")

    def build(self, fig, **_) -> list:
        ax = fig.add_axes([0.07, 0.15, 0.40, 0.72])
        ax.axhline(0, color=GREY, lw=0.6)
        ax.axvline(0, color=GREY, lw=0.6)
        ax.set_xlim(-3, 3)
        ax.set_ylim(-6, 6)
        ax.set_xlabel("u = (⟨w, z⟩ − μ)/σ", fontsize=10)
        ax.tick_params(labelsize=9)
        lhs = ax.plot([], [], color=BLUE, lw=2.6, label="a(γu + β)")[0]
        rhs = ax.plot([], [], color=RED, lw=1.6, ls="--", label="c · a(u + β/γ)")[0]
        ax.legend(fontsize=9, loc="upper left")
        ax.set_title(" ", fontsize=11)
        ax2 = fig.add_axes([0.55, 0.03, 0.42, 0.84])
        image = ax2.imshow(np.zeros((self.resolution, self.resolution)), extent=self.extent, origin="lower",
                           cmap="Blues", vmin=-1, vmax=3, interpolation="nearest", aspect="auto")
        seg = hyperplane_segments(self.w, self.mu, self.extent)[0]
        bn_line = ax2.plot(seg[:, 0], seg[:, 1], color="0.25", lw=1.0, ls="--")[0]
        line = ax2.plot([], [], color=RED, lw=2.2)[0]
        points = draw_data(ax2, self.X, size=8)
        mean = ax2.plot(*self.X.mean(0).numpy(), marker="X", ms=9, color=RED, mec="white", zorder=6)[0]
        style_axes(ax2, self.extent)
        ax2.set_title(" ", fontsize=10)
        # the image moves, so everything drawn over it moves with it
        return [lhs, rhs, ax.title, image, bn_line, line, points, mean, ax2.title]

    def move(self, fig, artists, activation, sign, gamma_size, beta):
        s = self.state(activation, sign, gamma_size, beta)
        lhs, rhs, title, image, _, line, _, _, title2 = artists
        lhs.set_data(self.u.numpy(), s["lhs"].numpy())
        rhs.set_data(self.u.numpy(), s["rhs"].numpy())
        c = "|γ|" if activation == "abs" else "γ"
        ok = s["gap"] < 1e-12
        title.set_text(f"a(γu + β) vs {c}·a(u + β/γ): " + ("equal" if ok else f"max gap {s['gap']:.2f}"))
        title.set_color("black" if ok else RED)
        image.set_data(s["output"].numpy())
        seg = hyperplane_segments(self.w, s["offset"], self.extent)[0]
        line.set_data(([], []) if seg is None else (seg[:, 0], seg[:, 1]))
        shift = abs(beta / s["gamma"])
        title2.set_text(f"red line {shift:.2f}·σ/‖w‖ off BN's (dashed)")
        absorbable = ok or activation == "abs"
        verdict = ("γ can be absorbed into the next layer" if absorbable else
                   "γ < 0: not absorbable as it stands; flip w and μ first (Proposition 1 still holds)")
        return (f"γ = {s['gamma']:.2f}, β = {beta:.2f}: {verdict}. The unit switches on the line "
                f"⟨w, z⟩ = μ − σβ/γ = {s['offset'].item():.3f} (BN's μ = {self.mu.item():.3f}).")

    def fallback(self, gammas=(2.0, 1.0, 0.5, 0.2, -0.2, -0.5, -1.0, -2.0), *, beta: float = 0.5, dpi: int = 72):
        """A scrubbable animation for the static page: ``γ`` runs from positive to negative at fixed ``β``."""
        import matplotlib.pyplot as plt

        from ..plotting import scrubbable

        values = {**self.values, "beta": beta}
        fig = plt.figure(figsize=(7.6, 3.4), dpi=dpi)

        def frame(i):
            g = gammas[i]
            self.draw(fig, **{**values, "sign": 1 if g > 0 else -1, "gamma_size": abs(g)})

        return scrubbable(fig, frame, len(gammas))
