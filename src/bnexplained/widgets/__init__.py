"""Live dashboards (ipywidgets): a figure that redraws when a control moves.

Every dashboard is a :class:`Dashboard` (module ``dashboard``): controls, a matplotlib figure
kept off pyplot, and an ``update()`` that redraws and re-encodes the picture, so
``benchmarks/widgets.py`` can time exactly what a slider move costs. Each chapter's dashboards
live in their own module here and pair with a kernel-free fallback
(:func:`bnexplained.plotting.scrubbable`).
"""
from .._reexport import reexport

__all__ = reexport(__name__, __path__, globals(), first=("dashboard",))
