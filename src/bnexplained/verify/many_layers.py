"""Section 3 and Appendix B: folded hyperplanes across layers (Theorem 2, Corollary 1, Theorem 3)."""
from __future__ import annotations

import math

import torch

from .. import folding, translation
from ..device import check_points
from ..geometry import hyperplane_distance
from ..partition import as_extent, data_extent
from ..device import single_thread
from ..sequential import as_network
from .report import Report

__all__ = ["theorem_2", "corollary_1", "theorem_3"]

_DEG = 180 / math.pi


def _box(extent) -> str:
    e = as_extent(extent)
    return f"[{e[0]:.3g}, {e[1]:.3g}] × [{e[2]:.3g}, {e[3]:.3g}]"


@torch.no_grad()
@single_thread
def theorem_3(net, extent=None, *, tol: float = 1e-9, angles: "folding.DihedralAngles | None" = None) -> Report:
    """Theorem 3, eqs. (24)–(26): at every crossing of a layer-2 folded hyperplane ``F_{2,k}`` with a
    layer-1 hyperplane ``H_{1,i}`` inside ``extent``, the angles given by the formula (with ``Q_1(ω)``
    of eq. 23) equal the angles measured from the exact facets (``bnx.exact_partition``), and those
    measured from forward passes alone (bisection on half-circles), to ``tol`` radians.
    See :func:`bnexplained.folding.dihedral_angles`.

    ``angles`` may be passed precomputed (with ``measured`` and ``probed``); by default they are
    computed. The network needs 2-D input and at least two layers; it is checked in float64.
    """
    rep = Report("Theorem 3, eqs. (24)–(26)",
                 "the angles between layer-2 facets and layer-1 hyperplanes are given by Q_1(ω)")
    if angles is None:
        angles = folding.dihedral_angles(net, extent, measure=True, probe=True)
    if not isinstance(angles, folding.DihedralAngles):
        raise TypeError(f"angles must be a DihedralAngles, got {type(angles).__name__}")
    n = len(angles)
    network = as_network(net)
    layers = network.describe([1, 2]) if network.depth >= 2 else network.describe(range(1, network.depth + 1))
    rep.setting = (f"network {network.widths} ({layers}); "
                   f"{n} crossings of F_2,k with H_1,i" + ("" if extent is None else f" inside {_box(extent)}"))
    rep.details["layers"] = layers
    rep.add("crossings compared", n, note="nothing to compare" if n == 0 else "", passed=n > 0)
    if n == 0:
        return rep
    if not angles.measured or not angles.probed:
        rep.add("measured angles", "missing", passed=False, note="compute with measure=True, probe=True")
        return rep
    matched = int(angles.matched().sum())
    rep.add("crossings where two exact facets meet", matched, n, 0, matched == n)
    errors = angles.max_error("measured")
    names = {"to_boundary": "(24) θ(F_2,k,ω, H_1,i)", "to_boundary_other": "(25) θ(F_2,k,ω', H_1,i)",
             "between": "(26) θ(F_2,k,ω, F_2,k,ω')"}
    for key, label in names.items():
        err = errors[key]
        rep.add(f"max |formula − exact facets| {label}, rad", err, 0.0, tol, bool(err <= tol))
    probed = max(angles.max_error("probed")[key] for key in names)
    rep.add("max |formula − forward-pass probe| over (24)–(26), rad", probed, 0.0, tol, bool(probed <= tol))
    fold = angles.between * _DEG
    rep.add("(26) over the crossings, degrees: median", float(fold.median()),
            note=f"min {float(fold.min()):.2f}, max {float(fold.max()):.2f}")
    rep.details.update(angles=angles, errors=errors)
    return rep


def _partition(net, extent, partition):
    from ..partition import exact_partition

    return exact_partition(net, extent) if partition is None else partition


def _default_mus(net, layer: int, unit: int) -> torch.Tensor:
    bn = translation.check_unit(net, layer, unit).bn_layer(layer, "Theorem 2 (it moves μ)")
    mu = float(bn.mean[unit] - bn.bias[unit])
    return mu + float(bn.var[unit].sqrt()) * torch.linspace(-2.5, 2.5, 21, dtype=torch.float64)


def _theorem_2_pairs(net, X, layer: int, unit: int, mus, part, margin: float) -> dict:
    """Every (point, μ_a, μ_b) triple of one unit: which are admitted, which hold (tensors ``(N, M, M)``)."""
    mus = _default_mus(net, layer, unit) if mus is None else torch.as_tensor(mus, dtype=torch.float64).reshape(-1)
    if len(mus) < 2:
        raise ValueError("mus must hold at least two offsets to compare")
    dx, ok = translation.translated_distance(part, net, X, layer, unit, mus)
    u = translation.projection(net, X, layer, unit).to(torch.float64)
    bn = net.bn_layer(layer, "Theorem 2 (it moves μ)")
    w = bn.weight[unit].cpu()
    z = net.bn_inputs(bn, X).cpu()
    dz = hyperplane_distance(z, w[None], mus[:, None])[..., 0].T              # eq. (7), (N, M)
    side = torch.sign(mus[None] - u[:, None])                                 # which side of z(x) each μ is
    closer = dz[:, :, None] < dz[:, None, :] - margin                         # (N, a, b): H_a closer than H_b
    valid = closer & ok[:, :, None] & ok[:, None, :] & (dx[:, None, :] > 0)
    same = side[:, :, None] * side[:, None, :] > 0
    return {"mus": mus, "d_x": dx, "d_z": dz, "u": u, "certified": ok, "valid": valid, "same": same,
            "holds": dx[:, :, None] < dx[:, None, :]}


@torch.no_grad()
@single_thread
def theorem_2(net, X, layer: int = 2, unit: int | None = 0, mus=None, *, extent=None, condition: str = "between",
              partition=None, margin: float = 1e-9) -> Report:
    """Theorem 2 on points: for each point ``x`` of ``X`` ``(N, 2)`` and each pair of offsets ``μ, μ'`` of unit
    ``k`` of layer ℓ taken from ``mus`` ``(M,)`` with ``d(z(x), H) < d(z(x), H')`` (eq. 7, in layer ℓ's input
    space), test ``d(x, F) < d(x, F')`` (eq. 12, exact in 2-D; :func:`~bnexplained.translation.translated_distance`).

    ``condition="between"``: only pairs where ``μ`` lies between ``⟨w_{ℓ,k}, z_{ℓ−1}(x)⟩`` and ``μ'`` (the
    translation toward the point does not cross it) — the condition the proof's intermediate-value
    argument uses. ``condition="as_stated"``: every pair the theorem's hypothesis admits, crossing ones
    included. Pairs are kept when both distances are certified (below the distance to the square's
    border) and ``d(z, H)`` and ``d(z, H')`` differ by more than ``margin``. The counterexample kept in
    ``details["counterexample"]`` is the strongest reversal: the largest ``min(d(x,F)/d(x,F'), d(z,H')/d(z,H))``.
    ``unit=None`` pools every
    unit of the layer. ``mus`` defaults to ``μ̄_{ℓ,k} + σ_{ℓ,k} · linspace(−2.5, 2.5, 21)`` per unit;
    ``extent`` to a square three times the data's size.
    """
    if condition not in ("between", "as_stated"):
        raise ValueError(f"condition must be 'between' or 'as_stated', got {condition!r}")
    X = check_points(X, 2, name="X").detach().to("cpu", torch.float64)
    net = translation.check_unit(as_network(net, input_dim=2), layer, 0 if unit is None else unit).cpu()
    bn = net.bn_layer(layer, "Theorem 2 (it moves μ)")
    units = list(range(net.widths[layer])) if unit is None else [unit]
    extent = as_extent(data_extent(X, margin=2.0) if extent is None else extent)
    part = _partition(net, extent, partition)
    n_pairs = n_bad = n_cross = n_cross_bad = 0
    worst, per_unit = None, {}
    for k in units:
        r = _theorem_2_pairs(net, X, layer, k, mus, part, margin)
        per_unit[k] = r
        pairs = r["valid"] & r["same"] if condition == "between" else r["valid"]
        bad = pairs & ~r["holds"]
        n_pairs, n_bad = n_pairs + int(pairs.sum()), n_bad + int(bad.sum())
        crossing = r["valid"] & ~r["same"]
        n_cross, n_cross_bad = n_cross + int(crossing.sum()), n_cross_bad + int((crossing & ~r["holds"]).sum())
        if bad.any():                             # the strongest reversal: min(d_x/d_x', d_z'/d_z)
            dx, dz = r["d_x"], r["d_z"]
            reversal = torch.minimum(dx[:, :, None] / dx[:, None, :], dz[:, None, :] / dz[:, :, None])
            ratio = torch.where(bad, reversal, torch.zeros((), dtype=dx.dtype))
            if worst is None or float(ratio.max()) > worst[0]:
                i, a, b = [int(v) for v in torch.nonzero(ratio == ratio.max())[0]]
                worst = (float(ratio.max()), {
                    "unit": k, "point": i, "x": X[i], "mu": float(r["mus"][a]), "mu_other": float(r["mus"][b]),
                    "u": float(r["u"][i]), "d_z": float(r["d_z"][i, a]), "d_z_other": float(r["d_z"][i, b]),
                    "d_x": float(dx[i, a]), "d_x_other": float(dx[i, b])})
    label = ("μ between ⟨w, z(x)⟩ and μ' (no crossing)" if condition == "between"
             else "as stated: any μ with d(z(x), H) < d(z(x), H')")
    rep = Report(f"Theorem 2 ({label})", "a hyperplane closer to z(x) in layer ℓ's input space gives a folded "
                 "hyperplane closer to x in input space")
    which = "every unit" if unit is None else f"unit {unit + 1}"
    count = len(next(iter(per_unit.values()))["mus"])
    rep.setting = (f"layer {layer} ({bn.names}), {which} of a network {net.widths}; {X.shape[0]} points, "
                   f"{count} offsets μ per unit; exact folded distances over {part.num_regions[layer - 1]} regions "
                   f"of layers 1..{layer - 1}")
    rep.add("pairs (x, μ, μ') compared", n_pairs, passed=n_pairs > 0, note="nothing to compare" if not n_pairs else "")
    if n_pairs:
        rep.add("fraction where d(x, F) < d(x, F')", 1 - n_bad / n_pairs, 1.0, 0.0, n_bad == 0,
                note=f"{n_bad} counterexamples" if n_bad else "")
        if condition == "as_stated" and n_cross:
            rep.details.update(crossing_pairs=int(n_cross), crossing_counterexamples=int(n_cross_bad))
            rep.add("of which the translation crosses z(x): counterexamples", n_cross_bad,
                    note=f"out of {n_cross} crossing pairs")
        if worst is not None:
            c = rep.details["counterexample"] = worst[1]
            rep.add("strongest counterexample: d(x, F) / d(x, F')", c["d_x"] / c["d_x_other"],
                    note=f"while d(z, H) / d(z, H') = {c['d_z'] / c['d_z_other']:.3f} (unit {c['unit'] + 1}, "
                         f"point {c['point']})")
    if unit is not None:
        rep.details.update({key: per_unit[unit][key] for key in ("mus", "d_x", "d_z", "certified", "u")})
    return rep


@torch.no_grad()
@single_thread
def corollary_1(net, layer: int = 2, unit: int = 0, *, extent=None, partition=None, samples: int = 400,
                seed: int = 0, tol: float = 1e-9) -> Report:
    """Corollary 1: ``z_{ℓ−1}(x) ∈ H_{ℓ,k}`` iff ``x ∈ F_{ℓ,k}``, on points of a 2-D-input network.

    Three sets of points: ``samples`` points spread over the exact facets ``F_{ℓ,k,ω}`` (from
    ``partition``, by default ``bnx.exact_partition(net, extent)``) must map onto ``H_{ℓ,k}``
    (forward pass, eq. 7); points where ``h_{ℓ,k}`` changes sign, found by bisection on random segments
    and on short segments across the facets (forward passes only), must lie on the facets (exact
    distance, eq. 12); random points of the square must be off both or on both. Distances are relative to the square's size, tolerance ``tol``.
    """
    net = translation.check_unit(as_network(net, input_dim=2), layer, unit).cpu()
    extent = as_extent(2.0 if extent is None and partition is None else (extent or partition.extent))
    part = _partition(net, extent, partition)
    f = part.facets(layer, unit)
    w = translation.weight_of(net, layer)[unit]
    mu_k = translation.offset(net, layer, unit)
    size = max(extent[1] - extent[0], extent[3] - extent[2])
    rep = Report("Corollary 1", "z(x) lies on H_ℓ,k exactly when x lies on the folded hyperplane F_ℓ,k")
    rep.setting = (f"layer {layer} ({net.describe([layer])}), unit {unit + 1} of a network {net.widths}; {len(f)} facets "
                   f"in the square {tuple(round(v, 3) for v in extent)}")
    rep.add("facets of F_ℓ,k in the square", len(f), passed=len(f) > 0, note="nothing to check" if not len(f) else "")
    if not len(f):
        return rep
    gen = torch.Generator().manual_seed(seed)
    lengths = f.lengths
    pick = torch.multinomial(lengths / lengths.sum(), samples, replacement=True, generator=gen)
    t = torch.rand(samples, 1, generator=gen, dtype=torch.float64)
    on_f = f.segments[pick, 0] + t * (f.segments[pick, 1] - f.segments[pick, 0])
    scale_z = float(w.norm()) * size
    z_on = translation.projection(net, on_f, layer, unit).double()
    worst = float(((z_on - mu_k).abs() / w.norm()).max()) / max(1.0, scale_z)
    rep.add("x on F ⇒ z(x) on H: max d(z(x), H), relative", worst, 0.0, tol, worst <= tol)
    # points where h_{ℓ,k} = 0, found with forward passes only
    a = extent[0] + (extent[1] - extent[0]) * torch.rand(4 * samples, 2, generator=gen, dtype=torch.float64)
    a[:, 1] = extent[2] + (extent[3] - extent[2]) * a[:, 1].sub(extent[0]).div(extent[1] - extent[0])
    b = a.flip(0)
    # and short segments across the sampled facets, so that a small closed F_ℓ,k has crossings too
    across = 1e-3 * size * torch.rand(samples, 1, generator=torch.Generator().manual_seed(seed + 1),
                                      dtype=torch.float64) * f.normal[pick] / f.normal[pick].norm(dim=1, keepdim=True)
    a, b = torch.cat([a, on_f + across]), torch.cat([b, on_f - across])
    ha = translation.projection(net, a, layer, unit).double() - mu_k
    hb = translation.projection(net, b, layer, unit).double() - mu_k
    keep = torch.sign(ha) * torch.sign(hb) < 0
    a, b, ha = a[keep][:2 * samples], b[keep][:2 * samples], ha[keep][:2 * samples]
    for _ in range(60 if len(a) else 0):
        m = (a + b) / 2
        hm = translation.projection(net, m, layer, unit).double() - mu_k
        left = (torch.sign(hm) == torch.sign(ha))[:, None]
        a, ha = torch.where(left, m, a), torch.where(left[:, 0], hm, ha)
        b = torch.where(left, b, m)
    roots = (a + b) / 2
    d_roots = part.folded_hyperplane_distance(roots, layer, unit) / size
    worst = float(d_roots.max()) if len(roots) else 0.0
    rep.add("z(x) on H ⇒ x on F: max d(x, F), relative", worst, 0.0, tol, worst <= tol and len(roots) > 0,
            note=f"{len(roots)} zero crossings found by bisection")
    # random points: on neither
    r = extent[0] + (extent[1] - extent[0]) * torch.rand(samples, 1, generator=gen, dtype=torch.float64)
    r = torch.cat([r, extent[2] + (extent[3] - extent[2]) * torch.rand(samples, 1, generator=gen,
                                                                         dtype=torch.float64)], 1)
    off_z = (translation.projection(net, r, layer, unit).double() - mu_k).abs() / w.norm() / max(1.0, scale_z) > tol
    off_x = part.folded_hyperplane_distance(r, layer, unit) / size > tol
    agree = float((off_z == off_x).double().mean())
    rep.add("random points: off H ⇔ off F (agreement)", agree, 1.0, 0.0, agree == 1.0)
    rep.details.update(on_facets=on_f, roots=roots)
    return rep
