"""Concentration of the partition (Section 3.3): grid counts and estimators against exact counts."""
import math

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

import bnexplained as bnx
from bnexplained import density as D
from bnexplained import recipes as R
from conftest import fitted as _fitted
from strategies import networks, points, seeds



def _exact(net, half, pts, eps):
    """Exact ``(units, facets)`` counts, NumPy ``(N, L)``, from the exact partition of ``[-half, half]²``."""
    units, facets = D.exact_concentration(bnx.exact_partition(net, half), torch.as_tensor(pts), eps)
    return units.numpy(), facets.numpy()


def _pixels(grid, n, seed):
    """``n`` random pixel indices ``(i, j)`` of a grid and their coordinates ``(n, 2)``."""
    rng = np.random.default_rng(seed)
    i = rng.integers(0, grid.shape[0], n)
    j = rng.integers(0, grid.shape[1], n)
    return i, j, np.stack([grid.xs[j].double().numpy(), grid.ys[i].double().numpy()], 1)


# ---------------------------------------------------------------------------------------------- bits
@given(d=st.integers(1, 200), seed=seeds)
def test_packed_popcount_counts_the_true_bits(d, seed):
    g = torch.Generator().manual_seed(seed)
    bits = torch.rand(37, d, generator=g) < 0.5
    assert torch.equal(D._popcount(D._pack(bits)), bits.sum(1).to(torch.int32))
    other = torch.rand(37, d, generator=g) < 0.3
    assert torch.equal(D._popcount(D._pack(bits) ^ D._pack(other)), (bits ^ other).sum(1).to(torch.int32))


@given(net=networks(d0=2, max_width=70, max_depth=2), seed=seeds)
@settings(max_examples=10)
def test_sign_maps_are_the_networks_own_signs(net, seed):
    _fitted(net, seed)
    maps = D.sign_maps(net, 1.5, 20, pad=4)
    idx = torch.arange(-4, 24, dtype=torch.float64) * (3.0 / 19) - 1.5
    yy, xx = torch.meshgrid(idx, idx, indexing="ij")
    s = net.signs(torch.stack([xx.reshape(-1), yy.reshape(-1)], 1), "stored")
    start = 0
    for layer, width in enumerate(net.widths[1:]):
        want = D._pack(s[:, start:start + width]).view(28, 28, -1)
        assert torch.equal(maps.signs[layer], want)
        start += width


def test_sign_maps_of_some_layers_are_those_layers_own_signs():
    """Only the layers asked for are packed (the others are None, and counting them is refused); the deepest
    one asked for is the last evaluated."""
    net = bnx.SplineMLP([2, 30, 70, 20, 10], "relu", "zero_bias", seed=2)
    maps = D.sign_maps(net, 1.5, 20, pad=8, layers=[2, 3], max_floats=36 * 70 * 5)
    idx = torch.arange(-8, 28, dtype=torch.float64) * (3.0 / 19) - 1.5
    yy, xx = torch.meshgrid(idx, idx, indexing="ij")
    s = net.signs(torch.stack([xx.reshape(-1), yy.reshape(-1)], 1), "stored").split(net.widths[1:], 1)
    assert maps.signs[0] is None and maps.signs[3] is None
    for layer in (1, 2):
        assert torch.equal(maps.signs[layer], D._pack(s[layer]).view(36, 36, -1))
    with pytest.raises(ValueError, match=r"layers \[1\] were not computed"):
        maps.concentration(0.2, [1, 2])
    full = bnx.facet_concentration(net, 1.5, 0.3, resolution=40)
    some = bnx.facet_concentration(net, 1.5, 0.3, resolution=40, layers=[3, 1])
    assert some.layers == [1, 3] and torch.equal(some.counts, full.counts[[0, 2]])


def test_bands_give_the_same_maps_as_one_pass():
    net = bnx.SplineMLP([2, 40, 40, 40], "leaky_relu", "bn", seed=3).fit_statistics(bnx.data.star(50))
    one = D.sign_maps(net, 1.5, 50, pad=6)
    banded = D.sign_maps(net, 1.5, 50, pad=6, max_floats=40 * 62 * 3)
    assert all(torch.equal(a, b) for a, b in zip(one.signs, banded.signs))


# ---------------------------------------------------------------------------------------------- grid vs exact
def _zero_bias(widths, activation, seed):
    return bnx.SplineMLP(widths, activation, "zero_bias", seed=seed, dtype=torch.float64)


@given(net=networks(d0=2, max_width=5, readout=None), seed=seeds)
@settings(max_examples=15)
# found by HYPOTHESIS_PROFILE=thorough: h_2 = w |h_1| touches 0 along h_1 = 0 without changing sign
@example(net=_zero_bias([2, 1, 1], "abs", 0), seed=0)
@example(net=_zero_bias([2, 2, 1], "abs", 0), seed=1)         # ... and only at the origin
# ReLU: h_2 is identically 0 where h_1 < 0; its border is a boundary only where h_2 < 0 beyond it
@example(net=_zero_bias([2, 1, 1], "relu", 0), seed=0)          # w_2 < 0: counted by both
@example(net=_zero_bias([2, 1, 1], "relu", 1), seed=0)          # w_2 > 0: by neither
@example(net=_zero_bias([2, 1, 2], "relu", 2), seed=3)
def test_grid_counts_lie_between_exact_counts_at_eps_minus_two_and_plus_one_steps(net, seed):
    """A counted unit has a zero crossing within ε + step/2 of the pixel (upper bound); a unit whose
    zero set comes within ε − 2 steps crosses an edge of a grid cell whose corners are all within the
    disc (lower bound, barring loops smaller than a cell). Both count the partition boundary, where
    a unit's code ``h ≥ 0`` changes: a zero set that only touches 0 (``|h|`` of a zero-bias unit) or
    the inside of a region where a zero-bias ReLU unit is identically 0 count in neither."""
    _fitted(net, seed)
    eps, R, half = 0.12, 121, 1.5
    conc = bnx.facet_concentration(net, half, eps, resolution=R)
    step = 2 * half / (R - 1)
    part = bnx.exact_partition(net, half + eps + 0.1)
    i, j, pts = _pixels(conc.grid, 400, seed)
    grid = conc.counts[:, i, j].T.numpy()
    upper = D.exact_concentration(part, pts, eps + step)[0].numpy()
    lower = D.exact_concentration(part, pts, eps - 2 * step)[0].numpy()
    assert (grid <= upper).all()
    assert (grid >= lower).mean() >= 0.995


def test_grid_counts_are_unbiased_within_a_few_percent_on_the_star():
    """The measured mean error of the grid count against exact counts (reported in chapter 6)."""
    errors, exact_mean = [], []
    for mode in ("bn", "random_bias"):
        for seed in range(3):
            net = bnx.SplineMLP([2, 6, 6, 6], "leaky_relu", mode, seed=seed, dtype=torch.float64)
            if mode == "bn":
                net.fit_statistics(bnx.data.star(50, dtype=torch.float64))
            conc = bnx.facet_concentration(net, 1.5, 0.1, resolution=201)
            i, j, pts = _pixels(conc.grid, 600, seed)
            units, _ = _exact(net, 1.8, pts, 0.1)
            errors.append(conc.counts[:, i, j].T.numpy() - units)
            exact_mean.append(units.mean())
    bias = np.mean(errors) / np.mean(exact_mean)
    assert abs(bias) < 0.05
    assert np.abs(np.concatenate(errors)).max() <= 2


def test_facets_outnumber_folded_hyperplanes_once_the_ball_meets_earlier_boundaries():
    """Each folded hyperplane through the ball brings one facet or more; layer 1 exactly one."""
    net = bnx.SplineMLP([2, 6, 6, 6], "leaky_relu", "bn", seed=0, dtype=torch.float64)
    net.fit_statistics(bnx.data.star(50, dtype=torch.float64))
    pts = points(300, 2, 1).numpy()
    units, facets = _exact(net, 3.0, pts, 0.3)
    assert (facets >= units).all()
    assert (facets[:, 0] == units[:, 0]).all()
    assert facets[:, 2].sum() > 1.2 * units[:, 2].sum()


def test_zero_bias_concentration_peaks_at_the_origin_where_every_zero_set_passes():
    net = bnx.SplineMLP([2, 16, 16, 16], "leaky_relu", "zero_bias", seed=0)
    conc = bnx.facet_concentration(net, 1.5, 0.1, resolution=61)
    centre = conc.at(torch.zeros(1, 2))[0]
    assert torch.equal(centre, conc.counts.amax((1, 2)))


# ---------------------------------------------------------------------------------------------- estimators
@given(net=networks(d0=2, max_width=6, readout=None), seed=seeds, eps=st.sampled_from([0.05, 0.2, 0.5]))
@settings(max_examples=15)
# found by HYPOTHESIS_PROFILE=thorough: points at |x| = 3.1 and 3.9, outside the exact partition's square
@example(net=bnx.SplineMLP([2, 2], "relu", "random_bias", seed=0, dtype=torch.float64), seed=29151, eps=0.05)
@example(net=bnx.SplineMLP([2, 1, 1], "abs", "bn", seed=1, dtype=torch.float64), seed=85, eps=0.5)
# a zero-bias ReLU unit identically 0 on a region: no boundary there, and ∇h = 0 (not counted) locally
@example(net=_zero_bias([2, 1, 2], "relu", 2), seed=2, eps=0.2)
@example(net=_zero_bias([2, 2, 2, 2], "relu", 0), seed=0, eps=0.2)
def test_local_estimate_is_exact_where_no_earlier_boundary_enters_the_ball(net, seed, eps):
    """The assumption of the local estimator, pinned: for layer j it is exact at every point whose
    ball meets no boundary of layers 1..j−1 (always for layer 1). The exact partition's square covers
    every ball."""
    _fitted(net, seed)
    x = points(200, 2, seed + 1)
    units, _ = _exact(net, float(x.abs().max()) + eps + 0.1, x, eps)
    local = D.local_concentration(net, x, eps).numpy()
    assert np.array_equal(local[:, 0], units[:, 0])
    clear = np.cumsum(units, 1) == 0          # no boundary of layers 1..j within ε
    for j in range(1, net.depth):
        ok = clear[:, j - 1]
        assert np.array_equal(local[ok, j], units[ok, j])


@given(net=networks(d0=2, max_width=6, readout=None), seed=seeds, scheme=st.sampled_from(["ball", "cross_polytope"]))
@settings(max_examples=15)
# found by HYPOTHESIS_PROFILE=thorough: a point at y = 4.1, outside the exact partition's square
@example(net=bnx.SplineMLP([2, 1], "relu", "bn", seed=0, dtype=torch.float64), seed=1848, scheme="ball")
def test_sampling_estimators_never_exceed_the_exact_counts(net, seed, scheme):
    """Exact counts hold for points whose ε-disc lies in the partition's square: the square covers them."""
    _fitted(net, seed)
    x = points(150, 2, seed + 2)
    units, _ = _exact(net, float(x.abs().max()) + 0.3 + 0.1, x, 0.3)
    sampled = D.sampled_concentration(net, x, 0.3, samples=32, scheme=scheme, seed=seed).numpy()
    assert (sampled <= units).all()


def test_cross_polytope_misses_a_boundary_that_enters_and_leaves_between_vertices():
    """A line at distance 0.95 ε from the centre crosses the ball, but separates a vertex x ± ε u_i from
    the others only when some u_i points within 18° of its normal: most draws miss it."""
    w = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    net = bnx.SplineMLP.from_weights([w], "relu", "random_bias", biases=[torch.tensor([-0.95])],
                                     dtype=torch.float64)
    x = torch.zeros(200, 2, dtype=torch.float64)
    cross = D.sampled_concentration(net, x, 1.0, samples=2, scheme="cross_polytope").squeeze(1)
    local = D.local_concentration(net, x, 1.0).squeeze(1)
    assert (local == 1).all()
    assert 0 < cross.float().mean() < 0.6


def test_ball_sampling_misses_what_lies_between_its_samples_but_more_samples_find_more():
    net = bnx.SplineMLP([2, 8, 8, 8], "leaky_relu", "bn", seed=0, dtype=torch.float64)
    net.fit_statistics(bnx.data.star(50, dtype=torch.float64))
    x = points(100, 2, 5)
    units, _ = _exact(net, 3.5, x, 0.3)
    few = D.sampled_concentration(net, x, 0.3, samples=4).numpy()
    many = D.sampled_concentration(net, x, 0.3, samples=256).numpy()
    assert few.sum() < many.sum() <= units.sum()
    assert few.sum() < 0.9 * units.sum()


def test_local_estimate_on_images_uses_exact_gradients_or_gaussian_probes():
    X, _ = bnx.data.digits(flatten=False)
    net = bnx.ResNet9(1, 10, width=4, mode="bn", seed=0).fit_statistics(X[:200])
    x = X[:6]
    exact = D.facet_distances(net, x)
    probed = D.facet_distances(net, x, probes=256, seed=1)
    assert [d.shape for d in exact] == [d.shape for d in probed]
    assert exact[0].shape == (6, 4 * 64)
    ratio = torch.cat([(p / e).flatten() for p, e in zip(probed, exact)])
    ratio = ratio[torch.isfinite(ratio)]
    assert abs(ratio.median().item() - 1) < 0.1
    # the exact distances: |h| / ‖∇h‖ with the gradient from autograd, one unit at a time
    xi = x[:1].clone().requires_grad_(True)
    h = net.preactivations(xi, statistics="stored")[2].flatten()
    for k in (0, 17, 100):
        (g,) = torch.autograd.grad(h[k], xi, retain_graph=True)
        assert math.isclose(exact[2][0, k].item(), abs(h[k].item()) / g.norm().item(), rel_tol=1e-4)


def test_estimators_are_deterministic():
    net = bnx.SplineMLP([2, 8, 8], "leaky_relu", "bn", seed=0).fit_statistics(bnx.data.star(50))
    x = points(20, 2, 0).float()
    assert torch.equal(D.sampled_concentration(net, x, 0.2, seed=4), D.sampled_concentration(net, x, 0.2, seed=4))
    assert torch.equal(D.local_concentration(net, x, [0.1, 0.2]), D.local_concentration(net, x, [0.1, 0.2]))
    a = bnx.facet_concentration(net, 1.5, 0.1, resolution=40)
    b = bnx.facet_concentration(net, 1.5, 0.1, resolution=40)
    assert torch.equal(a.counts, b.counts)


# ---------------------------------------------------------------------------------------------- bad input
def _bn_net():
    return bnx.SplineMLP([2, 8, 8], "leaky_relu", "bn", seed=0).fit_statistics(bnx.data.star(50))


@pytest.mark.parametrize("eps, err, match", [
    (0.0, ValueError, "eps must be positive"), (-1.0, ValueError, "eps must be positive"),
    (float("nan"), ValueError, "eps must be positive"), ("0.1", TypeError, "eps must be a positive number"),
    (0.001, ValueError, "below the grid spacing"), (100.0, ValueError, "spans more than the grid"),
])
def test_bad_eps_is_refused_with_a_clear_error(eps, err, match):
    with pytest.raises(err, match=match):
        bnx.facet_concentration(_bn_net(), 1.5, eps, resolution=40)


def test_bad_arguments_are_refused_with_clear_errors():
    net = _bn_net()
    with pytest.raises(ValueError, match="layers must list ints in 1..2"):
        bnx.facet_concentration(net, 1.5, 0.1, layers=[3], resolution=40)
    with pytest.raises(ValueError, match="statistics are not set"):
        bnx.facet_concentration(bnx.SplineMLP([2, 4], "relu", "bn"), 1.5, 0.1, resolution=40)
    with pytest.raises(ValueError, match="2-D input"):
        bnx.facet_concentration(bnx.SplineMLP([3, 4], "relu", "random_bias"), 1.5, 0.1, resolution=40)
    with pytest.raises(ValueError, match="resolution"):
        bnx.facet_concentration(net, 1.5, 0.1, resolution=1)
    with pytest.raises(ValueError, match="pad must be an int"):
        D.sign_maps(net, 1.5, 40, pad=2)
    maps = D.sign_maps(net, 1.5, 40, pad=6)
    with pytest.raises(ValueError, match="larger than the padding supports"):
        maps.concentration(0.5)
    with pytest.raises(ValueError, match="contains NaN"):
        D.local_concentration(net, torch.tensor([[float("nan"), 0.0]]), 0.1)
    with pytest.raises(ValueError, match="x must be a batch"):
        D.local_concentration(net, torch.zeros(2), 0.1)
    with pytest.raises(ValueError, match="probes must be a positive int"):
        D.facet_distances(net, torch.zeros(2, 2), probes=0)
    with pytest.raises(ValueError, match="scheme must be"):
        D.sampled_concentration(net, torch.zeros(2, 2), 0.1, scheme="grid")
    with pytest.raises(ValueError, match="samples must be a positive int"):
        D.sampled_concentration(net, torch.zeros(2, 2), 0.1, samples=0)
    with pytest.raises(ValueError, match="eps must be positive"):
        D.local_concentration(net, torch.zeros(2, 2), [0.1, -0.1])
    with pytest.raises(ValueError, match="statistics are not set"):
        D.local_concentration(bnx.SplineMLP([2, 4], "relu", "bn"), torch.zeros(2, 2), 0.1)
    conc = bnx.facet_concentration(net, 1.5, 0.1, resolution=40)
    with pytest.raises(ValueError, match="near must be smaller than far"):
        D.near_far_ratio(conc, bnx.data.star(50), near=0.5, far=0.1)
    with pytest.raises(ValueError, match="layer 5 was not computed"):
        conc.of(5)
    with pytest.raises(ValueError, match="points must have shape"):
        conc.at(torch.zeros(3))
    with pytest.raises(ValueError, match="n must be a positive int"):
        D.gaussian_like(torch.zeros(4, 1, 8, 8), 0)
    with pytest.raises(ValueError, match="X must be images"):
        R.figure4(torch.zeros(4, 64))


# ---------------------------------------------------------------------------------------------- figures and checkers
def test_figure3_checker_holds_at_small_scale_and_fails_when_bn_fits_other_data():
    X = bnx.data.star(50)
    small = dict(width=48, depth=5, layers=(1, 3, 5), eps=0.1, resolution=80, progress=False)
    results = R.figure3(X, **small)
    rep = bnx.verify.concentration_near_data(results, X)
    assert rep.held, rep
    # broken: BN statistics fitted on the star moved away, so BN concentrates over there instead
    moved = R.figure3(X + 0.9, **small, settings=("bn",))
    broken = dict(results, bn=moved["bn"])
    assert not bnx.verify.concentration_near_data(broken, X).held
    with pytest.raises(ValueError, match="missing"):
        bnx.verify.concentration_near_data({"bn": results["bn"]}, X)


def test_gaussian_like_matches_the_channel_moments():
    X = torch.randn(500, 3, 8, 8) * torch.tensor([1.0, 2.0, 0.5]).view(1, 3, 1, 1) + 3
    G = D.gaussian_like(X, 400, seed=1)
    assert G.shape == (400, 3, 8, 8)
    assert torch.allclose(G.mean((0, 2, 3)), X.mean((0, 2, 3)), atol=0.05)
    assert torch.allclose(G.std((0, 2, 3)), X.std((0, 2, 3)), rtol=0.05)


def test_figure4_runs_on_cifar_shaped_images():
    X = torch.randn(12, 3, 32, 32)
    out = R.figure4(X, width=2, n=3, probes=2, eps=[0.1, 1.0], progress=False)
    assert out["data"]["bn"].shape == (2, 8) and out["units"].shape == (8,)
    assert (out["data"]["bn"][1] >= out["data"]["bn"][0]).all()


@pytest.fixture(scope="module")
def digits_figure4():
    """Figure 4 at the chapter's CPU scale (ResNet9 of width 16, 16 probes, 100 + 100 images)."""
    X, _ = bnx.data.digits(flatten=False)
    return R.figure4(X, **R.figure4_scale("cpu"), progress=False)


def test_figure4_checker_reports_the_digits_result_and_fails_when_data_and_random_swap(digits_figure4):
    result = digits_figure4
    rep = bnx.verify.concentration_near_images(result)
    assert rep["around data images: BN's count"].passed
    assert rep["data / random ratio with BN"].passed
    swapped = dict(result, data=result["random"], random=result["data"])
    assert not bnx.verify.concentration_near_images(swapped)["data / random ratio with BN"].passed


def test_bn_also_raises_the_concentration_around_random_digit_sized_images(digits_figure4):
    """A closer look (chapter 6): on 8×8 digits, random Gaussian images with the data's mean and
    variance also get more folded hyperplanes nearby with BN than without; the paper's Figure 4
    (CIFAR-10) reports no such rise. The excess around data images grows with depth instead."""
    rep = bnx.verify.concentration_near_images(digits_figure4)
    assert not rep["around random images: BN's count"].passed
    per_layer = rep.details["bn_ratio_per_layer"]
    assert per_layer[-1] > per_layer[0]


def test_density_explorer_caches_maps_and_redraws():
    w = bnx.widgets.DensityExplorer(widths=(8, 16), depth=4, resolution=48, eps_range=(0.08, 0.3),
                                    precompute=False)
    first = w.png
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    w.controls["eps"].value = 0.2
    assert w.png != first
    w.controls["setting"].value = "zero_bias"
    w.controls["layer"].value = 2
    w.controls["width"].value = 8
    assert set(w._maps) >= {(16, "bn"), (16, "zero_bias"), (8, "zero_bias")}
    assert "near the data" in w.readout.value


def test_plots_draw_every_panel():
    X = bnx.data.star(50)
    results = R.figure3(X, width=16, depth=3, layers=(1, 3), eps=0.1, resolution=40, progress=False)
    fig = bnx.plotting.plot_concentration(results, X)
    assert len(fig.axes) == 9
    assert len(bnx.plotting.plot_settings(results, 3, X).axes) == 3
    out = R.figure4(torch.randn(10, 1, 8, 8), width=2, n=4, probes=2, progress=False)
    axes = bnx.plotting.plot_image_concentration(out)
    assert len(axes[0].lines) == 3


def _sampled_counts(net, x, radius, step):
    """Independent of the partition code: forward passes on a square lattice of spacing ``step`` inside the
    disc of ``radius`` around each point. A unit whose sign differs at the two ends of a lattice edge has
    its zero set on that edge, inside the disc (a lower bound on the folded hyperplanes ``F_{j,k}`` meeting
    it); when the two ends also share the codes of layers ``1..j−1`` they lie in one convex region ω, so
    that edge crosses the facet ``F_{j,k,ω}`` (a lower bound on the facets). ``(units, facets)`` ``(N, L)``."""
    m = int(radius / step)
    g = torch.arange(-m, m + 1, dtype=torch.float64) * step
    yy, xx = torch.meshgrid(g, g, indexing="ij")
    inside = xx ** 2 + yy ** 2 <= radius ** 2
    edges = [(np.s_[:, :-1], np.s_[:, 1:]), (np.s_[:-1], np.s_[1:])]
    units, facets = [], []
    for p in x:
        pts = torch.stack([xx + p[0], yy + p[1]], -1).reshape(-1, 2)
        hs = [h.reshape(len(g), len(g), -1) >= 0 for h in net.preactivations(pts, statistics="stored")]
        u_row, f_row = [], []
        for j, s in enumerate(hs):
            earlier = torch.cat(hs[:j], -1) if j else torch.zeros(len(g), len(g), 0, dtype=torch.bool)
            code = (earlier.long() * 2 ** torch.arange(earlier.shape[-1])).sum(-1)       # one int per code
            keys_u, keys_f = [], []
            for a, b in edges:
                flip = (s[a] != s[b]) & (inside[a] & inside[b])[..., None]            # (H, W, D)
                k = torch.nonzero(flip)
                keys_u.append(k[:, 2])
                same = (code[a] == code[b])[k[:, 0], k[:, 1]]
                keys_f.append((k[:, 2] * 2 ** 40 + code[a][k[:, 0], k[:, 1]])[same])
            u_row.append(len(torch.unique(torch.cat(keys_u))))
            f_row.append(len(torch.unique(torch.cat(keys_f))))
        units.append(u_row)
        facets.append(f_row)
    return torch.tensor(units), torch.tensor(facets)


def test_exact_concentration_is_pinned_by_forward_pass_samples_of_the_disc():
    """Exact counts against an oracle that never sees the partition: lattice samples of the ε-disc give
    lower bounds (exact ≥ sampled at ε, on every point), and a slightly larger disc catches every folded
    hyperplane (exact ≤ sampled at ε + 4 steps) and nearly every facet (a facet can hide in a region
    thinner than the lattice: in total at least 90 % of them)."""
    net = bnx.SplineMLP([2, 6, 6, 6], "leaky_relu", "bn", seed=1, dtype=torch.float64)
    net.fit_statistics(bnx.data.star(50, dtype=torch.float64))
    part = bnx.exact_partition(net, 2.0)
    x = points(20, 2, 3) * 0.5
    eps, step = 0.25, 0.005
    units, facets = D.exact_concentration(part, x, eps)
    lo_u, lo_f = _sampled_counts(net, x, eps, step)
    hi_u, hi_f = _sampled_counts(net, x, eps + 4 * step, step)
    assert bool((units >= lo_u).all()) and bool((facets >= lo_f).all())
    assert bool((units <= hi_u).all())
    assert int(hi_f.sum()) >= 0.9 * int(facets.sum())
    assert int(facets.sum()) > int(units.sum()) > 0                  # not trivial: folded facets are counted


@pytest.mark.parametrize("activation, mode", [("relu", "zero_bias"), ("leaky_relu", "bn"), ("abs", "random_bias")])
def test_the_cuda_path_run_on_the_cpu_gives_the_networks_own_signs(monkeypatch, activation, mode):
    """The device-generic band loop (what a GPU runs) and the CPU's NumPy loop both pack the network's own
    signs (NumPy's packbits of ``net.signs`` as the oracle; a symmetric grid puts zero-bias ReLU points
    exactly on zero sets, so ties are settled on both paths), in small bands, and count alike."""
    net = bnx.SplineMLP([2, 20, 70, 9], activation, mode, seed=5)
    if mode == "bn":
        net.fit_statistics(bnx.data.star(40))
    idx = torch.arange(-6, 27, dtype=torch.float64) * (3.0 / 20) - 1.5
    yy, xx = torch.meshgrid(idx, idx, indexing="ij")
    s = net.signs(torch.stack([xx.reshape(-1), yy.reshape(-1)], 1), "stored").split(net.widths[1:], 1)
    results = []
    for host in (True, False):
        monkeypatch.setattr(D, "_host", lambda device, host=host: host)
        maps = D.sign_maps(net, 1.5, 21, pad=6, max_floats=33 * 70 * 4)
        for layer, bits in enumerate(s):
            if mode != "zero_bias":                  # (zero-bias ties take the next region's code instead)
                want = np.packbits(bits.numpy(), axis=1, bitorder="little")
                got = maps.signs[layer].reshape(33 * 33, -1).numpy().view(np.uint8)[:, : want.shape[1]]
                assert np.array_equal(got, want)
        results.append((maps.signs, bnx.facet_concentration(net, 1.5, 0.3, resolution=21).counts))
    for a, b in zip(results[0][0], results[1][0]):
        assert torch.equal(a, b)
    assert torch.equal(results[0][1], results[1][1])
