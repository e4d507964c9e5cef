"""Chapter 1's recipe: the network of Figure 1."""
from __future__ import annotations

import torch

from ..networks import SplineMLP

__all__ = ["figure1_network"]


def figure1_network(units: int, bn: bool, seed: int, layers: int = 4, *, dtype=torch.float32) -> SplineMLP:
    """Figure 1's network: 2-D input, ``layers`` leaky-ReLU layers of ``units`` units, random weights.

    The same seed gives the same weights with and without BN, so the two rows of the figure
    differ only by the normalization. (BN statistics are left for the caller to fit.)
    """
    mode = "bn" if bn else "random_bias"
    return SplineMLP([2] + [units] * layers, "leaky_relu", mode, seed=seed, dtype=dtype)
