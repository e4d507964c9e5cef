"""Self-checking exercises: ``bnx.exercises.check("ch3-ex2", answer)`` says right or not yet.

Each chapter's computational exercises register a reference answer here (one module per
chapter, ``ch01.py``, ``ch03.py``, ...; discovered automatically). ``check`` compares a
student's answer with it within a tolerance and never prints the reference.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["exercise", "check", "keys", "reference", "Exercise"]


@dataclass
class Exercise:
    key: str
    solve: Callable[[], object]
    rtol: float = 1e-3
    atol: float = 1e-6
    hint: str = ""


_REGISTRY: dict = {}


def exercise(key: str, *, rtol: float = 1e-3, atol: float = 1e-6, hint: str = ""):
    """Register ``solve()`` (computes the reference answer) under ``key``, e.g. ``"ch1-ex2"``."""
    def register(solve):
        if key in _REGISTRY:
            raise ValueError(f"exercise {key!r} is registered twice")
        _REGISTRY[key] = Exercise(key, solve, rtol, atol, hint)
        return solve
    return register


def keys() -> list:
    """Every registered exercise key, sorted."""
    return sorted(_REGISTRY)


def reference(key: str):
    """The reference answer (for tests and instructors)."""
    if key not in _REGISTRY:
        raise ValueError(f"no exercise {key!r}; known: {', '.join(keys())}")
    return _REGISTRY[key].solve()


def _close(answer, ref, rtol, atol) -> tuple:
    if isinstance(ref, (set, frozenset)):
        try:
            return set(answer) == ref, ""
        except TypeError:
            return False, "the answer should be a collection"
    if isinstance(ref, (bool, str)):
        return answer == ref, ""
    try:
        a = np.asarray(answer.detach().cpu() if hasattr(answer, "detach") else answer, dtype=float)
    except (TypeError, ValueError):
        return False, "the answer should be a number or an array of numbers"
    r = np.asarray(ref, dtype=float)
    if a.shape != r.shape:
        return False, f"the answer has shape {a.shape}, expected shape {r.shape}"
    if not np.all(np.isfinite(a)):
        return False, "the answer contains NaN or infinite values"
    return bool(np.allclose(a, r, rtol=rtol, atol=atol)), ""


def check(key: str, answer, *, quiet: bool = False) -> bool:
    """Compare ``answer`` with the reference of exercise ``key``; print a verdict, return it."""
    if key not in _REGISTRY:
        raise ValueError(f"no exercise {key!r}; known: {', '.join(keys())}")
    ex = _REGISTRY[key]
    ok, why = _close(answer, ex.solve(), ex.rtol, ex.atol)
    if not quiet:
        if ok:
            print(f"✅ {key}: correct.")
        else:
            print(f"❌ {key}: not yet." + (f" ({why})" if why else "") + (f" Hint: {ex.hint}" if ex.hint else ""))
    return ok


for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    importlib.import_module(f"{__name__}.{_info.name}")
