"""Fully connected networks as continuous piecewise-affine splines (layers (1)–(2), Appendix A).

``SplineMLP`` is a stack of layers ``z_{ℓ} = a(h_ℓ)``, ``h_ℓ = s_ℓ ⊙ (W_ℓ z_{ℓ−1}) + t_ℓ``
(see :mod:`bnexplained.normalization`) with a piecewise-linear activation, and an optional
affine read-out. Layers are numbered ``1..L`` as in Appendix A; Python lists returned by the
methods are 0-based, so ``net.preactivations(x)[ℓ - 1]`` is ``h_ℓ``.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from .device import check_points
from .normalization import MODES, Normalization, NormalizedNetwork

__all__ = ["ACTIVATIONS", "SplineMLP", "code_slope", "activate", "gain"]

ACTIVATIONS = ("relu", "leaky_relu", "abs")


def code_slope(activation: str, alpha: float = 0.1) -> float:
    """The slope ``α`` on the negative side, the value a code takes there (Appendix A).

    ReLU: 0, leaky-ReLU: ``alpha``, absolute value: −1.
    """
    if activation == "relu":
        return 0.0
    if activation == "leaky_relu":
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1) for leaky_relu, got {alpha!r}")
        return float(alpha)
    if activation == "abs":
        return -1.0
    raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


def activate(h: torch.Tensor, slope: float) -> torch.Tensor:
    """``a(h) = q ⊙ h`` with ``q = 1`` where ``h ≥ 0`` and ``q = slope`` elsewhere."""
    return torch.where(h >= 0, h, slope * h)


def gain(activation: str, slope: float) -> float:
    """Weight scale that keeps the second moment of ``z`` roughly constant through depth."""
    return (2.0 / (1.0 + slope ** 2)) ** 0.5


@dataclass
class Trace:
    """One forward pass, layer by layer: inputs ``z_0..z_L``, pre-activations ``h_1..h_L``,
    the per-unit scales/shifts used, and the output."""

    inputs: list
    preactivations: list
    scales: list
    shifts: list
    output: torch.Tensor


class SplineLayer(nn.Module):
    """One layer of eq. (1) or (2) before its activation: ``h = s ⊙ (W z) + t``."""

    def __init__(self, weight: torch.Tensor, norm: Normalization):
        super().__init__()
        self.weight = nn.Parameter(weight)
        self.norm = norm

    @property
    def mode(self) -> str:
        return self.norm.mode

    def forward(self, z: torch.Tensor, statistics: str = "batch") -> torch.Tensor:
        return self.norm(z @ self.weight.T, statistics)


class SplineMLP(NormalizedNetwork, nn.Module):
    """A fully connected spline network whose BN statistics, ``γ`` and ``β`` you can set by hand.

    Parameters
    ----------
    widths : ``[D_0, D_1, ..., D_L]``: the input dimension, then the width of each layer.
    activation : ``"relu"``, ``"leaky_relu"`` (slope ``alpha``) or ``"abs"``.
    mode : ``"bn"`` (eq. 2), ``"zero_bias"`` or ``"random_bias"`` (eq. 1, ``c ~ N(0, bias_std²)``).
    out_features : if given, an affine read-out ``W_{L+1} z_L + c`` (zero bias, no activation).
    learnable_affine : make ``γ, β`` trainable parameters (``mode="bn"`` only).
    seed : weights are drawn on the CPU from this seed (same network on every device).

    ``forward``, ``preactivations`` and ``layer_inputs`` keep the autograd graph; the read-only
    geometry (``codes``, ``signs``, ``affine_maps``, ``preactivation_maps``) runs without it.

    Statistics: in ``train()`` mode BN layers use the statistics of the batch they are given
    (eq. 3); in ``eval()`` mode they use the stored ones (``fit_statistics``/``set_statistics``).
    Every method also takes ``statistics="batch"`` or ``"stored"`` to choose explicitly.
    """

    def __init__(self, widths: Sequence[int], activation: str = "leaky_relu", mode: str = "bn", *,
                 alpha: float = 0.1, out_features: int | None = None, learnable_affine: bool = False,
                 bias_std: float = 1.0, seed: int = 0, dtype: torch.dtype = torch.float32,
                 device: torch.device | str | None = None):
        super().__init__()
        widths = list(widths)
        if len(widths) < 2 or not all(isinstance(w, int) and not isinstance(w, bool) and w >= 1
                                      for w in widths):
            raise ValueError(f"widths must list at least two positive ints [D_0, D_1, ...], got {widths!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
            raise TypeError(f"dtype must be a floating-point torch dtype (torch.float32 or torch.float64), "
                            f"got {dtype!r}")
        self.slope = code_slope(activation, alpha)
        self.activation = activation
        self.alpha = float(alpha)
        self.mode = mode
        self.widths = widths
        gen = torch.Generator().manual_seed(int(seed))
        layers = []
        for d_in, d_out in zip(widths[:-1], widths[1:]):
            w = torch.randn(d_out, d_in, generator=gen, dtype=torch.float64)
            w *= gain(activation, self.slope) / d_in ** 0.5
            norm = Normalization(d_out, mode, learnable_affine=learnable_affine, bias_std=bias_std,
                                 generator=gen, dtype=dtype)
            layers.append(SplineLayer(w.to(dtype), norm))
        self.layers = nn.ModuleList(layers)
        self.readout = None
        if out_features is not None:
            if not isinstance(out_features, int) or out_features < 1:
                raise ValueError(f"out_features must be a positive int, got {out_features!r}")
            self.readout = nn.Linear(widths[-1], out_features, dtype=dtype)
            with torch.no_grad():
                w = torch.randn(out_features, widths[-1], generator=gen, dtype=torch.float64)
                self.readout.weight.copy_(w / widths[-1] ** 0.5)
                self.readout.bias.zero_()
        if device is not None:
            self.to(device)

    @classmethod
    def from_weights(cls, weights: Sequence, activation: str = "leaky_relu", mode: str = "bn", *,
                     biases: Sequence | None = None, readout=None, **kwargs) -> "SplineMLP":
        """Build a network from given weight matrices ``W_1..W_L`` (and biases for plain modes).

        ``readout`` is an optional ``(W, c)`` pair for the affine read-out.
        """
        ws = [torch.as_tensor(w) for w in weights]
        if not ws or any(w.ndim != 2 for w in ws):
            raise ValueError("weights must be a non-empty list of 2-D matrices W_1..W_L")
        for i, (a, b) in enumerate(zip(ws[:-1], ws[1:])):
            if b.shape[1] != a.shape[0]:
                raise ValueError(f"weights: W_{i + 2} has {b.shape[1]} columns but W_{i + 1} has "
                                 f"{a.shape[0]} rows")
        widths = [ws[0].shape[1]] + [w.shape[0] for w in ws]
        out = None if readout is None else torch.as_tensor(readout[0]).shape[0]
        net = cls(widths, activation, mode, out_features=out, **kwargs)
        with torch.no_grad():
            for layer, w in zip(net.layers, ws):
                layer.weight.copy_(w)
            if biases is not None:
                if mode == "bn":
                    raise ValueError("biases are only used by plain layers; mode='bn' uses μ and β")
                for layer, c in zip(net.layers, biases):
                    layer.norm.bias.copy_(torch.as_tensor(c))
            if readout is not None:
                net.readout.weight.copy_(torch.as_tensor(readout[0]))
                net.readout.bias.copy_(torch.as_tensor(readout[1]))
        return net

    # ------------------------------------------------------------------ basics
    def _prepare(self, x, statistics: str) -> torch.Tensor:
        p = self._param()
        need = 2 if (self.mode == "bn" and statistics == "batch") else 1
        x = check_points(x, self.widths[0], name="x")
        if x.shape[0] < need:
            raise ValueError("x is a batch of one, but BN in batch mode needs at least 2 inputs "
                             "(σ would be 0); use stored statistics (net.eval()) instead")
        return x.to(dtype=p.dtype, device=p.device)

    # ------------------------------------------------------------------ forward passes
    def trace(self, x, statistics: str | None = None) -> Trace:
        """Run ``x`` (shape ``(N, D_0)``) through the network and keep every intermediate."""
        statistics = self._statistics(statistics)
        z = self._prepare(x, statistics)
        inputs, pre, scales, shifts = [z], [], [], []
        for layer in self.layers:
            u = z @ layer.weight.T
            s, t = layer.norm.scale_shift(u, statistics)
            h = s * u + t
            z = activate(h, self.slope)
            pre.append(h)
            scales.append(s)
            shifts.append(t)
            inputs.append(z)
        out = self.readout(z) if self.readout is not None else z
        return Trace(inputs, pre, scales, shifts, out)

    def forward(self, x, statistics: str | None = None) -> torch.Tensor:
        """The network's output: ``z_L``, or the read-out of it. Shape ``(N, D_out)``."""
        return self._back(self.trace(x, statistics).output, x)

    def preactivations(self, x, statistics: str | None = None) -> list:
        """Eq. (4) with ``γ, β``: ``[h_1, ..., h_L]``, each of shape ``(N, D_ℓ)``."""
        return [self._back(h, x) for h in self.trace(x, statistics).preactivations]

    def layer_inputs(self, x, statistics: str | None = None) -> list:
        """``[z_0 = x, z_1, ..., z_L]``: the input of every layer (and the last layer's output)."""
        return [self._back(z, x) for z in self.trace(x, statistics).inputs]

    @torch.no_grad()
    def codes(self, x, statistics: str | None = None) -> list:
        """Appendix A codes ``[q_1, ..., q_L]``: ``1`` where ``h ≥ 0``, the slope ``α`` elsewhere."""
        return [self._back(torch.where(h >= 0, torch.ones_like(h), torch.full_like(h, self.slope)), x)
                for h in self.trace(x, statistics).preactivations]

    @torch.no_grad()
    def signs(self, x, statistics: str | None = None) -> torch.Tensor:
        """All units' activation states as one boolean tensor ``(N, D_1 + ... + D_L)``.

        Two inputs lie in the same region of the partition exactly when their rows agree.
        """
        return self._back(torch.cat([h >= 0 for h in self.trace(x, statistics).preactivations], 1), x)

    def _maps(self, tr: Trace, stop: int):
        """Yield, layer by layer, ``(G, g, A, B)``: ``h_ℓ = G x + g`` and ``z_ℓ = A x + B`` locally."""
        z0 = tr.inputs[0]
        n, d0 = z0.shape
        A = torch.eye(d0, dtype=z0.dtype, device=z0.device).expand(n, d0, d0)
        B = torch.zeros(n, d0, dtype=z0.dtype, device=z0.device)
        for lay, h, s, t in zip(self.layers[:stop], tr.preactivations, tr.scales, tr.shifts):
            w_eff = s[:, None] * lay.weight                       # rows γ_k w_k / σ_k
            G = torch.matmul(w_eff, A)
            g = B @ w_eff.T + t
            q = torch.where(h >= 0, torch.ones_like(h), torch.full_like(h, self.slope))
            A, B = q[:, :, None] * G, q * g                       # (17), (18)
            yield G, g, A, B

    @torch.no_grad()
    def affine_maps(self, x, layer: int | None = None, statistics: str | None = None):
        """Eqs. (16)–(18): per-input ``A(x)`` of shape ``(N, D_out, D_0)`` and ``B(x)`` of shape
        ``(N, D_out)`` such that ``A(x) x + B(x)`` equals the forward pass.

        ``layer=ℓ`` (1..L) gives the map of ``z_ℓ``; ``None`` the network's output (read-out
        included). With BN, ``W_i → W_i/σ_i`` rowwise and ``b_i → −μ_i/σ_i`` (times ``γ``, plus ``β``).
        """
        if layer is not None and not (isinstance(layer, int) and 1 <= layer <= self.depth):
            raise ValueError(f"layer must be an int in 1..{self.depth} or None, got {layer!r}")
        tr = self.trace(x, statistics)
        stop = self.depth if layer is None else layer
        for _, _, A, B in self._maps(tr, stop):
            pass
        if layer is None and self.readout is not None:
            A = torch.matmul(self.readout.weight, A)
            B = B @ self.readout.weight.T + self.readout.bias
        return self._back(A, x), self._back(B, x)

    @torch.no_grad()
    def preactivation_maps(self, x, statistics: str | None = None) -> list:
        """``[(G_1, g_1), ..., (G_L, g_L)]`` with ``h_ℓ(x) = G_ℓ(x) x + g_ℓ(x)`` on ``x``'s region.

        ``G_ℓ`` has shape ``(N, D_ℓ, D_0)``: row ``k`` is the input-space gradient of ``h_{ℓ,k}``,
        the normal of the facet of the folded hyperplane ``F_{ℓ,k}`` (eq. 11) in this region.
        """
        tr = self.trace(x, statistics)
        return [(self._back(G, x), self._back(g, x)) for G, g, _, _ in self._maps(tr, self.depth)]

    # ------------------------------------------------------------------ BN statistics
    @torch.no_grad()
    def statistics_of(self, X, *, dtype: torch.dtype | None = None) -> tuple[list, list]:
        """Eq. (3) for every layer when the whole of ``X`` is one batch: ``([μ_ℓ], [σ_ℓ])``.

        Layer ℓ's statistics are those of the inputs produced by layers ``1..ℓ−1`` normalized
        with ``X``'s own statistics, exactly what a BN network computes in training mode.
        Computed in the network's dtype, or in ``dtype`` (e.g. ``torch.float64``) with the same weights.
        """
        self._require_bn("statistics_of")
        z = self._prepare(X, "batch")
        if dtype is not None:
            z = z.to(dtype)
        mus, sigmas = [], []
        for layer in self.layers:
            w, gamma, beta = (t if dtype is None else t.to(dtype)
                              for t in (layer.weight, layer.norm.gamma, layer.norm.beta))
            u = z @ w.T
            mu, sigma = layer.norm.batch_statistics(u)
            mus.append(mu)
            sigmas.append(sigma)
            s = gamma / sigma
            z = activate(s * (u - mu) + beta, self.slope)
        return mus, sigmas

    def fit_statistics(self, X) -> "SplineMLP":
        """Freeze ``μ, σ`` of every layer to their whole-data values on ``X`` (smart initialization).

        The stored values are computed in the network's dtype; they are also kept as computed in
        float64 from the same weights (:meth:`Normalization.exact_statistics`), which the exact tools
        read, so that a float32 network's BN lines meet in one point as a float64 one's do.
        """
        mus, sigmas = self.statistics_of(X)
        self.set_statistics(mus, sigmas)
        if self._param().dtype != torch.float64:
            exact = self.statistics_of(X, dtype=torch.float64)
            for layer, mu, sigma in zip(self.layers, *exact):
                layer.norm.set_statistics(layer.norm.mu, layer.norm.sigma, exact=(mu, sigma))
        return self

    def as_plain(self, statistics: str = "stored", X=None) -> "SplineMLP":
        """The same function as a plain network (eq. 1): ``W_ℓ → diag(γ/σ) W_ℓ``, ``c_ℓ = β − γμ/σ``.

        This is the paper's smart initialization turned into an ordinary network: BN's
        statistics become weights and biases that SGD then trains with no BN (Section 4).
        With ``statistics="batch"`` the statistics of ``X`` are used.
        """
        self._require_bn("as_plain")
        if statistics == "batch":
            if X is None:
                raise ValueError("X is required when statistics='batch'")
            src = copy.deepcopy(self).fit_statistics(X)
        elif statistics == "stored":
            src = self
        else:
            raise ValueError(f"statistics must be 'batch' or 'stored', got {statistics!r}")
        folded = src.folded_scale_shift()
        weights = [(s[:, None] * layer.weight).detach().clone() for (s, _), layer in zip(folded, src.layers)]
        biases = [t for _, t in folded]
        readout = None
        if self.readout is not None:
            readout = (self.readout.weight.detach().clone(), self.readout.bias.detach().clone())
        p = self._param()
        return SplineMLP.from_weights(weights, self.activation, "random_bias", biases=biases, readout=readout,
                                      alpha=self.alpha, dtype=p.dtype, device=p.device)

    def extra_repr(self) -> str:
        return f"widths={self.widths}, activation={self.activation!r}, mode={self.mode!r}"
