"""One network interface: every tool takes a SplineMLP or a supported nn.Sequential, and gives the
same answer for both (the Sequential twin is built by copying weights into torch modules)."""
import copy

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

import bnexplained as bnx
from bnexplained.sequential import NonFiniteNetwork, UnsupportedNetwork, as_network
from strategies import seeds, twin, twins


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


# ------------------------------------------------------------------ Proposition 1 and Figure 6 on a model
@st.composite
def twins_with_gammas(draw, readout=None, signs=True):
    """A BN twin pair whose γ's and β's are random (negative γ's too when ``signs``)."""
    net, _, X = draw(twins(readout=readout))
    assume(net.mode == "bn")
    gen = torch.Generator().manual_seed(draw(seeds))
    with torch.no_grad():
        for layer in net.layers:
            g = torch.rand(layer.norm.num_units, generator=gen, dtype=torch.float64) * 1.5 + 0.25
            if signs:
                g = g * torch.where(torch.rand(len(g), generator=gen) < 0.3, -1.0, 1.0).double()
            layer.norm.gamma.copy_(g)
            layer.norm.beta.copy_(torch.randn(len(g), generator=gen, dtype=torch.float64) * 0.5)
    return net, twin(net), X


@settings(max_examples=15)
@given(case=twins_with_gammas())
def test_absorb_gamma_gives_the_twin_the_same_function_with_gamma_one(case):
    """Independent oracle: torch's own forward of the absorbed nn.Sequential, in eval and train mode."""
    net, tw, X = case
    negative = any(bool((lay.norm.gamma < 0).any()) for lay in net.layers[:net.depth - (net.readout is None)])
    if negative and net.activation != "abs":
        with pytest.raises(ValueError, match="flip_signs=True"):
            bnx.absorb_gamma(tw)
    out = bnx.absorb_gamma(tw, flip_signs=True)
    assert isinstance(out, nn.Sequential) and out is not tw and not out.training
    with torch.no_grad():
        torch.testing.assert_close(out(X), tw(X), rtol=1e-10, atol=1e-10)                # running statistics
        torch.testing.assert_close(out(X), bnx.absorb_gamma(net, flip_signs=True)(X, statistics="stored"),
                                   rtol=1e-10, atol=1e-10)
        a, b = copy.deepcopy(tw), copy.deepcopy(out)
        for m in [*a.modules(), *b.modules()]:
            if isinstance(m, nn.BatchNorm1d):
                m.eps = 1e-5                                     # torch refuses eps = 0 in training mode
        torch.testing.assert_close(b.train()(X), a.train()(X), rtol=1e-9, atol=1e-9)     # batch statistics
    absorbed = bnx.parameters.absorbable_layers(tw)
    assert sorted(absorbed) == sorted(bnx.parameters.absorbable_layers(net))
    bns = [m for m in out if isinstance(m, nn.BatchNorm1d)]
    for ell in absorbed:
        assert bool((bns[ell - 1].weight == 1).all())


@settings(max_examples=15)
@given(case=twins_with_gammas())
def test_proposition_1_gives_the_same_verdicts_on_a_spline_mlp_and_its_twin(case):
    net, tw, X = case
    for flip in (False, True):
        try:
            r1 = bnx.verify.proposition_1(net, X, flip_signs=flip)
        except ValueError as err:
            if "flip" in str(err):
                with pytest.raises(ValueError, match="flip_signs=True"):
                    bnx.verify.proposition_1(tw, X, flip_signs=flip)
            continue                                 # (σ = 0: the twin's eps > 0 keeps its BN defined)
        r2 = bnx.verify.proposition_1(tw, X, flip_signs=flip)
        assert r1.held == r2.held
        assert r2.held                               # (an abs unit with γ < 0 flips its code, not its region)
        assert [c.passed for c in r1.checks] == [c.passed for c in r2.checks]
        assert len(r2.details["layers"]) == len(r1.details["layers"])
        assert all("(BatchNorm1d)" in name for name in r2.details["layers"])


def test_proposition_1_on_a_model_names_its_layers_and_catches_a_broken_absorption(trained):
    model, X, _ = trained
    rep = bnx.verify.proposition_1(model, X)
    assert rep.held, str(rep)
    assert "net[0] (Linear) → net[1] (BatchNorm1d) → net[2] (ReLU)" in rep.setting
    assert rep.details["layers"] == ["net[0] (Linear) → net[1] (BatchNorm1d) → net[2] (ReLU)",
                                     "net[3] (Linear) → net[4] (BatchNorm1d) → net[5] (LeakyReLU)"]

    def forgets_the_next_layer(m, flip_signs=False):
        out = bnx.absorb_gamma(m, flip_signs=flip_signs)
        with torch.no_grad():
            out[6].weight.copy_(m[6].weight)                          # γ of layer 2 dropped
        return out

    assert not bnx.verify.proposition_1(model, X, absorb=forgets_the_next_layer).held
    unlearned = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4, track_running_stats=False), nn.ReLU(),
                              nn.Linear(4, 1))
    with torch.no_grad():
        unlearned[1].weight.uniform_(0.5, 2.0)
    rep = bnx.verify.proposition_1(unlearned, X)
    assert rep.held and "track_running_stats=False" in str(rep)


def test_absorb_gamma_refuses_what_it_cannot_absorb_by_name(trained):
    model, _, _ = trained
    with pytest.raises(ValueError, match=r"layers must hold ints in 1..2"):
        bnx.absorb_gamma(model, layers=[3])
    no_next = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.ReLU()).eval()
    assert bnx.parameters.absorbable_layers(no_next) == {}                # as a SplineMLP without read-out
    assert torch.equal(bnx.absorb_gamma(no_next)[1].weight, no_next[1].weight)
    with pytest.raises(ValueError, match="layers that qualify: none"):
        bnx.absorb_gamma(no_next, layers=[1])
    with pytest.raises(ValueError, match="needs a BN network"):
        bnx.absorb_gamma(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)))
    skip = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.ReLU(),
                         bnx.Residual(nn.Sequential(nn.Linear(3, 3), nn.ReLU())), nn.Linear(3, 1)).eval()
    with pytest.raises(ValueError, match="followed by a Linear"):        # the skip also carries z_1
        bnx.absorb_gamma(skip, layers=[1])
    with pytest.raises(bnx.UnsupportedNetwork, match="nn.BatchNorm1d"):
        bnx.absorb_gamma(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Tanh(), nn.Linear(3, 1)))
    zero = copy.deepcopy(model)
    with torch.no_grad():
        zero[1].weight[2] = 0.0
    with pytest.raises(ValueError, match=r"γ = 0 in layer 1 \(net\[0\] \(Linear\) → net\[1\] \(BatchNorm1d\)\)"):
        bnx.absorb_gamma(zero)


@settings(max_examples=10)
@given(case=twins_with_gammas(readout=1, signs=False), virtual=st.sampled_from([None, 4]))
def test_boundary_draws_are_the_same_for_a_spline_mlp_and_its_twin(case, virtual):
    """Same mini-batches, same statistics layer by layer (and the same noise), same decision values."""
    from bnexplained.jitter import boundary_draws, minibatch_statistics

    net, tw, X = case
    try:
        a = boundary_draws(net, X, 8, 3, 2.0, 24, virtual_batch_size=virtual, seed=1)
    except ValueError as err:
        assert "σ = 0" in str(err)                 # a unit constant on a mini-batch (the twin's eps > 0 copes)
        return
    b = boundary_draws(tw, X, 8, 3, 2.0, 24, virtual_batch_size=virtual, seed=1)
    torch.testing.assert_close(b.values, a.values, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(b.reference, a.reference, rtol=1e-9, atol=1e-9)
    assert abs(a.mean_flip_share - b.mean_flip_share) <= 2 / 24 ** 2
    assert len(b.layers) == net.depth and all("BatchNorm1d" in name for name in b.layers)
    # the statistics of draw r, set by hand in the SplineMLP, are BN's own on that mini-batch
    mus, sigmas = minibatch_statistics(tw, X, 8, 3, seed=1)
    idx = torch.rand(3, len(X), generator=torch.Generator().manual_seed(1)).argsort(1)[:, :8]
    tw = copy.deepcopy(tw)
    for m in tw.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.eps = 1e-300                                       # torch refuses eps = 0 in training mode
    with torch.no_grad():
        torch.testing.assert_close(tw.train()(X[idx[2]]), net.set_statistics([m[2] for m in mus],
                                   [s[2] for s in sigmas])(X[idx[2]], statistics="stored"), rtol=1e-8, atol=1e-8)


def test_figure_6_tools_take_a_trained_sequential(trained):
    model, X, y = trained
    rep = bnx.verify.batch_jitter(model, X, (8, 50), draws=4, resolution=30)
    assert "net[1] (BatchNorm1d), net[4] (BatchNorm1d)" in rep.setting
    assert rep.details["layers"] == ["net[1] (BatchNorm1d)", "net[4] (BatchNorm1d)"]
    r = bnx.jitter.layer_statistic_variances(model, X, 16, 200)
    assert len(r["mu"]) == 2 and r["mu"][0].shape == (6,)
    w = bnx.widgets.JitterExplorer({"mine": model}, X, y, batch_sizes=(8, 16), virtual_batch_sizes=(4,),
                                   draws=2, resolution=20)
    assert len(w._cache) == 4 and w.png[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="no BN layer"):
        bnx.jitter.boundary_draws(nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1)), X, 8, 2, 2.0)
    with pytest.raises(bnx.UnsupportedNetwork, match="nn.BatchNorm1d"):
        bnx.widgets.JitterExplorer({"bad": nn.Sequential(nn.Linear(2, 4), nn.GELU(), nn.Linear(4, 1))}, X, y)


def test_jitter_tools_refuse_a_bn_inside_a_residual_shortcut_by_name():
    """A shortcut is read as one fixed affine map: its BN's statistics could not be redrawn with the others."""
    X = bnx.data.star(40)
    torch.manual_seed(0)
    block = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.ReLU())
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.ReLU(),
                          bnx.Residual(block, nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))),
                          nn.Linear(3, 1))
    model.train()
    model(X)                                                             # running statistics from X
    model.eval()
    assert len(bnx.exact_partition(model, 1.5)) > 1                      # other tools read it
    with pytest.raises(bnx.UnsupportedNetwork, match=r"net\.3\.shortcut holds a BatchNorm1d"):
        bnx.jitter.boundary_draws(model, X, 16, 2, 1.5, resolution=8)
    with pytest.raises(bnx.UnsupportedNetwork, match="main path only"):
        bnx.jitter.minibatch_statistics(model, X, 16, 2)
    model[3].shortcut = nn.Linear(3, 3)                                  # a Linear shortcut is fine
    assert len(bnx.jitter.minibatch_statistics(model, X, 16, 2)[0]) == 2
