"""The decision boundary of a binary classifier and the margin of each training point (Section 5).

For a network with two logits the decision boundary is ``{x : f_1(x) = f_0(x)}``; with one
output it is ``{x : f(x) = 0}``. Write ``d(x)`` for ``f_1 − f_0`` (or ``f``): a continuous
piecewise-affine function, affine on every region of the partition, so the boundary is a
folded hyperplane of the read-out (eq. 11). The *margin* of a point is its Euclidean
distance to that set (eq. 12 applied to the read-out), signed positive when the point is
classified correctly.

Three methods (:func:`margin_distances`):

* ``"exact"`` (2-D input): the exact partition (:func:`bnexplained.partition.exact_partition`)
  gives every region where the network is affine; on each, ``d`` is one affine function, and
  its zero line clipped to the convex region is one exact segment of the boundary. Margins are
  exact point-to-segment distances (up to float64 rounding).
* ``"grid"`` (2-D input): trace ``d = 0`` by marching squares on a fine grid and take the
  exact distance to the traced polylines. The trace is exact on every grid cell where ``d`` is
  affine; a cell crossed by a partition boundary can move it by at most one cell, so the
  margin is exact to within the cell diagonal ``h√2`` (returned as ``tolerance``) — except
  that an island of the other class small enough to fit between grid points is missed
  altogether (raise ``resolution`` to rule that out at scale ``h``).
* ``"gradient"`` (any input dimension): walk from ``x`` by Newton steps on ``d`` along its
  gradient, ``x ← x − d(x) ∇d / ‖∇d‖²`` (the projection onto the current region's affine
  piece, as in DeepFool), until ``d`` changes sign, then bisect to the crossing. The endpoint
  lies on the boundary, so the result is an *upper bound* on the margin, equal to it when the
  nearest boundary point lies on the affine piece of ``x``'s own region.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .device import check_points
from .partition import data_extent, make_grid, segment_distance, zero_set_lines
from .sequential import SUPPORTED, SplineNetwork, UnsupportedNetwork

__all__ = ["binary_decision", "decision_function", "decision_boundary_lines", "exact_decision_boundary", "distance_to_polylines",
           "Margins", "margin_distances", "METHODS"]

METHODS = ("auto", "exact", "grid", "gradient")


def binary_decision(out: torch.Tensor) -> torch.Tensor:
    """``d = f_1 − f_0`` from two logits (or ``f`` from one output), shape ``(N,)``, from outputs ``(N, 1 or 2)``."""
    if out.ndim != 2 or out.shape[1] not in (1, 2):
        raise ValueError(f"net must be a binary classifier with 1 output (d = f) or 2 logits (d = f_1 − f_0); "
                         f"its output has shape {tuple(out.shape)}")
    return out[:, 0] if out.shape[1] == 1 else out[:, 1] - out[:, 0]


def _place(net: nn.Module):
    if isinstance(net, SplineNetwork):
        return torch.float64, net.device
    if not isinstance(net, nn.Module):
        raise UnsupportedNetwork(f"net must be a binary classifier: {SUPPORTED}, or any torch.nn.Module called "
                                 f"as net(x); got a {type(net).__name__}")
    p = next(net.parameters(), None)
    return (torch.float32, torch.device("cpu")) if p is None else (p.dtype, p.device)


def _input_dimension(net: nn.Module):
    """``D_0`` when it can be read off the network (a SplineMLP, or a first ``nn.Linear``), else None."""
    if isinstance(net, SplineNetwork) or hasattr(net, "widths"):
        return net.widths[0]
    first = next((m for m in net.modules() if isinstance(m, nn.Linear)), None)
    return None if first is None else first.in_features


def decision_function(net: nn.Module, x, *, statistics: str | None = "stored") -> torch.Tensor:
    """``d(x) = f_1(x) − f_0(x)`` (or ``f(x)`` for one output), shape ``(N,)``, with the graph kept.

    ``x`` has shape ``(N, D_0)``. A ``SplineMLP`` is evaluated with ``statistics`` (stored by
    default: a decision boundary belongs to fixed statistics); any other binary classifier is
    called as ``net(x)`` in its current mode (put it in ``eval()`` for test-time BN).
    """
    dtype, device = _place(net)
    x = check_points(x, None, name="x").to(dtype=dtype, device=device)
    if isinstance(net, SplineNetwork):
        return binary_decision(net(x))
    if statistics is not None and "statistics" in inspect.signature(net.forward).parameters:
        return binary_decision(net(x, statistics=statistics))
    return binary_decision(net(x))


@torch.no_grad()
def decision_boundary_lines(net: nn.Module, extent, resolution: int = 300, *,
                            statistics: str | None = "stored") -> list:
    """The decision boundary ``{d = 0}`` of a 2-D binary classifier over ``extent`` as ``(M, 2)`` polylines.

    Traced by marching squares (``contourpy``) on a ``resolution × resolution`` grid: exact on
    every cell where ``d`` is affine, within one cell elsewhere.
    """
    dtype, device = _place(net)
    d0 = _input_dimension(net)
    if d0 is not None and d0 != 2:
        raise ValueError(f"the network must have 2-D input to draw its decision boundary, got D_0 = {d0}")
    grid = make_grid(extent, resolution, dtype=dtype, device=device)
    return zero_set_lines(grid, decision_function(net, grid.points, statistics=statistics).reshape(grid.shape))


def distance_to_polylines(points, polylines: list, *, chunk: int = 4096) -> torch.Tensor:
    """Exact Euclidean distance from each point ``(N, 2)`` to the union of polylines (``(M, 2)`` arrays).

    Returns a float64 tensor ``(N,)``; ``inf`` where there is no polyline.
    """
    P = check_points(points, 2, name="points").double().cpu()
    segs = [np.stack([p[:-1], p[1:]], 1) for p in polylines if len(p) > 1]
    if not segs:
        return torch.full((len(P),), float("inf"), dtype=torch.float64)
    S = torch.as_tensor(np.concatenate(segs), dtype=torch.float64)          # (S, 2, 2)
    return segment_distance(P, S, chunk=chunk * len(S))[0]


@dataclass
class Margins:
    """Margins of ``N`` points: ``distance`` (≥ 0), ``signed`` (``+`` where correctly classified;
    equal to ``distance`` when no labels were given), ``tolerance`` (exact: 0; grid: ``h√2``;
    gradient: 0, an upper bound), the ``method`` used, and ``boundary`` (exact: segments; grid:
    the traced polylines)."""

    distance: torch.Tensor
    signed: torch.Tensor
    correct: torch.Tensor | None
    tolerance: float
    method: str
    boundary: list | None = None


@torch.no_grad()
def exact_decision_boundary(net: nn.Module, extent) -> torch.Tensor:
    """The decision boundary ``{d = 0}`` of a 2-D binary classifier inside ``extent``, exactly, as segments.

    Uses :func:`bnexplained.partition.exact_partition` (a ``SplineMLP`` with stored statistics, or a
    supported ``nn.Sequential`` in eval mode): on each convex region ``d(x) = ⟨a, x⟩ + b``, and the
    line ``⟨a, x⟩ + b = 0`` clipped to the region (:func:`bnexplained.partition.clip_lines`) is one
    segment. Returns float64 segments of shape ``(S, 2, 2)``.
    """
    from .partition import clip_lines, exact_partition

    part = exact_partition(net, extent)
    A, B = part.affine_maps()                                   # (R, D_out, 2), (R, D_out)
    if A.shape[1] not in (1, 2):
        raise ValueError(f"net must be a binary classifier with 1 output or 2 logits, got {A.shape[1]} outputs")
    a = A[:, :1] if A.shape[1] == 1 else A[:, 1:] - A[:, :1]     # (R, 1, 2): d = <a, x> + b on each region
    b = B[:, :1] if B.shape[1] == 1 else B[:, 1:] - B[:, :1]     # (R, 1)
    V, n = part.vertices()
    return clip_lines(V, n, part.edge_labels(), a, b).segments


def _gradient_margins(net, X: torch.Tensor, steps: int, statistics) -> torch.Tensor:
    """Newton steps on ``d`` along its gradient until the sign flips, then bisection (see module doc)."""
    x0 = X.detach()
    with torch.no_grad():
        s0 = torch.sign(decision_function(net, x0, statistics=statistics))
    x, lo, hi = x0.clone(), x0.clone(), x0.clone()
    found = s0 == 0                                    # a point on the boundary has margin 0
    for _ in range(steps):
        if bool(found.all()):
            break
        xr = x.clone().requires_grad_(True)
        d = decision_function(net, xr, statistics=statistics)
        (g,) = torch.autograd.grad(d.sum(), xr)
        with torch.no_grad():
            nxt = x - (1.02 * d / (g ** 2).sum(1).clamp_min(1e-300))[:, None] * g   # 2 % overshoot
            new = (torch.sign(decision_function(net, nxt, statistics=statistics)) != s0) & ~found
            lo[new], hi[new] = x[new], nxt[new]
            found |= new
            x = torch.where(found[:, None], x, nxt)
    with torch.no_grad():                               # bisection on each point's last segment
        for _ in range(60):
            mid = (lo + hi) / 2
            across = torch.sign(decision_function(net, mid, statistics=statistics)) != s0
            hi = torch.where(across[:, None], mid, hi)
            lo = torch.where(across[:, None], lo, mid)
    dist = (hi - x0).norm(dim=1).double().cpu()
    dist[~found.cpu()] = float("inf")
    return dist


def margin_distances(net: nn.Module, X, y=None, *, method: str = "auto", extent=None, resolution: int = 600,
            steps: int = 50, statistics: str | None = "stored") -> Margins:
    """Distance from each point of ``X`` (shape ``(N, D_0)``) to the decision boundary of ``net``.

    ``method="exact"`` (2-D input) cuts the boundary exactly out of the exact partition of ``extent``
    (default: twice the data's square); ``"grid"`` traces it there at ``resolution`` (exact to ``h√2``,
    see the module doc); either way a point whose nearest boundary lies outside ``extent`` gets the
    distance to the part inside (``inf`` if none). ``"auto"``: exact for 2-D input, else gradient.
    ``method="gradient"`` (any dimension) returns upper bounds. With labels ``y`` (``(N,)``,
    0/1), ``signed`` is ``+distance`` where ``d(x)`` has the sign of class ``y`` and ``−distance``
    elsewhere. Evaluated with stored statistics for a ``SplineMLP``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    X = check_points(X, None, name="X")
    dtype, device = _place(net)
    with torch.no_grad():
        d = decision_function(net, X, statistics=statistics).double().cpu()
    correct = None
    if y is not None:
        y = torch.as_tensor(y)
        if y.shape != (len(X),) or y.is_floating_point() or not bool(((y == 0) | (y == 1)).all()):
            raise ValueError(f"y must hold {len(X)} integer labels 0/1, got shape {tuple(y.shape)}")
        correct = (d > 0) == (y.cpu() == 1)
    if method == "auto":
        method = "exact" if X.shape[1] == 2 else "gradient"
    if method in ("grid", "exact"):
        if X.shape[1] != 2:
            raise ValueError(f"method={method!r} needs 2-D input, got D_0 = {X.shape[1]}; use method='gradient'")
        extent = data_extent(X, margin=1.0) if extent is None else extent
    if method == "exact":
        from .partition import segment_distance

        seg = exact_decision_boundary(net, extent)
        dist = segment_distance(X.double().cpu(), seg.cpu())[0]
        tol, boundary = 0.0, list(seg.cpu().numpy())
    elif method == "grid":
        lines = decision_boundary_lines(net, extent, resolution, statistics=statistics)
        grid = make_grid(extent, resolution)
        h = float(max(grid.xs[1] - grid.xs[0], grid.ys[1] - grid.ys[0]))
        dist, tol, boundary = distance_to_polylines(X, lines), h * 2 ** 0.5, lines
    else:
        dist = _gradient_margins(net, X.to(dtype=dtype, device=device), steps, statistics)
        tol, boundary = 0.0, None
    signed = dist.clone() if correct is None else torch.where(correct, dist, -dist)
    return Margins(dist, signed, correct, tol, method, boundary)
