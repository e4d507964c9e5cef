"""Bundled and generated data sets: shapes, determinism, bad arguments."""
import pytest
import torch

import bnexplained as bnx


@pytest.mark.parametrize("name", sorted(bnx.data.TOY_DATASETS))
def test_toy_sets_are_deterministic_and_two_dimensional(name):
    a, b = bnx.data.toy_2d(name, 40, seed=3), bnx.data.toy_2d(name, 40, seed=3)
    assert a.shape == (40, 2) and torch.equal(a, b)
    assert not torch.equal(a, bnx.data.toy_2d(name, 40, seed=4))


def test_star_lies_near_a_star_of_radius_one():
    X = bnx.data.star(200, noise=0.0)
    r = X.norm(dim=1)
    assert r.max() <= 1.0 + 1e-6 and r.min() >= 0.3


def test_digits_ship_with_scikit_learn():
    X, y = bnx.data.digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert abs(X.mean().item()) < 1e-5 and abs(X.std().item() - 1) < 1e-3
    assert bnx.data.digits(flatten=False)[0].shape == (1797, 1, 8, 8)


def test_bad_data_arguments():
    with pytest.raises(ValueError, match="name must be one of"):
        bnx.data.toy_2d("spiral")
    with pytest.raises(ValueError, match="n must be an int"):
        bnx.data.star(1)
