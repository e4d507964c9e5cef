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

from .batch_noise import _eq13

__all__ = ["statistic_noise", "StatisticNoise", "noise_controlled", "NoisyBatchNorm1d", "NoisyBatchNorm2d"]


def _virtual(m) -> int:
    if not isinstance(m, int) or isinstance(m, bool) or m < 2:
        raise ValueError(f"virtual_batch_size must be an int ≥ 2 (or None for plain BN), got {m!r}")
    return m


def _unbiased_moments(m2: torch.Tensor, m4: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Unbiased estimates of ``(φ, s⁴)`` from the batch's central moments ``m2, m4`` (i.i.d. inputs, ``n ≥ 4``).

    Inverts ``E[m4] = a φ + b s⁴``, ``E[m2²] = c φ + d s⁴`` (the classical moments of sample
    moments); below ``n = 4`` the plug-in values ``(m4, m2²)`` are returned.
    """
    if n < 4:
        return m4, m2 ** 2
    a, b = (n - 1) * (n * n - 3 * n + 3) / n ** 3, 3 * (n - 1) * (2 * n - 3) / n ** 3
    c, d = (n - 1) ** 2 / n ** 3, (n - 1) * (n * n - 2 * n + 3) / n ** 3
    det = a * d - b * c
    m22 = m2 ** 2
    return (d * m4 - b * m22) / det, (a * m22 - c * m4) / det


@torch.no_grad()
def _noise_variances(u: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor, n: int, m: int):
    """Per-unit ``(var of ε, var of the factor c)`` that raise batch-``n`` variances to batch ``m``'s."""
    u, mu, sigma = u.double(), mu.double(), sigma.double()
    shape = (1, -1) + (1,) * (u.ndim - 2)
    s2 = sigma ** 2
    if u.ndim == 2:                                     # i.i.d. inputs: eq. (13), unbiased in expectation
        m2, m4 = s2, (u - mu.view(shape)).pow(4).mean(0)
        phi, v2 = _unbiased_moments(m2, m4, n)
        add_mu = s2 * n / (n - 1) * (1 / m - 1 / n)
        add_s2 = _eq13(phi, v2, m, True) - _eq13(phi, v2, n, True)
    else:                                               # i.i.d. images, positions pooled
        dims = tuple(range(2, u.ndim))
        a = u.mean(dims)                                # (n, C) per-image channel means
        b = (u - mu.view(shape)).pow(2).mean(dims)      # (n, C) per-image mean squared deviations
        add_mu = a.var(0) * (1 / m - 1 / n)
        add_s2 = b.var(0) * (1 / m - 1 / n)
    return add_mu.clamp_min(0), (add_s2.clamp_min(0) / s2 ** 2)


def statistic_noise(u: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor, virtual_batch_size: int, *,
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Noise-controlled BN's statistics ``(μ̃, σ̃)`` for one mini-batch (Section 5, eq. 13).

    ``u`` is the batch of pre-normalization values, shape ``(n, C)`` or ``(n, C, *S)``; ``mu``,
    ``sigma`` its batch statistics (eq. 3), shape ``(C,)``. Returns ``μ̃ = μ + ε`` (Gaussian)
    and ``σ̃ = σ √c`` (``c ~ χ²_d/d``) whose variances over mini-batches are those of a batch
    of ``virtual_batch_size`` inputs. Gradients flow through ``mu`` and ``sigma`` as in BN; the
    noise itself is drawn on the CPU from ``generator`` (the same on every device).
    Raises ``ValueError`` unless ``2 ≤ virtual_batch_size < n``.
    """
    m = _virtual(virtual_batch_size)
    if not isinstance(u, torch.Tensor) or u.ndim < 2:
        raise ValueError(f"u must be a tensor of shape (n, C) or (n, C, ...), got {getattr(u, 'shape', type(u))}")
    n = u.shape[0]
    if n < 2:
        raise ValueError("u is a batch of one: BN's statistics need at least 2 inputs (σ would be 0)")
    if m >= n:
        raise ValueError(f"virtual_batch_size must be smaller than the real batch size: got virtual_batch_size={m} "
                         f"for a batch of {n} inputs (noise can only raise the statistics' variances)")
    if mu.shape != (u.shape[1],) or sigma.shape != (u.shape[1],):
        raise ValueError(f"mu and sigma must have shape ({u.shape[1]},), got {tuple(mu.shape)} and {tuple(sigma.shape)}")
    add_mu, kappa = _noise_variances(u.detach(), mu.detach(), sigma.detach(), n, m)
    xi = torch.randn(add_mu.shape, generator=generator, dtype=torch.float64)
    kappa = kappa.cpu().clamp_min(1e-12)                 # c = Gamma(1/κ, rate 1/κ) = χ²_d / d with d = 2/κ
    c = torch._standard_gamma(1 / kappa, generator=generator) * kappa
    eps = (add_mu.sqrt().cpu() * xi).to(mu)
    return mu + eps, sigma * c.sqrt().to(sigma)


class StatisticNoise:
    """A callable ``(u, mu, sigma) → (μ̃, σ̃)`` with its own seeded generator: :func:`statistic_noise` at ``m``."""

    def __init__(self, virtual_batch_size: int, *, seed: int = 0):
        self.virtual_batch_size = _virtual(virtual_batch_size)
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
        _virtual(virtual_batch_size)
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
        self.virtual_batch_size = None if virtual_batch_size is None else _virtual(virtual_batch_size)
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
