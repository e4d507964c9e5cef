"""Chapter 7 (BN as a smart initialization; Proposition 3): reference answers."""
import torch

from .. import data
from ..initialization import initialize
from ..recipes.smart_init import fold_exercise_network
from . import exercise


@exercise("ch7-ex1", rtol=1e-8, atol=1e-10, hint="layer 1 of the BN start is h = (⟨w, x⟩ − μ_1)/σ_1: its bias "
          "is −μ_1/σ_1, with μ_1, σ_1 the mean and (biased) std of X W_1ᵀ over the whole training set")
def _folded_bias():
    X = data.circles(200, dtype=torch.float64) + torch.tensor([2.0, 1.0], dtype=torch.float64)
    return initialize(fold_exercise_network(), "bn", X).layers[0].norm.bias.detach().numpy()


@exercise("ch7-ex2", rtol=1e-9, atol=1e-12, hint="each unit normalizes to ±(1, −1) on a batch of two; "
          "a(1) = 1 and a(−1) = −α")
def _batch_of_two():
    alpha, w = 0.1, (1.0, 0.5)
    # unit 1 normalizes to (+1, −1), unit 2 to (−1, +1) over the two points
    return [w[0] * 1 + w[1] * (-alpha), w[0] * (-alpha) + w[1] * 1]


@exercise("ch7-ex3", rtol=1e-3, atol=1e-6, hint="a batch is one-sided when all n points land on + or all on −")
def _one_sided_chance():
    p = 0.9
    return [p ** n + (1 - p) ** n for n in (4, 16, 64)]
