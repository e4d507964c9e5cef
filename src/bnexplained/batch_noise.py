"""BN's statistics as random estimates: Proposition 2 (eq. 13) and mini-batch samplers (Figure 7).

During training a BN layer centres and scales with the mean ``μ_B`` and standard deviation
``σ_B`` of the current mini-batch (eq. 3). Over random mini-batches these are random
variables. For a unit ``u = ⟨w, z⟩`` with variance ``s² = ⟨w², ρ⟩`` (independent inputs of
variances ``ρ``) and fourth central moment ``φ``, a batch of ``n`` i.i.d. inputs gives

* ``var(μ_B) = s² / n``;
* ``var(S²) = (φ − s⁴ (n − 3)/(n − 1)) / n`` for the *unbiased* sample variance ``S²``
  (the paper's eq. 13), and ``((n − 1)/n)² var(S²)`` for BN's biased ``σ_B²`` (eq. 3).

This module computes those variances, the moments ``s², φ`` for a few input laws, and
samples the empirical distributions of ``μ_B, σ_B`` over mini-batches of a training set.
"""
from __future__ import annotations

import math

import torch

from .device import as_tensor, check_points

__all__ = ["INPUT_LAWS", "ESTIMATORS", "projection_moments", "statistic_variances", "statistic_noise", "sample_inputs",
           "sample_batch_statistics", "batch_statistic_laws"]

#: excess kurtosis ``μ₄/ρ² − 3`` of each zero-mean input law (Gaussian 0, uniform −6/5, Laplace 3)
INPUT_LAWS = {"gaussian": 0.0, "uniform": -1.2, "laplace": 3.0}
#: ``"unbiased"``: ``S² = Σ(u − ū)²/(n − 1)`` (eq. 13 as printed); ``"biased"``: BN's ``σ_B²`` (eq. 3)
ESTIMATORS = ("unbiased", "biased")


def _batch_size(n, name: str = "batch_size", low: int = 2) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < low:
        raise ValueError(f"{name} must be an int ≥ {low}, got {n!r}")
    return n


def _law(distribution: str) -> float:
    if distribution not in INPUT_LAWS:
        raise ValueError(f"distribution must be one of {sorted(INPUT_LAWS)}, got {distribution!r}")
    return INPUT_LAWS[distribution]


def projection_moments(w, rho, distribution: str = "gaussian") -> tuple[torch.Tensor, torch.Tensor]:
    """``(s², φ)`` of ``u_k = ⟨w_k, z⟩`` when ``z`` has independent zero-mean coordinates of variances ``ρ``.

    ``s²_k = ⟨w_k², ρ⟩`` (Proposition 2's numerator) and, adding fourth cumulants,
    ``φ_k = 3 s⁴_k + κ Σ_d w_{k,d}⁴ ρ_d²`` with ``κ`` the excess kurtosis of ``distribution``
    (see ``INPUT_LAWS``). ``w`` has shape ``(K, D)`` (or ``(D,)``), ``rho`` shape ``(D,)``;
    returns two tensors of shape ``(K,)`` in float64.
    """
    kurt = _law(distribution)
    w = as_tensor(w, name="w", dtype=torch.float64)
    rho = as_tensor(rho, name="rho", dtype=torch.float64)
    if w.ndim == 1:
        w = w[None]
    if w.ndim != 2 or rho.ndim != 1 or rho.shape[0] != w.shape[1]:
        raise ValueError(f"w must have shape (K, D) and rho shape (D,), got {tuple(w.shape)} and {tuple(rho.shape)}")
    if not (torch.isfinite(w).all() and torch.isfinite(rho).all()):
        raise ValueError("w and rho must be finite")
    if not bool((rho >= 0).all()):
        raise ValueError("rho holds variances: every entry must be ≥ 0")
    s2 = (w ** 2) @ rho
    if not bool((s2 > 0).all()):
        raise ValueError("some unit has ⟨w², ρ⟩ = 0 (a zero weight row, or no input variance along it): "
                         "its statistics do not vary and σ = 0")
    phi = 3 * s2 ** 2 + kurt * (w ** 4) @ (rho ** 2)
    return s2, phi


def _eq13(phi, s4, n: int, biased: bool):
    """Eq. (13) on raw tensors: ``(φ − s⁴ (n−3)/(n−1))/n``, times ``((n−1)/n)²`` when ``biased``."""
    v = (phi - s4 * (n - 3) / (n - 1)) / n
    return v * ((n - 1) / n) ** 2 if biased else v


def check_virtual_batch_size(m) -> int:
    """``m`` validated as a virtual batch size (an int ≥ 2)."""
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
    m = check_virtual_batch_size(virtual_batch_size)
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


def statistic_variances(variance, fourth_moment, batch_size: int, *,
                        estimator: str = "unbiased") -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. (13): ``(var(μ_B), var(σ²_B))`` for a batch of ``batch_size`` i.i.d. inputs.

    ``variance`` is ``s²`` and ``fourth_moment`` is ``φ`` of the unit (tensors of one shape,
    e.g. ``(K,)``). ``var(μ_B) = s²/n``; ``var(S²) = (φ − s⁴ (n−3)/(n−1))/n`` for the unbiased
    sample variance (``estimator="unbiased"``, the paper's formula), times ``((n−1)/n)²`` for
    BN's biased ``σ²_B`` of eq. (3) (``estimator="biased"``). Needs ``n ≥ 2`` and ``φ ≥ s⁴``.
    """
    n = _batch_size(batch_size)
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    s2 = as_tensor(variance, name="variance", dtype=torch.float64)
    phi = as_tensor(fourth_moment, name="fourth_moment", dtype=torch.float64)
    if s2.shape != phi.shape:
        raise ValueError(f"variance and fourth_moment must have one shape, got {tuple(s2.shape)} and {tuple(phi.shape)}")
    if not (torch.isfinite(s2).all() and torch.isfinite(phi).all()):
        raise ValueError("variance and fourth_moment must be finite")
    if not bool((s2 > 0).all()):
        raise ValueError("variance must be > 0")
    if not bool((phi >= s2 ** 2 * (1 - 1e-9)).all()):
        raise ValueError("fourth_moment must be ≥ variance² (φ ≥ s⁴ holds for every distribution)")
    return s2 / n, _eq13(phi, s2 ** 2, n, estimator == "biased")


def sample_inputs(n: int, rho, distribution: str = "gaussian", *, generator: torch.Generator | None = None,
                  dtype=torch.float64) -> torch.Tensor:
    """``n`` i.i.d. layer inputs ``z`` with independent zero-mean coordinates of variances ``rho``.

    Each coordinate follows ``distribution`` (``"gaussian"``, ``"uniform"``, ``"laplace"``),
    scaled to variance ``rho_d``: Proposition 2's setting. Returns shape ``(n, D)``.
    """
    _law(distribution)
    n = _batch_size(n, "n", 1)
    rho = as_tensor(rho, name="rho", dtype=torch.float64)
    if rho.ndim != 1 or not bool((rho >= 0).all()):
        raise ValueError("rho must be a 1-D tensor of variances ≥ 0")
    shape = (n, rho.shape[0])
    if distribution == "gaussian":
        e = torch.randn(shape, generator=generator, dtype=torch.float64)
    elif distribution == "uniform":
        e = (torch.rand(shape, generator=generator, dtype=torch.float64) * 2 - 1) * math.sqrt(3)
    else:                                                   # Laplace of variance 1: scale 1/√2
        u = torch.rand(shape, generator=generator, dtype=torch.float64).clamp(1e-300, 1 - 1e-16) - 0.5
        e = -torch.sign(u) * torch.log1p(-2 * u.abs()) / math.sqrt(2)
    return (e * rho.sqrt()).to(dtype)


@torch.no_grad()
def sample_batch_statistics(U, batch_size: int, batches: int, *, virtual_batch_size: int | None = None,
                            seed: int = 0, chunk: int = 2048) -> tuple[torch.Tensor, torch.Tensor]:
    """The empirical distribution of ``(μ_B, σ_B)`` (eq. 3) over random mini-batches of a training set.

    ``U`` has shape ``(N, K)``: the values ``⟨w_k, z⟩`` of ``K`` units on a training set of ``N``
    points. Each of ``batches`` mini-batches is ``batch_size`` distinct points drawn uniformly
    (one step of a shuffled epoch); batches are independent. With ``virtual_batch_size=m`` the
    statistics are noise-controlled BN's (:func:`statistic_noise`).
    Returns ``(mu, sigma)``, each of shape ``(batches, K)``, with BN's biased ``σ_B``.
    Deterministic for a ``seed``.
    """
    U = check_points(U, None, name="U", min_count=2)
    n = _batch_size(batch_size)
    if n > U.shape[0]:
        raise ValueError(f"batch_size must be at most the training-set size {U.shape[0]}, got {n}")
    batches = _batch_size(batches, "batches", 1)
    gen = torch.Generator().manual_seed(int(seed))
    noise_gen = torch.Generator().manual_seed(int(seed) + 1)
    mus, sigmas = [], []
    for start in range(0, batches, chunk):
        r = min(chunk, batches - start)
        idx = torch.rand(r, U.shape[0], generator=gen).argsort(1)[:, :n].to(U.device)
        B = U[idx]                                          # (r, n, K)
        mu = B.mean(1)
        sigma = (B - mu[:, None]).pow(2).mean(1).sqrt()
        if virtual_batch_size is not None:                  # every (batch, unit) pair as one unit
            u = B.permute(1, 0, 2).reshape(n, -1)
            mu, sigma = statistic_noise(u, mu.reshape(-1), sigma.reshape(-1), virtual_batch_size,
                                        generator=noise_gen)
            mu, sigma = mu.reshape(r, -1), sigma.reshape(r, -1)
        mus.append(mu)
        sigmas.append(sigma)
    return torch.cat(mus), torch.cat(sigmas)


def batch_statistic_laws(variance, fourth_moment, batch_size: int, *, mean=0.0) -> dict:
    """Gaussian approximations of the laws of ``μ_B`` and BN's ``σ_B`` from eq. (13).

    ``μ_B ≈ N(mean, s²/n)``; ``σ_B²`` has mean ``(n−1)/n · s²`` and the biased variance of
    eq. (13), and the delta method gives ``σ_B ≈ N(√E[σ²_B], var(σ²_B) / (4 E[σ²_B]))``.
    Returns ``{"mu": (loc, scale), "sigma": (loc, scale)}`` with tensors shaped like ``variance``.
    """
    n = _batch_size(batch_size)
    var_mu, var_s2 = statistic_variances(variance, fourth_moment, n, estimator="biased")
    s2 = as_tensor(variance, name="variance", dtype=torch.float64)
    mean = torch.as_tensor(mean, dtype=torch.float64).expand_as(s2)
    e_s2 = s2 * (n - 1) / n
    return {"mu": (mean.clone(), var_mu.sqrt()), "sigma": (e_s2.sqrt(), (var_s2 / (4 * e_s2)).sqrt())}
