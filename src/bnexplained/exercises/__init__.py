"""Self-checking exercises: ``bnx.exercises.check("ch3-ex2", answer)`` says right or not yet.

Each chapter's computational exercises register a reference answer here (one module per
chapter, ``ch01.py``, ``ch03.py``, ...; discovered automatically). ``check`` compares a
student's answer with it within a tolerance and never prints the reference.

Fill-in exercises ("write BN yourself") register ``inputs`` too: the student passes a *function*,
``check`` calls it on those inputs and compares what it returns with a reference computed by an
independent route (``torch.nn.BatchNorm1d``, autograd). A stub that raises ``NotImplementedError``
is reported as "not written yet", so a notebook with unanswered cells still runs top to bottom.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["exercise", "check", "inputs", "keys", "reference", "Exercise"]


@dataclass
class Exercise:
    key: str
    solve: Callable[[], object]
    rtol: float = 1e-3
    atol: float = 1e-6
    hint: str = ""
    inputs: Callable[[], tuple] | None = None


_REGISTRY: dict = {}


def exercise(key: str, *, rtol: float = 1e-3, atol: float = 1e-6, hint: str = "", inputs=None):
    """Register ``solve()`` (computes the reference answer) under ``key``, e.g. ``"ch1-ex2"``.

    With ``inputs`` (a function returning a tuple of arguments) the exercise expects a function
    from the student, called as ``answer(*inputs())``.
    """
    def register(solve):
        if key in _REGISTRY:
            raise ValueError(f"exercise {key!r} is registered twice")
        _REGISTRY[key] = Exercise(key, solve, rtol, atol, hint, inputs)
        return solve
    return register


def keys(fill_in: bool | None = None) -> list:
    """Every registered exercise key, sorted; ``fill_in=True`` (``False``) only the exercises that
    take (do not take) the student's function."""
    return sorted(k for k, ex in _REGISTRY.items() if fill_in is None or (ex.inputs is not None) == fill_in)


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


def inputs(key: str) -> tuple:
    """The arguments a fill-in exercise calls the student's function with (to try it by hand)."""
    if key not in _REGISTRY or _REGISTRY[key].inputs is None:
        raise ValueError(f"{key!r} is not a fill-in exercise; those are: "
                         f"{', '.join(keys(fill_in=True))}")
    return _REGISTRY[key].inputs()


def _call(ex: Exercise, answer) -> tuple:
    """A fill-in exercise's answer: the student's function applied to the exercise's inputs."""
    if not callable(answer):
        return None, f"pass your function itself (e.g. check({ex.key!r}, my_function)), not its result"
    try:
        out = answer(*ex.inputs())
    except NotImplementedError:
        return None, "not written yet: replace the `raise NotImplementedError` line with your code"
    if out is None:
        return None, "your function returned None; did you forget `return`?"
    if isinstance(out, (tuple, list)):                  # several results: compared as one flat vector
        try:
            out = np.concatenate([np.ravel(np.asarray(o.detach().cpu() if hasattr(o, "detach") else o, dtype=float))
                                  for o in out])
        except (TypeError, ValueError):
            return None, "return numbers or tensors"
    return out, ""


def check(key: str, answer, *, quiet: bool = False) -> bool:
    """Compare ``answer`` with the reference of exercise ``key``; print a verdict, return it.

    For a fill-in exercise ``answer`` is the student's function (see :func:`inputs`).
    """
    if key not in _REGISTRY:
        raise ValueError(f"no exercise {key!r}; known: {', '.join(keys())}")
    ex = _REGISTRY[key]
    why = ""
    if ex.inputs is not None:
        answer, why = _call(ex, answer)
    ok, why = (False, why) if why else _close(answer, ex.solve(), ex.rtol, ex.atol)
    if not quiet:
        if ok:
            print(f"✅ {key}: correct.")
        else:
            print(f"❌ {key}: not yet." + (f" ({why})" if why else "") + (f" Hint: {ex.hint}" if ex.hint else ""))
    return ok


for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    importlib.import_module(f"{__name__}.{_info.name}")
