"""Chapter 9 (your own network): reference answers, each from the paper's formulas rather than
from the chapter's trained model, so a student's measurement is checked against the theory."""
import math

from . import exercise


@exercise("ch9-ex1", rtol=1e-4, hint="BatchNorm1d computes γ (u − μ)/√(σ² + ε) + β; set it to zero and "
                                     "solve for u (running_mean 0.5, running_var 4, eps 1e-5, weight 2, bias 1)")
def _hyperplane_offset_of_one_bn_unit():
    mu, var, eps, gamma, beta = 0.5, 4.0, 1e-5, 2.0, 1.0
    return mu - math.sqrt(var + eps) * beta / gamma


@exercise("ch9-ex2", rtol=0.0, atol=0.5, hint="Corollary 2: with β = 0 and the data's own mean, the K lines of "
                                              "layer 1 all pass through the mean input; K distinct lines through "
                                              "one point cut the plane into 2K regions")
def _central_arrangement_regions():
    units = 8                                  # the chapter's first layer: nn.Linear(2, 8)
    return 2 * units


@exercise("ch9-ex3", rtol=1e-6, hint="the unit computes γ (u − μ)/√σ² + β (ignore ε): what keeps γ/σ fixed "
                                     "when σ² is multiplied by 9?")
def _gamma_factor_that_undoes_a_variance_change():
    return math.sqrt(9.0)
