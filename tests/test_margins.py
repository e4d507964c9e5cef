"""Decision boundaries and margins: exact on affine classifiers, consistent methods, bad input."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import bnexplained as bnx
from bnexplained.margins import decision_boundary_lines, decision_function, distance_to_polylines


def _linear(seed=0):
    lin = nn.Linear(2, 2).double()
    with torch.no_grad():
        g = torch.Generator().manual_seed(seed)
        lin.weight.copy_(torch.randn(2, 2, generator=g, dtype=torch.float64))
        lin.bias.copy_(torch.randn(2, generator=g, dtype=torch.float64) * 0.3)
    return lin


@given(seed=st.integers(0, 500), method=st.sampled_from(["exact", "grid", "gradient"]))
def test_margins_of_an_affine_classifier_are_point_to_line_distances(seed, method):
    lin = nn.Sequential(_linear(seed))
    X = torch.randn(40, 2, generator=torch.Generator().manual_seed(seed + 1), dtype=torch.float64)
    a = lin[0].weight[1] - lin[0].weight[0]
    b = lin[0].bias[1] - lin[0].bias[0]
    exact = ((X @ a + b).abs() / a.norm()).detach()
    m = bnx.margin_distances(lin, X, method=method, extent=6.0, resolution=200)
    inside = exact < 3.0                           # the traced part of the line lies within the extent
    torch.testing.assert_close(m.distance[inside], exact[inside], rtol=1e-6, atol=1e-6)


@settings(max_examples=6)
@given(seed=st.integers(0, 200))
def test_gradient_margins_bound_grid_margins_from_above(seed):
    X, y = bnx.data.moons(40, noise=0.2, seed=seed, labels=True)
    net = bnx.SplineMLP([2, 8, 8], "leaky_relu", "bn", out_features=2, seed=seed,
                        dtype=torch.float64).fit_statistics(X)
    grid = bnx.margin_distances(net, X, y, method="grid", resolution=500)
    grad = bnx.margin_distances(net, X, y, method="gradient")
    finite = torch.isfinite(grad.distance)
    assert bool((grad.distance[finite] >= grid.distance[finite] - grid.tolerance).all())
    assert torch.equal(grid.correct, grad.correct)


def test_grid_margins_agree_with_a_brute_force_search():
    X, y = bnx.data.moons(30, noise=0.2, seed=3, labels=True)
    net = bnx.SplineMLP([2, 8, 8, 8], "leaky_relu", "bn", out_features=1, seed=3,
                        dtype=torch.float64).fit_statistics(X)
    extent = bnx.data_extent(X, margin=1.0)
    m = bnx.margin_distances(net, X, y, method="grid", extent=extent, resolution=400)
    exact = bnx.margin_distances(net, X, y, method="exact", extent=extent)
    torch.testing.assert_close(exact.distance, m.distance, rtol=0, atol=m.tolerance)
    fine = bnx.make_grid(extent, 1500, dtype=torch.float64)
    d = decision_function(net, fine.points).detach().reshape(fine.shape)
    flips = torch.zeros_like(d, dtype=torch.bool)
    flips[:, :-1] |= (d[:, :-1] > 0) != (d[:, 1:] > 0)
    flips[:-1, :] |= (d[:-1, :] > 0) != (d[1:, :] > 0)
    pts = fine.points.reshape(*fine.shape, 2)[flips]
    brute = torch.cdist(X.double(), pts).min(1).values
    h = float(fine.xs[1] - fine.xs[0])
    torch.testing.assert_close(m.distance, brute, rtol=0, atol=m.tolerance + 2 * h)


def test_signed_margins_are_positive_exactly_where_points_are_classified_correctly():
    X, y = bnx.data.moons(50, noise=0.3, seed=0, labels=True)
    net = bnx.SplineMLP([2, 6, 6], "leaky_relu", "bn", out_features=2, seed=1).fit_statistics(X)
    m = bnx.margin_distances(net, X, y)
    pred = net(X).argmax(1)
    assert torch.equal(m.correct, pred == y)
    assert bool(((m.signed > 0) == m.correct).all())
    unlabelled = bnx.margin_distances(net, X)
    assert unlabelled.correct is None and torch.equal(unlabelled.signed, unlabelled.distance)


def test_distance_to_polylines_is_exact_on_a_square():
    square = [torch.tensor([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], dtype=torch.float64).numpy()]
    P = torch.tensor([[0.5, 0.5], [2.0, 0.5], [2.0, 2.0], [0.5, -0.25]], dtype=torch.float64)
    expected = torch.tensor([0.5, 1.0, 2 ** 0.5, 0.25], dtype=torch.float64)
    torch.testing.assert_close(distance_to_polylines(P, square), expected)
    assert torch.isinf(distance_to_polylines(P, [])).all()


def test_exact_boundary_segments_lie_on_the_zero_set_and_inside_the_square():
    X = bnx.data.moons(60, noise=0.2, seed=4)
    net = bnx.SplineMLP([2, 8, 8], "leaky_relu", "bn", out_features=2, seed=4, dtype=torch.float64).fit_statistics(X)
    seg = bnx.margins.exact_decision_boundary(net, 2.5)
    assert len(seg) > 0 and seg.abs().max() <= 2.5 + 1e-12
    pts = torch.cat([seg[:, 0], seg[:, 1], seg.mean(1)])
    assert decision_function(net, pts).abs().max().item() < 1e-9


def test_decision_boundary_lines_trace_the_zero_set():
    lin = _linear(4)
    lines = decision_boundary_lines(lin, 3.0, 100)
    pts = torch.as_tensor(lines[0])
    assert torch.allclose(decision_function(lin, pts).detach(), torch.zeros(len(pts), dtype=torch.float64),
                          atol=1e-9)


def test_bad_input_raises_clear_errors():
    X = torch.randn(10, 2)
    net = bnx.SplineMLP([2, 4], "relu", "bn", out_features=3).fit_statistics(X)
    with pytest.raises(ValueError, match="binary classifier"):
        bnx.margin_distances(net, X)
    lin = _linear().float()
    with pytest.raises(ValueError, match="method"):
        bnx.margin_distances(lin, X, method="exact-ish")
    with pytest.raises(ValueError, match="y must"):
        bnx.margin_distances(lin, X, torch.arange(10))
    with pytest.raises(ValueError, match="y must"):
        bnx.margin_distances(lin, X, torch.zeros(9, dtype=torch.long))
    with pytest.raises(ValueError, match="NaN"):
        bnx.margin_distances(lin, torch.tensor([[0.0, float("nan")]]))
    lin3 = nn.Linear(3, 1)
    with pytest.raises(ValueError, match="2-D input"):
        bnx.margin_distances(lin3, torch.randn(5, 3), method="grid")
    assert bnx.margin_distances(lin3, torch.randn(5, 3)).method == "gradient"      # auto: gradient beyond 2-D
    with pytest.raises(TypeError, match="torch.nn.Module"):
        decision_function(lambda x: x, X)


def test_grid_margins_can_miss_an_island_smaller_than_a_grid_cell():
    """The documented limit of method='grid': a sliver of the other class between grid points is not traced."""
    X, y = bnx.data.moons(30, noise=0.2, seed=3, labels=True)
    net = bnx.SplineMLP([2, 8, 8, 8], "abs", "bn", out_features=1, seed=3, dtype=torch.float64).fit_statistics(X)
    extent = bnx.data_extent(X, margin=1.0)
    coarse = bnx.margin_distances(net, X, y, method="grid", extent=extent, resolution=400)
    fine = bnx.margin_distances(net, X, y, method="grid", extent=extent, resolution=3000)
    exact = bnx.margin_distances(net, X, y, method="exact", extent=extent)
    assert float((coarse.distance - fine.distance).max()) > 10 * coarse.tolerance
    assert bool((coarse.distance >= fine.distance - coarse.tolerance).all())   # missing boundary only lengthens
    assert bool((exact.distance <= fine.distance + fine.tolerance).all())      # exact sees every island
    worst = int((coarse.distance - exact.distance).argmax())
    assert float(coarse.distance[worst] - exact.distance[worst]) > 10 * coarse.tolerance
