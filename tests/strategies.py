"""Hypothesis strategies for random networks and data, shared by the test modules."""
import torch
from hypothesis import strategies as st

import bnexplained as bnx

activations = st.sampled_from(bnx.ACTIVATIONS)
modes = st.sampled_from(bnx.MODES)
seeds = st.integers(0, 2**16)


@st.composite
def networks(draw, d0=None, max_depth=3, max_width=7, modes=modes, activations=activations, readout=None):
    """A random float64 SplineMLP (and its description)."""
    d0 = draw(st.integers(1, 4)) if d0 is None else d0
    depth = draw(st.integers(1, max_depth))
    widths = [d0] + [draw(st.integers(1, max_width)) for _ in range(depth)]
    act = draw(activations)
    mode = draw(modes)
    out = draw(st.sampled_from([None, 1, 3])) if readout is None else readout
    alpha = draw(st.sampled_from([0.01, 0.1, 0.3]))
    return bnx.SplineMLP(widths, act, mode, alpha=alpha, out_features=out, seed=draw(seeds), dtype=torch.float64)


def points(n, d, seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=torch.float64) * scale
