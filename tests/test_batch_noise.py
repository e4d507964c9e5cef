"""Proposition 2's variances (eq. 13), input moments, mini-batch samplers and Figure 7's setting."""
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from bnexplained import batch_noise as bn
from bnexplained import recipes as R


@pytest.mark.parametrize("law", sorted(bn.INPUT_LAWS))
def test_projection_moments_match_monte_carlo(law):
    g = torch.Generator().manual_seed(0)
    w = torch.randn(3, 4, generator=g, dtype=torch.float64)
    rho = torch.tensor([0.5, 1.0, 2.0, 0.2], dtype=torch.float64)
    s2, phi = bn.projection_moments(w, rho, law)
    u = bn.sample_inputs(400_000, rho, law, generator=g) @ w.T
    c = u - u.mean(0)
    torch.testing.assert_close(c.pow(2).mean(0), s2, rtol=0.01, atol=0)
    torch.testing.assert_close(c.pow(4).mean(0), phi, rtol=0.04, atol=0)


@pytest.mark.parametrize("law,n", [("gaussian", 4), ("laplace", 6), ("uniform", 16), ("gaussian", 64)])
def test_eq13_variances_match_monte_carlo_for_both_estimators(law, n):
    g = torch.Generator().manual_seed(n)
    w = torch.tensor([[1.0, -2.0, 0.5]], dtype=torch.float64)
    rho = torch.tensor([1.0, 0.5, 3.0], dtype=torch.float64)
    s2, phi = bn.projection_moments(w, rho, law)
    R = 60_000
    U = (bn.sample_inputs(R * n, rho, law, generator=g) @ w.T).reshape(R, n)
    ss = (U - U.mean(1, keepdim=True)).pow(2).sum(1)
    var_mu, var_S2 = bn.statistic_variances(s2, phi, n)
    _, var_sig2 = bn.statistic_variances(s2, phi, n, estimator="biased")
    # tolerance: 5 standard errors of a sample variance (about sqrt((kurtosis - 1)/R) relative)
    assert abs(U.mean(1).var().item() / var_mu.item() - 1) < 5 * math.sqrt(2 / R)
    assert abs((ss / (n - 1)).var().item() / var_S2.item() - 1) < 0.06
    assert abs((ss / n).var().item() / var_sig2.item() - 1) < 0.06
    torch.testing.assert_close(var_sig2, var_S2 * ((n - 1) / n) ** 2)


def test_gaussian_eq13_reduces_to_the_chi_square_variance():
    s2 = torch.tensor([2.0], dtype=torch.float64)
    for n in (2, 5, 64):
        _, v = bn.statistic_variances(s2, 3 * s2 ** 2, n)
        torch.testing.assert_close(v, 2 * s2 ** 2 / (n - 1))          # var(S²) = 2σ⁴/(n−1)


def test_batches_without_replacement_vary_less_by_the_finite_population_factor():
    """A closer look: Figure 7 draws batches of 64 from 1000 points; var(μ_B) carries (N−n)/(N−1)."""
    U = R.figure7_training_set("standard deviations", 1000, seed=3)
    mu, _ = bn.sample_batch_statistics(U, 64, 20_000, seed=4)
    s2 = U.var(0, unbiased=False)
    ratio = mu.var(0) / (s2 / 64)
    fpc = (1000 - 64) / (1000 - 1)
    torch.testing.assert_close(ratio, torch.full_like(ratio, fpc), rtol=0.04, atol=0)
    assert bool((ratio < 0.98).all())                                  # eq. (13) alone overstates it


def test_sample_batch_statistics_is_deterministic_and_centred():
    U = R.figure7_training_set(seed=1)
    a = bn.sample_batch_statistics(U, 64, 300, seed=7)
    b = bn.sample_batch_statistics(U, 64, 300, seed=7)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert a[0].shape == (300, 3) and bool((a[1] > 0).all())
    torch.testing.assert_close(a[0].mean(0), U.mean(0), atol=0.1, rtol=0)
    full = bn.sample_batch_statistics(U, 1000, 2, seed=0)             # the whole set: no spread at all
    torch.testing.assert_close(full[0][0], U.mean(0))


def test_noise_controlled_sampler_matches_the_virtual_batch_law():
    d = R.figure7_distributions(batches=6000, seed=2)
    for key in ("mu", "sigma"):
        target = d["virtual_laws"][key][1]
        plain = d["laws"][key][1]
        measured = d[f"noisy_{key}"].std(0)
        assert bool(((measured / target - 1).abs() < 0.08).all()), (key, measured, target)
        assert bool((measured > 1.25 * d[key].std(0)).all())
        assert bool((target > plain).all())


def test_standard_deviation_reading_reproduces_figure7_printed_ranges():
    """Every printed axis spans about 3 analytic standard deviations under (1, 3, 0.01); the caption's
    variances (1, 3, 0.1) would make unit 3's axes ten times too narrow."""
    std = R.figure7_range_ratios("standard deviations")
    var = R.figure7_range_ratios("variances")
    assert bool(((std > 2.5) & (std < 3.5)).all())
    assert float(var.min()) < 0.2 and float(var.max()) > 4.5


@given(n=st.integers(2, 200), s2=st.floats(0.01, 100), excess=st.floats(-1.99, 20))
def test_eq13_variances_are_positive_and_shrink_with_the_batch(n, s2, excess):
    s2 = torch.tensor([s2], dtype=torch.float64)
    phi = (3 + excess) * s2 ** 2
    vm, vs = bn.statistic_variances(s2, phi, n)
    vm2, vs2 = bn.statistic_variances(s2, phi, n + 1)
    assert vm > 0 and vs > 0 and vm2 < vm and vs2 < vs


def test_laws_center_and_scale():
    laws = bn.batch_statistic_laws(torch.tensor([4.0]), torch.tensor([48.0]), 16, mean=1.0)
    assert laws["mu"][0].item() == 1.0 and math.isclose(laws["mu"][1].item(), 0.5)
    assert math.isclose(laws["sigma"][0].item(), math.sqrt(4 * 15 / 16))


def test_bad_input_raises_clear_errors():
    s2 = torch.tensor([1.0])
    with pytest.raises(ValueError, match="batch_size"):
        bn.statistic_variances(s2, 3 * s2, 1)                          # a batch of one
    with pytest.raises(ValueError, match="fourth_moment"):
        bn.statistic_variances(s2, 0.5 * s2, 8)                        # φ < s⁴ is impossible
    with pytest.raises(ValueError, match="variance"):
        bn.statistic_variances(torch.tensor([0.0]), torch.tensor([0.0]), 8)
    with pytest.raises(ValueError, match="estimator"):
        bn.statistic_variances(s2, 3 * s2, 8, estimator="sample")
    with pytest.raises(ValueError, match="rho"):
        bn.projection_moments(torch.ones(2, 3), torch.tensor([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match="shape"):
        bn.projection_moments(torch.ones(2, 3), torch.ones(4))
    with pytest.raises(ValueError, match="zero weight row"):
        bn.projection_moments(torch.tensor([[0.0, 0.0]]), torch.ones(2))
    with pytest.raises(ValueError, match="distribution"):
        bn.projection_moments(torch.ones(1, 2), torch.ones(2), "cauchy")
    with pytest.raises(ValueError, match="NaN"):
        bn.sample_batch_statistics(torch.tensor([[1.0], [float("nan")]]), 2, 3)
    with pytest.raises(ValueError, match="batch_size"):
        bn.sample_batch_statistics(torch.randn(10, 2), 11, 3)
    with pytest.raises(ValueError, match="virtual_batch_size"):
        bn.sample_batch_statistics(torch.randn(100, 2), 16, 3, virtual_batch_size=16)
    with pytest.raises(ValueError, match="reading"):
        R.figure7_training_set("variance")
    with pytest.raises(TypeError):
        bn.projection_moments("w", torch.ones(2))
