"""Chapter 3 (μ translates the partition to the data): reference answers."""
import torch

from .. import data
from ..geometry import arrangement_regions, tls_distance
from ..recipes.one_layer import one_layer_network
from . import exercise


def _blobs_layer():
    X = data.blobs(80, dtype=torch.float64) + torch.tensor([1.0, 0.5], dtype=torch.float64)
    return one_layer_network(4, seed=2), X


@exercise("ch3-ex1", rtol=1e-6, atol=1e-9,
          hint="d = |X @ W.T − μ| / ‖w_k‖ (eq. 7); square, average over points (8), sum over units (9)")
def _tls_by_hand():
    net, X = _blobs_layer()
    W = net.weights[0].detach()
    mu, _ = net.statistics_of(X)
    return [tls_distance(X, W, torch.zeros(4, dtype=torch.float64)).item(), tls_distance(X, W, mu[0]).item()]


@exercise("ch3-ex3", rtol=0.0, atol=0.0,
          hint="bnx.arrangement_regions(W, offsets) counts the regions of lines ⟨w_k, z⟩ = offset_k exactly")
def _regions_central_vs_random():
    net = one_layer_network(8, seed=5)
    W = net.weights[0].detach()
    X = data.blobs(60, dtype=torch.float64)
    mu, _ = net.statistics_of(X)
    c = torch.randn(8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    return [arrangement_regions(W, mu[0]), arrangement_regions(W, -c)]


# ----------------------------------------------------------------- eq. (8) by hand (fill-in cell)
def _layer_and_data():
    g = torch.Generator().manual_seed(3)
    W = torch.randn(3, 2, generator=g, dtype=torch.float64) * 2
    V = torch.randn(40, 2, generator=g, dtype=torch.float64) + torch.tensor([1.0, -0.5], dtype=torch.float64)
    mu = torch.tensor([0.3, -1.0, 0.0], dtype=torch.float64)
    return W, mu, V


@exercise("ch3-ex5", rtol=1e-6, atol=1e-9, inputs=_layer_and_data,
          hint="eq. (7) per point and unit, squared, averaged over the points: one value per unit")
def _tls_by_projection():
    # an independent route: the foot of the perpendicular from each point onto each hyperplane
    W, mu, V = _layer_and_data()
    L = []
    for w, m in zip(W, mu):
        foot = V - ((V @ w - m) / (w @ w))[:, None] * w
        assert torch.allclose(foot @ w, m.expand(len(V)))     # the foot lies on the hyperplane
        L.append(((V - foot) ** 2).sum(1).mean())
    return torch.stack(L).numpy()
