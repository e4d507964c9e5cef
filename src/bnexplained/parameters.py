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
from torch import nn

__all__ = ["absorb_gamma", "absorbable_layers", "gamma_identity"]


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

    ``net`` may also be a supported ``nn.Sequential`` (:func:`~bnexplained.sequential.as_network`):
    the result is then a deep copy of the same ``nn.Sequential`` (same modules, dtype and training
    mode, so it can be evaluated, saved or trained on like the original) in which each absorbed
    ``Linear → BatchNorm1d → activation → Linear`` has ``BatchNorm1d.weight = 1``,
    ``BatchNorm1d.bias = β/γ`` and the next ``Linear``'s column ``k`` times ``c_k``; the flip negates
    the first ``Linear``'s row and bias and the ``running_mean``. Its layers ℓ are the activation
    layers; the default absorbs every one :func:`absorbable_layers` lists (none: an unchanged copy,
    as for a ``SplineMLP`` of one layer without read-out); a model without ``BatchNorm1d`` is refused.
    """
    from .networks import SplineMLP

    if isinstance(net, nn.Module) and not isinstance(net, SplineMLP):
        return _absorb_sequential(net, flip_signs, layers)
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
        even = torch.full_like(gamma, net.activation == "abs", dtype=torch.bool)
        negative, factor = _absorption_factor(gamma, even, flip_signs, f"layer {ell}", net.activation,
                                              "w → −w, μ → −μ")
        if bool(negative.any()):
            weight = absorbed.layers[ell - 1].weight
            weight[negative] = -weight[negative]
            mu64, sigma64 = norm.exact_statistics()               # keep the float64 statistics exact too
            norm.set_statistics(torch.where(negative, -norm.mu, norm.mu), norm.sigma.clone(),
                                exact=(torch.where(negative.to(mu64.device), -mu64, mu64), sigma64))
            gamma = gamma.abs()
        nxt = absorbed.readout.weight if ell == L else absorbed.layers[ell].weight
        nxt.mul_(factor[None, :].to(nxt))
        norm.beta.copy_(norm.beta / gamma)                 # signed γ for abs; |γ| after a flip
        norm.gamma.fill_(1.0)
    return absorbed


def _absorption_factor(gamma, even, flip_signs: bool, where: str, activation: str, rewrite: str) -> tuple:
    """``(flip, c)`` for one layer's ``γ``: the units to rewrite with a sign flip first, and the factor
    ``c`` (``|γ|`` on ``even`` (absolute-value) units, else ``γ`` after the flip); refuses ``γ = 0``, and
    ``γ < 0`` on the other units unless ``flip_signs``."""
    if not bool((gamma != 0).all()):
        bad = torch.nonzero(gamma == 0).flatten().tolist()
        raise ValueError(f"γ = 0 in {where}, unit(s) {bad[:10]}: the unit is constant and "
                         "Proposition 1 (γ ≠ 0) does not apply")
    flip = (gamma < 0) & ~even
    if bool(flip.any()) and not flip_signs:
        bad = torch.nonzero(flip).flatten().tolist()
        raise ValueError(
            f"γ < 0 in {where}, unit(s) {bad[:10]}: for {activation} a(γu + β) ≠ "
            "γ·a(u + β/γ) when γ < 0, so γ cannot be absorbed as it stands; pass "
            f"flip_signs=True to rewrite those units with {rewrite}, γ → |γ| first")
    return flip, gamma.abs()


def _absorption_sites(network) -> dict:
    """``{ℓ: (BNLayer, Activation, next Affine)}`` for every ``Linear → BatchNorm1d → activation → Linear``."""
    from .sequential import Activation, Affine, Normalize

    sites = {}
    for bn in network.bn_layers:
        i = bn.step
        if bn.layer is None or i + 3 >= len(network.steps):
            continue
        act, nxt = network.steps[i + 2], network.steps[i + 3]
        if (isinstance(act, Activation) and isinstance(nxt, Affine) and not isinstance(nxt, Normalize)
                and isinstance(nxt.module, nn.Linear)):
            sites[bn.layer] = (bn, act, nxt)
    return sites


def absorbable_layers(net) -> dict:
    """``{ℓ: description}``: the layers whose ``γ`` :func:`absorb_gamma` can fold into a next linear map.

    A ``SplineMLP`` (BN): ``1..L`` with a read-out, ``1..L−1`` without. A supported ``nn.Sequential``:
    every activation layer ℓ fed by ``Linear → BatchNorm1d`` and followed at once by a ``Linear``
    (the only consumer of its output; a residual skip or anything else in between does not qualify).
    """
    from .networks import SplineMLP

    if isinstance(net, SplineMLP):
        if net.mode != "bn":
            return {}
        last = net.depth + (1 if net.readout is not None else 0)
        return {ell: f"SplineMLP layer {ell}" for ell in range(1, last)}
    network = _structure(net)
    return {ell: f"{bn.names} → {network.names[ell - 1]}" for ell, (bn, _, _) in _absorption_sites(network).items()}


def _structure(net: nn.Module):
    """``net`` as spline steps, for its structure only (the steps point at ``net``'s own modules).

    A ``BatchNorm1d`` without running statistics is read with those of a fixed random batch:
    absorption does not depend on the statistics (Proposition 1 holds for every batch).
    """
    from .sequential import as_network

    if not any(isinstance(m, nn.BatchNorm1d) and m.running_mean is None for m in net.modules()):
        return as_network(net)
    first = next((m for m in net.modules() if isinstance(m, (nn.Linear, nn.BatchNorm1d))), None)
    width = getattr(first, "in_features", getattr(first, "num_features", 1))
    probe = torch.randn(16, width, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    return as_network(net, probe)


def _absorb_sequential(net: nn.Module, flip_signs: bool, layers) -> nn.Module:
    """:func:`absorb_gamma` for a supported ``nn.Sequential``: a deep copy with the γ's folded."""
    out = copy.deepcopy(net)
    network = _structure(out)                  # validates; its steps point at the copy's modules
    sites = _absorption_sites(network)
    if not network.bn_layers:
        raise ValueError("absorb_gamma needs a BN network (a Linear → BatchNorm1d): plain layers have no γ")
    layers = sorted(sites) if layers is None else list(layers)
    for ell in layers:
        if not (isinstance(ell, int) and not isinstance(ell, bool) and 1 <= ell <= network.depth):
            raise ValueError(f"layers must hold ints in 1..{network.depth}, got {ell!r}")
        if ell not in sites:
            raise ValueError(f"layers: layer {ell} ({network.names[ell - 1]}) is not a Linear → BatchNorm1d → "
                             f"activation followed by a Linear to absorb γ into; layers that qualify: "
                             f"{sorted(sites) or 'none'}")
    for ell in layers:
        bn, act, nxt = sites[ell]
        norm, lin = bn.module, network.steps[bn.step].module
        if norm.weight is None:                # affine=False: γ = 1 already
            continue
        gamma = norm.weight.detach().to(torch.float64).clone()
        even = act.slope.cpu() == -1.0                            # |u|: |γu + β| = |γ|·|u + β/γ|
        flip, factor = _absorption_factor(gamma, even, flip_signs, f"layer {ell} ({bn.names})",
                                          network.names[ell - 1], "w → −w, c → −c, μ → −μ")
        if bool(flip.any()):
            with torch.no_grad():
                f = flip.to(lin.weight.device)
                lin.weight[f] = -lin.weight[f]
                if lin.bias is not None:
                    lin.bias[f] = -lin.bias[f]
                if norm.running_mean is not None:
                    norm.running_mean[f.to(norm.running_mean.device)] *= -1
            gamma = torch.where(flip, -gamma, gamma)
        with torch.no_grad():
            nxt.module.weight.mul_(factor[None, :].to(nxt.module.weight))
            norm.bias.copy_((norm.bias.detach().to(torch.float64) / gamma).to(norm.bias))
            norm.weight.fill_(1.0)
    return out
