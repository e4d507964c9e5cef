"""The decision boundary of a binary classifier, and Proposition 3's mini-batches (Appendix D.4).

A binary classifier's decision value is ``f(x) = ⟨w_L, z_{L−1}(x)⟩ + c_L`` (one read-out unit;
for two logits, their difference). Its zero set is the decision boundary, the folded hyperplane
of the last layer. Proposition 3 says that with leaky-ReLU, BN at layers ``1..L−1`` and
``c_L = 0``, every mini-batch has points on both sides of it at initialization, when each
mini-batch is normalized with its own statistics (eq. 3). Here we evaluate many mini-batches
at once, each with its own statistics, and count the *one-sided* ones, where no point lies on
one of the two sides.
"""
from __future__ import annotations

import numpy as np
import torch

from .device import check_points
from .networks import SplineMLP, activate
from .partition import make_grid

__all__ = ["decision_values", "batch_decision_values", "one_sided_batches", "one_sided_rates",
           "decision_grid", "zero_set_lines", "decision_boundary_lines", "READOUTS"]

READOUTS = ("zero_bias", "centred")


def _check_binary(net) -> None:
    if not isinstance(net, SplineMLP):
        raise TypeError(f"net must be a bnx.SplineMLP, got {type(net).__name__}")
    if net.readout is None or net.readout.out_features not in (1, 2):
        raise ValueError("net must be a binary classifier: a SplineMLP with out_features=1 (the decision "
                         "value) or out_features=2 (two logits)")


def _decision(out: torch.Tensor) -> torch.Tensor:
    return out[..., 0] if out.shape[-1] == 1 else out[..., 1] - out[..., 0]


def decision_values(net, x, statistics: str | None = None) -> torch.Tensor:
    """``f(x)``, shape ``(N,)``: the read-out (``out_features=1``) or the logit difference (2)."""
    _check_binary(net)
    return _decision(net(x, statistics=statistics)).detach()


@torch.no_grad()
def batch_decision_values(net, batches, *, readout: str = "zero_bias") -> tuple[torch.Tensor, torch.Tensor]:
    """Decision values of many mini-batches at once, each normalized with its own statistics (eq. 3).

    ``batches`` has shape ``(B, n, D_0)``: ``B`` mini-batches of ``n ≥ 2`` points. Returns
    ``(f, defined)``: ``f`` of shape ``(B, n)`` and a boolean ``(B,)`` that is false where some
    unit has ``σ = 0`` on that batch (eq. 2 undefined; those rows of ``f`` are NaN).
    ``readout="centred"`` subtracts each batch's mean decision value (``c_L = −⟨w_L, z̄⟩``, BN's
    centring applied to the read-out too) instead of keeping ``c_L``.
    """
    _check_binary(net)
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
    p = net.layers[0].weight
    b = torch.as_tensor(batches)
    if b.ndim != 3 or b.shape[2] != net.widths[0]:
        raise ValueError(f"batches must have shape (B, n, {net.widths[0]}), got {tuple(b.shape)}")
    if b.shape[1] < 2:
        raise ValueError("batches must hold at least 2 points each: BN's σ is 0 on a batch of one")
    if not torch.isfinite(b).all():
        raise ValueError("batches contain NaN or infinite values")
    z = b.to(dtype=p.dtype, device=p.device)
    defined = torch.ones(z.shape[0], dtype=torch.bool, device=p.device)
    for layer in net.layers:
        u = z @ layer.weight.T
        norm = layer.norm
        if norm.mode == "bn":
            mu = u.mean(1, keepdim=True)
            sigma = (u - mu).pow(2).mean(1, keepdim=True).sqrt()
            defined &= (sigma > 0).all(-1).squeeze(-1)
            h = norm.gamma * (u - mu) / sigma + norm.beta
        else:
            h = u + norm.bias
        z = activate(h, net.slope)
    f = _decision(net.readout(z))
    if readout == "centred":
        f = f - f.mean(1, keepdim=True)
    f = torch.where(defined[:, None], f, torch.full_like(f, float("nan")))
    return f, defined


def _sample_batches(n_points: int, batch_size: int, batches: int, gen: torch.Generator) -> torch.Tensor:
    """``(batches, batch_size)`` indices, each row a draw without replacement."""
    return torch.rand(batches, n_points, generator=gen).argsort(1)[:, :batch_size]


@torch.no_grad()
def one_sided_batches(net, X, batch_size: int, *, batches: int = 200, seed: int = 0,
                      readout: str = "zero_bias") -> tuple[torch.Tensor, torch.Tensor]:
    """Draw ``batches`` random mini-batches of ``X`` (shape ``(N, D_0)``) and test each.

    Returns ``(one_sided, defined)``, booleans of shape ``(batches,)``: ``one_sided`` is true where
    no point of the batch has ``f > 0`` or none has ``f < 0`` (Proposition 3 fails on that batch);
    ``defined`` is false where BN is undefined on the batch (some ``σ = 0``).
    """
    _check_binary(net)
    X = check_points(X, net.widths[0], name="X", min_count=2)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or not 2 <= batch_size <= len(X):
        raise ValueError(f"batch_size must be an int in 2..{len(X)} (len(X)), got {batch_size!r}")
    if not isinstance(batches, int) or batches < 1:
        raise ValueError(f"batches must be a positive int, got {batches!r}")
    idx = _sample_batches(len(X), batch_size, batches, torch.Generator().manual_seed(int(seed)))
    f, defined = batch_decision_values(net, X[idx], readout=readout)
    both = (f > 0).any(1) & (f < 0).any(1)
    return ~both & defined, defined


@torch.no_grad()
def one_sided_rates(X, widths, batch_sizes, *, hidden=(8, 8), networks: int = 10, batches: int = 200,
                    alpha: float = 0.1, readout: str = "zero_bias", output_bias: float = 0.0,
                    seed: int = 0) -> dict:
    """Proposition 3's numerical search: the share of one-sided mini-batches by width and batch size.

    For each last-hidden-layer width ``D_{L−1}`` in ``widths`` we draw ``networks`` random
    leaky-ReLU BN networks ``[D_0, *hidden, D_{L−1}]`` with a one-unit read-out (weights
    ``N(0, 1/D_{L−1})``, bias ``c_L = output_bias``; the proposition takes 0) and test
    ``batches`` random mini-batches of each size. Returns a dict with ``rates`` (a float64
    tensor ``(len(widths), len(batch_sizes))``), ``counts`` (one-sided batches), ``defined``
    (batches where BN is defined), and the settings.
    """
    X = check_points(X, None, name="X", min_count=2)
    widths, batch_sizes = list(widths), list(batch_sizes)
    for name, values in (("widths", widths), ("batch_sizes", batch_sizes)):
        if not values or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in values):
            raise ValueError(f"{name} must be a non-empty list of positive ints, got {values!r}")
    if not isinstance(networks, int) or networks < 1:
        raise ValueError(f"networks must be a positive int, got {networks!r}")
    if not np.isfinite(output_bias):
        raise ValueError(f"output_bias must be finite, got {output_bias!r}")
    from .smart_init import one_thread         # small tensors: one CPU thread is faster

    counts = torch.zeros(len(widths), len(batch_sizes), dtype=torch.long)
    defined = torch.zeros_like(counts)
    with one_thread(X.device.type == "cpu"):
        _search(X.to(torch.float64), widths, batch_sizes, hidden, networks, batches, alpha, readout, output_bias,
                seed, counts, defined)
    rates = counts.double() / defined.clamp_min(1).double()
    return dict(rates=rates, counts=counts, defined=defined, widths=widths, batch_sizes=batch_sizes,
                hidden=tuple(hidden), networks=networks, batches=batches, alpha=alpha, readout=readout,
                output_bias=float(output_bias))


@torch.no_grad()
def _search(X64, widths, batch_sizes, hidden, networks, batches, alpha, readout, output_bias, seed, counts, defined):
    """The loop behind :func:`one_sided_rates`: fills ``counts`` and ``defined`` in place."""
    for i, width in enumerate(widths):
        for r in range(networks):
            net = SplineMLP([X64.shape[1], *hidden, width], "leaky_relu", "bn", alpha=alpha, out_features=1,
                            seed=seed + r, dtype=torch.float64)
            net.readout.bias.fill_(float(output_bias))
            for j, bs in enumerate(batch_sizes):
                one, ok = one_sided_batches(net, X64, bs, batches=batches, seed=seed + 7919 * r + j,
                                            readout=readout)
                counts[i, j] += int(one.sum())
                defined[i, j] += int(ok.sum())


@torch.no_grad()
def decision_grid(net, extent, resolution: int = 200, statistics: str = "stored") -> tuple:
    """``(grid, f)``: the decision value of a 2-D binary classifier on a grid, ``f`` of shape ``(H, W)``.

    Uses the network's stored statistics (fit them on a batch first to see that batch's boundary).
    """
    _check_binary(net)
    if net.widths[0] != 2:
        raise ValueError(f"the network must have 2-D input to draw its decision boundary, got D_0 = {net.widths[0]}")
    p = net.layers[0].weight
    grid = make_grid(extent, resolution, dtype=p.dtype, device=p.device)
    return grid, decision_values(net, grid.points, statistics=statistics).reshape(grid.shape)


def zero_set_lines(grid, values) -> list:
    """The zero set of ``values`` (shape ``(H, W)`` on ``grid``) as polylines ``(M, 2)``, by marching squares."""
    import contourpy

    gen = contourpy.contour_generator(grid.xs.double().cpu().numpy(), grid.ys.double().cpu().numpy(),
                                      torch.as_tensor(values).double().cpu().numpy(), line_type="Separate")
    return [seg for seg in gen.lines(0.0) if len(seg) > 1]


def decision_boundary_lines(net, extent, resolution: int = 200, statistics: str = "stored") -> list:
    """The decision boundary ``{x : f(x) = 0}`` of a 2-D binary classifier as polylines ``(M, 2)``.

    Traced by marching squares on a ``resolution × resolution`` grid over ``extent``, with the
    network's stored statistics (fit them on a batch first to see that batch's boundary).
    """
    return zero_set_lines(*decision_grid(net, extent, resolution, statistics))
