"""Data sets that need no download: generated 2-D shapes and scikit-learn's bundled digits.

CIFAR-10/100 (Figures 4 and 10) are read from the standard python-pickle batches on disk;
they are downloaded (with torchvision) only when asked to.
"""
from __future__ import annotations

import functools
import os
import pathlib
import pickle

import numpy as np
import torch

__all__ = ["star", "blobs", "moons", "circles", "toy_2d", "digits", "cifar", "TOY_DATASETS", "CIFAR_FILES"]


def _rng(seed):
    return np.random.default_rng(seed)


def _points(n: int, name: str = "n") -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 2:
        raise ValueError(f"{name} must be an int ≥ 2, got {n!r}")
    return int(n)


def _tensor(a, dtype):
    return torch.as_tensor(np.asarray(a), dtype=dtype)


def star(n: int = 50, *, points: int = 5, inner: float = 0.45, noise: float = 0.02, seed: int = 0,
         dtype=torch.float32) -> torch.Tensor:
    """``n`` points spread along the outline of a ``points``-pointed star of outer radius 1.

    Figure 3 of the paper uses 50 samples from a star shape; this is our generated version.
    Returns a tensor of shape ``(n, 2)``.
    """
    n = _points(n)
    angles = np.pi / 2 + np.arange(2 * points) * np.pi / points
    radii = np.where(np.arange(2 * points) % 2 == 0, 1.0, inner)
    verts = np.stack([radii * np.cos(angles), radii * np.sin(angles)], 1)
    edges = np.roll(verts, -1, 0) - verts
    lengths = np.linalg.norm(edges, axis=1)
    rng = _rng(seed)
    # evenly spaced along the perimeter, with a random phase, then a little noise
    s = (rng.uniform() + np.arange(n)) / n * lengths.sum()
    idx = np.searchsorted(np.cumsum(lengths), s, side="right").clip(max=len(edges) - 1)
    frac = (s - np.concatenate([[0], np.cumsum(lengths)[:-1]])[idx]) / lengths[idx]
    x = verts[idx] + frac[:, None] * edges[idx] + noise * rng.standard_normal((n, 2))
    return _tensor(x, dtype)


def blobs(n: int = 60, *, centers: int = 3, spread: float = 0.25, seed: int = 0, labels: bool = False,
          dtype=torch.float32):
    """``n`` points in ``centers`` Gaussian blobs placed on a circle of radius 1 (shape ``(n, 2)``)."""
    n = _points(n)
    rng = _rng(seed)
    y = np.arange(n) % centers
    ang = 2 * np.pi * np.arange(centers) / centers + 0.3
    mu = np.stack([np.cos(ang), np.sin(ang)], 1)
    x = mu[y] + spread * rng.standard_normal((n, 2))
    return (_tensor(x, dtype), torch.as_tensor(y)) if labels else _tensor(x, dtype)


def moons(n: int = 100, *, noise: float = 0.1, seed: int = 0, labels: bool = False, dtype=torch.float32):
    """Two interleaving half circles, centred at the origin (shape ``(n, 2)``; labels 0/1)."""
    from sklearn.datasets import make_moons

    n = _points(n)
    x, y = make_moons(n, noise=noise, random_state=seed)
    x = (x - np.array([0.5, 0.25])) / 1.0
    return (_tensor(x, dtype), torch.as_tensor(y)) if labels else _tensor(x, dtype)


def circles(n: int = 100, *, noise: float = 0.05, factor: float = 0.5, seed: int = 0, labels: bool = False,
            dtype=torch.float32):
    """Two concentric circles (shape ``(n, 2)``; labels 0 outer, 1 inner)."""
    from sklearn.datasets import make_circles

    n = _points(n)
    x, y = make_circles(n, noise=noise, factor=factor, random_state=seed)
    return (_tensor(x, dtype), torch.as_tensor(y)) if labels else _tensor(x, dtype)


TOY_DATASETS = {"star": star, "blobs": blobs, "moons": moons, "circles": circles}


def toy_2d(name: str, n: int = 60, *, seed: int = 0, **kwargs) -> torch.Tensor:
    """A 2-D data set by name: one of ``TOY_DATASETS`` (``"star"``, ``"blobs"``, ``"moons"``, ``"circles"``)."""
    if name not in TOY_DATASETS:
        raise ValueError(f"name must be one of {sorted(TOY_DATASETS)}, got {name!r}")
    return TOY_DATASETS[name](n, seed=seed, **kwargs)


def digits(*, flatten: bool = True, standardize: bool = True, dtype=torch.float32):
    """scikit-learn's 8×8 handwritten digits (1,797 images, 10 classes), bundled: no download.

    Returns ``(X, y)``: ``X`` of shape ``(1797, 64)`` (or ``(1797, 1, 8, 8)`` with
    ``flatten=False``), pixel values standardized to zero mean and unit variance overall.
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    x = d.images.astype(np.float64)
    if standardize:
        x = (x - x.mean()) / x.std()
    x = x.reshape(len(x), -1) if flatten else x[:, None]
    return _tensor(x, dtype), torch.as_tensor(d.target)


# ---------------------------------------------------------------------- CIFAR
# name: (folder inside root, training files, test files, label key, torchvision class)
CIFAR_FILES = {
    "cifar10": ("cifar-10-batches-py", tuple(f"data_batch_{i}" for i in range(1, 6)), ("test_batch",),
                "labels", "CIFAR10"),
    "cifar100": ("cifar-100-python", ("train",), ("test",), "fine_labels", "CIFAR100"),
}


def _read_batch(path: pathlib.Path, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """One pickled batch: ``data`` (n, 3072) uint8 (1024 red, then green, then blue, row-major) and labels."""
    with open(path, "rb") as f:
        d = pickle.load(f, encoding="bytes")
    d = {k.decode() if isinstance(k, bytes) else k: v for k, v in d.items()}
    if "data" not in d or label_key not in d:
        raise ValueError(f"{path} is not a CIFAR batch: it lacks the 'data' or {label_key!r} entry")
    data, labels = np.asarray(d["data"], dtype=np.uint8), np.asarray(d[label_key], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise ValueError(f"{path} holds data of shape {data.shape} and {len(labels)} labels; expected "
                         "(n, 3072) and n labels")
    return data.reshape(-1, 3, 32, 32), labels


def _read(folder: pathlib.Path, files: tuple, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    parts = [_read_batch(folder / f, label_key) for f in files]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


@functools.lru_cache(maxsize=4)
def _training_moments(folder: str, files: tuple, label_key: str, stamp: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of the training images' pixels (float64, shape (3,))."""
    x, _ = _read(pathlib.Path(folder), files, label_key)
    values = np.arange(256, dtype=np.float64)
    mean, std = np.zeros(3), np.zeros(3)
    for c in range(3):                               # from the histogram of 0..255: exact, light on memory
        counts = np.bincount(x[:, c].ravel(), minlength=256).astype(np.float64)
        mean[c] = counts @ values / counts.sum()
        std[c] = np.sqrt(counts @ (values - mean[c]) ** 2 / counts.sum())
    return mean, std


def cifar(name: str = "cifar10", root: str | os.PathLike = "~/data", train: bool = True, download: bool = False,
          *, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """CIFAR-10 or CIFAR-100 read from the python-pickle batches under ``root``.

    Returns ``(X, y)``: ``X`` of shape ``(N, 3, 32, 32)`` (50,000 training or 10,000 test images),
    standardized per channel with the mean and standard deviation of the *training* images
    (also for ``train=False``); ``y`` int64 class labels (CIFAR-100: the 100 fine labels). The
    files are ``root/cifar-10-batches-py/{data_batch_1..5, test_batch}`` or
    ``root/cifar-100-python/{train, test}``. Nothing is downloaded unless ``download=True``,
    which needs torchvision (``pip install torchvision``).
    """
    if name not in CIFAR_FILES:
        raise ValueError(f"name must be one of {sorted(CIFAR_FILES)}, got {name!r}")
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a path, got {type(root).__name__}")
    sub, train_files, test_files, label_key, tv_class = CIFAR_FILES[name]
    base = pathlib.Path(root).expanduser()
    folder = base / sub
    missing = [f for f in train_files + test_files if not (folder / f).is_file()]
    if missing and download:
        try:
            import torchvision
        except ImportError:
            raise ImportError("download=True needs torchvision, which is not installed: "
                              "pip install torchvision (or bnexplained[images])") from None
        getattr(torchvision.datasets, tv_class)(root=str(base), train=True, download=True)
        missing = [f for f in train_files + test_files if not (folder / f).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{name} was not found under root={str(root)!r}: {folder} lacks {', '.join(missing)}. "
            f"Put the python version of the data set there (the folder {sub}/), "
            f"or pass download=True (needs torchvision).")
    stamp = tuple((folder / f).stat().st_mtime_ns for f in train_files)
    mean, std = _training_moments(str(folder), train_files, label_key, stamp)
    x, y = _read(folder, train_files if train else test_files, label_key)
    X = torch.from_numpy(x).to(dtype)
    X -= torch.as_tensor(mean, dtype=dtype).view(1, 3, 1, 1)
    X /= torch.as_tensor(std, dtype=dtype).view(1, 3, 1, 1)
    return X, torch.from_numpy(y)
