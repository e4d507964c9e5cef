"""Gather the public names of a package's modules (their ``__all__``) into the package itself.

Used by ``plotting``, ``widgets`` and ``verify``: each idea adds one module, and the package's
namespace (``bnx.widgets.Figure1Explorer``) picks it up without anyone editing ``__init__``.
"""
from __future__ import annotations

import importlib
import pkgutil


def reexport(package_name: str, path, namespace: dict, skip: tuple = (), first: tuple = ()) -> list:
    """Import every submodule of ``package_name`` (``first`` ones first) and copy its ``__all__`` names."""
    names = []
    mods = [m.name for m in pkgutil.iter_modules(path) if m.name not in skip and not m.name.startswith("_")]
    for name in list(first) + sorted(m for m in mods if m not in first):
        module = importlib.import_module(f"{package_name}.{name}")
        for public in getattr(module, "__all__", []):
            namespace[public] = getattr(module, public)
            names.append(public)
    return names
