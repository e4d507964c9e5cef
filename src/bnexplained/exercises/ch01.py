"""Chapter 1 (deep networks are splines): reference answers."""
import torch

from .. import data
from ..networks import SplineMLP
from ..partition import make_grid
from ..recipes.splines import figure1_network
from . import exercise


@exercise("ch1-ex1", rtol=1e-6, atol=1e-9, hint="multiply diag(q_ℓ) · (W_ℓ / σ_ℓ rowwise) from layer 1 up")
def _affine_map_by_hand():
    net = SplineMLP([2, 4, 3], "leaky_relu", "bn", seed=1, dtype=torch.float64)
    net.fit_statistics(data.moons(100, dtype=torch.float64))
    A, _ = net.affine_maps(torch.tensor([[0.2, 0.1]], dtype=torch.float64), statistics="stored")
    return A[0].numpy()


@exercise("ch1-ex3", rtol=0.0, atol=2.0,
          hint="torch.unique(net.signs(grid.points, statistics='stored'), dim=0) counts distinct codes")
def _regions_on_grid():
    net = figure1_network(6, True, seed=0).fit_statistics(data.star(50))
    return torch.unique(net.signs(make_grid(1.2, 300).points, statistics="stored"), dim=0).shape[0]
