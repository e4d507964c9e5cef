"""How μ translates folded hyperplanes: Theorem 2 and Corollary 1 (Section 3, eqs. 7, 11, 12).

Unit ``k`` of layer ``ℓ`` sees its input ``z_{ℓ−1}(x)`` through one number, the projection
``u(x) = ⟨w_{ℓ,k}, z_{ℓ−1}(x)⟩``. In layer ℓ's input space its hyperplane is
``H_{ℓ,k} = {z : ⟨w_{ℓ,k}, z⟩ = μ_{ℓ,k}}`` (eq. 5); in input space it is the folded hyperplane
``F_{ℓ,k} = {x : u(x) = μ_{ℓ,k}}`` (eq. 11), a level set of ``u``. Moving ``μ_{ℓ,k}`` translates
the first and slides the second through the level sets of ``u``; nothing else changes
(``σ_{ℓ,k}`` does not enter either set).

:func:`translated_facets` computes ``F_{ℓ,k}`` exactly for many ``μ`` from one exact partition,
:func:`translated_distance` the distances of eq. (12) to them; :class:`TranslationScene` holds what a
live Figure 2(a)(b) needs: the exact partition, and a 2-D slice of layer ℓ's input space per unit
(:func:`layer_slice`) with the images of the data and of input-space grid lines in it.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch

from .device import check_points, single_thread
from .partition import clip_lines
from .partition import as_extent, data_extent
from .sequential import SplineNetwork, as_network

__all__ = ["check_unit", "offset", "weight_of", "projection", "with_mu", "translated_facets", "translated_distance", "minimal_counterexample",
           "LayerSlice", "layer_slice", "TranslationScene"]


def check_unit(net, layer: int, unit: int) -> SplineNetwork:
    """``net`` as a :class:`~bnexplained.sequential.SplineNetwork`, with ``layer`` (1..L) and ``unit`` (0-based)
    validated; ``ValueError`` names the argument."""
    network = as_network(net)
    network.check_layer(layer)
    D = network.widths[layer]
    if not (isinstance(unit, int) and not isinstance(unit, bool) and 0 <= unit < D):
        raise ValueError(f"unit must be an int in 0..{D - 1} (layer {layer} has {D} units), got {unit!r}")
    return network


def weight_of(net, layer: int) -> torch.Tensor:
    """``W_ℓ`` ``(D_ℓ, D_{ℓ−1})`` (float64): the weights layer ℓ's units project their input on (eq. 5): a
    ``Linear → BN`` layer's ``Linear`` weight, else the layer's composed affine map."""
    return _weight(as_network(net), layer)[0]


def _weight(network: SplineNetwork, layer: int) -> tuple:
    """``(W_ℓ, inputs)``: the weights the units project layer ℓ's input on (a ``Linear → BN`` layer's
    ``Linear``, else the composed map) and a function giving that input on points."""
    bn = next((b for b in network.bn_layers if b.layer == layer), None)
    if bn is not None:
        return bn.weight, lambda x: network.bn_inputs(bn, x)
    return network.layer_map(layer).weight, lambda x: network.layer_inputs(x)[layer - 1]


@torch.no_grad()
def projection(net, x, layer: int, unit: int) -> torch.Tensor:
    """``u(x) = ⟨w_{ℓ,k}, z_{ℓ−1}(x)⟩`` (shape ``(N,)``, float64), stored / running statistics: ``F_{ℓ,k}`` is
    its level set at ``μ_{ℓ,k}`` (eq. 11), and ``h_{ℓ,k} = γ (u − μ_{ℓ,k})/σ_{ℓ,k} + β``. ``unit`` is 0-based.
    ``net``: a ``SplineMLP`` or a supported ``nn.Sequential`` (``μ`` then means BN's mean minus the
    ``Linear``'s bias, so that ``u`` stays ``⟨w, z⟩``)."""
    network = check_unit(net, layer, unit)
    W, inputs = _weight(network, layer)
    return inputs(x) @ W[unit]


def offset(net, layer: int, unit: int) -> float:
    """The offset of ``H_{ℓ,k}``: ``⟨w, z⟩ = offset`` where ``h_{ℓ,k} = 0`` (``μ − βσ/γ`` with BN, ``−c`` without)."""
    network = check_unit(net, layer, unit)
    bn = next((b for b in network.bn_layers if b.layer == layer), None)
    if bn is not None:
        if bn.gamma[unit] == 0:
            raise ValueError(f"unit {unit} of layer {layer} has γ = 0: its pre-activation is constant, no hyperplane")
        return float(bn.offsets[unit])
    m = network.layer_map(layer)
    return float(-m.bias[unit])


def with_mu(net, layer: int, unit: int, mu: float):
    """A copy of a BN network whose stored ``μ_{ℓ,k}`` is ``mu`` (everything else unchanged).

    ``net``: a BN ``SplineMLP``, or a supported ``nn.Sequential`` whose layer ℓ is ``Linear → BatchNorm1d``
    (the copy's ``running_mean`` becomes ``mu + c``, ``c`` the ``Linear``'s bias)."""
    network = check_unit(net, layer, unit)
    bn = network.bn_layer(layer, "with_mu (μ exists only in BN layers)")
    if not np.isfinite(float(mu)):
        raise ValueError(f"mu must be finite, got {mu!r}")
    memo = {}
    out = copy.deepcopy(net, memo)
    if isinstance(bn.module, torch.nn.BatchNorm1d):
        with torch.no_grad():
            memo[id(bn.module)].running_mean[unit] = float(mu) + float(bn.bias[unit])
        return out
    m = out.mu[layer - 1].detach().clone()
    m[unit] = float(mu)
    out.set_statistics(mu=[m if j == layer - 1 else None for j in range(out.depth)])
    return out


def _shift_scale(network: SplineNetwork, layer: int, unit: int) -> tuple:
    """``(s, μ)`` of unit ``k``: ``h_{ℓ,k} = s (u − μ) + β`` with ``s = γ/σ`` (stored statistics)."""
    bn = network.bn_layer(layer, "μ")
    return float(bn.gamma[unit] / bn.std[unit]), float(bn.mean[unit] - bn.bias[unit])


@torch.no_grad()
@single_thread
def translated_facets(partition, net, layer: int, unit: int, mus):
    """The facets of ``F_{ℓ,k}`` (eq. 11) for each offset in ``mus`` ``(M,)``, exactly, from one exact partition.

    Moving ``μ_{ℓ,k}`` changes neither layers ``1..ℓ−1`` nor the slope of ``h_{ℓ,k}`` on a region, only its
    offset: ``h' = h + s (μ − μ')``. So the regions of ``partition`` (``bnx.exact_partition(net, extent)``)
    before layer ℓ are clipped once per offset, all offsets at once (:func:`bnexplained.partition.clip_lines`). Returns a
    ``bnx.Facets`` whose ``unit`` field holds the index ``m`` of the offset each facet belongs to.
    """
    network = check_unit(net, layer, unit)
    network.bn_layer(layer, "translated_facets (μ exists only in BN layers)")
    mus = torch.as_tensor(mus, dtype=torch.float64).reshape(-1)
    if not bool(torch.isfinite(mus).all()):
        raise ValueError("mus must be finite")
    V, n = partition.vertices(layer - 1)
    G, g = partition.preactivation_maps(layer, of=layer - 1)
    s, mu0 = _shift_scale(network, layer, unit)
    M = len(mus)
    Gk = G[:, unit:unit + 1].expand(-1, M, -1)
    gk = g[:, unit:unit + 1] + s * (mu0 - mus.to(g))[None]
    return clip_lines(V.cpu(), n.cpu(), partition.edge_labels(layer - 1).cpu(), Gk.cpu(), gk.cpu())


@torch.no_grad()
@single_thread
def translated_distance(partition, net, x, layer: int, unit: int, mus) -> tuple:
    """Eq. (12) for each offset in ``mus``: ``d(x, F_{ℓ,k}(μ))`` ``(N, M)``, exact in 2-D, and a mask ``(N, M)``
    of the entries *certified* to equal the distance in the whole plane: the facets are only known inside
    the partition's square, so a distance counts when it is below the distance from ``x`` to the square's
    border (a nearer point outside would be farther than the border). ``inf`` where ``F`` misses the square.
    """
    from .partition import segment_distance

    x = check_points(x, 2, name="x").to(torch.float64)
    mus = torch.as_tensor(mus, dtype=torch.float64).reshape(-1)
    f = translated_facets(partition, net, layer, unit, mus)
    d = torch.full((x.shape[0], len(mus)), float("inf"), dtype=torch.float64)
    for m in range(len(mus)):
        sel = f.unit == m
        if sel.any():
            d[:, m] = segment_distance(x, f.segments[sel])[0]
    e = partition.extent
    border = torch.stack([x[:, 0] - e[0], e[1] - x[:, 0], x[:, 1] - e[2], e[3] - x[:, 1]], 1).min(1).values
    return d, d < border[:, None]


def minimal_counterexample(alpha: float = 0.1):
    """The smallest counterexample to Theorem 2 as stated, a BN network ``[2, 2, 2]`` in float64.

    Layer 1 is the identity (``μ_1 = 0``, ``σ_1 = 1``) followed by leaky-ReLU with slope ``alpha``; unit 1
    of layer 2 reads ``z_{1,1}``, so ``u(x) = max(α x_1, x_1)``. Its folded hyperplane at ``μ > 0`` is the
    line ``x_1 = μ``, at ``μ < 0`` the line ``x_1 = μ/α``: ``1/α`` times farther for the same distance
    in layer 2's input space. Returns ``(net, x, mu, mu_other)`` with ``x = 0`` (so ``u(x) = 0``),
    ``mu = −0.2`` and ``mu_other = 0.5``: ``H`` is closer to ``z_1(x)`` (0.2 < 0.5) but ``F`` is farther
    from ``x`` (``0.2/α = 2`` > 0.5 for α = 0.1).
    """
    from .networks import SplineMLP

    eye = torch.eye(2, dtype=torch.float64)
    net = SplineMLP.from_weights([eye, eye], "leaky_relu", "bn", alpha=alpha, dtype=torch.float64)
    zeros, ones = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    net.set_statistics(mu=[zeros, zeros], sigma=[ones, ones])
    return net, torch.zeros(1, 2, dtype=torch.float64), -0.2, 0.5


@dataclass
class LayerSlice:
    """A 2-D affine slice ``{origin + a e_1 + b e_2}`` of layer ℓ's input space.

    ``e_1 = w_{ℓ,k}/‖w_{ℓ,k}‖``, so ``H_{ℓ,k}`` meets the slice in the vertical line
    ``a = (μ − ⟨w, origin⟩)/‖w‖`` and the horizontal coordinate of a point's projection keeps its
    exact distance to ``H_{ℓ,k}`` (eq. 7). ``e_2`` is the direction, orthogonal to ``e_1``, along
    which the data's layer inputs spread most. ``basis`` is ``(2, D)``.
    """

    origin: torch.Tensor
    basis: torch.Tensor
    weight: torch.Tensor

    def coordinates(self, z) -> torch.Tensor:
        """Orthogonal projection of points ``z`` ``(N, D)`` onto the slice, as ``(N, 2)`` coordinates."""
        return (torch.as_tensor(z).to(self.origin) - self.origin) @ self.basis.T

    def hyperplane(self, w, mu) -> tuple:
        """The line where ``{z : ⟨w, z⟩ = μ}`` meets the slice, as ``(normal (2,), offset)``:
        points ``c`` of the slice with ``⟨normal, c⟩ = offset``."""
        w = torch.as_tensor(w).to(self.origin)
        return self.basis @ w, float(mu) - float(w @ self.origin)

    def offset(self, mu) -> float:
        """Horizontal coordinate of ``H_{ℓ,k}`` (this slice's unit) at offset ``mu``."""
        return (float(mu) - float(self.weight @ self.origin)) / float(self.weight.norm())


@torch.no_grad()
@single_thread
def layer_slice(net, X, layer: int, unit: int) -> LayerSlice:
    """A :class:`LayerSlice` of layer ℓ's input space for unit ``k``, through the mean layer input
    ``z̄_{ℓ−1}`` of the data ``X`` ``(N, D_0)``."""
    network = check_unit(net, layer, unit).cpu()
    X = check_points(X, network.widths[0], name="X", min_count=2)
    W, inputs = _weight(network, layer)
    Z = inputs(X)
    w = W[unit]
    if not w.norm() > 0:
        raise ValueError(f"unit {unit} of layer {layer} has a zero weight row: H is undefined")
    e1 = w / w.norm()
    origin = Z.mean(0)
    C = Z - origin
    C = C - (C @ e1)[:, None] * e1[None]
    if C.shape[1] == 1:
        raise ValueError("layer inputs are 1-D: there is no 2-D slice")
    _, s, vt = torch.linalg.svd(C, full_matrices=False)
    e2 = vt[0] if s[0] > 1e-12 * max(1.0, float(Z.abs().max())) else None
    if e2 is None:                                   # data on a line along e1: any orthogonal direction
        e2 = torch.zeros_like(e1)
        e2[int(torch.argmin(e1.abs()))] = 1.0
    e2 = e2 - (e2 @ e1) * e1
    e2 = e2 / e2.norm()
    return LayerSlice(origin, torch.stack([e1, e2]), w)


class TranslationScene:
    """Figure 2(a)(b)'s geometry for a 2-D-input BN network, precomputed once.

    The exact partition of ``extent`` (``bnx.exact_partition``) gives the regions of layers ``1..ℓ−1``,
    so ``F_{ℓ,k}`` at any ``μ`` is one clip of those regions (:meth:`folded_lines`, exact) and the
    distance of eq. (12) is exact too (:meth:`nearest`). Per unit, a :class:`LayerSlice` of layer ℓ's
    input space with the data and the images of input-space grid lines (``mesh`` lines of
    ``mesh_points`` points each) in its coordinates. Float64 throughout.
    """

    @single_thread
    def __init__(self, net, X, *, layer: int = 2, extent=None, mesh: int = 13, mesh_points: int = 120):
        from .partition import exact_partition

        self.net = check_unit(as_network(net, input_dim=2), layer, 0).cpu()
        bn = self.net.bn_layer(layer, "Figure 2 (it moves μ)")
        self.X = check_points(X, 2, name="X", min_count=2).detach().to("cpu", torch.float64)
        self.layer = layer
        self.extent = as_extent(data_extent(self.X) if extent is None else extent)
        self.partition = exact_partition(self.net, self.extent)
        #: the earlier layers' folded hyperplanes, one list of ``(2, 2)`` segments per layer
        self.earlier = [self.partition.facets(j).lines() for j in range(1, layer)]
        W, inputs = _weight(self.net, layer)
        Z = inputs(self.X)
        self.data_u = Z @ W.T
        self.mu = bn.mean - bn.bias
        e = self.extent
        t = torch.linspace(0, 1, mesh_points, dtype=torch.float64)
        lines = []
        for v in torch.linspace(0, 1, mesh, dtype=torch.float64):
            lines.append(torch.stack([e[0] + v * (e[1] - e[0]) + 0 * t, e[2] + t * (e[3] - e[2])], 1))
            lines.append(torch.stack([e[0] + t * (e[1] - e[0]), e[2] + v * (e[3] - e[2]) + 0 * t], 1))
        self._mesh_z = inputs(torch.cat(lines))
        self._data_z = Z
        self._mesh_count = len(lines)
        self._slices = {}
        self._facets = {}                  # (unit, μ) -> facets: a dashboard move clips once

    @property
    def units(self) -> int:
        return self.net.widths[self.layer]

    def spread(self, unit: int) -> float:
        """The standard deviation of ``u`` over the data (``σ_{ℓ,k}`` when the statistics were fitted on
        the same data): the natural step for sliding ``μ_{ℓ,k}``."""
        check_unit(self.net, self.layer, unit)
        return float(self.data_u[:, unit].std(unbiased=False))

    @single_thread
    def slice(self, unit: int) -> dict:
        """Per unit (cached): its :class:`LayerSlice`, the data and the mesh lines in its coordinates."""
        check_unit(self.net, self.layer, unit)
        if unit not in self._slices:
            sl = layer_slice(self.net, self.X, self.layer, unit)
            mesh = sl.coordinates(self._mesh_z).reshape(self._mesh_count, -1, 2).numpy()
            self._slices[unit] = {"slice": sl, "data": sl.coordinates(self._data_z).numpy(), "mesh": list(mesh)}
        return self._slices[unit]

    @single_thread
    def facets(self, unit: int, mu: float):
        """The facets of ``F_{ℓ,k}`` with ``μ_{ℓ,k} = mu`` (exact; :func:`translated_facets`), kept for the
        last few offsets (drawing and measuring one offset clip once)."""
        key = (unit, float(mu))
        if key not in self._facets:
            if len(self._facets) >= 8:
                self._facets.pop(next(iter(self._facets)))
            self._facets[key] = translated_facets(self.partition, self.net, self.layer, unit, [float(mu)])
        return self._facets[key]

    def folded_lines(self, unit: int, mu: float) -> list:
        """``F_{ℓ,k}`` with ``μ_{ℓ,k} = mu`` as a list of ``(2, 2)`` segments, for drawing."""
        return self.facets(unit, mu).lines()

    @single_thread
    def nearest(self, x, unit: int, mu: float) -> tuple:
        """``(distance, foot)``: eq. (12) from a point ``x`` ``(2,)`` to ``F_{ℓ,k}`` at ``mu``, exact inside the
        square, and the nearest point (``(inf, None)`` when ``F`` misses the square)."""
        from .partition import segment_distance

        d, near, _ = segment_distance(torch.as_tensor(np.asarray(x, dtype=float))[None], self.facets(unit, mu).segments)
        return (float(d[0]), near[0].numpy()) if torch.isfinite(d[0]) else (float("inf"), None)
