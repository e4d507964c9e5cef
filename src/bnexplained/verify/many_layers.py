"""Section 3 and Appendix B: folded hyperplanes across layers (Theorem 2, Corollary 1, Theorem 3)."""
from __future__ import annotations

import math

import torch

from .. import folding
from ..partition import _extent
from .report import Report

__all__ = ["theorem_3"]

_DEG = 180 / math.pi


def _box(extent) -> str:
    e = _extent(extent)
    return f"[{e[0]:.3g}, {e[1]:.3g}] × [{e[2]:.3g}, {e[3]:.3g}]"


@torch.no_grad()
def theorem_3(net, extent=None, *, tol: float = 1e-9, angles: "folding.DihedralAngles | None" = None) -> Report:
    """Theorem 3, eqs. (24)–(26): at every crossing of a layer-2 folded hyperplane ``F_{2,k}`` with a
    layer-1 hyperplane ``H_{1,i}`` inside ``extent``, the angles given by the formula (with
    ``Q_1(ω)`` of eq. 23) equal the angles measured from the zero set of ``h_{2,k}`` itself
    (forward passes only; see :func:`bnexplained.folding.dihedral_angles`), to ``tol`` radians.

    ``angles`` may be passed precomputed (formula and measured); by default they are computed.
    The network needs 2-D input and at least two layers; it is checked in float64.
    """
    rep = Report("Theorem 3, eqs. (24)–(26)",
                 "the angles between layer-2 facets and layer-1 hyperplanes are given by Q_1(ω)")
    if angles is None:
        angles = folding.dihedral_angles(net, extent, measure=True)
    if not isinstance(angles, folding.DihedralAngles):
        raise TypeError(f"angles must be a DihedralAngles, got {type(angles).__name__}")
    n = len(angles)
    rep.setting = (f"{net.activation} network {net.widths}, mode {net.mode!r}; "
                   f"{n} crossings of F_2,k with H_1,i" + ("" if extent is None else f" inside {_box(extent)}"))
    rep.add("crossings compared", n, note="nothing to compare" if n == 0 else "", passed=n > 0)
    if n == 0:
        return rep
    if not angles.measured:
        rep.add("measured angles", "missing", passed=False, note="compute with measure=True")
        return rep
    errors = angles.max_error()
    names = {"to_boundary": "(24) θ(F_2,k,ω, H_1,i)", "to_boundary_other": "(25) θ(F_2,k,ω', H_1,i)",
             "between": "(26) θ(F_2,k,ω, F_2,k,ω')"}
    for key, label in names.items():
        err = errors[key]
        rep.add(f"max |formula − measured| {label}, radians", err, 0.0, tol, bool(err <= tol))
    fold = angles.between * _DEG
    rep.add("(26) over the crossings, degrees: median", float(fold.median()),
            note=f"min {float(fold.min()):.2f}, max {float(fold.max()):.2f}")
    rep.details.update(angles=angles, errors=errors)
    return rep
