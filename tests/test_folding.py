"""Theorem 3 geometry (eqs. 23–26): crossings, formula vs measured angles, σ sweeps, degenerate input."""
import copy
import math

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import bnexplained as bnx
from bnexplained import folding
from bnexplained.device import single_thread
from strategies import networks, points, seeds

# generic networks (BN or a random bias): zero-bias layers put every hyperplane through the origin, a
# degenerate arrangement tested on its own below
two_layer_nets = networks(d0=2, max_depth=3, max_width=6, readout=None,
                          modes=st.sampled_from(["bn", "random_bias"])).filter(lambda n: n.depth >= 2)


def _fitted(net, seed):
    if net.mode == "bn":
        net.fit_statistics(points(40, 2, seed))
    return net


def _with_sigma(net, i, scale):
    """A copy of ``net`` with σ_{1,i} multiplied by ``scale`` (every other statistic kept)."""
    out = copy.deepcopy(net)
    s = out.sigma[0].clone()
    s[i] *= scale
    out.set_statistics(sigma=[s] + list(out.sigma[1:]))
    return out


@given(net=two_layer_nets, seed=seeds)
def test_crossings_lie_on_both_the_layer1_hyperplane_and_the_layer2_folded_hyperplane(net, seed):
    _fitted(net, seed)
    cr = folding.crossings(net, 3.0)
    if len(cr) == 0:
        return
    h1, h2 = net.preactivations(cr.points, "stored")[:2]
    rows = torch.arange(len(cr))
    scale1 = net.weights[0].detach().norm(dim=1)[cr.boundary] * 3 + 1
    assert (h1[rows, cr.boundary].abs() <= 1e-9 * scale1 * (1 + h1.abs().max())).all()
    assert (h2[rows, cr.unit].abs() <= 1e-8 * (1 + h2.abs().max())).all()
    assert (cr.codes != cr.codes_other).sum(1).eq(1).all()          # ω and ω' differ only at entry i
    assert (cr.codes[rows, cr.boundary] == 1).all()


@given(net=two_layer_nets, seed=seeds)
@single_thread
def test_crossings_match_sign_changes_found_by_dense_scans_along_each_line(net, seed):
    """Scanning each H_{1,i} densely inside the box finds at most as many sign changes of h_{2,k} as there are
    crossings (a scan can miss two close roots, never invent one), and exactly as many when the scan is fine
    enough to separate them."""
    _fitted(net, seed)
    e = 2.0
    cr = folding.crossings(net, e, min_clearance=0.0)
    first = bnx.sequential.as_network(net).layer_map(1)            # h_1 = W̃_1 x + t
    t = first.bias
    for i in range(net.widths[1]):
        n = first.weight[i]
        x0 = -t[i] * n / n.dot(n)
        d = torch.stack([-n[1], n[0]]) / n.norm()
        reach = float(x0.norm()) + 1.5 * e
        ts = torch.linspace(-reach, reach, 20_001, dtype=torch.float64)
        P = x0[None] + ts[:, None] * d[None]
        P = P[(P.abs() <= e).all(1)]
        if len(P) < 2:
            continue
        h2 = net.preactivations(P, "stored")[1]
        flips = ((h2[1:] >= 0) != (h2[:-1] >= 0)).sum(0)
        for k in range(net.widths[2]):
            if h2[:, k].abs().max() < 1e-9:               # F_{2,k} runs along H_{1,i}: no isolated crossing
                continue
            exact = int(((cr.boundary == i) & (cr.unit == k)).sum())
            assert flips[k] <= exact
            near = cr.points[(cr.boundary == i) & (cr.unit == k)]
            gaps = torch.cdist(near, near) + torch.eye(len(near)) * 1e9 if len(near) > 1 else torch.tensor([1e9])
            edge = (near.abs() > e - 1e-3).any() if len(near) else False
            if gaps.min() > 1e-3 and not edge:                  # well separated: the scan sees each root
                assert flips[k] == exact


@given(net=two_layer_nets, seed=seeds)
def test_formula_angles_equal_angles_measured_from_the_zero_set(net, seed):
    """Eqs. (24)–(26) with Q_1(ω) of eq. (23) equal the angles read off h_{2,k}'s zero set by bisection."""
    _fitted(net, seed)
    da = folding.dihedral_angles(net, 3.0, probe=True)
    assume(len(da) > 0)
    assert da.matched().all()                                      # two exact facets meet at every crossing
    for against in ("measured", "probed"):                         # exact facets; forward passes only
        for key, err in da.max_error(against).items():
            assert err < 1e-7, (against, key, err)
    assert ((da.between >= 0) & (da.between <= math.pi / 2 + 1e-12)).all()
    assert ((da.opening >= 0) & (da.opening <= math.pi + 1e-12)).all()
    # (26) is the opening folded onto [0, π/2]: the absolute value forgets which side the fold turns
    torch.testing.assert_close(da.between, torch.minimum(da.opening, math.pi - da.opening))


@given(net=networks(d0=2, max_depth=2, max_width=6, modes=st.just("bn"), readout=None).filter(lambda n: n.depth == 2),
       seed=seeds, log_scale=st.floats(-3, 2))
def test_fold_curve_equals_angles_recomputed_with_sigma_rescaled(net, seed, log_scale):
    _fitted(net, seed)
    cr = folding.crossings(net, 3.0)
    assume(len(cr) > 0)
    m = int(torch.randint(len(cr), (1,), generator=torch.Generator().manual_seed(seed)))
    scale = 10.0 ** log_scale
    curve = folding.fold_curve(net, cr, m, [scale])
    other = _with_sigma(net, int(cr.boundary[m]), scale)
    da = folding.dihedral_angles(other, None, units=int(cr.unit[m]), boundaries=int(cr.boundary[m]), measure=False)
    j = int((da.crossings.points - cr.points[m]).norm(dim=1).argmin())
    # the crossing does not move when σ_{1,i} changes: z_{1,i} = 0 on H_{1,i}
    assert (da.crossings.points[j] - cr.points[m]).norm() < 1e-9
    for key in da.KEYS:
        assert abs(float(curve[key][0]) - float(getattr(da, key)[j])) < 1e-8


def _figure2(activation, seed=0):
    X = bnx.data.star(50)
    return bnx.recipes.figure2_network(X, activation=activation, seed=seed), X


def test_leaky_relu_inactive_side_lags_by_exactly_the_factor_alpha():
    """n_ω' has α/σ where n_ω has 1/σ, so θ(F_ω', H)(σ) = θ(F_ω, H)(σ/α): the α side needs σ α-times smaller."""
    net, _ = _figure2("leaky_relu")
    cr = folding.crossings(net, 1.5)
    alpha = net.slope
    s = torch.logspace(-3, 1, 9, dtype=torch.float64)
    for m in range(0, len(cr), 5):
        c_on = folding.fold_curve(net, cr, m, s)
        c_off = folding.fold_curve(net, cr, m, s * alpha)
        torch.testing.assert_close(c_off["to_boundary_other"], c_on["to_boundary"], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("activation", ["abs", "leaky_relu", "relu"])
def test_small_sigma_aligns_facets_with_the_layer1_hyperplane(activation):
    """The Theorem 3 reading, pinned as a limit. σ_{1,i} → 0: the active-side facet aligns with H_{1,i} for all
    three; the other side aligns too for abs and leaky-ReLU (later by the factor α) but not for ReLU. The
    opening tends to 0 (folded shut, a V) for abs and to π (straight, running along H_{1,i}) for leaky-ReLU."""
    net, _ = _figure2(activation)
    cr = folding.crossings(net, 1.5)
    tiny = torch.tensor([1e-7], dtype=torch.float64)
    for m in range(len(cr)):
        c = folding.fold_curve(net, cr, m, tiny)
        big = folding.fold_curve(net, cr, m, torch.tensor([1e7], dtype=torch.float64))
        assert c["to_boundary"] < 1e-4
        if activation == "relu":
            assert abs(float(c["to_boundary_other"] - big["to_boundary_other"])) < 1e-12   # σ_{1,i} not seen
        else:
            assert c["to_boundary_other"] < 1e-4 / (net.slope if activation == "leaky_relu" else 1)
        if activation == "abs":
            assert c["opening"] < 1e-3
        if activation == "leaky_relu":
            assert c["opening"] > math.pi - 1e-3
        assert big["between"] < 1e-5 and big["opening"] > math.pi - 1e-5          # large σ: no fold


def test_alignment_is_not_monotone_in_sigma():
    """The reading is a limit, not a monotone law: for some crossings θ(F_ω, H_{1,i}) first grows as σ_{1,i}
    shrinks (the facet turns through perpendicular) before it falls to 0; and the fold (26) of leaky-ReLU
    peaks at an intermediate σ and vanishes at both ends."""
    net, _ = _figure2("leaky_relu")
    cr = folding.crossings(net, 1.5)
    s = torch.logspace(2, -7, 181, dtype=torch.float64)               # σ decreasing
    grows = 0
    for m in range(len(cr)):
        c = folding.fold_curve(net, cr, m, s)
        grows += bool((c["to_boundary"].diff() > 1e-6).any())
        b = c["between"]
        assert b[0] < 0.05 and b[-1] < 0.05 and b.max() > b[0] + 0.05
    assert grows > 0


def test_code_matrix_is_eq_23():
    net, X = _figure2("leaky_relu")
    q = net.codes(X.double(), "stored")[0]
    Q = folding.code_matrix(net, q)
    torch.testing.assert_close(Q, q / net.sigma[0][None])
    torch.testing.assert_close(folding.code_matrix(net, q == 1), Q)       # booleans: True = active
    h2 = net.preactivations(X.double(), "stored")[1]
    G = net.preactivation_maps(X.double(), "stored")[1][0]
    for k in range(3):                                                    # n_ω ∝ ∇h_{2,k} = n_ω / σ_{2,k}
        torch.testing.assert_close(folding.facet_normals(net, k, q) / net.sigma[1][k], G[:, k])
    assert h2.shape[1] == 8


def test_line_angle_is_symmetric_and_in_range():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(100, 3, generator=g, dtype=torch.float64), torch.randn(100, 3, generator=g, dtype=torch.float64)
    t = folding.line_angle(a, b)
    torch.testing.assert_close(t, folding.line_angle(b, -a))
    ref = torch.arccos((a * b).sum(1).abs() / (a.norm(dim=1) * b.norm(dim=1)))
    torch.testing.assert_close(t, ref)
    assert folding.line_angle(a[:1], a[:1] * 5).item() < 1e-7


# ---------------------------------------------------------------------------------------------- degenerate input
def test_parallel_layer1_hyperplanes_are_handled():
    W1 = torch.tensor([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]], dtype=torch.float64)   # H_1 and H_2 parallel
    W2 = torch.tensor([[1.0, -1.0, 0.5], [0.3, 1.0, -1.0]], dtype=torch.float64)
    net = bnx.SplineMLP.from_weights([W1, W2], "leaky_relu", "bn", dtype=torch.float64)
    net.fit_statistics(points(60, 2, 3))
    da = folding.dihedral_angles(net, 3.0, probe=True)
    assert len(da) > 0
    assert max(da.max_error().values()) < 1e-9 and max(da.max_error("probed").values()) < 1e-9


def test_crossings_through_a_vertex_of_the_arrangement_are_left_out():
    """With BN every H_{1,k} passes through the data mean (Corollary 2); setting μ_2 = 0 makes every F_{2,k}
    pass through that common vertex too. No crossing is reported there, and nothing breaks."""
    net, X = _figure2("leaky_relu")
    vertex = X.double().mean(0)
    mu2 = net.mu[1].clone()
    mu2[0] = 0.0
    net.set_statistics(mu=[net.mu[0], mu2])
    h2 = net.preactivations(vertex[None], "stored")[1]
    assert h2[0, 0].abs() < 1e-12
    cr = folding.crossings(net, 1.5)
    # F_{2,1} is now a union of rays from the vertex (h_{2,1} is positively homogeneous around it): it crosses
    # no layer-1 hyperplane anywhere else, and the vertex itself is not an isolated crossing of two regions
    assert len(cr) > 0 and not (cr.unit == 0).any()
    assert ((cr.points - vertex).norm(dim=1) > 1e-9).all()
    da = folding.dihedral_angles(net, 1.5)
    assert da.matched().all() and max(da.max_error().values()) < 1e-8


def test_sigma_to_zero_is_refused_clearly():
    net, X = _figure2("abs")
    cr = folding.crossings(net, 1.5)
    with pytest.raises(ValueError, match="scales must be positive"):
        folding.fold_curve(net, cr, 0, [0.0])
    with pytest.raises(ValueError, match="scales must be positive"):
        folding.fold_curve(net, cr, 0, [float("nan")])
    scene = folding.FoldingScene(net, X)
    with pytest.raises(ValueError, match="scale must be positive"):
        scene.layer2_lines(0, 0.0)
    with pytest.raises(ValueError, match="sigma must be strictly positive"):
        net.set_statistics(sigma=[torch.zeros(8, dtype=torch.float64), net.sigma[1]])


def test_bad_input_raises_naming_the_argument():
    net, X = _figure2("leaky_relu")
    with pytest.raises(ValueError, match="2-D input"):
        folding.crossings(bnx.SplineMLP([3, 4, 4], "relu", "random_bias"))
    with pytest.raises(ValueError, match="at least 2 layers"):
        folding.crossings(bnx.SplineMLP([2, 4], "relu", "random_bias"))
    with pytest.raises(ValueError, match="statistics are not set"):
        folding.crossings(bnx.SplineMLP([2, 4, 4], "relu", "bn"))
    with pytest.raises(TypeError, match="net must be"):
        folding.crossings("a network")
    with pytest.raises(ValueError, match="units"):
        folding.crossings(net, units=[8])
    with pytest.raises(ValueError, match="codes must have shape"):
        folding.code_matrix(net, torch.ones(3, 5))
    with pytest.raises(ValueError, match="index"):
        folding.fold_curve(net, folding.crossings(net, 1.5), 10_000, [1.0])
    with pytest.raises(ValueError, match="radius_fraction"):
        folding.dihedral_angles(net, radius_fraction=1.5)
    with pytest.raises(ValueError, match="mode='bn'"):
        folding.fold_curve(bnx.SplineMLP([2, 3, 3], "abs", "random_bias"), folding.crossings(net), 0, [1.0])
    W1 = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    plain = bnx.SplineMLP.from_weights([W1, torch.ones(2, 2, dtype=torch.float64)], "abs", "random_bias",
                                       biases=[torch.ones(2), torch.ones(2)], dtype=torch.float64)
    with pytest.raises(ValueError, match="zero weight row"):
        folding.crossings(plain)


def test_zero_bias_networks_where_folded_hyperplanes_run_along_layer1_hyperplanes_do_not_break():
    """Zero bias: every H_{1,i} passes through 0, where z_1 = 0, so h_2 = 0 there and F_{2,k} may contain a whole
    piece of H_{1,i}. Such pieces are not isolated crossings: they are skipped, the rest still agree."""
    for seed in range(5):
        net = bnx.SplineMLP([2, 3, 3], "relu", "zero_bias", seed=seed, dtype=torch.float64)
        da = folding.dihedral_angles(net, 2.0, probe=True)
        errors = list(da.max_error().values()) + list(da.max_error("probed").values())
        assert len(da) == 0 or all(e < 1e-8 for e in errors)


def test_plain_networks_have_unit_sigma_in_q():
    net = bnx.SplineMLP([2, 5, 4], "leaky_relu", "random_bias", seed=3, dtype=torch.float64)
    q = net.codes(points(7, 2, 0), "batch")[0]
    torch.testing.assert_close(folding.code_matrix(net, q), q)
    assert np.isfinite(list(folding.dihedral_angles(net, 4.0).max_error().values())).all()
