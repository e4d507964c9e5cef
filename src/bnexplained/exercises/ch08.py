"""Chapter 8 (batch noise jitters the boundary and widens margins): reference answers."""
import torch

from ..batch_noise import statistic_variances
from . import exercise


@exercise("ch8-ex1", rtol=1e-3, hint="eq. (13) with s² = 9 and φ = 3 s⁴ (Gaussian); BN's σ² is biased: "
                                     "multiply eq. (13) by ((n−1)/n)²; answer [std of μ_B, std of σ²_B]")
def _figure7_unit2_spreads():
    s2 = torch.tensor(9.0, dtype=torch.float64)
    var_mu, var_s2 = statistic_variances(s2, 3 * s2 ** 2, 64, estimator="biased")
    return [float(var_mu.sqrt()), float(var_s2.sqrt())]


@exercise("ch8-ex2", rtol=0.0, atol=1.0, hint="var(μ) = s²/m; solve s²/m = 1.15 · s²/512 for m (an integer)")
def _virtual_batch_for_fifteen_percent():
    return round(512 / 1.15)
