"""Proposition 1: absorbing γ into the next layer keeps the function; refused where the identity fails."""
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import bnexplained as bnx
from conftest import fit_or_skip
from strategies import activations, points, seeds


def _random_affine(net, seed, *, negative=False):
    """Give every BN unit a random γ (positive, or of random sign) and β."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for lay in net.layers:
            k = lay.norm.num_units
            gamma = torch.rand(k, generator=g, dtype=torch.float64) * 2.5 + 0.2
            if negative:
                sign = torch.where(torch.rand(k, generator=g) < 0.5, -1.0, 1.0).to(torch.float64)
                sign[0] = -1.0                                              # at least one negative γ
                gamma = gamma * sign
            lay.norm.gamma.copy_(gamma)
            lay.norm.beta.copy_(torch.randn(k, generator=g, dtype=torch.float64))
    return net


@st.composite
def bn_networks(draw, activations=activations, readout=None):
    d0 = draw(st.integers(1, 4))
    widths = [d0] + [draw(st.integers(1, 6)) for _ in range(draw(st.integers(1, 3)))]
    out = draw(st.sampled_from([None, 1, 3])) if readout is None else readout
    return bnx.SplineMLP(widths, draw(activations), "bn", alpha=draw(st.sampled_from([0.01, 0.1, 0.3])),
                         out_features=out, learnable_affine=draw(st.booleans()), seed=draw(seeds),
                         dtype=torch.float64)


def _outputs_equal(a, b, X, statistics):
    fa, fb = a(X, statistics=statistics).detach(), b(X, statistics=statistics).detach()
    torch.testing.assert_close(fb, fa, rtol=1e-12, atol=1e-12 * max(1.0, fa.abs().max().item()))


@given(net=bn_networks(), seed=seeds, n=st.integers(2, 30))
# found by HYPOTHESIS_PROFILE=thorough: both points of a batch of two dead after ReLU, so layer 2 is
# constant on them (σ = 0)
@example(net=bnx.SplineMLP([1, 1, 1], "relu", "bn", seed=0, dtype=torch.float64), seed=3, n=2)
def test_absorbing_positive_gamma_leaves_outputs_equal_to_float64_precision(net, seed, n):
    X = points(n, net.widths[0], seed)
    _random_affine(net, seed)
    fit_or_skip(net, X)
    out = bnx.absorb_gamma(net)
    for statistics in ("batch", "stored"):
        _outputs_equal(net, out, X, statistics)
    last = net.depth if net.readout is not None else net.depth - 1
    for i, lay in enumerate(out.layers):
        if i < last:
            assert torch.equal(lay.norm.gamma, torch.ones_like(lay.norm.gamma))
            torch.testing.assert_close(lay.norm.beta, net.layers[i].norm.beta / net.layers[i].norm.gamma)
    # the next layer's BN statistics are those of the same products W_{ℓ+1} z_ℓ
    for a, b in zip(net.statistics_of(X)[0], out.statistics_of(X)[0]):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


@given(net=bn_networks(activations=st.sampled_from(["relu", "leaky_relu"])), seed=seeds)
# found by HYPOTHESIS_PROFILE=thorough: a dead ReLU unit makes the next unit constant on the data (σ = 0)
@example(net=bnx.SplineMLP([1, 1, 1, 1], "relu", "bn", seed=0, dtype=torch.float64), seed=1)
def test_negative_gamma_is_refused_for_relu_and_leaky_relu(net, seed):
    X = points(12, net.widths[0], seed)
    _random_affine(net, seed, negative=True)
    try:
        net.fit_statistics(X)
    except ValueError as err:             # a unit constant on the data: fit_statistics rightly refuses
        assert "σ = 0" in str(err)
        return
    layers = [1] if net.depth > 1 or net.readout is not None else None
    if layers is None:
        return
    with pytest.raises(ValueError, match="γ < 0 in layer 1"):
        bnx.absorb_gamma(net, layers=layers)
    flipped = bnx.absorb_gamma(net, flip_signs=True)            # Proposition 1 survives with a sign flip
    for statistics in ("batch", "stored"):
        _outputs_equal(net, flipped, X, statistics)


@given(net=bn_networks(activations=st.just("abs")), seed=seeds)
def test_absolute_value_absorbs_the_modulus_of_any_nonzero_gamma(net, seed):
    X = points(12, net.widths[0], seed)
    _random_affine(net, seed, negative=True)
    fit_or_skip(net, X)
    out = bnx.absorb_gamma(net)
    for statistics in ("batch", "stored"):
        _outputs_equal(net, out, X, statistics)


def test_naive_identity_fails_for_negative_gamma_with_relu():
    """The reason for the refusal: a(γu + β) ≠ γ·a(u + β/γ) once γ < 0 (eq. 29)."""
    u = torch.linspace(-3, 3, 61)
    for act in ("relu", "leaky_relu"):
        lhs, rhs = bnx.gamma_identity(u, -1.5, 0.5, act)
        assert (lhs - rhs).abs().max() > 0.5
        lhs, rhs = bnx.gamma_identity(u, 1.5, 0.5, act)
        torch.testing.assert_close(lhs, rhs)
    lhs, rhs = bnx.gamma_identity(u, -1.5, 0.5, "abs")                  # |γ| for the absolute value
    torch.testing.assert_close(lhs, rhs)


def test_refusals_name_the_problem():
    X = points(10, 2, 0)
    plain = bnx.SplineMLP([2, 3, 2], mode="random_bias", dtype=torch.float64)
    with pytest.raises(ValueError, match="needs a BN network"):
        bnx.absorb_gamma(plain)
    net = bnx.SplineMLP([2, 3, 2], "relu", "bn", learnable_affine=True, dtype=torch.float64).fit_statistics(X)
    with torch.no_grad():
        net.layers[0].norm.gamma[1] = 0.0
    with pytest.raises(ValueError, match="γ = 0 in layer 1"):
        bnx.absorb_gamma(net)
    with pytest.raises(ValueError, match="no next layer"):
        bnx.absorb_gamma(net, layers=[2])
    with pytest.raises(ValueError, match="layers must hold ints"):
        bnx.absorb_gamma(net, layers=[0])
    with pytest.raises(ValueError, match="gamma must be a non-zero number"):
        bnx.gamma_identity(torch.zeros(3), 0.0, 0.0)


def test_absorption_does_not_touch_the_original_and_keeps_the_last_gamma_without_readout():
    X = points(10, 2, 1)
    net = _random_affine(bnx.SplineMLP([2, 4, 3], "leaky_relu", "bn", learnable_affine=True,
                                       dtype=torch.float64), 3).fit_statistics(X)
    before = [lay.norm.gamma.clone() for lay in net.layers]
    out = bnx.absorb_gamma(net)
    assert all(torch.equal(a, lay.norm.gamma) for a, lay in zip(before, net.layers))
    assert torch.equal(out.layers[1].norm.gamma, net.layers[1].norm.gamma)
    _outputs_equal(net, out, X, "stored")
