"""The plotting, widgets and verify packages gather their modules' names: no two modules may export the same one."""
import importlib
import pkgutil

import pytest

import bnexplained as bnx


@pytest.mark.parametrize("package", [bnx.plotting, bnx.widgets, bnx.verify])
def test_no_two_modules_export_the_same_name(package):
    owner = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name in getattr(module, "__all__", []):
            assert name not in owner, (f"{package.__name__}: {name!r} is exported by both {owner[name]} and "
                                       f"{info.name}; the package keeps only one of them")
            owner[name] = info.name
