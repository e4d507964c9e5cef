"""BN's learned parameters ``γ, β`` (Proposition 1, Appendix C): ``γ`` can be folded into the next layer.

For an activation with ``a(c u) = c a(u)`` for ``c > 0`` (ReLU, leaky-ReLU, absolute value),

    ``a(γ ĥ + β) = γ · a(ĥ + β/γ)``   for ``γ > 0``   (eqs. 27–29),

so unit ``k`` of layer ℓ may keep ``γ = 1`` and ``β/γ`` while column ``k`` of ``W_{ℓ+1}`` is
multiplied by ``γ``. The absolute value is even, ``|γ ĥ + β| = |γ| · |ĥ + β/γ|``, so there any
``γ ≠ 0`` works with the factor ``|γ|``. For ReLU and leaky-ReLU a negative ``γ`` breaks the
identity; the unit can still be rewritten by flipping the sign of its weight row and its mean
(``flip_signs=True``), which is what keeps Proposition 1 true there.
"""
from __future__ import annotations

import copy

import torch

__all__ = ["absorb_gamma", "gamma_identity"]


def gamma_identity(u, gamma: float, beta: float, activation: str = "leaky_relu", alpha: float = 0.1):
    """Both sides of the identity that takes eq. (27) to (28), on pre-activations ``u`` (any shape): ``(a(γu + β), c · a(u + β/γ))``.

    ``c = |γ|`` for the absolute value and ``c = γ`` otherwise (the form the proposition uses).
    The two agree for every ``u`` exactly when the absorption is valid; the chapter plots them.
    """
    from .networks import activate, code_slope

    slope = code_slope(activation, alpha)
    if not (isinstance(gamma, (int, float)) and gamma != 0 and gamma == gamma):
        raise ValueError(f"gamma must be a non-zero number, got {gamma!r}")
    u = torch.as_tensor(u, dtype=torch.float64)
    c = abs(gamma) if activation == "abs" else gamma
    return activate(gamma * u + beta, slope), c * activate(u + beta / gamma, slope)


@torch.no_grad()
def absorb_gamma(net, *, flip_signs: bool = False, layers=None):
    """Proposition 1: a copy of the BN network ``net`` with every ``γ`` folded into the next layer.

    For each absorbed layer ℓ: column ``k`` of ``W_{ℓ+1}`` (or of the read-out after the last
    layer) is multiplied by ``c_k = γ_k`` (``|γ_k|`` for the absolute value), ``β_k → β_k/γ_k``
    and ``γ_k → 1``. The next layer's products ``W_{ℓ+1} z_ℓ`` are unchanged, so are its BN
    statistics, and the copy computes the same function with batch or stored statistics.

    ``layers`` (1-based) defaults to every layer that has a next linear map: ``1..L`` with a
    read-out, ``1..L−1`` without one (the last layer's ``γ`` then stays where it is).
    Refused with ``ValueError``: a network without BN; ``γ = 0``; ``γ < 0`` with ReLU or
    leaky-ReLU (where ``a(γu) ≠ γ a(u)``) unless ``flip_signs=True``, which first rewrites such a
    unit as ``w → −w``, ``μ → −μ``, ``γ → |γ|`` (the same pre-activation; BN's statistics of
    ``−w`` are ``−μ`` and ``σ``); asking for layer ``L`` when there is no read-out.
    """
    if getattr(net, "mode", None) != "bn":
        raise ValueError("absorb_gamma needs a BN network (mode='bn'): plain layers have no γ")
    L = net.depth
    has_next = list(range(1, L + (1 if net.readout is not None else 0)))
    if layers is None:
        layers = has_next
    layers = list(layers)
    for ell in layers:
        if not (isinstance(ell, int) and 1 <= ell <= L):
            raise ValueError(f"layers must hold ints in 1..{L}, got {ell!r}")
        if ell not in has_next:
            raise ValueError(f"layers: layer {ell} has no next layer or read-out to absorb its γ into "
                             "(build the network with out_features=... to absorb the last γ)")
    absorbed = copy.deepcopy(net)
    for ell in layers:
        norm = absorbed.layers[ell - 1].norm
        gamma = norm.gamma.detach().clone()
        if not bool((gamma != 0).all()):
            bad = torch.nonzero(gamma == 0).flatten().tolist()
            raise ValueError(f"γ = 0 in layer {ell}, unit(s) {bad[:10]}: the unit is constant and "
                             "Proposition 1 (γ ≠ 0) does not apply")
        negative = gamma < 0
        if net.activation == "abs":
            factor = gamma.abs()
        else:
            if bool(negative.any()):
                if not flip_signs:
                    bad = torch.nonzero(negative).flatten().tolist()
                    raise ValueError(
                        f"γ < 0 in layer {ell}, unit(s) {bad[:10]}: for {net.activation} a(γu + β) ≠ "
                        "γ·a(u + β/γ) when γ < 0, so γ cannot be absorbed as it stands; pass "
                        "flip_signs=True to rewrite those units with w → −w, μ → −μ, γ → |γ| first")
                weight = absorbed.layers[ell - 1].weight
                weight[negative] = -weight[negative]
                norm.mu[negative] = -norm.mu[negative]
                gamma = gamma.abs()
            factor = gamma
        nxt = absorbed.readout.weight if ell == L else absorbed.layers[ell].weight
        nxt.mul_(factor[None, :].to(nxt))
        norm.beta.copy_(norm.beta / gamma)                 # signed γ for abs; |γ| after a flip
        norm.gamma.fill_(1.0)
    return absorbed
