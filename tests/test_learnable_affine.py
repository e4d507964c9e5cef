"""Chapter 2's training experiment runs at both scales, is cached, and reports its spread honestly."""
import numpy as np
import pytest

import bnexplained as bnx


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BNX_CACHE", str(tmp_path))
    return tmp_path


def test_cpu_scale_compares_both_settings_and_is_cached(cache):
    kwargs = dict(scale="cpu", seeds=[0, 1], epochs=1, lrs=[0.1], widths=[64, 16], progress=False)
    r = bnx.compare_learnable_affine(**kwargs)
    assert not r.from_cache and r.scale == "cpu"
    assert list(r.sweeps) == list(bnx.recipes.parameters.SETTINGS)
    rows = r.summary()
    assert [row[0] for row in rows] == list(bnx.recipes.parameters.SETTINGS)
    for _, lr, mean, std, accs in rows:
        assert lr == 0.1 and len(accs) == 2 and 0 <= mean <= 1 and std >= 0
    diff, se = r.difference()
    assert np.isfinite(diff) and se >= 0
    shifts = r.hyperplane_shifts()
    assert len(shifts) == 1 and len(shifts[0]) == 2 * 16 and (shifts[0] >= 0).all()
    fixed = r.sweeps["fixed γ = 1, β = 0"].runs()[0].model
    assert not any("gamma" in name for name, _ in fixed.named_parameters())     # γ, β are not trained there
    again = bnx.compare_learnable_affine(**kwargs)
    assert again.from_cache and again.summary()[0][2] == rows[0][2]
    bnx.plotting.plot_affine_comparison(again)


def test_bad_arguments_are_refused(cache):
    with pytest.raises(ValueError, match="scale must be one of"):
        bnx.compare_learnable_affine(scale="tpu")
    with pytest.raises(ValueError, match="unknown settings"):
        bnx.compare_learnable_affine(scale="cpu", width=3)
    r = bnx.compare_learnable_affine(scale="cpu", seeds=[0], epochs=1, lrs=[0.1], widths=[64, 8], progress=False,
                                     keep_models=False)
    with pytest.raises(ValueError, match="keep_models=True"):
        r.hyperplane_shifts()
