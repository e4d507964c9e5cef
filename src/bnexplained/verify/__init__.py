"""One checker per claim of the paper, shared by the chapters and the tests.

Each checker returns a :class:`Report` (what was checked, the measured numbers, whether it
held). Checkers live in one module per part of the paper; every public name listed in a
module's ``__all__`` is re-exported here, so ``bnx.verify.theorem_1(...)`` works whichever
module defines it.
"""
from __future__ import annotations

import importlib
import pkgutil

from .report import Check, Report

__all__ = ["Check", "Report", "CHECKERS"]

#: claim name → checker function, filled by the modules of this package (for the scorecard)
CHECKERS: dict = {}

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name == "report":
        continue
    _mod = importlib.import_module(f"{__name__}.{_info.name}")
    for _name in getattr(_mod, "__all__", []):
        globals()[_name] = getattr(_mod, _name)
        __all__.append(_name)
        CHECKERS[_name] = getattr(_mod, _name)
