"""The one-layer checkers hold on random networks and fail on broken inputs (a check that cannot fail is a defect)."""
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

import bnexplained as bnx
from strategies import networks, points, seeds

bn_nets = networks(modes=st.just("bn"), max_depth=3)


@given(net=bn_nets, seed=seeds)
# found by HYPOTHESIS_PROFILE=thorough: β makes the ReLU unit of layer 1 dead on all 16 points, so layer 2's
# unit is constant on them and fitting its statistics is refused (σ = 0), rightly
@example(net=bnx.SplineMLP([1, 1, 1, 1], "relu", "bn", seed=0, dtype=torch.float64), seed=0)
def test_proposition_1_holds_for_random_positive_gammas(net, seed):
    X = points(16, net.widths[0], seed)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for lay in net.layers:
            lay.norm.gamma.copy_(torch.rand(lay.norm.num_units, generator=g, dtype=torch.float64) + 0.3)
            lay.norm.beta.copy_(torch.randn(lay.norm.num_units, generator=g, dtype=torch.float64))
    try:
        rep = bnx.verify.proposition_1(net, X)
    except ValueError as err:             # a unit constant on the data (σ = 0): eq. (2) undefined, refused
        assert "σ = 0" in str(err)
        return
    assert rep.held, str(rep)


def test_proposition_1_fails_for_a_broken_absorption():
    """An absorption that forgets to divide β by γ changes the function: the checker must say so."""
    X = points(20, 2, 0)
    net = bnx.SplineMLP([2, 5, 4], "leaky_relu", "bn", out_features=2, learnable_affine=True, seed=1)
    with torch.no_grad():
        for lay in net.layers:
            lay.norm.gamma.fill_(2.0)
            lay.norm.beta.fill_(0.7)

    def forgets_beta(n, flip_signs=False):
        out = bnx.absorb_gamma(n, flip_signs=flip_signs)
        with torch.no_grad():
            for a, b in zip(out.layers, n.layers):
                a.norm.beta.copy_(b.norm.beta)
        return out

    rep = bnx.verify.proposition_1(net, X, absorb=forgets_beta)
    assert not rep.held
    assert not rep.checks[0].passed and not rep.checks[1].passed
    assert bnx.verify.proposition_1(net, X).held


def test_proposition_1_with_negative_gamma_needs_the_sign_flip():
    X = points(20, 2, 2)
    net = bnx.SplineMLP([2, 5, 4], "relu", "bn", out_features=2, learnable_affine=True, seed=1)
    with torch.no_grad():
        net.layers[0].norm.gamma.copy_(torch.tensor([1.0, -2.0, 0.5, -0.3, 1.5]))
    with pytest.raises(ValueError, match="flip_signs=True"):
        bnx.verify.proposition_1(net, X)
    assert bnx.verify.proposition_1(net, X, flip_signs=True).held


def test_proposition_1_lets_an_abs_unit_flip_its_code_but_not_its_region():
    """|γ| absorbed for γ < 0 turns an abs unit's h into −h: the same zero set, so the same regions. A code
    flipped on only some inputs (a moved line) is a changed region and must fail, for a ReLU flip too."""
    X = points(40, 2, 3)
    net = bnx.SplineMLP([2, 5, 4], "abs", "bn", out_features=2, learnable_affine=True, seed=1,
                        dtype=torch.float64).fit_statistics(X)
    with torch.no_grad():
        net.layers[0].norm.gamma.copy_(torch.tensor([1.0, -2.0, 0.5, -0.3, 1.5]))
        net.layers[1].norm.gamma.copy_(torch.tensor([-1.0, 0.7, 2.0, -0.4]))
    rep = bnx.verify.proposition_1(net, X)
    assert rep.held, str(rep)
    region = next(c for c in rep.checks if "region" in c.name)
    assert region.measured == 1.0 and "abs" in region.note
    # the absorbed network's codes really are flipped on the negative-γ units of layer 1 (not a vacuous pass)
    out = bnx.absorb_gamma(net)
    flips = (net.signs(X, "stored") != out.signs(X, "stored")).float().mean(0)
    assert flips[1] == 1.0 and flips[3] == 1.0 and flips[0] == 0.0

    def moves_a_line(n, flip_signs=False):               # shifts unit 0's boundary: some codes change
        out = bnx.absorb_gamma(n, flip_signs=flip_signs)
        with torch.no_grad():
            out.layers[0].norm.beta[0] += 0.5
        return out

    rep = bnx.verify.proposition_1(net, X, absorb=moves_a_line)
    assert not next(c for c in rep.checks if "region" in c.name).passed

    relu = bnx.SplineMLP([2, 5, 4], "relu", "bn", out_features=2, learnable_affine=True, seed=1)

    def negates_a_relu_unit(n, flip_signs=False):        # h → −h is a different region for ReLU
        out = bnx.absorb_gamma(n, flip_signs=flip_signs)
        with torch.no_grad():
            out.layers[0].weight[0] *= -1
            out.layers[0].norm.mu[0] *= -1
        return out

    rep = bnx.verify.proposition_1(relu, X, absorb=negates_a_relu_unit)
    assert not next(c for c in rep.checks if "region" in c.name).passed


@settings(max_examples=10)
@given(net=bn_nets, seed=seeds, n=st.integers(4, 40), data=st.data())
def test_theorem_1_holds_on_random_networks_layers_and_batch_sizes(net, seed, n, data):
    X = points(n, net.widths[0], seed, scale=data.draw(st.sampled_from([0.5, 1.0, 5.0])))
    layer = data.draw(st.integers(1, net.depth))
    batch = data.draw(st.integers(2, n))
    try:
        rep = bnx.verify.theorem_1(net, X, layer=layer, batch_size=batch, seed=seed)
    except ValueError as err:             # a unit constant over the batch (σ = 0): eq. (2) undefined
        assert "σ = 0" in str(err)
        return
    assert rep.held, str(rep)


def test_theorem_1_fails_when_bn_computes_a_wrong_mean(monkeypatch):
    X = bnx.data.moons(60, dtype=torch.float64)
    net = bnx.SplineMLP([2, 4, 4], "relu", "bn", seed=0, dtype=torch.float64)
    assert bnx.verify.theorem_1(net, X).held
    original = bnx.Normalization.batch_statistics

    def off_by_a_little(u):
        mu, sigma = original(u)
        return mu + 1e-3, sigma

    monkeypatch.setattr(bnx.Normalization, "batch_statistics", staticmethod(off_by_a_little))
    rep = bnx.verify.theorem_1(net, X)
    assert not rep.held
    assert not rep["mini-batch: μ_BN vs least squares, max gap / scale"].passed
    assert not rep["whole data: μ_BN vs BFGS on eq. (9), max gap / scale"].passed


@given(net=bn_nets, seed=seeds, data=st.data())
def test_corollary_2_holds_on_random_networks_and_layers(net, seed, data):
    X = points(25, net.widths[0], seed)
    layer = data.draw(st.integers(1, net.depth))
    try:
        rep = bnx.verify.corollary_2(net, X, layer=layer)
    except ValueError as err:
        assert "σ = 0" in str(err)
        return
    assert rep.held, str(rep)


def test_corollary_2_fails_when_beta_shifts_the_hyperplanes():
    """With β ≠ 0 the zero sets leave the mean: the 'closer look' of chapter 3, pinned."""
    X = bnx.data.star(60, dtype=torch.float64) + torch.tensor([1.0, 0.5], dtype=torch.float64)
    net = bnx.SplineMLP([2, 6], "leaky_relu", "bn", learnable_affine=True, seed=0, dtype=torch.float64)
    assert bnx.verify.corollary_2(net, X).held
    with torch.no_grad():
        net.layers[0].norm.beta.fill_(0.5)
    rep = bnx.verify.corollary_2(net, X)
    assert not rep.held
    assert rep["regions of the layer's arrangement (exact)"].measured == 22 > 12
    W, b = bnx.unit_hyperplanes(net.fit_statistics(X), 1)
    assert bnx.tls_distance(X, W, b) > bnx.tls_distance(X, W, net.mu[0])    # off the TLS optimum


def test_checkers_refuse_bad_input():
    X = points(10, 2, 0)
    net = bnx.SplineMLP([2, 3], "relu", "bn", dtype=torch.float64)
    plain = bnx.SplineMLP([2, 3], "relu", "random_bias", dtype=torch.float64)
    for checker in (bnx.verify.proposition_1, bnx.verify.theorem_1, bnx.verify.corollary_2):
        with pytest.raises(ValueError, match="mode='bn'|BN layer"):
            checker(plain, X)
        with pytest.raises(ValueError, match="at least 2"):
            checker(net, X[:1])
        with pytest.raises(ValueError, match="2 columns"):
            checker(net, points(10, 3, 0))
        with pytest.raises(ValueError, match="NaN"):
            checker(net, torch.full((4, 2), float("nan")))
    with pytest.raises(ValueError, match="batch_size"):
        bnx.verify.theorem_1(net, X, batch_size=11)
    with pytest.raises(ValueError, match="layer must be"):
        bnx.verify.corollary_2(net, X, layer=2)
    dead = bnx.SplineMLP.from_weights([torch.tensor([[1.0, 0.0], [0.0, 0.0]])], "relu", "bn")
    for checker in (bnx.verify.theorem_1, bnx.verify.corollary_2):
        with pytest.raises(ValueError, match="zero-norm"):
            checker(dead, X)


def test_reports_print_their_numbers():
    X = bnx.data.blobs(30, dtype=torch.float64)
    net = bnx.SplineMLP([2, 4], "leaky_relu", "bn", seed=2, dtype=torch.float64)
    for rep in (bnx.verify.theorem_1(net, X, batch_size=10), bnx.verify.corollary_2(net, X)):
        text, html = str(rep), rep._repr_html_()
        assert "HELD" in text and "<table>" in html
    assert {"proposition_1", "theorem_1", "corollary_2"} <= set(bnx.verify.CHECKERS)
