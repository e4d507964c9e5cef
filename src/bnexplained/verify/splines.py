"""Appendix A: a network with piecewise-linear activations is a continuous piecewise-affine spline."""
from __future__ import annotations

import copy

import torch

from ..device import check_points
from ..networks import SplineMLP
from ..partition import inscribed_radius
from ..sequential import as_network
from .report import Report

__all__ = ["spline_identity"]


@torch.no_grad()
def spline_identity(net, X, *, samples: int = 32, seed: int = 0) -> Report:
    """Eqs. (16)–(18): ``A(x) x + B(x)`` equals the forward pass, and on the ball of radius
    ``r(x)`` around each point (:func:`~bnexplained.partition.inscribed_radius`) codes and
    ``A, B`` stay fixed, while a step just past ``r(x)`` toward the nearest zero set changes a code.

    ``net``: a ``SplineMLP`` or a supported ``nn.Sequential`` (in eval mode: running statistics). ``A, B``
    come from the spline steps (:func:`~bnexplained.sequential.as_network`), ``f`` from the module's own
    forward pass on a float64 copy. BN ``SplineMLP`` networks without stored statistics get
    statistics fitted on ``X``.
    """
    rep = Report("Appendix A, eq. (16)", "inside each region the network is one affine map A x + B")
    network = as_network(net)                            # validates: an unsupported net raises here
    if isinstance(net, SplineMLP) and net.mode == "bn" and not net.statistics_set():
        X = check_points(X, net.widths[0], name="X", min_count=2)
        net = copy.deepcopy(net).fit_statistics(X)
        rep.setting = "BN statistics fitted on the given points"
    copy64 = copy.deepcopy(net).to(torch.float64).eval()  # checked in float64 whatever the net's dtype
    network = as_network(copy64)
    X = check_points(X, network.widths[0], name="X").to(dtype=torch.float64, device=network.device)
    rep.setting = (rep.setting + "; " if rep.setting else "") + f"network {network.widths}, {len(X)} points"
    tol = 1e-9
    A, B = network.affine_maps(X)
    f = copy64(X, statistics="stored") if isinstance(copy64, SplineMLP) else copy64(X)
    err = ((A @ X[:, :, None]).squeeze(-1) + B - f).abs().max().item()
    scale = max(1.0, f.abs().max().item())
    rep.add("max |A(x)x + B(x) − f(x)| / max(1, |f|)", err / scale, 0.0, tol, err / scale <= tol)

    gen = torch.Generator().manual_seed(seed)
    r, direction = inscribed_radius(network, X, return_direction=True)
    finite = torch.isfinite(r) & (r > 0)
    Xc, rc, dc = X[finite], r[finite], direction[finite]
    n, d = Xc.shape
    u = torch.randn(n, samples, d, generator=gen, dtype=torch.float64).to(Xc)
    u = u / u.norm(dim=-1, keepdim=True)
    radii = torch.rand(n, samples, 1, generator=gen, dtype=torch.float64).to(Xc) * 0.99 * rc[:, None, None]
    inside = (Xc[:, None, :] + radii * u).reshape(-1, d)
    same_code = (network.signs(inside).reshape(n, samples, -1)
                 == network.signs(Xc)[:, None]).all(-1).float().mean().item()
    rep.add("fraction of points within 0.99 r(x) sharing x's code", same_code, 1.0, 0.0, same_code == 1.0)
    A_in, B_in = network.affine_maps(inside)
    A_diff = (A_in.reshape(n, samples, *A.shape[1:]) - A[finite][:, None]).abs().max().item() if n else 0.0
    rep.add("max change of A(x) within 0.99 r(x)", A_diff, 0.0, tol, A_diff <= tol * max(1.0, A.abs().max().item()))
    beyond = Xc + (rc * 1.001)[:, None] * dc
    changed = (network.signs(beyond) != network.signs(Xc)).any(-1).float().mean().item()
    rep.add("fraction whose code changes at 1.001 r(x) toward the nearest zero set", changed, 1.0, 0.0,
            changed == 1.0)
    rep.details.update(radius=r, affine_error=err)
    return rep
