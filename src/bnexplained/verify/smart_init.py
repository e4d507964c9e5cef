"""Section 4 and Appendix D.4: BN as a smart initialization; Proposition 3."""
from __future__ import annotations

from ..decision_boundary import one_sided_rates
from .report import Report

__all__ = ["proposition_3"]

CONDITION = ("holds for every mini-batch when the last hidden layer has a single unit (D_{L−1} = 1, "
             "w_L ≠ 0), or for any width when the read-out is centred on the batch as well "
             "(c_L = −⟨w_L, z̄⟩, BN's centring at layer L)")


def proposition_3(X, *, widths=(1, 2, 4, 16), batch_sizes=(2, 4, 16, 64), hidden=(8, 8), networks: int = 10,
                  batches: int = 200, alpha: float = 0.1, readout: str = "zero_bias", output_bias: float = 0.0,
                  seed: int = 0) -> Report:
    """Proposition 3: with leaky-ReLU, BN at layers ``1..L−1`` and ``c_L = 0``, every mini-batch has
    points on both sides of the decision boundary at initialization.

    Searches random networks and random mini-batches of ``X`` (shape ``(N, D_0)``), each batch
    normalized with its own statistics (:func:`~bnexplained.decision_boundary.one_sided_rates`),
    and reports, for each last-hidden-layer width, the share of *one-sided* mini-batches (expected 0),
    with the rate by batch size in the note. ``readout="centred"`` checks the corrected statement
    (the read-out centred on the batch). ``details["rates"]`` is the ``(widths, batch_sizes)`` table.
    """
    res = one_sided_rates(X, widths, batch_sizes, hidden=hidden, networks=networks, batches=batches,
                          alpha=alpha, readout=readout, output_bias=output_bias, seed=seed)
    what = "the read-out centred on the batch" if readout == "centred" else f"c_L = {output_bias:g}"
    rep = Report("Proposition 3", "every mini-batch has a point on each side of the decision boundary "
                                  f"at initialization (leaky-ReLU α = {alpha:g}, BN at layers 1..L−1, {what})")
    rep.setting = (f"{networks} random networks [D_0, {', '.join(map(str, hidden))}, D_(L−1)] per width × "
                   f"{batches} random mini-batches per batch size, each normalized with its own statistics. "
                   f"Condition: the proposition {CONDITION}.")
    for i, width in enumerate(res["widths"]):
        count, total = int(res["counts"][i].sum()), int(res["defined"][i].sum())
        rate = count / max(total, 1)
        by_size = ", ".join(f"{bs}: {res['rates'][i, j].item():.3f}" for j, bs in enumerate(res["batch_sizes"]))
        rep.add(f"D_(L−1) = {width}: share of one-sided mini-batches", rate, 0.0, 0.0, count == 0,
                note=f"{count} of {total}; by batch size {by_size}")
    undefined = res["defined"].numel() * networks * batches - int(res["defined"].sum())
    rep.details.update(res, undefined=undefined, condition=CONDITION)
    return rep
