"""Live dashboards (ipywidgets): a figure that redraws when a control moves.

Every dashboard is a :class:`Dashboard` (module ``dashboard``): controls, a matplotlib figure
kept off pyplot, and an ``update()`` that redraws and re-encodes the picture, so
``benchmarks/widgets.py`` can time exactly what a slider move costs. Each chapter's dashboards
live in their own module here (listed below: ``tests/test_packages.py`` checks that every module's
``__all__`` is imported) and pair with a kernel-free fallback (:func:`bnexplained.plotting.scrubbable`).
"""
from .dashboard import Dashboard
from .blitting import BlitDashboard
from .density import DensityExplorer
from .jitter import JitterExplorer
from .many_layers import Figure2Folding, Figure2Translation, figure2_network
from .one_layer import TLSExplorer, one_layer_network
from .parameters import GammaBetaExplorer
from .smart_init import Proposition3Explorer, TrainingExplorer, proposition_3_network
from .splines import Figure1Explorer, figure1_network

__all__ = [
    "Dashboard", "BlitDashboard", "DensityExplorer", "JitterExplorer", "figure2_network", "Figure2Translation",
    "Figure2Folding", "TLSExplorer", "one_layer_network", "GammaBetaExplorer", "Proposition3Explorer",
    "proposition_3_network", "TrainingExplorer", "Figure1Explorer", "figure1_network",
]
