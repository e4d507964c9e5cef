"""Chapter 2 (BN's learned parameters γ, β): reference answers."""
import torch

from .. import data
from ..parameters import absorb_gamma
from ..recipes.one_layer import one_layer_network
from ..recipes.parameters import gamma_beta_network
from . import exercise


@exercise("ch2-ex2", rtol=1e-9, atol=1e-12, hint="multiply column k of W_2 by γ_{1,k}: W_2 @ torch.diag(γ_1)")
def _absorbed_weights():
    return absorb_gamma(gamma_beta_network(), layers=[1]).weights[1].detach().numpy()


@exercise("ch2-ex3", rtol=1e-6, atol=1e-9, hint="the zero set is ⟨w, z⟩ = μ − σβ/γ; divide the offset change by ‖w‖")
def _beta_shift_distance():
    X = data.star(60, dtype=torch.float64) + torch.tensor([1.0, 0.5], dtype=torch.float64)
    net = one_layer_network(1, seed=0)
    _, sigma = net.statistics_of(X)
    gamma, beta = 1.5, 0.5
    return (sigma[0] * abs(beta) / (gamma * net.weights[0].detach().norm(dim=1))).item()
