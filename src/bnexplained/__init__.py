"""bnexplained (``import bnexplained as bnx``): the library behind the book *BN Explained*.

Batch normalization seen through the spline partition of a deep network, after
R. Balestriero and R. G. Baraniuk, *Batch Normalization Explained* (arXiv:2209.14778).

Modules, one idea each:

* ``device``        – where tensors live (CUDA when present, else CPU)
* ``normalization`` – the per-unit step of a layer: plain bias (eq. 1) or BN (eqs. 2–3)
* ``networks``      – ``SplineMLP``: codes, affine maps, statistics set by hand (Appendix A)
* ``convnets``      – ``ResNet9``: the DAWNBench ResNet9 of Figures 4 and 10, statistics fitted on all data
* ``partition``     – the partition of a 2-D input space on a grid (eq. 10), folded hyperplanes
* ``exact``         – the exact partition of a 2-D square: polygons, codes, maps, facets (eqs. 10–12)
* ``sequential``    – any ``nn.Sequential`` of Linear/BN/piecewise-linear layers (and residual blocks) as spline steps
* ``data``          – generated 2-D shapes and bundled digits (no downloads)
* ``training``      – plain SGD, evaluation with whole-training-set BN statistics, lr × seed sweeps
* ``cache``         – results cached on disk, keyed by configuration
* ``plotting``      – drawing partitions and data; scrubbable animations for static pages (package)
* ``widgets``       – live dashboards (package; ``Dashboard`` is the base)
* ``verify``        – one checker per claim of the paper (package)
* ``exercises``     – self-checking exercises
* ``scorecard``     – every claim of the paper, where the book reproduces it, checked now
"""
from . import cache, data, exercises, plotting, scorecard, verify, widgets
from .device import device, seed_everything
from . import training
from .convnets import ResNet9
from .exact import Facets, Partition, exact_partition, folded_hyperplane_distance
from .networks import ACTIVATIONS, SplineMLP
from .normalization import MODES, Normalization
from .sequential import Abs, Residual
from .partition import (
    data_extent,
    folded_hyperplane_lines,
    grid_preactivations,
    inscribed_radius,
    make_grid,
    partition_boundaries,
)

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS", "MODES", "Normalization", "SplineMLP", "cache", "data", "data_extent", "device", "exercises",
    "folded_hyperplane_lines", "grid_preactivations", "inscribed_radius", "make_grid",
    "partition_boundaries", "plotting", "scorecard", "seed_everything", "verify", "widgets",
    "Abs", "Facets", "Partition", "Residual", "exact_partition", "folded_hyperplane_distance",
]
__all__ += ["ResNet9", "training"]  # convnets, training (infra)
