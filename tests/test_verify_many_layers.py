"""Checkers for Section 3: Theorem 2, Corollary 1, Theorem 3 — they hold where the paper is right, and fail
on broken input (a checker that cannot fail proves nothing)."""
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import bnexplained as bnx
from bnexplained import folding
from strategies import networks, points, seeds

bn_two_layer = networks(d0=2, max_depth=2, max_width=6, modes=st.just("bn"), readout=None,
                        activations=st.sampled_from(["leaky_relu", "abs"])).filter(lambda n: n.depth == 2)


def _figure2(activation="leaky_relu"):
    X = bnx.data.star(50)
    return bnx.widgets.figure2_network(X, activation=activation), X


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
    assert rep["max |formula − measured| (26) θ(F_2,k,ω, F_2,k,ω'), radians"].measured > 1e-3


def test_theorem_3_fails_on_perturbed_angles_and_on_an_empty_box():
    net, X = _figure2()
    angles = folding.dihedral_angles(net, bnx.data_extent(X))
    angles.between = angles.between + 1e-6
    assert not bnx.verify.theorem_3(net, angles=angles).held
    far = bnx.verify.theorem_3(net, (10, 11, 10, 11))
    assert not far.held and far["crossings compared"].measured == 0
    no_measure = folding.dihedral_angles(net, bnx.data_extent(X), measure=False)
    assert not bnx.verify.theorem_3(net, angles=no_measure).held
    with pytest.raises(TypeError, match="angles must be"):
        bnx.verify.theorem_3(net, angles={"between": 0})
