"""The on-disk result cache: same configuration loads, a new one recomputes."""
import pytest

import bnexplained as bnx


def test_cached_results_are_reused_and_keyed_by_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("BNX_CACHE", str(tmp_path))
    calls = []

    def compute():
        calls.append(1)
        return {"accuracy": [0.5, 0.75]}

    a = bnx.cache.cached("run", {"lr": 0.1}, compute)
    b = bnx.cache.cached("run", {"lr": 0.1}, compute)
    c = bnx.cache.cached("run", {"lr": 0.2}, compute)
    assert a == b == c and len(calls) == 2
    bnx.cache.cached("run", {"lr": 0.1}, compute, refresh=True)
    assert len(calls) == 3


def test_bad_cache_arguments(tmp_path, monkeypatch):
    monkeypatch.setenv("BNX_CACHE", str(tmp_path))
    with pytest.raises(ValueError, match="name must be"):
        bnx.cache.cached("a/b", {}, lambda: 1)
    with pytest.raises(TypeError, match="config must be a dict"):
        bnx.cache.cached("a", [1], lambda: 1)
