"""How μ translates folded hyperplanes: Theorem 2 and Corollary 1 (Section 3, eqs. 7, 11, 12).

Unit ``k`` of layer ``ℓ`` sees its input ``z_{ℓ−1}(x)`` through one number, the projection
``u(x) = ⟨w_{ℓ,k}, z_{ℓ−1}(x)⟩``. In layer ℓ's input space its hyperplane is
``H_{ℓ,k} = {z : ⟨w_{ℓ,k}, z⟩ = μ_{ℓ,k}}`` (eq. 5); in input space it is the folded hyperplane
``F_{ℓ,k} = {x : u(x) = μ_{ℓ,k}}`` (eq. 11), a level set of ``u``. Moving ``μ_{ℓ,k}`` translates
the first and slides the second through the level sets of ``u``; nothing else changes
(``σ_{ℓ,k}`` does not enter either set).

:class:`TranslationScene` holds what a live Figure 2(a)(b) needs for a 2-D-input network:
``u`` for every unit of the layer on a grid (so ``F_{ℓ,k}`` at a new ``μ`` is one contour), a
2-D slice of layer ℓ's input space per unit (:func:`layer_slice`), and the images of data
and of input-space grid lines in that slice.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch

from .device import check_points
from .partition import _extent, data_extent, folded_hyperplane_lines, make_grid

__all__ = ["projection", "hyperplane_distance_of", "LayerSlice", "layer_slice", "TranslationScene"]


def _check_layer(net, layer: int, unit: int) -> None:
    if not (isinstance(layer, int) and not isinstance(layer, bool) and 1 <= layer <= net.depth):
        raise ValueError(f"layer must be an int in 1..{net.depth}, got {layer!r}")
    if not (isinstance(unit, int) and not isinstance(unit, bool) and 0 <= unit < net.widths[layer]):
        raise ValueError(f"unit must be an int in 0..{net.widths[layer] - 1} (layer {layer} has "
                         f"{net.widths[layer]} units), got {unit!r}")


def _stored(net) -> None:
    if net.mode == "bn" and not net.statistics_set():
        raise ValueError("the network's BN statistics are not set: call net.fit_statistics(X) "
                         "(or net.set_statistics(...)) first")


@torch.no_grad()
def projection(net, x, layer: int, unit: int) -> torch.Tensor:
    """``u(x) = ⟨w_{ℓ,k}, z_{ℓ−1}(x)⟩`` (shape ``(N,)``), stored statistics: ``F_{ℓ,k}`` is its level set
    at ``μ_{ℓ,k}`` (eq. 11), and ``h_{ℓ,k} = γ (u − μ_{ℓ,k})/σ_{ℓ,k} + β``. ``unit`` is 0-based."""
    _check_layer(net, layer, unit)
    _stored(net)
    z = net.layer_inputs(x, statistics="stored")[layer - 1]
    return (z @ net.weights[layer - 1][unit]).detach()


def hyperplane_distance_of(z, w, mu) -> torch.Tensor:
    """Eq. (7): ``d(z, H) = |⟨w, z⟩ − μ| / ‖w‖`` for points ``z`` ``(N, D)``, a weight row ``w`` ``(D,)``
    and one or more offsets ``mu`` (scalar, or ``(M,)`` giving ``(N, M)``). Raises for ``w = 0``."""
    w = torch.as_tensor(w)
    norm = w.norm()
    if not norm > 0:
        raise ValueError("w has zero norm: its hyperplane (eq. 5) is undefined")
    z = torch.as_tensor(z).to(w)
    mu = torch.as_tensor(mu, dtype=w.dtype, device=w.device)
    u = z @ w
    return ((u[:, None] - mu[None]) if mu.ndim == 1 else (u - mu)).abs() / norm


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
def layer_slice(net, X, layer: int, unit: int) -> LayerSlice:
    """A :class:`LayerSlice` of layer ℓ's input space for unit ``k``, through the mean layer input
    ``z̄_{ℓ−1}`` of the data ``X`` ``(N, D_0)``."""
    _check_layer(net, layer, unit)
    _stored(net)
    X = check_points(X, net.widths[0], name="X", min_count=2)
    Z = net.layer_inputs(X, statistics="stored")[layer - 1].detach().double()
    w = net.weights[layer - 1][unit].detach().double()
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
    """Figure 2(a)(b)'s geometry for a 2-D-input network, precomputed once.

    ``u`` of every unit of ``layer`` on a ``resolution²`` grid over ``extent`` (so ``F_{ℓ,k}`` at any
    ``μ`` is one contour, :meth:`folded_lines`), the earlier layers' folded hyperplanes, and per
    unit a :class:`LayerSlice` with the data and the images of input-space grid lines (``mesh``
    lines of ``mesh_points`` points each) in its coordinates. Float64 throughout.
    """

    def __init__(self, net, X, *, layer: int = 2, extent=None, resolution: int = 200, mesh: int = 13,
                 mesh_points: int = 120):
        if net.widths[0] != 2:
            raise ValueError(f"the scene needs a network with 2-D input, got D_0 = {net.widths[0]}")
        _check_layer(net, layer, 0)
        _stored(net)
        self.net = copy.deepcopy(net).to(device="cpu", dtype=torch.float64)
        self.X = check_points(X, 2, name="X", min_count=2).detach().to("cpu", torch.float64)
        self.layer = layer
        self.extent = _extent(data_extent(self.X) if extent is None else extent)
        grid = make_grid(self.extent, resolution, dtype=torch.float64)
        self.xs, self.ys = grid.xs.numpy(), grid.ys.numpy()
        z = self.net.layer_inputs(grid.points, statistics="stored")[layer - 1].detach()
        self.U = (z @ self.net.weights[layer - 1].detach().T).reshape(resolution, resolution, -1).numpy()
        self.earlier = folded_hyperplane_lines(self.net, self.extent, resolution)[: layer - 1] if layer > 1 else []
        self.data_u = (self.net.layer_inputs(self.X, "stored")[layer - 1].detach()
                       @ self.net.weights[layer - 1].detach().T)
        self.mu = (self.net.mu[layer - 1].detach().clone() if self.net.mode == "bn"
                   else -self.net.layers[layer - 1].norm.bias.detach().clone())
        e = self.extent
        t = torch.linspace(0, 1, mesh_points, dtype=torch.float64)
        lines = []
        for v in torch.linspace(0, 1, mesh, dtype=torch.float64):
            lines.append(torch.stack([e[0] + v * (e[1] - e[0]) + 0 * t, e[2] + t * (e[3] - e[2])], 1))
            lines.append(torch.stack([e[0] + t * (e[1] - e[0]), e[2] + v * (e[3] - e[2]) + 0 * t], 1))
        self._mesh_x = torch.cat(lines)
        self._mesh_z = self.net.layer_inputs(self._mesh_x, "stored")[layer - 1].detach()
        self._data_z = self.net.layer_inputs(self.X, "stored")[layer - 1].detach()
        self._mesh_count = len(lines)
        self._slices, self._contours = {}, {}

    @property
    def units(self) -> int:
        return self.net.widths[self.layer]

    def spread(self, unit: int) -> float:
        """The standard deviation of ``u`` over the data (``σ_{ℓ,k}`` when the statistics were fitted on
        the same data): the natural step for sliding ``μ_{ℓ,k}``."""
        _check_layer(self.net, self.layer, unit)
        return float(self.data_u[:, unit].std(unbiased=False))

    def slice(self, unit: int) -> dict:
        """Per unit (cached): its :class:`LayerSlice`, the data and the mesh lines in its coordinates."""
        _check_layer(self.net, self.layer, unit)
        if unit not in self._slices:
            sl = layer_slice(self.net, self.X, self.layer, unit)
            mesh = sl.coordinates(self._mesh_z).reshape(self._mesh_count, -1, 2).numpy()
            self._slices[unit] = {"slice": sl, "data": sl.coordinates(self._data_z).numpy(), "mesh": list(mesh)}
        return self._slices[unit]

    def folded_lines(self, unit: int, mu: float) -> list:
        """``F_{ℓ,k}`` with ``μ_{ℓ,k} = mu``: the level set ``{u = mu}`` as polylines (``(M, 2)`` arrays),
        traced by marching squares on the cached grid (exact where ``u`` is affine across a cell)."""
        import contourpy

        _check_layer(self.net, self.layer, unit)
        if not np.isfinite(mu):
            raise ValueError(f"mu must be finite, got {mu!r}")
        if unit not in self._contours:
            self._contours[unit] = contourpy.contour_generator(self.xs, self.ys, self.U[..., unit],
                                                               line_type="Separate")
        return [seg for seg in self._contours[unit].lines(float(mu)) if len(seg) > 1]

    def nearest_on_lines(self, x, unit: int, mu: float) -> tuple:
        """``(distance, foot)``: the nearest point to ``x`` ``(2,)`` on :meth:`folded_lines` (eq. 12 on the
        grid's polylines; ``(inf, None)`` when ``F`` misses the box)."""
        x = np.asarray(x, dtype=float)
        best, foot = np.inf, None
        for seg in self.folded_lines(unit, mu):
            a, b = seg[:-1], seg[1:]
            ab = b - a
            t = np.clip(((x - a) * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-300), 0, 1)
            p = a + t[:, None] * ab
            d = np.linalg.norm(p - x, axis=1)
            j = int(d.argmin())
            if d[j] < best:
                best, foot = float(d[j]), p[j]
        return best, foot
