"""Every auto-checked exercise against an answer computed by an independent route (closed form, NumPy
by hand, SciPy root finding, forward passes, brute force), never from the exercise's own reference:
the check accepts the oracle's answer and rejects it with a sign flipped, a wrong shape or a NaN."""
import math

import numpy as np
import pytest
import torch
from scipy import optimize, stats

import bnexplained as bnx
from bnexplained import recipes
from bnexplained.exercises import labs

F64 = torch.float64


# ---------------------------------------------------------------------------------------------- helpers
def _forward_codes(net, x: np.ndarray, dtype=np.float64) -> np.ndarray:
    """Every unit's code ``h ≥ 0`` of a BN ``SplineMLP`` with stored statistics, by hand in NumPy (eqs. 2, 15)."""
    z = x.astype(dtype)
    codes = []
    for lay in net.layers:
        W = lay.weight.detach().double().numpy().astype(dtype)
        mu, sigma = lay.norm.mu.double().numpy().astype(dtype), lay.norm.sigma.double().numpy().astype(dtype)
        gamma, beta = lay.norm.gamma.detach().double().numpy().astype(dtype), lay.norm.beta.detach().double().numpy().astype(dtype)
        h = gamma * (z @ W.T - mu) / sigma + beta
        codes.append(h >= 0)
        z = np.where(h >= 0, h, net.alpha * h).astype(dtype)
    return np.concatenate(codes, 1)


def _grid_regions(net, lo: float, hi: float, lo_y: float, hi_y: float, resolution: int) -> int:
    """Distinct codes met by a ``resolution²`` grid, the grid and the network by hand in NumPy."""
    xs, ys = np.linspace(lo, hi, resolution), np.linspace(lo_y, hi_y, resolution)
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    codes = _forward_codes(net, np.stack([xx.ravel(), yy.ravel()], 1))
    return len(np.unique(np.packbits(codes, axis=1), axis=0))


def _arrangement_regions(W: np.ndarray, offsets: np.ndarray, tol: float = 1e-9) -> int:
    """Regions of the lines ``⟨w_k, z⟩ = offset_k`` in the plane, added one by one: a line adds one region
    plus one per distinct point where it meets the lines before it (parallel lines meet none)."""
    regions = 1
    for i in range(len(W)):
        points = []
        for j in range(i):
            A = np.stack([W[i], W[j]])
            if abs(np.linalg.det(A)) < tol * np.linalg.norm(W[i]) * np.linalg.norm(W[j]):
                continue
            p = np.linalg.solve(A, [offsets[i], offsets[j]])
            if not any(np.linalg.norm(p - q) <= 1e-7 * (1 + np.linalg.norm(p)) for q in points):
                points.append(p)
        regions += 1 + len(points)
    return regions


def _grid_concentration(net, X: np.ndarray, eps: float, resolution: int, layers, dtype=np.float32) -> np.ndarray:
    """Section 3.3 on a grid, by hand: signs on a padded grid over the data's square (``margin`` 0.5),
    pixels whose sign differs from a 4-neighbour's, dilated by the disc of radius ``eps`` less half a step
    (scipy.ndimage), units counted; then the near (≤ 0.1) / far (> 0.5) ratio of the mean counts."""
    from scipy import ndimage

    lo, hi = X.min(0), X.max(0)
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * 1.5
    xs = np.linspace(centre[0] - half, centre[0] + half, resolution)
    ys = np.linspace(centre[1] - half, centre[1] + half, resolution)
    step = xs[1] - xs[0]
    pad = int(math.ceil(eps / step)) + 5
    idx = np.arange(-pad, resolution + pad)
    yy, xx = np.meshgrid(ys[0] + step * idx, xs[0] + step * idx, indexing="ij")
    codes = _forward_codes(net, np.stack([xx.ravel(), yy.ravel()], 1), dtype=dtype)
    n = resolution + 2 * pad
    r = eps - 0.5 * step
    k = int(r / step + 1e-9)
    o = np.arange(-k, k + 1) * step
    disc = o[:, None] ** 2 + o[None, :] ** 2 <= r ** 2 * (1 + 1e-9)
    starts = np.cumsum([0] + list(net.widths[1:]))
    inner = (slice(pad, pad + resolution),) * 2
    gy, gx = np.meshgrid(ys, xs, indexing="ij")
    d = np.sqrt(((np.stack([gx.ravel(), gy.ravel()], 1)[:, None] - X[None]) ** 2).sum(-1)).min(1).reshape(resolution,
                                                                                                          resolution)
    near, far = d <= 0.1, d > 0.5
    ratios = []
    for j in layers:
        S = codes[:, starts[j - 1]:starts[j]].reshape(n, n, -1)
        count = np.zeros((n, n))
        for u in range(S.shape[-1]):
            s = S[..., u]
            b = np.zeros_like(s)
            b[:, :-1] |= s[:, 1:] != s[:, :-1]
            b[:, 1:] |= s[:, 1:] != s[:, :-1]
            b[:-1, :] |= s[1:, :] != s[:-1, :]
            b[1:, :] |= s[1:, :] != s[:-1, :]
            count += ndimage.binary_dilation(b, structure=disc)
        c = count[inner]
        ratios.append(c[near].mean() / c[far].mean())
    return np.array(ratios)


def _bn_module(mean, var, weight, bias, eps):
    bn = torch.nn.BatchNorm1d(1, eps=eps, dtype=F64).eval()
    with torch.no_grad():
        bn.running_mean.fill_(mean)
        bn.running_var.fill_(var)
        bn.weight.fill_(weight)
        bn.bias.fill_(bias)
    return bn


# ---------------------------------------------------------------------------------------------- oracles
def _ch1_ex3():
    """Distinct codes on the 300² grid over [−1.2, 1.2]², forward passes by hand in NumPy."""
    net = recipes.splines.figure1_network(6, True, seed=0).fit_statistics(bnx.data.star(50))
    return _grid_regions(net, -1.2, 1.2, -1.2, 1.2, 300)


def _ch2_ex3():
    """The switching line found by root finding along the normal from BN's hyperplane (SciPy brentq)."""
    X = (bnx.data.star(60, dtype=F64) + torch.tensor([1.0, 0.5], dtype=F64)).numpy()
    w = recipes.one_layer.one_layer_network(1, seed=0).weights[0][0].detach().numpy()
    u = X @ w
    mu, sigma = u.mean(), u.std()
    n = w / np.linalg.norm(w)
    p0 = mu * w / (w @ w)                                            # on ⟨w, z⟩ = μ
    t = optimize.brentq(lambda t: 1.5 * ((p0 + t * n) @ w - mu) / sigma + 0.5, -100, 100, xtol=1e-14)
    return abs(t)


def _ch3_ex3():
    """Regions of the 8 lines counted incrementally (Euler's count for line arrangements)."""
    net = recipes.one_layer.one_layer_network(8, seed=5)
    W = net.weights[0].detach().numpy()
    u = bnx.data.blobs(60, dtype=F64).numpy() @ W.T
    c = torch.randn(8, generator=torch.Generator().manual_seed(0), dtype=F64).numpy()
    return [_arrangement_regions(W, u.mean(0)), _arrangement_regions(W, -c)]


def _ch4_ex1():
    """Eq. (7) in layer 2's input space, with z_1(x) computed by hand (eqs. 2, 15)."""
    X = bnx.data.star(50)
    net = recipes.many_layers.figure2_network(X)
    x = X[0].double().numpy()
    l1, l2 = net.layers
    h1 = (l1.weight.detach().numpy() @ x - l1.norm.mu.numpy()) / l1.norm.sigma.numpy()
    z1 = np.where(h1 >= 0, h1, net.alpha * h1)
    w = l2.weight[2].detach().numpy()
    return float(abs(w @ z1 - l2.norm.mu[2].item()) / np.linalg.norm(w))


def _ch5_ex1():
    """Eq. (26) measured: the angle between the gradients of h_2,k (autograd) just on either side of
    H_1,i at the first crossing (located by bnx.folding.crossings; no formula (23) involved)."""
    X = bnx.data.star(50)
    net = recipes.many_layers.figure2_network(X)
    cr = bnx.folding.crossings(net, bnx.data_extent(X))
    p, k, i = cr.points[0], int(cr.unit[0]), int(cr.boundary[0])
    n = net.weights[0][i].detach()
    n = n / n.norm()
    grads = []
    for side in (1e-6, -1e-6):
        x = (p + side * n).clone().requires_grad_(True)
        h = net.preactivations(x[None], "stored")[1][0, k]
        grads.append(torch.autograd.grad(h, x)[0])
    g1, g2 = grads
    return math.acos(min(1.0, abs(float(g1 @ g2)) / float(g1.norm() * g2.norm())))


def _ch5_ex2():
    """Eq. (23): across H_1,i the i-th code changes from 1 to α = 0.1."""
    return 0.1


def _ch6_ex2():
    """Layer 5's grid concentration and its near/far ratio, by hand (NumPy + scipy.ndimage)."""
    X = bnx.data.moons(100)
    net = bnx.SplineMLP([2] + [32] * 5, "leaky_relu", "bn", seed=0).fit_statistics(X)
    return float(_grid_concentration(net, X.numpy().astype(np.float64), 0.1, 100, [5])[0])


def _ch7_ex1():
    """−μ_1/σ_1 of X W_1ᵀ over the whole training set, in NumPy."""
    X = (bnx.data.circles(200, dtype=F64) + torch.tensor([2.0, 1.0], dtype=F64)).numpy()
    u = X @ recipes.smart_init.fold_exercise_network().weights[0].detach().numpy().T
    return -u.mean(0) / u.std(0)


def _ch7_ex2():
    """torch's own modules: BatchNorm1d (training mode) on a batch of two, LeakyReLU(0.1), the read-out."""
    h = torch.tensor([[3.0, -2.0], [1.0, 5.0]], dtype=F64)         # unit 1 → (+1, −1), unit 2 → (−1, +1)
    bn = torch.nn.BatchNorm1d(2, eps=1e-12, affine=False, dtype=F64).train()       # (eps > 0 required)
    out = torch.nn.Linear(2, 1, dtype=F64)
    with torch.no_grad():
        out.weight.copy_(torch.tensor([[1.0, 0.5]], dtype=F64))
        out.bias.zero_()
    return out(torch.nn.LeakyReLU(0.1)(bn(h)))[:, 0].detach().numpy()


def _ch7_ex3():
    """Binomial probabilities of 0 and of n positives (SciPy)."""
    return [stats.binom.pmf(0, n, 0.9) + stats.binom.pmf(n, n, 0.9) for n in (4, 16, 64)]


def _ch8_ex1():
    """Gaussian closed forms: var(μ_B) = s²/n, and n σ²_B / s² ~ χ²_{n−1} (SciPy's χ² variance)."""
    s2, n = 9.0, 64
    return [math.sqrt(s2 / n), math.sqrt(stats.chi2(n - 1).var() * (s2 / n) ** 2)]


def _ch8_ex2():
    """Brute force over virtual batch sizes m: var(μ) = s²/m nearest to 1.15 s²/512."""
    m = np.arange(1, 2048)
    return int(m[np.argmin(np.abs(1 / m - 1.15 / 512))])


def _ch9_ex1():
    """Root of torch's BatchNorm1d (eval mode) output, by SciPy brentq."""
    bn = _bn_module(0.5, 4.0, 2.0, 1.0, 1e-5)
    return optimize.brentq(lambda u: bn(torch.tensor([[u]], dtype=F64)).item(), -100, 100, xtol=1e-14)


def _ch9_ex2():
    """A random Linear(2, 8) + BatchNorm1d (β = 0) whose statistics come from the data: its 8 lines
    ⟨w_k, x⟩ + b_k = running_mean_k counted incrementally."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        lin = torch.nn.Linear(2, 8, dtype=F64)
    bn = torch.nn.BatchNorm1d(8, momentum=None, dtype=F64)
    X = bnx.data.moons(200, dtype=F64)
    with torch.no_grad():
        bn.train()(lin(X))
    W, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    return _arrangement_regions(W, bn.running_mean.numpy() - b)


@torch.no_grad()
def _ch9_ex3():
    """The weight that makes torch's BatchNorm1d (eps = 0) give its old outputs after running_var × 9,
    by least squares over many inputs (the output is affine in the weight)."""
    u = torch.linspace(-3, 3, 11, dtype=F64)[:, None]
    before = _bn_module(0.5, 4.0, 2.0, 1.0, 0.0)(u)
    after = lambda g: _bn_module(0.5, 36.0, g, 1.0, 0.0)(u)              # noqa: E731
    a, b = after(1.0) - after(0.0), after(0.0)
    return float(((before - b) * a).sum() / (a * a).sum()) / 2.0


def _lab1_ex1():
    """Distinct codes on the 300² grid over the moons' square (margin 0.1), by hand in NumPy."""
    X = bnx.data.moons(200)
    net = labs.lab1_network(True, 0).fit_statistics(X)
    Xn = X.double().numpy()
    lo, hi = Xn.min(0), Xn.max(0)
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * 1.1
    return _grid_regions(net, centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half, 300)


def _lab1_ex2():
    """The 5 lines of a ReLU BN layer fitted on the moons, counted incrementally."""
    net = bnx.SplineMLP([2, 5], "relu", "bn", seed=0, dtype=F64).fit_statistics(bnx.data.moons(200))
    return _arrangement_regions(net.weights[0].detach().numpy(), net.layers[0].norm.mu.numpy())


def _lab2_ex1():
    """Both layers' grid concentration and near/far ratios, by hand (NumPy + scipy.ndimage)."""
    X = bnx.data.star(50)
    net = bnx.SplineMLP([2, 16, 16], "leaky_relu", "bn", seed=0).fit_statistics(X)
    return _grid_concentration(net, X.numpy().astype(np.float64), 0.1, 128, [1, 2])


def _lab3_ex1():
    """The test accuracy of the BN start's last snapshot (a plain network), recomputed: its logits by hand
    in NumPy on the lab's 30% test split, argmax against the labels."""
    X, y = bnx.data.circles(400, noise=0.1, labels=True)
    runs = recipes.smart_init.trajectories(X, y, [2, 16, 16, 16, 16], lr=0.01, epochs=8, batch_size=16, seed=0)
    net = runs["bn"][0][-1]
    Xt, yt = bnx.training.split(X, y, val=0.0, test=0.3, seed=0).test
    z = Xt.double().numpy()
    for lay in net.layers:
        h = z @ lay.weight.detach().double().numpy().T + lay.norm.bias.detach().double().numpy()
        z = np.where(h >= 0, h, net.alpha * h)
    logits = z @ net.readout.weight.detach().double().numpy().T + net.readout.bias.detach().double().numpy()
    return float((logits.argmax(1) == yt.numpy()).mean())


ORACLES = {"ch1-ex3": _ch1_ex3, "ch2-ex3": _ch2_ex3, "ch3-ex3": _ch3_ex3, "ch4-ex1": _ch4_ex1, "ch5-ex1": _ch5_ex1,
           "ch6-ex2": _ch6_ex2, "ch7-ex1": _ch7_ex1, "ch7-ex2": _ch7_ex2, "ch7-ex3": _ch7_ex3, "ch8-ex1": _ch8_ex1,
           "ch8-ex2": _ch8_ex2, "ch9-ex1": _ch9_ex1, "ch9-ex2": _ch9_ex2, "ch9-ex3": _ch9_ex3, "lab1-ex1": _lab1_ex1,
           "lab1-ex2": _lab1_ex2, "lab2-ex1": _lab2_ex1, "lab3-ex1": _lab3_ex1}


def test_every_checked_exercise_has_an_independent_oracle():
    from test_exercises import ORACLES as EARLIER

    assert set(ORACLES) | set(EARLIER) == set(bnx.exercises.keys(fill_in=False))


@pytest.mark.parametrize("key", sorted(ORACLES))
def test_the_oracles_answer_passes_and_a_wrong_one_fails_with_a_reason(key, capsys):
    answer = ORACLES[key]()
    assert bnx.exercises.check(key, answer), key
    assert "correct" in capsys.readouterr().out
    a = np.asarray(answer, dtype=float)
    # off by a sign (every value here is nonzero), a wrong shape, a NaN: each refused, the last two say why
    assert np.all(a != 0)
    assert not bnx.exercises.check(key, -a, quiet=True)
    assert not bnx.exercises.check(key, np.append(a.ravel(), 1.0))
    assert "shape" in capsys.readouterr().out
    nan = np.where(np.arange(a.size).reshape(a.shape) == 0, np.nan, a)
    assert not bnx.exercises.check(key, nan)
    assert "NaN" in capsys.readouterr().out
