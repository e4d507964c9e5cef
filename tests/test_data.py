"""Bundled and generated data sets: shapes, determinism, bad arguments."""
import pytest
import torch

import bnexplained as bnx
from cifar_files import write_batches


@pytest.mark.parametrize("name", sorted(bnx.data.TOY_DATASETS))
def test_toy_sets_are_deterministic_and_two_dimensional(name):
    a, b = bnx.data.toy_2d(name, 40, seed=3), bnx.data.toy_2d(name, 40, seed=3)
    assert a.shape == (40, 2) and torch.equal(a, b)
    assert not torch.equal(a, bnx.data.toy_2d(name, 40, seed=4))


def test_star_lies_near_a_star_of_radius_one():
    X = bnx.data.star(200, noise=0.0)
    r = X.norm(dim=1)
    assert r.max() <= 1.0 + 1e-6 and r.min() >= 0.3


def test_digits_ship_with_scikit_learn():
    X, y = bnx.data.digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert abs(X.mean().item()) < 1e-5 and abs(X.std().item() - 1) < 1e-3
    assert bnx.data.digits(flatten=False)[0].shape == (1797, 1, 8, 8)


def test_bad_data_arguments():
    with pytest.raises(ValueError, match="name must be one of"):
        bnx.data.toy_2d("spiral")
    with pytest.raises(ValueError, match="n must be an int"):
        bnx.data.star(1)


# ---------------------------------------------------------------------- CIFAR (fake files, real format)
@pytest.fixture
def fake_cifar10(tmp_path):
    files = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    return tmp_path, write_batches(tmp_path / "cifar-10-batches-py", files, "labels", [4, 3, 5, 2, 6, 7])


def test_cifar10_reads_the_pickle_batches_and_standardizes_per_channel(fake_cifar10):
    import numpy as np

    root, written = fake_cifar10
    X, y = bnx.data.cifar("cifar10", root=root)
    assert X.shape == (20, 3, 32, 32) and X.dtype == torch.float32 and y.dtype == torch.int64
    train = np.concatenate([written[f"data_batch_{i}"][0] for i in range(1, 6)]).reshape(-1, 3, 32, 32)
    mean = train.mean(axis=(0, 2, 3))
    std = train.std(axis=(0, 2, 3))
    torch.testing.assert_close(X.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(X.std(dim=(0, 2, 3), unbiased=False), torch.ones(3), atol=1e-5, rtol=0)
    # pixel (row 0, column 1) of image 0 in the green channel: entry 1024 + 1 of its row
    raw = float(written["data_batch_1"][0][0, 1024 + 1])
    assert X[0, 1, 0, 1].item() == pytest.approx((raw - mean[1]) / std[1], rel=1e-5)
    assert y[:4].tolist() == written["data_batch_1"][1]
    Xt, yt = bnx.data.cifar("cifar10", root=str(root), train=False)     # test set: the training statistics
    test = written["test_batch"][0].reshape(-1, 3, 32, 32)
    expected = (test - mean[None, :, None, None]) / std[None, :, None, None]
    torch.testing.assert_close(Xt, torch.as_tensor(expected, dtype=torch.float32), atol=1e-5, rtol=1e-5)
    assert yt.tolist() == written["test_batch"][1]


def test_cifar100_reads_the_fine_labels(tmp_path):
    written = write_batches(tmp_path / "cifar-100-python", ["train", "test"], "fine_labels", [9, 4], classes=100)
    X, y = bnx.data.cifar("cifar100", root=tmp_path)
    Xt, yt = bnx.data.cifar("cifar100", root=tmp_path, train=False)
    assert X.shape == (9, 3, 32, 32) and Xt.shape == (4, 3, 32, 32)
    assert y.tolist() == written["train"][1] and yt.tolist() == written["test"][1]


def test_missing_cifar_files_name_the_root(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"root='{tmp_path}'.*data_batch_1"):
        bnx.data.cifar("cifar10", root=str(tmp_path))
    with pytest.raises(FileNotFoundError, match="cifar-100-python"):
        bnx.data.cifar("cifar100", root=tmp_path)


def test_cifar_download_needs_torchvision(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torchvision", None)       # import torchvision now fails
    with pytest.raises(ImportError, match="pip install torchvision"):
        bnx.data.cifar("cifar10", root=tmp_path, download=True)


def test_bad_cifar_arguments(tmp_path):
    with pytest.raises(ValueError, match="name must be one of"):
        bnx.data.cifar("svhn", root=tmp_path)
    with pytest.raises(TypeError, match="root must be a path"):
        bnx.data.cifar("cifar10", root=3)
    folder = tmp_path / "cifar-10-batches-py"
    write_batches(folder, [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"], "labels", [2] * 6)
    import pickle
    with open(folder / "data_batch_3", "wb") as fh:
        pickle.dump({b"data": b"nonsense"}, fh)
    with pytest.raises(ValueError, match="data_batch_3 is not a CIFAR batch"):
        bnx.data.cifar("cifar10", root=tmp_path)
