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


def twin(net):
    """The ``nn.Sequential`` twin of a SplineMLP, built by copying its weights into torch modules
    (``Linear`` without bias, ``BatchNorm1d(eps=1e-30)`` holding μ, σ², γ, β as running statistics, the
    activation module, the read-out): an independent route to the same function, in eval mode."""
    from torch import nn

    acts = {"relu": lambda: nn.ReLU(), "leaky_relu": lambda: nn.LeakyReLU(net.alpha), "abs": lambda: bnx.Abs()}
    mods = []
    for layer in net.layers:
        w = layer.weight.detach()
        lin = nn.Linear(w.shape[1], w.shape[0], bias=net.mode != "bn", dtype=w.dtype)
        with torch.no_grad():
            lin.weight.copy_(w)
            if net.mode != "bn":
                lin.bias.copy_(layer.norm.bias.detach())
        mods.append(lin)
        if net.mode == "bn":
            # eps > 0: torch 2.11 (Colab's) refuses eps=0 even in eval mode; 1e-30 vanishes beside σ²
            bn = nn.BatchNorm1d(w.shape[0], eps=1e-30, dtype=w.dtype)
            with torch.no_grad():
                bn.running_mean.copy_(layer.norm.mu)
                bn.running_var.copy_(layer.norm.sigma ** 2)
                bn.weight.copy_(layer.norm.gamma)
                bn.bias.copy_(layer.norm.beta)
            mods.append(bn)
        mods.append(acts[net.activation]())
    if net.readout is not None:
        out = nn.Linear(net.readout.in_features, net.readout.out_features, dtype=net.readout.weight.dtype)
        out.load_state_dict(net.readout.state_dict())
        mods.append(out)
    return nn.Sequential(*mods).eval()


@st.composite
def twins(draw, d0=2, max_depth=3, max_width=6, readout=None):
    """``(net, twin, X)``: a random float64 SplineMLP with stored statistics fitted on ``X`` (``(40, d0)``)
    when it has BN, and its :func:`twin`."""
    net = draw(networks(d0=d0, max_depth=max_depth, max_width=max_width, readout=readout))
    X = points(40, d0, draw(seeds))
    if net.mode == "bn":
        try:
            net.fit_statistics(X)
        except ValueError:                       # a unit constant on X (σ = 0): no statistics to compare
            from hypothesis import assume
            assume(False)
    return net, twin(net), X
