"""One layer (Proposition 1, Section 2): γ is absorbable, μ minimizes the TLS distance, the arrangement is central."""
from __future__ import annotations

import copy

import torch
from torch import nn

from ..device import check_points
from ..geometry import (check_weights, arrangement_regions, hyperplane_distance, max_regions, tls_distance,
                        tls_fitting_error)
from ..networks import SplineMLP
from ..parameters import absorb_gamma, absorbable_layers
from ..sequential import as_network
from .report import Report

__all__ = ["proposition_1", "theorem_1", "corollary_2"]


def _float64_bn(net, what: str):
    if getattr(net, "mode", None) != "bn":
        raise ValueError(f"{what} is about BN layers: net must have mode='bn', got {getattr(net, 'mode', None)!r}")
    return copy.deepcopy(net).to(torch.float64)


def _data(net, X, name="X", min_count=2):
    X = check_points(X, net.widths[0], name=name, min_count=min_count)
    p = net.layers[0].weight
    return X.to(dtype=p.dtype, device=p.device)


_EVEN_NOTE = "an abs unit may flip its code's sign (|−h| = |h|: the same zero set, the same regions)"


def _regions_unchanged(before: torch.Tensor, after: torch.Tensor, even: torch.Tensor) -> float:
    """Fraction of inputs whose region is unchanged: every unit's state ``h ≥ 0`` is the same, except
    that a unit with an even activation (abs, slope −1) may flip on every input at once: absorbing a
    negative ``γ`` as ``|γ|`` turns ``h`` into ``−h``, whose zero set (the unit's boundary) is the same."""
    flipped = even & ((before != after).float().mean(0) > 0.5)
    return (before == (after ^ flipped)).all(1).float().mean().item()


@torch.no_grad()
def proposition_1(net, X, *, flip_signs: bool = False, absorb=absorb_gamma) -> Report:
    """Proposition 1 / Appendix C: folding every ``γ`` into the next layer leaves the network's outputs equal.

    Compares ``net`` with ``absorb(net)`` (default :func:`~bnexplained.parameters.absorb_gamma`)
    in float64 on the points ``X`` (shape ``(N, D_0)``, ``N ≥ 2``): outputs with batch statistics,
    outputs with stored statistics (fitted on ``X`` when none are stored), every unit's sign, and
    ``γ = 1`` afterwards. ``absorb`` is a parameter so a test can hand in a broken absorption.

    ``net`` may also be a supported ``nn.Sequential`` with ``Linear → BatchNorm1d → activation →
    Linear`` layers (:func:`~bnexplained.parameters.absorbable_layers`; the report names them): the
    same checks, run through :func:`~bnexplained.sequential.as_network` in float64, with the
    running statistics in place of stored ones (skipped, with a note, when a BN keeps none).
    """
    if isinstance(net, nn.Module) and not isinstance(net, SplineMLP):
        return _proposition_1_sequential(net, X, flip_signs, absorb)
    net = _float64_bn(net, "proposition_1")
    X = _data(net, X)
    rep = Report("Proposition 1", "γ ≠ 0 can be absorbed into the next layer's weights (and β into β/γ)")
    if not net.statistics_set():
        net.fit_statistics(X)
        rep.setting = "stored statistics fitted on the given points; "
    gammas = torch.cat([lay.norm.gamma for lay in net.layers])
    rep.setting += (f"{net.activation}, widths {net.widths}, γ in [{gammas.min().item():.3g}, "
                    f"{gammas.max().item():.3g}], {int((gammas < 0).sum())} negative")
    out = absorb(net, flip_signs=flip_signs)
    tol = 1e-12
    for stats in ("batch", "stored"):
        f, g = net(X, statistics=stats), out(X, statistics=stats)
        err = ((f - g).abs().max() / f.abs().max().clamp_min(1.0)).item()
        rep.add(f"max |f(x) − f_absorbed(x)| / max(1, |f|), {stats} statistics", err, 0.0, tol, err <= tol)
        rep.details[f"error_{stats}"] = err
    even = torch.full((sum(net.widths[1:]),), net.activation == "abs", device=X.device)
    same = _regions_unchanged(net.signs(X, "stored"), out.signs(X, "stored"), even)
    rep.add("fraction of inputs whose region is unchanged", same, 1.0, 0.0, same == 1.0,
            note=_EVEN_NOTE if bool(even.any()) else "")
    has_next = net.depth if net.readout is not None else net.depth - 1
    g_after = [lay.norm.gamma for lay in out.layers[:has_next]]
    dev = max([(g - 1).abs().max().item() for g in g_after], default=0.0)
    rep.add("max |γ − 1| after absorption (layers with a next layer)", dev, 0.0, 0.0, dev == 0.0,
            note="" if net.readout is not None else "no read-out: the last layer keeps its γ")
    rep.details["layers"] = list(absorbable_layers(net).values())
    return rep


def _proposition_1_sequential(net: nn.Module, X, flip_signs: bool, absorb) -> Report:
    model = copy.deepcopy(net).to(torch.float64)
    network = as_network(model, X, batch_name="X")                     # validates net and X
    X = check_points(X, network.widths[0], name="X", min_count=2).to(torch.float64)
    sites = absorbable_layers(model)
    rep = Report("Proposition 1", "γ ≠ 0 can be absorbed into the next layer's weights (and β into β/γ)")
    out = absorb(model, flip_signs=flip_signs)
    gammas = torch.cat([network.bn_layer(ell, "Proposition 1").gamma for ell in sorted(sites)]
                       or [torch.ones(0, dtype=torch.float64)])
    rep.setting = (f"widths {network.widths}, absorbed layers: {'; '.join(sites.values()) or 'none'}"
                   + (f", γ in [{gammas.min().item():.3g}, {gammas.max().item():.3g}], "
                      f"{int((gammas < 0).sum())} negative" if len(gammas) else ""))
    tol = 1e-12
    running = all(m.running_mean is not None for m in model.modules() if isinstance(m, nn.BatchNorm1d))
    for stats, batch in (("batch", X), ("running", None)):
        if batch is None and not running:
            rep.add("running statistics", "none kept", note="a BatchNorm1d has track_running_stats=False")
            continue
        f, g = as_network(model, batch, batch_name="X")(X), as_network(out, batch, batch_name="X")(X)
        err = ((f - g).abs().max() / f.abs().max().clamp_min(1.0)).item()
        rep.add(f"max |f(x) − f_absorbed(x)| / max(1, |f|), {stats} statistics", err, 0.0, tol, err <= tol)
        rep.details[f"error_{stats}"] = err
    ref = None if running else X
    a, b = as_network(model, ref, batch_name="X"), as_network(out, ref, batch_name="X")
    even = torch.cat([q == -1 for q in network.slopes]) if network.slopes else torch.zeros(0, dtype=torch.bool)
    same = _regions_unchanged(a.signs(X), b.signs(X), even.to(X.device))
    rep.add("fraction of inputs whose region is unchanged", same, 1.0, 0.0, same == 1.0,
            note=_EVEN_NOTE if bool(even.any()) else "")
    after = [b.bn_layer(ell, "Proposition 1").gamma for ell in sorted(sites)]
    dev = max([(g - 1).abs().max().item() for g in after], default=0.0)
    rep.add("max |γ − 1| after absorption (layers with a next Linear)", dev, 0.0, 0.0, dev == 0.0)
    rep.details["layers"] = list(sites.values())
    return rep


def _minimize_numerically(V, W, start: torch.Tensor) -> torch.Tensor:
    """Minimize eq. (9) over μ with SciPy's BFGS, gradients by autograd through ``tls_distance``."""
    from scipy.optimize import minimize

    def fun(m):
        mu = torch.tensor(m, dtype=torch.float64, requires_grad=True)
        value = tls_distance(V, W, mu)
        value.backward()
        return value.item(), mu.grad.numpy()

    res = minimize(fun, start.cpu().numpy(), jac=True, method="BFGS", options={"gtol": 1e-13, "maxiter": 500})
    return torch.as_tensor(res.x, dtype=torch.float64)


def _theorem_1_case(rep: Report, label: str, V, W, mu_bn, sigma_bn, gen) -> dict:
    """Checks of Theorem 1 for one set of layer inputs ``V`` against BN's ``μ`` and ``σ`` on it."""
    V, W, mu_bn, sigma_bn = (t.detach().cpu().double() for t in (V, W, mu_bn, sigma_bn))
    u = V @ W.T
    scale = max(1.0, u.abs().max().item())
    # (a) a closed form computed another way: least squares fit of a constant to each unit's ⟨w, v⟩
    mu_ls = torch.linalg.lstsq(torch.ones(len(V), 1, dtype=torch.float64), u).solution[0]
    err_ls = (mu_ls - mu_bn).abs().max().item() / scale
    rep.add(f"{label}: μ_BN vs least squares, max gap / scale", err_ls, 0.0, 1e-12, err_ls <= 1e-12)
    # (b) a numerical optimizer on eq. (9) itself, from a random start far from μ_BN
    start = mu_bn + torch.randn(len(mu_bn), generator=gen, dtype=torch.float64) * 3 * scale
    mu_opt = _minimize_numerically(V, W, start)
    err_opt = (mu_opt - mu_bn).abs().max().item() / scale
    rep.add(f"{label}: μ_BN vs BFGS on eq. (9), max gap / scale", err_opt, 0.0, 1e-7, err_opt <= 1e-7)
    # (c) the minimum value is Σ σ²/‖w‖²
    L_bn = tls_distance(V, W, mu_bn).item()
    L_pred = tls_fitting_error(W, sigma_bn).sum().item()
    err_val = abs(L_bn - L_pred) / max(L_pred, 1e-300)
    rep.add(f"{label}: L(μ_BN) vs Σ σ²/‖w‖², relative gap", err_val, 0.0, 1e-10, err_val <= 1e-10)
    # (d) uniqueness: every move δ raises L by exactly Σ δ²/‖w‖² > 0 (strict convexity)
    deltas = torch.randn(64, len(mu_bn), generator=gen, dtype=torch.float64) \
        * torch.logspace(-3, 0, 64, dtype=torch.float64)[:, None] * scale
    excess = tls_distance(V, W, mu_bn + deltas) - L_bn
    predicted = (deltas.pow(2) / W.norm(dim=1).pow(2)).sum(1)
    ratio_err = ((excess - predicted).abs() / predicted).max().item()
    ok = bool((excess > 0).all()) and ratio_err <= 1e-6
    rep.add(f"{label}: 64 random moves δ, all ΔL > 0; max |ΔL / Σ δ²/‖w‖² − 1|", ratio_err, 0.0, 1e-6, ok)
    hess = torch.autograd.functional.hessian(lambda m: tls_distance(V, W, m), mu_bn)
    eig = torch.linalg.eigvalsh(hess).min().item()
    expected = (2 / W.norm(dim=1).pow(2)).min().item()
    rep.add(f"{label}: smallest Hessian eigenvalue, 2 / max ‖w_k‖²", eig, expected, 1e-9 * expected,
            eig > 0 and abs(eig - expected) <= 1e-9 * expected)
    return dict(mu_bn=mu_bn, mu_least_squares=mu_ls, mu_bfgs=mu_opt, tls_min=L_bn, tls_predicted=L_pred)


def _bn_layer(net, X, layer, what: str):
    """``(network, BNLayer, X)``: layer ℓ of ``net`` (any supported network) with BN statistics of ``X``."""
    X = check_points(X, None, name="X", min_count=2).to(torch.float64)
    network = as_network(net, batch=X, batch_name="X")
    layer = network.check_layer(layer)
    network.bn_layer(layer, what)                                   # refuse early, naming the layers that qualify
    return network, layer, X


def _with_batch(net, data, layer: int, what: str) -> tuple:
    """Layer ℓ's inputs and its BN record when the network runs on ``data`` as one batch (eq. 3)."""
    batch_net = as_network(net, batch=data, batch_name="X")
    bn = batch_net.bn_layer(layer, what)
    return batch_net.bn_inputs(bn, data), bn


def theorem_1(net, X, *, layer: int = 1, batch_size: int | None = None, seed: int = 0) -> Report:
    """Theorem 1: BN's mean ``μ_ℓ`` (eq. 3) is the unique minimizer of the TLS distance ``L(μ_ℓ, ·)`` (eq. 9).

    Checked twice, on layer ℓ's inputs from a random mini-batch of ``batch_size`` rows of ``X``
    (drawn with ``seed``; default ``min(32, N // 2)``, at least 2) and from the whole of ``X`` (shape ``(N, D_0)``). In each case the mean
    that the network's own BN computes is compared with a least-squares solution and with a BFGS
    minimization of eq. (9) from a random start; the minimum value with ``Σ σ²/‖w‖²``; and
    uniqueness by random moves and the Hessian. Gaps in ``μ`` are divided by ``scale = max(1, max |⟨w_k, v⟩|)``.

    ``net``: a BN ``SplineMLP`` or a supported ``nn.Sequential`` whose layer ℓ is ``Linear →
    BatchNorm1d → activation`` (the report names the modules; a ``Linear`` bias ``c`` shifts BN's
    mean to ``μ − c`` in the offsets of ``⟨w_k, z⟩``). Everything runs in float64.
    """
    network, layer, X = _bn_layer(net, X, layer, "Theorem 1")
    if batch_size is None:
        batch_size = max(2, min(32, len(X) // 2))
    if not (isinstance(batch_size, int) and 2 <= batch_size <= len(X)):
        raise ValueError(f"batch_size must be an int in 2..{len(X)} (the number of points), got {batch_size!r}")
    gen = torch.Generator().manual_seed(int(seed))
    B = X[torch.randperm(len(X), generator=gen)[:batch_size]]
    names = network.bn_layer(layer, "Theorem 1").names
    rep = Report("Theorem 1", "BN's μ is the unique minimizer of the TLS distance between the layer input and the "
                 "hyperplanes", setting=f"layer {layer} ({names}) of widths {network.widths}; "
                 f"mini-batch of {batch_size} of the {len(X)} points (seed {seed})")
    W = None
    for label, data in (("mini-batch", B), ("whole data", X)):
        with torch.no_grad():
            V, bn = _with_batch(net, data, layer, "Theorem 1")    # what BN computes with `data` as the batch
        W = check_weights(bn.weight, name=f"W_{layer}")
        rep.details[label] = _theorem_1_case(rep, label, V, W, bn.mean - bn.bias, bn.var.sqrt(), gen)
    # the two minimizers differ: the mini-batch mean is not optimal for the whole data
    with torch.no_grad():
        V_all = _with_batch(net, X, layer, "Theorem 1")[0].cpu()
    mb, full = rep.details["mini-batch"]["mu_bn"], rep.details["whole data"]["mu_bn"]
    gap = (tls_distance(V_all, W.cpu(), mb) - tls_distance(V_all, W.cpu(), full)).item()
    rep.add("L(μ_B, X_ℓ) − L(μ̄, X_ℓ): the batch mean on the whole data", gap, None, None, gap >= -1e-12,
            note="≥ 0 by Theorem 1")
    rep.details["batch_excess"] = gap
    rep.details["layers"] = [names]
    return rep


@torch.no_grad()
def corollary_2(net, X, *, layer: int = 1) -> Report:
    """Corollary 2: with BN, layer ℓ's hyperplanes all pass through the mean layer input ``z̄_{ℓ−1}``.

    Uses the statistics BN computes with ``X`` (shape ``(N, D_0)``) as the batch and the layer's
    actual hyperplanes ``⟨w_k, z⟩ = μ_k − c_k − √(σ_k² + ε) β_k/γ_k`` (``c`` a ``Linear`` bias; so a
    non-zero ``β`` makes it fail, as it should). ``net``: as for :func:`theorem_1`. Measures ``max_k d(z̄, H_k)`` (eq. 7) relative to the data's spread; when ``W`` has
    full column rank, that the hyperplanes' common point is ``z̄``; in a 2-D input space, that the
    layer has exactly the ``2K`` regions of a central arrangement of ``K`` distinct lines; and that every
    unit has layer inputs on both sides of its hyperplane (no unit is dead on the batch).
    """
    network, layer, X = _bn_layer(net, X, layer, "Corollary 2")
    V, bn = _with_batch(net, X, layer, "Corollary 2")
    W = check_weights(bn.weight, name=f"W_{layer}")
    if not bool((bn.gamma != 0).all()):
        raise ValueError(f"layer {layer} has a unit with γ = 0: its pre-activation is constant, no hyperplane")
    b = bn.offsets
    zbar = V.mean(0, keepdim=True)
    spread = max((V - zbar).norm(dim=1).max().item(), 1e-300)
    rep = Report("Corollary 2", "with BN the layer's hyperplanes form a central arrangement through the mean "
                 "layer input", setting=f"layer {layer} ({bn.names}) of widths {network.widths}, input dimension "
                 f"{W.shape[1]}, {W.shape[0]} units, {len(X)} points")
    rep.details["layers"] = [bn.names]
    d = hyperplane_distance(zbar, W, b)[0]
    rep.add("max_k d(z̄, H_k) / data spread", d.max().item() / spread, 0.0, 1e-12, d.max().item() / spread <= 1e-12)
    rep.details.update(distances=d, mean_input=zbar[0], offsets=b)
    side = V @ W.T - b
    both = ((side > 0).any(0) & (side < 0).any(0)).double().mean().item()
    rep.add("fraction of units with layer inputs on both sides of H_k", both, 1.0, 0.0, both == 1.0,
            note="a hyperplane through the mean splits the batch: no unit is dead on it")
    K, D = W.shape
    if K >= D and torch.linalg.matrix_rank(W).item() == D:
        z = torch.linalg.lstsq(W, b[:, None]).solution[:, 0]
        resid = (W @ z - b).abs().max().item() / max(1.0, b.abs().max().item())
        gap = (z - zbar[0]).norm().item() / spread
        rep.add("least-squares common point of all H_k: residual", resid, 0.0, 1e-10, resid <= 1e-10,
                note="0 when the K hyperplanes meet in one point")
        rep.add("‖common point − z̄‖ / data spread", gap, 0.0, 1e-10, gap <= 1e-10)
    if D == 2:
        regions = arrangement_regions(W, b)
        distinct = arrangement_regions(W, torch.zeros_like(b)) // 2     # distinct directions through one point
        rep.add("regions of the layer's arrangement (exact)", regions, 2 * distinct, 0, regions == 2 * distinct,
                note=f"central: 2K; {K} lines in general position could make up to {max_regions(K, 2)}")
        rep.details["regions"] = regions
    return rep
