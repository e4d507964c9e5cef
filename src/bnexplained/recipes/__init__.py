"""The book's own recipes: the networks of the paper's figures and the figure experiments, in one place.

The rest of the library holds general algorithms (a partition, a concentration count, a training
loop); what serves one figure of the paper or one chapter of the book (its network, its seeds, its
CPU and paper scales) lives here, one module per chapter, named like the chapter's ``plotting``,
``widgets`` and ``verify`` modules:

* ``scales``      – how large an experiment runs: a CPU scale, or the paper's scale on a CUDA device, and
                    ``shrink()``, the same branch at toy sizes (what the tests and ``make gpu-check`` run)
* ``splines``     – chapter 1: Figure 1's network
* ``parameters``  – chapter 2: the Table 1 experiment (learned vs fixed ``γ, β``), the exercise's network
* ``one_layer``   – chapters 2 and 3: the one BN layer of the dashboards and exercises
* ``many_layers`` – chapters 4 and 5: Figure 2's network, Figure 9's trained network
* ``density``     – chapter 6: the Figure 3 and Figure 4 experiments at CPU or paper scale
* ``smart_init``  – chapter 7: Section 4's experiment (Figures 5 and 10) at CPU or paper scale,
                    Proposition 3's classifier, the exercise's network
* ``jitter``      – chapter 8: Figure 6's networks, Figure 7's setting, the margin experiment

Recipes depend on the library; nothing in the library below ``widgets``, ``plotting``,
``exercises`` and ``scorecard`` depends on them.
"""
from . import density, jitter, many_layers, one_layer, parameters, scales, smart_init, splines
from .density import figure3, figure3_scale, figure4, figure4_scale
from .jitter import (
    FIGURE7_MEANS, FIGURE7_PRINTED_RANGES, FIGURE7_SPREADS, figure6_networks, figure7_distributions,
    figure7_range_ratios, figure7_training_set, margin_experiment, margin_run_model, margin_scale, margin_summary,
    margin_table,
)
from .many_layers import figure2_network, figure9_network
from .one_layer import one_layer_network
from .parameters import compare_learnable_affine
from .scales import SCALE_NAMES, scale_name
from .smart_init import proposition_3_network
from .splines import figure1_network

__all__ = [
    # modules
    "density", "jitter", "many_layers", "one_layer", "parameters", "scales", "smart_init", "splines",
    # scales
    "SCALE_NAMES", "scale_name", "figure3_scale", "figure4_scale", "margin_scale",
    # networks
    "figure1_network", "figure2_network", "figure9_network", "one_layer_network", "proposition_3_network",
    "figure6_networks",
    # experiments
    "compare_learnable_affine", "figure3", "figure4",
    "FIGURE7_MEANS", "FIGURE7_PRINTED_RANGES", "FIGURE7_SPREADS", "figure7_distributions", "figure7_range_ratios",
    "figure7_training_set", "margin_experiment", "margin_run_model", "margin_summary", "margin_table",
]
