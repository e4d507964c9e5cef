"""Jitter: a BN network seen with the statistics of random mini-batches (Section 5, Figure 6).

In a training step every BN layer normalizes with the statistics of the current mini-batch
(eq. 3), computed layer by layer on the inputs the earlier layers produce *with those same
batch statistics*. So each mini-batch gives the network a slightly different partition and
decision boundary. This module draws those statistics for random mini-batches (optionally
with noise-controlled BN's extra noise, :mod:`bnexplained.noisy_bn`), evaluates the decision
function under each draw on a grid, and measures how much the boundary moves.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass


import torch

from .device import check_points
from .margins import binary_decision, decision_function
from .networks import SplineMLP, activate
from .noisy_bn import StatisticNoise
from .partition import make_grid

__all__ = ["minibatch_statistics", "layer_statistic_variances", "BoundaryDraws", "boundary_draws"]


def _check_bn(net) -> None:
    if not isinstance(net, SplineMLP):
        raise TypeError(f"net must be a bnx.SplineMLP, got {type(net).__name__}")
    if net.mode != "bn":
        raise ValueError(f"net must use BN (mode='bn') for its statistics to jitter, got mode={net.mode!r}")


@torch.no_grad()
def minibatch_statistics(net: SplineMLP, X, batch_size: int, draws: int, *, virtual_batch_size: int | None = None,
                         seed: int = 0) -> tuple[list, list]:
    """The statistics a training step uses, for ``draws`` random mini-batches of ``X`` (shape ``(N, D_0)``).

    Each mini-batch is ``batch_size`` distinct points; layer by layer its ``(μ_B, σ_B)`` (eq. 3)
    are computed on the layer inputs it produces, exactly as in training mode. With
    ``virtual_batch_size=m`` every layer's statistics get noise-controlled BN's noise
    (:func:`~bnexplained.noisy_bn.statistic_noise`), as a noise-controlled training step would.
    All draws are computed at once. Returns ``([μ_1..μ_L], [σ_1..σ_L])`` with ``μ_ℓ, σ_ℓ`` of
    shape ``(draws, D_ℓ)``: row ``r`` of every layer, given to ``net.set_statistics``, is draw ``r``.
    """
    _check_bn(net)
    p = net.layers[0].weight
    X = check_points(X, net.widths[0], name="X", min_count=2).to(dtype=p.dtype, device=p.device)
    n = batch_size
    if not isinstance(n, int) or isinstance(n, bool) or not 2 <= n <= len(X):
        raise ValueError(f"batch_size must be an int in 2..{len(X)} (the number of points), got {n!r}")
    if not isinstance(draws, int) or isinstance(draws, bool) or draws < 1:
        raise ValueError(f"draws must be a positive int, got {draws!r}")
    noise = None if virtual_batch_size is None else StatisticNoise(virtual_batch_size, seed=seed + 1)
    if noise is not None and virtual_batch_size >= n:
        raise ValueError(f"virtual_batch_size must be smaller than batch_size ({n}), got {virtual_batch_size}")
    gen = torch.Generator().manual_seed(int(seed))
    z = X[torch.rand(draws, len(X), generator=gen).argsort(1)[:, :n].to(X.device)]     # (draws, n, D_0)
    mus, sigmas = [], []
    for layer in net.layers:
        u = z @ layer.weight.T                                                         # (draws, n, D_ℓ)
        mu = u.mean(1)
        sigma = (u - mu[:, None]).pow(2).mean(1).sqrt()
        if not bool((sigma > 0).all()):
            raise ValueError("σ = 0 for some unit on some mini-batch (a zero-norm weight row, or a batch whose "
                             "points all give the same ⟨w, z⟩): eq. (2) is undefined; use a larger batch_size")
        if noise is not None:                          # every (draw, unit) pair as one unit of one batch
            flat = u.permute(1, 0, 2).reshape(n, -1)
            mu, sigma = (t.reshape(draws, -1) for t in noise(flat, mu.reshape(-1), sigma.reshape(-1)))
        mus.append(mu)
        sigmas.append(sigma)
        z = activate(layer.norm.gamma * (u - mu[:, None]) / sigma[:, None] + layer.norm.beta, net.slope)
    return mus, sigmas


@torch.no_grad()
def layer_statistic_variances(net: SplineMLP, X, batch_size: int, draws: int = 2000, *, seed: int = 0) -> dict:
    """Measured vs eq. (13) variances of every BN layer's ``μ, σ²`` over mini-batches of ``X``.

    Measured: over ``draws`` mini-batches of ``batch_size`` distinct points, each layer's
    statistics computed as in a training step (:func:`minibatch_statistics`). Predicted: eq. (13)
    for BN's biased ``σ²`` with ``s²`` and ``φ`` of the layer's values ``⟨w_{ℓ,k}, z⟩`` over all of
    ``X`` (whole-data statistics below), times the finite-population factor ``(N−n)/(N−1)``
    for ``μ``, as if the batch's layer inputs were i.i.d. Returns ``{"mu": [ratio_ℓ], "sigma2":
    [ratio_ℓ]}``, each ratio ``measured / predicted`` of shape ``(D_ℓ,)``.
    """
    from .batch_noise import statistic_variances

    _check_bn(net)
    stats = minibatch_statistics(net, X, batch_size, draws, seed=seed)
    p = net.layers[0].weight
    X = X.to(dtype=p.dtype, device=p.device)
    mus, sigmas = net.statistics_of(X)
    z = X
    out = {"mu": [], "sigma2": []}
    N, n = len(X), batch_size
    for i, layer in enumerate(net.layers):
        u = (z @ layer.weight.T).double()
        c = u - u.mean(0)
        var_mu, var_s2 = statistic_variances(c.pow(2).mean(0), c.pow(4).mean(0), n, estimator="biased")
        measured_mu = stats[0][i].double().var(0)
        measured_s2 = stats[1][i].double().pow(2).var(0)
        out["mu"].append((measured_mu / (var_mu * (N - n) / (N - 1))).cpu())
        out["sigma2"].append((measured_s2 / var_s2).cpu())
        z = activate(layer.norm.gamma * (z @ layer.weight.T - mus[i]) / sigmas[i] + layer.norm.beta, net.slope)
    return out


@dataclass
class BoundaryDraws:
    """Decision values on a grid under several mini-batch statistics.

    ``grid``: the :class:`~bnexplained.partition.Grid`; ``values``: ``(draws, H, W)`` decision
    values ``d`` under each draw's statistics; ``reference``: ``(H, W)`` under the stored
    (whole-data) statistics. ``flip_share``: per draw, the share of the grid's area classified
    differently from the reference; ``band``: ``(H, W)`` share of draws voting class 1; ``lines``:
    ``(per-draw boundary polylines, reference polylines)``. Derived values are computed once.
    """

    grid: object
    values: torch.Tensor
    reference: torch.Tensor

    @functools.cached_property
    def flip_share(self) -> torch.Tensor:
        votes = self.values.numpy() > 0
        return torch.as_tensor((votes != (self.reference.numpy() > 0)).mean((1, 2)))

    @functools.cached_property
    def band(self) -> torch.Tensor:
        return torch.as_tensor((self.values.numpy() > 0).mean(0))

    @property
    def mean_flip_share(self) -> float:
        """The boundary's spread: mean share of the area whose class a mini-batch's statistics flip."""
        return float(self.flip_share.mean())

    @functools.cached_property
    def lines(self) -> tuple[list, list]:
        import contourpy

        xs, ys = self.grid.xs.double().cpu().numpy(), self.grid.ys.double().cpu().numpy()

        def trace(v):
            gen = contourpy.contour_generator(xs, ys, v.double().numpy(), line_type="Separate")
            return [seg for seg in gen.lines(0.0) if len(seg) > 1]

        return [seg for v in self.values for seg in trace(v)], trace(self.reference)


@torch.no_grad()
def boundary_draws(net: SplineMLP, X, batch_size: int, draws: int, extent, resolution: int = 120, *,
                   virtual_batch_size: int | None = None, seed: int = 0) -> BoundaryDraws:
    """Figure 6: the decision function of ``net`` on a grid under ``draws`` mini-batches' statistics.

    ``net`` is a 2-D binary BN classifier whose stored statistics (the reference, e.g. fitted on
    all of ``X``) are set. The network itself is left unchanged.
    """
    _check_bn(net)
    if not net.statistics_set():
        raise ValueError("net has no stored statistics: call net.fit_statistics(X) first (the reference boundary)")
    stats = minibatch_statistics(net, X, batch_size, draws, virtual_batch_size=virtual_batch_size, seed=seed)
    p = net.layers[0].weight
    grid = make_grid(extent, resolution, dtype=p.dtype, device=p.device)
    ref = decision_function(net, grid.points).reshape(grid.shape)
    values = _decision_under(net, grid.points, *stats).reshape(draws, *grid.shape)
    return BoundaryDraws(grid, values.cpu(), ref.cpu())


def _decision_under(net: SplineMLP, points: torch.Tensor, mus: list, sigmas: list) -> torch.Tensor:
    """Decision values ``(K, P)`` of ``points`` ``(P, D_0)`` under ``K`` sets of statistics at once."""
    K = mus[0].shape[0]
    z = points.expand(K, *points.shape)
    for layer, mu, sigma in zip(net.layers, mus, sigmas):
        u = z @ layer.weight.T
        z = activate(layer.norm.gamma * (u - mu[:, None]) / sigma[:, None] + layer.norm.beta, net.slope)
    out = net.readout(z) if net.readout is not None else z
    return binary_decision(out.reshape(-1, out.shape[-1])).reshape(K, -1)
