"""Checkers for Section 3: Theorem 2, Corollary 1, Theorem 3 — they hold where the paper is right, and fail
on broken input (a checker that cannot fail proves nothing)."""
import pytest
import torch
from hypothesis import assume, example, given
from hypothesis import strategies as st

import bnexplained as bnx
from bnexplained.partition import exact_partition
from bnexplained import folding
from strategies import networks, points, seeds

bn_two_layer = networks(d0=2, max_depth=2, max_width=6, modes=st.just("bn"), readout=None,
                        activations=st.sampled_from(["leaky_relu", "abs"])).filter(lambda n: n.depth == 2)


def _figure2(activation="leaky_relu"):
    X = bnx.data.star(50)
    return bnx.recipes.figure2_network(X, activation=activation), X


# ---------------------------------------------------------------------------------------------- Theorem 3
@given(net=bn_two_layer, seed=seeds)
def test_theorem_3_holds_on_random_bn_networks(net, seed):
    net.fit_statistics(points(40, 2, seed))
    rep = bnx.verify.theorem_3(net, 3.0)
    assume(rep["crossings compared"].measured > 0)
    assert rep.held, str(rep)


@pytest.mark.parametrize("activation", ["leaky_relu", "abs"])
def test_theorem_3_holds_on_the_figure2_network(activation):
    net, X = _figure2(activation)
    rep = bnx.verify.theorem_3(net, bnx.data_extent(X))
    assert rep.held and rep["crossings compared"].measured > 20


def test_theorem_3_fails_when_q_forgets_sigma(monkeypatch):
    """A plausible slip, Q_1(ω) = diag(q) without 1/σ (eq. 23), is caught: formula and geometry disagree."""
    net, X = _figure2()
    monkeypatch.setattr(folding, "code_matrix", lambda net, codes, layer=1: torch.as_tensor(codes))
    rep = bnx.verify.theorem_3(net, bnx.data_extent(X))
    assert not rep.held
    assert rep["max |formula − exact facets| (26) θ(F_2,k,ω, F_2,k,ω'), rad"].measured > 1e-3


def test_theorem_3_fails_on_perturbed_angles_and_on_an_empty_box():
    net, X = _figure2()
    angles = folding.dihedral_angles(net, bnx.data_extent(X), probe=True)
    assert bnx.verify.theorem_3(net, angles=angles).held
    angles.between = angles.between + 1e-6
    assert not bnx.verify.theorem_3(net, angles=angles).held
    far = bnx.verify.theorem_3(net, (10, 11, 10, 11))
    assert not far.held and far["crossings compared"].measured == 0
    no_measure = folding.dihedral_angles(net, bnx.data_extent(X), measure=False)
    assert not bnx.verify.theorem_3(net, angles=no_measure).held
    with pytest.raises(TypeError, match="angles must be"):
        bnx.verify.theorem_3(net, angles={"between": 0})


# ---------------------------------------------------------------------------------------------- Theorem 2
def _counterexample_net():
    from bnexplained import translation

    return translation.minimal_counterexample()[0]


def test_theorem_2_as_stated_has_a_counterexample_when_the_translation_crosses_the_point():
    from bnexplained import translation

    net, x, mu, mu_other = translation.minimal_counterexample()
    assert (mu, mu_other) == (-0.2, 0.5)
    rep = bnx.verify.theorem_2(net, x, 2, 0, mus=[mu, mu_other], extent=4.0, condition="as_stated")
    assert not rep.held
    c = rep.details["counterexample"]
    assert (c["d_z"], c["d_z_other"]) == pytest.approx((0.2, 0.5), abs=1e-12)
    assert (c["d_x"], c["d_x_other"]) == pytest.approx((2.0, 0.5), abs=1e-12)
    # the corrected statement does not apply to this pair (μ is not between u(x) = 0 and μ'), so nothing to compare
    between = bnx.verify.theorem_2(net, x, 2, 0, mus=[-0.2, 0.5], extent=4.0)
    assert between["pairs (x, μ, μ') compared"].measured == 0


def test_theorem_2_corrected_holds_on_the_same_counterexample_network_on_each_side():
    net = _counterexample_net()
    X = points(30, 2, 1)
    rep = bnx.verify.theorem_2(net, X, 2, 0, mus=torch.linspace(-1.5, 1.5, 13), extent=25.0)
    assert rep.held and rep["pairs (x, μ, μ') compared"].measured > 100


@given(net=networks(d0=2, max_depth=3, max_width=6, modes=st.just("bn"), readout=None).filter(lambda n: n.depth >= 2),
       seed=seeds, layer_pick=st.integers(0, 5), unit_pick=st.integers(0, 5))
def test_theorem_2_holds_when_mu_lies_between_the_point_and_mu_prime(net, seed, layer_pick, unit_pick):
    """The corrected Theorem 2 (the proof's intermediate-value argument): never a counterexample."""
    X = points(40, 2, seed)
    net.fit_statistics(X)
    layer = 1 + layer_pick % net.depth
    unit = unit_pick % net.widths[layer]
    mus = float(net.mu[layer - 1][unit]) + float(net.sigma[layer - 1][unit]) * torch.linspace(-2, 2, 9)
    rep = bnx.verify.theorem_2(net, X[:12], layer, unit, mus, extent=bnx.data_extent(X, margin=3.0))
    assume(rep["pairs (x, μ, μ') compared"].measured > 0)
    assert rep.held, str(rep)


@given(net=networks(d0=2, max_depth=2, max_width=6, modes=st.just("bn"), readout=None), seed=seeds)
def test_theorem_2_as_stated_holds_in_the_first_layer(net, seed):
    """In layer 1 the input space is layer 1's input space: d(x, F_{1,k}) = d(x, H_{1,k}), no counterexample."""
    X = points(40, 2, seed)
    net.fit_statistics(X)
    rep = bnx.verify.theorem_2(net, X[:12], 1, 0, extent=bnx.data_extent(X, margin=3.0), condition="as_stated")
    assume(rep["pairs (x, μ, μ') compared"].measured > 0)
    assert rep.held, str(rep)


@pytest.mark.parametrize("seed", range(4))
def test_targeted_search_finds_counterexamples_to_theorem_2_as_stated_in_figure2_networks(seed):
    """Figure 2's setting (two leaky-ReLU BN layers of 8 units, random weights): for every seed some unit has
    crossing pairs whose folded hyperplane is farther although its hyperplane is closer."""
    X = bnx.data.star(50)
    net = bnx.recipes.figure2_network(X, seed=seed)
    part = exact_partition(net, bnx.data_extent(X, margin=2.0))
    for unit in range(8):
        assert bnx.verify.theorem_2(net, X, 2, unit, partition=part).held
        if not bnx.verify.theorem_2(net, X, 2, unit, partition=part, condition="as_stated").held:
            return
    raise AssertionError("no counterexample found")


def test_theorem_2_checker_fails_on_broken_distances(monkeypatch):
    from bnexplained import translation

    net, X = _figure2()
    real = translation.translated_distance
    monkeypatch.setattr(translation, "translated_distance",
                        lambda *a, **k: tuple(t.flip(1) for t in real(*a, **k)))        # μ order scrambled
    assert not bnx.verify.theorem_2(net, X, 2, 0).held


def test_theorem_2_bad_input():
    net, X = _figure2()
    with pytest.raises(ValueError, match="condition"):
        bnx.verify.theorem_2(net, X, 2, 0, condition="paper")
    with pytest.raises(ValueError, match="mus must hold at least two"):
        bnx.verify.theorem_2(net, X, 2, 0, mus=[0.1])
    with pytest.raises(ValueError, match="unit must be"):
        bnx.verify.theorem_2(net, X, 2, 8)
    with pytest.raises(ValueError, match="mode='bn'"):
        bnx.verify.theorem_2(bnx.SplineMLP([2, 3, 3], "relu", "random_bias"), X, 2, 0)
    with pytest.raises(ValueError, match="NaN"):
        bnx.verify.theorem_2(net, torch.full((3, 2), float("nan")), 2, 0)


# ---------------------------------------------------------------------------------------------- Corollary 1
@given(net=networks(d0=2, max_depth=3, max_width=6, readout=None, modes=st.sampled_from(["bn", "random_bias"])),
       seed=seeds, layer_pick=st.integers(0, 5))
# found by HYPOTHESIS_PROFILE=thorough: F_2,1 a small closed curve that no random segment crossed
# (the checker crashed on zero crossings; it now also bisects short segments across the facets)
@example(net=bnx.SplineMLP([2, 3, 2], "abs", "random_bias", seed=8, dtype=torch.float64), seed=0, layer_pick=1)
@example(net=bnx.SplineMLP([2, 3, 2], "abs", "random_bias", seed=80, dtype=torch.float64), seed=0, layer_pick=1)
def test_corollary_1_holds_on_random_networks(net, seed, layer_pick):
    X = points(40, 2, seed)
    if net.mode == "bn":
        net.fit_statistics(X)
    layer = 1 + layer_pick % net.depth
    rep = bnx.verify.corollary_1(net, layer, 0, extent=2.5, samples=100)
    assume(rep["facets of F_ℓ,k in the square"].measured > 0)
    assert rep.held, str(rep)


def test_corollary_1_fails_with_the_partition_of_another_network():
    from bnexplained import translation

    net, X = _figure2()
    other = translation.with_mu(net, 2, 0, float(net.mu[1][0]) + 0.05)
    rep = bnx.verify.corollary_1(net, 2, 0, partition=exact_partition(other, bnx.data_extent(X)))
    assert not rep.held
    assert bnx.verify.corollary_1(net, 2, 0, extent=bnx.data_extent(X)).held
    far = bnx.verify.corollary_1(net, 2, 0, extent=(50, 51, 50, 51))
    assert not far.held
