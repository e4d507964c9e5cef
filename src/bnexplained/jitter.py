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
from torch import nn

from .device import check_points
from .margins import binary_decision, decision_function
from .networks import SplineMLP
from .noisy_bn import StatisticNoise
from .partition import make_grid
from .sequential import Activation, Affine, Normalize, Residual, Save, SplineNetwork, UnsupportedNetwork, as_network

__all__ = ["minibatch_statistics", "layer_statistic_variances", "BoundaryDraws", "boundary_draws"]


def _bn_network(net, X) -> SplineNetwork:
    """``net`` (a BN ``SplineMLP`` or a supported ``nn.Sequential`` with ``BatchNorm1d``) read through
    :func:`~bnexplained.sequential.as_network`, for its structure: the statistics are redrawn here
    (a network without stored or running statistics is read with those of ``X``)."""
    if isinstance(net, SplineMLP) and net.mode != "bn":
        raise ValueError(f"net must use BN (mode='bn') for its statistics to jitter, got mode={net.mode!r}")
    unset = (not net.statistics_set() if isinstance(net, SplineMLP) else isinstance(net, nn.Module) and any(
        isinstance(m, nn.BatchNorm1d) and m.running_mean is None for m in net.modules()))
    network = as_network(net, X if unset else None, batch_name="X")
    if isinstance(net, nn.Module):
        for name, m in net.named_modules():
            if isinstance(m, Residual) and m.shortcut is not None and any(
                    isinstance(b, nn.BatchNorm1d) for b in m.shortcut.modules()):
                raise UnsupportedNetwork(
                    f"net.{name}.shortcut holds a BatchNorm1d: the shortcut is read as one fixed affine map, so "
                    "its statistics could not be redrawn with the others; the jitter tools take BN layers on "
                    "the main path only (a Linear shortcut is fine)")
    if not any(isinstance(s, Normalize) for s in network.steps):
        raise ValueError(f"net has no BN layer (a BatchNorm1d, or a SplineMLP with mode='bn') whose statistics "
                         f"could jitter: {network!r}")
    return network


def _bn_names(network: SplineNetwork) -> list:
    """Where each BN step of ``network`` sits, for reports."""
    return [s.name for s in network.steps if isinstance(s, Normalize)]


def _linear(z, s: Affine, dtype) -> torch.Tensor:
    """``z Wᵀ + b``, the sum in place on the product (as ``z @ W.T + b`` rounds)."""
    return (z @ s.weight.to(dtype).T).add_(s.bias.to(dtype))


def _activate(z, slope, owned: bool) -> torch.Tensor:
    """``z`` where ``z ≥ 0``, else ``slope · z``; one slope for all units takes one fused pass."""
    first = slope[0]
    if not bool((slope == first).all()):
        return torch.where(z >= 0, z, slope * z)
    a = float(first)
    if a == 0:
        return z.clamp_min_(0) if owned else z.clamp_min(0)
    if a == -1:
        return z.abs_() if owned else z.abs()
    return torch.nn.functional.leaky_relu(z, a, inplace=owned)


def _walk(network: SplineNetwork, z: torch.Tensor, dtype, *, stats=None, noise=None, keep: bool = False):
    """Run ``z`` ``(K, n, D_0)`` through the steps with every BN step normalizing by draw ``k``'s statistics.
    (With ``stats`` given, ``z`` may be ``(n, D_0)``, the same points for every draw: the steps before
    the first BN step then run once, not ``K`` times.)

    ``stats=None``: each draw's own batch statistics (eq. 3), computed layer by layer on the inputs
    the earlier layers produce with those same statistics (with ``noise``, noise-controlled BN's,
    one call per BN step over all draws at once); else ``stats = (mus, sigmas)`` as returned.
    Returns ``(output (K, n, D_out), mus, sigmas, us)`` (``us``: each BN step's inputs when ``keep``).
    """
    mus, sigmas, us, saved = [], [], [], []
    given = None if stats is None else (iter(stats[0]), iter(stats[1]))
    owned = False                    # z was made here and nothing else holds it: it may be updated in place
    for s in network.steps:
        if isinstance(s, Normalize):
            u = z if s.linear is None else _linear(z, s.linear, dtype)
            if given is None:
                mu = u.mean(1)
                sigma = (u - mu[:, None]).pow(2).mean(1).sqrt()
                if s.eps == 0 and not bool((sigma > 0).all()):
                    raise ValueError("σ = 0 for some unit on some mini-batch (a zero-norm weight row, or a batch "
                                     "whose points all give the same ⟨w, z⟩): eq. (2) is undefined; use a larger "
                                     "batch_size")
                if noise is not None:                  # every (draw, unit) pair as one unit of one batch
                    n = u.shape[1]
                    flat = u.permute(1, 0, 2).reshape(n, -1)
                    mu, sigma = (t.reshape(len(u), -1) for t in noise(flat, mu.reshape(-1), sigma.reshape(-1)))
            else:
                mu, sigma = next(given[0]), next(given[1])
            mus.append(mu)
            sigmas.append(sigma)
            if keep:
                us.append(u)
            std = sigma if s.eps == 0 else (sigma.pow(2) + s.eps).sqrt()
            # γ (u − μ) / std + β, operation by operation as written (the same rounding), in place
            z = u - mu[:, None] if keep or s.linear is None or u.dim() == 2 else u.sub_(mu[:, None])
            z = z.mul_(s.gamma.to(dtype)).div_(std[:, None]).add_(s.beta.to(dtype))
        elif isinstance(s, Affine):
            z = _linear(z, s, dtype)
        elif isinstance(s, Activation):
            z = _activate(z, s.slope.to(dtype), owned)
        elif isinstance(s, Save):
            saved.append(z)
        else:
            skip = saved.pop()
            if s.shortcut is not None:
                skip = _linear(skip, s.shortcut, dtype)
            z = z + skip
        owned = not isinstance(s, Save)
    return z, mus, sigmas, us


def _dtype(net, network: SplineNetwork):
    return net.layers[0].weight.dtype if isinstance(net, SplineMLP) else network.dtype


def _batches(net, network, X, batch_size, draws, seed):
    """``(X, Z)``: the validated points and ``draws`` random mini-batches ``(draws, n, D_0)`` of them."""
    X = check_points(X, network.widths[0], name="X", min_count=2).to(dtype=_dtype(net, network),
                                                                      device=network.device)
    n = batch_size
    if not isinstance(n, int) or isinstance(n, bool) or not 2 <= n <= len(X):
        raise ValueError(f"batch_size must be an int in 2..{len(X)} (the number of points), got {n!r}")
    if not isinstance(draws, int) or isinstance(draws, bool) or draws < 1:
        raise ValueError(f"draws must be a positive int, got {draws!r}")
    gen = torch.Generator().manual_seed(int(seed))
    return X, X[torch.rand(draws, len(X), generator=gen).argsort(1)[:, :n].to(X.device)]


@torch.no_grad()
def minibatch_statistics(net, X, batch_size: int, draws: int, *, virtual_batch_size: int | None = None,
                         seed: int = 0) -> tuple[list, list]:
    """The statistics a training step uses, for ``draws`` random mini-batches of ``X`` (shape ``(N, D_0)``).

    ``net``: a BN ``SplineMLP`` or a supported ``nn.Sequential`` with ``BatchNorm1d`` layers
    (:func:`~bnexplained.sequential.as_network`). Each mini-batch is ``batch_size`` distinct points;
    BN layer by BN layer its ``(μ_B, σ_B)`` (eq. 3) are computed on the inputs it produces, exactly
    as in training mode. With ``virtual_batch_size=m`` every BN layer's statistics get
    noise-controlled BN's noise (:func:`~bnexplained.noisy_bn.statistic_noise`), as a noise-controlled
    training step would. All draws are computed at once, in the network's dtype. Returns
    ``([μ_1, ...], [σ_1, ...])``, one entry per BN layer in order (a ``SplineMLP``'s layers ``1..L``),
    each of shape ``(draws, D)``: row ``r`` of every layer, given to ``net.set_statistics``, is draw ``r``.
    """
    return _statistics(net, _bn_network(net, X), X, batch_size, draws, virtual_batch_size, seed)


def _statistics(net, network, X, batch_size, draws, virtual_batch_size, seed) -> tuple[list, list]:
    """:func:`minibatch_statistics` of ``net`` already read as ``network``."""
    noise = None if virtual_batch_size is None else StatisticNoise(virtual_batch_size, seed=seed + 1)
    if noise is not None and virtual_batch_size >= batch_size:
        raise ValueError(f"virtual_batch_size must be smaller than batch_size ({batch_size}), got {virtual_batch_size}")
    X, z = _batches(net, network, X, batch_size, draws, seed)
    _, mus, sigmas, _ = _walk(network, z, X.dtype, noise=noise)
    return mus, sigmas


@torch.no_grad()
def layer_statistic_variances(net, X, batch_size: int, draws: int = 2000, *, seed: int = 0) -> dict:
    """Measured vs eq. (13) variances of every BN layer's ``μ, σ²`` over mini-batches of ``X``.

    Measured: over ``draws`` mini-batches of ``batch_size`` distinct points, each BN layer's
    statistics computed as in a training step (:func:`minibatch_statistics`). Predicted: eq. (13)
    for BN's biased ``σ²`` with ``s²`` and ``φ`` of the layer's values ``⟨w_{ℓ,k}, z⟩`` over all of
    ``X`` (whole-data statistics below), times the finite-population factor ``(N−n)/(N−1)``
    for ``μ``, as if the batch's layer inputs were i.i.d. ``net`` as for :func:`minibatch_statistics`.
    Returns ``{"mu": [ratio], "sigma2": [ratio], "layers": [names]}``, one ratio ``measured / predicted``
    of shape ``(D,)`` per BN layer.
    """
    from .batch_noise import statistic_variances

    network = _bn_network(net, X)
    stats = _statistics(net, network, X, batch_size, draws, None, seed)
    X = _batches(net, network, X, batch_size, 1, seed)[0]
    _, _, _, us = _walk(network, X[None], X.dtype, keep=True)     # whole-data statistics, layer by layer
    out = {"mu": [], "sigma2": [], "layers": _bn_names(network)}
    N, n = len(X), batch_size
    for i, u in enumerate(us):
        c = u[0].double() - u[0].double().mean(0)
        var_mu, var_s2 = statistic_variances(c.pow(2).mean(0), c.pow(4).mean(0), n, estimator="biased")
        measured_mu = stats[0][i].double().var(0)
        measured_s2 = stats[1][i].double().pow(2).var(0)
        out["mu"].append((measured_mu / (var_mu * (N - n) / (N - 1))).cpu())
        out["sigma2"].append((measured_s2 / var_s2).cpu())
    return out


@dataclass
class BoundaryDraws:
    """Decision values on a grid under several mini-batch statistics.

    ``grid``: the :class:`~bnexplained.partition.Grid`; ``values``: ``(draws, H, W)`` decision
    values ``d`` under each draw's statistics; ``reference``: ``(H, W)`` under the stored
    (whole-data) statistics. ``flip_share``: per draw, the share of the grid's area classified
    differently from the reference; ``band``: ``(H, W)`` share of draws voting class 1; ``lines``:
    ``(per-draw boundary polylines, reference polylines)``. Derived values are computed once.
    ``layers``: the BN layers whose statistics were drawn.
    """

    grid: object
    values: torch.Tensor
    reference: torch.Tensor
    layers: tuple = ()

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
def boundary_draws(net, X, batch_size: int, draws: int, extent, resolution: int = 120, *,
                   virtual_batch_size: int | None = None, seed: int = 0, reference=None) -> BoundaryDraws:
    """Figure 6: the decision function of ``net`` on a grid under ``draws`` mini-batches' statistics.

    ``net`` is a 2-D binary BN classifier: a ``SplineMLP`` whose stored statistics (the reference,
    e.g. fitted on all of ``X``) are set, or a supported ``nn.Sequential`` with ``BatchNorm1d``
    layers, whose running statistics are the reference. The network itself is left unchanged;
    ``layers`` of the result names the BN layers whose statistics were drawn. ``reference``: the
    ``reference`` of an earlier result for the same network, extent and resolution (a dashboard
    reuses it across settings instead of recomputing it).
    """
    network = _bn_network(net, X)
    if isinstance(net, SplineMLP) and not net.statistics_set():
        raise ValueError("net has no stored statistics: call net.fit_statistics(X) first (the reference boundary)")
    stats = _statistics(net, network, X, batch_size, draws, virtual_batch_size, seed)
    dtype = _dtype(net, network)
    grid = make_grid(extent, resolution, dtype=dtype, device=network.device)
    if reference is not None:
        if not isinstance(reference, torch.Tensor) or reference.shape != grid.shape:
            raise ValueError(f"reference must be an earlier result's reference of shape {tuple(grid.shape)} "
                             f"(the same resolution), got {getattr(reference, 'shape', type(reference).__name__)}")
        ref = reference
    elif isinstance(net, SplineMLP):
        ref = decision_function(net, grid.points)
    else:                                     # the running statistics (refused when there are none)
        ref = binary_decision(as_network(net)(grid.points, dtype=dtype))
    out = _walk(network, grid.points, dtype, stats=stats)[0]          # the same grid under every draw
    values = binary_decision(out.reshape(-1, out.shape[-1])).reshape(draws, *grid.shape)
    return BoundaryDraws(grid, values.cpu(), ref.reshape(grid.shape).cpu(), tuple(_bn_names(network)))
