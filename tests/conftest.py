"""Shared test settings (deterministic hypothesis runs, no plotting windows) and helpers
(``from conftest import fitted``)."""
import os

import matplotlib
import pytest
import torch
from hypothesis import HealthCheck, assume, settings

matplotlib.use("Agg")
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

# derandomize: the same run gives the same examples (the book's determinism rule)
settings.register_profile("default", deadline=None, max_examples=25, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", deadline=None, max_examples=300, derandomize=False,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request):
    return torch.device(request.param)


def fitted(net, seed: int, n: int = 40):
    """``net`` with BN statistics fitted on ``n`` random 2-D points drawn from ``seed`` (plain nets as they are)."""
    from strategies import points

    if net.mode == "bn":
        net.fit_statistics(points(n, 2, seed))
    return net


def fit_or_skip(net, X):
    """Fit ``net``'s BN statistics on ``X``; a hypothesis draw with a unit constant on ``X`` is skipped:
    σ = 0 (``fit_statistics`` rightly refuses it) or σ at rounding level (BN would normalize rounding
    noise, e.g. an abs layer maps a batch of two to one point). Returns ``net``."""
    try:
        net.fit_statistics(X)
    except ValueError as err:
        assert "σ = 0" in str(err)
        assume(False)
    assume(all(bool((s > 1e-9 * (m.abs() + s)).all()) for m, s in zip(net.mu, net.sigma)))
    return net
