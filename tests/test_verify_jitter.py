"""Checkers of Section 5: they hold on correct inputs and fail on broken ones."""
import pytest
import torch
from torch import nn

import bnexplained as bnx


@pytest.mark.parametrize("law,n", [("gaussian", 16), ("uniform", 5), ("laplace", 8)])
def test_proposition_2_holds_by_monte_carlo(law, n):
    rep = bnx.verify.proposition_2(batch_size=n, distribution=law, batches=8000, seed=n)
    assert rep.held, str(rep)


def test_proposition_2_fails_with_a_wrong_fourth_moment():
    """Gaussian φ = 3s⁴ for Laplace inputs (φ = 6s⁴ per coordinate) understates var(σ²) at small batches."""
    w = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    rho = torch.tensor([1.0, 1.0], dtype=torch.float64)
    s2, _ = bnx.batch_noise.projection_moments(w, rho, "gaussian")
    rep = bnx.verify.proposition_2(w, rho, 8, distribution="laplace", fourth_moment=3 * s2 ** 2, batches=8000)
    assert not rep.held
    assert rep["var(μ_B): max relative gap to the formula"].passed        # the mean is not affected


def test_printed_eq13_does_not_describe_bns_biased_variance_at_small_batches():
    """A closer look: eq. (13) is the variance of the unbiased S²; BN's σ²_B (eq. 3) varies ((n−1)/n)² as much."""
    rep = bnx.verify.proposition_2(batch_size=4, batches=20000, seed=1)
    assert rep.held
    S2, sig2 = rep.details["S2"], rep.details["sigma2"]
    printed = rep.details["var_S2"]
    assert bool(((sig2.var(0) / printed - 9 / 16).abs() < 0.06).all())
    assert bool(((S2.var(0) / printed - 1).abs() < 0.06).all())


def test_proposition_2_rejects_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        bnx.verify.proposition_2(batch_size=1)
    with pytest.raises(ValueError, match="distribution"):
        bnx.verify.proposition_2(distribution="cauchy")
    with pytest.raises(ValueError, match="batches"):
        bnx.verify.proposition_2(batches=10)


def test_noise_controlled_bn_holds_and_fails_for_plain_batchnorm():
    assert bnx.verify.noise_controlled_bn(16, 32, batches=1500).held
    plain = nn.BatchNorm1d(3, affine=False).double()
    assert not bnx.verify.noise_controlled_bn(16, 32, module=plain, batches=1500).held


def test_noise_controlled_bn_fails_for_the_wrong_virtual_batch():
    wrong = bnx.NoisyBatchNorm1d(3, 24, affine=False).double()          # asks for 24, claims 8
    rep = bnx.verify.noise_controlled_bn(8, 32, module=wrong, batches=1500)
    assert not rep.held


def test_noise_controlled_bn_rejects_bad_arguments():
    with pytest.raises(ValueError, match="virtual_batch_size"):
        bnx.verify.noise_controlled_bn(64, 64)
    with pytest.raises(ValueError, match="batch_size"):
        bnx.verify.noise_controlled_bn(1, 2)


def test_batch_jitter_holds_for_a_random_bn_classifier():
    X = bnx.data.moons(300, noise=0.15, seed=1)
    net = bnx.SplineMLP([2, 16, 16], "leaky_relu", "bn", out_features=2, seed=0)
    rep = bnx.verify.batch_jitter(net, X, (8, 64, 256), draws=8, resolution=60)
    assert rep.held, str(rep)


def test_batch_jitter_fails_when_the_statistics_do_not_move_the_boundary():
    """A read-out with zero weights ignores BN: no batch size changes anything, so nothing decreases."""
    X = bnx.data.moons(300, noise=0.15, seed=1)
    net = bnx.SplineMLP([2, 8], "leaky_relu", "bn", out_features=1, seed=0).fit_statistics(X)
    with torch.no_grad():
        net.readout.weight.zero_()
        net.readout.bias.fill_(1.0)
    assert not bnx.verify.batch_jitter(net, X, (16, 128), draws=4, resolution=40).held
    with pytest.raises(ValueError, match="batch_sizes"):
        bnx.verify.batch_jitter(net, X, (16,))
