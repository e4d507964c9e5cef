"""The exact partition of a 2-D input square (eqs. (10)–(12), Appendix A), as convex polygons.

A grid only samples the partition; here the square is cut exactly, layer by layer and unit by
unit. Before layer ℓ every region ω of layers ``1..ℓ−1`` carries the affine map of the
pre-activations, ``h_ℓ(x) = G_ℓ(ω) x + g_ℓ(ω)`` (eqs. (16)–(18)); unit ``k`` cuts ω along the
line ``G_{ℓ,k}(ω) x + g_{ℓ,k}(ω) = 0``. That line inside ω is the facet ``F_{ℓ,k,ω}`` of the
folded hyperplane ``F_{ℓ,k}`` (eq. 11). After all units of layer ℓ each new region has one
code ``q_ℓ``, and the map passes on as ``z_ℓ = q_ℓ ⊙ h_ℓ`` (eq. 15).

Every region of a layer is cut by a unit at once (padded polygon tensors, float64): a
polygon's vertices on each side of the line are kept in order and the two crossing points are
inserted (vectorized Sutherland–Hodgman). A vertex within ``EPS`` (relative) of a line counts
as lying on it: it goes to both sides and never creates a sliver, so parallel lines, lines
through vertices and three lines through one point (BN's central arrangement, Corollary 2)
cut cleanly.

The cut is some fifty rounds of small array calls; on the CPU they run on NumPy arrays (a call
costs ~1 µs there against torch's 2–10 µs), elsewhere on torch tensors, through one code
(:func:`_ops`). Only element-wise arithmetic, gathers and exact reductions move to NumPy; sums
and matrix products stay in torch, so both give the same bits.

``exact_partition(net, extent)`` accepts a :class:`~bnexplained.networks.SplineMLP` or a
``torch.nn.Sequential`` of supported modules (see :mod:`bnexplained.sequential`), with BN
from stored/running statistics or from a given mini-batch (``batch=``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..device import check_points, single_thread
from .extent import as_extent, data_extent
from ..sequential import Activation, Add, Affine, Save, input_width, run_steps, spline_steps

__all__ = ["EPS", "Facets", "Junctions", "Partition", "clip_lines", "exact_partition", "folded_hyperplane_distance",
           "segment_distance", "segments_within", "working_tolerance"]

#: relative tolerance for "this vertex lies on this line": |h(v)| ≤ EPS (‖∇h‖ r + |h(0)|), r the square's size
EPS = 1e-10

# edge labels of the input square's sides (unit edges carry the unit's global index ≥ 0)
_SIDES = (-1, -2, -3, -4)       # bottom, right, top, left
_PAD = -9                       # label of a padding slot
_VERTEX = -10                   # a facet endpoint at a vertex of its region


@dataclass
class Facets:
    """Facets ``F_{ℓ,k,ω}`` (eq. 11) of one layer's folded hyperplanes, as line segments.

    ``segments`` ``(F, 2, 2)`` endpoints; ``unit`` ``(F,)`` the unit ``k`` (0-based);
    ``region`` ``(F,)`` the region ω of layers ``1..ℓ−1`` it lies in (an index into
    ``partition.polygons(ℓ − 1)``); ``normal`` ``(F, 2)`` and ``offset`` ``(F,)``: on ω,
    ``h_{ℓ,k}(x) = ⟨normal, x⟩ + offset`` (so ``normal`` is the facet's normal, eq. (24)'s
    ``w_{2,k}ᵀ Q_1(ω) W_1`` for layer 2); ``edge`` ``(F, 2)``: the label of the edge of ω each
    endpoint lies on (as :meth:`Partition.edge_labels`; ``−10`` when the endpoint is a vertex of ω).
    ``boundary`` ``(F,)`` bool: the unit's code ``h_{ℓ,k} ≥ 0`` changes across the facet, so it is part
    of the partition boundary (eq. 10) and of the concentration (Section 3.3). ``False`` marks a
    piece of the zero set where ``h_{ℓ,k}`` only touches 0 along an edge or at a vertex of ω without
    changing code (``|h|`` of a zero-bias unit, the border of a region where a zero-bias ReLU unit is
    identically 0 on the side where ``h > 0``): it is in ``F_{ℓ,k}`` (distances, eq. 12), not a boundary.
    """

    segments: torch.Tensor
    unit: torch.Tensor
    region: torch.Tensor
    normal: torch.Tensor
    offset: torch.Tensor
    edge: torch.Tensor
    boundary: torch.Tensor

    def __len__(self) -> int:
        return self.segments.shape[0]

    def select(self, mask) -> "Facets":
        """The facets where ``mask`` (bool ``(F,)`` or an index tensor) holds."""
        return Facets(self.segments[mask], self.unit[mask], self.region[mask], self.normal[mask], self.offset[mask],
                      self.edge[mask], self.boundary[mask])

    @property
    def lengths(self) -> torch.Tensor:
        """Segment lengths ``(F,)`` (0 where the zero set only touches ω at a vertex)."""
        return _norm2(self.segments[:, 1] - self.segments[:, 0])

    def lines(self) -> list:
        """The segments as a list of ``(2, 2)`` NumPy arrays, for :func:`bnexplained.plotting.draw_lines`."""
        return list(self.segments.detach().cpu().numpy())


@dataclass
class Junctions:
    """Where two facets of one folded hyperplane ``F_{ℓ,k}`` meet: ``F_{ℓ,k,ω}`` and ``F_{ℓ,k,ω′}`` in
    neighbouring regions ω, ω′ of layers ``1..ℓ−1``, on the boundary between them (Theorem 3).

    ``first``, ``second`` ``(J,)``: indices into ``partition.facets(ℓ, k)``; ``point`` ``(J, 2)``
    where they meet; ``boundary_layer``, ``boundary_unit`` ``(J,)``: the unit ``(j, i)`` whose
    folded hyperplane separates ω and ω′ there (``−1, −1`` when the meeting point is a vertex
    of the partition, where several boundaries cross); ``boundary_normal`` ``(J, 2)``: that
    boundary's normal in ``first``'s region (zeros at a vertex).
    """

    first: torch.Tensor
    second: torch.Tensor
    point: torch.Tensor
    boundary_layer: torch.Tensor
    boundary_unit: torch.Tensor
    boundary_normal: torch.Tensor

    def __len__(self) -> int:
        return self.first.shape[0]


def _to_segments(x: torch.Tensor, segments: torch.Tensor) -> tuple:
    """The one point-to-segment formula: distances ``(n, F)`` from points ``x`` ``(n, 2)`` to
    ``segments`` ``(F, 2, 2)`` and the nearest points ``(n, F, 2)`` (a degenerate segment is its point)."""
    p0, d = segments[:, 0], segments[:, 1] - segments[:, 0]
    dd = (d * d).sum(-1)
    rel = x[:, None, :] - p0[None]                                               # (n, F, 2)
    t = torch.where(dd > 0, (rel * d).sum(-1) / dd.clamp_min(1e-300), torch.zeros_like(dd)).clamp(0, 1)
    foot = p0[None] + t[..., None] * d[None]
    return _norm2(x[:, None, :] - foot), foot


def segment_distance(x: torch.Tensor, segments: torch.Tensor, *, chunk: int = 2 ** 22):
    """Distance from each point ``x`` ``(N, 2)`` to the nearest of ``segments`` ``(F, 2, 2)``.

    Returns ``(distance (N,), nearest point (N, 2), index of the segment (N,))``; with no
    segments the distance is ``inf`` (and the index −1). Batched in chunks of points.
    """
    n = x.shape[0]
    dist = torch.full((n,), float("inf"), dtype=x.dtype, device=x.device)
    near = torch.full((n, 2), float("nan"), dtype=x.dtype, device=x.device)
    index = torch.full((n,), -1, dtype=torch.long, device=x.device)
    f = segments.shape[0]
    if f == 0 or n == 0:
        return dist, near, index
    step = max(1, chunk // f)
    for start in range(0, n, step):
        dist_all, foot = _to_segments(x[start:start + step], segments)
        best, idx = dist_all.min(1)
        dist[start:start + step] = best
        index[start:start + step] = idx
        near[start:start + step] = foot[torch.arange(len(idx), device=x.device), idx]
    return dist, near, index


def segments_within(x: torch.Tensor, segments: torch.Tensor, radius: float, *, chunk: int = 2 ** 22) -> torch.Tensor:
    """Which ``segments`` ``(F, 2, 2)`` pass within ``radius`` of each point ``x`` ``(N, 2)``: bool ``(N, F)``."""
    hit = torch.zeros(x.shape[0], segments.shape[0], dtype=torch.bool, device=x.device)
    if segments.shape[0] == 0:
        return hit
    step = max(1, chunk // segments.shape[0])
    for start in range(0, x.shape[0], step):
        hit[start:start + step] = _to_segments(x[start:start + step], segments)[0] <= radius
    return hit


# ---------------------------------------------------------------------------------- polygons
def _square(e, device) -> tuple:
    V = torch.tensor([[[e[0], e[2]], [e[1], e[2]], [e[1], e[3]], [e[0], e[3]]]], dtype=torch.float64, device=device)
    n = torch.tensor([4], device=device)
    E = torch.tensor([list(_SIDES)], device=device)
    return V, n, E


def _next_index(n: torch.Tensor, M: int) -> torch.Tensor:
    """``(K, M)``: the index of the next vertex around each polygon (wrapping at its count)."""
    j = torch.arange(M, device=n.device)
    return torch.where(j[None] + 1 < n[:, None], j[None] + 1, torch.zeros_like(j)[None])


def _gather_rows(t: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """``t[k, idx[k, j]]`` for ``t`` of shape ``(K, M)`` or ``(K, M, 2)``."""
    if t.ndim == 3:
        return t.gather(1, idx[..., None].expand(-1, -1, t.shape[-1]))
    return t.gather(1, idx)


class _TorchOps:
    """The calls of the cut that NumPy spells differently, on torch tensors (any device)."""

    where, stack, broadcast_to = staticmethod(torch.where), staticmethod(torch.stack), staticmethod(torch.broadcast_to)
    bincount, greater_equal = staticmethod(torch.bincount), staticmethod(torch.ge)

    def __init__(self, device):
        self.device = device

    def arange(self, n):
        return torch.arange(n, device=self.device)

    def zeros(self, shape, dtype=torch.long):
        return torch.zeros(shape, dtype=dtype, device=self.device)

    def ones(self, n, dtype=torch.bool):
        return torch.ones(n, dtype=dtype, device=self.device)

    @staticmethod
    def take(t, idx):
        """``t[idx]`` along the first axis, ``idx`` of any shape."""
        return t.index_select(0, idx.reshape(-1)).view(*idx.shape, *t.shape[1:])

    @staticmethod
    def flatnonzero(m):
        return torch.nonzero(m.reshape(-1)).flatten()

    @staticmethod
    def cat(ts, axis=0):
        return torch.cat(ts, axis)

    def full(self, shape, value):
        return torch.full(shape, value, dtype=torch.long, device=self.device)

    @staticmethod
    def lexsort(keys):
        """Indices that sort by the last of ``keys`` (1-D integer tensors), then the one before, …"""
        order = torch.arange(keys[0].shape[0], device=keys[0].device)
        for key in keys:
            order = order[torch.sort(key[order], stable=True).indices]
        return order

    @staticmethod
    def minmax(t):
        return torch.aminmax(t, dim=1)

    @staticmethod
    def count(m):
        """The number of ``True`` in each row of ``m``."""
        return m.sum(1)

    @staticmethod
    def reach(V, c):
        """``max_m |V[:, m] − c|`` ``(R, 2)`` for points ``V`` ``(R, M, 2)`` and centres ``c`` ``(R, 2)``."""
        return (V - c[:, None]).abs().amax(1)

    @staticmethod
    def interleave(V, P):
        """``(K, 2M, 2)``: the points ``V``, ``P`` ``(K, M, 2)`` alternating."""
        return torch.stack([V, P], 2).reshape(V.shape[0], -1, 2)

    @staticmethod
    def repeat(t, counts):
        return torch.repeat_interleave(t, counts)

    @staticmethod
    def scatter(t, idx, values):
        """``t[k, idx[k, j]] = values[k, j]`` in place."""
        return t.scatter_(1, idx, values)

    @staticmethod
    def ends(m):
        """The first and the last ``True`` of each row of ``m``."""
        mi = m.int()
        return mi.argmax(1), m.shape[1] - 1 - mi.flip(1).argmax(1)

    @staticmethod
    def stable_argsort(t):
        return torch.sort(t, stable=True).indices

    @staticmethod
    def asarray(t):
        return t

    tensor = asarray


class _NumpyOps:
    """The same calls on NumPy arrays: the cut's fast path on the CPU only (a NumPy call costs
    ~1 µs there, a torch call 2–10 µs, and the cut is ~50 rounds of ~100 small calls). Only
    element-wise arithmetic, comparisons, gathers and exact reductions (counts, min, max) run
    here; sums and matrix products stay in torch, so the results are the bits torch computes."""

    where, broadcast_to, bincount = staticmethod(np.where), staticmethod(np.broadcast_to), staticmethod(np.bincount)
    greater_equal = staticmethod(np.greater_equal)
    cat, repeat, flatnonzero = staticmethod(np.concatenate), staticmethod(np.repeat), staticmethod(np.flatnonzero)
    lexsort = staticmethod(np.lexsort)

    def __init__(self, device=None):
        self.device = device

    @staticmethod
    def full(shape, value):
        return np.full(shape, value, dtype=np.int64)

    @staticmethod
    def stack(arrays, axis=0):
        at = (slice(None),) * axis + (None,)                                  # np.stack's checks cost 5 µs a call
        return np.concatenate([a[at] for a in arrays], axis)

    @staticmethod
    def arange(n):
        return np.arange(n, dtype=np.int64)

    @staticmethod
    def zeros(shape, dtype=np.int64):
        return np.zeros(shape, dtype=np.int64 if dtype is torch.long else dtype)

    @staticmethod
    def ones(n, dtype=bool):
        return np.ones(n, dtype=bool if dtype is torch.bool else dtype)

    @staticmethod
    def take(t, idx):
        return t.take(idx, 0)

    @staticmethod
    def minmax(t):
        t = np.ascontiguousarray(t.T)                                          # short rows: reduce down columns
        return t.min(0), t.max(0)

    @staticmethod
    def count(m):
        if m.shape[1] > 127:
            return m.sum(1)
        return np.einsum("ij->i", np.ascontiguousarray(m).view(np.int8)).astype(np.int64)  # 4× a bool row sum

    @staticmethod
    def reach(V, c):
        out = np.abs(V[:, 0] - c)                                              # column by column: short rows
        for m in range(1, V.shape[1]):
            np.maximum(out, np.abs(V[:, m] - c), out=out)
        return out

    @staticmethod
    def interleave(V, P):
        pair = lambda a: np.ascontiguousarray(a).view(np.complex128)[..., 0]   # a point as one 16-byte item
        return np.stack([pair(V), pair(P)], 2).view(np.float64).reshape(V.shape[0], -1, 2)

    @staticmethod
    def scatter(t, idx, values):
        np.put_along_axis(t, idx, values, 1)
        return t

    @staticmethod
    def ends(m):
        return m.argmax(1), m.shape[1] - 1 - m[:, ::-1].argmax(1)

    @staticmethod
    def stable_argsort(t):
        return np.argsort(t, kind="stable")

    @staticmethod
    def asarray(t):
        return t.numpy()

    @staticmethod
    def tensor(a):
        return torch.from_numpy(np.ascontiguousarray(a))


def _ops(device):
    """NumPy on the CPU, torch elsewhere (CUDA: the same code, no NumPy on the hot path)."""
    return _NumpyOps() if device.type == "cpu" else _TorchOps(device)


def _compact(points, keep, labels, xp) -> tuple:
    """Keep the flagged slots ``keep`` ``(K', S)`` of ``points`` ``(K, S, 2)`` in order (row ``i`` of
    ``keep`` and ``labels`` reads row ``i mod K`` of ``points``): polygons padded to the widest,
    the padding repeating vertex 0. ``xp``: :class:`_TorchOps` or :class:`_NumpyOps`."""
    K2, S = keep.shape
    kept = xp.flatnonzero(keep)                                                 # row by row, in order
    count = xp.count(keep)
    width = int(count.max())
    valid = xp.arange(width)[None] < count[:, None]
    col = xp.where(valid, xp.arange(width)[None], 0)                            # pad with vertex 0
    src = xp.take(kept, col + (count.cumsum(0) - count)[:, None])             # flat slot of row i: i S + slot
    K = points.shape[0]
    V = xp.take(points.reshape(-1, 2), src - (xp.arange(K2) // K * (K * S))[:, None])
    E = xp.where(valid, xp.take(labels.reshape(-1), src), _PAD)
    return V, count, E


def _clip(V, n, E, s, tol, label=None, xp=None) -> tuple:
    """The one clipping kernel: convex polygons ``V`` ``(K, M, 2)`` (counts ``n``, edge labels ``E``)
    against lines with values ``s`` ``(K, M)`` at the vertices (vectorized Sutherland–Hodgman).

    A vertex with ``|s| ≤ tol`` ``(K,)`` lies on the line; a crossing point is inserted on every
    edge whose ends lie strictly on opposite sides. Returns the chord, the line's piece inside
    each polygon (``(K, 2, 2)`` endpoints and ``(K, 2)`` labels of the edges they lie on,
    ``_VERTEX`` at a vertex), and, when ``label`` ``(K,)`` is given, the positive and the negative
    piece of every polygon ``(V, n, E)`` (padded to one width; their new edge is labelled ``label``).
    ``xp``: the arrays' calls (:func:`_ops`; default torch's).
    """
    xp = xp or _TorchOps(s.device)
    K, M = s.shape
    j = xp.arange(M)
    valid = j[None] < n[:, None]
    nxt = xp.where(j[None] + 1 < n[:, None], j[None] + 1, 0) + (xp.arange(K) * M)[:, None]  # flat: the next vertex
    tol = tol[:, None]
    pos = (s > tol) & valid
    neg = (s < -tol) & valid
    cross = (pos & xp.take(neg.reshape(-1), nxt)) | (neg & xp.take(pos.reshape(-1), nxt))
    sf, Vf = s.reshape(-1), V.reshape(-1, 2)
    if label is None:                                   # the chord: crossing points only at its two ends
        on = valid & ~pos & ~neg
        slots = xp.stack([on, cross], 2).reshape(K, 2 * M)
        first, last = xp.ends(slots)
        ends = xp.stack([first, last], 1)
        at = ends // 2 + (xp.arange(K) * M)[:, None]                          # flat index of the end's vertex
        s, V, cross = xp.take(sf, at), xp.take(Vf, at), ends % 2 == 1
        nxt = xp.take(nxt.reshape(-1), at)
    s1 = xp.take(sf, nxt)
    V1 = xp.take(Vf, nxt)
    t = xp.where(cross, s / xp.where(cross, s - s1, 1.0), 0.0)
    P = V + t[..., None] * (V1 - V)
    if label is None:
        return xp.where(cross[..., None], P, V), xp.where(cross, xp.take(E.reshape(-1), at), _VERTEX)
    points = xp.interleave(V, P)
    keep_p, keep_n = valid & ~neg, valid & ~pos                                    # positive side, negative side
    keep_v = xp.stack([keep_p, keep_n])
    keep_next = xp.stack([xp.take(keep_p.reshape(-1), nxt), xp.take(keep_n.reshape(-1), nxt)])
    cross2, label2 = xp.broadcast_to(cross, (2, K, M)), label.reshape(1, K, 1)
    keep = xp.stack([keep_v, cross2], 3).reshape(2 * K, 2 * M)
    lab_v = xp.where(cross | keep_next, E, label2)
    lab_p = xp.where(keep_next, E, label2)
    labels = xp.stack([lab_v, lab_p], 3).reshape(2 * K, 2 * M)
    Vs, ns, Es = _compact(points, keep, labels, xp)
    return (Vs[:K], ns[:K], Es[:K]), (Vs[K:], ns[K:], Es[K:])


def _norm2(v: torch.Tensor) -> torch.Tensor:
    """Euclidean norm over a last dimension of size 2 (``hypot``: much faster than ``norm`` there)."""
    return torch.hypot(v[..., 0], v[..., 1])


# ---------------------------------------------------------------------------------- one layer
def _layer_facets(V0, n0, E0, Gt, g, scale, eps, centre=None, max_floats: int = 2 ** 16) -> tuple:
    """Facets of one layer on the regions ``V0`` before it, and the (region, unit) pairs that cross.

    ``Gt`` ``(R, 2, D)`` (gradients, transposed) and ``g`` ``(R, D)``: the pre-activation maps on
    each region. A cheap screen (the value at the region's vertex mean against a bound over its
    bounding box, with the tolerance added: it never drops a pair that meets the region) picks
    the few pairs the exact vertex test then decides. Returns ``(Facets, crossing, signs)``:
    ``crossing = (r, k, a (P, 2), c (P,), tol (P,), s (P, M))`` the crossing pairs sorted by
    region then unit, with the line, its on-line tolerance and its values at the region's
    vertices; ``signs`` ``(R, D)`` bool, ``h ≥ 0`` at each region's vertex mean (the sign of
    every unit that does not cross the region). ``centre``: the vertex means, when known.
    """
    R, M, _ = V0.shape
    D = Gt.shape[2]
    dev = V0.device
    if centre is None:
        centre = _vertex_mean(V0, n0)
    xp = _ops(dev)
    half = xp.tensor(xp.reach(xp.asarray(V0), xp.asarray(centre)))             # padding repeats vertex 0
    # |h(x) − h(centre)| ≤ |∂₁h| half₁ + |∂₂h| half₂ on the region; tolerance ≤ eps (‖∇h‖₁ scale + |g|)
    reach = half * (1 + 1e-9) + 2 * eps * scale
    signs = torch.empty(R, D, dtype=torch.bool, device=dev)
    signs_x = xp.asarray(signs)
    pairs = [xp.zeros(0)]                                                           # flat indices r D + k
    step = max(1, max_floats // max(1, D))
    for start in range(0, R, step):
        sl = slice(start, start + step)
        G0, G1, gg = Gt[sl, 0], Gt[sl, 1], g[sl]
        h = torch.addcmul(torch.addcmul(gg, G0, centre[sl, 0, None]), G1, centre[sl, 1, None])
        xp.greater_equal(xp.asarray(h), 0, out=signs_x[sl])                         # comparisons: NumPy's are
        Ga = Gt[sl].abs()                                                            # ~5x faster on the CPU
        bound = torch.addcmul(torch.mul(Ga[:, 0], reach[sl, 0, None]), Ga[:, 1], reach[sl, 1, None])
        near = xp.asarray(h.abs_()) <= xp.asarray(bound.add_(gg.abs(), alpha=2 * eps))
        pairs.append(xp.flatnonzero(near) + start * D)
    rk = xp.cat(pairs)
    r, k = rk // D, rk % D
    flat = r * (2 * D) + k                                                          # Gt[r, :, k] through a flat view
    Gf = xp.asarray(Gt).reshape(-1)
    a, c = xp.stack([xp.take(Gf, flat), xp.take(Gf, flat + D)], 1), xp.take(xp.asarray(g).reshape(-1), rk)
    tp = xp.asarray(eps * (_norm2(xp.tensor(a)) * scale + xp.tensor(abs(c))))    # torch's hypot, as before
    Vp = xp.take(xp.asarray(V0), r)
    s = a[:, None, 0] * Vp[..., 0] + a[:, None, 1] * Vp[..., 1] + c[:, None]         # h at the vertices
    lo, hi = xp.minmax(s)                                                           # padding repeats vertex 0
    cross = (hi > tp) & (lo < -tp)
    touch = ~cross & ((a[:, 0] != 0) | (a[:, 1] != 0)) & ((abs(lo) <= tp) | (abs(hi) <= tp))
    crossing = tuple(xp.tensor(xp.take(t, xp.flatnonzero(cross))) for t in (r, k, a, c, tp, s))
    keep = xp.flatnonzero(cross | touch)
    r, k, a, c, Vp, s, tp, cross = (xp.take(t, keep) for t in (r, k, a, c, Vp, s, tp, cross))
    seg, edge = _clip(Vp, xp.take(xp.asarray(n0), r), xp.take(xp.asarray(E0), r), s, tp, xp=xp)
    order = xp.stable_argsort(k * (R + 1) + r)
    f = Facets(*(xp.tensor(xp.take(t, order)) for t in (seg, k, r, a, c, edge, cross)))
    return f, crossing, signs


def clip_lines(V, n, E, G, g, *, eps: float = 1e-10) -> "Facets":
    """The pieces of the lines ``{x : ⟨G[r, m], x⟩ + g[r, m] = 0}`` inside the convex polygons ``V[r]``.

    ``V`` ``(R, M, 2)`` padded polygon vertices with counts ``n`` ``(R,)`` and edge labels ``E`` ``(R, M)``
    (``Partition.vertices`` / ``edge_labels``); ``G`` ``(R, K, 2)``, ``g`` ``(R, K)``: ``K`` affine functions
    per region. This is eq. (11) for functions the partition was not computed with (a moved ``μ``, a
    rescaled ``σ``): the regions stay, only the functions change. Returns a :class:`Facets` of
    positive length whose ``unit`` is the function's index ``m`` and ``region`` the polygon's
    (``boundary`` all ``True``: without the network the other side of a touching line is unknown).
    """
    V, G, g = (t.detach().to(torch.float64) for t in (V, G, g))
    scale = float(V.abs().max()) if V.numel() else 1.0
    f, _, _ = _layer_facets(V, n, E, G.transpose(1, 2), g, scale, eps)
    f = f.select(f.lengths > 0)
    f.boundary = torch.ones_like(f.boundary)
    return f


def _touching_boundaries(f: Facets, V0, n0, steps, layer: int, scale: float, eps: float) -> None:
    """Decide ``f.boundary`` (in place) for the facets along which ``h_{ℓ,k}`` only touches 0 in its region.

    Such a facet lies on an edge of ω (or is one vertex): ``h`` has one strict sign inside ω. It is
    a boundary where the code ``h ≥ 0`` is different just outside ω: probed with the network at
    the facet's midpoint, ``1000 × tolerance × scale`` outward (``1e-7 × scale`` in float64). A
    region thinner than that beyond the facet's midpoint would be skipped; zero-bias networks,
    where touching happens, have conical regions, one neighbour along each edge and no such
    case. A one-point facet is a boundary where a boundary facet of the same unit ends at it.
    """
    touch = torch.nonzero(~f.boundary).flatten()
    if len(touch) == 0:
        return
    dev = f.segments.device
    r, k = f.region[touch], f.unit[touch]
    M = V0.shape[1]
    valid = torch.arange(M, device=dev)[None] < n0[r][:, None]
    centre = (V0[r] * valid[..., None]).sum(1) / n0[r][:, None]
    a, c = f.normal[touch], f.offset[touch]
    inside = (a * centre).sum(-1) + c >= 0                                   # the code inside ω
    seg = f.segments[touch]
    step = 1e3 * max(eps, EPS) * scale
    long = _norm2(seg[:, 1] - seg[:, 0]) > 0
    out = (seg[:, 0] + seg[:, 1]) / 2 - torch.where(inside, 1.0, -1.0)[:, None] * a / _norm2(a)[:, None] * step
    pre, _ = run_steps(steps, out)
    across = pre[layer][torch.arange(len(touch), device=dev), k] >= 0
    f.boundary[touch[long]] = (across != inside)[long]
    ends = f.segments[f.boundary].reshape(-1, 2)
    owner = f.unit[f.boundary].repeat_interleave(2)
    tol = 10 * max(eps, EPS) * scale
    for i in touch[~long].tolist():
        mine = ends[owner == f.unit[i]]
        f.boundary[i] = bool(len(mine)) and bool((_norm2(mine - f.segments[i, 0]) <= tol).any())


def _pad(t, M: int, xp):
    """Padded polygon vertices ``(R, m, 2)`` (padding repeats vertex 0) or edge labels ``(R, m)``
    (padding ``_PAD``) at width ``M`` (every polygon has at most ``M`` vertices)."""
    R, m = t.shape[:2]
    if m >= M:
        return t[:, :M]
    if t.ndim == 3:
        return xp.cat([t, xp.broadcast_to(t[:, :1], (R, M - m, 2))], 1)
    return xp.cat([t, xp.full((R, M - m), _PAD)], 1)


def _cut_layer(V0, n0, E0, crossing, signs0, offset: int) -> tuple:
    """Cut every region of ``V0`` by each unit of the layer that crosses it (``crossing`` from
    :func:`_layer_facets`); return the new regions ``(V, n, E, parent)`` sorted by parent, and
    their sign pattern ``(R, D)``: the parent's for the units that do not cross it (``signs0``),
    evaluated at the new region's vertex mean for those that do; those (new region, index into
    ``crossing``) pairs; and the vertex means (``None`` when no unit crosses).

    Each region is cut by its crossing units in increasing order, one unit per piece and round;
    a piece only tests the units that split the piece it was cut from (a unit that misses a
    polygon misses its parts), so a round cuts every piece that some unit still splits and the
    rounds number the depth of the cutting tree, not the units. Within a parent the pieces keep
    the order of cutting all pieces by unit 1, then unit 2, … (a cut keeps the positive piece in
    place and appends the negative one): the chain of units that created a piece, as a bit set,
    sorts them so. On the CPU the rounds run on NumPy arrays (:func:`_ops`).
    """
    r, k, a, c, tol, s = crossing
    R0, dev = V0.shape[0], V0.device
    xp = _ops(dev)
    kx, s, V0, n0, E0 = (xp.asarray(t) for t in (k, s, V0, n0, E0))
    count = xp.bincount(xp.asarray(r), minlength=R0)
    first = count.cumsum(0) - count
    words = max(1, -(-int(count.max()) // 62)) if r.numel() else 1
    active, idle = xp.flatnonzero(count > 0), xp.flatnonzero(count == 0)
    done = [tuple(xp.take(t, idle) for t in (V0, n0, E0)) + (idle, xp.zeros((len(idle), words)))]
    V, n, E = (xp.take(t, active) for t in (V0, n0, E0))
    anc = active
    mask = xp.zeros((len(active), words))
    # pending (piece, crossing pair) tests, sorted by piece then unit
    qi = xp.repeat(xp.arange(len(active)), xp.take(count, active))
    qp = xp.arange(r.numel())                                               # crossing is sorted by region
    line = torch.stack([a[:, 0], a[:, 1], c, tol, -tol], 1)                 # one gather per round
    linex = xp.asarray(line)
    tq = linex[:, 3]                                                        # the first round: every pair splits
    while qi.shape[0]:
        if s is None:
            Vq, lq = xp.take(V, qi), xp.take(linex, qp)
            s = lq[:, 0, None] * Vq[..., 0] + lq[:, 1, None] * Vq[..., 1] + lq[:, 2, None]
            lo, hi = xp.minmax(s)                                               # padding repeats vertex 0
            split = xp.flatnonzero((hi > lq[:, 3]) & (lo < lq[:, 4]))
            qi, qp, s, tq = xp.take(qi, split), xp.take(qp, split), xp.take(s, split), xp.take(lq[:, 3], split)
        lead = xp.ones(qi.shape[0])
        lead[1:] = qi[1:] != qi[:-1]
        li = xp.flatnonzero(lead)                                               # each piece's first split
        cut = xp.take(qi, li)
        keep = xp.ones(V.shape[0])
        keep[cut] = False
        keep = xp.flatnonzero(keep)
        if keep.shape[0]:
            done.append(tuple(xp.take(t, keep) for t in (V, n, E, anc, mask)))
        J = cut.shape[0]
        if J == 0:
            break
        p = xp.take(qp, li)
        pos, neg = _clip(xp.take(V, cut), xp.take(n, cut), xp.take(E, cut), xp.take(s, li), xp.take(tq, li),
                         offset + xp.take(kx, p), xp)
        ac = xp.take(anc, cut)
        t = p - xp.take(first, ac)
        if words == 1:
            bit = (1 << t)[:, None]
        else:
            bit = xp.scatter(xp.zeros((J, words)), (t // 62)[:, None], (1 << (t % 62))[:, None])
        V, n, E = xp.cat([pos[0], neg[0]]), xp.cat([pos[1], neg[1]]), xp.cat([pos[2], neg[2]])
        mc = xp.take(mask, cut)
        anc, mask = xp.cat([ac, ac]), xp.cat([mc, mc | bit])
        ri = xp.flatnonzero(~lead)                                              # the other splits wait
        j = xp.take(lead.cumsum(0) - 1, ri)
        qp = xp.take(qp, ri)
        qi, qp = xp.cat([j, j + J]), xp.cat([qp, qp])
        s = None
    else:
        done.append((V, n, E, anc, mask))
    n, anc, mask = (xp.cat([d[i] for d in done]) for i in (1, 3, 4))
    M = int(n.max())
    V = xp.cat([_pad(d[0], M, xp) for d in done])
    E = xp.cat([_pad(d[2], M, xp) for d in done])
    order = xp.lexsort([*mask.T, anc])
    V, n, E, anc = (xp.take(t, order) for t in (V, n, E, anc))
    Vt, nt, Et, anct = (xp.tensor(t) for t in (V, n, E, anc))
    signs = signs0.index_select(0, anct)
    child = pair = xp.zeros(0)
    centroid = None
    if r.numel():
        # every (new region, crossing unit of its parent): regions of one parent are contiguous
        rx = xp.asarray(r)
        kids = xp.bincount(anc, minlength=R0)
        kid0 = kids.cumsum(0) - kids
        per = xp.take(kids, rx)
        pair = xp.repeat(xp.arange(len(rx)), per)
        child = xp.take(xp.take(kid0, rx), pair) + xp.arange(len(pair)) - xp.repeat(per.cumsum(0) - per, per)
        centroid = _vertex_mean(Vt, nt)
        x, lp = xp.take(xp.asarray(centroid), child), xp.take(linex[:, :3], pair)
        h = lp[:, 0] * x[:, 0] + lp[:, 1] * x[:, 1] + lp[:, 2]
        xp.asarray(signs).reshape(-1)[child * signs.shape[1] + xp.take(kx, pair)] = h >= 0
    return Vt, nt, Et, anct, signs, (xp.tensor(child), xp.tensor(pair)), centroid


def _vertex_mean(V, n):
    """The mean of each padded polygon's vertices ``(R, 2)`` (where the codes are read)."""
    valid = torch.arange(V.shape[1], device=V.device)[None] < n[:, None]
    return (V * valid[..., None]).sum(1) / n[:, None]


# ---------------------------------------------------------------------------------- the partition
class Partition:
    """The exact partition of a 2-D square by a piecewise-linear network (from :func:`exact_partition`).

    Layer ℓ runs 1..L as in the paper (0 is the square itself); units ``k`` are 0-based.
    Per-layer data are indexed by that layer's regions: ``polygons(ℓ)``, ``parent(ℓ)`` (the
    layer-(ℓ−1) region each came from), ``facets(ℓ)`` (indexed by layer ℓ−1 regions). Without
    ``layer`` a method answers for the final regions (all layers). Tensors are float64.
    """

    def __init__(self, extent, steps, slopes, layer_data, pre_maps, facets, output):
        self.extent = extent
        self.steps = steps
        self.slopes = slopes
        self._layers = layer_data            # [(V, n, E, parent, signs)] for ℓ = 0..L
        self._pre = pre_maps                 # [(G, g)] for ℓ = 1..L, indexed by layer ℓ−1 regions
        self._facets = facets                # [Facets] for ℓ = 1..L
        self._output = output                # (A, B) on the final regions
        self.widths = [2] + [len(s) for s in slopes]
        offsets = np.cumsum([0] + self.widths[1:])
        self._offsets = [int(o) for o in offsets]

    # ------------------------------------------------------------------ sizes and layers
    @property
    def depth(self) -> int:
        """``L``, the number of layers (activations)."""
        return len(self.slopes)

    @property
    def num_regions(self) -> list:
        """Region counts ``[1, |Ω_{|1}|, ..., |Ω_{|L}|]`` after each layer."""
        return [int(d[0].shape[0]) for d in self._layers]

    def __len__(self) -> int:
        return self.num_regions[-1]

    def __repr__(self) -> str:
        return (f"Partition(extent={tuple(round(v, 4) for v in self.extent)}, widths={self.widths}, "
                f"regions per layer={self.num_regions})")

    def _layer(self, layer, allow_zero: bool = True) -> int:
        L = self.depth
        if layer is None:
            return L
        lo = 0 if allow_zero else 1
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not lo <= layer <= L:
            raise ValueError(f"layer must be an int in {lo}..{L}, got {layer!r}")
        return int(layer)

    def _unit(self, layer: int, unit) -> int:
        D = self.widths[layer]
        if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) or not 0 <= unit < D:
            raise ValueError(f"unit must be an int in 0..{D - 1} (layer {layer} has {D} units), got {unit!r}")
        return int(unit)

    # ------------------------------------------------------------------ regions
    def vertices(self, layer=None) -> tuple:
        """``(V, n)``: padded vertices ``(R, M, 2)`` (counter-clockwise; padding repeats vertex 0)
        and vertex counts ``(R,)`` of the regions after ``layer``."""
        V, n = self._layers[self._layer(layer)][:2]
        return V, n

    def polygons(self, layer=None) -> list:
        """The regions after ``layer`` as a list of ``(n_i, 2)`` NumPy arrays, counter-clockwise."""
        V, n = self.vertices(layer)
        V, n = V.detach().cpu().numpy(), n.cpu().numpy()
        return [V[i, :n[i]] for i in range(len(n))]

    def edge_labels(self, layer=None) -> torch.Tensor:
        """``(R, M)``: what draws edge ``j`` (from vertex ``j`` to ``j+1``) of each region: a square side
        (−1 bottom, −2 right, −3 top, −4 left) or a unit, by its index over all layers' units
        (see :meth:`unit_of_label`); padding slots hold −9."""
        return self._layers[self._layer(layer)][2]

    def unit_of_label(self, label: int) -> tuple:
        """``(layer, unit)`` of a non-negative edge label."""
        if not 0 <= label < self._offsets[-1]:
            raise ValueError(f"label must lie in 0..{self._offsets[-1] - 1}, got {label!r}")
        layer = int(np.searchsorted(self._offsets, label, side="right"))
        return layer, label - self._offsets[layer - 1]

    def parent(self, layer: int) -> torch.Tensor:
        """``(R_ℓ,)``: the region of layers ``1..ℓ−1`` each region of layers ``1..ℓ`` came from."""
        layer = self._layer(layer, allow_zero=False)
        return self._layers[layer][3]

    def ancestors(self, layer: int, of=None) -> torch.Tensor:
        """For each region after layer ``of`` (default: the last), the region after ``layer`` containing it."""
        layer, of = self._layer(layer), self._layer(of)
        if layer > of:
            raise ValueError(f"layer ({layer}) must not exceed of ({of})")
        idx = torch.arange(self.num_regions[of], device=self._layers[0][0].device)
        for j in range(of, layer, -1):
            idx = self._layers[j][3][idx]
        return idx

    def signs(self, layer=None, of=None) -> torch.Tensor:
        """Activation states (``h ≥ 0``) of the regions after layer ``of`` (default: the last).

        ``layer=None`` gives all units of layers ``1..of`` ``(R, D_1 + ... + D_of)``, as
        ``net.signs`` does for points; ``layer=ℓ ≤ of`` only layer ℓ's ``(R, D_ℓ)``.
        """
        of = self._layer(of)
        if layer is None:
            parts = [self.signs(j, of) for j in range(1, of + 1)]
            R = self.num_regions[of]
            return torch.cat(parts, 1) if parts else torch.zeros(R, 0, dtype=torch.bool)
        layer = self._layer(layer, allow_zero=False)
        if layer > of:
            raise ValueError(f"layer ({layer}) must not exceed of ({of})")
        return self._layers[layer][4][self.ancestors(layer, of)]

    def codes(self, layer: int, of=None) -> torch.Tensor:
        """Appendix A codes ``q_ℓ`` ``(R, D_ℓ)``: 1 where ``h ≥ 0``, the slope elsewhere."""
        s = self.signs(layer, of)
        slope = self.slopes[self._layer(layer, allow_zero=False) - 1]
        return torch.where(s, torch.ones_like(slope), slope)

    def preactivation_maps(self, layer: int, of=None) -> tuple:
        """``(G (R, D_ℓ, 2), g (R, D_ℓ))`` with ``h_ℓ(x) = G x + g`` on each region after ``of``."""
        layer = self._layer(layer, allow_zero=False)
        G, g = self._pre[layer - 1]
        idx = self.ancestors(layer - 1, of)
        return G[idx], g[idx]

    def affine_maps(self, layer=None) -> tuple:
        """Eqs. (16)–(18) on every final region: ``(A (R, D, 2), B (R, D))`` with output ``= A x + B``.

        ``layer=ℓ`` gives the map of ``z_ℓ`` (the ℓ-th activation's output); ``None`` the network's.
        """
        if layer is None:
            return self._output
        layer = self._layer(layer, allow_zero=False)
        G, g = self.preactivation_maps(layer)
        q = self.codes(layer)
        return q[..., None] * G, q * g

    def areas(self, layer=None) -> torch.Tensor:
        """Region areas ``(R,)`` by the shoelace formula (positive: counter-clockwise)."""
        V, n = self.vertices(layer)
        V1 = _gather_rows(V, _next_index(n, V.shape[1]))
        return 0.5 * (V[..., 0] * V1[..., 1] - V1[..., 0] * V[..., 1]).sum(1)

    def centroids(self, layer=None) -> torch.Tensor:
        """A point inside each region ``(R, 2)``: the mean of its vertices."""
        V, n = self.vertices(layer)
        valid = torch.arange(V.shape[1], device=V.device)[None] < n[:, None]
        return (V * valid[..., None]).sum(1) / n[:, None]

    def edge_lines(self, layer=None) -> tuple:
        """``(a (R, M, 2), c (R, M))``: edge ``j`` of each region lies on ``⟨a, x⟩ + c = 0``.

        Unit edges use the unit's pre-activation map on the region's ancestor (so ``c`` is in
        units of ``h``); square sides use ``x = const`` / ``y = const``; padding slots are 0.
        """
        layer = self._layer(layer)
        E = self.edge_labels(layer)
        R, M = E.shape
        a = torch.zeros(R, M, 2, dtype=torch.float64, device=E.device)
        c = torch.zeros(R, M, dtype=torch.float64, device=E.device)
        e = self.extent
        for lab, (ax, val) in zip(_SIDES, ((1, e[2]), (0, e[1]), (1, e[3]), (0, e[0]))):
            m = E == lab
            a[..., ax] = torch.where(m, torch.ones_like(c), a[..., ax])
            c = torch.where(m, torch.full_like(c, -val), c)
        for j in range(1, layer + 1):
            G, g = self.preactivation_maps(j, layer)
            lo, hi = self._offsets[j - 1], self._offsets[j]
            m = (E >= lo) & (E < hi)
            k = (E - lo).clamp(0, hi - lo - 1)
            rows = torch.arange(R, device=E.device)[:, None].expand(R, M)
            a = torch.where(m[..., None], G[rows, k], a)
            c = torch.where(m, g[rows, k], c)
        return a, c

    # ------------------------------------------------------------------ facets
    def facets(self, layer: int, unit=None) -> Facets:
        """Facets ``F_{ℓ,k,ω}`` of layer ℓ's folded hyperplanes (eq. 11), or of one unit ``k``.

        Every piece of the zero set ``{h_{ℓ,k} = 0}`` in a region ω, including pieces where
        ``h_{ℓ,k}`` touches 0 without changing code; ``.boundary`` marks those on the partition
        boundary (``f.select(f.boundary)``: what the concentration counts)."""
        layer = self._layer(layer, allow_zero=False)
        f = self._facets[layer - 1]
        if unit is None:
            return f
        return f.select(f.unit == self._unit(layer, unit))

    def facet_junctions(self, layer: int, unit: int) -> Junctions:
        """Pairs of facets of ``F_{ℓ,k}`` in different regions ω, ω′ that meet at a point, and the
        boundary they meet on (for measuring the folding angles of Theorem 3, eqs. (24)–(26))."""
        layer = self._layer(layer, allow_zero=False)
        f = self.facets(layer, unit)
        dev = f.segments.device
        F = len(f)
        ends = f.segments.reshape(-1, 2)
        labels = f.edge.reshape(-1)
        owner = torch.arange(F, device=dev).repeat_interleave(2)
        tol = 1e-9 * max(abs(v) for v in self.extent)
        # exact pairwise distances: cdist's matrix-product mode errs by ~1e-8, above this tolerance
        gap = torch.cdist(ends, ends, compute_mode="donot_use_mm_for_euclid_dist") if F else None
        i, j = torch.nonzero(gap <= tol, as_tuple=True) if F else (owner, owner)
        keep = (owner[i] < owner[j]) & (f.region[owner[i]] != f.region[owner[j]]) & (f.lengths[owner[i]] > 0) \
            & (f.lengths[owner[j]] > 0)
        i, j = i[keep], j[keep]
        # the boundary: the edge label seen from whichever side meets it inside an edge
        use_j = (labels[i] < 0) & (labels[j] >= 0)
        lab = torch.where(use_j, labels[j], labels[i])
        side = torch.where(use_j, owner[j], owner[i])
        blayer = torch.full_like(lab, -1)
        bunit = torch.full_like(lab, -1)
        normal = torch.zeros(len(lab), 2, dtype=torch.float64, device=dev)
        for m in range(len(lab)):
            if int(lab[m]) >= 0:
                jl, ju = self.unit_of_label(int(lab[m]))
                blayer[m], bunit[m] = jl, ju
                region = self.ancestors(jl - 1, layer - 1)[f.region[side[m]]]
                normal[m] = self._pre[jl - 1][0][region, ju]
        return Junctions(owner[i], owner[j], ends[i], blayer, bunit, normal)

    def zero_regions(self, layer: int, unit: int) -> torch.Tensor:
        """Regions of layers ``1..ℓ−1`` (indices into ``polygons(ℓ − 1)``) on which ``h_{ℓ,k}`` is
        identically zero, so that the whole region belongs to the zero set ``F_{ℓ,k}``.

        This happens without bias: a zero-bias ReLU unit behind a layer whose units are all
        off on a region sees only zeros there. Facets stay line segments (such a region's
        boundary is in its neighbours' facets, a partition boundary where the code flips, i.e.
        where ``h < 0`` beyond it); :meth:`folded_hyperplane_distance` is 0 inside.
        """
        layer = self._layer(layer, allow_zero=False)
        k = self._unit(layer, unit)
        G, g = self._pre[layer - 1]
        return torch.nonzero((G[:, k] == 0).all(-1) & (g[:, k] == 0)).flatten()

    def folded_hyperplane_distance(self, x, layer: int, unit: int, *, return_nearest: bool = False):
        """Eq. (12): ``d(x, F_{ℓ,k}) = min_{x' ∈ F_{ℓ,k}} ‖x − x'‖`` for points ``x`` ``(N, 2)``.

        The minimum runs over the facets inside the square: it is exact for every point whose
        disc of radius ``d`` lies in the square (otherwise an upper bound; ``inf`` when the
        folded hyperplane misses the square). Inside a region where ``h_{ℓ,k}`` is identically
        zero (:meth:`zero_regions`) the point lies on ``F_{ℓ,k}``: distance 0, nearest point itself.
        ``return_nearest=True`` also returns the nearest points ``(N, 2)``.
        """
        x = check_points(x, 2, name="x").to(torch.float64)
        layer = self._layer(layer, allow_zero=False)
        f = self.facets(layer, unit)
        x = x.to(f.segments.device)
        d, near, _ = segment_distance(x, f.segments)
        zero = self.zero_regions(layer, unit)
        if zero.numel():
            where = self.region_of(x, layer - 1)
            inside = torch.isin(where, zero) & (where >= 0)
            d = torch.where(inside, torch.zeros_like(d), d)
            near = torch.where(inside[:, None], x, near)
        return (d, near) if return_nearest else d

    # ------------------------------------------------------------------ points and density
    @torch.no_grad()
    def region_of(self, points, layer=None) -> torch.Tensor:
        """Index ``(N,)`` of the region (after ``layer``) holding each point; −1 outside the square.

        Points are matched by their activation codes, layer by layer down the tree of regions,
        so a point on a boundary goes to the region on the side where ``h ≥ 0`` (as ``net.codes``).
        """
        layer = self._layer(layer)
        dev = self._layers[0][0].device
        x = check_points(points, 2, name="points").to(dtype=torch.float64, device=dev)
        with single_thread(enabled=dev.type == "cpu"):
            return self._region_of(x, layer)

    def _region_of(self, x, layer: int) -> torch.Tensor:
        e = self.extent
        inside = (x[:, 0] >= e[0]) & (x[:, 0] <= e[1]) & (x[:, 1] >= e[2]) & (x[:, 1] <= e[3])
        idx = torch.where(inside, 0, -1)
        if layer == 0:
            return idx
        pre, _ = run_steps(self.steps, x)
        for j in range(1, layer + 1):
            parent, signs = self._layers[j][3], self._layers[j][4]
            idx = _match(parent, _pack(signs), idx, _pack(pre[j - 1] >= 0))
        return idx

    def region_counts(self, bins: int = 32, layer=None) -> torch.Tensor:
        """How many regions (after ``layer``) meet each cell of a ``bins × bins`` grid over the square.

        ``(bins, bins)``, row ``i`` is the ``i``-th band from the bottom (as ``make_grid``).
        A region counts in a cell when their intersection has positive area (exact test:
        separating axes of a convex polygon and a box).
        """
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
            raise ValueError(f"bins must be a positive int, got {bins!r}")
        V, n = self.vertices(layer)
        e = self.extent
        dx, dy = (e[1] - e[0]) / bins, (e[3] - e[2]) / bins
        lo, hi = V.min(1).values, V.max(1).values
        tol = EPS * max(abs(v) for v in e)
        ix0 = ((lo[:, 0] - e[0]) / dx + 1e-9).floor().long().clamp(0, bins - 1)
        ix1 = ((hi[:, 0] - e[0]) / dx - 1e-9).ceil().long().clamp(1, bins) - 1
        iy0 = ((lo[:, 1] - e[2]) / dy + 1e-9).floor().long().clamp(0, bins - 1)
        iy1 = ((hi[:, 1] - e[2]) / dy - 1e-9).ceil().long().clamp(1, bins) - 1
        nx, ny = (ix1 - ix0 + 1).clamp_min(1), (iy1 - iy0 + 1).clamp_min(1)
        counts = nx * ny
        r = torch.repeat_interleave(torch.arange(len(n), device=V.device), counts)
        offset = torch.arange(int(counts.sum()), device=V.device) - torch.repeat_interleave(counts.cumsum(0) - counts,
                                                                                              counts)
        cx = ix0[r] + offset % nx[r]
        cy = iy0[r] + offset // nx[r]
        x0, y0 = e[0] + cx.to(V.dtype) * dx, e[2] + cy.to(V.dtype) * dy
        corners = torch.stack([torch.stack([x0, y0], -1), torch.stack([x0 + dx, y0], -1),
                               torch.stack([x0 + dx, y0 + dy], -1), torch.stack([x0, y0 + dy], -1)], 1)
        Vr, nr = V[r], n[r]
        V1 = _gather_rows(Vr, _next_index(nr, V.shape[1]))
        d = V1 - Vr
        normal = torch.stack([d[..., 1], -d[..., 0]], -1)                           # outward for CCW
        proj = torch.einsum("pmi,pci->pmc", normal, corners).min(-1).values       # (P, M)
        edge = (normal * Vr).sum(-1)
        scale_n = _norm2(normal)
        separated = (proj >= edge - tol * scale_n) & (scale_n > 0)
        meets = ~separated.any(1)
        out = torch.zeros(bins * bins, dtype=torch.long, device=V.device)
        out.index_add_(0, (cy * bins + cx)[meets], torch.ones(int(meets.sum()), dtype=torch.long, device=V.device))
        return out.reshape(bins, bins)

    def facet_counts(self, points, radius: float, layer: int) -> torch.Tensor:
        """Concentration (Section 3.3): the number of facets ``F_{ℓ,k,ω}`` of layer ℓ within
        distance ``radius`` of each point, i.e. passing through its ε-ball. Shape ``(N,)``.
        Only facets on the partition boundary count (``Facets.boundary``)."""
        if not (isinstance(radius, (int, float)) and radius > 0 and np.isfinite(radius)):
            raise ValueError(f"radius must be a positive number, got {radius!r}")
        layer = self._layer(layer, allow_zero=False)
        x = check_points(points, 2, name="points").to(torch.float64)
        f = self.facets(layer)
        f = f.select(f.boundary)
        return segments_within(x.to(f.segments.device), f.segments, radius).sum(1).cpu()


def _pack(bits: torch.Tensor) -> torch.Tensor:
    """Bool ``(N, D)`` → int64 words ``(N, ⌈D/62⌉)``: one key per activation pattern."""
    N, D = bits.shape
    words = []
    w = 2 ** torch.arange(62, dtype=torch.long, device=bits.device)
    for start in range(0, max(D, 1), 62):
        b = bits[:, start:start + 62].long()
        words.append((b * w[:b.shape[1]]).sum(1))
    return torch.stack(words, 1)


def _row_ids(keys: torch.Tensor) -> torch.Tensor:
    """Equal rows of an int64 matrix ``(N, C)`` get equal ids (1-D sorts only: fast)."""
    ids = torch.zeros(keys.shape[0], dtype=torch.long, device=keys.device)
    for col in keys.T:
        col_ids = _inverse(col)
        ids = _inverse(ids * (int(col_ids.max()) + 1) + col_ids)
    return ids


def _inverse(t: torch.Tensor) -> torch.Tensor:
    """``torch.unique(t, return_inverse=True)[1]``; on the CPU through NumPy, whose sort does not
    stall when other processes keep the cores busy (torch's threaded sort can be 100× slower then)."""
    if t.device.type == "cpu":
        return torch.from_numpy(np.unique(t.numpy(), return_inverse=True)[1].reshape(-1).astype(np.int64))
    return torch.unique(t, return_inverse=True)[1]


def _match(parent_r, words_r, parent_p, words_p) -> torch.Tensor:
    """For each point (region index ``parent_p`` one layer up, code words), the child region with the
    same parent and code, or −1."""
    R = parent_r.shape[0]
    keys = torch.cat([torch.cat([parent_r[:, None], words_r], 1), torch.cat([parent_p[:, None], words_p], 1)])
    inv = _row_ids(keys)
    table = torch.full((int(inv.max()) + 1,), -1, dtype=torch.long, device=keys.device)
    table[inv[:R]] = torch.arange(R, device=keys.device)
    out = table[inv[R:]]
    return torch.where(parent_p >= 0, out, torch.full_like(out, -1))


# ---------------------------------------------------------------------------------- entry points
@torch.no_grad()
def working_tolerance(net) -> float:
    """The default on-line tolerance for ``net``: :data:`EPS` for a float64 network, the machine
    epsilon of its least precise floating parameter or buffer otherwise (float32: 1.2e-7).

    A network stored in float32 (BN statistics included) only knows its lines to float32
    precision: six BN lines through the data mean meet within ~1e-7 of each other, not at one
    point. Crossings that close are one crossing, so the region counts do not depend on the
    network's dtype. (One ε, not more: a random 2-64×4 arrangement in float32 has genuine
    crossings within 3e-7 of a line.)
    """
    tensors = [net] if isinstance(net, torch.Tensor) else list(net.parameters()) + list(net.buffers())
    eps = max((torch.finfo(t.dtype).eps for t in tensors if t.is_floating_point()), default=0.0)
    return min(max(EPS, eps), 1e-3)


def exact_partition(net, extent, *, batch=None, device=None, tolerance: float | None = None) -> Partition:
    """Eq. (10) exactly: the square ``extent`` split into the convex polygons where ``net`` is affine.

    ``net``: a 2-D-input ``SplineMLP`` (BN from stored statistics) or a ``torch.nn.Sequential`` of
    ``Linear``, ``BatchNorm1d`` (running statistics), ``ReLU``/``LeakyReLU``/``PReLU``/``bnx.Abs``
    and ``bnx.Residual`` blocks. ``batch`` ``(N, 2)``: take every BN layer's statistics from this
    mini-batch instead (eq. 3). ``extent``: a half-width ``r`` (the square ``[−r, r]²``) or
    ``(x_min, x_max, y_min, y_max)``. ``device``: where to compute (default: the network's).
    ``tolerance``: a vertex with ``|h| ≤ tolerance · (‖∇h‖ r + |h(0)|)`` lies on the unit's line
    (``r`` the largest coordinate of the square); by default :func:`working_tolerance` of the
    network's dtype (``1e-10`` in float64, ``1.2e-7`` in float32), so the counts do not
    depend on the dtype. Returns a :class:`Partition` (float64).
    """
    e = as_extent(extent)
    if tolerance is None:
        tolerance = working_tolerance(net) if isinstance(net, torch.nn.Module) else EPS
    if isinstance(tolerance, bool) or not (isinstance(tolerance, (int, float)) and 0 <= tolerance < 1e-2):
        raise ValueError(f"tolerance must be a number in [0, 0.01), got {tolerance!r}")
    steps = spline_steps(net, batch)
    if input_width(steps) != 2:
        raise ValueError(f"net must have 2-D input for a planar partition, got D_0 = {input_width(steps)}")
    if device is not None:
        steps = [_to(s, torch.device(device)) for s in steps]
    dev = next(s.weight.device for s in steps if isinstance(s, Affine))
    with single_thread(enabled=dev.type == "cpu"):
        return _partition(steps, e, dev, tolerance)


def _partition(steps, e, dev, tolerance) -> Partition:
    scale = max(abs(v) for v in e)
    V, n, E = _square(e, dev)
    At = torch.eye(2, dtype=torch.float64, device=dev)[None]                  # z = A x + B on each region,
    B = torch.zeros(1, 2, dtype=torch.float64, device=dev)                      # A kept transposed: (R, 2, D)
    layers = [(V, n, E, None, None)]
    pre, facets, slopes, saved = [], [], [], []
    offset = 0
    i = 0
    centre = None                                                             # of the regions V, when known
    while i < len(steps):
        s = steps[i]
        i += 1
        if isinstance(s, Affine):
            At = At @ s.weight.T
            B = B @ s.weight.T + s.bias
        elif isinstance(s, Save):
            saved.append((At, B))
        elif isinstance(s, Add):
            As, Bs = saved.pop()
            if s.shortcut is not None:
                As = As @ s.shortcut.weight.T
                Bs = Bs @ s.shortcut.weight.T + s.shortcut.bias
            At, B = At + As, B + Bs
        else:
            Gt, g = At, B
            f, crossing, signs0 = _layer_facets(V, n, E, Gt, g, scale, tolerance, centre)
            _touching_boundaries(f, V, n, steps, len(facets), scale, tolerance)
            V, n, E, parent, signs, flips, centre = _cut_layer(V, n, E, crossing, signs0, offset)
            after = _affine_run(steps, i)
            if after is None or saved:
                At, B = _coded_maps(Gt, g, s.slope, parent, signs)
                saved = [(As[parent], Bs[parent]) for As, Bs in saved]
            elif 4 * after[0][0].shape[0] <= after[0][0].shape[1]:                 # a narrow readout
                (W, b), i = after
                At, B = _next_maps(Gt, g, s.slope, signs0, parent, signs, crossing, flips, W, b)
            else:
                (W, b), i = after
                At, B = _coded_maps(Gt, g, s.slope, parent, signs, W, b)
            del crossing, signs0, flips
            layers.append((V, n, E, parent, signs))
            pre.append((Gt.transpose(1, 2), g))
            facets.append(f)
            slopes.append(s.slope)
            offset += Gt.shape[2]
    A = At.transpose(1, 2).contiguous()
    return Partition(e, steps, slopes, layers, pre, facets, (A, B))


def _coded_maps(Gt, g, slope, parent, signs, W=None, b=None, chunk: int = 2 ** 18) -> tuple:
    """Eq. (15) on every new region, ``z = q ⊙ h`` (then the affine ``(W, b)`` if given), in chunks
    of regions so that no ``(R, 2, D)`` temporary outlives its chunk."""
    R, D = signs.shape
    Dn = D if W is None else W.shape[0]
    At = Gt.new_empty(R, 2, Dn)
    B = g.new_empty(R, Dn)
    step = max(1, chunk // max(1, D))
    one, relu = torch.ones_like(slope), _is_relu(slope)
    for start in range(0, R, step):
        sl = slice(start, start + step)
        q = signs[sl] if relu else torch.where(signs[sl], one, slope)
        p = parent[sl]
        a, c = Gt.index_select(0, p).mul_(q[:, None, :]), g.index_select(0, p).mul_(q)
        if W is None:
            At[sl], B[sl] = a, c
        else:
            torch.mm(a.view(-1, D), W.T, out=At[sl].view(-1, Dn))                   # one flat product: faster
            torch.addmm(b, c, W.T, out=B[sl])
    return At, B


def _is_relu(slope) -> bool:
    """Every slope is +0.0: then ``q ⊙ h`` is ``h`` times the bool code (the same bits, twice as fast
    as building ``q``)."""
    return bool((slope == 0).all() and not torch.signbit(slope).any())


def _affine_run(steps, i: int):
    """The affine steps from ``steps[i]`` up to the next activation (or the end) composed into one
    ``(W, b)``, and the index after them; ``None`` when a residual step comes first."""
    W = b = None
    while i < len(steps) and isinstance(steps[i], Affine):
        s = steps[i]
        W, b = (s.weight, s.bias) if W is None else (s.weight @ W, s.weight @ b + s.bias)
        i += 1
    if W is None or (i < len(steps) and not isinstance(steps[i], Activation)):
        return None
    return (W, b), i


def _next_maps(Gt, g, slope, signs0, parent, signs, crossing, flips, W, b, chunk: int = 2 ** 18) -> tuple:
    """Eq. (15) then the affine ``(W, b)``, on every new region: ``(A (R, 2, D'), B (R, D'))``.

    Once per parent region, with the codes of its vertex mean for the units that do not cut it
    and the negative-side code for those that do; then a rank-1 correction
    ``(1 − slope_k) (G_k, g_k) ⊗ W_{:,k}`` for each unit ``k`` that cut the parent and is active on the
    new region. Only additions: where every term vanishes (a zero-bias ReLU unit on a region
    where the layer is off) the map is exactly zero, as computed directly.
    """
    r, k = crossing[0], crossing[1]
    R0, D = g.shape
    Dn = W.shape[0]
    if _is_relu(slope):
        q0 = signs0.clone()
    else:
        q0 = torch.where(signs0, torch.ones_like(slope), slope)
    q0.view(-1).index_copy_(0, r * D + k, slope.index_select(0, k).to(q0.dtype))
    A0, B0 = Gt.new_empty(R0, 2, Dn), g.new_empty(R0, Dn)
    step = max(1, 2 ** 16 // D)                                                      # small temporaries
    for start in range(0, R0, step):
        sl = slice(start, start + step)
        torch.mm((Gt[sl] * q0[sl, None, :]).view(-1, D), W.T, out=A0[sl].view(-1, Dn))
        torch.addmm(b, g[sl] * q0[sl], W.T, out=B0[sl])
    At, B = A0.index_select(0, parent), B0.index_select(0, parent)
    xp = _ops(g.device)
    child, pair, r, k = (xp.asarray(t) for t in (*flips, r, k))
    r, k = xp.take(r, pair), xp.take(k, pair)
    on = xp.flatnonzero(xp.take(xp.asarray(signs).reshape(-1), child * D + k))      # active on the new region
    child, r, k = (xp.tensor(xp.take(t, on)) for t in (child, r, k))
    delta = 1 - slope[k]
    Gf, WT = Gt.reshape(-1), W.T.contiguous()
    step = max(1, chunk // max(1, Dn))
    for start in range(0, len(child), step):
        sl = slice(start, start + step)
        d, rr, kk = delta[sl], r[sl], k[sl]
        w = WT.index_select(0, kk)                                                   # (P, D')
        flat = rr * (2 * D) + kk                                                      # Gt[rr, :, kk]
        G = torch.stack([Gf.index_select(0, flat), Gf.index_select(0, flat + D)], 1)
        At.index_add_(0, child[sl], (d[:, None] * G)[..., None] * w[:, None, :])
        B.index_add_(0, child[sl], (d * g.reshape(-1).index_select(0, rr * D + kk))[:, None] * w)
    return At, B


def _to(step, device):
    if isinstance(step, Affine):
        return Affine(step.weight.to(device), step.bias.to(device))
    if isinstance(step, Activation):
        return Activation(step.slope.to(device))
    if isinstance(step, Add) and step.shortcut is not None:
        return Add(_to(step.shortcut, device))
    return step


def folded_hyperplane_distance(net, x, layer: int, unit: int, *, extent=None, batch=None,
                               return_nearest: bool = False):
    """Eq. (12), exact in 2-D: ``d(x, F_{ℓ,k})``, the distance from each point ``x`` ``(N, 2)`` to the
    nearest point of the folded hyperplane of unit ``k`` (0-based) of layer ℓ (1..L).

    ``net`` is a network (its exact partition is computed over ``extent``, by default a square
    twice the size of the points' bounding square) or a :class:`Partition` already computed.
    Exact for every point whose disc of radius ``d`` lies inside the square (see
    :meth:`Partition.folded_hyperplane_distance`). Returns ``(N,)`` distances (and the nearest
    points ``(N, 2)`` with ``return_nearest=True``).
    """

    if isinstance(net, Partition):
        part = net
    else:
        xx = check_points(x, 2, name="x")
        part = exact_partition(net, data_extent(xx, margin=1.0) if extent is None else extent, batch=batch)
    return part.folded_hyperplane_distance(x, layer, unit, return_nearest=return_nearest)
