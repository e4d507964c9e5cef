"""Chapter 4 (μ translates folded hyperplanes): reference answers."""
from .. import data
from ..partition import exact_partition
from ..translation import minimal_counterexample, projection, with_mu
from ..recipes.many_layers import figure2_network
from . import exercise


@exercise("ch4-ex1", rtol=1e-6, atol=1e-9,
          hint="eq. (7): |⟨w_2,3, z_1(x)⟩ − μ_2,3| / ‖w_2,3‖, with z_1(x) = net.layer_inputs(x)[1]")
def _distance_in_layer_2():
    X = data.star(50)
    net = figure2_network(X)
    u = projection(net, X[:1].double(), 2, 2)[0]
    w = net.weights[1][2].detach()
    return float((u - net.mu[1][2]).abs() / w.norm())


@exercise("ch4-ex2", rtol=1e-6, atol=1e-9,
          hint="on the negative side u(x) = α x_1, so the level set u = μ is the line x_1 = μ/α")
def _counterexample_distance():
    net, x, _, _ = minimal_counterexample()
    moved = with_mu(net, 2, 0, -0.35)
    return float(exact_partition(moved, 6.0).folded_hyperplane_distance(x, 2, 0)[0])
