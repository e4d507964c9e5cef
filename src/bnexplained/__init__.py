"""bnexplained (``import bnexplained as bnx``): the library behind the book *BN Explained*.

Batch normalization seen through the spline partition of a deep network, after
R. Balestriero and R. G. Baraniuk, *Batch Normalization Explained* (arXiv:2209.14778).

Modules, one idea each:

* ``device``        – where tensors live (CUDA when present, else CPU)
* ``normalization`` – the per-unit step of a layer: plain bias (eq. 1) or BN (eqs. 2–3)
* ``networks``      – ``SplineMLP``: codes, affine maps, statistics set by hand (Appendix A)
* ``convnets``      – ``ResNet9``: the DAWNBench ResNet9 of Figures 4 and 10, statistics fitted on all data
* ``partition``     – the partition of a 2-D input space on a grid (eq. 10), folded hyperplanes
* ``geometry``      – one layer's hyperplanes: distances (eq. 7), the TLS distance (eqs. 8–9), region counts
* ``parameters``    – BN's γ and β: absorbing γ into the next layer (Proposition 1, Appendix C)
* ``learnable_affine`` – the Table 1 experiment, small scale: training with learned vs fixed γ, β
* ``exact``         – the exact partition of a 2-D square: polygons, codes, maps, facets (eqs. 10–12)
* ``sequential``    – any ``nn.Sequential`` of Linear/BN/piecewise-linear layers (and residual blocks) as spline steps
* ``translation``   – μ translates (folded) hyperplanes: Theorem 2, Corollary 1, Figure 2(a)(b)
* ``folding``       – σ folds the next layer's hyperplanes: Theorem 3, eqs. (23)–(26), Figures 2(c) and 9
* ``density``       – how densely the partition crowds around points: grid counts and estimators (Section 3.3)
* ``data``          – generated 2-D shapes and bundled digits (no downloads)
* ``training``      – plain SGD, evaluation with whole-training-set BN statistics, lr × seed sweeps
* ``initialization`` – Section 4's three initializations of the same random weights
* ``decision_boundary`` – a binary classifier's decision boundary; Proposition 3's mini-batches
* ``smart_init``    – Section 4's experiment (Figures 5, 10) at CPU or paper scale
* ``batch_noise``   – BN's statistics as random estimates: Proposition 2 (eq. 13), mini-batch samplers
* ``noisy_bn``      – noise-controlled BN: ``NoisyBatchNorm1d/2d``, ``noise_controlled`` (Section 5)
* ``margins``       – decision boundary of a binary classifier, distance of each point to it
* ``jitter``        – a BN network under the statistics of random mini-batches (Figure 6)
* ``cache``         – results cached on disk, keyed by configuration
* ``plotting``      – drawing partitions and data; scrubbable animations for static pages (package)
* ``widgets``       – live dashboards (package; ``Dashboard`` is the base)
* ``verify``        – one checker per claim of the paper (package)
* ``exercises``     – self-checking exercises
* ``scorecard``     – every claim of the paper, where the book reproduces it, checked now
"""
from . import cache, data, exercises, plotting, scorecard, verify, widgets
from . import geometry, parameters
from . import batch_noise, jitter, margins, noisy_bn
from .device import device, seed_everything
from . import training
from .convnets import ResNet9
from .exact import Facets, Partition, exact_partition, folded_hyperplane_distance
from . import density
from .density import facet_concentration
from .networks import ACTIVATIONS, SplineMLP
from .normalization import MODES, Normalization
from .sequential import Abs, Residual
from .noisy_bn import NoisyBatchNorm1d, NoisyBatchNorm2d, noise_controlled
from .margins import margin_distances
from .partition import (
    data_extent,
    folded_hyperplane_lines,
    grid_preactivations,
    inscribed_radius,
    make_grid,
    partition_boundaries,
)
from .geometry import (
    arrangement_regions,
    hyperplane_distance,
    hyperplane_segments,
    max_regions,
    tls_distance,
    tls_fitting_error,
    tls_minimizer,
    unit_hyperplanes,
)
from .parameters import absorb_gamma, gamma_identity
from . import learnable_affine
from .learnable_affine import compare_learnable_affine

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS", "MODES", "Normalization", "SplineMLP", "cache", "data", "data_extent", "device", "exercises",
    "folded_hyperplane_lines", "grid_preactivations", "inscribed_radius", "make_grid",
    "partition_boundaries", "plotting", "scorecard", "seed_everything", "verify", "widgets",
    "Abs", "Facets", "Partition", "Residual", "exact_partition", "folded_hyperplane_distance",
    "batch_noise", "jitter", "margins", "noisy_bn", "NoisyBatchNorm1d", "NoisyBatchNorm2d", "noise_controlled",
    "margin_distances",
]
__all__ += ["geometry", "parameters", "absorb_gamma", "arrangement_regions", "gamma_identity", "hyperplane_distance",
            "hyperplane_segments", "max_regions", "tls_distance", "tls_fitting_error", "tls_minimizer",
            "unit_hyperplanes", "learnable_affine", "compare_learnable_affine"]  # one layer (chapters 2-3)
__all__ += ["ResNet9", "training"]  # convnets, training (infra)
from . import folding, translation  # noqa: E402  (many layers: Theorems 2-3)
__all__ += ["folding", "translation"]
__all__ += ["density", "facet_concentration"]  # density (Section 3.3)
from . import decision_boundary, initialization, smart_init  # noqa: E402  (smart-init)
from .decision_boundary import decision_boundary_lines, decision_values, one_sided_batches, one_sided_rates  # noqa: E402
from .initialization import INITIALIZATIONS, initialize, initializations  # noqa: E402
__all__ += ["INITIALIZATIONS", "initialize", "initializations", "decision_boundary", "initialization", "smart_init",
            "decision_boundary_lines", "decision_values", "one_sided_batches", "one_sided_rates"]  # smart-init
