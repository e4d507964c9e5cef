"""Self-checking exercises: answers computed by an independent route pass, a wrong one fails."""
import numpy as np
import pytest
import torch

import bnexplained as bnx
from bnexplained import recipes


def _ch1_ex1():
    """A(x) by multiplying diag(q_ℓ) · diag(γ/σ) W_ℓ by hand in NumPy (eqs. 16–18), no library map."""
    net = bnx.SplineMLP([2, 4, 3], "leaky_relu", "bn", seed=1, dtype=torch.float64)
    net.fit_statistics(bnx.data.moons(100, dtype=torch.float64))
    z = np.array([0.2, 0.1])
    A = np.eye(2)
    for lay in net.layers:
        W = lay.weight.detach().numpy() * (lay.norm.gamma / lay.norm.sigma).numpy()[:, None]
        h = W @ z + (lay.norm.beta - lay.norm.gamma * lay.norm.mu / lay.norm.sigma).numpy()
        q = np.where(h >= 0, 1.0, 0.1)
        A, z = q[:, None] * (W @ A), q * h
    return A


def _ch2_ex2():
    """W_2 diag(γ_1), written out."""
    net = recipes.parameters.gamma_beta_network()
    return net.layers[1].weight.detach().numpy() * np.array([0.5, 2.0, 1.5])[None, :]


def _ch3_ex1():
    """Eqs. (7)–(9) in NumPy: mean squared distances, summed over units, at μ = 0 and at the data mean."""
    X = (bnx.data.blobs(80, dtype=torch.float64) + torch.tensor([1.0, 0.5], dtype=torch.float64)).numpy()
    W = recipes.one_layer.one_layer_network(4, seed=2).weights[0].detach().numpy()
    u = X @ W.T
    norms = np.linalg.norm(W, axis=1)
    return [float(((u / norms) ** 2).mean(0).sum()), float((((u - u.mean(0)) / norms) ** 2).mean(0).sum())]


def _ch4_ex2():
    """Closed form: at μ < 0 the folded hyperplane of the minimal counterexample is the line x_1 = μ/α."""
    return 0.35 / 0.1


def _ch5_ex2():
    """Eq. (23): across H_1,i the i-th code changes from 1 to α = 0.1."""
    return 0.1


def _ch6_ex1():
    """Eq. (7) for layer 1 in NumPy, from W_1 and the stored μ_1."""
    net = bnx.SplineMLP([2, 6, 6, 6], "leaky_relu", "bn", seed=0).fit_statistics(bnx.data.star(50))
    W = net.weights[0].detach().double().numpy()
    mu = net.layers[0].norm.mu.double().numpy()
    d = np.abs(W @ np.array([0.4, -0.3]) - mu) / np.linalg.norm(W, axis=1)
    return int((d <= 0.25).sum())


ORACLES = {"ch1-ex1": _ch1_ex1, "ch2-ex2": _ch2_ex2, "ch3-ex1": _ch3_ex1, "ch4-ex2": _ch4_ex2, "ch5-ex2": _ch5_ex2,
           "ch6-ex1": _ch6_ex1}


@pytest.mark.parametrize("key", sorted(ORACLES))
def test_an_answer_computed_by_an_independent_route_passes(key, capsys):
    assert bnx.exercises.check(key, ORACLES[key]())
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("key", bnx.exercises.keys(fill_in=False))
def test_a_perturbed_answer_fails_without_revealing_the_reference(key, capsys):
    ref = bnx.exercises.reference(key)
    if isinstance(ref, (set, frozenset, bool, str)):
        assert not bnx.exercises.check(key, object(), quiet=True)
        return
    wrong = np.asarray(ref, dtype=float) * 1.1 + 3.0
    assert not bnx.exercises.check(key, wrong)
    out = capsys.readouterr().out
    assert "not yet" in out and str(np.asarray(ref).ravel()[0]) not in out.split("Hint")[0]


def test_unknown_key_and_malformed_answers():
    with pytest.raises(ValueError, match="no exercise"):
        bnx.exercises.check("ch99-ex9", 1)
    key = bnx.exercises.keys()[0]
    assert not bnx.exercises.check(key, "a string", quiet=True)
    assert not bnx.exercises.check(key, np.full(7, np.nan), quiet=True)
