"""Section 4's experiment: scales, the sweep over three starts, 2-D trajectories, drawing, dashboards."""
import dataclasses

import matplotlib.pyplot as plt
import pytest
import torch

import bnexplained as bnx
from bnexplained.recipes import smart_init

TINY = dataclasses.replace(smart_init.CPU, width=16, depth=2, lrs=(0.03, 0.1), seeds=(0, 1), epochs=2)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BNX_CACHE", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def circles():
    return bnx.data.circles(120, noise=0.1, labels=True)


def test_choose_scale_picks_cpu_without_a_gpu_and_paper_only_with_cifar(tmp_path):
    scale, why = smart_init.choose_scale("cpu")
    assert scale is smart_init.CPU and "no GPU" in why
    scale, why = smart_init.choose_scale("cuda", root=tmp_path)          # a GPU but no CIFAR-100 here
    assert scale is smart_init.CPU and "CIFAR-100" in why
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    (folder / "train").write_bytes(b"")
    (folder / "test").write_bytes(b"")
    assert smart_init.choose_scale("cuda", root=tmp_path)[0] is smart_init.PAPER
    assert smart_init.choose_scale("cpu", scale="paper")[0] is smart_init.PAPER
    with pytest.raises(ValueError, match="scale"):
        smart_init.choose_scale("cpu", scale="huge")
    assert "ResNet9 (width 64) on cifar100" in str(smart_init.PAPER)


def test_paper_scale_without_cifar_explains_where_to_put_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar100"):
        smart_init.load_split(smart_init.PAPER, root=tmp_path)


def test_run_trains_three_starts_from_the_same_weights_and_caches(cache):
    split = smart_init.load_split(TINY)
    results = smart_init.run(TINY, split, progress=False)
    assert list(results) == list(bnx.INITIALIZATIONS)
    for res in results.values():
        assert res.lrs == list(TINY.lrs) and res.seeds == list(TINY.seeds) and res.device == bnx.device().type
        mean, std = res.curve("test_acc")
        assert mean.shape == (TINY.epochs + 1,) and (std >= 0).all()
        assert mean[-1] > 0.5                                   # SGD learns the digits from every start
    again = smart_init.run(TINY, split, progress=False)
    assert all(r.from_cache for r in again.values())
    assert again["bn"].curve("test_acc")[0].tolist() == results["bn"].curve("test_acc")[0].tolist()
    table = smart_init.accuracy_table(results)
    assert table.splitlines()[0].split()[:2] == ["start", "lr"] and len(table.splitlines()) == 4
    row = smart_init.final_accuracies(results, 1)
    assert set(row) == set(bnx.INITIALIZATIONS) and all(0 <= m <= 1 for _, m, _ in row.values())


def test_templates_have_the_scales_architecture():
    mlp = smart_init.template(TINY, 3, in_shape=(64,), classes=10)
    assert mlp.widths == [64, 16, 16] and mlp.readout.out_features == 10 and mlp.mode == "bn"
    resnet = smart_init.template(smart_init.RESNET9_CPU, 3, in_shape=(1, 8, 8), classes=10)
    assert isinstance(resnet, bnx.ResNet9) and resnet.width == 8
    with pytest.raises(ValueError, match="scale.model"):
        smart_init.template(dataclasses.replace(TINY, model="vit"), 0, in_shape=(64,), classes=10)
    with pytest.raises(TypeError, match="Scale"):
        smart_init.run("cpu")


def test_trajectories_keep_one_snapshot_per_epoch_starting_at_the_initialization(cache, circles):
    X, y = circles
    runs = smart_init.trajectories(X, y, [2, 6, 6], lr=0.05, epochs=3, batch_size=16)
    assert list(runs) == list(bnx.INITIALIZATIONS)
    net = bnx.SplineMLP([2, 6, 6], "leaky_relu", "bn", out_features=2, seed=0)
    train_x = bnx.training.split(X, y, val=0.0, test=0.3, seed=0).train[0]
    start = bnx.initialize(net, "bn", train_x)
    for init, (snaps, acc) in runs.items():
        assert len(snaps) == len(acc) == 4 and all(0 <= a <= 1 for a in acc)
        assert not torch.equal(snaps[0].weights[0], snaps[-1].weights[0])    # SGD moved the weights
    torch.testing.assert_close(runs["bn"][0][0](X), start(X))                # epoch 0 is the start itself
    with pytest.raises(ValueError, match="shape"):
        smart_init.trajectories(torch.zeros(10, 3), torch.zeros(10, dtype=torch.long), [3, 4], lr=0.1, epochs=1)


def test_train_callback_sees_every_epoch_and_the_model():
    X, y = bnx.data.blobs(90, labels=True)
    seen = []
    model = bnx.SplineMLP([2, 8], "leaky_relu", "zero_bias", out_features=3)
    bnx.training.train(model, bnx.training.split(X, y), lr=0.05, epochs=3, progress=False,
                       callback=lambda h, m: seen.append((len(h.val_acc), m is model)))
    assert seen == [(1, True), (2, True), (3, True), (4, True)]
    with pytest.raises(TypeError, match="callback"):
        bnx.training.train(model, bnx.training.split(X, y), lr=0.05, epochs=1, callback=3)


def test_drawing_the_starts_the_curves_and_the_rates(circles):
    X, y = circles
    net = bnx.SplineMLP([2, 5, 5], "leaky_relu", "bn", out_features=2, seed=0)
    axes = bnx.plotting.plot_initializations(bnx.initializations(net, X), X, y, resolution=60)
    assert len(axes) == 3 and axes[2].get_title() == bnx.plotting.INIT_LABELS["bn"]
    ax = bnx.plotting.plot_learning_curves({"bn": ([0.1, 0.5, 0.9], [0.0, 0.1, 0.05])})
    assert ax.lines[0].get_xdata().tolist() == [0, 1, 2]                   # entry e is epoch e
    rep = bnx.verify.proposition_3(X, widths=(1, 3), batch_sizes=(2, 4), networks=2, batches=20)
    ax = bnx.plotting.plot_one_sided_rates(rep)
    assert len(ax.lines) == 2
    plt.close("all")


def test_proposition_3_explorer_redraws_and_reports_the_rate(circles):
    X, _ = circles
    w = bnx.widgets.Proposition3Explorer(X, resolution=40, rate_batches=30)
    first = w.png
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and "one-sided" in w.readout.value
    w.controls["batch"].value = 3
    assert w.png != first
    w.controls["width"].value = 1
    assert "<b>0.0%</b>" in w.readout.value                                 # one unit: never one-sided
    w.controls["width"].value = 4
    w.controls["readout"].value = "centred"
    assert "<b>0.0%</b>" in w.readout.value                                 # centred read-out: never


def test_training_explorer_precomputes_every_epoch(cache, circles):
    X, y = circles
    runs = smart_init.trajectories(X, y, [2, 5, 5], lr=0.05, epochs=2, batch_size=16)
    w = bnx.widgets.TrainingExplorer(runs, X, y, resolution=40)
    assert len(w._pictures) == 3 and w.epochs == 2
    first = w.png
    w.controls["epoch"].value = 2
    assert w.png != first and "epoch 2" in w.readout.value
    with pytest.raises(ValueError, match="same number of epochs"):
        bnx.widgets.TrainingExplorer({"bn": runs["bn"], "zero_bias": (runs["zero_bias"][0][:2], [0, 0])}, X, y)


def test_proposition_3_explorer_says_when_bn_is_undefined_on_a_batch():
    X = torch.tensor([[0.5, 0.5]] * 12 + [[1.0, -1.0], [-1.0, 0.3]])
    w = bnx.widgets.Proposition3Explorer(X, resolution=30, rate_batches=20)
    w.controls["batch_size"].value = 2
    messages = set()
    for draw in range(20):                                  # the slider offers 10; render reaches more
        messages.add(w.render(**{**w.values, "batch": draw})[1])
    assert any("undefined" in m for m in messages) and any("one-sided" in m for m in messages)


# ---------------------------------------------------------------- the paper's protocol: W under frozen μ, σ
def test_frozen_bn_starts_from_the_folded_function_and_steps_eta_over_sigma_squared(circles):
    """One plain SGD step on W under frozen μ, σ equals a step of η/σ² on the folded w' = w/σ, with the
    folded offsets c' = −μ/σ left where they were (oracle: autograd on the folded network)."""
    X, y = circles
    net = bnx.SplineMLP([2, 5, 4], "leaky_relu", "bn", out_features=2, seed=3, dtype=torch.float64)
    X = X.double()
    frozen = smart_init.frozen_bn(net, X)
    folded = bnx.initialize(net, "bn", X)
    assert torch.allclose(frozen(X), folded(X), atol=1e-12)
    sigma = [s.clone() for s in frozen.net.sigma]
    mu = [m.clone() for m in frozen.net.mu]
    lr = 0.05
    loss = torch.nn.functional.cross_entropy
    loss(folded(X), y).backward()
    grads = [w.grad.clone() for w in folded.weights]
    biases = [layer.norm.bias.detach().clone() for layer in folded.layers]
    opt = torch.optim.SGD([p for p in frozen.parameters() if p.requires_grad], lr=lr)
    loss(frozen(X), y).backward()
    opt.step()
    for W_new, W_old_folded, g, s, m, c in zip(frozen.net.weights, folded.weights, grads, sigma, mu, biases):
        expected = W_old_folded.detach() - lr / s[:, None] ** 2 * g
        assert torch.allclose(W_new.detach() / s[:, None], expected, atol=1e-12)
        assert torch.allclose(-m / s, c, atol=1e-12)                 # offsets untouched by the step
    assert all(torch.equal(a, b) for a, b in zip(frozen.net.mu, mu))


def test_frozen_bn_trains_no_statistics_and_refuses_a_net_without_them(circles):
    X, _ = circles
    net = bnx.SplineMLP([2, 6, 6], "leaky_relu", "bn", out_features=2, learnable_affine=True, seed=0)
    frozen = smart_init.frozen_bn(net, X)
    trainable = {n for n, p in frozen.named_parameters() if p.requires_grad}
    assert trainable and not any("gamma" in n or "beta" in n for n in trainable)
    with pytest.raises(ValueError, match="fit_statistics"):
        smart_init.FrozenStatistics(bnx.SplineMLP([2, 3], "leaky_relu", "bn", seed=0))
    with pytest.raises(ValueError, match="mode='bn'"):
        smart_init.frozen_bn(bnx.SplineMLP([2, 3], "leaky_relu", "zero_bias", seed=0), X)


def test_compare_protocols_runs_both_sweeps_on_the_same_seeds(cache):
    out = smart_init.compare_protocols(TINY, progress=False)
    assert set(out) == set(smart_init.PROTOCOLS)
    assert out["folded"].seeds == out["frozen"].seeds == list(TINY.seeds)
    assert out["folded"].lrs == out["frozen"].lrs
    # same start: epoch 0 (untrained) has the same test accuracy under both protocols
    assert out["folded"].curve("test_acc")[0][0] == pytest.approx(out["frozen"].curve("test_acc")[0][0])
    with pytest.raises(TypeError, match="Scale"):
        smart_init.compare_protocols("cpu")


def test_frozen_sigmas_are_the_whole_training_set_standard_deviations():
    split = smart_init.load_split(TINY)
    sig = smart_init.frozen_sigmas(TINY, split, seed=1, device="cpu")
    net = smart_init.template(TINY, 1, in_shape=(64,), classes=10)
    u = split.train[0] @ net.weights[0].detach().T                   # layer 1 by hand (eq. 3, B = X)
    assert torch.allclose(sig[:TINY.width], u.std(0, unbiased=False), rtol=1e-4)
    assert sig.shape == (TINY.width * TINY.depth,) and bool((sig > 0).all())
