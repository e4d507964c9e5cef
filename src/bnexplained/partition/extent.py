"""The extent of a 2-D picture or partition: one type, normalized once at the public boundary."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

__all__ = ["Extent", "as_extent", "data_extent"]


class Extent(NamedTuple):
    """The rectangle ``[x_min, x_max] × [y_min, y_max]`` of the input plane (a plain tuple too)."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float


#: the largest coordinate an extent may reach: beyond it squared distances overflow float64's range
#: (exact partitions of ``1e300`` returned wrong counts) and rounding swamps the geometry
MAX_COORDINATE = 1e15


def as_extent(extent) -> Extent:
    """The one normalization of an extent: a half-width ``r`` (the square [-r, r]²) or
    ``(x_min, x_max, y_min, y_max)``, returned as an :class:`Extent`; bad values raise
    (``ValueError``: not finite, empty, or a coordinate beyond ``MAX_COORDINATE`` = 1e15)."""
    if isinstance(extent, Extent):
        return extent
    if isinstance(extent, (int, float, np.integer, np.floating)) and not isinstance(extent, (bool, np.bool_)):
        if not (np.isfinite(extent) and 0 < extent <= MAX_COORDINATE):
            raise ValueError(f"extent must be a positive finite half-width ≤ {MAX_COORDINATE:g}, got {extent!r}")
        return Extent(-float(extent), float(extent), -float(extent), float(extent))
    try:
        if isinstance(extent, (str, bytes)):
            raise TypeError
        e = tuple(float(v) for v in extent)
    except (TypeError, ValueError):
        raise TypeError("extent must be a number r (the square [-r, r]^2) or (x_min, x_max, y_min, y_max)")
    if len(e) != 4 or not (e[0] < e[1] and e[2] < e[3]) or not np.all(np.isfinite(e)):
        raise ValueError(f"extent must be (x_min, x_max, y_min, y_max) with x_min < x_max and "
                         f"y_min < y_max, got {extent!r}")
    if max(abs(v) for v in e) > MAX_COORDINATE:
        raise ValueError(f"extent must stay within ±{MAX_COORDINATE:g} (float64 geometry overflows beyond), "
                         f"got {extent!r}")
    return Extent(*e)


def data_extent(X, margin: float = 0.5) -> Extent:
    """A square extent around 2-D data, ``margin`` times its half-size larger on every side."""
    X = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X, dtype=float)
    lo, hi = X.min(0), X.max(0)
    centre, half = (lo + hi) / 2, max((hi - lo).max() / 2, 1e-6) * (1 + margin)
    return Extent(centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)
