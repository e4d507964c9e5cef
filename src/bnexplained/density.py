"""How densely the partition crowds around a point (Section 3.3, Figures 3 and 4).

The paper's *concentration* of layer ``j`` at a point ``x`` counts the facets ``F_{j,k,ω}`` (eq. 11)
of that layer's folded hyperplanes that pass through the ball ``B_ε(x)``. Every folded hyperplane
``F_{j,k}`` that meets the ball brings at least one facet, and exactly one when the ball lies inside a
single region of layers ``1..j−1``. What we count, and how:

* :func:`facet_concentration`, 2-D inputs, on a grid (Figure 3): per layer and pixel, the folded
  hyperplanes ``F_{j,k}`` that meet the ε-disc. Every unit's sign is evaluated on a padded grid and
  bit-packed (:func:`sign_maps`, one fused matrix product per layer); then sign maps → boundary
  pixels → ε-disc dilation → count, 64 units per machine word. Exact up to the grid spacing: the
  tests pin it between exact counts (from an exact polygonal partition) at ``ε ± 1.5`` steps.
* :func:`local_concentration`, any input dimension (Figure 4): unit ``(j,k)`` is counted when
  ``|h_{j,k}(x)| ≤ ε ‖∇_x h_{j,k}(x)‖``, the distance to its facet's hyperplane in ``x``'s region
  (eq. 7 applied to the local affine map). Assumption: ``h_{j,k}`` is affine on the ball, i.e. no
  unit of layers ``1..j−1`` changes sign inside it; then the count is exact, and it is also the facet
  count. Gradient norms come from forward-mode Jacobian–vector products, all units at once.
* :func:`sampled_concentration`, the sampling estimators. ``"ball"`` draws points uniformly in the
  ball (the technique the paper cites, Harman & Lacko 2010); ``"cross_polytope"`` takes the vertices
  ``x ± ε u_i`` of random orthonormal directions ``u_i``, as the local-complexity literature does.
  A unit counts when its sign is not constant over the samples: a guaranteed *lower bound*, blind to
  every boundary that enters and leaves the ball between two samples.

Everything evaluates networks with stored BN statistics (fit them first): the points probed must not
become the batch that defines the partition.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from .device import as_tensor, single_thread
from .partition.exact import segments_within
from .partition.grid import Grid, Ties, make_grid
from .sequential import SplineNetwork, as_network

__all__ = ["SETTINGS", "SignMaps", "GridConcentration", "sign_maps", "facet_concentration", "gaussian_like",
           "facet_distances", "local_concentration", "sampled_concentration", "exact_concentration",
           "exact_grid_concentration", "compare_estimators", "near_far_masks", "near_far_ratio"]

#: the paper's three initialization settings (Section 3.3): ``SplineMLP``/``ResNet9`` modes
SETTINGS = ("zero_bias", "random_bias", "bn")

_M1, _M2, _M4 = 0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F


# ---------------------------------------------------------------------------------------------- bits
def _host(device) -> bool:
    """Whether the NumPy fast paths run (on a CPU); everywhere else the same codes come from torch calls
    (a test turns this off to run the CUDA path on the CPU)."""
    return device.type == "cpu"


def _pack(bits: torch.Tensor) -> torch.Tensor:
    """``(n, D)`` booleans → ``(n, ceil(D/64))`` int64 words, one bit per unit (padding bits are 0)."""
    n, d = bits.shape
    words = (d + 63) // 64
    if _host(bits.device):                                         # one pass in C instead of nine in torch
        packed = np.packbits(bits.numpy(), axis=1, bitorder="little")
        if packed.shape[1] != words * 8:
            packed = np.pad(packed, ((0, 0), (0, words * 8 - packed.shape[1])))
        return torch.from_numpy(np.ascontiguousarray(packed)).view(torch.int64)
    if d != words * 64:
        bits = torch.cat([bits, bits.new_zeros(n, words * 64 - d)], 1)
    x = bits.view(n, words * 8, 8).to(torch.uint8)
    out = x[..., 0].clone()
    for i in range(1, 8):
        out |= x[..., i] << i
    return out.view(torch.int64)


def _popcount(x: torch.Tensor) -> torch.Tensor:
    """Set bits of ``(..., words)`` int64, summed over the words: ``(...)`` int32 (SWAR popcount)."""
    x = x - ((x >> 1) & _M1)
    x = (x & _M2) + ((x >> 2) & _M2)
    x = (x + (x >> 4)) & _M4
    return x.view(torch.uint8).sum(-1, dtype=torch.int32)


def _slices(n: int, d: int) -> tuple:
    """Destination and source slices for ``out[i] = t[i + d]`` along an axis of length ``n``."""
    return slice(max(0, -d), n - max(0, d)), slice(max(0, d), n - max(0, -d))


def _or_shifted(acc: torch.Tensor, t: torch.Tensor, dy: int, dx: int) -> None:
    """``acc[i, j] |= t[i + dy, j + dx]`` in place."""
    (ay, by), (ax, bx) = _slices(t.shape[0], dy), _slices(t.shape[1], dx)
    acc[ay, ax] |= t[by, bx]


# ---------------------------------------------------------------------------------------------- grid
def _check_eps(eps) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating, np.integer)):
        raise TypeError(f"eps must be a positive number, got {type(eps).__name__}")
    eps = float(eps)
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be positive and finite, got {eps!r}")
    return eps


def _check_layers(layers, depth: int) -> list:
    if layers is None:
        return list(range(1, depth + 1))
    if isinstance(layers, int) and not isinstance(layers, bool):
        layers = [layers]
    layers = list(layers)
    if not layers or not all(isinstance(j, (int, np.integer)) and not isinstance(j, bool) and 1 <= j <= depth
                             for j in layers):
        raise ValueError(f"layers must list ints in 1..{depth}, got {layers!r}")
    return sorted(set(int(j) for j in layers))


def _fused_layers(network: SplineNetwork, dtype) -> list | None:
    """Per layer ``(Wᵀ_eff, t, slope)`` with ``h = z Wᵀ_eff + t`` (eq. 15), in ``dtype``; ``None`` when a
    residual connection joins two layers (then the steps are run as they are)."""
    try:
        maps = [network.layer_map(j) for j in range(1, network.depth + 1)]
    except ValueError:
        return None
    return [(m.weight.T.to(dtype).contiguous(), m.bias.to(dtype), q.to(dtype)) for m, q in zip(maps, network.slopes)]


def _activation(slope: torch.Tensor):
    """The layer's activation as a function applied in place where it can be (chosen once per layer)."""
    first = float(slope[0]) if len(slope) else 0.0
    if not bool((slope == first).all()):
        return lambda h: torch.where(h >= 0, h, slope * h)
    if first == 0.0:
        return torch.Tensor.relu_
    if first == -1.0:
        return torch.Tensor.abs_
    return lambda h: F.leaky_relu_(h, first)


@dataclass
class SignMaps:
    """Every unit's sign ``h_{j,k} ≥ 0`` on a grid padded by ``pad`` pixels, bit-packed (a pixel where
    ``h`` is exactly 0 takes the code of the region next to it, :class:`~bnexplained.partition.grid.Ties`).

    ``signs[j-1]`` has shape ``(H + 2 pad, W + 2 pad, ceil(D_j / 64))`` (int64 words, one bit per
    unit), or is ``None`` for a layer that was not asked for; ``grid`` is the unpadded grid the counts
    refer to, ``step = (Δy, Δx)`` its spacing.
    """

    grid: Grid
    pad: int
    step: tuple
    signs: list
    widths: list = field(default_factory=list)

    @property
    def depth(self) -> int:
        return len(self.signs)

    def max_eps(self) -> float:
        """The largest ε the padding supports (the disc plus the stencils must fit in it)."""
        return (self.pad - 4) * min(self.step)

    def concentration(self, eps: float, layers=None) -> "GridConcentration":
        """Per-pixel counts of the chosen layers (1-based; default all) for discs of radius ``eps``."""
        device = next(s for s in self.signs if s is not None).device
        with single_thread(enabled=device.type == "cpu"):
            return _concentration(self, eps, layers)


@torch.no_grad()
def sign_maps(net, extent, resolution: int = 256, *, pad: int = 12, max_floats: int = 2 ** 24,
              progress: bool = False, batch=None, layers=None) -> SignMaps:
    """Evaluate a 2-D network (a ``SplineMLP`` or a supported ``nn.Sequential``, BN from stored/running
    statistics or from ``batch``) on a ``resolution²`` grid over ``extent`` padded by ``pad`` pixels,
    in the network's own dtype, and bit-pack every unit's sign. Batched on the network's device, in
    bands of rows so that about ``max_floats`` pre-activations exist at once (an 11 × 1024 network fits
    on a laptop); the cost is one fused matrix product ``z Wᵀ + t`` per layer and band, plus ``O(N D)``
    bit packing. ``layers`` (1-based; default all): only these layers' signs are packed (the others are
    ``None``), and no layer after the deepest of them is evaluated.
    """
    network = as_network(net, batch, input_dim=2)
    if not isinstance(pad, int) or isinstance(pad, bool) or pad < 4:
        raise ValueError(f"pad must be an int ≥ 4, got {pad!r}")
    layers = _check_layers(layers, network.depth)
    with single_thread(enabled=network.device.type == "cpu"):
        return _sign_maps(network, extent, resolution, pad, max_floats, progress, layers)


def _on_cpu(net) -> bool:
    """Whether ``net`` (a module or a ``SplineNetwork``) computes on the CPU."""
    if isinstance(net, SplineNetwork):
        return net.device.type == "cpu"
    p = next(iter(net.parameters()), None) if hasattr(net, "parameters") else None
    return p is None or p.device.type == "cpu"


# CPU bands of about 2 MiB of float32: the elementwise work stays in cache, and the one-thread products
# were fastest at this size (2^18 to 2^21 tried, 2-core EPYC, 1 MiB L2 per core)
_CACHE_FLOATS = 2 ** 19


def _band_rows(network, We: int, He: int, max_floats: int) -> int:
    """Rows of the padded grid per band: at most ``max_floats`` pre-activations at once, and on a
    CPU about ``_CACHE_FLOATS`` (a band's signs and activation then run in cache, not memory)."""
    floats = max_floats if network.device.type != "cpu" else min(max_floats, _CACHE_FLOATS)
    return max(1, min(He, floats // (We * max(network.widths[1:]))))


def _signs_of(h: torch.Tensor, ties: Ties, layer: int) -> torch.Tensor:
    """The codes ``h ≥ 0`` of the 0-based ``layer`` bit-packed: ``(n, D)`` → ``(n, ceil(D/64))`` int64.
    Where ``h`` is exactly 0, ``ties`` (:class:`~bnexplained.partition.grid.Ties` over the same points)
    settles the code. On a CPU the comparison and the packing are one NumPy pass each, and only the
    points with an exact 0 go through ``Ties`` (a few per grid in float32)."""
    if h.device.type != "cpu":
        return _pack(ties.signs(layer, h))
    a = h.numpy()
    if not a.all():                               # some h exactly 0 (one pass, no temporary)
        rows = torch.from_numpy(np.flatnonzero((a == 0).any(1)))
        return _pack(ties.settle(layer, h, torch.from_numpy(a >= 0), rows))
    words = (h.shape[1] + 63) // 64
    packed = np.packbits(a >= 0, axis=1, bitorder="little")
    if packed.shape[1] != words * 8:
        packed = np.pad(packed, ((0, 0), (0, words * 8 - packed.shape[1])))
    return torch.from_numpy(np.ascontiguousarray(packed)).view(torch.int64)


def _sign_bands_cpu(layers, activations, points, signs, buffers, bands, rows, We, network, step, dtype) -> None:
    """The bands of :func:`_sign_maps` on a CPU, the same codes with fewer calls per band and layer: the
    buffers' views made once per shape, NumPy comparing into one reused boolean buffer and packing
    straight into the sign maps."""
    packed = [None if s is None else s.numpy().view(np.uint8).reshape(s.shape[0] * s.shape[1], -1) for s in signs]
    bools = np.empty(buffers[0].numel(), dtype=np.bool_)
    arrays = [b.numpy() for b in buffers]
    views = {}

    def view(n, d, k):                                             # (h, its array, its codes) in buffer k
        if (n, d, k) not in views:
            views[n, d, k] = (buffers[k][: n * d].view(n, d), arrays[k][: n * d].reshape(n, d),
                              bools[: n * d].reshape(n, d))
        return views[n, d, k]

    last = len(layers) - 1
    for start in bands:
        lo, hi = start * We, min(points.shape[0], (start + rows) * We)
        z = points[lo:hi]
        n = hi - lo
        ties = None                                                # one per band, made only if needed
        for i, (wt, t, _) in enumerate(layers):
            h, a, b = view(n, wt.shape[1], i % 2)
            torch.addmm(t, z, wt, out=h)
            if packed[i] is not None:
                np.greater_equal(a, 0, out=b)
                if not a.all():                                    # some h exactly 0 (a few per grid)
                    if ties is None:                               # there: the next region's code
                        ties = Ties(network, points[lo:hi], step, dtype)
                    ties.settle(i, h, torch.from_numpy(b), torch.from_numpy(np.flatnonzero((a == 0).any(1))))
                p = np.packbits(b, axis=1, bitorder="little")
                packed[i][lo:hi, : p.shape[1]] = p
            if i < last:                                           # the last layer's output is not used
                z = activations[i](h)


def _sign_maps(network, extent, resolution, pad, max_floats, progress, wanted) -> SignMaps:
    dtype = network.dtype if network.dtype in (torch.float32, torch.float64) else torch.float64
    device = network.device
    grid = make_grid(extent, resolution, dtype=dtype, device=device)
    dx = (grid.xs[-1] - grid.xs[0]).item() / (resolution - 1)
    dy = (grid.ys[-1] - grid.ys[0]).item() / (resolution - 1)
    idx = torch.arange(-pad, resolution + pad, dtype=dtype, device=device)
    xs, ys = grid.xs[0] + dx * idx, grid.ys[0] + dy * idx
    He = We = resolution + 2 * pad
    depth = max(wanted)                                            # no layer after the deepest one asked for
    layers = _fused_layers(network, dtype)
    layers = None if layers is None else layers[:depth]
    widths = network.widths[1:]
    signs = [torch.zeros(He, We, (d + 63) // 64, dtype=torch.int64, device=device) if j in wanted else None
             for j, d in enumerate(widths, 1)]
    rows = _band_rows(network, We, He, max_floats)
    # two pre-activation buffers used in turn: a fresh tensor per product would cost as much in page
    # faults as a third of the product itself
    buffers = [torch.empty(rows * We * max(widths), dtype=dtype, device=device) for _ in range(2)]
    activations = [] if layers is None else [_activation(slope) for _, _, slope in layers]
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    points = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)      # the padded grid, row by row
    bands = range(0, He, rows)
    if progress:
        from tqdm.auto import tqdm
        bands = tqdm(bands, desc="sign maps", leave=False)
    if layers is not None and _host(device):
        _sign_bands_cpu(layers, activations, points, signs, buffers, bands, rows, We, network, (dx, dy), dtype)
        return SignMaps(grid, pad, (dy, dx), signs, list(widths))
    for start in bands:
        stop = min(He, start + rows)
        z = points[start * We: stop * We]
        ties = Ties(network, z, (dx, dy), dtype)                   # h exactly 0: the next region's code
        if layers is None:                                         # residual connections: run the steps
            for i, h in enumerate(network.preactivations(z, dtype=dtype)):
                if signs[i] is not None:
                    signs[i][start:stop] = _signs_of(h, ties, i).view(stop - start, We, -1)
            continue
        for i, (wt, t, slope) in enumerate(layers):
            h = torch.addmm(t, z, wt, out=buffers[i % 2][: z.shape[0] * wt.shape[1]].view(z.shape[0], -1))
            if signs[i] is not None:
                signs[i][start:stop] = _signs_of(h, ties, i).view(stop - start, We, -1)
            z = activations[i](h) if i + 1 < len(layers) else None      # the last layer's output is not used
    return SignMaps(grid, pad, (dy, dx), signs, list(widths))


@dataclass
class GridConcentration:
    """Concentration on a grid: ``counts[i]`` (shape ``(H, W)``) belongs to layer ``layers[i]`` and holds,
    for every pixel of ``grid``, how many folded hyperplanes ``F_{j,k}`` of that layer meet the
    ε-disc around it."""

    grid: Grid
    eps: float
    layers: list
    counts: torch.Tensor

    def of(self, layer: int) -> torch.Tensor:
        """The ``(H, W)`` map of one layer (1-based)."""
        if layer not in self.layers:
            raise ValueError(f"layer {layer!r} was not computed; available: {self.layers}")
        return self.counts[self.layers.index(layer)]

    def at(self, points) -> torch.Tensor:
        """Counts at the grid pixels nearest to ``points`` (shape ``(N, 2)``): ``(N, len(layers))``."""
        pts = as_tensor(points, name="points").to(self.grid.xs)
        if pts.ndim != 2 or pts.shape[1] != 2:
            raise ValueError(f"points must have shape (N, 2), got {tuple(pts.shape)}")
        xs, ys = self.grid.xs, self.grid.ys
        j = ((pts[:, 0] - xs[0]) / (xs[1] - xs[0])).round().long().clamp(0, len(xs) - 1)
        i = ((pts[:, 1] - ys[0]) / (ys[1] - ys[0])).round().long().clamp(0, len(ys) - 1)
        return self.counts[:, i, j].T


def _boundary(S: torch.Tensor) -> torch.Tensor:
    """Per unit, the pixels whose code differs from one of their 4 neighbours' (zero outside the grid)."""
    B = torch.zeros_like(S)
    for axis in (0, 1):
        e = S.narrow(axis, 1, S.shape[axis] - 1) ^ S.narrow(axis, 0, S.shape[axis] - 1)
        B.narrow(axis, 0, S.shape[axis] - 1).bitwise_or_(e)
        B.narrow(axis, 1, S.shape[axis] - 1).bitwise_or_(e)
        B.narrow(axis, 0, 1).bitwise_or_(S.narrow(axis, 0, 1))
        B.narrow(axis, S.shape[axis] - 1, 1).bitwise_or_(S.narrow(axis, S.shape[axis] - 1, 1))
    return B


def _disc(eps: float, step: tuple) -> torch.Tensor:
    """Boolean ``(2 ry + 1, 2 rx + 1)`` mask of the offsets within ε (ellipse in pixels if Δx ≠ Δy)."""
    dy, dx = step
    ry, rx = int(eps / dy + 1e-9), int(eps / dx + 1e-9)
    oy = torch.arange(-ry, ry + 1, dtype=torch.float64)[:, None] * dy
    ox = torch.arange(-rx, rx + 1, dtype=torch.float64)[None, :] * dx
    return oy ** 2 + ox ** 2 <= eps ** 2 * (1 + 1e-9)


def _dilate(bits: torch.Tensor, disc: torch.Tensor) -> torch.Tensor:
    """OR of ``bits(p + o)`` over the offsets ``o`` of ``disc``: per-unit dilation, row by row."""
    ry, rx = (disc.shape[0] - 1) // 2, (disc.shape[1] - 1) // 2
    half = [int(disc[ry + dy].nonzero().max()) - rx for dy in range(-ry, ry + 1)]
    rows = {0: bits.clone()}
    cur = rows[0].clone()
    for w in range(1, max(half) + 1):
        _or_shifted(cur, bits, 0, w)
        _or_shifted(cur, bits, 0, -w)
        if w in half:
            rows[w] = cur.clone()
    out = torch.zeros_like(bits)
    for dy, w in zip(range(-ry, ry + 1), half):
        _or_shifted(out, rows[w], dy, 0)
    return out


@torch.no_grad()
def _concentration(maps: SignMaps, eps, layers, shrink: float = 0.5) -> GridConcentration:
    eps = _check_eps(eps)
    layers = _check_layers(layers, maps.depth)
    if eps < max(maps.step):
        raise ValueError(f"eps = {eps:.3g} is below the grid spacing {max(maps.step):.3g}: raise the resolution")
    if eps > maps.max_eps():
        raise ValueError(f"eps = {eps:.3g} is larger than the padding supports ({maps.max_eps():.3g}): "
                         f"build the sign maps with a larger pad")
    # boundary pixels lie within one step of the zero set, half a step on average: shrink the disc by
    # half a step so the count is centred on ε (tests pin it between the exact counts at ε ± 1.5 steps)
    disc = _disc(eps - shrink * min(maps.step), maps.step)
    P = maps.pad
    inner = (slice(P, P + maps.grid.shape[0]), slice(P, P + maps.grid.shape[1]))
    counts = []
    missing = [j for j in layers if maps.signs[j - 1] is None]
    if missing:
        raise ValueError(f"the sign maps of layers {missing} were not computed: pass them to sign_maps(layers=...)")
    for j in layers:
        counts.append(_popcount(_dilate(_boundary(maps.signs[j - 1]), disc)[inner]))
    return GridConcentration(maps.grid, eps, layers, torch.stack(counts))


def facet_concentration(net, extent, eps: float, *, layers=None, resolution: int = 256,
                        max_floats: int = 2 ** 24, progress: bool = False, batch=None) -> GridConcentration:
    """Section 3.3 on a 2-D grid: for every pixel of a ``resolution²`` grid over ``extent`` (a half-width
    or ``(x_min, x_max, y_min, y_max)``) and every chosen layer ``j`` (1-based; default all), the
    number of folded hyperplanes ``F_{j,k}`` (eq. 11) that meet the disc of radius ``eps``.

    ``net``: a 2-D ``SplineMLP`` with stored statistics or a supported ``nn.Sequential`` (running
    statistics; either from the mini-batch ``batch`` if given). Returns a :class:`GridConcentration` with
    ``counts`` of shape ``(len(layers), resolution, resolution)``. ``eps`` must span at least one grid
    step; the grid is padded so that discs near its edge see the whole partition. Each counted
    ``F_{j,k}`` brings one facet ``F_{j,k,ω}`` or more (one when the disc lies in one region of the
    earlier layers).
    """
    eps = _check_eps(eps)
    # on a CPU all on one thread: reading the network is many tiny operations, the bands are cache-sized,
    # and idle OpenMP workers between the steps would spin
    with single_thread(enabled=_on_cpu(net)):
        network = as_network(net, batch, input_dim=2)
        grid = make_grid(extent, resolution, dtype=torch.float64)
        step = max((grid.xs[1] - grid.xs[0]).item(), (grid.ys[1] - grid.ys[0]).item())
        pad = int(math.ceil(eps / min((grid.xs[1] - grid.xs[0]).item(), (grid.ys[1] - grid.ys[0]).item()))) + 5
        if eps < step:
            raise ValueError(f"eps = {eps:.3g} is below the grid spacing {step:.3g}: raise the resolution")
        if pad > resolution:
            raise ValueError(f"eps = {eps:.3g} spans more than the grid ({resolution} pixels): lower the resolution")
        layers = _check_layers(layers, network.depth)
        maps = sign_maps(network, extent, resolution, pad=pad, max_floats=max_floats, progress=progress,
                         layers=layers)                        # only the layers counted
        return maps.concentration(eps, layers)


# ---------------------------------------------------------------------------------------------- any dimension
def _flat_preactivations(net, x, statistics: str) -> list:
    return [h.reshape(h.shape[0], -1) for h in net.preactivations(x, statistics=statistics)]


def _probe_network(net, batch=None):
    """A network to probe at points: a ``SplineMLP`` or supported ``nn.Sequential`` through the one interface
    (:func:`~bnexplained.sequential.as_network`, float64), a convolutional network with its own
    ``preactivations`` (``ResNet9``) as it is."""
    from torch import nn

    from .networks import SplineMLP

    if isinstance(net, (SplineNetwork, SplineMLP)) or not (isinstance(net, nn.Module) and hasattr(net, "preactivations")):
        return as_network(net, batch)
    mode = getattr(net, "mode", None)
    if mode == "bn" and hasattr(net, "statistics_set") and not net.statistics_set():
        raise ValueError("the network's BN statistics are not set: call net.fit_statistics(X) first")
    return net


def _input_points(net, x) -> torch.Tensor:
    t = as_tensor(x, name="x")
    if t.ndim < 2:
        raise ValueError(f"x must be a batch of inputs, shape (N, ...), got shape {tuple(t.shape)}")
    if t.shape[0] < 1:
        raise ValueError("x must hold at least one input")
    if not torch.isfinite(t).all():
        raise ValueError("x contains NaN or infinite values")
    if isinstance(net, SplineNetwork):
        return t.to(dtype=torch.float64, device=net.device)
    p = next(net.parameters())
    return t.to(dtype=p.dtype, device=p.device)


@torch.no_grad()
def facet_distances(net, x, *, probes: int | None = None, seed: int = 0, batch_size: int = 256,
                    statistics: str = "stored") -> list:
    """Eq. (7) applied to the local affine map: ``|h_{j,k}(x)| / ‖∇_x h_{j,k}(x)‖`` for every unit.

    This is the distance from ``x`` to the hyperplane that carries the facet of ``F_{j,k}`` in ``x``'s
    region; it equals ``d(x, F_{j,k})`` (eq. 12) when no earlier unit changes sign on the way.
    ``x``: a batch ``(N, ...)`` of inputs (points or images). Returns one ``(N, U_j)`` tensor per layer
    (``U_j`` units, conv channels × positions flattened). Gradient norms come from forward-mode
    Jacobian–vector products of all units at once: exact with the ``D_0`` basis directions
    (``probes=None``), or estimated with ``probes`` Gaussian directions ``u`` via
    ``‖g‖² = E[(gᵀu)²]`` (relative error about ``sqrt(2 / probes)``). Units with ``∇h = 0`` get ``inf``.
    """
    from torch.func import jvp

    if statistics not in ("stored", "batch"):
        raise ValueError(f"statistics must be 'stored' or 'batch', got {statistics!r}")
    raw = net
    net = _probe_network(net, x if statistics == "batch" else None)
    if net is not raw:
        statistics = "stored"                             # fixed in the spline steps
    x = _input_points(net, x)
    n, shape = x.shape[0], x.shape[1:]
    d0 = int(np.prod(shape))
    if probes is None:
        dirs = torch.eye(d0, dtype=x.dtype, device=x.device).reshape(d0, *shape)
    else:
        if not isinstance(probes, int) or isinstance(probes, bool) or probes < 1:
            raise ValueError(f"probes must be a positive int or None, got {probes!r}")
        gen = torch.Generator().manual_seed(seed)
        dirs = torch.randn(probes, *shape, generator=gen, dtype=torch.float64).to(x)
    m = dirs.shape[0]
    chunk = max(1, batch_size // m) if m <= batch_size else 1
    out = []
    for start in range(0, n, chunk):
        xb = x[start:start + chunk]
        b = xb.shape[0]
        sq_b = None
        h_b = _flat_preactivations(net, xb, statistics)
        for ds in range(0, m, max(1, batch_size // b)):
            u = dirs[ds:ds + max(1, batch_size // b)]
            k = u.shape[0]
            xr = xb.repeat_interleave(k, 0)
            ur = u.repeat(b, *([1] * len(shape)))
            _, tang = jvp(lambda inp: tuple(_flat_preactivations(net, inp, statistics)), (xr,), (ur,))
            part = [t.reshape(b, k, -1).pow(2).sum(1) for t in tang]
            sq_b = part if sq_b is None else [a + c for a, c in zip(sq_b, part)]
        if probes is not None:
            sq_b = [s / m for s in sq_b]
        out.append([torch.where(s > 0, h.abs() / s.sqrt(), torch.full_like(h, float("inf")))
                    for h, s in zip(h_b, sq_b)])
    return [torch.cat([o[j] for o in out]) for j in range(len(out[0]))]


def _count_below(dist: list, eps) -> torch.Tensor:
    """Counts ``#{k : dist_{j,k} ≤ ε}`` per point and layer: ``(N, L)``, or ``(E, N, L)`` for a vector ε."""
    scalar = isinstance(eps, (int, float, np.floating, np.integer)) and not isinstance(eps, bool)
    e = torch.as_tensor([_check_eps(eps)] if scalar else [_check_eps(float(v)) for v in eps],
                        dtype=dist[0].dtype, device=dist[0].device)
    counts = torch.stack([(d[None] <= e[:, None, None]).sum(-1) for d in dist], -1)
    return counts[0] if scalar else counts


def local_concentration(net, x, eps, *, probes: int | None = None, seed: int = 0,
                        batch_size: int = 256) -> torch.Tensor:
    """The local (Jacobian–vector product) estimate of the concentration around each input of ``x``.

    Counts, per layer, the units with ``|h_{j,k}(x)| ≤ ε ‖∇_x h_{j,k}(x)‖`` (:func:`facet_distances`).
    Assumption: ``h_{j,k}`` is affine on the ball (no earlier unit changes sign inside it); then the
    count is exact and equals the facet count, one facet per unit. ``eps`` a number → ``(N, L)``;
    a sequence of E values → ``(E, N, L)``.
    """
    return _count_below(facet_distances(net, x, probes=probes, seed=seed, batch_size=batch_size), eps)


@torch.no_grad()
def sampled_concentration(net, x, eps, *, samples: int = 64, scheme: str = "ball", seed: int = 0,
                          batch_size: int = 4096) -> torch.Tensor:
    """Sampling estimators: per input and layer, the units whose sign is not constant over samples of
    the ε-ball around the input. Shape ``(N, L)``.

    ``scheme="ball"``: ``samples`` points uniform in the ball (Gaussian direction, radius ``ε U^{1/D}``;
    the paper cites Harman & Lacko 2010 for this) plus the centre. ``scheme="cross_polytope"``: the
    ``2P`` vertices ``x ± ε u_i`` for ``P = min(samples, D_0)`` random orthonormal directions (the
    local-complexity literature). Either way a counted unit's zero set certainly meets the ball (a
    sign change on a segment inside it): a lower bound, blind to boundaries that cross and re-cross
    the ball between samples.
    """
    eps = _check_eps(eps)
    if scheme not in ("ball", "cross_polytope"):
        raise ValueError(f"scheme must be 'ball' or 'cross_polytope', got {scheme!r}")
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        raise ValueError(f"samples must be a positive int, got {samples!r}")
    net = _probe_network(net)
    x = _input_points(net, x)
    n, shape = x.shape[0], x.shape[1:]
    d0 = int(np.prod(shape))
    gen = torch.Generator().manual_seed(seed)
    if scheme == "ball":
        g = torch.randn(n, samples, d0, generator=gen, dtype=torch.float64)
        r = torch.rand(n, samples, 1, generator=gen, dtype=torch.float64) ** (1.0 / d0)
        offsets = torch.cat([torch.zeros(n, 1, d0, dtype=torch.float64),
                             eps * r * g / g.norm(dim=-1, keepdim=True)], 1)
    else:
        k = min(samples, d0)
        q, _ = torch.linalg.qr(torch.randn(n, d0, k, generator=gen, dtype=torch.float64))
        u = q.transpose(1, 2)                                            # (n, k, d0) orthonormal rows
        offsets = eps * torch.cat([u, -u], 1)
    m = offsets.shape[1]
    pts = (x.reshape(n, 1, d0).double() + offsets).to(x).reshape(n * m, *shape)
    counts = []
    for start in range(0, n * m, max(m, batch_size // m * m)):
        hs = _flat_preactivations(net, pts[start:start + max(m, batch_size // m * m)], "stored")
        part = []
        for h in hs:
            s = (h >= 0).reshape(-1, m, h.shape[1])
            part.append((s.any(1) & ~s.all(1)).sum(-1))
        counts.append(torch.stack(part, -1))
    return torch.cat(counts)


# ---------------------------------------------------------------------------------------------- near vs far
def near_far_masks(grid: Grid, X, near: float, far: float) -> tuple:
    """Boolean ``(H, W)`` masks of the pixels within ``near`` of some data point, and farther than
    ``far`` from all of them (``near < far``)."""
    near, far = _check_eps(near), _check_eps(far)
    if not near < far:
        raise ValueError(f"near must be smaller than far, got near={near!r}, far={far!r}")
    X = as_tensor(X, name="X").to(grid.points)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2), got {tuple(X.shape)}")
    d = torch.cdist(grid.points, X).min(1).values.reshape(grid.shape)
    return d <= near, d > far


def near_far_ratio(conc: GridConcentration, X, *, near: float = 0.1, far: float = 0.5) -> torch.Tensor:
    """Mean concentration on pixels near the data over its mean far from the data, per layer.

    ``near``/``far`` as in :func:`near_far_masks`. Shape ``(len(conc.layers),)``; ``inf`` where the far
    mean is 0 and the near mean is not, 1 where both are 0.
    """
    m_near, m_far = near_far_masks(conc.grid, X, near, far)
    if not m_near.any() or not m_far.any():
        raise ValueError("no pixel is near the data or none is far from it: change near/far or the extent")
    maps = conc.counts.float()
    a = maps[:, m_near.to(maps.device)].mean(1)
    b = maps[:, m_far.to(maps.device)].mean(1)
    return torch.where(b > 0, a / b.clamp_min(1e-30), torch.where(a > 0, torch.inf, torch.ones_like(a)))


# ---------------------------------------------------------------------------------------------- random images
def gaussian_like(X, n: int, *, seed: int = 0) -> torch.Tensor:
    """``n`` images of i.i.d. Gaussian pixels with the per-channel mean and variance of images ``X``
    (shape ``(N, C, H, W)``): Figure 4's random images. Shape ``(n, C, H, W)``."""
    X = as_tensor(X, name="X")
    if X.ndim != 4:
        raise ValueError(f"X must be images of shape (N, C, H, W), got {tuple(X.shape)}")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    mean = X.double().mean(dim=(0, 2, 3)).view(1, -1, 1, 1)
    std = X.double().std(dim=(0, 2, 3)).view(1, -1, 1, 1)
    g = torch.randn(n, *X.shape[1:], generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return (mean + std * g).to(X.dtype)


# ---------------------------------------------------------------------------------------------- exact counts
@torch.no_grad()
def exact_concentration(partition, points, eps: float, *, layers=None) -> tuple:
    """Exact counts from an exact partition (:func:`bnexplained.exact_partition`): for each point and
    chosen layer, ``units``, the folded hyperplanes ``F_{j,k}`` within distance ``eps`` (eq. 12), and
    ``facets``, the facets ``F_{j,k,ω}`` (eq. 11) within it. Returns ``(units, facets)``, each
    ``(N, len(layers))`` int64. Exact for points whose ε-disc lies inside the partition's square.
    Only facets on the partition boundary count (``Facets.boundary``: the unit's code ``h ≥ 0``
    changes across them), as on the grid: where ``h_{j,k}`` touches 0 without changing sign, or is
    identically 0 on a region, nothing is counted.
    """
    eps = _check_eps(eps)
    layers = _check_layers(layers, partition.depth)
    x = as_tensor(points, name="points", dtype=torch.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {tuple(x.shape)}")
    units, facets = [], []
    for j in layers:
        f = partition.facets(j)
        f = f.select(f.boundary)
        n_units = int(f.unit.max()) + 1 if len(f) else 1
        hit = segments_within(x, f.segments.cpu(), eps)
        onehot = F.one_hot(f.unit.cpu().long(), n_units).to(torch.float64) if len(f) else torch.zeros(0, 1, dtype=torch.float64)
        facets.append(hit.sum(1))
        units.append(((hit.to(torch.float64) @ onehot) > 0).sum(1))
    return torch.stack(units, 1), torch.stack(facets, 1)


def compare_estimators(net, points, eps: float, *, extent, resolution: int = 300, samples: int = 64,
                       seed: int = 0) -> dict:
    """Every way of counting, side by side, at ``points`` of a 2-D ``SplineMLP``: the exact facets and
    folded hyperplanes (from :func:`bnexplained.exact_partition` over ``extent``), the grid count, the
    local (JVP) estimate, and the two sampling estimates. Returns ``{name: (N, L) int64 counts}``."""
    from .partition import exact_partition
    from .partition import as_extent

    e = as_extent(extent)
    part = exact_partition(net, (e[0] - eps, e[1] + eps, e[2] - eps, e[3] + eps))
    units, facets = exact_concentration(part, points, eps)
    conc = facet_concentration(net, extent, eps, resolution=resolution)
    return {
        "facets (exact)": facets,
        "folded hyperplanes (exact)": units,
        "grid": conc.at(points).cpu().long(),
        "local (JVP)": local_concentration(net, points, eps).cpu(),
        f"ball, {samples} samples": sampled_concentration(net, points, eps, samples=samples, seed=seed).cpu(),
        "cross-polytope": sampled_concentration(net, points, eps, samples=samples, scheme="cross_polytope",
                                                seed=seed).cpu(),
    }


def exact_grid_concentration(net, extent, eps: float, *, resolution: int = 48, layers=None) -> dict:
    """Exact counts on a (coarse) grid from :func:`bnexplained.exact_partition`, meant for small
    networks: ``{"facets": GridConcentration, "units": GridConcentration}``, the facets ``F_{j,k,ω}``
    (the paper's definition) and the folded hyperplanes ``F_{j,k}`` meeting each pixel's ε-disc."""
    from .partition import exact_partition
    from .partition import as_extent

    eps = _check_eps(eps)
    e = as_extent(extent)
    grid = make_grid(e, resolution, dtype=torch.float64)
    part = exact_partition(net, (e[0] - eps, e[1] + eps, e[2] - eps, e[3] + eps))
    layers = _check_layers(layers, part.depth)
    units, facets = exact_concentration(part, grid.points, eps, layers=layers)
    return {name: GridConcentration(grid, eps, layers, c.T.reshape(-1, *grid.shape))
            for name, c in (("facets", facets), ("units", units))}
