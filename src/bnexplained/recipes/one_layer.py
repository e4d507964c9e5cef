"""Chapters 2 and 3's recipe: the one BN layer their dashboards and exercises use."""
from __future__ import annotations

import torch

from ..networks import SplineMLP

__all__ = ["one_layer_network"]


def one_layer_network(units: int = 3, seed: int = 0) -> SplineMLP:
    """The chapter's layer: 2-D input, ``units`` leaky-ReLU BN units, random weights (float64)."""
    return SplineMLP([2, units], "leaky_relu", "bn", seed=seed, dtype=torch.float64)
