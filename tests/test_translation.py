"""μ translates folded hyperplanes: translated facets, exact distances, the layer slice, the Figure 2 scene."""
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import bnexplained as bnx
from bnexplained.partition import exact_partition
from bnexplained import translation
from strategies import networks, points, seeds

bn_nets = networks(d0=2, max_depth=3, max_width=6, modes=st.just("bn"), readout=None)


@given(net=bn_nets, seed=seeds, layer_pick=st.integers(0, 5), unit_pick=st.integers(0, 5), shift=st.floats(-2, 2))
def test_translated_facets_are_the_facets_of_the_network_with_mu_moved(net, seed, layer_pick, unit_pick, shift):
    X = points(40, 2, seed)
    net.fit_statistics(X)
    layer = 1 + layer_pick % net.depth
    unit = unit_pick % net.widths[layer]
    mu = float(net.mu[layer - 1][unit]) + shift * float(net.sigma[layer - 1][unit])
    part = exact_partition(net, 2.0)
    moved = exact_partition(translation.with_mu(net, layer, unit, mu), 2.0)
    probe = points(200, 2, seed + 1)
    d, ok = translation.translated_distance(part, net, probe, layer, unit, [mu])
    torch.testing.assert_close(d[:, 0], moved.folded_hyperplane_distance(probe, layer, unit), rtol=1e-9, atol=1e-12)
    f = translation.translated_facets(part, net, layer, unit, [mu])
    if len(f):                                                  # the facets are level sets of u at μ
        ends = f.segments.reshape(-1, 2)
        u = translation.projection(net, ends, layer, unit)
        w = net.weights[layer - 1][unit].detach()
        assert ((u - mu).abs() / w.norm()).max() < 1e-9 * (1 + u.abs().max())


def test_distances_are_certified_only_below_the_distance_to_the_border():
    X = bnx.data.star(50)
    net = bnx.recipes.figure2_network(X)
    part = exact_partition(net, bnx.data_extent(X))
    mus = net.mu[1][0] + net.sigma[1][0] * torch.linspace(-3, 3, 7, dtype=torch.float64)
    d, ok = translation.translated_distance(part, net, X, 2, 0, mus)
    big = exact_partition(net, bnx.data_extent(X, margin=6.0))
    d_big, _ = translation.translated_distance(big, net, X, 2, 0, mus)
    assert ok.any() and (~ok).any()
    torch.testing.assert_close(d[ok], d_big[ok], rtol=1e-12, atol=1e-12)     # certified = the plane's distance
    assert (d[~ok] >= d_big[~ok] - 1e-12).all()                             # uncertified: an upper bound


@given(net=bn_nets, seed=seeds, unit_pick=st.integers(0, 5))
def test_layer_slice_keeps_the_exact_distance_to_the_hyperplane(net, seed, unit_pick):
    """e_1 ∥ w_{ℓ,k}: the horizontal coordinate of a projected layer input is its signed eq. (7) distance."""
    X = points(30, 2, seed)
    net.fit_statistics(X)
    layer = net.depth
    unit = unit_pick % net.widths[layer]
    if net.widths[layer - 1] == 1:                          # 1-D layer inputs: no 2-D slice
        with pytest.raises(ValueError, match="1-D"):
            translation.layer_slice(net, X, layer, unit)
        return
    sl = translation.layer_slice(net, X, layer, unit)
    Z = net.layer_inputs(X, "stored")[layer - 1].detach()
    c = sl.coordinates(Z)
    mu = float(net.mu[layer - 1][unit])
    w = net.weights[layer - 1][unit].detach()
    torch.testing.assert_close((c[:, 0] - sl.offset(mu)).abs(), (Z @ w - mu).abs() / w.norm())
    torch.testing.assert_close(sl.basis @ sl.basis.T, torch.eye(2, dtype=torch.float64))


def test_with_mu_and_bad_input():
    X = bnx.data.star(50)
    net = bnx.recipes.figure2_network(X)
    moved = translation.with_mu(net, 2, 3, 1.25)
    assert float(moved.mu[1][3]) == 1.25 and float(net.mu[1][3]) != 1.25
    torch.testing.assert_close(moved.sigma[1], net.sigma[1])
    with pytest.raises(ValueError, match="mu must be finite"):
        translation.with_mu(net, 2, 0, float("inf"))
    with pytest.raises(ValueError, match="layer must be"):
        translation.with_mu(net, 3, 0, 0.0)
    with pytest.raises(ValueError, match="mode='bn'"):
        translation.with_mu(bnx.SplineMLP([2, 3, 3], "relu", "random_bias"), 2, 0, 0.0)
    part = exact_partition(net, 2.0)
    with pytest.raises(ValueError, match="mus must be finite"):
        translation.translated_facets(part, net, 2, 0, [float("nan")])
    with pytest.raises(ValueError, match="2-D input"):
        translation.TranslationScene(bnx.SplineMLP([3, 4, 4], "relu", "bn").fit_statistics(torch.randn(9, 3)),
                                     torch.randn(9, 2))


def test_scene_distance_matches_the_exact_partition():
    X = bnx.data.star(50)
    net = bnx.recipes.figure2_network(X)
    scene = translation.TranslationScene(net, X)
    mu = float(net.mu[1][2]) + 0.3
    d, foot = scene.nearest(X[5].double().numpy(), 2, mu)
    ref = exact_partition(translation.with_mu(net, 2, 2, mu), scene.extent)
    assert d == pytest.approx(float(ref.folded_hyperplane_distance(X[5:6].double(), 2, 2)[0]), abs=1e-12)
    assert abs(float(translation.projection(net, torch.as_tensor(foot)[None], 2, 2)[0]) - mu) < 1e-9


def test_clip_lines_cuts_a_square_exactly_and_handles_degenerate_lines():
    V = torch.tensor([[[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]], dtype=torch.float64)
    n, E = torch.tensor([4]), torch.tensor([[-1, -2, -3, -4]])
    G = torch.tensor([[[1.0, 0.0],      # x = 0.25: a vertical chord
                       [1.0, 1.0],      # x + y = 2: touches the corner (1, 1) only → no segment
                       [1.0, -1.0],     # the diagonal x = y, through two corners
                       [0.0, 0.0],      # a constant: no line at all
                       [1.0, 0.0]]],    # x = 5: misses the square
                     dtype=torch.float64)
    g = torch.tensor([[-0.25, -2.0, 0.0, 1.0, -5.0]], dtype=torch.float64)
    f = bnx.partition.clip_lines(V, n, E, G, g)
    assert sorted(f.unit.tolist()) == [0, 2]
    chord = f.segments[f.unit == 0][0]
    torch.testing.assert_close(chord[:, 0], torch.tensor([0.25, 0.25], dtype=torch.float64))
    assert sorted(chord[:, 1].tolist()) == [-1.0, 1.0]
    assert sorted(f.edge[f.unit == 0][0].tolist()) == [-3, -1]           # it ends on the bottom and top sides
    diag = f.segments[f.unit == 2][0]
    assert sorted(map(tuple, diag.tolist())) == [(-1.0, -1.0), (1.0, 1.0)]
    assert (f.edge[f.unit == 2] == -10).all()                             # both ends are vertices
