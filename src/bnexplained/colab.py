"""What installing the library changed in a running session: the report of each chapter's first cell.

Colab ships its own packages (ipywidgets 7, its own torch, ...). The library's dependency ranges
accept them, so ``pip install`` should only add ``bnexplained``: nothing upgraded, nothing
downgraded, no restart. The first cell takes a snapshot of the installed packages, runs pip, and
hands the snapshot to :func:`report_install`, which says what pip did and whether to restart.
"""
from __future__ import annotations

import re
from importlib.metadata import distributions

__all__ = ["installed", "install_changes", "report_install"]


def _canonical(name: str) -> str:
    # PEP 503: "jupyterlab_widgets" and "jupyterlab-widgets" are the same package
    return re.sub(r"[-_.]+", "-", name).lower()


def installed() -> dict:
    """Every installed package: ``{name: version}`` (what the first cell takes before pip runs)."""
    return {d.metadata["Name"]: d.version for d in distributions() if d.metadata["Name"]}


def install_changes(before: dict, after: dict | None = None) -> tuple[dict, dict]:
    """``(added, changed)`` between two snapshots ``{name: version}``.

    ``added`` maps each new package to its version; ``changed`` maps each package that was there
    before to ``(old, new)``, with ``new=None`` when pip removed it. ``after`` defaults to now.
    """
    if not isinstance(before, dict):
        raise TypeError(f"before must be a dict {{name: version}}, got {type(before).__name__}")
    old = {_canonical(n): v for n, v in before.items() if n}
    new = {_canonical(n): v for n, v in (installed() if after is None else after).items() if n}
    added = {n: v for n, v in sorted(new.items()) if n not in old}
    changed = {n: (v, new.get(n)) for n, v in sorted(old.items()) if new.get(n) != v}
    return added, changed


def report_install(before: dict, after: dict | None = None) -> dict:
    """Print what pip added and changed since ``before``, and whether to restart; return the changes.

    The return value maps each changed package to ``(old, new)``: empty when nothing of the
    session's own packages moved, which is what the library's loose dependency ranges promise.
    """
    added, changed = install_changes(before, after)
    added_text = ", ".join(f"{n} {v}" for n, v in added.items()) or "nothing"
    if not changed:
        print(f"pip added {added_text} and changed none of the packages already installed: "
              "no restart needed.")
        return changed
    moves = ", ".join(f"{n} {a} -> {b or 'removed'}" for n, (a, b) in changed.items())
    print(f"pip added {added_text} and CHANGED {len(changed)} package(s) already installed: {moves}.\n"
          "Restart the session (Runtime > Restart session) before going on, so that Python loads "
          "the new versions.")
    return changed
