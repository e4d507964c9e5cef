"""Noise-controlled BN: BatchNorm in eval mode, the variances of a virtual batch in training mode."""
import copy

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

import bnexplained as bnx
from bnexplained.batch_noise import statistic_variances
from bnexplained.noisy_bn import statistic_noise
from bnexplained.verify.jitter import _effective_statistics


def _pair(kind, c, m, **kw):
    noisy = (bnx.NoisyBatchNorm1d if kind == 1 else bnx.NoisyBatchNorm2d)(c, m, **kw).double()
    plain = (nn.BatchNorm1d if kind == 1 else nn.BatchNorm2d)(c, **kw).double()
    plain.load_state_dict(noisy.state_dict())
    return noisy, plain


@given(kind=st.sampled_from([1, 2]), c=st.integers(1, 5), n=st.integers(9, 20), m=st.integers(2, 8),
       momentum=st.sampled_from([0.1, 0.5, None]), affine=st.booleans(), seed=st.integers(0, 1000))
def test_eval_mode_equals_batchnorm_after_identical_training_steps(kind, c, n, m, momentum, affine, seed):
    noisy, plain = _pair(kind, c, m, momentum=momentum, affine=affine)
    g = torch.Generator().manual_seed(seed)
    shape = (n, c) if kind == 1 else (n, c, 3, 2)
    for _ in range(3):                              # running statistics follow the clean batch statistics
        x = torch.randn(shape, generator=g, dtype=torch.float64) * 2 + 1
        noisy.train()(x)
        plain.train()(x)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        torch.testing.assert_close(getattr(noisy, name), getattr(plain, name))
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    torch.testing.assert_close(noisy.eval()(x), plain.eval()(x), rtol=0, atol=0)


@pytest.mark.parametrize("kind", [1, 2])
def test_without_a_virtual_batch_it_is_batchnorm_in_training_too(kind):
    noisy, plain = _pair(kind, 3, None)
    x = torch.randn((16, 3) if kind == 1 else (16, 3, 4, 4), dtype=torch.float64)
    torch.testing.assert_close(noisy.train()(x), plain.train()(x), rtol=0, atol=0)


@pytest.mark.parametrize("law", ["gaussian", "laplace", "uniform"])
def test_statistic_noise_gives_the_virtual_batch_variances_for_any_input_law(law):
    """Many independent batches at once: each (batch, unit) pair is one column of u."""
    n, m, R = 32, 8, 20_000
    g = torch.Generator().manual_seed(2)
    s2 = torch.tensor([1.0, 4.0], dtype=torch.float64)
    u = bnx.batch_noise.sample_inputs(n * R, s2, law, generator=g).reshape(n, R * 2)
    mu, sigma = u.mean(0), u.std(0, unbiased=False)
    mu_t, sigma_t = statistic_noise(u, mu, sigma, m, generator=g)
    phi = (3 + bnx.batch_noise.INPUT_LAWS[law]) * s2 ** 2
    var_mu, var_s2 = statistic_variances(s2, phi, m, estimator="biased")
    torch.testing.assert_close(mu_t.reshape(R, 2).var(0), var_mu, rtol=0.05, atol=0)
    torch.testing.assert_close(sigma_t.pow(2).reshape(R, 2).var(0), var_s2, rtol=0.07, atol=0)
    torch.testing.assert_close(sigma_t.pow(2).reshape(R, 2).mean(0), s2 * (n - 1) / n, rtol=0.02, atol=0)


def test_noisy_batchnorm1d_statistics_have_the_virtual_batch_variance():
    n, m, R = 32, 8, 1500
    module = bnx.NoisyBatchNorm1d(2, m, affine=False, eps=0.0, seed=1).double().train()
    g = torch.Generator().manual_seed(2)
    s2 = torch.tensor([1.0, 4.0], dtype=torch.float64)
    stats = [_effective_statistics(module, torch.randn(n, 2, generator=g, dtype=torch.float64) * s2.sqrt())
             for _ in range(R)]
    var_mu, var_s2 = statistic_variances(s2, 3 * s2 ** 2, m, estimator="biased")
    torch.testing.assert_close(torch.stack([a for a, _ in stats]).var(0), var_mu, rtol=0.2, atol=0)
    torch.testing.assert_close(torch.stack([b for _, b in stats]).var(0), var_s2, rtol=0.25, atol=0)


def _effective_statistics_2d(module, x):
    y = module(x)
    xc, yc = x - x.mean(), y - y.mean()
    slope = (xc * yc).sum() / (xc * xc).sum()
    return x.mean() - y.mean() / slope, 1 / slope ** 2


def test_noisy_batchnorm2d_statistics_have_the_virtual_batch_variance():
    """Images of i.i.d. pixels: var(μ) = s²/(m·HW), var(σ²) ≈ 2s⁴/(m·HW) for a virtual batch of m images."""
    n, m, R, hw = 24, 6, 1500, 9
    module = bnx.NoisyBatchNorm2d(1, m, affine=False, eps=0.0, seed=0).double().train()
    g = torch.Generator().manual_seed(5)
    stats = [_effective_statistics_2d(module, torch.randn(n, 1, 3, 3, generator=g, dtype=torch.float64))
             for _ in range(R)]
    assert abs(torch.stack([a for a, _ in stats]).var().item() * m * hw - 1) < 0.2
    assert abs(torch.stack([b for _, b in stats]).var().item() * m * hw / 2 - 1) < 0.25


def test_noise_is_seeded_and_gradients_flow():
    a = bnx.NoisyBatchNorm1d(4, 4, seed=3).train()
    b = bnx.NoisyBatchNorm1d(4, 4, seed=3).train()
    x = torch.randn(16, 4, requires_grad=True)
    ya, yb = a(x), b(x)
    assert torch.equal(ya, yb)
    ya.pow(2).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and a.weight.grad is not None
    assert not torch.equal(a(x), ya)                       # a fresh draw on the next step


def test_noise_controlled_spline_mlp_trains_noisy_and_evaluates_clean():
    X = torch.randn(32, 2, generator=torch.Generator().manual_seed(0))
    net = bnx.SplineMLP([2, 6, 6], "leaky_relu", "bn", out_features=2, seed=0)
    clean = copy.deepcopy(net)
    bnx.noise_controlled(net, 8, seed=1)
    net.train()
    clean.train()
    assert not torch.allclose(net(X), clean(X))
    copy.deepcopy(net)                                       # the noise (and its generator) copies
    net.fit_statistics(X)
    clean.fit_statistics(X)
    assert all(torch.equal(a, b) for a, b in zip(net.mu, clean.mu))    # stored statistics stay clean
    net.eval()
    clean.eval()
    assert torch.equal(net(X), clean(X))
    bnx.noise_controlled(net, None)
    net.train()
    clean.train()
    assert torch.equal(net(X), clean(X))


def test_noise_controlled_works_on_resnet9_feature_maps():
    net = bnx.noise_controlled(bnx.ResNet9(1, 10, width=4, seed=0), 4)
    x = torch.randn(8, 1, 8, 8)
    net.train()
    assert net(x).shape == (8, 10)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="virtual_batch_size"):
        bnx.NoisyBatchNorm1d(3, 1)
    with pytest.raises(ValueError, match="virtual_batch_size"):
        bnx.NoisyBatchNorm1d(3, 4.0)
    bn = bnx.NoisyBatchNorm1d(3, 8).train()
    with pytest.raises(ValueError, match="virtual_batch_size must be smaller"):
        bn(torch.randn(8, 3))                               # virtual batch ≥ real batch
    with pytest.raises(ValueError, match="batch of one"):
        bn(torch.randn(1, 3))
    with pytest.raises(ValueError, match="shape"):
        bnx.NoisyBatchNorm2d(3, 2)(torch.randn(4, 3))
    with pytest.raises(ValueError, match="shape"):
        bnx.NoisyBatchNorm1d(3, 2)(torch.randn(4, 3, 2, 2))
    with pytest.raises(ValueError, match="no BN layer"):
        bnx.noise_controlled(bnx.SplineMLP([2, 3], mode="zero_bias"), 4)
    with pytest.raises(TypeError, match="model"):
        bnx.noise_controlled("net", 4)
    net = bnx.noise_controlled(bnx.SplineMLP([2, 3], mode="bn"), 8).train()
    with pytest.raises(ValueError, match="virtual_batch_size must be smaller"):
        net(torch.randn(6, 2))
    with pytest.raises(ValueError, match="shape"):
        statistic_noise(torch.randn(8, 3), torch.zeros(2), torch.ones(3), 4)
    bn.eval()
    assert bn(torch.randn(1, 3)).shape == (1, 3)            # eval mode: a batch of one is fine, as in BatchNorm
