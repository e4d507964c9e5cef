"""One network interface: every tool takes a SplineMLP or a supported nn.Sequential, and gives the
same answer for both (the Sequential twin is built by copying weights into torch modules)."""
import pytest
import torch
from hypothesis import given, settings
from torch import nn

import bnexplained as bnx
from bnexplained.sequential import NonFiniteNetwork, UnsupportedNetwork, as_network
from strategies import points, twins


@pytest.fixture(scope="module")
def trained():
    """A small nn.Sequential with BatchNorm1d trained on the star by a plain PyTorch loop, in eval mode."""
    torch.manual_seed(0)
    X = bnx.data.star(50)
    y = (X[:, 0] > 0).long()
    model = nn.Sequential(nn.Linear(2, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 6), nn.BatchNorm1d(6),
                          nn.LeakyReLU(0.1), nn.Linear(6, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(30):
        opt.zero_grad()
        nn.functional.cross_entropy(model(X), y).backward()
        opt.step()
    return model.eval(), X, y


def test_the_calls_of_issue_12_work_on_a_trained_sequential(trained):
    import matplotlib.pyplot as plt

    model, X, y = trained
    axes = bnx.plotting.plot_partition(model, X)
    assert len(axes) == 2
    plt.close("all")
    gp = bnx.partition_boundaries(model, 1.5, 64)
    assert gp.boundaries.shape == (2, 64, 64) and gp.boundaries.any()
    lines = bnx.folded_hyperplane_lines(model, 1.5, 64)
    assert len(lines) == 2 and len(lines[0]) == 6
    conc = bnx.facet_concentration(model, 1.5, 0.1)
    assert conc.counts.shape == (2, 256, 256)
    rep = bnx.verify.theorem_1(model, X)
    assert rep.held, str(rep)
    assert "net[0] (Linear) → net[1] (BatchNorm1d)" in rep.setting
    # Corollary 2 holds with β = 0; training moved β, and the checker sees the hyperplanes leave z̄
    rep = bnx.verify.corollary_2(model, X)
    assert not rep.held and "net[0] (Linear) → net[1] (BatchNorm1d)" in rep.setting
    fresh = nn.Sequential(nn.Linear(2, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2)).eval()
    assert bnx.verify.corollary_2(fresh, X).held
    rep = bnx.verify.theorem_3(model)
    assert rep.held, str(rep)
    assert "net[3] (Linear) → net[4] (BatchNorm1d)" in rep.setting
    # the mini-batch's statistics give another partition than the running ones
    a = bnx.partition_boundaries(model, 1.5, 64).boundaries
    b = bnx.partition_boundaries(model, 1.5, 64, batch=X[:8]).boundaries
    assert not torch.equal(a, b)


def test_checkers_that_need_bn_say_which_layers_qualify(trained):
    model, X, _ = trained
    mixed = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.BatchNorm1d(4), nn.ReLU()).eval()
    with pytest.raises(ValueError, match=r"layer 1 \(net\[1\] \(ReLU\)\) is not one; layers that qualify: \[2\]"):
        bnx.verify.theorem_1(mixed, X)
    assert bnx.verify.theorem_1(mixed, X, layer=2).held


def test_anything_else_gets_one_named_error_listing_what_is_supported():
    for bad in (nn.Sequential(nn.Linear(2, 3), nn.Tanh()), nn.Conv1d(1, 1, 1), "net", nn.LSTM(2, 2)):
        with pytest.raises(UnsupportedNetwork, match="nn.BatchNorm1d") as err:
            bnx.partition_boundaries(bad, 1.0, 16)
        assert isinstance(err.value, TypeError)


@settings(max_examples=15)
@given(case=twins())
def test_a_spline_mlp_and_its_sequential_twin_give_the_same_answers(case):
    net, twin, X = case
    with torch.no_grad():                                           # the twin is the same function
        torch.testing.assert_close(twin(X), net(X, statistics="stored"), rtol=1e-9, atol=1e-9)
    a, b = as_network(net), as_network(twin)
    assert a.widths == b.widths and a.out_features == b.out_features
    for h, g in zip(a.preactivations(X), b.preactivations(X)):
        torch.testing.assert_close(h, g, rtol=1e-9, atol=1e-9)
    ga, gb = (bnx.partition_boundaries(n, 2.0, 48).boundaries for n in (net, twin))
    assert (ga != gb).float().mean() <= 1e-3
    ca, cb = (bnx.facet_concentration(n, 2.0, 0.2, resolution=48).counts for n in (net, twin))
    assert (ca != cb).float().mean() <= 1e-3
    pa, pb = bnx.exact_partition(net, 2.0), bnx.exact_partition(twin, 2.0)
    assert pa.num_regions == pb.num_regions
    ra = bnx.inscribed_radius(net, X)
    torch.testing.assert_close(ra, bnx.inscribed_radius(twin, X), rtol=1e-8, atol=1e-10)
    if net.mode == "bn" and net.depth >= 1:
        for checker in (bnx.verify.theorem_1, bnx.verify.corollary_2):
            try:
                r1, r2 = checker(net, X), checker(twin, X)
            except ValueError as err:
                assert "σ = 0" in str(err)
                continue
            assert r1.held == r2.held
            assert [c.passed for c in r1.checks] == [c.passed for c in r2.checks]
    if net.depth >= 2:
        t1, t2 = bnx.folding.crossings(net, 2.0), bnx.folding.crossings(twin, 2.0)
        assert len(t1) == len(t2)
        torch.testing.assert_close(t1.points, t2.points, rtol=1e-7, atol=1e-9)


def test_bad_networks_get_named_errors():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    with torch.no_grad():
        net[0].weight[0, 0] = float("nan")
    with pytest.raises(NonFiniteNetwork, match=r"net\[0\] \(Linear\)"):
        bnx.exact_partition(net, 1.0)
    bn = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3, eps=0.0), nn.ReLU()).eval()
    with torch.no_grad():
        bn[1].running_var.zero_()
    with pytest.raises(NonFiniteNetwork, match="eps=0"):
        bnx.exact_partition(bn, 1.0)
    with pytest.raises(TypeError, match="dtype"):
        bnx.SplineMLP([2, 3], dtype=torch.int64)
    with pytest.raises(ValueError, match="extent"):
        bnx.exact_partition(bnx.SplineMLP([2, 3], "relu", "random_bias"), float("inf"))
    with pytest.raises(ValueError, match="extent"):
        bnx.exact_partition(bnx.SplineMLP([2, 3], "relu", "random_bias"), 1e300)
