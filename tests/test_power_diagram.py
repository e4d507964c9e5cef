"""Appendix A, eqs. (19)–(22): each layer's partition is a power diagram inside every region."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import bnexplained as bnx
from bnexplained.partition.power import power_codes, power_sites

from strategies import networks, points


def test_one_unit_power_cells_are_the_two_half_planes():
    # h = x_1 - 1 (ReLU): the two sites are a_0 = 0 (weight 0) and a_1 = (1, 0) (weight 1 - 2 = -1), so
    # the cell boundary ‖x‖² = ‖x - a_1‖² + 1 is x_1 = 1, the unit's own line, worked by hand
    G, g = torch.tensor([[1.0, 0.0]], dtype=torch.float64), torch.tensor([-1.0], dtype=torch.float64)
    codes, sites, w = power_sites(G, g, 0.0)
    assert codes.tolist() == [[0.0], [1.0]]
    assert sites.tolist() == [[0.0, 0.0], [1.0, 0.0]] and w.tolist() == [0.0, -1.0]
    x = torch.tensor([[0.9, 5.0], [1.1, -3.0]], dtype=torch.float64)
    q = power_codes(x, G.expand(2, 1, 2), g.expand(2, 1), 0.0)
    assert q.squeeze(1).tolist() == [0.0, 1.0]


@settings(deadline=None)
@given(net=networks(d0=2, max_depth=3, max_width=5, modes=st.just("bn")), seed=st.integers(0, 1000))
def test_every_layer_is_a_power_diagram_inside_each_region(net, seed):
    X = points(64, 2, seed)
    net.fit_statistics(X)
    rep = bnx.verify.power_diagram(net, 3.0, points=300, seed=seed)
    assert rep.held, str(rep)


def test_the_checker_fails_without_the_weights_and_on_another_networks_partition():
    X = bnx.data.star(50)
    net = bnx.SplineMLP([2, 5, 5], "relu", mode="bn", seed=0).fit_statistics(X)
    assert bnx.verify.power_diagram(net, 1.5, points=300).held
    assert not bnx.verify.power_diagram(net, 1.5, points=300, weights="voronoi").held
    other = bnx.SplineMLP([2, 5, 5], "relu", mode="bn", seed=1).fit_statistics(X).double()
    broken = bnx.verify.power_diagram(net, 1.5, points=300, partition=bnx.exact_partition(other, 1.5))
    assert not broken.held


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(slope=1.0), ValueError, "slope"),
    (dict(weights="laguerre"), ValueError, "weights"),
])
def test_bad_arguments_are_named(kwargs, error, message):
    G, g = torch.ones(1, 3, 2), torch.zeros(1, 3)
    with pytest.raises(error, match=message):
        power_sites(G, g, kwargs.get("slope", 0.1), weights=kwargs.get("weights", "power"))


def test_too_many_units_are_refused():
    with pytest.raises(ValueError, match="at most"):
        power_sites(torch.ones(20, 2), torch.zeros(20), 0.0)


def test_a_readers_sequential_with_per_unit_slopes_is_a_power_diagram_too():
    torch.manual_seed(0)
    X = bnx.data.moons(100)
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.BatchNorm1d(4), torch.nn.PReLU(4),
                                torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU())
    with torch.no_grad():
        model[2].weight.copy_(torch.tensor([0.1, 0.3, -0.5, 0.0]))     # per-unit slopes, one negative
        model.train()(X)                                                # running statistics from one batch
    assert bnx.verify.power_diagram(model.eval(), 2.0, points=300).held
