"""The three labs of the course module (book/lab1-…, lab2-…, lab3-…): reference answers."""
import torch

from .. import data
from ..density import facet_concentration, near_far_ratio
from ..networks import SplineMLP
from ..partition import data_extent, make_grid
from . import exercise


def lab1_network(bn: bool, seed: int) -> SplineMLP:
    """Figure 1's network: four leaky-ReLU layers of six units, with or without BN."""
    return SplineMLP([2, 6, 6, 6, 6], "leaky_relu", "bn" if bn else "zero_bias", seed=seed)


def lab1_regions(X, bn: bool, seed: int, resolution: int = 300) -> int:
    """Distinct codes (regions) that a ``resolution²`` grid over ``X``'s square meets."""
    net = lab1_network(bn, seed)
    if bn:
        net.fit_statistics(X)
    grid = make_grid(data_extent(X, margin=0.1), resolution)
    return torch.unique(net.signs(grid.points, statistics="stored"), dim=0).shape[0]


@exercise("lab1-ex1", rtol=0.0, atol=2.0, hint="count distinct rows of net.signs(grid.points, statistics='stored')")
def _lab1_moons_bn_seed0():
    return lab1_regions(data.moons(200), True, 0)


@exercise("lab1-ex2", rtol=0.0, atol=0.0, hint="Corollary 2: K lines through one point")
def _lab1_central_arrangement():
    return 2 * 5                                    # theory, not a computation: K = 5 lines through one point


@exercise("lab2-ex1", rtol=0.05, atol=1e-6,
          hint="bnx.density.near_far_ratio(bnx.facet_concentration(net, extent, 0.1, resolution=128), X)")
def _lab2_ratio():
    X = data.star(50)
    net = SplineMLP([2, 16, 16], "leaky_relu", "bn", seed=0).fit_statistics(X)
    conc = facet_concentration(net, data_extent(X), 0.1, resolution=128)
    return near_far_ratio(conc, X).numpy()


@exercise("lab3-ex1", rtol=0.0, atol=1e-9, hint="runs['bn'][1] holds the test accuracy after each epoch; take the last")
def _lab3_final_accuracy():
    from ..recipes.smart_init import trajectories
    X, y = data.circles(400, noise=0.1, labels=True)
    runs = trajectories(X, y, [2, 16, 16, 16, 16], lr=0.01, epochs=8, batch_size=16, seed=0)
    return float(runs["bn"][1][-1])
