"""Chapter 1 (deep networks are splines): reference answers."""
import torch

from .. import data
from ..networks import SplineMLP
from ..partition import make_grid
from ..recipes.splines import figure1_network
from . import exercise


@exercise("ch1-ex1", rtol=1e-6, atol=1e-9, hint="multiply diag(q_ℓ) · (W_ℓ / σ_ℓ rowwise) from layer 1 up")
def _affine_map_by_hand():
    net = SplineMLP([2, 4, 3], "leaky_relu", "bn", seed=1, dtype=torch.float64)
    net.fit_statistics(data.moons(100, dtype=torch.float64))
    A, _ = net.affine_maps(torch.tensor([[0.2, 0.1]], dtype=torch.float64), statistics="stored")
    return A[0].numpy()


@exercise("ch1-ex3", rtol=0.0, atol=2.0,
          hint="torch.unique(net.signs(grid.points, statistics='stored'), dim=0) counts distinct codes")
def _regions_on_grid():
    net = figure1_network(6, True, seed=0).fit_statistics(data.star(50))
    return torch.unique(net.signs(make_grid(1.2, 300).points, statistics="stored"), dim=0).shape[0]


# ----------------------------------------------------------------- write BN yourself (fill-in cells)
F64 = torch.float64


def _bn_batch():
    """A batch of 32 pre-activations of 4 units, with γ and β (arguments of the student's function)."""
    g = torch.Generator().manual_seed(7)
    scale, shift = torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=F64), torch.tensor([0.5, -1.0, 2.0, 0.0], dtype=F64)
    Z = torch.randn(32, 4, generator=g, dtype=F64) * scale + shift
    return Z, torch.tensor([1.0, 0.5, 2.0, -1.0], dtype=F64), torch.tensor([0.0, 0.3, -0.2, 1.0], dtype=F64)


def _torch_bn(gamma, beta) -> torch.nn.BatchNorm1d:
    bn = torch.nn.BatchNorm1d(len(gamma), dtype=F64)
    with torch.no_grad():
        bn.weight.copy_(gamma)
        bn.bias.copy_(beta)
    return bn


@exercise("ch1-ex4", rtol=1e-6, atol=1e-8, inputs=_bn_batch,
          hint="eq. (3): the batch's mean and its variance with 1/N (not 1/(N−1)); eps = 1e-5 inside the square root")
def _bn_train():
    Z, gamma, beta = _bn_batch()
    return _torch_bn(gamma, beta).train()(Z).detach().numpy()


def _bn_batches():
    """Five training batches, then the batch to normalize in eval mode, γ and β."""
    g = torch.Generator().manual_seed(8)
    Z, gamma, beta = _bn_batch()
    batches = [torch.randn(16, 4, generator=g, dtype=F64) * 2 + 1 for _ in range(5)]
    return batches, Z, gamma, beta


@exercise("ch1-ex5", rtol=1e-6, atol=1e-8, inputs=_bn_batches,
          hint="running stats start at mean 0, variance 1; after each batch r ← 0.9 r + 0.1 s, with the "
               "*unbiased* variance (1/(N−1)); eval mode normalizes with the running stats")
def _bn_eval():
    batches, Z, gamma, beta = _bn_batches()
    bn = _torch_bn(gamma, beta).train()
    for b in batches:
        bn(b)
    return bn.eval()(Z).detach().numpy()


def _net_and_points():
    net = SplineMLP([2, 4, 3], "leaky_relu", "bn", seed=1, dtype=F64)
    net.fit_statistics(data.moons(100, dtype=F64))
    return net, torch.tensor([[0.2, 0.1], [-0.7, 0.4], [1.1, -0.3]], dtype=F64)


@exercise("ch1-ex6", rtol=1e-6, atol=1e-9, inputs=_net_and_points,
          hint="eqs. (17)–(18) with BN: W_i → W_i / σ_i rowwise, b_i → −μ_i / σ_i; Q_i = diag(q_i) from net.codes")
def _affine_map_by_autograd():
    # an independent route: A(x) is the Jacobian of the network at x, B(x) = f(x) − A(x) x
    net, X = _net_and_points()
    A = torch.stack([torch.autograd.functional.jacobian(lambda x: net(x[None], statistics="stored")[0], x)
                     for x in X])
    B = net(X, statistics="stored") - (A @ X[:, :, None]).squeeze(-1)
    return torch.cat([A.detach().flatten(), B.detach().flatten()]).numpy()
