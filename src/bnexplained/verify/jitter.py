"""Section 5: BN's statistics are noisy (Proposition 2), noise-controlled BN, and the jitter of Figure 6."""
from __future__ import annotations

import math

import torch
from torch import nn

from ..batch_noise import INPUT_LAWS, projection_moments, sample_inputs, statistic_variances
from ..device import as_tensor, single_thread
from .report import Report

__all__ = ["proposition_2", "noise_controlled_bn", "batch_jitter"]


def _variance_check(samples: torch.Tensor, predicted: torch.Tensor, z: float, rel: float = 0.0):
    """Empirical variance of each column of ``samples`` ``(R, K)``, its standard error, and a pass flag.

    The standard error of a sample variance is ``√((m₄ − v²)/R)`` (``m₄`` the fourth central moment
    of the samples); the check passes when ``|v − predicted| ≤ z · se + rel · predicted``.
    """
    R = samples.shape[0]
    c = samples - samples.mean(0)
    v = c.pow(2).sum(0) / (R - 1)
    se = ((c.pow(4).mean(0) - v ** 2).clamp_min(0) / R).sqrt()
    gap = (v - predicted).abs()
    return v, se, bool((gap <= z * se + rel * predicted).all()), float((gap / predicted).max())


@torch.no_grad()
def proposition_2(w=None, rho=None, batch_size: int = 16, *, distribution: str = "gaussian",
                  fourth_moment=None, batches: int = 20000, seed: int = 0, z: float = 5.0) -> Report:
    """Proposition 2, eq. (13): the variances of ``μ_B`` and ``σ²_B`` over mini-batches, by Monte Carlo.

    Draws ``batches`` independent batches of ``batch_size`` i.i.d. inputs ``z`` (independent
    zero-mean coordinates of variances ``rho``, law ``distribution``) and compares the
    empirical variances of ``μ_B``, of the unbiased ``S²`` (the printed formula) and of BN's
    biased ``σ²_B`` (eq. 3; the formula times ``((n−1)/n)²``) with eq. (13), each within ``z``
    Monte Carlo standard errors. ``w`` ``(K, D)`` and ``rho`` ``(D,)`` default to random ones
    from ``seed``; ``fourth_moment`` ``φ`` ``(K,)`` defaults to the exact value for the law
    (pass a wrong one and the check fails). Also checks the bound ``⟨w², ρ⟩ ≤ ‖w²‖ ‖ρ‖``.
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 2:
        raise ValueError(f"batch_size must be an int ≥ 2 (a batch of one has no spread), got {batch_size!r}")
    if not isinstance(batches, int) or batches < 100:
        raise ValueError(f"batches must be an int ≥ 100 for a Monte Carlo estimate, got {batches!r}")
    if distribution not in INPUT_LAWS:
        raise ValueError(f"distribution must be one of {sorted(INPUT_LAWS)}, got {distribution!r}")
    gen = torch.Generator().manual_seed(int(seed))
    if w is None:
        w = torch.randn(3, 5, generator=gen, dtype=torch.float64)
    if rho is None:
        rho = torch.rand(as_tensor(w).shape[-1], generator=gen, dtype=torch.float64) * 2 + 0.1
    w = as_tensor(w, name="w", dtype=torch.float64)
    w = w[None] if w.ndim == 1 else w
    rho = as_tensor(rho, name="rho", dtype=torch.float64)
    s2, phi = projection_moments(w, rho, distribution)
    if fourth_moment is not None:
        phi = as_tensor(fourth_moment, name="fourth_moment", dtype=torch.float64).expand_as(s2)
    n = batch_size
    var_mu, var_S2 = statistic_variances(s2, phi, n)
    _, var_sig2 = statistic_variances(s2, phi, n, estimator="biased")

    rep = Report("Proposition 2", "var(μ_B) = ⟨w², ρ⟩/|B| and var(σ²_B) = (φ − ⟨w², ρ⟩² (|B|−3)/(|B|−1))/|B|  (eq. 13)",
                 setting=f"{w.shape[0]} units on D = {w.shape[1]} {distribution} inputs, |B| = {n}, "
                         f"{batches} independent batches; tolerance {z:g} Monte Carlo standard errors")
    mus, S2s, sig2s = [], [], []
    for start in range(0, batches, 4096):
        r = min(4096, batches - start)
        U = (sample_inputs(r * n, rho, distribution, generator=gen) @ w.T).reshape(r, n, -1)
        mu = U.mean(1)
        ss = (U - mu[:, None]).pow(2).sum(1)
        mus.append(mu)
        S2s.append(ss / (n - 1))
        sig2s.append(ss / n)
    for name, samples, pred in (("var(μ_B)", torch.cat(mus), var_mu),
                                ("var(S²), unbiased sample variance", torch.cat(S2s), var_S2),
                                ("var(σ²_B), BN's biased eq. (3): ((n−1)/n)² × eq. (13)", torch.cat(sig2s), var_sig2)):
        v, se, ok, worst = _variance_check(samples, pred, z)
        rep.add(f"{name}: max relative gap to the formula", worst, 0.0, None, ok,
                note=f"measured {[float(f'{a:.4g}') for a in v]}, formula {[float(f'{a:.4g}') for a in pred]}")
    printed_on_biased = float((var_sig2 / var_S2).min())
    rep.add("eq. (13) as printed, applied to BN's biased σ²_B: ratio true/printed", printed_on_biased,
            note="the printed formula is for the unbiased S²; BN's σ²_B varies ((n−1)/n)² as much")
    lhs, rhs = (w ** 2) @ rho, (w ** 2).norm(dim=1) * rho.norm()
    rep.add("bound ⟨w², ρ⟩ ≤ ‖w²‖ ‖ρ‖ (Cauchy–Schwarz): max ratio", float((lhs / rhs).max()), 1.0, None,
            bool((lhs <= rhs * (1 + 1e-12)).all()))
    rep.details.update(mu=torch.cat(mus), S2=torch.cat(S2s), sigma2=torch.cat(sig2s), var_mu=var_mu, var_S2=var_S2,
                       var_sigma2=var_sig2, variance=s2, fourth_moment=phi)
    return rep


@torch.no_grad()
def _effective_statistics(module: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Recover the ``(μ̃, σ̃²)`` a normalization layer used from its output (``y = (x − μ̃)/√(σ̃² + ε)``)."""
    y = module(x)
    xc, yc = x - x.mean(0), y - y.mean(0)
    slope = (xc * yc).sum(0) / (xc * xc).sum(0)
    eps = float(getattr(module, "eps", 0.0))
    return x.mean(0) - y.mean(0) / slope, 1 / slope ** 2 - eps


@torch.no_grad()
def noise_controlled_bn(virtual_batch_size: int = 32, batch_size: int = 64, *, module: nn.Module | None = None,
                        units: int = 3, batches: int = 3000, seed: int = 0, z: float = 5.0,
                        bias_allowance: float = 0.02) -> Report:
    """Noise-controlled BN (Section 5): statistics with the variances of a virtual batch, BatchNorm in eval.

    Feeds ``batches`` Gaussian mini-batches of ``batch_size`` (unit variances 1, 4, 9, …) through
    ``module`` (default: a fresh ``NoisyBatchNorm1d(units, virtual_batch_size, affine=False)``) in
    training mode, reads the statistics it normalized with off its output, and compares their
    variances with eq. (13) at ``virtual_batch_size`` (BN's biased ``σ²``) — within ``z`` Monte
    Carlo standard errors plus ``bias_allowance`` (relative; the noise is unbiased in expectation,
    up to clamping a negative per-batch estimate of the extra variance at 0). Then checks that in
    eval mode the module equals an ``nn.BatchNorm1d`` holding the same running statistics.
    """
    from ..noisy_bn import NoisyBatchNorm1d

    m, n = virtual_batch_size, batch_size
    if not isinstance(n, int) or isinstance(n, bool) or n < 3:
        raise ValueError(f"batch_size must be an int ≥ 3, got {n!r}")
    if not isinstance(m, int) or isinstance(m, bool) or not 2 <= m < n:
        raise ValueError(f"virtual_batch_size must be an int with 2 ≤ virtual_batch_size < batch_size = {n}, got {m!r}")
    torch.manual_seed(int(seed))
    if module is None:
        module = NoisyBatchNorm1d(units, m, affine=False, seed=seed).double()
    units = module.num_features
    module.train()
    gen = torch.Generator().manual_seed(int(seed) + 1)
    scale = torch.arange(1, units + 1, dtype=torch.float64)
    mus, s2s = [], []
    with single_thread():                       # thousands of tiny steps: one thread is faster
        for _ in range(batches):
            x = torch.randn(n, units, generator=gen, dtype=torch.float64) * scale
            mu, s2 = _effective_statistics(module, x)
            mus.append(mu)
            s2s.append(s2)
    s2_true = scale ** 2
    var_mu, var_s2 = statistic_variances(s2_true, 3 * s2_true ** 2, m, estimator="biased")
    rep = Report("Noise-controlled BN (Section 5)",
                 f"in training its μ, σ² vary like those of a batch of {m}; in eval mode it is BatchNorm",
                 setting=f"{units} Gaussian units, real batch {n}, virtual batch {m}, {batches} batches; "
                         f"tolerance {z:g} standard errors + {bias_allowance:.0%}")
    base = statistic_variances(s2_true, 3 * s2_true ** 2, n, estimator="biased")
    for i, (name, samples, pred) in enumerate((("var(μ̃)", torch.stack(mus), var_mu),
                                               ("var(σ̃²)", torch.stack(s2s), var_s2))):
        v, se, ok, worst = _variance_check(samples, pred, z, bias_allowance)
        rep.add(f"{name} vs eq. (13) at the virtual batch: max relative gap", worst, 0.0, None, ok,
                note=f"measured / batch-{n} variance = {float((v / base[i]).mean()):.2f} "
                     f"(virtual-batch target {float((pred / base[i]).mean()):.2f})")
    module.eval()
    plain = nn.BatchNorm1d(units, eps=module.eps, affine=getattr(module, "affine", False)).double()
    plain.load_state_dict(module.state_dict(), strict=False)
    plain.eval()
    x = torch.randn(50, units, generator=gen, dtype=torch.float64) * scale
    gap = float((module(x) - plain(x)).abs().max())
    rep.add("eval mode: max |module(x) − BatchNorm1d(x)| with the same running statistics", gap, 0.0, 1e-12, gap <= 1e-12)
    module.train()
    rep.details.update(mu=torch.stack(mus), sigma2=torch.stack(s2s), var_mu=var_mu, var_sigma2=var_s2)
    return rep


@torch.no_grad()
def batch_jitter(net, X, batch_sizes=(16, 256), *, draws: int = 12, extent=None, resolution: int = 100,
                 seed: int = 0) -> Report:
    """Figure 6: the decision boundary jitters less under the statistics of larger mini-batches.

    For each batch size, ``draws`` random mini-batches of ``X`` give the BN classifier ``net``
    their statistics (eq. 3, layer by layer); the spread is the mean share of the grid's area
    whose class flips relative to the whole-data statistics. Holds when the spread strictly
    decreases as the batch grows. ``net``'s stored statistics are the reference (fitted on ``X``
    if unset). ``net`` may also be a supported ``nn.Sequential`` with ``BatchNorm1d`` layers
    (its running statistics are the reference); the report names the BN layers whose statistics
    were drawn.
    """
    from ..jitter import boundary_draws
    from ..networks import SplineMLP
    from ..partition import data_extent

    sizes = sorted(batch_sizes)
    if len(sizes) < 2 or len(set(sizes)) != len(sizes):
        raise ValueError(f"batch_sizes must list at least two distinct sizes, got {batch_sizes!r}")
    if isinstance(net, SplineMLP) and net.mode == "bn" and not net.statistics_set():
        net.fit_statistics(X)
    extent = data_extent(X) if extent is None else extent
    results = [boundary_draws(net, X, b, draws, extent, resolution, seed=seed) for b in sizes]
    spread = [d.mean_flip_share for d in results]
    rep = Report("Figure 6", "larger mini-batches give less variability in the decision boundary",
                 setting=f"{draws} mini-batches per size on a {resolution}×{resolution} grid")
    if not isinstance(net, SplineMLP):
        rep.setting += f"; statistics drawn in: {', '.join(results[0].layers)}"
    for b, s in zip(sizes, spread):
        rep.add(f"mean share of area flipped, batch {b}", s)
    ok = all(a > b for a, b in zip(spread[:-1], spread[1:]))
    rep.add("spread strictly decreases with the batch size", "yes" if ok else "no", "yes", None, ok)
    if spread[-1] > 0 and ok:
        rep.add(f"ratio spread(batch {sizes[0]}) / spread(batch {sizes[-1]})", spread[0] / spread[-1],
                note=f"√({sizes[-1]}/{sizes[0]}) = {math.sqrt(sizes[-1] / sizes[0]):.2f} if the spread scaled like 1/√|B|")
    rep.details["layers"] = list(results[0].layers)
    rep.details.update(batch_sizes=sizes, spread=spread)
    return rep
