"""The geometry of one layer: its unit hyperplanes, distances to them, and the TLS distance (Section 2).

A layer with weights ``W`` (shape ``(K, D)``, rows ``w_k``) and offsets ``b`` (shape ``(K,)``)
cuts its input space ``R^D`` with the hyperplanes ``H_k = {z : ⟨w_k, z⟩ = b_k}`` (eq. 5). For a
BN layer with ``γ = 1, β = 0`` the offset is BN's mean, ``b_k = μ_k``; :func:`unit_hyperplanes`
gives the offsets of any layer of a :class:`~bnexplained.networks.SplineMLP` in any mode.

Everything here works in any layer's input space (``D`` is free), is batched over points and
over candidate offsets, and keeps the dtype it is given (pass float64 for exact checks).
Bad input raises ``ValueError`` / ``TypeError`` naming the argument: a zero-norm weight row
has no hyperplane, so it is refused rather than turned into a NaN.
"""
from __future__ import annotations

from math import comb

import torch

from .device import as_tensor, check_points

__all__ = ["check_weights", "hyperplane_distance", "tls_distance", "tls_fitting_error", "tls_minimizer",
           "unit_hyperplanes",
           "hyperplane_segments", "arrangement_regions", "max_regions"]


def check_weights(W, name: str = "W") -> torch.Tensor:
    """Validate a weight matrix ``(K, D)``: real, finite, every row of positive norm."""
    W = as_tensor(W, name=name)
    if W.ndim != 2 or W.shape[0] < 1 or W.shape[1] < 1:
        raise ValueError(f"{name} must be a weight matrix of shape (K, D) with K, D ≥ 1, got shape {tuple(W.shape)}")
    if not torch.isfinite(W).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    norms = W.norm(dim=1)
    if not bool((norms > 0).all()):
        bad = torch.nonzero(~(norms > 0)).flatten().tolist()
        raise ValueError(f"{name} has zero-norm row(s) {bad[:10]}: a unit with w_k = 0 has no hyperplane "
                         "(eq. 5 needs ‖w_k‖ > 0)")
    return W


def _offsets(mu, K: int, W: torch.Tensor, name: str = "mu") -> torch.Tensor:
    """Validate offsets: shape ``(..., K)`` (a batch of candidate offset vectors is allowed)."""
    mu = as_tensor(mu, name=name).to(dtype=W.dtype, device=W.device)
    if mu.ndim == 0 and K == 1:
        mu = mu.reshape(1)
    if mu.ndim < 1 or mu.shape[-1] != K:
        raise ValueError(f"{name} must have shape (..., {K}) to match the {K} rows of W, got shape {tuple(mu.shape)}")
    if not torch.isfinite(mu).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return mu


def _points(V, W: torch.Tensor, name: str = "V") -> torch.Tensor:
    V = check_points(V, W.shape[1], name=name)
    return V.to(dtype=W.dtype, device=W.device)


def hyperplane_distance(V, W, mu) -> torch.Tensor:
    """Eq. (7): ``d(v, H_k) = |⟨w_k, v⟩ − μ_k| / ‖w_k‖`` for every point and every unit hyperplane.

    ``V`` has shape ``(N, D)``, ``W`` shape ``(K, D)``, ``mu`` shape ``(K,)`` or a batch of
    offset vectors ``(..., K)``. Returns distances of shape ``(N, K)`` (or ``(..., N, K)``).
    """
    W = check_weights(W)
    mu = _offsets(mu, W.shape[0], W)
    V = _points(V, W)
    u = V @ W.T                                                   # (N, K)
    return (u - mu[..., None, :]).abs() / W.norm(dim=1)


def tls_distance(V, W, mu, *, per_unit: bool = False) -> torch.Tensor:
    """Eqs. (8)–(9): the total least squares distance between the points ``V`` and the hyperplanes.

    ``L_k(μ_k, V) = (1/|V|) Σ_v d(v, H_k)²`` (eq. 8) and ``L(μ, V) = Σ_k L_k`` (eq. 9).
    ``V`` is ``(N, D)``, ``W`` is ``(K, D)``, ``mu`` is ``(K,)`` or a batch ``(..., K)`` of candidate
    offsets (for curves and optimizers). Returns ``L`` of shape ``(...)``, or every ``L_k`` of shape
    ``(..., K)`` with ``per_unit=True``. Computed literally from the distances of eq. (7), with no
    use of Theorem 1, so that the theorem can be checked against it.
    """
    per = hyperplane_distance(V, W, mu).pow(2).mean(-2)         # (..., K)
    return per if per_unit else per.sum(-1)


def tls_fitting_error(W, sigma) -> torch.Tensor:
    """Eq. (8) at the BN mean: ``σ_k² / ‖w_k‖²``, the mean squared distance of the data to ``H_k``.

    ``W`` is ``(K, D)``, ``sigma`` is ``(K,)`` (BN's standard deviations, eq. 3). Returns ``(K,)``.
    The paper's Figure 9 colours hyperplanes by this value: small means the hyperplane fits the data.
    """
    W = check_weights(W)
    sigma = _offsets(sigma, W.shape[0], W, name="sigma")
    if sigma.ndim != 1:
        raise ValueError(f"sigma must have shape ({W.shape[0]},), got shape {tuple(sigma.shape)}")
    if not bool((sigma >= 0).all()):
        raise ValueError("sigma must be non-negative (it is a standard deviation)")
    return sigma.pow(2) / W.norm(dim=1).pow(2)


def tls_minimizer(V, W) -> torch.Tensor:
    """Theorem 1 in closed form: the offsets minimizing ``L(μ, V)``, ``μ_k = (1/|V|) Σ_v ⟨w_k, v⟩``.

    That is BN's mean of eq. (3); ``V`` ``(N, D)``, ``W`` ``(K, D)``, returns ``(K,)``. (The checker
    :func:`bnexplained.verify.theorem_1` confirms it by two independent minimizations.)
    """
    W = check_weights(W)
    return (_points(V, W) @ W.T).mean(0)


def unit_hyperplanes(net, layer: int) -> tuple:
    """``(W_ℓ, b_ℓ)`` with ``H_{ℓ,k} = {z : ⟨w_{ℓ,k}, z⟩ = b_{ℓ,k}}`` in layer ℓ's input space (eq. 5).

    The offset is where the unit's pre-activation ``h_{ℓ,k} = s_k ⟨w_k, z⟩ + t_k`` vanishes,
    ``b = −t/s``: for BN that is ``μ − σβ/γ`` (just ``μ`` when ``β = 0``), for a plain layer ``−c``.
    Uses a BN network's stored statistics. ``W`` is ``(D_ℓ, D_{ℓ−1})``, ``b`` is ``(D_ℓ,)``; both detached.
    ``net``: a ``SplineMLP`` (in its dtype) or a supported ``nn.Sequential`` (float64; a ``Linear → BN`` layer
    gives the ``Linear``'s ``W`` and ``b = μ − c − √(σ²+ε) β/γ``, any other layer its composed affine map).
    """
    from .sequential import as_network

    network = as_network(net)
    layer = network.check_layer(layer)
    bn = next((b for b in network.bn_layers if b.layer == layer), None)
    if bn is not None:
        if not bool((bn.gamma != 0).all()):
            raise ValueError(f"layer {layer} has a unit with γ = 0: its pre-activation is constant, no hyperplane")
        W, b = bn.weight, bn.offsets
    else:
        m = network.layer_map(layer, "unit_hyperplanes")
        W, b = m.weight, -m.bias
    dtype = network.dtype if network.dtype.is_floating_point else torch.float64
    return W.to(dtype).clone(), b.to(dtype).clone()


def _planar_lines(W, b) -> tuple:
    """Validate lines ``⟨w_k, z⟩ = b_k`` in the plane: ``W`` ``(K, 2)``, ``b`` ``(K,)``."""
    W = check_weights(W)
    if W.shape[1] != 2:
        raise ValueError(f"W must have 2 columns (lines in the plane), got shape {tuple(W.shape)}")
    b = _offsets(b, W.shape[0], W, name="b")
    if b.ndim != 1:
        raise ValueError(f"b must have shape ({W.shape[0]},), got shape {tuple(b.shape)}")
    return W, b


def hyperplane_segments(W, b, extent) -> list:
    """The part of each line ``⟨w_k, z⟩ = b_k`` inside the box ``extent = (x0, x1, y0, y1)`` (2-D only).

    Returns a list of ``K`` entries, each a ``(2, 2)`` NumPy array (segment end points) or ``None``
    when the line misses the box. Analytic (no grid), so fast enough for live dashboards.
    """
    import numpy as np

    W, b = _planar_lines(W, b)
    x0, x1, y0, y1 = (float(v) for v in extent)
    if not (x0 < x1 and y0 < y1):
        raise ValueError("extent must be (x_min, x_max, y_min, y_max) with x_min < x_max, y_min < y_max")
    out = []
    for (a, c), off in zip(W.double().cpu().numpy(), b.double().cpu().numpy()):
        pts = []
        if abs(c) > 1e-15:                                       # crossings of the vertical sides
            pts += [(x, (off - a * x) / c) for x in (x0, x1)]
        if abs(a) > 1e-15:                                       # crossings of the horizontal sides
            pts += [((off - c * y) / a, y) for y in (y0, y1)]
        eps = 1e-12 * max(1.0, x1 - x0, y1 - y0)
        pts = [p for p in pts if x0 - eps <= p[0] <= x1 + eps and y0 - eps <= p[1] <= y1 + eps]
        if len(pts) < 2:
            out.append(None)
            continue
        pts = np.array(pts)
        d = np.array([-c, a])                                    # direction along the line
        t = pts @ d
        out.append(np.stack([pts[t.argmin()], pts[t.argmax()]]))
    return out


def arrangement_regions(W, b, *, tol: float = 1e-9) -> int:
    """The exact number of regions that the lines ``⟨w_k, z⟩ = b_k`` cut the whole plane into.

    For an arrangement of distinct lines, ``#regions = 1 + n + Σ_p (m_p − 1)`` where ``p`` runs over
    the points where lines cross and ``m_p`` is the number of lines through ``p`` (each line adds
    one region, plus one for every distinct crossing already on it). Coincident lines count once.
    ``W`` is ``(K, 2)``, ``b`` is ``(K,)``; ``tol`` is relative to the data scale.
    """
    import numpy as np

    W, b = _planar_lines(W, b)
    n_ = W.double().cpu().numpy()
    o_ = b.double().cpu().numpy()
    norms = np.linalg.norm(n_, axis=1)
    n_, o_ = n_ / norms[:, None], o_ / norms
    flip = (n_[:, 0] < -tol) | ((np.abs(n_[:, 0]) <= tol) & (n_[:, 1] < 0))   # one sign per line
    n_[flip], o_[flip] = -n_[flip], -o_[flip]
    scale = max(1.0, float(np.abs(o_).max()))
    lines = []
    for nk, ok in zip(n_, o_):                                   # drop coincident lines
        if not any(np.abs(nk - nj).max() <= tol and abs(ok - oj) <= tol * scale for nj, oj in lines):
            lines.append((nk, ok))
    crossings = []                                                # (point, set of lines through it)
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            A = np.stack([lines[i][0], lines[j][0]])
            if abs(np.linalg.det(A)) <= tol:
                continue                                          # parallel
            p = np.linalg.solve(A, [lines[i][1], lines[j][1]])
            for point, members in crossings:
                if np.abs(point - p).max() <= 1e-7 * max(scale, float(np.abs(p).max())):
                    members.update((i, j))
                    break
            else:
                crossings.append((p, {i, j}))
    return 1 + len(lines) + sum(len(m) - 1 for _, m in crossings)


def max_regions(units: int, dim: int, *, central: bool = False) -> int:
    """The most regions ``units`` hyperplanes can cut ``R^dim`` into (Zaslavsky's face count).

    Affine hyperplanes in general position: ``Σ_{i=0}^{dim} C(K, i)``. A central arrangement (all
    through one point, as BN makes them, Corollary 2): ``2 Σ_{i=0}^{dim−1} C(K−1, i)``.
    """
    for name, v in (("units", units), ("dim", dim)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    if central:
        return 2 * sum(comb(units - 1, i) for i in range(dim))
    return sum(comb(units, i) for i in range(dim + 1))
