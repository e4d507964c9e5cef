"""Any piecewise-linear network as a list of spline steps (Appendix A, eqs. (15)–(18)).

The exact partition (:mod:`bnexplained.partition.exact`) needs a network as a sequence of affine maps
and activations with two linear pieces meeting at 0. This module reads that sequence off

* a :class:`~bnexplained.networks.SplineMLP` (BN from its stored statistics or from a batch), or
* a ``torch.nn.Sequential`` (nested freely) of ``nn.Linear``, ``nn.BatchNorm1d``, ``nn.ReLU``,
  ``nn.LeakyReLU``, ``nn.PReLU``, :class:`Abs`, ``nn.Identity``/``nn.Dropout``/``nn.Flatten``
  (identities on ``(N, D)`` inputs) and :class:`Residual` blocks ``x ↦ x + block(x)``.

``BatchNorm1d`` is an affine map per unit: ``(u − μ)/√(σ² + ε) · γ + β``. With ``batch=None``
its running statistics are used (the partition a trained model has at test time); with a
mini-batch ``batch`` (shape ``(N, 2)``) every BN layer uses the statistics of that batch as
it flows through the network, eq. (3) — the partition the network has *while training on
that batch*. Nothing is modified: the module's running statistics stay as they are.

Steps, all in float64:

* :class:`Affine` ``z ↦ W z + b``;
* :class:`Activation` ``z ↦ q ⊙ z`` with ``q_k = 1`` where ``z_k ≥ 0`` and ``slope_k`` elsewhere
  (one *layer* ℓ of the paper: its input is the pre-activation ``h_ℓ``);
* :class:`Save` / :class:`Add`: a residual connection (``Add`` adds the state saved by the
  matching ``Save``, optionally through an affine shortcut).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .device import check_points

__all__ = ["Abs", "Residual", "Affine", "Activation", "Save", "Add", "spline_steps", "run_steps"]


class Abs(nn.Module):
    """The absolute-value activation ``a(u) = |u|`` (code ``−1`` on the negative side)."""

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return u.abs()


class Residual(nn.Module):
    """A residual block ``x ↦ shortcut(x) + block(x)``; ``shortcut`` defaults to the identity.

    ``block`` is any supported module (usually an ``nn.Sequential``); ``shortcut`` may be a
    ``Linear`` / ``BatchNorm1d`` stack (a projection), without activations.
    """

    def __init__(self, block: nn.Module, shortcut: nn.Module | None = None):
        super().__init__()
        self.block = block
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = x if self.shortcut is None else self.shortcut(x)
        return skip + self.block(x)


@dataclass
class Affine:
    """``z ↦ z Wᵀ + b`` with ``weight`` ``(D_out, D_in)`` and ``bias`` ``(D_out,)``."""

    weight: torch.Tensor
    bias: torch.Tensor


@dataclass
class Activation:
    """One layer's activation: per-unit negative-side slopes ``(D,)`` (ReLU 0, leaky α, abs −1)."""

    slope: torch.Tensor


@dataclass
class Save:
    """Start of a residual block: remember the current state."""


@dataclass
class Add:
    """End of a residual block: add the saved state, through ``shortcut`` (an :class:`Affine`) if given."""

    shortcut: Affine | None = None


def _affine_of_linear(m: nn.Linear) -> Affine:
    w = m.weight.detach().to(torch.float64)
    b = m.bias.detach().to(torch.float64) if m.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64,
                                                                                 device=w.device)
    return Affine(w, b)


def _affine_of_batchnorm(m: nn.BatchNorm1d, z: torch.Tensor | None) -> Affine:
    if z is not None:
        mean = z.mean(0)
        var = (z - mean).pow(2).mean(0)                    # biased, as BN normalizes with in training
    elif m.running_mean is not None:
        mean = m.running_mean.detach().to(torch.float64)
        var = m.running_var.detach().to(torch.float64)
    else:
        raise ValueError("a BatchNorm1d without running statistics (track_running_stats=False) needs "
                         "a mini-batch: pass batch=... to take its statistics from it")
    n = mean.shape[0]
    gamma = m.weight.detach().to(torch.float64) if m.weight is not None else torch.ones(n, dtype=torch.float64)
    beta = m.bias.detach().to(torch.float64) if m.bias is not None else torch.zeros(n, dtype=torch.float64)
    scale = gamma.to(mean.device) / torch.sqrt(var + m.eps)
    return Affine(torch.diag(scale), beta.to(mean.device) - scale * mean)


def _slope_of(m: nn.Module, width: int, device) -> torch.Tensor | None:
    if isinstance(m, nn.ReLU):
        return torch.zeros(width, dtype=torch.float64, device=device)
    if isinstance(m, nn.LeakyReLU):
        return torch.full((width,), float(m.negative_slope), dtype=torch.float64, device=device)
    if isinstance(m, Abs):
        return torch.full((width,), -1.0, dtype=torch.float64, device=device)
    if isinstance(m, nn.PReLU):
        w = m.weight.detach().to(torch.float64, copy=True).to(device)
        return w.expand(width).clone() if w.numel() == 1 else w
    return None


class _Builder:
    """Walks a module tree, emitting steps; carries the batch's current values when BN uses it."""

    def __init__(self, width: int, z: torch.Tensor | None, device):
        self.steps, self.width, self.z, self.device = [], width, z, device

    def affine(self, step: Affine, where: str) -> None:
        if step.weight.shape[1] != self.width:
            raise ValueError(f"net: {where} expects {step.weight.shape[1]} inputs but receives {self.width}")
        step = Affine(step.weight.to(self.device), step.bias.to(self.device))
        self.steps.append(step)
        self.width = step.weight.shape[0]
        if self.z is not None:
            self.z = self.z @ step.weight.T + step.bias

    def module(self, m: nn.Module, where: str) -> None:
        if isinstance(m, nn.Sequential):
            for i, child in enumerate(m):
                self.module(child, f"{where}[{i}]")
        elif isinstance(m, nn.Linear):
            self.affine(_affine_of_linear(m), f"{where} (Linear)")
        elif isinstance(m, nn.BatchNorm1d):
            if m.num_features != self.width:
                raise ValueError(f"net: {where} (BatchNorm1d) has {m.num_features} features but receives {self.width}")
            self.affine(_affine_of_batchnorm(m, self.z), f"{where} (BatchNorm1d)")
        elif isinstance(m, (nn.Identity, nn.Dropout, nn.Flatten)):
            pass
        elif isinstance(m, Residual):
            width, z = self.width, self.z
            self.steps.append(Save())
            self.module(m.block, f"{where}.block")
            block_width, block_z = self.width, self.z
            shortcut = None
            if m.shortcut is not None:
                inner = _Builder(width, z, self.device)
                inner.module(m.shortcut, f"{where}.shortcut")
                if any(not isinstance(s, Affine) for s in inner.steps):
                    raise TypeError(f"net: {where}.shortcut must be affine (Linear / BatchNorm1d only)")
                shortcut = _compose(inner.steps, width, self.device)
                width, z = inner.width, inner.z
            if width != block_width:
                raise ValueError(f"net: {where} adds a skip of width {width} to a block output of width "
                                 f"{block_width}; give the Residual a Linear shortcut to match them")
            self.steps.append(Add(shortcut))
            if self.z is not None:
                self.z = block_z + z
        else:
            slope = _slope_of(m, self.width, self.device)
            if slope is None:
                raise TypeError(f"net: {where} is a {type(m).__name__}, which the exact partition does not "
                                "support; use Linear, BatchNorm1d, ReLU, LeakyReLU, PReLU, bnx.Abs, "
                                "bnx.Residual and nn.Sequential")
            if slope.shape != (self.width,):
                raise ValueError(f"net: {where} (PReLU) has {slope.numel()} slopes but receives {self.width} units")
            self.steps.append(Activation(slope))
            if self.z is not None:
                self.z = torch.where(self.z >= 0, self.z, slope * self.z)


def _compose(steps: list, width: int, device) -> Affine:
    W = torch.eye(width, dtype=torch.float64, device=device)
    b = torch.zeros(width, dtype=torch.float64, device=device)
    for s in steps:
        W, b = s.weight @ W, s.weight @ b + s.bias
    return Affine(W, b)


def _input_width(m: nn.Module) -> int | None:
    """The in_features of the first Linear met in evaluation order (None if there is none)."""
    if isinstance(m, nn.Linear):
        return m.in_features
    if isinstance(m, nn.Sequential):
        for child in m:
            w = _input_width(child)
            if w is not None:
                return w
    if isinstance(m, Residual):
        return _input_width(m.block)
    if isinstance(m, nn.BatchNorm1d):
        return m.num_features
    return None


def _spline_mlp_steps(net, batch) -> list:
    p = net.layers[0].weight
    if net.mode == "bn" and batch is None and not net.statistics_set():
        raise ValueError("the network's BN statistics are not set: call net.fit_statistics(X) (or "
                         "net.set_statistics(...)), or pass batch=... to use a mini-batch's statistics")
    if batch is not None and net.mode == "bn":
        tr = net.trace(batch.to(dtype=p.dtype, device=p.device), statistics="batch")
        scales, shifts = [s.detach() for s in tr.scales], [t.detach() for t in tr.shifts]
    else:
        scales, shifts = [], []
        for layer in net.layers:
            dummy = torch.zeros(1, layer.norm.num_units, dtype=p.dtype, device=p.device)
            s, t = layer.norm.scale_shift(dummy, "stored")
            scales.append(s.detach())
            shifts.append(t.detach())
    steps = []
    for layer, s, t in zip(net.layers, scales, shifts):
        s, t = s.to(torch.float64), t.to(torch.float64)
        w = layer.weight.detach().to(torch.float64)
        steps.append(Affine(s[:, None] * w, t))
        steps.append(Activation(torch.full((w.shape[0],), float(net.slope), dtype=torch.float64, device=w.device)))
    if net.readout is not None:
        steps.append(_affine_of_linear(net.readout))
    return steps


def spline_steps(net, batch=None) -> list:
    """The steps of ``net`` (a ``SplineMLP`` or a supported ``nn.Module``) in float64, on its device.

    ``batch`` (shape ``(N, D_0)``, ``N ≥ 2``): BN layers use this mini-batch's statistics (eq. 3)
    instead of stored/running ones. Raises ``TypeError`` for an unsupported module and
    ``ValueError`` for mismatched widths or missing statistics.
    """
    from .networks import SplineMLP

    if isinstance(net, SplineMLP):
        if batch is not None:
            batch = check_points(batch, net.widths[0], name="batch", min_count=2)
        return _spline_mlp_steps(net, batch)
    if not isinstance(net, nn.Module):
        raise TypeError(f"net must be a bnx.SplineMLP or a torch.nn.Module, got {type(net).__name__}")
    width = _input_width(net)
    if width is None:
        raise ValueError("net: found no Linear layer to read the input width from")
    params = list(net.parameters()) + list(net.buffers())
    device = params[0].device if params else torch.device("cpu")
    z = None
    if batch is not None:
        z = check_points(batch, width, name="batch", min_count=2).to(dtype=torch.float64, device=device)
    builder = _Builder(width, z, device)
    builder.module(net, "net")
    return builder.steps


def input_width(steps: list) -> int:
    """``D_0``: the number of inputs the first affine step reads."""
    for s in steps:
        if isinstance(s, Affine):
            return s.weight.shape[1]
    raise ValueError("net has no affine step")


@torch.no_grad()
def run_steps(steps: list, x: torch.Tensor) -> tuple[list, torch.Tensor]:
    """Evaluate the steps on points ``x`` ``(N, D_0)``: ``([h_1, ..., h_L], output)`` in float64.

    ``h_ℓ`` (shape ``(N, D_ℓ)``) is the input of the ℓ-th activation, the pre-activation of layer ℓ.
    """
    z = x.to(torch.float64)
    pre, saved = [], []
    for s in steps:
        if isinstance(s, Affine):
            z = z @ s.weight.T + s.bias
        elif isinstance(s, Activation):
            pre.append(z)
            z = torch.where(z >= 0, z, s.slope * z)
        elif isinstance(s, Save):
            saved.append(z)
        else:
            skip = saved.pop()
            if s.shortcut is not None:
                skip = skip @ s.shortcut.weight.T + s.shortcut.bias
            z = z + skip
    return pre, z
