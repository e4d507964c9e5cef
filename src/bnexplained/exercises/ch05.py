"""Chapter 5 (σ folds the partition toward the data): reference answers."""
from .. import data
from ..folding import dihedral_angles
from ..partition import data_extent
from ..recipes.many_layers import figure2_network
from . import exercise


@exercise("ch5-ex1", rtol=1e-6, atol=1e-9,
          hint="n_ω = w_2,kᵀ Q_1(ω) W_1 with Q_1 = diag(code_matrix(net, codes)); "
               "(26) is the angle between n_ω and n_ω'")
def _fold_angle_by_hand():
    X = data.star(50)
    net = figure2_network(X)
    da = dihedral_angles(net, data_extent(X), measure=False)
    return float(da.between[0])


@exercise("ch5-ex2", rtol=1e-9, atol=1e-12,
          hint="compare the i-th term of n_ω (1/σ) with that of n_ω' (α/σ)")
def _inactive_side_factor():
    return 0.1
