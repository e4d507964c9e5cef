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
from .many_layers import Figure2Folding, Figure2Translation
from .one_layer import TLSExplorer
from .parameters import GammaBetaExplorer
from .smart_init import Proposition3Explorer, TrainingExplorer
from .splines import Figure1Explorer

__all__ = [
    "Dashboard", "BlitDashboard", "DensityExplorer", "JitterExplorer", "Figure2Translation", "Figure2Folding",
    "TLSExplorer", "GammaBetaExplorer", "Proposition3Explorer", "TrainingExplorer", "Figure1Explorer",
]
