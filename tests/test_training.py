"""Training: stratified splits, SGD that learns, determinism, whole-data BN evaluation, caching, divergence."""
import math

import numpy as np
import pytest
import torch

import bnexplained as bnx
from bnexplained import training


@pytest.fixture(scope="module")
def blobs_split():
    X, y = bnx.data.blobs(300, centers=3, spread=0.3, seed=0, labels=True)
    return training.split(X, y, seed=0)


def mlp(seed=0, mode="bn"):
    return bnx.SplineMLP([2, 16, 16], "leaky_relu", mode, out_features=3, seed=seed)


# ---------------------------------------------------------------------- split
def test_split_is_a_stratified_partition_of_the_data():
    X = torch.arange(200.0)[:, None].repeat(1, 2)
    y = torch.tensor([0] * 100 + [1] * 60 + [2] * 40)
    sp = training.split(X, y, val=0.2, test=0.3, seed=1)
    assert sp.sizes() == {"train": 100, "val": 40, "test": 60}
    ids = torch.cat([sp.train[0][:, 0], sp.val[0][:, 0], sp.test[0][:, 0]]).long()
    assert torch.equal(ids.sort().values, torch.arange(200))               # disjoint, and covers X
    for part, frac in (("train", 0.5), ("val", 0.2), ("test", 0.3)):
        Xp, yp = getattr(sp, part)
        assert torch.equal(yp, y[Xp[:, 0].long()])                          # labels travel with points
        assert torch.bincount(yp, minlength=3).tolist() == [round(frac * n) for n in (100, 60, 40)]
    assert yp.dtype == torch.int64 and not torch.equal(yp, yp.sort().values)  # shuffled, not class-sorted


def test_split_is_deterministic_for_a_seed():
    X, y = bnx.data.blobs(90, labels=True)
    a, b, c = (training.split(X, y, seed=s) for s in (3, 3, 4))
    assert all(torch.equal(u, v) for u, v in zip(a.train + a.val + a.test, b.train + b.val + b.test))
    assert not torch.equal(a.train[0], c.train[0])


def test_split_allows_an_empty_part():
    X, y = bnx.data.blobs(30, labels=True)
    sp = training.split(X, y, val=0.0, test=0.2)
    assert sp.sizes()["val"] == 0 and sp.val[0].shape == (0, 2)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(val=0.6, test=0.4), ValueError, "val \\+ test must be below 1"),
    (dict(val=-0.1), ValueError, "val must be a fraction"),
    (dict(test=1.0), ValueError, "test must be a fraction"),
    (dict(y=torch.zeros(10)), ValueError, "y must be a 1-D tensor of integer"),
    (dict(y=torch.zeros(9, dtype=torch.long)), ValueError, "X must have shape \\(N, ...\\) with N = len\\(y\\)"),
    (dict(y=-torch.ones(10, dtype=torch.long)), ValueError, "labels ≥ 0"),
    (dict(X=torch.full((10, 2), float("nan"))), ValueError, "X contains NaN"),
    (dict(y="labels"), TypeError, "y must be"),
])
def test_bad_split_arguments(kwargs, error, message):
    args = dict(X=torch.randn(10, 2), y=torch.arange(10) % 2)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        training.split(args.pop("X"), args.pop("y"), **args)


# ---------------------------------------------------------------------- train
@pytest.mark.parametrize("mode", ["bn", "zero_bias"])
def test_a_tiny_run_learns_an_easy_task(blobs_split, mode):
    h = training.train(mlp(mode=mode), blobs_split, lr=0.1, epochs=8, batch_size=32, progress=False)
    assert len(h.val_acc) == len(h.test_acc) == len(h.train_loss) == 9           # epoch 0 included
    assert h.val_acc[-1] > 0.9 and h.val_acc[-1] > h.val_acc[0] + 0.2
    assert h.train_loss[-1] < 0.5 * h.train_loss[0]
    assert not h.diverged and h.model is not None and not h.model.training


def test_same_seed_same_history_and_different_seed_different(blobs_split):
    def run(seed):
        h = training.train(mlp(seed), blobs_split, lr=0.05, epochs=3, batch_size=32, seed=seed, progress=False)
        return h.train_loss + h.val_acc + h.test_acc + h.val_loss

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_bn_models_are_evaluated_with_whole_training_set_statistics(blobs_split):
    h = training.train(mlp(), blobs_split, lr=0.05, epochs=2, batch_size=16, progress=False)
    net = h.model
    mus, sigmas = net.statistics_of(blobs_split.train[0])
    for a, b in zip(net.mu + net.sigma, mus + sigmas):
        torch.testing.assert_close(a, b)
    acc, loss = training.evaluate(net, *blobs_split.val)
    assert acc == h.val_acc[-1] and loss == pytest.approx(h.val_loss[-1])


def test_a_last_batch_of_one_is_dropped():
    X, y = bnx.data.blobs(51, labels=True)
    sp = training.split(X, y, val=0.0, test=0.0)              # 51 training points, batches of 10 → 1 left
    assert training._batches(51, 10, torch.Generator().manual_seed(0))[-1].numel() == 10
    h = training.train(mlp(), sp, lr=0.05, epochs=2, batch_size=10, progress=False)
    assert not h.diverged and math.isnan(h.val_acc[-1])      # an empty part reads nan


def test_resnet9_trains_on_digits():
    X, y = bnx.data.digits(flatten=False)
    sp = training.split(X[:400], y[:400], seed=0)
    h = training.train(bnx.ResNet9(1, 10, width=8, seed=0), sp, lr=0.1, epochs=3, progress=False)
    assert h.val_acc[-1] > 0.5 > h.val_acc[0]
    assert h.model.statistics_set() and len(h.seconds) == 4


def test_divergence_stops_the_run_cleanly(blobs_split):
    h = training.train(mlp(mode="zero_bias"), blobs_split, lr=1e6, epochs=5, progress=False)
    assert h.diverged and 1 <= h.diverged_epoch <= 5
    assert len(h.val_acc) == 6 and all(math.isnan(v) for v in h.val_acc[h.diverged_epoch:])
    assert "diverged" in repr(h)
    hb = training.train(mlp(mode="bn"), blobs_split, lr=1e30, epochs=3, progress=False)
    assert hb.diverged


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(lr=0), ValueError, "lr must be a positive finite"),
    (dict(lr=float("nan")), ValueError, "lr must be a positive finite"),
    (dict(epochs=-1), ValueError, "epochs must be an int ≥ 0"),
    (dict(batch_size=1), ValueError, "batch_size must be an int ≥ 2"),
    (dict(momentum=1.0), ValueError, "momentum must lie in"),
    (dict(weight_decay=-1e-4), ValueError, "weight_decay must be ≥ 0"),
    (dict(seed=1.5), TypeError, "seed must be an int"),
    (dict(split=(1, 2, 3)), TypeError, "split must be a bnx.training.Split"),
    (dict(model="net"), TypeError, "model must be a torch.nn.Module"),
    (dict(model=torch.nn.ReLU()), ValueError, "model has no parameters"),
    (dict(model=bnx.SplineMLP([2, 4], out_features=2)), ValueError, "C ≥ 3 classes"),
])
def test_bad_training_arguments(blobs_split, kwargs, error, message):
    args = dict(model=mlp(), split=blobs_split, lr=0.1, epochs=1, progress=False)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        training.train(args.pop("model"), args.pop("split"), **args)


# ---------------------------------------------------------------------- sweep
def test_sweep_picks_the_best_lr_and_is_cached(blobs_split, tmp_path, monkeypatch):
    monkeypatch.setenv("BNX_CACHE", str(tmp_path))
    made = []

    def make(seed):
        made.append(seed)
        return mlp(seed)

    kw = dict(lrs=[1e-4, 0.1], seeds=[0, 1], epochs=3, name="t", config={"model": "mlp"}, batch_size=32,
              progress=False)
    res = training.sweep(make, blobs_split, **kw)
    assert len(made) == 4 and not res.from_cache
    assert res.best_lr == 0.1
    finals = res.final("val_acc")
    assert finals[0.1][0] == np.mean([res.history(0.1, s).val_acc[-1] for s in (0, 1)])
    mean, std = res.curve("test_acc")
    assert mean.shape == std.shape == (4,) and (std >= 0).all()
    np.testing.assert_allclose(mean, np.mean([h.test_acc for h in res.runs()], 0))
    assert all(h.model is None for h in res.histories.values())

    again = training.sweep(make, blobs_split, **kw)          # only the fingerprint probe is built
    assert len(made) == 5 and again.from_cache and again.best_lr == res.best_lr
    assert again.history(0.1, 1).val_acc == res.history(0.1, 1).val_acc
    training.sweep(make, blobs_split, **{**kw, "epochs": 2})  # a new key retrains
    assert len(made) == 9
    other = training.split(*bnx.data.blobs(300, centers=3, spread=0.3, seed=1, labels=True))
    assert not training.sweep(make, other, **kw).from_cache  # other data, same config: retrains


def test_sweep_survives_a_diverging_rate(blobs_split, tmp_path, monkeypatch):
    monkeypatch.setenv("BNX_CACHE", str(tmp_path))
    res = training.sweep(lambda s: mlp(s, "zero_bias"), blobs_split, lrs=[0.05, 1e6], seeds=[0], epochs=3,
                         name="d", config={}, progress=False)
    assert res.history(1e6, 0).diverged and res.best_lr == 0.05
    all_bad = training.sweep(lambda s: mlp(s, "zero_bias"), blobs_split, lrs=[1e6], seeds=[0], epochs=2,
                             name="d", config={}, progress=False)
    assert all_bad.best_lr is None
    with pytest.raises(ValueError, match="every learning rate .* diverged"):
        all_bad.curve()


def test_sweep_can_keep_models_and_take_a_model_maker_without_seed(blobs_split, tmp_path, monkeypatch):
    monkeypatch.setenv("BNX_CACHE", str(tmp_path))
    res = training.sweep(lambda: mlp(0), blobs_split, lrs=[0.1], seeds=[0], epochs=1, name="k", config={},
                         progress=False, keep_models=True)
    assert isinstance(res.history(0.1, 0).model, bnx.SplineMLP)


@pytest.mark.parametrize("kwargs, message", [
    (dict(lrs=[]), "lrs must be a non-empty list"),
    (dict(lrs=[0.1, 0.1]), "lrs must be distinct"),
    (dict(seeds=[0, 0]), "seeds must be a non-empty list of distinct"),
    (dict(lrs=[-1.0]), "lr must be a positive"),
    (dict(epochs=-2), "epochs must be"),
    (dict(name="a/b"), "name must be"),
])
def test_bad_sweep_arguments(blobs_split, tmp_path, monkeypatch, kwargs, message):
    monkeypatch.setenv("BNX_CACHE", str(tmp_path))
    args = dict(lrs=[0.1], seeds=[0], epochs=1, name="b", config={}, progress=False)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        training.sweep(mlp, blobs_split, **args)


def test_sweep_needs_a_validation_part(tmp_path, monkeypatch):
    monkeypatch.setenv("BNX_CACHE", str(tmp_path))
    X, y = bnx.data.blobs(40, labels=True)
    with pytest.raises(ValueError, match="split.val is empty"):
        training.sweep(mlp, training.split(X, y, val=0.0), lrs=[0.1], seeds=[0], epochs=1, name="v", config={})
    with pytest.raises(TypeError, match="make_model must be callable"):
        training.sweep(3, training.split(X, y), lrs=[0.1], seeds=[0], epochs=1, name="v", config={})
