"""Mini-batch jitter of a BN network (Figure 6), its dashboard, drawings and the margin experiment."""
import copy

import matplotlib.pyplot as plt
import pytest
import torch

import bnexplained as bnx
from bnexplained.jitter import boundary_draws, minibatch_statistics
from bnexplained.recipes import margin_experiment


@pytest.fixture(scope="module")
def moons():
    X, y = bnx.data.moons(256, noise=0.15, seed=2, labels=True)
    net = bnx.SplineMLP([2, 12, 12], "leaky_relu", "bn", out_features=2, seed=0).fit_statistics(X)
    return X, y, net


def test_minibatch_statistics_are_those_of_a_training_step(moons):
    """Draw r's statistics, set by hand, reproduce the training-mode forward pass on that mini-batch."""
    X, _, net = moons
    mus, sigmas = minibatch_statistics(net, X, 16, 3, seed=5)
    idx = torch.rand(3, len(X), generator=torch.Generator().manual_seed(5)).argsort(1)[:, :16]
    stored = bnx.SplineMLP([2, 12, 12], "leaky_relu", "bn", out_features=2, seed=0)
    for r in range(3):
        stored.set_statistics([m[r] for m in mus], [s[r] for s in sigmas])
        torch.testing.assert_close(stored(X[idx[r]], statistics="stored"), net(X[idx[r]], statistics="batch"))
    whole = minibatch_statistics(net, X, len(X), 1)
    torch.testing.assert_close(whole[0][0][0], net.mu[0])


def test_deeper_layers_statistics_vary_far_less_than_eq13_predicts(moons):
    """A closer look: a batch's inputs to layer 2 are coupled through layer 1's batch statistics."""
    X, _, net = moons
    r = bnx.jitter.layer_statistic_variances(net, X, 16, 1500, seed=0)
    assert abs(float(r["mu"][0].median()) - 1) < 0.1 and abs(float(r["sigma2"][0].median()) - 1) < 0.15
    assert float(r["mu"][1].median()) < 0.2
    linear = bnx.SplineMLP([2, 12, 12], "leaky_relu", "bn", alpha=0.99, out_features=2, seed=0)
    assert float(bnx.jitter.layer_statistic_variances(linear, X, 16, 300)["mu"][1].max()) < 1e-3


def test_noise_controlled_draws_differ_and_are_seeded(moons):
    X, _, net = moons
    a = minibatch_statistics(net, X, 32, 2, virtual_batch_size=8, seed=1)
    b = minibatch_statistics(net, X, 32, 2, virtual_batch_size=8, seed=1)
    c = minibatch_statistics(net, X, 32, 2, seed=1)
    assert torch.equal(a[1][0], b[1][0]) and a[0][1].shape == (2, 12)
    assert not torch.equal(a[0][0], c[0][0])


def test_boundary_draws_spread_shrinks_with_the_batch_and_grows_with_noise(moons):
    X, _, net = moons
    ext = bnx.data_extent(X)
    small = boundary_draws(net, X, 16, 8, ext, 60, seed=0).mean_flip_share
    large = boundary_draws(net, X, 256, 8, ext, 60, seed=0).mean_flip_share
    noisy = boundary_draws(net, X, 256, 8, ext, 60, virtual_batch_size=16, seed=0).mean_flip_share
    assert large < small and noisy > 2 * large
    d = boundary_draws(net, X, 16, 3, ext, 30)
    assert d.values.shape == (3, 30, 30) and d.band.shape == (30, 30) and d.flip_share.shape == (3,)


def test_bad_arguments_raise_clear_errors(moons):
    X, _, net = moons
    with pytest.raises(ValueError, match="batch_size"):
        minibatch_statistics(net, X, 1, 2)
    with pytest.raises(ValueError, match="batch_size"):
        minibatch_statistics(net, X, 1000, 2)
    with pytest.raises(ValueError, match="virtual_batch_size"):
        minibatch_statistics(net, X, 16, 2, virtual_batch_size=16)
    with pytest.raises(ValueError, match="mode='bn'"):
        minibatch_statistics(bnx.SplineMLP([2, 3], mode="zero_bias"), X, 16, 2)
    with pytest.raises(ValueError, match="no BN layer"):                  # a supported model, but no BN
        minibatch_statistics(torch.nn.Linear(2, 2), X, 16, 2)
    with pytest.raises(bnx.UnsupportedNetwork, match="nn.BatchNorm1d"):  # the one named error
        minibatch_statistics(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh()), X, 16, 2)
    with pytest.raises(ValueError, match="stored statistics"):
        boundary_draws(bnx.SplineMLP([2, 3], out_features=1), X, 16, 2, 2.0)
    ref = boundary_draws(net, X, 16, 2, 2.0, 20).reference
    with pytest.raises(ValueError, match="reference must be .* shape \\(30, 30\\)"):
        boundary_draws(net, X, 16, 2, 2.0, 30, reference=ref)


def test_a_reused_reference_is_the_one_computed(moons):
    """A dashboard passes one setting's reference to the next: the result is what a fresh call gives."""
    X, _, net = moons
    first = boundary_draws(net, X, 16, 3, 2.0, 25, seed=1)
    again = boundary_draws(net, X, 64, 3, 2.0, 25, seed=2, virtual_batch_size=8, reference=first.reference)
    fresh = boundary_draws(net, X, 64, 3, 2.0, 25, seed=2, virtual_batch_size=8)
    assert torch.equal(again.values, fresh.values) and torch.equal(again.reference, fresh.reference)
    assert again.mean_flip_share == fresh.mean_flip_share


def test_jitter_explorer_redraws_and_caches(moons):
    X, y, net = moons
    w = bnx.widgets.JitterExplorer({"random": net}, X, y, draws=3, resolution=30)
    first = w.png
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and "%" in w.readout.value
    w.controls["batch_size"].value = 128
    assert w.png != first
    w.controls["virtual"].value = 16
    assert ("random", 128, 16) in w._cache
    w.controls["virtual"].value = 128                     # virtual ≥ batch: noise off, said in the readout
    assert "noise off" in w.readout.value
    box = w.widget()
    assert w.pane in box.children


def test_drawings_produce_figures(moons):
    X, y, net = moons
    dist = bnx.recipes.figure7_distributions(batches=200)
    fig = bnx.plotting.plot_figure7(dist)
    assert len(fig.axes) == 6
    plt.close(fig)
    fig, ax = plt.subplots()
    bnx.plotting.draw_boundary_draws(ax, boundary_draws(net, X, 16, 2, bnx.data_extent(X), 30), X, y, title="t")
    plt.close(fig)


def test_margin_experiment_runs_caches_and_checks_its_arguments(tmp_path, monkeypatch):
    monkeypatch.setenv("BNX_CACHE", str(tmp_path))
    X, y = bnx.data.moons(160, noise=0.2, seed=0, labels=True)
    split = bnx.training.split(X, y, val=0.0, test=0.8, seed=0)          # 32 training points
    kw = dict(virtual_batch_sizes=(None, 4), seeds=[0], widths=(2, 6), epochs=2, batch_size=8, progress=False)
    res = margin_experiment(split, **kw)
    assert set(res) == {None, 4} and res[4][0]["signed"].shape == (32,)
    assert len(list(tmp_path.iterdir())) == 1
    again = margin_experiment(split, **kw)
    assert torch.equal(again[4][0]["signed"], res[4][0]["signed"])
    ax = bnx.plotting.plot_margin_distributions(res, tolerance=0.01)
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="virtual_batch_sizes"):
        margin_experiment(split, **{**kw, "virtual_batch_sizes": (8,)})
    with pytest.raises(ValueError, match="multiple of batch_size"):
        margin_experiment(split, **{**kw, "batch_size": 10})


def test_virtual_batch_matches_a_real_one_in_layer_1_only(moons):
    """A closer look: noise-controlled BN reproduces a batch of m where eq. (13) holds (layer 1), and
    adds far more than a real batch of m would deeper down."""
    X, _, net = moons
    noisy = minibatch_statistics(net, X, 64, 2000, virtual_batch_size=16, seed=0)
    real = minibatch_statistics(net, X, 16, 2000, seed=1)
    layer1 = noisy[0][0].var(0) / real[0][0].var(0)
    layer2 = noisy[0][1].var(0) / real[0][1].var(0)
    assert abs(float(layer1.median()) - 1) < 0.15
    assert float(layer2.median()) > 5


def test_margin_summary_is_mean_and_std_over_seeds_of_each_quantity():
    runs = [dict(test_acc=0.9, train_acc=1.0, signed=torch.arange(11.0)),
            dict(test_acc=0.8, train_acc=0.9, signed=torch.arange(11.0) + 2)]
    out = bnx.recipes.margin_summary({None: runs, 4: runs[:1]})
    assert out[None]["test_acc"] == pytest.approx((0.85, 0.05))
    assert out[None]["median"] == pytest.approx((6.0, 1.0))          # medians 5 and 7
    assert out[None]["p10"] == pytest.approx((2.0, 1.0))             # 10th percentiles 1 and 3
    assert out[4]["train_acc"] == pytest.approx((1.0, 0.0))
    assert "noisy m = 4" in bnx.recipes.margin_table({None: runs, 4: runs[:1]})


@pytest.mark.parametrize("block", ["activation first", "BN first"])
def test_boundary_draws_of_a_residual_network_are_torchs_training_step(block):
    """Each draw's decision values on the grid equal torch's own forward pass with that draw's
    batch statistics (train-mode BN on the mini-batch, its biased σ² set as running statistics),
    on residual networks whose block starts with an activation or a BatchNorm1d right at the
    saved state (what the walk must not overwrite in place)."""
    from torch import nn

    X, _ = bnx.data.moons(128, noise=0.15, seed=3, labels=True)
    torch.manual_seed(4)
    inner = (nn.Sequential(nn.LeakyReLU(0.2), nn.Linear(8, 8), nn.BatchNorm1d(8)) if block == "activation first"
             else nn.Sequential(nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 8)))
    model = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), bnx.Residual(inner),
                          nn.ReLU(), nn.Linear(8, 1)).double()
    model.train()
    model(X.double())
    model.eval()
    d = boundary_draws(model, X, 16, 3, 2.0, 12, seed=7)
    idx = torch.rand(3, len(X), generator=torch.Generator().manual_seed(7)).argsort(1)[:, :16]
    for r in range(3):
        oracle = copy.deepcopy(model)
        seen = []
        hooks = [m.register_forward_pre_hook(lambda m, a: seen.append(a[0].detach()))
                 for m in oracle.modules() if isinstance(m, nn.BatchNorm1d)]
        oracle.train()
        oracle(X.double()[idx[r]])                     # the training step's inputs to every BN layer
        for h in hooks:
            h.remove()
        for m, u in zip([m for m in oracle.modules() if isinstance(m, nn.BatchNorm1d)], seen):
            m.running_mean.copy_(u.mean(0))
            m.running_var.copy_(u.var(0, unbiased=False))
        oracle.eval()
        grid = d.grid.points.double()
        torch.testing.assert_close(d.values[r].reshape(-1).double(), oracle(grid)[:, 0])
    assert d.values.shape == (3, 12, 12) and len(d.layers) == 2
