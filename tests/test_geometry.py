"""One layer's geometry: distances (eq. 7), the TLS distance (eqs. 8–9), Theorem 1, Corollary 2, region counts."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import bnexplained as bnx
from strategies import networks, points, seeds


@st.composite
def layers(draw, d=None, k=None):
    """Random weights ``W (K, D)`` (rows of very different norms) and layer inputs ``V (N, D)``."""
    d = draw(st.integers(1, 6)) if d is None else d
    k = draw(st.integers(1, 7)) if k is None else k
    n = draw(st.integers(1, 40))
    seed = draw(seeds)
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(k, d, generator=g, dtype=torch.float64) * torch.logspace(-2, 2, k, dtype=torch.float64)[:, None]
    shift = draw(st.sampled_from([0.0, 3.0, 1e3]))
    V = torch.randn(n, d, generator=g, dtype=torch.float64) * draw(st.sampled_from([0.1, 1.0, 10.0])) + shift
    return W, V, g


@given(layers())
def test_distance_is_the_length_to_the_foot_point_on_the_hyperplane(case):
    W, V, g = case
    mu = torch.randn(W.shape[0], generator=g, dtype=torch.float64)
    d = bnx.hyperplane_distance(V, W, mu)
    assert d.shape == (len(V), W.shape[0])
    u = V @ W.T - mu                                                   # (N, K)
    foot = V[:, None, :] - (u / W.norm(dim=1).pow(2))[..., None] * W    # projection of v onto H_k
    on_plane = torch.einsum("nkd,kd->nk", foot, W)                     # ⟨w_k, foot⟩ = μ_k
    scale = 1 + (V.abs().max() * W.abs().max()).item()
    torch.testing.assert_close(on_plane, mu.expand(len(V), -1), rtol=1e-9, atol=1e-12 * scale)
    torch.testing.assert_close((V[:, None, :] - foot).norm(dim=-1), d, rtol=1e-9, atol=1e-12)


@given(layers(), st.floats(-5, 5).filter(lambda c: abs(c) > 1e-3))
def test_distance_does_not_depend_on_how_the_hyperplane_is_written(case, c):
    W, V, g = case
    mu = torch.randn(W.shape[0], generator=g, dtype=torch.float64)
    torch.testing.assert_close(bnx.hyperplane_distance(V, c * W, c * mu), bnx.hyperplane_distance(V, W, mu))


@given(layers())
def test_tls_distance_is_the_mean_squared_distance_summed_over_units(case):
    W, V, g = case
    mus = torch.randn(5, 3, W.shape[0], generator=g, dtype=torch.float64)     # a batch of candidate offsets
    L = bnx.tls_distance(V, W, mus)
    per = bnx.tls_distance(V, W, mus, per_unit=True)
    assert L.shape == (5, 3) and per.shape == (5, 3, W.shape[0])
    for i in range(5):
        for j in range(3):
            d = bnx.hyperplane_distance(V, W, mus[i, j])
            torch.testing.assert_close(per[i, j], d.pow(2).mean(0))
            torch.testing.assert_close(L[i, j], d.pow(2).mean(0).sum())


@given(layers())
def test_bn_mean_minimizes_tls_uniquely_and_the_minimum_is_sigma_squared_over_norm(case):
    """Theorem 1 with BN's own statistics: every move away from μ raises L by Σ δ²/‖w‖² > 0."""
    W, V, g = case
    if len(V) < 2:
        V = torch.cat([V, V + 1])
    norm = bnx.Normalization(W.shape[0], dtype=torch.float64)
    u = V @ W.T
    if not bool((u.std(0) > 0).all()):
        return
    mu, sigma = norm.batch_statistics(u)
    L_min = bnx.tls_distance(V, W, mu)
    scale = 1 + u.abs().max().item()
    torch.testing.assert_close(L_min, bnx.tls_fitting_error(W, sigma).sum(), rtol=1e-9, atol=1e-12 * scale ** 2)
    torch.testing.assert_close(bnx.tls_minimizer(V, W), mu, rtol=1e-12, atol=1e-12 * scale)
    delta = torch.randn(64, W.shape[0], generator=g, dtype=torch.float64) * torch.logspace(-3, 1, 64)[:, None]
    excess = bnx.tls_distance(V, W, mu + delta) - L_min
    predicted = (delta.pow(2) / W.norm(dim=1).pow(2)).sum(1)
    assert bool((excess > 0).all())
    torch.testing.assert_close(excess, predicted, rtol=1e-6, atol=1e-9 * scale ** 2 / W.norm(dim=1).min().item() ** 2)


@given(layers())
def test_data_mean_lies_on_every_bn_hyperplane(case):
    W, V, _ = case
    mu = bnx.tls_minimizer(V, W)
    d = bnx.hyperplane_distance(V.mean(0, keepdim=True), W, mu)
    assert d.max().item() <= 1e-10 * (1 + V.abs().max().item())


@given(net=networks(modes=st.sampled_from(["bn", "random_bias", "zero_bias"]), max_depth=2), seed=seeds)
def test_unit_hyperplanes_are_where_the_preactivation_vanishes(net, seed):
    X = points(20, net.widths[0], seed)
    if net.mode == "bn":
        net.fit_statistics(X)
        with torch.no_grad():
            for lay in net.layers:
                g = torch.Generator().manual_seed(seed)
                lay.norm.gamma.copy_(torch.rand(lay.norm.num_units, generator=g, dtype=torch.float64) + 0.5)
                lay.norm.beta.copy_(torch.randn(lay.norm.num_units, generator=g, dtype=torch.float64))
    for layer in range(1, net.depth + 1):
        W, b = bnx.unit_hyperplanes(net, layer)
        foot = b[:, None] * W / W.norm(dim=1, keepdim=True).pow(2)      # one point on each H_k
        lay = net.layers[layer - 1]
        h = lay(foot, "stored")                                          # (K, K): row i at H_i's point
        assert h.diagonal().abs().max().item() <= 1e-9 * (1 + h.abs().max().item())


def test_arrangement_region_counts_for_known_arrangements():
    angles = torch.linspace(0, np.pi, 7, dtype=torch.float64)[:-1]
    W = torch.stack([angles.cos(), angles.sin()], 1)                      # 6 directions
    assert bnx.arrangement_regions(W, torch.zeros(6)) == 12               # central: 2K
    assert bnx.arrangement_regions(W, W @ torch.tensor([3.0, -2.0], dtype=torch.float64)) == 12
    assert bnx.arrangement_regions(W[:1].expand(4, 2), torch.arange(4.0)) == 5      # parallel: K + 1
    assert bnx.arrangement_regions(torch.cat([W, 2 * W]), torch.zeros(12)) == 12    # coincident lines count once
    g = torch.Generator().manual_seed(0)
    assert bnx.arrangement_regions(W, torch.randn(6, generator=g, dtype=torch.float64)) == 22   # general position
    three = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    assert bnx.arrangement_regions(three, torch.tensor([0.0, 0.0, 1.0])) == 7       # a triangle
    assert bnx.arrangement_regions(three, torch.tensor([0.0, 0.0, 0.0])) == 6       # through one point


@given(seed=seeds, k=st.integers(1, 6))
def test_arrangement_regions_bound_what_a_grid_sees(seed, k):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(k, 2, generator=g, dtype=torch.float64)
    b = torch.randn(k, generator=g, dtype=torch.float64) * 0.5
    grid = bnx.make_grid(30.0, 300, dtype=torch.float64)
    seen = torch.unique((grid.points @ W.T - b) >= 0, dim=0).shape[0]
    exact = bnx.arrangement_regions(W, b)
    assert seen <= exact <= bnx.max_regions(k, 2)


def test_max_regions_formulas():
    for k in range(1, 9):
        assert bnx.max_regions(k, 2) == 1 + k + k * (k - 1) // 2
        assert bnx.max_regions(k, 2, central=True) == 2 * k
        assert bnx.max_regions(k, k) == bnx.max_regions(k, k, central=True) == 2 ** k   # K ≤ D: no loss
    assert bnx.max_regions(128, 64, central=True) < bnx.max_regions(128, 64)
    with pytest.raises(ValueError, match="units"):
        bnx.max_regions(0, 2)


def test_hyperplane_segments_lie_on_their_line_inside_the_box():
    W = torch.tensor([[1.0, 2.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    b = torch.tensor([0.5, 0.3, -0.2, 10.0], dtype=torch.float64)
    segs = bnx.hyperplane_segments(W, b, (-1, 1, -1, 1))
    assert segs[3] is None                                                # misses the box
    for (w, off), seg in zip(zip(W.numpy(), b.numpy()), segs[:3]):
        np.testing.assert_allclose(seg @ w, off, atol=1e-12)
        assert np.all(np.abs(seg) <= 1 + 1e-12) and np.linalg.norm(seg[1] - seg[0]) > 0.5


@pytest.mark.parametrize("fn", ["hyperplane_distance", "tls_distance"])
def test_bad_input_raises_clear_errors(fn):
    f = getattr(bnx, fn)
    V, W, mu = torch.randn(5, 2), torch.randn(3, 2), torch.zeros(3)
    with pytest.raises(ValueError, match="zero-norm row"):
        f(V, torch.tensor([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]]), mu)
    with pytest.raises(ValueError, match="at least 1"):
        f(torch.zeros(0, 2), W, mu)
    with pytest.raises(ValueError, match="2 columns"):
        f(torch.randn(5, 3), W, mu)
    with pytest.raises(ValueError, match=r"mu must have shape \(\.\.\., 3\)"):
        f(V, W, torch.zeros(4))
    with pytest.raises(ValueError, match="shape \\(K, D\\)"):
        f(V, torch.randn(2), mu)
    with pytest.raises(ValueError, match="V contains NaN"):
        f(torch.full((5, 2), float("nan")), W, mu)
    with pytest.raises(ValueError, match="mu contains NaN"):
        f(V, W, torch.tensor([0.0, float("nan"), 0.0]))
    with pytest.raises(TypeError, match="V must be"):
        f("points", W, mu)
    with pytest.raises(ValueError, match="W contains NaN"):
        f(V, torch.tensor([[1.0, float("inf")], [1.0, 0.0], [0.0, 1.0]]), mu)


def test_other_functions_refuse_bad_input():
    W = torch.randn(3, 2)
    with pytest.raises(ValueError, match="sigma must be non-negative"):
        bnx.tls_fitting_error(W, torch.tensor([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match="zero-norm"):
        bnx.tls_minimizer(torch.randn(4, 2), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="2 columns"):
        bnx.arrangement_regions(torch.randn(3, 3), torch.zeros(3))
    with pytest.raises(ValueError, match="layer must be"):
        bnx.unit_hyperplanes(bnx.SplineMLP([2, 3], "relu", "random_bias"), 2)


def test_float64_is_kept_and_accurate_far_from_the_origin():
    g = torch.Generator().manual_seed(0)
    V = torch.randn(100, 3, generator=g, dtype=torch.float64) + 1e6
    W = torch.randn(4, 3, generator=g, dtype=torch.float64)
    mu = bnx.tls_minimizer(V, W)
    L = bnx.tls_distance(V, W, mu)
    assert L.dtype == torch.float64
    u = (V - V.mean(0)) @ W.T                                            # centred first: no cancellation
    torch.testing.assert_close(L, (u.pow(2).mean(0) / W.norm(dim=1).pow(2)).sum(), rtol=1e-6, atol=0)
