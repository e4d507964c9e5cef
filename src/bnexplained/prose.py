"""Numbers computed in a cell and pasted into the prose (myst-nb's ``glue``), never typed.

``glue(name, value)`` records ``value`` under ``name`` in the cell's output the way
``myst_nb.glue(name, value, display=False)`` does (the same ``application/papermill.record/``
bundle), so the page's text can show it with ``{glue:text}`name:.2f``` and cannot drift from
the run. It needs no myst-nb at run time; in Colab, where no book is built, it records nothing.
Strings are recorded as they are (no quotes). ``ratio_in_words`` turns a share into the
simple fraction the prose reads ("one in ten", "two in five").
"""
from __future__ import annotations

import numbers
import sys
from fractions import Fraction

__all__ = ["glue", "ratio_in_words"]

_PREFIX = "application/papermill.record/"
_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def glue(name: str, value):
    """Record ``value`` (a number or a string) for ``{glue:text}`name``` (returns nothing, so a cell
    that ends with it shows no output).

    Numbers are stored as their ``repr`` (format them in the role, e.g. ``:.2f``); tensors and numpy
    scalars with one element are converted to a Python number first.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be an identifier-like string, got {name!r}")
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise TypeError(f"value must be a real number or a string, got {type(value).__name__}")
    if "google.colab" in sys.modules:
        return None
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:                       # plain Python: nothing to record into
        return None
    if get_ipython() is None:
        return None
    text = value if isinstance(value, str) else repr(float(value) if isinstance(value, float) else value)
    display({_PREFIX + "text/plain": text}, raw=True,
            metadata={"scrapbook": {"name": name, "mime_prefix": _PREFIX}})
    return None


def ratio_in_words(share: float, denominators=(2, 3, 4, 5, 10)) -> str:
    """The simple fraction nearest to ``share`` in words: ``0.38 → "two in five"``, ``0.1 → "one in ten"``.

    ``share`` in [0, 1]; the fraction with the smallest denominator among the nearest ones wins.
    """
    if not isinstance(share, numbers.Real) or not 0 <= share <= 1:
        raise ValueError(f"share must be a number in [0, 1], got {share!r}")
    best = min((abs(share - k / d), d, k) for d in denominators for k in range(d + 1))
    _, d, k = best
    f = Fraction(k, d)
    if f.numerator == 0:
        return "none"
    if f == 1:
        return "all"
    k, d = f.numerator, f.denominator
    return f"{_WORDS[k]} in {_WORDS[d]}"
