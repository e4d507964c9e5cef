"""Where tensors live: CUDA when present, else the CPU, with the same results within tolerance."""
from __future__ import annotations

import contextlib
import functools

import numpy as np
import torch

__all__ = ["device", "as_tensor", "check_points", "seed_everything", "single_thread"]


def device() -> torch.device:
    """The device the book computes on: ``cuda`` when available, else ``cpu``."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@contextlib.contextmanager
def _one_thread(enabled: bool):
    before = torch.get_num_threads()
    if not enabled or before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def single_thread(fn=None, *, enabled: bool = True):
    """Run torch's CPU work on one intra-op thread, then restore the thread count.

    Use it as a decorator (``@single_thread``) or a context manager (``with single_thread():``;
    ``enabled=False`` makes it do nothing, e.g. on a GPU). The book's tensors are small (2-D
    geometry, tiny networks): a few hundred entries per operation gain nothing from OpenMP, and
    on a busy 2-core machine two threads made them 5–50× slower. Results do not depend on it.
    """
    if fn is None:
        return _one_thread(enabled)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _one_thread(enabled):
            return fn(*args, **kwargs)
    return wrapper


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's, NumPy's and PyTorch's generators; return a CPU ``torch.Generator``.

    Random weights are always drawn on the CPU from this generator and then moved, so a
    seed gives the same network on every device.
    """
    import random

    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))
    return torch.Generator().manual_seed(int(seed))


def as_tensor(x, *, name: str = "x", dtype=None, device=None) -> torch.Tensor:
    """Turn an array-like into a tensor (no copy when it already is one), or raise ``TypeError``."""
    if isinstance(x, torch.Tensor):
        t = x
    elif isinstance(x, (np.ndarray, list, tuple)) or (np.isscalar(x) and not isinstance(x, (str, bytes))):
        a = np.asarray(x)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got an array of dtype {a.dtype}")
        t = torch.as_tensor(a)
    else:
        raise TypeError(f"{name} must be a torch.Tensor or a NumPy array, got {type(x).__name__}")
    if not (t.is_floating_point() or t.dtype in (torch.int32, torch.int64, torch.int16, torch.uint8)):
        raise TypeError(f"{name} must hold real numbers, got dtype {t.dtype}")
    return t.to(dtype=dtype or (t.dtype if t.is_floating_point() else torch.get_default_dtype()),
                device=device or t.device)


def check_points(x, dim: int | None, *, name: str = "x", min_count: int = 1) -> torch.Tensor:
    """Validate a batch of points of shape ``(N, dim)``: real, finite, at least ``min_count`` rows."""
    t = as_tensor(x, name=name)
    if t.ndim != 2:
        raise ValueError(f"{name} must have shape (N, D), got shape {tuple(t.shape)}")
    if dim is not None and t.shape[1] != dim:
        raise ValueError(f"{name} must have {dim} columns (the input dimension), got shape {tuple(t.shape)}")
    if t.shape[0] < min_count:
        raise ValueError(f"{name} must hold at least {min_count} point(s), got {t.shape[0]}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return t
