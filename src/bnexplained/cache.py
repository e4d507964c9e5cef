"""Results cached on disk, keyed by their configuration, so re-running the book does not retrain.

The cache directory is ``$BNX_CACHE`` when set (``make`` sets it to ``_build/bnx-cache``, so a
fresh clone starts empty and the nbval pass and the book build share results within one
run), else ``~/.cache/bnexplained``. The key hashes the name, the configuration and the
library version: change either and the result is recomputed.
"""
from __future__ import annotations

import hashlib
import json
import os
import pathlib
from typing import Callable

import torch

__all__ = ["cache_dir", "cached"]

#: the library's version (as in pyproject.toml): part of every cache key, so a new release recomputes
VERSION = "0.1.0"


def cache_dir() -> pathlib.Path:
    """Where cached results live (created on first use)."""
    root = os.environ.get("BNX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "bnexplained")
    path = pathlib.Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _key(name: str, config: dict) -> str:
    try:
        text = json.dumps({"name": name, "config": config, "version": VERSION}, sort_keys=True, default=str)
    except TypeError as err:
        raise TypeError(f"config must be JSON-serializable: {err}") from None
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cached(name: str, config: dict, compute: Callable[[], object], *, refresh: bool = False):
    """Return ``compute()``, loading it from the cache when the same ``(name, config)`` ran before.

    ``compute`` must return something ``torch.save`` can store (tensors, numbers, lists, dicts).
    ``refresh=True`` recomputes and overwrites.
    """
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"name must be a non-empty string without '/', got {name!r}")
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict, got {type(config).__name__}")
    path = cache_dir() / f"{name}-{_key(name, config)}.pt"
    if path.exists() and not refresh:
        return torch.load(path, weights_only=False)
    result = compute()
    tmp = path.with_suffix(".tmp")
    torch.save(result, tmp)
    os.replace(tmp, path)
    return result
