"""Section 4's three initializations: same random weights, plain networks, BN folded exactly."""
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import bnexplained as bnx
from strategies import networks, points, seeds


def _template(seed=0, widths=(2, 6, 5, 4), out=2):
    return bnx.SplineMLP(list(widths), "leaky_relu", "bn", out_features=out, seed=seed, dtype=torch.float64)


def test_zero_and_random_bias_keep_the_templates_weights_and_bn_divides_them_by_sigma():
    net, X = _template(), points(40, 2, 0)
    inits = bnx.initializations(net, X, bias_std=0.5, seed=3)
    sigmas = net.statistics_of(X)[1]
    for W, w_zero, w_rand, w_bn, s in zip(net.weights, inits["zero_bias"].weights, inits["random_bias"].weights,
                                          inits["bn"].weights, sigmas):
        assert torch.equal(w_zero, W) and torch.equal(w_rand, W)
        torch.testing.assert_close(w_bn, W / s[:, None], rtol=1e-12, atol=1e-12)
    for plain in inits.values():
        assert plain.mode == "random_bias" and plain.training
        assert all(p.requires_grad for p in plain.parameters())
        torch.testing.assert_close(plain.readout.weight, net.readout.weight)


def test_zero_bias_is_zero_and_random_bias_is_gaussian_and_seeded():
    net = _template(widths=(2, 400, 400))
    zero = bnx.initialize(net, "zero_bias")
    assert all(torch.equal(layer.norm.bias, torch.zeros_like(layer.norm.bias)) for layer in zero.layers)
    a = bnx.initialize(net, "random_bias", bias_std=2.0, seed=5)
    b = bnx.initialize(net, "random_bias", bias_std=2.0, seed=5)
    c = bnx.initialize(net, "random_bias", bias_std=2.0, seed=6)
    biases = torch.cat([layer.norm.bias for layer in a.layers]).detach()
    assert torch.equal(biases, torch.cat([layer.norm.bias for layer in b.layers]).detach())
    assert not torch.equal(biases, torch.cat([layer.norm.bias for layer in c.layers]).detach())
    assert abs(biases.mean().item()) < 0.3 and abs(biases.std().item() - 2.0) < 0.2


@given(net=networks(modes=st.just("bn"), readout=2), seed=seeds, n=st.integers(3, 40))
def test_bn_initialization_is_the_frozen_bn_network(net, seed, n):
    X = points(n, net.widths[0], seed)
    plain = bnx.initialize(net, "bn", X)
    frozen = net.fit_statistics(X)
    x = points(17, net.widths[0], seed + 1, scale=2.0)
    torch.testing.assert_close(plain(x).detach(), frozen(x, statistics="stored").detach(), rtol=1e-9, atol=1e-9)


@given(seed=seeds, n=st.integers(5, 60))
def test_bn_initialization_centres_and_scales_every_layer_on_the_training_set(seed, n):
    """Eq. (3) with B = X, folded: each pre-activation has mean 0 and standard deviation 1 over X,
    so every layer-1 hyperplane passes through the data mean (Corollary 2)."""
    net = _template(seed=seed, widths=(3, 7, 6, 5))
    X = points(n, 3, seed, scale=3.0) + 5.0
    plain = bnx.initialize(net, "bn", X)
    for h in plain.preactivations(X):
        torch.testing.assert_close(h.mean(0), torch.zeros(h.shape[1], dtype=h.dtype), atol=1e-9, rtol=0)
        torch.testing.assert_close(h.std(0, unbiased=False), torch.ones(h.shape[1], dtype=h.dtype), atol=1e-9, rtol=0)
    W, c = plain.weights[0].detach(), plain.layers[0].norm.bias.detach()
    torch.testing.assert_close(W @ X.mean(0) + c, torch.zeros(7, dtype=X.dtype), atol=1e-9, rtol=0)


def test_initialize_leaves_the_template_untouched_and_is_deterministic():
    net, X = _template(), points(30, 2, 1)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    one = bnx.initialize(net, "bn", X)
    two = bnx.initialize(net, "bn", X)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert not net.statistics_set()
    assert all(torch.equal(a, b) for a, b in zip(one.state_dict().values(), two.state_dict().values()))


def test_initialize_rejects_bad_input():
    net, X = _template(), points(30, 2, 1)
    with pytest.raises(ValueError, match="init"):
        bnx.initialize(net, "orthogonal", X)
    with pytest.raises(ValueError, match="bias_std"):
        bnx.initialize(net, "random_bias", bias_std=0.0)
    with pytest.raises(ValueError, match="X"):
        bnx.initialize(net, "bn")
    with pytest.raises(ValueError, match="NaN"):
        bnx.initialize(net, "bn", torch.full((10, 2), float("nan"), dtype=torch.float64))
    with pytest.raises(ValueError, match="batch of one"):
        bnx.initialize(net, "bn", X[:1])
    with pytest.raises(ValueError, match="shape|columns"):
        bnx.initialize(net, "bn", points(10, 3, 0))
    with pytest.raises(ValueError, match="mode='bn'"):
        bnx.initialize(bnx.SplineMLP([2, 3], "relu", "zero_bias"), "zero_bias")
    with pytest.raises(TypeError, match="net"):
        bnx.initialize("not a net", "zero_bias")
    affine = bnx.SplineMLP([2, 3], "relu", "bn", learnable_affine=True)
    with torch.no_grad():
        affine.layers[0].norm.gamma.fill_(2.0)
    with pytest.raises(ValueError, match="γ = 1"):
        bnx.initialize(affine, "zero_bias")


def test_resnet9_initializations_share_weights_and_fold_bn_exactly():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(12, 1, 8, 8, generator=gen, dtype=torch.float64)
    net = bnx.ResNet9(1, 3, width=2, seed=1, dtype=torch.float64)
    inits = bnx.initializations(net, X, seed=2)
    for init, plain in inits.items():
        assert plain.mode == "random_bias"
        for unit, ref in zip(plain.units, net.units):
            if init != "bn":
                assert torch.equal(unit.weight, ref.weight)
        biases = torch.cat([unit.norm.bias for unit in plain.units])
        if init == "zero_bias":
            assert torch.equal(biases, torch.zeros_like(biases))
    frozen = net.fit_statistics(X)
    x = torch.randn(5, 1, 8, 8, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(inits["bn"](x).detach(), frozen(x, statistics="stored").detach(),
                               rtol=1e-9, atol=1e-9)
