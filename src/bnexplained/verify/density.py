"""Section 3.3: BN concentrates the partition around the data (Figures 3 and 4)."""
from __future__ import annotations

import torch

from ..density import SETTINGS, near_far_ratio
from .report import Report

__all__ = ["concentration_near_data", "concentration_near_images"]


def _need_settings(results: dict, what: str) -> None:
    missing = [s for s in SETTINGS if s not in results]
    if missing:
        raise ValueError(f"{what} must hold all three settings {SETTINGS}; missing {missing}")


def concentration_near_data(results: dict, X, *, near: float = 0.1, far: float = 0.5) -> Report:
    """Figure 3's three conclusions, quantified on ``results = {setting: GridConcentration}``
    (as from :func:`bnexplained.recipes.figure3`) and the 2-D data ``X``.

    For every computed layer ``j ≥ 2``: the ratio of the mean concentration on pixels within ``near``
    of the data to the mean on pixels farther than ``far`` must exceed 1 with BN and exceed the ratios
    of zero bias and random bias. Zero bias: every unit's zero set passes through the origin (positive
    homogeneity), so its maximum must sit at the origin. Layer 1 is reported, not judged: with BN it is
    a central arrangement through the data mean (Corollary 2).
    """
    _need_settings(results, "results")
    rep = Report("Section 3.3, Figure 3",
                 "with BN the partition concentrates near the data; random bias spreads it, zero bias centres it")
    ratios = {s: near_far_ratio(results[s], X, near=near, far=far) for s in SETTINGS}
    layers = results["bn"].layers
    for i, layer in enumerate(layers):
        bn, zero, rnd = (float(ratios[s][i]) for s in ("bn", "zero_bias", "random_bias"))
        note = f"zero bias {zero:.2f}, random bias {rnd:.2f}"
        if layer == 1:
            rep.add("layer 1: near/far ratio with BN (not judged)", bn, note=note + "; BN's layer 1 is central (Corollary 2)")
        else:
            rep.add(f"layer {layer}: near/far ratio with BN", bn, "> 1 and > the others",
                    passed=bn > 1 and bn > max(zero, rnd), note=note)
    zero = results["zero_bias"]
    step = max(float(zero.grid.xs[1] - zero.grid.xs[0]), float(zero.grid.ys[1] - zero.grid.ys[0]))
    at_max = []
    for layer in zero.layers:
        m = zero.of(layer)
        flat = int(torch.argmax(m))
        i, j = divmod(flat, m.shape[1])
        at_max.append(float(torch.hypot(zero.grid.xs[j], zero.grid.ys[i])))
    worst = max(at_max)
    rep.add("zero bias: distance of the maximum from the origin", worst, 0.0, zero.eps + 2 * step,
            passed=worst <= zero.eps + 2 * step)
    rep.setting = (f"ε = {results['bn'].eps:g}; near = within {near:g} of a data point, far = beyond {far:g}; "
                   f"layers {layers}")
    rep.details.update(ratios={s: ratios[s].tolist() for s in SETTINGS}, layers=list(layers))
    return rep


def concentration_near_images(result: dict, *, eps_index: int | None = None, layers=None) -> Report:
    """Figure 4's claims on ``result`` from :func:`bnexplained.recipes.figure4`: the total concentration
    (summed over ``layers``, default all) at ``eps[eps_index]`` (default: the middle ε).

    Checks that, around data images, BN's count exceeds zero bias's and random bias's; that BN's ratio
    of the count around data images to that around random images exceeds the other settings' ratios;
    and the paper's last claim, that around random images BN raises the count no more than the others
    do (within 5%).
    """
    for name in ("data", "random"):
        if name not in result:
            raise ValueError(f"result must hold '{name}' (from bnx.recipes.figure4)")
        _need_settings(result[name], f"result['{name}']")
    eps = result["eps"]
    k = len(eps) // 2 if eps_index is None else eps_index
    if not (isinstance(k, int) and -len(eps) <= k < len(eps)):
        raise ValueError(f"eps_index must index the {len(eps)} ε values, got {eps_index!r}")
    sel = slice(None) if layers is None else [j - 1 for j in layers]
    total = {name: {s: float(result[name][s][k, sel].sum()) for s in SETTINGS} for name in ("data", "random")}
    ratio = {s: total["data"][s] / max(total["random"][s], 1e-30) for s in SETTINGS}
    rep = Report("Section 3.3, Figure 4",
                 "with BN the partition concentrates around the data images and not around random images")
    d, r = total["data"], total["random"]
    rep.add("around data images: BN's count", d["bn"], "> zero and random bias",
            passed=d["bn"] > max(d["zero_bias"], d["random_bias"]),
            note=f"zero bias {d['zero_bias']:.0f}, random bias {d['random_bias']:.0f}")
    rep.add("data / random ratio with BN", ratio["bn"], "> the other settings'",
            passed=ratio["bn"] > max(ratio["zero_bias"], ratio["random_bias"]),
            note=f"zero bias {ratio['zero_bias']:.3f}, random bias {ratio['random_bias']:.3f}")
    rep.add("around random images: BN's count", r["bn"], "≤ 1.05 × max(zero, random bias)",
            passed=r["bn"] <= 1.05 * max(r["zero_bias"], r["random_bias"]),
            note=f"zero bias {r['zero_bias']:.0f}, random bias {r['random_bias']:.0f}")
    per_layer = (result["data"]["bn"][k] / result["random"]["bn"][k].clamp_min(1e-30)).tolist()
    which = "all layers" if layers is None else f"layers {list(layers)}"
    rep.setting = f"ε = {float(eps[k]):.3g}; counts summed over {which}"
    rep.details.update(total=total, ratio=ratio, bn_ratio_per_layer=per_layer)
    return rep
