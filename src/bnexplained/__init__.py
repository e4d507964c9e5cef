"""bnexplained (``import bnexplained as bnx``): the library behind the book *BN Explained*.

Batch normalization seen through the spline partition of a deep network, after
R. Balestriero and R. G. Baraniuk, *Batch Normalization Explained* (arXiv:2209.14778).
One module per idea, in the order of the paper:

Networks and their partitions
* ``device``        – where tensors live (CUDA when present, else CPU); one-thread runs for small work
* ``normalization`` – the per-unit step of a layer: plain bias (eq. 1) or BN (eqs. 2–3)
* ``networks``      – ``SplineMLP``: codes, affine maps, statistics set by hand (Appendix A)
* ``convnets``      – ``ResNet9``: the DAWNBench ResNet9 of Figures 4 and 10, statistics fitted on all data
* ``sequential``    – the one network interface: a ``SplineMLP`` or any ``nn.Sequential`` of Linear/BN/piecewise-linear
                      layers (and residual blocks) as spline steps (``as_network``), the input of every tool
* ``partition``     – the partition of a 2-D input space (eqs. 10–12): the ``Extent`` type; on a grid
                      (``partition.grid``); exactly, as polygons, codes, maps, facets (``partition.exact``)

One layer (Section 2, Appendix C)
* ``geometry``      – one layer's hyperplanes: distances (eq. 7), the TLS distance (eqs. 8–9), region counts
* ``parameters``    – BN's γ and β: absorbing γ into the next layer (Proposition 1)

Many layers (Section 3)
* ``translation``   – μ translates (folded) hyperplanes: Theorem 2, Corollary 1, Figure 2(a)(b)
* ``folding``       – σ folds the next layer's hyperplanes: Theorem 3, eqs. (23)–(26), Figures 2(c) and 9
* ``density``       – how densely the partition crowds around points: grid counts and estimators (Section 3.3)

What BN buys (Sections 4 and 5)
* ``training``      – plain SGD, evaluation with whole-training-set BN statistics, lr × seed sweeps
* ``initialization`` – Section 4's three initializations of the same random weights
* ``decision_boundary`` – Proposition 3: one-sided mini-batches at initialization
* ``batch_noise``   – BN's statistics as random estimates: Proposition 2 (eq. 13), mini-batch samplers
* ``noisy_bn``      – noise-controlled BN: ``NoisyBatchNorm1d/2d``, ``noise_controlled`` (Section 5)
* ``margins``       – a binary classifier's decision function and boundary, each point's distance to it
* ``jitter``        – a BN network under the statistics of random mini-batches (Figure 6)

The book's machinery
* ``data``          – generated 2-D shapes and bundled digits (no downloads); a CIFAR reader
* ``recipes``       – the book's own recipes: the figures' networks and experiments, at CPU or paper scale
* ``cache``         – results cached on disk, keyed by configuration
* ``colab``         – what installing the library changed (each chapter's first cell reports it)
* ``plotting``      – drawing partitions and data; scrubbable animations for static pages (package)
* ``widgets``       – live dashboards (package; ``Dashboard`` is the base)
* ``verify``        – one checker per claim of the paper (package)
* ``exercises``     – self-checking exercises
* ``scorecard``     – every claim of the paper, where the book reproduces it, checked now
* ``prose``         – numbers computed in a cell and glued into the text (myst-nb ``glue``)
"""
from . import (
    batch_noise, cache, data, decision_boundary, density, exercises, folding, geometry, initialization, jitter,
    margins, noisy_bn, parameters, partition, plotting, prose, recipes, scorecard, training, translation, verify,
    widgets,
)
from .convnets import ResNet9
from .decision_boundary import decision_values, one_sided_batches, one_sided_rates
from .density import facet_concentration
from .device import device, seed_everything, single_thread
from .geometry import (
    arrangement_regions, hyperplane_distance, hyperplane_segments, max_regions, tls_distance, tls_fitting_error,
    tls_minimizer, unit_hyperplanes,
)
from .initialization import INITIALIZATIONS, initialize, initializations
from .margins import decision_boundary_lines, decision_function, margin_distances
from .networks import ACTIVATIONS, SplineMLP
from .noisy_bn import NoisyBatchNorm1d, NoisyBatchNorm2d, noise_controlled
from .normalization import MODES, Normalization
from .parameters import absorb_gamma, gamma_identity
from .recipes.parameters import compare_learnable_affine
from .partition import (
    Extent, Facets, Partition, as_extent, data_extent, exact_partition, folded_hyperplane_distance,
    folded_hyperplane_lines, grid_preactivations, inscribed_radius, make_grid, partition_boundaries, zero_set_lines,
)
from .prose import glue
from .sequential import Abs, NonFiniteNetwork, Residual, SplineNetwork, UnsupportedNetwork, as_network

__version__ = cache.VERSION

__all__ = [
    # modules
    "batch_noise", "cache", "data", "decision_boundary", "density", "exercises", "folding", "geometry",
    "initialization", "jitter", "margins", "noisy_bn", "parameters", "partition", "plotting", "prose", "recipes",
    "scorecard", "training", "translation", "verify", "widgets",
    # networks and partitions
    "ACTIVATIONS", "MODES", "Abs", "Extent", "Facets", "NonFiniteNetwork", "Normalization", "Partition", "ResNet9",
    "Residual", "SplineMLP", "SplineNetwork", "UnsupportedNetwork",
    "as_extent", "as_network", "data_extent", "device", "exact_partition", "folded_hyperplane_distance", "folded_hyperplane_lines",
    "grid_preactivations", "inscribed_radius", "make_grid", "partition_boundaries", "seed_everything",
    "single_thread", "zero_set_lines", "glue",
    # one layer
    "absorb_gamma", "arrangement_regions", "compare_learnable_affine", "gamma_identity", "hyperplane_distance",
    "hyperplane_segments", "max_regions", "tls_distance", "tls_fitting_error", "tls_minimizer", "unit_hyperplanes",
    # many layers
    "facet_concentration",
    # what BN buys
    "INITIALIZATIONS", "NoisyBatchNorm1d", "NoisyBatchNorm2d", "decision_boundary_lines", "decision_function",
    "decision_values", "initialize", "initializations", "margin_distances",
    "noise_controlled", "one_sided_batches", "one_sided_rates",
]
