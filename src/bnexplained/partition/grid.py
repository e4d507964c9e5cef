"""The spline partition of a network with 2-D input, seen on a grid (eq. 10).

``net`` is anything :func:`bnexplained.sequential.as_network` reads: a ``SplineMLP`` or a supported
``nn.Sequential``. Every function here evaluates it (in float64) with its *stored* / running BN
statistics, or with those of a given mini-batch ``batch``: the partition is a property of fixed
parameters, and a grid of points must not become the batch that defines them. (Fit them first,
e.g. ``net.fit_statistics(X)``.)
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..device import single_thread
from ..sequential import as_network
from .extent import as_extent

__all__ = ["Grid", "GridPartition", "make_grid", "grid_preactivations", "partition_boundaries",
           "folded_hyperplane_lines", "inscribed_radius", "zero_set_lines", "Ties"]


@dataclass
class Grid:
    """A square-pixel grid over ``extent = (x_min, x_max, y_min, y_max)``: ``xs`` (W,), ``ys`` (H,),
    and ``points`` of shape ``(H * W, 2)``, row-major (``y`` varies slowest)."""

    xs: torch.Tensor
    ys: torch.Tensor
    points: torch.Tensor

    @property
    def shape(self) -> tuple:
        return (len(self.ys), len(self.xs))

    @property
    def extent(self) -> tuple:
        return (float(self.xs[0]), float(self.xs[-1]), float(self.ys[0]), float(self.ys[-1]))


def make_grid(extent, resolution: int = 256, *, dtype=torch.float32, device=None) -> Grid:
    """A ``resolution × resolution`` grid over ``extent`` (a half-width ``r`` or a 4-tuple)."""
    if not isinstance(resolution, int) or isinstance(resolution, bool) or resolution < 2:
        raise ValueError(f"resolution must be an int ≥ 2, got {resolution!r}")
    e = as_extent(extent)
    xs = torch.linspace(e[0], e[1], resolution, dtype=dtype, device=device)
    ys = torch.linspace(e[2], e[3], resolution, dtype=dtype, device=device)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return Grid(xs, ys, torch.stack([xx.reshape(-1), yy.reshape(-1)], 1))


@torch.no_grad()
def grid_preactivations(net, extent, resolution: int = 256, *, batch=None) -> tuple:
    """``(grid, [h_1, ..., h_L])`` with each ``h_ℓ`` of shape ``(H, W, D_ℓ)`` (float64, on the net's device)."""
    network = as_network(net, batch, input_dim=2)
    grid = make_grid(extent, resolution, dtype=torch.float64, device=network.device)
    with single_thread(enabled=network.device.type == "cpu"):
        hs = network.preactivations(grid.points)
    return grid, [h.reshape(*grid.shape, -1) for h in hs]


@dataclass
class GridPartition:
    """Where each layer's units change sign on a grid.

    ``boundaries[ℓ-1]`` is a boolean ``(H, W)`` tensor, ``True`` at pixel ``(i, j)`` when some
    unit of layer ℓ has a different sign at ``(i, j)`` than at its right neighbour ``(i, j+1)``
    or its upper neighbour ``(i+1, j)``: layer ℓ's own contribution to the boundary (10).
    """

    grid: Grid
    boundaries: torch.Tensor

    def cumulative(self, layer: int) -> torch.Tensor:
        """``∂Ω_{|ℓ}`` of eq. (10): the union of layers ``1..ℓ``'s boundaries, ``(H, W)`` bool."""
        if not 1 <= layer <= len(self.boundaries):
            raise ValueError(f"layer must lie in 1..{len(self.boundaries)}, got {layer!r}")
        return self.boundaries[:layer].any(0)


class Ties:
    """The codes ``h ≥ 0`` of sample points ``points`` (float, ``(N, 2)``), ties settled.

    The partition's boundary is where the code of the regions on either side changes (a region has
    interior). A sample landing exactly on a zero set that bounds no region would draw a boundary
    that is not there: the origin of a zero-bias network, where every unit is 0, or a line where
    ``|h|`` touches 0. So where ``h`` is exactly 0 the code is taken at the point moved by
    ``shift`` (a thousandth of a pixel, in a direction no zero set takes): the code of the region
    next to it. Where ``h`` is identically 0 on an area (a zero-bias ReLU unit behind a layer that
    is off), the moved point is 0 too and the area keeps the code 1, as ``Facets.boundary`` has it.
    The network runs again only on the points where some ``h`` is exactly 0.
    """

    def __init__(self, network, points, step: tuple, dtype=torch.float64):
        self.network, self.points, self.dtype = network, points, dtype
        self.shift = torch.tensor([6e-4 * step[0], 8e-4 * step[1]], dtype=points.dtype, device=points.device)

    def signs(self, layer: int, h: torch.Tensor) -> torch.Tensor:
        """``h ≥ 0`` for the 0-based ``layer``'s pre-activations ``h`` ``(N, D)`` at the points."""
        s = h >= 0
        zero = h == 0
        if not bool(zero.any()):
            return s
        return self.settle(layer, h, s, torch.nonzero(zero.any(1)).flatten())

    def settle(self, layer: int, h: torch.Tensor, s: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """``s`` (the codes ``h ≥ 0``) with the exact zeros of the points ``rows`` settled, in place."""
        moved = self.network.preactivations(self.points[rows] + self.shift, dtype=self.dtype)[layer]
        s[rows] = torch.where(h[rows] == 0, moved >= 0, s[rows])
        return s


def _sign_changes(s: torch.Tensor) -> torch.Tensor:
    """``(H, W, D)`` codes → ``(H, W)``: a unit's code differs from the right/upper pixel."""
    out = torch.zeros(s.shape[:2], dtype=torch.bool, device=s.device)
    out[:, :-1] |= (s[:, 1:] != s[:, :-1]).any(-1)
    out[:-1, :] |= (s[1:, :] != s[:-1, :]).any(-1)
    return out


@torch.no_grad()
def partition_boundaries(net, extent, resolution: int = 256, *, batch=None, max_floats: int = 2 ** 26) -> GridPartition:
    """Eq. (10) on a grid: for each layer, the pixels its units' zero sets pass between (where a
    unit's code changes; a sample exactly on a zero set takes its neighbour region's code, :class:`Ties`).

    Batched on the network's device; the grid is processed in bands of rows so at most about
    ``max_floats`` pre-activation values exist at once (width-1024 networks fit on a laptop).
    Returns a :class:`GridPartition` whose tensors live on the network's device.
    """
    network = as_network(net, batch, input_dim=2)
    grid = make_grid(extent, resolution, dtype=torch.float64, device=network.device)
    H, W = grid.shape
    rows = max(2, min(H, max_floats // max(1, W * sum(network.widths[1:]))))
    step = (float(grid.xs[1] - grid.xs[0]), float(grid.ys[1] - grid.ys[0]))
    bounds = torch.zeros(network.depth, H, W, dtype=torch.bool, device=network.device)
    start = 0
    with single_thread(enabled=network.device.type == "cpu"):
        while start < H - 1:
            stop = min(H, start + rows)                       # band [start, stop) overlaps the next by one row
            pts = grid.points[start * W: stop * W]
            ties = Ties(network, pts, step)
            for i, h in enumerate(network.preactivations(pts)):
                bounds[i, start:stop] |= _sign_changes(ties.signs(i, h).reshape(stop - start, W, -1))
            start = stop - 1
    return GridPartition(grid, bounds)


def zero_set_lines(grid: Grid, values) -> list:
    """The zero set of ``values`` (shape ``(H, W)`` on ``grid``) as a list of ``(M, 2)`` NumPy polylines.

    Marching squares (``contourpy``): exact on every grid cell where the function is affine
    along the cell's edges, within one cell elsewhere. The lines separate ``values ≥ 0`` from
    ``values < 0`` (the codes' convention): where the function is identically zero on a whole
    area (a zero-bias ReLU unit behind a layer that is off there), that area counts with the
    positive side, and the line traced is its border with the negative side.
    """
    return _zero_lines(grid, torch.as_tensor(values)[..., None])[0]


def _zero_lines(grid: Grid, values: torch.Tensor) -> list:
    """:func:`zero_set_lines` of every unit of ``values`` ``(H, W, D)``, converted for contourpy once."""
    import contourpy

    xs, ys = grid.xs.double().cpu().numpy(), grid.ys.double().cpu().numpy()
    z = values.double().cpu()
    z = torch.where(z == 0, torch.finfo(torch.float64).tiny, z)                # h = 0 is on the h ≥ 0 side
    return [[seg for seg in contourpy.contour_generator(xs, ys, zk, line_type="Separate").lines(0.0)
             if len(seg) > 1] for zk in z.permute(2, 0, 1).contiguous().numpy()]


def folded_hyperplane_lines(net, extent, resolution: int = 200, *, batch=None) -> list:
    """The zero sets ``{x : h_{ℓ,k}(x) = 0}`` (folded hyperplanes ``F_{ℓ,k}``, eq. 11) as polylines.

    Returns ``lines[ℓ-1][k]``: a list of ``(M, 2)`` NumPy arrays for unit ``k`` of layer ℓ, traced
    by :func:`zero_set_lines` on a ``resolution × resolution`` grid over ``extent``.
    """
    grid, hs = grid_preactivations(net, extent, resolution, batch=batch)
    return [_zero_lines(grid, h) for h in hs]


@torch.no_grad()
def inscribed_radius(net, x, *, statistics: str = "stored", batch=None, return_direction: bool = False):
    """Radius of a ball around each input that lies inside the input's region of the partition.

    ``r(x) = min_{ℓ,k} |h_{ℓ,k}(x)| / ‖∇_x h_{ℓ,k}(x)‖``: until some unit changes sign, every
    ``h_{ℓ,k}`` is affine along a segment from ``x``, so no sign can change within ``r(x)``.
    It is a lower bound on the distance to the region's boundary (equal when the nearest zero
    set's foot point lies in the region). Works in any input dimension; shape ``(N,)``.
    With ``return_direction=True`` also returns unit vectors ``(N, D_0)`` from ``x`` toward the
    zero set that attains the minimum. BN uses stored/running statistics, or those of ``batch``
    (``statistics="batch"``: of ``x`` itself).
    """
    if statistics not in ("stored", "batch"):
        raise ValueError(f"statistics must be 'stored' or 'batch', got {statistics!r}")
    network = as_network(net, x if statistics == "batch" and batch is None else batch)
    maps = network.preactivation_maps(x)
    hs = network.preactivations(x)
    G = torch.cat([m[0] for m in maps], 1)                       # (N, ΣD, D_0)
    h = torch.cat(hs, 1)                                        # (N, ΣD)
    norms = G.norm(dim=-1)
    ratio = torch.where(norms > 0, h.abs() / norms.clamp_min(torch.finfo(h.dtype).tiny),
                        torch.full_like(h, float("inf")))
    radius, idx = ratio.min(1)
    if not return_direction:
        return radius
    rows = torch.arange(len(idx), device=idx.device)
    g = G[rows, idx]
    direction = -torch.sign(h[rows, idx])[:, None] * g / g.norm(dim=-1, keepdim=True).clamp_min(1e-300)
    return radius, direction
