"""Every paper-scale branch runs here, on the CPU, at toy sizes: the same functions, the same branches and
the same data loaders a Colab-GPU reader runs (CIFAR from files in CIFAR's own format, written here),
so no line of the GPU path meets its first reader untried. With CUDA present (``make gpu-check``) each
test runs on the GPU too (the ``device`` fixture)."""
import dataclasses

import matplotlib.pyplot as plt
import pytest
import torch

import bnexplained as bnx
from bnexplained import recipes as R
from cifar_files import write_cifar


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh result cache: a cached result would skip the very code under test."""
    monkeypatch.setenv("BNX_CACHE", str(tmp_path / "cache"))


def test_a_cuda_device_chooses_the_paper_scale_of_every_experiment():
    # the choice is made from the device's type, so a CPU-only machine can ask what CUDA would pick
    assert R.scale_name("cuda") == R.scale_name(torch.device("cuda:0")) == "paper"
    assert R.scale_name("cpu") == "cpu" and R.scale_name(scale="paper") == "paper"
    assert R.scale_name() == ("paper" if torch.cuda.is_available() else "cpu")
    assert (R.figure3_scale("cuda").width, R.figure3_scale("cuda").resolution) == (1024, 400)
    assert (R.figure4_scale("cuda").width, R.figure4_scale("cuda").probes) == (64, 64)
    assert len(R.margin_scale("cuda").seeds) == 20 and len(R.margin_scale("cpu").seeds) == 5
    with pytest.raises(ValueError, match="scale must be"):
        R.scale_name(scale="huge")
    with pytest.raises(ValueError, match="scale must be one of"):
        R.density.Figure3Scale("gpu", 1, 1, 1, 0.1)


def test_shrink_keeps_the_branch_and_only_the_sizes_change():
    paper = R.figure3_scale("cuda")
    tiny = paper.shrink()
    assert tiny.scale == "paper" and tiny.depth == paper.depth == 11
    assert tiny.width > 64                                  # still more than one 64-bit sign word per pixel
    assert dict(**tiny)["width"] == tiny.width and "paper scale" in str(tiny)
    assert paper.shrink(width=100).width == 100
    big = R.smart_init.PAPER
    small = big.shrink()
    assert (small.name, small.data, small.model) == (big.name, big.data, big.model)
    assert small.epochs == 1 and len(small.seeds) == 1


def test_figure3_paper_branch_runs_in_bands_and_bands_change_no_count(device, cache):
    """Figure 3 at the paper's scale, shrunk: 11 layers of 80 units, sign maps in many bands of rows (as
    11 × 1024 units on a 400² grid are on a GPU); one band gives the same counts. Chapter 6's cell."""
    X = bnx.data.star(50)
    tiny = R.figure3_scale("cuda").shrink()
    banded = bnx.cache.cached("ch06-figure3", {"star": 50, **tiny},
                              lambda: R.figure3(X, **tiny, device=device, progress=False))
    whole = R.figure3(X, **dataclasses.replace(tiny, max_floats=2 ** 24), device=device, progress=False,
                      settings=("bn",))
    assert set(banded) == set(bnx.density.SETTINGS)
    assert banded["bn"].counts.shape == (3, tiny.resolution, tiny.resolution)
    assert banded["bn"].counts.device.type == "cpu"
    assert torch.equal(banded["bn"].counts, whole["bn"].counts)
    assert banded["bn"].counts.max() > 0
    bnx.plotting.plot_concentration(banded, X)
    plt.close("all")
    assert bnx.verify.concentration_near_data(banded, X).checks


def test_figure4_paper_branch_on_digits_and_on_cifar10_files(device, tmp_path, cache):
    """Figure 4 at the paper's scale, shrunk: the chapter's cell on the digits, and the chapter's CIFAR-10
    snippet (``bnx.data.cifar`` then ``figure4``) on CIFAR-format files written here."""
    tiny = R.figure4_scale("cuda").shrink()
    digits, _ = bnx.data.digits(flatten=False)
    out = bnx.cache.cached("ch06-figure4", {"data": "digits", **tiny},
                           lambda: R.figure4(digits, **tiny, device=device, progress=False))
    assert out["data"]["bn"].shape == (9, 8)
    assert bnx.verify.concentration_near_images(out).checks
    write_cifar(tmp_path, "cifar10", train=20, test=10)
    cifar, labels = bnx.data.cifar("cifar10", root=tmp_path)
    assert cifar.shape == (20, 3, 32, 32) and labels.shape == (20,)
    out = R.figure4(cifar, **tiny, device=device, progress=False)
    assert set(out["random"]) == set(bnx.density.SETTINGS) and out["units"].shape == (8,)
    bnx.plotting.plot_image_concentration(out)
    plt.close("all")


def test_figure10_paper_branch_trains_resnet9_on_cifar100_files(device, tmp_path, cache):
    """Section 4's experiment as chosen on a GPU with CIFAR-100 on disk: ``choose_scale`` picks PAPER,
    ``run`` reads CIFAR-100 (train/validation/test) and trains ResNet9 from the three starts."""
    write_cifar(tmp_path, "cifar100", train=200, test=40, classes=[0, 7, 42, 99])
    scale, why = R.smart_init.choose_scale("cuda", root=tmp_path)
    assert scale is R.smart_init.PAPER and "paper scale" in why
    tiny = scale.shrink()
    results = R.smart_init.run(tiny, root=tmp_path, device=device, progress=False)
    assert set(results) == set(bnx.INITIALIZATIONS)
    for res in results.values():
        mean, std = res.curve("test_acc")
        assert len(mean) == tiny.epochs + 1 and 0 <= float(mean[-1]) <= 1
    assert "epoch 1" in R.smart_init.accuracy_table(results, epochs=(1, None))
    curves = {init: res.curve("test_acc") for init, res in results.items()}
    bnx.plotting.plot_learning_curves(curves, title=f"{tiny.name} scale")
    plt.close("all")


def test_table1_paper_branch_trains_resnet9(device, cache):
    """Table 1 as chosen on a GPU: ResNet9 on the digits as 8×8 images, learned vs fixed γ, β."""
    assert R.parameters.SCALES["gpu"]["model"] == "resnet9"
    r = R.compare_learnable_affine(scale="gpu", device=device, tiny=True, progress=False)
    assert r.scale == "gpu" and r.config["model"] == "resnet9" and r.config["width"] == 4
    assert len(r.summary()) == 2 and len(r.hyperplane_shifts()) > 1
    assert "learned − fixed" in str(r)
    bnx.plotting.plot_affine_comparison(r)
    plt.close("all")


def test_margin_paper_branch_runs_the_chapters_cell(cache):
    """Chapter 8's margin experiment at the paper's seeds, shrunk to one seed and one epoch (the runs train
    on the CPU at either scale)."""
    tiny = R.margin_scale("cuda").shrink()
    assert tiny.scale == "paper"
    Xm, ym = bnx.data.moons(1280, noise=0.2, seed=0, labels=True)
    split_m = bnx.training.split(Xm, ym, val=0.0, test=0.95)
    results = R.margin_experiment(split_m, virtual_batch_sizes=(None, 8, 4), seeds=tiny.seeds, epochs=tiny.epochs,
                                  config={"data": "moons-1280", "scale": tiny.scale}, progress=False)
    assert [len(runs) for runs in results.values()] == [1, 1, 1]
    assert "noisy m = 4" in R.margin_table(results)


def test_noise_controlled_resnet9_trains_on_cifar10_files(device, tmp_path):
    """What chapter 8 leaves to a GPU reader: noise-controlled BN in a ResNet9, trained on CIFAR-10."""
    write_cifar(tmp_path, "cifar10", train=64, test=16)
    X, y = bnx.data.cifar("cifar10", root=tmp_path)
    Xt, yt = bnx.data.cifar("cifar10", root=tmp_path, train=False)
    split = bnx.training.Split((X, y), (X[:0], y[:0]), (Xt, yt))
    net = bnx.noise_controlled(bnx.ResNet9(3, 10, width=2, seed=0, device=device), 8)
    h = bnx.training.train(net, split, lr=0.05, epochs=1, batch_size=16, progress=False)
    assert not h.diverged and torch.isfinite(torch.tensor(h.train_loss)).all()
    assert 0 <= h.test_acc[-1] <= 1
