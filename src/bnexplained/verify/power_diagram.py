"""Appendix A, eqs. (19)–(22): every layer's partition is a power diagram inside each region."""
from __future__ import annotations

import torch

from ..partition import as_extent, exact_partition
from ..sequential import as_network
from ..partition.power import power_codes, power_distances, power_sites
from .report import Report

__all__ = ["power_diagram"]


@torch.no_grad()
def power_diagram(net, extent, *, partition=None, points: int = 2000, seed: int = 0,
                  weights: str = "power") -> Report:
    """Eqs. (19)–(22): for ``net`` (a ``SplineMLP`` or a supported ``nn.Sequential`` with 2-D input),
    inside each region of layers ``1..ℓ−1``, layer ℓ's regions are the cells of the
    power diagram with sites ``a_q = Gᵀq`` and weights ``‖a_q‖² + 2⟨q, g⟩`` (see
    :mod:`bnexplained.partition.power`).

    Three checks, in float64, for every layer: (i) at ``points`` random inputs of ``extent``, the code
    of the nearest site (in power distance, ``G, g`` from the network at the point) equals the
    forward pass's code; (ii) at an interior point of every region of the exact partition (``partition``,
    computed when not given), the same holds for the region's own code; (iii) every vertex of every
    region lies in the closed cell of the region's site (its power distance is the least, to rounding).
    ``weights="voronoi"`` checks the plain Voronoi diagram instead (it fails: the weights matter).
    """
    rep = Report("Appendix A, eqs. (19)–(22)",
                 "each layer cuts every region of the previous layers into the cells of a power diagram")
    e = as_extent(extent)
    net = as_network(net, input_dim=2)
    part = exact_partition(net, e) if partition is None else partition
    gen = torch.Generator().manual_seed(seed)
    lo = torch.tensor([e.x_min, e.y_min], dtype=torch.float64)
    hi = torch.tensor([e.x_max, e.y_max], dtype=torch.float64)
    X = lo + (hi - lo) * torch.rand(points, 2, generator=gen, dtype=torch.float64)
    scale = float(max(abs(v) for v in e))

    maps_x, codes_x = net.preactivation_maps(X), net.codes(X)
    worst_points, worst_regions, worst_gap = 1.0, 1.0, 0.0
    for layer in range(1, part.depth + 1):
        slope = net.slopes[layer - 1].cpu()
        G, g = maps_x[layer - 1]
        agree = (power_codes(X, G, g, slope, weights=weights) == codes_x[layer - 1]).all(-1).double().mean().item()
        worst_points = min(worst_points, agree)

        c = part.centroids(layer)
        Gc, gc = net.preactivation_maps(c)[layer - 1]
        own = part.codes(layer, of=layer)
        agree_r = (power_codes(c, Gc, gc, slope, weights=weights) == own).all(-1).double().mean().item()
        worst_regions = min(worst_regions, agree_r)

        V, n = part.vertices(layer)
        valid = torch.arange(V.shape[1])[None] < n[:, None]
        codes, sites, w = power_sites(Gc, gc, slope, weights=weights)
        own_site = (codes[None, :, :] == own[:, None, :]).all(-1).double().argmax(-1)
        for j in range(V.shape[1]):
            pd = power_distances(V[:, j], sites, w)
            gap = pd.gather(1, own_site[:, None]).squeeze(1) - pd.min(-1).values
            gap = gap[valid[:, j]]
            if len(gap):
                worst_gap = max(worst_gap, gap.max().item() / (1 + scale ** 2 + w.abs().max().item()))
    rep.add("least fraction of random points whose power-diagram code is their code", worst_points, 1.0, 0.0,
            worst_points == 1.0)
    rep.add("least fraction of exact regions whose power-diagram code is their code", worst_regions, 1.0, 0.0,
            worst_regions == 1.0)
    rep.add("largest power-distance excess of a region's vertex over the least (relative)", worst_gap, 0.0,
            1e-9, worst_gap <= 1e-9)
    rep.setting = (f"{part.depth} layers, regions per layer {part.num_regions}, {points} random points, "
                   f"weights={weights!r}")
    return rep
