"""One checker per claim of the paper, shared by the chapters and the tests.

Each checker returns a :class:`Report` (what was checked, the measured numbers, whether it
held). Checkers live in one module per part of the paper; every public name listed in a
module's ``__all__`` is re-exported here, so ``bnx.verify.theorem_1(...)`` works whichever
module defines it.
"""
from __future__ import annotations

from .._reexport import reexport
from .report import Check, Report

_checkers = reexport(__name__, __path__, globals(), skip=("report",))

#: checker name → function, one per claim (the reproduction scorecard walks this)
CHECKERS: dict = {name: globals()[name] for name in _checkers}

__all__ = ["Check", "Report", "CHECKERS"] + _checkers
