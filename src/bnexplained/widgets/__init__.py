"""Live dashboards (ipywidgets): a figure that redraws when a control moves.

Every dashboard follows one protocol, :class:`Dashboard` (module ``dashboard``): controls, a
``scene`` drawn once, a ``move`` that updates what changes (blitted, so a move costs
milliseconds), ``draw`` for the complete picture, ``alt`` for its alt text, and a static export:
the controls named in ``website`` work on the book's website without a kernel (their pictures
precomputed and switched in the browser), the others are saved disabled with a line pointing to
Colab. ``benchmarks/widgets.py`` times a move of every control. Each chapter's dashboards live in
their own module here.
"""
from .._reexport import reexport

__all__ = reexport(__name__, __path__, globals(), first=("dashboard",))
