"""Data sets that need no download: generated 2-D shapes and scikit-learn's bundled digits."""
from __future__ import annotations

import numpy as np
import torch

__all__ = ["star", "blobs", "moons", "circles", "toy_2d", "digits", "TOY_DATASETS"]


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
