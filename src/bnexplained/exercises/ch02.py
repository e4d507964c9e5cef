"""Chapter 2 (BN's learned parameters γ, β): reference answers."""
import torch

from .. import data
from ..networks import SplineMLP
from ..parameters import absorb_gamma
from ..widgets.one_layer import one_layer_network
from . import exercise


def _two_layer_net():
    net = SplineMLP([2, 3, 2], "leaky_relu", "bn", learnable_affine=True, out_features=2, seed=4,
                    dtype=torch.float64)
    with torch.no_grad():
        net.layers[0].norm.gamma.copy_(torch.tensor([0.5, 2.0, 1.5], dtype=torch.float64))
        net.layers[0].norm.beta.copy_(torch.tensor([0.3, -0.2, 0.1], dtype=torch.float64))
    return net.fit_statistics(data.moons(50, dtype=torch.float64))


@exercise("ch2-ex2", rtol=1e-9, atol=1e-12, hint="multiply column k of W_2 by γ_{1,k}: W_2 @ torch.diag(γ_1)")
def _absorbed_weights():
    return absorb_gamma(_two_layer_net(), layers=[1]).weights[1].detach().numpy()


@exercise("ch2-ex3", rtol=1e-6, atol=1e-9, hint="the zero set is ⟨w, z⟩ = μ − σβ/γ; divide the offset change by ‖w‖")
def _beta_shift_distance():
    X = data.star(60, dtype=torch.float64) + torch.tensor([1.0, 0.5], dtype=torch.float64)
    net = one_layer_network(1, seed=0)
    _, sigma = net.statistics_of(X)
    gamma, beta = 1.5, 0.5
    return (sigma[0] * abs(beta) / (gamma * net.weights[0].detach().norm(dim=1))).item()
