"""Noise-controlled batch normalization (Section 5): BN whose statistics jitter like a smaller batch's.

BN's ``μ_B`` and ``σ_B`` vary from mini-batch to mini-batch with the variances of eq. (13),
which shrink as the batch grows. Noise-controlled BN raises them to the variances a smaller
*virtual* batch of ``m`` inputs would give, as the paper does to widen margins:

* Gaussian noise on the centring: ``μ̃ = μ_B + ε``, ``ε ~ N(0, v̂ (1/m − 1/n))``, so that
  ``var(μ̃) = s²/m``  (``v̂`` the unbiased batch variance);
* chi-square multiplicative noise on the scale: ``σ̃² = σ_B² · c``, ``c ~ χ²_d / d``
  (mean 1, variance ``2/d``), with ``d`` chosen so that ``var(σ̃²)`` is eq. (13)'s variance
  at ``m``. ``s⁴`` and the fourth moment ``φ`` are estimated from the batch without bias, so
  both variances are met in expectation for any input law (``n ≥ 4``).

For convolutional maps ``(N, C, H, W)`` a "batch" counts images: the noise is set from the
spread over images of their per-channel means and mean squared deviations (images i.i.d.,
positions pooled), the same rule to first order in ``1/n``.

Three ways to use it: :class:`NoisyBatchNorm1d` / :class:`NoisyBatchNorm2d` (drop-in
``torch.nn`` modules, identical to BatchNorm in eval mode), :func:`noise_controlled` (turns
on the noise in every BN layer of a :class:`~bnexplained.networks.SplineMLP` or any model
built on :class:`~bnexplained.normalization.Normalization`), and :func:`statistic_noise`
(the bare perturbation).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .batch_noise import check_virtual_batch_size, statistic_noise

__all__ = ["StatisticNoise", "noise_controlled", "NoisyBatchNorm1d", "NoisyBatchNorm2d"]


class StatisticNoise:
    """A callable ``(u, mu, sigma) → (μ̃, σ̃)`` with its own seeded generator: :func:`statistic_noise` at ``m``."""

    def __init__(self, virtual_batch_size: int, *, seed: int = 0):
        self.virtual_batch_size = check_virtual_batch_size(virtual_batch_size)
        self.seed = int(seed)
        self.generator = torch.Generator().manual_seed(self.seed)

    def __call__(self, u, mu, sigma):
        return statistic_noise(u, mu, sigma, self.virtual_batch_size, generator=self.generator)

    def __repr__(self) -> str:
        return f"StatisticNoise(virtual_batch_size={self.virtual_batch_size}, seed={self.seed})"


def noise_controlled(model: nn.Module, virtual_batch_size: int | None, *, seed: int = 0) -> nn.Module:
    """Turn on noise-controlled BN (virtual batch ``m``) in every BN layer of ``model``; ``None`` turns it off.

    Works on any model built on :class:`~bnexplained.normalization.Normalization` (``SplineMLP``,
    ``ResNet9``): in training mode with batch statistics, each BN layer then uses
    :func:`statistic_noise`; stored statistics (eval mode, ``fit_statistics``) are untouched.
    Layer ``i`` draws its noise from seed ``seed + i``. Returns ``model`` (changed in place).
    """
    from .normalization import Normalization

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if virtual_batch_size is not None:
        check_virtual_batch_size(virtual_batch_size)
    norms = [mod for mod in model.modules() if isinstance(mod, Normalization) and mod.mode == "bn"]
    if not norms:
        raise ValueError("model has no BN layer (bnx.Normalization with mode='bn') to add noise to")
    for i, norm in enumerate(norms):
        norm.batch_noise = None if virtual_batch_size is None else StatisticNoise(virtual_batch_size, seed=seed + i)
    return model


class _NoisyBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm whose training-mode statistics carry the noise of a virtual batch; eval mode is BatchNorm."""

    def __init__(self, num_features: int, virtual_batch_size: int | None = None, eps: float = 1e-5,
                 momentum: float | None = 0.1, affine: bool = True, track_running_stats: bool = True,
                 device=None, dtype=None, *, seed: int = 0, **kwargs):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, **kwargs)
        self.virtual_batch_size = None if virtual_batch_size is None else check_virtual_batch_size(virtual_batch_size)
        self.noise = None if virtual_batch_size is None else StatisticNoise(virtual_batch_size, seed=seed)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", virtual_batch_size={self.virtual_batch_size}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input_dim(x)
        if self.noise is None or not self.training:
            return super().forward(x)
        if x.shape[0] < 2:
            raise ValueError("x is a batch of one: noise-controlled BN needs at least 2 inputs in training mode")
        dims = [0] + list(range(2, x.ndim))
        mu = x.mean(dims)
        var = x.var(dims, unbiased=False)
        if self.track_running_stats:          # running statistics updated by BatchNorm's own kernel: bit-identical
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                f = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                F.batch_norm(x.detach(), self.running_mean, self.running_var, None, None, True, f,
                             self.eps or 1e-5)  # eps does not enter the running statistics
        mu_t, sigma_t = self.noise(x, mu, var.clamp_min(0).sqrt())
        shape = (1, -1) + (1,) * (x.ndim - 2)
        y = (x - mu_t.view(shape)) / (sigma_t.pow(2) + self.eps).sqrt().view(shape)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y


class NoisyBatchNorm1d(_NoisyBatchNorm):
    """Drop-in ``nn.BatchNorm1d`` with noise-controlled statistics (virtual batch ``virtual_batch_size``).

    Input ``(N, C)`` or ``(N, C, L)``. Training mode: normalizes with ``(μ̃, σ̃)`` of
    :func:`statistic_noise` (needs ``N > virtual_batch_size``) and updates the running statistics
    with the clean batch statistics, as BatchNorm does. Eval mode: exactly ``nn.BatchNorm1d``.
    ``virtual_batch_size=None`` is plain BatchNorm. ``seed`` seeds the noise.
    """

    def _check_input_dim(self, x):
        if x.dim() not in (2, 3):
            raise ValueError(f"x must have shape (N, C) or (N, C, L), got {tuple(x.shape)}")


class NoisyBatchNorm2d(_NoisyBatchNorm):
    """Drop-in ``nn.BatchNorm2d`` with noise-controlled statistics; input ``(N, C, H, W)``.

    A batch counts images (``N > virtual_batch_size``); see :class:`NoisyBatchNorm1d`.
    """

    def _check_input_dim(self, x):
        if x.dim() != 4:
            raise ValueError(f"x must have shape (N, C, H, W), got {tuple(x.shape)}")
