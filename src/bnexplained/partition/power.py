"""The partition as a power diagram (Appendix A, eqs. (19)–(22); Balestriero et al., 2019).

Inside a region ω of layers ``1..ℓ−1`` the pre-activations of layer ℓ are affine,
``h_ℓ(x) = G x + g``. For any slope ``α < 1`` the code of a point is the one that maximizes
``Σ_k q_k h_k(x)`` over all ``q ∈ {α, 1}^{D_ℓ}`` (each unit picks 1 where ``h_k > 0``). Writing
``a_q = Gᵀ q`` and ``c_q = ⟨q, g⟩``,

    argmax_q ⟨a_q, x⟩ + c_q  =  argmin_q ‖x − a_q‖² − (‖a_q‖² + 2 c_q),

so layer ℓ cuts ω into the cells of a *power diagram*: sites ``a_q`` with weights
``w_q = ‖a_q‖² + 2 c_q`` (a Voronoi diagram when every weight is equal). Composing layers
subdivides each cell again, with sites that depend on the cell (eq. (22)).
"""
from __future__ import annotations

import itertools

import torch

__all__ = ["power_sites", "power_distances", "power_codes"]

#: the most units of one layer whose 2^D sites are enumerated
MAX_UNITS = 14


def power_sites(G: torch.Tensor, g: torch.Tensor, slope, *, weights: str = "power") -> tuple:
    """Sites and weights of the power diagram of one layer inside one region (eqs. (19)–(22)).

    ``G`` ``(..., D, d)`` and ``g`` ``(..., D)`` give ``h = G x + g``; ``slope``: the negative-side slope
    α of every unit (a number) or of each unit (``(D,)``), each below 1. Returns ``(codes (2^D, D),
    sites (..., 2^D, d), weights (..., 2^D))``. ``weights="voronoi"`` drops the weights (all zero):
    the plain Voronoi diagram of the same sites, which is *not* the partition in general.
    """
    G, g = torch.as_tensor(G), torch.as_tensor(g)
    if G.dim() < 2 or g.shape != G.shape[:-1]:
        raise ValueError(f"G must be (..., D, d) and g (..., D); got {tuple(G.shape)} and {tuple(g.shape)}")
    D = G.shape[-2]
    if not 1 <= D <= MAX_UNITS:
        raise ValueError(f"a layer of {D} units has 2^{D} sites; at most {MAX_UNITS} units are enumerated")
    alpha = torch.as_tensor(slope, dtype=G.dtype, device=G.device).expand(D)
    if not bool((alpha < 1).all()):
        raise ValueError(f"slope must be below 1 for codes to be a maximum (got {slope!r})")
    if weights not in ("power", "voronoi"):
        raise ValueError(f"weights must be 'power' or 'voronoi', got {weights!r}")
    active = torch.tensor(list(itertools.product((False, True), repeat=D)), device=G.device)
    codes = torch.where(active, torch.ones_like(alpha), alpha)
    sites = torch.einsum("qk,...kd->...qd", codes, G)
    c = torch.einsum("qk,...k->...q", codes, g)
    w = (sites ** 2).sum(-1) + 2 * c if weights == "power" else torch.zeros_like(c)
    return codes, sites, w


def power_distances(x: torch.Tensor, sites: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``π_q(x) = ‖x − a_q‖² − w_q`` for points ``x`` ``(N, d)`` and per-point sites ``(N, Q, d)``."""
    return ((x[:, None, :] - sites) ** 2).sum(-1) - weights


def power_codes(x: torch.Tensor, G: torch.Tensor, g: torch.Tensor, slope, *,
                weights: str = "power") -> torch.Tensor:
    """The code of each point ``(N, D)`` read off the power diagram: the site of least power
    distance, given each point's ``G`` ``(N, D, d)`` and ``g`` ``(N, D)``."""
    codes, sites, w = power_sites(G, g, slope, weights=weights)
    return codes[power_distances(x, sites, w).argmin(-1)]
