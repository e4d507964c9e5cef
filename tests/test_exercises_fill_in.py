"""The fill-in exercises ("write BN yourself"): a correct function passes, a plausible mistake fails,
and an unwritten stub is reported as such instead of raising."""
import torch

import bnexplained as bnx


def bn_train(z, gamma, beta, eps=1e-5):
    return gamma * (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + eps) + beta


def bn_eval(batches, z, gamma, beta, eps=1e-5, momentum=0.1):
    mean, var = torch.zeros(z.shape[1], dtype=z.dtype), torch.ones(z.shape[1], dtype=z.dtype)
    for b in batches:
        mean = (1 - momentum) * mean + momentum * b.mean(0)
        var = (1 - momentum) * var + momentum * b.var(0, unbiased=True)
    return gamma * (z - mean) / torch.sqrt(var + eps) + beta


def affine_map(net, X):
    A, B = [], []
    for x in X:
        Ai, Bi = torch.eye(2, dtype=x.dtype), torch.zeros(2, dtype=x.dtype)
        for W, mu, sigma, q in zip(net.weights, net.mu, net.sigma, [c[0] for c in net.codes(x[None], "stored")]):
            Ai = q[:, None] * (W / sigma[:, None]) @ Ai
            Bi = q * ((W / sigma[:, None]) @ Bi - mu / sigma)
        A.append(Ai)
        B.append(Bi)
    return torch.stack(A), torch.stack(B)


def tls(W, mu, V):
    return (((V @ W.T - mu) / W.norm(dim=1)) ** 2).mean(0)


def test_correct_functions_pass():
    assert bnx.exercises.check("ch1-ex4", bn_train)
    assert bnx.exercises.check("ch1-ex5", bn_eval)
    assert bnx.exercises.check("ch1-ex6", affine_map)
    assert bnx.exercises.check("ch3-ex5", tls)


def test_classic_mistakes_fail(capsys):
    unbiased = lambda z, g, b: g * (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=True) + 1e-5) + b  # noqa: E731
    assert not bnx.exercises.check("ch1-ex4", unbiased)
    biased_running = lambda bs, z, g, b: bn_eval([x * 1.0 for x in bs], z, g, b, momentum=0.9)  # noqa: E731
    assert not bnx.exercises.check("ch1-ex5", biased_running)
    no_sigma = lambda W, mu, V: ((V @ W.T - mu) ** 2).mean(0)  # noqa: E731
    assert not bnx.exercises.check("ch3-ex5", no_sigma)
    assert "not yet" in capsys.readouterr().out


def test_a_stub_or_a_result_is_explained(capsys):
    def stub(*args):
        raise NotImplementedError
    assert not bnx.exercises.check("ch1-ex4", stub)
    assert "not written yet" in capsys.readouterr().out
    assert not bnx.exercises.check("ch1-ex4", lambda *a: None)
    assert "returned None" in capsys.readouterr().out
    assert not bnx.exercises.check("ch1-ex4", torch.zeros(32, 4))
    assert "pass your function itself" in capsys.readouterr().out
    Z, gamma, beta = bnx.exercises.inputs("ch1-ex4")
    assert Z.shape == (32, 4) and gamma.shape == beta.shape == (4,)
