"""Section 4: three initializations of the same random weights, each handed to SGD as a plain network.

The paper compares, for one draw of random weights ``W_1..W_L``:

* ``"zero_bias"``   – layers (1) with ``c_ℓ = 0``;
* ``"random_bias"`` – layers (1) with ``c_ℓ ~ N(0, bias_std²)``;
* ``"bn"``          – layers (2) whose statistics ``μ_ℓ, σ_ℓ`` are computed over the *entire*
  training set (eq. 3 with ``B = X``) and then frozen: BN is an initializer only, and
  training runs with no BN at all.

All three come back as the same kind of network: a plain one (eq. 1) with trainable weights
and biases, built by :meth:`as_plain` from a BN template whose stored statistics were set
(zero bias: ``μ = 0, σ = 1``; random bias: ``μ = −c, σ = 1``; BN: whole-data values). The BN
initialization folds its statistics into the weights and biases,

    ``W_ℓ → diag(1/σ_ℓ) W_ℓ``,   ``c_ℓ = −μ_ℓ / σ_ℓ``,

which is the same function as the frozen BN network (``γ = 1, β = 0``), so the three runs
differ only in where SGD starts. Works for any network built on :class:`~bnexplained.Normalization`
that has ``fit_statistics`` and ``as_plain`` (``SplineMLP``, ``ResNet9``).
"""
from __future__ import annotations

import copy

import torch

from .normalization import Normalization

__all__ = ["INITIALIZATIONS", "initialize", "initializations", "bn_normalizations", "fit_whole_set"]

INITIALIZATIONS = ("zero_bias", "random_bias", "bn")


def bn_normalizations(net) -> list:
    """The network's :class:`Normalization` modules in network order; all must be in mode ``"bn"``."""
    if not isinstance(net, torch.nn.Module):
        raise TypeError(f"net must be a torch.nn.Module, got {type(net).__name__}")
    norms = [m for m in net.modules() if isinstance(m, Normalization)]
    if not norms:
        raise ValueError("net has no bnx.Normalization layers: build it with mode='bn' (e.g. "
                         "bnx.SplineMLP(..., mode='bn') or bnx.ResNet9(..., mode='bn'))")
    plain = [m.mode for m in norms if m.mode != "bn"]
    if plain:
        raise ValueError(f"net must be a BN template (mode='bn') holding the random weights; it has "
                         f"layers in mode {plain[0]!r}")
    for m in norms:
        if not (torch.all(m.gamma == 1) and torch.all(m.beta == 0)):
            raise ValueError("the three initializations assume γ = 1 and β = 0 (the paper's setting); "
                             "this net has other values")
    return norms


def fit_whole_set(net, X, batch_size: int = 256):
    """Whole-training-set statistics (eq. 3 with B = X), streamed in batches when supported."""
    if X is None:
        raise ValueError("X (the training inputs) is required for the 'bn' initialization")
    if isinstance(X, torch.Tensor) and not torch.isfinite(X).all():
        raise ValueError("X contains NaN or infinite values")
    try:
        return net.fit_statistics(X, batch_size=batch_size)
    except TypeError:                                  # SplineMLP fits in one pass
        return net.fit_statistics(X)


@torch.no_grad()
def initialize(net, init: str, X=None, *, bias_std: float = 1.0, seed: int = 0, batch_size: int = 256):
    """One of ``INITIALIZATIONS`` of ``net``'s random weights, as a new plain network (eq. 1).

    ``net`` is a BN template (mode ``"bn"``) holding the random weights; it is not modified.
    ``"bn"`` needs the training inputs ``X`` (shape ``(N, D_0)`` or ``(N, C, H, W)``): its
    statistics are those of the whole set, frozen and folded (``W → W/σ``, ``c = −μ/σ``).
    ``"random_bias"`` draws ``c_ℓ ~ N(0, bias_std²)`` from ``seed`` on the CPU, layer by layer.
    Returns the plain network ``as_plain()`` builds (trainable weights and biases).
    """
    if init not in INITIALIZATIONS:
        raise ValueError(f"init must be one of {INITIALIZATIONS}, got {init!r}")
    if not (isinstance(bias_std, (int, float)) and bias_std > 0):
        raise ValueError(f"bias_std must be a positive number, got {bias_std!r}")
    template = copy.deepcopy(net)
    norms = bn_normalizations(template)
    if init == "bn":
        fit_whole_set(template, X, batch_size)
    else:
        gen = torch.Generator().manual_seed(int(seed))
        for m in norms:
            mu = torch.zeros(m.num_units, dtype=torch.float64)
            if init == "random_bias":
                mu = -bias_std * torch.randn(m.num_units, generator=gen, dtype=torch.float64)
            m.set_statistics(mu=mu, sigma=torch.ones(m.num_units))     # h = W z − μ: bias c = −μ
    plain = template.as_plain()
    plain.train()
    return plain


def initializations(net, X, *, bias_std: float = 1.0, seed: int = 0, batch_size: int = 256) -> dict:
    """All three initializations of the same random weights: ``{init: plain network}``."""
    return {init: initialize(net, init, X, bias_std=bias_std, seed=seed, batch_size=batch_size)
            for init in INITIALIZATIONS}
