"""Live dashboards (ipywidgets): a figure that redraws when a control moves.

Every dashboard follows one protocol, :class:`Dashboard` (module ``dashboard``): controls, a
``scene`` drawn once, a ``move`` that updates what changes (blitted, so a move costs
milliseconds), ``draw`` for the complete picture, ``alt`` for its alt text, and a static export:
the controls named in ``website`` work on the book's website without a kernel (their pictures
precomputed and switched in the browser), the others are saved disabled with a line pointing to
Colab. ``benchmarks/widgets.py`` times a move of every control. Each chapter's dashboards live in
their own module here (listed below: ``tests/test_packages.py`` checks that every module's
``__all__`` is imported).
"""
from .dashboard import Dashboard
from .density import DensityExplorer
from .jitter import JitterExplorer
from .many_layers import Figure2Folding, Figure2Translation
from .one_layer import TLSExplorer
from .parameters import GammaBetaExplorer
from .smart_init import Proposition3Explorer, TrainingExplorer
from .splines import Figure1Explorer
from .your_network import BNUnitExplorer

__all__ = [
    "Dashboard", "DensityExplorer", "JitterExplorer", "Figure2Translation", "Figure2Folding",
    "TLSExplorer", "GammaBetaExplorer", "Proposition3Explorer", "TrainingExplorer", "Figure1Explorer",
    "BNUnitExplorer",
]
