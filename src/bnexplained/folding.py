"""How σ folds the next layer's hyperplanes: Theorem 3 and Appendix B, eqs. (23)–(26).

In a two-layer network with 2-D input, the folded hyperplane ``F_{2,k}`` of layer-2 unit ``k``
crosses a layer-1 hyperplane ``H_{1,i}`` at isolated points ``p``. On the two sides of
``H_{1,i}`` near ``p`` lie two regions ``ω`` (unit ``i`` active, code 1) and ``ω'`` (code ``α``)
whose layer-1 codes differ only at entry ``i``; ``F_{2,k}`` has one straight facet in each, with
input-space normal ``n_ω = W_1ᵀ Q_1(ω) w_{2,k}`` (eq. 23). Eqs. (24)–(26) give the angles
between the facets and ``H_{1,i}`` and between the two facets.

This module finds those crossings exactly (roots of ``h_{2,k}`` along each line ``H_{1,i}``,
piece by piece), evaluates eqs. (24)–(26), and *measures* the same angles from the geometry
of the zero set itself, by bisection on small half-circles around ``p`` using only forward
passes, so formula and measurement are independent. Everything runs in float64 on a copy of
the network, with its *stored* BN statistics.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from .device import single_thread
from .partition import as_extent
from .sequential import SplineNetwork, as_network

__all__ = ["code_matrix", "facet_normals", "Crossings", "crossings", "DihedralAngles", "dihedral_angles",
           "fold_curve", "alignment_scales", "FoldingScene", "most_isolated", "with_sigma",
           "line_angle", "direction_angle", "tls_errors", "folded_fit"]


# ---------------------------------------------------------------------------------------------- basics
def _float64(net) -> SplineNetwork:
    """``net`` (a ``SplineMLP`` or a supported ``nn.Sequential``) as spline steps in float64 on the CPU, with
    stored / running BN statistics (geometry is done in float64; nothing here modifies the network)."""
    return as_network(net).cpu()


def _effective(net: SplineNetwork, layer: int):
    """``(W̃_ℓ, b_ℓ)``: the layer's pre-activation is ``W̃_ℓ z_{ℓ−1} + b_ℓ`` (eq. 15)."""
    m = net.layer_map(layer, f"Theorem 3 (layer {layer})")
    return m.weight, m.bias


def _weight_and_scale(net: SplineNetwork, layer: int):
    """``(W_ℓ, s)`` with ``W̃_ℓ = diag(s) W_ℓ``: the linear map's weight and BN's ``γ/σ`` for a
    ``Linear → BN`` layer; the composed map and ``s = 1`` for any other layer."""
    for b in net.bn_layers:
        if b.layer == layer:
            return b.weight, b.gamma / b.std
    W, _ = _effective(net, layer)
    return W, torch.ones(W.shape[0], dtype=W.dtype)


def _check_two_layers(net) -> SplineNetwork:
    net = _float64(net)
    if net.depth < 2:
        raise ValueError(f"Theorem 3 needs a network with at least 2 layers, got {net.depth}")
    _effective(net, 1), _effective(net, 2)
    return net


def _slopes(active: torch.Tensor, slope, dtype) -> torch.Tensor:
    """Codes as slopes: 1 where ``active``, the unit's ``slope`` (α; a number or per unit) elsewhere,
    built in ``dtype`` (α = 0.1 in float32 would differ from the forward pass's float64 α by 1e-9)."""
    one = torch.ones(active.shape, dtype=dtype)
    return torch.where(active, one, one * torch.as_tensor(slope, dtype=dtype))


@torch.no_grad()
def code_matrix(net, codes, layer: int = 1) -> torch.Tensor:
    """Eq. (23): the diagonal of ``Q_ℓ(ω)``, entry ``q_i γ_i / σ_{ℓ,i}`` (``q_i ∈ {α, 1}``).

    ``codes`` is ``(N, D_ℓ)``: either the slopes of ``net.codes`` or booleans (``True`` = active,
    as in ``net.signs``). Returns ``(N, D_ℓ)`` (the diagonals), in the codes' dtype (float64 for
    booleans). Layers without BN have ``σ = 1`` here.
    """
    net = _float64(net)
    layer = net.check_layer(layer)
    codes = torch.as_tensor(codes)
    if codes.ndim != 2 or codes.shape[1] != net.widths[layer]:
        raise ValueError(f"codes must have shape (N, {net.widths[layer]}), got {tuple(codes.shape)}")
    if codes.dtype == torch.bool:
        codes = _slopes(codes, net.slopes[layer - 1], torch.float64)
    _, s = _weight_and_scale(net, layer)
    return codes * s.to(codes)


@torch.no_grad()
def facet_normals(net, unit: int, codes) -> torch.Tensor:
    """The row ``w_{2,k}ᵀ Q_1(ω) W_1`` of eqs. (24)–(26): the input-space normal of the facet
    ``F_{2,k,ω}`` for each layer-1 code ``ω``. ``codes``: ``(N, D_1)``; returns ``(N, D_0)``."""
    net = _check_two_layers(net)
    if not (isinstance(unit, int) and 0 <= unit < net.widths[2]):
        raise ValueError(f"unit must be an int in 0..{net.widths[2] - 1}, got {unit!r}")
    codes = torch.as_tensor(codes)
    return _normals(net, torch.full((codes.shape[0],), unit, dtype=torch.long), codes)


def _normals(net, units: torch.Tensor, codes) -> torch.Tensor:
    """Row ``m``: ``w_{2,k_m}ᵀ Q_1(ω_m) W_1`` for layer-2 units ``units`` ``(M,)`` and codes ``(M, D_1)``."""
    q = code_matrix(net, codes, 1)
    w2, _ = _weight_and_scale(net, 2)
    w1, _ = _weight_and_scale(net, 1)
    return (q * w2.to(q)[units]) @ w1.to(q)


def direction_angle(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Angle in ``[0, π]`` between directions ``a`` and ``b`` (rows), computed stably as
    ``2·atan2(‖â − b̂‖, ‖â + b̂‖)`` (no ``arccos`` near ±1). Zero vectors give NaN."""
    an = a / a.norm(dim=-1, keepdim=True)
    bn = b / b.norm(dim=-1, keepdim=True)
    return 2 * torch.atan2((an - bn).norm(dim=-1), (an + bn).norm(dim=-1))


def line_angle(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Angle in ``[0, π/2]`` between the lines (or hyperplanes) with directions (or normals) ``a``
    and ``b``: ``arccos(|⟨a, b⟩| / (‖a‖‖b‖))`` as in eqs. (24)–(26), computed stably."""
    t = direction_angle(a, b)
    return torch.minimum(t, math.pi - t)


# ---------------------------------------------------------------------------------------------- crossings
@dataclass
class Crossings:
    """Points where folded hyperplanes ``F_{2,k}`` cross layer-1 hyperplanes ``H_{1,i}`` (2-D input).

    ``points`` ``(M, 2)``; ``unit`` ``k`` and ``boundary`` ``i`` ``(M,)`` (0-based); ``codes`` and
    ``codes_other`` ``(M, D_1)``: the layer-1 codes (slopes) of the region ``ω`` on the side of
    ``H_{1,i}`` where unit ``i`` is active and of ``ω'`` across it (they differ at entry ``i``);
    ``clearance`` ``(M,)``: distance from ``p`` to the nearest other layer-1 hyperplane or other
    crossing of the same pair, so the disc of that radius meets only ``ω``, ``ω'`` and ``H_{1,i}``.
    """

    points: torch.Tensor
    unit: torch.Tensor
    boundary: torch.Tensor
    codes: torch.Tensor
    codes_other: torch.Tensor
    clearance: torch.Tensor

    def __len__(self) -> int:
        return self.points.shape[0]


def _units(which, n: int, name: str) -> list:
    if which is None:
        return list(range(n))
    which = [which] if isinstance(which, int) else list(which)
    for u in which:
        if not (isinstance(u, int) and not isinstance(u, bool) and 0 <= u < n):
            raise ValueError(f"{name} must hold ints in 0..{n - 1}, got {which!r}")
    return which


@torch.no_grad()
@single_thread
def crossings(net, extent=None, *, units=None, boundaries=None, min_clearance: float = 1e-9) -> Crossings:
    """Every point where ``F_{2,k}`` (eq. 11) crosses ``H_{1,i}`` (eq. 5), for a 2-D-input network.

    Exact up to float64: along the line ``H_{1,i}`` the other layer-1 units switch at known
    parameters, and between two switches ``h_{2,k}`` is affine, so its root is solved in closed
    form. ``extent`` (half-width or ``(x_min, x_max, y_min, y_max)``) keeps the crossings inside
    a box; ``None`` keeps all. ``units`` / ``boundaries`` restrict ``k`` / ``i`` (0-based).
    Crossings at a vertex of the layer-1 arrangement, or where ``F_{2,k}`` runs along ``H_{1,i}``,
    separate more than two regions and are left out (their clearance would be below
    ``min_clearance``). Returns :class:`Crossings`.
    """
    net = _check_two_layers(net)
    if net.widths[0] != 2:
        raise ValueError(f"crossings are points only for 2-D input, got D_0 = {net.widths[0]}")
    slope = net.slopes[0]
    box = None if extent is None else as_extent(extent)
    W1, b1 = _effective(net, 1)                      # h_1 = W1 x + b1      (D1, 2), (D1,)
    W2, b2 = _effective(net, 2)                      # h_2 = W2 z_1 + b2    (D2, D1), (D2,)
    ks = torch.tensor(_units(units, net.widths[2], "units"), dtype=torch.long)
    D1 = net.widths[1]
    out = {name: [] for name in ("points", "unit", "boundary", "codes", "codes_other", "clearance")}
    for i in _units(boundaries, D1, "boundaries"):
        n = W1[i]
        nn2 = n.dot(n)
        if nn2 == 0:
            raise ValueError(f"layer-1 unit {i} has a zero weight row: H_1,{i} is not a line")
        x0 = -b1[i] * n / nn2                        # the point of H_{1,i} nearest the origin
        d = torch.stack([-n[1], n[0]]) / nn2.sqrt()  # unit direction along H_{1,i}
        # h_1(x0 + t d) = c + t g   (entry i is 0 for every t)
        c, g = W1 @ x0 + b1, W1 @ d
        others = torch.tensor([j for j in range(D1) if j != i and g[j] != 0], dtype=torch.long)
        breaks = (-c[others] / g[others]).sort().values if len(others) else torch.zeros(0, dtype=c.dtype)
        lo, hi = -math.inf, math.inf
        if box is not None:                          # the part of the line inside the box
            for axis, (a, b) in enumerate(((box[0], box[1]), (box[2], box[3]))):
                if d[axis] != 0:
                    t1, t2 = sorted([((a - x0[axis]) / d[axis]).item(), ((b - x0[axis]) / d[axis]).item()])
                    lo, hi = max(lo, t1), min(hi, t2)
                elif not a <= x0[axis] <= b:
                    lo, hi = 1.0, 0.0
            if lo >= hi:
                continue
        edges = torch.cat([torch.tensor([-math.inf], dtype=c.dtype), breaks, torch.tensor([math.inf], dtype=c.dtype)])
        left, right = edges[:-1], edges[1:]
        mid = torch.where(torch.isinf(left) & torch.isinf(right), torch.zeros_like(left),
                          torch.where(torch.isinf(left), right - 1, torch.where(torch.isinf(right), left + 1,
                                                                                 (left + right) / 2)))
        hmid = c[None] + mid[:, None] * g[None]                      # (P, D1) at each piece's middle
        q = _slopes(hmid >= 0, slope, c.dtype)
        q[:, i] = 0.0                                                # z_{1,i} = 0 on H_{1,i}
        # h_2 on a piece: W2 diag(q) (c + t g) + b2 = A + t B   → (P, K)
        A = (q * c[None]) @ W2[ks].T + b2[ks][None]
        B = (q * g[None]) @ W2[ks].T
        with torch.no_grad():
            t = torch.where(B != 0, -A / B, torch.full_like(A, math.nan))
        inside = (t > left[:, None]) & (t < right[:, None]) & (t > lo) & (t < hi)
        piece, kk = torch.nonzero(inside, as_tuple=True)
        if len(piece) == 0:
            continue
        tt = t[piece, kk]
        pts = x0[None] + tt[:, None] * d[None]
        # clearance: distance to the piece's ends (other lines cross H_{1,i} there, at an angle) ...
        dist_lines = (W1 @ pts.T + b1[:, None]).abs() / W1.norm(dim=1)[:, None]
        dist_lines[i] = math.inf
        clear = dist_lines.min(0).values if D1 > 1 else torch.full_like(tt, math.inf)
        # ... and to other crossings of the same pair on this line
        same = (kk[:, None] == kk[None]) & ~torch.eye(len(tt), dtype=torch.bool)
        gap = torch.where(same, (tt[:, None] - tt[None]).abs(), torch.full_like(same, math.inf, dtype=tt.dtype))
        clear = torch.minimum(clear, gap.min(1).values if len(tt) > 1 else clear)
        code = _slopes(hmid[piece] >= 0, slope, c.dtype)
        code_on, code_off = code.clone(), code.clone()
        code_on[:, i], code_off[:, i] = 1.0, slope[i]
        keep = clear > min_clearance
        out["points"].append(pts[keep])
        out["unit"].append(ks[kk][keep])
        out["boundary"].append(torch.full((int(keep.sum()),), i, dtype=torch.long))
        out["codes"].append(code_on[keep])
        out["codes_other"].append(code_off[keep])
        out["clearance"].append(clear[keep])
    if not out["points"]:
        return Crossings(torch.zeros(0, 2, dtype=torch.float64), torch.zeros(0, dtype=torch.long),
                         torch.zeros(0, dtype=torch.long), torch.zeros(0, D1, dtype=torch.float64),
                         torch.zeros(0, D1, dtype=torch.float64), torch.zeros(0, dtype=torch.float64))
    return Crossings(*(torch.cat(out[name]) for name in ("points", "unit", "boundary", "codes", "codes_other",
                                                         "clearance")))


def with_sigma(net, layer: int, unit: int, scale: float):
    """A copy of a BN network whose stored ``σ_{ℓ,k}`` is multiplied by ``scale`` (> 0); ``unit`` 0-based.

    ``net``: a BN ``SplineMLP``, or a supported ``nn.Sequential`` whose layer ℓ is ``Linear → BatchNorm1d``
    (its copy's ``running_var`` is set so that ``√(running_var + eps)`` is multiplied by ``scale``).
    """
    network = as_network(net)
    bn = network.bn_layer(network.check_layer(layer), "with_sigma (it varies σ)")
    if not (isinstance(unit, int) and not isinstance(unit, bool) and 0 <= unit < network.widths[layer]):
        raise ValueError(f"unit must be an int in 0..{network.widths[layer] - 1}, got {unit!r}")
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be positive and finite (σ → 0 makes eq. (2) undefined), got {scale!r}")
    if isinstance(bn.module, torch.nn.BatchNorm1d):
        memo = {}
        out = copy.deepcopy(net, memo)
        m = memo[id(bn.module)]
        with torch.no_grad():
            v = m.running_var[unit].double()
            m.running_var[unit] = (v + m.eps) * scale ** 2 - m.eps
        return out
    out = copy.deepcopy(net)
    s = out.sigma[layer - 1].detach().clone()
    s[unit] *= scale
    out.set_statistics(sigma=[s if j == layer - 1 else None for j in range(out.depth)])
    return out


def most_isolated(crossings_: Crossings, X, boundary: int | None = None) -> int | None:
    """Index of the crossing (on ``H_{1,boundary}``, or on any layer-1 hyperplane) inside the bounding box of
    the data ``X`` that lies farthest from every other layer-1 hyperplane: where a fold is easiest to see.
    ``None`` when there is none."""
    X = torch.as_tensor(X).detach().to("cpu", torch.float64)
    lo, hi = X.min(0).values, X.max(0).values
    ok = ((crossings_.points >= lo) & (crossings_.points <= hi)).all(1)
    if boundary is not None:
        ok &= crossings_.boundary == boundary
    idx = torch.nonzero(ok).flatten()
    return int(idx[crossings_.clearance[idx].argmax()]) if len(idx) else None


# ---------------------------------------------------------------------------------------------- angles
@dataclass
class DihedralAngles:
    """Eqs. (24)–(26) at every crossing, from the formula and measured from the geometry.

    All angles in radians, shape ``(M,)``:

    * ``to_boundary`` / ``to_boundary_other``: θ(F_{2,k,ω}, H_{1,i}) (24) / θ(F_{2,k,ω'}, H_{1,i}) (25),
      in ``[0, π/2]`` (0: the facet lies along ``H_{1,i}``);
    * ``between``: θ(F_{2,k,ω}, F_{2,k,ω'}) (26), in ``[0, π/2]``: the angle between the two facets'
      *lines* (0: no fold, or a complete fold);
    * ``opening``: the angle between the two facets as half-lines leaving ``p``, in ``[0, π]``
      (π: straight, no fold; near 0: folded shut). (26) equals ``min(opening, π − opening)``:
      the absolute value in (26) forgets which of the two it is.

    ``measured`` holds the same four keys measured from the exact facets' geometry (the two facet
    segments of ``bnx.exact_partition`` that meet at the crossing; NaN where none meet there), and
    ``probed`` the same measured a third way, from forward passes only (bisection for the zero of
    ``h_{2,k}`` on half-circles around the crossing); either is empty when not computed.
    """

    crossings: Crossings
    to_boundary: torch.Tensor
    to_boundary_other: torch.Tensor
    between: torch.Tensor
    opening: torch.Tensor
    measured: dict = field(default_factory=dict)
    probed: dict = field(default_factory=dict)

    KEYS = ("to_boundary", "to_boundary_other", "between", "opening")

    def __len__(self) -> int:
        return len(self.crossings)

    def formula(self) -> dict:
        return {key: getattr(self, key) for key in self.KEYS}

    def matched(self) -> torch.Tensor:
        """``(M,)`` bool: crossings where two exact facets were found meeting (finite ``measured``)."""
        if not self.measured:
            return torch.zeros(len(self), dtype=torch.bool)
        return torch.isfinite(self.measured["between"])

    def max_error(self, against: str = "measured") -> dict:
        """Largest ``|formula − measured|`` per angle (radians) over the matched crossings, against the
        exact facets (``"measured"``) or the forward-pass probe (``"probed"``); NaN when nothing was."""
        if against not in ("measured", "probed"):
            raise ValueError(f"against must be 'measured' or 'probed', got {against!r}")
        other = getattr(self, against)
        ok = self.matched() if against == "measured" else torch.ones(len(self), dtype=torch.bool)
        if not other or not bool(ok.any()):
            return {key: math.nan for key in self.KEYS}
        return {key: (getattr(self, key) - other[key])[ok].abs().max().item() for key in self.KEYS}

    def table(self, limit: int = 10) -> str:
        """The first ``limit`` crossings as text: unit, boundary, formula and measured angles (degrees)."""
        deg = 180 / math.pi
        rows = [f"{'k':>3} {'i':>3}  {'(24)':>7} {'meas':>7}  {'(25)':>7} {'meas':>7}  {'(26)':>7} {'meas':>7}"
                f"  {'opening':>7}"]
        for m in range(min(limit, len(self))):
            f = [getattr(self, key)[m].item() * deg for key in self.KEYS]
            e = [self.measured[key][m].item() * deg if self.measured else math.nan for key in self.KEYS]
            rows.append(f"{int(self.crossings.unit[m]):>3} {int(self.crossings.boundary[m]):>3}  "
                        f"{f[0]:7.2f} {e[0]:7.2f}  {f[1]:7.2f} {e[1]:7.2f}  {f[2]:7.2f} {e[2]:7.2f}  {f[3]:7.2f}")
        return "\n".join(rows)


def _half_line(normal: torch.Tensor, side: torch.Tensor, boundary_normal: torch.Tensor) -> torch.Tensor:
    """Unit direction of the facet with ``normal`` leaving ``p`` into the side ``sign⟨·, n_i⟩ = side``."""
    d = torch.stack([-normal[:, 1], normal[:, 0]], 1)
    d = d / d.norm(dim=1, keepdim=True)
    flip = torch.sign((d * boundary_normal).sum(1)) * side
    return d * torch.where(flip < 0, -1.0, 1.0).to(d)[:, None]


@torch.no_grad()
def _measure(net, cr: Crossings, radius_fraction: float, iterations: int) -> dict:
    """Angles read off the zero set of ``h_{2,k}``: on the half-circle of radius ``r`` around ``p``
    on each side of ``H_{1,i}``, bisect for the point where ``h_{2,k}`` vanishes (forward passes)."""
    W1, _ = _effective(net, 1)
    n = W1[cr.boundary]
    n = n / n.norm(dim=1, keepdim=True)                              # unit normals of H_{1,i}
    t = torch.stack([-n[:, 1], n[:, 0]], 1)                          # unit directions along H_{1,i}
    r = (radius_fraction * cr.clearance).clamp(max=1.0)[:, None]
    rows = torch.arange(len(cr))
    directions = []
    for side in (1.0, -1.0):                                         # ω (unit i active), then ω'
        def h2(theta):
            e = torch.cos(theta)[:, None] * t + side * torch.sin(theta)[:, None] * n
            return net.preactivations(cr.points + r * e)[1][rows, cr.unit], e
        a = torch.zeros(len(cr), dtype=torch.float64)
        b = torch.full_like(a, math.pi)
        ha, _ = h2(a)
        for _ in range(iterations):
            m = (a + b) / 2
            hm, _ = h2(m)
            left = torch.sign(hm) == torch.sign(ha)
            a, ha = torch.where(left, m, a), torch.where(left, hm, ha)
            b = torch.where(left, b, m)
        _, e = h2((a + b) / 2)
        directions.append(e)
    d_on, d_off = directions
    opening = direction_angle(d_on, d_off)
    return {"to_boundary": line_angle(d_on, t), "to_boundary_other": line_angle(d_off, t),
            "between": torch.minimum(opening, math.pi - opening), "opening": opening}


@torch.no_grad()
@single_thread
def dihedral_angles(net, extent=None, *, units=None, boundaries=None, measure: bool = True, probe: bool = False,
                    radius_fraction: float = 0.25, iterations: int = 60) -> DihedralAngles:
    """Theorem 3, eqs. (24)–(26): angles between layer-2 facets and layer-1 hyperplanes at every
    crossing of ``F_{2,k}`` with ``H_{1,i}`` (see :func:`crossings`), from the formula; with
    ``measure=True`` also measured from the exact facets (``bnx.exact_partition`` of ``extent``, or of
    a box around the crossings: the two facet segments meeting at each crossing give the directions);
    with ``probe=True`` also measured from forward passes alone (bisection for the zero of ``h_{2,k}``
    on half-circles of radius ``radius_fraction × clearance`` around each crossing, ``iterations``
    halvings).

    The formula uses the normals ``n_ω = W_1ᵀ Q_1(ω) w_{2,k}`` (eq. 23); ``opening`` orients each
    facet as a half-line leaving the crossing into its own region. Returns :class:`DihedralAngles`.
    """
    if not 0 < radius_fraction < 1:
        raise ValueError(f"radius_fraction must lie in (0, 1), got {radius_fraction!r}")
    if not isinstance(iterations, int) or iterations < 1:
        raise ValueError(f"iterations must be a positive int, got {iterations!r}")
    cr = crossings(net, extent, units=units, boundaries=boundaries)
    net = _float64(net)
    W1, _ = _effective(net, 1)
    w1 = _weight_and_scale(net, 1)[0][cr.boundary]                   # w_{1,i} (the paper's, unscaled)
    n_on, n_off = _normals(net, cr.unit, cr.codes), _normals(net, cr.unit, cr.codes_other)
    bn = W1[cr.boundary]
    d_on = _half_line(n_on, torch.ones(len(cr), dtype=torch.float64), bn)
    d_off = _half_line(n_off, -torch.ones(len(cr), dtype=torch.float64), bn)
    result = DihedralAngles(cr, line_angle(n_on, w1), line_angle(n_off, w1), line_angle(n_on, n_off),
                            direction_angle(d_on, d_off))
    if measure and len(cr):
        result.measured = _measure_facets(net, cr, extent)
    if probe and len(cr):
        result.probed = _measure(net, cr, radius_fraction, iterations)
    return result


@torch.no_grad()
def _measure_facets(net, cr: Crossings, extent) -> dict:
    """Angles read off the exact partition: at each crossing ``p`` of ``F_{2,k}`` with ``H_{1,i}``, the facets of
    ``F_{2,k}`` with an endpoint at ``p`` on an edge drawn by unit ``i`` (``Facets.edge``), one on each side
    of ``H_{1,i}``; each leaves ``p`` toward its far end. NaN where no such pair is found."""
    from .partition import exact_partition

    if extent is None:                                     # a box around every crossing
        lo, hi = cr.points.min(0).values - 1.0, cr.points.max(0).values + 1.0
        extent = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
    box = as_extent(extent)
    part = exact_partition(net, box)
    W1, b1 = _effective(net, 1)
    tol = 1e-9 * max(abs(v) for v in box)
    d_on = torch.full((len(cr), 2), math.nan, dtype=torch.float64)
    d_off = d_on.clone()
    for k in cr.unit.unique().tolist():
        f = part.facets(2, k)
        rows = torch.nonzero(cr.unit == k).flatten()
        if len(f) == 0:
            continue
        p, i = cr.points[rows], cr.boundary[rows]
        gap = (f.segments[None] - p[:, None, None]).norm(dim=-1)                    # (m, F, 2), no cdist
        at = (gap <= tol) & (f.edge[None] == i[:, None, None]) & (f.lengths[None, :, None] > 0)
        touching = at.any(-1)                                                      # (m, F)
        mid = f.segments.mean(1)                                                   # (F, 2)
        side = (mid[None] * W1[i][:, None]).sum(-1) + b1[i][:, None] > 0           # (m, F): facet in ω?
        far = torch.where(at[..., :1], f.segments[None, :, 1], f.segments[None, :, 0])  # (m, F, 2)
        for active, out in ((True, d_on), (False, d_off)):
            ok = touching & (side == active)
            pick = torch.where(ok, -gap.min(-1).values, torch.full_like(gap[..., 0], -math.inf)).argmax(1)
            found = ok[torch.arange(len(rows)), pick]
            d = far[torch.arange(len(rows)), pick] - p
            out[rows[found]] = d[found]
    n = W1[cr.boundary]
    t = torch.stack([-n[:, 1], n[:, 0]], 1)
    opening = direction_angle(d_on, d_off)
    return {"to_boundary": line_angle(d_on, t), "to_boundary_other": line_angle(d_off, t),
            "between": torch.minimum(opening, math.pi - opening), "opening": opening}


@torch.no_grad()
@single_thread
def fold_curve(net, crossings_: Crossings, index: int, scales) -> dict:
    """Eqs. (24)–(26) at one crossing as ``σ_{1,i}`` is multiplied by each of ``scales`` ``(S,)``.

    The crossing itself does not move: on ``H_{1,i}`` the output ``z_{1,i}`` is 0 whatever
    ``σ_{1,i}``, so ``h_{2,k}(p)`` stays 0; only the facets' normals turn,
    ``n_ω(σ) = n_ω^{(−i)} + w_{2,k,i} q_i(ω) (γ_i/σ_{1,i}) w_{1,i}``. Returns a dict of ``(S,)``
    tensors with the keys of :class:`DihedralAngles` (radians), plus ``"scales"``.
    Needs a BN network (``σ`` exists only there).
    """
    net = _check_two_layers(net)
    net.bn_layer(1, "fold_curve (it varies σ_1)")
    if not (isinstance(index, int) and 0 <= index < len(crossings_)):
        raise ValueError(f"index must be an int in 0..{len(crossings_) - 1}, got {index!r}")
    scales = torch.as_tensor(scales, dtype=torch.float64).reshape(-1)
    if not bool((scales > 0).all()) or not bool(torch.isfinite(scales).all()):
        raise ValueError("scales must be positive and finite (σ → 0 makes eq. (2) undefined)")
    k, i = crossings_.unit[index:index + 1], int(crossings_.boundary[index])
    w1, s = _weight_and_scale(net, 1)
    w2, _ = _weight_and_scale(net, 2)
    normals = []
    for codes in (crossings_.codes[index:index + 1], crossings_.codes_other[index:index + 1]):
        rest = codes.clone()
        rest[:, i] = 0.0
        base = _normals(net, k, rest)                                       # (1, 2) without unit i
        coef = w2[k, i] * codes[0, i] * s[i]                                # at scale 1
        normals.append(base + (coef / scales)[:, None] * w1[i][None])
    n_on, n_off = normals
    W1, _ = _effective(net, 1)
    bn = W1[i].expand_as(n_on)
    ones = torch.ones(len(scales), dtype=torch.float64)
    opening = direction_angle(_half_line(n_on, ones, bn), _half_line(n_off, -ones, bn))
    return {"scales": scales, "to_boundary": line_angle(n_on, w1[i][None]),
            "to_boundary_other": line_angle(n_off, w1[i][None]), "between": line_angle(n_on, n_off),
            "opening": opening}


@torch.no_grad()
@single_thread
def alignment_scales(net, crossings_: Crossings, degrees: float = 10.0, scales=None) -> tuple:
    """The Theorem 3 reading in numbers: for each crossing, by how much ``σ_{1,i}`` must be multiplied before
    the active-side facet lies within ``degrees`` of ``H_{1,i}`` (eq. 24), and whether (24) falls
    monotonically on the way. ``scales`` (decreasing, default ``10^0 … 10^−8``) is the grid searched.
    Returns ``(needed (M,), monotone (M,) bool)``; ``needed`` is NaN where the grid never gets there."""
    if not 0 < degrees < 90:
        raise ValueError(f"degrees must lie in (0, 90), got {degrees!r}")
    scales = torch.logspace(0, -8, 161, dtype=torch.float64) if scales is None else \
        torch.as_tensor(scales, dtype=torch.float64).reshape(-1)
    if len(scales) > 1 and not bool((scales.diff() < 0).all()):
        raise ValueError("scales must be strictly decreasing (σ shrinking)")
    needed = torch.full((len(crossings_),), math.nan, dtype=torch.float64)
    monotone = torch.zeros(len(crossings_), dtype=torch.bool)
    for m in range(len(crossings_)):
        theta = fold_curve(net, crossings_, m, scales)["to_boundary"]
        below = torch.nonzero(theta < math.radians(degrees)).flatten()
        if len(below):
            needed[m] = scales[below[0]]
        monotone[m] = bool((theta.diff() <= 1e-12).all())
    return needed, monotone


class FoldingScene:
    """Figure 2(c)'s geometry for a 2-D-input BN network, precomputed once.

    Layer 1's hyperplanes do not move when ``σ_{1,i}`` does (eq. 5 has no σ), so the exact partition
    of layer 1 (``bnx.exact_partition``) is computed once. On each of its regions
    ``z_1 = A_1 x + B_1``; multiplying ``σ_{1,i}`` by ``c`` divides row ``i`` of ``A_1, B_1`` by ``c``
    (the activation is positively homogeneous), so layer 2's pre-activation maps become
    ``G_2 + (1/c − 1) W̃_{2,:,i} ⊗ A_{1,i}`` (and the same for the offsets), with ``μ_2`` fixed. One clip
    of the layer-1 regions per slider move gives every layer-2 facet exactly (:meth:`layer2_facets`).
    For each ``i`` one crossing of ``H_{1,i}`` with a layer-2 folded hyperplane is *marked*: among
    those inside the data's bounding box, the one farthest from every other layer-1 hyperplane
    (where the fold is easiest to see); :meth:`curve` gives its angles (24)–(26) over a range of
    scales (:func:`fold_curve`).
    """

    @single_thread
    def __init__(self, net, X, *, extent=None, scales=None):
        from .partition import exact_partition
        from .partition import data_extent

        self.net = _check_two_layers(net)
        self.net.bn_layer(1, "Figure 2(c) (it varies σ_1)")
        self.X = torch.as_tensor(X).detach().to("cpu", torch.float64)
        self.extent = as_extent(data_extent(self.X) if extent is None else extent)
        self.partition = exact_partition(self.net, self.extent)
        G1, g1 = self.partition.preactivation_maps(1, of=1)      # h_1 on each layer-1 region
        q1 = self.partition.codes(1, of=1)
        self.A1, self.B1 = q1[..., None] * G1, q1 * g1          # z_1 = A_1 x + B_1 there (eq. 15)
        self.W2, self.b2 = _effective(self.net, 2)
        #: layer 1's hyperplanes, one list of ``(2, 2)`` segments per unit
        f1 = self.partition.facets(1)
        self.layer1 = [f1.select(f1.unit == i).lines() for i in range(self.net.widths[1])]
        self.crossings = crossings(self.net, self.extent)
        self.marked = {}
        for i in range(self.net.widths[1]):
            m = most_isolated(self.crossings, self.X, boundary=i)
            if m is not None:
                self.marked[i] = m
        self.scales = torch.logspace(-3, 2, 161, dtype=torch.float64) if scales is None else \
            torch.as_tensor(scales, dtype=torch.float64)
        self._curves = {}

    def _check(self, boundary: int, scale: float) -> None:
        if not (isinstance(boundary, int) and 0 <= boundary < self.net.widths[1]):
            raise ValueError(f"boundary must be an int in 0..{self.net.widths[1] - 1}, got {boundary!r}")
        if not (np.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be positive and finite (σ → 0 makes eq. (2) undefined), got {scale!r}")

    @single_thread
    def layer2_facets(self, boundary: int, scale: float):
        """Every facet of layer 2's folded hyperplanes with ``σ_{1,i}`` multiplied by ``scale`` (exact), as a
        ``bnx.Facets``."""
        from .partition import clip_lines

        self._check(boundary, scale)
        A, B = self.A1.clone(), self.B1.clone()
        A[:, boundary] /= scale
        B[:, boundary] /= scale
        G = torch.matmul(self.W2, A)                               # (R, D_2, 2)
        g = B @ self.W2.T + self.b2
        V, n = self.partition.vertices(1)
        return clip_lines(V, n, self.partition.edge_labels(1), G, g)

    def layer2_lines(self, boundary: int, scale: float) -> list:
        """:meth:`layer2_facets` as a list of ``(2, 2)`` segments, for drawing."""
        return self.layer2_facets(boundary, scale).lines()

    @single_thread
    def curve(self, boundary: int) -> dict | None:
        """Eqs. (24)–(26) at the marked crossing of ``H_{1,i}`` over ``self.scales`` (cached), or ``None``
        when no layer-2 folded hyperplane crosses ``H_{1,i}`` inside the box."""
        self._check(boundary, 1.0)
        if boundary not in self.marked:
            return None
        if boundary not in self._curves:
            self._curves[boundary] = fold_curve(self.net, self.crossings, self.marked[boundary], self.scales)
        return self._curves[boundary]

    @single_thread
    def angles(self, boundary: int, scale: float) -> dict | None:
        """Eqs. (24)–(26) (radians) at the marked crossing with ``σ_{1,i}`` multiplied by ``scale``."""
        self._check(boundary, scale)
        if boundary not in self.marked:
            return None
        c = fold_curve(self.net, self.crossings, self.marked[boundary], [scale])
        return {key: float(v[0]) for key, v in c.items()}


# ---------------------------------------------------------------------------------------------- Figure 9
def tls_errors(net) -> list:
    """Eq. (8) at the BN mean: ``[σ²_ℓ / ‖w_{ℓ,k}‖²]`` per layer, each ``(D_ℓ,)``: the mean squared distance
    of the layer inputs the statistics were fitted on to each hyperplane ``H_{ℓ,k}`` (the TLS fitting
    error, Theorem 1). Needs a BN network with stored statistics: a BN ``SplineMLP``, or an ``nn.Sequential``
    whose every layer is ``Linear → BatchNorm1d → activation`` (running statistics)."""
    network = as_network(net)
    bns = [network.bn_layer(j, "tls_errors") for j in range(1, network.depth + 1)]
    return [(b.var / (b.weight ** 2).sum(1)).to(network.dtype) for b in bns]


@torch.no_grad()
@single_thread
def folded_fit(net, X, layer: int, *, partition=None, extent=None) -> dict:
    """For each unit of ``layer``: the TLS error ``σ²/‖w‖²`` in the layer's input space (eq. 8, via
    :func:`tls_errors`) next to the mean squared *input-space* distance of the data ``X`` ``(N, 2)`` to
    the unit's folded hyperplane (eq. 12, exact; ``partition`` of ``extent``, by default a square three
    times the data's size), and their Spearman rank correlation. Figure 9 colours by the first and reads
    it as the second; this measures how well that reading holds. Returns a dict of ``(D_ℓ,)`` tensors
    ``tls`` and ``input_msd`` and the float ``spearman``.
    """
    from scipy.stats import spearmanr

    from .partition import exact_partition
    from .partition import data_extent

    net = as_network(net)
    errors = tls_errors(net)
    layer = net.check_layer(layer)
    X = torch.as_tensor(X).detach().to("cpu", torch.float64)
    if partition is None:
        partition = exact_partition(net, data_extent(X, margin=2.0) if extent is None else extent)
    msd = torch.stack([(partition.folded_hyperplane_distance(X, layer, k) ** 2).mean()
                       for k in range(net.widths[layer])])
    tls = errors[layer - 1].to("cpu", torch.float64)
    rho = float(spearmanr(tls.numpy(), msd.numpy()).statistic) if len(tls) > 1 else float("nan")
    return {"tls": tls, "input_msd": msd, "spearman": rho}
