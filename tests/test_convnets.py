"""ResNet9: shapes, whole-data statistics (eq. 3), folding BN into plain layers, modes, bad input."""
import copy

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import bnexplained as bnx


def images(n, c=1, size=8, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, c, size, size, generator=g, dtype=dtype)


def net64(mode="bn", **kwargs):
    args = dict(width=4, mode=mode, seed=0, dtype=torch.float64)
    args.update(kwargs)
    return bnx.ResNet9(1, 10, **args)


# ---------------------------------------------------------------------- shapes
def test_shapes_on_digits():
    X, _ = bnx.data.digits(flatten=False)
    net = bnx.ResNet9(1, 10, width=8, seed=0)
    out = net(X[:32])
    assert out.shape == (32, 10)
    pre = net.preactivations(X[:32])
    assert [tuple(h.shape[1:]) for h in pre] == [(8, 8, 8), (16, 8, 8), (16, 4, 4), (16, 4, 4),
                                                 (32, 4, 4), (64, 2, 2), (64, 1, 1), (64, 1, 1)]
    assert net.depth == 8 and len(net.weights) == 8


def test_shapes_on_cifar_sized_input():
    net = bnx.ResNet9(3, 100, width=4, seed=0)
    x = torch.randn(6, 3, 32, 32)
    assert net(x).shape == (6, 100)
    assert [h.shape[-1] for h in net.preactivations(x)] == [32, 32, 16, 16, 16, 8, 4, 4]
    assert net.signs(x).shape == (6, sum(h[0].numel() for h in net.preactivations(x)))


def test_default_width_is_the_dawnbench_one():
    net = bnx.ResNet9()
    assert [w.shape[0] for w in net.weights] == [64, 128, 128, 128, 256, 512, 512, 512]
    assert net.readout.weight.shape == (10, 512)


# ---------------------------------------------------------------------- statistics
@settings(max_examples=6)
@given(seed=st.integers(0, 2**16), n=st.integers(2, 24), act=st.sampled_from(bnx.ACTIVATIONS))
def test_fit_statistics_equals_the_batch_forward_pass_on_the_whole_data(seed, n, act):
    X = images(n, seed=seed)
    net = net64(activation=act, seed=seed)
    batch_out = net(X, statistics="batch").detach()
    batch_pre = [h.detach() for h in net.preactivations(X, statistics="batch")]
    net.fit_statistics(X, batch_size=7)
    assert net.statistics_set()
    torch.testing.assert_close(net(X, statistics="stored").detach(), batch_out, rtol=1e-10, atol=1e-10)
    for h_stored, h_batch in zip(net.preactivations(X, statistics="stored"), batch_pre):
        torch.testing.assert_close(h_stored.detach(), h_batch, rtol=1e-10, atol=1e-10)
    # unit 1's statistics are eq. (3) pooled over images and positions
    u = torch.nn.functional.conv2d(X, net.weights[0].detach(), padding=1)
    torch.testing.assert_close(net.mu[0], u.mean(dim=(0, 2, 3)))
    torch.testing.assert_close(net.sigma[0], u.std(dim=(0, 2, 3), unbiased=False))


# memory_mb=0: every unit re-runs the batches from the input; 256: activations are kept between units
@pytest.mark.parametrize("batch_size, memory_mb", [(1, 256), (5, 0), (5, 256), (64, 0), (1000, 256)])
def test_fit_statistics_does_not_depend_on_batch_size_or_memory(batch_size, memory_mb):
    X = images(37, seed=1)
    reference = net64().fit_statistics(X, batch_size=37, memory_mb=0)
    net = net64().fit_statistics(X, batch_size=batch_size, memory_mb=memory_mb)
    for a, b in zip(net.mu + net.sigma, reference.mu + reference.sigma):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_train_and_eval_modes_choose_batch_and_stored_statistics():
    X = images(20, seed=2)
    net = net64().fit_statistics(images(50, seed=3))
    net.train()
    torch.testing.assert_close(net(X).detach(), net(X, statistics="batch").detach())
    net.eval()
    torch.testing.assert_close(net(X).detach(), net(X, statistics="stored").detach())
    assert not torch.allclose(net(X, statistics="batch"), net(X, statistics="stored"))


def test_set_statistics_by_hand_and_checks():
    net = net64()
    mus = [torch.zeros(w.shape[0], dtype=torch.float64) for w in net.weights]
    sig = [torch.ones(w.shape[0], dtype=torch.float64) for w in net.weights]
    net.set_statistics(mus, sig)
    assert net.statistics_set()
    with pytest.raises(ValueError, match="mu must list 8"):
        net.set_statistics(mus[:3])
    with pytest.raises(ValueError, match="sigma must be strictly positive"):
        net.set_statistics(sigma=[s * 0 for s in sig])


def test_stored_statistics_must_exist_before_use():
    with pytest.raises(ValueError, match="no stored statistics"):
        net64()(images(4), statistics="stored")


# ---------------------------------------------------------------------- as_plain
@pytest.mark.parametrize("act", bnx.ACTIVATIONS)
def test_as_plain_computes_the_same_function(act):
    X = images(30, seed=4)
    net = net64(activation=act, learnable_affine=True)
    with torch.no_grad():                           # non-trivial γ > 0 and β
        for unit in net.units:
            unit.norm.gamma.uniform_(0.5, 2.0)
            unit.norm.beta.normal_()
    net.fit_statistics(X)
    plain = net.as_plain()
    assert plain.mode == "random_bias" and not any(
        isinstance(getattr(u.norm, "mu", None), torch.Tensor) for u in plain.units)
    Y = images(25, seed=5) * 2
    torch.testing.assert_close(plain(Y).detach(), net(Y, statistics="stored").detach(), rtol=1e-10, atol=1e-10)
    from_batch = net64(activation=act).as_plain("batch", X)
    torch.testing.assert_close(from_batch(Y).detach(), net64(activation=act).fit_statistics(X)(Y, "stored").detach(),
                               rtol=1e-10, atol=1e-10)


def test_as_plain_needs_statistics():
    with pytest.raises(ValueError, match="no stored statistics"):
        net64().as_plain()
    with pytest.raises(ValueError, match="X is required"):
        net64().as_plain("batch")
    with pytest.raises(ValueError, match="only for mode='bn'"):
        net64("zero_bias").as_plain()


# ---------------------------------------------------------------------- modes
def test_bn_mode_in_batch_statistics_ignores_the_scale_of_the_batch():
    X = images(12, seed=6)
    net = net64()
    torch.testing.assert_close(net(3.7 * X, "batch").detach(), net(X, "batch").detach(), rtol=1e-9, atol=1e-9)


def test_zero_bias_mode_is_positively_homogeneous_and_random_bias_is_not():
    X = images(12, seed=7)
    zero, rand = net64("zero_bias"), net64("random_bias")
    torch.testing.assert_close(zero(3.0 * X).detach(), 3.0 * zero(X).detach(), rtol=1e-10, atol=1e-10)
    assert not torch.allclose(rand(3.0 * X), 3.0 * rand(X))
    assert all(torch.equal(u.norm.bias, torch.zeros_like(u.norm.bias)) for u in zero.units)
    biases = torch.cat([u.norm.bias.detach() for u in bnx.ResNet9(1, 10, width=16, mode="random_bias",
                                                                   bias_std=2.0).units])
    assert 1.6 < biases.std().item() < 2.4


def test_gamma_beta_are_learnable_when_asked():
    names = {n for n, _ in net64(learnable_affine=True).named_parameters()}
    assert {"units.0.norm.gamma", "units.0.norm.beta"} <= names
    assert "units.0.norm.gamma" not in {n for n, _ in net64().named_parameters()}


def test_same_seed_same_network_and_different_seed_different():
    a, b, c = (bnx.ResNet9(3, 10, width=4, seed=s) for s in (1, 1, 2))
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert not torch.equal(a.weights[0], c.weights[0])


def test_results_come_back_on_the_input_device_and_match_the_cpu(device):
    X = images(10, dtype=torch.float32)
    cpu = bnx.ResNet9(1, 10, width=4, seed=3).fit_statistics(X)
    dev = bnx.ResNet9(1, 10, width=4, seed=3, device=device).fit_statistics(X)   # X stays on the CPU
    out = dev(X.to(device), "stored")
    assert out.device.type == device.type
    torch.testing.assert_close(out.cpu(), cpu(X, "stored"), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(dev.preactivations(X.to(device), "batch")[-1].cpu(),
                               cpu.preactivations(X, "batch")[-1], rtol=1e-4, atol=1e-4)


def test_gradients_flow_to_every_conv_unit():
    net = net64()
    net(images(6), "batch").sum().backward()
    assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in net.weights)


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("x, message", [
    (torch.zeros(4, 3, 8, 8), r"x must have 1 channel\(s\)"),
    (torch.zeros(4, 64), r"x must have shape \(N, C, H, W\)"),
    (torch.zeros(4, 1, 4, 4), "at least 8×8"),
    (images(4).index_put((torch.tensor([0]),), torch.tensor(float("nan"), dtype=torch.float64)), "NaN"),
])
def test_bad_inputs_raise_value_errors_naming_x(x, message):
    with pytest.raises(ValueError, match=message):
        net64()(x, statistics="batch")


def test_batch_of_one_in_batch_mode_is_refused_but_fine_with_stored_statistics():
    net = net64()
    with pytest.raises(ValueError, match="x is a batch of one"):
        net(images(1), statistics="batch")
    with pytest.raises(ValueError, match="X is a batch of one"):
        net.fit_statistics(images(1))
    net.fit_statistics(images(10))
    assert net(images(1), statistics="stored").shape == (1, 10)
    assert net64("zero_bias")(images(1)).shape == (1, 10)


def test_zero_weights_give_a_clear_error_not_nan():
    net = net64()
    with torch.no_grad():
        net.weights[2][1] = 0
    with pytest.raises(ValueError, match=r"σ = 0 for unit\(s\) \[1\]"):
        net(images(8), statistics="batch")
    with pytest.raises(ValueError, match=r"σ = 0 for channel\(s\) \[1\] of unit 3"):
        net.fit_statistics(images(8))


@pytest.mark.parametrize("kwargs, message", [
    (dict(mode="layer_norm"), "mode must be one of"),
    (dict(activation="tanh"), "activation must be one of"),
    (dict(alpha=1.5), "alpha must lie in"),
    (dict(width=0), "width must be a positive int"),
    (dict(readout_scale=0), "readout_scale must be"),
])
def test_bad_construction_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bnx.ResNet9(1, 10, **kwargs)


def test_bad_fit_arguments_raise():
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        net64().fit_statistics(images(4), batch_size=0)
    with pytest.raises(ValueError, match="memory_mb must be a number"):
        net64().fit_statistics(images(4), memory_mb=-1)
    with pytest.raises(TypeError, match="X must be"):
        net64().fit_statistics("images")
    with pytest.raises(ValueError, match="statistics must be None or one of"):
        net64()(images(4), statistics="running")


def test_deepcopy_keeps_the_function():
    X = images(9)
    net = net64().fit_statistics(X)
    torch.testing.assert_close(copy.deepcopy(net)(X, "stored"), net(X, "stored"))


@pytest.mark.parametrize("act", bnx.ACTIVATIONS)
def test_fused_activation_gives_the_same_numbers_as_the_reference(act):
    from bnexplained import convnets, networks

    h = images(5, c=3) * 3
    slope = networks.code_slope(act, 0.1)
    assert torch.equal(convnets.activate(h, slope), networks.activate(h, slope))


def test_fast_max_pool_gives_the_same_numbers_and_layout():
    from bnexplained import convnets

    z = images(6, c=5)
    pooled = convnets.max_pool(z)
    assert torch.equal(pooled, torch.nn.functional.max_pool2d(z, 2)) and pooled.is_contiguous()
