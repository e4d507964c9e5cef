"""Chapter 6 (the partition concentrates where the data are): reference answers."""
import torch

from .. import data
from ..density import facet_concentration, near_far_ratio
from ..networks import SplineMLP
from . import exercise


@exercise("ch6-ex1", rtol=0.0, atol=0.0,
          hint="layer 1's folded hyperplanes are straight lines: use eq. (7), |⟨w, x⟩ − μ| / ‖w‖ ≤ ε")
def _layer_one_count():
    net = SplineMLP([2, 6, 6, 6], "leaky_relu", "bn", seed=0).fit_statistics(data.star(50))
    x0 = torch.tensor([0.4, -0.3])
    w, mu = net.weights[0].detach(), net.mu[0]
    return int(((w @ x0 - mu).abs() / w.norm(dim=1) <= 0.25).sum())


@exercise("ch6-ex2", rtol=1e-3, atol=1e-6,
          hint="bnx.facet_concentration(net, bnx.data_extent(X), 0.1, layers=[5], resolution=100), "
               "then bnx.density.near_far_ratio(conc, X)")
def _moons_ratio():
    from ..partition import data_extent

    X = data.moons(100)
    net = SplineMLP([2] + [32] * 5, "leaky_relu", "bn", seed=0).fit_statistics(X)
    conc = facet_concentration(net, data_extent(X), 0.1, layers=[5], resolution=100)
    return float(near_far_ratio(conc, X)[0])
